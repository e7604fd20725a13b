"""The training helper: schedules, callbacks, resuming, determinism."""

from __future__ import annotations

import re

import numpy as np
import pytest

from companion import device, models, training


def _tiny(seed: int = 0, n: int = 64):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 8, 8, 1), dtype=np.float32)
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("int64")
    return x, y


def _model():
    return models.build_baseline((8, 8, 1), 2, filters=(4, 4), dense_units=4)


def test_warmup_cosine_rises_then_decays_to_the_floor():
    schedule = training.learning_rate_schedule(
        "warmup_cosine", 0.01, total_steps=100, warmup_steps=10
    )
    rates = [float(schedule(step)) for step in (0, 5, 10, 55, 100)]
    assert rates[0] == pytest.approx(0.0) and rates[1] == pytest.approx(0.005)
    assert rates[2] == pytest.approx(0.01) and rates[3] == pytest.approx(0.005)
    assert rates[4] == pytest.approx(0.0, abs=1e-8)


def test_constant_schedule_is_a_float_and_bad_names_are_rejected():
    assert training.learning_rate_schedule("constant", 0.1, 10) == 0.1
    with pytest.raises(ValueError, match="schedule must be one of"):
        training.learning_rate_schedule("linear", 0.1, 10)
    with pytest.raises(ValueError, match="warmup_steps"):
        training.learning_rate_schedule("warmup_cosine", 0.1, 10, warmup_steps=10)


def test_train_returns_history_with_timings_and_writes_log_and_checkpoint(tmp_path):
    device.set_seed(0)
    x, y = _tiny()
    history = training.train(
        _model(),
        (x, y),
        (x[:16], y[:16]),
        epochs=2,
        batch_size=16,
        schedule="warmup_cosine",
        warmup_epochs=0.5,
        early_stopping_patience=1,
        checkpoint_path=tmp_path / "best.weights.h5",
        csv_log=tmp_path / "log.csv",
    )
    assert len(history.history["val_accuracy"]) == 2
    assert len(history.history["epoch_seconds"]) == 2 and history.train_seconds > 0
    assert (tmp_path / "best.weights.h5").exists()
    assert len((tmp_path / "log.csv").read_text().strip().splitlines()) == 3


def test_train_restores_the_best_checkpoint(tmp_path):
    device.set_seed(0)
    x, y = _tiny()
    model = _model()
    history = training.train(
        model, (x, y), (x, y), epochs=3, batch_size=16, checkpoint_path=tmp_path / "b.weights.h5"
    )
    best = max(history.history["val_accuracy"])
    final = float(np.mean(model.predict(x, verbose=0).argmax(1) == y))
    assert final == pytest.approx(best)
    assert training.best_epoch(history) == int(np.argmax(history.history["val_accuracy"]))


def test_backup_and_restore_resumes_an_interrupted_run(tmp_path):
    import keras

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    device.set_seed(0)
    x, y = _tiny()
    model = _model()
    with pytest.raises(KeyboardInterrupt):
        training.train(
            model, (x, y), epochs=4, batch_size=16, backup_dir=tmp_path, callbacks=[Interrupt()]
        )
    resumed = training.train(model, (x, y), epochs=4, batch_size=16, backup_dir=tmp_path)
    assert len(resumed.history["loss"]) == 2  # epochs 3 and 4 only


def test_train_is_repeatable_with_the_same_seed():
    x, y = _tiny()
    results = []
    for _ in range(2):
        device.set_seed(5)
        history = training.train(_model(), (x, y), epochs=2, batch_size=16, seed=5)
        results.append(history.history["loss"])
    assert results[0] == results[1]


def test_train_rejects_bad_arguments():
    x, y = _tiny()
    with pytest.raises(ValueError, match="epochs"):
        training.train(_model(), (x, y), epochs=0)
    with pytest.raises(TypeError, match="train_data"):
        training.train(_model(), x, epochs=1)
    with pytest.raises(ValueError, match="optimizer"):
        training.train(_model(), (x, y), epochs=1, optimizer="sgd")
    with pytest.raises(ValueError, match="checkpoint_path"):
        training.train(_model(), (x, y), epochs=1, checkpoint_path="best.h5")


@pytest.mark.slow
def test_baseline_on_an_mnist_subset_gives_identical_metrics_twice():
    """Same seed, same CPU: the same losses, validation accuracies and predictions."""
    from companion import pipeline

    (x_train, y_train), (x_test, _) = pipeline.load_prepared("mnist")
    runs = []
    for _ in range(2):
        device.setup(seed=42)
        model = models.build_baseline()
        history = training.train(
            model,
            (x_train[:2000], y_train[:2000]),
            (x_train[2000:2500], y_train[2000:2500]),
            epochs=2,
            batch_size=64,
            seed=42,
        )
        runs.append((history.history, model.predict(x_test[:500], verbose=0)))
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert runs[0][0][key] == runs[1][0][key], key
    assert np.array_equal(runs[0][1], runs[1][1])


