"""Nearest-neighbour index against spatstat (clarkevans / clarkevans.test) and ArcGIS's formula.

References: tests/reference/pointpattern.R (R 4.2.2, spatstat 3.0-3 / spatstat.explore 3.0-6)
wrote pp_nni.csv and the patterns. Run `Rscript tests/reference/pointpattern.R` to regenerate.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from taobao_geo import CRSError, GeometryTypeError, InputDataError, TooFewPointsError
from taobao_geo.nni import nearest_neighbour_index

from _pp_reference import CRS, DATASETS, REF, pattern

RTOL = 1e-6  # issue 3: at least 6 significant digits
NNI = pd.read_csv(REF / "pp_nni.csv").set_index("dataset")


@pytest.mark.parametrize("name", DATASETS)
def test_naive_matches_spatstat(name):
    pts, win = pattern(name)
    ref = NNI.loc[name]
    res = nearest_neighbour_index(pts, boundary=win)
    assert res.area_method == "boundary"
    np.testing.assert_allclose(res.area_m2, ref["area"], rtol=1e-12)
    np.testing.assert_allclose(res.observed_mean_m, ref["Dobs"], rtol=RTOL)
    np.testing.assert_allclose(res.expected_mean_m, ref["Dpois"], rtol=RTOL)
    np.testing.assert_allclose(res.R, ref["R_naive"], rtol=RTOL)
    np.testing.assert_allclose(res.z, ref["Z"], rtol=RTOL)
    np.testing.assert_allclose(res.se_m, ref["SE"], rtol=RTOL)
    for alt, col in [("two-sided", "p_two_sided"), ("less", "p_less"), ("greater", "p_greater")]:
        p = nearest_neighbour_index(pts, boundary=win, alternative=alt).p
        # R computes 1 - pnorm(z), which is 0 / loses digits in the far tail
        np.testing.assert_allclose(p, ref[col], rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("name", DATASETS)
def test_cdf_and_donnelly_match_spatstat(name):
    pts, win = pattern(name)
    ref = NNI.loc[name]
    res = nearest_neighbour_index(pts, boundary=win, correction="cdf", nsim=19, rng=1)
    np.testing.assert_allclose(res.R, ref["R_cdf"], rtol=RTOL)
    np.testing.assert_allclose(res.R_cdf, ref["R_cdf"], rtol=RTOL)
    assert res.test == "mc"  # as spatstat: no analytic variance for cdf
    if ref["window_type"] == "rectangle":
        d = nearest_neighbour_index(pts, boundary=win, correction="donnelly")
        np.testing.assert_allclose(d.R, ref["R_donnelly"], rtol=RTOL)
    else:
        assert math.isnan(res.R_donnelly)
        with pytest.raises(InputDataError, match="Donnelly correction holds only for rectangular"):
            nearest_neighbour_index(pts, boundary=win, correction="donnelly")


def test_arcgis_formula_by_hand():
    # ArcGIS Average Nearest Neighbor: SE = 0.26136 / sqrt(n^2 / A), redwood with A = 1
    pts, win = pattern("redwood")
    ref = NNI.loc["redwood"]
    res = nearest_neighbour_index(pts, area=1.0)
    assert res.area_method == "explicit"
    z_arc = (ref["Dobs"] - 0.5 / math.sqrt(62)) / (0.26136 / math.sqrt(62**2 / 1.0))
    np.testing.assert_allclose(res.z_arcgis, z_arc, rtol=1e-12)
    np.testing.assert_allclose(res.R, ref["R_naive"], rtol=RTOL)
    # the rounded ArcGIS constant moves z in the 5th digit only
    assert abs(res.z_arcgis / res.z - 1) < 1e-4


def test_closed_form_square_lattice():
    # 5 x 5 lattice, spacing 100 m, area given: D_obs = 100, D_exp = 0.5 / sqrt(25 / A)
    x, y = np.meshgrid(np.arange(5) * 100.0, np.arange(5) * 100.0)
    pts = gpd.GeoSeries.from_xy(x.ravel(), y.ravel(), crs=CRS)
    res = nearest_neighbour_index(pts, area=250_000.0)
    assert res.observed_mean_m == pytest.approx(100.0)
    assert res.expected_mean_m == pytest.approx(50.0)
    assert res.R == pytest.approx(2.0)
    se = math.sqrt((4 - math.pi) * 250_000 / (4 * math.pi)) / 25
    assert res.z == pytest.approx(50.0 / se)
    assert res.pattern == "dispersed"


def test_area_methods_on_redwood():
    # METHODS §1.9 (spatstat run): bbox R = 0.6955, hull R = 0.7839 for redwood
    pts, _ = pattern("redwood")
    bbox = nearest_neighbour_index(pts, area="bbox")
    hull = nearest_neighbour_index(pts, area="hull")
    mbr = nearest_neighbour_index(pts)  # no boundary -> ArcGIS minimum enclosing rectangle
    assert bbox.R == pytest.approx(0.6955, abs=5e-5)
    assert hull.R == pytest.approx(0.7839, abs=5e-5)
    assert mbr.area_method == "mbr" and mbr.area_m2 <= bbox.area_m2 + 1e-12
    xy = np.column_stack([pts.geometry.x, pts.geometry.y])
    assert bbox.area_m2 == pytest.approx(np.ptp(xy[:, 0]) * np.ptp(xy[:, 1]))


@pytest.mark.parametrize("name", ["redwood", "demopat", "twopiece"])
def test_monte_carlo_null_matches_spatstat(name):
    # R's 999 CSR simulations in the same window: mean and sd of the naive R. Different RNG
    # streams, so compare within Monte Carlo error (5 standard errors).
    pts, win = pattern(name)
    ref = NNI.loc[name]
    res = nearest_neighbour_index(pts, boundary=win, test="mc", nsim=999, rng=7)
    se = ref["sim_sd"] * math.sqrt(2 / 999)
    assert abs(res.sim.mean() - ref["sim_mean"]) < 5 * se
    assert res.sim.std(ddof=1) == pytest.approx(ref["sim_sd"], rel=0.15)
    assert res.nsim == 999 and res.test == "mc"


def test_monte_carlo_p_values_and_alternative():
    pts, win = pattern("redwood")  # strongly clustered
    two = nearest_neighbour_index(pts, boundary=win, test="mc", nsim=199, rng=3)
    less = nearest_neighbour_index(pts, boundary=win, test="mc", nsim=199, rng=3,
                                   alternative="clustered")
    greater = nearest_neighbour_index(pts, boundary=win, test="mc", nsim=199, rng=3,
                                      alternative="greater")
    assert less.p == pytest.approx(1 / 200)
    assert two.p == pytest.approx(2 / 200)
    assert greater.p == pytest.approx(1.0)
    assert less.alternative == "less"


def test_seed_reproducible():
    pts, win = pattern("twopiece")
    a = nearest_neighbour_index(pts, boundary=win, test="mc", nsim=50, rng=42)
    b = nearest_neighbour_index(pts, boundary=win, test="mc", nsim=50, rng=42)
    c = nearest_neighbour_index(pts, boundary=win, test="mc", nsim=50, rng=43)
    np.testing.assert_array_equal(a.sim, b.sim)
    assert not np.array_equal(a.sim, c.sim)
    assert a.seed == 42


def _with_duplicates():
    pts, win = pattern("japanesepines")
    extra = pts.iloc[[0, 0, 5]].copy()
    extra.index = ["dup_a", "dup_b", "dup_c"]
    return pd.concat([pts, extra]), win


def test_duplicates_raise_merge_keep():
    pts, win = _with_duplicates()
    with pytest.raises(InputDataError, match=r"3 row\(s\) share a location.*'dup_a'"):
        nearest_neighbour_index(pts, boundary=win)
    merged = nearest_neighbour_index(pts, boundary=win, duplicates="merge")
    ref = NNI.loc["japanesepines"]
    assert merged.n == 65 and merged.n_input == 68 and merged.n_coincident == 3
    np.testing.assert_allclose(merged.R, ref["R_naive"], rtol=RTOL)
    assert "merged" in merged.duplicates_note
    kept = nearest_neighbour_index(pts, boundary=win, duplicates="keep")
    assert kept.n == 68 and kept.R < merged.R


def test_errors():
    pts, win = pattern("redwood")
    with pytest.raises(TooFewPointsError, match="at least 3 points; got 2"):
        nearest_neighbour_index(pts.iloc[:2], boundary=win)
    same = gpd.GeoSeries.from_xy([1.0] * 5, [2.0] * 5, crs=CRS)
    with pytest.raises(InputDataError, match="all 5 points are at the same location"):
        nearest_neighbour_index(same, area=10.0, duplicates="keep")
    with pytest.raises(CRSError, match="geographic"):
        nearest_neighbour_index(pts.set_crs(4326, allow_override=True))
    with pytest.raises(GeometryTypeError, match="window is empty"):
        nearest_neighbour_index(pts, boundary=gpd.GeoSeries([], crs=CRS))
    shifted = gpd.GeoSeries([shapely.affinity.translate(win.iloc[0], 0.5)], crs=CRS)
    with pytest.raises(GeometryTypeError, match=r"point\(s\) lie outside the study-area window"):
        nearest_neighbour_index(pts, boundary=shifted)
    with pytest.raises(InputDataError, match="explicit number"):
        nearest_neighbour_index(pts, area=1.0, test="mc")
    with pytest.raises(InputDataError, match="no analytic variance"):
        nearest_neighbour_index(pts, boundary=win, correction="cdf", test="z")
    with pytest.raises(ValueError, match="`alternative` must be one of"):
        nearest_neighbour_index(pts, boundary=win, alternative="two_sided")
    line = gpd.GeoSeries.from_xy([0.0, 1, 2, 3], [0.0, 1, 2, 3], crs=CRS)
    with pytest.raises(GeometryTypeError, match="zero area"):
        nearest_neighbour_index(line, area="hull")


def test_result_contract():
    pts, win = pattern("cells")
    res = nearest_neighbour_index(pts, boundary=win)
    row = res.to_frame()
    assert len(row) == 1 and row.loc[0, "area_method"] == "boundary"
    assert row.loc[0, "pattern"] == "dispersed"
    assert "Nearest-neighbour index R = 1.6717" in res.summary()
    d = nearest_neighbour_index(pts, boundary=win, test="mc", nsim=9, rng=1).to_dict()
    assert "sim" not in d and "window" not in d and d["test"] == "mc"


def test_docstring_example():
    import doctest

    from taobao_geo import nni

    res = doctest.testmod(nni, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted >= 1 and res.failed == 0


def test_plot(tmp_path):
    pts, win = pattern("redwood")
    for test in ("z", "mc"):
        res = nearest_neighbour_index(pts, boundary=win, test=test, nsim=49, rng=1)
        ax = res.plot(path=tmp_path / f"{test}.png")
        assert (tmp_path / f"{test}.png").stat().st_size > 1000
        assert "clustered" in ax.get_title()


def test_arcgis_default_area_is_rotation_invariant():
    # ArcGIS's default area is the minimum-area rectangle (RECTANGLE_BY_AREA in ESRI's
    # NearestNeighbor.py), which turns with the pattern; the axis-aligned bbox does not.
    pts, _ = pattern("japanesepines")
    turned = pts.rotate(30, origin=(0.5, 0.5))
    a, b = nearest_neighbour_index(pts), nearest_neighbour_index(turned)
    assert a.area_method == "mbr"
    assert b.area_m2 == pytest.approx(a.area_m2, rel=1e-9)
    assert b.R == pytest.approx(a.R, rel=1e-9)
    assert nearest_neighbour_index(turned, area="bbox").area_m2 > 1.2 * b.area_m2
    xy = np.column_stack([turned.geometry.x, turned.geometry.y])
    A = shapely.minimum_rotated_rectangle(shapely.multipoints(xy)).area
    d = NNI.loc["japanesepines", "Dobs"]
    assert b.z_arcgis == pytest.approx((d - 0.5 / math.sqrt(65 / A)) /
                                       (0.26136 / math.sqrt(65**2 / A)), rel=1e-9)
