"""Study areas (observation windows) and complete spatial randomness inside them.

Shared by :mod:`taobao_geo.nni` and :mod:`taobao_geo.ripley`. The study area is the single
biggest source of disagreement between tools (METHODS §1.9): for the same 62 redwood seedlings
the Clark-Evans R is 0.619 in spatstat's window, 0.696 in the QGIS/pointpats bounding box and
0.784 in the convex hull. So the area is always chosen explicitly and reported.

Methods (``area=``):

``"boundary"``
    The union of the polygons passed as ``boundary`` (a county, a province, China). The
    default whenever a boundary is given; this is spatstat's "window". Holes and several
    parts (MultiPolygon) are kept.
``"mbr"``
    The minimum-area enclosing rectangle of the points, which may be rotated (``shapely``'s
    ``minimum_rotated_rectangle``); the default without a boundary. This is what ArcGIS
    *Average Nearest Neighbor* uses when no area is given: ESRI's tool script
    (``NearestNeighbor.py``, ArcGIS 10.1) builds it with ``minBoundGeomPoints(...,
    geomType="RECTANGLE_BY_AREA")``, i.e. the rotated minimum-area rectangle of *Minimum
    Bounding Geometry*, not the axis-aligned extent. For the axis-aligned one use ``"bbox"``.
    The two agree when the pattern's long axis runs north-south or east-west; otherwise
    ``"mbr"`` is smaller and R is lower.
``"bbox"``
    The axis-aligned bounding box (QGIS *Nearest neighbour analysis*, pointpats
    ``PointPattern`` without a window).
``"hull"``
    The convex hull of the points (pointpats ``lambda_hull``).
a number
    An explicit area in m² (ArcGIS's ``Area`` parameter). There is no geometry, so only the
    analytic z-test is available (no Monte Carlo test, no edge correction).

All geometry is in the points' projected CRS, in metres.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from ._errors import (
    CRSError,
    DegenerateDataError,
    GeometryTypeError,
    InputDataError,
    OptionError,
    TooFewPointsError,
    ZeroAreaError,
)
from ._results import ResultMixin
from ._validate import (
    check_choice,
    ensure_points,
    ensure_projected,
    ensure_rng,
    point_coords,
    row_list,
)

__all__ = [
    "AREA_METHODS",
    "DUPLICATE_POLICIES",
    "PreparedPattern",
    "StudyArea",
    "boundary_distance",
    "boundary_geometry",
    "check_overlap",
    "prepare_pattern",
    "simulate_csr",
    "study_area",
    "window_from_geometry",
]

AREA_METHODS = ("boundary", "mbr", "bbox", "hull")

# Relative tolerance used to decide that a polygon is an (possibly rotated) rectangle.
_RECT_RTOL = 1e-9


@dataclass(frozen=True)
class StudyArea(ResultMixin):
    """The study area (window) of a point pattern.

    Attributes
    ----------
    geometry
        Polygon or MultiPolygon in the data CRS (metres), or ``None`` for an explicit area.
    area_m2
        Area in square metres used for the intensity ``n / area_m2``.
    method
        ``"boundary"``, ``"mbr"``, ``"bbox"``, ``"hull"`` or ``"explicit"``.
    description
        One line saying what the area is and where it came from.
    crs
        The CRS of ``geometry`` as a string (``None`` when unknown).
    """

    geometry: BaseGeometry | None
    area_m2: float
    method: str
    description: str
    crs: str | None = None

    @property
    def area_km2(self) -> float:
        """Area in km²."""
        return self.area_m2 / 1e6

    @property
    def perimeter_m(self) -> float:
        """Length of the window's boundary in metres (NaN for an explicit area)."""
        return float(self.geometry.length) if self.geometry is not None else math.nan

    @functools.cached_property
    def is_rectangle(self) -> bool:
        """True for one rectangle (axis-aligned or rotated): Donnelly's correction holds."""
        g = self.geometry
        if not isinstance(g, Polygon) or len(g.interiors) or g.is_empty:
            return False
        mrr = shapely.minimum_rotated_rectangle(g)
        return abs(mrr.area - g.area) <= _RECT_RTOL * g.area

    @functools.cached_property
    def is_axis_rectangle(self) -> bool:
        """True for an axis-aligned rectangle (enables closed-form edge corrections)."""
        g = self.geometry
        if g is None or not isinstance(g, Polygon) or len(g.interiors):
            return False
        return abs(shapely.envelope(g).area - g.area) <= _RECT_RTOL * g.area

    @functools.cached_property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(minx, miny, maxx, maxy)`` of the window geometry."""
        return tuple(float(v) for v in self.geometry.bounds)

    @functools.cached_property
    def edges(self) -> np.ndarray:
        """(m, 4) array ``x0, y0, x1, y1`` of every ring edge; exteriors counter-clockwise,
        holes clockwise (so the window lies to the left of each edge).
        """
        return _edges(self.geometry)

    @functools.cached_property
    def _boundary(self) -> BaseGeometry:
        b = self.geometry.boundary
        shapely.prepare(b)
        return b

    @functools.cached_property
    def _prepared(self) -> BaseGeometry:
        shapely.prepare(self.geometry)  # prepared geometry: fast point-in-polygon tests
        return self.geometry

    @functools.cached_property
    def _triangles(self) -> tuple[np.ndarray, np.ndarray]:
        """Triangulation of the window: vertex array (t, 3, 2) and cumulative area weights."""
        tris = shapely.get_parts(shapely.constrained_delaunay_triangles(self.geometry))
        tris = tris[shapely.area(tris) > 0]
        rings = shapely.get_exterior_ring(tris)
        coords = shapely.get_coordinates(rings).reshape(len(tris), 4, 2)[:, :3]
        areas = shapely.area(tris)
        cum = np.cumsum(areas)
        return coords, cum / cum[-1]

    def require_geometry(self, what: str) -> None:
        """Raise :class:`InputDataError` when there is no geometry (an explicit area)."""
        if self.geometry is None:
            raise InputDataError(
                f"{what} needs a window geometry, but the study area is an explicit number "
                f"({self.area_m2:.6g} m²). Pass `boundary=` polygons or area='mbr'/'bbox'/'hull'."
            )

    def to_frame(self) -> pd.DataFrame:
        """One row: method, area, perimeter, description, CRS."""
        return pd.DataFrame(
            [
                {
                    "area_method": self.method,
                    "area_m2": self.area_m2,
                    "area_km2": self.area_km2,
                    "perimeter_m": self.perimeter_m,
                    "description": self.description,
                    "crs": self.crs,
                }
            ]
        )

    def summary(self) -> str:
        """One line: the area and how it was chosen."""
        return f"Study area: {self.area_km2:,.3f} km² ({self.method}: {self.description})"

    def to_geoseries(self) -> gpd.GeoSeries:
        """The window as a one-row GeoSeries in its CRS."""
        self.require_geometry("to_geoseries()")
        return gpd.GeoSeries([self.geometry], crs=self.crs)


def _edges(geom: BaseGeometry) -> np.ndarray:
    geom = shapely.orient_polygons(geom, exterior_cw=False)
    rows = []
    for poly in shapely.get_parts(geom):
        for ring in [poly.exterior, *poly.interiors]:
            c = np.asarray(ring.coords)
            rows.append(np.column_stack([c[:-1], c[1:]]))
    return np.vstack(rows) if rows else np.empty((0, 4))


_POLYGONAL = ("Polygon", "MultiPolygon")


def boundary_geometry(boundary: Any, crs, *, func: str) -> BaseGeometry:
    """The study window of a boundary: one valid (Multi)Polygon in ``crs``.

    The one converter from a user's boundary to a window, shared by :func:`study_area` (NNI,
    Ripley), :func:`taobao_geo.density.kde` and :func:`taobao_geo.units.aggregate`, so that
    the same bad boundary gets the same error everywhere.

    Parameters
    ----------
    boundary
        A GeoDataFrame/GeoSeries of polygons with a CRS (reprojected to ``crs`` if it differs),
        or a shapely Polygon/MultiPolygon, which is assumed to be in ``crs`` already.
    crs
        The points' CRS; ``None`` keeps the boundary's own CRS.
    func
        Name of the calling function, for messages.

    Returns
    -------
    shapely.Polygon or shapely.MultiPolygon
        The rows dissolved, repaired (``make_valid``) and without zero-area parts.

    Raises
    ------
    CRSError
        A GeoDataFrame/GeoSeries without a CRS.
    GeometryTypeError
        Not a GeoDataFrame/GeoSeries/shapely geometry, no rows, or rows that are not non-empty
        Polygon/MultiPolygon geometries.
    ZeroAreaError
        Polygons whose area is zero (degenerate rings).
    """
    if isinstance(boundary, BaseGeometry):
        kind = "empty geometry" if boundary.is_empty else boundary.geom_type
        _check_polygonal_types(np.array([kind], dtype=object), None, func=func)
        geom = boundary  # a shapely geometry carries no CRS: taken to be in the points' CRS
    elif isinstance(boundary, (gpd.GeoDataFrame, gpd.GeoSeries)):
        geom = _dissolve(_boundary_series(boundary, crs, func=func).to_numpy())
    else:
        raise GeometryTypeError(
            f"`{func}`: `boundary` must be a GeoDataFrame, GeoSeries or shapely "
            f"Polygon/MultiPolygon; got {type(boundary).__name__}."
        )
    return _polygon_parts(geom, func=func)


def _boundary_series(boundary, crs, *, func: str) -> gpd.GeoSeries:
    """The boundary's geometry column, checked and in ``crs``."""
    gs = boundary.geometry if isinstance(boundary, gpd.GeoDataFrame) else boundary
    if len(gs) == 0:
        raise GeometryTypeError(
            f"`{func}`: the study-area window is empty: `boundary` has no rows. Pass the "
            "polygons of the study region (a county, a province)."
        )
    types = gs.geom_type.to_numpy(dtype=object)
    types[(gs.isna() | gs.is_empty).to_numpy()] = "empty geometry"
    _check_polygonal_types(types, gs.index, func=func)
    if gs.crs is None:
        raise CRSError(
            f"`{func}`: the boundary has no CRS; set it (e.g. boundary.set_crs('EPSG:4326') "
            "for longitude/latitude) so that it can be matched with the points."
        )
    if crs is not None and not gs.crs.equals(CRS.from_user_input(crs)):
        gs = gs.to_crs(crs)
    return gs


