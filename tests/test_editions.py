"""Student edition, nbgrader assignments, instructor guide: on tiny books and on the real one."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from authoring import book, editions
from authoring.instructor import Reference, references
from authoring.notebook_edition import install_code
from authoring.site_index import Build
from companion.exercises import Case, Exercise, core, evaluate, registry

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
course:
  minutes: {minutes}
  prerequisites: {prerequisites}
---
"""

CHAPTER_BODY = """
# Doubling numbers

A tiny chapter.

**Learning objectives**

- Double a number.
- Explain why doubling
  is linear.

```{code-cell} ipython3
:tags: [hide-output]

import sys

if "google.colab" in sys.modules:  # Colab ships TensorFlow and Keras; add the companion only
    %pip install -q "companion @ git+https://github.com/example/course"

base = 21
```

Some prose, and a fenced example that only looks like a solution:

````md
```{solution-start} fake-1-1
```
````

```{code-cell} ipython3
:tags: [remove-cell]

assert base * 2 == 42
```

## Summary

- Doubling.

## Exercises

```{exercise} Double it
:label: math-1-1

Write `double(x)`. Check it with `check("math-1-1", double)`.
```

```{solution-start} math-1-1
:class: dropdown
```

Multiply by two: SECRET-PROSE-ONE.

```{code-cell} ipython3
def double(x):
    return x * 2  # SECRET-CODE-ONE


doubled = double(base)
```

```{solution-end}
```

````{exercise} Explain it
:label: math-1-2

Why is doubling linear? A code block inside the exercise:

```python
print("kept")
```
````

````{solution} math-1-2
:class: dropdown

Because SECRET-PROSE-TWO.

```python
print("SECRET-CODE-TWO")
```
````

```{code-cell} ipython3
:tags: [solution]

print("SECRET-TAGGED")
```

```{code-cell} ipython3
:tags: [remove-cell]

assert doubled == 42  # needs the solution
```
"""
CHAPTER = HEADER.format(minutes=25, prerequisites="[intro/getting-started]") + CHAPTER_BODY


def _exercises() -> dict[str, Exercise]:
    return {
        "math-1-1": Exercise(
            id="math-1-1",
            title="Double it",
            difficulty="easy",
            minutes=3,
            hint="multiply",
            cases=lambda: [Case("double(2)", 4, args=(2,))],
        ),
        "math-1-2": Exercise(
            id="math-1-2",
            title="Explain it",
            difficulty="hard",
            minutes=15,
            hint="f(a+b)",
        ),
    }


def _references() -> dict[str, Reference]:
    return {
        "math-1-1": Reference(
            id="math-1-1",
            solution="def double(x):\n    return x * 2  # REGISTRY-SECRET",
            cases=lambda: [
                Case("double(2)", 4, args=(2,)),
                Case("double(-1)", -2, args=(-1,)),
                Case("double(0.25) HIDDEN-CASE", 0.5, args=(0.25,)),
            ],
        ),
        "math-1-2": Reference(
            id="math-1-2", solution="Doubling keeps sums: REGISTRY-PROSE-SECRET."
        ),
    }


@pytest.fixture
def tiny_book(tmp_path: Path) -> Path:
    """A book with one chapter in `math`, a plain page, and a back-matter notebook."""
    (tmp_path / "_config.yml").write_text(
        "title: Tiny\nrepository:\n  url: https://github.com/example/course\n"
        "launch_buttons:\n  colab_branch: colab\nsphinx:\n  config: {}\n",
        encoding="utf-8",
    )
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/index\nparts:\n"
        "  - caption: Mathematics\n    chapters:\n      - file: book/math/doubling\n"
        "      - file: book/math/notes\n"
        "  - caption: Back matter\n    chapters:\n      - file: book/appendix/guide\n",
        encoding="utf-8",
    )
    for folder in ("math", "appendix"):
        (tmp_path / "book" / folder).mkdir(parents=True)
    (tmp_path / "book" / "index.md").write_text("# Tiny\n", encoding="utf-8")
    (tmp_path / "book" / "math" / "doubling.md").write_text(CHAPTER, encoding="utf-8")
    (tmp_path / "book" / "math" / "notes.md").write_text("# Notes\n", encoding="utf-8")
    (tmp_path / "book" / "appendix" / "guide.md").write_text(
        HEADER.format(minutes=1, prerequisites="[]") + "\n# Guide\n", encoding="utf-8"
    )
    return tmp_path


