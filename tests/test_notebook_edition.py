"""The notebook edition's rendering, on small synthetic pages and a synthetic build."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import nbformat
import pytest

from authoring import book
from authoring import notebook_edition as edition
from authoring.launch import retarget_colab
from authoring.site_index import Build, Link, citation_label
from companion.exercises import Exercise

SITE = "https://example.github.io/course/"
DOC = "book/math/page"
GLUE = {
    DOC: {
        "accuracy": {"data": {"text/plain": "0.91234"}},
        "count": {"data": {"text/plain": "'5,421'"}},
        "epochs": {"data": {"text/plain": "3"}},
    },
    "book/concepts/cost": {"dollars": {"data": {"text/plain": "1234.5"}}},
}


def _build(**changes) -> Build:
    facts = dict(
        site_url=SITE,
        ref="abc123",
        docs={"book/math/losses": "Loss functions", DOC: "The page"},
        labels={"math-1-1": Link("book/math/losses.html#math-1-1", "-")},
        terms={"logit (对数几率)": Link("book/appendix/glossary.html#term-logit", "Logit")},
        equations={"eq-gd": Link("book/math/page.html#equation-eq-gd", "(2)")},
        citations={
            "vaswani2017": Link(
                "book/appendix/references.html#cite-vaswani2017", "Vaswani et al., 2017"
            )
        },
        glue=GLUE,
    )
    return Build(**{**facts, **changes})


def _render(text: str, **changes) -> str:
    return edition.render_markdown(text, DOC, _build(**changes))


# --------------------------------------------------------------------------- roles
def test_glue_is_formatted_as_myst_nb_formats_it():
    assert _render("{glue:text}`accuracy:.1%`") == "91.2%"
    assert _render("{glue:text}`accuracy:.3f` and {glue:text}`epochs:d`") == "0.912 and 3"
    assert _render("{glue:text}`count`") == "5,421"  # a glued str loses its quotes
    assert _render("{glue:text}`../concepts/cost.md::dollars:,.0f`") == "1,234"
    assert _render("{glue}`epochs`") == "3"


def test_a_missing_glue_value_is_an_error_naming_it_unless_the_build_is_unresolved():
    with pytest.raises(ValueError, match="no glued value 'nope'.*make book"):
        _render("{glue:text}`nope:.2f`")
    assert _render("{glue:text}`nope:.2f`", strict=False) == "⟨nope⟩"


def test_terms_citations_and_cross_references_become_site_links():
    assert _render("a {term}`logits <Logit (对数几率)>` here") == (
        f"a [logits]({SITE}book/appendix/glossary.html#term-logit) here"
    )
    assert _render("{cite}`vaswani2017`") == (
        f"([Vaswani et al., 2017]({SITE}book/appendix/references.html#cite-vaswani2017))"
    )
    assert _render("{doc}`losses`") == f"[Loss functions]({SITE}book/math/losses.html)"
    assert _render("{doc}`the losses <../math/losses>`") == (
        f"[the losses]({SITE}book/math/losses.html)"
    )
    assert _render("{ref}`math-1-1`") == f"[math-1-1]({SITE}book/math/losses.html#math-1-1)"
    assert _render("{eq}`eq-gd`") == f"[(2)]({SITE}book/math/page.html#equation-eq-gd)"
    assert _render("[the losses](losses.md#top)") == (
        f"[the losses]({SITE}book/math/losses.html#top)"
    )


def test_a_role_split_over_two_lines_reads_as_one():
    assert _render("{term}`logits\n<Logit (对数几率)>`").startswith("[logits](")


def test_code_and_maths_stay_as_written():
    text = "Write ``{glue:text}`name` `` in `code`; $x_{i}^{2}$ and {math}`\\alpha`."
    assert _render(text) == ("Write ``{glue:text}`name` `` in `code`; $x_{i}^{2}$ and $\\alpha$.")
    fenced = "```python\nprint('{term}`x`')\n```"
    assert _render(fenced) == fenced


def test_a_labelled_equation_keeps_its_tex_and_gets_the_sites_number_and_anchor():
    out = _render("$$\nw \\leftarrow w - \\eta g\n$$ (eq-gd)")
    assert out == '<a id="equation-eq-gd"></a>\n\n$$\nw \\leftarrow w - \\eta g \\tag{2}\n$$'
    assert _render("(my-target)=\n# Title") == '<a id="my-target"></a>\n# Title'


def test_unknown_roles_and_directives_are_errors_that_say_where_to_add_them():
    with pytest.raises(ValueError, match=r"role \{abbr\}.*_ROLES"):
        _render("{abbr}`CNN`")
    with pytest.raises(ValueError, match=r"line 2: .*\{figure\} directive"):
        _render("text\n```{figure} a.png\n```")


# --------------------------------------------------------------------------- directives
def test_admonitions_become_block_quotes_with_their_title():
    assert _render("```{note}\nSee {doc}`losses`.\n```") == (
        f"> **Note**\n>\n> See [Loss functions]({SITE}book/math/losses.html)."
    )
    assert _render(":::{admonition} Why it matters\nBecause.\n\nReally.\n:::") == (
        "> **Why it matters**\n>\n> Because.\n>\n> Really."
    )
    nested = _render("::::{tip}\n:::{warning}\nCareful.\n:::\n::::")
    assert nested == "> **Tip**\n>\n> > **Warning**\n> >\n> > Careful."


def test_mermaid_becomes_a_mermaid_code_block_with_a_link_to_the_drawing():
    out = _render("```{mermaid}\nflowchart LR\n  A --> B\n```")
    assert out.startswith("```mermaid\nflowchart LR\n  A --> B\n```")
    assert f"({SITE}{DOC}.html)" in out


def test_math_directive_becomes_display_maths():
    assert _render("```{math}\na^2 + b^2\n```") == "$$\na^2 + b^2\n$$"
    labelled = _render("```{math}\n:label: eq-gd\na = b\n```")
    assert labelled.endswith("$$\na = b \\tag{2}\n$$")


# --------------------------------------------------------------------------- a page
HEADER = """---
jupytext:
  formats: ipynb,md:myst
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---
"""
PAGE = """
# A page

