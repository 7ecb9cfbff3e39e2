"""``taobao-geo lisa``: Local Moran (LISA) clusters HH/LL/HL/LH with permutation inference."""

from __future__ import annotations

import click

from ._autocorr import build_units, echo_context, echo_result, unit_options, write_outputs
from .options import permutations_option, rng_option

ALTS = ("two-sided", "greater", "less", "folded")


@click.command("lisa")
@unit_options
@click.option("--alpha", type=float, default=0.05, show_default=True, help="Significance level.")
@click.option(
    "--correction",
    type=click.Choice(["none", "fdr", "bonferroni"]),
    default="none",
    show_default=True,
    help="Multiple-testing correction applied to the labels.",
)
@click.option(
    "--alternative",
    type=click.Choice(ALTS),
    default="two-sided",
    show_default=True,
    help="p-value: two-sided (default), greater, less, or folded (esda/GeoDa p_sim).",
)
@click.option(
    "--inference",
    type=click.Choice(["permutation", "analytic"]),
    default="permutation",
    show_default=True,
    help="Conditional permutation or spdep's analytic normal p.",
)
@click.option("--transform", type=click.Choice(["r", "b", "none"]), default="r", show_default=True)
@permutations_option(999)
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
    alpha,
    correction,
    alternative,
    inference,
    transform,
    permutations,
    seed,
):
    """Local Moran's I clusters (HH, LL) and outliers (HL, LH) of village counts per unit.

    Same inputs as `taobao-geo moran`. Writes lisa_units.gpkg and lisa_units.csv with lisa_I,
    lisa_z, p_norm, p_sim, z_sim, quadrant, p (used), p_adj, significant and cluster per unit.

    Example: taobao-geo lisa taobao_villages --year 2016 --units counties --correction fdr
    """
    from ..local import local_moran

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
    res = local_moran(
        agg,
        column=column,
        graph=sw,
        transform=transform,
        permutations=permutations,
        alternative=alternative,
        alpha=alpha,
        adjust=None if correction == "none" else correction,
        inference=inference,
        rng=seed,
        progress=False,
    )
    echo_result(res, write_outputs(res.gdf, out_dir, "lisa_units"), info, as_json)
