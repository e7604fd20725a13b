"""From a trained model to something a product can call.

:func:`predict` checks its input before the model sees it (shape, dtype, value
range) and raises :class:`InputError` with a message that says what was given and
what was expected; :func:`save` and :func:`load` use the native ``.keras`` format;
:func:`export_for_server` writes the model in a format a server can load without
Keras or this package — a TensorFlow SavedModel (TensorFlow backend, or JAX with
TensorFlow installed), a PyTorch ExportedProgram (PyTorch backend) or a serialized
JAX/StableHLO function (JAX without TensorFlow) — and :func:`load_exported` loads any
of them back as an object with a ``serve(batch)`` method.

Defined in Part 3, "From model to product"; Part 4 reuses :func:`predict`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    import keras
    import tensorflow as tf
    from numpy.typing import ArrayLike

__all__ = [
    "ExportedModel",
    "InputError",
    "Prediction",
    "export_for_server",
    "export_format",
    "inference_function",
    "load",
    "load_exported",
    "predict",
    "save",
    "validate_images",
]


class ExportedModel(Protocol):
    """What :func:`load_exported` returns: a SavedModel with a ``serve`` endpoint."""

    def serve(self, batch: tf.Tensor | np.ndarray) -> tf.Tensor: ...


class InputError(ValueError):
    """The images given to :func:`predict` are not what the model expects.

    A ``ValueError``, so code that already catches bad values keeps working.
    """


@dataclass(frozen=True)
class Prediction:
    """What :func:`predict` returns: one entry per image."""

    labels: np.ndarray
    names: list[str]
    confidence: np.ndarray
    probabilities: np.ndarray


def validate_images(images: ArrayLike, image_shape: Sequence[int] = (28, 28, 1)) -> np.ndarray:
    """Return ``images`` as a ``float32`` batch of shape ``(n, *image_shape)``, or raise.

    Accepted: one image ``(h, w)`` or ``(h, w, 1)``, or a batch ``(n, h, w)`` or
    ``(n, h, w, 1)``, of floating-point pixels in ``[0, 1]``. Raises
    :class:`InputError` for another shape, an integer or non-numeric dtype (with the
    fix for raw ``uint8`` pixels), NaN or infinite values, or values outside ``[0, 1]``.
    Used in: Part 3, From model to product.
    """
    image_shape = tuple(int(s) for s in image_shape)
    height, width, channels = image_shape
    try:
        array = np.asarray(images)
    except (TypeError, ValueError) as error:
        raise InputError(
            f"images must be an array of pixels, got {type(images).__name__}."
        ) from error
    if array.dtype.kind in "iub":
        raise InputError(
            f"images must be floating-point pixels in [0, 1], got dtype {array.dtype}. "
            "Raw 0..255 pixels need scaling first: companion.pipeline.prepare_images(images) "
            "or images.astype('float32') / 255."
        )
    if array.dtype.kind != "f":
        raise InputError(
            f"images must be floating-point pixels in [0, 1], got dtype {array.dtype}."
        )
    single = {(height, width), (height, width, channels)}
    if array.shape in single:
        array = array[np.newaxis]
    if array.ndim == 3 and array.shape[1:] == (height, width):
        array = array[..., np.newaxis]
    if array.ndim != 4 or array.shape[1:] != image_shape or array.shape[0] == 0:
        raise InputError(
            f"images must have shape {(height, width)}, {image_shape} (one image), "
            f"(n, {height}, {width}) or (n, {height}, {width}, {channels}) with n >= 1; "
            f"got shape {np.asarray(images).shape}."
        )
    if not np.isfinite(array).all():
        raise InputError("images contain NaN or infinite values; every pixel must be in [0, 1].")
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:
        hint = " They look like raw 0..255 pixels: divide by 255." if high > 1.0 else ""
        raise InputError(
            f"pixel values must be in [0, 1], got values from {low:g} to {high:g}.{hint}"
        )
    return array.astype(np.float32, copy=False)


def _check_predict_arguments(
    model: keras.Model, images: object, class_names: Sequence[str] | None, batch_size: object
) -> None:
    """Refuse ``None`` images, a batch size below 1 and too few class names, saying why."""
    if images is None:
        raise InputError("images is None: pass an array of pixels (one image or a batch).")
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size < 1
    ):
        raise InputError(
            f"batch_size must be a positive whole number such as 256, got {batch_size!r}."
        )
    if class_names is None:
        return
    classes = int(model.outputs[0].shape[-1])
    if isinstance(class_names, str) or len(class_names) != classes:
        given = "a string" if isinstance(class_names, str) else f"{len(class_names)} class names"
        raise InputError(
            f"{given} for a model with {classes} classes: pass a list of one name per "
            "class, in label order (for example dataset_info(...).class_names)."
        )


def predict(
    model: keras.Model,
    images: ArrayLike,
    class_names: Sequence[str] | None = None,
    *,
    batch_size: int = 256,
) -> Prediction:
    """Validate ``images`` (see :func:`validate_images`), run the model, name the classes.

    Works for one image or a batch; the result always holds one entry per image.
    Raises :class:`InputError` on bad input, before the model is called.
    Used in: Part 3, From model to product.
    """
    _check_predict_arguments(model, images, class_names, batch_size)
    image_shape = tuple(int(s) for s in model.inputs[0].shape[1:])
    batch = validate_images(images, image_shape)
    probabilities = np.asarray(model.predict(batch, batch_size=batch_size, verbose=0))
    labels = probabilities.argmax(axis=1)
    names = [str(class_names[label]) if class_names is not None else str(label) for label in labels]
    return Prediction(
        labels=labels,
        names=names,
        confidence=probabilities[np.arange(len(labels)), labels],
        probabilities=probabilities,
    )


def save(model: keras.Model, path: str | os.PathLike[str]) -> Path:
    """Save the whole model (architecture, weights, optimizer) to a ``.keras`` file.

    Used in: Part 3, From model to product.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"path must end with '.keras', got {path.name!r}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return path


