"""Figures the book draws more than once.

Each function returns the matplotlib ``Figure`` so a notebook can save or adjust it.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = ["plot_image_grid"]


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
