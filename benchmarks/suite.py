"""The extended benchmark: skirnet on the 16 sets of CrabNet's benchmark, on their splits.

The protocol is ``benchmarks/PROTOCOL.md`` (fixed before the first unit ran): per set,
IRNet-17 (three seeds below 50,000 training rows), PlainNet-17, IRNet-48, an IRNet
fine-tuned from a shipped OQMD model (below 20,000 training rows), a random forest and
gradient boosting, with the inputs and recipe the package picks for the table's size, early
stopping on the published validation split and the test split scored once per unit.

Usage::

    python benchmarks/suite.py --plan                      # every unit, in run order, done or not
    python benchmarks/suite.py --sets others --threads 1   # the 12 sets outside OQMD
    python benchmarks/suite.py --sets oqmd --units irnet17_s0 --time-limit 7000
    python benchmarks/suite.py --sets mp_bulk_modulus,aflow_egap --units rf_s0,hgb_s0

``--sets`` takes set names, ``all``, ``oqmd`` or ``others``; ``--units`` keeps only the
named units of each set (``irnet17_s0``, ``plain17_s0``, ``irnet48_s0``,
``irnet17ft_s0``, ``rf_s0``, ``hgb_s0``, ...). A unit writes
``benchmarks/results/suite/<set>/<unit>.json`` (and, for sets below 50,000 training rows,
its validation and test predictions as ``<unit>.npz``, which the report needs for the
seed ensemble) and is skipped when run again. A network checkpoints every epoch under
``benchmarks/cache/suite/checkpoints`` and a command stopped by ``--time-limit``, Ctrl-C or
the end of a session continues from its last epoch when run again, with the runner of
``reproduce_paper.py --scale full`` (:mod:`_full_scale`). The sets and the units of the
protocol are in :mod:`_splits`. Run it beside other work with
``OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE`` and ``--threads 1``.

``python benchmarks/suite_report.py`` turns the JSON into the tables of the benchmarks page.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import torch
from _common import machine_info, read_cached_arrays, write_arrays, write_json
from _full_scale import run_forest, run_net
from _splits import (
    SEEDS_BELOW_ROWS,
    SUITE,
    Unit,
    load_split,
    planned_units,
    published_sets,
    training_rows,
)

CACHE = Path(__file__).resolve().parent / "cache" / "suite"


#: The order units run in across sets (not part of the protocol): first what every set's
#: row of the table needs, the deeper and repeated networks last.
PHASES = (
    ("irnet17_s0", "rf_s0", "hgb_s0"),
    ("plain17_s0", "irnet17ft_s0"),
    ("irnet17_s1", "irnet17_s2"),
    ("irnet48_s0",),
)


def features(dataset: str, feature_set: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Raw features and targets of the three splits, computed once and cached."""
    from skirnet.featurizers import featurizer_for

    path = CACHE / "features" / f"{dataset}_{feature_set.replace('+', '-')}.npz"
    splits = ("train", "val", "test")
    cached = read_cached_arrays(path, [f"{k}_{s}" for s in splits for k in "Xy"])
    if cached is not None:
        return {s: (cached[f"X_{s}"], cached[f"y_{s}"]) for s in splits}
    out = {}
    for split in ("train", "val", "test"):
        formulas, y = load_split(dataset, split)
        featurizer = featurizer_for("formula", feature_set).set_params(
            errors="nan", progress_bar=False
        )
        out[split] = (featurizer.fit_transform(formulas), y)
    arrays = {f"{k}_{s}": v for s, pair in out.items() for k, v in zip("Xy", pair, strict=True)}
    write_arrays(path, **arrays)
    return out


def feature_set_of(unit: Unit, n_train: int) -> str:
    """What the package feeds this unit: its source's inputs, else the default for the size."""
    from skirnet.recipes import formula_features_for_rows
    from skirnet.transfer import source_feature_set

    if unit.pretrained:
        return source_feature_set(unit.pretrained)
    return formula_features_for_rows(n_train)


def prepared(unit: Unit, raw: dict, settings) -> tuple[tuple, int]:
    """The three splits as the unit's model sees them, and the count of NaN feature rows.

    Trees take the raw features (NaN included). Networks get NaN imputed with the training
    medians, then the scaler and clip of the package's pipeline (``make_net``): fitted to
    the training rows, or the pretrained source's own frozen scaler.
    """
    from sklearn.impute import SimpleImputer

    from skirnet.pipeline import make_net

    nan_rows = sum(int(np.isnan(X).any(axis=1).sum()) for X, _ in raw.values())
    splits = [raw[s] for s in ("train", "val", "test")]
    if unit.depth is None:
        return tuple(splits), nan_rows
    imputer = SimpleImputer(strategy="median", keep_empty_features=True).fit(splits[0][0])
    prep = make_net(unit.model, unit.depth, settings)[:-1]
    prep.fit(imputer.transform(splits[0][0]))
    out = tuple((prep.transform(imputer.transform(X)).astype(np.float32), y) for X, y in splits)
    return out, nan_rows


