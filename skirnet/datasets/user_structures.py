"""Read a user's crystal structures: a table with a CIF column, a Matbench JSON file, a folder.

:func:`read_structures` accepts the three layouts materials scientists hold structures
in and returns the raw inputs (CIF text, pymatgen Structure dicts or Structures) that
:class:`~skirnet.featurizers.StructureFeaturizer` takes, with ids and the target.
:func:`is_structure_source` tells a structure source from a formula table, and
:func:`content_key` names a file or folder by its content (for caches).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from skirnet.datasets._tables import (
    CIF_CANDIDATES,
    FORMULA_CANDIDATES,
    TARGET_CANDIDATES,
    check_target,
    pick_column,
    read_frame,
)
from skirnet.datasets.readers import load_id_prop_folder

__all__ = ["content_key", "is_structure_source", "read_structures"]

#: Structure columns looked for by default: CIF text, or Structure dicts (Matbench).
_STRUCTURE_CANDIDATES = (*CIF_CANDIDATES, "structure")


def is_structure_source(path: str | os.PathLike[str], structure_col: str | None = None) -> bool:
    """Whether ``path`` holds crystal structures rather than formulas.

    A folder (``id_prop.csv`` layout), a given ``structure_col``, or a table or
    Matbench-style JSON file with a structure column (``cif``, ``structure``) and no
    formula column (``formula``, ``composition``, ...): Matbench's composition sets are
    JSON files of formulas.

    Examples
    --------
    >>> is_structure_source("x.csv", "cif")
    True
    """
    path = Path(path)
    if structure_col is not None or path.is_dir():
        return True
    if not path.is_file():
        return False
    frame = read_frame(path).head(0)
    has_formula = pick_column(frame, None, FORMULA_CANDIDATES, "formula", path) is not None
    found = pick_column(frame, None, _STRUCTURE_CANDIDATES, "structure", path)
    return not has_formula and found is not None


def read_structures(
    path: str | os.PathLike[str],
    *,
    structure_col: str | None = None,
    target_col: str | None = None,
    target: bool = True,
) -> Bunch:
    """Read crystal structures (and a numeric target) from a file or a folder.

    Parameters
    ----------
    path : str or path-like
        A CSV/Parquet table with a column of CIF texts; a Matbench-style JSON file
        (``.json`` or ``.json.gz``: pymatgen Structure dicts in a ``structure`` column);
        or a folder in the CGCNN/ALIGNN layout (``id_prop.csv`` plus CIF/POSCAR files).
    structure_col : str, optional
        The column of structures (default: ``cif`` or ``structure``, case-insensitive).
    target_col : str, optional
        The numeric target column (default: ``target`` or ``y``, else the only other
        numeric column); ignored for folders (the second column of ``id_prop.csv``).
    target : bool, default=True
        Read a target; ``False`` for prediction (``target`` is then None). For
        prediction a row whose structure cannot be read (an empty cell, a blank line, a
        missing or unreadable file of a folder) is kept, with None in ``data`` and the
        reason in ``errors``; with a target it stops the read.

    Returns
    -------
    sklearn.utils.Bunch
        ``data`` (list of CIF strings, Structure dicts or Structures), ``target``
        (float64 array or None), ``ids`` (array of str), ``structure_col`` and
        ``target_col`` (the columns used; None for a folder), ``errors`` (row number:
        why its structure could not be read; only for prediction).

    Raises
    ------
    ValueError
        Missing or ambiguous column (the message lists the columns), a non-numeric
        target naming its row, an unreadable JSON file, a structure file that cannot be
        read or parsed (naming its id and file; with a target only).
    FileNotFoundError
        ``path`` does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from pymatgen.core import Lattice, Structure
    >>> cif = Structure(Lattice.cubic(4.12), ["Cs", "Cl"], [[0, 0, 0], [0.5] * 3]).to(fmt="cif")
    >>> table = pathlib.Path(tempfile.mkdtemp()) / "crystals.csv"
    >>> pd.DataFrame({"cif": [cif], "e_form": [-2.1]}).to_csv(table, index=False)
    >>> bunch = read_structures(table, target_col="e_form")
    >>> bunch.structure_col, bunch.target.tolist(), bunch.ids.tolist()
    ('cif', [-2.1], ['0'])
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    if path.is_dir():
        bunch = load_id_prop_folder(path, parse=True, errors="raise" if target else "keep")
        y = np.asarray(bunch.target, dtype=np.float64)
        if target and y.ndim != 1:
            raise ValueError(f"{path}/id_prop.csv has several target columns; keep one")
        return Bunch(
            data=list(bunch.data),
            target=y if target else None,
            ids=np.asarray(bunch.ids, dtype=str),
            structure_col=None,
            target_col=None,
            errors=bunch.errors,
        )
    frame = read_frame(path, text=(structure_col,))
    scol = input_column(
        frame,
        structure_col,
        _STRUCTURE_CANDIDATES,
        "structure",
        path,
        "structure_col= (the column of CIF texts or structure dicts)",
    )
    missing = frame[scol].isna().to_numpy()
    if missing.any() and target:
        pos = int(np.flatnonzero(missing)[0])
        raise ValueError(f"structure column {scol!r} in {path} has a missing value at row {pos}")
    # for prediction, an empty cell (or a blank line) is a row without a structure
    failed = {int(pos): "no structure (an empty cell)" for pos in np.flatnonzero(missing)}
    y, tcol = None, None
    if target:
        tcol = pick_column(frame, target_col, TARGET_CANDIDATES, "target", path)
        if tcol is None:
            numeric = [
                c for c in frame.columns if c != scol and pd.api.types.is_numeric_dtype(frame[c])
            ]
            if len(numeric) != 1:
                raise ValueError(
                    f"cannot tell which column of {path} is the target: pass target_col=; "
                    "available "
                    f"columns: {[str(c) for c in frame.columns]}"
                )
            tcol = numeric[0]
        y = check_target(frame[tcol], str(tcol), path, first_line=None)  # CIFs span lines
    return Bunch(
        data=[None if pos in failed else v for pos, v in enumerate(frame[scol].tolist())],
        target=y,
        ids=np.asarray([str(i) for i in frame.index], dtype=str),
        structure_col=str(scol),
        target_col=None if tcol is None else str(tcol),
        errors=failed,
    )


def input_column(
    frame: pd.DataFrame,
    wanted: str | None,
    candidates: tuple[str, ...],
    role: str,
    path: Path,
    what: str,
) -> str:
    """The column of inputs (given, or the first candidate present); clear errors else."""
    if frame.empty:
        raise ValueError(f"the file {path} has a header but no data rows")
    column = pick_column(frame, wanted, candidates, role, path)
    if column is None:
        raise ValueError(
            f"no {role} column found in {path}: pass {what}; available columns: "
            f"{[str(c) for c in frame.columns]}"
        )
    return column


def content_key(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, or of every file of a folder (names and bytes).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_text("x")
    >>> content_key(p)[:12]
    '2d711642b726'
    """
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode() + b"\0")
        with open(file, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
