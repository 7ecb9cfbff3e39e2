"""The loader's checks on the rows of a table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer

from .. import coords
from .._errors import CRSError, InputDataError, TaobaoGeoError
from .._validate import row_list
from .columns import (
    _combined_column,
    _datum_hint,
    _standard_column_map,
    _wkt_column,
    detect_coordinate_columns,
)
from .coordtext import _parse_coordinate, _split_pairs
from .readers import _read_source
from .regions import (
    _CHINA_TOLERANCE_DEG,
    _as_polygons,
    _outside_polygons,
    _shipped_china,
)
from .report import Problem
from .tables import _blank, _EmptyFile, _Table

ERROR_CHECKS = (
    "missing",
    "non_numeric",
    "out_of_range",
    "swapped",
    "outside_china",
    "outside_boundary",
    "geometry_type",
    "duplicate_row",
    "extra_fields",
    "year",
)
WARNING_CHECKS = ("duplicate_point", "duplicate_name", "datum_hint", "short_line", "missing_year")
# Taobao villages were first identified in 2009 (AliResearch; the first named list, of 2013,
# covers villages from 2009 on); a list cannot be later than the current year
FIRST_YEAR = 2009


# --------------------------------------------------------------------------------------------
# Working records
# --------------------------------------------------------------------------------------------


@dataclass
class _Findings:
    """What the checks found so far: problems, coordinate conversions, notes (in order)."""

    problems: list
    conversions: list = field(default_factory=list)
    notes: list = field(default_factory=list)


@dataclass
class _Points:
    """The coordinates being checked: input units until :func:`_to_degrees`, then degrees.

    ``valid`` is False for rows with an error-level coordinate problem; later checks skip them.
    """

    lon: np.ndarray
    lat: np.ndarray
    valid: np.ndarray
    xcol: str | None
    ycol: str | None
    crs: CRS | None
    name: str | None = None  # column named in per-point problems (x column or geometry)

    @property
    def yname(self) -> str | None:
        return self.ycol or self.name


def _record(f: _Findings, pts: _Points, problems: list[Problem]) -> None:
    """Add coordinate problems; their error rows are no longer valid points."""
    f.problems.extend(problems)
    rows = [p.row for p in problems if p.severity == "error" and p.row is not None]
    pts.valid[rows] = False


def _datum_hint_problem(hint: str, datum: str, *, column, what: str) -> Problem:
    return Problem(
        "datum_hint",
        None,
        column,
        f"the {what} name suggests {hint.upper()} coordinates but datum={datum!r}; "
        f"if they are {hint.upper()}, pass datum='{hint}' (CLI: --datum {hint})",
        severity="warning",
        value=hint,
    )


# --------------------------------------------------------------------------------------------
# The checks, in the order they run
# --------------------------------------------------------------------------------------------


def _check(
    source,
    *,
    x,
    y,
    crs,
    datum,
    encoding,
    layer,
    sheet,
    boundary,
    check_china,
    duplicates,
    on_invalid,
    func,
    ctx,
):
    """Read and check everything. Returns ``(table, report fields)``; the fields hold
    ``lon``/``lat`` in WGS 84, or ``empty`` (the message) when there are no data rows.
    """
    try:
        t, name = _read_source(source, x=x, y=y, encoding=encoding, layer=layer, sheet=sheet)
    except _EmptyFile as exc:
        return None, {"source": Path(source).name, "empty": str(exc)}
    f = _Findings(list(t.problems), notes=list(t.notes))
    colmap, coord_cols, orig_cols = _map_columns(t, x=x, y=y)
    base = {
        "source": name,
        "format": t.fmt,
        "encoding": t.encoding,
        "encoding_detected": t.encoding_detected,
        "row_label": t.row_label,
        "column_map": colmap,
        "datum": datum,
        "n_read": len(t.df),
        "notes": f.notes,
    }
    ctx.update(base)
    if len(t.df) == 0:
        return t, dict(
            base,
            empty=f"{name} has a header but no data rows.",
            x_col=coord_cols[0],
            y_col=coord_cols[1],
            crs_in=None,
            problems=f.problems,
        )
    year_col = next((k for k, v in colmap.items() if v == "year"), "year")
    problems, conversions = _check_years(t, column=year_col)
    f.problems.extend(problems)
    f.conversions.extend(conversions)
    pts = _read_coordinates(
        t,
        f,
        coord_cols=coord_cols,
        orig_cols=orig_cols,
        x=x,
        crs=crs,
        datum=datum,
        name=name,
        func=func,
    )
    f.problems.extend(_file_datum_hint(source, name, datum))
    f.problems.extend(_file_crs_datum_hint(t, name, datum))
    _to_degrees(pts, t, f, datum=datum, name=name, func=func)
    do_china = check_china is not False and check_china is not None
    _record(f, pts, _check_ranges(pts, t, f, do_china=do_china))
    _apply_datum(pts, f, datum)
    if do_china and pts.valid.any():
        _record(f, pts, _check_china(pts, f, check_china))
    if boundary is not None and pts.valid.any():
        _record(f, pts, _check_boundary(pts, boundary))
    f.problems.extend(_check_duplicates(t, pts, f.problems, duplicates=duplicates))
    fields = dict(
        base,
        x_col=pts.xcol,
        y_col=pts.ycol,
        crs_in=pts.crs.to_string(),
        conversions=f.conversions,
        problems=f.problems,
    )
    return t, dict(fields, lon=pts.lon, lat=pts.lat)


def _map_columns(t: _Table, *, x, y) -> tuple[dict, tuple, list]:
    """Rename Chinese attribute names to the standard ones (never a coordinate column).

    Returns ``(column map, (x column, y column), the original column names)``.
    """
    colmap = _standard_column_map(t.df.columns)
    coord_cols: tuple = (None, None)
    if t.geometry is None or x is not None:
        coord_cols = detect_coordinate_columns(t.df.columns, x=x, y=y)
    colmap = {k: v for k, v in colmap.items() if k not in coord_cols}
    orig_cols = list(t.df.columns)
    if colmap:
        t.df = t.df.rename(columns=colmap)
    return colmap, coord_cols, orig_cols


def _read_coordinates(
    t: _Table, f: _Findings, *, coord_cols, orig_cols, x, crs, datum, name, func
) -> _Points:
    """The raw coordinates: from a 'lng,lat' column, x/y columns or the geometry (also WKT)."""
    combined = wkt_raw = None
    if t.geometry is None and x is None and coord_cols == (None, None):
        combined = _combined_column(t.df)
        if combined is None:
            wkt_raw = _wkt_to_geometry(t, f)
    if combined is not None:
        pts = _from_combined(t, f, *combined, crs=crs)
        f.problems.extend(_column_datum_hints((pts.xcol,), datum))
    elif coord_cols != (None, None) or t.geometry is None:
        pts = _from_columns(t, f, *coord_cols, orig_cols=orig_cols, crs=crs, name=name, func=func)
        f.problems.extend(_column_datum_hints((pts.xcol, pts.ycol), datum))
    else:
        pts = _from_geometry(t, f, crs=crs, wkt_raw=wkt_raw)
    pts.name = pts.xcol or (t.geometry.name if t.geometry is not None else None)
    return pts


def _wkt_to_geometry(t: _Table, f: _Findings) -> pd.Series | None:
    """Make a WKT text column the geometry; returns the raw text (None: no WKT column)."""
    wkt = _wkt_column(t.df)
    if wkt is None:
        return None
    import shapely

    geoms = shapely.from_wkt(
        t.df[wkt].where(t.df[wkt].notna(), None).to_numpy(), on_invalid="ignore"
    )
    t.geometry = gpd.GeoSeries(geoms, name=wkt)
    raw = t.df[wkt]
    t.df = t.df.drop(columns=[wkt])
    f.conversions.append(f"geometry read from the WKT text in column {wkt!r}")
    return raw


def _empty_points(n: int, xcol, ycol, crs) -> _Points:
    return _Points(np.full(n, np.nan), np.full(n, np.nan), np.ones(n, bool), xcol, ycol, crs)


def _from_combined(t: _Table, f: _Findings, col, order, *, crs) -> _Points:
    """Longitude and latitude split from one 'lng,lat' text column (``missing``, ``non_numeric``)."""
    xs, ys, miss, bad = _split_pairs(t.df[col], order)
    pts = _empty_points(len(t.df), col, col, crs)
    problems = [Problem("missing", i, col, "missing coordinate") for i in np.flatnonzero(miss)]
    for i in np.flatnonzero(bad):
        v = str(t.df[col].iloc[i])
        problems.append(
            Problem(
                "non_numeric",
                i,
                col,
                f"not a '{order[0]},{order[1]}' pair of numbers: {v!r}",
                value=v,
            )
        )
    _record(f, pts, problems)
    pts.lon, pts.lat = xs, ys
    f.conversions.append(
        f"column {col!r} split into longitude and latitude "
        f"({order[0]},{order[1]} order"
        + (", as Amap and Baidu write it)" if order[0] == "lng" else ")")
    )
    return pts


def _from_columns(t: _Table, f: _Findings, xcol, ycol, *, orig_cols, crs, name, func) -> _Points:
    """Coordinates from x/y columns (``missing``, ``non_numeric``; DMS text converted)."""
    for axis, col in (("x", xcol), ("y", ycol)):
        if col is None:
            raise InputDataError(
                f"`{func}`: no {'longitude / x' if axis == 'x' else 'latitude / y'} column "
                f"found in {name}. Columns: {row_list(orig_cols, 30)}. Name it (e.g. 经度/lon "
                f"and 纬度/lat) or pass {axis}='column name' (CLI: --{axis})."
            )
        if col not in t.df.columns:
            raise InputDataError(
                f"`{func}`: column {col!r} not found in {name}. Columns: {row_list(orig_cols, 30)}."
            )
    pts = _empty_points(len(t.df), xcol, ycol, crs)
    vx, mx, bx, dx = _parse_coordinate(t.df[xcol])
    vy, my, by, dy = _parse_coordinate(t.df[ycol])
    problems = []
    for col, miss, bad in ((xcol, mx, bx), (ycol, my, by)):
        vals = t.df[col]
        problems += [Problem("missing", i, col, "missing coordinate") for i in np.flatnonzero(miss)]
        problems += [
            Problem(
                "non_numeric",
                i,
                col,
                f"not a number: {str(vals.iloc[i])!r}",
                value=str(vals.iloc[i]),
            )
            for i in np.flatnonzero(bad)
        ]
    if (dx | dy).any():
        f.conversions.append(
            f"{int((dx | dy).sum())} coordinate(s) in degree-minute-second "
            f"notation converted to decimal degrees ({t.row_label} "
            f"{row_list(t.labels[dx | dy])})"
        )
    _record(f, pts, problems)
    pts.lon, pts.lat = vx, vy
    return pts


def _column_datum_hints(columns, datum: str) -> list[Problem]:
    """``datum_hint``: the first coordinate column whose name suggests another datum."""
    for col in columns:
        h = _datum_hint(col)
        if h is not None and h != datum:
            return [_datum_hint_problem(h, datum, column=col, what="column")]
    return []


def _from_geometry(t: _Table, f: _Findings, *, crs, wkt_raw) -> _Points:
    """Point coordinates of the geometry (``missing``, ``geometry_type``; one-part MultiPoints)."""
    geom = t.geometry
    n = len(t.df)
    if crs is not None and geom.crs is not None and not crs.equals(geom.crs):
        f.notes.append(
            f"crs={crs.to_string()} given: it replaces the file's {geom.crs.to_string()}"
        )
    pts = _empty_points(n, None, None, crs if crs is not None else geom.crs)
    gcol = geom.name or "geometry"
    isna = geom.isna().to_numpy() | geom.is_empty.to_numpy()
    types, single_mp = _point_types(geom, f)
    problems = [_missing_geometry(i, gcol, wkt_raw) for i in np.flatnonzero(isna)]
    badtype = ~isna & (types != "Point")
    problems += [
        Problem(
            "geometry_type",
            i,
            gcol,
            f"{types[i]} geometry; village points are needed (use "
            "gdf.representative_point() for polygons, explode() for MultiPoints)",
            value=types[i],
        )
        for i in np.flatnonzero(badtype)
    ]
    _record(f, pts, problems)
    ok = ~isna & ~badtype
    if ok.any():
        import shapely

        geoms = geom.values.copy()
        if single_mp.any():
            geoms[single_mp] = shapely.get_geometry(geoms[single_mp], 0)
        pts.lon[ok] = shapely.get_x(geoms[ok])
        pts.lat[ok] = shapely.get_y(geoms[ok])
        finite = np.isfinite(pts.lon) & np.isfinite(pts.lat)
        _record(
            f,
            pts,
            [Problem("missing", i, gcol, "NaN coordinates") for i in np.flatnonzero(ok & ~finite)],
        )
    return pts


def _point_types(geom: gpd.GeoSeries, f: _Findings) -> tuple[np.ndarray, np.ndarray]:
    """Geometry types, with one-part MultiPoints counted as Points; and where those are."""
    types = geom.geom_type.to_numpy()
    single_mp = np.zeros(len(geom), bool)
    if (types == "MultiPoint").any():
        import shapely

        single_mp = (types == "MultiPoint") & (shapely.get_num_geometries(geom.values) == 1)
        types = np.where(single_mp, "Point", types)
        if single_mp.any():
            f.conversions.append(f"{int(single_mp.sum())} one-part MultiPoint(s) read as Point")
    return types, single_mp


def _missing_geometry(i: int, gcol: str, wkt_raw) -> Problem:
    """``geometry_type`` for WKT text that does not parse, else ``missing``."""
    raw = None if wkt_raw is None else wkt_raw.iloc[i]
    if raw is not None and not (isinstance(raw, float) and np.isnan(raw)):
        return Problem(
            "geometry_type", i, gcol, f"not valid WKT: {str(raw)[:60]!r}", value=str(raw)[:60]
        )
    return Problem("missing", i, gcol, "missing or empty geometry")


def _file_datum_hint(source, name: str, datum: str) -> list[Problem]:
    """``datum_hint`` from the file name, or from the datum a DataFrame says it is in (e.g.
    after convert_geometry).
    """
    if name.startswith("<"):
        h = getattr(source, "attrs", {}).get("datum")
        h = (
            coords.normalize_datum(h)
            if isinstance(h, str) and h.lower() in coords._ALIASES
            else None
        )
    else:
        h = _datum_hint(Path(name).stem)
    if h is None or h == datum:
        return []
    return [_datum_hint_problem(h, datum, column=None, what="file")]


def _file_crs_datum_hint(t: _Table, name: str, datum: str) -> list[Problem]:
    """``datum_hint`` when the file's own metadata (.prj, GeoPackage CRS) says WGS 84 but the
    caller passed another datum.
    """
    fcrs = getattr(t.geometry, "crs", None) if not name.startswith("<") else None
    if (
        datum == "wgs84"
        or fcrs is None
        or not CRS.from_user_input(fcrs).equals(CRS.from_epsg(4326), ignore_axis_order=True)
    ):
        return []
    return [
        Problem(
            "datum_hint",
            None,
            None,
            f"{name} says its CRS is WGS 84 (EPSG:4326) but datum={datum!r}: the points "
            f"are shifted as {datum.upper()}; if they are really WGS 84, pass "
            "datum='wgs84' (CLI: --datum wgs84)",
            severity="warning",
            value="wgs84",
        )
    ]


def _to_degrees(pts: _Points, t: _Table, f: _Findings, *, datum, name, func) -> None:
    """Bring the coordinates to EPSG:4326 degrees; without a CRS, refuse projected numbers."""
    if pts.crs is None:
        _refuse_projected_numbers(pts, t, name=name, func=func)
        pts.crs = CRS.from_epsg(4326)
        f.notes.append("no CRS given: coordinates read as longitude/latitude degrees (EPSG:4326)")
    src = pts.crs
    if src.is_projected:
        if datum != "wgs84":
            raise TaobaoGeoError(
                f"`{func}`: datum={datum!r} applies to longitude/latitude degrees, but the input "
                f"CRS {src.to_string()} is projected. GCJ-02/BD-09 shifts are defined on "
                "degrees only: reproject to EPSG:4326 first, or drop datum=."
            )
        _transform(pts, src)
        f.conversions.append(f"reprojected from {src.to_string()} ({src.name}) to EPSG:4326")
        bad = pts.valid & ~(np.isfinite(pts.lon) & np.isfinite(pts.lat))
        _record(
            f,
            pts,
            [
                Problem(
                    "out_of_range", i, pts.xcol, f"cannot be transformed from {src.to_string()}"
                )
                for i in np.flatnonzero(bad)
            ],
        )
    elif not src.is_geographic:
        raise CRSError(f"`{func}`: unsupported CRS {src.to_string()}.")
    elif not src.equals(CRS.from_epsg(4326)):
        _transform(pts, src)
        f.conversions.append(f"transformed from {src.to_string()} ({src.name}) to EPSG:4326")


def _refuse_projected_numbers(pts: _Points, t: _Table, *, name, func) -> None:
    """Raise when most valid coordinates cannot be degrees and no CRS says what they are."""
    v = pts.valid
    lon, lat = pts.lon, pts.lat
    # swapped lon/lat (lat > 90) are still degrees: reported per row by _check_ranges
    degree_like = ((np.abs(lon[v]) <= 180) & (np.abs(lat[v]) <= 90)) | ~coords.out_of_china(
        lat[v], lon[v], outline=False
    )
    if v.any() and degree_like.mean() < 0.5:
        i = int(np.flatnonzero(v)[0])
        raise CRSError(
            f"`{func}`: the coordinates in {name} look projected, not degrees (e.g. "
            f"x={lon[i]:.6g}, y={lat[i]:.6g} at {t.row_label} {t.labels[i]}), and no CRS is "
            "given. Pass crs=... (CLI: --crs), e.g. 'EPSG:32650' for UTM zone 50N or "
            "'EPSG:4547' for CGCS2000 / 3-degree Gauss-Kruger CM 114E."
        )


def _transform(pts: _Points, src: CRS) -> None:
    """Transform the valid points from ``src`` to EPSG:4326 (invalid ones are left as read)."""
    tr = Transformer.from_crs(src, 4326, always_xy=True)
    v = pts.valid
    plon, plat = tr.transform(np.where(v, pts.lon, np.nan), np.where(v, pts.lat, np.nan))
    pts.lon = np.where(v, plon, pts.lon)
    pts.lat = np.where(v, plat, pts.lat)


def _check_ranges(pts: _Points, t: _Table, f: _Findings, *, do_china: bool) -> list[Problem]:
    """``swapped`` (lat/lon order, when the China check is on) and ``out_of_range`` degrees."""
    lon, lat, valid, xcol, ycol = pts.lon, pts.lat, pts.valid, pts.xcol, pts.ycol
    xname = pts.name
    in_rect = ~coords.out_of_china(lon, lat, outline=False)
    swapped_in = ~coords.out_of_china(lat, lon, outline=False)
    oor = valid & ((np.abs(lon) > 180) | (np.abs(lat) > 90))
    swapped = valid & do_china & ~in_rect & swapped_in
    problems = [
        Problem(
            "swapped",
            i,
            f"{xname}/{pts.yname}" if xcol else xname,
            f"x={lon[i]:.6f}, y={lat[i]:.6f} looks like latitude/longitude swapped "
            "(the swapped point is in China)",
            value=f"{lon[i]:.6f}, {lat[i]:.6f}",
        )
        for i in np.flatnonzero(swapped)
    ]
    for i in np.flatnonzero(oor & ~swapped):
        col = xcol if abs(lon[i]) > 180 else ycol
        problems.append(
            Problem(
                "out_of_range",
                i,
                col or xname,
                f"longitude {lon[i]:.6g} / latitude {lat[i]:.6g} outside ±180 / ±90 degrees",
                value=f"{lon[i]:.6g}, {lat[i]:.6g}",
            )
        )
    if swapped.sum() > 0 and swapped.sum() >= 0.5 * valid.sum() and xcol is not None:
        f.notes.append(
            f"most points ({int(swapped.sum())} of {int(valid.sum())}) look swapped: "
            f"column {xcol!r} probably holds latitudes. Pass x={ycol!r}, y={xcol!r} "
            f"(CLI: --x '{ycol}' --y '{xcol}')."
        )
    return problems


def _apply_datum(pts: _Points, f: _Findings, datum: str) -> None:
    """GCJ-02 / BD-09 -> WGS 84 for the valid points, reported with the size of the shift."""
    v = pts.valid
    if datum == "wgs84" or not v.any():
        return
    wlon, wlat = coords.to_wgs84(pts.lon[v], pts.lat[v], datum=datum)
    from pyproj import Geod

    d = Geod(ellps="WGS84").inv(pts.lon[v], pts.lat[v], wlon, wlat)[2]
    pts.lon = pts.lon.copy()
    pts.lat = pts.lat.copy()
    pts.lon[v], pts.lat[v] = wlon, wlat
    f.conversions.append(
        f"{datum.upper()} -> WGS 84 applied to {int(v.sum())} point(s); "
        f"shift {np.mean(d):.0f} m on average ({np.min(d):.0f}-{np.max(d):.0f} m)"
    )


def _outside_problem(check: str, i: int, pts: _Points, where: str) -> Problem:
    lon, lat = pts.lon[i], pts.lat[i]
    return Problem(
        check,
        i,
        pts.name,
        f"({lon:.5f}, {lat:.5f}) is outside {where}",
        value=f"{lon:.6f}, {lat:.6f}",
    )


def _check_china(pts: _Points, f: _Findings, check_china) -> list[Problem]:
    """``outside_china``: China's rectangle, then its county polygons (or the given polygon)."""
    rect = coords.CHINA_RECT
    outside = pts.valid & coords.out_of_china(pts.lon, pts.lat, outline=False)
    problems = [
        _outside_problem(
            "outside_china",
            i,
            pts,
            f"China's bounding rectangle ({rect[0]}-{rect[2]}° E, {rect[1]}-{rect[3]}° N); pass "
            "check_china=False (CLI: --no-china-check) if that is intended",
        )
        for i in np.flatnonzero(outside)
    ]
    rest = pts.valid & ~outside
    if check_china is True:
        china = _shipped_china()
        tol, what = _CHINA_TOLERANCE_DEG, "China's county polygons (shipped layer)"
        if china is None:
            f.notes.append(
                "China check used the bounding rectangle only (the shipped county "
                "layer is not available)"
            )
    else:
        china = _as_polygons(check_china, "check_china polygon")
        tol, what = 0.0, "the given China polygon"
    if china is not None and rest.any():
        polys = china.geometry if isinstance(china, gpd.GeoDataFrame) else china
        out2 = np.zeros(len(pts.valid), bool)
        out2[rest] = _outside_polygons(pts.lon[rest], pts.lat[rest], polys, tol)
        where = (
            what + (f" (tolerance {tol}°)" if tol else "") + "; check the datum and the coordinates"
        )
        problems += [_outside_problem("outside_china", i, pts, where) for i in np.flatnonzero(out2)]
    return problems


