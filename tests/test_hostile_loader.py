"""Hostile input for the loader (taobao_geo.io) and the CLI loading options.

Each case is a file a user could really have (a stray quote, a pasted 200 kB cell, a merged
Excel header, GBK behind a UTF-8 byte-order mark, a typed year such as 2106 or 2016年) and
asserts the specific message or behaviour: no row is ever lost without a message naming it.
"""

from __future__ import annotations

import datetime
import warnings

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner

from taobao_geo._errors import InputDataError
from taobao_geo.cli.main import cli
from taobao_geo.cli.options import loading_options, read_options
from taobao_geo.io import FIRST_YEAR, read_villages, validate_villages

THIS_YEAR = datetime.datetime.now(datetime.timezone.utc).year


def village_lines(n, *, year=None):
    """Header and ``n`` valid rows around Caoxian (distinct points)."""
    head = "村名,经度,纬度" + (",年份" if year is not None else "")
    rows = [f"村{i},{115.30 + i * 0.004:.3f},{34.60 + i * 0.003:.3f}"
            + (f",{year}" if year is not None else "") for i in range(n)]
    return [head, *rows]


def write_csv(tmp_path, lines, name="v.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return p


def load_quiet(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_villages(path, **kw)


# ---------------------------------------------------------------------------------------------
# 1. rows lost inside a quoted field
# ---------------------------------------------------------------------------------------------

def test_unclosed_quote_on_line_6_of_80_rows_names_the_line(tmp_path):
    lines = village_lines(80)
    lines[5] = '"' + lines[5]  # line 6 of the file
    p = write_csv(tmp_path, lines)
    with pytest.raises(InputDataError, match=r"line 6: the quote that opens the value of column "
                       r"'村名' is never closed, so lines 6-81 \(76 lines, 75 of them look like "
                       r"rows\) were read as one cell\. Close or remove that quote on line 6"):
        read_villages(p)


def test_unclosed_quote_is_a_file_error_in_validate(tmp_path):
    lines = village_lines(80)
    lines[5] = '"' + lines[5]
    rep = validate_villages(write_csv(tmp_path, lines))
    assert not rep.ok and rep.n_kept == 0
    assert rep.errors["check"].tolist() == ["file"]
    assert "line 6" in rep.errors["message"].iloc[0]


def test_unclosed_quote_cli_exits_1_and_names_line(tmp_path):
    lines = village_lines(80)
    lines[5] = '"' + lines[5]
    p = write_csv(tmp_path, lines)
    res = CliRunner().invoke(cli, ["validate", str(p)])
    assert res.exit_code == 1
    assert "line 6: the quote that opens the value of column '村名' is never closed" in res.output


def test_quote_closed_far_below_names_both_lines(tmp_path):
    lines = village_lines(20)
    lines[3] = lines[3].replace("村2,", '"村2,')
    lines[9] = lines[9].replace("村8,", '村8",')  # a second stray quote closes it on line 10
    with pytest.raises(InputDataError, match=r"line 4: .* closed only on line 10, so lines 4-10"):
        read_villages(write_csv(tmp_path, lines))


def test_legit_quoted_line_break_is_kept_and_reported(tmp_path):
    lines = ["村名,地址,经度,纬度", '丁楼村,"山东省菏泽市', '曹县大集镇",115.6,34.7',
             "张庄村,曹县,115.62,34.71"]
    gdf = load_quiet(write_csv(tmp_path, lines))
    rep = gdf.attrs["load_report"]
    assert rep.n_read == 2 and rep.n_kept == 2
    assert gdf.loc[2, "地址"] == "山东省菏泽市\n曹县大集镇"
    assert "1 record(s) hold quoted line breaks and span several lines (lines 2-3)" in rep.notes


def test_200_kb_cell_is_read_whole(tmp_path):
    lines = ["村名,经度,纬度,主营产品", "丁楼村,115.6,34.7," + '"' + "服装," * 70000 + '"',
             "张庄村,115.62,34.71,家具"]
    gdf = load_quiet(write_csv(tmp_path, lines))
    assert len(gdf) == 2
    assert len(gdf.loc[2, "products"]) == 3 * 70000  # 210,000 characters, > csv's 128 kB limit


def test_csv_field_limit_is_restored(tmp_path):
    import csv

    before = csv.field_size_limit()
    lines = ["村名,经度,纬度,备注", "丁楼村,115.6,34.7," + "x" * 200_000]
    load_quiet(write_csv(tmp_path, lines))
    assert csv.field_size_limit() == before


# ---------------------------------------------------------------------------------------------
# 2. Excel headers over two rows
# ---------------------------------------------------------------------------------------------

def merged_workbook(path, *, merges, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    for m in merges:
        ws.merge_cells(m)
    wb.save(path)
    return path


def test_merged_header_keeps_village_and_year(tmp_path):
    p = merged_workbook(tmp_path / "m.xlsx", merges=["A1:A2", "B1:C1", "D1:D2"], rows=[
        ["村名", "坐标", None, "年份"], [None, "经度", "纬度", None],
        ["丁楼村", 115.6, 34.7, 2016], ["张庄村", 115.62, 34.71, 2017]])
    gdf = load_quiet(p)
    assert list(gdf["village"]) == ["丁楼村", "张庄村"]
    assert list(gdf["year"]) == [2016, 2017]
    rep = gdf.attrs["load_report"]
    assert rep.column_map == {"村名": "village", "年份": "year"}
    assert any("merged cells" in n and "A1:A2 (村名)" in n and "D1:D2 (年份)" in n
               for n in rep.notes)


def test_merge_down_from_the_coordinate_row_uses_the_lower_names(tmp_path):
    # 村名/经度/纬度 merged over rows 1-2, 产品 merged across two sub-columns
    p = merged_workbook(tmp_path / "m2.xlsx", merges=["A1:A2", "B1:B2", "C1:C2", "D1:E1"], rows=[
        ["村名", "经度", "纬度", "产品", None], [None, None, None, "主营", "销售额"],
        ["丁楼村", 115.6, 34.7, "服装", 12], ["张庄村", 115.62, 34.71, "家具", 7]])
    gdf = load_quiet(p)
    rep = gdf.attrs["load_report"]
    assert rep.n_read == 2 and rep.ok  # row 2 is part of the header, not a bad data row
    # 主营 (main products) is mapped to the standard name
    assert list(gdf["products"]) == ["服装", "家具"] and list(gdf["销售额"]) == [12, 7]
    assert any("the header spans rows 1-2 (merged cells)" in n for n in rep.notes)


def test_two_row_header_in_csv_fills_blank_names_from_above(tmp_path):
    # the same sheet saved as CSV: merges are gone, the upper row still has the names
    lines = ["村名,坐标,,年份", ",经度,纬度,", "丁楼村,115.6,34.7,2016"]
    gdf = load_quiet(write_csv(tmp_path, lines))
    assert list(gdf["village"]) == ["丁楼村"] and list(gdf["year"]) == [2016]
    assert any("'村名', '年份' taken from line 1" in n for n in gdf.attrs["load_report"].notes)


def test_title_row_is_not_taken_for_names(tmp_path):
    lines = ["2016年淘宝村名单,,", "村名,经度,纬度", "丁楼村,115.6,34.7"]
    gdf = load_quiet(write_csv(tmp_path, lines))
    assert list(gdf.columns[:3]) == ["village", "经度", "纬度"]


# ---------------------------------------------------------------------------------------------
# 3. encodings
# ---------------------------------------------------------------------------------------------

def gbk_with_bom(tmp_path):
    p = tmp_path / "gbk_bom.csv"
    p.write_bytes(b"\xef\xbb\xbf" + "村名,经度,纬度\n丁楼村,115.6,34.7\n".encode("gbk"))
    return p


@pytest.mark.parametrize("encoding", ["gbk", "GBK", "gb18030", None],
                         ids=["gbk", "GBK-upper", "gb18030", "detected"])
def test_gbk_behind_utf8_bom(tmp_path, encoding):
    gdf = load_quiet(gbk_with_bom(tmp_path), encoding=encoding)
    assert list(gdf["village"]) == ["丁楼村"]
    assert any("starts with a UTF-8 byte-order mark but its text is" in n
               for n in gdf.attrs["load_report"].notes)


def test_gbk_bom_cli_with_encoding(tmp_path):
    res = CliRunner().invoke(cli, ["validate", str(gbk_with_bom(tmp_path)), "--encoding", "gbk"])
    assert res.exit_code == 0, res.output
    assert "'村名' -> 'village'" in res.output and "byte-order mark" in res.output


def test_wrong_encoding_names_the_cli_option(tmp_path):
    p = tmp_path / "g.csv"
    p.write_bytes("村名,经度,纬度\n丁楼村,115.6,34.7\n".encode("gbk"))
    with pytest.raises(InputDataError, match=r"cannot decode the file as 'utf-8'.*pass "
                       r"encoding='gb18030' \(CLI: --encoding gb18030\)"):
        read_villages(p, encoding="utf-8")


def test_unknown_encoding_is_one_clear_error(tmp_path):
    with pytest.raises(InputDataError, match=r"unknown encoding 'gbkk'"):
        read_villages(gbk_with_bom(tmp_path), encoding="gbkk")


# ---------------------------------------------------------------------------------------------
# 4. years
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "what"), [
    ("2106", "outside the plausible years: '2106'"),
    ("1899", "outside the plausible years: '1899'"),
    (str(FIRST_YEAR - 1), f"outside the plausible years: '{FIRST_YEAR - 1}'"),
    (str(THIS_YEAR + 1), f"outside the plausible years: '{THIS_YEAR + 1}'"),
    ("二〇一六", "not a year: '二〇一六'"),
    ("2016.5", "not a year: '2016.5'"),
    ("16", "outside the plausible years: '16'"),
], ids=["typo-2106", "1899", "before-first", "next-year", "chinese-numerals", "fraction",
        "two-digit"])
def test_implausible_year_names_row_and_column(tmp_path, value, what):
    lines = village_lines(4, year=2016)
    lines[3] = lines[3].rsplit(",", 1)[0] + "," + value  # line 4
    with pytest.raises(InputDataError) as exc:
        read_villages(write_csv(tmp_path, lines))
    msg = str(exc.value)
    assert f"line 4, column '年份': {what} (Taobao villages exist from {FIRST_YEAR} to " \
           f"{THIS_YEAR}); a typo? Fix the year in the file" in msg
    assert exc.value.rows == [4]


def test_typo_year_never_becomes_the_latest_year(tmp_path):
    lines = village_lines(5, year=2016)
    lines[2] = lines[2].rsplit(",", 1)[0] + ",2106"
    gdf = load_quiet(write_csv(tmp_path, lines), on_invalid="drop")
    assert gdf["year"].max() == 2016
    assert gdf.attrs["load_report"].dropped.to_dict("records") == [{"row": 3, "reasons": "year"}]


def test_year_with_nian_is_read_as_number_and_reported(tmp_path):
    lines = village_lines(3, year=2016)
    lines[1] = lines[1].replace(",2016", ",2016年")
    lines[2] = lines[2].replace(",2016", ", 2017 年 ")
    gdf = load_quiet(write_csv(tmp_path, lines))
    assert gdf["year"].tolist() == [2016, 2017, 2016] and gdf["year"].dtype == np.int64
    assert ("2 year value(s) written as text (e.g. '2016年') read as numbers (line 2, 3)"
            in gdf.attrs["load_report"].conversions)


def test_empty_year_is_a_warning_and_the_row_is_kept(tmp_path):
    lines = village_lines(3, year=2016)
    lines[2] = lines[2].rsplit(",", 1)[0] + ","
    with pytest.warns(UserWarning, match=r"missing_year: 1"):
        gdf = read_villages(write_csv(tmp_path, lines))
    assert len(gdf) == 3 and str(gdf["year"].dtype) == "Int64" and gdf["year"].isna().sum() == 1
    rep = gdf.attrs["load_report"]
    assert rep.warnings[["row", "column", "check"]].values.tolist() == [[3, "年份", "missing_year"]]


def test_mixed_year_cells(tmp_path):
    lines = village_lines(5, year=2016)
    for i, v in ((1, "2015"), (2, "2016年"), (3, "2017.0"), (4, "2106"), (5, "二〇一八")):
        lines[i] = lines[i].rsplit(",", 1)[0] + "," + v
    rep = validate_villages(write_csv(tmp_path, lines))
    assert rep.errors[["row", "check"]].values.tolist() == [[5, "year"], [6, "year"]]
    assert rep.n_kept == 3


def test_excel_year_numbers_and_text(tmp_path):
    p = merged_workbook(tmp_path / "y.xlsx", merges=[], rows=[
        ["村名", "经度", "纬度", "年份"], ["丁楼村", 115.6, 34.7, 2016.0],
        ["张庄村", 115.62, 34.71, "2017年"], ["孙庄村", 115.5, 34.85, 2106]])
    rep = validate_villages(p)
    assert rep.errors[["row", "column", "check", "value"]].values.tolist() == [
        [4, "年份", "year", "2106"]]


# ---------------------------------------------------------------------------------------------
# 5. CLI: loading options on every point-reading command, --on-invalid on validate
# ---------------------------------------------------------------------------------------------

def test_validate_on_invalid_drop_exits_0_when_rows_remain(tmp_path):
    lines = village_lines(4, year=2016)
    lines[2] = lines[2].rsplit(",", 1)[0] + ",2106"
    p = write_csv(tmp_path, lines)
    strict = CliRunner().invoke(cli, ["validate", str(p)])
    assert strict.exit_code == 1 and "pass --on-invalid drop" in strict.output
    drop = CliRunner().invoke(cli, ["validate", str(p), "--on-invalid", "drop"])
    assert drop.exit_code == 0, drop.output
    assert "--on-invalid drop would drop the rows listed above" in drop.output


def test_layer_option_on_an_analysis_command(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point, box

    p = tmp_path / "two.gpkg"
    pts = gpd.GeoDataFrame({"village": [f"v{i}" for i in range(12)]},
                           geometry=[Point(115.3 + 0.01 * i, 34.6 + 0.007 * (i % 5))
                                     for i in range(12)], crs=4326)
    pts.to_file(p, layer="villages")
    gpd.GeoDataFrame({"n": [1]}, geometry=[box(115, 34, 116, 35)], crs=4326).to_file(p, layer="area")
    pts.iloc[:3].to_file(p, layer="other_points")
    runner = CliRunner()
    res = runner.invoke(cli, ["nni", str(p), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    text = res.output + str(res.exception or "")
    assert "Choose one with layer=... (CLI: --layer NAME)" in text
    ok = runner.invoke(cli, ["nni", str(p), "--layer", "villages", "--json",
                             "--out", str(tmp_path / "o")])
    assert ok.exit_code == 0, ok.output
    assert '"n": 12' in ok.output


def test_reading_options_reach_load_points_input():
    # the options not passed to the command body are what load_points_input reads
    @cli.command("_probe", hidden=True)
    @loading_options
    def probe(x_col, y_col, crs, datum, on_invalid):
        print(sorted(read_options().items()))

    try:
        res = CliRunner().invoke(cli, ["_probe", "--no-china-check", "--sheet", "2",
                                       "--encoding", "gbk"])
    finally:
        cli.commands.pop("_probe")
    assert res.exit_code == 0, res.output
    assert ("[('check_china', False), ('encoding', 'gbk'), ('layer', None), ('sheet', 2)]"
            in res.output)
