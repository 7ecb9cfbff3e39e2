"""``taobao-geo datasets``: list the shipped layers with counts, datum, precision and source."""

from __future__ import annotations

import json

import click


@click.command("datasets")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON on stdout.")
@click.option("--full", is_flag=True, help="Show the full source and precision texts.")
def command(as_json: bool, full: bool):
    """List the layers shipped with taobao_geo (all WGS 84, EPSG:4326).

    Each can be used wherever a command takes SOURCE or --boundary, e.g.
    `taobao-geo nni taobao_villages --year 2016`. Village points are at the town seat or the
    county representative point (column loc_prec); caoxian_villages_simulated has SIMULATED
    positions. Boundaries are for analysis, not for publication (审图号).
    """
    from .. import datasets
    from .._results import jsonable

    table = datasets.info()
    if as_json:
        click.echo(
            json.dumps(jsonable(table.to_dict(orient="records")), ensure_ascii=False, indent=2)
        )
        return
    width = None if full else 60
    for row in table.itertuples():
        flag = "  ** SIMULATED positions **" if row.simulated else ""
        click.echo(f"{row.name}  ({row.rows} rows, {row.geometry}){flag}")
        for label, text in (
            ("datum", row.datum),
            ("precision", row.precision),
            ("source", row.source),
            ("licence", row.licence),
        ):
            text = str(text)
            if width and len(text) > width + 20:
                text = text[: width + 17] + "..."
            click.echo(f"    {label:<9} {text}")
    click.echo(
        "\nLoad in Python: taobao_geo.datasets.load(name, year=None). Details: data/README.md "
        "(--full shows the complete texts)."
    )
