"""Exercises of Part 4, Applications (ids ``applications-<chapter>-<n>``): what a learner sees.

Each exercise's title, difficulty, minutes and hint, and its practice cases (public,
with expected values written out); the reference solutions and the hidden cases are
the instructor's (``authoring/instructor/applications.py``).
"""

from __future__ import annotations

import numpy as np

from .core import Case, Exercise, register


def _same_or_both_nan(got: object, expected: tuple[float, float]) -> bool:
    try:
        coverage, accuracy = (float(v) for v in got)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return False
    same_accuracy = (np.isnan(accuracy) and np.isnan(expected[1])) or np.isclose(
        accuracy, expected[1]
    )
    return bool(np.isclose(coverage, expected[0]) and same_accuracy)


def _practice_applications_1_1() -> list[Case]:
    return [
        Case(
            "temperature_softmax([2, 1, 0, -1], 1.0)",
            np.array(
                [0.6439142598879724, 0.23688281808991013, 0.08714431874203257, 0.03205860328008499],
                dtype="float64",
            ),
            args=(np.array([2.0, 1.0, 0.0, -1.0], dtype="float64"), 1.0),
        ),
        Case(
            "temperature_softmax([2, 1, 0, -1], 0.5) (sharper)",
            np.array(
                [
                    0.8649548767993754,
                    0.11705891323853293,
                    0.01584220117850692,
                    0.002144008783584634,
                ],
                dtype="float64",
            ),
            args=(np.array([2.0, 1.0, 0.0, -1.0], dtype="float64"), 0.5),
        ),
    ]


def _practice_applications_1_2() -> list[Case]:
    return [
        Case(
            "share_new(['ann', 'zed'], ['ann', 'bob'])", 0.5, args=(["ann", "zed"], ["ann", "bob"])
        ),
        Case(
            "share_new(['zed', 'zed', 'ann', 'amy'], ['ann'])",
            0.75,
            args=(["zed", "zed", "ann", "amy"], ["ann"]),
        ),
    ]


def _practice_applications_1_3() -> list[Case]:
    return [
        Case("block_parameters(64, 256)", 49984, args=(64, 256)),
        Case("block_parameters(8, 16)", 600, args=(8, 16)),
    ]


register(
    Exercise(
        id="applications-1-1",
        title="Softmax with a temperature",
        difficulty="easy",
        minutes=10,
        hint="Divide the logits by the temperature, subtract their maximum, exponentiate, "
        "divide by the sum. Check the temperature first.",
        cases=_practice_applications_1_1,
    ),
    Exercise(
        id="applications-1-2",
        title="How many samples are new?",
        difficulty="easy",
        minutes=10,
        hint="Turn `training` into a set once; then the mean of a list of booleans is a fraction.",
        cases=_practice_applications_1_2,
    ),
    Exercise(
        id="applications-1-3",
        title="Count the parameters of a block",
        difficulty="medium",
        minutes=15,
        hint="A dense layer from n to m inputs has n*m weights and m biases; a layer "
        "normalisation of width d has 2*d parameters.",
        cases=_practice_applications_1_3,
    ),
)


def _practice_applications_2_1() -> list[Case]:
    return [
        Case(
            "precision_recall([1, 1, 0, 0], [1, 0, 1, 0])",
            (0.5, 0.5),
            args=([1, 1, 0, 0], [1, 0, 1, 0]),
        ),
        Case(
            "precision_recall([1, 1, 1, 0], [1, 1, 0, 0])",
            (1.0, 0.6666666666666666),
            args=([1, 1, 1, 0], [1, 1, 0, 0]),
        ),
    ]


def _practice_applications_2_2() -> list[Case]:
    return [
        Case(
            "expected_cost([1, 0, 1, 0], [0, 1, 1, 0], 10, 1)",
            2.75,
            args=([1, 0, 1, 0], [0, 1, 1, 0], 10, 1),
        ),
        Case("expected_cost of a perfect filter", 0.0, args=([1, 0, 1], [1, 0, 1], 10, 1)),
    ]


register(
    Exercise(
        id="applications-2-1",
        title="Precision and recall by hand",
        difficulty="easy",
        minutes=10,
        hint="Count true positives, predicted positives and actual positives with boolean masks.",
        cases=_practice_applications_2_1,
    ),
    Exercise(
        id="applications-2-2",
        title="Expected cost of a filter",
        difficulty="easy",
        minutes=15,
        hint="False positives are ham (0) predicted as spam (1); false negatives the reverse. "
        "Divide the total cost by the number of messages.",
        cases=_practice_applications_2_2,
    ),
    Exercise(
        id="applications-2-3",
        title="What a random split hides",
        difficulty="medium",
        minutes=20,
        hint="Use a boolean mask from a seeded generator for the random split and reuse the "
        "TfidfVectorizer and LogisticRegression settings of the baseline.",
    ),
)


