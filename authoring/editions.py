"""Editions of the book for students and instructors, generated from one source of truth.

The chapters (``book/<part>/<name>.md``), their front matter (``course: {minutes,
prerequisites}``), their learning objectives, the learner's exercise registry
(``companion.exercises``: hints and practice cases) and the instructor's store
(``authoring.instructor``: reference solutions and hidden cases) are the only inputs.
From them this module writes:

- the **student edition**: one ``.ipynb`` per chapter, rendered like the notebook
  edition (``authoring.notebook_edition``: numbers and links from the built book, no
  MyST), with every solution removed (``solution-start`` … ``solution-end`` regions,
  ``solution`` directives and cells tagged ``solution``) and a starter cell after
  each automatically checked exercise, which runs its practice cases;
- the **nbgrader source** folder: one assignment per part, with solution regions
  (``### BEGIN SOLUTION`` … ``### END SOLUTION``) and autograder test cells that run
  the practice cases, then the hidden cases written out between ``### BEGIN HIDDEN
  TESTS`` and ``### END HIDDEN TESTS`` (``nbgrader generate_assignment`` strips them
  from the release; ``nbgrader autograde`` puts them back and runs them);
- the data of the **instructor guide** page (objectives, prerequisites, time,
  exercises and two suggested assignments per part).

Run ``python -m authoring.editions student|assignments|student-site-config``
(``make student``, ``make assignments``, ``make book-student``).

Used in: Back matter, Instructor guide; the Makefile targets above.
"""

from __future__ import annotations

import argparse
import ast
import posixpath
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import yaml

from companion.exercises import Exercise, registry
from companion.exercises.core import PARTS

from .book import REPO_ROOT, book_root, is_notebook_source, toc_entries, toc_files
from .instructor import Reference, references, split_hidden
from .instructor.literal import cases_source
from .myst import (
    Directive,
    ExerciseMarkup,
    SolutionRegion,
    exercise_markup,
    scan_directives,
    solution_regions,
)
from .notebook_edition import (
    edition_notebook,
    install_code,
    render_markdown,
    solution_markdown,
    starter_code,
)
from .site_index import Build

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
    "autograder_test_code",
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

_SOLUTION_TAG = "solution"


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
    captions: dict[str, str] = {}
    for name, caption in toc_entries(root):
        pieces = Path(name).parts
        if len(pieces) >= 3 and pieces[0] == "book" and pieces[1] not in NOT_CHAPTERS:
            captions.setdefault(pieces[1], caption)
    return captions


# --------------------------------------------------------------------------- student edition
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
    source: Path,
    exercises: Mapping[str, Exercise] | None = None,
    build: Build | None = None,
    root: Path | None = None,
) -> nbformat.NotebookNode:
    """The student edition of one chapter: the notebook edition without any solution.

    Every solution region and cell tagged ``solution`` is removed, and an automatically
    checked exercise gets a starter cell (``answer = ...`` then ``check(id, answer)``).
    ``build`` defaults to the built book (``Build.read``).
    """
    source = Path(source)
    if source.suffix != ".md" or not is_notebook_source(source):
        raise ValueError(
            f"source must be a MyST notebook (.md with a jupytext header), got {source}."
        )
    root = book_root(source) if root is None else root
    build = Build.read(root=root) if build is None else build
    return edition_notebook(source, build, exercises, solutions=False, root=root)


def write_student_edition(
    out_dir: Path,
    root: Path = REPO_ROOT,
    exercises: Mapping[str, Exercise] | None = None,
    build: Build | None = None,
) -> list[Path]:
    """Write ``<out_dir>/<part>/<name>.ipynb`` for every chapter in the toc; return the paths."""
    out_dir = Path(out_dir)
    exercises = registry() if exercises is None else exercises
    build = Build.read(root=root) if build is None else build
    written = []
    for chapter in chapters(root):
        target = out_dir / chapter.part / f"{chapter.source.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student_notebook(chapter.source, exercises, build, root), target)
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


def _locked(grade_id: str) -> dict:
    return _nbgrader(grade_id, solution=False, grade=False, locked=True)


@dataclass(frozen=True)
class _Page:
    """The chapter an assignment is made from, and how to render its MyST."""

    chapter: Chapter
    doc: str
    build: Build

    def render(self, text: str) -> str:
        return render_markdown(text, self.doc, self.build)


