"""Local Moran (LISA) and Getis-Ord Gi*: analytic values against spdep localmoran / localG
(tests/reference/autocorr.R), permutation inference against a brute-force computation with the
same draws, against closed-form moments and against esda; labels, corrections and errors."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from _autocorr_ref import graph, local_refs
from taobao_geo import AlignmentError, InputDataError
from taobao_geo import autocorrelation as ac
from taobao_geo import local
from taobao_geo._inference import adjust_p, conditional_lag_counts, draw_positions, fdr_cutoff, perm_p
from taobao_geo.weights import build_graph, lattice_graph

LOCAL = local_refs()
QMAP = {"High-High": "HH", "Low-Low": "LL", "High-Low": "HL", "Low-High": "LH"}


@pytest.mark.parametrize(("dataset", "weights"), sorted(set(zip(LOCAL["dataset"], LOCAL["weights"]))))
def test_analytic_local_values_match_spdep(dataset, weights):
    g, u = graph(dataset, weights)
    ref = LOCAL[(LOCAL["dataset"] == dataset) & (LOCAL["weights"] == weights)].set_index("id")
    ref = ref.loc[g.unique_ids]
    var = ref["variable"].iloc[0]
    for cond, s in ((True, "cond"), (False, "total")):
        r = local.local_moran(u, column=var, weights=g, permutations=0, inference="analytic",
                              conditional=cond)
        got = r.gdf[["lisa_I", "lisa_E", "lisa_var", "lisa_z", "p_norm"]].to_numpy()
        exp = ref[["Ii", f"E_Ii_{s}", f"Var_Ii_{s}", f"Z_Ii_{s}", f"P_Ii_{s}"]].to_numpy()
        np.testing.assert_allclose(got, exp, rtol=1e-9, atol=1e-12)
    assert (r.gdf["quadrant"].to_numpy() == ref["quadrant"].map(QMAP).to_numpy()).all()
    # Gi*: binary and row-standardised weights give the same z (spdep); Gi without self
    for transform, col in (("b", "Gstar_z_B"), ("r", "Gstar_z_W")):
        h = local.getis_ord(u, column=var, weights=g, transform=transform)
        np.testing.assert_allclose(h.gdf["gi_z"], ref[col], rtol=1e-9, atol=1e-12)
    h0 = local.getis_ord(u, column=var, weights=g, star=False)
    np.testing.assert_allclose(h0.gdf["gi_z"], ref["G_z_B"], rtol=1e-9, atol=1e-12)


def test_mean_of_local_is_global_moran():
    g, u = graph("nc", "queen")
    lm = local.local_moran(u, column="SIDR74", weights=g, permutations=0, inference="analytic")
    gm = ac.moran(u, column="SIDR74", weights=g, permutations=0)
    assert lm.gdf["lisa_I"].mean() == pytest.approx(gm.I, rel=1e-12)


def test_conditional_engine_equals_brute_force_with_same_draws():
    rng = np.random.default_rng(1)
    n, P = 60, 199
    x = rng.poisson(3, n).astype(float)
    rows, cols, vals = [], [], []
    for i in range(n):  # mixed rows: equal weights (fast path) and unequal (general path)
        k = int(rng.integers(1, 6))
        nb = rng.choice(np.delete(np.arange(n), i), k, replace=False)
        rows += [i] * k
        cols += list(nb)
        vals += list(np.ones(k) / k if i % 2 else rng.random(k))
    w = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    w.sort_indices()
    obs, n_ge, n_le, mu, sd = conditional_lag_counts(x, w, permutations=P,
                                                     rng=np.random.default_rng(7), chunk_elems=1000)
    card = np.diff(w.indptr)
    rids = draw_positions(n - 1, P, int(card.max()), np.random.default_rng(7))
    for i in range(n):
        sims = np.delete(x, i)[rids[:, : card[i]]] @ w.data[w.indptr[i]:w.indptr[i + 1]]
        assert n_ge[i] == (sims >= obs[i] - 1e-9).sum()
        assert n_le[i] == (sims <= obs[i] + 1e-9).sum()
        assert mu[i] == pytest.approx(sims.mean())
        assert sd[i] == pytest.approx(sims.std())


def test_draw_positions_distinct_and_uniform():
    d = draw_positions(1000, 5000, 8, np.random.default_rng(0))
    assert d.shape == (5000, 8) and d.min() >= 0 and d.max() < 1000
    assert all(len(set(row)) == 8 for row in d[:500])
    counts = np.bincount(d.ravel(), minlength=1000)
    assert stats.chisquare(counts).pvalue > 1e-4


def test_permutation_moments_match_conditional_analytic_moments():
    # Under conditional randomisation E[I_i] and Var[I_i] are exact closed forms (spdep)
    g, u = graph("nc", "queen")
    P = 9999
    r = local.local_moran(u, column="SIDR74", weights=g, permutations=P, rng=11)
    gd = r.gdf
    se = np.sqrt(gd["lisa_var"]) / np.sqrt(P)
    assert (np.abs(gd["E_sim"] - gd["lisa_E"]) < 5 * se + 1e-12).all()
    assert gd["p_sim"].between(1 / (P + 1), 1).all()


def test_determinism_and_seed():
    g, u = graph("columbus", "queen")
    a = local.local_moran(u, column="CRIME", weights=g, rng=3)
    b = local.local_moran(u, column="CRIME", weights=g, rng=3)
    c = local.local_moran(u, column="CRIME", weights=g, rng=4)
    np.testing.assert_array_equal(a.gdf["p_sim"], b.gdf["p_sim"])
    assert not np.array_equal(a.gdf["p_sim"], c.gdf["p_sim"])
    assert a.seed == 3 and a.permutations == 999


def test_against_esda_same_definitions():
    esda = pytest.importorskip("esda")
    g, u = graph("columbus", "queen")
    y = u["CRIME"].to_numpy()
    n = len(y)
    P = 9999
    ml = esda.Moran_Local(y, g.transform("r"), permutations=P, seed=5)
    r = local.local_moran(u, column="CRIME", weights=g, permutations=P, alternative="folded", rng=5)
    np.testing.assert_allclose(r.gdf["lisa_I"], ml.Is * n / (n - 1), rtol=1e-12)  # esda m2 uses n-1
    assert (r.gdf["quadrant"].map({"HH": 1, "LH": 2, "LL": 3, "HL": 4}).to_numpy() == ml.q).all()
    # same conditional-permutation definition and folded p: agree up to Monte Carlo error
    assert np.abs(r.gdf["p_sim"].to_numpy() - ml.p_sim).max() < 0.03
    gl = esda.G_Local(y, g, transform="B", star=1.0, permutations=P, seed=5)
    h = local.getis_ord(u, column="CRIME", weights=g, permutations=P, alternative="folded", rng=5)
    np.testing.assert_allclose(h.gdf["gi_z"], gl.Zs, rtol=1e-10)
    np.testing.assert_allclose(h.gdf["gi"], gl.Gs, rtol=1e-10)
    assert np.abs(h.gdf["gi_p_sim"].to_numpy() - gl.p_sim).max() < 0.03
    # the esda pitfall: its default transform='R' analytic z is not Getis-Ord's
    with pytest.warns(UserWarning, match="self-weight"):
        bad = esda.G_Local(y, g, transform="R", star=True, permutations=0)
    assert np.abs(bad.Zs - h.gdf["gi_z"].to_numpy()).max() > 0.1


def test_pvalue_definitions():
    n_ge, n_le, P = np.array([0, 10, 999]), np.array([999, 990, 1]), 999
    np.testing.assert_allclose(perm_p(n_ge, n_le, P, "greater"), [0.001, 0.011, 1.0])
    np.testing.assert_allclose(perm_p(n_ge, n_le, P, "less"), [1.0, 0.991, 0.002])
    np.testing.assert_allclose(perm_p(n_ge, n_le, P, "two-sided"), [0.002, 0.022, 0.004])
    np.testing.assert_allclose(perm_p(n_ge, n_le, P, "folded"), [0.001, 0.011, 0.001])


def test_corrections_against_scipy_and_labels():
    p = np.random.default_rng(0).uniform(0, 0.2, 200) ** 2
    np.testing.assert_allclose(adjust_p(p, "fdr"), stats.false_discovery_control(p), rtol=1e-12)
    np.testing.assert_allclose(adjust_p(p, "bonferroni"), np.minimum(1, 200 * p))
    cut = fdr_cutoff(p, 0.05)
    assert ((adjust_p(p, "fdr") <= 0.05) == (p <= cut)).all()

    g, u = graph("nc", "queen")
    kw = dict(column="SIDR74", weights=g, permutations=999, rng=2)
    none = local.local_moran(u, **kw)
    with pytest.warns(UserWarning, match="at least 4 units reach it"):
        fdr = local.local_moran(u, correction="fdr", **kw)
    with pytest.warns(UserWarning, match="no unit can be significant"):
        bonf = local.local_moran(u, correction="bonferroni", **kw)
    s0, s1, s2 = (set(r.gdf.index[r.gdf["significant"]]) for r in (none, fdr, bonf))
    assert s2 <= s1 <= s0 and len(s1) < len(s0)
    assert fdr.fdr_threshold is not None and "Benjamini" in fdr.summary()
    gd = none.gdf
    assert (gd.loc[gd["significant"], "cluster"] == gd.loc[gd["significant"], "quadrant"]).all()
    assert (gd.loc[~gd["significant"], "cluster"] == "not significant").all()
    assert none.n_significant == sum(none.counts.get(q, 0) for q in ("HH", "LL", "HL", "LH"))


def test_gi_bins_follow_arcgis_levels():
    g, u = graph("nc", "queen")
    h = local.getis_ord(u, column="SID74", weights=g)
    gd = h.gdf
    lvl = np.where(gd["gi_p"] <= 0.01, 3, np.where(gd["gi_p"] <= 0.05, 2, np.where(gd["gi_p"] <= 0.1, 1, 0)))
    np.testing.assert_array_equal(gd["gi_bin"], np.sign(gd["gi_z"]) * lvl)
    assert (gd["n_neighbours"] == np.diff(g.sparse.tocsr().indptr) + 1).all()  # self included
    assert h.n_hot == (gd["gi_bin"] > 0).sum() and "Hot spots" in h.summary()
    fdr = local.getis_ord(u, column="SID74", weights=g, correction="fdr")
    assert (np.abs(fdr.gdf["gi_bin"]) <= np.abs(gd["gi_bin"])).all()
    perm = local.getis_ord(u, column="SID74", weights=g, permutations=999, inference="permutation",
                           rng=1)
    assert perm.gdf["gi_p_sim"].between(0.001, 1).all()
    assert (np.sign(perm.gdf.loc[perm.gdf["gi_bin"] != 0, "gi_z"]) ==
            np.sign(perm.gdf.loc[perm.gdf["gi_bin"] != 0, "gi_bin"])).all()


def test_dropped_islands_are_labelled_not_nan():
    xs = [0, 100, 200, 0, 100, 200, 5000]
    ys = [0, 0, 0, 100, 100, 100, 5000]
    pts = gpd.GeoDataFrame({"v": [5.0, 6, 7, 1, 2, 3, 9]}, geometry=gpd.points_from_xy(xs, ys),
                           crs="EPSG:32650")
    sw = build_graph(pts, kind="distance", threshold=150, islands="drop")
    r = local.local_moran(pts, column="v", weights=sw, permutations=99, rng=0)
    assert r.gdf.loc[6, "cluster"] == "island (no neighbours)"
    assert r.dropped == (6,) and "island" in r.summary()
    assert len(r.gdf) == 7 and r.gdf.index.equals(pts.index)
    h = local.getis_ord(pts, column="v", weights=sw)
    assert h.gdf.loc[6, "gi_label"] == "island (no neighbours)" and h.gdf.loc[6, "gi_bin"] == 0


def test_lattice_grid_runs_and_finds_planted_cluster():
    s = 40
    r, c = np.divmod(np.arange(s * s), s)
    g = lattice_graph(r, c, kind="queen")
    rng = np.random.default_rng(0)
    y = pd.Series(rng.poisson(1, s * s).astype(float) + 6 * ((r < 8) & (c < 8)))
    # two-sided p >= 2/(P+1): with 1,600 tests BH needs many permutations
    with pytest.warns(UserWarning, match="at least 7 units reach it"):
        lm = local.local_moran(y, weights=g, rng=1, correction="fdr", permutations=9999)
    hh = lm.gdf.index[lm.gdf["cluster"] == "HH"]
    assert len(hh) > 30 and ((r[hh] < 10) & (c[hh] < 10)).mean() > 0.9
    gi = local.getis_ord(y, weights=g, correction="fdr")
    assert (gi.gdf.loc[hh, "gi_bin"] > 0).mean() > 0.9


def test_bad_inputs():
    g, u = graph("columbus", "queen")
    with pytest.raises(InputDataError, match="variance is zero"):
        local.local_moran(u.assign(c=1), column="c", weights=g)
    with pytest.raises(AlignmentError):
        local.getis_ord(u.iloc[::-1], column="CRIME", weights=g)
    with pytest.raises(ValueError, match="permutations > 0"):
        local.local_moran(u, column="CRIME", weights=g, permutations=0)
    with pytest.raises(ValueError, match="correction"):
        local.local_moran(u, column="CRIME", weights=g, correction="holm")
    with pytest.raises(ValueError, match="alpha"):
        local.getis_ord(u, column="CRIME", weights=g, alpha=5)


def test_permutation_floor_note_and_plots(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    s = 30
    r, c = np.divmod(np.arange(s * s), s)
    g = lattice_graph(r, c, kind="queen")
    y = pd.Series(np.random.default_rng(0).poisson(2, s * s).astype(float))
    with pytest.warns(UserWarning, match="smallest attainable permutation p"):
        lm = local.local_moran(y, weights=g, permutations=99, correction="bonferroni", rng=0)
    assert lm.n_significant == 0 and "permutations or inference='analytic'" in lm.summary()
    ok = local.local_moran(y, weights=g, permutations=99, rng=0)
    assert ok.notes == ()
    grid = gpd.GeoDataFrame(
        {"v": y.to_numpy()},
        geometry=gpd.GeoSeries.from_xy(c, r).buffer(0.5, cap_style="square"), crs="EPSG:32650")
    lm = local.local_moran(grid, column="v", weights=g, rng=0)
    assert "LISA clusters" in lm.plot().get_title()
    hs = local.getis_ord(grid, column="v", weights=g)
    assert "Gi*" in hs.plot().get_title()


def test_gistar_with_distance_weights_general_path():
    # inverse-distance weights (unequal within rows): self weight = the row's largest weight,
    # and the permutation engine's general path; Gi* z equals the closed form computed here
    g, u = graph("nc", "knn6")
    pts = gpd.GeoDataFrame(u, geometry=gpd.points_from_xy(u["x"], u["y"]), crs="EPSG:32119")
    sw = build_graph(pts, kind="idw", threshold=60_000, islands="nearest")
    h = local.getis_ord(pts, column="SID74", weights=sw, transform="none", permutations=199, rng=0)
    w = sw.sparse.toarray()
    np.fill_diagonal(w, w.max(axis=1))
    x = pts["SID74"].to_numpy(float)
    n = len(x)
    wi, s1 = w.sum(1), (w**2).sum(1)
    s2 = ((x - x.mean()) ** 2).sum() / n
    z = (w @ x - wi * x.mean()) / np.sqrt(s2 * (n * s1 - wi**2) / (n - 1))
    np.testing.assert_allclose(h.gdf["gi_z"], z, rtol=1e-10)
    assert h.gdf["gi_p_sim"].between(1 / 200, 1).all()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(5, 40), seed=st.integers(0, 10_000), chunk=st.sampled_from([100, 997, 10**6]))
def test_conditional_engine_property(n, seed, chunk):
    """Any graph, values with ties, chunk size: counts equal brute force with the same draws."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, n).astype(float)  # many ties
    kmax = min(4, n - 1)
    rows, cols, vals = [], [], []
    for i in range(n):
        k = int(rng.integers(1, kmax + 1))
        nb = rng.choice(np.delete(np.arange(n), i), k, replace=False)
        w = np.full(k, 1.0 / k) if rng.random() < 0.5 else rng.random(k) + 0.1
        rows += [i] * k
        cols += list(nb)
        vals += list(w)
    w = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    w.sort_indices()
    P = 49
    obs, n_ge, n_le, _, _ = conditional_lag_counts(x, w, permutations=P,
                                                   rng=np.random.default_rng(seed), chunk_elems=chunk)
    card = np.diff(w.indptr)
    rids = draw_positions(n - 1, P, int(card.max()), np.random.default_rng(seed))
    for i in range(n):
        sims = np.delete(x, i)[rids[:, : card[i]]] @ w.data[w.indptr[i]:w.indptr[i + 1]]
        tol = 1e-9 * (abs(obs[i]) + 4 * card[i])
        assert n_ge[i] == (sims >= obs[i] - tol).sum()
        assert n_le[i] == (sims <= obs[i] + tol).sum()
