"""Fine-tuning with its settings chosen by cross-validation on the training rows only.

    python benchmarks/transfer_tuned.py --sets expt_formation_enthalpy
    python benchmarks/transfer_tuned.py --sets expt_formation_enthalpy --grid holdout

benchmarks/transfer.py fine-tunes with one fixed setting (``FINE_TUNE``). Here
``GridSearchCV`` (5 shuffled folds of the training rows, seed 0, MAE) picks among the
settings of a grid, the best is refitted on all training rows, and only then is the
published test split predicted, once. Grids:

* ``settings`` (default): learning rate 1e-3 for 60 epochs or 3e-4 for 120, each with
  the whole network trained or its first 8 hidden layers frozen;
* ``holdout``: the fixed setting with 10 % of the training rows held out to choose the
  best epoch, or with every row trained on and the last epoch kept (the one-cycle
  schedule anneals to zero at the end).

Results: ``benchmarks/results/transfer_tuned/<set>.json`` (``<set>_<grid>.json`` for a
grid other than ``settings``).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from _common import report, use_shared_data
from _splits import FINE_TUNE, TRANSFER_ANCHORS, TRANSFER_SETS, transfer_splits
from sklearn.model_selection import GridSearchCV, KFold

from skirnet.transfer import make_fine_tuning_pipeline

GRIDS = {
    "settings": [
        {"net__lr": [1e-3], "net__max_epochs": [60], "net__freeze_layers": [0, 8]},
        {"net__lr": [3e-4], "net__max_epochs": [120], "net__freeze_layers": [0, 8]},
    ],
    "holdout": [
        {"net__lr": [1e-3], "net__max_epochs": [60], "net__validation_fraction": [0.1, 0.0]}
    ],
}


def run_set(name: str, jobs: int, grid: str = "settings") -> dict:
    ((f_tr, y_tr, f_te, y_te),) = list(transfer_splits(name))  # published train/test split
    base = {k: v for k, v in FINE_TUNE.items() if k not in ("lr", "max_epochs", "patience")}
    pipe = make_fine_tuning_pipeline(TRANSFER_SETS[name], random_state=0, patience=200, **base)
    pipe.set_params(featurize__progress_bar=False, net__verbose=0)
    search = GridSearchCV(
        pipe, GRIDS[grid], cv=KFold(5, shuffle=True, random_state=0),
        scoring="neg_mean_absolute_error", n_jobs=jobs,
    )  # fmt: skip
    start = time.perf_counter()
    search.fit(f_tr, y_tr)
    seconds = time.perf_counter() - start
    mae = float(np.mean(np.abs(search.predict(f_te) - y_te)))
    cv = [
        {"params": {k.removeprefix("net__"): v for k, v in p.items()}, "cv_mae": float(-s)}
        for p, s in zip(
            search.cv_results_["params"], search.cv_results_["mean_test_score"], strict=True
        )
    ]
    print(f"{name}: chose {search.best_params_}, test MAE {mae:.4f} ({seconds:.0f} s)")
    return {
        "set": name,
        "test_mae": round(mae, 4),
        "chosen": {k.removeprefix("net__"): v for k, v in search.best_params_.items()},
        "cv_mae_chosen": round(-search.best_score_, 4),
        "train_rows": len(y_tr),
        "test_rows": len(y_te),
        "search_s": round(seconds),
        "anchor": TRANSFER_ANCHORS[name],
        "cv": cv,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="expt_formation_enthalpy,expt_bandgap_jarvis")
    parser.add_argument("--jobs", type=int, default=2, help="fits in parallel (processes)")
    parser.add_argument("--grid", choices=sorted(GRIDS), default="settings")
    args = parser.parse_args()
    use_shared_data()
    suffix = "" if args.grid == "settings" else f"_{args.grid}"
    for name in args.sets.split(","):
        row = run_set(name, args.jobs, args.grid)
        columns = ["set", "test_mae", "chosen", "cv_mae_chosen", "search_s", "anchor"]
        report(f"transfer_tuned/{name}{suffix}", [row], columns, grid=str(GRIDS[args.grid]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
