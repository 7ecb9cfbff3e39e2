"""Ripley's K/L, G and F against spatstat (Kest, Gest, Fest), envelopes and the ArcGIS summary.

References: tests/reference/pointpattern.R (R 4.2.2, spatstat.explore 3.0-6) -> pp_kest_*,
pp_gest_*, pp_fest_* on spatstat's own r grids, for rectangles and polygon windows (demopat:
polygon with a hole; twopiece: two-part MultiPolygon).
"""

from __future__ import annotations

import math

import geopandas as gpd
import matplotlib
import numpy as np
import pytest
import shapely

from taobao_geo import CRSError, GeometryTypeError, InputDataError, TooFewPointsError
from taobao_geo.ripley import (
    distance_function,
    f_function,
    g_function,
    k_function,
    l_function,
    multi_distance,
)

from _pp_reference import DATASETS, pattern, table

RTOL = 1e-6
POLYGONS = ["demopat", "twopiece"]


def _cmp(ours, ref, rtol=RTOL, atol=0.0):
    ok = np.isfinite(ref)
    np.testing.assert_allclose(ours[ok], ref[ok], rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", DATASETS)
def test_kest_matches_spatstat(name):
    pts, win = pattern(name)
    K = table("kest", name)
    res = k_function(pts, boundary=win, r=K["r"].to_numpy(),
                     correction=["border", "isotropic", "translate", "none"], nsim=0)
    w = res.wide()
    np.testing.assert_allclose(w["theoretical"], K["theo"], rtol=1e-12)
    _cmp(w["border"].to_numpy(), K["border"].to_numpy(), atol=1e-12)
    _cmp(w["isotropic"].to_numpy(), K["iso"].to_numpy(), atol=1e-12)
    _cmp(w["none"].to_numpy(), K["un"].to_numpy(), atol=1e-12)
    if name in POLYGONS:
        # exact overlap areas = spatstat edge.Trans(exact=TRUE); Kest's own pixel version ~1 %
        _cmp(w["translate"].to_numpy(), K["trans_exact"].to_numpy(), atol=1e-12)
        _cmp(w["translate"].to_numpy(), K["trans"].to_numpy(), rtol=2e-2)
    else:
        _cmp(w["translate"].to_numpy(), K["trans"].to_numpy(), atol=1e-12)


@pytest.mark.parametrize("name", ["redwood", "demopat"])
def test_default_r_grid_and_lest(name):
    pts, win = pattern(name)
    K = table("kest", name)
    res = l_function(pts, boundary=win, correction="border", nsim=0)
    w = res.wide()
    np.testing.assert_allclose(w["r_m"], K["r"], rtol=1e-12)  # spatstat's rmax rule and grid
    np.testing.assert_allclose(w["border"], np.sqrt(K["border"] / math.pi), rtol=RTOL)
    np.testing.assert_allclose(w["theoretical"], K["r"])


@pytest.mark.parametrize("name", DATASETS)
def test_gest_matches_spatstat(name):
    pts, win = pattern(name)
    G = table("gest", name)
    w = g_function(pts, boundary=win, correction=["rs", "km", "han", "none"], nsim=0).wide()
    np.testing.assert_allclose(w["r_m"], G["r"], rtol=1e-10)  # default grid
    for ours, ref in [("rs", "rs"), ("km", "km"), ("none", "raw")]:
        _cmp(w[ours].to_numpy(), G[ref].to_numpy(), atol=1e-12)
    # Hanisch: spatstat rasterises polygon windows for the eroded areas; ours are exact
    _cmp(w["han"].to_numpy(), G["han"].to_numpy(), atol=1e-12 if name not in POLYGONS else 5e-3)


@pytest.mark.parametrize("name", DATASETS)
def test_fest_matches_spatstat(name):
    # F on the same 128 x 128 pixel grid. spatstat's distance transform (exactdt) misses the
    # nearest point for a handful of pixels and rasterises polygon boundaries, so agreement
    # is to a few pixels out of 16384 in rectangles and ~1 % in polygons.
    pts, win = pattern(name)
    F = table("fest", name)
    w = f_function(pts, boundary=win, correction=["rs", "km", "none"], nsim=0).wide()
    np.testing.assert_allclose(w["r_m"], F["r"], rtol=1e-10)
    atol = 1e-3 if name not in POLYGONS else 1e-2
    for ours, ref in [("rs", "rs"), ("km", "km"), ("none", "raw")]:
        _cmp(w[ours].to_numpy(), F[ref].to_numpy(), atol=atol)


def test_isotropic_weight_closed_form():
    # a point at the centre of a 2 x 2 square with r = sqrt(2): the circle passes through the
    # four corners and is inside for 0 of its length outside the arcs... use r = 1.2:
    # each side cuts an arc of 2 acos(1 / 1.2); inside fraction = 1 - 4 * 2 acos(1/1.2) / (2 pi)
    from taobao_geo.ripley import _Context, _iso_weights
    from taobao_geo.windows import window_from_geometry

    for geom in [shapely.box(-1, -1, 1, 1),
                 shapely.Polygon([(-1, -1), (1, -1), (1, 1), (-1, 1)],
                                 [[(5, 5), (6, 5), (6, 6)]]).buffer(0)]:
        ctx = _Context(window_from_geometry(geom))
        w = _iso_weights(ctx, np.array([[0.0, 0.0]]), np.array([1.2]), np.array([1.0]))
        frac = 1 - 4 * 2 * math.acos(1 / 1.2) / (2 * math.pi)
        assert w[0] == pytest.approx(1 / frac, rel=1e-12)
    # a point on an edge (hull windows): half the circle is inside
    ctx = _Context(window_from_geometry(shapely.box(-1, 0, 1, 2)))
    w = _iso_weights(ctx, np.array([[0.0, 0.0]]), np.array([0.5]), np.array([0.0]))
    assert w[0] == pytest.approx(2.0, rel=1e-6)


def test_envelopes_pointwise_and_global():
    pts, win = pattern("redwood")
    pw = l_function(pts, boundary=win, correction="isotropic", nsim=39, rng=1)
    gl = l_function(pts, boundary=win, correction="isotropic", nsim=39, rng=1, envelope="global")
    m = pw.to_frame()
    assert (m["lo"] <= m["hi"]).all() and pw.alpha == pytest.approx(2 / 40)
    np.testing.assert_allclose(m["lo"], pw.sims.min(axis=0))
    np.testing.assert_allclose(m["hi"], pw.sims.max(axis=0))
    g = gl.to_frame()
    width = (g["hi"] - g["lo"]).to_numpy()
    assert np.allclose(width, width[0])  # constant-width band around L(r) = r
    dev = np.nanmax(np.abs(gl.sims - g["theoretical"].to_numpy()), axis=1)
    assert width[0] / 2 == pytest.approx(dev.max())
    # redwood is clustered: outside the global band, MAD p at its minimum 1 / 40
    assert gl.p_mad == pytest.approx(1 / 40)
    assert "clustered" in pw.summary()
    again = l_function(pts, boundary=win, correction="isotropic", nsim=39, rng=1)
    np.testing.assert_array_equal(again.sims, pw.sims)


def test_envelope_in_polygon_brackets_csr_mean():
    # under CSR the simulated mean of K with isotropic correction is close to pi r^2
    pts, win = pattern("twopiece")
    res = k_function(pts, boundary=win, correction="isotropic", nsim=200, rng=2,
                     rmax=1.0)
    f = res.to_frame()
    rel = (f["mean_sim"] / f["theoretical"]).to_numpy()[50:]
    assert np.all(np.abs(rel - 1) < 0.1)


def test_multi_distance_arcgis_formula():
    pts, win = pattern("japanesepines")
    res = multi_distance(pts, boundary=win, start=0.02, increment=0.02, n_bands=10, nsim=19,
                         rng=3)
    t = res.to_frame()
    assert list(t.columns[:6]) == ["distance_m", "expected_L", "observed_L", "diff_L",
                                   "lo_env", "hi_env"]
    xy = np.column_stack([pts.geometry.x, pts.geometry.y])
    n = len(xy)
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    for k, dist in enumerate(t["distance_m"]):
        # ArcGIS: L(d) = sqrt(A * sum_i sum_j k_ij / (pi n (n - 1))), A = 1
        expected = math.sqrt(1.0 * (d <= dist).sum() / (math.pi * n * (n - 1)))
        assert t["observed_L"].iloc[k] == pytest.approx(expected, rel=1e-12)
    k = int(np.argmax(t["diff_L"]))
    assert res.max_clustering_distance_m == pytest.approx(t["distance_m"].iloc[k])
    assert "Maximum clustering" in res.summary()


def test_plot_writes_png(tmp_path):
    pts, win = pattern("cells")
    res = g_function(pts, boundary=win, nsim=9, rng=1)
    out = tmp_path / "g.png"
    backend = matplotlib.get_backend()
    ax = res.plot(path=out)
    assert out.stat().st_size > 1000
    assert matplotlib.get_backend() == backend  # the session's backend is left alone
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("envelope" in t for t in labels) and any("observed (km)" in t for t in labels)


def test_ripley_errors():
    pts, win = pattern("redwood")
    with pytest.raises(ValueError, match="`correction` must be one of"):
        k_function(pts, boundary=win, correction="rs")
    with pytest.raises(ValueError, match="`function` must be one of"):
        distance_function(pts, boundary=win, function="J")
    with pytest.raises(InputDataError, match="explicit number"):
        k_function(pts, area=1.0)
    with pytest.raises(TooFewPointsError):
        k_function(pts.iloc[:2], boundary=win)
    with pytest.raises(ValueError, match="must start at 0"):
        k_function(pts, boundary=win, r=[0.1, 0.2])
    with pytest.raises(ValueError, match="nrank = 30 is too large"):
        k_function(pts, boundary=win, nsim=19, nrank=30)
    shifted = gpd.GeoSeries([shapely.affinity.translate(win.iloc[0], 0.5)], crs=win.crs)
    with pytest.raises(GeometryTypeError, match=r"point\(s\) lie outside the study-area window"):
        l_function(pts, boundary=shifted)
    with pytest.raises(GeometryTypeError, match="window is empty"):
        g_function(pts, boundary=gpd.GeoSeries([], crs=win.crs))
    with pytest.raises(CRSError, match="geographic"):
        f_function(pts.set_crs(4326, allow_override=True))
    same = gpd.GeoSeries.from_xy([1.0] * 4, [2.0] * 4, crs=win.crs)
    with pytest.raises(InputDataError, match="same location"):
        k_function(same, duplicates="keep")


def test_statistics_modules_do_not_import_plotting_or_cli():
    import subprocess
    import sys

    code = ("import sys, taobao_geo.windows, taobao_geo.nni, taobao_geo.ripley, "
            "taobao_geo.centrography; "
            "print(sorted(m for m in ('matplotlib', 'folium', 'click') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_translate_raster_setcov_close_to_exact():
    # many pairs in a polygon: the rasterised set covariance (spatstat's method) is used and
    # reported; it agrees with the exact overlap areas to well under 1 %
    from taobao_geo import ripley as rp
    from taobao_geo.windows import window_from_geometry

    _, win = pattern("demopat")
    ctx = rp._Context(window_from_geometry(win.iloc[0]))
    rng = np.random.default_rng(0)
    dx, dy = rng.normal(size=(2, 500)) * 600
    exact = rp._trans_weights(ctx, dx, dy)
    assert not ctx.notes
    approx = ctx.window.area_m2 / rp._setcov_lookup(ctx, dx, dy)
    np.testing.assert_allclose(approx, exact, rtol=5e-3)
    pts, win = pattern("demopat")
    old = rp.EXACT_TRANSLATE_MAX_PAIRS
    try:
        rp.EXACT_TRANSLATE_MAX_PAIRS = 10
        res = k_function(pts, boundary=win, correction="translate", nsim=0)
    finally:
        rp.EXACT_TRANSLATE_MAX_PAIRS = old
    assert "set covariance" in res.notes and "set covariance" in res.summary()
    K = table("kest", "demopat")
    _cmp(res.wide()["translate"].to_numpy(), K["trans_exact"].to_numpy(), rtol=1e-2)


def test_isotropic_batches_give_identical_weights():
    from taobao_geo import ripley as rp

    pts, win = pattern("demopat")
    base = k_function(pts, boundary=win, correction="isotropic", nsim=0).wide()["isotropic"]
    old = rp.ISO_MAX_COMBOS
    try:
        rp.ISO_MAX_COMBOS = 50  # many tiny batches and point chunks
        small = k_function(pts, boundary=win, correction="isotropic", nsim=0).wide()["isotropic"]
    finally:
        rp.ISO_MAX_COMBOS = old
    np.testing.assert_allclose(small, base, rtol=1e-13, atol=1e-12)


def test_complex_window_defaults_reported():
    from taobao_geo import ripley as rp

    pts, win = pattern("demopat")
    old = rp.COMPLEX_WINDOW_EDGES
    try:
        rp.COMPLEX_WINDOW_EDGES = 10
        res = k_function(pts, boundary=win, nsim=0)
        g = g_function(pts, boundary=win, nsim=0)
    finally:
        rp.COMPLEX_WINDOW_EDGES = old
    assert res.corrections == ("border",) and "44 edges" in res.notes
    assert g.corrections == ("km", "rs")


def test_multi_distance_default_bands_follow_arcgis():
    # ESRI KFunction.py: maxDistance = 0.25 * longer side of the minimum-area rectangle,
    # increment = maxDistance / nIncrements, first distance = increment
    pts, win = pattern("redwood")  # window [0, 1] x [-1, 0]
    t = multi_distance(pts, boundary=win, nsim=0).to_frame()
    np.testing.assert_allclose(t["distance_m"], 0.025 * np.arange(1, 11), rtol=1e-12)
    assert (t["pattern"] == "no envelope").all()
    t2 = multi_distance(pts, boundary=win, nsim=0, start=0.05, n_bands=4).to_frame()
    np.testing.assert_allclose(t2["distance_m"], 0.05 + 0.05 * np.arange(4), rtol=1e-12)


# --- issue 10 point 8: Chiu-Stoyan F against Fest(correction = "cs") (tests/reference/rparity.R)

def _ring():
    import pandas as pd

    from _pp_reference import CRS, REF
    p = pd.read_csv(REF / "fest_ring_points.csv")
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(p["x"], p["y"]), crs=CRS)
    return pts, gpd.GeoSeries([shapely.box(0, 0, 1, 1)], crs=CRS)


@pytest.mark.parametrize("name", DATASETS + ["ring"])
def test_fest_chiu_stoyan_matches_spatstat(name):
    # spatstat cuts the Hanisch-style histogram at the last breakpoint and normalises by the
    # last finite value. Rectangles: the pixel distance transform's few misses (~1e-3);
    # polygons: spatstat rasterises the eroded areas, ours are exact.
    pts, win = _ring() if name == "ring" else pattern(name)
    F = table("fest_cs", name)
    w = f_function(pts, boundary=win, correction=["cs"], nsim=0).wide()
    np.testing.assert_allclose(w["r_m"], F["r"], rtol=1e-10)
    atol = 5e-3 if name in POLYGONS else 1.5e-3
    _cmp(w["cs"].to_numpy(), F["cs"].to_numpy(), atol=atol)


def test_fest_chiu_stoyan_ring_last_cell():
    # the ring case is one where cutting at the rmax rule (the old behaviour) shifts the
    # curve by 4e-3: the fix must be closer to spatstat than that everywhere
    pts, win = _ring()
    F = table("fest_cs", "ring")
    w = f_function(pts, boundary=win, correction=["cs"], nsim=0).wide()
    assert np.nanmax(np.abs(w["cs"].to_numpy() - F["cs"].to_numpy())) < 1e-3
