"""County comparison: counts, growth, density, shares and ranks against hand-computed values.

The synthetic counties are a 3 x 3 grid of 0.5° squares near Heze; villages carry a county code
and a year, so every count, growth rate, share and rank has a closed-form expected value.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from taobao_geo import InputDataError
from taobao_geo.compare import NNI_CAVEAT, compare_counties, select_counties
from taobao_geo.projection import CHINA_ALBERS


@pytest.fixture(scope="module")
def counties():
    rows = []
    for i in range(3):
        for j in range(3):
            code = f"3717{i}{j + 1}"
            rows.append({"adcode": code, "province": "山东省" if i < 2 else "河南省",
                         "city": "菏泽市" if i < 2 else "商丘市",
                         "county": f"县{i}{j}" + ("县" if j else "区"),
                         "geometry": box(115 + 0.5 * j, 34.5 + 0.5 * i, 115.5 + 0.5 * j, 35 + 0.5 * i)})
    return gpd.GeoDataFrame(rows, crs=4326)


@pytest.fixture(scope="module")
def villages(counties):
    rng = np.random.default_rng(0)
    # villages per (county index, year): county 0 grows 2 -> 4 -> 8, county 4 grows 1 -> 1 -> 3 ...
    plan = {0: (2, 4, 8), 1: (0, 1, 2), 4: (1, 1, 3), 8: (0, 0, 5)}
    rows = []
    for ci, ns in plan.items():
        c = counties.iloc[ci]
        minx, miny, maxx, maxy = c.geometry.bounds
        for year, n in zip((2014, 2015, 2016), ns):
            for _ in range(n):
                rows.append({"year": year, "county_code": c["adcode"], "loc_prec": "town",
                             "geometry": Point(rng.uniform(minx + 0.05, maxx - 0.05),
                                               rng.uniform(miny + 0.05, maxy - 0.05))})
    return gpd.GeoDataFrame(rows, crs=4326)


def test_counts_growth_density_share_and_ranks(villages, counties):
    res = compare_counties(villages, counties, city="菏泽市", permutations=9, rng=1,
                           progress=False)
    t = res.table.set_index("county")
    assert len(t) == 6  # the six counties of the synthetic Heze
    c0 = t.loc["县00区"]
    assert (c0["n_2014"], c0["n_2015"], c0["n_2016"]) == (2, 4, 8)
    assert c0["growth_abs"] == 6
    assert c0["growth_pct"] == pytest.approx(300.0)
    assert c0["cagr_pct"] == pytest.approx(100.0)  # doubling each year
    area = counties.to_crs(CHINA_ALBERS).geometry.area.iloc[0] / 1e6
    assert c0["area_km2"] == pytest.approx(area)
    assert c0["density_per_1000km2"] == pytest.approx(8 / area * 1000)
    # Shandong has county 0 (8), county 1 (2) and county 4 (3) in 2016 = 13
    assert c0["share_of_province_pct"] == pytest.approx(8 / 13 * 100)
    assert t.loc["县11县", "share_of_province_pct"] == pytest.approx(3 / 13 * 100)
    assert np.isnan(t.loc["县01县", "growth_pct"])  # zero in 2014: growth % undefined, not inf
    assert t.loc["县00区", "rank_count"] == 1
    assert t.loc["县11县", "rank_count"] == 2
    assert t.loc["县01县", "rank_count"] == 3
    # zero counties share the last rank
    assert set(t.loc[["县02县", "县10区", "县12县"], "rank_count"]) == {4}
    assert list(res.table["rank_count"]) == sorted(res.table["rank_count"])
    assert NNI_CAVEAT in res.notes
    # tidy long counts: one row per county and year, zeros kept
    assert len(res.counts) == 6 * 3
    assert res.counts["n"].sum() == 8 + 4 + 2 + 1 + 2 + 1 + 1 + 3  # Heze villages, all years
    assert int(res.counts.query("county == '县00区' and year == 2016")["n"].iloc[0]) == 8


def test_nni_note_when_too_few_locations(villages, counties):
    res = compare_counties(villages, counties, names=["县01县"], permutations=9, rng=1,
                           progress=False)
    r = res.table.iloc[0]
    assert np.isnan(r["nni_R"])
    assert r["nni_note"] == "not computed: only 2 village(s) (< 5 locations)"
    # six villages at two town seats: the note says that they share points
    # (county 371702 has one 2015 village; five more villages placed on that point in 2016)
    seat = villages[villages.county_code == "371702"].iloc[:1]
    stacked = pd.concat([villages] + [seat.assign(year=2016)] * 5, ignore_index=True)
    r = compare_counties(stacked, counties, names=["县01县"], permutations=9, rng=1,
                         progress=False).table.iloc[0]
    assert r["n_2016"] == 7
    assert "7 villages at only 3 distinct" in r["nni_note"] and "town-seat" in r["nni_note"]


def test_nni_where_enough_locations(villages, counties):
    r = compare_counties(villages, counties, names=["县00区"], permutations=19, rng=1,
                         progress=False).table.iloc[0]
    # 8 distinct random locations in 2016: the NNI module's result is reported as is
    assert r["nni_n_locations"] == 8
    assert 0 < r["nni_R"] < 3 and np.isfinite(r["nni_z"]) and 0 < r["nni_p"] <= 1
    assert np.isfinite(r["nni_z_normal"])


def test_top_and_union_selection(villages, counties):
    res = compare_counties(villages, counties, names="371711", top=2, permutations=9, rng=1,
                           progress=False)
    # top 2 in 2016: county 0 (8 villages) and county 8 (5 villages), plus the named one
    assert set(res.table["adcode"]) == {"371711", "371701", "371723"}
    assert "top 2" in res.selection


def test_selection_errors(counties, villages):
    with pytest.raises(InputDataError, match="no county named"):
        select_counties(counties, names=["Nowhere"])
    with pytest.raises(InputDataError, match="no county with adcode 999999"):
        select_counties(counties, names=["999999"])
    with pytest.raises(InputDataError, match="select counties"):
        compare_counties(villages, counties, progress=False)
    with pytest.raises(InputDataError, match="no 'yr' column"):
        compare_counties(villages, counties, names="371711", year_col="yr", progress=False)
    with pytest.raises(InputDataError, match="years \\[2013\\]"):
        compare_counties(villages, counties, names="371711", years=[2013, 2016], progress=False)
    dup = pd.concat([counties, counties.iloc[[0]].assign(adcode="410101")])
    with pytest.raises(InputDataError, match="matches 2 counties"):
        select_counties(dup, names=["县00区"])


def test_name_without_suffix_and_province(counties):
    assert list(select_counties(counties, names=["县00"])["adcode"]) == ["371701"]
    assert len(select_counties(counties, province="河南")) == 3


def test_point_in_polygon_counting_matches_codes(villages, counties):
    a = compare_counties(villages, counties, city="菏泽市", permutations=9, rng=1, progress=False)
    b = compare_counties(villages.drop(columns="county_code"), counties, city="菏泽市",
                         permutations=9, rng=1, progress=False)
    cols = ["adcode", "n_2014", "n_2015", "n_2016", "density_per_1000km2"]
    pd.testing.assert_frame_equal(a.table[cols], b.table[cols])


def test_figures(villages, counties, tmp_path):
    res = compare_counties(villages, counties, city="菏泽市", permutations=9, rng=1,
                           progress=False)
    fig = res.plot(highlight="371701")
    fig.savefig(tmp_path / "sm.png")
    assert len(fig.axes) >= 6
    fig2 = res.plot_map()
    fig2.savefig(tmp_path / "map.png")
    assert (tmp_path / "sm.png").stat().st_size > 1000
    assert "counties compared" in res.summary()


def test_save_writes_table_figures_and_map(villages, counties, tmp_path):
    res = compare_counties(villages, counties, city="菏泽市", permutations=9, rng=1,
                           progress=False)
    paths = res.save(tmp_path, highlight="371701")
    back = pd.read_csv(paths["table"], dtype={"adcode": str})
    assert list(back["adcode"]) == list(res.table["adcode"])
    for key in ("small_multiples", "map_png", "map_html"):
        assert paths[key].stat().st_size > 1000, key
    assert "County comparison" in paths["map_html"].read_text(encoding="utf-8")


def test_centre_shift_matches_projected_means(counties):
    # three villages in 2014 and three in 2016 in county 371701; the shift of the mean centre is
    # checked against the means of the UTM coordinates computed here with geopandas directly
    pts = [(115.10, 34.60), (115.20, 34.70), (115.15, 34.90), (115.30, 34.62), (115.40, 34.71),
           (115.35, 34.93)]
    g = gpd.GeoDataFrame({"year": [2014] * 3 + [2016] * 3, "county_code": "371701"},
                         geometry=[Point(x, y) for x, y in pts], crs=4326)
    r = compare_counties(g, counties, names="371701", permutations=9, rng=1,
                         progress=False).table.iloc[0]
    utm = g.to_crs(32650)
    a = utm[utm.year == 2014].geometry
    b = utm[utm.year == 2016].geometry
    dx, dy = b.x.mean() - a.x.mean(), b.y.mean() - a.y.mean()
    assert r["centre_shift_km"] == pytest.approx(np.hypot(dx, dy) / 1000, rel=1e-9)
    assert r["centre_bearing_deg"] == pytest.approx(np.degrees(np.arctan2(dx, dy)) % 360, abs=1e-7)
    assert 80 < r["centre_bearing_deg"] < 100  # moved east


def test_centre_shift_when_a_year_sits_on_one_town_seat(counties):
    # 2014: three villages at one seat (centrography cannot draw an ellipse); 2016: spread
    pts = [(115.10, 34.60)] * 3 + [(115.30, 34.62), (115.40, 34.71), (115.35, 34.93)]
    g = gpd.GeoDataFrame({"year": [2014] * 3 + [2016] * 3, "county_code": "371701"},
                         geometry=[Point(x, y) for x, y in pts], crs=4326)
    r = compare_counties(g, counties, names="371701", permutations=9, rng=1,
                         progress=False).table.iloc[0]
    utm = g.to_crs(32650)
    a, b = utm[utm.year == 2014].geometry, utm[utm.year == 2016].geometry
    expected = np.hypot(b.x.mean() - a.x.mean(), b.y.mean() - a.y.mean()) / 1000
    assert r["centre_shift_km"] == pytest.approx(expected, rel=1e-9)
    assert "one point" in r["centre_note"]


def test_small_multiples_capped(villages, counties):
    res = compare_counties(villages, counties, province="山东省", permutations=9, rng=1,
                           progress=False)
    assert len(res.table) == 6
    fig = res.plot(max_panels=4, highlight="371703")  # a zero county ranked last: still shown
    titles = [a.get_title() for a in fig.axes if a.get_title()]
    # labels are adcodes, or names where a CJK font is installed
    assert len(titles) == 4 and ("371703" in titles or "县02县" in titles)
    assert "top 4 of 6" in fig._suptitle.get_text()


def test_context_china_uses_every_county(villages, counties):
    res = compare_counties(villages, counties, names="371701", context="china", permutations=19,
                           rng=1, progress=False)
    assert res.context == "all 9 counties"
    r = res.table.iloc[0]
    assert r["lisa_class"] in {"HH", "LL", "HL", "LH", "not significant"}
    assert r["gi_bin"] in range(-3, 4) and np.isfinite(r["gi_z"])
    with pytest.raises(ValueError, match="context"):
        compare_counties(villages, counties, names="371701", context="world", progress=False)


def test_gi_star_wiring_matches_closed_form(villages, counties):
    # Gi* (Ord & Getis 1995) by hand for the corner county 371701 among the 9 counties, queen
    # contiguity plus itself, binary weights: z = (sum_j w_j x_j - xbar W) /
    # (s sqrt((n S1 - W^2) / (n - 1))), s^2 = sum x^2 / n - xbar^2. 2016 counts by county:
    x = np.array([8, 2, 0, 0, 3, 0, 0, 0, 5], float)  # 371701 .. 371723 in row order
    n, xbar = len(x), x.mean()
    s = np.sqrt((x**2).sum() / n - xbar**2)
    nb = [0, 1, 3, 4]  # itself, east, north, north-east
    W = S1 = len(nb)
    z = (x[nb].sum() - xbar * W) / (s * np.sqrt((n * S1 - W**2) / (n - 1)))
    res = compare_counties(villages, counties, names="371701", context="china", permutations=19,
                           rng=1, progress=False)
    assert res.table.iloc[0]["gi_z"] == pytest.approx(z, rel=1e-9)


def test_county_nni_matches_clark_evans_by_hand(villages, counties):
    from scipy.spatial import cKDTree

    res = compare_counties(villages, counties, names="371701", permutations=19, rng=1,
                           progress=False)
    r = res.table.iloc[0]
    pts = villages[(villages.county_code == "371701") & (villages.year == 2016)].to_crs(32650)
    xy = np.column_stack([pts.geometry.x, pts.geometry.y])
    d, _ = cKDTree(xy).query(xy, k=2)
    area = counties[counties.adcode == "371701"].to_crs(32650).geometry.area.iloc[0]
    expected_R = d[:, 1].mean() / (0.5 / np.sqrt(len(xy) / area))
    assert r["nni_R"] == pytest.approx(expected_R, rel=1e-9)
    # ArcGIS's normal z: (observed - expected) / (0.26136 / sqrt(n^2 / A))
    z = (d[:, 1].mean() - 0.5 / np.sqrt(len(xy) / area)) / (0.26136 / np.sqrt(len(xy) ** 2 / area))
    assert r["nni_z_normal"] == pytest.approx(z, rel=1e-9)


def test_comparison_computes_and_maps_draw(villages, counties, tmp_path):
    # issue 11: the comparison only computes; maps.comparison_map draws, the caller writes
    from taobao_geo import maps
    from taobao_geo.pipeline import write_comparison

    res = compare_counties(villages, counties, city="菏泽市", permutations=9, rng=1,
                           progress=False)
    m = maps.comparison_map(res)
    html = maps.to_html(m, offline=True)
    assert "County comparison: density_per_1000km2" in html
    assert not list(tmp_path.iterdir())  # drawing writes nothing
    paths = write_comparison(res, tmp_path / "c", maps=False)
    assert "map_html" not in paths and paths["table"].is_file()
    with pytest.warns(DeprecationWarning, match=r"maps\.comparison_map\(result"):
        res.map()
    with pytest.warns(DeprecationWarning, match=r"pipeline\.write_comparison\(result"):
        res.save(tmp_path / "d", maps=False)


def test_comparison_map_refuses_a_result_without_polygons(villages, counties):
    import dataclasses

    from taobao_geo import TaobaoGeoError, maps

    res = compare_counties(villages, counties, names="371721", permutations=9, rng=1,
                           progress=False)
    empty = dataclasses.replace(res, counties=None)
    with pytest.raises(TaobaoGeoError, match="holds no county polygons"):
        maps.comparison_map(empty)
