"""Exercises of Part 2, Mathematics (ids ``math-1-*`` .. ``math-7-*``): reference
solutions and every case.

``cases`` is every case the autograder runs: the practice cases (written out in
``companion/exercises/math.py``, which a learner sees) and the hidden ones.

Expected results come from NumPy, SciPy or :mod:`companion.numpy_nn`, each of which
is tested against an independent computation in ``tests/test_numpy_nn.py``.
"""

from __future__ import annotations

import numpy as np

from companion import numpy_nn as nn
from companion.exercises import Case
from companion.exercises.math import (
    _arrays_close,
    _identity,
    _quadratic_gradient,
    _same_booleans,
    _shifted_square_gradient,
)

from .store import Reference, register


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


# ------------------------------------------------------------------ 1. Tensors
def _matmul_cases() -> list[Case]:
    rng = _rng(11)
    A, B = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    return [
        Case("matmul of a (2, 3) and a (3, 2) matrix of small integers",
             np.array([[2.0, -3.0], [2.0, -2.0]]),
             args=(np.array([[1.0, 2, 0], [-1, 3, 1]]), np.array([[2.0, 1], [0, -2], [4, 5]]))),
        Case("matmul of random (3, 4) and (4, 2) matrices", A @ B, args=(A, B)),
        Case("matmul of a (1, 3) row and a (3, 1) column", np.array([[32.0]]),
             args=(np.array([[1.0, 2, 3]]), np.array([[4.0], [5], [6]]))),
        Case("matmul of a (3, 1) column and a (1, 2) row (an outer product)",
             np.array([[4.0, 5], [8, 10], [12, 15]]),
             args=(np.array([[1.0], [2], [3]]), np.array([[4.0, 5]]))),
    ]  # fmt: skip


def _dense_shape_cases() -> list[Case]:
    return [
        Case("dense_output_shape((32, 64), 10)", (32, 10), args=((32, 64), 10)),
        Case("dense_output_shape((4, 7, 64), 16) (a batch of sequences)", (4, 7, 16), args=((4, 7, 64), 16)),
        Case("dense_output_shape((5,), 3) (a single vector)", (3,), args=((5,), 3)),
        Case("dense_output_shape((2, 3, 4, 8), 1)", (2, 3, 4, 1), args=((2, 3, 4, 8), 1)),
    ]  # fmt: skip


def _mlp_params_cases() -> list[Case]:
    return [
        Case("mlp_params([64, 32, 10])", 64 * 32 + 32 + 32 * 10 + 10, args=([64, 32, 10],)),
        Case("mlp_params([784, 10]) (one layer)", 7850, args=([784, 10],)),
        Case("mlp_params([3, 5, 5, 5, 1])", 3 * 5 + 5 + 2 * (5 * 5 + 5) + 5 + 1, args=([3, 5, 5, 5, 1],)),
    ]  # fmt: skip


register(
    Reference(
        id="math-1-1",
        solution="def matmul(A, B):\n"
        "    A, B = np.asarray(A, dtype=float), np.asarray(B, dtype=float)\n"
        "    m, n = A.shape\n"
        "    n2, p = B.shape\n"
        "    if n != n2:\n"
        '        raise ValueError(f"A is {A.shape} and B is {B.shape}: inner dimensions differ")\n'
        "    C = np.zeros((m, p))\n"
        "    for i in range(m):\n"
        "        for k in range(p):\n"
        "            for j in range(n):\n"
        "                C[i, k] += A[i, j] * B[j, k]\n"
        "    return C",
        cases=_matmul_cases,
    ),
    Reference(
        id="math-1-2",
        solution="def dense_output_shape(input_shape, units):\n    return (*tuple(input_shape)[:-1], units)",
        cases=_dense_shape_cases,
    ),
    Reference(
        id="math-1-3",
        solution="def mlp_params(sizes):\n"
        "    return sum(d_in * d_out + d_out for d_in, d_out in zip(sizes[:-1], sizes[1:]))",
        cases=_mlp_params_cases,
    ),
    Reference(
        id="math-1-4",
        solution="Entry (i, j) is y_pred[i] - y_true[j]; only the diagonal pairs match, the rest compare "
        "unrelated examples. Over all n^2 pairs the mean of (a_i - b_j)^2 is exactly "
        "var(a) + var(b) + (mean(a) - mean(b))^2, with population variances (ddof=0). "
        "Fix: y_pred.squeeze(-1) - y_true, or y_pred - y_true[:, None].",
    ),
)


