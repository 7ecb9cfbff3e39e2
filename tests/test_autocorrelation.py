"""Global Moran's I, Geary's C, General G and incremental spatial autocorrelation, against
spdep 1.2-7 (moran.test, geary.test, globalG.test; tests/reference/autocorr.R) and esda."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from _autocorr_ref import global_refs, graph, incremental_refs, units
from taobao_geo import AlignmentError, InputDataError, TooFewPointsError
from taobao_geo import autocorrelation as ac
from taobao_geo._errors import IslandError

FUNCS = {"moran": ac.moran, "geary": ac.geary, "general": ac.general_g}
REFS = global_refs()


@pytest.mark.parametrize(("dataset", "weights"), sorted(set(zip(REFS["dataset"], REFS["weights"]))))
def test_global_tests_match_spdep(dataset, weights):
    g, u = graph(dataset, weights)
    rows = REFS[(REFS["dataset"] == dataset) & (REFS["weights"] == weights)]
    assert len(rows) > 20
    for row in rows.itertuples():
        func = FUNCS[row.test.split("_")[0]]
        res = func(u, column=row.variable, weights=g, transform={"W": "r", "B": "b"}[row.style], permutations=0,
                   alternative=row.alternative.replace(".", "-"))
        kind = "norm" if row.test.endswith("norm") else "rand"
        got = [res.value, res.expected, getattr(res, f"variance_{kind}"), getattr(res, f"z_{kind}"),
               getattr(res, f"p_{kind}")]
        ref = [row.statistic, row.expectation, row.variance, row.z, row.p]
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12, err_msg=str(row))


def test_matches_esda_two_sided_defaults():
    esda = pytest.importorskip("esda")
    g, u = graph("columbus", "queen")
    y = u["CRIME"].to_numpy()
    m = esda.Moran(y, g.transform("r"), permutations=0)
    r = ac.moran(u, column="CRIME", weights=g, permutations=0)
    np.testing.assert_allclose([r.I, r.z_norm, r.p_norm, r.z_rand, r.p_rand],
                               [m.I, m.z_norm, m.p_norm, m.z_rand, m.p_rand], rtol=1e-10)
    gc = esda.Geary(y, g.transform("r"), permutations=0)
    rc = ac.geary(u, column="CRIME", weights=g, permutations=0)
    # esda's Geary z has the opposite sign (documented)
    np.testing.assert_allclose([rc.C, -rc.z_rand, -rc.z_norm], [gc.C, gc.z_rand, gc.z_norm], rtol=1e-10)
    gg = esda.G(y, g, permutations=0)
    rg = ac.general_g(u, column="CRIME", weights=g, permutations=0)
    np.testing.assert_allclose([rg.G, rg.expected, rg.z_rand], [gg.G, gg.EG, gg.z_norm], rtol=1e-10)


def test_permutation_properties():
    g, u = graph("nc", "queen")
    P = 1999
    r = ac.moran(u, column="SIDR74", weights=g, permutations=P, rng=123)
    # mean of the permutation distribution is E[I] = -1/(n-1); its variance the randomisation one
    se = np.sqrt(r.variance_rand)
    assert abs(r.mean_sim - r.expected) < 5 * se / np.sqrt(P)
    assert r.sd_sim == pytest.approx(se, rel=0.1)
    assert 1 / (P + 1) <= r.p_sim <= 1
    assert r.p_sim < 0.01 and r.z_rand > 3  # SIDS rates are clustered
    again = ac.moran(u, column="SIDR74", weights=g, permutations=P, rng=123)
    np.testing.assert_array_equal(r.sim, again.sim)
    other = ac.moran(u, column="SIDR74", weights=g, permutations=P, rng=124)
    assert not np.array_equal(r.sim, other.sim)
    # one-sided p's: greater small, less near 1; folded is the smaller tail
    gr = ac.moran(u, column="SIDR74", weights=g, permutations=P, rng=1, alternative="greater")
    ls = ac.moran(u, column="SIDR74", weights=g, permutations=P, rng=1, alternative="less")
    fo = ac.moran(u, column="SIDR74", weights=g, permutations=P, rng=1, alternative="folded")
    assert gr.p_sim < 0.01 and ls.p_sim > 0.99 and fo.p_sim == pytest.approx(gr.p_sim)
    for f in (ac.geary, ac.general_g):
        res = f(u, column="SID74", weights=g, permutations=499, rng=5)
        assert 1 / 500 <= res.p_sim <= 1 and res.sim.shape == (499,)
        assert abs(res.mean_sim - res.expected) < 5 * np.sqrt(res.variance_rand) / np.sqrt(499)


def test_scatter_slope_is_moran_i_and_plot():
    import matplotlib

    matplotlib.use("Agg")
    g, u = graph("columbus", "queen")
    r = ac.moran(u, column="CRIME", weights=g, permutations=0)
    sd = r.scatter_data()
    slope = np.polyfit(sd["z"], sd["lag_z"], 1)[0]
    assert slope == pytest.approx(r.I, rel=1e-10)
    ax = r.plot()
    assert "Moran's I" in ax.get_title()
    assert "I = 0.5002" in r.summary()
    assert r.to_frame().shape[0] == 1 and "_z" not in r.to_dict()


def test_incremental_matches_spdep_bands():
    ref = incremental_refs()
    u = units("nc")
    pts = gpd.GeoDataFrame(u, geometry=gpd.points_from_xy(u["x"], u["y"]), crs="EPSG:32119")
    for var in ("SID74", "SIDR74"):
        rr = ref[ref["variable"] == var].sort_values("band")
        res = ac.incremental_moran(pts, column=var)
        t = res.table
        np.testing.assert_allclose(t["distance_m"], rr["distance"], rtol=1e-8)
        np.testing.assert_allclose(t[["I", "expected", "variance", "z", "p"]].to_numpy(),
                                   rr[["I", "expectation", "variance", "z", "p"]].to_numpy(),
                                   rtol=1e-7, atol=1e-12)
        z = t["z"].to_numpy()
        if res.first_peak_m is not None:
            i = int(np.flatnonzero(np.isclose(t["distance_m"], res.first_peak_m))[0])
            assert z[i] > z[i - 1] and z[i] > z[i + 1]
        assert res.start_rule.startswith("smallest") and "mean nearest" in res.increment_rule
        assert "bands" in res.summary() and "peak" in res.to_frame().columns


def test_bad_inputs():
    g, u = graph("columbus", "queen")
    with pytest.raises(InputDataError, match="variance is zero"):
        ac.moran(u.assign(c=5.0), column="c", weights=g)
    with pytest.raises(InputDataError, match="must be numeric"):
        ac.moran(u.assign(c="a"), column="c", weights=g)
    with pytest.raises(InputDataError, match="missing or infinite"):
        ac.moran(u.assign(c=np.where(u.index == 3, np.nan, 1.0 * u.index)), column="c", weights=g)
    with pytest.raises(InputDataError, match="give `column=`"):
        ac.moran(u, weights=g)
    with pytest.raises(AlignmentError, match="different order"):
        ac.moran(u.iloc[::-1], column="CRIME", weights=g)
    with pytest.raises(AlignmentError, match="do not share an index"):
        ac.moran(u.iloc[:-1], column="CRIME", weights=g)
    with pytest.raises(InputDataError, match="non-negative"):
        ac.general_g(u.assign(c=u["CRIME"] - 30), column="c", weights=g)
    with pytest.raises(ValueError, match="alternative"):
        ac.moran(u, column="CRIME", weights=g, alternative="two.sided")
    with pytest.raises(ValueError, match="transform"):
        ac.moran(u, column="CRIME", weights=g, transform="W")
    with pytest.raises(TypeError, match="SpatialWeights"):
        ac.moran(u, column="CRIME", weights={1: [2]})
    from libpysal.graph import Graph

    tiny = Graph.from_arrays([0, 1], [1, 0], [1.0, 1.0])
    with pytest.raises(TooFewPointsError, match="at least 3 units"):
        ac.moran(pd.Series([1.0, 2.0]), weights=tiny)
    isl = Graph.from_arrays([0, 1, 2], [1, 0, 2], [1.0, 1.0, 0.0])
    with pytest.raises(IslandError, match=r"no neighbours: 2"):
        ac.moran(pd.Series([1.0, 2.0, 4.0]), weights=isl)


def test_incremental_trims_remote_islands():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 10_000, (80, 2))
    xy = np.vstack([xy, [[400_000, 400_000]]])  # one island 400 km away
    pts = gpd.GeoDataFrame({"v": rng.poisson(3, 81).astype(float)},
                           geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32650")
    res = ac.incremental_moran(pts, column="v", n_bands=5)
    assert res.trimmed == (80,)
    assert res.start_m < 5_000 and (res.table["n_units"] == 80).all()
    assert "remote" in res.summary()
    kept = ac.incremental_moran(pts, column="v", n_bands=3, trim_outliers=False)
    assert kept.trimmed == () and kept.start_m > 390_000
