"""``skirnet predict --interval`` and ``skirnet screen --interval``: bounds from a stored calibration."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skirnet import pretrained
from skirnet.cli import main
from skirnet.datasets import load_oqmd_sample
from skirnet.intervals import CALIBRATION_FILE

NAME = "oqmd-formation-enthalpy"
TINY = ["--hidden-layer-sizes", "16x2", "--epochs", "3", "--batch-size", "32", "--threads", "1"]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def candidates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cand") / "candidates.csv"
    pd.DataFrame({"formula": ["NaCl", "Xx2", "Fe2O3", "LiCoO2"]}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def split_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    frame = load_oqmd_sample(as_frame=True).frame
    train = frame[frame["split"] == "train"]
    folder = tmp_path_factory.mktemp("splits")
    files = {}
    for name, part in (("train", train.iloc[:200]), ("val", train.iloc[200:260])):
        files[name] = folder / f"{name}.csv"
        part[["formula", "target"]].to_csv(files[name], index=False)
    return files


def _check_bounds(out: pd.DataFrame, half: float) -> None:
    ok = out["prediction"].notna()
    assert list(out.columns[:4]) == ["formula", "prediction", "lower", "upper"]
    assert (out.loc[ok, "lower"] <= out.loc[ok, "prediction"]).all()
    assert (out.loc[ok, "prediction"] <= out.loc[ok, "upper"]).all()
    np.testing.assert_allclose(out.loc[ok, "upper"] - out.loc[ok, "prediction"], half, rtol=1e-6)
    np.testing.assert_allclose(out.loc[ok, "prediction"] - out.loc[ok, "lower"], half, rtol=1e-6)
    assert out.loc[~ok, ["lower", "upper"]].isna().all().all()


def test_predict_interval_with_a_pretrained_model(candidates, tmp_path, capsys):
    output = tmp_path / "pred.csv"
    argv = ["predict", "--model", NAME, "--data", str(candidates), "--output", str(output)]
    code, _, err = _run(capsys, *argv, "--interval", "0.9")
    assert code == 0, err
    out = pd.read_csv(output, keep_default_na=False, na_values=[""])
    assert list(out.columns) == ["formula", "prediction", "lower", "upper", "error"]
    assert out["error"].fillna("").ne("").tolist() == [False, True, False, False]
    # the width the shipped calibration gives at 90 %, the same for every formula
    _check_bounds(out, pretrained.model_card(NAME)["intervals"]["half_width"]["0.9"])
    # the error row has empty bounds in the file, not zeros
    assert output.read_text().splitlines()[2].startswith("Xx2,,,,")
    # without --interval the columns are as before
    code, _, _ = _run(capsys, *argv)
    assert code == 0 and list(pd.read_csv(output).columns) == ["formula", "prediction", "error"]


def test_predict_interval_width_follows_the_level(candidates, capsys):
    widths = {}
    for level in ("0.68", "0.95"):
        code, stdout, _ = _run(
            capsys, "predict", "--model", NAME, "--data", str(candidates), "--interval", level
        )
        assert code == 0
        out = pd.read_csv(io.StringIO(stdout))
        widths[level] = float((out["upper"] - out["lower"]).dropna().iloc[0])
        half = pretrained.model_card(NAME)["intervals"]["half_width"][level]
        assert widths[level] == pytest.approx(2 * half, rel=1e-6)
    assert widths["0.68"] < widths["0.95"]


def test_screen_interval_with_a_pretrained_model(tmp_path, capsys):
    output = tmp_path / "screen.parquet"
    code, _, err = _run(
        capsys, "screen", "--model", NAME, "--elements", "Li,Fe,O", "--max-atoms", "4",
        "--output", str(output), "--interval", "0.9", "--threads", "1",
    )  # fmt: skip
    assert code == 0, err
    out = pd.read_parquet(output)
    assert list(out.columns) == ["formula", "prediction", "lower", "upper", "error"]
    _check_bounds(out, pretrained.model_card(NAME)["intervals"]["half_width"]["0.9"])
    # the same predictions as without intervals
    plain = tmp_path / "plain.parquet"
    argv = ["screen", "--model", NAME, "--elements", "Li,Fe,O", "--max-atoms", "4"]
    assert main([*argv, "--output", str(plain), "--threads", "1"]) == 0
    np.testing.assert_allclose(pd.read_parquet(plain)["prediction"], out["prediction"])


def test_screen_interval_leaves_failed_rows_empty(tmp_path, candidates, capsys):
    output = tmp_path / "screen.parquet"
    code, _, err = _run(
        capsys, "screen", "--model", NAME, "--data", str(candidates), "--output", str(output),
        "--interval", "0.68", "--threads", "1",
    )  # fmt: skip
    assert code == 0, err
    out = pd.read_parquet(output)
    assert out["error"].notna().tolist() == [False, True, False, False]
    _check_bounds(out, pretrained.model_card(NAME)["intervals"]["half_width"]["0.68"])


def test_train_with_val_stores_a_calibration_that_predict_uses(
    split_files, candidates, tmp_path, capsys
):
    model = tmp_path / "model"
    code, stdout, err = _run(
        capsys, "train", "--data", str(split_files["train"]), "--val", str(split_files["val"]),
        *TINY, "--out", str(model),
    )  # fmt: skip
    assert code == 0, err
    assert "split-conformal calibration on the 60 --val rows" in stdout
    stored = json.loads((model / CALIBRATION_FILE).read_text())
    assert stored["rows"] == 60 and stored["conformal"]["method"] == "split"
    assert len(stored["conformal"]["conformity_scores"]) == 60
    scores = np.sort(stored["conformal"]["conformity_scores"])
    half = scores[int(np.ceil(61 * 0.9)) - 1]  # the conformal rank for 90 %
    assert stored["half_width_0.9"] == pytest.approx(half)
    code, stdout, err = _run(
        capsys, "predict", "--model", str(model), "--data", str(candidates), "--interval", "0.9"
    )
    assert code == 0, err
    _check_bounds(pd.read_csv(io.StringIO(stdout)), half)
    # 60 rows cannot give a finite 99 % bound: one line saying how many it needs
    code, _, err = _run(
        capsys, "predict", "--model", str(model), "--data", str(candidates), "--interval", "0.99"
    )
    assert code == 2 and "--interval 0.99" in err and "at least 99 rows" in err
    assert len(err.strip().splitlines()) == 1
    # retraining without --val removes the calibration of the old weights
    code, _, err = _run(
        capsys, "train", "--data", str(split_files["train"]), *TINY, "--out", str(model)
    )
    assert code == 0, err
    assert not (model / CALIBRATION_FILE).exists()
    code, _, err = _run(
        capsys, "predict", "--model", str(model), "--data", str(candidates), "--interval", "0.9"
    )
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "has none (conformal.json)" in err and "skirnet train --val FILE" in err
    code, _, err = _run(
        capsys, "screen", "--model", str(model), "--data", str(candidates), "--output",
        str(tmp_path / "s.parquet"), "--interval", "0.9",
    )  # fmt: skip
    assert code == 2 and "skirnet train --val FILE" in err
    assert not (tmp_path / "s.parquet").exists()


@pytest.mark.parametrize("level", ["1", "0", "1.5", "ninety"])
def test_interval_must_be_a_level(candidates, capsys, level):
    with pytest.raises(SystemExit) as exc:
        main(["predict", "--model", NAME, "--data", str(candidates), "--interval", level])
    assert exc.value.code == 2
    assert "a confidence level between 0 and 1" in capsys.readouterr().err
