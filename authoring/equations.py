"""Sphinx extension: equations are numbered per chapter, as ``(2.7.1)``, not across the book.

With Jupyter Book's defaults (``numfig`` and Sphinx's ``math_numfig`` on, and no numbered
table of contents) Sphinx numbers displayed equations in one sequence over the whole
book, so the first equation of a late chapter reads (39). ``_config.yml`` turns
``math_numfig`` off, which makes Sphinx count the equations of each page from 1; this
extension then prefixes each number with the page's chapter number, part and chapter as
the exercise ids count them (``math-7-3`` is exercise 3 of chapter 7 of Part 2, so the
first equation of that chapter is (2.7.1)). Pages outside the numbered parts keep the
plain per-page number. A reference, ``{eq}`label```, shows the same text on any page,
and the notebook edition (``authoring.notebook_edition``) reads it from the built site.

Loaded by ``_config.yml`` (``sphinx.extra_extensions``).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ConfigError

from companion.exercises.core import PARTS

from .book import is_notebook_source, toc_entries

__all__ = ["chapter_numbers", "equation_number", "setup"]


def chapter_numbers(root: Path) -> dict[str, str]:
    """Docname (``book/math/residual-norm``) -> ``"2.7"``: Part 2, its 7th notebook chapter.

    A part is the folder's place in ``companion.exercises.core.PARTS`` (concepts is Part 1);
    a chapter is its place among the part's notebook pages in ``_toc.yml``, the numbering
    of the exercise ids. Front matter (``intro``), prose pages and other folders get none.
    """
    numbers: dict[str, str] = {}
    counts: dict[str, int] = {}
    for name, _caption in toc_entries(root):
        parts = Path(name).parts
        folder = parts[-2] if len(parts) >= 2 else ""
        if folder not in PARTS[1:] or not is_notebook_source(root / f"{name}.md"):
            continue
        counts[folder] = counts.get(folder, 0) + 1
        numbers[name] = f"{PARTS.index(folder)}.{counts[folder]}"
    return numbers


def equation_number(chapter: str, number: int) -> str:
    """``("2.7", 3)`` -> ``"2.7.3"``; ``("", 3)`` -> ``"3"`` for a page without a chapter number."""
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError(f"an equation number counts from 1, got {number!r}.")
    return f"{chapter}.{number}" if chapter else str(number)


@functools.cache
def _chapters(srcdir: str) -> dict[str, str]:
    return chapter_numbers(Path(srcdir))


def _number_per_chapter(app: Sphinx, doctree: nodes.document) -> None:
    """Rewrite the per-page numbers Sphinx gave this page's equations, in the page and the domain."""
    docname = app.env.docname
    chapter = _chapters(str(app.srcdir)).get(docname, "")
    if not chapter:
        return
    equations = app.env.get_domain("math").equations  # type: ignore[attr-defined]
    for node in doctree.findall(nodes.math_block):
        label, number = node.get("label"), node.get("number")
        if not label or not isinstance(number, int):
            continue
        text = equation_number(chapter, number)
        node["number"] = text
        if equations.get(label, (None,))[0] == docname:
            equations[label] = (docname, text)


def _check_config(app: Sphinx, config: Any) -> None:
    if config.math_numfig and config.numfig:
        raise ConfigError(
            "authoring.equations numbers equations per chapter, but math_numfig is on, which "
            "numbers them across the book: set `math_numfig: false` under sphinx: config: in "
            "_config.yml."
        )


def setup(app: Sphinx) -> dict[str, Any]:
    """Number after the page is read (myst-parser has given each labelled equation its number)."""
    app.connect("config-inited", _check_config)
    app.connect("doctree-read", _number_per_chapter)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
