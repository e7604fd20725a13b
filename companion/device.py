"""Where the code runs, and how to make runs repeatable.

Works on every Keras backend (TensorFlow, JAX, PyTorch): the accelerator is asked
of the backend that runs, and TensorFlow is imported only when it is that backend.
Defined in "Getting started"; every chapter's setup cell calls :func:`setup`.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from importlib import metadata

__all__ = [
    "MIXED_PRECISION_ENV",
    "DeviceInfo",
    "describe",
    "mixed_precision_is_useful",
    "set_precision",
    "set_seed",
    "setup",
]

# Tensor cores that speed up float16 arrived with compute capability 7.0 (Volta).
MIN_MIXED_PRECISION_CAPABILITY = (7, 0)
# setup() reads this when not told: "1" turns mixed precision on (the GPU run sets it).
MIXED_PRECISION_ENV = "COMPANION_MIXED_PRECISION"
_BACKEND_NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


@dataclass(frozen=True)
class DeviceInfo:
    """Versions and the accelerator found; ``str()`` gives a one-line report."""

    python: str
    keras: str
    backend: str
    backend_version: str
    device: str
    gpu_name: str | None
    gpu_capability: tuple[int, int] | None
    precision_policy: str
    tensorflow: str | None = None  # installed TensorFlow version, whichever backend runs

    @property
    def backend_name(self) -> str:
        """The backend as its authors write it: ``TensorFlow``, ``JAX`` or ``PyTorch``."""
        return _BACKEND_NAMES.get(self.backend, self.backend)

    def __str__(self) -> str:
        return (
            f"Python {self.python} | Keras {self.keras} | backend: {self.backend_name} {self.backend_version} "
            f"| device: {self.device} | precision: {self.precision_policy}"
        )


def _installed_version(*distributions: str) -> str | None:
    for name in distributions:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def _capability(value: object) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, str):  # JAX reports "9.0"
        major, _, minor = value.partition(".")
        return int(major), int(minor or 0)
    major, minor = tuple(value)[:2]  # type: ignore[arg-type]
    return int(major), int(minor)


def _accelerator(backend: str) -> tuple[str, str | None, tuple[int, int] | None]:
    """(backend version, GPU name or None, compute capability or None) from the backend."""
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if not gpus:
            return tf.__version__, None, None
        details = tf.config.experimental.get_device_details(gpus[0])
        return (
            tf.__version__,
            details.get("device_name", gpus[0].name),
            _capability(details.get("compute_capability")),
        )
    if backend == "jax":
        import jax

        first = jax.devices()[0]
        if first.platform != "gpu":
            return jax.__version__, None, None
        return (
            jax.__version__,
            first.device_kind,
            _capability(getattr(first, "compute_capability", None)),
        )
    if backend == "torch":
        import torch

        if not torch.cuda.is_available():
            return torch.__version__, None, None
        return (
            torch.__version__,
            torch.cuda.get_device_name(0),
            _capability(torch.cuda.get_device_capability(0)),
        )
    return _installed_version(backend) or "?", None, None


def describe() -> DeviceInfo:
    """Report Python, Keras, the backend and its version, the device and the precision policy.

    Used in: Getting started (through :func:`setup`).
    """
    import keras

    backend = keras.backend.backend()
    version, gpu_name, capability = _accelerator(backend)
    device = (
        f"GPU ({gpu_name})"
        if gpu_name
        else f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"
    )
    return DeviceInfo(
        python=platform.python_version(),
        keras=keras.__version__,
        backend=backend,
        backend_version=version,
        device=device,
        gpu_name=gpu_name,
        gpu_capability=capability,
        precision_policy=keras.mixed_precision.global_policy().name,
        tensorflow=_installed_version("tensorflow", "tensorflow-cpu", "tensorflow-macos"),
    )


def set_seed(seed: int = 42, *, deterministic: bool = True) -> None:
    """Seed Python, NumPy and the backend; optionally ask the backend for deterministic ops.

    With the same seed, the same notebook on the same CPU gives the same metrics.
    Used in: every chapter's setup cell.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}.")
    import keras

    os.environ["PYTHONHASHSEED"] = str(seed)
    keras.utils.set_random_seed(seed)  # Python, NumPy and the backend in one call
    if not deterministic:
        return
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    elif backend == "torch":
        import torch

        # cuDNN picks its fastest (not always deterministic) kernels unless told otherwise.
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    # JAX is deterministic on CPU; on a GPU XLA reads XLA_FLAGS before it starts.


def mixed_precision_is_useful(info: DeviceInfo | None = None) -> bool:
    """True on a GPU with tensor cores (compute capability 7.0+), where float16 pays off.

    Advice only: nothing changes. On a CPU mixed precision makes training slower.
    For readers deciding whether to pass ``setup(mixed_precision=True)`` (no chapter calls it).
    """
    info = info or describe()
    return info.gpu_capability is not None and info.gpu_capability >= MIN_MIXED_PRECISION_CAPABILITY


def set_precision(mixed: bool | str) -> str:
    """Set the Keras policy to ``mixed_float16`` (``mixed=True``) or ``float32``; return it.

    ``mixed="bfloat16"`` sets ``mixed_bfloat16`` instead: the half format CPUs compute
    fast (PyTorch's float16 convolutions on a CPU are about 40 times slower than its
    float32 ones, bfloat16's are not), used by the GPU run's rehearsal on a CPU.
    Models from :mod:`companion.models` keep their output layers in float32 either way.
    Used in: :func:`setup`.
    """
    import keras

    half = {True: "float16", False: None, "float16": "float16", "bfloat16": "bfloat16"}
    if mixed not in half:
        raise ValueError(
            f"mixed precision must be True, False, 'float16' or 'bfloat16', got {mixed!r}."
        )
    policy = f"mixed_{half[mixed]}" if half[mixed] else "float32"
    keras.mixed_precision.set_global_policy(policy)
    return keras.mixed_precision.global_policy().name


# What COMPANION_MIXED_PRECISION may say, and the precision each value means.
MIXED_PRECISION_VALUES = {"0": False, "": False, "1": "float16", "bfloat16": "bfloat16"}


def _mixed_from_environment() -> bool | str:
    value = os.environ.get(MIXED_PRECISION_ENV, "0").strip()
    if value not in MIXED_PRECISION_VALUES:
        raise ValueError(
            f"{MIXED_PRECISION_ENV} must be '1' (mixed precision on, float16), 'bfloat16' "
            f"(mixed precision in bfloat16) or '0' (off), got {value!r}. Set it before "
            "starting Python, e.g. `%env COMPANION_MIXED_PRECISION=0` in a notebook's first cell."
        )
    return MIXED_PRECISION_VALUES[value]


def setup(seed: int = 42, *, mixed_precision: bool | str | None = None) -> DeviceInfo:
    """Seed everything, set the precision policy, and return what was found.

    Mixed precision is never switched on by itself: ``mixed_precision=True`` turns it
    on, ``False`` keeps float32, and ``None`` (the default) reads the environment
    variable ``COMPANION_MIXED_PRECISION`` ("1" = on in float16, "bfloat16" = on in
    bfloat16, "0" or unset = off).
    Used in: the setup cell of every notebook.
    """
    if mixed_precision is None:
        mixed_precision = _mixed_from_environment()
    set_seed(seed)
    set_precision(mixed_precision)
    return describe()
