"""Aggregation of village points to areal units: admin polygons, a square fishnet or hexagons.

Spatial autocorrelation of Taobao villages is measured on counts per unit (county, town, grid
cell), as in the literature and ArcGIS's Optimized Hot Spot Analysis. :func:`aggregate` returns
one row per unit with

* ``count`` -- number of points in the unit;
* ``weighted_count`` -- sum of a weight column (only if ``weights`` is given);
* ``area_km2`` -- unit area in km² (of the clipped cell for grids clipped to a boundary);
* ``density_km2`` -- ``count / area_km2`` (and ``weighted_density_km2``).

Units with no points are kept with ``count = 0``: they are data (places without a Taobao
village), not missing values, and dropping them biases every statistic upwards.

Grids carry their integer ``grid_row`` / ``grid_col`` and ``gdf.attrs["grid"]`` so that
:func:`taobao_geo.weights.build_graph` can build contiguity from the indices (the lattice
shortcut). ``gdf.attrs["aggregation"]`` records what was done (points in, points outside every
unit, cell size and how it was chosen).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from ._errors import (
    GridTooLargeError,
    InputDataError,
    NotApplicableError,
    OptionError,
)
from ._validate import (
    check_choice,
    ensure_numeric,
    ensure_points,
    ensure_polygons,
    ensure_projected,
    point_coords,
)
from .windows import boundary_geometry

__all__ = ["aggregate", "fishnet", "hex_grid", "MAX_CELLS"]

MAX_CELLS = 5_000_000


def _nice(x: float) -> float:
    """Round to 1 or 2 significant digits (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9 × 10^k)."""
    e = math.floor(math.log10(x))
    m = x / 10**e
    steps = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9, 10]
    best = min(steps, key=lambda s: abs(s - m))
    return best * 10**e


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """The polygonal part of each geometry: lines and points left by clipping have no area.

    ``intersection`` of a cell with a boundary it only touches along an edge or at a corner
    is a LineString / Point (or a GeometryCollection mixing them with a polygon); such a
    remainder is not part of the study area and must not become a zero-count unit.
    """
    out = geoms.copy()
    for i in np.flatnonzero(shapely.get_type_id(geoms) == 7):  # GeometryCollection
        parts = shapely.get_parts(geoms[i])
        polys = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        out[i] = shapely.union_all(polys) if len(polys) else shapely.Polygon()
    return out


def _keep_inside(grid, union, *, clip: bool, min_inside_share: float):
    """Cells kept for a boundary: positive area inside it and at least ``min_inside_share``.

    Returns the kept positions, their (clipped or whole) geometries and the number of cells
    that overlap the boundary but were left out because too little of them lies inside.
    """
    shapely.prepare(union)
    cand = np.flatnonzero(shapely.intersects(union, grid.geometry.to_numpy()))
    whole = grid.geometry.to_numpy()[cand]
    inter = _polygonal(shapely.intersection(whole, union))
    share = shapely.area(inter) / shapely.area(whole)
    ok = share > 0
    n_low = int((ok & (share < min_inside_share)).sum())
    ok &= share >= min_inside_share
    return cand[ok], (inter if clip else whole)[ok], n_low


def _extent(xy: np.ndarray, union) -> tuple[float, float, float, float]:
    if union is not None:
        return tuple(float(v) for v in union.bounds)
    return (
        float(xy[:, 0].min()),
        float(xy[:, 1].min()),
        float(xy[:, 0].max()),
        float(xy[:, 1].max()),
    )


def _default_size(extent, union, shape: str) -> tuple[float, str]:
    area = union.area if union is not None else (extent[2] - extent[0]) * (extent[3] - extent[1])
    if not area > 0:
        raise NotApplicableError(
            "Cannot build grid cells: the study area has zero area (all points identical or on "
            "one line). Pass `boundary=` polygons or use polygon units."
        )
    size = _nice(math.sqrt(area / 1000))
    return size, f"automatic: about 1,000 {shape} cells over the study area ({size:g} m)"


def fishnet(extent, size_m: float, *, crs=None) -> gpd.GeoDataFrame:
    """Square cells of ``size_m`` metres covering ``extent = (minx, miny, maxx, maxy)``.

    Rows count upwards from ``miny``, columns rightwards from ``minx``; cell ``(r, c)`` is
    ``[minx + c·s, minx + (c+1)·s] × [miny + r·s, miny + (r+1)·s]``.
    """
    minx, miny, maxx, maxy = extent
    # floor + 1 (not ceil): a point exactly on the max edge still falls inside the last cell
    ncol = int(math.floor((maxx - minx) / size_m)) + 1
    nrow = int(math.floor((maxy - miny) / size_m)) + 1
    if nrow * ncol > MAX_CELLS:
        raise GridTooLargeError(
            f"A fishnet of {size_m:g} m over this extent has {nrow * ncol:,} cells "
            f"(> {MAX_CELLS:,}). Use a larger size_m."
        )
    r, c = np.divmod(np.arange(nrow * ncol), ncol)
    # edges from integer multiples of the size, so neighbours share bit-identical edges
    xs = minx + np.arange(ncol + 1) * size_m
    ys = miny + np.arange(nrow + 1) * size_m
    geoms = shapely.box(xs[c], ys[r], xs[c + 1], ys[r + 1])
    gdf = gpd.GeoDataFrame({"grid_row": r, "grid_col": c}, geometry=geoms, crs=crs)
    gdf.attrs["grid"] = {
        "kind": "square",
        "row": "grid_row",
        "col": "grid_col",
        "size_m": size_m,
        "origin": (minx, miny),
    }
    return gdf


def _hex_params(size_m: float):
    a = size_m / math.sqrt(3)  # side length = circumradius
    return a, 1.5 * a  # side, row spacing


def hex_grid(extent, size_m: float, *, crs=None) -> gpd.GeoDataFrame:
    """Pointy-top hexagons covering ``extent``; ``size_m`` is the flat-to-flat width.

    Centres: ``x = minx + (c + (r mod 2)/2)·size``, ``y = miny + r·1.5·a`` with side
    ``a = size/√3``; odd rows are shifted right by half a cell (odd-r offset coordinates, the
    layout :func:`taobao_geo.weights.lattice_graph` expects). Cell area ``(√3/2)·size²``.
    """
    minx, miny, maxx, maxy = extent
    a, dy = _hex_params(size_m)
    ncol = max(1, math.ceil((maxx - minx) / size_m) + 1)
    nrow = max(1, math.ceil((maxy - miny) / dy) + 1)
    if nrow * ncol > MAX_CELLS:
        raise GridTooLargeError(
            f"A hexagon grid of {size_m:g} m over this extent has {nrow * ncol:,} cells "
            f"(> {MAX_CELLS:,}). Use a larger size_m."
        )
    r, c = np.divmod(np.arange(nrow * ncol), ncol)
    # vertices as integer multiples of size/2 and a/2 from the origin, so that neighbouring
    # hexagons share bit-identical vertices (exact contiguity)
    half_w = size_m / 2
    half_a = a / 2
    dx = np.array([0, 1, 1, 0, -1, -1])
    dyk = np.array([2, 1, -1, -2, -1, 1])
    cx2 = 2 * c + (r % 2)  # centre x in units of size/2
    cy2 = 3 * r  # centre y in units of a/2
    xs = minx + (cx2[:, None] + dx[None, :]) * half_w
    ys = miny + (cy2[:, None] + dyk[None, :]) * half_a
    ring = np.stack([xs, ys], axis=-1)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    geoms = shapely.polygons(ring)
    gdf = gpd.GeoDataFrame({"grid_row": r, "grid_col": c}, geometry=geoms, crs=crs)
    gdf.attrs["grid"] = {
        "kind": "hex",
        "row": "grid_row",
        "col": "grid_col",
        "size_m": size_m,
        "origin": (minx, miny),
    }
    return gdf


def _assign_square(xy, spec):
    minx, miny = spec["origin"]
    s = spec["size_m"]
    c = np.floor((xy[:, 0] - minx) / s).astype(np.int64)
    r = np.floor((xy[:, 1] - miny) / s).astype(np.int64)
    return r, c


def _assign_hex(xy, spec):
    minx, miny = spec["origin"]
    s = spec["size_m"]
    a, dy = _hex_params(s)
    r0 = np.round((xy[:, 1] - miny) / dy).astype(np.int64)
    best_d = np.full(len(xy), np.inf)
    best_r = np.zeros(len(xy), np.int64)
    best_c = np.zeros(len(xy), np.int64)
    # the containing hexagon is the one with the nearest centre (hexagons are Voronoi cells)
    for dr in (-1, 0, 1):
        rr = r0 + dr
        cc = np.round((xy[:, 0] - minx) / s - (rr % 2) / 2).astype(np.int64)
        cxx = minx + (cc + (rr % 2) / 2) * s
        cyy = miny + rr * dy
        d = (xy[:, 0] - cxx) ** 2 + (xy[:, 1] - cyy) ** 2
        better = d < best_d
        best_d[better], best_r[better], best_c[better] = d[better], rr[better], cc[better]
    return best_r, best_c


def aggregate(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    units: gpd.GeoDataFrame | gpd.GeoSeries | str = "fishnet",
    *,
    size_m: float | None = None,
    boundary=None,
    weights: str | None = None,
    clip: bool = True,
    min_inside_share: float = 0.0,
) -> gpd.GeoDataFrame:
    """Count points per areal unit; units without points are kept with a zero count.

    Parameters
    ----------
    points
        Village points in a projected CRS (metres); see :func:`taobao_geo.projection.to_projected`.
    units
        A polygon layer (e.g. the shipped ``china_counties``; reprojected to the points' CRS if
        needed, index kept), ``"fishnet"`` (square cells) or ``"hex"`` (hexagons).
    size_m
        Grid cell size in metres: the side of a square, the flat-to-flat width of a hexagon.
        ``None``: about 1,000 cells over the boundary (or the points' extent), rounded to a nice
        number; the choice is recorded in ``attrs["aggregation"]["size_rule"]``.
    boundary
        Study-area polygons: a GeoDataFrame/GeoSeries with a CRS (reprojected to the points'
        CRS if needed) or a shapely (Multi)Polygon in the points' CRS. Grid cells without area
        inside it are left out (also cells that only touch it along an edge or at a corner);
        with ``clip=True`` the kept cells are clipped to it (areas and
        densities then refer to the part inside). For a polygon layer, only units intersecting
        the boundary are kept.
    weights
        Name of a numeric column of ``points`` summed per unit into ``weighted_count`` (e.g.
        number of shops). ArcGIS calls this the population or weight field.
    clip
        Clip grid cells to the boundary (default) or keep whole cells.
    min_inside_share
        Grid cells with less than this share of their area inside the boundary are left out
        (0 keeps every cell with some area inside). Edge cells mostly outside the study area
        have low counts only because most of their area lies outside: they make random data
        look clustered. :func:`taobao_geo.pipeline.analyze` uses 0.5. The number of cells left
        out is ``attrs["aggregation"]["n_units_dropped_outside"]``, the points in them
        ``n_points_in_dropped_units`` (they are not counted).

    Returns
    -------
    GeoDataFrame
        One row per unit (polygon layer: same index and columns plus the new ones; grids:
        ``grid_row``, ``grid_col``) with ``count``, ``area_km2``, ``density_km2`` (and the
        weighted columns), in the points' CRS.

    Raises
    ------
    CRSError
        Points without a projected CRS (areas and cell sizes are in metres); a boundary
        without a CRS.
    GeometryTypeError
        Non-point input, non-polygon units or boundary.
    InputDataError
        ``weights`` missing or non-numeric.
    NotApplicableError
        A grid over a study area of zero area (identical or collinear points, no boundary);
        a boundary of zero area (:class:`~taobao_geo._errors.ZeroAreaError`). The boundary is
        checked by :func:`taobao_geo.windows.boundary_geometry`.

    Examples
    --------
    >>> from taobao_geo import datasets
    >>> from taobao_geo.projection import to_projected
    >>> pts = to_projected(datasets.load("caoxian_villages_simulated"))
    >>> cells = aggregate(pts, "fishnet", size_m=3000, boundary=datasets.load("caoxian_boundary"))
    >>> len(cells), int(cells["count"].sum()), int((cells["count"] == 0).sum())
    (267, 48, 248)
    """
    func = "aggregate"
    geoms = ensure_points(points, func=func)
    crs = ensure_projected(geoms, func=func)
    xy = point_coords(geoms)
    wvals = None
    if weights is not None:
        if not isinstance(points, gpd.GeoDataFrame):
            raise InputDataError(f"`{func}`: `weights` needs a GeoDataFrame with that column.")
        wvals = ensure_numeric(points, weights, func=func)
    union = None if boundary is None else boundary_geometry(boundary, crs, func=func)
    report: dict = {"n_points": len(xy), "crs": crs.to_string(), "weights": weights}
    if isinstance(units, str):
        shape = check_choice(units, ("fishnet", "hex"), name="units", func=func)
        out, assigned = _grid_units(
            xy,
            shape,
            union,
            crs,
            size_m=size_m,
            clip=clip,
            min_inside_share=min_inside_share,
            report=report,
            func=func,
        )
    else:
        out, assigned = _polygon_units(units, xy, union, crs, report=report, func=func)
    _add_counts(out, assigned, wvals)
    counts = out["count"].to_numpy()
    outside = np.flatnonzero(assigned < 0)
    report.update(
        n_units=len(out),
        n_empty_units=int((counts == 0).sum()),
        n_points_counted=int(len(xy) - len(outside)),
        n_points_outside=int(len(outside)),
        points_outside=geoms.index[outside].tolist()[:100],
    )
    out.attrs["aggregation"] = report
    return out


def _grid_size(size_m, extent, union, shape: str, *, func: str) -> tuple[float, str]:
    """The cell size (m) and how it was chosen."""
    if size_m is None:
        return _default_size(extent, union, "square" if shape == "fishnet" else "hexagon")
    size_m = float(size_m)
    if not size_m > 0:
        raise ValueError(f"`{func}`: `size_m` must be > 0 metres; got {size_m}.")
    return size_m, "given by the caller"


def _grid_units(
    xy,
    shape: str,
    union,
    crs,
    *,
    size_m,
    clip: bool,
    min_inside_share: float,
    report: dict,
    func: str,
):
    """Grid cells over the boundary (or the points) and the cell of each point (-1: none)."""
    extent = _extent(xy, union)
    size_m, rule = _grid_size(size_m, extent, union, shape, func=func)
    if not 0.0 <= float(min_inside_share) <= 1.0:
        raise OptionError(
            f"`{func}`: `min_inside_share` must be between 0 and 1; got {min_inside_share!r}."
        )
    if union is None and not (extent[2] - extent[0]) * (extent[3] - extent[1]) > 0:
        raise NotApplicableError(
            f"`{func}`: the {len(xy)} point(s) span a zero-area extent (identical or on one "
            "line), so a grid has no study area to cover. Pass `boundary=` polygons."
        )
    build = fishnet if shape == "fishnet" else hex_grid
    grid = build(extent, size_m, crs=crs)
    spec = dict(grid.attrs["grid"])
    nrow, ncol = int(grid["grid_row"].max()) + 1, int(grid["grid_col"].max()) + 1
    if shape == "fishnet":
        r, c = _assign_square(xy, spec)
    else:
        r, c = _assign_hex(xy, spec)
    inside = (r >= 0) & (r < nrow) & (c >= 0) & (c < ncol)
    cell = np.where(inside, r * ncol + c, -1)
    n_low = 0
    if union is not None:
        grid, cell, n_low = _cells_in_boundary(
            grid, cell, xy, union, clip=clip, min_inside_share=min_inside_share, report=report
        )
    grid.attrs["grid"] = spec
    report.update(
        units=shape,
        size_m=size_m,
        size_rule=rule,
        clip=bool(clip and union is not None),
        min_inside_share=float(min_inside_share),
        n_units_dropped_outside=n_low,
    )
    return grid, cell


def _cells_in_boundary(grid, cell, xy, union, *, clip: bool, min_inside_share: float, report: dict):
    """Keep (and clip) the cells inside the boundary; renumber the points' cells."""
    kept_pos, kept_geoms, n_low = _keep_inside(
        grid, union, clip=clip, min_inside_share=min_inside_share
    )
    remap = np.full(len(grid), -1, np.int64)
    remap[kept_pos] = np.arange(len(kept_pos))
    in_dropped = (cell >= 0) & (remap[np.clip(cell, 0, None)] < 0)
    cell = np.where(cell >= 0, remap[np.clip(cell, 0, None)], -1)
    grid = grid.iloc[kept_pos].reset_index(drop=True)
    grid["geometry"] = kept_geoms
    if clip:
        # points outside the boundary are not counted, even inside a kept cell
        out_pts = ~shapely.contains_xy(union, xy[:, 0], xy[:, 1])
        on_edge = out_pts & shapely.intersects_xy(union, xy[:, 0], xy[:, 1])
        cell = np.where(out_pts & ~on_edge, -1, cell)
    report["n_points_in_dropped_units"] = int(in_dropped.sum())
    return grid, cell, n_low


def _polygon_units(units, xy, union, crs, *, report: dict, func: str):
    """A polygon layer in the points' CRS (within the boundary) and the unit of each point."""
    upolys = ensure_polygons(units, func=func)
    out = units.copy() if isinstance(units, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=upolys)
    if out.crs is None:
        raise InputDataError(f"`{func}`: the unit polygons have no CRS; set it first.")
    if not CRS.from_user_input(out.crs).equals(crs):
        out = out.to_crs(crs)
        report["units_reprojected"] = True
    if union is not None:
        shapely.prepare(union)
        out = out[shapely.intersects(union, out.geometry.to_numpy())]
    out.attrs.pop("grid", None)
    tree = shapely.STRtree(out.geometry.to_numpy())
    pt_idx, poly_idx = tree.query(shapely.points(xy), predicate="intersects")
    # a point on a shared border belongs to the first unit only (counted once)
    first = np.unique(pt_idx, return_index=True)[1]
    assigned = np.full(len(xy), -1, np.int64)
    assigned[pt_idx[first]] = poly_idx[first]
    report.update(units="polygons", size_m=None, size_rule=None, clip=False)
    return out, assigned


def _add_counts(out: gpd.GeoDataFrame, assigned: np.ndarray, wvals) -> None:
    """``count``, ``area_km2``, ``density_km2`` (and the weighted ones) per unit, in place."""
    n_units = len(out)
    ok = assigned >= 0
    counts = np.bincount(assigned[ok], minlength=n_units)
    out["count"] = counts.astype(np.int64)
    if wvals is not None:
        out["weighted_count"] = np.bincount(assigned[ok], weights=wvals[ok], minlength=n_units)
    area = out.geometry.area.to_numpy() / 1e6
    out["area_km2"] = area
    with np.errstate(divide="ignore", invalid="ignore"):
        out["density_km2"] = np.where(area > 0, counts / area, np.nan)
        if wvals is not None:
            out["weighted_density_km2"] = np.where(area > 0, out["weighted_count"] / area, np.nan)
