"""Exercises of Part 2, Mathematics (ids ``math-1-*`` .. ``math-7-*``): what a learner sees.

Each exercise's title, difficulty, minutes and hint, and its practice cases (public,
with expected values written out); the reference solutions and the hidden cases are
the instructor's (``authoring/instructor/math.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import Case, Exercise, register


def _arrays_close(got: Any, expected: Any) -> bool:
    """A tuple of arrays, compared entry by entry (shapes and values)."""
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        return False
    return all(
        np.shape(g) == np.shape(e) and np.allclose(g, e, rtol=1e-6, atol=1e-9)
        for g, e in zip(got, expected, strict=True)
    )


def _shifted_square_gradient(x: Any) -> Any:
    """The gradient of f(x) = (x - 3)^2, a case's input."""
    return 2 * (x - 3)


def _quadratic_gradient(w: Any) -> Any:
    """The gradient of f(w) = w^T A w / 2 with A = [[3, 1], [1, 2]], a case's input."""
    return np.array([[3.0, 1.0], [1.0, 2.0]]) @ w


def _identity(w: Any) -> Any:
    """A gradient that is the point itself, a case's input."""
    return w


def _same_booleans(got: Any, expected: np.ndarray) -> bool:
    return np.shape(got) == expected.shape and np.array_equal(
        np.asarray(got).astype(bool), expected
    )


def _practice_math_1_1() -> list[Case]:
    return [
        Case(
            "matmul of a (2, 3) and a (3, 2) matrix of small integers",
            np.array([[2.0, -3.0], [2.0, -2.0]], dtype="float64"),
            args=(
                np.array([[1.0, 2.0, 0.0], [-1.0, 3.0, 1.0]], dtype="float64"),
                np.array([[2.0, 1.0], [0.0, -2.0], [4.0, 5.0]], dtype="float64"),
            ),
        ),
        Case(
            "matmul of a (1, 3) row and a (3, 1) column",
            np.array([[32.0]], dtype="float64"),
            args=(
                np.array([[1.0, 2.0, 3.0]], dtype="float64"),
                np.array([[4.0], [5.0], [6.0]], dtype="float64"),
            ),
        ),
    ]


def _practice_math_1_2() -> list[Case]:
    return [
        Case("dense_output_shape((32, 64), 10)", (32, 10), args=((32, 64), 10)),
        Case(
            "dense_output_shape((4, 7, 64), 16) (a batch of sequences)",
            (4, 7, 16),
            args=((4, 7, 64), 16),
        ),
    ]


def _practice_math_1_3() -> list[Case]:
    return [
        Case("mlp_params([64, 32, 10])", 2410, args=([64, 32, 10],)),
    ]


register(
    Exercise(
        id="math-1-1",
        title="A matrix product with loops",
        difficulty="easy",
        minutes=10,
        hint="C[i, k] is the sum over j of A[i, j] * B[j, k]; loop over i, k and j. Start from np.zeros((m, p)).",
        cases=_practice_math_1_1,
    ),
    Exercise(
        id="math-1-2",
        title="The output shape of a dense layer",
        difficulty="easy",
        minutes=5,
        hint="Dense acts on the last axis only: keep every other axis and replace the last one by units.",
        cases=_practice_math_1_2,
    ),
    Exercise(
        id="math-1-3",
        title="Count the parameters of a network",
        difficulty="easy",
        minutes=5,
        hint="Pair consecutive sizes with zip(sizes[:-1], sizes[1:]); each pair contributes d_in * d_out + d_out.",
        cases=_practice_math_1_3,
    ),
    Exercise(
        id="math-1-4",
        title="The broadcasting trap",
        difficulty="medium",
        minutes=10,
        hint="Write out which prediction and which target entry (i, j) of the (32, 32) difference uses.",
    ),
)


