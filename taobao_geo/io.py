"""Loading village points from whatever file a researcher has, with a report of every problem.

``read_villages`` reads CSV/TXT, Excel (.xlsx), Shapefile (also zipped), GeoPackage, GeoJSON,
GeoParquet (or plain Parquet with coordinate columns) or an existing (Geo)DataFrame and returns a GeoDataFrame
of points in WGS 84 (EPSG:4326). ``validate_villages`` runs the same checks and returns the
:class:`LoadReport` without raising on data problems.

What is detected, and reported in ``gdf.attrs["load_report"]``:

* the **format** (from the extension) and the **text encoding** of CSV files and of shapefile
  DBFs without a ``.cpg`` (UTF-8, UTF-8 with BOM, GBK/GB18030 -- Chinese Excel exports CSV in GBK);
* the **coordinate columns**, English or Chinese (lon/lng/longitude/x/经度/东经, lat/latitude/y/
  纬度/北纬, with datum prefixes such as ``gcj02_lng`` or ``经度(高德)``), or the geometry of a
  spatial file; ``x=``/``y=`` override the detection;
* a **header row** below a title row (common in Chinese spreadsheets: "2016年淘宝村名单" on row 1);
* Chinese **attribute names** mapped to the standard ones where unambiguous (村名 -> village,
  乡镇 -> town, 区县 -> county, 年份 -> year, ...);
* coordinates in degree-minute-second notation (``115°32'24"``), a single ``"lng,lat"`` text
  column (Amap's ``location`` field, ``经纬度``) or a WKT column (QGIS CSV export), converted
  and reported;
* the **datum**: ``datum="gcj02"`` (Amap, Tencent) or ``"bd09"`` (Baidu) is converted to WGS 84
  with :mod:`taobao_geo.coords` and the mean shift is reported; file or column names that
  suggest another datum than the one given produce a warning.

Checks, by row (row numbers are those the user sees: CSV/TXT ``line`` in the file, Excel
``row`` in the sheet, ``fid`` of a spatial file (as QGIS/ArcGIS show it), or the DataFrame
``index``):

=================  ========  ===============================================================
check              severity  meaning
=================  ========  ===============================================================
missing            error     empty/NA coordinate or geometry
non_numeric        error     a coordinate that is not a number
out_of_range       error     ``|lon| > 180`` or ``|lat| > 90`` (degrees)
swapped            error     lon/lat outside China but lat/lon inside: columns or values swapped
outside_china      error     WGS 84 point outside China (``check_china=True``)
outside_boundary   error     point outside ``boundary``
geometry_type      error     a non-point geometry in a spatial file, or invalid WKT text
duplicate_row      error     every column equal to an earlier row: the village would count twice
extra_fields       error     a CSV line with more fields than the header
year               error     a ``year`` that is not a whole number, or outside 2009 (the first
                             Taobao villages) .. the current year: a typo such as 2106 would
                             otherwise become "the latest year"; ``2016年`` is read as 2016
missing_year       warning   an empty ``year`` cell (the row is in no year's counts)
duplicate_point    warning   same location as another row (legitimate for villages placed at
                             their town seat, so not an error unless ``duplicates="error"``)
duplicate_name     warning   same village name in the same county/town (and year)
datum_hint         warning   the file or column name suggests another datum than ``datum``
short_line         warning   a CSV line with fewer fields than the header (padded with blanks)
empty              error     (file level) no data rows
file               error     (file level, ``validate_villages`` only) the file cannot be used:
                             no coordinate columns, unreadable, projected numbers without a CRS
=================  ========  ===============================================================

Errors stop ``read_villages`` with an :class:`~taobao_geo.InputDataError` listing each offending
row and column, unless ``on_invalid="drop"``, which drops exactly those rows and reports them
(``report.dropped``). Warnings never drop a row; they are listed in the report and summarised
in one :class:`InputDataWarning`. Rows are never changed silently, and the input file is only read.
"""

from __future__ import annotations

import codecs
import csv
import io as _stdio
import re
import sys
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer

from . import coords
from ._errors import CRSError, InputDataError, TaobaoGeoError
from ._results import ResultMixin, jsonable
from ._validate import check_choice, row_list

__all__ = [
    "FORMATS",
    "InputDataWarning",
    "LoadReport",
    "detect_coordinate_columns",
    "detect_encoding",
    "read_villages",
    "validate_villages",
]

FORMATS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv",
    ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel",
    ".shp": "shapefile", ".gpkg": "geopackage", ".geojson": "geojson", ".json": "geojson",
    ".parquet": "parquet", ".geoparquet": "parquet",
    ".zip": "zipped shapefile",
}
ERROR_CHECKS = ("missing", "non_numeric", "out_of_range", "swapped", "outside_china",
                "outside_boundary", "geometry_type", "duplicate_row", "extra_fields", "year")
WARNING_CHECKS = ("duplicate_point", "duplicate_name", "datum_hint", "short_line",
                  "missing_year")
# Taobao villages were first identified in 2009 (AliResearch; the first named list, of 2013,
# covers villages from 2009 on); a list cannot be later than the current year
FIRST_YEAR = 2009
_PROBLEM_COLUMNS = ["row", "column", "severity", "check", "value", "message"]


