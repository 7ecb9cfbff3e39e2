"""``taobao-geo centrography``: centres, standard distance, ellipse, and their trends by year."""

from __future__ import annotations

import click

from ._pointpattern import area_options, duplicates_option, load_projected, write_summary
from .options import boundary_option, emit, input_options, json_option, out_option, prepare_out


@click.command("centrography")
@input_options
@boundary_option
@area_options
@click.option(
    "--weights",
    "weights_col",
    default=None,
    help="Numeric column of weights (e.g. villages per town).",
)
@click.option(
    "--sde",
    type=click.Choice(["arcgis", "crimestat", "yuill"]),
    default="arcgis",
    show_default=True,
    help="Ellipse convention: sqrt(2) (ArcGIS), sqrt(2)·sqrt(n/(n-2)) (CrimeStat/pointpats), none.",
)
@click.option(
    "--n-std",
    type=click.Choice(["1", "2", "3"]),
    default="1",
    show_default=True,
    help="Ellipse and circle size in standard deviations.",
)
@click.option(
    "--by",
    default="year",
    show_default=True,
    help="Period column for trends (used when it has more than one value).",
)
@click.option(
    "--nni/--no-nni",
    "with_nni",
    default=True,
    show_default=True,
    help="Add the nearest-neighbour index per period (one window for all periods).",
)
@duplicates_option
@out_option("out/centrography")
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
    weights_col,
    sde,
    n_std,
    by,
    with_nni,
    duplicates,
    out_dir,
    as_json,
):
    """Mean/median centre, standard distance and standard deviational ellipse of SOURCE.

    With a multi-period layer (e.g. taobao_villages 2014-2016, column --by year) also the
    centre trajectory (distance and bearing of each shift), an ellipse and the NNI per period.
    Writes centrography.csv (or trends.csv), centrography.gpkg (geometries in the projected
    CRS), centrography.png and summary.json to --out.

    Example: taobao-geo centrography taobao_villages --duplicates merge
    """
    import geopandas as gpd

    from ..centrography import centre_trends, centrography

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
    out = prepare_out(out_dir)
    extra = {"crs_choice": choice}
    trends = by in pts.columns and pts[by].nunique() > 1
    if trends:
        area = area_km2 * 1e6 if area_km2 is not None else area_method
        res = centre_trends(
            pts,
            by=by,
            weights=weights_col,
            sde=sde,
            n_std=float(n_std),
            nni=with_nni,
            area=area,
            boundary=bnd,
            duplicates=duplicates,
        )
        res.to_frame().to_csv(out / "trends.csv", index=False)
        centres = res.centres_gdf()
        centres.to_file(out / "centrography.gpkg", layer="centres", driver="GPKG")
        res.ellipses.to_file(out / "centrography.gpkg", layer="ellipses", driver="GPKG")
        traj = (
            gpd.GeoDataFrame({"by": [by]}, geometry=[res.trajectory], crs=pts.crs)
            if res.trajectory is not None
            else None
        )
        if traj is not None:
            traj.to_file(out / "centrography.gpkg", layer="trajectory", driver="GPKG")
        res.plot(path=out / "centrography.png", points=pts)
        files = ["trends.csv", "centrography.gpkg", "centrography.png", "summary.json"]
    else:
        res = centrography(pts, weights=weights_col, sde=sde, n_std=float(n_std))
        res.to_frame().to_csv(out / "centrography.csv", index=False)
        layer = res.to_gdf()
        layer.to_file(out / "centrography.gpkg", layer="centrography", driver="GPKG")
        res.plot(path=out / "centrography.png", points=pts)
        files = ["centrography.csv", "centrography.gpkg", "centrography.png", "summary.json"]
    extra["outputs"] = [str(out / f) for f in files]
    write_summary(out, {**res.to_dict(), **extra})
    emit(res, as_json=as_json, extra=extra)
