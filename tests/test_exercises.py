"""The exercise checker: verdicts, friendly feedback, and robustness to the reader's code."""

from __future__ import annotations

import numpy as np
import pytest

from companion.exercises import Case, Exercise, check, core, evaluate, get, hint, registry, solution


@pytest.fixture
def square_exercise(monkeypatch):
    exercise = Exercise(
        id="math-99-1",
        title="Square",
        difficulty="easy",
        minutes=1,
        hint="multiply x by itself",
        solution="def square(x):\n    return x * x",
        cases=lambda: [Case("square(2)", 4, args=(2,)), Case("square(-3)", 9, args=(-3,))],
        time_limit_s=0.5,
    )
    monkeypatch.setitem(core._REGISTRY, exercise.id, exercise)
    return exercise


def test_correct_answer_passes(square_exercise):
    result = evaluate("math-99-1", lambda x: x * x)
    assert result and "all 2 cases" in result.message


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
        id="math-98-1", title="t", difficulty="easy", minutes=1, hint="h", solution="s",
        cases=lambda: [Case("ones(3)", np.ones(3))],
    )  # fmt: skip
    monkeypatch.setitem(core._REGISTRY, exercise.id, exercise)
    result = evaluate("math-98-1", lambda: np.ones((3, 1)))
    assert "expected shape (3,), got shape (3, 1)" in result.message


def test_check_hint_and_solution_print(square_exercise, capsys):
    check("math-99-1", lambda x: x * x)
    hint("math-99-1")
    solution("math-99-1")
    out = capsys.readouterr().out
    assert out.startswith("✓ Correct") and "multiply x by itself" in out and "return x * x" in out


def test_exercise_metadata_is_validated():
    with pytest.raises(ValueError, match="must look like"):
        Exercise(id="cnn.2.1", title="t", difficulty="easy", minutes=1, hint="h", solution="s")
    with pytest.raises(ValueError, match="difficulty"):
        Exercise(id="cnn-2-1", title="t", difficulty="trivial", minutes=1, hint="h", solution="s")


def test_registering_an_id_twice_fails(square_exercise):
    with pytest.raises(ValueError, match="registered twice"):
        core.register(square_exercise)


def test_every_registered_reference_solution_passes_its_own_cases():
    """Run each auto-checked exercise's reference solution through the checker."""
    for exercise in registry().values():
        if not exercise.auto_checked:
            continue
        namespace: dict[str, object] = {"np": np}
        exec(exercise.solution, namespace)
        answers = [value for key, value in namespace.items() if key not in ("np", "__builtins__")]
        answer = answers[-1]
        assert evaluate(exercise.id, answer), (
            f"{exercise.id}: reference solution fails its own cases"
        )


def test_get_returns_registered_exercise():
    assert get("intro-1-1").title == "Count the classes"
