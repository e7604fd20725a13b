"""The notebook edition: every executable page as a notebook that reads like the site.

A learner who opens a chapter in Colab, Kaggle, JupyterLab or VS Code sees the numbers,
links and folded solutions the site shows, not MyST source. From the executed book
(``make book``) this module writes ``_build/notebooks/<page>.ipynb`` for every notebook
page of ``_toc.yml`` (``make notebooks``):

- ``{glue:text}`` values as the site formats them (read from the build, never re-run);
  ``{term}``, ``{cite}``, ``{doc}``, ``{ref}``, ``{numref}``, ``{eq}`` and links to
  ``.md`` pages become links to the site; ``$…$``, ``$$…$$`` and ``{math}`` stay TeX;
- admonitions become block quotes, Mermaid a ``mermaid`` code block;
- each exercise a heading with its id, difficulty, minutes and whether it is checked,
  its statement, then its solution folded in ``<details>`` (the student edition and
  the nbgrader source, ``authoring.editions``, use the same rendering without it);
- cells tagged ``remove-cell`` are dropped, ``hide-input``/``hide-output`` cells are
  collapsed, outputs are cleared; the first code cell installs the companion pinned
  to the commit the book was built from, unless it already imports.

Used by ``make notebooks`` (run by ``make book``), ``make student``, ``make assignments``;
the published edition is what the site's Colab buttons open.
"""

from __future__ import annotations

import argparse
import html
import posixpath
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import jupytext
import nbformat

from companion.exercises import Exercise, registry

from .book import REPO_ROOT, colab_prelude, notebook_pages, repository_url
from .myst import ExerciseMarkup, exercise_markup, fences, scan_directives, solution_regions
from .site_index import Build

__all__ = [
    "MYST_MARKERS",
    "edition_notebook",
    "exercise_heading",
    "install_cell",
    "install_code",
    "myst_leftovers",
    "page_name",
    "render_markdown",
    "site_glued_values",
    "solution_markdown",
    "write_edition",
]

ADMONITIONS = {
    "admonition",
    "attention",
    "caution",
    "danger",
    "error",
    "hint",
    "important",
    "note",
    "seealso",
    "tip",
    "warning",
}
# What must never reach a learner's notebook (the edition's tests look for these).
MYST_MARKERS = ("{glue", "{term}", "{cite", "{doc}", "{ref}", "{numref}", "{eq}", "```{", ":::{")

_INLINE = re.compile(
    r"\{(?P<role>[a-z][\w:-]*)\}`(?P<content>[^`]+)`"  # a role
    r"|(?P<ticks>`+)(?!`).*?(?<!`)(?P=ticks)(?!`)"  # a code span: left as it is
    r"|\[(?P<label>[^\]\n]+)\]\((?P<target>[^)\s:]+?\.(?:md|ipynb)(?:#[^)\s]*)?)\)",
    re.DOTALL,
)
_EXPLICIT = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)
_TARGET_LINE = re.compile(r"^\((?P<label>[\w:.-]+)\)=\s*$", re.MULTILINE)
_LABELLED_MATH = re.compile(r"\$\$(?P<body>.+?)\$\$[ \t]*\((?P<label>[\w:.-]+)\)", re.DOTALL)
_PASTED = re.compile(r'<span class="pasted-text">(?P<value>.*?)</span>', re.DOTALL)

INSTALL_CODE = """\
# Make sure the course's companion package is here (Colab, Kaggle or a laptop).
COMPANION = (
    "companion @ git+{repository}"
    "@{ref}"  # the commit this notebook was built from
)
try:
    import companion
except ImportError:
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", COMPANION], check=True)
    print(f"Installed {{COMPANION}} (the version this notebook was built with).")
else:
    print(f"companion {{companion.__version__}} is already installed; nothing to install.")"""


# --------------------------------------------------------------------------- inline markup
def page_name(target: str, doc: str) -> str:
    """The site page (``book/cnn/baseline``) a link or ``{doc}`` target names from page ``doc``."""
    target = re.sub(r"\.(md|ipynb)$", "", target.strip())
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(doc), target))


