"""Gradients from the active Keras backend's own autodiff engine.

The Mathematics part checks hand-derived gradients against automatic
differentiation, and Part 3 differentiates a class score with respect to the input
pixels (saliency, Grad-CAM). Keras 3 runs on TensorFlow, JAX or PyTorch, and each
has its own autodiff: ``tf.GradientTape``, ``jax.grad`` and ``torch.autograd``.
:func:`gradient` hides that difference, so a chapter runs unchanged on every
backend, and :func:`engine` names the engine that did the work, so the text can say
which one ran.

Used in: Part 2 (forward, losses, backprop), Part 1 (compute cost), Part 3 (looking inside).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["engine", "gradient", "jacobian", "value_and_gradient"]

_ENGINES = {"tensorflow": "tf.GradientTape", "jax": "jax.grad", "torch": "torch.autograd"}


def _backend() -> str:
    import keras

    name = keras.backend.backend()
    if name not in _ENGINES:
        raise RuntimeError(
            f"companion.autodiff supports the TensorFlow, JAX and PyTorch backends; "
            f"Keras is running on {name!r}. Set KERAS_BACKEND to one of "
            f"{sorted(_ENGINES)} before importing keras (in Colab: restart the runtime)."
        )
    return name


def engine() -> str:
    """The autodiff engine :func:`gradient` uses on the active backend, e.g. ``"jax.grad"``."""
    return _ENGINES[_backend()]


def _as_float_arrays(arrays: tuple[Any, ...]) -> list[np.ndarray]:
    if not arrays:
        raise ValueError("gradient() needs at least one array to differentiate with respect to.")
    converted = []
    for position, array in enumerate(arrays):
        value = np.asarray(array)
        if not np.issubdtype(value.dtype, np.floating):
            raise TypeError(
                f"argument {position} has dtype {value.dtype}; gradients need floating-point "
                f"inputs. Convert it first, e.g. x.astype('float32')."
            )
        converted.append(value)
    return converted


def _require_scalar(value: Any) -> None:
    shape = tuple(getattr(value, "shape", np.shape(value)))
    if int(np.prod(shape)) != 1:
        raise ValueError(
            f"gradient() needs a function that returns one number, got shape {shape}; "
            f"reduce it first, e.g. keras.ops.sum(...)."
        )


def _tensorflow(function: Callable[..., Any], arrays: list[np.ndarray]) -> tuple[Any, list[Any]]:
    import tensorflow as tf

    tensors = [tf.convert_to_tensor(array) for array in arrays]
    with tf.GradientTape() as tape:
        for tensor in tensors:
            tape.watch(tensor)
        value = function(*tensors)
    _require_scalar(value)
    # A bfloat16 value (mixed_bfloat16) does not convert to NumPy as it is.
    return tf.cast(value, tf.float64).numpy(), [
        grad.numpy() for grad in tape.gradient(value, tensors)
    ]


def _jax(function: Callable[..., Any], arrays: list[np.ndarray]) -> tuple[Any, list[Any]]:
    import jax
    import jax.numpy as jnp

    positions = tuple(range(len(arrays)))
    # JAX computes in float32 unless told otherwise; float64 inputs (the Mathematics
    # part's checks) get float64 gradients, as on TensorFlow and PyTorch.
    wide = any(array.dtype == np.float64 for array in arrays)
    with jax.enable_x64(wide):
        inputs = [jnp.asarray(array) for array in arrays]
        # One eager call first: it builds any Keras layer that is not built yet, outside
        # the trace (building inside jax.grad would leak a tracer into the layer's weights).
        _require_scalar(function(*inputs))
        value, grads = jax.value_and_grad(function, argnums=positions)(*inputs)
        return np.asarray(value), [np.asarray(grad) for grad in grads]


def _torch(function: Callable[..., Any], arrays: list[np.ndarray]) -> tuple[Any, list[Any]]:
    import keras
    import torch

    device = keras.ops.convert_to_tensor(np.zeros(1)).device  # the GPU when Keras uses one
    tensors = [torch.tensor(array, device=device, requires_grad=True) for array in arrays]
    value = function(*tensors)
    _require_scalar(value)
    value.backward()
    # Under mixed_bfloat16 the value is bfloat16, which NumPy cannot take from PyTorch.
    value = value.detach().cpu().double()
    return value, [tensor.grad.detach().cpu().numpy() for tensor in tensors]


def value_and_gradient(
    function: Callable[..., Any], *arrays: Any
) -> tuple[float, np.ndarray | tuple[np.ndarray, ...]]:
    """``function(*arrays)`` and its gradient with respect to each array, as NumPy.

    ``function`` takes backend tensors and returns a scalar; write it with
    ``keras.ops`` (or a Keras model) so it runs on every backend. With one array the
    gradient comes back as one array, with several as a tuple in the same order.
    Raises ``ValueError`` if ``function`` does not return a single number.
    """
    backend = _backend()
    inputs = _as_float_arrays(arrays)
    run = {"tensorflow": _tensorflow, "jax": _jax, "torch": _torch}[backend]
    value, grads = run(function, inputs)
    result = grads[0] if len(grads) == 1 else tuple(grads)
    return float(np.asarray(value).reshape(())), result


def gradient(function: Callable[..., Any], *arrays: Any) -> np.ndarray | tuple[np.ndarray, ...]:
    """The gradient of the scalar ``function(*arrays)`` with respect to each array.

    See :func:`value_and_gradient`; this returns the gradient alone.
    """
    return value_and_gradient(function, *arrays)[1]


def jacobian(function: Callable[..., Any], array: Any) -> np.ndarray:
    """The Jacobian of ``function(array)`` (any shape) with respect to ``array``, as NumPy.

    Entry ``[i..., j...]`` is the derivative of output ``i...`` with respect to input
    ``j...``; one backward pass per output, through :func:`gradient` (meant for the
    small Jacobians the book prints). Used in: Part 2, Forward propagation (softmax).
    """
    import keras

    (x,) = _as_float_arrays((array,))
    out_shape = tuple(np.shape(keras.ops.convert_to_numpy(function(x))))
    size = int(np.prod(out_shape))

    def component(index: int) -> Callable[[Any], Any]:
        return lambda t: keras.ops.reshape(function(t), (-1,))[index]

    rows = [np.asarray(gradient(component(index), x)) for index in range(size)]
    return np.stack(rows).reshape(out_shape + x.shape)
