"""Hostile and degenerate input for the aggregation to units (units.py, pipeline's units step).

Each case asserts its specific message or behaviour: a zero-area extent, too few points or too
few units make the step "not applicable" (NotApplicableError) at once instead of building
hundreds of thousands of cells; cells that only touch the boundary are not units.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from taobao_geo import pipeline
from taobao_geo._errors import NotApplicableError, OptionError
from taobao_geo.units import aggregate

CRS = "EPSG:32650"


def _pts(xy) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, float)
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)


def _uniform(n, seed=0, w=50_000, h=30_000):
    return _pts(np.random.default_rng(seed).uniform((0, 0), (w, h), (n, 2)))


def _box(x0, y0, x1, y1):
    return gpd.GeoDataFrame(geometry=[shapely.box(x0, y0, x1, y1)], crs=CRS)


def _units_step(pts, bnd=None, **kw):
    opts = {"units": "auto", "unit_size_m": None, "unit_id": None} | kw
    return pipeline._units(pts, bnd, choices={}, **opts)


TWO_FAR = [(0.0, 0.0), (8_000_000.0, 5_000_000.0)]  # the 455,064-cell case
COLLINEAR = [(i * 1000.0, 2 * i * 1000.0) for i in range(200)]
IDENTICAL = [(5000.0, 5000.0)] * 200
HORIZONTAL = [(i * 1000.0, 7000.0) for i in range(200)]

NOT_APPLICABLE = [
    pytest.param(lambda: _units_step(_pts(TWO_FAR)), "window of zero area", id="analyze-two-points"),
    pytest.param(lambda: _units_step(_pts(COLLINEAR)), "200 point\\(s\\) span a window of zero area", id="analyze-collinear"),
    pytest.param(lambda: _units_step(_pts(IDENTICAL)), "span a window of zero area", id="analyze-identical"),
    pytest.param(lambda: _units_step(_uniform(20)), r"20 point\(s\) are too few for grid units",
                 id="analyze-20-points"),
    pytest.param(lambda: _units_step(_uniform(29), units="fishnet"),
                 r"29 point\(s\) are too few", id="analyze-29-points-fishnet"),
    pytest.param(lambda: _units_step(_uniform(500), unit_size_m=20_000),
                 r"only \d+ aggregation unit\(s\) \(hex\)", id="analyze-huge-unit-size"),
    pytest.param(lambda: _units_step(_uniform(500), units="fishnet", unit_size_m=25_000),
                 r"only \d+ aggregation unit\(s\) \(fishnet\)", id="analyze-huge-fishnet"),
    pytest.param(lambda: _units_step(
        _uniform(500), units=gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 25_000, 30_000),
                                                        shapely.box(25_000, 0, 50_000, 30_000)],
                                               crs=CRS)),
        r"only 2 aggregation unit\(s\) \(polygons\)", id="analyze-two-polygons"),
    pytest.param(lambda: _units_step(_uniform(20), _box(0, 0, 50_000, 30_000)),
                 "too few for grid units", id="analyze-20-points-with-boundary"),
    pytest.param(lambda: aggregate(_pts(HORIZONTAL), "fishnet", size_m=12),
                 "zero-area extent", id="aggregate-fishnet-horizontal-line-12m"),
    pytest.param(lambda: aggregate(_pts(IDENTICAL), "hex", size_m=100),
                 "zero-area extent", id="aggregate-hex-identical-given-size"),
    pytest.param(lambda: aggregate(_pts(HORIZONTAL), "hex", size_m=100),
                 "zero-area extent", id="aggregate-hex-horizontal-line"),
    pytest.param(lambda: aggregate(_pts(IDENTICAL), "fishnet"), "zero area",
                 id="aggregate-fishnet-identical-default-size"),
    pytest.param(lambda: aggregate(_pts([(1.0, 1.0)]), "hex"), "zero area",
                 id="aggregate-hex-one-point"),
]


@pytest.mark.parametrize("call, message", NOT_APPLICABLE)
def test_degenerate_input_is_not_applicable(call, message):
    with pytest.raises(NotApplicableError, match=message):
        call()


@pytest.mark.parametrize("share", [-0.1, 1.5, float("nan")], ids=["negative", "above-1", "nan"])
def test_min_inside_share_out_of_range_is_an_option_error(share):
    with pytest.raises(OptionError, match="`min_inside_share` must be between 0 and 1"):
        aggregate(_uniform(50), "fishnet", size_m=5000, boundary=_box(0, 0, 50_000, 30_000),
                  min_inside_share=share)


@pytest.mark.parametrize("shape", ["fishnet", "hex"])
@pytest.mark.parametrize("clip", [True, False], ids=["clip", "whole"])
def test_cells_touching_the_boundary_are_not_units(shape, clip):
    """A boundary aligned with the grid: the next row / column only touches it."""
    cells = aggregate(_uniform(300), shape, size_m=2500, boundary=_box(0, 0, 50_000, 30_000),
                      clip=clip)
    inside = shapely.area(shapely.intersection(cells.geometry.to_numpy(),
                                               shapely.box(0, 0, 50_000, 30_000)))
    assert (inside > 0).all()
    assert set(cells.geometry.geom_type) <= {"Polygon", "MultiPolygon"}
    if shape == "fishnet":
        assert len(cells) == 240  # 20 x 12, not 21 x 13 = 273


def test_explicit_tiny_cells_over_a_huge_extent_are_refused():
    """The caller's own 12 m over two far points: a clear refusal, not 455,064 cells."""
    from taobao_geo._errors import GridTooLargeError

    with pytest.raises(GridTooLargeError, match=r"cells \(> 5,000,000\)\. Use a larger size_m"):
        aggregate(_pts(TWO_FAR), "fishnet", size_m=12)