def _explicit(content: str) -> tuple[str | None, str]:
    match = _EXPLICIT.match(content.strip())
    return (match["title"], match["target"]) if match else (None, content.strip())


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _glue_text(content: str, doc: str, build: Build) -> str:
    """``{glue:text}`` exactly as myst-nb pastes it (its own parsing and formatting)."""
    from myst_nb.core.variables import format_plain_text

    key_format = content.rsplit(":", 1)
    key, spec = key_format if len(key_format) == 2 else (key_format[0], "s")
    plain = _glued(key, doc, build)
    return (
        build.missing("glued value", key, doc) if plain is None else format_plain_text(plain, spec)
    )


def _glued(key: str, doc: str, build: Build) -> str | None:
    """The ``text/plain`` glued under ``key`` (``path::key`` for another page), None if absent."""
    source, key = key.split("::", 1) if "::" in key else (doc, key)
    output = build.glue.get(page_name(source, doc) if source != doc else doc, {}).get(key)
    if output is None:
        return None
    plain = output.get("data", {}).get("text/plain")
    if plain is None:
        raise ValueError(f"{doc}: glued value {key!r} has no text/plain form to paste.")
    return plain


def _glue_any(content: str, doc: str, build: Build) -> str:
    plain = _glued(content.strip(), doc, build)
    return build.missing("glued value", content, doc) if plain is None else plain


def _doc(content: str, doc: str, build: Build) -> str:
    title, target = _explicit(content)
    name = page_name(target, doc)
    text = title or build.docs.get(name) or build.missing("page", name, doc)
    return f"[{_one_line(text)}]({build.url(name + '.html')})"


def _ref(content: str, doc: str, build: Build) -> str:
    title, label = _explicit(content)
    link = build.labels.get(label.lower())
    if link is None:
        return f"[{title or build.missing('label', label, doc)}]({build.site_url})"
    text = title or (link.text if link.text != "-" else label)
    return f"[{_one_line(text)}]({build.url(link)})"


def _term(content: str, doc: str, build: Build) -> str:
    title, term = _explicit(content)
    link = build.terms.get(_one_line(term).lower())
    if link is None:
        return build.missing("glossary term", term, doc)
    return f"[{_one_line(title or term)}]({build.url(link)})"


def _eq(content: str, doc: str, build: Build) -> str:
    title, label = _explicit(content)
    link = build.equations.get(label)
    if link is None:
        return build.missing("equation", label, doc)
    return f"[{title or link.text}]({build.url(link)})"


def _cite(content: str, doc: str, build: Build) -> str:
    links = []
    for key in (part.strip() for part in content.split(",")):
        link = build.citations.get(key)
        links.append(
            f"[{link.text}]({build.url(link)})" if link else build.missing("citation", key, doc)
        )
    return "(" + "; ".join(links) + ")"


_ROLES: dict[str, Callable[[str, str, Build], str]] = {
    "glue:text": _glue_text,
    "glue": _glue_any,
    "glue:": _glue_any,
    "glue:any": _glue_any,
    "term": _term,
    "cite": _cite,
    "cite:p": _cite,
    "doc": _doc,
    "ref": _ref,
    "numref": _ref,
    "eq": _eq,
    "math": lambda content, doc, build: f"${content}$",
}


def _inline(match: re.Match[str], doc: str, build: Build) -> str:
    if match["ticks"]:
        return match[0]  # code is shown as written, roles and all
    if match["target"]:
        page, _, anchor = match["target"].partition("#")
        url = build.url(page_name(page, doc) + ".html") + (f"#{anchor}" if anchor else "")
        return f"[{match['label']}]({url})"
    handler = _ROLES.get(match["role"])
    if handler is None:
        raise ValueError(
            f"{doc}: the notebook edition has no rendering for the role {{{match['role']}}}; "
            "add one to authoring.notebook_edition._ROLES."
        )
    return handler(match["content"], doc, build)


def _labelled_math(match: re.Match[str], build: Build) -> str:
    label = match["label"]
    link = build.equations.get(label)
    tag = f" \\tag{{{link.text.strip('()')}}}" if link and link.text.startswith("(") else ""
    return f'<a id="equation-{label}"></a>\n\n$${match["body"].rstrip()}{tag}\n$$'


def _render_text(text: str, doc: str, build: Build) -> str:
    text = _TARGET_LINE.sub(lambda m: f'<a id="{m["label"]}"></a>', text)
    text = _LABELLED_MATH.sub(lambda m: _labelled_math(m, build), text)
    return _INLINE.sub(lambda m: _inline(m, doc, build), text)


