"""Calibrate the shipped models' prediction intervals and store the calibration with them.

    python benchmarks/calibrate_pretrained.py                 # every shipped model
    python benchmarks/calibrate_pretrained.py oqmd-band-gap --rows 3000

Each model gets a split-conformal calibration (``ConformalRegressor(method="split")``) on
``--rows`` rows of its dataset's published *validation* split, drawn with
``numpy.random.default_rng(0).choice(n_val, rows, replace=False)`` and sorted: rows the
network never trained on (training only watched the validation loss to keep its best
epoch, which makes the residuals a little optimistic; the test split is never read). The
absolute residuals go to ``skirnet/pretrained/<name>/conformal.json`` with the row
indices, the date and this command; the card in ``skirnet/pretrained/cards.json`` gets the
file's SHA-256 and an ``intervals`` summary (method, rows, half-widths at 68/90/95 %).
``skirnet.pretrained.load_conformal(name)`` and ``skirnet predict --interval`` read it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
from _common import use_shared_data, write_json

import skirnet
from skirnet import ConformalRegressor, pretrained
from skirnet.intervals import CALIBRATION_FILE

PRETRAINED = Path(pretrained.__file__).resolve().parent
#: Calibration rows per model: the coverage of 90 % intervals from n rows scatters by
#: about sqrt(0.9 * 0.1 / n), 0.5 percentage points here; the scores cost ~25 bytes a row.
ROWS = 3000
SEED = 0
LEVELS = (0.68, 0.9, 0.95)


def calibrate(name: str, rows: int) -> dict:
    from skirnet.datasets import load_composition_dataset

    card = pretrained.model_card(name)
    dataset = card["data"]["dataset"]
    formulas, y = load_composition_dataset(dataset, split="val", return_X_y=True)
    formulas, y = list(formulas), np.asarray(y, dtype=float)
    if len(y) != card["data"]["val_rows"]:
        raise SystemExit(f"{dataset}: {len(y)} validation rows, the card says {card['data']}")
    index = np.sort(np.random.default_rng(SEED).choice(len(y), rows, replace=False))
    model = pretrained.load(name)
    start = time.perf_counter()
    conformal = ConformalRegressor(model).calibrate([formulas[i] for i in index], y[index])
    seconds = time.perf_counter() - start
    _, lower, upper = conformal.predict_interval(["NaCl"], confidence=list(LEVELS))
    half = {f"{c:g}": float((upper - lower)[0, k] / 2) for k, c in enumerate(LEVELS)}
    command = "python benchmarks/calibrate_pretrained.py " + " ".join(sys.argv[1:])
    payload = {
        "conformal": conformal.to_dict(),
        "rows": rows,
        "source": {
            "dataset": dataset,
            "split": "val",
            "split_rows": len(y),
            "selection": (
                f"numpy.random.default_rng({SEED}).choice({len(y)}, {rows}, replace=False), "
                "sorted: positions in the published validation split"
            ),
            "row_indices": [int(i) for i in index],
        },
        "note": (
            "The validation split was held out from training; training watched its loss "
            f"to keep the best epoch ({card['best_epoch']} of {card['epochs']}), which "
            "makes these residuals slightly optimistic. The test split was not read."
        ),
        "calibration_mae": float(np.mean(conformal.conformity_scores_)),
        "half_width": half,
        "command": command.strip(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "versions": {"skirnet": skirnet.__version__},
    }
    path = PRETRAINED / name / CALIBRATION_FILE
    write_json(path, payload, indent=None)
    cards_path = PRETRAINED / pretrained.CARDS_FILE
    cards = json.loads(cards_path.read_text())
    cards[name]["files"][CALIBRATION_FILE] = hashlib.sha256(path.read_bytes()).hexdigest()
    cards[name]["files"] = dict(sorted(cards[name]["files"].items()))
    cards[name]["intervals"] = {
        "file": CALIBRATION_FILE,
        "method": "split",
        "calibration_rows": rows,
        "calibration_split": "val",
        "half_width": half,
        "command": command.strip(),
    }
    write_json(cards_path, cards)
    print(
        f"{name}: {rows} validation rows in {seconds:.1f} s, MAE "
        f"{payload['calibration_mae']:.4f} {card['unit']}; half-widths "
        + ", ".join(f"{k}: {v:.4f}" for k, v in half.items())
        + f"; {path.stat().st_size:,} bytes"
    )
    return payload


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="default: every shipped model")
    parser.add_argument("--rows", type=int, default=ROWS)
    args = parser.parse_args()
    use_shared_data()
    import torch

    torch.set_num_threads(1)
    for name in args.names or pretrained.list_models():
        calibrate(name, args.rows)
    pretrained._cards.cache_clear()
    return 0


if __name__ == "__main__":
    sys.exit(main())