Accuracy {glue:text}`accuracy:.1%` after {glue:text}`epochs:d` epochs.

```{code-cell} ipython3
:tags: [hide-output]

{prelude}
from companion.notebook import glue
```

```{code-cell} ipython3
:tags: [remove-cell]

assert True  # HIDDEN-CHECK
```

```{code-cell} ipython3
:tags: [hide-input]

print("shown output")
```

```{code-cell} ipython3
:tags: [remove-input]

Markdown(table)
```

## Exercises

```{exercise} Double it
:label: math-1-1

Write `double(x)` for {term}`logits <Logit (对数几率)>`.
```

```{solution-start} math-1-1
:class: dropdown
```

Multiply by two, see {eq}`eq-gd`.

```{code-cell} ipython3
def double(x):
    return 2 * x
```

```{solution-end}
```
"""
EXERCISES = {
    "math-1-1": Exercise(id="math-1-1", title="Double it", difficulty="easy", minutes=3, hint="x")
}


@pytest.fixture
def page(tmp_path: Path) -> Path:
    (tmp_path / "_config.yml").write_text(
        "repository:\n  url: https://github.com/example/course\n"
        "launch_buttons:\n  colab_branch: colab\n",
        encoding="utf-8",
    )
    (tmp_path / "_toc.yml").write_text(f"root: {DOC}\n", encoding="utf-8")
    source = tmp_path / f"{DOC}.md"
    source.parent.mkdir(parents=True)
    prelude = book.colab_prelude(tmp_path)
    source.write_text(HEADER + PAGE.replace("{prelude}", prelude), encoding="utf-8")
    executed = tmp_path / "_build" / "jupyter_execute" / f"{DOC}.ipynb"
    executed.parent.mkdir(parents=True)
    shown = nbformat.v4.new_code_cell("Markdown(table)")
    shown.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/markdown": "| a |\n| - |\n| {doc}`losses` |"}
        )
    ]
    nbformat.write(nbformat.v4.new_notebook(cells=[shown]), executed)
    return source


def _page_notebook(page: Path, **options) -> nbformat.NotebookNode:
    build = _build(executed=page.parents[2] / "_build" / "jupyter_execute")
    return edition.edition_notebook(page, build, EXERCISES, root=page.parents[2], **options)


def test_the_page_reads_as_on_the_site_with_no_myst_left(page):
    notebook = _page_notebook(page)
    prose = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert "Accuracy 91.2% after 3 epochs." in prose
    assert edition.myst_leftovers(notebook) == []
    assert f"| [Loss functions]({SITE}book/math/losses.html) |" in prose  # displayed Markdown
    assert "HIDDEN-CHECK" not in json.dumps(notebook)
    nbformat.validate(notebook)


def test_the_first_code_cell_installs_the_pinned_companion_in_place_of_the_prelude(page):
    notebook = _page_notebook(page)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code[0].source == edition.install_code(_build(), page.parents[2])
    namespace: dict = {}
    exec(code[0].source.split("try:")[0], namespace)  # the requirement, as pip gets it
    assert namespace["COMPANION"] == "companion @ git+https://github.com/example/course@abc123"
    assert code[1].source == "from companion.notebook import glue"  # the prelude is gone
    assert notebook.metadata["companion"]["ref"] == "abc123"


def test_the_install_cell_does_nothing_when_companion_imports():
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(edition.install_code(_build(), book.REPO_ROOT), {})
    assert (
        printed.getvalue().startswith("companion ") and "nothing to install" in printed.getvalue()
    )


def test_hidden_cells_are_collapsed_and_outputs_cleared(page):
    code = [c for c in _page_notebook(page).cells if c.cell_type == "code"]
    setup, hidden_input = code[1], code[2]
    assert setup.metadata["jupyter"] == {"outputs_hidden": True} and setup.metadata["collapsed"]
    assert hidden_input.metadata["jupyter"] == {"source_hidden": True}
    assert hidden_input.metadata["cellView"] == "form"
    assert all(c.outputs == [] and c.execution_count is None for c in code)


def test_an_exercise_has_a_heading_its_facts_and_a_folded_solution(page):
    prose = "\n".join(c.source for c in _page_notebook(page).cells if c.cell_type == "markdown")
    assert '<a id="math-1-1"></a>\n\n### Exercise math-1-1: Double it' in prose
    assert "*easy, about 3 min, not checked automatically*" in prose
    assert f"Write `double(x)` for [logits]({SITE}" in prose
    details = prose[prose.index("<details>") :]
    assert details.startswith("<details>\n<summary>Solution</summary>")
    assert f"see [(2)]({SITE}" in details and "```python\ndef double(x):" in details
    assert details.rstrip().endswith("</details>")


def test_the_student_rendering_has_the_exercise_but_no_solution(page):
    notebook = _page_notebook(page, solutions=False)
    text = json.dumps(notebook)
    assert "### Exercise math-1-1" in text and "details" not in text and "2 * x" not in text


def test_write_edition_mirrors_the_source_paths(page, tmp_path, monkeypatch):
    root = page.parents[2]
    monkeypatch.setattr(edition, "notebook_pages", lambda r: [page.with_suffix(".ipynb")])
    written = edition.write_edition(tmp_path / "out", _build(executed=None), root, EXERCISES)
    assert [p.relative_to(tmp_path / "out").as_posix() for p in written] == [f"{DOC}.ipynb"]


# --------------------------------------------------------------------------- the site
def test_site_glued_values_reads_pasted_text_spans():
    html = '<p>Up <span class="pasted-text">91.2%</span> and <span class="pasted-text">a &amp; b</span></p>'
    assert edition.site_glued_values(html) == ["91.2%", "a & b"]


def test_myst_leftovers_ignores_code_but_finds_roles_in_prose():
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(
                "Use ``{term}`x` `` in code.\n````md\n```{note}\n```\n````"
            ),
            nbformat.v4.new_markdown_cell("Left over: {cite}`a`"),
        ]
    )
    assert edition.myst_leftovers(notebook) == ["{cite"]


def test_colab_buttons_are_pointed_at_the_edition_branch():
    url = "https://colab.research.google.com/github/o/r/blob/main/book/a.ipynb"
    assert retarget_colab(url, "main", "colab") == (
        "https://colab.research.google.com/github/o/r/blob/colab/book/a.ipynb"
    )
    assert retarget_colab("https://github.com/o/r", "main", "colab") == "https://github.com/o/r"
    with pytest.raises(ValueError, match="/blob/main/"):
        retarget_colab("https://colab.research.google.com/github/o/r/blob/dev/a.ipynb", "main", "x")


def test_citation_labels_are_short_author_year():
    from pybtex.database import parse_string

    bib = parse_string(
        "@article{a, author={Vaswani, Ashish and Shazeer, Noam and Parmar, Niki}, year={2017}}\n"
        "@article{b, author={He, Kaiming and Sun, Jian}, year={2016}}\n"
        "@misc{c, author={{NVIDIA}}, year={2020}}\n",
        "bibtex",
    )
    labels = [citation_label(bib.entries[key]) for key in "abc"]
    assert labels == ["Vaswani et al., 2017", "He and Sun, 2016", "NVIDIA, 2020"]


def test_the_site_url_comes_from_the_repository_url(tmp_path):
    (tmp_path / "_config.yml").write_text(
        "repository:\n  url: https://github.com/org/repo\n", encoding="utf-8"
    )
    assert book.site_url(tmp_path) == "https://org.github.io/repo/"
    (tmp_path / "_config.yml").write_text(
        "repository:\n  url: https://gitlab.com/org/repo\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="https://github.com/<org>/<repo>"):
        book.site_url(tmp_path)
