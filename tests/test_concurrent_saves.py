"""Saving over a model while another process loads it: every load sees one save, whole.

A writer process saves two different models alternately over the same folder for a few
seconds; this process loads the folder in a loop meanwhile. Each loaded model must predict
exactly what one of the two models predicts (a pipeline with one save's scaler and the
other's network predicts neither), and no load may find the folder missing.
"""

from __future__ import annotations

import multiprocessing
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from skirnet import IRNetRegressor, _atomic, load, persistence, pipeline, save
from skirnet.datasets import load_oqmd_sample
from skirnet.intervals import ConformalRegressor
from skirnet.pipeline import (
    TrainingSettings,
    load_pipeline,
    load_pipeline_with_calibration,
    save_pipeline,
    train_pipeline,
)

#: How long the writer saves; long enough for some hundred loads on a busy machine.
SECONDS = 3.0
TINY = TrainingSettings(max_epochs=2, hidden_layer_sizes="8", progress=False)


def _load(kind: str, folder: Path):
    """The model in ``folder``, as what predicts from features (the scaler and the net)."""
    if kind == "pipeline":
        return load_pipeline(folder)[0][1:]  # the featurizer is the same in both models
    return load(folder)


def _never_exchange(a: Path, b: Path) -> bool:
    return False


def _writer(kind: str, sources: list[Path], target: Path, exchange: bool) -> int:
    """Save the two models in ``sources`` alternately over ``target`` for SECONDS.

    ``target/../started`` appears when the first save begins, ``target/../done`` after the
    last one.
    """
    swap = _atomic._exchange
    if not exchange:  # the two renames of systems without an atomic folder swap
        _atomic._exchange = _never_exchange
    try:
        if kind == "calibrated":
            loaded = [load_pipeline_with_calibration(source) for source in sources]
            models = [pipe for pipe, _, _ in loaded]
            calibrations = [{"conformal": conformal.to_dict()} for _, _, conformal in loaded]

            def write(pipe, folder):
                save_pipeline(pipe, folder, calibration=calibrations[models.index(pipe)])

        elif kind == "pipeline":
            models = [load_pipeline(source)[0] for source in sources]
            write = save_pipeline
        else:
            models = [load(source) for source in sources]
            write = save
        (target.parent / "started").touch()
        saves = 0
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            write(models[(saves + 1) % 2], target)  # the target starts as the first
            saves += 1
    finally:
        (target.parent / "done").touch()
        _atomic._exchange = swap  # this process saves for the next test too
    return saves


