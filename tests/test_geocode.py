"""Offline geolocation of name lists (taobao_geo.geocode.locate_names)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from taobao_geo import InputDataError, datasets
from taobao_geo.geocode import GeocodeReport, load_gazetteer, locate_names, name_stem


def _table(rows):
    return pd.DataFrame(rows, columns=["province", "city", "county", "town", "village"])


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


@pytest.mark.parametrize("name,level,stem", [
    ("曹县大集镇", "town", "曹县大集"),
    ("大集乡", "town", "大集"),
    ("侯集回族镇", "town", "侯集"),
    ("青菏街道办事处", "town", "青菏"),
    ("增城市", "county", "增城"),
    ("乳源瑶族自治县", "county", "乳源"),
    ("山东省", "province", "山东"),
    ("广西壮族自治区", "province", "广西"),
    ("-", "town", None),
    (None, "county", None),
    (" 曹 县 ", "county", "曹"),
])
def test_name_stem(name, level, stem):
    assert name_stem(name, level=level) == stem


def test_town_seat_county_point_and_renamed_county(gaz):
    df = _table([
        ["安徽省", "宣城市", "泾县", "丁家桥镇", "李元村"],   # town with a seat
        ["山东省", "菏泽市", "曹县", "大集乡", "丁楼村"],      # Daji: no seat -> county point
        ["广东省", "广州市", "增城市", "新塘镇", "x村"],        # 增城市 -> 增城区 (2014 rename)
        ["北京", "北京市", "房山区", "长阳镇", "阎仙垡村"],     # short province, municipality
    ])
    df.index = [10, 20, 30, 40]
    before = df.copy()
    g = locate_names(df)
    pd.testing.assert_frame_equal(df, before)  # input not modified
    assert list(g.index) == [10, 20, 30, 40] and g.crs.to_epsg() == 4326
    assert g["loc_prec"].tolist() == ["town", "county", "town", "town"]
    assert g["county_code"].tolist() == ["341823", "371721", "440118", "110111"]
    assert g.loc[20, "town_code"] == "371721121"  # Daji's code is known, its seat is not
    assert "no seat point" in g.loc[20, "match_note"]
    assert "增城区" in g.loc[30, "match_note"]
    # the town point is the gazetteer seat; the county point is inside the county polygon
    t = gaz.towns.set_index("town_code")
    assert g.loc[10].geometry.x == pytest.approx(t.loc["341823108", "lon"])
    cao = datasets.load("caoxian_boundary").geometry.iloc[0]
    assert cao.contains(g.loc[20].geometry)
    assert not g["outside_county"].any()
    rep = g.attrs["geocode_report"]
    assert isinstance(rep, GeocodeReport)
    assert (rep.n_rows, rep.n_town, rep.n_county, rep.n_unmatched) == (4, 3, 1, 0)
    assert rep.to_frame()["n"].sum() == 4
    assert "3 at the town seat" in rep.summary()


def test_development_zone_resolved_through_its_town():
    g = locate_names(_table([["福建省", "泉州市", "台商投资区", "东园镇", "后港村"]]))
    assert g["loc_prec"].item() == "town"
    assert g["county_code"].item() == "350521"  # Hui'an, which administers 东园镇 in NBS 2016
    assert "台商投资区" in g["match_note"].item()


def test_point_outside_declared_county_is_flagged():
    # 龙港镇 was part of 苍南县 in 2016 and became 龙港市 in 2019: its seat lies outside the
    # 2023 polygon of 苍南县, which must be flagged rather than hidden.
    g = locate_names(_table([["浙江省", "温州市", "苍南县", "龙港镇", "芦浦村"]]))
    assert g["loc_prec"].item() == "town"
    assert bool(g["outside_county"].item()) is True
    rep = g.attrs["geocode_report"]
    assert rep.n_outside == 1 and len(rep.outside) == 1
    counties = datasets.load("china_counties").set_index("adcode")
    assert not counties.loc["330327"].geometry.contains(g.geometry.item())
    assert counties.loc["330383"].geometry.contains(g.geometry.item())  # 龙港市


def test_unmatched_rows_are_kept_and_reported():
    df = _table([["山东省", "菏泽市", "曹县", "大集镇", "a"],
                 ["火星省", "无名市", "乌有县", "某镇", "b"]])
    with pytest.warns(UserWarning, match=r"1 of 2 rows could not be located.*rows 1"):
        g = locate_names(df)
    assert len(g) == 2
    assert g.loc[1, "loc_prec"] == "none" and g.geometry.iloc[1] is None
    assert pd.isna(g.loc[1, "outside_county"])
    rep = g.attrs["geocode_report"]
    assert rep.n_unmatched == 1 and list(rep.unmatched.index) == [1]
    assert "火星省" in rep.unmatched["match_note"].item()
    with pytest.raises(InputDataError, match=r"could not be located") as err:
        locate_names(df, on_unmatched="raise")
    assert err.value.rows == [1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g2 = locate_names(df, on_unmatched="ignore")
    assert g2.attrs["geocode_report"].n_unmatched == 1


def test_missing_town_column_gives_county_precision():
    df = pd.DataFrame({"prov": ["山东省"], "county": ["曹县"]})
    g = locate_names(df, province="prov", city=None, town=None, village=None)
    assert g["loc_prec"].item() == "county" and g["county_code"].item() == "371721"


def test_development_zone_without_polygon_falls_back_to_prefecture_centre():
    g = locate_names(_table([["河北省", "保定市", "白沟新城", None, "白五村"]]))
    assert g["loc_prec"].item() == "city"
    assert g["county_code"].item() == "130672"
    assert pd.isna(g["outside_county"].item())


def test_input_errors():
    with pytest.raises(InputDataError, match=r"column\(s\) county='县区' not in the table"):
        locate_names(_table([]), county="县区")
    with pytest.raises(InputDataError, match="must be a pandas DataFrame"):
        locate_names([["山东省", "曹县"]])
    with pytest.raises(ValueError, match="on_unmatched"):
        locate_names(_table([]), on_unmatched="drop")


def test_build_used_the_same_function(gaz):
    """The shipped 2014 villages are exactly what locate_names gives for their names."""
    v = datasets.load("taobao_villages", year=2014).reset_index(drop=True)
    g = locate_names(v[["year", "province", "city", "county", "town", "village"]])
    assert g["loc_prec"].tolist() == v["loc_prec"].tolist()
    assert g["county_code"].tolist() == v["county_code"].tolist()
    np.testing.assert_allclose(g.geometry.x, v.geometry.x, atol=1e-9)
    np.testing.assert_allclose(g.geometry.y, v.geometry.y, atol=1e-9)


def test_chinese_headers_are_recognised():
    df = pd.DataFrame({"省份": ["山东省"], "地级市": ["菏泽市"], "区县": ["曹县"], "乡镇": ["庄寨镇"],
                       "村名": ["x"]})
    g = locate_names(df)
    assert g["loc_prec"].item() == "town" and g["town_code"].item() == "371721101"
    rep = g.attrs["geocode_report"]
    assert rep.columns == {"province": "省份", "city": "地级市", "county": "区县", "town": "乡镇",
                           "village": "村名"}
    assert "Columns used: province='省份'" in rep.summary()


def test_shared_county_name_is_resolved_by_the_town():
    # 朝阳区 exists in Beijing (110105) and Changchun (220104); without a province the town decides
    df = pd.DataFrame({"county": ["朝阳区", "朝阳区"], "town": ["呼家楼街道", None]})
    g = locate_names(df, on_unmatched="ignore")
    assert g.loc[0, "county_code"] == "110105" and g.loc[0, "loc_prec"] == "town"
    assert g.loc[1, "loc_prec"] == "none"  # ambiguous county and no town: reported, not guessed
    assert "ambiguous" in g.loc[1, "match_note"]


def test_geodataframe_input_geometry_is_replaced():
    import geopandas as gpd
    from shapely.geometry import Point

    gdf = gpd.GeoDataFrame(_table([["山东省", "菏泽市", "曹县", "庄寨镇", "x"]]),
                           geometry=[Point(0, 0)], crs=4326)
    g = locate_names(gdf)
    assert g.geometry.item().x > 115 and g.crs.to_epsg() == 4326


def test_cli_geocode_gbk_csv_with_chinese_headers(tmp_path):
    import json

    from click.testing import CliRunner

    from taobao_geo.cli.main import cli

    src = tmp_path / "list.csv"
    src.write_bytes("省份,地级市,区县,乡镇,村名\n山东省,菏泽市,曹县,庄寨镇,甲村\n火星省,无名市,乌有县,某镇,乙村\n"
                    .encode("gb18030"))
    out = tmp_path / "located.csv"
    res = CliRunner().invoke(cli, ["geocode", str(src), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert (payload["n_town"], payload["n_unmatched"], payload["unmatched_rows"]) == (1, 1, ["1"])
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"town_code": str})
    assert table["村名"].tolist() == ["甲村", "乙村"]  # both rows kept
    assert table.loc[0, "town_code"] == "371721101" and np.isnan(table.loc[1, "lon"])
    res = CliRunner().invoke(cli, ["geocode", str(src), "--on-unmatched", "raise"])
    # main() turns this into one line and exit code 1 (tested in test_cli_main)
    assert res.exit_code != 0 and isinstance(res.exception, InputDataError)
    assert "province '火星省' not found" in str(res.exception)


def test_read_name_table_errors(tmp_path):
    from taobao_geo.geocode import read_name_table

    with pytest.raises(InputDataError, match="does not exist"):
        read_name_table(tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(InputDataError, match="is empty"):
        read_name_table(tmp_path / "empty.csv")
    (tmp_path / "x.doc").write_bytes(b"abc")
    with pytest.raises(InputDataError, match="unknown format '.doc'"):
        read_name_table(tmp_path / "x.doc")
    (tmp_path / "codes.csv").write_text("county,code\n曹县,0371721\n", encoding="utf-8")
    assert read_name_table(tmp_path / "codes.csv").loc[0, "code"] == "0371721"  # text kept
