"""Published splits from the command line: ``compare --val --test`` and ``train --val``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skirnet.cli import main
from skirnet.comparison import build_models, compare_models
from skirnet.datasets import load_oqmd_sample
from skirnet.featurizers import CompositionFeaturizer
from skirnet.pipeline import TrainingSettings, load_pipeline

TINY = ["--hidden-layer-sizes", "16x2", "--epochs", "4", "--batch-size", "32", "--lr", "1e-3"]


@pytest.fixture(scope="module")
def split_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Train, validation and test files cut from the embedded sample's published split."""
    frame = load_oqmd_sample(as_frame=True).frame
    train = frame[frame["split"] == "train"].iloc[:240]
    val = frame[frame["split"] == "train"].iloc[240:300]
    test = frame[frame["split"] == "test"].iloc[:70]
    folder = tmp_path_factory.mktemp("splits")
    files = {}
    for name, part in (("train", train), ("val", val), ("test", test)):
        files[name] = folder / f"{name}.csv"
        part[["formula", "target"]].to_csv(files[name], index=False)
    return files


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_compare_trains_on_all_of_data_and_scores_every_model_on_the_test_file(
    split_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cmp"
    code, stdout, _ = _run(
        capsys, "compare", "--data", str(split_files["train"]), "--val", str(split_files["val"]),
        "--test", str(split_files["test"]), "--models", "irnet,rf", *TINY, "--threads", "1",
        "--out", str(out),
    )  # fmt: skip
    assert code == 0, stdout
    assert f"early stopping on {split_files['val']} (60 rows, --val)" in stdout
    assert f"Test split: {split_files['test']} (70 rows, --test)" in stdout
    payload = json.loads((out / "results.json").read_text())
    # nothing shuffled across files: every training row trains, every test row scores
    assert {(r["model"], r["n_train"], r["n_test"]) for r in payload["results"]} == {
        ("IRNet-3", 240, 70),
        ("RF", 240, 70),
    }
    files = payload["info"]["files"]
    assert files["train"] == str(split_files["train"])
    assert files["val"] == str(split_files["val"])
    assert files["test"] == str(split_files["test"])
    assert files["scored_on"] == f"{split_files['test']} (--test, all 70 rows)"
    assert files["networks_early_stop_on"] == f"{split_files['val']} (--val, 60 rows)"
    assert payload["settings"]["validation"].startswith(str(split_files["val"]))
    assert payload["info"]["test_size"] is None


def test_the_test_file_excludes_a_shuffled_split(
    split_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--data", str(split_files["train"]), "--test",
              str(split_files["test"]), "--cv", "3", "--out", str(tmp_path)])  # fmt: skip
    assert exc.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_a_split_file_of_other_inputs_is_refused(
    split_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    structures = tmp_path / "structures.json"
    structures.write_text(json.dumps({"index": [0, 1], "columns": ["structure", "target"],
                                      "data": [[{"@module": "x"}, 1.0], [{}, 2.0]]}))  # fmt: skip
    code, _, err = _run(
        capsys, "compare", "--data", str(split_files["train"]), "--val", str(structures),
        "--out", str(tmp_path / "o"),
    )  # fmt: skip
    assert code == 2
    assert f"{structures} holds structures but {split_files['train']} holds formulas" in err


def test_networks_early_stop_on_the_validation_split_and_nothing_else_sees_it(
    split_files: dict[str, Path],
) -> None:
    featurizer = CompositionFeaturizer(progress_bar=False)
    parts = {k: pd.read_csv(v) for k, v in split_files.items()}
    X = {k: featurizer.fit_transform(p["formula"].tolist()) for k, p in parts.items()}
    y = {k: p["target"].to_numpy() for k, p in parts.items()}
    settings = TrainingSettings(hidden_layer_sizes="16x2", max_epochs=6, lr=1e-3,
                                progress=False)  # fmt: skip
    models = build_models(["irnet", "rf"], [17], settings)
    _, predictions = compare_models(
        models, X["train"], y["train"], X_test=X["test"], y_test=y["test"],
        X_val=X["val"], y_val=y["val"], progress=False, return_predictions=True,
    )  # fmt: skip
    pipe = predictions["IRNet-3"]["estimators"][0]
    net = pipe.named_steps["net"]
    # the validation loss it stopped on is the MAE on the --val rows, in standard deviations
    best = min(net.history_[:, "valid_loss"]) * net.target_scale_[0]
    assert np.mean(np.abs(pipe.predict(X["val"]) - y["val"])) == pytest.approx(best, rel=1e-4)
    # all 240 rows trained (no 10 % held out of them)
    assert net.history_[-1]["batches"][0]["train_batch_size"] == 32
    assert (
        sum(b["train_batch_size"] for b in net.history_[-1]["batches"] if "train_batch_size" in b)
        == 240
    )
    forest = predictions["RF"]["estimators"][0].named_steps["model"]
    assert forest.n_features_in_ == X["train"].shape[1]
    with pytest.raises(ValueError, match="pass both X_val and y_val, or neither"):
        compare_models(models, X["train"], y["train"], X_val=X["val"], progress=False)


def test_train_early_stops_on_the_validation_file(
    split_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model_dir = tmp_path / "model"
    code, stdout, _ = _run(
        capsys, "train", "--data", str(split_files["train"]), "--val", str(split_files["val"]),
        *TINY, "--threads", "1", "--out", str(model_dir),
    )  # fmt: skip
    assert code == 0, stdout
    pipe, spec = load_pipeline(model_dir)
    assert spec["settings"]["validation"] == f"{split_files['val']} (60 rows, --val)"
    val = pd.read_csv(split_files["val"])
    net = pipe.named_steps["net"]
    best = min(net.history_[:, "valid_loss"]) * net.target_scale_[0]
    mae = np.mean(np.abs(pipe.predict(val["formula"].tolist()) - val["target"].to_numpy()))
    assert mae == pytest.approx(best, rel=1e-4)
