"""Parsing of chemical formulas / pymatgen compositions, with an error policy.

Each *unique* input value is parsed once with :class:`pymatgen.core.Composition`;
the result is a padded integer matrix of atomic numbers and a float matrix of
amounts (element order as in ``Composition.element_composition``), which the
vectorised feature code in :mod:`skirnet.featurizers.composition` consumes.
This module never imports torch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pymatgen.core import Composition, DummySpecies, Element
from pymatgen.core import composition as _pymatgen_composition

__all__ = ["ParsedCompositions", "assemble", "deduplicate", "parse_chunk", "parse_compositions"]

#: element symbol followed by an explicit zero amount ("Fe0", "C0.000"), which
#: pymatgen silently drops; we reject it as a non-positive amount.
_ZERO_AMOUNT_STRICT = re.compile(r"[A-Z][a-z]*\s*(?:0+(?:\.0*)?|\.0+)(?![\d.eE])")
#: More atoms than this per formula unit is not a material but a typo or an overflow.
MAX_TOTAL_AMOUNT = 1e6


class _BadValue(Exception):
    """Internal: one input value cannot be parsed (message says why)."""


@dataclass
class ParsedCompositions:
    """Parsed inputs, one row per *unique* value.

    Attributes
    ----------
    z : ndarray of shape (n_unique, max_elements), int
        Atomic numbers, padded with 0.
    amounts : ndarray of shape (n_unique, max_elements), float64
        Element amounts (not normalised), padded with 0.
    charge_balanced : ndarray of shape (n_unique,), float64
        For compositions given with oxidation states: 1.0/0.0 whether the
        charges sum to zero (matminer's ``IonProperty`` rule); NaN otherwise.
    ion_frac : ndarray of shape (n_unique, max_elements), float64
        For compositions given with oxidation states: the pair weights that
        matminer's ``IonProperty`` uses for "avg ionic char" there (the first
        ``n_elements`` *species* amounts over the total species amount, a quirk
        of matminer reproduced on purpose); NaN otherwise.
    inverse : ndarray of shape (n_rows,), int
        Row ``i`` of the input is unique value ``inverse[i]``.
    messages : dict of int to str
        Why each invalid unique value is invalid (more may be added by a featurizer
        with further requirements, see :meth:`reject`).
    """

    z: np.ndarray
    amounts: np.ndarray
    charge_balanced: np.ndarray
    ion_frac: np.ndarray
    inverse: np.ndarray
    messages: dict[int, str]

    @property
    def valid(self) -> np.ndarray:
        """Boolean mask over the unique values: False where the value is invalid."""
        valid = np.ones(len(self.z), dtype=bool)
        valid[list(self.messages)] = False
        return valid

    def reject(self, unique: int, message: str) -> None:
        """Mark the unique value ``unique`` as invalid, saying why."""
        self.messages.setdefault(unique, message)

    def failures(self, values: Sequence[Any]) -> tuple[list[tuple[int, str]], int]:
        """The first row of each invalid value, in row order, and the count of bad rows.

        Parameters
        ----------
        values : sequence
            The input rows (quoted in the messages).

        Returns
        -------
        failures : list of (row, message)
            The message starts with the value's ``repr``.
        n_failed : int
            Number of rows holding an invalid value.
        """
        if not self.messages:
            return [], 0
        bad_rows = np.flatnonzero(~self.valid[self.inverse])
        seen: set[int] = set()
        failures = []
        for row in bad_rows:
            j = int(self.inverse[row])
            if j not in seen:
                seen.add(j)
                failures.append((int(row), f"{values[row]!r}: {self.messages[j]}"))
        return failures, len(bad_rows)


def _is_missing(value: Any) -> bool:
    """None, NaN (any float type), pandas' NA or NaT."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _key(value: Any) -> Hashable:
    """Deduplication key of one input value."""
    if isinstance(value, str):
        return value
    if isinstance(value, Composition):
        return ("__composition__", tuple((str(sp), amt) for sp, amt in value.items()))
    if _is_missing(value):
        return ("__missing__",)
    try:
        hash(value)
    except TypeError:
        return ("__unhashable__", id(value))
    return ("__other__", type(value).__name__, value)


def _check_parentheses(formula: str) -> None:
    if "(" not in formula and ")" not in formula and "[" not in formula and "]" not in formula:
        return
    depth = 0
    for ch in formula:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                raise _BadValue("unbalanced parentheses")
    if depth:
        raise _BadValue("unbalanced parentheses")


_SYMBOL_Z = {Element.from_Z(z).symbol: z for z in range(1, 119)}


