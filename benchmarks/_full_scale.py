"""Full-scale OQMD units for ``reproduce_paper.py --scale full``: resumable, one JSON each.

A unit is one (model, depth, recipe, max_epochs, seed). See ``reproduce_paper.py``'s
docstring for the command line.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _common import RESULTS, machine_info, write_json
from _oqmd_features import CACHE
from skorch.callbacks import Callback

from skirnet import save
from skirnet.callbacks import TimeBudget, TrainingCheckpoint
from skirnet.device import bf16_autocast_applies
from skirnet.estimators import NETWORKS
from skirnet.recipes import recipe_params

UNITS = RESULTS / "full"
CHECKPOINTS = CACHE / "checkpoints"
MODELS = CACHE / "models"
NETS = NETWORKS
FORESTS = ("random_forest", "hgb")


class EpochMAE(Callback):
    """Record the MAE on a split after every epoch, as ``{key}`` in the history.

    For reporting only: the test MAE chooses nothing, and the validation MAE is recorded
    where the training loss (Huber) is not the MAE that early stopping sees.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, key: str = "test_mae") -> None:
        self.X, self.y, self.key = np.asarray(X, dtype=np.float32), y, key
        #: the estimator whose net this is: its target scale turns the net's standardised
        #: outputs back into the target's units (set by :func:`run_net`)
        self.owner: Any = None

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:  # noqa: D102
        with torch.random.fork_rng(devices=[]):  # prediction must not move the batch order
            pred = net.predict(self.X).ravel()
        if self.owner is not None:
            pred = pred * self.owner.target_scale_[0] + self.owner.target_mean_[0]
        net.history.record(self.key, float(np.mean(np.abs(pred - self.y))))


def parse_unit(text: str) -> tuple[str, int | None]:
    """``"irnet17"`` → ``("irnet", 17)``; ``"random_forest"`` → ``("random_forest", None)``."""
    if text in FORESTS:
        return text, None
    match = re.fullmatch(r"(irnet|srnet|plain)(\d+)", text)
    if not match:
        raise SystemExit(
            f"unknown unit {text!r}: use irnet|srnet|plain followed by a depth, "
            f"or one of {', '.join(FORESTS)}"
        )
    return match[1], int(match[2])


def unit_name(model: str, depth: int | None, settings: dict, seed: int) -> str:
    features = settings.get("features", "irnet")
    inputs = "" if features == "irnet" else "_" + features.replace("+", "-")
    if depth is None:
        return f"{model}{settings.get('forest_tag', '')}{inputs}_s{seed}"
    return f"{model}{depth}_{settings['recipe_tag']}{inputs}_e{settings['max_epochs']}_s{seed}"


def _record(
    name: str, model: str, depth: int | None, settings: dict, data, seed: int, extra: dict
) -> dict:
    train, valid, test = data
    return {
        "benchmark": "reproduce_paper",
        "scale": "full",
        "unit": name,
        "model": model,
        "depth": depth,
        "recipe": settings["recipe_tag"] if depth is not None else None,
        "seed": seed,
        "train_rows": len(train[0]),
        "val_rows": len(valid[0]),
        "test_rows": len(test[0]),
        "command": "python benchmarks/reproduce_paper.py " + " ".join(sys.argv[1:]),
        "machine": machine_info(),
        **extra,
    }


def run_forest(
    model: str,
    data,
    seed: int,
    threads: int,
    loss: str | None = None,
    estimator: Any = None,
    keep_predictions: bool = False,
) -> dict:
    """Fit a forest (or ``estimator``, any regressor) on the training split and score it.

    The validation split is scored, never trained on. ``keep_predictions`` adds the
    validation and test predictions under ``"_predictions"`` (for the caller to store).
    """
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor

    train, valid, test = data
    if estimator is not None:
        est = estimator
    elif model == "random_forest":
        est = RandomForestRegressor(n_estimators=100, n_jobs=threads, random_state=seed)
    else:
        # by default the absolute error, as the networks are trained and every model is
        # scored (unit hgbl2_s0 has the squared error: OQMD's outliers dominate its
        # validation loss and end it early). Early stopping (on its own 10 % of the training
        # rows) decides when to end.
        est = HistGradientBoostingRegressor(
            loss=loss or "absolute_error",
            max_iter=20000,
            learning_rate=0.1,
            max_leaf_nodes=127,
            early_stopping=True,
            random_state=seed,
        )
    start = time.perf_counter()
    est.fit(*train)
    wall = time.perf_counter() - start
    pred = est.predict(test[0])
    pred_val = est.predict(valid[0])
    final = est.steps[-1][1] if hasattr(est, "steps") else est
    record = {
        "test_mae": float(np.mean(np.abs(pred - test[1]))),
        "val_mae": float(np.mean(np.abs(pred_val - valid[1]))),
        "wall_s": wall,
        "epochs": None,
        "best_epoch": None,
        "params": {k: v for k, v in est.get_params().items() if _jsonable(v)},
        "iterations": getattr(final, "n_iter_", None),
    }
    if keep_predictions:
        record["_predictions"] = {"val": pred_val, "test": pred}
    return record


