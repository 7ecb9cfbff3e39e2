"""``taobao-geo hotspots``: Getis-Ord Gi* hot and cold spots with ArcGIS-style confidence bins."""

from __future__ import annotations

import click

from ._autocorr import build_units, echo_context, echo_result, unit_options, write_outputs
from .options import permutations_option, rng_option

ALTS = ("two-sided", "greater", "less", "folded")


@click.command("hotspots")
@unit_options
@click.option(
    "--correction",
    type=click.Choice(["none", "fdr", "bonferroni"]),
    default="none",
    show_default=True,
    help="Multiple-testing correction of the bins (ArcGIS 'Apply FDR' = fdr).",
)
@click.option("--alternative", type=click.Choice(ALTS), default="two-sided", show_default=True)
@click.option(
    "--inference",
    type=click.Choice(["analytic", "permutation"]),
    default="analytic",
    show_default=True,
    help="Analytic z (ArcGIS, spdep) or conditional permutation.",
)
@click.option(
    "--transform",
    type=click.Choice(["b", "r", "none"]),
    default="b",
    show_default=True,
    help="Binary weights (default; Gi* z is the same with r).",
)
@click.option("--gi", "plain_gi", is_flag=True, help="Gi (self excluded) instead of Gi*.")
@permutations_option(0)
@rng_option
def command(
    source,
    x_col,
    y_col,
    crs,
    datum,
    year,
    on_invalid,
    boundary,
    units,
    size_m,
    weight_field,
    column,
    weights_kind,
    k,
    threshold,
    islands,
    out_dir,
    as_json,
    correction,
    alternative,
    inference,
    transform,
    plain_gi,
    permutations,
    seed,
):
    """Getis-Ord Gi* hot and cold spots of village counts per unit.

    Same inputs as `taobao-geo moran`. Writes hotspots_units.gpkg and hotspots_units.csv with
    gi, gi_z, gi_p, (gi_p_sim), p_adj, n_neighbours, gi_bin (-3..3 = 99/95/90 % cold..hot, as
    ArcGIS Gi_Bin) and gi_label per unit.

    Example: taobao-geo hotspots taobao_villages --year 2016 --units counties --correction fdr
    """
    from ..local import getis_ord

    if inference == "permutation" and permutations == 0:
        permutations = 999
    agg, sw, info = build_units(
        source=source,
        x_col=x_col,
        y_col=y_col,
        crs=crs,
        datum=datum,
        year=year,
        on_invalid=on_invalid,
        boundary=boundary,
        units=units,
        size_m=size_m,
        weight_field=weight_field,
        weights_kind=weights_kind,
        k=k,
        threshold=threshold,
        islands=islands,
    )
    echo_context(info, sw, as_json)
    res = getis_ord(
        agg,
        column=column,
        graph=sw,
        star=not plain_gi,
        transform=transform,
        permutations=permutations,
        alternative=alternative,
        adjust=None if correction == "none" else correction,
        inference=inference,
        rng=seed,
        progress=False,
    )
    echo_result(res, write_outputs(res.gdf, out_dir, "hotspots_units"), info, as_json)
