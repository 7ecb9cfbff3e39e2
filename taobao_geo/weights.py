"""Spatial weights: the one place where neighbour graphs are built.

Every builder returns a :class:`SpatialWeights` holding an immutable libpysal
:class:`~libpysal.graph.Graph` (never the legacy ``W``) plus a report of what was done: the kind,
the distance threshold and how it was chosen, neighbour counts and every island (a unit without
neighbours) with the policy applied to it. Statistics in :mod:`taobao_geo.autocorrelation` and
:mod:`taobao_geo.local` accept either a ``SpatialWeights`` or a bare ``Graph``.

Kinds
-----
``"queen"`` / ``"rook"``
    Contiguity of polygons (shared vertex / shared edge), as GeoDa, spdep ``poly2nb`` and
    libpysal. Regular grids made by :func:`taobao_geo.units.aggregate` are recognised and their
    adjacency is computed from the row/column indices (the *lattice shortcut*): 250,000 cells in
    well under a second, instead of a geometric intersection test.
``"knn"``
    The ``k`` nearest units (centroids for polygons), as spdep ``knearneigh`` and libpysal.
    Asymmetric.
``"distance"``
    Binary distance band: every unit within ``threshold`` metres. With ``threshold=None`` the
    smallest band giving every unit at least one neighbour is used (ArcGIS's default distance;
    spdep ``dnearneigh(xy, 0, max(nn1))``).
``"idw"``
    Inverse distance ``d**-power`` inside the (automatic) distance band, as ArcGIS's
    INVERSE_DISTANCE conceptualisation with a threshold.
``"kernel"``
    Kernel weights ``K(d / bandwidth)`` inside a fixed bandwidth (default: the largest distance
    to the ``k``-th nearest neighbour, GeoDa's "max kNN distance" rule with
    ``k = ceil(n ** (1/3))``). The self weight is left out.

Distance-based kinds need a projected CRS in metres (:func:`taobao_geo._validate.ensure_projected`):
a band in degrees is a classic mistake (libpysal#408).

Islands
-------
``islands="raise"`` (default) stops with the ids of the units without neighbours;
``"drop"`` removes them from the graph (the statistics then leave them out and label them);
``"nearest"`` links each island to its nearest unit, in both directions, and reports the pair
and the distance. No policy ever produces a silent NaN.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from ._errors import GeometryTypeError, IslandError
from ._results import ResultMixin
from ._validate import check_choice, ensure_min_n, ensure_polygons, ensure_projected, row_list

__all__ = [
    "KINDS",
    "ISLAND_POLICIES",
    "SpatialWeights",
    "build_graph",
    "auto_threshold",
    "lattice_graph",
    "as_graph",
    "as_sparse",
]

KINDS = ("queen", "rook", "knn", "distance", "idw", "kernel")
ISLAND_POLICIES = ("raise", "drop", "nearest")
KERNELS = ("triangular", "bisquare", "gaussian", "parabolic", "cosine", "exponential", "boxcar")


@dataclass(frozen=True)
class SpatialWeights(ResultMixin):
    """Spatial weights (a libpysal ``Graph`` on demand) and the report of how they were built.

    Attributes
    ----------
    sparse
        n × n CSR matrix of weights in the order of ``ids`` (binary or with the kind's weights;
        not row-standardised -- the statistics choose the transformation they need).
    ids
        Unit ids (the input index minus dropped islands).
    graph
        The same weights as an immutable libpysal ``Graph`` (built on first access, so that
        the command line does not pay for importing libpysal when it is not needed).
    kind
        One of ``queen, rook, knn, distance, idw, kernel``.
    method
        How it was computed, e.g. ``"lattice shortcut (square grid)"`` or
        ``"libpysal Graph.build_contiguity"``.
    threshold_m, threshold_rule
        Distance band / bandwidth in metres and how it was chosen (``None`` for contiguity/knn).
    k
        Number of neighbours for ``knn`` (and the k of the kernel bandwidth rule).
    islands
        Ids of units that had no neighbours under the chosen kind, before the policy.
    island_policy
        ``raise``, ``drop`` or ``nearest``.
    dropped
        Ids removed from the graph (``drop`` policy).
    connected
        ``(island id, nearest id, distance_m)`` links added (``nearest`` policy).
    """

    sparse: sp.csr_matrix = field(repr=False)
    ids: pd.Index = field(repr=False)
    kind: str
    method: str
    n: int
    n_edges: int
    min_neighbours: int
    mean_neighbours: float
    max_neighbours: int
    threshold_m: float | None = None
    threshold_rule: str | None = None
    k: int | None = None
    power: float | None = None
    kernel: str | None = None
    islands: tuple = ()
    island_policy: str = "raise"
    dropped: tuple = ()
    connected: tuple = ()
    crs: str | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def graph(self):
        """The weights as a libpysal ``Graph`` (islands, if any, as libpysal's 0-weight self loops)."""
        if "graph" not in self._cache:
            from libpysal.graph import Graph

            self._cache["graph"] = Graph.from_sparse(self.sparse, ids=self.ids)
        return self._cache["graph"]

    def to_dict(self) -> dict:
        out = {
            k: v
            for k, v in ResultMixin.to_dict(self).items()
            if k not in ("sparse", "ids", "_cache")
        }
        out["connected"] = [list(c) for c in self.connected]
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per unit: id and number of neighbours (after the island policy)."""
        return pd.DataFrame({"id": self.ids, "n_neighbours": _nonzero_card(self.sparse)})

    def summary(self) -> str:
        lines = [
            f"Spatial weights: {self.kind} ({self.method}); {self.n} units, "
            f"{self.n_edges} directed links, neighbours per unit min {self.min_neighbours} / "
            f"mean {self.mean_neighbours:.2f} / max {self.max_neighbours}."
        ]
        if self.threshold_m is not None:
            lines.append(f"Distance {self.threshold_m:,.1f} m ({self.threshold_rule}).")
        if self.k is not None:
            lines.append(f"k = {self.k}.")
        if self.islands:
            what = {
                "drop": f"dropped from the analysis: {row_list(self.dropped)}",
                "nearest": "each linked to its nearest unit: "
                + "; ".join(f"{a}->{b} ({d:,.0f} m)" for a, b, d in self.connected[:10])
                + (" …" if len(self.connected) > 10 else ""),
                "raise": "",
            }[self.island_policy]
            lines.append(f"{len(self.islands)} island(s) without neighbours; {what}.")
        else:
            lines.append("No islands: every unit has at least one neighbour.")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# helpers


def _is_graph(obj) -> bool:
    # duck typing, so that checking does not import libpysal
    return hasattr(obj, "unique_ids") and hasattr(obj, "sparse") and hasattr(obj, "adjacency")


def as_graph(weights):
    """The libpysal ``Graph`` of ``weights`` (a :class:`SpatialWeights` or a ``Graph``)."""
    if isinstance(weights, SpatialWeights):
        return weights.graph
    if _is_graph(weights):
        return weights
    _type_error(weights)


def as_sparse(weights) -> tuple[sp.csr_matrix, pd.Index]:
    """``(CSR matrix, ids)`` of a :class:`SpatialWeights` or a libpysal ``Graph``."""
    if isinstance(weights, SpatialWeights):
        return weights.sparse, weights.ids
    if _is_graph(weights):
        return weights.sparse.tocsr(), pd.Index(weights.unique_ids)
    _type_error(weights)


def _type_error(weights):
    raise TypeError(
        "`weights` must be a taobao_geo.weights.SpatialWeights (from build_graph) or a "
        f"libpysal.graph.Graph; got {type(weights).__name__}. Legacy libpysal W objects: "
        "use Graph.from_W(w)."
    )


def _centroids(gdf: gpd.GeoDataFrame | gpd.GeoSeries, *, func: str) -> np.ndarray:
    """(n, 2) coordinates in metres: the points themselves or polygon centroids."""
    ensure_projected(gdf, func=func)
    geoms = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    bad = geoms.index[geoms.isna() | geoms.is_empty].tolist()
    if bad:
        raise GeometryTypeError(
            f"`{func}`: {len(bad)} unit(s) have a missing or empty geometry: {row_list(bad)}."
        )
    pts = geoms if (geoms.geom_type == "Point").all() else geoms.centroid
    return np.column_stack([pts.x.to_numpy(float), pts.y.to_numpy(float)])


def auto_threshold(coords: np.ndarray) -> float:
    """Smallest distance at which every point has at least one neighbour (max 1-NN distance).

    A relative margin of 1e-9 is added so that the farthest nearest-neighbour pair is inside the
    band despite rounding (spdep ``dnearneigh`` and ArcGIS include the boundary).
    """
    if len(coords) < 2:
        raise IslandError("A distance band needs at least two units.")
    d, _ = cKDTree(coords).query(coords, k=2)
    return float(d[:, 1].max()) * (1 + 1e-9)


def _from_coo(rows, cols, vals, ids: pd.Index) -> sp.csr_matrix:
    n = len(ids)
    mat = sp.csr_matrix((np.asarray(vals, float), (rows, cols)), shape=(n, n))
    mat.sum_duplicates()
    mat.eliminate_zeros()
    mat.sort_indices()
    return mat


def _grid_spec(gdf) -> dict | None:
    spec = gdf.attrs.get("grid") if hasattr(gdf, "attrs") else None
    if not spec or spec.get("row") not in gdf.columns or spec.get("col") not in gdf.columns:
        return None
    return spec


def lattice_graph(
    rows: np.ndarray, cols: np.ndarray, *, ids=None, kind: str = "queen", shape: str = "square"
):
    """Contiguity of cells of a regular grid from their integer row/column indices.

    Parameters
    ----------
    rows, cols
        Integer row and column index of every cell (cells may be missing, e.g. clipped out).
    ids
        Unit ids (default ``0..n-1``).
    kind
        ``"queen"`` (8 neighbours in a square grid) or ``"rook"`` (4). Hexagons always have
        6 edge neighbours, so both give the same graph.
    shape
        ``"square"`` or ``"hex"`` (pointy-top hexagons, odd rows shifted right by half a cell,
        as made by :func:`taobao_geo.units.hex_grid`).

    Notes
    -----
    Neighbours are defined on the full cells of the lattice, so two clipped cells at the edge of a
    boundary stay neighbours even if clipping removed the shared corner. Equivalent to
    libpysal ``lat2W`` / ``Graph.build_contiguity`` on the unclipped cells, but O(n) with no
    geometry.
    """
    ids = pd.RangeIndex(len(rows)) if ids is None else pd.Index(ids)
    from libpysal.graph import Graph

    return Graph.from_sparse(_lattice_sparse(rows, cols, kind=kind, shape=shape), ids=ids)


def _lattice_sparse(rows, cols, *, kind: str, shape: str) -> sp.csr_matrix:
    """CSR adjacency of grid cells from their row/column indices (see :func:`lattice_graph`)."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    n = len(rows)
    r0, c0 = rows.min(), cols.min()
    rr, cc = rows - r0, cols - c0
    nr, nc = rr.max() + 1, cc.max() + 1
    lookup = np.full((nr + 2, nc + 2), -1, dtype=np.int64)  # padded: no bounds checks needed
    lookup[rr + 1, cc + 1] = np.arange(n)
    if len(np.unique(rr * nc + cc)) != n:
        raise GeometryTypeError("lattice_graph: two cells share the same (row, col) index.")
    if shape == "square":
        offsets = [(-1, 0), (1, 0), (0, -1), (0, 1)]
        if kind == "queen":
            offsets += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
        per_parity = {0: offsets, 1: offsets}
    elif shape == "hex":
        # odd-r offset coordinates, using the parity of the absolute row index
        per_parity = {
            0: [(0, -1), (0, 1), (-1, -1), (-1, 0), (1, -1), (1, 0)],
            1: [(0, -1), (0, 1), (-1, 0), (-1, 1), (1, 0), (1, 1)],
        }
    else:
        raise ValueError(f"lattice_graph: `shape` must be 'square' or 'hex'; got {shape!r}.")
    focal, neigh = [], []
    src = np.arange(n)
    parity = rows % 2
    for par, offs in per_parity.items():
        sel = parity == par
        for dr, dc in offs:
            j = lookup[rr[sel] + 1 + dr, cc[sel] + 1 + dc]
            ok = j >= 0
            focal.append(src[sel][ok])
            neigh.append(j[ok])
    focal = np.concatenate(focal)
    neigh = np.concatenate(neigh)
    return _from_coo(focal, neigh, np.ones(len(focal)), pd.RangeIndex(n))


def _apply_island_policy(mat: sp.csr_matrix, coords_fn, policy: str, ids: pd.Index, link_weight):
    """Return (matrix, ids, islands, dropped, connected) after applying the island policy."""
    card_nonzero = _nonzero_card(mat)
    islands = tuple(ids[card_nonzero == 0].tolist())
    if not islands:
        return mat, ids, (), (), ()
    if policy == "raise":
        raise IslandError(
            f"{len(islands)} unit(s) have no neighbours under these weights: {row_list(islands)}. "
            "Choose islands='nearest' (link each to its nearest unit), islands='drop' (leave them "
            "out and report them), k-nearest-neighbour weights, or a larger distance threshold."
        )
    if policy == "drop":
        keep = ids[~ids.isin(islands)]
        if len(keep) < 3:
            raise IslandError(
                f"Dropping {len(islands)} island(s) would leave {len(keep)} unit(s); need ≥ 3."
            )
        pos = np.flatnonzero(~ids.isin(islands))
        sub = mat[pos][:, pos].tocoo()
        return _from_coo(sub.row, sub.col, sub.data, keep), keep, islands, islands, ()
    # nearest: link each island to its nearest other unit, both directions (keeps symmetry)
    coords = coords_fn()
    tree = cKDTree(coords)
    pos = np.flatnonzero(ids.isin(islands))
    d, j = tree.query(coords[pos], k=2)
    nearest = np.where(j[:, 0] == pos, j[:, 1], j[:, 0])
    dist = np.where(j[:, 0] == pos, d[:, 1], d[:, 0])
    coo = mat.tocoo()
    w_new = link_weight(dist, coo.data[coo.data != 0])
    rows = np.concatenate([coo.row, pos, nearest])
    cols = np.concatenate([coo.col, nearest, pos])
    vals = np.concatenate([coo.data, w_new, w_new])
    # an island's partner may already link to it (asymmetric knn): keep one weight, not the sum
    mat = sp.csr_matrix((vals, (rows, cols)), shape=(len(ids), len(ids)))
    mat.sum_duplicates()
    dup = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=mat.shape)
    dup.sum_duplicates()
    mat.data = mat.data / dup.data
    connected = tuple(
        (ids[p], ids[q], float(dd)) for p, q, dd in zip(pos, nearest, dist, strict=True)
    )
    return _from_coo(*_coo(mat), ids), ids, islands, (), connected


