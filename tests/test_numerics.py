"""companion.numerics: the tolerance holds for correct low-precision results and catches mistakes.

Each check of the book that uses ``numerics.agrees`` is replayed here in NumPy with the
loosest format it can run in (float16 under mixed precision, and bfloat16): the correct
computation, rounded as an accelerator rounds it, passes; a wrong one (a flipped sign, a
missing bias, a missing √d_k, softmax over the wrong axis) fails.
"""

from __future__ import annotations

import numpy as np
import pytest

from companion import numerics
from companion import numpy_nn as nn

SHORT = ["float16", "bfloat16"]


@pytest.mark.parametrize("fmt", ["float32", "tf32", "bfloat16", "float16"])
@pytest.mark.parametrize("n", [4, 64, 1024, 4096])
def test_measured_dot_product_errors_stay_within_the_tolerance(fmt, n):
    errors = numerics.dot_product_errors(n, fmt, trials=300, seed=n)
    assert errors.max() < numerics.tolerance(n, fmt=fmt)
    # ...and the tolerance is not vacuous: within 20x of the largest error measured.
    assert errors.max() > numerics.tolerance(n, fmt=fmt) / 20 or fmt == "float32"


def test_round_to_keeps_the_mantissa_bits_of_each_format():
    x = np.float32(1 + 2**-9 + 2**-12)
    assert numerics.round_to(x, "tf32") == np.float32(1 + 2**-9)  # 10 bits kept
    assert numerics.round_to(x, "bfloat16") == np.float32(1.0)  # 7 bits kept
    assert numerics.round_to(np.float32(1 + 3 * 2**-8), "bfloat16") == np.float32(
        1 + 2**-6
    )  # ties to even
    assert numerics.round_to(x, "float16") == np.float32(1 + 2**-9)


def test_unknown_format_is_named_with_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown number format 'fp8'.*bfloat16"):
        numerics.tolerance(4, fmt="fp8")
    with pytest.raises(ValueError, match="n must be at least 1"):
        numerics.tolerance(0, fmt="float32")


def test_compute_format_follows_the_dtype_policy_and_full_precision():
    import keras

    assert numerics.compute_format("float16") == "float16"
    assert numerics.compute_format(keras.layers.Dense(2, dtype="mixed_float16")) == "float16"
    with numerics.full_precision():
        assert numerics.compute_format("float32") == "float32"
    # On this CPU float32 is float32 even outside the block (TF32 needs an Ampere GPU).
    assert numerics.compute_format("float32") == "float32"
    with pytest.raises(ValueError, match="not a floating-point format"):
        numerics.compute_format("int32")


def test_agrees_refuses_different_shapes():
    assert not numerics.agrees(np.zeros((2, 2)), np.zeros((2, 1)), 4, fmt="float16")


def _low(x, fmt):
    return numerics.round_to(x, fmt).astype(np.float64)


# --- Tensors and matrix operations: a batch through a dense layer (64 inputs).
def _dense_setting():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 17, size=(32, 64)) / 16.0
    W, b = rng.normal(scale=0.1, size=(64, 10)), rng.normal(scale=0.1, size=10)
    return X, W, b, float(np.abs(X).max() * np.abs(W).max())


@pytest.mark.parametrize("fmt", SHORT)
def test_dense_check_passes_low_precision_and_fails_mistakes(fmt):
    X, W, b, scale = _dense_setting()
    right = X @ W + b
    low = _low(_low(X, fmt) @ _low(W, fmt) + _low(b, fmt), fmt)
    assert numerics.agrees(right, low, 65, scale=scale, fmt=fmt)
    for wrong in [X @ W, X @ -W + b, X @ W - b]:  # no bias, flipped sign, subtracted bias
        assert not numerics.agrees(wrong, low, 65, scale=scale, fmt=fmt)


# --- Forward propagation: the hand-made two-layer network.
X_F = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
W1 = np.array([[0.5, -1.0, 0.0, 1.0], [1.0, 0.5, -0.5, 0.0], [-0.5, 1.0, 1.0, 0.5]])
B1 = np.array([0.0, 0.1, -0.2, 0.0])
W2 = np.array([[1.0, -1.0], [0.5, 0.5], [-1.0, 1.0], [0.0, 2.0]])
B2 = np.array([0.1, -0.1])


