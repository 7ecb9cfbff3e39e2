"""location_quality: when are village-scale point statistics meaningful? (hand-counted cases)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from taobao_geo import datasets
from taobao_geo.geocode import location_quality


def _layer(points, prec):
    return gpd.GeoDataFrame({"loc_prec": prec}, geometry=[Point(p) for p in points], crs=4326)


def test_town_precision_with_enough_locations_is_reliable():
    pts = [(i, 0) for i in range(12)]
    q = location_quality(_layer(pts, ["town"] * 12))
    assert (q.n, q.n_locations, q.coarse_share, q.reliable) == (12, 12, 0.0, True)
    assert q.reason == ""
    assert q.to_frame().to_dict("records") == [{"loc_prec": "town", "rows": 12, "share": 1.0}]


def test_shared_county_point_makes_point_statistics_unreliable():
    # 9 villages at one county point, 3 at three town seats: 12 rows, 4 locations, 75 % coarse
    pts = [(0, 0)] * 9 + [(1, 1), (2, 2), (3, 3)]
    q = location_quality(_layer(pts, ["county"] * 9 + ["town"] * 3))
    assert q.n_locations == 4
    assert q.coarse_share == pytest.approx(0.75)
    assert not q.reliable
    assert "9 of 12 villages (75%) are placed only at a county or city point" in q.reason
    assert "only 4 distinct locations" in q.reason


def test_thresholds_are_parameters_and_missing_precision_counts_as_coarse():
    pts = [(i, 0) for i in range(10)]
    q = location_quality(_layer(pts, ["town"] * 7 + [None] * 3), max_coarse_share=0.3)
    assert q.by_precision == {"town": 7, "none": 3}
    assert q.reliable  # 30 % coarse is not more than 30 %
    assert not location_quality(_layer(pts, ["town"] * 7 + [None] * 3)).reliable


def test_without_precision_column_only_locations_count():
    g = gpd.GeoDataFrame(geometry=[Point(0, 0)] * 5, crs=4326)
    q = location_quality(g)
    assert q.by_precision == {} and q.n_locations == 1 and not q.reliable


def test_shipped_cao_county_2016_is_flagged():
    v = datasets.load("taobao_villages", year=2016)
    cao = v[v["county"] == "曹县"]
    q = location_quality(cao)
    # data/README: 48 villages, 12 at a town seat, 36 at the county point (seats unknown)
    assert q.n == 48 and q.by_precision.get("county") == 36 and q.by_precision.get("town") == 12
    assert not q.reliable
    national = location_quality(v)
    assert national.reliable and national.n == 1311


def test_briefing_warns_when_points_are_too_coarse(tmp_path):
    from taobao_geo import pipeline, report

    v = datasets.load("taobao_villages", year=2016)
    cao = v[v["county"] == "曹县"]
    bnd = datasets.load("caoxian_boundary")
    res = pipeline.analyze(cao, boundary=bnd, out_dir=tmp_path / "a", permutations=19, rng=1,
                           maps=False, progress=False)
    assert res.choices["location_quality"]["reliable"] is False
    assert "WARNING: Village-scale point statistics" in res.summary()
    for lang, words in (("en", "Not interpretable at village scale: the 48 villages occupy only"),
                        ("zh", "村级尺度下不可解读：48 个村庄")):
        html = report.briefing(res, out_path=tmp_path / f"b_{lang}.html", lang=lang).read_text("utf-8")
        assert 'id="precision-banner"' in html and words in html
        assert "significantly different from random" not in html
    # Cao County has too few polygons, so the units are a hexagon grid: its hot spots go too
    assert res.choices["units"]["kind"] == "hex"
    html = (tmp_path / "b_en.html").read_text("utf-8")
    assert "Grid-cell autocorrelation and hot spots: not interpretable here" in html
    assert "High-High (hot-spot) units" not in html
