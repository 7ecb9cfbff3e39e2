"""Hostile options for the inference of the autocorrelation statistics: each stops with the
package's own one-line message naming the option (part of issue 10's hostile-case catalogue)."""

from __future__ import annotations

import pytest

from _autocorr_ref import graph
from taobao_geo import OptionError
from taobao_geo import autocorrelation as ac
from taobao_geo import local


@pytest.fixture(scope="module")
def columbus():
    return graph("columbus", "queen")


CASES = [
    pytest.param(local.local_moran, {"adjust": "holm"},
                 r"`adjust` \(the multiple-testing correction\) must be one of \(None, 'fdr', "
                 r"'bonferroni'\); got 'holm'", id="lisa-adjust-holm"),
    pytest.param(local.getis_ord, {"adjust": "BH"}, r"`adjust`.*got 'BH'", id="gi-adjust-BH"),
    pytest.param(local.local_moran, {"adjust": "fdr", "correction": "fdr"},
                 r"give `adjust=` only; `correction=` is its deprecated old name",
                 id="lisa-adjust-and-correction"),
    pytest.param(local.local_moran, {"alpha": 0.0}, r"`alpha` must be in \(0, 1\)",
                 id="lisa-alpha-zero"),
    pytest.param(local.getis_ord, {"alpha": 1.0}, r"`alpha` must be in \(0, 1\)",
                 id="gi-alpha-one"),
    pytest.param(local.local_moran, {"alternative": "two.sided"},
                 r"`alternative` must be one of \('two-sided', 'greater', 'less', 'folded'\)",
                 id="lisa-alternative-R-spelling"),
    pytest.param(local.getis_ord, {"permutations": -1}, r"`permutations` must be >= 0",
                 id="gi-negative-permutations"),
    pytest.param(ac.moran, {"alternative": "both"}, r"`moran`: `alternative` must be one of",
                 id="moran-alternative-unknown"),
    pytest.param(ac.geary, {"permutations": -5}, r"`geary`: `permutations` must be >= 0",
                 id="geary-negative-permutations"),
]


@pytest.mark.parametrize("func,kw,message", CASES)
def test_hostile_inference_options(columbus, func, kw, message):
    g, u = columbus
    with pytest.raises(OptionError, match=message):
        func(u, column="CRIME", graph=g, **kw)


def test_both_graph_and_weights_is_an_option_error(columbus):
    g, u = columbus
    with pytest.raises(OptionError, match=r"`moran`: give `graph=` only; `weights=` is its "
                                          r"deprecated old name"):
        ac.moran(u, column="CRIME", graph=g, weights=g)
