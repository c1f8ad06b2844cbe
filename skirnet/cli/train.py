"""``skirnet train``: one network behind its featurizer, trained on a table and saved."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from skirnet._network_kinds import NETWORK_KINDS
from skirnet.cli._common import (
    CLIError,
    check_networks,
    check_output_folder,
    features_origin,
    note_replacing,
    print_header,
    training_settings,
)
from skirnet.cli._interrupts import doing, epoch_tracker
from skirnet.cli._options import (
    COMMON,
    DATA,
    FEATURES,
    RECIPE_NOTE,
    TARGET_COL,
    TRAINING,
    Options,
    add_options,
    parse_depths,
    parse_models,
)
from skirnet.cli._user_table import featurize, read_user_table
from skirnet.pretrained import list_models
from skirnet.recipes import LARGE_TABLE_ROWS, SMALL_TABLE_SOURCE

__all__ = ["NAME", "register", "run"]

NAME = "train"
SUMMARY = "train one network on your table and save it (pickle-free)"
DESCRIPTION = (
    "Train Pipeline(featurizer, StandardScaler, clip to +-10, network) on a table "
    "of formulas (or crystal structures) and save it into --out: the network with "
    "skirnet.save (safetensors + JSON) in OUT/net, then the featurizer parameters, scaler "
    "statistics, settings and thread count in OUT/pipeline.json. " + RECIPE_NOTE
)
_NAMES = [kind.name for kind in NETWORK_KINDS.values()]
# "irnet (default), srnet or plain": every network of the registry, the first the default
_NETWORK_CHOICES = f"{_NAMES[0]} (default), {', '.join(_NAMES[1:-1])} or {_NAMES[-1]}"
NETWORK: Options = {
    "--model": {"default": _NAMES[0], "help": _NETWORK_CHOICES},
    # no default value: a depth the user chose means a network trained from scratch
    "--depth": {
        "help": "10, 17 (default), 24 or 48; giving one trains from scratch, without the "
        "default --pretrained"
    },
}
PRETRAINED: Options = {
    "--pretrained": {
        **TRAINING["--pretrained"],
        "help": "fine-tune the network from a trained model: a pretrained model's name "
        f"({', '.join(list_models())}) or a folder from 'skirnet train'; its architecture, "
        "standardisation and weights are the start (--depth/--hidden-layer-sizes do not "
        f"apply); 'none' trains from scratch. Default: {SMALL_TABLE_SOURCE} for an IRNet "
        f"on a table of formulas with fewer than {LARGE_TABLE_ROWS:,} rows (unless "
        "--depth, --hidden-layer-sizes or other --features are given), else none",
    },
}
VALIDATION: Options = {
    "--val": {
        "type": Path,
        "metavar": "FILE",
        "help": "a published validation split (a file with the columns of --data): the "
        "network early-stops on it instead of a random 10%% of the training rows, and a "
        "split-conformal calibration on its rows is saved with the model (conformal.json) "
        "for predict/screen --interval",
    },
    "--drop-bad-rows": {
        "action": "store_true",
        "help": "drop the rows that cannot be featurized (a structure that "
        "cannot be read or tessellated, a formula that cannot be parsed) from --data and "
        "--val instead of stopping at the first: one line per file gives their number and "
        "ids, and pipeline.json records each (info.dropped_rows: row, id, reason); a file "
        "none of whose rows can be featurized is still an error",
    },
}
OUT: Options = {
    "--out": {
        "type": Path,
        "required": True,
        "help": "folder to save the model in; a model already there is replaced once the "
        "new one is complete",
    },
}


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``skirnet train``, its options and its handler to the command line.

    Parameters
    ----------
    commands : argparse._SubParsersAction
        The subparsers of the ``skirnet`` parser.
    """
    parser = commands.add_parser(NAME, help=SUMMARY, description=DESCRIPTION)
    options = {**DATA, **TARGET_COL, **NETWORK, **VALIDATION, **FEATURES, **OUT}
    add_options(parser, {**options, **TRAINING, **PRETRAINED, **COMMON})
    parser.set_defaults(handler=run)


def _single_value(values: list[Any], option: str) -> Any:
    """The one value of ``option``; an error naming ``compare`` for several."""
    if len(values) > 1:
        raise CLIError(
            f"{option} takes one value, got {len(values)} ({', '.join(map(str, values))}); "
            f"'skirnet compare {option}s' compares several"
        )
    return values[0]


