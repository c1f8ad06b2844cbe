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

import dataclasses
import gzip
import hashlib
import http.server
import io
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.pipeline import make_pipeline

from skirnet.datasets import _download, composition, structure
from skirnet.datasets._download import ChecksumError, DownloadError, PinnedWheel
from skirnet.featurizers import CompositionFeaturizer, featurize_to_folder

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


# -------------------------------------------------------------- composition dataset files

ROWS = "formula,target\nNaCl,-2.1\nNaN,-0.5\nNA,1.0\nNone,2.0\nFe2O3,-1.7\n"


@pytest.fixture
def wheel_home(tmp_path, monkeypatch):
    """A data home holding a pinned (fake) crabnet wheel for the Matbench jdft2d set, whose
    published size is made that of the fake file; no shared folder, no network."""
    monkeypatch.delenv("SKIRNET_SHARED_DATA", raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("SKIRNET_DATA", str(home))
    wheel = home / "downloads" / "crabnet-2.0.8-py3-none-any.whl"
    wheel.parent.mkdir(parents=True)
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("crabnet/data/matbench/jdft2d.csv", ROWS)
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    monkeypatch.setattr(
        _download, "CRABNET_WHEEL", PinnedWheel("crabnet", "2.0.8", wheel.name, sha)
    )
    meta = composition.DATASETS["matbench_jdft2d"]
    monkeypatch.setitem(
        composition.DATASETS, meta.name, dataclasses.replace(meta, sizes={"all": 5})
    )
    return home


def _load_jdft2d(**kwargs):
    return composition.load_composition_dataset("matbench_jdft2d", None, **kwargs)


@pytest.mark.parametrize("damage", ["truncated", "flipped", "empty"])
def test_damaged_extracted_dataset_file_is_extracted_again(wheel_home, damage):
    X, y = _load_jdft2d(return_X_y=True)
    # text formulas are formulas: sodium nitride, not a missing value
    assert X.tolist() == ["NaCl", "NaN", "NA", "None", "Fe2O3"]
    cached = wheel_home / "composition" / "matbench" / "jdft2d.csv.gz"
    whole = cached.read_bytes()
    if damage == "truncated":
        _truncate(cached)
    elif damage == "flipped":
        _flip(cached, len(whole) // 2, 0xFF)
    else:
        cached.write_bytes(b"")
    with pytest.warns(UserWarning, match=f"{cached}.*extracting it again") as caught:
        X2, y2 = _load_jdft2d(return_X_y=True)
    assert len(caught) == 1
    assert X2.tolist() == X.tolist() and y2.tolist() == y.tolist()
    assert cached.read_bytes() == whole
    assert _names(cached.parent) == ["jdft2d.csv.gz"]
    # without download=False the damage is an error naming the file
    _truncate(cached)
    with pytest.raises(ValueError) as exc:
        _load_jdft2d(download=False)
    _one_line(exc, cached)


@pytest.fixture
def shared_home(tmp_path, monkeypatch):
    """An empty shared data folder and data home; the test puts dataset files in it."""
    shared = tmp_path / "shared"
    monkeypatch.setenv("SKIRNET_SHARED_DATA", str(shared))
    monkeypatch.setenv("SKIRNET_DATA", str(tmp_path / "home"))
    (shared / "composition" / "matbench").mkdir(parents=True)
    (shared / "structure").mkdir()
    return shared


def _gz(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data, mtime=0))
    return path


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"truncated", "cannot read {path} as a CSV table: Compressed file ended"),
        (b"flipped", "cannot read {path} as a CSV table: CRC check failed"),
        (b"formula,target\nNaCl,1.0\n\nMgO,2.0\n", "{path} has an empty formula at data row 1 (file line 3)"),
        (b"formula,target\nNaCl,1.0\nMgO,\n", "target column 'target' in {path} has 1 missing value(s); the first at data row 1 (file line 3)"),
        (b"formula,target\nNaCl,1.0\nMgO,abc\n", "first non-numeric value 'abc' at data row 1 (file line 3)"),
        (b"formula,target,formula\nNaCl,1.0,Fe\n", "{path} has 2 columns named 'formula' (columns 1 and 3)"),
        (b"formula,target\nNaCl,1.0\nFe\xe9,2.0\n", "cannot read {path} as a CSV table: not UTF-8 text (it holds the byte 0xe9)"),
        (b"formula,y\nNaCl,1.0\n", "{path} lacks column(s) ['target']"),
        (b"", "the file {path} is empty"),
    ],
    ids=["truncated", "flipped", "blank-line", "missing-target", "text-target", "duplicate-column", "latin-1", "no-target", "empty"],
)  # fmt: skip
def test_damaged_shared_dataset_file_is_one_line_naming_it(shared_home, content, expected):
    path = shared_home / "composition" / "matbench" / "jdft2d.csv.gz"
    good = b"formula,target\n" + b"NaCl,1.0\nMgO,2.0\n" * 2000
    _gz(path, good if content in (b"truncated", b"flipped") else content)
    if content == b"truncated":
        _truncate(path)
    elif content == b"flipped":
        _flip(path, len(path.read_bytes()) // 2, 0xFF)
    with pytest.raises(ValueError) as exc:
        _load_jdft2d()
    _one_line(exc, expected.format(path=path))
    assert _names(path.parent) == ["jdft2d.csv.gz"]  # nothing written beside it


def test_a_dataset_file_short_of_rows_is_said(shared_home):
    path = _gz(shared_home / "composition" / "matbench" / "jdft2d.csv.gz", ROWS.encode())
    with pytest.warns(UserWarning, match=f"{path} holds 5 rows; the published matbench_jdft2d has 636"):  # fmt: skip
        X, _ = _load_jdft2d(return_X_y=True)
    assert X.tolist() == ["NaCl", "NaN", "NA", "None", "Fe2O3"]


# ---------------------------------------------------------------- structure dataset files

_CIF = """# generated
data_Po
_cell_length_a 3.35
_cell_length_b 3.35
_cell_length_c 3.35
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'P 1'
loop_
 _atom_site_label
 _atom_site_type_symbol
 _atom_site_fract_x
 _atom_site_fract_y
 _atom_site_fract_z
 Po1 Po 0 0 0
"""


def _mp_2018(shared: Path, rows: int = 3) -> Path:
    frame = pd.DataFrame(
        {
            "material_id": [f"mp-{i}" for i in range(rows)],
            "e_form": np.linspace(-1, 1, rows),
            "band_gap": 0.0,
            "efermi": 1.0,
            "volume": 37.6,
            "magmom": 0.0,
            "cif": _CIF,
        }
    )
    return _gz(shared / "structure" / "mp_2018_36737.csv.gz", frame.to_csv(index=False).encode())


def test_mp_2018_damaged_or_short_is_named(shared_home):
    path = _mp_2018(shared_home, rows=300)
    with pytest.warns(UserWarning, match=f"{path} holds 300 rows; the published mp_2018 has 36737"):  # fmt: skip
        ds = structure.load_structure_dataset("mp_2018", parse=False)
    assert ds.ids[:2].tolist() == ["mp-0", "mp-1"] and len(ds.data) == 300
    _truncate(path)
    with pytest.raises(ValueError) as exc:
        structure.load_structure_dataset("mp_2018", parse=False)
    _one_line(exc, f"cannot read {path} as a CSV table")


def test_damaged_phonons_download_is_downloaded_again(shared_data, tmp_path, monkeypatch):
    real = (shared_data / "structure" / "matbench_phonons.json.gz").read_bytes()
    monkeypatch.delenv("SKIRNET_SHARED_DATA", raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("SKIRNET_DATA", str(home))
    meta = structure.STRUCTURE_DATASETS["matbench_phonons"]
    cached = home / meta.relpath
    cached.parent.mkdir(parents=True)
    cached.write_bytes(real[: len(real) // 2])  # a download cut short, from elsewhere
    with pytest.raises(ValueError) as exc:
        structure.load_structure_dataset("matbench_phonons", parse=False, download=False)
    _one_line(exc, f"{cached} is damaged: its SHA-256 is", meta.remote.sha256)
    with _Server(real) as server:
        served = dataclasses.replace(meta, remote=_download.PinnedFile(server.url, meta.remote.sha256))  # fmt: skip
        monkeypatch.setitem(structure.STRUCTURE_DATASETS, meta.name, served)
        with pytest.warns(UserWarning, match=f"{cached} is damaged.*downloading it again"):
            ds = structure.load_structure_dataset("matbench_phonons", parse=False, n_rows=3)
    assert cached.read_bytes() == real and _names(cached.parent) == [cached.name]
    assert ds.ids.tolist() == [0, 1, 2] and isinstance(ds.data[0], dict)


def test_damaged_phonons_file_in_the_shared_folder_is_refused(shared_data, shared_home):
    real = (shared_data / "structure" / "matbench_phonons.json.gz").read_bytes()
    path = shared_home / "structure" / "matbench_phonons.json.gz"
    path.write_bytes(real)
    _flip(path, len(real) // 2)
    with pytest.raises(ValueError) as exc:
        structure.load_structure_dataset("matbench_phonons", parse=False)
    _one_line(exc, f"{path} is damaged", "delete it or replace it")


# ------------------------------------------------------------------- Parquet tables


def _parquet(path: Path, rows: int = 5000, checksums: bool = True) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.DataFrame(
        {
            "formula": [f"Na{i + 1}Cl" for i in range(rows)],
            "target": np.random.default_rng(SEED).normal(size=rows),
        }
    )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, compression=None, write_page_checksum=checksums)
    return frame


def test_a_flipped_byte_in_a_parquet_page_is_named_not_read(tmp_path):
    from skirnet.datasets import read_table
    from skirnet.screening import iter_table_formulas

    path = tmp_path / "t.parquet"
    frame = _parquet(path)
    assert read_table(path, return_X_y=True)[0].tolist() == frame["formula"].tolist()
    # a byte of the targets' page: a number that would be read as another number
    offset = path.read_bytes().find(frame["target"].to_numpy()[100:102].tobytes())
    _flip(path, offset + 3)
    with pytest.raises(ValueError) as exc:
        read_table(path)
    _one_line(exc, f"cannot read {path} as a Parquet file", "CRC checksum verification failed")
    # and one of the formulas' page, read in chunks by the screening
    path.unlink()
    _parquet(path)
    _flip(path, path.read_bytes().find(b"Na2000Cl") + 2)
    with pytest.raises(ValueError) as exc:
        sum(iter_table_formulas(path, chunk_size=1000), [])
    _one_line(exc, f"cannot read {path} as a Parquet file")


def test_a_truncated_parquet_file_is_named(tmp_path):
    from skirnet.datasets import read_table
    from skirnet.screening import iter_table_formulas

    path = tmp_path / "t.parquet"
    _parquet(path, checksums=False)
    _truncate(path, 0.9)
    with pytest.raises(ValueError) as exc:
        read_table(path)
    _one_line(exc, f"cannot read {path} as a Parquet file")
    with pytest.raises(ValueError) as exc:
        list(iter_table_formulas(path))
    _one_line(exc, f"cannot read {path} as a Parquet file")


# ----------------------------------------------------------------------------- screening


class _Column(RegressorMixin, BaseEstimator):
    """Predicts the first feature; raises on a chunk of fewer than ``fail_below`` rows
    (the screen's last, short chunk): a task that fails on a worker."""

    def __init__(self, fail_below: int = 0) -> None:
        self.fail_below = fail_below

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict(self, X):
        X = np.asarray(X)
        if len(X) < self.fail_below:
            raise RuntimeError("the worker failed")
        return X[:, 0]


FORMULAS = ["NaCl", "MgO", "Fe2O3", "SiO2", "Al2O3", "LiF", "KBr", "CaO", "ZnS", "GaAs"]


def _screen_model(fail_below: int = 0):
    return make_pipeline(CompositionFeaturizer(), _Column(fail_below)).fit(FORMULAS)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with distributed.Client(
        processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None
    ) as client:
        yield client


@pytest.mark.parametrize("where", ["local", "dask"])
def test_screen_failing_midway_keeps_the_previous_output(tmp_path, where, request):
    from skirnet.screening import screen

    client = request.getfixturevalue("dask_client") if where == "dask" else None
    output = tmp_path / "screen.parquet"
    first = screen(_screen_model(), FORMULAS, output, chunk_size=4, client=client)
    assert first.n_candidates == 10
    before = output.read_bytes()
    with pytest.raises(RuntimeError, match="the worker failed"):  # chunks of 4, 4, then 2
        screen(_screen_model(fail_below=3), FORMULAS, output, chunk_size=4, client=client)
    assert output.read_bytes() == before and _names(tmp_path) == ["screen.parquet"]


def test_screen_write_failing_midway_leaves_no_file(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    from skirnet.screening import screen

    original = pq.ParquetWriter.write_table
    calls = [0]

    def full_disk(self, table, *args, **kwargs):
        calls[0] += 1
        if calls[0] == 2:
            raise OSError(28, "No space left on device")
        return original(self, table, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", full_disk)
    with pytest.raises(OSError, match="No space left"):
        screen(_screen_model(), FORMULAS, tmp_path / "screen.parquet", chunk_size=4)
    assert _names(tmp_path) == []


def test_two_screens_of_one_output_at_once_leave_one_whole_file(tmp_path):
    from skirnet.screening import screen

    output = tmp_path / "screen.parquet"
    results, errors = [], []

    def run(formulas):
        try:
            results.append(screen(_screen_model(), formulas, output, chunk_size=2))
        except Exception as exc:  # pragma: no cover - the failure the test looks for
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f,)) for f in (FORMULAS, FORMULAS[:6])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(results) == 2
    written = pd.read_parquet(output)["formula"].tolist()
    assert written in (FORMULAS, FORMULAS[:6])
    assert _names(tmp_path) == ["screen.parquet"]


def test_screen_output_pages_carry_checksums(tmp_path):
    import pyarrow.parquet as pq

    from skirnet.screening import screen

    output = tmp_path / "screen.parquet"
    screen(_screen_model(), FORMULAS * 50, output, chunk_size=100)
    assert pq.read_table(output, page_checksum_verification=True).num_rows == 500
    # a formula of a page: neither the smallest nor the largest, so in no statistics
    offset = output.read_bytes().find(b"GaAs")
    assert offset > 4
    _flip(output, offset + 1)
    with pytest.raises(OSError, match="CRC checksum verification failed"):
        pq.read_table(output, page_checksum_verification=True)


# ------------------------------------------------------------------ featurization caches

ROWS_TO_FEATURIZE = ["NaCl", "Fe2O3", "MgO", "Xx2", "SiO2"]


def _featurize(folder: Path):
    return featurize_to_folder(
        CompositionFeaturizer(), ROWS_TO_FEATURIZE, folder, chunk_size=2, progress_bar=False
    )


@pytest.mark.parametrize("damage", ["truncated", "flipped", "empty", "other-rows"])
def test_damaged_feature_chunk_is_featurized_again(tmp_path, damage):
    X, failures = _featurize(tmp_path)
    chunk = tmp_path / "chunk-00000.npz"
    if damage == "truncated":
        _truncate(chunk)
    elif damage == "flipped":
        _flip(chunk, len(chunk.read_bytes()) // 2)
    elif damage == "empty":
        chunk.write_bytes(b"")
    else:  # another chunk's file of the same shape, copied over it
        shutil.copy(tmp_path / "chunk-00001.npz", chunk)
    with pytest.warns(UserWarning, match=f"{chunk} cannot be used .*featurizing its rows again"):
        X2, failures2 = _featurize(tmp_path)
    pd.testing.assert_frame_equal(X2, X)
    pd.testing.assert_frame_equal(failures2, failures)
    with warnings.catch_warnings():  # rewritten whole: read back without a word
        warnings.simplefilter("error")
        pd.testing.assert_frame_equal(_featurize(tmp_path)[0], X)


def test_damaged_feature_manifest_is_one_line_naming_it(tmp_path):
    _featurize(tmp_path)
    _truncate(tmp_path / "manifest.json")
    with pytest.raises(ValueError) as exc:
        _featurize(tmp_path)
    _one_line(exc, tmp_path / "manifest.json", "delete the folder")


def test_feature_chunk_write_failing_midway_leaves_no_chunk(tmp_path, monkeypatch):
    monkeypatch.setattr(np, "savez", _write_then_fail(np.savez))
    with pytest.raises(OSError, match="No space left"):
        _featurize(tmp_path)
    assert _names(tmp_path) == ["manifest.json"]
    monkeypatch.undo()
    X, _ = _featurize(tmp_path)
    assert X.shape == (5, 145)


_FEATURIZE_IN_A_PROCESS = """
import sys
from skirnet.featurizers import CompositionFeaturizer, featurize_to_folder
rows = sys.argv[2].split(",")
X, _ = featurize_to_folder(CompositionFeaturizer(), rows, sys.argv[1], chunk_size=1,
                           progress_bar=False)
X.to_csv(sys.stdout)
"""


@pytest.mark.slow  # two processes importing pymatgen: some 10 s on a busy machine
def test_two_processes_featurizing_into_one_folder(tmp_path):
    rows = ",".join(["NaCl", "Fe2O3", "MgO", "SiO2", "Al2O3", "LiF", "KBr", "CaO"] * 3)
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _FEATURIZE_IN_A_PROCESS, str(tmp_path / "f"), rows],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    assert "cannot be used" not in "".join(err for _, err in outputs)
    assert outputs[0][0] == outputs[1][0]
    assert not [n for n in _names(tmp_path / "f") if n.endswith(".partial")]


def test_damaged_structure_feature_cache_entry_is_computed_again(tmp_path):
    from pymatgen.core import Lattice, Structure

    from skirnet.featurizers import StructureFeaturizer

    crystal = Structure(Lattice.cubic(4.12), ["Cs", "Cl"], [[0, 0, 0], [0.5] * 3])

    def featurize():
        featurizer = StructureFeaturizer(composition=False, memory=str(tmp_path))
        return featurizer.fit(None).transform([crystal])

    expected = featurize()
    [entry] = tmp_path.rglob("output.pkl")
    whole = entry.read_bytes()
    # one number of the stored attributes changed on disk: joblib would return it as is
    _flip(entry, whole.find(expected[0, 3:5].tobytes()) + 2, 0x10)
    with pytest.warns(UserWarning, match=f"cached result in {tmp_path}.* is damaged"):
        again = featurize()
    np.testing.assert_array_equal(again, expected)
    assert entry.read_bytes() == whole  # stored again, whole


# ----------------------------------------------------------------- training checkpoints


def _checkpoint_fit(folder: Path, seed: int = SEED, epochs: int = 2, checkpoint=None):
    """A tiny network fitted with a checkpoint in ``folder`` (resuming from it)."""
    from skirnet import IRNetRegressor
    from skirnet.callbacks import TrainingCheckpoint

    X = np.random.RandomState(seed).normal(size=(64, 4)).astype(np.float32)
    net = IRNetRegressor(
        hidden_layer_sizes="8x2", max_epochs=epochs, random_state=seed, verbose=0,
        callbacks=[(checkpoint or TrainingCheckpoint)(folder)],
    )  # fmt: skip
    return net.fit(X, X.sum(axis=1))


def _interrupted_fit(folder: Path, stop_after: int, epochs: int) -> None:
    """A fit of ``epochs`` epochs stopped (as by Ctrl-C) once ``stop_after`` are saved."""
    from skirnet.callbacks import TrainingCheckpoint

    class StopAfter(TrainingCheckpoint):
        def on_epoch_end(self, net, **kwargs):
            super().on_epoch_end(net, **kwargs)
            if len(net.history) == stop_after:
                raise KeyboardInterrupt

    _checkpoint_fit(folder, epochs=epochs, checkpoint=StopAfter)


@pytest.mark.parametrize(
    ("damage", "file", "expected"),
    [
        ("truncate", "state.safetensors", "differs from the"),
        ("flip", "state.safetensors", "differs from the"),
        ("truncate", "state.json", "damaged"),
        ("delete", "state.safetensors", "missing from the checkpoint"),
        ("list", "state.json", "not a checkpoint"),
    ],
)
def test_damaged_checkpoint_is_one_line_naming_the_file(tmp_path, damage, file, expected):
    folder = tmp_path / "ck"
    _checkpoint_fit(folder)
    path = folder / file
    if damage == "truncate":
        _truncate(path)
    elif damage == "flip":
        _flip(path, -20)  # in the tensors, past the header: read silently before
    elif damage == "delete":
        path.unlink()
    else:
        path.write_text("[]")
    with pytest.raises(ValueError) as exc:
        _checkpoint_fit(folder)
    _one_line(exc, path, expected, f"delete {folder}")


def test_checkpoint_write_failing_midway_keeps_the_previous_one(tmp_path, monkeypatch):
    import safetensors.torch

    folder = tmp_path / "ck"
    _interrupted_fit(folder, stop_after=1, epochs=2)
    before = {name: (folder / name).read_bytes() for name in _names(folder)}

    def half_written(tensors, filename, *args, **kwargs):
        data = safetensors.torch.save(tensors)
        Path(filename).write_bytes(data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safetensors.torch, "save_file", half_written)
    with pytest.raises(OSError, match="No space left"):
        _checkpoint_fit(folder, epochs=2)
    assert {name: (folder / name).read_bytes() for name in _names(folder)} == before
    assert _names(tmp_path) == ["ck"]  # no temporary folder beside it


def test_checkpoint_refuses_a_folder_holding_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="notes.txt.*a folder of its own"):
        _checkpoint_fit(tmp_path, epochs=1)
    assert _names(tmp_path) == ["notes.txt"]


def test_checkpoint_written_before_the_checksum_still_resumes(tmp_path):
    folder = tmp_path / "ck"
    straight = _checkpoint_fit(tmp_path / "straight", epochs=3)
    # a checkpoint after two epochs, its state.json as the earlier format wrote it
    _interrupted_fit(folder, stop_after=2, epochs=3)
    config = json.loads((folder / "state.json").read_text())
    del config["tensors_sha256"]
    (folder / "state.json").write_text(json.dumps(config))
    resumed = _checkpoint_fit(folder, epochs=3)
    X = np.random.RandomState(SEED).normal(size=(64, 4)).astype(np.float32)
    np.testing.assert_array_equal(resumed.predict(X), straight.predict(X))


_SAVE_CHECKPOINTS = """
import sys, time
from pathlib import Path
from skirnet import _atomic
if sys.argv[4] == "renames":  # systems without an atomic folder swap
    _atomic._exchange = lambda a, b: False
sources, target = [Path(sys.argv[1]), Path(sys.argv[2])], Path(sys.argv[3])
files = [{p.name: p.read_bytes() for p in s.iterdir()} for s in sources]

def writer(contents):
    def write(folder):
        for name, data in contents.items():
            (folder / name).write_bytes(data)
    return write

(target.parent / "started").touch()
deadline, saves = time.monotonic() + 2.0, 0
while time.monotonic() < deadline:
    _atomic.replace_folder(target, writer(files[(saves + 1) % 2]), list(files[0]))
    saves += 1
(target.parent / "done").touch()
print(saves)
"""


@pytest.mark.parametrize("swap", ["exchange", "renames"])
def test_checkpoint_read_while_another_process_saves_is_one_save(tmp_path, swap):
    from skirnet.callbacks._checkpoint import _read_checkpoint

    sources = [tmp_path / "a", tmp_path / "b"]
    for seed, folder in enumerate(sources):
        _checkpoint_fit(folder, seed=seed, epochs=1 + seed)
    expected = {}
    for folder in sources:
        config, tensors = _read_checkpoint(folder)
        expected[config["tensors_sha256"]] = (len(config["history"]), tensors)
    target = tmp_path / "work" / "ck"
    target.parent.mkdir()
    shutil.copytree(sources[0], target)
    writer = subprocess.Popen(
        [sys.executable, "-c", _SAVE_CHECKPOINTS, *map(str, sources), str(target), swap],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    seen = {key: 0 for key in expected}
    try:
        deadline = time.monotonic() + 120
        while not (target.parent / "started").exists():
            assert writer.poll() is None and time.monotonic() < deadline, writer.stderr.read()
            time.sleep(0.005)
        while not (target.parent / "done").exists() and writer.poll() is None:
            config, tensors = _read_checkpoint(target)
            epochs, whole = expected[config["tensors_sha256"]]
            assert len(config["history"]) == epochs  # state.json of the same save
            assert tensors.keys() == whole.keys()
            assert all(tensors[k].equal(whole[k]) for k in whole)
            seen[config["tensors_sha256"]] += 1
    finally:
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert int(out) > 10 and all(count > 0 for count in seen.values()), (out, seen)


# -------------------------------------------------------------------------- user data


def test_structures_changed_while_read_are_refused(tmp_path, monkeypatch, shared_data):
    from skirnet import user_data
    from skirnet.datasets import content_key
    from skirnet.featurizers import featurizer_for

    folder = tmp_path / "crystals"
    shutil.copytree(shared_data / "structure" / "jarvis_sample_poscar", folder)
    original = user_data.read_structures

    def read_then_edit(path, **kwargs):
        bunch = original(path, **kwargs)
        table = Path(path) / "id_prop.csv"
        table.write_text(table.read_text().replace(",", ",1", 1))  # a writer meanwhile
        return bunch

    monkeypatch.setattr(user_data, "read_structures", read_then_edit)
    with pytest.raises(ValueError) as exc:
        user_data.read_user_data(folder)
    _one_line(exc, f"{folder} changed while it was being read")
    monkeypatch.undo()
    data = user_data.read_user_data(folder)
    assert data.key == content_key(folder)
    cache = user_data.feature_cache_dir(data, featurizer_for("structure"))
    (folder / "id_prop.csv").write_text("edited")  # after the read: the cache keeps its key
    assert user_data.feature_cache_dir(data, featurizer_for("structure")) == cache


# ---------------------------------------------------------------- stored calibrations


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """A saved model with a calibration, and another with a different one."""
    from skirnet import pretrained
    from skirnet.pipeline import save_pipeline

    pipe = pretrained.load("oqmd-formation-enthalpy")
    folder = tmp_path_factory.mktemp("calibrated")

    def calibration(scale):
        return {"conformal": {"format": 1, "method": "split",
                              "conformity_scores": [0.01 * scale * i for i in range(1, 40)]},
                "rows": 39}  # fmt: skip

    return [save_pipeline(pipe, folder / f"m{i}", calibration=calibration(i + 1)) for i in range(2)]  # fmt: skip


def test_damaged_or_foreign_calibration_is_named(calibrated, tmp_path):
    from skirnet.intervals import read_calibration

    folder = tmp_path / "m"
    shutil.copytree(calibrated[0], folder)
    path = folder / "conformal.json"
    assert read_calibration(folder)["rows"] == 39
    text = path.read_text()
    path.write_text(text.replace("0.02", "0.03", 1))  # one number edited, still valid JSON
    with pytest.raises(ValueError) as exc:
        read_calibration(folder)
    _one_line(exc, path, "recorded in", "not the calibration saved with this model")
    shutil.copy(calibrated[1] / "conformal.json", path)  # another model's
    with pytest.raises(ValueError, match="not the calibration saved with this model"):
        read_calibration(folder)
    path.unlink()
    with pytest.raises(ValueError) as exc:
        read_calibration(folder)
    _one_line(exc, path, "missing, but", "records a calibration")
    # a folder saved before pipeline.json recorded the SHA-256 reads as it did
    spec = json.loads((folder / "pipeline.json").read_text())
    del spec["calibration_sha256"]
    (folder / "pipeline.json").write_text(json.dumps(spec))
    assert read_calibration(folder) is None
    path.write_text(text)
    assert read_calibration(folder)["rows"] == 39


# ------------------------------------------------------------ comparison results, registry


def test_comparison_save_failing_midway_leaves_no_results_json(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from skirnet.comparison import build_models, run_comparison
    from skirnet.pipeline import TrainingSettings

    rng = np.random.RandomState(SEED)
    X = rng.normal(size=(60, 4))
    settings = TrainingSettings(progress=False)
    result = run_comparison(build_models(["ridge"], [17], settings), X, X.sum(axis=1), settings=settings)  # fmt: skip
    out = tmp_path / "out"
    result.save(out)
    before = _names(out)
    monkeypatch.setattr(Figure, "savefig", _write_then_fail(Figure.savefig, 200, method=True))
    with pytest.raises(OSError, match="No space left"):
        result.save(out)
    assert "results.json" not in _names(out)  # the mark of a whole save is gone
    assert _names(out) == [n for n in before if n != "results.json"]  # no temporary file
    monkeypatch.undo()
    result.save(out)
    assert json.loads((out / "results.json").read_text())["summary"][0]["model"] == "Ridge"


def test_a_damaged_model_registry_is_named(tmp_path, monkeypatch):
    from skirnet import _shipped_models as _registry

    (tmp_path / "cards.json").write_text('{"oqmd-formation-enthalpy": {"tar')
    monkeypatch.setattr(_registry, "MODELS_DIR", tmp_path)
    _registry._cards.cache_clear()
    try:
        with pytest.raises(ValueError) as exc:
            _registry.list_models()
        _one_line(exc, tmp_path / "cards.json", "reinstall skirnet")
    finally:
        monkeypatch.undo()
        _registry._cards.cache_clear()


def test_regenerating_the_shipped_sample_failing_midway_keeps_it(tmp_path, monkeypatch):
    from skirnet.datasets.data import make_sample

    frame = pd.DataFrame({"formula": ["NaCl"] * 30_000, "target": 1.0, "split": "train"})
    monkeypatch.setattr(
        make_sample, "load_composition_dataset",
        lambda *args, **kwargs: type("B", (), {"frame": frame})(),
    )  # fmt: skip
    out = tmp_path / "sample.csv.gz"
    out.write_bytes(b"shipped")
    original = gzip.GzipFile.write

    def full_disk(self, data):
        original(self, data[:100])  # part of the table, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(gzip.GzipFile, "write", full_disk)
    with pytest.raises(OSError, match="No space left"):
        make_sample.make_sample(out)
    assert out.read_bytes() == b"shipped" and _names(tmp_path) == ["sample.csv.gz"]
    monkeypatch.setattr(gzip.GzipFile, "write", original)
    make_sample.make_sample(out)
    assert pd.read_csv(out).shape == (22_000, 3)
