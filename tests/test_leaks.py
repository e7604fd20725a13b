"""Nothing a student receives holds a reference solution or a hidden case's expected value.

The scan (``authoring.instructor.leaks``) is first shown to find what it looks for
(every reference solution in the instructor's store; a solution reformatted and
renamed; a hidden value printed to six digits), then run on what students get: the
``companion`` package as pip installs it alone in a clean virtual environment, the
student edition, and the nbgrader release.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from test_editions import _nbgrader  # one way to call nbgrader's command line

from authoring import editions
from authoring.instructor import hidden_cases, leaks, references
from authoring.site_index import Build
from companion.exercises import evaluate, registry

ROOT = Path(__file__).resolve().parent.parent
UNRESOLVED = Build.unresolved()


def _report(found: list[leaks.Leak]) -> str:
    return "\n".join(map(str, found[:20])) + (f"\n... {len(found)} in all" if found else "")


def _hidden_value() -> tuple[str, float]:
    """One distinctive hidden expected value and its exercise."""
    secrets = leaks.secrets()
    return secrets.number_ids[0], float(secrets.numbers[0])


# --------------------------------------------------------------------------- the scan works
def test_the_scan_finds_every_reference_solution_in_the_instructor_store():
    found = {leak.exercise_id for leak in leaks.scan_paths([ROOT / "authoring" / "instructor"])}
    assert not set(references()) - found, sorted(set(references()) - found)


def test_the_scan_finds_a_renamed_reformatted_solution(tmp_path):
    solution = references()["cnn-1-2"].solution
    tree = ast.parse(solution)
    function = tree.body[-1]
    assert isinstance(function, ast.FunctionDef)
    function.name = "my_own_name"
    function.body.insert(0, ast.Expr(ast.Constant("Looks original.")))
    (tmp_path / "answers.py").write_text(ast.unparse(tree), encoding="utf-8")
    found = leaks.scan_paths([tmp_path])
    assert [leak.exercise_id for leak in found] == ["cnn-1-2"] * len(found) and found


def test_the_scan_finds_a_hidden_value_printed_in_a_notebook(tmp_path):
    exercise_id, value = _hidden_value()
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell(f"The answer is {value:.6g}, roughly.")]
    )
    nbformat.write(notebook, tmp_path / "page.ipynb")
    found = leaks.scan_paths([tmp_path])
    assert [leak.exercise_id for leak in found] == [exercise_id]


def test_the_scan_ignores_numbers_with_too_few_digits_and_practice_values(tmp_path):
    _, value = _hidden_value()
    (tmp_path / "notes.md").write_text(f"Roughly {value:.4g}.", encoding="utf-8")
    assert leaks.scan_paths([tmp_path]) == []
    practice = [c for e in registry().values() if e.cases for c in e.cases()]
    shown = json.dumps([repr(c.expected) for c in practice])
    (tmp_path / "practice.txt").write_text(shown, encoding="utf-8")
    assert leaks.scan_paths([tmp_path]) == []


def test_the_scan_finds_a_model_answer_sentence(tmp_path):
    sentence = next(iter(leaks.secrets().sentences))
    (tmp_path / "notes.md").write_text(f"Notes.\n\n{sentence}\n", encoding="utf-8")
    assert leaks.scan_paths([tmp_path])


def test_the_old_registry_with_solutions_would_fail_the_scan(tmp_path):
    """Before the split, companion held every solution as text: the scan must catch that."""
    old = "SOLUTIONS = {\n" + "".join(
        f"    {i!r}: {r.solution!r},\n" for i, r in references().items()
    )
    (tmp_path / "exercises.py").write_text(old + "}\n", encoding="utf-8")
    assert {leak.exercise_id for leak in leaks.scan_paths([tmp_path])} == set(references())


# --------------------------------------------------------------------------- what students get
def test_companion_sources_hold_no_solution_and_no_hidden_value():
    found = leaks.scan_paths([ROOT / "companion"])
    assert not found, _report(found)


def test_the_student_edition_holds_no_solution_and_no_hidden_value(tmp_path):
    written = editions.write_student_edition(tmp_path / "student", build=UNRESOLVED)
    assert written
    found = leaks.scan_paths([tmp_path / "student"])
    assert not found, _report(found)


@pytest.mark.slow
def test_companion_installed_alone_holds_no_solution_and_no_hidden_value(clean_venv):
    """pip install companion (its own files, as the Colab cell installs them) and scan them."""
    python, install, env = clean_venv
    install("--no-deps", str(ROOT))
    listed = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m; d = m.distribution('companion'); "
            "print('\\n'.join(str(d.locate_file(f)) for f in d.files))",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd="/",
    )
    files = [Path(line) for line in listed.stdout.split("\n") if line]
    assert any(f.name == "core.py" and f.parent.name == "exercises" for f in files), files[:10]
    assert not any("authoring" in f.parts for f in files)
    found = leaks.scan_paths(files)
    assert not found, _report(found)
    _check_and_hint_work_without_the_instructors_side(python, install, env)


CHECK_AND_HINT = """\
import importlib.util

