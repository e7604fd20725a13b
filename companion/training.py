"""Train a Keras classifier with the standard callbacks, and return its History.

:func:`train` compiles the model (Adam or AdamW, sparse categorical cross-entropy,
accuracy), feeds it batches (``tf.data`` on TensorFlow, a NumPy ``PyDataset`` on
JAX and PyTorch: :mod:`companion.pipeline`), and adds the
callbacks a real project needs: early stopping, the best checkpoint restored at the
end, backup-and-restore so an interrupted run resumes where it stopped, and an
optional CSV log. Learning-rate schedules come from Keras
(:func:`learning_rate_schedule`): constant, cosine decay, or a linear warm-up then
cosine decay.

Defined in Part 3, "A baseline CNN" and "Making it better"; Part 1 and Part 4 reuse it.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

    # What train() accepts as data: arrays (batched and shuffled here) or a ready dataset.
    TrainingData = tuple[np.ndarray, np.ndarray] | tf.data.Dataset

__all__ = ["SCHEDULES", "best_epoch", "compile_model", "learning_rate_schedule", "train"]

SCHEDULES = ("constant", "cosine", "warmup_cosine")


def learning_rate_schedule(
    schedule: str,
    learning_rate: float,
    total_steps: int,
    *,
    warmup_steps: int = 0,
    final_fraction: float = 0.0,
) -> float | keras.optimizers.schedules.LearningRateSchedule:
    """A learning rate (float) or a ``keras.optimizers.schedules.LearningRateSchedule``.

    ``"constant"``: ``learning_rate`` throughout. ``"cosine"``: from ``learning_rate``
    down to ``final_fraction * learning_rate`` along half a cosine over ``total_steps``.
    ``"warmup_cosine"``: a linear rise from 0 to ``learning_rate`` over ``warmup_steps``,
    then the cosine decay over the remaining steps.
    Used in: Part 3, Making it better.
    """
    import keras

    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}.")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate}.")
    if schedule == "constant":
        return float(learning_rate)
    if total_steps < 1:
        raise ValueError(f"total_steps must be at least 1, got {total_steps}.")
    if not 0 <= warmup_steps < total_steps:
        raise ValueError(
            f"warmup_steps must be in [0, total_steps={total_steps}), got {warmup_steps}."
        )
    if schedule == "cosine" or warmup_steps == 0:
        return keras.optimizers.schedules.CosineDecay(
            float(learning_rate), decay_steps=total_steps, alpha=final_fraction
        )
    return keras.optimizers.schedules.CosineDecay(
        0.0,
        decay_steps=total_steps - warmup_steps,
        alpha=final_fraction,
        warmup_target=float(learning_rate),
        warmup_steps=warmup_steps,
    )


def compile_model(
    model: keras.Model,
    *,
    learning_rate: float | keras.optimizers.schedules.LearningRateSchedule = 1e-3,
    optimizer: str = "adam",
    weight_decay: float = 0.0,
    jit_compile: bool | str = "auto",
    steps_per_execution: int | str = "auto",
) -> keras.Model:
    """Compile a softmax classifier for integer labels; return the model.

    ``optimizer`` is ``"adam"`` or ``"adamw"`` (with ``weight_decay``); ``learning_rate``
    a float or a schedule. On a CPU, ``jit_compile="auto"`` means no XLA (faster there).
    ``steps_per_execution="auto"`` is 1 on a CPU (Keras's default, so CPU results are
    unchanged) and :data:`ACCELERATOR_STEPS_PER_EXECUTION` on a GPU, where one small
    step takes less time than the Python around it.
    Used in: Part 3, A baseline CNN (through :func:`train`).
    """
    import keras

    if optimizer == "adam":
        if weight_decay:
            raise ValueError("weight_decay needs optimizer='adamw', got optimizer='adam'.")
        opt = keras.optimizers.Adam(learning_rate=learning_rate)
    elif optimizer == "adamw":
        opt = keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=weight_decay)
    else:
        raise ValueError(f"optimizer must be 'adam' or 'adamw', got {optimizer!r}.")
    model.compile(
        optimizer=opt,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=jit_compile,
        steps_per_execution=_steps_per_execution(steps_per_execution),
    )
    return model


# Batches run per call of the compiled training function on a GPU. The seed baseline's step
# (93k parameters, batch 64) costs microseconds of GPU time and milliseconds of Python and
# dispatch around it (5.7 ms per step on an H100 in the GPU run of 2026-12-05).
ACCELERATOR_STEPS_PER_EXECUTION = 32


def _steps_per_execution(value: int | str) -> int:
    if value == "auto":
        import keras

        from .device import _accelerator

        on_gpu = _accelerator(keras.backend.backend())[1] is not None
        return ACCELERATOR_STEPS_PER_EXECUTION if on_gpu else 1
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"steps_per_execution must be 'auto' or a positive int, got {value!r}.")
    return value


class _EpochTimer:
    """Collects the wall time of every epoch (a Keras callback built lazily)."""

    @staticmethod
    def make() -> keras.callbacks.Callback:
        import keras

        class EpochTimer(keras.callbacks.Callback):
            def __init__(self) -> None:
                super().__init__()
                self.seconds: list[float] = []
                self._start = 0.0

            def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
                self._start = time.perf_counter()

            def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
                self.seconds.append(time.perf_counter() - self._start)

        return EpochTimer()


def _as_dataset(data: Any, batch_size: int, shuffle: bool, seed: int, argument: str) -> Any:
    """Batches for ``fit``: a ready dataset as it is, ``(x, y)`` arrays batched here.

    On TensorFlow the arrays go through ``tf.data`` (:func:`make_dataset`); on JAX and
    PyTorch through a NumPy ``PyDataset`` (:func:`array_batches`), so no TensorFlow is needed.
    """
    import keras

    from .pipeline import array_batches, is_tf_dataset, make_dataset

    if is_tf_dataset(data) or isinstance(data, keras.utils.PyDataset):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2:
        batches = make_dataset if keras.backend.backend() == "tensorflow" else array_batches
        return batches(data[0], data[1], batch_size=batch_size, shuffle=shuffle, seed=seed)
    raise TypeError(
        f"{argument} must be a tuple (x, y) of arrays, a keras.utils.PyDataset or a "
        f"tf.data.Dataset, got {type(data).__name__}."
    )


def _steps_per_epoch(dataset: Any) -> int:
    from .pipeline import is_tf_dataset

    if is_tf_dataset(dataset):
        steps = int(dataset.cardinality())
        if steps < 0:  # unknown (-2) or infinite (-1)
            steps = -1 if steps == -1 else sum(1 for _ in dataset)
    else:
        steps = dataset.num_batches
        steps = -1 if steps is None else int(steps)
    if steps < 1:
        raise ValueError("the training dataset must be finite and non-empty.")
    return steps


def _check_epochs(epochs: int, warmup_epochs: float) -> None:
    if isinstance(epochs, (bool, np.bool_)) or not isinstance(epochs, (int, np.integer)):
        raise TypeError(f"epochs must be a whole number such as 5, got {epochs!r}.")
    if epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}.")
    if warmup_epochs < 0 or warmup_epochs >= epochs:
        raise ValueError(f"warmup_epochs must be in [0, epochs={epochs}), got {warmup_epochs}.")


def _check_seed(seed: int) -> None:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be a whole number such as 0, got {seed!r}.")


def _check_arrays(model: keras.Model, data: Any, argument: str, *, labels: bool) -> None:
    """Refuse ``(x, y)`` arrays that would train on nonsense, saying what to fix.

    Empty or mismatched arrays, NaN or infinite inputs, raw 0..255 images, and (when
    ``labels``: the loss is sparse cross-entropy) labels that are not whole numbers in
    ``[0, classes)``: JAX and PyTorch would train on them silently.
    """
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        return  # a dataset: _as_dataset accepts or refuses it
    x, y = (np.asarray(part) for part in data)
    if x.ndim == 0 or len(x) == 0:
        raise ValueError(f"{argument} has no examples: x has shape {x.shape}; pass at least one.")
    if y.ndim == 0 or len(y) != len(x):
        raise ValueError(
            f"{argument} has {len(x)} inputs but {y.size if y.ndim == 0 else len(y)} labels; "
            "x and y must have one entry per example."
        )
    if x.dtype.kind not in "iuf":
        raise TypeError(f"{argument}: x must hold numbers, got dtype {x.dtype}.")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise ValueError(f"{argument}: x contains NaN or infinite values; fix or drop them.")
    if x.ndim >= 3 and (x.dtype.kind in "iu" or float(x.max()) > 1.0 or float(x.min()) < 0.0):
        raise ValueError(
            f"{argument}: images must be floating-point pixels in [0, 1], got dtype {x.dtype} "
            f"with values from {x.min():g} to {x.max():g}. Scale them first: "
            "companion.pipeline.prepare_images(images) or images.astype('float32') / 255."
        )
    if labels:
        _check_labels(model, y, argument)


def _check_labels(model: keras.Model, y: np.ndarray, argument: str) -> None:
    if y.ndim == 2 and y.shape[1] > 1:
        raise ValueError(
            f"{argument}: labels must be class numbers of shape (n,), got shape {y.shape} "
            "(one-hot?). Use y.argmax(axis=1)."
        )
    if y.dtype.kind not in "iuf" or (y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0)):
        raise ValueError(
            f"{argument}: labels must be whole class numbers 0, 1, 2, ..., got dtype {y.dtype}"
            + (
                f" with values such as {y[np.mod(y, 1) != 0].flat[0]:g}."
                if y.dtype.kind == "f"
                else "."
            )
        )
    try:
        classes = int(model.outputs[0].shape[-1])
    except (AttributeError, IndexError, TypeError, ValueError):  # a model not yet built
        classes = None
    low, high = int(y.min()), int(y.max())
    if low < 0 or (classes is not None and high >= classes):
        raise ValueError(
            f"{argument}: labels must be in [0, {classes if classes is not None else 'classes'}) "
            f"for this model's {classes} outputs, got labels from {low} to {high}. "
            "Check the labels, or build the model with as many outputs as classes."
        )


def _compile_for_run(
    model: keras.Model,
    train_ds: Any,
    *,
    epochs: int,
    learning_rate: float,
    schedule: str,
    warmup_epochs: float,
    optimizer: str,
    weight_decay: float,
) -> None:
    """Compile ``model`` with a schedule sized to this run (steps per epoch × epochs)."""
    steps = _steps_per_epoch(train_ds)
    rate = learning_rate_schedule(
        schedule,
        learning_rate,
        total_steps=steps * epochs,
        warmup_steps=math.floor(warmup_epochs * steps),
    )
    compile_model(model, learning_rate=rate, optimizer=optimizer, weight_decay=weight_decay)


def _checkpoint_file(checkpoint_path: str | os.PathLike[str] | None) -> Path | None:
    if checkpoint_path is None:
        return None
    path = Path(checkpoint_path)
    if not path.name.endswith((".weights.h5", ".keras")):
        raise ValueError(
            f"checkpoint_path must end with '.weights.h5' or '.keras', got {path.name!r}."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _standard_callbacks(
    monitor: str,
    *,
    early_stopping_patience: int | None,
    checkpoint: Path | None,
    backup_dir: str | os.PathLike[str] | None,
    csv_log: str | os.PathLike[str] | None,
) -> list[keras.callbacks.Callback]:
    """Early stopping, best checkpoint, backup-and-restore and CSV log, as requested."""
    import keras

    mode = "max" if monitor.endswith("accuracy") else "min"
    chosen: list[keras.callbacks.Callback] = []
    if early_stopping_patience is not None:
        chosen.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor,
                mode=mode,
                patience=early_stopping_patience,
                restore_best_weights=True,
            )
        )
    if checkpoint is not None:
        chosen.append(
            keras.callbacks.ModelCheckpoint(
                str(checkpoint),
                monitor=monitor,
                mode=mode,
                save_best_only=True,
                save_weights_only=checkpoint.name.endswith(".weights.h5"),
            )
        )
    if backup_dir is not None:
        chosen.append(_backup_callback(backup_dir))
    if csv_log is not None:
        Path(csv_log).parent.mkdir(parents=True, exist_ok=True)
        chosen.append(keras.callbacks.CSVLogger(str(csv_log), append=backup_dir is not None))
    return chosen


def _backup_callback(backup_dir: str | os.PathLike[str]) -> keras.callbacks.Callback:
    """``BackupAndRestore`` whose failure to resume says which folder to delete."""
    import keras

    class Backup(keras.callbacks.BackupAndRestore):
        def on_train_begin(self, logs: dict | None = None) -> None:
            try:
                super().on_train_begin(logs)
            except ValueError as error:
                first = str(error).strip().splitlines()[0]
                raise ValueError(
                    f"backup_dir {backup_dir} holds the backup of a different model, so this "
                    f"run cannot resume from it ({first}). Delete that folder (for example "
                    "shutil.rmtree(backup_dir)) to start afresh, or pass another backup_dir."
                ) from error

    return Backup(str(backup_dir))


def _restore_best(model: keras.Model, checkpoint: Path) -> None:
    """Load the best epoch's weights, saved by the checkpoint callback, into ``model``."""
    import keras

    if not checkpoint.exists():
        return
    try:
        if checkpoint.name.endswith(".weights.h5"):
            model.load_weights(str(checkpoint))
        else:
            best = keras.models.load_model(str(checkpoint), compile=False)
            model.set_weights(best.get_weights())
    except (OSError, ValueError) as error:  # h5py names no file; a truncated zip says "not found"
        raise ValueError(
            f"the best checkpoint {checkpoint} cannot be read ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}); it is damaged or truncated "
            "(a full disk, or another run writing it?). The model keeps its last epoch's "
            "weights; delete the file and train again to save a fresh one."
        ) from error


