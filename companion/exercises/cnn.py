"""Exercises of Part 3, the CNN project (ids ``cnn-<chapter>-<n>``): what a learner sees.

Each exercise's title, difficulty, minutes and hint, and its practice cases (public,
with expected values written out); the reference solutions and the hidden cases are
the instructor's (``authoring/instructor/cnn.py``).
"""

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


def _close_pair(got: Any, expected: tuple[float, float]) -> bool:
    try:
        values = [float(v) for v in got]
    except (TypeError, ValueError):
        return False
    return len(values) == 2 and bool(np.allclose(values, expected))


def _within_1e7(got: Any, expected: float) -> bool:
    return abs(float(got) - expected) < 1e-7


def _none_or_text(got: Any, expected: bool) -> bool:
    return got is None if expected else isinstance(got, str) and bool(got)


def _practice_cnn_1_1() -> list[Case]:
    return [
        Case(
            "train [0, 2] and test [4]: mean 1 and std 1 come from train only",
            (np.array([-1.0, 1.0], dtype="float32"), np.array([3.0], dtype="float32")),
            args=(np.array([0, 2], dtype="uint8"), np.array([4], dtype="uint8")),
            compare=_pair_of_float32,
        ),
    ]


def _practice_cnn_1_2() -> list[Case]:
    return [
        Case(
            "two 1×2 images of class 0, all 0 and all 255: each is sqrt(2)/2 from the mean",
            np.array(
                [0.7071067811865476, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], dtype="float64"
            ),
            args=(
                np.array([[[0, 0]], [[255, 255]]], dtype="uint8"),
                np.full((2,), 0, dtype="int64"),
            ),
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
        cases=_practice_cnn_1_1,
    ),
    Exercise(
        id="cnn-1-2",
        title="Which class is least like its average?",
        difficulty="medium",
        minutes=15,
        hint="Reshape to (n, pixels) and divide by 255; for each class subtract its mean row "
        "and take np.linalg.norm(..., axis=1).mean().",
        cases=_practice_cnn_1_2,
    ),
    Exercise(
        id="cnn-1-3",
        title="A shuffle buffer that is too small",
        difficulty="easy",
        minutes=10,
        hint="Sort with np.argsort(y_train, kind='stable'), shuffle(1000, seed=0), batch(64), "
        "and look at np.unique of the first and last batch.",
    ),
)


def _practice_cnn_2_1() -> list[Case]:
    return [
        Case("conv_output_size(28, 3): the baseline's first layer", 26, args=(28, 3)),
        Case("conv_output_size(13, 2, 2): 2×2 pooling rounds down", 6, args=(13, 2, 2)),
    ]


def _practice_cnn_2_2() -> list[Case]:
    return [
        Case("conv_params(3, 1, 32): the baseline's first layer", 320, args=(3, 1, 32)),
    ]


def _practice_cnn_2_3() -> list[Case]:
    return [
        Case(
            "3×3 matrix [[5, 1, 0], [2, 7, 1], [0, 3, 9]], class 1",
            (0.6363636363636364, 0.7),
            args=(np.array([[5, 1, 0], [2, 7, 1], [0, 3, 9]], dtype="int64"), 1),
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
        cases=_practice_cnn_2_1,
    ),
    Exercise(
        id="cnn-2-2",
        title="Count the parameters",
        difficulty="easy",
        minutes=10,
        hint="One kernel of kernel×kernel weights per input channel, for each filter, "
        "plus one bias per filter.",
        cases=_practice_cnn_2_2,
    ),
    Exercise(
        id="cnn-2-3",
        title="Precision and recall from the confusion matrix",
        difficulty="medium",
        minutes=10,
        hint="matrix[k, k] is the true positives; the column k sums all predictions of k, "
        "the row k all images that truly are k.",
        cases=_practice_cnn_2_3,
    ),
    Exercise(
        id="cnn-2-4",
        title="Is the test set being used only once?",
        difficulty="medium",
        minutes=10,
        hint="Think of the best of twenty noisy measurements: is it an unbiased estimate?",
    ),
)


def _practice_cnn_3_1() -> list[Case]:
    return [
        Case(
            "warmup_cosine(0, 0.01, 10, 100), compared with keras CosineDecay",
            0.0,
            args=(0, 0.01, 10, 100),
            compare=_within_1e7,
        ),
        Case(
            "warmup_cosine(5, 0.01, 10, 100), compared with keras CosineDecay",
            0.004999999888241291,
            args=(5, 0.01, 10, 100),
            compare=_within_1e7,
        ),
    ]


def _practice_cnn_3_2() -> list[Case]:
    return [
        Case(
            "x = [[0], [2]] with gamma 1, beta 0: about [[-1], [1]]",
            np.array([[-0.9995003746877732], [0.9995003746877732]], dtype="float64"),
            args=(np.array([[0.0], [2.0]], dtype="float64"), 1.0, 0.0),
        ),
    ]


def _practice_cnn_3_3() -> list[Case]:
    return [
        Case("standard_error(0.5, 100)", 0.05, args=(0.5, 100)),
    ]


