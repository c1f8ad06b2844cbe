"""Which OQMD source transfers best to small data: Magpie inputs or element fractions?

    python benchmarks/transfer_sources.py --sources irnet17_large-batchshort_e8_s0,\
irnet17_large-batchshort_irnet-fractions_e8_s0 --sets expt_formation_enthalpy --threads 1
    python benchmarks/transfer_sources.py --pick-by-val --sources UNIT,UNIT,... --members 5

Gupta et al. (2021) pretrained ElemNet on OQMD from the 86 element fractions; skirnet's
shipped models read the 145 Magpie attributes. Here the sources are full-scale units of
``reproduce_paper.py --scale full`` that differ only in their inputs (same network, recipe,
epochs and seed), read from ``benchmarks/cache/models/<unit>``. Each becomes a formula
pipeline (its featurizer preset, the standardisation of the OQMD training rows, the clip,
the network), saved under ``benchmarks/cache/sources/<unit>``, and is fine-tuned exactly as
``transfer.py`` fine-tunes the shipped model (``make_fine_tuning_pipeline`` with
``FINE_TUNE`` of ``_splits.py``, seed 0, early stopping on 10 % of the training rows);
``--members 5`` fine-tunes five seeds and averages them, as ``transfer_ensemble.py``
does, and records each member's test MAE beside the average. ``--pick-by-val`` fine-tunes
only the source with the lowest OQMD *validation* MAE of those named; the JSON records
every candidate's validation MAE and which one was chosen. The test rows choose nothing.
Results: ``benchmarks/results/transfer_sources/<set>[_ensemble<k>].json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from _common import format_table, use_shared_data, write_result
from _full_scale import MODELS, UNITS
from _oqmd_features import CACHE, formula_pipeline, oqmd_split
from _splits import FINE_TUNE, TRANSFER_ANCHORS, transfer_splits
from sklearn.preprocessing import StandardScaler

from skirnet import DeepEnsembleRegressor, load
from skirnet.pipeline import save_pipeline
from skirnet.transfer import make_fine_tuning_pipeline

SOURCES = CACHE / "sources"


def source_pipeline(unit: str) -> Path:
    """Save the unit's network as a formula pipeline (once) and return its folder."""
    folder = SOURCES / unit
    if folder.is_dir():
        return folder
    record = json.loads((UNITS / f"{unit}.json").read_text())
    preset = record.get("features", "irnet")
    X_train, _ = oqmd_split("train", preset=preset)
    if np.isnan(X_train).any():
        raise SystemExit(f"{unit}: the {preset} training features hold NaN")
    # the statistics the unit was trained with (reproduce_paper.load_data: mean, std, clip)
    scaler = StandardScaler().fit(X_train)
    pipe = formula_pipeline(preset, scaler, load(MODELS / unit))
    save_pipeline(
        pipe,
        folder,
        formula_col="formula",
        target_col="target",
        info={"source_unit": unit, "oqmd_test_mae": record["test_mae"]},
        optimizer_state=False,
    )
    return folder


def pick_by_validation(sources: list[str]) -> tuple[list[str], dict]:
    """The source with the lowest OQMD validation MAE, and the record of that choice."""
    val = {unit: json.loads((UNITS / f"{unit}.json").read_text())["val_mae"] for unit in sources}
    chosen = min(val, key=val.get)
    return [chosen], {"rule": "lowest OQMD validation MAE", "candidates": val, "chosen": chosen}


def run(
    sets: list[str], sources: list[str], threads: int, members: int, pick: bool = False
) -> None:
    torch.set_num_threads(threads)
    use_shared_data()
    choice = {"rule": "named on the command line (--sources)", "chosen": sources}
    if pick:
        sources, choice = pick_by_validation(sources)
    for name in sets:
        rows = []
        for unit in sources:
            folder = source_pipeline(unit)
            record = json.loads((UNITS / f"{unit}.json").read_text())
            for f_tr, y_tr, f_te, y_te in transfer_splits(name):
                pipe = make_fine_tuning_pipeline(folder, random_state=0, **FINE_TUNE)
                pipe.set_params(featurize__progress_bar=False, net__verbose=0)
                if members > 1:
                    net = pipe.steps[-1][1]
                    ensemble = DeepEnsembleRegressor(net, n_estimators=members, random_state=0)
                    pipe.steps[-1] = ("net", ensemble)
                start = time.perf_counter()
                pipe.fit(f_tr, y_tr)
                seconds = time.perf_counter() - start
                mae = float(np.mean(np.abs(pipe.predict(f_te) - y_te)))
                member_mae = None
                if members > 1:  # what one seed is worth, beside the average
                    features = pipe[:-1].transform(f_te)
                    member_mae = [
                        float(np.mean(np.abs(m.predict(features) - y_te)))
                        for m in pipe.steps[-1][1].estimators_
                    ]
                rows.append(
                    {
                        "set": name,
                        "source": unit,
                        "features": record.get("features", "irnet"),
                        "source_oqmd_val_mae": record.get("val_mae"),
                        "source_oqmd_test_mae": record["test_mae"],
                        "test_mae": mae,
                        "train_rows": len(y_tr),
                        "test_rows": len(y_te),
                        "members": members,
                        "member_mae": member_mae,
                        "fit_s": round(seconds, 1),
                    }
                )
                print(f"{name}: {unit} -> test MAE {mae:.4f} ({seconds:.0f} s)", flush=True)
        suffix = f"_ensemble{members}" if members > 1 else ""
        write_result(
            f"transfer_sources/{name}{suffix}",
            {
                "benchmark": "transfer_sources",
                "set": name,
                "anchor": TRANSFER_ANCHORS[name],
                "fine_tune": FINE_TUNE,
                "source_choice": choice,
                "threads": threads,
                "command": "python benchmarks/transfer_sources.py " + " ".join(sys.argv[1:]),
                "rows": rows,
            },
        )
        print(format_table(rows, ["source", "features", "source_oqmd_test_mae", "test_mae"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", required=True, help="full-scale units, comma-separated")
    parser.add_argument("--sets", default="expt_formation_enthalpy")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--members", type=int, default=1, help="fine-tuned seeds averaged")
    parser.add_argument(
        "--pick-by-val", action="store_true", help="fine-tune only the lowest-validation source"
    )
    args = parser.parse_args()
    run(
        args.sets.split(","), args.sources.split(","), args.threads, args.members, args.pick_by_val
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
