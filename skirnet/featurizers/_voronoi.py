"""Shared Voronoi neighbour computation for :class:`StructureFeaturizer`.

matminer's Ward et al. (2017) structural featurizers each ask pymatgen's
:class:`~pymatgen.analysis.local_env.VoronoiNN` for the tessellation of the
structure again: ``SiteStatsFingerprint(CoordinationNumber)`` and
``SiteStatsFingerprint(LocalPropertyDifference)`` call
``get_nearest_neighbors`` once per *site* (through a one-entry ``lru_cache``
whose key comparison alone is quadratic in the number of sites),
``StructuralHeterogeneity`` and ``ChemicalOrdering`` call
``VoronoiNN(weight="area").get_all_nn_info`` and
``MaximumPackingEfficiency`` runs one tessellation *per site* with
``VoronoiNN().get_voronoi_polyhedra``.  All of them use the default
``cutoff=13.0`` Angstrom, ``tol=0`` and facet-area weights.

This module reproduces ``VoronoiNN(weight="area").get_all_nn_info`` (the very
same point cloud, in the same order, fed to the same qhull tessellation) once
per structure, vectorised, and hands the result to every sub-featurizer.
It never imports torch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from pymatgen.core import Structure

#: Neighbour cutoff (Angstrom) of pymatgen's ``VoronoiNN`` default, used by matminer.
VORONOI_CUTOFF = 13.0
#: Radius (Angstrom) of the first, cheaper tessellation (see compute_voronoi_neighbors).
FIRST_CUTOFF = 7.0


@dataclass(frozen=True)
class VoronoiNeighbors:
    """Voronoi facets of every site, in ``VoronoiNN.get_all_nn_info`` order.

    Arrays of length ``n_faces`` describe the facets kept by
    ``VoronoiNN._extract_nn_info`` (area weight > 0), grouped by ``center``
    in increasing site order and, within one site, in qhull ridge order.
    """

    n_sites: int
    center: np.ndarray  # (F,) int: index of the site owning the facet
    neighbor: np.ndarray  # (F,) int: index (in the structure) of the neighbour
    image: np.ndarray  # (F, 3) int: lattice image of the neighbour
    weight: np.ndarray  # (F,) float: facet area / largest facet area of the site
    face_dist: np.ndarray  # (F,) float: distance from the site to the facet
    volume: np.ndarray  # (F,) float: volume of the pyramid site-facet
    min_face_dist: np.ndarray  # (n_sites,) float: closest facet of each cell (all facets)

    @property
    def offsets(self) -> np.ndarray:
        """Start of each site's facets in the facet arrays (length ``n_sites + 1``)."""
        counts = np.bincount(self.center, minlength=self.n_sites)
        return np.concatenate([[0], np.cumsum(counts)])


def _tetra_volumes(
    center: np.ndarray, v0: np.ndarray, vj: np.ndarray, vk: np.ndarray
) -> np.ndarray:
    """Vectorised ``pymatgen.analysis.local_env.vol_tetra(center, v0, vj, vk)``."""
    a = center - vk
    b = v0 - vk
    c = vj - vk
    cr = np.cross(b, c)
    return np.abs(a[:, 0] * cr[:, 0] + a[:, 1] * cr[:, 1] + a[:, 2] * cr[:, 2]) / 6


def _single_site(structure: Structure) -> VoronoiNeighbors:
    """One-site cells: pymatgen itself falls back to the per-site tessellation."""
    from pymatgen.analysis.local_env import VoronoiNN

    polys = VoronoiNN(weight="area").get_voronoi_polyhedra(structure, 0)
    faces = list(polys.values())
    areas = np.array([f["area"] for f in faces], dtype=float)
    max_area = areas.max()
    keep = areas > 0 * max_area
    sites = [f["site"] for f in faces]
    neighbor = np.array([getattr(s, "index", 0) for s in sites], dtype=np.int64)
    image = np.array([getattr(s, "image", (0, 0, 0)) for s in sites], dtype=float).reshape(-1, 3)
    return VoronoiNeighbors(
        n_sites=1,
        center=np.zeros(int(keep.sum()), dtype=np.int64),
        neighbor=neighbor[keep],
        image=np.rint(image[keep]).astype(np.int64),
        weight=areas[keep] / max_area,
        face_dist=np.array([f["face_dist"] for f in faces], dtype=float)[keep],
        volume=np.array([f["volume"] for f in faces], dtype=float)[keep],
        min_face_dist=np.array([min(f["face_dist"] for f in faces)]),
    )


