"""Exercises that check themselves: ``check(id, answer)`` and ``hint(id)``.

Every exercise in the book has an entry here (its id is the ``:label:`` of the
``exercise`` directive, such as ``cnn-2-1``). An entry with ``cases`` is checked
automatically: the reader's function (or value) is run on its practice cases, which
are public, and the first failing case is reported with its input, the expected
result and what came back. Mistakes in the reader's code (exceptions, wrong types,
endless loops) become feedback, not a crash.

The reference solutions and the hidden cases of graded work are not here: they are
the instructor's (``authoring/instructor/``), which ``pip install companion`` never
installs. The autograder passes the hidden cases to :func:`evaluate`
(``cases=...``), and :func:`run_cases` is the one place that runs an answer on cases.

Defined in "How to use this book"; used by the exercises of every chapter.
"""

from __future__ import annotations

import copy
import math
import signal
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

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

PARTS = ("intro", "concepts", "math", "cnn", "applications")
DIFFICULTIES = ("easy", "medium", "hard")


@dataclass(frozen=True)
class Case:
    """One test case: call the answer with ``args``/``kwargs`` and compare with ``expected``.

    ``compare(got, expected) -> bool`` overrides the default comparison (numbers and
    arrays with a tolerance, anything else with ``==``).
    """

    description: str
    expected: Any
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    compare: Callable[[Any, Any], bool] | None = None


@dataclass(frozen=True)
class Exercise:
    """What a learner sees of one exercise of the book: metadata, hint, practice cases.

    ``id`` is ``<part>-<chapter>-<number>``; ``cases`` returns the practice cases (a
    function, so they are built only when checking), public and written out; ``None``
    means the exercise is read by a person, not checked automatically.
    """

    id: str
    title: str
    difficulty: Literal["easy", "medium", "hard"]
    minutes: int
    hint: str
    cases: Callable[[], Sequence[Case]] | None = None
    answer: Literal["function", "value"] = "function"
    time_limit_s: float = 20.0

    def __post_init__(self) -> None:
        parts = self.id.split("-")
        if len(parts) != 3 or parts[0] not in PARTS or not all(p.isdigit() for p in parts[1:]):
            raise ValueError(
                f"Exercise id {self.id!r} must look like '<part>-<chapter>-<number>' with part in "
                f"{PARTS}, for example 'cnn-2-1'."
            )
        if self.difficulty not in DIFFICULTIES:
            raise ValueError(
                f"{self.id}: difficulty must be one of {DIFFICULTIES}, got {self.difficulty!r}."
            )
        if self.minutes <= 0:
            raise ValueError(f"{self.id}: minutes must be positive, got {self.minutes}.")
        if self.answer not in ("function", "value"):
            raise ValueError(
                f"{self.id}: answer must be 'function' or 'value', got {self.answer!r}."
            )

    @property
    def part(self) -> str:
        return self.id.split("-")[0]

    @property
    def auto_checked(self) -> bool:
        return self.cases is not None


@dataclass(frozen=True)
class CheckResult:
    """Outcome of :func:`evaluate`: ``bool(result)`` is true when every case passed."""

    exercise_id: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed


_REGISTRY: dict[str, Exercise] = {}


def register(*exercises: Exercise) -> None:
    """Add exercises to the registry; an id used twice is an error."""
    for exercise in exercises:
        if exercise.id in _REGISTRY:
            raise ValueError(
                f"Exercise id {exercise.id!r} is registered twice; ids must be unique."
            )
        _REGISTRY[exercise.id] = exercise


def registry() -> dict[str, Exercise]:
    """Every registered exercise by id (a copy), in the order the book presents them."""
    return dict(sorted(_REGISTRY.items(), key=lambda item: _sort_key(item[0])))


def _sort_key(exercise_id: str) -> tuple[int, int, int]:
    part, chapter, number = exercise_id.split("-")
    return PARTS.index(part), int(chapter), int(number)


def get(exercise_id: str) -> Exercise:
    """The exercise with this id; ``KeyError`` with the closest known ids otherwise."""
    if not isinstance(exercise_id, str):
        raise KeyError(
            f"The exercise id comes first and is a string such as 'intro-1-1', got a "
            f"{type(exercise_id).__name__}: call check('<id>', answer)."
        )
    if exercise_id not in _REGISTRY:
        prefix = exercise_id.rsplit("-", 1)[0]
        nearby = [known for known in _REGISTRY if known.startswith(prefix)] or sorted(_REGISTRY)[:8]
        raise KeyError(f"No exercise {exercise_id!r}. Known ids nearby: {', '.join(nearby)}.")
    return _REGISTRY[exercise_id]


# --------------------------------------------------------------------------- checking
class _TimeLimitExceeded(BaseException):
    """Raised inside the reader's code when it runs too long.

    A ``BaseException``, so that an ``except Exception`` in the reader's code cannot
    swallow it and keep an endless loop going.
    """


