"""``skirnet compare``: networks and classical baselines on identical splits of a table."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from skirnet._baseline_names import BASELINE_NAMES
from skirnet._network_kinds import NETWORK_KINDS
from skirnet.cli._common import (
    CLIError,
    check_networks,
    check_output_folder,
    features_origin,
    print_header,
    training_settings,
)
from skirnet.cli._comparison import run_and_report
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
    fold_count,
    fraction,
    out_folder,
    parse_depths,
    parse_models,
)
from skirnet.cli._user_table import featurize, read_user_table

__all__ = ["NAME", "register", "run"]

NAME = "compare"
SUMMARY = "compare networks and classical baselines on your own table"
DESCRIPTION = (
    "Featurize a table of formulas (or crystal structures), fit the chosen models "
    "on identical splits and write results.csv, parity.png, learning_curves.png (and "
    "depth_study.png for several depths) and, last, results.json into --out. " + RECIPE_NOTE
)
DEFAULT_MODELS = "irnet,plain,rf"
MODELS: Options = {
    "--models": {
        "help": f"comma-separated: {', '.join(kind.name for kind in NETWORK_KINDS.values())} "
        f"and any baseline of skirnet.baselines ({', '.join(BASELINE_NAMES)}); default: "
        f"{DEFAULT_MODELS} (with --pretrained: its network and rf)",
    },
    "--depths": {
        "default": "17",
        "help": "comma-separated network depths from 10, 17, 24, 48 (default: 17)",
    },
}
#: How the rows are scored: one at a time (a shuffled split, folds or a test file).
SPLIT: Options = {
    "--test-size": {
        "type": fraction,
        "default": 0.2,
        "help": "test fraction of one shuffled split (default: 0.2)",
    },
    "--cv": {
        "type": fold_count,
        "metavar": "K",
        "help": "K-fold cross-validation instead of one split",
    },
    "--test": {
        "type": Path,
        "metavar": "FILE",
        "help": "a published test split (a file with the columns of --data): every model "
        "trains on all of --data and is scored on it; nothing is shuffled across files",
    },
}
VALIDATION: Options = {
    "--val": {
        "type": Path,
        "metavar": "FILE",
        "help": "a published validation split (a file with the columns of --data): the "
        "networks early-stop on it instead of a random 10%% of their training rows; the "
        "other models never see it",
    },
    "--drop-bad-rows": {
        "action": "store_true",
        "help": "drop the rows that cannot be featurized (a structure that cannot be "
        "read or tessellated, a formula that cannot be parsed) from --data, --val and --test "
        "instead of stopping at the first: one line per file gives their number and ids, "
        "and results.json records each (info.dropped_rows: row, id, reason); a file none "
        "of whose rows can be featurized is still an error",
    },
}


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``skirnet compare``, its options and its handler to the command line.

    Parameters
    ----------
    commands : argparse._SubParsersAction
        The subparsers of the ``skirnet`` parser.
    """
    parser = commands.add_parser(NAME, help=SUMMARY, description=DESCRIPTION)
    add_options(parser, {**DATA, **TARGET_COL, **MODELS})
    add_options(parser.add_mutually_exclusive_group(), SPLIT)
    add_options(parser, {**VALIDATION, **FEATURES, **out_folder(NAME), **TRAINING, **COMMON})
    parser.set_defaults(handler=run)


def _models(models: str | None, pretrained: str | None) -> list[str]:
    """The models to compare: ``--models``, else the default; with ``--pretrained`` the
    default is the pretrained model's kind of network and the forest (a network of
    another kind cannot start from it: ``build_models`` refuses one named)."""
    from skirnet.estimators import NETWORKS
    from skirnet.transfer import source_network

    names = parse_models(models or DEFAULT_MODELS)
    if pretrained is None or models is not None:
        return names
    try:
        source = source_network(pretrained)
    except FileNotFoundError as exc:
        raise CLIError(str(exc)) from None
    return [source, *(n for n in names if n not in NETWORKS)]


