"""``taobao-geo nni``: nearest-neighbour index with a z-test or a Monte Carlo test."""

from __future__ import annotations

import click

from ._pointpattern import (
    area_arg,
    area_options,
    duplicates_option,
    load_projected,
    write_summary,
)
from .options import (
    boundary_option,
    emit,
    input_options,
    json_option,
    out_option,
    permutations_option,
    prepare_out,
    rng_option,
)


@click.command("nni")
@input_options
@boundary_option
@area_options
@click.option(
    "--correction",
    type=click.Choice(["none", "donnelly", "cdf"]),
    default="none",
    show_default=True,
    help="Edge correction: none (ArcGIS/QGIS), donnelly (rectangles), cdf (spatstat).",
)
@click.option(
    "--test",
    type=click.Choice(["z", "mc"]),
    default=None,
    help="z (normal, ArcGIS/spatstat default) or mc (CSR simulated in the window). "
    "Default: z, or mc for --correction cdf.",
)
@click.option(
    "--alternative",
    type=click.Choice(["two-sided", "less", "greater"]),
    default="two-sided",
    show_default=True,
    help="less = clustered (R < 1), greater = dispersed (R > 1).",
)
@permutations_option(999)
@duplicates_option
@rng_option
@out_option("out/nni")
@json_option
def command(
    source,
    x_col,
    y_col,
    crs,
    datum,
    year,
    on_invalid,
    boundary,
    to_crs,
    area_method,
    area_km2,
    correction,
    test,
    alternative,
    permutations,
    duplicates,
    seed,
    out_dir,
    as_json,
):
    """Nearest-neighbour index (Clark-Evans R, ArcGIS Average Nearest Neighbor) of SOURCE.

    Writes nni.csv (one row: R, observed/expected mean distance, z, p, area and how it was
    chosen, coincident points), nni.png and summary.json to --out.

    Example: taobao-geo nni caoxian_villages_simulated --boundary caoxian_boundary --test mc
    """
    from ..nni import nearest_neighbour_index

    pts, bnd, choice = load_projected(
        source,
        x_col=x_col,
        y_col=y_col,
        crs=crs,
        datum=datum,
        year=year,
        on_invalid=on_invalid,
        boundary=boundary,
        to_crs=to_crs,
    )
    res = nearest_neighbour_index(
        pts,
        area=area_arg(area_method, area_km2),
        boundary=bnd,
        correction=correction,
        test=test,
        alternative=alternative,
        nsim=permutations,
        duplicates=duplicates,
        rng=seed,
    )
    out = prepare_out(out_dir)
    frame = res.to_frame()
    frame.insert(0, "source", source)
    frame["crs_choice"] = choice
    frame.to_csv(out / "nni.csv", index=False)
    res.plot(path=out / "nni.png")
    extra = {
        "crs_choice": choice,
        "outputs": [str(out / f) for f in ("nni.csv", "nni.png", "summary.json")],
    }
    write_summary(out, {**res.to_dict(), **extra})
    emit(res, as_json=as_json, extra=extra)
