"""Where dataset files live: the user's data home and the project's shared data folder.

Both folders use the same layout, the one of the project's ``shared/data`` folder::

    composition/<dataset>/<split>.csv.gz      (CrabNet / CrossPropertyTL splits)
    composition/matbench/<task>.csv.gz        (Matbench composition tasks, one file)
    structure/mp_2018_36737.csv.gz
    structure/matbench_phonons.json.gz
    structure/jarvis_sample_poscar/id_prop.csv (+ POSCAR files)

A file is looked up first in the shared folder (environment variable
``SKIRNET_SHARED_DATA``), then in the data home; only when it is in neither is it
downloaded (into the data home) where a pinned source exists.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DATA_HOME_ENV = "SKIRNET_DATA"
SHARED_DATA_ENV = "SKIRNET_SHARED_DATA"


def get_data_home(data_home: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder where skirnet keeps downloaded datasets, creating it if needed.

    The folder is, in this order of precedence: the ``data_home`` argument, the
    environment variable ``SKIRNET_DATA``, or the platform's cache folder as
    :func:`!pooch.os_cache` gives it: ``$XDG_CACHE_HOME/skirnet`` (by default
    ``~/.cache/skirnet``) on Linux, ``~/Library/Caches/skirnet`` on macOS,
    ``%LOCALAPPDATA%\\skirnet\\skirnet\\Cache`` on Windows.

    Parameters
    ----------
    data_home : str or path-like, optional
        Explicit folder; ``~`` is expanded.

    Returns
    -------
    pathlib.Path
        The (existing) data home folder.

    Examples
    --------
    >>> import tempfile
    >>> home = get_data_home(tempfile.mkdtemp())
    >>> home.is_dir()
    True
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or None
    if data_home is None:
        import pooch

        path = Path(pooch.os_cache("skirnet"))  # the platform's cache folder
    else:
        path = Path(data_home)
    path = path.expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def clear_data_home(data_home: str | os.PathLike[str] | None = None) -> None:
    """Delete everything in the data home (downloaded wheels and extracted files).

    The shared data folder is never touched.

    Parameters
    ----------
    data_home : str or path-like, optional
        Folder to clear; resolved as in :func:`get_data_home`.

    Returns
    -------
    None

    Examples
    --------
    >>> import tempfile
    >>> home = tempfile.mkdtemp()
    >>> clear_data_home(home)
    >>> get_data_home(home).is_dir()
    True
    """
    shutil.rmtree(get_data_home(data_home))


def get_shared_data_dir() -> Path | None:
    """Return the project's shared data folder (``SKIRNET_SHARED_DATA``), if it exists.

    Returns
    -------
    pathlib.Path or None
        The folder named by the environment variable ``SKIRNET_SHARED_DATA`` when it is
        set and is a directory, else ``None``.

    Examples
    --------
    >>> import os
    >>> shared = get_shared_data_dir()
    >>> shared is None or shared.is_dir()
    True
    """
    value = os.environ.get(SHARED_DATA_ENV)
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_dir() else None


def find_data_file(
    relpath: str | os.PathLike[str], data_home: str | os.PathLike[str] | None = None
) -> Path | None:
    """Look a dataset file up in the shared data folder, then in the data home.

    Parameters
    ----------
    relpath : str or path-like
        Path relative to the data folder root, e.g.
        ``"composition/oqmd_bandgap/train.csv.gz"``.
    data_home : str or path-like, optional
        Data home, resolved as in :func:`get_data_home`.

    Returns
    -------
    pathlib.Path or None
        The first existing candidate, or ``None`` when the file is in neither folder.

    Examples
    --------
    >>> import tempfile
    >>> find_data_file("composition/no_such_set/train.csv.gz", tempfile.mkdtemp()) is None
    True
    """
    candidates = []
    shared = get_shared_data_dir()
    if shared is not None:
        candidates.append(shared / relpath)
    candidates.append(get_data_home(data_home) / relpath)
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return None