def _student(path: Path) -> nbformat.NotebookNode:
    """The student edition of a tiny book's page, with no build behind it."""
    return editions.student_notebook(path, _exercises(), Build.unresolved(book.book_root(path)))


def _student_text(notebook: nbformat.NotebookNode) -> str:
    return "\n".join(cell.source for cell in notebook.cells)


# --------------------------------------------------------------------------- markup
def test_scan_directives_skips_fenced_examples_and_keeps_nested_code():
    directives = editions.scan_directives(CHAPTER)
    names = [d.name for d in directives]
    assert "fake-1-1" not in [d.argument for d in directives]  # inside a ````md example
    assert names.count("exercise") == 2 and names.count("solution") == 1
    explain = next(d for d in directives if d.name == "exercise" and d.argument == "Explain it")
    assert explain.options == {"label": "math-1-2"} and 'print("kept")' in explain.body


def test_solution_regions_cover_gated_and_plain_solutions():
    regions = editions.solution_regions(CHAPTER)
    assert [r.exercise_id for r in regions] == ["math-1-1", "math-1-2"]
    assert "SECRET-CODE-ONE" in regions[0].text and regions[0].text.endswith("```")
    assert "SECRET-CODE-TWO" in regions[1].text


def test_unmatched_solution_start_is_an_error_naming_the_line():
    with pytest.raises(ValueError, match="line 1 .*no solution-end"):
        editions.solution_regions("```{solution-start} math-1-1\n```\n\ntext\n")
    with pytest.raises(ValueError, match="solution-end on line 1"):
        editions.solution_regions("```{solution-end}\n```\n")


def test_scan_directives_rejects_non_text():
    with pytest.raises(TypeError, match="text must be a str"):
        editions.scan_directives(b"bytes")


def test_answer_name_is_the_last_top_level_binding():
    assert editions.answer_name("def f(x):\n    y = 1\n    return y") == "f"
    assert editions.answer_name("import numpy as np\nrate = 0.1\ndef g(): pass") == "g"
    assert editions.answer_name("a, b = 1, 2") == "b"
    assert editions.answer_name("This is prose, not code.") is None


# --------------------------------------------------------------------------- chapters
def test_read_chapter_reads_front_matter_objectives_and_exercises(tiny_book):
    chapter = editions.read_chapter(tiny_book / "book" / "math" / "doubling.md")
    assert chapter.title == "Doubling numbers" and chapter.part == "math"
    assert chapter.minutes == 25 and chapter.prerequisites == ("intro/getting-started",)
    assert chapter.objectives == ("Double a number.", "Explain why doubling is linear.")
    assert [m.id for m in chapter.exercises] == ["math-1-1", "math-1-2"]
    assert chapter.toc_path == "math/doubling"


def test_chapters_skip_plain_pages_and_back_matter(tiny_book):
    assert [c.toc_path for c in editions.chapters(tiny_book)] == ["math/doubling"]
    assert editions.parts(tiny_book) == {"math": "Mathematics"}


