"""Fit several models on identical splits, then tabulate, plot and save the results.

:func:`compare_models` fits clones of any regressors on shared splits and returns one row
of test errors per model and fold; :func:`summarize_comparison` aggregates the folds. For
formulas, :class:`~skirnet.featurizers.CompositionFeaturizer` computes the features once,
:func:`build_models` labels networks (``"IRNet-17"``) and baselines (``"RF"``), and
:func:`run_comparison` adds the networks' epochs and learning curves into a
:class:`ComparisonResult`, which prints a table and saves JSON, CSV and plots::

    from skirnet.comparison import build_models, run_comparison
    from skirnet.featurizers import CompositionFeaturizer
    from skirnet.pipeline import TrainingSettings

    X = CompositionFeaturizer().fit_transform(formulas)
    models = build_models(["irnet", "rf"], depths=[17], settings=TrainingSettings())
    result = run_comparison(models, X, y, X_test=X_test, y_test=y_test)
    print(result.table())
    result.save("out/")
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.model_selection import BaseCrossValidator, KFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing

from skirnet._version import __version__
from skirnet.baselines import BASELINE_LABELS, make_baseline
from skirnet.estimators import NETWORKS, ResidualNetRegressor
from skirnet.nn import depth_of, parse_architecture
from skirnet.pipeline import TrainingSettings, fit_with_validation, make_net, write_atomically

__all__ = [
    "ComparisonResult",
    "build_models",
    "compare_models",
    "run_comparison",
    "summarize_comparison",
]

_METRICS = ["mae", "rmse", "r2", "fit_seconds", "predict_seconds"]


def build_models(
    names: Sequence[str],
    depths: Sequence[int],
    settings: TrainingSettings,
    callbacks: Sequence[Any] = (),
) -> dict[str, BaseEstimator]:
    """Unfitted models labelled for tables and plots, e.g. ``"IRNet-17"`` or ``"RF"``.

    Parameters
    ----------
    names : sequence of str
        Keys of ``skirnet.estimators.NETWORKS`` and of
        :data:`skirnet.baselines.BASELINE_NAMES`.
    depths : sequence of int
        Each network is built at every depth. With ``settings.hidden_layer_sizes`` one
        network per name is built, labelled with its actual depth (hidden layers + output).
    settings : TrainingSettings
        Settings of the networks; ``settings.seed`` also seeds the baselines.
    callbacks : sequence of skorch callbacks, optional
        Extra callbacks of every network.

    Returns
    -------
    dict of str to estimator
        Label -> estimator, networks depth by depth first, then the baselines.

    With ``settings.pretrained`` each network is built once, fine-tuned from that model
    and labelled e.g. ``"IRNet fine-tuned"``; a network of another kind than that model's
    is refused (``ValueError``), since it cannot start from it.

    Examples
    --------
    >>> list(build_models(["irnet", "rf", "plain"], [10, 17], TrainingSettings()))
    ['IRNet-10', 'PlainNet-10', 'IRNet-17', 'PlainNet-17', 'RF']
    """
    models: dict[str, BaseEstimator] = {}
    if settings.pretrained:  # one network per name, with the pretrained architecture
        from skirnet.transfer import source_network

        source = source_network(settings.pretrained)
        others = [n for n in names if n in NETWORKS and n != source]
        if others:  # now, not after the first network has trained
            raise ValueError(
                f"only {NETWORKS[source].label} ({source}) can start from "
                f"pretrained={settings.pretrained!r}, not {', '.join(others)}"
            )
        depths = [0]
    elif settings.hidden_layer_sizes:
        depths = [depth_of(parse_architecture(settings.hidden_layer_sizes))]
    for depth in depths:
        for name in names:
            if name in NETWORKS:
                label = f"{NETWORKS[name].label}-{depth}"
                if settings.pretrained:
                    label = f"{NETWORKS[name].label} fine-tuned"
                models[label] = make_net(name, depth or 17, settings, label, callbacks)
    for name in names:
        if name not in NETWORKS:
            label = BASELINE_LABELS.get(name, name)
            models[label] = make_baseline(name, random_state=settings.seed)
    return models


def _net_of(estimator: Any) -> ResidualNetRegressor | None:
    if isinstance(estimator, Pipeline):
        estimator = estimator.steps[-1][1]
    return estimator if isinstance(estimator, ResidualNetRegressor) else None


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
    X_val: Any = None,
    y_val: Any = None,
    cv: Any = None,
    test_size: float = 0.2,
    random_state: Any = 0,
    progress: bool = True,
    return_predictions: bool = False,
    on_fit: Callable[[str, int], Any] | None = None,
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

    ``X_val``/``y_val``, a fixed validation split (such as a dataset's published one), is
    where every network early-stops, in every fold, instead of a random part of its
    training rows; other models never see it (:func:`~skirnet.pipeline.fit_with_validation`).

    Use :func:`summarize_comparison` to aggregate the folds (mean and std per model).
    A network whose training a Ctrl-C ended (``interrupted_``) stops the comparison.

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
    X_val, y_val : array-like, optional
        A fixed validation set for the networks' early stopping; both or neither.
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
    on_fit : callable, optional
        Called as ``on_fit(name, fold)`` before each fit (to report what is running).

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
        No models, inconsistent lengths, or only one of ``X_test``/``y_test`` (or of
        ``X_val``/``y_val``).
    KeyboardInterrupt
        A network's training was interrupted.

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
    if (X_val is None) != (y_val is None):
        raise ValueError("pass both X_val and y_val, or neither")
    validation = None
    if X_val is not None:
        y_val_arr = np.asarray(y_val, dtype=np.float64).ravel()
        if len(X_val) != len(y_val_arr):
            raise ValueError(f"X_val has {len(X_val)} rows but y_val has {len(y_val_arr)}")
        validation = (X_val, y_val_arr)
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
            (_safe_indexing(X, tr), y_arr[tr], _safe_indexing(X, te), y_arr[te], te)
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
            keys = ("y_true", "y_pred", "fold", "index", "estimators")
            store: dict[str, list[Any]] = {key: [] for key in keys}
            for k, (X_tr, y_tr, X_te, y_te, te_idx) in enumerate(folds):
                if bar is not None:
                    bar.set_postfix_str(f"{name} fold {k}")
                if on_fit is not None:
                    on_fit(name, k)
                est = clone(model)
                t0 = time.perf_counter()
                fit_with_validation(est, X_tr, y_tr, validation)
                t1 = time.perf_counter()
                if getattr(_net_of(est), "interrupted_", False):
                    raise KeyboardInterrupt
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
                    values = (y_te, y_hat, np.full(len(y_te), k), np.asarray(te_idx), est)
                    for key, value in zip(keys, values, strict=True):
                        store[key].append(value)
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


def summarize_comparison(
    results: pd.DataFrame, metrics: Sequence[str] | None = None, sort: bool = True
) -> pd.DataFrame:
    """Aggregate :func:`compare_models` results over folds: mean and std per model.

    Parameters
    ----------
    results : pandas.DataFrame
        Output of :func:`compare_models`.
    metrics : sequence of str, optional
        Columns to aggregate (default: mae, rmse, r2, fit_seconds and predict_seconds).
    sort : bool, default=True
        Sort by ``mae_mean``; otherwise keep the models in the order they came.

    Returns
    -------
    pandas.DataFrame
        One row per model (index ``model``) with columns ``n_folds`` and
        ``<metric>_mean``/``<metric>_std`` for each metric (std is NaN for one fold).

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
    grouped = results.groupby("model", sort=False)
    summary = grouped[list(metrics or _METRICS)].agg(["mean", "std"])
    summary.columns = [f"{m}_{s}" for m, s in summary.columns]
    summary.insert(0, "n_folds", grouped.size())
    return summary.sort_values("mae_mean") if sort else summary


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NaN as None), through pandas' own JSON writer."""
    return json.loads(frame.to_json(orient="records", double_precision=15))


