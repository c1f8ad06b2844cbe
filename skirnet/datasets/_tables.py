"""Reading tables: the shared rules of every reader of CSV, Parquet and JSON tables.

Which columns are found by themselves, which are read as text, how a CSV file is
read (only an empty cell is missing; a blank line is a row), and the checks on a header
and a target column. :mod:`skirnet.datasets.readers`, the command line's readers of user
tables and the screening's candidate reader all read through these.
"""

from __future__ import annotations

import contextlib
import gzip
import importlib.util
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FORMULA_CANDIDATES = ("formula", "composition", "formula_pretty", "pretty_formula")
CIF_CANDIDATES = ("cif", "structure_cif")
TARGET_CANDIDATES = ("target", "y")
#: Columns read as text whatever their cells look like (with any column the caller names):
#: formulas ("NaN" is sodium nitride, "NA" and "None" are no missing values, "Inf" and
#: "True" no numbers) and structures. Only an empty cell is missing.
TEXT_CANDIDATES = (*FORMULA_CANDIDATES, *CIF_CANDIDATES, "structure")


def is_json(path: Path) -> bool:
    return path.name.lower().endswith((".json", ".json.gz"))


def check_unique_columns(names: Sequence[str], path: Path) -> None:
    """Refuse a table with two columns of one name: which one is meant is ambiguous.

    ``names`` must be the names as the file holds them (pandas renames a CSV file's
    second ``formula`` to ``formula.1``).

    >>> check_unique_columns(["formula", "target", "formula"], Path("t.csv"))
    Traceback (most recent call last):
    ...
    ValueError: t.csv has 2 columns named 'formula' (columns 1 and 3): which one is meant is ambiguous; rename or remove all but one
    """
    seen: dict[str, list[int]] = {}
    for number, name in enumerate(names, start=1):
        seen.setdefault(name, []).append(number)
    for name, numbers in seen.items():
        if len(numbers) > 1:
            where = ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"
            raise ValueError(
                f"{path} has {len(numbers)} columns named {name!r} (columns {where}): which "
                "one is meant is ambiguous; rename or remove all but one"
            )


@contextlib.contextmanager
def reading_parquet(path: Path) -> Iterator[None]:
    """Turn pyarrow's errors while reading the Parquet file ``path`` into messages naming it.

    A truncated file, a damaged footer or page (its CRC checksum, where the writer stored
    one, does not match), text that is not UTF-8: one line, the file named.
    """
    import pyarrow as pa

    try:
        yield
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ValueError(f"cannot read {path} as a Parquet file: {reason}") from exc


#: How every Parquet file is read: pages that carry a CRC checksum are verified, so that a
#: damaged page raises instead of giving other values (pyarrow skips the check otherwise).
PARQUET_OPTIONS: dict[str, Any] = {"page_checksum_verification": True}


def parquet_columns(path: Path) -> list[str]:
    """The column names of a Parquet file, as it holds them; a damaged file is named."""
    import pyarrow.parquet as pq

    with reading_parquet(path):
        names = list(pq.read_schema(path).names)
    check_unique_columns(names, path)
    return names


def matbench_payload(path: Path) -> dict[str, Any]:
    """A Matbench-style JSON file's object, its ``columns`` and ``data`` lists checked.

    A file that cannot be read whole (truncated or corrupt gzip, not UTF-8, bad JSON) or
    of another shape raises a one-line ValueError naming it.
    """
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            payload = json.load(fh)
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not a readable JSON file ({not_utf8(exc)})") from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path} is not a readable JSON file ({exc})") from None
    if not isinstance(payload, dict) or not {"columns", "data"} <= set(payload):
        raise ValueError(
            f"{path}: expected a Matbench-style JSON object with 'columns' and 'data' "
            "(pandas' to_json(orient='split'))"
        )
    if not isinstance(payload["columns"], list) or not isinstance(payload["data"], list):
        raise ValueError(f"{path}: 'columns' and 'data' must be lists")
    check_unique_columns([str(c) for c in payload["columns"]], path)
    return payload


def read_matbench_json(path: Path) -> pd.DataFrame:
    """A Matbench-style JSON file (``{"index", "columns", "data"}``) as a DataFrame."""
    payload = matbench_payload(path)
    try:
        frame = pd.DataFrame(payload["data"], columns=payload["columns"])
        if "index" in payload:
            frame.index = [str(i) for i in payload["index"]]
    except (ValueError, TypeError) as exc:  # rows longer than 'columns', a short 'index'
        reason = " ".join(str(exc).split())
        raise ValueError(f"{path}: 'columns', 'index' and 'data' do not fit: {reason}") from None
    return frame


#: How every CSV table is read: only an empty cell is missing, and every line after the
#: header is a row, a blank line too (a row of empty cells), so that no row is lost and
#: line numbers in messages are the file's.
CSV_OPTIONS: dict[str, Any] = {
    "keep_default_na": False,
    "na_values": [""],
    "skip_blank_lines": False,
}


def not_utf8(exc: UnicodeDecodeError) -> str:
    """What a decoding error means to whoever wrote the file (its position is left out:
    pandas decodes a file in blocks and counts from the block's start)."""
    return (
        f"not UTF-8 text (it holds the byte {exc.object[exc.start]:#04x}): a binary file, or "
        "text in another encoding; save it as UTF-8"
    )


def has_text(path: Path) -> bool:
    """Whether a CSV file holds anything but blank lines."""
    try:
        pd.read_csv(path, header=None, nrows=1)
    except (ValueError, OSError, EOFError):  # EmptyDataError is a ValueError
        return False
    return True


