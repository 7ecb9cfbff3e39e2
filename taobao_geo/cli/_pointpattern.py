"""Shared plumbing of the point-pattern subcommands (nni, ripley, centrography)."""

from __future__ import annotations

import json

import click

from .._results import jsonable
from .options import load_boundary_input, load_points_input

AREA_CHOICES = ("boundary", "mbr", "bbox", "hull")


def duplicates_option(f):
    return click.option(
        "--duplicates",
        type=click.Choice(["raise", "merge", "keep"]),
        default="raise",
        show_default=True,
        help="Coincident points (villages placed at one town seat): stop and list them, merge "
        "them into one point per location, or keep them (zero distances).",
    )(f)


def area_options(f):
    f = click.option(
        "--area-km2",
        type=float,
        default=None,
        help="Explicit study area in km² (ArcGIS 'Area'); only the z-test then.",
    )(f)
    f = click.option(
        "--area",
        "area_method",
        type=click.Choice(AREA_CHOICES),
        default=None,
        help="Study area: boundary (default with --boundary), mbr (minimum "
        "enclosing rectangle, ArcGIS; default otherwise), bbox (QGIS), hull.",
    )(f)
    f = click.option(
        "--to-crs",
        default=None,
        help="Metric CRS to project to (default: chosen by taobao_geo.projection).",
    )(f)
    return f


def load_projected(source, *, x_col, y_col, crs, datum, year, on_invalid, boundary, to_crs):
    """Points (and boundary) in a metric CRS, with the CRS choice reported on stderr."""
    from ..projection import to_projected

    pts = load_points_input(
        source, x_col=x_col, y_col=y_col, crs=crs, datum=datum, year=year, on_invalid=on_invalid
    )
    proj = to_projected(pts, to_crs=to_crs)
    choice = proj.attrs.get("crs_choice", "")
    bnd = load_boundary_input(boundary)
    if bnd is not None:
        bnd = bnd.to_crs(proj.crs)
    return proj, bnd, choice


def area_arg(area_method, area_km2):
    if area_km2 is not None:
        if area_method is not None:
            raise click.BadParameter(
                "give either --area or --area-km2, not both.", param_hint="--area-km2"
            )
        return area_km2 * 1e6
    return area_method


def write_summary(out, payload: dict) -> None:
    (out / "summary.json").write_text(
        json.dumps(jsonable(payload), ensure_ascii=False, indent=2), encoding="utf-8"
    )
