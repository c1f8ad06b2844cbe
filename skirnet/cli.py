"""The ``skirnet`` command line: ``demo``, ``compare``, ``train`` and ``predict``.

Run ``skirnet --help`` or ``python -m skirnet --help``. Bad input (a missing file or
column, a non-numeric target, an unknown model name, ...) ends with a one-line message
``skirnet: error: ...`` on stderr and exit status 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from skirnet._version import __version__

__all__ = ["build_parser", "main"]

PROG = "skirnet"

#: Settings of ``skirnet demo``: they let IRNet-17 and PlainNet-17 each train for a
#: couple of minutes at most on a 2-core CPU (the time budget stops a slow machine).
DEMO_SETTINGS = {
    "lr": 1e-3,
    "batch_size": 128,
    "max_epochs": 30,
    "patience": 5,
    "time_budget": 70.0,
}
#: ``skirnet demo --quick``: a 600/200-row subset and two epochs, for tests.
QUICK_SETTINGS = {
    "lr": 1e-3,
    "batch_size": 128,
    "max_epochs": 2,
    "patience": 2,
    "time_budget": None,
}
QUICK_ROWS = (600, 200)

_PAPER_NOTE = (
    "The paper trains with Adam at lr=1e-4 and batch size 32; that needs hours, not "
    "minutes, on a CPU, so these commands default to lr=1e-3 and batch size 256 (the demo: "
    "128) with early stopping, which converge within minutes (on a GPU, used "
    "automatically, much faster)."
)


class CLIError(Exception):
    """Bad command-line input: reported as one line, without traceback."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line: ``skirnet: error: ...``."""

    def error(self, message: str) -> NoReturn:
        sub = self.prog.split(" ", 1)[1] + " " if " " in self.prog else ""
        self.exit(2, f"{PROG}: error: {message} (see '{PROG} {sub}--help')\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _fold_count(text: str) -> int:
    value = _positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"cross-validation needs at least 2 folds, got {text!r}")
    return value


def _device(text: str) -> str:
    import torch

    if text == "auto":
        return text
    try:
        torch.device(text)
    except RuntimeError:
        raise argparse.ArgumentTypeError(
            f"expected 'auto', 'cpu', 'cuda' or 'cuda:N', got {text!r}"
        ) from None
    return text


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _fraction(text: str) -> float:
    value = _positive_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, got {text!r}")
    return value


# --------------------------------------------------------------------------- parser


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    _add_threads(p)
    p.add_argument(
        "--device",
        default="auto",
        type=_device,
        help="'auto' (CUDA when available, default), 'cpu' or 'cuda'",
    )
    p.add_argument(
        "--verbose",
        action="store_true",
        help="print skorch's per-epoch table instead of progress bars",
    )
    p.add_argument("--debug", action="store_true", help="show the full traceback of any error")


def _add_threads(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--threads",
        type=_positive_int,
        metavar="N",
        help="CPU threads for torch (default: the CPU cores not already busy, "
        "judged by the load average; oversubscribed OpenMP threads can slow "
        "training down tenfold)",
    )


def _add_data(p: argparse.ArgumentParser, target: bool = True) -> None:
    p.add_argument(
        "--data",
        required=True,
        type=Path,
        metavar="FILE",
        help="CSV (optionally gzipped) or Parquet file",
    )
    p.add_argument(
        "--formula-col",
        metavar="COL",
        help="column of chemical formulas (default: 'formula' or 'composition')",
    )
    if target:
        p.add_argument(
            "--target-col", metavar="COL", help="numeric target column (default: 'target' or 'y')"
        )


