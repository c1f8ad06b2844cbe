"""Deep ensembles: scikit-learn's contract, return_std through a Pipeline, calibration."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from joblib import parallel_config
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skirnet import IRNetRegressor
from skirnet.ensemble import DeepEnsembleRegressor, calibration_summary


def _net(**params):
    defaults = {"hidden_layer_sizes": "16x2-8", "lr": 1e-2, "batch_size": 64}
    return IRNetRegressor(**{**defaults, "max_epochs": 30, "patience": 5, **params})


def _data(n=300, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 5))
    return X, X[:, 0] - 0.5 * X[:, 1] ** 2 + 0.05 * rng.normal(size=n)


@parametrize_with_checks(
    [DeepEnsembleRegressor(_net(), n_estimators=2, random_state=0)],
    expected_failed_checks=lambda est: {
        "check_methods_subset_invariance": (
            "float32 BLAS results depend on the batch's row count (last-bit differences)"
        )
    },
)
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_members_get_distinct_seeds_and_spread():
    X, y = _data()
    ens = DeepEnsembleRegressor(_net(max_epochs=5), n_estimators=3, random_state=0).fit(X, y)
    assert len(ens.estimators_) == 3
    assert len(set(ens.seeds_.tolist())) == 3
    assert [m.random_state for m in ens.estimators_] == ens.seeds_.tolist()
    mean, std = ens.predict(X, return_std=True)
    members = np.stack([m.predict(X) for m in ens.estimators_])
    np.testing.assert_allclose(mean, members.mean(axis=0))
    np.testing.assert_allclose(std, members.std(axis=0))
    assert (std > 0).all()
    np.testing.assert_array_equal(ens.predict(X), mean)


def test_same_seed_same_ensemble():
    X, y = _data()
    a = DeepEnsembleRegressor(_net(max_epochs=3), n_estimators=2, random_state=7).fit(X, y)
    b = clone(a).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_return_std_through_pipeline_and_nested_seeds():
    X, y = _data()
    pipe = make_pipeline(
        StandardScaler(),
        DeepEnsembleRegressor(
            make_pipeline(StandardScaler(), _net(max_epochs=3)), n_estimators=2, random_state=0
        ),
    )
    pipe.fit(X, y)
    mean, std = pipe.predict(X[:10], return_std=True)
    assert mean.shape == std.shape == (10,)
    members = pipe[-1].estimators_
    assert members[0][-1].random_state != members[1][-1].random_state


def test_fit_params_reach_members():
    X, y = _data()
    Xv, yv = _data(80, seed=1)
    ens = DeepEnsembleRegressor(_net(max_epochs=3), n_estimators=2, random_state=0)
    ens.fit(X, y, validation_data=(Xv, yv))
    assert all(m.best_epoch_ is not None for m in ens.estimators_)


def test_parallel_members_match_sequential():
    # Each worker is held to one torch thread, and so is the sequential fit: the summation
    # order inside a matrix product depends on the thread count.
    X, y = _data()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        seq = DeepEnsembleRegressor(_net(max_epochs=3), n_estimators=2, random_state=0)
        seq.fit(X, y)
    finally:
        torch.set_num_threads(threads)
    with parallel_config(backend="loky", inner_max_num_threads=1):
        par = clone(seq).set_params(n_jobs=2).fit(X, y)
    np.testing.assert_allclose(par.predict(X), seq.predict(X), atol=1e-5)


def test_calibrate_scales_std_to_the_errors():
    X, y = _data(400)
    Xv, yv = _data(300, seed=1)
    ens = DeepEnsembleRegressor(_net(max_epochs=8), n_estimators=3, random_state=0).fit(X, y)
    _, raw = ens.predict(Xv, return_std=True)
    ens.calibrate(Xv, yv)
    mean, std = ens.predict(Xv, return_std=True)
    np.testing.assert_allclose(std, raw * ens.std_scale_)
    # the scale minimises the miscalibration area on the calibration data
    best = calibration_summary(yv, mean, std)["miscalibration_area"]
    for factor in (0.8, 1.25):
        assert calibration_summary(yv, mean, std * factor)["miscalibration_area"] > best
    assert best < calibration_summary(yv, mean, raw)["miscalibration_area"]


def test_calibration_is_not_carried_away_by_outliers():
    rng = np.random.RandomState(0)
    std = rng.uniform(0.5, 2.0, 5000)
    errors = rng.normal(0, 2 * std)  # σ half what it should be
    errors[:25] = 500.0  # a few absurd targets, as OQMD has
    ens = DeepEnsembleRegressor(n_estimators=2)
    ens._member_predictions = lambda X: np.stack([-std, std])  # mean 0, σ = std
    ens.calibrate(None, errors)
    assert ens.std_scale_ == pytest.approx(2.0, rel=0.05)


def test_calibration_summary_values():
    y = np.array([0.0, 0.0, 0.0, 0.0])
    mean = np.array([0.5, -1.5, 2.5, 0.0])
    std = np.array([1.0, 1.0, 1.0, 1.01])
    s = calibration_summary(y, mean, std)
    assert s["within_1sigma"] == 0.5
    assert s["within_2sigma"] == 0.75
    assert 0 <= s["miscalibration_area"] <= 1
    perfect = calibration_summary([0, 1, 2, 3], [0, 0, 0, 0], [1, 2, 3, 4])
    assert perfect["spearman_abs_error_std"] == pytest.approx(1.0)


def test_unfitted_predict_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        DeepEnsembleRegressor(_net()).predict(np.zeros((2, 5)))