register(
    Exercise(
        id="cnn-3-1",
        title="The schedule by hand",
        difficulty="medium",
        minutes=15,
        hint="Two cases: before warmup_steps a straight line from 0 to peak; after it, "
        "0.5 * peak * (1 + cos(pi * progress)) with progress going from 0 to 1.",
        cases=_practice_cnn_3_1,
    ),
    Exercise(
        id="cnn-3-2",
        title="Batch normalization by hand",
        difficulty="medium",
        minutes=15,
        hint="Mean and variance over axis 0 (the batch), per feature; np.var is the biased variance.",
        cases=_practice_cnn_3_2,
    ),
    Exercise(
        id="cnn-3-3",
        title="Is the difference real?",
        difficulty="easy",
        minutes=15,
        hint="Each test image is a coin flip that comes up 'correct' with probability a.",
        cases=_practice_cnn_3_3,
    ),
    Exercise(
        id="cnn-3-4",
        title="Flips for digits?",
        difficulty="medium",
        minutes=15,
        hint="Build the model with models.build_improved(**recipe_model, flip=True) and train "
        "it exactly like the small ablation.",
    ),
)


def _practice_cnn_4_1() -> list[Case]:
    return [
        Case(
            "a 3×3 image [[1, 2, 3], [4, 5, 6], [7, 8, 9]] with kernel [[1, 0], [0, -1]]",
            np.full((2, 2), -4.0, dtype="float64"),
            args=(
                np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], dtype="int64"),
                np.array([[1, 0], [0, -1]], dtype="int64"),
            ),
        ),
    ]


def _practice_cnn_4_2() -> list[Case]:
    return [
        Case("one 3×3 convolution", 3, args=([(3, 1)],)),
        Case("two 3×3 convolutions", 5, args=([(3, 1), (3, 1)],)),
    ]


def _practice_cnn_4_3() -> list[Case]:
    return [
        Case(
            "2×2 map, 2 channels, gradients +1 on channel 0 and -1 on channel 1",
            np.array([[1.0, 0.0], [0.0, 0.0]], dtype="float64"),
            args=(
                np.array([[[2.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 1.0]]], dtype="float64"),
                np.array([[[1.0, -1.0], [1.0, -1.0]], [[1.0, -1.0], [1.0, -1.0]]], dtype="float64"),
            ),
        ),
    ]


register(
    Exercise(
        id="cnn-4-1",
        title="A convolution by hand",
        difficulty="easy",
        minutes=15,
        hint="The output is (H - kh + 1) × (W - kw + 1); each entry is the sum of the "
        "element-wise product of the kernel with the window starting there.",
        cases=_practice_cnn_4_1,
    ),
    Exercise(
        id="cnn-4-2",
        title="How far does a unit see?",
        difficulty="medium",
        minutes=10,
        hint="Keep two numbers, the receptive field r and the jump j between neighbouring "
        "units in input pixels; update r before j.",
        cases=_practice_cnn_4_2,
    ),
    Exercise(
        id="cnn-4-3",
        title="Grad-CAM from arrays",
        difficulty="medium",
        minutes=15,
        hint="Average the gradients over height and width to get one weight per channel, "
        "take the weighted sum over channels, clip at 0, divide by the maximum if positive.",
        cases=_practice_cnn_4_3,
    ),
    Exercise(
        id="cnn-4-4",
        title="Occlusion: a model-agnostic check",
        difficulty="hard",
        minutes=20,
        hint="Build all occluded copies of one image as a single batch and call predict once; "
        "the drop is the original probability minus the occluded one.",
    ),
)


def _practice_cnn_5_1() -> list[Case]:
    return [
        Case(
            "a valid float32 batch (2, 28, 28, 1) → None",
            True,
            args=(np.full((2, 28, 28, 1), 0.5, dtype="float32"),),
            compare=_none_or_text,
        ),
        Case(
            "raw uint8 pixels → a message",
            False,
            args=(np.full((2, 28, 28, 1), 0, dtype="uint8"),),
            compare=_none_or_text,
        ),
    ]


def _practice_cnn_5_2() -> list[Case]:
    return [
        Case("size_mib(2**20) in float32", 4.0, args=(1048576,)),
    ]


register(
    Exercise(
        id="cnn-5-1",
        title="Write the guard yourself",
        difficulty="medium",
        minutes=15,
        hint="Test in order: is it an ndarray, is the shape (n, 28, 28, 1) with n >= 1, is "
        "dtype.kind 'f', are all values finite, are they within [0, 1].",
        cases=_practice_cnn_5_1,
    ),
    Exercise(
        id="cnn-5-2",
        title="How big is the model?",
        difficulty="easy",
        minutes=10,
        hint="Bytes per parameter: 4 for float32, 2 for float16, 1 for int8; one MiB is 2**20 bytes.",
        cases=_practice_cnn_5_2,
    ),
    Exercise(
        id="cnn-5-3",
        title="When does transfer stop paying?",
        difficulty="hard",
        minutes=30,
        hint="Pass seeds=(0, 1, 2) and group the table by labels and method; compare the "
        "difference of means with the standard deviations.",
    ),
)
