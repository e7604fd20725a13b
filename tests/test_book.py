"""Book checks: paired notebooks in sync, no committed outputs, the toc, Colab cells, exercises."""

from __future__ import annotations

import re

import jupytext
import nbformat
import pytest

from authoring import book, editions, myst
from companion.exercises import registry

ROOT = book.REPO_ROOT
# Every executable page is paired and committed without outputs; the chapter rules
# (setup cell, objectives, exercises, front matter) apply to chapters only, not to
# back matter such as the generated instructor guide (pages under book/appendix/).
SOURCES = [page for page in book.toc_files() if book.is_notebook_source(page)]
IDS = [str(path.relative_to(ROOT)) for path in SOURCES]
CHAPTERS = [page for page in SOURCES if editions.is_chapter(page)]
CHAPTER_IDS = [str(path.relative_to(ROOT)) for path in CHAPTERS]


def _exercise_labels(text: str) -> list[str]:
    """The ``:label:`` of every exercise, read by the scanner the editions use."""
    return [markup.id for markup in myst.exercise_markup(text)]


def _solved(text: str) -> list[str]:
    return [d.argument for d in myst.scan_directives(text) if d.name == "solution-start"]


def _cells(notebook: nbformat.NotebookNode) -> list[tuple[str, str, list[str]]]:
    return [
        (cell.cell_type, cell.source.strip(), sorted(cell.get("metadata", {}).get("tags", [])))
        for cell in notebook.cells
    ]


def test_every_toc_entry_exists():
    missing = [str(page.relative_to(ROOT)) for page in book.toc_files() if not page.exists()]
    assert not missing, f"_toc.yml names pages that do not exist: {missing}"


def test_there_are_notebooks_to_check():
    assert SOURCES, "the toc names no executable page"
    assert CHAPTERS, "the toc names no chapter"


def test_only_back_matter_is_exempt_from_the_chapter_rules():
    exempt = [page.relative_to(ROOT).parts[:2] for page in SOURCES if page not in CHAPTERS]
    assert all(parts == ("book", "appendix") for parts in exempt), exempt


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_notebook_source_has_a_committed_pair(source):
    pair = source.with_suffix(".ipynb")
    assert pair.exists(), f"{source.name} has no paired {pair.name}: run `make pair`."


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_paired_notebook_is_in_sync_with_markdown(source):
    from_markdown = jupytext.read(source)
    committed = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    assert _cells(committed) == _cells(from_markdown), (
        f"{source.with_suffix('.ipynb').name} differs from {source.name}: edit the .md, then run `make pair`."
    )
    assert committed.metadata.get("course") == from_markdown.metadata.get("course"), (
        f"{source.with_suffix('.ipynb').name}: front matter `course` differs from {source.name}: run `make pair`."
    )
    formats = committed.metadata.get("jupytext", {}).get("formats", "")
    assert formats == "ipynb,md:myst", f"{source.name}: jupytext formats are {formats!r}"


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_committed_notebook_has_no_outputs(source):
    notebook = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, (
        f"{source.with_suffix('.ipynb').name} has outputs in cells {dirty}: run `make pair`."
    )


@pytest.mark.parametrize("source", CHAPTERS, ids=CHAPTER_IDS)
def test_first_code_cell_installs_companion_on_colab_from_configured_url(source):
    """The setup cells of the chapters all open with one template, ``book.COLAB_PRELUDE``."""
    notebook = jupytext.read(source)
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert first.source.startswith(book.colab_prelude()), (
        f"{source.name}: the first code cell must start with the Colab prelude of "
        f"authoring.book.COLAB_PRELUDE, installing {book.colab_install_url()!r} "
        f"(from _config.yml):\n{book.colab_prelude()}"
    )
    assert "hide-output" in first.metadata.get("tags", []), (
        f"{source.name}: tag the setup cell hide-output"
    )


def test_the_colab_prelude_installs_only_the_companion():
    prelude = book.colab_prelude()
    assert '"google.colab" in sys.modules' in prelude
    install = prelude.split("%pip", 1)[1].split("\n")[0]
    assert f'install -q "{book.colab_install_url()}"' in install
    for forbidden in ("tensorflow", "keras"):
        assert forbidden not in install, f"do not install {forbidden} on Colab; it ships its own"


