"""Seeds, device reporting and the precision policy, on the active backend."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from companion import device


@pytest.fixture(autouse=True)
def _float32_afterwards():
    yield
    keras.mixed_precision.set_global_policy("float32")


def test_set_seed_makes_numpy_and_keras_repeatable():
    device.set_seed(3)
    first = (np.random.rand(3), keras.ops.convert_to_numpy(keras.random.uniform((3,))))
    device.set_seed(3)
    second = (np.random.rand(3), keras.ops.convert_to_numpy(keras.random.uniform((3,))))
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])


@pytest.mark.parametrize("bad", [-1, 1.5, "42", True])
def test_set_seed_rejects_bad_seed(bad):
    with pytest.raises(ValueError, match="non-negative int"):
        device.set_seed(bad)


def test_describe_reports_the_active_backend_and_its_version():
    info = device.describe()
    assert info.keras == keras.__version__
    assert info.backend == keras.backend.backend()
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[info.backend]
    assert info.backend_version == __import__(module).__version__
    assert info.backend_version in str(info) and info.precision_policy in str(info)


def test_setup_never_turns_mixed_precision_on_by_itself(monkeypatch):
    monkeypatch.delenv(device.MIXED_PRECISION_ENV, raising=False)
    assert device.setup(0).precision_policy == "float32"
    assert device.setup(0, mixed_precision=True).precision_policy == "mixed_float16"
    assert device.setup(0).precision_policy == "float32"  # not left on from the call before


def test_setup_reads_the_environment_when_not_told(monkeypatch):
    monkeypatch.setenv(device.MIXED_PRECISION_ENV, "1")
    assert device.setup(0).precision_policy == "mixed_float16"
    assert device.setup(0, mixed_precision=False).precision_policy == "float32"
    monkeypatch.setenv(device.MIXED_PRECISION_ENV, "yes")
    with pytest.raises(ValueError, match="'1'"):
        device.setup(0)
    monkeypatch.setenv(device.MIXED_PRECISION_ENV, "bfloat16")
    assert device.setup(0).precision_policy == "mixed_bfloat16"
    monkeypatch.setenv(device.MIXED_PRECISION_ENV, "0")
    assert device.setup(0).precision_policy == "float32"


def test_set_precision_refuses_a_format_it_does_not_know():
    with pytest.raises(ValueError, match="'bfloat16'"):
        device.set_precision("float8")
    assert device.set_precision("bfloat16") == "mixed_bfloat16"
    assert device.set_precision(False) == "float32"


def test_mixed_precision_is_useful_only_with_tensor_cores():
    def info(capability):
        return device.DeviceInfo("3.11", "3", "jax", "0.1", "GPU", "x", capability, "float32")

    assert not device.mixed_precision_is_useful(info(None))
    assert not device.mixed_precision_is_useful(info((6, 1)))
    assert device.mixed_precision_is_useful(info((9, 0)))
    assert keras.mixed_precision.global_policy().name == "float32"  # advice only
