"""Column names: coordinate columns, Chinese attribute names, combined and WKT columns."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from .._errors import InputDataError
from .._validate import row_list
from .coordtext import _PAIR

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
    "village": (
        "village",
        "villagename",
        "村",
        "村名",
        "村庄",
        "村庄名称",
        "村名称",
        "行政村",
        "行政村名称",
        "淘宝村",
        "淘宝村名称",
        "村委会",
        "村居",
    ),
    "town": (
        "town",
        "townname",
        "township",
        "镇",
        "乡镇",
        "乡镇名称",
        "镇名",
        "乡镇街道",
        "镇街",
        "街道",
        "所属乡镇",
        "乡镇街道名称",
        "镇街道",
    ),
    "county": (
        "county",
        "countyname",
        "县",
        "区县",
        "县区",
        "县市区",
        "县市",
        "所属县",
        "所属区县",
        "区县名称",
        "县区名称",
        "县名",
    ),
    "city": ("city", "cityname", "prefecture", "市", "地级市", "城市", "所属地市", "地市", "市州"),
    "province": ("province", "provincename", "省", "省份", "所属省份", "省区市", "省市区"),
    "year": ("year", "年份", "年度", "年", "入选年份", "认定年份"),
    "products": (
        "products",
        "mainproducts",
        "product",
        "主营产品",
        "主要产品",
        "产品",
        "主营",
        "主营品类",
    ),
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
    toks = [
        t
        for t in _tokens(name)
        if t not in {k for ks in _DATUM_TOKENS.values() for k in ks} and t not in _NOISE_TOKENS
    ]
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
    exact, xy, zh, en = (
        (_LON_EXACT, _X_EXACT, ("经度", "东经"), ("longitude", "lng", "lon"))
        if axis == "x"
        else (_LAT_EXACT, _Y_EXACT, ("纬度", "北纬"), ("latitude", "lat"))
    )
    if core in exact:
        return 0
    toks = set(_tokens(name))
    if any(z in str(name) for z in zh) or any(e in toks for e in en) or (en[0] in core):
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


_PAIR_NAMES = {
    "location",
    "loc",
    "坐标",
    "经纬度",
    "lnglat",
    "lonlat",
    "latlng",
    "latlon",
    "纬经度",
    "坐标位置",
    "位置",
    "coordinates",
    "coords",
    "coord",
    "point",
    "gps",
    "gps坐标",
    "经纬度坐标",
    "中心点",
    "center",
    "centre",
}


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
