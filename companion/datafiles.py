"""What a valid dataset file looks like: the errors, the IDX format and the sha256 check.

The bottom layer of the data modules: :mod:`companion.fetchers` (where files come
from) and :mod:`companion.data` (the loaders) both build on it, and it imports
neither.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

__all__ = [
    "FILE_NAMES",
    "TEST_IMAGES",
    "TEST_LABELS",
    "TRAIN_IMAGES",
    "TRAIN_LABELS",
    "ChecksumMismatchError",
    "CorruptFileError",
    "DatasetError",
    "DatasetNotFoundError",
    "LabelRangeError",
    "check_sha256",
    "find_file",
    "parse_idx",
    "read_bytes",
    "read_idx",
    "write_idx",
]

IDX_MAGIC_IMAGES = 0x00000803  # unsigned bytes, 3 dimensions
IDX_MAGIC_LABELS = 0x00000801  # unsigned bytes, 1 dimension
FIX_HINT = (
    "Delete the file and call the loader again to fetch a fresh copy "
    "(in a clone of the course: `make data`)."
)

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
FILE_NAMES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


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


def write_idx(array: np.ndarray, path: str | os.PathLike[str]) -> Path:
    """Write a ``uint8`` array of 1 or 3 dimensions as an IDX file (gzip if ``.gz``).

    Used by the Keras fetcher, which stores the arrays it downloads in the published
    format (no chapter calls it).
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


def read_bytes(path: Path) -> bytes:
    """The bytes of a file, decompressed when its name ends in ``.gz``."""
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
    Used by the image loaders (no chapter calls it).
    """
    path = Path(path)
    return parse_idx(read_bytes(path), path)


def parse_idx(raw: bytes, path: Path) -> np.ndarray:
    """Parse the bytes of an IDX file read from ``path`` (named in every error)."""
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


def find_file(directory: Path, file_name: str) -> Path | None:
    """``directory/file_name`` or ``directory/file_name.gz``, whichever exists, else None."""
    for candidate in (directory / file_name, directory / f"{file_name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def check_sha256(raw: bytes, path: Path, expected: str, dataset: str) -> None:
    """Raise :class:`ChecksumMismatchError` naming the file unless ``raw`` hashes to ``expected``."""
    digest = hashlib.sha256(raw).hexdigest()
    if digest != expected:
        raise ChecksumMismatchError(
            f"{path}: sha256 of the decompressed bytes is {digest}, expected "
            f"{expected} (the published {dataset} file). The file is corrupted "
            f"or from a different release. {FIX_HINT}"
        )
