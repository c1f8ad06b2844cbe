"""Tests for skirnet.baselines: the paper's classical models and compare_models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_regression
from sklearn.dummy import DummyRegressor
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import Ridge
from sklearn.model_selection import ShuffleSplit
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from skirnet.baselines import BASELINE_NAMES, baseline_models, make_baseline
from skirnet.comparison import compare_models, summarize_comparison
from skirnet.datasets import load_oqmd_sample

COLUMNS = [
    "model",
    "fold",
    "n_train",
    "n_test",
    "mae",
    "rmse",
    "r2",
    "fit_seconds",
    "predict_seconds",
]


@pytest.fixture(scope="module")
def oqmd_400():
    """400 real OQMD rows (train split of the shipped sample) as element-fraction vectors."""
    from pymatgen.core import Composition

    X, y = load_oqmd_sample(split="train", return_X_y=True)
    keep = np.abs(y) < 5  # drop the few extreme OQMD outliers for a stable comparison
    X, y = X[keep][:400], y[keep][:400]
    fractions = [
        {str(el): amt for el, amt in Composition(f).fractional_composition.items()} for f in X
    ]
    features = DictVectorizer(sparse=False).fit_transform(fractions)
    return features, y


@pytest.fixture(scope="module")
def small_with_nan():
    X, y = make_regression(n_samples=120, n_features=6, noise=5.0, random_state=0)
    rng = np.random.default_rng(0)
    X[rng.random(X.shape) < 0.05] = np.nan
    return X, y


def test_names_and_pipelines():
    models = baseline_models(random_state=3)
    assert tuple(models) == BASELINE_NAMES
    assert len(BASELINE_NAMES) == 9
    for name, pipe in models.items():
        assert isinstance(pipe, Pipeline)
        assert pipe.steps[-1][0] == "model"
        params = pipe.named_steps["model"].get_params()
        if name not in ("linear", "svr"):
            assert params["random_state"] == 3, name
    assert [s for s, _ in models["ridge"].steps] == ["impute", "scale", "model"]
    assert [s for s, _ in models["rf"].steps] == ["model"]
    assert models["rf"].named_steps["model"].n_jobs == -1
    assert models["svr"].named_steps["model"].kernel == "rbf"


def test_make_baseline_params_and_errors():
    pipe = make_baseline("ridge", alpha=3.0, impute__strategy="mean")
    assert pipe.named_steps["model"].alpha == 3.0
    assert pipe.named_steps["impute"].strategy == "mean"
    assert (
        make_baseline("rf", random_state=1, n_estimators=7).named_steps["model"].n_estimators == 7
    )
    with pytest.raises(ValueError, match="unknown baseline 'xgb'.*linear, sgd"):
        make_baseline("xgb")
    with pytest.raises(ValueError):
        make_baseline("ridge", not_a_param=1)


@pytest.mark.parametrize("name", BASELINE_NAMES)
def test_every_baseline_fits_with_nan_features(name, small_with_nan):
    X, y = small_with_nan
    model = make_baseline(name, random_state=0)
    if name in ("adaboost", "rf"):
        model.set_params(model__n_estimators=10)
    elif name == "hgb":
        model.set_params(model__max_iter=20)
    model.fit(X, y)
    pred = model.predict(X)
    assert pred.shape == (120,) and np.isfinite(pred).all()
    # every baseline is better than predicting zero on this easy problem
    assert np.mean(np.abs(pred - y)) < np.mean(np.abs(y)), name


def test_compare_models_cv_identical_folds(oqmd_400):
    X, y = oqmd_400
    models = {"mean": DummyRegressor(), "rf": make_baseline("rf", random_state=0)}
    res, preds = compare_models(
        models, X, y, cv=4, random_state=0, progress=False, return_predictions=True
    )
    assert list(res.columns) == COLUMNS
    assert res.shape == (8, 9)
    by_model = {m: g.reset_index(drop=True) for m, g in res.groupby("model")}
    pd.testing.assert_series_equal(by_model["mean"]["n_test"], by_model["rf"]["n_test"])
    assert by_model["rf"]["n_test"].tolist() == [100, 100, 100, 100]
    assert (res["n_train"] == 300).all()
    # out-of-fold predictions cover every row once, with identical test indices per model
    np.testing.assert_array_equal(np.sort(preds["rf"]["index"]), np.arange(400))
    np.testing.assert_array_equal(preds["rf"]["index"], preds["mean"]["index"])
    np.testing.assert_allclose(preds["rf"]["y_true"], y[preds["rf"]["index"]])
    assert len(preds["rf"]["estimators"]) == 4
    check_is_fitted(preds["rf"]["estimators"][0])
    # the originals were cloned, not fitted
    with pytest.raises(Exception, match="not fitted"):
        check_is_fitted(models["rf"])
    # a real composition model beats the mean predictor clearly
    mae = res.groupby("model")["mae"].mean()
    assert mae["rf"] < 0.7 * mae["mean"]
    r2 = res.groupby("model")["r2"].mean()
    assert r2["rf"] > 0.3 and abs(r2["mean"]) < 0.1
    summary = summarize_comparison(res)
    assert summary.index.tolist() == ["rf", "mean"]
    assert summary.loc["rf", "n_folds"] == 4
    assert summary.loc["rf", "mae_mean"] == pytest.approx(mae["rf"])
    assert summary.loc["rf", "mae_std"] > 0


def test_compare_models_single_split_and_given_test(small_with_nan):
    X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=1)
    res = compare_models({"ridge": Ridge()}, X, y, test_size=0.25, progress=False)
    assert res[["fold", "n_train", "n_test"]].iloc[0].tolist() == [0, 150, 50]
    assert res["r2"].iloc[0] > 0.99
    assert res["rmse"].iloc[0] >= res["mae"].iloc[0] > 0
    assert (res[["fit_seconds", "predict_seconds"]] >= 0).all().all()

    res2, preds = compare_models(
        {"ridge": Ridge(), "mean": DummyRegressor()},
        X[:150],
        y[:150],
        X_test=X[150:],
        y_test=y[150:],
        cv=5,  # ignored when a test set is given
        progress=False,
        return_predictions=True,
    )
    assert res2["n_test"].tolist() == [50, 50] and res2["n_train"].tolist() == [150, 150]
    np.testing.assert_array_equal(preds["ridge"]["index"], np.arange(50))
    np.testing.assert_allclose(preds["mean"]["y_pred"], np.full(50, y[:150].mean()))


def test_compare_models_splitter_dataframe_and_progress(capsys):
    X, y = make_regression(n_samples=60, n_features=3, random_state=2)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    splitter = ShuffleSplit(n_splits=2, test_size=0.5, random_state=0)
    res = compare_models({"ridge": Ridge()}, frame, pd.Series(y), cv=splitter, progress=True)
    assert res["fold"].tolist() == [0, 1] and res["n_test"].tolist() == [30, 30]
    assert "compare_models" in capsys.readouterr().err


def test_compare_models_errors():
    X, y = make_regression(n_samples=20, n_features=2, random_state=0)
    with pytest.raises(ValueError, match="models is empty"):
        compare_models({}, X, y)
    with pytest.raises(ValueError, match="X has 20 rows but y has 19"):
        compare_models({"r": Ridge()}, X, y[:19], progress=False)
    with pytest.raises(ValueError, match="both X_test and y_test"):
        compare_models({"r": Ridge()}, X, y, X_test=X, progress=False)
    with pytest.raises(ValueError, match="at least 2 folds"):
        compare_models({"r": Ridge()}, X, y, cv=1, progress=False)
