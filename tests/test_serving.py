"""predict validates its input; save/load and the server export round-trip."""

from __future__ import annotations

import numpy as np
import pytest

from companion import models, serving


@pytest.fixture(scope="module")
def model():
    return models.build_baseline((8, 8, 1), 3, filters=(4, 4), dense_units=4)


def test_predict_accepts_one_image_or_a_batch(model):
    one = serving.predict(model, np.zeros((8, 8), np.float32), ["x", "y", "z"])
    assert one.labels.shape == (1,) and one.names[0] in {"x", "y", "z"}
    batch = serving.predict(model, np.full((5, 8, 8, 1), 0.5))
    assert batch.probabilities.shape == (5, 3)
    assert np.allclose(batch.confidence, batch.probabilities.max(axis=1))


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (np.zeros((8, 8), np.uint8), r"dtype uint8.*prepare_images"),
        (np.zeros((2, 8, 8, 3), np.float32), r"shape \(2, 8, 8, 3\)"),
        (np.zeros((7, 8), np.float32), "must have shape"),
        (np.zeros((0, 8, 8), np.float32), "n >= 1"),
        (np.full((8, 8), 255.0, np.float32), r"\[0, 1\].*divide by 255"),
        (np.full((8, 8), -0.1, np.float32), r"from -0.1 to -0.1"),
        (np.full((8, 8), np.nan, np.float32), "NaN"),
        (np.array([["a"] * 8] * 8), "floating-point"),
    ],
)
def test_predict_rejects_bad_input_with_a_clear_error(model, images, message):
    with pytest.raises(serving.InputError, match=message):
        serving.predict(model, images)


def test_input_error_is_a_value_error():
    assert issubclass(serving.InputError, ValueError)


def test_save_and_load_give_the_same_predictions(model, tmp_path):
    x = np.random.default_rng(0).random((4, 8, 8, 1)).astype(np.float32)
    path = serving.save(model, tmp_path / "m.keras")
    again = serving.load(path)
    assert np.allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(ValueError, match=".keras"):
        serving.save(model, tmp_path / "m.h5")
    with pytest.raises(FileNotFoundError, match="no saved model"):
        serving.load(tmp_path / "missing.keras")


def test_export_for_server_round_trips(model, tmp_path):
    x = np.random.default_rng(1).random((3, 8, 8, 1)).astype(np.float32)
    folder = serving.export_for_server(model, tmp_path / "export")
    loaded = serving.load_exported(folder)
    assert np.allclose(np.asarray(loaded.serve(x)), model.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(FileExistsError, match="not empty"):
        serving.export_for_server(model, folder)


def test_predict_arguments_are_checked_with_a_clear_error(model):
    image = np.zeros((8, 8), np.float32)
    with pytest.raises(serving.InputError, match="2 class names for a model with 3 classes"):
        serving.predict(model, np.full((4, 8, 8), 0.5, np.float32), ["x", "y"])
    with pytest.raises(serving.InputError, match="batch_size must be a positive whole number"):
        serving.predict(model, image, batch_size=-1)
    with pytest.raises(serving.InputError, match="images is None"):
        serving.predict(model, None)


def test_a_damaged_model_file_is_not_reported_as_missing(model, tmp_path):
    text = tmp_path / "notes.keras"
    text.write_text("not a model")
    with pytest.raises(ValueError, match="not a .keras model file") as raised:
        serving.load(text)
    assert str(text) in str(raised.value) and "File not found" not in str(raised.value)
    saved = serving.save(model, tmp_path / "m.keras")
    truncated = tmp_path / "cut.keras"
    truncated.write_bytes(saved.read_bytes()[:-200])
    with pytest.raises(ValueError, match="damaged or truncated") as raised:
        serving.load(truncated)
    assert "save it again" in str(raised.value)
