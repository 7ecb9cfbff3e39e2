"""The loader's checks on the rows of a table."""

from __future__ import annotations

import re
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
from .tables import _blank, _EmptyFile, _Table

ERROR_CHECKS = ("missing", "non_numeric", "out_of_range", "swapped", "outside_china",
                "outside_boundary", "geometry_type", "duplicate_row", "extra_fields", "year")
WARNING_CHECKS = ("duplicate_point", "duplicate_name", "datum_hint", "short_line",
                  "missing_year")
# Taobao villages were first identified in 2009 (AliResearch; the first named list, of 2013,
# covers villages from 2009 on); a list cannot be later than the current year
FIRST_YEAR = 2009


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------

def _check(source, *, x, y, crs, datum, encoding, layer, sheet, boundary, check_china,
           duplicates, on_invalid, func, ctx):
    """Read and check everything. Returns (table, lon, lat, valid_mask, report_fields)."""
    try:
        t, name = _read_source(source, x=x, y=y, encoding=encoding, layer=layer, sheet=sheet)
    except _EmptyFile as exc:
        return None, {"source": Path(source).name, "empty": str(exc)}
    n = len(t.df)
    problems = list(t.problems)
    conversions: list[str] = []
    notes = list(t.notes)

    # standard column names
    colmap = _standard_column_map(t.df.columns)
    coord_cols: tuple = (None, None)
    if t.geometry is None or x is not None:
        coord_cols = detect_coordinate_columns(t.df.columns, x=x, y=y)
    colmap = {k: v for k, v in colmap.items() if k not in coord_cols}
    orig_cols = list(t.df.columns)
    if colmap:
        t.df = t.df.rename(columns=colmap)

    base = {"source": name, "format": t.fmt, "encoding": t.encoding,
            "encoding_detected": t.encoding_detected, "row_label": t.row_label,
            "column_map": colmap, "datum": datum, "n_read": n, "notes": notes}
    ctx.update(base)
    if n == 0:
        return t, dict(base, empty=f"{name} has a header but no data rows.", x_col=coord_cols[0],
                       y_col=coord_cols[1], crs_in=None, notes=notes, problems=problems)

    _check_years(t, problems, conversions,
                 column=next((k for k, v in colmap.items() if v == "year"), "year"))

    # --- raw coordinates ------------------------------------------------------------------
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    valid = np.ones(n, bool)
    xcol, ycol = coord_cols
    combined = wkt_raw = None
    if t.geometry is None and x is None and coord_cols == (None, None):
        combined = _combined_column(t.df)
        wkt = _wkt_column(t.df) if combined is None else None
        if wkt is not None:
            import shapely

            geoms = shapely.from_wkt(t.df[wkt].where(t.df[wkt].notna(), None).to_numpy(),
                                     on_invalid="ignore")
            t.geometry = gpd.GeoSeries(geoms, name=wkt)
            wkt_raw = t.df[wkt]
            t.df = t.df.drop(columns=[wkt])
            conversions.append(f"geometry read from the WKT text in column {wkt!r}")
    if combined is not None:
        col, order = combined
        xcol = ycol = col
        xs, ys, miss, bad = _split_pairs(t.df[col], order)
        for i in np.flatnonzero(miss):
            problems.append((i, col, "error", "missing", None, "missing coordinate"))
        for i in np.flatnonzero(bad):
            v = str(t.df[col].iloc[i])
            problems.append((i, col, "error", "non_numeric", v,
                             f"not a '{order[0]},{order[1]}' pair of numbers: {v!r}"))
        lon, lat = xs, ys
        valid &= ~(miss | bad)
        src_crs = CRS.from_user_input(crs) if crs is not None else None
        conversions.append(f"column {col!r} split into longitude and latitude "
                           f"({order[0]},{order[1]} order"
                           + (", as Amap and Baidu write it)" if order[0] == "lng" else ")"))
        h = _datum_hint(col)
        if h is not None and h != datum:
            problems.append((None, col, "warning", "datum_hint", h,
                             f"the column name suggests {h.upper()} coordinates but "
                             f"datum={datum!r}; if they are {h.upper()}, pass datum='{h}' "
                             f"(CLI: --datum {h})"))
    elif xcol is not None or ycol is not None or t.geometry is None:
        for axis, col in (("x", xcol), ("y", ycol)):
            if col is None:
                other = orig_cols
                raise InputDataError(
                    f"`{func}`: no {'longitude / x' if axis == 'x' else 'latitude / y'} column "
                    f"found in {name}. Columns: {row_list(other, 30)}. Name it (e.g. 经度/lon "
                    f"and 纬度/lat) or pass {axis}='column name' (CLI: --{axis}).")
            if col not in t.df.columns:
                raise InputDataError(
                    f"`{func}`: column {col!r} not found in {name}. Columns: "
                    f"{row_list(orig_cols, 30)}.")
        vx, mx, bx, dx = _parse_coordinate(t.df[xcol])
        vy, my, by, dy = _parse_coordinate(t.df[ycol])
        for col, miss, bad, vals in ((xcol, mx, bx, t.df[xcol]), (ycol, my, by, t.df[ycol])):
            for i in np.flatnonzero(miss):
                problems.append((i, col, "error", "missing", None, "missing coordinate"))
            for i in np.flatnonzero(bad):
                problems.append((i, col, "error", "non_numeric", str(vals.iloc[i]),
                                 f"not a number: {str(vals.iloc[i])!r}"))
        if (dx | dy).any():
            rows = t.labels[dx | dy]
            conversions.append(f"{int((dx | dy).sum())} coordinate(s) in degree-minute-second "
                               f"notation converted to decimal degrees ({t.row_label} "
                               f"{row_list(rows)})")
        valid &= ~(mx | my | bx | by)
        lon, lat = vx, vy
        src_crs = CRS.from_user_input(crs) if crs is not None else None
        for col in (xcol, ycol):
            h = _datum_hint(col)
            if h is not None and h != datum:
                problems.append((None, col, "warning", "datum_hint", h,
                                 f"the column name suggests {h.upper()} coordinates but "
                                 f"datum={datum!r}; if they are {h.upper()}, pass datum='{h}' "
                                 f"(CLI: --datum {h})"))
                break
    else:
        geom = t.geometry
        src_crs = CRS.from_user_input(crs) if crs is not None else geom.crs
        if crs is not None and geom.crs is not None and not CRS.from_user_input(crs).equals(geom.crs):
            notes.append(f"crs={CRS.from_user_input(crs).to_string()} given: it replaces the "
                         f"file's {geom.crs.to_string()}")
        gcol = t.geometry.name or "geometry"
        isna = geom.isna().to_numpy() | geom.is_empty.to_numpy()
        types = geom.geom_type.to_numpy()
        single_mp = np.zeros(n, bool)
        if (types == "MultiPoint").any():
            import shapely

            single_mp = (types == "MultiPoint") & (shapely.get_num_geometries(geom.values) == 1)
            types = np.where(single_mp, "Point", types)
            if single_mp.any():
                conversions.append(f"{int(single_mp.sum())} one-part MultiPoint(s) read as Point")
        for i in np.flatnonzero(isna):
            raw = None if wkt_raw is None else wkt_raw.iloc[i]
            if raw is not None and not (isinstance(raw, float) and np.isnan(raw)):
                problems.append((i, gcol, "error", "geometry_type", str(raw)[:60],
                                 f"not valid WKT: {str(raw)[:60]!r}"))
            else:
                problems.append((i, gcol, "error", "missing", None, "missing or empty geometry"))
        badtype = ~isna & (types != "Point")
        for i in np.flatnonzero(badtype):
            problems.append((i, gcol, "error", "geometry_type", types[i],
                             f"{types[i]} geometry; village points are needed (use "
                             "gdf.representative_point() for polygons, explode() for MultiPoints)"))
        ok = ~isna & ~badtype
        valid &= ok
        if ok.any():
            import shapely

            pts = geom.values.copy()
            if single_mp.any():
                pts[single_mp] = shapely.get_geometry(pts[single_mp], 0)
            lon[ok] = shapely.get_x(pts[ok])
            lat[ok] = shapely.get_y(pts[ok])
            finite = np.isfinite(lon) & np.isfinite(lat)
            for i in np.flatnonzero(ok & ~finite):
                problems.append((i, gcol, "error", "missing", None, "NaN coordinates"))
            valid &= finite

    # file-name datum hint (or the datum a DataFrame says it is in, e.g. after convert_geometry)
    if name.startswith("<"):
        h = getattr(source, "attrs", {}).get("datum")
        h = coords.normalize_datum(h) if isinstance(h, str) and h.lower() in coords._ALIASES else None
    else:
        h = _datum_hint(Path(name).stem)
    if h is not None and h != datum:
        problems.append((None, None, "warning", "datum_hint", h,
                         f"the file name suggests {h.upper()} coordinates but datum={datum!r}; "
                         f"if they are {h.upper()}, pass datum='{h}' (CLI: --datum {h})"))

    # --- CRS ----------------------------------------------------------------------------------
    if src_crs is None:
        v = valid
        # swapped lon/lat (lat > 90) are still degrees: reported per row below
        degree_like = ((np.abs(lon[v]) <= 180) & (np.abs(lat[v]) <= 90)) | ~coords.out_of_china(
            lat[v], lon[v])
        if v.any() and degree_like.mean() < 0.5:
            i = int(np.flatnonzero(v)[0])
            raise CRSError(
                f"`{func}`: the coordinates in {name} look projected, not degrees (e.g. "
                f"x={lon[i]:.6g}, y={lat[i]:.6g} at {t.row_label} {t.labels[i]}), and no CRS is "
                "given. Pass crs=... (CLI: --crs), e.g. 'EPSG:32650' for UTM zone 50N or "
                "'EPSG:4547' for CGCS2000 / 3-degree Gauss-Kruger CM 114E.")
        src_crs = CRS.from_epsg(4326)
        notes.append("no CRS given: coordinates read as longitude/latitude degrees (EPSG:4326)")
    if src_crs.is_projected:
        if datum != "wgs84":
            raise TaobaoGeoError(
                f"`{func}`: datum={datum!r} applies to longitude/latitude degrees, but the input "
                f"CRS {src_crs.to_string()} is projected. GCJ-02/BD-09 shifts are defined on "
                "degrees only: reproject to EPSG:4326 first, or drop datum=.")
        tr = Transformer.from_crs(src_crs, 4326, always_xy=True)
        plon, plat = tr.transform(np.where(valid, lon, np.nan), np.where(valid, lat, np.nan))
        conversions.append(f"reprojected from {src_crs.to_string()} ({src_crs.name}) to "
                           "EPSG:4326")
        lon = np.where(valid, plon, lon)
        lat = np.where(valid, plat, lat)
        bad = valid & ~(np.isfinite(lon) & np.isfinite(lat))
        for i in np.flatnonzero(bad):
            problems.append((i, xcol, "error", "out_of_range", None,
                             f"cannot be transformed from {src_crs.to_string()}"))
        valid &= ~bad
    elif not src_crs.is_geographic:
        raise CRSError(f"`{func}`: unsupported CRS {src_crs.to_string()}.")
    elif not src_crs.equals(CRS.from_epsg(4326)):
        tr = Transformer.from_crs(src_crs, 4326, always_xy=True)
        plon, plat = tr.transform(np.where(valid, lon, np.nan), np.where(valid, lat, np.nan))
        lon = np.where(valid, plon, lon)
        lat = np.where(valid, plat, lat)
        conversions.append(f"transformed from {src_crs.to_string()} ({src_crs.name}) to EPSG:4326")

    # --- ranges and swaps (in degrees) ------------------------------------------------------
    xname = xcol or (t.geometry.name if t.geometry is not None else None)
    yname = ycol or xname
    rect = coords.CHINA_RECT
    in_rect = ~coords.out_of_china(lon, lat)
    swapped_in = ~coords.out_of_china(lat, lon)
    oor = valid & ((np.abs(lon) > 180) | (np.abs(lat) > 90))
    do_china = check_china is not False and check_china is not None
    swapped = valid & do_china & ~in_rect & swapped_in
    for i in np.flatnonzero(swapped):
        problems.append((i, f"{xname}/{yname}" if xcol else xname, "error", "swapped",
                         f"{lon[i]:.6f}, {lat[i]:.6f}",
                         f"x={lon[i]:.6f}, y={lat[i]:.6f} looks like latitude/longitude swapped "
                         "(the swapped point is in China)"))
    for i in np.flatnonzero(oor & ~swapped):
        col = xcol if abs(lon[i]) > 180 else ycol
        problems.append((i, col or xname, "error", "out_of_range", f"{lon[i]:.6g}, {lat[i]:.6g}",
                         f"longitude {lon[i]:.6g} / latitude {lat[i]:.6g} outside ±180 / ±90 "
                         "degrees"))
    if swapped.sum() > 0 and swapped.sum() >= 0.5 * valid.sum() and xcol is not None:
        notes.append(f"most points ({int(swapped.sum())} of {int(valid.sum())}) look swapped: "
                     f"column {xcol!r} probably holds latitudes. Pass x={ycol!r}, y={xcol!r} "
                     f"(CLI: --x '{ycol}' --y '{xcol}').")
    valid &= ~(oor | swapped)

    # --- datum --------------------------------------------------------------------------------
    if datum != "wgs84" and valid.any():
        wlon, wlat = coords.to_wgs84(lon[valid], lat[valid], datum=datum)
        from pyproj import Geod

        d = Geod(ellps="WGS84").inv(lon[valid], lat[valid], wlon, wlat)[2]
        lon = lon.copy()
        lat = lat.copy()
        lon[valid], lat[valid] = wlon, wlat
        conversions.append(f"{datum.upper()} -> WGS 84 applied to {int(valid.sum())} point(s); "
                           f"shift {np.mean(d):.0f} m on average ({np.min(d):.0f}-{np.max(d):.0f} m)")

    # --- China and boundary -------------------------------------------------------------------
    if do_china and valid.any():
        outside = valid & coords.out_of_china(lon, lat)
        for i in np.flatnonzero(outside):
            problems.append((i, xname, "error", "outside_china", f"{lon[i]:.6f}, {lat[i]:.6f}",
                             f"({lon[i]:.5f}, {lat[i]:.5f}) is outside China's bounding rectangle "
                             f"({rect[0]}-{rect[2]}° E, {rect[1]}-{rect[3]}° N); pass "
                             "check_china=False (CLI: --no-china-check) if that is intended"))
        rest = valid & ~outside
        if check_china is True:
            china = _shipped_china()
            tol = _CHINA_TOLERANCE_DEG
            what = "China's county polygons (shipped layer)"
            if china is None:
                notes.append("China check used the bounding rectangle only (the shipped county "
                             "layer is not available)")
        else:
            china = _as_polygons(check_china, "check_china polygon")
            tol, what = 0.0, "the given China polygon"
        if china is not None and rest.any():
            polys = china.geometry if isinstance(china, gpd.GeoDataFrame) else china
            out2 = np.zeros(n, bool)
            out2[rest] = _outside_polygons(lon[rest], lat[rest], polys, tol)
            for i in np.flatnonzero(out2):
                problems.append((i, xname, "error", "outside_china", f"{lon[i]:.6f}, {lat[i]:.6f}",
                                 f"({lon[i]:.5f}, {lat[i]:.5f}) is outside {what}"
                                 + (f" (tolerance {tol}°)" if tol else "")
                                 + "; check the datum and the coordinates"))
            outside |= out2
        valid &= ~outside
    if boundary is not None and valid.any():
        polys = _as_polygons(boundary, "boundary")
        outb = np.zeros(n, bool)
        outb[valid] = _outside_polygons(lon[valid], lat[valid], polys, 0.0)
        for i in np.flatnonzero(outb):
            problems.append((i, xname, "error", "outside_boundary", f"{lon[i]:.6f}, {lat[i]:.6f}",
                             f"({lon[i]:.5f}, {lat[i]:.5f}) is outside the given boundary"))
        valid &= ~outb

    # --- duplicates ---------------------------------------------------------------------------
    dup_sev = "error" if duplicates == "error" else "warning"
    attrs = t.df
    if len(attrs.columns):
        txt = _text(attrs)
        if t.geometry is not None and xcol is None:
            txt = txt.assign(_lon=np.round(lon, 9).astype(str), _lat=np.round(lat, 9).astype(str))
        row_hash = pd.util.hash_pandas_object(txt, index=False).to_numpy()
        first: dict = {}
        for i in np.flatnonzero(pd.Series(row_hash).duplicated(keep=False).to_numpy()):
            k = row_hash[i]
            if k in first:
                problems.append((i, None, "error", "duplicate_row", None,
                                 f"every column equals {t.row_label} {t.labels[first[k]]}: the "
                                 "village would be counted twice (the first is kept)"))
            else:
                first[k] = i
    dup_rows = {p[0] for p in problems if p[3] == "duplicate_row"}
    # the same village listed in several years (a multi-year layer) is not a duplicate point
    yr = _text(attrs[["year"]])["year"].tolist() if "year" in attrs.columns else [""] * n
    key = pd.Series([f"{a:.7f},{b:.7f}" + (f" (year {y})" if y else "") if v else None
                     for a, b, v, y in zip(lon, lat, valid, yr)])
    cand = key[key.notna() & key.duplicated(keep=False)]
    groups = cand.groupby(cand).groups if len(cand) else {}
    for k, idx in groups.items():
        idx = [i for i in idx if i not in dup_rows]
        if len(idx) > 1:
            others = lambda i: row_list([t.labels[j] for j in idx if j != i], 5)  # noqa: E731
            for i in idx:
                problems.append((i, xname, dup_sev, "duplicate_point", k,
                                 f"same location as {t.row_label} {others(i)} ({len(idx)} rows at "
                                 f"{k}; normal for villages placed at their town seat)"))
    if "village" in attrs.columns:
        keycols = [c for c in ("province", "city", "county", "town", "year") if c in attrs.columns]
        sub = _text(attrs[["village", *keycols]])
        names_ok = attrs["village"].notna()
        dupe = sub.duplicated(keep=False) & names_ok
        for _, grp in sub[dupe].groupby(list(sub.columns)).groups.items():
            grp = [i for i in grp if i not in dup_rows]
            if len(grp) < 2:
                continue
            for i in grp:
                within = ("/".join(keycols) or "the file")
                problems.append((i, "village", dup_sev, "duplicate_name", attrs["village"].iloc[i],
                                 f"village name {attrs['village'].iloc[i]!r} appears "
                                 f"{len(grp)} times within the same {within} ({t.row_label} "
                                 f"{row_list([t.labels[j] for j in grp], 5)})"))

    fields = dict(base, x_col=xcol, y_col=ycol, crs_in=src_crs.to_string(), notes=notes,
                  conversions=conversions, problems=problems)
    return t, dict(fields, lon=lon, lat=lat)


