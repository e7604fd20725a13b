"""Sphinx extension: the site's MathJax and Mermaid load from ``_static/``, also from file://.

It adds the site's own stylesheet (``authoring/static/site.css``) and fixes what the browser tests (``tests/site``) found in the theme stack's pages:
sphinx-thebe adds its inline configuration script twice (a console error,
"THEBE_JS_URL has already been declared"); each inline script is kept once.

``_config.yml`` sets ``mathjax_path`` and ``mermaid_use_local`` to the copies that
``authoring.assets`` fetched. sphinxcontrib-mermaid loads its file with an ES module
``import``, which browsers refuse for pages opened from disk (file:// has no origin).
This extension loads the same file as a classic script instead and lets the
extension's page script take the ``mermaid`` global, so a reader offline, opening
``_build/html/index.html``, still sees drawn diagrams.

Used by the book build (``sphinx: extra_extensions`` in ``_config.yml``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ConfigError, ExtensionError

IMPORT_MERMAID = re.compile(r'^import mermaid from "([^"]+)";$', re.MULTILINE)
FIX = "Run `make assets` (python -m authoring.assets) before building the book."


def _check_assets(app: Sphinx, config: Any) -> None:
    """Fail early, with the fix, when a configured local asset is missing."""
    wanted = {"mathjax_path": config.mathjax_path, "mermaid_use_local": config.mermaid_use_local}
    roots = [Path(app.confdir, path) for path in config.html_static_path]
    for option, relative in wanted.items():
        if not relative or "://" in relative:
            raise ConfigError(f"{option} must name a file in _static/ for the offline site. {FIX}")
        if not any((root / relative).is_file() for root in roots):
            raise ConfigError(
                f"{option} = {relative!r} is not in html_static_path {config.html_static_path}. {FIX}"
            )


def _one_copy_of_inline_scripts(scripts: list[Any]) -> None:
    seen: set[str] = set()
    for script in list(scripts):
        body = None if script.filename else script.attributes.get("body")
        if body is None:
            continue
        if body in seen:
            scripts.remove(script)
        seen.add(body)


def _on_page(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    scripts = context.get("script_files", [])
    _one_copy_of_inline_scripts(scripts)
    _classic_mermaid(app, pagename, scripts)


def _classic_mermaid(app: Sphinx, pagename: str, scripts: list[Any]) -> None:
    """Swap sphinxcontrib-mermaid's ``import mermaid`` for the classic bundle loaded before it."""
    for index, script in enumerate(scripts):
        body = "" if script.filename else script.attributes.get("body", "")
        match = IMPORT_MERMAID.search(body)
        if not match:
            continue
        if not match.group(1).endswith(app.config.mermaid_use_local):
            raise ExtensionError(
                f"{pagename}: mermaid imported from {match.group(1)}, not _static/"
            )
        new_body = IMPORT_MERMAID.sub("const mermaid = window.mermaid;", body)
        attributes = {**script.attributes, "body": new_body}
        scripts[index] = type(script)(None, priority=script.priority, **attributes)
        app.add_js_file(app.config.mermaid_use_local, priority=script.priority - 1)
        return


STATIC = Path(__file__).parent / "static"


def _add_static(app: Sphinx) -> None:
    app.config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _add_static)
    app.add_css_file("site.css")
    # After sphinxcontrib-mermaid (priority 500), which adds its page script then.
    app.connect("html-page-context", _on_page, priority=900)
    app.connect("config-inited", _check_assets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
