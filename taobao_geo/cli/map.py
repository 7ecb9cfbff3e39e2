"""``taobao-geo map``: an interactive (by default self-contained) HTML map of a layer and analyses.

The command computes (kernel density, aggregation + weights + LISA / Gi*, centrography) by
calling the library, then hands the results to :mod:`taobao_geo.maps`, which only draws.
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
    aliases = {"density": "kde", "gi": "hotspots", "gistar": "hotspots", "centers": "centres",
               "centrography": "centres", "points": "villages"}
    names = [aliases.get(n, n) for n in names]
    bad = [n for n in names if n not in LAYERS]
    if bad or not names:
        raise click.BadParameter(f"unknown layer(s) {bad or value!r}; choose from "
                                 f"{', '.join(LAYERS)} (comma-separated).", param_hint="--layers")
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
@click.option("--layers", "layers_opt", default="villages,kde", show_default=True,
              help="Comma-separated: villages, kde, lisa, hotspots, centres, choropleth.")
@click.option("--tiles", type=click.Choice(TILE_CHOICES), default="osm", show_default=True,
              help="Base map. amap (GCJ-02; overlays are shifted to match) and tianditu "
                   "(needs --tile-key) are reachable from mainland China; carto takes a key.")
@click.option("--tile-key", default=None, envvar="TAOBAO_GEO_TILE_KEY",
              help="Tile provider API key: Tianditu tk (required), CARTO key (optional). "
                   "Or env TAOBAO_GEO_TILE_KEY.")
@click.option("--offline/--cdn", default=True, show_default=True,
              help="Inline all JavaScript/CSS (opens with no internet) or link the CDN.")
@click.option("--name", "file_name", default="map", show_default=True,
              help="Output file name (without .html); made safe: no folders, no '..'.")
@click.option("--title", default=None, help="Map title (default: the source name).")
@click.option("--compare-years", nargs=2, type=int, default=None,
              help="Two synchronised side-by-side maps of the villages of two years.")
@click.option("--compare-counties", nargs=2, default=None,
              help="Two side-by-side maps (each zoomed to its county) of two counties' "
                   "villages, by the 'county' column, e.g. --compare-counties 曹县 沭阳县.")
@click.option("--bandwidth", default="arcgis", show_default=True,
              help="KDE bandwidth: arcgis | silverman | scott | ppl | diggle | metres.")
@click.option("--cell-size", type=float, default=None, help="KDE cell size in metres.")
@click.option("--units", "units_opt", default="hex", show_default=True,
              help="Units for LISA/Gi*/choropleth: hex | fishnet | boundary (the --boundary "
                   "polygons) | a polygon file / shipped layer.")
@click.option("--unit-size", type=float, default=None, help="Grid cell size in metres.")
@click.option("--value", type=click.Choice(["count", "density_km2"]), default="count",
              show_default=True, help="Unit variable for LISA, Gi* and the choropleth.")
@click.option("--weights", "weights_kind", type=click.Choice(["queen", "rook", "knn"]),
              default="queen", show_default=True, help="Spatial weights of the units.")
@click.option("--k", type=int, default=6, show_default=True, help="Neighbours for knn.")
@click.option("--alpha", type=float, default=0.05, show_default=True,
              help="Significance level of the LISA / Gi* classes.")
@click.option("--correction", type=click.Choice(["none", "fdr", "bonferroni"]), default="none",
              show_default=True, help="Multiple-testing correction of LISA / Gi*.")
@permutations_option(999)
@rng_option
@json_option
def command(source, x_col, y_col, crs, datum, year, on_invalid, boundary, out_dir, layers_opt,
            tiles, tile_key, offline, file_name, title, compare_years, compare_counties,
            bandwidth, cell_size,
            units_opt, unit_size, value, weights_kind, k, alpha, correction, permutations, seed,
            as_json):
    """Build an interactive map of SOURCE (file or shipped layer) with chosen analyses.

    Statistics are computed here with the library defaults (KDE: ArcGIS radius, quartic;
    LISA: 999 conditional permutations; Gi*: analytic z, binary weights); the map only
    draws them. The page is self-contained unless --cdn; only the base-map tiles need
    the network.

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
    pts = load_points_input(source, x_col=x_col, y_col=y_col, crs=crs, datum=datum, year=year,
                            on_invalid=on_invalid)
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
            m = _compare_counties(maps, pts, compare_counties, tiles=tiles, key=tile_key,
                                  bnd=bnd)
        else:
            m = _single(maps, pts, bnd, layers, tiles=tiles, key=tile_key, title=title,
                        bandwidth=_bandwidth(bandwidth), cell_size=cell_size, units_opt=units_opt,
                        unit_size=unit_size, value=value, weights_kind=weights_kind, k=k,
                        alpha=alpha, correction=None if correction == "none" else correction,
                        permutations=permutations, seed=seed, notes=notes)
        from .._outdir import resolve_inside, safe_name

        path = maps.save_map(m, resolve_inside(out, f"{safe_name(file_name, default='map')}.html"),
                             offline=offline)
    except TaobaoGeoError as exc:
        raise click.ClickException(str(exc)) from exc
    info = {"map": str(shown(path)), "bytes": path.stat().st_size, "offline": offline,
            "tiles": tiles,
            "layers": ["villages"] * 2 if compare_years or compare_counties else layers,
            "notes": notes}
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        for n in notes:
            click.echo(f"note: {n}", err=True)
        click.echo(str(shown(path)))


