"""Centrography: where is the centre of the villages, how spread out, in which direction, and
how does it move from year to year?

* mean centre (weighted optional; ArcGIS *Mean Center*, pointpats ``weighted_mean_center``);
* median centre: the point minimising the sum of Euclidean distances (ArcGIS *Median Center*,
  pointpats ``euclidean_median``), by Weiszfeld iteration to 1e-9 of the spread;
* standard distance ``SD = sqrt(sum w (x - mx)^2 / W + sum w (y - my)^2 / W)`` (ArcGIS
  *Standard Distance*; pointpats ``std_distance``, identical unweighted);
* standard deviational ellipse (SDE) from the principal axes of the weighted covariance
  (divided by W = sum of weights). Conventions (METHODS §1.9.8):

  ===============  ======================================  ===========================
  ``sde=``         axis factor                             who
  ===============  ======================================  ===========================
  ``"arcgis"``     sqrt(2)                                 ArcGIS Pro (default here)
  ``"crimestat"``  sqrt(2) * sqrt(n / (n - 2))             CrimeStat, pointpats default
  ``"yuill"``      1                                       Yuill (1971), no correction
  ===============  ======================================  ===========================

  ``rotation_deg`` is the azimuth of the long axis, clockwise from north, in [0, 180) (ArcGIS
  "Rotation"); ``angle_rad`` is pointpats' angle (counter-clockwise from east, radians).
  Axis lengths are semi-axes ("standard distances" along each axis) in metres, times
  ``n_std`` (ArcGIS: 1, 2 or 3 standard deviations).

All values and geometries are in the data's projected CRS (metres).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point

from ._errors import DegenerateDataError, InputDataError, OptionError
from ._results import ResultMixin
from ._validate import (
    check_choice,
    ensure_aligned,
    ensure_numeric,
    ensure_points,
    ensure_projected,
    point_coords,
)

__all__ = [
    "CentrographyResult",
    "CentreTrendsResult",
    "SDE_METHODS",
    "centre_trends",
    "centrography",
    "median_centre",
]

SDE_METHODS = ("arcgis", "crimestat", "yuill")


@dataclass(frozen=True)
class CentrographyResult(ResultMixin):
    """Mean and median centre, standard distance and standard deviational ellipse.

    ``major_m``/``minor_m`` are the ellipse semi-axes; ArcGIS's ``YStdDist`` is the axis
    along ``rotation_deg`` (here the long axis, ``major_m``) and ``XStdDist`` the other.
    """

    n: int
    weight_total: float
    mean_x: float
    mean_y: float
    median_x: float
    median_y: float
    std_distance_m: float
    major_m: float
    minor_m: float
    rotation_deg: float
    angle_rad: float
    sde: str
    n_std: float
    crs: str
    weights: str | None = None
    mean_centre: Point = field(default=None, repr=False)
    median_centre: Point = field(default=None, repr=False)
    std_distance_circle: Any = field(default=None, repr=False)
    ellipse: Any = field(default=None, repr=False)

    @property
    def ellipse_area_km2(self) -> float:
        return math.pi * self.major_m * self.minor_m / 1e6

    @property
    def flattening(self) -> float:
        """1 - minor / major (0 = circle)."""
        return 1 - self.minor_m / self.major_m if self.major_m > 0 else 0.0

    def to_frame(self) -> pd.DataFrame:
        d = self.to_dict()
        d["ellipse_area_km2"] = self.ellipse_area_km2
        d["flattening"] = self.flattening
        return pd.DataFrame([d])

    def to_gdf(self) -> gpd.GeoDataFrame:
        """The four geometries (mean centre, median centre, SD circle, ellipse) with values."""
        return gpd.GeoDataFrame(
            {
                "feature": ["mean_centre", "median_centre", "std_distance", "ellipse"],
                "value_m": [np.nan, np.nan, self.std_distance_m, self.major_m],
            },
            geometry=[self.mean_centre, self.median_centre, self.std_distance_circle, self.ellipse],
            crs=self.crs,
        )

    def plot(self, ax=None, *, path=None, points=None):
        """Ellipse, standard-distance circle and both centres (optionally over ``points``)."""
        from ._ppplot import axes, save

        fig, ax = axes(ax, path=path, figsize=(6.5, 6))
        if points is not None:
            points.plot(ax=ax, markersize=3, color="0.6")
        ex, ey = self.ellipse.exterior.xy
        ax.plot(ex, ey, color="C0", label=f"ellipse ({self.sde}, {self.n_std:g} SD)")
        cx, cy = self.std_distance_circle.exterior.xy
        ax.plot(cx, cy, "--", color="C2", label="standard distance")
        ax.plot(self.mean_x, self.mean_y, "o", color="crimson", label="mean centre")
        ax.plot(self.median_x, self.median_y, "^", color="k", label="median centre")
        ax.set_aspect("equal")
        ax.set_xlabel("x (m)")
        ax.set_ylabel("y (m)")
        ax.legend(fontsize=8, frameon=False)
        return save(fig, ax, path)

    def summary(self) -> str:
        return "\n".join(
            [
                f"Mean centre ({self.mean_x:,.1f}, {self.mean_y:,.1f}); median centre "
                f"({self.median_x:,.1f}, {self.median_y:,.1f}) [{self.crs}], n = {self.n}"
                + (f", weighted by {self.weights!r}" if self.weights else ""),
                f"Standard distance {self.std_distance_m / 1000:,.2f} km",
                f"Standard deviational ellipse ({self.sde}, {self.n_std:g} SD): semi-axes "
                f"{self.major_m / 1000:,.2f} x {self.minor_m / 1000:,.2f} km, long axis "
                f"{self.rotation_deg:.1f}° clockwise from north, area {self.ellipse_area_km2:,.0f} km²",
            ]
        )


def median_centre(
    xy: np.ndarray, w: np.ndarray | None = None, *, tol: float = 1e-9, max_iter: int = 10_000
) -> np.ndarray:
    """Weighted Euclidean (geometric) median by Weiszfeld's algorithm (Vardi-Zhang safe)."""
    w = np.ones(len(xy)) if w is None else np.asarray(w, float)
    m = np.average(xy, axis=0, weights=w)
    scale = max(float(np.ptp(xy, axis=0).max()), 1e-300)
    for _ in range(max_iter):
        d = np.hypot(*(xy - m).T)
        at = d < 1e-12 * scale
        inv = np.where(at, 0.0, w / np.where(at, 1.0, d))
        t = (inv[:, None] * xy).sum(0) / inv.sum()
        if at.any():  # Vardi & Zhang (2000): a data point can be the median
            r = np.hypot(*((inv[:, None] * (xy - m)).sum(0)))
            eta = w[at].sum()
            t = m if r <= eta else (1 - eta / r) * t + min(1.0, eta / r) * m
        if np.hypot(*(t - m)) < tol * scale:
            return t
        m = t
    return m


