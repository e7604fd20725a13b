"""Low-rank adaptation (LoRA): the update ``W + (alpha / r) B A``, by hand and with Keras.

The NumPy half (:func:`lora_forward`, :func:`lora_backward`) uses the paper's
notation: ``W`` is ``(d_out, d_in)``, ``A`` is ``(r, d_in)`` (random at the start),
``B`` is ``(d_out, r)`` (zero at the start), and a batch ``X`` is ``(n, d_in)``.
Keras stores every one of them transposed (``kernel = W.T``, ``lora_kernel_a = A.T``,
``lora_kernel_b = B.T``), because it multiplies rows: ``X @ kernel``.

The Keras half puts adapters on the tiny GPT of Part 4 (:func:`add_lora`), gives it a
classification head (:func:`build_classifier`), saves and loads only the weights a
method trained (:func:`save_adapter`, :func:`load_adapter`), and folds adapters into
the base weights for serving (:func:`merge_lora`). Everything runs on every backend.
Defined in Part 4, "Fine-tuning with low-rank adapters".
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from .language import PAD, TransformerBlock

__all__ = [
    "LastPosition",
    "adapted_layers",
    "add_lora",
    "build_classifier",
    "effective_rank",
    "freeze",
    "load_adapter",
    "lora_backward",
    "lora_forward",
    "merge_lora",
    "remove_lora",
    "save_adapter",
    "trainable_count",
]

DEFAULT_TARGETS = ("mlp_in", "mlp_out")  # the Dense layers of each TransformerBlock's MLP


# --------------------------------------------------------------------------- NumPy
def _lora_shapes(x: np.ndarray, w: np.ndarray, a: np.ndarray, b: np.ndarray) -> int:
    """Check the shapes of a LoRA layer and return its rank ``r``."""
    if x.ndim != 2 or w.ndim != 2 or a.ndim != 2 or b.ndim != 2:
        raise ValueError("x, w, a and b must all be 2-D (a batch of rows and three matrices).")
    d_out, d_in = w.shape
    rank = a.shape[0]
    expected = {"x": (x.shape[0], d_in), "a": (rank, d_in), "b": (d_out, rank)}
    for name, got in (("x", x.shape), ("a", a.shape), ("b", b.shape)):
        if got != expected[name]:
            raise ValueError(
                f"{name} has shape {got}; with w of shape (d_out, d_in) = {w.shape} and a of "
                f"rank {rank}, it must be {expected[name]} (x: (n, d_in), a: (r, d_in), "
                "b: (d_out, r))."
            )
    return rank


def lora_forward(
    x: np.ndarray, w: np.ndarray, bias: np.ndarray, a: np.ndarray, b: np.ndarray, alpha: float
) -> np.ndarray:
    """``Y = X Wᵀ + bias + (alpha / r) (X Aᵀ) Bᵀ``: a dense layer with a LoRA update.

    ``x`` is ``(n, d_in)``, ``w`` ``(d_out, d_in)``, ``a`` ``(r, d_in)``, ``b`` ``(d_out, r)``.
    The update is applied as two thin products, never as the full ``d_out × d_in``
    matrix ``B A``. Used in: Part 4, Fine-tuning with low-rank adapters.
    """
    x, w, a, b = (np.asarray(v, dtype=float) for v in (x, w, a, b))
    rank = _lora_shapes(x, w, a, b)
    return x @ w.T + np.asarray(bias, dtype=float) + (alpha / rank) * (x @ a.T) @ b.T


def lora_backward(
    x: np.ndarray,
    w: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    alpha: float,
    grad_y: np.ndarray,
) -> dict[str, np.ndarray]:
    """Gradients of a LoRA layer given ``grad_y = dL/dY`` ``(n, d_out)``: keys ``a``, ``b``, ``x``.

    With ``s = alpha / r`` and ``U = X Aᵀ``: ``dB = s Gᵀ U``, ``dA = s (G B)ᵀ X`` and
    ``dX = G W + s (G B) A``. ``W`` gets no gradient: it is frozen.
    Used in: Part 4, Fine-tuning with low-rank adapters.
    """
    x, w, a, b, g = (np.asarray(v, dtype=float) for v in (x, w, a, b, grad_y))
    rank = _lora_shapes(x, w, a, b)
    if g.shape != (x.shape[0], w.shape[0]):
        raise ValueError(
            f"grad_y has shape {g.shape}; it must be (n, d_out) = {(x.shape[0], w.shape[0])}."
        )
    scale = alpha / rank
    gb = g @ b  # (n, r): the gradient reaching the rank-r bottleneck
    return {"a": scale * gb.T @ x, "b": scale * g.T @ (x @ a.T), "x": g @ w + scale * gb @ a}


def effective_rank(matrix: np.ndarray, share: float = 0.9) -> int:
    """How many singular values of ``matrix`` hold ``share`` of its squared Frobenius norm.

    A rank-``r`` matrix needs at most ``r``; a random square one needs most of them.
    Used in: Part 4, Fine-tuning with low-rank adapters.
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}.")
    singular = np.linalg.svd(np.asarray(matrix, dtype=float), compute_uv=False)
    energy = np.cumsum(singular**2)
    if energy[-1] == 0:
        return 0
    return int(np.searchsorted(energy / energy[-1], share - 1e-12) + 1)


