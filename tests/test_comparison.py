"""skirnet.comparison: models built by name, identical splits, results saved whole."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import Ridge

from skirnet.comparison import build_models, compare_models, run_comparison, summarize_comparison
from skirnet.pipeline import TrainingSettings


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 4))
    return X, X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.01 * rng.normal(size=120)


def test_build_models_orders_networks_by_depth_then_baselines():
    models = build_models(["rf", "irnet", "srnet"], [10, 24], TrainingSettings())
    assert list(models) == ["IRNet-10", "SRNet-10", "IRNet-24", "SRNet-24", "RF"]
    net = models["SRNet-24"].steps[-1][1]
    assert type(net).__name__ == "SRNetRegressor" and net.depth == 24
    custom = build_models(["plain"], [17], TrainingSettings(hidden_layer_sizes="8x3-4"))
    assert list(custom) == ["PlainNet-5"]  # 4 hidden layers and the output


def test_every_model_sees_the_same_folds(data):
    X, y = data
    models = {"ridge": Ridge(alpha=1e-3), "mean": DummyRegressor()}
    results, predictions = compare_models(
        models, X, y, cv=3, progress=False, return_predictions=True
    )
    assert results.groupby("model").size().to_dict() == {"mean": 3, "ridge": 3}
    assert (results["n_train"] + results["n_test"] == 120).all()
    for fold in range(3):
        a = predictions["ridge"]["index"][predictions["ridge"]["fold"] == fold]
        b = predictions["mean"]["index"][predictions["mean"]["fold"] == fold]
        np.testing.assert_array_equal(np.sort(a), np.sort(b))
    ridge = results[results["model"] == "ridge"]["mae"]
    mean = results[results["model"] == "mean"]["mae"]
    assert ridge.max() < 0.05 < mean.min()
    assert models["ridge"].__dict__.get("coef_") is None  # the given estimators stay unfitted


def test_fixed_test_set_and_bad_folds(data):
    X, y = data
    results = compare_models({"ridge": Ridge()}, X[:100], y[:100], X_test=X[100:],
                             y_test=y[100:], progress=False)  # fmt: skip
    assert results[["fold", "n_train", "n_test"]].values.tolist() == [[0, 100, 20]]
    with pytest.raises(ValueError, match="cv must be at least 2 folds, got 1"):
        compare_models({"ridge": Ridge()}, X, y, cv=1, progress=False)


def test_summary_keeps_the_given_order_without_sort():
    results = pd.DataFrame(
        {"model": ["z", "a"], "fold": [0, 0], "mae": [2.0, 1.0], "rmse": [2.0, 1.0],
         "r2": [0.1, 0.2], "fit_seconds": [1.0, 1.0], "predict_seconds": [0.0, 0.0]}
    )  # fmt: skip
    assert summarize_comparison(results, sort=False).index.tolist() == ["z", "a"]
    assert summarize_comparison(results).index.tolist() == ["a", "z"]


def test_run_comparison_saves_tables_plots_and_json_last(data, tmp_path):
    X, y = data
    models = build_models(["irnet", "ridge"], [10], TrainingSettings(max_epochs=2, progress=False,
                          hidden_layer_sizes="8x2-4"))  # fmt: skip
    result = run_comparison(models, X, y, cv=2, info={"dataset": "synthetic"})
    assert set(result.results["model"]) == {"IRNet-4", "Ridge"}
    assert list(result.histories) == ["IRNet-4"] and len(result.histories["IRNet-4"]) == 2
    files = result.save(tmp_path / "out")
    assert list(files)[-1] == "json" and files["json"].name == "results.json"
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert saved["info"]["dataset"] == "synthetic"
    assert {r["model"] for r in saved["summary"]} == {"IRNet-4", "Ridge"}
    assert (tmp_path / "out" / "parity.png").stat().st_size > 0
    table = result.table(units="eV")
    assert "IRNet-4" in table and "Ridge" in table and "eV" in table


def test_learning_curves_show_the_mae_in_the_targets_units(data):
    X, y = data
    settings = TrainingSettings(max_epochs=3, hidden_layer_sizes="8", progress=False)
    models = build_models(["irnet", "plain"], [17], settings)
    result = run_comparison(models, X, y * 1000, settings=settings)
    assert result.history_is_mae
    figure = result.figures(units="meV/atom")["learning_curves"]
    assert [ax.get_ylabel() for ax in figure.axes] == ["MAE (meV/atom)"] * 2
    # the recorded validation loss is the network's MAE on its own validation rows, in meV
    net = result.predictions["IRNet-2"]["estimators"][0].named_steps["net"]
    best = min(r["valid_loss"] for r in result.histories["IRNet-2"])
    assert best == pytest.approx(min(net.history_[:, "valid_loss"]) * net.target_scale_[0])
    assert net.target_scale_[0] > 100
