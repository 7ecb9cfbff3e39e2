"""``taobao-geo map``: an interactive (by default self-contained) HTML map of a layer and analyses.

The command only parses: the analyses (kernel density, units + weights + LISA / Gi*, centre
trends) are :func:`taobao_geo.pipeline.compute`'s, the same steps and defaults as
``taobao-geo analyze``, and :mod:`taobao_geo.maps` draws them.
"""

from __future__ import annotations

import click

from .options import (
    boundary_option,
    input_options,
    json_option,
    load_boundary_input,
    load_points_input,
    out_option,
    permutations_option,
    prepare_out,
    rng_option,
    shown,
)

LAYERS = ("villages", "kde", "lisa", "hotspots", "centres", "choropleth")
TILE_CHOICES = ("carto", "osm", "amap", "amap-satellite", "tianditu")


def _layers(value: str) -> list[str]:
    names = [v.strip().lower() for v in value.split(",") if v.strip()]
    aliases = {
        "density": "kde",
        "gi": "hotspots",
        "gistar": "hotspots",
        "centers": "centres",
        "centrography": "centres",
        "points": "villages",
    }
    names = [aliases.get(n, n) for n in names]
    bad = [n for n in names if n not in LAYERS]
    if bad or not names:
        raise click.BadParameter(
            f"unknown layer(s) {bad or value!r}; choose from "
            f"{', '.join(LAYERS)} (comma-separated).",
            param_hint="--layers",
        )
    return list(dict.fromkeys(names))


def _bandwidth(value: str):
    try:
        return float(value)
    except ValueError:
        return value


@click.command("map")
@input_options
@boundary_option
@out_option("out/maps")
@click.option(
    "--layers",
    "layers_opt",
    default="villages,kde",
    show_default=True,
    help="Comma-separated: villages, kde, lisa, hotspots, centres, choropleth.",
)
@click.option(
    "--tiles",
    type=click.Choice(TILE_CHOICES),
    default="osm",
    show_default=True,
    help="Base map. amap (GCJ-02; overlays are shifted to match) and tianditu "
    "(needs --tile-key) are reachable from mainland China; carto takes a key.",
)
@click.option(
    "--tile-key",
    default=None,
    envvar="TAOBAO_GEO_TILE_KEY",
    help="Tile provider API key: Tianditu tk (required), CARTO key (optional). "
    "Or env TAOBAO_GEO_TILE_KEY.",
)
@click.option(
    "--offline/--cdn",
    default=True,
    show_default=True,
    help="Inline all JavaScript/CSS (opens with no internet) or link the CDN.",
)
@click.option(
    "--name",
    "file_name",
    default="map",
    show_default=True,
    help="Output file name (without .html); made safe: no folders, no '..'.",
)
@click.option("--title", default=None, help="Map title (default: the source name).")
@click.option(
    "--compare-years",
    nargs=2,
    type=int,
    default=None,
    help="Two synchronised side-by-side maps of the villages of two years.",
)
@click.option(
    "--compare-counties",
    nargs=2,
    default=None,
    help="Two side-by-side maps (each zoomed to its county) of two counties' "
    "villages, by the 'county' column, e.g. --compare-counties 曹县 沭阳县.",
)
@click.option(
    "--bandwidth",
    default="arcgis",
    show_default=True,
    help="KDE bandwidth: arcgis | silverman | scott | ppl | diggle | metres.",
)
@click.option("--cell-size", type=float, default=None, help="KDE cell size in metres.")
@click.option(
    "--units",
    "units_opt",
    default="auto",
    show_default=True,
    help="Units for LISA/Gi*/choropleth, as analyze: auto (the --boundary polygons "
    "when there are at least 3, else hexagons) | hex | fishnet | boundary | a "
    "polygon file / shipped layer.",
)
@click.option("--unit-size", type=float, default=None, help="Grid cell size in metres.")
@click.option(
    "--value",
    type=click.Choice(["count", "density_km2"]),
    default="count",
    show_default=True,
    help="Unit variable for LISA, Gi* and the choropleth.",
)
@click.option(
    "--weights",
    "weights_kind",
    type=click.Choice(["queen", "rook", "knn"]),
    default="queen",
    show_default=True,
    help="Spatial weights of the units.",
)
@click.option("--k", type=int, default=6, show_default=True, help="Neighbours for knn.")
@click.option(
    "--alpha",
    type=float,
    default=0.05,
    show_default=True,
    help="Significance level of the LISA / Gi* classes.",
)
@click.option(
    "--correction",
    type=click.Choice(["none", "fdr", "bonferroni"]),
    default="none",
    show_default=True,
    help="Multiple-testing correction of LISA / Gi*.",
)
@permutations_option(999)
@rng_option
@json_option
def command(
    source,
    boundary,
    out_dir,
    layers_opt,
    tiles,
    tile_key,
    offline,
    file_name,
    title,
    compare_years,
    compare_counties,
    as_json,
    **opts,
):
    """Build an interactive map of SOURCE (file or shipped layer) with chosen analyses.

    The statistics are those of `taobao-geo analyze` with the same options (KDE: ArcGIS
    radius, quartic; units as analyze; islands joined to the nearest unit; LISA: 999
    conditional permutations; Gi*: analytic z), computed on the latest year when there
    are several; the map only draws them. The page is self-contained unless --cdn; only
    the base-map tiles need the network.

    \b
    Examples:
      taobao-geo map taobao_villages --year 2016 --layers villages,kde --out out/maps
      taobao-geo map caoxian_villages_simulated --boundary caoxian_boundary \\
          --layers villages,kde,lisa,hotspots --units fishnet --tiles amap
      taobao-geo map taobao_villages --compare-years 2014 2016 --name compare
      taobao-geo map taobao_villages --boundary china_counties \\
          --compare-counties 曹县 沭阳县
    """
    import json

    from .. import maps
    from .._errors import TaobaoGeoError

    layers = _layers(layers_opt)
    load = {k: opts.pop(k) for k in _LOAD_OPTIONS}
    pts = load_points_input(source, **load)
    bnd = load_boundary_input(boundary)
    out = prepare_out(out_dir)
    title = title or str(source)
    notes: list[str] = []
    try:
        if compare_years and compare_counties:
            raise click.UsageError("use --compare-years or --compare-counties, not both.")
        if compare_years:
            m = _compare_years(maps, pts, compare_years, tiles=tiles, key=tile_key, bnd=bnd)
        elif compare_counties:
            m = _compare_counties(maps, pts, compare_counties, tiles=tiles, key=tile_key, bnd=bnd)
        else:
            m = _single(
                maps,
                pts,
                bnd,
                layers,
                tiles=tiles,
                key=tile_key,
                title=title,
                notes=notes,
                choropleth_value=opts["value"],
                **_analysis_options(opts, bnd),
            )
        from .._outdir import resolve_inside, safe_name

        path = maps.save_map(
            m, resolve_inside(out, f"{safe_name(file_name, default='map')}.html"), offline=offline
        )
    except TaobaoGeoError as exc:
        raise click.ClickException(str(exc)) from exc
    info = {
        "map": str(shown(path)),
        "bytes": path.stat().st_size,
        "offline": offline,
        "tiles": tiles,
        "layers": ["villages"] * 2 if compare_years or compare_counties else layers,
        "notes": notes,
    }
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        for n in notes:
            click.echo(f"note: {n}", err=True)
        click.echo(str(shown(path)))


