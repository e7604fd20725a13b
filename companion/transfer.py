"""Pretrain, then fine-tune: reuse a trained convolutional base on a new task.

:func:`extract_base` cuts a trained classifier at its ``Flatten`` layer;
:func:`build_transfer_model` puts a fresh classification head on a copy of that
base, frozen or trainable; :func:`compare_label_budgets` trains, for several
numbers of labelled examples, a network from scratch and the transferred one, and
returns a tidy ``DataFrame`` of test accuracies (one row per run) that
:func:`companion.plotting.plot_label_budget` draws; with ``keep_correct=True`` it also
keeps which test images each run got right, which :func:`correct_by_seed` stacks for
:func:`companion.comparison.compare`.

Defined in Part 3, "From model to product"; Part 1 reuses the comparison.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import keras
    import pandas as pd

__all__ = [
    "METHODS",
    "build_transfer_model",
    "compare_label_budgets",
    "correct_by_seed",
    "extract_base",
]

METHODS = ("from scratch", "frozen base", "fine-tuned base")


def extract_base(model: keras.Model, *, name: str = "conv_base") -> keras.Model:
    """A ``keras.Model`` from ``model``'s input to its ``Flatten`` output (shared weights).

    The returned base shares its layers with ``model``; :func:`build_transfer_model`
    copies it before training, so the original stays untouched.
    Used in: Part 1, Pretraining and fine-tuning; Part 3, From model to product (through
    :func:`compare_label_budgets`).
    """
    import keras

    from .models import conv_base_output

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}.")
    cut = conv_base_output(model)
    return keras.Model(model.inputs, cut.output, name=name)


def build_transfer_model(
    base: keras.Model,
    num_classes: int,
    *,
    dense_units: int = 64,
    dropout: float = 0.0,
    freeze: bool = True,
    copy: bool = True,
    name: str = "transfer",
) -> keras.Model:
    """A new classifier: (a copy of) ``base``, then Dense ``dense_units`` and a softmax.

    ``freeze=True`` keeps the base's weights fixed (only the head learns; batch
    normalization runs in inference mode); ``copy=True`` clones the base with its
    trained weights so that several runs start from the same point.
    Used in: Part 1, Pretraining and fine-tuning; Part 3, From model to product (through
    :func:`compare_label_budgets`).
    """
    import keras
    from keras import layers

    from .models import probabilities_head

    if not isinstance(base, keras.Model):
        raise TypeError(f"base must be a keras.Model, got {type(base).__name__}.")
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an int of at least 2, got {num_classes!r}.")
    if copy:
        clone = keras.models.clone_model(base)
        clone.set_weights(base.get_weights())
        base = clone
    base.trainable = not freeze
    inputs = keras.Input(shape=tuple(base.inputs[0].shape[1:]), name="image")
    x = base(inputs, training=False) if freeze else base(inputs)
    if dropout:
        x = layers.Dropout(dropout, name="head_dropout")(x)
    x = layers.Dense(dense_units, activation="relu", name="head_dense")(x)
    outputs = probabilities_head(x, num_classes)
    return keras.Model(inputs, outputs, name=name)


def _correct(model: keras.Model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    probabilities = model.predict(x, batch_size=1024, verbose=0)
    return probabilities.argmax(axis=1) == np.asarray(y)


_COLUMNS = ["labels", "method", "seed", "test_accuracy", "train_seconds"]


@dataclass(frozen=True)
class _Budget:
    """How each model of the comparison is trained (the arguments of compare_label_budgets)."""

    epochs: int
    fine_tune_epochs: int
    fine_tune_factor: float
    batch_size: int
    learning_rate: float
    verbose: int


def _checked_label_counts(methods: Sequence[str], label_counts: Sequence[int]) -> list[int]:
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"methods must be a non-empty subset of {METHODS}, got {list(methods)}.")
    if "fine-tuned base" in methods and "frozen base" not in methods:
        raise ValueError("'fine-tuned base' continues the 'frozen base' run; include both.")
    counts = [int(c) for c in label_counts]
    if not counts or min(counts) < 1:
        raise ValueError(f"label_counts must be positive ints, got {list(label_counts)}.")
    return counts


def _runs_on_subset(
    subset: tuple[np.ndarray, np.ndarray],
    seed: int,
    *,
    methods: Sequence[str],
    build_scratch: Callable[[], keras.Model],
    base: keras.Model,
    num_classes: int,
    budget: _Budget,
) -> Iterator[tuple[str, keras.Model, float]]:
    """Train each method on one labelled subset; yield ``(method, model, seconds)``.

    A generator on purpose: the caller measures the frozen model before it is
    fine-tuned further in place.
    """
    import keras

    from .training import train

    def fit(model: keras.Model, epochs: int, learning_rate: float) -> float:
        history = train(
            model,
            subset,
            epochs=epochs,
            learning_rate=learning_rate,
            batch_size=budget.batch_size,
            seed=seed,
            verbose=budget.verbose,
        )
        return history.train_seconds

    if "from scratch" in methods:
        keras.utils.set_random_seed(seed)
        model = build_scratch()
        yield "from scratch", model, fit(model, budget.epochs, budget.learning_rate)
    if "frozen base" in methods:
        keras.utils.set_random_seed(seed)
        model = build_transfer_model(base, num_classes, freeze=True)
        frozen_seconds = fit(model, budget.epochs, budget.learning_rate)
        yield "frozen base", model, frozen_seconds
        if "fine-tuned base" in methods:
            start = time.perf_counter()
            for layer in model.layers:
                layer.trainable = True
            fit(model, budget.fine_tune_epochs, budget.learning_rate * budget.fine_tune_factor)
            yield "fine-tuned base", model, frozen_seconds + time.perf_counter() - start


def compare_label_budgets(
    pretrained: keras.Model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    label_counts: Sequence[int] = (100, 300, 600, 1000),
    build_scratch: Callable[[], keras.Model] | None = None,
    methods: Sequence[str] = METHODS,
    epochs: int = 20,
    fine_tune_epochs: int = 10,
    fine_tune_factor: float = 0.1,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    seeds: Sequence[int] = (0,),
    verbose: int = 0,
    keep_correct: bool = False,
) -> pd.DataFrame:
    """Accuracy against the number of labels: from scratch versus a transferred base.

    For each count in ``label_counts`` and each seed, a balanced labelled subset of
    ``(x_train, y_train)`` is drawn (:func:`companion.pipeline.labelled_subset`), then:

    - ``"from scratch"``: ``build_scratch()`` (default: the baseline CNN) trained for
      ``epochs`` on those labels;
    - ``"frozen base"``: the convolutional base of ``pretrained`` (frozen) with a new
      head, trained for ``epochs``;
    - ``"fine-tuned base"``: that same model, unfrozen, trained ``fine_tune_epochs``
      more at ``fine_tune_factor * learning_rate`` (needs ``"frozen base"`` too).

    Returns a ``pandas.DataFrame`` with columns ``labels``, ``method``, ``seed``,
    ``test_accuracy`` and ``train_seconds``, one row per trained model; with
    ``keep_correct=True``, also ``correct``: a boolean array saying which test images
    that model got right (for a paired comparison, :func:`correct_by_seed`).
    Used in: Part 3, From model to product; Part 1 reuses it.
    """
    import pandas as pd

    from .models import build_baseline
    from .pipeline import labelled_subset

    counts = _checked_label_counts(methods, label_counts)
    num_classes = int(np.max(y_train)) + 1
    if build_scratch is None:
        build_scratch = functools.partial(build_baseline, tuple(x_train.shape[1:]), num_classes)
    base = extract_base(pretrained)
    budget = _Budget(epochs, fine_tune_epochs, fine_tune_factor, batch_size, learning_rate, verbose)
    rows = []
    for count in counts:
        for seed in seeds:
            subset = labelled_subset(x_train, y_train, count, seed=seed)
            runs = _runs_on_subset(
                subset,
                seed,
                methods=methods,
                build_scratch=build_scratch,
                base=base,
                num_classes=num_classes,
                budget=budget,
            )
            # Each model is measured as soon as it is yielded, before the next run changes it.
            for method, model, seconds in runs:
                right = _correct(model, x_test, y_test)
                rows.append((count, method, seed, float(right.mean()), seconds, right))
    table = pd.DataFrame(rows, columns=[*_COLUMNS, "correct"])
    return table if keep_correct else table.drop(columns="correct")


def correct_by_seed(table: pd.DataFrame, labels: int, method: str) -> np.ndarray:
    """The ``correct`` arrays of one budget and method, one row per seed (sorted): ``(seeds, n)``.

    ``table`` comes from :func:`compare_label_budgets` with ``keep_correct=True``; two
    such arrays, of the same seeds, are what :func:`companion.comparison.compare` pairs.
    Raises ``ValueError`` when the column or the runs are missing.
    Used in: Part 3, From model to product; Part 1, Pretraining and fine-tuning.
    """
    if "correct" not in table.columns:
        raise ValueError(
            "table has no 'correct' column: call compare_label_budgets(..., keep_correct=True)."
        )
    rows = table[(table["labels"] == labels) & (table["method"] == method)].sort_values("seed")
    if rows.empty:
        raise ValueError(
            f"no run with labels={labels} and method={method!r}; the table has labels "
            f"{sorted(set(table['labels']))} and methods {sorted(set(table['method']))}."
        )
    return np.stack([np.asarray(right, dtype=bool) for right in rows["correct"]])
