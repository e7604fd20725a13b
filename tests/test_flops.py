"""Hand-counted FLOPs against the active backend's own counter."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from companion import flops


def test_dense_stack_flops_by_hand():
    # one layer 3 -> 2, batch 4: product 2*4*3*2 = 48, bias 8
    assert flops.dense_stack_flops([3, 2], 4) == 56
    # training adds the weight-gradient product and bias gradient, no input gradient
    assert flops.dense_stack_flops([3, 2], 4, training=True) == 112
    with pytest.raises(ValueError, match="positive"):
        flops.dense_stack_flops([3], 4)


@pytest.mark.parametrize("training", [False, True])
def test_backend_counter_agrees_with_the_hand_count(training):
    widths = [16, 32, 32, 4]
    model = keras.Sequential(
        [
            keras.Input((16,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(4),
        ]
    )
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    x, y = np.zeros((8, 16), "float32"), np.zeros(8, "int32")
    counted = flops.counted_flops(model, loss, x, y, training=training)
    expected = flops.dense_stack_flops(widths, 8, training=training)
    assert abs(counted - expected) / expected < 0.05  # XLA also counts activations and the loss
