"""Checks of the built notebook edition against the built site (`make test-notebooks`).

They read `_build/html` and `_build/notebooks`, so they run after `make book` (which
runs `make test-notebooks` itself), with COMPANION_BUILT_BOOK=1; `make test` and
`make check`, which run before any build, skip them.
"""

from __future__ import annotations

import os
import re

import jupytext
import nbformat
import pytest

from authoring import book, editions
from authoring import notebook_edition as edition
from authoring.site_index import Build
from companion.exercises import registry

pytestmark = pytest.mark.skipif(
    os.environ.get("COMPANION_BUILT_BOOK") != "1",
    reason="checks the built book: run by `make test-notebooks` after `make book`",
)

ROOT = book.REPO_ROOT
HTML = ROOT / "_build" / "html"
NOTEBOOKS = ROOT / "_build" / "notebooks"
PAGES = [page.relative_to(ROOT).as_posix() for page in book.notebook_pages()]
_COLAB_LINK = re.compile(r'href="(https://colab\.research\.google\.com/github/[^"]+)"')


def _edition(page: str) -> nbformat.NotebookNode:
    path = NOTEBOOKS / page
    assert path.exists(), f"{path} was not written: run `make notebooks`"
    return nbformat.read(path, as_version=4)


def _html(page: str) -> str:
    return (HTML / page.replace(".ipynb", ".html")).read_text(encoding="utf-8")


@pytest.mark.parametrize("page", PAGES)
def test_the_edition_has_no_myst_left(page):
    leftovers = edition.myst_leftovers(_edition(page))
    assert not leftovers, f"{page}: MyST left in the notebook edition: {leftovers}"


@pytest.mark.parametrize("page", PAGES)
def test_every_number_glued_into_the_site_is_in_the_edition(page):
    prose = "\n".join(c.source for c in _edition(page).cells if c.cell_type == "markdown")
    shown = edition.site_glued_values(_html(page))
    missing = [value for value in shown if value not in prose]
    assert not missing, f"{page}: glued values of the site missing from its notebook: {missing}"


def test_the_site_glues_numbers_into_its_pages():
    assert sum(len(edition.site_glued_values(_html(page))) for page in PAGES) > 100


@pytest.mark.parametrize("page", PAGES)
def test_the_colab_button_opens_a_notebook_of_the_edition(page):
    links = set(_COLAB_LINK.findall(_html(page)))
    assert links == {book.colab_url(page)}, f"{page}: Colab links {links}"
    prefix = book.colab_url("")
    assert all((NOTEBOOKS / link.removeprefix(prefix)).exists() for link in links)


@pytest.fixture(scope="module")
def built() -> Build:
    return Build.read()


@pytest.mark.parametrize("page", PAGES)
def test_the_edition_runs_the_books_code_after_the_pinned_install(page, built):
    """Code cells: the pinned install cell, then the book's code without its hidden checks,
    its solutions (folded into the prose) and its Colab prelude, and a practice-check
    starter under each exercise checked automatically."""
    text = (ROOT / page).with_suffix(".md").read_text(encoding="utf-8")
    checked = [m.id for m in editions.exercise_markup(text) if registry()[m.id].auto_checked]
    starters = [edition.starter_code(exercise_id) for exercise_id in checked]
    every = [c.source for c in _edition(page).cells if c.cell_type == "code"]
    assert [c for c in every if c in starters] == starters, f"{page}: a practice starter is missing"
    code = [c for c in every if c not in starters]
    solutions = set(editions.solution_code(text))
    prelude = book.colab_prelude()
    kept = [
        c
        for c in jupytext.reads(text, fmt="md:myst").cells
        if c.cell_type == "code"
        and "remove-cell" not in c.metadata.get("tags", [])
        and c.source not in solutions
    ]
    if all("remove-input" in c.metadata.get("tags", []) for c in kept):
        assert not code, f"{page}: only displayed Markdown is kept, so no code is expected"
        return
    expected = [c.source.removeprefix(prelude).lstrip("\n") for c in kept]
    assert code[0] == edition.install_code(built), f"{page}: no pinned install cell first"
    assert code[1:] == [source for source in expected if source.strip()], page
