"""companion.autodiff against gradients known in closed form, on the active backend."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from companion import autodiff


def test_gradient_of_sum_of_squares_is_twice_the_input() -> None:
    x = np.array([[1.0, -2.0], [0.5, 3.0]], dtype="float32")
    grad = autodiff.gradient(lambda t: keras.ops.sum(t**2), x)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-6)


def test_value_and_gradient_with_two_inputs_returns_a_tuple_in_order() -> None:
    a = np.array([1.0, 2.0], dtype="float32")
    b = np.array([3.0, -1.0], dtype="float32")
    value, (grad_a, grad_b) = autodiff.value_and_gradient(lambda s, t: keras.ops.sum(s * t), a, b)
    assert value == pytest.approx(1.0)
    np.testing.assert_allclose(grad_a, b)
    np.testing.assert_allclose(grad_b, a)


def test_gradient_flows_through_a_keras_layer() -> None:
    layer = keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")
    x = np.ones((1, 3), dtype="float32")
    grad = autodiff.gradient(lambda t: keras.ops.sum(layer(t)), x)
    np.testing.assert_allclose(grad, np.ones((1, 3)))


def test_gradient_rejects_a_function_that_returns_a_vector() -> None:
    with pytest.raises(ValueError, match="one number"):
        autodiff.gradient(lambda t: t * 2, np.ones(3, dtype="float32"))


def test_gradient_rejects_integer_inputs_with_the_fix() -> None:
    with pytest.raises(TypeError, match="astype"):
        autodiff.gradient(lambda t: keras.ops.sum(t), np.arange(3))


def test_engine_names_the_active_backends_autodiff() -> None:
    expected = {"tensorflow": "tf.GradientTape", "jax": "jax.grad", "torch": "torch.autograd"}
    assert autodiff.engine() == expected[keras.backend.backend()]


def test_float64_inputs_get_float64_gradients_on_every_backend() -> None:
    x = np.linspace(-3, 3, 7)
    grad = autodiff.gradient(lambda t: keras.ops.sum(keras.ops.sigmoid(t)), x)
    sigmoid = 1 / (1 + np.exp(-x))
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, sigmoid * (1 - sigmoid), rtol=1e-12)


def test_jacobian_of_softmax_is_diag_minus_outer() -> None:
    z = np.array([1.0, -0.5, 2.0])
    s = np.exp(z) / np.exp(z).sum()
    jac = autodiff.jacobian(lambda t: keras.ops.softmax(t), z)
    np.testing.assert_allclose(jac, np.diag(s) - np.outer(s, s), atol=1e-12)


@pytest.mark.parametrize("half", ["bfloat16", "float16"])
def test_a_half_precision_score_gives_a_number_and_float32_gradients(half) -> None:
    """Looking inside differentiates a mixed-precision model's score: under mixed_bfloat16
    PyTorch's value is bfloat16, which NumPy cannot take (the CPU rehearsal found it)."""
    x = np.array([[1.0, -2.0, 0.5]], dtype="float32")
    value, grad = autodiff.value_and_gradient(
        lambda t: keras.ops.sum(keras.ops.cast(t, half) * 2), x
    )
    assert value == pytest.approx(-1.0)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, 2 * np.ones_like(x))


def test_pytorch_half_precision_values_come_back_as_numbers() -> None:
    """The same on PyTorch when it is installed (the GPU machine's image; not the CI venv)."""
    torch = pytest.importorskip("torch")
    value, grads = autodiff._torch(
        lambda t: (t.to(torch.bfloat16) * 2).sum(), [np.ones(3, dtype="float32")]
    )
    assert float(np.asarray(value).reshape(())) == 6.0
    assert grads[0].dtype == np.float32
