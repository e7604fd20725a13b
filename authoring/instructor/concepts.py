"""Exercises of Part 1, Concepts (ids ``concepts-<chapter>-<n>``): reference solutions and every case.

``cases`` is every case the autograder runs: the practice cases (written out in
``companion/exercises/concepts.py``, which a learner sees) and the hidden ones.
"""

from __future__ import annotations

from companion.exercises import Case

from .store import Reference, register

# ----------------------------------------------------------------- 1. What a large model is


def _conv_cases() -> list[Case]:
    # k·k·c_in·c_out + c_out, worked by hand
    return [
        Case("conv2d_params(3, 1, 32)", 320, args=(3, 1, 32)),  # 9·32 + 32
        Case("conv2d_params(3, 32, 64)", 18_496, args=(3, 32, 64)),  # 9·2048 + 64
        Case("conv2d_params(5, 3, 16)", 1_216, args=(5, 3, 16)),  # 25·48 + 16
        Case("conv2d_params(1, 64, 10)", 650, args=(1, 64, 10)),  # 640 + 10
    ]


def _block_cases() -> list[Case]:
    # 4(d² + d) + (2·d·d_ff + d_ff + d) + 4d, worked by hand
    return [
        Case("block_params(64, 256)", 49_984, args=(64, 256)),  # 16,640 + 33,088 + 256
        Case("block_params(128, 512)", 198_272, args=(128, 512)),  # 66,048 + 131,712 + 512
        Case("block_params(8, 8)", 464, args=(8, 8)),  # 288 + 144 + 32
    ]


def _finetune_cases() -> list[Case]:
    # 13e9 parameters × 16 bytes = 208 GB; ceil(208 / 80) = 3 GPUs
    return [Case("(gigabytes, gpus) for a 13B model, mixed-precision Adam", (208.0, 3))]


register(
    Reference(
        id="concepts-1-1",
        solution="def conv2d_params(kernel_size, in_channels, out_channels):\n"
        "    return kernel_size * kernel_size * in_channels * out_channels + out_channels",
        cases=_conv_cases,
    ),
    Reference(
        id="concepts-1-2",
        solution="def block_params(d_model, d_ff):\n"
        "    attention = 4 * (d_model * d_model + d_model)\n"
        "    feed_forward = 2 * d_model * d_ff + d_ff + d_model\n"
        "    norms = 2 * 2 * d_model\n"
        "    return attention + feed_forward + norms",
        cases=_block_cases,
    ),
    Reference(
        id="concepts-1-3",
        solution="import math\n\n"
        "from companion import compute\n\n"
        "gigabytes = compute.mixed_precision_training_bytes(13e9) / 1e9\n"
        "answer = (gigabytes, math.ceil(gigabytes / 80))",
        cases=_finetune_cases,
    ),
    Reference(
        id="concepts-1-4",
        solution="Convolution parameters do not depend on the image size, activations do (one per "
        "position and channel). At 56×56 the conv parameters stay, the activations roughly "
        "quadruple, and the final dense layer grows to 12·12·64·10 + 10 parameters.",
    ),
)

# ----------------------------------------------------------------- 3. Compute and cost


def _days_cases() -> list[Case]:
    # 6·N·D / (gpus · peak · mfu) / 86,400, worked by hand
    return [
        # 6·1e9·2e10 = 1.2e20; / (10·1e14·0.5 = 5e14) = 240,000 s = 2.7778 days
        Case("days_to_train(1e9, 2e10, 10, 1e14, 0.5)", 240_000 / 86_400, args=(1e9, 2e10, 10, 1e14, 0.5)),
        # 8.4e23 / (2048·312e12·0.4 = 2.555904e17) = 3,286,508.6 s = 38.038 days
        Case("days_to_train(70e9, 2e12, 2048, 312e12, 0.4)", 8.4e23 / 2.555904e17 / 86_400,
             args=(70e9, 2e12, 2048, 312e12, 0.4)),
        # 6·1e6·1e6 = 6e12; / (1·1e12·1.0) = 6 s
        Case("days_to_train(1e6, 1e6, 1, 1e12, 1.0)", 6 / 86_400, args=(1e6, 1e6, 1, 1e12, 1.0)),
    ]  # fmt: skip


