"""The two stores of the exercises: the learner's (companion) and the instructor's (authoring).

Every exercise has both halves; the practice cases a learner sees are written out in
``companion`` and must equal the instructor's cases of the same description (computed
from reference code), so the two cannot drift; every checked exercise keeps hidden
cases for the autograder; and every reference solution passes all its cases.
"""

from __future__ import annotations

import numpy as np
import pytest

from authoring.instructor import Reference, hidden_cases, reference, references
from authoring.instructor.literal import case_source, cases_source, literal
from companion.exercises import Case, evaluate, registry

EXERCISES = registry()
CHECKED = [i for i, e in EXERCISES.items() if e.auto_checked]


def _same(a: object, b: object) -> bool:
    """Equal values, of the same type; arrays with the same dtype, shape and values (NaN too)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        nan = a.dtype.kind in "fc"
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=nan)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if type(a).__name__ == "DataFrame":
        return a.equals(b) and list(a.dtypes) == list(b.dtypes)
    if isinstance(a, (float, np.floating)) and np.isnan(a):
        return bool(np.isnan(b))
    return bool(a == b)


def _same_case(a: Case, b: Case) -> bool:
    fields = ("description", "expected", "args", "kwargs", "compare")
    return all(_same(getattr(a, f), getattr(b, f)) for f in fields)


def _reference_answer(exercise_id: str) -> object:
    """The value of the name the reference solution binds last (its answer)."""
    from authoring.editions import answer_name

    solution = reference(exercise_id).solution
    namespace: dict[str, object] = {"np": np}
    exec(solution, namespace)
    return namespace[answer_name(solution)]


def test_every_exercise_has_both_halves():
    assert set(references()) == set(EXERCISES)
    for exercise_id, exercise in EXERCISES.items():
        assert (references()[exercise_id].cases is not None) == exercise.auto_checked, exercise_id


def test_a_missing_reference_names_the_file_to_add_it_to():
    with pytest.raises(KeyError, match="authoring/instructor/cnn.py"):
        reference("cnn-99-1")


@pytest.mark.parametrize("exercise_id", CHECKED)
def test_practice_cases_are_the_instructors_cases_written_out(exercise_id):
    practice = list(EXERCISES[exercise_id].cases())
    assert practice, f"{exercise_id}: a checked exercise needs a practice case"
    everything = {case.description: case for case in references()[exercise_id].cases()}
    if EXERCISES[exercise_id].answer == "value":
        # a value's practice case checks its form only (its expected value is the answer)
        assert not [c for c in practice if c.description in everything]
        return
    for case in practice:
        assert case.description in everything, (
            f"{exercise_id}: the practice case {case.description!r} is not among the "
            "instructor's cases (authoring/instructor/), which compute its expected value"
        )
        assert _same_case(case, everything[case.description]), (
            f"{exercise_id}: the practice case {case.description!r} differs from the "
            f"instructor's; write it out again:\n{case_source(everything[case.description])[0]}"
        )


@pytest.mark.parametrize("exercise_id", CHECKED)
def test_every_checked_exercise_keeps_hidden_cases(exercise_id):
    hidden = hidden_cases(exercise_id)
    assert hidden, f"{exercise_id}: every case is public; add a hidden one"
    public = {case.description for case in EXERCISES[exercise_id].cases()}
    assert not [case for case in hidden if case.description in public]


@pytest.mark.parametrize("exercise_id", CHECKED)
def test_reference_solution_passes_practice_and_hidden_cases(exercise_id):
    answer = _reference_answer(exercise_id)
    practice = evaluate(exercise_id, answer)
    assert practice, f"{exercise_id}: {practice.message}"
    hidden = evaluate(exercise_id, answer, cases=hidden_cases(exercise_id))
    assert hidden, f"{exercise_id}: {hidden.message}"


@pytest.mark.parametrize("exercise_id", CHECKED)
def test_feedback_on_a_wrong_answer_never_shows_the_reference_solution(exercise_id):
    exercise = EXERCISES[exercise_id]
    wrong = (lambda *args, **kwargs: 0) if exercise.answer == "function" else 0
    solution = reference(exercise_id).solution
    long_lines = [line.strip() for line in solution.splitlines() if len(line.strip()) >= 20]
    for cases in (None, hidden_cases(exercise_id)):
        message = evaluate(exercise_id, wrong, cases=cases).message
        assert not [line for line in long_lines if line in message]
        assert "Stuck? hint(" in message or "raised" in message or "expected" in message


@pytest.mark.parametrize("exercise_id", CHECKED)
def test_hidden_cases_written_as_code_rebuild_the_same_cases(exercise_id):
    hidden = hidden_cases(exercise_id)
    namespace: dict[str, object] = {}
    exec(cases_source(hidden, "hidden"), namespace)
    rebuilt = namespace["hidden"]
    assert len(rebuilt) == len(hidden)
    assert all(_same_case(a, b) for a, b in zip(hidden, rebuilt, strict=True))


def test_literal_writes_floats_arrays_and_sets_readably():
    assert literal(2e10)[0] == "2e+10" and literal(0.25)[0] == "0.25"
    assert literal(float("nan"))[0] == 'float("nan")'
    code, imports = literal(np.array([0.2, 0.4], dtype=np.float32))
    assert code == "np.array([0.2, 0.4], dtype='float32')" and imports == {"import numpy as np"}
    assert literal(np.full((2, 3), 7, np.uint8))[0] == "np.full((2, 3), 7, dtype='uint8')"
    assert literal({3, 1})[0] == "{1, 3}" and literal(set())[0] == "set()"
    assert literal((1,))[0] == "(1,)"


def test_literal_refuses_a_function_the_autograder_cannot_import():
    with pytest.raises(TypeError, match="module-level function of companion"):
        literal(lambda x: x)
    with pytest.raises(TypeError, match="Cannot write a object"):
        literal(object())


def test_registering_a_reference_twice_fails():
    from authoring.instructor.store import register

    with pytest.raises(ValueError, match="registered twice"):
        register(Reference(id="intro-1-1", solution="x = 1"))
