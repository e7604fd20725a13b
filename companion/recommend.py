"""Recommendation: a split by time per user, negative sampling, matrix factorisation, ranking metrics.

Users and items are integer ids ``0 .. n - 1``. Scores are a ``(num_users, num_items)``
array; recommending means taking each user's top ``k`` items among those they have
not interacted with yet. Defined in Part 4, "Recommendation".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "build_matrix_factorisation",
    "interaction_matrix",
    "ndcg_at_k",
    "popularity_scores",
    "recall_at_k",
    "sample_negatives",
    "split_last_per_user",
    "top_k",
]


def split_last_per_user(users: np.ndarray, timestamps: np.ndarray, n_last: int) -> np.ndarray:
    """A boolean mask of the test rows: each user's ``n_last`` most recent interactions.

    Ties in time are broken by row order. A user with ``n_last`` or fewer interactions
    keeps them all in training. Used in: Part 4, Recommendation.
    """
    users, timestamps = np.asarray(users), np.asarray(timestamps)
    if users.shape != timestamps.shape or users.ndim != 1:
        raise ValueError(
            f"users and timestamps must be 1-D of one length, got {users.shape} and {timestamps.shape}."
        )
    if n_last < 1:
        raise ValueError(f"n_last must be at least 1, got {n_last}.")
    order = np.lexsort((np.arange(users.size), timestamps, users))  # by user, then time
    sorted_users = users[order]
    counts = np.bincount(sorted_users)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank_from_end = counts[sorted_users] - (np.arange(users.size) - starts[sorted_users])
    is_test = np.zeros(users.size, dtype=bool)
    is_test[order] = (rank_from_end <= n_last) & (counts[sorted_users] > n_last)
    return is_test


def interaction_matrix(
    users: np.ndarray, items: np.ndarray, num_users: int, num_items: int
) -> np.ndarray:
    """A ``(num_users, num_items)`` boolean matrix, true where the user interacted with the item.

    Used in: Part 4, Recommendation.
    """
    users, items = np.asarray(users), np.asarray(items)
    if users.size and (
        users.max() >= num_users or items.max() >= num_items or min(users.min(), items.min()) < 0
    ):
        raise ValueError(
            f"ids must be in 0..num_users-1 and 0..num_items-1 ({num_users}, {num_items}), "
            f"got users up to {users.max()} and items up to {items.max()}."
        )
    matrix = np.zeros((num_users, num_items), dtype=bool)
    matrix[users, items] = True
    return matrix


def popularity_scores(items: np.ndarray, num_users: int, num_items: int) -> np.ndarray:
    """The popularity baseline: every user scores each item by its number of interactions.

    Used in: Part 4, Recommendation.
    """
    counts = np.bincount(np.asarray(items), minlength=num_items).astype(float)
    return np.broadcast_to(counts, (num_users, num_items)).copy()


def top_k(scores: np.ndarray, seen: np.ndarray, k: int) -> np.ndarray:
    """Each user's ``k`` best-scored items among those not ``seen``, best first: ``(num_users, k)``.

    Ties are broken by the lower item id. Used in: Part 4, Recommendation.
    """
    scores, seen = np.asarray(scores, dtype=float), np.asarray(seen, dtype=bool)
    if scores.shape != seen.shape:
        raise ValueError(f"scores {scores.shape} and seen {seen.shape} must have one shape.")
    if not 1 <= k <= scores.shape[1]:
        raise ValueError(f"k must be between 1 and {scores.shape[1]}, got {k}.")
    masked = np.where(seen, -np.inf, scores)
    return np.argsort(-masked, axis=1, kind="stable")[:, :k]


def _relevant_sets(relevant: Sequence[Sequence[int]] | np.ndarray) -> list[set[int]]:
    if isinstance(relevant, np.ndarray) and relevant.dtype == bool:
        return [set(np.flatnonzero(row).tolist()) for row in relevant]
    return [set(int(item) for item in row) for row in relevant]


def recall_at_k(
    recommended: np.ndarray, relevant: Sequence[Sequence[int]] | np.ndarray, k: int | None = None
) -> float:
    """Mean over users (with at least one relevant item) of hits in the top ``k`` / relevant items.

    ``relevant`` is a boolean ``(num_users, num_items)`` matrix or one collection of item
    ids per user. Used in: Part 4, Recommendation.
    """
    recommended = np.asarray(recommended)
    k = recommended.shape[1] if k is None else k
    sets = _relevant_sets(relevant)
    if len(sets) != recommended.shape[0]:
        raise ValueError(f"recommended has {recommended.shape[0]} users, relevant {len(sets)}.")
    values = [
        len(rel.intersection(row[:k].tolist())) / len(rel)
        for row, rel in zip(recommended, sets, strict=True)
        if rel
    ]
    return float(np.mean(values)) if values else 0.0


def ndcg_at_k(
    recommended: np.ndarray, relevant: Sequence[Sequence[int]] | np.ndarray, k: int | None = None
) -> float:
    """Mean normalised discounted cumulative gain at ``k`` with binary relevance.

    A hit at rank ``r`` (1-based) earns ``1 / log2(r + 1)``; the sum is divided by the
    best possible sum, ``min(k, |relevant|)`` hits at the top. Users without relevant
    items are skipped. Used in: Part 4, Recommendation.
    """
    recommended = np.asarray(recommended)
    k = recommended.shape[1] if k is None else k
    sets = _relevant_sets(relevant)
    if len(sets) != recommended.shape[0]:
        raise ValueError(f"recommended has {recommended.shape[0]} users, relevant {len(sets)}.")
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    values = []
    for row, rel in zip(recommended, sets, strict=True):
        if not rel:
            continue
        gains = np.array([item in rel for item in row[:k].tolist()], dtype=float)
        ideal = discounts[: min(k, len(rel))].sum()
        values.append(float(gains @ discounts[: gains.size]) / ideal)
    return float(np.mean(values)) if values else 0.0


def sample_negatives(
    users: np.ndarray, seen: np.ndarray, ratio: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``ratio`` random unseen items for each entry of ``users``: ``(users repeated, items)``.

    Draws again wherever a draw hits an item the user has seen, so every returned pair
    is a true non-interaction. Used in: Part 4, Recommendation (implicit feedback).
    """
    users = np.repeat(np.asarray(users), ratio)
    seen = np.asarray(seen, dtype=bool)
    if seen.all(axis=1)[users].any():
        raise ValueError("a user has seen every item; no negative can be drawn for them.")
    items = rng.integers(0, seen.shape[1], size=users.size)
    clash = seen[users, items]
    while clash.any():
        items[clash] = rng.integers(0, seen.shape[1], size=int(clash.sum()))
        clash = seen[users, items]
    return users, items


def build_matrix_factorisation(num_users: int, num_items: int, dim: int = 32, l2: float = 1e-6):
    """A Keras model scoring ``[user_ids, item_ids]`` by ``<u, v> + item bias`` (a logit).

    Each user and each item gets a ``dim``-vector (an embedding); the layers are named
    ``users``, ``items`` and ``item_bias`` so their weights can be read back to score
    every pair at once. Used in: Part 4, Recommendation.
    """
    import keras

    for name, value in (("num_users", num_users), ("num_items", num_items), ("dim", dim)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}.")
    user = keras.Input((), dtype="int32", name="user")
    item = keras.Input((), dtype="int32", name="item")
    regulariser = keras.regularizers.L2(l2)
    u = keras.layers.Embedding(num_users, dim, embeddings_regularizer=regulariser, name="users")(
        user
    )
    v = keras.layers.Embedding(num_items, dim, embeddings_regularizer=regulariser, name="items")(
        item
    )
    b = keras.layers.Embedding(num_items, 1, name="item_bias")(item)
    logit = keras.layers.Dot(axes=-1)([u, v]) + keras.layers.Reshape((1,))(b)
    return keras.Model([user, item], logit, name="matrix_factorisation")