def _ellipse_polygon(cx, cy, major, minor, rotation_deg, n=128):
    # major axis along azimuth rotation_deg (clockwise from north)
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    az = math.radians(rotation_deg)
    ux, uy = math.sin(az), math.cos(az)  # unit vector of the long axis
    vx, vy = uy, -ux  # perpendicular
    x = cx + major * np.cos(t) * ux + minor * np.sin(t) * vx
    y = cy + major * np.cos(t) * uy + minor * np.sin(t) * vy
    return shapely.Polygon(np.column_stack([x, y]))


def _weights(points, weights, func) -> tuple[np.ndarray | None, str | None]:
    if weights is None:
        return None, None
    if isinstance(weights, str):
        if not isinstance(points, gpd.GeoDataFrame):
            raise InputDataError(
                f"`{func}`: weights={weights!r} names a column, but a GeoSeries "
                "has no columns; pass a GeoDataFrame or an array."
            )
        w = ensure_numeric(points, weights, func=func)
        name = weights
    elif isinstance(weights, pd.Series):
        ensure_aligned(
            points.index, weights.index, left_name="points", right_name="weights", func=func
        )
        w = ensure_numeric(weights, func=func)
        name = weights.name
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != (len(points),):
            raise InputDataError(
                f"`{func}`: `weights` has {w.size} values for {len(points)} points."
            )
        if not np.isfinite(w).all():
            raise InputDataError(f"`{func}`: `weights` has missing or infinite values.")
        name = "weights"
    if (w < 0).any() or w.sum() <= 0:
        raise InputDataError(
            f"`{func}`: weights must be non-negative with a positive total; "
            f"{int((w < 0).sum())} are negative, total {w.sum():g}."
        )
    return w, name


