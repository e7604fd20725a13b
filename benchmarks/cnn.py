"""Part 3 benchmark: the MNIST and Fashion-MNIST headline models and the ablation.

Trains each configuration from scratch with a fixed seed, on the training images
minus a stratified 10% validation set, and measures test accuracy and training
wall time (``fit`` only, validation included). Prints one line per run, or one JSON
object per line with ``--json``, and writes every result, with the date, the
machine, the versions, the seeds and the system load, to
``companion/results/cnn.json`` (shipped with the package), which "Making it better"
renders as tables. The recipes come from :mod:`companion.recipes`.

    .venv/bin/python benchmarks/cnn.py                 # everything (about 15 min on 2 cores)
    .venv/bin/python benchmarks/cnn.py --dataset mnist # only the MNIST runs
    .venv/bin/python benchmarks/cnn.py --config headline --json

Runs already in the results file are replaced by name; the others are kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from companion import recipes
from companion.recipes import BASELINE, FASHION_HEADLINE, MNIST_HEADLINE

RESULTS = recipes.results_path("cnn")
SEED = 42
SPLIT_SEED = 0
VALIDATION_FRACTION = 0.1


def _variant(base: dict[str, Any], model: dict[str, Any] | None = None, **train: Any) -> dict:
    recipe = json.loads(json.dumps(base))
    recipe["model"].update(model or {})
    for key, value in train.items():
        if value is None:
            recipe["train"].pop(key, None)
        else:
            recipe["train"][key] = value
    return recipe


CONFIGS: dict[tuple[str, str], dict[str, Any]] = {
    ("mnist", "baseline"): BASELINE,
    ("mnist", "headline"): MNIST_HEADLINE,
    ("mnist", "headline without augmentation"): _variant(MNIST_HEADLINE, {"augment": False}),
    ("mnist", "headline without batch normalization"): _variant(
        MNIST_HEADLINE, {"batch_norm": False}
    ),
    ("mnist", "headline with batch normalization after conv2 too"): _variant(
        MNIST_HEADLINE, {"batch_norm_skip": 1}
    ),
    ("mnist", "headline without dropout"): _variant(MNIST_HEADLINE, {"dropout": 0.0}),
    # One change per row: the schedule alone (same 0.005 peak), then the schedule and
    # the rate together (Keras's default 0.001), named so that the two are not confused.
    ("mnist", "headline with a constant learning rate at the same peak (0.005)"): _variant(
        MNIST_HEADLINE, schedule="constant", warmup_epochs=0.0
    ),
    ("mnist", "headline with a lower constant learning rate (0.001)"): _variant(
        MNIST_HEADLINE, schedule="constant", learning_rate=0.001, warmup_epochs=0.0
    ),
    ("mnist", "headline, last epoch instead of best"): _variant(
        MNIST_HEADLINE, early_stopping_patience=None
    ),
    ("fashion-mnist", "baseline"): BASELINE,
    ("fashion-mnist", "headline"): FASHION_HEADLINE,
}


def machine() -> dict[str, Any]:
    """Where the benchmark ran: CPU model, cores, versions, device as the book reports it.

    Works on every Keras backend (the GPU run uses JAX and PyTorch, without TensorFlow).
    """
    import keras
    import sklearn

    from companion import device

    info = device.describe()

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "device": info.device,
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "tensorflow": info.tensorflow,
        "backend": info.backend,
        "backend_version": info.backend_version,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
    }


class GpuSampler:
    """Samples ``nvidia-smi``'s GPU utilisation (%) every ``interval`` s while active.

    Without ``nvidia-smi`` (a CPU run) it records nothing and :meth:`summary` is empty.
    """

    def __init__(self, interval: float = 0.5) -> None:
        self.interval, self.samples = interval, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        query = ["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"]
        while not self._stop.wait(self.interval):
            done = subprocess.run(query, capture_output=True, text=True)
            if done.returncode != 0:
                return
            self.samples.append(float(done.stdout.split()[0]))

    def __enter__(self) -> GpuSampler:
        if shutil.which("nvidia-smi"):
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def summary(self) -> dict[str, float]:
        if not self.samples:
            return {}
        return {
            "gpu_utilisation_mean": round(float(np.mean(self.samples)), 1),
            "gpu_utilisation_max": round(float(np.max(self.samples)), 1),
        }


def run(
    dataset: str, name: str, recipe: dict[str, Any], arrays: Any, meta: dict[str, Any]
) -> dict[str, Any]:
    """Train one configuration and return its measurements."""
    from companion import device, evaluation, models, training

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = arrays
    info = device.setup(seed=SEED)
    builder = models.build_improved if recipe["builder"] == "improved" else models.build_baseline
    model = builder(**recipe["model"])
    load_start = os.getloadavg()[0]
    cpu_start = time.process_time()
    with tempfile.TemporaryDirectory() as folder, GpuSampler() as gpu:
        history = training.train(
            model,
            (x_train, y_train),
            (x_val, y_val),
            checkpoint_path=Path(folder) / "best.weights.h5"
            if "early_stopping_patience" in recipe["train"]
            else None,
            seed=SEED,
            **recipe["train"],
        )
    cpu_seconds = time.process_time() - cpu_start
    y_pred, _ = evaluation.predict_classes(model, x_test)
    val_accuracy = history.history["val_accuracy"]
    # The same weights with batch normalization's running statistics re-estimated on
    # 4,096 training images ("Making it better": lagging statistics can cost accuracy).
    recalibrated = None
    if any(layer.__class__.__name__ == "BatchNormalization" for layer in model.layers):
        models.recalibrate_batch_norm(model, x_train[:4096])
        recalibrated = float(np.mean(evaluation.predict_classes(model, x_test)[0] == y_test))
    return {
        "dataset": dataset,
        "config": name,
        "test_accuracy": float(np.mean(y_pred == y_test)),
        "test_accuracy_recalibrated": recalibrated,
        "train_seconds": round(history.train_seconds, 2),
        "device": info.device,
        "cpu_seconds": round(cpu_seconds, 2),
        # Per-epoch wall time (validation included) and how busy the cores and the GPU were.
        "epoch_seconds": [round(t, 2) for t in history.history["epoch_seconds"]],
        "cpu_utilisation": round(cpu_seconds / (history.train_seconds * (os.cpu_count() or 1)), 3),
        **gpu.summary(),
        "epochs_run": len(val_accuracy),
        "best_epoch": training.best_epoch(history) + 1,
        "best_val_accuracy": float(max(val_accuracy)),
        "parameters": int(model.count_params()),
        "seed": SEED,
        "split_seed": SPLIT_SEED,
        "load_average_start": round(load_start, 2),
        "load_average_end": round(os.getloadavg()[0], 2),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": meta,
        "recipe": recipe,
        "confusion_matrix": evaluation.confusion(y_test, y_pred).tolist(),
    }


def load_arrays(dataset: str) -> Any:
    from companion import pipeline

    (x_train, y_train), (x_test, y_test) = pipeline.load_prepared(dataset)
    train, val = pipeline.train_val_split(
        x_train, y_train, validation_fraction=VALIDATION_FRACTION, seed=SPLIT_SEED
    )
    return train, val, (x_test, y_test)


def save(results: list[dict[str, Any]], meta: dict[str, Any], path: Path = RESULTS) -> None:
    """Merge ``results`` into the results file, replacing runs with the same name."""
    existing: list[dict[str, Any]] = []
    if path.exists():
        existing = json.loads(path.read_text(encoding="utf-8")).get("runs", [])
    names = {(r["dataset"], r["config"]) for r in results}
    order = list(CONFIGS)
    runs = [r for r in existing if (r["dataset"], r["config"]) not in names] + results
    runs.sort(key=lambda r: order.index((r["dataset"], r["config"])))
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"benchmark": "cnn", "machine": meta, "runs": runs}
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def config_names() -> str:
    """The configurations, one line each with its datasets, for --help and the errors."""
    names: dict[str, list[str]] = {}
    for dataset, name in CONFIGS:
        names.setdefault(name, []).append(dataset)
    return "\n".join(f"  {name!r} ({', '.join(sets)})" for name, sets in names.items())


def select(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[tuple[str, str]]:
    """The (dataset, config) pairs to run; a misspelled or unmatched name is an error."""
    unknown = sorted(set(args.config or []) - {name for _, name in CONFIGS})
    if unknown:
        parser.error(
            f"unknown --config {', '.join(map(repr, unknown))}. Use one of these names "
            f"(quote those with spaces), or leave --config out to run them all:\n{config_names()}"
        )
    selected = [
        key
        for key in CONFIGS
        if (not args.dataset or key[0] in args.dataset)
        and (not args.config or key[1] in args.config)
    ]
    if not selected:
        parser.error(
            f"no configuration is defined for --dataset {' '.join(args.dataset)} with --config "
            f"{', '.join(map(repr, args.config))}; each name runs on these datasets:\n"
            f"{config_names()}"
        )
    return selected


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=f"configurations (--config NAME, repeatable):\n{config_names()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dataset", choices=["mnist", "fashion-mnist"], action="append")
    parser.add_argument(
        "--config", action="append", metavar="NAME", help="run only these (listed below)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per line")
    parser.add_argument("--no-save", action="store_true", help="do not write the results file")
    args = parser.parse_args(argv)
    selected = select(parser, args)
    meta = machine()
    if not args.json:
        print(
            f"# {meta['device']} | {meta['cpu']} | {meta['backend']} {meta['backend_version']} "
            f"| Keras {meta['keras']}"
        )
    results, arrays, loaded = [], None, None
    for dataset, name in selected:
        if loaded != dataset:
            arrays, loaded = load_arrays(dataset), dataset
        result = run(dataset, name, CONFIGS[(dataset, name)], arrays, meta)
        results.append(result)
        if args.json:
            slim = {
                k: v
                for k, v in result.items()
                if k not in ("confusion_matrix", "recipe", "machine")
            }
            print(json.dumps(slim), flush=True)
        else:
            print(
                f"{dataset:14s} {name:42s} test accuracy {result['test_accuracy']:.2%}  "
                f"train {result['train_seconds']:6.1f} s  (cpu {result['cpu_seconds']:6.1f} s, "
                f"{result['epochs_run']} epochs, load {result['load_average_start']:.1f})",
                flush=True,
            )
        if not args.no_save:
            save([result], meta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
