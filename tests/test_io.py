"""Loading user files (taobao_geo.io): every format, encoding and bad-input case.

Fixtures are written into tmp_path at test time; nothing reads the shared raw data.
"""

from __future__ import annotations

import hashlib
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point, box

from taobao_geo import coords
from taobao_geo._errors import CRSError, InputDataError, TaobaoGeoError
from taobao_geo.io import (
    InputDataWarning,
    LoadReport,
    detect_coordinate_columns,
    detect_encoding,
    read_villages,
    validate_villages,
)

HEADER = "省份,县,乡镇,村名,经度,纬度\n"
ROWS = [
    ("山东", "曹县", "大集镇", "丁楼村", 115.60, 34.70),
    ("山东", "曹县", "大集镇", "张庄村", 115.62, 34.71),
    ("山东", "曹县", "庄寨镇", "孙庄村", 115.50, 34.85),
]
BODY = "".join(",".join(map(str, r)) + "\n" for r in ROWS)


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def villages_gdf():
    return gpd.GeoDataFrame(
        {"village": [r[3] for r in ROWS], "town": [r[2] for r in ROWS],
         "county": [r[1] for r in ROWS]},
        geometry=[Point(r[4], r[5]) for r in ROWS], crs=4326)


def check_loaded(gdf, n=3):
    assert isinstance(gdf, gpd.GeoDataFrame)
    assert gdf.crs.to_epsg() == 4326
    assert len(gdf) == n
    assert list(gdf["village"])[:3] == ["丁楼村", "张庄村", "孙庄村"][:n]
    assert gdf.geometry.x.iloc[0] == pytest.approx(115.60)
    assert isinstance(gdf.attrs["load_report"], LoadReport)


# --- formats and encodings -----------------------------------------------------------------------

@pytest.mark.parametrize("encoding, expected", [("gbk", "gb18030"), ("utf-8-sig", "utf-8-sig"),
                                                ("utf-8", "utf-8"), ("gb18030", "gb18030")])
def test_csv_encodings_detected(tmp_path, encoding, expected):
    p = write(tmp_path / "v.csv", HEADER + BODY, encoding)
    gdf = read_villages(p)
    check_loaded(gdf)
    rep = gdf.attrs["load_report"]
    assert rep.encoding == expected and rep.encoding_detected
    assert (rep.x_col, rep.y_col) == ("经度", "纬度")
    assert rep.column_map == {"村名": "village", "乡镇": "town", "县": "county", "省份": "province"}
    assert list(gdf.index) == [2, 3, 4] and gdf.index.name == "line"


def test_csv_wrong_explicit_encoding(tmp_path):
    p = write(tmp_path / "v.csv", HEADER + BODY, "gbk")
    with pytest.raises(InputDataError, match=r"cannot decode the file as 'utf-8'.*gb18030"):
        read_villages(p, encoding="utf-8")


def test_detect_encoding_unit():
    assert detect_encoding("经度".encode("gbk")) == "gb18030"
    assert detect_encoding(b"\xef\xbb\xbflon") == "utf-8-sig"
    assert detect_encoding("经度".encode()) == "utf-8"


def test_tab_and_semicolon_delimiters(tmp_path):
    p = write(tmp_path / "v.txt", (HEADER + BODY).replace(",", "\t"))
    check_loaded(read_villages(p))
    p = write(tmp_path / "v2.csv", (HEADER + BODY).replace(",", ";"))
    check_loaded(read_villages(p))