def _single(maps, pts, bnd, layers, *, tiles, key, title, bandwidth, cell_size, units_opt,
            unit_size, value, weights_kind, k, alpha, correction, permutations, seed, notes):
    from .. import projection

    proj = projection.to_projected(pts)
    bproj = bnd.to_crs(proj.crs) if bnd is not None else None
    m = maps.base_map(tiles=tiles, tile_key=key, title=title,
                      simulated=maps._is_simulated(pts))
    if "kde" in layers:
        from .. import density

        res = density.kde(proj, bandwidth=bandwidth, cell_size=cell_size, boundary=bproj)
        maps.explore_density(res, m=m, cores=res.cores(regions=bproj))
    if {"lisa", "hotspots", "choropleth"} & set(layers):
        from .. import local, units, weights

        if units_opt == "boundary":
            if bproj is None:
                raise click.BadParameter("--units boundary needs --boundary.", param_hint="--units")
            unit_layer = bproj
        elif units_opt in ("hex", "fishnet"):
            unit_layer = units_opt
        else:
            unit_layer = load_boundary_input(units_opt).to_crs(proj.crs)
        cells = units.aggregate(proj, unit_layer, size_m=unit_size,
                                boundary=bproj if unit_layer in ("hex", "fishnet") else None)
        if "choropleth" in layers:
            maps.explore_choropleth(cells, value, m=m, name=f"Villages: {value}",
                                    legend_title="Villages per unit" if value == "count"
                                    else "Villages per km²")
        if {"lisa", "hotspots"} & set(layers):
            w = weights.build_graph(cells, kind=weights_kind,
                                    k=k if weights_kind == "knn" else None, islands="drop")
            if "lisa" in layers:
                lisa = local.local_moran(cells, column=value, weights=w, permutations=permutations,
                                         alpha=alpha, correction=correction, rng=seed)
                maps.explore_lisa(lisa, m=m)
            if "hotspots" in layers:
                gi = local.getis_ord(cells, column=value, weights=w, alpha=alpha,
                                     correction=correction)
                maps.explore_hotspots(gi, m=m)
    if "centres" in layers:
        if "year" not in pts.columns or pts["year"].nunique() < 2:
            notes.append("centres left out: needs a 'year' column with at least two years.")
        else:
            try:
                from .. import centrography
            except ImportError:
                notes.append("centres left out: taobao_geo.centrography is not available.")
            else:
                # Only the centres and ellipses are drawn: no NNI; coincident villages
                # (one town seat) are fine for centres.
                trends = centrography.centre_trends(proj, by="year", nni=False,
                                                    duplicates="merge")
                maps.explore_centres(trends, m=m)
    if bnd is not None:
        maps.explore_boundaries(bnd, m=m, name="Boundary")
    if "villages" in layers:
        maps.explore_villages(pts, m=m, radius=3 if len(pts) > 2000 else 4)
    return m


def _compare_years(maps, pts, years, *, tiles, key, bnd):
    if "year" not in pts.columns:
        raise click.BadParameter("--compare-years needs a 'year' column.",
                                 param_hint="--compare-years")
    have = set(pts["year"].dropna().astype(int))
    missing = [y for y in years if y not in have]
    if missing:
        raise click.BadParameter(f"no villages in year(s) {missing}; years present: "
                                 f"{sorted(have)}.", param_hint="--compare-years")
    y1, y2 = years
    a, b = pts[pts["year"] == y1], pts[pts["year"] == y2]
    dm = maps.dual_map(tiles=tiles, tile_key=key,
                       titles=(f"{y1}: {len(a):,} villages", f"{y2}: {len(b):,} villages"))
    for sub, part, y in ((dm.m1, a, y1), (dm.m2, b, y2)):
        if bnd is not None:
            maps.explore_boundaries(bnd, m=sub, name="Boundary")
        maps.explore_villages(part, m=sub, name=f"Taobao villages {y}", color_by=None)
    return dm


def _compare_counties(maps, pts, counties, *, tiles, key, bnd):
    if "county" not in pts.columns:
        raise click.BadParameter("--compare-counties needs a 'county' column.",
                                 param_hint="--compare-counties")
    have = pts["county"].dropna().astype(str)
    missing = [c for c in counties if c not in set(have)]
    if missing:
        top = have.value_counts().index[:15].tolist()
        raise click.BadParameter(f"no villages in county {missing}; counties with most "
                                 f"villages: {', '.join(top)}.", param_hint="--compare-counties")
    parts = [pts[have.reindex(pts.index) == c] for c in counties]
    dm = maps.dual_map(tiles=tiles, tile_key=key, sync=False,
                       titles=tuple(f"{c}: {len(p):,} villages"
                                    for c, p in zip(counties, parts, strict=True)))
    for sub, part, c in zip((dm.m1, dm.m2), parts, counties, strict=True):
        if bnd is not None and "county" in bnd.columns and (bnd["county"] == c).any():
            maps.explore_boundaries(bnd[bnd["county"] == c], m=sub, name=f"{c} boundary")
        maps.explore_villages(part, m=sub, name=f"Taobao villages, {c}")
    return dm
