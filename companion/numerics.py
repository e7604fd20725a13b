"""One rule for comparing the book's NumPy maths with Keras, on any device and precision.

A float32 matrix product is not always computed in float32: on recent NVIDIA GPUs
TensorFlow and JAX run it in TF32 (10 bits of mantissa) by default, PyTorch does so in
its cuDNN convolutions, and mixed precision computes every layer in float16. A check
that assumes float32-exact arithmetic then fails although nothing is wrong. This
module says which format a comparison ran in (:func:`compute_format`), how far two
correct computations of a length-``n`` sum of products can drift apart in it
(:func:`tolerance`), and can switch TF32 off around a comparison
(:func:`full_precision`). Each backend is imported only when it is the one that runs.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = [
    "FORMATS",
    "agrees",
    "compute_format",
    "describe",
    "dot_product_errors",
    "full_precision",
    "machine_epsilon",
    "round_to",
    "tolerance",
]

# Stored fraction (mantissa) bits of each format; the leading 1 is implicit.
FORMATS = {"float64": 52, "float32": 23, "tf32": 10, "float16": 10, "bfloat16": 7}
# Room above the typical (random-walk) error: the largest of many errors, and the rounding
# of the inputs themselves, stay below SAFETY times sqrt(n) times epsilon (measured in
# tests/test_numerics.py for n = 4 to 4096).
SAFETY = 8.0
# Tensor cores that run float32 products in TF32 by default arrived with Ampere (8.0).
TF32_CAPABILITY = (8, 0)
_FULL_PRECISION = [0]  # depth of nested full_precision() blocks


def machine_epsilon(fmt: str) -> float:
    """The gap between 1 and the next number of ``fmt``: ``2**-bits``.

    Used in: Part 2, Tensors and matrix operations.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown number format {fmt!r}; expected one of {sorted(FORMATS)}.")
    return 2.0 ** -FORMATS[fmt]


def tolerance(n: int, *, scale: float = 1.0, fmt: str | None = None) -> float:
    """The largest gap two correct computations of a length-``n`` dot product may show.

    ``SAFETY · scale · (√n · ε(fmt) + n · ε(sum))``. Inputs rounded to ``fmt`` give
    errors of random sign that add up like a random walk (``√n · ε``); the running sum,
    kept in float32 (float64 for float64), adds at most ``n · ε`` of its own. ``scale``
    is the largest magnitude of one product; ``fmt`` defaults to :func:`compute_format`.
    Used in: Part 2, Tensors and matrix operations; Forward propagation;
    Attention (through :func:`agrees`).
    """
    if n < 1 or scale < 0:
        raise ValueError(f"n must be at least 1 and scale non-negative, got n={n}, scale={scale}.")
    fmt = fmt or compute_format()
    accumulator = machine_epsilon("float64" if fmt == "float64" else "float32")
    return SAFETY * scale * (math.sqrt(n) * machine_epsilon(fmt) + n * accumulator)


def agrees(ours: Any, theirs: Any, n: int, *, scale: float = 1.0, fmt: str | None = None) -> bool:
    """True if the largest gap between two arrays is within :func:`tolerance`.

    Used in: Part 2, Tensors and matrix operations; Forward propagation; Attention.
    """
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    if ours.shape != theirs.shape:
        return False
    gap = float(np.max(np.abs(ours - theirs))) if ours.size else 0.0
    return gap <= tolerance(n, scale=scale, fmt=fmt)


@functools.cache
def _gpu_capability(backend: str) -> tuple[int, int] | None:
    from companion import device

    return device._accelerator(backend)[2]


def compute_format(what: Any = None) -> str:
    """The format a product runs in: ``float64``, ``float32``, ``tf32``, ``float16``, ``bfloat16``.

    ``what`` is a Keras layer or model (its ``compute_dtype``), a dtype name, or
    ``None`` for the global dtype policy. float32 counts as ``tf32`` on a GPU that uses
    TF32 by default, unless inside :func:`full_precision`. Used in: Part 2, Tensors and matrix operations; Forward propagation; Attention;
    Residual connections and layer normalisation.
    """
    import keras

    if what is None:
        dtype = keras.mixed_precision.global_policy().compute_dtype
    else:
        dtype = getattr(what, "compute_dtype", what)
    dtype = keras.backend.standardize_dtype(dtype)
    if dtype == "float64":
        # JAX without x64 (and some PyTorch ops) round float64 to float32.
        dtype = keras.backend.result_type("float64")
    if dtype in ("float16", "bfloat16", "float64"):
        return dtype
    if dtype != "float32":
        raise ValueError(f"{dtype!r} is not a floating-point format; expected a float dtype.")
    if _FULL_PRECISION[0]:
        return "float32"
    capability = _gpu_capability(keras.backend.backend())
    return "tf32" if capability is not None and capability >= TF32_CAPABILITY else "float32"