def _coo(mat):
    c = mat.tocoo()
    return c.row, c.col, c.data


def _nonzero_card(mat: sp.csr_matrix) -> np.ndarray:
    """Neighbours with a non-zero weight per unit, self excluded (libpysal stores isolates as
    0-weight self loops).
    """
    m = (mat - sp.diags(mat.diagonal())).tocsr()
    m.eliminate_zeros()
    return np.diff(m.indptr)


# --------------------------------------------------------------------------------------------
# public builder


def build_graph(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    kind: str = "queen",
    k: int | None = None,
    threshold: float | None = None,
    power: float = 1.0,
    kernel: str = "triangular",
    islands: str = "raise",
    lattice: bool | str = "auto",
) -> SpatialWeights:
    """Build spatial weights for the units (polygons or points) of ``gdf``.

    Parameters
    ----------
    gdf
        Units; the index gives the ids. Polygons for ``queen``/``rook``; points or polygons
        (centroids) for the distance kinds, in a projected CRS in metres.
    kind
        ``"queen"``, ``"rook"``, ``"knn"``, ``"distance"``, ``"idw"`` or ``"kernel"``
        (see the module docstring).
    k
        Neighbours for ``knn`` (default 8, ArcGIS's and GeoDa's usual choice) and the kNN
        distance rule of the kernel bandwidth (default ``ceil(n ** (1/3))``).
    threshold
        Distance band (``distance``, ``idw``) or bandwidth (``kernel``) in metres. ``None``:
        automatic, reported in ``threshold_rule``.
    power
        Exponent of inverse-distance weights ``d ** -power`` (ArcGIS default 1).
    kernel
        Kernel function for ``kind="kernel"``: triangular, bisquare, gaussian, parabolic
        (Epanechnikov), cosine, exponential or boxcar.
    islands
        Policy for units with no neighbour: ``"raise"``, ``"drop"`` or ``"nearest"``.
    lattice
        ``"auto"`` uses the row/column shortcut for grids from :func:`taobao_geo.units.aggregate`;
        ``False`` forces the geometric computation.

    Returns
    -------
    SpatialWeights
        ``.graph`` (libpysal ``Graph``) and the report (threshold, islands, counts).

    Raises
    ------
    CRSError
        Distance-based kinds on data without a projected CRS.
    GeometryTypeError
        Contiguity on non-polygons; missing geometries.
    IslandError
        Units without neighbours and ``islands="raise"``.
    """
    func = "build_graph"
    check_choice(kind, KINDS, name="kind", func=func)
    check_choice(islands, ISLAND_POLICIES, name="islands", func=func)
    ids = _unit_ids(gdf, func=func)
    ensure_min_n(len(ids), 3, what="units", func=func)
    # centroids are computed (and the CRS checked) only for the kinds that need them, once
    coords = functools.cache(lambda: _centroids(gdf, func=func))

    if kind in ("queen", "rook"):
        built = _contiguity(gdf, kind=kind, lattice=lattice, func=func)
    elif kind == "knn":
        built = _knn(coords, ids, k=k, func=func)
    else:
        built = _distance_band(
            coords(),
            ids,
            kind=kind,
            threshold=threshold,
            k=k,
            power=power,
            kernel=kernel,
            func=func,
        )
    graph, ids, isl, dropped, connected = _apply_island_policy(
        built.sparse, coords, islands, ids, functools.partial(_link_weight, kind, built.power)
    )
    card = _nonzero_card(graph)
    return SpatialWeights(
        sparse=graph,
        ids=ids,
        kind=kind,
        method=built.method,
        n=len(ids),
        n_edges=int(card.sum()),
        min_neighbours=int(card.min()),
        mean_neighbours=float(card.mean()),
        max_neighbours=int(card.max()),
        threshold_m=built.threshold,
        threshold_rule=built.threshold_rule,
        k=built.k,
        power=built.power,
        kernel=built.kernel,
        islands=isl,
        island_policy=islands,
        dropped=dropped,
        connected=connected,
        crs=gdf.crs.to_string() if gdf.crs is not None else None,
    )


