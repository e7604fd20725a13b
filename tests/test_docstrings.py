"""The "Used in:" line of each companion docstring names chapters that really use it.

A docstring says where the book uses a function ("Used in: Part 3, A baseline CNN and
Making it better; Part 1 reuses it."). Each chapter it names by title must refer to
the function (or to one named with ``:func:`` in that line, for "through :func:`train`")
in a code cell; "Part N reuses it" needs one chapter of Part N that does. The other
direction is checked too: a chapter that calls a public function is named in its line,
or covered by its part, or by "every chapter".
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import re
from pathlib import Path

import jupytext
import pytest

from authoring import book, myst

ROOT = Path(__file__).resolve().parent.parent
PARTS = {"intro": "Front matter", "concepts": "Part 1", "math": "Part 2", "cnn": "Part 3",
         "applications": "Part 4"}  # fmt: skip
USED_IN = re.compile(r"Used in:(?P<text>.*?)(?:\n\s*\n|\Z)", re.DOTALL)


def _title(source: Path) -> str:
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise AssertionError(f"{source} has no title")


@functools.cache
def _chapters() -> dict[Path, str]:
    pages = [page.with_suffix(".md") for page in book.notebook_pages()]
    return {source: _title(source) for source in pages if source.parent.name in PARTS}


def _aliases(title: str) -> list[str]:
    """A chapter is named by its title, or by it without a "Language: " prefix."""
    names = [title]
    if ": " in title:
        names.append(title.split(": ", 1)[1])
    return names


@functools.cache
def _references(source: Path) -> frozenset[tuple[str, str]]:
    """(module, name) of every companion function a chapter's code cells refer to."""
    notebook = jupytext.read(source)
    cells = [
        ast.parse(myst.python_source(cell.source))
        for cell in notebook.cells
        if cell.cell_type == "code"
    ]
    tree = ast.Module(body=[node for cell in cells for node in cell.body], type_ignores=[])
    modules: dict[str, str] = {}  # local name -> companion module
    names: dict[str, tuple[str, str]] = {}  # local name -> (module, attribute)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("companion"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if _is_module(full):
                    modules[alias.asname or alias.name] = full
                else:
                    names[alias.asname or alias.name] = (node.module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("companion") and alias.asname:
                    modules[alias.asname] = alias.name
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id in modules:
                found.add((modules[node.value.id], node.attr))
        elif isinstance(node, ast.Name) and node.id in names:
            found.add(names[node.id])
    return frozenset(_defining(module, name) for module, name in found)


def _is_module(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def _defining(module: str, name: str) -> tuple[str, str]:
    """Where a re-exported function is defined (companion.exercises.check -> core)."""
    value = getattr(importlib.import_module(module), name, None)
    if inspect.isfunction(value) or inspect.isclass(value):
        return value.__module__, value.__name__
    return module, name


def _documented() -> list[tuple[str, str, str]]:
    """(module, function, its "Used in:" text) for every public function that has one."""
    found = []
    for path in sorted((ROOT / "companion").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if module.endswith("__init__"):
            continue
        imported = importlib.import_module(module)
        for name, value in vars(imported).items():
            if name.startswith("_") or not inspect.isfunction(value):
                continue
            if value.__module__ != module or not value.__doc__:
                continue
            match = USED_IN.search(inspect.cleandoc(value.__doc__))
            if match:
                found.append((module, name, " ".join(match["text"].split())))
    return found


def _named_chapters(text: str) -> list[Path]:
    named = []
    for source, title in _chapters().items():
        if any(
            re.search(rf"\b{re.escape(alias)}\b", text, re.IGNORECASE) for alias in _aliases(title)
        ):
            named.append(source)
    return named


def _parts_reusing(text: str) -> set[str]:
    """Parts the line covers as a whole: "Part 1 reuses it", "Part 1 and Part 4 reuse it"."""
    covered = set()
    for clause in re.split(r"[;.]", text):
        if re.search(r"\breuses?\b|\bevery chapter\b|\bcounts\b", clause):
            covered |= {f"Part {n}" for n in re.findall(r"Part (\d)", clause)}
    return covered


def _part(source: Path) -> str:
    return PARTS[source.parent.name]


DOCUMENTED = _documented()


def test_there_are_used_in_lines_to_check():
    assert len(DOCUMENTED) > 100


@pytest.mark.parametrize(("module", "name", "text"), DOCUMENTED, ids=lambda v: str(v)[:40])
def test_chapters_named_in_used_in_call_the_function(module: str, name: str, text: str) -> None:
    accepted = {(module, name)} | {
        _defining(module, target.rsplit(".", 1)[-1]) if "." not in target else (
            "companion." + target.rsplit(".", 1)[0].removeprefix("companion."),
            target.rsplit(".", 1)[-1])
        for target in re.findall(r":(?:func|class|data):`~?([\w.]+)`", text)
    }  # fmt: skip
    wrong = [
        source.relative_to(ROOT).as_posix()
        for source in _named_chapters(text)
        if not _references(source) & accepted
    ]
    assert not wrong, f"{module}.{name} says 'Used in: {text}', but {wrong} never refer to it"
    for part in _parts_reusing(text):
        users = [s for s in _chapters() if _part(s) == part and _references(s) & accepted]
        assert users, (
            f"{module}.{name} says {part} reuses it, but no chapter of {part} refers to it"
        )


@pytest.mark.parametrize(("module", "name", "text"), DOCUMENTED, ids=lambda v: str(v)[:40])
def test_every_chapter_calling_a_function_is_named(module: str, name: str, text: str) -> None:
    if re.search(r"\bevery (chapter|notebook)\b|\blater chapters\b", text, re.IGNORECASE):
        return  # a claim about all chapters, not a list
    named = set(_named_chapters(text))
    covered = _parts_reusing(text)
    missing = [
        source.relative_to(ROOT).as_posix()
        for source in _chapters()
        if (module, name) in _references(source)
        and source not in named
        and _part(source) not in covered
    ]
    assert not missing, f"{module}.{name} is used in {missing}, not named in 'Used in: {text}'"
