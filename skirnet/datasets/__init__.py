"""Datasets for materials property regression: loaders, pinned downloads, user-file readers.

Composition sets (formula -> property; CrabNet, Matbench, CrossPropertyTL splits) are
loaded with :func:`load_composition_dataset` (see :func:`list_datasets`), crystal-structure
sets with :func:`load_structure_dataset`, the user's own files with :func:`read_table`,
:func:`read_cif_folder` and :func:`load_id_prop_folder`. :func:`load_oqmd_sample` gives a
22,000-row OQMD sample that ships with the package and works offline.

Files are looked up in ``$SKIRNET_SHARED_DATA`` (a folder laid out like the project's
``shared/data``), then in the data home (:func:`get_data_home`: ``data_home=``,
``$SKIRNET_DATA`` or ``~/.cache/skirnet``), and only then downloaded from a
checksum-pinned source.
"""

from skirnet.datasets._base import clear_data_home, get_data_home, get_shared_data_dir
from skirnet.datasets._download import ChecksumError, DownloadError
from skirnet.datasets.composition import (
    fetch_oqmd_bandgap,
    fetch_oqmd_energy_per_atom,
    fetch_oqmd_formation_enthalpy,
    fetch_oqmd_volume_per_atom,
    list_datasets,
    load_composition_dataset,
    load_oqmd_sample,
)
from skirnet.datasets.readers import (
    load_id_prop_folder,
    parse_structure,
    read_cif_folder,
    read_table,
)
from skirnet.datasets.structure import load_structure_dataset
from skirnet.datasets.user_structures import content_key, is_structure_source, read_structures

__all__ = [
    "ChecksumError",
    "DownloadError",
    "clear_data_home",
    "content_key",
    "fetch_oqmd_bandgap",
    "fetch_oqmd_energy_per_atom",
    "fetch_oqmd_formation_enthalpy",
    "fetch_oqmd_volume_per_atom",
    "get_data_home",
    "get_shared_data_dir",
    "is_structure_source",
    "list_datasets",
    "load_composition_dataset",
    "load_id_prop_folder",
    "load_oqmd_sample",
    "load_structure_dataset",
    "parse_structure",
    "read_cif_folder",
    "read_structures",
    "read_table",
]