def _practice_math_2_1() -> list[Case]:
    return [
        Case(
            "softmax([1, 2, 3]) (one vector)",
            np.array(
                [0.09003057317038046, 0.24472847105479764, 0.6652409557748218], dtype="float64"
            ),
            args=(np.array([1.0, 2.0, 3.0], dtype="float64"),),
        ),
        Case(
            "softmax([[1000, 1001], [-1000, -1001]]) (must not overflow)",
            np.array(
                [
                    [0.2689414213699951, 0.7310585786300049],
                    [0.7310585786300049, 0.2689414213699951],
                ],
                dtype="float64",
            ),
            args=(np.array([[1000.0, 1001.0], [-1000.0, -1001.0]], dtype="float64"),),
        ),
    ]


def _practice_math_2_2() -> list[Case]:
    return [
        Case("sigmoid_derivative(0.0)", 0.25, args=(0.0,)),
    ]


def _practice_math_2_3() -> list[Case]:
    return [
        Case(
            "two_layer_forward on a random batch of 1 (3 inputs, 4 hidden, 2 classes)",
            np.array([[0.764123458358827, 0.23587654164117305]], dtype="float64"),
            args=(
                np.array(
                    [[-1.397618424704043, -1.204009490095536, -1.3022690060563118]], dtype="float64"
                ),
                np.array(
                    [
                        [
                            -0.6226853670438884,
                            1.4472801153936388,
                            -1.6013138916154472,
                            0.9439694642669115,
                        ],
                        [
                            1.262471915715962,
                            -0.3554606257110515,
                            -0.7009360866758073,
                            0.47211462069079746,
                        ],
                        [
                            1.214557665204409,
                            2.1555312784012925,
                            0.8918114927656495,
                            1.5938426657452487,
                        ],
                    ],
                    dtype="float64",
                ),
                np.array(
                    [
                        -0.4502915670052033,
                        -0.8742169837210243,
                        -1.7197732539160488,
                        -1.1537025867459945,
                    ],
                    dtype="float64",
                ),
                np.array(
                    [
                        [-0.36343371651604817, 0.1929947220841547],
                        [-1.3131005761225452, 0.8160858639308112],
                        [-0.10304893956575983, -0.6422010751301721],
                        [-0.7652887415836972, 2.020688272883008],
                    ],
                    dtype="float64",
                ),
                np.array([0.16922834928772218, -0.8979265392629115], dtype="float64"),
            ),
        ),
    ]


def _practice_math_2_4() -> list[Case]:
    return [
        Case(
            "collapse with identity weights and zero biases",
            (
                np.array([[1.0, 0.0], [0.0, 1.0]], dtype="float64"),
                np.full((2,), 0.0, dtype="float64"),
            ),
            args=(
                np.array([[1.0, 0.0], [0.0, 1.0]], dtype="float64"),
                np.full((2,), 0.0, dtype="float64"),
                np.array([[1.0, 0.0], [0.0, 1.0]], dtype="float64"),
                np.full((2,), 0.0, dtype="float64"),
            ),
            compare=_arrays_close,
        ),
    ]


register(
    Exercise(
        id="math-2-1",
        title="Write softmax",
        difficulty="easy",
        minutes=10,
        hint="Subtract z.max(axis=-1, keepdims=True) before np.exp, then divide by the sum along the last axis (keepdims=True).",
        cases=_practice_math_2_1,
    ),
    Exercise(
        id="math-2-2",
        title="The derivative of the sigmoid",
        difficulty="easy",
        minutes=10,
        hint="sigma'(z) = sigma(z) * (1 - sigma(z)); compute sigma(z) without overflow for large negative z.",
        cases=_practice_math_2_2,
    ),
    Exercise(
        id="math-2-3",
        title="A two-layer forward pass",
        difficulty="medium",
        minutes=15,
        hint="H1 = relu(X @ W1 + b1), Z2 = H1 @ W2 + b2, then a stable softmax along the last axis.",
        cases=_practice_math_2_3,
    ),
    Exercise(
        id="math-2-4",
        title="Collapse two linear layers",
        difficulty="medium",
        minutes=15,
        hint="Expand (X W1 + b1) W2 + b2 and read off the matrix that multiplies X and the constant term.",
        cases=_practice_math_2_4,
    ),
)


