"""CRS choice and the projected-CRS guard (taobao_geo.projection, _validate.ensure_projected).

Independent references: geodesic distances and areas on the WGS 84 ellipsoid from
``pyproj.Geod`` (Karney's algorithms), against which the chosen CRS must be accurate.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
from pyproj import CRS, Geod
from shapely.geometry import Point, box

from taobao_geo._errors import CRSError
from taobao_geo.projection import (
    CHINA_ALBERS,
    choose_crs,
    ensure_projected,
    is_projected,
    to_projected,
)

GEOD = Geod(ellps="WGS84")
CAO = gpd.GeoDataFrame({"v": [1, 2, 3]}, geometry=[Point(115.30, 34.65), Point(115.80, 35.00),
                                                   Point(115.55, 34.80)], crs=4326)
CHINA = gpd.GeoDataFrame(geometry=[Point(80.0, 40.0), Point(126.0, 45.0), Point(110.0, 20.0)],
                         crs=4326)


def test_county_extent_gets_utm_zone_of_centre():
    c = choose_crs(CAO)
    assert c.crs.to_epsg() == 32650 and c.name == "EPSG:32650"
    assert "UTM zone 50N (EPSG:32650)" in c.reason and "0.50° of longitude" in c.reason


def test_southern_hemisphere_utm():
    g = gpd.GeoDataFrame(geometry=[Point(151.2, -33.9)], crs=4326)
    assert choose_crs(g).crs.to_epsg() == 32756


def test_gauss_kruger_option():
    c = choose_crs(CAO, kind="gauss_kruger")
    assert c.crs.to_epsg() == 4548  # CM 117E is nearest to 115.55E (114E is 1.55° away)
    assert "Gauss-Krüger CM 117E" in c.reason
    g = gpd.GeoDataFrame(geometry=[Point(113.9, 30.0)], crs=4326)
    assert choose_crs(g, kind="gauss_kruger").crs.to_epsg() == 4547  # CM 114E
    with pytest.raises(CRSError, match="kind must be one of"):
        choose_crs(CAO, kind="lambert")


def test_national_extent_gets_albers():
    c = choose_crs(CHINA)
    assert c.crs == CHINA_ALBERS
    assert "Albers" in c.reason and c.name.startswith("China Albers")


def test_choose_crs_reads_projected_input_in_degrees():
    assert choose_crs(CAO.to_crs(3857)).crs.to_epsg() == 32650


@pytest.mark.parametrize("kind", ["utm", "gauss_kruger"])
def test_county_distances_match_geodesic(kind):
    # a 50 km east-west and north-south pair in Cao County: error below 0.05 %
    p = to_projected(CAO, kind=kind)
    a, b = p.geometry.iloc[0], p.geometry.iloc[1]
    planar = a.distance(b)
    geodesic = GEOD.inv(115.30, 34.65, 115.80, 35.00)[2]
    assert planar == pytest.approx(geodesic, rel=5e-4)


def test_albers_is_equal_area():
    # 1° x 1° cells across China: planar area in Albers equals the ellipsoidal area (1e-6)
    for lon, lat in [(80, 40), (105, 35), (125, 48), (110, 20)]:
        cell = gpd.GeoSeries([box(lon, lat, lon + 1, lat + 1).segmentize(0.01)], crs=4326)
        planar = cell.to_crs(CHINA_ALBERS).area.iloc[0]
        ellipsoidal = abs(GEOD.geometry_area_perimeter(cell.iloc[0])[0])
        assert planar == pytest.approx(ellipsoidal, rel=1e-5)


def test_to_projected_reports_choice_and_copies():
    p = to_projected(CAO)
    assert p.crs.to_epsg() == 32650
    assert "UTM zone 50N" in p.attrs["crs_choice"]
    assert CAO.crs.to_epsg() == 4326  # input untouched
    again = to_projected(p)
    assert again is not p and "already projected; unchanged" in again.attrs["crs_choice"]
    given = to_projected(CAO, to_crs="EPSG:4547")
    assert "given by the caller" in given.attrs["crs_choice"]


def test_to_projected_refuses_geographic_target():
    with pytest.raises(CRSError, match=r"`to_projected` needs a projected CRS in metres; got "
                                       r"geographic EPSG:4490"):
        to_projected(CAO, to_crs="EPSG:4490")


def test_missing_crs_errors():
    naive = gpd.GeoDataFrame(geometry=[Point(115, 34)])
    with pytest.raises(CRSError, match=r"no CRS, so a metric CRS cannot be chosen.*set_crs"):
        choose_crs(naive)
    with pytest.raises(CRSError, match=r"no CRS, so they cannot be projected.*set_crs"):
        to_projected(naive, to_crs=32650)


def test_empty_layers():
    with pytest.raises(CRSError, match="empty layer"):
        choose_crs(CAO.iloc[:0])
    empty_geoms = gpd.GeoDataFrame(geometry=[Point()], crs=4326)
    with pytest.raises(CRSError, match="no non-empty geometry"):
        choose_crs(empty_geoms)


def test_ensure_projected_messages():
    with pytest.raises(CRSError, match=r"`nni` needs a projected CRS in metres; got geographic "
                                       r"EPSG:4326.*degrees.*to_projected"):
        ensure_projected(CAO, func="nni")
    with pytest.raises(CRSError, match=r"`kde` needs a projected CRS in metres, but the data have "
                                       r"no CRS"):
        ensure_projected(gpd.GeoDataFrame(geometry=[Point(0, 0)]), func="kde")
    with pytest.raises(CRSError, match=r"`ripley` needs a CRS in metres; EPSG:2263 uses "
                                       r"'US survey foot'"):
        ensure_projected(CRS.from_epsg(2263), func="ripley")
    assert ensure_projected(to_projected(CAO), func="x").to_epsg() == 32650


def test_is_projected():
    assert is_projected("EPSG:32650") and is_projected(CHINA_ALBERS)
    assert not is_projected(None) and not is_projected(4326)
