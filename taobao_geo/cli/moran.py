"""``taobao-geo moran``: global Moran's I, Geary's C, General G (and incremental
autocorrelation)."""

from __future__ import annotations

import click

from ._autocorr import build_units, echo_context, unit_options, write_outputs
from .options import emit, permutations_option, rng_option

ALTS = ("two-sided", "greater", "less", "folded")


@click.command("moran")
@unit_options
@click.option(
    "--transform",
    type=click.Choice(["r", "b", "none"]),
    default="r",
    show_default=True,
    help="Weights: row-standardised (GeoDa/esda/spdep W), binary, or as built.",
)
@click.option(
    "--alternative",
    type=click.Choice(ALTS),
    default="two-sided",
    show_default=True,
    help="Alternative hypothesis (spdep's default is 'greater'; folded = esda p_sim).",
)
@click.option(
    "--incremental",
    is_flag=True,
    help="Also run Moran's I over 10 distance bands (ArcGIS Incremental Spatial "
    "Autocorrelation) and report the first and maximum peaks.",
)
@permutations_option(999)
@rng_option
def command(
    source,
    column,
    out_dir,
    as_json,
    transform,
    alternative,
    incremental,
    permutations,
    seed,
    **unit_options,
):
    """Global spatial autocorrelation of village counts per unit.

    SOURCE is a points file or a shipped layer (e.g. taobao_villages --year 2016). Points are
    projected (choice reported), counted per unit (--units counties | fishnet | hex | a polygon
    file, --size for grids), and Moran's I (normality, randomisation, permutation), Geary's C
    and Getis-Ord General G are computed with --weights. Writes moran_units.gpkg/.csv (units
    with value, standardised value and spatial lag for the Moran scatter plot), moran_global.csv
    and, with --incremental, moran_incremental.csv.

    Example: taobao-geo moran taobao_villages --year 2016 --units counties --weights queen
    """
    from .. import autocorrelation as ac

    agg, sw, info = build_units(source=source, **unit_options)
    echo_context(info, sw, as_json)
    kw = {
        "column": column,
        "graph": sw,
        "permutations": permutations,
        "alternative": alternative,
        "rng": seed,
    }
    mi = ac.moran(agg, transform=transform, **kw)
    gc = ac.geary(agg, transform=transform, **kw)
    results = [mi, gc]
    if (agg[column] >= 0).all():
        results.append(ac.general_g(agg, transform="b" if transform == "r" else transform, **kw))
    import pandas as pd

    table = pd.concat([r.to_frame() for r in results], ignore_index=True)
    sc = mi.scatter_data()
    units_out = agg.copy()
    units_out["z"] = sc["z"].reindex(units_out.index)
    units_out["lag_z"] = sc["lag_z"].reindex(units_out.index)
    tables = {"moran_global": table}
    inc = None
    if incremental:
        inc = ac.incremental_moran(
            agg,
            column=column,
            transform=transform,
            alternative="two-sided" if alternative == "folded" else alternative,
        )
        tables["moran_incremental"] = inc.to_frame()
    paths = write_outputs(units_out, out_dir, "moran_units", extra_tables=tables)
    extra = {"geary": gc.to_dict(), "outputs": paths, **info}
    if len(results) == 3:
        extra["general_g"] = results[2].to_dict()
    if inc is not None:
        extra["incremental"] = {
            "first_peak_m": inc.first_peak_m,
            "max_peak_m": inc.max_peak_m,
            "table": inc.table.to_dict(orient="records"),
        }
    if as_json:
        emit(mi, as_json=True, extra=extra)
    else:
        for r in results:
            click.echo(r.summary())
        if inc is not None:
            click.echo(inc.summary())
        click.echo(f"Outputs: {', '.join(paths.values())}")
