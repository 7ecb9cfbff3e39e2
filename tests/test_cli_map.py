"""`taobao-geo map`: shipped layers and user files to HTML maps with chosen analyses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from taobao_geo.cli import main as climain

pytest.importorskip("folium")


def run(*args):
    return CliRunner().invoke(climain.cli, ["map", *map(str, args)], catch_exceptions=False)


def test_shipped_layer_with_analyses_offline_amap(tmp_path):
    res = run("caoxian_villages_simulated", "--boundary", "caoxian_boundary", "--layers",
              "villages,kde,lisa,hotspots,choropleth", "--units", "fishnet", "--unit-size",
              5000, "--permutations", 99, "--tiles", "amap", "--out", tmp_path, "--json")
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    page = Path(info["map"]).read_text(encoding="utf-8")
    assert info["offline"] and info["bytes"] == len(page.encode("utf-8"))
    assert not re.search(r'<script[^>]+src="https?:', page)
    assert "autonavi" in page and "GCJ-02" in page
    for layer in ("Kernel density", "LISA clusters", "Hot spots (Gi*)", "Core zones",
                  "Villages: count"):
        assert layer in page, layer
    assert "SIMULATED DATA" in page


def test_cdn_and_layer_choice(tmp_path):
    res = run("caoxian_villages_simulated", "--layers", "villages", "--cdn", "--out", tmp_path,
              "--name", "v")
    assert res.exit_code == 0, res.output
    page = (tmp_path / "v.html").read_text(encoding="utf-8")
    assert '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js">' in page
    assert "L.imageOverlay" not in page
    assert res.stdout.strip().endswith("v.html")


def test_compare_years_dual_map(tmp_path):
    res = run("taobao_villages", "--compare-years", 2014, 2016, "--out", tmp_path,
              "--name", "cmp")
    assert res.exit_code == 0, res.output
    page = (tmp_path / "cmp.html").read_text(encoding="utf-8")
    assert page.count("tgMap.points(") == 2 and ".sync(" in page
    bad = run("taobao_villages", "--compare-years", 2014, 2099, "--out", tmp_path,
              "--overwrite")
    assert bad.exit_code != 0 and "2099" in bad.output


def test_user_csv_with_hostile_names(tmp_path):
    csv = tmp_path / "v.csv"
    pd.DataFrame({"village": ["<script>alert(1)</script>", "东风村", "西村"],
                  "county": ["曹县"] * 3, "year": [2016] * 3,
                  "lon": [115.54, 115.55, 115.60], "lat": [34.82, 34.83, 34.85]}
                 ).to_csv(csv, index=False)
    res = run(csv, "--x", "lon", "--y", "lat", "--layers", "villages", "--out", tmp_path / "o")
    assert res.exit_code == 0, res.output
    page = (tmp_path / "o" / "map.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page
    assert "\\u003cscript\\u003ealert(1)" in page


def test_bad_options(tmp_path):
    res = run("caoxian_villages_simulated", "--layers", "villages,heatmap", "--out", tmp_path)
    assert res.exit_code != 0 and "unknown layer" in res.output
    res = run("caoxian_villages_simulated", "--layers", "lisa", "--units", "boundary",
              "--out", tmp_path)
    assert res.exit_code != 0 and "--boundary" in res.output
    res = run("caoxian_villages_simulated", "--tiles", "tianditu", "--out", tmp_path)
    assert res.exit_code != 0 and "key" in res.output


def test_compare_counties_unsynced(tmp_path):
    res = run("taobao_villages", "--boundary", "china_counties", "--compare-counties", "曹县",
              "沭阳县", "--out", tmp_path, "--name", "cc")
    assert res.exit_code == 0, res.output
    page = (tmp_path / "cc.html").read_text(encoding="utf-8")
    assert page.count("tgMap.points(") == 2 and ".sync(" not in page
    assert "Leaflet.Sync" not in page and "L.Map.Sync" not in page
    bad = run("taobao_villages", "--compare-counties", "曹县", "无此县", "--out", tmp_path,
              "--overwrite")
    assert bad.exit_code != 0 and "无此县" in bad.output