@contextlib.contextmanager
def reading_csv(path: Path, first: str = "the column names (the header)") -> Iterator[None]:
    """Turn pandas' errors while reading the CSV file ``path`` into messages naming it.

    ``first`` says what belongs on the first line, for a file whose first line is blank.
    """
    try:
        yield
    except pd.errors.EmptyDataError as exc:
        if has_text(path):
            raise ValueError(
                f"the first line of {path} is blank: put {first} on the first line; every "
                "line after it is a row"
            ) from exc
        raise ValueError(f"the file {path} is empty") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"cannot read {path} as a CSV table: {not_utf8(exc)}") from exc
    except (pd.errors.ParserError, EOFError, OSError) as exc:
        # OSError includes gzip.BadGzipFile; EOFError a truncated compressed file
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ValueError(f"cannot read {path} as a CSV table: {reason}") from exc


def csv_header(path: Path) -> list[str]:
    """The column names on the first line of a CSV file, as written there.

    Raises
    ------
    ValueError
        An empty file, a blank first line (the header must be the first line: every
        line after it is a row), one that is no CSV text, or two columns of one name.
    """
    with reading_csv(path):
        first = pd.read_csv(
            path, header=None, nrows=1, dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    names = [str(name) for name in first.iloc[0]]
    check_unique_columns(names, path)
    return names


def text_cells(values: Iterable[Any]) -> list[Any]:
    """The cells of a formula column, an empty (missing) one as ``""``.

    >>> text_cells(["NaN", None, float("nan"), "NaCl"])
    ['NaN', '', '', 'NaCl']
    """
    return ["" if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in values]


def read_frame(path: Path, text: Sequence[str | None] = ()) -> pd.DataFrame:
    """A CSV, Parquet or Matbench-style JSON table as a DataFrame.

    A CSV file is read with :data:`CSV_OPTIONS` (only an empty cell is missing; a blank
    line is a row), and the columns named in ``text`` or :data:`TEXT_CANDIDATES` (any
    case) as text: ``NaN``, ``NA``, ``None`` and ``Inf`` are formulas there, as in every
    other reader of formula tables.
    """
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.is_dir():
        raise ValueError(f"{path} is a folder; use read_cif_folder or load_id_prop_folder")
    if is_json(path):
        return read_matbench_json(path)
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        if (
            importlib.util.find_spec("pyarrow") is None
            and importlib.util.find_spec("fastparquet") is None
        ):
            raise ImportError(
                f"reading the Parquet file {path} needs pyarrow (or fastparquet), which is "
                "not installed: pip install pyarrow, or save the table as CSV."
            )
        if importlib.util.find_spec("pyarrow") is None:
            return pd.read_parquet(path)
        parquet_columns(path)
        with reading_parquet(path):
            return pd.read_parquet(path, engine="pyarrow", **PARQUET_OPTIONS)
    if path.stat().st_size == 0:
        raise ValueError(f"the file {path} is empty")
    header = csv_header(path)
    wanted = {name for name in text if name is not None}
    names = [name for name in header if name in wanted or name.lower() in TEXT_CANDIDATES]
    with reading_csv(path):
        return pd.read_csv(path, dtype=dict.fromkeys(names, str), **CSV_OPTIONS)


def pick_column(
    frame: pd.DataFrame, wanted: str | None, candidates: Sequence[str], role: str, path: Path
) -> str | None:
    """The column ``wanted``, else the first of ``candidates`` (any case) in ``frame``.

    Columns that differ only in case (``Formula`` and ``formula``) and match one
    candidate are refused: which one is meant is ambiguous.
    """
    columns = [str(c) for c in frame.columns]
    if wanted is not None:
        if wanted not in frame.columns:
            raise ValueError(
                f"{role} column {wanted!r} not found in {path}; available columns: {columns}"
            )
        return wanted
    lower: dict[str, list[Any]] = {}
    for column in frame.columns:
        lower.setdefault(str(column).lower(), []).append(column)
    for cand in candidates:
        found = lower.get(cand, [])
        if len(found) > 1:  # "Formula" and "formula": which one is meant is ambiguous
            keyword = "cif_col=" if role == "CIF" else f"{role}_col="
            raise ValueError(
                f"columns {[str(c) for c in found]} of {path} could each be the {role} "
                f"column: pass {keyword} to name one"
            )
        if found:
            return found[0]
    return None


def row_label(pos: int, first_line: int | None) -> str:
    """``data row 3 (file line 5)``; without the line where rows are no lines of text."""
    return f"data row {pos}" + ("" if first_line is None else f" (file line {pos + first_line})")


def lines_of(path: Path) -> int | None:
    """The file line of data row 0 of a table with one line per row: a CSV file's second;
    None for JSON and Parquet, whose rows are no lines."""
    return None if is_json(path) or path.name.lower().endswith((".parquet", ".pq")) else 2


def check_target(
    values: pd.Series, column: str, path: Path, first_line: int | None = 2
) -> np.ndarray:
    numeric = pd.to_numeric(values, errors="coerce")
    bad = numeric.isna() & values.notna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"target column {column!r} in {path} must be numeric; first non-numeric value "
            f"{values.iloc[pos]!r} at {row_label(pos, first_line)}"
        )
    if numeric.isna().any():
        pos = int(np.flatnonzero(numeric.isna().to_numpy())[0])
        raise ValueError(
            f"target column {column!r} in {path} has {int(numeric.isna().sum())} missing "
            f"value(s); the first at {row_label(pos, first_line)}"
        )
    return numeric.to_numpy(dtype=np.float64)
