"""Former home of the shared inference code, kept as a re-export for older imports.

p-values, ties, significance and multiple testing now live in :mod:`taobao_geo._stats.pvalues`;
the conditional permutation engine in :mod:`taobao_geo._stats.permutation`. Import from there.
``PERM_ALTERNATIVES`` and ``CORRECTIONS`` are the old names of ``ALTERNATIVES`` and
``ADJUSTMENTS``; ``REL_TOL`` of ``TIE_RTOL``.
"""

from __future__ import annotations

from ._stats.permutation import conditional_lag_counts, draw_positions
from ._stats.pvalues import (
    ADJUSTMENTS,
    ALTERNATIVES,
    TIE_RTOL,
    adjust_p,
    count_extremes,
    fdr_cutoff,
    is_significant,
    normal_p,
    perm_p,
    simulation_p,
)

PERM_ALTERNATIVES = ALTERNATIVES
CORRECTIONS = ADJUSTMENTS
REL_TOL = TIE_RTOL

__all__ = [
    "PERM_ALTERNATIVES",
    "CORRECTIONS",
    "REL_TOL",
    "ADJUSTMENTS",
    "ALTERNATIVES",
    "TIE_RTOL",
    "normal_p",
    "perm_p",
    "count_extremes",
    "simulation_p",
    "is_significant",
    "adjust_p",
    "fdr_cutoff",
    "draw_positions",
    "conditional_lag_counts",
]
