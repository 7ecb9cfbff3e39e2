"""``taobao-geo ripley``: K/L/G/F functions with CSR envelopes and the ArcGIS L(d) table."""

from __future__ import annotations

import click

from ._pointpattern import area_options, duplicates_option, load_projected, write_summary
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


@click.command("ripley")
@input_options
@boundary_option
@area_options
@click.option(
    "--function",
    "function",
    type=click.Choice(["L", "K", "G", "F"]),
    default="L",
    show_default=True,
    help="L = sqrt(K/pi) (ArcGIS), K, G (nearest neighbour), F (empty space).",
)
@click.option(
    "--correction",
    multiple=True,
    help="Edge correction(s), first gets the envelope. K/L: isotropic, translate, "
    "border, none; G: km, rs, han, none; F: km, rs, cs, none. Default as "
    "spatstat.",
)
@click.option(
    "--rmax",
    type=float,
    default=None,
    help="Largest distance in metres (default: spatstat's rule).",
)
@click.option(
    "--envelope",
    type=click.Choice(["pointwise", "global"]),
    default="pointwise",
    show_default=True,
    help="Pointwise (spatstat default) or global (simultaneous).",
)
@permutations_option(99)
@click.option(
    "--bands",
    type=int,
    default=10,
    show_default=True,
    help="Distance bands of the ArcGIS-style multi-distance L(d) table (0: skip).",
)
@duplicates_option
@rng_option
@out_option("out/ripley")
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
    function,
    correction,
    rmax,
    envelope,
    permutations,
    bands,
    duplicates,
    seed,
    out_dir,
    as_json,
):
    """Ripley's K/L (or G, F) of SOURCE with a CSR envelope simulated in the window.

    Writes ripley.csv (tidy: r_m, correction, estimate, theoretical, lo, hi), ripley.png,
    multi_distance.csv (ArcGIS Multi-Distance Spatial Cluster Analysis columns: distance,
    expected and observed L, difference, envelope) and summary.json to --out.

    Example: taobao-geo ripley taobao_towns_2016 --function L --permutations 99
    """
    from ..ripley import distance_function, multi_distance

    if area_km2 is not None:
        raise click.BadParameter(
            "Ripley functions need a window geometry; use --boundary or --area mbr/bbox/hull.",
            param_hint="--area-km2",
        )
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
    res = distance_function(
        pts,
        function=function,
        boundary=bnd,
        area=area_method,
        correction=list(correction) or None,
        rmax=rmax,
        nsim=permutations,
        envelope=envelope,
        duplicates=duplicates,
        rng=seed,
    )
    out = prepare_out(out_dir)
    res.to_frame().to_csv(out / "ripley.csv", index=False)
    res.plot(path=out / "ripley.png")
    outputs = ["ripley.csv", "ripley.png"]
    extra = {"crs_choice": choice}
    if bands:
        md = multi_distance(
            pts,
            n_bands=bands,
            boundary=bnd,
            area=area_method,
            nsim=permutations,
            envelope=envelope,
            duplicates=duplicates,
            rng=seed,
        )
        md.to_frame().to_csv(out / "multi_distance.csv", index=False)
        outputs.append("multi_distance.csv")
        extra.update(
            max_clustering_distance_m=md.max_clustering_distance_m,
            max_diff_L_m=md.max_diff_L_m,
            significant_at_max=md.significant_at_max,
            multi_distance=md.summary(),
        )
    extra["outputs"] = [str(out / f) for f in [*outputs, "summary.json"]]
    write_summary(out, {**res.to_dict(), **extra})
    emit(res, as_json=as_json, extra=extra)