def _check_polygonal_types(types: np.ndarray, index, *, func: str) -> None:
    """Refuse anything but non-empty Polygon/MultiPolygon (``index``: row labels, or None)."""
    bad = np.flatnonzero(~np.isin(types, _POLYGONAL))
    if len(bad) == 0:
        return
    kinds = ", ".join(sorted(set(types[bad])))
    where = "" if index is None else f" in {len(bad)} row(s): {row_list(index[bad])}"
    raise GeometryTypeError(
        f"`{func}`: the boundary must be non-empty Polygon or MultiPolygon geometries; got "
        f"{kinds}{where}. A study-area window is an area: pass the Polygon/MultiPolygon "
        "layer of the study region."
    )


def _dissolve(geoms: np.ndarray) -> BaseGeometry:
    """Union of repaired polygons; county layers are coverages, whose union is ~10x faster."""
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
    if len(geoms) == 1:
        return geoms[0]
    if not bad.any():
        try:
            merged = shapely.coverage_union_all(geoms)
            if merged.is_valid and math.isclose(
                merged.area, float(shapely.area(geoms).sum()), rel_tol=1e-6
            ):
                return merged
        except shapely.errors.GEOSException:  # pragma: no cover - overlapping input
            pass
    return shapely.union_all(geoms)


def _polygon_parts(geom: BaseGeometry, *, func: str) -> BaseGeometry:
    """The valid polygons of positive area in ``geom`` (one Polygon or a MultiPolygon)."""
    geom = shapely.make_valid(geom) if not geom.is_valid else geom
    polys = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
    if not polys:
        raise ZeroAreaError(
            f"`{func}`: the boundary polygons have zero area (degenerate rings), so they "
            "cannot be a study-area window. Pass the polygons of the study region."
        )
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def _reprojection_note(boundary: Any, crs) -> str:
    """`` (reprojected from ...)`` when :func:`boundary_geometry` reprojected the boundary."""
    src = getattr(boundary, "crs", None)
    if src is None or crs is None or src.equals(CRS.from_user_input(crs)):
        return ""
    return f" (reprojected from {src.to_string()})"


