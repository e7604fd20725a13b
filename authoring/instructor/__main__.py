"""``python -m authoring.instructor <id>...``: an exercise's solution and cases, for instructors.

Prints the reference solution, then every case written out as code, each marked
practice (what ``check`` runs; copy it into ``companion/exercises/<part>.py``) or
hidden (what only the autograder runs).

Used in: Back matter, Instructor guide (adding an exercise).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from companion.exercises import get

from . import reference
from .literal import case_source


def show(exercise_id: str) -> str:
    """The text printed for one exercise."""
    exercise, found = get(exercise_id), reference(exercise_id)
    lines = [f"# {exercise_id}: {exercise.title}", "", "## Reference solution", found.solution]
    if found.cases is None:
        return "\n".join([*lines, "", "Not checked automatically: graded by hand."])
    practice = {c.description for c in exercise.cases()} if exercise.cases else set()
    lines += ["", "## Cases (practice: public, in companion; hidden: only the autograder's)"]
    for case in found.cases():
        kind = "practice" if case.description in practice else "hidden"
        lines.append(f"# {kind}\n{case_source(case)[0]},")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ids", nargs="+", help="exercise ids, such as cnn-2-1")
    args = parser.parse_args(argv)
    try:
        print("\n\n".join(show(exercise_id) for exercise_id in args.ids))
    except KeyError as error:
        print(error.args[0], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
