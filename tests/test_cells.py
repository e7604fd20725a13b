"""Notebook code cells stay short enough to read: a long cell is split where prose explains each part."""

from __future__ import annotations

import jupytext
import pytest

from authoring import book

# About a screen of code. A cell that needs more is usually two steps, and the
# sentence between them is where the reader learns what the second one does.
MAX_CODE_LINES = 35


@pytest.mark.parametrize("page", book.notebook_pages(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_code_cells_fit_on_a_screen(page) -> None:
    notebook = jupytext.read(page.with_suffix(".md"))
    long_cells = [
        (number, len(cell.source.splitlines()), cell.source.splitlines()[0])
        for number, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and len(cell.source.splitlines()) > MAX_CODE_LINES
    ]
    assert not long_cells, (
        f"{page.with_suffix('.md').name}: code cells over {MAX_CODE_LINES} lines "
        f"(cell number, lines, first line): {long_cells}; split them where a sentence of prose "
        "can explain each part."
    )
