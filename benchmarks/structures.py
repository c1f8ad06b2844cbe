"""The paper's structure result: composition, structure and both, for IRNet and a forest.

    python benchmarks/featurize_structures.py          # first: every crystal, cached
    python benchmarks/structures.py                    # then: every unit, all threads
    python benchmarks/structures.py --sets matbench_phonons --threads 1

Inputs: the cached StructureFeaturizer(composition=True) features, split into the 128
Ward et al. (2017) structure attributes, the 145 composition attributes and both (273).
Crystals that could not be featurized are left out (benchmarks/featurize_structures.py
lists them). Models: IRNet (the compact architecture of the shipped models,
512x4-256x4-128x4-64x3-32x1, and the recipe skirnet picks for the number of training
rows) and a 100-tree random forest. Features standardised on the training rows and
clipped to +-10 sd for the net; targets standardised on the training rows for the net.

* ``mp_2018`` (formation energy, eV/atom): one seeded 80/10/10 split (seed 0), the same for
  every model and recorded in the JSON (ids of the validation and test rows); the net
  stops early on the validation rows, the forest trains on the training rows only.
* ``matbench_phonons`` (last phonon DOS peak, cm^-1): Matbench's
  ``KFold(5, shuffle=True, random_state=18012019)``; the net stops early on 10 % of each
  training fold (seed 0).

Each (set, features, model, fold) unit writes ``benchmarks/results/structures/<unit>.json``
as it finishes and is skipped on a rerun; the summary is ``structures.json`` and the plot
``structures.png``. Test rows choose nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch
from _common import RESULTS, format_table, use_shared_data, write_result
from _splits import MATBENCH_CV
from _structure_features import featurize_set
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skirnet import IRNetRegressor
from skirnet.recipes import recipe_for_rows, recipe_params

SETS = ("mp_2018", "matbench_phonons")
FEATURES = {"structure": slice(0, 128), "composition": slice(128, 273), "both": slice(0, 273)}
MODELS = ("irnet", "random_forest")
ARCHITECTURE = "512x4-256x4-128x4-64x3-32x1"
UNITS = RESULTS / "structures"


def _folds(name: str, ids: np.ndarray):
    """(fold, train, val, test) index arrays."""
    idx = np.arange(len(ids))
    if name == "mp_2018":
        train, rest = train_test_split(idx, test_size=0.2, random_state=0)
        val, test = train_test_split(rest, test_size=0.5, random_state=0)
        yield 0, np.sort(train), np.sort(val), np.sort(test)
        return
    for fold, (train, test) in enumerate(MATBENCH_CV.split(idx)):
        train, val = train_test_split(train, test_size=0.1, random_state=0)
        yield fold, np.sort(train), np.sort(val), test


def _fit_irnet(X_tr, y_tr, X_val, y_val, threads: int):
    scaler = StandardScaler().fit(X_tr)

    def prep(X):
        return np.clip(scaler.transform(X), -10, 10).astype(np.float32)

    mean, std = float(y_tr.mean()), float(y_tr.std())
    params = recipe_params(recipe_for_rows(len(y_tr)))
    net = IRNetRegressor(hidden_layer_sizes=ARCHITECTURE, random_state=0, **params)
    net.fit(prep(X_tr), (y_tr - mean) / std, validation_data=(prep(X_val), (y_val - mean) / std))

    def predict(X):
        return net.predict(prep(X)) * std + mean

    extra = {"recipe": recipe_for_rows(len(y_tr)), "epochs": int(net.n_iter_)}
    return predict, extra


def _fit_forest(X_tr, y_tr, threads: int):
    forest = RandomForestRegressor(100, n_jobs=threads, random_state=0).fit(X_tr, y_tr)
    return forest.predict, {}


def run_unit(name, features, model, fold, X, y, ids, split, threads) -> dict:
    path = UNITS / f"{name}_{features}_{model}_fold{fold}.json"
    if path.exists():
        return json.loads(path.read_text())
    train, val, test = split
    cols = FEATURES[features]
    X = X[:, cols]
    start = time.perf_counter()
    if model == "irnet":
        predict, extra = _fit_irnet(X[train], y[train], X[val], y[val], threads)
    else:
        predict, extra = _fit_forest(X[train], y[train], threads)
    seconds = time.perf_counter() - start
    mae = float(np.mean(np.abs(predict(X[test]) - y[test])))
    row = {
        "set": name,
        "features": features,
        "n_features": X.shape[1],
        "model": model,
        "fold": fold,
        "test_mae": mae,
        "train_rows": len(train),
        "val_rows": len(val) if model == "irnet" else 0,
        "test_rows": len(test),
        "fit_s": round(seconds, 1),
        "threads": threads,
        **extra,
    }
    if name == "mp_2018":
        row["split"] = {
            "method": "train_test_split(test_size=0.2, random_state=0), then the rest 50/50 "
            "(random_state=0)",
            "val_ids": [str(i) for i in ids[val]],
            "test_ids": [str(i) for i in ids[test]],
        }
    write_result(
        f"structures/{path.stem}",
        {
            "benchmark": "structures",
            "command": "python benchmarks/structures.py " + " ".join(sys.argv[1:]),
            **row,
        },
    )
    print(f"{name} fold {fold}: {model:13s} on {features:11s} MAE {mae:.4f} ({seconds:.0f} s)")
    return row


def summarise() -> list[dict]:
    rows = [json.loads(p.read_text()) for p in sorted(UNITS.glob("*.json"))]
    table = []
    for name in SETS:
        for model in MODELS:
            line: dict = {"set": name, "model": model}
            for features in FEATURES:
                maes = [
                    r["test_mae"]
                    for r in rows
                    if (r["set"], r["model"], r["features"]) == (name, model, features)
                ]
                line[features] = round(float(np.mean(maes)), 4) if maes else None
                line[f"{features}_folds"] = len(maes)
            if line["both"] and line["composition"]:
                line["both/composition"] = round(line["both"] / line["composition"], 3)
            table.append(line)
    return table


def plot(table: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(SETS), figsize=(10, 3.8))
    for ax, name in zip(axes, SETS, strict=True):
        for k, model in enumerate(MODELS):
            line = next(r for r in table if (r["set"], r["model"]) == (name, model))
            values = [line[f] or np.nan for f in FEATURES]
            ax.bar(np.arange(3) + 0.38 * k, values, width=0.38, label=model.replace("_", " "))
        ax.set_xticks(np.arange(3) + 0.19, list(FEATURES))
        ax.set_title(name)
        ax.set_ylabel("test MAE (eV/atom)" if name == "mp_2018" else "test MAE (cm$^{-1}$)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "structures.png", dpi=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--features", default=",".join(FEATURES))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    use_shared_data()
    for name in args.sets.split(","):
        X, failures, y, _, _ = featurize_set(name, jobs=-1, progress=False)
        ids = np.asarray(X.index)
        usable = ~np.isnan(X.to_numpy()).any(axis=1) & np.isfinite(y)
        print(f"{name}: {usable.sum()} of {len(X)} crystals usable ({len(failures)} failed)")
        X, y, ids = X.to_numpy()[usable], np.asarray(y, float)[usable], ids[usable]
        for fold, train, val, test in _folds(name, ids):
            for features in args.features.split(","):
                for model in args.models.split(","):
                    run_unit(
                        name, features, model, fold, X, y, ids, (train, val, test), args.threads
                    )
    table = summarise()
    print(format_table(table, ["set", "model", *FEATURES, "both/composition"]))
    path = write_result("structures", {"benchmark": "structures", "summary": table})
    plot(table)
    print(f"-> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
