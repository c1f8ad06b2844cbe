"""What every skirnet featurizer shares, in the spirit of matminer's ``BaseFeaturizer``.

:class:`BaseFeaturizer` owns the parameters common to all featurizers (``column``,
``errors``, ``n_jobs``, ``progress_bar``) and their validation, the reading of ``X``
(:func:`coerce_rows`), the chunked, optionally parallel and progress-reporting evaluation
(``featurize_many``) and the error policy (``BaseFeaturizer._apply_error_policy``,
one warning class, :class:`FeaturizationWarning`). A subclass only says what its features
are (:meth:`~BaseFeaturizer.feature_labels`, :meth:`~BaseFeaturizer.citations`) and how
they are computed.

This module never imports torch.
"""

from __future__ import annotations

import math
import multiprocessing
import numbers
import signal
import threading
import warnings
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skirnet._warnings import warn_at_caller

__all__ = [
    "MATMINER_CITATION",
    "PROGRESS_MIN_SECONDS",
    "BaseFeaturizer",
    "FeaturizationWarning",
    "coerce_rows",
    "featurize_many",
    "record_input_columns",
    "show_progress",
]

#: ``progress_bar=None`` shows a bar when the estimated work takes at least this long.
PROGRESS_MIN_SECONDS = 3.0

MATMINER_CITATION = """@article{ward2018matminer,
  author = {Ward, Logan and Dunn, Alexander and Faghaninia, Alireza and Zimmermann, Nils E. R.
            and Bajaj, Saurabh and Wang, Qi and Montoya, Joseph and Chen, Jiming and
            Bystrom, Kyle and Dylla, Maxwell and Chard, Kyle and Asta, Mark and
            Persson, Kristin A. and Snyder, G. Jeffrey and Foster, Ian and Jain, Anubhav},
  title = {Matminer: An open source toolkit for materials data mining},
  journal = {Computational Materials Science}, volume = {152}, pages = {60--69},
  year = {2018}, doi = {10.1016/j.commatsci.2018.05.018}}"""

#: Row containers that are not a sequence of rows: a byte string would be read as its
#: integers, a dict as its keys, a set in no defined order.
_NOT_ROWS = (bytes, bytearray, memoryview, dict, set, frozenset)


class FeaturizationWarning(UserWarning):
    """Rows that could not be featurized were set to NaN (``errors="nan"``).

    Issued once per ``transform``, with the number of failed rows and the first
    examples; attributed to the user's line, not to scikit-learn's wrappers.

    Examples
    --------
    >>> import warnings
    >>> from skirnet.featurizers import CompositionFeaturizer, FeaturizationWarning
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     X = CompositionFeaturizer(errors="nan").fit_transform(["NaCl", "Xx"])
    >>> caught[0].category is FeaturizationWarning
    True
    """


def record_input_columns(transformer: Any, X: Any) -> None:
    """Set ``n_features_in_`` and ``feature_names_in_`` for the input ``X`` of ``fit``.

    ``n_features_in_`` is the number of columns of a DataFrame or 2-D array (the
    featurizer reads one of them) and 1 for a 1-D sequence of formulas or structures.
    ``feature_names_in_`` is set only for a DataFrame whose column names are all
    strings, and removed otherwise, so that a refit never keeps stale names.

    Parameters
    ----------
    transformer : object
        The featurizer being fitted.
    X : DataFrame, Series, ndarray or sequence
        The input of ``fit``.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> t = SimpleNamespace()
    >>> record_input_columns(t, pd.DataFrame({"formula": ["NaCl"], "y": [1.0]}))
    >>> t.n_features_in_, list(t.feature_names_in_)
    (2, ['formula', 'y'])
    >>> record_input_columns(t, ["NaCl"])
    >>> t.n_features_in_, hasattr(t, "feature_names_in_")
    (1, False)
    """
    names = None
    if isinstance(X, pd.DataFrame):
        n_features = X.shape[1]
        if all(isinstance(c, str) for c in X.columns):
            names = np.asarray(X.columns, dtype=object)
    elif isinstance(X, np.ndarray) and X.ndim == 2:
        n_features = X.shape[1]
    else:
        n_features = 1
    transformer.n_features_in_ = n_features
    if names is not None:
        transformer.feature_names_in_ = names
    elif hasattr(transformer, "feature_names_in_"):
        del transformer.feature_names_in_