class InputDataWarning(UserWarning):
    """Data-quality findings that do not stop loading (duplicates, datum hints)."""


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoadReport(ResultMixin):
    """What ``read_villages`` / ``validate_villages`` detected, converted, found and dropped.

    Attributes
    ----------
    source : str
        File name (or ``"<DataFrame>"``).
    format : str
        ``csv``, ``excel``, ``shapefile``, ``geopackage``, ``geojson``, ``parquet``, ``dataframe``.
    encoding : str or None
        Text encoding used (CSV, shapefile DBF); ``encoding_detected`` says whether it was guessed.
    row_label : str
        What the ``row`` numbers in ``problems`` mean: ``line`` (CSV line in the file, header
        included), ``row`` (Excel row), ``fid`` (feature id of a spatial file), ``index``.
    x_col, y_col : str or None
        Coordinate columns used (None when the geometry was used).
    crs_in : str
        CRS of the input coordinates.
    datum : str
        Datum of the input coordinates (``wgs84``, ``gcj02``, ``bd09``).
    conversions : tuple of str
        Every change applied to coordinates (datum shift with its mean size in metres,
        reprojection, DMS parsing).
    column_map : dict
        Columns renamed to the standard names (original -> new).
    n_read, n_kept : int
        Data rows read, and rows in the returned layer.
    problems : DataFrame
        One row per problem: ``row``, ``column``, ``severity`` (error/warning), ``check``,
        ``value``, ``message``. File-level problems have ``row`` = None.
    dropped : DataFrame
        Rows dropped with ``on_invalid="drop"``: ``row`` and ``reasons``.
    """

    source: str
    format: str
    encoding: str | None
    encoding_detected: bool
    row_label: str
    x_col: str | None
    y_col: str | None
    crs_in: str | None
    datum: str
    conversions: tuple = ()
    column_map: dict = field(default_factory=dict)
    notes: tuple = ()
    n_read: int = 0
    n_kept: int = 0
    on_invalid: str = "raise"
    problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_PROBLEM_COLUMNS),
                                   repr=False)
    dropped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["row", "reasons"]),
                                  repr=False)

    @property
    def errors(self) -> pd.DataFrame:
        return self.problems[self.problems["severity"] == "error"]

    @property
    def warnings(self) -> pd.DataFrame:
        return self.problems[self.problems["severity"] == "warning"]

    @property
    def n_errors(self) -> int:
        return int((self.problems["severity"] == "error").sum())

    @property
    def n_warnings(self) -> int:
        return int((self.problems["severity"] == "warning").sum())

    @property
    def ok(self) -> bool:
        """True when there is no error-level problem."""
        return self.n_errors == 0

    def to_frame(self) -> pd.DataFrame:
        """The problems table (one row per problem)."""
        return self.problems.copy()

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["n_errors"] = self.n_errors
        out["n_warnings"] = self.n_warnings
        out["problems"] = jsonable(self.problems.astype(object).where(self.problems.notna(), None)
                                   .to_dict(orient="records"))
        out["dropped"] = jsonable(self.dropped.to_dict(orient="records"))
        return out

    def summary(self, *, max_warnings: int | None = 20) -> str:
        """Plain-language report: detection, conversions, then every error and the first
        ``max_warnings`` warnings (None: all; the full list is ``to_frame()``)."""
        lines = [f"Source: {self.source} ({self.format}"
                 + (f", encoding {self.encoding}"
                    + (" (detected)" if self.encoding_detected else " (given)")
                    if self.encoding else "") + ")"]
        if self.x_col is not None:
            lines.append(f"Coordinates: x = column {self.x_col!r}, y = column {self.y_col!r}")
        else:
            lines.append("Coordinates: from the geometry")
        lines.append(f"Input CRS: {self.crs_in}; datum: {self.datum}; output: WGS 84 (EPSG:4326)")
        for c in self.conversions:
            lines.append(f"Converted: {c}")
        if self.column_map:
            lines.append("Columns renamed: " + ", ".join(f"{k!r} -> {v!r}"
                                                         for k, v in self.column_map.items()))
        lines.extend(f"Note: {n}" for n in self.notes)
        lines.append(f"Rows: {self.n_read} read, {self.n_kept} kept"
                     + (f", {len(self.dropped)} dropped" if len(self.dropped) else ""))
        lines.append(f"Problems: {self.n_errors} error(s), {self.n_warnings} warning(s)"
                     + ("" if len(self.problems) else " -- all rows valid"))
        shown_w = 0
        for rec in self.problems.itertuples(index=False):
            if rec.severity == "warning":
                shown_w += 1
                if max_warnings is not None and shown_w > max_warnings:
                    lines.append(f"  … and {self.n_warnings - max_warnings} more warning(s) "
                                 "(all of them: report.to_frame(), or `taobao-geo validate`)")
                    break
            where = f"{self.row_label} {rec.row}" if rec.row is not None and not (
                isinstance(rec.row, float) and np.isnan(rec.row)) else "file"
            col = f", column {rec.column!r}" if isinstance(rec.column, str) and rec.column else ""
            lines.append(f"  [{rec.severity}] {where}{col}: {rec.message}")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Encodings
# --------------------------------------------------------------------------------------------

def detect_encoding(data: bytes) -> str:
    """Guess the text encoding of ``data``: ``utf-8-sig``, ``utf-16``, ``utf-8`` or ``gb18030``.

    GB18030 is the superset of GBK and GB2312 that Chinese Windows (Excel "CSV") writes, so it
    decodes all of them. Raises :class:`InputDataError` when none fits.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    for enc in ("utf-8", "gb18030"):
        try:
            data.decode(enc)
        except UnicodeDecodeError:
            continue
        return enc
    raise InputDataError(
        "Could not detect the text encoding (tried UTF-8, UTF-8 with BOM, UTF-16, GBK/GB18030). "
        "Pass encoding=..., e.g. encoding='big5', or save the file as UTF-8."
    )


_UTF8_BOM = b"\xef\xbb\xbf"


def _drop_foreign_bom(data: bytes, encoding: str | None) -> tuple[bytes, str | None, str | None]:
    """Remove a UTF-8 byte-order mark that sits before text in another encoding.

    Editors and some export scripts put the UTF-8 mark in front of GBK text; decoding the
    whole file as GBK then garbles the first column name, and as UTF-8 it fails. Returns
    ``(data, encoding, note)``: the encoding is the detected one when none was given.
    """
    if not data.startswith(_UTF8_BOM):
        return data, encoding, None
    body = data[len(_UTF8_BOM):]
    if encoding is None:
        try:
            body.decode("utf-8")
            return data, "utf-8-sig", None
        except UnicodeDecodeError:
            encoding = detect_encoding(body)
    elif codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        return data, encoding, None
    return body, encoding, (f"the file starts with a UTF-8 byte-order mark but its text is "
                            f"{encoding}: the mark was ignored")


def _decode(data: bytes, encoding: str | None, source: str) -> tuple[str, str, bool, str | None]:
    """Text of ``data`` -> ``(text, encoding, detected, note)``; note says when a BOM was dropped."""
    detected = encoding is None
    try:
        data, enc, note = _drop_foreign_bom(data, encoding)
    except LookupError as exc:
        raise InputDataError(f"{source}: unknown encoding {encoding!r} ({exc}). Use e.g. 'gbk', "
                             "'gb18030', 'utf-8' or 'big5'.") from exc
    if enc is None:
        enc = detect_encoding(data)
    try:
        text = data.decode(enc)
    except (UnicodeDecodeError, LookupError) as exc:
        guess = None
        try:
            guess = detect_encoding(data)
        except InputDataError:
            pass
        raise InputDataError(
            f"{source}: cannot decode the file as {enc!r} ({exc})."
            + (f" It looks like {guess!r}: pass encoding={guess!r} (CLI: --encoding {guess}) "
               "or leave encoding=None to detect." if guess else "")
        ) from exc
    return text.lstrip("\ufeff"), enc, detected, note


_DBF_LDID = {0x4D: "cp936", 0x7A: "cp936", 0x4E: "cp949", 0x4F: "cp950", 0x57: None}


def _dbf_encoding(shp: Path) -> tuple[str | None, str]:
    """Encoding of a shapefile's DBF when no .cpg says it: LDID byte, else decode the records."""
    dbf = next((p for p in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if p.exists()), None)
    if dbf is None:
        return None, "no .dbf"
    raw = dbf.read_bytes()
    if len(raw) < 32:
        return None, "DBF too short"
    ldid = raw[29]
    if _DBF_LDID.get(ldid):
        return _DBF_LDID[ldid], f"DBF language driver id 0x{ldid:02X}"
    header_len = int.from_bytes(raw[8:10], "little")
    body = raw[header_len:]
    if all(b < 0x80 for b in body):
        return "utf-8", "DBF text is plain ASCII"
    return detect_encoding(body), "DBF text decoded without a .cpg"


# --------------------------------------------------------------------------------------------
# Column names
# --------------------------------------------------------------------------------------------

_SEP = re.compile(r"[\s_\-\.·:/\\,，、（）()\[\]【】{}<>《》]+")
_DATUM_TOKENS = {
    "gcj02": ("gcj02", "gcj", "gcj-02", "mars", "amap", "gaode", "tencent", "高德", "火星", "腾讯"),
    "bd09": ("bd09", "bd09ll", "bd", "baidu", "百度"),
    "wgs84": ("wgs84", "wgs", "gps", "cgcs2000", "2000"),
}
_NOISE_TOKENS = {"坐标", "coord", "coords", "coordinate", "deg", "degree", "degrees", "dd", "度"}
_LON_EXACT = ("longitude", "lon", "lng", "long", "经度", "东经", "经度坐标")
_LAT_EXACT = ("latitude", "lat", "纬度", "北纬", "纬度坐标")
_X_EXACT = ("x", "xcoord", "xcoordinate", "pointx", "coordx", "x坐标", "横坐标", "easting")
_Y_EXACT = ("y", "ycoord", "ycoordinate", "pointy", "coordy", "y坐标", "纵坐标", "northing")

