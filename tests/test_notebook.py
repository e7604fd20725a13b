"""Glue for the book's prose."""

from __future__ import annotations

import numpy as np
import pytest


def test_glue_turns_numpy_scalars_into_python_numbers(monkeypatch):
    import myst_nb

    from companion.notebook import glue

    seen = {}
    monkeypatch.setattr(
        myst_nb, "glue", lambda name, value, display=False: seen.update({name: value})
    )
    glue("acc", np.float32(0.5))
    glue("count", np.int64(3))
    assert type(seen["acc"]) is float and type(seen["count"]) is int
    with pytest.raises(ValueError, match="identifier"):
        glue("not a name", 1)