def load(path: str | os.PathLike[str], *, compile: bool = False) -> keras.Model:
    """Load a model saved by :func:`save` (uncompiled by default: ready to predict).

    Used in: Part 3, From model to product.
    """
    import zipfile

    import keras

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no saved model at {path}; save one with companion.serving.save.")
    if not zipfile.is_zipfile(path):
        with path.open("rb") as source:
            zip_start = source.read(2) == b"PK"
        problem = "damaged or truncated" if zip_start else "not a .keras model file"
        raise ValueError(
            f"{path} is {problem} (a .keras file is a zip archive"
            f"{'; this one ends too soon' if zip_start else ''}, {path.stat().st_size:,} bytes): "
            "save it again with companion.serving.save(model, path)."
        )
    try:
        return keras.models.load_model(path, compile=compile)
    except (OSError, ValueError, zipfile.BadZipFile, KeyError) as error:
        raise ValueError(
            f"{path} cannot be loaded as a model ({type(error).__name__}: {error}); it may be "
            "damaged or truncated: save it again with companion.serving.save(model, path)."
        ) from error


def inference_function(model: keras.Model) -> Callable[[np.ndarray], np.ndarray]:
    """A compiled ``batch -> probabilities (NumPy)`` function for ``model`` on the active backend.

    ``tf.function`` on TensorFlow, ``jax.jit`` of the model's stateless call on JAX,
    and the model under ``torch.no_grad()`` on PyTorch: the way each backend serves a
    model without ``model.predict``'s per-call overhead. The result is NumPy, so a
    timing includes bringing the answer back from the device.
    Used in: Part 3, From model to product (latency and throughput).
    """
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf  # tf.function is how TensorFlow compiles a call

        compiled = tf.function(lambda batch: model(batch, training=False))
        return lambda batch: compiled(batch).numpy()
    if backend == "jax":
        import jax

        trainable = [v.value for v in model.trainable_variables]
        frozen = [v.value for v in model.non_trainable_variables]
        jitted = jax.jit(
            lambda batch: model.stateless_call(trainable, frozen, batch, training=False)[0]
        )
        return lambda batch: np.asarray(jitted(batch))
    if backend == "torch":
        import torch

        def call(batch: Any) -> np.ndarray:
            with torch.no_grad():
                return keras.ops.convert_to_numpy(model(batch, training=False))

        return call
    return lambda batch: keras.ops.convert_to_numpy(model(batch, training=False))


