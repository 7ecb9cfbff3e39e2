"""Compare counties: one tidy table, ranks, a small-multiples figure and a comparison map.

:func:`compare_counties` answers "how does my county compare with its neighbours and with the
leading Taobao-village counties of China?" It takes villages (with a year column) and a county
polygon layer, selects counties by name or adcode, by province / city, or the national top N,
and returns a :class:`ComparisonResult` whose table has one row per county:

* ``n_<year>`` villages per year, ``growth_abs`` and ``growth_pct`` first year -> last year, and
  ``cagr_pct`` (compound annual growth);
* ``area_km2`` (China Albers equal-area) and ``density_per_1000km2`` (last year);
* ``share_of_province_pct``: the county's share of its province's villages (last year);
* ``nni_R``, ``nni_z``, ``nni_p``, ``nni_note``: the nearest-neighbour index of the county's
  villages inside the county polygon (:func:`taobao_geo.nni.nearest_neighbour_index`), only where
  the county has enough distinct locations; otherwise the note says why not. ``nni_z`` and
  ``nni_p`` are from the Monte Carlo test (CSR in the county polygon; ``z = (R - mean(R_sim)) /
  sd(R_sim)``, which corrects for the edge effect of a small irregular window);
  ``nni_z_normal`` is ArcGIS's normal-approximation z for comparison;
* ``centre_shift_km``, ``centre_bearing_deg``: the move of the mean centre from the first to the
  last year (:mod:`taobao_geo.centrography`);
* ``lisa_class`` and ``gi_bin``: the county's local Moran class and Gi* bin among the counties of
  its context (its provinces by default, or all of China), from :mod:`taobao_geo.local`;
* ``rank_count``, ``rank_density``, ``rank_growth`` among the selected counties (1 = highest).

Caveat, stated in every result: in the shipped data most villages are located at their town
seat (``loc_prec == "town"``) or the county's representative point (``"county"``), so a
within-county NNI measures the spacing of town seats that host Taobao villages, not of the
villages themselves. Coincident points are merged (``duplicates="merge"``) before the NNI.

Counts per county use the villages' ``county_code`` column when present (the AliResearch
attribution, exact) and a point-in-polygon join otherwise.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from . import centrography, datasets, local, nni
from . import weights as _weights_mod
from ._errors import InputDataError, TaobaoGeoError
from ._results import ResultMixin
from ._validate import (
    check_choice,
    ensure_points,
    ensure_polygons,
    ensure_rng,
    row_list,
    seed_label,
)
from .projection import CHINA_ALBERS, choose_crs

__all__ = ["ComparisonResult", "compare_counties", "select_counties", "NNI_CAVEAT"]

NNI_CAVEAT = (
    "Most villages are located at their town seat (or at the county's representative point), "
    "so a within-county nearest-neighbour index describes the spacing of the town seats that "
    "host Taobao villages, not of the villages themselves; coincident points are merged first."
)
_SUFFIXES = ("自治县", "自治旗", "县", "区", "市", "旗", "特区", "林区")


def _norm_name(s: str) -> str:
    s = str(s).strip()
    for suf in _SUFFIXES:
        if s.endswith(suf) and len(s) > len(suf) + 0:
            return s[: -len(suf)] if len(s) - len(suf) >= 1 else s
    return s


@dataclass(frozen=True)
class ComparisonResult(ResultMixin):
    """County comparison: the tidy table plus the settings and caveats.

    Attributes
    ----------
    table
        One row per selected county (columns described in the module docstring), sorted by
        ``rank_count``.
    counts
        Long table ``adcode, county, year, n`` (zero counts kept).
    years
        Years compared (first and last define growth and centre shift).
    selection
        How the counties were selected (plain words).
    context
        Which counties the LISA / Gi* were computed among.
    settings
        Permutations, seed, alpha, NNI minimum, CRS used.
    notes
        Caveats to print with the table.
    counties
        The selected county polygons (EPSG:4326) with the table's columns (for maps).
    provinces
        Outlines of the provinces of the selected counties (EPSG:4326), the maps' background.
    """

    table: pd.DataFrame = field(repr=False)
    counts: pd.DataFrame = field(repr=False)
    years: tuple
    selection: str
    context: str
    settings: dict = field(repr=False)
    notes: tuple = ()
    counties: gpd.GeoDataFrame | None = field(default=None, repr=False)
    provinces: gpd.GeoDataFrame | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """A copy of the comparison table."""
        return self.table.copy()

    def to_dict(self) -> dict:
        """Settings plus the table as a list of row dicts (for ``--json``)."""
        from ._results import jsonable

        return {
            "years": list(self.years),
            "selection": self.selection,
            "context": self.context,
            "settings": jsonable(self.settings),
            "notes": list(self.notes),
            "table": jsonable(self.table.to_dict(orient="records")),
        }

    def summary(self) -> str:
        """One line per county (rank order, at most 12) and the notes."""
        t = self.table
        y0, y1 = self.years[0], self.years[-1]
        lines = [
            f"{len(t)} counties compared ({self.selection}), {y0}–{y1}; "
            f"LISA / Gi* among {self.context}."
        ]
        for _, r in t.head(12).iterrows():
            nni = (
                f"R = {r['nni_R']:.3f}, z = {r['nni_z']:.2f}"
                if pd.notna(r.get("nni_R"))
                else "NNI n/a"
            )
            lines.append(
                f"#{int(r['rank_count'])} {r['county']} ({r['adcode']}): "
                f"{int(r[f'n_{y1}'])} villages in {y1} (from {int(r[f'n_{y0}'])} in {y0}), "
                f"{r['density_per_1000km2']:.1f} per 1,000 km², "
                f"{r['share_of_province_pct']:.1f} % of its province; {nni}; "
                f"LISA {r['lisa_class']}, Gi* bin {r['gi_bin'] if pd.notna(r['gi_bin']) else 'n/a'}"
            )
        if len(t) > 12:
            lines.append(f"... and {len(t) - 12} more")
        lines.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(lines)

    # -- figures (formatting only) ------------------------------------------------------------
    def plot(
        self,
        *,
        ax=None,  # noqa: ARG002 - kept for the documented signature
        lang: str = "en",
        highlight: str | None = None,
        max_panels: int = 24,
    ):
        """Small multiples: one panel per county with its villages per year (matplotlib Figure).

        At most ``max_panels`` counties, in rank order (the highlighted one always included).
        """
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        cjk = _use_cjk_font()
        lang = lang if cjk else "en"
        t = self.table
        shown_all = len(t) <= max_panels
        if not shown_all:
            hl = (t["adcode"].astype(str) == str(highlight)) | (t["county"] == highlight)
            t = pd.concat(
                [
                    t.head(max_panels - int(hl.any() and not hl.head(max_panels).any())),
                    t[hl & ~t.index.isin(t.head(max_panels).index)],
                ]
            )
        n = len(t)
        ncols = min(4, max(1, n))
        nrows = int(np.ceil(n / ncols))
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(2.6 * ncols, 2.0 * nrows + 0.4), sharey=True, squeeze=False
        )
        years = list(self.years)
        for i, (_, r) in enumerate(t.iterrows()):
            a = axes[i // ncols][i % ncols]
            vals = [r[f"n_{y}"] for y in years]
            hl = highlight is not None and (
                str(r["adcode"]) == str(highlight) or r["county"] == highlight
            )
            a.bar([str(y) for y in years], vals, color="#D62F27" if hl else "#4575B5")
            a.set_title(_label(r, cjk), fontsize=9, fontweight="bold" if hl else "normal")
            a.tick_params(labelsize=7)
        for j in range(n, nrows * ncols):
            axes[j // ncols][j % ncols].axis("off")
        ylabel = "淘宝村数量" if lang == "zh" else "Taobao villages"
        for row in axes:
            row[0].set_ylabel(ylabel, fontsize=8)
        title = "各县淘宝村数量（按年）" if lang == "zh" else "Taobao villages per year, by county"
        if not shown_all:
            title += (
                f"（前 {n} 个县，共 {len(self.table)} 个）"
                if lang == "zh"
                else f" (top {n} of {len(self.table)})"
            )
        fig.suptitle(title, fontsize=10)
        fig.tight_layout()
        return fig

    def plot_map(self, *, column: str | None = None, lang: str = "en", ax=None):
        """Static comparison map of the selected counties coloured by ``column`` (Figure)."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        cjk = _use_cjk_font()
        lang = lang if cjk else "en"
        if self.counties is None or self.counties.empty:
            raise TaobaoGeoError("plot_map: this comparison holds no county polygons.")
        column = column or "density_per_1000km2"
        fig, a = plt.subplots(figsize=(6, 5)) if ax is None else (ax.figure, ax)
        g = self.counties
        if self.provinces is not None and len(self.provinces):
            self.provinces.boundary.plot(ax=a, color="#999", linewidth=0.5)
        g.plot(
            column=column,
            ax=a,
            legend=True,
            cmap="YlOrRd",
            edgecolor="#555",
            linewidth=0.4,
            legend_kwds={"shrink": 0.6},
        )
        if len(g) <= 30:
            for _, r in g.iterrows():
                p = r.geometry.representative_point()
                a.annotate(_label(r, cjk), (p.x, p.y), fontsize=6, ha="center")
        a.set_axis_off()
        y1 = self.years[-1]
        names = {
            "density_per_1000km2": (
                f"Taobao villages per 1,000 km² ({y1})",
                f"每千平方公里淘宝村数（{y1}）",
            ),
            f"n_{y1}": (f"Taobao villages ({y1})", f"淘宝村数量（{y1}）"),
            "growth_abs": ("Growth in villages", "淘宝村增量"),
            "share_of_province_pct": ("Share of the province (%)", "占全省比例（%）"),
        }
        label = names.get(column, (column, column))[1 if lang == "zh" else 0]
        a.set_title(("按县比较：" if lang == "zh" else "County comparison: ") + label, fontsize=9)
        fig.tight_layout()
        return fig

    # -- deprecated: drawing and writing moved out of the comparison (issue 11) ------------------
    def map(self, *, column: str = "density_per_1000km2", m=None, **kwargs):
        """Deprecated: use :func:`taobao_geo.maps.comparison_map` (``comparison_map(result)``)."""
        warnings.warn(
            "ComparisonResult.map() is deprecated and will be removed in the next "
            "release; use taobao_geo.maps.comparison_map(result, ...).",
            DeprecationWarning,
            stacklevel=2,
        )
        from .maps import comparison_map

        return comparison_map(self, column=column, m=m, **kwargs)

    def save(
        self, folder, *, maps: bool = True, lang: str = "en", highlight: str | None = None
    ) -> dict:
        """Deprecated: use :func:`taobao_geo.pipeline.write_comparison`."""
        warnings.warn(
            "ComparisonResult.save() is deprecated and will be removed in the next "
            "release; use taobao_geo.pipeline.write_comparison(result, folder, ...).",
            DeprecationWarning,
            stacklevel=2,
        )
        from .pipeline import write_comparison

        return write_comparison(self, folder, maps=maps, lang=lang, highlight=highlight)


