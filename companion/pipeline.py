"""From ``uint8`` images to batches a network can learn from.

Scaling to ``[0, 1]``, the channel axis Keras convolutions expect, a stratified
train/validation split, a labelled subset for few-label experiments, and two
input pipelines: :func:`make_dataset` builds a ``tf.data`` pipeline (shuffle, batch,
cache, prefetch; TensorFlow must be installed, any backend can read it) and
:func:`array_batches` a backend-neutral ``keras.utils.PyDataset`` over NumPy arrays
(what :func:`companion.training.train` uses on JAX and PyTorch).

Defined in Part 3, "The data"; used by every chapter that trains on images.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from .data import Arrays

if TYPE_CHECKING:
    import tensorflow as tf

__all__ = [
    "Arrays",
    "add_channel_axis",
    "array_batches",
    "is_tf_dataset",
    "labelled_subset",
    "load_prepared",
    "make_dataset",
    "prepare_images",
    "scale_images",
    "train_val_split",
]


def scale_images(images: np.ndarray) -> np.ndarray:
    """Turn ``uint8`` pixels 0..255 into ``float32`` values in ``[0, 1]``, same shape.

    Raises ``TypeError`` for a non-``uint8`` array (scaling twice is a classic bug).
    Used in: Part 3, The data (through :func:`prepare_images`).
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(
            f"images must be uint8 pixels 0..255, got dtype {images.dtype}; "
            "they may already be scaled."
        )
    return images.astype(np.float32) / np.float32(255.0)


def add_channel_axis(images: np.ndarray) -> np.ndarray:
    """Add a trailing channel axis: ``(n, h, w)`` becomes ``(n, h, w, 1)``.

    An array that already has one channel, ``(n, h, w, 1)``, is returned unchanged.
    Used in: Part 3, The data (through :func:`prepare_images`).
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        return images
    if images.ndim != 3:
        raise ValueError(
            f"images must have shape (n, height, width) or (n, height, width, 1), got {images.shape}."
        )
    return images[..., np.newaxis]


def prepare_images(images: np.ndarray) -> np.ndarray:
    """Scale ``uint8`` images to ``float32`` in ``[0, 1]`` and add the channel axis.

    Used in: Part 3, The data; Part 4, Vision in a product.
    """
    return add_channel_axis(scale_images(images))


def load_prepared(name: str = "mnist", **load_kwargs: Any) -> Arrays:
    """Load a dataset of :mod:`companion.data` with images ready for a CNN.

    Returns ``(x_train, y_train), (x_test, y_test)`` with ``float32`` images of shape
    ``(n, 28, 28, 1)`` in ``[0, 1]`` and ``uint8`` labels. ``name`` is ``"mnist"`` or
    ``"fashion-mnist"``; ``load_kwargs`` go to :func:`companion.data.load_dataset`.
    Used in: Part 1, Pretraining and fine-tuning; Part 3, A baseline CNN; Making it better;
    Looking inside; From model to product.
    """
    from . import data

    (x_train, y_train), (x_test, y_test) = data.load_dataset(name, **load_kwargs)
    return (prepare_images(x_train), y_train), (prepare_images(x_test), y_test)


def _check_pair(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x), np.asarray(y)
    if y.ndim != 1 or len(x) != len(y):
        raise ValueError(
            f"x and y must hold the same number of examples with y of shape (n,), "
            f"got x {x.shape} and y {y.shape}."
        )
    return x, y


def train_val_split(
    x: np.ndarray,
    y: np.ndarray,
    *,
    validation_fraction: float = 0.1,
    seed: int = 0,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Split off a stratified validation set: ``(x_train, y_train), (x_val, y_val)``.

    Every class keeps its share in both parts. The test set stays untouched for the
    final measurement. Used in: Part 3, A baseline CNN; Making it better; Part 4, Vision in
    a product.
    """
    from sklearn.model_selection import train_test_split

    x, y = _check_pair(x, y)
    if not 0.0 < validation_fraction < 1.0:
        raise ValueError(
            f"validation_fraction must be between 0 and 1 (exclusive), got {validation_fraction}."
        )
    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=validation_fraction, random_state=seed, stratify=y
    )
    return (x_train, y_train), (x_val, y_val)