def _practice_math_3_1() -> list[Case]:
    return [
        Case(
            "logsumexp([0, 0]) = log 2",
            np.float64(0.6931471805599453),
            args=(np.full((2,), 0.0, dtype="float64"),),
        ),
        Case(
            "logsumexp of a (5, 3) batch: one number per row",
            np.array(
                [
                    2.6687272078196513,
                    3.1925471834572936,
                    4.869614182470055,
                    7.200433271433227,
                    2.9976106958593487,
                ],
                dtype="float64",
            ),
            args=(
                np.array(
                    [
                        [-1.58120515434628, 1.0556595400629183, 2.4285130751822708],
                        [-3.88863919890881, 3.0706570125595687, 1.0202324870973583],
                        [3.1319194825203605, 1.0896729362894706, 4.648032502122271],
                        [-3.7510255150674876, 7.104398935270972, 4.8095593765411495],
                        [-2.399831393828006, 2.640665252241425, 1.779069537950199],
                    ],
                    dtype="float64",
                ),
            ),
        ),
    ]


def _practice_math_3_2() -> list[Case]:
    return [
        Case(
            "cross_entropy with logits of ±1000 (must be finite)",
            500.0,
            args=(
                np.array([[1000.0, 0.0, -1000.0], [0.0, 50.0, 0.0]], dtype="float64"),
                np.full((2,), 1, dtype="int64"),
            ),
        ),
    ]


def _practice_math_3_3() -> list[Case]:
    return [
        Case(
            "huber_gradient([0, 0, 0], [0.5, -2, 3], delta=1)",
            np.array(
                [0.16666666666666666, -0.3333333333333333, 0.3333333333333333], dtype="float64"
            ),
            args=(
                np.full((3,), 0.0, dtype="float64"),
                np.array([0.5, -2.0, 3.0], dtype="float64"),
                1.0,
            ),
        ),
    ]


register(
    Exercise(
        id="math-3-1",
        title="Write log-sum-exp",
        difficulty="easy",
        minutes=10,
        hint="m = z.max(axis=-1, keepdims=True); return m + log(sum(exp(z - m))) with the kept axis removed.",
        cases=_practice_math_3_1,
    ),
    Exercise(
        id="math-3-2",
        title="Cross-entropy from logits and integer labels",
        difficulty="medium",
        minutes=15,
        hint="For row i the loss is logsumexp(logits[i]) - logits[i, labels[i]]; pick the true logits with "
        "logits[np.arange(n), labels], then average.",
        cases=_practice_math_3_2,
    ),
    Exercise(
        id="math-3-3",
        title="The gradient of the Huber loss",
        difficulty="medium",
        minutes=10,
        hint="The derivative of each term is clip(r, -delta, delta) with r = y_pred - y_true; the loss is a mean, "
        "so divide by the number of entries.",
        cases=_practice_math_3_3,
    ),
    Exercise(
        id="math-3-4",
        title="The largest loss Keras reports",
        difficulty="medium",
        minutes=10,
        hint="Look up what Keras does with probabilities of exactly 0 or 1 (the backend epsilon).",
    ),
)


def _practice_math_4_1() -> list[Case]:
    return [
        Case(
            "gradient_descent on f(x) = (x - 3)^2 from 0, lr=0.1, 50 steps",
            np.float64(2.9999571825692186),
            args=(_shifted_square_gradient, 0.0, 0.1, 50),
        ),
    ]


def _practice_math_4_2() -> list[Case]:
    return [
        Case(
            "max_stable_lr(diag(1, 10))",
            0.2,
            args=(np.array([[1.0, 0.0], [0.0, 10.0]], dtype="float64"),),
        ),
    ]


