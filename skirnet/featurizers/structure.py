"""Ward et al. (2017) Voronoi-tessellation structural attributes as a scikit-learn transformer."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_memory

from skirnet._warnings import warn_at_caller
from skirnet.featurizers._base import MATMINER_CITATION, BaseFeaturizer
from skirnet.featurizers._voronoi import (
    VoronoiNeighbors,
    compute_voronoi_neighbors,
    iter_shell_paths,
)

__all__ = ["StructureFeaturizer"]

_PRESETS = ("ward2017",)
#: Statistics of SiteStatsFingerprint's "..._ward-prb-2017" presets.
_STATS = ("minimum", "maximum", "range", "mean", "avg_dev")
#: Two sites closer than this (Angstrom) are reported as overlapping atoms.
OVERLAP_TOL = 0.1
#: Largest number of structures sent to one worker at a time.
_MAX_CHUNK = 256

WARD2017_CITATION = """@article{ward2017including,
  author = {Ward, Logan and Liu, Ruoqian and Krishna, Amar and Hegde, Vinay I. and
            Agrawal, Ankit and Choudhary, Alok and Wolverton, Chris},
  title = {Including crystal structure attributes in machine learning models of formation
           energies via {Voronoi} tessellations},
  journal = {Physical Review B}, volume = {96}, pages = {024104}, year = {2017},
  doi = {10.1103/PhysRevB.96.024104}}"""


# --------------------------------------------------------------------------- #
# matminer labels and element data (computed once per process)
# --------------------------------------------------------------------------- #
@lru_cache(maxsize=1)
def _matminer_featurizers() -> tuple[Any, ...]:
    """matminer's own featurizers of the preset (used for labels and as reference)."""
    from matminer.featurizers.structure import (
        ChemicalOrdering,
        MaximumPackingEfficiency,
        SiteStatsFingerprint,
        StructuralHeterogeneity,
    )

    return (
        SiteStatsFingerprint.from_preset("CoordinationNumber_ward-prb-2017"),
        StructuralHeterogeneity(),
        ChemicalOrdering(),
        MaximumPackingEfficiency(),
        SiteStatsFingerprint.from_preset("LocalPropertyDifference_ward-prb-2017"),
    )


@lru_cache(maxsize=1)
def _ward2017_labels() -> tuple[str, ...]:
    return tuple(label for f in _matminer_featurizers() for label in f.feature_labels())


@lru_cache(maxsize=1)
def _lpd_source() -> tuple[Any, tuple[str, ...]]:
    lpd = _matminer_featurizers()[4].site_featurizer
    return lpd.data_source, tuple(lpd.properties)


@lru_cache(maxsize=256)
def _element_properties(symbol: str) -> np.ndarray:
    """The 22 Magpie properties of LocalPropertyDifference for one element."""
    from pymatgen.core import Element

    source, props = _lpd_source()
    el = Element(symbol)
    return np.array([source.get_elemental_property(el, p) for p in props], dtype=float)


def _symbol(specie: Any) -> str:
    return getattr(specie, "element", specie).symbol


# --------------------------------------------------------------------------- #
# the featurization of one structure
# --------------------------------------------------------------------------- #
def _site_stats(columns: np.ndarray) -> list[float]:
    """SiteStatsFingerprint statistics of each column of a (sites, features) array."""
    from matminer.featurizers.utils.stats import PropertyStats

    out: list[float] = []
    for col in np.asarray(columns, dtype=float).T:
        values = col.tolist()
        out.extend(float(PropertyStats.calc_stat(values, stat)) for stat in _STATS)
    return out


def _check_structure(structure: Any) -> None:
    """Raise ValueError for inputs matminer cannot featurize meaningfully."""
    if len(structure) == 0:
        raise ValueError("structure has no sites")
    if not structure.is_ordered:
        raise ValueError("disordered structure (partial occupancies) is not supported")
    centers, points, images, dist = structure.get_neighbor_list(
        r=OVERLAP_TOL, numerical_tol=0.0, exclude_self=False
    )
    other = (
        (centers != points) | (np.abs(images).max(axis=1) > 0)
        if len(centers)
        else np.zeros(0, bool)
    )
    bad = np.flatnonzero(other)
    if len(bad):
        k = int(bad[0])
        raise ValueError(
            f"overlapping atoms: sites {int(centers[k])} and {int(points[k])} are "
            f"{float(dist[k]):.3g} A apart (< {OVERLAP_TOL} A)"
        )