def train(
    model: keras.Model,
    train_data: TrainingData,
    validation_data: TrainingData | None = None,
    *,
    epochs: int = 5,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    schedule: str = "constant",
    warmup_epochs: float = 0.0,
    optimizer: str = "adam",
    weight_decay: float = 0.0,
    early_stopping_patience: int | None = None,
    monitor: str | None = None,
    checkpoint_path: str | os.PathLike[str] | None = None,
    backup_dir: str | os.PathLike[str] | None = None,
    csv_log: str | os.PathLike[str] | None = None,
    compile_first: bool = True,
    seed: int = 0,
    verbose: int = 0,
    callbacks: list[keras.callbacks.Callback] | None = None,
) -> keras.callbacks.History:
    """Compile (unless ``compile_first=False``) and fit ``model``; return the Keras ``History``.

    ``train_data`` and ``validation_data`` are ``(x, y)`` arrays (batched and shuffled
    with ``seed`` here, on every backend), a ``keras.utils.PyDataset`` or a ready
    ``tf.data.Dataset``. ``schedule`` is one of
    :data:`SCHEDULES`; ``warmup_epochs`` may be fractional. ``monitor`` defaults to
    ``val_accuracy`` with validation data and ``loss`` without.

    Callbacks: ``early_stopping_patience`` stops after that many epochs without
    improvement; ``checkpoint_path`` (a ``.weights.h5`` or ``.keras`` file) keeps the
    best epoch, whose weights are restored at the end (early stopping alone also
    restores the best weights); ``backup_dir`` enables ``BackupAndRestore``: if the
    run is interrupted, calling ``train`` again with the same folder resumes from the
    last finished epoch; ``csv_log`` writes one row per epoch. ``callbacks`` run after
    these (so they see the backup already saved).

    The returned History also has ``history.history["epoch_seconds"]`` and
    ``history.train_seconds`` (wall time of ``fit``).
    Used in: Part 3, A baseline CNN; Making it better; Looking inside; From model to product; Part 4, Vision in a product.
    """
    _check_epochs(epochs, warmup_epochs)
    _check_seed(seed)
    _check_arrays(model, train_data, "train_data", labels=compile_first)
    if validation_data is not None:
        _check_arrays(model, validation_data, "validation_data", labels=compile_first)
    train_ds = _as_dataset(train_data, batch_size, True, seed, "train_data")
    val_ds = (
        None
        if validation_data is None
        else _as_dataset(validation_data, batch_size, False, seed, "validation_data")
    )
    if compile_first:
        _compile_for_run(
            model,
            train_ds,
            epochs=epochs,
            learning_rate=learning_rate,
            schedule=schedule,
            warmup_epochs=warmup_epochs,
            optimizer=optimizer,
            weight_decay=weight_decay,
        )
    elif schedule != "constant":
        raise ValueError("schedule needs compile_first=True; compile the model yourself otherwise.")
    checkpoint = _checkpoint_file(checkpoint_path)
    timer = _EpochTimer.make()
    standard = _standard_callbacks(
        monitor or ("val_accuracy" if val_ds is not None else "loss"),
        early_stopping_patience=early_stopping_patience,
        checkpoint=checkpoint,
        backup_dir=backup_dir,
        csv_log=csv_log,
    )
    start = time.perf_counter()
    history = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=epochs,
        callbacks=[timer, *standard, *(callbacks or [])],
        verbose=verbose,
        shuffle=False,  # the dataset is already shuffled with `seed`
    )
    history.train_seconds = time.perf_counter() - start
    history.history["epoch_seconds"] = list(timer.seconds)
    if checkpoint is not None:
        _restore_best(model, checkpoint)
    return history


def best_epoch(history: keras.callbacks.History, monitor: str = "val_accuracy") -> int:
    """The 0-based epoch with the best ``monitor`` value in a History (max for accuracy).

    Used in: Part 3, Making it better.
    """
    values = np.asarray(history.history.get(monitor, []), dtype=float)
    if values.size == 0:
        raise ValueError(
            f"history has no {monitor!r}; it has {sorted(history.history)}. "
            "Train with validation data or pick another monitor."
        )
    return int(values.argmax() if monitor.endswith("accuracy") else values.argmin())
