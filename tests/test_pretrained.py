"""The models shipped in skirnet.pretrained: cards match files, predictions from formulas."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from skirnet import ModelFileError, pretrained
from skirnet import _shipped_models as registry
from skirnet.cli import main
from skirnet.datasets import load_oqmd_sample

NAME = "oqmd-formation-enthalpy"


@pytest.fixture(scope="module")
def model():
    return pretrained.load(NAME)


def test_every_card_matches_its_files():
    assert NAME in pretrained.list_models()
    for name in pretrained.list_models():
        card = pretrained.model_card(name)
        folder = pretrained.MODELS_DIR / name
        on_disk = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
        assert sorted(card["files"]) == on_disk
        for relative, digest in card["files"].items():
            assert hashlib.sha256((folder / relative).read_bytes()).hexdigest() == digest


def test_card_records_provenance():
    card = pretrained.model_card(NAME)
    assert card["unit"] == "eV/atom"
    assert card["data"] == {
        "dataset": "oqmd_formation_enthalpy",
        "split": "CrabNet's published train/val/test split",
        "train_rows": 239190,
        "val_rows": 51255,
        "test_rows": 51255,
    }
    assert card["recipe"] == "large-batch" and card["weights_dtype"] == "float16"
    assert 0 < card["test_mae"] < 0.1 and card["command"].startswith("python benchmarks/")
    assert {"skirnet", "torch"} <= set(card["versions"]) and card["threads"] >= 1
    card["unit"] = "changed"  # a copy: the registry is untouched
    assert pretrained.model_card(NAME)["unit"] == "eV/atom"


def test_shipped_weights_fit_the_size_budget():
    files = [pretrained.MODELS_DIR / pretrained.CARDS_FILE]
    for name in pretrained.list_models():
        files += [p for p in (pretrained.MODELS_DIR / name).rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= 5_000_000


def test_predicts_formulas_in_every_container(model):
    assert isinstance(model, Pipeline)
    formulas, y = load_oqmd_sample(return_X_y=True)
    formulas = list(formulas)[:300]
    pred = model.predict(formulas)
    assert pred.shape == (300,) and np.isfinite(pred).all()
    # a trained model, not noise: well below the spread of the targets
    assert np.mean(np.abs(pred - np.asarray(y)[:300])) < 0.35 * np.std(y)
    np.testing.assert_array_equal(model.predict(pd.Series(formulas)), pred)
    np.testing.assert_array_equal(model.predict(pd.DataFrame({"formula": formulas})), pred)


def test_unknown_name_lists_the_models():
    with pytest.raises(KeyError, match="shipped models: oqmd-band-gap, oqmd-formation-enthalpy"):
        pretrained.load("oqmd-band-gap-v9")


def test_a_damaged_installed_file_is_refused(tmp_path, monkeypatch):
    shutil.copytree(pretrained.MODELS_DIR / NAME, tmp_path / NAME)
    shutil.copy(pretrained.MODELS_DIR / pretrained.CARDS_FILE, tmp_path)
    monkeypatch.setattr(registry, "MODELS_DIR", tmp_path)
    weights = tmp_path / NAME / "net" / "weights.safetensors"
    raw = bytearray(weights.read_bytes())
    raw[-1] ^= 1
    weights.write_bytes(bytes(raw))
    registry._cards.cache_clear()
    try:
        with pytest.raises(ModelFileError, match="SHA-256 differs from the model card"):
            pretrained.load(NAME)
    finally:
        registry._cards.cache_clear()


def test_cli_predicts_with_a_pretrained_name(tmp_path, capsys, model):
    table = tmp_path / "candidates.csv"
    pd.DataFrame({"formula": ["NaCl", "Fe2O3", "LiCoO2"]}).to_csv(table, index=False)
    out = tmp_path / "pred.csv"
    assert main(["predict", "--model", NAME, "--data", str(table), "--output", str(out)]) == 0
    written = pd.read_csv(out)
    np.testing.assert_allclose(
        written["prediction"], model.predict(["NaCl", "Fe2O3", "LiCoO2"]), rtol=1e-6
    )
    assert "wrote 3 predictions" in capsys.readouterr().err


def test_a_folder_named_like_a_model_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / NAME).mkdir()
    assert pretrained.resolve(NAME) == Path(NAME)


def test_band_gap_model_separates_insulators_from_metals():
    card = pretrained.model_card("oqmd-band-gap")
    assert card["unit"] == "eV" and card["data"]["dataset"] == "oqmd_bandgap"
    assert 0 < card["test_mae"] < 0.1
    gaps = pretrained.load("oqmd-band-gap").predict(["NaCl", "MgO", "Fe", "Cu"])
    assert (gaps[:2] > 3.0).all() and (np.abs(gaps[2:]) < 0.2).all()


def test_cli_compare_fine_tunes_beside_the_forest(tmp_path, capsys):
    # the sample's test rows come from OQMD's test split, which the shipped model never
    # trained on: fine-tuning and scoring both use rows new to it
    formulas, y = load_oqmd_sample(split="test", return_X_y=True)
    table = tmp_path / "small.csv"
    pd.DataFrame({"formula": list(formulas)[:240], "target": np.asarray(y)[:240]}).to_csv(
        table, index=False
    )
    out = tmp_path / "cmp"
    argv = ["compare", "--data", str(table), "--pretrained", NAME, "--models", "irnet,rf"]
    argv += ["--cv", "2", "--epochs", "3", "--threads", "1", "--out", str(out)]
    assert main(argv) == 0
    results = pd.read_csv(out / "results.csv")
    assert set(results["model"]) == {"IRNet fine-tuned", "RF"}
    assert sorted(results["fold"]) == [0, 0, 1, 1] and (results["n_train"] == 120).all()
    # the fine-tuned net starts from OQMD: it must beat a forest trained on 120 of them
    maes = results.groupby("model")["mae"].mean()
    assert maes["IRNet fine-tuned"] < maes["RF"]


def test_cli_compare_with_a_pretrained_model_compares_what_can_start_from_it(tmp_path, capsys):
    formulas, y = load_oqmd_sample(split="test", return_X_y=True)
    table = tmp_path / "small.csv"
    pd.DataFrame({"formula": list(formulas)[:120], "target": np.asarray(y)[:120]}).to_csv(
        table, index=False
    )
    base = ["compare", "--data", str(table), "--pretrained", NAME, "--epochs", "1"]
    base += ["--threads", "1"]
    # a PlainNet cannot start from an IRNet: named, it is refused before any work
    out = tmp_path / "refused"
    assert main([*base, "--models", "irnet,plain,rf", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"only IRNet (irnet) can start from pretrained='{NAME}', not plain" in err
    assert not out.exists()
    # by default, the pretrained model's kind of network and the forest
    out = tmp_path / "default"
    assert main([*base, "--out", str(out)]) == 0
    assert set(pd.read_csv(out / "results.csv")["model"]) == {"IRNet fine-tuned", "RF"}


@pytest.mark.parametrize("name", ["oqmd-formation-enthalpy", "oqmd-band-gap"])
def test_the_cards_test_mae_is_what_the_installed_model_scores(name, shared_data, monkeypatch):
    """Re-measure the card on its whole published test split, from the installed files.

    The card's figure was measured with these float16 weights on every test row; on
    another thread count or CPU only the float rounding of the sums differs, so the
    tolerance is 0.1 % of the MAE.
    """
    from skirnet.datasets import load_composition_dataset

    monkeypatch.setenv("SKIRNET_SHARED_DATA", str(shared_data))
    card = pretrained.model_card(name)
    formulas, y = load_composition_dataset(
        card["data"]["dataset"], split="test", download=False, return_X_y=True
    )
    assert len(y) == card["data"]["test_rows"]
    model = pretrained.load(name)
    model.named_steps["featurize"].set_params(progress_bar=False)
    mae = float(np.mean(np.abs(model.predict(list(formulas)) - np.asarray(y))))
    assert mae == pytest.approx(card["test_mae"], rel=1e-3)


@pytest.mark.parametrize("name", ["oqmd-formation-enthalpy", "oqmd-band-gap"])
def test_stored_calibration_is_recorded_and_loads(name):
    from skirnet import ConformalRegressor
    from skirnet.intervals import CALIBRATION_FILE, read_calibration

    card = pretrained.model_card(name)
    stored = read_calibration(pretrained.MODELS_DIR / name)
    assert CALIBRATION_FILE in card["files"] and card["intervals"]["file"] == CALIBRATION_FILE
    assert card["intervals"]["method"] == stored["conformal"]["method"] == "split"
    assert card["intervals"]["calibration_split"] == "val" == stored["source"]["split"]
    rows = stored["source"]["row_indices"]
    assert len(rows) == stored["rows"] == card["intervals"]["calibration_rows"] >= 1000
    assert len(set(rows)) == len(rows) and rows == sorted(rows)
    assert 0 <= rows[0] and rows[-1] < card["data"]["val_rows"] == stored["source"]["split_rows"]
    assert stored["command"].startswith("python benchmarks/calibrate_pretrained.py")
    conformal = pretrained.load_conformal(name)
    assert isinstance(conformal, ConformalRegressor) and conformal.method == "split"
    assert len(conformal.conformity_scores_) == len(rows)
    y_pred, lower, upper = conformal.predict_interval(["NaCl", "GaAs"], [0.68, 0.9, 0.95])
    for k, level in enumerate(["0.68", "0.9", "0.95"]):
        half = card["intervals"]["half_width"][level]
        np.testing.assert_allclose(upper[:, k] - y_pred, half, rtol=1e-9)
        np.testing.assert_allclose(y_pred - lower[:, k], half, rtol=1e-9)


@pytest.mark.parametrize("name", ["oqmd-formation-enthalpy", "oqmd-band-gap"])
def test_stored_calibration_scores_are_the_validation_rows_residuals(
    name, shared_data, monkeypatch
):
    """The stored scores are |y - ŷ| of the recorded validation rows (a sample of them)."""
    from skirnet.datasets import load_composition_dataset
    from skirnet.intervals import read_calibration

    monkeypatch.setenv("SKIRNET_SHARED_DATA", str(shared_data))
    stored = read_calibration(pretrained.MODELS_DIR / name)
    formulas, y = load_composition_dataset(
        stored["source"]["dataset"], split="val", download=False, return_X_y=True
    )
    picked = np.asarray(stored["source"]["row_indices"])[::50]
    scores = np.asarray(stored["conformal"]["conformity_scores"])[::50]
    model = pretrained.load(name)
    residuals = np.abs(model.predict([list(formulas)[i] for i in picked]) - np.asarray(y)[picked])
    np.testing.assert_allclose(residuals, scores, atol=1e-4)
