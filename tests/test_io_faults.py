"""Every file skirnet reads or writes, under injected faults.

Model folders have their own tests (``test_model_files.py``, ``test_concurrent_saves.py``,
``test_cli_faults.py``); this file covers the rest: downloads and the dataset cache, the
dataset files, user tables, the featurization caches, screening output (local and on
Dask), training checkpoints, stored calibrations, comparison results and the shipped
registry. Each fault is real: a server that breaks the connection, a write that fails
after writing part of a file, a truncated or byte-flipped file, a writer process saving
while this one reads. The rules checked: a failed write leaves the previous file as it
was and no temporary file; a damaged file is never read as if whole (a cache is rebuilt
with a warning naming the file, anything else raises one line naming it); no row is
dropped or misread.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import socket
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from skirnet.datasets import _download
from skirnet.datasets._download import ChecksumError, DownloadError

SEED = 0


def _flip(path: Path, offset: int, mask: int = 0x01) -> None:
    """Flip bits of one byte of ``path`` (a negative offset counts from the end)."""
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _names(folder: Path) -> list[str]:
    """Every entry of ``folder``, hidden temporary files included."""
    return sorted(p.name for p in folder.iterdir())


def _one_line(exc: pytest.ExceptionInfo, *fragments: object) -> str:
    message = str(exc.value)
    assert "\n" not in message, message
    for fragment in fragments:
        assert str(fragment) in message, message
    return message


def _write_then_fail(original: Callable, limit: int = 64, method: bool = False) -> Callable:
    """``original(target, ...)`` (``original(self, target, ...)`` for a ``method``) that
    writes at most ``limit`` bytes into ``target`` (a path or an open file), then raises
    an OSError: a disk that fills up half-way through a file."""

    class Full(io.RawIOBase):
        def __init__(self, raw):
            self.raw, self.written = raw, 0

        def writable(self):
            return True

        def write(self, data):
            if self.written + len(data) > limit:
                self.raw.write(bytes(data)[: limit - self.written])
                self.raw.flush()
                raise OSError(28, "No space left on device")
            self.written += len(data)
            return self.raw.write(data)

    def failing(*args, **kwargs):
        owner, (target, *rest) = (args[:1], args[1:]) if method else ((), args)
        if hasattr(target, "write"):
            return original(*owner, Full(target), *rest, **kwargs)
        with open(target, "wb") as raw:
            return original(*owner, Full(raw), *rest, **kwargs)

    return failing


# ------------------------------------------------------------------ downloads, a real server


class _Server:
    """An HTTP server on the loopback interface that serves ``payload`` in one of a few
    ways; started and stopped by the test (a context manager)."""

    def __init__(self, payload: bytes, mode: str = "whole") -> None:
        self.payload, self.mode = payload, mode
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                data = server.payload
                self.send_response(200)
                if server.mode == "close":  # no length: the body ends with the connection
                    self.send_header("Connection", "close")
                else:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if server.mode == "whole":
                    self.wfile.write(data)
                    return
                self.wfile.write(data[: len(data) // 3])  # then the connection breaks
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/file.bin"

    def __enter__(self) -> _Server:
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


PAYLOAD = np.random.default_rng(SEED).bytes(600_000)
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


def test_download_cut_off_midway_keeps_the_previous_file(tmp_path):
    dest = tmp_path / "file.bin"
    dest.write_bytes(b"previous")
    with _Server(PAYLOAD, "cut") as server, pytest.raises(DownloadError) as exc:
        _download.download_file(server.url, dest, PAYLOAD_SHA, timeout=10)
    _one_line(exc, "broke off before the end", "partial file was discarded", dest)
    assert "offline" not in str(exc.value)
    assert dest.read_bytes() == b"previous" and _names(tmp_path) == ["file.bin"]


def test_download_ended_early_without_a_length_is_a_checksum_error(tmp_path):
    dest = tmp_path / "file.bin"
    dest.write_bytes(b"previous")
    with _Server(PAYLOAD, "close") as server, pytest.raises(ChecksumError) as exc:
        _download.download_file(server.url, dest, PAYLOAD_SHA, timeout=10)
    _one_line(exc, "checksum mismatch", "discarded")
    assert dest.read_bytes() == b"previous" and _names(tmp_path) == ["file.bin"]


def test_download_interrupted_while_writing_leaves_no_partial_file(tmp_path, monkeypatch):
    import requests

    original = requests.models.Response.iter_content

    def interrupted(self, *args, **kwargs):
        for number, chunk in enumerate(original(self, *args, **kwargs)):
            if number == 2:
                raise KeyboardInterrupt
            yield chunk

    monkeypatch.setattr(requests.models.Response, "iter_content", interrupted)
    dest = tmp_path / "file.bin"
    with _Server(PAYLOAD) as server, pytest.raises(KeyboardInterrupt):
        _download.download_file(server.url, dest, PAYLOAD_SHA, timeout=10)
    assert _names(tmp_path) == []


def test_concurrent_downloads_of_one_file_both_land_whole(tmp_path):
    dest = tmp_path / "file.bin"
    results: list[object] = []
    with _Server(PAYLOAD) as server:
        threads = [
            threading.Thread(
                target=lambda: results.append(
                    _download.download_file(server.url, dest, PAYLOAD_SHA, timeout=10)
                )
            )
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == [dest, dest]
    assert dest.read_bytes() == PAYLOAD and _names(tmp_path) == ["file.bin"]


def test_extraction_failing_midway_keeps_the_previous_file(tmp_path, monkeypatch):
    wheel = tmp_path / "w.zip"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("pkg/a.csv", "formula,target\n" + "NaCl,1.0\n" * 50_000)
    dest = tmp_path / "out" / "a.csv.gz"
    dest.parent.mkdir()
    dest.write_bytes(b"previous")
    original = gzip.GzipFile.write

    def full_disk(self, data):
        original(self, data[: len(data) // 2])  # half the member, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(gzip.GzipFile, "write", full_disk)
    with pytest.raises(OSError, match="No space left"):
        _download.extract_members(wheel, {"pkg/a.csv": dest})
    assert dest.read_bytes() == b"previous" and _names(dest.parent) == ["a.csv.gz"]
