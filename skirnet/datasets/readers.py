"""Readers for the user's own data: tables of formulas or CIFs, folders of structure files.

* :func:`read_table` — CSV, gzip CSV, Parquet or Matbench-style JSON with a formula (or CIF) column and a target.
* :func:`read_cif_folder` — a folder of ``*.cif`` files.
* :func:`load_id_prop_folder` — the CGCNN/ALIGNN convention: ``id_prop.csv`` (id, target)
  next to one structure file per id (CIF, POSCAR, ``.vasp``).

All of them return a :class:`sklearn.utils.Bunch` like the dataset loaders and raise
:class:`FileNotFoundError` / :class:`ValueError` with messages that name the offending
file, column, row and value.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from skirnet.datasets._tables import (
    CIF_CANDIDATES,
    CSV_OPTIONS,
    FORMULA_CANDIDATES,
    TARGET_CANDIDATES,
    check_target,
    lines_of,
    not_utf8,
    pick_column,
    read_frame,
    reading_csv,
    row_label,
    text_cells,
)

__all__ = [
    "load_id_prop_folder",
    "parse_structure",
    "read_cif_folder",
    "read_table",
]

_STRUCTURE_SUFFIXES = (".cif", ".vasp", ".poscar", "")


def structure_format(filename: str | os.PathLike[str]) -> str:
    """Guess the pymatgen format name (``"cif"`` or ``"poscar"``) of a structure file name.

    Parameters
    ----------
    filename : str or path-like
        File name; ``*.cif`` is CIF, anything else (``POSCAR``, ``*.vasp``) POSCAR.

    Returns
    -------
    str
        ``"cif"`` or ``"poscar"``.

    Examples
    --------
    >>> structure_format("mp-1.cif"), structure_format("POSCAR-JVASP-10.vasp")
    ('cif', 'poscar')
    """
    return "cif" if str(filename).lower().endswith(".cif") else "poscar"


def _check_pymatgen_only(data: dict[str, Any]) -> None:
    """Refuse a structure dict that would make monty import anything but pymatgen.

    ``Structure.from_dict`` decodes nested ``{"@module": ..., "@class"/"@callable": ...}``
    entries (in site properties, for instance) with monty's ``MontyDecoder``, which
    imports the named module and calls into it: a downloaded file could run any
    installed code. Only pymatgen's own classes are accepted, anywhere in the dict.
    """
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        obj, where = stack.pop()
        if isinstance(obj, dict):
            for key in ("@callable", "@bound"):
                if key in obj:
                    raise ValueError(
                        f"structure dict holds a {key!r} entry at {where or '/'}; only "
                        "pymatgen's own classes are accepted"
                    )
            module = obj.get("@module")
            if module is not None and not (
                isinstance(module, str) and module.startswith("pymatgen.")
            ):
                raise ValueError(
                    f"structure dict refers to the module {module!r} at {where or '/'}; "
                    "only pymatgen's own classes are accepted (refusing to import it)"
                )
            cls = obj.get("@class")
            if cls is not None and not (isinstance(cls, str) and cls.isidentifier()):
                raise ValueError(
                    f"structure dict names the class {cls!r} at {where or '/'}; expected a "
                    "plain pymatgen class name"
                )
            stack.extend((value, f"{where}/{key}") for key, value in obj.items())
        elif isinstance(obj, list | tuple):
            stack.extend((value, f"{where}[{i}]") for i, value in enumerate(obj))


def _read_structure_file(path: Path, name: str) -> str:
    """A structure file's text; a failure (not text, unreadable) names the id and the file."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        reason = not_utf8(exc)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
    raise ValueError(f"cannot read the structure of id {name!r} ({path}): {reason}")


def _parse_file(text: str, path: Path, name: str) -> Any:
    """A structure file's text parsed; a failure names the id and the file."""
    try:
        return parse_structure(text, structure_format(path))
    except Exception as exc:  # pymatgen raises several types for malformed files
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ValueError(f"cannot read the structure of id {name!r} ({path}): {reason}") from exc


