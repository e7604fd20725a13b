"""Compare two models or two runs with their noise: the gap, an interval and a verdict.

One rule for every comparing sentence of the book. :func:`compare` takes what a page has:

- **per-example scores on the same examples** (``(n,)`` arrays, or ``(seeds, n)`` for
  repeated runs): a *paired* comparison. 0/1 scores (right or wrong) get McNemar's exact
  test; any score gets a paired bootstrap interval, resampling examples (and seeds).
- **one summary score per seed** (``over="seeds"``): Welch's t interval over the seeds.
- **two accuracies and the test-set size** (``n=``): the unpaired binomial rule the book
  used before (the gap must exceed about 2√2 standard errors), for results that kept no
  per-example predictions.

The verdict reads "a beats b", "a trails b" or "a is within noise of b".

Defined in Part 3, "Making it better"; every page that compares uses it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = ["Comparison", "compare"]

Verdict = Literal["beats", "trails", "within noise"]


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare`: gap = score of a − score of b, in the scores' unit."""

    gap: float
    low: float
    high: float
    p_value: float | None
    verdict: Verdict
    method: str
    level: float
    n_examples: int | None
    n_seeds: int
    seed_spread: float | None

    def sentence(self, a: str, b: str, *, scale: float = 100.0, unit: str = "points") -> str:
        """One plain sentence, e.g. "A beats B by 1.2 points (95% interval 0.4 to 2.0 points)".

        Used in: Part 1, Pretraining and fine-tuning; Part 2, Residual connections and layer
        normalisation; Part 3, Making it better; Part 4, A tiny GPT; Recommendation; Vision in
        a product; Retrieval-augmented generation.
        """
        interval = (
            f"{self.level:.0%} interval {scale * self.low:.2f} to {scale * self.high:.2f} {unit}"
        )
        p_text = "" if self.p_value is None else f", p = {self.p_value:.3g}"
        details = f"({interval}{p_text}; {self.method})"
        if self.verdict == "within noise":
            return f"{a} is within noise of {b}: a gap of {scale * self.gap:.2f} {unit} {details}"
        return f"{a} {self.verdict} {b} by {abs(scale * self.gap):.2f} {unit} {details}"


def compare(
    a: object,
    b: object,
    *,
    n: int | None = None,
    over: Literal["examples", "seeds"] = "examples",
    level: float = 0.95,
    resamples: int = 4000,
    seed: int = 0,
) -> Comparison:
    """Compare ``a`` with ``b`` and say whether the gap stands clear of the noise.

    ``a``, ``b``: per-example scores of the same examples, ``(n,)`` or ``(seeds, n)``
    (the default); per-seed summary scores with ``over="seeds"``; or two accuracies in
    [0, 1] with ``n``, the number of test examples each was measured on.
    ``level`` is the interval's coverage (also 1 − the test's significance level).
    Raises ``ValueError`` for shapes or values that cannot be compared.
    Used in: Part 1, Pretraining and fine-tuning; Tokens; Part 2, Likelihood: from losses to
    perplexity; Residual connections and layer normalisation; Part 3, A baseline CNN; Making it
    better; Looking inside; From model to product; Part 4, A tiny GPT; Language: classifying
    messages; Recommendation; Vision in a product; Fine-tuning with low-rank adapters;
    Retrieval-augmented generation.
    """
    if not 0.5 <= level < 1:
        raise ValueError(f"level must be in [0.5, 1), e.g. 0.95; got {level!r}.")
    if n is not None:
        return _compare_accuracies(float(a), float(b), n, level)  # type: ignore[arg-type]
    a_arr, b_arr = _as_scores(a, "a"), _as_scores(b, "b")
    if over == "seeds":
        return _compare_seeds(a_arr, b_arr, level)
    if over != "examples":
        raise ValueError(f'over must be "examples" or "seeds", got {over!r}.')
    if a_arr.shape != b_arr.shape or a_arr.ndim not in (1, 2):
        raise ValueError(
            "a and b must be per-example scores of the same examples, shaped (n,) or "
            f"(seeds, n), and alike; got {a_arr.shape} and {b_arr.shape}. For one score per "
            'seed, pass over="seeds"; for two accuracies, pass n=<test-set size>.'
        )
    return _compare_paired(a_arr, b_arr, level, resamples, seed)