def test_xlsx_with_title_row_and_row_numbers(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名单"
    ws.append(["2016年淘宝村名单"])
    ws.append(["省份", "县", "乡镇", "村名", "经度", "纬度"])
    for r in ROWS[:2]:
        ws.append(list(r))
    ws.append([None] * 6)  # blank row inside the data keeps the numbering of the rows after it
    ws.append(["山东", "曹县", "庄寨镇", "孙庄村", "abc", 34.85])
    wb.create_sheet("其他")
    p = tmp_path / "v.xlsx"
    wb.save(p)
    rep = validate_villages(p)
    assert rep.format == "excel" and rep.row_label == "row"
    assert any("header is on row 2" in n for n in rep.notes)
    assert any("'其他'" in n for n in rep.notes)
    bad = rep.errors
    assert list(bad["row"]) == [6] and list(bad["column"]) == ["经度"]
    with pytest.raises(InputDataError, match=r"row 6, column '经度': not a number: 'abc'"):
        read_villages(p)
    gdf = read_villages(p, on_invalid="drop")
    assert list(gdf.index) == [3, 4]


def test_xlsx_sheet_choice(tmp_path):
    p = tmp_path / "v.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"a": [1]}).to_excel(w, sheet_name="说明", index=False)
        pd.DataFrame(ROWS, columns=["省份", "县", "乡镇", "村名", "lng", "lat"]).to_excel(
            w, sheet_name="data", index=False)
    check_loaded(read_villages(p, sheet="data"))
    check_loaded(read_villages(p, sheet=1))
    with pytest.raises(InputDataError, match=r"no sheet 'nope'; sheets: '说明', 'data'"):
        read_villages(p, sheet="nope")


@pytest.mark.parametrize("patch_ldid", [False, True])
def test_shapefile_gbk_dbf_without_cpg(tmp_path, patch_ldid):
    p = tmp_path / "v.shp"
    villages_gdf().to_file(p, encoding="GBK")
    (tmp_path / "v.cpg").unlink()
    if patch_ldid:  # language driver id 0x4D = code page 936 (ArcGIS writes it)
        raw = bytearray((tmp_path / "v.dbf").read_bytes())
        raw[29] = 0x4D
        (tmp_path / "v.dbf").write_bytes(bytes(raw))
    before = sha(tmp_path / "v.dbf")
    gdf = read_villages(p)
    check_loaded(gdf)
    rep = gdf.attrs["load_report"]
    assert rep.format == "shapefile" and rep.encoding_detected
    assert rep.encoding in ("gb18030", "cp936")
    assert any("no .cpg" in n for n in rep.notes)
    assert gdf.index.name == "fid" and list(gdf.index) == [0, 1, 2]
    assert sha(tmp_path / "v.dbf") == before


def test_shapefile_utf8_with_cpg(tmp_path):
    p = tmp_path / "v.shp"
    villages_gdf().to_file(p, encoding="UTF-8")
    gdf = read_villages(p)
    check_loaded(gdf)
    assert gdf.attrs["load_report"].encoding.upper().replace("-", "") == "UTF8"


@pytest.mark.parametrize("suffix, driver", [(".gpkg", "GPKG"), (".geojson", "GeoJSON")])
def test_gpkg_geojson(tmp_path, suffix, driver):
    p = tmp_path / f"v{suffix}"
    villages_gdf().to_file(p, driver=driver)
    gdf = read_villages(p)
    check_loaded(gdf)
    assert gdf.attrs["load_report"].x_col is None


def test_gpkg_several_layers(tmp_path):
    p = tmp_path / "v.gpkg"
    villages_gdf().to_file(p, layer="pts")
    gpd.GeoDataFrame(geometry=[box(115, 34, 116, 35)], crs=4326).to_file(p, layer="area")
    gdf = read_villages(p)  # the only point layer is chosen, and said so
    check_loaded(gdf)
    assert any("only point layer" in n for n in gdf.attrs["load_report"].notes)
    villages_gdf().to_file(p, layer="pts2")
    with pytest.raises(InputDataError, match=r"has 3 layers.*layer="):
        read_villages(p)
    check_loaded(read_villages(p, layer="pts2"))


def test_geoparquet_and_plain_parquet(tmp_path):
    p = tmp_path / "v.parquet"
    villages_gdf().to_parquet(p)
    check_loaded(read_villages(p))
    q = tmp_path / "plain.parquet"
    pd.DataFrame(ROWS, columns=["province", "county", "town", "village", "lon", "lat"]).to_parquet(q)
    gdf = read_villages(q)
    check_loaded(gdf)
    assert gdf.attrs["load_report"].x_col == "lon"


def test_dataframe_and_geodataframe_inputs_not_modified():
    df = pd.DataFrame(ROWS, columns=["province", "county", "town", "village", "Longitude",
                                     "Latitude"], index=[10, 20, 30])
    before = df.copy()
    gdf = read_villages(df)
    check_loaded(gdf)
    pd.testing.assert_frame_equal(df, before)
    assert list(gdf.index) == [10, 20, 30]
    g = villages_gdf()
    g0 = g.copy()
    out = read_villages(g, datum="gcj02")
    assert g.geom_equals(g0).all()
    assert out.geometry.x.iloc[0] != g.geometry.x.iloc[0]


def test_input_file_never_modified(tmp_path):
    p = write(tmp_path / "v.csv", HEADER + BODY + "山东,曹县,x镇,y村,,\n", "gbk")
    before = sha(p)
    read_villages(p, on_invalid="drop", datum="gcj02")
    validate_villages(p)
    assert sha(p) == before


# --- column detection ----------------------------------------------------------------------------

@pytest.mark.parametrize("xname, yname", [
    ("lon", "lat"), ("lng", "lat"), ("Longitude", "Latitude"), ("x", "y"), ("X", "Y"),
    ("经度", "纬度"), ("东经", "北纬"), ("gcj02_lng", "gcj02_lat"), ("经度(高德)", "纬度(高德)"),
    ("POINT_X", "POINT_Y"), ("long", "lat"), ("村庄经度", "村庄纬度"),
])
def test_detect_coordinate_columns(xname, yname):
    assert detect_coordinate_columns(["name", xname, yname, "year"]) == (xname, yname)


def test_lonlat_preferred_over_xy():
    assert detect_coordinate_columns(["x", "y", "lon", "lat"]) == ("lon", "lat")


def test_ambiguous_columns():
    with pytest.raises(InputDataError, match=r"Several columns could be the longitude.*"
                                             r"'lng_wgs84', 'lng_gcj02'.*x='lng_wgs84'"):
        detect_coordinate_columns(["lng_wgs84", "lng_gcj02", "lat"])


def test_explicit_columns_override(tmp_path):
    p = write(tmp_path / "v.csv", "村名,a,b,lon,lat\n丁楼村,115.6,34.7,0,0\n")
    gdf = read_villages(p, x="a", y="b")
    assert gdf.geometry.x.iloc[0] == pytest.approx(115.6)
    with pytest.raises(InputDataError, match=r"column 'zz' not found.*'a', 'b'"):
        read_villages(p, x="zz", y="b")
    with pytest.raises(TaobaoGeoError, match="give both x= and y="):
        read_villages(p, x="a")


def test_no_coordinate_columns(tmp_path):
    p = write(tmp_path / "v.csv", "村名,乡镇\n丁楼村,大集镇\n")
    with pytest.raises(InputDataError, match=r"no longitude / x column found.*'村名', '乡镇'.*--x"):
        read_villages(p)
    rep = validate_villages(p)  # never raises on data problems: one file-level error
    assert not rep.ok and rep.problems["check"].tolist() == ["file"]


# --- bad rows ------------------------------------------------------------------------------------

BAD = (HEADER
       + "山东,曹县,大集镇,丁楼村,115.60,34.70\n"      # line 2 ok
       + "山东,曹县,大集镇,孙庄村,abc,34.80\n"         # line 3 non-numeric
       + "\n"                                          # line 4 blank (skipped, numbering kept)
       + "山东,曹县,大集镇,李庄村,34.80,115.50\n"      # line 5 swapped
       + "山东,曹县,大集镇,王庄村,,34.80\n"            # line 6 missing
       + "山东,曹县,大集镇,赵庄村,200,34.80\n"         # line 7 out of range
       + "山东,曹县,大集镇,钱庄村,2.35,48.85\n"        # line 8 outside China (Paris)
       + "山东,曹县,大集镇,丁楼村,115.60,34.70\n")     # line 9 duplicate of line 2


@pytest.fixture
def bad_csv(tmp_path):
    return write(tmp_path / "bad.csv", BAD, "gbk")


@pytest.mark.parametrize("line, column, check, pattern", [
    (3, "经度", "non_numeric", r"line 3, column '经度': not a number: 'abc'"),
    (5, "经度/纬度", "swapped", r"line 5, column '经度/纬度': x=34.800000, y=115.500000 looks like "
                                r"latitude/longitude swapped"),
    (6, "经度", "missing", r"line 6, column '经度': missing coordinate"),
    (7, "经度", "out_of_range", r"line 7, column '经度': longitude 200 / latitude 34.8 outside"),
    (8, "经度", "outside_china", r"line 8, column '经度': \(2.35000, 48.85000\) is outside China"),
    (9, None, "duplicate_row", r"line 9: every column equals line 2: the village would be counted"),
])
def test_each_bad_row_reported(bad_csv, line, column, check, pattern):
    with pytest.raises(InputDataError, match=pattern) as ei:
        read_villages(bad_csv)
    assert ei.value.rows == [3, 5, 6, 7, 8, 9]
    rep = ei.value.report
    rec = rep.problems[(rep.problems["row"] == line) & (rep.problems["check"] == check)]
    assert len(rec) == 1 and rec["severity"].iloc[0] == "error"
    if column is not None:
        assert rec["column"].iloc[0] == column


def test_error_message_says_how_to_fix(bad_csv):
    with pytest.raises(InputDataError, match=r"6 invalid row\(s\) in bad.csv.*numbered by line"
                                             r"(.|\n)*on_invalid='drop'"):
        read_villages(bad_csv)


def test_drop_reports_every_dropped_row(bad_csv):
    gdf = read_villages(bad_csv, on_invalid="drop")
    assert list(gdf.index) == [2]
    rep = gdf.attrs["load_report"]
    assert rep.n_read == 7 and rep.n_kept == 1
    assert dict(zip(rep.dropped["row"], rep.dropped["reasons"])) == {
        3: "non_numeric", 5: "swapped", 6: "missing", 7: "out_of_range", 8: "outside_china",
        9: "duplicate_row"}
    assert "6 dropped" in rep.summary()


def test_validate_lists_everything_without_raising(bad_csv):
    rep = validate_villages(bad_csv)
    assert rep.n_errors == 6 and not rep.ok
    assert set(rep.errors["check"]) == {"non_numeric", "swapped", "missing", "out_of_range",
                                        "outside_china", "duplicate_row"}
    frame = rep.to_frame()
    assert list(frame.columns) == ["row", "column", "severity", "check", "value", "message"]
    d = rep.to_dict()
    assert d["n_errors"] == 6 and len(d["problems"]) == len(frame)


def test_whole_columns_swapped_hint(tmp_path):
    p = write(tmp_path / "v.csv", "村名,lon,lat\n" + "".join(
        f"v{i},{r[5]},{r[4]}\n" for i, r in enumerate(ROWS)))
    with pytest.raises(InputDataError, match=r"column 'lon' probably holds latitudes. "
                                             r"Pass x='lat', y='lon'"):
        read_villages(p)


def test_duplicates_are_warnings_by_default(tmp_path):
    text = HEADER + BODY + "山东,曹县,大集镇,王庄村,115.60,34.70\n" + "山东,曹县,大集镇,张庄村,115.7,34.6\n"
    p = write(tmp_path / "v.csv", text)
    with pytest.warns(InputDataWarning, match=r"duplicate_point: 2, duplicate_name: 2"):
        gdf = read_villages(p)
    assert len(gdf) == 5
    w = gdf.attrs["load_report"].warnings
    pt = w[w["check"] == "duplicate_point"]
    assert list(pt["row"]) == [2, 5]
    assert "same location as line 5" in pt["message"].iloc[0]
    nm = w[w["check"] == "duplicate_name"]
    assert list(nm["row"]) == [3, 6]
    assert "'张庄村' appears 2 times within the same province/county/town" in nm["message"].iloc[0]
    with pytest.raises(InputDataError, match=r"line 2, column '经度': same location as line 5"):
        read_villages(p, duplicates="error")


def test_same_name_in_different_towns_is_fine(tmp_path):
    p = write(tmp_path / "v.csv", HEADER + "山东,曹县,大集镇,王庄村,115.6,34.7\n"
                                           "山东,曹县,庄寨镇,王庄村,115.5,34.8\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gdf = read_villages(p)
    assert gdf.attrs["load_report"].n_warnings == 0


@pytest.mark.parametrize("text, pattern", [
    ("", r"v.csv is empty \(0 bytes\)"),
    ("\n\n  \n", r"v.csv is empty \(0 bytes of text\)"),
    (HEADER, r"v.csv has a header but no data rows"),
])
def test_empty_files(tmp_path, text, pattern):
    p = write(tmp_path / "v.csv", text)
    with pytest.raises(InputDataError, match=pattern):
        read_villages(p)
    rep = validate_villages(p)
    assert rep.problems["check"].tolist() == ["empty"] and rep.n_read == 0


def test_empty_spatial_file(tmp_path):
    p = tmp_path / "v.gpkg"
    villages_gdf().iloc[:0].to_file(p)
    with pytest.raises(InputDataError, match="no data rows"):
        read_villages(p)


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(InputDataError, match=r"File not found: '.*nope.csv'"):
        read_villages(tmp_path / "nope.csv")
    p = write(tmp_path / "v.docx", "x")
    with pytest.raises(InputDataError, match=r"unknown file type '.docx'. Supported: .csv"):
        read_villages(p)


def test_ragged_lines(tmp_path):
    p = write(tmp_path / "v.csv", HEADER + "山东,曹县,大集镇,丁楼村,115.6,34.7,extra,more\n"
                                           "山东,曹县,大集镇,张庄村,115.62,34.71\n")
    with pytest.raises(InputDataError, match=r"line 2: 8 fields but the header has 6"):
        read_villages(p)


def test_non_point_geometries(tmp_path):
    g = villages_gdf()
    g.loc[1, "geometry"] = LineString([(115, 34), (116, 35)])
    g.loc[2, "geometry"] = None
    p = tmp_path / "v.gpkg"
    g.to_file(p)
    with pytest.raises(InputDataError, match=r"fid 2, column 'geometry': LineString geometry; "
                                             r"village points are needed") as ei:
        read_villages(p)
    assert "fid 3, column 'geometry': missing or empty geometry" in str(ei.value)


def test_dms_values_converted_and_reported(tmp_path):
    p = write(tmp_path / "v.csv", "村名,经度,纬度\n丁楼村,\"115°36'0\"\"E\",34°42′N\n")
    gdf = read_villages(p)
    assert (gdf.geometry.x.iloc[0], gdf.geometry.y.iloc[0]) == pytest.approx((115.6, 34.7))
    assert "degree-minute-second notation converted" in gdf.attrs["load_report"].conversions[0]


# --- boundary and China ----------------------------------------------------------------------

def test_outside_boundary(tmp_path):
    p = write(tmp_path / "v.csv", HEADER + BODY)
    area = box(115.55, 34.6, 115.7, 34.75)
    with pytest.raises(InputDataError, match=r"line 4, column '经度': \(115.50000, 34.85000\) is "
                                             r"outside the given boundary"):
        read_villages(p, boundary=area)
    gdf = read_villages(p, boundary=gpd.GeoDataFrame(geometry=[area], crs=4326),
                        on_invalid="drop")
    assert list(gdf.index) == [2, 3]
    with pytest.raises(CRSError, match="boundary has no CRS"):
        read_villages(p, boundary=gpd.GeoSeries([area]))


def test_check_china_with_given_polygon_and_off(tmp_path):
    # a point inside the rectangle but outside the given "China" polygon (Ulaanbaatar)
    p = write(tmp_path / "v.csv", "村名,lon,lat\na,115.6,34.7\nb,106.9,47.9\n")
    china = box(73.7, 18, 135, 45)
    with pytest.raises(InputDataError, match=r"line 3.*is outside the given China polygon"):
        read_villages(p, check_china=china)
    p2 = write(tmp_path / "w.csv", "name,lon,lat\nparis,2.35,48.85\n")
    assert len(read_villages(p2, check_china=False)) == 1


# --- CRS and datum -------------------------------------------------------------------------

def test_gcj02_converted_and_reported(tmp_path):
    g = [coords.wgs84_to_gcj02(r[4], r[5]) for r in ROWS]
    p = write(tmp_path / "v.csv", "村名,lng,lat\n" + "".join(
        f"{r[3]},{x!r},{y!r}\n" for r, (x, y) in zip(ROWS, g)))
    gdf = read_villages(p, datum="gcj02")
    assert np.allclose(gdf.geometry.x, [r[4] for r in ROWS], atol=1e-9)
    assert np.allclose(gdf.geometry.y, [r[5] for r in ROWS], atol=1e-9)
    conv = gdf.attrs["load_report"].conversions
    assert len(conv) == 1 and conv[0].startswith("GCJ02 -> WGS 84 applied to 3 point(s); shift 5")
    assert gdf.attrs["load_report"].datum == "gcj02"


def test_bd09_converted(tmp_path):
    b = coords.wgs84_to_bd09(115.6, 34.7)
    p = write(tmp_path / "v.csv", f"name,lng,lat\na,{b[0]!r},{b[1]!r}\n")
    gdf = read_villages(p, datum="bd09")
    assert Geod(ellps="WGS84").inv(gdf.geometry.x.iloc[0], gdf.geometry.y.iloc[0],
                                   115.6, 34.7)[2] < 0.5


def test_datum_hints_warn(tmp_path):
    p = write(tmp_path / "towns_gcj02.csv", "name,lng,lat\na,115.6,34.7\n")
    with pytest.warns(InputDataWarning, match="datum_hint: 1"):
        gdf = read_villages(p)
    assert "datum='gcj02'" in gdf.attrs["load_report"].warnings["message"].iloc[0]
    p = write(tmp_path / "v.csv", "name,bd_lng,bd_lat\na,115.6,34.7\n")
    rep = validate_villages(p)
    assert rep.warnings["check"].tolist() == ["datum_hint"]
    assert "BD09" in rep.warnings["message"].iloc[0]


def test_projected_coordinates(tmp_path):
    tr = Transformer.from_crs(4326, 32650, always_xy=True)
    xy = [tr.transform(r[4], r[5]) for r in ROWS]
    p = write(tmp_path / "v.csv", "村名,x,y\n" + "".join(
        f"{r[3]},{a!r},{b!r}\n" for r, (a, b) in zip(ROWS, xy)))
    with pytest.raises(CRSError, match=r"look projected, not degrees.*line 2.*crs="):
        read_villages(p)
    gdf = read_villages(p, crs="EPSG:32650")
    check_loaded(gdf)
    assert gdf.geometry.y.iloc[0] == pytest.approx(34.70, abs=1e-9)
    assert "reprojected from EPSG:32650" in gdf.attrs["load_report"].conversions[0]
    with pytest.raises(TaobaoGeoError, match="datum='gcj02' applies to longitude/latitude"):
        read_villages(p, crs="EPSG:32650", datum="gcj02")


def test_projected_spatial_file(tmp_path):
    p = tmp_path / "v.gpkg"
    villages_gdf().to_crs(32650).to_file(p)
    gdf = read_villages(p)
    check_loaded(gdf)
    assert gdf.geometry.x.iloc[0] == pytest.approx(115.60, abs=1e-9)


def test_unknown_datum_and_bad_options(tmp_path):
    p = write(tmp_path / "v.csv", HEADER + BODY)
    with pytest.raises(TaobaoGeoError, match="Unknown datum 'wgs'"):
        read_villages(p, datum="wgs")
    with pytest.raises(ValueError, match="on_invalid"):
        read_villages(p, on_invalid="ignore")


def test_summary_text(tmp_path):
    p = write(tmp_path / "v.csv", HEADER + BODY, "gbk")
    rep = validate_villages(p, datum="gcj02")
    s = rep.summary()
    assert "v.csv (csv, encoding gb18030 (detected))" in s
    assert "x = column '经度', y = column '纬度'" in s
    assert "GCJ02 -> WGS 84 applied to 3 point(s)" in s
    assert "all rows valid" in s
    assert "'村名' -> 'village'" in s


def test_gbk_geojson(tmp_path):
    text = ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
            '{"村名":"丁楼村"},"geometry":{"type":"Point","coordinates":[115.6,34.7]}}]}')
    p = write(tmp_path / "v.geojson", text, "gbk")
    gdf = read_villages(p)
    assert gdf["village"].iloc[0] == "丁楼村"
    rep = gdf.attrs["load_report"]
    assert rep.encoding == "gb18030" and any("should be UTF-8" in n for n in rep.notes)


@pytest.mark.parametrize("header, cell, expected", [
    ("location", "115.6,34.7", (115.6, 34.7)),          # Amap API "location" field
    ("经纬度", "115.6，34.7", (115.6, 34.7)),             # full-width comma
    ("latlng", "34.7,115.6", (115.6, 34.7)),            # order taken from the name
])
def test_combined_coordinate_column(tmp_path, header, cell, expected):
    p = write(tmp_path / "v.csv", f'name,{header}\na,"{cell}"\nb,oops\n')
    with pytest.raises(InputDataError, match=rf"line 3, column '{header}': not a '.*' pair of "
                                             r"numbers: 'oops'"):
        read_villages(p)
    gdf = read_villages(p, on_invalid="drop")
    assert (gdf.geometry.x.iloc[0], gdf.geometry.y.iloc[0]) == pytest.approx(expected)
    assert f"column '{header}' split into longitude and latitude" in \
        gdf.attrs["load_report"].conversions[0]


def test_wkt_column_csv(tmp_path):
    p = write(tmp_path / "v.csv", 'name,WKT\na,"POINT (115.6 34.7)"\nb,"LINESTRING (115 34, 116 35)"'
                                  "\nc,garbage\n")
    with pytest.raises(InputDataError, match=r"line 3, column 'WKT': LineString geometry(.|\n)*"
                                             r"line 4, column 'WKT': not valid WKT: 'garbage'"):
        read_villages(p)
    gdf = read_villages(p, on_invalid="drop")
    assert list(gdf.index) == [2] and gdf.geometry.x.iloc[0] == pytest.approx(115.6)
    assert "WKT text in column 'WKT'" in gdf.attrs["load_report"].conversions[0]


def test_dataframe_datum_attr_hint():
    g = coords.convert_geometry(villages_gdf(), src="wgs84", dst="gcj02")
    rep = validate_villages(g)
    assert rep.warnings["check"].tolist() == ["datum_hint"]
    out = read_villages(g, datum="gcj02")
    assert np.allclose(out.geometry.x, villages_gdf().geometry.x, atol=1e-9)


def test_semicolon_inside_values_does_not_fool_delimiter(tmp_path):
    p = write(tmp_path / "v.csv", "村名,主营产品,lon,lat\n"
                                  "a,服装;鞋;包,115.6,34.7\nb,家具;板材;木门,115.62,34.71\n")
    gdf = read_villages(p)
    assert gdf["products"].tolist() == ["服装;鞋;包", "家具;板材;木门"]


# --- property: whatever the encoding, delimiter and column names, the points come back ---------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

NAMES = [("lon", "lat"), ("经度", "纬度"), ("lng", "lat"), ("Longitude", "Latitude"),
         ("东经", "北纬"), ("POINT_X", "POINT_Y")]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pts=st.lists(st.tuples(st.floats(74, 134), st.floats(19, 52)), min_size=1, max_size=8),
       enc=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]),
       delim=st.sampled_from([",", "\t", ";"]), names=st.sampled_from(NAMES),
       blank=st.booleans())