# ------------------------------------------------------- 2. Forward propagation
def _softmax_cases() -> list[Case]:
    batch = _rng(21).normal(scale=3.0, size=(4, 5))
    return [
        Case("softmax([1, 2, 3]) (one vector)", nn.softmax([1.0, 2.0, 3.0]), args=(np.array([1.0, 2.0, 3.0]),)),
        Case("softmax of a (4, 5) batch: one distribution per row", nn.softmax(batch), args=(batch,)),
        Case("softmax([[1000, 1001], [-1000, -1001]]) (must not overflow)",
             nn.softmax([[1000.0, 1001.0], [-1000.0, -1001.0]]),
             args=(np.array([[1000.0, 1001.0], [-1000.0, -1001.0]]),)),
        Case("softmax([5, 5, 5, 5]) (equal logits)", np.full(4, 0.25), args=(np.full(4, 5.0),)),
    ]  # fmt: skip


def _sigmoid_derivative_cases() -> list[Case]:
    z = np.linspace(-8, 8, 17)
    return [
        Case("sigmoid_derivative(0.0)", 0.25, args=(0.0,)),
        Case("sigmoid_derivative(np.linspace(-8, 8, 17))", nn.sigmoid_grad(z), args=(z,)),
        Case("sigmoid_derivative([-50, 50]) (tiny, not nan)", nn.sigmoid_grad([-50.0, 50.0]),
             args=(np.array([-50.0, 50.0]),)),
    ]  # fmt: skip


def _two_layer_args(seed: int, n: int) -> tuple[np.ndarray, ...]:
    rng = _rng(seed)
    return (rng.normal(size=(n, 3)), rng.normal(size=(3, 4)), rng.normal(size=4),
            rng.normal(size=(4, 2)), rng.normal(size=2))  # fmt: skip


def _two_layer_expected(X: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray) -> np.ndarray:  # fmt: skip
    return nn.softmax(nn.dense_forward(nn.relu(nn.dense_forward(X, W1, b1)), W2, b2))


def _two_layer_cases() -> list[Case]:
    return [
        Case(f"two_layer_forward on a random batch of {n} (3 inputs, 4 hidden, 2 classes)",
             _two_layer_expected(*args), args=args)
        for n, args in ((1, _two_layer_args(22, 1)), (6, _two_layer_args(23, 6)))
    ]  # fmt: skip


def _collapse_cases() -> list[Case]:
    rng = _rng(24)
    W1, b1, W2, b2 = (
        rng.normal(size=(3, 5)),
        rng.normal(size=5),
        rng.normal(size=(5, 2)),
        rng.normal(size=2),
    )
    return [
        Case("collapse of a (3, 5) and a (5, 2) layer: returns (W, b)", (W1 @ W2, b1 @ W2 + b2),
             args=(W1, b1, W2, b2), compare=_arrays_close),
        Case("collapse with identity weights and zero biases", (np.eye(2), np.zeros(2)),
             args=(np.eye(2), np.zeros(2), np.eye(2), np.zeros(2)), compare=_arrays_close),
    ]  # fmt: skip


