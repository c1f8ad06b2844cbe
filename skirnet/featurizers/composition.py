"""Vectorised, exact re-implementation of matminer's Magpie composition features.

Also the element fractions that ElemNet reads (Jha et al. 2018), alone or next to them.
"""

from __future__ import annotations

import warnings
from functools import cache
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import StrOptions

from ._base import MATMINER_CITATION, BaseFeaturizer
from ._parse import ParsedCompositions, assemble, deduplicate, parse_chunk

__all__ = ["CompositionFeaturizer"]

_PRESETS = ("irnet", "magpie", "fractions", "irnet+fractions", "magpie+fractions")
_BLOCK = 50_000  # unique compositions per vectorised block (bounds memory)
_PARSE_CHUNK = 10_000  # unique formulas per parsing chunk (one joblib task)
_MAX_Z = 118

#: Elements not in ElemNet's input among H (Z=1) to Pu (Z=94).
_NOT_ELEMNET = ("He", "Ne", "Ar", "Po", "At", "Rn", "Fr", "Ra")


def _elemnet_elements() -> tuple[str, ...]:
    from pymatgen.core import Element

    symbols = (Element.from_Z(z).symbol for z in range(1, 95))
    return tuple(s for s in symbols if s not in _NOT_ELEMNET)


#: The 86 elements of ElemNet's input vector, in order of atomic number: H to Pu
#: without He, Ne, Ar, Po, At, Rn, Fr and Ra (``elements_tl`` of
#: NU-CUCIS/ElemNet's ``elemnet/data_utils.py``).
ELEMNET_ELEMENTS: tuple[str, ...] = _elemnet_elements()

ELEMNET_CITATION = """@article{jha2018elemnet,
  author = {Jha, Dipendra and Ward, Logan and Paul, Arindam and Liao, Wei-keng and
            Choudhary, Alok and Wolverton, Chris and Agrawal, Ankit},
  title = {{ElemNet}: Deep Learning the Chemistry of Materials From Only Elemental
           Composition},
  journal = {Scientific Reports}, volume = {8}, pages = {17593}, year = {2018},
  doi = {10.1038/s41598-018-35934-y}}"""
WARD2016_CITATION = """@article{ward2016general,
  author = {Ward, Logan and Agrawal, Ankit and Choudhary, Alok and Wolverton, Christopher},
  title = {A general-purpose machine learning framework for predicting properties of
           inorganic materials},
  journal = {npj Computational Materials}, volume = {2}, pages = {16028}, year = {2016},
  doi = {10.1038/npjcompumats.2016.28}}"""
IRNET_CITATION = """@article{jha2021enabling,
  author = {Jha, Dipendra and Gupta, Vishu and Ward, Logan and Yang, Zijiang and
            Wolverton, Christopher and Foster, Ian and Liao, Wei-keng and
            Choudhary, Alok and Agrawal, Ankit},
  title = {Enabling deeper learning on big data for materials informatics applications},
  journal = {Scientific Reports}, volume = {11}, pages = {4244}, year = {2021},
  doi = {10.1038/s41598-021-83193-1}}"""


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


def _split_preset(preset: str) -> tuple[str | None, bool]:
    """``"irnet+fractions"`` -> ("irnet", True); ``"fractions"`` -> (None, True)."""
    parts = preset.split("+")
    magpie = parts[0] if parts[0] in ("irnet", "magpie") else None
    return magpie, "fractions" in parts