def _label(row, cjk: bool) -> str:
    return str(row["county"]) if cjk else str(row["adcode"])


def _use_cjk_font() -> bool:
    """Pick an installed font with Chinese glyphs for matplotlib; False if there is none.

    Without one, figures label counties by adcode (Chinese names would print as empty boxes);
    the HTML tables always carry the names.
    """
    import matplotlib
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    for name in (
        "Noto Sans CJK SC",
        "Noto Sans CJK JP",
        "WenQuanYi Zen Hei",
        "WenQuanYi Micro Hei",
        "Source Han Sans SC",
        "SimHei",
        "Microsoft YaHei",
        "AR PL UMing CN",
        "Droid Sans Fallback",
    ):
        if name in have:
            fam = matplotlib.rcParams["font.sans-serif"]
            if name not in fam:
                matplotlib.rcParams["font.sans-serif"] = [name, *fam]
            matplotlib.rcParams["axes.unicode_minus"] = False
            return True
    return False


# ----------------------------------------------------------------------------------------------
# Selection
# ----------------------------------------------------------------------------------------------
def select_counties(
    counties: gpd.GeoDataFrame,
    *,
    names=None,
    province: str | None = None,
    city: str | None = None,
) -> gpd.GeoDataFrame:
    """Counties matching names / adcodes, or all counties of a province or city.

    Names match exactly or without the administrative suffix (``曹县`` or ``曹``); a 6-digit
    string or int is an adcode. An ambiguous name (several counties) raises, listing them, so the
    user can pass the adcode instead.
    """
    for col in ("adcode", "county"):
        if col not in counties.columns:
            raise InputDataError(
                f"`select_counties`: the county layer needs a {col!r} column; "
                f"it has {list(counties.columns)}."
            )
    mask = pd.Series(False, index=counties.index)
    if province is not None:
        m = _match_admin(counties, "province", province)
        mask |= m
    if city is not None:
        m = _match_admin(counties, "city", city)
        if province is not None:
            mask &= m
        else:
            mask |= m
    for name in [names] if isinstance(names, (str, int)) else list(names or []):
        s = str(name).strip()
        if re.fullmatch(r"\d{6}", s):
            m = counties["adcode"].astype(str) == s
            if not m.any():
                raise InputDataError(f"`select_counties`: no county with adcode {s}.")
        else:
            m = counties["county"].astype(str) == s
            if not m.any():
                m = counties["county"].astype(str).map(_norm_name) == _norm_name(s)
            if not m.any():
                raise InputDataError(
                    f"`select_counties`: no county named {s!r}. Use the Chinese name as in the "
                    "county layer (e.g. '曹县') or its 6-digit adcode (e.g. 371721)."
                )
            if m.sum() > 1:
                opts = counties.loc[m, ["adcode", "province", "city", "county"]].astype(str)
                listing = "; ".join(" ".join(r) for r in opts.values.tolist())
                raise InputDataError(
                    f"`select_counties`: {s!r} matches {int(m.sum())} counties "
                    f"({listing}); pass the adcode instead."
                )
        mask |= m
    if not mask.any():
        raise InputDataError(
            "`select_counties`: nothing selected; give county names/adcodes, a province or a city."
        )
    return counties[mask]


