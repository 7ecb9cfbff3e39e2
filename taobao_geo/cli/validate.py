"""``taobao-geo validate``: load a points file, print what was detected and every problem found."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import click

from .options import boundary_option, json_option, loading_options, read_options


@click.command("validate")
@click.argument("source")
@loading_options
@boundary_option
@click.option(
    "--duplicates",
    type=click.Choice(["keep", "raise", "warn", "error"]),
    default="keep",
    show_default=True,
    help="keep: duplicated points and village names are warnings (villages placed at "
    "their town seat share a point); raise: they are errors. warn and error are "
    "the deprecated spellings of keep and raise.",
)
@json_option
def command(source, x_col, y_col, crs, datum, on_invalid, boundary, duplicates, as_json):
    """Check a points file and report every problem, by row.

    SOURCE is a CSV/TXT, Excel (.xlsx), Shapefile, GeoPackage, GeoJSON or (Geo)Parquet file, or
    a shipped layer name. Prints the detected format, encoding, coordinate columns, CRS, datum
    (and conversion), renamed columns and row count, then each problem with its line/row number
    and column. Errors (missing, non-numeric, out-of-range or swapped coordinates, points outside
    China or the --boundary, fully duplicated rows) make the exit code 1; warnings (duplicated
    points or names, datum hints) do not; with --on-invalid drop, errors are the rows a loading
    command would drop, and the exit code is 0 when rows are left. The file is only read.

    \b
    Examples:
      taobao-geo validate villages.csv --datum gcj02
      taobao-geo validate 名单.xlsx --x 经度 --y 纬度 --json
      taobao-geo validate towns.shp --encoding gbk --boundary caoxian_boundary
    """
    from .. import datasets, io
    from .options import load_boundary_input

    shipped = source in datasets.names()
    if not shipped and not Path(source).exists():
        raise click.BadParameter(
            f"{source!r} is neither an existing file nor a shipped layer "
            f"(shipped: {', '.join(datasets.names())}).",
            param_hint="SOURCE",
        )
    data = datasets.load(source) if shipped else source
    renamed = {"warn": "keep", "error": "raise"}
    if duplicates in renamed:
        click.echo(
            f"note: --duplicates {duplicates} is deprecated and will be removed in the "
            f"next release; use --duplicates {renamed[duplicates]}.",
            err=True,
        )
        duplicates = renamed[duplicates]
    report = io.validate_villages(
        data,
        x=x_col,
        y=y_col,
        crs=crs,
        datum=datum or "wgs84",
        boundary=load_boundary_input(boundary),
        duplicates=duplicates,
        **read_options(),
    )
    if shipped:
        report = dataclasses.replace(report, source=source, format="shipped layer")
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(report.summary(max_warnings=None))
        if report.n_errors and on_invalid == "drop":
            click.echo(
                f"\n{report.n_errors} error(s): --on-invalid drop would drop the rows listed above."
            )
        elif report.n_errors:
            click.echo(
                f"\n{report.n_errors} error(s): fix them in the file, or pass "
                "--on-invalid drop (here or to the analysis command) to drop exactly the "
                "rows listed above."
            )
    file_level = report.errors["row"].isna().any() if report.n_errors else False
    if report.n_errors and (on_invalid == "raise" or file_level or report.n_kept == 0):
        sys.exit(1)