def _in_unit_cell(structure: Any) -> Any:
    """``structure`` with every fractional coordinate in [0, 1).

    The tessellation (pymatgen's too) places each site at its unit-cell copy but finds
    its neighbours around the coordinates as given: a site given outside the cell would
    get the cell of a point a lattice vector away. Wrapping first makes the attributes
    independent of which periodic copy a file lists; coordinates already in the cell
    are left untouched (the values stay matminer's).
    """
    frac = structure.frac_coords
    wrapped = np.mod(frac, 1.0)
    wrapped[wrapped >= 1.0] = 0.0  # np.mod(-1e-17, 1.0) is 1.0
    if np.array_equal(wrapped, frac):
        return structure
    from pymatgen.core import Structure

    return Structure(
        structure.lattice, structure.species, wrapped, site_properties=structure.site_properties
    )


def ward2017_features(structure: Any) -> np.ndarray:
    """The 128 Ward et al. (2017) attributes of one structure, matminer order.

    Computes the Voronoi tessellation once and derives from it
    ``SiteStatsFingerprint(CoordinationNumber_ward-prb-2017)``,
    ``StructuralHeterogeneity``, ``ChemicalOrdering``,
    ``MaximumPackingEfficiency`` and
    ``SiteStatsFingerprint(LocalPropertyDifference_ward-prb-2017)``.
    """
    _check_structure(structure)
    structure = _in_unit_cell(structure)
    try:
        nn = compute_voronoi_neighbors(structure)
    except Exception as exc:  # qhull errors, pathological cells, ...
        raise ValueError(f"Voronoi tessellation failed: {type(exc).__name__}: {exc}") from exc
    return _features_from_neighbors(structure, nn)