def _optimal_cases() -> list[Case]:
    # N = sqrt(C / (6·r))
    return [
        Case("optimal_params(5.88e23)", 70e9, args=(5.88e23,)),  # sqrt(4.9e21)
        Case("optimal_params(1.2e22)", 1e10, args=(1.2e22,)),  # sqrt(1e20)
        Case("optimal_params(6e20, tokens_per_parameter=100)", 1e9, args=(6e20,),
             kwargs={"tokens_per_parameter": 100}),  # sqrt(6e20 / 600) = sqrt(1e18)
    ]  # fmt: skip


def _gpt3_cases() -> list[Case]:
    # 6·175e9·300e9 = 3.15e23 FLOPs; / (125e12 · 0.213 = 2.6625e13 FLOP/s) = 1.18310e10 s
    return [Case("V100-hours of GPT-3 at 21.3% MFU", 3.15e23 / 2.6625e13 / 3600)]


register(
    Reference(
        id="concepts-3-1",
        solution="def days_to_train(num_params, num_tokens, num_gpus, peak_flops_per_s, mfu):\n"
        "    seconds = 6 * num_params * num_tokens / (num_gpus * peak_flops_per_s * mfu)\n"
        "    return seconds / 86_400",
        cases=_days_cases,
    ),
    Reference(
        id="concepts-3-2",
        solution="import math\n"
        "def optimal_params(flops, tokens_per_parameter=20):\n"
        "    return math.sqrt(flops / (6 * tokens_per_parameter))",
        cases=_optimal_cases,
    ),
    Reference(
        id="concepts-3-3",
        solution="from companion import compute\n\n"
        "answer = compute.gpu_hours(\n"
        "    compute.training_flops(175e9, 300e9), compute.V100_SXM2.peak_flops_per_s, 0.213\n"
        ")",
        cases=_gpt3_cases,
    ),
    Reference(
        id="concepts-3-4",
        solution="Cost ∝ price / (peak · MFU): halving the price halves it, halving the MFU doubles it; "
        "an H100 (about 3.2× the A100's peak) wins when its hourly price is below 3.2× the "
        "A100's. The team controls MFU and, partly, price. Left out: failed and exploratory "
        "runs, data, evaluation, storage, networking, staff.",
    ),
)

# ----------------------------------------------------------------- 4. From prompt to product


def _reply_cases() -> list[Case]:
    good = '{"category": "bug", "urgent": false}'
    return [
        Case("a plain valid reply", True, args=(good,)),
        Case("a valid reply in a ```json code fence with prose around it", True,
             args=(f"Sure.\n```json\n{good}\n```\nAnything else?",)),
        Case("prose without JSON", False, args=("This is a bug, not urgent.",)),
        Case("an unknown category", False, args=('{"category": "login", "urgent": true}',)),
        Case("a missing 'urgent' key", False, args=('{"category": "billing"}',)),
        Case("'urgent' is the string \"yes\"", False, args=('{"category": "billing", "urgent": "yes"}',)),
        Case("'urgent' is the number 1, not a boolean", False, args=('{"category": "account", "urgent": 1}',)),
        Case("single-quoted pseudo-JSON", False, args=("{'category': 'bug', 'urgent': false}",)),
        Case("extra keys are allowed", True,
             args=('{"category": "other", "urgent": true, "reason": "refund"}',)),
    ]  # fmt: skip


def _gpus_cases() -> list[Case]:
    # ceil(tokens/day / 86,400 · 2N / (peak · u)), worked by hand
    return [
        # 2e9/86,400 = 23,148.1 tokens/s · 1.4e10 = 3.2407e14 FLOP/s; / 1.248e14 = 2.597 -> 3
        Case("gpus_needed(2e9, 7e9, 312e12, 0.4)", 3, args=(2e9, 7e9, 312e12, 0.4)),
        # 8.64e8/86,400 = 1e4 tokens/s · 2e9 = 2e13; / (1e14 · 0.15 = 1.5e13) = 1.33 -> 2
        Case("gpus_needed(8.64e8, 1e9, 1e14, 0.15)", 2, args=(8.64e8, 1e9, 1e14, 0.15)),
        # 1e4 tokens/s · 1.4e11 = 1.4e15; / (1e15 · 0.1 = 1e14) = 14 -> 14
        Case("gpus_needed(8.64e8, 70e9, 1e15, 0.1)", 14, args=(8.64e8, 70e9, 1e15, 0.1)),
        # a trickle of traffic still needs one GPU
        Case("gpus_needed(1000, 7e9, 312e12, 0.4)", 1, args=(1000, 7e9, 312e12, 0.4)),
    ]  # fmt: skip


