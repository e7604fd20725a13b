"""Measure a trained classifier: per-class report, confusion matrix, mistakes, speed.

The metrics come from scikit-learn (``classification_report``,
``confusion_matrix``); nothing here re-implements them. The speed helper times
``model.predict``-style calls for several batch sizes on the current device.

Defined in Part 3, "A baseline CNN" and "From model to product"; Part 4 reuses it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import keras
    import pandas as pd

__all__ = [
    "classification_table",
    "confusion",
    "hardest_pairs",
    "measure_speed",
    "misclassified",
    "predict_classes",
]


def predict_classes(
    model: keras.Model, x: np.ndarray, *, batch_size: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(predicted_labels, probabilities)`` of a softmax classifier on ``x``.

    Used in: Part 3, A baseline CNN and later chapters.
    """
    probabilities = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    if probabilities.ndim != 2:
        raise ValueError(
            f"model must output (n, num_classes) probabilities, got shape {probabilities.shape}."
        )
    return probabilities.argmax(axis=1), probabilities


def _check_labels(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(
            f"y_true and y_pred must be 1-D arrays of the same length, got {y_true.shape} and {y_pred.shape}."
        )
    return y_true, y_pred


def classification_table(
    y_true: np.ndarray, y_pred: np.ndarray, class_names: Sequence[str]
) -> pd.DataFrame:
    """Per-class precision, recall, F1 and support as a ``DataFrame`` (scikit-learn).

    One row per class, then ``accuracy``, ``macro avg`` and ``weighted avg``.
    Used in: Part 3, A baseline CNN.
    """
    import pandas as pd
    from sklearn.metrics import classification_report

    y_true, y_pred = _check_labels(y_true, y_pred)
    report = classification_report(
        y_true,
        y_pred,
        labels=list(range(len(class_names))),
        target_names=list(class_names),
        output_dict=True,
        zero_division=0,
    )
    table = pd.DataFrame(report).T
    table["support"] = table["support"].astype(int)
    return table


def confusion(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """The confusion matrix (rows: true class, columns: predicted class), via scikit-learn.

    Used in: Part 3, A baseline CNN.
    """
    from sklearn.metrics import confusion_matrix

    y_true, y_pred = _check_labels(y_true, y_pred)
    return confusion_matrix(y_true, y_pred, labels=list(range(num_classes)))


def hardest_pairs(matrix: np.ndarray, class_names: Sequence[str], *, top: int = 5) -> pd.DataFrame:
    """The class pairs most often confused, in either direction, as a ``DataFrame``.

    Columns: ``pair`` ("a ↔ b"), ``a_as_b``, ``b_as_a``, ``total``, ``share_of_errors``.
    Used in: Part 3, A baseline CNN; Making it better.
    """
    import pandas as pd

    matrix = np.asarray(matrix)
    if (
        matrix.ndim != 2
        or matrix.shape[0] != matrix.shape[1]
        or matrix.shape[0] != len(class_names)
    ):
        raise ValueError(
            f"matrix must be square with one row per class ({len(class_names)}), got {matrix.shape}."
        )
    errors = matrix.sum() - np.trace(matrix)
    rows = []
    for a in range(len(class_names)):
        for b in range(a + 1, len(class_names)):
            total = int(matrix[a, b] + matrix[b, a])
            rows.append(
                {
                    "pair": f"{class_names[a]} ↔ {class_names[b]}",
                    "a_as_b": int(matrix[a, b]),
                    "b_as_a": int(matrix[b, a]),
                    "total": total,
                    "share_of_errors": total / errors if errors else 0.0,
                }
            )
    table = pd.DataFrame(rows).sort_values("total", ascending=False, kind="stable")
    return table.head(top).reset_index(drop=True)


def misclassified(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    probabilities: np.ndarray | None = None,
    *,
    limit: int | None = None,
) -> np.ndarray:
    """Indices of the wrong predictions, the most confident mistakes first when
    ``probabilities`` is given (otherwise in dataset order).

    Used in: Part 3, A baseline CNN; Looking inside.
    """
    y_true, y_pred = _check_labels(y_true, y_pred)
    wrong = np.flatnonzero(y_true != y_pred)
    if probabilities is not None:
        confidence = np.asarray(probabilities)[wrong, y_pred[wrong]]
        wrong = wrong[np.argsort(-confidence, kind="stable")]
    return wrong if limit is None else wrong[:limit]


def measure_speed(
    predict: Callable[[np.ndarray], object],
    example: np.ndarray,
    *,
    batch_sizes: Sequence[int] = (1, 32, 256),
    repeats: int = 20,
    warmup: int = 3,
) -> pd.DataFrame:
    """Time ``predict`` on batches built from ``example``; return a ``DataFrame``.

    ``predict`` takes a batch and returns predictions (for instance
    ``lambda b: model(b, training=False)``, which avoids ``model.predict``'s per-call
    overhead). ``example`` is a batch of at least ``max(batch_sizes)`` inputs.
    Columns: ``batch_size``, ``latency_ms`` (median time per call), ``p90_ms`` and
    ``images_per_second`` (batch size divided by the median time).
    Used in: Part 3, From model to product.
    """
    import pandas as pd

    example = np.asarray(example)
    if not batch_sizes or min(batch_sizes) < 1 or max(batch_sizes) > len(example):
        raise ValueError(
            f"batch_sizes must be positive and at most len(example)={len(example)}, got {list(batch_sizes)}."
        )
    if repeats < 1 or warmup < 0:
        raise ValueError(f"repeats must be >= 1 and warmup >= 0, got {repeats} and {warmup}.")
    rows = []
    for size in batch_sizes:
        batch = example[:size]
        for _ in range(warmup):
            predict(batch)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            predict(batch)
            times.append(time.perf_counter() - start)
        median = float(np.median(times))
        rows.append(
            {
                "batch_size": int(size),
                "latency_ms": 1000 * median,
                "p90_ms": 1000 * float(np.percentile(times, 90)),
                "images_per_second": size / median,
            }
        )
    return pd.DataFrame(rows)
