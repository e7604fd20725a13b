"""Editions of the book for students and instructors, generated from one source of truth.

The chapters (``book/<part>/<name>.md``), their front matter (``course: {minutes,
prerequisites}``), their learning objectives and the exercise registry
(``companion.exercises``) are the only inputs. From them this module writes:

- the **student edition**: one ``.ipynb`` per chapter with every solution removed
  (``solution-start`` … ``solution-end`` regions, ``solution`` directives and cells
  tagged ``solution``) and a starter cell after each automatically checked exercise;
- the **nbgrader source** folder: one assignment per part, with solution regions
  (``### BEGIN SOLUTION`` … ``### END SOLUTION``) and autograder test cells;
- the data of the **instructor guide** page (objectives, prerequisites, time,
  exercises and two suggested assignments per part).

Run ``python -m authoring.editions student|assignments|student-site-config``
(``make student``, ``make assignments``, ``make book-student``).

Used in: Back matter, Instructor guide; the Makefile targets above.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import posixpath
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import yaml

from companion.exercises import Exercise, registry
from companion.exercises.core import PARTS

from .book import REPO_ROOT, is_notebook_source, toc_files

__all__ = [
    "NOT_CHAPTERS",
    "PART_ORDER",
    "POINTS",
    "Assignment",
    "Chapter",
    "Directive",
    "ExerciseMarkup",
    "SolutionRegion",
    "answer_name",
    "assignment_notebook",
    "chapters",
    "exercise_markup",
    "guide_part_markdown",
    "guide_totals",
    "is_chapter",
    "parts",
    "read_chapter",
    "scan_directives",
    "solution_code",
    "solution_regions",
    "starter_code",
    "student_markdown",
    "student_notebook",
    "student_site_config",
    "suggested_assignments",
    "write_assignments",
    "write_student_edition",
]

# Points an exercise is worth in the nbgrader assignments, by difficulty.
POINTS = {"easy": 1, "medium": 2, "hard": 3}
# Folders under book/ that hold chapters, in the order of the book (the exercise id prefixes).
PART_ORDER = PARTS
NOT_CHAPTERS = ("appendix",)  # back matter: generated or reference pages, not chapters
COURSE_ID = "building-with-large-ai-models"

_OPENING_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
_DIRECTIVE_INFO = re.compile(r"^\s*\{(?P<name>[\w:-]+)\}\s*(?P<argument>.*?)\s*$")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
_SOLUTION_TAG = "solution"


# --------------------------------------------------------------------------- MyST markup
@dataclass(frozen=True)
class Directive:
    """A top-level MyST directive: ``name``, ``argument``, ``options``, ``body``.

    ``start`` and ``end`` are the 0-based line numbers of the opening and the closing
    fence (inclusive) in the text that was scanned.
    """

    name: str
    argument: str
    options: Mapping[str, str]
    body: str
    start: int
    end: int


@dataclass(frozen=True)
class ExerciseMarkup:
    """An ``{exercise}`` directive: its id (``:label:``), title, text and line range."""

    id: str
    title: str
    body: str
    start: int
    end: int


@dataclass(frozen=True)
class SolutionRegion:
    """Lines ``start``..``end`` (inclusive) that hold the solution of ``exercise_id``."""

    exercise_id: str
    start: int
    end: int
    text: str


def _closing_line(lines: Sequence[str], opening: int, fence: str) -> int:
    """Index of the line closing the fence opened at ``opening`` (CommonMark rules)."""
    char, width = fence[0], len(fence)
    for index in range(opening + 1, len(lines)):
        stripped = lines[index].strip()
        indent = len(lines[index]) - len(lines[index].lstrip(" "))
        if indent <= 3 and len(stripped) >= width and set(stripped) == {char}:
            return index
    return len(lines) - 1  # an unclosed fence runs to the end of the document


def _split_options(content: list[str]) -> tuple[dict[str, str], list[str]]:
    options: dict[str, str] = {}
    if content and content[0].strip() == "---":  # YAML options block
        for index in range(1, len(content)):
            if content[index].strip() == "---":
                parsed = yaml.safe_load("\n".join(content[1:index])) or {}
                options = {str(k): str(v) for k, v in dict(parsed).items()}
                return options, content[index + 1 :]
        return options, content
    index = 0
    while index < len(content) and (match := _OPTION.match(content[index])):
        options[match["key"]] = match["value"].strip()
        index += 1
    return options, content[index:]


def scan_directives(text: str) -> list[Directive]:
    """Every top-level MyST directive of ``text`` (code cells included), in order.

    Fenced blocks are skipped as a whole, so a directive shown inside a code block or
    nested in another directive is not reported.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}.")
    lines = text.split("\n")
    found: list[Directive] = []
    index = 0
    while index < len(lines):
        match = _OPENING_FENCE.match(lines[index])
        if match is None or (match["fence"][0] == "`" and "`" in match["info"]):
            index += 1
            continue
        directive = _DIRECTIVE_INFO.match(match["info"])
        if match["fence"][0] == ":" and directive is None:
            index += 1  # a colon fence is only special when it opens a directive
            continue
        end = _closing_line(lines, index, match["fence"])
        if directive is not None:
            options, body = _split_options(lines[index + 1 : end])
            found.append(
                Directive(
                    name=directive["name"],
                    argument=directive["argument"],
                    options=options,
                    body="\n".join(body).strip("\n"),
                    start=index,
                    end=end,
                )
            )
        index = end + 1
    return found