def _practice_applications_4_1() -> list[Case]:
    return [
        Case(
            "seasonal_forecast(1..10, 3, 4)",
            np.array([7.0, 8.0, 9.0], dtype="float64"),
            args=(
                np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], dtype="float64"),
                3,
                4,
            ),
        ),
        Case(
            "seasonal_forecast(1..10, 6, 4) (longer than a season)",
            np.array([7.0, 8.0, 9.0, 10.0, 7.0, 8.0], dtype="float64"),
            args=(
                np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], dtype="float64"),
                6,
                4,
            ),
        ),
    ]


def _practice_applications_4_2() -> list[Case]:
    return [
        Case("mape([100, 200], [110, 180])", 0.1, args=([100, 200], [110, 180])),
        Case("mape([1, 2, 4], [1, 2, 4]) (perfect)", 0.0, args=([1, 2, 4], [1, 2, 4])),
    ]


register(
    Exercise(
        id="applications-4-1",
        title="Seasonal naive by hand",
        difficulty="easy",
        minutes=10,
        hint="Take the last `season` values and repeat them until you have `horizon` of them "
        "(`np.resize` or `np.tile`).",
        cases=_practice_applications_4_1,
    ),
    Exercise(
        id="applications-4-2",
        title="MAPE and its trap",
        difficulty="easy",
        minutes=10,
        hint="Divide the absolute error by the absolute actual value, then average.",
        cases=_practice_applications_4_2,
    ),
    Exercise(
        id="applications-4-3",
        title="Leak the future on purpose",
        difficulty="medium",
        minutes=20,
        hint="`valid_origins(n, INPUT_LEN, HORIZON)` gives every origin; clone the network with "
        "`keras.models.clone_model` so it starts from fresh weights.",
    ),
)


def _practice_applications_5_1() -> list[Case]:
    return [
        Case(
            "user_recall([5, 3, 9, 1], {3, 1, 7}, 2)",
            0.3333333333333333,
            args=([5, 3, 9, 1], {1, 3, 7}, 2),
        ),
        Case(
            "user_recall([5, 3, 9, 1], {3, 1, 7}, 4)",
            0.6666666666666666,
            args=([5, 3, 9, 1], {1, 3, 7}, 4),
        ),
    ]


def _practice_applications_5_2() -> list[Case]:
    return [
        Case("user_ndcg([1, 2, 3], {1}, 3) (hit at the top)", 1.0, args=([1, 2, 3], {1}, 3)),
        Case(
            "user_ndcg([2, 1, 3], {1}, 3) (hit at rank 2)",
            0.6309297535714575,
            args=([2, 1, 3], {1}, 3),
        ),
    ]


register(
    Exercise(
        id="applications-5-1",
        title="Recall at k for one user",
        difficulty="easy",
        minutes=10,
        hint="Intersect the set of relevant items with the first k recommendations.",
        cases=_practice_applications_5_1,
    ),
    Exercise(
        id="applications-5-2",
        title="NDCG for one user",
        difficulty="medium",
        minutes=15,
        hint="Discount rank r (from 1) by 1 / log2(r + 1); the ideal list puts min(k, |relevant|) "
        "hits first.",
        cases=_practice_applications_5_2,
    ),
    Exercise(
        id="applications-5-3",
        title="Onboarding a new user",
        difficulty="hard",
        minutes=25,
        hint="Read the item vectors with `mf.get_layer('items').get_weights()[0]`; a new user's "
        "vector can be the mean of the vectors of the films they picked.",
    ),
)


def _practice_applications_3_1() -> list[Case]:
    return [
        Case(
            "ece([0.7] * 10, 7 right and 3 wrong, 10) (calibrated)",
            0.0,
            args=(
                np.full((10,), 0.7, dtype="float64"),
                np.array(
                    [True, True, True, True, True, True, True, False, False, False], dtype="bool"
                ),
                10,
            ),
        ),
        Case(
            "ece([0.95, 0.95, 0.15], [True, False, True], 10)",
            0.5833333333333334,
            args=(
                np.array([0.95, 0.95, 0.15], dtype="float64"),
                np.array([True, False, True], dtype="bool"),
                10,
            ),
        ),
    ]


def _practice_applications_3_2() -> list[Case]:
    return [
        Case(
            "selective(conf, right, 0.5)",
            (0.75, 0.6666666666666666),
            args=(
                np.array([0.9, 0.6, 0.99, 0.3], dtype="float64"),
                np.array([True, False, True, False], dtype="bool"),
                0.5,
            ),
            compare=_same_or_both_nan,
        ),
        Case(
            "selective(conf, right, 0.9) (threshold inclusive)",
            (0.5, 1.0),
            args=(
                np.array([0.9, 0.6, 0.99, 0.3], dtype="float64"),
                np.array([True, False, True, False], dtype="bool"),
                0.9,
            ),
            compare=_same_or_both_nan,
        ),
    ]


