"""Equations are numbered per chapter, (2.7.1), on the site and in the notebook edition."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from docutils import nodes
from docutils.utils import new_document
from sphinx.errors import ConfigError

from authoring import equations
from authoring import notebook_edition as edition
from authoring.site_index import Build, Link

NOTEBOOK_HEADER = "---\njupytext:\n  formats: ipynb,md:myst\n---\n\n# A page\n"


def _book(tmp_path: Path) -> Path:
    toc = {
        "format": "jb-book",
        "root": "book/index",
        "parts": [
            {"caption": "Start here", "chapters": [{"file": "book/intro/start"}]},
            {"caption": "Concepts", "chapters": [{"file": "book/concepts/one"}]},
            {"caption": "Mathematics", "chapters": [
                {"file": "book/math/notation"}, {"file": "book/math/first"}, {"file": "book/math/second"},
            ]},
        ],
    }  # fmt: skip
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(toc), encoding="utf-8")
    for name in ("intro/start", "concepts/one", "math/first", "math/second"):
        page = tmp_path / "book" / f"{name}.md"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(NOTEBOOK_HEADER, encoding="utf-8")
    (tmp_path / "book/math/notation.md").write_text("# Notation (prose, no notebook)\n")
    (tmp_path / "book/index.md").write_text("# Index\n")
    return tmp_path


def test_chapters_are_numbered_by_part_and_by_place_among_the_parts_notebooks(tmp_path):
    numbers = equations.chapter_numbers(_book(tmp_path))
    # The prose notation page is skipped, as the exercise ids skip it; front matter has none.
    assert numbers == {
        "book/concepts/one": "1.1",
        "book/math/first": "2.1",
        "book/math/second": "2.2",
    }


def test_the_books_own_chapters_follow_the_exercise_ids():
    numbers = equations.chapter_numbers(Path(__file__).resolve().parent.parent)
    assert numbers["book/math/residual-norm"] == "2.7"  # exercises math-7-*
    assert numbers["book/concepts/large-models"] == "1.1"  # exercises concepts-1-*


def test_an_equation_number_is_chapter_dot_number():
    assert equations.equation_number("2.7", 3) == "2.7.3"
    assert equations.equation_number("", 3) == "3"
    with pytest.raises(ValueError, match="counts from 1"):
        equations.equation_number("2.7", 0)


def _page(labels_and_numbers):
    document = new_document("page")
    for label, number in labels_and_numbers:
        document += nodes.math_block("", "x", label=label, number=number)
    return document


def _app(tmp_path, docname, known):
    domain = SimpleNamespace(equations=known)
    env = SimpleNamespace(docname=docname, get_domain=lambda name: domain)
    return SimpleNamespace(env=env, srcdir=str(tmp_path)), domain


def test_the_transform_renumbers_the_page_and_the_references_to_it(tmp_path):
    _book(tmp_path)
    known = {
        "eq-a": ("book/math/second", 1),
        "eq-b": ("book/math/second", 2),
        "eq-x": ("book/math/first", 1),
    }
    app, domain = _app(tmp_path, "book/math/second", known)
    page = _page([("eq-a", 1), ("eq-b", 2), (None, None)])
    equations._number_per_chapter(app, page)
    assert [node.get("number") for node in page.findall(nodes.math_block)] == [
        "2.2.1",
        "2.2.2",
        None,
    ]
    assert domain.equations["eq-b"] == ("book/math/second", "2.2.2")  # what {eq} shows elsewhere
    assert domain.equations["eq-x"] == ("book/math/first", 1)  # another page's, untouched


def test_a_page_without_a_chapter_number_keeps_its_per_page_numbers(tmp_path):
    _book(tmp_path)
    app, domain = _app(tmp_path, "book/math/notation", {"eq-n": ("book/math/notation", 1)})
    page = _page([("eq-n", 1)])
    equations._number_per_chapter(app, page)
    assert next(iter(page.findall(nodes.math_block)))["number"] == 1


def test_numbering_across_the_book_is_refused_with_the_fix():
    with pytest.raises(ConfigError, match="math_numfig: false"):
        equations._check_config(None, SimpleNamespace(math_numfig=True, numfig=True))
    equations._check_config(None, SimpleNamespace(math_numfig=False, numfig=True))


def test_the_book_config_numbers_per_chapter():
    config = yaml.safe_load((Path(__file__).resolve().parent.parent / "_config.yml").read_text())
    assert "authoring.equations" in config["sphinx"]["extra_extensions"]
    assert config["sphinx"]["config"]["math_numfig"] is False


def test_the_notebook_edition_tags_and_cites_the_chapter_number():
    build = Build(site_url="https://example.org/", ref="abc", docs={}, labels={}, terms={},
                  equations={"eq-gd": Link("book/math/page.html#equation-eq-gd", "(2.4.1)")},
                  citations={}, glue={})  # fmt: skip
    shown = edition.render_markdown(
        "$$\nw = w - g\n$$ (eq-gd)\n\nBy {eq}`eq-gd`.", "book/math/page", build
    )
    assert "w = w - g \\tag{2.4.1}\n$$" in shown
    assert "[(2.4.1)](https://example.org/book/math/page.html#equation-eq-gd)" in shown


@pytest.mark.slow
def test_a_two_page_book_built_by_jupyter_book_shows_chapter_numbers(tmp_path):
    """The real build: Sphinx's per-page numbers, the prefix, and a cross-page {eq}."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    _book(tmp_path)
    config = {"title": "mini", "only_build_toc_files": True,
              "execute": {"execute_notebooks": "off"},
              "parse": {"myst_enable_extensions": ["amsmath", "dollarmath"]},
              "sphinx": {"extra_extensions": ["authoring.equations"], "config": {"math_numfig": False}}}  # fmt: skip
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    first = tmp_path / "book/math/first.md"
    first.write_text(first.read_text() + "\n$$\ny = 2\n$$ (eq-a)\n\n$$\ny = 3\n$$ (eq-b)\n")
    second = tmp_path / "book/math/second.md"
    second.write_text(second.read_text() + "\n$$\nz = 4\n$$ (eq-c)\n\nAs {eq}`eq-b`.\n")
    env = {**os.environ, "PYTHONPATH": str(root)}
    jupyter_book = Path(sys.executable).with_name("jupyter-book")  # the venv's command
    subprocess.run([str(jupyter_book), "build", str(tmp_path), "--warningiserror"], check=True,
                   env=env, capture_output=True, timeout=600)  # fmt: skip
    html = tmp_path / "_build/html/book/math"
    assert 'class="eqno">(2.1.2)' in (html / "first.html").read_text(encoding="utf-8")
    page = (html / "second.html").read_text(encoding="utf-8")
    assert 'class="eqno">(2.2.1)' in page and 'href="first.html#equation-eq-b">(2.1.2)</a>' in page
