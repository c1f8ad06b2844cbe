"""Tests of skirnet.featurizers._base: the machinery every featurizer shares."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skirnet.featurizers import (
    BaseFeaturizer,
    CompositionFeaturizer,
    FeaturizationWarning,
    StructureFeaturizer,
)
from skirnet.featurizers._base import (
    PROGRESS_MIN_SECONDS,
    coerce_rows,
    featurize_many,
    show_progress,
)

FEATURIZERS = [CompositionFeaturizer, StructureFeaturizer]


def test_one_warning_class_and_one_base():
    assert issubclass(FeaturizationWarning, UserWarning)
    for cls in FEATURIZERS:
        assert issubclass(cls, BaseFeaturizer)
        params = cls().get_params()
        for name in ("column", "errors", "n_jobs", "progress_bar", "progress"):
            assert name in params, (cls.__name__, name)
        assert not hasattr(cls, "_validate_params_")


@pytest.mark.parametrize("cls", FEATURIZERS)
def test_feature_labels_and_citations(cls):
    f = cls()
    labels = f.feature_labels()
    assert labels and all(isinstance(x, str) for x in labels)
    assert list(f.fit(None).get_feature_names_out()) == labels
    cites = f.citations()
    assert cites and all(c.startswith("@article{") for c in cites)
    assert any("10.1016/j.commatsci.2018.05.018" in c for c in cites)  # matminer


@pytest.mark.parametrize("cls", FEATURIZERS)
@pytest.mark.parametrize(
    ("param", "value"),
    [("errors", "ignore"), ("n_jobs", 0), ("n_jobs", 2.0), ("progress_bar", "yes")],
)
def test_shared_parameters_are_validated(cls, param, value):
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter of {cls.__name__}"):
        cls(**{param: value}).fit(None)


def test_progress_rule_is_one_rule():
    assert PROGRESS_MIN_SECONDS == 3.0
    assert show_progress(None, 60, 0.05) and not show_progress(None, 59, 0.05)
    assert show_progress(None, 75_000, 4e-5) and not show_progress(None, 74_999, 4e-5)
    assert show_progress(True, 0, 0.0) and not show_progress(False, 10**9, 1.0)


def test_composition_bar_appears_by_estimated_work(monkeypatch, capsys):
    formulas = ["NaCl", "Fe2O3", "NaCl"]
    CompositionFeaturizer().fit_transform(formulas)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(CompositionFeaturizer, "_seconds_per_item", 1.5)  # 2 unique: 3 s
    CompositionFeaturizer().fit_transform(formulas)
    err = capsys.readouterr().err
    assert "CompositionFeaturizer" in err and "2/2" in err


def test_featurize_many_keeps_order_serial_and_parallel():
    items = list(range(23))
    serial = featurize_many(sum, items, seconds_per_item=0.0, chunk_size=(5, 5))
    assert serial == [sum(items[i : i + 5]) for i in range(0, 23, 5)]
    parallel = featurize_many(sum, items, n_jobs=2, seconds_per_item=0.0, chunk_size=(5, 5))
    assert parallel == serial
    # chunks are a quarter of a worker's share, clamped to the bounds
    assert len(featurize_many(len, items, n_jobs=2, seconds_per_item=0.0)) == 8
    assert featurize_many(len, [], seconds_per_item=0.0) == []


def _interrupt(chunk):
    raise KeyboardInterrupt


def test_featurize_many_raises_a_plain_keyboard_interrupt():
    with pytest.raises(KeyboardInterrupt) as excinfo:
        featurize_many(_interrupt, [1, 2], seconds_per_item=0.0, progress_bar=True)
    assert excinfo.value.__cause__ is None and excinfo.value.__suppress_context__


_CTRL_C_SCRIPT = textwrap.dedent(
    """
    import sys
    import time

    from skirnet.featurizers._base import featurize_many

    def work(chunk):  # pickled by value: the workers import nothing of skirnet
        time.sleep(0.2)
        return len(chunk)

    try:
        featurize_many(work, list(range(400)), n_jobs=2, progress_bar=True,
                       seconds_per_item=0.0, chunk_size=(5, 5), desc="work")
    except KeyboardInterrupt as exc:
        print("caught", type(exc).__name__, exc.__cause__, flush=True)
        sys.exit(130)
    print("finished without interruption", flush=True)
    """
)


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to a process group")
def test_ctrl_c_during_parallel_work_is_a_plain_keyboard_interrupt():
    proc = subprocess.Popen(
        [sys.executable, "-c", _CTRL_C_SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, like a terminal's job
    )
    try:
        err = b""
        deadline = time.monotonic() + 120
        # wait for 8 finished chunks: both workers are up and have run a task
        while not re.search(rb"\b([4-9]\d|\d{3})/400\b", err):
            assert time.monotonic() < deadline, err.decode(errors="replace")
            chunk = os.read(proc.stderr.fileno(), 4096)
            assert chunk, err.decode(errors="replace")
            err += chunk
        before = len(err)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        out, rest = proc.communicate(timeout=60)
        print((err + rest)[before:].decode(errors="replace"))  # shown on failure
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    after = (err + rest)[before:].decode(errors="replace")
    assert proc.returncode == 130, after
    assert out.decode().strip() == "caught KeyboardInterrupt None"
    assert "Traceback" not in after and "KeyboardInterrupt" not in after, after
    assert "cancelled" not in after, after  # joblib's warning about the stopped tasks


def test_coerce_rows():
    rows, index = coerce_rows(pd.DataFrame({"f": ["NaCl"], "y": [1]}), "f", what="formulas")
    assert rows == ["NaCl"] and list(index) == [0]
    assert coerce_rows(np.array([["NaCl"], ["KCl"]]), None, what="formulas") == (
        ["NaCl", "KCl"],
        None,
    )
    assert coerce_rows([["NaCl"], ("KCl",)], None, what="formulas")[0] == ["NaCl", "KCl"]
    frame = pd.DataFrame({0: ["NaCl"], 1: [1.0]})  # integer column names (header=None)
    assert coerce_rows(frame, 0, what="formulas")[0] == ["NaCl"]
    for bad, kind in [(b"NaCl", "bytes"), ({"a": 1}, "dict"), ({"NaCl"}, "set")]:
        with pytest.raises(TypeError, match=f"got a {kind}"):
            coerce_rows(bad, None, what="formulas")
    with pytest.raises(TypeError, match="got int"):
        coerce_rows(3, None, what="formulas")
    with pytest.raises(ValueError, match="single value"):
        coerce_rows("NaCl", None, what="formulas")
    with pytest.raises(ValueError, match="set column= to the one holding the structures"):
        coerce_rows(pd.DataFrame({"a": [1], "b": [2]}), None, what="structures")
    with pytest.raises(ValueError, match="shape"):
        coerce_rows(np.zeros((2, 2)), None, what="formulas")
