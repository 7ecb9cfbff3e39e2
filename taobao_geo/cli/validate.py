"""``taobao-geo validate``: load a points file, print what was detected and every problem found."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import click

from .options import boundary_option, coordinate_options, json_option


@click.command("validate")
@click.argument("source")
@coordinate_options
@click.option("--encoding", default=None,
              help="Text encoding of a CSV or shapefile DBF (default: detected; e.g. gbk, utf-8).")
@click.option("--layer", default=None, help="GeoPackage layer (default: the only point layer).")
@click.option("--sheet", default=None, help="Excel sheet name or 0-based number (default: first).")
@boundary_option
@click.option("--no-china-check", is_flag=True,
              help="Do not flag points outside China (for data elsewhere).")
@click.option("--duplicates", type=click.Choice(["warn", "error"]), default="warn",
              show_default=True,
              help="Severity of duplicated points and village names (villages placed at their "
                   "town seat share a point, so the default only warns).")
@json_option
def command(source, x_col, y_col, crs, datum, encoding, layer, sheet, boundary, no_china_check,
            duplicates, as_json):
    """Check a points file and report every problem, by row.

    SOURCE is a CSV/TXT, Excel (.xlsx), Shapefile, GeoPackage, GeoJSON or (Geo)Parquet file, or
    a shipped layer name. Prints the detected format, encoding, coordinate columns, CRS, datum
    (and conversion), renamed columns and row count, then each problem with its line/row number
    and column. Errors (missing, non-numeric, out-of-range or swapped coordinates, points outside
    China or the --boundary, fully duplicated rows) make the exit code 1; warnings (duplicated
    points or names, datum hints) do not. The file is only read.

    \b
    Examples:
      taobao-geo validate villages.csv --datum gcj02
      taobao-geo validate 名单.xlsx --x 经度 --y 纬度 --json
      taobao-geo validate towns.shp --encoding gbk --boundary caoxian_boundary
    """
    from .. import datasets, io
    from .options import load_boundary_input

    if sheet is not None and sheet.isdigit():
        sheet = int(sheet)
    shipped = source in datasets.names()
    if not shipped and not Path(source).exists():
        raise click.BadParameter(
            f"{source!r} is neither an existing file nor a shipped layer "
            f"(shipped: {', '.join(datasets.names())}).", param_hint="SOURCE")
    data = datasets.load(source) if shipped else source
    report = io.validate_villages(
        data, x=x_col, y=y_col, crs=crs, datum=datum or "wgs84", encoding=encoding, layer=layer,
        sheet=sheet, boundary=load_boundary_input(boundary),
        check_china=not no_china_check, duplicates=duplicates)
    if shipped:
        report = dataclasses.replace(report, source=source, format="shipped layer")
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(report.summary(max_warnings=None))
        if report.n_errors:
            click.echo(f"\n{report.n_errors} error(s): fix them in the file, or load with "
                       "--on-invalid drop to drop exactly the rows listed above.")
    if report.n_errors:
        sys.exit(1)