def test_csv_round_trip_property(tmp_path, pts, enc, delim, names, blank):
    lines = [delim.join(["村名", *names])]
    for i, (x, y) in enumerate(pts):
        lines.append(delim.join([f"村{i}", repr(x), repr(y)]))
        if blank:
            lines.append("")
    p = tmp_path / "prop.csv"
    p.write_bytes(("\n".join(lines) + "\n").encode(enc))
    rep = validate_villages(p, check_china=False, duplicates="warn")
    assert rep.errors.empty, rep.summary()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputDataWarning)
        gdf = read_villages(p, check_china=False)
    assert np.array_equal(gdf.geometry.x.to_numpy(), [x for x, _ in pts])
    assert np.array_equal(gdf.geometry.y.to_numpy(), [y for _, y in pts])
    step = 2 if blank else 1
    assert list(gdf.index) == [2 + step * i for i in range(len(pts))]
    assert (rep.x_col, rep.y_col) == names


def test_drop_everything_is_an_error(tmp_path):
    p = write(tmp_path / "v.csv", "村名,lon,lat\na,2.35,48.85\nb,,\n")
    with pytest.raises(InputDataError, match=r"every one of the 2 row\(s\) of v.csv is invalid "
                                             r"\(missing: 2, outside_china: 1\)"):
        read_villages(p, on_invalid="drop")