def test_read_chapter_of_a_missing_file_names_it(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        editions.read_chapter(tmp_path / "nope.md")


# --------------------------------------------------------------------------- student edition
def test_student_notebook_removes_every_solution_and_keeps_the_exercises(tiny_book):
    notebook = _student(tiny_book / "book" / "math" / "doubling.md")
    text = _student_text(notebook)
    for secret in ("SECRET-PROSE-ONE", "SECRET-CODE-ONE", "SECRET-PROSE-TWO", "SECRET-CODE-TWO"):
        assert secret not in text
    assert "SECRET-TAGGED" not in text
    assert "{solution-start} math" not in text and "{solution-end}" not in text
    assert "{solution}" not in text
    assert "{solution-start} fake-1-1" in text  # an example shown in a code block is not a solution
    assert "Write `double(x)`" in text and "Why is doubling linear?" in text
    assert 'print("kept")' in text  # code shown inside the exercise text stays
    assert "### Exercise math-1-1: Double it\n\n*easy, about 3 min, checked automatically" in text


def test_student_notebook_adds_a_starter_cell_only_after_checked_exercises(tiny_book):
    notebook = _student(tiny_book / "book" / "math" / "doubling.md")
    starters = [c for c in notebook.cells if c.cell_type == "code" and "answer = ..." in c.source]
    assert [c.source for c in starters] == [editions.starter_code("math-1-1")]
    position = notebook.cells.index(starters[0])
    assert "Write `double(x)`" in notebook.cells[position - 1].source


def test_hidden_checks_are_removed(tiny_book):
    notebook = _student(tiny_book / "book" / "math" / "doubling.md")
    assert not [c for c in notebook.cells if "remove-cell" in c.metadata.get("tags", [])]
    assert "assert" not in _student_text(notebook)


def test_student_notebook_keeps_code_cells_exactly(tiny_book):
    path = tiny_book / "book" / "math" / "doubling.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "base = 21\n", 'base = 21\n\n\n\ndef f():\n    return """a\n\n\n\nb"""\n'
        ),
        encoding="utf-8",
    )
    book_code = [c.source for c in jupytext.read(path).cells if c.cell_type == "code"]
    student = _student(path)
    setup = book_code[0].removeprefix(book.colab_prelude(tiny_book)).lstrip("\n")
    assert setup.startswith("base = 21\n\n\n\ndef f():")
    assert setup in [c.source for c in student.cells]


def test_student_notebook_has_no_outputs_and_no_pairing(tiny_book):
    notebook = _student(tiny_book / "book" / "math" / "doubling.md")
    assert "jupytext" not in notebook.metadata
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    nbformat.validate(notebook)


def test_student_notebook_rejects_a_page_that_is_not_a_notebook(tiny_book):
    with pytest.raises(ValueError, match="must be a MyST notebook"):
        _student(tiny_book / "book" / "math" / "notes.md")


def test_write_student_edition_writes_one_notebook_per_chapter(tiny_book, tmp_path):
    written = editions.write_student_edition(
        tmp_path / "out", tiny_book, _exercises(), Build.unresolved(tiny_book)
    )
    assert [p.relative_to(tmp_path / "out").as_posix() for p in written] == ["math/doubling.ipynb"]
    assert "SECRET" not in written[0].read_text(encoding="utf-8")


@pytest.mark.slow
def test_tiny_student_notebook_runs_and_its_starter_asks_for_an_answer(tiny_book, tmp_path):
    from nbclient import NotebookClient

    notebook = _student(tiny_book / "book" / "math" / "doubling.md")
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    starter = next(c for c in notebook.cells if "answer = ..." in c.source)
    printed = "".join(output.get("text", "") for output in starter.outputs)
    assert "Replace the `...`" in printed or "No exercise 'math-1-1'" in printed


# --------------------------------------------------------------------------- nbgrader
def test_assignment_notebook_has_valid_nbgrader_metadata(tiny_book, monkeypatch):
    from nbgrader.nbgraderformat import MetadataValidator

    chapter = editions.read_chapter(tiny_book / "book" / "math" / "doubling.md")
    notebook = editions.assignment_notebook(
        chapter, _exercises(), tiny_book, Build.unresolved(tiny_book), _references()
    )
    MetadataValidator().validate_nb(notebook)
    meta = {c.metadata["nbgrader"]["grade_id"]: c for c in notebook.cells}
    answer, test = meta["math-1-1-answer"], meta["math-1-1-test"]
    assert "### BEGIN SOLUTION" in answer.source and "### END SOLUTION" in answer.source
    assert "answer = double" in answer.source and answer.metadata["nbgrader"]["solution"]
    assert test.metadata["nbgrader"]["grade"] and test.metadata["nbgrader"]["points"] == 1
    assert 'evaluate("math-1-1", answer)' in test.source
    hidden = test.source.split("### BEGIN HIDDEN TESTS\n")[1].split("### END HIDDEN TESTS")[0]
    assert "HIDDEN-CASE" in hidden and 'evaluate("math-1-1", answer, cases=hidden)' in hidden
    assert "double(2)" not in hidden  # the practice case runs before, in the visible part
    monkeypatch.setitem(core._REGISTRY, "math-1-1", _exercises()["math-1-1"])
    exec(test.source, {"answer": lambda x: x * 2, "evaluate": evaluate})
    with pytest.raises(AssertionError, match="HIDDEN-CASE"):
        exec(test.source, {"answer": lambda x: 4 if x == 2 else -2, "evaluate": evaluate})
    manual = meta["math-1-2-answer"]
    assert manual.cell_type == "markdown" and manual.metadata["nbgrader"]["points"] == 3
    assert "REGISTRY-PROSE-SECRET" in manual.source and "SECRET-PROSE-TWO" in manual.source
    assert "{solution}" not in manual.source  # the book's solution as plain Markdown


def test_assignment_of_an_unregistered_exercise_is_an_error(tiny_book):
    chapter = editions.read_chapter(tiny_book / "book" / "math" / "doubling.md")
    with pytest.raises(ValueError, match="math-1-2.*no entry"):
        editions.assignment_notebook(
            chapter,
            {"math-1-1": _exercises()["math-1-1"]},
            tiny_book,
            Build.unresolved(tiny_book),
            _references(),
        )


def test_assignment_of_an_exercise_without_reference_is_an_error(tiny_book):
    chapter = editions.read_chapter(tiny_book / "book" / "math" / "doubling.md")
    with pytest.raises(ValueError, match="math-1-2.*no reference solution"):
        editions.assignment_notebook(
            chapter,
            _exercises(),
            tiny_book,
            Build.unresolved(tiny_book),
            {"math-1-1": _references()["math-1-1"]},
        )


def test_an_exercise_whose_cases_are_all_public_cannot_be_autograded(tiny_book):
    public = Reference(id="math-1-1", solution="def double(x):\n    return 2 * x",
                       cases=lambda: [Case("double(2)", 4, args=(2,))])  # fmt: skip
    with pytest.raises(ValueError, match="math-1-1 has no hidden case"):
        editions.autograder_test_code(_exercises()["math-1-1"], public)


def test_write_assignments_writes_a_course_folder(tiny_book, tmp_path):
    written = editions.write_assignments(
        tmp_path / "course", tiny_book, _exercises(), Build.unresolved(tiny_book), _references()
    )
    assert list(written) == ["math"]
    assert (tmp_path / "course" / "source" / "math" / "doubling.ipynb").exists()
    assert "ClearSolutions.code_stub" in (tmp_path / "course" / "nbgrader_config.py").read_text()


# --------------------------------------------------------------------------- guide
def test_suggested_assignments_short_and_full(tiny_book):
    chapter = editions.read_chapter(tiny_book / "book" / "math" / "doubling.md")
    short, full = editions.suggested_assignments([chapter], _exercises())
    assert short.exercise_ids == ("math-1-1",) and short.minutes == 3 and short.points == 1
    assert full.exercise_ids == ("math-1-1", "math-1-2") and full.minutes == 18 and full.points == 4


def test_guide_part_lists_objectives_prerequisites_and_every_exercise(tiny_book):
    text = editions.guide_part_markdown("math", tiny_book, _exercises())
    assert "{doc}`/book/math/doubling` | 25 | {doc}`/book/intro/getting-started` | 2 |" in text
    assert "  - Explain why doubling is linear." in text
    assert "| {ref}`math-1-1 <math-1-1>` | Double it | easy | 3 | yes |" in text
    assert "| {ref}`math-1-2 <math-1-2>` | Explain it | hard | 15 | no |" in text
    assert "*Short, graded automatically*: math-1-1 (about 3 minutes, 1 point)" in text
    assert editions.guide_part_markdown("cnn", tiny_book, _exercises()).startswith("No chapter")
    with pytest.raises(ValueError, match="part must be one of"):
        editions.guide_part_markdown("physics", tiny_book)


def test_guide_totals_count_exercises_and_checked_ones(tiny_book):
    totals = editions.guide_totals(tiny_book, _exercises())
    assert totals == {"chapters": 1, "exercises": 2, "auto_checked": 1, "minutes": 25}


def test_grading_totals_count_practice_and_hidden_cases():
    totals = editions.grading_totals(_exercises(), _references())
    assert totals == {
        "practice_checked": 1,
        "practice_cases": 1,
        "hidden_cases": 2,
        "value_form_only": 0,
    }


def test_student_site_config_hides_solutions_and_reuses_the_cache(tiny_book):
    config = editions.student_site_config(tiny_book)
    assert config["sphinx"]["config"]["hide_solutions"] is True
    assert "authoring.student_site" in config["sphinx"]["extra_extensions"]
    assert config["execute"]["cache"].endswith("_build/.jupyter_cache")
    assert config["sphinx"]["config"]["html_copy_source"] is False  # sources hold solutions
    assert config["launch_buttons"]["colab_url"] == ""


def test_cli_writes_the_student_edition(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(
        Build, "read", classmethod(lambda cls, *a, root=book.REPO_ROOT: Build.unresolved(root))
    )
    assert editions.main(["student", "--out", str(tmp_path / "s")]) == 0
    assert "Student edition" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "s").rglob("*.ipynb"))


def test_cli_writes_assignments_without_a_built_book(tmp_path, capsys):
    assert editions.main(["assignments", "--unbuilt", "--out", str(tmp_path / "course")]) == 0
    assert "Course folder" in capsys.readouterr().out
    assert (tmp_path / "course" / "source" / "intro" / "getting-started.ipynb").exists()


# --------------------------------------------------------------------------- the real book
CHAPTERS = editions.chapters()
# Checks of the editions that need no numbers run before the book is built.
UNRESOLVED = Build.unresolved()
CHAPTER_IDS = [c.toc_path for c in CHAPTERS]


def _significant(text: str) -> list[str]:
    """Lines and sentences of a solution long enough that finding them elsewhere means a leak."""
    pieces = []
    for line in text.splitlines():
        line = line.strip().strip("`").strip()
        if re.fullmatch(r"[`~:]{3,}.*|:[\w-]+:.*|\+\+\+.*", line):
            continue  # fences, directive options, cell markers
        pieces += [p.strip() for p in re.split(r"(?<=[.;:!?])\s+", line)]
    return [piece for piece in pieces if len(piece) >= 16]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_student_edition_leaks_no_solution(chapter):
    """Search the student notebook for every piece of every solution of the chapter."""
    text = chapter.source.read_text(encoding="utf-8")
    student = _student_text(editions.student_notebook(chapter.source, build=UNRESOLVED))
    for marker in ("{solution-start}", "{solution-end}", "{solution}"):
        assert marker not in student, f"{chapter.toc_path}: {marker} left in the student edition"
    regions = editions.solution_regions(text)
    assert len(regions) >= len(re.findall(r"^[`:]{3,}\{solution-start\}", text, re.MULTILINE))
    lines = text.split("\n")
    inside = {n for r in regions for n in range(r.start, r.end + 1)}
    public = "\n".join(line for n, line in enumerate(lines) if n not in inside)
    public += "\n".join(editions.starter_code(m.id) for m in chapter.exercises)  # added boilerplate
    solutions = references()
    secrets = [r.text for r in regions]
    secrets += [jupytext_cell for jupytext_cell in editions.solution_code(text)]
    secrets += [solutions[m.id].solution for m in chapter.exercises if m.id in solutions]
    leaks = [
        piece
        for secret in secrets
        for piece in _significant(secret)
        if piece in student and piece not in public
    ]
    assert not leaks, f"{chapter.toc_path}: solution text in the student edition: {leaks[:5]}"


def _cells_before_exercises(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    cells = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and re.search(r"^## Exercises", cell.source, re.MULTILINE):
            break
        cells.append(cell)
    return cells


def _book_code_as_the_edition_runs_it(chapter) -> list[tuple[str, list[str]]]:
    """(source, tags) of the book's code before its exercises, its Colab prelude removed
    (the edition's pinned install cell replaces it)."""
    prelude = book.colab_prelude()
    cells = _cells_before_exercises(jupytext.read(chapter.source))
    return [
        (c.source.removeprefix(prelude).lstrip("\n"), c.metadata.get("tags", []))
        for c in cells
        if c.cell_type == "code"
    ]


def _student_code(student: nbformat.NotebookNode) -> list[str]:
    """The student's code before the exercises, without the edition's install cell."""
    install = install_code(UNRESOLVED)
    cells = _cells_before_exercises(student)
    return [c.source for c in cells if c.cell_type == "code" and c.source != install]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_student_code_before_the_exercises_is_the_books_minus_hidden_checks(chapter):
    """The edition may drop solutions and hidden checks, but never edits the code it keeps."""
    student = editions.student_notebook(chapter.source, build=UNRESOLVED)
    assert student.cells[[c.cell_type for c in student.cells].index("code")].source == (
        install_code(UNRESOLVED)
    ), f"{chapter.toc_path}: the first code cell must be the pinned install cell"
    solutions = editions.solution_code(chapter.source.read_text(encoding="utf-8"))
    remaining = iter(_student_code(student))
    pending = next(remaining, None)
    for source, tags in _book_code_as_the_edition_runs_it(chapter):
        if source == pending:
            pending = next(remaining, None)
        elif source.strip():
            assert "remove-cell" in tags or source in solutions, (
                f"{chapter.toc_path}: the student edition dropped or changed a code cell:\n{source[:300]}"
            )
    assert pending is None, f"{chapter.toc_path}: the student edition added code: {pending[:300]}"


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS, ids=CHAPTER_IDS)
def test_student_notebook_runs_up_to_its_exercises(chapter):
    """Execute the student notebook's cells before `## Exercises` with nbclient.

    When those code cells are exactly the book notebook's minus its hidden checks (nbval
    executes the book in `make test`), running them again proves nothing new and would
    add a whole execution of the book to CI; set COMPANION_EXECUTE_STUDENT=all to run
    them anyway.
    """
    from nbclient import NotebookClient

    student = editions.student_notebook(chapter.source, build=UNRESOLVED)
    before = _cells_before_exercises(student)
    book_code = [
        source
        for source, tags in _book_code_as_the_edition_runs_it(chapter)
        if "remove-cell" not in tags and source.strip()
    ]
    if _student_code(student) == book_code and os.environ.get("COMPANION_EXECUTE_STUDENT") != "all":
        return
    student.cells = before
    NotebookClient(
        student,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(chapter.source.parent)}},
    ).execute()