register(
    Reference(
        id="math-2-1",
        solution="def softmax(z):\n"
        "    z = np.asarray(z, dtype=float)\n"
        "    e = np.exp(z - z.max(axis=-1, keepdims=True))\n"
        "    return e / e.sum(axis=-1, keepdims=True)",
        cases=_softmax_cases,
    ),
    Reference(
        id="math-2-2",
        solution="def sigmoid_derivative(z):\n"
        "    z = np.asarray(z, dtype=float)\n"
        "    e = np.exp(-np.abs(z))\n"
        "    s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))\n"
        "    return s * (1 - s)",
        cases=_sigmoid_derivative_cases,
    ),
    Reference(
        id="math-2-3",
        solution="def two_layer_forward(X, W1, b1, W2, b2):\n"
        "    H1 = np.maximum(np.asarray(X) @ W1 + b1, 0.0)\n"
        "    Z2 = H1 @ W2 + b2\n"
        "    e = np.exp(Z2 - Z2.max(axis=-1, keepdims=True))\n"
        "    return e / e.sum(axis=-1, keepdims=True)",
        cases=_two_layer_cases,
    ),
    Reference(
        id="math-2-4",
        solution="def collapse(W1, b1, W2, b2):\n    return W1 @ W2, b1 @ W2 + b2",
        cases=_collapse_cases,
    ),
)


# ----------------------------------------------------------- 3. Loss functions
def _logsumexp_cases() -> list[Case]:
    batch = _rng(31).normal(scale=4.0, size=(5, 3))
    return [
        Case("logsumexp([0, 0]) = log 2", np.log(2.0), args=(np.zeros(2),)),
        Case("logsumexp of a (5, 3) batch: one number per row", nn.logsumexp(batch), args=(batch,)),
        Case("logsumexp([1000, 1000]) (must not overflow)", 1000.0 + np.log(2.0), args=(np.array([1000.0, 1000.0]),)),
        Case("logsumexp([-1000, -1000]) (must not underflow to log 0)", -1000.0 + np.log(2.0),
             args=(np.array([-1000.0, -1000.0]),)),
    ]  # fmt: skip


def _sparse_ce_expected(logits: np.ndarray, labels: np.ndarray) -> float:
    return nn.categorical_crossentropy_from_logits(nn.one_hot(labels, logits.shape[1]), logits)


def _sparse_ce_cases() -> list[Case]:
    rng = _rng(32)
    logits, labels = rng.normal(scale=2.0, size=(6, 4)), rng.integers(0, 4, size=6)
    big, big_labels = np.array([[1000.0, 0.0, -1000.0], [0.0, 50.0, 0.0]]), np.array([1, 1])
    return [
        Case("cross_entropy of 6 random examples with 4 classes", _sparse_ce_expected(logits, labels),
             args=(logits, labels)),
        Case("cross_entropy of uniform logits over 10 classes = log 10", np.log(10.0),
             args=(np.zeros((3, 10)), np.array([0, 5, 9]))),
        Case("cross_entropy with logits of ±1000 (must be finite)", _sparse_ce_expected(big, big_labels),
             args=(big, big_labels)),
    ]  # fmt: skip


def _huber_gradient_cases() -> list[Case]:
    rng = _rng(33)
    y, y_hat = rng.normal(size=(4, 3)), rng.normal(scale=3.0, size=(4, 3))
    return [
        Case("huber_gradient([0, 0, 0], [0.5, -2, 3], delta=1)", np.array([0.5, -1.0, 1.0]) / 3,
             args=(np.zeros(3), np.array([0.5, -2.0, 3.0]), 1.0)),
        Case("huber_gradient on a random (4, 3) batch, delta=1.5", nn.huber_grad(y, y_hat, 1.5),
             args=(y, y_hat, 1.5)),
        Case("huber_gradient with a huge delta equals the MSE gradient / 2", nn.mse_grad(y, y_hat) / 2,
             args=(y, y_hat, 1e6)),
    ]  # fmt: skip


