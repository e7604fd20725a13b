"""Every notebook and the CNN benchmark under JAX and PyTorch on one machine; one JSON.

Made for a GPU machine that has JAX and PyTorch (with CUDA) but no internet and no
TensorFlow: ``make gpu-bundle`` (on a machine with internet) downloads the other
wheels the book needs and packs the verified datasets into ``_build/gpu``; this script
installs the wheels from there (``--wheels``), points the companion at the datasets
(``--data``), runs nbval over each notebook under each ``KERAS_BACKEND`` with
``COMPANION_MIXED_PRECISION=1``, runs ``benchmarks/cnn.py`` on each backend, and
writes one JSON that the Run-times page renders (``authoring.runtimes``).

    python3 benchmarks/gpu_run.py --wheels _build/gpu/wheels --data _build/gpu/datasets
    .venv/bin/python benchmarks/gpu_run.py --kind cpu-dry-run --backends jax \\
        --notebooks book/math/tensors.ipynb --no-mixed-precision

The JSON is rewritten after every notebook, so a run cut short keeps what it did.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"
KINDS = ("gpu", "cpu", "cpu-dry-run")
BACKENDS = ("jax", "torch", "tensorflow")
# The benchmark rows run on each backend: the baseline and the MNIST headline.
DEFAULT_BENCH = "--dataset mnist --config baseline --config headline"
# nbval's limit per cell; a CPU run of the whole book needs --cell-timeout 1800.
CELL_TIMEOUT_S = 900
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# nbval's report: a "____ book/x.ipynb::Cell 7 ____" header per failing cell, then its traceback.
CELL_HEADER = re.compile(r"^_{3,} \S+::(Cell \d+) _{3,}$", re.MULTILINE)
RAISING_LINE = re.compile(r"^-+> *\d+ (.*)$", re.MULTILINE)
ERROR_LINE = re.compile(r"^(?:E\s+)?(\w*(?:Error|Exception|Timeout)\w*\b:? .*)$", re.MULTILINE)


def default_notebooks() -> list[str]:
    """Every notebook nbval runs in ``make test``, as paths relative to the repository."""
    sys.path.insert(0, str(ROOT))
    from authoring import book

    return [str(page.relative_to(ROOT)) for page in book.notebook_pages()]


# What a notebook run imports beyond the GPU machine's image; installed from --wheels if missing.
NEEDED_MODULES = ("keras", "nbval", "jupytext", "ipykernel", "nbformat", "IPython")


def missing_modules(names: Sequence[str] = NEEDED_MODULES) -> list[str]:
    """The modules of ``names`` this Python cannot import (nothing to install if empty)."""
    from importlib.util import find_spec

    return [name for name in names if find_spec(name) is None]


def pack_data(dest: Path) -> Path:
    """Copy every verified dataset of the cache into ``dest``, large files gzipped.

    The loaders read ``<name>`` or ``<name>.gz`` and check the sha256 of the
    decompressed bytes, so the packed folder works as ``COMPANION_CACHE_DIR``.
    Used by ``make gpu-data``.
    """
    import gzip

    sys.path.insert(0, str(ROOT))
    from companion import data

    for name in [*data.DATASETS, *data.FILE_DATASETS]:
        source = data.ensure_dataset(name, download=False, verbose=False)
        target = dest / name
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(source.iterdir()):
            if path.suffix == ".gz" or path.stat().st_size < 1_000_000:
                shutil.copy2(path, target / path.name)
            else:
                packed = gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)
                (target / f"{path.name}.gz").write_bytes(packed)
    return dest


def install_wheels(wheels: Path, site: Path) -> None:
    """Install every wheel in ``wheels`` into ``site`` without the network or the resolver.

    ``--no-deps``: the folder holds the closure of what the machine lacks
    (``make gpu-wheels``), and the machine's own JAX, PyTorch and NumPy stay untouched.
    """
    files = sorted(str(path) for path in wheels.glob("*.whl"))
    if not files:
        raise SystemExit(
            f"{wheels}: no .whl files. Run `make gpu-wheels` on a machine with internet "
            "and carry the folder along, or drop --wheels if the packages are installed."
        )
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps"]
    command += ["--no-compile", "--upgrade", "--target", str(site), *files]
    subprocess.run(command, check=True)


def run_environment(
    backend: str,
    mixed: bool | str,
    site: Path | None,
    data: Path | None,
    threads: int | None = None,
) -> dict:
    """The environment a notebook or benchmark process of ``backend`` runs with.

    ``threads`` caps the CPU threads of each process (OpenMP, MKL, PyTorch, XLA's CPU
    client), so that several kernels side by side do not oversubscribe the cores.
    """
    env = dict(os.environ)
    site, data = (Path(p).absolute() if p else None for p in (site, data))
    paths = [str(ROOT)] + ([str(site)] if site else [])
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env.update(
        KERAS_BACKEND=backend,
        COMPANION_MIXED_PRECISION={True: "1", "float16": "1", "bfloat16": "bfloat16"}.get(
            mixed, "0"
        ),
        PYTHONPATH=os.pathsep.join(paths),
        PYTHONHASHSEED="0",
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONUNBUFFERED="1",
        # Several kernels share one GPU: JAX must not take 75% of its memory at start.
        XLA_PYTHON_CLIENT_PREALLOCATE="false",
        MPLBACKEND="Agg",
    )
    if site:  # console scripts installed with the wheels (jupyter, jupytext)
        env["PATH"] = f"{site / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    if data:
        env["COMPANION_CACHE_DIR"] = str(data)
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
        env["XLA_FLAGS"] = " ".join(
            [env.get("XLA_FLAGS", ""), f"--xla_cpu_multi_thread_eigen={threads > 1}".lower()]
        ).strip()
    return env


def half_format(kind: str, backend: str, half: str = "auto") -> str:
    """The 16-bit format mixed precision computes in for ``backend`` on a run of ``kind``.

    ``auto``: float16, as on the GPU, except PyTorch on a CPU rehearsal, where float16
    convolutions are about 40 times slower than float32 ones (a CNN chapter would take
    hours on two cores) and bfloat16 is what CPUs run fast; JAX's CPU runs float16 at
    float32's speed, so the rehearsal still covers float16 there.
    """
    if half != "auto":
        return half
    return "bfloat16" if kind != "gpu" and backend == "torch" else "float16"


def parse_nbval(output: str) -> dict[str, str]:
    """Each failing cell of an nbval run (``"Cell 12"``) with the last error line of its report."""
    text = ANSI.sub("", output)
    headers = list(CELL_HEADER.finditer(text))
    failures = {}
    for index, header in enumerate(headers):
        stop = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        section = re.split(r"^={3,} ", text[header.end() : stop], flags=re.MULTILINE)[0]
        errors = ERROR_LINE.findall(section)
        # Without an error line (a cell timeout, a dead kernel), the section's last line says why.
        last = [line.strip() for line in section.strip().splitlines() if line.strip()]
        error = errors[-1].strip() if errors else (last[-1] if last else "(no error line)")
        lines = RAISING_LINE.findall(section)  # the line that raised, e.g. a failed assert
        failures[header.group(1)] = (error + (f" at: {lines[-1].strip()}" if lines else ""))[:300]
    return failures


def run_notebook(
    notebook: str, env: dict[str, str], timeout_s: float, cell_timeout_s: float = CELL_TIMEOUT_S
) -> dict[str, Any]:
    """Run nbval over one notebook; return pass/fail, wall time and, on failure, where."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rf"]
    command += ["--nbval-lax", f"--nbval-cell-timeout={cell_timeout_s:.0f}", notebook]
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout_s
        )
        output, code = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired as stopped:
        partial = stopped.stdout or b""
        partial = partial.decode(errors="replace") if isinstance(partial, bytes) else partial
        output, code = f"{partial}\nTimeout: stopped after {timeout_s:.0f} s", -1
    seconds = round(time.perf_counter() - start, 1)
    result: dict[str, Any] = {"notebook": notebook, "passed": code == 0, "seconds": seconds}
    if code != 0:
        tail = ANSI.sub("", output).strip()[-300:]
        result.update(failed_cells=parse_nbval(output) or {"?": tail}, exit_code=code)
        result["timed_out"] = code == -1
    return result


