"""Fine-tuning an ensemble: five fine-tuned nets from different seeds, averaged.

    python benchmarks/transfer_ensemble.py --sets expt_formation_enthalpy --threads 1

benchmarks/transfer.py fine-tunes one net (seed 0). Here the same pipeline ends in
``DeepEnsembleRegressor(net, n_estimators=5, random_state=0)``: every member starts from
the same pretrained weights and differs only in its seed (batch order, the rows held out
for early stopping). The setting is
``FINE_TUNE`` of ``_splits.py``, fixed before the run; the test rows choose nothing. Reported per
set: the ensemble's test MAE, each member's test MAE (the spread is what one seed is
worth on a small test set), and the share of test errors inside ±1σ and ±2σ of the
members' spread. Results: ``benchmarks/results/transfer_ensemble/<set>.json``.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch
from _common import report, use_shared_data
from _splits import FINE_TUNE, TRANSFER_ANCHORS, TRANSFER_SETS, transfer_splits

from skirnet import DeepEnsembleRegressor
from skirnet.transfer import make_fine_tuning_pipeline

MEMBERS = 5


def run_set(name: str) -> dict:
    folds = []
    for f_tr, y_tr, f_te, y_te in transfer_splits(name):
        pipe = make_fine_tuning_pipeline(TRANSFER_SETS[name], random_state=0, **FINE_TUNE)
        pipe.set_params(featurize__progress_bar=False, net__verbose=0)
        net = pipe.steps[-1][1]
        pipe.steps[-1] = ("net", DeepEnsembleRegressor(net, n_estimators=MEMBERS, random_state=0))
        start = time.perf_counter()
        pipe.fit(f_tr, y_tr)
        seconds = time.perf_counter() - start
        mean, std = pipe.predict(f_te, return_std=True)
        error = np.abs(mean - y_te)
        features = pipe[:-1].transform(f_te)
        members = [
            float(np.mean(np.abs(m.predict(features) - y_te)))
            for m in pipe.steps[-1][1].estimators_
        ]
        folds.append(
            {
                "test_mae": float(np.mean(error)),
                "member_mae": members,
                "within_1_sigma": float(np.mean(error <= std)),
                "within_2_sigma": float(np.mean(error <= 2 * std)),
                "train_rows": len(y_tr),
                "test_rows": len(y_te),
                "fit_s": round(seconds, 1),
            }
        )
        print(
            f"{name}: ensemble {folds[-1]['test_mae']:.4f}, members "
            + " ".join(f"{m:.4f}" for m in members)
            + f" ({seconds:.0f} s)",
            flush=True,
        )
    members = [m for f in folds for m in f["member_mae"]]
    return {
        "set": name,
        "ensemble_mae": round(float(np.mean([f["test_mae"] for f in folds])), 4),
        "member_mae_mean": round(float(np.mean(members)), 4),
        "member_mae_range": f"{min(members):.4f}-{max(members):.4f}",
        "within_1_sigma": round(float(np.mean([f["within_1_sigma"] for f in folds])), 3),
        "within_2_sigma": round(float(np.mean([f["within_2_sigma"] for f in folds])), 3),
        "fit_s": round(sum(f["fit_s"] for f in folds)),
        "anchor": TRANSFER_ANCHORS[name],
        "folds": folds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="expt_formation_enthalpy,expt_bandgap_jarvis")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    use_shared_data()
    columns = [
        "set", "ensemble_mae", "member_mae_mean", "member_mae_range",
        "within_1_sigma", "within_2_sigma", "fit_s", "anchor",
    ]  # fmt: skip
    for name in args.sets.split(","):
        report(
            f"transfer_ensemble/{name}", [run_set(name)], columns,
            members=MEMBERS, fine_tune=FINE_TUNE, threads=args.threads,
        )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
