"""Screen many candidate compositions with a fitted model, in chunks, to a Parquet file.

Candidates come from a table (CSV or Parquet, read in chunks, so millions of rows never
sit in memory at once) or are generated from an element list and a stoichiometry grid
(:func:`generate_compositions`). Each chunk is predicted by a fitted pipeline that takes
formulas (a model written by ``skirnet train``, or any scikit-learn pipeline that starts
with a :class:`~skirnet.featurizers.CompositionFeaturizer`), and written to a Parquet file
as it finishes: one row per candidate, in input order, with ``formula``, ``prediction``,
``std`` (when the model's ``predict`` takes ``return_std``, as a
:class:`~skirnet.ensemble.DeepEnsembleRegressor` does) and ``error``. A candidate that
cannot be featurized (an unparseable formula, an unknown element) keeps its row with NaN
and the reason in ``error``: nothing is dropped silently.

With ``client=`` (a ``dask.distributed.Client``) the chunks become Dask tasks: the
model is sent once to every worker, chunks of formulas go out and predictions come back,
and the client writes them in order, so the same call runs on a laptop and on a cluster
with the same results.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import heapq
import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from skirnet._atomic import write_atomically
from skirnet.datasets._tables import (
    CSV_OPTIONS,
    FORMULA_CANDIDATES,
    PARQUET_OPTIONS,
    csv_header,
    parquet_columns,
    pick_column,
    reading_csv,
    reading_parquet,
    text_cells,
)

__all__ = [
    "MAX_GENERATED",
    "GridTooLargeError",
    "ScreeningResult",
    "check_grid_size",
    "count_compositions",
    "dask_client",
    "generate_compositions",
    "iter_table_formulas",
    "score_formulas",
    "screen",
]


# --------------------------------------------------------------------------- candidates


#: Amount tables of at most this many positive tuples are kept between element subsets;
#: larger ones are enumerated again for each subset, so memory never grows with them.
_CACHED_AMOUNTS = 100_000


def _iter_amounts(k: int, max_atoms: int) -> Iterator[tuple[int, ...]]:
    """Amounts of a k-element composition: positive, summing to at most ``max_atoms``, and
    with no common divisor (Fe2O2 is FeO: each composition comes once), in lexicographic
    order. Enumerated one by one, never held in memory together."""
    if k == 1:  # a single element has the amount 1 only (Fe2 is Fe)
        if max_atoms >= 1:
            yield (1,)
        return

    def rest(prefix: tuple[int, ...], slots: int, budget: int, divisor: int):
        if slots == 1:
            for a in range(1, budget + 1):
                if math.gcd(divisor, a) == 1:
                    yield (*prefix, a)
            return
        for a in range(1, budget - slots + 2):
            yield from rest((*prefix, a), slots - 1, budget - a, math.gcd(divisor, a))

    yield from rest((), k, max_atoms, 0)


@functools.lru_cache(maxsize=8)
def _amount_table(k: int, max_atoms: int) -> tuple[tuple[int, ...], ...]:
    return tuple(_iter_amounts(k, max_atoms))


def _element_counts(n_elements: int, max_atoms: int, min_elements: int, max_elements: int | None):
    top = min(n_elements, max_atoms, max_elements or n_elements)
    return range(max(min_elements, 1), top + 1)


def _amount_grid(
    n_elements: int, max_atoms: int, min_elements: int, max_elements: int | None
) -> Iterator[tuple[tuple[int, ...], tuple[int, ...]]]:
    """(element positions, amounts) of every composition: unaries first, then binaries, ...

    Only the compositions themselves are enumerated (subsets of elements times positive
    amounts), so a long element list costs nothing for the combinations it cannot form;
    memory stays bounded however many there are.
    """
    for k in _element_counts(n_elements, max_atoms, min_elements, max_elements):
        small = math.comb(max_atoms, k) <= _CACHED_AMOUNTS  # positive tuples, any divisor
        for subset in itertools.combinations(range(n_elements), k):
            amounts = _amount_table(k, max_atoms) if small else _iter_amounts(k, max_atoms)
            for a in amounts:
                yield subset, a


#: Compositions of element grids up to this many atoms are counted exactly (a sieve of
#: the Moebius function up to half of it: a fraction of a second); a grid of two or more
#: elements and more atoms than this holds over 10**12 compositions.
_COUNTED_ATOMS = 2_000_000


def _mertens(n: int) -> np.ndarray:
    """``M[x]``, the sum of the Moebius function over 1..x, for x = 0..n."""
    mu = np.ones(n + 1, dtype=np.int8)
    mu[0] = 0
    prime = np.ones(n + 1, dtype=bool)
    prime[:2] = False
    for p in range(2, math.isqrt(n) + 1):
        if prime[p]:
            prime[p * p :: p] = False
    for p in np.flatnonzero(prime).tolist():
        mu[p::p] *= -1
        mu[p * p :: p * p] = 0
    return np.cumsum(mu, dtype=np.int64)


def _coprime_amounts(k: int, max_atoms: int, mertens: np.ndarray) -> int:
    """How many amounts :func:`_iter_amounts` yields, counted, not enumerated.

    Positive k-tuples with sum at most N number C(N, k); those whose amounts share the
    divisor d, C(N // d, k). Moebius inversion keeps those without one:
    sum over d of mu(d) * C(N // d, k), summed over the ranges of d with one N // d.
    ``mertens`` must reach ``max_atoms // k``.
    """
    if k == 1:
        return int(max_atoms >= 1)
    total, d, top = 0, 1, max_atoms // k
    while d <= top:
        q = max_atoms // d
        last = min(max_atoms // q, top)
        total += int(mertens[last] - mertens[d - 1]) * math.comb(q, k)
        d = last + 1
    return total


def _grid_size(
    n_elements: int,
    max_atoms: int,
    min_elements: int,
    max_elements: int | None,
    mertens: np.ndarray,
) -> int:
    counts = _element_counts(n_elements, max_atoms, min_elements, max_elements)
    return sum(math.comb(n_elements, k) * _coprime_amounts(k, max_atoms, mertens) for k in counts)


def _oxidation_states(elements: Sequence[str]) -> list[tuple[int, ...]]:
    from pymatgen.core import Element

    states = []
    for symbol in elements:
        common = Element(symbol).common_oxidation_states
        states.append(tuple(common) if common else (0,))
    return states


def _balanced(amounts: tuple[int, ...], states: Sequence[tuple[int, ...]]) -> bool:
    return any(
        sum(a * q for a, q in zip(amounts, choice, strict=True)) == 0
        for choice in itertools.product(*states)
    )


def _checked_elements(elements: Sequence[str], max_atoms: int) -> list[str]:
    from pymatgen.core import Element

    elements = [str(e) for e in elements]
    if not elements:
        raise ValueError("no element symbols given; name at least one, e.g. Li,Fe,O")
    for symbol in elements:
        if not Element.is_valid_symbol(symbol):
            raise ValueError(f"{symbol!r} is not an element symbol.")
    if len(set(elements)) != len(elements):
        raise ValueError(f"elements repeat: {elements}")
    if max_atoms < 1:
        raise ValueError(f"max_atoms must be at least 1, got {max_atoms}.")
    return elements


def generate_compositions(
    elements: Sequence[str],
    max_atoms: int,
    *,
    min_elements: int = 1,
    max_elements: int | None = None,
    charge_balanced: bool = False,
) -> Iterator[str]:
    """Every composition of ``elements`` with at most ``max_atoms`` atoms per formula unit.

    Compositions are reduced (``Fe2O2`` is generated once, as ``Fe1O1``) and come in a
    fixed order — by number of elements, then element subset, then amounts — so a
    generated screen is reproducible.

    Parameters
    ----------
    elements : sequence of str
        Element symbols, e.g. ``["Li", "Fe", "O"]``.
    max_atoms : int
        Largest sum of the amounts.
    min_elements : int, default=1
        Keep compositions with at least this many elements (``len(elements)`` for the
        ternaries of three elements only).
    max_elements : int, default=None
        Keep compositions with at most this many elements (``3`` for every unary, binary
        and ternary of a long element list); None for no limit.
    charge_balanced : bool, default=False
        Keep only compositions whose amounts balance with one of each element's common
        oxidation states (pymatgen's ``common_oxidation_states``).

    Yields
    ------
    formula : str
        ``"Li1Fe1O2"``-style formulas, elements in the order given.

    Examples
    --------
    >>> from skirnet.screening import generate_compositions
    >>> list(generate_compositions(["Na", "Cl"], 2, min_elements=2))
    ['Na1Cl1']
    >>> list(generate_compositions(["Fe", "O"], 5, min_elements=2, charge_balanced=True))
    ['Fe1O1', 'Fe2O3']

    Fe3O4 is not generated: charge balance takes one oxidation state per element.
    """
    elements = _checked_elements(elements, max_atoms)
    states = _oxidation_states(elements) if charge_balanced else None
    # "Fe2" for every element and the usual amounts, built once: joining them is the whole
    # cost (larger amounts, rare, are written as they come)
    parts = [[f"{e}{a}" for a in range(min(max_atoms, 1000) + 1)] for e in elements]
    built = len(parts[0]) if parts else 0
    for subset, amounts in _amount_grid(len(elements), max_atoms, min_elements, max_elements):
        if states is not None and not _balanced(amounts, [states[i] for i in subset]):
            continue
        yield "".join(
            [
                parts[i][a] if a < built else f"{elements[i]}{a}"
                for i, a in zip(subset, amounts, strict=True)
            ]
        )


def count_compositions(
    elements: Sequence[str],
    max_atoms: int,
    *,
    min_elements: int = 1,
    max_elements: int | None = None,
    charge_balanced: bool = False,
) -> int:
    """Number of compositions :func:`generate_compositions` yields (for a progress bar).

    Without charge balance the count is computed, not enumerated (in a fraction of a
    second); with it every composition of the grid is generated and tested.

    Raises
    ------
    ValueError
        Bad element symbols, or a grid of two or more elements with more than 2,000,000
        atoms (over 10**12 compositions: too many to count, let alone screen).

    Examples
    --------
    >>> from skirnet.screening import count_compositions
    >>> count_compositions(["Li", "O"], 3)  # Li, O, LiO, LiO2, Li2O
    5
    """
    if charge_balanced:
        return sum(
            1
            for _ in generate_compositions(
                elements,
                max_atoms,
                min_elements=min_elements,
                max_elements=max_elements,
                charge_balanced=True,
            )
        )
    return check_grid_size(
        elements, max_atoms, min_elements=min_elements, max_elements=max_elements, limit=None
    )


#: The most compositions ``skirnet screen`` generates from an element grid in one run:
#: about 12 hours at the 1.3 million candidates per minute measured on 2 CPU cores
#: (benchmarks page, *Screening*) and some 14 GB of Parquet.
MAX_GENERATED = 1_000_000_000


class GridTooLargeError(ValueError):
    """An element grid with more compositions than a screen takes.

    Attributes
    ----------
    count : int
        Compositions of the grid (before charge balance); a lower bound when ``exact``
        is False.
    exact : bool
        Whether ``count`` is the exact number.
    limit : int
        The most compositions allowed.
    max_atoms : int or None
        The largest ``max_atoms`` whose grid fits the limit (None when not even 1 does).
    fitting : int
        Compositions of the grid with that ``max_atoms``.
    """

    def __init__(
        self, count: int, exact: bool, limit: int, max_atoms: int | None, fitting: int
    ) -> None:
        self.count, self.exact, self.limit = count, exact, limit
        self.max_atoms, self.fitting = max_atoms, fitting
        size = f"{count:,}" if exact else f"more than {count:,}"
        fits = (
            f"max_atoms={max_atoms} gives {fitting:,}"
            if max_atoms is not None
            else "even max_atoms=1 gives more"
        )
        super().__init__(f"{size} compositions, over the limit of {limit:,}; {fits}")


def check_grid_size(
    elements: Sequence[str],
    max_atoms: int,
    *,
    min_elements: int = 1,
    max_elements: int | None = None,
    limit: int | None = MAX_GENERATED,
) -> int:
    """Count an element grid's compositions before generating any; refuse one too large.

    Parameters
    ----------
    elements, max_atoms, min_elements, max_elements
        As for :func:`generate_compositions`.
    limit : int or None, default=MAX_GENERATED
        The most compositions allowed; None for no limit.

    Returns
    -------
    int
        Compositions of the grid (before any charge balance), counted, not enumerated.

    Raises
    ------
    GridTooLargeError
        More than ``limit`` compositions; the error gives their number and the largest
        ``max_atoms`` that fits.
    ValueError
        No element, a bad element symbol, or (``limit=None``) a grid too large to count
        exactly.

    Examples
    --------
    >>> from skirnet.screening import check_grid_size
    >>> check_grid_size(["Li", "Fe", "O"], 6)
    55
    >>> check_grid_size(["Li", "Fe", "O"], 10**9)  # counted up to 2,000,000 atoms
    Traceback (most recent call last):
    ...
    skirnet.screening.GridTooLargeError: more than 1,109,212,406,694,628,942 compositions, ...
    >>> try:
    ...     check_grid_size(["Li", "Fe", "O"], 10**9)
    ... except GridTooLargeError as exc:
    ...     print(exc.max_atoms, exc.fitting)
    1930 999098638
    """
    n = len(_checked_elements(elements, max_atoms))
    several = max(_element_counts(n, max_atoms, min_elements, max_elements), default=1) > 1
    exact = not several or max_atoms <= _COUNTED_ATOMS
    reach = min(max_atoms, _COUNTED_ATOMS) if several else 1
    mertens = _mertens(reach // 2)

    def size(atoms: int) -> int:
        return _grid_size(n, atoms, min_elements, max_elements, mertens)

    count = size(max_atoms if exact else reach)  # past _COUNTED_ATOMS: a lower bound
    if limit is None or count <= limit:
        if exact:
            return count
        raise ValueError(
            f"max_atoms={max_atoms}: more than {count:,} compositions, too many to count"
        )
    fits, over = 0, reach  # size(fits) <= limit < size(over)
    while over - fits > 1:
        middle = (fits + over) // 2
        fits, over = (middle, over) if size(middle) <= limit else (fits, middle)
    raise GridTooLargeError(count, exact, limit, fits or None, size(fits))


def iter_table_formulas(
    path: str | Path, formula_col: str | None = None, chunk_size: int = 100_000
) -> Iterator[list[Any]]:
    """Chunks of formulas read from a CSV or Parquet file, without loading it whole.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.csv.gz`` or ``.parquet`` file.
    formula_col : str, default=None
        Column of the formulas; None takes ``formula``, ``composition``,
        ``formula_pretty`` or ``pretty_formula`` (any case), as ``skirnet predict`` does.
    chunk_size : int, default=100_000
        Rows per chunk.

    Yields
    ------
    formulas : list
        One chunk, in file order. Cells are text, as every reader of formula tables takes
        them: ``NaN`` (sodium nitride), ``NA`` and ``None`` are formulas, not missing values;
        an empty cell or a blank line is ``""`` (a row with the reason in ``error``).

    Raises
    ------
    ValueError
        A file that cannot be read (the message names it), no formula column, two
        columns of one name, a row with more cells than the header, or no data row.
    """
    path = Path(path)
    parquet = path.suffix.lower() in (".parquet", ".pq")
    if parquet:
        import pyarrow.parquet as pq

        columns = parquet_columns(path)  # a damaged file or two columns of one name: named
        with reading_parquet(path):
            handle = pq.ParquetFile(path, **PARQUET_OPTIONS)
    else:
        columns = csv_header(path)
    column = _formula_column(columns, formula_col, path)
    rows = 0
    if parquet:
        # a damaged page (checked against its CRC where the file has them) is named
        with reading_parquet(path):
            for batch in handle.iter_batches(batch_size=chunk_size, columns=[column]):
                rows += batch.num_rows
                yield text_cells(batch.column(0).to_pylist())
    else:
        # as every reader of formula tables: cells are text ("NaN" is sodium nitride), only
        # an empty cell is missing, a blank line is a row (an empty formula, an error row);
        # every column is read, so that a row with more cells than the header is refused
        # as predict refuses it, not read in part
        with reading_csv(path):
            for frame in pd.read_csv(path, chunksize=chunk_size, dtype=str, **CSV_OPTIONS):
                rows += len(frame)
                yield text_cells(frame[column])
    if rows == 0:
        raise ValueError(f"the file {path} has a header but no data rows")


def _formula_column(columns: list[str], wanted: str | None, path: Path) -> str:
    """The formula column, looked up as every reader of formula tables looks it up."""
    if wanted is not None:
        if wanted not in columns:
            raise ValueError(f"Column {wanted!r} is not in {path}; its columns: {columns}.")
        return wanted
    found = pick_column(pd.DataFrame(columns=columns), None, FORMULA_CANDIDATES, "formula", path)
    if found is None:
        raise ValueError(
            f"No formula column ({', '.join(FORMULA_CANDIDATES)}) in {path}; name the column "
            f"(its columns: {columns})."
        )
    return str(found)


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


# --------------------------------------------------------------------------- scoring


def _featurizer_and_rest(model: Any) -> tuple[Any, Any]:
    """The leading composition featurizer of a pipeline and the steps after it."""
    from sklearn.pipeline import Pipeline

    from skirnet.featurizers import CompositionFeaturizer

    if isinstance(model, Pipeline) and isinstance(model.steps[0][1], CompositionFeaturizer):
        return model.steps[0][1], (model[1:] if len(model.steps) > 1 else None)
    raise TypeError(
        "screen() needs a fitted pipeline that starts with a CompositionFeaturizer (as "
        f"'skirnet train' writes), got {type(model).__name__}."
    )


def _reasons(featurizer: Any, formulas: list[Any], rows: np.ndarray) -> list[str]:
    """Why each of ``rows`` could not be featurized (the featurizer's own message)."""
    strict = featurizer.set_params(errors="raise")
    reasons = []
    for i in rows:
        try:
            strict.fit_transform([formulas[i]])
            reasons.append("no features")
        except (ValueError, TypeError) as exc:
            reasons.append(str(exc).replace("row 0", "this row").splitlines()[0])
    return reasons


def score_formulas(
    model: Any, formulas: list[Any], interval: tuple[dict, float] | None = None
) -> pd.DataFrame:
    """Predictions for one chunk: one row per formula, bad ones with NaN and a reason.

    Parameters
    ----------
    model : Pipeline
        A fitted pipeline starting with a :class:`~skirnet.featurizers.CompositionFeaturizer`.
    formulas : list
        The chunk.
    interval : (dict, float), optional
        A split calibration of ``model`` (:meth:`~skirnet.ConformalRegressor.to_dict`) and
        a confidence level: adds the columns ``lower`` and ``upper``.

    Returns
    -------
    DataFrame
        Columns ``formula``, ``prediction``, ``lower`` and ``upper`` (with ``interval``),
        ``std`` (only when the model returns one) and ``error`` (None for rows that were
        predicted).
    """
    import warnings

    from sklearn.base import clone

    featurizer, rest = _featurizer_and_rest(model)
    lenient = clone(featurizer).set_params(errors="nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the bad rows are reported in the error column
        X = np.asarray(lenient.fit_transform(list(formulas)), dtype=np.float64)
    bad = np.isnan(X).any(axis=1)
    n = len(formulas)
    prediction = np.full(n, np.nan)
    std = np.full(n, np.nan)
    lower, upper = np.full(n, np.nan), np.full(n, np.nan)
    with_std = _takes_return_std(rest)
    good = np.flatnonzero(~bad)
    if len(good):
        Xg = X[good]
        if rest is None:
            raise TypeError("the pipeline has no estimator after its featurizer")
        if with_std:
            mean, spread = rest.predict(Xg, return_std=True)
            prediction[good], std[good] = np.ravel(mean), np.ravel(spread)
        if interval is not None:
            from skirnet.intervals import ConformalRegressor

            state, confidence = interval
            conformal = ConformalRegressor.from_dict(state, rest)
            prediction[good], lower[good], upper[good] = conformal.predict_interval(
                Xg, confidence=confidence
            )
        elif not with_std:
            prediction[good] = np.ravel(rest.predict(Xg))
    error: list[str | None] = [None] * n
    bad_rows = np.flatnonzero(bad)
    for i, reason in zip(bad_rows, _reasons(clone(featurizer), formulas, bad_rows), strict=True):
        error[i] = reason
    out = {"formula": [str(f) for f in formulas], "prediction": prediction}
    if interval is not None:
        out.update(lower=lower, upper=upper)
    if with_std:
        out["std"] = std
    out["error"] = error
    return pd.DataFrame(out)


def _takes_return_std(estimator: Any) -> bool:
    final = estimator[-1] if hasattr(estimator, "steps") else estimator
    from skirnet.ensemble import DeepEnsembleRegressor

    return isinstance(final, DeepEnsembleRegressor)


# --------------------------------------------------------------------------- the screen


@dataclasses.dataclass
class ScreeningResult:
    """What a screen wrote and found.

    Attributes
    ----------
    output : Path
        The Parquet file (one row per candidate, in input order).
    n_candidates : int
        Rows written.
    n_failed : int
        Rows that could not be featurized (NaN prediction, reason in ``error``).
    top : DataFrame
        The ``top_k`` best candidates (lowest predictions first, or highest with
        ``ascending=False``).
    seconds : float
        Wall time of the screen.
    """

    output: Path
    n_candidates: int
    n_failed: int
    top: pd.DataFrame
    seconds: float

    @property
    def rate_per_minute(self) -> float:
        """Candidates screened per minute."""
        return 60 * self.n_candidates / self.seconds if self.seconds else math.inf


class _TopK:
    """The k best rows seen so far (a bounded heap, so memory stays O(k))."""

    def __init__(self, k: int, ascending: bool) -> None:
        self.k, self.sign, self.heap, self.counter = k, (-1 if ascending else 1), [], 0

    def add(self, frame: pd.DataFrame) -> None:
        if self.k <= 0:
            return
        ok = frame[frame["prediction"].notna()]
        best = (
            ok.nsmallest(self.k, "prediction")
            if self.sign < 0
            else ok.nlargest(self.k, "prediction")
        )
        for row in best.itertuples(index=False):
            item = (self.sign * row.prediction, -self.counter, row._asdict())
            self.counter += 1
            if len(self.heap) < self.k:
                heapq.heappush(self.heap, item)
            else:
                heapq.heappushpop(self.heap, item)

    def frame(self) -> pd.DataFrame:
        rows = [r for _, _, r in sorted(self.heap, key=lambda t: (-t[0], -t[1]))]
        return pd.DataFrame(rows)


def _schema(with_std: bool, with_interval: bool = False) -> Any:
    import pyarrow as pa

    fields = [("formula", pa.string()), ("prediction", pa.float64())]
    if with_interval:
        fields += [("lower", pa.float64()), ("upper", pa.float64())]
    if with_std:
        fields.append(("std", pa.float64()))
    return pa.schema([*fields, ("error", pa.string())])


def _local_scores(
    model: Any, chunks: Iterable[list[Any]], interval: tuple[dict, float] | None = None
) -> Iterator[pd.DataFrame]:
    for chunk in chunks:
        yield score_formulas(model, chunk, interval)


def _dask_scores(
    model: Any,
    chunks: Iterable[list[Any]],
    client: Any,
    in_flight: int,
    interval: tuple[dict, float] | None = None,
) -> Iterator[pd.DataFrame]:
    """Chunks scored as Dask tasks, yielded in input order, at most ``in_flight`` at once."""
    [remote_model] = client.scatter([model], broadcast=True)
    pending: list[Any] = []
    for chunk in chunks:
        pending.append(client.submit(score_formulas, remote_model, chunk, interval, pure=False))
        if len(pending) >= in_flight:
            yield pending.pop(0).result()
    for future in pending:
        yield future.result()


def screen(
    model: Any,
    candidates: Iterable[Any] | str | Path,
    output: str | Path,
    *,
    formula_col: str | None = None,
    chunk_size: int = 100_000,
    top_k: int = 20,
    ascending: bool = True,
    client: Any = None,
    total: int | None = None,
    progress: bool | None = None,
    conformal: Any = None,
    confidence: float = 0.9,
) -> ScreeningResult:
    """Predict every candidate in chunks and stream the results to a Parquet file.

    Parameters
    ----------
    model : Pipeline
        A fitted pipeline that starts with a
        :class:`~skirnet.featurizers.CompositionFeaturizer`.
    candidates : iterable of str, or path
        Formulas (a list, a Series, a generator such as :func:`generate_compositions`), or
        a CSV/Parquet file read in chunks.
    output : str or Path
        Parquet file to write. It is written under a temporary name in the same folder
        and renamed into place when complete, so a screen that fails half-way (a chunk
        that raises, on a Dask worker or here, a full disk, Ctrl-C) never leaves a file
        that looks finished, and an earlier file at ``output`` stays as it was. There is
        no resume: such a screen is run again from the start. Only a process killed
        outright (SIGKILL, a power cut) can leave its temporary file behind, hidden
        (``.<name>.*.partial``) and never under ``output``'s name. Every page of the file
        carries a CRC checksum, so a reader that verifies them (pyarrow's
        ``page_checksum_verification=True``, as skirnet's readers do) finds damage.
    formula_col : str, default=None
        Formula column of a file (default: as :func:`iter_table_formulas` finds it).
    chunk_size : int, default=100_000
        Candidates per chunk: memory is bounded by a few chunks.
    top_k : int, default=20
        Size of the table of best candidates returned.
    ascending : bool, default=True
        Best means lowest prediction (e.g. formation enthalpy); False for highest.
    client : dask.distributed.Client, default=None
        Score the chunks on this Dask cluster instead of in this process.
    total : int, default=None
        Number of candidates, for the progress bar (found from a file when None).
    progress : bool, default=None
        Show a progress bar; None shows one from 1,000,000 candidates (or an unknown count).
    conformal : ConformalRegressor, optional
        A split calibration of ``model`` (:func:`skirnet.pretrained.load_conformal`,
        :func:`skirnet.intervals.load_calibration`): adds the columns ``lower`` and
        ``upper`` after ``prediction``, the bounds of the interval at ``confidence``.
    confidence : float, default=0.9
        The level of those intervals.

    Returns
    -------
    ScreeningResult

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from sklearn.pipeline import make_pipeline
    >>> from skirnet import CompositionFeaturizer, IRNetRegressor
    >>> from skirnet.datasets import load_oqmd_sample
    >>> from skirnet.screening import generate_compositions, screen
    >>> formulas, y = load_oqmd_sample(return_X_y=True)
    >>> net = IRNetRegressor(hidden_layer_sizes="16", max_epochs=2, random_state=0)
    >>> model = make_pipeline(CompositionFeaturizer(), net).fit(formulas[:300], y[:300])
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "screen.parquet"
    >>> result = screen(model, generate_compositions(["Li", "Fe", "O"], 6), out, top_k=3)
    >>> result.n_candidates, result.n_failed, len(result.top)
    (55, 0, 3)
    """
    import time

    import pyarrow as pa
    import pyarrow.parquet as pq
    from tqdm.auto import tqdm

    _featurizer_and_rest(model)
    interval = None
    if conformal is not None:
        from skirnet.intervals import check_level

        interval = (conformal.to_dict(), float(confidence))
        check_level(interval[0], confidence)  # before any chunk: a level it cannot give
    start = time.perf_counter()
    if isinstance(candidates, (str, Path)):
        source = Path(candidates)
        if total is None and source.suffix.lower() in (".parquet", ".pq"):
            parquet_columns(source)  # a damaged file is named
            total = pq.ParquetFile(source).metadata.num_rows
        chunks: Iterable[list[Any]] = iter_table_formulas(source, formula_col, chunk_size)
    else:
        if total is None and hasattr(candidates, "__len__"):
            total = len(candidates)  # type: ignore[arg-type]
        chunks = _chunks(candidates, chunk_size)
    if progress is None:
        progress = total is None or total >= 1_000_000
    if client is None:
        scores = _local_scores(model, chunks, interval)
    else:
        workers = max(1, len(client.scheduler_info()["workers"]))
        scores = _dask_scores(model, chunks, client, 2 * workers, interval)

    output = Path(output)
    top = _TopK(top_k, ascending)
    n = n_failed = 0

    def write(tmp: Path) -> None:
        nonlocal n, n_failed
        writer = None
        try:
            for frame in scores:
                if writer is None:
                    schema = _schema("std" in frame.columns, interval is not None)
                    # each page with its CRC: a reader that verifies them finds any damage
                    writer = pq.ParquetWriter(tmp, schema, write_page_checksum=True)
                table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
                writer.write_table(table)
                n += len(frame)
                n_failed += int(frame["error"].notna().sum())
                top.add(frame)
                bar.update(len(frame))
            if writer is None:  # no candidates: still write a valid, empty file
                empty = _schema(False, interval is not None).empty_table()
                pq.write_table(empty, tmp, write_page_checksum=True)
            else:
                writer.close()
                writer = None
        finally:
            if writer is not None:
                writer.close()

    with tqdm(total=total, unit="formula", desc="screening", disable=not progress) as bar:
        write_atomically(output, write)  # a failure half-way leaves no output, nor a temp file
    return ScreeningResult(output, n, n_failed, top.frame(), time.perf_counter() - start)


@contextlib.contextmanager
def dask_client(address: str | None, threads: int = 1) -> Iterator[Any]:
    """A Dask client for :func:`screen`: of a new local cluster, of a scheduler, or none.

    Parameters
    ----------
    address : str or None
        ``None``: no client (screen in this process); ``"local"``: a new ``LocalCluster``
        of ``threads`` one-threaded workers, stopped on exit (dask gives each
        ``OMP_NUM_THREADS=1``); else a running scheduler's address (``"tcp://host:8786"``).
    threads : int, default=1
        Workers of the local cluster.

    Yields
    ------
    distributed.Client or None

    Raises
    ------
    ImportError
        When ``address`` is given and ``dask.distributed`` is not installed.

    Examples
    --------
    >>> with dask_client(None) as client:
    ...     print(client)
    None
    """
    if address is None:
        yield None
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ImportError(
            "screening on Dask needs dask.distributed: pip install 'skirnet[dask]'"
        ) from None
    if address == "local":
        cluster = LocalCluster(n_workers=threads, threads_per_worker=1, dashboard_address=None)
        with cluster, Client(cluster) as client:
            yield client
    else:
        with Client(address, timeout="20s") as client:
            yield client
