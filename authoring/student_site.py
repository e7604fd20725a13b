"""Sphinx extension for the student site: makes ``hide_solutions`` hide gated solutions too.

sphinx-exercise 1.2.1 drops a ``solution`` directive when ``hide_solutions`` is true, but
for a gated solution (``solution-start`` … ``solution-end``) it drops only the opening
directive: the content between the two stays visible and the HTML writer then fails on
the orphaned ``solution-end`` node. This extension keeps a marker where the solution
starts and removes everything from the marker to its ``solution-end``.

Loaded by ``make book-student`` (see ``authoring.editions.student_site_config``); the
normal build does not use it. Used in: Back matter, Instructor guide.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

__all__ = ["setup"]

logger = logging.getLogger(__name__)


class hidden_solution_start(nodes.Element):  # docutils names node classes in lower case
    """Marks where a hidden gated solution starts; removed before anything is written."""


def _directive() -> type:
    from sphinx_exercise.directive import SolutionStartDirective

    class HiddenSolutionStart(SolutionStartDirective):
        """``solution-start`` that leaves a marker when solutions are hidden."""

        def run(self) -> list[nodes.Node]:
            result = super().run()  # keeps sphinx-exercise's start/end bookkeeping
            if self.env.app.config.hide_solutions:
                return [hidden_solution_start(label=self.arguments[0])]
            return result

    return HiddenSolutionStart


class RemoveHiddenSolutions(SphinxTransform):
    """Remove each marker and its siblings up to and including the ``solution-end`` node."""

    default_priority = 5  # before sphinx-exercise merges gated solutions (priority 10)

    def apply(self, **kwargs: Any) -> None:
        from sphinx_exercise.nodes import solution_end_node

        for marker in list(self.document.findall(hidden_solution_start)):
            parent = marker.parent
            start = parent.index(marker)
            end = next(
                (i for i in range(start, len(parent)) if isinstance(parent[i], solution_end_node)),
                None,
            )
            if end is None:
                logger.warning(
                    "hidden solution %s: no solution-end in the same section",
                    marker.get("label"),
                    location=marker,
                )
                parent.remove(marker)
                continue
            for child in list(parent.children[start : end + 1]):
                parent.remove(child)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the marker node, the overriding directive and the transform."""
    app.setup_extension("sphinx_exercise")
    app.add_node(hidden_solution_start, override=True)
    app.add_directive("solution-start", _directive(), override=True)
    app.add_transform(RemoveHiddenSolutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
