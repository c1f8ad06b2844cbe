"""Conformal prediction intervals at any confidence level, for any fitted regressor.

:class:`~skirnet.ConformalRegressor` wraps a regressor (a skirnet network, a
:class:`~skirnet.DeepEnsembleRegressor`, a :class:`~sklearn.pipeline.Pipeline` ending in
either, a pretrained or fine-tuned formula pipeline) and turns its point predictions into
intervals ``[lower, upper]`` that hold the target with the chosen probability:

``"split"``
    The estimator is already fitted; held-out calibration rows give the absolute residuals
    ``|y − ŷ|``, and the interval is ``ŷ ± q`` with *q* their conformal quantile.
``"normalized"``
    As ``"split"``, with each residual divided by the estimator's σ (``predict(X,
    return_std=True)``: an ensemble's spread), so the interval ``ŷ ± q·σ`` widens where the
    model is unsure.
``"cross"``
    CV+ (cross-conformal): ``fit`` trains one clone per fold and calibrates on out-of-fold
    residuals, so every row serves both training and calibration; for small tables.

On exchangeable data the split intervals cover the target with probability at least the
confidence asked (and, without ties among the scores, less than ``1/(n + 1)`` above it,
*n* the calibration rows), on average over calibration and test rows; see
:ref:`intervals` in the user guide for what this does and does not promise.

MAPIE (the ``intervals`` extra) implements the same methods, and skirnet's estimators and
pipelines work inside its ``SplitConformalRegressor`` and ``CrossConformalRegressor`` as
given; the tests check that our intervals equal MAPIE's. This module is our own because
MAPIE fixes the confidence level when the object is built (we choose it per call, from
the same stored scores), keeps its calibrated state with the model in objects that only
pickle (we keep a list of floats, :meth:`skirnet.ConformalRegressor.to_dict`, to ship
beside a pretrained model's JSON), is not a dependency of skirnet, and in its
cross-conformal mode also fits a model on all rows (one more network's training, which
CV+ does not need).

Vovk, Gammerman and Shafer, *Algorithmic Learning in a Random World* (2005); Lei,
G'Sell, Rinaldo, Tibshirani and Wasserman, "Distribution-free predictive inference for
regression", JASA 2018; Barber, Candès, Ramdas and Tibshirani, "Predictive inference with
the jackknife+", Ann. Statist. 2021.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import numbers
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import KFold, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import _check_method_params, _num_samples, check_is_fitted

__all__ = [
    "CALIBRATION_FILE",
    "CALIBRATION_SHA256",
    "ConformalRegressor",
    "load_calibration",
    "read_calibration",
]

#: Version of the dictionary written by :meth:`ConformalRegressor.to_dict`.
_STATE_FORMAT = 1
#: The file beside a saved model's ``pipeline.json`` that holds its split calibration:
#: ``{"conformal": <ConformalRegressor.to_dict()>, ...where the rows came from...}``.
CALIBRATION_FILE = "conformal.json"
#: The saved pipeline's file (:data:`skirnet.pipeline.PIPELINE_FILE`), which records the
#: SHA-256 of the calibration saved with it under :data:`CALIBRATION_SHA256`.
_PIPELINE_FILE = "pipeline.json"
#: The key of ``pipeline.json`` under which the calibration's SHA-256 is recorded.
CALIBRATION_SHA256 = "calibration_sha256"
#: σ below this is raised to it, so that a row on which the members agree exactly does
#: not give an infinite score (the floor MAPIE's ``StdConformityScore`` uses).
_SIGMA_FLOOR = 1e-8
#: Cross-conformal bounds are computed on blocks of test rows holding at most this many
#: (test row, calibration row) pairs, so that memory stays bounded on large X.
_BLOCK_PAIRS = 1 << 22


def _final_step(estimator: Any) -> Any:
    while isinstance(estimator, Pipeline):
        estimator = estimator.steps[-1][1]
    return estimator


def _has_sigma(estimator: Any) -> bool:
    """Whether ``estimator.predict`` takes ``return_std`` (directly or as a Pipeline's end)."""
    predict = getattr(_final_step(estimator), "predict", None)
    if predict is None:
        return False
    try:
        return "return_std" in inspect.signature(predict).parameters
    except (TypeError, ValueError):
        return False


def _as_1d(values: Any, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"{what} must be one-dimensional (one target); got shape {array.shape}. "
            "Conformal intervals here are for a single target: wrap one model per target."
        )
    return array


def _conformal_rank(n: int, confidence: float) -> int:
    """The rank (1-based) of the calibration score that bounds ``confidence`` of the rows.

    ``ceil((n + 1) · confidence)``: with *n* exchangeable scores and a new one, the new
    score is at most the k-th smallest of the *n* with probability ``k / (n + 1)``.
    """
    return math.ceil((n + 1) * confidence)


def _rows_needed(confidence: float) -> int:
    """The fewest calibration rows for which ``confidence`` gives a finite bound."""
    n = max(1, math.floor(confidence / (1 - confidence)) - 1)
    while _conformal_rank(n, confidence) > n:
        n += 1
    return n


def _ranks(n: int, levels: np.ndarray) -> np.ndarray:
    """The conformal rank of each level for *n* scores; a level needing more rows raises."""
    ranks = []
    for level in levels:
        rank = _conformal_rank(n, float(level))
        if rank > n:
            raise ValueError(
                f"{n} calibration rows are too few for confidence {float(level):g}: its "
                f"conformal bound would be infinite. It needs at least "
                f"{_rows_needed(float(level))} rows (ceil((n + 1) * confidence) <= n); "
                "calibrate on more rows or ask for a lower confidence."
            )
        ranks.append(rank)
    return np.asarray(ranks)


def check_level(state: Mapping[str, Any], confidence: float) -> None:
    """Raise ValueError unless ``confidence`` is a level the stored calibration can give.

    ``state`` is :meth:`ConformalRegressor.to_dict`'s dictionary; for callers that check an
    option before any prediction (the command line).
    """
    levels, _ = _check_confidence(confidence)
    _ranks(len(state["conformity_scores"]), levels)


def _check_confidence(confidence: Any) -> tuple[np.ndarray, bool]:
    scalar = np.ndim(confidence) == 0
    try:
        levels = np.atleast_1d(np.asarray(confidence, dtype=np.float64))
    except (TypeError, ValueError):
        raise ValueError(
            f"confidence must be a number in (0, 1) or a list of them; got {confidence!r}"
        ) from None
    if levels.ndim != 1 or levels.size == 0:
        raise ValueError(
            f"confidence must be a number in (0, 1) or a flat, non-empty list of them; "
            f"got {confidence!r}"
        )
    bad = ~((levels > 0) & (levels < 1))
    if bad.any():
        raise ValueError(
            f"confidence must lie strictly between 0 and 1 (0.9 for 90 % intervals); "
            f"got {levels[bad][0]!r}"
        )
    return levels, scalar


class ConformalRegressor(MetaEstimatorMixin, RegressorMixin, BaseEstimator):
    """Prediction intervals at any confidence level from conformal calibration.

    Split conformal (``"split"``, ``"normalized"``) uses a fitted ``estimator`` as given
    and stores the conformity scores of held-out calibration rows (:meth:`calibrate`);
    cross-conformal (``"cross"``, the CV+ method) trains one clone of ``estimator`` per
    fold of the data given to :meth:`fit`. Either way :meth:`predict_interval` then gives
    intervals at any confidence level from the same stored scores.

    Parameters
    ----------
    estimator : estimator object
        A regressor with one target. For ``"split"`` and ``"normalized"`` it must already
        be fitted (it is used as is, never refitted), for ``"cross"`` it is cloned and
        fitted on each fold. ``"normalized"`` needs ``predict(X, return_std=True)``: a
        :class:`~skirnet.DeepEnsembleRegressor`, or a Pipeline ending in one.
    method : {"split", "normalized", "cross"}, default="split"
        ``"split"``: scores are absolute residuals ``|y − ŷ|`` on the calibration rows and
        intervals have the same width everywhere. ``"normalized"``: scores are
        ``|y − ŷ| / σ`` and intervals are ``ŷ ± q·σ``, wider where σ is larger (locally
        adaptive; a constant factor on σ, such as the ensemble's ``std_scale_``, changes
        nothing). ``"cross"``: CV+ on the rows given to :meth:`fit`, for tables too small
        to hold rows out.
    cv : int or cross-validation generator, default=5
        Folds of ``"cross"``: an int is the number of shuffled
        :class:`~sklearn.model_selection.KFold` folds; a splitter or an iterable of
        (train, test) index pairs is used as given, and every row must lie in exactly one
        test fold. Ignored by the other methods.
    random_state : int, RandomState instance or None, default=None
        Shuffles the rows into folds when ``cv`` is an int. The fold clones keep the
        estimator's own ``random_state``.

    Attributes
    ----------
    estimator_ : estimator object
        ``"split"``, ``"normalized"``: the estimator itself (not a copy).
    estimators_ : list of estimators
        ``"cross"``: the clone fitted on each fold, in fold order.
    conformity_scores_ : ndarray of shape (n_calibration,)
        The calibration rows' scores, in row order: absolute residuals, divided by σ for
        ``"normalized"``; out-of-fold residuals for ``"cross"``.
    folds_ : ndarray of shape (n_calibration,)
        ``"cross"``: the fold whose model left each row out (an index into
        ``estimators_``).
    n_features_in_ : int
        Number of features the estimator saw during fit (when it records it).
    feature_names_in_ : ndarray of str
        Names of those features (when the estimator records them).

    See Also
    --------
    skirnet.DeepEnsembleRegressor : gives the σ of ``method="normalized"``.

    Notes
    -----
    With *n* scores, the half-width at confidence *c* is the ``ceil((n + 1)·c)``-th
    smallest score (times σ for ``"normalized"``). When that rank exceeds *n* the bound
    would be infinite and :meth:`predict_interval` raises, naming how many rows the level
    needs (9 for 0.9, 19 for 0.95, 99 for 0.99).

    For ``"cross"``, the bounds at a test row are the order statistics of
    ``ŷ₋ₖ₍ᵢ₎(x) ∓ Rᵢ`` over the rows *i*, with ``ŷ₋ₖ₍ᵢ₎`` the model that left row *i*
    out and ``Rᵢ`` its residual; the point prediction is the mean of the fold models.
    Its proven coverage is ``1 − 2·(1 − c)`` less a small term; in practice it is close
    to *c*.

    Examples
    --------
    >>> import numpy as np
    >>> from skirnet import IRNetRegressor
    >>> from skirnet import ConformalRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(600, 3)); y = X[:, 0] + 0.1 * rng.normal(size=600)
    >>> net = IRNetRegressor(hidden_layer_sizes="16x2", lr=1e-2, max_epochs=5,
    ...                      random_state=0).fit(X[:400], y[:400])
    >>> conformal = ConformalRegressor(net).calibrate(X[400:], y[400:])
    >>> y_pred, lower, upper = conformal.predict_interval(X[:3], confidence=0.9)
    >>> y_pred.shape, bool((lower < y_pred).all() and (y_pred < upper).all())
    ((3,), True)
    >>> _, lower, upper = conformal.predict_interval(X[:3], confidence=[0.68, 0.95])
    >>> lower.shape
    (3, 2)
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods(["fit", "predict"])],
        "method": [StrOptions({"split", "normalized", "cross"})],
        "cv": ["cv_object"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator: BaseEstimator,
        *,
        method: str = "split",
        cv: int | Any = 5,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.estimator = estimator
        self.method = method
        self.cv = cv
        self.random_state = random_state

    # -- fitting --------------------------------------------------------------------------

    def fit(self, X: Any, y: Any, **fit_params: Any) -> ConformalRegressor:
        """Make the intervals ready: calibrate (split methods) or fit the folds (``"cross"``).

        For ``"split"`` and ``"normalized"`` this is :meth:`calibrate`: ``X`` and ``y`` are
        calibration rows the estimator was not trained on, and the estimator is not
        refitted. For ``"cross"`` it fits one clone of the estimator per fold and
        calibrates on the out-of-fold residuals.

        Parameters
        ----------
        X : array-like or DataFrame
            Inputs, as the estimator takes them (formulas for a formula pipeline).
        y : array-like of shape (n_samples,)
            Targets.
        **fit_params : dict
            ``"cross"`` only: passed to every fold's ``fit``; those with one value per row
            (``sample_weight``) are cut to the fold's training rows.

        Returns
        -------
        self : object
            The calibrated conformal regressor.
        """
        self._validate_params()
        if self.method != "cross":
            if fit_params:
                raise TypeError(
                    f"method={self.method!r} does not fit the estimator, so it takes no fit "
                    f"parameters (got {sorted(fit_params)}); fit the estimator first"
                )
            return self.calibrate(X, y)
        return self._fit_cross(X, y, fit_params)

    def calibrate(self, X: Any, y: Any) -> ConformalRegressor:
        """Store the conformity scores of calibration rows (``"split"``, ``"normalized"``).

        The rows must be held out: neither trained on nor used to pick the model (early
        stopping, hyperparameters), and drawn like the rows the intervals are for.

        Parameters
        ----------
        X : array-like or DataFrame
            Calibration inputs, as the estimator takes them.
        y : array-like of shape (n_samples,)
            Their targets.

        Returns
        -------
        self : object
            The calibrated conformal regressor.

        Raises
        ------
        ValueError
            With ``method="cross"`` (use :meth:`fit`), or for ``"normalized"`` when the
            estimator gives no σ or σ is negative or not finite.
        sklearn.exceptions.NotFittedError
            The estimator is not fitted.
        """
        self._validate_params()
        if self.method == "cross":
            raise ValueError(
                "method='cross' has no separate calibration set: call fit(X, y) on all rows"
            )
        self._check_prefit(self.estimator)
        y = self._check_targets(X, y)
        y_pred, sigma = self._predict_with_sigma(self.estimator, X)
        scores = np.abs(y - y_pred)
        if sigma is not None:
            scores = scores / sigma
        self.estimator_ = self.estimator
        self.conformity_scores_ = scores
        self._copy_feature_info(self.estimator)
        return self

    def _fit_cross(self, X: Any, y: Any, fit_params: dict) -> ConformalRegressor:
        y = self._check_targets(X, y)
        n = len(y)
        if isinstance(self.cv, numbers.Integral):
            if self.cv < 2 or self.cv > n:
                raise ValueError(
                    f"cv={self.cv} folds need 2 <= cv <= {n} (the number of rows given)"
                )
            cv = KFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
        else:
            cv = check_cv(self.cv)
        folds = np.full(n, -1)
        estimators = []
        for k, (train, test) in enumerate(cv.split(X, y)):
            if (folds[test] >= 0).any():
                raise ValueError("cv puts a row in two test folds; CV+ needs a partition")
            folds[test] = k
            params = _check_method_params(X, fit_params, indices=train)
            model = clone(self.estimator).fit(_safe_indexing(X, train), y[train], **params)
            estimators.append(model)
        if len(estimators) < 2:
            raise ValueError("method='cross' needs at least 2 folds")
        if (folds < 0).any():
            raise ValueError(
                f"{int((folds < 0).sum())} rows are in no test fold; CV+ needs every row "
                "left out exactly once"
            )
        residuals = np.empty(n)
        for k, model in enumerate(estimators):
            test = np.flatnonzero(folds == k)
            residuals[test] = np.abs(
                y[test] - self._predict(model, _safe_indexing(X, test), len(test))
            )
        self.estimators_ = estimators
        self.folds_ = folds
        self.conformity_scores_ = residuals
        self._copy_feature_info(estimators[0])
        return self

    # -- prediction -----------------------------------------------------------------------

    def predict(self, X: Any) -> np.ndarray:
        """Point predictions (the fold models' mean for ``"cross"``).

        Parameters
        ----------
        X : array-like or DataFrame
            Inputs, as the estimator takes them.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The estimator's predictions.
        """
        check_is_fitted(self, "conformity_scores_")
        if self.method == "cross":
            return self._fold_predictions(X).mean(axis=0)
        return self._predict(self.estimator_, X, _num_samples(X))

    def predict_interval(
        self, X: Any, confidence: float | Any = 0.9
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Point predictions and conformal intervals at the given confidence level(s).

        Parameters
        ----------
        X : array-like or DataFrame
            Inputs, as the estimator takes them.
        confidence : float or sequence of float, default=0.9
            Probability that the interval holds the target, strictly between 0 and 1
            (0.9 for 90 % intervals); a list gives one interval per level.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Point predictions, as :meth:`predict`.
        lower, upper : ndarray of shape (n_samples,) or (n_samples, n_levels)
            Interval bounds; one column per level when ``confidence`` is a list.

        Raises
        ------
        ValueError
            A confidence outside (0, 1), or one too high for the number of calibration
            rows (the message says how many it needs).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LinearRegression
        >>> from skirnet import ConformalRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(300, 2)); y = X.sum(axis=1) + rng.normal(size=300)
        >>> model = LinearRegression().fit(X[:100], y[:100])
        >>> conformal = ConformalRegressor(model).calibrate(X[100:], y[100:])
        >>> y_pred, lower, upper = conformal.predict_interval(X[:2], confidence=0.95)
        >>> np.round(upper - lower, 2)  # the noise is N(0, 1): ±1.96 is 3.92 wide
        array([3.87, 3.87])
        """
        check_is_fitted(self, "conformity_scores_")
        levels, scalar = _check_confidence(confidence)
        ranks = _ranks(len(self.conformity_scores_), levels)
        if self.method == "cross":
            y_pred, lower, upper = self._cross_bounds(X, ranks)
        else:
            y_pred, sigma = self._predict_with_sigma(self.estimator_, X)
            half = np.sort(self.conformity_scores_)[ranks - 1][None, :]
            if sigma is not None:
                half = half * sigma[:, None]
            lower, upper = y_pred[:, None] - half, y_pred[:, None] + half
        if scalar:
            return y_pred, lower[:, 0], upper[:, 0]
        return y_pred, lower, upper

    def _cross_bounds(
        self, X: Any, ranks: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        fold_preds = self._fold_predictions(X)  # (n_folds, n_test)
        scores, folds = self.conformity_scores_, self.folds_
        n, n_test = len(scores), fold_preds.shape[1]
        lower = np.empty((n_test, len(ranks)))
        upper = np.empty((n_test, len(ranks)))
        block = max(1, _BLOCK_PAIRS // n)
        for start in range(0, n_test, block):
            rows = slice(start, start + block)
            per_row = fold_preds[folds, rows].T  # (block, n): ŷ₋ₖ₍ᵢ₎(x) for every row i
            # The k-th smallest of ŷ + R bounds from above; the k-th largest of ŷ − R
            # (the k-th smallest of R − ŷ, negated) from below.
            upper[rows] = np.partition(per_row + scores, ranks - 1, axis=1)[:, ranks - 1]
            lower[rows] = -np.partition(scores - per_row, ranks - 1, axis=1)[:, ranks - 1]
        return fold_preds.mean(axis=0), lower, upper

    def _fold_predictions(self, X: Any) -> np.ndarray:
        n = _num_samples(X)
        return np.stack([self._predict(model, X, n) for model in self.estimators_])

    # -- state ----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The calibration as a JSON-ready dictionary, to store beside the model.

        Only split calibrations (``"split"``, ``"normalized"``) fit in it: they are a
        method and a list of scores, and the model is stored on its own. A
        ``"cross"`` calibration belongs to its fold models.

        Returns
        -------
        state : dict
            ``{"format": 1, "method": ..., "conformity_scores": [...]}``; the scores are
            Python floats, which ``json`` writes and reads back exactly.

        Raises
        ------
        ValueError
            For ``method="cross"``.

        Examples
        --------
        >>> import json
        >>> import numpy as np
        >>> from sklearn.linear_model import LinearRegression
        >>> from skirnet import ConformalRegressor
        >>> X = np.arange(40.0).reshape(-1, 1); y = 2 * X[:, 0] + np.sin(X[:, 0])
        >>> model = LinearRegression().fit(X[:20], y[:20])
        >>> state = json.loads(json.dumps(ConformalRegressor(model).calibrate(X[20:], y[20:])
        ...                               .to_dict()))
        >>> restored = ConformalRegressor.from_dict(state, model)
        >>> restored.method, restored.conformity_scores_.shape
        ('split', (20,))
        """
        check_is_fitted(self, "conformity_scores_")
        if self.method == "cross":
            raise ValueError(
                "a method='cross' calibration depends on its fold models (estimators_), "
                "which a dictionary cannot hold; to_dict keeps split calibrations only"
            )
        return {
            "format": _STATE_FORMAT,
            "method": self.method,
            "conformity_scores": [float(s) for s in self.conformity_scores_],
        }

    @classmethod
    def from_dict(cls, state: Mapping[str, Any], estimator: BaseEstimator) -> ConformalRegressor:
        """A calibrated conformal regressor from :meth:`to_dict`'s dictionary and its model.

        Parameters
        ----------
        state : mapping
            The dictionary :meth:`to_dict` wrote (possibly through JSON).
        estimator : estimator object
            The fitted model the scores were computed with.

        Returns
        -------
        conformal : ConformalRegressor
            Ready for :meth:`predict_interval`, without calibration rows.

        Raises
        ------
        ValueError
            The dictionary is not a split calibration of a known format, or its scores are
            not finite and non-negative.
        """
        if not isinstance(state, Mapping):
            raise ValueError(f"state must be the dictionary to_dict wrote; got {type(state)}")
        expected = {"format", "method", "conformity_scores"}
        if set(state) != expected:
            raise ValueError(
                f"state must have exactly the keys {sorted(expected)}; got {sorted(state)}"
            )
        if state["format"] != _STATE_FORMAT:
            raise ValueError(
                f"state format {state['format']!r} is not supported (this skirnet reads "
                f"format {_STATE_FORMAT})"
            )
        if state["method"] not in ("split", "normalized"):
            raise ValueError(
                f"state method must be 'split' or 'normalized'; got {state['method']!r}"
            )
        try:
            scores = np.asarray(state["conformity_scores"], dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError("state conformity_scores must be a list of numbers") from None
        if scores.ndim != 1 or scores.size == 0:
            raise ValueError("state conformity_scores must be a non-empty flat list")
        if not (np.isfinite(scores).all() and (scores >= 0).all()):
            raise ValueError("state conformity_scores must be finite and non-negative")
        conformal = cls(estimator, method=state["method"])
        conformal._validate_params()
        conformal._check_prefit(estimator)
        conformal.estimator_ = estimator
        conformal.conformity_scores_ = scores
        conformal._copy_feature_info(estimator)
        return conformal

    # -- helpers --------------------------------------------------------------------------

    def _check_prefit(self, estimator: Any) -> None:
        try:
            check_is_fitted(estimator)
        except NotFittedError as exc:
            raise NotFittedError(
                f"ConformalRegressor(method={self.method!r}) uses the estimator as given and "
                "needs it fitted: fit it on training rows first (or use method='cross', "
                f"which fits it on folds). {exc}"
            ) from exc
        if self.method == "normalized" and not _has_sigma(estimator):
            name = type(_final_step(estimator)).__name__
            raise ValueError(
                f"method='normalized' divides residuals by the estimator's σ, from "
                f"predict(X, return_std=True); {name}.predict gives none. Use a "
                "DeepEnsembleRegressor (or a Pipeline ending in one), or method='split'."
            )

    @staticmethod
    def _check_targets(X: Any, y: Any) -> np.ndarray:
        y = _as_1d(y, "y")
        n = _num_samples(X)
        if n != len(y):
            raise ValueError(f"X has {n} rows but y has {len(y)}")
        if n == 0:
            raise ValueError("no rows given")
        if not np.isfinite(y).all():
            raise ValueError(f"y has {int((~np.isfinite(y)).sum())} values that are NaN or inf")
        return y

    @staticmethod
    def _predict(model: Any, X: Any, n: int) -> np.ndarray:
        y_pred = _as_1d(model.predict(X), "the estimator's predictions")
        if len(y_pred) != n:
            raise ValueError(f"the estimator predicted {len(y_pred)} values for {n} rows")
        return y_pred

    def _predict_with_sigma(self, model: Any, X: Any) -> tuple[np.ndarray, np.ndarray | None]:
        if self.method != "normalized":
            return self._predict(model, X, _num_samples(X)), None
        y_pred, sigma = model.predict(X, return_std=True)
        y_pred = _as_1d(y_pred, "the estimator's predictions")
        sigma = _as_1d(sigma, "the estimator's σ")
        if not (np.isfinite(sigma).all() and (sigma >= 0).all()):
            raise ValueError("the estimator's σ must be finite and non-negative")
        return y_pred, np.maximum(sigma, _SIGMA_FLOOR)

    def _copy_feature_info(self, model: Any) -> None:
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(model, name):
                setattr(self, name, getattr(model, name))
            elif hasattr(self, name):
                delattr(self, name)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base = get_tags(self.estimator)
        tags.input_tags = base.input_tags
        tags.non_deterministic = base.non_deterministic
        return tags


# -- a calibration stored beside a saved model ----------------------------------------------


def read_calibration(folder: str | Path, *, sha256: str | None = None) -> dict[str, Any] | None:
    """The calibration stored in a model folder (``conformal.json``), or None.

    ``pipeline.json`` records the SHA-256 of the calibration saved with it (folders saved
    before it did are read without the check); the two are read together and must
    match, so a calibration damaged on disk, copied from another model or saved over the
    folder between the two reads is never taken for this model's. Where a save is under
    way the files are read again until they belong together
    (``skirnet._atomic.read_whole``).

    Parameters
    ----------
    folder : str or Path
        A folder written by :func:`skirnet.pipeline.save_pipeline` (``skirnet train``) or
        a shipped model's folder.
    sha256 : str, optional
        The SHA-256 the calibration must have: the one recorded in the ``pipeline.json``
        loaded with the model (:data:`CALIBRATION_SHA256`), so that a save over the folder
        after the model was loaded is not taken for its calibration. By default, the one
        ``pipeline.json`` records now.

    Returns
    -------
    dict or None
        ``conformal`` (:meth:`skirnet.ConformalRegressor.to_dict`'s dictionary) and whatever the
        writer recorded about the calibration rows (``rows``, ``source``, ``note``, ...);
        None when the folder holds no calibration.

    Raises
    ------
    ValueError
        The file is there but is not a calibration, does not match the SHA-256 that
        ``pipeline.json`` records, or is missing although ``pipeline.json`` records one
        (the message names the file).
    """
    from skirnet._atomic import read_whole
    from skirnet.persistence import ModelFileError

    folder = Path(folder)
    path = folder / CALIBRATION_FILE
    spec_path = folder / _PIPELINE_FILE

    def optional(file: Path) -> bytes | None:
        try:
            return file.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            if not folder.is_dir():  # a save renaming the folder: read_whole waits
                raise FileNotFoundError(f"no such model folder: {folder}") from None
            return None

    def read() -> tuple[bytes | None, bytes | None]:
        return optional(spec_path), optional(path)

    def mismatch(files: tuple[bytes | None, bytes | None]) -> Exception | None:
        spec, data = files
        try:
            recorded = json.loads(spec).get(CALIBRATION_SHA256) if spec is not None else None
        except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
            recorded = None  # a damaged pipeline.json is reported by load_pipeline
        if sha256 is not None:
            recorded = sha256
        if recorded is None:
            return None  # no pipeline.json, or one saved before the SHA-256 was recorded
        if data is None:
            return ModelFileError(
                f"{path}: missing, but {spec_path} records a calibration saved with the model"
            )
        digest = hashlib.sha256(data).hexdigest()
        if digest == recorded:
            return None
        return ModelFileError(
            f"{path}: SHA-256 {digest[:12]}... differs from the {str(recorded)[:12]}... "
            f"recorded in {spec_path}; it is not the calibration saved with this model "
            "(damaged, copied or edited since)"
        )

    if not folder.is_dir():
        return None
    try:
        _, data = read_whole(folder, read, mismatch)
    except FileNotFoundError:
        return None
    if data is None:
        return None
    try:
        payload = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: not a calibration file ({exc})") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("conformal"), dict):
        raise ModelFileError(f"{path}: not a calibration file (no 'conformal' dictionary)")
    return payload


def load_calibration(
    folder: str | Path, estimator: BaseEstimator, *, sha256: str | None = None
) -> ConformalRegressor | None:
    """The calibrated :class:`ConformalRegressor` stored with a saved model, or None.

    Parameters
    ----------
    folder : str or Path
        The model's folder.
    estimator : estimator object
        The fitted model loaded from that folder (or the steps of it the calibration
        should wrap: for a split calibration, any part of the pipeline that ends in the
        same network predicts the same values).
    sha256 : str, optional
        The SHA-256 recorded in the ``pipeline.json`` loaded with ``estimator``, see
        :func:`read_calibration`.

    Returns
    -------
    ConformalRegressor or None
        Ready for :meth:`~skirnet.ConformalRegressor.predict_interval`; None when the folder holds
        no calibration.

    Raises
    ------
    ValueError
        The stored calibration is damaged.
    """
    from skirnet.persistence import ModelFileError

    payload = read_calibration(folder, sha256=sha256)
    if payload is None:
        return None
    try:
        return ConformalRegressor.from_dict(payload["conformal"], estimator)
    except ValueError as exc:
        raise ModelFileError(f"{Path(folder) / CALIBRATION_FILE}: {exc}") from None
