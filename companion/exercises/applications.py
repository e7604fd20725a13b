"""Exercises of Part 4, Applications (ids ``applications-<chapter>-<n>``).

Chapters: 1 A tiny GPT, 2 Classifying messages, 3 Vision in a product,
4 Forecasting, 5 Recommendation.
"""

from __future__ import annotations

import numpy as np

from .core import Case, Exercise, register


# --------------------------------------------------------------------------- 1. A tiny GPT
def _softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    z = np.asarray(logits, dtype=float) / temperature
    e = np.exp(z - z.max())
    return e / e.sum()


def _temperature_cases() -> list[Case]:
    logits = np.array([2.0, 1.0, 0.0, -1.0])
    big = np.array([1000.0, 999.0, 998.0])
    return [
        Case("temperature_softmax([2, 1, 0, -1], 1.0)", _softmax(logits, 1.0), args=(logits, 1.0)),
        Case("temperature_softmax([2, 1, 0, -1], 0.5) (sharper)", _softmax(logits, 0.5), args=(logits, 0.5)),
        Case("temperature_softmax([2, 1, 0, -1], 5.0) (flatter)", _softmax(logits, 5.0), args=(logits, 5.0)),
        Case("temperature_softmax([1000, 999, 998], 1.0) (no overflow)", _softmax(big, 1.0), args=(big, 1.0)),
        Case("temperature_softmax([3.0], 0.7) (one token)", np.array([1.0]), args=(np.array([3.0]), 0.7)),
    ]  # fmt: skip


def _share_new_cases() -> list[Case]:
    return [
        Case("share_new(['ann', 'zed'], ['ann', 'bob'])", 0.5, args=(["ann", "zed"], ["ann", "bob"])),
        Case("share_new(['zed', 'zed', 'ann', 'amy'], ['ann'])", 0.75, args=(["zed", "zed", "ann", "amy"], ["ann"])),
        Case("share_new(['ann'], [])", 1.0, args=(["ann"], [])),
        Case("share_new(['ann', 'bob'], ('bob', 'ann', 'cy'))", 0.0, args=(["ann", "bob"], ("bob", "ann", "cy"))),
    ]  # fmt: skip


def _block_parameters(d_model: int, mlp_dim: int) -> int:
    return (
        4 * (d_model * d_model + d_model) + 4 * d_model + 2 * d_model * mlp_dim + mlp_dim + d_model
    )


def _block_cases() -> list[Case]:
    return [
        Case(f"block_parameters({d}, {m})", _block_parameters(d, m), args=(d, m))
        for d, m in ((64, 256), (8, 16), (128, 512), (768, 3072))
    ]


register(
    Exercise(
        id="applications-1-1",
        title="Softmax with a temperature",
        difficulty="easy",
        minutes=10,
        hint="Divide the logits by the temperature, subtract their maximum, exponentiate, "
        "divide by the sum. Check the temperature first.",
        solution="def temperature_softmax(logits, temperature):\n"
        "    if temperature <= 0:\n"
        '        raise ValueError("temperature must be positive")\n'
        "    z = np.asarray(logits, dtype=float) / temperature\n"
        "    e = np.exp(z - z.max())\n"
        "    return e / e.sum()",
        cases=_temperature_cases,
    ),
    Exercise(
        id="applications-1-2",
        title="How many samples are new?",
        difficulty="easy",
        minutes=10,
        hint="Turn `training` into a set once; then the mean of a list of booleans is a fraction.",
        solution="def share_new(generated, training):\n"
        "    known = set(training)\n"
        "    return float(np.mean([text not in known for text in generated]))",
        cases=_share_new_cases,
    ),
    Exercise(
        id="applications-1-3",
        title="Count the parameters of a block",
        difficulty="medium",
        minutes=15,
        hint="A dense layer from n to m inputs has n*m weights and m biases; a layer "
        "normalisation of width d has 2*d parameters.",
        solution="def block_parameters(d_model, mlp_dim):\n"
        "    attention = 4 * (d_model * d_model + d_model)\n"
        "    norms = 2 * 2 * d_model\n"
        "    mlp = d_model * mlp_dim + mlp_dim + mlp_dim * d_model + d_model\n"
        "    return attention + norms + mlp",
        cases=_block_cases,
    ),
)
