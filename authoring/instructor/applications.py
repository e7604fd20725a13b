"""Exercises of Part 4, Applications (ids ``applications-<chapter>-<n>``).

Chapters: 1 A tiny GPT, 2 Classifying messages, 3 Vision in a product,
4 Forecasting, 5 Recommendation, 6 Fine-tuning with low-rank adapters,
7 Retrieval-augmented generation.
"""

from __future__ import annotations

import numpy as np

from companion.exercises import Case
from companion.exercises.applications import _same_or_both_nan

from .store import Reference, register


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
    Reference(
        id="applications-1-1",
        solution="def temperature_softmax(logits, temperature):\n"
        "    if temperature <= 0:\n"
        '        raise ValueError("temperature must be positive")\n'
        "    z = np.asarray(logits, dtype=float) / temperature\n"
        "    e = np.exp(z - z.max())\n"
        "    return e / e.sum()",
        cases=_temperature_cases,
    ),
    Reference(
        id="applications-1-2",
        solution="def share_new(generated, training):\n"
        "    known = set(training)\n"
        "    return float(np.mean([text not in known for text in generated]))",
        cases=_share_new_cases,
    ),
    Reference(
        id="applications-1-3",
        solution="def block_parameters(d_model, mlp_dim):\n"
        "    attention = 4 * (d_model * d_model + d_model)\n"
        "    norms = 2 * 2 * d_model\n"
        "    mlp = d_model * mlp_dim + mlp_dim + mlp_dim * d_model + d_model\n"
        "    return attention + norms + mlp",
        cases=_block_cases,
    ),
)


