"""Exercises of Part 1, Concepts (ids ``concepts-<chapter>-<n>``)."""

from __future__ import annotations

from .core import Case, Exercise, register

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
    Exercise(
        id="concepts-1-1",
        title="Count a convolution",
        difficulty="easy",
        minutes=5,
        hint="One kernel of kernel_size × kernel_size weights for every (input channel, output channel) pair, plus one bias per output channel.",
        solution=(
            "def conv2d_params(kernel_size, in_channels, out_channels):\n"
            "    return kernel_size * kernel_size * in_channels * out_channels + out_channels"
        ),
        cases=_conv_cases,
    ),
    Exercise(
        id="concepts-1-2",
        title="Count a Transformer block",
        difficulty="medium",
        minutes=15,
        hint="Attention: four d×d matrices with biases. Feed-forward: dense d→d_ff and d_ff→d, with biases. Each of the two layer norms: a scale and a shift per feature.",
        solution=(
            "def block_params(d_model, d_ff):\n"
            "    attention = 4 * (d_model * d_model + d_model)\n"
            "    feed_forward = 2 * d_model * d_ff + d_ff + d_model\n"
            "    norms = 2 * 2 * d_model\n"
            "    return attention + feed_forward + norms"
        ),
        cases=_block_cases,
    ),
    Exercise(
        id="concepts-1-3",
        title="Fine-tune a 13B model",
        difficulty="easy",
        minutes=5,
        hint="Mixed-precision Adam: 2 + 2 bytes for 16-bit weights and gradients, 12 bytes for the float32 master weights and two moments. Round the GPU count up.",
        solution=(
            "import math\n"
            "gigabytes = 13e9 * 16 / 1e9\n"
            "answer = (gigabytes, math.ceil(gigabytes / 80))"
        ),
        cases=_finetune_cases,
        answer="value",
    ),
    Exercise(
        id="concepts-1-4",
        title="Few parameters, many activations",
        difficulty="medium",
        minutes=10,
        hint="A convolution's kernel is shared by all positions; its output has one value per position and channel.",
        solution=(
            "Convolution parameters do not depend on the image size, activations do (one per "
            "position and channel). At 56×56 the conv parameters stay, the activations roughly "
            "quadruple, and the final dense layer grows to 12·12·64·10 + 10 parameters."
        ),
    ),
)
