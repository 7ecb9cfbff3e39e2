"""The package's one p-value module (taobao_geo._stats.pvalues), checked against closed forms.

* Permutation / Monte Carlo p: ``(1 + #{sim >= obs}) / (nsim + 1)`` and its lower analogue,
  two-sided ``min(1, 2 min(...))`` and the esda/GeoDa fold
  ``(min(#{sim >= obs}, nsim - #{sim >= obs}) + 1) / (nsim + 1)`` (METHODS.md §1.9.5), with
  ties counted as "at least as extreme" up to the one documented tolerance.
* NNI's Monte Carlo test, global Moran/Geary and local Moran use that one function.
* One significance rule, ``p <= alpha``: at ``p == alpha`` the briefing and the LISA result agree.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pytest
from scipy import stats

from _autocorr_ref import graph
from taobao_geo import autocorrelation as ac
from taobao_geo import local, report
from taobao_geo._stats import pvalues as pv
from taobao_geo.nni import nearest_neighbour_index

# --------------------------------------------------------------------------------------------
# closed forms

SIMS = np.array([0.0, 1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])  # P = 9, obs = 2 ties twice


@pytest.mark.parametrize(
    "alternative,expected",
    [
        ("greater", (1 + 7) / 10),  # 7 sims >= 2 (the two ties included)
        ("less", (1 + 4) / 10),  # 4 sims <= 2 (the two ties included)
        ("two-sided", min(1.0, 2 * min(0.8, 0.5))),  # = 1.0
        ("folded", (min(7, 9 - 7) + 1) / 10),  # esda/GeoDa fold: 0.3
    ],
    ids=["greater", "less", "two-sided", "folded"],
)
def test_simulation_p_closed_form_with_ties(alternative, expected):
    assert pv.simulation_p(2.0, SIMS, alternative) == pytest.approx(expected, abs=1e-15)


def test_extreme_observation_gets_the_plus_one_floor_never_zero():
    sims = np.linspace(0, 1, 999)
    assert pv.simulation_p(5.0, sims, "greater") == pytest.approx(1 / 1000)
    assert pv.simulation_p(5.0, sims, "less") == pytest.approx(1.0)
    assert pv.simulation_p(5.0, sims, "two-sided") == pytest.approx(2 / 1000)
    assert pv.simulation_p(5.0, sims, "folded") == pytest.approx(1 / 1000)


@pytest.mark.parametrize(
    "offset,is_tie",
    [(0.0, True), (1e-12, True), (-1e-12, True), (5e-10, True), (1e-8, False), (-1e-8, False)],
    ids=["exact", "+1e-12", "-1e-12", "+5e-10", "+1e-8", "-1e-8"],
)
def test_tie_tolerance_is_one_relative_constant(offset, is_tie):
    obs = 3.0
    sims = np.array([obs * (1 + offset)])
    n_ge, n_le = pv.count_extremes(obs, sims)
    assert pv.TIE_RTOL == 1e-9
    assert bool(n_ge == 1 and n_le == 1) == is_tie
    assert n_ge + n_le == (2 if is_tie else 1)


def test_tie_scale_can_be_the_size_of_the_terms():
    # a lag near 0 made of large terms: rounding noise 1e-7 is a tie at the terms' scale (1e3)
    n_ge, n_le = pv.count_extremes(0.0, np.array([1e-7]), scale=1e3)
    assert (n_ge, n_le) == (1, 1)
    n_ge, n_le = pv.count_extremes(0.0, np.array([1e-7]))
    assert (n_ge, n_le) == (1, 0)


def test_vectorised_counts_per_unit_match_a_loop():
    rng = np.random.default_rng(0)
    obs = rng.integers(0, 5, 20).astype(float)
    sims = rng.integers(0, 5, (20, 99)).astype(float)  # many exact ties
    n_ge, n_le = pv.count_extremes(obs, sims)
    np.testing.assert_array_equal(n_ge, [(s >= o).sum() for o, s in zip(obs, sims)])
    np.testing.assert_array_equal(n_le, [(s <= o).sum() for o, s in zip(obs, sims)])


@pytest.mark.parametrize("alternative", ["greater", "less", "two-sided"])
def test_normal_p_against_scipy(alternative):
    z = np.array([-3.1, -1.96, 0.0, 0.4, 2.5])
    ref = {"greater": stats.norm.sf(z), "less": stats.norm.cdf(z),
           "two-sided": np.minimum(1, 2 * stats.norm.sf(np.abs(z)))}[alternative]
    np.testing.assert_allclose(pv.normal_p(z, alternative), ref, rtol=1e-12)


# --------------------------------------------------------------------------------------------
# the significance rule


@pytest.mark.parametrize(
    "p,alpha,expected",
    [(0.05, 0.05, True), (np.nextafter(0.05, 1), 0.05, False), (0.049, 0.05, True),
     (None, 0.05, False), (float("nan"), 0.05, False), (0.0, 0.01, True)],
    ids=["equal", "just-above", "below", "none", "nan", "zero"],
)
def test_is_significant_scalar(p, alpha, expected):
    assert pv.is_significant(p, alpha) is expected


def test_is_significant_vector_and_plus_one_rule_gives_exact_size():
    p = np.array([0.01, 0.05, 0.0500001, np.nan])
    np.testing.assert_array_equal(pv.is_significant(p, 0.05), [True, True, False, False])
    # with 999 permutations, p <= 0.05 is reached by exactly 50 of the 1000 equally likely ranks
    ranks = np.arange(1000)  # number of simulations >= observed under the null
    p_greater = (ranks + 1) / 1000
    assert pv.is_significant(p_greater, 0.05).sum() == 50
    assert (p_greater < 0.05).sum() == 49


def test_fdr_cutoff_and_adjusted_p_select_the_same_units():
    p = np.random.default_rng(3).uniform(0, 0.1, 300) ** 1.5
    cut = pv.fdr_cutoff(p, 0.05)
    np.testing.assert_array_equal(pv.is_significant(pv.adjust_p(p, "fdr"), 0.05),
                                  pv.is_significant(p, cut))
    np.testing.assert_allclose(pv.adjust_p(p, "fdr"), stats.false_discovery_control(p),
                               rtol=1e-12)


# --------------------------------------------------------------------------------------------
# every statistic uses the one function


def test_nni_monte_carlo_p_is_the_shared_function():
    rng = np.random.default_rng(7)
    pts = gpd.GeoSeries.from_xy(rng.uniform(0, 1000, 40), rng.uniform(0, 1000, 40),
                                crs="EPSG:32650")
    for alt in ("two-sided", "less", "greater"):
        res = nearest_neighbour_index(pts, area="bbox", test="mc", nsim=99, rng=1,
                                      alternative=alt, progress=False)
        assert res.p == pv.simulation_p(res.R, res.sim, alt)
        n_ge, n_le = pv.count_extremes(res.R, res.sim)
        closed = {"greater": (1 + n_ge) / 100, "less": (1 + n_le) / 100,
                  "two-sided": min(1.0, 2 * min(1 + n_ge, 1 + n_le) / 100)}[alt]
        assert res.p == pytest.approx(closed)


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less", "folded"])
def test_global_permutation_p_is_the_shared_function(alternative):
    g, u = graph("columbus", "queen")
    m = ac.moran(u, column="CRIME", graph=g, permutations=199, rng=4, alternative=alternative)
    assert m.p_sim == pv.simulation_p(m.value, m.sim, alternative)
    c = ac.geary(u, column="CRIME", graph=g, permutations=199, rng=4, alternative=alternative)
    # small C is positive autocorrelation: the shared function on the negated statistic
    assert c.p_sim == pv.simulation_p(-c.value, -c.sim, alternative)


# --------------------------------------------------------------------------------------------
# p == alpha: the briefing path and the LISA result give the same answer


@pytest.fixture(scope="module")
def columbus_lisa():
    g, u = graph("columbus", "queen")
    lm = local.local_moran(u, column="CRIME", graph=g, permutations=999, rng=3)
    return g, u, lm


def _briefing_html(tmp_path, results, alpha):
    analysis = SimpleNamespace(results=results, layers={}, choices={}, files={}, steps=[],
                               errors={}, skipped={})
    path = report.briefing(analysis, out_path=tmp_path / "b.html", embed_maps=False,
                           alpha=alpha, simulated=False)
    return path.read_text(encoding="utf-8")


def test_p_equal_to_alpha_is_significant_in_lisa_and_briefing(columbus_lisa, tmp_path):
    g, u, lm = columbus_lisa
    p = lm.gdf["p"]
    alpha = float(p[(p > 0.01) & (p < 0.2)].iloc[0])  # a p-value that occurs, used as alpha
    unit = p.index[p == alpha][0]
    at = local.local_moran(u, column="CRIME", graph=g, permutations=999, rng=3, alpha=alpha)
    below = local.local_moran(u, column="CRIME", graph=g, permutations=999, rng=3,
                              alpha=float(np.nextafter(alpha, 0)))
    assert at.gdf.loc[unit, "p"] == alpha
    assert bool(at.gdf.loc[unit, "significant"]) is True
    assert at.gdf.loc[unit, "cluster"] == at.gdf.loc[unit, "quadrant"]
    assert bool(below.gdf.loc[unit, "significant"]) is False

    m = ac.moran(u, column="CRIME", graph=g, permutations=999, rng=3)
    assert m.value > 0
    m_at = dataclasses.replace(m, p_sim=alpha)  # the global test at exactly the same p
    L = report.LABELS["en"]
    html = _briefing_html(tmp_path, {"moran": m_at, "lisa": at}, alpha)
    assert L["moran_pos"] in html and L["moran_ns"] not in html
    html_below = _briefing_html(tmp_path, {"moran": m_at}, float(np.nextafter(alpha, 0)))
    assert L["moran_ns"] in html_below and L["moran_pos"] not in html_below


def test_nni_card_and_pattern_agree_at_p_equal_alpha():
    rng = np.random.default_rng(11)
    pts = gpd.GeoSeries.from_xy(rng.uniform(0, 1000, 30), rng.uniform(0, 1000, 30),
                                crs="EPSG:32650")
    res = dataclasses.replace(nearest_neighbour_index(pts, area="bbox"), p=0.05, R=0.8)
    assert res.pattern == "clustered"
    card = report._nni_card(res, report.LABELS["en"], 0.05)
    assert report.LABELS["en"]["clustered_sig"] in card