# map layer -> the analysis steps it draws (the pipeline adds the steps these need)
_STEPS_FOR = {
    "kde": ("kde",),
    "choropleth": ("units",),
    "lisa": ("lisa",),
    "hotspots": ("gistar",),
    "centres": ("trends",),
}


def _single(maps, pts, bnd, layers, *, tiles, key, title, notes, choropleth_value, **options):
    """One map of the chosen layers; the statistics are :func:`taobao_geo.pipeline.compute`'s,
    with the options of ``analyze``, so both commands give the same numbers for the same input."""
    from ..pipeline import compute

    m = maps.base_map(tiles=tiles, tile_key=key, title=title, simulated=maps._is_simulated(pts))
    steps = tuple(sorted({s for layer in layers for s in _STEPS_FOR.get(layer, ())}))
    res = compute(pts, boundary=bnd, steps=steps, **options) if steps else None
    for layer in ("kde", "choropleth", "lisa", "hotspots", "centres"):
        if layer in layers:
            _DRAW[layer](maps, m, res, notes=notes, value=choropleth_value)
    if bnd is not None:
        maps.explore_boundaries(bnd, m=m, name="Boundary")
    if "villages" in layers:
        maps.explore_villages(pts, m=m, radius=3 if len(pts) > 2000 else 4)
    return m


def _left_out(res, step: str, layer: str, notes: list) -> bool:
    """True (and a note with the step's reason) when ``step`` produced nothing to draw."""
    if res.ok(step):
        return False
    rec = res.step(step)
    notes.append(f"{layer} left out: {rec.reason or rec.status}")
    return True


def _draw_kde(maps, m, res, *, notes, **_):
    if not _left_out(res, "kde", "kde", notes):
        maps.explore_density(res.results["kde"], m=m, cores=res.layers.get("kde_cores"))