def _pymatgen_formula_parser() -> Callable[[str], Any]:
    """pymatgen's formula parser, ``formula -> {symbol: amount}`` or ``((symbol, amount), ...)``.

    ``Composition._parse_formula`` copies the result of an LRU-cached helper (512
    entries) into a new dict; on large sets of unique formulas the cache only
    misses, so the helper's undecorated function is called directly when this
    pymatgen version has one.
    """
    cached = getattr(_pymatgen_composition, "_parse_formula_cached", None)
    return getattr(cached, "__wrapped__", Composition._parse_formula)


_parse_formula = _pymatgen_formula_parser()
_AMOUNT_TOLERANCE = Composition.amount_tolerance


def _fast_path(formula: str) -> tuple[list[int], list[float], float, None] | None:
    """Composition's own formula parser without building the Composition object.

    ``Composition(formula)`` is pymatgen's formula parser followed by ``get_el_sp``
    on each symbol and dropping amounts below the tolerance; when every symbol is
    a plain element and every amount is clearly positive, the result is the same,
    so the (slower) object construction is skipped. Anything else returns None
    and takes the full ``Composition`` path.
    """
    try:
        parsed = _parse_formula(formula)
    except Exception:
        return None
    zs, amts, syms = [], [], []
    for sym, amt in parsed.items() if isinstance(parsed, dict) else parsed:
        z = _SYMBOL_Z.get(sym)
        if z is None or not amt >= _AMOUNT_TOLERANCE:
            return None
        zs.append(z)
        amts.append(float(amt))
        syms.append(sym)
    if not zs:
        return None
    _check_amounts(syms, amts)
    return zs, amts, math.nan, None


def _check_amounts(symbols: Sequence[str], amounts: Sequence[float]) -> None:
    """Reject overflowing or absurd amounts (``Fe1e400``, ``Fe1e308``): typos, not materials."""
    for sym, amt in zip(symbols, amounts, strict=True):
        if not math.isfinite(amt):
            raise _BadValue(f"amount of {sym} overflows ({amt!r})")
    total = sum(amounts)
    if not total <= MAX_TOTAL_AMOUNT:
        raise _BadValue(
            f"{total:g} atoms per formula unit, more than {MAX_TOTAL_AMOUNT:g} "
            "(a typo or an overflowing number?)"
        )


def _parse_one(value: Any) -> tuple[list[int], list[float], float, list[float] | None]:
    """Parse one value into (atomic numbers, amounts, charge-balance flag or NaN, ion weights)."""
    if _is_missing(value):
        raise _BadValue("missing value (None/NaN)")
    if isinstance(value, Composition):
        comp = value
    elif isinstance(value, str):
        formula = value.strip()
        if not formula:
            raise _BadValue("empty formula")
        _check_parentheses(formula)
        if _ZERO_AMOUNT_STRICT.search(formula):
            raise _BadValue("zero amount")
        fast = _fast_path(formula)
        if fast is not None:
            return fast
        try:
            comp = Composition(formula)
        except Exception as exc:  # pymatgen raises ValueError, KeyError, ...
            msg = str(exc)
            if "negative" in msg.lower():
                raise _BadValue("negative amount") from None
            raise _BadValue(f"invalid formula ({type(exc).__name__}: {msg})") from None
    else:
        raise _BadValue(
            f"expected a formula string or pymatgen Composition, got {type(value).__name__}"
        )
    if len(comp) == 0:
        raise _BadValue("empty composition")
    balanced = math.nan
    ion_frac = None
    items = list(comp.items())
    if not all(type(sp) is Element for sp, _ in items):
        unknown = [sp.symbol for sp, _ in items if isinstance(sp, DummySpecies)]
        if unknown:
            raise _BadValue(f"unknown element(s) {', '.join(map(repr, unknown))}")
        oxi = [getattr(sp, "oxi_state", None) for sp, _ in items]
        if all(o is not None for o in oxi):
            # matminer IonProperty with has_oxidation_states(comp):
            # cpd_possible = np.isclose(np.dot(charges, fractions), 0)
            species_amounts = [a for _, a in items]
            balanced = float(np.isclose(np.dot(oxi, species_amounts), 0))
            total = sum(species_amounts)
            ion_frac = [a / total for a in species_amounts]
        items = list(comp.element_composition.items())
    zs, amts = [], []
    for el, amt in items:
        if not amt > 0:
            raise _BadValue(f"non-positive amount {amt!r} for {el}")
        zs.append(el.Z)
        amts.append(float(amt))
    _check_amounts([el.symbol for el, _ in items], amts)
    if ion_frac is not None:
        ion_frac = ion_frac[: len(zs)]
    return zs, amts, balanced, ion_frac


