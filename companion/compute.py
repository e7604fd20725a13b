"""A back-of-the-envelope calculator for the compute, memory and money a large model needs.

Every function is one line of arithmetic with its assumption in the docstring, so a
reader can check it by hand. The conventions, used throughout Part 1:

- Training a dense model of ``N`` parameters on ``D`` tokens costs about ``6·N·D``
  floating-point operations (FLOPs): ``2·N`` per token for the forward pass and
  ``4·N`` for the backward pass. Inference costs about ``2·N`` FLOPs per token.
- A device delivers its *peak* throughput times the *model FLOPs utilisation*
  (MFU), the fraction of the peak a real training run achieves.
- Memory counts bytes (1 GB = 10**9 bytes), for weights, gradients and optimizer
  state only; activations depend on batch size and sequence length and come on top.

Used in: Part 1, What a large model is; Compute and cost; From prompt to product.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

__all__ = [
    "A100_40GB",
    "A100_ON_DEMAND_PRICE_PER_GPU_HOUR",
    "BYTES_PER_PARAMETER",
    "CHINCHILLA_TOKENS_PER_PARAMETER",
    "H100_SXM",
    "OPTIMIZER_STATES",
    "SECONDS_PER_HOUR",
    "V100_SXM2",
    "Accelerator",
    "TrainingBudget",
    "batched_serving_utilisation",
    "bytes_per_parameter",
    "compute_optimal_split",
    "compute_optimal_tokens",
    "decode_tokens_per_s",
    "gpu_hours",
    "implied_mfu",
    "inference_flops",
    "inference_memory_bytes",
    "mixed_precision_training_bytes",
    "serving_cost_per_million_tokens",
    "training_budget",
    "training_flops",
    "training_memory_bytes",
]

SECONDS_PER_HOUR = 3600

#: Bytes needed to store one number in each format.
BYTES_PER_PARAMETER: dict[str, float] = {
    "float32": 4,
    "float16": 2,
    "bfloat16": 2,
    "int8": 1,
    "int4": 0.5,
}

#: Numbers an optimizer keeps per parameter besides the weight and its gradient.
OPTIMIZER_STATES: dict[str, int] = {"sgd": 0, "momentum": 1, "adam": 2}


@dataclass(frozen=True)
class Accelerator:
    """A device's published figures: dense 16-bit tensor-core peak, memory and its bandwidth.

    ``source`` is the BibTeX key of the datasheet in the book's references.
    """

    name: str
    peak_flops_per_s: float
    memory_bytes: float
    bandwidth_bytes_per_s: float
    source: str


#: NVIDIA datasheets: dense BF16/FP16 tensor-core peak (no sparsity), memory, bandwidth.
V100_SXM2 = Accelerator("NVIDIA V100 SXM2 32GB", 125e12, 32e9, 900e9, "nvidia2017v100")
A100_40GB = Accelerator("NVIDIA A100 SXM 40GB", 312e12, 40e9, 1555e9, "nvidia2020a100")
H100_SXM = Accelerator("NVIDIA H100 SXM 80GB", 989e12, 80e9, 3.35e12, "nvidia2022h100")

#: AWS p4d.24xlarge (8 × A100 40GB) on demand, US East, as listed in 2024: $32.77 per hour.
#: An assumption to replace with your own quote (reserved and spot capacity cost less).
A100_ON_DEMAND_PRICE_PER_GPU_HOUR = 32.77 / 8

#: Chinchilla's rule of thumb: a compute-optimal model sees about 20 tokens per parameter.
CHINCHILLA_TOKENS_PER_PARAMETER = 20.0


# ----------------------------------------------------------------------------- validation
def _positive(name: str, value: object, *, allow_zero: bool = False) -> float:
    """``value`` as a float, or a TypeError/ValueError that names ``name``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}.")
    number = float(value)
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        expected = "a finite number >= 0" if allow_zero else "a finite number > 0"
        raise ValueError(f"{name} must be {expected}, got {value!r}.")
    return number


def _fraction(name: str, value: object) -> float:
    number = _positive(name, value)
    if number > 1:
        raise ValueError(f"{name} must be a fraction in (0, 1], got {value!r}.")
    return number


def bytes_per_parameter(precision: str) -> float:
    """Bytes that one parameter takes in ``precision`` (``"float32"``, ``"bfloat16"``, ``"int8"``...).

    Raises ValueError for an unknown precision.
    Used in: Part 1, What a large model is (through :func:`inference_memory_bytes`); From prompt
    to product.
    """
    if not isinstance(precision, str) or precision not in BYTES_PER_PARAMETER:
        raise ValueError(
            f"precision must be one of {sorted(BYTES_PER_PARAMETER)}, got {precision!r}."
        )
    return BYTES_PER_PARAMETER[precision]


