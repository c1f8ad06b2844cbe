"""Figures for regression results: parity plots, learning curves, the depth study.

The single-panel functions draw on a given :class:`~matplotlib.axes.Axes` or, without one,
on a new :class:`matplotlib.figure.Figure` created without pyplot (so they work headless
and never open windows); they return the Axes. Save with
``ax.figure.savefig("parity.png")``. :func:`plot_parity_panels` and
:func:`plot_learning_curves` draw one panel per model side by side and return the Figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from skirnet._network_kinds import NETWORK_KINDS

__all__ = [
    "plot_calibration",
    "plot_depth_study",
    "plot_learning_curve",
    "plot_learning_curves",
    "plot_parity",
    "plot_parity_panels",
]

# Paper order and styles (Jha et al. 2021, Figure 1): plain, stacked residual, individual
# residual; keyed by skirnet.estimators.network_name
_NET_STYLES = {
    kind.name: {"marker": kind.marker, "color": kind.color}
    for kind in sorted(NETWORK_KINDS.values(), key=lambda kind: kind.figure_rank)
}


def _network_key(name: Any) -> str | None:
    """The network a depth-study row names ("PlainNet", "irnet", ...), or None."""
    from skirnet.estimators import network_name  # imported late: plotting needs no torch

    try:
        return network_name(str(name))
    except KeyError:
        return None


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = (5.0, 5.0)) -> Axes:
    if ax is not None:
        return ax
    return Figure(figsize=figsize, layout="constrained").add_subplot()


def _with_units(text: str, units: str | None) -> str:
    return f"{text} ({units})" if units else text


def plot_parity(
    y_true: Any,
    y_pred: Any,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    units: str | None = None,
    label: str | None = None,
    reference: str = "DFT",
    hexbin_above: int = 5000,
    limits: tuple[float, float] | None = None,
) -> Axes:
    """Parity plot: predicted against reference (DFT) values, with the y = x line.

    Up to ``hexbin_above`` points are drawn as a scatter whose transparency falls with
    the number of points; more points are drawn as a log-scaled hexbin density. The MAE
    and R² go into the legend entry of the data, so several models can share one Axes.
    Non-finite pairs are left out of the plot and the metrics.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Reference values (DFT, experiment).
    y_pred : array-like of shape (n,)
        Predictions.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new Figure is made when omitted.
    title : str, optional
        Axes title.
    units : str, optional
        Unit of the target, appended to the axis labels and the MAE (e.g. ``"eV/atom"``).
    label : str, optional
        Name of the model in the legend (default ``"predictions"``).
    reference : str, default="DFT"
        Name of the reference values on the x axis.
    hexbin_above : int, default=5000
        Switch from scatter to hexbin above this many points.
    limits : (float, float), optional
        Both axes' range; by default the data's, padded by 5 %. Panels that are compared
        side by side pass one range (:func:`plot_parity_panels` does).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    ValueError
        Different lengths or no finite pair.

    Examples
    --------
    >>> ax = plot_parity([0, 1, 2], [0.1, 0.9, 2.2], units="eV/atom", label="IRNet")
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('DFT (eV/atom)', 'Predicted (eV/atom)')
    >>> ax.get_legend().get_texts()[1].get_text()
    'IRNet:\\nMAE = 0.133 eV/atom, R² = 0.970'
    """
    t = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).ravel()
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} values but y_pred has {p.size}")
    keep = np.isfinite(t) & np.isfinite(p)
    if not keep.any():
        raise ValueError("no finite (y_true, y_pred) pair to plot")
    t, p = t[keep], p[keep]
    n = t.size
    mae = float(np.mean(np.abs(p - t)))
    ss_tot = float(np.sum((t - t.mean()) ** 2))
    r2 = 1.0 - float(np.sum((p - t) ** 2)) / ss_tot if ss_tot > 0 else float("nan")
    unit_txt = f" {units}" if units else ""
    entry = f"{label or 'predictions'}:\nMAE = {mae:.3g}{unit_txt}, R² = {r2:.3f}"

    ax = _new_axes(ax)
    lo, hi = _padded_range(t, p) if limits is None else (float(limits[0]), float(limits[1]))
    # keep limits that earlier calls on this Axes set, so overlays share one square frame
    if ax.has_data():
        old_lo, old_hi = ax.get_xlim()
        lo, hi = min(lo, old_lo), max(hi, old_hi)
    else:
        ax.plot([lo, hi], [lo, hi], ls="--", lw=1, color="black", label="y = x", zorder=3)
    line = next((ln for ln in ax.get_lines() if ln.get_label() == "y = x"), None)
    if line is not None:
        line.set_data([lo, hi], [lo, hi])

    if n > hexbin_above:
        ax.hexbin(t, p, gridsize=80, bins="log", mincnt=1, cmap="viridis", extent=(lo, hi, lo, hi))
        ax.plot([], [], ls="none", marker="h", color="tab:green", label=entry)
    else:
        alpha = float(np.clip(300.0 / n, 0.15, 0.8))
        ax.scatter(t, p, s=12, alpha=alpha, edgecolors="none", label=entry)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(_with_units(reference, units))
    ax.set_ylabel(_with_units("Predicted", units))
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    return ax


def _history_rows(obj: Any) -> list[Mapping[str, Any]]:
    if hasattr(obj, "history_"):
        obj = obj.history_
    elif hasattr(obj, "history") and not isinstance(obj, Sequence):
        obj = obj.history  # a skorch NeuralNet
    if isinstance(obj, pd.DataFrame):
        obj = obj.to_dict("records")
    rows = list(obj) if obj is not None else []
    if not rows:
        raise ValueError("the history is empty: fit the estimator first")
    if not all(isinstance(r, Mapping) for r in rows):
        raise TypeError("expected a history as a list of dicts (one per epoch)")
    if not any("train_loss" in r for r in rows):
        raise ValueError(f"the history has no 'train_loss'; its keys: {sorted(rows[0])}")
    return rows


def _padded_range(*values: np.ndarray) -> tuple[float, float]:
    """The finite range of ``values``, padded by 5 % on each side (0.5 when flat)."""
    finite = np.concatenate([v[np.isfinite(v)] for v in values])
    lo, hi = float(finite.min()), float(finite.max())
    pad = 0.05 * (hi - lo) if hi > lo else 0.5
    return lo - pad, hi + pad


def plot_learning_curve(
    history_or_estimator: Any,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    log_y: bool = False,
    ylabel: str = "Loss",
) -> Axes:
    """Training and validation loss per epoch, with the best validation epoch marked.

    Parameters
    ----------
    history_or_estimator : estimator, skorch History, list of dict or DataFrame
        An estimator with ``history_`` (skirnet's regressors) or ``history`` (a skorch
        ``NeuralNet``), or the history itself: one dict per epoch with ``train_loss``,
        optionally ``valid_loss`` and ``epoch`` (default: 1, 2, ...).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new Figure is made when omitted.
    title : str, optional
        Axes title.
    log_y : bool, default=False
        Logarithmic loss axis.
    ylabel : str, default="Loss"
        What the y axis shows, e.g. ``"MAE (eV/atom)"`` for a history in the target's units.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; lines labelled ``"train"``, ``"validation"`` (when the history
        has ``valid_loss``) and ``"best epoch N"`` (a star at the minimum validation
        loss, with an unlabelled dotted vertical line at that epoch).

    Raises
    ------
    ValueError
        Empty history or no ``train_loss``.

    Examples
    --------
    >>> history = [{"epoch": 1, "train_loss": 1.0, "valid_loss": 1.2},
    ...            {"epoch": 2, "train_loss": 0.5, "valid_loss": 0.7},
    ...            {"epoch": 3, "train_loss": 0.3, "valid_loss": 0.8}]
    >>> ax = plot_learning_curve(history)
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['train', 'validation', 'best epoch 2']
    """
    rows = _history_rows(history_or_estimator)
    epochs = np.array([r.get("epoch", i + 1) for i, r in enumerate(rows)], dtype=float)
    train = np.array([r.get("train_loss", np.nan) for r in rows], dtype=float)
    valid = np.array([r.get("valid_loss", np.nan) for r in rows], dtype=float)

    ax = _new_axes(ax, figsize=(6.0, 4.0))
    ax.plot(epochs, train, color="tab:blue", label="train")
    if np.isfinite(valid).any():
        ax.plot(epochs, valid, color="tab:orange", label="validation")
        best = int(np.nanargmin(valid))
        ax.plot(
            [epochs[best]],
            [valid[best]],
            ls="none",
            marker="*",
            ms=12,
            color="tab:red",
            label=f"best epoch {epochs[best]:g}",
        )
        ax.axvline(epochs[best], color="tab:red", ls=":", lw=1)
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("Epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small", frameon=False)
    return ax


def plot_depth_study(
    results: pd.DataFrame,
    *,
    ax: Axes | None = None,
    metric: str = "mae",
    baseline: float | None = None,
    baseline_label: str = "Random forest",
    units: str | None = None,
    title: str | None = None,
) -> Axes:
    """Error against network depth for Plain, SRNet and IRNet (the paper's Figure 1).

    Parameters
    ----------
    results : pandas.DataFrame
        Long table with columns ``net`` (e.g. ``"PlainNet"``, ``"SRNet"``, ``"IRNet"``),
        ``depth`` (number of layers) and ``mae`` (or the column named by ``metric``).
        Several rows for one (net, depth), e.g. seeds, are averaged and drawn with
        standard-deviation error bars.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new Figure is made when omitted.
    metric : str, default="mae"
        Column to plot.
    baseline : float, optional
        Error of a reference model, drawn as a dashed horizontal line.
    baseline_label : str, default="Random forest"
        Legend text of the baseline line.
    units : str, optional
        Unit of the error, for the y label.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: one line with markers per net (labelled with the net's name,
        plain, SRNet, IRNet first), then the baseline line.

    Raises
    ------
    ValueError
        Missing columns or empty table.

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"net": ["PlainNet", "PlainNet", "IRNet", "IRNet"],
    ...                     "depth": [10, 48, 10, 48], "mae": [0.05, 0.09, 0.05, 0.04]})
    >>> ax = plot_depth_study(res, baseline=0.07, units="eV/atom")
    >>> [line.get_label() for line in ax.get_lines()]
    ['PlainNet', 'IRNet', 'Random forest']
    >>> ax.get_ylabel()
    'MAE (eV/atom)'
    """
    missing = {"net", "depth", metric} - set(results.columns)
    if missing:
        raise ValueError(f"results lacks column(s) {sorted(missing)}; has {list(results.columns)}")
    if results.empty:
        raise ValueError("results is empty")
    stats = (
        results.groupby(["net", "depth"], sort=False)[metric]
        .agg(["mean", "std", "count"])
        .reset_index()
    )
    nets = list(dict.fromkeys(results["net"]))
    order = {name: i for i, name in enumerate(_NET_STYLES)}
    nets.sort(key=lambda name: order.get(_network_key(name), len(order)))

    ax = _new_axes(ax, figsize=(6.0, 4.0))
    handles: list[Any] = []
    for name in nets:
        sub = stats[stats["net"] == name].sort_values("depth")
        style = _NET_STYLES.get(_network_key(name), {"marker": "D"})
        x = sub["depth"].to_numpy(dtype=np.float64)
        mean = sub["mean"].to_numpy(dtype=np.float64)
        if (sub["count"] > 1).any():
            error = sub["std"].fillna(0.0).to_numpy(dtype=np.float64)
            handle = ax.errorbar(x, mean, yerr=error, capsize=3, label=str(name), **style)
        else:
            (handle,) = ax.plot(x, mean, label=str(name), **style)
        handles.append(handle)
    if baseline is not None:
        handles.append(ax.axhline(baseline, ls="--", color="black", lw=1, label=baseline_label))
    depths = np.sort(results["depth"].unique())
    ax.set_xticks(depths)
    ax.set_xlabel("Depth (number of layers)")
    ax.set_ylabel(_with_units(metric.upper() if metric.islower() else metric, units))
    if title:
        ax.set_title(title)
    ax.legend(handles=handles, fontsize="small", frameon=False)
    return ax


def _panel_grid(
    n_panels: int, max_columns: int, panel_size: tuple[float, float]
) -> tuple[Figure, list[Axes]]:
    """A figure (no pyplot, so the caller's backend is untouched) with ``n_panels`` axes."""
    ncols = min(n_panels, max_columns)
    nrows = math.ceil(n_panels / ncols)
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows), layout="tight")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, list(axes[:n_panels])