def coerce_rows(
    X: Any, column: Hashable | None, *, what: str, single: tuple[type, ...] = ()
) -> tuple[list[Any], pd.Index | None]:
    """Turn the ``X`` of a featurizer into a list of rows (and the pandas index, if any).

    Parameters
    ----------
    X : sequence, ndarray, Series or DataFrame
        The input: a 1-D sequence or array, a one-column 2-D array, a Series, or a
        DataFrame with the values in ``column`` (which may be omitted when the frame
        has one column). Rows that are one-element lists or tuples are unwrapped.
    column : hashable, optional
        Column of a DataFrame holding the values.
    what : str
        What a row holds, for messages (``"formulas"``, ``"structures"``).
    single : tuple of type
        Types that are one value rather than a sequence of rows (a string always is).

    Returns
    -------
    rows : list
        One value per row.
    index : pandas.Index or None
        The index of a Series or DataFrame, quoted in error messages.

    Raises
    ------
    ValueError
        A single value (wrap it in a list), a missing ``column``, a frame with several
        columns and no ``column``, an array of the wrong shape.
    TypeError
        ``X`` is not a sequence of rows: bytes, a dict, a set, a scalar.

    Examples
    --------
    >>> import pandas as pd
    >>> coerce_rows(pd.Series(["NaCl"], index=["a"]), None, what="formulas")
    (['NaCl'], Index(['a'], dtype='object'))
    >>> coerce_rows({"NaCl": 1.0}, None, what="formulas")
    Traceback (most recent call last):
    ...
    TypeError: expected a 1-D sequence of formulas, got a dict; pass a list ...
    """
    if isinstance(X, pd.DataFrame):
        if column is not None:
            if column not in X.columns:
                raise ValueError(
                    f"column {column!r} not found in X (columns: {[str(c) for c in X.columns]})"
                )
            X = X[column]
        elif X.shape[1] == 1:
            X = X.iloc[:, 0]
        else:
            raise ValueError(
                f"X is a DataFrame with {X.shape[1]} columns: set column= to the one holding "
                f"the {what}"
            )
    if isinstance(X, pd.Series):
        return _unwrap(X.tolist(), what), X.index
    if isinstance(X, (str, *single)):
        raise ValueError(
            f"expected a 1-D sequence of {what}, got a single value ({type(X).__name__}); "
            "wrap it in a list"
        )
    if isinstance(X, _NOT_ROWS):
        raise TypeError(
            f"expected a 1-D sequence of {what}, got a {type(X).__name__}; pass a list "
            f"(one value per row) or a pandas Series"
            + ("; decode bytes to str first" if isinstance(X, bytes | bytearray) else "")
        )
    if isinstance(X, np.ndarray):
        arr = X[:, 0] if X.ndim == 2 and X.shape[1] == 1 else X
        if arr.ndim != 1:
            raise ValueError(f"expected a 1-D array of {what}, got shape {X.shape}")
        return _unwrap(arr.tolist(), what), None
    if not isinstance(X, Iterable):
        raise TypeError(f"expected a 1-D sequence of {what}, got {type(X).__name__}")
    # not np.asarray: it would unpack Compositions and Structures (they are sequences)
    return _unwrap(list(X), what), None


def _unwrap(rows: list[Any], what: str) -> list[Any]:
    """Unwrap one-element list/tuple/array rows (a one-column table given as nested lists)."""
    nested = [isinstance(v, list | tuple | np.ndarray) for v in rows]
    if not any(nested):
        return rows
    if not all(n and len(v) == 1 for n, v in zip(nested, rows, strict=True)):
        raise ValueError(f"expected a 1-D sequence of {what} (or one column)")
    return [v[0] for v in rows]