@dataclass(frozen=True)
class _Built:
    """Weights of one kind before the island policy, with what the report says about them."""

    sparse: sp.csr_matrix
    method: str
    threshold: float | None = None
    threshold_rule: str | None = None
    k: int | None = None
    power: float | None = None
    kernel: str | None = None


def _unit_ids(gdf, *, func: str) -> pd.Index:
    """The unit ids (the index), refusing non-geometric input and duplicated ids."""
    if not isinstance(gdf, (gpd.GeoDataFrame, gpd.GeoSeries)):
        raise GeometryTypeError(
            f"`{func}` takes a GeoDataFrame or GeoSeries; got {type(gdf).__name__}."
        )
    ids = pd.Index(gdf.index)
    if not ids.is_unique:
        dup = ids[ids.duplicated()].unique().tolist()
        raise GeometryTypeError(
            f"`{func}`: the index must identify units uniquely; duplicated ids: {row_list(dup)}. "
            "Try: gdf.reset_index(drop=True)."
        )
    return ids


def _contiguity(gdf, *, kind: str, lattice, func: str) -> _Built:
    """Queen or rook contiguity: the lattice shortcut for grids, else libpysal's geometry test."""
    spec = _grid_spec(gdf) if lattice else None
    if spec is not None:
        graph = _lattice_sparse(
            gdf[spec["row"]].to_numpy(),
            gdf[spec["col"]].to_numpy(),
            kind=kind,
            shape=spec.get("kind", "square"),
        )
        return _Built(
            graph, f"lattice shortcut ({spec.get('kind', 'square')} grid row/col indices)"
        )
    geoms = ensure_polygons(gdf, func=func)
    from libpysal.graph import Graph

    g = Graph.build_contiguity(geoms, rook=(kind == "rook"))
    graph = g.sparse.tocsr()  # in the order of geoms' index (libpysal keeps it)
    graph.eliminate_zeros()
    return _Built(graph, "libpysal Graph.build_contiguity")


