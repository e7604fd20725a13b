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


# --------------------------------------------------------------------------- 2. A baseline CNN
def _conv_output_cases() -> list[Case]:
    return [
        Case("conv_output_size(28, 3): the baseline's first layer", 26, args=(28, 3)),
        Case("conv_output_size(13, 2, 2): 2×2 pooling rounds down", 6, args=(13, 2, 2)),
        Case("conv_output_size(28, 5, 2)", 12, args=(28, 5, 2)),
        Case(
            "conv_output_size(28, 3, padding='same')", 28, args=(28, 3), kwargs={"padding": "same"}
        ),
        Case("conv_output_size(7, 3, 2, 'same')", 4, args=(7, 3, 2, "same")),
    ]


def _conv_params_cases() -> list[Case]:
    return [
        Case("conv_params(3, 1, 32): the baseline's first layer", 320, args=(3, 1, 32)),
        Case("conv_params(3, 32, 64)", 18_496, args=(3, 32, 64)),
        Case("conv_params(5, 3, 8, bias=False)", 600, args=(5, 3, 8), kwargs={"bias": False}),
    ]


def _close_pair(got: Any, expected: tuple[float, float]) -> bool:
    try:
        values = [float(v) for v in got]
    except (TypeError, ValueError):
        return False
    return len(values) == 2 and bool(np.allclose(values, expected))


def _precision_recall_cases() -> list[Case]:
    matrix = np.array([[5, 1, 0], [2, 7, 1], [0, 3, 9]])
    return [
        Case(
            "3×3 matrix [[5, 1, 0], [2, 7, 1], [0, 3, 9]], class 1",
            (7 / 11, 7 / 10),
            args=(matrix, 1),
            compare=_close_pair,
        ),
        Case(
            "the same matrix, class 2",
            (9 / 10, 9 / 12),
            args=(matrix, 2),
            compare=_close_pair,
        ),
    ]


register(
    Exercise(
        id="cnn-2-1",
        title="Output size of a convolution",
        difficulty="easy",
        minutes=10,
        hint="Count the positions where the window fits: first start 0, last start size - kernel, "
        "step stride. For 'same', only the stride matters.",
        solution="import math\n\n"
        "def conv_output_size(size, kernel, stride=1, padding='valid'):\n"
        "    if padding == 'same':\n"
        "        return math.ceil(size / stride)\n"
        "    return (size - kernel) // stride + 1",
        cases=_conv_output_cases,
    ),
    Exercise(
        id="cnn-2-2",
        title="Count the parameters",
        difficulty="easy",
        minutes=10,
        hint="One kernel of kernel×kernel weights per input channel, for each filter, "
        "plus one bias per filter.",
        solution="def conv_params(kernel, in_channels, filters, bias=True):\n"
        "    return (kernel * kernel * in_channels + (1 if bias else 0)) * filters",
        cases=_conv_params_cases,
    ),
    Exercise(
        id="cnn-2-3",
        title="Precision and recall from the confusion matrix",
        difficulty="medium",
        minutes=10,
        hint="matrix[k, k] is the true positives; the column k sums all predictions of k, "
        "the row k all images that truly are k.",
        solution="def precision_recall(matrix, k):\n"
        "    matrix = np.asarray(matrix)\n"
        "    true_positive = matrix[k, k]\n"
        "    return true_positive / matrix[:, k].sum(), true_positive / matrix[k, :].sum()",
        cases=_precision_recall_cases,
    ),
    Exercise(
        id="cnn-2-4",
        title="Is the test set being used only once?",
        difficulty="medium",
        minutes=10,
        hint="Think of the best of twenty noisy measurements: is it an unbiased estimate?",
        solution="The best of twenty test scores is biased upwards (selection on noise). Select on "
        "the validation set, then evaluate the chosen model once on the test set; with little "
        "validation data use cross-validation or several seeds and compare means and spreads.",
    ),
)
