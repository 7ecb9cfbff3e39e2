"""``taobao-geo brief``: a regional planning briefing (HTML, and PDF when Chromium exists)."""

from __future__ import annotations

import click

from .options import (
    emit,
    json_option,
    load_boundary_input,
    load_points_input,
    loading_options,
    out_option,
    overwrite_requested,
    permutations_option,
    rng_option,
)


@click.command("brief")
@click.argument("source", default="taobao_villages")
@click.option("--county", default=None, help="Region: a county name (曹县) or adcode (371721).")
@click.option("--city", default=None, help="Region: a city (菏泽市).")
@click.option("--province", default=None, help="Region: a province (山东省).")
@click.option(
    "--top",
    type=int,
    default=10,
    show_default=True,
    help="National top-N counties added to the comparison (0: none).",
)
@click.option(
    "--counties",
    "counties_src",
    default="china_counties",
    show_default=True,
    help="County polygons (file or shipped layer).",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Language of the labels (English or Chinese).",
)
@click.option(
    "--pdf/--no-pdf",
    default=True,
    show_default=True,
    help="Also print a PDF with headless Chromium (a clear message if none is found).",
)
@click.option("--no-maps", is_flag=True, help="Leave out the interactive maps.")
@click.option("--title", default=None, help="Title of the briefing.")
@loading_options
@out_option("out/brief")
@rng_option
@permutations_option(999)
@json_option
def command(
    source,
    county,
    city,
    province,
    top,
    counties_src,
    lang,
    pdf,
    no_maps,
    title,
    x_col,
    y_col,
    crs,
    datum,
    on_invalid,
    out_dir,
    seed,
    permutations,
    as_json,
):
    """Write a self-contained HTML briefing for a county, city or province: key figures in plain
    language, hot-spot and density maps, the county comparison, methods and parameters, data
    provenance and caveats. Prints where the HTML (and PDF) are.

    Example: taobao-geo brief --county 曹县 --lang zh --out out/caoxian
    """
    from ..pipeline import brief_region

    if sum(v is not None for v in (county, city, province)) != 1:
        raise click.UsageError("give exactly one of --county, --city, --province.")
    pts = load_points_input(
        source, x_col=x_col, y_col=y_col, crs=crs, datum=datum, on_invalid=on_invalid
    )
    cty = load_boundary_input(counties_src)
    res = brief_region(
        pts,
        cty,
        out_dir=out_dir,
        overwrite=overwrite_requested(),
        county=county,
        city=city,
        province=province,
        top=top,
        lang=lang,
        pdf=pdf,
        permutations=permutations,
        rng=seed,
        maps=not no_maps,
        title=title,
    )
    if pdf and res.pdf is None:
        click.echo(f"No PDF written: {res.pdf_message}", err=True)
    emit(res, as_json=as_json)
