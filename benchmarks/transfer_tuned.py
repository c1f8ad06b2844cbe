"""Fine-tuning with its settings chosen by cross-validation on the training rows only.

    python benchmarks/transfer_tuned.py --sets expt_formation_enthalpy

benchmarks/transfer.py fine-tunes with one fixed setting (``FINE_TUNE``). Here
``GridSearchCV`` (5 shuffled folds of the training rows, seed 0, MAE) picks among four
settings — learning rate 1e-3 for 60 epochs or 3e-4 for 120, each with the whole network
trained or its first 8 hidden layers frozen — the best is refitted on all training rows,
and only then is the published test split predicted, once. Results:
``benchmarks/results/transfer_tuned/<set>.json``.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from _common import report, use_shared_data
from sklearn.model_selection import GridSearchCV, KFold
from transfer import ANCHORS, FINE_TUNE, SETS, _splits

from skirnet.transfer import make_fine_tuning_pipeline

GRID = [
    {"net__lr": [1e-3], "net__max_epochs": [60], "net__freeze_layers": [0, 8]},
    {"net__lr": [3e-4], "net__max_epochs": [120], "net__freeze_layers": [0, 8]},
]


def run_set(name: str, jobs: int) -> dict:
    ((f_tr, y_tr, f_te, y_te),) = list(_splits(name))  # published train/test split
    base = {k: v for k, v in FINE_TUNE.items() if k not in ("lr", "max_epochs", "patience")}
    pipe = make_fine_tuning_pipeline(SETS[name], random_state=0, patience=200, **base)
    pipe.set_params(featurize__progress_bar=False, net__verbose=0)
    search = GridSearchCV(
        pipe, GRID, cv=KFold(5, shuffle=True, random_state=0),
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
        "anchor": ANCHORS[name],
        "cv": cv,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="expt_formation_enthalpy,expt_bandgap_jarvis")
    parser.add_argument("--jobs", type=int, default=2, help="fits in parallel (processes)")
    args = parser.parse_args()
    use_shared_data()
    for name in args.sets.split(","):
        row = run_set(name, args.jobs)
        columns = ["set", "test_mae", "chosen", "cv_mae_chosen", "search_s", "anchor"]
        report(f"transfer_tuned/{name}", [row], columns, grid=str(GRID))
    return 0


if __name__ == "__main__":
    sys.exit(main())
