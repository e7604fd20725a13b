"""The Run-times page's tables, from the notebook runs committed under ``benchmarks/results``.

``benchmarks/gpu_run.py`` writes one ``notebooks-*.json`` per run (a GPU run, a CPU
run, a CPU dry run of the GPU script); :func:`runs_table` turns them into one
Markdown table with a column per (run, backend), and :func:`gpu_status` says in a
sentence whether a GPU run has been recorded. Used by ``book/appendix/run-times.md``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .book import REPO_ROOT, notebook_pages

__all__ = [
    "column_title",
    "gpu_status",
    "load_runs",
    "run_details",
    "runs_table",
    "slowest_first",
]

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
KIND_TITLES = {"gpu": "GPU", "cpu": "CPU", "cpu-dry-run": "CPU dry run of the GPU script"}
BACKEND_TITLES = {"jax": "JAX", "torch": "PyTorch", "tensorflow": "TensorFlow"}


def load_runs(results_dir: Path = RESULTS_DIR) -> list[dict[str, Any]]:
    """Every committed notebook run, GPU runs first, then by date (newest first)."""
    runs = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(results_dir.glob("notebooks-*.json"))
    ]
    for run in runs:
        if run.get("benchmark") != "notebooks" or run.get("kind") not in KIND_TITLES:
            raise ValueError(f"not a notebook run of benchmarks/gpu_run.py: {run.get('kind')!r}")
    runs.sort(key=lambda run: run["date"], reverse=True)
    return sorted(runs, key=lambda run: run["kind"] != "gpu")


def slowest_first(notebooks: list[str], runs: list[dict[str, Any]]) -> list[str]:
    """``notebooks`` (paths relative to the repository), the slowest in the newest CPU runs first.

    ``make test`` hands nbval's two workers the notebooks in this order, so that the long
    ones do not start last. A notebook no run has timed yet (a new chapter) goes first,
    since it may be long. Ties keep the toc order.
    """
    seconds: dict[str, float] = {}
    for run in sorted(runs, key=lambda run: run["date"]):  # newer runs overwrite older ones
        if run["kind"] == "gpu":
            continue
        for entry in run["backends"].values():
            for result in entry["notebooks"]:
                seconds[result["notebook"]] = float(result["seconds"])
    return sorted(notebooks, key=lambda name: -seconds.get(name, float("inf")))


def column_title(run: dict[str, Any], backend: str) -> str:
    """A column's title: run kind, backend, precision policy and start, e.g.
    ``GPU, PyTorch, mixed_float16, 2026-12-05 19:34 UTC`` (a rerun gets its own column)."""
    precision = run["backends"][backend].get("setup", {}).get("precision")
    started = run["date"][:16].replace("T", " ") + " UTC"
    kind, name = KIND_TITLES[run["kind"]], BACKEND_TITLES.get(backend, backend)
    return ", ".join(part for part in (kind, name, precision, started) if part)


def run_details(runs: list[dict[str, Any]]) -> str:
    """A Markdown list: for each column, the device, versions, precision, date and load."""
    lines = []
    for run in runs:
        settings = run.get("settings", {})
        for backend, entry in run["backends"].items():
            setup = entry.get("setup", {})
            lines.append(
                f"- **{column_title(run, backend)}**: {setup.get('device', '?')}, "
                f"{BACKEND_TITLES.get(backend, backend)} {setup.get('backend_version', '?')}, "
                f"Keras {setup.get('keras', '?')}, Python {run['machine'].get('python', '?')}, "
                f"precision policy `{setup.get('precision', '?')}`, on {run['date'][:10]}; "
                f"{settings.get('jobs', 1)} notebook(s) at a time, load average "
                f"{settings.get('load_average_start', '?')} at the start."
                + (
                    f" {settings['note'][0].upper()}{settings['note'][1:]}."
                    if settings.get("note")
                    else ""
                )
            )
    return "\n".join(lines)


def _cell(result: dict[str, Any] | None) -> str:
    if result is None:
        return "not run"
    if result["passed"]:
        return f"{result['seconds']:.0f} s"
    if result.get("timed_out"):
        return f"stopped at the time limit, {result['seconds']:.0f} s"
    return f"failed ({', '.join(result.get('failed_cells', {}))}) after {result['seconds']:.0f} s"


def runs_table(runs: list[dict[str, Any]]) -> str:
    """One Markdown table: a row per notebook, a column per run and backend (seconds or failure)."""
    columns = [(run, backend) for run in runs for backend in run["backends"]]
    if not columns:
        return "No notebook run has been recorded under `benchmarks/results/` yet."
    no_gpu = not any(run["kind"] == "gpu" for run in runs)
    # Every notebook of the book, in toc order, so a notebook a run left out shows "not run".
    notebooks = [str(page.relative_to(REPO_ROOT)) for page in notebook_pages()]
    for run, backend in columns:
        for result in run["backends"][backend]["notebooks"]:
            if result["notebook"] not in notebooks:
                notebooks.append(result["notebook"])
    header = ["Notebook", *(column_title(run, backend) for run, backend in columns)]
    header += ["GPU (JAX and PyTorch)"] if no_gpu else []
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for notebook in notebooks:
        cells = []
        for run, backend in columns:
            found = {r["notebook"]: r for r in run["backends"][backend]["notebooks"]}
            cells.append(_cell(found.get(notebook)))
        cells += ["no GPU run recorded yet"] if no_gpu else []
        lines.append(f"| `{notebook}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def gpu_status(runs: list[dict[str, Any]]) -> str:
    """A sentence: the latest GPU run (date, GPU, how many notebooks passed) or that there is none."""
    gpu_runs = [run for run in runs if run["kind"] == "gpu"]
    if not gpu_runs:
        return (
            "No GPU run has been recorded yet: the GPU columns will appear here once "
            "`make test-gpu` has run on a GPU machine and its JSON is committed."
        )
    run = gpu_runs[0]
    results = [r for entry in run["backends"].values() for r in entry["notebooks"]]
    passed = sum(result["passed"] for result in results)
    return (
        f"The latest GPU run, on {run['date'][:10]} on {run['machine'].get('gpu') or '?'}, "
        f"passed {passed} of {len(results)} notebook runs."
    )