def check_overlap(window: BaseGeometry | None, xy: np.ndarray, *, func: str) -> None:
    """Refuse a boundary that misses every point: it is almost always in another CRS."""
    if window is None:
        return
    pts_box = (*xy.min(axis=0), *xy.max(axis=0))
    if not shapely.intersects(window, shapely.box(*pts_box)):
        raise CRSError(
            f"`{func}`: the boundary (bounds {tuple(round(v) for v in window.bounds)}) does not "
            f"overlap the points (bounds {tuple(round(float(v)) for v in pts_box)}); is it in "
            "the points' CRS? A shapely polygon is taken to be in the points' CRS; pass a "
            "GeoDataFrame with its CRS set to have it reprojected."
        )


def window_from_geometry(
    geometry: BaseGeometry, *, crs=None, method: str = "boundary", description: str = "user polygon"
) -> StudyArea:
    """Wrap a shapely (Multi)Polygon (in metres) as a :class:`StudyArea`."""
    geom = boundary_geometry(geometry, None, func="window_from_geometry")
    return StudyArea(geom, float(geom.area), method, description, None if crs is None else str(crs))


def study_area(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    area: str | float | None = None,
    boundary: Any = None,
    check_inside: bool = True,
    func: str = "study_area",
) -> StudyArea:
    """Choose the study area of a point pattern and say which one was used.

    Parameters
    ----------
    points
        Points in a projected CRS (metres).
    area
        ``"boundary"`` (default when ``boundary`` is given), ``"mbr"`` (rotated minimum-area
        rectangle, default otherwise; ArcGIS), ``"bbox"`` (QGIS), ``"hull"``, or an explicit
        area in m². See the module docstring.
    boundary
        Polygons of the study region (GeoDataFrame/GeoSeries with a CRS, or a shapely
        geometry already in the points' CRS). Reprojected to the points' CRS if needed.
    check_inside
        Refuse points outside the boundary (the default; they would bias every statistic).

    Returns
    -------
    StudyArea

    Raises
    ------
    CRSError
        Points not in a projected CRS; a boundary without a CRS.
    GeometryTypeError
        A boundary that is not polygons or has no rows; a window that does not contain the
        points.
    ZeroAreaError
        A zero-area boundary or extent (also a GeometryTypeError).
    """
    crs = ensure_projected(points, func=func)
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    xy = np.column_stack([geoms.x.to_numpy(float), geoms.y.to_numpy(float)])
    crs_s = crs.to_string()
    if area is None:
        area = "boundary" if boundary is not None else "mbr"
    if isinstance(area, (int, float, np.floating, np.integer)) and not isinstance(area, bool):
        a = float(area)
        if not (a > 0 and math.isfinite(a)):
            raise OptionError(
                f"`{func}`: `area` must be a positive number of m²; got {area!r}. "
                "Give the study area in m² (--area-km2 in km²) or a boundary."
            )
        return StudyArea(None, a, "explicit", f"explicit area {a:.6g} m² given by the user", crs_s)
    if area not in AREA_METHODS:
        raise OptionError(
            f"`{func}`: `area` must be one of {AREA_METHODS} or a number of m²; got {area!r}."
        )
    if area == "boundary":
        if boundary is None:
            raise OptionError(
                f"`{func}`: area='boundary' needs `boundary=` polygons (e.g. the county); "
                "or use area='mbr', 'bbox' or 'hull'."
            )
        geom = boundary_geometry(boundary, crs, func=func)
        note = _reprojection_note(boundary, crs)
        sa = StudyArea(
            geom,
            float(geom.area),
            "boundary",
            f"boundary polygon(s){note}, {len(shapely.get_parts(geom))} part(s)",
            crs_s,
        )
        if check_inside:
            _check_inside(sa, xy, geoms.index, func=func)
        return sa
    if area == "bbox":
        x0, y0 = xy.min(axis=0)
        x1, y1 = xy.max(axis=0)
        geom = shapely.box(x0, y0, x1, y1)
        desc = "axis-aligned bounding box of the points (QGIS, pointpats default)"
    else:
        hull = _convex_hull(xy)
        if area == "mbr":
            geom = shapely.minimum_rotated_rectangle(hull)
            desc = "minimum-area enclosing rectangle of the points (rotated; ArcGIS default)"
        else:
            geom = hull
            desc = "convex hull of the points"
    if geom.geom_type != "Polygon" or not _has_area(geom, xy):
        raise ZeroAreaError(
            f"`{func}`: the points are collinear; the extent ({area}) has zero area (or is a "
            f"sliver under {SLIVER_RATIO:g} of its length wide), so no intensity can be "
            "computed. Pass --area-km2 or a boundary (`area=` in m² or `boundary=` polygons)."
        )
    return StudyArea(geom, float(geom.area), area, desc, crs_s)