def _forward(fmt=None, sign=1.0, axis=-1, activation=nn.relu):
    def r(x):
        return _low(x, fmt) if fmt else x

    h = r(activation(r(r(X_F) @ r(W1) + r(B1))))
    z = r(h @ r(sign * W2) + r(B2))
    z = z - z.max(axis=axis, keepdims=True)
    return r(np.exp(z) / np.exp(z).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("fmt", SHORT)
def test_forward_check_passes_low_precision_and_fails_mistakes(fmt):
    h = nn.relu(X_F @ W1 + B1)
    scale = float(max(np.abs(X_F).max() * np.abs(W1).max(), np.abs(h).max() * np.abs(W2).max()))
    # Compared as log-probabilities: a logit error dz moves log softmax by at most 2·dz.
    right = np.log(_forward())
    assert numerics.agrees(right, np.log(_forward(fmt)), 7, scale=2 * scale, fmt=fmt)
    for wrong in [_forward(sign=-1.0), _forward(axis=0), _forward(activation=lambda z: z)]:
        assert not numerics.agrees(right, np.log(wrong), 7, scale=2 * scale, fmt=fmt)
    # Compared as probabilities, the wrong softmax axis would pass in float16: why logs.
    assert numerics.agrees(_forward(), _forward(axis=0), 7, scale=scale, fmt="float16")


# --- Attention: keras.ops.dot_product_attention and MultiHeadAttention.
def _attention(q, k, v, scaled=True, axis=-1, fmt=None):
    def r(x):
        return _low(x, fmt) if fmt else x

    scores = r(r(q) @ np.swapaxes(r(k), -1, -2) / (np.sqrt(q.shape[-1]) if scaled else 1.0))
    scores = scores - scores.max(axis=axis, keepdims=True)
    weights = r(np.exp(scores) / np.exp(scores).sum(axis=axis, keepdims=True))
    return r(weights @ r(v))


@pytest.mark.parametrize("fmt", SHORT)
def test_attention_check_passes_low_precision_and_fails_mistakes(fmt):
    rng = np.random.default_rng(0)
    q, k, v = (rng.normal(size=(2, 5, 4)) for _ in range(3))
    right = _attention(q, k, v)
    scale = max(1.0, float(np.abs(right).max()))
    assert numerics.agrees(right, _attention(q, k, v, fmt=fmt), 9, scale=scale, fmt=fmt)
    wrongs = [_attention(q, k, v, scaled=False), _attention(q, k, v, axis=-2), _attention(q, -k, v)]
    for wrong in wrongs:  # no √d_k, softmax over the queries, a flipped sign
        assert not numerics.agrees(right, wrong, 9, scale=scale, fmt=fmt)


def _mha(x, weights, fmt=None, scaled=True, causal=False):
    def r(a):
        return _low(a, fmt) if fmt else a

    Wq, bq, Wk, bk, Wv, bv, Wo, bo = weights
    out = r(bo)
    for h in range(Wq.shape[1]):
        q, k, v = (r(r(x) @ r(W[:, h]) + r(b[h])) for W, b in [(Wq, bq), (Wk, bk), (Wv, bv)])
        scores = q @ np.swapaxes(k, -1, -2) / (np.sqrt(q.shape[-1]) if scaled else 1.0)
        if causal:
            scores = np.where(np.triu(np.ones(scores.shape[-2:], bool), 1), -np.inf, scores)
        weights_h = np.exp(scores - scores.max(-1, keepdims=True))
        weights_h = r(weights_h / weights_h.sum(-1, keepdims=True))
        out = out + r(r(weights_h @ v) @ r(Wo[h]))
    return r(out)


@pytest.mark.parametrize("fmt", SHORT)
def test_multi_head_attention_check_passes_low_precision_and_fails_mistakes(fmt):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 6, 8))
    limit = np.sqrt(6 / (8 + 8))  # Glorot uniform, as Keras initialises the projections
    weights = [rng.uniform(-limit, limit, size=s) for s in [(8, 2, 4), (2, 4)] * 3]
    weights += [rng.uniform(-limit, limit, size=(2, 4, 8)), rng.normal(scale=0.1, size=8)]
    right = _mha(x, weights)
    scale = max(1.0, float(np.abs(right).max()))
    n = 8 + 4 + 6 + 8
    assert numerics.agrees(right, _mha(x, weights, fmt), n, scale=scale, fmt=fmt)
    flipped = [*weights[:6], -weights[6], weights[7]]
    for wrong in [_mha(x, weights, scaled=False), _mha(x, weights, causal=True), _mha(x, flipped)]:
        assert not numerics.agrees(right, wrong, n, scale=scale, fmt=fmt)