# --------------------------------------------------------------------------- directives
def _quote(text: str) -> list[str]:
    return [f"> {line}" if line.strip() else ">" for line in text.split("\n")]


def _admonition(directive, doc: str, build: Build) -> str:
    default = "See also" if directive.name == "seealso" else directive.name.capitalize()
    title = directive.argument if directive.argument else default
    body = render_markdown(directive.body, doc, build)
    return "\n".join(_quote(f"**{_render_text(title, doc, build)}**\n\n{body}"))


def _mermaid(directive, doc: str, build: Build) -> str:
    return (
        f"```mermaid\n{directive.body}\n```\n\n"
        f"*A diagram in Mermaid notation; [the page on the site]({build.url(doc + '.html')}) "
        "draws it.*"
    )


def _math_block(directive, doc: str, build: Build) -> str:
    label = directive.options.get("label")
    body = f"$$\n{directive.body}\n$$"
    if label:
        return _labelled_math(re.match(_LABELLED_MATH, f"{body} ({label})"), build)
    return body


def _execution_table(directive, doc: str, build: Build) -> str:
    # The table is the build's execution cache, which only the site has; point there.
    return (
        f"*The table of each page's execution time in the last build is on "
        f"[the site's Run times page]({build.url(doc + '.html')}).*"
    )


_DIRECTIVES = {"mermaid": _mermaid, "math": _math_block, "nb-exec-table": _execution_table}


def _render_directive(directive, doc: str, build: Build) -> str:
    if directive.name in ADMONITIONS:
        return _admonition(directive, doc, build)
    if directive.name in _DIRECTIVES:
        return _DIRECTIVES[directive.name](directive, doc, build)
    raise ValueError(
        f"{doc}, line {directive.start + 1}: the notebook edition cannot render the "
        f"{{{directive.name}}} directive; add a rendering to authoring.notebook_edition."
    )


def render_markdown(text: str, doc: str, build: Build) -> str:
    """A Markdown cell's MyST as plain Markdown with the site's values and links.

    ``doc`` is the page (``book/cnn/inside``) the text is on: relative links and local
    glue keys are resolved from it. Fenced code blocks are kept as written.
    """
    lines = text.split("\n")
    out: list[str] = []
    position = 0
    for fence in fences(text):
        if fence.start > position:
            out += _render_text("\n".join(lines[position : fence.start]), doc, build).split("\n")
        if fence.directive is None:
            out += lines[fence.start : fence.end + 1]
        else:
            out += _render_directive(fence.directive, doc, build).split("\n")
        position = fence.end + 1
    if position < len(lines):
        out += _render_text("\n".join(lines[position:]), doc, build).split("\n")
    return "\n".join(out)


# --------------------------------------------------------------------------- exercises
def exercise_heading(markup: ExerciseMarkup, exercise: Exercise | None) -> list[str]:
    """Anchor, heading and the difficulty/minutes/checked line of an exercise, then its text."""
    lines = [f'<a id="{markup.id}"></a>', "", f"### Exercise {markup.id}: {markup.title}", ""]
    if exercise is not None:
        checked = "checked automatically" if exercise.auto_checked else "not checked automatically"
        lines += [f"*{exercise.difficulty}, about {exercise.minutes} min, {checked}*", ""]
    return lines + markup.body.split("\n")


def solution_markdown(region: str) -> str:
    """A solution region of the book as Markdown: directive lines dropped, code cells fenced."""
    lines = region.split("\n")
    markers = {
        number
        for directive in scan_directives(region)
        if directive.name in ("solution-start", "solution-end")
        for number in range(directive.start, directive.end + 1)
    }
    inner = "\n".join(line for number, line in enumerate(lines) if number not in markers)
    for directive in scan_directives(region):
        if directive.name == "solution":
            inner = directive.body
    pieces = []
    for cell in jupytext.reads(inner, fmt="md:myst").cells:
        if cell.cell_type == "code":
            pieces.append(f"```python\n{cell.source}\n```")
        elif cell.source.strip():
            pieces.append(cell.source.strip())
    return "\n\n".join(pieces)