STANDARD_COLUMNS = {
    "village": ("village", "villagename", "村", "村名", "村庄", "村庄名称", "村名称", "行政村",
                "行政村名称", "淘宝村", "淘宝村名称", "村委会", "村居"),
    "town": ("town", "townname", "township", "镇", "乡镇", "乡镇名称", "镇名", "乡镇街道", "镇街",
             "街道", "所属乡镇", "乡镇街道名称", "镇街道"),
    "county": ("county", "countyname", "县", "区县", "县区", "县市区", "县市", "所属县",
               "所属区县", "区县名称", "县区名称", "县名"),
    "city": ("city", "cityname", "prefecture", "市", "地级市", "城市", "所属地市", "地市", "市州"),
    "province": ("province", "provincename", "省", "省份", "所属省份", "省区市", "省市区"),
    "year": ("year", "年份", "年度", "年", "入选年份", "认定年份"),
    "products": ("products", "mainproducts", "product", "主营产品", "主要产品", "产品", "主营",
                 "主营品类"),
}


def _tokens(name: Any) -> list[str]:
    s = str(name).strip().lstrip("\ufeff").lower()
    return [t for t in _SEP.split(s) if t]


def _datum_hint(name: Any) -> str | None:
    s = str(name).lower()
    toks = set(_tokens(name))
    for datum, keys in _DATUM_TOKENS.items():
        for k in keys:
            if k in toks or (not k.isascii() and k in s):
                return datum
        # tokens glued to a name, e.g. "lng_gcj02" is split but "gcj02lng" is not
        if any(k.isascii() and len(k) >= 4 and k in s.replace("_", "") for k in keys):
            return datum
    return None


def _core(name: Any) -> str:
    """The name without separators, datum and noise words: '经度(高德)' -> '经度', 'gcj02_lng' -> 'lng'."""
    toks = [t for t in _tokens(name)
            if t not in {k for ks in _DATUM_TOKENS.values() for k in ks} and t not in _NOISE_TOKENS]
    s = "".join(toks)
    for ks in _DATUM_TOKENS.values():
        for k in ks:
            if not k.isascii():
                s = s.replace(k, "")
    for k in ("坐标", "wgs84", "gcj02", "bd09"):
        if s not in ("x坐标", "y坐标", "横坐标", "纵坐标", "经度坐标", "纬度坐标"):
            s = s.replace(k, "") if s != k else s
    return s


def _coordinate_tier(name: Any, axis: str) -> int | None:
    """0 = clear longitude/latitude name, 1 = contains one, 2 = x/y name; None = not a candidate."""
    if "".join(_tokens(name)) in _PAIR_NAMES:  # '经纬度' holds both: see _combined_column
        return None
    core = _core(name)
    exact, xy, zh, en = ((_LON_EXACT, _X_EXACT, ("经度", "东经"), ("longitude", "lng", "lon"))
                         if axis == "x" else
                         (_LAT_EXACT, _Y_EXACT, ("纬度", "北纬"), ("latitude", "lat")))
    if core in exact:
        return 0
    toks = set(_tokens(name))
    if any(z in str(name) for z in zh) or any(e in toks for e in en) or (
            en[0] in core):
        return 1
    if core in xy:
        return 2
    return None


def detect_coordinate_columns(columns, *, x: str | None = None, y: str | None = None):
    """Pick the longitude/x and latitude/y columns among ``columns``.

    Returns ``(x_col, y_col)``; either may be None when nothing fits. Raises
    :class:`InputDataError` when a name is ambiguous (several equally good candidates).
    """
    cols = [c for c in columns if str(c).lower() not in ("geometry", "geom")]
    found = {}
    for axis, given in (("x", x), ("y", y)):
        if given is not None:
            found[axis] = given
            continue
        tiers = {c: _coordinate_tier(c, axis) for c in cols}
        tiers = {c: t for c, t in tiers.items() if t is not None}
        if not tiers:
            found[axis] = None
            continue
        best = min(tiers.values())
        cands = [c for c, t in tiers.items() if t == best]
        if len(cands) > 1:
            what = "longitude / x" if axis == "x" else "latitude / y"
            raise InputDataError(
                f"Several columns could be the {what} coordinate: {row_list(cands)}. "
                f"Say which one with {axis}='{cands[0]}' (CLI: --{axis} '{cands[0]}')."
            )
        found[axis] = cands[0]
    return found["x"], found["y"]


def _standard_column_map(columns) -> dict:
    cols = list(columns)
    mapping = {}
    for target, names in STANDARD_COLUMNS.items():
        if target in cols:
            continue
        hits = [c for c in cols if c not in mapping and "".join(_tokens(c)) in names]
        if len(hits) == 1:
            mapping[hits[0]] = target
    return mapping


# --------------------------------------------------------------------------------------------
# Coordinates in text
# --------------------------------------------------------------------------------------------