def test_cell_touching_a_triangle_at_a_vertex_is_left_out():
    tri = gpd.GeoDataFrame(geometry=[shapely.Polygon([(0, 0), (10_000, 0), (0, 10_000)])], crs=CRS)
    cells = aggregate(_pts([(1000, 1000), (2000, 500)]), "fishnet", size_m=5000, boundary=tri)
    # the cell [5000, 10000]^2 touches the hypotenuse at (5000, 5000) only
    assert len(cells) == 3
    assert (cells.geometry.area > 0).all()


def test_cells_mostly_outside_are_left_out_and_reported():
    disc = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0).buffer(20_000)], crs=CRS)
    rng = np.random.default_rng(3)
    r, t = 20_000 * np.sqrt(rng.uniform(0, 1, 800)), rng.uniform(0, 2 * np.pi, 800)
    pts = _pts(np.column_stack([r * np.cos(t), r * np.sin(t)]))
    all_cells = aggregate(pts, "hex", size_m=4000, boundary=disc)
    half = aggregate(pts, "hex", size_m=4000, boundary=disc, min_inside_share=0.5)
    rep = half.attrs["aggregation"]
    full_area = np.sqrt(3) / 2 * 4000**2 / 1e6
    assert (half["area_km2"] >= 0.5 * full_area - 1e-9).all()
    assert rep["n_units_dropped_outside"] == len(all_cells) - len(half) > 0
    # the points of the dropped cells are reported, not silently lost
    assert rep["n_points_outside"] == len(pts) - half["count"].sum()
    assert 0 < rep["n_points_in_dropped_units"] <= rep["n_points_outside"]


def test_analyze_units_step_reports_the_clipping():
    choices: dict = {}
    u = pipeline._units(_uniform(1000), None, units="auto", unit_size_m=None, unit_id=None,
                        choices=choices)
    c = choices["units"]
    assert c["window"].startswith("the points' minimum enclosing rectangle")
    assert c["n_units"] == len(u) and c["n_units_dropped_outside"] > 0
    assert "at most one cell per point" in c["reason"]
    assert pipeline._unit_value("count", c) == (
        "density_km2", pipeline._unit_value("count", c)[1])
    assert "clipped cell area" in pipeline._unit_value("count", c)[1]


def test_default_cell_count_never_exceeds_the_points():
    choices: dict = {}
    u = pipeline._units(_uniform(60), None, units="fishnet", unit_size_m=None, unit_id=None,
                        choices=choices)
    assert 30 <= len(u) <= 60 * 1.3  # about one cell per point, not 150


def test_two_points_analyze_skips_the_units_with_the_reason(tmp_path):
    """The issue's case: two far points used to build 455,064 cells of 12 m."""
    pts = gpd.GeoDataFrame({"year": [2020, 2020]},
                           geometry=gpd.points_from_xy([110.0, 120.0], [30.0, 35.0]), crs=4326)
    res = pipeline.analyze(pts, out_dir=tmp_path, maps=False, permutations=0)
    units = res.step("units")
    assert units.status == "skipped"
    assert "2 point(s) span a window of zero area" in units.reason
    assert res.step("moran").status == "skipped"
    assert "units" not in res.layers