import numpy as np

import companion.exercises as exercises
from companion.exercises import check, evaluate, hint, registry

assert importlib.util.find_spec("authoring") is None, "the instructor's side is installed"
assert not hasattr(exercises, "solution")
checked = [e for e in registry().values() if e.auto_checked]
for exercise in checked:
    wrong = (lambda *args, **kwargs: 0) if exercise.answer == "function" else 0
    assert not evaluate(exercise.id, wrong), exercise.id
    hint(exercise.id)
check("intro-1-1", lambda labels: np.bincount(np.asarray(labels), minlength=10))
print(len(checked))
"""


def _check_and_hint_work_without_the_instructors_side(python, install, env) -> None:
    """What a Colab learner has: companion (with numpy and pandas) and nothing of ours else."""
    install("numpy", "pandas")
    result = subprocess.run(
        [str(python), "-c", CHECK_AND_HINT], capture_output=True, text=True, env=env, cwd="/"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "✓ The practice case of intro-1-1 passes." in result.stdout
    assert "Hint for cnn-2-1:" in result.stdout
    checked = sum(1 for e in registry().values() if e.auto_checked)
    assert result.stdout.strip().endswith(str(checked))


def _cells_text(folder: Path) -> str:
    notebooks = [nbformat.read(path, as_version=4) for path in sorted(folder.rglob("*.ipynb"))]
    assert notebooks, f"no notebook in {folder}"
    return "\n".join(cell.source for notebook in notebooks for cell in notebook.cells)


@pytest.mark.slow
def test_the_nbgrader_release_holds_no_hidden_case_and_no_solution(tmp_path):
    """generate_assignment strips the hidden tests and the solutions; the practice check stays."""
    course = tmp_path / "course"
    written = editions.write_assignments(course, build=UNRESOLVED)
    for part in written:
        generated = _nbgrader(course, "generate_assignment", part, "--force")
        assert generated.returncode == 0, generated.stdout + generated.stderr
    source, release = _cells_text(course / "source"), _cells_text(course / "release")
    checked = [i for i, e in registry().items() if e.auto_checked]
    hidden = {i: [c.description for c in hidden_cases(i)] for i in checked}
    assert "BEGIN HIDDEN TESTS" in source and "BEGIN SOLUTION" in source  # the test can fail
    for marker in ("HIDDEN TESTS", "BEGIN SOLUTION", "END SOLUTION", "cases=hidden"):
        assert marker not in release, f"{marker!r} left in the release"
    shown = [(i, d) for i, ds in hidden.items() for d in ds if d in release]
    assert not shown, f"hidden cases named in the release: {shown[:5]}"
    practice_checks = [i for i in checked if f'evaluate("{i}", answer)\n' in release]
    assert sorted(practice_checks) == sorted(checked)
    found = leaks.scan_paths([course / "release"])
    assert not found, _report(found)
    _memorising_the_practice_cases_earns_nothing(course)


MEMORISED = """\
from companion.exercises import get

def memorised(*args, **kwargs):
    for case in get("{id}").cases():
        if repr((case.args, case.kwargs)) == repr((args, kwargs)):
            return case.expected

answer = memorised
check("{id}", answer)"""


def _memorising_the_practice_cases_earns_nothing(course: Path) -> None:
    """An answer that looks up the public practice cases passes check() but scores 0:
    autograde puts the hidden tests back and runs them."""
    from nbgrader.api import Gradebook

    part, exercise_id = "intro", "intro-1-1"
    shutil.copytree(course / "release" / part, course / "submitted" / "memoriser" / part)
    (path,) = (course / "submitted" / "memoriser" / part).glob("*.ipynb")
    notebook = nbformat.read(path, as_version=4)
    answer_id = f"{exercise_id}-answer"
    (cell,) = [
        c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == answer_id
    ]
    cell.source = MEMORISED.format(id=exercise_id)
    nbformat.write(notebook, path)
    namespace: dict[str, object] = {"check": lambda *args: None}
    exec(cell.source, namespace)
    assert evaluate(exercise_id, namespace["answer"])  # the practice check passes
    graded = _nbgrader(course, "autograde", part, "--force")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission_notebook(path.stem, part, "memoriser")
        scores = {grade.name: grade.auto_score for grade in submission.grades}
    assert scores[f"{exercise_id}-test"] == 0, scores
