"""Preprocessing and the tf.data input pipeline, on tiny arrays."""

from __future__ import annotations

import numpy as np
import pytest

from companion import pipeline


def test_scale_images_maps_uint8_to_float32_unit_interval():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    scaled = pipeline.scale_images(images)
    assert scaled.dtype == np.float32 and scaled.shape == images.shape
    assert np.allclose(scaled, [[[0.0, 1.0], [0.2, 0.4]]])


def test_scale_images_rejects_already_scaled_floats():
    with pytest.raises(TypeError, match="uint8"):
        pipeline.scale_images(np.zeros((1, 2, 2), np.float32))


def test_add_channel_axis_adds_once_and_rejects_bad_rank():
    images = np.zeros((3, 5, 5), np.uint8)
    assert pipeline.add_channel_axis(images).shape == (3, 5, 5, 1)
    assert pipeline.add_channel_axis(images[..., None]).shape == (3, 5, 5, 1)
    with pytest.raises(ValueError, match=r"\(n, height, width\)"):
        pipeline.add_channel_axis(np.zeros((5, 5)))


def test_prepare_images_scales_and_adds_channel():
    prepared = pipeline.prepare_images(np.full((2, 4, 4), 255, np.uint8))
    assert prepared.shape == (2, 4, 4, 1) and prepared.dtype == np.float32
    assert prepared.max() == 1.0


def test_train_val_split_is_stratified_and_repeatable():
    x = np.arange(100).reshape(100, 1)
    y = np.repeat(np.arange(2), 50)
    (x_train, y_train), (x_val, y_val) = pipeline.train_val_split(x, y, validation_fraction=0.2)
    assert len(x_val) == 20 and np.bincount(y_val).tolist() == [10, 10]
    assert not set(x_train[:, 0]) & set(x_val[:, 0])
    again = pipeline.train_val_split(x, y, validation_fraction=0.2)
    assert np.array_equal(again[1][0], x_val)


def test_train_val_split_rejects_bad_fraction_and_mismatched_lengths():
    with pytest.raises(ValueError, match="validation_fraction"):
        pipeline.train_val_split(np.zeros((4, 1)), np.zeros(4), validation_fraction=1.5)
    with pytest.raises(ValueError, match="same number"):
        pipeline.train_val_split(np.zeros((4, 1)), np.zeros(3))


def test_labelled_subset_is_balanced_and_distinct():
    x = np.arange(60)
    y = np.arange(60) % 3
    x_few, y_few = pipeline.labelled_subset(x, y, 9, seed=1)
    assert np.bincount(y_few).tolist() == [3, 3, 3]
    assert len(set(x_few)) == 9 and np.array_equal(x_few % 3, y_few)
    x_odd, _ = pipeline.labelled_subset(x, y, 10, seed=1)
    assert len(set(x_odd)) == 10


def test_labelled_subset_rejects_impossible_counts():
    with pytest.raises(ValueError, match="between"):
        pipeline.labelled_subset(np.arange(6), np.arange(6) % 3, 2)
    with pytest.raises(TypeError, match="int"):
        pipeline.labelled_subset(np.arange(6), np.arange(6) % 3, 3.0)


def test_make_dataset_batches_in_order_without_shuffle():
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    y = np.arange(10)
    batches = list(pipeline.make_dataset(x, y, batch_size=4).as_numpy_iterator())
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    assert batches[0][1].tolist() == [0, 1, 2, 3]


def test_make_dataset_shuffle_is_seeded_and_keeps_every_example():
    x = np.arange(20, dtype=np.float32)
    first = np.concatenate(list(pipeline.make_dataset(x, batch_size=8, shuffle=True, seed=3)))
    second = np.concatenate(list(pipeline.make_dataset(x, batch_size=8, shuffle=True, seed=3)))
    assert np.array_equal(first, second) and sorted(first.tolist()) == x.tolist()
    assert not np.array_equal(first, x)


def test_make_dataset_rejects_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        pipeline.make_dataset(np.zeros(3), batch_size=0)


def test_array_batches_are_seeded_reshuffled_each_epoch_and_keep_every_example():
    x, y = np.arange(10, dtype="float32")[:, None], np.arange(10)
    batches = pipeline.array_batches(x, y, batch_size=4, shuffle=True, seed=3)
    assert len(batches) == 3 and batches[2][0].shape == (2, 1)
    first = np.concatenate([batches[i][1] for i in range(len(batches))])
    again = pipeline.array_batches(x, y, batch_size=4, shuffle=True, seed=3)
    assert np.array_equal(first, np.concatenate([again[i][1] for i in range(3)]))
    assert sorted(first) == list(range(10))
    batches.on_epoch_end()
    assert not np.array_equal(first, np.concatenate([batches[i][1] for i in range(3)]))
    with pytest.raises(IndexError, match="out of range"):
        batches[3]
