"""``--drop-bad-rows``: rows that cannot be featurized are dropped, said and recorded."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skirnet.cli import main
from skirnet.featurizers import _folder

TINY = ["--hidden-layer-sizes", "8", "--epochs", "1", "--threads", "1"]
BROKEN = "data_broken\n_cell_length_a oops\n"  # a CIF that cannot be parsed


@pytest.fixture(autouse=True)
def _data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SKIRNET_DATA", str(tmp_path / "data-home"))  # the feature cache


@pytest.fixture(scope="module")
def crystals(shared_data) -> pd.DataFrame:
    frame = pd.read_csv(shared_data / "structure" / "mp_2018_36737.csv.gz", nrows=40)
    return frame[["material_id", "cif", "e_form"]]


def _write(frame: pd.DataFrame, path: Path, broken: list[int]) -> Path:
    frame = frame.reset_index(drop=True)
    frame.loc[broken, "cif"] = BROKEN
    frame.to_csv(path, index=False)
    return path


def _lines(text: str, word: str) -> list[str]:
    return [line for line in text.splitlines() if word in line]


def test_compare_drops_the_bad_rows_of_each_file(crystals, tmp_path, capsys):
    data = _write(crystals[:24], tmp_path / "train.csv", [3, 11, 20])
    val = _write(crystals[24:32], tmp_path / "val.csv", [5])
    test = _write(crystals[32:40], tmp_path / "test.csv", [])
    argv = ["compare", "--data", str(data), "--val", str(val), "--test", str(test)]
    argv += ["--target-col", "e_form", "--features", "composition", "--models", "irnet,rf"]

    # without the flag: the one-line error naming the first bad row, as before
    assert main([*argv, *TINY, "--out", str(tmp_path / "a")]) == 2
    (line,) = _lines(capsys.readouterr().err, "error:")
    assert f"cannot featurize row 3 (id '3') of {data}: could not parse CIF" in line
    assert line.endswith("(2 more row(s) failed too)")
    assert not (tmp_path / "a" / "results.json").exists()

    out = tmp_path / "b"
    assert main([*argv, "--drop-bad-rows", *TINY, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert _lines(err, "dropped") == [
        f"skirnet: dropped 3 of 24 rows of {data} that cannot be featurized (ids: 3, 11, 20)",
        f"skirnet: dropped 1 of 8 rows of {val} that cannot be featurized (ids: 5)",
    ]
    info = json.loads((out / "results.json").read_text())["info"]
    assert info["n_rows"] == 21
    dropped = info["dropped_rows"]
    assert dropped["train"]["file"] == str(data) and dropped["train"]["rows_read"] == 24
    assert dropped["train"]["count"] == 3
    assert [r["row"] for r in dropped["train"]["rows"]] == [3, 11, 20]
    assert [r["id"] for r in dropped["train"]["rows"]] == ["3", "11", "20"]
    assert all("could not parse CIF" in r["reason"] for r in dropped["train"]["rows"])
    assert dropped["val"]["count"] == 1 and dropped["val"]["rows"][0]["row"] == 5
    assert dropped["test"] == {"file": str(test), "rows_read": 8, "count": 0, "rows": []}
    results = pd.read_csv(out / "results.csv")
    assert set(results["n_train"]) == {21} and set(results["n_test"]) == {8}
    assert info["files"]["networks_early_stop_on"] == f"{val} (--val, 7 rows)"


def test_train_drops_rows_whose_tessellation_fails(crystals, tmp_path, monkeypatch, capsys):
    # the Voronoi construction of a few real crystals has an infinite vertex: stand-in
    data = crystals[:30].reset_index(drop=True)
    data.to_csv(tmp_path / "train.csv", index=False)
    val = crystals[30:40].reset_index(drop=True)
    val.to_csv(tmp_path / "val.csv", index=False)
    bad = {data["cif"][i] for i in (0, 7, 8, 29)} | {val["cif"][4]}
    real = _folder.featurize_chunk

    def infinite_vertex(featurizer, rows):
        X, failed = real(featurizer, rows)
        for i, row in enumerate(rows):
            if row in bad:
                X[i], failed[i] = np.nan, "Voronoi tessellation failed: infinite vertex"
        return X, failed

    monkeypatch.setattr(_folder, "featurize_chunk", infinite_vertex)
    argv = ["train", "--data", str(tmp_path / "train.csv"), "--val", str(tmp_path / "val.csv")]
    argv += ["--target-col", "e_form", "--features", "structure", *TINY]

    assert main([*argv, "--out", str(tmp_path / "a")]) == 2
    (line,) = _lines(capsys.readouterr().err, "error:")
    assert "cannot featurize row 0 (id '0')" in line and "infinite vertex" in line
    assert line.endswith("(3 more row(s) failed too)")

    model = tmp_path / "model"
    assert main([*argv, "--drop-bad-rows", "--out", str(model)]) == 0
    err = capsys.readouterr().err
    assert _lines(err, "dropped") == [
        f"skirnet: dropped 4 of 30 rows of {tmp_path / 'train.csv'} that cannot be featurized "
        "(ids: 0, 7, 8, 29)",
        f"skirnet: dropped 1 of 10 rows of {tmp_path / 'val.csv'} that cannot be featurized "
        "(ids: 4)",
    ]
    spec = json.loads((model / "pipeline.json").read_text())
    assert spec["scaler"]["n_samples_seen"] == 26  # exactly the bad rows are gone
    dropped = spec["info"]["dropped_rows"]
    assert dropped["train"]["count"] == 4 and dropped["val"]["count"] == 1
    assert dropped["train"]["rows"][1] == {
        "row": 7,
        "id": "7",
        "reason": "Voronoi tessellation failed: infinite vertex",
    }
    conformal = json.loads((model / "conformal.json").read_text())
    assert conformal["rows"] == 9

    # a file none of whose rows can be featurized: one line
    broken = _write(val, tmp_path / "broken.csv", list(range(10)))
    capsys.readouterr()
    argv[4] = str(broken)
    assert main([*argv, "--drop-bad-rows", "--out", str(tmp_path / "c")]) == 2
    (line,) = _lines(capsys.readouterr().err, "error:")
    assert f"none of the 10 rows of {broken} can be featurized (row 0, id '0': could not " in line


def test_formulas_that_cannot_be_parsed_are_dropped(tmp_path, capsys):
    good = ["NaCl", "MgO", "Fe2O3", "SiO2", "Al2O3", "TiO2", "ZnO", "CaO", "LiF", "KCl"]
    formulas = [f"Xx{i}" if i % 2 else good[i % 10] for i in range(50)]
    table = tmp_path / "formulas.csv"
    pd.DataFrame({"formula": formulas, "target": np.arange(50.0)}).to_csv(table, index=False)
    argv = ["compare", "--data", str(table), "--models", "rf", "--cv", "2"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 2
    (line,) = _lines(capsys.readouterr().err, "error:")
    assert "'Xx1': unknown element(s) 'Xx'" in line

    out = tmp_path / "b"
    assert main([*argv, "--drop-bad-rows", "--out", str(out)]) == 0
    (line,) = _lines(capsys.readouterr().err, "dropped")
    ids = ", ".join(str(i) for i in range(1, 40, 2))
    assert line == (
        f"skirnet: dropped 25 of 50 rows of {table} that cannot be featurized "
        f"(ids: {ids} and 5 more)"
    )
    info = json.loads((out / "results.json").read_text())["info"]
    assert info["n_rows"] == 25 and info["dropped_rows"]["train"]["count"] == 25
    assert list(info["dropped_rows"]) == ["train"]
