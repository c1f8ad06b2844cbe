"""Average finished full-scale networks: does an ensemble of our best units beat each one?

    python benchmarks/full_scale_ensemble.py \
        --units irnet48_large-batchema_irnet-fractions_e40_s0,irnet17_large-batchema_irnet-fractions_e40_s0

The members are named on the command line, chosen before their test MAE is looked at (for
instance: every finished unit of one recipe, features and schedule). Each is read from
``benchmarks/cache/models/<unit>`` (where ``reproduce_paper.py --scale full`` saves it) and
predicts the validation and test splits, prepared exactly as for its training (same
features, medians, standardisation and clip); the ensemble is the plain mean of the
members' predictions, with no weights to fit, so the test split chooses nothing. All the
members must have been trained on the same features. Prints the members' and the
ensemble's MAE and writes ``benchmarks/results/full_scale_ensemble.json``.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from _common import report
from _full_scale import MODELS, UNITS
from _oqmd_features import load_data

from skirnet import load


def mae(pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.abs(pred - y)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", required=True, help="comma-separated finished units")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    units = args.units.split(",")
    records = {}
    for unit in units:
        path = UNITS / f"{unit}.json"
        if not path.is_file() or not (MODELS / unit).is_dir():
            raise SystemExit(f"{unit}: not finished (needs {path} and {MODELS / unit})")
        records[unit] = json.loads(path.read_text())
    features = {records[u].get("features", "irnet") for u in units}
    if len(features) != 1:
        raise SystemExit(f"the members were trained on different features: {sorted(features)}")
    rows_spec = {"train_rows": None, "val_rows": None, "test_rows": None}
    _, (X_val, y_val), (X_test, y_test) = load_data(rows_spec, 0, features=features.pop())
    start = time.perf_counter()
    rows, val_preds, test_preds = [], [], []
    for unit in units:
        model = load(MODELS / unit)
        val_preds.append(model.predict(X_val).ravel())
        test_preds.append(model.predict(X_test).ravel())
        rows.append(
            {
                "member": unit,
                "val_mae": round(mae(val_preds[-1], y_val), 5),
                "test_mae": round(mae(test_preds[-1], y_test), 5),
                "recorded_test_mae": round(records[unit]["test_mae"], 5),
            }
        )
    ensemble = {
        "member": f"mean of {len(units)}",
        "val_mae": round(mae(np.mean(val_preds, axis=0), y_val), 5),
        "test_mae": round(mae(np.mean(test_preds, axis=0), y_test), 5),
        "recorded_test_mae": None,
    }
    report(
        "full_scale_ensemble",
        [*rows, ensemble],
        ["member", "val_mae", "test_mae", "recorded_test_mae"],
        units=units,
        train_rows=int(records[units[0]]["train_rows"]),
        val_rows=len(y_val),
        test_rows=len(y_test),
        training_wall_s=round(sum(records[u]["wall_s"] for u in units), 1),
        predict_s=round(time.perf_counter() - start, 1),
        ensemble_test_mae=ensemble["test_mae"],
        ensemble_val_mae=ensemble["val_mae"],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