def parse_structure(text: str | dict[str, Any], fmt: str = "cif") -> Any:
    """Parse a CIF or POSCAR string, or a structure dict, into a pymatgen ``Structure``.

    A dict (``Structure.as_dict()``, the format of Matbench's JSON files) may name only
    pymatgen's own classes in its ``"@module"`` entries: anything else (which
    pymatgen's decoder would import and call) is refused with a ``ValueError`` before
    anything is imported.

    Parameters
    ----------
    text : str or dict
        File contents, or a structure dict.
    fmt : {"cif", "poscar"}
        Format of a string (ignored for a dict).

    Returns
    -------
    pymatgen.core.Structure
        The (first) structure in the text.

    Raises
    ------
    ValueError
        A dict that names a module outside pymatgen (or a ``"@callable"``), or that
        pymatgen cannot read.

    Examples
    --------
    >>> poscar = "Po\\n1.0\\n3.35 0 0\\n0 3.35 0\\n0 0 3.35\\nPo\\n1\\ndirect\\n0 0 0\\n"
    >>> po = parse_structure(poscar, "poscar")
    >>> po.composition.reduced_formula
    'Po'
    >>> parse_structure(po.as_dict()) == po
    True
    >>> bad = po.as_dict()
    >>> bad["sites"][0]["properties"] = {"x": {"@module": "this", "@callable": "s"}}
    >>> parse_structure(bad)
    Traceback (most recent call last):
    ...
    ValueError: structure dict holds a '@callable' entry at /sites[0]/properties/x; ...
    """
    from pymatgen.core import Structure

    if isinstance(text, dict):
        _check_pymatgen_only(text)
        try:
            return Structure.from_dict(text)
        except Exception as exc:
            raise ValueError(
                f"could not parse structure dict ({type(exc).__name__}: {exc})"
            ) from exc
    with warnings.catch_warnings():
        # CifParser warns about rounding of fractional coordinates and the like
        warnings.simplefilter("ignore", UserWarning)
        return Structure.from_str(text, fmt=fmt)


def read_table(
    path: str | os.PathLike[str],
    *,
    formula_col: str | None = None,
    target_col: str | None = None,
    cif_col: str | None = None,
    parse: bool = False,
    as_frame: bool = False,
    return_X_y: bool = False,
) -> Bunch | tuple[Any, Any]:
    """Read a user table of compositions (or CIF texts) and a numeric target.

    Parameters
    ----------
    path : str or path-like
        ``.csv``, ``.csv.gz`` (any compression pandas infers) or ``.parquet`` (needs
        pyarrow or fastparquet).
    formula_col : str, optional
        Column of chemical formulas. By default the first of ``formula``,
        ``composition``, ``formula_pretty``, ``pretty_formula`` (case-insensitive) that
        exists; ignored when ``cif_col`` is given.
    target_col : str, optional
        Numeric target column. By default ``target`` or ``y`` (case-insensitive), else
        the only column left besides the input column.
    cif_col : str, optional
        Column of CIF texts; the inputs are then structures instead of formulas.
    parse : bool, default=False
        With ``cif_col``, parse the CIFs into pymatgen Structures (slow for big tables).
    as_frame : bool, default=False
        Return pandas objects for ``data``/``target``.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    sklearn.utils.Bunch or tuple
        ``data`` (formulas, CIF strings or Structures), ``target`` (float64), ``frame``
        (the whole table), ``feature_names``, ``target_names``, ``input_type``
        (``"formula"`` or ``"cif"``: which kind of column ``data`` came from), ``DESCR``;
        or ``(data, target)``.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        Empty file, missing column (the message lists the available ones), non-numeric or
        missing target (the message names the first bad row and value).
    ImportError
        Parquet without pyarrow/fastparquet.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "my.csv"
    >>> _ = p.write_text("Formula,band_gap\\nNaCl,5.0\\nGaAs,1.4\\n")
    >>> X, y = read_table(p, return_X_y=True)
    >>> X.tolist(), y.tolist()
    (['NaCl', 'GaAs'], [5.0, 1.4])
    """
    path = Path(path)
    frame = read_frame(path, text=(formula_col, cif_col))
    if frame.empty:
        raise ValueError(f"the file {path} has a header but no data rows")
    if cif_col is not None:
        input_col = pick_column(frame, cif_col, CIF_CANDIDATES, "CIF", path)
        role = "cif"
    else:
        input_col = pick_column(frame, formula_col, FORMULA_CANDIDATES, "formula", path)
        role = "formula"
        if input_col is None:
            input_col = pick_column(frame, None, CIF_CANDIDATES, "CIF", path)
            role = "cif"
        if input_col is None:
            raise ValueError(
                f"no formula column found in {path}: pass formula_col= or cif_col=; "
                f"available columns: {[str(c) for c in frame.columns]}"
            )
    tcol = pick_column(frame, target_col, TARGET_CANDIDATES, "target", path)
    if tcol is None:
        rest = [c for c in frame.columns if c != input_col]
        if len(rest) != 1:
            raise ValueError(
                f"cannot tell which column of {path} is the target: pass target_col=; "
                f"available columns: {[str(c) for c in frame.columns]}"
            )
        tcol = rest[0]
    inputs = frame[input_col]
    if inputs.isna().any():
        pos = int(np.flatnonzero(inputs.isna().to_numpy())[0])
        # a CIF cell spans lines: its row is no file line
        lines = None if role == "cif" else lines_of(path)
        raise ValueError(
            f"{role} column {input_col!r} in {path} has a missing value at {row_label(pos, lines)}"
        )
    target = check_target(frame[tcol], str(tcol), path, lines_of(path) if role != "cif" else None)
    if role == "cif" and parse:
        data: Any = [parse_structure(t, "cif") for t in inputs.astype(str)]
    elif as_frame:
        data = inputs.astype(str)
    else:
        data = inputs.astype(str).to_numpy(dtype=object)
    y: Any = pd.Series(target, index=frame.index, name=tcol) if as_frame else target
    if return_X_y:
        return data, y
    return Bunch(
        data=data,
        target=y,
        frame=frame,
        feature_names=[str(input_col)],
        target_names=[str(tcol)],
        input_type=role,
        DESCR=f"User table {path}: {role} column {input_col!r}, target column {tcol!r}, "
        f"{len(frame)} rows.",
    )


