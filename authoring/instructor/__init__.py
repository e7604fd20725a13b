"""The instructor's side of the exercises: reference solutions and hidden cases.

``companion.exercises`` (what every learner installs) holds each exercise's title,
difficulty, minutes, hint and practice cases; this package, which only the authoring
tools install (``make install``), holds the reference solution and every case the
autograder runs. Each part's exercises are in a module of their own (``intro``,
``concepts``, ``math``, ``cnn``, ``applications``), all loaded on import.

``python -m authoring.instructor <id>`` prints one exercise's solution and cases.

Used in: Back matter, Instructor guide (``make assignments`` and the leak scan).
"""

from __future__ import annotations

import importlib

from companion.exercises.core import PARTS

from .store import Reference, hidden_cases, reference, references, register, split_hidden

__all__ = [
    "Reference",
    "hidden_cases",
    "reference",
    "references",
    "register",
    "split_hidden",
]

for _part in PARTS:
    importlib.import_module(f"{__name__}.{_part}")
