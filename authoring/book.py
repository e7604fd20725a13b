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

__all__ = [
    "COLAB_PRELUDE",
    "REPO_ROOT",
    "book_root",
    "colab_install_url",
    "colab_prelude",
    "colab_url",
    "edition_branch",
    "notebook_pages",
    "repository_url",
    "site_url",
    "toc_entries",
    "toc_files",
]

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


# The first lines of every chapter's setup cell (tests/test_book.py checks all of them
# against it; the notebook edition replaces exactly these lines by its pinned install).
COLAB_PRELUDE = """\
import sys

if "google.colab" in sys.modules:  # Colab ships TensorFlow and Keras; add the companion only
    %pip install -q "{requirement}"
"""


def colab_prelude(root: Path = REPO_ROOT) -> str:
    """The Colab install lines that open each chapter's setup cell, for this repository."""
    return COLAB_PRELUDE.format(requirement=colab_install_url(root))


def _github_parts(root: Path) -> tuple[str, str]:
    url = repository_url(root)
    if not url.startswith("https://github.com/") or url.count("/") != 4:
        raise ValueError(
            f"repository.url in _config.yml must look like https://github.com/<org>/<repo>, got {url!r}."
        )
    org, repo = url.removeprefix("https://github.com/").split("/")
    return org, repo


def site_url(root: Path = REPO_ROOT) -> str:
    """The published site's base URL, ending in ``/``: ``html.baseurl`` or the repository's Pages.

    The notebook edition links terms, citations and cross-references to pages under it.
    """
    config = _load_yaml(root / "_config.yml")
    base = str((config.get("html") or {}).get("baseurl") or "")
    if not base:
        org, repo = _github_parts(root)
        base = f"https://{org}.github.io/{repo}/"
    return base.rstrip("/") + "/"


def edition_branch(root: Path = REPO_ROOT) -> str:
    """The git branch the notebook edition is published to (``launch_buttons.colab_branch``)."""
    launch = _load_yaml(root / "_config.yml").get("launch_buttons") or {}
    branch = str(launch.get("colab_branch") or "")
    if not branch:
        raise ValueError(
            "_config.yml has no launch_buttons.colab_branch: add the branch the notebook "
            "edition is published to (e.g. `colab_branch: colab`)."
        )
    return branch


def colab_url(relative: str, root: Path = REPO_ROOT) -> str:
    """The Colab URL of the edition's notebook at ``relative`` (``book/cnn/inside.ipynb``)."""
    org, repo = _github_parts(root)
    return (
        f"https://colab.research.google.com/github/{org}/{repo}/blob/"
        f"{edition_branch(root)}/{relative}"
    )


def _walk(entries: Sequence[dict[str, Any]], caption: str) -> Iterator[tuple[str, str]]:
    for entry in entries:
        if "file" in entry:
            yield entry["file"], caption
        for key in ("chapters", "sections"):
            yield from _walk(entry.get(key, []), caption)


def toc_entries(root: Path = REPO_ROOT) -> list[tuple[str, str]]:
    """``(file, part caption)`` of every page in ``_toc.yml``, root first: the one reader of the toc."""
    toc = _load_yaml(root / "_toc.yml")
    entries = [(toc["root"], "")]
    for part in toc.get("parts", []):
        entries += _walk(part.get("chapters", []), part.get("caption", ""))
    entries += _walk(toc.get("chapters", []), "")
    return entries


def toc_files(root: Path = REPO_ROOT) -> list[Path]:
    """Every page named in ``_toc.yml`` (root first), as the source path that exists."""
    pages = []
    for name, _ in toc_entries(root):
        candidates = [root / f"{name}{suffix}" for suffix in (".md", ".ipynb", ".rst")]
        found = next((path for path in candidates if path.exists()), candidates[0])
        pages.append(found)
    return pages


def book_root(path: Path) -> Path:
    """The book a page belongs to: the nearest folder above it that holds ``_toc.yml``."""
    for folder in Path(path).resolve().parents:
        if (folder / "_toc.yml").exists():
            return folder
    raise ValueError(f"{path} is not inside a book (no _toc.yml in any folder above it).")


def is_notebook_source(path: Path) -> bool:
    """True for a MyST markdown notebook (a ``.md`` file with a jupytext header)."""
    if path.suffix != ".md" or not path.exists():
        return False
    head = path.read_text(encoding="utf-8")[:600]
    return head.startswith("---") and "jupytext:" in head


def notebook_pages(root: Path = REPO_ROOT) -> list[Path]:
    """The paired ``.ipynb`` of every executable page in the toc, in toc order."""
    return [page.with_suffix(".ipynb") for page in toc_files(root) if is_notebook_source(page)]


def check_site(html_dir: Path, root: Path = REPO_ROOT, notebooks: Path | None = None) -> list[str]:
    """Problems in the built site: every executable page needs a Colab link to its notebook.

    The link must open the page in the notebook edition (``colab_url``); with
    ``notebooks`` (the edition's folder), the notebook it names must have been written.
    """
    problems = []
    for notebook in notebook_pages(root):
        relative = notebook.relative_to(root).as_posix()
        page = html_dir / Path(relative).with_suffix(".html")
        if not page.exists():
            problems.append(f"{page} was not built")
            continue
        expected = colab_url(relative, root)
        if f'href="{expected}"' not in page.read_text(encoding="utf-8"):
            problems.append(f"{page}: no Colab launch link to {expected}")
        if notebooks is not None and not (notebooks / relative).exists():
            problems.append(f"{page}: its Colab link names {relative}, which the edition lacks")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m authoring.book notebooks|sources|check-site``: used by the Makefile."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["notebooks", "sources", "check-site"])
    parser.add_argument(
        "--slowest-first",
        action="store_true",
        help="notebooks: the slowest of the committed runs first (nbval's workers start them)",
    )
    args = parser.parse_args(argv)
    if args.what == "check-site":
        problems = check_site(
            REPO_ROOT / "_build" / "html", notebooks=REPO_ROOT / "_build" / "notebooks"
        )
        print("\n".join(problems) or "Site check: every notebook page opens its edition in Colab.")
        return 1 if problems else 0
    paths = [
        (page if args.what == "notebooks" else page.with_suffix(".md")).relative_to(REPO_ROOT)
        for page in notebook_pages()
    ]
    names = [path.as_posix() for path in paths]
    if args.slowest_first:
        from . import runtimes

        names = runtimes.slowest_first(names, runtimes.load_runs())
    print("\n".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
