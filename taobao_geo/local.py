"""Local spatial autocorrelation: Local Moran (LISA) clusters and Getis–Ord Gi* hot spots.

*Question: where are the significant clusters of units with many (HH) or few (LL) Taobao
villages, and which units are outliers (HL, LH)?* -- :func:`local_moran`.
*Question: where are the statistically significant hot and cold spots?* -- :func:`getis_ord`.

Both return a result whose ``.gdf`` is a copy of the input units (same index and CRS) with tidy
columns, plus the settings used (alpha, adjust, permutations, seed, alternative), so a map
or a table can always say what was tested.

Inference
---------
* ``inference="permutation"`` (Local Moran default; GeoDa, esda, ArcGIS's Cluster and Outlier
  Analysis): conditional permutation, see :mod:`taobao_geo._stats.pvalues` for the exact
  p-value definitions (``alternative``: two-sided (default), greater, less or folded = esda/GeoDa
  ``p_sim``).
* ``inference="analytic"`` (Gi* default, as ArcGIS's Hot Spot Analysis and spdep): normal
  p-values of the analytic z-scores.
* ``adjust`` (multiple-testing adjustment, as R ``p.adjust``): ``None`` (ArcGIS and GeoDa
  defaults), ``"fdr"`` (Benjamini–Hochberg, ArcGIS's FDR option) or ``"bonferroni"``; the labels
  are computed from the adjusted p-values (column ``p_adj``), and the number of significant units
  is reported. ``correction=`` is the deprecated old name (``correction`` means the *edge*
  correction in NNI and Ripley).
* ``graph``: the spatial weights (``weights=`` is the deprecated old name; ``weights`` means
  point weights in density and centrography).

A unit is significant when its (adjusted) p-value is ``<= alpha``: the package's one rule,
:func:`taobao_geo._stats.pvalues.is_significant`, also used by the briefing.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._deprecation import renamed_keywords, warn_renamed
from ._errors import OptionError
from ._results import ResultMixin
from ._stats.permutation import conditional_lag_counts
from ._stats.pvalues import (
    ADJUSTMENTS,
    ALTERNATIVES,
    adjust_p,
    fdr_cutoff,
    is_significant,
    normal_p,
    perm_p,
)
from ._validate import check_choice, ensure_rng, row_list, seed_label
from ._vocab import GI_BIN_COLOURS as GI_BIN_COLORS
from ._vocab import GI_BIN_LABELS, ISLAND, QUADRANTS
from ._vocab import LISA_VALUE_COLOURS as LISA_COLORS
from ._vocab import NOT_SIGNIFICANT as NOT_SIG
from .autocorrelation import prepare

__all__ = [
    "LocalMoranResult",
    "HotspotResult",
    "local_moran",
    "getis_ord",
    "QUADRANTS",
    "LISA_COLORS",
    "GI_BIN_LABELS",
]


def _check_common(alternative, adjust, alpha, permutations, inference, func):
    check_choice(alternative, ALTERNATIVES, name="alternative", func=func)
    if adjust not in ADJUSTMENTS:
        raise OptionError(
            f"`{func}`: `adjust` (the multiple-testing correction) must be one of {ADJUSTMENTS}; "
            f"got {adjust!r}."
        )
    check_choice(inference, ("permutation", "analytic"), name="inference", func=func)
    if not 0 < alpha < 1:
        raise OptionError(f"`{func}`: `alpha` must be in (0, 1); got {alpha}.")
    if int(permutations) < 0:
        raise OptionError(f"`{func}`: `permutations` must be >= 0; got {permutations}.")
    if inference == "permutation" and int(permutations) == 0:
        raise OptionError(
            f"`{func}`: inference='permutation' needs permutations > 0; use inference='analytic' "
            "for normal p-values only."
        )


def _output(data, pr, cols: dict, label_col: str, labels, fill_label):
    """Copy of the input with the new columns; units dropped as islands get ``fill_label``."""
    out = data.to_frame(name=pr.column) if isinstance(data, pd.Series) else data.copy()
    pos = out.index.get_indexer(pr.ids)
    for name, values in cols.items():
        values = np.asarray(values)
        if values.dtype.kind in "fc":
            full = np.full(len(out), np.nan)
        elif values.dtype.kind in "iub":
            full = np.zeros(len(out), dtype=values.dtype)
        else:
            full = np.full(len(out), None, dtype=object)
        full[pos] = values
        out[name] = full
    lab = np.full(len(out), fill_label, dtype=object)
    lab[pos] = labels
    out[label_col] = lab
    return out


@dataclass(frozen=True)
class LocalMoranResult(ResultMixin):
    """Local Moran's I per unit and the settings used.

    ``gdf`` columns: ``lisa_I`` (I_i), ``lisa_E``/``lisa_var``/``lisa_z``/``p_norm`` (analytic
    moments as spdep ``localmoran``, conditional or total randomisation), ``p_sim`` and
    ``z_sim`` (permutation; ``None``-free only when permutations > 0), ``n_neighbours``,
    ``quadrant`` (HH/LH/LL/HL whatever the significance), ``p`` (the p-value used), ``p_adj``
    (after ``adjust``), ``significant`` and ``cluster`` (quadrant if significant, else
    "not significant"; "island (no neighbours)" for dropped islands).
    """

    gdf: object = field(repr=False)
    column: str
    n: int
    alpha: float
    adjust: str | None
    alternative: str
    inference: str
    permutations: int
    seed: int | str
    transform: str
    conditional: bool
    weights_kind: str
    counts: dict
    n_significant: int
    fdr_threshold: float | None
    dropped: tuple = ()
    notes: tuple = ()

    @property
    def correction(self) -> str | None:
        """Deprecated alias of :attr:`adjust` (the multiple-testing adjustment)."""
        warn_renamed(f"`{type(self).__name__}.correction`", "`.adjust`")
        return self.adjust

    def to_frame(self):
        return self.gdf

    def plot(self, ax=None):
        """Static LISA cluster map (matplotlib, imported here); returns the Axes."""
        return _plot_classes(
            self.gdf,
            "cluster",
            LISA_COLORS,
            ax,
            f"LISA clusters of {self.column} (alpha {self.alpha})",
        )

    def summary(self) -> str:
        c = self.counts
        how = (
            f"conditional permutation ({self.permutations} permutations, seed {self.seed})"
            if self.inference == "permutation"
            else "analytic normal approximation"
        )
        corr = {
            None: "no multiple-testing correction",
            "fdr": "Benjamini–Hochberg FDR",
            "bonferroni": "Bonferroni",
        }[self.adjust]
        lines = [
            f"Local Moran (LISA) of {self.column!r} over {self.n} units ({self.weights_kind} "
            f"weights, transform {self.transform!r}); p from {how}, {self.alternative}; "
            f"alpha {self.alpha} with {corr}.",
            f"{self.n_significant} significant units: HH {c.get('HH', 0)}, LL {c.get('LL', 0)}, "
            f"HL {c.get('HL', 0)}, LH {c.get('LH', 0)}; not significant {c.get(NOT_SIG, 0)}.",
        ]
        if self.dropped:
            lines.append(f"{len(self.dropped)} island(s) left out: {row_list(self.dropped)}.")
        lines.extend(self.notes)
        return "\n".join(lines)

    def cluster_units(self, label: str = "HH") -> pd.DataFrame:
        """Rows of ``gdf`` in one cluster class (e.g. ``"HH"``), strongest first."""
        g = self.gdf
        return g[g["cluster"] == label].sort_values("lisa_I", ascending=False)


@dataclass(frozen=True)
class HotspotResult(ResultMixin):
    """Getis–Ord Gi* (or Gi) per unit and the settings used.

    ``gdf`` columns: ``gi`` (G_i* as a share of the total), ``gi_z`` (analytic z, Getis & Ord
    1992 / Ord & Getis 1995, = spdep ``localG`` = ArcGIS GiZScore), ``gi_p`` (normal p of
    ``gi_z``, ArcGIS GiPValue), ``gi_p_sim``/``gi_z_sim`` (permutation, if any), ``p`` (the one
    used), ``p_adj``, ``n_neighbours`` (ArcGIS NNeighbors, self included for Gi*), ``gi_bin``
    (−3…+3 as ArcGIS Gi_Bin: 99/95/90 % confidence, sign of z) and ``gi_label``.
    """

    gdf: object = field(repr=False)
    column: str
    n: int
    star: bool
    alpha: float
    adjust: str | None
    alternative: str
    inference: str
    permutations: int
    seed: int | str
    transform: str
    weights_kind: str
    bins: dict
    n_hot: int
    n_cold: int
    dropped: tuple = ()
    notes: tuple = ()

    @property
    def correction(self) -> str | None:
        """Deprecated alias of :attr:`adjust` (the multiple-testing adjustment)."""
        warn_renamed(f"`{type(self).__name__}.correction`", "`.adjust`")
        return self.adjust

    def to_frame(self):
        return self.gdf

    def plot(self, ax=None):
        """Static Gi* confidence-bin map (matplotlib, imported here); returns the Axes."""
        colors = {GI_BIN_LABELS[k]: v for k, v in GI_BIN_COLORS.items()}
        colors[ISLAND] = LISA_COLORS[ISLAND]
        return _plot_classes(
            self.gdf, "gi_label", colors, ax, f"Gi* hot and cold spots of {self.column}"
        )

    def summary(self) -> str:
        b = self.bins
        how = (
            f"conditional permutation ({self.permutations} permutations, seed {self.seed})"
            if self.inference == "permutation"
            else "analytic z-scores"
        )
        corr = {
            None: "no correction",
            "fdr": "FDR (Benjamini–Hochberg) per confidence level",
            "bonferroni": "Bonferroni",
        }[self.adjust]
        name = "Gi*" if self.star else "Gi"
        lines = [
            f"Getis–Ord {name} of {self.column!r} over {self.n} units ({self.weights_kind} "
            f"weights, {self.transform!r}); p from {how}, {self.alternative}; {corr}.",
            f"Hot spots: {self.n_hot} (99% {b.get(3, 0)}, 95% {b.get(2, 0)}, 90% {b.get(1, 0)}); "
            f"cold spots: {self.n_cold} (99% {b.get(-3, 0)}, 95% {b.get(-2, 0)}, 90% {b.get(-1, 0)}).",
        ]
        if self.dropped:
            lines.append(f"{len(self.dropped)} island(s) left out: {row_list(self.dropped)}.")
        lines.extend(self.notes)
        return "\n".join(lines)


def _plot_classes(gdf, column, colors, ax, title):
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    present = [c for c in colors if (gdf[column] == c).any()]
    for label in present:
        gdf[gdf[column] == label].plot(ax=ax, color=colors[label], edgecolor="white", linewidth=0.2)
    ax.legend(
        handles=[Patch(color=colors[c], label=c) for c in present],
        loc="lower left",
        fontsize=8,
        frameon=False,
    )
    ax.set_title(title)
    ax.set_axis_off()
    return ax


def _resolution_notes(inference, permutations, alternative, adjust, alpha, n) -> tuple:
    """Warn when the permutation p-value floor makes corrected significance (nearly) impossible."""
    if inference != "permutation" or adjust is None:
        return ()
    floor = (2.0 if alternative == "two-sided" else 1.0) / (permutations + 1)
    if floor <= alpha / n:
        return ()
    need = int(np.ceil((2.0 if alternative == "two-sided" else 1.0) * n / alpha))
    if adjust == "bonferroni":
        what = (
            f"Bonferroni over {n} units needs p <= {alpha / n:.2g}, so no unit can be significant"
        )
    else:
        k = int(np.ceil(floor * n / alpha))
        what = (
            f"with FDR over {n} units a unit at that p is significant only if at least {k} "
            "units reach it"
        )
    note = (
        f"Note: the smallest attainable permutation p is {floor:.2g}; {what}. Use at least "
        f"{need:,} permutations or inference='analytic'."
    )
    # 4: this helper, the statistic, its keyword-rename wrapper, then the caller's line
    warnings.warn(note, UserWarning, stacklevel=4)
    return (note,)


@renamed_keywords(weights="graph", correction="adjust")
def local_moran(
    data,
    *,
    column: str | None = None,
    graph,
    transform: str = "r",
    permutations: int = 999,
    alternative: str = "two-sided",
    alpha: float = 0.05,
    adjust: str | None = None,
    inference: str = "permutation",
    conditional: bool = True,
    rng: int | np.random.Generator | None = None,
    progress: bool | None = None,
) -> LocalMoranResult:
    """Local Moran's I (Anselin 1995) with quadrant labels and corrected significance.

    ``I_i = (z_i / m2) · Σ_j w_ij z_j`` with ``z = x − mean(x)`` and ``m2 = Σ z² / n``
    (spdep ``localmoran`` with ``mlvar=TRUE``; esda's ``Is`` uses ``m2 = Σ z²/(n − 1)``, i.e.
    esda I_i = I_i · n/(n − 1); p-values are unaffected). With row-standardised weights
    ``mean(I_i) = I`` (global Moran).

    Parameters
    ----------
    data
        Units with ``column`` (or a Series) indexed like the weights.
    column
        Numeric column, e.g. ``"count"`` or ``"density_km2"``.
    graph
        Spatial weights: :class:`~taobao_geo.weights.SpatialWeights` or libpysal ``Graph``
        (``weights=`` is the deprecated old name).
    transform
        ``"r"`` (default, row-standardised as GeoDa/esda/spdep "W"), ``"b"`` or ``"none"``.
    permutations
        Conditional permutations (default 999, GeoDa/esda; ArcGIS uses 499). 0 = none.
    alternative
        ``"two-sided"`` (default), ``"greater"`` (positive local autocorrelation),
        ``"less"``, or ``"folded"`` (esda/GeoDa ``p_sim``).
    alpha
        Significance level for the cluster labels (default 0.05).
    adjust
        Multiple-testing adjustment: ``None``, ``"fdr"`` or ``"bonferroni"`` (applied to the
        p-values used for labels). ``correction=`` is the deprecated old name.
    inference
        ``"permutation"`` (default) or ``"analytic"`` (spdep ``localmoran`` normal p).
    conditional
        Analytic moments under conditional randomisation (spdep default, Sokal et al. 1998) or
        total randomisation (``False``; Anselin 1995).
    rng
        Seed or Generator (same seed, same p-values).
    progress
        Progress bar over chunks (``None``: only on a terminal).

    Returns
    -------
    LocalMoranResult

    Examples
    --------
    >>> from taobao_geo import datasets
    >>> from taobao_geo.projection import to_projected
    >>> from taobao_geo.units import aggregate
    >>> from taobao_geo.weights import build_graph
    >>> pts = to_projected(datasets.load("caoxian_villages_simulated"))
    >>> cells = aggregate(pts, "fishnet", size_m=3000, boundary=datasets.load("caoxian_boundary"))
    >>> lm = local_moran(cells, column="count", graph=build_graph(cells, kind="queen"), rng=42)
    >>> lm.counts["HH"], lm.n_significant
    (6, 12)

    Raises
    ------
    InputDataError, TooFewPointsError, AlignmentError, IslandError
        As :func:`taobao_geo.autocorrelation.moran`.
    """
    func = "local_moran"
    _check_common(alternative, adjust, alpha, permutations, inference, func)
    permutations = int(permutations)
    pr = prepare(data, column=column, graph=graph, transform=transform, func=func)
    x, w = pr.x, pr.w
    n = len(x)
    z = x - x.mean()
    m2 = float(z @ z) / n
    lag = w @ z
    li = z / m2 * lag
    wi = np.asarray(w.sum(axis=1)).ravel()
    wi2 = np.asarray(w.multiply(w).sum(axis=1)).ravel()
    if conditional:
        e_i = -(z**2 * wi) / ((n - 1) * m2)
        v_i = (z / m2) ** 2 * (n / (n - 2)) * (wi2 - wi**2 / (n - 1)) * (m2 - z**2 / (n - 1))
    else:
        b2 = (z**4).sum() / n / m2**2
        a_ = (n - b2) / (n - 1)
        b_ = (2 * b2 - n) / ((n - 1) * (n - 2))
        e_i = -wi / (n - 1)
        v_i = a_ * wi2 + b_ * (wi**2 - wi2) - e_i**2
    with np.errstate(divide="ignore", invalid="ignore"):
        z_i = (li - e_i) / np.sqrt(v_i)  # z_i = 0 (value at the mean) gives 0/0: p = 1 below
    z_i = np.where(np.isfinite(z_i), z_i, 0.0)
    alt_a = "two-sided" if alternative == "folded" else alternative
    p_norm = normal_p(z_i, alt_a)
    cols = {"lisa_I": li, "lisa_E": e_i, "lisa_var": v_i, "lisa_z": z_i, "p_norm": p_norm}
    if permutations:
        gen = ensure_rng(rng)
        _, n_ge_s, n_le_s, mean_s, sd_s = conditional_lag_counts(
            z, w, permutations=permutations, rng=gen, progress=progress
        )
        a = z / m2  # I_i = a_i · lag_i
        n_ge = np.where(a > 0, n_ge_s, np.where(a < 0, n_le_s, permutations))
        n_le = np.where(a > 0, n_le_s, np.where(a < 0, n_ge_s, permutations))
        p_sim = perm_p(n_ge, n_le, permutations, alternative)
        e_sim = a * mean_s
        sd_sim = np.abs(a) * sd_s
        with np.errstate(divide="ignore", invalid="ignore"):
            z_sim = np.where(sd_sim > 0, (li - e_sim) / sd_sim, 0.0)
        cols.update(p_sim=p_sim, z_sim=z_sim, E_sim=e_sim)
    p_used = cols["p_sim"] if inference == "permutation" else p_norm
    p_adj = adjust_p(p_used, adjust)
    sig = is_significant(p_adj, alpha)
    hi = z > 0
    lhi = lag > 0
    quad = np.where(hi & lhi, "HH", np.where(~hi & lhi, "LH", np.where(~hi & ~lhi, "LL", "HL")))
    cluster = np.where(sig, quad, NOT_SIG)
    cols.update(
        n_neighbours=np.diff(w.indptr).astype(np.int64),
        quadrant=quad.astype(object),
        p=p_used,
        p_adj=p_adj,
        significant=sig,
    )
    out = _output(data, pr, cols, "cluster", cluster.astype(object), ISLAND)
    counts = pd.Series(cluster).value_counts().to_dict()
    return LocalMoranResult(
        gdf=out,
        column=pr.column,
        n=n,
        alpha=alpha,
        adjust=adjust,
        alternative=alternative,
        inference=inference,
        permutations=permutations,
        seed=seed_label(rng),
        transform=transform,
        conditional=conditional,
        weights_kind=pr.weights_kind,
        counts={k: int(v) for k, v in counts.items()},
        n_significant=int(sig.sum()),
        fdr_threshold=fdr_cutoff(p_used, alpha) if adjust == "fdr" else None,
        dropped=pr.dropped,
        notes=_resolution_notes(inference, permutations, alternative, adjust, alpha, n),
    )


@renamed_keywords(weights="graph", correction="adjust")
def getis_ord(
    data,
    *,
    column: str | None = None,
    graph,
    star: bool = True,
    transform: str = "b",
    self_weight: float | None = None,
    permutations: int = 0,
    alternative: str = "two-sided",
    alpha: float = 0.05,
    adjust: str | None = None,
    inference: str = "analytic",
    rng: int | np.random.Generator | None = None,
    progress: bool | None = None,
) -> HotspotResult:
    """Getis–Ord local Gi* (default) or Gi hot-spot statistics with ArcGIS-style bins.

    For Gi* (``star=True``) the unit itself is included with weight ``self_weight`` and::

        G*_i = Σ_j w_ij x_j / Σ_j x_j,   x̄ = mean(x),   s² = Σ(x − x̄)²/n,
        W_i = Σ_j w_ij,  S1_i = Σ_j w_ij²,
        z_i = (Σ_j w_ij x_j − W_i x̄) / √( s² (n S1_i − W_i²) / (n − 1) )

    which is ArcGIS's GiZScore and spdep ``localG(x, nb2listw(include.self(nb), style="B"))``.
    The z-score is the same with row-standardised weights (it is scale-invariant per row), but
    esda's ``G_Local(transform="R")`` analytic ``Zs`` are *not* (its variance assumes binary
    weights), so the default here is binary weights and the formula above.

    Parameters
    ----------
    data, column, graph
        As :func:`local_moran`. ``x`` should be non-negative counts or densities.
    star
        Gi* (self included, default, ArcGIS/most papers) or Gi (self excluded).
    transform
        ``"b"`` (binary, default), ``"r"`` or ``"none"`` (distance/kernel weights as built).
    self_weight
        Weight of the unit itself in Gi*. ``None``: 1 with binary or row-standardised weights
        (ArcGIS, spdep ``include.self``); with ``transform="none"`` (inverse distance, kernel)
        the largest weight in the unit's row, as esda, so the unit counts as much as its
        closest neighbour.
    permutations
        Conditional permutations for ``gi_p_sim`` (default 0 = analytic only, as ArcGIS).
    alternative
        ``"two-sided"`` (default, ArcGIS), ``"greater"`` (hot spots), ``"less"`` or ``"folded"``.
    alpha
        Reported significance level; the bins always use 0.10 / 0.05 / 0.01.
    adjust
        ``None`` (ArcGIS Hot Spot Analysis default), ``"fdr"`` (ArcGIS "Apply FDR correction",
        Optimized Hot Spot Analysis) or ``"bonferroni"``; bins use adjusted p-values.
        ``correction=`` is the deprecated old name.
    inference
        ``"analytic"`` (default) or ``"permutation"`` (needs permutations > 0).
    rng, progress
        As :func:`local_moran`.

    Returns
    -------
    HotspotResult
    """
    func = "getis_ord"
    _check_common(alternative, adjust, alpha, permutations, inference, func)
    permutations = int(permutations)
    pr = prepare(data, column=column, graph=graph, transform=transform, func=func)
    x, w = pr.x, pr.w  # w has no self-loops
    n = len(x)
    if star:
        if transform == "r":
            # row-standardise the graph *with* the self weight included (as spdep include.self + W)
            raw = prepare(data, column=column, graph=graph, transform="b", func=func).w
            ws = (raw + sp.identity(n) * (1.0 if self_weight is None else self_weight)).tocsr()
            rs = np.asarray(ws.sum(axis=1)).ravel()
            ws = (sp.diags(1.0 / rs) @ ws).tocsr()
        else:
            if self_weight is None:
                # binary: 1 (ArcGIS, spdep include.self); other weights: the row's largest weight
                # (esda's convention), so the unit counts as much as its closest neighbour
                self_diag = (
                    np.ones(n) if transform == "b" else np.maximum.reduceat(w.data, w.indptr[:-1])
                )
            else:
                self_diag = np.full(n, float(self_weight))
            ws = (w + sp.diags(self_diag)).tocsr()
        wself = ws.diagonal()
        wo = (ws - sp.diags(ws.diagonal())).tocsr()
        wo.eliminate_zeros()
        xbar = np.full(n, x.mean())
        s2 = np.full(n, ((x - x.mean()) ** 2).sum() / n)
        wi = np.asarray(ws.sum(axis=1)).ravel()
        s1 = np.asarray(ws.multiply(ws).sum(axis=1)).ravel()
        num = ws @ x - wi * xbar
        var = s2 * (n * s1 - wi**2) / (n - 1)
        total = np.full(n, x.sum())
    else:
        ws = wo = w
        wself = np.zeros(n)
        xbar = (x.sum() - x) / (n - 1)
        s2 = (np.sum(x**2) - x**2) / (n - 1) - xbar**2
        wi = np.asarray(w.sum(axis=1)).ravel()
        s1 = np.asarray(w.multiply(w).sum(axis=1)).ravel()
        num = w @ x - wi * xbar
        var = s2 * ((n - 1) * s1 - wi**2) / (n - 2)
        total = x.sum() - x
    with np.errstate(divide="ignore", invalid="ignore"):
        gz = num / np.sqrt(var)
        gval = (ws @ x) / total
    gz = np.where(np.isfinite(gz), gz, 0.0)
    alt_a = "two-sided" if alternative == "folded" else alternative
    gp = normal_p(gz, alt_a)
    cols = {"gi": gval, "gi_z": gz, "gi_p": gp}
    if permutations:
        gen = ensure_rng(rng)
        # G_i = (w_ii x_i + lag_i) / total: increasing in the permuted neighbour lag
        _, n_ge, n_le, mean_s, sd_s = conditional_lag_counts(
            x, wo, permutations=permutations, rng=gen, progress=progress
        )
        p_sim = perm_p(n_ge, n_le, permutations, alternative)
        with np.errstate(divide="ignore", invalid="ignore"):
            obs_lag = wo @ x
            z_sim = np.where(sd_s > 0, (obs_lag - mean_s) / sd_s, 0.0)
        cols.update(gi_p_sim=p_sim, gi_z_sim=z_sim)
    p_used = cols["gi_p_sim"] if inference == "permutation" else gp
    sign = np.sign(gz) if inference == "analytic" else np.sign(cols["gi_z_sim"])
    # bins from adjusted p: BH-adjusted p <= level is exactly BH at that level (ArcGIS FDR)
    p_adj = adjust_p(p_used, adjust)
    level = np.select([is_significant(p_adj, a) for a in (0.01, 0.05, 0.10)], [3, 2, 1], 0)
    gbin = (sign * level).astype(np.int64)
    labels = np.array([GI_BIN_LABELS[int(b)] for b in gbin], dtype=object)
    card = np.diff(ws.tocsr().indptr).astype(np.int64)
    cols.update(
        p=p_used,
        p_adj=p_adj,
        significant=is_significant(p_adj, alpha),
        n_neighbours=card,
        gi_bin=gbin,
    )
    out = _output(data, pr, cols, "gi_label", labels, ISLAND)
    bins = pd.Series(gbin).value_counts().to_dict()
    return HotspotResult(
        gdf=out,
        column=pr.column,
        n=n,
        star=star,
        alpha=alpha,
        adjust=adjust,
        alternative=alternative,
        inference=inference,
        permutations=permutations,
        seed=seed_label(rng),
        transform=transform,
        weights_kind=pr.weights_kind,
        bins={int(k): int(v) for k, v in bins.items()},
        n_hot=int((gbin > 0).sum()),
        n_cold=int((gbin < 0).sum()),
        dropped=pr.dropped,
        notes=_resolution_notes(inference, permutations, alternative, adjust, 0.10, n),
    )