def _check_boundary(pts: _Points, boundary) -> list[Problem]:
    """``outside_boundary``: valid points outside the study-area polygons."""
    polys = _as_polygons(boundary, "boundary")
    outb = np.zeros(len(pts.valid), bool)
    outb[pts.valid] = _outside_polygons(pts.lon[pts.valid], pts.lat[pts.valid], polys, 0.0)
    return [
        _outside_problem("outside_boundary", i, pts, "the given boundary")
        for i in np.flatnonzero(outb)
    ]


def _check_duplicates(
    t: _Table, pts: _Points, problems: list[Problem], *, duplicates: str
) -> list[Problem]:
    """``duplicate_row`` (always an error), then ``duplicate_point`` and ``duplicate_name``
    among the other rows (errors with ``duplicates="raise"``, else warnings).
    """
    dup_sev = "error" if duplicates == "raise" else "warning"
    found = _check_duplicate_rows(t, pts)
    dup_rows = {p.row for p in [*problems, *found] if p.check == "duplicate_row"}
    found += _check_duplicate_points(t, pts, dup_rows, severity=dup_sev)
    found += _check_duplicate_names(t, dup_rows, severity=dup_sev)
    return found


def _check_duplicate_rows(t: _Table, pts: _Points) -> list[Problem]:
    """``duplicate_row``: every column (and a geometry's location) equal to an earlier row."""
    if not len(t.df.columns):
        return []
    txt = _text(t.df)
    if t.geometry is not None and pts.xcol is None:
        txt = txt.assign(
            _lon=np.round(pts.lon, 9).astype(str), _lat=np.round(pts.lat, 9).astype(str)
        )
    row_hash = pd.util.hash_pandas_object(txt, index=False).to_numpy()
    first: dict = {}
    problems = []
    for i in np.flatnonzero(pd.Series(row_hash).duplicated(keep=False).to_numpy()):
        k = row_hash[i]
        if k in first:
            problems.append(
                Problem(
                    "duplicate_row",
                    i,
                    None,
                    f"every column equals {t.row_label} {t.labels[first[k]]}: the "
                    "village would be counted twice (the first is kept)",
                )
            )
        else:
            first[k] = i
    return problems