# --------------------------------------------------------------------------- Keras
def adapted_layers(
    model: keras.Model, targets: Sequence[str] = DEFAULT_TARGETS
) -> list[keras.layers.Dense]:
    """The Dense layers named ``targets`` inside every :class:`TransformerBlock` of ``model``.

    Used in: Part 4, Fine-tuning with low-rank adapters, through :func:`add_lora`.
    """
    blocks = [layer for layer in model.layers if isinstance(layer, TransformerBlock)]
    if not blocks:
        raise ValueError(f"model {model.name!r} has no TransformerBlock to adapt.")
    found = []
    for block in blocks:
        for name in targets:
            layer = getattr(block, name, None)
            if not isinstance(layer, keras.layers.Dense):
                raise ValueError(
                    f"{block.name} has no Dense layer {name!r}; try {DEFAULT_TARGETS}."
                )
            found.append(layer)
    return found


def freeze(model: keras.Model, keep: Sequence[str] = ()) -> None:
    """Make every weight of ``model`` untrainable, except those of the layers named ``keep``.

    Works weight by weight, so that adapters added afterwards stay trainable.
    Used in: Part 4, Fine-tuning with low-rank adapters.
    """
    kept = [model.get_layer(name) for name in keep]
    for variable in model.weights:
        variable.trainable = False
    for layer in kept:
        for variable in layer.weights:
            variable.trainable = True


def add_lora(
    model: keras.Model,
    rank: int,
    *,
    targets: Sequence[str] = DEFAULT_TARGETS,
    alpha: float | None = None,
    seed: int = 0,
) -> list[keras.layers.Dense]:
    """Put a rank-``rank`` adapter (Keras's ``enable_lora``) on each target layer; return them.

    ``A`` starts He-uniform (seeded, a different seed per layer), ``B`` at zero, so the
    model computes exactly what it did before. The kernel is frozen by Keras; the bias
    keeps the trainable flag it had (call :func:`freeze` first to freeze it).
    ``alpha`` defaults to ``rank`` (Keras's default: a scale of 1).
    Used in: Part 4, Fine-tuning with low-rank adapters.
    """
    if not isinstance(rank, int) or rank < 1:
        raise ValueError(f"rank must be a positive int, got {rank!r}.")
    layers = adapted_layers(model, targets)
    for index, layer in enumerate(layers):
        layer.enable_lora(
            rank,
            lora_alpha=alpha,
            a_initializer=keras.initializers.HeUniform(seed=seed * 1000 + index),
        )
    return layers


def remove_lora(model: keras.Model, targets: Sequence[str] = DEFAULT_TARGETS) -> int:
    """Switch every adapter of ``model`` off by setting ``B`` (``lora_kernel_b``) to zero.

    The model then computes exactly what its frozen base does; loading an adapter file
    switches it back on. Returns how many adapters were cleared.
    Used in: Part 4, Fine-tuning with low-rank adapters.
    """
    cleared = 0
    for layer in adapted_layers(model, targets):
        if layer.lora_enabled:
            layer.lora_kernel_b.assign(keras.ops.zeros(layer.lora_kernel_b.shape))
            cleared += 1
    return cleared


def trainable_count(model: keras.Model) -> int:
    """The number of trainable parameters of ``model`` (weight by weight).

    Used in: Part 4, Fine-tuning with low-rank adapters.
    """
    return int(sum(np.prod(variable.shape) for variable in model.trainable_weights))