def _draw_choropleth(maps, m, res, *, notes, value):
    # the units are a layer of the result (with the LISA / Gi* columns when those ran)
    cells = next(
        (res.layers[k] for k in ("units", "units_lisa", "units_gistar") if k in res.layers), None
    )
    if cells is None:
        rec = res.step("units")
        notes.append(f"choropleth left out: {rec.reason or rec.status}")
        return
    maps.explore_choropleth(
        cells,
        value,
        m=m,
        name=f"Villages: {value}",
        legend_title="Villages per unit" if value == "count" else "Villages per km²",
    )


def _draw_lisa(maps, m, res, *, notes, **_):
    if not _left_out(res, "lisa", "lisa", notes):
        maps.explore_lisa(res.results["lisa"], m=m)


def _draw_hotspots(maps, m, res, *, notes, **_):
    if not _left_out(res, "gistar", "hotspots", notes):
        maps.explore_hotspots(res.results["gistar"], m=m)


def _draw_centres(maps, m, res, *, notes, **_):
    if not _left_out(res, "trends", "centres", notes):
        maps.explore_centres(res.results["trends"], m=m)


_DRAW = {
    "kde": _draw_kde,
    "choropleth": _draw_choropleth,
    "lisa": _draw_lisa,
    "hotspots": _draw_hotspots,
    "centres": _draw_centres,
}


_LOAD_OPTIONS = ("x_col", "y_col", "crs", "datum", "year", "on_invalid")


def _analysis_options(o: dict, bnd) -> dict:
    """The command's analysis options as the keywords of :func:`taobao_geo.pipeline.analyze`."""
    return {
        "bandwidth": _bandwidth(o["bandwidth"]),
        "cell_size": o["cell_size"],
        "units": _unit_option(o["units_opt"], bnd),
        "unit_size_m": o["unit_size"],
        "value": o["value"],
        "weights": o["weights_kind"],
        "k": o["k"],
        "alpha": o["alpha"],
        "correction": None if o["correction"] == "none" else o["correction"],
        "permutations": o["permutations"],
        "rng": o["seed"],
    }


def _unit_option(units_opt: str, bnd):
    """--units: auto | hex | fishnet | boundary (the --boundary polygons) | a polygon layer."""
    if units_opt == "boundary":
        if bnd is None:
            raise click.BadParameter("--units boundary needs --boundary.", param_hint="--units")
        return bnd
    if units_opt in ("auto", "hex", "fishnet"):
        return units_opt
    return load_boundary_input(units_opt)


def _compare_years(maps, pts, years, *, tiles, key, bnd):
    if "year" not in pts.columns:
        raise click.BadParameter(
            "--compare-years needs a 'year' column.", param_hint="--compare-years"
        )
    have = set(pts["year"].dropna().astype(int))
    missing = [y for y in years if y not in have]
    if missing:
        raise click.BadParameter(
            f"no villages in year(s) {missing}; years present: {sorted(have)}.",
            param_hint="--compare-years",
        )
    y1, y2 = years
    a, b = pts[pts["year"] == y1], pts[pts["year"] == y2]
    dm = maps.dual_map(
        tiles=tiles,
        tile_key=key,
        titles=(f"{y1}: {len(a):,} villages", f"{y2}: {len(b):,} villages"),
    )
    for sub, part, y in ((dm.m1, a, y1), (dm.m2, b, y2)):
        if bnd is not None:
            maps.explore_boundaries(bnd, m=sub, name="Boundary")
        maps.explore_villages(part, m=sub, name=f"Taobao villages {y}", color_by=None)
    return dm


def _compare_counties(maps, pts, counties, *, tiles, key, bnd):
    if "county" not in pts.columns:
        raise click.BadParameter(
            "--compare-counties needs a 'county' column.", param_hint="--compare-counties"
        )
    have = pts["county"].dropna().astype(str)
    missing = [c for c in counties if c not in set(have)]
    if missing:
        top = have.value_counts().index[:15].tolist()
        raise click.BadParameter(
            f"no villages in county {missing}; counties with most villages: {', '.join(top)}.",
            param_hint="--compare-counties",
        )
    parts = [pts[have.reindex(pts.index) == c] for c in counties]
    dm = maps.dual_map(
        tiles=tiles,
        tile_key=key,
        sync=False,
        titles=tuple(f"{c}: {len(p):,} villages" for c, p in zip(counties, parts, strict=True)),
    )
    for sub, part, c in zip((dm.m1, dm.m2), parts, counties, strict=True):
        if bnd is not None and "county" in bnd.columns and (bnd["county"] == c).any():
            maps.explore_boundaries(bnd[bnd["county"] == c], m=sub, name=f"{c} boundary")
        maps.explore_villages(part, m=sub, name=f"Taobao villages, {c}")
    return dm
