"""Ripley's K and L, nearest-neighbour G and empty-space F, with CSR envelopes in the window.

"At what distances are the villages clustered?" K(r) is the expected number of further points
within distance r of a typical point, divided by the intensity; under complete spatial
randomness (CSR) ``K(r) = pi r²`` and ``L(r) = sqrt(K / pi) = r``. G is the distribution of
nearest-neighbour distances, F that of the distance from a random location to the nearest
point; under CSR both are ``1 - exp(-lambda pi r²)``.

Estimators follow spatstat (``Kest``, ``Lest``, ``Gest``, ``Fest``, spatstat.explore 3.0-6)
including its distance grid and histogram binning, so values agree with spatstat to
floating-point precision (tests: redwood, cells, japanesepines, demopat (polygon with a hole),
a two-part window):

=============  =======================================================================
function       corrections (spatstat name)
=============  =======================================================================
K, L           ``"border"`` (reduced sample), ``"isotropic"`` (Ripley; exact arc lengths
               in polygons), ``"translate"`` (Ohser-Stoyan; exact overlap areas in
               polygons, where spatstat's Kest uses a pixel approximation), ``"none"``
G              ``"rs"`` (border), ``"km"`` (Kaplan-Meier), ``"han"`` (Hanisch), ``"none"``
F              ``"rs"``, ``"km"``, ``"cs"`` (Chiu-Stoyan), ``"none"``; evaluated on a
               128 x 128 pixel grid like spatstat
=============  =======================================================================

Differences from spatstat, by design: distances to a polygon boundary and eroded areas are
exact here (spatstat rasterises polygon windows for F, for G's Hanisch and for Kest's
translation correction), so those three agree with spatstat only to its pixel accuracy in
polygon windows; rectangles agree exactly.

Envelopes: ``nsim`` patterns of CSR with the same number of points inside the window (holes
and separate parts respected). ``envelope="pointwise"`` takes the ``nrank``-th lowest and
highest simulated value at each r (spatstat ``envelope(nrank=1)``, significance
``2 nrank / (nsim + 1)`` at each r separately); ``"global"`` uses the maximum absolute
deviation from the theoretical curve over all r (spatstat ``global=TRUE``), giving a band that
holds simultaneously at all r, and a MAD test p-value.

ArcGIS's *Multi-Distance Spatial Cluster Analysis* is :func:`multi_distance`: observed and
expected L(d) at 10 distance bands, uncorrected by default (ArcGIS "NONE"), in the minimum
enclosing rectangle, with a CSR envelope and the distance of maximum clustering.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ._errors import OptionError
from ._ppbins import (
    Breaks,
    border_counts_closed,
    breaks_from_r,
    cumulative_below,
    cumulative_upto,
    even_breaks,
    hist_counts,
    hist_cumsum,
    km_rs,
    reduced_sample_counts,
)
from ._results import ResultMixin
from ._validate import check_choice, ensure_rng, seed_label
from .nni import nn_distances
from .windows import StudyArea, _sample, boundary_distance, prepare_pattern, study_area

__all__ = [
    "CORRECTIONS",
    "MultiDistanceResult",
    "RipleyResult",
    "distance_function",
    "f_function",
    "g_function",
    "k_function",
    "l_function",
    "multi_distance",
]

CORRECTIONS = {
    "K": ("border", "isotropic", "translate", "none"),
    "L": ("border", "isotropic", "translate", "none"),
    "G": ("rs", "km", "han", "none"),
    "F": ("rs", "km", "cs", "none"),
}
_ALIASES = {
    "iso": "isotropic",
    "ripley": "isotropic",
    "trans": "translate",
    "translation": "translate",
    "bord": "border",
    "reduced_sample": "rs",
    "kaplan_meier": "km",
    "hanisch": "han",
    "chiu_stoyan": "cs",
    "raw": "none",
}
MAX_EDGE_WEIGHT = 100.0  # spatstat.options("maxedgewt")
NPIXEL = 128  # spatstat.options("npixel"), the F grid


# --------------------------------------------------------------------------- estimators


class _Context:
    """Everything about the window that does not depend on the pattern (reused by simulations)."""

    def __init__(self, window: StudyArea):
        self.window = window
        self.area = window.area_m2
        self._edge_tree = None
        self._grid = None
        self._eroded: dict[bytes, np.ndarray] = {}
        self._setcov_cache = None
        self.notes: set[str] = set()  # approximations used, reported in the result

    @property
    def edge_tree(self):
        if self._edge_tree is None:
            e = self.window.edges
            self._edge_lines = shapely.linestrings(e.reshape(-1, 2, 2))
            self._edge_tree = shapely.STRtree(self._edge_lines)
        return self._edge_tree

    def grid(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Pixel centres inside the window (spatstat ``as.mask``, 128 x 128), their distance to
        the boundary, and the pixel size ``min(xstep, ystep)``.
        """
        if self._grid is None:
            x0, y0, x1, y1 = self.window.bounds
            xs = (x1 - x0) / NPIXEL
            ys = (y1 - y0) / NPIXEL
            xc = x0 + (np.arange(NPIXEL) + 0.5) * xs
            yc = y0 + (np.arange(NPIXEL) + 0.5) * ys
            gx, gy = np.meshgrid(xc, yc)
            g = np.column_stack([gx.ravel(), gy.ravel()])
            if not self.window.is_axis_rectangle:
                g = g[shapely.contains_xy(self.window._prepared, g[:, 0], g[:, 1])]
            self._grid = (g, boundary_distance(self.window, g), min(xs, ys))
        return self._grid

    def eroded_areas(self, r: np.ndarray) -> np.ndarray:
        """Area of the window eroded by each r (m²): exact for rectangles and polygons."""
        key = np.asarray(r).tobytes()
        if key not in self._eroded:
            w = self.window
            if w.is_axis_rectangle:
                x0, y0, x1, y1 = w.bounds
                a = np.maximum(x1 - x0 - 2 * r, 0) * np.maximum(y1 - y0 - 2 * r, 0)
            else:
                a = shapely.area(
                    shapely.buffer(
                        np.full(len(r), w.geometry, dtype=object), -np.asarray(r), quad_segs=64
                    )
                )
            self._eroded[key] = a
        return self._eroded[key]