def _header_cells(page: _Page, total: int, root: Path) -> list[nbformat.NotebookNode]:
    """The assignment's introduction and its locked setup cells (install, then imports)."""
    stem, new = page.chapter.source.stem, nbformat.v4
    introduction = (
        f"# Exercises: {page.chapter.title}\n\n"
        f"From the chapter [{page.chapter.title}]({page.build.url(page.doc + '.html')}) of "
        "the course. Run the setup cells, then answer each exercise in the cell below it. "
        "An automatically graded exercise is checked by the locked test cell that follows "
        f"your answer; run it to see the verdict. Points in this notebook: {total}."
    )
    imports = "import numpy as np\n\nfrom companion.exercises import check, evaluate, hint"
    return [
        new.new_markdown_cell(introduction, metadata=_locked(f"{stem}-header")),
        new.new_code_cell(install_code(page.build, root), metadata=_locked(f"{stem}-install")),
        new.new_code_cell(imports, metadata=_locked(f"{stem}-setup")),
    ]


def _statement_cell(
    page: _Page, markup: ExerciseMarkup, exercise: Exercise
) -> nbformat.NotebookNode:
    points = POINTS[exercise.difficulty]
    grading = "graded automatically" if exercise.auto_checked else "graded by hand"
    return nbformat.v4.new_markdown_cell(
        f"## Exercise {markup.id}: {markup.title}\n\n"
        f"*{exercise.difficulty}, about {exercise.minutes} min, {points} "
        f"point{'s' if points > 1 else ''}, {grading}*\n\n{page.render(markup.body)}",
        metadata=_locked(f"{markup.id}-text"),
    )


def autograder_test_code(exercise: Exercise, reference: Reference) -> str:
    """The test cell of an exercise: practice cases, then the hidden ones written out.

    The hidden part sits between nbgrader's ``### BEGIN HIDDEN TESTS`` and ``### END
    HIDDEN TESTS``, so the released notebook has only the practice check.
    """
    hidden = split_hidden(exercise, reference)
    if not hidden:
        raise ValueError(
            f"{exercise.id} has no hidden case: add a case to its Reference in "
            f"authoring/instructor/{exercise.part}.py that is not one of its practice cases."
        )
    return (
        f"# Autograder test for {exercise.id}: the practice cases, then the hidden ones.\n"
        f'result = evaluate("{exercise.id}", answer)\n'
        "assert result, result.message\n"
        "### BEGIN HIDDEN TESTS\n"
        f"{cases_source(hidden, 'hidden')}\n"
        f'result = evaluate("{exercise.id}", answer, cases=hidden)\n'
        "assert result, result.message\n"
        "### END HIDDEN TESTS"
    )


def _autograded_cells(
    markup: ExerciseMarkup, exercise: Exercise, reference: Reference, name: str
) -> list:
    """The answer cell (holding the reference solution) and the locked autograder test."""
    assign = "" if name == "answer" else f"\n\n\nanswer = {name}"
    answer = nbformat.v4.new_code_cell(
        f"### BEGIN SOLUTION\n{reference.solution}{assign}\n### END SOLUTION\n"
        f'check("{markup.id}", answer)',
        metadata=_nbgrader(f"{markup.id}-answer", solution=True, grade=False, locked=False),
    )
    test = nbformat.v4.new_code_cell(
        autograder_test_code(exercise, reference),
        metadata=_nbgrader(
            f"{markup.id}-test",
            solution=False,
            grade=True,
            locked=True,
            points=POINTS[exercise.difficulty],
        ),
    )
    return [answer, test]


def _manual_cell(
    page: _Page,
    markup: ExerciseMarkup,
    exercise: Exercise,
    reference: Reference,
    book_solution: str | None,
):
    """A Markdown answer cell graded by hand, holding the reference and the book's solution."""
    model = reference.solution
    if book_solution is not None:
        model += "\n\n" + page.render(solution_markdown(book_solution))
    return nbformat.v4.new_markdown_cell(
        f"### BEGIN SOLUTION\n{model}\n### END SOLUTION",
        metadata=_nbgrader(
            f"{markup.id}-answer",
            solution=True,
            grade=True,
            locked=False,
            points=POINTS[exercise.difficulty],
        ),
    )


def _exercise_cells(
    page: _Page,
    markup: ExerciseMarkup,
    exercise: Exercise | None,
    reference: Reference | None,
    book_solution: str | None,
) -> list[nbformat.NotebookNode]:
    where = page.chapter.source.name
    if exercise is None:
        raise ValueError(f"{where}: exercise {markup.id!r} has no entry in companion.exercises.")
    if reference is None:
        raise ValueError(
            f"{where}: exercise {markup.id!r} has no reference solution in "
            f"authoring/instructor/{exercise.part}.py."
        )
    cells = [_statement_cell(page, markup, exercise)]
    name = answer_name(reference.solution) if exercise.auto_checked else None
    if name is not None:
        return cells + _autograded_cells(markup, exercise, reference, name)
    return [*cells, _manual_cell(page, markup, exercise, reference, book_solution)]


