"""Vectorised, exact re-implementation of matminer's Magpie composition features."""

from __future__ import annotations

import warnings
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._input import record_input_columns
from ._parse import ParsedCompositions, parse_compositions, report_errors

__all__ = ["CompositionFeaturizer"]

_PRESETS = ("irnet", "magpie")
_ERRORS = ("raise", "nan")
_PROGRESS_MIN_ROWS = 20_000
_BLOCK = 50_000  # unique compositions per vectorised block (bounds memory)
_MAX_Z = 118


@cache
def _matminer_featurizers(preset: str) -> tuple[Any, Any, Any, Any]:
    """matminer's own featurizers for ``preset`` (used for labels and element data only)."""
    from matminer.featurizers.composition import (
        ElementProperty,
        IonProperty,
        Stoichiometry,
        ValenceOrbital,
    )

    valence_props = ["avg"] if preset == "irnet" else ["frac"]
    return (
        Stoichiometry(),
        ElementProperty.from_preset("magpie"),
        ValenceOrbital(props=valence_props),
        IonProperty(fast=True),
    )


@cache
def _labels(preset: str) -> tuple[str, ...]:
    return tuple(label for f in _matminer_featurizers(preset) for label in f.feature_labels())


@cache
def _tables() -> dict[str, Any]:
    """Element tables indexed by atomic number (row 0 = padding), read from matminer.

    Uses the very data-source objects matminer's featurizers hold, so imputation
    (``impute_nan=True``) is identical.
    """
    from pymatgen.core import Element

    _, ep, vo, ion = _matminer_featurizers("irnet")
    elements = [Element.from_Z(z) for z in range(1, _MAX_Z + 1)]
    magpie = np.zeros((_MAX_Z + 1, len(ep.features)))
    for j, prop in enumerate(ep.features):
        magpie[1:, j] = [ep.data_source.get_elemental_property(e, prop) for e in elements]
    valence = np.zeros((_MAX_Z + 1, 5))
    for j, prop in enumerate(["NsValence", "NpValence", "NdValence", "NfValence", "NValence"]):
        valence[1:, j] = vo.data_source.get_elemental_properties(elements, prop)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = np.zeros(_MAX_Z + 1)
        x[1:] = ion.data_source.get_elemental_properties(elements, "X")
        oxi = [()] + [tuple(ion.data_source.get_oxidation_states(e)) for e in elements]
    oxi_len = np.array([len(o) for o in oxi])
    oxi_pad = np.full((_MAX_Z + 1, max(oxi_len)), np.nan)
    for zz, o in enumerate(oxi):
        oxi_pad[zz, : len(o)] = o
    return {"magpie": magpie, "valence": valence, "X": x, "oxi_len": oxi_len, "oxi_pad": oxi_pad}