def exercise_markup(text: str) -> list[ExerciseMarkup]:
    """The ``{exercise}`` directives of a chapter, with their ids and titles."""
    return [
        ExerciseMarkup(
            id=directive.options.get("label", ""),
            title=directive.argument,
            body=directive.body,
            start=directive.start,
            end=directive.end,
        )
        for directive in scan_directives(text)
        if directive.name == "exercise"
    ]


def solution_regions(text: str) -> list[SolutionRegion]:
    """The solutions of a chapter: gated ``solution-start``..``solution-end`` and ``{solution}``.

    Raises ValueError when a ``solution-start`` has no matching ``solution-end`` (or the
    reverse), naming the line.
    """
    lines = text.split("\n")
    regions: list[SolutionRegion] = []
    open_start: Directive | None = None
    for directive in scan_directives(text):
        if directive.name == "solution-start":
            if open_start is not None:
                raise ValueError(
                    f"solution-start on line {directive.start + 1} opens inside the solution "
                    f"that starts on line {open_start.start + 1}; close it with solution-end first."
                )
            open_start = directive
        elif directive.name == "solution-end":
            if open_start is None:
                raise ValueError(
                    f"solution-end on line {directive.start + 1} has no solution-start before it."
                )
            regions.append(
                SolutionRegion(
                    exercise_id=open_start.argument,
                    start=open_start.start,
                    end=directive.end,
                    text="\n".join(lines[open_start.start : directive.end + 1]),
                )
            )
            open_start = None
        elif directive.name == "solution" and open_start is None:
            regions.append(
                SolutionRegion(
                    exercise_id=directive.argument,
                    start=directive.start,
                    end=directive.end,
                    text="\n".join(lines[directive.start : directive.end + 1]),
                )
            )
    if open_start is not None:
        raise ValueError(
            f"solution-start on line {open_start.start + 1} ({open_start.argument}) has no solution-end."
        )
    return regions


# --------------------------------------------------------------------------- chapters
@dataclass(frozen=True)
class Chapter:
    """What the instructor guide and the editions need to know about one chapter."""

    source: Path
    part: str
    title: str
    minutes: int | None
    prerequisites: tuple[str, ...]
    objectives: tuple[str, ...]
    exercises: tuple[ExerciseMarkup, ...]

    @property
    def toc_path(self) -> str:
        """``<part>/<name>``, the form used in ``prerequisites``."""
        return f"{self.part}/{self.source.stem}"


def _front_matter(text: str) -> dict[str, Any]:
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    return dict(yaml.safe_load(text[3:end]) or {}) if end > 0 else {}


def _title(text: str) -> str:
    body_lines = text.split("\n")
    skipped = {line for d in scan_directives(text) for line in range(d.start, d.end + 1)}
    for number, line in enumerate(body_lines):
        if number not in skipped and line.startswith("# "):
            return line[2:].strip()
    return ""


def _objectives(text: str) -> tuple[str, ...]:
    """The bullets of the list that follows ``**Learning objectives**``."""
    marker = "**Learning objectives**"
    if marker not in text:
        return ()
    items: list[str] = []
    for line in text.split(marker, 1)[1].split("\n")[1:]:
        if line.startswith(("- ", "* ")):
            items.append(line[2:].strip())
        elif items and line.startswith("  ") and line.strip():
            items[-1] += " " + line.strip()  # a bullet continued on the next line
        elif items or line.strip():
            break  # the blank line after the list, or text where a list was expected
    return tuple(items)


