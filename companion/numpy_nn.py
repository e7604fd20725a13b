"""Neural-network mathematics in plain NumPy, written to be read.

The Mathematics part of the book derives each formula, then uses these functions.
Each is short, works in float64, and is tested against an independent computation
(TensorFlow autodiff, ``keras.losses``, ``keras.ops``, Keras layers, or finite
differences) in ``tests/test_numpy_nn.py``.

Shapes follow Keras: the batch is the first axis. A dense layer takes ``X`` of
shape ``(n, d_in)``, holds ``W`` of shape ``(d_in, d_out)`` and ``b`` of shape
``(d_out,)``, and returns ``Z = X @ W + b`` of shape ``(n, d_out)``. A loss
returns one number, the mean over the batch; its ``*_grad`` companion returns the
gradient of that number with respect to the predictions (same shape as them).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "adam",
    "binary_crossentropy",
    "binary_crossentropy_from_logits",
    "binary_crossentropy_from_logits_grad",
    "binary_crossentropy_grad",
    "categorical_crossentropy",
    "categorical_crossentropy_from_logits",
    "categorical_crossentropy_from_logits_grad",
    "categorical_crossentropy_grad",
    "causal_mask",
    "dense_backward",
    "dense_forward",
    "dot_as_text",
    "gradient_check",
    "huber",
    "huber_grad",
    "layer_norm",
    "layer_norm_backward",
    "logsumexp",
    "minibatches",
    "mse",
    "mse_grad",
    "multi_head_attention",
    "numerical_gradient",
    "one_hot",
    "relative_error",
    "relu",
    "relu_grad",
    "scaled_dot_product_attention",
    "sgd",
    "sgd_momentum",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "softmax_backward",
    "softmax_jacobian",
    "tanh",
    "tanh_grad",
]

Array = np.ndarray


# ----------------------------------------------------------------------------- checks
def _array(value: ArrayLike, name: str) -> Array:
    """``value`` as a float64 array; ``TypeError`` naming ``name`` if it is not numeric."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be numeric (a number or an array of numbers), got {type(value).__name__}."
        ) from error
    return array


def _same_shape(a: Array, b: Array, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}; they must be equal."
        )


def _ndim(a: Array, ndim: int, name: str, expected: str) -> None:
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {expected}, got shape {a.shape}.")


def _number(x: float, digits: int) -> str:
    text = f"{x:.{digits}g}".replace("-", "−")
    return f"({text})" if x < 0 else text


def dot_as_text(a: ArrayLike, b: ArrayLike, digits: int = 4) -> str:
    """A dot product written out for a worked example: ``"1·2 + 3·(−1) = −1"``.

    ``a`` and ``b`` are vectors of the same length ``(n,)``; each number is shown with
    ``digits`` significant digits. Used in: Part 2, Tensors and matrix operations; Forward
    propagation; Attention.
    """
    a, b = _array(a, "a"), _array(b, "b")
    _same_shape(a, b, "a", "b")
    _ndim(a, 1, "a", "a vector of shape (n,)")
    terms = " + ".join(
        f"{_number(x, digits)}·{_number(y, digits)}" for x, y in zip(a, b, strict=True)
    )
    return f"{terms} = {f'{float(a @ b):.{digits}g}'.replace('-', '−')}"


# ------------------------------------------------------------------------ activations
def relu(z: ArrayLike) -> Array:
    """ReLU, ``max(z, 0)``, elementwise. Used in: Part 2, Forward propagation;
    Backpropagation from scratch; Residual connections and layer normalisation.
    """
    return np.maximum(_array(z, "z"), 0.0)


def relu_grad(z: ArrayLike) -> Array:
    """Derivative of ReLU: 1 where ``z > 0``, else 0 (0 at ``z == 0``, as TensorFlow does).

    Used in: Part 2, Forward propagation (through :data:`ACTIVATIONS`); Backpropagation from
    scratch (through :class:`MLP`); Residual connections and layer normalisation.
    """
    return (_array(z, "z") > 0).astype(np.float64)


