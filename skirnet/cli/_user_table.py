"""The user's table on the command line: read with the column options, checked, featurized.

The library reads and featurizes (:mod:`skirnet.user_data`); this module names the
options in its messages, checks what a command needs of the table (enough rows, inputs
the chosen features can be computed from, the same kind of input in every split), and
reports the rows that ``--drop-bad-rows`` drops.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from skirnet.cli._common import CLIError
from skirnet.cli._options import PROG
from skirnet.feature_sets import FEATURE_SETS

__all__ = ["DROPPED_IDS_SHOWN", "featurize", "in_options", "read_user_table"]

# the ids of dropped rows listed in the line that says so (the others are counted)
DROPPED_IDS_SHOWN = 20
#: The readers' keyword arguments named in their messages, and the options that set them.
_OPTION_OF_KEYWORD = {
    "formula_col=": "--formula-col",
    "structure_col=": "--structure-col",
    "target_col=": "--target-col",
}


def in_options(exc: ValueError) -> CLIError:
    """A reader's error with its keyword arguments named as the options that set them.

    Parameters
    ----------
    exc : ValueError
        The error of :func:`skirnet.user_data.read_user_data` or another reader.

    Returns
    -------
    CLIError

    Examples
    --------
    >>> str(in_options(ValueError("no column 'x'; pass formula_col=")))
    "no column 'x'; pass --formula-col"
    """
    message = str(exc).replace("pass formula_col= or cif_col=", "pass --formula-col")
    for keyword, option in _OPTION_OF_KEYWORD.items():
        message = message.replace(keyword, option)
    return CLIError(message)


def read_user_table(args: argparse.Namespace, path: Path | None = None, like: Any = None) -> Any:
    """The user's formulas or structures and target (:class:`skirnet.user_data.UserData`).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options (``--data``, the column options, ``--features``).
    path : Path, optional
        Another split (``--val``, ``--test``) to read with the same column options
        (default: ``--data``).
    like : UserData, optional
        The training table, which ``path`` must match in kind.

    Returns
    -------
    skirnet.user_data.UserData

    Raises
    ------
    CLIError
        A reader's error, too few rows, another kind of input than ``like``, or inputs
        ``--features`` cannot be computed from.
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
        raise in_options(exc) from None
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


def featurize(
    args: argparse.Namespace, table: Any, features: str | None, progress: bool, least: int
) -> tuple[Any, Any, dict[str, Any] | None]:
    """Featurize one file: its features, its rows kept and, with ``--drop-bad-rows``, a record.

    Without ``--drop-bad-rows`` a row that cannot be featurized stops the command (one
    line naming it). With it, those rows are dropped from the features and the table, a
    line names them, and the record (``file``, ``rows_read``, ``count``, ``rows``: each
    ``row``, ``id``, ``reason``) goes to ``results.json`` or ``pipeline.json``; fewer than
    ``least`` rows left is an error.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options (``--drop-bad-rows``).
    table : skirnet.user_data.UserData
        The file's rows.
    features : str or None
        The feature set.
    progress : bool
        Show progress bars.
    least : int
        The fewest rows a command can go on with.

    Returns
    -------
    X : ndarray
        The features of the rows kept.
    table : skirnet.user_data.UserData
        The rows kept.
    record : dict or None
        The rows dropped, with ``--drop-bad-rows``.

    Raises
    ------
    CLIError
        Fewer than ``least`` rows left.
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
