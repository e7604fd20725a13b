"""The layers of ARCHITECTURE.md: which package may import what, and what each declares."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
COMPANION = ROOT / "companion"
AUTHORING_ONLY = {"authoring", "yaml", "jupytext", "nbformat", "sphinx", "docutils"}
# myst_nb is imported by notebook.glue inside try/except ImportError: optional, not authoring.
# Distribution names that differ from the import name.
IMPORT_NAMES = {"scikit-learn": "sklearn", "pyyaml": "yaml"}


def _imports(path: Path, *, module_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _companion_modules() -> list[Path]:
    return sorted(COMPANION.rglob("*.py"))


def test_companion_never_imports_the_authoring_side() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(found)
        for path in _companion_modules()
        if (found := _imports(path, module_level_only=False) & AUTHORING_ONLY)
    }
    assert not offenders, f"companion must not import authoring tools: {offenders}"


def test_companion_declares_every_package_it_imports() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {
        IMPORT_NAMES.get(name, name)
        for name in (
            re.split(r"[<>=!~\[ ;]", dep, maxsplit=1)[0].lower() for dep in project["dependencies"]
        )
    }
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    used = set().union(*(_imports(path, module_level_only=True) for path in _companion_modules()))
    undeclared = sorted(used - stdlib - declared - {"companion"})
    assert not undeclared, (
        f"companion imports {undeclared} at module level but pyproject.toml does not declare them"
    )


def test_companion_declares_every_data_file_it_ships() -> None:
    """A file in companion/ that is not Python (the benchmark results, py.typed) is package data."""
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    patterns = tool["setuptools"]["package-data"]["companion"]
    data = [
        path.relative_to(COMPANION)
        for path in COMPANION.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    ]
    assert data, "companion ships no data files? (expected at least py.typed and results/)"
    undeclared = [str(p) for p in data if not any(p.match(pattern) for pattern in patterns)]
    assert not undeclared, f"add these to [tool.setuptools.package-data] companion: {undeclared}"


def test_chapters_import_only_companion() -> None:
    pattern = re.compile(r"^\s*(?:from|import)\s+(authoring|benchmarks|tests)\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "book").rglob("*.md"))
        if path.name not in ("instructor-guide.md", "run-times.md")
        and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"chapters import our build tools: {offenders}"


@pytest.mark.slow
def test_companion_installs_alone_and_imports_every_module(tmp_path: Path, clean_venv) -> None:
    """What the Colab cell does: install companion alone, then import every module it ships."""
    python, install, clean_env = clean_venv
    install(str(ROOT))
    modules = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in _companion_modules()
        if path.name != "__init__.py"
    )
    script = (
        "import importlib, importlib.util, sys\n"
        f"modules = {modules!r}\n"
        "for name in modules: importlib.import_module(name)\n"
        f"leaked = [m for m in {sorted(AUTHORING_ONLY)!r} if importlib.util.find_spec(m)]\n"
        "assert not leaked, f'installing companion pulled in authoring packages: {leaked}'\n"
        "from companion import recipes\n"
        "assert recipes.load_results('cnn')['runs'], 'the benchmark results were not shipped'\n"
        "print(len(modules))\n"
    )
    result = subprocess.run(
        [str(python), "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
        env=clean_env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.strip()) == len(modules)
