"""Map size and load time: taobao_geo.maps vs a naive folium CircleMarker loop, same run.

For the national 2016 layer and for 10,000 and 100,000 villages (the national points resampled
with ~2 km jitter, so names and density are realistic) it reports:

* HTML size of the self-contained page (all JavaScript/CSS inlined, popups included);
* build time in Python (map construction + render + inlining + write);
* load time in headless Chromium with the network blocked: navigation start -> load event, and
  -> the second animation frame after it (markers drawn, map interactive);
* the same figures for the naive approach (one ``folium.CircleMarker`` with an HTML ``Popup``
  per village, the common recipe), inlined the same way so it can load offline, and the ratios.

Targets (issue 6): 10,000 villages < 1 MB with popups and interactive < 2 s; 100,000 < 10 MB.

Usage::

    python benchmarks/bench_maps.py            # national, 10k, 100k (naive 100k: build + size)
    python benchmarks/bench_maps.py --quick    # national and 10k only
"""

from __future__ import annotations

import argparse
import html
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def sample_points(base, n, seed=0):
    """n villages drawn from the national layer with ~2 km jitter (realistic names/density)."""
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(base), n)
    out = base.iloc[idx].reset_index(drop=True)
    x = out.geometry.x.to_numpy() + rng.normal(0, 0.02, n)
    y = out.geometry.y.to_numpy() + rng.normal(0, 0.02, n)
    out["village"] = [f"{v}{i}" for i, v in enumerate(out["village"].astype(str))]
    return gpd.GeoDataFrame(out.drop(columns="geometry"), geometry=gpd.points_from_xy(x, y),
                            crs="EPSG:4326")


def build_ours(points, path):
    from taobao_geo import maps

    t0 = time.perf_counter()
    m = maps.explore_villages(points, radius=3)
    maps.save_map(m, path, offline=True)
    return time.perf_counter() - t0


def build_naive(points, path):
    """The usual recipe: one CircleMarker + HTML popup per village (folium#416/#1814)."""
    import folium

    from taobao_geo._maps._offline import inline_assets

    t0 = time.perf_counter()
    m = folium.Map(location=[35, 105], zoom_start=5, tiles="OpenStreetMap",
                   prefer_canvas=True)
    fg = folium.FeatureGroup(name="villages").add_to(m)
    cols = [c for c in ("village", "town", "county", "year", "products", "loc_prec")
            if c in points.columns]
    for row, geom in zip(points[cols].itertuples(index=False), points.geometry):
        popup = "<br>".join(f"<b>{c}</b>: {html.escape(str(v))}" for c, v in zip(cols, row))
        folium.CircleMarker([geom.y, geom.x], radius=3, fill=True,
                            popup=folium.Popup(popup, max_width=300)).add_to(fg)
    folium.LayerControl().add_to(m)
    page = inline_assets(m.get_root().render())
    Path(path).write_text(page, encoding="utf-8")
    return time.perf_counter() - t0


def load_time(browser, path, timeout_s=120):
    """(load_ms, interactive_ms, js_errors) with every non-file request aborted."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                  else r.abort())
    try:
        page.goto(Path(path).resolve().as_uri(), wait_until="load", timeout=timeout_s * 1000)
        load_ms = page.evaluate("() => performance.getEntriesByType('navigation')[0]"
                                ".loadEventEnd")
        inter_ms = page.evaluate("() => new Promise(r => requestAnimationFrame(() => "
                                 "requestAnimationFrame(() => r(performance.now()))))")
        ok = page.evaluate("() => typeof L !== 'undefined'")
    except Exception as exc:  # noqa: BLE001 - report a timeout as such
        context.close()
        return float("nan"), float("nan"), [f"not loaded: {type(exc).__name__}"]
    context.close()
    if not ok:
        errors.append("Leaflet did not initialise")
    return load_ms, inter_ms, errors


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="national and 10,000 points only")
    ap.add_argument("--naive-load-max", type=int, default=10_000,
                    help="largest n for which the naive page is also loaded in the browser")
    args = ap.parse_args(argv)

    from taobao_geo import datasets

    national = datasets.load("taobao_villages", year=2016)
    cases = [("national 2016", national), ("10,000", sample_points(national, 10_000))]
    if not args.quick:
        cases.append(("100,000", sample_points(national, 100_000, seed=1)))

    chromium = os.environ.get("TAOBAO_GEO_CHROMIUM") or shutil.which("chromium") or \
        "/usr/bin/chromium"
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="bench_maps_"))
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=FLAGS)
        load_time(browser, tmp / "warm.html") if (tmp / "warm.html").write_text(
            "<html></html>") else None
        for label, pts in cases:
            n = len(pts)
            ours = tmp / f"ours_{n}.html"
            naive = tmp / f"naive_{n}.html"
            b_ours = build_ours(pts, ours)
            l_ours, i_ours, e_ours = load_time(browser, ours)
            b_naive = build_naive(pts, naive)
            if n <= args.naive_load_max:
                l_naive, i_naive, e_naive = load_time(browser, naive)
            else:
                l_naive = i_naive = float("nan")
                e_naive = ["(not loaded: above --naive-load-max)"]
            rows.append((label, n, ours.stat().st_size, b_ours, l_ours, i_ours, e_ours,
                         naive.stat().st_size, b_naive, l_naive, i_naive, e_naive))
            print(f"  measured {label}", file=sys.stderr)
        browser.close()

    mb = 1e6
    print(f"\nbench_maps: self-contained HTML, network blocked, headless Chromium "
          f"({'quick' if args.quick else 'full'} run)\n")
    hdr = (f"{'layer':<14}{'n':>8} | {'ours MB':>8}{'build s':>8}{'load s':>7}{'inter s':>8}"
           f" | {'naive MB':>9}{'build s':>8}{'inter s':>8} | {'size x':>7}{'build x':>8}"
           f"{'inter x':>8}")
    print(hdr)
    print("-" * len(hdr))
    for (label, n, s_o, b_o, l_o, i_o, e_o, s_n, b_n, l_n, i_n, e_n) in rows:
        print(f"{label:<14}{n:>8,} | {s_o / mb:>8.2f}{b_o:>8.2f}{l_o / 1000:>7.2f}"
              f"{i_o / 1000:>8.2f} | {s_n / mb:>9.2f}{b_n:>8.2f}{i_n / 1000:>8.2f} | "
              f"{s_n / s_o:>7.1f}{b_n / b_o:>8.1f}{(i_n / i_o) if i_o else float('nan'):>8.1f}")
        for who, errs in (("ours", e_o), ("naive", e_n)):
            for e in errs:
                print(f"    {who}: {e}")
    print("\nTargets: 10,000 villages < 1 MB and interactive < 2 s; 100,000 < 10 MB.")
    for (label, n, s_o, _b, _l, i_o, *_rest) in rows:
        if n == 10_000:
            print(f"  10,000: {s_o / mb:.2f} MB ({'OK' if s_o < 1e6 else 'MISSED'}), "
                  f"interactive {i_o / 1000:.2f} s ({'OK' if i_o < 2000 else 'MISSED'})")
        if n == 100_000:
            print(f"  100,000: {s_o / mb:.2f} MB ({'OK' if s_o < 1e7 else 'MISSED'})")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
