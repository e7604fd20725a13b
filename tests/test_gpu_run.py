"""The GPU run's script (benchmarks/gpu_run.py) and the Run-times page's tables built from it."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from authoring import book, runtimes

ROOT = book.REPO_ROOT
_spec = importlib.util.spec_from_file_location("gpu_run", ROOT / "benchmarks" / "gpu_run.py")
gpu_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gpu_run)

NBVAL_FAILURE = """\
.......F.F....                                                           [100%]
=================================== FAILURES ===================================
\x1b[31m_______________________ book/math/tensors.ipynb::Cell 7 ________________________\x1b[0m
Notebook cell execution failed
Cell 7: Cell execution caused an exception
\x1b[31mAttributeError\x1b[39m                            Traceback (most recent call last)
----> 9 Z_keras = layer(X).numpy()
\x1b[31mAttributeError\x1b[39m: 'jaxlib._jax.ArrayImpl' object has no attribute 'numpy'
_______________________ book/math/tensors.ipynb::Cell 9 ________________________
Notebook cell execution failed
NameError                                 Traceback (most recent call last)
NameError: name 'num_params' is not defined
=========================== short test summary info ============================
FAILED book/math/tensors.ipynb::Cell 7 - Notebook cell execution failed
2 failed, 12 passed in 47.41s
"""


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
        if match:
            pins[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return pins


def test_gpu_wheels_have_the_versions_of_requirements_txt():
    wanted = _pins(ROOT / "benchmarks" / "gpu-requirements.txt")
    pinned = _pins(ROOT / "requirements.txt")
    assert {"keras", "nbval", "jupytext", "ipykernel"} <= set(wanted)
    differ = {name: (v, pinned.get(name)) for name, v in wanted.items() if pinned.get(name) != v}
    assert not differ, f"benchmarks/gpu-requirements.txt differs from requirements.txt: {differ}"


def test_parse_nbval_names_each_failing_cell_and_its_error():
    failures = gpu_run.parse_nbval(NBVAL_FAILURE)
    assert failures == {
        "Cell 7": "AttributeError: 'jaxlib._jax.ArrayImpl' object has no attribute 'numpy'"
        " at: Z_keras = layer(X).numpy()",
        "Cell 9": "NameError: name 'num_params' is not defined",
    }
    assert gpu_run.parse_nbval("14 passed in 3.2s") == {}
    timed_out = (
        "___ book/concepts/pretraining.ipynb::Cell 3 ___\nCell execution timed out after 900 s\n"
        "==== short test summary info ====\nFAILED book/concepts/pretraining.ipynb::Cell 3\n"
    )
    assert gpu_run.parse_nbval(timed_out) == {"Cell 3": "Cell execution timed out after 900 s"}


def test_environment_follows_the_mixed_precision_contract(tmp_path):
    env = gpu_run.run_environment("torch", True, tmp_path / "site", tmp_path / "data")
    assert env["KERAS_BACKEND"] == "torch"
    assert env["COMPANION_MIXED_PRECISION"] == "1"
    assert env["COMPANION_CACHE_DIR"] == str(tmp_path / "data")
    assert env["PYTHONPATH"].split(":")[:2] == [str(ROOT), str(tmp_path / "site")]
    assert gpu_run.run_environment("jax", False, None, None)["COMPANION_MIXED_PRECISION"] == "0"
    bf16 = gpu_run.run_environment("torch", "bfloat16", None, None)
    assert bf16["COMPANION_MIXED_PRECISION"] == "bfloat16"


def test_a_cpu_rehearsal_runs_pytorch_in_bfloat16_and_the_gpu_run_in_float16():
    assert gpu_run.half_format("gpu", "torch") == "float16"
    assert gpu_run.half_format("gpu", "jax") == "float16"
    assert gpu_run.half_format("cpu-dry-run", "torch") == "bfloat16"
    assert gpu_run.half_format("cpu-dry-run", "jax") == "float16"
    assert gpu_run.half_format("cpu-dry-run", "torch", "float16") == "float16"


def test_arguments_default_to_every_backend_with_mixed_precision():
    args = gpu_run.parse_args([])
    assert args.backends == ["jax", "torch"] and args.mixed_precision
    assert args.out == ROOT / "benchmarks" / "results" / "notebooks-gpu.json"
    assert gpu_run.parse_args(["--bench", "--dataset mnist"]).bench == ["--dataset", "mnist"]
    with pytest.raises(SystemExit):
        gpu_run.parse_args(["--jobs", "0"])


def test_default_notebooks_are_those_make_test_runs():
    expected = [str(page.relative_to(ROOT)) for page in book.notebook_pages()]
    assert gpu_run.default_notebooks() == expected


def _run(kind: str, backend: str, passed: bool) -> dict:
    result = {"notebook": "book/math/tensors.ipynb", "passed": passed, "seconds": 12.3}
    if not passed:
        result["failed_cells"] = {"Cell 7": "AttributeError: x"}
    return {
        "benchmark": "notebooks",
        "kind": kind,
        "date": "2026-12-02T02:00:00+00:00",
        "machine": {
            "python": "3.12.3",
            "gpu": "NVIDIA H200, 580.159.04" if kind == "gpu" else None,
        },
        "settings": {"jobs": 1, "load_average_start": 1.0},
        "backends": {
            backend: {
                "setup": {"device": "X", "backend_version": "1.0", "keras": "3", "precision": "p"},
                "notebooks": [result],
            }
        },
    }


def test_run_times_table_says_when_no_gpu_run_is_recorded(tmp_path):
    (tmp_path / "notebooks-cpu.json").write_text(json.dumps(_run("cpu", "torch", True)))
    runs = runtimes.load_runs(tmp_path)
    table = runtimes.runs_table(runs)
    assert "| CPU, PyTorch, p, 2026-12-02 02:00 UTC | GPU (JAX and PyTorch) |" in table
    assert "| `book/math/tensors.ipynb` | 12 s | no GPU run recorded yet |" in table
    assert runtimes.gpu_status(runs).startswith("No GPU run has been recorded yet")


def test_run_times_table_shows_gpu_runs_first_and_failures(tmp_path):
    (tmp_path / "notebooks-cpu.json").write_text(json.dumps(_run("cpu", "torch", True)))
    (tmp_path / "notebooks-gpu.json").write_text(json.dumps(_run("gpu", "jax", False)))
    runs = runtimes.load_runs(tmp_path)
    table = runtimes.runs_table(runs)
    assert (
        "| Notebook | GPU, JAX, p, 2026-12-02 02:00 UTC | CPU, PyTorch, p, 2026-12-02 02:00 UTC |"
        in table
    )
    assert "failed (Cell 7) after 12 s" in table
    assert "passed 0 of 1 notebook runs" in runtimes.gpu_status(runs)
    assert "Python 3.12.3" in runtimes.run_details(runs)


def test_slowest_first_orders_by_the_newest_cpu_run_and_puts_untimed_notebooks_first():
    def run(kind, date, times):
        notebooks = [{"notebook": n, "passed": True, "seconds": t} for n, t in times.items()]
        return {"kind": kind, "date": date, "backends": {"jax": {"notebooks": notebooks}}}

    runs = [
        run("cpu", "2026-12-01", {"a": 1.0, "b": 50.0, "c": 9.0}),
        run("cpu-dry-run", "2026-12-05", {"a": 100.0, "c": 9.0}),  # newer: a is now slow
        run("gpu", "2026-12-06", {"a": 0.1, "b": 0.1, "c": 500.0}),  # a GPU's times say nothing
    ]
    assert runtimes.slowest_first(["a", "b", "c", "new"], runs) == ["new", "a", "b", "c"]


def test_the_makefile_hands_nbval_the_slowest_notebooks_first():
    listed = subprocess.run(
        [sys.executable, "-m", "authoring.book", "notebooks", "--slowest-first"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    plain = [str(p.relative_to(ROOT)) for p in book.notebook_pages()]
    assert sorted(listed) == sorted(plain)
    assert listed == runtimes.slowest_first(plain, runtimes.load_runs())


def test_committed_runs_render():
    runs = runtimes.load_runs()
    assert runtimes.runs_table(runs).startswith(("| Notebook", "No notebook run"))


def test_a_notebook_stopped_at_the_time_limit_is_not_called_a_failure_of_a_cell():
    stopped = {"passed": False, "seconds": 1500.2, "timed_out": True, "failed_cells": {"?": "x"}}
    assert runtimes._cell(stopped) == "stopped at the time limit, 1500 s"


def test_relative_paths_are_made_absolute_for_the_kernels(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = gpu_run.parse_args(["--data", "cache", "--site", "site", "--out", "r/x.json"])
    assert (args.data, args.site, args.out) == (
        tmp_path / "cache",
        tmp_path / "site",
        tmp_path / "r" / "x.json",
    )
    env = gpu_run.run_environment("jax", True, Path("site"), Path("cache"))
    assert env["COMPANION_CACHE_DIR"] == str(tmp_path / "cache")
    assert env["PYTHONPATH"].split(":")[1] == str(tmp_path / "site")


LOADS_CO2 = """\
from companion import data
series = data.load_co2(download=False)
assert len(series) == 2284, len(series)
"""


@pytest.mark.slow
def test_a_relative_data_folder_reaches_a_notebook_in_another_folder(tmp_path, monkeypatch):
    """The GPU run of 2026-12-05 passed ``--data _build/gpu/datasets``: 12 notebooks failed."""
    import nbformat
    import statsmodels

    csv = Path(statsmodels.__file__).parent / "datasets" / "co2" / "co2.csv"
    (tmp_path / "cache" / "co2").mkdir(parents=True)
    (tmp_path / "cache" / "co2" / "co2.csv").write_bytes(csv.read_bytes())
    page = tmp_path / "pages" / "loads.ipynb"
    page.parent.mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(LOADS_CO2)])
    nbformat.write(notebook, page)
    monkeypatch.chdir(tmp_path)  # the kernel starts in pages/, where "cache" is not
    monkeypatch.delenv("COMPANION_DATA_DIR", raising=False)
    out = tmp_path / "run.json"
    argv = ["--kind", "cpu-dry-run", "--backends", "jax", "--no-bench", "--data", "cache"]
    code = gpu_run.main([*argv, "--notebooks", str(page), "--out", str(out)])
    run = json.loads(out.read_text())["backends"]["jax"]["notebooks"][0]
    assert code == 0 and run["passed"], run


def test_a_gpu_run_on_a_machine_without_a_gpu_is_refused_with_the_dry_run_named(monkeypatch):
    monkeypatch.setattr(gpu_run, "machine", lambda: {"gpu": None})
    with pytest.raises(SystemExit) as stopped:
        gpu_run.main(["--kind", "gpu", "--notebooks", "book/math/tensors.ipynb"])
    message = str(stopped.value.code)
    assert "nvidia-smi shows no GPU" in message and "GPU_KIND=cpu-dry-run" in message
    gpu_run.check_kind("cpu-dry-run", None)  # an honest label runs


def test_a_backend_that_runs_on_the_cpu_is_refused_under_kind_gpu():
    with pytest.raises(SystemExit, match=r"jax runs on 'CPU \(x86_64, 16 cores\)'.*cpu-dry-run"):
        gpu_run.check_backend_device("gpu", "jax", {"device": "CPU (x86_64, 16 cores)"})
    gpu_run.check_backend_device("gpu", "jax", {"device": "GPU (NVIDIA H100 80GB HBM3)"})


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_test_gpu_refuses_a_gpu_mixed_value_it_does_not_know():
    done = subprocess.run(
        ["make", "-n", "test-gpu", "GPU_MIXED=yes"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "GPU_MIXED must be 1 (mixed precision on, the default) or 0 (off), got 'yes'" in (
        done.stderr
    )
    assert "GPU_MIXED=0" in done.stderr


def test_benchmark_rows_are_kept_when_the_benchmark_is_stopped(tmp_path):
    script = tmp_path / "bench.py"
    script.write_text(
        "import json, time\n"
        "for name in ['baseline', 'headline']:\n"
        "    print(json.dumps({'config': name}), flush=True)\n"
        "time.sleep(60)\n"
    )
    seen = []
    report = gpu_run.run_benchmark(
        {**os.environ}, [], lambda r: seen.append(len(r["runs"])), timeout_s=3, script=script
    )
    assert [row["config"] for row in report["runs"]] == ["baseline", "headline"]
    assert seen[:2] == [1, 2] and not report["passed"] and report["timed_out"]
    assert report["error"].startswith("stopped at the 3 s limit")