def sigmoid(z: ArrayLike) -> Array:
    """Logistic sigmoid ``1 / (1 + exp(-z))``, without overflow for large ``|z|``.

    Used in: Part 2, Forward propagation; Loss functions.
    """
    z = _array(z, "z")
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad(z: ArrayLike) -> Array:
    """Derivative of the sigmoid: ``s (1 - s)`` with ``s = sigmoid(z)``. Used in: Part 2, Forward propagation."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z: ArrayLike) -> Array:
    """Hyperbolic tangent, elementwise. Used in: Part 2, Forward propagation (through
    :data:`ACTIVATIONS`).
    """
    return np.tanh(_array(z, "z"))


def tanh_grad(z: ArrayLike) -> Array:
    """Derivative of tanh: ``1 - tanh(z)**2``. Used in: Part 2, Forward propagation."""
    return 1.0 - np.tanh(_array(z, "z")) ** 2


def softmax(z: ArrayLike, axis: int = -1) -> Array:
    """Softmax along ``axis``: ``exp(z_i) / sum_j exp(z_j)``, computed as ``exp(z_i - max z)``.

    Subtracting the maximum changes nothing mathematically (the factor ``exp(-max z)``
    cancels) but keeps every ``exp`` at most 1, so large logits cannot overflow.
    Used in: Part 2, Forward propagation; Loss functions; Likelihood: from losses to perplexity;
    Backpropagation from scratch; Attention.
    """
    z = _array(z, "z")
    shifted = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_jacobian(s: ArrayLike) -> Array:
    """Jacobian ``ds_i/dz_j = s_i (delta_ij - s_j)`` of one softmax vector ``s`` of shape ``(k,)``.

    Returns a ``(k, k)`` matrix. Used in: Part 2, Forward propagation; Attention.
    """
    s = _array(s, "s")
    _ndim(s, 1, "s", "one probability vector of shape (k,)")
    return np.diag(s) - np.outer(s, s)


def softmax_backward(s: ArrayLike, grad_s: ArrayLike, axis: int = -1) -> Array:
    """Gradient with respect to the logits, given ``s = softmax(z)`` and ``grad_s = dL/ds``.

    This is the Jacobian-vector product ``s * (grad_s - sum(grad_s * s))`` along
    ``axis``, without building the Jacobian. Shapes of ``s`` and ``grad_s`` must match.
    No chapter calls it: Backpropagation from scratch uses the fused gradient of softmax and
    cross-entropy.
    """
    s, grad_s = _array(s, "s"), _array(grad_s, "grad_s")
    _same_shape(s, grad_s, "s", "grad_s")
    return s * (grad_s - np.sum(grad_s * s, axis=axis, keepdims=True))


ACTIVATIONS: dict[str, tuple[Callable[[ArrayLike], Array], Callable[[ArrayLike], Array]]] = {
    "relu": (relu, relu_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
}
"""Each hidden-layer activation by name, as ``(function, derivative)``."""


# ----------------------------------------------------------------------------- losses
def logsumexp(z: ArrayLike, axis: int = -1, keepdims: bool = False) -> Array:
    """``log(sum(exp(z)))`` along ``axis``, computed stably as ``m + log(sum(exp(z - m)))``.

    ``m`` is the maximum along ``axis``. Used in: Part 2, Loss functions.
    """
    z = _array(z, "z")
    m = np.max(z, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def one_hot(labels: ArrayLike, num_classes: int) -> Array:
    """Integer labels of shape ``(n,)`` to a one-hot matrix of shape ``(n, num_classes)``.

    Used in: Part 2, Loss functions; Backpropagation from scratch.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(
            f"labels must be integers of shape (n,), got {labels.dtype} {labels.shape}."
        )
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"labels must lie in 0 .. {num_classes - 1}, got values from {labels.min()} to {labels.max()}."
        )
    return np.eye(num_classes)[labels]


