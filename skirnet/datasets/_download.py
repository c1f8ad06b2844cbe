"""Checksum-pinned downloads: the CrabNet wheel from PyPI and Matbench files.

Every remote file skirnet fetches is pinned by its SHA-256 and downloaded with pooch
(:func:`download_file`), which streams it to a temporary file in the destination folder,
verifies it and only then moves it into place, so an interrupted or corrupted download
never leaves a file under the final name. Two jobs stay here because pooch does not do
them: finding the wheel's URL through the PyPI JSON API, and extracting data members of
the wheel re-compressed with gzip (pooch's ``Unzip`` writes them as they are).

The composition datasets come from the data folder of the MIT-licensed ``crabnet``
2.0.8 wheel on PyPI. Its URL is looked up through the PyPI JSON API
(``https://pypi.org/pypi/crabnet/2.0.8/json``); no other host is hard-coded for it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PYPI_JSON_URL = "https://pypi.org/pypi/{project}/{version}/json"
_CHUNK = 1 << 20


class DownloadError(OSError):
    """A dataset file could not be downloaded (offline, HTTP error, unexpected index)."""


class ChecksumError(DownloadError):
    """A downloaded file's SHA-256 does not match its pinned value."""


@dataclass(frozen=True)
class PinnedWheel:
    """A wheel on PyPI, identified by project, version, file name and SHA-256.

    Parameters
    ----------
    project : str
        PyPI project name.
    version : str
        Exact release.
    filename : str
        Wheel file name as listed by PyPI.
    sha256 : str
        Expected SHA-256 of the wheel (hex).

    Examples
    --------
    >>> CRABNET_WHEEL.filename
    'crabnet-2.0.8-py3-none-any.whl'
    """

    project: str
    version: str
    filename: str
    sha256: str


@dataclass(frozen=True)
class PinnedFile:
    """A single remote file with a fixed URL and SHA-256.

    Parameters
    ----------
    url : str
        Download URL.
    sha256 : str
        Expected SHA-256 of the file (hex).

    Examples
    --------
    >>> f = PinnedFile("https://example.org/a.json.gz", "0" * 64)
    >>> f.url.endswith(".json.gz")
    True
    """

    url: str
    sha256: str


CRABNET_WHEEL = PinnedWheel(
    project="crabnet",
    version="2.0.8",
    filename="crabnet-2.0.8-py3-none-any.whl",
    sha256="4901565abaa5b4cd1a7841b9de647a3906df21676b226a7abf972d113f92054a",
)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Return the hex SHA-256 of a file, read in 1 MiB chunks.

    Parameters
    ----------
    path : str or path-like
        File to hash.

    Returns
    -------
    str
        Lower-case hex digest.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x"
    >>> _ = p.write_bytes(b"")
    >>> sha256_file(p)[:12]
    'e3b0c44298fc'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _offline_message(url: str, reason: object, dest: Path) -> str:
    return (
        f"could not download {url} ({reason}). You may be offline. Either connect to "
        f"the internet, put the file at {dest} yourself, or point the environment "
        "variable SKIRNET_SHARED_DATA at a folder that already holds the datasets."
    )


def resolve_pypi_wheel_url(wheel: PinnedWheel | None = None, *, timeout: float = 30.0) -> str:
    """Find a pinned wheel's download URL through the PyPI JSON API.

    Parameters
    ----------
    wheel : PinnedWheel, optional
        The wheel to look up (default: :data:`CRABNET_WHEEL`,
        ``crabnet-2.0.8-py3-none-any.whl``).
    timeout : float
        Socket timeout in seconds.

    Returns
    -------
    str
        The URL listed in ``urls[].url`` for the wheel's file name.

    Raises
    ------
    DownloadError
        When PyPI cannot be reached or does not list the file.
    ChecksumError
        When PyPI lists a different SHA-256 than the pinned one.

    Examples
    --------
    >>> resolve_pypi_wheel_url()  # doctest: +SKIP
    'https://files.pythonhosted.org/packages/.../crabnet-2.0.8-py3-none-any.whl'
    """
    wheel = CRABNET_WHEEL if wheel is None else wheel
    index_url = PYPI_JSON_URL.format(project=wheel.project, version=wheel.version)
    try:
        with urllib.request.urlopen(index_url, timeout=timeout) as response:
            meta = json.load(response)
    except urllib.error.URLError as exc:
        raise DownloadError(
            f"could not reach the PyPI index {index_url} ({getattr(exc, 'reason', exc)}). "
            "You may be offline; set SKIRNET_SHARED_DATA or pass data_home= to a folder "
            "that already holds the datasets."
        ) from exc
    except (OSError, ValueError) as exc:
        raise DownloadError(f"could not read the PyPI index {index_url}: {exc}") from exc
    for entry in meta.get("urls", []):
        if entry.get("filename") == wheel.filename:
            listed = entry.get("digests", {}).get("sha256")
            if listed is not None and listed.lower() != wheel.sha256:
                raise ChecksumError(
                    f"PyPI lists sha256 {listed} for {wheel.filename}, "
                    f"but skirnet pins {wheel.sha256}; refusing to download."
                )
            return str(entry["url"])
    raise DownloadError(f"PyPI index {index_url} does not list the file {wheel.filename}")


