"""Offline geolocation of Chinese place-name lists (province / city / county / town / village).

Lists such as AliResearch's Taobao-village appendices give names only. :func:`locate_names`
places each row at the best point that open data allows, using the gazetteer shipped with the
package (no network):

1. the **town seat** (乡镇驻地; NBS 2016 town codes with Amap centres, converted GCJ-02 -> WGS 84
   with :func:`taobao_geo.coords.gcj02_to_wgs84`) when the town is matched and has a point;
2. otherwise the **county representative point** (a point guaranteed inside the county polygon,
   ``shapely.representative_point``; not the county seat);
3. otherwise, when the declared county is a development zone without its own polygon
   (e.g. 菏泽高新区), the **prefecture centre** (cpca, GCJ-02 -> WGS 84), ``loc_prec = "city"``.

Rows that cannot be placed at all keep an empty geometry and ``loc_prec = "none"``; they are
listed in the report and a warning is issued -- rows are never dropped. Every located point is
tested against the polygon of its county; points outside it are flagged (``outside_county``).

Village names are carried through but never used for positioning: no open source has village
coordinates (see ``data/README.md``).
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import InputDataError
from ._results import ResultMixin
from ._validate import check_choice, row_list

__all__ = [
    "LocationQuality",
    "location_quality",
    "read_name_table",
    "Gazetteer",
    "GeocodeReport",
    "locate_names",
    "name_stem",
    "load_gazetteer",
    "LOC_PRECISIONS",
]

#: Precision levels, best first.
LOC_PRECISIONS = ("town", "county", "city", "none")

_MUNICIPALITIES = {"北京", "天津", "上海", "重庆"}
_PROVINCE_SUFFIXES = (
    "壮族自治区",
    "回族自治区",
    "维吾尔自治区",
    "特别行政区",
    "自治区",
    "省",
    "市",
)
_CITY_SUFFIXES = ("自治州", "地区", "盟", "市")
_COUNTY_SUFFIXES = ("自治县", "自治旗", "特区", "林区", "新区", "县", "市", "区", "旗")
_TOWN_SUFFIXES = (
    "街道办事处",
    "地区办事处",
    "办事处",
    "街道",
    "民族乡",
    "民族镇",
    "苏木",
    "镇",
    "乡",
    "街",
)
# Ethnic qualifiers inside names (侯集回族镇, 乳源瑶族自治县): stripped for comparison only.
_ETHNIC_NAMES = [
    "柯尔克孜",
    "乌孜别克",
    "维吾尔",
    "哈萨克",
    "达斡尔",
    "鄂伦春",
    "鄂温克",
    "俄罗斯",
    "塔吉克",
    "塔塔尔",
    "蒙古",
    "布依",
    "朝鲜",
    "土家",
    "哈尼",
    "傈僳",
    "高山",
    "拉祜",
    "东乡",
    "纳西",
    "景颇",
    "仫佬",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "德昂",
    "保安",
    "裕固",
    "独龙",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
    "回",
    "藏",
    "苗",
    "彝",
    "壮",
    "满",
    "侗",
    "瑶",
    "白",
    "傣",
    "黎",
    "佤",
    "畲",
    "水",
    "土",
    "羌",
    "怒",
    "京",
    "各",
]
_ETHNIC = re.compile("(?:(?:" + "|".join(_ETHNIC_NAMES) + ")族)+$")
# Common abbreviations of development zones in the lists vs the statistical names.
_ABBREVIATIONS = (("高新区", "高新技术"), ("经开区", "经济技术开发区"))
# Column names tried when the default column name is absent (English and Chinese headers).
_COLUMN_ALIASES = {
    "province": ("province", "prov", "省", "省份", "省区", "省名", "省级"),
    "city": ("city", "prefecture", "市", "地市", "地级市", "城市", "市名"),
    "county": ("county", "district", "县", "区县", "县区", "县市区", "县级", "区/县", "县/区"),
    "town": ("town", "township", "镇", "乡镇", "乡镇街道", "街道", "乡/镇", "镇/乡"),
    "village": ("village", "village_name", "村", "村名", "行政村", "村庄", "淘宝村"),
}
_MISSING = {"", "-", "—", "--", "nan", "none", "null", "na", "n/a"}


def _clean(value) -> str | None:
    """NFKC-normalised, whitespace-free text; ``None`` for missing markers ('-', '', NaN)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = unicodedata.normalize("NFKC", str(value))
    text = re.sub(r"\s+", "", text)
    return None if text.lower() in _MISSING else text