def _knn(coords, ids: pd.Index, *, k, func: str) -> _Built:
    """The ``k`` nearest units (default 8); ``coords`` is called only once ``k`` is valid."""
    n = len(ids)
    kk = 8 if k is None else int(k)
    if kk < 1 or kk >= n:
        raise ValueError(f"`{func}`: `k` must be between 1 and n - 1 = {n - 1}; got {kk}.")
    xy = coords()
    d, j = cKDTree(xy).query(xy, k=kk + 1)
    # drop each point itself (the first hit, or wherever a duplicate location put it)
    self_hit = j == np.arange(n)[:, None]
    no_self = ~self_hit.any(axis=1)
    self_hit[no_self, -1] = True  # duplicates: all k+1 hits were other points; drop the farthest
    keep = ~self_hit
    focal = np.repeat(np.arange(n), kk)
    graph = _from_coo(focal, j[keep], np.ones(n * kk), ids)
    return _Built(graph, "k nearest neighbours (scipy cKDTree)", k=kk)


def _band(xy: np.ndarray, *, kind: str, threshold, k, func: str) -> tuple[float, str, int | None]:
    """``(threshold, rule, k)``: the given band, the GeoDa kNN bandwidth (kernel) or the
    smallest band giving every unit a neighbour.
    """
    if threshold is not None:
        threshold = float(threshold)
        if not threshold > 0:
            raise ValueError(f"`{func}`: `threshold` must be > 0 metres; got {threshold}.")
        return threshold, "given by the caller", None
    if kind == "kernel":
        n = len(xy)
        kk = int(math.ceil(n ** (1 / 3))) if k is None else int(k)
        d, _ = cKDTree(xy).query(xy, k=min(kk + 1, n))
        return (
            float(d[:, -1].max()) * (1 + 1e-9),
            f"max distance to the {kk}-th nearest neighbour (GeoDa rule)",
            kk,
        )
    return (
        auto_threshold(xy),
        "automatic: smallest band giving every unit a neighbour (ArcGIS default)",
        None,
    )


