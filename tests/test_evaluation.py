"""Evaluation helpers against hand-checked tiny cases."""

from __future__ import annotations

import numpy as np
import pytest

from companion import evaluation

Y_TRUE = np.array([0, 0, 1, 1, 2, 2])
Y_PRED = np.array([0, 1, 1, 1, 2, 0])
NAMES = ["a", "b", "c"]


def test_classification_table_matches_hand_computation():
    table = evaluation.classification_table(Y_TRUE, Y_PRED, NAMES)
    assert table.loc["b", "precision"] == pytest.approx(2 / 3)
    assert table.loc["a", "recall"] == pytest.approx(0.5)
    assert table.loc["c", "support"] == 2
    assert table.loc["accuracy", "precision"] == pytest.approx(4 / 6)


def test_confusion_rows_are_true_classes():
    matrix = evaluation.confusion(Y_TRUE, Y_PRED, num_classes=3)
    assert matrix.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]


def test_hardest_pairs_adds_both_directions():
    matrix = np.array([[5, 3, 0], [1, 5, 0], [0, 2, 5]])
    table = evaluation.hardest_pairs(matrix, NAMES, top=2)
    assert table.loc[0, "pair"] == "a ↔ b" and table.loc[0, "total"] == 4
    assert table.loc[0, "share_of_errors"] == pytest.approx(4 / 6)
    with pytest.raises(ValueError, match="square"):
        evaluation.hardest_pairs(np.zeros((2, 3)), NAMES)


def test_misclassified_orders_by_confidence():
    probabilities = np.array(
        [[1, 0, 0], [0.4, 0.6, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1], [0.9, 0, 0.1]]
    )
    assert evaluation.misclassified(Y_TRUE, Y_PRED).tolist() == [1, 5]
    assert evaluation.misclassified(Y_TRUE, Y_PRED, probabilities).tolist() == [5, 1]
    assert evaluation.misclassified(Y_TRUE, Y_PRED, probabilities, limit=1).tolist() == [5]
    with pytest.raises(ValueError, match="same length"):
        evaluation.misclassified(Y_TRUE, Y_PRED[:3])


def test_predict_classes_returns_argmax():
    class Fixed:
        def predict(self, x, batch_size, verbose):
            return np.array([[0.2, 0.8], [0.9, 0.1]])

    labels, probabilities = evaluation.predict_classes(Fixed(), np.zeros((2, 1)))
    assert labels.tolist() == [1, 0] and probabilities.shape == (2, 2)


def test_measure_speed_reports_each_batch_size():
    table = evaluation.measure_speed(
        lambda b: b.sum(), np.zeros((8, 3)), batch_sizes=(1, 8), repeats=3
    )
    assert table["batch_size"].tolist() == [1, 8]
    assert (table["images_per_second"] > 0).all() and (table["p90_ms"] >= 0).all()
    with pytest.raises(ValueError, match="batch_sizes"):
        evaluation.measure_speed(lambda b: b, np.zeros((4, 3)), batch_sizes=(8,))