def name_stem(name, *, level: str) -> str | None:
    """Comparable stem of an administrative name.

    Strips the generic suffix of the level (省/市/自治区; 市/自治州/地区; 县/区/市/旗/自治县;
    镇/乡/街道/街道办事处) and an ethnic qualifier (回族, 瑶族, ...), so that 大集乡 and 大集镇,
    侯集回族镇 and 侯集镇, 增城市 and 增城区 compare equal.

    Parameters
    ----------
    name
        The name as written (missing markers such as ``"-"`` give ``None``).
    level
        ``"province"``, ``"city"``, ``"county"`` or ``"town"``.

    Examples
    --------
    >>> name_stem("曹县大集镇", level="town")
    '曹县大集'
    >>> name_stem("侯集回族镇", level="town")
    '侯集'
    >>> name_stem("增城市", level="county")
    '增城'
    """
    text = _clean(name)
    if text is None:
        return None
    suffixes = {
        "province": _PROVINCE_SUFFIXES,
        "city": _CITY_SUFFIXES,
        "county": _COUNTY_SUFFIXES,
        "town": _TOWN_SUFFIXES,
    }[level]
    for suf in suffixes:
        if text.endswith(suf) and len(text) > len(suf):
            text = text[: -len(suf)]
            break
    stripped = _ETHNIC.sub("", text)
    if len(stripped) >= 2:
        text = stripped
    return text


# --------------------------------------------------------------------------------------------
# Gazetteer
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Gazetteer:
    """Lookup tables used by :func:`locate_names` (all coordinates WGS 84).

    counties
        One row per known county code (NBS 2016 and 2023 vintages and the polygon layer):
        ``adcode, province, city, county, vintage, poly_code`` (the code of the shipped
        polygon the unit lies in today, or missing for development zones without a polygon),
        ``lon, lat`` (representative point of ``poly_code``).
    towns
        ``town_code, town_name, county_code`` (NBS vintage code), ``lon, lat`` (town seat in
        WGS 84, NaN where unknown), ``vintage``.
    polygons
        GeoSeries of county polygons indexed by adcode (the shipped ``china_counties``).
    cities
        ``city_code`` (4 digits) -> ``lon, lat, name`` of the prefecture centre.
    """

    counties: pd.DataFrame
    towns: pd.DataFrame
    polygons: gpd.GeoSeries
    cities: pd.DataFrame
    _index: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        c = self.counties.copy()
        c["prov_stem"] = [name_stem(v, level="province") for v in c["province"]]
        c["city_stem"] = [name_stem(v, level="city") for v in c["city"]]
        c["county_stem"] = [name_stem(v, level="county") for v in c["county"]]
        t = self.towns.copy()
        t["county_code"] = t["county_code"].astype(str)
        t["stem"] = [name_stem(v, level="town") for v in t["town_name"]]
        by_county: dict[str, list[int]] = {}
        by_city: dict[str, list[int]] = {}
        for i, code in enumerate(t["county_code"].to_numpy()):
            by_county.setdefault(code, []).append(i)
            by_city.setdefault(code[:4], []).append(i)
        # codes of every county vintage that maps onto the same polygon
        same_poly: dict[str, set[str]] = {}
        for code, poly in zip(c["adcode"], c["poly_code"]):
            key = poly if isinstance(poly, str) else code
            same_poly.setdefault(key, set()).add(code)
        # plain numpy arrays: per-row access to Arrow-backed pandas columns is slow
        tarr = {
            k: t[k].astype(object).to_numpy()
            for k in ("town_code", "town_name", "county_code", "stem")
        }
        tarr["src"] = (
            t["src"].astype(object).to_numpy()
            if "src" in t.columns
            else np.full(len(t), "town seat", dtype=object)
        )
        tarr["lon"] = t["lon"].to_numpy(float)
        tarr["lat"] = t["lat"].to_numpy(float)
        poly_pt: dict[str, tuple[float, float]] = {}
        code_poly: dict[str, list[str]] = {}
        for code, poly, x, y in zip(c["adcode"], c["poly_code"], c["lon"], c["lat"]):
            if isinstance(poly, str):
                poly_pt.setdefault(poly, (float(x), float(y)))
                code_poly.setdefault(code, []).append(poly)
        self._index.update(
            counties=c,
            towns=t,
            by_county=by_county,
            by_city=by_city,
            tarr=tarr,
            poly_pt=poly_pt,
            code_poly=code_poly,
            same_poly=same_poly,
            cities=self.cities.set_index("city_code"),
        )


