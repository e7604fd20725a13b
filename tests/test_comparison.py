"""companion.comparison.compare: the book's one rule for reading a gap with its noise."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from companion.comparison import compare


def _correct(n: int, accuracy: float, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).random(n) < accuracy).astype(int)


def test_clear_paired_gap_is_called_beats_and_trails_the_other_way():
    base = _correct(2000, 0.80, 0)
    better = base.copy()
    better[np.flatnonzero(base == 0)[:150]] = 1  # fixes 150 mistakes, breaks none
    result = compare(better, base)
    assert result.verdict == "beats"
    assert result.gap == pytest.approx(150 / 2000)
    assert result.low > 0 and result.p_value < 1e-6
    assert compare(base, better).verdict == "trails"


def test_one_seed_gap_that_looks_large_is_within_noise():
    # Two models that are equally good (same true accuracy, 76%), each evaluated once on 300
    # examples: one seed's draw shows a gap of several points that the test calls noise.
    a, b = _correct(300, 0.76, 1), _correct(300, 0.76, 2)
    result = compare(a, b)
    assert abs(result.gap) >= 0.02, "the fixture should show a gap that looks meaningful"
    assert result.verdict == "within noise"
    assert result.low < 0 < result.high


def test_mcnemar_p_value_matches_the_exact_binomial_test_on_discordant_pairs():
    a, b = _correct(500, 0.7, 3), _correct(500, 0.72, 4)
    only_a, only_b = int(np.sum((a == 1) & (b == 0))), int(np.sum((a == 0) & (b == 1)))
    expected = stats.binomtest(only_a, only_a + only_b, 0.5).pvalue
    assert compare(a, b).p_value == pytest.approx(expected)
    assert "McNemar" in compare(a, b).method


def test_identical_predictions_have_zero_gap_and_no_verdict():
    a = _correct(100, 0.9, 5)
    result = compare(a, a)
    assert (result.gap, result.low, result.high, result.p_value) == (0, 0, 0, 1.0)
    assert result.verdict == "within noise"


def test_continuous_scores_use_the_paired_bootstrap():
    rng = np.random.default_rng(6)
    b = rng.random(400)
    a = b + 0.05 + 0.01 * rng.standard_normal(400)
    result = compare(a, b)
    assert result.method == "paired bootstrap" and result.verdict == "beats"
    assert result.low < 0.05 < result.high


def test_repeated_runs_resample_seeds_and_report_their_spread():
    seeds = np.stack([_correct(1000, 0.8 + 0.01 * s, s) for s in range(3)])
    result = compare(seeds, seeds[::-1])
    assert result.n_seeds == 3 and result.n_examples == 1000
    assert result.seed_spread is not None and result.seed_spread > 0
    assert "3 seeds" in result.method


def test_per_seed_summaries_use_welch_t():
    result = compare([0.91, 0.92, 0.93], [0.80, 0.81, 0.79], over="seeds")
    assert result.verdict == "beats" and result.method == "Welch t over seeds"
    expected = stats.ttest_ind([0.91, 0.92, 0.93], [0.80, 0.81, 0.79], equal_var=False).pvalue
    assert result.p_value == pytest.approx(expected)
    assert compare([0.90, 0.93, 0.91], [0.92, 0.90, 0.91], over="seeds").verdict == "within noise"


def test_accuracies_with_n_reproduce_the_two_root_two_standard_error_rule():
    # At 99% on 10,000 images, 2*sqrt(2)*SE is 0.28 points: 0.3 points is a gap, 0.2 is not.
    assert compare(0.993, 0.990, n=10_000).verdict == "beats"
    assert compare(0.990, 0.992, n=10_000).verdict == "within noise"
    assert compare(0.987, 0.990, n=10_000).verdict == "trails"


def test_sentence_words_the_verdict_and_interval():
    text = compare(0.993, 0.990, n=10_000).sentence("The new recipe", "the baseline")
    assert text.startswith("The new recipe beats the baseline by 0.30 points (95% interval")
    tie = compare(0.990, 0.991, n=10_000).sentence("A", "B")
    assert tie.startswith("A is within noise of B")


@pytest.mark.parametrize(
    ("a", "b", "kwargs", "message"),
    [
        (np.ones(5), np.ones(4), {}, "same examples"),
        ([], [], {}, "empty"),
        ([1.0, np.nan], [1.0, 1.0], {}, "NaN"),
        ([0.9], [0.8], {"over": "seeds"}, "at least two seeds"),
        (1.2, 0.9, {"n": 100}, "accuracies in [0, 1]"),
        (np.ones(3), np.ones(3), {"level": 2}, "level must be"),
        (np.ones(3), np.ones(3), {"over": "runs"}, "over must be"),
    ],
)
def test_bad_input_gets_a_message_that_says_what_to_pass(a, b, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        compare(a, b, **kwargs)
