"""``taobao-geo compare``: compare counties on counts, growth, density, NNI, centre shift,
LISA / Gi*."""

from __future__ import annotations

import click

from .options import (
    emit,
    json_option,
    load_boundary_input,
    load_points_input,
    loading_options,
    out_option,
    permutations_option,
    prepare_out,
    rng_option,
)


def _years(text):
    """--years FIRST,LAST or a list -> ints, refusing anything else in one line."""
    if not text:
        return None
    try:
        return [int(y) for y in text.split(",")]
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a comma-separated list of years; give e.g. "
            "--years 2014,2016 or --years 2014,2015,2016.",
            param_hint="--years",
        ) from None


@click.command("compare")
@click.argument("source", default="taobao_villages")
@click.option(
    "--county",
    "names",
    multiple=True,
    help="County name (e.g. 曹县) or 6-digit adcode; repeat for several.",
)
@click.option("--province", default=None, help="Add all counties of this province (e.g. 山东省).")
@click.option("--city", default=None, help="Add all counties of this city (e.g. 菏泽市).")
@click.option(
    "--top",
    type=int,
    default=None,
    help="Add the national top N counties by villages in the last year.",
)
@click.option(
    "--years",
    default=None,
    help="Years to compare: FIRST,LAST (2014,2016 = 2014-2016) or a list of three or "
    "more; default all.",
)
@click.option(
    "--counties",
    "counties_src",
    default="china_counties",
    show_default=True,
    help="County polygons: a file or shipped layer with adcode/province/city/county.",
)
@click.option(
    "--context",
    type=click.Choice(["province", "china"]),
    default="province",
    show_default=True,
    help="Counties among which LISA / Gi* are computed.",
)
@loading_options
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Labels of the figures.",
)
@click.option("--no-maps", is_flag=True, help="Skip the interactive HTML comparison map.")
@out_option("out/compare")
@rng_option
@permutations_option(999)
@json_option
def command(
    source,
    names,
    province,
    city,
    top,
    years,
    counties_src,
    context,
    x_col,
    y_col,
    crs,
    datum,
    on_invalid,
    lang,
    no_maps,
    out_dir,
    seed,
    permutations,
    as_json,
):
    """Compare counties: one tidy table (counts per year, growth, density per 1,000 km², share of
    the province, NNI R and z where there are enough villages, centre shift, LISA class, Gi* bin,
    ranks), a small-multiples figure and a comparison map.

    Example: taobao-geo compare --city 菏泽市 --top 10 --out out/heze
    """
    from ..compare import compare_counties
    from ..pipeline import write_comparison

    pts = load_points_input(
        source, x_col=x_col, y_col=y_col, crs=crs, datum=datum, on_invalid=on_invalid
    )
    cty = load_boundary_input(counties_src)
    yrs = _years(years)
    if yrs and len(yrs) == 2 and yrs[1] - yrs[0] > 1:
        yrs = list(range(yrs[0], yrs[1] + 1))
    res = compare_counties(
        pts,
        cty,
        names=list(names) or None,
        province=province,
        city=city,
        top=top,
        years=yrs,
        context=context,
        permutations=permutations,
        rng=seed,
    )
    out = prepare_out(out_dir)
    paths = write_comparison(
        res, out, maps=not no_maps, lang=lang, highlight=names[0] if len(names) == 1 else None
    )
    files = {k: str(v) for k, v in paths.items()}
    emit(res, as_json=as_json, extra={"files": files} if as_json else files)
