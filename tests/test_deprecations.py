"""Renamed options and attributes (issue 11): the old spelling works for one release and warns.

* ``weights=`` -> ``graph=`` (spatial weights) in autocorrelation and local;
* ``correction=`` -> ``adjust=`` (multiple-testing adjustment) in local;
* ``GlobalResult.I`` / ``.C`` / ``.G`` -> ``.value``; ``LocalMoranResult.correction`` /
  ``HotspotResult.correction`` -> ``.adjust``.

Each warning is a DeprecationWarning that names the new spelling, and the old spelling gives
exactly the result of the new one.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from _autocorr_ref import graph
from taobao_geo import autocorrelation as ac
from taobao_geo import local
from taobao_geo._stats.pvalues import ADJUSTMENTS


@pytest.fixture(scope="module")
def columbus():
    return graph("columbus", "queen")


@pytest.mark.parametrize("func", [ac.moran, ac.geary, ac.general_g],
                         ids=["moran", "geary", "general_g"])
def test_global_weights_keyword_warns_and_names_graph(columbus, func):
    g, u = columbus
    with pytest.warns(DeprecationWarning, match=r"weights=.*deprecated.*use `graph=`"):
        old = func(u, column="CRIME", weights=g, permutations=0)
    new = func(u, column="CRIME", graph=g, permutations=0)
    assert old.value == new.value and old.p_rand == new.p_rand


def test_new_spellings_do_not_warn(columbus):
    g, u = columbus
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        r = ac.moran(u, column="CRIME", graph=g, permutations=0)
        lm = local.local_moran(u, column="CRIME", graph=g, permutations=99, rng=0, adjust=None)
        gi = local.getis_ord(u, column="CRIME", graph=g, adjust="fdr")
        assert r.value == r.to_dict()["I"] and r.symbol == "I"
        assert lm.adjust is None and gi.adjust == "fdr"


@pytest.mark.parametrize("name,statistic", [("I", ac.moran), ("C", ac.geary), ("G", ac.general_g)],
                         ids=["I", "C", "G"])
def test_global_result_letter_aliases_warn_and_name_value(columbus, name, statistic):
    g, u = columbus
    r = statistic(u, column="CRIME", graph=g, permutations=0)
    with pytest.warns(DeprecationWarning, match=rf"GlobalResult\.{name}`.*use `\.value`"):
        v = getattr(r, name)
    assert v == r.value and r.symbol == name


@pytest.mark.filterwarnings("ignore:Note. the smallest attainable:UserWarning")
@pytest.mark.parametrize("func", [local.local_moran, local.getis_ord],
                         ids=["local_moran", "getis_ord"])
def test_local_correction_keyword_warns_and_names_adjust(columbus, func):
    g, u = columbus
    kw = dict(column="CRIME", graph=g, rng=1)
    if func is local.local_moran:
        kw["permutations"] = 99
    with pytest.warns(DeprecationWarning, match=r"correction=.*deprecated.*use `adjust=`"):
        old = func(u, correction="bonferroni", **kw)
    new = func(u, adjust="bonferroni", **kw)
    assert old.adjust == new.adjust == "bonferroni"
    np.testing.assert_array_equal(old.gdf["p_adj"], new.gdf["p_adj"])
    with pytest.warns(DeprecationWarning, match=r"\.correction`.*use `\.adjust`"):
        assert new.correction == "bonferroni"


@pytest.mark.parametrize("func", [local.local_moran, local.getis_ord],
                         ids=["local_moran", "getis_ord"])
def test_local_weights_keyword_warns_and_names_graph(columbus, func):
    g, u = columbus
    kw = dict(column="CRIME", rng=2, permutations=99)
    with pytest.warns(DeprecationWarning, match=r"weights=.*use `graph=`"):
        old = func(u, weights=g, **kw)
    new = func(u, graph=g, **kw)
    np.testing.assert_array_equal(old.gdf["p"], new.gdf["p"])


def test_local_adjustments_keep_the_same_values():
    assert ADJUSTMENTS == (None, "fdr", "bonferroni")
    from taobao_geo._inference import CORRECTIONS, PERM_ALTERNATIVES

    assert CORRECTIONS == ADJUSTMENTS and "folded" in PERM_ALTERNATIVES


def test_resolution_note_points_at_the_callers_line(columbus):
    g, u = columbus
    with pytest.warns(UserWarning, match="smallest attainable permutation p") as rec:
        local.local_moran(u, column="CRIME", graph=g, permutations=99, adjust="bonferroni", rng=0)
    assert [w.filename for w in rec if w.category is UserWarning] == [__file__]
