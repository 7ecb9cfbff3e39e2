"""Datum conversions (taobao_geo.coords) against published values and round-trip properties.

References
----------
* wandergis/coordtransform (the de-facto standard JS implementation, MIT), README "result"
  block and its jest tests: inputs (116.404, 39.915) ->
  bd09togcj02  [116.39762729119315, 39.90865673957631]
  gcj02tobd09  [116.41036949371029, 39.92133699351021]
  wgs84togcj02 [116.41024449916938, 39.91640428150164]
  gcj02towgs84 [116.39775550083061, 39.91359571849836]
  The forward conversions must match to the last digit (same formula). The two inverses there
  are the one-step approximations; ours are iterated to the exact inverse, so they must agree
  within a few centimetres and ours must map back exactly.
* The raw-data README of this project: in Cao County GCJ-02 sits about 510 m east and 110 m
  south of WGS 84.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.affinity
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from taobao_geo import coords
from taobao_geo._errors import CRSError, TaobaoGeoError

GEOD = Geod(ellps="WGS84")


def metres(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


# --- published reference pairs ---------------------------------------------------------------

def test_forward_matches_coordtransform_exactly():
    assert coords.wgs84_to_gcj02(116.404, 39.915) == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-12)
    assert coords.gcj02_to_bd09(116.404, 39.915) == pytest.approx(
        (116.41036949371029, 39.92133699351021), abs=1e-12)


@pytest.mark.parametrize(
    "func, forward, published",
    [
        (coords.gcj02_to_wgs84, coords.wgs84_to_gcj02, (116.39775550083061, 39.91359571849836)),
        (coords.bd09_to_gcj02, coords.gcj02_to_bd09, (116.39762729119315, 39.90865673957631)),
    ],
)
def test_inverse_close_to_published_and_exact(func, forward, published):
    x, y = func(116.404, 39.915)
    # the published one-step approximation is within a few centimetres of the exact inverse
    assert metres(x, y, *published) < 0.1
    # ours maps back exactly (< 1 mm)
    fx, fy = forward(x, y)
    assert metres(fx, fy, 116.404, 39.915) < 1e-3


def test_caoxian_offset_matches_raw_data_readme():
    # Cao County seat area, WGS 84
    lon, lat = 115.54, 34.83
    glon, glat = coords.wgs84_to_gcj02(lon, lat)
    east = metres(lon, lat, glon, lat) * np.sign(glon - lon)
    north = metres(lon, lat, lon, glat) * np.sign(glat - lat)
    assert east == pytest.approx(510, abs=20)
    assert north == pytest.approx(-110, abs=20)


# --- out of China ------------------------------------------------------------------------------

@pytest.mark.parametrize("lon, lat", [(-74.006, 40.7128), (2.35, 48.85), (151.2, -33.9),
                                      (73.0, 30.0), (120.0, 54.0), (136.0, 35.0)])
def test_outside_china_identity(lon, lat):
    assert coords.out_of_china(lon, lat)
    assert coords.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert coords.gcj02_to_wgs84(lon, lat) == (lon, lat)


def test_out_of_china_rectangle_edges():
    # the rectangle stays a pre-filter (open interval, as the standard algorithm); inside it,
    # only mainland China's outline is shifted (issue 10 point 7)
    assert coords.out_of_china(73.66, 30.0)
    assert coords.out_of_china(73.67, 30.0)  # in the rectangle, but in India
    assert coords.out_of_china(135.04, 53.54)  # in the rectangle, but in Russia
    assert not coords.out_of_china(122.35, 53.0)  # Mohe, China's northern tip
    assert coords.out_of_china(100.0, 53.55)


def test_nan_passes_through():
    x, y = coords.gcj02_to_wgs84(np.array([116.4, np.nan]), np.array([39.9, np.nan]))
    assert np.isfinite(x[0]) and np.isnan(x[1]) and np.isnan(y[1])
    x, y = coords.bd09_to_wgs84(np.array([116.4, np.nan]), np.array([39.9, 30.0]))
    assert np.isfinite(x[0]) and np.isnan(x[1])


# --- round trips (hypothesis) --------------------------------------------------------------------

# China's rectangle minus a 0.05° margin (the forward map is discontinuous at the rectangle's edge)
LON = st.floats(73.71, 135.0, allow_nan=False)
LAT = st.floats(3.91, 53.5, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(LON, LAT)
def test_gcj02_round_trip_below_half_metre(lon, lat):
    g = coords.wgs84_to_gcj02(lon, lat)
    w = coords.gcj02_to_wgs84(*g)
    assert metres(lon, lat, *w) < 0.5
    assert metres(lon, lat, *w) < 1e-3  # in fact exact to the millimetre


@settings(max_examples=300, deadline=None)
@given(LON, LAT)
def test_bd09_round_trips_below_half_metre(lon, lat):
    b = coords.wgs84_to_bd09(lon, lat)
    assert metres(lon, lat, *coords.bd09_to_wgs84(*b)) < 0.5
    g = coords.wgs84_to_gcj02(lon, lat)
    assert metres(*g, *coords.bd09_to_gcj02(*coords.gcj02_to_bd09(*g))) < 0.5


@settings(max_examples=100, deadline=None)
@given(LON, LAT, st.sampled_from(coords.DATUMS), st.sampled_from(coords.DATUMS))
def test_convert_any_pair_round_trip(lon, lat, a, b):
    x, y = coords.convert(lon, lat, src=a, dst=b)
    assert metres(lon, lat, *coords.convert(x, y, src=b, dst=a)) < 0.5


def test_vectorised_equals_scalar():
    rng = np.random.default_rng(1)
    lon = rng.uniform(75, 134, 500)
    lat = rng.uniform(5, 53, 500)
    vx, vy = coords.gcj02_to_wgs84(lon, lat)
    for i in (0, 17, 499):
        assert (vx[i], vy[i]) == pytest.approx(coords.gcj02_to_wgs84(lon[i], lat[i]), abs=1e-12)
    bx, by = coords.wgs84_to_gcj02(vx, vy)
    assert np.max(np.abs(bx - lon)) < 1e-9 and np.max(np.abs(by - lat)) < 1e-9


# --- to_wgs84 / from_wgs84 -----------------------------------------------------------------------

def test_to_from_wgs84_dispatch():
    assert coords.to_wgs84(116.404, 39.915, datum="wgs84") == (116.404, 39.915)
    assert coords.to_wgs84(116.404, 39.915, datum="GCJ-02") == coords.gcj02_to_wgs84(116.404, 39.915)
    assert coords.from_wgs84(116.404, 39.915, datum="baidu") == coords.wgs84_to_bd09(116.404, 39.915)


def test_unknown_datum():
    with pytest.raises(TaobaoGeoError, match="Unknown datum 'utm'.*'gcj02'"):
        coords.to_wgs84(1.0, 2.0, datum="utm")


def test_to_wgs84_returns_copy():
    lon = np.array([116.0])
    x, _ = coords.to_wgs84(lon, np.array([39.0]), datum="wgs84")
    x[0] = 0
    assert lon[0] == 116.0


# --- geometries ----------------------------------------------------------------------------------

def test_convert_geometry_all_types_and_copy():
    poly = Polygon([(115.4, 34.7), (115.6, 34.7), (115.6, 34.9), (115.4, 34.9)])
    geoms = [Point(115.5, 34.8), LineString([(115.4, 34.7), (115.6, 34.9)]), poly,
             MultiPolygon([poly, shapely.affinity.translate(poly, 0.5, 0)]), None]
    gdf = gpd.GeoDataFrame({"name": list("abcde")}, geometry=geoms, crs=4326)
    before = gdf.copy()
    out = coords.convert_geometry(gdf, src="wgs84", dst="gcj02")
    assert isinstance(out, gpd.GeoDataFrame) and out.crs == gdf.crs
    assert gdf.geom_equals(before).iloc[:4].all()  # input untouched
    assert list(out.geom_type.iloc[:4]) == list(gdf.geom_type.iloc[:4])
    assert out.geometry.iloc[4] is None
    p = out.geometry.iloc[0]
    assert (p.x, p.y) == pytest.approx(coords.wgs84_to_gcj02(115.5, 34.8), abs=1e-12)
    # every vertex moved by the same rule, so converting back restores the input
    back = coords.convert_geometry(out, src="gcj02", dst="wgs84")
    for a, b in zip(back.geometry.iloc[:4], gdf.geometry.iloc[:4]):
        assert shapely.equals_exact(a, b, tolerance=1e-9)
    assert out.attrs["datum"] == "gcj02"


def test_convert_geometry_geoseries_and_array():
    s = gpd.GeoSeries([Point(115.5, 34.8)], crs=4326, name="g")
    out = coords.convert_geometry(s, src="wgs84", dst="bd09")
    assert isinstance(out, gpd.GeoSeries) and out.name == "g"
    assert (out.iloc[0].x, out.iloc[0].y) == pytest.approx(coords.wgs84_to_bd09(115.5, 34.8))
    arr = coords.convert_geometry(np.array([Point(115.5, 34.8)]), src="wgs84", dst="gcj02")
    assert arr[0].x == pytest.approx(coords.wgs84_to_gcj02(115.5, 34.8)[0])


def test_convert_geometry_refuses_projected():
    s = gpd.GeoSeries([Point(500000, 3850000)], crs=32650)
    with pytest.raises(CRSError, match="longitude/latitude degrees.*to_crs"):
        coords.convert_geometry(s, src="wgs84", dst="gcj02")


def test_convert_geometry_keeps_z_and_scalars():
    arr = coords.convert_geometry(np.array([Point(115.5, 34.8, 42.0)]), src="wgs84", dst="gcj02")
    assert arr[0].has_z and arr[0].z == 42.0
    assert arr[0].x == pytest.approx(coords.wgs84_to_gcj02(115.5, 34.8)[0])
    single = coords.convert_geometry(Point(115.5, 34.8), src="gcj02", dst="wgs84")
    assert (single.x, single.y) == pytest.approx(coords.gcj02_to_wgs84(115.5, 34.8))


def test_matches_wgs84_conversions_shipped_with_the_raw_town_seats():
    import pandas as pd
    from pathlib import Path

    ref = pd.read_csv(Path(__file__).parent / "reference" / "gcj02_wgs84_town_seats.csv")
    x, y = coords.gcj02_to_wgs84(ref["lon_gcj02"].to_numpy(), ref["lat_gcj02"].to_numpy())
    d = GEOD.inv(x, y, ref["lon_wgs84"].to_numpy(), ref["lat_wgs84"].to_numpy())[2]
    assert len(ref) == 16 and np.max(d) < 0.15  # the reference is rounded to 1e-6 degrees