def test_every_exercise_of_the_book_is_in_the_guide():
    listed = "\n".join(editions.guide_part_markdown(part) for part in editions.PART_ORDER)
    ids = [m.id for c in CHAPTERS for m in c.exercises]
    assert ids, "the book has no exercise"
    assert not [i for i in ids if f"{{ref}}`{i} <{i}>`" not in listed]
    assert editions.guide_totals()["exercises"] == len(ids)


def test_guide_page_is_in_the_toc_and_generated():
    guide = book.REPO_ROOT / "book" / "appendix" / "instructor-guide.md"
    assert guide in book.toc_files()
    metadata = jupytext.read(guide).metadata
    assert metadata["mystnb"]["execution_mode"] == "force", (
        "the guide must never come from a stale cache"
    )
    assert "guide_part_markdown" in guide.read_text(encoding="utf-8")


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )


ASSIGNED_PARTS = sorted({chapter.part for chapter in CHAPTERS if chapter.exercises})


@pytest.mark.slow
@pytest.mark.parametrize("part", ASSIGNED_PARTS)
def test_nbgrader_accepts_the_assignments_and_grades_reference_and_blank(tmp_path, part):
    """generate_assignment accepts the part; autograde gives full marks to the reference
    solutions and zero to the blank student version, on every autograded test cell.
    One test per part, so that pytest-xdist's workers share them out."""
    from nbgrader.api import Gradebook

    course = tmp_path / "course"
    written = editions.write_assignments(course, build=UNRESOLVED)
    assert sorted(written) == ASSIGNED_PARTS
    generated = _nbgrader(course, "generate_assignment", part, "--force")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    for student, folder in (("reference", "source"), ("blank", "release")):
        shutil.copytree(course / folder / part, course / "submitted" / student / part)
    graded = _nbgrader(course, "autograde", part, "--force")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    expected_tests = {
        f"{m.id}-test"
        for c in CHAPTERS
        if c.part == part
        for m in c.exercises
        if registry()[m.id].auto_checked
    }
    seen = set()
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for notebook in written[part]:
            for student in ("reference", "blank"):
                submission = gradebook.find_submission_notebook(notebook.stem, part, student)
                for grade in submission.grades:
                    if grade.cell_type != "code":
                        continue
                    seen.add(grade.name)
                    want = grade.max_score if student == "reference" else 0
                    assert grade.auto_score == want, (
                        f"{part}/{notebook.stem} {grade.name} ({student}): "
                        f"{grade.auto_score} of {grade.max_score}"
                    )
    assert seen == expected_tests