def _pairs(xy: np.ndarray, rmax: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unordered pairs closer than rmax: (i, j, d)."""
    ij = cKDTree(xy).query_pairs(rmax, output_type="ndarray")
    if len(ij) == 0:
        e = np.empty(0, dtype=np.intp)
        return e, e, np.empty(0)
    i, j = ij[:, 0], ij[:, 1]
    d = np.hypot(xy[i, 0] - xy[j, 0], xy[i, 1] - xy[j, 1])
    return i, j, d


ISO_MAX_COMBOS = 2_000_000  # (circle, edge) combinations per vectorised batch: bounds memory


def _iso_weights(
    ctx: _Context,
    centres: np.ndarray,
    r: np.ndarray,
    b: np.ndarray,
    owner: np.ndarray | None = None,
) -> np.ndarray:
    """Ripley's isotropic weights 2 pi r / length(circle(c, r) inside W), trimmed to [1, 100].

    Exact for polygons: with exteriors counter-clockwise and holes clockwise, the angle of the
    circle inside W is ``2 pi - sum over edges of the signed angle that the part of the edge
    inside the disc subtends at the centre`` (winding-number argument), so only edges closer
    than r contribute. Candidate edges are found once per point (STRtree, radius = its
    largest r), and each (point, edge) candidate is paired only with that point's circles
    larger than the point-edge distance (circles sorted by radius form a contiguous run).
    Work is done in batches of at most ``ISO_MAX_COMBOS`` combinations, so memory stays
    bounded for detailed boundaries. ``owner`` labels circles sharing a centre.
    """
    w = np.ones(len(r))
    need = np.flatnonzero(r > b)
    if len(need) == 0:
        return w
    if owner is None:
        owner = np.arange(len(r))
    own = owner[need]
    rr = r[need]
    pts_id, inv = np.unique(own, return_inverse=True)
    npt = len(pts_id)
    c_pt = np.empty((npt, 2))
    c_pt[inv] = centres[need]
    rmax_pt = np.zeros(npt)
    np.maximum.at(rmax_pt, inv, rr)
    b_pt = np.empty(npt)
    b_pt[inv] = b[need]
    on_edge = b_pt <= 1e-12 * max(1.0, _diameter(ctx))
    if on_edge.any():  # points on the boundary (hull/bbox windows): move a hair inwards
        rep = np.asarray(ctx.window.geometry.representative_point().coords[0])
        c_pt[on_edge] += 1e-9 * (rep - c_pt[on_edge])
    srt = np.lexsort((rr, inv))  # circles sorted by (point, radius)
    inv_s, r_s = inv[srt], rr[srt]
    block_end = np.searchsorted(inv_s, np.arange(npt), side="right")
    span = 2.0 * (r_s.max() + 1.0)
    key_s = inv_s * span + r_s
    edges = ctx.window.edges
    tree = ctx.edge_tree
    acc = np.zeros(len(need))  # summed chord angles, in sorted-circle order
    chunk = int(np.clip(ISO_MAX_COMBOS // max(1, len(edges)), 1, 4096))
    for p0 in range(0, npt, chunk):
        sl = slice(p0, min(npt, p0 + chunk))
        qp, qe = tree.query(shapely.points(c_pt[sl]), predicate="dwithin", distance=rmax_pt[sl])
        if len(qp) == 0:
            continue
        qp = qp + p0
        E0 = edges[qe]
        a0 = E0[:, :2]
        dv0 = E0[:, 2:] - a0
        rel = c_pt[qp] - a0
        L2 = (dv0 * dv0).sum(1)
        t0 = np.clip((rel * dv0).sum(1) / np.where(L2 > 0, L2, 1), 0, 1)
        dpe = np.hypot(*(rel - t0[:, None] * dv0).T)
        first = np.searchsorted(key_s, qp * span + dpe, side="right")
        k_cand = np.maximum(block_end[qp] - first, 0)
        cum = np.cumsum(k_cand)
        bounds = np.searchsorted(cum, np.arange(ISO_MAX_COMBOS, cum[-1], ISO_MAX_COMBOS))
        for c0, c1 in zip(np.r_[0, bounds], np.r_[bounds, len(qp)], strict=True):
            if c1 <= c0:
                continue
            kc = k_cand[c0:c1]
            tot = int(kc.sum())
            if tot == 0:
                continue
            circ_s = np.repeat(first[c0:c1] - np.cumsum(kc) + kc, kc) + np.arange(tot)
            e = np.repeat(qe[c0:c1], kc)
            ang = _chord_angles(edges[e], c_pt[inv_s[circ_s]], r_s[circ_s])
            acc += np.bincount(circ_s, weights=ang, minlength=len(need))
    inside = np.empty(len(need))
    inside[srt] = 2 * np.pi - acc
    with np.errstate(divide="ignore"):
        wt = 2 * np.pi / inside
    w[need] = np.clip(np.where(inside > 0, wt, MAX_EDGE_WEIGHT), 1.0, MAX_EDGE_WEIGHT)
    return w


def _chord_angles(E: np.ndarray, cc: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Signed angle at centre ``cc`` subtended by the part of edge ``E`` (x0, y0, x1, y1)
    inside the disc of radius ``R`` (0 where the edge misses the disc).
    """
    a = E[:, :2]
    dv = E[:, 2:] - a
    f = a - cc
    # points a + t dv on the circle: A t^2 + B t + C = 0
    A = (dv * dv).sum(1)
    B = 2 * (f * dv).sum(1)
    C = (f * f).sum(1) - R * R
    disc = B * B - 4 * A * C
    ok = (disc > 0) & (A > 0)
    sq = np.sqrt(np.where(ok, disc, 0.0))
    A2 = 2 * np.where(A > 0, A, 1)
    t1 = np.clip((-B - sq) / A2, 0, 1)
    t2 = np.clip((-B + sq) / A2, 0, 1)
    ok &= t2 > t1
    p1 = f + t1[:, None] * dv
    p2 = f + t2[:, None] * dv
    ang = np.arctan2(p1[:, 0] * p2[:, 1] - p1[:, 1] * p2[:, 0], (p1 * p2).sum(1))
    return np.where(ok, ang, 0.0)


def _diameter(ctx: _Context) -> float:
    x0, y0, x1, y1 = ctx.window.bounds
    return math.hypot(x1 - x0, y1 - y0)


EXACT_TRANSLATE_MAX_PAIRS = 20_000  # above: set covariance from a raster (spatstat's method)
SETCOV_PIXELS = 512


def _setcov(ctx: _Context):
    """Set covariance g(v) = |W ∩ (W + v)| of a polygon window on a raster, by FFT.

    spatstat's ``setcov`` (used by its Kest translation correction); a 512-pixel raster along
    the long side, so the relative error is about perimeter x pixel / area (well under 1 %).
    Returns (g on an fftshifted lag grid, pixel size, half-widths in pixels).
    """
    if getattr(ctx, "_setcov_cache", None) is None:
        x0, y0, x1, y1 = ctx.window.bounds
        h = max(x1 - x0, y1 - y0) / SETCOV_PIXELS
        nx, ny = int(math.ceil((x1 - x0) / h)), int(math.ceil((y1 - y0) / h))
        xc = x0 + (np.arange(nx) + 0.5) * h
        yc = y0 + (np.arange(ny) + 0.5) * h
        gx, gy = np.meshgrid(xc, yc)
        m = shapely.contains_xy(ctx.window._prepared, gx, gy).astype(float)
        F = np.fft.rfft2(m, s=(2 * ny, 2 * nx))
        ac = np.fft.irfft2(F * np.conj(F), s=(2 * ny, 2 * nx))
        g = np.fft.fftshift(ac) * h * h  # lag (0, 0) at index (ny, nx)
        ctx._setcov_cache = (np.maximum(g, 0.0), h, nx, ny)
    return ctx._setcov_cache


def _setcov_lookup(ctx: _Context, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    g, h, nx, ny = _setcov(ctx)
    fx = dx / h + nx
    fy = dy / h + ny
    ix = np.clip(np.floor(fx).astype(np.intp), 0, 2 * nx - 2)
    iy = np.clip(np.floor(fy).astype(np.intp), 0, 2 * ny - 2)
    tx = np.clip(fx - ix, 0, 1)
    ty = np.clip(fy - iy, 0, 1)
    return (
        (1 - tx) * (1 - ty) * g[iy, ix]
        + tx * (1 - ty) * g[iy, ix + 1]
        + (1 - tx) * ty * g[iy + 1, ix]
        + tx * ty * g[iy + 1, ix + 1]
    )


def _trans_weights(ctx: _Context, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Translation weights |W| / |W ∩ (W + v)|, trimmed at 100.

    Closed form for rectangles; exact overlap areas (shapely) for polygons with up to
    ``EXACT_TRANSLATE_MAX_PAIRS`` pairs, else the rasterised set covariance (as spatstat).
    """
    w = ctx.window
    if w.is_axis_rectangle:
        x0, y0, x1, y1 = w.bounds
        wd, ht = x1 - x0, y1 - y0
        with np.errstate(divide="ignore"):
            wt = wd * ht / ((wd - np.abs(dx)) * (ht - np.abs(dy)))
        wt[~np.isfinite(wt) | (wt < 0)] = MAX_EDGE_WEIGHT
        return np.minimum(wt, MAX_EDGE_WEIGHT)
    if len(dx) > EXACT_TRANSLATE_MAX_PAIRS:
        ctx.notes.add(
            f"translate: set covariance from a {SETCOV_PIXELS}-pixel raster (more "
            f"than {EXACT_TRANSLATE_MAX_PAIRS:,} pairs), as spatstat"
        )
        ov = _setcov_lookup(ctx, dx, dy)
        with np.errstate(divide="ignore"):
            out = np.where(ov > 0, w.area_m2 / ov, MAX_EDGE_WEIGHT)
        return np.minimum(out, MAX_EDGE_WEIGHT)
    out = np.empty(len(dx))
    k = len(shapely.get_coordinates(w.geometry))
    for s in range(0, len(dx), 20000):
        sl = slice(s, s + 20000)
        m = len(dx[sl])
        shift = np.repeat(np.column_stack([dx[sl], dy[sl]]), k, axis=0)
        moved = shapely.transform(np.full(m, w.geometry, dtype=object), lambda c, sh=shift: c + sh)
        ov = shapely.area(shapely.intersection(w.geometry, moved))
        with np.errstate(divide="ignore"):
            out[sl] = np.where(ov > 0, w.area_m2 / ov, MAX_EDGE_WEIGHT)
    return np.minimum(out, MAX_EDGE_WEIGHT)


def _k_estimates(xy: np.ndarray, ctx: _Context, br: Breaks, corrections) -> dict[str, np.ndarray]:
    n = len(xy)
    A = ctx.area
    lam = n / A
    lam2area = n * (n - 1) / A
    i, j, d = _pairs(xy, br.rmax)
    out = {}
    need_b = any(c in corrections for c in ("border", "isotropic"))
    b = boundary_distance(ctx.window, xy) if need_b else None
    # spatstat counts d <= r in rectangles (its Krect engine) and d < r otherwise (whist);
    # the two differ only for distances exactly on the grid (rounded coordinates)
    closed = ctx.window.is_axis_rectangle and br.even
    if closed:  # Krect keeps pairs with d < rmax only
        keep = d < br.r[-1]
        i, j, d = i[keep], j[keep], d[keep]

    def count(x, w=None):
        return cumulative_upto(x, br.r, w) if closed else cumulative_below(x, br.val, w)

    for corr in corrections:
        if corr == "none":
            out[corr] = 2 * count(d) / lam2area
        elif corr == "border":
            if closed:
                num, den = border_counts_closed(d, i, j, b, br.r)
            else:
                num, den = reduced_sample_counts(d, i, j, b, br)
            with np.errstate(divide="ignore", invalid="ignore"):
                out[corr] = num / (lam * den)
        elif corr == "translate":
            wt = _trans_weights(ctx, xy[j, 0] - xy[i, 0], xy[j, 1] - xy[i, 1])
            out[corr] = 2 * count(d, wt) / lam2area
        elif corr == "isotropic":
            w_ij = _iso_weights(ctx, xy[i], d, b[i], owner=i)
            w_ji = _iso_weights(ctx, xy[j], d, b[j], owner=j)
            out[corr] = count(d, w_ij + w_ji) / lam2area
    return out


def _g_estimates(xy: np.ndarray, ctx: _Context, br: Breaks, corrections) -> dict[str, np.ndarray]:
    nnd = nn_distances(xy)
    b = boundary_distance(ctx.window, xy)
    return _censored_estimates(nnd, b, ctx, br, corrections, "han")


def _f_estimates(xy: np.ndarray, ctx: _Context, br: Breaks, corrections) -> dict[str, np.ndarray]:
    g, b, _ = ctx.grid()
    dist, _ = cKDTree(xy).query(g, k=1, workers=-1)
    return _censored_estimates(dist, b, ctx, br, corrections, "cs")


def _censored_estimates(dist, b, ctx, br, corrections, hanisch_name):
    # spatstat cuts the raw and Hanisch/Chiu-Stoyan histograms at breaks$max, the last
    # breakpoint (>= the rmax rule): since those curves are normalised by their last value,
    # cutting at the rule instead shifts the whole curve
    cut = float(br.val[-1])
    o = np.minimum(dist, b)
    d = dist <= b
    out = {}
    rs = km = None
    if "rs" in corrections or "km" in corrections:
        rs, km = km_rs(o, b, d, br)
    for corr in corrections:
        if corr == "none":
            out[corr] = hist_cumsum(dist, br.val, cut) / len(dist)
        elif corr == "rs":
            out[corr] = rs
        elif corr == "km":
            out[corr] = km
        elif corr == hanisch_name:
            h = hist_counts(dist[d], br.val, cut)
            with np.errstate(divide="ignore", invalid="ignore"):
                H = np.cumsum(h / ctx.eroded_areas(br.r))
            fin = H[np.isfinite(H)]
            out[corr] = H / fin.max() if len(fin) and fin.max() > 0 else H
    return out


_ESTIMATORS = {"K": _k_estimates, "L": _k_estimates, "G": _g_estimates, "F": _f_estimates}


def _theoretical(function: str, r: np.ndarray, lam: float) -> np.ndarray:
    if function == "K":
        return np.pi * r**2
    if function == "L":
        return r.copy()
    return 1 - np.exp(-lam * np.pi * r**2)


def _transform(function: str, est: np.ndarray) -> np.ndarray:
    return np.sqrt(np.maximum(est, 0) / np.pi) if function == "L" else est


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class RipleyResult(ResultMixin):
    """K, L, G or F estimates with a CSR envelope.

    ``frame`` is tidy: one row per (r, correction) with ``r_m``, ``estimate``, ``theoretical``
    and, for the envelope correction, ``lo``/``hi`` and ``mean_sim``.
    """

    function: str
    correction: str
    corrections: tuple
    n: int
    area_m2: float
    area_method: str
    rmax_m: float
    nsim: int
    envelope: str | None
    nrank: int
    alpha: float
    p_mad: float
    crs: str
    seed: Any = None
    duplicates_note: str = ""
    notes: str = ""
    frame: pd.DataFrame = field(default=None, repr=False)
    sims: np.ndarray | None = field(default=None, repr=False)
    window: StudyArea | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The tidy table: one row per (r, correction)."""
        return self.frame.copy()

    def wide(self) -> pd.DataFrame:
        """One row per distance, one column per correction (spatstat ``as.data.frame(fv)``)."""
        w = self.frame.pivot(index="r_m", columns="correction", values="estimate")
        main = self.frame[self.frame["correction"] == self.correction].set_index("r_m")
        w.insert(0, "theoretical", main["theoretical"])
        for c in ("lo", "hi"):
            w[c] = main[c]
        return w.reset_index()

    def _main(self) -> pd.DataFrame:
        return self.frame[self.frame["correction"] == self.correction]

    def summary(self) -> str:
        """A few lines: the function, the envelope result and the largest L(r) - r."""
        m = self._main().dropna(subset=["estimate"])
        lines = [
            f"{self.function}-function ({self.correction} correction), n = {self.n}, "
            f"r up to {self.rmax_m:,.0f} m; study area {self.area_m2 / 1e6:,.3f} km² "
            f"({self.area_method})",
        ]
        if self.nsim and len(m):
            above = m["estimate"] > m["hi"]
            below = m["estimate"] < m["lo"]
            hi_word = "clustered" if self.function in ("K", "L", "G") else "regular"
            lo_word = "regular" if self.function in ("K", "L", "G") else "clustered"
            lines.append(
                f"{self.envelope} envelope from {self.nsim} CSR simulations in the window "
                f"(nrank {self.nrank}): above at {above.mean():.0%} of distances ({hi_word}), "
                f"below at {below.mean():.0%} ({lo_word})"
                + (f"; MAD test p = {self.p_mad:.3g}" if self.envelope == "global" else "")
            )
        if self.function in ("K", "L") and len(m):
            diff = (
                _transform(self.function, m["estimate"].to_numpy())
                if self.function == "K"
                else m["estimate"].to_numpy()
            )
            dev = diff - m["r_m"].to_numpy()
            k = int(np.nanargmax(dev))
            lines.append(f"Largest L(r) - r = {dev[k]:,.1f} m at r = {m['r_m'].iloc[k]:,.0f} m")
        if self.duplicates_note:
            lines.append(f"Coincident points: {self.duplicates_note}")
        if self.notes:
            lines.append(f"Note: {self.notes}")
        return "\n".join(lines)

    def plot(self, ax=None, *, path=None, show_all: bool = False):
        """Estimate, theoretical curve and envelope; returns the matplotlib Axes.

        With ``path`` and no ``ax`` the figure is drawn on an off-screen Agg canvas and saved
        (pyplot and the session's backend are not touched); with neither, pyplot makes a new
        figure (notebooks).
        """
        from ._ppplot import axes, save

        fig, ax = axes(ax, path=path)
        m = self._main()
        r = m["r_m"].to_numpy()
        if self.nsim:
            ax.fill_between(
                r,
                m["lo"],
                m["hi"],
                color="0.85",
                label=f"{self.envelope} CSR envelope ({self.nsim} sims)",
            )
        ax.plot(r, m["theoretical"], "r--", lw=1, label="CSR (theoretical)")
        if show_all:
            for c in self.corrections:
                if c != self.correction:
                    s = self.frame[self.frame["correction"] == c]
                    ax.plot(s["r_m"], s["estimate"], lw=0.8, label=c)
        ax.plot(r, m["estimate"], "k-", lw=1.5, label=f"observed ({self.correction})")
        ax.set_xlabel("distance r (m)")
        ax.set_ylabel(f"{self.function}(r)" + (" (m)" if self.function == "L" else ""))
        ax.legend(fontsize=8, frameon=False)
        return save(fig, ax, path)


# --------------------------------------------------------------------------- main function

COMPLEX_WINDOW_EDGES = 2000  # above: exact-geometry corrections only on request


def _default_corrections(function: str, window: StudyArea, n: int, notes: set) -> tuple[str, ...]:
    complex_window = len(window.edges) > COMPLEX_WINDOW_EDGES
    if complex_window:
        notes.add(
            f"the window has {len(window.edges):,} edges, so the default corrections "
            "leave out the exact-geometry ones (isotropic, Hanisch/Chiu-Stoyan); ask for "
            "them with correction=..., or simplify the boundary first"
        )
    if function == "G":
        return ("km", "rs") if complex_window else ("km", "rs", "han")
    if function == "F":
        return ("km", "rs") if complex_window else ("km", "rs", "cs")
    if n >= 3000 or complex_window:  # spatstat's nlarge: border only for big patterns
        return ("border",)
    if window.is_axis_rectangle:
        return ("isotropic", "translate", "border")
    return ("isotropic", "border")


def _default_breaks(function: str, ctx: _Context, lam: float) -> Breaks:
    x0, y0, x1, y1 = ctx.window.bounds
    if function in ("K", "L"):
        rmax = min(min(x1 - x0, y1 - y0) / 4, math.sqrt(1000 / (math.pi * lam)))
        return even_breaks(rmax)
    rmax = min(math.sqrt(math.log(1e5) / (math.pi * lam)), math.hypot(x1 - x0, y1 - y0) / 2)
    if function == "F":
        return even_breaks(rmax, step=ctx.grid()[2] / 4)
    return even_breaks(rmax)


def distance_function(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    function: str = "L",
    boundary: Any = None,
    area: str | None = None,
    r: np.ndarray | None = None,
    rmax: float | None = None,
    correction: str | tuple | list | None = None,
    nsim: int = 99,
    envelope: str = "pointwise",
    nrank: int = 1,
    duplicates: str = "raise",
    rng: int | np.random.Generator | None = None,
    progress: bool | None = None,
) -> RipleyResult:
    """Ripley's K/L, G or F with edge corrections and a CSR simulation envelope.

    Parameters
    ----------
    points
        Points in a projected CRS (metres).
    function
        ``"K"``, ``"L"`` (default; ``sqrt(K / pi)``, ArcGIS reports L), ``"G"`` or ``"F"``.
    boundary, area
        The window, as in :func:`taobao_geo.windows.study_area` (default: the boundary if
        given, else the rotated minimum enclosing rectangle). An explicit numeric area is
        refused: edge corrections and simulations need a geometry.
    r
        Distances in metres, starting at 0 (spatstat ``r=``). Default: spatstat's grid of
        513 distances up to ``rmax``.
    rmax
        Largest distance (m). Default: spatstat's rule (K/L: ``min(short side / 4,
        sqrt(1000 / (pi lambda)))``; G/F: ``min(sqrt(log(1e5) / (pi lambda)), diameter / 2)``).
    correction
        One name or several (the first one gets the envelope). See the module table. Default
        for K/L: isotropic (+ translate on rectangles) and border below 3000 points, border
        only above (as spatstat); G and F: km, rs, han/cs.
    nsim
        CSR simulations for the envelope (spatstat ``envelope`` default 99; 0 for none).
    envelope
        ``"pointwise"`` (default) or ``"global"``.
    nrank
        Rank of the envelope limits (1 = min/max of the simulations).
    duplicates
        Coincident points: ``"raise"``, ``"merge"`` or ``"keep"`` (see NNI).
    rng
        Seed or Generator (same seed, same envelope).
    progress
        Progress bar over simulations (``None``: only in a terminal).

    Returns
    -------
    RipleyResult
        ``.to_frame()`` tidy table, ``.wide()``, ``.summary()``, ``.plot()``.

    Raises
    ------
    CRSError, TooFewPointsError, InputDataError, GeometryTypeError
        As :func:`taobao_geo.nni.nearest_neighbour_index`.
    """
    func = f"{function.lower()}_function" if isinstance(function, str) else "distance_function"
    check_choice(function, tuple(CORRECTIONS), name="function", func=func)
    check_choice(envelope, ("pointwise", "global"), name="envelope", func=func)
    pat = prepare_pattern(points, duplicates=duplicates, func=func, min_n=3)
    window = study_area(points, area=area, boundary=boundary, func=func)
    window.require_geometry(f"`{func}` (edge corrections and CSR envelopes)")
    ctx = _Context(window)
    xy = pat.xy
    n = len(xy)
    lam = n / window.area_m2
    corrs = _chosen_corrections(function, correction, window, n, ctx.notes, func=func)
    br = _chosen_breaks(function, ctx, lam, r=r, rmax=rmax, func=func)
    _check_envelope_options(nsim, nrank, func=func)
    est_fn = _ESTIMATORS[function]
    raw = est_fn(xy, ctx, br, corrs)
    theo = _theoretical(function, br.r, lam)
    estimates = {c: _transform(function, raw[c]) for c in corrs}
    primary = corrs[0]
    env = _Envelope()
    if nsim:
        env = _simulate_envelope(
            function,
            ctx,
            br,
            primary,
            n,
            nsim=int(nsim),
            nrank=int(nrank),
            envelope=envelope,
            theo=theo,
            observed=estimates[primary],
            rng=rng,
            progress=progress,
        )
    return RipleyResult(
        function=function,
        correction=primary,
        corrections=corrs,
        n=n,
        area_m2=window.area_m2,
        area_method=window.method,
        rmax_m=float(br.r[-1]),
        nsim=int(nsim),
        envelope=envelope if nsim else None,
        nrank=int(nrank),
        alpha=float(env.alpha),
        p_mad=env.p_mad,
        crs=pat.crs,
        seed=seed_label(rng),
        duplicates_note=pat.note() if pat.n_coincident else "",
        notes="; ".join(sorted(ctx.notes)),
        frame=_tidy_frame(function, br.r, corrs, estimates, theo, env),
        sims=env.sims,
        window=window,
    )


def _chosen_corrections(
    function: str, correction, window: StudyArea, n: int, notes: set, *, func: str
) -> tuple[str, ...]:
    """The corrections asked for (aliases resolved, checked) or the defaults."""
    if correction is None:
        return _default_corrections(function, window, n, notes)
    corrs = (correction,) if isinstance(correction, str) else tuple(correction)
    corrs = tuple(_ALIASES.get(c, c) for c in corrs)
    for c in corrs:
        check_choice(c, CORRECTIONS[function], name="correction", func=func)
    return corrs


def _chosen_breaks(function: str, ctx: _Context, lam: float, *, r, rmax, func: str) -> Breaks:
    """Distance breakpoints from ``r``, from ``rmax`` or spatstat's default rule."""
    if r is not None:
        return breaks_from_r(r)
    if rmax is not None:
        if not rmax > 0:
            raise OptionError(
                f"`{func}`: `rmax` must be a positive distance in metres; got {rmax!r}."
            )
        return even_breaks(float(rmax), step=ctx.grid()[2] / 4 if function == "F" else None)
    return _default_breaks(function, ctx, lam)


def _check_envelope_options(nsim, nrank, *, func: str) -> None:
    if int(nsim) != nsim or nsim < 0 or int(nrank) != nrank or nrank < 1:
        raise OptionError(
            f"`{func}`: `nsim` must be a whole number >= 0 (0: no envelope) and "
            f"`nrank` >= 1; got nsim={nsim!r}, nrank={nrank!r}. Try nsim=99."
        )
    if nsim and nrank * 2 > nsim + 1:
        raise OptionError(f"`{func}`: nrank = {nrank} is too large for nsim = {nsim}.")


@dataclass(frozen=True)
class _Envelope:
    """A CSR envelope (all None / NaN without simulations)."""

    lo: np.ndarray | None = None
    hi: np.ndarray | None = None
    mean_sim: np.ndarray | None = None
    sims: np.ndarray | None = None
    alpha: float = math.nan
    p_mad: float = math.nan


def _simulate_envelope(
    function: str,
    ctx: _Context,
    br: Breaks,
    primary: str,
    n: int,
    *,
    nsim: int,
    nrank: int,
    envelope: str,
    theo: np.ndarray,
    observed: np.ndarray,
    rng,
    progress,
) -> _Envelope:
    """``nsim`` CSR patterns of ``n`` points in the window; pointwise or global limits."""
    from tqdm.auto import tqdm

    est_fn = _ESTIMATORS[function]
    gen = ensure_rng(rng)
    sims = np.empty((nsim, len(br.r)))
    for s in tqdm(
        range(nsim),
        desc=f"{function} envelope",
        leave=False,
        disable=None if progress is None else not progress,
    ):
        sim_xy = _sample(ctx.window, n, gen)
        sims[s] = _transform(function, est_fn(sim_xy, ctx, br, (primary,))[primary])
    with warnings.catch_warnings():
        # distances where no simulated pattern has an estimate (border: no point that far
        # inside the window) stay NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        mean_sim = np.nanmean(sims, axis=0)
    if envelope == "pointwise":
        srt = np.sort(sims, axis=0)
        return _Envelope(
            srt[nrank - 1], srt[nsim - nrank], mean_sim, sims, alpha=2 * nrank / (nsim + 1)
        )
    dev = np.nanmax(np.abs(sims - theo), axis=1)
    dcrit = np.sort(dev)[::-1][nrank - 1]
    obs_dev = np.nanmax(np.abs(observed - theo))
    return _Envelope(
        theo - dcrit,
        theo + dcrit,
        mean_sim,
        sims,
        alpha=nrank / (nsim + 1),
        p_mad=float((1 + np.sum(dev >= obs_dev)) / (nsim + 1)),
    )


def _tidy_frame(
    function: str,
    rvals: np.ndarray,
    corrs: tuple,
    estimates: dict,
    theo: np.ndarray,
    env: _Envelope,
) -> pd.DataFrame:
    """One row per (r, correction); the envelope columns filled for the first correction."""
    rows = []
    for c in corrs:
        df = pd.DataFrame(
            {
                "function": function,
                "r_m": rvals,
                "correction": c,
                "estimate": estimates[c],
                "theoretical": theo,
            }
        )
        is_main = c == corrs[0] and env.sims is not None
        df["lo"] = env.lo if is_main else np.nan
        df["hi"] = env.hi if is_main else np.nan
        df["mean_sim"] = env.mean_sim if is_main else np.nan
        rows.append(df)
    return pd.concat(rows, ignore_index=True)


def k_function(points, **kwargs) -> RipleyResult:
    """Ripley's K (m²); see :func:`distance_function`."""
    return distance_function(points, function="K", **kwargs)


def l_function(points, **kwargs) -> RipleyResult:
    """Besag's L = sqrt(K / pi) (m); see :func:`distance_function`."""
    return distance_function(points, function="L", **kwargs)


def g_function(points, **kwargs) -> RipleyResult:
    """Nearest-neighbour distance distribution G; see :func:`distance_function`."""
    return distance_function(points, function="G", **kwargs)


def f_function(points, **kwargs) -> RipleyResult:
    """Empty-space distance distribution F; see :func:`distance_function`."""
    return distance_function(points, function="F", **kwargs)


# --------------------------------------------------------------------------- ArcGIS summary


@dataclass(frozen=True)
class MultiDistanceResult(ResultMixin):
    """ArcGIS-style *Multi-Distance Spatial Cluster Analysis* table.

    Columns of ``table``: ``distance_m``, ``expected_L`` (= d), ``observed_L``, ``diff_L``
    (observed - expected), ``lo_env``, ``hi_env``, ``pattern`` (clustered / dispersed /
    not significant against the envelope). ArcGIS calls them ExpectedK, ObservedK, DiffK,
    LwConfEnv, HiConfEnv.
    """

    max_clustering_distance_m: float
    max_diff_L_m: float  # noqa: N815 - L is the statistic's name (public field)
    significant_at_max: bool
    n: int
    area_m2: float
    area_method: str
    correction: str
    nsim: int
    envelope: str | None
    crs: str
    seed: Any = None
    table: pd.DataFrame = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The table of L(d) per distance band."""
        return self.table.copy()

    def summary(self) -> str:
        """A few lines: the distance of maximum clustering and where L(d) leaves the envelope."""
        t = self.table
        clustered = t.loc[t["pattern"] == "clustered", "distance_m"]
        lines = [
            f"Multi-distance L(d), {len(t)} distances {t['distance_m'].iloc[0]:,.0f}-"
            f"{t['distance_m'].iloc[-1]:,.0f} m, correction {self.correction}, n = {self.n}, "
            f"area {self.area_m2 / 1e6:,.3f} km² ({self.area_method})",
            f"Maximum clustering (largest L(d) - d = {self.max_diff_L_m:,.1f} m) at "
            f"d = {self.max_clustering_distance_m:,.0f} m"
            + (
                ""
                if not self.nsim
                else (
                    ", outside the CSR envelope"
                    if self.significant_at_max
                    else ", inside the CSR envelope (not significant)"
                )
            ),
        ]
        if self.nsim:
            lines.append(
                "Clustered beyond the envelope at "
                + (
                    ", ".join(f"{d:,.0f}" for d in clustered) + " m"
                    if len(clustered)
                    else "no distance"
                )
            )
        return "\n".join(lines)


def multi_distance(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    n_bands: int = 10,
    start: float | None = None,
    increment: float | None = None,
    boundary: Any = None,
    area: str | None = None,
    correction: str = "none",
    nsim: int = 99,
    envelope: str = "pointwise",
    duplicates: str = "raise",
    rng: int | np.random.Generator | None = None,
    progress: bool | None = None,
) -> MultiDistanceResult:
    """ArcGIS *Multi-Distance Spatial Cluster Analysis (Ripley's K)*: L(d) at distance bands.

    Parameters
    ----------
    n_bands
        Number of distances (ArcGIS default 10).
    start, increment
        First distance and step in metres. Defaults as ArcGIS (ESRI's ``KFunction.py``): the
        largest distance is a quarter of the longer side of the window's minimum-area
        rectangle, ``increment = (largest - start) / n_bands`` and ``start = increment``.
    correction
        ``"none"`` (ArcGIS default "NONE": ``L(d) = sqrt(A sum k_ij / (pi n (n - 1)))``),
        ``"border"``, ``"isotropic"`` or ``"translate"``. ArcGIS's "Ripley's edge correction
        formula" is an approximation from the distances to the nearest two boundary edges;
        ``"isotropic"`` is the exact circle-in-window fraction (spatstat), so the two differ
        near corners and irregular boundaries.
    nsim
        CSR simulations in the window for the confidence envelope (ArcGIS: 0, 9, 99 or 999;
        we default to 99 so that significance is visible).

    Other Parameters
    ----------------
    boundary, area, envelope, duplicates, rng
        As in :func:`distance_function`.
    """
    func = "multi_distance"
    if n_bands < 1:
        raise OptionError(f"`{func}`: `n_bands` must be at least 1; got {n_bands}.")
    prepare_pattern(points, duplicates=duplicates, func=func, min_n=3)  # fail early
    window = study_area(points, area=area, boundary=boundary, func=func)
    window.require_geometry(f"`{func}`")
    if increment is None:
        # ArcGIS: 25 % of the longer side of the minimum-area rectangle (RECTANGLE_BY_AREA)
        mrr = np.asarray(shapely.minimum_rotated_rectangle(window.geometry).exterior.coords)
        sides = np.hypot(*np.diff(mrr, axis=0).T)
        largest = 0.25 * float(sides.max())
        increment = (largest - (start or 0.0)) / n_bands
    if start is None:
        start = increment
    if not (start > 0 and increment > 0):
        raise OptionError(f"`{func}`: `start` and `increment` must be positive metres.")
    d = start + increment * np.arange(n_bands)
    res = distance_function(
        points,
        function="L",
        boundary=boundary,
        area=area,
        r=np.concatenate([[0.0], d]),
        correction=correction,
        nsim=nsim,
        envelope=envelope,
        duplicates=duplicates,
        rng=rng,
        progress=progress,
    )
    m = res.frame[res.frame["correction"] == res.correction].iloc[1:]
    obs = m["estimate"].to_numpy()
    table = pd.DataFrame(
        {
            "distance_m": d,
            "expected_L": d,
            "observed_L": obs,
            "diff_L": obs - d,
            "lo_env": m["lo"].to_numpy(),
            "hi_env": m["hi"].to_numpy(),
        }
    )
    pattern = np.where(
        obs > table["hi_env"],
        "clustered",
        np.where(obs < table["lo_env"], "dispersed", "not significant"),
    )
    table["pattern"] = pattern if nsim else "no envelope"
    k = int(np.nanargmax(table["diff_L"]))
    return MultiDistanceResult(
        max_clustering_distance_m=float(d[k]),
        max_diff_L_m=float(table["diff_L"].iloc[k]),
        significant_at_max=bool(nsim and pattern[k] == "clustered"),
        n=res.n,
        area_m2=res.area_m2,
        area_method=res.area_method,
        correction=res.correction,
        nsim=res.nsim,
        envelope=res.envelope,
        crs=res.crs,
        seed=res.seed,
        table=table,
    )
