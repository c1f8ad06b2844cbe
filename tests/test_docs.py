"""The documentation covers the public API: a new export cannot go undocumented.

The API reference (``docs/api.rst``) lists the public names in ``autosummary`` blocks; the
strict Sphinx build (``make docs``) then fails on any missing docstring or broken reference.
These tests check the sources without building, so they run in the default suite.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import skirnet

DOCS = Path(__file__).resolve().parent.parent / "docs"
API = DOCS / "api.rst"


def _autosummary_entries(text: str) -> list[tuple[str, str]]:
    """(current module, entry) of every item of every ``.. autosummary::`` block."""
    entries: list[tuple[str, str]] = []
    module = ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        match = re.match(r"^\.\. currentmodule::\s*(\S+)", line)
        if match:
            module = match[1]
        if line.startswith(".. autosummary::"):
            i += 1
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
                item = lines[i].strip()
                if item and not item.startswith(":"):
                    entries.append((module, item))
                i += 1
            continue
        i += 1
    return entries


def _resolve(module: str, entry: str) -> object:
    """Import ``module.entry`` (the entry may itself contain dots)."""
    parts = f"{module}.{entry}".split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(f"{module}.{entry}")


def _documented() -> list[tuple[str, str, object]]:
    return [(m, e, _resolve(m, e)) for m, e in _autosummary_entries(API.read_text())]


def test_api_reference_entries_import():
    entries = _documented()
    assert len(entries) > 30
    names = [f"{m}.{e}" for m, e, _ in entries]
    assert len(names) == len(set(names)), "an object is listed twice"


@pytest.mark.parametrize("name", [n for n in skirnet.__all__ if n != "__version__"])
def test_every_top_level_export_is_in_the_api_reference(name):
    text = API.read_text()
    assert re.search(rf"\b{re.escape(name)}\b", text), f"{name} is not in docs/api.rst"
    obj = getattr(skirnet, name)
    assert any(o is obj for _, _, o in _documented()), (
        f"skirnet.{name} is exported but has no autosummary entry in docs/api.rst"
    )


def _public_modules() -> list[str]:
    """Every module of the public API: no ``_`` in its path, not a deprecated alias.

    The command modules of :mod:`skirnet.cli` (one per command: its ``NAME``, options,
    ``register`` and ``run``) are the command line's, documented on the command-line page
    and the architecture page, not in the Python API reference.
    """
    import pkgutil

    names = ["skirnet"]
    for info in pkgutil.walk_packages(skirnet.__path__, "skirnet."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        if info.name.startswith("skirnet.cli."):
            continue
        module = importlib.import_module(info.name)
        if not (module.__doc__ or "").startswith("Deprecated"):
            names.append(info.name)
    return names


@pytest.mark.parametrize("module", _public_modules())
def test_every_public_module_lists_its_api_and_the_reference_documents_it(module):
    mod = importlib.import_module(module)
    assert hasattr(mod, "__all__"), f"{module} is public but has no __all__"
    documented = _documented()
    for name in mod.__all__:
        if name == "__version__":
            continue
        obj = getattr(mod, name)
        assert any(o is obj and e.split(".")[-1] == name for _, e, o in documented), (
            f"{module}.{name} is public but has no autosummary entry in docs/api.rst"
        )


def test_the_reference_documents_only_public_names():
    exported = {
        id(getattr(importlib.import_module(m), n))
        for m in _public_modules()
        for n in importlib.import_module(m).__all__
    }
    private = [f"{m}.{e}" for m, e, o in _documented() if id(o) not in exported]
    assert private == [], f"documented but in no public module's __all__: {private}"


def test_architecture_table_matches_the_code():
    from skirnet.nn import ARCHITECTURES, ResidualMLP

    text = (DOCS / "user_guide" / "estimators.rst").read_text()
    for depth, stacks in ARCHITECTURES.items():
        cells = ", ".join(f"{w}×{n}" for w, n in stacks)
        skips = [
            ResidualMLP(4, stacks, shortcut=s).n_skips for s in ("individual", "stacked", "none")
        ]
        row = (
            f"   * - {depth}\n     - {cells}\n     - {skips[0]}\n     - {skips[1]}\n"
            f"     - {skips[2]}\n"
        )
        assert row in text, f"the depth-{depth} row of the architecture table is stale"


def test_every_page_is_in_a_toctree():
    pages = {
        p.relative_to(DOCS).with_suffix("").as_posix()
        for p in DOCS.rglob("*")
        if p.suffix in {".rst", ".md"}
        and not p.relative_to(DOCS).parts[0].startswith(("_", "api"))
    }
    referenced = {"index"}
    for page in pages:
        source = (DOCS / page).with_suffix(".rst")
        if not source.exists():
            continue
        base = Path(page).parent
        for block in re.findall(r"\.\. toctree::\n((?:[ ]+.*\n|\n)+)", source.read_text()):
            for item in block.split("\n"):
                item = item.strip()
                if item and not item.startswith(":"):
                    referenced.add((base / item).as_posix())
    assert pages <= referenced, f"pages in no toctree: {sorted(pages - referenced)}"


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("sphinx") is None, reason="needs the docs extra")
def test_docs_build_strictly(tmp_path):
    sphinx = shutil.which("sphinx-build", path=str(Path(sys.executable).parent))
    cmd = ([sphinx] if sphinx else [sys.executable, "-m", "sphinx"]) + [
        "-W",
        "--keep-going",
        "-q",
        "-b",
        "html",
        str(DOCS),
        str(tmp_path / "html"),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-5000:]