def _build_tiny_site(tmp_path: Path, hide: bool) -> str:
    """Build a one-page Sphinx site (in a subprocess: extensions register nodes globally)."""
    source = tmp_path / "src"
    source.mkdir(parents=True)
    (source / "conf.py").write_text(
        "extensions = ['myst_parser', 'sphinx_exercise', 'authoring.student_site']\n"
        f"hide_solutions = {hide}\n",
        encoding="utf-8",
    )
    (source / "index.md").write_text(
        "# Tiny\n\n```{exercise} Add\n:label: ex-1\n\nAdd 1 and 1.\n```\n\n"
        "```{solution-start} ex-1\n```\n\nGATED-SECRET is 2.\n\n```{solution-end}\n```\n\n"
        "```{solution} ex-1\nPLAIN-SECRET\n```\n\nAfter the solutions.\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    built = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(source), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return (out / "index.html").read_text(encoding="utf-8")


def test_student_site_extension_hides_gated_solutions(tmp_path):
    shown = _build_tiny_site(tmp_path / "shown", hide=False)
    assert "GATED-SECRET" in shown and "PLAIN-SECRET" in shown
    hidden = _build_tiny_site(tmp_path / "hidden", hide=True)
    assert "GATED-SECRET" not in hidden and "PLAIN-SECRET" not in hidden
    assert "Add 1 and 1." in hidden and "After the solutions." in hidden


def test_guide_rewrites_relative_doc_links_in_objectives():
    from authoring.editions import _absolute_doc_refs

    text = "Use {doc}`compute-cost` and {doc}`the maths <../math/attention>` and {doc}`/book/x`."
    assert _absolute_doc_refs(text, "book/concepts") == (
        "Use {doc}`/book/concepts/compute-cost` and {doc}`the maths </book/math/attention>` and {doc}`/book/x`."
    )