def _distance_band(
    xy: np.ndarray, ids: pd.Index, *, kind: str, threshold, k, power, kernel, func: str
) -> _Built:
    """Binary, inverse-distance or kernel weights of the pairs within the band."""
    threshold, rule, kk = _band(xy, kind=kind, threshold=threshold, k=k, func=func)
    pairs = cKDTree(xy).query_pairs(threshold, output_type="ndarray")
    i = np.concatenate([pairs[:, 0], pairs[:, 1]])
    j = np.concatenate([pairs[:, 1], pairs[:, 0]])
    dist = np.hypot(*(xy[i] - xy[j]).T)
    pw = kern = None
    if kind == "distance":
        w = np.ones(len(i))
        method = "binary distance band (scipy cKDTree)"
    elif kind == "idw":
        pw = float(power)
        if (dist == 0).any():
            raise GeometryTypeError(
                f"`{func}`: inverse-distance weights are undefined for units at the same "
                "location; merge duplicates or use kind='distance'."
            )
        w = dist ** (-pw)
        method = f"inverse distance d^-{pw:g} within the band"
    else:
        kern = check_choice(kernel, KERNELS, name="kernel", func=func)
        w = _kernel_values(kern, dist / threshold)
        method = f"{kern} kernel, fixed bandwidth, self weight excluded"
    keep = w > 0
    graph = _from_coo(i[keep], j[keep], w[keep], ids)
    return _Built(
        graph, method, threshold=threshold, threshold_rule=rule, k=kk, power=pw, kernel=kern
    )


def _link_weight(kind: str, power, dist: np.ndarray, existing: np.ndarray) -> np.ndarray:
    """Weight of a link added by islands="nearest": what the kind would give at that distance,
    except that a kernel is zero beyond its bandwidth, so the smallest kernel weight is used.
    """
    if kind == "idw":
        return dist ** (-power)
    if kind == "kernel":
        return np.full(len(dist), existing.min() if len(existing) else 1.0)
    return np.ones(len(dist))


def _kernel_values(kernel: str, u: np.ndarray) -> np.ndarray:
    """Kernel of the scaled distance ``u = d / bandwidth`` (0 outside the band)."""
    inside = u < 1
    if kernel == "triangular":
        w = 1 - u
    elif kernel == "bisquare":
        w = (15 / 16) * (1 - u**2) ** 2
    elif kernel == "parabolic":
        w = 0.75 * (1 - u**2)
    elif kernel == "cosine":
        w = (np.pi / 4) * np.cos(np.pi / 2 * u)
    elif kernel == "gaussian":
        w = np.exp(-0.5 * u**2) / np.sqrt(2 * np.pi)
    elif kernel == "exponential":
        w = np.exp(-u)
    else:  # boxcar
        w = np.ones_like(u)
    return np.where(inside, w, 0.0)