def starter_code(exercise_id: str) -> str:
    """The cell a student fills in for an automatically checked exercise."""
    return (
        "from companion.exercises import check, hint\n\n"
        f'answer = ...  # your function or value; hint("{exercise_id}") if you are stuck\n'
        f'check("{exercise_id}", answer)'
    )


def _replace_lines(text: str, replacements: Mapping[int, tuple[int, list[str]]]) -> str:
    """Replace lines ``start..end`` by new lines, for each ``start: (end, new)``."""
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        if index in replacements:
            end, new = replacements[index]
            out += new
            index = end + 1
        else:
            out.append(lines[index])
            index += 1
    return "\n".join(out)


def plain_exercises(text: str, exercises: Mapping[str, Exercise], solutions: bool) -> str:
    """A chapter's MyST with exercises as headings and solutions folded (or removed).

    An automatically checked exercise gets a starter code cell that runs its practice
    check; with ``solutions=False`` (the student edition) every solution region is
    dropped, otherwise it is folded under the starter.
    """
    replacements: dict[int, tuple[int, list[str]]] = {}
    for markup in exercise_markup(text):
        exercise = exercises.get(markup.id)
        new = exercise_heading(markup, exercise)
        if exercise is not None and exercise.auto_checked:
            new += ["", "```{code-cell} ipython3", *starter_code(markup.id).split("\n"), "```"]
        replacements[markup.start] = (markup.end, new)
    for region in solution_regions(text):
        folded = ["<details>", "<summary>Solution</summary>", "", solution_markdown(region.text)]
        replacements[region.start] = (region.end, [*folded, "", "</details>"] if solutions else [])
    return _replace_lines(text, replacements)


# --------------------------------------------------------------------------- cells
def install_code(build: Build, root: Path = REPO_ROOT) -> str:
    """The first code cell of every edition: install the pinned companion unless it imports."""
    return INSTALL_CODE.format(repository=repository_url(root), ref=build.ref)


def install_cell(build: Build, root: Path = REPO_ROOT) -> nbformat.NotebookNode:
    """``install_code`` as a code cell."""
    return nbformat.v4.new_code_cell(install_code(build, root))


def _collapse(cell: nbformat.NotebookNode, tags: Sequence[str]) -> None:
    """Collapse what the site hides, with the metadata JupyterLab, Notebook and Colab read."""
    if "hide-input" in tags or "remove-input" in tags:
        cell.metadata["jupyter"] = {**cell.metadata.get("jupyter", {}), "source_hidden": True}
        cell.metadata["cellView"] = "form"  # Colab: code folded behind "Show code"
    if "hide-output" in tags or "remove-output" in tags:
        cell.metadata["jupyter"] = {**cell.metadata.get("jupyter", {}), "outputs_hidden": True}
        cell.metadata["collapsed"] = True  # classic Notebook


def _executed_outputs(build: Build, doc: str) -> dict[str, list]:
    """Source of each executed code cell of the page -> its outputs (empty without a build)."""
    if build.executed is None or not (build.executed / f"{doc}.ipynb").exists():
        return {}
    executed = nbformat.read(build.executed / f"{doc}.ipynb", as_version=4)
    return {c.source: c.get("outputs", []) for c in executed.cells if c.cell_type == "code"}


def _markdown_outputs(outputs: list) -> list[str] | None:
    """The Markdown a cell displayed, or None when it displayed anything else."""
    texts = [o.get("data", {}).get("text/markdown") for o in outputs]
    return texts if texts and all(isinstance(t, str) for t in texts) else None


def _code_cell(cell, doc, build, executed, solutions) -> list[nbformat.NotebookNode]:
    tags = cell.metadata.get("tags", [])
    if "remove-cell" in tags or (not solutions and "solution" in tags):
        return []
    if "remove-input" in tags and (shown := _markdown_outputs(executed.get(cell.source, []))):
        # the page shows what the code displayed: give the reader that, rendered
        return [nbformat.v4.new_markdown_cell(render_markdown(t, doc, build)) for t in shown]
    cell.outputs, cell.execution_count = [], None
    _collapse(cell, tags)
    return [cell]