_DOC_ROLE = re.compile(r"\{doc\}`(?P<title>[^`<]*<)?(?P<target>[^`<>]+)>?`")


def _absolute_doc_refs(text: str, folder: str) -> str:
    """Rewrite relative ``{doc}`` targets as absolute ones, so the text works on any page."""

    def rewrite(match: re.Match[str]) -> str:
        target = match["target"].strip()
        if not target.startswith("/"):
            target = "/" + posixpath.normpath(posixpath.join(folder, target))
        title = match["title"] or ""
        return f"{{doc}}`{title}{target}{'>' if title else ''}`"

    return _DOC_ROLE.sub(rewrite, text)


def read_chapter(source: Path, root: Path = REPO_ROOT) -> Chapter:
    """Read a chapter's metadata: part, title, ``course`` front matter, objectives, exercises."""
    source = Path(source)
    if not source.exists():
        raise ValueError(f"source {source} does not exist; expected a chapter .md file.")
    text = source.read_text(encoding="utf-8")
    course = _front_matter(text).get("course") or {}
    minutes = course.get("minutes")
    return Chapter(
        source=source,
        part=source.parent.name,
        title=_title(text) or source.stem,
        minutes=minutes if isinstance(minutes, int) else None,
        prerequisites=tuple(str(p) for p in course.get("prerequisites") or ()),
        objectives=tuple(
            _absolute_doc_refs(objective, f"book/{source.parent.name}")
            for objective in _objectives(text)
        ),
        exercises=tuple(exercise_markup(text)),
    )


def is_chapter(source: Path, root: Path = REPO_ROOT) -> bool:
    """True for an executable page that is a chapter (not back matter such as the guide)."""
    if not is_notebook_source(source):
        return False
    relative = Path(source).resolve().relative_to(Path(root).resolve())
    return relative.parts[0] == "book" and relative.parts[1] not in NOT_CHAPTERS


def chapters(root: Path = REPO_ROOT) -> list[Chapter]:
    """Every chapter named in ``_toc.yml``, in toc order."""
    return [read_chapter(page, root) for page in toc_files(root) if is_chapter(page, root)]


def parts(root: Path = REPO_ROOT) -> dict[str, str]:
    """Part folder -> caption in ``_toc.yml`` (``{"intro": "Start here", ...}``), in toc order."""
    toc = yaml.safe_load((Path(root) / "_toc.yml").read_text(encoding="utf-8"))
    captions: dict[str, str] = {}

    def walk(entries: Iterable[dict[str, Any]], caption: str) -> None:
        for entry in entries:
            if "file" in entry:
                pieces = Path(entry["file"]).parts
                if len(pieces) >= 3 and pieces[0] == "book" and pieces[1] not in NOT_CHAPTERS:
                    captions.setdefault(pieces[1], caption)
            for key in ("chapters", "sections"):
                walk(entry.get(key, []), caption)

    for part in toc.get("parts", []):
        walk(part.get("chapters", []), part.get("caption", ""))
    return captions


# --------------------------------------------------------------------------- student edition
def starter_code(exercise_id: str) -> str:
    """The cell a student fills in for an automatically checked exercise."""
    return (
        "from companion.exercises import check, hint\n\n"
        f'answer = ...  # your function or value; hint("{exercise_id}") if you are stuck\n'
        f'check("{exercise_id}", answer)'
    )


def _exercise_as_markdown(markup: ExerciseMarkup, exercise: Exercise | None) -> list[str]:
    heading = f"**Exercise {markup.id}: {markup.title}**"
    if exercise is not None:
        checked = "checked automatically" if exercise.auto_checked else "not checked automatically"
        heading += f" ({exercise.difficulty}, about {exercise.minutes} min, {checked})"
    return [heading, "", *markup.body.split("\n")]