def download_file(
    url: str,
    dest: str | os.PathLike[str],
    sha256: str,
    *,
    timeout: float = 60.0,
    progress: bool = False,
) -> Path:
    """Download ``url`` to ``dest`` atomically, verifying its SHA-256 (with pooch).

    When ``dest`` already exists with the expected hash nothing is downloaded; one with
    another hash (damaged, truncated) is downloaded again. :func:`pooch.retrieve` streams
    the data to a temporary file next to ``dest``, checks the hash and only then moves it
    into place; on any failure (network error, a connection that breaks off half-way, a
    server that ends the file early, checksum mismatch, Ctrl-C) ``dest`` is left as it
    was and no temporary file stays behind.

    Parameters
    ----------
    url : str
        Source URL (``https://``, ``http://`` or ``ftp://``).
    dest : str or path-like
        Final path; its parent folder is created.
    sha256 : str
        Expected hex SHA-256.
    timeout : float
        Socket timeout in seconds.
    progress : bool
        Show a progress bar.

    Returns
    -------
    pathlib.Path
        ``dest``.

    Raises
    ------
    DownloadError
        When the URL cannot be fetched (offline, HTTP error) or the connection breaks off
        before the announced length.
    ChecksumError
        When the downloaded bytes do not hash to ``sha256`` (also a file cut short by a
        server that announced no length).

    Examples
    --------
    >>> download_file(  # doctest: +SKIP
    ...     "https://ml.materialsproject.org/projects/matbench_phonons.json.gz",
    ...     "phonons.json.gz", "4db551f21ec5f577e6202725f10e34dfc509aa7df3a6bdaac497da7f6dbbb9b3")
    PosixPath('phonons.json.gz')
    """
    import pooch
    import requests

    dest = Path(dest)
    sha256 = sha256.lower()
    dest.parent.mkdir(parents=True, exist_ok=True)
    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=timeout)
    try:
        pooch.retrieve(
            url,
            known_hash=f"sha256:{sha256}",
            fname=dest.name,
            path=dest.parent,
            downloader=downloader,
        )
    except requests.exceptions.ChunkedEncodingError as exc:
        # the server sent part of the file, then the connection broke (IncompleteRead)
        raise DownloadError(
            f"the download of {url} broke off before the end ({exc}); the partial file was "
            f"discarded and {dest} left as it was. Try again."
        ) from exc
    except requests.exceptions.RequestException as exc:
        raise DownloadError(_offline_message(url, exc, dest)) from exc
    except ValueError as exc:  # pooch: the hash of the downloaded bytes differs
        if "hash" not in str(exc).lower():
            raise
        actual = re.search(r"[0-9a-f]{64}(?![0-9a-f])", str(exc).replace(sha256, ""))
        raise ChecksumError(
            f"checksum mismatch for {url}: expected sha256 {sha256}, got "
            f"{actual[0] if actual else 'another'}. The download was discarded; try "
            "again, and report it if it persists."
        ) from None
    return dest


def fetch_crabnet_wheel(
    data_home: str | os.PathLike[str],
    *,
    wheel: PinnedWheel | None = None,
    progress: bool = True,
) -> Path:
    """Return the path of the pinned CrabNet wheel in ``data_home/downloads``, downloading it if needed.

    Parameters
    ----------
    data_home : str or path-like
        Data home folder.
    wheel : PinnedWheel, optional
        Wheel to fetch (default: :data:`CRABNET_WHEEL`, crabnet 2.0.8).
    progress : bool
        Show a download progress bar.

    Returns
    -------
    pathlib.Path
        Path of the verified wheel.

    Raises
    ------
    DownloadError, ChecksumError
        See :func:`download_file` and :func:`resolve_pypi_wheel_url`.

    Examples
    --------
    >>> fetch_crabnet_wheel("~/.cache/skirnet")  # doctest: +SKIP
    PosixPath('/home/me/.cache/skirnet/downloads/crabnet-2.0.8-py3-none-any.whl')
    """
    wheel = CRABNET_WHEEL if wheel is None else wheel
    dest = Path(data_home) / "downloads" / wheel.filename
    if dest.exists() and sha256_file(dest) == wheel.sha256:
        return dest
    url = resolve_pypi_wheel_url(wheel)
    return download_file(url, dest, wheel.sha256, progress=progress)


def extract_members(
    archive: str | os.PathLike[str],
    members: Mapping[str, str | os.PathLike[str]],
    *,
    compress: bool = True,
) -> list[Path]:
    """Extract files from a zip archive (a wheel), each written atomically.

    Parameters
    ----------
    archive : str or path-like
        Zip file.
    members : mapping of str to path
        Member name inside the archive -> destination path.
    compress : bool
        Gzip each member on the way out (destinations should then end in ``.gz``).

    Returns
    -------
    list of pathlib.Path
        The destination paths, in the order of ``members``.

    Raises
    ------
    DownloadError
        When a member is missing from the archive.

    Examples
    --------
    >>> import tempfile, zipfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with zipfile.ZipFile(d / "w.zip", "w") as z:
    ...     z.writestr("pkg/data/a.csv", "formula,target\\nNaCl,1.0\\n")
    >>> out = extract_members(d / "w.zip", {"pkg/data/a.csv": d / "a.csv.gz"})
    >>> import gzip; gzip.open(out[0], "rt").readline()
    'formula,target\\n'
    """
    written = []
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        missing = [m for m in members if m not in names]
        if missing:
            raise DownloadError(f"{archive} lacks the expected member(s): {', '.join(missing)}")
        for member, dest in members.items():
            dest = Path(dest)
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{dest.name}.", suffix=".part", dir=dest.parent
            )
            tmp = Path(tmp_name)
            try:
                with os.fdopen(fd, "wb") as raw, zf.open(member) as src:
                    if compress:
                        # mtime=0 keeps the output byte-reproducible
                        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
                            for chunk in iter(lambda: src.read(_CHUNK), b""):  # noqa: B023
                                gz.write(chunk)
                    else:
                        for chunk in iter(lambda: src.read(_CHUNK), b""):  # noqa: B023
                            raw.write(chunk)
                os.replace(tmp, dest)
            finally:
                if tmp.exists():
                    tmp.unlink()
            written.append(dest)
    return written