def plot_parity_panels(
    predictions: Mapping[str, tuple[Any, Any]], *, units: str | None = None, max_columns: int = 4
) -> Figure:
    """One :func:`plot_parity` panel per model, side by side.

    Parameters
    ----------
    predictions : mapping of str to (y_true, y_pred)
        Model name -> reference values and predictions; the name titles its panel.
    units : str, optional
        Unit of the target.
    max_columns : int, default=4
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, one Axes per model.

    Raises
    ------
    ValueError
        No model.

    All panels share one range on both axes (the data's of every model, padded by 5 %),
    so a model with a few wild predictions does not get a scale of its own.

    Examples
    --------
    >>> fig = plot_parity_panels({"a": ([0, 1, 2], [0, 1, 2.5]), "b": ([0, 1], [1, 1])})
    >>> [ax.get_title() for ax in fig.axes]
    ['a', 'b']
    >>> fig.axes[0].get_xlim() == fig.axes[1].get_xlim() == fig.axes[1].get_ylim()
    True
    """
    if not predictions:
        raise ValueError("predictions is empty: pass a dict of name -> (y_true, y_pred)")
    fig, axes = _panel_grid(len(predictions), max_columns, panel_size=(4.2, 4.2))
    # one range for every panel: the eye compares like with like
    arrays = [
        np.asarray(a, dtype=np.float64).ravel() for pair in predictions.values() for a in pair
    ]
    limits = _padded_range(*arrays)
    for ax, (name, (y_true, y_pred)) in zip(axes, predictions.items(), strict=True):
        plot_parity(y_true, y_pred, ax=ax, title=name, units=units, limits=limits)
    return fig