def load_gazetteer() -> Gazetteer:
    """The gazetteer shipped with the package (cached after the first call)."""
    return _cached_gazetteer()


@lru_cache(maxsize=1)
def _cached_gazetteer() -> Gazetteer:
    from . import datasets

    counties = pd.read_parquet(datasets._data_path("gazetteer_counties.parquet"))
    towns = pd.read_parquet(datasets._data_path("gazetteer_towns.parquet"))
    cities = pd.read_parquet(datasets._data_path("gazetteer_cities.parquet"))
    poly = datasets.load("china_counties").set_index("adcode").geometry
    return Gazetteer(counties=counties, towns=towns, polygons=poly, cities=cities)


def read_name_table(path, *, encoding: str | None = None, sheet=None) -> pd.DataFrame:
    """Read a name list (CSV/TXT, Excel, or any vector/attribute file) with every column as text.

    Codes keep their leading zeros; CSV text is decoded as the loader decodes it (the encoding
    is detected unless ``encoding`` is given: UTF-8, UTF-8 with BOM, UTF-16, GBK/GB18030, also
    GBK text behind a stray UTF-8 byte-order mark).

    Raises
    ------
    InputDataError
        If the file does not exist, is empty, or has an unknown format.
    """
    from pathlib import Path

    from ._io.encodings import _decode

    path = Path(path)
    if not path.exists():
        raise InputDataError(f"read_name_table: file {str(path)!r} does not exist.")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        data = path.read_bytes()
        if not data.strip():
            raise InputDataError(f"read_name_table: {path.name} is empty.")
        # the loader's one decoding function: a wrong or unknown encoding is an InputDataError
        # naming the likely one
        text = _decode(data, encoding, f"read_name_table: {path.name}")[0]
        import io as _io

        sep = "\t" if suffix == ".tsv" else None
        df = pd.read_csv(
            _io.StringIO(text),
            dtype=str,
            sep=sep,
            engine="python",
            keep_default_na=False,
            na_values=[""],
        )
    elif suffix in (".xlsx", ".xlsm", ".xls"):
        df = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=str)
    elif suffix in (".parquet",):
        df = pd.read_parquet(path)
    elif suffix in (".shp", ".gpkg", ".geojson", ".json", ".dbf"):
        df = pd.DataFrame(
            gpd.read_file(path, encoding=encoding) if encoding else gpd.read_file(path)
        )
        if "geometry" in df.columns:
            df = df.drop(columns="geometry")
    else:
        raise InputDataError(
            f"read_name_table: unknown format {suffix!r} for {path.name}; use CSV, Excel (.xlsx), "
            "Parquet, Shapefile, GeoPackage or GeoJSON."
        )
    if df.empty:
        raise InputDataError(f"read_name_table: {path.name} has no rows.")
    return df


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GeocodeReport(ResultMixin):
    """What :func:`locate_names` did: counts per precision, unmatched rows, points outside.

    ``unmatched`` lists rows with no point at all; ``outside`` lists points that fall outside
    the polygon of their county; ``notes`` lists rows whose names needed an alias or a fallback
    (renamed county, development zone, town without a seat point).
    """

    n_rows: int
    columns: dict
    n_town: int
    n_county: int
    n_city: int
    n_unmatched: int
    n_outside: int
    unmatched: pd.DataFrame = field(repr=False)
    outside: pd.DataFrame = field(repr=False)
    notes: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        rows = [
            ("town", self.n_town),
            ("county", self.n_county),
            ("city", self.n_city),
            ("none", self.n_unmatched),
        ]
        df = pd.DataFrame(rows, columns=["loc_prec", "n"])
        df["share"] = df["n"] / max(self.n_rows, 1)
        return df

    def summary(self) -> str:
        lines = [
            f"Located {self.n_rows - self.n_unmatched} of {self.n_rows} rows: "
            f"{self.n_town} at the town seat, {self.n_county} at the county representative point, "
            f"{self.n_city} at the prefecture centre; {self.n_unmatched} unmatched.",
            f"{self.n_outside} located points fall outside their declared county polygon "
            "(column outside_county).",
            "Columns used: " + ", ".join(f"{k}={v!r}" for k, v in self.columns.items()) + ".",
        ]
        if self.n_unmatched:
            lines.append("Unmatched rows: " + row_list(self.unmatched.index))
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------
def _match_counties(gaz: Gazetteer, province, city, county) -> tuple[pd.DataFrame, str]:
    """Candidate county rows for the declared names, with a note on how they matched."""
    c = gaz._index["counties"]
    note = ""
    pst = name_stem(province, level="province")
    cand = c[c["prov_stem"] == pst] if pst else c
    if pst and cand.empty:
        return cand, f"province {province!r} not found"
    cst = name_stem(city, level="city")
    if cst and pst not in _MUNICIPALITIES:
        by_city = cand[cand["city_stem"] == cst]
        if not by_city.empty:
            cand = by_city
        else:
            note = f"city {city!r} not found in {province}; matched county within the province"
    name = _clean(county)
    if name is None:
        return cand.iloc[0:0], "no county name"
    exact = cand[cand["county"] == name]
    if not exact.empty:
        return exact, note
    stem = name_stem(name, level="county")
    if stem and len(stem) >= 2:
        by_stem = cand[cand["county_stem"] == stem]
        if not by_stem.empty:
            names = "/".join(sorted(set(by_stem["county"])))
            return by_stem, _join(note, f"county {name!r} matched by stem to {names}")
        probe = stem
        for short, long in _ABBREVIATIONS:
            if name.endswith(short):
                probe = name[: -len(short)] + long if name[: -len(short)] else long
        contains = cand[[isinstance(v, str) and (probe in v) for v in cand["county"]]]
        if not contains.empty and contains["adcode"].nunique() <= 3:
            names = "/".join(sorted(set(contains["county"])))
            return contains, _join(note, f"county {name!r} matched by containment to {names}")
    return cand.iloc[0:0], _join(note, f"county {name!r} not found")


