"""The instructor's store: each exercise's reference solution and every case it is graded on.

A :class:`Reference` is the other half of a learner's :class:`companion.exercises.Exercise`
(same id). ``cases`` is every case the autograder runs; those whose description is one
of the learner's practice cases are the practice cases (written out in ``companion``,
and checked equal to these by ``tests/test_instructor.py``); the rest are the hidden
cases, which only the nbgrader source notebooks hold.

Used in: Back matter, Instructor guide (``make assignments`` and the leak scan).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from companion.exercises import Case, Exercise, get
from companion.exercises.core import PARTS

__all__ = ["Reference", "hidden_cases", "reference", "references", "register", "split_hidden"]


@dataclass(frozen=True)
class Reference:
    """The reference solution of one exercise and, if it is checked automatically, its cases.

    ``solution`` is the code (or, for an exercise read by a person, the model answer)
    that the chapter's solution cell holds too (``tests/test_solutions.py``).
    """

    id: str
    solution: str
    cases: Callable[[], Sequence[Case]] | None = None


_STORE: dict[str, Reference] = {}


def register(*found: Reference) -> None:
    """Add references to the store; an id used twice is an error."""
    for item in found:
        if item.id in _STORE:
            raise ValueError(f"Reference {item.id!r} is registered twice; ids must be unique.")
        _STORE[item.id] = item


def _sort_key(exercise_id: str) -> tuple[int, int, int]:
    part, chapter, number = exercise_id.split("-")
    return PARTS.index(part), int(chapter), int(number)


def references() -> dict[str, Reference]:
    """Every reference by exercise id (a copy), in the order of the book."""
    return dict(sorted(_STORE.items(), key=lambda item: _sort_key(item[0])))


def reference(exercise_id: str) -> Reference:
    """The reference of one exercise; ``KeyError`` naming the file to add it to otherwise."""
    if exercise_id not in _STORE:
        part = exercise_id.split("-")[0]
        raise KeyError(
            f"No reference solution for {exercise_id!r}: add a Reference to "
            f"authoring/instructor/{part}.py."
        )
    return _STORE[exercise_id]


def split_hidden(exercise: Exercise, found: Reference) -> list[Case]:
    """The reference's cases that are not among the exercise's practice cases (by description)."""
    if found.cases is None:
        return []
    practice = exercise.cases
    public = {case.description for case in practice()} if practice is not None else set()
    return [case for case in found.cases() if case.description not in public]


def hidden_cases(exercise_id: str) -> list[Case]:
    """The cases of an exercise that a learner never sees: all of them but the practice ones."""
    return split_hidden(get(exercise_id), reference(exercise_id))
