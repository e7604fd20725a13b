"""Seeds and device reporting."""

from __future__ import annotations

import numpy as np
import pytest

from companion import device


def test_set_seed_makes_numpy_and_keras_repeatable():
    import keras

    device.set_seed(3)
    first = (np.random.rand(3), keras.random.uniform((3,)).numpy())
    device.set_seed(3)
    second = (np.random.rand(3), keras.random.uniform((3,)).numpy())
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])


@pytest.mark.parametrize("bad", [-1, 1.5, "42", True])
def test_set_seed_rejects_bad_seed(bad):
    with pytest.raises(ValueError, match="non-negative int"):
        device.set_seed(bad)


def test_describe_reports_versions_and_cpu_precision():
    import keras
    import tensorflow as tf

    info = device.describe()
    assert info.tensorflow == tf.__version__ and info.keras == keras.__version__
    assert info.backend == "tensorflow"
    assert "TensorFlow" in str(info)


def test_mixed_precision_only_with_tensor_cores():
    import keras

    cpu = device.DeviceInfo("3.11", "2", "3", "tensorflow", "CPU", None, None, "float32")
    old_gpu = device.DeviceInfo("3.11", "2", "3", "tensorflow", "GPU", "K80", (3, 7), "float32")
    new_gpu = device.DeviceInfo("3.11", "2", "3", "tensorflow", "GPU", "H100", (9, 0), "float32")
    try:
        assert device.enable_mixed_precision_if_useful(cpu) == "float32"
        assert device.enable_mixed_precision_if_useful(old_gpu) == "float32"
        assert device.enable_mixed_precision_if_useful(new_gpu) == "mixed_float16"
    finally:
        keras.mixed_precision.set_global_policy("float32")
