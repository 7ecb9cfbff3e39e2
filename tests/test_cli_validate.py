"""`taobao-geo validate`: detection summary, every problem, exit codes, JSON, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from taobao_geo.cli.main import cli, main

GOOD = "省份,县,乡镇,村名,经度,纬度\n山东,曹县,大集镇,丁楼村,115.6,34.7\n山东,曹县,大集镇,张庄村,115.62,34.71\n"
BAD = GOOD + "山东,曹县,大集镇,孙庄村,abc,34.8\n山东,曹县,大集镇,李庄村,34.8,115.5\n"


@pytest.fixture
def good(tmp_path):
    p = tmp_path / "good.csv"
    p.write_bytes(GOOD.encode("gbk"))
    return p


@pytest.fixture
def bad(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_bytes(BAD.encode("utf-8-sig"))
    return p


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_valid_file_prints_detection_and_exits_0(good):
    res = run("validate", good)
    assert res.exit_code == 0, res.output
    for text in ("good.csv (csv, encoding gb18030 (detected))",
                 "x = column '经度', y = column '纬度'", "Input CRS: EPSG:4326; datum: wgs84",
                 "'村名' -> 'village'", "Rows: 2 read, 2 kept", "0 error(s), 0 warning(s)"):
        assert text in res.output


def test_bad_file_lists_every_problem_and_exits_1(bad):
    res = run("validate", bad)
    assert res.exit_code == 1
    assert "encoding utf-8-sig" in res.output
    assert "[error] line 4, column '经度': not a number: 'abc'" in res.output
    assert "[error] line 5, column '经度/纬度': x=34.800000, y=115.500000 looks like" in res.output
    assert "2 error(s): fix them in the file" in res.output


def test_json_output(bad):
    res = run("validate", bad, "--json")
    assert res.exit_code == 1
    d = json.loads(res.output)
    assert d["n_errors"] == 2 and d["x_col"] == "经度" and d["encoding"] == "utf-8-sig"
    assert [(p["row"], p["check"]) for p in d["problems"]] == [(4, "non_numeric"), (5, "swapped")]


def test_explicit_options_datum_and_columns(tmp_path):
    p = tmp_path / "v.csv"
    p.write_text("name,a,b\nv1,115.6,34.7\n", encoding="utf-8")
    res = run("validate", p, "--x", "a", "--y", "b", "--datum", "gcj02")
    assert res.exit_code == 0, res.output
    assert "x = column 'a', y = column 'b'" in res.output
    assert "Converted: GCJ02 -> WGS 84 applied to 1 point(s)" in res.output


def test_boundary_and_duplicates_options(good, tmp_path):
    res = run("validate", good, "--duplicates", "error")
    assert res.exit_code == 0
    import geopandas as gpd
    from shapely.geometry import box

    b = tmp_path / "area.gpkg"
    gpd.GeoDataFrame(geometry=[box(115.61, 34.6, 115.7, 34.8)], crs=4326).to_file(b)
    res = run("validate", good, "--boundary", b)
    assert res.exit_code == 1
    assert "line 2, column '经度': (115.60000, 34.70000) is outside the given boundary" in res.output


def test_shipped_layer(tmp_path):
    res = run("validate", "caoxian_villages_simulated", "--json")
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["source"] == "caoxian_villages_simulated" and d["n_read"] == 48


def test_missing_file_is_usage_error(tmp_path):
    res = run("validate", tmp_path / "nope.csv")
    assert res.exit_code == 2
    assert "neither an existing file nor a shipped layer" in res.output


def test_main_one_line_error_without_traceback(good, capsys):
    with pytest.raises(SystemExit) as ei:
        main(["validate", str(good), "--crs", "NOT-A-CRS"])
    assert ei.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("Error: `validate_villages`: invalid crs 'NOT-A-CRS'")
    assert "\n" not in err and "Traceback" not in err


def test_debug_shows_traceback(good):
    proc = subprocess.run(
        [sys.executable, "-m", "taobao_geo.cli.main", "--debug", "validate", str(good), "--crs",
         "NOT-A-CRS"], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "Traceback (most recent call last)" in proc.stderr
    assert "CRSError" in proc.stderr