def _call_with_time_limit(function: Callable[..., Any], case: Case, seconds: float) -> Any:
    """Run the reader's function on a copy of the case's inputs, stopping it after ``seconds``."""
    args, kwargs = _copy_inputs(case)
    use_alarm = (
        hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    )
    if use_alarm:

        def on_alarm(signum: int, frame: Any) -> None:
            raise _TimeLimitExceeded

        previous = signal.signal(signal.SIGALRM, on_alarm)
        outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
        started = time.monotonic()
        try:
            return function(*args, **kwargs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if outer_delay > 0:  # give back a timer that was running before the check
                remaining = outer_delay - (time.monotonic() - started)
                signal.setitimer(signal.ITIMER_REAL, max(remaining, 1e-3), outer_interval)
    # Outside the main thread no alarm can interrupt; a daemon thread at least returns control.
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as error:
            outcome["error"] = error

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _TimeLimitExceeded
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _copy_inputs(case: Case) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Deep copies of the inputs, so a function that changes its arguments cannot change the case."""
    try:
        return copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    except Exception:  # some objects (models, files) cannot be copied; pass them as they are
        return case.args, dict(case.kwargs)


def _is_numeric(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, float, np.number)):
        return True
    if isinstance(value, (list, tuple, np.ndarray)):
        try:
            return np.asarray(value).dtype.kind in "iufb"
        except (ValueError, TypeError):
            return False
    return False


def _compare_numbers(got: Any, expected: Any, where: str) -> tuple[bool, str]:
    try:
        got_array = np.asarray(got, dtype=float)
    except Exception:
        return False, f"expected a number or array{where}, got a {type(got).__name__}"
    expected_array = np.asarray(expected, dtype=float)
    if got_array.shape != expected_array.shape:
        return False, f"expected shape {expected_array.shape}{where}, got shape {got_array.shape}"
    close = np.isclose(got_array, expected_array, rtol=1e-5, atol=1e-7, equal_nan=True)
    if not np.all(close):
        if expected_array.ndim == 0:
            return False, f"values differ{where}"
        first = tuple(int(i) for i in np.argwhere(~close)[0])
        return False, (
            f"values differ{where}: first at index {first}, expected "
            f"{_show(expected_array[first].item())}, got {_show(got_array[first].item())}"
        )
    return True, ""


def _default_compare(got: Any, expected: Any, where: str = "") -> tuple[bool, str]:
    """Compare with a tolerance for numbers and arrays, item by item for tuples, lists and dicts."""
    if _is_numeric(expected):
        return _compare_numbers(got, expected, where)
    if isinstance(expected, np.ndarray):  # strings or objects
        try:
            same = np.asarray(got).shape == expected.shape and bool(
                np.all(np.asarray(got) == expected)
            )
        except Exception:
            same = False
        return same, "" if same else f"values differ{where}"
    if isinstance(expected, dict):
        if not isinstance(got, Mapping):
            return False, f"expected a dict{where}, got a {type(got).__name__}"
        if set(got) != set(expected):
            return (
                False,
                f"expected the keys {sorted(map(str, expected))}{where}, got {sorted(map(str, got))}",
            )
        for key, value in expected.items():
            ok, why = _default_compare(got[key], value, f"{where}[{key!r}]")
            if not ok:
                return ok, why
        return True, ""
    if isinstance(expected, (tuple, list)):
        if isinstance(got, (str, bytes)) or not isinstance(got, (Sequence, np.ndarray)):
            return False, f"expected a {type(expected).__name__}{where}, got a {type(got).__name__}"
        if len(got) != len(expected):
            return False, f"expected {len(expected)} items{where}, got {len(got)}"
        for index, (item, value) in enumerate(zip(got, expected, strict=True)):
            ok, why = _default_compare(item, value, f"{where}[{index}]")
            if not ok:
                return ok, why
        return True, ""
    try:
        equal = bool(got == expected)
    except Exception:  # an array, or an object whose == fails
        equal = False
    return equal, "" if equal else f"values differ{where}"


def _show(value: Any) -> str:
    """A short, safe description of a value (the reader's objects may not print)."""
    try:
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, np.ndarray):
            with np.printoptions(precision=4, suppress=True, threshold=20):
                text = f"array{value.shape} {value}"
        elif isinstance(value, float):
            text = f"{value:.6g}" if math.isfinite(value) else str(value)
        else:
            text = repr(value)
    except Exception:
        return f"<a {type(value).__name__} that cannot be printed>"
    text = " ".join(text.split()) if len(text) > 80 else text
    return text if len(text) <= 200 else text[:197] + "..."


def _show_call(case: Case) -> str:
    pieces = [_show(arg) for arg in case.args]
    pieces += [f"{key}={_show(value)}" for key, value in case.kwargs.items()]
    return "(" + ", ".join(pieces) + ")"


def _unusable_answer(exercise: Exercise, answer: object) -> str | None:
    """Why ``answer`` cannot be checked at all (unfilled, None, the wrong kind), or None."""
    if answer is Ellipsis:
        return "Replace the `...` with your answer, then run the cell again."
    if answer is None:
        return (
            "Your answer is None. Replace the `...` with your answer; if it is the result of a "
            "function, check that the function has a `return`."
        )
    if exercise.answer == "function" and not callable(answer):
        return (
            f"Expected a function, got a {type(answer).__name__}. "
            "Pass the function itself, without calling it."
        )
    if exercise.answer == "value" and callable(answer) and not isinstance(answer, type):
        return (
            f"Expected a value, got the function {getattr(answer, '__name__', '')!s}. "
            "Pass what it returns: call it first."
        )
    return None


class _AnswerFailed(Exception):
    """The reader's function raised or ran too long on a case; ``args[0]`` says which."""


def _answer_on(exercise: Exercise, answer: object, case: Case, where: str) -> object:
    """What the answer gives on ``case``: the value itself, or the function's result."""
    if exercise.answer == "value":
        return answer
    assert callable(answer)
    try:
        return _call_with_time_limit(answer, case, exercise.time_limit_s)
    except _TimeLimitExceeded:
        raise _AnswerFailed(
            f"Not yet. {where}\n  your code ran longer than "
            f"{exercise.time_limit_s:g} s (an endless loop?)."
        ) from None
    except (Exception, SystemExit) as error:
        last = traceback.format_exception_only(type(error), error)[-1].strip()
        raise _AnswerFailed(
            f"Not yet. {where}\n  your code raised {last}\n  Stuck? hint('{exercise.id}')"
        ) from None


def _compare_case(case: Case, got: object) -> tuple[bool, str]:
    if case.compare is None:
        return _default_compare(got, case.expected)
    try:
        return bool(case.compare(got, case.expected)), "values differ"
    except Exception as error:  # a wrong type makes the comparison itself fail
        return False, f"could not compare: {type(error).__name__}: {error}"


def _first_failure(exercise: Exercise, answer: object, cases: Sequence[Case]) -> str | None:
    """The message for the first case the answer fails, or None when all pass."""
    for number, case in enumerate(cases, start=1):
        where = f"case {number} of {len(cases)}: {case.description}"
        if exercise.answer == "function":
            where += f"\n  input:    {_show_call(case)}"
        try:
            got = _answer_on(exercise, answer, case, where)
        except _AnswerFailed as failure:
            return str(failure)
        ok, why = _compare_case(case, got)
        if not ok:
            return (
                f"Not yet. {where}\n  expected: {_show(case.expected)}\n"
                f"  got:      {_show(got)}\n  ({why}) Stuck? hint('{exercise.id}')"
            )
    return None


def run_cases(exercise: Exercise, answer: object, cases: Sequence[Case], kind: str) -> CheckResult:
    """Run ``answer`` on ``cases`` and compare; the verdict names the first failing case.

    ``kind`` names the cases in the verdict ("practice" or "hidden"). Never raises
    because of the answer.
    """
    problem = _unusable_answer(exercise, answer)
    if problem is not None:
        return CheckResult(exercise.id, False, problem)
    failure = _first_failure(exercise, answer, cases)
    if failure is not None:
        return CheckResult(exercise.id, False, failure)
    if len(cases) == 1:
        return CheckResult(exercise.id, True, f"The {kind} case of {exercise.id} passes.")
    return CheckResult(exercise.id, True, f"All {len(cases)} {kind} cases of {exercise.id} pass.")


def evaluate(exercise_id: str, answer: object, cases: Sequence[Case] | None = None) -> CheckResult:
    """Check ``answer`` against the practice cases (or ``cases``) and return the verdict.

    Never raises because of the answer: exceptions in the reader's code, wrong types
    and endless loops come back as a failed result whose message says what happened.
    Used by :func:`check`, by the automatic tests and by the nbgrader autograder, which
    passes the hidden cases.
    """
    try:
        exercise = get(exercise_id)
    except KeyError as error:
        return CheckResult(str(exercise_id), False, str(error.args[0]))
    if exercise.cases is None:
        return CheckResult(
            exercise_id,
            False,
            f"{exercise_id} is not checked automatically: compare your answer with the "
            "solution under the exercise (in the book, or the notebook edition), or with "
            "your instructor's.",
        )
    if cases is not None:
        return run_cases(exercise, answer, list(cases), "hidden")
    try:
        practice = list(exercise.cases())
    except Exception as error:  # a bug in the exercise itself, not in the answer
        return CheckResult(
            exercise_id,
            False,
            f"The checker could not prepare the cases of {exercise_id} ({type(error).__name__}: "
            f"{error}). This is a bug in the course, not in your answer; please report it.",
        )
    return run_cases(exercise, answer, practice, "practice")


def check(exercise_id: str, answer: object) -> None:
    """Print whether ``answer`` solves exercise ``exercise_id``, naming the first failing case."""
    result = evaluate(exercise_id, answer)
    print(("✓ " if result.passed else "✗ ") + result.message)


def hint(exercise_id: str) -> None:
    """Print the hint of an exercise (the package holds no solution)."""
    try:
        print(f"Hint for {exercise_id}: {get(exercise_id).hint}")
    except KeyError as error:
        print(error.args[0])
