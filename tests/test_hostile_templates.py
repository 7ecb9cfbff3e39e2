"""Hostile text in every page the package writes: never template source, never markup (issue 10).

branca/folium compile each element's output a second time as a Jinja2 template, so a village
called ``{{ cycler.__init__.__globals__.os.system(...) }}`` ran a shell command, ``{{7*7}}`` showed
as 49 and ``{% raw %}`` crashed ``analyze``; layer names went into Leaflet's layer control as
HTML. Here template and script payloads are put in every text field (village, town, county,
products, title, the boundary's names, the input file's name), run through ``map``, ``analyze``,
``brief`` and ``compare``, and checked three ways: no command runs (no PWNED file), no crash, and
in headless Chromium (marker ``browser``) no script runs and the payload shows literally in the
popups, titles, legends and layer control.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from taobao_geo import _html
from taobao_geo.cli import main as climain

pytest.importorskip("folium")

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "taobao_geo"

SSTI = "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}"
PAYLOADS = {
    "jinja-expression": "{{7*7}}",
    "jinja-raw-block": "{% raw %}",
    "jinja-rce": SSTI,
    "img-onerror": '"><img src=x onerror=window.__pwned=1>',
    "script-close": "</script><script>window.__pwned=2</script>",
    "quotes-backslash-comment": "it's \"quoted\" \\ back\\slash {# {%",
    "line-separators": "a\u2028b\u2029c <!-- -->",
}
COUNTIES = ("{{7*7}}县 <img src=x onerror=window.__pwned=4>", "{% raw %}县 " + SSTI)
TITLE = ('{{7*7}} {% raw %} "><img src=x onerror=window.__pwned=6> '
         "</script><script>window.__pwned=7</script>")
# No "/" in a file name, so no "</script>" here.
FILE_NAME = "{{7*7}}'\"><img src=x onerror=window.__pwned=3>.csv"
P = list(PAYLOADS.values())


# --------------------------------------------------------------------------- the helpers
@pytest.mark.parametrize("text,expected", [
    ("<b>&'\"", "&lt;b&gt;&amp;&#x27;&quot;"),
    ("{{7*7}} {% raw %}", "{{7*7}} {% raw %}"),      # braces are not markup: left as they are
    (None, ""),
    (42, "42"),
], ids=["markup", "braces-untouched", "none", "number"])
def test_escape_text(text, expected):
    assert _html.escape_text(text) == expected


@pytest.mark.parametrize("payload", P, ids=list(PAYLOADS))
def test_js_json_cannot_close_the_script(payload):
    import json

    out = _html.js_json({"v": payload})
    assert "<" not in out and ">" not in out and "&" not in out
    assert "\u2028" not in out and "\u2029" not in out
    assert json.loads(out) == {"v": payload}


def test_render_page_restores_branca_after_an_error():
    from branca.element import Div, Element, Figure, MacroElement

    saved = MacroElement.render, Div.render

    class Boom(Element):
        def render(self, **kwargs):
            raise RuntimeError("boom")

    fig = Figure()
    fig.add_child(Boom())
    with pytest.raises(RuntimeError, match="boom"):
        _html.render_page(fig)
    assert (MacroElement.render, Div.render) == saved


def test_verbatim_is_not_compiled():
    from branca.element import Figure

    fig = Figure()
    fig.header.add_child(_html.verbatim("<!-- {{7*7}} {% raw %} -->"), name="x")
    page = _html.render_page(fig)
    assert "<!-- {{7*7}} {% raw %} -->" in page


# --------------------------------------------------------------------------- the mechanism
def _calls(tree, names):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) \
                else None
            if name in names:
                yield node


def _constant(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


@pytest.mark.parametrize("path", sorted(PKG.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PKG)))
def test_no_template_is_built_from_data(path):
    """``Template(x)`` / ``Element(x)`` compile ``x`` as Jinja2: only string literals allowed.

    ``root.render()`` (branca's own page render, which compiles element output again) is
    forbidden outside ``_html.render_page``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for call in _calls(tree, {"Template", "Element", "MacroElement", "from_string"}):
        args = list(call.args) + [k.value for k in call.keywords]
        if any(not _constant(a) for a in args):
            bad.append(f"line {call.lineno}: {ast.unparse(call)[:80]}")
    if path.name != "_html.py":
        for call in _calls(tree, {"render"}):
            owner = call.func.value if isinstance(call.func, ast.Attribute) else None
            if owner is not None and "get_root" in ast.unparse(owner):
                bad.append(f"line {call.lineno}: {ast.unparse(call)[:80]}")
    assert not bad, f"{path.name}: user data could become template source: {bad}"


# --------------------------------------------------------------------------- library level
def _points(values, field="village"):
    n = len(values)
    cols = {"village": [f"v{i}" for i in range(n)], "county": "c", "year": 2016}
    cols[field] = values
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(
        np.linspace(115.0, 115.5, n), np.linspace(34.5, 35.0, n)), crs="EPSG:4326")


