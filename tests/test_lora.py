"""Low-rank adapters: the NumPy layer and its gradients, Keras's LoRA, adapter files, merging."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from companion import lora
from companion.language import build_tiny_gpt
from companion.numpy_nn import gradient_check


@pytest.fixture
def layer_arrays():
    rng = np.random.default_rng(0)
    return {
        "x": rng.normal(size=(5, 6)),
        "w": rng.normal(size=(4, 6)),
        "bias": rng.normal(size=4),
        "a": rng.normal(size=(3, 6)),
        "b": rng.normal(size=(4, 3)),
        "alpha": 2.0,
    }


def test_lora_forward_with_zero_b_is_the_plain_dense_layer(layer_arrays):
    v = layer_arrays
    out = lora.lora_forward(v["x"], v["w"], v["bias"], v["a"], np.zeros_like(v["b"]), v["alpha"])
    np.testing.assert_allclose(out, v["x"] @ v["w"].T + v["bias"])


def test_lora_forward_equals_the_merged_matrix(layer_arrays):
    v = layer_arrays
    merged = v["w"] + (v["alpha"] / 3) * v["b"] @ v["a"]
    out = lora.lora_forward(v["x"], v["w"], v["bias"], v["a"], v["b"], v["alpha"])
    np.testing.assert_allclose(out, v["x"] @ merged.T + v["bias"], rtol=1e-12)


@pytest.mark.parametrize("name", ["a", "b", "x"])
def test_lora_backward_passes_a_finite_difference_check(layer_arrays, name):
    v = layer_arrays
    g = np.random.default_rng(1).normal(size=(5, 4))
    grads = lora.lora_backward(v["x"], v["w"], v["a"], v["b"], v["alpha"], g)

    def loss(value):
        args = {**v, name: value}
        return np.sum(
            g
            * lora.lora_forward(
                args["x"], args["w"], args["bias"], args["a"], args["b"], v["alpha"]
            )
        )

    assert gradient_check(loss, v[name], grads[name]) < 1e-7


def test_lora_shapes_are_checked_with_a_clear_message(layer_arrays):
    v = layer_arrays
    with pytest.raises(ValueError, match=r"b has shape \(3, 4\)"):
        lora.lora_forward(v["x"], v["w"], v["bias"], v["a"], v["b"].T, v["alpha"])
    with pytest.raises(ValueError, match="grad_y"):
        lora.lora_backward(v["x"], v["w"], v["a"], v["b"], v["alpha"], np.ones((5, 3)))


def test_effective_rank_counts_the_directions_that_hold_the_energy():
    rng = np.random.default_rng(0)
    low = rng.normal(size=(20, 3)) @ rng.normal(size=(3, 30))
    assert lora.effective_rank(low, share=0.999) <= 3
    assert lora.effective_rank(np.eye(10), share=0.9) == 9
    assert lora.effective_rank(np.zeros((4, 4))) == 0
    with pytest.raises(ValueError, match="share"):
        lora.effective_rank(low, share=0.0)


def test_numpy_lora_matches_keras_enable_lora(layer_arrays):
    v = layer_arrays
    dense = keras.layers.Dense(4, dtype="float32")
    dense.build((None, 6))
    dense.enable_lora(3, lora_alpha=v["alpha"])
    dense.set_weights([v["w"].T, v["bias"], v["a"].T, v["b"].T])
    got = keras.ops.convert_to_numpy(dense(v["x"].astype("float32")))
    expected = lora.lora_forward(v["x"], v["w"], v["bias"], v["a"], v["b"], v["alpha"])
    np.testing.assert_allclose(got, expected, atol=1e-4)


def _tiny():
    keras.utils.set_random_seed(0)
    return build_tiny_gpt(7, 5, d_model=8, num_heads=2, num_layers=2)


def _ids():
    return np.array([[1, 3, 4, 0, 0], [1, 5, 6, 2, 0], [1, 2, 0, 0, 0]], dtype="int32")


def _predict(model):
    return keras.ops.convert_to_numpy(model(_ids(), training=False))


def test_add_lora_starts_from_the_pretrained_model_and_trains_only_adapters():
    model = _tiny()
    before = _predict(model)
    lora.freeze(model)
    layers = lora.add_lora(model, 2, seed=3)
    assert len(layers) == 4  # mlp_in and mlp_out of two blocks
    np.testing.assert_allclose(_predict(model), before, atol=1e-6)
    assert lora.trainable_count(model) == 4 * 2 * (8 + 32)
    with pytest.raises(ValueError, match="rank"):
        lora.add_lora(_tiny(), 0)


def test_freeze_keeps_only_the_named_layers_trainable():
    classifier = lora.build_classifier(_tiny(), num_classes=3)
    lora.freeze(classifier, keep=["head"])
    assert lora.trainable_count(classifier) == 8 * 3 + 3


def test_last_position_picks_each_rows_last_real_token():
    hidden = np.arange(3 * 5 * 2, dtype="float32").reshape(3, 5, 2)
    got = keras.ops.convert_to_numpy(lora.LastPosition()(hidden, _ids()))
    np.testing.assert_array_equal(got, hidden[[0, 1, 2], [2, 3, 1]])


def test_build_classifier_shares_the_language_models_layers():
    base = _tiny()
    classifier = lora.build_classifier(base, num_classes=2)
    assert classifier(_ids()).shape == (3, 2)
    assert base.get_layer("block1") is classifier.get_layer("block1")
    with pytest.raises(ValueError, match="num_classes"):
        lora.build_classifier(base, 1)


def _adapted(seed=0):
    model = _tiny()
    lora.freeze(model)
    layers = lora.add_lora(model, 2, seed=seed)
    for i, layer in enumerate(layers):  # a non-zero adapter, as after training
        layer.lora_kernel_b.assign(np.full(layer.lora_kernel_b.shape, 0.1 * (i + 1), "float32"))
    return model


def test_adapter_files_hold_only_the_trained_weights_and_load_back(tmp_path):
    model = _adapted()
    trained = _predict(model)
    size = lora.save_adapter(model, tmp_path / "adapter.npz")
    assert size == (tmp_path / "adapter.npz").stat().st_size
    with np.load(tmp_path / "adapter.npz") as archive:
        assert len(archive.files) == 8 and all("lora_kernel" in key for key in archive.files)
    lora.remove_lora(model)
    assert not np.allclose(_predict(model), trained)
    assert len(lora.load_adapter(model, tmp_path / "adapter.npz")) == 8
    np.testing.assert_allclose(_predict(model), trained, atol=1e-6)
    with pytest.raises(ValueError, match=".npz"):
        lora.save_adapter(model, tmp_path / "adapter.h5")
    with pytest.raises(ValueError, match="lacks"):
        lora.load_adapter(_tiny(), tmp_path / "adapter.npz")


def test_remove_lora_gives_back_the_base_model_exactly():
    base_output = _predict(_tiny())
    model = _adapted()
    assert lora.remove_lora(model) == 4
    np.testing.assert_allclose(_predict(model), base_output, atol=1e-6)


def test_merge_lora_folds_the_adapter_into_a_plain_model():
    model = _adapted()
    merged = _tiny()
    assert lora.merge_lora(model, merged) == 4
    np.testing.assert_allclose(_predict(merged), _predict(model), atol=1e-5)
    with pytest.raises(ValueError, match="same architecture"):
        lora.merge_lora(model, build_tiny_gpt(7, 5, d_model=8, num_heads=2, num_layers=1))
