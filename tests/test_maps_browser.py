"""Maps opened in a real headless Chromium with the network disabled (marker ``browser``).

Each saved page must initialise with no JavaScript error, show its layers, legends, title,
datum note, scale bar and full-screen button, open a popup on a real mouse click, show escaped
names as text, and work offline (every non-file request aborted). Screenshots are written to
``test-artifacts/`` for review. Without Chromium these tests fail under CI=true and skip loudly
elsewhere (tests/browser.py).
"""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import Point, box

from browser import JS_FOCUS_MARKER, JS_MAP_STATE, JS_MAPS, open_page
from taobao_geo import maps
from taobao_geo.palettes import GI_BIN_LABELS

pytestmark = pytest.mark.browser

XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


def villages(n, seed=0):
    rng = np.random.default_rng(seed)
    names = [f"村{i}" for i in range(n)]
    names[0] = XSS
    gdf = gpd.GeoDataFrame(
        {"village": names, "town": [f"镇{i % 9}" for i in range(n)],
         "county": [f"县{i % 4}" for i in range(n)], "year": rng.choice([2014, 2015, 2016], n),
         "products": "服装 & 木制品", "loc_prec": "town"},
        geometry=gpd.points_from_xy(rng.uniform(115.0, 116.0, n), rng.uniform(34.5, 35.5, n)),
        crs="EPSG:4326")
    return gdf


def units():
    cells = [box(115 + 0.2 * i, 34.5 + 0.2 * j, 115.2 + 0.2 * i, 34.7 + 0.2 * j)
             for j in range(5) for i in range(5)]
    return gpd.GeoDataFrame({"county": [f"<b>县{k}</b>" for k in range(25)],
                             "count": np.arange(25.0)}, geometry=cells, crs="EPSG:4326")


@pytest.fixture(scope="module")
def village_page(chromium, tmp_path_factory):
    path = maps.save_map(maps.explore_villages(villages(2000)),
                         tmp_path_factory.mktemp("maps") / "villages.html")
    mp = open_page(chromium, path)
    yield mp
    mp.close()


def test_offline_page_initialises_without_errors(village_page):
    mp = village_page
    assert mp.js_errors == []
    assert mp.eval("() => typeof L") == "object"
    # tiles were requested and blocked: the network really was off, the overlays still drew
    assert mp.blocked and all(u.startswith("http") for u in mp.blocked)
    name = mp.eval(JS_MAPS)[0]
    state = mp.eval(JS_MAP_STATE, name)
    assert state["circles"] == 2000
    assert state["overlays"] == ["Taobao villages"]
    assert state["bases"] == ["OpenStreetMap"]
    assert state["scale"] == 1 and state["fullscreen"] >= 1
    assert state["titles"] == ["Taobao villages"]
    assert "WGS 84" in state["datum"][0]
    assert len(state["legends"]) == 1 and "by year" in state["legends"][0]
    mp.screenshot("map_villages_offline")


def test_popup_opens_on_click_and_escapes_names(village_page):
    mp = village_page
    name = mp.eval(JS_MAPS)[0]
    point = mp.eval(JS_FOCUS_MARKER, [name, "__xss=1"])
    assert point is not None
    mp.page.mouse.click(point["x"], point["y"])
    popup = mp.page.wait_for_selector(".leaflet-popup-content .tg-popup", timeout=5000)
    text = popup.inner_text()
    assert XSS in text                       # shown literally, as text
    assert "Location precision" in text and "服装 & 木制品" in text
    assert popup.query_selector("img") is None and popup.query_selector("script") is None
    assert mp.eval("() => window.__xss") is None
    mp.screenshot("map_villages_popup_escaped")
    assert mp.js_errors == []


def test_cdn_page_does_not_initialise_offline(chromium, tmp_path):
    """Negative control: the plain folium page needs the CDN, so blocking really blocks."""
    path = maps.save_map(maps.explore_villages(villages(20)), tmp_path / "cdn.html",
                         offline=False)
    mp = open_page(chromium, path)
    try:
        assert mp.eval("() => typeof L") == "undefined"
        assert any("leaflet" in u for u in mp.blocked)
    finally:
        mp.close()


