"""The paper's depth study: PlainNet, SRNet and IRNet at 10/17/24/48 layers, and a forest.

Usage::

    python benchmarks/reproduce_paper.py --scale small     # 2 CPU cores, < 45 min
    python benchmarks/reproduce_paper.py --scale full      # one GPU, paper scale

Data: OQMD formation enthalpy with the published CrabNet split (train 239,190 / val 51,255
/ test 51,255), 145 Magpie features (``CompositionFeaturizer``, cached in
``benchmarks/cache``), NaN features imputed with the training medians, standardised with
the training statistics and clipped to ±10 standard deviations (as ``skirnet compare`` does:
a feature nearly constant in the training rows can otherwise put a rare test compound 1e5
standard deviations out). Every network stops early on the validation rows and restores its
best epoch; the random forest trains on the same rows. Test MAE is in eV/atom.

``small`` (what a CPU can do): 8,000 training rows and 2,000 validation rows drawn with seed
0 from the published train and val files, test MAE on 10,000 rows drawn from the test
file; Adam, batch 64, lr 5e-4, at most 10 epochs, patience 3. ``full``: every row, the
paper's recipe (Adam, batch 32, lr 1e-4), at most 400 epochs, patience 20; ``--recipe
large-batch`` trains with AdamW, batch 1024, lr 2e-3 and a one-cycle schedule instead.

``--train-rows``, ``--val-rows``, ``--test-rows``, ``--max-epochs`` and ``--patience``
override the scale's settings (for instance, to compare the two recipes on a CPU-sized
subset of the full scale).

``small``: each finished model is appended to the JSON at once, and ``--resume`` skips the
models already there. Prints the table, writes
``benchmarks/results/reproduce_paper_<scale>.json`` and the depth-study plot
``benchmarks/results/depth_study_<scale>.png``.

``full`` (without row overrides) runs independent *units*, one (model, depth, recipe, epochs, seed) each, named by
``--units`` (``irnet17,plain48,random_forest,hgb``; ``--recipe``, ``--max-epochs`` and
``--seed`` complete them). A finished unit writes ``benchmarks/results/full/<unit>.json``
and is skipped on a re-run; a network unit checkpoints every epoch (weights, optimiser,
schedule, early stopping and random state, see :class:`skirnet.callbacks.TrainingCheckpoint`)
under ``benchmarks/cache/checkpoints/<unit>`` and continues from there when run again, to
the same result as an uninterrupted run. ``--time-limit SECONDS`` stops the command cleanly
at the end of the epoch that would otherwise overrun it; ``--threads`` sets torch's (and the
forest's) threads. Beside other work, run long units with one thread and
``OMP_WAIT_POLICY=PASSIVE``. Each network's test MAE is also recorded after every epoch
(for the time-to-forest figure; the test split chooses nothing: early stopping and the
restored epoch follow the validation split). The trained network is saved with
:func:`skirnet.save` under ``benchmarks/cache/models/<unit>``.

Recipe trials vary one thing at a time with ``--lr``, ``--batch-size``, ``--ema-decay``,
``--loss huber`` (with ``--huber-delta``), ``--features`` (``fractions`` or
``irnet+fractions``) or ``--clean-train``; name each with ``--tag``, which joins the recipe
in the unit's name (``irnet17_large-batchshortema_e8_s0``). The trials of 2026-12-02 ran
before the large-batch recipe took ``precision="auto"`` and ``ema_decay=0.995``: add
``--precision fp32 --ema-decay 0`` to repeat them as they ran.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from _common import NET_LABELS, RESULTS, format_table, machine_info, write_json
from _full_scale import run_units
from _oqmd_features import load_data

from skirnet.estimators import NETWORKS

NETS = {name: NETWORKS[name] for name in NET_LABELS}  # PlainNet, SRNet, IRNet

SCALES = {
    "small": {
        "train_rows": 8000,
        "val_rows": 2000,
        "test_rows": 10000,
        "batch_size": 64,
        "lr": 5e-4,
        "max_epochs": 10,
        "patience": 3,
    },
    "full": {
        "train_rows": None,
        "val_rows": None,
        "test_rows": None,
        "batch_size": 32,
        "lr": 1e-4,
        "max_epochs": 400,
        "patience": 20,
    },
}
LARGE_BATCH = {"batch_size": 1024, "lr": 2e-3, "optimizer": "adamw", "lr_schedule": "onecycle"}


def run_net(
    kind: str, depth: int, settings: dict, train, valid, test, seed: int, device: str, verbose: int
) -> dict:
    params = {k: settings[k] for k in ("batch_size", "lr", "max_epochs", "patience")}
    for key in ("optimizer", "lr_schedule", "precision"):
        if key in settings:
            params[key] = settings[key]
    model = NETS[kind](depth=depth, random_state=seed, device=device, verbose=verbose, **params)
    start = time.perf_counter()
    model.fit(*train, validation_data=valid)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    pred = model.predict(test[0])
    predict_s = time.perf_counter() - start
    epoch_s = [row["dur"] for row in model.history_]
    return {
        "net": NET_LABELS[kind],
        "depth": depth,
        "mae": float(np.mean(np.abs(pred - test[1]))),
        "val_mae": float(min(model.history_[:, "valid_loss"])),
        "epochs": model.n_iter_,
        "best_epoch": model.best_epoch_,
        "fit_s": fit_s,
        "predict_s": predict_s,
        "mean_epoch_s": float(np.mean(epoch_s)),
        "skips": model.module_.n_skips,
        "device": model.device_,
    }


def run_forest(train, test, seed: int) -> dict:
    from sklearn.ensemble import RandomForestRegressor

    forest = RandomForestRegressor(n_estimators=100, n_jobs=-1, random_state=seed)
    start = time.perf_counter()
    forest.fit(*train)
    fit_s = time.perf_counter() - start
    pred = forest.predict(test[0])
    return {
        "net": "RandomForest",
        "depth": None,
        "mae": float(np.mean(np.abs(pred - test[1]))),
        "fit_s": fit_s,
    }


def plot(results: list[dict], path: Path, title: str) -> None:
    import pandas as pd
    from matplotlib.figure import Figure

    from skirnet.plotting import plot_depth_study

    nets = pd.DataFrame([r for r in results if r["depth"] is not None])
    forest = [r["mae"] for r in results if r["net"] == "RandomForest"]
    fig = Figure(figsize=(6, 4.5))
    ax = fig.add_subplot()
    plot_depth_study(
        nets[["net", "depth", "mae"]],
        ax=ax,
        baseline=forest[0] if forest else None,
        units="eV/atom",
        title=title,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--recipe", choices=["paper", "large-batch"], default="paper")
    parser.add_argument("--nets", default="plain,srnet,irnet")
    parser.add_argument("--depths", default="10,17,24,48")
    parser.add_argument("--no-forest", action="store_true")
    parser.add_argument("--max-epochs", type=int)
    parser.add_argument("--patience", type=int)
    for split in ("train", "val", "test"):
        parser.add_argument(
            f"--{split}-rows", type=int, help=f"draw this many {split} rows (overrides --scale)"
        )
    parser.add_argument("--precision", choices=["fp32", "bf16"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--tag", default="", help="suffix of the output file names")
    parser.add_argument("--verbose", type=int, default=0)
    parser.add_argument(
        "--units",
        default="random_forest,hgb,irnet17,irnet48,plain48,srnet48",
        help="full scale: the units to run, in order",
    )
    parser.add_argument("--lr", type=float, help="full scale: override the recipe's lr")
    parser.add_argument("--batch-size", type=int, help="full scale: override the batch size")
    parser.add_argument(
        "--ema-decay",
        type=float,
        help="full scale: the weights' moving average (ema_decay); 0 turns it off",
    )
    parser.add_argument(
        "--loss",
        choices=["absolute_error", "huber", "squared_error"],
        help="full scale: the training loss (networks: absolute_error or huber; hgb: "
        "absolute_error or squared_error)",
    )
    parser.add_argument("--huber-delta", type=float, help="full scale: the Huber loss's delta")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--time-limit", type=float, help="seconds; end cleanly before this")
    parser.add_argument(
        "--features",
        choices=["irnet", "fractions", "irnet+fractions"],
        default="irnet",
        help="full scale: the composition featurizer's preset (Magpie, ElemNet's element "
        "fractions, or both); a unit's name records a preset other than irnet",
    )
    parser.add_argument(
        "--clean-train",
        action="store_true",
        help="full scale: clean the training rows as the IRNet reference code does "
        "(-20 < ΔH < 5 eV/atom, within 5 σ, one row per reduced formula); use with --tag",
    )
    args = parser.parse_args(argv)
    subset = any(getattr(args, f"{s}_rows") is not None for s in ("train", "val", "test"))
    if args.scale == "full" and not subset:  # row overrides keep the one-file subset study
        run_units(args, load_data)
        return

    settings = dict(SCALES[args.scale])
    if args.recipe == "large-batch":
        settings.update(LARGE_BATCH)
    for key in ("max_epochs", "patience", "train_rows", "val_rows", "test_rows"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    if args.precision:
        settings["precision"] = args.precision
    name = f"reproduce_paper_{args.scale}{args.tag}"
    out = RESULTS / f"{name}.json"
    results: list[dict] = []
    if args.resume and out.is_file():
        results = json.loads(out.read_text())["results"]
    done = {(r["net"], r["depth"]) for r in results}

    t0 = time.perf_counter()
    train, valid, test = load_data(settings, args.seed)
    print(
        f"train {len(train[0])}, val {len(valid[0])}, test {len(test[0])} rows; "
        f"features ready in {time.perf_counter() - t0:.1f} s; settings {settings}",
        flush=True,
    )

    def record():
        write_json(
            out,
            {
                "benchmark": "reproduce_paper",
                "scale": args.scale,
                "recipe": args.recipe,
                "settings": settings,
                "seed": args.seed,
                "rows": {"train": len(train[0]), "val": len(valid[0]), "test": len(test[0])},
                "command": "python benchmarks/reproduce_paper.py "
                + " ".join(argv if argv is not None else sys.argv[1:]),
                "machine": machine_info(),
                "results": results,
            },
            end="",
        )

    if not args.no_forest and ("RandomForest", None) not in done:
        results.append(run_forest(train, test, args.seed))
        print(f"RandomForest: test MAE {results[-1]['mae']:.4f}", flush=True)
        record()
    for depth in [int(d) for d in args.depths.split(",")]:
        for kind in args.nets.split(","):
            if (NET_LABELS[kind], depth) in done:
                continue
            results.append(
                run_net(
                    kind, depth, settings, train, valid, test, args.seed, args.device, args.verbose
                )
            )
            r = results[-1]
            print(
                f"{r['net']}-{depth}: test MAE {r['mae']:.4f} after {r['epochs']} epochs "
                f"({r['fit_s']:.0f} s)",
                flush=True,
            )
            record()

    columns = ["net", "depth", "mae", "val_mae", "epochs", "best_epoch", "fit_s", "mean_epoch_s"]
    print()
    print(format_table(sorted(results, key=lambda r: (r["depth"] or 0, r["net"])), columns))
    if any(r["depth"] for r in results):
        png = RESULTS / f"depth_study_{args.scale}{args.tag}.png"
        plot(results, png, f"OQMD ΔH, {args.scale} scale: test MAE vs depth")
        print(f"\nwrote {out} and {png}")
    print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
