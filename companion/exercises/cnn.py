"""Exercises of Part 3, the CNN project (ids ``cnn-<chapter>-<n>``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import Case, Exercise, register


def _pair_of_float32(got: Any, expected: tuple[np.ndarray, np.ndarray]) -> bool:
    return (
        isinstance(got, tuple)
        and len(got) == 2
        and all(isinstance(g, np.ndarray) and g.dtype == np.float32 for g in got)
        and all(g.shape == e.shape for g, e in zip(got, expected, strict=True))
        and all(np.allclose(g, e, atol=1e-5) for g, e in zip(got, expected, strict=True))
    )


# --------------------------------------------------------------------------- 1. The data
def _standardise_cases() -> list[Case]:
    rng = np.random.default_rng(11)
    train = rng.integers(0, 256, size=(6, 4, 4), dtype=np.uint8)
    test = rng.integers(0, 256, size=(3, 4, 4), dtype=np.uint8)
    mean, std = train.astype(np.float64).mean(), train.astype(np.float64).std()
    expected = (
        ((train - mean) / std).astype(np.float32),
        ((test - mean) / std).astype(np.float32),
    )
    tiny = (np.array([0, 2], np.uint8), np.array([4], np.uint8))
    return [
        Case(
            "train [0, 2] and test [4]: mean 1 and std 1 come from train only",
            (np.array([-1.0, 1.0], np.float32), np.array([3.0], np.float32)),
            args=tiny,
            compare=_pair_of_float32,
        ),
        Case(
            "random uint8 images, train (6, 4, 4) and test (3, 4, 4)",
            expected,
            args=(train, test),
            compare=_pair_of_float32,
        ),
    ]


def _mean_distance_reference(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    flat = np.asarray(images, dtype=np.float64).reshape(len(images), -1) / 255.0
    result = np.zeros(10)
    for k in range(10):
        members = flat[labels == k]
        if len(members):
            result[k] = np.linalg.norm(members - members.mean(axis=0), axis=1).mean()
    return result


def _mean_distance_cases() -> list[Case]:
    rng = np.random.default_rng(12)
    images = rng.integers(0, 256, size=(40, 5, 5), dtype=np.uint8)
    labels = np.arange(40) % 10
    two = np.array([[[0, 0]], [[255, 255]]], dtype=np.uint8)
    return [
        Case(
            "two 1×2 images of class 0, all 0 and all 255: each is sqrt(2)/2 from the mean",
            np.array([np.sqrt(2) / 2] + [0.0] * 9),
            args=(two, np.array([0, 0])),
        ),
        Case(
            "40 random 5×5 images, 4 per class",
            _mean_distance_reference(images, labels),
            args=(images, labels),
        ),
    ]


register(
    Exercise(
        id="cnn-1-1",
        title="Standardise with training statistics",
        difficulty="easy",
        minutes=10,
        hint="Convert both arrays to float32, compute train.mean() and train.std() once, "
        "and apply the same two numbers to both arrays.",
        solution="def standardise(train, test):\n"
        "    train = np.asarray(train, dtype=np.float32)\n"
        "    test = np.asarray(test, dtype=np.float32)\n"
        "    mean, std = train.mean(), train.std()\n"
        "    return (train - mean) / std, (test - mean) / std",
        cases=_standardise_cases,
    ),
    Exercise(
        id="cnn-1-2",
        title="Which class is least like its average?",
        difficulty="medium",
        minutes=15,
        hint="Reshape to (n, pixels) and divide by 255; for each class subtract its mean row "
        "and take np.linalg.norm(..., axis=1).mean().",
        solution="def mean_distance(images, labels):\n"
        "    images = np.asarray(images, dtype=np.float64).reshape(len(images), -1) / 255.0\n"
        "    labels = np.asarray(labels)\n"
        "    result = np.zeros(10)\n"
        "    for k in range(10):\n"
        "        members = images[labels == k]\n"
        "        if len(members):\n"
        "            result[k] = np.linalg.norm(members - members.mean(axis=0), axis=1).mean()\n"
        "    return result",
        cases=_mean_distance_cases,
    ),
    Exercise(
        id="cnn-1-3",
        title="A shuffle buffer that is too small",
        difficulty="easy",
        minutes=10,
        hint="Sort with np.argsort(y_train, kind='stable'), shuffle(1000, seed=0), batch(64), "
        "and look at np.unique of the first and last batch.",
        solution="With a 1,000-example buffer over label-sorted data the first batches hold only "
        "zeros and the last only nines, so training would see one class at a time; a buffer as "
        "large as the dataset gives a uniform random order.",
    ),
)
