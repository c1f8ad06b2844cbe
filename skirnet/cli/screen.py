"""``skirnet screen``: candidate compositions (a file or an element grid) ranked by a model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from skirnet.cli._common import CLIError, note_replacing, stored_calibration
from skirnet.cli._interrupts import doing
from skirnet.cli._options import (
    DEBUG,
    FORMULA_COL,
    INTERVAL,
    THREADS,
    Options,
    add_options,
    positive_int,
)
from skirnet.cli._user_table import in_options

__all__ = ["NAME", "register", "run"]

NAME = "screen"
SUMMARY = "rank millions of candidate compositions (file or element grid), optionally on Dask"
DESCRIPTION = (
    "Rank candidate compositions with a trained or pretrained model: candidates "
    "from a CSV/Parquet file (--data) or generated from elements (--elements, --max-atoms: "
    "every reduced A_a B_b C_c with a + b + c <= N), featurized and predicted in chunks with "
    "bounded memory, streamed to a Parquet file with one row per candidate in input order "
    "(formula, prediction, std for an ensemble, error saying why a row has no prediction); "
    "the best candidates are printed at the end. --dask runs the chunks on a Dask cluster "
    "with identical results."
)
CANDIDATES: Options = {
    "--model": {
        "required": True,
        "metavar": "MODEL",
        "help": "folder written by 'skirnet train', or a pretrained model's name",
    },
    "--data": {
        "type": Path,
        "metavar": "FILE",
        "help": "CSV (optionally gzipped) or Parquet file of candidate formulas",
    },
    **FORMULA_COL,
    "--elements": {
        "metavar": "A,B,C",
        "help": "comma-separated element symbols to combine, e.g. Li,Fe,P,O",
    },
    "--max-atoms": {
        "type": positive_int,
        "metavar": "N",
        "help": "largest number of atoms per formula unit of a generated composition; a "
        "grid of more than a billion compositions (skirnet.screening.MAX_GENERATED) is "
        "refused, naming the largest --max-atoms that fits",
    },
    "--min-elements": {
        "type": positive_int,
        "default": 1,
        "metavar": "N",
        "help": "generate only compositions with at least this many elements (default: 1)",
    },
    "--charge-balanced": {
        "action": "store_true",
        "help": "keep only generated compositions that balance with common oxidation states",
    },
}
RANKING: Options = {
    "--output": {
        "type": Path,
        "required": True,
        "metavar": "FILE",
        "help": "Parquet file to write; written under a temporary name and renamed "
        "when complete (an existing file is replaced then)",
    },
    "--top": {
        "type": positive_int,
        "default": 20,
        "metavar": "K",
        "help": "number of best candidates to print (default: 20)",
    },
    "--highest": {
        "action": "store_true",
        "help": "best means highest prediction (default: lowest, e.g. formation enthalpy)",
    },
    "--chunk-size": {
        "type": positive_int,
        "default": 100_000,
        "metavar": "N",
        "help": "candidates per chunk (default: 100000); memory grows with it",
    },
    "--dask": {
        "metavar": "local|ADDRESS",
        "help": "'local' to start a Dask LocalCluster on this machine, or a scheduler "
        "address such as tcp://10.0.0.5:8786",
    },
}


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``skirnet screen``, its options and its handler to the command line.

    Parameters
    ----------
    commands : argparse._SubParsersAction
        The subparsers of the ``skirnet`` parser.
    """
    parser = commands.add_parser(NAME, help=SUMMARY, description=DESCRIPTION)
    add_options(parser, {**CANDIDATES, **RANKING, **INTERVAL, **THREADS, **DEBUG})
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run ``skirnet screen`` with the parsed options.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options.

    Returns
    -------
    int
        The exit status, 0.
    """
    import torch

    from skirnet.pipeline import input_kind, load_pipeline, load_pipeline_with_calibration
    from skirnet.pretrained import resolve
    from skirnet.screening import dask_client, screen

    output = args.output
    if output.is_dir():
        raise CLIError(f"--output {output} is a folder; give a Parquet file name")
    if not output.parent.is_dir():
        raise CLIError(f"--output {output}: the folder {output.parent} does not exist")
    if args.data is not None and output.resolve() == args.data.resolve():
        raise CLIError(f"--output {output} is the --data file; give another file name")
    candidates, total, described = _candidates(args)
    doing(f"loading the model {args.model}", saved="nothing was written")
    folder = resolve(args.model, must_exist=True)
    if args.interval is None:
        pipe, _ = load_pipeline(folder)
        stored = None
    else:
        pipe, _, stored = load_pipeline_with_calibration(folder)
    if input_kind(pipe) != "formula":
        raise CLIError(
            f"--model {args.model} predicts from crystal structures; screen ranks "
            "compositions: use 'skirnet predict' for structures"
        )
    interval = {}
    if args.interval is not None:
        interval = {
            "conformal": stored_calibration(args, folder, stored),
            "confidence": args.interval,
        }
    note_replacing(output, str(output))
    doing(f"screening {described}", saved=f"{output} was left as it was")
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
            raise in_options(exc) from None
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


def _candidates(args: argparse.Namespace) -> tuple[Any, int | None, str]:
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