def run_unit(unit: Unit, n_train: int, args: argparse.Namespace, time_left: float) -> bool:
    """Run one unit to its JSON; False when the time limit stopped it first."""
    from skirnet.baselines import make_baseline
    from skirnet.pipeline import TrainingSettings
    from skirnet.recipes import recipe_for_rows

    recipe = recipe_for_rows(n_train)
    settings = TrainingSettings(
        recipe, seed=unit.seed, device="cpu", progress=False, pretrained=unit.pretrained
    )
    feature_set = feature_set_of(unit, n_train)
    raw = features(unit.dataset, feature_set)
    data, nan_rows = prepared(unit, raw, settings)
    keep = n_train < SEEDS_BELOW_ROWS
    load_start = os.getloadavg()
    if unit.depth is None:
        baseline = make_baseline("rf" if unit.model == "random_forest" else "hgb", unit.seed)
        if unit.model == "random_forest":  # one thread per unit, as the networks
            baseline.set_params(model__n_jobs=args.threads)
        extra = run_forest(
            unit.model, data, unit.seed, args.threads, estimator=baseline, keep_predictions=keep
        )
    else:
        params = settings.training_params()
        if unit.pretrained:
            params["pretrained"] = unit.pretrained
        extra = run_net(
            f"{unit.dataset}__{unit.name}",
            unit.model,
            unit.depth,
            params,
            data,
            unit.seed,
            time_left,
            checkpoints=CACHE / "checkpoints",
            models=None,
            test_curve=False,
            keep_predictions=keep,
        )
        if extra is None:
            return False
    predictions = extra.pop("_predictions", None)
    folder = args.results / unit.dataset
    if predictions is not None:
        write_arrays(
            folder / f"{unit.name}.npz",
            compressed=True,
            val=predictions["val"].astype(np.float32),
            test=predictions["test"].astype(np.float32),
        )
    (train, valid, test) = data
    record = {
        "benchmark": "suite",
        "dataset": unit.dataset,
        "unit": unit.name,
        "model": unit.model,
        "depth": unit.depth,
        "recipe": recipe if unit.depth is not None else None,
        "features": feature_set,
        "n_features": int(train[0].shape[1]),
        "nan_feature_rows": nan_rows,
        "pretrained": unit.pretrained,
        "seed": unit.seed,
        "train_rows": len(train[1]),
        "val_rows": len(valid[1]),
        "test_rows": len(test[1]),
        "target_unit": published_sets()[unit.dataset]["unit"],
        **extra,
        "threads": args.threads,
        "load_average": {"start": list(load_start), "end": list(os.getloadavg())},
        "command": "python benchmarks/suite.py " + " ".join(sys.argv[1:]),
        "machine": machine_info(),
    }
    path = write_json(folder / f"{unit.name}.json", record, end="")
    print(
        f"{unit.dataset} {unit.name}: test MAE {record['test_mae']:.5g}, val MAE "
        f"{record['val_mae']:.5g} in {record['wall_s']:.0f} s -> {path}",
        flush=True,
    )
    return True


def chosen_sets(text: str) -> list[str]:
    """``all``, ``oqmd``, ``others`` or a comma-separated list, smallest training split first."""
    names = list(published_sets())
    if text == "all":
        chosen = names
    elif text == "oqmd":
        chosen = [n for n in names if n.startswith("oqmd_")]
    elif text == "others":
        chosen = [n for n in names if not n.startswith("oqmd_")]
    else:
        chosen = text.split(",")
        unknown = sorted(set(chosen) - set(names))
        if unknown:
            raise SystemExit(
                f"unknown set(s) {', '.join(unknown)}; choose from {', '.join(names)}"
            )
    sizes = {n: training_rows(n) for n in chosen}
    return sorted(chosen, key=lambda n: (sizes[n], n))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="all", help="set names, all, oqmd or others")
    parser.add_argument("--units", default=None, help="only these units of each set")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=None, help="seconds, then stop")
    parser.add_argument("--plan", action="store_true", help="list the units and stop")
    parser.add_argument(
        "--results", type=Path, default=SUITE, help="folder of the units' JSON (for trial runs)"
    )
    args = parser.parse_args(argv)
    # a runner started in the background ('nohup ... &') inherits SIGINT ignored: restore
    # Python's handler so that Ctrl-C or 'kill -INT' stops it safely at any time
    signal.signal(signal.SIGINT, signal.default_int_handler)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    wanted = None if args.units is None else set(args.units.split(","))
    sets = chosen_sets(args.sets)
    # phase by phase, each phase from the smallest set to the largest
    order = [
        (dataset, unit)
        for phase in PHASES
        for dataset in sets
        for unit in planned_units(dataset, training_rows(dataset))
        if unit.name in phase
    ]
    for dataset, unit in order:
        if wanted is not None and unit.name not in wanted:
            continue
        done = (args.results / dataset / f"{unit.name}.json").is_file()
        if args.plan or done:
            print(f"{dataset} {unit.name}: {'done' if done else 'to run'}", flush=True)
            continue
        left = float("inf")
        if args.time_limit is not None:
            left = args.time_limit - (time.perf_counter() - t0)
            if left <= 0:
                print(f"{dataset} {unit.name}: not started, --time-limit reached")
                continue
        print(f"{dataset} {unit.name}: starting", flush=True)
        try:
            run_unit(unit, training_rows(dataset), args, left)
        except KeyboardInterrupt:  # a network's checkpoint is kept; a forest starts over
            print(f"{dataset} {unit.name}: interrupted, nothing written", flush=True)
            return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