_DMS = re.compile(
    r"""^\s*(?P<h1>[NSEW东西南北])?\s*(?P<d>\d+(?:\.\d+)?)\s*(?:°|度|º|d)\s*
        (?:(?P<m>\d+(?:\.\d+)?)\s*(?:'|′|’|分|m)\s*)?
        (?:(?P<s>\d+(?:\.\d+)?)\s*(?:"|″|”|''|秒|s)\s*)?
        (?P<h2>[NSEW东西南北])?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)


def _parse_dms(value: str) -> float | None:
    m = _DMS.match(value)
    if not m:
        return None
    deg = float(m["d"]) + float(m["m"] or 0) / 60 + float(m["s"] or 0) / 3600
    hemi = (m["h1"] or m["h2"] or "").upper()
    return -deg if hemi in ("S", "W", "西", "南") else deg


def _parse_coordinate(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Numbers from a column: (values, is_missing, is_non_numeric, was_dms)."""
    n = len(values)
    out = np.full(n, np.nan)
    missing = np.zeros(n, bool)
    bad = np.zeros(n, bool)
    dms = np.zeros(n, bool)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        out = values.to_numpy(dtype=float, na_value=np.nan)
        missing = ~np.isfinite(out)
        return out, missing, bad, dms
    for i, v in enumerate(values.tolist()):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            missing[i] = True
            continue
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            out[i] = float(v)
            missing[i] = not np.isfinite(out[i])
            continue
        s = str(v).strip()
        if s == "" or s.lower() in ("na", "nan", "null", "none", "-", "—", "/", "无", "空"):
            missing[i] = True
            continue
        try:
            out[i] = float(s)
            if not np.isfinite(out[i]):
                missing[i] = True
            continue
        except ValueError:
            pass
        d = _parse_dms(s)
        if d is not None:
            out[i] = d
            dms[i] = True
        else:
            bad[i] = True
    return out, missing, bad, dms


_PAIR = re.compile(r"^\s*\(?\s*(-?\d+(?:\.\d+)?)\s*[,，;；\s]\s*(-?\d+(?:\.\d+)?)\s*\)?\s*$")
_PAIR_NAMES = {"location", "loc", "坐标", "经纬度", "lnglat", "lonlat", "latlng", "latlon",
               "纬经度", "坐标位置", "位置", "coordinates", "coords", "coord", "point", "gps",
               "gps坐标", "经纬度坐标", "中心点", "center", "centre"}


def _combined_column(df: pd.DataFrame) -> tuple[str, tuple[str, str]] | None:
    """A single column of 'lng,lat' text (Amap's ``location`` field), and its order."""
    for col in df.columns:
        joined = "".join(_tokens(col))
        core = joined
        for ks in _DATUM_TOKENS.values():
            for k in ks:
                core = core.replace(k, "") if core != k else core
        if joined not in _PAIR_NAMES and core not in _PAIR_NAMES:
            continue
        vals = df[col].dropna().astype(str)
        vals = vals[vals.str.strip() != ""]
        if len(vals) and vals.str.match(_PAIR).mean() >= 0.5:
            latfirst = any(k in joined for k in ("latlng", "latlon", "纬经"))
            return col, (("lat", "lng") if latfirst else ("lng", "lat"))
    return None


def _wkt_column(df: pd.DataFrame) -> str | None:
    """A column of WKT geometries (QGIS 'CSV with geometry AS_WKT' export)."""
    for col in df.columns:
        if "".join(_tokens(col)) not in ("wkt", "geometry", "geom", "thegeom", "shape", "几何"):
            continue
        vals = df[col].dropna().astype(str).str.strip().str.upper()
        if len(vals) and vals.str.match(r"^(MULTI)?(POINT|LINESTRING|POLYGON)\b").mean() >= 0.5:
            return col
    return None


def _split_pairs(values: pd.Series, order) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = len(values)
    a = np.full(n, np.nan)
    b = np.full(n, np.nan)
    miss = np.zeros(n, bool)
    bad = np.zeros(n, bool)
    for i, v in enumerate(values.tolist()):
        if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "":
            miss[i] = True
            continue
        m = _PAIR.match(str(v))
        if m is None:
            bad[i] = True
            continue
        a[i], b[i] = float(m.group(1)), float(m.group(2))
    return (a, b, miss, bad) if order[0] == "lng" else (b, a, miss, bad)


# --------------------------------------------------------------------------------------------
# Reading tables
# --------------------------------------------------------------------------------------------

_CODE_COL = re.compile(r"(code|adcode|代码|编码|编号|区划码|id)$", re.IGNORECASE)


@dataclass
class _Table:
    df: pd.DataFrame
    fmt: str
    labels: np.ndarray
    row_label: str
    encoding: str | None = None
    encoding_detected: bool = False
    notes: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # (pos | None, column, severity, check, value, msg)
    geometry: gpd.GeoSeries | None = None


def _infer_column(values: list, name: str) -> pd.Series:
    """Typed column from strings: numeric when every non-empty value is a number (codes stay text)."""
    s = pd.Series(values, dtype=object)
    is_text = s.map(lambda v: isinstance(v, str)).astype(bool)
    stripped = s.where(is_text, None)
    if is_text.any():
        stripped[is_text] = s[is_text].astype(object).map(str.strip)
    stripped = stripped.astype(object)  # None for non-text cells (Excel numbers)
    text = stripped.notna()
    s = s.mask(s.isna() | (stripped == ""), None)
    if _CODE_COL.search(str(name)):
        return s.map(lambda v: v if v is None or isinstance(v, str) else
                     (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)))
    nonnull = s.dropna()
    if len(nonnull) == 0:
        return s.astype(float) if len(s) else s
    try:
        num = pd.to_numeric(nonnull.where(~text[nonnull.index], stripped[nonnull.index]))
    except (ValueError, TypeError):
        return s
    out = pd.Series(np.nan, index=s.index, dtype=float)
    out[nonnull.index] = num.astype(float)
    if s.notna().all() and np.all(np.mod(out.to_numpy(), 1) == 0):
        return out.astype("int64")
    return out


def _unique_names(header: list) -> tuple[list, list]:
    seen: dict = {}
    out, notes = [], []
    for i, h in enumerate(header):
        h = "" if h is None else str(h).strip().lstrip("\ufeff")
        if h == "":
            h = f"unnamed_{i + 1}"
        if h in seen:
            seen[h] += 1
            new = f"{h}.{seen[h]}"
            notes.append(f"duplicate column name {h!r}: the later one is called {new!r}")
            h = new
        else:
            seen[h] = 0
        out.append(h)
    return out, notes


def _find_header(records: list[list], x: str | None, y: str | None) -> int:
    """Index of the header record: the first of the first 10 non-empty records that names both
    coordinates (or the explicit x/y); 0 when none does (a title row above the header is common
    in Chinese spreadsheets)."""
    for i, rec in enumerate(records[:10]):
        names = [str(v).strip() for v in rec if v is not None]
        if x is not None or y is not None:
            if x in names and y in names:
                return i
            continue
        try:
            cx, cy = detect_coordinate_columns(names)
        except InputDataError:
            return i
        if cx is not None and cy is not None:
            return i
    return 0


def _blank(v) -> bool:
    return v is None or str(v).strip() == ""


def _header_block(records, h: int, merged_down: dict, row_label: str) -> tuple[int, list, list]:
    """The header names and the index of the last header record, for headers over two rows.

    Chinese spreadsheets often have a two-row header: 村名 and 年份 merged down over two rows,
    坐标 merged across 经度/纬度 below it. The coordinate names are on the lower row, so the
    names that only the upper row (or a merge reaching down into the lower row) holds would be
    lost. Blank names are filled from the row above when that row is a header too (two or
    more names, unlike a title); a merge that starts on the header row extends the header
    down to its last row.
    """
    names = list(records[h][1])
    notes = []
    last = merged_down.get(records[h][0], records[h][0])
    end = h
    while end + 1 < len(records) and records[end + 1][0] <= last:
        end += 1
        for j, v in enumerate(records[end][1]):
            if not _blank(v):
                names += [None] * (j + 1 - len(names))
                names[j] = v
    if end > h:
        notes.append(f"the header spans {row_label}s {records[h][0]}-{records[end][0]} (merged "
                     "cells); the lowest name of each column is used")
    if h > 0:
        above = records[h - 1][1]
        if sum(not _blank(v) for v in above) >= 2:
            filled = [j for j, v in enumerate(names) if _blank(v) and j < len(above)
                      and not _blank(above[j])]
            for j in filled:
                names[j] = above[j]
            if filled:
                notes.append(f"the header spans {row_label}s {records[h - 1][0]}-"
                             f"{records[h][0]}: {row_list([str(above[j]) for j in filled])} "
                             f"taken from {row_label} {records[h - 1][0]}")
    return end, names, notes


def _records_to_table(records: list[tuple[int, list]], *, fmt, row_label, x, y,
                      source, merged_down: dict | None = None) -> _Table:
    """(row number, values) records -> typed DataFrame with header detection and ragged rows.

    ``merged_down`` maps a row number to the last row of a vertical merge starting on it
    (Excel), so that a header over two rows keeps all its names.
    """
    if not records:
        raise _EmptyFile(f"{source} is empty: no header and no data rows.")
    h = _find_header([r for _, r in records], x, y)
    h_end, names, notes = _header_block(records, h, merged_down or {}, row_label)
    header, dup_notes = _unique_names(names)
    notes += dup_notes
    if h > 0:
        notes.append(f"the header is on {row_label} {records[h][0]}; the {h} record(s) above it "
                     f"(a title, or the upper row of a two-row header) were skipped: "
                     + "; ".join(" ".join(str(v) for v in r if v not in (None, ""))[:60]
                                 for _, r in records[:h]))
    h = h_end
    body = records[h + 1:]
    ncol = len(header)
    rows, labels, problems = [], [], []
    for pos, (num, rec) in enumerate(body):
        rec = list(rec)
        if len(rec) > ncol:
            extra = [v for v in rec[ncol:] if v not in (None, "")]
            if extra:
                problems.append((pos, None, "error", "extra_fields", str(extra)[:80],
                                 f"{len(rec)} fields but the header has {ncol}: a delimiter "
                                 "inside an unquoted value? Quote the value or fix the line."))
            rec = rec[:ncol]
        elif len(rec) < ncol:
            problems.append((pos, None, "warning", "short_line", len(rec),
                             f"{len(rec)} fields but the header has {ncol}; the missing ones "
                             "are read as empty."))
            rec = rec + [None] * (ncol - len(rec))
        rows.append(rec)
        labels.append(num)
    cols = list(zip(*rows)) if rows else [[] for _ in header]
    df = pd.DataFrame({name: _infer_column(list(col), name) for name, col in zip(header, cols)})
    t = _Table(df, fmt, np.array(labels, dtype=int), row_label, notes=notes, problems=problems)
    return t