def _add_training(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--epochs", type=_positive_int, default=40, help="maximum epochs per network (default: 40)"
    )
    p.add_argument(
        "--batch-size",
        type=_positive_int,
        default=256,
        help="mini-batch size (default: 256; the paper: 32)",
    )
    p.add_argument(
        "--lr",
        type=_positive_float,
        default=1e-3,
        help="Adam learning rate (default: 1e-3; the paper: 1e-4)",
    )
    p.add_argument(
        "--patience",
        type=_positive_int,
        default=8,
        help="early-stopping patience in epochs (default: 8)",
    )
    p.add_argument(
        "--time-budget",
        type=_positive_float,
        metavar="SECONDS",
        help="stop each network's training after this many seconds (default: none)",
    )
    p.add_argument(
        "--hidden-layer-sizes",
        metavar="SPEC",
        help="custom architecture such as '64x2-32' instead of the paper's depths",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``skirnet`` command.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = _Parser(
        prog=PROG,
        description="Deep residual regressors (IRNet, SRNet, PlainNet) for materials "
        "properties from chemical formulas (Jha et al., Sci. Rep. 11:4244, 2021).",
        epilog=_PAPER_NOTE,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    demo = sub.add_parser(
        "demo",
        help="IRNet-17 vs PlainNet-17 vs random forest on the embedded OQMD sample",
        description="Featurize the embedded 10,000-row OQMD formation-enthalpy sample "
        "(Magpie features), train IRNet-17 and PlainNet-17 (StandardScaler in front, "
        "standardised features clipped to +-10) and a "
        "random forest on its 8,000-row train split, and report test MAE, RMSE and R2 on "
        "its 2,000-row test split; writes parity.png, learning_curves.png, results.json "
        "and results.csv. Settings: Adam lr=1e-3, batch 128, at most 30 epochs, patience 5, "
        "and a 70 s training budget per network, so the whole demo takes under 5 minutes on a "
        "2-core CPU; the paper's lr=1e-4 and batch 32 would not converge in that time. "
        "The sample keeps OQMD's few extreme targets (down to -95 eV/atom); they are "
        "included in every MAE.",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("skirnet-demo"),
        help="output folder (default: ./skirnet-demo)",
    )
    demo.add_argument(
        "--quick",
        action="store_true",
        help=f"a {QUICK_ROWS[0]}/{QUICK_ROWS[1]}-row subset and 2 epochs "
        "(seconds; for tests, not for conclusions)",
    )
    _add_common(demo)

    compare = sub.add_parser(
        "compare",
        help="compare networks and classical baselines on your own table",
        description="Featurize a table of formulas, fit the chosen models on identical "
        "splits and write results.json, results.csv, parity.png, learning_curves.png (and "
        "depth_study.png for several depths) into --out. " + _PAPER_NOTE,
    )
    _add_data(compare)
    compare.add_argument(
        "--models",
        default="irnet,plain,rf",
        help="comma-separated: irnet, srnet, plain and any baseline of "
        "skirnet.baselines (linear, sgd, elasticnet, adaboost, ridge, svr, "
        "tree, rf, hgb); default: irnet,plain,rf",
    )
    compare.add_argument(
        "--depths",
        default="17",
        help="comma-separated network depths from 10, 17, 24, 48 (default: 17)",
    )
    split = compare.add_mutually_exclusive_group()
    split.add_argument(
        "--test-size",
        type=_fraction,
        default=0.2,
        help="test fraction of one shuffled split (default: 0.2)",
    )
    split.add_argument(
        "--cv",
        type=_fold_count,
        metavar="K",
        help="K-fold cross-validation instead of one split",
    )
    compare.add_argument(
        "--out",
        type=Path,
        default=Path("skirnet-compare"),
        help="output folder (default: ./skirnet-compare)",
    )
    _add_training(compare)
    _add_common(compare)

    train = sub.add_parser(
        "train",
        help="train one network on your table and save it (pickle-free)",
        description="Train Pipeline(CompositionFeaturizer, StandardScaler, clip to +-10, network) on a "
        "table of formulas and save it into --out: the network with skirnet.save (safetensors "
        "+ JSON) in OUT/net, the featurizer parameters and scaler statistics in "
        "OUT/pipeline.json. " + _PAPER_NOTE,
    )
    _add_data(train)
    train.add_argument("--model", default="irnet", help="irnet (default), srnet or plain")
    train.add_argument("--depth", default="17", help="10, 17 (default), 24 or 48")
    train.add_argument("--out", type=Path, required=True, help="folder to save the model in")
    _add_training(train)
    _add_common(train)

    predict = sub.add_parser(
        "predict",
        help="predict with a model saved by 'skirnet train'",
        description="Predict a table of formulas with a model folder written by "
        "'skirnet train'; writes a CSV with columns formula, prediction.",
    )
    predict.add_argument(
        "--model",
        required=True,
        type=Path,
        metavar="DIR",
        help="folder written by 'skirnet train'",
    )
    _add_data(predict, target=False)
    predict.add_argument(
        "--output", type=Path, metavar="FILE", help="CSV to write (default: print to stdout)"
    )
    _add_threads(predict)
    predict.add_argument("--debug", action="store_true", help="show the full traceback")
    return parser


# --------------------------------------------------------------------------- helpers


def _auto_threads() -> int:
    """CPU cores not already busy with other processes (at least 1)."""
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average (Windows)
        return cores
    return max(1, min(cores, cores - round(busy)))


def _set_threads(threads: int | None) -> int:
    """Set torch's intra-op threads; return the previous count."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads or _auto_threads())
    return previous


def _settings(args: argparse.Namespace, **overrides: Any):
    from skirnet.workflow import TrainingSettings

    values: dict[str, Any] = {
        "seed": args.seed,
        "device": args.device,
        "verbose": int(args.verbose),
        "progress": not args.verbose,
    }
    if hasattr(args, "epochs"):
        values.update(
            lr=args.lr,
            batch_size=args.batch_size,
            max_epochs=args.epochs,
            patience=args.patience,
            time_budget=args.time_budget,
            hidden_layer_sizes=args.hidden_layer_sizes,
        )
    values.update(overrides)
    settings = TrainingSettings(**values)
    if settings.hidden_layer_sizes:
        from skirnet.nn import parse_architecture

        parse_architecture(settings.hidden_layer_sizes)  # fail early on a bad spec
    return settings


def _read_user_table(args: argparse.Namespace) -> tuple[pd.Series, np.ndarray, str, str]:
    from skirnet.datasets import read_table

    if Path(args.data).is_dir():
        raise CLIError(f"{args.data} is a folder; the command line reads one CSV or Parquet file")
    try:
        bunch = read_table(
            args.data, formula_col=args.formula_col, target_col=args.target_col, as_frame=True
        )
    except ValueError as exc:
        # read_table speaks of its keyword arguments; here they are options
        message = str(exc).replace("pass formula_col= or cif_col=", "pass --formula-col")
        raise CLIError(message.replace("target_col=", "--target-col")) from None
    formula_col, target_col = bunch.feature_names[0], bunch.target_names[0]
    if bunch.input_type != "formula":
        raise CLIError(
            f"{args.data} has no formula column (found the CIF column {formula_col!r}); "
            "CIF/structure tables are not supported by the command line: pass --formula-col"
        )
    y = np.asarray(bunch.target, dtype=np.float64)
    if len(y) < 10:
        raise CLIError(f"{args.data} has only {len(y)} rows; at least 10 are needed")
    return bunch.data.reset_index(drop=True), y, str(formula_col), str(target_col)


def _check_output_folder(out: Path) -> None:
    """Fail before any work if results cannot be written to the folder ``out``."""
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {out} is a file; give a folder (it is created if needed)")


def _check_output_file(path: Path | None) -> None:
    if path is None:
        return
    if path.is_dir():
        raise CLIError(f"--output {path} is a folder; give a CSV file name")
    if not path.parent.is_dir():
        raise CLIError(f"--output {path}: the folder {path.parent} does not exist")


def _print_header(title: str, settings: Any) -> None:
    import torch

    print(title)
    device = settings.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    print(
        f"Network settings: {settings.describe()} (training on {device}, "
        f"{torch.get_num_threads()} CPU thread(s))"
    )


def _report(result: Any, files: dict[str, Path], units: str | None, seconds: float) -> None:
    print()
    print(result.table(units=units))
    hit = result.results.get("time_budget_hit")
    hit = hit.eq(True) if hit is not None else None
    if hit is not None and hit.any():
        names = ", ".join(dict.fromkeys(result.results.loc[hit, "model"]))
        print(
            f"Note: {names} stopped at the time budget (weights of the best validation "
            "epoch kept); more epochs would likely lower the MAE."
        )
    print()
    for kind, path in files.items():
        print(f"wrote {kind:16s} {path}")
    print(f"total time {seconds:.1f} s")


# --------------------------------------------------------------------------- commands


def _cmd_demo(args: argparse.Namespace) -> int:
    from skirnet.datasets import load_oqmd_sample
    from skirnet.workflow import build_models, featurize, run_comparison

    start = time.perf_counter()
    settings = _settings(args, **(QUICK_SETTINGS if args.quick else DEMO_SETTINGS))
    frame = load_oqmd_sample(as_frame=True).frame
    train = frame[frame["split"] == "train"]
    test = frame[frame["split"] == "test"]
    if args.quick:
        train = train.sample(QUICK_ROWS[0], random_state=args.seed)
        test = test.sample(QUICK_ROWS[1], random_state=args.seed)
    _print_header(
        f"skirnet demo: OQMD formation enthalpy sample (eV/atom), {len(train)} train / "
        f"{len(test)} test rows (the published CrabNet split)"
        + (
            " -- QUICK mode: subset and 2 epochs, numbers are not meaningful" if args.quick else ""
        ),
        settings,
    )
    print(
        f"Target range {frame['target'].min():.1f} to {frame['target'].max():.1f} eV/atom: "
        "a few extreme OQMD entries are kept, and count in every MAE."
    )
    X = featurize(
        pd.concat([train["formula"], test["formula"]]).tolist(), progress=settings.progress
    )
    X_train, X_test = X[: len(train)], X[len(train) :]
    models = build_models(["irnet", "plain", "rf"], [17], settings)
    info = {
        "command": "demo",
        "quick": bool(args.quick),
        "dataset": "oqmd_sample",
        "unit": "eV/atom",
        "n_train": len(train),
        "n_test": len(test),
        "n_features": X.shape[1],
    }
    result = run_comparison(
        models,
        X_train,
        train["target"].to_numpy(),
        X_test=X_test,
        y_test=test["target"].to_numpy(),
        settings=settings,
        info=info,
    )
    result.info["fit_seconds"] = time.perf_counter() - start
    files = result.save(args.out, units="eV/atom")
    _report(result, files, "eV/atom", time.perf_counter() - start)
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from skirnet.workflow import (
        build_models,
        featurize,
        parse_depths,
        parse_models,
        run_comparison,
    )

    start = time.perf_counter()
    _check_output_folder(args.out)
    names = parse_models(args.models)
    depths = parse_depths(args.depths)
    settings = _settings(args)
    formulas, y, fcol, tcol = _read_user_table(args)
    n_test = args.test_size * len(y) if args.cv is None else len(y) / args.cv
    if args.cv is not None and args.cv > len(y):
        raise CLIError(f"--cv {args.cv} needs at least {args.cv} rows; {args.data} has {len(y)}")
    if n_test < 1 or len(y) - n_test < 3:
        raise CLIError(f"{args.data} has {len(y)} rows: too few for that test split")
    _print_header(
        f"skirnet compare: {args.data} ({len(y)} rows), formula column {fcol!r}, target {tcol!r}",
        settings,
    )
    X = featurize(formulas.tolist(), progress=settings.progress)
    models = build_models(names, depths, settings)
    info = {
        "command": "compare",
        "data": str(args.data),
        "formula_col": fcol,
        "target_col": tcol,
        "n_rows": len(y),
        "n_features": X.shape[1],
        "cv": args.cv,
        "test_size": None if args.cv else args.test_size,
    }
    result = run_comparison(
        models, X, y, cv=args.cv, test_size=args.test_size, settings=settings, info=info
    )
    result.info["fit_seconds"] = time.perf_counter() - start
    files = result.save(args.out)
    _report(result, files, None, time.perf_counter() - start)
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from skirnet.workflow import (
        NET_CLASSES,
        parse_depths,
        parse_models,
        save_pipeline,
        train_pipeline,
    )

    start = time.perf_counter()
    _check_output_folder(args.out)
    (name,) = parse_models(args.model)
    if name not in NET_CLASSES:
        raise CLIError(f"--model must be a network ({', '.join(NET_CLASSES)}), got {args.model!r}")
    (depth,) = parse_depths(args.depth)
    settings = _settings(args)
    formulas, y, fcol, tcol = _read_user_table(args)
    _print_header(f"skirnet train: {name} on {args.data} ({len(y)} rows)", settings)

    pipe = train_pipeline(formulas.tolist(), y, name, depth, settings)
    out = save_pipeline(
        pipe, args.out, formula_col=fcol, target_col=tcol, settings=settings.as_dict()
    )
    net = pipe.named_steps["net"]
    X = formulas.tolist()
    train_mae = float(np.mean(np.abs(pipe.predict(X) - y)))
    depth = sum(n for _, n in net.architecture_) + 1
    print(
        f"trained {type(net).__name__} (depth {depth}) for {net.n_iter_} epochs "
        f"(best validation epoch {net.best_epoch_}); training-set MAE {train_mae:.4f}"
    )
    print(f"saved to {out} in {time.perf_counter() - start:.1f} s")
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    from skirnet.datasets.readers import _read_frame
    from skirnet.workflow import load_pipeline

    _check_output_file(args.output)
    pipe, spec = load_pipeline(args.model)
    path = Path(args.data)
    if path.is_dir():
        raise CLIError(f"{path} is a folder; give one CSV or Parquet file")
    frame = _read_frame(path)
    if frame.empty:
        raise CLIError(f"the file {path} has a header but no data rows")
    column = args.formula_col
    if column is None:
        lower = {str(c).lower(): c for c in frame.columns}
        candidates = [spec.get("formula_col"), "formula", "composition"]
        column = next(
            (
                lower[str(c).lower()]
                for c in candidates
                if c is not None and str(c).lower() in lower
            ),
            None,
        )
        if column is None:
            raise CLIError(
                f"no formula column found in {path}: pass --formula-col; "
                f"available columns: {[str(c) for c in frame.columns]}"
            )
    elif column not in frame.columns:
        raise CLIError(
            f"formula column {column!r} not found in {path}; available columns: "
            f"{[str(c) for c in frame.columns]}"
        )
    formulas = frame[column].tolist()
    pred = pipe.predict(formulas)
    out = pd.DataFrame({"formula": formulas, "prediction": pred})
    if args.output is None:
        out.to_csv(sys.stdout, index=False)
    else:
        out.to_csv(args.output, index=False)
        print(f"wrote {len(out)} predictions to {args.output}", file=sys.stderr)
    return 0


_COMMANDS = {
    "demo": _cmd_demo,
    "compare": _cmd_compare,
    "train": _cmd_train,
    "predict": _cmd_predict,
}
_EXPECTED = (
    CLIError,
    ValueError,
    FileNotFoundError,
    KeyError,
    ImportError,
    FloatingPointError,
    OSError,  # FileExistsError, IsADirectoryError, PermissionError, a full disk, ...
    EOFError,
)


def _one_line(exc: BaseException) -> str:
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    text = " ".join(str(text).split()) or type(exc).__name__
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``skirnet`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 2 on bad input (one line on stderr).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    previous = _set_threads(args.threads)
    try:
        return _COMMANDS[args.command](args)
    except _EXPECTED as exc:
        if getattr(args, "debug", False):
            raise
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    finally:
        import torch

        torch.set_num_threads(previous)  # main() may be called in-process (tests, notebooks)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
