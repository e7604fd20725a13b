"""The Part 3 recipes and the benchmark results shipped with the package."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from companion import models, recipes, training

ROOT = recipes.RESULTS_DIR.parent.parent


def _benchmark_module():
    spec = importlib.util.spec_from_file_location("benchmarks_cnn", ROOT / "benchmarks" / "cnn.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_benchmark_trains_the_recipes_of_the_package_and_writes_into_it():
    bench = _benchmark_module()
    assert bench.CONFIGS[("mnist", "headline")] is recipes.MNIST_HEADLINE
    assert bench.CONFIGS[("fashion-mnist", "headline")] is recipes.FASHION_HEADLINE
    assert bench.CONFIGS[("mnist", "baseline")] is recipes.BASELINE
    assert recipes.results_path("cnn") == bench.RESULTS


def test_shipped_results_were_measured_with_the_current_recipes():
    runs = {(r["dataset"], r["config"]): r for r in recipes.load_results("cnn")["runs"]}
    assert runs[("mnist", "headline")]["recipe"] == recipes.MNIST_HEADLINE
    assert runs[("fashion-mnist", "headline")]["recipe"] == recipes.FASHION_HEADLINE
    assert runs[("mnist", "baseline")]["recipe"] == recipes.BASELINE


@pytest.mark.parametrize("name", ["BASELINE", "MNIST_HEADLINE", "FASHION_HEADLINE"])
def test_every_recipe_names_a_builder_and_arguments_it_accepts(name):
    import inspect

    recipe = getattr(recipes, name)
    builder = {"baseline": models.build_baseline, "improved": models.build_improved}[
        recipe["builder"]
    ]
    assert set(recipe["model"]) <= set(inspect.signature(builder).parameters)
    assert set(recipe["train"]) <= set(inspect.signature(training.train).parameters)


def test_missing_results_name_the_file_and_the_fix():
    with pytest.raises(FileNotFoundError, match=r"benchmarks/absent\.py"):
        recipes.load_results("absent")
