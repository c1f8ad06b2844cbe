"""Tests for skirnet.plotting: each figure is saved to PNG and its Axes inspected."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.metrics import r2_score  # noqa: E402

from skirnet.plotting import (  # noqa: E402
    plot_depth_study,
    plot_learning_curve,
    plot_learning_curves,
    plot_parity,
    plot_parity_panels,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _save_png(ax, path: Path) -> None:
    ax.figure.savefig(path, dpi=60)
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 1000


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_parity_scatter(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.normal(size=200)
    pred = y + rng.normal(scale=0.1, size=200)
    ax = plot_parity(y, pred, title="OQMD", units="eV/atom", label="IRNet")
    _save_png(ax, tmp_path / "parity.png")
    assert ax.get_xlabel() == "DFT (eV/atom)" and ax.get_ylabel() == "Predicted (eV/atom)"
    assert ax.get_title() == "OQMD"
    mae = np.mean(np.abs(pred - y))
    texts = _legend(ax)
    assert texts[0] == "y = x"
    r2 = r2_score(y, pred)
    assert texts[1] == f"IRNet:\nMAE = {mae:.3g} eV/atom, R² = {r2:.3f}"
    assert r2 > 0.98
    identity = ax.get_lines()[0]
    xs, ys = identity.get_data()
    np.testing.assert_allclose(xs, ys)
    assert ax.get_xlim() == ax.get_ylim()
    assert xs[0] <= min(y.min(), pred.min()) and xs[-1] >= max(y.max(), pred.max())
    assert len(ax.collections) == 1 and ax.collections[0].get_offsets().shape == (200, 2)


def test_parity_hexbin_for_large_n_and_overlay(tmp_path):
    rng = np.random.default_rng(1)
    y = rng.normal(size=20_000)
    pred = y + 0.2 * rng.normal(size=y.size)
    ax = plot_parity(y, pred, hexbin_above=5000)
    assert isinstance(ax.collections[0], PolyCollection)
    mae = np.mean(np.abs(pred - y))
    assert _legend(ax)[1] == f"predictions:\nMAE = {mae:.3g}, R² = {r2_score(y, pred):.3f}"
    # overlay a second model on the same Axes: one identity line, wider limits
    plot_parity([-10.0, 10.0], [-9.0, 9.5], ax=ax, label="RF")
    assert [ln.get_label() for ln in ax.get_lines()].count("y = x") == 1
    assert ax.get_xlim()[0] < -10 and ax.get_xlim()[1] > 10
    assert _legend(ax)[2] == "RF:\nMAE = 0.75, R² = 0.994"
    _save_png(ax, tmp_path / "hexbin.png")


def test_parity_on_given_axes_and_errors():
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_parity([1, 2, np.nan], [1.1, 2.1, 3.0], ax=ax, reference="Experiment") is ax
    assert ax.get_xlabel() == "Experiment"
    assert ax.collections[0].get_offsets().shape == (2, 2)  # NaN pair dropped
    with pytest.raises(ValueError, match="3 values but y_pred has 2"):
        plot_parity([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="no finite"):
        plot_parity([np.nan], [1.0])


class _FittedNet:
    """Stands in for a skirnet regressor: only ``history_`` matters here."""

    def __init__(self, history):
        self.history_ = history


def test_learning_curve_from_estimator(tmp_path):
    history = [
        {"epoch": e, "train_loss": 1.0 / e, "valid_loss": 0.5 + (e - 6) ** 2 / 50, "dur": 0.1}
        for e in range(1, 11)
    ]
    ax = plot_learning_curve(_FittedNet(history), title="IRNet-48", log_y=True)
    _save_png(ax, tmp_path / "curve.png")
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert _legend(ax) == ["train", "validation", "best epoch 6"]
    np.testing.assert_allclose(lines["train"].get_ydata(), [1.0 / e for e in range(1, 11)])
    np.testing.assert_allclose(lines["validation"].get_xdata(), np.arange(1, 11))
    assert lines["best epoch 6"].get_xdata()[0] == 6
    assert lines["best epoch 6"].get_ydata()[0] == pytest.approx(0.5)
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "Epoch" and ax.get_ylabel() == "Loss"
    assert ax.get_title() == "IRNet-48"


def test_learning_curve_skorch_history_and_no_validation(tmp_path):
    from skorch.history import History

    history = History()
    for epoch, loss in enumerate([0.9, 0.4, 0.2], start=1):
        history.new_epoch()
        history.record("epoch", epoch)
        history.record("train_loss", loss)
    ax = plot_learning_curve(history)
    assert _legend(ax) == ["train"]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [0.9, 0.4, 0.2])
    _save_png(ax, tmp_path / "train_only.png")
    frame = pd.DataFrame({"train_loss": [2.0, 1.0], "valid_loss": [3.0, 2.5]})
    ax2 = plot_learning_curve(frame)
    assert _legend(ax2) == ["train", "validation", "best epoch 2"]


def test_learning_curve_errors():
    with pytest.raises(ValueError, match="history is empty"):
        plot_learning_curve(_FittedNet([]))
    with pytest.raises(ValueError, match="no 'train_loss'.*'loss'"):
        plot_learning_curve([{"epoch": 1, "loss": 1.0}])


def test_depth_study(tmp_path):
    rows = []
    rng = np.random.default_rng(0)
    for net, slope in [("IRNet", -0.0002), ("SRNet", 0.0), ("PlainNet", 0.001)]:
        for depth in (10, 17, 24, 48):
            for seed in range(2):
                mae = 0.05 + slope * depth + 0.001 * rng.normal()
                rows.append({"net": net, "depth": depth, "mae": mae, "seed": seed})
    results = pd.DataFrame(rows)
    ax = plot_depth_study(results, baseline=0.072, units="eV/atom", title="OQMD")
    _save_png(ax, tmp_path / "depth.png")
    assert _legend(ax) == ["PlainNet", "SRNet", "IRNet", "Random forest"]
    assert ax.get_xlabel() == "Depth (number of layers)"
    assert ax.get_ylabel() == "MAE (eV/atom)"
    assert list(ax.get_xticks()) == [10, 17, 24, 48]
    # repeated seeds: one errorbar container per net, its data line through the means
    bars = {c.get_label(): c for c in ax.containers}
    assert list(bars) == ["PlainNet", "SRNet", "IRNet"]
    irnet = bars["IRNet"].lines[0]
    grouped = results[results["net"] == "IRNet"].groupby("depth")["mae"]
    np.testing.assert_allclose(irnet.get_ydata(), grouped.mean().to_numpy())
    assert irnet.get_marker() == "^"
    assert bars["IRNet"].has_yerr
    baseline = [ln for ln in ax.get_lines() if ln.get_label() == "Random forest"]
    np.testing.assert_allclose(baseline[0].get_ydata(), [0.072, 0.072])


def test_depth_study_single_runs_and_errors():
    res = pd.DataFrame({"net": ["SRNet", "SRNet"], "depth": [24, 10], "mae": [0.04, 0.05]})
    ax = plot_depth_study(res, metric="mae")
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [10, 24])
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['depth'\]"):
        plot_depth_study(pd.DataFrame({"net": ["a"], "mae": [1.0]}))
    with pytest.raises(ValueError, match="empty"):
        plot_depth_study(pd.DataFrame(columns=["net", "depth", "mae"]))


def test_calibration_plot_shows_observed_against_expected_coverage():
    from skirnet.plotting import plot_calibration

    rng = np.random.RandomState(0)
    std = rng.uniform(0.5, 2.0, 4000)
    errors = rng.normal(0, std)
    ax = plot_calibration(errors, np.zeros(4000), std, label="calibrated")
    plot_calibration(errors, np.zeros(4000), std / 2, label="overconfident", ax=ax)
    calibrated, diagonal, overconfident = (ax.lines[0], ax.lines[1], ax.lines[2])
    x, y = calibrated.get_data()
    assert np.allclose(x, np.linspace(0.01, 0.99, 99))
    assert np.max(np.abs(y - x)) < 0.03  # Gaussian errors with their own σ: on the diagonal
    _, y_over = overconfident.get_data()
    assert (y_over[10:] < x[10:]).all()  # half the σ: intervals hold fewer than promised
    assert diagonal.get_xydata().tolist() == [[0, 0], [1, 1]]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("calibrated: area 0.0") and labels[1].startswith("overconfident")
    assert ax.get_xlabel() == "expected coverage" and ax.get_ylabel() == "observed coverage"


def test_parity_panels_share_one_range_so_unlike_scales_are_not_compared():
    truth = np.linspace(-3, 3, 50)
    wild = truth.copy()
    wild[0] = -12.0  # one prediction far off
    fig = plot_parity_panels({"net": (truth, truth + 0.1), "forest": (truth, wild)})
    ranges = {ax.get_xlim() for ax in fig.axes} | {ax.get_ylim() for ax in fig.axes}
    assert len(ranges) == 1
    ((low, high),) = ranges
    assert low < -12.0 and high > 3.0


def test_learning_curves_share_their_y_range_and_say_what_they_show():
    histories = {
        "IRNet-17": [
            {"train_loss": 0.30, "valid_loss": 0.35},
            {"train_loss": 0.10, "valid_loss": 0.20},
        ],
        "PlainNet-17": [
            {"train_loss": 0.90, "valid_loss": 0.95},
            {"train_loss": 0.60, "valid_loss": 0.70},
        ],
    }
    fig = plot_learning_curves(histories, ylabel="MAE (eV/atom)")
    assert fig.axes[0].get_ylim() == fig.axes[1].get_ylim()
    assert [ax.get_ylabel() for ax in fig.axes] == ["MAE (eV/atom)"] * 2
    assert fig.axes[0].get_ylim()[1] > 0.95