def plot_learning_curves(
    histories: Mapping[str, Any], *, max_columns: int = 3, ylabel: str = "Loss"
) -> Figure:
    """One :func:`plot_learning_curve` panel per model, side by side, on one y range.

    Parameters
    ----------
    histories : mapping of str to history or estimator
        Model name -> anything :func:`plot_learning_curve` takes.
    max_columns : int, default=3
        Panels per row.
    ylabel : str, default="Loss"
        What the y axes show, e.g. ``"MAE (eV/atom)"``.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, one Axes per model, all with the same y range.

    Raises
    ------
    ValueError
        No model, or an empty history.

    Examples
    --------
    >>> fig = plot_learning_curves({"IRNet-17": [{"train_loss": 1.0}, {"train_loss": 0.5}]})
    >>> [ax.get_title() for ax in fig.axes]
    ['IRNet-17']
    """
    if not histories:
        raise ValueError("histories is empty: pass a dict of name -> history")
    fig, axes = _panel_grid(len(histories), max_columns, panel_size=(5.0, 3.8))
    for ax, (name, history) in zip(axes, histories.items(), strict=True):
        plot_learning_curve(history, ax=ax, title=name, ylabel=ylabel)
    low = min(ax.get_ylim()[0] for ax in axes)
    high = max(ax.get_ylim()[1] for ax in axes)
    for ax in axes:
        ax.set_ylim(low, high)
    return fig


