"""The instructor's reference solutions and the chapters' solution cells are one text.

The nbgrader source notebooks hold the reference solution of ``authoring.instructor``;
the chapter runs its own solution cell. Every statement of a code solution in the
instructor's store must stand, unchanged (compared as
Python syntax trees, so quotes and blank lines do not matter), in that exercise's
solution cells; an import or an assignment may instead come from an earlier cell of
the chapter (read with the chapter's names defined).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import jupytext
import pytest

from authoring import book, editions, myst
from authoring.instructor import references


def _statements(code: str) -> list[str]:
    return [_key(node) for node in ast.parse(myst.python_source(code)).body]


def _key(node: ast.stmt) -> str:
    """How a statement is compared: its syntax tree; an import, by each name it binds."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        module = getattr(node, "module", None) or ""
        return "\n".join(f"import {module}:{a.name} as {a.asname}" for a in node.names)
    return ast.dump(node)


def _found(node: ast.stmt, statements: list[str]) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        imported = {line for s in statements for line in s.split("\n")}
        return set(_key(node).split("\n")) <= imported
    return _key(node) in statements


def _code_cells(text: str) -> list[str]:
    notebook = jupytext.reads(text, fmt="md:myst")
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


@functools.cache
def _chapter_solutions() -> dict[str, tuple[Path, list[str], list[str]]]:
    """Exercise id -> (chapter, statements of its solution cells, statements of all cells)."""
    found = {}
    for page in book.notebook_pages():
        source = page.with_suffix(".md")
        text = source.read_text(encoding="utf-8")
        everything = [s for cell in _code_cells(text) for s in _statements(cell)]
        for region in editions.solution_regions(text):
            solved = [s for cell in _code_cells(region.text) for s in _statements(cell)]
            found[region.exercise_id] = (source, solved, everything)
    return found


def _is_code(solution: str) -> bool:
    try:
        body = ast.parse(solution).body
    except SyntaxError:
        return False
    return any(not isinstance(node, ast.Expr) for node in body)


CODE_SOLUTIONS = sorted(i for i, exercise in references().items() if _is_code(exercise.solution))


def test_most_solutions_are_code():
    assert len(CODE_SOLUTIONS) >= 40, CODE_SOLUTIONS


@pytest.mark.parametrize("exercise_id", CODE_SOLUTIONS)
def test_reference_solution_is_the_chapter_solution(exercise_id: str) -> None:
    chapters = _chapter_solutions()
    assert exercise_id in chapters, f"{exercise_id} has no solution cell in any chapter"
    source, solved, everything = chapters[exercise_id]
    context = (ast.Import, ast.ImportFrom, ast.Assign)
    missing = [
        ast.unparse(node)
        for node in ast.parse(references()[exercise_id].solution).body
        if not _found(node, solved) and not (isinstance(node, context) and _found(node, everything))
    ]
    assert not missing, (
        f"{exercise_id}: the reference solution (authoring/instructor/) differs from the solution "
        f"cell of {source.name}; these statements are not in the chapter: {missing}"
    )