_YEAR_TEXT = re.compile(r"^\s*(\d{4})\s*(?:\.0+)?\s*(?:年|年度)?\s*$")


def _parse_year(v) -> tuple[int | None, bool]:
    """``(year, rewritten)`` of one cell: 2016, 2016.0, '2016', '2016年' -> 2016 (None if not a
    year); ``rewritten`` is True for text other than the plain digits."""
    if isinstance(v, (bool, np.bool_)):
        return None, False
    if isinstance(v, (int, np.integer)):
        return int(v), False
    if isinstance(v, (float, np.floating)):
        return (int(v), False) if float(v).is_integer() else (None, False)
    m = _YEAR_TEXT.match(str(v))
    # '2016' in a text column is a plain year; '2016年' or '2016.0' is worth reporting
    return (int(m.group(1)), str(v).strip() != m.group(1)) if m else (None, False)


def _check_years(t: _Table, problems: list, conversions: list, *, column: str = "year") -> None:
    """Check the ``year`` column: whole numbers in FIRST_YEAR..this year, '2016年' read as 2016.

    A typo such as 2106 would silently become "the latest year" of every trend; an empty cell is
    only a warning (the row belongs to no year). The column becomes integers (nullable ``Int64``
    when a cell is empty or bad).
    """
    if "year" not in t.df.columns:
        return
    import datetime

    last = datetime.datetime.now(datetime.timezone.utc).year
    col = t.df["year"]
    parsed: list = []
    text_rows = []
    for i, v in enumerate(col.tolist()):
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or _blank(v):
            problems.append((i, column, "warning", "missing_year", None,
                             "empty year: the row is counted in no year"))
            parsed.append(pd.NA)
            continue
        year, was_text = _parse_year(v)
        if year is None or not FIRST_YEAR <= year <= last:
            what = "not a year" if year is None else "outside the plausible years"
            problems.append((i, column, "error", "year", str(v),
                             f"{what}: {str(v)!r} (Taobao villages exist from {FIRST_YEAR} to "
                             f"{last}); a typo? Fix the year in the file"))
            year = None
        text_rows += [t.labels[i]] if was_text and year is not None else []
        parsed.append(pd.NA if year is None else year)
    # bad cells are errors (raised, or their rows dropped), so NA never reaches a statistic
    t.df["year"] = (pd.array(parsed, dtype="Int64") if any(p is pd.NA for p in parsed)
                    else np.asarray(parsed, dtype="int64"))
    if text_rows:
        conversions.append(f"{len(text_rows)} year value(s) written as text (e.g. '2016年') read "
                           f"as numbers ({t.row_label} {row_list(text_rows)})")


def _text(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text ('' for missing), for duplicate keys."""
    obj = df.astype(object)
    return obj.where(obj.notna(), "").astype(str)