def test_steps_per_execution_is_one_on_a_cpu_and_more_on_a_gpu(monkeypatch):
    from companion import device

    assert training._steps_per_execution("auto") == 1  # this machine: CPU, results unchanged
    monkeypatch.setattr(device, "_accelerator", lambda backend: ("1", "NVIDIA H100", (9, 0)))
    assert training._steps_per_execution("auto") == training.ACCELERATOR_STEPS_PER_EXECUTION
    assert training._steps_per_execution(4) == 4
    with pytest.raises(ValueError, match="'auto' or a positive int, got 0"):
        training._steps_per_execution(0)


@pytest.mark.slow
def test_several_steps_per_execution_train_to_the_same_weights():
    """What a GPU gets (several steps per call) is checked on the CPU: the same arithmetic."""
    rng = np.random.default_rng(0)
    x, y = rng.random((200, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 200)
    weights = []
    for steps in (1, 4):
        device.set_seed(0)
        model = models.build_baseline()
        training.compile_model(model, steps_per_execution=steps)
        model.fit(training._as_dataset((x, y), 32, True, 0, "x"), epochs=1, verbose=0)
        weights.append(model.get_weights())
    for one, four in zip(*weights, strict=True):
        np.testing.assert_allclose(one, four, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("data", "error", "words"),
    [
        ((np.zeros((0, 8, 8, 1), np.float32), np.zeros(0, int)), ValueError, "no examples"),
        ((_tiny()[0], _tiny()[1][:10]), ValueError, "64 inputs but 10 labels"),
        ((_tiny()[0], np.full(64, 255)), ValueError, "labels must be in [0, 2)"),
        ((_tiny()[0], np.full(64, -1)), ValueError, "from -1 to -1"),
        ((_tiny()[0], np.full(64, 0.5)), ValueError, "whole class numbers"),
        ((_tiny()[0], np.eye(2)[_tiny()[1]]), ValueError, "y.argmax(axis=1)"),
        ((_tiny()[0] * 255, _tiny()[1]), ValueError, "/ 255"),
        ((np.full((64, 8, 8, 1), np.nan, np.float32), _tiny()[1]), ValueError, "NaN"),
    ],
    ids=["empty", "lengths", "label-255", "negative", "fractional", "one-hot", "unscaled", "nan"],
)
def test_train_refuses_bad_arrays_before_training(data, error, words):
    with pytest.raises(error, match=re.escape(words)):
        training.train(_model(), data, epochs=1)
    with pytest.raises(error, match="validation_data"):
        training.train(_model(), _tiny(), data, epochs=1)


def test_train_takes_numpy_integers_and_refuses_booleans_and_text_seeds():
    x, y = _tiny(n=16)
    assert len(training.train(_model(), (x, y), epochs=np.int64(1)).history["loss"]) == 1
    with pytest.raises(TypeError, match="epochs must be a whole number"):
        training.train(_model(), (x, y), epochs=True)
    with pytest.raises(TypeError, match="seed must be a whole number"):
        training.train(_model(), (x, y), epochs=1, seed="0")


def test_resuming_another_architecture_says_to_delete_the_backup(tmp_path):
    import keras

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise KeyboardInterrupt

    x, y = _tiny(n=32)
    with pytest.raises(KeyboardInterrupt):
        training.train(_model(), (x, y), epochs=2, backup_dir=tmp_path, callbacks=[Interrupt()])
    wider = models.build_baseline((8, 8, 1), 2, filters=(8, 8), dense_units=4)
    with pytest.raises(ValueError, match="different model") as raised:
        training.train(wider, (x, y), epochs=2, backup_dir=tmp_path)
    assert str(tmp_path) in str(raised.value) and "Delete that folder" in str(raised.value)


def test_a_truncated_checkpoint_is_named_when_the_best_weights_are_restored(tmp_path):
    import keras

    checkpoint = tmp_path / "best.weights.h5"

    class Truncate(keras.callbacks.Callback):
        def on_train_end(self, logs=None):
            checkpoint.write_bytes(checkpoint.read_bytes()[:500])

    x, y = _tiny(n=32)
    with pytest.raises(ValueError, match="cannot be read") as raised:
        training.train(
            _model(), (x, y), epochs=1, checkpoint_path=checkpoint, callbacks=[Truncate()]
        )
    assert str(checkpoint) in str(raised.value) and "delete the file" in str(raised.value)