def test_shapefile_cpg_codepage_number(tmp_path):
    # ArcGIS writes code-page numbers into .cpg ("936" = GBK); GDAL must read it, not Python
    p = tmp_path / "v.shp"
    villages_gdf().to_file(p, encoding="GBK")
    (tmp_path / "v.cpg").write_text("936")
    gdf = read_villages(p)
    check_loaded(gdf)
    assert gdf.attrs["load_report"].encoding == "936"
    assert any("encoding from v.cpg" in n for n in gdf.attrs["load_report"].notes)


def test_unreadable_workbooks(tmp_path):
    p = write(tmp_path / "v.xlsx", "not a zip")
    with pytest.raises(InputDataError, match=r"v.xlsx: not a readable .xlsx workbook"):
        read_villages(p)
    p = write(tmp_path / "v.xls", "not a workbook")
    with pytest.raises(InputDataError, match=r"v.xls: .*\.xls.*Save the sheet as .xlsx"):
        read_villages(p)


def test_default_china_check_uses_shipped_county_polygons(tmp_path):
    # Ulaanbaatar and the Yellow Sea are inside the GCJ-02 rectangle but not in China
    p = write(tmp_path / "v.csv", "村名,lon,lat\n丁楼村,115.6,34.7\nUB,106.9,47.9\nsea,123.0,35.0\n")
    rep = validate_villages(p)
    bad = rep.errors
    assert list(bad["row"]) == [3, 4] and set(bad["check"]) == {"outside_china"}
    assert "outside China's county polygons (shipped layer) (tolerance 0.02°)" in \
        bad["message"].iloc[0]
    assert not any("bounding rectangle only" in n for n in rep.notes)


