"""What the built site knows: glued values, page titles, labels, terms, equations, citations.

The notebook edition (``authoring.notebook_edition``) replaces each MyST role by what
the site shows for it, so it reads those facts from the build rather than computing
them again: glue values from ``_build/jupyter_execute/<page>.glue.json`` (what myst-nb
pasted into the page), titles, labels and glossary terms from Sphinx's inventory
``_build/html/objects.inv``, equation numbers from the pages' HTML, and author-year
labels of citations from the bibliography files the site uses.

Used by ``make notebooks``, ``make student`` and ``make assignments``.
"""

from __future__ import annotations

import html
import posixpath
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .book import REPO_ROOT, site_url, toc_files
from .myst import scan_directives

__all__ = ["Build", "Link", "build_ref", "citation_label"]

_EQUATION_NUMBER = re.compile(
    r'<span class="eqno">\((?P<number>[^)<]+)\)<a class="headerlink" href="#equation-(?P<label>[^"]+)"'
)


@dataclass(frozen=True)
class Link:
    """A place on the site: ``url`` relative to the site root, and the text the site shows."""

    url: str
    text: str


@dataclass(frozen=True)
class Build:
    """The facts of one build of the book that the notebook edition needs.

    ``strict=False`` is for checks that run before any build (the leak tests of the
    student edition): a value the build would supply renders as a visible stand-in
    (``⟨name⟩``) instead of stopping with an error. Editions that are written to disk
    always use a strict build (``Build.read``).
    """

    site_url: str
    ref: str
    docs: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, Link] = field(default_factory=dict)
    terms: Mapping[str, Link] = field(default_factory=dict)
    equations: Mapping[str, Link] = field(default_factory=dict)
    citations: Mapping[str, Link] = field(default_factory=dict)
    glue: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    executed: Path | None = None
    strict: bool = True

    @classmethod
    def read(cls, build_dir: Path | None = None, root: Path = REPO_ROOT) -> Build:
        """Read the build in ``build_dir`` (default ``_build``); a clear error if there is none."""
        build_dir = Path(build_dir or root / "_build")
        inventory = build_dir / "html" / "objects.inv"
        if not inventory.exists():
            raise FileNotFoundError(
                f"{inventory} does not exist: the editions are made from the built book. "
                "Run `make book` first."
            )
        objects = _inventory(inventory)
        return cls(
            site_url=site_url(root),
            ref=build_ref(root),
            docs={name: entry.text for name, entry in objects.get("std:doc", {}).items()},
            labels=objects.get("std:label", {}),
            terms={name.lower(): entry for name, entry in objects.get("std:term", {}).items()},
            equations=_equations(build_dir / "html"),
            citations=_citations(root),
            glue=_glue(build_dir / "jupyter_execute"),
            executed=build_dir / "jupyter_execute",
        )

    @classmethod
    def unresolved(cls, root: Path = REPO_ROOT) -> Build:
        """A build with no facts, for checks that need no numbers (``strict=False``)."""
        return cls(site_url=site_url(root), ref="main", citations=_citations(root), strict=False)

    def url(self, link: Link | str) -> str:
        """The absolute URL of a site link (or of a path relative to the site root)."""
        return self.site_url + (link.url if isinstance(link, Link) else link)

    def missing(self, what: str, name: str, doc: str) -> str:
        """The stand-in for a fact the build lacks, or a ValueError when the build is strict."""
        if self.strict:
            raise ValueError(
                f"{doc}: the build has no {what} {name!r}; is the book built (`make book`) "
                "and is the name spelled as on the site?"
            )
        return f"⟨{name}⟩"


def build_ref(root: Path = REPO_ROOT) -> str:
    """The git tag (if HEAD has one) or commit the book is built from: what the install cell pins.

    The one place that defines the pin of the editions' install cells.
    """
    for command in (["git", "describe", "--tags", "--exact-match"], ["git", "rev-parse", "HEAD"]):
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    raise RuntimeError(
        f"{root} is not a git checkout with a commit: the notebook edition pins the "
        "companion to the commit the book is built from. Build from a clone of the repository."
    )


def _inventory(path: Path) -> dict[str, dict[str, Link]]:
    from sphinx.util.inventory import InventoryFile

    with path.open("rb") as stream:
        raw = InventoryFile.load(stream, "", posixpath.join)
    return {
        kind: {name: Link(url=entry[2], text=entry[3]) for name, entry in entries.items()}
        for kind, entries in raw.items()
    }


def _equations(html_dir: Path) -> dict[str, Link]:
    """Label -> link showing the equation's number, as on the page that defines it.

    Sphinx's inventory has no equations, so they are read from the pages' HTML.
    """
    found: dict[str, Link] = {}
    for page in sorted(html_dir.rglob("*.html")):
        url = page.relative_to(html_dir).as_posix()
        for match in _EQUATION_NUMBER.finditer(page.read_text(encoding="utf-8")):
            label = html.unescape(match["label"])
            found[label] = Link(url=f"{url}#equation-{label}", text=f"({match['number']})")
    return found


def _glue(executed: Path) -> dict[str, dict[str, Any]]:
    """Page -> glue key -> output, from the ``.glue.json`` files myst-nb writes."""
    import json

    return {
        path.relative_to(executed).as_posix().removesuffix(".glue.json"): json.loads(
            path.read_text(encoding="utf-8")
        )
        for path in sorted(executed.rglob("*.glue.json"))
    }


def _references_page(root: Path) -> str:
    for page in toc_files(root):
        if page.suffix == ".md" and page.exists():
            names = [d.name for d in scan_directives(page.read_text(encoding="utf-8"))]
            if "bibliography" in names:
                return page.relative_to(root).with_suffix("").as_posix()
    raise ValueError("no page of _toc.yml has a {bibliography} directive to link citations to.")


def citation_label(entry: Any) -> str:
    """``Vaswani et al., 2017``: the short author-year label of a pybtex entry."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [" ".join(person.last_names).replace("{", "").replace("}", "") for person in people]
    if not names:
        names = [entry.fields.get("organization", entry.fields.get("title", "?"))]
    author = names[0] if len(names) == 1 else " and ".join(names) if len(names) == 2 else ""
    author = author or f"{names[0]} et al."
    return f"{author}, {entry.fields.get('year', 'n.d.')}"


def _citations(root: Path) -> dict[str, Link]:
    """Citation key -> author-year link to its entry on the references page."""
    from docutils.nodes import make_id
    from pybtex.database import parse_file

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    files = config.get("bibtex_bibfiles") or []
    if not files:
        return {}
    page = _references_page(root)
    links = {}
    for name in files:
        for key, entry in parse_file(str(root / name)).entries.items():
            anchor = make_id(f"cite-{key}")  # bibtex_cite_id in _config.yml, as Sphinx writes it
            links[key] = Link(url=f"{page}.html#{anchor}", text=citation_label(entry))
    return links
