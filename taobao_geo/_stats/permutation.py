"""Conditional permutation for the local statistics (local Moran, Gi*).

The p-values themselves (definitions, ties, significance) are in
:mod:`taobao_geo._stats.pvalues`; this module only produces the counts they need.

Method
------
For unit *i* the value ``x_i`` is held fixed and its ``k_i`` neighbour values are replaced by a
random sample, without replacement, of the other ``n − 1`` values (Anselin 1995). As in esda's
``crand``, one matrix of ``P × k_max`` random positions is drawn once and shared by all units;
unit *i* uses its first ``k_i`` columns, mapped onto the ``n − 1`` units other than *i*. Each
unit therefore gets exactly uniform draws; the draws of different units are dependent, which
does not matter for per-unit p-values.

The count of extreme permutations is computed in chunks of units, never as an
``n × P`` array. When a unit's neighbour weights are all equal (binary or row-standardised
contiguity / kNN / distance band -- the usual case), the permuted lag of every unit in a chunk
follows from a running sum over the shared draws in O(P) per unit instead of O(P·k), which is
what makes 250,000 units × 999 permutations take seconds without numba.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .pvalues import count_extremes

__all__ = ["draw_positions", "conditional_lag_counts"]


def draw_positions(n_other: int, permutations: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """``permutations × k`` integers in ``[0, n_other)``, distinct within each row.

    Drawn with replacement and redrawn for the (rare, when k ≪ n) rows with a repeat, which is
    exactly uniform sampling without replacement and avoids a full permutation of n per row.
    """
    if k > n_other:
        raise ValueError(f"a unit has {k} neighbours but only {n_other} other units exist.")
    if k == 0:
        return np.empty((permutations, 0), dtype=np.int64)
    if 4 * k > n_other:  # small n: exact permutations are cheap
        return np.stack([rng.permutation(n_other)[:k] for _ in range(permutations)])
    out = rng.integers(0, n_other, size=(permutations, k))
    while True:
        srt = np.sort(out, axis=1)
        bad = np.flatnonzero((srt[:, 1:] == srt[:, :-1]).any(axis=1))
        if not len(bad):
            return out
        out[bad] = rng.integers(0, n_other, size=(len(bad), k))


def conditional_lag_counts(
    x: np.ndarray,
    w: sp.csr_matrix,
    *,
    permutations: int,
    rng: np.random.Generator,
    chunk_elems: int = 4_000_000,
    progress: bool | None = None,
):
    """Conditional-permutation distribution of the spatial lag ``L_i = Σ_j w_ij x_j``.

    Parameters
    ----------
    x
        Values (length n).
    w
        Weights without self-loops (CSR, n × n); every row must have at least one neighbour.
    permutations
        Number of permutations P.
    rng
        Random generator (the only source of randomness).
    chunk_elems
        Units × permutations processed at once (memory ≈ 8 bytes × a few × this).
    progress
        tqdm bar over chunks; ``None`` shows it only on a terminal.

    Returns
    -------
    observed, n_ge, n_le, mean, sd
        Observed lag; number of permutations whose lag is ``>=`` / ``<=`` the observed one (ties
        as :func:`~taobao_geo._stats.pvalues.count_extremes`); mean and standard deviation
        (ddof 0, as esda) of the permuted lags.
    """
    from tqdm.auto import tqdm

    n = len(x)
    w = w.tocsr()
    w.sort_indices()
    card = np.diff(w.indptr)
    if (card == 0).any():
        raise ValueError("conditional_lag_counts: units without neighbours must be handled first.")
    observed = w @ x
    kmax = int(card.max())
    rids = draw_positions(n - 1, permutations, kmax, rng)
    # value of draw (p, c) for unit i: x[r] if r < i else x[r + 1] (skip unit i itself)
    xa = x[rids]
    xb = x[rids + 1]
    dd = xa - xb
    n_ge = np.empty(n)
    n_le = np.empty(n)
    mean = np.empty(n)
    sd = np.empty(n)
    scale = np.abs(x).max() if n else 1.0

    # equal weights within a row: the lag is w_i × (sum of k_i draws)
    row_min = np.minimum.reduceat(w.data, w.indptr[:-1])
    row_max = np.maximum.reduceat(w.data, w.indptr[:-1])
    const = np.isclose(row_min, row_max, rtol=1e-12, atol=0)
    m_chunk = max(16, chunk_elems // max(permutations, 1))

    def finish(units, sims, target, factor):
        # ties relative to the size of the lag's terms (k values up to max |x|), not of the lag
        n_ge[units], n_le[units] = count_extremes(
            target, sims, scale=np.abs(target) + scale * card[units]
        )
        mu = sims.mean(axis=1)
        mean[units] = factor * mu
        sd[units] = np.abs(factor) * np.sqrt(np.maximum((sims * sims).mean(axis=1) - mu * mu, 0))

    groups = []
    for k in np.unique(card):
        sel = card == k
        groups.append((int(k), np.flatnonzero(sel & const), np.flatnonzero(sel & ~const)))
    total = sum(len(f) + len(g) for _, f, g in groups)
    bar = tqdm(
        total=total,
        disable=(None if progress is None else not progress),
        unit="unit",
        desc="permutations",
        leave=False,
    )
    try:
        for k, fast, general in groups:
            if len(fast):
                _fast_group(k, fast, rids, xb, dd, observed, w, m_chunk, finish, bar)
            if len(general):
                _general_group(
                    k, general, rids, xa, xb, w, permutations, chunk_elems, observed, finish, bar
                )
    finally:
        bar.close()
    return observed, n_ge, n_le, mean, sd


def _fast_group(k, units, rids, xb, dd, observed, w, m_chunk, finish, bar):
    """Units with k equal-weight neighbours: running sums over the shared draws."""
    permutations = rids.shape[0]
    r = rids[:, :k].ravel()
    pcol = np.repeat(np.arange(permutations), k)
    dk = dd[:, :k].ravel()
    order = np.argsort(r, kind="stable")
    r, pcol, dk = r[order], pcol[order], dk[order]
    base = xb[:, :k].sum(axis=1)  # lag sum for a unit before every drawn position (all shifted)
    wrow = w.data[w.indptr[units]]  # the common weight of each unit's neighbours
    running = base.copy()
    done = 0  # entries (sorted by position) already folded into `running`
    for start in range(0, len(units), m_chunk):
        u = units[start : start + m_chunk]
        # entries with position < u[0] apply to the whole chunk
        upto = np.searchsorted(r, u[0], side="left")
        if upto > done:
            running += np.bincount(pcol[done:upto], weights=dk[done:upto], minlength=permutations)
            done = upto
        # entries with u[0] <= position < u[-1] apply from the first unit i > position onwards
        hi = np.searchsorted(r, u[-1], side="left")
        m = len(u)
        delta = np.zeros((m + 1, permutations))
        if hi > done:
            rows = np.searchsorted(u, r[done:hi], side="right")
            np.add.at(delta, (rows, pcol[done:hi]), dk[done:hi])
        sims = np.cumsum(delta[:m], axis=0)
        sims += running
        target = observed[u] / wrow[start : start + m] if len(u) else observed[u]
        finish(u, sims, target, wrow[start : start + m])
        bar.update(m)


def _general_group(k, units, rids, xa, xb, w, permutations, chunk_elems, observed, finish, bar):
    """Units with k unequal weights: explicit weighted sums, a batch of units at a time."""
    ra, xak, xbk = rids[:, :k], xa[:, :k], xb[:, :k]
    wk = w.data[w.indptr[units][:, None] + np.arange(k)[None, :]]
    b = max(1, chunk_elems // max(permutations * k, 1))
    for start in range(0, len(units), b):
        u = units[start : start + b]
        vals = np.where(ra[None, :, :] >= u[:, None, None], xbk[None], xak[None])
        sims = np.einsum("bpk,bk->bp", vals, wk[start : start + b])
        finish(u, sims, observed[u], np.ones(len(u)))
        bar.update(len(u))
