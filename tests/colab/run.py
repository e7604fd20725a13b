"""Run notebooks the way Colab would, in the virtual environment of ``make test-colab``.

Run with that environment's Python (``_build/colab-venv/bin/python``)::

    python tests/colab/run.py --serve CACHE --repository URL --clone REPO -- NOTEBOOK...

What it sets up before handing the notebooks to nbval, so that every code path is
the one a learner on Colab takes:

- ``google.colab`` is importable and imported when a kernel starts (a stub), so the
  setup cell takes its Colab branch;
- the companion is *not* installed: it is uninstalled first, and the notebooks' own
  first cell runs ``pip install "companion @ git+URL"``; git rewrites that URL to the
  local clone (``url.<clone>.insteadOf``, in a private git config file), so the
  install runs for real, from the committed tree;
- ``PATH`` holds this environment and a few basic tools only: no ``npm``, no
  ``apt-get``, no ``dpkg-deb``;
- the dataset cache starts empty and ``COMPANION_DATA_MIRROR`` points at an HTTP
  server on 127.0.0.1 that serves ``CACHE`` (the files ``make data`` fetched from
  the registries), so the loaders download, verify and install every file;
- ``PYTHONPATH`` is cleared, so nothing imports from a source tree.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Enough for pip, git and the notebooks; deliberately without npm, apt-get and dpkg-deb.
TOOLS = ("git", "sh", "bash", "env", "uname", "cat", "ls", "rm", "mkdir", "cp", "mv", "which")
TOOLS_SBIN = ("ldconfig",)  # ctypes.util.find_library asks it where shared libraries are
ABSENT = ("npm", "apt-get", "dpkg-deb")


def _restricted_path(work: Path) -> str:
    tools = work / "bin"
    shutil.rmtree(tools, ignore_errors=True)
    tools.mkdir(parents=True)
    search = os.environ.get("PATH", "") + os.pathsep + "/sbin:/usr/sbin"
    for tool in TOOLS + TOOLS_SBIN:
        found = shutil.which(tool, path=search)
        if found:
            (tools / tool).symlink_to(found)
    path = os.pathsep.join([str(Path(sys.executable).parent), str(tools)])
    present = [tool for tool in ABSENT if shutil.which(tool, path=path)]
    if present:
        raise SystemExit(
            f"test-colab: {present} still on PATH ({path}); the test needs them absent."
        )
    return path


def _install_colab_stub(work: Path) -> Path:
    """Copy the stub into site-packages and return an IPYTHONDIR that imports it at start-up."""
    package = Path(sysconfig.get_paths()["purelib"]) / "google" / "colab"
    package.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / "google_colab.py", package / "__init__.py")
    ipython_dir = work / "ipython"
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-google-colab.py").write_text("import google.colab  # as Colab's kernel does\n")
    return ipython_dir


def _uninstall_companion() -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", "companion"],
        check=False,
        capture_output=True,
    )
    # From an empty folder: the source tree in the current directory must not count.
    probe = subprocess.run(
        [sys.executable, "-c", "import companion"],
        capture_output=True,
        env=_clean_env(),
        cwd=tempfile.mkdtemp(),
    )
    if probe.returncode == 0:
        raise SystemExit("test-colab: companion is importable before the notebooks install it.")


def _clean_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "COMPANION_DATA_DIR", "JUPYTER_PATH"):
        env.pop(name, None)
    return env


def _git_config(work: Path, repository: str, clone: Path) -> Path:
    config = work / "gitconfig"
    # safe.directory: a CI checkout may belong to another user than the one running pip.
    config.write_text(
        f'[url "{clone.resolve().as_uri()}"]\n\tinsteadOf = {repository}\n'
        f"[safe]\n\tdirectory = {clone.resolve()}\n"
        "[advice]\n\tdetachedHead = false\n"
    )
    return config


def _serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            print(f"[mirror] {format % args}", file=sys.stderr, flush=True)

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=Path, required=True, help="dataset cache to serve")
    parser.add_argument("--repository", required=True, help="repository URL of _config.yml")
    parser.add_argument("--clone", type=Path, required=True, help="local git clone to install from")
    parser.add_argument("--work", type=Path, default=Path("_build/colab-run"))
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args()
    if not args.serve.is_dir():
        raise SystemExit(f"test-colab: no dataset cache at {args.serve}; run `make data` first.")
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    _uninstall_companion()
    env = _clean_env()
    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    server, mirror = _serve(args.serve.resolve())
    env.update(
        PATH=_restricted_path(work),
        IPYTHONDIR=str(_install_colab_stub(work)),
        JUPYTER_DATA_DIR=str(work / "jupyter-data"),
        JUPYTER_CONFIG_DIR=str(work / "jupyter-config"),
        GIT_CONFIG_GLOBAL=str(_git_config(work, args.repository, args.clone)),
        GIT_CONFIG_NOSYSTEM="1",
        COMPANION_CACHE_DIR=str(cache),
        KERAS_HOME=str(work / "keras"),
        COMPANION_DATA_MIRROR=mirror,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    command = [
        str(Path(sys.executable).parent / "pytest"),
        "-p",
        "no:cacheprovider",
        "--nbval-lax",
        "--nbval-cell-timeout=900",
        *map(str, args.notebooks),
    ]
    print(f"test-colab: datasets from {mirror} ({args.serve}), cache {cache}", flush=True)
    start = time.monotonic()
    try:
        status = subprocess.run(command, env=env, check=False).returncode
    finally:
        server.shutdown()
    print(f"test-colab: {len(args.notebooks)} notebook(s) in {time.monotonic() - start:.0f} s")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