class _EmptyFile(Exception):
    pass


@contextmanager
def _large_csv_fields():
    """Let the csv module read cells of any size (its default limit is 128 kB).

    A long legitimate cell (a pasted product list, an address block) must load; a cell that is
    long because a quote was never closed is caught by :func:`_check_runaway_quotes`.
    """
    old = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _parse_csv(text: str, delim: str, name: str) -> list[tuple[int, int, list]]:
    """``(first line, last line, fields)`` of every non-blank record of ``text``."""
    reader = csv.reader(_stdio.StringIO(text, newline=""), delimiter=delim)
    records, prev = [], 0
    with _large_csv_fields():
        try:
            for rec in reader:
                start, prev = prev + 1, reader.line_num
                if not rec or all(v.strip() == "" for v in rec) and len(rec) <= 1:
                    continue  # blank line
                records.append((start, prev, rec))
        except csv.Error as exc:
            raise InputDataError(
                f"{name}: line {reader.line_num + 1}: the CSV cannot be parsed ({exc}). Check the "
                "quotes and delimiters on that line, or save the file again as CSV.") from exc
    return records


def _check_runaway_quotes(records, delim: str, name: str, x, y) -> None:
    """Raise when a quoted cell swallowed what look like whole lines of the file.

    A quote opened by mistake is closed only by the next quote in the file, or never, so
    the csv module reads the following lines as one cell and the rows in it vanish. A quoted
    line break is legitimate (an address block); inner lines with as many delimiters as a
    row has are not. One such line is enough when the cell runs to the end of the file.
    """
    if not records:
        return
    h = _find_header([r for _, _, r in records], x, y)
    header = records[h][2]
    width = max(len(header), 2)
    for k, (start, end, rec) in enumerate(records):
        if end == start:
            continue
        line = start
        for j, value in enumerate(rec):
            inner = value.split("\n")
            rowlike = sum(part.count(delim) >= width - 1 for part in inner[1:])
            if rowlike >= 2 or (rowlike and k == len(records) - 1):
                col = str(header[j]).strip() if j < len(header) else f"field {j + 1}"
                closed = ("never closed" if k == len(records) - 1 else
                          f"closed only on line {end}")
                raise InputDataError(
                    f"{name}: line {line}: the quote that opens the value of column {col!r} is "
                    f"{closed}, so lines {line}-{end} ({end - line + 1} lines, {rowlike} of them "
                    f"look like rows) were read as one cell. Close or remove that quote on line "
                    f"{line}.")
            line += value.count("\n")


def _read_csv(path: Path, *, encoding, x, y) -> _Table:
    data = path.read_bytes()
    if not data.strip():
        raise _EmptyFile(f"{path.name} is empty (0 bytes of text).")
    text, enc, detected, bom_note = _decode(data, encoding, path.name)
    # the delimiter most frequent in the first lines (comma on ties); csv.Sniffer is fooled by
    # a ';' that recurs inside values such as "服装;鞋"
    head = [ln for ln in text.splitlines() if ln.strip()][:5]
    counts = {d: sum(ln.count(d) for ln in head) for d in (",", "\t", ";", "|")}
    delim = max(counts, key=lambda d: (counts[d], d == ","))
    if counts[delim] == 0:
        delim = "\t" if path.suffix.lower() == ".tsv" else ","
    spans = _parse_csv(text, delim, path.name)
    _check_runaway_quotes(spans, delim, path.name, x, y)
    records = [(start, rec) for start, _, rec in spans]
    t = _records_to_table(records, fmt="csv", row_label="line", x=x, y=y, source=path.name)
    t.encoding, t.encoding_detected = enc, detected
    if bom_note:
        t.notes.append(bom_note)
    multi = [(a, b) for a, b, _ in spans if b > a]
    if multi:
        # every physical line is accounted for: say which records span several lines
        t.notes.append(f"{len(multi)} record(s) hold quoted line breaks and span several lines "
                       f"(lines {', '.join(f'{a}-{b}' for a, b in multi[:5])}"
                       f"{' …' if len(multi) > 5 else ''})")
    if delim != ",":
        t.notes.append(f"delimiter {delim!r}")
    return t


_HEADER_ROWS = 15  # merged cells below this are data (a merged value cell is not unmerged)


