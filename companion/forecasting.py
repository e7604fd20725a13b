"""Forecasting helpers: windows of a series, the seasonal-naive baseline, interval coverage.

Conventions: a series is a 1-D array ``values``; a forecast is made at an *origin*
``t`` (the index of the last observed value) for the next ``horizon`` steps,
``values[t + 1 : t + 1 + horizon]``. Defined in Part 4, "Forecasting".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "interval_coverage",
    "interval_halfwidth",
    "make_windows",
    "seasonal_naive",
    "valid_origins",
]


def _as_series(values: Sequence[float] | np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"values must be a 1-D series, got shape {array.shape}.")
    if np.isnan(array).any():
        raise ValueError("values contain NaN; fill or interpolate missing steps first.")
    return array


def valid_origins(length: int, input_len: int, horizon: int) -> np.ndarray:
    """Every origin with ``input_len`` values up to it and ``horizon`` values after it.

    Used in: Part 4, Forecasting.
    """
    if input_len < 1 or horizon < 1:
        raise ValueError(f"input_len and horizon must be >= 1, got {input_len} and {horizon}.")
    return np.arange(input_len - 1, length - horizon)


def make_windows(
    values: Sequence[float] | np.ndarray,
    input_len: int,
    horizon: int,
    origins: Sequence[int] | np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(n, input_len)`` and targets ``(n, horizon)``, one row per origin.

    Row ``i`` holds ``values[t - input_len + 1 : t + 1]`` and ``values[t + 1 : t + 1 + horizon]``
    for ``t = origins[i]``; by default every valid origin. Choosing the origins is how a
    split by time is made: targets of training origins must end before the test period.
    Used in: Part 4, Forecasting.
    """
    series = _as_series(values)
    allowed = valid_origins(len(series), input_len, horizon)
    chosen = allowed if origins is None else np.asarray(origins, dtype=int)
    if chosen.size and (chosen.min() < allowed[0] if allowed.size else True):
        raise ValueError(f"origin {chosen.min()} has fewer than {input_len} values up to it.")
    if chosen.size and chosen.max() > len(series) - horizon - 1:
        raise ValueError(
            f"origin {chosen.max()} leaves fewer than {horizon} values after it "
            f"(series of length {len(series)})."
        )
    inputs = (
        np.stack([series[t - input_len + 1 : t + 1] for t in chosen])
        if chosen.size
        else np.empty((0, input_len))
    )
    targets = (
        np.stack([series[t + 1 : t + 1 + horizon] for t in chosen])
        if chosen.size
        else np.empty((0, horizon))
    )
    return inputs, targets


def seasonal_naive(
    values: Sequence[float] | np.ndarray,
    origins: Sequence[int] | np.ndarray,
    horizon: int,
    season: int = 12,
) -> np.ndarray:
    """The seasonal-naive forecast ``(n, horizon)``: each step repeats the value one season earlier.

    For step ``h`` (1-based) from origin ``t`` it is ``values[t + h - k * season]`` with
    ``k = ceil(h / season)``, the latest observed value of the same season.
    Used in: Part 4, Forecasting (the baseline).
    """
    series = _as_series(values)
    chosen = np.asarray(origins, dtype=int)
    if season < 1:
        raise ValueError(f"season must be >= 1, got {season}.")
    if chosen.size and chosen.min() < season - 1:
        raise ValueError(f"origin {chosen.min()} has less than one season ({season}) of history.")
    steps = np.arange(1, horizon + 1)
    lags = steps - np.ceil(steps / season).astype(int) * season
    return series[chosen[:, None] + lags[None, :]]


def interval_halfwidth(errors: np.ndarray, coverage: float) -> np.ndarray:
    """Half-width per step so that ``coverage`` of the past absolute errors fall inside.

    ``errors`` is ``(n, horizon)`` of actual minus forecast on held-out (validation)
    origins; the result is the ``coverage`` quantile of their absolute values per step.
    Used in: Part 4, Forecasting (the uncertainty band).
    """
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be between 0 and 1, got {coverage}.")
    errors = np.asarray(errors, dtype=float)
    if errors.ndim != 2 or errors.shape[0] == 0:
        raise ValueError(f"errors must be (n, horizon) with n >= 1, got shape {errors.shape}.")
    return np.quantile(np.abs(errors), coverage, axis=0, method="higher")


def interval_coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """The share of actual values inside ``[lower, upper]`` (bounds broadcast against ``actual``).

    Used in: Part 4, Forecasting.
    """
    actual, lower, upper = (np.asarray(a, dtype=float) for a in (actual, lower, upper))
    try:
        actual, lower, upper = np.broadcast_arrays(actual, lower, upper)
    except ValueError as error:
        raise ValueError(
            f"actual, lower and upper must have one shape (or broadcast to it), got "
            f"{actual.shape}, {lower.shape}, {upper.shape}."
        ) from error
    return float(np.mean((actual >= lower) & (actual <= upper)))
