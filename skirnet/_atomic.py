"""Atomic writes: a file or a whole folder appears complete or not at all.

Writing: both helpers write next to the target (same file system), then rename into place,
so an error or a Ctrl-C half-way leaves the previous file or folder as it was and nothing
half-written behind. New files get the permissions the process's umask asks for, as a
plain ``open`` would give them (temporary files start private).

Saving over a folder (:func:`replace_folder`) must also never leave a moment in which the
folder is missing, for a process that loads it meanwhile. Where the system can, the new
folder and the old one trade places in one atomic step (Linux's
``renameat2(RENAME_EXCHANGE)``), so the path always names a whole folder, the old one or
the new one. Elsewhere (other systems, a file system that cannot exchange) the old folder
is renamed aside and the new one into place: for that moment the path names nothing.
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

__all__ = ["replace_folder", "write_atomically"]

_AT_FDCWD = -100  # <fcntl.h>: paths relative to the working directory
_RENAME_EXCHANGE = 2  # <linux/fs.h>


def _umask() -> int:
    # os.umask is the only portable way to read it; set it straight back
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@functools.cache
def _renameat2() -> Any:
    """The C library's ``renameat2``, or None (not Linux, or a C library without it)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None).renameat2
    except (OSError, AttributeError):
        return None
    fd, name = ctypes.c_int, ctypes.c_char_p
    function.argtypes = [fd, name, fd, name, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def _exchange(first: Path, second: Path) -> bool:
    """Swap two existing paths in one atomic step.

    Returns False, having changed nothing, where that fails: another system, an old
    kernel, a file system without ``RENAME_EXCHANGE``. The caller then renames (a real
    problem such as a read-only folder makes its rename raise the proper error).
    """
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    names = os.fsencode(first), os.fsencode(second)
    return renameat2(_AT_FDCWD, names[0], _AT_FDCWD, names[1], _RENAME_EXCHANGE) == 0


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
    failure, ``path`` holds exactly what it held before. The two trade places in one
    atomic step where the system can (Linux), so ``path`` never goes missing; elsewhere
    it does between two renames. An existing ``path`` holding anything but ``names`` is
    refused before anything is written: replacing it would delete the user's other files.

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
        # the exchange is the try's last step: once done, tmp holds the old folder, removed
        # below (or by the except, should an interrupt arrive just then)
        if not path.exists() or not _exchange(tmp, path):
            if path.exists():
                os.replace(path, old)
                moved_old = True
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if moved_old and not path.exists():
            os.replace(old, path)
        raise
    shutil.rmtree(tmp, ignore_errors=True)  # the old folder after an exchange
    if moved_old:
        shutil.rmtree(old, ignore_errors=True)
    return path
