"""Exercises of "Getting started" (ids ``intro-1-*``): what a learner sees.

Each exercise's title, difficulty, minutes and hint, and its practice cases (public,
with expected values written out); the reference solutions and the hidden cases are
the instructor's (``authoring/instructor/intro.py``).
"""

from __future__ import annotations

import numpy as np

from .core import Case, Exercise, register


def _dtype_and_values(got: object, expected: np.ndarray) -> bool:
    return (
        isinstance(got, np.ndarray)
        and got.dtype == np.float32
        and got.shape == expected.shape
        and bool(np.allclose(got, expected))
    )


def _practice_intro_1_1() -> list[Case]:
    return [
        Case(
            "class_counts([0, 1, 1, 9])",
            np.array([1, 2, 0, 0, 0, 0, 0, 0, 0, 1], dtype="int64"),
            args=([0, 1, 1, 9],),
        ),
    ]


def _practice_intro_1_2() -> list[Case]:
    return [
        Case(
            "scale of a 1×2×2 uint8 image, checked for float32 dtype, shape and values",
            np.array([[[0.0, 1.0], [0.2, 0.4]]], dtype="float32"),
            args=(np.array([[[0, 255], [51, 102]]], dtype="uint8"),),
            compare=_dtype_and_values,
        ),
    ]


register(
    Exercise(
        id="intro-1-1",
        title="Count the classes",
        difficulty="easy",
        minutes=5,
        hint="NumPy has a function that counts how often each non-negative integer occurs; mind classes that never occur.",
        cases=_practice_intro_1_1,
    ),
    Exercise(
        id="intro-1-2",
        title="Scale the pixels",
        difficulty="easy",
        minutes=5,
        hint="Convert to float32 first (`astype`), then divide by the largest uint8 value.",
        cases=_practice_intro_1_2,
    ),
    Exercise(
        id="intro-1-3",
        title="Where does your copy come from?",
        difficulty="easy",
        minutes=10,
        hint="Look at `data.cache_dir()` and at the `fetchers` of each entry in `data.DATASETS`.",
    ),
)
