"""Small helpers for the notebooks themselves.

``glue`` puts a computed value into the prose of the rendered book (myst-nb); on
Colab or a laptop without myst-nb it simply does nothing visible, so the same
notebook runs everywhere.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["glue"]


def glue(name: str, value: Any, display: bool = False) -> None:
    """Record ``value`` under ``name`` for ``{glue:text}`` roles in the book's prose.

    Used in: every chapter that quotes a computed number.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"glue name must be a Python-identifier-like string, got {name!r}.")
    if isinstance(value, np.generic):
        # {glue:text} formats the repr; np.float64(0.5) would not take a format spec.
        value = value.item()
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab and plain Jupyter: no book to glue into
        if display:
            from IPython.display import display as show

            show(value)
        return
    myst_glue(name, value, display=display)
