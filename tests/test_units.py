"""Aggregation of points to polygons, fishnet and hexagon grids (counts checked against
geometric point-in-polygon tests; zero units kept)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from taobao_geo import CRSError, GeometryTypeError, InputDataError
from taobao_geo.units import aggregate


@pytest.fixture(scope="module")
def pts():
    rng = np.random.default_rng(42)
    n = 400
    xy = np.vstack([rng.normal(3000, 600, (n // 2, 2)), rng.uniform(0, 8000, (n // 2, 2))])
    return gpd.GeoDataFrame({"shops": rng.integers(1, 50, n)},
                            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32650")


def _geometric_counts(pts, cells):
    """Independent count: each point to the first cell that intersects it (shapely STRtree)."""
    j = gpd.sjoin(pts, cells[["geometry"]].rename_axis(None), predicate="intersects", how="inner")
    j = j[~j.index.duplicated(keep="first")]
    return j.groupby("index_right").size().reindex(cells.index, fill_value=0).to_numpy()


@pytest.mark.parametrize("shape", ["fishnet", "hex"])
def test_grid_counts_match_point_in_polygon(pts, shape):
    cells = aggregate(pts, shape, size_m=750)
    assert cells["count"].sum() == len(pts)
    assert cells.attrs["aggregation"]["n_points_outside"] == 0
    np.testing.assert_array_equal(cells["count"].to_numpy(), _geometric_counts(pts, cells))
    assert (cells["count"] == 0).any(), "empty cells must be kept"
    expected_area = 0.75**2 if shape == "fishnet" else math.sqrt(3) / 2 * 0.75**2
    np.testing.assert_allclose(cells["area_km2"], expected_area, rtol=1e-9)
    np.testing.assert_allclose(cells["density_km2"], cells["count"] / cells["area_km2"])
    assert cells.crs == pts.crs
    assert {"grid_row", "grid_col"} <= set(cells.columns)


def test_weighted_counts(pts):
    cells = aggregate(pts, "fishnet", size_m=1000, weights="shops")
    assert cells["weighted_count"].sum() == pytest.approx(pts["shops"].sum())
    assert "weighted_density_km2" in cells.columns


def test_boundary_clip_areas_and_outside_points(pts):
    boundary = gpd.GeoSeries([shapely.Point(4000, 4000).buffer(3000)], crs="EPSG:32650")
    cells = aggregate(pts, "fishnet", size_m=500, boundary=boundary)
    # clipped cells tile the boundary exactly
    assert cells["area_km2"].sum() == pytest.approx(boundary.area.iloc[0] / 1e6, rel=1e-9)
    inside = pts.geometry.within(boundary.iloc[0]).sum()
    rep = cells.attrs["aggregation"]
    assert cells["count"].sum() == inside
    assert rep["n_points_outside"] == len(pts) - inside
    assert rep["clip"] is True
    whole = aggregate(pts, "fishnet", size_m=500, boundary=boundary, clip=False)
    assert len(whole) == len(cells)
    np.testing.assert_allclose(whole["area_km2"], 0.25)


def test_polygon_units_keep_index_and_zero_units(pts):
    polys = gpd.GeoDataFrame(
        {"name": ["west", "east", "far"]},
        geometry=[shapely.box(0, 0, 4000, 8000), shapely.box(4000, 0, 8000, 8000),
                  shapely.box(20000, 0, 21000, 1000)],
        index=pd.Index(["W", "E", "F"], name="code"), crs="EPSG:32650",
    )
    out = aggregate(pts, polys)
    assert list(out.index) == ["W", "E", "F"] and out.index.name == "code"
    assert out.loc["F", "count"] == 0
    # points on the shared border x = 4000 are counted once
    assert out["count"].sum() + out.attrs["aggregation"]["n_points_outside"] == len(pts)
    expected = _geometric_counts(pts, polys)
    np.testing.assert_array_equal(out["count"].to_numpy(), expected)
    assert out.loc["F", "area_km2"] == pytest.approx(1.0)


def test_polygon_units_in_other_crs_are_reprojected(pts):
    polys = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 8000, 8000)], crs="EPSG:32650").to_crs(4326)
    out = aggregate(pts, polys)
    assert out.crs == pts.crs
    assert out.attrs["aggregation"]["units_reprojected"] is True


def test_default_size_rule(pts):
    cells = aggregate(pts, "hex")
    rep = cells.attrs["aggregation"]
    assert rep["size_rule"].startswith("automatic")
    assert 500 <= len(cells) <= 2500


def test_errors(pts):
    with pytest.raises(CRSError, match="projected CRS"):
        aggregate(pts.to_crs(4326), "fishnet", size_m=1000)
    with pytest.raises(GeometryTypeError, match="Point"):
        aggregate(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs=32650), "fishnet")
    bad = pts.assign(shops=pts["shops"].astype(str))
    with pytest.raises(InputDataError, match="must be numeric"):
        aggregate(bad, "fishnet", size_m=1000, weights="shops")
    with pytest.raises(ValueError, match="`units` must be one of"):
        aggregate(pts, "triangles")
    with pytest.raises(ValueError, match="size_m"):
        aggregate(pts, "fishnet", size_m=-5)


def test_docstring_examples_run():
    import doctest

    from taobao_geo import autocorrelation, local, units

    for mod in (units, autocorrelation, local):
        res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert res.attempted > 0 and res.failed == 0, mod.__name__
