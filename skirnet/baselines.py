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
hgb        HistGradientBoostingRegressor(L1, 500 iter; early stop >10k) native
========== ============================================================ ============

``hgb`` (gradient boosting) is a modern extra, not in the paper. It minimises the absolute
error, the metric every table reports: with the squared error, which a few extreme targets
dominate (OQMD has formation enthalpies down to -199 eV/atom), its early stopping ended
after 48 iterations on all of OQMD, at twice the test MAE. The final step of every
pipeline is called ``"model"``. :func:`skirnet.comparison.compare_models` fits them (and
any other regressors) on identical splits.
"""

from __future__ import annotations

from typing import Any

from sklearn.ensemble import (
    AdaBoostRegressor,
    HistGradientBoostingRegressor,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import ElasticNet, LinearRegression, Ridge, SGDRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR
from sklearn.tree import DecisionTreeRegressor

from skirnet._baseline_names import BASELINE_LABELS, BASELINE_NAMES
from skirnet._warnings import moved_names

__all__ = [
    "BASELINE_LABELS",
    "BASELINE_NAMES",
    "baseline_models",
    "make_baseline",
]


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
            loss="absolute_error",
            max_iter=500,
            learning_rate=0.1,
            early_stopping="auto",
            random_state=random_state,
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
    """Build several baselines at once, ready for :func:`skirnet.comparison.compare_models`.

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


# compare_models and summarize_comparison moved to skirnet.comparison (deprecated here)
__getattr__ = moved_names(
    "skirnet.baselines",
    {name: f"skirnet.comparison.{name}" for name in ("compare_models", "summarize_comparison")},
)
