"""Plotting helpers return figures and reject malformed input."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from companion import plotting

NAMES = ["a", "b", "c"]


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_learning_curves_draw_training_and_validation():
    fig = plotting.plot_learning_curves(
        {"loss": [1, 0.5], "val_loss": [1.1, 0.6], "accuracy": [0.5, 0.8]}
    )
    assert len(fig.axes[0].lines) == 2 and len(fig.axes[1].lines) == 1
    with pytest.raises(ValueError, match="loss"):
        plotting.plot_learning_curves({"accuracy": [0.5]})


def test_confusion_matrix_checks_its_size():
    fig = plotting.plot_confusion_matrix(np.eye(3, dtype=int), NAMES)
    assert fig.axes
    with pytest.raises(ValueError, match=r"\(3, 3\)"):
        plotting.plot_confusion_matrix(np.eye(2, dtype=int), NAMES)


def test_misclassified_filters_feature_maps_and_heatmaps():
    images = np.zeros((4, 6, 6, 1))
    y = np.array([0, 1, 2, 0])
    fig = plotting.plot_misclassified(
        images, y, y[::-1], [0, 1], NAMES, columns=2, confidence=np.ones(4)
    )
    assert "a (a)" not in [ax.get_title() for ax in fig.axes]
    assert len(plotting.plot_filters(np.ones((3, 3, 1, 5)), columns=4).axes) == 8
    assert len(plotting.plot_feature_maps(np.ones((1, 5, 5, 3)), columns=3).axes) == 3
    assert len(plotting.plot_heatmaps(images[:2], np.ones((2, 3, 3)), ["p", "q"]).axes) == 4
    with pytest.raises(ValueError, match="first Conv2D"):
        plotting.plot_filters(np.ones((3, 3, 2, 5)))
    with pytest.raises(ValueError, match="one title each"):
        plotting.plot_heatmaps(images[:2], np.ones((2, 3, 3)), ["p"])


def test_label_budget_draws_one_line_per_method():
    table = pd.DataFrame(
        {
            "labels": [10, 100, 10, 100],
            "method": ["s", "s", "t", "t"],
            "test_accuracy": [0.3, 0.6, 0.5, 0.7],
        }
    )
    assert len(plotting.plot_label_budget(table).axes[0].lines) == 2
    with pytest.raises(ValueError, match="DataFrame"):
        plotting.plot_label_budget({"labels": []})