def _features_from_neighbors(structure: Any, nn: VoronoiNeighbors) -> np.ndarray:
    n = nn.n_sites
    c = nn.center
    w = nn.weight
    sum_w = np.bincount(c, weights=w, minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        # --- SiteStatsFingerprint(CoordinationNumber, use_weights="effective")
        cn = sum_w**2 / np.bincount(c, weights=w**2, minlength=n)
        feats = _site_stats(cn[:, None])

        # --- StructuralHeterogeneity (weight="area")
        from matminer.featurizers.utils.stats import PropertyStats

        lengths = nn.face_dist * 2
        mean_bl = np.bincount(c, weights=w * lengths, minlength=n) / sum_w
        bl_var = (
            np.bincount(c, weights=w * np.abs(lengths - mean_bl[c]), minlength=n) / sum_w / mean_bl
        )
        mean_bl = mean_bl / mean_bl.mean()
        feats += [
            float(PropertyStats.avg_dev(mean_bl)),
            float(mean_bl.max()),
            float(mean_bl.min()),
        ]
        feats += [float(PropertyStats.calc_stat(bl_var, s)) for s in _STATS]
        cell_volumes = np.bincount(c, weights=nn.volume, minlength=n)
        feats.append(float(PropertyStats.avg_dev(cell_volumes) / np.mean(cell_volumes)))

        # --- ChemicalOrdering (shells 1, 2, 3; weight="area")
        if len(structure.composition) == 1:
            feats += [0.0, 0.0, 0.0]
        else:
            elems, fracs = zip(
                *structure.composition.element_composition.fractional_composition.items(),
                strict=True,
            )
            elem_index = {e.symbol: i for i, e in enumerate(elems)}
            site_elem = np.array(
                [elem_index[_symbol(site.specie)] for site in structure], dtype=np.int64
            )
            n_el = len(elems)
            fracs_arr = np.array(fracs, dtype=float)
            for root, term, pw in iter_shell_paths(nn, 3):
                by_type = np.bincount(
                    root * n_el + site_elem[term], weights=pw, minlength=n * n_el
                )
                by_type = by_type.reshape(n, n_el)
                total = np.bincount(root, weights=pw, minlength=n)
                ordering = 1 - by_type / total[:, None] / fracs_arr
                feats.append(float(np.abs(ordering).mean()))

        # --- MaximumPackingEfficiency
        feats.append(
            float(4.0 / 3.0 * np.pi * np.power(nn.min_face_dist, 3).sum() / structure.volume)
        )

        # --- SiteStatsFingerprint(LocalPropertyDifference ward-prb-2017)
        props = np.stack([_element_properties(_symbol(site.specie)) for site in structure])
        diff = np.abs(props[nn.neighbor] - props[c])
        lpd = np.stack(
            [np.bincount(c, weights=w * diff[:, j], minlength=n) for j in range(props.shape[1])],
            axis=1,
        )
        lpd = lpd / sum_w[:, None]
        feats += _site_stats(lpd)
    return np.asarray(feats, dtype=float)


def _features_from_arrays(
    matrix: np.ndarray, species: list[str], frac_coords: np.ndarray
) -> np.ndarray:
    """Cache-friendly entry point: rebuild the structure from plain arrays."""
    from pymatgen.core import Lattice, Structure

    return ward2017_features(Structure(Lattice(matrix), species, frac_coords))


def _digest(values: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(values, dtype=np.float64).tobytes()).hexdigest()


def _features_and_digest(
    matrix: np.ndarray, species: list[str], frac_coords: np.ndarray
) -> tuple[np.ndarray, str]:
    """What the ``memory`` cache stores: the attributes and their SHA-256.

    joblib's cache recomputes an entry it cannot unpickle (a truncated file) but returns
    one whose numbers were damaged on disk as they are; the digest catches that.
    """
    values = _features_from_arrays(matrix, species, frac_coords)
    return values, _digest(values)


def _cached_features(compute: Any, *args: Any) -> np.ndarray:
    """The attributes from the cache, computed and stored again if the entry is damaged."""
    try:
        values, digest = compute(*args)
        if _digest(values) == digest:
            return np.asarray(values)
    except (TypeError, ValueError):  # not a pair of an array and a digest
        pass
    warn_at_caller(
        f"a cached result in {compute.store_backend.location} is damaged (its SHA-256 does "
        "not match); computing it again"
    )
    output = compute.call(*args)  # recomputes and stores; joblib >= 1.4 adds metadata
    values, _ = output[0] if isinstance(output[1], dict) else output
    return np.asarray(values)


# --------------------------------------------------------------------------- #
# input parsing and chunked (parallel) evaluation
# --------------------------------------------------------------------------- #
def _parse_structure(obj: Any) -> Any:
    """Structure, IStructure, CIF string or ``Structure.as_dict()`` -> Structure."""
    from pymatgen.core import IStructure, Structure

    if isinstance(obj, Structure):
        return obj
    if isinstance(obj, IStructure):
        return Structure.from_sites(obj)
    if isinstance(obj, str):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return Structure.from_str(obj, fmt="cif")
        except Exception as exc:
            raise ValueError(f"could not parse CIF string ({type(exc).__name__}: {exc})") from exc
    if isinstance(obj, dict):
        from skirnet.datasets.readers import parse_structure

        return parse_structure(obj)  # refuses dicts naming modules outside pymatgen
    raise ValueError(
        f"unsupported input type {type(obj).__name__}; expected Structure, CIF string or dict"
    )


def _featurize_chunk(
    items: Sequence[tuple[int, Any]], memory: Any, want_composition: bool, want_structure: bool
) -> list[tuple[int, np.ndarray | None, str | None, Any]]:
    """Featurize ``(row, input)`` pairs; errors are returned, not raised."""
    compute = memory.cache(_features_and_digest) if memory is not None else None
    out: list[tuple[int, np.ndarray | None, str | None, Any]] = []
    for row, obj in items:
        try:
            structure = _parse_structure(obj)
            comp = structure.composition if want_composition else None
            if not want_structure:
                if len(structure) == 0:
                    raise ValueError("structure has no sites")
                values = np.empty(0)
            elif compute is not None:
                _check_structure(structure)
                values = _cached_features(
                    compute,
                    structure.lattice.matrix,
                    [str(site.specie) for site in structure],
                    structure.frac_coords,
                )
            else:
                values = ward2017_features(structure)
            out.append((row, values, None, comp))
        except Exception as exc:
            msg = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
            out.append((row, None, msg, None))
    return out


class StructureFeaturizer(BaseFeaturizer):
    """Ward et al. (2017) Voronoi structural attributes, exact and fast.

    Computes the crystal-structure attributes of Ward et al. (2017) exactly as
    matminer does -- ``SiteStatsFingerprint.from_preset(
    "CoordinationNumber_ward-prb-2017")``, ``StructuralHeterogeneity()``,
    ``ChemicalOrdering()``, ``MaximumPackingEfficiency()`` and
    ``SiteStatsFingerprint.from_preset("LocalPropertyDifference_ward-prb-2017")``
    (128 columns, same labels and order, values within 1e-9) -- but
    tessellates every structure only once: matminer recomputes the Voronoi
    neighbours (``VoronoiNN(weight="area")``, 13 A cutoff) in every
    sub-featurizer and, for ``MaximumPackingEfficiency``, once per site.
    The neighbour lists are shared between all sub-featurizers and the
    per-site loops are vectorised.

    **126 vs 128 attributes.** The paper (Ward et al. 2017, Table I; 271
    attributes = 145 composition + 126 structure) and its reference
    implementation in Magpie summarise the effective coordination number and
    the neighbour-distance (bond-length) variation by mean, mean absolute
    deviation, minimum and maximum only (4 + 4 columns).  matminer's
    ``SiteStatsFingerprint`` preset and ``StructuralHeterogeneity`` use
    ``stats=("minimum", "maximum", "range", "mean", "avg_dev")`` and so add
    their *range* -- ``"range CN_VoronoiNN"`` and ``"range neighbor distance
    variation"`` -- which is exactly ``maximum - minimum`` of columns already
    present.  These two redundant columns are the whole difference
    (126 + 2 = 128); they are kept so that the output is identical to
    matminer's.  Everything else matches: 3 mean-bond-length, 1 cell-volume,
    3 ordering, 1 packing-efficiency and 22 x 5 = 110 local-property-difference
    attributes.

    Parameters
    ----------
    preset : {"ward2017"}, default="ward2017"
        Attribute set.  Only the Ward et al. (2017) set is available.
    composition : bool, default=False
        Also append the 145 composition attributes of the structure's
        composition (``CompositionFeaturizer()`` default preset), giving 273
        columns.
    column : hashable, optional
        Column holding the structures when ``X`` is a DataFrame.
    errors : {"raise", "nan"}, default="raise"
        What to do with a structure that cannot be featurized (unparsable CIF,
        a structure dict naming a module outside pymatgen, no sites, disordered,
        overlapping atoms, failed tessellation): ``"raise"`` raises a ValueError
        naming the row and the problem, ``"nan"`` fills that row with NaN and issues
        one :class:`~skirnet.featurizers.FeaturizationWarning`.
    n_jobs : int, optional
        Number of worker processes (joblib); ``None`` runs in this process,
        ``-1`` uses every core.  Structures are sent in large chunks.
    memory : str or joblib.Memory, optional
        Cache of the per-structure attributes; featurizing the same structure
        again loads the result instead of recomputing it. Each entry is stored with
        its SHA-256: a damaged entry (truncated, or numbers changed on disk) is
        computed again, with a warning, never used.
    progress_bar : bool, optional
        Show a tqdm progress bar.  ``None`` (default): when the estimated work
        takes 3 s or more (about 60 structures); ``False``: never; ``True``: always.
    progress : bool, optional
        Deprecated alias of ``progress_bar`` (FutureWarning; removed in 0.4).
    structure : bool, default=True
        Keyword only. Compute the 128 structure attributes; ``False`` (with
        ``composition=True``) gives only the composition attributes of the
        structures, for comparing structure against composition inputs on the same
        table.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns of ``X`` at fit time: 1 for a sequence of structures, the
        DataFrame's column count otherwise (the structures are read from ``column``).
    feature_names_in_ : ndarray of str
        Column names of ``X`` if it was a DataFrame with string column names at fit
        time.
    feature_names_out_ : ndarray of str
        Output column names (matminer's labels), set by :meth:`fit`.
    n_features_out_ : int
        Number of output columns (128, or 273 with ``composition=True``, or 145 with
        ``structure=False``).

    See Also
    --------
    skirnet.featurizers.composition.CompositionFeaturizer : Magpie composition attributes.

    References
    ----------
    .. [1] L. Ward, R. Liu, A. Krishna, V. I. Hegde, A. Agrawal, A. Choudhary
       and C. Wolverton, "Including crystal structure attributes in machine
       learning models of formation energies via Voronoi tessellations",
       Phys. Rev. B 96, 024104 (2017). https://doi.org/10.1103/PhysRevB.96.024104
    .. [2] L. Ward et al., "Matminer: An open source toolkit for materials data
       mining", Comput. Mater. Sci. 152, 60-69 (2018).
    .. [3] D. Jha et al., "Enabling deeper learning on big data for materials
       informatics applications", Sci. Rep. 11, 4244 (2021).

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> from skirnet.featurizers.structure import StructureFeaturizer
    >>> nacl = Structure.from_spacegroup(
    ...     "Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]]
    ... )
    >>> featurizer = StructureFeaturizer()
    >>> X = featurizer.fit_transform([nacl])
    >>> X.shape
    (1, 128)
    >>> str(featurizer.get_feature_names_out()[3])
    'mean CN_VoronoiNN'
    >>> round(float(X[0, 3]), 6)  # six octahedral neighbours
    6.0
    """

    _parameter_constraints: ClassVar[dict] = {
        **BaseFeaturizer._parameter_constraints,
        "preset": [StrOptions(set(_PRESETS))],
        "composition": ["boolean"],
        "structure": ["boolean"],
        "memory": [None, str, HasMethods(["cache"])],
    }
    _what = "structures"
    _seconds_per_item = 0.05  # one tessellation and its statistics

    def __init__(
        self,
        preset: str = "ward2017",
        composition: bool = False,
        column: Any = None,
        errors: str = "raise",
        n_jobs: int | None = None,
        memory: Any = None,
        progress_bar: bool | None = None,
        progress: bool | None = None,
        *,
        structure: bool = True,
    ) -> None:
        self.preset = preset
        self.composition = composition
        self.structure = structure
        self.column = column
        self.errors = errors
        self.n_jobs = n_jobs
        self.memory = memory
        self.progress_bar = progress_bar
        self.progress = progress

    def __sklearn_tags__(self):  # noqa: D105
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags

    def _single_types(self) -> tuple[type, ...]:
        from pymatgen.core import IStructure

        return (IStructure,)

    def _composition_featurizer(self) -> Any:
        from skirnet.featurizers.composition import CompositionFeaturizer

        return CompositionFeaturizer(
            errors=self.errors, n_jobs=self.n_jobs, progress_bar=self._progress_bar
        )

    def feature_labels(self) -> list[str]:
        """Names of the output columns: matminer's labels (then the composition ones).

        Returns
        -------
        list of str
            128 names (273 with ``composition=True``).

        Examples
        --------
        >>> StructureFeaturizer().feature_labels()[3]
        'mean CN_VoronoiNN'
        """
        self._validate_params()
        if not (self.structure or self.composition):
            raise ValueError("StructureFeaturizer needs structure=True or composition=True")
        names = list(_ward2017_labels()) if self.structure else []
        if self.composition:
            names += self._composition_featurizer().feature_labels()
        return names

    def citations(self) -> list[str]:
        """BibTeX entries of the papers behind these features.

        Returns
        -------
        list of str
            Ward et al. 2017 and matminer (and the composition featurizer's with
            ``composition=True``).

        Examples
        --------
        >>> len(StructureFeaturizer().citations())
        2
        """
        self._validate_params()
        out = [WARD2017_CITATION, MATMINER_CITATION] if self.structure else [MATMINER_CITATION]
        if self.composition:
            out += [c for c in self._composition_featurizer().citations() if c not in out]
        return out

    def _featurize(self, rows: list[Any], index: pd.Index | None) -> np.ndarray:
        n = len(rows)
        out = np.full((n, len(_ward2017_labels()) if self.structure else 0), np.nan)
        memory = check_memory(self.memory)
        memory = None if memory.location is None else memory
        compositions: dict[int, Any] = {}
        failures: list[tuple[int, str]] = []
        results = self._featurize_many(
            _featurize_chunk,
            list(enumerate(rows)),
            args=(memory, self.composition, self.structure),
            chunk_size=(1, _MAX_CHUNK),
            unit="structure",
        )
        for result in results:
            for row, values, msg, comp in result:
                if msg is not None:
                    failures.append((row, msg))
                else:
                    out[row] = values
                    if comp is not None:
                        compositions[row] = comp
        self._apply_error_policy(failures, len(failures), n, index)
        if self.composition:
            featurizer = self._composition_featurizer().fit(None)
            comp_out = np.full((n, featurizer.n_features_out_), np.nan)
            done = sorted(compositions)
            if done:
                comp_out[done] = featurizer.transform([compositions[r] for r in done])
            out = np.hstack([out, comp_out])
        return out
