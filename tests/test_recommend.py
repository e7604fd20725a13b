"""companion.recommend: the split, the baseline, top-k, ranking metrics, negatives, the MF model."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from companion.recommend import (
    build_matrix_factorisation,
    interaction_matrix,
    ndcg_at_k,
    popularity_scores,
    recall_at_k,
    sample_negatives,
    split_last_per_user,
    top_k,
)


def test_split_last_per_user_takes_each_users_latest_rows():
    users = np.array([0, 0, 0, 1, 1, 1, 1, 2])
    times = np.array([5, 1, 3, 9, 7, 8, 6, 1])
    is_test = split_last_per_user(users, times, n_last=2)
    assert is_test.tolist() == [True, False, True, True, False, True, False, False]
    with pytest.raises(ValueError, match="n_last"):
        split_last_per_user(users, times, 0)
    with pytest.raises(ValueError, match="1-D of one length"):
        split_last_per_user(users, times[:3], 1)


def test_interaction_matrix_marks_pairs_and_checks_ids():
    matrix = interaction_matrix(np.array([0, 1, 1]), np.array([2, 0, 2]), 2, 3)
    assert matrix.tolist() == [[False, False, True], [True, False, True]]
    with pytest.raises(ValueError, match="ids must be"):
        interaction_matrix(np.array([2]), np.array([0]), 2, 3)


def test_popularity_and_top_k_skip_seen_items_and_break_ties_by_id():
    scores = popularity_scores(np.array([1, 1, 2, 2, 0]), num_users=2, num_items=4)
    assert scores[0].tolist() == [1, 2, 2, 0]
    seen = np.array([[False, True, False, False], [False, False, False, False]])
    assert top_k(scores, seen, 2).tolist() == [[2, 0], [1, 2]]
    with pytest.raises(ValueError, match="k must be"):
        top_k(scores, seen, 5)


def test_recall_and_ndcg_by_hand_and_against_scikit_learn():
    recommended = np.array([[3, 1, 0], [0, 2, 1]])
    relevant = np.array([[True, False, False, False], [False, True, True, False]])
    assert recall_at_k(recommended, relevant) == pytest.approx((1 / 1 + 2 / 2) / 2)
    assert recall_at_k(recommended, relevant, k=1) == pytest.approx(0.0)
    first = (1 / np.log2(4)) / 1.0
    second = (1 / np.log2(3) + 1 / np.log2(4)) / (1 + 1 / np.log2(3))
    assert ndcg_at_k(recommended, relevant) == pytest.approx((first + second) / 2)
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(20, 15))
    truth = rng.random((20, 15)) < 0.2
    truth[:, 0] = True  # every user has a relevant item
    ranked = top_k(scores, np.zeros_like(truth), 5)
    assert ndcg_at_k(ranked, truth) == pytest.approx(ndcg_score(truth.astype(float), scores, k=5))


def test_metrics_accept_lists_of_ids_and_skip_users_without_relevant_items():
    recommended = np.array([[1, 2], [3, 4]])
    assert recall_at_k(recommended, [[2], []]) == 1.0
    assert ndcg_at_k(recommended, [[2], []]) == pytest.approx(1 / np.log2(3))
    with pytest.raises(ValueError, match="users"):
        recall_at_k(recommended, [[1]])


def test_sample_negatives_never_returns_a_seen_item():
    rng = np.random.default_rng(1)
    seen = rng.random((5, 8)) < 0.6
    seen[:, 0] = False  # everyone has an unseen item
    users, items = sample_negatives(np.array([0, 1, 2, 3, 4, 4]), seen, ratio=3, rng=rng)
    assert users.tolist() == [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3 + [4] * 6
    assert not seen[users, items].any()
    seen[2] = True
    with pytest.raises(ValueError, match="seen every item"):
        sample_negatives(np.array([2]), seen, 1, rng)


def test_matrix_factorisation_scores_equal_dot_product_plus_bias():
    model = build_matrix_factorisation(4, 6, dim=3)
    users, items = np.array([0, 3, 2]), np.array([5, 0, 2])
    logits = np.asarray(model([users, items]))[:, 0]
    u = model.get_layer("users").get_weights()[0]
    v = model.get_layer("items").get_weights()[0]
    b = model.get_layer("item_bias").get_weights()[0][:, 0]
    assert np.allclose(logits, (u[users] * v[items]).sum(axis=1) + b[items], atol=1e-6)
    with pytest.raises(ValueError, match="dim"):
        build_matrix_factorisation(4, 6, dim=0)
