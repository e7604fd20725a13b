"""Self-checking exercises: ``from companion.exercises import check, hint``.

Each part of the book keeps its exercises in its own module here (``intro``,
``concepts``, ``math``, ``cnn``, ``applications``); all are loaded on import.
"""

from __future__ import annotations

import importlib
import pkgutil

from .core import (
    Case,
    CheckResult,
    Exercise,
    check,
    evaluate,
    get,
    hint,
    register,
    registry,
    run_cases,
)

__all__ = [
    "Case",
    "CheckResult",
    "Exercise",
    "check",
    "evaluate",
    "get",
    "hint",
    "register",
    "registry",
    "run_cases",
]

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "core":
        importlib.import_module(f"{__name__}.{_module.name}")