def mse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean squared error ``mean((y_pred - y_true)**2)`` over every entry.

    Used in: Part 2, Loss functions; Residual connections and layer normalisation.
    """
    y_true, y_pred = _array(y_true, "y_true"), _array(y_pred, "y_pred")
    _same_shape(y_true, y_pred, "y_true", "y_pred")
    return float(np.mean((y_pred - y_true) ** 2))


def mse_grad(y_true: ArrayLike, y_pred: ArrayLike) -> Array:
    """Gradient of :func:`mse` with respect to ``y_pred``: ``2 (y_pred - y_true) / size``.

    The sign matters: the gradient points from the target towards the prediction,
    so a gradient-descent step (minus the gradient) moves the prediction towards the target.
    Used in: Part 2, Loss functions; Residual connections and layer normalisation.
    """
    y_true, y_pred = _array(y_true, "y_true"), _array(y_pred, "y_pred")
    _same_shape(y_true, y_pred, "y_true", "y_pred")
    return 2.0 * (y_pred - y_true) / y_pred.size


def huber(y_true: ArrayLike, y_pred: ArrayLike, delta: float = 1.0) -> float:
    """Huber loss: ``r**2 / 2`` for ``|r| <= delta``, else ``delta (|r| - delta / 2)``; mean over entries.

    ``r = y_pred - y_true``. Quadratic near zero, linear for outliers.
    Used in: Part 2, Loss functions.
    """
    y_true, y_pred = _array(y_true, "y_true"), _array(y_pred, "y_pred")
    _same_shape(y_true, y_pred, "y_true", "y_pred")
    if delta <= 0:
        raise ValueError(f"delta must be positive, got {delta}.")
    r = np.abs(y_pred - y_true)
    return float(np.mean(np.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta))))


def huber_grad(y_true: ArrayLike, y_pred: ArrayLike, delta: float = 1.0) -> Array:
    """Gradient of :func:`huber` with respect to ``y_pred``: ``clip(r, -delta, delta) / size``.

    Used in: Part 2, Loss functions.
    """
    y_true, y_pred = _array(y_true, "y_true"), _array(y_pred, "y_pred")
    _same_shape(y_true, y_pred, "y_true", "y_pred")
    if delta <= 0:
        raise ValueError(f"delta must be positive, got {delta}.")
    return np.clip(y_pred - y_true, -delta, delta) / y_pred.size


def binary_crossentropy(y_true: ArrayLike, p: ArrayLike, eps: float = 1e-7) -> float:
    """``-mean(y log p + (1 - y) log(1 - p))`` from probabilities ``p``, clipped to ``[eps, 1 - eps]``.

    Keras clips the same way (``epsilon = 1e-7``). No chapter calls it: they use the
    ``from_logits`` form.
    """
    y_true, p = _array(y_true, "y_true"), _array(p, "p")
    _same_shape(y_true, p, "y_true", "p")
    p = np.clip(p, eps, 1.0 - eps)
    return float(-np.mean(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p)))


def binary_crossentropy_grad(y_true: ArrayLike, p: ArrayLike) -> Array:
    """Gradient of :func:`binary_crossentropy` with respect to ``p`` (inside the clip range).

    ``(p - y) / (p (1 - p)) / size``. No chapter calls it: they use the ``from_logits``
    form.
    """
    y_true, p = _array(y_true, "y_true"), _array(p, "p")
    _same_shape(y_true, p, "y_true", "p")
    return (p - y_true) / (p * (1.0 - p)) / p.size


def binary_crossentropy_from_logits(y_true: ArrayLike, z: ArrayLike) -> float:
    """Binary cross-entropy of ``p = sigmoid(z)``, computed from the logits ``z`` without overflow.

    Uses ``max(z, 0) - z y + log(1 + exp(-|z|))``, which equals
    ``-(y log p + (1 - y) log(1 - p))`` exactly but never takes ``log(0)``.
    Used in: Part 2, Loss functions.
    """
    y_true, z = _array(y_true, "y_true"), _array(z, "z")
    _same_shape(y_true, z, "y_true", "z")
    return float(np.mean(np.maximum(z, 0.0) - z * y_true + np.log1p(np.exp(-np.abs(z)))))


def binary_crossentropy_from_logits_grad(y_true: ArrayLike, z: ArrayLike) -> Array:
    """Gradient of :func:`binary_crossentropy_from_logits` with respect to ``z``: ``(sigmoid(z) - y) / size``.

    Used in: Part 2, Loss functions.
    """
    y_true, z = _array(y_true, "y_true"), _array(z, "z")
    _same_shape(y_true, z, "y_true", "z")
    return (sigmoid(z) - y_true) / z.size


def categorical_crossentropy(y_true: ArrayLike, p: ArrayLike, eps: float = 1e-7) -> float:
    """``-mean_n sum_k y_nk log p_nk`` from probabilities ``p`` of shape ``(n, k)``, clipped at ``eps``.

    ``y_true`` is one-hot (or a distribution) of the same shape. No chapter calls it: they
    use the ``from_logits`` form.
    """
    y_true, p = _array(y_true, "y_true"), _array(p, "p")
    _same_shape(y_true, p, "y_true", "p")
    _ndim(p, 2, "p", "a batch of probability vectors of shape (n, k)")
    return float(-np.mean(np.sum(y_true * np.log(np.clip(p, eps, 1.0)), axis=-1)))


def categorical_crossentropy_grad(y_true: ArrayLike, p: ArrayLike) -> Array:
    """Gradient of :func:`categorical_crossentropy` with respect to ``p``: ``-y / p / n``.

    No chapter calls it: they use the ``from_logits`` form.
    """
    y_true, p = _array(y_true, "y_true"), _array(p, "p")
    _same_shape(y_true, p, "y_true", "p")
    _ndim(p, 2, "p", "a batch of probability vectors of shape (n, k)")
    return -y_true / p / p.shape[0]


def categorical_crossentropy_from_logits(y_true: ArrayLike, z: ArrayLike) -> float:
    """Cross-entropy of ``softmax(z)`` from logits ``z`` of shape ``(n, k)``, with log-sum-exp.

    ``-log softmax(z)_k = logsumexp(z) - z_k``, so the loss is
    ``mean_n sum_k y_nk (logsumexp(z_n) - z_nk)``: no ``exp`` overflows, no ``log(0)``.
    Used in: Part 2, Loss functions; Backpropagation from scratch.
    """
    y_true, z = _array(y_true, "y_true"), _array(z, "z")
    _same_shape(y_true, z, "y_true", "z")
    _ndim(z, 2, "z", "a batch of logit vectors of shape (n, k)")
    log_probs = z - logsumexp(z, axis=-1, keepdims=True)
    return float(-np.mean(np.sum(y_true * log_probs, axis=-1)))


def categorical_crossentropy_from_logits_grad(y_true: ArrayLike, z: ArrayLike) -> Array:
    """Gradient of :func:`categorical_crossentropy_from_logits` with respect to ``z``.

    ``(softmax(z) * sum_k y_k - y) / n``, which is ``(softmax(z) - y) / n`` for one-hot ``y``.
    Used in: Part 2, Loss functions; Backpropagation from scratch (through :class:`MLP`).
    """
    y_true, z = _array(y_true, "y_true"), _array(z, "z")
    _same_shape(y_true, z, "y_true", "z")
    _ndim(z, 2, "z", "a batch of logit vectors of shape (n, k)")
    return (softmax(z) * y_true.sum(axis=-1, keepdims=True) - y_true) / z.shape[0]


# ------------------------------------------------------------------------ dense layer
def dense_forward(X: ArrayLike, W: ArrayLike, b: ArrayLike) -> Array:
    """``Z = X @ W + b``: ``X`` is ``(n, d_in)``, ``W`` is ``(d_in, d_out)``, ``b`` is ``(d_out,)``.

    Returns ``Z`` of shape ``(n, d_out)``; raises ``ValueError`` naming both shapes on a mismatch.
    Used in: Part 2, Tensors and matrix operations; Backpropagation from scratch (through
    :class:`MLP`).
    """
    X, W, b = _array(X, "X"), _array(W, "W"), _array(b, "b")
    _ndim(X, 2, "X", "a batch of shape (n, d_in)")
    _ndim(W, 2, "W", "a matrix of shape (d_in, d_out)")
    if X.shape[1] != W.shape[0]:
        raise ValueError(
            f"X has shape {X.shape} but W has shape {W.shape}: the last axis of X "
            f"({X.shape[1]}) must equal the first axis of W ({W.shape[0]})."
        )
    if b.shape != (W.shape[1],):
        raise ValueError(
            f"b has shape {b.shape} but W has shape {W.shape}: b must be ({W.shape[1]},)."
        )
    return X @ W + b


def dense_backward(X: ArrayLike, W: ArrayLike, dZ: ArrayLike) -> tuple[Array, Array, Array]:
    """Gradients of a dense layer, given ``dZ = dL/dZ`` of shape ``(n, d_out)``.

    Returns ``(dX, dW, db)``: ``dX = dZ @ W.T`` ``(n, d_in)``, ``dW = X.T @ dZ``
    ``(d_in, d_out)``, ``db = dZ.sum(axis=0)`` ``(d_out,)``.
    Used in: Part 2, Backpropagation from scratch (through :class:`MLP`).
    """
    X, W, dZ = _array(X, "X"), _array(W, "W"), _array(dZ, "dZ")
    _ndim(X, 2, "X", "a batch of shape (n, d_in)")
    _ndim(W, 2, "W", "a matrix of shape (d_in, d_out)")
    if X.shape[1] != W.shape[0]:
        raise ValueError(
            f"X has shape {X.shape} but W has shape {W.shape}: the last axis of X "
            f"({X.shape[1]}) must equal the first axis of W ({W.shape[0]})."
        )
    if dZ.shape != (X.shape[0], W.shape[1]):
        raise ValueError(
            f"dZ has shape {dZ.shape} but X has shape {X.shape} and W has shape {W.shape}: "
            f"dZ must be {(X.shape[0], W.shape[1])}."
        )
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)


# ------------------------------------------------------------------ layer normalisation
def _layer_norm_parameters(
    x: Array, gamma: ArrayLike | None, beta: ArrayLike | None
) -> tuple[Array, Array]:
    """``gamma`` and ``beta`` as ``(d,)`` arrays (defaults 1 and 0) for ``x`` of shape ``(..., d)``."""
    if x.ndim < 1 or x.shape[-1] < 1:
        raise ValueError(f"x must have a last axis of features (..., d), got shape {x.shape}.")
    d = x.shape[-1]
    gamma = np.ones(d) if gamma is None else _array(gamma, "gamma")
    beta = np.zeros(d) if beta is None else _array(beta, "beta")
    for name, value in (("gamma", gamma), ("beta", beta)):
        if value.shape != (d,):
            raise ValueError(
                f"{name} has shape {value.shape} but x has shape {x.shape}: {name} must be ({d},), "
                "one number per feature (the last axis of x)."
            )
    return gamma, beta


def _normalise(x: Array, epsilon: float) -> tuple[Array, Array]:
    if epsilon < 0:
        raise ValueError(f"epsilon must be non-negative, got {epsilon}.")
    mean = x.mean(axis=-1, keepdims=True)
    std = np.sqrt(x.var(axis=-1, keepdims=True) + epsilon)  # population variance, as Keras
    return (x - mean) / std, std


def layer_norm(
    x: ArrayLike,
    gamma: ArrayLike | None = None,
    beta: ArrayLike | None = None,
    *,
    epsilon: float = 1e-5,
) -> Array:
    """``gamma * (x - mean) / sqrt(var + epsilon) + beta`` over the last axis of ``x``.

    Each row (each example, each token) is normalised on its own, with the mean and the
    population variance of its ``d`` features; ``gamma`` and ``beta`` (shape ``(d,)``,
    default 1 and 0) are the learned scale and shift. Keras's ``LayerNormalization``
    computes the same; its default ``epsilon`` is 1e-3, the tiny GPT's 1e-5.
    Used in: Part 2, Residual connections and layer normalisation.
    """
    x = _array(x, "x")
    gamma, beta = _layer_norm_parameters(x, gamma, beta)
    x_hat, _ = _normalise(x, epsilon)
    return gamma * x_hat + beta


def layer_norm_backward(
    x: ArrayLike,
    dy: ArrayLike,
    gamma: ArrayLike | None = None,
    *,
    epsilon: float = 1e-5,
) -> tuple[Array, Array, Array]:
    """Gradients of :func:`layer_norm` at ``x``, given ``dy = dL/dy`` (same shape as ``x``).

    Returns ``(dx, dgamma, dbeta)``. With ``x_hat`` the normalised input, ``s`` the
    standard deviation and ``g = dy * gamma``, each row gets
    ``dx = (g - mean(g) - x_hat * mean(g * x_hat)) / s``; ``dgamma`` and ``dbeta`` sum
    ``dy * x_hat`` and ``dy`` over every axis but the last.
    Used in: Part 2, Residual connections and layer normalisation.
    """
    x, dy = _array(x, "x"), _array(dy, "dy")
    _same_shape(x, dy, "x", "dy")
    gamma, _ = _layer_norm_parameters(x, gamma, None)
    x_hat, std = _normalise(x, epsilon)
    g = dy * gamma
    dx = (
        g - g.mean(axis=-1, keepdims=True) - x_hat * (g * x_hat).mean(axis=-1, keepdims=True)
    ) / std
    rows = tuple(range(x.ndim - 1))
    return dx, (dy * x_hat).sum(axis=rows), dy.sum(axis=rows)


# ------------------------------------------------------------------------------- MLP
@dataclass
class MLP:
    """A multilayer perceptron: dense layers with a hidden activation, logits at the end.

    ``weights[i]`` is ``(d_i, d_{i+1})`` and ``biases[i]`` is ``(d_{i+1},)``. The last
    layer has no activation: it returns logits, to be used with
    :func:`categorical_crossentropy_from_logits`.
    Used in: Part 2, Backpropagation from scratch.
    """

    weights: list[Array]
    biases: list[Array]
    activation: str = "relu"

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}."
            )
        if len(self.weights) != len(self.biases) or not self.weights:
            raise ValueError(
                f"weights and biases must be non-empty lists of equal length, got "
                f"{len(self.weights)} and {len(self.biases)}."
            )
        self.weights = [_array(W, f"weights[{i}]") for i, W in enumerate(self.weights)]
        self.biases = [_array(b, f"biases[{i}]") for i, b in enumerate(self.biases)]
        for i, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            if W.ndim != 2 or b.shape != (W.shape[1],):
                raise ValueError(
                    f"weights[{i}] has shape {W.shape} and biases[{i}] has shape {b.shape}; "
                    f"expected (d_in, d_out) and (d_out,)."
                )
            if i and W.shape[0] != self.weights[i - 1].shape[1]:
                raise ValueError(
                    f"weights[{i - 1}] has shape {self.weights[i - 1].shape} but weights[{i}] has "
                    f"shape {W.shape}: consecutive layers must agree."
                )

    @classmethod
    def create(cls, sizes: Sequence[int], *, activation: str = "relu", seed: int = 0) -> MLP:
        """Random weights for layer sizes such as ``[64, 32, 10]``; zero biases.

        He initialisation (``N(0, 2 / d_in)``) for ReLU, Glorot (``N(0, 2 / (d_in + d_out))``) otherwise.
        """
        if len(sizes) < 2 or any(int(s) != s or s < 1 for s in sizes):
            raise ValueError(f"sizes must be at least two positive ints, got {list(sizes)}.")
        rng = np.random.default_rng(seed)
        weights, biases = [], []
        for d_in, d_out in itertools.pairwise(sizes):
            variance = 2.0 / d_in if activation == "relu" else 2.0 / (d_in + d_out)
            weights.append(rng.normal(0.0, np.sqrt(variance), size=(d_in, d_out)))
            biases.append(np.zeros(d_out))
        return cls(weights, biases, activation)

    def forward(self, X: ArrayLike) -> tuple[Array, list[tuple[Array, Array]]]:
        """Logits ``(n, k)`` and a cache of ``(layer input, pre-activation)`` per layer."""
        h = _array(X, "X")
        act, _ = ACTIVATIONS[self.activation]
        cache = []
        for i, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = dense_forward(h, W, b)
            cache.append((h, z))
            h = z if i == len(self.weights) - 1 else act(z)
        return h, cache

    def backward(
        self, cache: list[tuple[Array, Array]], dlogits: ArrayLike
    ) -> tuple[list[Array], list[Array]]:
        """Gradients ``(dW per layer, db per layer)`` from ``dlogits = dL/dlogits`` ``(n, k)``."""
        _, act_grad = ACTIVATIONS[self.activation]
        dz = _array(dlogits, "dlogits")
        grads_W: list[Array] = [np.empty(0)] * len(self.weights)
        grads_b: list[Array] = [np.empty(0)] * len(self.weights)
        for i in reversed(range(len(self.weights))):
            h, _ = cache[i]
            dh, grads_W[i], grads_b[i] = dense_backward(h, self.weights[i], dz)
            if i:  # through the activation of the layer below
                dz = dh * act_grad(cache[i - 1][1])
        return grads_W, grads_b

    def loss_and_grads(
        self, X: ArrayLike, labels: ArrayLike
    ) -> tuple[float, list[Array], list[Array]]:
        """Mean softmax cross-entropy on integer ``labels`` ``(n,)``, and its gradients."""
        logits, cache = self.forward(X)
        y = one_hot(labels, logits.shape[1])
        loss = categorical_crossentropy_from_logits(y, logits)
        grads_W, grads_b = self.backward(
            cache, categorical_crossentropy_from_logits_grad(y, logits)
        )
        return loss, grads_W, grads_b

    def predict(self, X: ArrayLike) -> Array:
        """The most likely class of each row of ``X``, shape ``(n,)``."""
        return np.argmax(self.forward(X)[0], axis=1)


# -------------------------------------------------------------------- gradient checks
def numerical_gradient(f: Callable[[Array], float], x: ArrayLike, eps: float = 1e-6) -> Array:
    """Central finite differences ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every entry.

    ``f`` maps an array shaped like ``x`` to a number; ``x`` is not modified. The
    error is of order ``eps**2`` (plus rounding of order ``1e-16 / eps``).
    Used in: Part 2, Loss functions; Backpropagation from scratch (through
    :func:`gradient_check`).
    """
    x = _array(x, "x")
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        grad[index] = (f(x + step) - f(x - step)) / (2.0 * eps)
    return grad


def relative_error(a: ArrayLike, b: ArrayLike) -> float:
    """``||a - b|| / (||a|| + ||b||)``: 0 for equal arrays, 1 for opposite ones.

    Used in: Part 2, Backpropagation from scratch (through :func:`gradient_check`).
    """
    a, b = _array(a, "a"), _array(b, "b")
    _same_shape(a, b, "a", "b")
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denominator == 0 else float(np.linalg.norm(a - b) / denominator)


def gradient_check(
    f: Callable[[Array], float], x: ArrayLike, analytic: ArrayLike, eps: float = 1e-6
) -> float:
    """Relative error between an ``analytic`` gradient of ``f`` at ``x`` and finite differences.

    Below about ``1e-7`` in float64 the analytic gradient is right; above ``1e-3`` it is wrong.
    Used in: Part 2, Backpropagation from scratch; Residual connections and layer normalisation;
    Part 4, Fine-tuning with low-rank adapters.
    """
    analytic = _array(analytic, "analytic")
    x = _array(x, "x")
    _same_shape(x, analytic, "x", "analytic")
    return relative_error(analytic, numerical_gradient(f, x, eps))


# ------------------------------------------------------------------------- optimizers
def _start(x0: ArrayLike, lr: float, steps: int) -> Array:
    if lr <= 0:
        raise ValueError(f"lr must be positive, got {lr}.")
    if int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be a non-negative int, got {steps}.")
    return _array(x0, "x0").copy()


def sgd(grad_fn: Callable[[Array], Array], x0: ArrayLike, *, lr: float, steps: int) -> Array:
    """Gradient descent ``x <- x - lr * grad_fn(x)``; returns the trajectory ``(steps + 1, *x0.shape)``.

    Used in: Part 2, Gradient descent.
    """
    x = _start(x0, lr, steps)
    path = [x.copy()]
    for _ in range(steps):
        x = x - lr * grad_fn(x)
        path.append(x.copy())
    return np.array(path)


def sgd_momentum(
    grad_fn: Callable[[Array], Array],
    x0: ArrayLike,
    *,
    lr: float,
    steps: int,
    momentum: float = 0.9,
) -> Array:
    """Gradient descent with momentum: ``v <- momentum v - lr g``, ``x <- x + v`` (as in Keras).

    Returns the trajectory ``(steps + 1, *x0.shape)``. Used in: Part 2, Gradient descent.
    """
    x = _start(x0, lr, steps)
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}.")
    v = np.zeros_like(x)
    path = [x.copy()]
    for _ in range(steps):
        v = momentum * v - lr * grad_fn(x)
        x = x + v
        path.append(x.copy())
    return np.array(path)


def adam(
    grad_fn: Callable[[Array], Array],
    x0: ArrayLike,
    *,
    lr: float,
    steps: int,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-8,
) -> Array:
    """Adam (Kingma and Ba, Algorithm 1); returns the trajectory ``(steps + 1, *x0.shape)``.

    ``m`` and ``v`` are running means of ``g`` and ``g**2``; dividing by
    ``1 - beta**t`` removes their bias towards 0 in the first steps; the step is
    ``lr * m_hat / (sqrt(v_hat) + epsilon)``. (Keras folds the bias correction into
    the learning rate, which moves ``epsilon`` slightly; the difference is of order
    ``epsilon``.) Used in: Part 2, Gradient descent.
    """
    x = _start(x0, lr, steps)
    m, v = np.zeros_like(x), np.zeros_like(x)
    path = [x.copy()]
    for t in range(1, steps + 1):
        g = grad_fn(x)
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
        x = x - lr * m_hat / (np.sqrt(v_hat) + epsilon)
        path.append(x.copy())
    return np.array(path)


def minibatches(n: int, batch_size: int, rng: np.random.Generator) -> Iterator[Array]:
    """Shuffle ``range(n)`` with ``rng`` and yield index arrays of ``batch_size`` (the last may be shorter).

    Used in: Part 2, Gradient descent; Backpropagation from scratch.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


