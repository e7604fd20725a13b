"""Cases written as Python source: the hidden tests of the nbgrader cells.

``case_source(case)`` gives the code of a :class:`companion.exercises.Case` with its
inputs and expected value written out (NumPy arrays, tuples, sets, pandas tables…)
and the imports that code needs, so an autograder cell holds its cases as plain text
that ``nbgrader generate_assignment`` can strip. A comparison or an input that is a
function is imported by name, so it must be a module-level function of ``companion``
(the autograder then needs ``companion`` only, never this package).

Used in: Back matter, Instructor guide (the autograder cells of ``make assignments``).
"""

from __future__ import annotations

import math
import types
from collections.abc import Sequence
from typing import Any

import numpy as np

from companion.exercises import Case

__all__ = ["case_source", "cases_source", "literal"]

_NUMPY = "import numpy as np"
_PANDAS = "import pandas as pd"
_CASE = "from companion.exercises import Case"


def _float(value: float) -> str:
    if math.isnan(value):
        return 'float("nan")'
    if math.isinf(value):
        return 'float("inf")' if value > 0 else '-float("inf")'
    if value != 0 and not 1e-4 <= abs(value) < 1e5:
        # 2e+10 rather than 20000000000.0: the fewest digits that give the same float
        return next(t for d in range(1, 18) if float(t := f"{value:.{d}g}") == value)
    return repr(value)


def _dtype(array: np.ndarray) -> str:
    return repr(array.dtype.name if array.dtype.kind in "biufc" else array.dtype.str)


def _array(value: np.ndarray, imports: set[str]) -> str:
    imports.add(_NUMPY)
    dtype = _dtype(value)
    if value.size == 0:
        return f"np.zeros({value.shape!r}, dtype={dtype})"
    first = value.flat[0]
    constant = value.size > 1 and (
        bool(np.all(value == first)) or (value.dtype.kind == "f" and bool(np.all(np.isnan(value))))
    )
    if constant:
        return f"np.full({value.shape!r}, {_scalar(first.item(), imports)}, dtype={dtype})"
    if value.dtype.kind == "f" and value.dtype.itemsize < 8:
        # float32's shortest repr (0.2), not the float64 that holds it (0.20000000298023224)
        kind = value.dtype.type
        short = np.vectorize(lambda x: float(str(kind(x))), otypes=[float])(value)
        return f"np.array({_walk(short.tolist(), imports)}, dtype={dtype})"
    return f"np.array({_walk(value.tolist(), imports)}, dtype={dtype})"


def _scalar(value: Any, imports: set[str]) -> str:
    return _float(value) if isinstance(value, float) else repr(value)


def _function(value: Any) -> tuple[str, str]:
    module, name = getattr(value, "__module__", None), getattr(value, "__qualname__", "")
    if not module or not module.startswith("companion.") or "<" in name or "." in name:
        raise TypeError(
            f"A case holds the function {name or value!r} of {module!r}: an autograder cell can "
            "only import a module-level function of companion. Move it to companion's "
            "exercises module of its part (it is an input or a comparison, not a secret)."
        )
    return name, f"from {module} import {name}"


def _walk(value: Any, imports: set[str]) -> str:
    if value is None or isinstance(value, (bool, int, str, bytes)):
        return repr(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, np.ndarray):
        return _array(value, imports)
    if isinstance(value, np.generic):
        imports.add(_NUMPY)
        return f"np.{type(value).__name__}({_scalar(value.item(), imports)})"
    if isinstance(value, tuple):
        items = [_walk(item, imports) for item in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_walk(item, imports) for item in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{_walk(k, imports)}: {_walk(v, imports)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    if isinstance(value, (set, frozenset)):
        if not value:
            return "set()"
        return "{" + ", ".join(sorted(_walk(item, imports) for item in value)) + "}"
    if type(value).__name__ == "DataFrame" and type(value).__module__.startswith("pandas"):
        imports.add(_PANDAS)
        columns = {str(c): value[c].tolist() for c in value.columns}
        return f"pd.DataFrame({_walk(columns, imports)})"
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType)):
        name, line = _function(value)
        imports.add(line)
        return name
    raise TypeError(
        f"Cannot write a {type(value).__name__} as Python source; a case's inputs and expected "
        "value must be numbers, strings, NumPy arrays, tuples, lists, dicts, sets, pandas "
        "tables or module-level functions of companion."
    )


def literal(value: Any) -> tuple[str, set[str]]:
    """``value`` as a Python expression, and the import lines that expression needs."""
    imports: set[str] = set()
    return _walk(value, imports), imports


def case_source(case: Case) -> tuple[str, set[str]]:
    """The code of ``Case(...)`` rebuilding ``case``, and the imports it needs."""
    imports = {_CASE}
    pieces = [repr(case.description), _walk(case.expected, imports)]
    if case.args:
        pieces.append(f"args={_walk(tuple(case.args), imports)}")
    if case.kwargs:
        pieces.append(f"kwargs={_walk(dict(case.kwargs), imports)}")
    if case.compare is not None:
        name, line = _function(case.compare)
        imports.add(line)
        pieces.append(f"compare={name}")
    return f"Case({', '.join(pieces)})", imports


def _import_order(line: str) -> tuple[int, str]:
    return (0 if line.startswith("import ") else 1, line)


def cases_source(cases: Sequence[Case], name: str = "cases") -> str:
    """Import lines, then ``<name> = [Case(...), ...]``, one case per line."""
    imports: set[str] = set()
    lines = []
    for case in cases:
        code, needed = case_source(case)
        imports |= needed
        lines.append(f"    {code},")
    header = sorted(imports, key=_import_order)
    return "\n".join([*header, "", f"{name} = [", *lines, "]"])
