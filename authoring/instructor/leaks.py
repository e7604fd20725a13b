"""Scan files for what must never reach a student: reference solutions and hidden values.

What counts as a leak, found however the text is formatted:

- a reference solution's function, compared as a syntax tree (name, docstring and
  type hints ignored), or one of its larger statements (15 syntax nodes or more)
  that the chapters do not show outside their solutions;
- a sentence of a model answer (an exercise read by a person), 40 characters or more;
- a distinctive expected value of a hidden case: a float with 6 significant digits or
  more that no practice case shows, matched to the digits the text gives.

``python -m authoring.instructor.leaks PATH...`` scans folders and files (``.py``,
``.ipynb`` and any other text) and exits with 1, listing what it found, if anything
leaked; run it on a release folder before handing it out.

Used in: Back matter, Instructor guide (``tests/test_leaks.py``, before a release).
"""

from __future__ import annotations

import argparse
import ast
import functools
import json
import math
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from companion.exercises import Case, Exercise, registry

from .store import Reference, references, split_hidden

__all__ = [
    "SHARED_STATEMENTS",
    "Leak",
    "Secrets",
    "public_statements",
    "scan_paths",
    "scan_text",
    "secrets",
]

MIN_STATEMENT_NODES = 15
# Statements of a reference solution that companion's library code holds too, on purpose
# (a whole solution function never is). Each says why; the instructor guide lists them.
SHARED_STATEMENTS = {
    ("applications-2-2", "y_true, y_pred = (np.asarray(y_true), np.asarray(y_pred))"): (
        "converting the inputs to arrays, as companion.evaluation does"
    ),
    ("math-2-2", "e = np.exp(-np.abs(z))"): (
        "the overflow-free sigmoid of companion.numpy_nn.sigmoid, which the chapter shows"
    ),
    ("applications-5-2", "discounts = 1.0 / np.log2(np.arange(2, k + 2))"): (
        "the DCG discounts of companion.recommend's NDCG, which the chapter uses"
    ),
    ("math-5-1", "return (dZ @ W.T, X.T @ dZ, dZ.sum(axis=0))"): (
        "companion.numpy_nn.dense_backward returns the same three gradients (the NumPy network "
        "of Part 2): a student can pass it as the answer, so grade math-5-1 by hand or not at all"
    ),
}
MIN_SENTENCE = 40
MIN_DIGITS = 6
_NUMBER = re.compile(r"(?<![\w.])-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?(?![\w.])")
_FENCE = re.compile(r"^(`{3,}|~{3,})[^\n]*\n(.*?)^\1", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Leak:
    """One secret found in one file: where, which exercise, and what."""

    path: str
    exercise_id: str
    what: str

    def __str__(self) -> str:
        return f"{self.path}: {self.what} of {self.exercise_id}"


@dataclass(frozen=True)
class Secrets:
    """The fingerprints a scan looks for, each mapped to its exercise id."""

    functions: Mapping[str, str]
    statements: Mapping[str, str]
    sentences: Mapping[str, str]
    numbers: np.ndarray  # sorted distinctive hidden expected values
    number_ids: tuple[str, ...]  # the exercise of each, in the same order


# --------------------------------------------------------------------------- fingerprints
def _function_key(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """A function as a syntax tree, without its name, docstring, decorators or type hints."""
    copy = ast.parse(ast.unparse(node)).body[0]
    assert isinstance(copy, (ast.FunctionDef, ast.AsyncFunctionDef))
    copy.name, copy.decorator_list, copy.returns = "_", [], None
    for argument in ast.walk(copy.args):
        if isinstance(argument, ast.arg):
            argument.annotation = None
    body = copy.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:] or [ast.Pass()]
    copy.body = body
    return ast.dump(copy)


_NOT_STATEMENTS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


def _large_statements(tree: ast.AST) -> Iterator[ast.stmt]:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.stmt)
            and not isinstance(node, _NOT_STATEMENTS)
            and sum(1 for _ in ast.walk(node)) >= MIN_STATEMENT_NODES
        ):
            yield node