@pytest.mark.parametrize("source", CHAPTERS, ids=CHAPTER_IDS)
def test_chapter_has_objectives_summary_exercises_and_hidden_check(source):
    text = source.read_text(encoding="utf-8")
    for heading in ("**Learning objectives**", "## Summary", "## Exercises"):
        assert heading in text, f"{source.name} lacks {heading!r}"
    assert text.index("## Summary") < text.index("## Exercises"), (
        f"{source.name}: Summary comes before Exercises"
    )
    assert ":tags: [remove-cell]" in text, (
        f"{source.name}: add a hidden check cell (tag remove-cell)"
    )
    labels = _exercise_labels(text)
    assert labels, f"{source.name} has no labelled exercise"
    solved = _solved(text)
    assert sorted(solved) == sorted(labels), (
        f"{source.name}: every exercise needs one solution ({labels} vs {solved})"
    )


@pytest.mark.parametrize("source", CHAPTERS, ids=CHAPTER_IDS)
def test_chapter_front_matter_gives_minutes_and_prerequisites(source):
    """The instructor guide is generated from this metadata (``course:`` in the front matter)."""
    course = jupytext.read(source).metadata.get("course")
    assert isinstance(course, dict), (
        f"{source.name}: add `course: {{minutes: N, prerequisites: [...]}}` to the front matter"
    )
    assert isinstance(course.get("minutes"), int) and course["minutes"] > 0, (
        f"{source.name}: course.minutes must be a positive int"
    )
    pages = {str(page.relative_to(ROOT / "book").with_suffix("")) for page in book.toc_files()}
    unknown = [p for p in course.get("prerequisites", []) if p not in pages]
    assert not unknown, (
        f"{source.name}: prerequisites {unknown} are not pages of the toc (use e.g. 'intro/getting-started')"
    )


def test_every_exercise_has_an_id_in_its_part_and_the_registry_title():
    """One source of truth: the markup's id and title agree with the registry's metadata."""
    exercises = registry()
    for chapter in editions.chapters():
        numbers = set()
        for markup in chapter.exercises:
            assert markup.id, f"{chapter.source.name}: an exercise has no :label:"
            part, number, _ = [*markup.id.split("-"), "", ""][:3]
            assert part == chapter.part, (
                f"{chapter.source.name}: exercise {markup.id} is in book/{chapter.part}/, "
                f"so its id must start with '{chapter.part}-'"
            )
            numbers.add(number)
            if markup.id in exercises:
                assert markup.title.strip() == exercises[markup.id].title, (
                    f"{markup.id}: title {markup.title!r} in {chapter.source.name} but "
                    f"{exercises[markup.id].title!r} in companion.exercises"
                )
        assert len(numbers) <= 1, (
            f"{chapter.source.name}: its exercise ids use chapter numbers {sorted(numbers)}; use one"
        )


def test_every_exercise_in_the_book_is_registered_once_and_vice_versa():
    seen: dict[str, str] = {}
    for source in book.toc_files():
        if source.suffix != ".md":
            continue
        for label in _exercise_labels(source.read_text(encoding="utf-8")):
            assert label not in seen, f"exercise id {label} used in {seen[label]} and {source.name}"
            seen[label] = source.name
    registered = set(registry())
    assert not set(seen) - registered, (
        f"exercises without metadata in companion.exercises: {sorted(set(seen) - registered)}"
    )
    assert not registered - set(seen), (
        f"registered exercises that are not in the book: {sorted(registered - set(seen))}"
    )


def test_config_defines_repository_url_once_and_colab_button():
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert config.count(book.repository_url()) == 1
    assert "colab_url: https://colab.research.google.com" in config
    assert book.edition_branch() == "colab"  # the branch the publishing workflow pushes to
    assert book.colab_url("book/cnn/inside.ipynb") == (
        "https://colab.research.google.com/github/building-with-large-ai-models/course/blob/"
        "colab/book/cnn/inside.ipynb"
    )


CROSS_PAGE_GLUE = re.compile(r"\{glue:text\}`([^`]*::[^`]*)`")


def cross_page_glue_without_format(text: str) -> list[str]:
    """``{glue:text}`page.md::key``` roles with no format: myst-nb splits the role at its
    last colon, so without ``:s``/``:d``/``:.1f`` it looks up the key ``page.md:``."""
    return [role for role in CROSS_PAGE_GLUE.findall(text) if ":" not in role.split("::", 1)[1]]


def test_cross_page_glue_has_a_format_so_myst_nb_finds_the_key():
    assert cross_page_glue_without_format("{glue:text}`../a.md::n` and {glue:text}`b.md::m:d`") == [
        "../a.md::n"
    ]
    bare = {
        str(page.relative_to(book.REPO_ROOT)): found
        for page in book.toc_files()
        if page.suffix == ".md"
        and (found := cross_page_glue_without_format(page.read_text(encoding="utf-8")))
    }
    assert not bare, f"add a format (':s' for text, ':d' for a count) to: {bare}"
