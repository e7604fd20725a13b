"""Figures the book draws more than once.

Each function returns the matplotlib ``Figure`` so a notebook can save or adjust it.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = [
    "plot_confusion_matrix",
    "plot_feature_maps",
    "plot_filters",
    "plot_heatmaps",
    "plot_image_grid",
    "plot_label_budget",
    "plot_learning_curves",
    "plot_misclassified",
]


def plot_image_grid(
    images: np.ndarray,
    labels: np.ndarray,
    class_names: Sequence[str],
    *,
    per_class: int = 8,
    title: str | None = None,
    seed: int = 0,
) -> Figure:
    """Show ``per_class`` random images of every class, one row per class.

    ``images`` is ``(n, height, width)`` or ``(n, height, width, 1)``; ``labels`` is
    ``(n,)`` of integers in ``0 .. len(class_names) - 1``.
    Used in: Getting started; Part 3, The data.
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(f"images must be (n, height, width[, 1]), got shape {images.shape}.")
    if labels.shape != (images.shape[0],):
        raise ValueError(
            f"labels must be ({images.shape[0]},) to match images {images.shape}, got {labels.shape}."
        )
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}.")
    rng = np.random.default_rng(seed)
    num_classes = len(class_names)
    fig, axes = plt.subplots(
        num_classes, per_class, figsize=(per_class * 0.9, num_classes * 0.95), squeeze=False
    )
    for row, name in enumerate(class_names):
        indices = np.flatnonzero(labels == row)
        chosen = rng.choice(indices, size=min(per_class, indices.size), replace=False)
        for col, ax in enumerate(axes[row]):
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if col < chosen.size:
                ax.imshow(images[chosen[col]], cmap="gray_r")
        axes[row, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- Part 3
def _clean_axis(ax: plt.Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def plot_learning_curves(history: object, *, title: str | None = None) -> Figure:
    """Loss and accuracy per epoch, training against validation, side by side.

    ``history`` is a Keras ``History`` or its ``.history`` dict.
    Used in: Part 3, A baseline CNN and Making it better.
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or "loss" not in logs:
        raise ValueError("history must be a Keras History (or its dict) with at least 'loss'.")
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        epochs = np.arange(1, len(logs.get(metric, [])) + 1)
        if metric in logs:
            ax.plot(epochs, logs[metric], "o-", label="training")
        if f"val_{metric}" in logs:
            ax.plot(epochs, logs[f"val_{metric}"], "s--", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(
    matrix: np.ndarray, class_names: Sequence[str], *, title: str | None = None
) -> Figure:
    """Draw a confusion matrix (rows: true class) with scikit-learn's display.

    Used in: Part 3, A baseline CNN and Making it better.
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    matrix = np.asarray(matrix)
    if matrix.shape != (len(class_names), len(class_names)):
        raise ValueError(
            f"matrix must be ({len(class_names)}, {len(class_names)}) for the class names, got {matrix.shape}."
        )
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    display = ConfusionMatrixDisplay(matrix, display_labels=list(class_names))
    display.plot(ax=ax, cmap="Blues", colorbar=False, values_format="d", xticks_rotation=45)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_misclassified(
    images: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    indices: Sequence[int],
    class_names: Sequence[str],
    *,
    columns: int = 8,
    confidence: np.ndarray | None = None,
) -> Figure:
    """Show the images at ``indices`` titled "predicted (true)" in a grid.

    ``confidence`` (one value per image of ``images``) adds the predicted probability.
    Used in: Part 3, A baseline CNN.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    indices = list(indices)
    if not indices:
        raise ValueError("indices is empty: there is nothing to show.")
    rows = int(np.ceil(len(indices) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.1, rows * 1.65), squeeze=False)
    for ax in axes.flat:
        _clean_axis(ax)
        ax.axis("off")
    for ax, index in zip(axes.flat, indices, strict=False):
        ax.axis("on")
        ax.imshow(images[index], cmap="gray_r")
        label = f"{class_names[y_pred[index]]} ({class_names[y_true[index]]})"
        if confidence is not None:
            label += f"\n{confidence[index]:.0%}"
        ax.set_title(label, fontsize=7, color="firebrick")
    fig.suptitle("predicted (true)", fontsize=9)
    fig.tight_layout()
    return fig


def plot_filters(kernels: np.ndarray, *, columns: int = 8, title: str | None = None) -> Figure:
    """Show first-layer convolution kernels ``(kh, kw, 1, n)`` as small images.

    Each kernel uses a colour scale symmetric around zero (red positive, blue negative).
    Used in: Part 3, Looking inside.
    """
    kernels = np.asarray(kernels)
    if kernels.ndim != 4 or kernels.shape[2] != 1:
        raise ValueError(
            f"kernels must be (height, width, 1, n_filters) from a first Conv2D layer, got {kernels.shape}."
        )
    count = kernels.shape[-1]
    rows = int(np.ceil(count / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 0.9, rows * 0.9), squeeze=False)
    for index, ax in enumerate(axes.flat):
        _clean_axis(ax)
        if index >= count:
            ax.axis("off")
            continue
        kernel = kernels[:, :, 0, index]
        limit = float(np.abs(kernel).max()) or 1.0
        ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_feature_maps(
    maps: np.ndarray, *, columns: int = 8, limit: int = 16, title: str | None = None
) -> Figure:
    """Show the first ``limit`` channels of one image's feature maps ``(h, w, channels)``.

    Used in: Part 3, Looking inside.
    """
    maps = np.asarray(maps)
    if maps.ndim == 4 and maps.shape[0] == 1:
        maps = maps[0]
    if maps.ndim != 3:
        raise ValueError(f"maps must be (height, width, channels) for one image, got {maps.shape}.")
    count = min(limit, maps.shape[-1])
    rows = int(np.ceil(count / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 0.95, rows * 0.95), squeeze=False)
    for index, ax in enumerate(axes.flat):
        _clean_axis(ax)
        if index >= count:
            ax.axis("off")
            continue
        ax.imshow(maps[:, :, index], cmap="viridis")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_heatmaps(
    images: np.ndarray,
    heatmaps: np.ndarray,
    titles: Sequence[str],
    *,
    alpha: float = 0.5,
) -> Figure:
    """Each image beside itself overlaid with its heat map (saliency, Grad-CAM).

    ``images`` and ``heatmaps`` are ``(n, h, w)``; heat maps are resized by nearest
    repetition when smaller. Used in: Part 3, Looking inside.
    """
    images = np.asarray(images)
    heatmaps = np.asarray(heatmaps)
    if images.ndim == 4:
        images = images[..., 0]
    if (
        images.ndim != 3
        or heatmaps.ndim != 3
        or len({len(images), len(heatmaps), len(titles)}) != 1
    ):
        raise ValueError(
            f"images and heatmaps must be (n, h, w) with one title each, got {images.shape}, "
            f"{heatmaps.shape} and {len(titles)} titles."
        )
    count = len(images)
    fig, axes = plt.subplots(2, count, figsize=(count * 1.5, 3.2), squeeze=False)
    for index in range(count):
        top, bottom = axes[0, index], axes[1, index]
        _clean_axis(top)
        _clean_axis(bottom)
        top.imshow(images[index], cmap="gray_r")
        top.set_title(titles[index], fontsize=8)
        bottom.imshow(images[index], cmap="gray_r")
        height, width = images[index].shape
        heat = heatmaps[index]
        bottom.imshow(heat, cmap="jet", alpha=alpha, extent=(-0.5, width - 0.5, height - 0.5, -0.5))
    fig.tight_layout()
    return fig


def plot_label_budget(table: object, *, title: str | None = None) -> Figure:
    """Test accuracy against the number of labels, one line per method (mean over seeds).

    ``table`` is the ``DataFrame`` of :func:`companion.transfer.compare_label_budgets`.
    Used in: Part 3, From model to product; Part 1 reuses it.
    """
    import pandas as pd

    if not isinstance(table, pd.DataFrame) or not {"labels", "method", "test_accuracy"} <= set(
        table.columns
    ):
        raise ValueError("table must be a DataFrame with columns labels, method and test_accuracy.")
    means = table.groupby(["method", "labels"], sort=False)["test_accuracy"].mean()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for method in table["method"].unique():
        series = means.loc[method].sort_index()
        ax.plot(series.index, series.to_numpy(), "o-", label=method)
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    ax.set_xscale("log")
    ax.set_xticks(sorted(int(count) for count in table["labels"].unique()))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("number of labelled training images (log scale)")
    ax.set_ylabel("test accuracy")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
