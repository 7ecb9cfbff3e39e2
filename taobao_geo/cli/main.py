"""The ``taobao-geo`` command-line interface.

One module per subcommand (``taobao_geo/cli/<name>.py`` defining ``command``), loaded lazily so
that ``taobao-geo --help`` and light commands start fast and never pay for folium or numba.
A :class:`~taobao_geo.TaobaoGeoError` (bad input, wrong CRS, ...) becomes one clear message and
exit code 1; other exceptions too, unless ``--debug`` asks for the traceback.
"""

from __future__ import annotations

import importlib
import sys
import warnings

import click

# name -> (module, one-line help shown by `taobao-geo --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "datasets": ("datasets", "List the shipped layers with counts, datum, precision and source."),
    "validate": (
        "validate",
        "Load a points file, report what was detected and every problem found.",
    ),
    "geocode": ("geocode", "Locate a list of place names offline (town seat / county point)."),
    "nni": ("nni", "Nearest-neighbour index (Clark-Evans / ArcGIS) with z and Monte Carlo tests."),
    "ripley": ("ripley", "Ripley's K/L (and G, F) with edge corrections and CSR envelopes."),
    "centrography": (
        "centrography",
        "Mean/median centre, standard distance, ellipse, trends over years.",
    ),
    "kde": (
        "kde",
        "Kernel density surface (GeoTIFF), high-density core zones and a quick-look PNG.",
    ),
    "moran": ("moran", "Global Moran's I, Geary's C, General G and incremental autocorrelation."),
    "lisa": ("lisa", "Local Moran (LISA) clusters HH/LL/HL/LH with permutation inference."),
    "hotspots": ("hotspots", "Getis-Ord Gi* hot and cold spots with ArcGIS-style confidence bins."),
    "map": ("map", "Interactive (optionally offline) folium map of a layer and chosen analyses."),
    "analyze": ("analyze", "The full analysis of a points layer into one output folder."),
    "compare": (
        "compare",
        "Compare counties: counts, growth, density, NNI, centre shift, LISA/Gi*.",
    ),
    "brief": ("brief", "Write a regional planning briefing (HTML, and PDF when an engine exists)."),
    "demo": (
        "demo",
        "The main job on the shipped data: layers, analyses, maps, tables, briefings.",
    ),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported only when used."""

    def list_commands(self, ctx):
        lazy = [name for name, (mod, _) in COMMANDS.items() if _available(mod)]
        return lazy + sorted(set(super().list_commands(ctx)) - set(lazy))

    def get_command(self, ctx, name):
        if name not in COMMANDS or not _available(COMMANDS[name][0]):
            return super().get_command(ctx, name)
        module = importlib.import_module(f"taobao_geo.cli.{COMMANDS[name][0]}")
        cmd = module.command
        cmd.short_help = COMMANDS[name][1]
        return cmd


def _available(module: str) -> bool:
    return importlib.util.find_spec(f"taobao_geo.cli.{module}") is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="taobao-geo")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx, debug):
    """Spatial analysis of China's Taobao Villages.

    Every subcommand takes a points file (CSV, Excel, Shapefile, GeoPackage, GeoJSON,
    GeoParquet) or the name of a shipped layer (see `taobao-geo datasets`). Coordinate
    columns, CRS and datum (wgs84 / gcj02 / bd09) can be given with --x, --y, --crs, --datum.
    --json prints the result summary as JSON for scripting.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    if not debug:
        previous = warnings.showwarning
        warnings.showwarning = show_warning
        ctx.call_on_close(lambda: setattr(warnings, "showwarning", previous))


def show_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
    """Print a warning as one line, ``warning: <message>``, without the Python source line
    that the default format adds (``--debug`` keeps the default)."""
    text = " ".join(str(message).split())
    click.echo(f"warning: {text}", err=True)


def main(argv=None):
    """Entry point: run the group, turning errors into one clear line unless --debug."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="taobao-geo", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the CLI boundary
        if debug:
            raise
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    main()