def clean_training_rows(y: np.ndarray) -> np.ndarray:
    """Mask of the training rows the IRNet reference code keeps; the test split is untouched.

    The reference code keeps -20 < ΔH < 5 eV/atom, drops targets more than 5 standard
    deviations from the mean, and keeps one row per reduced formula. Which row it keeps of a
    repeated composition is not stated; we keep the lowest ΔH (the ground state), which is
    what a formation-enthalpy model of a composition should predict.
    """
    import pandas as pd
    from _common import use_shared_data
    from pymatgen.core import Composition

    from skirnet.datasets import load_composition_dataset

    use_shared_data()
    formulas, target = load_composition_dataset(
        "oqmd_formation_enthalpy", split="train", return_X_y=True
    )
    if not np.allclose(np.asarray(target, dtype=np.float64), y):
        raise RuntimeError("cached features are out of step with the training file")
    keep = (y > -20) & (y < 5)
    keep &= np.abs(y - y[keep].mean()) <= 5 * y[keep].std()
    reduced = pd.Series([Composition(f).reduced_formula for f in formulas], dtype=object)
    frame = pd.DataFrame({"reduced": reduced, "y": y, "keep": keep})
    first = frame[frame["keep"]].sort_values("y", kind="stable").drop_duplicates("reduced")
    mask = np.zeros(len(y), dtype=bool)
    mask[first.index.to_numpy()] = True
    return mask


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def run_net(
    name: str,
    kind: str,
    depth: int,
    params: dict,
    data,
    seed: int,
    time_left: float,
    *,
    checkpoints: Path = CHECKPOINTS,
    models: Path | None = MODELS,
    test_curve: bool = True,
    keep_predictions: bool = False,
) -> dict | None:
    """Train (or resume) one network unit; None when the time limit stopped it.

    A Ctrl-C raises KeyboardInterrupt once the fit has stopped, scoring nothing and
    keeping the checkpoint (the estimator itself would return with the weights it had).

    ``params`` are the estimator's constructor parameters (a recipe and its overrides);
    the network checkpoints under ``checkpoints/<name>`` every epoch and is saved under
    ``models/<name>`` when done (``models=None``: not saved). ``test_curve`` records the
    test MAE after every epoch (for reporting only; it chooses nothing).
    ``keep_predictions`` adds the validation and test predictions under
    ``"_predictions"``.
    """
    train, valid, test = data
    budget = TimeBudget(time_left)
    checkpoint = TrainingCheckpoint(checkpoints / name)
    l1 = params.get("loss", "absolute_error") == "absolute_error"
    # the validation MAE is the validation loss (times the target's scale), unless the
    # loss is another
    scores = ([EpochMAE(*test)] if test_curve else []) + (
        [] if l1 else [EpochMAE(*valid, key="val_mae")]
    )
    model = NETS[kind](
        depth=depth,
        random_state=seed,
        device="cpu",
        callbacks=[*scores, checkpoint, budget],
        **params,
    )
    for score in scores:
        score.owner = model
    start = time.perf_counter()
    model.fit(*train, validation_data=valid)
    this_run = time.perf_counter() - start
    if budget.exhausted_:
        print(
            f"{name}: stopped by --time-limit after epoch {model.n_iter_} "
            f"of {model.max_epochs}; run the command again to continue",
            flush=True,
        )
        return None
    if model.interrupted_:
        # a Ctrl-C (or SIGINT) ends the estimator's fit quietly with the weights it has:
        # that is not this unit's result. Nothing is scored or written, the checkpoint of
        # the last complete epoch stays, and the command stops: run it again to continue.
        print(
            f"{name}: interrupted after epoch {model.n_iter_} of {model.max_epochs}; "
            "nothing scored, the checkpoint is kept: run the command again to continue",
            flush=True,
        )
        raise KeyboardInterrupt
    pred = model.predict(test[0])
    pred_val = model.predict(valid[0])
    history = model.history_
    durations = np.cumsum([row["dur"] for row in history])
    # the net trains on the standardised target: its losses in the target's units
    scale = float(model.target_scale_[0])
    curve = [
        {
            "epoch": row["epoch"],
            "wall_s": float(t),
            "val_mae": row["valid_loss"] * scale if l1 else row["val_mae"],
            "train_mae": row["train_loss"] * scale if l1 else None,
            "test_mae": row.get("test_mae"),
        }
        for row, t in zip(history, durations, strict=True)
    ]
    model.set_params(callbacks=None)
    if models is not None:
        save(model, models / name)
    shutil.rmtree(checkpoints / name, ignore_errors=True)
    record = {
        "test_mae": float(np.mean(np.abs(pred - test[1]))),
        # of the weights kept (the best validation epoch's)
        "val_mae": float(np.mean(np.abs(pred_val - valid[1]))),
        "best_epoch": model.best_epoch_,
        "epochs": model.n_iter_,
        "wall_s": float(durations[-1]),
        "resumed_from_epoch": checkpoint.resumed_epochs_,
        "this_run_s": this_run,
        "mean_epoch_s": float(np.mean([row["dur"] for row in history])),
        "parameters": int(sum(p.numel() for p in model.module_.parameters())),
        "precision_effective": (
            "bf16"
            if params.get("precision") in ("bf16", "auto") and bf16_autocast_applies("cpu")
            else "fp32"
        ),
        "params": {k: v for k, v in model.get_params().items() if _jsonable(v)},
        "target_scale": scale,
        # with pretrained: whether fine-tuning kept the source's output layer
        "output_kept": getattr(model, "output_kept_", None),
        "curve": curve,
    }
    if keep_predictions:
        record["_predictions"] = {"val": pred_val, "test": pred}
    return record


