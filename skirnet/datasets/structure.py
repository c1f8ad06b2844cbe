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

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from skirnet.datasets._base import find_data_file, get_data_home
from skirnet.datasets._download import PinnedFile, download_file
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
    if path is not None:
        return path
    home = get_data_home(data_home)
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
        Unknown name or target.
    FileNotFoundError
        The file is missing locally and cannot be downloaded.

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
        table = pd.read_csv(path, nrows=n_rows, dtype={"material_id": str, "cif": str})
        raw: list[Any] = table["cif"].tolist()
        frame = table.drop(columns="cif")
        ids = table["material_id"].to_numpy(dtype=object)
        data = [parse_structure(c, "cif") for c in raw] if parse else raw
    elif name == "matbench_phonons":
        tcol = "last phdos peak"
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            payload = json.load(fh)
        rows = payload["data"][:n_rows] if n_rows is not None else payload["data"]
        index = payload["index"][: len(rows)]
        col = payload["columns"].index("structure")
        tpos = payload["columns"].index(tcol)
        raw = [r[col] for r in rows]
        frame = pd.DataFrame({"id": index, tcol: [r[tpos] for r in rows]})
        ids = np.asarray(index, dtype=object)
        if parse:
            from pymatgen.core import Structure

            data = [Structure.from_dict(d) for d in raw]
        else:
            data = raw
    else:
        tcol = "optb88vdw_bandgap"
        bunch = load_id_prop_folder(path, parse=parse, n_rows=n_rows)
        data, ids = bunch.data, bunch.ids
        frame = pd.DataFrame({"id": ids, tcol: bunch.target})
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