_Chunk = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[int, str]]


def parse_chunk(values: Sequence[Any]) -> _Chunk:
    """Parse a chunk into compact arrays (cheap to send back from a joblib worker)."""
    n = len(values)
    flat_z: list[int] = []
    flat_amounts: list[float] = []
    lengths = np.zeros(n, dtype=np.intp)
    balanced = np.full(n, np.nan)
    fractions: dict[int, list[float]] = {}
    bad: dict[int, str] = {}
    for i, v in enumerate(values):
        try:
            zs, amts, charge_balanced, ion_frac = _parse_one(v)
        except _BadValue as exc:
            bad[i] = str(exc)
            continue
        flat_z.extend(zs)
        flat_amounts.extend(amts)
        lengths[i] = len(zs)
        if not math.isnan(charge_balanced):
            balanced[i] = charge_balanced
        if ion_frac is not None:
            fractions[i] = ion_frac
    # scatter the ragged rows into padded matrices in one vectorised step
    width = max(int(lengths.max(initial=0)), 1)
    rows = np.repeat(np.arange(n), lengths)
    cols = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    z = np.zeros((n, width), dtype=np.int16)
    amounts = np.zeros((n, width), dtype=np.float64)
    z[rows, cols] = flat_z
    amounts[rows, cols] = flat_amounts
    ion_frac_matrix = np.full((n, width), np.nan)
    for i, frac in fractions.items():
        ion_frac_matrix[i, : len(frac)] = frac
    return z, amounts, balanced, ion_frac_matrix, bad


def deduplicate(values: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
    """The unique values (first-seen order) and, for each row, the index of its value.

    Parameters
    ----------
    values : sequence
        Formula strings, Compositions or anything else.

    Returns
    -------
    uniques : list
    inverse : ndarray of shape (len(values),), int
        Row ``i`` holds ``uniques[inverse[i]]``.
    """
    if all(type(v) is str for v in values):
        codes, uniq = pd.factorize(np.asarray(values, dtype=object))
        return list(uniq), codes.astype(np.intp, copy=False)
    keys: dict[Hashable, int] = {}
    uniques: list[Any] = []
    inverse = np.empty(len(values), dtype=np.intp)
    for i, v in enumerate(values):
        k = _key(v)
        j = keys.get(k)
        if j is None:
            j = keys[k] = len(uniques)
            uniques.append(v)
        inverse[i] = j
    return uniques, inverse


def assemble(parts: Sequence[_Chunk], inverse: np.ndarray) -> ParsedCompositions:
    """Stack the results of :func:`parse_chunk` over consecutive chunks of the unique values.

    Parameters
    ----------
    parts : sequence of chunk results
        In the order of the unique values.
    inverse : ndarray of int
        From :func:`deduplicate`.

    Returns
    -------
    ParsedCompositions
    """
    n = sum(len(p[0]) for p in parts)
    width = max((p[0].shape[1] for p in parts), default=1)
    z = np.zeros((n, width), dtype=np.int64)
    amounts = np.zeros((n, width), dtype=np.float64)
    balanced = np.full(n, np.nan)
    ion_frac = np.full((n, width), np.nan)
    messages: dict[int, str] = {}
    start = 0
    for pz, pa, pb, pf, pbad in parts:
        stop = start + len(pz)
        z[start:stop, : pz.shape[1]] = pz
        amounts[start:stop, : pa.shape[1]] = pa
        balanced[start:stop] = pb
        ion_frac[start:stop, : pf.shape[1]] = pf
        for i, msg in pbad.items():
            messages[start + i] = msg
        start = stop
    return ParsedCompositions(z, amounts, balanced, ion_frac, inverse, messages)


def parse_compositions(values: Sequence[Any]) -> ParsedCompositions:
    """Parse formulas / compositions, each unique value once, in this process.

    Parameters
    ----------
    values : sequence
        Formula strings, :class:`pymatgen.core.Composition` objects or anything
        else (reported as invalid).

    Returns
    -------
    ParsedCompositions

    Examples
    --------
    >>> parsed = parse_compositions(["NaCl", "Xx", "NaCl"])
    >>> parsed.inverse.tolist(), parsed.valid.tolist()
    ([0, 1, 0], [True, False])
    >>> parsed.failures(["NaCl", "Xx", "NaCl"])
    ([(1, "'Xx': unknown element(s) 'Xx'")], 1)
    """
    uniques, inverse = deduplicate(values)
    return assemble([parse_chunk(uniques)], inverse)