def _resolve_column(df: pd.DataFrame, level: str, name: str | None) -> str | None:
    """The column for ``level``: as given, or (for the default name) a known alias, or None."""
    if name is None or name in df.columns or name != level:
        return name  # explicit names are checked (and reported if missing) by the caller
    lower = {str(c).strip().lower(): c for c in df.columns}
    for alias in _COLUMN_ALIASES[level]:
        if alias in lower:
            return lower[alias]
    return name if level == "county" else None  # optional levels may be absent


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b


def _match_town(gaz: Gazetteer, idx: list[int], town, county_names) -> tuple[int | None, str]:
    """Index (into the town table) of the town matching ``town`` among rows ``idx``."""
    ta = gaz._index["tarr"]
    name = _clean(town)
    if name is None or not idx:
        return None, ""
    names = ta["town_name"]
    exact = [i for i in idx if names[i] == name]
    if len(exact) == 1:
        return exact[0], ""

    # strip a county-name prefix on either side (NBS writes 曹县大集镇 for 大集镇)
    def strip_prefix(s):
        for cn in county_names:
            for p in (cn, name_stem(cn, level="county")):
                if p and s and s.startswith(p) and len(s) > len(p) + 1:
                    return s[len(p) :]
        return s

    stem = name_stem(strip_prefix(name), level="town")
    # the stem of a candidate may equal the full name written in the list (壶镇 vs NBS 壶镇镇)
    hits = [i for i in idx if _town_stem(strip_prefix(names[i])) in (stem, name)] if stem else []
    if exact and not hits:
        hits = exact
    if len(hits) == 1:
        return hits[0], (
            f"town {name!r} matched by stem to {names[hits[0]]!r}" if names[hits[0]] != name else ""
        )
    if len(hits) > 1:
        # prefer the one with the same suffix type, then one with a point
        same = [i for i in hits if str(names[i])[-1:] == name[-1:]]
        pool = same or hits
        with_pt = [i for i in pool if np.isfinite(ta["lon"][i])]
        if len(pool) == 1 or len({ta["town_code"][i] for i in pool}) == 1:
            return pool[0], ""
        if len(with_pt) == 1:
            return with_pt[
                0
            ], f"town {name!r} ambiguous ({len(pool)} candidates); used the one with a point"
        return None, f"town {name!r} ambiguous ({len(pool)} candidates)"
    return None, f"town {name!r} not found"


@lru_cache(maxsize=200_000)
def _town_stem(name: str) -> str | None:
    return name_stem(name, level="town")


def _inside(gaz: Gazetteer, poly_code, lon, lat) -> object:
    if not isinstance(poly_code, str) or poly_code not in gaz.polygons.index:
        return pd.NA
    geom = gaz.polygons.loc[poly_code]
    return bool(shapely.contains_xy(geom, lon, lat) or shapely.intersects_xy(geom, lon, lat))


