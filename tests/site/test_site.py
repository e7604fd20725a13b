"""The built site as a reader gets it: every page in Chromium, with the network blocked.

Run by ``make test-site`` after ``make book``. Only the local server is reachable, so
a page that still needs a CDN fails here (console errors, blocked requests, raw TeX).
"""

from __future__ import annotations

import html.parser
import os
import re
import urllib.parse
import urllib.request
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
import yaml

from authoring import book

SITE = Path(os.environ.get("SITE_HTML", "_build/html")).resolve()
SCREENSHOTS = book.REPO_ROOT / "_build" / "screenshots"
PAGES = sorted(
    path.relative_to(SITE).as_posix()
    for path in SITE.rglob("*.html")
    if not path.relative_to(SITE).parts[0].startswith("_")
    and path.relative_to(SITE).parts[0] != "reports"
)
# Pages exempt from one check ({page: {check: why}}). Empty: every page passes every check.
ALLOW: dict[str, dict[str, str]] = {}
HOME = "book/index.html"  # index.html only redirects here
PHONE = {"width": 390, "height": 844}
# The local server is reached directly, whatever proxy the environment names.
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# Runs in the page: waits for MathJax and Mermaid, then reports what a reader would see.
REPORT_JS = r"""
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const skip = "pre, code, script, style, textarea, .highlight, .mermaid, mjx-container";
  const leftovers = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest(skip)) continue;
    if (/\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{/.test(node.textContent)) {
      leftovers.push(node.textContent.trim().slice(0, 80));
    }
  }
  const math = [...document.querySelectorAll(".math")];
  const diagrams = [...document.querySelectorAll(".mermaid")];
  return {
    math: math.length,
    untypeset: math.filter((e) => !e.querySelector("mjx-container")).map((e) => e.textContent.slice(0, 80)),
    mathErrors: [...document.querySelectorAll("mjx-merror, [data-mjx-error]")].map(
      (e) => (e.getAttribute("data-mjx-error") || e.textContent).slice(0, 120)),
    leftovers,
    diagrams: diagrams.length,
    undrawn: diagrams.filter((e) => !e.querySelector("svg") ||
        e.querySelector('svg[aria-roledescription="error"]'))
      .map((e) => (e.getAttribute("data-original-code") || e.textContent).trim().slice(0, 80)),
    links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
  };
}
"""
# Opens folded content and scrolls each diagram into view: Mermaid draws hidden ones lazily.
REVEAL_JS = """
() => {
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  document.querySelectorAll(".mermaid").forEach((e) => e.scrollIntoView());
}
"""
DRAWN_JS = "() => [...document.querySelectorAll('.mermaid')].every((e) => e.querySelector('svg'))"
# The top of the page, or the first diagram, in view for a screenshot.
SCROLL_JS = """
(toDiagram) => {
  const diagram = document.querySelector(".mermaid");
  if (toDiagram && diagram) diagram.scrollIntoView({block: "center"});
  else window.scrollTo(0, 0);
}
"""
OVERFLOW_JS = """
() => {
  const main = document.querySelector("main, .bd-main") || document.body;
  return {page: document.documentElement.scrollWidth - window.innerWidth,
          main: main.scrollWidth - main.clientWidth};
}
"""


