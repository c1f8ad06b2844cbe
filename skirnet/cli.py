"""The ``skirnet`` command line: ``demo``, ``compare``, ``train``, ``predict`` and ``screen``.

Run ``skirnet --help`` or ``python -m skirnet --help``. Bad input (a missing file or
column, a non-numeric target, an unknown model name, a damaged model folder, ...) ends with
a one-line message ``skirnet: error: ...`` on stderr and exit status 2; ``--debug`` shows
the traceback. Ctrl-C stops a command at once with one line saying what it interrupted and
exit status 130; nothing half-written is left looking complete.

The command line parses and prints; the library decides: training values come from the
named recipes of :mod:`skirnet.recipes`, the estimators validate their parameters, and
:mod:`skirnet.comparison`, :mod:`skirnet.pipeline` and :mod:`skirnet.screening` do the
work. The options and their help texts are in ``skirnet._cli_parser``.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from skirnet._cli_parser import (
    DEMO_SETTINGS,
    OPTION_OF,
    PROG,
    QUICK_ROWS,
    QUICK_SETTINGS,
    CLIError,
    build_parser,
    parse_depths,
    parse_models,
    single_value,
)
from skirnet._threads import auto_threads
from skirnet.feature_sets import FEATURE_SETS

__all__ = ["build_parser", "main"]

# the ids of dropped rows listed in the line that says so (the others are counted)
DROPPED_IDS_SHOWN = 20


class _Interrupted(BaseException):
    """Ctrl-C, raised by the command's SIGINT handler.

    Not a KeyboardInterrupt: skorch ends training quietly on those (it is how a time
    budget stops a fit), so a real Ctrl-C would only skip to the next model.
    """


# --------------------------------------------------------------------------- helpers

#: What the command is doing, for the message of a Ctrl-C.
_DOING: dict[str, Any] = {}


def _doing(what: str, *details: str, saved: str = "nothing was saved") -> None:
    _DOING.update(what=what, details=list(details), epoch=None, saved=saved)


def _epoch_tracker() -> Any:
    """A skorch callback noting the epoch in progress (for the message of a Ctrl-C)."""
    from skorch.callbacks import Callback

    class EpochTracker(Callback):
        def on_epoch_begin(self, net: Any, **kwargs: Any) -> None:
            _DOING["epoch"] = len(net.history)

    return EpochTracker()


def _on_sigint(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the clean-up finish
    raise _Interrupted


def _interrupted_message() -> str:
    details = _DOING["details"] + ([f"epoch {_DOING['epoch']}"] if _DOING["epoch"] else [])
    where = f" ({', '.join(details)})" if details else ""
    return f"{PROG}: interrupted while {_DOING['what']}{where}; {_DOING['saved']}"


def _settings(args: argparse.Namespace, n_train: int, **fixed: Any) -> Any:
    """The training settings: a recipe (given, else by table size) and the overrides."""
    from skirnet.pipeline import TrainingSettings
    from skirnet.recipes import recipe_for_rows

    values = {k: getattr(args, k, None) for k in ("lr", "batch_size", "patience", "time_budget")}
    values.update(
        recipe=getattr(args, "recipe", None) or recipe_for_rows(n_train),
        max_epochs=getattr(args, "epochs", None),
        hidden_layer_sizes=getattr(args, "hidden_layer_sizes", None),
        seed=args.seed,
        device=args.device,
        verbose=int(args.verbose),
        progress=not args.verbose,
        pretrained=getattr(args, "pretrained", None),
    )
    return TrainingSettings(**{**values, **fixed})


def _check_networks(models: dict[str, Any]) -> None:
    """Let every network validate its parameters now, before any slow work."""
    from sklearn.utils._param_validation import InvalidParameterError

    from skirnet.estimators import ResidualNetRegressor

    for model in models.values():
        net = model.steps[-1][1] if hasattr(model, "steps") else model
        try:
            if isinstance(net, ResidualNetRegressor):
                net._validate_params()
        except InvalidParameterError as exc:
            param = re.match(r"The '(\w+)' parameter", str(exc))
            if param is None:
                raise
            option = OPTION_OF.get(param[1], "--" + param[1].replace("_", "-"))
            raise CLIError(f"{option}: {exc}") from None


#: The readers' keyword arguments named in their messages, and the options that set them.
_OPTION_OF_KEYWORD = {
    "formula_col=": "--formula-col",
    "structure_col=": "--structure-col",
    "target_col=": "--target-col",
}


def _in_options(exc: ValueError) -> CLIError:
    """A reader's error with its keyword arguments named as the options that set them."""
    message = str(exc).replace("pass formula_col= or cif_col=", "pass --formula-col")
    for keyword, option in _OPTION_OF_KEYWORD.items():
        message = message.replace(keyword, option)
    return CLIError(message)