def locate_names(
    df: pd.DataFrame,
    *,
    province: str | None = "province",
    city: str | None = "city",
    county: str = "county",
    town: str | None = "town",
    village: str | None = "village",
    gazetteer: Gazetteer | None = None,
    on_unmatched: str = "warn",
) -> gpd.GeoDataFrame:
    """Locate rows of administrative names at the town seat or the county representative point.

    Parameters
    ----------
    df
        Table with one row per place (e.g. an AliResearch Taobao-village list). Not modified.
    province, city, county, town, village
        Names of the columns holding each level (``None`` if the table has no such column).
        ``county`` is required. When a default name is absent, common English and Chinese
        headers are tried (省/省份, 市/地级市, 县/区县, 镇/乡镇/街道, 村/村名 ...); an optional level
        with no such column is treated as absent (``report.columns`` says what was used).
        Village names are kept but not used for positioning.
    gazetteer
        Lookup tables; default: the one shipped with the package (:func:`load_gazetteer`).
    on_unmatched
        ``"warn"`` (default; keep unmatched rows with an empty geometry and warn),
        ``"raise"`` (:class:`~taobao_geo.InputDataError` listing them) or ``"ignore"`` (keep
        them silently -- they are still listed in the report).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``df`` (same index, same columns; an existing geometry is replaced, existing
        columns of the same names are overwritten) in EPSG:4326 plus ``county_code`` (6-digit
        adcode of the shipped county polygon, or of the development zone when it has none),
        ``town_code`` (NBS 9-digit), ``loc_prec`` (``"town"``/``"county"``/``"city"``/
        ``"none"``), ``loc_src`` (source of the point), ``outside_county`` (True when the point
        lies outside the county polygon; NA when the county has no polygon) and ``match_note``.
        ``gdf.attrs["geocode_report"]`` is a :class:`GeocodeReport`.

    Raises
    ------
    InputDataError
        If a named column is missing, or ``on_unmatched="raise"`` and some rows are unmatched.

    Notes
    -----
    Town seats are Amap centres from the NBS 2016 division (Vonng/adcode, CC BY 4.0),
    converted from GCJ-02 to WGS 84. County points are ``representative_point()`` of the shipped
    polygons, so a county-precision point is always inside its county. Names are compared
    exactly first, then by stem (:func:`name_stem`), so renamed units (县 -> 区, 乡 -> 镇) match;
    every such match is recorded in ``match_note``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"province": ["山东省"], "city": ["菏泽市"], "county": ["曹县"],
    ...                   "town": ["大集镇"], "village": ["丁楼村"]})
    >>> locate_names(t)["loc_prec"].tolist()   # Daji has no known seat: county point
    ['county']
    """
    check_choice(
        on_unmatched, ("warn", "raise", "ignore"), name="on_unmatched", func="locate_names"
    )
    given = {"province": province, "city": city, "county": county, "town": town, "village": village}
    df, cols = _name_columns(df, given)
    gaz = gazetteer if gazetteer is not None else load_gazetteer()
    gdf = _located_frame(df, _locate_rows(gaz, df, cols))
    report = _geocode_report(gdf, cols)
    gdf.attrs["geocode_report"] = report
    _report_unmatched(report, on_unmatched)
    return gdf


@dataclass(frozen=True)
class _Location:
    """Where one row was placed, and how (the columns :func:`locate_names` adds)."""

    lon: float = np.nan
    lat: float = np.nan
    county_code: str | None = None
    town_code: str | None = None
    loc_prec: str = "none"
    loc_src: str | None = None
    match_note: str | None = None
    outside_county: object = pd.NA


def _name_columns(df, given: dict) -> tuple[pd.DataFrame, dict]:
    """The table without its geometry, and the column used for each level (checked)."""
    if not isinstance(df, pd.DataFrame):
        raise InputDataError(
            f"locate_names: `df` must be a pandas DataFrame; got {type(df).__name__}."
        )
    if given["county"] is None:
        raise InputDataError("locate_names: a `county` column is required.")
    if isinstance(df, gpd.GeoDataFrame):  # an existing geometry is replaced by the located point
        df = pd.DataFrame(df.drop(columns=df.geometry.name))
    cols = {k: _resolve_column(df, k, v) for k, v in given.items()}
    missing = [f"{k}={v!r}" for k, v in cols.items() if v is not None and v not in df.columns]
    if missing:
        raise InputDataError(
            f"locate_names: column(s) {', '.join(missing)} not in the table; columns are "
            f"{list(df.columns)}. Pass the right names, e.g. county='县区', or None for a level "
            "the table lacks."
        )
    return df, cols


