"""Comparing sentences stay true when their numbers change (README, "Writing a chapter").

A sentence of prose that compares ("most", "beats", "faster", "more than", "only 0.67")
next to a glued value must be guarded: the glue key is a variable that an ``assert`` of a
hidden (``remove-cell``) cell of the same page tests, so that a new result that breaks
the sentence fails the notebook in CI. Sentences phrased from the value itself (the
comparing words glued too, as in "Making it better") contain no comparing word and pass.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jupytext
import pytest

from authoring import book

ROOT = book.REPO_ROOT
# Every MyST page of the toc (prose pages too: a glued value can sit anywhere).
GUARDED_PAGES = [str(page.relative_to(ROOT)) for page in book.toc_files() if page.suffix == ".md"]
COMPARING = re.compile(
    r"(?<![\w-])(?<!at )(most|least|beats?|beating|faster|slower|more than|less than|fewer than|"
    r"better|worse|larger|smaller|higher|lower|cheaper|exceeds?|outperforms?|"
    r"only(?= \{glue:text\}))(?![\w-])",
    re.IGNORECASE,
)
GLUE_ROLE = re.compile(r"\{glue:text\}`([A-Za-z_]\w*)")
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-Z*({])")


def comparing_sentences(markdown: str) -> list[tuple[str, list[str]]]:
    """(sentence, glue keys) for each prose sentence with a comparing word and a glued value."""
    found = []
    # Paragraphs and list items; "at most"/"at least" state a bound, which the value is.
    for paragraph in re.split(r"\n\s*\n|\n\s*[-*] ", markdown):
        for sentence in SENTENCE_END.split(" ".join(paragraph.split())):
            keys = GLUE_ROLE.findall(sentence)
            if keys and COMPARING.search(sentence):
                found.append((sentence, keys))
    return found


def asserted_names(code: str) -> set[str]:
    """Variable names and string constants inside the ``assert`` statements of ``code``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Assert):
            for part in ast.walk(node.test):
                if isinstance(part, ast.Name):
                    names.add(part.id)
                elif isinstance(part, ast.Constant) and isinstance(part.value, str):
                    names.add(part.value)
    return names


def unguarded_claims(page: Path) -> list[str]:
    """The comparing sentences of ``page`` none of whose glued values a hidden check asserts."""
    notebook = jupytext.read(page)
    prose = "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    guarded: set[str] = set()
    for cell in notebook.cells:
        if cell.cell_type == "code" and "remove-cell" in cell.metadata.get("tags", []):
            guarded |= asserted_names(cell.source)
    return [
        sentence for sentence, keys in comparing_sentences(prose) if not guarded.intersection(keys)
    ]


@pytest.mark.parametrize("page", GUARDED_PAGES)
def test_every_comparing_sentence_is_guarded_by_a_hidden_assertion(page):
    unguarded = unguarded_claims(ROOT / page)
    assert not unguarded, (
        f"{page}: these sentences compare a glued value that no hidden check asserts. Phrase "
        "the comparison from the value (glue the words too) or name the glued variable in an "
        "`assert` of a remove-cell cell:\n- " + "\n- ".join(unguarded)
    )


def test_the_detector_finds_an_unguarded_comparison_and_accepts_a_guarded_one(tmp_path):
    page = tmp_path / "page.md"
    claim = "The new model beats the old one by {glue:text}`gain:.1f` points.\n"
    cell = "```{code-cell} ipython3\n:tags: [remove-cell]\n\nassert %s > 0\n```\n"
    page.write_text(claim + "\n" + cell % "other", encoding="utf-8")
    assert unguarded_claims(page) == [claim.strip()]
    page.write_text(claim + "\n" + cell % "gain", encoding="utf-8")
    assert unguarded_claims(page) == []


def test_comparing_words_are_matched_as_words_and_only_next_to_a_value():
    assert comparing_sentences("Once lower-cased, {glue:text}`n` names remain.") == []
    assert comparing_sentences("The only model scores {glue:text}`x:.2f` here.") == []
    assert comparing_sentences("It correlates only {glue:text}`r:.2f`.") == [
        ("It correlates only {glue:text}`r:.2f`.", ["r"])
    ]


def test_the_book_uses_no_bold_symbols_as_the_notation_page_says():
    bold = re.compile(r"\\(mathbf|boldsymbol|bm)\b")
    offenders = [
        str(page.relative_to(ROOT))
        for page in sorted((ROOT / "book").rglob("*.md"))
        if bold.search(page.read_text(encoding="utf-8"))
    ]
    notation = (ROOT / "book/math/notation.md").read_text(encoding="utf-8")
    assert "Bold is not used" in notation and not offenders, offenders
