"""Headless-Chromium harness for map (and briefing) tests, driven by Playwright's Python API.

Debian's ``chromium`` is used (never a browser downloaded by Playwright). When it is missing the
browser tests FAIL under ``CI=true`` (``.ci/run`` installs it) and skip locally with a loud
reason. One browser is shared by the whole session (see the ``chromium`` fixture in
``conftest.py``); each test gets a fresh context and page.

Typical use::

    def test_x(chromium, tmp_path):
        page = open_page(chromium, html_path)          # every non-file request aborted
        assert page.js_errors == []
        page.screenshot("x")                           # -> test-artifacts/x.png
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def chromium_path() -> str | None:
    """The system Chromium: $TAOBAO_GEO_CHROMIUM, /usr/bin/chromium or chromium on PATH."""
    for cand in (os.environ.get("TAOBAO_GEO_CHROMIUM"), "/usr/bin/chromium",
                 shutil.which("chromium"), shutil.which("chromium-browser")):
        if cand and Path(cand).exists():
            return cand
    return None


def unavailable(reason: str):
    """Fail in CI, skip loudly elsewhere."""
    msg = f"BROWSER TESTS NOT RUN: {reason}"
    if in_ci():
        pytest.fail(msg + " (CI=true: browser tests must run; .ci/run installs Debian chromium)")
    import warnings

    warnings.warn(msg, stacklevel=2)
    pytest.skip(msg + " -- install Debian's chromium (apt-get install chromium) to run them")


def launch():
    """Start Playwright and the system Chromium; returns (playwright, browser)."""
    path = chromium_path()
    if path is None:
        unavailable("no chromium executable found (/usr/bin/chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the 'playwright' Python package is not installed")
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
    except Exception as exc:  # noqa: BLE001 - reported as a failure or loud skip
        pw.stop()
        unavailable(f"chromium at {path} did not start: {exc}")
    return pw, browser


@dataclass
class MapPage:
    """A loaded page plus everything that went wrong while loading it."""

    page: object
    js_errors: list = field(default_factory=list)       # uncaught exceptions + console errors
    blocked: list = field(default_factory=list)         # requests aborted (network disabled)
    load_ms: float = float("nan")                       # navigation start -> load event end

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        out = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(out))
        return out

    def eval(self, js: str, arg=None):
        return self.page.evaluate(js, arg)

    def close(self):
        self.page.context.close()


def open_page(browser, path, *, block_network: bool = True, viewport=(1200, 800),
              timeout_ms: int = 30_000) -> MapPage:
    """Open a local HTML file; with ``block_network`` every non-``file:``/``data:`` URL is aborted.

    Console messages "Failed to load resource" caused by blocked requests (tiles) are not counted
    as JavaScript errors; everything else logged at error level is.
    """
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    mp = MapPage(page=page)
    if block_network:
        def _route(route):
            url = route.request.url
            if url.startswith(("file:", "data:", "blob:", "about:")):
                route.continue_()
            else:
                mp.blocked.append(url)
                route.abort()
        context.route("**/*", _route)
    page.on("pageerror", lambda exc: mp.js_errors.append(f"pageerror: {exc}"))

    def _console(msg):
        if msg.type != "error":
            return
        text = msg.text
        if block_network and text.startswith("Failed to load resource"):
            return
        mp.js_errors.append(f"console: {text}")
    page.on("console", _console)
    t0 = time.perf_counter()
    page.goto(Path(path).resolve().as_uri(), wait_until="load", timeout=timeout_ms)
    mp.load_ms = page.evaluate(
        "() => { const e = performance.getEntriesByType('navigation')[0];"
        " return e ? e.loadEventEnd - e.startTime : NaN; }")
    if mp.load_ms != mp.load_ms:  # NaN: fall back to wall time
        mp.load_ms = (time.perf_counter() - t0) * 1000
    return mp


# JavaScript snippets shared by the tests ---------------------------------------------------
JS_MAPS = """() => Object.keys(window).filter(k => k.startsWith('map_') && window.L
    && window[k] instanceof L.Map)"""

JS_MAP_STATE = """(name) => {
  const map = window[name]; let circles = 0, paths = 0, images = 0, tiles = 0;
  map.eachLayer(l => {
    if (l instanceof L.CircleMarker) circles++;
    else if (l instanceof L.Path) paths++;
    else if (l instanceof L.ImageOverlay) images++;
    else if (l instanceof L.TileLayer) tiles++;
  });
  const c = map.getContainer();
  return {circles, paths, images, tiles,
          overlays: Array.from(c.querySelectorAll('.leaflet-control-layers-overlays label'))
                     .map(e => e.textContent.trim()),
          bases: Array.from(c.querySelectorAll('.leaflet-control-layers-base label'))
                     .map(e => e.textContent.trim()),
          legends: Array.from(c.querySelectorAll('[data-tg=legend]')).map(e => e.textContent),
          titles: Array.from(c.querySelectorAll('[data-tg=title]')).map(e => e.textContent),
          datum: Array.from(c.querySelectorAll('[data-tg=datum]')).map(e => e.textContent),
          scale: c.querySelectorAll('.leaflet-control-scale').length,
          fullscreen: c.querySelectorAll('.leaflet-control-zoom-fullscreen, '
                                         + '.fullscreen-icon').length};
}"""

# Centre the map on the first circle marker whose popup field `field` equals `value`, and
# return the page coordinates of that marker (for a real mouse click).
JS_FOCUS_MARKER = """([name, value]) => {
  const map = window[name]; let found = null;
  map.eachLayer(l => {
    if (found || !(l instanceof L.CircleMarker) || l._tgI === undefined) return;
    const group = Object.values(l._eventParents || {})[0];
    const popup = group && group.getPopup && group.getPopup();
    if (!popup) return;
    const content = popup._content(l);
    if (content.textContent.includes(value)) found = l;
  });
  if (!found) return null;
  map.setView(found.getLatLng(), 12, {animate: false});
  const p = map.latLngToContainerPoint(found.getLatLng());
  const r = map.getContainer().getBoundingClientRect();
  return {x: r.left + p.x, y: r.top + p.y};
}"""