def centrography(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    weights: Any = None,
    sde: str = "arcgis",
    n_std: float = 1.0,
) -> CentrographyResult:
    """Mean/median centre, standard distance and standard deviational ellipse.

    Parameters
    ----------
    points
        Points in a projected CRS (metres).
    weights
        A column name, a Series aligned with ``points`` or an array (e.g. number of Taobao
        villages per town). Default: unweighted.
    sde
        Ellipse convention: ``"arcgis"`` (default; sqrt(2)), ``"crimestat"`` (pointpats
        default; sqrt(2) sqrt(n / (n - 2))) or ``"yuill"`` (no factor).
    n_std
        Number of standard deviations for the ellipse and circle (ArcGIS 1, 2 or 3).

    Returns
    -------
    CentrographyResult
        Values plus shapely geometries (``mean_centre``, ``median_centre``,
        ``std_distance_circle``, ``ellipse``) in the data CRS; ``to_gdf()`` for a layer.

    Raises
    ------
    CRSError, GeometryTypeError, TooFewPointsError, InputDataError
        Geographic CRS; non-point geometry; fewer than 3 points (the ellipse needs them);
        bad weights; all points identical.
    """
    func = "centrography"
    check_choice(sde, SDE_METHODS, name="sde", func=func)
    if not (n_std > 0):
        raise OptionError(f"`{func}`: `n_std` must be positive; got {n_std!r}.")
    geoms = ensure_points(points, func=func, min_n=3)
    crs = ensure_projected(points, func=func)
    xy = point_coords(geoms)
    w, wname = _weights(points, weights, func)
    ww = np.ones(len(xy)) if w is None else w
    if np.ptp(xy[ww > 0], axis=0).max() == 0:
        raise DegenerateDataError(
            f"`{func}`: all {len(xy)} (weighted) points are at the same "
            "location; the spread and the ellipse are undefined."
        )
    W = ww.sum()
    mx, my = np.average(xy, axis=0, weights=ww)
    dx, dy = xy[:, 0] - mx, xy[:, 1] - my
    sxx = (ww * dx * dx).sum() / W
    syy = (ww * dy * dy).sum() / W
    sxy = (ww * dx * dy).sum() / W
    sd = math.sqrt(sxx + syy)
    # principal axes of the covariance
    half_tr = (sxx + syy) / 2
    root = math.hypot((sxx - syy) / 2, sxy)
    lam1, lam2 = half_tr + root, max(half_tr - root, 0.0)
    theta = 0.5 * math.atan2(2 * sxy, sxx - syy)  # long axis, counter-clockwise from east
    n = len(xy)
    if sde == "arcgis":
        factor = math.sqrt(2)
    elif sde == "crimestat":
        factor = math.sqrt(2) * math.sqrt(n / (n - 2))
    else:
        factor = 1.0
    major = factor * math.sqrt(lam1) * n_std
    minor = factor * math.sqrt(lam2) * n_std
    rotation = (90.0 - math.degrees(theta)) % 180.0
    med = median_centre(xy, w)
    return CentrographyResult(
        n=n,
        weight_total=float(W),
        mean_x=float(mx),
        mean_y=float(my),
        median_x=float(med[0]),
        median_y=float(med[1]),
        std_distance_m=sd,
        major_m=major,
        minor_m=minor,
        rotation_deg=rotation,
        angle_rad=theta % math.pi,
        sde=sde,
        n_std=float(n_std),
        crs=crs.to_string(),
        weights=wname,
        mean_centre=Point(mx, my),
        median_centre=Point(med),
        std_distance_circle=Point(mx, my).buffer(sd * n_std, quad_segs=32),
        ellipse=_ellipse_polygon(mx, my, major, minor, rotation),
    )


# --------------------------------------------------------------------------- trends


