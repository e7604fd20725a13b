"""Sphinx extension: the Colab launch button opens the page in the notebook edition.

sphinx-book-theme builds every launch URL from ``repository.url`` and
``repository.branch``, so its Colab button would open the MyST-paired source notebook
on ``main``. The notebook edition (``authoring.notebook_edition``) is published to its
own branch, ``launch_buttons.colab_branch`` in ``_config.yml``; this extension points the
Colab button, and only it, at that branch. The repository button keeps pointing at main.

Loaded by ``_config.yml`` (``sphinx.extra_extensions``); ``python -m authoring.book
check-site`` checks the result on every page.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

__all__ = ["retarget_colab", "setup"]

COLAB = "https://colab.research.google.com/github/"


def retarget_colab(url: str, branch: str, edition_branch: str) -> str:
    """``…/blob/<branch>/<path>`` -> ``…/blob/<edition_branch>/<path>`` for a Colab URL."""
    if not url.startswith(COLAB):
        return url
    head, marker, tail = url.partition(f"/blob/{branch}/")
    if not marker:
        raise ValueError(f"Colab URL {url!r} does not contain /blob/{branch}/.")
    return f"{head}/blob/{edition_branch}/{tail}"


def _retarget_buttons(buttons: list[dict[str, Any]], branch: str, edition: str) -> None:
    for button in buttons:
        if button.get("type") == "group":
            _retarget_buttons(button.get("buttons", []), branch, edition)
        elif button.get("type") == "link" and button.get("url", "").startswith(COLAB):
            button["url"] = retarget_colab(button["url"], branch, edition)


def _on_page(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    options = app.config.html_theme_options
    edition = (options.get("launch_buttons") or {}).get("colab_branch")
    if edition and "header_buttons" in context:
        branch = options.get("repository_branch") or "master"  # the theme's own default
        _retarget_buttons(context["header_buttons"], branch, edition)


def setup(app: Sphinx) -> dict[str, Any]:
    """Run after sphinx-book-theme has added its launch buttons (priority 501)."""
    app.connect("html-page-context", _on_page, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
