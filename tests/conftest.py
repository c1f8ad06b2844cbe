"""Shared fixtures: small real data from ``../shared/data`` (skipped when it is absent)."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SKIRNET_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
BENCHMARKS = REPO_ROOT / "benchmarks"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder of the project's shared datasets; tests that need it skip when it is missing."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def http_server(tmp_path):
    """A static HTTP server on the loopback interface, serving ``tmp_path / "src"``.

    Yields the base URL (ending in ``/``); the server is shut down after the test.
    """
    import functools
    import http.server
    import threading

    root = tmp_path / "src"
    root.mkdir(exist_ok=True)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output clean
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def benchmarks_module(monkeypatch):
    """Import a module of ``benchmarks/`` by name: ``benchmarks_module("_common")``.

    ``benchmarks/`` is a folder of scripts, not a package: a script finds the shared modules
    beside it because Python puts the script's own folder first on ``sys.path`` when it runs
    ``python benchmarks/<script>.py`` (see ``benchmarks/_common.py``). A test does the same
    for its own duration only: the folder is on ``sys.path`` until the test ends, and the
    modules imported from it are forgotten then.
    """
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    before = set(sys.modules)
    yield importlib.import_module
    for name in set(sys.modules) - before:
        if Path(getattr(sys.modules[name], "__file__", None) or "").parent == BENCHMARKS:
            del sys.modules[name]