def _locate_rows(gaz: Gazetteer, df: pd.DataFrame, cols: dict) -> list[_Location]:
    """Every row located; the county match is computed once per (province, city, county)."""

    def col(name):
        return df[name].tolist() if name is not None else [None] * len(df)

    provs, cits, ctys, twns = (col(cols[k]) for k in ("province", "city", "county", "town"))
    county_cache: dict = {}
    located = []
    for key, twn in zip(zip(provs, cits, ctys), twns):
        if key not in county_cache:
            county_cache[key] = _match_counties(gaz, *key)
        located.append(_locate_row(gaz, *county_cache[key], city=key[1], county=key[2], town=twn))
    return located


def _locate_row(gaz: Gazetteer, cand: pd.DataFrame, note: str, *, city, county, town) -> _Location:
    """Place one row: town seat, else county representative point, else prefecture centre."""
    ta = gaz._index["tarr"]
    poly_codes = sorted({p for p in cand["poly_code"] if isinstance(p, str)})
    decl_codes = sorted(set(cand["adcode"]))
    town_idx, tnote = None, ""
    if _clean(town) is not None:
        county_names = [v for v in cand["county"].unique()] + (
            [_clean(county)] if _clean(county) else []
        )
        town_idx, tnote, poly_codes, decl_codes = _find_town(
            gaz, town, county_names, poly_codes, decl_codes, city=city, county=county
        )
    if town_idx is not None and len(poly_codes) > 1:
        poly_codes, decl_codes = _narrow_by_town(gaz, town_idx, poly_codes, decl_codes)
    notes = [s for s in (note, tnote) if s]
    if len(poly_codes) > 1:
        notes.append(f"county ambiguous: {', '.join(poly_codes)}")
    poly = poly_codes[0] if len(poly_codes) == 1 else None
    county_code = poly or (decl_codes[0] if len(decl_codes) == 1 else None)
    town_code = ta["town_code"][town_idx] if town_idx is not None else None
    lon, lat, prec, src = _place(gaz, town_idx, poly, decl_codes, notes)
    outside = pd.NA
    if prec in ("town", "county"):
        inside = _inside(gaz, poly, lon, lat)
        outside = pd.NA if inside is pd.NA else not inside
    return _Location(
        lon, lat, county_code, town_code, prec, src, "; ".join(notes) if notes else None, outside
    )


def _find_town(gaz: Gazetteer, town, county_names, poly_codes, decl_codes, *, city, county):
    """The town among the towns of the matched county (every vintage), else of the prefecture.

    Returns ``(town index or None, note, poly_codes, decl_codes)``; a town found in another
    county of the prefecture replaces a declared county that has no polygon of its own.
    """
    ta = gaz._index["tarr"]
    # towns of every vintage of the matched county (2016 code and its 2023 successor)
    codes = set(decl_codes)
    for p in poly_codes:
        codes |= gaz._index["same_poly"].get(p, set())
    idx = [j for c in sorted(codes) for j in gaz._index["by_county"].get(c, [])]
    town_idx, tnote = _match_town(gaz, idx, town, county_names)
    if town_idx is not None:
        return town_idx, tnote, poly_codes, decl_codes
    # development zone or unmatched county: look for the town in the prefecture
    city_codes = {c[:4] for c in decl_codes}
    if not city_codes:
        cst = name_stem(city, level="city")
        allc = gaz._index["counties"]
        city_codes = set(allc.loc[allc["city_stem"] == cst, "adcode"].str[:4]) if cst else set()
    pool = [j for cc in sorted(city_codes) for j in gaz._index["by_city"].get(cc, [])]
    town_idx2, _ = _match_town(gaz, pool, town, county_names)
    if town_idx2 is None:
        return None, tnote, poly_codes, decl_codes
    host = ta["county_code"][town_idx2]
    hp = sorted(set(gaz._index["code_poly"].get(host, [])))
    if len(poly_codes) == 1:
        # the county is known: keep it, the point will be flagged if outside
        return (
            town_idx2,
            (
                f"town {ta['town_name'][town_idx2]!r} not in the declared county; "
                f"found in county {host} of the same prefecture"
            ),
            poly_codes,
            decl_codes,
        )
    tnote = (
        f"town {ta['town_name'][town_idx2]!r} found in county {host} of the same prefecture "
        f"(declared county {county!r} has no polygon of its own)"
    )
    return town_idx2, tnote, ([hp[0]] if hp else []), [host]