def _practice_math_4_3() -> list[Case]:
    return [
        Case(
            "momentum_step(x=1, v=0, grad=2, lr=0.1, momentum=0.9) (first step: plain SGD)",
            (np.array(0.8, dtype="float64"), np.array(-0.2, dtype="float64")),
            args=(1.0, 0.0, 2.0, 0.1, 0.9),
            compare=_arrays_close,
        ),
    ]


register(
    Exercise(
        id="math-4-1",
        title="Write gradient descent",
        difficulty="easy",
        minutes=5,
        hint="Convert x0 to a float array, then repeat x = x - lr * grad(x) steps times.",
        cases=_practice_math_4_1,
    ),
    Exercise(
        id="math-4-2",
        title="The largest stable learning rate",
        difficulty="medium",
        minutes=15,
        hint="np.linalg.eigvalsh gives the eigenvalues of a symmetric matrix in increasing order.",
        cases=_practice_math_4_2,
    ),
    Exercise(
        id="math-4-3",
        title="One step of momentum",
        difficulty="easy",
        minutes=10,
        hint="First the velocity: v_new = momentum * v - lr * grad; then the point: x_new = x + v_new. Return both.",
        cases=_practice_math_4_3,
    ),
    Exercise(
        id="math-4-4",
        title="Lower the learning rate to remove the jitter",
        difficulty="medium",
        minutes=15,
        hint="Keep a step counter t across epochs and use lr = 0.01 / (1 + t / 2000) in the update.",
    ),
)


def _practice_math_5_1() -> list[Case]:
    return [
        Case(
            "dense_backward with X (1, 5), W (5, 3), dZ (1, 3): returns (dX, dW, db)",
            (
                np.array(
                    [
                        [
                            1.5369275275828929,
                            -3.93663475254998,
                            1.4706690457876608,
                            5.129962072318763,
                            -1.463437332804864,
                        ]
                    ],
                    dtype="float64",
                ),
                np.array(
                    [
                        [-2.3311674051841154, 1.208703172357818, 0.30267772141846605],
                        [0.6844497020048145, -0.3548850778767828, -0.08886863970715275],
                        [-0.18021372127176483, 0.09344026350024655, 0.023398868052795303],
                        [-0.2663327507866865, 0.13809271700640785, 0.03458052389028648],
                        [0.9129134972082397, -0.47334285719249736, -0.1185322755339956],
                    ],
                    dtype="float64",
                ),
                np.array(
                    [2.822406643822529, -1.4634092156940728, -0.3664600019581486], dtype="float64"
                ),
            ),
            args=(
                np.array(
                    [
                        [
                            -0.825950225948624,
                            0.2425057011196053,
                            -0.06385108314076678,
                            -0.09436370601295727,
                            0.3234521500317312,
                        ]
                    ],
                    dtype="float64",
                ),
                np.array(
                    [
                        [0.6659548332265737, 0.18949203428579595, 0.17836442879931763],
                        [-1.1373229684493789, 0.5780571448878148, -0.3255124765669868],
                        [0.9899712282776467, 1.3131839068370048, -1.6326286685400078],
                        [1.3297775784715333, -0.6809801614233405, -1.0375930635566195],
                        [-0.23238547879967797, 0.29918196859408974, 1.0089105537496341],
                    ],
                    dtype="float64",
                ),
                np.array(
                    [[2.822406643822529, -1.4634092156940728, -0.3664600019581486]], dtype="float64"
                ),
            ),
            compare=_arrays_close,
        ),
    ]


def _practice_math_5_2() -> list[Case]:
    return [
        Case(
            "relu_backward(dH=[1, 2, 3], Z=[-1, 0, 2]) (derivative 0 at 0)",
            np.array([0.0, 0.0, 3.0], dtype="float64"),
            args=(
                np.array([1.0, 2.0, 3.0], dtype="float64"),
                np.array([-1.0, 0.0, 2.0], dtype="float64"),
            ),
        ),
    ]