def test_analysis_layers_render(chromium, tmp_path):
    rows, cols, cell = 40, 50, 2000.0
    yy, xx = np.mgrid[0:rows, 0:cols]
    kde = SimpleNamespace(density=np.exp(-((xx - 25) ** 2 + (yy - 20) ** 2) / 60.0),
                          transform=Affine(cell, 0, 410_000, 0, -cell, 3_900_000),
                          crs="EPSG:32650", units="per_km2", bandwidth_m=10_000.0,
                          bandwidth_rule="arcgis", kernel="quartic", cell_size_m=cell)
    u = units()
    lisa = SimpleNamespace(gdf=u.assign(cluster=["HH", "LL", "HL", "LH", "ns"] * 5, p_sim=0.01),
                           alpha=0.05, correction="fdr", permutations=999)
    gi = SimpleNamespace(gdf=u.assign(gi_bin=[-3, -2, -1, 0, 1, 2, 3, 0, 0, 0, 1, 2, 3, -1, 0,
                                              0, 0, 0, 0, 0, 0, 0, 0, 0, 0], gi_z=1.0, gi_p=0.1),
                         alpha=0.1, correction="none")
    pts = [Point(450_000, 3_850_000), Point(452_000, 3_851_000), Point(455_000, 3_853_000)]
    trends = gpd.GeoDataFrame({"year": [2014, 2015, 2016], "n": [5, 9, 20],
                               "ellipse": [p.buffer(8000) for p in pts]},
                              geometry=pts, crs="EPSG:32650")
    m = maps.explore_density(kde, tiles="amap")
    maps.explore_lisa(lisa, m=m)
    maps.explore_hotspots(gi, m=m)
    maps.explore_choropleth(u, "count", m=m, name="Villages per county")
    maps.explore_boundaries(u, m=m, name="Counties")
    maps.explore_centres(trends, m=m)
    path = maps.save_map(m, tmp_path / "analysis.html")
    mp = open_page(chromium, path)
    try:
        assert mp.js_errors == []
        name = mp.eval(JS_MAPS)[0]
        state = mp.eval(JS_MAP_STATE, name)
        assert state["images"] == 1
        assert state["overlays"] == [
            "Kernel density", "LISA clusters", "Hot spots (Gi*)", "Villages per county",
            "Counties", "Standard deviational ellipses", "Centre trajectory", "Mean centres"]
        legends = " | ".join(state["legends"])
        assert "Villages per km²" in legends and "High-High" in legends
        assert GI_BIN_LABELS[3] in legends and "correction: FDR (Benjamini-Hochberg)" in legends
        assert "GCJ-02" in state["datum"][0]
        # escaped HTML in a polygon popup: open the first LISA unit's popup
        text = mp.eval("""(name) => { let out = null; window[name].eachLayer(l => {
            if (!out && l.feature && l.getPopup && l.getPopup() &&
                String(l.feature.properties.county).includes('<b>')) {
              l.openPopup(); out = document.querySelector('.leaflet-popup-content').innerText; }
            }); return out; }""", name)
        assert text is not None and "<b>县" in text
        mp.screenshot("map_analysis_layers_amap")
        # switching a layer off in the layer control hides its legend, and back on shows it
        toggle = """(label) => { const c = document.querySelector('.leaflet-control-layers');
            for (const l of c.querySelectorAll('.leaflet-control-layers-overlays label')) {
              if (l.textContent.trim() === label) { l.querySelector('input').click(); } }
            return Array.from(document.querySelectorAll('[data-tg=legend] .tg-lt'))
                        .map(e => e.textContent); }"""
        titles = mp.eval(toggle, "LISA clusters")
        assert "LISA clusters" not in titles and "Hot spots (Gi*)" in titles
        assert "LISA clusters" in mp.eval(toggle, "LISA clusters")
        assert mp.js_errors == []
    finally:
        mp.close()


def test_dual_map_panels_are_synced(chromium, tmp_path):
    g = villages(300)
    dm = maps.dual_map(titles=("2014", "2015-2016"))
    maps.explore_villages(g[g.year == 2014], m=dm.m1, color_by=None)
    maps.explore_villages(g[g.year != 2014], m=dm.m2, color_by=None)
    path = maps.save_map(dm, tmp_path / "dual.html")
    mp = open_page(chromium, path)
    try:
        assert mp.js_errors == []
        names = mp.eval(JS_MAPS)
        assert len(names) == 2
        centre = mp.eval("""([a, b]) => { window[a].setView([35.2, 115.7], 11, {animate: false});
            const c = window[b].getCenter(); return [c.lat, c.lng, window[b].getZoom()]; }""",
                         names)
        assert centre[0] == pytest.approx(35.2, abs=1e-3)
        assert centre[1] == pytest.approx(115.7, abs=1e-3) and centre[2] == 11
        mp.screenshot("map_dual_synced")
    finally:
        mp.close()


def test_ten_thousand_points_load_fast_enough_to_report(chromium, tmp_path):
    """Not a timing assertion (see benchmarks/bench_maps.py): the page works at 10,000 points."""
    path = maps.save_map(maps.explore_villages(villages(10_000, seed=3)), tmp_path / "10k.html")
    assert path.stat().st_size < 1_000_000
    mp = open_page(chromium, path)
    try:
        assert mp.js_errors == []
        assert mp.eval(JS_MAP_STATE, mp.eval(JS_MAPS)[0])["circles"] == 10_000
    finally:
        mp.close()


def test_cli_map_from_real_analyses_opens_offline(chromium, tmp_path):
    """End to end: `taobao-geo map` computes KDE, LISA, Gi* on a shipped layer; page works."""
    from click.testing import CliRunner

    from taobao_geo.cli import main as climain

    res = CliRunner().invoke(climain.cli, [
        "map", "caoxian_villages_simulated", "--boundary", "caoxian_boundary", "--layers",
        "villages,kde,lisa,hotspots", "--units", "fishnet", "--unit-size", "5000",
        "--permutations", "99", "--tiles", "amap", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    mp = open_page(chromium, tmp_path / "map.html")
    try:
        assert mp.js_errors == []
        state = mp.eval(JS_MAP_STATE, mp.eval(JS_MAPS)[0])
        assert state["circles"] == 48 and state["images"] == 1
        assert len(state["legends"]) == 5            # kde, lisa, gi*, boundary, villages
        assert any(t.startswith("Boundary") for t in state["legends"])
        assert any("SIMULATED" in t for t in state["titles"])
        mp.screenshot("cli_map_caoxian_amap")
    finally:
        mp.close()