def test_zipped_shapefile(tmp_path):
    import zipfile

    villages_gdf().to_file(tmp_path / "v.shp", encoding="UTF-8")
    z = tmp_path / "v.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            zf.write(tmp_path / f"v.{ext}", f"v.{ext}")
    gdf = read_villages(z)
    check_loaded(gdf)
    assert gdf.attrs["load_report"].format == "zipped shapefile"


def test_line_numbers_with_crlf_blank_lines_and_multiline_fields(tmp_path):
    p = tmp_path / "v.csv"
    p.write_bytes(b'name,lon,lat\r\na,115.6,34.7\r\n\r\nb,"115.62",34.71\r\n'
                  b'"c\r\nmultiline",115.5,34.6\r\nd,abc,34\r\n')
    with pytest.raises(InputDataError, match=r"line 7, column 'lon': not a number: 'abc'"):
        read_villages(p)
    gdf = read_villages(p, on_invalid="drop")
    assert list(gdf.index) == [2, 4, 5]
    assert gdf["name"].iloc[2] == "c\r\nmultiline"


# --- duplicates=: one vocabulary with nni/ripley (keep|raise); the old warn|error still work ---

def _dup_file(tmp_path):
    return write(tmp_path / "v.csv", HEADER + BODY + "山东,曹县,大集镇,王庄村,115.60,34.70\n")


