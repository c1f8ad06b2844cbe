"""Conformal prediction intervals: coverage per variant, the API's contract, and MAPIE.

Coverage tolerance. For split conformal with *n* calibration rows, the coverage of the
intervals given the calibration set follows a Beta law with mean ``k / (n + 1)``,
``k = ceil((n + 1)·c)`` (between *c* and ``c + 1/(n + 1)``), and variance about
``c(1 − c)/(n + 2)``; measuring it on ``m`` test rows adds a binomial ``c(1 − c)/m``.
The tests accept an observed coverage in::

    [c − 4·sd, c + 1/(n + 1) + 4·sd],   sd = sqrt(c(1 − c)·(1/(n + 2) + 1/m))

that is within four standard deviations of what the guarantee allows (a false failure
about once in 30,000 checks). The networks are seeded, so each check gives the same
number run after run. CV+ has no exact law; it is held to the same band, with *n* the
rows given to ``fit``. The tests with a fast linear model average the coverage over
hundreds of calibration draws and check its exact expected value ``k / (n + 1)``, which
an off-by-one rank would miss by ``1/(n + 1)``, about ten standard deviations.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skirnet import IRNetRegressor
from skirnet.ensemble import DeepEnsembleRegressor
from skirnet.intervals import ConformalRegressor

LEVELS = [0.68, 0.9, 0.95]
N_TRAIN, N_CAL, N_TEST = 1000, 4000, 20000


def _hetero(n: int, seed: int, noisy_share: float = 0.5):
    """Inputs, targets and noise level: noise sd 0.1 where x0 < 0, 1.0 where x0 > 0.

    ``noisy_share`` of the rows fall where x0 > 0 (half of them by default, as x0 is
    uniform on [-1, 1]).
    """
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n, 4))
    noisy = rng.uniform(size=n) < noisy_share
    X[:, 0] = np.where(noisy, rng.uniform(0, 1, size=n), rng.uniform(-1, 0, size=n))
    noise = np.where(noisy, 1.0, 0.1)
    y = np.sin(2 * X[:, 0]) + X[:, 1] - 0.5 * X[:, 2] ** 2 + noise * rng.normal(size=n)
    return X, y, noise


def _net(**params) -> IRNetRegressor:
    defaults = {"hidden_layer_sizes": "16x2", "lr": 1e-2, "max_epochs": 20, "random_state": 0}
    return IRNetRegressor(**{**defaults, **params})


def _band(c: float, n_cal: int, n_test: int) -> tuple[float, float]:
    sd = math.sqrt(c * (1 - c) * (1 / (n_cal + 2) + 1 / n_test))
    return c - 4 * sd, c + 1 / (n_cal + 1) + 4 * sd


def _coverage(y, lower, upper) -> np.ndarray:
    y = np.asarray(y)[:, None] if np.ndim(lower) == 2 else np.asarray(y)
    return ((lower <= y) & (y <= upper)).mean(axis=0)


def _assert_covers(coverage, n_cal: int, n_test: int, levels=LEVELS) -> None:
    for c, observed in zip(levels, np.atleast_1d(coverage), strict=True):
        low, high = _band(c, n_cal, n_test)
        assert low <= observed <= high, f"coverage {observed:.4f} at {c} outside [{low}, {high}]"


@pytest.fixture(scope="module")
def data():
    """Training rows mostly where the noise is low; calibration and test rows half and half.

    An ensemble's σ is its members' disagreement, which grows where training rows are
    scarce, not with the noise on well-covered inputs (with training rows spread like the
    test rows, the normalized intervals came out wider than the split ones, 2.74 against
    2.57 mean width at 90 %). Here the noisy region is also the sparse one, as rare and
    unusual compositions are in materials data, so σ has something to follow.
    """
    return {
        "train": _hetero(N_TRAIN, 0, noisy_share=0.1),
        "cal": _hetero(N_CAL, 1),
        "test": _hetero(N_TEST, 2),
    }


@pytest.fixture(scope="module")
def ensemble_pipe(data):
    """StandardScaler → DeepEnsembleRegressor of four small IRNets, fitted once."""
    X, y, _ = data["train"]
    ens = DeepEnsembleRegressor(_net(), n_estimators=4, random_state=0)
    return make_pipeline(StandardScaler(), ens).fit(X, y)


@pytest.fixture(scope="module")
def net_pipe(ensemble_pipe):
    """A fitted StandardScaler → IRNet pipeline: the scaler and the ensemble's first member."""
    return make_pipeline(ensemble_pipe[0], ensemble_pipe[-1].estimators_[0])


