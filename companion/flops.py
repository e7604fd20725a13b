"""FLOPs counted two ways: by hand for a stack of dense layers, and by the backend's engine.

:func:`dense_stack_flops` is the arithmetic of Part 1 (a multiply-add is 2 FLOPs);
:func:`counted_flops` asks the Keras backend that runs to count the operations it
would execute: TensorFlow's profiler, XLA's cost analysis of the program before
device-specific optimisation under JAX, or PyTorch's ``FlopCounterMode``. Each engine is imported only when it is the backend.

Used in: Part 1, Compute and cost.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["COUNTERS", "counted_flops", "dense_stack_flops"]

COUNTERS = {
    "tensorflow": "TensorFlow profiler",
    "jax": "XLA cost analysis (JAX)",
    "torch": "PyTorch FlopCounterMode",
}


def dense_stack_flops(widths: Sequence[int], batch: int, *, training: bool = False) -> int:
    """FLOPs of dense layers ``widths[0] -> widths[1] -> ...`` on a batch, by hand.

    Forward, per layer: ``2·batch·d_in·d_out`` for the matrix product and
    ``batch·d_out`` for the bias. A training step adds the weight gradient (the same
    product again), the bias gradient, and the input gradient (the product once more)
    for every layer but the first, whose input needs no gradient. Activations and the
    loss, a few FLOPs per unit, are left out.
    """
    if len(widths) < 2 or any(int(w) < 1 for w in widths) or batch < 1:
        raise ValueError(
            f"need two or more positive widths and a positive batch, got {widths}, {batch}."
        )
    total = 0
    for layer, (d_in, d_out) in enumerate(itertools.pairwise(widths)):
        product, bias = 2 * batch * d_in * d_out, batch * d_out
        total += product + bias
        if training:
            total += product + bias + (product if layer > 0 else 0)
    return total


def counted_flops(model: Any, loss: Any, x: np.ndarray, y: np.ndarray, *, training: bool) -> int:
    """FLOPs the active backend counts for ``model(x)`` (``training=False``) or one
    gradient of ``loss(y, model(x))`` with respect to the weights (``training=True``).

    :data:`COUNTERS` names the counter used on each backend.
    """
    import keras

    backend = keras.backend.backend()
    count = {"tensorflow": _tensorflow, "jax": _jax, "torch": _torch}.get(backend)
    if count is None:
        raise RuntimeError(f"no FLOP counter for the {backend!r} backend; use {sorted(COUNTERS)}.")
    return int(count(model, loss, np.asarray(x), np.asarray(y), training))


def _tensorflow(model: Any, loss: Any, x: np.ndarray, y: np.ndarray, training: bool) -> float:
    import tensorflow as tf  # the profiler is TensorFlow's own

    def step(x: Any, y: Any) -> Any:
        if not training:
            return model(x)
        with tf.GradientTape() as tape:
            value = loss(y, model(x))
        return tape.gradient(value, model.trainable_variables)

    specs = tf.TensorSpec(x.shape, x.dtype), tf.TensorSpec(y.shape, y.dtype)
    graph = tf.function(step).get_concrete_function(*specs).graph
    builder = tf.compat.v1.profiler.ProfileOptionBuilder
    options = builder(builder.float_operation()).with_empty_output().build()
    return tf.compat.v1.profiler.profile(graph, options=options).total_float_ops


def _jax(model: Any, loss: Any, x: np.ndarray, y: np.ndarray, training: bool) -> float:
    import jax

    trainable = [v.value for v in model.trainable_variables]
    frozen = [v.value for v in model.non_trainable_variables]

    def forward(weights: Any, x: Any) -> Any:
        return model.stateless_call(weights, frozen, x)[0]

    function = jax.grad(lambda weights, x, y: loss(y, forward(weights, x))) if training else forward
    args = (trainable, x, y) if training else (trainable, x)
    # The program as JAX hands it to XLA, before the device's own optimisations: the same
    # count on every device. After compiling for a GPU, XLA turns each matrix product into a
    # cuBLAS call that its cost analysis leaves out or counts differently (jax-ml/jax#22249,
    # #20184), so the compiled count of the same model depends on the device.
    flops = _flops_of(jax.jit(function).lower(*args).cost_analysis())
    if flops is None:  # some JAX versions estimate nothing before compiling: compile for the CPU
        on_cpu = jax.device_put(args, jax.devices("cpu")[0])
        flops = _flops_of(jax.jit(function).lower(*on_cpu).compile().cost_analysis())
    if flops is None:
        raise RuntimeError(f"JAX {jax.__version__} gave no FLOP estimate for this model.")
    return flops


def _flops_of(analysis: Any) -> float | None:
    analysis = analysis[0] if isinstance(analysis, list) else analysis  # older JAX: one per device
    flops = (analysis or {}).get("flops")
    return None if flops is None or flops < 0 else float(flops)


def _torch(model: Any, loss: Any, x: np.ndarray, y: np.ndarray, training: bool) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        if training:
            loss(y, model(x)).backward()
        else:
            model(x)
    return counter.get_total_flops()
