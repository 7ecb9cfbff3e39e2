"""Hostile boundaries (study windows): one converter, one error per problem, everywhere.

``windows.boundary_geometry`` turns a user's boundary into the study window for the NNI, Ripley,
KDE and the aggregation to units. The same bad boundary must raise the same error class with
the same message from each of them (only the function's name differs).
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

from taobao_geo.density import kde
from taobao_geo.nni import nearest_neighbour_index
from taobao_geo._errors import CRSError, GeometryTypeError, ZeroAreaError
from taobao_geo.ripley import k_function
from taobao_geo.units import aggregate
from taobao_geo.windows import boundary_geometry, study_area, window_from_geometry

CRS = "EPSG:32650"
BOX = shapely.box(0, 0, 10_000, 10_000)
SLIT = shapely.Polygon([(0, 0), (5_000, 5_000), (10_000, 10_000)])  # a ring of zero area


@pytest.fixture(scope="module")
def points() -> gpd.GeoDataFrame:
    xy = np.random.default_rng(4).uniform(1_000, 9_000, (40, 2))
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)


CALLERS = {
    "nearest_neighbour_index": lambda p, b: nearest_neighbour_index(p, boundary=b),
    "k_function": lambda p, b: k_function(p, boundary=b, nsim=0),
    "kde": lambda p, b: kde(p, bandwidth=1000.0, boundary=b),
    "aggregate": lambda p, b: aggregate(p, "fishnet", size_m=1000.0, boundary=b),
}

BAD = [
    pytest.param(gpd.GeoSeries([BOX]), CRSError,
                 "the boundary has no CRS; set it (e.g. boundary.set_crs('EPSG:4326') for "
                 "longitude/latitude) so that it can be matched with the points.",
                 id="no-crs"),
    pytest.param(gpd.GeoDataFrame({"name": ["a"]}, geometry=[BOX]), CRSError,
                 "the boundary has no CRS", id="no-crs-geodataframe"),
    pytest.param(gpd.GeoSeries([shapely.LineString([(0, 0), (10_000, 10_000)])], crs=CRS),
                 GeometryTypeError,
                 "the boundary must be non-empty Polygon or MultiPolygon geometries; got "
                 "LineString in 1 row(s): 0. A study-area window is an area: pass the "
                 "Polygon/MultiPolygon layer of the study region.",
                 id="linestring-row"),
    pytest.param(shapely.LineString([(0, 0), (10_000, 10_000)]), GeometryTypeError,
                 "the boundary must be non-empty Polygon or MultiPolygon geometries; got "
                 "LineString. A study-area window is an area",
                 id="linestring-shapely"),
    pytest.param(gpd.GeoSeries([BOX, shapely.Point(1, 1), None], index=["a", "b", "c"], crs=CRS),
                 GeometryTypeError,
                 "got Point, empty geometry in 2 row(s): 'b', 'c'.", id="point-and-missing-rows"),
    pytest.param(shapely.Polygon(), GeometryTypeError, "got empty geometry.",
                 id="empty-shapely"),
    pytest.param(gpd.GeoSeries([], crs=CRS), GeometryTypeError,
                 "the study-area window is empty: `boundary` has no rows.", id="no-rows"),
    pytest.param(gpd.GeoSeries([SLIT], crs=CRS), ZeroAreaError,
                 "the boundary polygons have zero area (degenerate rings), so they cannot be a "
                 "study-area window. Pass the polygons of the study region.",
                 id="zero-area-row"),
    pytest.param(SLIT, ZeroAreaError, "the boundary polygons have zero area", id="zero-area-shapely"),
    pytest.param([BOX], GeometryTypeError,
                 "`boundary` must be a GeoDataFrame, GeoSeries or shapely Polygon/MultiPolygon; "
                 "got list.", id="a-list"),
    pytest.param("county.shp", GeometryTypeError, "got str.", id="a-file-name"),
]


def _raised(call, points, boundary):
    with pytest.raises(Exception) as info:  # noqa: PT011 - the class is compared below
        call(points, boundary)
    return info


@pytest.mark.parametrize(("boundary", "cls", "text"), BAD)
def test_same_bad_boundary_same_error_everywhere(points, boundary, cls, text):
    seen = {}
    for name, call in CALLERS.items():
        info = _raised(call, points, boundary)
        assert info.type is cls, (name, info.type, str(info.value))
        msg = str(info.value)
        assert msg.startswith(f"`{name}`: "), (name, msg)
        assert text in msg, (name, msg)
        seen[name] = msg.replace(f"`{name}`", "`<func>`", 1)
    assert len(set(seen.values())) == 1, seen


def test_zero_area_is_not_applicable_and_a_geometry_error():
    # a degenerate boundary is "not applicable" (a pipeline records the step as skipped) and,
    # as before, still a GeometryTypeError for callers that catch that
    with pytest.raises(ZeroAreaError) as info:
        boundary_geometry(SLIT, CRS, func="f")
    assert isinstance(info.value, GeometryTypeError)


def test_converter_dissolves_repairs_and_reprojects():
    # a bow-tie (self-intersecting) ring is repaired into its two triangles, the zero-area
    # sliver part is dropped, two touching squares are dissolved into one polygon
    bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    geom = boundary_geometry(bowtie, CRS, func="f")
    assert geom.geom_type == "MultiPolygon" and geom.is_valid
    assert geom.area == pytest.approx(2.0)
    squares = gpd.GeoSeries([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), SLIT], crs=CRS)
    merged = boundary_geometry(squares, CRS, func="f")
    assert merged.geom_type == "Polygon" and merged.area == pytest.approx(2.0)
    lonlat = gpd.GeoSeries([shapely.box(116.9, 35.0, 117.0, 35.1)], crs="EPSG:4326")
    utm = boundary_geometry(lonlat, CRS, func="f")
    assert utm.bounds[0] > 400_000  # metres, not degrees
    assert utm.area == pytest.approx(lonlat.to_crs(CRS).area.iloc[0], rel=1e-9)
    # no target CRS: the boundary's own
    assert boundary_geometry(lonlat, None, func="f").equals(lonlat.iloc[0])


def test_study_area_notes_the_reprojection(points):
    lonlat = gpd.GeoSeries([BOX], crs=CRS).to_crs("EPSG:4326")
    sa = study_area(points, boundary=lonlat)
    assert "reprojected from EPSG:4326" in sa.description
    assert "reprojected" not in study_area(points, boundary=gpd.GeoSeries([BOX], crs=CRS)).description
    assert "reprojected" not in study_area(points, boundary=BOX).description


def test_window_from_geometry_uses_the_converter():
    with pytest.raises(ZeroAreaError, match=re.escape("`window_from_geometry`: the boundary "
                                                      "polygons have zero area")):
        window_from_geometry(SLIT)
    assert window_from_geometry(shapely.box(0, 0, 2, 3)).area_m2 == 6.0
