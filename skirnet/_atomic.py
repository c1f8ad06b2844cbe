"""Atomic writes: a file or a whole folder appears complete or not at all.

Both helpers write next to the target (same file system), then rename into place, so an
error or a Ctrl-C half-way leaves the previous file or folder as it was and nothing
half-written behind. New files get the permissions the process's umask asks for, as a
plain ``open`` would give them (temporary files start private).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Collection
from pathlib import Path

__all__ = ["replace_folder", "write_atomically"]


def _umask() -> int:
    # os.umask is the only portable way to read it; set it straight back
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Write a file through a temporary file in the same folder, renamed into place.

    A failure or an interruption half-way leaves the previous file (if any) intact and
    no temporary file behind.

    Parameters
    ----------
    path : str or Path
        The file to (re)place.
    write : callable
        ``write(tmp_path)`` writes the whole content to ``tmp_path``.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.txt"
    >>> write_atomically(target, lambda p: p.write_text("done")).read_text()
    'done'
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def replace_folder(
    path: str | Path, write: Callable[[Path], object], names: Collection[str]
) -> Path:
    """Write a folder in a temporary sibling, then swap it in for ``path``.

    ``write(tmp_dir)`` fills an empty folder. Only when it returns does the new folder
    take the place of the old one (which is then removed); until then, and after any
    failure, ``path`` holds exactly what it held before. An existing ``path`` holding
    anything but ``names`` is refused before anything is written: replacing it would
    delete the user's other files.

    Parameters
    ----------
    path : str or Path
        The folder to create or replace.
    write : callable
        ``write(tmp_dir)`` writes every file of the folder into ``tmp_dir``.
    names : collection of str
        The entries such a folder consists of.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    FileExistsError
        ``path`` is a file, or a folder holding entries other than ``names``.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "model"
    >>> _ = replace_folder(folder, lambda d: (d / "a.txt").write_text("1"), ["a.txt"])
    >>> sorted(p.name for p in folder.iterdir())
    ['a.txt']
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise FileExistsError(f"{path} is a file, not a folder")
    foreign = (
        sorted(p.name for p in path.iterdir() if p.name not in names) if path.exists() else []
    )
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise FileExistsError(
            f"{path} holds other files ({shown}); save into a new or empty folder, or over "
            "a model saved there before"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial"))
    old = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.old")
    moved_old = False
    try:
        write(tmp)
        os.chmod(tmp, 0o777 & ~_umask())
        if path.exists():
            os.replace(path, old)
            moved_old = True
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if moved_old and not path.exists():
            os.replace(old, path)
        raise
    if moved_old:
        shutil.rmtree(old, ignore_errors=True)
    return path