# -- coverage on synthetic data, each variant --------------------------------------------


def test_split_coverage_with_a_network(data, net_pipe):
    (Xc, yc, _), (Xt, yt, _) = data["cal"], data["test"]
    conformal = ConformalRegressor(net_pipe).calibrate(Xc, yc)
    y_pred, lower, upper = conformal.predict_interval(Xt, confidence=LEVELS)
    np.testing.assert_allclose(y_pred, net_pipe.predict(Xt))
    coverage = _coverage(yt, lower, upper)
    print("split coverage", dict(zip(LEVELS, coverage.round(4).tolist(), strict=True)))
    _assert_covers(coverage, N_CAL, N_TEST)
    width = upper - lower
    assert np.ptp(width, axis=0).max() < 1e-9  # the same width everywhere
    assert (np.diff(width[0]) > 0).all()  # wider at higher confidence


def test_normalized_coverage_and_adaptivity_with_an_ensemble(data, ensemble_pipe):
    (Xc, yc, _), (Xt, yt, noise) = data["cal"], data["test"]
    normalized = ConformalRegressor(ensemble_pipe, method="normalized").calibrate(Xc, yc)
    y_pred, lower, upper = normalized.predict_interval(Xt, confidence=LEVELS)
    coverage = _coverage(yt, lower, upper)
    print("normalized coverage", dict(zip(LEVELS, coverage.round(4).tolist(), strict=True)))
    _assert_covers(coverage, N_CAL, N_TEST)

    _, sigma = ensemble_pipe.predict(Xt, return_std=True)
    width = upper - lower
    per_sigma = width / sigma[:, None]  # ŷ ± q·σ: the same q on every row
    np.testing.assert_allclose(per_sigma, np.broadcast_to(per_sigma[:1], per_sigma.shape))
    quiet, loud = noise < 0.5, noise > 0.5
    at_90 = width[:, 1]
    print("normalized mean width at 0.9: quiet", at_90[quiet].mean(), "loud", at_90[loud].mean())
    assert at_90[quiet].mean() < at_90[loud].mean()

    split = ConformalRegressor(ensemble_pipe).calibrate(Xc, yc)
    _, split_lower, split_upper = split.predict_interval(Xt, confidence=0.9)
    print(
        "mean width at 0.9: normalized", at_90.mean(), "split", (split_upper - split_lower).mean()
    )
    assert at_90.mean() < (split_upper - split_lower).mean()


def test_cross_coverage_with_a_network_on_a_small_table(data):
    n = 300
    X, y, _ = _hetero(n, 3)
    Xt, yt, _ = data["test"]
    model = make_pipeline(StandardScaler(), _net())
    conformal = ConformalRegressor(model, method="cross", cv=5, random_state=0).fit(X, y)
    assert len(conformal.estimators_) == 5
    assert np.bincount(conformal.folds_).tolist() == [60] * 5
    y_pred, lower, upper = conformal.predict_interval(Xt, confidence=LEVELS)
    np.testing.assert_allclose(y_pred, np.mean([m.predict(Xt) for m in conformal.estimators_], 0))
    coverage = _coverage(yt, lower, upper)
    print("cross coverage", dict(zip(LEVELS, coverage.round(4).tolist(), strict=True)))
    _assert_covers(coverage, n, N_TEST)


class _OracleSigma(LinearRegression):
    """A linear model whose σ is the true noise level of :func:`_linear_draw`."""

    def predict(self, X, return_std=False):
        y_pred = super().predict(X)
        return (y_pred, 0.2 + np.abs(X[:, 0])) if return_std else y_pred