def compute_voronoi_neighbors(
    structure: Structure, cutoff: float = VORONOI_CUTOFF
) -> VoronoiNeighbors:
    """Tessellate ``structure`` once, as ``VoronoiNN(weight="area").get_all_nn_info`` does.

    The cells are first computed from the images within a smaller radius
    (:data:`FIRST_CUTOFF`), which holds a fraction of the points qhull would otherwise
    tessellate. A point farther than ``r`` from a site can only cut its cell if the
    cell has a vertex farther than ``r / 2`` from the site; when every cell's farthest
    vertex is closer than that, the cells are exactly those of the full ``cutoff``
    (the same facets, areas to rounding). Otherwise the full cutoff is used.

    Parameters
    ----------
    structure : pymatgen.core.Structure
        Ordered, periodic structure with at least one site.
    cutoff : float, default=13.0
        Radius (Angstrom) of the periodic images included in the tessellation.

    Returns
    -------
    VoronoiNeighbors
        The area-weighted facets of every site.

    Raises
    ------
    RuntimeError
        If a cell is unbounded (pathological tessellation), as pymatgen does.
    ValueError
        If a site has no Voronoi neighbour.

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> cscl = Structure(Lattice.cubic(4.12), ["Cs", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> nn = compute_voronoi_neighbors(cscl)
    >>> nn.n_sites, len(nn.center)  # each cell a truncated octahedron: 14 facets
    (2, 28)
    """
    n = len(structure)
    if n == 1:
        return _single_site(structure)
    if FIRST_CUTOFF < cutoff:
        try:
            nn, reach = _tessellate(structure, FIRST_CUTOFF)
        except (RuntimeError, ValueError):  # an unbounded or empty cell: too few images
            pass
        else:
            if 2 * reach < FIRST_CUTOFF - 1e-6:
                return nn
    return _tessellate(structure, cutoff)[0]


def _tessellate(structure: Structure, cutoff: float) -> tuple[VoronoiNeighbors, float]:
    """The facets from the images within ``cutoff``, and the farthest cell vertex."""
    from scipy.spatial import Voronoi

    n = len(structure)
    lattice = structure.lattice
    matrix = lattice.matrix
    frac = structure.frac_coords
    # Same neighbour search as Structure.get_all_neighbors(cutoff)
    _, points, images, _ = structure.get_neighbor_list(r=cutoff, numerical_tol=1e-8)
    root_keys = np.column_stack([np.arange(n), np.zeros((n, 3))]).astype(np.int64)
    keys = np.concatenate([root_keys, np.column_stack([points, images]).astype(np.int64)])
    # np.unique(axis=0) keeps the first occurrence, i.e. the root (unit-cell) copy
    # of each site; the same lexicographic order is obtained much faster by
    # packing (site, image) into one int64 (a stable sort keeps "first").
    lo = keys[:, 1:].min(axis=0)
    span = keys[:, 1:].max(axis=0) - lo + 1
    packed = keys[:, 0].copy()
    for d in range(3):
        packed = packed * span[d] + (keys[:, 1 + d] - lo[d])
    _, first = np.unique(packed, return_index=True)
    keys = keys[first]
    is_root_key = first < n
    unit_frac = np.mod(frac, 1.0)  # PeriodicSite.to_unit_cell
    pt_frac = np.where(is_root_key[:, None], unit_frac[keys[:, 0]], frac[keys[:, 0]] + keys[:, 1:])
    coords = pt_frac @ matrix
    roots = np.flatnonzero(np.abs(keys[:, 1:]).max(axis=1) == 0)
    if len(roots) != n:
        raise ValueError("could not locate every site in its own tessellation")

    voro = Voronoi(coords)
    ridge_points = np.asarray(voro.ridge_points, dtype=np.int64)
    ridge_vertices = voro.ridge_vertices
    row_to_site = np.full(len(keys), -1, dtype=np.int64)
    row_to_site[roots] = np.arange(n)

    # Each ridge touching a root row is a facet of that root's cell (both ways)
    rid_a = np.flatnonzero(row_to_site[ridge_points[:, 0]] >= 0)
    rid_b = np.flatnonzero(row_to_site[ridge_points[:, 1]] >= 0)
    ridges = np.concatenate([rid_a, rid_b])
    center_rows = np.concatenate([ridge_points[rid_a, 0], ridge_points[rid_b, 1]])
    other_rows = np.concatenate([ridge_points[rid_a, 1], ridge_points[rid_b, 0]])
    centers = row_to_site[center_rows]
    order = np.lexsort((ridges, centers))  # by site, then ridge (dict) order
    ridges, center_rows, other_rows, centers = (
        ridges[order],
        center_rows[order],
        other_rows[order],
        centers[order],
    )
    if np.bincount(centers, minlength=n).min() == 0:
        raise ValueError("No Voronoi neighbors found for site - try increasing cutoff")

    # Fan triangulation of every facet: (v0, v_j, v_k) for consecutive j, k
    verts = [ridge_vertices[r] for r in ridges.tolist()]
    lens = np.fromiter((len(v) for v in verts), dtype=np.int64, count=len(verts))
    flat = np.fromiter((i for v in verts for i in v), dtype=np.int64, count=int(lens.sum()))
    if (flat < 0).any():
        raise RuntimeError(
            "This structure is pathological, infinite vertex in the Voronoi construction"
        )
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    n_tri = np.maximum(lens - 2, 0)
    tri_face = np.repeat(np.arange(len(ridges)), n_tri)
    tri_rank = np.arange(int(n_tri.sum())) - np.repeat(np.cumsum(n_tri) - n_tri, n_tri)
    v0 = flat[starts[tri_face]]
    vj = flat[starts[tri_face] + 1 + tri_rank]
    vk = flat[starts[tri_face] + 2 + tri_rank]
    vv = voro.vertices
    center_xyz = coords[center_rows]
    tet = _tetra_volumes(center_xyz[tri_face], vv[v0], vv[vj], vv[vk])
    volume = np.bincount(tri_face, weights=tet, minlength=len(ridges))
    face_dist = np.linalg.norm(center_xyz - coords[other_rows], axis=1) / 2
    area = 3 * volume / face_dist

    offsets = np.concatenate([[0], np.cumsum(np.bincount(centers, minlength=n))])
    max_area = np.maximum.reduceat(area, offsets[:-1])
    min_face_dist = np.minimum.reduceat(face_dist, offsets[:-1])
    keep = area > 0 * max_area[centers]  # VoronoiNN tol=0

    nb_sites = keys[other_rows, 0]
    nb_images = keys[other_rows, 1:].copy()
    # NearNeighbors._get_image for the unit-cell (root) copies of the sites
    root_nb = is_root_key[other_rows]
    if root_nb.any():
        idx = nb_sites[root_nb]
        nb_images[root_nb] = np.around(unit_frac[idx] - frac[idx]).astype(np.int64)

    # farthest vertex of any cell from its site: what a point beyond the cutoff could cut
    reach = float(
        np.sqrt(
            ((vv[flat] - center_xyz[np.repeat(np.arange(len(ridges)), lens)]) ** 2)
            .sum(axis=1)
            .max()
        )
    )
    nn = VoronoiNeighbors(
        n_sites=n,
        center=centers[keep],
        neighbor=nb_sites[keep],
        image=nb_images[keep],
        weight=(area / max_area[centers])[keep],
        face_dist=face_dist[keep],
        volume=volume[keep],
        min_face_dist=min_face_dist,
    )
    return nn, reach


