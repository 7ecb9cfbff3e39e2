"""CLI: analyze, compare, brief and demo on the shipped data (small, fast configurations).

``make demo`` runs the demo with 999 permutations (about a minute); here every part of it runs
with 99 (``--quick``), and each command's promised outputs are checked.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from taobao_geo.cli.main import cli

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _invoke(args):
    res = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res


def test_analyze_json_and_outputs(tmp_path):
    out = tmp_path / "a"
    res = _invoke(["analyze", "caoxian_villages_simulated", "--boundary", "caoxian_boundary",
                   "--out", str(out), "--permutations", "19", "--envelopes", "9", "--rng", "7",
                   "--no-maps", "--json"])
    payload = json.loads(res.stdout)
    assert payload["n"] == 48 and payload["crs"] == "EPSG:32650"
    steps = {s["name"]: s for s in payload["steps"]}
    assert steps["nni"]["status"] == "ok"
    # the numbers themselves are in the JSON, as the library computed them
    assert 0 < payload["results"]["nni"]["R"] < 1  # simulated Thomas clusters
    assert payload["results"]["nni"]["nsim"] == 19
    assert payload["choices"]["crs"]["name"] == "EPSG:32650"
    choices = json.loads((out / "choices.json").read_text(encoding="utf-8"))
    assert choices["seed"] == 7 and choices["permutations"] == 19
    assert choices["dataset"]["simulated"] is True
    assert (out / "layers" / "analysis.gpkg").exists()
    assert (out / "tables" / "nni.csv").exists()


def test_analyze_bad_source_is_one_clear_error(tmp_path):
    res = CliRunner().invoke(cli, ["analyze", "no_such_layer", "--out", str(tmp_path)])
    assert res.exit_code != 0
    assert "neither an existing file nor a shipped layer" in res.output


def test_compare_heze(tmp_path):
    out = tmp_path / "c"
    res = _invoke(["compare", "--city", "菏泽市", "--county", "371721", "--out", str(out),
                   "--permutations", "19", "--no-maps", "--json"])
    payload = json.loads(res.stdout)
    assert [r["adcode"] for r in payload["table"]][0] == "371721"
    t = pd.read_csv(out / "comparison.csv", dtype={"adcode": str})
    assert len(t) == 9  # Heze's nine counties (Cao County is one of them)
    cao = t.set_index("adcode").loc["371721"]
    # AliResearch lists: Cao County had 7, 34 and 48 Taobao villages in 2014-2016
    assert (cao["n_2014"], cao["n_2015"], cao["n_2016"]) == (7, 34, 48)
    assert cao["rank_count"] == 1
    assert (out / "small_multiples.png").stat().st_size > 5000


def test_brief_county_html(tmp_path):
    out = tmp_path / "b"
    res = _invoke(["brief", "--county", "曹县", "--top", "3", "--lang", "zh", "--no-pdf",
                   "--no-maps", "--permutations", "19", "--out", str(out)])
    html = (out / "briefing_zh.html").read_text(encoding="utf-8")
    assert "县域比较" in html and "审图号" in html
    assert "briefing_zh.html" in res.output


def test_demo_quick_all_parts(tmp_path):
    # every part of `make demo` (layers, China, Shandong, Heze, Cao County) with 99 permutations
    res = _invoke(["demo", "--quick", "--no-pdf", "--out", str(tmp_path)])
    out = res.output
    # the summary table of the shipped layers (issue 2) and the output paths (issue 7)
    for name in ("china_counties", "taobao_villages", "caoxian_villages_simulated"):
        assert name in out
    assert "0 errors" in out and re.search(r"All \d+ layers loaded", out)  # validated
    assert (tmp_path / "overview_map.html").exists()
    for part in ("china", "shandong", "heze/analysis", "caoxian/analysis"):
        folder = tmp_path / part
        assert (folder / "summary.json").exists(), part
        assert str(folder / "log.txt") in out, part
        assert list((folder / "maps").glob("*.html")), part
    for region in ("heze", "caoxian"):
        assert str(tmp_path / region / "briefing_en.html") in out
        assert (tmp_path / region / "comparison" / "comparison.csv").exists()
    china = json.loads((tmp_path / "china" / "summary.json").read_text(encoding="utf-8"))
    assert china["n"] == 1311 and china["years"] == [2014, 2015, 2016]
    assert china["steps"]["trends"]["status"] == "ok"
    # the demo uses the REAL Cao County layer unless asked: no simulated banner
    cao = (tmp_path / "caoxian" / "briefing_en.html").read_text(encoding="utf-8")
    assert 'id="simulated-banner"' not in cao
    assert "Demo finished" in out


def test_analyze_user_csv_in_gcj02(tmp_path):
    # a user's list with Amap (GCJ-02) coordinates and Chinese headers, made from the SIMULATED
    # layer; after --datum gcj02 the points must be back at the WGS 84 positions (< 0.5 m)
    from taobao_geo import coords, datasets

    sim = datasets.load("caoxian_villages_simulated")
    lon, lat = coords.wgs84_to_gcj02(sim.geometry.x.to_numpy(), sim.geometry.y.to_numpy())
    csv = tmp_path / "my_villages_simulated_gcj02.csv"
    pd.DataFrame({"村名": sim["village"], "经度": lon, "纬度": lat}).to_csv(
        csv, index=False, encoding="utf-8-sig")
    out = tmp_path / "a"
    res = _invoke(["analyze", str(csv), "--datum", "gcj02", "--boundary", "caoxian_boundary",
                   "--out", str(out), "--permutations", "9", "--envelopes", "0", "--no-maps",
                   "--json"])
    payload = json.loads(res.stdout)  # the datum conversion note goes to stderr
    assert payload["n"] == 48 and payload["year"] is None
    assert "GCJ02 -> WGS 84 applied to 48 point(s)" in res.stderr
    import geopandas as gpd

    pts = gpd.read_file(out / "layers" / "analysis.gpkg", layer="points").to_crs(32650)
    ref = sim.to_crs(32650)
    assert pts.geometry.distance(ref.geometry, align=False).max() < 0.5
