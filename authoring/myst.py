"""MyST markup of the chapters: directives, exercises and solution regions.

One scanner for every tool that reads the chapters' MyST text: the editions
(``authoring.editions``, ``authoring.notebook_edition``) and the book checks in
``tests/test_book.py``. It follows CommonMark's fence rules, so a directive shown
inside a code block is not mistaken for a real one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import yaml

__all__ = [
    "Directive",
    "ExerciseMarkup",
    "Fence",
    "SolutionRegion",
    "exercise_markup",
    "fences",
    "python_source",
    "scan_directives",
    "solution_regions",
]

_OPENING_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
_DIRECTIVE_INFO = re.compile(r"^\s*\{(?P<name>[\w:-]+)\}\s*(?P<argument>.*?)\s*$")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")


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


@dataclass(frozen=True)
class Fence:
    """A top-level fenced block, lines ``start``..``end``; ``directive`` is None for plain code."""

    start: int
    end: int
    directive: Directive | None


def fences(text: str) -> list[Fence]:
    """Every top-level fenced block of ``text``: directives and plain code blocks, in order.

    Nested fences belong to their outer block and are not reported.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}.")
    lines = text.split("\n")
    found: list[Fence] = []
    index = 0
    while index < len(lines):
        match = _OPENING_FENCE.match(lines[index])
        if match is None or (match["fence"][0] == "`" and "`" in match["info"]):
            index += 1
            continue
        info = _DIRECTIVE_INFO.match(match["info"])
        if match["fence"][0] == ":" and info is None:
            index += 1  # a colon fence is only special when it opens a directive
            continue
        end = _closing_line(lines, index, match["fence"])
        found.append(Fence(index, end, _directive(info, lines, index, end) if info else None))
        index = end + 1
    return found


def _directive(info: re.Match[str], lines: Sequence[str], start: int, end: int) -> Directive:
    options, body = _split_options(list(lines[start + 1 : end]))
    return Directive(
        name=info["name"],
        argument=info["argument"],
        options=options,
        body="\n".join(body).strip("\n"),
        start=start,
        end=end,
    )


def scan_directives(text: str) -> list[Directive]:
    """Every top-level MyST directive of ``text`` (code cells included), in order.

    Fenced blocks are skipped as a whole, so a directive shown inside a code block or
    nested in another directive is not reported.
    """
    return [fence.directive for fence in fences(text) if fence.directive is not None]


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


def _region(lines: Sequence[str], exercise_id: str, start: int, end: int) -> SolutionRegion:
    """The solution of ``exercise_id`` spanning ``lines[start]`` to ``lines[end]``, inclusive."""
    return SolutionRegion(exercise_id, start, end, "\n".join(lines[start : end + 1]))


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
            regions.append(_region(lines, open_start.argument, open_start.start, directive.end))
            open_start = None
        elif directive.name == "solution" and open_start is None:
            regions.append(_region(lines, directive.argument, directive.start, directive.end))
    if open_start is not None:
        raise ValueError(
            f"solution-start on line {open_start.start + 1} ({open_start.argument}) has no solution-end."
        )
    return regions


def python_source(code: str) -> str:
    """Code with IPython magics and shell escapes replaced by ``pass``, for ``ast``.

    Used by the tests that compare a chapter's code cells with the companion
    (tests/test_solutions.py, tests/test_docstrings.py).
    """
    lines = []
    for line in code.split("\n"):
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        lines.append(indent + "pass" if stripped.startswith(("%", "!")) else line)
    return "\n".join(lines)
