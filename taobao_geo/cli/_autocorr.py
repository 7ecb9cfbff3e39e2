"""Options and steps shared by ``taobao-geo moran``, ``lisa`` and ``hotspots``.

points (file or shipped layer) -> metric CRS (reported) -> units (counties / fishnet / hex /
a polygon file) -> weights (reported, islands handled) -> statistic -> GeoPackage + CSV + JSON.
Heavy imports happen inside the functions so that ``taobao-geo --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from .options import (
    boundary_option,
    emit,
    input_options,
    json_option,
    load_boundary_input,
    load_points_input,
    out_option,
)

UNIT_CHOICES = ("counties", "fishnet", "hex")
WEIGHT_CHOICES = ("queen", "rook", "knn", "distance", "idw", "kernel")


def unit_options(f):
    """Input, units, weights and output options common to the three commands."""
    f = json_option(f)
    f = out_option("out")(f)
    f = click.option(
        "--islands",
        type=click.Choice(["raise", "drop", "nearest"]),
        default="nearest",
        show_default=True,
        help="Units without neighbours: stop, leave out (reported), or link each to "
        "its nearest unit (reported).",
    )(f)
    f = click.option(
        "--threshold",
        type=float,
        default=None,
        help="Distance band / kernel bandwidth in metres (default: smallest band "
        "giving every unit a neighbour).",
    )(f)
    f = click.option(
        "--k", "k", type=int, default=None, help="Neighbours for --weights knn (default 8)."
    )(f)
    f = click.option(
        "--weights",
        "weights_kind",
        type=click.Choice(WEIGHT_CHOICES),
        default="queen",
        show_default=True,
        help="Spatial weights.",
    )(f)
    f = click.option(
        "--column",
        default="count",
        show_default=True,
        help="Unit column to analyse: count, density_km2, weighted_count, ...",
    )(f)
    f = click.option(
        "--weight-field",
        default=None,
        help="Numeric column of the points summed per unit (weighted_count).",
    )(f)
    f = click.option(
        "--size",
        "size_m",
        type=float,
        default=None,
        help="Grid cell size in metres (fishnet side / hexagon width; default about 1,000 cells).",
    )(f)
    f = click.option(
        "--units",
        "units",
        default="counties",
        show_default=True,
        help="Aggregation units: counties (shipped China counties), fishnet, hex, "
        "or a polygon file / shipped polygon layer.",
    )(f)
    f = boundary_option(f)
    f = input_options(f)
    return f


def build_units(
    *,
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
    weights_kind,
    k,
    threshold,
    islands,
):
    """Load, project, aggregate and build weights; return (units_gdf, weights, info dict)."""
    from .. import datasets
    from ..projection import to_projected
    from ..units import aggregate
    from ..weights import build_graph

    pts = load_points_input(
        source, x_col=x_col, y_col=y_col, crs=crs, datum=datum, year=year, on_invalid=on_invalid
    )
    pts = pts[pts.geometry.geom_type == "Point"] if len(pts) else pts
    proj = to_projected(pts)
    info = {
        "source": source,
        "n_points": int(len(pts)),
        "crs": proj.crs.to_string(),
        "crs_choice": proj.attrs.get("crs_choice"),
    }
    bnd = load_boundary_input(boundary)
    if units in ("fishnet", "hex"):
        agg = aggregate(proj, units, size_m=size_m, boundary=bnd, weights=weight_field)
    else:
        if units == "counties":
            polys = datasets.load("china_counties")
            if "adcode" in polys.columns:
                polys = polys.set_index("adcode", drop=False)
                polys.index.name = "unit_id"
        elif units in datasets.names() or Path(units).exists():
            polys = load_boundary_input(units)
        else:
            raise click.BadParameter(
                f"{units!r} is not one of {', '.join(UNIT_CHOICES)}, a polygon file or a shipped "
                "layer.",
                param_hint="--units",
            )
        agg = aggregate(proj, polys, boundary=bnd, weights=weight_field)
    info["aggregation"] = agg.attrs.get("aggregation", {})
    sw = build_graph(agg, kind=weights_kind, k=k, threshold=threshold, islands=islands)
    info["weights"] = sw.to_dict()
    return agg, sw, info


def write_outputs(gdf, out_dir, stem: str, *, extra_tables: dict | None = None) -> dict:
    """GeoPackage (in WGS 84 for easy use in any GIS) + CSV without geometry; returns paths."""
    from .options import prepare_out

    out = prepare_out(out_dir)
    gpkg = out / f"{stem}.gpkg"
    csv = out / f"{stem}.csv"
    g = gdf.copy()
    for col in g.columns:
        if col != g.geometry.name and g[col].dtype == object:
            g[col] = g[col].astype(str).where(g[col].notna(), None)
    if gpkg.exists():
        gpkg.unlink()
    g.to_crs(4326).to_file(gpkg, layer=stem, driver="GPKG")
    g.drop(columns=g.geometry.name).to_csv(csv, index=True)
    paths = {"gpkg": str(gpkg), "csv": str(csv)}
    for name, table in (extra_tables or {}).items():
        p = out / f"{name}.csv"
        table.to_csv(p, index=False)
        paths[name] = str(p)
    return paths


def echo_context(info: dict, sw, as_json: bool) -> None:
    """Human-readable context lines (CRS, aggregation, weights) on stderr unless --json."""
    if as_json:
        return
    agg = info.get("aggregation", {})
    click.echo(f"Projected to {info['crs']} ({info.get('crs_choice')}).", err=True)
    click.echo(
        f"{agg.get('n_points_counted')} of {info['n_points']} points in {agg.get('n_units')} "
        f"units ({agg.get('units')}); {agg.get('n_empty_units')} units have none; "
        f"{agg.get('n_points_outside')} points outside every unit.",
        err=True,
    )
    click.echo(sw.summary(), err=True)


def echo_result(res, paths: dict, info: dict, as_json: bool) -> None:
    """Print one local result: its JSON summary with outputs and context, or its text summary."""
    if as_json:
        emit(res, as_json=True, extra={"outputs": paths, **info})
    else:
        click.echo(res.summary())
        click.echo(f"Outputs: {', '.join(paths.values())}")