def labelled_subset(
    x: np.ndarray,
    y: np.ndarray,
    count: int,
    *,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Pick ``count`` labelled examples, the same number from every class (balanced).

    ``count`` must be a multiple-friendly number at least the number of classes; any
    remainder after an equal share per class is drawn from the remaining examples.
    The result is shuffled. Used in: Part 3, From model to product (through
    :func:`companion.transfer.compare_label_budgets`).
    """
    x, y = _check_pair(x, y)
    classes = np.unique(y)
    if not isinstance(count, (int, np.integer)) or isinstance(count, bool):
        raise TypeError(f"count must be an int, got {type(count).__name__}.")
    if not len(classes) <= count <= len(y):
        raise ValueError(
            f"count must be between the number of classes ({len(classes)}) and the number of "
            f"examples ({len(y)}), got {count}."
        )
    rng = np.random.default_rng(seed)
    share = count // len(classes)
    chosen = [
        rng.choice(np.flatnonzero(y == label), size=share, replace=False) for label in classes
    ]
    picked = np.concatenate(chosen)
    remainder = count - picked.size
    if remainder:
        rest = np.setdiff1d(np.arange(len(y)), picked)
        picked = np.concatenate([picked, rng.choice(rest, size=remainder, replace=False)])
    picked = rng.permutation(picked)
    return x[picked], y[picked]


def make_dataset(
    x: np.ndarray,
    y: np.ndarray | None = None,
    *,
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int = 0,
    cache: bool = True,
    prefetch: bool = True,
) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of ``(x, y)`` batches (or ``x`` batches when ``y`` is None).

    The order is: cache the examples in memory, shuffle them with a fixed seed
    (reshuffled every epoch), batch, then prefetch the next batch while the model
    trains on this one. Used in: Part 3, The data; the training helper uses it.
    """
    import tensorflow as tf

    x = np.asarray(x)
    if y is not None:
        x, y = _check_pair(x, y)
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}.")
    dataset = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    if cache:
        dataset = dataset.cache()
    if shuffle:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(int(batch_size))
    if prefetch:
        dataset = dataset.prefetch(tf.data.AUTOTUNE)
    return dataset


def is_tf_dataset(data: Any) -> bool:
    """True if ``data`` is a ``tf.data.Dataset`` (checked without importing TensorFlow)."""
    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(data, tf.data.Dataset)


def array_batches(
    x: np.ndarray,
    y: np.ndarray | None = None,
    *,
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int = 0,
) -> Any:
    """A ``keras.utils.PyDataset`` of ``(x, y)`` batches (or ``x`` batches) from NumPy arrays.

    The backend-neutral counterpart of :func:`make_dataset`: plain NumPy, no TensorFlow,
    so it feeds ``model.fit`` on JAX and PyTorch as well. With ``shuffle=True`` the
    order is drawn from ``seed`` and redrawn after every epoch (epoch ``k`` uses
    ``seed + k``), so two runs with the same seed see the same batches.
    Used in: Part 3, The data; :func:`companion.training.train` on JAX and PyTorch.
    """
    x = np.asarray(x)
    if y is not None:
        x, y = _check_pair(x, y)
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}.")
    return _array_batches_class()(x, y, int(batch_size), shuffle, seed)


def _array_batches_class() -> type:
    import keras

    class ArrayBatches(keras.utils.PyDataset):
        def __init__(self, x, y, batch_size, shuffle, seed):  # type: ignore[no-untyped-def]
            super().__init__()
            self.x, self.y, self.batch_size = x, y, batch_size
            self.shuffle, self.seed, self.epoch = shuffle, seed, 0
            self.order = self._draw_order()

        def _draw_order(self) -> np.ndarray:
            if not self.shuffle:
                return np.arange(len(self.x))
            return np.random.default_rng(self.seed + self.epoch).permutation(len(self.x))

        def __len__(self) -> int:
            return -(-len(self.x) // self.batch_size)

        def __getitem__(self, index: int):  # type: ignore[no-untyped-def]
            if not 0 <= index < len(self):
                raise IndexError(f"batch {index} out of range; there are {len(self)}.")
            picked = self.order[index * self.batch_size : (index + 1) * self.batch_size]
            return self.x[picked] if self.y is None else (self.x[picked], self.y[picked])

        def on_epoch_end(self) -> None:
            self.epoch += 1
            self.order = self._draw_order()

    return ArrayBatches
