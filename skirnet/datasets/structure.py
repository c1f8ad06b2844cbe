"""Crystal-structure datasets (structure -> property).

* ``"mp_2018"`` — 36,737 Materials Project structures (CIF text) with formation energy,
  band gap, Fermi energy, cell volume and magnetization (MEGNet/CGCNN ``mp_2018`` data of
  the MIT-licensed kdmsit/MEGNet repository, converted to one gzip CSV). Local only.
* ``"matbench_phonons"`` — the official Matbench v0.1 file (1,265 pymatgen Structure
  dicts, target ``last phdos peak`` in cm⁻¹); downloadable from Matbench's published URL,
  pinned by the SHA-256 that matminer's dataset metadata lists for it.
* ``"jarvis_sample"`` — 50 labelled POSCARs (OptB88vdW band gap, eV) from
  usnistgov/alignn's example folder, in the CGCNN/ALIGNN layout. Local only.

Parsing tens of thousands of CIFs takes minutes, so :func:`load_structure_dataset` can
return the raw CIF strings / structure dicts (``parse=False``) and read only the first
``n_rows`` rows; :func:`parse_structure` turns one of them into a Structure on demand.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from skirnet._warnings import warn_at_caller
from skirnet.datasets._base import find_data_file, get_data_home
from skirnet.datasets._download import PinnedFile, download_file, sha256_file
from skirnet.datasets._tables import CSV_OPTIONS, csv_header, matbench_payload, reading_csv
from skirnet.datasets.composition import MATBENCH_CITATION, MP_CITATION
from skirnet.datasets.readers import load_id_prop_folder, parse_structure

__all__ = [
    "load_structure_dataset",
]

MATBENCH_PHONONS = PinnedFile(
    url="https://ml.materialsproject.org/projects/matbench_phonons.json.gz",
    # as listed in matminer's datasets/dataset_metadata.json for matbench_phonons
    sha256="4db551f21ec5f577e6202725f10e34dfc509aa7df3a6bdaac497da7f6dbbb9b3",
)

MP_2018_TARGETS = ("e_form", "band_gap", "efermi", "volume", "magmom")
_PHONONS_TARGET = "last phdos peak"


@dataclass(frozen=True)
class StructureDataset:
    """Metadata of one structure dataset.

    Parameters
    ----------
    name : str
        skirnet's name.
    relpath : str
        File or folder relative to the data root.
    n_rows : int
        Number of labelled structures.
    remote : PinnedFile or None
        Pinned download source, or None when the set is local only.
    description : str
        Provenance, licence and citation.

    Examples
    --------
    >>> STRUCTURE_DATASETS["mp_2018"].n_rows
    36737
    """

    name: str
    relpath: str
    n_rows: int
    remote: PinnedFile | None
    description: str


STRUCTURE_DATASETS: dict[str, StructureDataset] = {
    "mp_2018": StructureDataset(
        name="mp_2018",
        relpath="structure/mp_2018_36737.csv.gz",
        n_rows=36737,
        remote=None,
        description=(
            "Materials Project structures (2018 snapshot, CIF text) with material_id, e_form "
            "(formation energy, eV/atom), band_gap (PBE, eV), efermi (eV), volume (cell "
            "volume, Å³) and magmom (total magnetization, μB). From the data folder of the "
            "MIT-licensed kdmsit/MEGNet repository (CGCNN format, converted to one CSV). A "
            "few e_form values are extreme (min -13.6 eV/atom); 2 efermi are missing. "
            f"Licence: Materials Project data, CC-BY 4.0. Cite: {MP_CITATION} Chen, C. et "
            "al. Graph networks as a universal machine learning framework for molecules "
            "and crystals. Chem. Mater. 31, 3564 (2019)."
        ),
    ),
    "matbench_phonons": StructureDataset(
        name="matbench_phonons",
        relpath="structure/matbench_phonons.json.gz",
        n_rows=1265,
        remote=MATBENCH_PHONONS,
        description=(
            "Matbench v0.1 matbench_phonons: frequency of the highest optical phonon peak "
            "('last phdos peak', cm^-1) of 1,265 structures, computed with DFPT (Petretto "
            f"et al., Sci. Data 5, 180065 (2018)). File {MATBENCH_PHONONS.url} (sha256 "
            f"{MATBENCH_PHONONS.sha256}). Licence: Matbench is MIT-licensed; data CC-BY 4.0. "
            f"Cite: {MATBENCH_CITATION} No split: Matbench uses KFold(n_splits=5, "
            "shuffle=True, random_state=18012019)."
        ),
    ),
    "jarvis_sample": StructureDataset(
        name="jarvis_sample",
        relpath="structure/jarvis_sample_poscar",
        n_rows=50,
        remote=None,
        description=(
            "50 JARVIS-DFT structures (POSCAR) with their OptB88vdW band gap (eV), from the "
            "example data of usnistgov/alignn (NIST), in the CGCNN/ALIGNN id_prop.csv "
            "layout. Cite: Choudhary, K. et al. npj Comput. Mater. 6, 173 (2020)."
        ),
    ),
}


def _locate(
    meta: StructureDataset, data_home: str | os.PathLike[str] | None, download: bool
) -> Path:
    path = find_data_file(meta.relpath, data_home)
    home = get_data_home(data_home)
    if path is not None:
        return _verified(meta, path, home, download)
    if meta.remote is None:
        raise FileNotFoundError(
            f"{meta.name} has no checksum-pinned download source, so skirnet cannot fetch "
            f"it. Put {meta.relpath} under {home} or set SKIRNET_SHARED_DATA to a folder "
            "that holds it."
        )
    if not download:
        raise FileNotFoundError(
            f"{meta.name}: {meta.relpath} is neither in SKIRNET_SHARED_DATA nor in the data "
            f"home {home}, and download=False."
        )
    return download_file(meta.remote.url, home / meta.relpath, meta.remote.sha256, progress=True)


def _verified(meta: StructureDataset, path: Path, home: Path, download: bool) -> Path:
    """``path`` if it is the pinned file; a damaged copy in the data home is downloaded again.

    A file that skirnet downloaded is checked against its pinned SHA-256 before each use
    (the phonons file hashes in milliseconds). One that differs (truncated, corrupt) is
    downloaded again, with a warning, when it is in the data home and ``download`` allows;
    anywhere else it raises, naming the file.
    """
    remote = meta.remote
    if remote is None or path.is_dir():
        return path  # local-only sets have nothing pinned to check against
    actual = sha256_file(path)
    if actual == remote.sha256:
        return path
    problem = (
        f"{path} is damaged: its SHA-256 is {actual}, the pinned {meta.name} file's "
        f"{remote.sha256}"
    )
    if download and path == home / meta.relpath:
        warn_at_caller(f"{problem}; downloading it again")
        return download_file(remote.url, path, remote.sha256, progress=True)
    raise ValueError(f"{problem}; delete it or replace it with the published file")


def _read_mp_2018(path: Path, n_rows: int | None) -> pd.DataFrame:
    """The mp_2018 table, read whole or its first ``n_rows``; damage named, never short."""
    names = csv_header(path)
    missing = sorted({"material_id", "cif", *MP_2018_TARGETS} - set(names))
    if missing:
        raise ValueError(f"{path} lacks column(s) {missing}; has {names}")
    with reading_csv(path):
        table = pd.read_csv(
            path, nrows=n_rows, dtype={"material_id": str, "cif": str}, **CSV_OPTIONS
        )
    for column in ("material_id", "cif"):
        empty = table[column].isna().to_numpy()
        if empty.any():
            raise ValueError(
                f"{path} has an empty {column} at data row {int(np.flatnonzero(empty)[0])}"
            )
    return table


def _read_phonons(path: Path, n_rows: int | None) -> tuple[list[Any], list[Any], list[Any]]:
    """Ids, structure dicts and targets of the Matbench phonons file; damage named."""
    payload = matbench_payload(path)  # truncated or corrupt gzip, bad JSON: named
    columns = payload["columns"]
    missing = sorted({"structure", _PHONONS_TARGET} - set(columns))
    index = payload.get("index")
    rows = payload["data"]
    if missing:
        raise ValueError(f"{path} lacks column(s) {missing}; has {columns}")
    if not isinstance(index, list) or len(index) != len(rows):
        raise ValueError(f"{path}: 'index' must be a list as long as 'data' ({len(rows)})")
    if any(not isinstance(row, list) or len(row) != len(columns) for row in rows):
        raise ValueError(f"{path}: every row of 'data' must hold {len(columns)} values")
    rows = rows[:n_rows] if n_rows is not None else rows
    structure, target = columns.index("structure"), columns.index(_PHONONS_TARGET)
    return index[: len(rows)], [r[structure] for r in rows], [r[target] for r in rows]


def load_structure_dataset(
    name: str,
    *,
    target: str | None = None,
    parse: bool = True,
    n_rows: int | None = None,
    data_home: str | os.PathLike[str] | None = None,
    download: bool = True,
    as_frame: bool = False,
    return_X_y: bool = False,
) -> Bunch | tuple[Any, Any]:
    """Load a crystal-structure dataset.

    Parameters
    ----------
    name : {"mp_2018", "matbench_phonons", "jarvis_sample"}
        Dataset; see the module docstring for provenance.
    target : str, optional
        For ``mp_2018`` the target column, one of ``e_form`` (default), ``band_gap``,
        ``efermi``, ``volume``, ``magmom``; ignored by the single-target sets.
    parse : bool, default=True
        Parse into pymatgen ``Structure`` objects. With ``False``, ``data`` holds CIF
        strings (``mp_2018``), Structure dicts (``matbench_phonons``) or POSCAR strings
        (``jarvis_sample``); parse any of them later with
        :func:`skirnet.datasets.parse_structure` (``Structure.from_dict`` for dicts).
        Parsing all 36,737 CIFs of ``mp_2018`` takes minutes.
    n_rows : int, optional
        Read only the first ``n_rows`` entries.
    data_home : str or path-like, optional
        Data home; see :func:`skirnet.datasets.get_data_home`.
    download : bool, default=True
        Download ``matbench_phonons`` (pinned URL and SHA-256) when missing locally; the
        other sets are local only.
    as_frame : bool, default=False
        Also return ``frame``, a DataFrame of ids and every numeric column (without the
        structures), and give ``target`` as a Series.
    return_X_y : bool, default=False
        Return ``(data, target)``.

    Returns
    -------
    sklearn.utils.Bunch or tuple
        ``data`` (list of Structures, or raw strings/dicts), ``target`` (float64, may hold
        NaN for ``efermi``), ``ids``, ``frame`` (or None), ``target_names``, ``name``,
        ``DESCR``; or ``(data, target)``.

    Raises
    ------
    ValueError
        Unknown name or target; a file that cannot be read whole (truncated or corrupt
        gzip, bad JSON, missing columns, an empty id or CIF), or a ``matbench_phonons``
        file whose SHA-256 is not the pinned one: the one-line message names the file.
        A damaged ``matbench_phonons`` file in the data home is instead downloaded
        again, with a warning (``download=True``).
    FileNotFoundError
        The file is missing locally and cannot be downloaded.

    Warns
    -----
    UserWarning
        A whole file holds another number of rows than the published set, or a damaged
        download is being downloaded again.

    Examples
    --------
    >>> ds = load_structure_dataset("mp_2018", n_rows=5, parse=False)  # doctest: +SKIP
    >>> ds.data[0].splitlines()[1], ds.ids[0]  # doctest: +SKIP
    ('data_Cs', 'mp-1')
    """
    if name not in STRUCTURE_DATASETS:
        raise ValueError(
            f"unknown structure dataset {name!r}; available: {', '.join(STRUCTURE_DATASETS)}"
        )
    meta = STRUCTURE_DATASETS[name]
    path = _locate(meta, data_home, download)
    if name == "mp_2018":
        tcol = target or "e_form"
        if tcol not in MP_2018_TARGETS:
            raise ValueError(f"target must be one of {MP_2018_TARGETS}, got {target!r}")
        table = _read_mp_2018(path, n_rows)
        raw: list[Any] = table["cif"].tolist()
        frame = table.drop(columns="cif")
        ids = table["material_id"].to_numpy(dtype=object)
        data = [parse_structure(c, "cif") for c in raw] if parse else raw
    elif name == "matbench_phonons":
        tcol = _PHONONS_TARGET
        index, raw, values = _read_phonons(path, n_rows)
        frame = pd.DataFrame({"id": index, tcol: values})
        ids = np.asarray(index, dtype=object)
        # parse_structure refuses dicts that name modules outside pymatgen
        data = [parse_structure(d) for d in raw] if parse else raw
    else:
        tcol = "optb88vdw_bandgap"
        bunch = load_id_prop_folder(path, parse=parse, n_rows=n_rows)
        data, ids = bunch.data, bunch.ids
        frame = pd.DataFrame({"id": ids, tcol: bunch.target})
    if n_rows is None and len(ids) != meta.n_rows:
        warn_at_caller(
            f"{path} holds {len(ids)} rows; the published {meta.name} has {meta.n_rows}"
        )
    y = frame[tcol].astype(np.float64)
    target_out: Any = y.reset_index(drop=True) if as_frame else y.to_numpy()
    if return_X_y:
        return data, target_out
    return Bunch(
        data=data,
        target=target_out,
        ids=ids,
        frame=frame.reset_index(drop=True) if as_frame else None,
        target_names=[tcol],
        name=name,
        DESCR=f"{meta.name} ({len(ids)} of {meta.n_rows} rows loaded). {meta.description}",
    )