def _fill_merged_header(ws, rows: list[list]) -> tuple[dict, str | None]:
    """Give every cell of a merged header range the range's value (openpyxl keeps it in the
    top-left cell only, so 村名 merged over two rows left a blank name below it).

    Returns ``{first row: last row}`` of the vertical merges and a note naming the ranges.
    """
    down: dict = {}
    filled = []
    for rng in ws.merged_cells.ranges:
        if rng.min_row > _HEADER_ROWS:
            continue
        value = rows[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= len(rows) else None
        if value is None:
            continue
        for r in range(rng.min_row, min(rng.max_row, len(rows)) + 1):
            row = rows[r - 1]
            row += [None] * (rng.max_col - len(row))
            for c in range(rng.min_col, rng.max_col + 1):
                row[c - 1] = value
        if rng.max_row > rng.min_row:
            down[rng.min_row] = max(down.get(rng.min_row, 0), rng.max_row)
        filled.append(f"{rng.coord} ({value})")
    note = (f"merged cells {', '.join(filled[:8])}{' …' if len(filled) > 8 else ''}: the value "
            "fills every cell of the merge") if filled else None
    return down, note


def _read_excel(path: Path, *, sheet, x, y) -> _Table:
    if path.suffix.lower() == ".xls":
        try:
            raw = pd.read_excel(path, sheet_name=sheet or 0, header=None, dtype=object,
                                engine="xlrd")
        except ImportError as exc:
            raise InputDataError(
                f"{path.name}: old-style .xls needs the 'xlrd' package. Save the sheet as .xlsx "
                "(Excel: File > Save As > Excel Workbook) or as CSV."
            ) from exc
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook
            raise InputDataError(f"{path.name}: not a readable .xls workbook ({exc}). Save the "
                                 "sheet as .xlsx or CSV.") from exc
        records = [(i + 1, [None if (isinstance(v, float) and np.isnan(v)) else v for v in r])
                   for i, r in enumerate(raw.itertuples(index=False, name=None))]
        records = [(n, r) for n, r in records if any(v not in (None, "") for v in r)]
        return _records_to_table(records, fmt="excel", row_label="row", x=x, y=y, source=path.name)
    import openpyxl

    try:
        # not read_only: merged cells are only known to a fully loaded sheet
        wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook
        raise InputDataError(f"{path.name}: not a readable .xlsx workbook ({exc}).") from exc
    try:
        names = wb.sheetnames
        if sheet is None:
            ws = wb[names[0]]
            note = (f"sheet {names[0]!r} read (the workbook also has {row_list(names[1:])}; "
                    "choose with sheet=..., CLI: --sheet)" if len(names) > 1 else None)
        else:
            key = names[sheet] if isinstance(sheet, int) and sheet < len(names) else sheet
            if key not in names:
                raise InputDataError(f"{path.name}: no sheet {sheet!r}; sheets: {row_list(names)}.")
            ws, note = wb[key], None
        rows = [list(r) for r in ws.iter_rows(min_row=1, values_only=True)]
        merged_down, merge_note = _fill_merged_header(ws, rows)
        records = [(num, vals) for num, vals in enumerate(rows, start=1)
                   if any(v is not None and str(v).strip() != "" for v in vals)]
    finally:
        wb.close()
    # trailing empty cells are not fields
    width = max((max((i + 1 for i, v in enumerate(r) if v not in (None, "")), default=0)
                 for _, r in records), default=0)
    records = [(n, r[:width]) for n, r in records]
    t = _records_to_table(records, fmt="excel", row_label="row", x=x, y=y, source=path.name,
                          merged_down=merged_down)
    t.notes.extend(n for n in (merge_note, note) if n)
    return t


def _read_vector(path: Path, *, fmt, encoding, layer) -> _Table:
    import pyogrio

    kwargs: dict = {}
    enc, detected, notes = None, False, []
    src = path
    cpg_enc = None
    if fmt == "shapefile":
        cpg = next((p for p in (path.with_suffix(".cpg"), path.with_suffix(".CPG")) if p.exists()),
                   None)
        if encoding is not None:
            enc = encoding
        elif cpg is not None:
            # GDAL reads the .cpg itself (it knows ArcGIS code-page numbers such as "936");
            # we only report it
            enc = cpg.read_text(errors="replace").strip() or None
            notes.append(f"encoding from {cpg.name}")
            cpg_enc = enc
        else:
            enc, why = _dbf_encoding(path)
            detected = True
            notes.append(f"no .cpg file; encoding {enc} ({why})")
        if enc and enc != cpg_enc:
            kwargs["encoding"] = enc
    elif fmt == "geojson":
        # RFC 7946 says UTF-8, but GeoJSON saved by Chinese desktop tools is often GBK
        data = path.read_bytes()
        text, enc, detected, bom_note = _decode(data, encoding, path.name)
        if bom_note:
            notes.append(bom_note)
        if enc not in ("utf-8", "utf-8-sig"):
            notes.append(f"GeoJSON text in {enc} (GeoJSON should be UTF-8); decoded before reading")
            src = _stdio.BytesIO(text.encode("utf-8"))
    elif encoding is not None:
        enc = encoding
        kwargs["encoding"] = encoding
    if fmt == "zipped shapefile" and encoding is None:
        notes.append("zipped shapefile: the DBF encoding comes from its .cpg inside the zip "
                     "(pass encoding= if names look garbled)")
    if fmt in ("geopackage", "zipped shapefile"):
        try:
            layers = pyogrio.list_layers(path)
        except Exception as exc:  # noqa: BLE001
            raise InputDataError(f"{path.name}: cannot read it as a {fmt} ({exc}).") from exc
        if layer is None and len(layers) > 1:
            pts = [n for n, g in layers if g and "Point" in str(g)]
            if len(pts) != 1:
                raise InputDataError(
                    f"{path.name} has {len(layers)} layers: "
                    f"{row_list([f'{n} ({g})' for n, g in layers])}. Choose one with layer=... "
                    "(CLI: --layer NAME).")
            layer = pts[0]
            notes.append(f"layer {layer!r} (the only point layer of {len(layers)})")
    if layer is not None:
        kwargs["layer"] = layer
    try:
        gdf = pyogrio.read_dataframe(src, fid_as_index=True, **kwargs)
    except Exception as exc:  # noqa: BLE001 - GDAL errors have many types
        raise InputDataError(f"{path.name}: cannot read it as a {fmt} file ({exc}).") from exc
    labels = np.asarray(gdf.index, dtype=int) if len(gdf) else np.array([], dtype=int)
    return _geo_table(gdf, fmt=fmt, labels=labels, row_label="fid", encoding=enc,
                      detected=detected, notes=notes)


def _geo_table(gdf, *, fmt, labels, row_label, encoding=None, detected=False, notes=()) -> _Table:
    if isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.name in gdf.columns:
        geom = gdf.geometry
        df = pd.DataFrame(gdf.drop(columns=[geom.name]))
    else:
        geom, df = None, pd.DataFrame(gdf)
    df = df.reset_index(drop=True)
    t = _Table(df, fmt, np.asarray(labels), row_label, encoding, detected, list(notes))
    if geom is not None:
        t.geometry = geom.reset_index(drop=True)
    return t


def _read_parquet(path: Path) -> _Table:
    try:
        gdf = gpd.read_parquet(path)
    except (ValueError, KeyError):  # plain Parquet without geo metadata
        gdf = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001
        raise InputDataError(f"{path.name}: cannot read it as Parquet ({exc}).") from exc
    return _geo_table(gdf, fmt="parquet", labels=np.arange(len(gdf)), row_label="index")


def _read_source(source, *, x, y, encoding, layer, sheet) -> tuple[_Table, str]:
    if isinstance(source, (pd.DataFrame, gpd.GeoSeries)):
        obj = source.to_frame() if isinstance(source, gpd.GeoSeries) else source
        fmt = "geodataframe" if isinstance(obj, gpd.GeoDataFrame) else "dataframe"
        t = _geo_table(obj.copy(), fmt=fmt, labels=np.asarray(obj.index, dtype=object),
                       row_label=str(obj.index.name or "index"))
        return t, f"<{type(source).__name__}>"
    if not isinstance(source, (str, Path)):
        raise TaobaoGeoError(
            f"read_villages takes a file path or a (Geo)DataFrame; got {type(source).__name__}.")
    path = Path(source)
    if not path.exists():
        raise InputDataError(f"File not found: {str(source)!r}.")
    if path.is_dir():
        raise InputDataError(f"{str(source)!r} is a folder; give the .shp/.csv/... file inside it.")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputDataError(
            f"{path.name}: unknown file type {path.suffix!r}. Supported: "
            f"{', '.join(sorted(FORMATS))}.")
    if path.stat().st_size == 0:
        raise _EmptyFile(f"{path.name} is empty (0 bytes).")
    if fmt == "csv":
        return _read_csv(path, encoding=encoding, x=x, y=y), path.name
    if fmt == "excel":
        return _read_excel(path, sheet=sheet, x=x, y=y), path.name
    if fmt == "parquet":
        return _read_parquet(path), path.name
    return _read_vector(path, fmt=fmt, encoding=encoding, layer=layer), path.name


# --------------------------------------------------------------------------------------------
# China and boundary tests
# --------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _shipped_china():
    """County polygons of China (shipped), or None when the layer is not available."""
    try:
        from . import datasets

        if "china_counties" not in datasets.names():
            return None
        gdf = datasets.load("china_counties")
        return gdf.to_crs(4326) if gdf.crs is not None else gdf
    except Exception:  # noqa: BLE001 - data layer missing or broken: fall back to the rectangle
        return None


# county polygons are generalised (about 0.3 km) and town seats can sit on the coast: tolerance
_CHINA_TOLERANCE_DEG = 0.02


def _outside_polygons(lon, lat, polys: gpd.GeoSeries, tol: float) -> np.ndarray:
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326)
    if tol > 0:
        idx = polys.sindex.query(pts.values, predicate="dwithin", distance=tol)
    else:
        idx = polys.sindex.query(pts.values, predicate="covered_by")
    inside = np.zeros(len(pts), bool)
    inside[np.unique(idx[0])] = True
    return ~inside


