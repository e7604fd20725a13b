"""companion.forecasting: windows, the seasonal-naive baseline and interval coverage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from companion.forecasting import (
    interval_coverage,
    interval_halfwidth,
    make_windows,
    seasonal_naive,
    valid_origins,
)


def test_make_windows_pairs_inputs_up_to_origin_with_following_targets():
    values = np.arange(10.0)
    x, y = make_windows(values, input_len=3, horizon=2)
    assert valid_origins(10, 3, 2).tolist() == list(range(2, 8))
    assert x[0].tolist() == [0, 1, 2] and y[0].tolist() == [3, 4]
    assert x[-1].tolist() == [5, 6, 7] and y[-1].tolist() == [8, 9]
    x, y = make_windows(values, 3, 2, origins=[4])
    assert x.tolist() == [[2, 3, 4]] and y.tolist() == [[5, 6]]


@given(length=st.integers(5, 40), input_len=st.integers(1, 6), horizon=st.integers(1, 6))
def test_windows_never_mix_inputs_and_targets(length, input_len, horizon):
    values = np.arange(float(length))
    origins = valid_origins(length, input_len, horizon)
    x, y = make_windows(values, input_len, horizon)
    assert x.shape == (origins.size, input_len) and y.shape == (origins.size, horizon)
    if origins.size:
        assert (x.max(axis=1) == origins).all() and (y.min(axis=1) == origins + 1).all()


def test_make_windows_rejects_bad_origins_and_missing_values():
    with pytest.raises(ValueError, match="fewer than 3 values up to it"):
        make_windows(np.arange(10.0), 3, 2, origins=[1])
    with pytest.raises(ValueError, match="fewer than 2 values after it"):
        make_windows(np.arange(10.0), 3, 2, origins=[8])
    with pytest.raises(ValueError, match="NaN"):
        make_windows(np.array([1.0, np.nan, 3.0]), 1, 1)
    with pytest.raises(ValueError, match="1-D"):
        make_windows(np.zeros((3, 2)), 1, 1)


def test_seasonal_naive_repeats_the_last_season_for_any_horizon():
    values = np.array([10.0, 20.0, 30.0, 11.0, 21.0, 31.0])  # season 3
    forecast = seasonal_naive(values, origins=[5], horizon=7, season=3)
    assert forecast.tolist() == [[11, 21, 31, 11, 21, 31, 11]]
    assert seasonal_naive(values, [2, 3], horizon=1, season=1).tolist() == [[30], [11]]
    with pytest.raises(ValueError, match="less than one season"):
        seasonal_naive(values, [1], horizon=1, season=3)


def test_seasonal_naive_is_exact_on_a_purely_seasonal_series():
    values = np.tile([1.0, 5.0, 2.0, 7.0], 6)
    origins = valid_origins(len(values), 4, 4)
    _, targets = make_windows(values, 4, 4, origins)
    assert np.array_equal(seasonal_naive(values, origins, 4, season=4), targets)


def test_interval_halfwidth_covers_the_requested_share_of_past_errors():
    errors = np.arange(1.0, 11.0)[:, None] * np.array([[1.0, -2.0]])
    width = interval_halfwidth(errors, 0.9)
    assert width.tolist() == [10.0, 20.0]  # "higher": never below the requested share
    assert interval_coverage(np.abs(errors), -width, width) >= 0.9
    with pytest.raises(ValueError, match="coverage"):
        interval_halfwidth(errors, 1.5)


def test_interval_coverage_counts_values_inside_bounds():
    assert interval_coverage([1, 2, 3, 4], [0, 2.5, 3, 0], [2, 3, 3, 3]) == 0.5
    with pytest.raises(ValueError, match="one shape"):
        interval_coverage([1, 2], [0, 1, 2], [3])
