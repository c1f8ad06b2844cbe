"""The shipped models, re-measured: test MAE from the installed files, and prediction speed.

    python benchmarks/pretrained.py                  # every shipped model, all CPU threads
    python benchmarks/pretrained.py --threads 1

For each model of :func:`skirnet.pretrained.list_models`: load it as a user does
(files checked against the card), predict the published test split from formulas and
compare the MAE with the card's; then time ``predict`` on 100,000 formulas (the
validation and test splits, featurization included), best of ``--repeats``. Results:
``benchmarks/results/pretrained_check.json``.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch
from _common import report, use_shared_data

from skirnet import pretrained
from skirnet.datasets import load_composition_dataset

SPEED_ROWS = 100_000


def check(name: str, repeats: int) -> dict:
    card = pretrained.model_card(name)
    start = time.perf_counter()
    model = pretrained.load(name)
    load_s = time.perf_counter() - start
    dataset = card["data"]["dataset"]
    f_test, y_test = load_composition_dataset(dataset, split="test", return_X_y=True)
    test_mae = float(np.mean(np.abs(model.predict(list(f_test)) - np.asarray(y_test))))
    f_val = load_composition_dataset(dataset, split="val", return_X_y=True)[0]
    formulas = (list(f_val) + list(f_test))[:SPEED_ROWS]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(formulas)
        times.append(time.perf_counter() - start)
    return {
        "model": name,
        "test_rows": len(y_test),
        "test_mae": round(test_mae, 5),
        "card_test_mae": round(card["test_mae"], 5),
        "load_s": round(load_s, 2),
        "formulas": len(formulas),
        "predict_s": round(min(times), 2),
        "formulas_per_s": round(len(formulas) / min(times)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    use_shared_data()
    rows = [check(name, args.repeats) for name in pretrained.list_models()]
    report("pretrained_check", rows, list(rows[0]), threads=args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
