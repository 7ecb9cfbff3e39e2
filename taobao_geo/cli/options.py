"""Options and helpers shared by every subcommand (as rasterio's ``rio/options.py``).

Conventions: the input is a file path or a shipped layer name; ``--x``, ``--y``, ``--crs`` and
``--datum`` override detection; ``--json`` prints the result summary as JSON on stdout;
``--out`` names the output folder; ``--rng`` seeds every simulation.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .._results import jsonable

__all__ = [
    "input_options",
    "loading_options",
    "coordinate_options",
    "LOADING_OPTIONS",
    "read_options",
    "json_option",
    "out_option",
    "rng_option",
    "permutations_option",
    "boundary_option",
    "load_points_input",
    "load_boundary_input",
    "emit",
    "prepare_out",
    "overwrite_requested",
    "shown",
    "shown_text",
]

_OVERWRITE = "taobao_geo.overwrite"
_FOLDER = "taobao_geo.output_folder"
_INPUT_PARAMS = ("source", "boundary", "counties_src", "units", "units_opt", "regions")


# the options that say how to read a points file; every command that reads points has all of
# them (tests/test_cli_loading.py checks), so that a hint such as "pass --encoding gbk" or
# "--on-invalid drop" works whatever command printed it. `validate --duplicates keep|raise` is
# not one of them: the point-pattern commands and `analyze` have their own --duplicates
# (raise/merge/keep: what a statistic does with coincident points)
LOADING_OPTIONS = (
    "--x",
    "--y",
    "--crs",
    "--datum",
    "--encoding",
    "--layer",
    "--sheet",
    "--on-invalid",
    "--no-china-check",
)
_META = "taobao_geo.read_options"


def _remember(ctx, param, value):
    # reading options that most commands pass on unchanged are kept on the click context,
    # so that load_points_input finds them without threading them through every signature
    ctx.meta.setdefault(_META, {})[param.name] = value
    return value


def input_options(f):
    """SOURCE argument plus the loading options and --year."""
    f = click.option(
        "--year",
        type=int,
        default=None,
        help="Keep only this year (shipped multi-year layers or a 'year' column).",
    )(f)
    f = loading_options(f)
    f = click.argument("source")(f)
    return f


def loading_options(f):
    """How to read a points file: --x/--y/--crs/--datum, --encoding, --layer, --sheet,
    --on-invalid, --no-china-check (``LOADING_OPTIONS``).

    ``x_col``, ``y_col``, ``crs``, ``datum`` and ``on_invalid`` are passed to the command; the
    others are kept for :func:`load_points_input` (see :func:`read_options`).
    """
    f = click.option(
        "--no-china-check",
        "check_china",
        is_flag=True,
        flag_value=False,
        default=True,
        expose_value=False,
        callback=_remember,
        help="Do not flag points outside China (for data elsewhere).",
    )(f)
    f = click.option(
        "--sheet",
        default=None,
        expose_value=False,
        callback=_remember,
        help="Excel sheet name or 0-based number (default: the first).",
    )(f)
    f = click.option(
        "--layer",
        default=None,
        expose_value=False,
        callback=_remember,
        help="GeoPackage / zipped shapefile layer (default: the only point layer).",
    )(f)
    f = click.option(
        "--encoding",
        default=None,
        expose_value=False,
        callback=_remember,
        help="Text encoding of a CSV or shapefile DBF (default: detected; e.g. gbk, utf-8).",
    )(f)
    f = click.option(
        "--on-invalid",
        type=click.Choice(["raise", "drop"]),
        default="raise",
        show_default=True,
        help="Bad rows: stop with a list of them, or drop them and report each one.",
    )(f)
    f = coordinate_options(f)
    return f


def read_options() -> dict:
    """``encoding``, ``layer``, ``sheet``, ``check_china`` given on the command line (defaults
    outside a command), as keyword arguments of ``io.read_villages``."""
    ctx = click.get_current_context(silent=True)
    given = dict(ctx.meta.get(_META, {})) if ctx is not None else {}
    opts = {"encoding": None, "layer": None, "sheet": None, "check_china": True, **given}
    if isinstance(opts["sheet"], str) and opts["sheet"].isdigit():
        opts["sheet"] = int(opts["sheet"])
    return opts


def coordinate_options(f):
    """--x/--y/--crs/--datum (the part of ``loading_options`` that says how to read coordinates)."""
    f = click.option(
        "--datum",
        type=click.Choice(["wgs84", "gcj02", "bd09"]),
        default=None,
        help="Datum of the input coordinates (Amap: gcj02, Baidu: bd09). Default: wgs84, "
        "or what the file's CRS says.",
    )(f)
    f = click.option(
        "--crs", default=None, help="CRS of the input coordinates, e.g. EPSG:4326 or EPSG:32650."
    )(f)
    f = click.option("--y", "y_col", default=None, help="Name of the latitude / y column.")(f)
    f = click.option("--x", "x_col", default=None, help="Name of the longitude / x column.")(f)
    return f


def json_option(f):
    return click.option(
        "--json", "as_json", is_flag=True, help="Print the result summary as JSON on stdout."
    )(f)


def out_option(default: str = "out"):
    """--out and --overwrite (read with :func:`overwrite_requested`; see taobao_geo._outdir)."""

    def deco(f):
        f = click.option(
            "--overwrite",
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=lambda ctx, _p, v: ctx.meta.__setitem__(_OVERWRITE, v),
            help="Replace the earlier run in --out (only once this run has "
            "finished). Without it an --out holding a run is refused.",
        )(f)
        return click.option(
            "--out",
            "out_dir",
            type=click.Path(file_okay=False),
            default=default,
            show_default=True,
            help="Output folder (written in a temporary folder beside it and "
            "moved into place when the run has finished).",
        )(f)

    return deco


def overwrite_requested() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(_OVERWRITE))


def rng_option(f):
    # IntRange: a negative seed is refused here in one line, not by numpy's SeedSequence
    return click.option(
        "--rng",
        "seed",
        type=click.IntRange(min=0),
        default=12345,
        show_default=True,
        help="Random seed for every simulation (same seed, same numbers).",
    )(f)


def permutations_option(default: int = 999):
    def deco(f):
        return click.option(
            "--permutations",
            type=click.IntRange(0, 99999),
            default=default,
            show_default=True,
            help="Number of permutations / simulations.",
        )(f)

    return deco


def boundary_option(f):
    return click.option(
        "--boundary",
        default=None,
        help="Study-area polygons: a file or shipped layer name (e.g. caoxian_boundary).",
    )(f)


def load_points_input(
    source, *, x_col=None, y_col=None, crs=None, datum=None, year=None, on_invalid="raise"
):
    """A shipped layer name or a file path -> validated GeoDataFrame in WGS 84."""
    from .. import datasets, io

    if source in datasets.names():
        gdf = datasets.load(source)
    elif Path(source).exists():
        gdf = io.read_villages(
            source,
            x=x_col,
            y=y_col,
            crs=crs,
            datum=datum or "wgs84",
            on_invalid=on_invalid,
            **read_options(),
        )
        gdf.attrs["source_path"] = str(source)  # for the input checksums of the output folder
        report = gdf.attrs.get("load_report")
        if (
            report is not None
            and getattr(report, "dropped", None) is not None
            and len(report.dropped)
        ):
            click.echo(report.summary(), err=True)
        elif report is not None and report.conversions:
            # say what was done to the coordinates (datum shift, reprojection) even when all is well
            click.echo(f"{report.source}: " + "; ".join(report.conversions), err=True)
    else:
        raise click.BadParameter(
            f"{source!r} is neither an existing file nor a shipped layer "
            f"(shipped: {', '.join(datasets.names())}).",
            param_hint="SOURCE",
        )
    if year is not None:
        if "year" not in gdf.columns:
            raise click.BadParameter("--year given but the layer has no 'year' column.")
        gdf = gdf[gdf["year"] == year]
        if gdf.empty:
            raise click.BadParameter(f"no rows with year == {year}.")
    return gdf


def load_boundary_input(source):
    """A shipped layer name or a polygon file -> GeoDataFrame (its own CRS), or None."""
    if source is None:
        return None
    import geopandas as gpd

    from .. import datasets

    if source in datasets.names():
        return datasets.load(source)
    if not Path(source).exists():
        raise click.BadParameter(
            f"boundary {source!r} is neither a file nor a shipped layer.", param_hint="--boundary"
        )
    gdf = gpd.read_file(source)
    gdf.attrs["source_path"] = str(source)
    if gdf.crs is None:
        raise click.BadParameter(f"boundary {source!r} has no CRS.", param_hint="--boundary")
    return gdf


def _input_files(ctx) -> dict:
    from .. import datasets
    from .._outdir import file_sha256

    files = {}
    for key in _INPUT_PARAMS:
        value = ctx.params.get(key)
        if not isinstance(value, str):
            continue
        if value in datasets.names():
            files[key] = {"layer": value, "sha256": file_sha256(datasets.get_path(value))}
        elif Path(value).is_file():
            files[key] = value
    return files


def _close_folder(stack) -> None:
    import sys

    exc = sys.exc_info()  # set while click's context exits because of an exception
    ok = exc[0] is None or (isinstance(exc[1], click.exceptions.Exit) and exc[1].exit_code == 0)
    if ok:
        stack.close()
    else:
        stack.__exit__(*exc)


def prepare_out(out_dir) -> Path:
    """The folder the command writes into: a locked temporary folder beside ``out_dir``.

    It is moved into place when the command returns and removed if it fails or is interrupted
    (:func:`taobao_geo._outdir.output_folder`). Print paths with :func:`shown`.
    """
    import contextlib

    from .._outdir import output_folder

    ctx = click.get_current_context()
    if _FOLDER in ctx.meta:
        return ctx.meta[_FOLDER].path
    stack = contextlib.ExitStack()
    run = stack.enter_context(
        output_folder(out_dir, overwrite=overwrite_requested(), inputs=_input_files(ctx))
    )
    ctx.meta[_FOLDER] = run
    ctx.call_on_close(lambda: _close_folder(stack))
    return run.path


def shown(path):
    """Where ``path`` will be once the command's output folder is in place."""
    ctx = click.get_current_context(silent=True)
    run = ctx.meta.get(_FOLDER) if ctx is not None else None
    return run.shown(path) if run is not None else path


def shown_text(value):
    """``value`` (text, path, list or dict) with working-folder paths shown where they will be."""
    ctx = click.get_current_context(silent=True)
    run = ctx.meta.get(_FOLDER) if ctx is not None else None
    if run is None:
        return value
    work, final = str(run.path), str(run.final)
    if isinstance(value, dict):
        return {k: shown_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [shown_text(v) for v in value]
    if isinstance(value, Path):
        value = str(value)
    return value.replace(work, final) if isinstance(value, str) else value


def emit(result, *, as_json: bool, extra: dict | None = None) -> None:
    """Print a result: its summary (human) or its ``to_dict()`` plus ``extra`` (JSON)."""
    if as_json:
        payload = result.to_dict() if hasattr(result, "to_dict") else {}
        if extra:
            payload.update(extra)
        click.echo(json.dumps(shown_text(jsonable(payload)), ensure_ascii=False, indent=2))
    else:
        click.echo(shown_text(result.summary() if hasattr(result, "summary") else str(result)))
        for k, v in shown_text(extra or {}).items():
            click.echo(f"{k}: {v}")