def show_progress(progress_bar: bool | None, n_items: int, seconds_per_item: float) -> bool:
    """Whether to show a progress bar: the one rule of every featurizer.

    ``progress_bar=None`` shows a bar when the estimated work, ``n_items`` times
    ``seconds_per_item``, takes :data:`PROGRESS_MIN_SECONDS` (3 s) or more;
    ``True``/``False`` force it on or off.

    Parameters
    ----------
    progress_bar : bool or None
        The featurizer's setting.
    n_items : int
        Number of items to compute (unique formulas, structures).
    seconds_per_item : float
        Estimated time of one item on one core.

    Returns
    -------
    bool

    Examples
    --------
    >>> show_progress(None, 1000, 0.05), show_progress(None, 10, 0.05)
    (True, False)
    >>> show_progress(False, 10**6, 1.0)
    False
    """
    if progress_bar is not None:
        return bool(progress_bar)
    return n_items * seconds_per_item >= PROGRESS_MIN_SECONDS


class _LeaveCtrlCToTheParent:
    """``func`` for a joblib worker process: the worker ignores Ctrl-C from then on.

    Ctrl-C in a terminal interrupts the whole process group. The parent process then
    raises ``KeyboardInterrupt`` and stops the workers; a worker that handled the
    signal too would print its own traceback over the user's terminal.
    """

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func

    def __call__(self, *args: Any) -> Any:
        in_worker = multiprocessing.parent_process() is not None
        if in_worker and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        return self.func(*args)


def featurize_many(
    func: Callable[..., Any],
    items: Sequence[Any],
    *,
    args: tuple[Any, ...] = (),
    n_jobs: int | None = None,
    progress_bar: bool | None = None,
    seconds_per_item: float,
    chunk_size: tuple[int, int] = (1, 256),
    desc: str = "featurizing",
    unit: str = "item",
) -> list[Any]:
    """Evaluate ``func(chunk, *args)`` over chunks of ``items``, in order.

    The items are cut into chunks of about a quarter of an equal share per worker,
    clamped to ``chunk_size``. With ``n_jobs`` other than None/1 and more than one
    chunk, the chunks run in joblib workers (processes), results coming back in order.
    A tqdm bar counts the items (see ``show_progress``). Ctrl-C stops the workers
    and raises ``KeyboardInterrupt`` itself.

    Parameters
    ----------
    func : callable
        ``func(chunk, *args)`` for a list of items; must be picklable for workers.
        Errors of single items should be returned, not raised (see the featurizers).
    items : sequence
        The work.
    args : tuple
        Further arguments of ``func``.
    n_jobs : int, optional
        Number of joblib workers; None or 1 runs in this process, -1 on every core.
    progress_bar : bool, optional
        Show a tqdm bar: None decides by the estimated work.
    seconds_per_item : float
        Estimated time per item on one core (for the progress rule).
    chunk_size : (int, int)
        Smallest and largest chunk.
    desc, unit : str
        Label and unit of the progress bar.

    Returns
    -------
    list
        ``func``'s result for each chunk, in the order of ``items``.

    Examples
    --------
    >>> featurize_many(sum, [1, 2, 3, 4, 5], seconds_per_item=0.0, chunk_size=(2, 2))
    [3, 7, 5]
    """
    n = len(items)
    if not n:
        return []
    workers = 1 if n_jobs is None else max(1, min(effective_n_jobs(n_jobs), n))
    lo, hi = chunk_size
    size = max(lo, min(hi, math.ceil(n / (4 * workers))))
    chunks = [items[i : i + size] for i in range(0, n, size)]
    if workers > 1 and len(chunks) > 1:
        task = _LeaveCtrlCToTheParent(func)
        results: Iterable[Any] = Parallel(n_jobs=workers, return_as="generator")(
            delayed(task)(chunk, *args) for chunk in chunks
        )
    else:
        results = (func(chunk, *args) for chunk in chunks)
    from tqdm.auto import tqdm

    show = show_progress(progress_bar, n, seconds_per_item)
    out: list[Any] = []
    try:
        with tqdm(total=n, disable=not show, desc=desc, unit=unit) as bar:
            for chunk, result in zip(chunks, results, strict=False):
                out.append(result)
                bar.update(len(chunk))
    except KeyboardInterrupt:
        # stop the workers now (without joblib's "tasks cancelled" warning) and raise a
        # plain KeyboardInterrupt, without a chain of joblib frames
        close = getattr(results, "close", None)
        if close is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                close()
        raise KeyboardInterrupt from None
    return out


