"""``skirnet predict``: a saved or pretrained model's predictions for a table, as CSV."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from skirnet.cli._common import CLIError, note_replacing, stored_calibration
from skirnet.cli._interrupts import doing
from skirnet.cli._options import DATA, DEBUG, INTERVAL, PROG, THREADS, Options, add_options
from skirnet.cli._user_table import in_options
from skirnet.pretrained import list_models

__all__ = ["NAME", "register", "run"]

NAME = "predict"
SUMMARY = "predict with a model saved by 'skirnet train' or a pretrained one"
DESCRIPTION = (
    "Predict formulas or crystal structures with a model folder written by "
    "'skirnet train' or a pretrained model shipped with skirnet (by name, e.g. "
    "oqmd-formation-enthalpy; "
    "no training, no download); writes a CSV with one row per input row: formula (id for "
    "structures), prediction and error (why a row has no prediction)."
)
MODEL: Options = {
    "--model": {
        "required": True,
        "metavar": "MODEL",
        "help": "folder written by 'skirnet train', or a pretrained model's name "
        f"({', '.join(list_models())})",
    },
}
OUTPUT: Options = {
    "--output": {
        "type": Path,
        "metavar": "FILE",
        "help": "CSV to write (default: print to stdout); an existing file is replaced once "
        "the new one is complete",
    },
}


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``skirnet predict``, its options and its handler to the command line.

    Parameters
    ----------
    commands : argparse._SubParsersAction
        The subparsers of the ``skirnet`` parser.
    """
    parser = commands.add_parser(NAME, help=SUMMARY, description=DESCRIPTION)
    add_options(parser, {**MODEL, **DATA, **OUTPUT, **INTERVAL, **THREADS, **DEBUG})
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run ``skirnet predict`` with the parsed options.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options.

    Returns
    -------
    int
        The exit status, 0.
    """
    from skirnet.datasets._tables import read_frame
    from skirnet.pipeline import (
        input_kind,
        load_pipeline,
        load_pipeline_with_calibration,
        write_atomically,
    )
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
    doing(f"loading the model {args.model}", saved="nothing was written")
    folder = resolve(args.model, must_exist=True)
    if args.interval is None:
        pipe, spec = load_pipeline(folder)
        conformal = None
    else:
        pipe, spec, stored = load_pipeline_with_calibration(folder)
        conformal = stored_calibration(args, folder, stored)
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
        raise in_options(exc) from None
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
    doing(f"predicting {len(data)} {data.kind}s", saved="nothing was written")
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
    note_replacing(output, str(output))
    doing(f"writing {output}", saved=f"{output} was left as it was")
    write_atomically(output, lambda tmp: out.to_csv(tmp, index=False))
    print(f"wrote {len(out)} predictions to {output}", file=sys.stderr)
    return 0