def _linear_draw(rng, n):
    X = rng.normal(size=(n, 3))
    return X, X @ [1.0, -2.0, 0.5] + (0.2 + np.abs(X[:, 0])) * rng.normal(size=n)


@pytest.mark.parametrize("method", ["split", "normalized"])
def test_split_methods_reach_the_exact_expected_coverage(method):
    rng = np.random.RandomState(0)
    n_cal, n_test, draws = 49, 1000, 400
    estimator_class = _OracleSigma if method == "normalized" else LinearRegression
    model = estimator_class().fit(*_linear_draw(rng, 500))
    coverage = []
    for _ in range(draws):
        conformal = ConformalRegressor(model, method=method).calibrate(*_linear_draw(rng, n_cal))
        Xt, yt = _linear_draw(rng, n_test)
        _, lower, upper = conformal.predict_interval(Xt, confidence=LEVELS)
        coverage.append(_coverage(yt, lower, upper))
    coverage = np.mean(coverage, axis=0)
    print(method, "mean coverage", dict(zip(LEVELS, coverage.round(4).tolist(), strict=True)))
    for c, observed in zip(LEVELS, coverage, strict=True):
        k = math.ceil((n_cal + 1) * c)
        expected = k / (n_cal + 1)  # 0.68, 0.9 and 0.96 with 49 rows
        var_cal = k * (n_cal + 1 - k) / ((n_cal + 1) ** 2 * (n_cal + 2))
        sd = math.sqrt((var_cal + expected * (1 - expected) / n_test) / draws)
        assert abs(observed - expected) <= 4 * sd, (c, observed, expected, sd)


def test_cross_mean_coverage_over_many_small_tables():
    rng = np.random.RandomState(1)
    n, n_test, draws = 50, 1000, 300
    coverage = []
    for _ in range(draws):
        conformal = ConformalRegressor(Ridge(alpha=1.0), method="cross", cv=5).fit(
            *_linear_draw(rng, n)
        )
        Xt, yt = _linear_draw(rng, n_test)
        _, lower, upper = conformal.predict_interval(Xt, confidence=LEVELS)
        coverage.append(_coverage(yt, lower, upper))
    coverage = np.mean(coverage, axis=0)
    print("cross mean coverage", dict(zip(LEVELS, coverage.round(4).tolist(), strict=True)))
    # CV+ has no exact law; its mean coverage is held within 0.02 of the level (about
    # eight standard deviations of this average), and never below the level less 0.02.
    for c, observed in zip(LEVELS, coverage, strict=True):
        assert c - 0.02 <= observed <= c + 1 / (n + 1) + 0.02, (c, observed)


# -- the API ------------------------------------------------------------------------------


def _calibrated_linear(method="split", n_cal=30):
    rng = np.random.RandomState(0)
    model = _OracleSigma().fit(*_linear_draw(rng, 100))
    X, y = _linear_draw(rng, n_cal)
    return ConformalRegressor(model, method=method).calibrate(X, y), model, X, y


@pytest.mark.parametrize("method", ["split", "normalized"])
def test_half_width_is_the_conformal_order_statistic(method):
    conformal, model, X, y = _calibrated_linear(method, n_cal=30)
    y_pred, sigma = model.predict(X, return_std=True)
    scores = np.abs(y - y_pred) / (sigma if method == "normalized" else 1.0)
    np.testing.assert_allclose(conformal.conformity_scores_, scores)
    for c, rank in [(0.5, 16), (0.9, 28), (0.95, 30), (0.6, 19)]:  # ceil(31 c)
        _, lower, upper = conformal.predict_interval(X[:5], confidence=c)
        scale = sigma[:5] if method == "normalized" else 1.0
        half = np.sort(scores)[rank - 1] * scale
        np.testing.assert_allclose(upper - y_pred[:5], half)
        np.testing.assert_allclose(y_pred[:5] - lower, half)


