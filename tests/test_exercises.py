"""The exercise checker: verdicts, friendly feedback, and robustness to the reader's code."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import companion.exercises
from companion.exercises import Case, Exercise, check, core, evaluate, get, hint, registry


@pytest.fixture
def square_exercise(monkeypatch):
    exercise = Exercise(
        id="math-99-1",
        title="Square",
        difficulty="easy",
        minutes=1,
        hint="multiply x by itself",
        cases=lambda: [Case("square(2)", 4, args=(2,)), Case("square(-3)", 9, args=(-3,))],
        time_limit_s=0.5,
    )
    monkeypatch.setitem(core._REGISTRY, exercise.id, exercise)
    return exercise


def test_correct_answer_passes(square_exercise):
    result = evaluate("math-99-1", lambda x: x * x)
    assert result and "All 2 practice cases" in result.message


def test_given_cases_replace_the_practice_cases(square_exercise):
    hidden = [Case("square(5)", 25, args=(5,))]
    assert evaluate("math-99-1", lambda x: x * x, cases=hidden).message.startswith(
        "The hidden case of math-99-1 passes"
    )
    result = evaluate("math-99-1", lambda x: 4 if x == 2 else 9, cases=hidden)
    assert not result and "case 1 of 1: square(5)" in result.message


def test_first_failing_case_is_named_with_expected_and_got(square_exercise):
    result = evaluate("math-99-1", lambda x: x * 2)  # right for 2, wrong for -3
    assert not result
    assert "case 2 of 2: square(-3)" in result.message
    assert "expected: 9" in result.message and "got:      -6" in result.message
    assert "x * x" not in result.message  # never leaks the solution


def test_exception_in_reader_code_becomes_feedback(square_exercise):
    result = evaluate("math-99-1", lambda x: 1 / 0)
    assert not result and "raised ZeroDivisionError" in result.message


def test_endless_loop_is_stopped_by_time_limit(square_exercise):
    def forever(x):
        while True:
            pass

    result = evaluate("math-99-1", forever)
    assert not result and "longer than 0.5 s" in result.message


def test_wrong_type_is_reported_not_raised(square_exercise):
    assert "Expected a function" in evaluate("math-99-1", 42).message
    assert (
        "expected a number or array, got a str" in evaluate("math-99-1", lambda x: "four").message
    )


def test_unfilled_answer_gets_a_nudge(square_exercise):
    assert "Replace the `...`" in evaluate("math-99-1", ...).message


def test_unknown_id_suggests_nearby_ids(square_exercise):
    result = evaluate("math-99-7", lambda x: x)
    assert not result and "math-99-1" in result.message


def test_array_shape_mismatch_is_explained(monkeypatch):
    exercise = Exercise(
        id="math-98-1", title="t", difficulty="easy", minutes=1, hint="h",
        cases=lambda: [Case("ones(3)", np.ones(3))],
    )  # fmt: skip
    monkeypatch.setitem(core._REGISTRY, exercise.id, exercise)
    result = evaluate("math-98-1", lambda: np.ones((3, 1)))
    assert "expected shape (3,), got shape (3, 1)" in result.message


def test_check_and_hint_print(square_exercise, capsys):
    check("math-99-1", lambda x: x * x)
    hint("math-99-1")
    out = capsys.readouterr().out
    assert out.startswith("✓ All 2 practice cases") and "multiply x by itself" in out


def test_the_learner_package_has_no_solutions():
    assert not hasattr(companion.exercises, "solution")
    assert "solution" not in {f.name for f in core.Exercise.__dataclass_fields__.values()}


def test_exercise_metadata_is_validated():
    with pytest.raises(ValueError, match="must look like"):
        Exercise(id="cnn.2.1", title="t", difficulty="easy", minutes=1, hint="h")
    with pytest.raises(ValueError, match="difficulty"):
        Exercise(id="cnn-2-1", title="t", difficulty="trivial", minutes=1, hint="h")


def test_registering_an_id_twice_fails(square_exercise):
    with pytest.raises(ValueError, match="registered twice"):
        core.register(square_exercise)


def test_get_returns_registered_exercise():
    assert get("intro-1-1").title == "Count the classes"


# --------------------------------------------------------------------------- robustness
@pytest.fixture
def value_exercise(monkeypatch):
    exercise = Exercise(
        id="math-97-1", title="Pair", difficulty="medium", minutes=2, hint="h",
        cases=lambda: [Case("the pair", (np.zeros(2), {"k": 1.5}))], answer="value",
    )  # fmt: skip
    monkeypatch.setitem(core._REGISTRY, exercise.id, exercise)
    return exercise


def test_except_exception_in_reader_code_cannot_swallow_the_time_limit(square_exercise):
    def stubborn(x):
        while True:
            try:  # noqa: SIM105 (the bare except is the point of this test)
                sum(range(1000))
            except Exception:
                pass

    result = evaluate("math-99-1", stubborn)
    assert not result and "longer than 0.5 s" in result.message


def test_time_limit_also_works_outside_the_main_thread(square_exercise):
    import threading
    import time

    results = []

    def forever(x):  # sleeps rather than spins: the abandoned thread must not eat a core
        time.sleep(3)

    worker = threading.Thread(target=lambda: results.append(evaluate("math-99-1", forever)))
    worker.start()
    worker.join(5)
    assert results and "longer than 0.5 s" in results[0].message


def test_an_outer_timer_survives_a_check(square_exercise):
    import signal

    signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        evaluate("math-99-1", lambda x: x * x)
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25 < remaining <= 30
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def test_system_exit_in_reader_code_is_feedback(square_exercise):
    import sys

    result = evaluate("math-99-1", lambda x: sys.exit(3))
    assert not result and "raised SystemExit" in result.message


def test_a_function_that_changes_its_input_cannot_change_the_case(monkeypatch):
    data = np.array([3.0, 1.0, 2.0])
    exercise = Exercise(
        id="math-96-1", title="Sorted copy", difficulty="easy", minutes=1, hint="h",
        cases=lambda: [Case("sorted", np.array([1.0, 2.0, 3.0]), args=(data,)),
                       Case("sorted again", np.array([1.0, 2.0, 3.0]), args=(data,))],
    )  # fmt: skip
    monkeypatch.setitem(core._REGISTRY, exercise.id, exercise)

    def sort_in_place(values):
        values.sort()
        return values

    assert evaluate("math-96-1", sort_in_place)
    assert list(data) == [3.0, 1.0, 2.0]


def test_failing_case_shows_its_input_and_first_differing_index(monkeypatch):
    exercise = Exercise(
        id="math-95-1", title="Double", difficulty="easy", minutes=1, hint="h",
        cases=lambda: [Case("double([1, 2, 3])", np.array([2, 4, 6]), args=([1, 2, 3],))],
    )  # fmt: skip
    monkeypatch.setitem(core._REGISTRY, exercise.id, exercise)
    result = evaluate("math-95-1", lambda v: np.array([2, 4, 7]))
    assert "input:    ([1, 2, 3])" in result.message
    assert "first at index (2,), expected 6, got 7" in result.message


def test_tuples_and_dicts_are_compared_item_by_item(value_exercise):
    assert evaluate("math-97-1", (np.zeros(2), {"k": 1.5 + 1e-9}))
    wrong = evaluate("math-97-1", (np.zeros(2), {"k": 2.0}))
    assert not wrong and "[1]['k']" in wrong.message
    assert "expected 2 items, got 1" in evaluate("math-97-1", (np.zeros(2),)).message
    assert "expected a tuple, got a str" in evaluate("math-97-1", "zeros").message


def test_value_exercise_given_a_function_says_to_call_it(value_exercise):
    def make_pair():
        return (np.zeros(2), {"k": 1.5})

    result = evaluate("math-97-1", make_pair)
    assert not result and "Expected a value, got the function make_pair" in result.message


def test_none_answer_suggests_a_missing_return(value_exercise):
    assert "`return`" in evaluate("math-97-1", None).message


def test_objects_that_cannot_print_or_compare_do_not_crash_the_checker(square_exercise):
    class Hostile:
        def __repr__(self):
            raise RuntimeError("no repr")

        def __eq__(self, other):
            raise RuntimeError("no eq")

        __hash__ = None

    result = evaluate("math-99-1", lambda x: Hostile())
    assert not result and "cannot be printed" in result.message


def test_check_with_the_arguments_swapped_explains_the_call(square_exercise, capsys):
    check(lambda x: x * x, "math-99-1")
    hint(42)
    out = capsys.readouterr().out
    assert out.startswith("✗ The exercise id comes first") and "check('<id>', answer)" in out


def test_a_broken_exercise_is_reported_not_raised(monkeypatch):
    exercise = Exercise(
        id="math-94-1", title="t", difficulty="easy", minutes=1, hint="h",
        cases=lambda: [][0],
    )  # fmt: skip
    monkeypatch.setitem(core._REGISTRY, exercise.id, exercise)
    result = evaluate("math-94-1", lambda: 0)
    assert not result and "bug in the course" in result.message


def test_manual_exercise_points_to_the_solution_under_it():
    manual = next((e for e in registry().values() if not e.auto_checked), None)
    if manual is None:
        pytest.skip("no manually checked exercise registered")
    result = evaluate(manual.id, "my answer")
    assert not result and "solution under the exercise" in result.message


_ANY = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=2)
    ),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None)
@given(value=_ANY)
def test_evaluate_never_raises_whatever_the_answer_returns(value):
    exercise = Exercise(
        id="math-93-1", title="Any", difficulty="easy", minutes=1, hint="h",
        cases=lambda: [Case("f(2)", 4, args=(2,)), Case("pair", (np.ones(2), [1, "a"]))],
    )  # fmt: skip
    core._REGISTRY[exercise.id] = exercise
    try:
        for answer in (value, lambda *args: value):
            result = evaluate("math-93-1", answer)
            assert isinstance(result.message, str)
        value_version = Exercise(
            id="math-93-2", title="Any", difficulty="easy", minutes=1, hint="h",
            cases=lambda: [Case("pair", (np.ones(2), [1, "a"]))], answer="value",
        )  # fmt: skip
        core._REGISTRY[value_version.id] = value_version
        assert isinstance(evaluate("math-93-2", value).message, str)
    finally:
        core._REGISTRY.pop("math-93-1", None)
        core._REGISTRY.pop("math-93-2", None)