class _Anchors(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.anchors.add(value)


@cache
def anchors(path: Path) -> frozenset[str]:
    parser = _Anchors()
    parser.feed(path.read_text(encoding="utf-8"))
    return frozenset(parser.anchors)


def broken_internal_links(links: list[str], server: str) -> list[str]:
    """Links to the local site whose file or anchor does not exist."""
    broken = []
    for link in sorted(set(links)):
        if not link.startswith(server):
            continue  # external: `make linkcheck` checks those weekly
        parts = urlsplit(link)
        path = unquote(parts.path).lstrip("/")
        target = SITE / path
        if path == "" or path.endswith("/"):
            target = target / "index.html"
        if not target.is_file():
            broken.append(f"{link}: no such file")
        elif (
            parts.fragment
            and target.suffix == ".html"
            and unquote(parts.fragment) not in anchors(target)
        ):
            broken.append(f"{link}: no anchor #{parts.fragment}")
    return broken


def _allowed(page: str, check: str) -> bool:
    return check in ALLOW.get(page, {})


def _open(page: Any, server: str, name: str) -> dict[str, Any]:
    page.goto(server + name, wait_until="load")
    redirect = re.search(
        r'http-equiv="Refresh" content="0; url=([^"]+)"', (SITE / name).read_text()
    )
    if redirect:  # the root index.html sends the reader on to the first page
        page.wait_for_url(urllib.parse.urljoin(server + name, redirect.group(1)))
    page.evaluate(REVEAL_JS)
    page.wait_for_function(DRAWN_JS, timeout=20_000)
    return page.evaluate(REPORT_JS)


@pytest.mark.parametrize("name", PAGES)
def test_page_works_offline(offline: tuple[Any, Any], server: str, name: str) -> None:
    page, problems = offline
    report = _open(page, server, name)
    assert not report["untypeset"], f"maths not typeset: {report['untypeset']}"
    assert not report["mathErrors"], f"MathJax errors: {report['mathErrors']}"
    assert not report["leftovers"], f"TeX left as text: {report['leftovers']}"
    assert not report["undrawn"], f"Mermaid diagrams not drawn: {report['undrawn']}"
    broken = broken_internal_links(report["links"], server)
    assert not broken, f"broken internal links: {broken}"
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(200)
    overflow = page.evaluate(OVERFLOW_JS)
    if not _allowed(name, "phone"):
        assert overflow["page"] <= 1 and overflow["main"] <= 1, (
            f"horizontal scroll at {PHONE['width']} px: {overflow}"
        )
    assert not problems.blocked, f"requests to other hosts: {problems.blocked}"
    assert not problems.failed, f"failed requests: {problems.failed}"
    assert not problems.console, f"console errors: {problems.console}"


def test_every_part_is_checked() -> None:
    """The crawl saw the site: every toc page, and pages with maths and diagrams."""
    built = {name.removesuffix(".html") for name in PAGES}
    missing = [
        str(p.relative_to(book.REPO_ROOT).with_suffix(""))
        for p in book.toc_files()
        if str(p.relative_to(book.REPO_ROOT).with_suffix("")) not in built
    ]
    assert not missing, f"toc pages not built: {missing}"
    texts = {name: (SITE / name).read_text(encoding="utf-8") for name in PAGES}
    assert any('class="math' in text for text in texts.values()), "no page has maths"
    assert any('class="mermaid' in text for text in texts.values()), "no page has a diagram"


def _config() -> dict[str, Any]:
    return yaml.safe_load((book.REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))


def expected_colab_url(notebook: Path) -> str:
    """Per the contract: the page's notebook in the notebook edition's branch."""
    config = _config()
    repo = book.repository_url().split("github.com/", 1)[1]
    branch = config.get("launch_buttons", {}).get("colab_branch") or config["repository"]["branch"]
    path = notebook.relative_to(book.REPO_ROOT).as_posix()
    return f"https://colab.research.google.com/github/{repo}/blob/{branch}/{path}"


NOTEBOOKS = book.notebook_pages()


@pytest.mark.parametrize(
    "notebook", NOTEBOOKS, ids=[str(n.relative_to(book.REPO_ROOT)) for n in NOTEBOOKS]
)
def test_launch_and_download_buttons(server: str, notebook: Path) -> None:
    relative = notebook.relative_to(book.REPO_ROOT)
    page = SITE / relative.with_suffix(".html")
    text = page.read_text(encoding="utf-8")
    colab = set(re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', text))
    assert colab == {expected_colab_url(notebook)}, f"Colab button of {relative}: {colab}"
    edition = book.REPO_ROOT / "_build" / "notebooks" / relative
    if (book.REPO_ROOT / "_build" / "notebooks").is_dir():
        assert edition.is_file(), f"the Colab button opens {relative}, not in the notebook edition"
    downloads = {h for h in re.findall(r'href="([^"]+\.ipynb)"', text) if "://" not in h}
    assert downloads, f"{relative} has no .ipynb download button"
    for href in downloads:
        url = urllib.parse.urljoin(f"{server}{relative.with_suffix('.html').as_posix()}", href)
        assert url.endswith("/" + relative.name), f"download {url} is not {relative.name}"
        with NO_PROXY.open(url, timeout=30) as response:
            served = nbformat.reads(response.read().decode("utf-8"), as_version=4)
        source = nbformat.read(notebook, as_version=4)
        assert [c.source for c in served.cells if c.cell_type == "code"] == [
            c.source for c in source.cells if c.cell_type == "code"
        ], f"the downloaded {relative.name} is not the page's notebook"


def _first_glossary_term() -> str:
    """The first glossary term (English name) that the glossary's own text also uses.

    Sphinx indexes the words of a page's text; a term's name in its ``<dt>`` alone is an
    object, not a word, and the Chinese in brackets is not split into words.
    """
    text = (SITE / "book" / "appendix" / "glossary.html").read_text(encoding="utf-8")
    names = re.findall(r'<dt id="term-[^"]*">(.*?)<a class="headerlink"', text, re.DOTALL)
    assert names, "the glossary page has no terms"
    body = re.sub(r"<[^>]+>", " ", re.sub(r"<dt .*?</dt>", " ", text, flags=re.DOTALL)).lower()
    for name in names:
        english = re.sub(r"<[^>]+>", "", name).strip().split(" (")[0]
        if re.search(rf"\b{re.escape(english.lower())}\b", body):
            return english
    raise AssertionError("no glossary term appears in the glossary's text")


def _search(page: Any, server: str, query: str) -> list[str]:
    page.goto(f"{server}search.html?q={urllib.parse.quote(query)}", wait_until="load")
    page.wait_for_function(
        "() => document.querySelector('#search-results .search-summary, #search-results p')",
        timeout=30_000,
    )
    # The results page goes on fetching each hit's text for its summary; let it finish, so
    # that the next navigation aborts nothing.
    page.wait_for_load_state("networkidle")
    return page.eval_on_selector_all("#search-results li a", "as => as.map((a) => a.href)")


def test_search_finds_a_glossary_term_and_a_chapter_title(
    offline: tuple[Any, Any], server: str
) -> None:
    page, problems = offline
    term = _first_glossary_term()
    hits = _search(page, server, term)
    assert any("book/appendix/glossary.html" in hit for hit in hits), (term, hits)
    chapters = [page for page in book.notebook_pages() if "appendix" not in page.parts]
    chapter = chapters[-1].relative_to(book.REPO_ROOT).with_suffix(".html")  # the last chapter
    # The page's own heading (it has a headerlink), not the site title's <h1> before it.
    heading = r'<h1>((?:(?!</h1>).)*?)<a class="headerlink"'
    title = re.search(heading, (SITE / chapter).read_text(encoding="utf-8"), re.DOTALL)
    assert title, f"{chapter} has no h1"
    title_text = " ".join(re.sub(r"<[^>]+>", "", title.group(1)).split())
    hits = _search(page, server, title_text)
    assert any(chapter.as_posix() in hit for hit in hits), (title_text, hits)
    assert not problems.console and not problems.failed and not problems.blocked, problems


def _theme(page: Any) -> str:
    return page.evaluate("() => document.documentElement.dataset.theme")


def _background_luminance(page: Any) -> float:
    rgb = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(v) for v in re.findall(r"\d+", rgb)[:3])
    return (0.299 * red + 0.587 * green + 0.114 * blue) / 255


def _switch_to(page: Any, theme: str) -> None:
    for _ in range(3):  # the button cycles light -> dark -> auto
        if _theme(page) == theme:
            return
        page.locator(".theme-switch-button").first.click()
    assert _theme(page) == theme, f"the theme button never reached {theme}"


def test_dark_mode_toggles(offline: tuple[Any, Any], server: str) -> None:
    page, problems = offline
    page.goto(server + HOME, wait_until="load")
    _switch_to(page, "light")
    light = _background_luminance(page)
    _switch_to(page, "dark")
    dark = _background_luminance(page)
    assert light > 0.8 and dark < 0.3, f"background luminance light {light:.2f}, dark {dark:.2f}"
    assert not problems.console and not problems.failed and not problems.blocked, problems


def _part_pages() -> dict[str, str]:
    """One page per part of the toc (its first chapter), as html paths."""
    toc = yaml.safe_load((book.REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return {
        part["caption"]: part["chapters"][0]["file"] + ".html"
        for part in toc.get("parts", [])
        if part.get("chapters")
    }


def test_screenshots(offline: tuple[Any, Any], server: str) -> None:
    """Home, one page per part (light and dark), a phone view: to look at, and for CI."""
    page, problems = offline
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _open(page, server, HOME)
    page.screenshot(path=SCREENSHOTS / "home.png")
    diagram_pages = [n for n in PAGES if 'class="mermaid' in (SITE / n).read_text(encoding="utf-8")]
    shots = {**_part_pages(), "Diagrams": diagram_pages[0]}
    for caption, name in shots.items():
        slug = re.sub(r"[^a-z0-9]+", "-", caption.lower()).strip("-")
        for theme in ("light", "dark"):
            _open(page, server, name)
            _switch_to(page, theme)
            page.wait_for_timeout(300)  # Mermaid redraws in the new theme
            page.evaluate(SCROLL_JS, caption == "Diagrams")
            page.screenshot(path=SCREENSHOTS / f"{slug}-{theme}.png")
    page.set_viewport_size(PHONE)
    _open(page, server, shots.get("Mathematics", HOME))
    page.evaluate(SCROLL_JS, False)
    page.screenshot(path=SCREENSHOTS / "phone.png")
    written = sorted(p.name for p in SCREENSHOTS.glob("*.png"))
    assert len(written) >= 2 * len(shots) + 2, written
    assert not problems.console and not problems.failed and not problems.blocked, problems


def test_opens_from_disk_offline(offline: tuple[Any, Any]) -> None:
    """A reader offline opens the files themselves (file://): maths typeset, diagrams drawn."""
    page, problems = offline
    texts = {name: (SITE / name).read_text(encoding="utf-8") for name in PAGES}
    diagrams = next(name for name, text in texts.items() if 'class="mermaid' in text)
    maths = max(texts, key=lambda name: texts[name].count('class="math'))
    for name in (diagrams, maths):
        page.goto((SITE / name).as_uri(), wait_until="load")
        page.evaluate(REVEAL_JS)
        page.wait_for_function(DRAWN_JS, timeout=20_000)
        report = page.evaluate(REPORT_JS)
        assert report["math"] == 0 or not report["untypeset"], (name, report["untypeset"])
        assert not report["mathErrors"] and not report["leftovers"], name
        assert not report["undrawn"], (name, report["undrawn"])
    page.screenshot(path=SCREENSHOTS / "from-disk.png")
    assert not problems.blocked, f"the site opened from disk asked the network: {problems.blocked}"
    assert not problems.console and not problems.failed, problems