def _narrow_by_town(gaz: Gazetteer, town_idx: int, poly_codes, decl_codes):
    """A county name shared by several units (朝阳区): the town tells which one."""
    code_poly = gaz._index["code_poly"]
    narrowed = sorted(
        {
            p
            for p in code_poly.get(gaz._index["tarr"]["county_code"][town_idx], [])
            if p in poly_codes
        }
    )
    if len(narrowed) != 1:
        return poly_codes, decl_codes
    return narrowed, [c for c in decl_codes if narrowed[0] in code_poly.get(c, [])]


def _place(gaz: Gazetteer, town_idx, poly, decl_codes, notes: list):
    """``(lon, lat, loc_prec, loc_src)`` of the best point known; may add to ``notes``."""
    ta = gaz._index["tarr"]
    if town_idx is not None and np.isfinite(ta["lon"][town_idx]):
        return ta["lon"][town_idx], ta["lat"][town_idx], "town", ta["src"][town_idx]
    if poly is not None:
        if town_idx is not None:
            notes.append(f"town {ta['town_name'][town_idx]!r} has no seat point")
        lon, lat = gaz._index["poly_pt"][poly]
        return lon, lat, "county", "county representative point (inside the county polygon)"
    cities = gaz._index["cities"]
    ccodes = sorted({c[:4] for c in decl_codes})
    if len(ccodes) == 1 and ccodes[0] in cities.index:
        lon, lat = cities.loc[ccodes[0], ["lon", "lat"]]
        notes.append("declared county has no polygon and the town has no seat point")
        return lon, lat, "city", "prefecture centre (cpca, GCJ-02 -> WGS 84)"
    return np.nan, np.nan, "none", None


def _located_frame(df: pd.DataFrame, located: list[_Location]) -> gpd.GeoDataFrame:
    """A copy of ``df`` with the located points and the columns saying how they were found."""
    res = df.copy()
    for k in ("county_code", "town_code", "loc_prec", "loc_src", "match_note"):
        res[k] = pd.Series([getattr(loc, k) for loc in located], index=df.index, dtype=object)
    res["outside_county"] = pd.array([loc.outside_county for loc in located], dtype="boolean")
    lon = np.array([loc.lon for loc in located], dtype=float)
    lat = np.array([loc.lat for loc in located], dtype=float)
    geom = shapely.points(lon, lat)
    geom = np.where(np.isfinite(lon), geom, None)
    return gpd.GeoDataFrame(
        res, geometry=gpd.GeoSeries(geom, index=df.index, crs="EPSG:4326"), crs="EPSG:4326"
    )


def _geocode_report(gdf: gpd.GeoDataFrame, cols: dict) -> GeocodeReport:
    named = [c for c in cols.values() if c]
    prec = gdf["loc_prec"]
    unmatched = gdf.loc[prec == "none", named + ["match_note"]]
    outside_tab = gdf.loc[
        gdf["outside_county"].fillna(False).astype(bool),
        named + ["county_code", "town_code", "loc_prec"],
    ]
    noted = gdf.loc[gdf["match_note"].notna(), named + ["match_note"]]
    return GeocodeReport(
        n_rows=len(gdf),
        columns=dict(cols),
        n_town=int((prec == "town").sum()),
        n_county=int((prec == "county").sum()),
        n_city=int((prec == "city").sum()),
        n_unmatched=int((prec == "none").sum()),
        n_outside=len(outside_tab),
        unmatched=pd.DataFrame(unmatched),
        outside=pd.DataFrame(outside_tab),
        notes=pd.DataFrame(noted),
    )


def _report_unmatched(report: GeocodeReport, on_unmatched: str) -> None:
    """Raise or warn about rows that could not be located (``on_unmatched``)."""
    if not report.n_unmatched:
        return
    n, unmatched = report.n_rows, report.unmatched
    where = f"rows {row_list(unmatched.index)}"
    if on_unmatched == "raise":
        raise InputDataError(
            f"locate_names: {report.n_unmatched} of {n} rows could not be located: {where} "
            f"({'; '.join(sorted(set(unmatched['match_note'].dropna())))[:300]}). Check the "
            "names, or pass on_unmatched='warn' to keep them with an empty geometry.",
            rows=list(unmatched.index),
            report=report,
        )
    msg = (
        f"locate_names: {report.n_unmatched} of {n} rows could not be located (kept with an "
        f"empty geometry, loc_prec='none'): {where}; see "
        "gdf.attrs['geocode_report'].unmatched."
    )
    if on_unmatched == "warn":
        warnings.warn(msg, UserWarning, stacklevel=3)