register(
    Exercise(
        id="applications-3-1",
        title="Expected calibration error",
        difficulty="medium",
        minutes=15,
        hint="Compute each confidence's bin index with np.ceil, clip it to 0..B-1, then add "
        "n_b * |accuracy_b - confidence_b| over the non-empty bins and divide by n.",
        cases=_practice_applications_3_1,
    ),
    Exercise(
        id="applications-3-2",
        title="Coverage and accuracy at a threshold",
        difficulty="easy",
        minutes=10,
        hint="A boolean mask `confidences >= threshold` gives both numbers: its mean, and the "
        "mean of `correct` where it is true.",
        cases=_practice_applications_3_2,
    ),
    Exercise(
        id="applications-3-3",
        title="Other foreign inputs",
        difficulty="medium",
        minutes=20,
        hint="Reuse `softmax(model.predict(images), temperature).max(axis=1) >= threshold`.",
    ),
)


# --------------------------------------------------------------------------- 6. Fine-tuning with low-rank adapters
def _practice_applications_6_1() -> list[Case]:
    return [
        Case("lora_parameters(64, 256, 1)", 320, args=(64, 256, 1)),
        Case("lora_parameters(64, 256, 16)", 5120, args=(64, 256, 16)),
    ]


def _practice_applications_6_2() -> list[Case]:
    w, a, b = np.eye(2), np.array([[1.0, 2.0]]), np.array([[1.0], [0.0]])
    return [
        Case(
            "merge_update(eye(2), a=[[1, 2]], b=[[1], [0]], alpha=2.0)",
            np.array([[3.0, 4.0], [0.0, 1.0]]),
            args=(w, a, b, 2.0),
        ),
        Case(
            "merge_update(eye(2), a=[[1, 2]], b=[[0], [0]], alpha=2.0) (B = 0 changes nothing)",
            np.eye(2),
            args=(w, a, np.zeros((2, 1)), 2.0),
        ),
    ]


def _practice_applications_6_3() -> list[Case]:
    return [
        Case(
            "adapter_bytes([(64, 256), (256, 64)], 4, 4)",
            10240,
            args=([(64, 256), (256, 64)], 4, 4),
        ),
        Case("adapter_bytes([(64, 256)], 1) (bfloat16 by default)", 640, args=([(64, 256)], 1)),
    ]


# --------------------------------------------------------------------------- 7. Retrieval-augmented generation
def _practice_applications_7_1() -> list[Case]:
    return [
        Case("recall_and_mrr([1, 3, 7, 2, 50], 5)", (0.6, 0.3992380952380952), args=(np.array([1, 3, 7, 2, 50]), 5)),
        Case("recall_and_mrr([4, 4], 3) (no hit)", (0.0, 0.25), args=(np.array([4, 4]), 3)),
    ]  # fmt: skip


def _practice_applications_7_2() -> list[Case]:
    words = ["a", "b", "c", "d", "e", "f", "g"]
    return [
        Case(f"overlapping_windows({words}, 3, 2)", [["a", "b", "c"], ["c", "d", "e"], ["e", "f", "g"]], args=(words, 3, 2)),
        Case(f"overlapping_windows({words}, 10, 4) (one window)", [words], args=(words, 10, 4)),
    ]  # fmt: skip


register(
    Exercise(
        id="applications-6-1",
        title="Count an adapter",
        difficulty="easy",
        minutes=10,
        hint="A is r x d_in and B is d_out x r: add their sizes.",
        cases=_practice_applications_6_1,
    ),
    Exercise(
        id="applications-6-2",
        title="Merge an adapter",
        difficulty="easy",
        minutes=10,
        hint="The rank is a.shape[0]; the update is (alpha / rank) * b @ a, the shape of w.",
        cases=_practice_applications_6_2,
    ),
    Exercise(
        id="applications-6-3",
        title="The size of an adapter file",
        difficulty="easy",
        minutes=10,
        hint="Sum rank * (d_in + d_out) over the shapes, then multiply by the bytes per weight.",
        cases=_practice_applications_6_3,
    ),
    Exercise(
        id="applications-7-1",
        title="Recall@k and MRR from ranks",
        difficulty="easy",
        minutes=10,
        hint="A hit is a rank of at most k; the mean of booleans is a share. MRR is the mean "
        "of 1 / rank.",
        cases=_practice_applications_7_1,
    ),
    Exercise(
        id="applications-7-2",
        title="Chunks that overlap",
        difficulty="medium",
        minutes=15,
        hint="Start a window at 0, stride, 2·stride, ... and stop after the first window that "
        "reaches the last word.",
        cases=_practice_applications_7_2,
    ),
    Exercise(
        id="applications-7-3",
        title="Put the question back",
        difficulty="medium",
        minutes=15,
        hint="`dataclasses.replace(section, heading=question.text)` makes the new section; "
        "build the chunks, fit BM25 and compute the ranks as in the chapter.",
    ),
)
