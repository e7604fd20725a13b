"""Fixtures of the browser tests: the built site on a local server, Chromium offline.

These tests need a built site, so they run only from ``make test-site`` (which sets
``SITE_HTML``); ``make test`` and ``make check`` do not collect them.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

collect_ignore_glob = [] if os.environ.get("SITE_HTML") else ["test_*.py"]

# Debian's Chromium as the CI runs it: no sandbox (root in a container), no GPU, and no
# background traffic of its own (QUIC, component updates, sync), so that every request
# the tests see comes from the page.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def site_dir() -> Path:
    root = Path(os.environ["SITE_HTML"]).resolve()
    assert (root / "index.html").is_file(), f"no built site in {root}: run `make book`"
    return root


@pytest.fixture(scope="session")
def server(site_dir: Path) -> Iterator[str]:
    """The site served on 127.0.0.1 (a free port): the only host the browser may reach."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    executable = os.environ.get("CHROMIUM") or None  # empty: Playwright's own browser
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_context_args,
        "viewport": {"width": 1280, "height": 900},
        "color_scheme": "light",
        "service_workers": "block",
    }


@dataclass
class Problems:
    """What went wrong in the browser while a page was open."""

    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.console.clear()
        self.failed.clear()
        self.blocked.clear()


@pytest.fixture
def offline(page: Any, server: str, site_dir: Path) -> tuple[Any, Problems]:
    """A page that may reach only the local server (or the site's files); errors are recorded."""
    problems = Problems()
    local = (server, site_dir.as_uri() + "/")

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith(local):
            request_route.continue_()
        else:
            problems.blocked.append(url)
            request_route.abort("blockedbyclient")

    page.context.route("**/*", route)
    page.on(
        "console",
        lambda message: (
            problems.console.append(f"{message.type}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.console.append(f"uncaught: {error}"))
    page.on(
        "requestfailed",
        lambda request: (
            problems.failed.append(f"{request.url} ({request.failure})")
            if request.url.startswith(server)
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            problems.failed.append(f"{response.url} (HTTP {response.status})")
            if response.status >= 400
            else None
        ),
    )
    return page, problems
