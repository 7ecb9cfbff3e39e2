"""The briefing: self-contained HTML, escaped user text, caveats, zh/en labels, browser render, PDF."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from taobao_geo import TaobaoGeoError
from taobao_geo.compare import compare_counties
from taobao_geo.pipeline import analyze
from taobao_geo.report import LABELS, briefing, find_pdf_engine, print_pdf

from browser import chromium_path, open_page

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
EVIL = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def counties():
    rows = []
    for i in range(3):
        for j in range(3):
            rows.append({"adcode": f"3717{i}{j + 1}", "province": "山东省", "city": "菏泽市",
                         "county": EVIL if (i, j) == (1, 1) else f"县{i}{j}",
                         "geometry": box(115 + 0.2 * j, 34.6 + 0.2 * i, 115.2 + 0.2 * j,
                                         34.8 + 0.2 * i)})
    return gpd.GeoDataFrame(rows, crs=4326)


@pytest.fixture(scope="module")
def villages(counties):
    rng = np.random.default_rng(5)
    rows = []
    for year, n in ((2015, 20), (2016, 45)):
        for i in range(n):
            c = counties.iloc[[0, 4, 4, 8][i % 4]]
            x0, y0, x1, y1 = c.geometry.bounds
            rows.append({"year": year, "county_code": c["adcode"], "village": EVIL,
                         "geometry": Point(rng.uniform(x0 + .01, x1 - .01),
                                           rng.uniform(y0 + .01, y1 - .01))})
    g = gpd.GeoDataFrame(rows, crs=4326)
    g.attrs["dataset"] = {"name": "test_villages_simulated", "source": EVIL, "simulated": True}
    return g


@pytest.fixture(scope="module")
def results(villages, counties, tmp_path_factory):
    out = tmp_path_factory.mktemp("brief")
    a = analyze(villages, boundary=counties, out_dir=out / "analysis", permutations=19,
                envelope_simulations=9, rng=2, progress=False, on_error="record")
    c = compare_counties(villages, counties, city="菏泽市", permutations=19, rng=2,
                         progress=False)
    return a, c, out


def test_html_is_self_contained_and_escaped(results):
    a, c, out = results
    path = briefing(a, c, out_path=out / "brief_en.html", title=EVIL, region=EVIL, lang="en")
    text = path.read_text(encoding="utf-8")
    assert "<script>alert" not in text  # every user string escaped (maps sit in srcdoc)
    assert "&lt;script&gt;alert" in text
    # nothing fetched from the network: no http(s) src/href in the page itself
    outer = re.sub(r'srcdoc="[^"]*"', "", text)
    assert not re.search(r'(src|href)="https?://', outer)
    assert 'id="simulated-banner"' in text  # dataset metadata says simulated -> banner
    assert LABELS["en"]["boundaries"].split(":")[0] in text
    assert "审图号" in text
    assert "data:image/png;base64," in text
    assert "County comparison" in text
    assert "permutations" in text  # methods and parameters from choices.json
    # plain-language key figures, formatted from the results' own numbers
    nni = a.results["nni"]
    assert f"R = {nni.R:.3f}" in text
    shift = a.results["trends"].net_shift_m / 1000
    assert f"Mean centre moved (2015→2016): {shift:.1f} km" in text


def test_chinese_labels(results):
    a, c, out = results
    text = briefing(a, c, out_path=out / "brief_zh.html", lang="zh").read_text(encoding="utf-8")
    assert LABELS["zh"]["comparison"] in text and LABELS["zh"]["caveats"] in text
    assert 'lang="zh-CN"' in text


def test_no_simulated_banner_for_real_data(results):
    a, c, out = results
    text = briefing(None, c, out_path=out / "c.html", simulated=False).read_text(encoding="utf-8")
    assert 'id="simulated-banner"' not in text


def test_errors(tmp_path):
    with pytest.raises(TaobaoGeoError, match="needs an analysis result"):
        briefing(None, None, out_path=tmp_path / "x.html")
    with pytest.raises(ValueError, match="lang"):
        briefing(None, None, out_path=tmp_path / "x.html", lang="fr")


@pytest.mark.browser
def test_renders_in_chromium(results, chromium):
    a, c, out = results
    path = briefing(a, c, out_path=out / "brief_browser.html", title="Test briefing")
    page = open_page(chromium, path, viewport=(1200, 1600))
    try:
        assert page.js_errors == []
        assert page.eval("() => document.querySelectorAll('h2').length") >= 4
        assert page.eval("() => Array.from(document.images).every(i => i.naturalWidth > 0)")
        # each embedded interactive map (iframe srcdoc) initialised Leaflet offline
        frames = [f for f in page.page.frames if f != page.page.main_frame]
        assert len(frames) == len(a.files["maps"]) >= 2
        for f in frames:
            f.wait_for_load_state("load")
            assert f.evaluate("() => typeof L === 'object' && Object.keys(window)"
                              ".some(k => k.startsWith('map_') && window[k] instanceof L.Map)")
        page.screenshot("briefing")
    finally:
        page.close()
    zh = briefing(a, c, out_path=out / "brief_browser_zh.html", lang="zh", embed_maps=False)
    page = open_page(chromium, zh, viewport=(1200, 1600))
    try:
        assert page.js_errors == []
        assert page.eval("() => document.documentElement.lang") == "zh-CN"
        page.screenshot("briefing_zh")
    finally:
        page.close()


@pytest.mark.browser
def test_pdf(results, tmp_path):
    a, c, out = results
    if chromium_path() is None or find_pdf_engine() is None:
        with pytest.raises(TaobaoGeoError, match="No PDF engine"):
            print_pdf(out / "brief_en.html", tmp_path / "b.pdf")
        return
    html = briefing(a, c, out_path=tmp_path / "b.html", embed_maps=False)
    pdf = print_pdf(html)
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_pdf_without_engine_says_so(tmp_path, monkeypatch):
    import taobao_geo.report as rp

    monkeypatch.setattr(rp.shutil, "which", lambda name: None)
    html = tmp_path / "b.html"
    html.write_text("<html><body>x</body></html>", encoding="utf-8")
    with pytest.raises(TaobaoGeoError, match="No PDF engine: headless Chromium/Chrome was not "
                                             "found.*The HTML briefing is complete"):
        print_pdf(html)