def _where(row: int, index: pd.Index | None) -> str:
    """``row 3``, or ``row 3 (index 'mp-7')`` where the pandas label differs."""
    if index is not None and index[row] != row:
        return f"row {row} (index {index[row]!r})"
    return f"row {row}"


class BaseFeaturizer(TransformerMixin, BaseEstimator):
    """Base class of skirnet's featurizers: parameters, input, chunks, errors, labels.

    A subclass sets ``_parameter_constraints`` (extending this class's),
    ``_what`` (what a row holds), ``_single_types()`` (types that are one value),
    ``_seconds_per_item`` (for the progress rule), implements :meth:`feature_labels`,
    :meth:`citations` and ``_featurize(rows, index)``, and calls
    ``featurize_many`` through ``_featurize_many`` and the error policy
    through ``_apply_error_policy``.

    The parameters shared by every featurizer:

    column : hashable, optional
        Column holding the inputs when ``X`` is a DataFrame (may be omitted for a
        one-column frame).
    errors : {"raise", "nan"}
        ``"raise"``: a ``ValueError`` naming the first bad row, its pandas index label,
        the value and the reason; ``"nan"``: NaN rows and one
        :class:`FeaturizationWarning` with the count and the first examples.
    n_jobs : int, optional
        joblib workers (processes); None or 1: this process only; -1: all cores.
        Validated for every input size, used when there is more than one chunk.
    progress_bar : bool, optional
        tqdm bar: None shows one when the estimated work takes 3 s or more
        (``show_progress``), True/False force it.
    progress : bool, optional
        Deprecated alias of ``progress_bar`` (FutureWarning; removed in 0.4).

    Examples
    --------
    >>> from skirnet.featurizers import CompositionFeaturizer
    >>> isinstance(CompositionFeaturizer(), BaseFeaturizer)
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        "column": [Hashable, None],
        "errors": [StrOptions({"raise", "nan"})],
        "n_jobs": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Integral, None, -1, closed="right"),
            None,
        ],
        "progress_bar": ["boolean", None],
        "progress": ["boolean", None],
    }
    #: What one row holds, for messages.
    _what: ClassVar[str] = "values"
    #: Estimated time per item on one core (drives ``progress_bar=None``).
    _seconds_per_item: ClassVar[float] = 1e-3

    # ------------------------------------------------------------------ description
    def feature_labels(self) -> list[str]:
        """Names of the output columns, for the current parameters (matminer's API).

        Returns
        -------
        list of str
        """
        raise NotImplementedError

    def citations(self) -> list[str]:
        """BibTeX entries of the papers to cite when using these features.

        Returns
        -------
        list of str
        """
        raise NotImplementedError

    def _single_types(self) -> tuple[type, ...]:
        """Types that are one input value rather than a sequence of rows."""
        return ()

    # ------------------------------------------------------------------ parameters
    def _check_params(self) -> None:
        """Validate the parameters (scikit-learn's constraints) and warn on deprecated ones."""
        self._validate_params()
        if self.progress is not None:
            warn_at_caller(
                f"{type(self).__name__}(progress=...) is deprecated since skirnet 0.2 and "
                "will be removed in 0.4; use progress_bar=... (the estimators' name).",
                FutureWarning,
            )

    @property
    def _progress_bar(self) -> bool | None:
        """The effective ``progress_bar`` (the deprecated ``progress`` fills in for None)."""
        return self.progress if self.progress_bar is None else self.progress_bar

    def __sklearn_tags__(self):  # noqa: D105
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags

    def _check_fitted(self) -> None:
        if self.__sklearn_tags__().requires_fit:
            check_is_fitted(self, "feature_names_out_")

    # ------------------------------------------------------------------ the API
    def fit(self, X: Any = None, y: Any = None) -> BaseFeaturizer:
        """Validate the parameters (and ``column``); nothing is learned from ``X``.

        Parameters
        ----------
        X : sequence or DataFrame, optional
            Only checked (``column``) and its columns recorded: ``n_features_in_`` is
            the number of columns of a DataFrame, else 1; ``feature_names_in_`` is set
            for a DataFrame with string column names.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted featurizer.
        """
        self._check_params()
        if X is not None:
            coerce_rows(X, self.column, what=self._what, single=self._single_types())
            record_input_columns(self, X)
        self.feature_names_out_ = np.asarray(self.feature_labels(), dtype=object)
        self.n_features_out_ = len(self.feature_names_out_)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Compute the features of every row.

        Parameters
        ----------
        X : sequence, Series or DataFrame
            The inputs; for a DataFrame, in ``column``.

        Returns
        -------
        ndarray of shape (n_rows, n_features_out), float64
            The features, in the order of :meth:`get_feature_names_out`; rows that
            failed are NaN with ``errors="nan"``.
        """
        self._check_fitted()
        self._check_params()
        rows, index = coerce_rows(X, self.column, what=self._what, single=self._single_types())
        return self._featurize(rows, index)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output features (:meth:`feature_labels`).

        Parameters
        ----------
        input_features : ignored
            Present for scikit-learn API compatibility.

        Returns
        -------
        ndarray of str
        """
        self._check_fitted()
        return np.asarray(self.feature_labels(), dtype=object)

    # ------------------------------------------------------------------ for subclasses
    def _featurize(self, rows: list[Any], index: pd.Index | None) -> np.ndarray:
        raise NotImplementedError

    def _featurize_many(
        self,
        func: Callable[..., Any],
        items: Sequence[Any],
        *,
        args: tuple[Any, ...] = (),
        chunk_size: tuple[int, int] = (1, 256),
        unit: str = "item",
    ) -> list[Any]:
        """:func:`featurize_many` with this featurizer's ``n_jobs`` and progress setting."""
        return featurize_many(
            func,
            items,
            args=args,
            n_jobs=self.n_jobs,
            progress_bar=self._progress_bar,
            seconds_per_item=self._seconds_per_item,
            chunk_size=chunk_size,
            desc=type(self).__name__,
            unit=unit,
        )

    def _apply_error_policy(
        self,
        failures: Sequence[tuple[int, str]],
        n_failed: int,
        n_rows: int,
        index: pd.Index | None,
    ) -> None:
        """Raise on the first failure (``errors="raise"``) or warn once (``"nan"``).

        Parameters
        ----------
        failures : sequence of (row, message)
            Failed rows in row order (one per distinct bad value is enough); the
            message says what is wrong and quotes the value where it is short.
        n_failed : int
            Number of failed rows in all.
        n_rows : int
            Number of input rows.
        index : pandas.Index, optional
            Labels of the rows, quoted where they differ from the position.
        """
        if not failures:
            return
        name = type(self).__name__
        if self.errors == "raise":
            row, message = failures[0]
            more = f" ({n_failed - 1} more row(s) failed too)" if n_failed > 1 else ""
            raise ValueError(f"{name}: cannot featurize {_where(row, index)}: {message}{more}")
        examples = "; ".join(f"{_where(row, index)}: {message}" for row, message in failures[:3])
        warn_at_caller(
            f"{name}: {n_failed} of {n_rows} row(s) could not be featurized and were set "
            f"to NaN, e.g. {examples}",
            FeaturizationWarning,
        )
