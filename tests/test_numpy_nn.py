"""companion.numpy_nn against independent computations: TensorFlow autodiff, keras.losses,
keras.ops, Keras layers, SciPy and finite differences; hypothesis over random shapes."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from scipy.special import logsumexp as scipy_logsumexp

from companion import numpy_nn as nn

FAST = settings(max_examples=25, deadline=None)
# Keras keeps float64 on TensorFlow; on JAX and PyTorch it computes float64 inputs in float32.
KERAS_FLOAT64 = keras.backend.result_type("float64") == "float64"
KERAS_ATOL = 1e-12 if KERAS_FLOAT64 else 1e-5
KERAS_RTOL = 1e-6 if KERAS_FLOAT64 else 1e-4


def finite(low: float = -10.0, high: float = 10.0) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)


def batches(min_side: int = 1, max_side: int = 6) -> st.SearchStrategy[np.ndarray]:
    """Random (n, k) float64 matrices with moderate values."""
    return arrays(np.float64, array_shapes(min_dims=2, max_dims=2, min_side=min_side, max_side=max_side), elements=finite())  # fmt: skip


def tf_grad(f, x: np.ndarray) -> np.ndarray:
    """Gradient of a scalar TensorFlow function at x, by automatic differentiation."""
    variable = tf.Variable(x, dtype=tf.float64)
    with tf.GradientTape() as tape:
        value = f(variable)
    return tape.gradient(value, variable).numpy()


@FAST
@given(
    st.integers(1, 5).flatmap(
        lambda n: st.tuples(*[arrays(np.int64, n, elements=st.integers(-9, 9))] * 2)
    )
)
def test_dot_as_text_evaluates_to_the_dot_product(pair):
    a, b = pair
    text = nn.dot_as_text(a, b)
    expression, result = text.replace("−", "-").replace("·", "*").split(" = ")
    assert eval(expression) == int(result) == int(a @ b)


# ----------------------------------------------------------------------------- activations
@FAST
@given(batches())
def test_softmax_rows_are_probabilities(z):
    s = nn.softmax(z)
    assert np.all(s >= 0)
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=1e-12)


@FAST
@given(batches(), finite(-500, 500))
def test_softmax_is_invariant_to_adding_a_constant_to_each_row(z, c):
    np.testing.assert_allclose(nn.softmax(z + c), nn.softmax(z), atol=1e-12)


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis")
@FAST
@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=5), elements=finite()))
def test_softmax_matches_keras_ops_on_any_shape(z):
    np.testing.assert_allclose(
        nn.softmax(z), keras.ops.convert_to_numpy(keras.ops.softmax(z, axis=-1)), atol=KERAS_ATOL
    )


def test_softmax_and_sigmoid_do_not_overflow_on_huge_logits():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning would fail the test
        s = nn.softmax(np.array([[1000.0, 0.0, -1000.0]]))
        p = nn.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(s, [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(p, [0.0, 0.5, 1.0])


@pytest.mark.parametrize(
    ("name", "tf_function"),
    [("relu", tf.nn.relu), ("sigmoid", tf.sigmoid), ("tanh", tf.tanh)],
)
def test_activation_and_derivative_match_tensorflow(name, tf_function):
    z = np.linspace(-4, 4, 41) + 0.013  # avoid z == 0 exactly, where ReLU has a kink
    function, derivative = nn.ACTIVATIONS[name]
    np.testing.assert_allclose(function(z), tf_function(z).numpy(), atol=1e-12)
    expected = tf_grad(lambda v: tf.reduce_sum(tf_function(v)), z)
    np.testing.assert_allclose(derivative(z), expected, atol=1e-12)


@FAST
@given(st.sampled_from(["sigmoid", "tanh"]), arrays(np.float64, 5, elements=finite(-5, 5)))
def test_smooth_activation_derivatives_match_finite_differences(name, z):
    function, derivative = nn.ACTIVATIONS[name]
    numeric = nn.numerical_gradient(lambda v: float(function(v).sum()), z)
    np.testing.assert_allclose(derivative(z), numeric, atol=1e-7)


def test_relu_derivative_is_zero_at_zero_like_tensorflow():
    assert nn.relu_grad(np.array([0.0]))[0] == tf_grad(lambda v: tf.reduce_sum(tf.nn.relu(v)), np.array([0.0]))[0] == 0.0  # fmt: skip


def test_softmax_jacobian_matches_tensorflow():
    z = np.array([0.5, -1.0, 2.0, 0.1])
    variable = tf.Variable(z)
    with tf.GradientTape() as tape:
        s = tf.nn.softmax(variable)
    expected = tape.jacobian(s, variable).numpy()
    np.testing.assert_allclose(nn.softmax_jacobian(nn.softmax(z)), expected, atol=1e-12)


@FAST
@given(batches(), st.integers(0, 2**31 - 1))
def test_softmax_backward_matches_autodiff(z, seed):
    upstream = np.random.default_rng(seed).normal(size=z.shape)
    expected = tf_grad(lambda v: tf.reduce_sum(tf.nn.softmax(v) * upstream), z)
    np.testing.assert_allclose(nn.softmax_backward(nn.softmax(z), upstream), expected, atol=1e-10)


# ---------------------------------------------------------------------------------- losses
@FAST
@given(
    arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=5), elements=finite(-800, 800))
)
def test_logsumexp_matches_scipy_even_for_huge_values(z):
    np.testing.assert_allclose(
        nn.logsumexp(z, axis=-1), scipy_logsumexp(z, axis=-1), rtol=1e-12, atol=1e-12
    )


def test_one_hot_matches_keras():
    labels = np.array([2, 0, 1, 2])
    np.testing.assert_array_equal(nn.one_hot(labels, 3), keras.utils.to_categorical(labels, 3))
    with pytest.raises(ValueError, match="0 .. 2"):
        nn.one_hot(np.array([3]), 3)


def _regression_pair(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(8, 3)), rng.normal(scale=2.0, size=(8, 3))


def _binary_pair(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2, size=(8, 1)).astype(float), rng.normal(scale=3.0, size=(8, 1))


def _categorical_pair(seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return nn.one_hot(rng.integers(0, 5, size=8), 5), rng.normal(scale=3.0, size=(8, 5))


def test_mse_and_huber_match_keras_losses():
    y, y_hat = _regression_pair()
    keras_mse = keras.losses.MeanSquaredError()(y, y_hat)
    np.testing.assert_allclose(nn.mse(y, y_hat), float(keras_mse), rtol=1e-6)
    for delta in (0.5, 1.0, 3.0):
        expected = float(keras.losses.Huber(delta=delta)(y, y_hat))
        np.testing.assert_allclose(nn.huber(y, y_hat, delta), expected, rtol=1e-6)


def test_binary_crossentropy_matches_keras_from_probabilities_and_logits():
    y, z = _binary_pair()
    from_logits = float(keras.losses.BinaryCrossentropy(from_logits=True)(y, z))
    np.testing.assert_allclose(nn.binary_crossentropy_from_logits(y, z), from_logits, rtol=1e-6)
    p = nn.sigmoid(z)
    from_probs = float(keras.losses.BinaryCrossentropy()(y, p))
    np.testing.assert_allclose(nn.binary_crossentropy(y, p), from_probs, rtol=1e-5)


def test_categorical_crossentropy_matches_keras_from_probabilities_and_logits():
    y, z = _categorical_pair()
    from_logits = float(keras.losses.CategoricalCrossentropy(from_logits=True)(y, z))
    np.testing.assert_allclose(
        nn.categorical_crossentropy_from_logits(y, z), from_logits, rtol=1e-6
    )
    from_probs = float(keras.losses.CategoricalCrossentropy()(y, nn.softmax(z)))
    np.testing.assert_allclose(nn.categorical_crossentropy(y, nn.softmax(z)), from_probs, rtol=1e-5)


def test_crossentropy_from_logits_is_finite_where_the_naive_formula_is_not():
    y = np.array([[0.0, 1.0, 0.0]])
    z = np.array([[1000.0, 0.0, -1000.0]])
    loss = nn.categorical_crossentropy_from_logits(y, z)
    expected = float(tf.nn.softmax_cross_entropy_with_logits(y, z)[0])
    np.testing.assert_allclose(loss, expected)  # 1000, exactly representable
    assert np.isfinite(nn.binary_crossentropy_from_logits(np.array([0.0]), np.array([800.0])))


def _tf_losses():
    """Each NumPy (loss, gradient) pair with the TensorFlow expression it must equal."""
    return {
        "mse": (_regression_pair, nn.mse, nn.mse_grad, lambda y, v: tf.reduce_mean((v - y) ** 2)),
        "huber": (
            _regression_pair, nn.huber, nn.huber_grad,
            lambda y, v: tf.reduce_mean(tf.where(tf.abs(v - y) <= 1.0, 0.5 * (v - y) ** 2, tf.abs(v - y) - 0.5)),
        ),
        "bce": (
            lambda: (_binary_pair()[0], nn.sigmoid(_binary_pair()[1])),
            nn.binary_crossentropy, nn.binary_crossentropy_grad,
            lambda y, p: -tf.reduce_mean(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p)),
        ),
        "bce_logits": (
            _binary_pair, nn.binary_crossentropy_from_logits, nn.binary_crossentropy_from_logits_grad,
            lambda y, z: tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(y, z)),
        ),
        "cce": (
            lambda: (_categorical_pair()[0], nn.softmax(_categorical_pair()[1])),
            nn.categorical_crossentropy, nn.categorical_crossentropy_grad,
            lambda y, p: -tf.reduce_mean(tf.reduce_sum(y * tf.math.log(p), axis=-1)),
        ),
        "cce_logits": (
            _categorical_pair, nn.categorical_crossentropy_from_logits,
            nn.categorical_crossentropy_from_logits_grad,
            lambda y, z: tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(y, z)),
        ),
    }  # fmt: skip


@pytest.mark.parametrize("name", list(_tf_losses()))
def test_loss_and_its_gradient_match_tensorflow_autodiff(name):
    make, loss, grad, tf_loss = _tf_losses()[name]
    y, prediction = make()
    np.testing.assert_allclose(loss(y, prediction), float(tf_loss(y, prediction)), rtol=1e-10)
    expected = tf_grad(lambda v: tf_loss(y, v), prediction)
    np.testing.assert_allclose(grad(y, prediction), expected, rtol=1e-8, atol=1e-12)


@FAST
@given(batches(min_side=2), st.integers(0, 2**31 - 1))
def test_crossentropy_gradient_from_logits_matches_numeric_gradient(z, seed):
    y = nn.one_hot(np.random.default_rng(seed).integers(0, z.shape[1], size=z.shape[0]), z.shape[1])
    analytic = nn.categorical_crossentropy_from_logits_grad(y, z)
    error = nn.gradient_check(lambda v: nn.categorical_crossentropy_from_logits(y, v), z, analytic)
    assert error < 1e-6


@FAST
@given(
    arrays(np.float64, (6,), elements=finite(-3, 3)),
    arrays(np.float64, (6,), elements=finite(-3, 3)),
    st.floats(0.1, 2.0),
)
def test_huber_gradient_matches_numeric_gradient(y, y_hat, delta):
    # Keep away from the kinks |r| = delta, where the numeric derivative straddles two pieces.
    r = np.abs(y_hat - y)
    y_hat = np.where(np.abs(r - delta) < 1e-3, y_hat + 0.01, y_hat)
    analytic = nn.huber_grad(y, y_hat, delta)
    numeric = nn.numerical_gradient(lambda v: nn.huber(y, v, delta), y_hat)
    np.testing.assert_allclose(analytic, numeric, atol=1e-7)


@pytest.mark.parametrize(
    "loss",
    [nn.mse, nn.mse_grad, nn.huber, nn.huber_grad, nn.binary_crossentropy, nn.binary_crossentropy_from_logits,
     nn.categorical_crossentropy, nn.categorical_crossentropy_from_logits,
     nn.categorical_crossentropy_from_logits_grad],
)  # fmt: skip
def test_loss_shape_mismatch_names_both_shapes(loss):
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 2\)"):
        loss(np.zeros((4, 3)), np.ones((4, 2)) * 0.5)


def test_non_numeric_input_is_a_type_error():
    with pytest.raises(TypeError, match="y_true must be numeric"):
        nn.mse(["a", "b"], [1.0, 2.0])


# ----------------------------------------------------------------------------- dense layer
def test_dense_forward_matches_keras_dense_with_the_same_weights():
    rng = np.random.default_rng(3)
    X, W, b = rng.normal(size=(5, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
    layer = keras.layers.Dense(3, dtype="float64")
    layer.build((None, 4))
    layer.set_weights([W, b])
    np.testing.assert_allclose(
        nn.dense_forward(X, W, b), keras.ops.convert_to_numpy(layer(X)), atol=KERAS_ATOL
    )


@FAST
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_dense_backward_matches_autodiff_for_random_shapes(n, d_in, d_out, seed):
    rng = np.random.default_rng(seed)
    X, W, b = rng.normal(size=(n, d_in)), rng.normal(size=(d_in, d_out)), rng.normal(size=d_out)
    upstream = rng.normal(size=(n, d_out))  # dL/dZ for L = sum(Z * upstream)
    dX, dW, db = nn.dense_backward(X, W, upstream)
    variables = [tf.Variable(a) for a in (X, W, b)]
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum((variables[0] @ variables[1] + variables[2]) * upstream)
    for ours, theirs in zip((dX, dW, db), tape.gradient(loss, variables), strict=True):
        np.testing.assert_allclose(ours, theirs.numpy(), atol=1e-10)


def test_dense_shape_mismatches_name_both_shapes():
    with pytest.raises(ValueError, match=r"X has shape \(2, 3\) but W has shape \(4, 5\)"):
        nn.dense_forward(np.ones((2, 3)), np.ones((4, 5)), np.ones(5))
    with pytest.raises(ValueError, match=r"b has shape \(4,\) but W has shape \(3, 5\)"):
        nn.dense_forward(np.ones((2, 3)), np.ones((3, 5)), np.ones(4))
    with pytest.raises(ValueError, match=r"dZ has shape \(2, 4\).*\(2, 3\).*\(3, 5\)"):
        nn.dense_backward(np.ones((2, 3)), np.ones((3, 5)), np.ones((2, 4)))


# ------------------------------------------------------------------------------------- MLP
def _tiny_mlp(activation: str = "relu") -> tuple[nn.MLP, np.ndarray, np.ndarray]:
    model = nn.MLP.create([4, 6, 5, 3], activation=activation, seed=0)
    rng = np.random.default_rng(1)
    return model, rng.normal(size=(7, 4)), rng.integers(0, 3, size=7)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_mlp_gradients_match_tensorflow_autodiff(activation):
    model, X, labels = _tiny_mlp(activation)
    loss, grads_W, grads_b = model.loss_and_grads(X, labels)
    tf_act = {"relu": tf.nn.relu, "sigmoid": tf.sigmoid, "tanh": tf.tanh}[activation]
    Ws = [tf.Variable(W) for W in model.weights]
    bs = [tf.Variable(b) for b in model.biases]
    with tf.GradientTape() as tape:
        h = tf.constant(X)
        for i, (W, b) in enumerate(zip(Ws, bs, strict=True)):
            h = h @ W + b
            if i < len(Ws) - 1:
                h = tf_act(h)
        tf_loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, h))
    expected = tape.gradient(tf_loss, Ws + bs)
    np.testing.assert_allclose(loss, float(tf_loss), rtol=1e-10)
    for ours, theirs in zip(grads_W + grads_b, expected, strict=True):
        np.testing.assert_allclose(ours, theirs.numpy(), atol=1e-10)


def test_mlp_gradients_match_finite_differences():
    model, X, labels = _tiny_mlp("tanh")
    _, grads_W, grads_b = model.loss_and_grads(X, labels)
    for i in range(len(model.weights)):

        def loss_of_W(W, i=i):
            weights = [*model.weights[:i], W, *model.weights[i + 1 :]]
            return nn.MLP(weights, model.biases, "tanh").loss_and_grads(X, labels)[0]

        def loss_of_b(b, i=i):
            biases = [*model.biases[:i], b, *model.biases[i + 1 :]]
            return nn.MLP(model.weights, biases, "tanh").loss_and_grads(X, labels)[0]

        assert nn.gradient_check(loss_of_W, model.weights[i], grads_W[i]) < 1e-7
        assert nn.gradient_check(loss_of_b, model.biases[i], grads_b[i]) < 1e-7


def test_mlp_matches_keras_sequential_with_the_same_weights():
    model, X, _ = _tiny_mlp("relu")
    keras_model = keras.Sequential(
        [keras.Input((4,), dtype="float64"), keras.layers.Dense(6, "relu", dtype="float64"),
         keras.layers.Dense(5, "relu", dtype="float64"), keras.layers.Dense(3, dtype="float64")]
    )  # fmt: skip
    for layer, W, b in zip(keras_model.layers, model.weights, model.biases, strict=True):
        layer.set_weights([W, b])
    np.testing.assert_allclose(
        model.forward(X)[0], keras.ops.convert_to_numpy(keras_model(X)), atol=KERAS_ATOL
    )
    np.testing.assert_array_equal(
        model.predict(X), keras.ops.convert_to_numpy(keras_model(X)).argmax(axis=1)
    )


def test_mlp_rejects_inconsistent_layers_and_unknown_activation():
    with pytest.raises(
        ValueError, match=r"weights\[0\] has shape \(4, 6\) but weights\[1\] has shape \(5, 3\)"
    ):
        nn.MLP([np.ones((4, 6)), np.ones((5, 3))], [np.ones(6), np.ones(3)])
    with pytest.raises(ValueError, match="activation must be one of"):
        nn.MLP.create([2, 2], activation="swish")
    with pytest.raises(ValueError, match="sizes"):
        nn.MLP.create([3])


@pytest.mark.slow
def test_mlp_learns_sklearn_digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.25, random_state=0, stratify=y
    )
    model = nn.MLP.create([64, 64, 10], seed=0)
    rng = np.random.default_rng(0)
    for _ in range(30):
        for batch in nn.minibatches(len(X_train), 32, rng):
            _, grads_W, grads_b = model.loss_and_grads(X_train[batch], y_train[batch])
            for param, grad in zip(model.weights + model.biases, grads_W + grads_b, strict=True):
                param -= 0.1 * grad
    assert (model.predict(X_test) == y_test).mean() >= 0.95


# ------------------------------------------------------------------------- gradient checks
def test_numerical_gradient_of_a_known_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    np.testing.assert_allclose(
        nn.numerical_gradient(lambda v: float(np.sum(v**3)), x), 3 * x**2, rtol=1e-8
    )


def test_gradient_check_flags_a_wrong_sign():
    x = np.array([1.0, 2.0, -3.0])
    f = lambda v: float(np.sum(v**2))  # noqa: E731
    assert nn.gradient_check(f, x, 2 * x) < 1e-9
    assert nn.gradient_check(f, x, -2 * x) == pytest.approx(1.0)


# ------------------------------------------------------------------------------ optimizers
A = np.array([[3.0, 0.5], [0.5, 1.0]])  # a positive-definite quadratic f(x) = x^T A x / 2


def _keras_trajectory(
    optimizer: keras.optimizers.Optimizer, x0: np.ndarray, steps: int
) -> np.ndarray:
    x = keras.Variable(x0, dtype="float64")
    path = [x0]
    for _ in range(steps):
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(A @ x.numpy()), x)])
        path.append(x.numpy().copy())
    return np.array(path)


# Hyperparameters that are exact in float32, since Keras keeps them in float32 variables.
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda g, x0: nn.sgd(g, x0, lr=0.125, steps=20), keras.optimizers.SGD(0.125)),
        (lambda g, x0: nn.sgd_momentum(g, x0, lr=0.0625, steps=20, momentum=0.75),
         keras.optimizers.SGD(0.0625, momentum=0.75)),
        (lambda g, x0: nn.adam(g, x0, lr=0.125, steps=20, beta_1=0.875, beta_2=1 - 2**-10, epsilon=1e-12),
         keras.optimizers.Adam(0.125, beta_1=0.875, beta_2=1 - 2**-10, epsilon=1e-12)),
    ],
    ids=["sgd", "momentum", "adam"],
)  # fmt: skip
def test_optimizers_follow_the_same_path_as_keras(ours, theirs):
    x0 = np.array([2.0, -1.5])
    expected = _keras_trajectory(theirs, x0, 20)
    np.testing.assert_allclose(ours(lambda x: A @ x, x0), expected, rtol=KERAS_RTOL, atol=1e-9)


def test_gradient_descent_converges_below_and_diverges_above_two_over_curvature():
    grad = lambda x: 4.0 * x  # noqa: E731  f(x) = 2 x^2, curvature 4: stable iff lr < 2 / 4
    assert abs(nn.sgd(grad, [1.0], lr=0.45, steps=100)[-1, 0]) < 1e-3
    assert abs(nn.sgd(grad, [1.0], lr=0.55, steps=100)[-1, 0]) > 1e3


def test_optimizer_arguments_are_validated():
    with pytest.raises(ValueError, match="lr must be positive"):
        nn.sgd(lambda x: x, [1.0], lr=0, steps=3)
    with pytest.raises(ValueError, match="momentum"):
        nn.sgd_momentum(lambda x: x, [1.0], lr=0.1, steps=3, momentum=1.0)


def test_minibatches_cover_every_index_exactly_once():
    batches_ = list(nn.minibatches(10, 4, np.random.default_rng(0)))
    assert [len(b) for b in batches_] == [4, 4, 2]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches_)), np.arange(10))


# ------------------------------------------------------------------------------- attention
@FAST
@given(st.integers(1, 3), st.integers(1, 5), st.integers(1, 5), st.integers(1, 4), st.integers(1, 4),
       st.integers(0, 2**31 - 1))  # fmt: skip
def test_attention_weights_are_distributions_and_output_matches_keras_ops(
    batch, n_q, n_k, d_k, d_v, seed
):
    rng = np.random.default_rng(seed)
    Q, K = rng.normal(size=(batch, n_q, d_k)), rng.normal(size=(batch, n_k, d_k))
    V = rng.normal(size=(batch, n_k, d_v))
    out, weights = nn.scaled_dot_product_attention(Q, K, V)
    assert out.shape == (batch, n_q, d_v) and weights.shape == (batch, n_q, n_k)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-12)
    if d_k == d_v:  # keras.ops.dot_product_attention wants (batch, n, heads, d) with d_k == d_v
        expected = keras.ops.dot_product_attention(Q[:, :, None], K[:, :, None], V[:, :, None])
        # Keras computes the scale 1/sqrt(d_k) in float32, and JAX and PyTorch the whole
        # attention in float32 (outputs near 1 then differ by a few 1e-7), hence the tolerances.
        expected = keras.ops.convert_to_numpy(expected)[:, :, 0]
        atol = 1e-7 if expected.dtype == np.float64 else 2e-6
        np.testing.assert_allclose(out, expected, atol=atol)


def test_attention_is_softmax_of_scaled_scores_times_values():
    rng = np.random.default_rng(4)
    Q, K, V = rng.normal(size=(3, 8)), rng.normal(size=(5, 8)), rng.normal(size=(5, 2))
    weights = tf.nn.softmax(
        tf.constant(Q @ K.T) / tf.sqrt(tf.constant(8.0, tf.float64)), axis=-1
    ).numpy()
    out, ours = nn.scaled_dot_product_attention(Q, K, V)
    np.testing.assert_allclose(ours, weights, atol=1e-12)
    np.testing.assert_allclose(out, weights @ V, atol=1e-12)


def test_causal_attention_matches_keras_ops_and_ignores_the_future():
    rng = np.random.default_rng(5)
    Q, K, V = (rng.normal(size=(2, 6, 4)) for _ in range(3))
    out, weights = nn.scaled_dot_product_attention(Q, K, V, causal=True)
    assert np.all(weights[:, np.triu_indices(6, k=1)[0], np.triu_indices(6, k=1)[1]] == 0)
    expected = keras.ops.dot_product_attention(
        Q[:, :, None], K[:, :, None], V[:, :, None], is_causal=True
    )
    np.testing.assert_allclose(out, keras.ops.convert_to_numpy(expected)[:, :, 0], atol=1e-7)
    V_changed = V.copy()
    V_changed[:, -1] += 100.0  # changing the last value can change only the last output
    out_changed, _ = nn.scaled_dot_product_attention(Q, K, V_changed, causal=True)
    np.testing.assert_allclose(out_changed[:, :-1], out[:, :-1], atol=1e-12)


def test_causal_mask_is_lower_triangular():
    np.testing.assert_array_equal(nn.causal_mask(3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]])


@pytest.mark.parametrize(("heads", "causal"), [(1, False), (2, False), (3, True)])
def test_multi_head_attention_matches_keras_layer_with_identical_weights(heads, causal):
    rng = np.random.default_rng(heads)
    query, value = rng.normal(size=(2, 5, 6)), rng.normal(size=(2, 7 if not causal else 5, 6))
    layer = keras.layers.MultiHeadAttention(num_heads=heads, key_dim=4, dtype="float64")
    expected = keras.ops.convert_to_numpy(layer(query, value, use_causal_mask=causal))
    ours = nn.multi_head_attention(query, value, layer.get_weights(), causal=causal)
    np.testing.assert_allclose(ours, expected, atol=1e-10 if KERAS_FLOAT64 else 1e-5)


def test_attention_shape_mismatches_name_both_shapes():
    with pytest.raises(ValueError, match=r"Q has shape \(2, 3\) but K has shape \(4, 5\)"):
        nn.scaled_dot_product_attention(np.ones((2, 3)), np.ones((4, 5)), np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"K has shape \(4, 3\) but V has shape \(5, 2\)"):
        nn.scaled_dot_product_attention(np.ones((2, 3)), np.ones((4, 3)), np.ones((5, 2)))
    with pytest.raises(ValueError, match="no key to attend to"):
        nn.scaled_dot_product_attention(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 1)), mask=np.array([[True, True], [False, False]]))  # fmt: skip


# ---------------------------------------------------------------------- layer normalisation
@FAST
@given(batches(min_side=2), st.integers(0, 2**31 - 1), st.sampled_from([1e-5, 1e-3]))
def test_layer_norm_matches_keras_layer_normalization(x, seed, epsilon):
    rng = np.random.default_rng(seed)
    gamma, beta = rng.normal(size=x.shape[-1]), rng.normal(size=x.shape[-1])
    layer = keras.layers.LayerNormalization(epsilon=epsilon, dtype="float64")
    layer.build(x.shape)
    layer.set_weights([gamma, beta])
    expected = keras.ops.convert_to_numpy(layer(x))
    # Off TensorFlow, Keras computes this float64 layer in float32 (see KERAS_FLOAT64): its
    # rounding of x, amplified by 1/sqrt(var + epsilon) on near-constant rows, bounds the gap.
    float32_gap = 1e-6 * (1 + np.abs(x).max()) * (1 + np.abs(gamma).max()) / np.sqrt(epsilon)
    ours = nn.layer_norm(x, gamma, beta, epsilon=epsilon)
    np.testing.assert_allclose(ours, expected, atol=1e-7 if KERAS_FLOAT64 else float32_gap)


def test_layer_norm_rows_have_zero_mean_and_unit_variance_on_any_leading_shape():
    x = np.random.default_rng(4).normal(3.0, 5.0, size=(2, 3, 16))
    y = nn.layer_norm(x, epsilon=0.0)
    np.testing.assert_allclose(y.mean(axis=-1), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=-1), 1.0, atol=1e-12)


@FAST
@given(st.integers(1, 4), st.integers(2, 6), st.integers(0, 2**31 - 1))
def test_layer_norm_backward_matches_autodiff(n, d, seed):
    rng = np.random.default_rng(seed)
    x, dy = rng.normal(size=(n, 3, d)), rng.normal(size=(n, 3, d))
    gamma, beta = rng.normal(size=d), rng.normal(size=d)
    variables = [tf.Variable(a) for a in (x, gamma, beta)]
    with tf.GradientTape() as tape:
        mean, var = tf.nn.moments(variables[0], axes=[-1], keepdims=True)
        y = variables[1] * (variables[0] - mean) / tf.sqrt(var + 1e-5) + variables[2]
        loss = tf.reduce_sum(y * dy)
    ours = nn.layer_norm_backward(x, dy, gamma, epsilon=1e-5)
    for mine, theirs in zip(ours, tape.gradient(loss, variables), strict=True):
        np.testing.assert_allclose(mine, theirs.numpy(), atol=1e-9)


def test_layer_norm_rejects_parameters_of_the_wrong_width():
    with pytest.raises(ValueError, match=r"gamma has shape \(3,\) but x has shape \(2, 4\)"):
        nn.layer_norm(np.ones((2, 4)), gamma=np.ones(3))
    with pytest.raises(ValueError, match=r"x has shape \(2, 4\) but dy has shape \(2, 3\)"):
        nn.layer_norm_backward(np.ones((2, 4)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="epsilon must be non-negative"):
        nn.layer_norm(np.ones((2, 4)), epsilon=-1.0)