@pytest.mark.parametrize("field", ["village", "town", "county", "products"])
def test_payloads_in_popup_fields_are_data(field, tmp_path, monkeypatch):
    from taobao_geo import maps

    monkeypatch.chdir(tmp_path)
    m = maps.explore_villages(_points(P, field), popup_fields=["village", field]
                              if field != "village" else ["village"], title=TITLE)
    page = maps.to_html(m, offline=False)
    for p in P:
        assert _html.js_json(p) in page, p          # exactly the JSON of the text, unevaluated
    assert '"49"' not in page                      # {{7*7}} was not evaluated
    assert "</script><script>window.__pwned" not in page
    assert not list(tmp_path.rglob("PWNED")) and not (ROOT / "PWNED").exists()


@pytest.mark.parametrize("payload", P, ids=list(PAYLOADS))
def test_layer_names_and_legends_are_escaped(payload):
    from taobao_geo import maps

    m = maps.explore_villages(_points(["a", "b"]), name=payload, title=payload)
    maps.explore_boundaries(gpd.GeoDataFrame({"county": [payload]}, geometry=[box(115, 34.5, 116,
                            35)], crs="EPSG:4326"), m=m, name=payload + " outline")
    page = maps.to_html(m, offline=False)
    # layer control: the escaped name, as a JSON key (Leaflet inserts it as HTML)
    assert _html.js_json(_html.escape_text(payload + " outline")) + " :" in page
    # legend and title: escaped HTML handed over as JSON
    assert _html.js_json(f"<div>{_html.escape_text(payload)}</div>")[1:-1] in page


def test_report_link_names_cannot_be_a_scheme():
    from taobao_geo import report

    out = report._link(Path("javascript:alert(1)\"><b>.html"))
    assert out.startswith('<a href="./javascript%3Aalert%281%29%22%3E%3Cb%3E.html">')
    assert "javascript:alert(1)&quot;&gt;&lt;b&gt;.html</a>" in out


# --------------------------------------------------------------------------- the CLI
def _write_inputs(folder: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(1)
    rows = []
    for k, x0 in enumerate((115.0, 115.5)):
        for i in range(60):
            rows.append({"village": f"{P[i % len(P)]} {i}", "town": P[(i + 1) % len(P)],
                         "county": COUNTIES[k], "city": "菏泽市", "province": "山东省",
                         "products": P[(i + 2) % len(P)], "year": 2014 + i % 3,
                         "lon": x0 + rng.uniform(0.02, 0.48), "lat": rng.uniform(34.52, 34.98)})
    csv = folder / FILE_NAME
    pd.DataFrame(rows).to_csv(csv, index=False)
    bnd = folder / "boundary.geojson"
    gpd.GeoDataFrame({"county": list(COUNTIES), "city": ["菏泽市"] * 2, "province": ["山东省"] * 2,
                      "adcode": ["371701", "371702"]},
                     geometry=[box(115.0, 34.5, 115.5, 35.0), box(115.5, 34.5, 116.0, 35.0)],
                     crs="EPSG:4326").to_file(bnd)
    return csv, bnd


def _commands(csv: Path, bnd: Path) -> dict[str, list[str]]:
    src = [str(csv), "--x", "lon", "--y", "lat"]
    fast = ["--permutations", "99"]
    return {
        # no --title: the input file's name is the title
        "map": ["map", *src, "--boundary", str(bnd), "--layers",
                "villages,kde,lisa,hotspots,choropleth", "--units", "hex", "--unit-size", "5000",
                *fast, "--out", "map"],
        "map-compare-counties": ["map", *src, "--boundary", str(bnd), "--compare-counties",
                                 *COUNTIES, "--title", TITLE, "--out", "mapcc"],
        "analyze": ["analyze", *src, "--boundary", str(bnd), *fast, "--envelopes", "19",
                    "--title", TITLE, "--out", "analyze"],
        "compare": ["compare", *src, "--county", COUNTIES[0], "--county", COUNTIES[1],
                    "--counties", str(bnd), "--years", "2014,2016", *fast, "--out", "compare"],
        "brief": ["brief", *src, "--county", COUNTIES[0], "--counties", str(bnd), "--title",
                  TITLE, "--no-pdf", *fast, "--out", "brief"],
    }


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory):
    """Every command run once in a scratch folder (where a PWNED file would appear)."""
    work = tmp_path_factory.mktemp("hostile")
    csv, bnd = _write_inputs(work)
    old = Path.cwd()
    os.chdir(work)
    try:
        results = {name: CliRunner().invoke(climain.cli, args)
                   for name, args in _commands(csv, bnd).items()}
    finally:
        os.chdir(old)
    return work, results


