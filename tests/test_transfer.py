"""Transfer learning: cutting the base, the new head, the label-budget comparison."""

from __future__ import annotations

import numpy as np
import pytest

from companion import device, models, transfer


def _pretrained():
    return models.build_baseline((8, 8, 1), 3, filters=(4, 4), dense_units=4)


def test_extract_base_ends_at_flatten_and_shares_weights():
    model = _pretrained()
    base = transfer.extract_base(model)
    assert tuple(base.output.shape[1:]) == tuple(model.get_layer("flatten").output.shape[1:])
    assert base.get_layer("conv1") is model.get_layer("conv1")


def test_build_transfer_model_copies_and_freezes_the_base():
    model = _pretrained()
    base = transfer.extract_base(model)
    new = transfer.build_transfer_model(base, 5, dense_units=6)
    copied = new.layers[1]
    assert copied is not base and not copied.trainable
    assert all(
        np.array_equal(a, b) for a, b in zip(copied.get_weights(), base.get_weights(), strict=True)
    )
    assert tuple(new.output.shape[1:]) == (5,)
    trainable = transfer.build_transfer_model(base, 5, freeze=False)
    assert trainable.layers[1].trainable


def test_build_transfer_model_rejects_non_models():
    with pytest.raises(TypeError, match="keras.Model"):
        transfer.build_transfer_model("base", 3)


def test_compare_label_budgets_returns_one_row_per_run():
    device.set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((60, 8, 8, 1), dtype=np.float32)
    y = np.arange(60) % 3
    table = transfer.compare_label_budgets(
        _pretrained(),
        x,
        y,
        x[:12],
        y[:12],
        label_counts=(6, 12),
        build_scratch=_pretrained,
        epochs=1,
        fine_tune_epochs=1,
    )
    assert list(table.columns) == ["labels", "method", "seed", "test_accuracy", "train_seconds"]
    assert len(table) == 6 and set(table["method"]) == set(transfer.METHODS)
    assert table["test_accuracy"].between(0, 1).all()


def test_kept_correctness_matches_the_accuracy_and_stacks_by_seed():
    device.set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((60, 8, 8, 1), dtype=np.float32)
    y = np.arange(60) % 3
    table = transfer.compare_label_budgets(
        _pretrained(), x, y, x[:12], y[:12], label_counts=(6,), build_scratch=_pretrained,
        epochs=1, fine_tune_epochs=1, seeds=(1, 0), keep_correct=True,
    )  # fmt: skip
    for _, row in table.iterrows():
        assert row["correct"].shape == (12,) and row["correct"].mean() == row["test_accuracy"]
    stacked = transfer.correct_by_seed(table, 6, "from scratch")
    scratch = table[table["method"] == "from scratch"].set_index("seed")
    assert stacked.shape == (2, 12) and stacked.dtype == bool
    assert np.array_equal(stacked[0], scratch.loc[0, "correct"])  # sorted by seed
    with pytest.raises(ValueError, match="no run with labels=7"):
        transfer.correct_by_seed(table, 7, "from scratch")
    with pytest.raises(ValueError, match="keep_correct=True"):
        transfer.correct_by_seed(table.drop(columns="correct"), 6, "from scratch")


def test_compare_label_budgets_rejects_unknown_methods():
    x = np.zeros((6, 8, 8, 1), np.float32)
    with pytest.raises(ValueError, match="methods"):
        transfer.compare_label_budgets(
            _pretrained(), x, np.arange(6) % 3, x, np.arange(6) % 3, methods=("magic",)
        )
    with pytest.raises(ValueError, match="include both"):
        transfer.compare_label_budgets(
            _pretrained(), x, np.arange(6) % 3, x, np.arange(6) % 3, methods=("fine-tuned base",)
        )
