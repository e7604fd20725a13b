"""Exercises of Part 1, Concepts (ids ``concepts-<chapter>-<n>``): what a learner sees.

Each exercise's title, difficulty, minutes and hint, and its practice cases (public,
with expected values written out); the reference solutions and the hidden cases are
the instructor's (``authoring/instructor/concepts.py``).
"""

from __future__ import annotations

import numpy as np

from .core import Case, Exercise, register

# A value answer's practice case checks its form only: its expected value would be the
# answer itself. The graded version checks the value (authoring/instructor/concepts.py).
_VALUE_CHECKED_LATER = "its value is checked by the graded version; the book's solution shows it"


def _positive_number(got: object, expected: str) -> bool:
    return isinstance(got, (int, float, np.number)) and not isinstance(got, bool) and got > 0


def _gigabytes_and_gpus(got: object, expected: str) -> bool:
    return (
        isinstance(got, tuple)
        and len(got) == 2
        and _positive_number(got[0], expected)
        and isinstance(got[1], (int, np.integer))
        and got[1] >= 1
    )


def _practice_concepts_1_1() -> list[Case]:
    return [
        Case("conv2d_params(3, 1, 32)", 320, args=(3, 1, 32)),
        Case("conv2d_params(3, 32, 64)", 18496, args=(3, 32, 64)),
    ]


def _practice_concepts_1_2() -> list[Case]:
    return [
        Case("block_params(64, 256)", 49984, args=(64, 256)),
    ]


def _practice_concepts_1_3() -> list[Case]:
    return [
        Case(f"the answer is a pair (gigabytes, whole number of GPUs); {_VALUE_CHECKED_LATER}",
             "(a positive number, an int of at least 1)", compare=_gigabytes_and_gpus),
    ]  # fmt: skip


register(
    Exercise(
        id="concepts-1-1",
        title="Count a convolution",
        difficulty="easy",
        minutes=5,
        hint="One kernel of kernel_size × kernel_size weights for every (input channel, output channel) pair, plus one bias per output channel.",
        cases=_practice_concepts_1_1,
    ),
    Exercise(
        id="concepts-1-2",
        title="Count a Transformer block",
        difficulty="medium",
        minutes=15,
        hint="Attention: four d×d matrices with biases. Feed-forward: dense d→d_ff and d_ff→d, with biases. Each of the two layer norms: a scale and a shift per feature.",
        cases=_practice_concepts_1_2,
    ),
    Exercise(
        id="concepts-1-3",
        title="Fine-tune a 13B model",
        difficulty="easy",
        minutes=5,
        hint="Mixed-precision Adam: 2 + 2 bytes for 16-bit weights and gradients, 12 bytes for the float32 master weights and two moments. Round the GPU count up.",
        cases=_practice_concepts_1_3,
        answer="value",
    ),
    Exercise(
        id="concepts-1-4",
        title="Few parameters, many activations",
        difficulty="medium",
        minutes=10,
        hint="A convolution's kernel is shared by all positions; its output has one value per position and channel.",
    ),
)


def _practice_concepts_3_1() -> list[Case]:
    return [
        Case(
            "days_to_train(1e9, 2e10, 10, 1e14, 0.5)",
            2.7777777777777777,
            args=(1e09, 2e10, 10, 1e14, 0.5),
        ),
    ]


def _practice_concepts_3_2() -> list[Case]:
    return [
        Case("optimal_params(5.88e23)", 7e10, args=(5.88e23,)),
    ]


def _practice_concepts_3_3() -> list[Case]:
    return [
        Case(f"the answer is one positive number; {_VALUE_CHECKED_LATER}", "a positive number",
             compare=_positive_number),
    ]  # fmt: skip