# ----------------------------------------------------------------------------- memory
def inference_memory_bytes(num_params: float, precision: str = "bfloat16") -> float:
    """Bytes to hold the weights of ``num_params`` parameters for inference.

    Excludes activations and the attention key/value cache.
    Used in: Part 1, What a large model is; From prompt to product.
    """
    return _positive("num_params", num_params) * bytes_per_parameter(precision)


def training_memory_bytes(
    num_params: float, precision: str = "float32", optimizer: str = "adam"
) -> float:
    """Bytes for weights, gradients and optimizer state, all stored in ``precision``.

    Adam keeps two numbers per parameter (first and second moments), so in float32
    training needs ``(1 + 1 + 2) · 4 = 16`` bytes per parameter. Excludes activations.
    Used in: Part 1, What a large model is.
    """
    if not isinstance(optimizer, str) or optimizer not in OPTIMIZER_STATES:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZER_STATES)}, got {optimizer!r}.")
    copies = 2 + OPTIMIZER_STATES[optimizer]  # weights + gradients + states
    return _positive("num_params", num_params) * copies * bytes_per_parameter(precision)


def mixed_precision_training_bytes(num_params: float) -> float:
    """Bytes per the usual mixed-precision Adam recipe: 16 bytes per parameter.

    16-bit weights (2) and gradients (2), plus a float32 master copy of the weights
    and Adam's two float32 moments (4 + 4 + 4), as counted by Rajbhandari et al. (ZeRO).
    Used in: Part 1, What a large model is.
    """
    return _positive("num_params", num_params) * (2 + 2 + 4 + 4 + 4)


# ----------------------------------------------------------------------------- compute
def training_flops(num_params: float, num_tokens: float) -> float:
    """Training FLOPs of a dense model: ``6 · num_params · num_tokens``.

    Used in: Part 1, Pretraining and fine-tuning; Compute and cost.
    """
    return 6.0 * _positive("num_params", num_params) * _positive("num_tokens", num_tokens)


def inference_flops(num_params: float, num_tokens: float = 1) -> float:
    """Inference FLOPs to process or generate ``num_tokens`` tokens: ``2 · num_params`` each.

    Used in: Part 1, Compute and cost; From prompt to product.
    """
    return 2.0 * _positive("num_params", num_params) * _positive("num_tokens", num_tokens)


def gpu_hours(flops: float, peak_flops_per_s: float, mfu: float) -> float:
    """Device-hours to execute ``flops`` on devices of ``peak_flops_per_s`` at utilisation ``mfu``.

    ``mfu`` is the model FLOPs utilisation, a fraction in (0, 1].
    Used in: Part 1, Compute and cost.
    """
    effective = _positive("peak_flops_per_s", peak_flops_per_s) * _fraction("mfu", mfu)
    return _positive("flops", flops) / effective / SECONDS_PER_HOUR


def implied_mfu(flops: float, peak_flops_per_s: float, reported_gpu_hours: float) -> float:
    """The utilisation a run must have reached to do ``flops`` in ``reported_gpu_hours``.

    The inverse of :func:`gpu_hours`; can exceed 1 if the inputs are inconsistent.
    Used in: Part 1, Compute and cost.
    """
    available = (
        _positive("peak_flops_per_s", peak_flops_per_s)
        * _positive("reported_gpu_hours", reported_gpu_hours)
        * SECONDS_PER_HOUR
    )
    return _positive("flops", flops) / available


@dataclass(frozen=True)
class TrainingBudget:
    """What one training run costs: FLOPs, device-hours, wall-clock days and money."""

    flops: float
    gpu_hours: float
    days: float
    cost: float


def training_budget(
    num_params: float,
    num_tokens: float,
    *,
    peak_flops_per_s: float,
    mfu: float,
    price_per_gpu_hour: float,
    num_gpus: int = 1,
) -> TrainingBudget:
    """FLOPs (6·N·D), GPU-hours, days on ``num_gpus`` devices and cost at ``price_per_gpu_hour``.

    Assumes the run scales perfectly over ``num_gpus`` (the MFU already includes the
    losses of a real parallel run) and that you pay only for GPU-hours.
    Used in: Part 1, Compute and cost; From prompt to product.
    """
    if isinstance(num_gpus, bool) or not isinstance(num_gpus, int) or num_gpus < 1:
        raise ValueError(f"num_gpus must be a positive int, got {num_gpus!r}.")
    price = _positive("price_per_gpu_hour", price_per_gpu_hour, allow_zero=True)
    flops = training_flops(num_params, num_tokens)
    hours = gpu_hours(flops, peak_flops_per_s, mfu)
    return TrainingBudget(
        flops=flops, gpu_hours=hours, days=hours / num_gpus / 24, cost=hours * price
    )