@pytest.fixture(scope="module")
def pool():
    """One writer process for every test: it starts (imports torch) once."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """Two tiny models of each kind, saved, and the rows they predict."""
    formulas, y = load_oqmd_sample(return_X_y=True)
    formulas, y = list(formulas), np.asarray(y)
    folder = tmp_path_factory.mktemp("sources")
    pipelines = [
        train_pipeline(formulas[:40], y[:40], "irnet", 17, TINY),
        train_pipeline(formulas[40:80], y[40:80], "irnet", 17, TINY),
    ]
    features = pipelines[0][0].transform(formulas[80:90])
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3))
    nets = [
        IRNetRegressor(hidden_layer_sizes="8", max_epochs=2, random_state=seed).fit(X, X @ w)
        for seed, w in enumerate(([1.0, 2.0, 0.0], [0.0, -1.0, 3.0]))
    ]
    # the same two pipelines, each with a calibration of its own (different rows)
    calibrations = [
        {
            "conformal": ConformalRegressor(p)
            .calibrate(formulas[i : i + 20], y[i : i + 20])
            .to_dict()
        }
        for p, i in zip(pipelines, (100, 140), strict=True)
    ]
    return {
        "pipeline": (
            [save_pipeline(p, folder / f"p{i}") for i, p in enumerate(pipelines)],
            features,
        ),
        "calibrated": (
            [
                save_pipeline(p, folder / f"c{i}", calibration=c)
                for i, (p, c) in enumerate(zip(pipelines, calibrations, strict=True))
            ],
            formulas[80:90],
        ),
        "network": ([save(n, folder / f"n{i}") for i, n in enumerate(nets)], X[:5]),
    }


def _counting(monkeypatch, module, name: str) -> list[int]:
    """Count the calls of ``module.name`` (one reading of every file of a folder)."""
    calls = [0]
    original = getattr(module, name)

    def counting(*args):
        calls[0] += 1
        return original(*args)

    monkeypatch.setattr(module, name, counting)
    return calls


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
@pytest.mark.parametrize("kind", ["pipeline", "network"])
def test_loads_during_saves_see_one_model_whole(
    pool, sources, tmp_path, monkeypatch, kind, exchange
):
    folders, X = sources[kind]
    expected = [_load(kind, folder).predict(X) for folder in folders]
    assert not np.array_equal(expected[0], expected[1])
    target, started, done = tmp_path / "model", tmp_path / "started", tmp_path / "done"
    shutil.copytree(folders[0], target)
    reader = (pipeline, "_read_pipeline") if kind == "pipeline" else (persistence, "read_files")
    reads = _counting(monkeypatch, *reader)
    counts = {"first": 0, "second": 0, "torn": 0, "missing": 0, "failed": 0}
    errors: list[str] = []
    writer = pool.submit(_writer, kind, folders, target, exchange)
    deadline = time.monotonic() + 300
    while not started.exists() and not writer.done():  # the writer imports and loads
        assert time.monotonic() < deadline, "the writer did not start"
        time.sleep(0.01)
    reads[0] = 0
    while not done.exists() and not writer.done():
        try:
            model = _load(kind, target)
        except FileNotFoundError:
            counts["missing"] += 1
            continue
        except Exception as exc:  # any other failure to load is a failure too
            counts["failed"] += 1
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        predicted = model.predict(X)
        if np.array_equal(predicted, expected[0]):
            counts["first"] += 1
        elif np.array_equal(predicted, expected[1]):
            counts["second"] += 1
        else:
            counts["torn"] += 1
    saves = writer.result(timeout=300)
    loads = sum(counts.values())
    mode = "exchange" if exchange else "two renames"
    print(f"{kind}, {mode}: {saves} saves, {loads} loads, {reads[0] - loads} re-reads: {counts}")
    assert counts["torn"] == counts["missing"] == counts["failed"] == 0, (counts, errors[:3])
    assert saves > 10 and counts["first"] > 0 and counts["second"] > 0, (saves, counts)


def test_a_model_and_its_calibration_load_together_while_saves_land(pool, sources, tmp_path):
    """Model and calibration are two reads: each loaded pair is one save's, never mixed."""
    folders, formulas = sources["calibrated"]
    loaded = [load_pipeline_with_calibration(folder) for folder in folders]
    expected = [pipe.predict(formulas) for pipe, _, _ in loaded]
    scores = [conformal.to_dict()["conformity_scores"] for _, _, conformal in loaded]
    assert not np.array_equal(expected[0], expected[1]) and scores[0] != scores[1]
    target, started, done = tmp_path / "model", tmp_path / "started", tmp_path / "done"
    shutil.copytree(folders[0], target)
    counts = {"first": 0, "second": 0, "mixed": 0, "failed": 0}
    errors: list[str] = []
    writer = pool.submit(_writer, "calibrated", folders, target, True)
    deadline = time.monotonic() + 300
    while not started.exists() and not writer.done():
        assert time.monotonic() < deadline, "the writer did not start"
        time.sleep(0.01)
    while not done.exists() and not writer.done():
        try:
            pipe, _, conformal = load_pipeline_with_calibration(target)
        except Exception as exc:  # a missing folder or a mismatch is a failure here
            counts["failed"] += 1
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        model = [np.array_equal(pipe.predict(formulas), e) for e in expected]
        calibration = [conformal.to_dict()["conformity_scores"] == s for s in scores]
        if model[0] and calibration[0]:
            counts["first"] += 1
        elif model[1] and calibration[1]:
            counts["second"] += 1
        else:
            counts["mixed"] += 1
    saves = writer.result(timeout=300)
    print(f"calibrated: {saves} saves, {counts}")
    assert counts["mixed"] == counts["failed"] == 0, (counts, errors[:3])
    assert saves > 10 and counts["first"] > 0 and counts["second"] > 0, (saves, counts)
