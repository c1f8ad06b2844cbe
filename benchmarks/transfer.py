"""Small data: fine-tuning a shipped OQMD model against feature extraction, scratch and a forest.

    python benchmarks/transfer.py                      # all four sets
    python benchmarks/transfer.py --sets expt_formation_enthalpy --threads 1

Four approaches on each set, the same rows for every one:

* ``fine-tuned IRNet`` — ``make_fine_tuning_pipeline(source)``: the shipped model's
  featurizer, frozen standardisation and weights, trained on the new target
  (``FINE_TUNE`` below; early stopping on 10 % of the training rows);
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
from sklearn.base import clone
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skirnet import IRNetRegressor, pretrained
from skirnet.featurizers import CompositionFeaturizer
from skirnet.pipeline import feature_clipper
from skirnet.recipes import recipe_for_rows, recipe_params
from skirnet.transfer import NetworkActivations, make_fine_tuning_pipeline, source_scaler

SETS = {
    "jarvis_formation_energy": "oqmd-formation-enthalpy",
    "expt_formation_enthalpy": "oqmd-formation-enthalpy",
    "expt_bandgap_jarvis": "oqmd-band-gap",
    "matbench_expt_gap": "oqmd-band-gap",
}
#: Published results (MAE) to compare with: Gupta et al. 2021's transfer learning on their
#: splits, and Matbench's leaderboard for expt_gap.
ANCHORS = {
    "jarvis_formation_energy": "Gupta et al. transfer 0.125",
    "expt_formation_enthalpy": "Gupta et al. transfer 0.0708",
    "expt_bandgap_jarvis": "Gupta et al. transfer 0.3551",
    "matbench_expt_gap": "MODNet 0.3327; best 0.2865",
}
FINE_TUNE = {
    "optimizer": "adamw",
    "lr": 1e-3,
    "batch_size": 64,
    "lr_schedule": "onecycle",
    "max_epochs": 60,
    "patience": 60,
}
LAYER = 12  # the last layer of the third stack (128 wide in the formation-enthalpy model)
MATBENCH_CV = KFold(5, shuffle=True, random_state=18012019)


def _splits(name: str):
    """(train formulas, train y, test formulas, test y) for each split of the set."""
    from skirnet.datasets import load_composition_dataset

    if name.startswith("matbench_"):
        formulas, y = load_composition_dataset(name, split=None, return_X_y=True)
        formulas, y = np.asarray(list(formulas), dtype=object), np.asarray(y, dtype=float)
        for train, test in MATBENCH_CV.split(formulas):
            yield list(formulas[train]), y[train], list(formulas[test]), y[test]
        return
    f_tr, y_tr = load_composition_dataset(name, split="train", return_X_y=True)
    f_te, y_te = load_composition_dataset(name, split="test", return_X_y=True)
    yield list(f_tr), np.asarray(y_tr, float), list(f_te), np.asarray(y_te, float)


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
    for fold, (f_tr, y_tr, f_te, y_te) in enumerate(_splits(name)):
        for approach, model in _approaches(SETS[name], len(y_tr)).items():
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
        line["anchor"] = ANCHORS[name]
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
            "source": SETS[name],
            "rows": rows,
        },
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default=",".join(SETS))
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
    for name in SETS:  # the summary of every set measured so far
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