def test_a_list_of_levels_equals_one_call_per_level():
    conformal, _, X, _ = _calibrated_linear()
    y_pred, lower, upper = conformal.predict_interval(X, confidence=LEVELS)
    assert lower.shape == upper.shape == (len(X), 3)
    for j, c in enumerate(LEVELS):
        single = conformal.predict_interval(X, confidence=c)
        np.testing.assert_array_equal(single[0], y_pred)
        np.testing.assert_array_equal(single[1], lower[:, j])
        np.testing.assert_array_equal(single[2], upper[:, j])
    np.testing.assert_array_equal(conformal.predict(X), y_pred)


def test_too_few_calibration_rows_says_how_many_are_needed():
    conformal, _, X, _ = _calibrated_linear(n_cal=10)
    conformal.predict_interval(X, confidence=0.9)  # 10 rows: enough (needs 9)
    with pytest.raises(ValueError, match=r"10 calibration rows .* confidence 0.95.* at least 19"):
        conformal.predict_interval(X, confidence=0.95)
    with pytest.raises(ValueError, match="at least 99 rows"):
        conformal.predict_interval(X, confidence=[0.5, 0.99])


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, float("nan"), "high", [], [[0.9]]])
def test_confidence_outside_the_open_unit_interval_is_refused(bad):
    conformal, _, X, _ = _calibrated_linear()
    with pytest.raises(ValueError, match="confidence"):
        conformal.predict_interval(X, confidence=bad)


def test_normalized_needs_a_sigma():
    rng = np.random.RandomState(0)
    X, y = _linear_draw(rng, 50)
    pipe = make_pipeline(StandardScaler(), Ridge()).fit(X, y)
    with pytest.raises(ValueError, match=r"Ridge.predict gives none.*DeepEnsembleRegressor"):
        ConformalRegressor(pipe, method="normalized").calibrate(X, y)


def test_split_needs_a_fitted_estimator_and_cross_has_no_calibrate():
    rng = np.random.RandomState(0)
    X, y = _linear_draw(rng, 50)
    with pytest.raises(NotFittedError, match="fit it on training rows first"):
        ConformalRegressor(IRNetRegressor()).calibrate(X, y)
    with pytest.raises(ValueError, match="call fit"):
        ConformalRegressor(Ridge(), method="cross").calibrate(X, y)
    with pytest.raises(NotFittedError):
        ConformalRegressor(Ridge()).predict_interval(X)
    with pytest.raises(TypeError, match="takes no fit parameters"):
        ConformalRegressor(Ridge().fit(X, y)).fit(X, y, sample_weight=np.ones(50))


def test_fit_of_a_split_method_is_calibrate():
    conformal, model, X, y = _calibrated_linear()
    refit = ConformalRegressor(model).fit(X, y)
    assert refit.estimator_ is model
    np.testing.assert_array_equal(refit.conformity_scores_, conformal.conformity_scores_)


def test_bad_targets_and_predictions_are_refused():
    rng = np.random.RandomState(0)
    X, y = _linear_draw(rng, 50)
    model = Ridge().fit(X, y)
    with pytest.raises(ValueError, match="X has 50 rows but y has 49"):
        ConformalRegressor(model).calibrate(X, y[:-1])
    with pytest.raises(ValueError, match="one-dimensional"):
        ConformalRegressor(model).calibrate(X, np.c_[y, y])
    with pytest.raises(ValueError, match="NaN or inf"):
        ConformalRegressor(model).calibrate(X, np.r_[y[:-1], np.nan])
    two_targets = Ridge().fit(X, np.c_[y, y])
    with pytest.raises(ValueError, match="predictions must be one-dimensional"):
        ConformalRegressor(two_targets).calibrate(X, y)
    with pytest.raises(ValueError, match="method"):
        ConformalRegressor(model, method="jackknife").calibrate(X, y)


def test_cross_needs_a_partition_of_the_rows():
    rng = np.random.RandomState(0)
    X, y = _linear_draw(rng, 20)
    first, rest = np.arange(10), np.arange(10, 20)
    with pytest.raises(ValueError, match="10 rows are in no test fold"):
        cv = [(first, rest[:5]), (first, rest[5:])]
        ConformalRegressor(Ridge(), method="cross", cv=cv).fit(X, y)
    with pytest.raises(ValueError, match="a row in two test folds"):
        ConformalRegressor(Ridge(), method="cross", cv=[(first, rest)] * 2).fit(X, y)
    with pytest.raises(ValueError, match="at least 2 folds"):
        ConformalRegressor(Ridge(), method="cross", cv=[(first, rest)]).fit(X, y)
    with pytest.raises(ValueError, match="2 <= cv <= 20"):
        ConformalRegressor(Ridge(), method="cross", cv=21).fit(X, y)


