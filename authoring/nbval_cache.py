"""pytest plugin: nbval's run of each notebook fills the book's execution cache.

``make test`` executes every notebook with nbval; ``make book`` then builds the site
with ``execute_notebooks: cache``. Without this plugin the book build executes every
notebook a second time. With ``--store-executed=_build/.jupyter_cache`` each notebook
whose cells all passed is stored, with the outputs the kernel sent, in the
jupyter-cache that ``jupyter-book build`` reads, so the build finds it there.

The cache key is the notebook's code (jupyter-cache hashes the code cells' source and
metadata plus the kernelspec); the paired ``.ipynb`` that nbval runs has the same code
as the ``.md`` page, which ``tests/test_book.py`` checks. Outputs are rebuilt from the
kernel's messages as nbclient does (``clear_output``, ``update_display_data``).

Used by ``make test`` (``-p authoring.nbval_cache``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest

__all__ = ["outputs_from_messages"]


@dataclass
class _Run:
    """What nbval did with one notebook so far."""

    path: Path
    notebook: nbformat.NotebookNode
    code_cells: int
    cells: dict[int, list[Any]] = field(default_factory=dict)
    seconds: float = 0.0
    failed: bool = False
    language_info: dict[str, Any] | None = None


def outputs_from_messages(messages: list[dict[str, Any]], msg_id: str) -> list[Any]:
    """The outputs of the execute request ``msg_id``, as nbclient keeps them."""
    outputs: list[Any] = []
    clear_before_next = False
    displays: dict[str, list[int]] = {}
    for message in messages:
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "clear_output":
            if content.get("wait"):
                clear_before_next = True
            else:
                outputs.clear()
                displays.clear()
        elif kind in ("stream", "display_data", "execute_result", "error"):
            if clear_before_next:
                outputs.clear()
                displays.clear()
                clear_before_next = False
            display_id = content.get("transient", {}).get("display_id")
            if display_id:
                displays.setdefault(display_id, []).append(len(outputs))
            outputs.append(nbformat.v4.output_from_msg(message))
        elif kind == "update_display_data":
            display_id = content.get("transient", {}).get("display_id")
            for index in displays.get(display_id, []):
                outputs[index]["data"] = content["data"]
                outputs[index]["metadata"] = content["metadata"]
    return outputs


def _lock_exclusively(file: Any) -> None:
    """Wait for an exclusive lock on ``file`` (released when it is closed); no-op on Windows."""
    try:
        import fcntl
    except ImportError:  # Windows: run nbval without -n there
        return
    fcntl.flock(file, fcntl.LOCK_EX)


class _Recorder:
    """Records each nbval cell's kernel messages and stores finished notebooks."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self.runs: dict[str, _Run] = {}
        self.stored: list[str] = []

    def _run_of(self, item: Any) -> _Run:
        notebook_item = item.parent
        if notebook_item.nodeid not in self.runs:
            notebook = notebook_item.nb
            code_cells = sum(cell.cell_type == "code" for cell in notebook.cells)
            self.runs[notebook_item.nodeid] = _Run(Path(notebook_item.fspath), notebook, code_cells)
        return self.runs[notebook_item.nodeid]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: Any):
        from nbval.plugin import IPyNbCell

        if not isinstance(item, IPyNbCell) or item.parent.kernel is None:
            yield
            return
        run = self._run_of(item)
        kernel, notebook_item = item.parent.kernel, item.parent
        if run.language_info is None:
            run.language_info = kernel.kc.kernel_info(reply=True, timeout=60)["content"].get(
                "language_info"
            )
        messages: list[dict[str, Any]] = []
        sent: list[str] = []
        execute, receive = kernel.execute_cell_input, notebook_item.get_kernel_message

        def execute_and_remember(*args: Any, **kwargs: Any) -> str:
            sent.append(execute(*args, **kwargs))
            return sent[-1]

        def receive_and_remember(*args: Any, **kwargs: Any) -> dict[str, Any]:
            messages.append(receive(*args, **kwargs))
            return messages[-1]

        kernel.execute_cell_input = execute_and_remember
        notebook_item.get_kernel_message = receive_and_remember
        start = time.perf_counter()
        try:
            outcome = yield
        finally:
            del kernel.execute_cell_input, notebook_item.get_kernel_message
        run.seconds += time.perf_counter() - start
        if outcome.excinfo is not None or not sent:
            run.failed = True  # a failed or skipped cell: the book build must execute it
            return
        run.cells[item.cell_num] = outputs_from_messages(messages, sent[0])
        if len(run.cells) == run.code_cells and not run.failed:
            self._store(run)

    def _store(self, run: _Run) -> None:
        from jupyter_cache import get_cache
        from jupyter_cache.base import CacheBundleIn

        notebook = nbformat.from_dict(run.notebook)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        # nbval runs cells without storing history (every count would be 1): number them
        # 1, 2, ... as a top-to-bottom run in Jupyter does.
        for number, cell in enumerate(code):
            outputs = run.cells[number]
            cell.execution_count = number + 1
            for output in outputs:
                if output.output_type == "execute_result":
                    output.execution_count = number + 1
            cell.outputs = outputs
        if run.language_info:
            notebook.metadata["language_info"] = run.language_info
        page = run.path.with_suffix(".md")
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        # pytest-xdist's workers (`make test` runs nbval with -n 2) store into one
        # SQLite cache: one writer at a time.
        with open(self.cache_dir / ".nbval-cache.lock", "w") as lock:
            _lock_exclusively(lock)
            cache = get_cache(str(self.cache_dir))
            cache.cache_notebook_bundle(
                CacheBundleIn(
                    notebook,
                    str(page if page.exists() else run.path),
                    data={"execution_seconds": run.seconds},
                ),
                check_validity=False,
                overwrite=True,
            )
        self.stored.append(str(run.path))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.stored:
            said = f"stored {len(self.stored)} executed notebook(s)"
        else:  # under pytest-xdist the workers store, and this process only reports
            from jupyter_cache import get_cache

            records = get_cache(str(self.cache_dir)).list_cache_records()
            said = f"{len(records)} executed notebook(s) are"
        terminalreporter.write_line(f"nbval_cache: {said} in {self.cache_dir}")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--store-executed",
        metavar="CACHE_DIR",
        default=None,
        help="store each notebook nbval executed without failure in this jupyter-cache",
    )


def pytest_configure(config: pytest.Config) -> None:
    cache_dir = config.getoption("--store-executed")
    if cache_dir:
        config.pluginmanager.register(_Recorder(Path(cache_dir)), "nbval-cache-recorder")
