"""Where the code runs, and how to make runs repeatable.

Defined in "Getting started"; every chapter's setup cell calls :func:`setup`.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, replace

__all__ = ["DeviceInfo", "describe", "enable_mixed_precision_if_useful", "set_seed", "setup"]

# Tensor cores that speed up float16 arrived with compute capability 7.0 (Volta).
MIN_MIXED_PRECISION_CAPABILITY = (7, 0)


@dataclass(frozen=True)
class DeviceInfo:
    """Versions and the accelerator found; ``str()`` gives a one-line report."""

    python: str
    tensorflow: str
    keras: str
    backend: str
    device: str
    gpu_name: str | None
    gpu_capability: tuple[int, int] | None
    precision_policy: str

    def __str__(self) -> str:
        return (
            f"Python {self.python} | TensorFlow {self.tensorflow} | Keras {self.keras} "
            f"({self.backend} backend) | device: {self.device} | precision: {self.precision_policy}"
        )


def describe() -> DeviceInfo:
    """Report Python, TensorFlow and Keras versions, the backend and the device.

    Used in: Getting started (through :func:`setup`).
    """
    import keras
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    gpu_name, capability = None, None
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        gpu_name = details.get("device_name", gpus[0].name)
        capability = details.get("compute_capability")
    device = (
        f"GPU ({gpu_name})"
        if gpus
        else f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"
    )
    return DeviceInfo(
        python=platform.python_version(),
        tensorflow=tf.__version__,
        keras=keras.__version__,
        backend=keras.backend.backend(),
        device=device,
        gpu_name=gpu_name,
        gpu_capability=tuple(capability) if capability else None,
        precision_policy=keras.mixed_precision.global_policy().name,
    )


def set_seed(seed: int = 42, *, deterministic: bool = True) -> None:
    """Seed Python, NumPy, TensorFlow and Keras; optionally make TensorFlow ops deterministic.

    With the same seed, the same notebook on the same CPU gives the same metrics.
    Used in: every chapter's setup cell.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}.")
    import keras
    import tensorflow as tf

    os.environ["PYTHONHASHSEED"] = str(seed)
    keras.utils.set_random_seed(seed)  # Python, NumPy and the backend in one call
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def enable_mixed_precision_if_useful(info: DeviceInfo | None = None) -> str:
    """Turn on ``mixed_float16`` only on a GPU with tensor cores; return the policy in force.

    On a CPU mixed precision makes training slower, so the policy stays ``float32``.
    Used in: every chapter's setup cell, through :func:`setup`.
    """
    import keras

    info = info or describe()
    if info.gpu_capability is not None and info.gpu_capability >= MIN_MIXED_PRECISION_CAPABILITY:
        keras.mixed_precision.set_global_policy("mixed_float16")
    else:
        keras.mixed_precision.set_global_policy("float32")
    return keras.mixed_precision.global_policy().name


def setup(seed: int = 42, *, mixed_precision: bool = True) -> DeviceInfo:
    """Seed everything, pick the precision for this device, and return what was found.

    Used in: the setup cell of every notebook.
    """
    set_seed(seed)
    info = describe()
    policy = enable_mixed_precision_if_useful(info) if mixed_precision else info.precision_policy
    return replace(info, precision_policy=policy)
