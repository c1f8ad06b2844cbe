"""Featurize, fit several models on identical splits, then tabulate, plot and save the results.

This is the reusable logic behind the ``skirnet`` command line (:mod:`skirnet.cli`); it can
be used from Python as well::

    from skirnet.workflow import TrainingSettings, build_models, featurize, run_comparison
    X = featurize(formulas)
    models = build_models(["irnet", "rf"], depths=[17], settings=TrainingSettings())
    result = run_comparison(models, X, y, X_test=X_test, y_test=y_test)
    print(result.table())
    result.save("out/")

Networks are wrapped as ``Pipeline([("scale", StandardScaler()), ("clip", ...), ("net",
net)])`` so that they see standardised Magpie features, clipped to ±10 standard deviations; the classical baselines come from
:func:`skirnet.baselines.make_baseline` unchanged.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skirnet._version import __version__
from skirnet.baselines import BASELINE_NAMES, compare_models, make_baseline
from skirnet.estimators import (
    IRNetRegressor,
    PlainNetRegressor,
    ResidualNetRegressor,
    SRNetRegressor,
)
from skirnet.featurizers import CompositionFeaturizer
from skirnet.nn import parse_architecture
from skirnet.nn.architectures import ARCHITECTURES
from skirnet.training import EpochProgress, TimeBudget

__all__ = [
    "NET_CLASSES",
    "ComparisonResult",
    "EpochProgress",
    "TimeBudget",
    "TrainingSettings",
    "build_models",
    "featurize",
    "load_pipeline",
    "make_net",
    "parse_depths",
    "parse_models",
    "run_comparison",
    "save_pipeline",
    "train_pipeline",
]

#: File of a saved pipeline (next to the network's folder ``net/``).
PIPELINE_FILE = "pipeline.json"
PIPELINE_FORMAT = 1
#: Standardised features are clipped to [-FEATURE_CLIP, FEATURE_CLIP] before the network:
#: a Magpie feature that is nearly constant in the training data (f-electron counts on a
#: small set) otherwise puts a rare test compound 1e5 standard deviations out and its
#: prediction tens of eV/atom off.
FEATURE_CLIP = 10.0


def _clipper(limit: float = FEATURE_CLIP) -> FunctionTransformer:
    return FunctionTransformer(np.clip, kw_args={"a_min": -limit, "a_max": limit})


#: Network short names accepted by :func:`parse_models`, and their estimator classes.
NET_CLASSES: dict[str, type[ResidualNetRegressor]] = {
    "irnet": IRNetRegressor,
    "srnet": SRNetRegressor,
    "plain": PlainNetRegressor,
}
_NET_LABELS = {"irnet": "IRNet", "srnet": "SRNet", "plain": "PlainNet"}
_BASELINE_LABELS = {
    "linear": "Linear",
    "sgd": "SGD",
    "elasticnet": "ElasticNet",
    "adaboost": "AdaBoost",
    "ridge": "Ridge",
    "svr": "SVR",
    "tree": "Tree",
    "rf": "RF",
    "hgb": "HGB",
}


# --------------------------------------------------------------------------- parsing


def parse_models(text: str | Sequence[str]) -> list[str]:
    """Validate a comma-separated list of model names.

    Parameters
    ----------
    text : str or sequence of str
        ``"irnet,plain,rf"``; each name is a network (``irnet``, ``srnet``, ``plain``)
        or a baseline of :data:`skirnet.baselines.BASELINE_NAMES`. Case-insensitive;
        ``plainnet`` is accepted for ``plain``.

    Returns
    -------
    list of str
        Lower-case names without duplicates, in the given order.

    Raises
    ------
    ValueError
        An empty list or an unknown name.

    Examples
    --------
    >>> parse_models("IRNet, plain,rf")
    ['irnet', 'plain', 'rf']
    """
    parts = text.split(",") if isinstance(text, str) else list(text)
    names: list[str] = []
    for part in parts:
        name = part.strip().lower()
        if not name:
            continue
        name = "plain" if name == "plainnet" else name
        if name not in NET_CLASSES and name not in BASELINE_NAMES:
            known = ", ".join([*NET_CLASSES, *BASELINE_NAMES])
            raise ValueError(f"unknown model {part.strip()!r}; choose from {known}")
        if name not in names:
            names.append(name)
    if not names:
        raise ValueError("no model given; pass e.g. --models irnet,plain,rf")
    return names


def parse_depths(text: str | Sequence[int]) -> list[int]:
    """Validate a comma-separated list of network depths.

    Parameters
    ----------
    text : str or sequence of int
        ``"10,17,48"``; each depth must be one of the paper's architectures
        (:data:`skirnet.nn.ARCHITECTURES`: 10, 17, 24, 48).

    Returns
    -------
    list of int
        The depths without duplicates, in the given order.

    Raises
    ------
    ValueError
        Empty list, a value that is not an integer, or an unknown depth.

    Examples
    --------
    >>> parse_depths("10, 17")
    [10, 17]
    """
    parts = text.split(",") if isinstance(text, str) else list(text)
    depths: list[int] = []
    allowed = ", ".join(str(d) for d in sorted(ARCHITECTURES))
    for part in parts:
        token = str(part).strip()
        if not token:
            continue
        try:
            depth = int(token)
        except ValueError:
            raise ValueError(
                f"bad depth {token!r} in --depths; give comma-separated integers from {allowed}"
            ) from None
        if depth not in ARCHITECTURES:
            raise ValueError(f"unknown depth {depth}; the paper's depths are {allowed}")
        if depth not in depths:
            depths.append(depth)
    if not depths:
        raise ValueError(f"no depth given; pass e.g. --depths 17 (choose from {allowed})")
    return depths


# --------------------------------------------------------------------------- models


@dataclasses.dataclass
class TrainingSettings:
    """Training settings shared by every network of a run.

    Parameters
    ----------
    lr : float
        Adam learning rate.
    batch_size : int
        Mini-batch size.
    max_epochs : int
        Upper bound on the epochs of one fit.
    patience : int
        Early-stopping patience on the validation MAE (10 % of the training rows).
    time_budget : float or None
        Seconds after which one fit stops at the end of its current epoch (then the
        best validation epoch's weights are restored); ``None`` for no limit.
    hidden_layer_sizes : str or None
        A custom architecture (``"64x2-32"``) instead of the paper's depths.
    seed : int
        Seed of every network and baseline, and of the train/test split.
    device : str
        ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
    verbose : int
        ``1`` prints skorch's per-epoch table instead of the progress bar.
    progress : bool
        Show a progress bar over the epochs of each fit.
    """

    lr: float = 1e-3
    batch_size: int = 256
    max_epochs: int = 40
    patience: int = 8
    time_budget: float | None = None
    hidden_layer_sizes: str | None = None
    seed: int = 0
    device: str = "auto"
    verbose: int = 0
    progress: bool = True

    def as_dict(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict."""
        return dataclasses.asdict(self)

    def describe(self) -> str:
        """One line summarising the settings, for printing."""
        arch = f", hidden_layer_sizes={self.hidden_layer_sizes}" if self.hidden_layer_sizes else ""
        budget = f", time budget {self.time_budget:g} s per net" if self.time_budget else ""
        return (
            f"Adam lr={self.lr:g}, batch_size={self.batch_size}, max_epochs={self.max_epochs}, "
            f"early-stopping patience={self.patience} on a 10% validation split, "
            f"device={self.device}{arch}{budget}, seed={self.seed}"
        )


def _custom_depth(hidden_layer_sizes: str) -> int:
    return sum(n for _, n in parse_architecture(hidden_layer_sizes)) + 1


def make_net(name: str, depth: int, settings: TrainingSettings, label: str = "") -> Pipeline:
    """Build ``Pipeline([("scale", StandardScaler()), ("clip", ...), ("net", <network>)])``.

    The ``clip`` step clips the standardised features to ``[-FEATURE_CLIP, FEATURE_CLIP]``.

    Parameters
    ----------
    name : {"irnet", "srnet", "plain"}
        Network type.
    depth : int
        One of the paper's depths (ignored with ``settings.hidden_layer_sizes``).
    settings : TrainingSettings
        Learning rate, batch size, epochs, seed and so on.
    label : str, optional
        Name shown on the progress bar.

    Returns
    -------
    sklearn.pipeline.Pipeline
        The unfitted pipeline.
    """
    callbacks: list[Any] = []
    if settings.time_budget:
        callbacks.append(TimeBudget(settings.time_budget))
    if settings.progress and not settings.verbose:
        callbacks.append(EpochProgress(label or name))
    net = NET_CLASSES[name](
        depth,
        hidden_layer_sizes=settings.hidden_layer_sizes,
        lr=settings.lr,
        batch_size=settings.batch_size,
        max_epochs=settings.max_epochs,
        patience=settings.patience,
        callbacks=callbacks or None,
        device=settings.device,
        random_state=settings.seed,
        verbose=settings.verbose,
    )
    return Pipeline([("scale", StandardScaler()), ("clip", _clipper()), ("net", net)])


def build_models(
    names: Sequence[str], depths: Sequence[int], settings: TrainingSettings
) -> dict[str, BaseEstimator]:
    """Unfitted models labelled for tables and plots, e.g. ``"IRNet-17"`` or ``"RF"``.

    Parameters
    ----------
    names : sequence of str
        Output of :func:`parse_models`.
    depths : sequence of int
        Output of :func:`parse_depths`; each network is built at every depth. With
        ``settings.hidden_layer_sizes`` one network per name is built, labelled with its
        actual depth (hidden layers + output).
    settings : TrainingSettings
        Settings of the networks; ``settings.seed`` also seeds the baselines.

    Returns
    -------
    dict of str to estimator
        Label -> estimator, networks depth by depth first, then the baselines.
    """
    models: dict[str, BaseEstimator] = {}
    if settings.hidden_layer_sizes:
        depths = [_custom_depth(settings.hidden_layer_sizes)]
    for depth in depths:
        for name in names:
            if name in NET_CLASSES:
                label = f"{_NET_LABELS[name]}-{depth}"
                models[label] = make_net(name, depth, settings, label)
    for name in names:
        if name not in NET_CLASSES:
            models[_BASELINE_LABELS.get(name, name)] = make_baseline(
                name, random_state=settings.seed
            )
    return models


def featurize(formulas: Sequence[Any], *, progress: bool = True) -> np.ndarray:
    """The 145 Magpie composition features (:class:`~skirnet.featurizers.CompositionFeaturizer`) of formulas.

    Parameters
    ----------
    formulas : sequence of str
        Chemical formulas.
    progress : bool, default=True
        Show a progress bar while parsing.

    Returns
    -------
    ndarray of shape (n, 145)

    Raises
    ------
    ValueError
        An unparsable formula (the message names the row and the value).
    """
    featurizer = CompositionFeaturizer(progress=progress)
    return featurizer.fit_transform(list(formulas))


# --------------------------------------------------------------------------- results


def _net_of(estimator: Any) -> ResidualNetRegressor | None:
    if isinstance(estimator, Pipeline):
        estimator = estimator.steps[-1][1]
    return estimator if isinstance(estimator, ResidualNetRegressor) else None


def _finite(value: Any) -> Any:
    """JSON-safe scalars: NaN/inf become None, numpy scalars Python ones."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


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
        :func:`skirnet.baselines.compare_models`).
    histories : dict
        Network -> per-epoch records (``epoch``, ``train_loss``, ``valid_loss``) of its
        first fold.
    settings : TrainingSettings
        The network settings used.
    info : dict
        Free-form description of the data and the command (saved into the JSON).
    """

    results: pd.DataFrame
    predictions: dict[str, dict[str, Any]]
    histories: dict[str, list[dict[str, Any]]]
    settings: TrainingSettings
    info: dict[str, Any] = dataclasses.field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Mean over folds per model, in the order the models were given.

        Returns
        -------
        pandas.DataFrame
            Index ``model``; columns ``mae``, ``rmse``, ``r2``, ``fit_seconds``,
            ``epochs`` (networks only), plus ``mae_std`` with several folds.
        """
        grouped = self.results.groupby("model", sort=False)
        summary = grouped[["mae", "rmse", "r2", "fit_seconds"]].mean()
        if "epochs" in self.results:
            summary["epochs"] = grouped["epochs"].mean()
        if self.results["fold"].nunique() > 1:
            summary.insert(1, "mae_std", grouped["mae"].std())
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
        summary = self.summary()
        unit = f" ({units})" if units else ""
        header = ["model", f"MAE{unit}"]
        if "mae_std" in summary:
            header.append("MAE std")
        header += [f"RMSE{unit}", "R2", "fit s", "epochs"]
        rows = []
        for model, row in summary.iterrows():
            cells = [str(model), f"{row['mae']:.4f}"]
            if "mae_std" in summary:
                cells.append(f"{row['mae_std']:.4f}")
            epochs = row.get("epochs", np.nan)
            cells += [
                f"{row['rmse']:.4f}",
                f"{row['r2']:.3f}",
                f"{row['fit_seconds']:.1f}",
                "-" if pd.isna(epochs) else f"{epochs:g}",
            ]
            rows.append(cells)
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = [
            "  ".join(
                h.ljust(w) if i == 0 else h.rjust(w)
                for i, (h, w) in enumerate(zip(header, widths, strict=True))
            )
        ]
        lines.append("  ".join("-" * w for w in widths))
        for cells in rows:
            lines.append(
                "  ".join(
                    c.ljust(w) if i == 0 else c.rjust(w)
                    for i, (c, w) in enumerate(zip(cells, widths, strict=True))
                )
            )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """Everything except the fitted estimators and raw predictions, JSON-ready."""
        summary = self.summary().reset_index()
        return {
            "skirnet_version": __version__,
            "info": {k: _finite(v) for k, v in self.info.items()},
            "settings": self.settings.as_dict(),
            "summary": [
                {k: _finite(v) for k, v in row.items()} for row in summary.to_dict("records")
            ],
            "results": [
                {k: _finite(v) for k, v in row.items()} for row in self.results.to_dict("records")
            ],
            "histories": {
                name: [{k: _finite(v) for k, v in rec.items()} for rec in recs]
                for name, recs in self.histories.items()
            },
        }

    def plot_parity(self, path: str | Path, units: str | None = None) -> Path:
        """Save one parity panel per model, side by side.

        Parameters
        ----------
        path : str or Path
            PNG file to write.
        units : str, optional
            Unit of the target.

        Returns
        -------
        Path
        """
        from skirnet.plotting import plot_parity

        names = list(self.predictions)
        fig, axes = _panel_grid(len(names), max_columns=4, panel_size=(4.2, 4.2))
        for ax, name in zip(axes, names, strict=False):
            pred = self.predictions[name]
            plot_parity(pred["y_true"], pred["y_pred"], ax=ax, title=name, units=units)
        return _save(fig, path)

    def plot_learning_curves(self, path: str | Path) -> Path | None:
        """Save the learning curve of every network (first fold), side by side.

        Parameters
        ----------
        path : str or Path
            PNG file to write.

        Returns
        -------
        Path or None
            None when no network was trained.
        """
        if not self.histories:
            return None
        from skirnet.plotting import plot_learning_curve

        names = list(self.histories)
        fig, axes = _panel_grid(len(names), max_columns=3, panel_size=(5.0, 3.8))
        for ax, name in zip(axes, names, strict=False):
            plot_learning_curve(self.histories[name], ax=ax, title=name)
        return _save(fig, path)

    def plot_depth_study(self, path: str | Path, units: str | None = None) -> Path | None:
        """Save MAE against depth per network type, when there are several depths.

        Parameters
        ----------
        path : str or Path
            PNG file to write.
        units : str, optional
            Unit of the target.

        Returns
        -------
        Path or None
            None unless some network type was trained at two depths or more.
        """
        if "depth" not in self.results:
            return None
        nets = self.results.dropna(subset=["depth"])
        if nets.empty or nets.groupby("net")["depth"].nunique().max() < 2:
            return None
        from skirnet.plotting import plot_depth_study

        rf = self.results[self.results["model"] == "RF"]
        baseline = float(rf["mae"].mean()) if len(rf) else None
        ax = plot_depth_study(nets, baseline=baseline, units=units)
        return _save(ax.figure, path)

    def save(self, out_dir: str | Path, units: str | None = None) -> dict[str, Path]:
        """Write ``results.json``, ``results.csv`` and the plots into ``out_dir``.

        Parameters
        ----------
        out_dir : str or Path
            Output folder (created if needed).
        units : str, optional
            Unit of the target, for the plot labels.

        Returns
        -------
        dict of str to Path
            Written files by kind: ``json``, ``csv``, ``parity``, ``learning_curves``
            and ``depth_study`` (the last two only when drawn).
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        files: dict[str, Path] = {}
        files["csv"] = out / "results.csv"
        self.results.to_csv(files["csv"], index=False)
        files["parity"] = self.plot_parity(out / "parity.png", units=units)
        curves = self.plot_learning_curves(out / "learning_curves.png")
        if curves is not None:
            files["learning_curves"] = curves
        depth = self.plot_depth_study(out / "depth_study.png", units=units)
        if depth is not None:
            files["depth_study"] = depth
        files["json"] = out / "results.json"
        payload = self.to_json()
        payload["files"] = {kind: p.name for kind, p in files.items()}
        files["json"].write_text(json.dumps(payload, indent=2) + "\n")
        return files


def _panel_grid(n_panels: int, max_columns: int, panel_size: tuple[float, float]):
    """A figure (no pyplot, so the caller's backend is untouched) with ``n_panels`` axes."""
    from matplotlib.figure import Figure

    ncols = min(n_panels, max_columns)
    nrows = math.ceil(n_panels / ncols)
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows), layout="tight")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, list(axes[:n_panels])