# --------------------------------------------------------------------------- 2. Classifying messages
def _precision_recall(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    true_pos = np.sum((y_pred == 1) & (y_true == 1))
    flagged, positives = np.sum(y_pred == 1), np.sum(y_true == 1)
    return (
        float(true_pos / flagged) if flagged else 0.0,
        float(true_pos / positives) if positives else 0.0,
    )


def _precision_recall_cases() -> list[Case]:
    rng = np.random.default_rng(3)
    y_true, y_pred = rng.integers(0, 2, 40), rng.integers(0, 2, 40)
    return [
        Case("precision_recall([1, 1, 0, 0], [1, 0, 1, 0])", (0.5, 0.5), args=([1, 1, 0, 0], [1, 0, 1, 0])),
        Case("precision_recall([1, 1, 1, 0], [1, 1, 0, 0])", (1.0, 2 / 3), args=([1, 1, 1, 0], [1, 1, 0, 0])),
        Case("precision_recall of 40 random labels", _precision_recall(y_true, y_pred), args=(y_true, y_pred)),
        Case("precision_recall([0, 1], [0, 0]) (nothing flagged)", (0.0, 0.0), args=([0, 1], [0, 0])),
        Case("precision_recall([0, 0], [1, 0]) (no spam at all)", (0.0, 0.0), args=([0, 0], [1, 0])),
    ]  # fmt: skip


def _cost(y_true, y_pred, cost_fp: float, cost_fn: float) -> float:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    false_pos = np.sum((y_pred == 1) & (y_true == 0))
    false_neg = np.sum((y_pred == 0) & (y_true == 1))
    return float((cost_fp * false_pos + cost_fn * false_neg) / len(y_true))


def _cost_cases() -> list[Case]:
    rng = np.random.default_rng(4)
    y_true, y_pred = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    return [
        Case("expected_cost([1, 0, 1, 0], [0, 1, 1, 0], 10, 1)", 11 / 4, args=([1, 0, 1, 0], [0, 1, 1, 0], 10, 1)),
        Case("expected_cost of a perfect filter", 0.0, args=([1, 0, 1], [1, 0, 1], 10, 1)),
        Case("expected_cost([1, 1], [0, 0], 5, 2) (all spam missed)", 2.0, args=([1, 1], [0, 0], 5, 2)),
        Case("expected_cost of 50 random labels, costs 3 and 0.5", _cost(y_true, y_pred, 3, 0.5), args=(y_true, y_pred, 3, 0.5)),
    ]  # fmt: skip


register(
    Reference(
        id="applications-2-1",
        solution="def precision_recall(y_true, y_pred):\n"
        "    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)\n"
        "    true_pos = np.sum((y_pred == 1) & (y_true == 1))\n"
        "    flagged, positives = np.sum(y_pred == 1), np.sum(y_true == 1)\n"
        "    precision = true_pos / flagged if flagged else 0.0\n"
        "    recall = true_pos / positives if positives else 0.0\n"
        "    return float(precision), float(recall)",
        cases=_precision_recall_cases,
    ),
    Reference(
        id="applications-2-2",
        solution="def expected_cost(y_true, y_pred, cost_fp, cost_fn):\n"
        "    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)\n"
        "    false_pos = np.sum((y_pred == 1) & (y_true == 0))\n"
        "    false_neg = np.sum((y_pred == 0) & (y_true == 1))\n"
        "    return float((cost_fp * false_pos + cost_fn * false_neg) / len(y_true))",
        cases=_cost_cases,
    ),
    Reference(
        id="applications-2-3",
        solution="A random split puts later spam and copies of test messages into training, so its "
        "F1 is higher and answers the wrong question; quote the split by folder (time). For a "
        "support inbox, split by thread, by customer and by date.",
    ),
)


# --------------------------------------------------------------------------- 4. Forecasting
def _seasonal_cases() -> list[Case]:
    history = np.arange(1.0, 11.0)  # 1 .. 10
    rng = np.random.default_rng(5)
    noisy = rng.normal(size=30)
    return [
        Case("seasonal_forecast(1..10, 3, 4)", np.array([7.0, 8.0, 9.0]), args=(history, 3, 4)),
        Case("seasonal_forecast(1..10, 6, 4) (longer than a season)",
             np.array([7.0, 8.0, 9.0, 10.0, 7.0, 8.0]), args=(history, 6, 4)),
        Case("seasonal_forecast(1..10, 2, 1) (season 1: naive)", np.array([10.0, 10.0]), args=(history, 2, 1)),
        Case("seasonal_forecast(30 random values, 12, 12)", noisy[-12:], args=(noisy, 12, 12)),
    ]  # fmt: skip


def _mape_cases() -> list[Case]:
    return [
        Case("mape([100, 200], [110, 180])", 0.1, args=([100, 200], [110, 180])),
        Case("mape([1, 2, 4], [1, 2, 4]) (perfect)", 0.0, args=([1, 2, 4], [1, 2, 4])),
        Case("mape([-50], [-45]) (negative actual)", 0.1, args=([-50], [-45])),
        Case("mape of 2-D arrays [[10, 20], [40, 80]] vs [[12, 20], [40, 60]]", 0.1125,
             args=(np.array([[10, 20], [40, 80]]), np.array([[12, 20], [40, 60]]))),
    ]  # fmt: skip


register(
    Reference(
        id="applications-4-1",
        solution="def seasonal_forecast(history, horizon, season):\n"
        "    last_season = np.asarray(history, dtype=float)[-season:]\n"
        "    return np.resize(last_season, horizon)",
        cases=_seasonal_cases,
    ),
    Reference(
        id="applications-4-2",
        solution="def mape(actual, forecast):\n"
        "    actual, forecast = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)\n"
        "    return float(np.mean(np.abs((actual - forecast) / actual)))",
        cases=_mape_cases,
    ),
    Reference(
        id="applications-4-3",
        solution="Training on every origin puts most test targets into training, so the test MAE "
        "drops but measures memory, not forecasting. Pick the input length on the validation "
        "period, never on the test period.",
    ),
)


# --------------------------------------------------------------------------- 5. Recommendation
def _user_ndcg(recommended, relevant, k: int) -> float:
    relevant = set(relevant)
    if not relevant:
        return 0.0
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    gains = np.array([item in relevant for item in list(recommended)[:k]], dtype=float)
    return float(gains @ discounts[: gains.size] / discounts[: min(k, len(relevant))].sum())


def _user_recall_cases() -> list[Case]:
    return [
        Case("user_recall([5, 3, 9, 1], {3, 1, 7}, 2)", 1 / 3, args=([5, 3, 9, 1], {3, 1, 7}, 2)),
        Case("user_recall([5, 3, 9, 1], {3, 1, 7}, 4)", 2 / 3, args=([5, 3, 9, 1], {3, 1, 7}, 4)),
        Case("user_recall([1, 2], [], 2) (nothing relevant)", 0.0, args=([1, 2], [], 2)),
        Case("user_recall(np.array([4, 2, 8]), [8, 4], 3)", 1.0, args=(np.array([4, 2, 8]), [8, 4], 3)),
    ]  # fmt: skip


def _user_ndcg_cases() -> list[Case]:
    return [
        Case("user_ndcg([1, 2, 3], {1}, 3) (hit at the top)", 1.0, args=([1, 2, 3], {1}, 3)),
        Case("user_ndcg([2, 1, 3], {1}, 3) (hit at rank 2)", _user_ndcg([2, 1, 3], {1}, 3), args=([2, 1, 3], {1}, 3)),
        Case("user_ndcg([5, 6, 1, 2], {1, 2, 9}, 4)", _user_ndcg([5, 6, 1, 2], {1, 2, 9}, 4), args=([5, 6, 1, 2], {1, 2, 9}, 4)),
        Case("user_ndcg([7, 8], {9}, 2) (no hit)", 0.0, args=([7, 8], {9}, 2)),
        Case("user_ndcg([1, 2, 3], [], 3) (nothing relevant)", 0.0, args=([1, 2, 3], [], 3)),
    ]  # fmt: skip


register(
    Reference(
        id="applications-5-1",
        solution="def user_recall(recommended, relevant, k):\n"
        "    relevant = set(relevant)\n"
        "    if not relevant:\n"
        "        return 0.0\n"
        "    return len(relevant.intersection(list(recommended)[:k])) / len(relevant)",
        cases=_user_recall_cases,
    ),
    Reference(
        id="applications-5-2",
        solution="def user_ndcg(recommended, relevant, k):\n"
        "    relevant = set(relevant)\n"
        "    if not relevant:\n"
        "        return 0.0\n"
        "    discounts = 1.0 / np.log2(np.arange(2, k + 2))\n"
        "    gains = np.array([item in relevant for item in list(recommended)[:k]], dtype=float)\n"
        "    return float(gains @ discounts[: gains.size] / discounts[: min(k, len(relevant))].sum())",
        cases=_user_ndcg_cases,
    ),
    Reference(
        id="applications-5-3",
        solution="Average the item vectors of the picked films, score every film by dot product "
        "plus bias, and exclude the picks. Evaluate by hiding all but five interactions of "
        "existing users and comparing recall@10 with the popularity list.",
    ),
)


# --------------------------------------------------------------------------- 3. Vision in a product
def _ece(confidences, correct, num_bins: int) -> float:
    confidences = np.asarray(confidences, dtype=float)
    correct = np.asarray(correct, dtype=float)
    bins = np.clip(np.ceil(confidences * num_bins).astype(int) - 1, 0, num_bins - 1)
    total = 0.0
    for b in range(num_bins):
        members = bins == b
        if members.any():
            total += members.sum() * abs(correct[members].mean() - confidences[members].mean())
    return total / confidences.size


def _ece_cases() -> list[Case]:
    rng = np.random.default_rng(6)
    conf = rng.uniform(0.1, 1.0, 200)
    hits = rng.random(200) < conf**2
    return [
        Case("ece([0.7] * 10, 7 right and 3 wrong, 10) (calibrated)", 0.0,
             args=(np.full(10, 0.7), np.array([1] * 7 + [0] * 3, bool), 10)),
        Case("ece([0.95, 0.95, 0.15], [True, False, True], 10)", (2 * 0.45 + 0.85) / 3,
             args=(np.array([0.95, 0.95, 0.15]), np.array([True, False, True]), 10)),
        Case("ece([1.0, 0.0], [True, True], 4) (edges)", 0.5,
             args=(np.array([1.0, 0.0]), np.array([True, True]), 4)),
        Case("ece of 200 over-confident predictions, 15 bins", _ece(conf, hits, 15), args=(conf, hits, 15)),
    ]  # fmt: skip


def _selective_cases() -> list[Case]:
    conf = np.array([0.9, 0.6, 0.99, 0.3])
    right = np.array([True, False, True, False])
    return [
        Case("selective(conf, right, 0.5)", (0.75, 2 / 3), args=(conf, right, 0.5), compare=_same_or_both_nan),
        Case("selective(conf, right, 0.9) (threshold inclusive)", (0.5, 1.0), args=(conf, right, 0.9), compare=_same_or_both_nan),
        Case("selective(conf, right, 0.0) (answer everything)", (1.0, 0.5), args=(conf, right, 0.0), compare=_same_or_both_nan),
        Case("selective(conf, right, 0.999) (answer nothing)", (0.0, float("nan")), args=(conf, right, 0.999), compare=_same_or_both_nan),
    ]  # fmt: skip


register(
    Reference(
        id="applications-3-1",
        solution="def ece(confidences, correct, num_bins):\n"
        "    confidences = np.asarray(confidences, dtype=float)\n"
        "    correct = np.asarray(correct, dtype=float)\n"
        "    bins = np.clip(np.ceil(confidences * num_bins).astype(int) - 1, 0, num_bins - 1)\n"
        "    total = 0.0\n"
        "    for b in range(num_bins):\n"
        "        members = bins == b\n"
        "        if members.any():\n"
        "            total += members.sum() * abs(correct[members].mean() - confidences[members].mean())\n"
        "    return total / confidences.size",
        cases=_ece_cases,
    ),
    Reference(
        id="applications-3-2",
        solution="def selective(confidences, correct, threshold):\n"
        "    confidences, correct = np.asarray(confidences), np.asarray(correct, dtype=bool)\n"
        "    answered = confidences >= threshold\n"
        '    accuracy = correct[answered].mean() if answered.any() else float("nan")\n'
        "    return float(answered.mean()), float(accuracy)",
        cases=_selective_cases,
    ),
    Reference(
        id="applications-3-3",
        solution="Compute the share of inverted digits and of noise images whose confidence passes "
        "the threshold; confidence is not a distance to the training data, so some pass. Add an "
        "input check, a rejection class trained on such images, and monitoring of abstentions.",
    ),
)


# --------------------------------------------------------------------------- 6. Fine-tuning with low-rank adapters
def _lora_parameter_cases() -> list[Case]:
    return [
        Case(f"lora_parameters({d_in}, {d_out}, {r})", r * (d_in + d_out), args=(d_in, d_out, r))
        for d_in, d_out, r in (
            (64, 256, 1),
            (64, 256, 16),
            (4096, 4096, 8),
            (3, 5, 2),
            (256, 64, 51),
        )
    ]


def _merge(w, a, b, alpha: float) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.asarray(w, dtype=float) + (alpha / a.shape[0]) * b @ a


def _merge_cases() -> list[Case]:
    rng = np.random.default_rng(6)
    w, a, b = rng.normal(size=(4, 3)), rng.normal(size=(2, 3)), rng.normal(size=(4, 2))
    a1, b1 = rng.normal(size=(1, 3)), rng.normal(size=(4, 1))
    eye, row, column = np.eye(2), np.array([[1.0, 2.0]]), np.array([[1.0], [0.0]])
    return [
        Case("merge_update(eye(2), a=[[1, 2]], b=[[1], [0]], alpha=2.0)", _merge(eye, row, column, 2.0),
             args=(eye, row, column, 2.0)),
        Case("merge_update(eye(2), a=[[1, 2]], b=[[0], [0]], alpha=2.0) (B = 0 changes nothing)",
             _merge(eye, row, np.zeros((2, 1)), 2.0), args=(eye, row, np.zeros((2, 1)), 2.0)),
        Case("merge_update(w (4x3), a (2x3), b (4x2), alpha=2.0)", _merge(w, a, b, 2.0), args=(w, a, b, 2.0)),
        Case("merge_update(..., alpha=8.0) (scale alpha / r = 4)", _merge(w, a, b, 8.0), args=(w, a, b, 8.0)),
        Case("merge_update(w, a, zeros (4x2), 2.0) (B = 0 changes nothing)", w, args=(w, a, np.zeros((4, 2)), 2.0)),
        Case("merge_update(w, a (1x3), b (4x1), 1.0) (rank 1)", _merge(w, a1, b1, 1.0), args=(w, a1, b1, 1.0)),
    ]  # fmt: skip


def _adapter_bytes_cases() -> list[Case]:
    layers = [(64, 256), (256, 64)]
    return [
        Case("adapter_bytes([(64, 256), (256, 64)], 4, 4)", 4 * 4 * 640, args=(layers, 4, 4)),
        Case("adapter_bytes([(64, 256)], 1) (bfloat16 by default)", 2 * 320, args=([(64, 256)], 1)),
        Case("adapter_bytes([(64, 256), (256, 64)], 1) (bfloat16 by default)", 2 * 640, args=(layers, 1)),
        Case("adapter_bytes([(4096, 4096)] * 4, 16, 2)", 2 * 4 * 16 * 8192, args=([(4096, 4096)] * 4, 16, 2)),
        Case("adapter_bytes([], 8)", 0, args=([], 8)),
    ]  # fmt: skip


# --------------------------------------------------------------------------- 7. Retrieval-augmented generation
def _recall_mrr(ranks, k: int) -> tuple[float, float]:
    ranks = np.asarray(ranks, dtype=float)
    return float(np.mean(ranks <= k)), float(np.mean(1.0 / ranks))


def _recall_mrr_cases() -> list[Case]:
    ranks = np.array([1, 3, 7, 2, 50])
    return [
        Case("recall_and_mrr([1, 3, 7, 2, 50], 5)", _recall_mrr(ranks, 5), args=(ranks, 5)),
        Case("recall_and_mrr([1, 3, 7, 2, 50], 1)", _recall_mrr(ranks, 1), args=(ranks, 1)),
        Case("recall_and_mrr([4, 4], 3) (no hit)", (0.0, 0.25), args=(np.array([4, 4]), 3)),
        Case("recall_and_mrr([1], 10)", (1.0, 1.0), args=([1], 10)),
    ]  # fmt: skip


def _windows(words, size: int, stride: int) -> list[list[str]]:
    windows = []
    for start in range(0, max(len(words), 1), stride):
        windows.append(list(words[start : start + size]))
        if start + size >= len(words):
            break
    return [window for window in windows if window]


def _windows_cases() -> list[Case]:
    words = ["a", "b", "c", "d", "e", "f", "g"]
    return [
        Case(f"overlapping_windows({words}, 3, 2)", _windows(words, 3, 2), args=(words, 3, 2)),
        Case(f"overlapping_windows({words}, 3, 3) (no overlap)", _windows(words, 3, 3), args=(words, 3, 3)),
        Case(f"overlapping_windows({words}, 10, 4) (one window)", [words], args=(words, 10, 4)),
        Case("overlapping_windows(['a', 'b', 'c', 'd'], 2, 1)", _windows(list("abcd"), 2, 1), args=(list("abcd"), 2, 1)),
        Case("overlapping_windows([], 3, 2) (nothing to cut)", [], args=([], 3, 2)),
    ]  # fmt: skip


register(
    Reference(
        id="applications-6-1",
        solution="def lora_parameters(d_in, d_out, rank):\n"
        "    if rank < 1:\n"
        '        raise ValueError("rank must be a positive integer")\n'
        "    return rank * (d_in + d_out)",
        cases=_lora_parameter_cases,
    ),
    Reference(
        id="applications-6-2",
        solution="def merge_update(w, a, b, alpha):\n"
        "    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)\n"
        "    return np.asarray(w, dtype=float) + (alpha / a.shape[0]) * b @ a",
        cases=_merge_cases,
    ),
    Reference(
        id="applications-6-3",
        solution="def adapter_bytes(shapes, rank, bytes_per_weight=2):\n"
        "    return bytes_per_weight * sum(rank * (d_in + d_out) for d_in, d_out in shapes)",
        cases=_adapter_bytes_cases,
    ),
    Reference(
        id="applications-7-1",
        solution="def recall_and_mrr(ranks, k):\n"
        "    ranks = np.asarray(ranks, dtype=float)\n"
        "    return float(np.mean(ranks <= k)), float(np.mean(1.0 / ranks))",
        cases=_recall_mrr_cases,
    ),
    Reference(
        id="applications-7-2",
        solution="def overlapping_windows(words, size, stride):\n"
        "    windows = []\n"
        "    for start in range(0, max(len(words), 1), stride):\n"
        "        windows.append(list(words[start : start + size]))\n"
        "        if start + size >= len(words):\n"
        "            break\n"
        "    return [window for window in windows if window]",
        cases=_windows_cases,
    ),
    Reference(
        id="applications-7-3",
        solution="Head each FAQ answer with its question, rebuild the 128-word chunks, rank with "
        "BM25 and compare recall@5. The collection then holds the users' own words, so recall "
        "jumps; real users word things differently, so the honest gain lies between the two "
        "figures. Writing real questions into the pages is cheap and often beats a better "
        "retriever.",
    ),
)
