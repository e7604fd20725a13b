"""Convolutional networks for 28×28 grey images: the baseline and the improved network.

Both builders return an *uncompiled* ``keras.Model`` whose input is ``float32``
images in ``[0, 1]`` of shape ``input_shape`` and whose output is ``num_classes``
softmax probabilities; :func:`companion.training.train` compiles and trains them.
Data augmentation lives inside the improved model as Keras preprocessing layers,
which are active during training only.

Defined in Part 3, "A baseline CNN" and "Making it better"; Part 1 and Part 4 reuse them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import keras

__all__ = [
    "build_augmentation",
    "build_baseline",
    "build_improved",
    "conv_base_output",
    "logits_model",
    "probabilities_head",
    "recalibrate_batch_norm",
]


def _check_common(input_shape: Sequence[int], num_classes: int) -> tuple[int, ...]:
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            f"input_shape must be (height, width, channels) with positive sizes, got {input_shape!r}."
        )
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 2:
        raise ValueError(f"num_classes must be an int of at least 2, got {num_classes!r}.")
    return shape


def _check_filters(filters: Sequence[int]) -> tuple[int, ...]:
    values = tuple(filters)
    if not values or not all(isinstance(f, int) and f > 0 for f in values):
        raise ValueError(f"filters must be a non-empty sequence of positive ints, got {filters!r}.")
    return values


def build_baseline(
    input_shape: Sequence[int] = (28, 28, 1),
    num_classes: int = 10,
    *,
    filters: Sequence[int] = (32, 64, 64),
    dense_units: int = 64,
    name: str = "baseline",
) -> keras.Model:
    """The small CNN most tutorials use: three 3×3 convolutions, two max-poolings, Dense 64.

    With the defaults: Conv2D 32 → MaxPool → Conv2D 64 → MaxPool → Conv2D 64 →
    Flatten → Dense 64 → Dense ``num_classes`` (softmax); 93,322 parameters on MNIST.
    Every convolution but the last is followed by 2×2 max pooling.
    Used in: Part 3, The data; A baseline CNN; Looking inside; From model to product; Part 4, Vision in a product.
    """
    import keras
    from keras import layers

    shape = _check_common(input_shape, num_classes)
    filters = _check_filters(filters)
    if dense_units < 1:
        raise ValueError(f"dense_units must be positive, got {dense_units}.")
    inputs = keras.Input(shape=shape, name="image")
    x = inputs
    for index, count in enumerate(filters):
        x = layers.Conv2D(count, 3, activation="relu", name=f"conv{index + 1}")(x)
        if index < len(filters) - 1:
            x = layers.MaxPooling2D(2, name=f"pool{index + 1}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense_units, activation="relu", name="dense")(x)
    outputs = probabilities_head(x, num_classes)
    return keras.Model(inputs, outputs, name=name)


def build_augmentation(
    *,
    translate: float = 0.1,
    rotate_degrees: float = 0.0,
    zoom: float = 0.0,
    flip: bool = False,
    name: str = "augment",
) -> keras.Sequential:
    """A ``keras.Sequential`` of random preprocessing layers, active in training only.

    ``translate`` is a fraction of the image size (0.1 → up to ±2.8 pixels on 28×28),
    ``rotate_degrees`` a maximum angle, ``zoom`` a fraction; ``flip`` adds horizontal
    flips (right for clothing, wrong for digits). Used in: Part 3, Making it better.
    """
    import keras
    from keras import layers

    for argument, value in (("translate", translate), ("zoom", zoom)):
        if not 0.0 <= value < 1.0:
            raise ValueError(f"{argument} must be in [0, 1), got {value}.")
    if not 0.0 <= rotate_degrees <= 180.0:
        raise ValueError(f"rotate_degrees must be in [0, 180], got {rotate_degrees}.")
    steps: list[keras.layers.Layer] = []
    if flip:
        steps.append(layers.RandomFlip("horizontal"))
    if rotate_degrees:
        steps.append(layers.RandomRotation(rotate_degrees / 360.0, fill_mode="constant"))
    if zoom:
        steps.append(layers.RandomZoom(zoom, fill_mode="constant"))
    if translate:
        steps.append(layers.RandomTranslation(translate, translate, fill_mode="constant"))
    if keras.backend.backend() == "jax":
        # Keras marks RandomZoom and RandomTranslation as not XLA-compatible (a TensorFlow
        # limit), and a JAX model holding one then trains op by op, uncompiled: 2.8x slower
        # per epoch on a CPU, 6x with mixed precision, where XLA's CPU compiler also crashed
        # on the loss-scaling step. Under JAX they compile (tests/test_models.py).
        for step in steps:
            step.supports_jit = True
    return keras.Sequential(steps, name=name)


def build_improved(
    input_shape: Sequence[int] = (28, 28, 1),
    num_classes: int = 10,
    *,
    filters: Sequence[int] = (16, 32, 64),
    convs_per_block: int = 1,
    batch_norm: bool = True,
    dropout: float = 0.3,
    dense_units: int = 128,
    augment: bool = True,
    translate: float = 0.1,
    rotate_degrees: float = 0.0,
    zoom: float = 0.0,
    flip: bool = False,
    padding: str = "valid",
    batch_norm_skip: int = 2,
    pool_last: bool = False,
    name: str = "improved",
) -> keras.Model:
    """The baseline's layout with the improvements of "Making it better", each switchable.

    Layers: random augmentation (``augment``: shifts of up to ``translate`` of the
    size, optional rotation, zoom and horizontal flips; active in training only),
    then one block per entry of ``filters``: ``convs_per_block`` 3×3 convolutions,
    each followed by batch normalization (``batch_norm``) and ReLU, and 2×2 max
    pooling after every block but the last (after the last too with ``pool_last``,
    useful with ``padding="same"``); then Flatten, dropout (``dropout``),
    Dense ``dense_units`` with ReLU, dropout again and the softmax output.

    Batch normalization skips the first ``batch_norm_skip`` blocks: on a CPU its cost
    grows with the size of the feature maps, so normalising the large maps of the
    first blocks costs much time (measured in "Making it better").
    Turning ``augment``, ``batch_norm`` or ``dropout`` off gives the rows of the
    ablation table. Used in: Part 3, Making it better.
    """
    import keras
    from keras import layers

    shape = _check_common(input_shape, num_classes)
    filters = _check_filters(filters)
    if convs_per_block < 1:
        raise ValueError(f"convs_per_block must be at least 1, got {convs_per_block}.")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
    if dense_units < 1:
        raise ValueError(f"dense_units must be positive, got {dense_units}.")
    if not isinstance(batch_norm_skip, int) or batch_norm_skip < 0:
        raise ValueError(f"batch_norm_skip must be a non-negative int, got {batch_norm_skip!r}.")
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}.")
    inputs = keras.Input(shape=shape, name="image")
    x = inputs
    if augment:
        x = build_augmentation(
            translate=translate, rotate_degrees=rotate_degrees, zoom=zoom, flip=flip
        )(x)
    for block, count in enumerate(filters, start=1):
        normalise = batch_norm and block > batch_norm_skip
        for conv in range(1, convs_per_block + 1):
            x = layers.Conv2D(
                count, 3, padding=padding, use_bias=not normalise, name=f"conv{block}_{conv}"
            )(x)
            if normalise:
                x = layers.BatchNormalization(name=f"bn{block}_{conv}")(x)
            x = layers.Activation("relu", name=f"relu{block}_{conv}")(x)
        if block < len(filters) or pool_last:
            x = layers.MaxPooling2D(2, name=f"pool{block}")(x)
    x = layers.Flatten(name="flatten")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout1")(x)
    x = layers.Dense(dense_units, activation="relu", name="dense")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout2")(x)
    outputs = probabilities_head(x, num_classes)
    return keras.Model(inputs, outputs, name=name)


def probabilities_head(features: keras.KerasTensor, num_classes: int) -> keras.KerasTensor:
    """The classifier's output: a ``Dense`` layer named ``logits``, then a float32 softmax.

    Keeping the softmax a layer of its own makes the class scores before the softmax
    reachable (``model.get_layer("logits").output``, for saliency and Grad-CAM), and
    giving it ``dtype="float32"`` keeps the probabilities in full precision under a
    mixed-precision policy, as the Keras mixed-precision guide recommends.
    Used in: every model of :func:`build_baseline`, :func:`build_improved` and
    :func:`companion.transfer.build_transfer_model`; Part 3, Looking inside.
    """
    from keras import layers

    logits = layers.Dense(num_classes, name="logits")(features)
    return layers.Activation("softmax", dtype="float32", name="probabilities")(logits)


def logits_model(model: keras.Model) -> keras.Model:
    """A model with the same inputs that returns the class scores before the softmax.

    Raises ``ValueError`` for a model without a ``logits`` layer (one not built here).
    For saliency and Grad-CAM on the class scores; no chapter calls it yet.
    """
    import keras

    names = [layer.name for layer in model.layers]
    if "logits" not in names:
        raise ValueError(
            f"model {model.name!r} has no layer named 'logits' (its layers: {names[-3:]} ...); "
            "build it with companion.models, whose output is Dense 'logits' then softmax."
        )
    return keras.Model(model.inputs, model.get_layer("logits").output, name=f"{model.name}_logits")


def conv_base_output(model: keras.Model) -> keras.layers.Layer:
    """The layer whose output is the convolutional features: the model's ``Flatten`` layer.

    Raises ``ValueError`` when the model has no ``Flatten`` or global pooling layer.
    Used in: Part 3, From model to product (through
    :func:`companion.transfer.compare_label_budgets`).
    """
    from keras import layers

    for layer in model.layers:
        if isinstance(layer, (layers.Flatten, layers.GlobalAveragePooling2D)):
            return layer
    raise ValueError(
        f"model {model.name!r} has no Flatten or GlobalAveragePooling2D layer to cut at; "
        "expected a model built by companion.models."
    )


def recalibrate_batch_norm(
    model: keras.Model, images: np.ndarray, *, batch_size: int = 512
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Re-estimate the running mean and variance of every batch normalization layer.

    Training keeps an exponential moving average of each batch's statistics
    (momentum 0.99: roughly the last hundred steps). When the weights still move fast
    at the end of training, that average describes older weights, and inference,
    which uses it, sees mis-scaled features. This passes ``images`` (training images,
    never test images) through the model in inference mode and sets each layer's
    ``moving_mean`` and ``moving_variance`` to the exact mean and (biased) variance
    of its inputs over all of them, layer after layer (a later layer's inputs depend
    on the earlier layers' new statistics). Augmentation and dropout stay off. Works
    on every backend; changes ``model`` in place and returns ``{layer name: (mean,
    variance)}``. Raises ``ValueError`` when ``model`` has no batch normalization
    layer of its own (nested models are not searched).
    Used in: Part 3, Making it better.
    """
    import keras

    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    if not norms:
        raise ValueError(
            f"model {model.name!r} has no BatchNormalization layer among its own layers; "
            "there are no statistics to recalibrate (build it with batch_norm=True)."
        )
    if len(images) < 2 or batch_size < 1:
        raise ValueError(
            f"need at least 2 images and batch_size >= 1; got {len(images)}, {batch_size}."
        )
    statistics = {}
    for layer in norms:
        probe = keras.Model(model.inputs, layer.input)
        total = squares = 0.0
        count = 0
        for start in range(0, len(images), batch_size):
            values = keras.ops.convert_to_numpy(
                probe(images[start : start + batch_size], training=False)
            )
            values = np.moveaxis(values.astype(np.float64), layer.axis, -1)
            values = values.reshape(-1, values.shape[-1])
            total, squares, count = (
                total + values.sum(0),
                squares + (values**2).sum(0),
                count + len(values),
            )
        mean = total / count
        variance = np.maximum(squares / count - mean**2, 0.0)
        layer.moving_mean.assign(mean.astype(layer.moving_mean.dtype))
        layer.moving_variance.assign(variance.astype(layer.moving_variance.dtype))
        statistics[layer.name] = (mean, variance)
    return statistics