def plot_calibration(
    y_true: Any,
    y_mean: Any,
    y_std: Any,
    *,
    label: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Calibration plot: expected against observed coverage of ``mean ± z·σ`` intervals.

    Points on the diagonal mean the predicted σ are calibrated; below it, the intervals
    hold fewer targets than they promise (σ too small), above it, more (σ too large). The
    shaded area is the miscalibration area of :func:`skirnet.ensemble.calibration_summary`.
    Call it again on the same ``ax`` to compare models (e.g. before and after
    :meth:`~skirnet.DeepEnsembleRegressor.calibrate`).

    Parameters
    ----------
    y_true, y_mean, y_std : array-like of shape (n_samples,)
        Targets, predicted means and standard deviations
        (``model.predict(X, return_std=True)``).
    label : str, optional
        Legend entry (the miscalibration area is appended).
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is made without one.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> from skirnet.plotting import plot_calibration
    >>> rng = np.random.RandomState(0)
    >>> std = rng.uniform(0.5, 2, 500)
    >>> ax = plot_calibration(rng.normal(0, std), np.zeros(500), std, label="ensemble")
    >>> ax.get_xlabel()
    'expected coverage'
    """
    from skirnet.ensemble import coverage_curve  # imported late: plotting needs no torch

    expected, observed = coverage_curve(y_true, y_mean, y_std)
    ax = _new_axes(ax)
    area = float(np.mean(np.abs(observed - expected)))
    text = f"{label}: area {area:.3f}" if label else f"miscalibration area {area:.3f}"
    (line,) = ax.plot(expected, observed, label=text)
    ax.fill_between(expected, expected, observed, color=line.get_color(), alpha=0.15)
    ax.plot([0, 1], [0, 1], color="black", linewidth=0.8, linestyle="--")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("expected coverage")
    ax.set_ylabel("observed coverage")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small", frameon=False, loc="upper left")
    return ax
