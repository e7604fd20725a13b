"""The Part 3 recipes, and the results the benchmark measured with them.

A recipe is a dict: ``"builder"`` (``"baseline"`` or ``"improved"``, the
:mod:`companion.models` builder), ``"model"`` (that builder's keyword arguments) and
``"train"`` (the keyword arguments of :func:`companion.training.train`).
``benchmarks/cnn.py`` trains each of them and writes what it measured to
``companion/results/cnn.json``, a file this package ships, so a chapter reads the
same figures in a clone, a ``pip`` install or Colab; :func:`load_results` reads it.

Defined in Part 3, "Making it better"; "From model to product" reads the results.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = [
    "BASELINE",
    "FASHION_HEADLINE",
    "MNIST_HEADLINE",
    "RESULTS_DIR",
    "load_results",
    "results_path",
]

RESULTS_DIR = Path(__file__).resolve().parent / "results"

# The baseline CNN of "A baseline CNN", trained as that chapter trains it.
BASELINE: dict[str, Any] = {
    "builder": "baseline",
    "model": {},
    "train": {"epochs": 5, "batch_size": 64, "learning_rate": 0.001},
}
# The MNIST headline model of "Making it better" (target: 99.4% in at most 60 s on 2 cores).
MNIST_HEADLINE: dict[str, Any] = {
    "builder": "improved",
    "model": {
        "filters": [16, 32, 64],
        "batch_norm_skip": 2,
        "translate": 0.1,
        "dropout": 0.3,
        "dense_units": 128,
    },
    "train": {
        "epochs": 13,
        "batch_size": 256,
        "learning_rate": 0.005,
        "schedule": "warmup_cosine",
        "warmup_epochs": 0.5,
        "early_stopping_patience": 4,
    },
}
# The Fashion-MNIST headline model (target: 92.5% in at most five minutes on 2 cores).
FASHION_HEADLINE: dict[str, Any] = {
    "builder": "improved",
    "model": {
        "filters": [32, 64],
        "padding": "same",
        "pool_last": True,
        "batch_norm_skip": 1,
        "translate": 0.0,
        "flip": True,
        "dropout": 0.3,
        "dense_units": 256,
    },
    "train": {
        "epochs": 16,
        "batch_size": 256,
        "learning_rate": 0.003,
        "schedule": "warmup_cosine",
        "warmup_epochs": 0.5,
        "early_stopping_patience": 4,
    },
}


def results_path(name: str = "cnn") -> Path:
    """Where ``benchmarks/<name>.py`` writes its results: ``companion/results/<name>.json``."""
    return RESULTS_DIR / f"{name}.json"


def load_results(name: str = "cnn") -> dict[str, Any]:
    """The results ``benchmarks/<name>.py`` measured, as shipped with this package.

    Used in: Part 3, Making it better and From model to product.
    """
    path = results_path(name)
    if not path.is_file():
        shipped = sorted(p.stem for p in RESULTS_DIR.glob("*.json"))
        raise FileNotFoundError(
            f"no results named {name!r} in {RESULTS_DIR} (shipped: {shipped}); "
            f"run `python benchmarks/{name}.py` in a clone of the repository to measure them."
        )
    return json.loads(path.read_text(encoding="utf-8"))