def _as_polygons(obj, what: str) -> gpd.GeoSeries:
    from shapely.geometry.base import BaseGeometry

    if isinstance(obj, BaseGeometry):
        return gpd.GeoSeries([obj], crs=4326)
    if isinstance(obj, (str, Path)):
        from . import datasets

        try:
            shipped = str(obj) in datasets.names()
        except Exception:  # noqa: BLE001
            shipped = False
        obj = datasets.load(str(obj)) if shipped else gpd.read_file(obj)
    if isinstance(obj, gpd.GeoDataFrame):
        obj = obj.geometry
    if not isinstance(obj, gpd.GeoSeries):
        raise TaobaoGeoError(f"{what} must be polygons (GeoDataFrame, GeoSeries, shapely geometry "
                             f"or a file); got {type(obj).__name__}.")
    if obj.crs is None:
        raise CRSError(f"The {what} has no CRS; set it (e.g. .set_crs('EPSG:4326')).")
    gs = obj.to_crs(4326)
    gs = gs[gs.notna() & ~gs.is_empty]
    if not gs.geom_type.isin(["Polygon", "MultiPolygon"]).all() or len(gs) == 0:
        raise TaobaoGeoError(f"The {what} must contain polygons; got {sorted(set(gs.geom_type))}.")
    return gs.reset_index(drop=True)


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
    # the file's own metadata (.prj, GeoPackage CRS) says WGS 84, the caller another datum
    fcrs = getattr(t.geometry, "crs", None) if not name.startswith("<") else None
    if datum != "wgs84" and fcrs is not None and CRS.from_user_input(fcrs).equals(
            CRS.from_epsg(4326), ignore_axis_order=True):
        problems.append((None, None, "warning", "datum_hint", "wgs84",
                         f"{name} says its CRS is WGS 84 (EPSG:4326) but datum={datum!r}: the "
                         f"points are shifted as {datum.upper()}; if they are really WGS 84, "
                         "pass datum='wgs84' (CLI: --datum wgs84)"))

    # --- CRS ----------------------------------------------------------------------------------
    if src_crs is None:
        v = valid
        # swapped lon/lat (lat > 90) are still degrees: reported per row below
        degree_like = ((np.abs(lon[v]) <= 180) & (np.abs(lat[v]) <= 90)) | ~coords.out_of_china(
            lat[v], lon[v], outline=False)
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
    in_rect = ~coords.out_of_china(lon, lat, outline=False)
    swapped_in = ~coords.out_of_china(lat, lon, outline=False)
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
        outside = valid & coords.out_of_china(lon, lat, outline=False)
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


def _problems_frame(problems, labels) -> pd.DataFrame:
    order = {"error": 0, "warning": 1}
    recs = []
    for pos, col, sev, check, value, msg in problems:
        recs.append({"_pos": -1 if pos is None else int(pos),
                     "row": None if pos is None else labels[pos],
                     "column": col, "severity": sev, "check": check,
                     "value": None if value is None else str(value), "message": msg})
    if not recs:
        return pd.DataFrame(columns=_PROBLEM_COLUMNS)
    df = pd.DataFrame(recs)
    df["_sev"] = df["severity"].map(order)
    df = df.sort_values(["_sev", "_pos", "check"], kind="stable")
    return df[_PROBLEM_COLUMNS].reset_index(drop=True).astype({"row": object})


def _build(source, *, x, y, crs, datum, encoding, layer, sheet, boundary, check_china,
           duplicates, on_invalid, func, catch=False):
    check_choice(on_invalid, ("raise", "drop"), name="on_invalid", func=func)
    check_choice(duplicates, ("warn", "error"), name="duplicates", func=func)
    datum = coords.normalize_datum(datum)
    if (x is None) != (y is None):
        raise TaobaoGeoError(f"`{func}`: give both x= and y= (or neither, to detect them).")
    if crs is not None:
        try:
            crs = CRS.from_user_input(crs)
        except Exception as exc:  # noqa: BLE001 - pyproj's CRSError
            raise CRSError(f"`{func}`: invalid crs {crs!r} ({exc}). Give an EPSG code such as "
                           "'EPSG:4326' (WGS 84 degrees) or 'EPSG:32650' (UTM 50N).") from exc
    ctx: dict = {}
    try:
        t, f = _check(source, x=x, y=y, crs=crs, datum=datum, encoding=encoding, layer=layer,
                      sheet=sheet, boundary=boundary, check_china=check_china,
                      duplicates=duplicates, on_invalid=on_invalid, func=func, ctx=ctx)
    except TaobaoGeoError as exc:
        if not catch:
            raise
        # validate_villages never raises on data problems: a file it cannot use is one
        # file-level error in the report
        src = ctx.get("source") or (Path(source).name if isinstance(source, (str, Path))
                                    else f"<{type(source).__name__}>")
        report = LoadReport(
            source=src, format=ctx.get("format", FORMATS.get(Path(str(src)).suffix.lower(),
                                                                "unknown")),
            encoding=ctx.get("encoding"), encoding_detected=ctx.get("encoding_detected", False),
            row_label=ctx.get("row_label", "row"), x_col=None, y_col=None, crs_in=None,
            datum=datum, column_map=ctx.get("column_map", {}), notes=tuple(ctx.get("notes", ())),
            n_read=ctx.get("n_read", 0), n_kept=0, on_invalid=on_invalid,
            problems=_problems_frame([(None, None, "error", "file", None, str(exc))], []))
        return None, None, report
    if "empty" in f:
        probs = f.get("problems", [])
        labels = t.labels if t is not None else np.array([])
        problems = _problems_frame([*probs, (None, None, "error", "empty", None, f["empty"])],
                                   labels)
        report = LoadReport(
            source=f["source"], format=f.get("format", t.fmt if t else "unknown"),
            encoding=f.get("encoding"), encoding_detected=f.get("encoding_detected", False),
            row_label=f.get("row_label", "row"), x_col=f.get("x_col"), y_col=f.get("y_col"),
            crs_in=None, datum=coords.normalize_datum(datum), column_map=f.get("column_map", {}),
            notes=tuple(f.get("notes", ())), n_read=0, n_kept=0, on_invalid=on_invalid,
            problems=problems)
        return t, None, report
    problems = _problems_frame(f["problems"], t.labels)
    err_pos = sorted({p[0] for p in f["problems"] if p[2] == "error" and p[0] is not None})
    keep = np.ones(len(t.df), bool)
    keep[err_pos] = False
    dropped = pd.DataFrame(columns=["row", "reasons"])
    if on_invalid == "drop" and err_pos:
        reasons: dict = {}
        for pos, col, sev, check, value, msg in f["problems"]:
            if sev == "error" and pos is not None:
                reasons.setdefault(pos, []).append(check)
        dropped = pd.DataFrame({"row": [t.labels[p] for p in err_pos],
                                "reasons": [", ".join(dict.fromkeys(reasons[p])) for p in err_pos]})
    report = LoadReport(
        source=f["source"], format=f["format"], encoding=f["encoding"],
        encoding_detected=f["encoding_detected"], row_label=f["row_label"], x_col=f["x_col"],
        y_col=f["y_col"], crs_in=f["crs_in"], datum=f["datum"],
        conversions=tuple(f["conversions"]), column_map=dict(f["column_map"]),
        notes=tuple(f["notes"]), n_read=len(t.df), n_kept=int(keep.sum()), on_invalid=on_invalid,
        problems=problems, dropped=dropped)
    return t, (f["lon"], f["lat"], keep), report