register(
    Reference(
        id="math-3-1",
        solution="def logsumexp(z):\n"
        "    z = np.asarray(z, dtype=float)\n"
        "    m = z.max(axis=-1, keepdims=True)\n"
        "    return (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[..., 0]",
        cases=_logsumexp_cases,
    ),
    Reference(
        id="math-3-2",
        solution="def cross_entropy(logits, labels):\n"
        "    logits, labels = np.asarray(logits, dtype=float), np.asarray(labels)\n"
        "    m = logits.max(axis=1, keepdims=True)\n"
        "    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))\n"
        "    return float(np.mean(lse - logits[np.arange(len(labels)), labels]))",
        cases=_sparse_ce_cases,
    ),
    Reference(
        id="math-3-3",
        solution="def huber_gradient(y_true, y_pred, delta):\n"
        "    r = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)\n"
        "    return np.clip(r, -delta, delta) / r.size",
        cases=_huber_gradient_cases,
    ),
    Reference(
        id="math-3-4",
        solution="Keras clips p to [1e-7, 1 - 1e-7], so the loss is -log(1e-7) = 16.118 however wrong the "
        "prediction; inside the clipped region the gradient is 0, so confident mistakes get no signal. "
        "From logits the gradient sigmoid(z) - y stays near -1.",
    ),
)


# ---------------------------------------------------------- 4. Gradient descent
def _gd_cases() -> list[Case]:
    return [
        Case("gradient_descent on f(x) = (x - 3)^2 from 0, lr=0.1, 50 steps",
             nn.sgd(_shifted_square_gradient, [0.0], lr=0.1, steps=50)[-1, 0],
             args=(_shifted_square_gradient, 0.0, 0.1, 50)),
        Case("gradient_descent on f(w) = w^T A w / 2 from [1, -1], lr=0.2, 30 steps",
             nn.sgd(_quadratic_gradient, [1.0, -1.0], lr=0.2, steps=30)[-1],
             args=(_quadratic_gradient, np.array([1.0, -1.0]), 0.2, 30)),
        Case("gradient_descent with steps=0 returns the start", np.array([2.0, 5.0]),
             args=(_identity, np.array([2.0, 5.0]), 0.5, 0)),
    ]  # fmt: skip


def _max_lr_cases() -> list[Case]:
    turn = np.array([[0.6, -0.8], [0.8, 0.6]])  # a rotation (a 3-4-5 triangle)
    rotated = turn @ np.diag([6.0, 54.0]) @ turn.T  # eigenvalues 6 and 54
    return [
        Case("max_stable_lr(diag(1, 10))", 0.2, args=(np.diag([1.0, 10.0]),)),
        Case("max_stable_lr of a non-diagonal matrix with eigenvalues 6 and 54", 2 / 54, args=(rotated,)),
        Case("max_stable_lr(4 * identity(3))", 0.5, args=(4 * np.eye(3),)),
    ]  # fmt: skip


def _momentum_cases() -> list[Case]:
    rng = _rng(41)
    x, v, g = rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)
    return [
        Case("momentum_step(x=1, v=0, grad=2, lr=0.1, momentum=0.9) (first step: plain SGD)",
             (np.array(0.8), np.array(-0.2)), args=(1.0, 0.0, 2.0, 0.1, 0.9), compare=_arrays_close),
        Case("momentum_step on random vectors, lr=0.05, momentum=0.9",
             (x + 0.9 * v - 0.05 * g, 0.9 * v - 0.05 * g), args=(x, v, g, 0.05, 0.9), compare=_arrays_close),
        Case("momentum_step with momentum=0 is a gradient step", (x - 0.1 * g, -0.1 * g),
             args=(x, v, g, 0.1, 0.0), compare=_arrays_close),
    ]  # fmt: skip