def _read_user_table(args: argparse.Namespace, path: Path | None = None, like: Any = None) -> Any:
    """The user's formulas or structures and target (:class:`skirnet.user_data.UserData`).

    ``path`` reads another split (``--val``, ``--test``) with the same column options; it
    must hold what ``like``, the training table, holds.
    """
    from skirnet.user_data import read_user_data

    path = args.data if path is None else path
    try:
        data = read_user_data(
            path,
            formula_col=args.formula_col,
            structure_col=args.structure_col,
            target_col=args.target_col,
        )
    except ValueError as exc:
        raise _in_options(exc) from None
    if like is not None:
        if data.kind != like.kind:
            raise CLIError(f"{path} holds {data.kind}s but {args.data} holds {like.kind}s")
        if len(data) < 2:
            raise CLIError(f"{path} has only {len(data)} row(s); at least 2 are needed")
        return data
    if len(data) < 10:
        raise CLIError(f"{args.data} has only {len(data)} rows; at least 10 are needed")
    chosen = None if args.features is None else FEATURE_SETS[args.features]
    if chosen is not None and data.kind == "formula" and "formula" not in chosen.inputs:
        raise CLIError(
            f"--features {args.features} needs crystal structures; {args.data} has formulas "
            "(give --structure-col, a JSON file or a folder with id_prop.csv)"
        )
    if chosen is not None and data.kind == "structure" and "structure" not in chosen.inputs:
        possible = [s.name for s in FEATURE_SETS.values() if "structure" in s.inputs]
        raise CLIError(
            f"--features {args.features} is for formulas; {args.data} has crystal structures "
            f"(choose {', '.join(possible[:-1])} or {possible[-1]})"
        )
    return data


def _featurize(
    args: argparse.Namespace, table: Any, features: str | None, progress: bool, least: int
) -> tuple[Any, Any, dict[str, Any] | None]:
    """Featurize one file: its features, its rows kept and, with ``--drop-bad-rows``, a record.

    Without ``--drop-bad-rows`` a row that cannot be featurized stops the command (one
    line naming it). With it, those rows are dropped from the features and the table, a
    line names them, and the record (``file``, ``rows_read``, ``count``, ``rows``: each
    ``row``, ``id``, ``reason``) goes to ``results.json`` or ``pipeline.json``; fewer than
    ``least`` rows left is an error.
    """
    import dataclasses

    import numpy as np

    from skirnet.user_data import featurize_user_data

    if not args.drop_bad_rows:
        return featurize_user_data(table, features, progress=progress)[0], table, None
    X, _, dropped = featurize_user_data(table, features, progress=progress, drop_bad_rows=True)
    record = {
        "file": str(table.source),
        "rows_read": len(table),
        "count": len(dropped),
        "rows": dropped.to_dict("records"),
    }
    if not len(dropped):
        return X, table, record
    ids = dropped["id"].tolist()
    shown = ", ".join(ids[:DROPPED_IDS_SHOWN])
    if len(ids) > DROPPED_IDS_SHOWN:
        shown += f" and {len(ids) - DROPPED_IDS_SHOWN} more"
    sys.stdout.flush()
    print(
        f"{PROG}: dropped {len(ids)} of {len(table)} rows of {table.source} that cannot be "
        f"featurized (ids: {shown})",
        file=sys.stderr,
    )
    keep = np.ones(len(table), dtype=bool)
    keep[dropped["row"].to_numpy(dtype=int)] = False
    if keep.sum() < least:
        raise CLIError(
            f"{table.source}: {keep.sum()} row(s) left after dropping {len(ids)} that cannot "
            f"be featurized; at least {least} are needed"
        )
    table = dataclasses.replace(
        table,
        inputs=[x for x, k in zip(table.inputs, keep, strict=True) if k],
        target=None if table.target is None else table.target[keep],
        ids=table.ids[keep],
    )
    return X, table, record