def student_markdown(text: str, exercises: Mapping[str, Exercise] | None = None) -> str:
    """A chapter's MyST text with every solution region removed.

    Each ``{exercise}`` directive becomes plain Markdown (Jupyter does not render
    directives), followed, when the exercise is checked automatically, by a starter
    code cell (``answer = ...`` then ``check(id, answer)``).
    """
    exercises = registry() if exercises is None else exercises
    lines = text.split("\n")
    drop: set[int] = set()
    for region in solution_regions(text):
        drop.update(range(region.start, region.end + 1))
    replacements: dict[int, list[str]] = {}
    for markup in exercise_markup(text):
        exercise = exercises.get(markup.id)
        new = _exercise_as_markdown(markup, exercise)
        if exercise is not None and exercise.auto_checked:
            new += ["", "```{code-cell} ipython3", *starter_code(markup.id).split("\n"), "```"]
        replacements[markup.start] = new
        drop.update(range(markup.start, markup.end + 1))
    out: list[str] = []
    for number, line in enumerate(lines):
        if number in replacements:
            out.extend(replacements[number])
        if number not in drop:
            out.append(line)
    return "\n".join(out)  # code cells keep their blank lines exactly


def _python_source(code: str) -> str:
    """Code with IPython magics and shell escapes replaced by ``pass``, for ``ast``."""
    lines = []
    for line in code.split("\n"):
        stripped = line.lstrip()
        lines.append(
            line[: len(line) - len(stripped)] + "pass" if stripped.startswith(("%", "!")) else line
        )
    return "\n".join(lines)


def _names(code: str) -> tuple[set[str], set[str]]:
    """(names the code binds, names it reads); empty sets if it is not valid Python."""
    try:
        tree = ast.parse(_python_source(code))
    except SyntaxError:
        return set(), set()
    bound: set[str] = set()
    loaded: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
    return bound, loaded


def _is_hidden(cell: nbformat.NotebookNode) -> bool:
    return "remove-cell" in cell.get("metadata", {}).get("tags", [])


def _has_solution_tag(cell: nbformat.NotebookNode) -> bool:
    return _SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def solution_code(text: str) -> list[str]:
    """The code of every solution of a chapter: code cells in solution regions and cells tagged ``solution``."""
    code = []
    for region in solution_regions(text):
        snippet = jupytext.reads(region.text, fmt="md:myst")
        code += [cell.source for cell in snippet.cells if cell.cell_type == "code"]
    notebook = jupytext.reads(text, fmt="md:myst")
    code += [cell.source for cell in notebook.cells if _has_solution_tag(cell)]
    return code


def student_notebook(
    source: Path, exercises: Mapping[str, Exercise] | None = None
) -> nbformat.NotebookNode:
    """The student edition of one chapter: solutions removed, outputs cleared, starters added.

    A hidden check cell (tag ``remove-cell``) that reads a name only a removed solution
    defines is removed too, since it would fail without the solution.
    """
    source = Path(source)
    if source.suffix != ".md" or not is_notebook_source(source):
        raise ValueError(
            f"source must be a MyST notebook (.md with a jupytext header), got {source}."
        )
    text = source.read_text(encoding="utf-8")
    notebook = jupytext.reads(student_markdown(text, exercises), fmt="md:myst")
    removed_code = solution_code(text)
    cells = [
        cell
        for cell in notebook.cells
        if not _has_solution_tag(cell) and (cell.cell_type != "markdown" or cell.source.strip())
    ]
    kept_bound: set[str] = set(dir(builtins))
    for cell in cells:
        if cell.cell_type == "code":
            kept_bound |= _names(cell.source)[0]
    solution_bound: set[str] = set()
    for code in removed_code:
        solution_bound |= _names(code)[0]
    only_in_solutions = solution_bound - kept_bound
    cells = [
        cell
        for cell in cells
        if not (
            cell.cell_type == "code"
            and _is_hidden(cell)
            and _names(cell.source)[1] & only_in_solutions
        )
    ]
    for cell in cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    notebook.cells = cells
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["companion"] = {"edition": "student", "source": source.name}
    return notebook


def write_student_edition(
    out_dir: Path, root: Path = REPO_ROOT, exercises: Mapping[str, Exercise] | None = None
) -> list[Path]:
    """Write ``<out_dir>/<part>/<name>.ipynb`` for every chapter in the toc; return the paths."""
    out_dir = Path(out_dir)
    exercises = registry() if exercises is None else exercises
    written = []
    for chapter in chapters(root):
        target = out_dir / chapter.part / f"{chapter.source.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student_notebook(chapter.source, exercises), target)
        written.append(target)
    return written


# --------------------------------------------------------------------------- nbgrader
def answer_name(solution: str) -> str | None:
    """The last top-level name a reference solution binds (its answer), or None if it is prose."""
    try:
        tree = ast.parse(solution)
    except SyntaxError:
        return None
    name = None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = node.name
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for element in ast.walk(target):
                    if isinstance(element, ast.Name):
                        name = element.id
    return name


