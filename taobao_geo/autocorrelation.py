"""Global spatial autocorrelation: Moran's I, Geary's C, Getis–Ord General G, and incremental
spatial autocorrelation (Moran's I over distance bands).

*Question: are units with many Taobao villages next to units with many villages, across the
whole study area?*

All three statistics give the analytic moments (normality and randomisation assumptions, as
spdep ``moran.test`` / ``geary.test`` / ``globalG.test``) and a permutation test with an
explicit ``rng``. ``alternative`` is always explicit:

==========  ==================================  ==========================================
tool        default alternative                 this package
==========  ==================================  ==========================================
spdep       ``"greater"`` (one-sided)           ``alternative="greater"`` reproduces it
esda        two-sided ``p_norm``/``p_rand``,    ``"two-sided"`` (default) / ``"folded"``
            folded ``p_sim``
ArcGIS      two-sided                           ``"two-sided"``
==========  ==================================  ==========================================

For Geary's C the z-score follows spdep: ``z = (E[C] − C) / √Var[C]``, positive for positive
autocorrelation (C < 1), and ``"greater"`` tests positive autocorrelation. esda's Geary
``z_norm`` has the opposite sign.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._deprecation import renamed_keywords, warn_renamed
from ._errors import DegenerateDataError, InputDataError, IslandError, OptionError
from ._results import ResultMixin
from ._stats.pvalues import ALTERNATIVES, count_extremes, is_significant, normal_p, perm_p
from ._validate import (
    check_choice,
    ensure_aligned,
    ensure_min_n,
    ensure_numeric,
    ensure_rng,
    row_list,
    seed_label,
)
from .weights import SpatialWeights, as_sparse, build_graph

__all__ = [
    "GlobalResult",
    "IncrementalResult",
    "TRANSFORMS",
    "prepare",
    "moran",
    "geary",
    "general_g",
    "incremental_moran",
]

TRANSFORMS = ("r", "b", "none")
_SYMBOLS = {"Moran's I": "I", "Geary's C": "C", "General G": "G"}


# --------------------------------------------------------------------------------------------
# shared preparation


@dataclass(frozen=True)
class Prepared:
    """Values aligned with a weights matrix (internal)."""

    ids: pd.Index
    x: np.ndarray
    w: sp.csr_matrix  # transformed, no self-loops, n × n in the order of ids
    dropped: tuple
    transform: str
    weights_kind: str
    column: str


def _values(data, column, func):
    if isinstance(data, pd.DataFrame):
        if column is None:
            raise InputDataError(
                f"`{func}`: give `column=` (the numeric column to analyse, e.g. 'count')."
            )
        return ensure_numeric(data, column, func=func), data.index, column
    if isinstance(data, pd.Series):
        return ensure_numeric(data, func=func), data.index, str(data.name or "value")
    raise InputDataError(
        f"`{func}`: data must be a (Geo)DataFrame with `column=` or a pandas Series; "
        f"got {type(data).__name__}."
    )


@renamed_keywords(weights="graph")
def prepare(data, *, column=None, graph, transform="r", func="prepare"):
    """Validate values and spatial weights and align them (shared by global and local statistics).

    ``graph`` is a :class:`~taobao_geo.weights.SpatialWeights` or libpysal ``Graph``
    (``weights=`` is its deprecated old name). Units dropped by the graph's island policy are
    removed (and reported); every other mismatch between the data index and the graph ids
    raises :class:`AlignmentError`.
    """
    check_choice(transform, TRANSFORMS, name="transform", func=func)
    x, index, name = _values(data, column, func)
    mat, gids = as_sparse(graph)
    dropped = tuple(graph.dropped) if isinstance(graph, SpatialWeights) else ()
    if dropped:
        keep = ~index.isin(list(dropped))
        x, index = x[keep], index[keep]
    ensure_aligned(index, gids, left_name="data", right_name="weights", func=func)
    ensure_min_n(len(x), 3, what="units", func=func)
    if np.ptp(x) == 0:
        # the data cannot support the statistic (a step to skip), not a caller's mistake
        raise DegenerateDataError(
            f"`{func}`: {name!r} has the same value ({x[0]:g}) in all {len(x)} units, so its "
            "variance is zero and spatial autocorrelation is undefined. Check the column, the "
            "aggregation (a grid far larger than the study area?) or the year filter."
        )
    mat = mat.tocsr().astype(float)  # a copy: the caller's weights are never changed
    mat = (mat - sp.diags(mat.diagonal())).tocsr()  # no self-loops
    mat.eliminate_zeros()
    card = np.diff(mat.indptr)
    if (card == 0).any():
        isl = gids[card == 0].tolist()
        raise IslandError(
            f"`{func}`: {len(isl)} unit(s) have no neighbours: {row_list(isl)}. Build the weights "
            "with taobao_geo.weights.build_graph(..., islands='nearest' or 'drop')."
        )
    if (mat.data < 0).any():
        raise InputDataError(f"`{func}`: negative spatial weights are not supported.")
    if transform == "b":
        mat.data[:] = 1.0
    elif transform == "r":
        rs = np.asarray(mat.sum(axis=1)).ravel()
        mat = sp.diags(1.0 / rs) @ mat
        mat = mat.tocsr()
    kind = graph.kind if isinstance(graph, SpatialWeights) else "graph"
    return Prepared(gids, x, mat, dropped, transform, kind, name)


def _constants(w: sp.csr_matrix):
    """S0, S1, S2 of Cliff & Ord (as spdep ``spweights.constants``)."""
    s0 = w.sum()
    wt = (w + w.T).tocsr()
    s1 = 0.5 * (wt.data**2).sum()
    rs = np.asarray(w.sum(axis=1)).ravel()
    cs = np.asarray(w.sum(axis=0)).ravel()
    s2 = ((rs + cs) ** 2).sum()
    return float(s0), float(s1), float(s2)


# --------------------------------------------------------------------------------------------
# result


@dataclass(frozen=True)
class GlobalResult(ResultMixin):
    """A global autocorrelation test (Moran's I, Geary's C or General G).

    ``statistic`` names the test and ``value`` is its value (I, C or G; ``symbol`` gives the
    letter, which is also the value's column in ``to_frame``). ``.I`` / ``.C`` / ``.G`` are
    deprecated aliases of ``value`` (DeprecationWarning).
    ``*_norm`` are moments under normality, ``*_rand`` under randomisation (General G only has
    the latter, which is exact under permutation). ``p_sim`` is the permutation p-value with
    the same ``alternative`` (``None`` when ``permutations=0``).
    """

    statistic: str
    value: float
    expected: float
    variance_norm: float | None
    z_norm: float | None
    p_norm: float | None
    variance_rand: float
    z_rand: float
    p_rand: float
    alternative: str
    permutations: int
    p_sim: float | None
    z_sim: float | None
    mean_sim: float | None
    sd_sim: float | None
    n: int
    transform: str
    weights_kind: str
    column: str
    dropped: tuple = ()
    seed: int | str | None = None
    sim: np.ndarray | None = field(default=None, repr=False)
    _z: np.ndarray | None = field(default=None, repr=False)
    _lag: np.ndarray | None = field(default=None, repr=False)
    _ids: pd.Index | None = field(default=None, repr=False)

    @property
    def symbol(self) -> str:
        """``"I"``, ``"C"`` or ``"G"``: the statistic's usual symbol (the column in ``to_frame``)."""
        return _SYMBOLS[self.statistic]

    @property
    def I(self) -> float:  # noqa: E743, N802 - deprecated alias named after the statistic
        """Deprecated alias of :attr:`value`."""
        warn_renamed("`GlobalResult.I`", "`.value` (the statistic's name is `.statistic`)")
        return self.value

    @property
    def C(self) -> float:  # noqa: N802 - deprecated alias
        """Deprecated alias of :attr:`value`."""
        warn_renamed("`GlobalResult.C`", "`.value` (the statistic's name is `.statistic`)")
        return self.value

    @property
    def G(self) -> float:  # noqa: N802 - deprecated alias
        """Deprecated alias of :attr:`value`."""
        warn_renamed("`GlobalResult.G`", "`.value` (the statistic's name is `.statistic`)")
        return self.value

    def to_dict(self) -> dict:
        out = {k: v for k, v in ResultMixin.to_dict(self).items() if not k.startswith("_")}
        out[self.symbol] = self.value
        return out

    def to_frame(self) -> pd.DataFrame:
        d = self.to_dict()
        d.pop("dropped", None)
        d["n_dropped"] = len(self.dropped)
        return pd.DataFrame([d])

    def summary(self) -> str:
        sym = self.symbol
        lines = [
            f"{self.statistic} of {self.column!r} over {self.n} units ({self.weights_kind} weights, "
            f"transform {self.transform!r}): {sym} = {self.value:.4f}, E[{sym}] = {self.expected:.4f}.",
            f"Randomisation: z = {self.z_rand:.3f}, p = {self.p_rand:.3g} ({self.alternative}).",
        ]
        if self.z_norm is not None:
            lines.append(f"Normality: z = {self.z_norm:.3f}, p = {self.p_norm:.3g}.")
        if self.permutations:
            lines.append(
                f"Permutation: pseudo p = {self.p_sim:.3g} ({self.alternative}) from "
                f"{self.permutations} permutations (seed {self.seed}); z_sim = {self.z_sim:.3f}."
            )
        direction = "positive (clustering)" if self.z_rand > 0 else "negative (dispersion)"
        lines.append(f"Direction: {direction} spatial autocorrelation.")
        if self.dropped:
            lines.append(f"{len(self.dropped)} island(s) left out: {row_list(self.dropped)}.")
        return "\n".join(lines)

    def scatter_data(self) -> pd.DataFrame:
        """Moran scatter plot data: standardised value and its spatial lag per unit."""
        if self._z is None:
            raise ValueError("Scatter data exist for Moran's I only.")
        return pd.DataFrame({"z": self._z, "lag_z": self._lag}, index=self._ids)

    def plot(self, ax=None):
        """Static Moran scatter plot (matplotlib, imported here); returns the Axes."""
        import matplotlib.pyplot as plt

        df = self.scatter_data()
        if ax is None:
            _, ax = plt.subplots(figsize=(5, 5))
        ax.scatter(df["z"], df["lag_z"], s=10, alpha=0.6, color="#555555")
        ax.axhline(0, color="grey", lw=0.8)
        ax.axvline(0, color="grey", lw=0.8)
        slope = np.polyfit(df["z"], df["lag_z"], 1)[0]
        xs = np.array([df["z"].min(), df["z"].max()])
        ax.plot(xs, slope * xs, color="#d7191c", lw=1.5)
        ax.set_xlabel(f"{self.column} (standardised)")
        ax.set_ylabel("spatial lag")
        ax.set_title(f"Moran's I = {self.value:.3f} (p = {self.p_rand:.3g})")
        return ax


def _perm_batches(x, permutations, rng, n):
    b = max(1, min(permutations, 20_000_000 // max(n, 1)))
    done = 0
    while done < permutations:
        m = min(b, permutations - done)
        idx = rng.permuted(np.broadcast_to(np.arange(n), (m, n)), axis=1)  # O(n) shuffles
        yield x[idx].T  # n × m
        done += m


def _check_perm(permutations, alternative, func):
    check_choice(alternative, ALTERNATIVES, name="alternative", func=func)
    if int(permutations) < 0:
        raise OptionError(f"`{func}`: `permutations` must be >= 0; got {permutations}.")
    return int(permutations)


def _perm_summary(obs, sims, permutations, alternative, larger_is_positive=True):
    sims = np.asarray(sims)
    n_ge, n_le = count_extremes(obs, sims)  # the package's one tie tolerance
    if not larger_is_positive:  # Geary: small C is positive autocorrelation
        n_ge, n_le = n_le, n_ge
    p = float(perm_p(n_ge, n_le, permutations, alternative))
    mu, sd = float(sims.mean()), float(sims.std())
    z = (obs - mu) / sd if sd > 0 else np.nan
    if not larger_is_positive:
        z = -z
    return p, float(z), mu, sd


# --------------------------------------------------------------------------------------------
# statistics


@renamed_keywords(weights="graph")
def moran(
    data,
    *,
    column: str | None = None,
    graph,
    transform: str = "r",
    permutations: int = 999,
    alternative: str = "two-sided",
    rng: int | np.random.Generator | None = None,
) -> GlobalResult:
    """Global Moran's I with analytic (normality, randomisation) and permutation inference.

    ``I = (n / S0) · Σ_ij w_ij z_i z_j / Σ_i z_i²`` with ``z = x − mean(x)``;
    ``E[I] = −1/(n−1)``; variances as Cliff & Ord (spdep ``moran.test``, esda ``Moran``).

    Parameters
    ----------
    data
        Units (GeoDataFrame/DataFrame with ``column``) or a pandas Series, indexed like the weights.
    column
        Numeric column (e.g. ``"count"`` or ``"density_km2"`` from :func:`taobao_geo.units.aggregate`).
    graph
        Spatial weights: :class:`~taobao_geo.weights.SpatialWeights` from
        :func:`~taobao_geo.weights.build_graph` or a libpysal ``Graph`` with the same ids.
        ``weights=`` is the deprecated old name (DeprecationWarning).
    transform
        ``"r"`` row-standardised (default; GeoDa, esda, spdep style "W"), ``"b"`` binary
        (spdep "B"), ``"none"`` weights as built (e.g. inverse distance; ArcGIS's default
        standardisation NONE).
    permutations
        Random permutations of the values for ``p_sim`` (0 to skip). Default 999.
    alternative
        ``"two-sided"`` (default; esda/ArcGIS), ``"greater"`` (clustering; spdep's default),
        ``"less"`` (dispersion), or ``"folded"`` for a permutation p as esda's ``p_sim``
        (analytic p then two-sided).
    rng
        Seed or Generator for the permutations.

    Returns
    -------
    GlobalResult
        ``value`` (I; ``statistic`` is "Moran's I"), ``expected``, ``z_norm``/``p_norm``, ``z_rand``/``p_rand``, ``p_sim``,
        ``z_sim``; ``scatter_data()`` and ``plot()`` give the Moran scatter plot.

    Examples
    --------
    Four units on a ring; by hand ``I = (n/S0) z'Wz / z'z = −3.0625 / 5.1875`` (the tests
    reproduce spdep ``moran.test`` on Columbus and North Carolina to 1e-9):

    >>> import pandas as pd
    >>> from libpysal.graph import Graph
    >>> g = Graph.from_arrays([0, 0, 1, 1, 2, 2, 3, 3], [1, 3, 0, 2, 1, 3, 2, 0], [1.0] * 8)
    >>> r = moran(pd.Series([1.0, 2.0, 1.5, 4.0]), graph=g, permutations=0)
    >>> round(r.value, 4), round(r.expected, 4)
    (-0.5904, -0.3333)

    Raises
    ------
    InputDataError
        Non-numeric or missing values, or a constant column (zero variance).
    TooFewPointsError
        Fewer than 3 units.
    AlignmentError
        Data index and weights ids differ.
    IslandError
        Units without neighbours.
    """
    func = "moran"
    permutations = _check_perm(permutations, alternative, func)
    pr = prepare(data, column=column, graph=graph, transform=transform, func=func)
    x, w = pr.x, pr.w
    n = len(x)
    z = x - x.mean()
    s0, s1, s2 = _constants(w)
    zz = float(z @ z)
    lag = w @ z
    value = n / s0 * float(z @ lag) / zz
    ei = -1.0 / (n - 1)
    nn = n * n
    v_norm = (nn * s1 - n * s2 + 3 * s0**2) / (s0**2 * (nn - 1)) - ei**2
    k = n * float((z**4).sum()) / zz**2
    v_rand = (
        n * (s1 * (nn - 3 * n + 3) - n * s2 + 3 * s0**2)
        - k * (s1 * (nn - n) - 2 * n * s2 + 6 * s0**2)
    ) / ((n - 1) * (n - 2) * (n - 3) * s0**2) - ei**2
    alt_a = "two-sided" if alternative == "folded" else alternative
    z_norm = (value - ei) / np.sqrt(v_norm)
    z_rand = (value - ei) / np.sqrt(v_rand)
    p_sim = z_sim = mu = sd = None
    sims = None
    if permutations:
        gen = ensure_rng(rng)
        sims = np.concatenate(
            [
                n / s0 * np.einsum("ij,ij->j", zp, w @ zp) / zz
                for zp in _perm_batches(z, permutations, gen, n)
            ]
        )
        p_sim, z_sim, mu, sd = _perm_summary(value, sims, permutations, alternative)
    # Moran scatter: standardised z (population sd, GeoDa) against its row-standardised lag
    zs = z / z.std()
    wr = w if transform == "r" else sp.diags(1.0 / np.asarray(w.sum(axis=1)).ravel()) @ w
    return GlobalResult(
        statistic="Moran's I",
        value=float(value),
        expected=ei,
        variance_norm=float(v_norm),
        z_norm=float(z_norm),
        p_norm=float(normal_p(z_norm, alt_a)),
        variance_rand=float(v_rand),
        z_rand=float(z_rand),
        p_rand=float(normal_p(z_rand, alt_a)),
        alternative=alternative,
        permutations=permutations,
        p_sim=p_sim,
        z_sim=z_sim,
        mean_sim=mu,
        sd_sim=sd,
        n=n,
        transform=transform,
        weights_kind=pr.weights_kind,
        column=pr.column,
        dropped=pr.dropped,
        seed=seed_label(rng),
        sim=sims,
        _z=zs,
        _lag=wr @ zs,
        _ids=pr.ids,
    )


@renamed_keywords(weights="graph")
def geary(
    data,
    *,
    column: str | None = None,
    graph,
    transform: str = "r",
    permutations: int = 999,
    alternative: str = "two-sided",
    rng: int | np.random.Generator | None = None,
) -> GlobalResult:
    """Geary's C with analytic and permutation inference (as spdep ``geary.test``).

    ``C = (n − 1) Σ_ij w_ij (x_i − x_j)² / (2 S0 Σ_i z_i²)``, ``E[C] = 1``. The z-score is
    ``(1 − C)/√Var[C]`` (spdep sign: positive = positive autocorrelation); ``"greater"`` tests
    positive autocorrelation. Parameters, returns and errors as :func:`moran`.
    """
    func = "geary"
    permutations = _check_perm(permutations, alternative, func)
    pr = prepare(data, column=column, graph=graph, transform=transform, func=func)
    x, w = pr.x, pr.w
    n = len(x)
    z = x - x.mean()
    s0, s1, s2 = _constants(w)
    zz = float(z @ z)
    rs = np.asarray(w.sum(axis=1)).ravel()
    cs = np.asarray(w.sum(axis=0)).ravel()

    def stat(zv):  # works for a vector or an n × m matrix of permuted columns
        z2 = zv * zv
        num = rs @ z2 + cs @ z2 - 2 * np.einsum("i...,i...->...", zv, w @ zv)
        return (n - 1) * num / (2 * s0 * zz)

    value = float(stat(z))
    k = n * float((z**4).sum()) / zz**2
    nn = n * n
    v_rand = (n - 1) * s1 * (nn - 3 * n + 3 - k * (n - 1))
    v_rand -= 0.25 * ((n - 1) * s2 * (nn + 3 * n - 6 - k * (nn - n + 2)))
    v_rand += s0**2 * (nn - 3 - k * (n - 1) ** 2)
    v_rand /= n * (n - 2) * (n - 3) * s0**2
    v_norm = ((2 * s1 + s2) * (n - 1) - 4 * s0**2) / (2 * (n + 1) * s0**2)
    z_rand = (1 - value) / np.sqrt(v_rand)
    z_norm = (1 - value) / np.sqrt(v_norm)
    alt_a = "two-sided" if alternative == "folded" else alternative
    p_sim = z_sim = mu = sd = None
    sims = None
    if permutations:
        gen = ensure_rng(rng)
        sims = np.concatenate(
            [np.atleast_1d(stat(zp)) for zp in _perm_batches(z, permutations, gen, n)]
        )
        p_sim, z_sim, mu, sd = _perm_summary(
            value, sims, permutations, alternative, larger_is_positive=False
        )
    return GlobalResult(
        statistic="Geary's C",
        value=value,
        expected=1.0,
        variance_norm=float(v_norm),
        z_norm=float(z_norm),
        p_norm=float(normal_p(z_norm, alt_a)),
        variance_rand=float(v_rand),
        z_rand=float(z_rand),
        p_rand=float(normal_p(z_rand, alt_a)),
        alternative=alternative,
        permutations=permutations,
        p_sim=p_sim,
        z_sim=z_sim,
        mean_sim=mu,
        sd_sim=sd,
        n=n,
        transform=transform,
        weights_kind=pr.weights_kind,
        column=pr.column,
        dropped=pr.dropped,
        seed=seed_label(rng),
        sim=sims,
    )


@renamed_keywords(weights="graph")
def general_g(
    data,
    *,
    column: str | None = None,
    graph,
    transform: str = "b",
    permutations: int = 999,
    alternative: str = "two-sided",
    rng: int | np.random.Generator | None = None,
) -> GlobalResult:
    """Getis–Ord General G (high/low clustering), as spdep ``globalG.test`` and esda ``G``.

    ``G = Σ_{i≠j} w_ij x_i x_j / Σ_{i≠j} x_i x_j``, ``E[G] = S0 / (n(n−1))``; variance from
    Getis & Ord (1992) as spdep (``B1correct=TRUE``). Values must be non-negative. Binary
    weights (``transform="b"``, default) are the usual choice; ``"none"`` keeps distance
    weights (ArcGIS's inverse-distance default). A positive z means high values cluster.
    Parameters, returns and errors as :func:`moran`.
    """
    func = "general_g"
    permutations = _check_perm(permutations, alternative, func)
    pr = prepare(data, column=column, graph=graph, transform=transform, func=func)
    x, w = pr.x, pr.w
    if (x < 0).any():
        bad = pr.ids[x < 0].tolist()
        raise InputDataError(
            f"`{func}`: General G needs non-negative values; {len(bad)} unit(s) are negative: "
            f"{row_list(bad)}."
        )
    n = len(x)
    s0, s1, s2 = _constants(w)
    sx, sx2, sx3, sx4 = x.sum(), (x**2).sum(), (x**3).sum(), (x**4).sum()
    denom = sx**2 - sx2
    value = float(x @ (w @ x)) / denom
    eg = s0 / (n * (n - 1))
    nn = n * n
    b0 = (nn - 3 * n + 3) * s1 - n * s2 + 3 * s0**2
    b1 = -((nn - n) * s1 - 2 * n * s2 + 6 * s0**2)
    b2 = -(2 * n * s1 - (n + 3) * s2 + 6 * s0**2)
    b3 = 4 * (n - 1) * s1 - 2 * (n + 1) * s2 + 8 * s0**2
    b4 = s1 - s2 + s0**2
    var = (b0 * sx2**2 + b1 * sx4 + b2 * sx**2 * sx2 + b3 * sx * sx3 + b4 * sx**4) / (
        denom**2 * n * (n - 1) * (n - 2) * (n - 3)
    ) - eg**2
    z = (value - eg) / np.sqrt(var)
    alt_a = "two-sided" if alternative == "folded" else alternative
    p_sim = z_sim = mu = sd = None
    sims = None
    if permutations:
        gen = ensure_rng(rng)
        sims = np.concatenate(
            [
                np.einsum("ij,ij->j", xp, w @ xp) / denom
                for xp in _perm_batches(x, permutations, gen, n)
            ]
        )
        p_sim, z_sim, mu, sd = _perm_summary(value, sims, permutations, alternative)
    return GlobalResult(
        statistic="General G",
        value=value,
        expected=float(eg),
        variance_norm=None,
        z_norm=None,
        p_norm=None,
        variance_rand=float(var),
        z_rand=float(z),
        p_rand=float(normal_p(z, alt_a)),
        alternative=alternative,
        permutations=permutations,
        p_sim=p_sim,
        z_sim=z_sim,
        mean_sim=mu,
        sd_sim=sd,
        n=n,
        transform=transform,
        weights_kind=pr.weights_kind,
        column=pr.column,
        dropped=pr.dropped,
        seed=seed_label(rng),
        sim=sims,
    )


# --------------------------------------------------------------------------------------------
# incremental spatial autocorrelation


@dataclass(frozen=True)
class IncrementalResult(ResultMixin):
    """Moran's I by distance band (ArcGIS Incremental Spatial Autocorrelation).

    ``table`` has one row per band: ``distance_m, I, expected, variance, z, p,
    mean_neighbours``. ``first_peak_m`` is the first band whose z is a local maximum (higher than
    both adjacent bands) and significant at ``alpha``; ``max_peak_m`` the significant local
    maximum with the largest z. Either is ``None`` (stated in the summary) if there is none.
    """

    table: pd.DataFrame = field(repr=False)
    first_peak_m: float | None
    max_peak_m: float | None
    start_m: float
    increment_m: float
    start_rule: str
    increment_rule: str
    transform: str
    alternative: str
    alpha: float
    n: int
    column: str
    trimmed: tuple = ()

    def to_frame(self) -> pd.DataFrame:
        t = self.table.copy()
        t["peak"] = ""
        if self.first_peak_m is not None:
            t.loc[np.isclose(t["distance_m"], self.first_peak_m), "peak"] = "first"
        if self.max_peak_m is not None:
            m = np.isclose(t["distance_m"], self.max_peak_m)
            t.loc[m, "peak"] = np.where(t.loc[m, "peak"] == "first", "first+max", "max")
        return t

    def summary(self) -> str:
        t = self.table
        lines = [
            f"Incremental spatial autocorrelation of {self.column!r} ({self.n} units): "
            f"{len(t)} bands from {self.start_m:,.0f} m ({self.start_rule}) in steps of "
            f"{self.increment_m:,.0f} m ({self.increment_rule}).",
            f"Moran's I ranges {t['I'].min():.3f}–{t['I'].max():.3f}, z {t['z'].min():.2f}–{t['z'].max():.2f}.",
        ]
        if self.trimmed:
            lines.append(f"Left out as remote outliers: {row_list(self.trimmed)}.")
        if self.first_peak_m is None:
            lines.append(
                f"No significant peak of z (alpha {self.alpha}): z rises or falls "
                "monotonically over these bands; try other distances."
            )
        else:
            lines.append(
                f"First peak at {self.first_peak_m:,.0f} m; maximum peak at "
                f"{self.max_peak_m:,.0f} m (candidate analysis scales)."
            )
        return "\n".join(lines)


def incremental_moran(
    units,
    *,
    column: str,
    distances=None,
    n_bands: int = 10,
    start: float | None = None,
    increment: float | None = None,
    transform: str = "r",
    alternative: str = "two-sided",
    alpha: float = 0.05,
    trim_outliers: bool = True,
    islands: str = "raise",
) -> IncrementalResult:
    """Global Moran's I over increasing distance bands, with the first and maximum peaks of z.

    Parameters
    ----------
    units
        Points or polygons (centroids used) in a projected CRS (metres), with ``column``.
    column
        Numeric column to analyse.
    distances
        Explicit band distances in metres; otherwise ``n_bands`` bands from ``start`` by ``increment``.
    n_bands
        Number of bands (ArcGIS default 10).
    start
        First distance (m). Default: the smallest distance giving every unit a neighbour
        (ArcGIS's default beginning distance), so no band has islands.
    increment
        Step (m). Default: the mean nearest-neighbour distance (ArcGIS's default).
    transform
        Weights standardisation (``"r"``, ArcGIS row standardisation on; ``"b"``).
    alternative
        For the p-values (two-sided by default, as ArcGIS).
    alpha
        Significance level for the peaks.
    trim_outliers
        Leave out units whose nearest-neighbour distance is an outlier (log distance above
        Q3 + 3 IQR), such as remote islands, before choosing the start distance and the increment; otherwise one
        island 800 km offshore makes every band continental (ArcGIS also trims such outliers in
        Optimized Hot Spot Analysis). They are listed in ``trimmed``.
    islands
        Island policy for bands given by the caller that leave units without neighbours.

    Returns
    -------
    IncrementalResult
        Table of I, E[I], Var (randomisation), z and p per band plus the peaks.
    """
    from scipy.spatial import cKDTree

    from .weights import _centroids, auto_threshold

    func = "incremental_moran"
    xy = _centroids(units, func=func)
    pr_ids = pd.Index(units.index)
    trimmed: tuple = ()
    ensure_min_n(len(xy), 4, what="units", func=func)
    if distances is not None:
        dists = np.sort(np.asarray(distances, dtype=float))
        start_rule = increment_rule = "given by the caller"
        start_v = float(dists[0])
        incr_v = float(np.diff(dists).mean()) if len(dists) > 1 else 0.0
    else:
        nnd = cKDTree(xy).query(xy, k=2)[0][:, 1]
        typical = nnd
        if trim_outliers:
            # outliers on a log scale: remote islands, not merely large (western) units
            lg = np.log(np.maximum(nnd, 1e-9))
            q1, q3 = np.percentile(lg, [25, 75])
            far = lg > q3 + 3 * (q3 - q1)
            if far.any():
                typical = nnd[~far]
                trimmed = tuple(pr_ids[far].tolist())
        if start is None:
            if trimmed:
                start_v = float(typical.max()) * (1 + 1e-9)
                start_rule = (
                    f"smallest distance giving every unit a neighbour, after leaving out "
                    f"{len(trimmed)} remote unit(s) whose nearest neighbour is an outlier "
                    f"(log distance > Q3 + 3 IQR; kept out of every band)"
                )
            else:
                start_v = auto_threshold(xy)
                start_rule = "smallest distance giving every unit a neighbour"
        else:
            start_v, start_rule = float(start), "given by the caller"
        if increment is None:
            incr_v = float(typical.mean())
            increment_rule = "mean nearest-neighbour distance"
        else:
            incr_v, increment_rule = float(increment), "given by the caller"
        dists = start_v + incr_v * np.arange(int(n_bands))
    rows = []
    data = units[~units.index.isin(list(trimmed))] if trimmed else units
    for d in dists:
        sw = build_graph(data, kind="distance", threshold=float(d), islands=islands)
        r = moran(
            data,
            column=column,
            graph=sw,
            transform=transform,
            permutations=0,
            alternative=alternative,
        )
        rows.append(
            {
                "distance_m": float(d),
                "I": r.value,
                "expected": r.expected,
                "variance": r.variance_rand,
                "z": r.z_rand,
                "p": r.p_rand,
                "n_units": r.n,
                "mean_neighbours": sw.mean_neighbours,
            }
        )
    table = pd.DataFrame(rows)
    z = table["z"].to_numpy()
    p = table["p"].to_numpy()
    peaks = [
        i
        for i in range(1, len(z) - 1)
        if z[i] > z[i - 1] and z[i] > z[i + 1] and is_significant(p[i], alpha)
    ]
    first = float(table["distance_m"].iloc[peaks[0]]) if peaks else None
    maxp = float(table["distance_m"].iloc[max(peaks, key=lambda i: z[i])]) if peaks else None
    return IncrementalResult(
        table=table,
        first_peak_m=first,
        max_peak_m=maxp,
        start_m=float(dists[0]),
        increment_m=incr_v,
        start_rule=start_rule,
        increment_rule=increment_rule,
        transform=transform,
        alternative=alternative,
        alpha=alpha,
        n=len(xy),
        column=column,
        trimmed=trimmed,
    )