def _check_duplicate_points(
    t: _Table, pts: _Points, dup_rows: set, *, severity: str
) -> list[Problem]:
    """``duplicate_point``: the same location (and year) as another row."""
    attrs = t.df
    n = len(attrs)
    # the same village listed in several years (a multi-year layer) is not a duplicate point
    yr = _text(attrs[["year"]])["year"].tolist() if "year" in attrs.columns else [""] * n
    key = pd.Series(
        [
            f"{a:.7f},{b:.7f}" + (f" (year {y})" if y else "") if v else None
            for a, b, v, y in zip(pts.lon, pts.lat, pts.valid, yr)
        ]
    )
    cand = key[key.notna() & key.duplicated(keep=False)]
    groups = cand.groupby(cand).groups if len(cand) else {}
    problems = []
    for k, idx in groups.items():
        idx = [i for i in idx if i not in dup_rows]
        if len(idx) < 2:
            continue
        for i in idx:
            others = row_list([t.labels[j] for j in idx if j != i], 5)
            problems.append(
                Problem(
                    "duplicate_point",
                    i,
                    pts.name,
                    f"same location as {t.row_label} {others} ({len(idx)} rows "
                    f"at {k}; normal for villages placed at their town seat)",
                    severity=severity,
                    value=k,
                )
            )
    return problems


