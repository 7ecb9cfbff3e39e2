"""``taobao-geo kde``: kernel density surface, high-density core zones and a quick-look PNG."""

from __future__ import annotations

import json

import click

from .options import (
    boundary_option,
    emit,
    input_options,
    json_option,
    load_boundary_input,
    load_points_input,
    out_option,
    prepare_out,
    shown,
)

RULES = ("arcgis", "silverman", "scott", "ppl", "diggle")


def _bandwidth(value: str):
    if value in RULES:
        return value
    try:
        return float(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is neither a number of metres nor one of {', '.join(RULES)}.",
            param_hint="--bandwidth",
        ) from None


def _shares(value: str) -> tuple[float, ...]:
    try:
        shares = tuple(float(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(
            f"{value!r}: give shares like 0.5,0.25.", param_hint="--shares"
        ) from None
    if not shares or any(not 0 < s < 1 for s in shares):
        raise click.BadParameter(
            f"{value!r}: each share must be between 0 and 1.", param_hint="--shares"
        )
    return shares


def _regions(name: str | None):
    if name is None or name.lower() == "none":
        return None
    return load_boundary_input(name)


def _quicklook(res, cores, path, title, background=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 6.5), dpi=120)
    res.plot(ax=ax, cores=cores, background=background)
    if title:
        ax.set_title(title)
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


@click.command("kde")
@input_options
@boundary_option
@out_option("out/kde")
@click.option(
    "--kernel",
    type=click.Choice(["quartic", "gaussian", "epanechnikov", "triangular", "uniform"]),
    default="quartic",
    show_default=True,
    help="Kernel: quartic (ArcGIS/QGIS), gaussian (spatstat), epanechnikov, triangular, uniform.",
)
@click.option(
    "--bandwidth",
    default="arcgis",
    show_default=True,
    help="Metres (radius; sigma for gaussian) or a rule: arcgis | silverman | scott | "
    "ppl | diggle.",
)
@click.option(
    "--cell-size",
    type=float,
    default=None,
    help="Cell size in metres (default: shorter side / 250, refined to resolve the kernel).",
)
@click.option(
    "--units",
    type=click.Choice(["per_km2", "counts"]),
    default="per_km2",
    show_default=True,
    help="Villages per km² or expected villages per cell.",
)
@click.option(
    "--weights",
    "weights_col",
    default=None,
    help="Numeric column of weights (e.g. villages per town seat).",
)
@click.option(
    "--edge-correction",
    type=click.Choice(["none", "uniform", "diggle"]),
    default="none",
    show_default=True,
    help="spatstat's edge correction: uniform (edge=TRUE) or Jones-Diggle "
    "(diggle=TRUE); window: --boundary or the points' box.",
)
@click.option(
    "--method",
    type=click.Choice(["auto", "fft", "exact"]),
    default="auto",
    show_default=True,
    help="Binned FFT (fast) or exact direct sum.",
)
@click.option(
    "--shares",
    default="0.5,0.25",
    show_default=True,
    help="Core zones: smallest areas holding these shares of the density mass.",
)
@click.option(
    "--threshold",
    type=float,
    default=None,
    help="Core zones where density >= this value instead of --shares.",
)
@click.option(
    "--regions",
    default="china_counties",
    show_default=True,
    help="Polygons whose province/city/county names label the core zones (file, "
    "shipped layer, or 'none').",
)
@click.option(
    "--to-crs",
    default=None,
    help="Metric CRS to project to (default: chosen by taobao_geo.projection).",
)
@json_option
def command(
    source,
    boundary,
    out_dir,
    kernel,
    bandwidth,
    cell_size,
    units,
    weights_col,
    edge_correction,
    method,
    shares,
    threshold,
    regions,
    to_crs,
    as_json,
    **load,
):
    """Kernel density of SOURCE (a points file or a shipped layer such as taobao_villages).

    Writes to --out: kde.tif (GeoTIFF in the projected CRS, NaN outside the boundary),
    cores.gpkg and cores.csv (core-zone polygons in WGS 84 with area, villages, mass share and
    the county/province names they cover), kde.png (quick look) and summary.json.

    Example: taobao-geo kde taobao_villages --year 2016 --shares 0.5,0.25 --out out/kde2016
    """
    from ..density import kde
    from ..projection import to_projected

    pts = load_points_input(source, **load)
    proj = to_projected(pts, to_crs=to_crs)
    crs_choice = proj.attrs.get("crs_choice", "")
    bnd = load_boundary_input(boundary)
    reg = _regions(regions)
    res = kde(
        proj,
        kernel=kernel,
        bandwidth=_bandwidth(bandwidth),
        cell_size=cell_size,
        boundary=bnd,
        weights=weights_col,
        edge_correction=False if edge_correction == "none" else edge_correction,
        units=units,
        method=method,
    )
    cores = res.cores(shares=_shares(shares), threshold=threshold, regions=reg)

    out = prepare_out(out_dir)
    tif = res.to_geotiff(out / "kde.tif")
    gpkg = _write_cores(cores, out)
    png = out / "kde.png"
    _quicklook(
        res,
        cores,
        png,
        f"{source}: {kernel} KDE, h = {res.bandwidth_m / 1000:,.1f} km ({res.bandwidth_rule})",
        background=reg,
    )
    extra = {
        "projection": crs_choice,
        "n_cores": int(len(cores)),
        "outputs": {
            "geotiff": str(tif),
            "cores_gpkg": str(gpkg),
            "cores_csv": str(out / "cores.csv"),
            "png": str(png),
        },
    }
    if len(cores):
        extra["cores"] = _core_rows(cores)
    payload = {**res.to_dict(), **extra}
    from .._results import jsonable

    (out / "summary.json").write_text(
        json.dumps(jsonable(payload), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    if as_json:
        emit(res, as_json=True, extra=extra)
    else:
        click.echo(res.summary())
        click.echo(f"projection: {crs_choice}")
        click.echo(f"{len(cores)} core zone(s); outputs in {shown(out)}")
        for row in extra.get("cores", [])[:12]:
            click.echo(
                f"  {row['zone']}: {row['area_km2']:,.0f} km², {row['n_villages']} "
                f"villages, {row['mass_share']:.1%} of the mass  {row.get('label', '')}"
            )


def _write_cores(cores, out):
    """cores.gpkg (WGS 84) and cores.csv (with a representative lon/lat); the GeoPackage path."""
    cores_wgs = cores.to_crs(4326)
    gpkg = out / "cores.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    cores_wgs.to_file(gpkg, layer="cores", driver="GPKG")
    table = cores.drop(columns="geometry").copy()
    if len(cores):
        centroids = cores_wgs.geometry.representative_point()
        table["lon"] = centroids.x.round(5).to_numpy()
        table["lat"] = centroids.y.round(5).to_numpy()
    table.to_csv(out / "cores.csv", index=False, encoding="utf-8")
    return gpkg


def _core_rows(cores) -> list[dict]:
    keys = ("zone", "share", "area_km2", "n_villages", "mass_share", "label")
    return [
        {k: row[k] for k in keys if k in row}
        for _, row in cores.drop(columns="geometry").iterrows()
    ]