# a computed window thinner than this (short side / long side of the points' minimum
# rectangle) is a line: points along one road or parallel, whose projected "hull" is a sliver a
# few metres wide (the curvature of a parallel in UTM) and would give R = 50, "dispersed"
SLIVER_RATIO = 1e-2


def _has_area(geom: BaseGeometry, xy: np.ndarray) -> bool:
    """False for a zero-area or sliver window computed from (nearly) collinear points."""
    if geom.area <= 0:
        return False
    rect = shapely.minimum_rotated_rectangle(_convex_hull(xy))
    if rect.geom_type != "Polygon":
        return False
    c = np.asarray(rect.exterior.coords)
    sides = np.hypot(*np.diff(c[:3], axis=0).T)
    return bool(sides.min() >= SLIVER_RATIO * sides.max())


def _convex_hull(xy: np.ndarray) -> BaseGeometry:
    """Convex hull (scipy's Qhull: fast for a million points); degenerate input -> a line."""
    from scipy.spatial import ConvexHull, QhullError

    try:
        h = ConvexHull(xy)
    except (QhullError, ValueError):
        return shapely.convex_hull(shapely.multipoints(xy))
    return shapely.Polygon(xy[h.vertices])


def _check_inside(window: StudyArea, xy: np.ndarray, index, *, func: str) -> None:
    inside = shapely.intersects_xy(window._prepared, xy[:, 0], xy[:, 1])
    if not inside.all():
        # points on the edge of a computed window (e.g. a rotated rectangle) can fall outside
        # by rounding; accept a relative tolerance of 1e-9 of the window's size
        x0, y0, x1, y1 = window.geometry.bounds
        tol = 1e-9 * math.hypot(x1 - x0, y1 - y0)
        far = np.flatnonzero(~inside)
        d = shapely.distance(window.geometry, shapely.points(xy[far]))
        inside[far[d <= tol]] = True
    if not inside.all():
        out = np.asarray(index)[~inside]
        raise GeometryTypeError(
            f"`{func}`: {len(out)} point(s) lie outside the study-area window: rows "
            f"{row_list(list(out))}. Clip the points to the boundary first "
            "(gdf[gdf.within(boundary.union_all())]) or use a boundary that covers them."
        )