def iter_shell_paths(
    nn: VoronoiNeighbors, max_shell: int
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Non-backtracking neighbour paths of length 1, 2, ..., ``max_shell``.

    Vectorised equivalent of ``NearNeighbors._get_nn_shell_info``: a path may
    not revisit a (site, image) node it already went through, and its weight is
    the product of the facet weights along it.  Summing the path weights by
    terminal (site, image) gives pymatgen's shell weights; ChemicalOrdering only
    needs their sums by root and by terminal element, so paths are returned
    unmerged.

    Yields
    ------
    root, terminal, weight : ndarray
        Starting site, terminal site index and weight of every path of the
        current length (one tuple per shell, starting at shell 1).
    """
    if max_shell <= 0:
        raise ValueError("Shell must be positive")
    offsets = nn.offsets
    degree = np.diff(offsets)
    # A node (site, image) as one int64, so that "already visited" is one comparison
    # per hop: images of a path of max_shell hops lie within max_shell * the largest one.
    span = int(np.abs(nn.image).max(initial=0)) * max_shell
    base = 2 * span + 1

    def node(sites: np.ndarray, images: np.ndarray) -> np.ndarray:
        packed = sites.astype(np.int64)
        for d in range(3):
            packed = packed * base + (images[:, d] + span)
        return packed

    root = nn.center
    site = nn.neighbor
    img = nn.image
    weight = nn.weight
    # nodes already visited by each path: the root (image 0) and every hop
    history = [node(root, np.zeros_like(img)), node(site, img)]
    yield root, site, weight
    for _ in range(max_shell - 1):
        count = degree[site]
        rep = np.repeat(np.arange(len(site)), count)
        within = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        edge = offsets[site][rep] + within
        new_site = nn.neighbor[edge]
        new_img = img[rep] + nn.image[edge]
        new_node = node(new_site, new_img)
        ok = np.ones(len(edge), dtype=bool)
        for visited in history:
            ok &= visited[rep] != new_node
        sel = rep[ok]
        edge = edge[ok]
        root = root[sel]
        site = new_site[ok]
        img = new_img[ok]
        weight = nn.weight[edge] * weight[sel]
        history = [h[sel] for h in history] + [new_node[ok]]
        yield root, site, weight