def _check_duplicate_names(t: _Table, dup_rows: set, *, severity: str) -> list[Problem]:
    """``duplicate_name``: the same village name within the same province/.../town (and year)."""
    attrs = t.df
    if "village" not in attrs.columns:
        return []
    keycols = [c for c in ("province", "city", "county", "town", "year") if c in attrs.columns]
    sub = _text(attrs[["village", *keycols]])
    dupe = sub.duplicated(keep=False) & attrs["village"].notna()
    within = "/".join(keycols) or "the file"
    problems = []
    for _, grp in sub[dupe].groupby(list(sub.columns)).groups.items():
        grp = [i for i in grp if i not in dup_rows]
        if len(grp) < 2:
            continue
        for i in grp:
            name = attrs["village"].iloc[i]
            problems.append(
                Problem(
                    "duplicate_name",
                    i,
                    "village",
                    f"village name {name!r} appears {len(grp)} times within the "
                    f"same {within} ({t.row_label} "
                    f"{row_list([t.labels[j] for j in grp], 5)})",
                    severity=severity,
                    value=name,
                )
            )
    return problems


_YEAR_TEXT = re.compile(r"^\s*(\d{4})\s*(?:\.0+)?\s*(?:年|年度)?\s*$")


def _parse_year(v) -> tuple[int | None, bool]:
    """``(year, rewritten)`` of one cell: 2016, 2016.0, '2016', '2016年' -> 2016 (None if not a
    year); ``rewritten`` is True for text other than the plain digits.
    """
    if isinstance(v, (bool, np.bool_)):
        return None, False
    if isinstance(v, (int, np.integer)):
        return int(v), False
    if isinstance(v, (float, np.floating)):
        return (int(v), False) if float(v).is_integer() else (None, False)
    m = _YEAR_TEXT.match(str(v))
    # '2016' in a text column is a plain year; '2016年' or '2016.0' is worth reporting
    return (int(m.group(1)), str(v).strip() != m.group(1)) if m else (None, False)