def _as_scores(values: object, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        raise ValueError(f"{name} is empty: there is nothing to compare.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite scores; compare finite scores only.")
    return array


def _verdict(low: float, high: float) -> Verdict:
    if low > 0:
        return "beats"
    if high < 0:
        return "trails"
    return "within noise"


def _z(level: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + level / 2)


def _compare_accuracies(acc_a: float, acc_b: float, n: int, level: float) -> Comparison:
    if not (0 <= acc_a <= 1 and 0 <= acc_b <= 1) or int(n) != n or n < 1:
        raise ValueError(
            f"With n, a and b are accuracies in [0, 1] on n >= 1 examples; got a={acc_a}, "
            f"b={acc_b}, n={n}."
        )
    error = math.sqrt(acc_a * (1 - acc_a) / n + acc_b * (1 - acc_b) / n)
    gap = acc_a - acc_b
    half = _z(level) * error
    return Comparison(gap, gap - half, gap + half, None, _verdict(gap - half, gap + half),
                      "unpaired binomial rule", level, int(n), 1, None)  # fmt: skip


def _compare_seeds(a: np.ndarray, b: np.ndarray, level: float) -> Comparison:
    from scipy import stats

    if a.ndim != 1 or b.ndim != 1 or len(a) < 2 or len(b) < 2:
        raise ValueError(
            'over="seeds" needs one score per seed, at least two seeds per arm; '
            f"got shapes {a.shape} and {b.shape}."
        )
    gap = float(a.mean() - b.mean())
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    error = math.sqrt(va + vb)
    if error == 0:
        low = high = gap
        p_value = 1.0 if gap == 0 else 0.0
    else:
        dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
        half = float(stats.t.ppf(0.5 + level / 2, dof)) * error
        low, high = gap - half, gap + half
        p_value = float(2 * stats.t.sf(abs(gap) / error, dof))
    spread = float(np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2))
    return Comparison(gap, low, high, p_value, _verdict(low, high), "Welch t over seeds",
                      level, None, min(len(a), len(b)), spread)  # fmt: skip


def _mcnemar_p(a: np.ndarray, b: np.ndarray) -> float:
    """McNemar's exact test: two-sided binomial test on the discordant examples."""
    from scipy import stats

    only_a = int(np.sum((a == 1) & (b == 0)))
    only_b = int(np.sum((a == 0) & (b == 1)))
    if only_a + only_b == 0:
        return 1.0
    return float(stats.binomtest(only_a, only_a + only_b, 0.5).pvalue)


def _compare_paired(
    a: np.ndarray, b: np.ndarray, level: float, resamples: int, seed: int
) -> Comparison:
    differences = a - b if a.ndim == 2 else (a - b)[None, :]
    seeds, n = differences.shape
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for i in range(resamples):
        rows = rng.integers(0, seeds, seeds) if seeds > 1 else np.zeros(1, dtype=int)
        columns = rng.integers(0, n, n)
        means[i] = differences[np.ix_(rows, columns)].mean()
    tail = (1 - level) / 2
    low, high = (float(q) for q in np.quantile(means, [tail, 1 - tail]))
    binary = np.isin(a, (0, 1)).all() and np.isin(b, (0, 1)).all()
    if binary and seeds == 1:
        p_value, method = _mcnemar_p(a.ravel(), b.ravel()), "McNemar exact test, paired bootstrap"
        verdict = _verdict(low, high) if p_value < 1 - level else "within noise"
    else:
        p_value = float(min(1.0, 2 * min(np.mean(means <= 0), np.mean(means >= 0))))
        method = "paired bootstrap" + (f" over examples and {seeds} seeds" if seeds > 1 else "")
        verdict = _verdict(low, high)
    spread = float(differences.mean(axis=1).std(ddof=1)) if seeds > 1 else None
    return Comparison(float(differences.mean()), low, high, p_value, verdict, method, level,
                      n, seeds, spread)  # fmt: skip
