"""Composition-only regression datasets (chemical formula -> property).

The sets are those of the CrabNet benchmark (Wang et al., npj Comput. Mater. 7:77, 2021)
with its published train/val/test splits, three Matbench composition tasks, and the
JARVIS/experimental sets of NU-CUCIS/CrossPropertyTL (Gupta et al., Nat. Commun. 12:6595,
2021) used by the IRNet authors. See :func:`list_datasets`.

Files are looked up in the shared data folder (``SKIRNET_SHARED_DATA``), then in the data
home (see :func:`skirnet.datasets.get_data_home`). The CrabNet and Matbench sets are
otherwise downloaded from the ``crabnet`` 2.0.8 wheel on PyPI (pinned by SHA-256) and
extracted into the data home; the CrossPropertyTL sets have no checksum-pinned source and
are available only from a local folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from skirnet._warnings import warn_at_caller
from skirnet.datasets._base import find_data_file, get_data_home
from skirnet.datasets._citations import (
    AFLOW_CITATION,
    CRABNET_CITATION,
    CROSSPROPERTY_CITATION,
    JARVIS_CITATION,
    MATBENCH_CITATION,
    MP_CITATION,
    OQMD_CITATION,
)
from skirnet.datasets._download import CRABNET_WHEEL, extract_members, fetch_crabnet_wheel
from skirnet.datasets._tables import CSV_OPTIONS, check_target, csv_header, reading_csv, row_label

__all__ = [
    "fetch_oqmd_bandgap",
    "fetch_oqmd_energy_per_atom",
    "fetch_oqmd_formation_enthalpy",
    "fetch_oqmd_volume_per_atom",
    "list_datasets",
    "load_composition_dataset",
    "load_oqmd_sample",
]

_SOURCE_CRABNET = "crabnet"
_SOURCE_CROSSPROPERTY = "crossproperty"


@dataclass(frozen=True)
class CompositionDataset:
    """Metadata of one composition dataset.

    Parameters
    ----------
    name : str
        skirnet's name for the set (``list_datasets()`` keys).
    description : str
        Property measured or computed.
    unit : str
        Unit of the target.
    splits : tuple of str
        Published splits, e.g. ``("train", "val", "test")``; ``()`` for single-file sets.
    sizes : dict
        Expected row count per split (``"all"`` for single-file sets).
    relpath : str
        Folder (or, for single-file sets, file stem) relative to the data root.
    source : str
        ``"crabnet"`` (downloadable, pinned) or ``"crossproperty"`` (local only).
    wheel_member : str
        Folder (or file stem) inside the crabnet wheel, empty for local-only sets.
    licence : str
        Licence of the values.
    citation : str
        References to cite.

    Examples
    --------
    >>> DATASETS["oqmd_bandgap"].unit
    'eV'
    """

    name: str
    description: str
    unit: str
    splits: tuple[str, ...]
    sizes: dict[str, int]
    relpath: str
    source: str
    wheel_member: str
    licence: str
    citation: str

    @property
    def single_file(self) -> bool:
        """Whether the set ships as one file without a published split."""
        return not self.splits


def _crab(name, description, unit, sizes, member, licence, citation):
    return CompositionDataset(
        name=name,
        description=description,
        unit=unit,
        splits=("train", "val", "test"),
        sizes=dict(zip(("train", "val", "test"), sizes, strict=True)),
        relpath=f"composition/{name}",
        source=_SOURCE_CRABNET,
        wheel_member=f"crabnet/data/benchmark_data/{member}",
        licence=licence,
        citation=f"{citation} Split: {CRABNET_CITATION}",
    )


def _matbench(task, description, unit, n, citation):
    return CompositionDataset(
        name=f"matbench_{task}",
        description=description,
        unit=unit,
        splits=(),
        sizes={"all": n},
        relpath=f"composition/matbench/{task}",
        source=_SOURCE_CRABNET,
        wheel_member=f"crabnet/data/matbench/{task}",
        licence="Matbench v0.1 (MIT-licensed benchmark; values from the cited sources)",
        citation=f"{MATBENCH_CITATION} {citation}",
    )


def _cpt(name, description, unit, sizes, citation):
    return CompositionDataset(
        name=name,
        description=description,
        unit=unit,
        splits=("train", "test"),
        sizes=dict(zip(("train", "test"), sizes, strict=True)),
        relpath=f"composition/{name}",
        source=_SOURCE_CROSSPROPERTY,
        wheel_member="",
        licence="JARVIS-DFT (NIST, public domain) / experimental compilations",
        citation=f"{citation} Split: {CROSSPROPERTY_CITATION}",
    )


_OQMD = ("CC-BY 4.0", OQMD_CITATION)
_AFLOW = ("AFLOW terms of use (free for research; cite AFLOW)", AFLOW_CITATION)
_MP = ("CC-BY 4.0 (Materials Project)", MP_CITATION)

DATASETS: dict[str, CompositionDataset] = {
    d.name: d
    for d in [
        _crab(
            "oqmd_formation_enthalpy",
            "DFT formation enthalpy",
            "eV/atom",
            (239190, 51255, 51255),
            "OQMD_Formation_Enthalpy",
            *_OQMD,
        ),
        _crab(
            "oqmd_bandgap", "DFT band gap", "eV", (239125, 51241, 51242), "OQMD_Bandgap", *_OQMD
        ),
        _crab(
            "oqmd_energy_per_atom",
            "DFT total energy",
            "eV/atom",
            (239190, 51255, 51255),
            "OQMD_Energy_per_atom",
            *_OQMD,
        ),
        _crab(
            "oqmd_volume_per_atom",
            "relaxed volume",
            "Å³/atom",
            (239190, 51255, 51255),
            "OQMD_Volume_per_atom",
            *_OQMD,
        ),
        _crab("aflow_egap", "band gap", "eV", (19330, 4125, 4122), "aflow__Egap", *_AFLOW),
        _crab(
            "aflow_energy_atom",
            "energy",
            "eV/atom",
            (19346, 4118, 4115),
            "aflow__energy_atom",
            *_AFLOW,
        ),
        _crab(
            "aflow_ael_bulk_modulus_vrh",
            "bulk modulus (AEL, VRH)",
            "GPa",
            (3428, 732, 736),
            "aflow__ael_bulk_modulus_vrh",
            *_AFLOW,
        ),
        _crab(
            "aflow_ael_shear_modulus_vrh",
            "shear modulus (AEL, VRH)",
            "GPa",
            (3428, 732, 736),
            "aflow__ael_shear_modulus_vrh",
            *_AFLOW,
        ),
        _crab(
            "aflow_ael_debye_temperature",
            "Debye temperature (AEL)",
            "K",
            (3428, 732, 736),
            "aflow__ael_debye_temperature",
            *_AFLOW,
        ),
        _crab(
            "aflow_agl_thermal_conductivity_300k",
            "thermal conductivity at 300 K (AGL)",
            "W/m/K",
            (3422, 733, 732),
            "aflow__agl_thermal_conductivity_300K",
            *_AFLOW,
        ),
        _crab(
            "aflow_agl_thermal_expansion_300k",
            "thermal expansion at 300 K (AGL)",
            "1/K",
            (3421, 733, 732),
            "aflow__agl_thermal_expansion_300K",
            *_AFLOW,
        ),
        _crab("mp_e_hull", "energy above hull", "eV/atom", (39663, 8499, 8500), "mp_e_hull", *_MP),
        _crab("mp_mu_b", "magnetic moment", "μB", (39663, 8499, 8500), "mp_mu_b", *_MP),
        _crab("mp_bulk_modulus", "bulk modulus", "GPa", (4414, 946, 947), "mp_bulk_modulus", *_MP),
        _crab(
            "mp_shear_modulus", "shear modulus", "GPa", (4328, 928, 928), "mp_shear_modulus", *_MP
        ),
        _crab(
            "mp_elastic_anisotropy",
            "elastic anisotropy",
            "-",
            (4431, 950, 950),
            "mp_elastic_anisotropy",
            *_MP,
        ),
        _matbench(
            "mp_e_form", "DFT formation energy (Materials Project)", "eV/atom", 132752, MP_CITATION
        ),
        _matbench(
            "expt_gap",
            "experimental band gap",
            "eV",
            4604,
            "Zhuo, Y., Mansouri Tehrani, A. & Brgoch, J. J. Phys. Chem. Lett. 9, "
            "1668-1673 (2018).",
        ),
        _matbench(
            "jdft2d", "exfoliation energy (JARVIS-DFT 2D)", "meV/atom", 636, JARVIS_CITATION
        ),
        _cpt(
            "jarvis_formation_energy",
            "JARVIS-DFT formation energy",
            "eV/atom",
            (25297, 2811),
            JARVIS_CITATION,
        ),
        _cpt(
            "jarvis_optb88vdw_bandgap",
            "JARVIS-DFT OptB88vdW band gap",
            "eV",
            (25339, 2816),
            JARVIS_CITATION,
        ),
        _cpt(
            "jarvis_mbj_bandgap", "JARVIS-DFT TBmBJ band gap", "eV", (6566, 730), JARVIS_CITATION
        ),
        _cpt(
            "jarvis_bulk_modulus_kv",
            "JARVIS-DFT Voigt bulk modulus",
            "GPa",
            (9668, 1075),
            JARVIS_CITATION,
        ),
        _cpt(
            "jarvis_shear_modulus_gv",
            "JARVIS-DFT Voigt shear modulus",
            "GPa",
            (9188, 1021),
            JARVIS_CITATION,
        ),
        _cpt(
            "jarvis_ehull",
            "JARVIS-DFT energy above hull",
            "eV/atom",
            (24567, 2730),
            JARVIS_CITATION,
        ),
        _cpt(
            "expt_formation_enthalpy",
            "experimental formation enthalpy",
            "eV/atom",
            (1479, 164),
            "Experimental compilation (Kim et al. / SSUB), see CrossPropertyTL.",
        ),
        _cpt(
            "expt_bandgap_jarvis",
            "experimental band gap",
            "eV",
            (4428, 492),
            "Experimental band gaps (Zhuo et al. 2018), see CrossPropertyTL.",
        ),
    ]
}

# The Matbench names as written in the shared data README ("matbench/mp_e_form").
_ALIASES = {
    f"matbench/{d.relpath.rsplit('/', 1)[-1]}": d.name for d in DATASETS.values() if d.single_file
}


def list_datasets() -> pd.DataFrame:
    """List the composition datasets with their property, unit, splits and sizes.

    Returns
    -------
    pandas.DataFrame
        One row per dataset (index: name) with columns ``description``, ``unit``,
        ``splits`` (e.g. ``"train/val/test"``; ``"-"`` for single-file Matbench tasks),
        ``n_train``, ``n_val``, ``n_test``, ``n_total`` and ``downloadable`` (whether a
        checksum-pinned remote source exists).

    Examples
    --------
    >>> table = list_datasets()
    >>> int(table.loc["oqmd_bandgap", "n_test"])
    51242
    >>> bool(table.loc["jarvis_ehull", "downloadable"])
    False
    """
    rows = []
    for d in DATASETS.values():
        rows.append(
            {
                "name": d.name,
                "description": d.description,
                "unit": d.unit,
                "splits": "/".join(d.splits) if d.splits else "-",
                "n_train": d.sizes.get("train", pd.NA),
                "n_val": d.sizes.get("val", pd.NA),
                "n_test": d.sizes.get("test", pd.NA),
                "n_total": sum(d.sizes.values()),
                "downloadable": d.source == _SOURCE_CRABNET,
            }
        )
    table = pd.DataFrame(rows).set_index("name")
    for col in ("n_train", "n_val", "n_test"):
        table[col] = table[col].astype("Int64")
    return table


def _get_meta(name: str) -> CompositionDataset:
    key = _ALIASES.get(name, name)
    if key not in DATASETS:
        raise ValueError(f"unknown composition dataset {name!r}; available: {', '.join(DATASETS)}")
    return DATASETS[key]


def _check_split(meta: CompositionDataset, split: str | None) -> list[str]:
    """Return the file keys to read for ``split``."""
    if split is None or split == "all":
        return list(meta.splits) if meta.splits else ["all"]
    if meta.single_file:
        raise ValueError(
            f"{meta.name} has no published split (it is a single Matbench file); use "
            "split=None and cross-validate with KFold(n_splits=5, shuffle=True, "
            "random_state=18012019), as Matbench does."
        )
    if split not in meta.splits:
        raise ValueError(
            f"{meta.name} has no {split!r} split; its splits are {', '.join(meta.splits)} "
            "(or 'all')."
        )
    return [split]


def _relfile(meta: CompositionDataset, key: str) -> str:
    return f"{meta.relpath}.csv.gz" if meta.single_file else f"{meta.relpath}/{key}.csv.gz"


def _download(meta: CompositionDataset, data_home: str | os.PathLike[str] | None) -> None:
    """Extract all files of ``meta`` from the (downloaded) crabnet wheel into the data home."""
    home = get_data_home(data_home)
    if meta.source != _SOURCE_CRABNET:
        raise FileNotFoundError(
            f"{meta.name} (from NU-CUCIS/CrossPropertyTL) has no checksum-pinned download "
            f"source, so skirnet cannot fetch it. Put its files ({', '.join(meta.splits)} as "
            f"<split>.csv.gz with columns formula,target) under {home / meta.relpath}, or "
            "set SKIRNET_SHARED_DATA to a folder that holds them."
        )
    wheel = fetch_crabnet_wheel(home)
    if meta.single_file:
        members = {f"{meta.wheel_member}.csv": home / _relfile(meta, "all")}
    else:
        members = {f"{meta.wheel_member}/{s}.csv": home / _relfile(meta, s) for s in meta.splits}
    extract_members(wheel, members, compress=True)


def _locate(
    meta: CompositionDataset,
    key: str,
    data_home: str | os.PathLike[str] | None,
    download: bool,
) -> os.PathLike[str]:
    rel = _relfile(meta, key)
    path = find_data_file(rel, data_home)
    if path is not None:
        return path
    if not download:
        raise FileNotFoundError(
            f"{meta.name}: {rel} is neither in the shared data folder (SKIRNET_SHARED_DATA) "
            f"nor in the data home {get_data_home(data_home)}, and download=False."
        )
    _download(meta, data_home)
    return get_data_home(data_home) / rel


def _read_csv(path: os.PathLike[str]) -> pd.DataFrame:
    """A dataset file's ``formula`` and ``target`` columns, every row of it, checked.

    Read as every formula table is (:data:`~skirnet.datasets._tables.CSV_OPTIONS`):
    formulas are text (``NaN`` is sodium nitride), only an empty cell is missing, a blank
    line is a row. A damaged file (truncated or corrupt gzip, not UTF-8), a missing
    column, a missing formula or a missing or non-numeric target raises a one-line
    ValueError naming the file (and the row), never a frame short of rows.
    """
    path = Path(path)
    header = csv_header(path)  # empty file, blank first line, duplicate names: named
    missing = {"formula", "target"} - set(header)
    if missing:
        raise ValueError(f"{path} lacks column(s) {sorted(missing)}; has {header}")
    with reading_csv(path):
        frame = pd.read_csv(path, dtype={"formula": str}, **CSV_OPTIONS)
    formulas = frame["formula"]
    if formulas.isna().any():
        pos = int(np.flatnonzero(formulas.isna().to_numpy())[0])
        raise ValueError(f"{path} has an empty formula at {row_label(pos, 2)}")
    target = check_target(frame["target"], "target", path)
    return pd.DataFrame({"formula": formulas, "target": target})


def _read_part(
    meta: CompositionDataset,
    key: str,
    data_home: str | os.PathLike[str] | None,
    download: bool,
) -> pd.DataFrame:
    """One file of a set, read; a damaged copy in the data home is extracted again.

    A file that skirnet extracted into the data home from the pinned wheel and that can
    no longer be read (truncated, corrupt) is a damaged cache: with ``download=True`` it
    is extracted again, with a warning naming it. A damaged file elsewhere (the shared
    folder, a local-only set) raises the reader's error, which names it. A file of
    another length than the published split only warns: results on it are not
    comparable with published ones.
    """
    path = Path(_locate(meta, key, data_home, download))
    try:
        frame = _read_csv(path)
    except ValueError as exc:
        cached = get_data_home(data_home) / _relfile(meta, key)
        if not (download and meta.source == _SOURCE_CRABNET and path == cached):
            raise
        warn_at_caller(f"{exc}; extracting it again from the {CRABNET_WHEEL.filename} wheel")
        _download(meta, data_home)
        frame = _read_csv(cached)
    expected = meta.sizes.get(key)
    if expected is not None and len(frame) != expected:
        published = meta.name if meta.single_file else f"{meta.name} {key} split"
        warn_at_caller(f"{path} holds {len(frame)} rows; the published {published} has {expected}")
    return frame


def _describe(meta: CompositionDataset, split: str, n_rows: int) -> str:
    sizes = ", ".join(f"{k} {v}" for k, v in meta.sizes.items())
    if meta.source == _SOURCE_CRABNET:
        origin = (
            f"data folder of the MIT-licensed crabnet {CRABNET_WHEEL.version} wheel on PyPI "
            f"({CRABNET_WHEEL.filename}, sha256 {CRABNET_WHEEL.sha256}), member "
            f"{meta.wheel_member}"
        )
    else:
        origin = "data folder of the NU-CUCIS/CrossPropertyTL repository (local files only)"
    split_note = (
        "No published split: Matbench uses KFold(n_splits=5, shuffle=True, random_state=18012019)."
        if meta.single_file
        else "Published split, used as given so results stay comparable."
    )
    return (
        f"{meta.name}: {meta.description} ({meta.unit}) from the chemical formula.\n\n"
        f"Rows loaded: {n_rows} (split={split!r}). Published sizes: {sizes}.\n"
        f"{split_note}\n"
        f"Origin: {origin}.\n"
        f"Licence of the values: {meta.licence}.\n"
        f"Cite: {meta.citation}\n"
    )


def _make_bunch(
    frame: pd.DataFrame,
    *,
    name: str,
    split: str,
    unit: str,
    descr: str,
    as_frame: bool,
    return_X_y: bool,
) -> Bunch | tuple[Any, Any]:
    frame = frame.reset_index(drop=True)
    if as_frame:
        data: Any = frame["formula"]
        target: Any = frame["target"]
    else:
        data = frame["formula"].to_numpy(dtype=object)
        target = frame["target"].to_numpy(dtype=np.float64)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        frame=frame if as_frame else None,
        split_labels=frame["split"].to_numpy(dtype=object),
        feature_names=["formula"],
        target_names=["target"],
        name=name,
        split=split,
        unit=unit,
        DESCR=descr,
    )


def load_composition_dataset(
    name: str,
    split: str | None = "train",
    *,
    data_home: str | os.PathLike[str] | None = None,
    download: bool = True,
    as_frame: bool = False,
    return_X_y: bool = False,
) -> Bunch | tuple[Any, Any]:
    """Load a composition dataset: chemical formulas and a scalar target.

    Files are read from the shared data folder (``SKIRNET_SHARED_DATA``) or the data
    home; when absent and ``download=True``, CrabNet-benchmark and Matbench sets are
    extracted from the SHA-256-pinned ``crabnet`` 2.0.8 wheel on PyPI (about 35 MB,
    downloaded once into ``<data_home>/downloads``). The JARVIS/experimental sets
    (NU-CUCIS/CrossPropertyTL) have no pinned source and must be present locally.

    Parameters
    ----------
    name : str
        Dataset name, one of ``list_datasets().index`` (Matbench tasks also as
        ``"matbench/mp_e_form"`` etc.).
    split : {"train", "val", "test", "all"} or None, default="train"
        Published split to load; ``"all"`` or ``None`` concatenates every split in the
        order train, val, test (the per-row origin is in ``split_labels`` and in the
        frame's ``split`` column). Single-file Matbench tasks only accept ``"all"``/None.
    data_home : str or path-like, optional
        Data home; see :func:`skirnet.datasets.get_data_home`.
    download : bool, default=True
        Download missing files; with ``False`` a missing file raises FileNotFoundError.
    as_frame : bool, default=False
        Return pandas objects (``data`` a Series of formulas, ``target`` a Series, and
        ``frame`` a DataFrame with columns formula, target, split).
    return_X_y : bool, default=False
        Return ``(formulas, target)`` instead of a Bunch.

    Returns
    -------
    sklearn.utils.Bunch or tuple
        Bunch with ``data`` (formulas, object array or Series), ``target`` (float),
        ``frame`` (DataFrame or None), ``split_labels``, ``feature_names``,
        ``target_names``, ``name``, ``split``, ``unit`` and ``DESCR`` (provenance,
        licence, citation); or ``(data, target)`` when ``return_X_y``.

    Raises
    ------
    ValueError
        Unknown name or split; a file that cannot be read whole (truncated or corrupt,
        a missing or non-numeric target, an empty formula): the one-line message names
        the file. A damaged file that skirnet extracted into the data home is instead
        extracted again from the wheel, with a warning (``download=True``).
    FileNotFoundError
        File missing locally and not downloadable (or ``download=False``).
    skirnet.datasets.DownloadError
        Download failed (offline, checksum mismatch).

    Warns
    -----
    UserWarning
        A file holds another number of rows than the published split (results on it
        are not comparable with published ones), or a damaged extracted file is being
        extracted again.

    Examples
    --------
    >>> ds = load_composition_dataset("aflow_ael_debye_temperature", "test")  # doctest: +SKIP
    >>> ds.data.shape, ds.unit  # doctest: +SKIP
    ((736,), 'K')
    """
    meta = _get_meta(name)
    keys = _check_split(meta, split)
    parts = []
    for key in keys:
        part = _read_part(meta, key, data_home, download)
        part["split"] = key
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    split_name = "all" if split is None else split
    return _make_bunch(
        frame,
        name=meta.name,
        split=split_name,
        unit=meta.unit,
        descr=_describe(meta, split_name, len(frame)),
        as_frame=as_frame,
        return_X_y=return_X_y,
    )


def _fetcher(name: str):
    meta = DATASETS[name]

    def fetch(
        split: str | None = "train",
        *,
        data_home: str | os.PathLike[str] | None = None,
        download: bool = True,
        as_frame: bool = False,
        return_X_y: bool = False,
    ) -> Bunch | tuple[Any, Any]:
        return load_composition_dataset(
            name,
            split,
            data_home=data_home,
            download=download,
            as_frame=as_frame,
            return_X_y=return_X_y,
        )

    sizes = " / ".join(str(v) for v in meta.sizes.values())
    fetch.__name__ = fetch.__qualname__ = f"fetch_{name}"
    fetch.__doc__ = f"""Load {meta.name}: {meta.description} ({meta.unit}), CrabNet split.

    Shortcut for ``load_composition_dataset({name!r}, ...)``; rows train / val / test:
    {sizes}. Licence: {meta.licence}.

    Parameters
    ----------
    split : {{"train", "val", "test", "all"}} or None, default="train"
        Published split to load (``"all"``/None: every split, concatenated).
    data_home : str or path-like, optional
        Data home; see :func:`skirnet.datasets.get_data_home`.
    download : bool, default=True
        Download the crabnet wheel when the files are missing locally.
    as_frame : bool, default=False
        Return pandas objects.
    return_X_y : bool, default=False
        Return ``(formulas, target)``.

    Returns
    -------
    sklearn.utils.Bunch or tuple
        See :func:`load_composition_dataset`.

    Examples
    --------
    >>> X, y = fetch_{name}("val", return_X_y=True)  # doctest: +SKIP
    >>> len(X)  # doctest: +SKIP
    {meta.sizes["val"]}
    """
    return fetch


fetch_oqmd_formation_enthalpy = _fetcher("oqmd_formation_enthalpy")
fetch_oqmd_bandgap = _fetcher("oqmd_bandgap")
fetch_oqmd_energy_per_atom = _fetcher("oqmd_energy_per_atom")
fetch_oqmd_volume_per_atom = _fetcher("oqmd_volume_per_atom")


SAMPLE_FILE = "oqmd_formation_enthalpy_sample.csv.gz"
SAMPLE_SEED = 0
SAMPLE_SIZES = {"train": 20000, "test": 2000}

_SAMPLE_DESCR = f"""OQMD formation-enthalpy sample (shipped with skirnet).

22,000 rows (formula, DFT formation enthalpy in eV/atom) drawn without replacement with
numpy.random.default_rng({SAMPLE_SEED}): {SAMPLE_SIZES["train"]} from the train file and
{SAMPLE_SIZES["test"]} from the test file of the CrabNet split of OQMD formation enthalpy
(member crabnet/data/benchmark_data/OQMD_Formation_Enthalpy/ of
{CRABNET_WHEEL.filename}, sha256 {CRABNET_WHEEL.sha256}). The ``split`` column says which
published split each row came from. Regenerate with
``python skirnet/datasets/data/make_sample.py`` (see skirnet/datasets/data/README.md).

Licence: OQMD data are CC-BY 4.0; the crabnet package is MIT-licensed.
Cite: {OQMD_CITATION} Split: {CRABNET_CITATION}
"""


def load_oqmd_sample(
    split: str | None = None,
    *,
    as_frame: bool = False,
    return_X_y: bool = False,
) -> Bunch | tuple[Any, Any]:
    """Load the 22,000-row OQMD formation-enthalpy sample shipped inside skirnet.

    Works offline. 20,000 rows come from CrabNet's train split and 2,000 from its test
    split (seed 0), so the published split can be kept: ``split="train"`` /
    ``split="test"`` select them.

    Provenance: OQMD (CC-BY 4.0; Saal et al. 2013, Kirklin et al. 2015) via the
    data folder of the MIT-licensed ``crabnet`` 2.0.8 wheel (CrabNet split, Wang et al.
    2021); made by ``skirnet/datasets/data/make_sample.py``.

    Parameters
    ----------
    split : {"train", "test", "all"} or None, default=None
        Rows from that published split; ``None``/``"all"`` for all 22,000.
    as_frame : bool, default=False
        Return pandas objects (``frame`` with columns formula, target, split).
    return_X_y : bool, default=False
        Return ``(formulas, target)``.

    Returns
    -------
    sklearn.utils.Bunch or tuple
        Same fields as :func:`load_composition_dataset` (unit eV/atom).

    Examples
    --------
    >>> X, y = load_oqmd_sample(return_X_y=True)
    >>> X.shape, y.shape
    ((22000,), (22000,))
    >>> load_oqmd_sample(split="test").data.shape
    (2000,)
    """
    if split not in (None, "all", *SAMPLE_SIZES):
        raise ValueError(f"split must be one of 'train', 'test', 'all' or None, got {split!r}")
    with resources.as_file(resources.files("skirnet.datasets") / "data" / SAMPLE_FILE) as path:
        with reading_csv(path):  # a damaged installed file is named
            frame = pd.read_csv(
                path,
                dtype={"formula": str, "target": float, "split": str},
                keep_default_na=False,
                na_values=[""],
            )
    if split in SAMPLE_SIZES:
        frame = frame[frame["split"] == split]
    split_name = "all" if split is None else split
    return _make_bunch(
        frame,
        name="oqmd_formation_enthalpy_sample",
        split=split_name,
        unit="eV/atom",
        descr=_SAMPLE_DESCR,
        as_frame=as_frame,
        return_X_y=return_X_y,
    )
