"""The cost calculator, pinned on worked cases computed by hand (see each comment)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from companion import compute

GB = 1e9


def test_training_flops_of_gpt3_is_six_n_d():
    # 6 × 175e9 × 300e9 = 6 × 5.25e22 = 3.15e23
    assert compute.training_flops(175e9, 300e9) == pytest.approx(3.15e23)


def test_inference_flops_are_two_n_per_token():
    # 2 × 7e9 = 1.4e10 per token; 1,000 tokens: 1.4e13
    assert compute.inference_flops(7e9) == pytest.approx(1.4e10)
    assert compute.inference_flops(7e9, 1000) == pytest.approx(1.4e13)


@pytest.mark.parametrize(
    ("precision", "expected_gb"),
    [("float32", 28.0), ("bfloat16", 14.0), ("float16", 14.0), ("int8", 7.0), ("int4", 3.5)],
)
def test_inference_memory_of_a_7b_model(precision, expected_gb):
    # 7e9 parameters × (4, 2, 2, 1, 0.5) bytes
    assert compute.inference_memory_bytes(7e9, precision) == pytest.approx(expected_gb * GB)


@pytest.mark.parametrize(
    ("precision", "optimizer", "expected_gb"),
    [
        ("float32", "adam", 1120.0),  # 70e9 × (1 + 1 + 2) × 4
        ("bfloat16", "adam", 560.0),  # 70e9 × 4 × 2
        ("float32", "sgd", 560.0),  # 70e9 × 2 × 4
        ("float32", "momentum", 840.0),  # 70e9 × 3 × 4
    ],
)
def test_training_memory_of_a_70b_model(precision, optimizer, expected_gb):
    assert compute.training_memory_bytes(70e9, precision, optimizer) == pytest.approx(
        expected_gb * GB
    )


def test_mixed_precision_adam_takes_sixteen_bytes_per_parameter():
    # ZeRO's count: 2 + 2 + 12 bytes; 7e9 × 16 = 112 GB
    assert compute.mixed_precision_training_bytes(7e9) == pytest.approx(112 * GB)


def test_gpu_hours_for_llama2_70b_at_40_percent_of_an_a100():
    # 8.4e23 FLOPs / (312e12 × 0.4 FLOP/s) = 6.7307692e9 s = 1,869,658.1 h
    hours = compute.gpu_hours(8.4e23, 312e12, 0.4)
    assert hours == pytest.approx(1_869_658.1, rel=1e-7)


def test_implied_mfu_inverts_gpu_hours():
    # 8.4e23 / (312e12 × 1,720,320 h × 3600 s/h) = 0.434723...
    assert compute.implied_mfu(8.4e23, 312e12, 1_720_320) == pytest.approx(0.434723, rel=1e-5)


@given(
    flops=st.floats(1e15, 1e27),
    peak=st.floats(1e12, 1e16),
    mfu=st.floats(0.01, 1.0),
)
def test_implied_mfu_recovers_the_mfu_used(flops, peak, mfu):
    hours = compute.gpu_hours(flops, peak, mfu)
    assert compute.implied_mfu(flops, peak, hours) == pytest.approx(mfu, rel=1e-9)


def test_training_budget_adds_days_and_cost():
    # 6 × 1e9 × 20e9 = 1.2e20 FLOPs; / (1e14 × 0.5) = 2.4e6 s = 666.67 h;
    # on 10 GPUs: 66.667 h = 2.7778 days; at $3 per GPU-hour: $2,000
    budget = compute.training_budget(
        1e9, 20e9, peak_flops_per_s=1e14, mfu=0.5, price_per_gpu_hour=3.0, num_gpus=10
    )
    assert budget.flops == pytest.approx(1.2e20)
    assert budget.gpu_hours == pytest.approx(2000 / 3)
    assert budget.days == pytest.approx(2000 / 3 / 10 / 24)
    assert budget.cost == pytest.approx(2000.0)


def test_serving_cost_per_million_tokens():
    # 2 × 7e9 × 1e6 = 1.4e16 FLOPs; / (1e14 × 0.5) = 280 s = 0.077778 h; × $3.6 = $0.28
    cost = compute.serving_cost_per_million_tokens(
        7e9, peak_flops_per_s=1e14, utilisation=0.5, price_per_gpu_hour=3.6
    )
    assert cost == pytest.approx(0.28)


def test_compute_optimal_tokens_is_twenty_per_parameter():
    assert compute.compute_optimal_tokens(70e9) == pytest.approx(1.4e12)
    assert compute.compute_optimal_tokens(1e9, tokens_per_parameter=100) == pytest.approx(1e11)


def test_compute_optimal_split_recovers_chinchilla():
    # C = 6 × 70e9 × 1.4e12 = 5.88e23; N = sqrt(5.88e23 / 120) = sqrt(4.9e21) = 7e10
    num_params, num_tokens = compute.compute_optimal_split(5.88e23)
    assert num_params == pytest.approx(70e9)
    assert num_tokens == pytest.approx(1.4e12)


@given(flops=st.floats(1e18, 1e27), ratio=st.floats(1.0, 1000.0))
def test_compute_optimal_split_spends_the_budget_at_the_ratio(flops, ratio):
    num_params, num_tokens = compute.compute_optimal_split(flops, ratio)
    assert compute.training_flops(num_params, num_tokens) == pytest.approx(flops, rel=1e-9)
    assert num_tokens / num_params == pytest.approx(ratio, rel=1e-9)


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: compute.bytes_per_parameter("fp8"), ValueError, "precision"),
        (lambda: compute.training_memory_bytes(1e9, optimizer="adamw"), ValueError, "optimizer"),
        (lambda: compute.training_flops(-1, 10), ValueError, "num_params"),
        (lambda: compute.training_flops("7B", 10), TypeError, "num_params"),
        (lambda: compute.training_flops(7e9, math.nan), ValueError, "num_tokens"),
        (lambda: compute.gpu_hours(1e20, 1e14, 1.5), ValueError, "mfu"),
        (lambda: compute.gpu_hours(1e20, 1e14, 0), ValueError, "mfu"),
        (lambda: compute.gpu_hours(1e20, True, 0.5), TypeError, "peak_flops_per_s"),
        (
            lambda: compute.training_budget(
                1e9, 1e10, peak_flops_per_s=1e14, mfu=0.5, price_per_gpu_hour=1, num_gpus=0
            ),
            ValueError,
            "num_gpus",
        ),
        (
            lambda: compute.training_budget(
                1e9, 1e10, peak_flops_per_s=1e14, mfu=0.5, price_per_gpu_hour=-1
            ),
            ValueError,
            "price_per_gpu_hour",
        ),
    ],
)
def test_bad_arguments_raise_errors_that_name_them(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_decode_speed_is_bandwidth_bound_at_batch_one():
    # 7e9 × 2 bytes = 14e9 bytes per step; 1.4e12 B/s / 14e9 B = 100 tokens/s;
    # arithmetic bound: 1e14 / (2 × 7e9) = 7,142.9 tokens/s
    kwargs = dict(peak_flops_per_s=1e14, bandwidth_bytes_per_s=1.4e12)
    assert compute.decode_tokens_per_s(7e9, **kwargs) == pytest.approx(100.0)
    assert compute.decode_tokens_per_s(7e9, batch_size=8, **kwargs) == pytest.approx(800.0)
    # batch 1000 would allow 100,000 by bandwidth; arithmetic caps it at 1e14 / 1.4e10
    assert compute.decode_tokens_per_s(7e9, batch_size=1000, **kwargs) == pytest.approx(
        1e14 / 1.4e10
    )
    # int8 halves the bytes read per step, doubling the bandwidth bound
    assert compute.decode_tokens_per_s(7e9, precision="int8", **kwargs) == pytest.approx(200.0)


def test_decode_speed_rejects_a_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        compute.decode_tokens_per_s(7e9, peak_flops_per_s=1, bandwidth_bytes_per_s=1, batch_size=0)


def test_published_accelerators_and_price_are_those_cited():
    # NVIDIA datasheets (dense 16-bit tensor-core peak); AWS p4d.24xlarge $32.77 for 8 GPUs
    assert compute.A100_40GB.peak_flops_per_s == 312e12
    assert compute.H100_SXM.peak_flops_per_s == 989e12
    assert compute.V100_SXM2.peak_flops_per_s == 125e12
    assert pytest.approx(4.09625) == compute.A100_ON_DEMAND_PRICE_PER_GPU_HOUR