@pytest.mark.parametrize("old,new", [("warn", "keep"), ("error", "raise")])
def test_old_duplicates_spelling_warns_and_names_the_new_one(tmp_path, old, new):
    p = _dup_file(tmp_path)
    with pytest.warns(DeprecationWarning,
                      match=rf"duplicates='{old}' is deprecated .* use duplicates='{new}'\.$"
                      ) as rec:
        old_rep = validate_villages(p, duplicates=old)
    # the warning points at the caller's line, not into the package
    dep = [w for w in rec if issubclass(w.category, DeprecationWarning)]
    assert dep[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        new_rep = validate_villages(p, duplicates=new)
    pd.testing.assert_frame_equal(old_rep.problems, new_rep.problems)
    assert set(new_rep.problems["severity"]) == {"warning" if new == "keep" else "error"}


def test_duplicates_raise_is_an_error_and_keep_the_default(tmp_path):
    p = _dup_file(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        with pytest.raises(InputDataError, match=r"line 2, column '经度': same location as line 5"):
            read_villages(p, duplicates="raise")
        with pytest.warns(InputDataWarning, match=r"duplicate_point: 2"):
            assert len(read_villages(p)) == 4
        with pytest.warns(InputDataWarning, match=r"duplicate_point: 2"):
            assert len(read_villages(p, duplicates="keep")) == 4


def test_duplicates_merge_is_not_a_loader_option(tmp_path):
    # the loader never changes rows: merging is the statistics' option (nni, ripley)
    with pytest.raises(ValueError, match=r"`read_villages`: `duplicates` must be one of "
                                         r"\('keep', 'raise'\); got 'merge'"):
        read_villages(_dup_file(tmp_path), duplicates="merge")