def run_units(args, load_data) -> None:
    """Run the units named by ``--units`` that have no result yet."""
    t0 = time.perf_counter()
    torch.set_num_threads(args.threads)
    settings = recipe_params(args.recipe)
    settings["recipe_tag"] = args.recipe + (args.tag or "")
    settings["forest_tag"] = args.tag or ""
    for key in ("max_epochs", "patience"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    if args.max_epochs is not None and args.patience is None and args.recipe != "paper":
        settings["patience"] = args.max_epochs
    for key in ("lr", "batch_size", "ema_decay", "loss", "huber_delta"):
        if getattr(args, key, None) is not None:
            settings[key] = getattr(args, key)
    if settings.get("ema_decay") == 0:  # --ema-decay 0: no average (the recipe's has one)
        settings["ema_decay"] = None
    if args.precision:
        settings["precision"] = args.precision
    settings["features"] = args.features
    data = None
    for text in args.units.split(","):
        model, depth = parse_unit(text)
        name = unit_name(model, depth, settings, args.seed)
        if (UNITS / f"{name}.json").is_file():
            print(f"{name}: done (benchmarks/results/full/{name}.json)", flush=True)
            continue
        left = args.time_limit - (time.perf_counter() - t0) if args.time_limit else float("inf")
        if left <= 0:
            print(f"{name}: not started, --time-limit reached", flush=True)
            continue
        if data is None:
            rows = {"train_rows": None, "val_rows": None, "test_rows": None}
            data = load_data(rows, 0, features=args.features)
            if args.clean_train:
                (X_tr, y_tr), valid, test = data
                mask = clean_training_rows(y_tr)
                print(f"--clean-train keeps {mask.sum()} of {len(mask)} training rows")
                data = ((X_tr[mask], y_tr[mask]), valid, test)
        print(f"{name}: starting ({left:.0f} s left)", flush=True)
        if depth is None:
            extra = run_forest(model, data, args.seed, args.threads, loss=args.loss)
        else:
            params = {
                k: v
                for k, v in settings.items()
                if k not in ("recipe_tag", "forest_tag", "features")
            }
            extra = run_net(name, model, depth, params, data, args.seed, left)
            if extra is None:
                continue
        extra["threads"] = args.threads
        extra["clean_train"] = bool(args.clean_train)
        extra["features"] = args.features
        extra["n_features"] = int(data[0][0].shape[1])
        record = _record(name, model, depth, settings, data, args.seed, extra)
        path = write_json(UNITS / f"{name}.json", record, end="")
        print(
            f"{name}: test MAE {extra['test_mae']:.4f} in {extra['wall_s']:.0f} s -> {path}",
            flush=True,
        )
