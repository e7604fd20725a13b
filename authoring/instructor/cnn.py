"""Exercises of Part 3, the CNN project (ids ``cnn-<chapter>-<n>``): reference solutions and every case.

``cases`` is every case the autograder runs: the practice cases (written out in
``companion/exercises/cnn.py``, which a learner sees) and the hidden ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from companion.exercises import Case
from companion.exercises.cnn import _close_pair, _none_or_text, _pair_of_float32, _within_1e7

from .store import Reference, register


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
    Reference(
        id="cnn-1-1",
        solution="def standardise(train, test):\n"
        "    train = np.asarray(train, dtype=np.float32)\n"
        "    test = np.asarray(test, dtype=np.float32)\n"
        "    mean, std = train.mean(), train.std()\n"
        "    return (train - mean) / std, (test - mean) / std",
        cases=_standardise_cases,
    ),
    Reference(
        id="cnn-1-2",
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
    Reference(
        id="cnn-1-3",
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
    Reference(
        id="cnn-2-1",
        solution="import math\n\n"
        "def conv_output_size(size, kernel, stride=1, padding='valid'):\n"
        "    if padding == 'same':\n"
        "        return math.ceil(size / stride)\n"
        "    return (size - kernel) // stride + 1",
        cases=_conv_output_cases,
    ),
    Reference(
        id="cnn-2-2",
        solution="def conv_params(kernel, in_channels, filters, bias=True):\n"
        "    return (kernel * kernel * in_channels + (1 if bias else 0)) * filters",
        cases=_conv_params_cases,
    ),
    Reference(
        id="cnn-2-3",
        solution="def precision_recall(matrix, k):\n"
        "    matrix = np.asarray(matrix)\n"
        "    true_positive = matrix[k, k]\n"
        "    return true_positive / matrix[:, k].sum(), true_positive / matrix[k, :].sum()",
        cases=_precision_recall_cases,
    ),
    Reference(
        id="cnn-2-4",
        solution="The best of twenty test scores is biased upwards (selection on noise). Select on "
        "the validation set, then evaluate the chosen model once on the test set; with little "
        "validation data use cross-validation or several seeds and compare means and spreads.",
    ),
)


# --------------------------------------------------------------------------- 3. Making it better
def _keras_warmup_cosine(step: int, peak: float, warmup: int, total: int) -> float:
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=total - warmup, warmup_target=peak, warmup_steps=warmup
    )
    return float(schedule(step))


def _warmup_cosine_cases() -> list[Case]:
    cases = []
    for step, peak, warmup, total in [
        (0, 0.01, 10, 100),
        (5, 0.01, 10, 100),
        (10, 0.01, 10, 100),
        (55, 0.01, 10, 100),
        (80, 0.005, 20, 120),
        (100, 0.01, 10, 100),
    ]:
        cases.append(
            Case(
                f"warmup_cosine({step}, {peak}, {warmup}, {total}), compared with keras CosineDecay",
                _keras_warmup_cosine(step, peak, warmup, total),
                args=(step, peak, warmup, total),
                compare=_within_1e7,
            )
        )
    return cases


def _batch_norm_reference(x: np.ndarray, gamma: Any, beta: Any, epsilon: float) -> np.ndarray:
    return gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + epsilon) + beta


def _batch_norm_cases() -> list[Case]:
    rng = np.random.default_rng(31)
    x = rng.normal(3.0, 2.0, size=(16, 4))
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    return [
        Case(
            "x = [[0], [2]] with gamma 1, beta 0: about [[-1], [1]]",
            _batch_norm_reference(np.array([[0.0], [2.0]]), 1.0, 0.0, 1e-3),
            args=(np.array([[0.0], [2.0]]), 1.0, 0.0),
        ),
        Case(
            "random (16, 4) batch with random gamma and beta per feature",
            _batch_norm_reference(x, gamma, beta, 1e-3),
            args=(x, gamma, beta),
        ),
        Case(
            "the same batch with epsilon=0.5",
            _batch_norm_reference(x, gamma, beta, 0.5),
            args=(x, gamma, beta),
            kwargs={"epsilon": 0.5},
        ),
    ]


def _standard_error_cases() -> list[Case]:
    return [
        Case("standard_error(0.5, 100)", 0.05, args=(0.5, 100)),
        Case("standard_error(0.994, 10_000)", float(np.sqrt(0.994 * 0.006 / 10_000)), args=(0.994, 10_000)),
        Case("standard_error(1.0, 50): a perfect score has no spread", 0.0, args=(1.0, 50)),
    ]  # fmt: skip


register(
    Reference(
        id="cnn-3-1",
        solution="import math\n\n"
        "def warmup_cosine(step, peak, warmup_steps, total_steps):\n"
        "    if step < warmup_steps:\n"
        "        return peak * step / warmup_steps\n"
        "    progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))\n"
        "    return 0.5 * peak * (1 + math.cos(math.pi * progress))",
        cases=_warmup_cosine_cases,
    ),
    Reference(
        id="cnn-3-2",
        solution="def batch_norm(x, gamma, beta, epsilon=1e-3):\n"
        "    x = np.asarray(x, dtype=float)\n"
        "    mean, variance = x.mean(axis=0), x.var(axis=0)\n"
        "    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta",
        cases=_batch_norm_cases,
    ),
    Reference(
        id="cnn-3-3",
        solution="import math\n\n"
        "def standard_error(accuracy, n):\n"
        "    return math.sqrt(accuracy * (1 - accuracy) / n)",
        cases=_standard_error_cases,
    ),
    Reference(
        id="cnn-3-4",
        solution="Flips create mirrored digits that never occur in the test set, so accuracy "
        "usually drops; augmentations must preserve the label (for street signs: shifts, small "
        "rotations, zoom, brightness, but no flips).",
    ),
)


# --------------------------------------------------------------------------- 4. Looking inside
def _correlate_cases() -> list[Case]:
    from scipy.signal import correlate2d

    rng = np.random.default_rng(41)
    image = rng.random((6, 5))
    kernel = rng.normal(size=(3, 2))
    return [
        Case(
            "a 3×3 image [[1, 2, 3], [4, 5, 6], [7, 8, 9]] with kernel [[1, 0], [0, -1]]",
            np.array([[-4.0, -4.0], [-4.0, -4.0]]),
            args=(np.arange(1, 10).reshape(3, 3), np.array([[1, 0], [0, -1]])),
        ),
        Case(
            "a random 6×5 image with a random 3×2 kernel (not flipped)",
            correlate2d(image, kernel, mode="valid"),
            args=(image, kernel),
        ),
    ]


def _receptive_field_cases() -> list[Case]:
    baseline = [(3, 1), (2, 2), (3, 1), (2, 2), (3, 1)]
    return [
        Case("one 3×3 convolution", 3, args=([(3, 1)],)),
        Case("two 3×3 convolutions", 5, args=([(3, 1), (3, 1)],)),
        Case("two 2×2 poolings with stride 2", 4, args=([(2, 2), (2, 2)],)),
        Case("the baseline up to conv3", 18, args=(baseline,)),
        Case("no layer at all", 1, args=([],)),
    ]


def _cam_reference(activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
    heat = np.maximum(np.tensordot(activations, gradients.mean(axis=(0, 1)), axes=1), 0.0)
    return heat / heat.max() if heat.max() > 0 else heat


def _cam_cases() -> list[Case]:
    rng = np.random.default_rng(43)
    activations = np.maximum(rng.normal(size=(4, 5, 3)), 0)
    gradients = rng.normal(size=(4, 5, 3))
    one = np.zeros((2, 2, 2))
    one[0, 0, 0] = 2.0
    one[1, 1, 1] = 1.0
    return [
        Case(
            "2×2 map, 2 channels, gradients +1 on channel 0 and -1 on channel 1",
            np.array([[1.0, 0.0], [0.0, 0.0]]),
            args=(one, np.stack([np.ones((2, 2)), -np.ones((2, 2))], axis=-1)),
        ),
        Case(
            "random 4×5×3 activations and gradients",
            _cam_reference(activations, gradients),
            args=(activations, gradients),
        ),
        Case(
            "all gradients negative on a positive map: all zeros, no division by zero",
            np.zeros((4, 5)),
            args=(np.abs(activations) + 1.0, -np.abs(gradients) - 1.0),
        ),
    ]


register(
    Reference(
        id="cnn-4-1",
        solution="def correlate_valid(image, kernel):\n"
        "    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)\n"
        "    kh, kw = kernel.shape\n"
        "    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))\n"
        "    for i in range(out.shape[0]):\n"
        "        for j in range(out.shape[1]):\n"
        "            out[i, j] = np.sum(image[i : i + kh, j : j + kw] * kernel)\n"
        "    return out",
        cases=_correlate_cases,
    ),
    Reference(
        id="cnn-4-2",
        solution="def receptive_field(layers):\n"
        "    size, jump = 1, 1\n"
        "    for kernel, stride in layers:\n"
        "        size += (kernel - 1) * jump\n"
        "        jump *= stride\n"
        "    return size",
        cases=_receptive_field_cases,
    ),
    Reference(
        id="cnn-4-3",
        solution="def cam(activations, gradients):\n"
        "    weights = np.asarray(gradients, dtype=float).mean(axis=(0, 1))\n"
        "    heat = np.maximum(np.asarray(activations, dtype=float) @ weights, 0.0)\n"
        "    peak = heat.max()\n"
        "    return heat / peak if peak > 0 else heat",
        cases=_cam_cases,
    ),
    Reference(
        id="cnn-4-4",
        solution="Occlusion needs one forward pass per patch position (144 for a 6×6 patch with "
        "stride 2 on 28×28); Grad-CAM one forward and one backward pass. Both highlight the "
        "distinctive strokes; occlusion works for any model.",
    ),
)


# --------------------------------------------------------------------------- 5. From model to product


def _input_problem_cases() -> list[Case]:
    good = np.full((2, 28, 28, 1), 0.5, np.float32)
    nan = good.copy()
    nan[0, 0, 0, 0] = np.nan
    bad = {
        "raw uint8 pixels": np.zeros((2, 28, 28, 1), np.uint8),
        "values up to 255.0": good * 510,
        "negative values": good - 1.0,
        "missing channel axis (2, 28, 28)": good[..., 0],
        "three channels": np.zeros((2, 28, 28, 3), np.float32),
        "empty batch (0, 28, 28, 1)": good[:0],
        "a NaN pixel": nan,
        "a Python list": [[0.0]],
    }
    cases = [
        Case("a valid float32 batch (2, 28, 28, 1) → None", True, args=(good,), compare=_none_or_text),
        Case("a valid float64 batch of zeros and ones → None", True,
             args=(np.stack([np.zeros((28, 28, 1)), np.ones((28, 28, 1))]),), compare=_none_or_text),
    ]  # fmt: skip
    cases += [
        Case(f"{name} → a message", False, args=(value,), compare=_none_or_text)
        for name, value in bad.items()
    ]
    return cases


def _size_cases() -> list[Case]:
    return [
        Case("size_mib(2**20) in float32", 4.0, args=(2**20,)),
        Case("size_mib(93_322, 'float16')", 93_322 * 2 / 2**20, args=(93_322, "float16")),
        Case("size_mib(1_000_000, 'int8')", 1_000_000 / 2**20, args=(1_000_000, "int8")),
    ]


register(
    Reference(
        id="cnn-5-1",
        solution="def input_problem(images):\n"
        "    if not isinstance(images, np.ndarray):\n"
        "        return f'expected a NumPy array, got {type(images).__name__}'\n"
        "    if images.ndim != 4 or images.shape[1:] != (28, 28, 1) or len(images) == 0:\n"
        "        return f'expected shape (n, 28, 28, 1), got {images.shape}'\n"
        "    if images.dtype.kind != 'f':\n"
        "        return f'expected floating-point pixels, got {images.dtype}'\n"
        "    if not np.isfinite(images).all():\n"
        "        return 'NaN or infinite values'\n"
        "    if images.min() < 0 or images.max() > 1:\n"
        "        return f'values must be in [0, 1], got {images.min()} to {images.max()}'\n"
        "    return None",
        cases=_input_problem_cases,
    ),
    Reference(
        id="cnn-5-2",
        solution="def size_mib(num_params, dtype='float32'):\n"
        "    return num_params * {'float32': 4, 'float16': 2, 'int8': 1}[dtype] / 2**20",
        cases=_size_cases,
    ),
    Reference(
        id="cnn-5-3",
        solution="Group by (labels, method) for the mean and the spread, and read each gap with "
        "compare on the seeds' per-example results (keep_correct=True, "
        "transfer.correct_by_seed). The pretrained base helps most with the fewest labels; "
        "the page's own run finds the methods level at 600 labels already, and a gap within "
        "the seed-to-seed spread is not evidence.",
    ),
)