def run(args: argparse.Namespace) -> int:
    """Run ``skirnet compare`` with the parsed options.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options and the command's start time (``start``).

    Returns
    -------
    int
        The exit status, 0.
    """
    from skirnet.comparison import build_models
    from skirnet.user_data import default_features

    check_output_folder(args.out)
    names = _models(args.models, args.pretrained)
    depths = parse_depths(args.depths)
    data = read_user_table(args)
    test = None if args.test is None else read_user_table(args, args.test, like=data)
    val = None if args.val is None else read_user_table(args, args.val, like=data)
    y = data.target
    n_train = _check_split_rows(args, len(y), test)
    validation = None if val is None else f"{args.val} ({len(val)} rows, --val)"
    settings = training_settings(args, n_train, validation=validation)
    features = default_features(data, args.features, n_train, args.pretrained)
    models = build_models(names, depths, settings, [epoch_tracker()])
    check_networks(models)
    print_header(
        f"skirnet compare: {args.data} ({len(y)} rows), {_describe_data(data)}",
        settings,
        features,
        features_origin(args),
    )
    if test is not None:
        print(
            f"Test split: {args.test} ({len(test)} rows, --test); training on all of {args.data}"
        )
    splits = {"train": data, "val": val, "test": test}
    X, dropped = {}, {}
    for role, table in splits.items():
        if table is not None:
            doing(f"featurizing {len(table)} {table.kind}s of {table.source}")
            least = 10 if role == "train" else 2
            X[role], splits[role], dropped[role] = featurize(
                args, table, features, settings.progress, least
            )
    data, val, test = splits["train"], splits["val"], splits["test"]
    y = data.target
    if args.drop_bad_rows:
        _check_split_rows(args, len(y), test)
    info = {"command": "compare", "data": str(args.data), "input": data.kind}
    info.update(input_col=data.input_col, target_col=data.target_col)
    info.update(n_rows=len(y), n_features=X["train"].shape[1], cv=args.cv)
    info["test_size"] = None if args.cv or test is not None else args.test_size
    info["files"] = _split_files(args, data, val, test)
    if args.drop_bad_rows:
        info["dropped_rows"] = dropped
    kw: dict[str, Any] = {"cv": args.cv, "test_size": args.test_size}
    if test is not None:
        kw.update(X_test=X["test"], y_test=test.target)
    if val is not None:
        kw.update(X_val=X["val"], y_val=val.target)
    return run_and_report(args, models, X["train"], y, settings=settings, info=info, **kw)


def _describe_data(data: Any) -> str:
    """The columns read, for the title line."""
    if data.kind == "formula":
        return f"formula column {data.input_col!r}, target {data.target_col!r}"
    where = f"column {data.input_col!r}" if data.input_col else "a folder"
    return f"crystal structures from {where}, target {data.target_col or 'id_prop.csv'!r}"


def _check_split_rows(args: argparse.Namespace, n_rows: int, test: Any) -> int:
    """The training rows of a comparison; an error where ``n_rows`` are too few to split."""
    if test is not None:
        n_test = len(test)
    elif args.cv is None:
        n_test = args.test_size * n_rows
    else:
        n_test = n_rows / args.cv
    if args.cv is not None and args.cv > n_rows:
        raise CLIError(f"--cv {args.cv} needs at least {args.cv} rows; {args.data} has {n_rows}")
    if test is None and (n_test < 1 or n_rows - n_test < 3):
        raise CLIError(f"{args.data} has {n_rows} rows: too few for that test split")
    return n_rows if test is not None else round(n_rows - n_test)


def _split_files(args: argparse.Namespace, data: Any, val: Any, test: Any) -> dict[str, Any]:
    """Which file each part of a comparison came from, for ``results.json``."""
    if test is not None:
        scored = f"{args.test} (--test, all {len(test)} rows)"
    elif args.cv:
        scored = f"{args.data}: each of {args.cv} shuffled folds in turn"
    else:
        scored = f"{args.data}: a shuffled {args.test_size:g} of its rows"
    return {
        "train": str(args.data),
        "val": None if val is None else str(args.val),
        "test": None if test is None else str(args.test),
        "networks_early_stop_on": (
            f"{args.val} (--val, {len(val)} rows)"
            if val is not None
            else "a random 10% of each network's training rows"
        ),
        "scored_on": scored,
    }
