"""Where a training step's time goes: a few hundred steps of ``companion.training.train``
under cProfile, grouped into the compiled step, the batches, and Keras's Python around them.

    KERAS_BACKEND=jax .venv/bin/python benchmarks/profile_steps.py --images 8192

Prints one JSON object: seconds per step, and the share of the run spent in each group.
On a CPU the compiled step dominates; on a GPU the same step takes microseconds and what
remains (the other groups) is the per-step overhead that bounds training speed.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time

# Functions (file fragment, name) counted in each group, by cumulative time.
GROUPS = {
    "compiled step (train_function)": [
        ("trainer.py", "iterator_step"),
        ("trainer.py", "one_step_on_data"),
    ],
    "batches (PyDataset / tf.data)": [
        ("pipeline.py", "__getitem__"),
        ("py_dataset_adapter.py", "get_numpy_iterator"),
    ],
    "host to device copies": [("", "device_put"), ("", "convert_to_tensor")],
    "callbacks (waiting for the queued steps at epoch end)": [
        ("callback_list.py", "on_train_batch_end"),
        ("callback_list.py", "on_epoch_end"),
    ],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=8192, help="training images (MNIST)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--top", type=int, default=0, help="also print the top functions")
    args = parser.parse_args(argv)

    import keras

    from companion import device, models, pipeline, training

    device.setup(seed=0)
    (x, y), _ = pipeline.load_prepared("mnist")
    x, y = x[: args.images], y[: args.images]
    profile, clock = cProfile.Profile(), {}

    class SecondEpoch(keras.callbacks.Callback):
        """Profile the second epoch only: the first one compiles the step (every shape)."""

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            if epoch == 1:
                clock["start"] = time.perf_counter()
                profile.enable()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            if epoch == 1:
                profile.disable()
                clock["seconds"] = time.perf_counter() - clock["start"]

    history = training.train(
        models.build_baseline(), (x, y), epochs=2, batch_size=args.batch_size,
        callbacks=[SecondEpoch()],
    )  # fmt: skip
    seconds, first = clock["seconds"], history.history["epoch_seconds"][0]
    if args.top:
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(args.top)
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    steps = -(-len(x) // args.batch_size)
    shares = {}
    for group, keys in GROUPS.items():
        total = 0.0
        for (filename, _, name), (_, _, _, cumulative, _) in stats.items():
            if any(fragment in filename and name == wanted for fragment, wanted in keys):
                total = max(total, cumulative)  # nested calls: the outermost one
        shares[group] = round(total / seconds, 3)
    print(
        json.dumps(
            {
                "backend": keras.backend.backend(),
                "device": device.describe().device,
                "steps": steps,
                "ms_per_step": round(1000 * seconds / steps, 2),
                "first_epoch_seconds": round(first, 2),  # with the compilations
                "second_epoch_seconds": round(seconds, 2),
                "share_of_time": shares,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