def test_cross_passes_fit_params_to_every_fold():
    rng = np.random.RandomState(0)
    X, y = _linear_draw(rng, 40)
    weights = np.r_[np.ones(20), np.zeros(20)]
    conformal = ConformalRegressor(LinearRegression(), method="cross", cv=KFold(4))
    conformal.fit(X, y, sample_weight=weights)
    for model, (train, _) in zip(conformal.estimators_, KFold(4).split(X), strict=True):
        expected = LinearRegression().fit(X[train], y[train], sample_weight=weights[train])
        np.testing.assert_allclose(model.coef_, expected.coef_)


def test_clone_and_params():
    model = Ridge().fit(*_linear_draw(np.random.RandomState(0), 30))
    conformal = ConformalRegressor(model, method="cross", cv=3, random_state=4)
    params = conformal.get_params(deep=False)
    assert params == {"estimator": model, "method": "cross", "cv": 3, "random_state": 4}
    twin = clone(conformal)
    assert twin.get_params()["estimator__alpha"] == 1.0
    assert not hasattr(twin, "conformity_scores_") and twin.estimator is not model


def test_cross_is_reproducible_with_a_seed():
    X, y = _linear_draw(np.random.RandomState(0), 40)
    a = ConformalRegressor(Ridge(), method="cross", random_state=3).fit(X, y)
    b = ConformalRegressor(Ridge(), method="cross", random_state=3).fit(X, y)
    np.testing.assert_array_equal(a.folds_, b.folds_)
    np.testing.assert_array_equal(a.predict_interval(X)[1], b.predict_interval(X)[1])


@pytest.mark.parametrize("method", ["split", "normalized"])
def test_state_round_trips_through_json(method):
    conformal, model, X, _ = _calibrated_linear(method)
    state = json.loads(json.dumps(conformal.to_dict()))
    assert state["method"] == method and len(state["conformity_scores"]) == 30
    restored = ConformalRegressor.from_dict(state, model)
    for a, b in zip(
        conformal.predict_interval(X, LEVELS), restored.predict_interval(X, LEVELS), strict=True
    ):
        np.testing.assert_array_equal(a, b)


def test_from_dict_refuses_what_it_cannot_use():
    conformal, model, _, _ = _calibrated_linear()
    state = conformal.to_dict()
    for broken, message in [
        ({**state, "format": 2}, "format 2 is not supported"),
        ({**state, "method": "cross"}, "'split' or 'normalized'"),
        ({**state, "conformity_scores": []}, "non-empty"),
        ({**state, "conformity_scores": [1.0, -1.0]}, "non-negative"),
        ({**state, "conformity_scores": ["a"]}, "list of numbers"),
        ({k: v for k, v in state.items() if k != "method"}, "exactly the keys"),
        ([1.0], "the dictionary to_dict wrote"),
    ]:
        with pytest.raises(ValueError, match=message):
            ConformalRegressor.from_dict(broken, model)
    with pytest.raises(NotFittedError):
        ConformalRegressor.from_dict(state, Ridge())
    with pytest.raises(ValueError, match="gives none"):
        ConformalRegressor.from_dict({**state, "method": "normalized"}, Ridge().fit([[0]], [0]))
    cross = ConformalRegressor(Ridge(), method="cross", cv=2).fit(
        [[0], [1], [2], [3]], [0, 1, 2, 3]
    )
    with pytest.raises(ValueError, match="fold models"):
        cross.to_dict()