def _nbgrader(grade_id: str, *, solution: bool, grade: bool, locked: bool, points: int = 0) -> dict:
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _setup_code(root: Path) -> str:
    from .book import colab_install_url

    return (
        "import sys\n\n"
        'if "google.colab" in sys.modules:  # Colab: add the companion (it has NumPy already)\n'
        f'    %pip install -q "{colab_install_url(root)}"\n\n'
        "import numpy as np\n\n"
        "from companion.exercises import check, evaluate, hint"
    )


def assignment_notebook(
    chapter: Chapter, exercises: Mapping[str, Exercise] | None = None, root: Path = REPO_ROOT
) -> nbformat.NotebookNode:
    """The nbgrader source notebook of one chapter's exercises.

    Automatically checked exercises get an answer cell (a solution region holding the
    registry's reference solution) and a locked autograder test cell that calls
    ``companion.exercises.evaluate``; the others get a Markdown answer cell graded by hand.
    """
    exercises = registry() if exercises is None else exercises
    text = chapter.source.read_text(encoding="utf-8")
    book_solutions = {region.exercise_id: region.text for region in solution_regions(text)}
    new = nbformat.v4
    total = sum(POINTS[exercises[m.id].difficulty] for m in chapter.exercises if m.id in exercises)
    cells = [
        new.new_markdown_cell(
            f"# Exercises: {chapter.title}\n\n"
            f"From the chapter `{chapter.toc_path}` of the course. Run the setup cell, then "
            "answer each exercise in the cell below it. An automatically graded exercise is "
            "checked by the locked test cell that follows your answer; run it to see the "
            f"verdict. Points in this notebook: {total}.",
            metadata=_nbgrader(
                f"{chapter.source.stem}-header", solution=False, grade=False, locked=True
            ),
        ),
        new.new_code_cell(
            _setup_code(root),
            metadata=_nbgrader(
                f"{chapter.source.stem}-setup", solution=False, grade=False, locked=True
            ),
        ),
    ]
    for markup in chapter.exercises:
        exercise = exercises.get(markup.id)
        if exercise is None:
            raise ValueError(
                f"{chapter.source.name}: exercise {markup.id!r} has no entry in companion.exercises."
            )
        points = POINTS[exercise.difficulty]
        grading = "graded automatically" if exercise.auto_checked else "graded by hand"
        cells.append(
            new.new_markdown_cell(
                f"## Exercise {markup.id}: {markup.title}\n\n"
                f"*{exercise.difficulty}, about {exercise.minutes} min, {points} "
                f"point{'s' if points > 1 else ''}, {grading}*\n\n{markup.body}",
                metadata=_nbgrader(f"{markup.id}-text", solution=False, grade=False, locked=True),
            )
        )
        name = answer_name(exercise.solution) if exercise.auto_checked else None
        if exercise.auto_checked and name is not None:
            assign = "" if name == "answer" else f"\n\n\nanswer = {name}"
            cells.append(
                new.new_code_cell(
                    f"### BEGIN SOLUTION\n{exercise.solution}{assign}\n### END SOLUTION\n"
                    f'check("{markup.id}", answer)',
                    metadata=_nbgrader(
                        f"{markup.id}-answer", solution=True, grade=False, locked=False
                    ),
                )
            )
            cells.append(
                new.new_code_cell(
                    f"# Autograder test for {markup.id}: your answer on the hidden cases.\n"
                    f'result = evaluate("{markup.id}", answer)\n'
                    "assert result, result.message",
                    metadata=_nbgrader(
                        f"{markup.id}-test", solution=False, grade=True, locked=True, points=points
                    ),
                )
            )
        else:
            reference = exercise.solution
            if markup.id in book_solutions:
                reference += "\n\n" + _region_as_markdown(book_solutions[markup.id])
            cells.append(
                new.new_markdown_cell(
                    f"### BEGIN SOLUTION\n{reference}\n### END SOLUTION",
                    metadata=_nbgrader(
                        f"{markup.id}-answer",
                        solution=True,
                        grade=True,
                        locked=False,
                        points=points,
                    ),
                )
            )
    notebook = new.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def _region_as_markdown(region: str) -> str:
    """A book solution region as plain Markdown: directive lines dropped, code cells fenced."""
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