def _describe_data(data: Any) -> str:
    if data.kind == "formula":
        return f"formula column {data.input_col!r}, target {data.target_col!r}"
    where = f"column {data.input_col!r}" if data.input_col else "a folder"
    return f"crystal structures from {where}, target {data.target_col or 'id_prop.csv'!r}"


def _check_output_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {out} is a file; give a folder (it is created if needed)")


def _note_replacing(path: Path, what: str) -> None:
    if path.exists():
        print(f"{PROG}: replacing existing {what}", file=sys.stderr)


def _print_header(
    title: str, settings: Any, features: str | None = None, option: str = " (--features)"
) -> None:
    import torch

    from skirnet.device import resolve_device

    print(title)
    if features is not None:
        print(f"Inputs: {features} attributes{option}")
    print(
        f"Network settings: {settings.describe()} (training on "
        f"{resolve_device(settings.device)}, {torch.get_num_threads()} CPU thread(s))"
    )


def _compare(
    args: argparse.Namespace,
    models: dict[str, Any],
    X: Any,
    y: Any,
    *,
    verdict: Callable[[Any], str] | None = None,
    **kw: Any,
) -> int:
    """Run, save and print a comparison (``demo``, ``compare``).

    ``verdict``, if given, turns the results table into a sentence printed under it.
    """
    import torch

    from skirnet.comparison import run_comparison

    def on_fit(name: str, fold: int) -> None:
        _doing(f"training {name}", *([f"fold {fold + 1} of {kw['cv']}"] if kw.get("cv") else []))

    info, units = kw["info"], kw["info"].get("unit")
    info["torch_threads"] = torch.get_num_threads()
    _note_replacing(args.out / "results.json", f"results in {args.out}")
    result = run_comparison(models, X, y, on_fit=on_fit, **kw)
    result.info["fit_seconds"] = time.perf_counter() - args.start
    _doing(f"writing the results to {args.out}", saved=f"{args.out} has no results.json")
    files = result.save(args.out, units=units)
    print(f"\n{result.table(units=units)}")
    hit = result.results.get("time_budget_hit")
    if hit is not None and hit.eq(True).any():
        names = ", ".join(dict.fromkeys(result.results.loc[hit.eq(True), "model"]))
        print(
            f"Note: {names} stopped at the time budget (weights of the best validation "
            "epoch kept); more epochs would likely lower the MAE."
        )
    if verdict is not None:
        print(verdict(result.results))
    print()
    for kind, path in files.items():
        print(f"wrote {kind:16s} {path}")
    print(f"total time {time.perf_counter() - args.start:.1f} s")
    return 0


def _demo_verdict(results: Any) -> str:
    """What the demo's table shows, in one sentence, whichever way it came out."""
    mae = results.groupby("model")["mae"].mean()

    def against(other: str, name: str) -> str:
        change = mae["IRNet-17"] / mae[other] - 1
        return f"{abs(change) * 100:.0f} % {'below' if change < 0 else 'above'} {name}"

    shown = mae["IRNet-17"] < min(mae["RF"], mae["PlainNet-17"])
    return (
        f"IRNet-17's test MAE is {against('RF', 'the random forest')} and "
        f"{against('PlainNet-17', 'PlainNet-17 (the same net without skips)')}: "
        + ("the deep residual net leads already on this sample." if shown else "on this "
           "sample the paper's premise does not show; it needs more rows or epochs.")
        + " All 239,190 OQMD training rows: see the benchmarks page of the documentation."
    )  # fmt: skip


# --------------------------------------------------------------------------- commands


