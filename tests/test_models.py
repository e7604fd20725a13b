"""Model builders: shapes, parameter counts, validation."""

from __future__ import annotations

import numpy as np
import pytest

from companion import models


def test_baseline_has_the_textbook_shapes_and_parameter_count():
    model = models.build_baseline()
    assert model.count_params() == 93_322
    assert tuple(model.get_layer("conv3").output.shape[1:]) == (3, 3, 64)
    assert tuple(model.output.shape[1:]) == (10,)


def test_baseline_outputs_probabilities():
    model = models.build_baseline((12, 12, 1), 3, filters=(4, 4), dense_units=5)
    probabilities = model.predict(np.zeros((2, 12, 12, 1), np.float32), verbose=0)
    assert probabilities.shape == (2, 3) and np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize(
    ("options", "absent"),
    [
        ({"augment": False}, "augment"),
        ({"batch_norm": False}, "bn3_1"),
        ({"dropout": 0.0}, "dropout1"),
    ],
)
def test_improved_switches_remove_their_layers(options, absent):
    full = {layer.name for layer in models.build_improved(filters=(4, 4, 4), dense_units=8).layers}
    reduced = models.build_improved(filters=(4, 4, 4), dense_units=8, **options)
    assert absent in full and absent not in {layer.name for layer in reduced.layers}


def test_augmentation_is_inactive_at_inference():
    model = models.build_augmentation(translate=0.2, rotate_degrees=10, zoom=0.1, flip=True)
    images = np.random.default_rng(0).random((2, 8, 8, 1)).astype(np.float32)
    assert np.allclose(model(images, training=False), images)
    assert not np.allclose(model(images, training=True), images)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_shape": (28, 28)}, "input_shape"),
        ({"num_classes": 1}, "num_classes"),
        ({"filters": ()}, "filters"),
        ({"dropout": 1.0}, "dropout"),
    ],
)
def test_improved_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.build_improved(**kwargs)


def test_conv_base_output_finds_flatten_or_explains():
    import keras

    assert models.conv_base_output(models.build_baseline()).name == "flatten"
    dense_only = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="no Flatten"):
        models.conv_base_output(dense_only)


def test_improved_defaults_follow_the_baseline_layout():
    model = models.build_improved()
    names = [layer.name for layer in model.layers]
    assert names[:3] == ["image", "augment", "conv1_1"]
    assert "bn1_1" not in names and "bn2_1" not in names and "bn3_1" in names
    assert tuple(model.get_layer("conv3_1").output.shape[1:]) == (3, 3, 64)
    first = models.build_improved(batch_norm_skip=0, padding="same", augment=False)
    assert "bn1_1" in {layer.name for layer in first.layers}
    assert tuple(first.get_layer("conv3_1").output.shape[1:]) == (7, 7, 64)
    earlier = {layer.name for layer in models.build_improved(batch_norm_skip=1).layers}
    assert "bn1_1" not in earlier and "bn2_1" in earlier


def test_improved_can_pool_after_the_last_block():
    model = models.build_improved(filters=(8, 16), padding="same", pool_last=True, augment=False)
    assert tuple(model.get_layer("flatten").output.shape[1:]) == (7 * 7 * 16,)


def test_output_is_a_float32_softmax_after_a_logits_layer() -> None:
    import keras

    model = models.build_baseline()
    assert model.get_layer("probabilities").dtype_policy.compute_dtype == "float32"
    x = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32")
    scores = models.logits_model(model).predict(x, verbose=0)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(keras.ops.softmax(scores)),
        model.predict(x, verbose=0),
        atol=1e-6,
    )


def test_logits_model_rejects_a_model_without_logits() -> None:
    import keras

    inputs = keras.Input((3,))
    plain = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))
    with pytest.raises(ValueError, match="logits"):
        models.logits_model(plain)


@pytest.mark.parametrize("batch_size", [64, 7])
def test_recalibrated_statistics_make_inference_match_the_batch_statistics(batch_size):
    import keras

    keras.utils.set_random_seed(0)
    # Three normalised convolutions: each layer's statistics depend on the earlier ones'.
    model = models.build_improved(
        (12, 12, 1), 3, filters=(4, 4, 4), dense_units=5, dropout=0.0, augment=False,
        padding="same", batch_norm_skip=0,
    )  # fmt: skip
    images = np.random.default_rng(0).normal(0.5, 0.3, (64, 12, 12, 1)).astype(np.float32)
    stale = keras.ops.convert_to_numpy(model(images, training=False))
    statistics = models.recalibrate_batch_norm(model, images, batch_size=batch_size)
    assert sorted(statistics) == ["bn1_1", "bn2_1", "bn3_1"]
    recalibrated = keras.ops.convert_to_numpy(model(images, training=False))
    # Training mode normalises the one batch of all images by its own statistics.
    batch = keras.ops.convert_to_numpy(model(images, training=True))
    assert np.allclose(recalibrated, batch, atol=1e-4)
    assert not np.allclose(stale, batch, atol=1e-3)  # the fresh statistics were wrong


def test_recalibrating_a_model_without_batch_normalization_explains():
    model = models.build_baseline((12, 12, 1), 3, filters=(4, 4), dense_units=5)
    with pytest.raises(ValueError, match="no BatchNormalization"):
        models.recalibrate_batch_norm(model, np.zeros((4, 12, 12, 1), np.float32))


def test_a_model_with_augmentation_compiles_under_jax_and_draws_new_shifts_each_step():
    """Under JAX the headline model trains compiled (XLA), not op by op, and its random
    translation still moves each step: the seed state advances inside the compiled step."""
    import keras

    model = models.build_improved(
        (12, 12, 1), 3, filters=(4,), batch_norm=False, translate=0.2, dropout=0.0, dense_units=8
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    assert model.jit_compile is (keras.backend.backend() == "jax")
    generators = [
        g for layer in model._flatten_layers() for g in getattr(layer, "_seed_generators", [])
    ]
    assert generators, "the model has no random layer"
    before = [keras.ops.convert_to_numpy(g.state) for g in generators]
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 12, 12, 1)).astype("float32"), rng.integers(0, 3, 16)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    after = [keras.ops.convert_to_numpy(g.state) for g in generators]
    assert all(not np.array_equal(b, a) for b, a in zip(before, after, strict=True))
