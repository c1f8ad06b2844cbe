"""Atomic writes and whole reads: a file or a folder appears complete or not at all.

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

Reading (:func:`read_whole`): a reader opens a folder's files one after the other, so a
save that lands in between gives it files of two saves, e.g. one save's scaler with
another's network. No rename can prevent that, so the model folders record checksums
tying their files together (``skirnet.persistence``, ``skirnet.pipeline``), and
``read_whole`` reads every file once, checks them against each other and reads them again
while they do not match and keep changing (a save in progress). It also bridges the
moment without a folder of the two renames, while a save's temporary folder next to it
shows that one is under way. Files that stay mismatched are damaged, not being saved:
their error is raised. Everything is checked on the bytes that were read, never on a
second read of a file that could have changed since.
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["read_whole", "replace_folder", "write_atomically"]

T = TypeVar("T")

_AT_FDCWD = -100  # <fcntl.h>: paths relative to the working directory
_RENAME_EXCHANGE = 2  # <linux/fs.h>
#: Reads of a folder before its mismatched or missing files are reported.
_ATTEMPTS = 50
#: The same mismatched files read this many times in a row are damaged, not being saved.
_SETTLED = 3


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
    it does between two renames, which :func:`read_whole` bridges. An existing ``path``
    holding anything but ``names`` is refused before anything is written: replacing it
    would delete the user's other files.

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


def _save_under_way(path: Path) -> bool:
    """Whether a :func:`replace_folder` of ``path`` shows: its temporary siblings exist."""
    prefix = f".{path.name}."
    try:
        with os.scandir(path.parent) as entries:
            return any(
                e.name.startswith(prefix) and e.name.endswith((".partial", ".old"))
                for e in entries
            )
    except OSError:
        return False


def read_whole(
    path: str | Path, read: Callable[[], T], mismatch: Callable[[T], Exception | None]
) -> T:
    """Read the files of a folder as one save wrote them, while others save over it.

    ``read()`` reads each file once; ``mismatch`` says whether what it read belongs
    together. Files of two saves (one landed between two reads) are read again, as long
    as they keep changing; a folder or file found missing is read again while a save of
    ``path`` is under way (and once in any case: the save may just have finished).

    Parameters
    ----------
    path : str or Path
        The folder, as given to :func:`replace_folder`.
    read : callable
        ``read()`` returns the contents of the folder's files, comparable with ``==``
        (bytes, or containers of them). It raises FileNotFoundError when the folder or
        one of its files is missing.
    mismatch : callable
        ``mismatch(contents)`` returns the error to raise when the files do not belong
        together (their checksums differ), None when they do. Any error it raises itself
        (a file that is damaged on its own) goes straight to the caller.

    Returns
    -------
    object
        What ``read()`` returned, its files belonging together.

    Raises
    ------
    FileNotFoundError
        From ``read()``: missing, and no save of ``path`` under way.
    Exception
        The error ``mismatch`` gave: the same mismatched files were read several times
        in a row, or the files kept changing for every read.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.txt").write_text("1"), (folder / "sum.txt").write_text("1")
    >>> read = lambda: ((folder / "a.txt").read_text(), (folder / "sum.txt").read_text())
    >>> read_whole(folder, read, lambda files: None if files[0] == files[1] else ValueError())
    ('1', '1')
    """
    path = Path(path)
    previous: Any = None
    same = attempt = 0
    while True:
        attempt += 1
        last = attempt == _ATTEMPTS
        try:
            contents = read()
        except FileNotFoundError:
            if last or (attempt > 1 and not _save_under_way(path)):
                raise
        else:
            error = mismatch(contents)
            if error is None:
                return contents
            same = same + 1 if contents == previous else 1
            if last or same == _SETTLED:
                raise error
            previous = contents
        time.sleep(min(0.001 * 2 ** (attempt - 1), 0.05))
