"""``taobao-geo analyze``: the full analysis of a points layer into one output folder."""

from __future__ import annotations

import click

from .options import (
    boundary_option,
    emit,
    input_options,
    json_option,
    load_boundary_input,
    load_points_input,
    out_option,
    overwrite_requested,
    permutations_option,
    rng_option,
)


def _bandwidth(value: str):
    try:
        return float(value)
    except ValueError:
        return value


@click.command("analyze")
@input_options
@boundary_option
@out_option("out/analysis")
@rng_option
@permutations_option(999)
@click.option(
    "--analysis-year",
    type=int,
    default=None,
    help="Cross-section year for the single-year steps (default: the latest); all years "
    "are used for the trends.",
)
@click.option(
    "--nsim",
    type=click.IntRange(0, 99999),
    default=None,
    help="Monte Carlo simulations of the NNI test (default: --permutations; 0: the "
    "analytic z-test).",
)
@click.option(
    "--envelopes",
    "envelope_simulations",
    type=click.IntRange(0, 9999),
    default=99,
    show_default=True,
    help="CSR simulations for Ripley's L envelopes.",
)
@click.option(
    "--nni-area",
    default=None,
    help="NNI study area: boundary | mbr (ArcGIS) | hull | bbox (QGIS) | area in m². "
    "Default: boundary if given, else mbr.",
)
@click.option(
    "--duplicates",
    type=click.Choice(["merge", "keep", "raise"]),
    default="merge",
    show_default=True,
    help="Coincident points (villages at one town seat) in NNI/Ripley.",
)
@click.option(
    "--bandwidth",
    default="arcgis",
    show_default=True,
    help="KDE bandwidth: arcgis | silverman | scott | ppl | diggle | metres.",
)
@click.option("--kernel", default="quartic", show_default=True, help="KDE kernel.")
@click.option("--cell-size", type=float, default=None, help="KDE cell size in metres.")
@click.option(
    "--units",
    default="auto",
    show_default=True,
    help="Aggregation units: auto | hex | fishnet | a polygon file / shipped layer.",
)
@click.option("--unit-size", type=float, default=None, help="Grid cell size in metres.")
@click.option(
    "--value",
    type=click.Choice(["count", "density_km2"]),
    default="count",
    show_default=True,
    help="Unit variable for Moran, LISA and Gi*.",
)
@click.option(
    "--weights",
    type=click.Choice(["queen", "rook", "knn", "distance"]),
    default="queen",
    show_default=True,
    help="Spatial weights of the units.",
)
@click.option("--k", type=int, default=6, show_default=True, help="Neighbours for --weights knn.")
@click.option(
    "--alpha",
    type=float,
    default=0.05,
    show_default=True,
    help="Significance level of the LISA / Gi* labels.",
)
@click.option(
    "--correction",
    type=click.Choice(["none", "fdr", "bonferroni"]),
    default="none",
    show_default=True,
    help="Multiple-testing correction of LISA / Gi* labels.",
)
@click.option("--no-maps", is_flag=True, help="Skip the interactive HTML maps.")
@click.option("--title", default=None, help="Title for logs and maps.")
@json_option
def command(
    source,
    boundary,
    out_dir,
    seed,
    permutations,
    nsim,
    analysis_year,
    envelope_simulations,
    nni_area,
    duplicates,
    bandwidth,
    kernel,
    cell_size,
    units,
    unit_size,
    value,
    weights,
    k,
    alpha,
    correction,
    no_maps,
    title,
    as_json,
    **load,
):
    """Run the whole analysis of SOURCE and write one folder: maps (HTML), tables (CSV), layers
    (GeoPackage), summary.json, choices.json and a readable log.txt of every choice.

    Steps: projection, nearest-neighbour index with a Monte Carlo test, Ripley's L with CSR
    envelopes, kernel density with core zones, aggregation to units, spatial weights, global
    Moran's I, LISA, Gi*, centrography and, with a year column, trends over the years. A step that
    does not apply to the data (e.g. fewer than 3 points for the NNI) is recorded as skipped with
    its reason. The same --rng gives identical numbers.

    Example: taobao-geo analyze taobao_villages --boundary china_counties --out out/china
    """
    from ..pipeline import analyze

    pts = load_points_input(source, **load)
    bnd = load_boundary_input(boundary)
    unit_arg = units
    if units not in ("auto", "hex", "fishnet"):
        unit_arg = load_boundary_input(units)
    area = nni_area
    if nni_area is not None:
        try:
            area = float(nni_area)
        except ValueError:
            area = nni_area
    res = analyze(
        pts,
        boundary=bnd,
        out_dir=out_dir,
        overwrite=overwrite_requested(),
        year=analysis_year,
        permutations=permutations,
        nsim=nsim,
        envelope_simulations=envelope_simulations,
        rng=seed,
        nni_area=area,
        duplicates=duplicates,
        bandwidth=_bandwidth(bandwidth),
        kernel=kernel,
        cell_size=cell_size,
        units=unit_arg,
        unit_size_m=unit_size,
        value=value,
        weights=weights,
        k=k,
        alpha=alpha,
        correction=None if correction == "none" else correction,
        maps=not no_maps,
        title=title or source,
    )
    out = res.out_dir
    written = {
        "summary": str(out / "summary.json"),
        "choices": str(out / "choices.json"),
        "log": str(out / "log.txt"),
        "tables": str(out / "tables"),
        "layers": str(out / "layers" / "analysis.gpkg"),
        "maps": [str(p) for p in res.files.get("maps", [])],
    }
    if as_json:
        emit(res, as_json=True)  # to_dict() already lists the files written
    else:
        emit(res, as_json=False, extra=written)
