"""Resumable featurization of large inputs: chunks written to a folder as they finish.

Featurizing a database of crystals takes minutes to hours; an interruption should cost
the chunk in flight, not the run. :func:`featurize_to_folder` cuts the rows into chunks,
writes each finished chunk (features, failed rows and why) atomically into a folder, and
on a rerun loads the chunks already there and computes only the rest.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from skirnet._atomic import write_atomically
from skirnet._warnings import warn_at_caller
from skirnet.featurizers._base import BaseFeaturizer, FeaturizationWarning

__all__ = ["featurize_to_folder"]

MANIFEST = "manifest.json"
_PREFIX = re.compile(r"^\w+: cannot featurize row \d+(?: \(index [^)]*\))?: ")


def _describe(featurizer: BaseFeaturizer) -> dict[str, Any]:
    """The featurizer's class and the parameters that change its values, as JSON."""
    skip = {"n_jobs", "progress_bar", "errors", "memory"}
    params = {k: v for k, v in featurizer.get_params(deep=False).items() if k not in skip}
    return {
        "class": type(featurizer).__name__,
        "params": json.loads(json.dumps(params, default=repr)),
        "labels": list(featurizer.feature_labels()),
    }


def _fingerprint(ids: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for item in ids:
        digest.update(str(item).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _why(featurizer: BaseFeaturizer, row: Any) -> str:
    """The message of one row's failure, without the featurizer's row prefix."""
    single = clone(featurizer).set_params(errors="raise", n_jobs=None, progress_bar=False)
    try:
        single.fit(None).transform([row])
    except ValueError as exc:
        return _PREFIX.sub("", str(exc))
    return "non-finite features"  # featurized, but to NaN values


def featurize_chunk(featurizer: BaseFeaturizer, rows: list[Any]) -> tuple[np.ndarray, dict]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeaturizationWarning)
        X = featurizer.transform(rows)
    failed = np.flatnonzero(np.isnan(X).all(axis=1))
    return X, {int(i): _why(featurizer, rows[i]) for i in failed}


def _read_manifest(path: Path) -> Any:
    """``manifest.json``; one that cannot be read raises a one-line error naming it.

    Without a readable manifest nothing tells whose features the chunks hold, so they are
    not used (nor deleted: the folder may not be skirnet's).
    """
    try:
        return json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(
            f"{path} is damaged ({exc}), so the features beside it cannot be trusted; "
            "delete the folder to featurize again"
        ) from None


def _read_chunk(
    path: Path, n_rows: int, width: int, key: str
) -> tuple[np.ndarray, dict[int, str]] | None:
    """A chunk written before, checked; None, with a warning, when it cannot be used.

    A chunk file that is truncated or corrupt (its zip CRCs do not match), of another
    shape, or written for other rows (another chunk's file copied over it) is computed
    again rather than trusted; the warning names it. Chunks written before the rows'
    fingerprint was recorded are checked by shape only.
    """
    try:
        with open(path, "rb") as fh, np.load(fh) as saved:  # closed even when not a zip
            X = np.asarray(saved["X"])
            failed = json.loads(str(saved["failed"]))
            recorded = str(saved["ids_sha256"]) if "ids_sha256" in saved.files else key
        if X.shape != (n_rows, width) or X.dtype.kind != "f":
            reason = f"it holds an array of shape {X.shape}, not ({n_rows}, {width})"
        elif recorded != key:
            reason = "it holds the features of other rows"
        else:
            rows = {int(k): str(v) for k, v in failed.items()}
            if all(0 <= row < n_rows for row in rows):
                return X, rows
            reason = "it lists failed rows outside the chunk"
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, AttributeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
    warn_at_caller(f"{path} cannot be used ({reason}); featurizing its rows again")
    return None


def featurize_to_folder(
    featurizer: BaseFeaturizer,
    rows: Sequence[Any],
    folder: str | Path,
    *,
    ids: Sequence[Any] | None = None,
    chunk_size: int = 1000,
    progress_bar: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Featurize ``rows`` chunk by chunk into ``folder``; a rerun continues where it stopped.

    Each finished chunk is written at once (``chunk-00000.npz``, ...), atomically, so
    an interruption or a crash loses at most the chunk in flight. A rerun with the same
    featurizer, ids and chunk size loads the chunks already written and computes only
    the missing ones; a folder written for other rows or another featurizer is refused.
    The folder is a cache: a chunk file found damaged (truncated, corrupt, of another
    shape or of other rows) is computed again and rewritten, with a warning naming it.
    A damaged ``manifest.json`` raises instead, as nothing then says whose chunks lie
    beside it. Runs sharing a folder at the same time are safe: each writes whole files.
    Rows that cannot be featurized are never dropped: their features are NaN and each
    is listed, by id, with the reason.

    Parameters
    ----------
    featurizer : BaseFeaturizer
        E.g. ``StructureFeaturizer(composition=True, n_jobs=-1)``; used with
        ``errors="nan"`` whatever it is set to (failures are reported instead).
    rows : sequence
        The inputs (structures, CIF strings, formulas...), in order.
    folder : str or Path
        Where the chunks and ``manifest.json`` go (created if needed).
    ids : sequence, optional
        A name for each row (e.g. material ids); default: the row numbers.
    chunk_size : int, default=1000
        Rows per chunk: the work lost to an interruption at most.
    progress_bar : bool, default=True
        Show a progress bar counting rows (chunks loaded from the folder included).

    Returns
    -------
    features : pandas.DataFrame
        One row per input row, indexed by ``ids``, columns ``feature_labels()``.
    failures : pandas.DataFrame
        Columns ``row``, ``id``, ``reason``: every row whose features are NaN.

    Raises
    ------
    ValueError
        If ``folder`` holds chunks of another run (other rows, featurizer or chunk size),
        its ``manifest.json`` is damaged (the message names it), or ``ids`` and ``rows``
        differ in length.

    Warns
    -----
    UserWarning
        A chunk file that cannot be used is featurized again (the message names it).

    Examples
    --------
    >>> import tempfile
    >>> from skirnet.featurizers import CompositionFeaturizer
    >>> folder = tempfile.mkdtemp()
    >>> X, failures = featurize_to_folder(
    ...     CompositionFeaturizer(), ["NaCl", "Xx2", "Fe2O3"], folder, progress_bar=False
    ... )
    >>> X.shape
    (3, 145)
    >>> failures.to_dict("records")
    [{'row': 1, 'id': '1', 'reason': "'Xx2': unknown element(s) 'Xx'"}]
    """
    rows = list(rows)
    ids = [str(i) for i in (range(len(rows)) if ids is None else ids)]
    if len(ids) != len(rows):
        raise ValueError(f"ids has {len(ids)} entries for {len(rows)} rows")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    featurizer = clone(featurizer).set_params(errors="nan", progress_bar=False).fit(None)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "featurizer": _describe(featurizer),
        "rows": len(rows),
        "ids_sha256": _fingerprint(ids),
        "chunk_size": chunk_size,
    }
    manifest_path = folder / MANIFEST
    if manifest_path.exists():
        if _read_manifest(manifest_path) != manifest:
            raise ValueError(
                f"{folder} holds features of another run (other rows, featurizer or chunk "
                "size); choose another folder or delete it"
            )
    else:
        write_atomically(manifest_path, lambda p: p.write_text(json.dumps(manifest, indent=1)))
    width = len(manifest["featurizer"]["labels"])

    from tqdm.auto import tqdm

    blocks: list[np.ndarray] = []
    failures: list[dict[str, Any]] = []
    with tqdm(
        total=len(rows), disable=not progress_bar, desc=type(featurizer).__name__, unit="row"
    ) as bar:
        for number, start in enumerate(range(0, len(rows), chunk_size)):
            path = folder / f"chunk-{number:05d}.npz"
            chunk = rows[start : start + chunk_size]
            key = _fingerprint(ids[start : start + chunk_size])
            saved = _read_chunk(path, len(chunk), width, key) if path.exists() else None
            if saved is not None:
                X, failed = saved
            else:
                X, failed = featurize_chunk(featurizer, chunk)
                text = json.dumps(failed)

                def write(tmp: Path, X: np.ndarray = X, text: str = text, key: str = key) -> None:
                    with open(tmp, "wb") as fh:
                        np.savez(fh, X=X, failed=np.array(text), ids_sha256=np.array(key))

                write_atomically(path, write)
            blocks.append(X)
            failures += [
                {"row": start + i, "id": ids[start + i], "reason": why}
                for i, why in sorted(failed.items())
            ]
            bar.update(len(chunk))
    labels = manifest["featurizer"]["labels"]
    X = np.vstack(blocks) if blocks else np.empty((0, len(labels)))
    return (
        pd.DataFrame(X, index=pd.Index(ids, name="id"), columns=labels),
        pd.DataFrame(failures, columns=["row", "id", "reason"]),
    )