def _stoichiometry(z: np.ndarray, amounts: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """matminer ``Stoichiometry()``: 0-norm (element count) and p-norms of atomic fractions."""
    frac = amounts / amounts.sum(axis=1, keepdims=True)
    out = [mask.sum(axis=1).astype(np.float64)]
    for p in (2, 3, 5, 7, 10):
        out.append(np.where(mask, frac**p, 0.0).sum(axis=1) ** (1.0 / p))
    return np.column_stack(out)


def _element_property(
    z: np.ndarray, amounts: np.ndarray, mask: np.ndarray, table: np.ndarray
) -> np.ndarray:
    """matminer ``ElementProperty.from_preset("magpie")`` statistics, property-major."""
    # padding slots repeat the first element (weight 0): min/max are unaffected
    z_dup = np.where(mask, z, z[:, :1])
    vals = table[z_dup]  # (n, k, p)
    w = amounts[:, :, None]
    wsum = amounts.sum(axis=1)[:, None]
    vmin = vals.min(axis=1)
    vmax = vals.max(axis=1)
    mean = (vals * w).sum(axis=1) / wsum
    avg_dev = (np.abs(vals - mean[:, None, :]) * w).sum(axis=1) / wsum
    # mode: minimum value among entries whose weight np.isclose()s the largest weight;
    # other slots repeat the heaviest element, which is always among them
    wmax = amounts.max(axis=1, keepdims=True)
    top = mask & (np.abs(amounts - wmax) <= 1e-8 + 1e-5 * np.abs(wmax))
    heaviest = z[np.arange(len(z)), amounts.argmax(axis=1)][:, None]
    mode = table[np.where(top, z, heaviest)].min(axis=1)
    stats = np.stack([vmin, vmax, vmax - vmin, mean, avg_dev, mode], axis=2)  # (n, p, 6)
    return stats.reshape(len(z), -1)


def _valence(z: np.ndarray, amounts: np.ndarray, table: np.ndarray, preset: str) -> np.ndarray:
    """matminer ``ValenceOrbital``: weighted mean of s/p/d/f valence (``avg``) or its fraction."""
    mean = np.einsum("nkp,nk->np", table[z], amounts) / amounts.sum(axis=1)[:, None]
    if preset == "irnet":
        return mean[:, :4]
    with np.errstate(divide="ignore", invalid="ignore"):
        return mean[:, :4] / mean[:, 4:5]


def _charge_balance(z: np.ndarray, amounts: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """matminer ``IonProperty(fast=True)`` "compound possible" (all rows multi-element).

    True iff some choice of one common oxidation state per element gives
    ``np.isclose(np.dot(states, amounts), 0)``. Rows are bucketed by the number
    of oxidation states of each element; within a bucket all charge sums of
    all combinations are enumerated with array operations.
    """
    tabs = _tables()
    out = np.zeros(len(z))
    if not len(z):
        return out
    lens = np.where(mask, tabs["oxi_len"][z], -1)  # -1 marks padding
    possible = ~((lens == 0).any(axis=1))  # an element without states: no combination
    idx = np.flatnonzero(possible)
    if not idx.size:
        return out
    base = int(lens.max()) + 2
    if lens.shape[1] * np.log2(base) < 62:  # encode each row of lens as one int64 (fast)
        codes = ((lens[idx] + 1) * base ** np.arange(lens.shape[1], dtype=np.int64)).sum(axis=1)
        _, first, inv = np.unique(codes, return_index=True, return_inverse=True)
        keys = lens[idx[first]]
    else:
        keys, inv = np.unique(lens[idx], axis=0, return_inverse=True)
    inv = inv.ravel()
    order = np.argsort(inv, kind="stable")
    bounds = np.searchsorted(inv[order], np.arange(len(keys) + 1))
    oxi = tabs["oxi_pad"]
    for g, key in enumerate(keys):
        ne = int((key > 0).sum())
        size = int(np.prod(key[:ne]))
        rows_all = idx[order[bounds[g] : bounds[g + 1]]]
        step = max(1, 2_000_000 // size)
        for s in range(0, len(rows_all), step):
            rows = rows_all[s : s + step]
            sums = amounts[rows, 0, None] * oxi[z[rows, 0], : key[0]]
            for j in range(1, ne):
                term = amounts[rows, j, None] * oxi[z[rows, j], : key[j]]
                sums = (sums[:, :, None] + term[:, None, :]).reshape(len(rows), -1)
            out[rows] = (np.abs(sums) <= 1e-8).any(axis=1)
    return out


def _ionic(
    z: np.ndarray,
    amounts: np.ndarray,
    mask: np.ndarray,
    balanced: np.ndarray,
    ion_frac: np.ndarray,
    x: np.ndarray,
) -> np.ndarray:
    """matminer ``IonProperty(fast=True)``: compound possible, max/avg ionic character."""
    n, k = z.shape
    n_el = mask.sum(axis=1)
    xs = x[z]
    frac = amounts / amounts.sum(axis=1, keepdims=True)
    frac = np.where(np.isnan(ion_frac[:, :1]), frac, ion_frac)  # oxidation-state inputs
    iu, ju = np.triu_indices(k, 1)
    ic = 1.0 - np.exp(-0.25 * (xs[:, iu] - xs[:, ju]) ** 2)  # (n, pairs)
    pair_ok = mask[:, iu] & mask[:, ju]
    max_ic = np.where(pair_ok, ic, -np.inf).max(axis=1, initial=-np.inf)
    avg_ic = np.where(pair_ok, frac[:, iu] * frac[:, ju] * ic, 0.0).sum(axis=1)
    multi = n_el >= 2
    max_ic = np.where(multi, max_ic, 0.0)
    avg_ic = np.where(multi, avg_ic, 0.0)

    cpd = np.ones(n)
    given = multi & ~np.isnan(balanced)
    cpd[given] = balanced[given]
    todo = multi & np.isnan(balanced)
    cpd[todo] = _charge_balance(z[todo], amounts[todo], mask[todo])
    return np.column_stack([cpd, max_ic, avg_ic])


def _features(parsed: ParsedCompositions, preset: str) -> np.ndarray:
    """Features of every valid unique composition (NaN rows for invalid ones)."""
    tabs = _tables()
    n = len(parsed.valid)
    out = np.full((n, len(_labels(preset))), np.nan)
    valid_idx = np.flatnonzero(parsed.valid)
    for start in range(0, valid_idx.size, _BLOCK):
        rows = valid_idx[start : start + _BLOCK]
        z = parsed.z[rows]
        amounts = parsed.amounts[rows]
        width = max(int((z > 0).sum(axis=1).max()), 1)
        z, amounts = z[:, :width], amounts[:, :width]
        mask = z > 0
        out[rows] = np.hstack(
            [
                _stoichiometry(z, amounts, mask),
                _element_property(z, amounts, mask, tabs["magpie"]),
                _valence(z, amounts, tabs["valence"], preset),
                _ionic(
                    z,
                    amounts,
                    mask,
                    parsed.charge_balanced[rows],
                    parsed.ion_frac[rows, :width],
                    tabs["X"],
                ),
            ]
        )
    return out


class CompositionFeaturizer(TransformerMixin, BaseEstimator):
    """Magpie composition features (145 columns), exactly as matminer, but vectorised.

    Turns chemical formulas into the composition-based attributes of Ward et al.
    (2016) as computed by matminer (Ward et al., 2018), in the combination used
    by the IRNet paper (Jha et al., 2021):

    ``MultipleFeaturizer([Stoichiometry(), ElementProperty.from_preset("magpie"),
    ValenceOrbital(props=["avg"]), IonProperty(fast=True)])``

    Each unique formula is parsed once with :class:`pymatgen.core.Composition`;
    the statistics are then computed for all formulas at once from an
    element-amount matrix and matminer's own element tables
    (:class:`matminer.utils.data.MagpieData`, :class:`~matminer.utils.data.PymatgenData`).
    The output equals matminer's to floating-point round-off (≤ 1e-9).

    Missing element data are handled as in matminer (whose ``impute_nan``
    defaults to ``True`` for ``ElementProperty``, ``ValenceOrbital`` and
    ``IonProperty``): a Magpie property missing for an element (e.g. the melting
    point of He, the space group of At or any property of Z ≥ 113) is replaced
    by the mean of that property over all elements that have it, and a missing
    Pauling electronegativity by the mean over the elements that have one.
    Elements without common oxidation states (noble gases) make "compound
    possible" 0 for multi-element compositions. Hence valid formulas never
    yield NaN (except ``preset="magpie"`` fractions when the total valence is 0).

    Compositions carrying oxidation states (pymatgen ``Species``) follow
    matminer's ``IonProperty`` exactly: "compound possible" is whether the
    given charges sum to zero, and "avg ionic char" uses matminer's pair
    weights for that case (species rather than element amounts).

    Parameters
    ----------
    preset : {"irnet", "magpie"}, default="irnet"
        ``"irnet"``: valence-orbital features are the mean number of s/p/d/f
        valence electrons (``ValenceOrbital(props=["avg"])``, Jha et al.).
        ``"magpie"``: their fractions (``ValenceOrbital(props=["frac"])``).
    column : str, optional
        Column holding the formulas when ``X`` is a DataFrame (may be omitted
        for a one-column DataFrame).
    errors : {"raise", "nan"}, default="raise"
        On an unparsable value (unknown element, empty string, None/NaN,
        zero or negative amount, unbalanced parentheses, garbage):
        ``"raise"`` raises ``ValueError`` naming the row and the value;
        ``"nan"`` fills that row with NaN and emits one ``UserWarning`` with
        the count and the first examples.
    n_jobs : int, optional
        Number of joblib workers parsing the unique formulas (only used for
        20,000 or more unique values; the feature math is vectorised).
    progress : bool, optional
        Show a tqdm progress bar while parsing. ``None`` (default): only for
        inputs of more than 20,000 rows; ``False``: never.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns of ``X`` at fit time: 1 for a sequence of formulas, the
        DataFrame's column count otherwise (the formulas are read from ``column``).
    feature_names_in_ : ndarray of str
        Column names of ``X`` if it was a DataFrame with string column names at fit
        time.
    feature_names_out_ : ndarray of str
        matminer's feature labels, e.g. ``"MagpieData mean Number"``.
    n_features_out_ : int
        145.

    See Also
    --------
    matminer.featurizers.composition.ElementProperty

    References
    ----------
    .. [1] L. Ward, A. Agrawal, A. Choudhary, C. Wolverton, "A general-purpose
       machine learning framework for predicting properties of inorganic
       materials", npj Comput. Mater. 2, 16028 (2016).
    .. [2] L. Ward et al., "Matminer: An open source toolkit for materials data
       mining", Comput. Mater. Sci. 152, 60-69 (2018).
    .. [3] D. Jha, V. Gupta, L. Ward, Z. Yang, C. Wolverton, I. Foster,
       W.-k. Liao, A. Choudhary, A. Agrawal, "Enabling deeper learning on big
       data for materials informatics applications", Sci. Rep. 11, 4244 (2021).

    Examples
    --------
    >>> from skirnet.featurizers import CompositionFeaturizer
    >>> X = CompositionFeaturizer().fit_transform(["NaCl", "Fe2O3"])
    >>> X.shape
    (2, 145)
    >>> float(X[0, 0])  # 0-norm: number of elements
    2.0
    """

    def __init__(
        self,
        preset: str = "irnet",
        column: str | None = None,
        errors: str = "raise",
        n_jobs: int | None = None,
        progress: bool | None = None,
    ) -> None:
        self.preset = preset
        self.column = column
        self.errors = errors
        self.n_jobs = n_jobs
        self.progress = progress

    def _validate_params_(self) -> None:
        if self.preset not in _PRESETS:
            raise ValueError(f"preset must be one of {_PRESETS}, got {self.preset!r}")
        if self.errors not in _ERRORS:
            raise ValueError(f"errors must be one of {_ERRORS}, got {self.errors!r}")

    def _values(self, X: Any) -> tuple[list[Any], pd.Index | None]:
        """Extract a flat list of values (and the pandas index, if any) from ``X``."""
        from pymatgen.core import Composition

        if isinstance(X, pd.DataFrame):
            if self.column is not None:
                if self.column not in X.columns:
                    raise ValueError(f"column {self.column!r} not found in X")
                s = X[self.column]
            elif X.shape[1] == 1:
                s = X.iloc[:, 0]
            else:
                raise ValueError(
                    f"X is a DataFrame with {X.shape[1]} columns: set column= to the "
                    "one holding the formulas"
                )
            return s.tolist(), X.index
        if isinstance(X, pd.Series):
            return X.tolist(), X.index
        if isinstance(X, str | Composition):
            raise ValueError(
                "expected a 1-D sequence of formulas or Compositions, got a single value; "
                "wrap it in a list"
            )
        if isinstance(X, np.ndarray):
            arr = X[:, 0] if X.ndim == 2 and X.shape[1] == 1 else X
            if arr.ndim != 1:
                raise ValueError(f"expected a 1-D array of formulas, got shape {X.shape}")
            return arr.tolist(), None
        # not np.asarray: it would unpack Composition objects (they are sequences)
        values = list(X)
        nested = [isinstance(v, list | tuple | np.ndarray) for v in values]
        if any(nested):
            if not all(n and len(v) == 1 for n, v in zip(nested, values, strict=True)):
                raise ValueError("expected a 1-D sequence of formulas (or one column)")
            values = [v[0] for v in values]
        return values, None

    def fit(self, X: Any, y: Any = None) -> CompositionFeaturizer:
        """Validate the parameters; nothing is learned from ``X``.

        Parameters
        ----------
        X : sequence of str or Composition, Series or DataFrame
            Formulas; only the input's columns are recorded (``n_features_in_``: the
            number of columns of a DataFrame, else 1; ``feature_names_in_`` for a
            DataFrame with string column names).
        y : ignored

        Returns
        -------
        self : CompositionFeaturizer
        """
        self._validate_params_()
        record_input_columns(self, X)
        self.feature_names_out_ = np.asarray(_labels(self.preset), dtype=object)
        self.n_features_out_ = len(self.feature_names_out_)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Compute the 145 composition features of every row.

        Parameters
        ----------
        X : sequence of str or Composition, Series or DataFrame
            Chemical formulas such as ``"Fe2O3"``, ``"Ag(AuS)2"`` or
            ``"Fe0.62C0.000953Mn0.01"``, or :class:`pymatgen.core.Composition`
            objects; for a DataFrame, the formulas are in ``column``.

        Returns
        -------
        ndarray of shape (n_samples, 145), float64
            Features in matminer's column order (see :meth:`get_feature_names_out`).
        """
        check_is_fitted(self, "feature_names_out_")
        self._validate_params_()
        values, index = self._values(X)
        progress = len(values) > _PROGRESS_MIN_ROWS if self.progress is None else self.progress
        parsed = parse_compositions(values, n_jobs=self.n_jobs, progress=bool(progress))
        report_errors(parsed, self.errors, None if index is None else list(index))
        out = _features(parsed, self.preset)
        if len(out) == len(values) and np.array_equal(parsed.inverse, np.arange(len(values))):
            return out
        return out[parsed.inverse]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """matminer's labels of the output features.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        ndarray of str, shape (145,)
        """
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()
