"""Study areas, boundary distances and CSR simulation inside polygon windows."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from taobao_geo import CRSError, GeometryTypeError, InputDataError, OptionError, TooFewPointsError
from taobao_geo.windows import (
    boundary_distance,
    prepare_pattern,
    simulate_csr,
    study_area,
    window_from_geometry,
)

from _pp_reference import CRS, pattern


def _rotated_line_pattern():
    # points along a 45-degree band: the rotated rectangle is much smaller than the bbox
    rng = np.random.default_rng(0)
    t = rng.uniform(0, 10_000, 200)
    s = rng.uniform(-200, 200, 200)
    x = t / math.sqrt(2) - s / math.sqrt(2)
    y = t / math.sqrt(2) + s / math.sqrt(2)
    return gpd.GeoSeries.from_xy(x, y, crs=CRS)


def test_area_methods_and_reporting():
    pts = _rotated_line_pattern()
    bbox = study_area(pts, area="bbox")
    mbr = study_area(pts)  # default without boundary
    hull = study_area(pts, area="hull")
    assert mbr.method == "mbr" and "ArcGIS" in mbr.description
    assert hull.area_m2 <= mbr.area_m2 < 0.2 * bbox.area_m2
    assert mbr.is_rectangle and not mbr.is_axis_rectangle
    assert bbox.is_rectangle and bbox.is_axis_rectangle
    xy = np.column_stack([pts.x, pts.y])
    assert bbox.area_m2 == pytest.approx(np.ptp(xy[:, 0]) * np.ptp(xy[:, 1]))
    explicit = study_area(pts, area=123.0)
    assert explicit.method == "explicit" and explicit.geometry is None
    assert "km²" in bbox.summary() and bbox.to_frame().loc[0, "area_method"] == "bbox"


def test_boundary_default_and_reprojection():
    pts, win = pattern("demopat")
    sa = study_area(pts, boundary=win)
    assert sa.method == "boundary"
    assert sa.area_m2 == pytest.approx(47584687.5)  # spatstat area(Window(demopat))
    # a boundary in another CRS is reprojected to the points' CRS and the fact reported
    w4326 = win.to_crs(4326)
    sa2 = study_area(pts, boundary=w4326)
    assert "reprojected from EPSG:4326" in sa2.description
    assert sa2.area_m2 == pytest.approx(sa.area_m2, rel=1e-6)


def test_boundary_distance_matches_brute_force():
    pts, win = pattern("demopat")
    sa = study_area(pts, boundary=win)
    xy = np.column_stack([pts.geometry.x, pts.geometry.y])
    e = sa.edges
    # brute-force point-to-segment distance
    p = xy[:, None, :]
    a, b = e[None, :, :2], e[None, :, 2:]
    t = np.clip(((p - a) * (b - a)).sum(-1) / ((b - a) ** 2).sum(-1), 0, 1)
    brute = np.linalg.norm(p - (a + t[..., None] * (b - a)), axis=-1).min(axis=1)
    np.testing.assert_allclose(boundary_distance(sa, xy), brute, rtol=1e-12)
    rect = window_from_geometry(shapely.box(0, 0, 2, 1))
    np.testing.assert_allclose(boundary_distance(rect, np.array([[0.5, 0.25], [1.9, 0.5]])),
                               [0.25, 0.1])


def test_edges_orientation():
    sa = window_from_geometry(shapely.Polygon([(0, 0), (0, 4), (4, 4), (4, 0)],
                                              [[(1, 1), (2, 1), (2, 2), (1, 2)]]))
    e = sa.edges
    # signed area from the edges = area with holes (exterior CCW, holes CW)
    signed = 0.5 * np.sum(e[:, 0] * e[:, 3] - e[:, 2] * e[:, 1])
    assert signed == pytest.approx(15.0)


def test_csr_respects_holes_and_parts():
    _, win = pattern("demopat")  # one polygon with a hole
    sa = window_from_geometry(win.iloc[0])
    sims = simulate_csr(sa, 5000, nsim=2, rng=1)
    assert sims.shape == (2, 5000, 2)
    flat = sims.reshape(-1, 2)
    assert shapely.contains_xy(sa.geometry, flat[:, 0], flat[:, 1]).all()
    hole = shapely.Polygon(sa.geometry.interiors[0])
    assert not shapely.contains_xy(hole, flat[:, 0], flat[:, 1]).any()

    _, win2 = pattern("twopiece")  # MultiPolygon: shares proportional to area
    sa2 = window_from_geometry(win2.iloc[0])
    xy = simulate_csr(sa2, 20000, rng=2)[0]
    parts = shapely.get_parts(sa2.geometry)
    share = shapely.contains_xy(parts[0], xy[:, 0], xy[:, 1]).mean()
    expected = parts[0].area / sa2.area_m2
    assert abs(share - expected) < 4 * math.sqrt(expected * (1 - expected) / 20000)
    # uniformity inside a part: mean of x in a rectangle part equals its centre
    rect = window_from_geometry(shapely.box(0, 0, 10, 2))
    r = simulate_csr(rect, 20000, rng=3)[0]
    assert r[:, 0].mean() == pytest.approx(5.0, abs=4 * 10 / math.sqrt(12 * 20000))


def test_csr_seed():
    sa = window_from_geometry(shapely.box(0, 0, 1, 1))
    np.testing.assert_array_equal(simulate_csr(sa, 10, rng=5), simulate_csr(sa, 10, rng=5))


def test_window_errors():
    pts, win = pattern("redwood")
    with pytest.raises(ValueError, match="area='boundary' needs `boundary=`"):
        study_area(pts, area="boundary")
    with pytest.raises(ValueError, match="`area` must be one of"):
        study_area(pts, area="circle")
    with pytest.raises(OptionError, match="positive number"):  # a caller's mistake
        study_area(pts, area=-1.0)
    with pytest.raises(GeometryTypeError, match="window is empty"):
        study_area(pts, boundary=gpd.GeoSeries([shapely.Polygon()], crs=CRS).iloc[:0])
    with pytest.raises(GeometryTypeError, match="Polygon/MultiPolygon"):
        study_area(pts, boundary=gpd.GeoSeries([shapely.Point(0, 0)], crs=CRS))
    with pytest.raises(CRSError):
        study_area(pts.set_crs(None, allow_override=True))
    with pytest.raises(CRSError, match="boundary has no CRS"):
        study_area(pts, boundary=win.set_crs(None, allow_override=True))
    with pytest.raises(InputDataError, match="explicit number"):
        simulate_csr(study_area(pts, area=1.0), 10)


def test_prepare_pattern():
    pts = gpd.GeoSeries.from_xy([0.0, 0, 1, 2, 2, 2], [0.0, 0, 1, 0, 0, 0], crs=CRS,
                                index=list("abcdef"))
    with pytest.raises(InputDataError,
                       match=r"3 row\(s\) share a location with another row \(2 location"):
        prepare_pattern(pts, func="t")
    m = prepare_pattern(pts, duplicates="merge", func="t")
    assert m.n == 3 and list(m.weights) == [2.0, 1.0, 3.0] and list(m.index) == ["a", "c", "d"]
    k = prepare_pattern(pts, duplicates="keep", func="t")
    assert k.n == 6 and k.n_coincident == 3
    with pytest.raises(TooFewPointsError, match="3 distinct locations"):
        prepare_pattern(pts.iloc[[0, 1, 3, 4]], duplicates="merge", func="t")
    with pytest.raises(ValueError, match="`duplicates` must be one of"):
        prepare_pattern(pts, duplicates="jitter", func="t")