NBGRADER_CONFIG = """\
# nbgrader configuration of the course's assignments (written by `make assignments`).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "{course_id}"
c.ClearSolutions.code_stub = {{
    "python": "# YOUR CODE HERE: assign your answer to `answer`\\nraise NotImplementedError()"
}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
"""


def write_assignments(
    out_dir: Path, root: Path = REPO_ROOT, exercises: Mapping[str, Exercise] | None = None
) -> dict[str, list[Path]]:
    """Write an nbgrader course folder: ``<out_dir>/source/<part>/<chapter>.ipynb`` per part.

    Only chapters with exercises get a notebook. Also writes ``nbgrader_config.py``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "nbgrader_config.py").write_text(
        NBGRADER_CONFIG.format(course_id=COURSE_ID), encoding="utf-8"
    )
    written: dict[str, list[Path]] = {}
    exercises = registry() if exercises is None else exercises
    for chapter in chapters(root):
        if not chapter.exercises:
            continue
        target = out_dir / "source" / chapter.part / f"{chapter.source.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(assignment_notebook(chapter, exercises, root), target)
        written.setdefault(chapter.part, []).append(target)
    return written


# --------------------------------------------------------------------------- instructor guide
@dataclass(frozen=True)
class Assignment:
    """A suggested assignment: a name, what it is for, and its exercises."""

    name: str
    purpose: str
    exercise_ids: tuple[str, ...]
    minutes: int
    points: int


def _assignment(name: str, purpose: str, chosen: Sequence[Exercise]) -> Assignment:
    return Assignment(
        name=name,
        purpose=purpose,
        exercise_ids=tuple(e.id for e in chosen),
        minutes=sum(e.minutes for e in chosen),
        points=sum(POINTS[e.difficulty] for e in chosen),
    )


def suggested_assignments(
    part_chapters: Sequence[Chapter], exercises: Mapping[str, Exercise] | None = None
) -> tuple[Assignment, Assignment]:
    """Two assignments for a part: a short auto-graded one and the full problem set.

    The short one takes, from each chapter, its quickest automatically checked exercise
    (its quickest exercise if none is checked automatically); the full one is every
    exercise of the part, which is what ``make assignments`` writes for nbgrader.
    """
    exercises = registry() if exercises is None else exercises
    rank = {"easy": 0, "medium": 1, "hard": 2}
    short: list[Exercise] = []
    full: list[Exercise] = []
    for chapter in part_chapters:
        known = [exercises[m.id] for m in chapter.exercises if m.id in exercises]
        full += known
        pool = [e for e in known if e.auto_checked] or known
        if pool:
            short.append(min(pool, key=lambda e: (e.minutes, rank[e.difficulty], e.id)))
    return (
        _assignment(
            "Short, graded automatically",
            "the quickest automatically checked exercise of each chapter, for one session",
            short,
        ),
        _assignment(
            "Full problem set",
            "every exercise of the part, for a week; it is the nbgrader assignment that "
            "`make assignments` writes",
            full,
        ),
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def guide_part_markdown(
    part: str, root: Path = REPO_ROOT, exercises: Mapping[str, Exercise] | None = None
) -> str:
    """The instructor guide's section for one part, as MyST Markdown (tables and lists)."""
    if part not in PART_ORDER:
        raise ValueError(f"part must be one of {PART_ORDER}, got {part!r}.")
    exercises = registry() if exercises is None else exercises
    own = [chapter for chapter in chapters(root) if chapter.part == part]
    if not own:
        return "No chapter of this part is in the book yet."
    known_minutes = [c.minutes for c in own if c.minutes]
    lines = [
        f"{len(own)} chapter{'s' if len(own) > 1 else ''}, about "
        f"{sum(known_minutes)} minutes in all (reading, running and exercises).",
        "",
        "| Chapter | Minutes | Prerequisites | Exercises |",
        "| --- | --- | --- | --- |",
    ]
    for chapter in own:
        prerequisites = ", ".join(f"{{doc}}`/book/{p}`" for p in chapter.prerequisites) or "none"
        lines.append(
            f"| {{doc}}`/book/{chapter.toc_path}` | {chapter.minutes or '?'} | {prerequisites} "
            f"| {len(chapter.exercises)} |"
        )
    lines += ["", "**Learning objectives**", ""]
    for chapter in own:
        lines.append(f"- {{doc}}`/book/{chapter.toc_path}`")
        lines += [f"  - {_cell(objective)}" for objective in chapter.objectives]
    lines += [
        "",
        "**Exercises**",
        "",
        "| Id | Title | Difficulty | Minutes | Checked automatically |",
        "| --- | --- | --- | --- | --- |",
    ]
    for chapter in own:
        for markup in chapter.exercises:
            exercise = exercises.get(markup.id)
            if exercise is None:
                lines.append(f"| {markup.id} | {_cell(markup.title)} | ? | ? | no metadata |")
                continue
            lines.append(
                f"| {{ref}}`{markup.id} <{markup.id}>` | {_cell(exercise.title)} "
                f"| {exercise.difficulty} | {exercise.minutes} "
                f"| {'yes' if exercise.auto_checked else 'no'} |"
            )
    lines += ["", "**Suggested assignments**", ""]
    for assignment in suggested_assignments(own, exercises):
        ids = ", ".join(assignment.exercise_ids) or "none yet"
        plural = "s" if assignment.points != 1 else ""
        lines.append(
            f"- *{assignment.name}*: {ids} (about {assignment.minutes} minutes, "
            f"{assignment.points} point{plural}). {assignment.purpose.capitalize()}."
        )
    return "\n".join(lines)