# -------------------------------------------------------------------------- attention
def causal_mask(n_q: int, n_k: int | None = None) -> Array:
    """Boolean ``(n_q, n_k)`` mask, True where query ``i`` may attend to key ``j``, that is ``j <= i``.

    Used in: Part 2, Attention (through :func:`scaled_dot_product_attention`).
    """
    n_k = n_q if n_k is None else n_k
    if n_q < 1 or n_k < 1:
        raise ValueError(f"n_q and n_k must be positive, got {n_q} and {n_k}.")
    return np.tril(np.ones((n_q, n_k), dtype=bool))


def scaled_dot_product_attention(
    Q: ArrayLike,
    K: ArrayLike,
    V: ArrayLike,
    *,
    mask: ArrayLike | None = None,
    causal: bool = False,
    scale: float | None = None,
) -> tuple[Array, Array]:
    """``softmax(Q K^T / sqrt(d_k)) V``; returns ``(output, weights)``.

    ``Q`` is ``(..., n_q, d_k)``, ``K`` is ``(..., n_k, d_k)``, ``V`` is ``(..., n_k, d_v)``;
    ``output`` is ``(..., n_q, d_v)`` and ``weights`` ``(..., n_q, n_k)`` (rows sum to 1).
    ``mask`` (boolean, broadcastable to ``(..., n_q, n_k)``) is True where attention is
    allowed; ``causal=True`` adds :func:`causal_mask`. ``scale`` defaults to ``1 / sqrt(d_k)``.
    Used in: Part 2, Attention.
    """
    Q, K, V = _array(Q, "Q"), _array(K, "K"), _array(V, "V")
    for name, a in (("Q", Q), ("K", K), ("V", V)):
        if a.ndim < 2:
            raise ValueError(f"{name} must have at least 2 axes (..., n, d), got shape {a.shape}.")
    if Q.shape[-1] != K.shape[-1]:
        raise ValueError(
            f"Q has shape {Q.shape} but K has shape {K.shape}: their last axes (d_k) must be equal."
        )
    if K.shape[-2] != V.shape[-2]:
        raise ValueError(
            f"K has shape {K.shape} but V has shape {V.shape}: they need the same number of keys (axis -2)."
        )
    d_k = Q.shape[-1]
    scale = 1.0 / np.sqrt(d_k) if scale is None else scale
    scores = Q @ np.swapaxes(K, -1, -2) * scale
    allowed = np.ones(scores.shape[-2:], dtype=bool)
    if causal:
        allowed = causal_mask(*scores.shape[-2:])
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != bool:
            raise TypeError(f"mask must be boolean (True = may attend), got dtype {mask.dtype}.")
        try:
            allowed = np.broadcast_to(allowed & mask, scores.shape)
        except ValueError as error:
            raise ValueError(
                f"mask has shape {mask.shape} but the scores have shape {scores.shape}."
            ) from error
    allowed = np.broadcast_to(allowed, scores.shape)
    if not allowed.any(axis=-1).all():
        raise ValueError("mask leaves a query with no key to attend to (a row of False).")
    weights = softmax(np.where(allowed, scores, -np.inf), axis=-1)
    return weights @ V, weights


