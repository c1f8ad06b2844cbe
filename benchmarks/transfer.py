"""Small data: fine-tuning a shipped OQMD model against feature extraction, scratch and a forest.

    python benchmarks/transfer.py                      # all four sets
    python benchmarks/transfer.py --sets expt_formation_enthalpy --threads 1

Four approaches on each set, the same rows for every one:

* ``fine-tuned IRNet`` — ``make_fine_tuning_pipeline(source)``: the shipped model's
  featurizer, frozen standardisation and weights, trained on the new target
  (``FINE_TUNE`` of ``_splits.py``; early stopping on 10 % of the training rows);
* ``activations + RF`` — the source network's hidden layer ``LAYER`` as features for a
  random forest (Gupta et al.'s feature extraction);
* ``IRNet from scratch`` — the same architecture from random weights, the recipe skirnet
  picks for the table's size (``recipe_for_rows``);
* ``random forest`` — 500 trees on the 145 Magpie attributes.

The first two read the source's inputs (its featurizer: Magpie, or Magpie and the element
fractions); scratch and forest read the 145 Magpie attributes, the default for tables of
this size.

Sets: ``jarvis_formation_energy``, ``expt_formation_enthalpy`` and ``expt_bandgap_jarvis``
on their published train/test splits (Gupta et al.'s), ``matbench_expt_gap`` in
Matbench's 5 folds (``KFold(5, shuffle=True, random_state=18012019)``). Formation sets
start from ``oqmd-formation-enthalpy``, band-gap sets from ``oqmd-band-gap``. The test rows
choose nothing. Results: one ``benchmarks/results/transfer/<set>.json`` per set, written
as the set finishes (a rerun skips finished sets), and the summary ``transfer.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch
from _common import RESULTS, format_table, use_shared_data, write_result
from _splits import FINE_TUNE, TRANSFER_ANCHORS, TRANSFER_SETS, transfer_splits
from sklearn.base import clone
from sklearn.ensemble import RandomForestRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skirnet import IRNetRegressor, pretrained
from skirnet.featurizers import CompositionFeaturizer
from skirnet.pipeline import feature_clipper, source_scaler
from skirnet.recipes import recipe_for_rows, recipe_params
from skirnet.transfer import NetworkActivations, make_fine_tuning_pipeline

LAYER = 12  # the last layer of the third stack (128 wide in the formation-enthalpy model)


def _approaches(source: str, n_train: int) -> dict[str, Pipeline]:
    card = pretrained.model_card(source)
    arch = card["architecture"]
    featurizer = CompositionFeaturizer(progress_bar=False)
    fine_tuned = make_fine_tuning_pipeline(source, random_state=0, **FINE_TUNE)
    # the source's inputs (its featurizer's preset) for the approaches that use its network
    source_featurizer = clone(fine_tuned.named_steps["featurize"]).set_params(progress_bar=False)
    return {
        "fine-tuned IRNet": fine_tuned,
        "activations + RF": make_pipeline(
            source_featurizer,
            source_scaler(source),
            feature_clipper(),
            NetworkActivations(source, layer=LAYER),
            RandomForestRegressor(500, n_jobs=-1, random_state=0),
        ),  # fmt: skip
        "IRNet from scratch": make_pipeline(
            featurizer,
            StandardScaler(),
            feature_clipper(),
            IRNetRegressor(
                hidden_layer_sizes=arch, random_state=0, **recipe_params(recipe_for_rows(n_train))
            ),
        ),  # fmt: skip
        "random forest": make_pipeline(
            featurizer, RandomForestRegressor(500, n_jobs=-1, random_state=0)
        ),
    }


def run_set(name: str) -> list[dict]:
    rows = []
    for fold, (f_tr, y_tr, f_te, y_te) in enumerate(transfer_splits(name)):
        for approach, model in _approaches(TRANSFER_SETS[name], len(y_tr)).items():
            start = time.perf_counter()
            model.fit(f_tr, y_tr)
            seconds = time.perf_counter() - start
            mae = float(np.mean(np.abs(model.predict(f_te) - y_te)))
            net = model.steps[-1][1]
            rows.append(
                {
                    "set": name,
                    "fold": fold,
                    "approach": approach,
                    "test_mae": mae,
                    "train_rows": len(y_tr),
                    "test_rows": len(y_te),
                    "fit_s": round(seconds, 1),
                    "epochs": getattr(net, "n_iter_", None),
                }
            )
            print(
                f"{name} fold {fold}: {approach:18s} MAE {mae:.4f} ({seconds:.0f} s)", flush=True
            )
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    table = []
    for name in dict.fromkeys(r["set"] for r in rows):
        line: dict = {"set": name}
        for approach in dict.fromkeys(r["approach"] for r in rows if r["set"] == name):
            maes = [r["test_mae"] for r in rows if r["set"] == name and r["approach"] == approach]
            line[approach] = round(float(np.mean(maes)), 4)
        line["anchor"] = TRANSFER_ANCHORS[name]
        table.append(line)
    return table


def _write_set(name: str, rows: list[dict], threads: int) -> None:
    write_result(
        f"transfer/{name}",
        {
            "benchmark": "transfer",
            "set": name,
            "command": f"python benchmarks/transfer.py --sets {name} --threads {threads}",
            "threads": threads,
            "fine_tune": FINE_TUNE,
            "activation_layer": LAYER,
            "source": TRANSFER_SETS[name],
            "rows": rows,
        },
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default=",".join(TRANSFER_SETS))
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    use_shared_data()
    for name in args.sets.split(","):  # one JSON per set, written as it finishes
        if (RESULTS / "transfer" / f"{name}.json").exists():
            print(f"{name}: done before, skipped", flush=True)
            continue
        _write_set(name, run_set(name), args.threads)
    rows = []
    for name in TRANSFER_SETS:  # the summary of every set measured so far
        path = RESULTS / "transfer" / f"{name}.json"
        if path.exists():
            rows += json.loads(path.read_text())["rows"]
    table = summarise(rows)
    columns = ["set", *dict.fromkeys(r["approach"] for r in rows), "anchor"]
    print(format_table(table, columns))
    path = write_result("transfer", {"benchmark": "transfer", "summary": table})
    print(f"-> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
