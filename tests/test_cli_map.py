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


def _spy(monkeypatch, name):
    """Record the result object handed to taobao_geo.maps.<name> (the map only draws it)."""
    from taobao_geo import maps

    seen, original = [], getattr(maps, name)

    def spy(result, **kwargs):
        seen.append(result)
        return original(result, **kwargs)

    monkeypatch.setattr(maps, name, spy)
    return seen


def _analyze(*args):
    return CliRunner().invoke(climain.cli, ["analyze", *map(str, args)], catch_exceptions=False)


def test_map_and_analyze_give_the_same_hot_spots(tmp_path, monkeypatch):
    # issue 11: `map` once re-ran its own chain (islands dropped, hexagons); it now draws the
    # analysis of `analyze`, so the same input and seed give the same Gi* bins and LISA classes
    gi, lisa = _spy(monkeypatch, "explore_hotspots"), _spy(monkeypatch, "explore_lisa")
    common = ("caoxian_villages_simulated", "--boundary", "caoxian_boundary",
              "--permutations", 99, "--rng", 7)
    res = run(*common, "--layers", "villages,lisa,hotspots", "--out", tmp_path / "m")
    assert res.exit_code == 0, res.output
    out = _analyze(*common, "--no-maps", "--out", tmp_path / "a")
    assert out.exit_code == 0, out.output
    tables = tmp_path / "a" / "tables"
    want_gi = pd.read_csv(tables / "gistar.csv", index_col=0)
    want_lisa = pd.read_csv(tables / "lisa.csv", index_col=0)
    got_gi, got_lisa = gi[0].to_frame(), lisa[0].to_frame()
    assert len(got_gi) == len(want_gi) >= 30
    assert list(got_gi["gi_bin"]) == list(want_gi["gi_bin"])
    assert got_gi["gi_z"].to_numpy() == pytest.approx(want_gi["gi_z"].to_numpy())
    assert list(got_lisa["cluster"].astype(str)) == list(want_lisa["cluster"].astype(str))


def test_units_boundary_uses_the_boundary_polygons(tmp_path, monkeypatch):
    # `--units boundary` crashed ("The truth value of a DataFrame is ambiguous")
    from taobao_geo import datasets

    counties = datasets.load("china_counties")
    sd = counties[counties["province"] == "山东省"]
    sd.to_file(tmp_path / "sd.geojson", driver="GeoJSON")
    vil = datasets.load("taobao_villages")
    vil = vil[(vil["year"] == 2016) & vil["county_code"].astype(str).isin(sd["adcode"].astype(str))]
    vil.to_file(tmp_path / "v.geojson", driver="GeoJSON")
    gi = _spy(monkeypatch, "explore_hotspots")
    res = run(tmp_path / "v.geojson", "--boundary", tmp_path / "sd.geojson", "--units",
              "boundary", "--layers", "hotspots", "--out", tmp_path / "o")
    assert res.exit_code == 0, res.output
    assert len(gi[0].to_frame()) == len(sd)


def test_map_notes_a_layer_the_data_cannot_support(tmp_path):
    res = run("caoxian_villages_simulated", "--layers", "villages,centres", "--out", tmp_path,
              "--json")
    assert res.exit_code == 0, res.output
    notes = json.loads(res.stdout)["notes"]
    assert notes and notes[0].startswith("centres left out: only one year")
