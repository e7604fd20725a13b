"""companion.calibration: softmax, reliability table, ECE, temperature scaling, coverage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import softmax as scipy_softmax

from companion.calibration import (
    coverage_curve,
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    reliability_table,
    softmax,
)


@given(st.floats(0.1, 10.0), st.integers(1, 6))
def test_softmax_matches_scipy_for_any_temperature(temperature, classes):
    logits = np.random.default_rng(classes).normal(scale=30, size=(4, classes))
    assert np.allclose(softmax(logits, temperature), scipy_softmax(logits / temperature, axis=1))


def test_softmax_validates_arguments():
    with pytest.raises(ValueError, match="temperature"):
        softmax(np.zeros((1, 2)), 0.0)
    with pytest.raises(ValueError, match=r"\(n, classes\)"):
        softmax(np.zeros(3))


def test_reliability_table_bins_confidences_and_ece_weights_the_gaps():
    confidences = np.array([0.05, 0.15, 0.95, 0.95, 0.85, 1.0])
    correct = np.array([False, True, True, True, False, True])
    table = reliability_table(confidences, correct, num_bins=10)
    assert table["count"].tolist() == [1, 1, 0, 0, 0, 0, 0, 0, 1, 3]
    assert table.loc[9, "accuracy"] == 1.0
    assert table.loc[9, "confidence"] == pytest.approx((0.95 + 0.95 + 1.0) / 3)
    expected = (0.05 + 0.85 + 0.85 + 3 * (1 - table.loc[9, "confidence"])) / 6
    assert expected_calibration_error(confidences, correct) == pytest.approx(expected)


def test_ece_is_zero_for_a_perfectly_calibrated_bin():
    confidences = np.full(10, 0.7)
    correct = np.array([True] * 7 + [False] * 3)
    assert expected_calibration_error(confidences, correct) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="one length"):
        expected_calibration_error(confidences, correct[:3])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        reliability_table(np.array([1.5]), np.array([True]))


def test_fit_temperature_recovers_the_temperature_of_overconfident_logits():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(scale=2.0, size=(4000, 5))
    labels = np.array([rng.choice(5, p=p) for p in softmax(true_logits)])
    overconfident = 3.0 * true_logits  # the model's logits are 3 times too large
    temperature = fit_temperature(overconfident, labels)
    assert temperature == pytest.approx(3.0, rel=0.1)
    assert negative_log_likelihood(overconfident, labels, temperature) < negative_log_likelihood(
        overconfident, labels
    )
    predicted = softmax(overconfident, temperature).argmax(axis=1)
    assert np.array_equal(predicted, overconfident.argmax(axis=1))


def test_coverage_curve_answers_only_confident_inputs():
    confidences = np.array([0.9, 0.6, 0.99, 0.3])
    correct = np.array([True, False, True, False])
    curve = coverage_curve(confidences, correct, np.array([0.0, 0.5, 0.95, 1.0]))
    assert curve["coverage"].tolist() == [1.0, 0.75, 0.25, 0.0]
    assert curve["accuracy"].tolist()[:3] == [0.5, pytest.approx(2 / 3), 1.0]
    assert np.isnan(curve["accuracy"].iloc[3])
