"""A user's data for the command line: formulas or crystal structures, read and featurized.

:func:`read_user_data` reads a table of formulas, a table with a CIF column, a
Matbench-style JSON file or a folder with ``id_prop.csv`` into one :class:`UserData`;
:func:`featurize_user_data` computes the chosen features. Structures are featurized
through :func:`~skirnet.featurizers.featurize_to_folder` into a cache keyed by the
file's content and the feature set, so that trying several models on one file pays for
the tessellations once, and an interrupted run continues.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from skirnet._version import __version__
from skirnet.datasets import (
    content_key,
    get_data_home,
    is_structure_source,
    read_structures,
    read_table,
)
from skirnet.featurizers import BaseFeaturizer, featurize_to_folder, featurizer_for
from skirnet.recipes import formula_features_for_rows, pretrained_for_rows

__all__ = [
    "UserData",
    "feature_cache_dir",
    "featurize_user_data",
    "predict_user_data",
    "read_user_data",
]


@dataclasses.dataclass
class UserData:
    """Inputs and target of a user's file.

    Parameters
    ----------
    inputs : list
        Formulas, or structures (CIF text, Structure dicts or Structures).
    target : ndarray or None
        The numeric target (None when reading for prediction).
    kind : {"formula", "structure"}
        What ``inputs`` holds.
    input_col, target_col : str or None
        The columns used (None for a folder's structures).
    ids : ndarray of str
        A name per row: the JSON index, the folder's ids, else the row number.
    source : Path
        The file or folder read.
    errors : dict of int to str, default={}
        Rows whose input could not be read (read for prediction only: a structure file
        that is missing or not a structure, an empty structure cell): row number and
        why. Their ``inputs`` are None; :func:`predict_user_data` gives them error rows.
    key : str or None, default=None
        :func:`~skirnet.datasets.content_key` of ``source`` as it was when ``inputs``
        were read (structures only): the feature cache's key, so that features are
        never filed under the key of content they were not computed from.
    """

    inputs: list[Any]
    target: np.ndarray | None
    kind: str
    input_col: str | None
    target_col: str | None
    ids: np.ndarray
    source: Path
    errors: dict[int, str] = dataclasses.field(default_factory=dict)
    key: str | None = None

    def __len__(self) -> int:
        return len(self.inputs)


def read_user_data(
    path: str | os.PathLike[str],
    *,
    formula_col: str | None = None,
    structure_col: str | None = None,
    target_col: str | None = None,
    target: bool = True,
) -> UserData:
    """Read formulas or structures, and a numeric target, from a file or folder.

    Structures when ``structure_col`` is given, ``path`` is a folder or a JSON file, or
    the table has a CIF column and no formula column; formulas otherwise.

    Parameters
    ----------
    path : str or path-like
        The file or folder.
    formula_col, structure_col, target_col : str, optional
        Columns to use (default: looked up by the usual names).
    target : bool, default=True
        Read the target (``False`` for prediction).

    Returns
    -------
    UserData

    Raises
    ------
    ValueError
        A file that cannot be read (the message names it), or structures whose file or
        folder changed while it was being read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("formula,target\\nNaCl,-2.1\\nFe2O3,-1.7\\n")
    >>> data = read_user_data(p)
    >>> data.kind, data.inputs, data.target.tolist()
    ('formula', ['NaCl', 'Fe2O3'], [-2.1, -1.7])
    """
    path = Path(path)
    if is_structure_source(path, structure_col):
        if formula_col is not None:
            raise ValueError(f"{path} holds crystal structures; a formula column does not apply")
        # the features are cached under the content's key: the content read must be the
        # content keyed, so a file changed while it is read is refused
        key = content_key(path) if path.exists() else None
        bunch = read_structures(
            path, structure_col=structure_col, target_col=target_col, target=target
        )
        if content_key(path) != key:
            raise ValueError(
                f"{path} changed while it was being read; read it again once it is no "
                "longer being written"
            )
        return UserData(
            bunch.data,
            bunch.target,
            "structure",
            bunch.structure_col,
            bunch.target_col,
            bunch.ids,
            path,
            bunch.errors,
            key,
        )
    if path.is_dir():
        raise ValueError(f"{path} is a folder without id_prop.csv; give a CSV or Parquet file")
    if not target:
        from skirnet.datasets._tables import FORMULA_CANDIDATES, read_frame, text_cells
        from skirnet.datasets.user_structures import input_column

        frame = read_frame(path, text=(formula_col,))
        column = input_column(
            frame, formula_col, FORMULA_CANDIDATES, "formula", path, "formula_col="
        )
        inputs = text_cells(frame[column])  # an empty cell: "", an error row as in screen
        ids = np.arange(len(inputs)).astype(str)
        return UserData(inputs, None, "formula", str(column), None, ids, path)
    bunch = read_table(path, formula_col=formula_col, target_col=target_col)
    inputs = list(bunch.data)
    ids = np.arange(len(inputs)).astype(str)
    return UserData(
        inputs, bunch.target, "formula", bunch.feature_names[0], bunch.target_names[0], ids, path
    )


def feature_cache_dir(data: UserData, featurizer: BaseFeaturizer) -> Path:
    """Where the features of ``data`` by ``featurizer`` are cached.

    The folder's name is a key of the file's content, the column read, the feature set
    and the skirnet version: another column of the same file, or a skirnet whose
    features may differ, never reads these features. The content is the one
    :func:`read_user_data` read (``data.key``), not the file as it is now.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("formula,target\\nNaCl,-2.1\\n")
    >>> feature_cache_dir(read_user_data(p), featurizer_for("formula")).parent.name
    'features'
    """
    params = featurizer.get_params()
    label = "-".join(k for k in ("structure", "composition") if params.get(k, k == "composition"))
    key = data.key if data.key is not None else content_key(data.source)
    reading = f"{key}|{data.input_col}|{__version__}".encode()
    return get_data_home() / "features" / f"{hashlib.sha256(reading).hexdigest()[:32]}-{label}"


def default_features(
    data: UserData, features: str | None, n_train: int, pretrained: Any = None
) -> str | None:
    """The feature set to use: ``features`` if given, else the default for this data.

    Formula tables from ``LARGE_TABLE_ROWS`` training rows on get the 145 composition
    attributes and the 86 element fractions
    (:func:`~skirnet.recipes.formula_features_for_rows`), smaller ones the composition
    attributes alone; structures keep :func:`~skirnet.featurizers.featurizer_for`'s
    default (None). A ``pretrained`` model to fine-tune decides for itself: its inputs
    (:func:`~skirnet.transfer.source_feature_set`) are the features; from structures it
    needs ``features="composition"`` and a model of the 145 composition attributes.

    Parameters
    ----------
    data : UserData
        What :func:`read_user_data` returned.
    features : str or None
        The user's choice (``--features``).
    n_train : int
        Training rows.
    pretrained : str or path-like, optional
        The model fine-tuned, if any.

    Returns
    -------
    features : str or None
        A name of :data:`~skirnet.featurizers.FEATURE_SETS`, or None for the default.

    Raises
    ------
    ValueError
        A pretrained model asked for other inputs than its own.

    Examples
    --------
    >>> from pathlib import Path
    >>> import numpy as np
    >>> data = UserData(["NaCl", "MgO"], np.ones(2), "formula", "formula", "target",
    ...                 np.array(["0", "1"]), Path("table.csv"))
    >>> default_features(data, None, 30_000), default_features(data, None, 300)
    ('composition+fractions', 'composition')
    """
    if pretrained is not None:
        from skirnet.transfer import source_feature_set  # loads torch: only when needed

        own = source_feature_set(pretrained)
        name = os.fspath(pretrained)
        if data.kind == "structure" and (features != "composition" or own != "composition"):
            raise ValueError(
                f"the pretrained model {name!r} reads {own or 'its own'} attributes; crystal "
                "structures give it only the 145 composition ones (--features "
                "composition, with a model trained on them)"
            )
        if data.kind == "formula" and features is not None and own not in (None, features):
            raise ValueError(
                f"the pretrained model {name!r} reads {own} attributes, not {features}"
            )
        return own if data.kind == "formula" and own is not None else features
    if features is not None or data.kind != "formula":
        return features
    return formula_features_for_rows(n_train)


def default_pretrained(
    data: UserData,
    n_train: int,
    network: str,
    features: str | None = None,
    own_architecture: bool = False,
) -> str | None:
    """The shipped model a network for this table fine-tunes when the user names none.

    A table of formulas with fewer than 20,000 training rows gets
    :func:`~skirnet.recipes.pretrained_for_rows`'s model, the shipped OQMD
    formation-enthalpy IRNet, when the network can start from it: an IRNet of the shipped
    architecture (no depth or layer sizes of the user's) reading the shipped model's
    inputs (no other ``features`` asked for). Anything else trains from scratch (None).

    Parameters
    ----------
    data : UserData
        What :func:`read_user_data` returned.
    n_train : int
        Training rows.
    network : str
        The network's name (``"irnet"``, ``"srnet"``, ``"plain"``).
    features : str or None
        The user's choice of inputs (``--features``), if any.
    own_architecture : bool, default=False
        Whether the user chose a depth or layer sizes.

    Returns
    -------
    name : str or None

    Examples
    --------
    >>> from pathlib import Path
    >>> import numpy as np
    >>> data = UserData(["NaCl", "MgO"], np.ones(2), "formula", "formula", "target",
    ...                 np.array(["0", "1"]), Path("table.csv"))
    >>> default_pretrained(data, 3_000, "irnet"), default_pretrained(data, 3_000, "plain")
    ('oqmd-formation-enthalpy', None)
    >>> default_pretrained(data, 3_000, "irnet", "composition") is None  # other inputs
    True
    """
    source = pretrained_for_rows(n_train)
    if source is None or data.kind != "formula" or network != "irnet" or own_architecture:
        return None
    from skirnet.transfer import source_feature_set  # loads torch: only when needed

    return source if features in (None, source_feature_set(source)) else None


def featurize_user_data(
    data: UserData,
    features: str | None = None,
    *,
    progress: bool = True,
    drop_bad_rows: bool = False,
) -> tuple[np.ndarray, BaseFeaturizer] | tuple[np.ndarray, BaseFeaturizer, pd.DataFrame]:
    """The features of ``data`` (structures through the cache) and the featurizer.

    A row cannot be featurized when its features are all NaN: a structure that cannot
    be read or tessellated (an unparseable CIF, overlapping atoms, a cell left open by
    vacuum, a Voronoi construction with an infinite vertex), a formula that cannot be
    parsed (an unknown element, a malformed formula). Such a row raises, unless
    ``drop_bad_rows`` asks for the features of the other rows and the list of those
    dropped.

    Parameters
    ----------
    data : UserData
        What :func:`read_user_data` returned.
    features : {"composition", "structure", "both"}, optional
        See :func:`~skirnet.featurizers.featurizer_for`.
    progress : bool, default=True
        Show progress bars.
    drop_bad_rows : bool, default=False
        Drop the rows that cannot be featurized instead of raising, and return them.

    Returns
    -------
    X : ndarray of shape (n_rows, n_features)
        With ``drop_bad_rows``, the rows that could be featurized, in order.
    featurizer : BaseFeaturizer
        Unfitted, for a pipeline that predicts from the same kind of input.
    dropped : pandas.DataFrame
        Only with ``drop_bad_rows``: one row per dropped row, in order, with columns
        ``row`` (its number in ``data``), ``id`` (``data.ids``) and ``reason``.

    Raises
    ------
    ValueError
        A row that cannot be featurized (the message names it, its id and why, and
        how many others failed), or with ``drop_bad_rows`` every row; or structure
        features asked of formulas.

    Examples
    --------
    >>> from pathlib import Path
    >>> import numpy as np
    >>> data = UserData(["NaCl", "Xx2", "MgO"], np.ones(3), "formula", "formula", "target",
    ...                 np.array(["0", "1", "2"]), Path("table.csv"))
    >>> X, _, dropped = featurize_user_data(data, progress=False, drop_bad_rows=True)
    >>> X.shape, dropped.to_dict("records")
    ((2, 145), [{'row': 1, 'id': '1', 'reason': "'Xx2': unknown element(s) 'Xx'"}])
    """
    featurizer = featurizer_for(data.kind, features)
    if data.kind == "formula":
        used = clone(featurizer).set_params(progress_bar=None if progress else False)
        if not drop_bad_rows:
            return used.fit_transform(data.inputs), featurizer
        from skirnet.featurizers._folder import featurize_chunk

        X, why = featurize_chunk(used.set_params(errors="nan").fit(data.inputs), data.inputs)
        rows = sorted(why)
        failures = pd.DataFrame(
            {"row": rows, "id": [data.ids[i] for i in rows], "reason": [why[i] for i in rows]},
            columns=["row", "id", "reason"],
        )
    else:
        # worker processes pay off once the tessellations outweigh their start (about 2 s)
        parallel = clone(featurizer).set_params(n_jobs=-1 if len(data) >= 1000 else None)
        frame, failures = featurize_to_folder(
            parallel,
            data.inputs,
            feature_cache_dir(data, featurizer),
            ids=data.ids,
            chunk_size=500,
            progress_bar=progress,
        )
        X = frame.to_numpy()
    if len(failures) and not drop_bad_rows:
        first = failures.iloc[0]
        more = f" ({len(failures) - 1} more row(s) failed too)" if len(failures) > 1 else ""
        raise ValueError(
            f"StructureFeaturizer: cannot featurize row {first['row']} (id {first['id']!r}) "
            f"of {data.source}: {first['reason']}{more}"
        )
    if not drop_bad_rows:
        return X, featurizer
    records = sorted(
        (int(r.row), str(r.id), str(r.reason)) for r in failures.itertuples(index=False)
    )
    dropped = pd.DataFrame(records, columns=["row", "id", "reason"])
    if len(dropped) == len(data):
        first = dropped.iloc[0]
        raise ValueError(
            f"none of the {len(data)} rows of {data.source} can be featurized (row "
            f"{first['row']}, id {first['id']!r}: {first['reason']})"
        )
    return np.delete(X, dropped["row"].to_numpy(dtype=int), axis=0), featurizer, dropped


def predict_user_data(
    pipe: Any, data: UserData, *, conformal: Any = None, confidence: float = 0.9
) -> pd.DataFrame:
    """Predict every row of ``data``; rows that cannot be read or featurized keep their place.

    Parameters
    ----------
    pipe : sklearn.pipeline.Pipeline
        A fitted ``featurize`` / ... / ``net`` pipeline for ``data.kind`` inputs.
    data : UserData
        What :func:`read_user_data` returned (``target=False`` is enough).
    conformal : ConformalRegressor, optional
        A split calibration of ``pipe`` (:func:`skirnet.intervals.load_calibration`,
        :func:`skirnet.pretrained.load_conformal`): adds the interval's bounds.
    confidence : float, default=0.9
        The level of those intervals.

    Returns
    -------
    pandas.DataFrame
        One row per input row, in order: ``formula`` (or ``id`` for structures),
        ``prediction`` (NaN where the row failed), with ``conformal`` ``lower`` and
        ``upper`` (NaN there too), and ``error`` (empty, or why: the reason of
        ``data.errors``, or why it could not be featurized).

    Examples
    --------
    >>> from skirnet import pretrained
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "q.csv"
    >>> _ = p.write_text("formula\\nNaCl\\nXx2\\n")
    >>> out = predict_user_data(pretrained.load("oqmd-formation-enthalpy"),
    ...                         read_user_data(p, target=False))
    >>> out["prediction"].round(1).tolist()[0], out["error"].tolist()[1]
    (-2.1, "'Xx2': unknown element(s) 'Xx'")
    """
    from skirnet.featurizers._folder import featurize_chunk

    featurizer = clone(pipe.steps[0][1]).set_params(errors="nan").fit(None)
    read = [i for i in range(len(data)) if i not in data.errors]  # rows with an input
    failed = dict(data.errors)
    prediction = np.full(len(data), np.nan)
    lower, upper = prediction.copy(), prediction.copy()
    if conformal is not None:
        from skirnet.intervals import ConformalRegressor

        # the same scores around the steps after the featurizer, which see the features
        conformal = ConformalRegressor.from_dict(conformal.to_dict(), pipe[1:])
    if read:
        X, unfeaturized = featurize_chunk(featurizer, [data.inputs[i] for i in read])
        failed.update({read[j]: why for j, why in unfeaturized.items()})
        ok = np.array([i not in failed for i in read])
        if ok.any():
            rows = np.asarray(read)[ok]
            if conformal is None:
                prediction[rows] = pipe[1:].predict(X[ok])
            else:
                prediction[rows], lower[rows], upper[rows] = conformal.predict_interval(
                    X[ok], confidence=confidence
                )
    first = "formula" if data.kind == "formula" else "id"
    names = data.inputs if data.kind == "formula" else data.ids
    errors = [failed.get(i, "") for i in range(len(data))]
    columns = {first: names, "prediction": prediction}
    if conformal is not None:
        columns.update(lower=lower, upper=upper)
    return pd.DataFrame({**columns, "error": errors})