@keras.saving.register_keras_serializable(package="companion")
class LastPosition(keras.layers.Layer):
    """The vector at each row's last non-padding position: ``(batch, t, d)`` to ``(batch, d)``.

    In a causal Transformer that position is the only one that has seen the whole input.
    """

    def call(self, hidden, ids):
        lengths = keras.ops.sum(keras.ops.cast(keras.ops.not_equal(ids, PAD), "int32"), axis=1)
        pick = keras.ops.one_hot(lengths - 1, keras.ops.shape(ids)[1], dtype=hidden.dtype)
        return keras.ops.einsum("bt,btd->bd", pick, hidden)

    def compute_output_shape(self, hidden_shape, ids_shape):
        return (hidden_shape[0], hidden_shape[-1])


def build_classifier(
    language_model: keras.Model, num_classes: int, *, features: str = "final_norm"
) -> keras.Model:
    """A classifier sharing ``language_model``'s layers: its ``features`` at the last position, then a Dense head.

    The head is a new layer named ``"head"`` that outputs ``num_classes`` logits. Because
    the layers are shared, training the classifier changes the language model too,
    unless they are frozen. Used in: Part 4, Fine-tuning with low-rank adapters.
    """
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}.")
    ids = language_model.input
    hidden = language_model.get_layer(features).output
    pooled = LastPosition(name="last_position")(hidden, ids)
    logits = keras.layers.Dense(num_classes, dtype="float32", name="head")(pooled)
    return keras.Model(ids, logits, name=f"{language_model.name}_classifier")


def save_adapter(model: keras.Model, path: str | os.PathLike[str]) -> int:
    """Save only the trainable weights of ``model`` (keyed by path) to an ``.npz`` file.

    Returns the file's size in bytes. For a LoRA model that is ``A``, ``B`` and the
    head; for full fine-tuning, everything. Used in: Part 4, Fine-tuning with low-rank adapters.
    """
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"adapter files are .npz archives; got {path.name!r}.")
    weights = {
        v.path: keras.ops.convert_to_numpy(v.value).astype(np.float32)
        for v in model.trainable_weights
    }
    if not weights:
        raise ValueError(f"model {model.name!r} has no trainable weights to save.")
    np.savez(path, **{key.replace("/", "|"): value for key, value in weights.items()})
    return path.stat().st_size


def load_adapter(model: keras.Model, path: str | os.PathLike[str]) -> list[str]:
    """Assign the weights of an adapter file (from :func:`save_adapter`) to ``model``; return their paths.

    Raises ``ValueError`` naming a weight the file has and the model lacks, or a shape
    mismatch. Used in: Part 4, Fine-tuning with low-rank adapters.
    """
    by_path = {variable.path: variable for variable in model.weights}
    with np.load(path) as archive:
        stored = {key.replace("|", "/"): archive[key] for key in archive.files}
    for key, value in stored.items():
        if key not in by_path:
            raise ValueError(f"{Path(path).name} holds {key!r}, which model {model.name!r} lacks.")
        if tuple(by_path[key].shape) != value.shape:
            raise ValueError(
                f"{key}: file has shape {value.shape}, model {tuple(by_path[key].shape)}."
            )
    for key, value in stored.items():
        by_path[key].assign(value)
    return sorted(stored)


def merge_lora(
    source: keras.Model, target: keras.Model, targets: Sequence[str] = DEFAULT_TARGETS
) -> int:
    """Copy ``source``'s weights into the same model without adapters, folding each adapter in.

    ``target`` must be the same architecture built without LoRA; each adapted kernel
    among ``targets`` becomes ``kernel + (alpha / r) lora_kernel_a @ lora_kernel_b``.
    Returns how many kernels were merged. Used in: Part 4, Fine-tuning with low-rank adapters.
    """
    values = {v.path: keras.ops.convert_to_numpy(v.value) for v in source.weights}
    merged = 0
    for layer in adapted_layers(source, targets):
        if not layer.lora_enabled:
            continue
        prefix = layer.lora_kernel_a.path.rsplit("/", 1)[0]
        a, b = values.pop(f"{prefix}/lora_kernel_a"), values.pop(f"{prefix}/lora_kernel_b")
        values[f"{prefix}/kernel"] = (
            values[f"{prefix}/kernel"] + (layer.lora_alpha / layer.lora_rank) * a @ b
        )
        merged += 1
    wanted = {v.path for v in target.weights}
    if wanted != set(values):
        raise ValueError(
            f"source and target differ in weights: {sorted(wanted ^ set(values))[:5]}; target "
            "must be the same architecture built without adapters."
        )
    for variable in target.weights:
        variable.assign(values[variable.path])
    return merged
