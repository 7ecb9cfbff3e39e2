"""Hostile cases for the GCJ-02 datum (issue 10 point 7): GCJ-02 is shifted only inside
mainland China's outline, not its bounding rectangle.

References: the published coordtransform pairs are in tests/test_coords.py (unchanged); the
GCJ-02 shift for Beijing and Cao County below is the standard algorithm's closed form (the
rectangle version, reimplemented here independently of taobao_geo)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from taobao_geo import coords

A, EE = 6378245.0, 0.00669342162296594323


def _standard_gcj(lon, lat):
    # the textbook formula (wandergis/coordtransform), rectangle test omitted
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
            + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2 / 3
            + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2 / 3)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
            + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2 / 3
            + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3)
    radlat = lat / 180.0 * math.pi
    magic = 1 - EE * math.sin(radlat) ** 2
    sq = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sq) * math.pi)
    dlon = (dlon * 180.0) / (A / sq * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def _km(lon0, lat0, lon1, lat1):
    k = 111.32
    return math.hypot((lon1 - lon0) * k * math.cos(math.radians(lat0)), (lat1 - lat0) * k)


OUTSIDE = {  # inside the standard rectangle, outside China: no shift
    "seoul": (126.978, 37.5665), "hanoi": (105.8342, 21.0278),
    "ulaanbaatar": (106.9057, 47.8864), "kathmandu": (85.324, 27.7172),
    "pyongyang": (125.7625, 39.0392), "taipei": (121.5654, 25.0330),
    "hong_kong": (114.1694, 22.3193), "macau": (113.5439, 22.1987),
    "new_delhi": (77.209, 28.6139), "vladivostok": (131.8855, 43.1155),
}


@pytest.mark.parametrize("name", sorted(OUTSIDE), ids=sorted(OUTSIDE))
def test_not_shifted_outside_mainland(name):
    lon, lat = OUTSIDE[name]
    # the rectangle-only algorithm would move these 0.3-0.6 km
    assert 0.2 < _km(lon, lat, *_standard_gcj(lon, lat)) < 1.0
    assert coords.out_of_china(lon, lat)
    assert coords.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert coords.gcj02_to_wgs84(lon, lat) == (lon, lat)


INSIDE = {"beijing": (116.397, 39.909), "cao_county": (115.5425, 34.8253),
          "kashgar": (75.99, 39.47), "mohe": (122.53, 52.97), "sanya": (109.51, 18.25),
          "shenzhen": (114.06, 22.54), "urumqi": (87.62, 43.83), "lhasa": (91.13, 29.65)}


@pytest.mark.parametrize("name", sorted(INSIDE), ids=sorted(INSIDE))
def test_shifted_inside_mainland_as_the_standard_formula(name):
    lon, lat = INSIDE[name]
    got = coords.wgs84_to_gcj02(lon, lat)
    ref = _standard_gcj(lon, lat)
    assert got == pytest.approx(ref, abs=1e-12)
    assert 0.1 < _km(lon, lat, *got) < 1.0
    back = coords.gcj02_to_wgs84(*got)
    assert back == pytest.approx((lon, lat), abs=1e-9)


def test_vectorised_mixed_array_and_shape_kept():
    pts = [OUTSIDE["seoul"], INSIDE["beijing"], (np.nan, np.nan), OUTSIDE["hanoi"]]
    lon = np.array([p[0] for p in pts]).reshape(2, 2)
    lat = np.array([p[1] for p in pts]).reshape(2, 2)
    out = coords.out_of_china(lon, lat)
    assert out.shape == (2, 2)
    assert out.tolist() == [[True, False], [True, True]]


# --- the file's own metadata says WGS 84 but the caller passed datum='gcj02' -------------------

@pytest.mark.parametrize("ext, crs, warns", [("gpkg", "EPSG:4326", True),
                                             ("shp", "EPSG:4326", True),
                                             ("gpkg", "EPSG:4490", False)],
                         ids=["gpkg-4326", "shp-4326-prj", "gpkg-cgcs2000"])
def test_wgs84_metadata_with_gcj02_datum_warns(tmp_path, ext, crs, warns):
    import warnings

    import geopandas as gpd
    from shapely.geometry import Point

    from taobao_geo.io import validate_villages

    p = tmp_path / f"villages.{ext}"
    gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[Point(115.6, 34.7), Point(115.5, 34.8)],
                     crs=crs).to_file(p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = validate_villages(p, datum="gcj02")
    msgs = rep.warnings["message"].tolist() if len(rep.warnings) else []
    hit = [m for m in msgs if "says its CRS is WGS 84" in m]
    assert bool(hit) == warns
    if warns:
        assert "datum='gcj02'" in hit[0] and "--datum wgs84" in hit[0]


def test_wgs84_metadata_with_wgs84_datum_is_quiet(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    from taobao_geo.io import validate_villages

    p = tmp_path / "villages.gpkg"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(115.6, 34.7)], crs="EPSG:4326").to_file(p)
    rep = validate_villages(p)
    assert not any("says its CRS" in m for m in rep.warnings["message"].tolist())