def test_pretrained_formula_model_with_a_stored_calibration():
    from skirnet import pretrained
    from skirnet.datasets import load_oqmd_sample

    formulas, y = load_oqmd_sample(split="test", return_X_y=True)  # rows it was not fit on
    order = np.random.RandomState(0).permutation(len(y))
    cal, test = order[:1000], order[1000:]
    model = pretrained.load("oqmd-formation-enthalpy")
    conformal = ConformalRegressor(model).calibrate(formulas[cal], y[cal])
    restored = ConformalRegressor.from_dict(json.loads(json.dumps(conformal.to_dict())), model)
    _, lower, upper = restored.predict_interval(list(formulas[test]), confidence=LEVELS)
    coverage = _coverage(y[test], lower, upper)
    print("pretrained split coverage", dict(zip(LEVELS, coverage.round(4).tolist(), strict=True)))
    _assert_covers(coverage, len(cal), len(test))


# -- inside MAPIE -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mapie():
    return pytest.importorskip("mapie.regression")


def _mapie_checks(y_pred, intervals, y, n_cal, levels=LEVELS):
    assert y_pred.shape == (len(y),)
    assert intervals.shape == (len(y), 2, len(levels))
    assert np.isfinite(intervals).all()
    coverage = ((intervals[:, 0, :] <= y[:, None]) & (y[:, None] <= intervals[:, 1, :])).mean(0)
    _assert_covers(coverage, n_cal, len(y), levels)
    return coverage


def test_prefit_networks_and_ensemble_inside_mapie_split(mapie, data, net_pipe, ensemble_pipe):
    from mapie.conformity_scores import StdConformityScore

    # MAPIE's σ-normalised score builds a (test rows × calibration rows) array: fewer rows.
    (Xc, yc, _), (Xt, yt, _) = data["cal"], data["test"]
    Xc, yc, Xt, yt = Xc[:1000], yc[:1000], Xt[:5000], yt[:5000]
    net, scaled = net_pipe[-1], net_pipe[0].transform
    for label, estimator, score, transform in [
        ("IRNet", net, "absolute", scaled),
        ("Pipeline(StandardScaler, IRNet)", net_pipe, "absolute", None),
        ("Pipeline(StandardScaler, DeepEnsemble)", ensemble_pipe, "absolute", None),
        ("DeepEnsemble, σ-normalised", ensemble_pipe[-1], StdConformityScore(), scaled),
        (
            "Pipeline(StandardScaler, DeepEnsemble), σ-normalised",
            ensemble_pipe,
            StdConformityScore(),
            None,
        ),
    ]:
        Xc_, Xt_ = (transform(Xc), transform(Xt)) if transform else (Xc, Xt)
        regressor = mapie.SplitConformalRegressor(
            estimator, confidence_level=LEVELS, conformity_score=score, prefit=True
        ).conformalize(Xc_, yc)
        y_pred, intervals = regressor.predict_interval(Xt_)
        coverage = _mapie_checks(y_pred, intervals, yt, len(yc))
        print("mapie prefit", label, coverage.round(4).tolist())
        np.testing.assert_allclose(y_pred, estimator.predict(Xt_))


def _skirnet_estimators():
    return {
        "IRNet": _net(max_epochs=10),
        "Pipeline(StandardScaler, IRNet)": make_pipeline(StandardScaler(), _net(max_epochs=10)),
        "DeepEnsemble": DeepEnsembleRegressor(_net(max_epochs=10), n_estimators=2, random_state=0),
    }


@pytest.mark.parametrize("name", list(_skirnet_estimators()))
def test_unfitted_skirnet_estimators_inside_mapie(mapie, data, name):
    estimator = _skirnet_estimators()[name]
    X, y, _ = _hetero(200, 4)
    (Xc, yc, _), (Xt, yt, _) = data["cal"], data["test"]
    Xc, yc, Xt, yt = Xc[:1000], yc[:1000], Xt[:5000], yt[:5000]

    split = mapie.SplitConformalRegressor(estimator, confidence_level=LEVELS, prefit=False)
    split.fit(X, y).conformalize(Xc, yc)
    coverage = _mapie_checks(*split.predict_interval(Xt), yt, 1000)
    print("mapie split", name, coverage.round(4).tolist())
    assert not hasattr(estimator, "n_features_in_")  # MAPIE fitted a clone

    cross = mapie.CrossConformalRegressor(
        estimator, confidence_level=LEVELS, cv=3, random_state=0
    ).fit_conformalize(X, y)
    coverage = _mapie_checks(*cross.predict_interval(Xt), yt, len(y))
    print("mapie cross", name, coverage.round(4).tolist())


