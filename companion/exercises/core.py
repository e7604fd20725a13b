"""Exercises that check themselves: ``check(id, answer)`` and ``hint(id)``.

Every exercise in the book has an entry here (its id is the ``:label:`` of the
``exercise`` directive, such as ``cnn-2-1``). An entry with ``cases`` is checked
automatically: the reader's function (or value) is run on its practice cases, which
are public, and the first failing case is reported with its input, the expected
result and what came back. Mistakes in the reader's code (exceptions, wrong types,
endless loops) become feedback, not a crash. On Linux (and Colab) the answer runs in a
forked child process, killed at the time limit, and only plain data comes back to be
compared here, so an answer can neither hang the checker nor change how it compares
(:func:`first_failure`); elsewhere it runs in-process under an alarm.

The reference solutions and the hidden cases of graded work are not here: they are
the instructor's (``authoring/instructor/``), which ``pip install companion`` never
installs. The autograder passes the hidden cases to :func:`evaluate`
(``cases=...``), and :func:`run_cases` is the one place that runs an answer on cases.

Defined in "How to use this book"; used by the exercises of every chapter.
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import difflib
import io
import math
import os
import pickle
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
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
        nearby = difflib.get_close_matches(exercise_id, list(_REGISTRY), n=5, cutoff=0.6)
        part = exercise_id.split("-")[0]
        nearby = nearby or [known for known in registry() if known.startswith(part + "-")][:8]
        raise KeyError(
            f"No exercise {exercise_id!r}. "
            + (f"Did you mean {', '.join(nearby)}? " if nearby else "")
            + f"Ids look like 'intro-1-1': <part>-<chapter>-<number>, part one of {PARTS}."
        )
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


# --------------------------------------------------------------------------- running the answer
# The reader's code runs in a forked child: the child has the answer and the cases without
# pickling, a SIGKILL stops it for sure (a loop in C code, a bare `except:` or a thread it
# started), and its patches (say of np.isclose) die with it. Its results come back as plain
# data, read by an unpickler that loads no class at all, and the parent compares them.
_MAX_REPLY_BYTES = 256 * 2**20
_MAX_TEXT = 4_000
_ARRAY_KINDS = "biufcmMSU"  # numbers, booleans, dates, text: never objects or raw records


def _can_fork() -> bool:
    """Fork where it is safe: Linux (and Colab). macOS system libraries and Windows cannot."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def _outcomes_in_child(
    answer: object, cases: Sequence[Case], answer_kind: str, seconds: float
) -> Iterator[tuple[str, Any]]:
    """Run the answer on each case in a child process; yield ``(kind, detail)`` per case."""
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():  # JAX and Python warn about forking threads; see the note
        warnings.simplefilter("ignore")
        pid = os.fork()
    if pid == 0:  # the child: never returns to the caller's code
        try:
            os.close(read_end)
            _child_main(Connection(write_end), answer, cases, answer_kind)
        finally:
            os._exit(0)
    os.close(write_end)
    with contextlib.suppress(OSError):  # its own process group, to kill what it starts too
        os.setpgid(pid, pid)
    connection = Connection(read_end)
    try:
        for _ in cases:
            if not connection.poll(seconds):
                yield "timeout", None
                return
            try:
                reply = _read_reply(connection.recv_bytes(_MAX_REPLY_BYTES))
            except EOFError:
                yield "ended", _how_it_ended(pid)
                return
            except OSError:
                yield "ended", f"returned more than {_MAX_REPLY_BYTES // 2**20} MB"
                return
            except Exception as error:  # a malformed reply: only the answer's code can send one
                yield "raised", f"sent back what the checker cannot read ({error})"
                return
            kind, detail, printed = reply
            if printed:
                sys.stdout.write(printed)
            yield kind, detail
    finally:
        connection.close()
        _kill(pid)


def _child_main(connection: Connection, answer: object, cases: Sequence[Case], kind: str) -> None:
    """In the child: answer each case and send back plain data, what it printed included."""
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    builtins.input = _no_input
    # What native code writes to the child's stderr (TensorFlow's start-up logs, when an answer
    # or a case imports Keras) would fail an nbgrader cell, which scores any stderr as an error;
    # Python-level output is captured below and shown on stdout.
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    if "jax" in sys.modules:  # JAX's threads did not survive the fork: its first call would hang
        sys.settrace(_refuse_jax)
    for case in cases:
        printed = io.StringIO()
        sys.stdout = sys.stderr = printed
        try:
            got = answer if kind == "value" else _call(answer, case)
            reply = _reply("value", _to_plain(got), printed.getvalue())
        except BaseException as error:  # SystemExit and KeyboardInterrupt are feedback too
            reply = _reply("raised", f"raised {_describe_error(error)}", printed.getvalue())
        connection.send_bytes(reply)


def _call(function: Any, case: Case) -> Any:
    args, kwargs = _copy_inputs(case)
    return function(*args, **kwargs)