register(
    Reference(
        id="math-4-1",
        solution="def gradient_descent(grad, x0, lr, steps):\n"
        "    x = np.asarray(x0, dtype=float)\n"
        "    for _ in range(steps):\n"
        "        x = x - lr * grad(x)\n"
        "    return x",
        cases=_gd_cases,
    ),
    Reference(
        id="math-4-2",
        solution="def max_stable_lr(M):\n    return 2.0 / np.linalg.eigvalsh(np.asarray(M, dtype=float))[-1]",
        cases=_max_lr_cases,
    ),
    Reference(
        id="math-4-3",
        solution="def momentum_step(x, v, grad, lr, momentum):\n"
        "    v_new = momentum * np.asarray(v, dtype=float) - lr * np.asarray(grad, dtype=float)\n"
        "    return np.asarray(x, dtype=float) + v_new, v_new",
        cases=_momentum_cases,
    ),
    Reference(
        id="math-4-4",
        solution="A constant rate leaves the iterate wandering around the minimum with a variance proportional to lr "
        "(a radius proportional to sqrt(lr)); a decaying rate removes this floor when the steps still sum to "
        "infinity (sum lr_t = inf, so the iterate can travel far enough) and their squares do not "
        "(sum lr_t^2 < inf, so the injected noise stays bounded), as lr_t = lr_0 / (1 + t / tau) does.",
    ),
)


# ------------------------------------------------------------- 5. Backpropagation
def _dense_backward_cases() -> list[Case]:
    cases = []
    for seed, (n, d_in, d_out) in zip((51, 52), ((4, 3, 2), (1, 5, 3)), strict=True):
        rng = _rng(seed)
        X, W, dZ = (
            rng.normal(size=(n, d_in)),
            rng.normal(size=(d_in, d_out)),
            rng.normal(size=(n, d_out)),
        )
        cases.append(
            Case(f"dense_backward with X {X.shape}, W {W.shape}, dZ {dZ.shape}: returns (dX, dW, db)",
                 nn.dense_backward(X, W, dZ), args=(X, W, dZ), compare=_arrays_close)
        )  # fmt: skip
    return cases


def _relu_backward_cases() -> list[Case]:
    rng = _rng(53)
    dH, Z = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    return [
        Case("relu_backward(dH=[1, 2, 3], Z=[-1, 0, 2]) (derivative 0 at 0)", np.array([0.0, 0.0, 3.0]),
             args=(np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.0, 2.0]))),
        Case("relu_backward on random (3, 4) arrays", dH * nn.relu_grad(Z), args=(dH, Z)),
    ]  # fmt: skip


def _top_gradient_cases() -> list[Case]:
    rng = _rng(54)
    logits, labels = rng.normal(scale=2.0, size=(5, 3)), rng.integers(0, 3, size=5)
    big = np.array([[1000.0, 0.0], [0.0, 1000.0]])
    return [
        Case("top_gradient of 5 random examples with 3 classes",
             nn.categorical_crossentropy_from_logits_grad(nn.one_hot(labels, 3), logits), args=(logits, labels)),
        Case("top_gradient of uniform logits [[0, 0]] with label 1", np.array([[0.5, -0.5]]),
             args=(np.zeros((1, 2)), np.array([1]))),
        Case("top_gradient with logits of 1000 (must not overflow)",
             nn.categorical_crossentropy_from_logits_grad(nn.one_hot(np.array([1, 1]), 2), big),
             args=(big, np.array([1, 1]))),
    ]  # fmt: skip


register(
    Reference(
        id="math-5-1",
        solution="def dense_backward(X, W, dZ):\n    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)",
        cases=_dense_backward_cases,
    ),
    Reference(
        id="math-5-2",
        solution="def relu_backward(dH, Z):\n    return dH * (Z > 0)",
        cases=_relu_backward_cases,
    ),
    Reference(
        id="math-5-3",
        solution="def top_gradient(logits, labels):\n"
        "    logits = np.asarray(logits, dtype=float)\n"
        "    e = np.exp(logits - logits.max(axis=1, keepdims=True))\n"
        "    P = e / e.sum(axis=1, keepdims=True)\n"
        "    P[np.arange(len(labels)), labels] -= 1.0\n"
        "    return P / len(labels)",
        cases=_top_gradient_cases,
    ),
    Reference(
        id="math-5-4",
        solution="Each weight gradient gains + lam * W (biases unchanged); the update becomes "
        "W <- (1 - lr * lam) W - lr * dW. Check it with nn.gradient_check on the penalised loss, then "
        "retrain with W -= lr * (dW + lam * W).",
    ),
)