def guide_totals(
    root: Path = REPO_ROOT, exercises: Mapping[str, Exercise] | None = None
) -> dict[str, int]:
    """Counts for the guide: chapters, exercises in the book, how many are checked, minutes."""
    exercises = registry() if exercises is None else exercises
    book = chapters(root)
    ids = [markup.id for chapter in book for markup in chapter.exercises]
    return {
        "chapters": len(book),
        "exercises": len(ids),
        "auto_checked": sum(1 for i in ids if i in exercises and exercises[i].auto_checked),
        "minutes": sum(chapter.minutes or 0 for chapter in book),
    }


# --------------------------------------------------------------------------- student site
def student_site_config(root: Path = REPO_ROOT) -> dict[str, Any]:
    """``_config.yml`` for the student site: solutions hidden, no sources or launch buttons.

    The main build's execution cache is reused, so no notebook runs twice.
    """
    config = yaml.safe_load((Path(root) / "_config.yml").read_text(encoding="utf-8"))
    sphinx = config.setdefault("sphinx", {})
    sphinx.setdefault("config", {})["hide_solutions"] = True
    # The page sources and the executed notebooks hold the solutions: do not publish them
    # (no _sources folder, no download button), and no Colab button, which would open the
    # repository's notebook, solutions included. Students get `make student` notebooks.
    sphinx["config"]["html_copy_source"] = False
    sphinx["config"]["html_theme_options"] = {"use_download_button": False}
    sphinx["recursive_update"] = True  # merge that option into the theme's, not replace them
    launch = config.setdefault("launch_buttons", {})
    launch["colab_url"] = ""
    launch["binderhub_url"] = ""
    launch["jupyterhub_url"] = ""
    extensions = list(sphinx.get("extra_extensions") or [])
    if "authoring.student_site" not in extensions:
        extensions.append("authoring.student_site")
    sphinx["extra_extensions"] = extensions
    execute = config.setdefault("execute", {})
    execute["cache"] = str((Path(root) / "_build" / ".jupyter_cache").resolve())
    config["title"] = f"{config.get('title', 'Course')} (student edition)"
    return config


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m authoring.editions student|assignments|student-site-config [--out DIR]``."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("what", choices=["student", "assignments", "student-site-config"])
    parser.add_argument("--out", type=Path, help="output folder or file (default under _build/)")
    args = parser.parse_args(argv)
    build = REPO_ROOT / "_build"
    if args.what == "student":
        written = write_student_edition(args.out or build / "student")
        print(f"Student edition: {len(written)} notebooks in {args.out or build / 'student'}")
    elif args.what == "assignments":
        out = args.out or build / "nbgrader"
        by_part = write_assignments(out)
        for part, paths in by_part.items():
            print(f"nbgrader source {part}: {len(paths)} notebooks")
        print(
            f"Course folder: {out}. With the virtual environment active (nbgrader runs "
            "`alembic` from it): cd there, then `nbgrader generate_assignment <part>`."
        )
    else:
        out = args.out or build / "student-site" / "_config.yml"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(yaml.safe_dump(student_site_config(), sort_keys=False), encoding="utf-8")
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