def _match_admin(counties, col, value) -> pd.Series:
    if col not in counties.columns:
        raise InputDataError(f"`select_counties`: the county layer has no {col!r} column.")
    s = str(value).strip()
    vals = counties[col].astype(str)
    m = vals == s
    if not m.any():
        m = vals.map(_norm_name).str.replace("省", "", regex=False) == _norm_name(s).replace(
            "省", ""
        )
    if not m.any() and re.fullmatch(r"\d{6}", s):
        prefix = s[:2] if col == "province" else s[:4]
        m = counties["adcode"].astype(str).str.startswith(prefix)
    if not m.any():
        raise InputDataError(
            f"`select_counties`: no county with {col} == {s!r}. Known values "
            f"include {row_list(sorted(vals.unique()), 8)}."
        )
    return m


# ----------------------------------------------------------------------------------------------
# Main function
# ----------------------------------------------------------------------------------------------
def compare_counties(
    villages: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame | None = None,
    *,
    names=None,
    province: str | None = None,
    city: str | None = None,
    top: int | None = None,
    years=None,
    year_col: str = "year",
    code_col: str = "county_code",
    context: str = "province",
    weights: str = "queen",
    permutations: int = 999,
    alpha: float = 0.05,
    min_nni_locations: int = 5,
    rng: int | np.random.Generator | None = 12345,
    progress: bool | None = None,
) -> ComparisonResult:
    """Compare a set of counties on counts, growth, density, clustering and hot spots.

    Parameters
    ----------
    villages
        Village points with a year column (any CRS with a definition; shipped layer
        ``taobao_villages``).
    counties
        County polygons with ``adcode``, ``province``, ``city``, ``county``; ``None`` loads the
        shipped ``china_counties``.
    names, province, city, top
        Selection: county names / adcodes, all counties of a province and/or city, and the
        national top ``top`` counties by villages in the last year (combined by union).
    years
        Years to compare (default: all years in ``year_col``).
    code_col
        Column of the villages holding the county adcode; used for counting when present.
    context
        Units among which LISA / Gi* are computed: ``"province"`` (all counties of the selected
        counties' provinces) or ``"china"`` (every county in ``counties``).
    weights
        Spatial weights for LISA / Gi* (``"queen"`` default; islands joined to the nearest county).
    permutations, alpha, rng
        Conditional permutations, significance level and seed for LISA, Gi* and the Monte Carlo NNI.
    min_nni_locations
        Minimum distinct village locations in a county for its NNI (default 5).
    progress
        tqdm bar over the counties (``None``: only on a terminal).

    Returns
    -------
    ComparisonResult

    Raises
    ------
    InputDataError
        Missing columns, an unknown or ambiguous county, no years.
    """
    cty = _checked_counties(villages, counties, context=context, year_col=year_col)
    gen = ensure_rng(rng)
    vil, years = _villages_of_years(villages.to_crs(4326), years, year_col=year_col)
    y0, y1 = years[0], years[-1]
    vil, how = _attribute_counties(vil, cty, code_col=code_col)

    counts = _counts_by_year(vil, cty, years)
    sel, parts = _selection(
        cty, counts[y1], names=names, province=province, city=city, top=top, y1=y1
    )
    # areas in an equal-area CRS
    cty["_area_km2"] = (cty.to_crs(CHINA_ALBERS).geometry.area / 1e6).values
    table = _count_columns(sel, cty, counts, years)

    # per-county NNI and centre shift
    sub_rngs = gen.spawn(2 * len(table) + 2)
    table = table.assign(
        **_per_county(
            table,
            vil,
            cty,
            y0=y0,
            y1=y1,
            permutations=permutations,
            min_locations=min_nni_locations,
            rngs=sub_rngs[0::2],
            progress=progress,
        )
    )

    ctx_desc, loc = _local_columns(
        table,
        cty,
        counts[y1],
        context=context,
        weights=weights,
        permutations=permutations,
        alpha=alpha,
        rng=sub_rngs[-1],
    )
    table = _ranked(table, y1)

    params = {"weights": weights, "permutations": permutations, "alpha": alpha}
    notes, settings = _notes_and_settings(
        villages, loc, how=how, y1=y1, ctx_desc=ctx_desc, rng=rng, mnl=min_nni_locations, **params
    )
    poly_out, provs = _layers(cty, table)
    return ComparisonResult(
        table=table,
        counts=_long_counts(counts, table),
        years=tuple(years),
        selection="; ".join(parts),
        context=ctx_desc,
        settings=settings,
        notes=tuple(notes),
        counties=poly_out,
        provinces=provs,
    )