EXPORT_FILES = {"tf_saved_model": "saved_model.pb", "torch": "model.pt2", "jax": "model.jax"}


def export_format() -> str:
    """The format :func:`export_for_server` writes on the active backend.

    ``"tf_saved_model"`` on TensorFlow (and on JAX when TensorFlow is installed),
    ``"torch"`` (a ``.pt2`` ExportedProgram) on PyTorch, ``"jax"`` (``jax.export``) on
    JAX without TensorFlow. Used in: Part 3, From model to product.
    """
    import importlib.util

    import keras

    backend = keras.backend.backend()
    if backend == "torch":
        return "torch"
    if backend == "jax" and importlib.util.find_spec("tensorflow") is None:
        return "jax"
    return "tf_saved_model"


def export_for_server(model: keras.Model, directory: str | os.PathLike[str]) -> Path:
    """Write ``model`` into ``directory`` in :func:`export_format`; return the folder.

    Every format takes a ``float32`` batch ``(n, *image_shape)`` of any size ``n`` and
    returns the probabilities. Used in: Part 3, From model to product.
    """
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise FileExistsError(f"{directory} is not empty; export into a new folder.")
    directory.mkdir(parents=True, exist_ok=True)
    fmt = export_format()
    if fmt == "tf_saved_model":
        model.export(str(directory), format="tf_saved_model", verbose=False)
    elif fmt == "torch":
        import torch

        batch = torch.export.Dim("batch", min=1, max=1 << 16)
        model.export(
            str(directory / EXPORT_FILES["torch"]),
            format="torch",
            verbose=False,
            dynamic_shapes={0: batch},
        )
    else:
        (directory / EXPORT_FILES["jax"]).write_bytes(_jax_export(model))
    return directory


def _jax_export(model: keras.Model) -> bytes:
    """The model's inference function, weights included, serialized with ``jax.export``."""
    import jax
    import jax.numpy as jnp
    from jax import export

    trainable = [v.value for v in model.trainable_variables]
    frozen = [v.value for v in model.non_trainable_variables]

    def serve(batch: Any) -> Any:
        outputs, _ = model.stateless_call(trainable, frozen, batch, training=False)
        return outputs

    (n,) = export.symbolic_shape("n")
    spec = jax.ShapeDtypeStruct((n, *model.input_shape[1:]), jnp.float32)
    return export.export(jax.jit(serve))(spec).serialize()


class _Served:
    """A loaded export with the SavedModel's interface: ``serve(batch)`` -> probabilities."""

    def __init__(self, call: Any, to_numpy: Any) -> None:
        self._call, self._to_numpy = call, to_numpy

    def serve(self, batch: Any) -> np.ndarray:
        return self._to_numpy(self._call(np.asarray(batch, dtype="float32")))


def load_exported(directory: str | os.PathLike[str]) -> ExportedModel:
    """Load what :func:`export_for_server` wrote; call ``.serve(batch)`` on the result.

    Only the runtime of the format is needed (TensorFlow, PyTorch or JAX), not Keras
    nor this package. Keep the returned object alive while you use ``serve`` (its
    variables belong to it). Used in: Part 3, From model to product.
    """
    directory = Path(directory)
    if (directory / EXPORT_FILES["tf_saved_model"]).is_file():
        import tensorflow as tf  # a SavedModel is TensorFlow's format: TensorFlow loads it

        return tf.saved_model.load(str(directory))
    if (directory / EXPORT_FILES["torch"]).is_file():
        import torch

        module = torch.export.load(str(directory / EXPORT_FILES["torch"])).module()
        weights = next(iter(module.parameters()), None)
        device = weights.device if weights is not None else "cpu"  # the GPU it was saved from
        return _Served(
            lambda batch: module(torch.from_numpy(batch).to(device)),
            lambda out: out.detach().cpu().numpy(),
        )
    if (directory / EXPORT_FILES["jax"]).is_file():
        from jax import export

        exported = export.deserialize(bytearray((directory / EXPORT_FILES["jax"]).read_bytes()))
        return _Served(exported.call, np.asarray)
    raise FileNotFoundError(
        f"{directory} holds no exported model ({', '.join(EXPORT_FILES.values())}); "
        f"export it first with serving.export_for_server."
    )