def _save(fig: Any, path: str | Path) -> Path:
    path = Path(path)
    fig.savefig(path, dpi=120)
    return path


def _history_records(net: ResidualNetRegressor) -> list[dict[str, Any]]:
    keys = ("epoch", "train_loss", "valid_loss", "dur")
    return [{k: row[k] for k in keys if k in row} for row in net.history_]


def run_comparison(
    models: Mapping[str, BaseEstimator],
    X: Any,
    y: Any,
    *,
    X_test: Any = None,
    y_test: Any = None,
    cv: int | None = None,
    test_size: float = 0.2,
    settings: TrainingSettings | None = None,
    info: Mapping[str, Any] | None = None,
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
    cv : int, optional
        Number of shuffled K-fold splits.
    test_size : float, default=0.2
        Test fraction of the single split.
    settings : TrainingSettings, optional
        Recorded in the result; its ``seed`` seeds the split (default seed 0).
    info : mapping, optional
        Description of the data and the command, kept in the result.

    Returns
    -------
    ComparisonResult
    """
    settings = settings or TrainingSettings()
    results, preds = compare_models(
        models,
        X,
        y,
        X_test=X_test,
        y_test=y_test,
        cv=cv,
        test_size=test_size,
        random_state=settings.seed,
        progress=settings.progress,
        return_predictions=True,
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
                    "net": _NET_LABELS[
                        {
                            IRNetRegressor: "irnet",
                            SRNetRegressor: "srnet",
                            PlainNetRegressor: "plain",
                        }[type(net)]
                    ],
                    "depth": sum(n for _, n in net.architecture_) + 1,
                    "epochs": net.n_iter_,
                    "best_epoch": net.best_epoch_,
                    "device": net.device_,
                    "time_budget_hit": bool(getattr(budget, "exhausted_", False)),
                }
            )
            if fold == 0:
                histories[name] = _history_records(net)
    results = results.merge(pd.DataFrame(extra), on=["model", "fold"], how="left")
    return ComparisonResult(results, preds, histories, settings, dict(info or {}))


# --------------------------------------------------------------------------- single pipeline


def train_pipeline(
    formulas: Sequence[Any], y: Any, name: str, depth: int, settings: TrainingSettings
) -> Pipeline:
    """Fit ``Pipeline([("featurize", ...), ("scale", ...), ("clip", ...), ("net", ...)])``.

    Parameters
    ----------
    formulas : sequence of str
        Chemical formulas.
    y : array-like of shape (n,)
        Target.
    name : {"irnet", "srnet", "plain"}
        Network type.
    depth : int
        One of the paper's depths (ignored with ``settings.hidden_layer_sizes``).
    settings : TrainingSettings
        Training settings.

    Returns
    -------
    sklearn.pipeline.Pipeline
        The fitted pipeline; it predicts from formulas.
    """
    net_pipe = make_net(name, depth, settings, label=name)
    pipe = Pipeline(
        [("featurize", CompositionFeaturizer(progress=settings.progress)), *net_pipe.steps]
    )
    return pipe.fit(list(formulas), np.asarray(y, dtype=np.float64))


def save_pipeline(pipe: Pipeline, out_dir: str | Path, **meta: Any) -> Path:
    """Save a :func:`train_pipeline` pipeline without pickle.

    The network goes through :func:`skirnet.save` into ``out_dir/net`` (safetensors +
    JSON); the featurizer's ``get_params()`` and the scaler's statistics (``mean_``,
    ``scale_``, ``var_``, ``n_samples_seen_``) go into ``out_dir/pipeline.json``.

    Parameters
    ----------
    pipe : sklearn.pipeline.Pipeline
        Fitted ``featurize`` / ``scale`` / ``net`` pipeline.
    out_dir : str or Path
        Folder to write (created if needed).
    **meta
        JSON-ready extras stored in ``pipeline.json`` (column names, settings, ...).

    Returns
    -------
    Path
        ``out_dir``.
    """
    import skirnet

    featurizer = pipe.named_steps["featurize"]
    scaler = pipe.named_steps["scale"]
    net = pipe.named_steps["net"]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    saved = _clone_without_callbacks(net)
    skirnet.save(saved, out / "net")
    params = featurizer.get_params()
    params["progress"] = None
    spec = {
        "format": PIPELINE_FORMAT,
        "skirnet_version": __version__,
        "steps": ["featurize", "scale", "clip", "net"],
        "clip": FEATURE_CLIP,
        "featurizer": {"class": type(featurizer).__name__, "params": params},
        "feature_names": [str(f) for f in featurizer.get_feature_names_out()],
        "scaler": {
            "mean": scaler.mean_.tolist(),
            "scale": scaler.scale_.tolist(),
            "var": scaler.var_.tolist(),
            "n_samples_seen": int(scaler.n_samples_seen_),
        },
        "net_dir": "net",
        **meta,
    }
    (out / PIPELINE_FILE).write_text(json.dumps(spec, indent=2) + "\n")
    return out


def _clone_without_callbacks(net: ResidualNetRegressor) -> ResidualNetRegressor:
    """The fitted net with ``callbacks=None`` (progress bars are not worth saving)."""
    if not net.callbacks:
        return net
    import copy

    saved = copy.copy(net)
    saved.callbacks = None
    return saved


def load_pipeline(model_dir: str | Path) -> tuple[Pipeline, dict[str, Any]]:
    """Rebuild a pipeline saved by :func:`save_pipeline`, without unpickling anything.

    Parameters
    ----------
    model_dir : str or Path
        Folder written by :func:`save_pipeline` (``skirnet train``).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        ``featurize`` / ``scale`` / ``clip`` / ``net``, ready to ``predict`` formulas.
    spec : dict
        The saved ``pipeline.json``.

    Raises
    ------
    FileNotFoundError
        The folder or its files are missing.
    ValueError
        The folder was not written by :func:`save_pipeline` of this format.
    """
    import skirnet

    model_dir = Path(model_dir)
    path = model_dir / PIPELINE_FILE
    if not model_dir.is_dir():
        raise FileNotFoundError(f"no such model folder: {model_dir}")
    if not path.is_file():
        raise FileNotFoundError(
            f"{model_dir} has no {PIPELINE_FILE}; was it written by 'skirnet train'?"
        )
    try:
        spec = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None
    if spec.get("format") != PIPELINE_FORMAT:
        raise ValueError(
            f"{path} has format {spec.get('format')!r}; this skirnet reads {PIPELINE_FORMAT}"
        )
    if spec["featurizer"]["class"] != "CompositionFeaturizer":
        raise ValueError(f"{path}: unsupported featurizer {spec['featurizer']['class']!r}")
    featurizer = CompositionFeaturizer(**spec["featurizer"]["params"]).fit(["H"])
    scaler = StandardScaler()
    scaler.mean_ = np.asarray(spec["scaler"]["mean"], dtype=np.float64)
    scaler.scale_ = np.asarray(spec["scaler"]["scale"], dtype=np.float64)
    scaler.var_ = np.asarray(spec["scaler"]["var"], dtype=np.float64)
    scaler.n_samples_seen_ = spec["scaler"]["n_samples_seen"]
    scaler.n_features_in_ = len(scaler.mean_)
    net = skirnet.load(model_dir / spec.get("net_dir", "net"))
    steps: list[tuple[str, Any]] = [("featurize", featurizer), ("scale", scaler)]
    if spec.get("clip") is not None:
        steps.append(("clip", _clipper(float(spec["clip"]))))
    return Pipeline([*steps, ("net", net)]), spec
