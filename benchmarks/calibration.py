"""How well a deep ensemble's σ describes its errors, before and after recalibration.

    python benchmarks/calibration.py --threads 1

A ``DeepEnsembleRegressor`` of 5 IRNets (the architecture of the shipped
``oqmd-formation-enthalpy`` model, large-batch recipe, 20 epochs each) on two sets:

* OQMD formation enthalpy: 40,000 training rows drawn with seed 0 from the published
  train file; σ recalibrated on 10,000 rows of the published validation file; measured on
  all 51,255 test rows (outliers kept);
* ``mp_bulk_modulus`` (Materials Project bulk modulus, GPa): its published train / val /
  test files, all rows.

For each: test MAE, the fraction of errors within ±1σ and ±2σ (0.683 and 0.954 when
calibrated), the miscalibration area and the rank correlation of |error| with σ, with the
raw σ and with σ scaled on the validation rows. Writes
``benchmarks/results/calibration.json`` and ``calibration.png``.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch
from _common import RESULTS, format_table, machine_info, use_shared_data, write_result
from matplotlib.figure import Figure
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skirnet import DeepEnsembleRegressor, IRNetRegressor
from skirnet.ensemble import calibration_summary
from skirnet.featurizers import CompositionFeaturizer
from skirnet.pipeline import feature_clipper
from skirnet.plotting import plot_calibration
from skirnet.recipes import recipe_params

ARCHITECTURE = "512x4-256x4-128x4-64x3-32x1"
SETS = {
    "oqmd_formation_enthalpy": {"train_rows": 40_000, "val_rows": 10_000, "unit": "eV/atom"},
    "mp_bulk_modulus": {"train_rows": None, "val_rows": None, "unit": "GPa"},
}


def _split(name: str, split: str, rows: int | None):
    from skirnet.datasets import load_composition_dataset

    formulas, y = load_composition_dataset(name, split=split, return_X_y=True)
    formulas, y = np.asarray(list(formulas), dtype=object), np.asarray(y, dtype=float)
    if rows is not None and rows < len(y):
        keep = np.random.RandomState(0).choice(len(y), rows, replace=False)
        formulas, y = formulas[keep], y[keep]
    return list(formulas), y


def run_set(name: str, spec: dict, members: int, epochs: int) -> tuple[dict, tuple]:
    f_tr, y_tr = _split(name, "train", spec["train_rows"])
    f_va, y_va = _split(name, "val", spec["val_rows"])
    f_te, y_te = _split(name, "test", None)
    featurizer = CompositionFeaturizer(progress_bar=False).fit(f_tr)
    X_tr, X_va, X_te = (featurizer.transform(f) for f in (f_tr, f_va, f_te))
    params = {**recipe_params("large-batch"), "max_epochs": epochs, "patience": epochs}
    if len(y_tr) < 20_000:  # a batch of 1024 leaves too few steps on a small table
        params["batch_size"] = 128
    member = make_pipeline(
        StandardScaler(),
        feature_clipper(),
        IRNetRegressor(hidden_layer_sizes=ARCHITECTURE, device="cpu", **params),
    )
    ensemble = DeepEnsembleRegressor(member, n_estimators=members, random_state=0)
    start = time.perf_counter()
    ensemble.fit(X_tr, y_tr)
    fit_s = time.perf_counter() - start
    mean, raw_std = ensemble.predict(X_te, return_std=True)
    raw = calibration_summary(y_te, mean, raw_std)
    ensemble.calibrate(X_va, y_va)
    _, scaled_std = ensemble.predict(X_te, return_std=True)
    scaled = calibration_summary(y_te, mean, scaled_std)
    member_maes = [float(np.mean(np.abs(m.predict(X_te) - y_te))) for m in ensemble.estimators_]
    record = {
        "set": name,
        "unit": spec["unit"],
        "train_rows": len(y_tr),
        "val_rows": len(y_va),
        "test_rows": len(y_te),
        "members": members,
        "epochs": epochs,
        "fit_s": round(fit_s, 1),
        "test_mae": float(np.mean(np.abs(mean - y_te))),
        "member_test_mae": member_maes,
        "std_scale": float(ensemble.std_scale_),
        "raw": raw,
        "recalibrated": scaled,
    }
    return record, (y_te, mean, raw_std, scaled_std)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    use_shared_data()
    records, curves = [], {}
    for name, spec in SETS.items():
        record, curve = run_set(name, spec, args.members, args.epochs)
        records.append(record)
        curves[name] = curve
        print(f"{name}: ensemble test MAE {record['test_mae']:.4f} {spec['unit']}", flush=True)
    rows = [
        {
            "set": r["set"],
            "sigma": which,
            "test MAE": round(r["test_mae"], 4),
            "within 1σ": round(r[which]["within_1sigma"], 3),
            "within 2σ": round(r[which]["within_2sigma"], 3),
            "miscal. area": round(r[which]["miscalibration_area"], 3),
            "Spearman |err|~σ": round(r[which]["spearman_abs_error_std"], 3),
        }
        for r in records
        for which in ("raw", "recalibrated")
    ]
    print(format_table(rows, list(rows[0])))
    figure = Figure(figsize=(9, 4.2), layout="constrained")
    for ax, (name, (y, mean, raw_std, scaled_std)) in zip(
        figure.subplots(1, len(curves)), curves.items(), strict=True
    ):
        plot_calibration(y, mean, raw_std, label="raw σ", ax=ax, title=name)
        plot_calibration(y, mean, scaled_std, label="σ scaled on validation rows", ax=ax)
    figure.savefig(RESULTS / "calibration.png", dpi=110)
    path = write_result(
        "calibration",
        {
            "benchmark": "calibration",
            "command": "python benchmarks/calibration.py " + " ".join(sys.argv[1:]),
            "threads": args.threads,
            "architecture": ARCHITECTURE,
            "machine": machine_info(),
            "table": rows,
            "sets": records,
        },
    )
    print(f"-> {path} and {RESULTS / 'calibration.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
