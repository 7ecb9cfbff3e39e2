"""Tests of taobao_geo.density against independent references.

References: closed forms (ArcGIS quartic density and default radius, QGIS raw quartic,
kernel mass, Silverman's 1986 Table 4.1 constants) and R spatstat values stored in
tests/reference/kde_spatstat_*.csv by tests/reference/kde_spatstat.R (densityfun = exact kernel
sums at stated pixel centres; density.ppp at points; bw.ppl; bw.scott.iso).
Tolerances: exact engine vs spatstat 1e-10 relative; fast (FFT) engine vs exact 1e-3 of the
maximum at the default cell size; spatstat's own binned pixel image within 10 % of the maximum.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from taobao_geo import density
from taobao_geo._errors import (
    AlignmentError,
    CRSError,
    GeometryTypeError,
    GridTooLargeError,
    InputDataError,
    TaobaoGeoError,
    TooFewPointsError,
)
from taobao_geo._kde_kernels import KERNELS
from taobao_geo.density import kde, select_bandwidth

REF = Path(__file__).parent / "reference"
CRS_M = "EPSG:32650"
EXTENTS = {"redwood": (0.0, -1.0, 1.0, 0.0), "japanesepines": (0.0, 0.0, 1.0, 1.0)}


def _gdf(x, y, crs=CRS_M, **cols):
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(x, y), crs=crs)


@pytest.fixture(scope="module")
def spat_points():
    return pd.read_csv(REF / "kde_spatstat_points.csv")


@pytest.fixture(scope="module")
def spat_grid():
    return pd.read_csv(REF / "kde_spatstat_grid.csv")


@pytest.fixture(scope="module")
def clustered():
    rng = np.random.default_rng(7)
    xy = np.vstack([rng.normal(0, 3000, (300, 2)), rng.normal(9000, 800, (200, 2))])
    return _gdf(xy[:, 0], xy[:, 1], w=rng.integers(1, 4, len(xy)))


def _pattern(spat_points, name):
    p = spat_points[spat_points.dataset == name].reset_index(drop=True)
    return _gdf(p.x, p.y, weight=p.weight), p


def _as_spatstat_order(res):
    # spatstat rows run south -> north with x fastest; our rows run north -> south
    return res.density[::-1].ravel() / 1e6  # per km² -> per unit² (coordinates are "metres")


# --------------------------------------------------------------------------------------------
# closed forms: ArcGIS, QGIS, mass, Silverman
# --------------------------------------------------------------------------------------------

def test_arcgis_default_radius_hand_case():
    pts = _gdf([1000, -1000, 0, 0], [0, 0, 1000, -1000])
    expected = 0.9 * min(1000.0, 1000.0 * math.sqrt(1 / math.log(2))) * 4 ** -0.2
    res = kde(pts)
    assert res.bandwidth_rule == "arcgis"
    assert res.bandwidth_m == pytest.approx(expected, rel=1e-12)
    assert res.bandwidth_m == pytest.approx(682.07, abs=0.005)  # METHODS.md §4


def test_arcgis_radius_population_field_counts_as_n():
    # a population field of 2 on every point = every point twice (n = sum of the field)
    x, y = [0, 3000, 500, 4000, 2500], [0, 200, 2500, 3900, 1000]
    w = np.full(5, 2.0)
    r_w = select_bandwidth(_gdf(x, y), rule="arcgis", weights=w).bandwidth_m
    r_dup = select_bandwidth(_gdf(x * 2, y * 2), rule="arcgis").bandwidth_m
    assert r_w == pytest.approx(r_dup, rel=1e-12)


def test_arcgis_quartic_formula_at_cell_centres():
    pts = _gdf([100.0, 430.0, 980.0], [200.0, 260.0, 900.0], pop=[1.0, 3.0, 2.0])
    r = 600.0
    res = kde(pts, bandwidth=r, cell_size=25.0, extent=(0, 0, 1000, 1000), weights="pop",
              method="exact")
    gx, gy = np.meshgrid(res.xs, res.ys)
    expected = np.zeros_like(gx)
    for (px, py), pop in zip([(100, 200), (430, 260), (980, 900)], [1, 3, 2]):
        d = np.hypot(gx - px, gy - py)
        expected += np.where(d < r, 3 / math.pi * pop * (1 - (d / r) ** 2) ** 2, 0.0)
    expected /= r * r
    np.testing.assert_allclose(res.density, expected * 1e6, rtol=1e-12, atol=1e-15)
    # EXPECTED_COUNTS = density x cell area
    counts = kde(pts, bandwidth=r, cell_size=25.0, extent=(0, 0, 1000, 1000), weights="pop",
                 method="exact", units="counts")
    np.testing.assert_allclose(counts.density, expected * 25.0**2, rtol=1e-12)


def test_qgis_raw_quartic_is_the_unscaled_profile():
    pts = _gdf([0.0, 300.0], [0.0, 100.0])
    r = 500.0
    res = kde(pts, bandwidth=r, cell_size=20.0, method="exact")
    raw = res.density / 1e6 * math.pi * r * r / 3.0  # undo 3/(pi r^2) and per-km²
    gx, gy = np.meshgrid(res.xs, res.ys)
    expected = sum(np.clip(1 - (np.hypot(gx - px, gy - py) / r) ** 2, 0, None) ** 2
                   for px, py in [(0, 0), (300, 100)])
    np.testing.assert_allclose(raw, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kernel", list(KERNELS))
@pytest.mark.parametrize("method", ["exact", "fft"])
def test_kernel_mass_integrates_to_point_count(kernel, method):
    pts = _gdf([0.0, 1000.0, 1700.0], [0.0, 400.0, -900.0])
    h = 500.0 if kernel != "gaussian" else 250.0
    res = kde(pts, kernel=kernel, bandwidth=h, cell_size=10.0, method=method)
    mass = np.nansum(res.density) * res.cell_area_m2 / 1e6
    tol = 1e-3 if kernel == "uniform" else 2e-4  # the disc is averaged over the cells it cuts
    assert mass == pytest.approx(3.0, rel=tol)
    counts = kde(pts, kernel=kernel, bandwidth=h, cell_size=10.0, method=method, units="counts")
    assert np.nansum(counts.density) == pytest.approx(3.0, rel=tol)


def test_kernel_constants_and_silverman_table():
    # Silverman (1986) Table 4.1, d = 2: A(K) = 1 (normal), 2.40 (Epanechnikov), 2.78 (biweight)
    assert KERNELS["gaussian"].silverman_a == pytest.approx(1.0, abs=1e-12)
    assert KERNELS["epanechnikov"].silverman_a == pytest.approx(2.40, abs=0.005)
    assert KERNELS["quartic"].silverman_a == pytest.approx(2.78, abs=0.005)
    # spatstat's quartic standard deviation (lookup2DkernelInfo("quartic")$sd)
    assert KERNELS["quartic"].sd == pytest.approx(0.3535534, abs=1e-7)
    # each kernel integrates to 1 (numerical radial integral)
    u = np.linspace(0, 12, 400_001)
    for k in KERNELS.values():
        integral = np.trapezoid(k.const * k.profile(u) * 2 * math.pi * u, u)
        assert integral == pytest.approx(1.0, abs=2e-5), k.name  # trapezoid at the disc edge


def test_silverman_rule_closed_form(clustered):
    xy = np.column_stack([clustered.geometry.x, clustered.geometry.y])
    sigma = math.sqrt(np.mean(np.var(xy, axis=0, ddof=1)))
    b = select_bandwidth(clustered, rule="silverman", kernel="quartic")
    assert b.bandwidth_m == pytest.approx(KERNELS["quartic"].silverman_a * sigma * 500 ** (-1 / 6),
                                          rel=1e-12)


# --------------------------------------------------------------------------------------------
# spatstat
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["redwood", "japanesepines"])
def test_exact_grid_matches_spatstat_densityfun(name, spat_points, spat_grid):
    pts, _ = _pattern(spat_points, name)
    g = spat_grid[spat_grid.dataset == name]
    sigma = g.sigma.iloc[0]
    common = dict(extent=EXTENTS[name], cell_size=1 / 32, method="exact")
    cases = [
        (kde(pts, kernel="gaussian", bandwidth=sigma, **common), "gauss"),
        (kde(pts, kernel="gaussian", bandwidth=sigma, edge_correction=True, **common),
         "gauss_edge"),
        (kde(pts, kernel="gaussian", bandwidth=sigma, weights="weight", **common),
         "gauss_weighted"),
        (kde(pts, kernel="gaussian", bandwidth=sigma, edge_correction="diggle", **common),
         "gauss_diggle"),
        # spatstat gives compact kernels by their SD: radius = sigma / sd
        (kde(pts, kernel="quartic", bandwidth=sigma / KERNELS["quartic"].sd, **common), "quartic"),
        (kde(pts, kernel="epanechnikov", bandwidth=sigma / KERNELS["epanechnikov"].sd, **common),
         "epanechnikov"),
    ]
    for res, col in cases:
        assert res.nrows == res.ncols == 32
        np.testing.assert_allclose(_as_spatstat_order(res), g[col].to_numpy(), rtol=1e-10,
                                   atol=1e-12 * g[col].max(), err_msg=col)


@pytest.mark.parametrize("name", ["redwood", "japanesepines"])
def test_at_points_matches_spatstat(name, spat_points):
    pts, p = _pattern(spat_points, name)
    sigma = p.sigma.iloc[0]
    plain = kde(pts, kernel="gaussian", bandwidth=sigma, extent=EXTENTS[name], cell_size=1 / 32)
    edged = kde(pts, kernel="gaussian", bandwidth=sigma, extent=EXTENTS[name], cell_size=1 / 32,
                edge_correction=True)
    diggle = kde(pts, kernel="gaussian", bandwidth=sigma, extent=EXTENTS[name], cell_size=1 / 32,
                 edge_correction="diggle")
    for res, loo, col in [(plain, False, "gauss"), (plain, True, "gauss_loo"),
                          (edged, False, "gauss_edge"), (edged, True, "gauss_loo_edge"),
                          (diggle, False, "gauss_diggle"), (diggle, True, "gauss_loo_diggle")]:
        got = res.at_points(leave_one_out=loo)
        assert got.index.equals(pts.index)
        np.testing.assert_allclose(got.to_numpy() / 1e6, p[col].to_numpy(), rtol=1e-10,
                                   err_msg=col)


def test_spatstat_pixel_image_is_a_binned_approximation(spat_points):
    # density.ppp at pixels bins points to pixels: compare loosely and state how loosely
    px = pd.read_csv(REF / "kde_spatstat_pixels.csv")
    for name in EXTENTS:
        pts, _ = _pattern(spat_points, name)
        g = px[px.dataset == name]
        for edge, col in [(False, "gauss"), (True, "gauss_edge")]:
            res = kde(pts, kernel="gaussian", bandwidth=g.sigma.iloc[0], extent=EXTENTS[name],
                      cell_size=1 / 32, edge_correction=edge, method="exact")
            ours = _as_spatstat_order(res)
            err = np.max(np.abs(ours - g[col].to_numpy())) / g[col].max()
            assert err < 0.10, (name, col, err)
            assert ours.sum() == pytest.approx(g[col].sum(), rel=0.02)


@pytest.fixture(scope="module")
def bw_ref():
    return pd.read_csv(REF / "kde_spatstat_bw.csv")


def _bw_pattern(name, spat_points):
    if name in EXTENTS:
        p = spat_points[spat_points.dataset == name]
    else:
        ex = pd.read_csv(REF / "kde_spatstat_extra_points.csv")
        p = ex[ex.dataset == name]
    return _gdf(p.x.to_numpy(), p.y.to_numpy())


@pytest.mark.parametrize("name", ["redwood", "japanesepines", "cells", "amacrine"])
def test_bw_ppl_and_scott_match_spatstat(name, spat_points, bw_ref):
    row = bw_ref[bw_ref.dataset == name].iloc[0]
    pts = _bw_pattern(name, spat_points)
    window = shapely.box(row.xmin, row.ymin, row.xmax, row.ymax)
    interior = name == "redwood"
    if interior:
        choice = select_bandwidth(pts, rule="ppl", kernel="gaussian", boundary=window)
    else:  # spatstat warns that the optimum is at the end of the interval; so do we
        with pytest.warns(UserWarning, match="upper end of the search interval"):
            choice = select_bandwidth(pts, rule="ppl", kernel="gaussian", boundary=window)
    cand = np.array([float(v) for v in row.candidates.split(";")])
    cv = np.array([float(v) for v in row.cv.split(";")])
    np.testing.assert_allclose(choice.candidates_m, cand, rtol=1e-12)
    assert choice.bandwidth_m == pytest.approx(row.ppl, rel=1e-12)
    # the criterion differs only by how the integral of the surface is discretised
    # (spatstat: 128 x 128 binned pixels; here 256 cells on the long side)
    np.testing.assert_allclose(choice.criterion, cv, atol=1.0)
    scott = select_bandwidth(pts, rule="scott", kernel="gaussian")
    assert scott.bandwidth_m == pytest.approx(row.scott_iso, rel=1e-12)


@pytest.mark.parametrize("name", ["redwood", "japanesepines", "cells", "amacrine"])
def test_bw_diggle_matches_spatstat(name, spat_points, bw_ref):
    row = bw_ref[bw_ref.dataset == name].iloc[0]
    pts = _bw_pattern(name, spat_points)
    window = shapely.box(row.xmin, row.ymin, row.xmax, row.ymax)
    if name == "amacrine":  # spatstat warns: minimised at the right-hand end
        with pytest.warns(UserWarning, match="right-hand end of the interval"):
            choice = select_bandwidth(pts, rule="diggle", kernel="gaussian", boundary=window)
    else:
        choice = select_bandwidth(pts, rule="diggle", kernel="gaussian", boundary=window)
    assert choice.bandwidth_m == pytest.approx(row.diggle, rel=1e-12)
    assert "bw.diggle" in choice.detail


@pytest.mark.parametrize("name", ["demopat", "twopiece"])
def test_bw_diggle_uses_ripleys_exact_isotropic_k_on_a_polygon(name):
    # bw.diggle has no K of its own: on a polygon window (demopat has a hole, twopiece two
    # parts) its criterion is built from ripley's isotropic K, whose exact arc-length weights
    # match spatstat (test_ripley). The Berman-Diggle criterion is recomputed here from that K.
    from _pp_reference import pattern

    from taobao_geo.ripley import k_function

    pts, win = pattern(name)
    geom = win.iloc[0]
    n = len(pts)
    lam = n / geom.area
    x0, y0, x1, y1 = geom.bounds
    rmax = min(min(x1 - x0, y1 - y0) / 4, math.sqrt(1000 / (math.pi * lam)))
    r = np.linspace(0.0, rmax, 512)
    K = k_function(pts, boundary=win, r=r, correction="isotropic", nsim=0).frame[
        "estimate"].to_numpy()
    dK = np.append(np.diff(K), 0.0)
    rv = r[r <= r[-1] / 2][1:]
    y = np.clip(r[None, :] / (2 * rv[:, None]), 0, 1)
    phi = 4 * np.pi * rv[:, None] ** 2 * (np.arccos(y) - y * np.sqrt(1 - y * y))
    J = (phi * dK).sum(axis=1) / (2 * np.pi)
    M = (1 / lam - 2 * K[1:len(rv) + 1]) / (np.pi * rv**2) + J / (np.pi * rv**2) ** 2
    choice = select_bandwidth(pts, rule="diggle", kernel="gaussian", boundary=win)
    assert "K with the isotropic correction" in choice.detail
    np.testing.assert_allclose(choice.criterion[1:], M, rtol=1e-9)
    assert choice.bandwidth_m == pytest.approx(rv[np.argmin(M)] / 2, rel=1e-12)


def test_density_has_no_isotropic_edge_weights_of_its_own():
    # the approximate (128-direction raster) copy is gone; ripley's exact weights: a circle
    # well inside needs none, one about a corner of the unit square is 1/4 inside
    import shapely as sh

    from taobao_geo.ripley import _Context, _iso_weights
    from taobao_geo.windows import window_from_geometry

    assert not hasattr(density, "_ripley_iso_weights")
    ctx = _Context(window_from_geometry(sh.box(0, 0, 1, 1)))
    w = _iso_weights(ctx, np.array([[0.5, 0.5], [0.0, 0.0]]), np.array([0.1, 0.1]),
                     np.array([0.5, 0.0]))
    np.testing.assert_allclose(w, [1.0, 4.0], rtol=1e-7)  # corner point moved 1e-9 inwards


def test_scott_converts_sigma_to_compact_radius(spat_points, bw_ref):
    pts = _bw_pattern("redwood", spat_points)
    q = select_bandwidth(pts, rule="scott", kernel="quartic")
    assert q.sigma_m == pytest.approx(bw_ref.scott_iso.iloc[0], rel=1e-12)
    assert q.bandwidth_m == pytest.approx(q.sigma_m * math.sqrt(8), rel=1e-12)


def test_ppl_with_compact_kernel_uses_gaussian_sigma(spat_points):
    pts = _bw_pattern("redwood", spat_points)
    q = select_bandwidth(pts, rule="ppl", kernel="quartic", boundary=shapely.box(0, -1, 1, 0))
    assert q.sigma_m == pytest.approx(0.0408057154673674, rel=1e-12)
    assert q.bandwidth_m == pytest.approx(0.0408057154673674 * math.sqrt(8), rel=1e-12)


def test_leave_one_out_of_isolated_points_is_exact():
    # a point far from all others: its leave-one-out density is exactly 0 (quartic) or a tiny
    # positive number (Gaussian), never the round-off of subtracting its own kernel
    pts = _gdf([0.0, 10.0, 5000.0], [0.0, 0.0, 0.0])
    q = kde(pts, bandwidth=100.0).at_points(leave_one_out=True)
    assert q.iloc[2] == 0.0 and q.iloc[0] > 0
    g = kde(pts, kernel="gaussian", bandwidth=400.0).at_points(leave_one_out=True)
    expected = sum(math.exp(-0.5 * (d / 400) ** 2) for d in (5000, 4990)) / (2 * math.pi * 400**2)
    assert g.iloc[2] == pytest.approx(expected * 1e6, rel=1e-12)
    assert g.iloc[2] > 0


def test_at_points_grid_method_interpolates(clustered):
    res = kde(clustered, bandwidth=2500.0)
    exact = res.at_points()
    grid = res.at_points(method="grid")
    assert grid.index.equals(clustered.index)
    assert np.max(np.abs(grid - exact)) / res.max_density < 2e-3
    with pytest.raises(TaobaoGeoError, match="leave_one_out needs method='exact'"):
        res.at_points(method="grid", leave_one_out=True)


def test_edge_correction_is_one_far_from_the_window_edge():
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 10_000, (200, 2))
    pts = _gdf(xy[:, 0], xy[:, 1])
    plain = kde(pts, bandwidth=800.0, extent=(0, 0, 10_000, 10_000), cell_size=100.0)
    edged = kde(pts, bandwidth=800.0, extent=(0, 0, 10_000, 10_000), cell_size=100.0,
                edge_correction=True)
    centre = (slice(20, 80), slice(20, 80))  # > 800 m from every side
    np.testing.assert_allclose(edged.density[centre], plain.density[centre], rtol=1e-12)
    # at the corner cell only about a quarter of the kernel is inside: density x ~4
    ratio = edged.density[-1, 0] / plain.density[-1, 0]
    assert 3.0 < ratio < 4.0


def test_ppl_in_kde_reports_rule(spat_points):
    pts = _bw_pattern("redwood", spat_points)
    res = kde(pts, kernel="gaussian", bandwidth="ppl", boundary=shapely.box(0, -1, 1, 0))
    assert res.bandwidth_rule == "ppl"
    assert res.bandwidth_m == pytest.approx(0.0408057154673674, rel=1e-12)
    assert "bw.ppl" in res.bandwidth_detail


# --------------------------------------------------------------------------------------------
# fast engine, edge correction, masks
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kernel", ["quartic", "gaussian", "epanechnikov", "triangular"])
def test_fft_within_1e3_of_exact_at_default_cells(kernel, clustered):
    h = 2000.0 if kernel != "gaussian" else 700.0
    fast = kde(clustered, kernel=kernel, bandwidth=h, method="fft", weights="w")
    exact = kde(clustered, kernel=kernel, bandwidth=h, method="exact", weights="w")
    err = np.max(np.abs(fast.density - exact.density)) / np.max(exact.density)
    assert err < 1e-3
    assert fast.method == "fft" and exact.method == "exact"


def test_edge_correction_polygon_path_matches_rectangle_closed_form(spat_points):
    # a rectangle given as a boundary polygon goes through the discrete window convolution;
    # without a boundary the Gaussian uses spatstat's exact pnorm product
    pts, _ = _pattern(spat_points, "redwood")
    common = dict(kernel="gaussian", bandwidth=0.1, extent=(0, -1, 1, 0), cell_size=1 / 200,
                  edge_correction=True, method="exact")
    closed = kde(pts, **common)
    discrete = kde(pts, boundary=shapely.box(0, -1, 1, 0), **common)
    err = np.nanmax(np.abs(closed.density - discrete.density)) / np.nanmax(closed.density)
    assert err < 5e-3
    np.testing.assert_allclose(discrete.at_points(), closed.at_points(), rtol=5e-3)


def test_diggle_edge_correction_keeps_the_mass_in_the_window():
    # Jones-Diggle weights 1/e(x_i) restore each point's kernel mass lost outside the window
    rng = np.random.default_rng(11)
    xy = rng.uniform(0, 5000, (150, 2))
    pts = _gdf(xy[:, 0], xy[:, 1])
    window = shapely.Point(2500, 2500).buffer(3600)  # holds the whole square
    res = kde(pts, bandwidth=600.0, boundary=window, edge_correction="diggle", cell_size=20.0)
    mass = np.nansum(res.density) * 400 / 1e6
    assert mass == pytest.approx(150, rel=2e-3)
    plain = kde(pts, bandwidth=600.0, boundary=window, cell_size=20.0)
    assert np.nansum(plain.density) * 400 / 1e6 < mass - 0.05  # corners lose mass
    assert res.edge_correction == "diggle" and "Jones-Diggle" in res.summary()
    with pytest.raises(ValueError, match="edge_correction"):
        kde(pts, bandwidth=600.0, edge_correction="border")
    far = _gdf([0.0, 100.0, 50_000.0], [0.0, 50.0, 0.0])
    with pytest.raises(InputDataError, match="outside"):
        kde(far, bandwidth=300.0, boundary=shapely.box(-1000, -1000, 1000, 1000),
            edge_correction="diggle")


def test_boundary_masks_cells_outside(clustered):
    poly = shapely.Point(0, 0).buffer(6000)
    with pytest.warns(UserWarning, match=r"\d+ point\(s\) lie outside the boundary"):
        res = kde(clustered, bandwidth=2000.0, boundary=poly)
    gx, gy = np.meshgrid(res.xs, res.ys)
    inside = shapely.contains_xy(poly, gx, gy)
    assert np.isnan(res.density[~inside]).all()
    assert np.isfinite(res.density[inside]).all()
    assert res.extent_rule == "bounds of the boundary"


def test_boundary_is_reprojected_from_wgs84():
    pts = _gdf([500000.0, 502000.0, 501000.0], [3800000.0, 3801000.0, 3799000.0])
    bnd = gpd.GeoSeries([shapely.box(500000 - 5000, 3800000 - 5000, 500000 + 8000,
                                     3800000 + 6000)], crs=CRS_M).to_crs(4326)
    res = kde(pts, bandwidth=1500.0, boundary=gpd.GeoDataFrame(geometry=bnd))
    assert res.bounds[0] == pytest.approx(495000, abs=100)


def test_default_cell_size_resolves_kernel_and_reports_rule(clustered):
    res = kde(clustered, bandwidth=2000.0)
    assert max(res.cell_size_m) <= KERNELS["quartic"].sd * 2000 / 10 + 1e-9
    assert "sigma_K/10" in res.cell_size_rule
    wide = kde(clustered, bandwidth=50_000.0)
    assert "ArcGIS" in wide.cell_size_rule
    x0, y0, x1, y1 = wide.bounds
    assert wide.cell_size_requested_m == pytest.approx(min(x1 - x0, y1 - y0) / 250, rel=1e-12)
    assert min(wide.nrows, wide.ncols) == 250
    assert wide.mass_on_grid == pytest.approx(1.0, abs=1e-3)


# --------------------------------------------------------------------------------------------
# result object: cores, contours, GeoTIFF, reporting
# --------------------------------------------------------------------------------------------

def test_cores_shares_and_region_names(clustered):
    res = kde(clustered, bandwidth=2500.0)
    regions = gpd.GeoDataFrame(
        {"province": ["West", "East"], "county": ["Wcounty", "Ecounty"]},
        geometry=[shapely.box(-30000, -30000, 4500, 30000),
                  shapely.box(4500, -30000, 30000, 30000)],
        crs=CRS_M)
    cores = res.cores(shares=(0.5, 0.25), regions=regions)
    assert set(cores["share"]) == {0.5, 0.25}
    for s in (0.5, 0.25):
        part = cores[cores.share == s]
        assert part.mass_share.sum() == pytest.approx(s, abs=0.01)
        assert (part["rank"].to_numpy() == np.arange(1, len(part) + 1)).all()
    # the tight eastern cluster (200 points at (9000, 9000), sd 800) is the densest core
    top = cores[cores.zone == "25%-1"].iloc[0]
    assert top.geometry.contains(shapely.Point(9000, 9000))
    assert top.county == "Ecounty" and top.peak_region == "East Ecounty"
    assert top.label == "East (peak: East Ecounty)"
    assert top.n_villages == int(shapely.contains_xy(top.geometry, clustered.geometry.x,
                                                     clustered.geometry.y).sum())
    assert (cores.area_km2 > 0).all()
    assert cores.attrs["min_mass_share"] == 0.001 and cores.attrs["n_dropped"] >= 0
    # cores nest: the 25 % zone lies within the 50 % zones
    z50 = shapely.union_all(cores[cores.share == 0.5].geometry.to_numpy())
    assert shapely.difference(top.geometry, z50).area < 1e-6 * top.geometry.area


def test_cores_threshold_and_contours(clustered):
    res = kde(clustered, bandwidth=2500.0)
    level = 0.5 * res.max_density
    thr = res.cores(threshold=level)
    assert (thr.level == level).all() and thr["share"].isna().all()
    cont = res.contours([0.1 * res.max_density, level, 0.9 * res.max_density])
    assert list(cont.level) == sorted(cont.level)
    assert cont.area_km2.is_monotonic_decreasing
    assert cont.area_km2.iloc[1] == pytest.approx(thr.area_km2.sum(), rel=1e-9)
    # area of the contour polygon matches the cells above the level (to the cell edge)
    cells = (res.density >= level).sum() * res.cell_area_m2 / 1e6
    assert cont.area_km2.iloc[1] == pytest.approx(cells, rel=0.05)
    with pytest.raises(TaobaoGeoError, match="between 0 and 1"):
        res.cores(shares=(1.5,))


def test_geotiff_roundtrip(tmp_path, clustered):
    rasterio = pytest.importorskip("rasterio")
    res = kde(clustered, bandwidth=2500.0, boundary=shapely.Point(3000, 3000).buffer(20000))
    path = res.to_geotiff(tmp_path / "kde.tif")
    with rasterio.open(path) as src:
        data = src.read(1)
        assert src.transform == res.transform
        assert src.crs.to_epsg() == 32650
        assert src.tags()["units"] == "per_km2"
    np.testing.assert_allclose(data, res.density.astype("float32"), equal_nan=True)


def test_result_reporting(clustered):
    res = kde(clustered, bandwidth="silverman", kernel="gaussian")
    d = res.to_dict()
    assert d["bandwidth_rule"] == "silverman" and d["kernel"] == "gaussian"
    assert "bandwidth" in res.summary() and "villages per km²" in res.summary()
    assert res.to_frame().shape[0] == 1
    assert "<b>KDEResult</b>" in res._repr_html_()


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------

def test_refuses_degrees():
    pts = _gdf([116.4, 116.5], [39.9, 40.0], crs="EPSG:4326")
    with pytest.raises(CRSError, match="projected CRS in metres"):
        kde(pts, bandwidth=1000.0)


@pytest.mark.parametrize("bw", [0, -5.0, float("nan"), float("inf")])
def test_refuses_nonpositive_bandwidth(bw, clustered):
    with pytest.raises(TaobaoGeoError, match="bandwidth must be a positive number of metres"):
        kde(clustered, bandwidth=bw)


def test_refuses_unknown_rule_and_kernel(clustered):
    with pytest.raises(ValueError, match="`bandwidth` must be one of"):
        kde(clustered, bandwidth="magic")
    with pytest.raises(ValueError, match="`kernel` must be one of"):
        kde(clustered, kernel="cosine")


def test_refuses_grid_too_large(clustered):
    with pytest.raises(GridTooLargeError, match=r"needs about .* GB of memory.*Use cell_size >="):
        kde(clustered, bandwidth=2000.0, cell_size=0.5)


def test_single_point_and_coincident_points():
    one = _gdf([1000.0], [2000.0])
    with pytest.raises(TooFewPointsError, match="needs at least 2 points; got 1"):
        kde(one)
    same = _gdf([5.0, 5.0, 5.0], [7.0, 7.0, 7.0])
    with pytest.raises(TooFewPointsError, match="same location"):
        kde(same, bandwidth="silverman")
    # a fixed bandwidth is well defined for one point: its kernel, mass 1
    res = kde(one, bandwidth=300.0, cell_size=5.0)
    assert np.nansum(res.density) * 25 / 1e6 == pytest.approx(1.0, rel=1e-3)


def test_bad_weights(clustered):
    with pytest.raises(InputDataError, match="must be >= 0"):
        kde(clustered, bandwidth=1000.0, weights=-clustered["w"])
    with pytest.raises(InputDataError, match="not found"):
        kde(clustered, bandwidth=1000.0, weights="population")
    with pytest.raises(InputDataError, match="sum to zero"):
        kde(clustered, bandwidth=1000.0, weights=np.zeros(len(clustered)))


def test_boundary_in_degrees_is_caught(clustered):
    utm = _gdf([500_000.0, 503_000.0, 501_000.0], [3_800_000.0, 3_801_000.0, 3_799_500.0])
    with pytest.raises(CRSError, match="does not overlap the points"):
        kde(utm, bandwidth=1000.0, boundary=shapely.box(115, 34, 116, 35))
    with pytest.raises(GeometryTypeError, match="Polygon or MultiPolygon"):
        kde(clustered, bandwidth=1000.0, boundary=clustered.geometry)


def test_bad_boundary_and_extent(clustered):
    with pytest.raises(TaobaoGeoError, match="boundary has no CRS"):
        kde(clustered, bandwidth=1000.0, boundary=gpd.GeoSeries([shapely.box(0, 0, 1, 1)]))
    with pytest.raises(TaobaoGeoError, match="extent must be"):
        kde(clustered, bandwidth=1000.0, extent=(10, 0, 0, 10))


@pytest.mark.parametrize("variant", ["geoseries", "str_index", "shuffled"])
def test_input_variants_give_the_same_surface(variant, clustered):
    base = kde(clustered, bandwidth=2000.0, weights="w")
    data = clustered.copy()
    if variant == "str_index":
        data.index = [f"v{i}" for i in range(len(data))]
    elif variant == "shuffled":
        data = data.sample(frac=1.0, random_state=3)
    if variant == "geoseries":
        res = kde(data.geometry, bandwidth=2000.0, weights=data["w"].to_numpy())
    else:
        res = kde(data, bandwidth=2000.0, weights="w")
    np.testing.assert_allclose(res.density, base.density, rtol=1e-9, atol=1e-12)
    at = res.at_points()
    assert at.index.equals(data.index)
    expected = base.at_points()
    if variant == "shuffled":
        expected = expected.loc[data.index]
    np.testing.assert_allclose(at.to_numpy(), expected.to_numpy(), rtol=1e-9)
    assert res.crs.equals(clustered.crs)


def test_weights_series_must_align(clustered):
    w = clustered["w"].copy()
    w.index = w.index + 1000
    with pytest.raises(AlignmentError, match="do not share an index"):
        kde(clustered, bandwidth=1000.0, weights=w)


def test_module_exports():
    assert set(density.__all__) >= {"kde", "KDEResult", "select_bandwidth"}


# --- issue 10 point 8: exact edge factor at the points; bw.diggle's K correction ----------
# References: closed forms (Gaussian mass in a rectangle = product of normal-CDF differences;
# convex polygons integrated triangle by triangle with scipy dblquad) and spatstat values in
# tests/reference/kde_edge_points.csv and bwdiggle*.csv written by tests/reference/rparity.R.

def _tri_gauss(u, a, b, c, s):
    from scipy.integrate import dblquad

    jac = abs((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1]))

    def f(t, r):
        x = a[0] + r * (b[0] - a[0]) + t * (c[0] - a[0]) - u[0]
        y = a[1] + r * (b[1] - a[1]) + t * (c[1] - a[1]) - u[1]
        return np.exp(-(x * x + y * y) / (2 * s * s)) / (2 * np.pi * s * s)
    return jac * dblquad(f, 0, 1, 0, lambda r: 1 - r, epsabs=1e-13, epsrel=1e-11)[0]


def test_polygon_gauss_edge_rectangles_closed_form():
    from taobao_geo import _kde_grid as kg
    rng = np.random.default_rng(11)
    xy = rng.uniform(-2, 12, (3000, 2))
    box = kg.rect_gauss_edge(xy[:, 0], xy[:, 1], (0, 0, 10, 8), 1.3)
    hole = kg.rect_gauss_edge(xy[:, 0], xy[:, 1], (3, 2, 6, 5), 1.3)
    cases = [(shapely.box(0, 0, 10, 8), box),
             (shapely.box(0, 0, 10, 8).difference(shapely.box(3, 2, 6, 5)), box - hole),
             (shapely.box(0, 0, 10, 8).difference(shapely.box(3, 2, 6, 5)).reverse(), box - hole)]
    for geom, ref in cases:
        np.testing.assert_allclose(kg.polygon_gauss_edge(xy, geom, 1.3), ref, atol=1e-13)


def test_polygon_gauss_edge_convex_polygons_quadrature(spat_twopiece):
    from taobao_geo import _kde_grid as kg
    xy, geom = spat_twopiece
    xy = xy[:6]
    ref = [sum(_tri_gauss(u, c[0], c[k], c[k + 1], 0.4)
               for p in geom.geoms
               for c in [shapely.get_coordinates(p.exterior)[:-1]]
               for k in range(1, len(c) - 1)) for u in xy]
    np.testing.assert_allclose(kg.polygon_gauss_edge(xy, geom, 0.4), ref, atol=1e-10)


@pytest.fixture(scope="module")
def spat_twopiece():
    p = pd.read_csv(REF / "pp_twopiece_points.csv").to_numpy()
    w = pd.read_csv(REF / "pp_twopiece_window.csv")
    geom = shapely.MultiPolygon([shapely.Polygon(g[["x", "y"]].to_numpy())
                                 for _, g in w.groupby("ring")])
    return p, geom


def test_kde_edge_at_points_boundary_rectangle_exact():
    # boundary= given as a rectangle polygon with coarse 500 m cells: the edge factor at the
    # points must be the closed form, not the cell-centre raster (that was up to 10 % off)
    from taobao_geo import _kde_grid as kg
    rng = np.random.default_rng(5)
    x, y = rng.uniform(0, 20_000, 300), rng.uniform(0, 12_000, 300)
    rect = (0.0, 0.0, 20_000.0, 12_000.0)
    pts = _gdf(x, y)
    b = gpd.GeoSeries([shapely.box(*rect)], crs=CRS_M)
    for mode in ("uniform", "diggle"):
        res = kde(pts, kernel="gaussian", bandwidth=1500.0, boundary=b, cell_size=500.0,
                  edge_correction=mode)
        got = res.at_points(method="exact").to_numpy()
        raw = kde(pts, kernel="gaussian", bandwidth=1500.0, boundary=b, cell_size=500.0)
        e = kg.rect_gauss_edge(x, y, rect, 1500.0)
        xy = np.column_stack([x, y])
        if mode == "uniform":
            ref = raw.at_points(method="exact").to_numpy() / e
        else:
            from taobao_geo._kde_kernels import get_kernel
            ref = kg.exact_at(xy, xy, 1.0 / e, get_kernel("gaussian"), 1500.0,
                              leave_one_out=False) * res._unit_factor
        np.testing.assert_allclose(got, ref, rtol=1e-10)


def test_kde_edge_at_points_polygon_matches_spatstat():
    # spatstat's own edge factor at the points is a 2048 x 2048 pixel approximation (its
    # boundary rasterisation costs ~ pixel/sigma, 0.1-0.4 % here); ours is exact (above)
    from _pp_reference import pattern
    ref = pd.read_csv(REF / "kde_edge_points.csv")
    for name in ("demopat", "twopiece"):
        pts, win = pattern(name)
        r = ref[ref.dataset == name]
        res = kde(pts, kernel="gaussian", bandwidth=float(r.sigma.iloc[0]), boundary=win,
                  edge_correction=True)
        got = res.at_points(method="exact").to_numpy() / res._unit_factor
        np.testing.assert_allclose(got, r.uniform.to_numpy(), rtol=6e-3)


@pytest.mark.parametrize("case", ["n600", "n1500", "n3500"])
def test_bw_diggle_uses_spatstat_good_correction(case):
    # spatstat bw.diggle -> Kest(correction = "good"): isotropic < 1,000 points, translate
    # < 3,000, border from 3,000 (the n3500 case: 166.3 m, isotropic would give 203.5 m)
    row = pd.read_csv(REF / "bwdiggle.csv").set_index("case").loc[case]
    p = pd.read_csv(REF / f"bwdiggle_{case}_points.csv")
    pts = _gdf(p["x"].to_numpy(), p["y"].to_numpy())
    choice = select_bandwidth(pts, rule="diggle", kernel="gaussian",
                              boundary=shapely.box(0, 0, 10_000, 8_000))
    assert choice.bandwidth_m == pytest.approx(row.sigma, rel=1e-12)
    assert f"K with the {row.correction} correction" in choice.detail


# --- issue 10 point 8: the grid tiles the extent exactly (spatstat's pixel masks) ---------
# References: the extent itself (closed form), the kernel mass n, shapely's area of a finely
# polygonised disc, and spatstat values at its own non-square pixel centres in
# tests/reference/kde_grid_pixels.csv written by tests/reference/kde_grid.R.

@pytest.mark.parametrize("extent, cell", [
    pytest.param((0.0, 0.0, 1000.0, 700.0), 75.0, id="small-nonmultiple"),
    pytest.param((0.0, 0.0, 1000.0, 1000.0), 25.0, id="multiple"),
    pytest.param((412_345.678, 3_456_789.012, 498_765.432, 3_530_000.5), 1234.5, id="utm"),
    pytest.param((-52_000.3, 5_800_000.9, 61_111.1, 5_913_131.7), 977.0, id="utm-north"),
    pytest.param((0.0, 0.0, 300.0, 90.0), 100.0, id="under-four-cells"),
])
def test_grid_tiles_the_extent_exactly(extent, cell):
    x0, y0, x1, y1 = extent
    pts = _gdf([x0 + 0.3 * (x1 - x0), x0 + 0.6 * (x1 - x0)], [y0 + 0.4 * (y1 - y0)] * 2)
    res = kde(pts, bandwidth=4 * cell, cell_size=cell, extent=extent)
    assert res.bounds == extent
    nx, ny = math.ceil((x1 - x0) / cell - 1e-9), math.ceil((y1 - y0) / cell - 1e-9)
    assert (res.ncols, res.nrows) == (nx, ny)
    assert res.cell_size_m == pytest.approx(((x1 - x0) / nx, (y1 - y0) / ny), rel=1e-15)
    assert max(res.cell_size_m) <= cell and res.cell_size_requested_m == cell
    # the affine transform (and so the GeoTIFF) reaches the far corner, to 1e-9 m
    right, bottom = res.transform @ (res.ncols, res.nrows)
    assert abs(right - x1) <= 1e-9 and abs(bottom - y0) <= 1e-9
    assert res.transform @ (0, 0) == (x0, y1)
    assert abs(res.xs[-1] + res.cell_size_m[0] / 2 - x1) <= 1e-9
    assert abs(res.ys[-1] - res.cell_size_m[1] / 2 - y0) <= 1e-9
    assert res.cell_area_m2 == pytest.approx(res.cell_size_m[0] * res.cell_size_m[1], rel=1e-15)


def test_grid_tiles_boundary_and_point_extents(tmp_path, clustered):
    rasterio = pytest.importorskip("rasterio")
    poly = shapely.Polygon([(-7013.3, -6021.7), (15_987.1, -5000.2), (12_000.4, 14_321.9)])
    with pytest.warns(UserWarning, match="lie outside the boundary"):
        res = kde(clustered, bandwidth=2500.0, boundary=poly, cell_size=333.0)
    assert res.bounds == poly.bounds
    assert res.cell_size_m[0] != res.cell_size_m[1]
    with rasterio.open(res.to_geotiff(tmp_path / "kde.tif")) as src:
        np.testing.assert_allclose(tuple(src.bounds), poly.bounds, rtol=0, atol=1e-9)
        assert src.res == pytest.approx(res.cell_size_m, rel=1e-12)
    # default extent: the points' bounding box widened by the radius, tiled exactly
    free = kde(clustered, bandwidth=2500.0, cell_size=333.0)
    bx0, by0, bx1, by1 = clustered.total_bounds
    assert free.bounds == pytest.approx((bx0 - 2500, by0 - 2500, bx1 + 2500, by1 + 2500),
                                        abs=1e-9)
    assert "x" in free.summary().split("cells of ")[1].split(" tiling")[0]
    assert "requested 333 m" in free.summary()
    d = free.to_dict()
    assert d["cell_size_m"] == list(free.cell_size_m) and d["cell_size_requested_m"] == 333.0


@pytest.mark.parametrize("kernel", list(KERNELS))
@pytest.mark.parametrize("method", ["exact", "fft"])
def test_kernel_mass_with_non_square_cells(kernel, method):
    pts = _gdf([0.0, 1000.0, 1700.0], [0.0, 400.0, -900.0])
    h = 500.0 if kernel != "gaussian" else 250.0
    # extent 2700 x 2300 m (points' box + h): 13.7 m cells -> 198 x 168 cells of 13.64 x 13.69 m
    res = kde(pts, kernel=kernel, bandwidth=h, cell_size=13.7, method=method)
    dx, dy = res.cell_size_m
    assert dx != dy and max(dx, dy) <= 13.7
    tol = 1e-3 if kernel == "uniform" else 2e-4
    assert np.nansum(res.density) * dx * dy / 1e6 == pytest.approx(3.0, rel=tol)
    counts = kde(pts, kernel=kernel, bandwidth=h, cell_size=13.7, method=method, units="counts")
    assert np.nansum(counts.density) == pytest.approx(3.0, rel=tol)


@pytest.mark.parametrize("method", ["exact", "fft"])
def test_uniform_kernel_mass_at_the_one_cell_limit(method):
    # per-axis SD h/2 = one cell: a disc of radius 2 cells; point-sampled at the cell centres
    # its lattice count is up to ~10 % off pi r^2; averaged over the cells it is exact (the
    # extent leaves room for linear binning's extra cell, so no mass falls off the grid)
    rng = np.random.default_rng(8)
    xy = rng.uniform(0, 1000, (40, 2))
    pts = _gdf(xy[:, 0], xy[:, 1])
    for cell in (10.0, 9.37):
        res = kde(pts, kernel="uniform", bandwidth=2 * cell, cell_size=cell, method=method,
                  extent=(-50.0, -50.0, 1050.0, 1050.0))
        assert np.nansum(res.density) * res.cell_area_m2 / 1e6 == pytest.approx(40, rel=1e-3)
        assert res.mass_on_grid == pytest.approx(1.0, abs=1e-3)


def test_disc_cell_area_closed_form():
    from taobao_geo import _kde_grid as kg
    r, dx, dy = 2.3, 1.0, 0.8
    disc = shapely.Point(0, 0).buffer(r, quad_segs=4096)  # polygon area within 1e-6 of pi r^2
    ox, oy = 0.31, -0.17  # disc centre relative to the lattice
    cx = (np.arange(-4, 5) * dx - ox)[None, :]
    cy = (np.arange(-4, 5) * dy - oy)[:, None]
    got = kg.disc_cell_area(cx, cy, dx, dy, r)
    cells = shapely.box(cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2)
    ref = shapely.area(shapely.intersection(cells, disc))
    np.testing.assert_allclose(got, ref, atol=2e-6)
    assert got.sum() == pytest.approx(math.pi * r * r, rel=1e-12)
    assert kg.disc_cell_area(np.array(0.0), np.array(0.0), 1.0, 1.0, 10.0) == pytest.approx(1.0)
    assert kg.disc_cell_area(np.array(9.0), np.array(0.0), 1.0, 1.0, 2.0) == 0.0


@pytest.fixture(scope="module")
def spat_nonsquare():
    return (pd.read_csv(REF / "kde_grid_pixels.csv"), pd.read_csv(REF / "kde_grid_points.csv"))


@pytest.mark.parametrize("name", ["wide", "offset"])
def test_non_square_grid_matches_spatstat_pixels(name, spat_nonsquare):
    pix, pts = spat_nonsquare
    g, p = pix[pix.dataset == name], pts[pts.dataset == name]
    c = g.iloc[0]
    extent, sigma = (c.xmin, c.ymin, c.xmax, c.ymax), float(c.sigma)
    common = {"extent": extent, "cell_size": float(c.step)}
    X = _gdf(p.x.to_numpy(), p.y.to_numpy())
    cases = [(kde(X, kernel="gaussian", bandwidth=sigma, method="exact", **common), "gauss"),
             (kde(X, kernel="gaussian", bandwidth=sigma, method="exact", edge_correction=True,
                  **common), "gauss_edge"),
             (kde(X, kernel="quartic", bandwidth=sigma / KERNELS["quartic"].sd,
                  method="exact", **common), "quartic")]
    for res, col in cases:
        # spatstat's own pixel grid: the same counts, steps and centres
        assert (res.nrows, res.ncols) == (c.ny, c.nx)
        np.testing.assert_allclose(res.cell_size_m, (c.xstep, c.ystep), rtol=1e-12)
        gx, gy = np.meshgrid(res.xs, res.ys[::-1])
        np.testing.assert_allclose(gx.ravel(), g.x, atol=1e-12)
        np.testing.assert_allclose(gy.ravel(), g.y, atol=1e-12)
        np.testing.assert_allclose(_as_spatstat_order(res), g[col].to_numpy(), rtol=1e-10,
                                   atol=1e-12 * g[col].max(), err_msg=col)
    # density.ppp's binned pixel image: loosely, as for the square grids above
    for res, col in cases[:2]:
        ours, theirs = _as_spatstat_order(res), g["pixel_" + col].to_numpy()
        assert np.max(np.abs(ours - theirs)) / theirs.max() < 0.10, col
        assert ours.sum() == pytest.approx(theirs.sum(), rel=0.02), col
