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
        ("trainer.py", "one_step_on_data"),
        ("trainer.py", "train_step"),
    ],
    "batches (PyDataset / tf.data)": [
        ("pipeline.py", "__getitem__"),
        ("py_dataset_adapter.py", "get_numpy_iterator"),
    ],
    "host to device copies": [("", "device_put"), ("", "convert_to_tensor")],
    "callbacks": [("callback_list.py", "on_train_batch_end")],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=8192, help="training images (MNIST)")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)

    import keras

    from companion import device, models, pipeline, training

    device.setup(seed=0)
    (x, y), _ = pipeline.load_prepared("mnist")
    x, y = x[: args.images], y[: args.images]
    model = models.build_baseline()
    training.train(model, (x[:512], y[:512]), epochs=1, batch_size=args.batch_size)  # compile
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    training.train(model, (x, y), epochs=1, batch_size=args.batch_size)
    profile.disable()
    seconds = time.perf_counter() - start
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
                "share_of_time": shares,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