def assignment_notebook(
    chapter: Chapter,
    exercises: Mapping[str, Exercise] | None = None,
    root: Path = REPO_ROOT,
    build: Build | None = None,
    solutions: Mapping[str, Reference] | None = None,
) -> nbformat.NotebookNode:
    """The nbgrader source notebook of one chapter's exercises.

    Automatically checked exercises get an answer cell (a solution region holding the
    instructor's reference solution) and a locked autograder test cell that calls
    ``companion.exercises.evaluate`` on the practice cases, then on the hidden cases
    written out in a hidden-tests region; the others get a Markdown answer cell graded
    by hand. Statements are rendered like the notebook edition's (numbers and links, no
    MyST). ``solutions`` defaults to the instructor's store (``authoring.instructor``).
    """
    exercises = registry() if exercises is None else exercises
    solutions = references() if solutions is None else solutions
    build = Build.read(root=root) if build is None else build
    doc = chapter.source.resolve().relative_to(Path(root).resolve()).with_suffix("").as_posix()
    page = _Page(chapter, doc, build)
    text = chapter.source.read_text(encoding="utf-8")
    book_solutions = {region.exercise_id: region.text for region in solution_regions(text)}
    total = sum(POINTS[exercises[m.id].difficulty] for m in chapter.exercises if m.id in exercises)
    cells = _header_cells(page, total, root)
    for markup in chapter.exercises:
        cells += _exercise_cells(
            page,
            markup,
            exercises.get(markup.id),
            solutions.get(markup.id),
            book_solutions.get(markup.id),
        )
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


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
    out_dir: Path,
    root: Path = REPO_ROOT,
    exercises: Mapping[str, Exercise] | None = None,
    build: Build | None = None,
    solutions: Mapping[str, Reference] | None = None,
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
    build = Build.read(root=root) if build is None else build
    for chapter in chapters(root):
        if not chapter.exercises:
            continue
        target = out_dir / "source" / chapter.part / f"{chapter.source.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(assignment_notebook(chapter, exercises, root, build, solutions), target)
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


def _chapters_table(own: Sequence[Chapter]) -> list[str]:
    lines = ["| Chapter | Minutes | Prerequisites | Exercises |", "| --- | --- | --- | --- |"]
    for chapter in own:
        prerequisites = ", ".join(f"{{doc}}`/book/{p}`" for p in chapter.prerequisites) or "none"
        lines.append(
            f"| {{doc}}`/book/{chapter.toc_path}` | {chapter.minutes or '?'} | {prerequisites} "
            f"| {len(chapter.exercises)} |"
        )
    return lines


def _objectives_list(own: Sequence[Chapter]) -> list[str]:
    lines = ["**Learning objectives**", ""]
    for chapter in own:
        lines.append(f"- {{doc}}`/book/{chapter.toc_path}`")
        lines += [f"  - {_cell(objective)}" for objective in chapter.objectives]
    return lines


def _exercises_table(own: Sequence[Chapter], exercises: Mapping[str, Exercise]) -> list[str]:
    lines = [
        "**Exercises**",
        "",
        "| Id | Title | Difficulty | Minutes | Checked automatically |",
        "| --- | --- | --- | --- | --- |",
    ]
    for markup in (markup for chapter in own for markup in chapter.exercises):
        exercise = exercises.get(markup.id)
        if exercise is None:
            lines.append(f"| {markup.id} | {_cell(markup.title)} | ? | ? | no metadata |")
            continue
        lines.append(
            f"| {{ref}}`{markup.id} <{markup.id}>` | {_cell(exercise.title)} "
            f"| {exercise.difficulty} | {exercise.minutes} "
            f"| {'yes' if exercise.auto_checked else 'no'} |"
        )
    return lines


def _assignments_list(own: Sequence[Chapter], exercises: Mapping[str, Exercise]) -> list[str]:
    lines = ["**Suggested assignments**", ""]
    for assignment in suggested_assignments(own, exercises):
        ids = ", ".join(assignment.exercise_ids) or "none yet"
        plural = "s" if assignment.points != 1 else ""
        lines.append(
            f"- *{assignment.name}*: {ids} (about {assignment.minutes} minutes, "
            f"{assignment.points} point{plural}). {assignment.purpose.capitalize()}."
        )
    return lines


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
    minutes = sum(c.minutes for c in own if c.minutes)
    summary = (
        f"{len(own)} chapter{'s' if len(own) > 1 else ''}, about "
        f"{minutes} minutes in all (reading, running and exercises)."
    )
    sections = [
        [summary],
        _chapters_table(own),
        _objectives_list(own),
        _exercises_table(own, exercises),
        _assignments_list(own, exercises),
    ]
    return "\n\n".join("\n".join(section) for section in sections)


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