def _magpie_features(
    parsed: ParsedCompositions, valid_idx: np.ndarray, variant: str
) -> np.ndarray:
    """The 145 Magpie features of the unique compositions ``valid_idx``."""
    tabs = _tables()
    out = np.empty((valid_idx.size, len(_labels(variant))))
    for start in range(0, valid_idx.size, _BLOCK):
        rows = valid_idx[start : start + _BLOCK]
        z = parsed.z[rows]
        amounts = parsed.amounts[rows]
        width = max(int((z > 0).sum(axis=1).max()), 1)
        z, amounts = z[:, :width], amounts[:, :width]
        mask = z > 0
        out[start : start + rows.size] = np.hstack(
            [
                _stoichiometry(z, amounts, mask),
                _element_property(z, amounts, mask, tabs["magpie"]),
                _valence(z, amounts, tabs["valence"], variant),
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


@cache
def _elemnet_columns() -> np.ndarray:
    """Column of each atomic number in the 86-element fraction vector (-1: not an input)."""
    from pymatgen.core import Element

    columns = np.full(_MAX_Z + 1, -1, dtype=np.intp)
    for j, symbol in enumerate(ELEMNET_ELEMENTS):
        columns[Element(symbol).Z] = j
    return columns


def _reject_non_elemnet(parsed: ParsedCompositions) -> None:
    """Mark compositions holding an element outside ElemNet's 86 as invalid."""
    from pymatgen.core import Element

    valid_idx = np.flatnonzero(parsed.valid)
    outside = (_elemnet_columns()[parsed.z[valid_idx]] < 0) & (parsed.z[valid_idx] > 0)
    for i in np.flatnonzero(outside.any(axis=1)):
        symbols = [Element.from_Z(int(z)).symbol for z in parsed.z[valid_idx[i]][outside[i]]]
        parsed.reject(
            int(valid_idx[i]),
            f"element(s) {', '.join(map(repr, symbols))} not among the 86 elements of "
            f"ElemNet's input (H to Pu without {', '.join(_NOT_ELEMNET)})",
        )


def _fractions(parsed: ParsedCompositions, valid_idx: np.ndarray) -> np.ndarray:
    """Atomic fractions over the 86 ElemNet elements (rows sum to 1)."""
    z = parsed.z[valid_idx]
    amounts = parsed.amounts[valid_idx]
    out = np.zeros((valid_idx.size, len(ELEMNET_ELEMENTS)))
    rows, slots = np.nonzero(z > 0)
    np.add.at(
        out,
        (rows, _elemnet_columns()[z[rows, slots]]),
        amounts[rows, slots] / amounts.sum(axis=1)[rows],
    )
    return out


def _features(parsed: ParsedCompositions, preset: str) -> np.ndarray:
    """Features of every unique composition (NaN rows for invalid ones)."""
    magpie, fractions = _split_preset(preset)
    valid_idx = np.flatnonzero(parsed.valid)
    parts = []
    if magpie is not None:
        parts.append(_magpie_features(parsed, valid_idx, magpie))
    if fractions:
        parts.append(_fractions(parsed, valid_idx))
    out = np.full((len(parsed.z), sum(p.shape[1] for p in parts)), np.nan)
    out[valid_idx] = np.hstack(parts)
    return out


class CompositionFeaturizer(BaseFeaturizer):
    """Magpie composition features (145 columns), exactly as matminer, but vectorised.

    Turns chemical formulas into the composition-based attributes of Ward et al.
    (2016) as computed by matminer (Ward et al., 2018), in the combination used
    by the IRNet paper (Jha et al., 2021):

    ``MultipleFeaturizer([Stoichiometry(), ElementProperty.from_preset("magpie"),
    ValenceOrbital(props=["avg"]), IonProperty(fast=True)])``

    or the element fractions that ElemNet reads (Jha et al., 2018), or both.

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
    preset : {"irnet", "magpie", "fractions", "irnet+fractions", "magpie+fractions"}, \
default="irnet"
        ``"irnet"``: the 145 Magpie attributes with the valence-orbital features as the
        mean number of s/p/d/f valence electrons (``ValenceOrbital(props=["avg"])``,
        Jha et al. 2021). ``"magpie"``: the same with their fractions
        (``ValenceOrbital(props=["frac"])``). ``"fractions"``: ElemNet's input, the
        atomic fractions of the 86 elements of ``ELEMNET_ELEMENTS`` (columns
        ``frac_H`` ... ``frac_Pu``; each row sums to 1); a formula with any other
        element is bad input. ``"irnet+fractions"``, ``"magpie+fractions"``: both
        blocks side by side (231 columns).
    column : hashable, optional
        Column holding the formulas when ``X`` is a DataFrame (may be omitted
        for a one-column DataFrame).
    errors : {"raise", "nan"}, default="raise"
        On an unparsable value (unknown element, empty string, None/NaN, zero,
        negative, overflowing or absurd amount -- more than 1e6 atoms per formula
        unit --, unbalanced parentheses, garbage, an element outside ElemNet's 86 for
        the fraction presets): ``"raise"`` raises ``ValueError`` naming the row and the
        value; ``"nan"`` fills that row with NaN and emits one
        :class:`~skirnet.featurizers.FeaturizationWarning` with the count and the
        first examples.
    n_jobs : int, optional
        Number of joblib workers parsing the unique formulas (in chunks of 10,000;
        the feature math is vectorised). None or 1: this process; -1: all cores.
    progress_bar : bool, optional
        Show a tqdm progress bar while parsing. ``None`` (default): when the
        estimated work takes 3 s or more (about 75,000 unique formulas);
        ``False``: never; ``True``: always.
    progress : bool, optional
        Deprecated alias of ``progress_bar`` (FutureWarning; removed in 0.4).

    Attributes
    ----------
    n_features_in_ : int
        Number of columns of ``X`` at fit time: 1 for a sequence of formulas, the
        DataFrame's column count otherwise (the formulas are read from ``column``).
    feature_names_in_ : ndarray of str
        Column names of ``X`` if it was a DataFrame with string column names at fit
        time.
    feature_names_out_ : ndarray of str
        matminer's feature labels, e.g. ``"MagpieData mean Number"``, then
        ``"frac_H"`` ... for the fraction presets.
    n_features_out_ : int
        145 (Magpie), 86 (fractions) or 231 (both).

    See Also
    --------
    matminer.featurizers.composition.ElementProperty
    skirnet.featurizers.StructureFeaturizer : Ward et al. (2017) structure attributes.

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
    .. [4] D. Jha, L. Ward, A. Paul, W.-k. Liao, A. Choudhary, C. Wolverton,
       A. Agrawal, "ElemNet: Deep learning the chemistry of materials from only
       elemental composition", Sci. Rep. 8, 17593 (2018).

    Examples
    --------
    >>> from skirnet.featurizers import CompositionFeaturizer
    >>> X = CompositionFeaturizer().fit_transform(["NaCl", "Fe2O3"])
    >>> X.shape
    (2, 145)
    >>> float(X[0, 0])  # 0-norm: number of elements
    2.0
    >>> elemnet = CompositionFeaturizer(preset="fractions").fit(["Fe2O3"])
    >>> F = elemnet.transform(["Fe2O3"])
    >>> F.shape, float(F.sum())
    ((1, 86), 1.0)
    >>> names = list(elemnet.get_feature_names_out())
    >>> float(F[0, names.index("frac_Fe")]), float(F[0, names.index("frac_O")])
    (0.4, 0.6)
    """

    _parameter_constraints: ClassVar[dict] = {
        **BaseFeaturizer._parameter_constraints,
        "preset": [StrOptions(set(_PRESETS))],
    }
    _what = "formulas"
    _seconds_per_item = 4e-5  # parsing and features of one unique formula

    def __init__(
        self,
        preset: str = "irnet",
        column: Any = None,
        errors: str = "raise",
        n_jobs: int | None = None,
        progress_bar: bool | None = None,
        progress: bool | None = None,
    ) -> None:
        self.preset = preset
        self.column = column
        self.errors = errors
        self.n_jobs = n_jobs
        self.progress_bar = progress_bar
        self.progress = progress

    def _single_types(self) -> tuple[type, ...]:
        from pymatgen.core import Composition

        return (Composition,)

    def feature_labels(self) -> list[str]:
        """Names of the output columns: matminer's labels, then ``frac_<element>``.

        Returns
        -------
        list of str
            145, 86 or 231 names.

        Examples
        --------
        >>> CompositionFeaturizer().feature_labels()[:2]
        ['0-norm', '2-norm']
        >>> CompositionFeaturizer(preset="fractions").feature_labels()[-1]
        'frac_Pu'
        """
        self._validate_params()
        magpie, fractions = _split_preset(self.preset)
        labels = list(_labels(magpie)) if magpie is not None else []
        if fractions:
            labels += [f"frac_{symbol}" for symbol in ELEMNET_ELEMENTS]
        return labels

    def citations(self) -> list[str]:
        """BibTeX entries of the papers behind the features of this preset.

        Returns
        -------
        list of str
            Ward et al. 2016 and matminer for the Magpie attributes (and the IRNet
            paper for ``"irnet"``), the ElemNet paper for the fractions.

        Examples
        --------
        >>> [c.split("{")[1].split(",")[0] for c in CompositionFeaturizer().citations()]
        ['ward2016general', 'ward2018matminer', 'jha2021enabling']
        """
        self._validate_params()
        magpie, fractions = _split_preset(self.preset)
        out = []
        if magpie is not None:
            out += [WARD2016_CITATION, MATMINER_CITATION]
            if magpie == "irnet":
                out.append(IRNET_CITATION)
        if fractions:
            out.append(ELEMNET_CITATION)
        return out

    def _featurize(self, rows: list[Any], index: pd.Index | None) -> np.ndarray:
        uniques, inverse = deduplicate(rows)
        parts = self._featurize_many(
            parse_chunk, uniques, chunk_size=(_PARSE_CHUNK, _PARSE_CHUNK), unit="formula"
        )
        parsed = assemble(parts, inverse)
        if _split_preset(self.preset)[1]:
            _reject_non_elemnet(parsed)
        failures, n_failed = parsed.failures(rows)
        self._apply_error_policy(failures, n_failed, len(rows), index)
        out = _features(parsed, self.preset)
        if len(out) == len(rows) and np.array_equal(inverse, np.arange(len(rows))):
            return out
        return out[inverse]