def _cells(notebook, doc: str, build: Build, solutions: bool) -> list[nbformat.NotebookNode]:
    executed = _executed_outputs(build, doc)
    cells: list[nbformat.NotebookNode] = []
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cells += _code_cell(cell, doc, build, executed, solutions)
        elif cell.source.strip():
            cell.source = render_markdown(cell.source, doc, build)
            cells.append(cell)
    return cells


def _with_install_cell(cells, build: Build, root: Path) -> list[nbformat.NotebookNode]:
    """The chapter's Colab prelude replaced by the pinned install cell, before the first code."""
    first = next((i for i, c in enumerate(cells) if c.cell_type == "code"), None)
    if first is None:
        return cells
    prelude = colab_prelude(root)
    setup = cells[first]
    if setup.source.startswith(prelude):
        setup.source = setup.source[len(prelude) :].lstrip("\n")
    rest = [setup] if setup.source.strip() else []
    return [*cells[:first], install_cell(build, root), *rest, *cells[first + 1 :]]


def edition_notebook(
    source: Path,
    build: Build,
    exercises: Mapping[str, Exercise] | None = None,
    *,
    solutions: bool = True,
    root: Path = REPO_ROOT,
) -> nbformat.NotebookNode:
    """One page of the notebook edition (``solutions=False``: of the student edition)."""
    source = Path(source)
    doc = source.resolve().relative_to(Path(root).resolve()).with_suffix("").as_posix()
    exercises = registry() if exercises is None else exercises
    text = plain_exercises(source.read_text(encoding="utf-8"), exercises, solutions)
    notebook = jupytext.reads(text, fmt="md:myst")
    notebook.cells = _with_install_cell(_cells(notebook, doc, build, solutions), build, root)
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.metadata["companion"] = {
        "edition": "notebook" if solutions else "student",
        "source": f"{doc}.md",
        "ref": build.ref,
    }
    return notebook


def write_edition(
    out_dir: Path, build: Build, root: Path = REPO_ROOT, exercises=None
) -> list[Path]:
    """Write ``<out_dir>/<page>.ipynb`` for every notebook page of the toc; return the paths."""
    exercises = registry() if exercises is None else exercises
    written = []
    for page in notebook_pages(root):
        target = Path(out_dir) / page.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        notebook = edition_notebook(page.with_suffix(".md"), build, exercises, root=root)
        nbformat.validate(notebook)
        nbformat.write(notebook, target)
        written.append(target)
    return written


# --------------------------------------------------------------------------- checks
def _prose(markdown: str) -> str:
    """A Markdown cell without its code blocks and code spans."""
    lines = markdown.split("\n")
    drop = {n for f in fences(markdown) if f.directive is None for n in range(f.start, f.end + 1)}
    kept = "\n".join(line for n, line in enumerate(lines) if n not in drop)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", kept, flags=re.DOTALL)


def myst_leftovers(notebook: nbformat.NotebookNode) -> list[str]:
    """MyST roles and directives left in a notebook's prose (code is allowed to show them)."""
    prose = "\n".join(_prose(c.source) for c in notebook.cells if c.cell_type == "markdown")
    return [marker for marker in MYST_MARKERS if marker in prose]


def site_glued_values(page_html: str) -> list[str]:
    """Every glued value a built page shows (myst-nb's ``pasted-text`` spans), as text."""
    return [html.unescape(re.sub(r"<[^>]+>", "", m["value"])) for m in _PASTED.finditer(page_html)]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m authoring.notebook_edition [--out DIR] [--build DIR]`` (``make notebooks``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "_build" / "notebooks")
    parser.add_argument("--build", type=Path, default=REPO_ROOT / "_build")
    args = parser.parse_args(argv)
    build = Build.read(args.build)
    written = write_edition(args.out, build)
    print(
        f"Notebook edition: {len(written)} notebooks in {args.out}, companion pinned to {build.ref}"
    )
    if _uncommitted("companion", "pyproject.toml"):
        print(
            "Warning: companion/ or pyproject.toml has uncommitted changes, which the pinned "
            f"commit {build.ref} does not contain; commit them and run `make notebooks` again."
        )
    return 0


def _uncommitted(*paths: str) -> bool:
    import subprocess

    status = subprocess.run(
        ["git", "status", "--porcelain", "--", *paths],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return bool(status.stdout.strip())


if __name__ == "__main__":
    sys.exit(main())