def _refuse_jax(frame: Any, event: str, arg: Any) -> None:
    """A trace function for the child: entering JAX's code raises instead of hanging."""
    if event == "call" and str(frame.f_globals.get("__name__", "")).startswith(("jax.", "jaxlib")):
        raise RuntimeError(
            "the checker runs your function in a separate process, where JAX (the Keras "
            "backend here) cannot run; write it with NumPy (np.…) instead of keras.ops or jax"
        )


def _no_input(*args: object) -> str:
    raise EOFError("the checker types nothing: pass what your function needs as arguments")


def _describe_error(error: BaseException) -> str:
    try:
        text = traceback.format_exception_only(type(error), error)[-1].strip()
    except BaseException:  # an exception whose message cannot be printed
        text = type(error).__name__
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 3] + "..."


def _how_it_ended(pid: int) -> str:
    """Why the child closed its pipe before answering: an exit or a crash."""
    status = None
    for _ in range(100):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.01)
    code = os.waitstatus_to_exitcode(status) if status is not None else 0
    if code < 0:
        return f"crashed Python (signal {signal.Signals(-code).name})"
    return f"ended the Python process (exit code {code}) before returning"


def _kill(pid: int) -> None:
    """Stop the child and anything it started, and reap it."""
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(OSError):
            kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _outcomes_in_process(
    answer: object, cases: Sequence[Case], answer_kind: str, seconds: float
) -> Iterator[tuple[str, Any]]:
    """Where no child can be forked: run here with an alarm (weaker: C loops are not stopped)."""
    for case in cases:
        try:
            got = answer if answer_kind == "value" else _call_with_time_limit(answer, case, seconds)
            yield "value", _from_plain(_to_plain(got))
        except _TimeLimitExceeded:
            yield "timeout", None
            return
        except (Exception, SystemExit) as error:
            yield "raised", f"raised {_describe_error(error)}"
            return


def _reply(kind: str, detail: Any, printed: str) -> bytes:
    return pickle.dumps((kind, detail, printed[-_MAX_TEXT:]), protocol=pickle.HIGHEST_PROTOCOL)


class _PlainUnpickler(pickle.Unpickler):
    """Loads lists, tuples, dicts, numbers, strings and bytes; refuses every class and function."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"the checker reads plain data only, not {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("the checker reads plain data only")


def _read_reply(data: bytes) -> tuple[str, Any, str]:
    """Read a reply of the child: ``(kind, detail, printed)`` with ``detail`` as plain data."""
    kind, detail, printed = _PlainUnpickler(io.BytesIO(data)).load()
    if kind not in ("value", "raised") or type(printed) is not str:
        raise ValueError("not a reply of the checker")
    if kind == "value":
        return kind, _from_plain(detail), printed
    if type(detail) is not str:
        raise ValueError("not a reply of the checker")
    return kind, detail[:_MAX_TEXT], printed


class _Opaque:
    """An object that is not plain data: only its type's name and its text come back."""

    def __init__(self, type_name: str, text: str | None) -> None:
        self.type_name, self.text = type_name, text

    def __repr__(self) -> str:
        if self.text is None:
            raise ValueError("cannot be printed")
        return self.text


def _type_name(value: object) -> str:
    return value.type_name if isinstance(value, _Opaque) else type(value).__name__


_SCALARS = (type(None), bool, int, float, str, bytes)
# The base type's own method, so that a subclass's overrides are never called.
_BASE_VALUE: dict[type, Callable[[Any], Any]] = {
    int: int.__index__,
    float: float.__float__,
    str: str.__str__,
    bytes: bytes.__bytes__,
}


def _to_plain(value: Any, depth: int = 0) -> Any:
    """``value`` as builtins only: containers and arrays become tagged tuples.

    Subclasses (a ``str`` whose ``==`` always says yes) become their base value, objects
    with ``__array__`` (tensors, data frames) arrays, anything else an opaque description.
    """
    if type(value) in _SCALARS:
        return value
    try:
        if depth > 100:
            raise RecursionError("nested too deeply")
        return _container_to_plain(value, depth + 1)
    except Exception:
        return ("opaque", type(value).__name__, _safe_repr(value))


def _container_to_plain(value: Any, depth: int) -> Any:
    for base, exact in _BASE_VALUE.items():  # bool cannot be subclassed
        if isinstance(value, base) and not isinstance(value, np.generic):
            return exact(value)
    if isinstance(value, complex):
        return ("complex", float(value.real), float(value.imag))
    if isinstance(value, np.generic) and value.dtype.kind in _ARRAY_KINDS:
        return ("scalar", value.dtype.str, value.tobytes())
    if isinstance(value, (list, tuple, set, frozenset)):
        tag = next(t for t in (list, tuple, set, frozenset) if isinstance(value, t)).__name__
        return (tag, [_to_plain(item, depth) for item in value])
    if isinstance(value, Mapping):
        return ("dict", [(_to_plain(k, depth), _to_plain(v, depth)) for k, v in value.items()])
    if isinstance(value, (np.ndarray, range)) or hasattr(type(value), "__array__"):
        array = np.asarray(value)
        if array.dtype.kind in _ARRAY_KINDS:
            return ("array", array.dtype.str, array.shape, np.ascontiguousarray(array).tobytes())
        if array.dtype.kind == "O":
            return ("objects", array.shape, [_to_plain(item, depth) for item in array.flat])
    return ("opaque", type(value).__name__, _safe_repr(value))