# ----------------------------------------------------------------------------------------------
# Is a located layer fine enough for point-pattern statistics?
# ----------------------------------------------------------------------------------------------
COARSE_PRECISIONS = ("county", "city", "none")


@dataclass(frozen=True)
class LocationQuality(ResultMixin):
    """How finely a layer's points are located, and whether point-level statistics mean anything.

    Attributes
    ----------
    n
        Number of rows (villages).
    n_locations
        Number of distinct point locations among them (villages at one town seat share one).
    by_precision
        ``loc_prec`` value -> number of rows (empty when the layer has no ``loc_prec`` column).
    coarse_share
        Share of rows located only at county, city or no precision.
    reliable
        False when the nearest-neighbour index, Ripley's functions and a village-scale KDE would
        describe the geocoding (county points, shared town seats) rather than the villages.
    reason
        Plain-language explanation (empty when ``reliable``).
    """

    n: int
    n_locations: int
    by_precision: dict
    coarse_share: float
    reliable: bool
    reason: str
    min_locations: int
    max_coarse_share: float

    def to_frame(self) -> pd.DataFrame:
        rows = [
            {"loc_prec": k, "rows": v, "share": v / self.n if self.n else np.nan}
            for k, v in self.by_precision.items()
        ]
        return pd.DataFrame(rows, columns=["loc_prec", "rows", "share"])

    def summary(self) -> str:
        prec = ", ".join(f"{k} {v}" for k, v in self.by_precision.items()) or "no loc_prec column"
        head = (
            f"Location quality: {self.n} villages at {self.n_locations} distinct locations "
            f"({prec})."
        )
        return head if self.reliable else f"{head}\n{self.reason}"


def location_quality(
    points: gpd.GeoDataFrame,
    *,
    precision_col: str = "loc_prec",
    min_locations: int = 10,
    max_coarse_share: float = 0.2,
) -> LocationQuality:
    """Judge whether village-scale point statistics are meaningful for a located layer.

    The shipped layers place villages at their town seat or, where the seat is unknown, at the
    county's representative point (``loc_prec``). Within one county this can leave a handful of
    distinct points -- Cao County 2016: 48 villages, 36 of them (Daji's 27 among them) at the
    county point -- so an NNI, Ripley's L or a 2-km KDE would measure the geocoding, not the
    villages. The rule is deliberately simple and stated in the result: reliable unless more than
    ``max_coarse_share`` of the rows are at county/city/no precision, or there are fewer than
    ``min_locations`` distinct locations.

    Parameters
    ----------
    points
        Located villages (any CRS; distinct locations are exact coordinate matches).
    precision_col
        Column with the location precision (``town`` / ``county`` / ``city`` / ``simulated`` ...).
        Without it only the distinct-location rule applies.
    min_locations, max_coarse_share
        Thresholds of the rule (defaults: 10 locations, 20 % coarse rows).

    Returns
    -------
    LocationQuality
    """
    n = int(len(points))
    xy = shapely.get_coordinates(points.geometry.values)
    n_loc = int(len(np.unique(xy, axis=0))) if len(xy) else 0
    if precision_col in points.columns:
        counts = points[precision_col].fillna("none").astype(str).value_counts()
        by_prec = {str(k): int(v) for k, v in counts.items()}
    else:
        by_prec = {}
    coarse = sum(v for k, v in by_prec.items() if k in COARSE_PRECISIONS)
    share = coarse / n if n else 0.0
    problems = []
    if share > max_coarse_share:
        problems.append(
            f"{coarse} of {n} villages ({share:.0%}) are placed only at a county or "
            "city point because their town seat is unknown"
        )
    if n_loc < min_locations:
        problems.append(f"the {n} villages occupy only {n_loc} distinct locations")
    reason = ""
    if problems:
        reason = (
            "Village-scale point statistics (nearest-neighbour index, Ripley's L, "
            "village-level KDE) are not interpretable here: "
            + "; ".join(problems)
            + ". They describe where the villages were geocoded, not where they are; use "
            "county-level comparisons, or village coordinates if you have them."
        )
    return LocationQuality(
        n=n,
        n_locations=n_loc,
        by_precision=by_prec,
        coarse_share=float(share),
        reliable=not problems,
        reason=reason,
        min_locations=int(min_locations),
        max_coarse_share=float(max_coarse_share),
    )
