"""``taobao-geo geocode``: locate a list of place names offline (town seat / county point)."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("geocode")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--province", default="province", show_default=True, help="Province column.")
@click.option("--city", default="city", show_default=True, help="Prefecture (city) column.")
@click.option("--county", default="county", show_default=True, help="County / district column.")
@click.option("--town", default="town", show_default=True, help="Town / township column.")
@click.option("--village", default="village", show_default=True, help="Village column.")
@click.option("--encoding", default=None, help="Text encoding of a CSV (default: detected).")
@click.option("--sheet", default=None, help="Excel sheet name (default: the first).")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the located table: .gpkg, .geojson, .shp, .parquet, or .csv (adds "
    "lon/lat columns, WGS 84).",
)
@click.option(
    "--on-unmatched",
    type=click.Choice(["warn", "raise"]),
    default="warn",
    show_default=True,
    help="Unmatched rows: keep them (empty geometry) or stop.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
def command(
    source, province, city, county, town, village, encoding, sheet, out_path, on_unmatched, as_json
):
    """Locate each row of a name list (province / city / county / town / village) offline.

    Every row gets the seat of its town where known, else a point inside its county, with
    loc_prec / loc_src columns; unmatched rows are kept and listed; points outside the
    declared county are flagged (outside_county). Chinese headers (省, 市, 区县, 乡镇, 村 ...)
    are recognised when the default names are absent. Coordinates are WGS 84.
    """
    import warnings

    from .._results import jsonable
    from ..geocode import locate_names, read_name_table

    df = read_name_table(source, encoding=encoding, sheet=sheet)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the report below lists unmatched rows
        gdf = locate_names(
            df,
            province=province,
            city=city,
            county=county,
            town=town,
            village=village,
            on_unmatched=on_unmatched,
        )
    report = gdf.attrs["geocode_report"]
    if out_path:
        out = Path(out_path)
        out.parent.mkdir(parents=True, exist_ok=True)
        gdf = gdf.copy()
        gdf.attrs = {}
        if out.suffix.lower() == ".csv":
            table = gdf.drop(columns="geometry")
            table["lon"] = gdf.geometry.x
            table["lat"] = gdf.geometry.y
            table.to_csv(out, index=False, encoding="utf-8-sig")  # BOM: Excel opens it as UTF-8
        elif out.suffix.lower() == ".parquet":
            gdf.to_parquet(out)
        else:
            gdf["outside_county"] = gdf["outside_county"].astype("Int64")
            gdf.to_file(out, encoding="UTF-8")
    if as_json:
        payload = report.to_dict()
        payload["unmatched_rows"] = [str(i) for i in report.unmatched.index]
        payload["outside_rows"] = [str(i) for i in report.outside.index]
        payload["out"] = str(out_path) if out_path else None
        click.echo(json.dumps(jsonable(payload), ensure_ascii=False, indent=2))
        return
    click.echo(report.summary())
    if report.n_unmatched:
        click.echo("\nUnmatched rows:\n" + report.unmatched.to_string())
    if report.n_outside:
        click.echo("\nPoints outside their declared county:\n" + report.outside.to_string())
    if out_path:
        click.echo(f"\nWrote {out_path}")
