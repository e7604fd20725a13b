"""From a trained model to something a product can call.

:func:`predict` checks its input before the model sees it (shape, dtype, value
range) and raises :class:`InputError` with a message that says what was given and
what was expected; :func:`save` and :func:`load` use the native ``.keras`` format;
:func:`export_for_server` writes a TensorFlow SavedModel that a server (TensorFlow
Serving, or any Python process with TensorFlow but without this package) can load,
and :func:`load_exported` loads it back as a plain function.

Defined in Part 3, "From model to product"; Part 4 reuses :func:`predict`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

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
    import keras

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no saved model at {path}; save one with companion.serving.save.")
    return keras.models.load_model(path, compile=compile)


def export_for_server(model: keras.Model, directory: str | os.PathLike[str]) -> Path:
    """Write a TensorFlow SavedModel with a ``serve`` endpoint into ``directory``.

    The endpoint takes a ``float32`` batch ``(n, *image_shape)`` and returns the
    probabilities. Used in: Part 3, From model to product.
    """
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise FileExistsError(f"{directory} is not empty; export into a new folder.")
    model.export(str(directory), format="tf_saved_model", verbose=False)
    return directory


def load_exported(directory: str | os.PathLike[str]) -> ExportedModel:
    """Load a SavedModel written by :func:`export_for_server`; call ``.serve(batch)`` on it.

    Only TensorFlow is needed to load and call it, not Keras nor this package. Keep
    the returned object alive while you use ``serve`` (its variables belong to it).
    Used in: Part 3, From model to product.
    """
    import tensorflow as tf

    directory = Path(directory)
    if not (directory / "saved_model.pb").is_file():
        raise FileNotFoundError(f"{directory} holds no saved_model.pb; export it first.")
    return tf.saved_model.load(str(directory))