register(
    Exercise(
        id="concepts-3-1",
        title="Days to train",
        difficulty="easy",
        minutes=10,
        hint="Training FLOPs are 6·N·D; the cluster delivers num_gpus · peak · mfu FLOPs per second; a day has 86,400 seconds.",
        cases=_practice_concepts_3_1,
    ),
    Exercise(
        id="concepts-3-2",
        title="The compute-optimal size",
        difficulty="medium",
        minutes=10,
        hint="Substitute D = r·N into C = 6·N·D and solve for N.",
        cases=_practice_concepts_3_2,
    ),
    Exercise(
        id="concepts-3-3",
        title="GPT-3 on V100s",
        difficulty="easy",
        minutes=5,
        hint="GPU-hours = 6·N·D / (peak · MFU) / 3600, with the V100's 125e12 FLOP/s.",
        cases=_practice_concepts_3_3,
        answer="value",
    ),
    Exercise(
        id="concepts-3-4",
        title="Which assumption matters most?",
        difficulty="medium",
        minutes=15,
        hint="Write the cost as one formula: which inputs multiply it and which divide it?",
    ),
)


def _practice_concepts_4_1() -> list[Case]:
    return [
        Case("a plain valid reply", True, args=('{"category": "bug", "urgent": false}',)),
        Case("prose without JSON", False, args=("This is a bug, not urgent.",)),
    ]


def _practice_concepts_4_2() -> list[Case]:
    return [
        Case("gpus_needed(2e9, 7e9, 312e12, 0.4)", 3, args=(2e09, 7e09, 3.12e14, 0.4)),
        Case("gpus_needed(8.64e8, 1e9, 1e14, 0.15)", 2, args=(8.64e08, 1e09, 1e14, 0.15)),
    ]


register(
    Exercise(
        id="concepts-4-1",
        title="Accept or reject",
        difficulty="medium",
        minutes=10,
        hint="Catch ReplyError from parse_json_reply; then check the type of 'urgent' yourself (in Python, 1 == True).",
        cases=_practice_concepts_4_1,
    ),
    Exercise(
        id="concepts-4-2",
        title="How many GPUs?",
        difficulty="easy",
        minutes=10,
        hint="Tokens per second = tokens_per_day / 86,400; FLOPs per second = that × 2N; divide by one GPU's peak × utilisation and round up (math.ceil).",
        cases=_practice_concepts_4_2,
    ),
    Exercise(
        id="concepts-4-3",
        title="Choose a route",
        difficulty="hard",
        minutes=20,
        hint="Start from volume (how many tokens a month), then ask whether the data may leave the customer, then compare upfront and running costs in the tables.",
    ),
)


def _practice_concepts_2_1() -> list[Case]:
    import pandas as pd

    return [
        Case(
            "25 labels, one seed: 0.85 - 0.70",
            0.15,
            args=(
                pd.DataFrame(
                    {
                        "labels": [25, 25, 25, 500, 500, 500],
                        "method": [
                            "from scratch",
                            "frozen base",
                            "fine-tuned base",
                            "from scratch",
                            "frozen base",
                            "fine-tuned base",
                        ],
                        "seed": [0, 0, 0, 0, 0, 0],
                        "test_accuracy": [0.7, 0.8, 0.85, 0.95, 0.94, 0.97],
                    }
                ),
                25,
            ),
        ),
    ]


def _practice_concepts_2_2() -> list[Case]:
    return [
        Case(f"the answer is one positive number; {_VALUE_CHECKED_LATER}", "a positive number",
             compare=_positive_number),
    ]  # fmt: skip


register(
    Exercise(
        id="concepts-2-1",
        title="The gain of pretraining",
        difficulty="easy",
        minutes=10,
        hint="Filter the rows with table['labels'] == labels, then groupby('method')['test_accuracy'].mean().",
        cases=_practice_concepts_2_1,
    ),
    Exercise(
        id="concepts-2-2",
        title="Pretraining versus fine-tuning compute",
        difficulty="easy",
        minutes=5,
        hint="Both runs cost 6·N FLOPs per token seen; count the fine-tuning tokens over all epochs.",
        cases=_practice_concepts_2_2,
        answer="value",
    ),
    Exercise(
        id="concepts-2-3",
        title="Does it transfer the other way?",
        difficulty="hard",
        minutes=25,
        hint="Reuse task(), build_baseline, train and compare_label_budgets; change only which data pretrains the base.",
    ),
)