@pytest.mark.parametrize("command", ["map", "map-compare-counties", "analyze", "compare",
                                     "brief"])
def test_cli_runs_with_payloads_and_runs_nothing(cli_runs, command):
    work, results = cli_runs
    res = results[command]
    assert res.exit_code == 0, (res.output, res.exception)
    assert "TemplateSyntaxError" not in res.output
    assert not list(work.rglob("PWNED")) and not (ROOT / "PWNED").exists()
    pages = sorted((work / _commands(Path("x"), Path("y"))[command][-1]).rglob("*.html"))
    assert pages, f"{command} wrote no HTML page"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "</script><script>window.__pwned" not in text, page.name
        assert "<img src=x" not in text, page.name


# --------------------------------------------------------------------------- in the browser
JS_HOSTILE = """() => {
  const out = {pwned: window.__pwned === undefined ? null : window.__pwned,
               imgs: document.querySelectorAll('img[src="x"]').length,
               title: document.title, controls: [], popups: [], body: ''};
  if (!window.L) { out.body = document.body.innerText; return out; }
  for (const k of Object.keys(window)) {
    if (!(k.startsWith('map_') && window[k] instanceof L.Map)) continue;
    const map = window[k], c = map.getContainer();
    c.querySelectorAll('.leaflet-control-layers label, [data-tg]')
      .forEach(e => out.controls.push(e.textContent));
    const opened = [], budget = {};     // at most 14 popups per layer
    map.eachLayer(l => {
      if (l instanceof L.LayerGroup) return;
      const parent = Object.values(l._eventParents || {})[0];
      const kind = L.stamp(parent || l);
      if (budget[kind] === undefined) budget[kind] = 14;
      if (budget[kind] <= 0) return;
      const hasPopup = (l.getPopup && l.getPopup())
        || Object.values(l._eventParents || {}).some(g => g.getPopup && g.getPopup());
      if (!hasPopup) return;
      const ll = l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
      l.fire('click', {latlng: ll}, true);    // propagate: village popups sit on the group
      const popup = map._popup;
      if (popup && popup.isOpen()) {
        const el = popup.getElement().querySelector('.leaflet-popup-content');
        opened.push(el.textContent); budget[kind]--;
        out.imgs += el.querySelectorAll('img, script').length;
      }
      map.closePopup();
    });
    out.popups.push(...opened);
  }
  out.imgs += document.querySelectorAll('img[src="x"]').length;
  return out;
}"""


def _inspect(chromium, path):
    from browser import open_page

    mp = open_page(chromium, path)
    try:
        states = [frame.evaluate(JS_HOSTILE) for frame in mp.page.frames]
        return mp.js_errors, states
    finally:
        mp.close()


def _page(cli_runs, command, name):
    work, results = cli_runs
    assert results[command].exit_code == 0, results[command].output
    return next((work / _commands(Path("x"), Path("y"))[command][-1]).rglob(name))


# (command, page, texts shown literally in title/controls/body, texts shown in the popups)
BROWSER_CASES = [
    ("map", "map.html", [FILE_NAME], P + [COUNTIES[0], COUNTIES[1]]),
    # the panels are titled by county (--title is not used there)
    ("map-compare-counties", "map.html", [COUNTIES[0], COUNTIES[1]], P),
    ("analyze", "villages.html", [TITLE], P),
    ("analyze", "lisa.html", [TITLE], []),
    ("compare", "comparison_map.html", [], [COUNTIES[0], COUNTIES[1]]),
    ("brief", "briefing_en.html", [TITLE, COUNTIES[0]], P),
]


@pytest.mark.browser
@pytest.mark.parametrize("command,name,shown,in_popups", BROWSER_CASES,
                         ids=[f"{c}-{n}" for c, n, _, _ in BROWSER_CASES])
def test_payloads_show_literally_and_run_nothing(chromium, cli_runs, command, name, shown,
                                                 in_popups):
    errors, states = _inspect(chromium, _page(cli_runs, command, name))
    assert errors == []
    assert [s["pwned"] for s in states] == [None] * len(states)
    assert sum(s["imgs"] for s in states) == 0
    popups = "\n".join(p for s in states for p in s["popups"])
    text = "\n".join([s["title"] + "\n" + s["body"] for s in states]
                     + [c for s in states for c in s["controls"]]) + popups
    for t in shown:
        assert t in text, t
    for t in in_popups:
        assert t in popups, t
    assert "49 " not in text and "49县" not in text       # {{7*7}} never evaluated