def _practice_math_5_3() -> list[Case]:
    return [
        Case(
            "top_gradient of uniform logits [[0, 0]] with label 1",
            np.array([[0.5, -0.5]], dtype="float64"),
            args=(np.full((1, 2), 0.0, dtype="float64"), np.array([1], dtype="int64")),
        ),
    ]


register(
    Exercise(
        id="math-5-1",
        title="The backward pass of a dense layer",
        difficulty="medium",
        minutes=10,
        hint="Match the shapes: dW has the shape of W (d_in, d_out), so it is X.T @ dZ; dX has the shape of X; "
        "db sums dZ over the batch axis.",
        cases=_practice_math_5_1,
    ),
    Exercise(
        id="math-5-2",
        title="The backward pass of ReLU",
        difficulty="easy",
        minutes=5,
        hint="ReLU passes the gradient where Z > 0 and blocks it elsewhere (including Z == 0).",
        cases=_practice_math_5_2,
    ),
    Exercise(
        id="math-5-3",
        title="The gradient at the top",
        difficulty="medium",
        minutes=10,
        hint="Compute a stable softmax, subtract 1 at [np.arange(n), labels], divide by n.",
        cases=_practice_math_5_3,
    ),
    Exercise(
        id="math-5-4",
        title="Weight decay",
        difficulty="hard",
        minutes=25,
        hint="The derivative of (lambda / 2) * sum(W**2) with respect to W is lambda * W.",
    ),
)


def _practice_math_6_1() -> list[Case]:
    return [
        Case(
            "attention with identical keys: the output is the mean of the values",
            np.array([[2.0, 3.0]], dtype="float64"),
            args=(
                np.full((1, 2), 1.0, dtype="float64"),
                np.full((2, 2), 1.0, dtype="float64"),
                np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float64"),
            ),
        ),
    ]


def _practice_math_6_2() -> list[Case]:
    return [
        Case("causal_mask(1)", np.array([[True]], dtype="bool"), args=(1,), compare=_same_booleans),
    ]


def _practice_math_6_3() -> list[Case]:
    return [
        Case(
            "causal_attention: the first output is the first value",
            np.array([[1.0, 0.0], [0.5, 0.5]], dtype="float64"),
            args=(
                np.full((2, 2), 0.0, dtype="float64"),
                np.full((2, 2), 0.0, dtype="float64"),
                np.array([[1.0, 0.0], [0.0, 1.0]], dtype="float64"),
            ),
        ),
    ]


register(
    Exercise(
        id="math-6-1",
        title="Write attention",
        difficulty="medium",
        minutes=10,
        hint="scores = Q @ K.T / sqrt(d_k) with d_k = K.shape[-1]; a stable softmax along the last axis; then @ V.",
        cases=_practice_math_6_1,
    ),
    Exercise(
        id="math-6-2",
        title="Build a causal mask",
        difficulty="easy",
        minutes=5,
        hint="np.tril keeps the lower triangle (j <= i) of a matrix of ones.",
        cases=_practice_math_6_2,
    ),
    Exercise(
        id="math-6-3",
        title="Causal attention",
        difficulty="medium",
        minutes=15,
        hint="Set the scores above the diagonal to -np.inf with np.where before the softmax.",
        cases=_practice_math_6_3,
    ),
    Exercise(
        id="math-6-4",
        title="Attention does not know the order",
        difficulty="medium",
        minutes=15,
        hint="Compare attention(X[perm], X[perm], X[perm]) with attention(X, X, X)[perm] for a permutation perm.",
    ),
)