# ------------------------------------------------------------------- 6. Attention
def _attention_cases() -> list[Case]:
    rng = _rng(61)
    Q, K, V = rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
    Q1 = rng.normal(size=(1, 16)) * 3
    K1, V1 = rng.normal(size=(6, 16)), rng.normal(size=(6, 3))
    return [
        Case("attention with identical keys: the output is the mean of the values", np.array([[2.0, 3.0]]),
             args=(np.ones((1, 2)), np.ones((2, 2)), np.array([[1.0, 2.0], [3.0, 4.0]]))),
        Case("attention with Q (3, 4), K (5, 4), V (5, 2)", nn.scaled_dot_product_attention(Q, K, V)[0],
             args=(Q, K, V)),
        Case("attention with d_k = 16 (is the scale 1/sqrt(d_k), inside the softmax?)",
             nn.scaled_dot_product_attention(Q1, K1, V1)[0], args=(Q1, K1, V1)),
    ]  # fmt: skip


def _causal_mask_cases() -> list[Case]:
    return [
        Case(f"causal_mask({n})", nn.causal_mask(n), args=(n,), compare=_same_booleans)
        for n in (1, 3, 6)
    ]


def _causal_attention_cases() -> list[Case]:
    rng = _rng(62)
    X = rng.normal(size=(5, 4))
    Q, K, V = rng.normal(size=(4, 8)), rng.normal(size=(4, 8)), rng.normal(size=(4, 3))
    return [
        Case("causal_attention(X, X, X) for a sequence of 5 tokens",
             nn.scaled_dot_product_attention(X, X, X, causal=True)[0], args=(X, X, X)),
        Case("causal_attention with Q, K (4, 8) and V (4, 3)",
             nn.scaled_dot_product_attention(Q, K, V, causal=True)[0], args=(Q, K, V)),
        Case("causal_attention: the first output is the first value", np.array([[1.0, 0.0], [0.5, 0.5]]),
             args=(np.zeros((2, 2)), np.zeros((2, 2)), np.eye(2))),
    ]  # fmt: skip


register(
    Reference(
        id="math-6-1",
        solution="def attention(Q, K, V):\n"
        "    scores = Q @ K.T / np.sqrt(K.shape[-1])\n"
        "    e = np.exp(scores - scores.max(axis=-1, keepdims=True))\n"
        "    return (e / e.sum(axis=-1, keepdims=True)) @ V",
        cases=_attention_cases,
    ),
    Reference(
        id="math-6-2",
        solution="def causal_mask(n):\n    return np.tril(np.ones((n, n), dtype=bool))",
        cases=_causal_mask_cases,
    ),
    Reference(
        id="math-6-3",
        solution="def causal_attention(Q, K, V):\n"
        "    scores = Q @ K.T / np.sqrt(K.shape[-1])\n"
        "    scores = np.where(np.tril(np.ones(scores.shape, dtype=bool)), scores, -np.inf)\n"
        "    e = np.exp(scores - scores.max(axis=-1, keepdims=True))\n"
        "    return (e / e.sum(axis=-1, keepdims=True)) @ V",
        cases=_causal_attention_cases,
    ),
    Reference(
        id="math-6-4",
        solution="Permuting the rows of X permutes rows and columns of the scores alike; softmax is row-wise and the "
        "weighted sum ignores order, so the output is permuted the same way. Language models add position "
        "information to break this symmetry (added to the token embeddings, or by rotating the queries and keys); "
        "a causal mask already depends on positions, so it breaks it too.",
    ),
)