def run_benchmark(
    env: dict[str, str],
    bench_args: Sequence[str],
    on_row: Callable[[dict[str, Any]], None] | None = None,
    timeout_s: float | None = None,
    script: Path = ROOT / "benchmarks" / "cnn.py",
) -> dict[str, Any]:
    """``benchmarks/cnn.py --json --no-save``: one row per configuration, nothing saved.

    ``on_row(report)`` is called after every row, so a run stopped at ``timeout_s``
    (or killed) keeps the rows it finished.
    """
    command = [sys.executable, str(script), "--json", "--no-save"]
    report: dict[str, Any] = {"args": list(bench_args), "passed": False, "runs": []}
    start, other = time.perf_counter(), []
    process = subprocess.Popen(
        [*command, *bench_args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    timer = threading.Timer(timeout_s, process.kill) if timeout_s else None
    if timer:
        timer.start()
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("{"):
            report["runs"].append(json.loads(line))
            report["seconds"] = round(time.perf_counter() - start, 1)
            if on_row:
                on_row(report)
        else:
            other.append(line)
    code = process.wait()
    if timer:
        timer.cancel()
    report.update(passed=code == 0, seconds=round(time.perf_counter() - start, 1))
    if code != 0:
        stopped = f"stopped at the {timeout_s:.0f} s limit. " if code < 0 and timeout_s else ""
        report["error"] = (stopped + "".join(other).strip()[-600:]).strip()
        report["timed_out"] = bool(stopped)
    if on_row:
        on_row(report)
    return report


PROBE = """
import json, keras
from companion import device
info = device.setup()
print(json.dumps({"device": info.device, "precision": info.precision_policy,
                  "backend_version": info.backend_version, "keras": info.keras,
                  "python": info.python}))
"""


def probe_backend(env: dict[str, str]) -> dict[str, Any]:
    """What ``companion.device.setup()`` reports under this environment (device, policy)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"error": (done.stdout + done.stderr).strip()[-600:]}
    return json.loads(lines[-1])


def machine() -> dict[str, Any]:
    """CPU, cores, system, and the GPU as ``nvidia-smi`` names it (None without one)."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        cpu = names[0].split(":", 1)[1].strip() if names else cpu
    gpu = None
    if shutil.which("nvidia-smi"):
        query = ["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"]
        done = subprocess.run(query, capture_output=True, text=True)
        gpu = done.stdout.strip().splitlines()[0] if done.returncode == 0 and done.stdout else None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "gpu": gpu,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def versions(names: Iterable[str]) -> dict[str, str | None]:
    """Installed versions of the packages that decide the results."""
    from importlib import metadata

    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


NO_GPU_FIX = (
    "The Run-times page would show a CPU run as a GPU run. On a GPU machine, check that "
    "`nvidia-smi` lists the GPU and that the backend's CUDA wheels are installed; to rehearse "
    "on a CPU, run `make test-gpu GPU_KIND=cpu-dry-run` (or pass --kind cpu-dry-run)."
)


def check_kind(kind: str, gpu: str | None) -> None:
    """Refuse ``--kind gpu`` on a machine where ``nvidia-smi`` shows no GPU."""
    if kind == "gpu" and gpu is None:
        raise SystemExit(f"--kind gpu, but nvidia-smi shows no GPU on this machine. {NO_GPU_FIX}")


def check_backend_device(kind: str, backend: str, setup: dict[str, Any]) -> None:
    """Refuse ``--kind gpu`` when ``backend`` itself runs on the CPU (a CPU-only wheel)."""
    found = str(setup.get("device", setup.get("error", "?")))
    if kind == "gpu" and not found.startswith("GPU"):
        raise SystemExit(f"--kind gpu, but {backend} runs on {found[:200]!r}. {NO_GPU_FIX}")


def write(document: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def run_notebooks(
    backend: str,
    notebooks: Sequence[str],
    args: argparse.Namespace,
    document: dict,
    env: dict[str, str],
    lock: threading.Lock,
) -> None:
    """Run the notebooks of one backend, ``args.jobs`` at a time; the JSON after each."""
    entry = document["backends"][backend]
    start = time.perf_counter()

    def one(notebook: str) -> None:
        result = run_notebook(notebook, env, args.notebook_timeout, args.cell_timeout)
        verdict = "passed" if result["passed"] else f"FAILED {result['failed_cells']}"
        print(f"[{backend}] {notebook}: {verdict} in {result['seconds']} s", flush=True)
        with lock:  # one JSON, rewritten after each notebook
            entry["notebooks"].append(result)
            entry["notebooks"].sort(key=lambda r: notebooks.index(r["notebook"]))
            write(document, args.out)

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        list(pool.map(one, notebooks))
    entry["notebooks_seconds"] = round(time.perf_counter() - start, 1)


def run_backends(
    notebooks: Sequence[str], args: argparse.Namespace, document: dict, site: Path | None
) -> None:
    """Probe every backend, run their notebooks side by side, then each benchmark alone.

    The benchmark runs after every notebook has finished, one backend at a time, so
    that it has the accelerator (and every core) to itself.
    """
    halves = {
        b: args.mixed_precision and half_format(args.kind, b, args.half) for b in args.backends
    }
    envs = {
        backend: run_environment(backend, halves[backend], site, args.data, args.threads)
        for backend in args.backends
    }
    for backend, env in envs.items():
        entry: dict[str, Any] = {"setup": probe_backend(env), "notebooks": [], "benchmark": None}
        document["backends"][backend] = entry
        print(f"[{backend}] {entry['setup']}", flush=True)
        check_backend_device(args.kind, backend, entry["setup"])
    lock = threading.Lock()
    with ThreadPoolExecutor(max_workers=len(envs)) as pool:
        list(pool.map(lambda b: run_notebooks(b, notebooks, args, document, envs[b], lock), envs))
    for backend in envs if args.bench else []:
        entry = document["backends"][backend]
        bench_env = run_environment(backend, halves[backend], site, args.data)

        def saved(report: dict[str, Any], entry: dict = entry) -> None:
            entry["benchmark"] = report
            with lock:
                write(document, args.out)

        report = run_benchmark(bench_env, args.bench, saved, args.bench_timeout or None)
        print(f"[{backend}] benchmark: {report['runs']}", flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=KINDS, default="gpu", help="how the page labels the run")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=["jax", "torch"])
    parser.add_argument("--notebooks", nargs="*", help="default: every notebook `make test` runs")
    parser.add_argument(
        "--wheels", type=Path, help="wheels to install if keras/nbval... are missing"
    )
    parser.add_argument("--site", type=Path, default=Path("/tmp/gpu-run-site"))
    parser.add_argument("--data", type=Path, help="dataset cache folder (COMPANION_CACHE_DIR)")
    parser.add_argument("--pack-data", type=Path, metavar="DEST", help="only pack the datasets")
    parser.add_argument("--mixed-precision", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--half",
        choices=("auto", "float16", "bfloat16"),
        default="auto",
        help="16-bit format of mixed precision; auto: float16, bfloat16 for PyTorch on a CPU",
    )
    parser.add_argument("--jobs", type=int, default=1, help="notebooks run at once, per backend")
    parser.add_argument(
        "--threads",
        type=int,
        help="CPU threads per notebook; default: the cores shared by every notebook at once",
    )
    parser.add_argument(
        "--bench-timeout", type=float, default=0, help="seconds per backend's benchmark (0: none)"
    )
    parser.add_argument("--notebook-timeout", type=float, default=1800)
    parser.add_argument("--cell-timeout", type=float, default=CELL_TIMEOUT_S)
    parser.add_argument(
        "--bench", default=DEFAULT_BENCH, help="arguments for benchmarks/cnn.py, one string"
    )
    parser.add_argument("--no-bench", dest="bench", action="store_const", const="")
    parser.add_argument(
        "--note", help="one sentence on the conditions, shown on the Run-times page"
    )
    parser.add_argument(
        "--out", type=Path, help="default: benchmarks/results/notebooks-<kind>.json"
    )
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    if args.threads is None:  # backends run side by side, each with --jobs notebooks
        args.threads = max(1, (os.cpu_count() or 1) // (args.jobs * len(args.backends)))
    args.bench = shlex.split(args.bench)
    args.out = args.out or RESULTS_DIR / f"notebooks-{args.kind}.json"
    # nbval starts each kernel in its notebook's folder, where a relative path means
    # something else: every path handed to a kernel or a child process is made absolute
    # against the folder the script was started from.
    for name in ("data", "site", "wheels", "out", "pack_data"):
        if getattr(args, name) is not None:
            setattr(args, name, getattr(args, name).expanduser().absolute())
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.pack_data:
        print(f"packed the datasets into {pack_data(args.pack_data)}")
        return 0
    found = machine()
    check_kind(args.kind, found["gpu"])
    site = None
    if args.wheels and missing_modules():
        print(f"installing {args.wheels} into {args.site} (missing: {missing_modules()})")
        install_wheels(args.wheels, args.site)
        site = args.site
    notebooks = args.notebooks or default_notebooks()
    missing = [name for name in notebooks if not (ROOT / name).exists()]
    if missing:
        raise SystemExit(f"no such notebook: {missing} (paths are relative to {ROOT})")
    if site:
        sys.path.insert(0, str(site))
    document: dict[str, Any] = {
        "benchmark": "notebooks",
        "kind": args.kind,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": found,
        "versions": versions(
            ["keras", "jax", "jaxlib", "torch", "numpy", "nbval", "tensorflow", "tensorflow-cpu"]
        ),
        "settings": {
            "mixed_precision": args.mixed_precision,
            "half": args.half,
            "jobs": args.jobs,
            "threads_per_notebook": args.threads,
            "backends_side_by_side": len(args.backends),
            "notebooks": len(notebooks),
            "load_average_start": round(os.getloadavg()[0], 2),
            **({"note": args.note} if args.note else {}),
        },
        "backends": {},
    }
    run_backends(notebooks, args, document, site)
    document["settings"]["load_average_end"] = round(os.getloadavg()[0], 2)
    write(document, args.out)
    failed = [
        f"{backend}: {result['notebook']}"
        for backend, entry in document["backends"].items()
        for result in entry["notebooks"]
        if not result["passed"]
    ] + [
        f"{backend}: benchmark"
        for backend, entry in document["backends"].items()
        if entry["benchmark"] and not entry["benchmark"]["passed"]
    ]
    print(f"wrote {args.out}; {len(failed)} run(s) failed: {failed}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
