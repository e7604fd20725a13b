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


# --------------------------------------------------------------------------- hostile answers
def test_a_loop_inside_c_code_is_stopped_at_the_limit(square_exercise):
    import time

    started = time.monotonic()
    result = evaluate("math-99-1", lambda *args: sum(range(10**12)))
    assert not result and "case 1 of 2: square(2)" in result.message
    assert "longer than 0.5 s" in result.message and "hint('math-99-1')" in result.message
    assert time.monotonic() - started < 10


def test_an_answer_that_swallows_the_interrupt_is_stopped(square_exercise):
    import time

    def swallow(x):
        while True:
            try:
                time.sleep(0.01)
                raise ValueError
            except:  # noqa: E722 (swallowing every interrupt is the point of this test)
                continue

    result = evaluate("math-99-1", swallow)
    assert not result and "longer than 0.5 s" in result.message


def test_a_thread_started_by_the_answer_does_not_outlive_the_check(square_exercise):
    import threading

    stop = threading.Event()

    def spin():
        while not stop.is_set():
            pass

    def answer(x):
        threading.Thread(target=spin, daemon=True).start()
        return x * x

    before = threading.active_count()
    try:
        assert evaluate("math-99-1", answer)
        assert threading.active_count() == before
    finally:
        stop.set()


def test_an_answer_that_patches_the_comparison_fails_and_the_patch_does_not_last(square_exercise):
    isclose, all_ = np.isclose, np.all

    def cheat(x):
        np.isclose = lambda a, b, **kwargs: np.ones(np.shape(b), bool)
        np.all = lambda *args, **kwargs: True
        return 0

    try:
        assert not evaluate("math-99-1", cheat)
        assert np.isclose is isclose and np.all is all_
        assert not evaluate("math-99-1", lambda x: 0)
    finally:
        np.isclose, np.all = isclose, all_


def test_an_object_whose_eq_lies_does_not_pass(monkeypatch):
    exercise = Exercise(
        id="math-92-1", title="Word", difficulty="easy", minutes=1, hint="h",
        cases=lambda: [Case("the word", "yes")],
    )  # fmt: skip
    monkeypatch.setitem(core._REGISTRY, exercise.id, exercise)

    class Liar:
        def __eq__(self, other):
            return True

        __hash__ = None

    class LyingText(str):
        def __eq__(self, other):
            return True

        __hash__ = str.__hash__

    assert not evaluate("math-92-1", lambda: Liar())
    assert not evaluate("math-92-1", lambda: LyingText("no"))
    assert not evaluate("math-92-1", lambda: [Liar()])
    assert evaluate("math-92-1", lambda: LyingText("yes"))


def test_the_checker_never_unpickles_objects_from_the_answer(tmp_path):
    import pickle

    marker = tmp_path / "ran"

    class Bomb:
        def __reduce__(self):
            return (marker.touch, ())

    with pytest.raises(pickle.UnpicklingError, match="plain data"):
        core._read_reply(pickle.dumps(("value", Bomb(), "")))
    assert not marker.exists()


def test_results_come_back_as_the_same_plain_data(square_exercise):
    values = (
        None, True, 3, 2.5, 1 + 2j, "text", b"bytes", [1, (2, 3)], {"k": {4, 5}},
        np.arange(6, dtype=np.float32).reshape(2, 3), np.float32(1.5), np.array(["a", "b"]),
        np.array([None, [1]], dtype=object),
    )  # fmt: skip
    for value in values:
        back = core._read_reply(core._reply("value", core._to_plain(value), ""))[1]
        assert type(back) is type(value)
        assert repr(back) == repr(value)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_a_numpy_answer_is_checked_after_keras_is_imported(backend, monkeypatch):
    """Forking after the backend's threads started: NumPy answers work, JAX calls are refused."""
    import subprocess
    import sys

    code = (
        "import keras, numpy as np\n"
        "from keras import ops\n"
        "float(ops.sum(ops.ones(3)))  # the backend is running, with its threads\n"
        "from companion.exercises.core import Case, first_failure\n"
        "cases = [Case('sum', 6.0, args=(np.arange(4.0),))]\n"
        "print(first_failure(lambda v: float(np.sum(v)), cases, exercise_id='math-1-1'))\n"
        "print(first_failure(lambda v: float(np.prod(v)), cases, exercise_id='math-1-1'))\n"
        "print(first_failure(lambda v: float(ops.sum(ops.convert_to_tensor(v))), cases,\n"
        "                    exercise_id='math-1-1', time_limit_s=60))\n"
    )
    monkeypatch.setenv("KERAS_BACKEND", backend)
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=240, check=True
    )
    assert run.stdout.startswith("None\nNot yet. case 1 of 1: sum"), run.stdout
    last = run.stdout.split("Stuck?", 1)[1]
    if backend == "jax":
        assert "where JAX (the Keras backend here) cannot run" in last, run.stdout
    else:
        assert last.strip().endswith("None"), run.stdout


def test_unknown_id_suggests_the_nearest_ids():
    message = evaluate("math-77-1", lambda x: x).message
    suggested = message.split("Did you mean ", 1)[1].split("?")[0].split(", ")
    assert "math-7-1" in suggested and all(known.startswith("math-") for known in suggested)
    assert "cnn-2-1" in evaluate("cnn-2-11", lambda x: x).message
    assert "concepts-1-1" in evaluate("concept-1-1", lambda x: x).message


def test_without_fork_the_answer_runs_here_and_is_still_compared_as_plain_data(
    square_exercise, monkeypatch
):
    monkeypatch.setattr(core, "_can_fork", lambda: False)

    class LyingInt(int):
        def __eq__(self, other):
            return True

        __hash__ = int.__hash__

    assert evaluate("math-99-1", lambda x: x * x)
    assert "expected: 4" in evaluate("math-99-1", lambda x: LyingInt(5)).message
    assert "longer than 0.5 s" in evaluate("math-99-1", lambda x: [0 for _ in iter(int, 1)]).message


def test_native_output_to_stderr_in_the_checker_never_reaches_the_notebook(square_exercise, capfd):
    """nbgrader scores a cell that writes to stderr as failed: TensorFlow's start-up logs,
    written by native code when a case imports Keras, must not fail a correct answer."""
    import os

    def noisy_square(x):
        os.write(2, b"I0000 native log line\n")
        print("a line the reader printed")
        return x * x

    assert evaluate("math-99-1", noisy_square)
    captured = capfd.readouterr()
    assert "native log line" not in captured.err
    assert "a line the reader printed" in captured.out
