"""Centrography against closed forms and pointpats 2.5.5 (std_distance, ellipse, median)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pointpats import centrography as pc

from taobao_geo import CRSError, InputDataError, TooFewPointsError
from taobao_geo.centrography import centre_trends, centrography, median_centre
from taobao_geo.nni import nearest_neighbour_index

CRS = "EPSG:32650"
# pointpats' docstring example
COORDS = np.array([[66.22, 32.54], [22.52, 22.39], [31.01, 81.21], [9.47, 31.02],
                   [30.78, 60.10], [75.21, 58.93], [79.26, 7.68], [8.23, 39.93],
                   [98.73, 77.17], [89.78, 42.53], [65.19, 92.08]])


def _gs(xy):
    return gpd.GeoSeries.from_xy(xy[:, 0], xy[:, 1], crs=CRS)


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_pointpats(seed):
    xy = COORDS if seed == 0 else np.random.default_rng(seed).normal(size=(200, 2)) * [3e4, 1e4]
    r = centrography(_gs(xy), sde="crimestat")
    assert r.std_distance_m == pytest.approx(pc.std_distance(xy), rel=1e-12)
    major, minor, angle = pc.ellipse(xy)  # pointpats default = CrimeStat correction
    assert r.major_m == pytest.approx(major, rel=1e-12)
    assert r.minor_m == pytest.approx(minor, rel=1e-12)
    assert r.angle_rad == pytest.approx(angle % math.pi, abs=1e-12)
    assert (r.mean_x, r.mean_y) == pytest.approx(tuple(pc.mean_center(xy)), rel=1e-12)
    # pointpats minimises with scipy's default tolerance (approximate); ours iterates to 1e-9
    # of the spread: same point to 1e-3 of the spread, and ours is at least as good
    ppm = pc.euclidean_median(xy)
    spread = np.ptp(xy, axis=0).max()
    np.testing.assert_allclose([r.median_x, r.median_y], ppm, atol=1e-3 * spread)
    assert pc.dtot([r.median_x, r.median_y], xy) <= pc.dtot(ppm, xy) * (1 + 1e-12)
    # same ellipse polygon as pointpats' geometry (both are polygonal approximations)
    e = pc.ellipse(_gs(xy))
    assert e.symmetric_difference(r.ellipse).area / e.area < 5e-3


def test_conventions_and_rotation_closed_form():
    # a cross: (+-a, 0), (0, +-b): covariance diag(a^2/2, b^2/2), long axis east-west
    a, b = 3000.0, 1000.0
    xy = np.array([[a, 0], [-a, 0], [0, b], [0, -b]])
    arc = centrography(_gs(xy))
    assert arc.sde == "arcgis"
    assert arc.major_m == pytest.approx(math.sqrt(2) * a / math.sqrt(2))
    assert arc.minor_m == pytest.approx(b)
    assert arc.rotation_deg == pytest.approx(90.0)
    yuill = centrography(_gs(xy), sde="yuill")
    assert yuill.major_m == pytest.approx(a / math.sqrt(2))
    cs = centrography(_gs(xy), sde="crimestat")
    assert cs.major_m == pytest.approx(a * math.sqrt(4 / 2))
    assert centrography(_gs(xy), n_std=2).major_m == pytest.approx(2 * a)
    # points along a line towards N30E: rotation 30 degrees clockwise from north
    t = np.linspace(-5000, 5000, 21)
    az = math.radians(30)
    line = np.column_stack([t * math.sin(az), t * math.cos(az)])
    line[1::2] += [[10.0, 0.0]]  # a little width
    assert centrography(_gs(line)).rotation_deg == pytest.approx(30.0, abs=0.5)
    assert centrography(_gs(line * [-1, 1])).rotation_deg == pytest.approx(150.0, abs=0.5)


def test_weighted_centre_sd_and_geometries():
    xy = np.array([[0.0, 0.0], [1000.0, 0.0], [0.0, 1000.0], [1000.0, 1000.0]])
    w = np.array([1.0, 1.0, 1.0, 5.0])
    gdf = gpd.GeoDataFrame({"villages": w}, geometry=_gs(xy).values, crs=CRS)
    r = centrography(gdf, weights="villages")
    assert (r.mean_x, r.mean_y) == pytest.approx((6000 / 8, 6000 / 8))
    sd = math.sqrt(sum(wi * ((x - 750) ** 2 + (y - 750) ** 2) for (x, y), wi in zip(xy, w)) / 8)
    assert r.std_distance_m == pytest.approx(sd)
    assert r.weights == "villages"
    assert r.mean_centre.x == pytest.approx(750.0)
    assert r.std_distance_circle.area == pytest.approx(math.pi * sd**2, rel=1e-2)
    assert r.ellipse.area == pytest.approx(math.pi * r.major_m * r.minor_m, rel=1e-3)
    assert r.ellipse.centroid.distance(r.mean_centre) < 1e-6
    layer = r.to_gdf()
    assert list(layer["feature"]) == ["mean_centre", "median_centre", "std_distance", "ellipse"]
    assert layer.crs == CRS
    assert "clockwise from north" in r.summary()
    # unweighted square: both centres at the middle
    sq = centrography(_gs(xy))
    assert (sq.median_x, sq.median_y) == pytest.approx((500.0, 500.0), abs=1e-6)


def test_median_centre_closed_forms():
    # collinear odd count: the middle point; a dominant weight pulls the median onto its point
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0]])
    np.testing.assert_allclose(median_centre(xy), [1.0, 0.0], atol=1e-7)
    np.testing.assert_allclose(median_centre(xy, np.array([1.0, 1.0, 5.0])), [10.0, 0.0],
                               atol=1e-7)


def _three_years():
    rng = np.random.default_rng(5)
    frames = []
    for year, (cx, cy) in zip([2014, 2015, 2016], [(0, 0), (3000, 4000), (3000, 4000)]):
        xy = rng.normal(size=(80, 2)) * 2000 + [cx, cy]
        frames.append(gpd.GeoDataFrame({"year": [year] * len(xy)}, geometry=_gs(xy).values,
                                       crs=CRS))
    return pd.concat(frames, ignore_index=True)


def test_centre_trends():
    gdf = _three_years()
    res = centre_trends(gdf, by="year")
    t = res.to_frame()
    assert list(t["year"]) == [2014, 2015, 2016]
    c14 = centrography(gdf[gdf.year == 2014])
    c15 = centrography(gdf[gdf.year == 2015])
    dx, dy = c15.mean_x - c14.mean_x, c15.mean_y - c14.mean_y
    assert t["shift_m"].iloc[1] == pytest.approx(math.hypot(dx, dy))
    assert t["shift_bearing_deg"].iloc[1] == pytest.approx(math.degrees(math.atan2(dx, dy)) % 360)
    assert 20 < t["shift_bearing_deg"].iloc[1] < 55  # roughly north-east (36.9 deg by design)
    assert math.isnan(t["shift_m"].iloc[0])
    assert t["cumulative_shift_m"].iloc[-1] == pytest.approx(res.total_shift_m)
    # one pooled window for every year, so R is comparable
    assert res.nni_area_method == "mbr"
    assert t["nni_area_km2"].nunique() == 1
    from taobao_geo.windows import study_area

    win = study_area(gdf)
    r15 = nearest_neighbour_index(gdf[gdf.year == 2015],
                                  boundary=gpd.GeoSeries([win.geometry], crs=CRS))
    assert t["nni_R"].iloc[1] == pytest.approx(r15.R, rel=1e-12)
    assert len(res.ellipses) == 3 and res.trajectory.length == pytest.approx(res.total_shift_m)
    assert "moved" in res.summary()


def test_errors():
    xy = COORDS
    with pytest.raises(CRSError):
        centrography(_gs(xy).to_crs(4326))
    with pytest.raises(TooFewPointsError):
        centrography(_gs(xy[:2]))
    with pytest.raises(InputDataError, match="same location"):
        centrography(_gs(np.zeros((5, 2))))
    with pytest.raises(InputDataError, match="non-negative"):
        centrography(_gs(xy), weights=-np.ones(len(xy)))
    with pytest.raises(InputDataError, match="values for"):
        centrography(_gs(xy), weights=[1, 2])
    with pytest.raises(ValueError, match="`sde` must be one of"):
        centrography(_gs(xy), sde="esri")
    with pytest.raises(InputDataError, match="'year' column"):
        centre_trends(gpd.GeoDataFrame(geometry=_gs(xy).values, crs=CRS))


def test_plots(tmp_path):
    gdf = _three_years()
    res = centre_trends(gdf, nni=False)
    ax = res.plot(path=tmp_path / "t.png", points=gdf)
    assert (tmp_path / "t.png").stat().st_size > 1000
    assert len(ax.get_legend().get_texts()) == 4  # three ellipses and the trajectory
    one = centrography(gdf)
    one.plot(path=tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 1000


def test_trends_weights_and_duplicate_index_labels():
    gdf = _three_years()
    gdf.index = [0] * len(gdf)  # duplicate labels must not confuse the per-year split
    w = np.arange(len(gdf), dtype=float) + 1
    res = centre_trends(gdf, weights=w, nni=False)
    sub = gdf[gdf.year == 2015]
    c = centrography(sub, weights=w[(gdf.year == 2015).to_numpy()])
    row = res.to_frame().set_index("year").loc[2015]
    assert row["mean_x"] == pytest.approx(c.mean_x) and row["major_m"] == pytest.approx(c.major_m)