def _safe_repr(value: Any) -> str | None:
    try:
        text = repr(value)
    except Exception:
        return None
    return text if type(text) is str and len(text) <= _MAX_TEXT else None


def _from_plain(data: Any) -> Any:
    """Rebuild a value from :func:`_to_plain`'s form; anything else is refused."""
    if type(data) in _SCALARS:
        return data
    if type(data) is not tuple or not data or type(data[0]) is not str:
        raise ValueError(f"unexpected {type(data).__name__}")
    tag, *rest = data
    if tag in ("list", "tuple", "set", "frozenset"):
        items = [_from_plain(item) for item in _plain_list(rest[0])]
        return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)
    if tag == "dict":
        return {_from_plain(k): _from_plain(v) for k, v in _plain_list(rest[0])}
    if tag == "complex":
        return complex(float(rest[0]), float(rest[1]))
    if tag in ("scalar", "array"):
        dtype = np.dtype(str(rest[0]))
        if dtype.kind not in _ARRAY_KINDS:
            raise ValueError(f"unexpected dtype {dtype}")
        flat = np.frombuffer(bytes(rest[-1]), dtype=dtype)
        return flat[0] if tag == "scalar" else flat.reshape(_plain_shape(rest[1])).copy()
    if tag == "objects":
        items = [_from_plain(item) for item in _plain_list(rest[1])]
        array = np.empty(len(items), dtype=object)
        for index, item in enumerate(items):
            array[index] = item
        return array.reshape(_plain_shape(rest[0]))
    if tag == "opaque":
        text = rest[1] if type(rest[1]) is str else None
        return _Opaque(str(rest[0])[:200], text)
    raise ValueError(f"unexpected tag {tag!r}")


def _plain_list(items: Any) -> list[Any]:
    if type(items) is not list:
        raise ValueError(f"expected a list, got {type(items).__name__}")
    return items


def _plain_shape(shape: Any) -> tuple[int, ...]:
    if type(shape) is not tuple or not all(type(n) is int and n >= 0 for n in shape):
        raise ValueError("bad shape")
    return shape


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
        return False, f"expected a number or array{where}, got a {_type_name(got)}"
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
            return False, f"expected a dict{where}, got a {_type_name(got)}"
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
            return False, f"expected a {type(expected).__name__}{where}, got a {_type_name(got)}"
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
        return f"<a {_type_name(value)} that cannot be printed>"
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


def _compare_case(case: Case, got: object) -> tuple[bool, str]:
    if case.compare is None:
        return _default_compare(got, case.expected)
    try:
        return bool(case.compare(got, case.expected)), "values differ"
    except Exception as error:  # a wrong type makes the comparison itself fail
        return False, f"could not compare: {type(error).__name__}: {error}"


def first_failure(
    answer: object,
    cases: Sequence[Case],
    *,
    exercise_id: str,
    answer_kind: Literal["function", "value"] = "function",
    time_limit_s: float = 20.0,
) -> str | None:
    """The feedback on the first case ``answer`` fails, or None when every case passes.

    The answer runs in a child process (where the platform can fork) that is killed
    at the time limit and at the end of the check, so no loop, thread or patch of the
    answer outlives the check; what it returns comes back as plain data (numbers,
    strings, containers, NumPy arrays) and is compared here, with code it never ran in.
    """
    outcomes = _outcomes_in_child if _can_fork() else _outcomes_in_process
    with contextlib.closing(outcomes(answer, cases, answer_kind, time_limit_s)) as results:
        for number, (case, outcome) in enumerate(zip(cases, results, strict=False), start=1):
            where = f"case {number} of {len(cases)}: {case.description}"
            if answer_kind == "function":
                where += f"\n  input:    {_show_call(case)}"
            kind, detail = outcome
            if kind == "timeout":
                return (
                    f"Not yet. {where}\n  your code ran longer than {time_limit_s:g} s "
                    f"(an endless loop?). Stuck? hint('{exercise_id}')"
                )
            if kind in ("raised", "ended"):
                return f"Not yet. {where}\n  your code {detail}\n  Stuck? hint('{exercise_id}')"
            ok, why = _compare_case(case, detail)
            if not ok:
                return (
                    f"Not yet. {where}\n  expected: {_show(case.expected)}\n"
                    f"  got:      {_show(detail)}\n  ({why}) Stuck? hint('{exercise_id}')"
                )
    return None


def _first_failure(exercise: Exercise, answer: object, cases: Sequence[Case]) -> str | None:
    return first_failure(
        answer,
        cases,
        exercise_id=exercise.id,
        answer_kind=exercise.answer,
        time_limit_s=exercise.time_limit_s,
    )


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