def _cmd_demo(args: argparse.Namespace) -> int:
    import pandas as pd

    from skirnet.comparison import build_models
    from skirnet.datasets import load_oqmd_sample
    from skirnet.featurizers import featurizer_for
    from skirnet.recipes import formula_features_for_rows

    _check_output_folder(args.out)
    frame = load_oqmd_sample(as_frame=True).frame
    train, test = frame[frame["split"] == "train"], frame[frame["split"] == "test"]
    if args.quick:
        train = train.sample(QUICK_ROWS[0], random_state=args.seed)
        test = test.sample(QUICK_ROWS[1], random_state=args.seed)
    settings = _settings(args, len(train), **(QUICK_SETTINGS if args.quick else DEMO_SETTINGS))
    features = formula_features_for_rows(len(train))  # as compare would choose for the table
    models = build_models(["irnet", "plain", "rf"], [17], settings, [_epoch_tracker()])
    quick = " -- QUICK mode: subset and 2 epochs, numbers are not meaningful"
    _print_header(
        f"skirnet demo: OQMD formation enthalpy sample (eV/atom), {len(train)} train / "
        f"{len(test)} test rows (the published CrabNet split)" + (quick if args.quick else ""),
        settings,
        features,
        option=" (the default for this many training rows)",
    )
    print(
        f"Target range {frame['target'].min():.1f} to {frame['target'].max():.1f} eV/atom: "
        "a few extreme OQMD entries are kept, and count in every MAE."
    )
    _doing(f"featurizing {len(train) + len(test)} formulas")
    formulas = pd.concat([train["formula"], test["formula"]]).tolist()
    featurizer = featurizer_for("formula", features)
    X = featurizer.set_params(progress_bar=None if settings.progress else False).fit_transform(
        formulas
    )
    info = {"command": "demo", "quick": args.quick, "dataset": "oqmd_sample", "unit": "eV/atom"}
    info.update(n_train=len(train), n_test=len(test), n_features=X.shape[1], features=features)
    y_train, y_test = train["target"].to_numpy(), test["target"].to_numpy()
    X_train, X_test = X[: len(train)], X[len(train) :]
    return _compare(
        args, models, X_train, y_train, X_test=X_test, y_test=y_test, settings=settings,
        info=info, verdict=None if args.quick else _demo_verdict,
    )  # fmt: skip