def boundary_distance(window: StudyArea, xy: np.ndarray) -> np.ndarray:
    """Distance (metres) from each point to the window boundary (spatstat ``bdist.points``)."""
    window.require_geometry("boundary_distance")
    xy = np.asarray(xy, dtype=float)
    if window.is_axis_rectangle:
        x0, y0, x1, y1 = window.bounds
        return np.minimum.reduce([xy[:, 0] - x0, x1 - xy[:, 0], xy[:, 1] - y0, y1 - xy[:, 1]])
    return shapely.distance(window._boundary, shapely.points(xy))


def _sample(window: StudyArea, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw n independent uniform points in the window (binomial process; spatstat ``runifpoint``).

    Sampling is exact and vectorised: pick triangles of a constrained Delaunay triangulation
    with probability proportional to area, then a uniform point in each triangle. Holes and
    separate parts are honoured because they are not triangulated.
    """
    if window.is_axis_rectangle:
        x0, y0, x1, y1 = window.bounds
        u = rng.random((n, 2))
        return np.column_stack([x0 + u[:, 0] * (x1 - x0), y0 + u[:, 1] * (y1 - y0)])
    tri, cum = window._triangles
    k = np.searchsorted(cum, rng.random(n), side="right")
    k = np.minimum(k, len(cum) - 1)
    u = rng.random((n, 2))
    flip = u.sum(axis=1) > 1
    u[flip] = 1 - u[flip]
    t = tri[k]
    a = t[:, 0]
    return a + u[:, :1] * (t[:, 1] - a) + u[:, 1:] * (t[:, 2] - a)


def simulate_csr(
    window: StudyArea, n: int, *, nsim: int = 1, rng: int | np.random.Generator | None = None
) -> np.ndarray:
    """Simulate complete spatial randomness with a fixed number of points in the window.

    Parameters
    ----------
    window
        A :class:`StudyArea` with a geometry (holes and MultiPolygons respected).
    n
        Points per pattern.
    nsim
        Number of patterns.
    rng
        Seed or Generator (same seed, same patterns).

    Returns
    -------
    numpy.ndarray
        Shape ``(nsim, n, 2)``: x, y in the window's CRS (metres).
    """
    window.require_geometry("simulate_csr")
    gen = ensure_rng(rng)
    return np.stack([_sample(window, int(n), gen) for _ in range(int(nsim))])


@dataclass(frozen=True)
class PreparedPattern:
    """Point locations ready for a point-pattern statistic, with how coincident points were treated.

    ``xy`` are the locations used (metres); ``weights`` the number of input rows at each
    location (all 1 unless ``duplicates="merge"``); ``index`` the row label of the first input
    row at each location.
    """

    xy: np.ndarray
    weights: np.ndarray
    index: pd.Index
    n_input: int
    n_coincident: int
    n_coincident_groups: int
    duplicates: str
    crs: str

    @property
    def n(self) -> int:
        """Number of locations used."""
        return len(self.xy)

    def note(self) -> str:
        """How coincident points were treated, for a result's summary."""
        if self.n_coincident == 0:
            return "no coincident points"
        verb = {
            "merge": "merged into their locations (weights = rows per location)",
            "keep": "kept (zero nearest-neighbour distances included)",
        }[self.duplicates]
        return (
            f"{self.n_coincident} row(s) share a location with another row "
            f"({self.n_coincident_groups} location(s)); {verb}"
        )


DUPLICATE_POLICIES = ("raise", "merge", "keep")


def prepare_pattern(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    duplicates: str = "raise",
    func: str,
    min_n: int = 3,
) -> PreparedPattern:
    """Validate points (type, CRS, count, coincident locations) for a point-pattern statistic.

    ``duplicates``: ``"raise"`` (default; list the coincident rows), ``"merge"`` (one point per
    location, its multiplicity kept as a weight) or ``"keep"`` (leave them; nearest-neighbour
    distances of 0 enter the statistic).
    """
    check_choice(duplicates, DUPLICATE_POLICIES, name="duplicates", func=func)
    geoms = ensure_points(points, func=func, min_n=1)
    crs = ensure_projected(points, func=func)
    xy = point_coords(geoms)
    n_input = len(xy)
    if n_input < min_n:
        raise TooFewPointsError(f"`{func}` needs at least {min_n} points; got {n_input}.")
    # hash-based test first (fast for a million points); group only when there are duplicates
    dup_mask = pd.DataFrame(xy).duplicated(keep=False).to_numpy()
    if dup_mask.any():
        uniq, first, inverse, counts = np.unique(
            xy, axis=0, return_index=True, return_inverse=True, return_counts=True
        )
        inverse = inverse.ravel()
    else:
        uniq, first, inverse, counts = (
            xy,
            np.arange(n_input),
            np.arange(n_input),
            np.ones(n_input, dtype=int),
        )
    if len(uniq) == 1:
        raise DegenerateDataError(
            f"`{func}`: all {n_input} points are at the same location "
            f"({uniq[0, 0]:.3f}, {uniq[0, 1]:.3f}); a point pattern needs distinct locations. "
            "Check the geocoding (e.g. every row placed at one county seat)."
        )
    dup_groups = np.flatnonzero(counts > 1)
    n_coinc = int(counts[dup_groups].sum() - len(dup_groups))
    labels = np.asarray(geoms.index)
    if len(dup_groups) and duplicates == "raise":
        examples = []
        for g in dup_groups[:5]:
            rows = labels[inverse == g]
            examples.append(f"[{row_list(list(rows), 5)}]")
        raise InputDataError(
            f"`{func}`: {n_coinc} row(s) share a location with another row "
            f"({len(dup_groups)} location(s), e.g. rows {'; '.join(examples)}). Villages geocoded "
            "to one town seat do this. Choose duplicates='merge' (one point per location, "
            "counted as a weight) or duplicates='keep' (zero distances enter the statistic); on "
            "the command line: --duplicates merge or --duplicates keep.",
            rows=[labels[inverse == g][1:].tolist() for g in dup_groups],
        )
    if duplicates == "merge" and len(dup_groups):
        order = np.argsort(first)  # keep input order of first occurrences
        xy_u, w, idx = uniq[order], counts[order].astype(float), labels[first[order]]
        if len(xy_u) < min_n:
            raise TooFewPointsError(
                f"`{func}` needs at least {min_n} distinct locations; the {n_input} points "
                f"have {len(xy_u)} after merging coincident ones."
            )
        return PreparedPattern(
            xy_u, w, pd.Index(idx), n_input, n_coinc, len(dup_groups), duplicates, crs.to_string()
        )
    return PreparedPattern(
        xy,
        np.ones(n_input),
        pd.Index(labels),
        n_input,
        n_coinc,
        len(dup_groups),
        duplicates,
        crs.to_string(),
    )