def describe(fmt: str) -> str:
    """Words for a format, as a page says which precision a comparison ran in.

    Used in: Part 2, Tensors and matrix operations; Forward propagation; Attention;
    Residual connections and layer normalisation.
    """
    words = {
        "float64": "64-bit floats",
        "float32": "32-bit floats (TF32 off)",
        "tf32": "TF32 (float32 storage, 10-bit mantissa products)",
        "float16": "16-bit floats (mixed precision)",
        "bfloat16": "bfloat16 (mixed precision)",
    }
    machine_epsilon(fmt)  # the same error for an unknown name
    return words[fmt]


@contextlib.contextmanager
def full_precision() -> Iterator[None]:
    """Run float32 products in full float32 inside the block (TF32 off), then restore.

    JAX: ``jax.default_matmul_precision("highest")``; PyTorch: TF32 off for matrix
    products and cuDNN; TensorFlow: TF32 execution off. Layers that compute in float16
    (mixed precision) still do: :func:`compute_format` says so. Used in: Part 2, Tensors and matrix operations; Forward propagation; Attention;
    Residual connections and layer normalisation.
    """
    import keras

    backend = keras.backend.backend()
    with contextlib.ExitStack() as stack:
        if backend == "jax":
            import jax

            stack.enter_context(jax.default_matmul_precision("highest"))
        elif backend == "torch":
            import torch

            saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
            torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
            stack.callback(_restore_torch, *saved)
        elif backend == "tensorflow":
            import tensorflow as tf

            saved_tf = tf.config.experimental.tensor_float_32_execution_enabled()
            tf.config.experimental.enable_tensor_float_32_execution(False)
            stack.callback(tf.config.experimental.enable_tensor_float_32_execution, saved_tf)
        _FULL_PRECISION[0] += 1
        try:
            yield
        finally:
            _FULL_PRECISION[0] -= 1


def _restore_torch(matmul: bool, cudnn: bool) -> None:
    import torch

    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = matmul, cudnn


def round_to(x: Any, fmt: str) -> np.ndarray:
    """``x`` rounded to ``fmt`` (to nearest, ties to even), returned as float32 or float64.

    TF32 and bfloat16 keep float32's exponent, so they are emulated by rounding away
    the low mantissa bits of a float32. Used in: Part 2, Tensors and matrix operations (through
    :func:`dot_product_errors`).
    """
    machine_epsilon(fmt)  # the same error for an unknown name
    bits = FORMATS[fmt]
    if fmt == "float64":
        return np.asarray(x, dtype=np.float64)
    if fmt == "float16":
        return np.asarray(x, dtype=np.float16).astype(np.float32)
    as_int = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    drop = 23 - int(bits)
    if drop:
        odd = (as_int >> drop) & 1
        as_int = ((as_int + (1 << (drop - 1)) - 1 + odd) >> drop) << drop
    return as_int.astype(np.uint32).view(np.float32)


def dot_product_errors(n: int, fmt: str, *, trials: int = 200, seed: int = 0) -> np.ndarray:
    """Errors of ``trials`` length-``n`` dot products of standard normals computed in ``fmt``.

    As an accelerator does: inputs rounded to ``fmt``, products summed in float32
    (float64 for ``float64``), the result rounded to ``fmt`` if it is a 16-bit format;
    the error is measured against the exact (float64) dot product of the unrounded
    inputs. Used in: Part 2, Tensors and matrix operations.
    """
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=(2, trials, n))
    exact = np.einsum("ij,ij->i", x, w)
    accumulate = np.float64 if fmt == "float64" else np.float32
    xr, wr = (round_to(a, fmt).astype(accumulate) for a in (x, w))
    computed = np.einsum("ij,ij->i", xr, wr)
    if fmt in ("float16", "bfloat16"):
        computed = round_to(computed, fmt)
    return np.abs(computed.astype(np.float64) - exact)
