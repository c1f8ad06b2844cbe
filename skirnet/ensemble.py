"""Deep ensembles: several networks trained from different seeds, and their spread as σ.

:class:`DeepEnsembleRegressor` is a scikit-learn meta-estimator (like
:class:`~sklearn.ensemble.VotingRegressor`): it fits ``n_estimators`` clones of
``estimator``, each seeded from ``random_state``, and predicts their mean;
``predict(X, return_std=True)`` also returns their standard deviation, as
:class:`~sklearn.gaussian_process.GaussianProcessRegressor` and
:class:`~sklearn.linear_model.BayesianRidge` do, so it works as the last step of a
:class:`~sklearn.pipeline.Pipeline` (``pipe.predict(X, return_std=True)``).

The spread of an ensemble is a ranking of how much to trust each prediction more than a
calibrated error bar: :meth:`skirnet.DeepEnsembleRegressor.calibrate` rescales σ on
held-out data so that it matches the observed errors, and
:func:`~skirnet.ensemble.calibration_summary` measures how well σ covers the errors (see the benchmarks page for the measured numbers).

Lakshminarayanan, Pritzel and Blundell, "Simple and scalable predictive uncertainty
estimation using deep ensembles", NeurIPS 2017.
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np
from joblib import Parallel, delayed
from scipy.stats import spearmanr
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted

__all__ = ["DeepEnsembleRegressor", "calibration_summary", "coverage_curve"]

_MAX_SEED = np.iinfo(np.int32).max


def _seeded(estimator: BaseEstimator, seed: int) -> BaseEstimator:
    """A clone of ``estimator`` with every ``random_state`` parameter (nested too) set."""
    member = clone(estimator)
    keys = [
        key
        for key in member.get_params(deep=True)
        if key == "random_state" or key.endswith("__random_state")
    ]
    member.set_params(**dict.fromkeys(keys, seed))
    return member


def _fit_member(member: BaseEstimator, X: Any, y: Any, fit_params: dict) -> BaseEstimator:
    return member.fit(X, y, **fit_params)


class DeepEnsembleRegressor(MetaEstimatorMixin, RegressorMixin, BaseEstimator):
    """An ensemble of networks trained from different seeds; predicts mean and spread.

    Parameters
    ----------
    estimator : estimator object, default=None
        The regressor to clone, or a :class:`~sklearn.pipeline.Pipeline` ending in one.
        Every ``random_state`` parameter in it (nested ones too) is set per member.
        ``None`` means ``IRNetRegressor()``.
    n_estimators : int, default=5
        Number of members.
    random_state : int, RandomState instance or None, default=None
        Draws the members' seeds. An int gives the same ensemble run after run on the CPU.
    n_jobs : int, default=None
        Members trained in parallel processes (joblib). ``None`` trains them one after
        another, which is best on a single GPU or when each member already uses every CPU
        core. joblib gives each worker process ``cores / n_jobs`` torch threads; parallel
        members equal sequential ones exactly when both ran with the same number of
        threads (the order of floating-point sums inside a matrix product depends on it).

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted members.
    seeds_ : ndarray of shape (n_estimators,)
        The seed each member was given.
    std_scale_ : float
        Factor applied to the members' standard deviation (1.0 until :meth:`calibrate`).
    n_features_in_ : int
        Number of features seen during ``fit`` (when the members record it).
    feature_names_in_ : ndarray of str
        Names of the features seen during ``fit`` (when the members record them).

    See Also
    --------
    skirnet.ensemble.calibration_summary : how well σ covers the errors.

    Examples
    --------
    >>> import numpy as np
    >>> from skirnet import IRNetRegressor
    >>> from skirnet.ensemble import DeepEnsembleRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 4)); y = X[:, 0] - X[:, 1]
    >>> net = IRNetRegressor(hidden_layer_sizes="16x2", lr=1e-2, max_epochs=5)
    >>> ens = DeepEnsembleRegressor(net, n_estimators=3, random_state=0).fit(X, y)
    >>> mean, std = ens.predict(X[:2], return_std=True)
    >>> mean.shape, std.shape, bool((std > 0).all())
    ((2,), (2,), True)
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "n_estimators": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [None, numbers.Integral],
    }

    def __init__(
        self,
        estimator: BaseEstimator | None = None,
        n_estimators: int = 5,
        *,
        random_state: int | np.random.RandomState | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _base(self) -> BaseEstimator:
        if self.estimator is not None:
            return self.estimator
        from skirnet.estimators import IRNetRegressor

        return IRNetRegressor()

    def fit(self, X: Any, y: Any, **fit_params: Any) -> DeepEnsembleRegressor:
        """Fit every member on ``X`` and ``y``.

        Parameters
        ----------
        X : array-like or DataFrame
            Training inputs, as the members take them.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        **fit_params : dict
            Passed to every member's ``fit`` (e.g. ``validation_data=(X_val, y_val)``).

        Returns
        -------
        self : object
            The fitted ensemble.
        """
        self._validate_params()
        rng = check_random_state(self.random_state)
        self.seeds_ = rng.randint(_MAX_SEED, size=self.n_estimators)
        members = [_seeded(self._base(), int(seed)) for seed in self.seeds_]
        if self.n_jobs is None:
            self.estimators_ = [_fit_member(m, X, y, fit_params) for m in members]
        else:
            self.estimators_ = Parallel(n_jobs=self.n_jobs)(
                delayed(_fit_member)(m, X, y, fit_params) for m in members
            )
        self.std_scale_ = 1.0
        first = self.estimators_[0]
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(first, name):
                setattr(self, name, getattr(first, name))
        return self

    def _member_predictions(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "estimators_")
        return np.stack([np.asarray(m.predict(X), dtype=np.float64) for m in self.estimators_])

    def predict(
        self, X: Any, return_std: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Mean prediction of the members, and optionally their standard deviation.

        Parameters
        ----------
        X : array-like or DataFrame
            Inputs, as the members take them.
        return_std : bool, default=False
            Also return the standard deviation of the members' predictions (times
            ``std_scale_``).

        Returns
        -------
        y_mean : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Mean of the members' predictions.
        y_std : ndarray of the same shape
            Only with ``return_std=True``.
        """
        predictions = self._member_predictions(X)
        mean = predictions.mean(axis=0)
        if not return_std:
            return mean
        return mean, predictions.std(axis=0) * self.std_scale_

    def calibrate(self, X: Any, y: Any) -> DeepEnsembleRegressor:
        """Rescale σ on held-out data so that its intervals hold what they promise.

        Sets ``std_scale_`` to the factor *s* whose intervals ``μ ± z·s·σ`` cover the
        held-out targets closest to the Gaussian levels, i.e. the *s* with the smallest
        miscalibration area (:func:`~skirnet.ensemble.calibration_summary`) on that data,
        searched on a logarithmic grid from 10⁻³ to 10³. Unlike the Gaussian likelihood's
        ``s² = mean((y − μ)² / σ²)``, this is not carried away by a few huge errors
        (OQMD has targets 90 eV/atom from the rest). Use validation data, never the test
        set.

        Parameters
        ----------
        X : array-like or DataFrame
            Held-out inputs.
        y : array-like
            Their targets.

        Returns
        -------
        self : object
            The ensemble, with ``std_scale_`` set.
        """
        from scipy.stats import norm

        predictions = self._member_predictions(X)
        mean, std = predictions.mean(axis=0), predictions.std(axis=0)
        residual = np.asarray(y, dtype=np.float64).reshape(mean.shape) - mean
        ok = std > 0
        if not ok.any():
            raise ValueError("Every member predicts the same values; σ is 0 everywhere.")
        z = np.sort(np.abs(residual[ok]) / std[ok])
        levels = np.linspace(0.01, 0.99, 99)
        scales = np.geomspace(1e-3, 1e3, 3001)
        bounds = scales[:, None] * norm.ppf(0.5 + levels / 2)[None, :]
        observed = np.searchsorted(z, bounds, side="right") / len(z)
        area = np.abs(observed - levels).mean(axis=1)
        self.std_scale_ = float(scales[np.argmin(area)])
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base = self._base().__sklearn_tags__()
        tags.target_tags.multi_output = base.target_tags.multi_output
        tags.input_tags = base.input_tags
        tags.non_deterministic = base.non_deterministic
        return tags


def coverage_curve(
    y_true: Any, y_mean: Any, y_std: Any, levels: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Expected against observed coverage of central Gaussian intervals.

    For each level ``p``, the observed coverage is the fraction of targets inside
    ``mean ± z·σ`` with ``z`` the two-sided Gaussian quantile of ``p``. Calibrated
    uncertainties give observed = expected.

    Parameters
    ----------
    y_true, y_mean, y_std : array-like of shape (n_samples,)
        Targets, predicted means and predicted standard deviations.
    levels : array-like, default=None
        Expected coverages; default 0.01, 0.02, ..., 0.99.

    Returns
    -------
    expected, observed : ndarray
        The levels and the fraction of targets their intervals hold.

    Examples
    --------
    >>> import numpy as np
    >>> from skirnet.ensemble import coverage_curve
    >>> expected, observed = coverage_curve([0.0, 1.0, 3.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0],
    ...                                     levels=[0.5, 0.99])
    >>> observed.tolist()
    [0.3333333333333333, 0.6666666666666666]
    """
    from scipy.stats import norm

    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_mean = np.asarray(y_mean, dtype=np.float64).ravel()
    y_std = np.asarray(y_std, dtype=np.float64).ravel()
    z = np.abs(y_true - y_mean) / np.where(y_std > 0, y_std, np.finfo(float).tiny)
    expected = np.linspace(0.01, 0.99, 99) if levels is None else np.asarray(levels, float)
    observed = np.array([np.mean(z <= norm.ppf(0.5 + p / 2)) for p in expected])
    return expected, observed


def calibration_summary(y_true: Any, y_mean: Any, y_std: Any) -> dict[str, float]:
    """How well predicted standard deviations describe the errors.

    Parameters
    ----------
    y_true, y_mean, y_std : array-like of shape (n_samples,)
        Targets, predicted means and predicted standard deviations.

    Returns
    -------
    summary : dict
        ``within_1sigma`` and ``within_2sigma`` (fractions of errors inside ±1σ and ±2σ;
        0.683 and 0.954 for calibrated Gaussian errors), ``miscalibration_area`` (mean
        absolute gap between expected and observed coverage of central Gaussian intervals
        at 99 levels; 0 is perfect) and ``spearman_abs_error_std`` (rank correlation of
        the absolute error and σ: whether σ ranks the predictions by how far off they are).

    Examples
    --------
    >>> import numpy as np
    >>> from skirnet.ensemble import calibration_summary
    >>> rng = np.random.RandomState(0)
    >>> std = rng.uniform(0.5, 2, size=20000)
    >>> s = calibration_summary(rng.normal(0, std), np.zeros(20000), std)
    >>> round(s["within_1sigma"], 2), round(s["within_2sigma"], 2)
    (0.69, 0.95)
    """
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_mean = np.asarray(y_mean, dtype=np.float64).ravel()
    y_std = np.asarray(y_std, dtype=np.float64).ravel()
    z = np.abs(y_true - y_mean) / np.where(y_std > 0, y_std, np.finfo(float).tiny)
    expected, observed = coverage_curve(y_true, y_mean, y_std)
    return {
        "within_1sigma": float(np.mean(z <= 1)),
        "within_2sigma": float(np.mean(z <= 2)),
        "miscalibration_area": float(np.mean(np.abs(observed - expected))),
        "spearman_abs_error_std": float(spearmanr(np.abs(y_true - y_mean), y_std).statistic),
    }