def _parse(code: str) -> ast.Module | None:
    """Python code, with IPython's magics and shell lines blanked; None if it is not Python."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in code.split("\n")]
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return None


def _sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [s for s in re.split(r"(?<=[.;:!?])\s+", flat) if len(s) >= MIN_SENTENCE]


def _floats(value: Any) -> Iterator[float]:
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        kind = value.dtype.type
        for item in value.ravel():
            yield float(str(kind(item)))  # float32's digits, not those of the float64 holding it
    elif isinstance(value, (float, np.floating)):
        yield float(str(value)) if isinstance(value, np.floating) else value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _floats(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _floats(item)


def _digits(text: str) -> int:
    """Significant digits of a number written as text (``0.6364`` has 4, ``7e+10`` has 1)."""
    return len(text.lower().lstrip("-").split("e")[0].replace(".", "").strip("0"))


def _distinctive(value: float) -> bool:
    return math.isfinite(value) and value != 0 and _digits(repr(value)) >= MIN_DIGITS


def _case_floats(cases: Iterable[Case]) -> Iterator[float]:
    for case in cases:
        yield from _floats(case.expected)
        yield from _floats(case.args)
        yield from _floats(case.kwargs)


@functools.cache
def _book_secrets() -> Secrets:
    return secrets(registry(), references())


@functools.cache
def public_statements() -> frozenset[str]:
    """The larger statements the chapters show outside their solutions (public anyway)."""
    import jupytext

    from ..editions import chapters, solution_regions

    shown: set[str] = set()
    for chapter in chapters():
        lines = chapter.source.read_text(encoding="utf-8").split("\n")
        hidden = {n for r in solution_regions("\n".join(lines)) for n in range(r.start, r.end + 1)}
        text = "\n".join(line for n, line in enumerate(lines) if n not in hidden)
        for cell in jupytext.reads(text, fmt="md:myst").cells:
            tree = _parse(cell.source) if cell.cell_type == "code" else None
            if tree is not None and "solution" not in cell.metadata.get("tags", []):
                shown.update(map(ast.dump, _large_statements(tree)))
    return frozenset(shown)


def secrets(
    exercises: Mapping[str, Exercise] | None = None,
    solutions: Mapping[str, Reference] | None = None,
) -> Secrets:
    """The fingerprints of every reference solution and distinctive hidden expected value.

    A statement the chapters show outside their solutions is public, not a secret.
    """
    if exercises is None and solutions is None:
        return _book_secrets()
    public_code = public_statements()
    exercises = registry() if exercises is None else exercises
    solutions = references() if solutions is None else solutions
    functions: dict[str, str] = {}
    statements: dict[str, str] = {}
    sentences: dict[str, str] = {}
    public = {round(v, 12) for e in exercises.values() if e.cases for v in _case_floats(e.cases())}
    numbers: dict[float, str] = {}
    for exercise_id, found in solutions.items():
        tree = _parse(found.solution)
        if tree is None or all(isinstance(n, ast.Expr) for n in tree.body):
            sentences.update(dict.fromkeys(_sentences(found.solution), exercise_id))
        else:
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    functions[_function_key(node)] = exercise_id
            own = set(map(ast.dump, _large_statements(tree))) - public_code
            statements.update(dict.fromkeys(own, exercise_id))
        if exercise_id in exercises and found.cases is not None:
            for case in split_hidden(exercises[exercise_id], found):
                for value in _floats(case.expected):
                    if _distinctive(value) and round(value, 12) not in public:
                        numbers.setdefault(value, exercise_id)
    ordered = sorted(numbers)
    return Secrets(
        functions, statements, sentences, np.array(ordered), tuple(numbers[v] for v in ordered)
    )


# --------------------------------------------------------------------------- scanning
def _code_leaks(code: str, where: str, found: Secrets, *, strings: bool = True) -> list[Leak]:
    """Solution functions and statements in ``code``, and in its strings that hold code."""
    tree = _parse(code)
    if tree is None:
        return []
    leaks = []
    if strings:  # a solution kept as text, like the registry's solution="def ..." once was
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and "\n" in node.value
            ):
                leaks += _code_leaks(node.value, where, found, strings=False)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            key = _function_key(node)
            if key in found.functions:
                leaks.append(
                    Leak(where, found.functions[key], f"the reference solution {node.name}()")
                )
    for node in _large_statements(tree):
        exercise_id = found.statements.get(ast.dump(node))
        if exercise_id is not None and (exercise_id, ast.unparse(node)) not in SHARED_STATEMENTS:
            leaks.append(
                Leak(where, exercise_id, f"a statement of the solution: {ast.unparse(node)}")
            )
    return leaks


def _number_leaks(text: str, where: str, found: Secrets) -> list[Leak]:
    if not len(found.numbers):
        return []
    leaks = []
    for token in _NUMBER.findall(text):
        if _digits(token) < MIN_DIGITS:
            continue
        value = float(token)
        if value == 0 or not math.isfinite(value):
            continue
        # the token's precision: half a unit in its last digit
        decimals = len(token.lower().split("e")[0].split(".")[1]) if "." in token else 0
        exponent = int(token.lower().split("e")[1]) if "e" in token.lower() else 0
        half = 0.5 * 10.0 ** (exponent - decimals) * (1 + 1e-9)
        low = np.searchsorted(found.numbers, value - half, side="left")
        if low < len(found.numbers) and found.numbers[low] <= value + half:
            leaks.append(Leak(where, found.number_ids[low], f"the hidden expected value {token}"))
    return leaks


def scan_text(text: str, where: str, found: Secrets, *, python: bool = False) -> list[Leak]:
    """Leaks in one text: its code (all of it if ``python``, else its fenced blocks),
    the sentences of model answers and the hidden values it shows."""
    code = [text] if python else [m.group(2) for m in _FENCE.finditer(text)]
    leaks = [leak for block in code for leak in _code_leaks(block, where, found)]
    flat = " ".join(text.split())
    tree = _parse(text) if python else None
    if tree is not None:  # strings split over lines ("a " "b") are one constant in the tree
        constants = (n.value for n in ast.walk(tree) if isinstance(n, ast.Constant))
        flat += " " + " ".join(" ".join(c.split()) for c in constants if isinstance(c, str))
    leaks += [
        Leak(where, exercise_id, f"the model answer's sentence {sentence[:60]!r}")
        for sentence, exercise_id in found.sentences.items()
        if sentence in flat
    ]
    return leaks + _number_leaks(text, where, found)


def _notebook_leaks(path: Path, text: str, found: Secrets) -> list[Leak]:
    leaks = []
    for number, cell in enumerate(json.loads(text).get("cells", [])):
        source = "".join(cell.get("source", []))
        outputs = json.dumps(cell.get("outputs", []))
        where = f"{path} (cell {number})"
        leaks += scan_text(source, where, found, python=cell.get("cell_type") == "code")
        leaks += _number_leaks(outputs, where, found)
    return leaks


def _files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            yield path


def scan_paths(paths: Sequence[Path], found: Secrets | None = None) -> list[Leak]:
    """Every leak in these files and folders (binary files are skipped)."""
    found = secrets() if found is None else found
    leaks: list[Leak] = []
    for path in _files(Path(p) for p in paths):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if path.suffix == ".ipynb":
            leaks += _notebook_leaks(path, text, found)
        else:
            leaks += scan_text(text, str(path), found, python=path.suffix == ".py")
    return leaks


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m authoring.instructor.leaks PATH...``: list leaks, exit 1 if any."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path, help="folders or files to scan")
    args = parser.parse_args(argv)
    leaks = scan_paths(args.paths)
    for leak in leaks:
        print(leak)
    found = secrets()
    print(
        f"Scanned for {len(found.functions)} solution functions, {len(found.statements)} "
        f"statements, {len(found.sentences)} model-answer sentences and {len(found.numbers)} "
        f"hidden values: {len(leaks)} leak{'s' if len(leaks) != 1 else ''}."
    )
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