def read_cif_folder(
    path: str | os.PathLike[str], *, pattern: str = "*.cif", parse: bool = True
) -> Bunch:
    """Read every CIF file of a folder (sorted by name).

    Parameters
    ----------
    path : str or path-like
        Folder.
    pattern : str, optional
        Glob pattern of the files to read; ``"*.cif"`` by default.
    parse : bool, default=True
        Parse into pymatgen Structures; with ``False`` ``data`` holds the CIF texts.

    Returns
    -------
    sklearn.utils.Bunch
        ``data`` (Structures or CIF strings), ``ids`` (file stems), ``filenames``.

    Raises
    ------
    FileNotFoundError
        The folder does not exist.
    ValueError
        No file matches ``pattern``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> read_cif_folder(d)
    Traceback (most recent call last):
    ...
    ValueError: no files matching '*.cif' in ...
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    files = sorted(folder.glob(pattern))
    if not files:
        raise ValueError(f"no files matching {pattern!r} in {folder}")
    texts = [_read_structure_file(f, f.stem) for f in files]
    data = (
        [_parse_file(t, f, f.stem) for t, f in zip(texts, files, strict=True)] if parse else texts
    )
    return Bunch(
        data=data,
        ids=np.array([f.stem for f in files], dtype=object),
        filenames=[str(f) for f in files],
        DESCR=f"{len(files)} structure files from {folder} ({pattern}).",
    )


def _structure_path(folder: Path, ident: str) -> Path:
    # an id is a file name inside the folder: "/etc/hostname" or "../x" would read a file
    # elsewhere, named by whoever wrote id_prop.csv
    if Path(ident).is_absolute() or Path(ident).name != ident or ident in ("", ".", ".."):
        raise ValueError(
            f"id {ident!r} in {folder / 'id_prop.csv'} is not a file name inside {folder}; "
            "ids may not name folders or leave the dataset folder"
        )
    for suffix in _STRUCTURE_SUFFIXES:
        candidate = folder / f"{ident}{suffix}"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"no structure file for id {ident!r} in {folder} "
        f"(tried {', '.join(ident + s for s in _STRUCTURE_SUFFIXES)})"
    )


def load_id_prop_folder(
    path: str | os.PathLike[str],
    *,
    id_prop: str = "id_prop.csv",
    parse: bool = True,
    n_rows: int | None = None,
    errors: str = "raise",
) -> Bunch:
    """Load a folder in the CGCNN/ALIGNN convention: ``id_prop.csv`` plus structure files.

    ``id_prop.csv`` has no header; each row is ``id,target[,target2,...]``. The structure
    of ``id`` is the file ``id`` itself (ALIGNN: ``POSCAR-JVASP-10.vasp``) or ``id.cif``
    (CGCNN), ``id.vasp`` or ``id.poscar``. Files not listed in ``id_prop.csv`` are
    ignored. Ids are text (``NA`` is an id), and every line is a row, a blank one too.

    Parameters
    ----------
    path : str or path-like
        The folder.
    id_prop : str, default="id_prop.csv"
        Name of the id/target table inside the folder.
    parse : bool, default=True
        Parse into pymatgen Structures; with ``False`` ``data`` holds the file texts.
    n_rows : int, optional
        Read only the first ``n_rows`` rows of ``id_prop.csv``.
    errors : {"raise", "keep"}, default="raise"
        A row whose structure cannot be read (a blank line, an id without a file, a file
        that is not text or not a structure): ``"raise"`` stops with a message naming
        the id and the file; ``"keep"`` (for prediction) keeps the row, with None in
        ``data`` and the reason in ``errors``, and takes a target that is missing or not
        a number as NaN.

    Returns
    -------
    sklearn.utils.Bunch
        ``data`` (Structures or texts), ``target`` (float64, shape ``(n,)`` or ``(n, k)``
        for several target columns), ``ids``, ``filenames``, ``errors`` (row number: why
        the row's structure could not be read; empty unless ``errors="keep"``),
        ``DESCR``.

    Raises
    ------
    FileNotFoundError
        Missing folder, ``id_prop.csv`` or structure file (the message names it).
    ValueError
        Empty or non-numeric ``id_prop.csv``, an id that is not a plain file name inside
        the folder (``/etc/hostname``, ``../x``, ``sub/x``), or a structure file that
        cannot be read or parsed (the message names the id and the file).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> poscar = "Po\\n1.0\\n3.35 0 0\\n0 3.35 0\\n0 0 3.35\\nPo\\n1\\ndirect\\n0 0 0\\n"
    >>> _ = (d / "po.vasp").write_text(poscar)
    >>> _ = (d / "id_prop.csv").write_text("po.vasp,0.0\\n")
    >>> b = load_id_prop_folder(d)
    >>> b.ids.tolist(), b.target.tolist(), b.data[0].formula
    (['po.vasp'], [0.0], 'Po1')
    >>> _ = (d / "id_prop.csv").write_text("po.vasp,0.0\\nmissing,1.0\\n")
    >>> load_id_prop_folder(d, errors="keep").errors
    {1: "no structure file for id 'missing' in ... (tried missing.cif, missing.vasp, missing.poscar, missing)"}
    """
    if errors not in ("raise", "keep"):
        raise ValueError(f"errors must be 'raise' or 'keep', got {errors!r}")
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    table_path = folder / id_prop
    if not table_path.is_file():
        raise FileNotFoundError(f"no {id_prop} in {folder} (expected rows 'id,target')")
    if table_path.stat().st_size == 0:
        raise ValueError(f"the file {table_path} is empty")
    # ids are text ("NA" is an id), only an empty cell is missing, a blank line is a row
    with reading_csv(table_path, first="its first row (id,target)"):
        table = pd.read_csv(table_path, header=None, nrows=n_rows, dtype={0: str}, **CSV_OPTIONS)
    if table.shape[1] < 2:
        raise ValueError(f"{table_path} needs at least two columns (id, target)")
    if errors == "raise":
        columns = [
            check_target(table[c], f"column {c}", table_path, first_line=1)
            for c in table.columns[1:]
        ]
    else:
        columns = [
            pd.to_numeric(table[c], errors="coerce").to_numpy(float) for c in table.columns[1:]
        ]
    targets = np.column_stack(columns)
    ids = np.array([str(i).strip() for i in text_cells(table[0])], dtype=object)
    data: list[Any] = []
    filenames: list[str] = []
    failed: dict[int, str] = {}
    for row, ident in enumerate(ids):
        file = None
        try:
            if not ident:
                raise ValueError(f"line {row + 1} of {table_path} has no id")
            file = _structure_path(folder, ident)
            text = _read_structure_file(file, ident)
            data.append(_parse_file(text, file, ident) if parse else text)
        except (ValueError, OSError) as exc:  # FileNotFoundError is an OSError
            if errors == "raise":
                raise
            data.append(None)
            failed[row] = " ".join(str(exc).split())
        filenames.append("" if file is None else str(file))
    return Bunch(
        data=data,
        target=targets[:, 0] if targets.shape[1] == 1 else targets,
        ids=ids,
        filenames=filenames,
        errors=failed,
        DESCR=f"{len(ids)} labelled structures from {folder} ({id_prop}, CGCNN/ALIGNN layout).",
    )
