"""p-values, the significance rule and multiple-testing adjustment: defined once, used everywhere.

Every p-value of the package (NNI's z-test and Monte Carlo test, global Moran/Geary/General G,
local Moran and Gi*) and every "significant or not" decision (LISA clusters, Gi* bins,
incremental-Moran peaks, NNI's pattern, the briefing's sentences) goes through this module.

p-values (``alternative``)
--------------------------
Analytic (normal approximation) from a z-score, :func:`normal_p`::

    greater    p = P(Z >= z)          less    p = P(Z <= z)
    two-sided  p = min(1, 2 P(Z >= |z|))      folded  same as two-sided

Simulation / permutation ("pseudo" p, Phipson & Smyth's +1 so that p is never 0),
:func:`perm_p` from the counts of :func:`count_extremes`, or :func:`simulation_p` in one step::

    greater    p = (#{sim >= obs} + 1) / (P + 1)            (spatstat, spdep moran.mc)
    less       p = (#{sim <= obs} + 1) / (P + 1)
    two-sided  p = min(1, 2 · min(p_greater, p_less))        (doubled smaller tail)
    folded     p = (min(#{sim >= obs}, P − #{sim >= obs}) + 1) / (P + 1)

``folded`` is what esda (``p_sim``) and GeoDa report. It is a one-tailed p in the direction of
the observed value, so a folded 0.05 cut-off is a two-sided test at about 10 % (spdep PR#66,
esda#199). The default everywhere is the honest ``two-sided``; ``folded`` exists to reproduce
esda/GeoDa.

Ties
----
A simulated value counts as equal to ("at least as extreme as") the observed one when they
differ by at most ``TIE_RTOL × scale`` with ``TIE_RTOL = 1e-9``: :func:`tie_tolerance`. The
``scale`` is the magnitude of the compared numbers: by default ``max(|obs|, max |sim|)``; a
caller whose statistic is a sum of terms larger than the result (a spatial lag
``Σ_j w_ij x_j`` can be near 0 while its terms are large) passes the magnitude of the terms.
Theoretically equal values computed in a different order differ by rounding error, about
``k · 2.2e-16 · scale`` for a sum of k terms, i.e. < 1e-10 · scale even for a million terms;
distinct values of the statistics here differ by far more than 1e-9 of their scale. scipy's
``permutation_test`` uses the same idea with a smaller relative tolerance (100 machine epsilons
of the observed value), which can miss ties of statistics that are sums of many large terms.

Significance
------------
:func:`is_significant`: a p-value is significant at level ``alpha`` when ``p <= alpha``. This is
the definition of a level-alpha test from a valid p-value (``P(p <= alpha) <= alpha`` under the
null), and with the +1 rule it makes the test exact: with 999 permutations ``p = 0.05`` is
attainable (49 more extreme simulations) and ``p <= 0.05`` rejects with probability exactly
50/1000 = 0.05 under the null, whereas ``p < 0.05`` gives 0.049. It is also how the
Benjamini–Hochberg procedure is defined (reject ``p_(k) <= k·alpha/m``, so ``p_adj <= alpha``
is BH at level alpha, the usual way R's ``p.adjust`` output is read). esda's
``get_cluster_labels`` uses ``p_sim < crit_value``: it differs from this package only for a
p-value exactly equal to alpha (e.g. 0.05 from 999 permutations), which this package calls
significant.

Multiple testing (``adjust``)
-----------------------------
``ADJUSTMENTS``: ``"fdr"`` (Benjamini–Hochberg step-up, R ``p.adjust(method="BH")``) and
``"bonferroni"`` (``min(1, m·p)``) return adjusted p-values; ``None`` leaves p unchanged. The
option is called ``adjust`` (R ``p.adjust``, statsmodels ``multipletests(method=...)``) so that
``correction`` keeps its meaning of an *edge* correction (NNI, Ripley).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr  # standard normal CDF; much lighter to import than scipy.stats

__all__ = [
    "ALTERNATIVES",
    "ADJUSTMENTS",
    "TIE_RTOL",
    "tie_tolerance",
    "count_extremes",
    "normal_p",
    "perm_p",
    "simulation_p",
    "is_significant",
    "adjust_p",
    "fdr_cutoff",
]

ALTERNATIVES = ("two-sided", "greater", "less", "folded")
ADJUSTMENTS = (None, "fdr", "bonferroni")
TIE_RTOL = 1e-9


def tie_tolerance(scale):
    """Largest difference at which a simulated value still ties with the observed one.

    ``TIE_RTOL × |scale|`` (plus the smallest positive float, so a zero scale still counts
    exact equality as a tie); vectorised.
    """
    return TIE_RTOL * np.abs(np.asarray(scale, dtype=float)) + np.finfo(float).tiny


def count_extremes(observed, sims, *, scale=None):
    """Numbers of simulated values ``>=`` and ``<=`` the observed one, ties included.

    Parameters
    ----------
    observed
        Observed statistic: a scalar, or an array of m values (one per unit).
    sims
        Simulated statistics along the last axis: shape ``(P,)`` or ``(m, P)``.
    scale
        Magnitude for the tie tolerance (scalar or one per unit); default
        ``max(|observed|, max |sims|)`` per unit. See the module docstring.

    Returns
    -------
    n_ge, n_le
        Counts (float arrays, or floats for a scalar ``observed``).
    """
    obs = np.asarray(observed, dtype=float)
    sims = np.asarray(sims, dtype=float)
    if scale is None:
        top = np.abs(sims).max(axis=-1) if sims.shape[-1] else 0.0
        scale = np.maximum(np.abs(obs), top)
    tol = tie_tolerance(scale)
    n_ge = (sims >= (obs - tol)[..., None]).sum(axis=-1).astype(float)
    n_le = (sims <= (obs + tol)[..., None]).sum(axis=-1).astype(float)
    return n_ge, n_le


def normal_p(z, alternative: str):
    """p-value of a standard-normal z-score (vectorised); ``"folded"`` is two-sided."""
    z = np.asarray(z, dtype=float)
    if alternative == "greater":
        return ndtr(-z)
    if alternative == "less":
        return ndtr(z)
    return np.minimum(1.0, 2 * ndtr(-np.abs(z)))


def perm_p(n_ge, n_le, permutations: int, alternative: str):
    """Permutation p-value from the counts of simulated values >= and <= the observed one."""
    n_ge = np.asarray(n_ge, dtype=float)
    n_le = np.asarray(n_le, dtype=float)
    p1 = permutations + 1.0
    p_greater = (n_ge + 1) / p1
    p_less = (n_le + 1) / p1
    if alternative == "greater":
        return p_greater
    if alternative == "less":
        return p_less
    if alternative == "folded":
        return (np.minimum(n_ge, permutations - n_ge) + 1) / p1
    return np.minimum(1.0, 2 * np.minimum(p_greater, p_less))


def simulation_p(observed, sims, alternative: str, *, scale=None):
    """Monte Carlo / permutation p-value of ``observed`` against ``sims`` (last axis).

    :func:`count_extremes` then :func:`perm_p` with ``P = sims.shape[-1]``.
    """
    sims = np.asarray(sims, dtype=float)
    n_ge, n_le = count_extremes(observed, sims, scale=scale)
    return perm_p(n_ge, n_le, sims.shape[-1], alternative)


def is_significant(p, alpha: float):
    """``p <= alpha`` (the package's one significance rule); missing p is not significant.

    Returns a bool for a scalar (or ``None``) p and a boolean array otherwise.
    """
    if p is None:
        return False
    arr = np.asarray(p, dtype=float)
    out = np.less_equal(arr, alpha, where=~np.isnan(arr), out=np.zeros(arr.shape, dtype=bool))
    return bool(out) if out.ndim == 0 else out


def adjust_p(p, adjust: str | None):
    """Adjusted p-values (``None``: unchanged; ``"fdr"``: Benjamini–Hochberg; ``"bonferroni"``)."""
    p = np.asarray(p, dtype=float)
    if adjust is None:
        return p.copy()
    m = len(p)
    if adjust == "bonferroni":
        return np.minimum(1.0, p * m)
    if adjust == "fdr":
        order = np.argsort(p, kind="mergesort")
        ranked = p[order] * m / np.arange(1, m + 1)
        adj = np.minimum.accumulate(ranked[::-1])[::-1]
        out = np.empty(m)
        out[order] = np.minimum(adj, 1.0)
        return out
    raise ValueError(f"`adjust` must be one of {ADJUSTMENTS}; got {adjust!r}.")


def fdr_cutoff(p, alpha: float) -> float:
    """Largest p_(k) with p_(k) <= k·alpha/m (0 if none): the BH significance threshold.

    What esda's ``fdr()`` and GeoDa's FDR filter report; ``is_significant(p, cutoff)`` then
    selects the same units as ``is_significant(adjust_p(p, "fdr"), alpha)``.
    """
    p = np.sort(np.asarray(p, dtype=float))
    m = len(p)
    ok = p <= alpha * np.arange(1, m + 1) / m
    return float(p[np.flatnonzero(ok)[-1]]) if ok.any() else 0.0