def _check_years(t: _Table, *, column: str = "year") -> tuple[list[Problem], list[str]]:
    """Check the ``year`` column: whole numbers in FIRST_YEAR..this year, '2016年' read as 2016.

    A typo such as 2106 would silently become "the latest year" of every trend; an empty cell is
    only a warning (the row belongs to no year). The column becomes integers (nullable ``Int64``
    when a cell is empty or bad). Returns ``(problems, conversions)``.
    """
    problems: list[Problem] = []
    if "year" not in t.df.columns:
        return problems, []
    import datetime

    last = datetime.datetime.now(datetime.UTC).year
    col = t.df["year"]
    parsed: list = []
    text_rows = []
    for i, v in enumerate(col.tolist()):
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or _blank(v):
            problems.append(
                Problem(
                    "missing_year",
                    i,
                    column,
                    "empty year: the row is counted in no year",
                    severity="warning",
                )
            )
            parsed.append(pd.NA)
            continue
        year, was_text = _parse_year(v)
        if year is None or not FIRST_YEAR <= year <= last:
            what = "not a year" if year is None else "outside the plausible years"
            problems.append(
                Problem(
                    "year",
                    i,
                    column,
                    f"{what}: {str(v)!r} (Taobao villages exist from "
                    f"{FIRST_YEAR} to {last}); a typo? Fix the year in the file",
                    value=str(v),
                )
            )
            year = None
        text_rows += [t.labels[i]] if was_text and year is not None else []
        parsed.append(pd.NA if year is None else year)
    # bad cells are errors (raised, or their rows dropped), so NA never reaches a statistic
    t.df["year"] = (
        pd.array(parsed, dtype="Int64")
        if any(p is pd.NA for p in parsed)
        else np.asarray(parsed, dtype="int64")
    )
    if not text_rows:
        return problems, []
    note = (
        f"{len(text_rows)} year value(s) written as text (e.g. '2016年') read as numbers "
        f"({t.row_label} {row_list(text_rows)})"
    )
    return problems, [note]


def _text(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text ('' for missing), for duplicate keys."""
    obj = df.astype(object)
    return obj.where(obj.notna(), "").astype(str)
