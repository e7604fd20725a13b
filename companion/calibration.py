"""Confidence you can act on: reliability tables, ECE, temperature scaling, coverage curves.

Inputs are a classifier's *logits* ``(n, classes)`` or its confidences (the largest
softmax probability per input) with a boolean ``correct`` per input.
Defined in Part 4, "Vision in a product".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import numpy_nn

__all__ = [
    "coverage_curve",
    "expected_calibration_error",
    "fit_temperature",
    "negative_log_likelihood",
    "reliability_table",
    "softmax",
]


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of ``logits / temperature``, in float64 (:func:`companion.numpy_nn.softmax`).

    Used in: Part 4, Vision in a product.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}.")
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"logits must be (n, classes), got shape {z.shape}.")
    return numpy_nn.softmax(z / temperature, axis=1)


def _check_pair(confidences: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    confidences = np.asarray(confidences, dtype=float)
    correct = np.asarray(correct, dtype=bool)
    if confidences.ndim != 1 or confidences.shape != correct.shape:
        raise ValueError(
            f"confidences and correct must be 1-D of one length, got {confidences.shape} and {correct.shape}."
        )
    if confidences.size == 0:
        raise ValueError("confidences is empty.")
    if confidences.min() < 0 or confidences.max() > 1:
        raise ValueError("confidences must lie in [0, 1].")
    return confidences, correct


def reliability_table(
    confidences: np.ndarray, correct: np.ndarray, num_bins: int = 10
) -> pd.DataFrame:
    """Per equal-width confidence bin: count, mean confidence and accuracy (the reliability diagram).

    Bins are ``(lo, hi]`` over ``[0, 1]`` (the first also includes 0); empty bins are
    kept with count 0 and NaN means. Used in: Part 4, Vision in a product.
    """
    confidences, correct = _check_pair(confidences, correct)
    if num_bins < 1:
        raise ValueError(f"num_bins must be at least 1, got {num_bins}.")
    edges = np.linspace(0.0, 1.0, num_bins + 1)
    index = np.clip(np.searchsorted(edges, confidences, side="left") - 1, 0, num_bins - 1)
    counts = np.bincount(index, minlength=num_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(index, weights=confidences, minlength=num_bins) / counts
        accuracy = np.bincount(index, weights=correct.astype(float), minlength=num_bins) / counts
    return pd.DataFrame(
        {
            "lower": edges[:-1],
            "upper": edges[1:],
            "count": counts,
            "confidence": mean_conf,
            "accuracy": accuracy,
        }
    )


def expected_calibration_error(
    confidences: np.ndarray, correct: np.ndarray, num_bins: int = 10
) -> float:
    """ECE: the count-weighted mean of ``|accuracy - confidence|`` over the bins.

    Used in: Part 4, Vision in a product.
    """
    table = reliability_table(confidences, correct, num_bins)
    filled = table[table["count"] > 0]
    gaps = (filled["accuracy"] - filled["confidence"]).abs()
    return float((gaps * filled["count"]).sum() / filled["count"].sum())


def negative_log_likelihood(
    logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0
) -> float:
    """Mean cross-entropy of the true labels under ``softmax(logits / temperature)``.

    Used in: Part 4, Vision in a product.
    """
    labels = np.asarray(labels, dtype=int)
    probabilities = softmax(logits, temperature)
    if labels.shape != (probabilities.shape[0],):
        raise ValueError(f"labels must be ({probabilities.shape[0]},), got {labels.shape}.")
    picked = probabilities[np.arange(labels.size), labels]
    return float(-np.mean(np.log(np.maximum(picked, 1e-300))))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature ``T`` that minimises the validation negative log-likelihood.

    Searched on ``log T`` in ``[log 0.05, log 20]`` with a bounded scalar optimiser.
    Dividing logits by one positive number never changes the predicted class, only
    the confidences. Used in: Part 4, Vision in a product.
    """
    from scipy.optimize import minimize_scalar

    result = minimize_scalar(
        lambda log_t: negative_log_likelihood(logits, labels, float(np.exp(log_t))),
        bounds=(np.log(0.05), np.log(20.0)),
        method="bounded",
        options={"xatol": 1e-4},
    )
    return float(np.exp(result.x))


def coverage_curve(
    confidences: np.ndarray, correct: np.ndarray, thresholds: np.ndarray
) -> pd.DataFrame:
    """For each threshold: the share of inputs answered (confidence ≥ threshold) and their accuracy.

    Inputs below the threshold are abstained on (sent to a person). Accuracy is NaN
    where nothing is answered. Used in: Part 4, Vision in a product.
    """
    confidences, correct = _check_pair(confidences, correct)
    thresholds = np.asarray(thresholds, dtype=float)
    answered = confidences[None, :] >= thresholds[:, None]
    counts = answered.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = (answered & correct[None, :]).sum(axis=1) / counts
    return pd.DataFrame(
        {"threshold": thresholds, "coverage": counts / confidences.size, "accuracy": accuracy}
    )