@dataclass(frozen=True)
class CentreTrendsResult(ResultMixin):
    """Per-period centres, shifts, ellipses and NNI in one tidy table (``table``).

    Columns: ``<by>``, ``n``, ``mean_x``, ``mean_y``, ``median_x``, ``median_y``,
    ``shift_m`` and ``shift_bearing_deg`` (move of the mean centre since the previous period,
    bearing clockwise from north), ``cumulative_shift_m``, ``std_distance_m``, ``major_m``,
    ``minor_m``, ``rotation_deg``, ``ellipse_area_km2``, and when ``nni=True``: ``nni_R``,
    ``nni_z``, ``nni_p``, ``nni_pattern``, ``nni_area_km2``, ``nni_area_method``.
    """

    by: str
    periods: tuple
    total_shift_m: float
    net_shift_m: float
    net_bearing_deg: float
    sde: str
    crs: str
    nni_area_method: str | None
    duplicates: str
    table: pd.DataFrame = field(default=None, repr=False)
    ellipses: gpd.GeoDataFrame = field(default=None, repr=False)
    trajectory: LineString = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def centres_gdf(self) -> gpd.GeoDataFrame:
        t = self.table
        return gpd.GeoDataFrame(
            t, geometry=gpd.points_from_xy(t["mean_x"], t["mean_y"]), crs=self.crs
        )

    def plot(self, ax=None, *, path=None, points=None):
        """Ellipse per period, the centre trajectory and the centres (optionally over points)."""
        from ._ppplot import axes, save

        fig, ax = axes(ax, path=path, figsize=(6.5, 6))
        if points is not None:
            points.plot(ax=ax, markersize=3, color="0.7")
        for k, (_, row) in enumerate(self.ellipses.iterrows()):
            x, y = row.geometry.exterior.xy
            ax.plot(x, y, color=f"C{k % 10}", lw=1.2, label=f"{row[self.by]} ellipse")
        t = self.table
        ax.plot(
            t["mean_x"],
            t["mean_y"],
            "-o",
            color="crimson",
            lw=2,
            ms=4,
            label="mean centre trajectory",
        )
        ax.set_aspect("equal")
        ax.set_xlabel("x (m)")
        ax.set_ylabel("y (m)")
        ax.legend(fontsize=8, frameon=False)
        return save(fig, ax, path)

    def summary(self) -> str:
        t = self.table
        lines = [
            f"Centre of the villages by {self.by}, {len(t)} periods "
            f"({self.periods[0]}–{self.periods[-1]}):"
        ]
        for _, row in t.iterrows():
            s = (
                f"  {row[self.by]}: n = {row['n']}, mean centre ({row['mean_x']:,.0f}, "
                f"{row['mean_y']:,.0f})"
            )
            if np.isfinite(row["shift_m"]):
                s += (
                    f", moved {row['shift_m'] / 1000:,.1f} km towards "
                    f"{row['shift_bearing_deg']:.0f}°"
                )
            if "nni_R" in t and np.isfinite(row["nni_R"]):
                s += f"; NNI R = {row['nni_R']:.3f} (p = {row['nni_p']:.3g})"
            lines.append(s)
        lines.append(
            f"Net shift {self.net_shift_m / 1000:,.1f} km at bearing "
            f"{self.net_bearing_deg:.0f}° (path length "
            f"{self.total_shift_m / 1000:,.1f} km)"
        )
        return "\n".join(lines)


def _bearing(dx: float, dy: float) -> float:
    return math.degrees(math.atan2(dx, dy)) % 360.0 if (dx or dy) else math.nan