# --------------------------------------- 7. Residual connections and layer normalisation
def _layer_norm_cases() -> list[Case]:
    rng = _rng(71)
    x, gamma, beta = rng.normal(2.0, 3.0, size=(4, 6)), rng.normal(size=6), rng.normal(size=6)
    tokens = rng.normal(size=(2, 3, 5))
    return [
        Case("layer_norm of a (4, 6) batch with random gamma and beta",
             nn.layer_norm(x, gamma, beta), args=(x, gamma, beta)),
        Case("layer_norm of (batch, tokens, d) = (2, 3, 5): one normalisation per token",
             nn.layer_norm(tokens, np.ones(5), np.zeros(5)), args=(tokens, np.ones(5), np.zeros(5))),
        Case("layer_norm([[1, 2, 3, 4]]): the variance divides by d, not d - 1",
             nn.layer_norm(np.array([[1.0, 2, 3, 4]])), args=(np.array([[1.0, 2, 3, 4]]), np.ones(4), np.zeros(4))),
        Case("layer_norm of a constant row with eps=1e-3 (epsilon keeps it finite)", np.full((1, 3), 0.5),
             args=(np.full((1, 3), 7.0), np.ones(3), np.full(3, 0.5)), kwargs={"eps": 1e-3}),
    ]  # fmt: skip


def _pre_ln_layer_cases() -> list[Case]:
    rng = _rng(72)
    x, W = rng.normal(size=(5, 4)), rng.normal(size=(4, 4))
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    return [
        Case("pre_ln_layer on a (5, 4) batch",
             x + nn.relu(nn.layer_norm(x, gamma, beta) @ W), args=(x, W, gamma, beta)),
        Case("pre_ln_layer with W = 0: the residual passes x through unchanged", x,
             args=(x, np.zeros((4, 4)), gamma, beta)),
        Case("pre_ln_layer adds to x itself, not to the normalised x",
             3 * x + nn.relu(nn.layer_norm(3 * x, gamma, beta) @ W), args=(3 * x, W, gamma, beta)),
    ]  # fmt: skip


register(
    Reference(
        id="math-7-1",
        solution="def layer_norm(x, gamma, beta, eps=1e-5):\n"
        "    mu = x.mean(axis=-1, keepdims=True)\n"
        "    var = x.var(axis=-1, keepdims=True)\n"
        "    return gamma * (x - mu) / np.sqrt(var + eps) + beta",
        cases=_layer_norm_cases,
    ),
    Reference(
        id="math-7-2",
        solution="def pre_ln_layer(x, W, gamma, beta):\n"
        "    mu, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)\n"
        "    h = gamma * (x - mu) / np.sqrt(var + 1e-5) + beta\n"
        "    return x + np.maximum(h @ W, 0.0)",
        cases=_pre_ln_layer_cases,
    ),
    Reference(
        id="math-7-3",
        solution="The shift cancels in x - mu and the scale in the ratio to sigma (up to eps); a < 0 flips the sign. "
        "With gamma = 1 the gradient sums to 0 (x_hat has mean 0) and is orthogonal to x_hat (x_hat has "
        "mean square 1). A weight matrix W whose output alone is normalised, LN(xW), can grow or shrink without "
        "changing the output: only the direction of its output is learned. Post-LN's LN(x + F(x)) forgets only "
        "the scale of the whole sum: scaling W changes the balance between x and F(x), so the output changes.",
    ),
    Reference(
        id="math-7-4",
        solution="Each plain ReLU layer with Glorot's variance 1/d halves the mean square of the gradient flowing down, "
        "so the first layer's gradient shrinks by about sqrt(1/2) = 0.71 per added layer. He initialisation "
        "removes the factor on average at the start; the pre-LN stack's gradient stays of the same order at every depth.",
    ),
)