@dataclasses.dataclass
class ComparisonResult:
    """What :func:`run_comparison` returns: metrics, predictions and training histories.

    Attributes
    ----------
    results : pandas.DataFrame
        One row per (model, fold): ``model``, ``fold``, ``n_train``, ``n_test``, ``mae``,
        ``rmse``, ``r2``, ``fit_seconds``, ``predict_seconds``, and for networks
        ``net``, ``depth``, ``epochs``, ``best_epoch``, ``device``, ``time_budget_hit``.
    predictions : dict
        Model -> ``y_true``, ``y_pred``, ``fold``, ``index``, ``estimators`` (see
        :func:`compare_models`).
    histories : dict
        Network -> per-epoch records (``epoch``, ``train_loss``, ``valid_loss``,
        ``dur``) of its first fold.
    settings : TrainingSettings
        The network settings used.
    info : dict
        Free-form description of the data and the command (saved into the JSON).
    history_is_mae : bool
        Whether every history's losses are the MAE in the target's units (networks
        trained on the L1 loss of one target), as the learning curves then say.
    """

    results: pd.DataFrame
    predictions: dict[str, dict[str, Any]]
    histories: dict[str, list[dict[str, Any]]]
    settings: TrainingSettings
    info: dict[str, Any] = dataclasses.field(default_factory=dict)
    history_is_mae: bool = False

    def summary(self) -> pd.DataFrame:
        """Mean over folds per model, in the order the models were given.

        Returns
        -------
        pandas.DataFrame
            Index ``model``; columns ``mae``, ``rmse``, ``r2``, ``fit_seconds``,
            ``epochs`` (networks only), plus ``mae_std`` with several folds.
        """
        metrics = ["mae", "rmse", "r2", "fit_seconds"]
        metrics += ["epochs"] if "epochs" in self.results else []
        stats = summarize_comparison(self.results, metrics, sort=False)
        summary = pd.DataFrame({m: stats[f"{m}_mean"] for m in metrics})
        if self.results["fold"].nunique() > 1:
            summary.insert(1, "mae_std", stats["mae_std"])
        return summary

    def table(self, units: str | None = None) -> str:
        """The summary as an aligned text table (test MAE first).

        Parameters
        ----------
        units : str, optional
            Unit of the target, shown in the header.

        Returns
        -------
        str
        """
        unit = f" ({units})" if units else ""
        names = {
            "mae": f"MAE{unit}",
            "mae_std": "MAE std",
            "rmse": f"RMSE{unit}",
            "r2": "R2",
            "fit_seconds": "fit s",
            "epochs": "epochs",
        }
        digits = {"mae": 4, "mae_std": 4, "rmse": 4, "r2": 3, "fit_seconds": 1}
        summary = self.summary()
        if "epochs" not in summary:
            summary["epochs"] = np.nan
        # a space before every value and header: columns two spaces apart
        formatters = {names[c]: f" {{:.{d}f}}".format for c, d in digits.items() if c in summary}
        formatters["epochs"] = " {:g}".format
        table = summary[[c for c in names if c in summary]].rename(columns=names)
        table = table.rename_axis(index=None, columns="model")
        widths = {c: len(c) + 1 for c in table.columns}
        return table.to_string(formatters=formatters, na_rep="-", col_space=widths)

    def to_json(self) -> dict[str, Any]:
        """Everything except the fitted estimators and raw predictions, JSON-ready.

        Returns
        -------
        dict
            ``skirnet_version``, ``info``, ``settings`` (the recipe and every value),
            ``summary``, ``results`` and ``histories``.
        """
        return {
            "skirnet_version": __version__,
            "info": dict(self.info),
            "settings": self.settings.as_dict(),
            "summary": _records(self.summary().reset_index()),
            "results": _records(self.results),
            "histories": {k: _records(pd.DataFrame(v)) for k, v in self.histories.items()},
        }

    def figures(self, units: str | None = None) -> dict[str, Any]:
        """The result's figures: parity panels, learning curves and the depth study.

        Parameters
        ----------
        units : str, optional
            Unit of the target, for the axis labels.

        Returns
        -------
        dict of str to matplotlib.figure.Figure
            ``parity`` (one panel per model); ``learning_curves`` (first fold of every
            network) when a network was trained; ``depth_study`` (MAE against depth, the
            random forest as baseline) when some network type has several depths.
        """
        from skirnet.plotting import plot_depth_study, plot_learning_curves, plot_parity_panels

        pairs = {k: (p["y_true"], p["y_pred"]) for k, p in self.predictions.items()}
        figures = {"parity": plot_parity_panels(pairs, units=units)}
        if self.histories:
            # the histories of L1-trained networks are their MAE in the target's units
            ylabel = "MAE" + (f" ({units})" if units else "") if self.history_is_mae else "Loss"
            figures["learning_curves"] = plot_learning_curves(self.histories, ylabel=ylabel)
        nets = self.results.dropna(subset=["depth"]) if "depth" in self.results else []
        if len(nets) and nets.groupby("net")["depth"].nunique().max() > 1:
            rf = self.results.loc[self.results["model"] == "RF", "mae"]
            baseline = float(rf.mean()) if len(rf) else None
            figures["depth_study"] = plot_depth_study(nets, baseline=baseline, units=units).figure
        return figures

    def save(self, out_dir: str | Path, units: str | None = None) -> dict[str, Path]:
        """Write ``results.csv``, the plots and, last, ``results.json`` into ``out_dir``.

        An earlier ``results.json`` in the folder is removed first, and the new one is
        written only when everything else is: a folder whose saving was interrupted has
        no ``results.json``.

        Parameters
        ----------
        out_dir : str or Path
            Output folder (created if needed).
        units : str, optional
            Unit of the target, for the plot labels.

        Returns
        -------
        dict of str to Path
            Written files by kind: ``csv``, ``parity``, ``learning_curves`` and
            ``depth_study`` (the last two only when drawn), ``json``.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").unlink(missing_ok=True)
        files: dict[str, Path] = {"csv": out / "results.csv"}
        write_atomically(files["csv"], lambda tmp: self.results.to_csv(tmp, index=False))
        for kind, fig in self.figures(units).items():
            files[kind] = write_atomically(
                out / f"{kind}.png", lambda tmp, fig=fig: fig.savefig(tmp, dpi=120, format="png")
            )
        files["json"] = out / "results.json"
        payload = self.to_json()
        payload["files"] = {kind: p.name for kind, p in files.items()}
        text = json.dumps(payload, indent=2) + "\n"
        write_atomically(files["json"], lambda tmp: tmp.write_text(text))
        return files


def _history_records(net: ResidualNetRegressor) -> list[dict[str, Any]]:
    """Per-epoch losses; for the L1 loss of one target, in the target's units (its MAE).

    The network trains on the standardised target, so its recorded losses are in standard
    deviations; the mean absolute error times the target's scale is the MAE itself.
    """
    history = net.history_
    keys = tuple(k for k in ("epoch", "train_loss", "valid_loss", "dur") if k in history[-1])
    records = [dict(zip(keys, row, strict=True)) for row in history[:, keys]]
    if net.loss == "absolute_error" and net.n_outputs_ == 1:
        scale = float(net.target_scale_[0])
        for record in records:
            for key in ("train_loss", "valid_loss"):
                if key in record:
                    record[key] *= scale
    return records


def run_comparison(
    models: Mapping[str, BaseEstimator],
    X: Any,
    y: Any,
    *,
    X_test: Any = None,
    y_test: Any = None,
    X_val: Any = None,
    y_val: Any = None,
    cv: int | None = None,
    test_size: float = 0.2,
    settings: TrainingSettings | None = None,
    info: Mapping[str, Any] | None = None,
    on_fit: Callable[[str, int], Any] | None = None,
) -> ComparisonResult:
    """Fit every model on identical splits and collect metrics, predictions and histories.

    Parameters
    ----------
    models : mapping of str to estimator
        Output of :func:`build_models` (or any labelled regressors).
    X, y : array-like
        Features and target.
    X_test, y_test : array-like, optional
        A fixed test set; otherwise one shuffled split of ``test_size`` or ``cv`` folds.
    X_val, y_val : array-like, optional
        A fixed validation set where the networks early-stop.
    cv : int, optional
        Number of shuffled K-fold splits.
    test_size : float, default=0.2
        Test fraction of the single split.
    settings : TrainingSettings, optional
        Recorded in the result; its ``seed`` seeds the split (default seed 0).
    info : mapping, optional
        Description of the data and the command, kept in the result.
    on_fit : callable, optional
        Passed to :func:`compare_models`.

    Returns
    -------
    ComparisonResult

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> X, y = make_regression(n_samples=60, n_features=4, random_state=0)
    >>> models = build_models(["ridge"], [17], TrainingSettings(progress=False))
    >>> result = run_comparison(models, X, y, settings=TrainingSettings(progress=False))
    >>> result.summary().index.tolist()
    ['Ridge']
    """
    settings = settings or TrainingSettings()
    results, preds = compare_models(
        models,
        X,
        y,
        X_test=X_test,
        y_test=y_test,
        X_val=X_val,
        y_val=y_val,
        cv=cv,
        test_size=test_size,
        random_state=settings.seed,
        progress=settings.progress,
        return_predictions=True,
        on_fit=on_fit,
    )
    extra: list[dict[str, Any]] = []
    histories: dict[str, list[dict[str, Any]]] = {}
    for name, pred in preds.items():
        for fold, est in enumerate(pred["estimators"]):
            net = _net_of(est)
            if net is None:
                extra.append({"model": name, "fold": fold})
                continue
            budget = dict(net.net_.callbacks_).get("TimeBudget")
            extra.append(
                {
                    "model": name,
                    "fold": fold,
                    "net": net.label,
                    "depth": depth_of(net.architecture_),
                    "epochs": net.n_iter_,
                    "best_epoch": net.best_epoch_,
                    "device": net.device_,
                    "time_budget_hit": bool(getattr(budget, "exhausted_", False)),
                }
            )
            if fold == 0:
                histories[name] = _history_records(net)
    results = results.merge(pd.DataFrame(extra), on=["model", "fold"], how="left")
    nets = [_net_of(p["estimators"][0]) for p in preds.values()]
    is_mae = all(n.loss == "absolute_error" and n.n_outputs_ == 1 for n in nets if n is not None)
    return ComparisonResult(results, preds, histories, settings, dict(info or {}), is_mae)
