"""Classical baselines of the IRNet paper as ready scikit-learn pipelines, and a fair comparer.

Jha et al. (Sci. Rep. 11:4244, 2021) compare IRNet with linear regression, SGD regression,
ElasticNet, AdaBoost, ridge regression, an RBF support-vector regressor, a decision tree
and a random forest, all trained on the same composition-derived (Magpie-type) features.
:func:`make_baseline` builds each of them with defaults suited to such features:

========== ============================================================ ============
name       pipeline                                                     NaN features
========== ============================================================ ============
linear     median imputer -> StandardScaler -> LinearRegression         imputed
sgd        median imputer -> StandardScaler -> SGDRegressor             imputed
elasticnet median imputer -> StandardScaler -> ElasticNet(alpha=1e-3)   imputed
adaboost   median imputer -> AdaBoostRegressor(100 depth-6 trees)       imputed
ridge      median imputer -> StandardScaler -> Ridge(alpha=1)           imputed
svr        median imputer -> StandardScaler -> SVR(rbf, C=10)           imputed
tree       DecisionTreeRegressor(min_samples_leaf=2)                    native
rf         RandomForestRegressor(100 trees, n_jobs=-1)                  native
hgb        HistGradientBoostingRegressor(500 iter; early stop >10k)     native
========== ============================================================ ============

``hgb`` (gradient boosting) is a modern extra, not in the paper. The final step of every
pipeline is called ``"model"``. :func:`compare_models` fits clones of several estimators on
identical splits and returns a tidy table of MAE, RMSE, R² and timings.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import (
    AdaBoostRegressor,
    HistGradientBoostingRegressor,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import ElasticNet, LinearRegression, Ridge, SGDRegressor
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.model_selection import BaseCrossValidator, KFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils import _safe_indexing

__all__ = [
    "BASELINE_NAMES",
    "baseline_models",
    "compare_models",
    "make_baseline",
    "summarize_comparison",
]

BASELINE_NAMES: tuple[str, ...] = (
    "linear",
    "sgd",
    "elasticnet",
    "adaboost",
    "ridge",
    "svr",
    "tree",
    "rf",
    "hgb",
)


def _imputer() -> SimpleImputer:
    return SimpleImputer(strategy="median", keep_empty_features=True)


def _build(name: str, random_state: Any) -> Pipeline:
    if name == "linear":
        steps = [
            ("impute", _imputer()),
            ("scale", StandardScaler()),
            ("model", LinearRegression()),
        ]
    elif name == "sgd":
        model = SGDRegressor(
            alpha=1e-4, max_iter=2000, tol=1e-4, early_stopping=True, random_state=random_state
        )
        steps = [("impute", _imputer()), ("scale", StandardScaler()), ("model", model)]
    elif name == "elasticnet":
        model = ElasticNet(alpha=1e-3, l1_ratio=0.5, max_iter=10_000, random_state=random_state)
        steps = [("impute", _imputer()), ("scale", StandardScaler()), ("model", model)]
    elif name == "adaboost":
        model = AdaBoostRegressor(
            estimator=DecisionTreeRegressor(max_depth=6),
            n_estimators=100,
            learning_rate=0.5,
            random_state=random_state,
        )
        steps = [("impute", _imputer()), ("model", model)]
    elif name == "ridge":
        steps = [
            ("impute", _imputer()),
            ("scale", StandardScaler()),
            ("model", Ridge(alpha=1.0, random_state=random_state)),
        ]
    elif name == "svr":
        model = SVR(kernel="rbf", C=10.0, epsilon=0.1, gamma="scale", cache_size=1000)
        steps = [("impute", _imputer()), ("scale", StandardScaler()), ("model", model)]
    elif name == "tree":
        steps = [("model", DecisionTreeRegressor(min_samples_leaf=2, random_state=random_state))]
    elif name == "rf":
        model = RandomForestRegressor(n_estimators=100, n_jobs=-1, random_state=random_state)
        steps = [("model", model)]
    elif name == "hgb":
        model = HistGradientBoostingRegressor(
            max_iter=500, learning_rate=0.1, early_stopping="auto", random_state=random_state
        )
        steps = [("model", model)]
    else:
        raise ValueError(f"unknown baseline {name!r}; choose from {', '.join(BASELINE_NAMES)}")
    return Pipeline(steps)


def make_baseline(name: str, random_state: Any = None, **params: Any) -> Pipeline:
    """Build one of the paper's classical baselines as an (unfitted) sklearn Pipeline.

    Parameters
    ----------
    name : {"linear", "sgd", "elasticnet", "adaboost", "ridge", "svr", "tree", "rf", "hgb"}
        Which model; see the module docstring for each pipeline.
    random_state : int, RandomState or None
        Seed of every model that has a ``random_state`` (all but linear and svr; it
        matters for sgd, adaboost, tree, rf and hgb).
    **params
        Overrides. A plain name (``n_estimators=300``) sets a parameter of the final
        ``"model"`` step; a name with ``__`` (``impute__strategy="mean"``) is passed to
        :meth:`~sklearn.pipeline.Pipeline.set_params` as is.

    Returns
    -------
    sklearn.pipeline.Pipeline
        The pipeline; its last step is named ``"model"``.

    Raises
    ------
    ValueError
        Unknown ``name`` or parameter.

    Examples
    --------
    >>> rf = make_baseline("rf", random_state=0, n_estimators=50)
    >>> rf.named_steps["model"].n_estimators, rf.named_steps["model"].random_state
    (50, 0)
    >>> [step for step, _ in make_baseline("svr").steps]
    ['impute', 'scale', 'model']
    """
    pipe = _build(name, random_state)
    if params:
        pipe.set_params(**{(k if "__" in k else f"model__{k}"): v for k, v in params.items()})
    return pipe


def baseline_models(
    names: list[str] | tuple[str, ...] | None = None, random_state: Any = None
) -> dict[str, Pipeline]:
    """Build several baselines at once, ready for :func:`compare_models`.

    Parameters
    ----------
    names : sequence of str, optional
        Subset of :data:`BASELINE_NAMES` (default: all nine, in that order).
    random_state : int, RandomState or None
        Passed to each :func:`make_baseline`.

    Returns
    -------
    dict of str to Pipeline
        Name -> unfitted pipeline, in the order of ``names``.

    Examples
    --------
    >>> list(baseline_models())
    ['linear', 'sgd', 'elasticnet', 'adaboost', 'ridge', 'svr', 'tree', 'rf', 'hgb']
    >>> list(baseline_models(["rf", "ridge"], random_state=0))
    ['rf', 'ridge']
    """
    names = BASELINE_NAMES if names is None else tuple(names)
    return {name: make_baseline(name, random_state=random_state) for name in names}


def _splits(
    n: int, y: np.ndarray, X: Any, cv: Any, test_size: float, random_state: Any
) -> list[tuple[np.ndarray, np.ndarray]]:
    idx = np.arange(n)
    if cv is None:
        train, test = train_test_split(
            idx, test_size=test_size, shuffle=True, random_state=random_state
        )
        return [(np.sort(train), np.sort(test))]
    if isinstance(cv, int | np.integer):
        if cv < 2:
            raise ValueError(f"cv must be at least 2 folds, got {cv}")
        cv = KFold(n_splits=int(cv), shuffle=True, random_state=random_state)
    if isinstance(cv, BaseCrossValidator) or hasattr(cv, "split"):
        return [(np.asarray(tr), np.asarray(te)) for tr, te in cv.split(X, y)]
    # an iterable of (train, test) index pairs
    return [(np.asarray(tr), np.asarray(te)) for tr, te in cv]


def compare_models(
    models: Mapping[str, BaseEstimator],
    X: Any,
    y: Any,
    *,
    X_test: Any = None,
    y_test: Any = None,
    cv: Any = None,
    test_size: float = 0.2,
    random_state: Any = 0,
    progress: bool = True,
    return_predictions: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, dict[str, Any]]]:
    """Fit several regressors on identical splits and tabulate their test errors.

    Every model is :func:`~sklearn.base.clone`-d before each fit, so the estimators in
    ``models`` stay unfitted. The splits are computed once and shared by all models:

    * ``X_test``/``y_test`` given: fit on all of ``X, y``, score on the test set
      (one row per model, ``fold`` 0);
    * else ``cv=None``: one shuffled :func:`~sklearn.model_selection.train_test_split`
      with ``test_size`` and ``random_state`` (one row per model, ``fold`` 0);
    * else ``cv`` an int: ``KFold(cv, shuffle=True, random_state=random_state)``; or
      ``cv`` any splitter with a ``split(X, y)`` method, or an iterable of
      ``(train_idx, test_idx)`` pairs: one row per model and fold.

    Use :func:`summarize_comparison` to aggregate the folds (mean and std per model).

    Parameters
    ----------
    models : mapping of str to estimator
        Name -> sklearn regressor (any estimator with ``fit``/``predict``).
    X : array-like or DataFrame of shape (n_samples, n_features)
        Features.
    y : array-like of shape (n_samples,)
        Target.
    X_test, y_test : array-like, optional
        A fixed test set (e.g. a published split); both or neither.
    cv : int, splitter or iterable, optional
        Cross-validation, see above; ignored when ``X_test`` is given.
    test_size : float, default=0.2
        Test fraction of the single shuffled split (``cv=None``).
    random_state : int or None, default=0
        Seed of the shuffled split / KFold.
    progress : bool, default=True
        Show a tqdm progress bar over (model, fold) fits.
    return_predictions : bool, default=False
        Also return the predictions, e.g. for parity plots.

    Returns
    -------
    results : pandas.DataFrame
        One row per (model, fold) with columns ``model``, ``fold``, ``n_train``,
        ``n_test``, ``mae``, ``rmse``, ``r2``, ``fit_seconds``, ``predict_seconds``.
    predictions : dict, only when ``return_predictions``
        Model name -> dict with ``y_true``, ``y_pred`` (concatenated over folds),
        ``fold`` and ``index`` (row of each prediction in the test data: positions in
        ``X_test`` when given, else in ``X``) and ``estimators`` (the fitted clone of each
        fold).

    Raises
    ------
    ValueError
        No models, inconsistent lengths, or only one of ``X_test``/``y_test``.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.dummy import DummyRegressor
    >>> from sklearn.linear_model import Ridge
    >>> X, y = make_regression(n_samples=100, n_features=5, noise=1.0, random_state=0)
    >>> res = compare_models({"mean": DummyRegressor(), "ridge": Ridge()}, X, y,
    ...                      cv=3, progress=False)
    >>> res.shape, list(res["model"].unique())
    ((6, 9), ['mean', 'ridge'])
    >>> bool((res.groupby("model")["mae"].mean()["ridge"] < 10))
    True
    """
    if not models:
        raise ValueError("models is empty: pass a dict of name -> estimator")
    if (X_test is None) != (y_test is None):
        raise ValueError("pass both X_test and y_test, or neither")
    y_arr = np.asarray(y, dtype=np.float64).ravel()
    n = len(y_arr)
    n_x = X.shape[0] if hasattr(X, "shape") else len(X)
    if n_x != n:
        raise ValueError(f"X has {n_x} rows but y has {n}")

    if X_test is not None:
        y_test_arr = np.asarray(y_test, dtype=np.float64).ravel()
        if len(X_test) != len(y_test_arr):
            raise ValueError(f"X_test has {len(X_test)} rows but y_test has {len(y_test_arr)}")
        folds = [(X, y_arr, X_test, y_test_arr, np.arange(len(y_test_arr)))]
    else:
        folds = [
            (
                _safe_indexing(X, tr),
                y_arr[tr],
                _safe_indexing(X, te),
                y_arr[te],
                te,
            )
            for tr, te in _splits(n, y_arr, X, cv, test_size, random_state)
        ]

    rows = []
    preds: dict[str, dict[str, Any]] = {}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(models) * len(folds), desc="compare_models", unit="fit")
    try:
        for name, model in models.items():
            store: dict[str, list[Any]] = {
                "y_true": [],
                "y_pred": [],
                "fold": [],
                "index": [],
                "estimators": [],
            }
            for k, (X_tr, y_tr, X_te, y_te, te_idx) in enumerate(folds):
                if bar is not None:
                    bar.set_postfix_str(f"{name} fold {k}")
                est = clone(model)
                t0 = time.perf_counter()
                est.fit(X_tr, y_tr)
                t1 = time.perf_counter()
                y_hat = np.asarray(est.predict(X_te), dtype=np.float64).ravel()
                t2 = time.perf_counter()
                rows.append(
                    {
                        "model": name,
                        "fold": k,
                        "n_train": len(y_tr),
                        "n_test": len(y_te),
                        "mae": mean_absolute_error(y_te, y_hat),
                        "rmse": root_mean_squared_error(y_te, y_hat),
                        "r2": r2_score(y_te, y_hat) if len(y_te) > 1 else np.nan,
                        "fit_seconds": t1 - t0,
                        "predict_seconds": t2 - t1,
                    }
                )
                if return_predictions:
                    store["y_true"].append(y_te)
                    store["y_pred"].append(y_hat)
                    store["fold"].append(np.full(len(y_te), k))
                    store["index"].append(np.asarray(te_idx))
                    store["estimators"].append(est)
                if bar is not None:
                    bar.update(1)
            if return_predictions:
                preds[name] = {
                    key: (vals if key == "estimators" else np.concatenate(vals))
                    for key, vals in store.items()
                }
    finally:
        if bar is not None:
            bar.close()
    results = pd.DataFrame(rows)
    if return_predictions:
        return results, preds
    return results


def summarize_comparison(results: pd.DataFrame) -> pd.DataFrame:
    """Aggregate :func:`compare_models` results over folds: mean and std per model.

    Parameters
    ----------
    results : pandas.DataFrame
        Output of :func:`compare_models`.

    Returns
    -------
    pandas.DataFrame
        One row per model (index ``model``), sorted by ``mae_mean``, with columns
        ``n_folds`` and ``<metric>_mean``/``<metric>_std`` for mae, rmse, r2,
        fit_seconds and predict_seconds (std is NaN for a single fold).

    Examples
    --------
    >>> res = pd.DataFrame({"model": ["a", "a", "b", "b"], "fold": [0, 1, 0, 1],
    ...     "mae": [1.0, 3.0, 0.5, 0.5], "rmse": [1.0, 3.0, 0.5, 0.5],
    ...     "r2": [0.1, 0.3, 0.9, 0.9], "fit_seconds": [1.0] * 4,
    ...     "predict_seconds": [0.1] * 4})
    >>> summary = summarize_comparison(res)
    >>> summary.index.tolist(), summary["mae_mean"].tolist(), summary["mae_std"].round(3).tolist()
    (['b', 'a'], [0.5, 2.0], [0.0, 1.414])
    """
    metrics = ["mae", "rmse", "r2", "fit_seconds", "predict_seconds"]
    grouped = results.groupby("model", sort=False)
    summary = grouped[metrics].agg(["mean", "std"])
    summary.columns = [f"{m}_{s}" for m, s in summary.columns]
    summary.insert(0, "n_folds", grouped.size())
    return summary.sort_values("mae_mean")