def _cmd_compare(args: argparse.Namespace) -> int:
    from skirnet.comparison import build_models
    from skirnet.user_data import default_features

    _check_output_folder(args.out)
    names, depths = parse_models(args.models), parse_depths(args.depths)
    data = _read_user_table(args)
    test = None if args.test is None else _read_user_table(args, args.test, like=data)
    val = None if args.val is None else _read_user_table(args, args.val, like=data)
    y = data.target
    n_train = _check_split_rows(args, len(y), test)
    validation = None if val is None else f"{args.val} ({len(val)} rows, --val)"
    settings = _settings(args, n_train, validation=validation)
    features = default_features(data, args.features, n_train, args.pretrained)
    models = build_models(names, depths, settings, [_epoch_tracker()])
    _check_networks(models)
    _print_header(
        f"skirnet compare: {args.data} ({len(y)} rows), {_describe_data(data)}",
        settings,
        features,
    )
    if test is not None:
        print(
            f"Test split: {args.test} ({len(test)} rows, --test); training on all of {args.data}"
        )
    splits = {"train": data, "val": val, "test": test}
    X, dropped = {}, {}
    for role, table in splits.items():
        if table is not None:
            _doing(f"featurizing {len(table)} {table.kind}s of {table.source}")
            least = 10 if role == "train" else 2
            X[role], splits[role], dropped[role] = _featurize(
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
    return _compare(args, models, X["train"], y, settings=settings, info=info, **kw)


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


def _cmd_train(args: argparse.Namespace) -> int:
    import numpy as np

    from skirnet.estimators import NETWORKS
    from skirnet.featurizers import featurizer_for
    from skirnet.pipeline import (
        PIPELINE_FILE,
        fit_featurized,
        make_formula_pipeline,
        save_pipeline,
    )
    from skirnet.user_data import default_features

    _check_output_folder(args.out)
    name = single_value(parse_models(args.model), "--model")
    if name not in NETWORKS:
        raise CLIError(f"--model must be a network ({', '.join(NETWORKS)}), got {args.model!r}")
    depth = single_value(parse_depths(args.depth), "--depth")
    data = _read_user_table(args)
    val = None if args.val is None else _read_user_table(args, args.val, like=data)
    y = data.target
    validation = None if val is None else f"{args.val} ({len(val)} rows, --val)"
    settings = _settings(args, len(y), validation=validation)
    features = default_features(data, args.features, len(y), args.pretrained)
    featurizer = featurizer_for(data.kind, features)
    pipe = make_formula_pipeline(name, depth, settings, [_epoch_tracker()], featurizer)
    _check_networks({name: pipe})
    _print_header(f"skirnet train: {name} on {args.data} ({len(y)} rows)", settings, features)
    _note_replacing(args.out / PIPELINE_FILE, f"model in {args.out}")

    net = pipe.named_steps["net"]
    # featurized once (structures through the cache), for training and its error
    _doing(f"featurizing {len(y)} {data.kind}s")
    X, data, dropped = _featurize(args, data, features, settings.progress, 10)
    y = data.target
    validation, dropped = None, {"train": dropped}
    if val is not None:
        _doing(f"featurizing {len(val)} {val.kind}s of {val.source}")
        X_val, val, dropped["val"] = _featurize(args, val, features, settings.progress, 2)
        validation = (X_val, val.target)
    _doing(f"training {NETWORKS[name].label}-{depth}")
    fit_featurized(pipe, data.inputs, X, y, validation)
    train_mae = float(np.mean(np.abs(pipe[1:].predict(X) - y)))
    calibration = None if validation is None else _calibrate_on_val(args, pipe, validation)
    _doing(f"saving the model to {args.out}", saved=f"{args.out} was left as it was")
    column = "formula_col" if data.kind == "formula" else "structure_col"
    out = save_pipeline(
        pipe, args.out, target_col=data.target_col, settings=settings.as_dict(),
        calibration=calibration, **{column: data.input_col},
        info={"dropped_rows": dropped} if args.drop_bad_rows else None,
    )  # fmt: skip
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


def _stored_calibration(args: argparse.Namespace, folder: Path, pipe: Any) -> Any:
    """The calibration saved with the model, for ``--interval``; a clear error without one."""
    from skirnet.intervals import CALIBRATION_FILE, check_level, load_calibration

    conformal = load_calibration(folder, pipe)
    if conformal is None:
        raise CLIError(
            f"--interval needs a calibration saved with the model, and {args.model} has none "
            f"({CALIBRATION_FILE}): train it with 'skirnet train --val FILE' (held-out rows "
            "it is then calibrated on), or calibrate it with skirnet.ConformalRegressor on "
            f'held-out rows and write {{"conformal": its to_dict()}} to '
            f"{folder / CALIBRATION_FILE}"
        )
    try:
        check_level(conformal.to_dict(), args.interval)
    except ValueError as exc:
        raise CLIError(f"--interval {args.interval:g}: {exc}") from None
    return conformal


def _cmd_predict(args: argparse.Namespace) -> int:
    from skirnet.datasets._tables import read_frame
    from skirnet.pipeline import input_kind, load_pipeline, write_atomically
    from skirnet.pretrained import resolve
    from skirnet.user_data import predict_user_data, read_user_data

    output, path = args.output, Path(args.data)
    if output is not None:
        if output.is_dir():
            raise CLIError(f"--output {output} is a folder; give a CSV file name")
        if not output.parent.is_dir():
            raise CLIError(f"--output {output}: the folder {output.parent} does not exist")
        if output.resolve() == path.resolve():
            raise CLIError(f"--output {output} is the --data file; give another file name")
    if not Path(args.model).exists() and "," in args.model:
        raise CLIError(
            f"--model takes one model (a folder from 'skirnet train' or a pretrained "
            f"model's name), got {args.model}"
        )
    _doing(f"loading the model {args.model}", saved="nothing was written")
    folder = resolve(args.model, must_exist=True)
    pipe, spec = load_pipeline(folder)
    conformal = None if args.interval is None else _stored_calibration(args, folder, pipe)
    model_kind = input_kind(pipe)
    columns = {"formula_col": args.formula_col, "structure_col": args.structure_col}
    saved = spec.get(f"{model_kind}_col")
    if saved and path.is_file() and not any(columns.values()):
        # the training table's input column first, where the new table has it
        if saved in read_frame(path).columns:
            columns[f"{model_kind}_col"] = saved
    try:
        data = read_user_data(path, **columns, target=False)
    except ValueError as exc:
        raise _in_options(exc) from None
    if data.kind != model_kind:
        given = "crystal structures" if data.kind == "structure" else "formulas"
        wanted = (
            "a table with a formula column"
            if model_kind == "formula"
            else "structures (--structure-col, a JSON file or a folder with id_prop.csv)"
        )
        raise CLIError(
            f"the model {args.model} predicts from {model_kind}s but {path} holds {given}: "
            f"give {wanted}"
        )
    _doing(f"predicting {len(data)} {data.kind}s", saved="nothing was written")
    if conformal is None:
        out = predict_user_data(pipe, data)
    else:
        out = predict_user_data(pipe, data, conformal=conformal, confidence=args.interval)
    failed = out["error"].ne("")
    if failed.any():
        row = int(failed.to_numpy().argmax())
        print(
            f"{PROG}: {int(failed.sum())} of {len(out)} row(s) could not be featurized (empty "
            f"prediction, reason in the error column), e.g. row {row}: {out['error'][row]}",
            file=sys.stderr,
        )
    if output is None:
        out.to_csv(sys.stdout, index=False)
        return 0
    _note_replacing(output, str(output))
    _doing(f"writing {output}", saved=f"{output} was left as it was")
    write_atomically(output, lambda tmp: out.to_csv(tmp, index=False))
    print(f"wrote {len(out)} predictions to {output}", file=sys.stderr)
    return 0


def _screen_candidates(args: argparse.Namespace) -> tuple[Any, int | None, str]:
    """The candidates (a path or a generator), their count if known, and a description."""
    from skirnet.screening import count_compositions, generate_compositions

    if (args.data is None) == (args.elements is None):
        raise CLIError("give the candidates either as --data FILE or as --elements A,B,C")
    if args.data is not None:
        if args.max_atoms is not None or args.charge_balanced:
            raise CLIError("--max-atoms and --charge-balanced go with --elements, not --data")
        if args.data.is_dir():
            raise CLIError(f"--data {args.data} is a folder; give a CSV or Parquet file")
        if not args.data.is_file():
            raise CLIError(f"--data {args.data}: no such file")
        return args.data, None, str(args.data)
    if args.max_atoms is None:
        raise CLIError("--elements needs --max-atoms N (atoms per formula unit)")
    elements = [e.strip() for e in args.elements.split(",") if e.strip()]
    total = _grid_size(args, elements)
    options = {"min_elements": args.min_elements, "charge_balanced": args.charge_balanced}
    if args.charge_balanced:
        # counting runs the generator once: cheap next to featurizing and predicting
        total = count_compositions(elements, args.max_atoms, **options)
    if total == 0:
        raise CLIError(_no_composition(args, elements))
    candidates = generate_compositions(elements, args.max_atoms, **options)
    return candidates, total, f"{total:,} compositions of {'-'.join(elements)}"


def _grid_size(args: argparse.Namespace, elements: list[str]) -> int:
    """The compositions of ``--elements`` and ``--max-atoms``, counted before any is made."""
    from skirnet.screening import GridTooLargeError, check_grid_size

    grid = f"--elements {','.join(elements)} --max-atoms {args.max_atoms}"
    try:
        return check_grid_size(elements, args.max_atoms, min_elements=args.min_elements)
    except GridTooLargeError as exc:
        size = f"{exc.count:,}" if exc.exact else f"more than {exc.count:,}"
        before = " before charge balance" if args.charge_balanced else ""
        smaller = (
            f"--max-atoms {exc.max_atoms} or less ({exc.fitting:,} compositions), "
            if exc.max_atoms is not None
            else ""
        )
        raise CLIError(
            f"{grid} gives {size} compositions{before}, more than one screen generates "
            f"({exc.limit:,}): use {smaller}fewer elements, or a file of candidates (--data)"
        ) from None
    except ValueError as exc:
        raise CLIError(f"--elements {args.elements!r}: {exc}") from None


def _no_composition(args: argparse.Namespace, elements: list[str]) -> str:
    """Why ``--elements`` with the other grid options gives nothing to screen."""
    grid = f"--elements {','.join(elements)} with --max-atoms {args.max_atoms}"
    least = args.min_elements
    if least > len(elements):
        why = f"--min-elements {least} asks for more elements than the {len(elements)} given"
    elif least > args.max_atoms:
        why = f"compositions of {least} elements need --max-atoms {least} or more"
    else:
        why = "none balances with common oxidation states (--charge-balanced)"
    return f"{grid} gives no composition to screen: {why}"


def _cmd_screen(args: argparse.Namespace) -> int:
    import torch

    from skirnet.pipeline import input_kind, load_pipeline
    from skirnet.pretrained import resolve
    from skirnet.screening import dask_client, screen

    output = args.output
    if output.is_dir():
        raise CLIError(f"--output {output} is a folder; give a Parquet file name")
    if not output.parent.is_dir():
        raise CLIError(f"--output {output}: the folder {output.parent} does not exist")
    if args.data is not None and output.resolve() == args.data.resolve():
        raise CLIError(f"--output {output} is the --data file; give another file name")
    candidates, total, described = _screen_candidates(args)
    _doing(f"loading the model {args.model}", saved="nothing was written")
    folder = resolve(args.model, must_exist=True)
    pipe, _ = load_pipeline(folder)
    if input_kind(pipe) != "formula":
        raise CLIError(
            f"--model {args.model} predicts from crystal structures; screen ranks "
            "compositions: use 'skirnet predict' for structures"
        )
    interval = {}
    if args.interval is not None:
        interval = {
            "conformal": _stored_calibration(args, folder, pipe),
            "confidence": args.interval,
        }
    _note_replacing(output, str(output))
    _doing(f"screening {described}", saved=f"{output} was left as it was")
    with dask_client(args.dask, args.threads or torch.get_num_threads()) as client:
        try:
            result = screen(
                pipe,
                candidates,
                output,
                formula_col=args.formula_col,
                chunk_size=args.chunk_size,
                top_k=args.top,
                ascending=not args.highest,
                client=client,
                total=total,
                **interval,
            )
        except ValueError as exc:  # of the candidates file, in the words of its options
            raise _in_options(exc) from None
    best = "highest" if args.highest else "lowest"
    print(f"top {len(result.top)} candidates ({best} prediction first):")
    print(result.top.to_string(index=False))
    print(
        f"wrote {result.n_candidates:,} rows to {output} ({result.n_failed:,} without a "
        f"prediction, reason in column 'error') in {result.seconds:.1f} s: "
        f"{result.rate_per_minute:,.0f} candidates per minute",
        file=sys.stderr,
    )
    return 0


_COMMANDS = {
    "demo": _cmd_demo,
    "compare": _cmd_compare,
    "train": _cmd_train,
    "predict": _cmd_predict,
    "screen": _cmd_screen,
}
# ValueError includes sklearn's InvalidParameterError and skirnet.pipeline.PipelineFileError,
# OSError a missing file, IsADirectoryError, PermissionError, a full disk, ...
_EXPECTED = (CLIError, ValueError, KeyError, ImportError, FloatingPointError, OSError, EOFError)


def _one_line(exc: BaseException) -> str:
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    return " ".join(str(text).split()) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``skirnet`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 2 on bad input or without a command (one line on
        stderr), 130 when interrupted by Ctrl-C (one line saying what was interrupted).

    Examples
    --------
    >>> main([])  # doctest: +ELLIPSIS
    usage: skirnet [-h] [--version] COMMAND ...
    ...
    2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        print(f"{PROG}: error: no command given ({', '.join(_COMMANDS)})", file=sys.stderr)
        return 2
    import torch

    args.start, threads = time.perf_counter(), torch.get_num_threads()
    torch.set_num_threads(args.threads or auto_threads())
    handler = signal.getsignal(signal.SIGINT)
    ours = threading.current_thread() is threading.main_thread()
    ours = ours and handler is signal.default_int_handler  # not where Ctrl-C is ignored
    if ours:
        signal.signal(signal.SIGINT, _on_sigint)
    _doing("starting")
    try:
        return _COMMANDS[args.command](args)
    except (_Interrupted, KeyboardInterrupt):
        if getattr(args, "debug", False):
            raise
        sys.stdout.flush()
        print(f"\n{_interrupted_message()}", file=sys.stderr)
        return 130
    except _EXPECTED as exc:
        if getattr(args, "debug", False):
            raise
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    finally:
        if ours:
            signal.signal(signal.SIGINT, handler)
        torch.set_num_threads(threads)  # main() may run in-process (tests, notebooks)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