def centre_trends(
    points: gpd.GeoDataFrame,
    *,
    by: str = "year",
    weights: Any = None,
    sde: str = "arcgis",
    n_std: float = 1.0,
    nni: bool = True,
    area: str | float | None = None,
    boundary: Any = None,
    duplicates: str = "raise",
) -> CentreTrendsResult:
    """Centre trajectory, ellipse and NNI per period (e.g. Taobao villages 2014-2016).

    Parameters
    ----------
    points
        Points in a projected CRS with a period column ``by``.
    by
        Column with the period (year).
    weights
        Column name or array of weights for the centres and ellipses.
    sde, n_std
        Ellipse convention and size, as :func:`centrography`.
    nni
        Add the nearest-neighbour index per period.
    area, boundary
        Study area for the NNI. One window is used for every period (the boundary, or by
        default the minimum enclosing rectangle of *all* periods pooled), so that R is
        comparable across years; a per-year rectangle would follow the spread of each year.
    duplicates
        Coincident points in the NNI (``"raise"``, ``"merge"``, ``"keep"``).

    Returns
    -------
    CentreTrendsResult
    """
    from .nni import nearest_neighbour_index
    from .windows import study_area

    func = "centre_trends"
    if not isinstance(points, gpd.GeoDataFrame) or by not in points.columns:
        cols = list(points.columns) if isinstance(points, gpd.GeoDataFrame) else []
        raise InputDataError(
            f"`{func}`: needs a GeoDataFrame with a {by!r} column; columns: "
            f"{[c for c in cols if c != 'geometry']}."
        )
    crs = ensure_projected(points, func=func)
    ensure_points(points, func=func, min_n=3)
    if points[by].isna().any():
        bad = points.index[points[by].isna()].tolist()
        raise InputDataError(
            f"`{func}`: column {by!r} is missing in {len(bad)} row(s): {bad[:10]}.", rows=bad
        )
    w_all, _ = _weights(points, weights, func)
    window = None
    if nni:
        window = study_area(points, area=area, boundary=boundary, func=func)
    rows, ellipses = [], []
    prev = None
    groups = points.groupby(by, sort=True).indices  # positions: safe with duplicate labels
    for period in sorted(groups):
        pos = groups[period]
        grp = points.iloc[pos]
        c = centrography(grp, weights=None if w_all is None else w_all[pos], sde=sde, n_std=n_std)
        row = {
            by: period,
            "n": c.n,
            "mean_x": c.mean_x,
            "mean_y": c.mean_y,
            "median_x": c.median_x,
            "median_y": c.median_y,
        }
        if prev is None:
            row.update(shift_m=math.nan, shift_bearing_deg=math.nan)
        else:
            dx, dy = c.mean_x - prev.mean_x, c.mean_y - prev.mean_y
            row.update(shift_m=math.hypot(dx, dy), shift_bearing_deg=_bearing(dx, dy))
        row.update(
            std_distance_m=c.std_distance_m,
            major_m=c.major_m,
            minor_m=c.minor_m,
            rotation_deg=c.rotation_deg,
            ellipse_area_km2=c.ellipse_area_km2,
        )
        if nni:
            geom_or_area = window.geometry if window.geometry is not None else window.area_m2
            kw = (
                {"boundary": gpd.GeoSeries([geom_or_area], crs=crs)}
                if window.geometry is not None
                else {"area": geom_or_area}
            )
            r = nearest_neighbour_index(grp, duplicates=duplicates, **kw)
            row.update(
                nni_R=r.R,
                nni_z=r.z,
                nni_p=r.p,
                nni_pattern=r.pattern,
                nni_n=r.n,
                nni_area_km2=r.area_km2,
                nni_area_method=window.method,
            )
        rows.append(row)
        ellipses.append(c.ellipse)
        prev = c
    table = pd.DataFrame(rows)
    table["cumulative_shift_m"] = table["shift_m"].fillna(0).cumsum()
    first, last = table.iloc[0], table.iloc[-1]
    ndx, ndy = last["mean_x"] - first["mean_x"], last["mean_y"] - first["mean_y"]
    ell = gpd.GeoDataFrame(
        table[[by, "n", "major_m", "minor_m", "rotation_deg"]].copy(), geometry=ellipses, crs=crs
    )
    traj = LineString(table[["mean_x", "mean_y"]].to_numpy()) if len(table) > 1 else None
    return CentreTrendsResult(
        by=by,
        periods=tuple(table[by].tolist()),
        total_shift_m=float(table["shift_m"].fillna(0).sum()),
        net_shift_m=float(math.hypot(ndx, ndy)),
        net_bearing_deg=_bearing(ndx, ndy),
        sde=sde,
        crs=crs.to_string(),
        nni_area_method=window.method if nni else None,
        duplicates=duplicates,
        table=table,
        ellipses=ell,
        trajectory=traj,
    )