def multi_head_attention(
    query: ArrayLike,
    value: ArrayLike,
    weights: Sequence[ArrayLike],
    *,
    key: ArrayLike | None = None,
    causal: bool = False,
) -> Array:
    """Multi-head attention with the weight layout of ``keras.layers.MultiHeadAttention``.

    ``query`` is ``(batch, n_q, d_model)``, ``value`` (and ``key``, default ``value``)
    ``(batch, n_k, d_model)``. ``weights`` is ``layer.get_weights()``: query, key,
    value kernels ``(d_model, heads, d_head)`` with biases ``(heads, d_head)``, then the
    output kernel ``(heads, d_head, d_model)`` and bias ``(d_model,)``. Each head runs
    :func:`scaled_dot_product_attention` on its own projections; the output projection
    mixes the heads. Returns ``(batch, n_q, d_model)``.
    Used in: Part 2, Attention; Residual connections and layer normalisation.
    """
    if len(weights) != 8:
        raise ValueError(
            f"weights must be the 8 arrays of layer.get_weights(), got {len(weights)}."
        )
    Wq, bq, Wk, bk, Wv, bv, Wo, bo = (_array(w, f"weights[{i}]") for i, w in enumerate(weights))
    query, value = _array(query, "query"), _array(value, "value")
    key = value if key is None else _array(key, "key")
    if query.shape[-1] != Wq.shape[0]:
        raise ValueError(
            f"query has shape {query.shape} but the query kernel has shape {Wq.shape}: "
            "the last axis of query must equal the kernel's first axis."
        )
    # Project to (batch, heads, n, d_head): einsum names every axis.
    q = np.einsum("bnd,dhk->bhnk", query, Wq) + bq[None, :, None, :]
    k = np.einsum("bnd,dhk->bhnk", key, Wk) + bk[None, :, None, :]
    v = np.einsum("bnd,dhk->bhnk", value, Wv) + bv[None, :, None, :]
    heads, _ = scaled_dot_product_attention(q, k, v, causal=causal)
    return np.einsum("bhnk,hkd->bnd", heads, Wo) + bo