def _checked_counties(villages, counties, *, context, year_col):
    """The inputs checked; the county polygons (EPSG:4326, text adcodes), shipped by default."""
    check_choice(context, ("province", "china"), name="context", func="compare_counties")
    ensure_points(villages, func="compare_counties")
    if counties is None:
        counties = datasets.load("china_counties")
    ensure_polygons(counties, func="compare_counties")
    if year_col not in villages.columns:
        raise InputDataError(
            f"`compare_counties`: the villages have no {year_col!r} column; "
            "pass year_col=... (a single-year list needs a column too)."
        )
    cty = counties.to_crs(4326).copy()
    cty["adcode"] = cty["adcode"].astype(str)
    return cty


def _counts_by_year(vil, cty, years) -> pd.DataFrame:
    """Villages per county (rows: every county's adcode) and year (zeros kept)."""
    counts = (
        vil.groupby(["_adcode", "_year"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=years, fill_value=0)
    )
    return counts.reindex(cty["adcode"].unique(), fill_value=0)


def _notes_and_settings(
    villages, loc, *, how, y1, weights, permutations, alpha, ctx_desc, rng, mnl
):
    """The caveats printed with the table, and the settings of the comparison."""
    notes = [
        NNI_CAVEAT,
        f"Counts by {how}; density per 1,000 km² of county area (China Albers equal-area), {y1}.",
        f"LISA / Gi* on villages per county in {y1}, {weights} contiguity, {permutations} "
        f"conditional permutations, alpha = {alpha}; among {ctx_desc}.",
    ]
    if "_reason" in loc:
        notes.append(f"LISA / Gi* not computed: {loc['_reason']}")
    if "loc_prec" in villages.columns:
        prec = villages["loc_prec"].value_counts().to_dict()
        notes.append(
            "Location precision of the villages: "
            + ", ".join(f"{k}: {v}" for k, v in prec.items())
            + "."
        )
    settings = {
        "permutations": int(permutations),
        "alpha": alpha,
        "weights": weights,
        "seed": seed_label(rng),
        "min_nni_locations": int(mnl),
        "count_by": how,
        "area_crs": "China Albers equal-area",
        "nni_crs": "UTM zone of each county",
        "nni_test": "Monte Carlo (CSR in the county polygon), two-sided; duplicates merged",
    }
    return notes, settings


def _villages_of_years(vil, years, *, year_col):
    """The villages of the compared years (``_year``), and those years (checked)."""
    all_years = sorted(int(y) for y in pd.to_numeric(vil[year_col]).unique())
    years = sorted(int(y) for y in (years or all_years))
    missing_years = [y for y in years if y not in all_years]
    if missing_years:
        raise InputDataError(
            f"`compare_counties`: years {missing_years} are not in the villages "
            f"(present: {all_years})."
        )
    vil = vil[pd.to_numeric(vil[year_col]).isin(years)].copy()
    vil["_year"] = pd.to_numeric(vil[year_col]).astype(int)
    return vil, years


def _attribute_counties(vil, cty, *, code_col):
    """County of each village (``_adcode``): the list's attribution if present, else point in
    polygon (a village in no polygon is refused); and how, in words.
    """
    if code_col in vil.columns:
        vil["_adcode"] = vil[code_col].astype(str)
        return vil, f"villages' {code_col!r} column"
    joined = gpd.sjoin(
        vil[["geometry"]], cty[["adcode", "geometry"]], how="left", predicate="within"
    )
    joined = joined[~joined.index.duplicated()]
    vil["_adcode"] = joined["adcode"].astype(object)
    outside = vil.index[vil["_adcode"].isna()].tolist()
    if outside:
        raise InputDataError(
            f"`compare_counties`: {len(outside)} village(s) fall in no county "
            f"polygon: rows {row_list(outside)}.",
            rows=outside,
        )
    return vil, "point in county polygon"


def _selection(cty, last_counts, *, names, province, city, top, y1):
    """The selected counties (union of names, province, city and national top) and, in words."""
    parts = []
    sel_mask = pd.Series(False, index=cty.index)
    if names is not None or province is not None or city is not None:
        chosen = select_counties(cty, names=names, province=province, city=city)
        sel_mask |= cty.index.isin(chosen.index)
        if names is not None:
            parts.append(", ".join(map(str, [names] if isinstance(names, (str, int)) else names)))
        if province is not None:
            parts.append(f"all counties of {province}")
        if city is not None:
            parts.append(f"all counties of {city}")
    if top:
        top_codes = last_counts.sort_values(ascending=False, kind="stable").index[: int(top)]
        sel_mask |= cty["adcode"].isin(top_codes)
        parts.append(f"national top {int(top)} counties by villages in {y1}")
    if not sel_mask.any():
        raise InputDataError(
            "`compare_counties`: select counties with names=, province=, city= or top=."
        )
    return cty[sel_mask].drop_duplicates("adcode"), parts


def _count_columns(sel, cty, counts, years) -> pd.DataFrame:
    """Counts per year, growth, density per 1,000 km² and share of the province (last year)."""
    y0, y1 = years[0], years[-1]
    # province totals (last year), for the share
    prov_of = cty.set_index("adcode")["province"]
    prov_tot = counts[y1].groupby(prov_of.reindex(counts.index)).sum()
    table = pd.DataFrame(
        {
            "adcode": sel["adcode"].values,
            "province": sel["province"].values,
            "city": sel["city"].values if "city" in sel.columns else "",
            "county": sel["county"].values,
        }
    )
    for y in years:
        table[f"n_{y}"] = counts.loc[table["adcode"], y].to_numpy()
    first, last_ = table[f"n_{y0}"].astype(float), table[f"n_{y1}"].astype(float)
    table["growth_abs"] = (last_ - first).astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["growth_pct"] = np.where(first > 0, (last_ / first - 1) * 100, np.nan)
        span = max(y1 - y0, 1)
        table["cagr_pct"] = np.where(first > 0, ((last_ / first) ** (1 / span) - 1) * 100, np.nan)
    table["area_km2"] = cty.set_index("adcode").loc[table["adcode"], "_area_km2"].to_numpy()
    table["density_per_1000km2"] = last_ / table["area_km2"] * 1000.0
    ptot = prov_tot.reindex(table["province"]).to_numpy().astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["share_of_province_pct"] = np.where(ptot > 0, last_ / ptot * 100, np.nan)
    return table


def _per_county(table, vil, cty, *, y0, y1, permutations, min_locations, rngs, progress) -> dict:
    """NNI (last year) and centre shift (first -> last year) of each county, in its UTM zone."""
    from tqdm.auto import tqdm

    cols = {
        "nni_R": [],
        "nni_z": [],
        "nni_p": [],
        "nni_z_normal": [],
        "nni_n_locations": [],
        "nni_note": [],
        "centre_shift_km": [],
        "centre_bearing_deg": [],
        "centre_note": [],
    }
    geoms = cty.set_index("adcode").geometry
    bar = tqdm(
        list(table["adcode"]),
        desc="compare: counties",
        unit="county",
        disable=(None if progress is None else not progress),
        leave=False,
    )
    for i, code in enumerate(bar):
        poly = gpd.GeoDataFrame({"adcode": [code]}, geometry=[geoms.loc[code]], crs=4326)
        utm = choose_crs(poly).crs
        vc = vil[vil["_adcode"] == code]
        v_last = vc[vc["_year"] == y1].to_crs(utm)
        r = _county_nni(
            v_last,
            poly.to_crs(utm),
            permutations=permutations,
            min_locations=min_locations,
            rng=rngs[i],
        )
        for k, v in {**r, **_county_shift(vc.to_crs(utm), y0, y1)}.items():
            cols[k].append(v)
    bar.close()
    return cols


def _local_columns(table, cty, counts_last, *, context, weights, permutations, alpha, rng):
    """LISA class, Gi* bin and z of the selected counties, computed among the context counties
    (added to ``table``); the context in words and the raw result (with ``_reason`` if none).
    """
    if context == "province":
        ctx = cty[cty["province"].isin(set(table["province"]))]
        ctx_desc = f"the {len(ctx)} counties of {', '.join(sorted(set(table['province'])))}"
    else:
        ctx = cty
        ctx_desc = f"all {len(ctx)} counties"
    loc = _county_local(
        ctx, counts_last, weights=weights, permutations=permutations, alpha=alpha, rng=rng
    )
    table["lisa_class"] = table["adcode"].map(loc["lisa_class"]).fillna(loc.get("_reason", "n/a"))
    table["gi_bin"] = table["adcode"].map(loc["gi_bin"])
    table["gi_z"] = table["adcode"].map(loc["gi_z"])
    return ctx_desc, loc


def _ranked(table, y1) -> pd.DataFrame:
    """Ranks (1 = highest; ties share the best rank), rows sorted by the count rank."""
    table["rank_count"] = table[f"n_{y1}"].rank(ascending=False, method="min").astype(int)
    table["rank_density"] = (
        table["density_per_1000km2"].rank(ascending=False, method="min").astype(int)
    )
    table["rank_growth"] = table["growth_abs"].rank(ascending=False, method="min").astype(int)
    return table.sort_values(["rank_count", "adcode"]).reset_index(drop=True)


def _long_counts(counts, table) -> pd.DataFrame:
    """``adcode, county, year, n`` of the selected counties (zero counts kept)."""
    long = (
        counts.loc[table["adcode"]]
        .stack()
        .rename("n")
        .reset_index()
        .rename(
            columns={"_adcode": "adcode", "_year": "year", "level_0": "adcode", "level_1": "year"}
        )
    )
    long.columns = ["adcode", "year", "n"]
    return long.merge(table[["adcode", "county"]], on="adcode")[["adcode", "county", "year", "n"]]


def _layers(cty, table):
    """The selected county polygons with the table's columns, and the provinces' outlines (the
    maps' background: the dissolved counties of the provinces involved), EPSG:4326.
    """
    poly_out = cty.set_index("adcode").loc[table["adcode"], ["geometry"]].reset_index()
    poly_out = gpd.GeoDataFrame(poly_out.merge(table, on="adcode"), geometry="geometry", crs=4326)
    provs = cty[cty["province"].isin(set(table["province"]))][["province", "geometry"]]
    return poly_out, provs.dissolve(by="province").reset_index()


def _county_nni(pts, poly, *, permutations, min_locations, rng) -> dict:
    out = {
        "nni_R": np.nan,
        "nni_z": np.nan,
        "nni_p": np.nan,
        "nni_z_normal": np.nan,
        "nni_n_locations": 0,
        "nni_note": "",
    }
    n_loc = (
        int(
            pd.Series(
                list(zip(pts.geometry.x.round(1), pts.geometry.y.round(1), strict=True))
            ).nunique()
        )
        if len(pts)
        else 0
    )
    out["nni_n_locations"] = n_loc
    if n_loc < min_locations:
        if len(pts) == n_loc:
            out["nni_note"] = (
                f"not computed: only {len(pts)} village(s) (< {min_locations} locations)"
            )
        else:
            out["nni_note"] = (
                f"not computed: {len(pts)} villages at only {n_loc} distinct "
                f"location(s) (< {min_locations}); villages share town-seat points"
            )
        return out
    try:
        res = nni.nearest_neighbour_index(
            pts,
            area="boundary",
            boundary=poly,
            test="mc",
            nsim=int(max(permutations, 99)),
            duplicates="merge",
            rng=rng,
        )
    except TaobaoGeoError as exc:
        out["nni_note"] = f"not computed: {exc}"
        return out
    out["nni_R"] = float(res.R)
    out["nni_z"] = float(res.z)
    out["nni_p"] = float(res.p)
    out["nni_z_normal"] = float(res.z_arcgis)
    out["nni_note"] = "town-seat locations (see caveat)"
    return out


def _county_shift(pts, y0, y1) -> dict:
    out = {"centre_shift_km": np.nan, "centre_bearing_deg": np.nan, "centre_note": ""}
    a, b = pts[pts["_year"] == y0], pts[pts["_year"] == y1]
    if len(a) == 0 or len(b) == 0:
        out["centre_note"] = f"no villages in {y0 if len(a) == 0 else y1}"
        return out
    try:
        tr = centrography.centre_trends(pts[pts["_year"].isin([y0, y1])], by="_year", nni=False)
    except TaobaoGeoError as exc:
        if "same location" not in str(exc) or min(len(a), len(b)) < 1:
            out["centre_note"] = f"not computed: {exc}"  # e.g. fewer than 3 villages in a year
            return out
        # All villages of a year at one town seat: the ellipse is undefined (so centrography
        # refuses), but the mean centre is simply that point -- common at town-seat precision.
        ca, cb = (np.asarray([[g.geometry.x.mean(), g.geometry.y.mean()]])[0] for g in (a, b))
        dx, dy = cb[0] - ca[0], cb[1] - ca[1]
        out["centre_shift_km"] = float(np.hypot(dx, dy) / 1000.0)
        out["centre_bearing_deg"] = (
            float(np.degrees(np.arctan2(dx, dy)) % 360.0) if (dx or dy) else np.nan
        )
        out["centre_note"] = (
            f"mean centre {y0} -> {y1} (all villages of a year at one point: "
            "centre only, no ellipse)"
        )
        return out
    out["centre_shift_km"] = float(tr.net_shift_m) / 1000.0
    out["centre_bearing_deg"] = float(tr.net_bearing_deg)
    out["centre_note"] = f"mean centre {y0} -> {y1}"
    return out


def _county_local(
    ctx: gpd.GeoDataFrame, counts_last: pd.Series, *, weights, permutations, alpha, rng
) -> dict:
    units = ctx[["adcode", "geometry"]].drop_duplicates("adcode").set_index("adcode")
    units = units.to_crs(CHINA_ALBERS)
    units["count"] = counts_last.reindex(units.index, fill_value=0).astype(float)
    result: dict[str, Any] = {"lisa_class": {}, "gi_bin": {}, "gi_z": {}}
    try:
        sw = _weights_mod.build_graph(units, kind=weights, islands="nearest")
        r1, r2 = rng.spawn(2)
        lisa = local.local_moran(
            units, column="count", graph=sw, permutations=int(permutations), alpha=alpha, rng=r1
        )
        gi = local.getis_ord(
            units, column="count", graph=sw, star=True, alpha=alpha, inference="analytic", rng=r2
        )
    except TaobaoGeoError as exc:
        result["_reason"] = str(exc)
        return result
    lg, gg = lisa.gdf, gi.gdf
    result["lisa_class"] = lg["cluster"].astype(str).to_dict()
    result["gi_bin"] = gg["gi_bin"].to_dict()
    result["gi_z"] = gg["gi_z"].to_dict()
    return result
