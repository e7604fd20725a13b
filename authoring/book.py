"""Facts about the book's sources: the table of contents, the paired notebooks, the config.

Used by ``make`` (which notebooks nbval runs), by the book checks in ``tests/`` and
by the tools that build the student edition and the instructor guide.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

__all__ = ["REPO_ROOT", "colab_install_url", "notebook_pages", "repository_url", "toc_files"]

REPO_ROOT = Path(__file__).resolve().parent.parent


def _load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def repository_url(root: Path = REPO_ROOT) -> str:
    """The repository URL defined once in ``_config.yml``."""
    return str(_load_yaml(root / "_config.yml")["repository"]["url"]).rstrip("/")


def colab_install_url(root: Path = REPO_ROOT) -> str:
    """The pip requirement every notebook's Colab install cell must use."""
    return f"companion @ git+{repository_url(root)}"


def _walk(entries: Sequence[dict[str, Any]]) -> Iterator[str]:
    for entry in entries:
        if "file" in entry:
            yield entry["file"]
        for key in ("chapters", "sections", "parts"):
            yield from _walk(entry.get(key, []))


def toc_files(root: Path = REPO_ROOT) -> list[Path]:
    """Every page named in ``_toc.yml`` (root first), as the source path that exists."""
    toc = _load_yaml(root / "_toc.yml")
    names = [toc["root"], *_walk(toc.get("parts", []) + toc.get("chapters", []))]
    pages = []
    for name in names:
        candidates = [root / f"{name}{suffix}" for suffix in (".md", ".ipynb", ".rst")]
        found = next((path for path in candidates if path.exists()), candidates[0])
        pages.append(found)
    return pages


def is_notebook_source(path: Path) -> bool:
    """True for a MyST markdown notebook (a ``.md`` file with a jupytext header)."""
    if path.suffix != ".md" or not path.exists():
        return False
    head = path.read_text(encoding="utf-8")[:600]
    return head.startswith("---") and "jupytext:" in head


def notebook_pages(root: Path = REPO_ROOT) -> list[Path]:
    """The paired ``.ipynb`` of every executable page in the toc, in toc order."""
    return [page.with_suffix(".ipynb") for page in toc_files(root) if is_notebook_source(page)]


def check_site(html_dir: Path, root: Path = REPO_ROOT) -> list[str]:
    """Problems in the built site: every executable page needs a Colab link to its ``.ipynb``."""
    problems = []
    for notebook in notebook_pages(root):
        relative = notebook.relative_to(root)
        page = html_dir / relative.with_suffix(".html")
        if not page.exists():
            problems.append(f"{page} was not built")
            continue
        expected = f"colab.research.google.com/github/{repository_url(root).split('github.com/', 1)[1]}/blob/"
        html = page.read_text(encoding="utf-8")
        if f"{expected}" not in html or f"/{relative.as_posix()}" not in html:
            problems.append(f"{page}: no Colab launch link ending in /{relative.as_posix()}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m authoring.book notebooks|sources|check-site``: used by the Makefile."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["notebooks", "sources", "check-site"])
    args = parser.parse_args(argv)
    if args.what == "check-site":
        problems = check_site(REPO_ROOT / "_build" / "html")
        print("\n".join(problems) or "Site check: every notebook page has its Colab link.")
        return 1 if problems else 0
    pages = notebook_pages()
    for page in pages:
        path = page if args.what == "notebooks" else page.with_suffix(".md")
        print(path.relative_to(REPO_ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
