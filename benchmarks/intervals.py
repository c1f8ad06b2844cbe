"""Prediction intervals: coverage and width of conformal and scaled-σ intervals on three sets.

    python benchmarks/intervals.py                 # run every set, write JSON, plot and docs
    python benchmarks/intervals.py --sets mp_bulk_modulus   # rerun one set (others kept)
    python benchmarks/intervals.py --report        # plot and docs tables from the JSON
    python benchmarks/intervals.py --check         # exit 1 if the docs tables are stale

Three sets, calibration rows never from the test split; the test rows choose nothing:

* ``oqmd_formation_enthalpy``: the shipped ``oqmd-formation-enthalpy`` model and the
  calibration stored with it (3,000 rows of the published validation split), scored on
  all 51,255 test rows. ``split``: constant width. ``normalized (residual model)``: the
  same 3,000 calibration rows, each residual divided by σ(x) from a gradient-boosted
  regressor fitted on log |residual| of 20,000 *other* validation rows (a residual-
  normalised score, as in MAPIE's ``ResidualNormalisedScore``). No ensemble, so no
  scaled σ here.
* ``mp_bulk_modulus`` (GPa): an ensemble of ``MEMBERS`` networks fine-tuned from the
  shipped formation-enthalpy model (``make_fine_tuning_pipeline``, ``FINE_TUNE`` of
  ``benchmarks/_splits.py`` (as ``transfer.py``) with ``EPOCHS`` epochs; early stopping on 10 % of the
  training rows) on the published train split; calibrated on the published validation
  split; scored on the published test split.
* ``expt_formation_enthalpy`` (eV/atom): the same ensemble trained on 75 % of the
  published training split (seeded), calibrated on the other 25 %, scored on the
  published test split (164 rows).

Variants: ``split`` (plain split conformal, one width), ``normalized`` (split conformal
on |y − ŷ| / σ with the ensemble's σ: locally adaptive), and ``scaled σ`` (the ensemble's
μ ± z·s·σ with the one factor *s* that ``DeepEnsembleRegressor.calibrate`` fits on the
calibration rows: Gaussian intervals, no conformal guarantee). Reported: coverage at 68,
90 and 95 %, mean width, the width comparison at 90 % (and, for scaled σ, the normalized
intervals' width at the coverage scaled σ actually reaches), and coverage at 90 % by
target range (quartiles of the calibration rows' targets) and by element family:
``rare earth`` (any of Sc, Y, the lanthanides or actinides: pymatgen's
``Element.is_rare_earth``), ``transition metal`` (any other ``is_transition_metal``) and
``main group only`` (neither). Writes ``benchmarks/results/intervals.json``, then the plot
``benchmarks/results/intervals_coverage.png`` and the tables of the ``intervals``
section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from _common import (
    RESULTS,
    format_table,
    machine_info,
    replace_section,
    use_shared_data,
    write_json,
)
from _splits import FINE_TUNE, load_split
from sklearn.base import BaseEstimator, RegressorMixin

JSON = RESULTS / "intervals.json"
PLOT = RESULTS / "intervals_coverage.png"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
LEVELS = (0.68, 0.9, 0.95)
CURVE = tuple(round(c, 2) for c in np.arange(0.05, 0.951, 0.05)) + (0.98, 0.99)
MEMBERS = 3
EPOCHS = 30
SETS = ("oqmd_formation_enthalpy", "mp_bulk_modulus", "expt_formation_enthalpy")
UNITS = {
    "oqmd_formation_enthalpy": "eV/atom",
    "mp_bulk_modulus": "GPa",
    "expt_formation_enthalpy": "eV/atom",
}
FAMILIES = ("rare earth", "transition metal", "main group only")


# ----------------------------------------------------------------------------- helpers


def family(formula: str) -> str:
    """The element family of a formula (the bins documented above)."""
    from pymatgen.core import Composition

    elements = Composition(formula).elements
    if any(e.is_rare_earth for e in elements):
        return "rare earth"
    if any(e.is_transition_metal for e in elements):
        return "transition metal"
    return "main group only"


def _coverage(y, lower, upper) -> float:
    return float(np.mean((lower <= y) & (y <= upper)))


def _bins(y_test, y_cal, formulas, lower, upper) -> dict[str, list[dict]]:
    """Coverage and mean width per target quartile (of the calibration targets) and family."""
    edges = np.quantile(y_cal, [0.25, 0.5, 0.75])
    quartile = np.searchsorted(edges, y_test, side="right")
    names = [
        f"Q1 (< {edges[0]:.3g})",
        f"Q2 ({edges[0]:.3g} to {edges[1]:.3g})",
        f"Q3 ({edges[1]:.3g} to {edges[2]:.3g})",
        f"Q4 (>= {edges[2]:.3g})",
    ]
    families = np.array([family(f) for f in formulas])
    inside = (lower <= y_test) & (y_test <= upper)
    width = upper - lower

    def rows(labels, keys, names_):
        return [
            {
                "bin": n,
                "rows": int(np.sum(labels == k)),
                "coverage": float(np.mean(inside[labels == k])) if np.any(labels == k) else None,
                "mean_width": float(np.mean(width[labels == k])) if np.any(labels == k) else None,
            }
            for k, n in zip(keys, names_, strict=True)
        ]

    return {
        "target": rows(quartile, range(4), names),
        "family": rows(families, FAMILIES, FAMILIES),
    }


def _variant(y, y_cal, formulas, intervals) -> dict:
    """Coverage, width and bins of one variant; ``intervals(levels)`` gives lower, upper."""
    lower, upper = intervals(list(LEVELS))
    curve_lower, curve_upper = intervals(list(CURVE))
    k90 = LEVELS.index(0.9)
    return {
        "coverage": {
            f"{c:g}": _coverage(y, lower[:, k], upper[:, k]) for k, c in enumerate(LEVELS)
        },
        "mean_width": {
            f"{c:g}": float(np.mean(upper[:, k] - lower[:, k])) for k, c in enumerate(LEVELS)
        },
        "curve": [
            [c, _coverage(y, curve_lower[:, k], curve_upper[:, k])] for k, c in enumerate(CURVE)
        ],
        "bins_at_0.9": _bins(y, y_cal, formulas, lower[:, k90], upper[:, k90]),
    }


def _conformal_intervals(conformal, X):
    def intervals(levels):
        _, lower, upper = conformal.predict_interval(X, confidence=levels)
        return lower, upper

    return intervals


def _scaled_sigma_intervals(mean, sigma):
    from scipy.stats import norm

    def intervals(levels):
        half = sigma[:, None] * norm.ppf(0.5 + np.asarray(levels) / 2)[None, :]
        return mean[:, None] - half, mean[:, None] + half

    return intervals


class ResidualScaled(RegressorMixin, BaseEstimator):
    """A fitted model with σ(x) from a regressor of its log absolute residuals.

    ``predict(X, return_std=True)`` gives the model's prediction and ``exp`` of the
    residual model's prediction, so ``ConformalRegressor(method="normalized")`` divides
    each residual by it (the residual-normalised score). Both parts come fitted.
    """

    def __init__(self, model=None, residual_model=None):
        self.model = model
        self.residual_model = residual_model

    def fit(self, X, y):  # pragma: no cover - both parts are fitted already
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def predict(self, X, return_std=False):
        prediction = self.model.predict(X)
        if not return_std:
            return prediction
        return prediction, np.exp(self.residual_model.predict(X))


# ----------------------------------------------------------------------------- the sets


def run_oqmd() -> dict:
    from sklearn.ensemble import HistGradientBoostingRegressor

    from skirnet import ConformalRegressor, pretrained
    from skirnet.intervals import read_calibration

    name, model_name = "oqmd_formation_enthalpy", "oqmd-formation-enthalpy"
    model = pretrained.load(model_name)
    featurizer = model.steps[0][1].set_params(progress_bar=False)
    stored = read_calibration(pretrained.MODELS_DIR / model_name)
    f_val, y_val = load_split(name, "val")
    f_te, y_te = load_split(name, "test")
    cal = np.asarray(stored["source"]["row_indices"])
    rest = np.setdiff1d(np.arange(len(y_val)), cal)
    fit_rows = np.sort(np.random.default_rng(1).choice(rest, 20_000, replace=False))
    start = time.perf_counter()
    X_cal = featurizer.transform([f_val[i] for i in cal])
    X_fit = featurizer.transform([f_val[i] for i in fit_rows])
    X_te = featurizer.transform(f_te)
    net = model[1:]
    split = ConformalRegressor(net).calibrate(X_cal, y_val[cal])
    np.testing.assert_allclose(
        split.conformity_scores_, stored["conformal"]["conformity_scores"], atol=1e-4
    )
    residual = np.log(np.abs(y_val[fit_rows] - net.predict(X_fit)) + 1e-4)
    residual_model = HistGradientBoostingRegressor(max_iter=200, random_state=0)
    residual_model.fit(X_fit, residual)
    normalized = ConformalRegressor(ResidualScaled(net, residual_model), method="normalized")
    normalized.calibrate(X_cal, y_val[cal])
    variants = {
        "split": _variant(y_te, y_val[cal], f_te, _conformal_intervals(split, X_te)),
        "normalized (residual model)": _variant(
            y_te, y_val[cal], f_te, _conformal_intervals(normalized, X_te)
        ),
    }
    return {
        "unit": UNITS[name],
        "model": f"shipped {model_name}",
        "calibration": (
            f"the {len(cal):,} validation rows stored with the model; the residual model "
            f"on {len(fit_rows):,} other validation rows"
        ),
        "calibration_rows": len(cal),
        "test_rows": len(y_te),
        "test_mae": float(np.mean(np.abs(net.predict(X_te) - y_te))),
        "seconds": time.perf_counter() - start,
        "variants": variants,
    }


def _ensemble_set(name: str, f_tr, y_tr, f_cal, y_cal, f_te, y_te, calibration: str) -> dict:
    from skirnet import ConformalRegressor, DeepEnsembleRegressor
    from skirnet.transfer import make_fine_tuning_pipeline

    params = {**FINE_TUNE, "max_epochs": EPOCHS, "patience": EPOCHS}
    pipe = make_fine_tuning_pipeline("oqmd-formation-enthalpy", random_state=0, **params)
    pipe.set_params(featurize__progress_bar=False, net__verbose=0)
    pipe.steps[-1] = (
        "net",
        DeepEnsembleRegressor(pipe.steps[-1][1], n_estimators=MEMBERS, random_state=0),
    )
    start = time.perf_counter()
    featurizer = pipe.steps[0][1]
    featurizer.fit(f_tr)
    X_tr, X_cal, X_te = (featurizer.transform(f) for f in (f_tr, f_cal, f_te))
    model = pipe[1:]
    model.fit(X_tr, y_tr)
    fit_s = time.perf_counter() - start
    ensemble = model.steps[-1][1]
    ensemble.calibrate(model[:-1].transform(X_cal), y_cal)
    mean, sigma = model.predict(X_te, return_std=True)
    split = ConformalRegressor(model).calibrate(X_cal, y_cal)
    normalized = ConformalRegressor(model, method="normalized").calibrate(X_cal, y_cal)
    variants = {
        "split": _variant(y_te, y_cal, f_te, _conformal_intervals(split, X_te)),
        "normalized": _variant(y_te, y_cal, f_te, _conformal_intervals(normalized, X_te)),
        "scaled σ": _variant(y_te, y_cal, f_te, _scaled_sigma_intervals(mean, sigma)),
    }
    # the normalized intervals at the coverage scaled σ actually reaches at nominal 90 %
    reached = variants["scaled σ"]["coverage"]["0.9"]
    _, lower, upper = normalized.predict_interval(X_te, confidence=reached)
    return {
        "unit": UNITS[name],
        "model": (
            f"{MEMBERS} networks fine-tuned from oqmd-formation-enthalpy ({EPOCHS} epochs), "
            "averaged"
        ),
        "calibration": calibration,
        "calibration_rows": len(y_cal),
        "train_rows": len(y_tr),
        "test_rows": len(y_te),
        "test_mae": float(np.mean(np.abs(mean - y_te))),
        "std_scale": ensemble.std_scale_,
        "fit_s": fit_s,
        "seconds": time.perf_counter() - start,
        "variants": variants,
        "normalized_at_scaled_sigma_coverage": {
            "confidence": reached,
            "coverage": _coverage(y_te, lower, upper),
            "mean_width": float(np.mean(upper - lower)),
        },
    }


def run_mp() -> dict:
    name = "mp_bulk_modulus"
    f_tr, y_tr = load_split(name, "train")
    f_va, y_va = load_split(name, "val")
    f_te, y_te = load_split(name, "test")
    return _ensemble_set(
        name, f_tr, y_tr, f_va, y_va, f_te, y_te, f"the published validation split ({len(y_va)})"
    )


def run_expt() -> dict:
    name = "expt_formation_enthalpy"
    f_tr, y_tr = load_split(name, "train")
    f_te, y_te = load_split(name, "test")
    order = np.random.default_rng(0).permutation(len(y_tr))
    n_cal = len(y_tr) // 4
    cal, train = np.sort(order[:n_cal]), np.sort(order[n_cal:])
    return _ensemble_set(
        name,
        [f_tr[i] for i in train],
        y_tr[train],
        [f_tr[i] for i in cal],
        y_tr[cal],
        f_te,
        y_te,
        f"a seeded 25 % of the published training split ({n_cal}); the networks train on "
        "the other 75 %",
    )


RUNS = {
    "oqmd_formation_enthalpy": run_oqmd,
    "mp_bulk_modulus": run_mp,
    "expt_formation_enthalpy": run_expt,
}


# ----------------------------------------------------------------------------- report


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}"


def _width(value: float, unit: str) -> str:
    return f"{value:.3g} {unit}"


def tables(results: dict) -> str:
    """The docs section: coverage, width comparison and the bins, from the JSON."""
    sets = results["sets"]
    coverage, widths, bins = [], [], []
    for name in SETS:
        if name not in sets:
            continue
        s = sets[name]
        for variant, v in s["variants"].items():
            coverage.append(
                {
                    "set": name,
                    "intervals": variant,
                    "calibration rows": f"{s['calibration_rows']:,}",
                    "test rows": f"{s['test_rows']:,}",
                    **{f"{100 * c:g} %": _pct(v["coverage"][f"{c:g}"]) for c in LEVELS},
                    "mean width at 90 %": _width(v["mean_width"]["0.9"], s["unit"]),
                }
            )
            for kind in ("target", "family"):
                for b in v["bins_at_0.9"][kind]:
                    if variant == "scaled σ":
                        continue
                    bins.append(
                        {
                            "set": name,
                            "intervals": variant,
                            "bin": b["bin"],
                            "rows": f"{b['rows']:,}",
                            "coverage at 90 %": _pct(b["coverage"]),
                            "mean width": ""
                            if b["mean_width"] is None
                            else _width(b["mean_width"], s["unit"]),
                        }
                    )
        v = s["variants"]
        adaptive = next(k for k in v if k.startswith("normalized"))
        row = {
            "set": name,
            "split width": _width(v["split"]["mean_width"]["0.9"], s["unit"]),
            "normalized width": _width(v[adaptive]["mean_width"]["0.9"], s["unit"]),
            "normalized / split": f"{v[adaptive]['mean_width']['0.9'] / v['split']['mean_width']['0.9']:.2f}",
        }
        if "scaled σ" in v:
            at = s["normalized_at_scaled_sigma_coverage"]
            row["scaled σ: coverage, width"] = (
                f"{_pct(v['scaled σ']['coverage']['0.9'])} %, "
                f"{_width(v['scaled σ']['mean_width']['0.9'], s['unit'])}"
            )
            row["normalized at that coverage"] = _width(at["mean_width"], s["unit"])
        else:
            row["scaled σ: coverage, width"] = "no ensemble"
            row["normalized at that coverage"] = ""
        widths.append(row)
    cov_cols = ["set", "intervals", "calibration rows", "test rows"]
    cov_cols += [f"{100 * c:g} %" for c in LEVELS] + ["mean width at 90 %"]
    width_cols = list(widths[0]) if widths else []
    bin_cols = ["set", "intervals", "bin", "rows", "coverage at 90 %", "mean width"]
    return "\n\n".join(
        [
            "Empirical coverage (%) of the test rows at each nominal level:",
            format_table(coverage, cov_cols),
            "Mean width of the 90 % intervals (*normalized at that coverage*: the "
            "normalized intervals at the level scaled σ actually reaches):",
            format_table(widths, width_cols),
            "Coverage of the 90 % intervals by target quartile (edges from the calibration "
            "rows' targets) and by element family:",
            format_table(bins, bin_cols),
        ]
    )


def plot(results: dict) -> None:
    from matplotlib.figure import Figure

    sets = [n for n in SETS if n in results["sets"]]
    fig = Figure(figsize=(4.2 * len(sets), 4.2))
    axes = fig.subplots(1, len(sets), squeeze=False)[0]
    for ax, name in zip(axes, sets, strict=True):
        s = results["sets"][name]
        ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="ideal")
        for variant, v in s["variants"].items():
            curve = np.asarray(v["curve"])
            ax.plot(curve[:, 0], curve[:, 1], marker=".", label=variant)
        ax.set_title(f"{name}\n({s['test_rows']:,} test rows)", fontsize=9)
        ax.set_xlabel("nominal coverage")
        ax.set_ylabel("empirical coverage")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(PLOT, dpi=110)
    print(f"-> {PLOT}")


def write_docs(results: dict, check: bool) -> int:
    text = DOCS.read_text()
    new = replace_section(text, "intervals", tables(results))
    if check:
        if new != text:
            print(f"{DOCS}: the intervals tables are out of date; run {__file__} --report")
            return 1
        return 0
    DOCS.write_text(new)
    print(f"-> {DOCS}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--report", action="store_true", help="plot and docs from the JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if the docs are stale")
    args = parser.parse_args()
    if args.check or args.report:
        results = json.loads(JSON.read_text())
        if args.report:
            plot(results)
        return write_docs(results, check=args.check)
    use_shared_data()
    import torch

    torch.set_num_threads(1)
    results = json.loads(JSON.read_text()) if JSON.is_file() else {"sets": {}}
    for name in args.sets.split(","):
        start = time.perf_counter()
        results["sets"][name] = RUNS[name]()
        results["sets"][name]["command"] = "python benchmarks/intervals.py " + " ".join(
            sys.argv[1:]
        )
        v = results["sets"][name]["variants"]
        print(
            f"{name} ({time.perf_counter() - start:.0f} s): "
            + "; ".join(
                f"{k}: " + ", ".join(f"{c} {100 * x:.1f}" for c, x in v[k]["coverage"].items())
                for k in v
            ),
            flush=True,
        )
        results.update(
            benchmark="intervals",
            command="python benchmarks/intervals.py " + " ".join(sys.argv[1:]),
            machine=machine_info(),
            levels=list(LEVELS),
        )
        write_json(JSON, results)  # after each set
    plot(results)
    return write_docs(results, check=False)


if __name__ == "__main__":
    sys.exit(main())