_ARGS_DOC = """
    source
        Path to a .csv/.txt/.tsv, .xlsx, .shp (or a .zip holding one), .gpkg, .geojson/.json or
        .parquet file, or a pandas DataFrame / GeoDataFrame (not modified).
    x, y
        Coordinate column names. Default: detected (lon/lng/longitude/x/经度/东经 and
        lat/latitude/y/纬度/北纬, also with datum words such as ``gcj02_lng`` or ``经度(高德)``);
        for spatial files the geometry is used unless x/y are given.
    crs
        CRS of the coordinates (e.g. ``"EPSG:32650"``, ``"EPSG:4490"`` for CGCS2000). Default:
        the file's CRS, else longitude/latitude (EPSG:4326); projected-looking numbers without a
        CRS are an error, never a guess.
    datum
        ``"wgs84"`` (GPS, OpenStreetMap, CGCS2000; default), ``"gcj02"`` (Amap/高德, Tencent) or
        ``"bd09"`` (Baidu/百度). Non-WGS 84 points are converted (reported with the mean shift).
    encoding
        Text encoding of a CSV or of a shapefile DBF. Default: detected (UTF-8, UTF-8 BOM,
        GBK/GB18030), or the shapefile's .cpg.
    layer, sheet
        GeoPackage layer; Excel sheet name or 0-based number (default: the first sheet).
    boundary
        Optional study-area polygons (GeoDataFrame, GeoSeries, shapely geometry, file path or
        shipped layer name): points outside are ``outside_boundary`` errors.
    check_china
        True (default): points must lie in China (the standard rectangle, then the shipped
        county polygons with a 0.02° tolerance when available); False: no check; or a polygon
        layer to test against instead.
    duplicates
        ``"warn"`` (default) or ``"error"``: severity of duplicated points and duplicated village
        names. Duplicated points are legitimate when villages are placed at their town seat (the
        shipped data do that), so by default they are reported but kept; statistics that cannot
        take them (e.g. nearest-neighbour distances) have their own ``duplicates=`` option.
        Fully duplicated rows are always errors: the village would be counted twice.
"""


def read_villages(source, *, x: str | None = None, y: str | None = None, crs=None,
                  datum: str = "wgs84", encoding: str | None = None, layer: str | None = None,
                  sheet: str | int | None = None, on_invalid: str = "raise", boundary=None,
                  check_china=True, duplicates: str = "warn") -> gpd.GeoDataFrame:
    func = "read_villages"
    t, arrays, report = _build(source, x=x, y=y, crs=crs, datum=datum, encoding=encoding,
                               layer=layer, sheet=sheet, boundary=boundary, check_china=check_china,
                               duplicates=duplicates, on_invalid=on_invalid, func=func)
    if arrays is None:
        raise InputDataError(f"`{func}`: {report.problems['message'].iloc[-1]}", report=report)
    lon, lat, keep = arrays
    if report.n_errors and on_invalid == "raise":
        errs = report.errors
        lines = []
        for rec in errs.head(20).itertuples(index=False):
            where = f"{report.row_label} {rec.row}" if rec.row is not None else "file"
            col = f", column {rec.column!r}" if isinstance(rec.column, str) else ""
            lines.append(f"  {where}{col}: {rec.message}")
        more = len(errs) - 20
        rows = [r for r in dict.fromkeys(errs["row"].tolist()) if r is not None]
        msg = (f"`{func}`: {len(rows)} invalid row(s) in {report.source} "
               f"({report.n_errors} problem(s); rows numbered by {report.row_label}):\n"
               + "\n".join(lines) + (f"\n  … and {more} more" if more > 0 else "")
               + "\nFix them in the file, or pass on_invalid='drop' (CLI: --on-invalid drop) to "
               "drop exactly these rows; each dropped row is reported in "
               "gdf.attrs['load_report'].")
        if report.notes:
            msg += "\n" + "\n".join(f"Note: {n}" for n in report.notes if "swapped" in n)
        raise InputDataError(msg, rows=rows, report=report)
    if not keep.any():
        counts = report.errors["check"].value_counts()
        raise InputDataError(
            f"`{func}`: every one of the {report.n_read} row(s) of {report.source} is invalid ("
            + ", ".join(f"{k}: {v}" for k, v in counts.items())
            + "), so nothing is left after on_invalid='drop'. The coordinate columns, CRS or "
            "datum are probably wrong; see report.summary():\n"
            + report.summary(max_warnings=0), rows=list(report.dropped["row"]), report=report)
    df = t.df.loc[keep].copy()
    index = pd.Index(t.labels[keep], name=t.row_label if t.fmt not in ("dataframe",
                                                                         "geodataframe") else
                     (source.index.name if hasattr(source, "index") else None))
    df.index = index
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(lon[keep], lat[keep]), crs=4326)
    gdf.attrs["load_report"] = report
    gdf.attrs["datum"] = "wgs84"
    if report.n_warnings:
        counts = report.warnings["check"].value_counts()
        warnings.warn(
            f"{report.source}: {report.n_warnings} warning(s) ("
            + ", ".join(f"{k}: {v}" for k, v in counts.items())
            + "); rows kept. See gdf.attrs['load_report'].", InputDataWarning, stacklevel=2)
    return gdf


def validate_villages(source, *, x: str | None = None, y: str | None = None, crs=None,
                      datum: str = "wgs84", encoding: str | None = None, layer: str | None = None,
                      sheet: str | int | None = None, boundary=None, check_china=True,
                      duplicates: str = "warn") -> LoadReport:
    _, _, report = _build(source, x=x, y=y, crs=crs, datum=datum, encoding=encoding, layer=layer,
                          sheet=sheet, boundary=boundary, check_china=check_china,
                          duplicates=duplicates, on_invalid="raise", func="validate_villages",
                          catch=True)
    return report


read_villages.__doc__ = f"""Read village points from a file or DataFrame into a WGS 84 GeoDataFrame.

    Parameters
    ----------
    {_ARGS_DOC.strip()}
    on_invalid
        ``"raise"`` (default): any error-level problem raises :class:`~taobao_geo.InputDataError`
        listing every offending row (as numbered in the file) and column. ``"drop"``: drop exactly
        those rows and list them in ``report.dropped``.

    Returns
    -------
    GeoDataFrame
        Points in EPSG:4326 (WGS 84 longitude/latitude), all input columns (Chinese attribute names
        mapped to ``village``/``town``/``county``/... where unambiguous), indexed by the row
        number in the file (``line`` for CSV, ``row`` for Excel, ``fid`` for spatial files) or by
        the input DataFrame's index. ``gdf.attrs["load_report"]`` is the :class:`LoadReport`.

    Raises
    ------
    InputDataError
        Bad rows (listed), missing/ambiguous coordinate columns, empty or unreadable file.
    CRSError
        Projected-looking coordinates without ``crs``.

    Warns
    -----
    InputDataWarning
        Once, summarising warning-level findings (duplicates, datum hints); rows are kept.

    Examples
    --------
    >>> gdf = read_villages("villages.csv", datum="gcj02")        # doctest: +SKIP
    >>> print(gdf.attrs["load_report"].summary())                 # doctest: +SKIP
    """

validate_villages.__doc__ = f"""Check a file or DataFrame like :func:`read_villages`, without raising on data problems.

    Parameters
    ----------
    {_ARGS_DOC.strip()}

    Returns
    -------
    LoadReport
        What was detected and converted, and every problem by row (``report.problems``,
        ``report.ok``). An empty file gives a report with one file-level ``empty`` error.

    Raises
    ------
    InputDataError
        Only when the file cannot be read at all or the coordinate columns cannot be found.
    """