def serving_cost_per_million_tokens(
    num_params: float, *, peak_flops_per_s: float, utilisation: float, price_per_gpu_hour: float
) -> float:
    """Money to process one million tokens at ``2·N`` FLOPs each on rented devices.

    ``utilisation`` is the fraction of peak reached while serving; a batch-1 chat
    reaches far less than a large batch, because it waits on memory, not arithmetic.
    Used in: Part 1, Tokens; Compute and cost; From prompt to product; Part 4,
    Retrieval-augmented generation.
    """
    hours = gpu_hours(inference_flops(num_params, 1e6), peak_flops_per_s, utilisation)
    return hours * _positive("price_per_gpu_hour", price_per_gpu_hour, allow_zero=True)


def batched_serving_utilisation(
    num_params: float,
    *,
    layers: int,
    width: int,
    prompt_tokens: float,
    generated_tokens: float,
    accelerator: Accelerator,
    precision: str = "bfloat16",
) -> float:
    """Fraction of peak one device reaches serving as many requests as its memory holds.

    Each request's attention cache takes ``2 · layers · width`` numbers per token (keys and
    values) for all its tokens; the memory left beside the weights decides the batch.
    *Prefill* reads each prompt in one pass (arithmetic-bound, at least one read of the
    weights); *decode* then makes one token per step, each step reading the weights and
    every cache (at its mean length) or limited by arithmetic. An upper bound, derived step
    by step in "From prompt to product".
    Used in: Part 1, From prompt to product; Part 4, Retrieval-augmented generation.
    """
    flops = inference_flops(num_params)
    peak, bandwidth = accelerator.peak_flops_per_s, accelerator.bandwidth_bytes_per_s
    weight_bytes = inference_memory_bytes(num_params, precision)
    cache_per_token = 2 * layers * width * bytes_per_parameter(precision)
    tokens = _positive("prompt_tokens", prompt_tokens) + _positive(
        "generated_tokens", generated_tokens
    )
    batch = int((accelerator.memory_bytes - weight_bytes) // (cache_per_token * tokens))
    if batch < 1:
        raise ValueError(
            f"{accelerator.name} cannot hold the weights and one request's cache "
            f"({weight_bytes / 1e9:.1f} GB + {cache_per_token * tokens / 1e9:.1f} GB); "
            "use fewer tokens or a device with more memory."
        )
    prefill = batch * max(prompt_tokens * flops / peak, weight_bytes / bandwidth)
    cache_bytes = batch * cache_per_token * (prompt_tokens + generated_tokens / 2)
    step = max((weight_bytes + cache_bytes) / bandwidth, batch * flops / peak)
    tokens_per_s = batch * tokens / (prefill + generated_tokens * step)
    return tokens_per_s * flops / peak


def decode_tokens_per_s(
    num_params: float,
    *,
    peak_flops_per_s: float,
    bandwidth_bytes_per_s: float,
    precision: str = "bfloat16",
    batch_size: int = 1,
) -> float:
    """Upper bound on tokens per second when generating with one device (a roofline).

    Each generation step reads every weight once from memory and serves ``batch_size``
    sequences, so it is limited both by bandwidth (``batch_size · bandwidth / weight
    bytes``) and by arithmetic (``peak / (2·N)``); the bound is the smaller of the two.
    Ignores the attention cache and all overheads, so real systems reach less.
    Used in: Part 1, Compute and cost; From prompt to product.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}.")
    weight_bytes = inference_memory_bytes(num_params, precision)
    memory_bound = (
        batch_size * _positive("bandwidth_bytes_per_s", bandwidth_bytes_per_s) / weight_bytes
    )
    compute_bound = _positive("peak_flops_per_s", peak_flops_per_s) / inference_flops(num_params)
    return min(memory_bound, compute_bound)


# ----------------------------------------------------------------------------- scaling
def compute_optimal_tokens(
    num_params: float, tokens_per_parameter: float = CHINCHILLA_TOKENS_PER_PARAMETER
) -> float:
    """Training tokens for a compute-optimal model of ``num_params``: about 20 per parameter.

    Used in: Part 1, Compute and cost; From prompt to product.
    """
    return _positive("num_params", num_params) * _positive(
        "tokens_per_parameter", tokens_per_parameter
    )


def compute_optimal_split(
    flops: float, tokens_per_parameter: float = CHINCHILLA_TOKENS_PER_PARAMETER
) -> tuple[float, float]:
    """``(num_params, num_tokens)`` that spend ``flops`` with ``D = r·N`` and ``C = 6·N·D``.

    Solving ``C = 6·N·(r·N)`` gives ``N = sqrt(C / (6·r))`` and ``D = r·N``.
    Used in: Part 1, Compute and cost.
    """
    ratio = _positive("tokens_per_parameter", tokens_per_parameter)
    num_params = math.sqrt(_positive("flops", flops) / (6.0 * ratio))
    return num_params, ratio * num_params