def run(args: argparse.Namespace) -> int:
    """Run ``skirnet train`` with the parsed options.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options and the command's start time (``start``).

    Returns
    -------
    int
        The exit status, 0.
    """
    import numpy as np

    from skirnet.estimators import NETWORKS
    from skirnet.featurizers import featurizer_for
    from skirnet.pipeline import (
        PIPELINE_FILE,
        fit_featurized,
        make_formula_pipeline,
        save_pipeline,
    )
    from skirnet.user_data import default_features, default_pretrained

    check_output_folder(args.out)
    name = _single_value(parse_models(args.model), "--model")
    if name not in NETWORKS:
        raise CLIError(f"--model must be a network ({', '.join(NETWORKS)}), got {args.model!r}")
    depth = _single_value(parse_depths(args.depth or "17"), "--depth")
    data = read_user_table(args)
    val = None if args.val is None else read_user_table(args, args.val, like=data)
    y = data.target
    chosen_source = args.pretrained is None
    if chosen_source:
        own_architecture = args.depth is not None or args.hidden_layer_sizes is not None
        args.pretrained = default_pretrained(data, len(y), name, args.features, own_architecture)
    elif args.pretrained == "none":
        args.pretrained = None
    validation = None if val is None else f"{args.val} ({len(val)} rows, --val)"
    settings = training_settings(args, len(y), validation=validation)
    features = default_features(data, args.features, len(y), args.pretrained)
    featurizer = featurizer_for(data.kind, features)
    pipe = make_formula_pipeline(name, depth, settings, [epoch_tracker()], featurizer)
    check_networks({name: pipe})
    print_header(
        f"skirnet train: {name} on {args.data} ({len(y)} rows)",
        settings,
        features,
        features_origin(args),
    )
    if chosen_source and args.pretrained is not None:
        print(
            f"Fine-tuning the shipped model {args.pretrained}: the default for a table of "
            f"formulas with fewer than {LARGE_TABLE_ROWS:,} rows (--pretrained none trains "
            "from scratch)"
        )
    note_replacing(args.out / PIPELINE_FILE, f"model in {args.out}")

    net = pipe.named_steps["net"]
    # featurized once (structures through the cache), for training and its error
    doing(f"featurizing {len(y)} {data.kind}s")
    X, data, dropped = featurize(args, data, features, settings.progress, 10)
    y = data.target
    validation, dropped = None, {"train": dropped}
    if val is not None:
        doing(f"featurizing {len(val)} {val.kind}s of {val.source}")
        X_val, val, dropped["val"] = featurize(args, val, features, settings.progress, 2)
        validation = (X_val, val.target)
    doing(f"training {NETWORKS[name].label}-{depth}")
    fit_featurized(pipe, data.inputs, X, y, validation)
    train_mae = float(np.mean(np.abs(pipe[1:].predict(X) - y)))
    calibration = None if validation is None else _calibrate_on_val(args, pipe, validation)
    doing(f"saving the model to {args.out}", saved=f"{args.out} was left as it was")
    column = "formula_col" if data.kind == "formula" else "structure_col"
    out = save_pipeline(
        pipe,
        args.out,
        target_col=data.target_col,
        settings=settings.as_dict(),
        calibration=calibration,
        **{column: data.input_col},
        info={"dropped_rows": dropped} if args.drop_bad_rows else None,
    )
    print(
        f"trained {type(net).__name__} (depth {sum(n for _, n in net.architecture_) + 1}) "
        f"for {net.n_iter_} epochs (best validation epoch {net.best_epoch_}); training-set "
        f"MAE {train_mae:.4f}"
    )
    if calibration is not None:
        half = calibration["half_width_0.9"]
        width = (
            "too few rows for 90%" if half is None else f"90% intervals: prediction +-{half:.4g}"
        )
        print(
            f"stored a split-conformal calibration on the {calibration['rows']} --val rows "
            f"({width}; slightly optimistic, as these rows also chose the epoch kept) for "
            "predict/screen --interval"
        )
    print(f"saved to {out} in {time.perf_counter() - args.start:.1f} s")
    return 0


def _calibrate_on_val(args: argparse.Namespace, pipe: Any, validation: Any) -> dict[str, Any]:
    """A split-conformal calibration of the trained pipeline on the ``--val`` rows."""
    from skirnet.intervals import ConformalRegressor

    X_val, y_val = validation
    conformal = ConformalRegressor(pipe[1:]).calibrate(X_val, y_val)
    half = None
    if len(y_val) >= 9:  # the fewest rows that give a finite 90% bound
        _, lower, upper = conformal.predict_interval(X_val[:1], confidence=0.9)
        half = float((upper - lower)[0] / 2)
    return {
        "conformal": conformal.to_dict(),
        "rows": len(y_val),
        "source": {"file": str(args.val), "split": "--val"},
        "note": (
            "split conformal on the --val rows, which the network early-stopped on (they "
            "chose the epoch kept): the intervals may be slightly too narrow"
        ),
        "half_width_0.9": half,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