def test_pretrained_formula_pipeline_inside_mapie(mapie):
    from skirnet import pretrained
    from skirnet.datasets import load_oqmd_sample

    formulas, y = load_oqmd_sample(split="test", return_X_y=True)
    order = np.random.RandomState(0).permutation(len(y))
    cal, test = order[:1000], order[1000:]
    model = pretrained.load("oqmd-formation-enthalpy")
    regressor = mapie.SplitConformalRegressor(model, confidence_level=LEVELS, prefit=True)
    y_pred, intervals = regressor.conformalize(formulas[cal], y[cal]).predict_interval(
        formulas[test]
    )
    coverage = _mapie_checks(y_pred, intervals, y[test], len(cal))
    print("mapie pretrained", coverage.round(4).tolist())
    ours = ConformalRegressor(model).calibrate(formulas[cal], y[cal])
    _, lower, upper = ours.predict_interval(formulas[test], LEVELS)
    np.testing.assert_allclose(intervals[:, 0, :], lower)
    np.testing.assert_allclose(intervals[:, 1, :], upper)


def test_our_intervals_equal_mapies(mapie):
    """Split and CV+ agree to rounding; normalised agrees on the upper side (see below)."""
    from mapie.conformity_scores import StdConformityScore

    rng = np.random.RandomState(0)
    X, y = _linear_draw(rng, 400)
    Xt, _ = _linear_draw(rng, 200)

    model = Ridge().fit(X[:200], y[:200])
    ours = ConformalRegressor(model).calibrate(X[200:], y[200:])
    theirs = mapie.SplitConformalRegressor(model, confidence_level=LEVELS, prefit=True)
    y_pred, intervals = theirs.conformalize(X[200:], y[200:]).predict_interval(Xt)
    _, lower, upper = ours.predict_interval(Xt, LEVELS)
    np.testing.assert_allclose(intervals[:, 0, :], lower)
    np.testing.assert_allclose(intervals[:, 1, :], upper)

    model = _OracleSigma().fit(X[:200], y[:200])
    ours = ConformalRegressor(model, method="normalized").calibrate(X[200:], y[200:])
    theirs = mapie.SplitConformalRegressor(
        model, confidence_level=LEVELS, conformity_score=StdConformityScore(), prefit=True
    )
    y_pred, intervals = theirs.conformalize(X[200:], y[200:]).predict_interval(Xt)
    _, lower, upper = ours.predict_interval(Xt, LEVELS)
    np.testing.assert_allclose(intervals[:, 1, :], upper)
    # MAPIE 1.6's StdConformityScore takes the lower side's half-width at rank
    # n + 1 − ceil((n + 1)(1 − c)) instead of ceil((n + 1)c): one rank lower whenever
    # (n + 1)c is not an integer, so its lower bounds are never below ours.
    assert (intervals[:, 0, :] >= lower - 1e-12).all()
    np.testing.assert_allclose(upper - y_pred[:, None], y_pred[:, None] - lower)

    cv = KFold(5, shuffle=True, random_state=0)
    ours = ConformalRegressor(Ridge(), method="cross", cv=cv).fit(X, y)
    theirs = mapie.CrossConformalRegressor(Ridge(), confidence_level=LEVELS, cv=cv)
    y_pred, intervals = theirs.fit_conformalize(X, y).predict_interval(Xt)
    ours_pred, lower, upper = ours.predict_interval(Xt, LEVELS)
    np.testing.assert_allclose(ours_pred, y_pred)
    np.testing.assert_allclose(intervals[:, 0, :], lower)
    np.testing.assert_allclose(intervals[:, 1, :], upper)
    np.testing.assert_allclose(np.sort(ours.conformity_scores_), np.sort(theirs.conformity_scores))