def _practice_math_7_1() -> list[Case]:
    return [
        Case(
            "layer_norm([[1, 2, 3, 4]]): the variance divides by d, not d - 1",
            np.array(
                [[-1.3416354199689269, -0.447211806656309, 0.447211806656309, 1.3416354199689269]],
                dtype="float64",
            ),
            args=(
                np.array([[1.0, 2.0, 3.0, 4.0]], dtype="float64"),
                np.full((4,), 1.0, dtype="float64"),
                np.full((4,), 0.0, dtype="float64"),
            ),
        ),
        Case(
            "layer_norm of a constant row with eps=1e-3 (epsilon keeps it finite)",
            np.full((1, 3), 0.5, dtype="float64"),
            args=(
                np.full((1, 3), 7.0, dtype="float64"),
                np.full((3,), 1.0, dtype="float64"),
                np.full((3,), 0.5, dtype="float64"),
            ),
            kwargs={"eps": 0.001},
        ),
    ]


def _practice_math_7_2() -> list[Case]:
    return [
        Case(
            "pre_ln_layer with W = 0: the residual passes x through unchanged",
            np.array(
                [
                    [
                        -1.0033261297340101,
                        -0.028297699151180255,
                        0.5856935393997702,
                        -1.6870833910543075,
                    ],
                    [
                        -1.3971657910120572,
                        -0.9576837196364221,
                        1.0027865075616165,
                        1.1127533069483988,
                    ],
                    [
                        0.32076714479954055,
                        0.4484136661660371,
                        -0.6056509985663897,
                        -1.1751033373627044,
                    ],
                    [
                        0.4766612595463351,
                        0.7534523684253823,
                        -0.08829291001023952,
                        -1.9781320549729702,
                    ],
                    [
                        0.2589213233730124,
                        0.12324836279759942,
                        -0.7634901871311596,
                        0.787844135594704,
                    ],
                ],
                dtype="float64",
            ),
            args=(
                np.array(
                    [
                        [
                            -1.0033261297340101,
                            -0.028297699151180255,
                            0.5856935393997702,
                            -1.6870833910543075,
                        ],
                        [
                            -1.3971657910120572,
                            -0.9576837196364221,
                            1.0027865075616165,
                            1.1127533069483988,
                        ],
                        [
                            0.32076714479954055,
                            0.4484136661660371,
                            -0.6056509985663897,
                            -1.1751033373627044,
                        ],
                        [
                            0.4766612595463351,
                            0.7534523684253823,
                            -0.08829291001023952,
                            -1.9781320549729702,
                        ],
                        [
                            0.2589213233730124,
                            0.12324836279759942,
                            -0.7634901871311596,
                            0.787844135594704,
                        ],
                    ],
                    dtype="float64",
                ),
                np.full((4, 4), 0.0, dtype="float64"),
                np.array(
                    [
                        -0.3283105162268754,
                        -1.5665853544734152,
                        0.05747452844114234,
                        0.5967375973727553,
                    ],
                    dtype="float64",
                ),
                np.array(
                    [
                        0.6992949351955798,
                        0.41940191015191136,
                        0.6770024207547544,
                        0.9233236284524267,
                    ],
                    dtype="float64",
                ),
            ),
        ),
    ]


register(
    Exercise(
        id="math-7-1",
        title="Write layer normalisation",
        difficulty="easy",
        minutes=10,
        hint="x.mean(axis=-1, keepdims=True) and x.var(axis=-1, keepdims=True) broadcast against x; "
        "then gamma * (x - mu) / np.sqrt(var + eps) + beta.",
        cases=_practice_math_7_1,
    ),
    Exercise(
        id="math-7-2",
        title="A pre-LN residual layer",
        difficulty="easy",
        minutes=10,
        hint="h = layer_norm(x, gamma, beta); return x + np.maximum(h @ W, 0).",
        cases=_practice_math_7_2,
    ),
    Exercise(
        id="math-7-3",
        title="Layer normalisation forgets the scale",
        difficulty="medium",
        minutes=15,
        hint="Substitute a * x + c into the formula: what happens to x - mu, and to sigma?",
    ),
    Exercise(
        id="math-7-4",
        title="How deep can a plain stack go?",
        difficulty="medium",
        minutes=20,
        hint="Loop over depths, set DEPTH, and take np.linalg.norm of loss_and_grads(...)[1]['W'][0].",
    ),
)