register(
    Reference(
        id="concepts-4-1",
        solution="from companion.prompts import ReplyError, parse_json_reply\n"
        'CATEGORIES = ["billing", "bug", "account", "other"]\n'
        "def is_valid_reply(reply):\n"
        "    try:\n"
        '        parsed = parse_json_reply(reply, ["category", "urgent"], choices={"category": CATEGORIES})\n'
        "    except ReplyError:\n"
        "        return False\n"
        '    return isinstance(parsed["urgent"], bool)',
        cases=_reply_cases,
    ),
    Reference(
        id="concepts-4-2",
        solution="import math\n"
        "def gpus_needed(tokens_per_day, num_params, peak_flops_per_s, utilisation):\n"
        "    flops_per_s = tokens_per_day / 86_400 * 2 * num_params\n"
        "    return math.ceil(flops_per_s / (peak_flops_per_s * utilisation))",
        cases=_gpus_cases,
    ),
    Reference(
        id="concepts-4-3",
        solution="One reasonable answer: B2B, adapting an open model on the hospitals' own data and "
        "serving it on premises. Volume is modest, medical data usually may not leave the "
        "hospital, fine-tuning is cheap in GPU time; labelled data, clinical validation and "
        "approval are the real costs. Change of mind: a certified API provider, or a much "
        "larger market.",
    ),
)

# ----------------------------------------------------------------- 2. Pretraining and fine-tuning


def _gain_cases() -> list[Case]:
    import pandas as pd

    def table(rows: list[tuple[int, str, int, float]]) -> pd.DataFrame:
        return pd.DataFrame(rows, columns=["labels", "method", "seed", "test_accuracy"])

    one_seed = table(
        [
            (25, "from scratch", 0, 0.70),
            (25, "frozen base", 0, 0.80),
            (25, "fine-tuned base", 0, 0.85),
            (500, "from scratch", 0, 0.95),
            (500, "frozen base", 0, 0.94),
            (500, "fine-tuned base", 0, 0.97),
        ]
    )
    two_seeds = table(
        [
            (50, "from scratch", 0, 0.60),
            (50, "fine-tuned base", 0, 0.90),
            (50, "from scratch", 1, 0.80),
            (50, "fine-tuned base", 1, 0.70),
            (100, "from scratch", 0, 0.99),
            (100, "fine-tuned base", 0, 0.10),
        ]
    )
    return [
        Case("25 labels, one seed: 0.85 - 0.70", 0.15, args=(one_seed, 25)),
        Case("500 labels, one seed: 0.97 - 0.95", 0.02, args=(one_seed, 500)),
        Case("50 labels, two seeds: mean(0.9, 0.7) - mean(0.6, 0.8)", 0.10, args=(two_seeds, 50)),
    ]  # fmt: skip


def _ratio_cases() -> list[Case]:
    # 6N cancels: 2e12 / (3 · 50,000 · 1,000 = 1.5e8) = 13,333.3
    return [Case("pretraining / fine-tuning compute", 2e12 / 1.5e8)]


register(
    Reference(
        id="concepts-2-1",
        solution="def transfer_gain(table, labels):\n"
        "    means = table[table['labels'] == labels].groupby('method')['test_accuracy'].mean()\n"
        "    return float(means['fine-tuned base'] - means['from scratch'])",
        cases=_gain_cases,
    ),
    Reference(
        id="concepts-2-2",
        solution="from companion import compute\n\n"
        "answer = compute.training_flops(7e9, 2e12) / compute.training_flops(7e9, 3 * 50_000 * 1_000)",
        cases=_ratio_cases,
    ),
    Reference(
        id="concepts-2-3",
        solution="Swapping the digit halves gives a similar gain (same strokes). A Fashion-MNIST base "
        "shares only generic features with digits and helps less; its frozen base can do worse "
        "than training from scratch. The closer the pretraining data to the task, the more it helps.",
    ),
)
