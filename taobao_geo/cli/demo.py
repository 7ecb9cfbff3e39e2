"""``taobao-geo demo``: the main job on the shipped data (what ``make demo`` runs).

1. Load and validate every shipped layer and print a summary table (rows, geometry, datum,
   precision, simulated?), and write an overview map of the shipped layers.
2. China: the full analysis of the 2016 villages with trends 2014-2016, counties as units.
3. Shandong: the analysis of the province's villages, its counties as units; Heze: a briefing
   comparing its counties with each other and with the national top 10.
4. Cao County (曹县): analysis of the REAL layers (villages at town-seat / county precision inside
   the real boundary) and a briefing comparing it with the other Heze counties and the national
   top 10. The simulated village layer is used only with ``--with-simulated``.

Prints the paths of the maps, tables and briefings at the end.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import click

from .options import out_option, permutations_option, prepare_out, rng_option, shown_text

PARTS = ("layers", "china", "shandong", "heze", "cao")


@click.command("demo")
@out_option("out")
@rng_option
@permutations_option(999)
@click.option(
    "--quick", is_flag=True, help="Fewer permutations (99) and envelopes (19): a fast smoke run."
)
@click.option(
    "--only",
    "only",
    multiple=True,
    type=click.Choice(PARTS),
    help="Run only these parts (repeatable). Default: all.",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Language of the briefings.",
)
@click.option(
    "--pdf/--no-pdf",
    default=True,
    show_default=True,
    help="Print the briefings to PDF too when headless Chromium is available.",
)
@click.option(
    "--with-simulated",
    is_flag=True,
    help="Also analyse the SIMULATED Cao County village layer (tutorial data).",
)
def command(out_dir, seed, permutations, quick, only, lang, pdf, with_simulated):
    """Run the main job on the shipped data and print where the outputs are.

    \b
    Parts (all by default, or --only PART ...):
      layers    load and validate every shipped layer, print a summary table,
                write an overview map of the shipped layers
      china     analyze the 2016 villages with trends 2014-2016, counties as units
      shandong  analyze Shandong's villages, its 136 counties as units
      heze      briefing for Heze (菏泽市): analysis + county comparison
      cao       briefing for Cao County (曹县) from the REAL layers (town-seat /
                county precision), compared with Heze and China's top 10

    Takes about a minute with 999 permutations (--quick: 99).
    """
    import warnings

    warnings.filterwarnings("ignore", category=UserWarning)
    t_start = time.perf_counter()
    parts = set(only) or set(PARTS)
    out = prepare_out(out_dir)  # a locked temporary folder, moved to --out at the end
    job = _Job(
        out=out,
        perms=99 if quick else permutations,
        env=19 if quick else 99,
        seed=seed,
        lang=lang,
        pdf=pdf,
    )
    layers = _shipped_layers()
    villages, counties = layers["taobao_villages"], layers["china_counties"]
    if "layers" in parts:
        job.produced.append(
            ("map", "shipped layers overview", _overview_map(layers, out / "overview_map.html"))
        )
    if "china" in parts:
        job.analysis(
            "China 2016 (trends 2014-2016)",
            points=villages,
            boundary=counties,
            out_dir=out / "china",
            title="China: Taobao villages",
        )
    if "shandong" in parts:
        sd = counties[counties["province"].astype(str).str.startswith("山东")]
        job.analysis(
            "Shandong",
            points=_subset(villages, set(sd["adcode"].astype(str))),
            boundary=sd,
            out_dir=out / "shandong",
            title="Shandong: Taobao villages",
        )
    if "heze" in parts:
        _heze(job, villages, counties)
    if "cao" in parts:
        _cao(job, layers, with_simulated=with_simulated)
    click.echo("Outputs")
    click.echo("-------")
    for kind, label, path in job.produced:
        click.echo(f"{kind:<9} {label:<40} {shown_text(path)}")
    click.echo(f"\nDemo finished in {time.perf_counter() - t_start:.0f} s.")


@dataclass
class _Job:
    """The demo's settings and the outputs listed at the end."""

    out: Path
    perms: int
    env: int
    seed: int
    lang: str
    pdf: bool
    produced: list = field(default_factory=list)

    def analysis(self, label, **kw):
        from ..pipeline import analyze

        t0 = time.perf_counter()
        click.echo(f"== {label} ...")
        res = analyze(permutations=self.perms, envelope_simulations=self.env, rng=self.seed, **kw)
        click.echo(shown_text(res.summary()))
        click.echo(f"   ({time.perf_counter() - t0:.1f} s)\n")
        _collect(self.produced, label, res)
        return res

    def briefing(self, villages, counties, *, out_dir, **kw):
        from ..pipeline import brief_region

        return brief_region(
            villages,
            counties,
            out_dir=out_dir,
            top=10,
            lang=self.lang,
            pdf=self.pdf,
            permutations=self.perms,
            rng=self.seed,
            analysis_kwargs={"envelope_simulations": self.env},
            **kw,
        )


def _shipped_layers() -> dict:
    """1. Load every shipped layer, validate the point layers, print one summary table."""
    import pandas as pd

    from .. import datasets, io

    info = datasets.info()
    layers = {name: datasets.load(name) for name in datasets.names()}  # raises if broken
    checks = {}
    for name, g in layers.items():
        pts = g[~g.geometry.is_empty & g.geometry.notna()]
        if len(pts) and (pts.geom_type == "Point").all():
            rep = io.validate_villages(pts)
            checks[name] = f"{rep.n_errors} errors, {rep.n_warnings} warnings" + (
                f", {len(g) - len(pts)} empty" if len(pts) < len(g) else ""
            )
        else:
            checks[name] = "polygons: loaded"
    click.echo("Shipped layers (taobao_geo.datasets):")
    cols = [
        c
        for c in ("name", "rows", "geometry", "simulated", "datum", "precision")
        if c in info.columns
    ]
    table = info[cols].copy()
    table["validation"] = table["name"].map(checks)
    for c in ("datum", "precision"):  # the full texts are in `taobao-geo datasets` and data/README
        if c in table.columns:
            table[c] = table[c].astype(str).map(lambda s: s if len(s) <= 38 else s[:37] + "…")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        click.echo(table.to_string(index=False))
    click.echo(
        f"All {len(layers)} layers loaded. Warnings are expected: villages located at one "
        "town seat share a point (see `taobao-geo validate taobao_villages`).\n"
    )
    return layers


def _heze(job: _Job, villages, counties) -> None:
    """3b. Heze: a briefing comparing its counties with each other and the national top 10."""
    t0 = time.perf_counter()
    click.echo("== Heze (菏泽市) briefing ...")
    b = job.briefing(villages, counties, out_dir=job.out / "heze", city="菏泽市", progress=None)
    click.echo(shown_text(b.summary()))
    click.echo(
        b.comparison.to_frame()[
            [
                "county",
                *[f"n_{y}" for y in b.comparison.years],
                "density_per_1000km2",
                "nni_R",
                "lisa_class",
                "gi_bin",
                "rank_count",
            ]
        ]
        .head(20)
        .to_string(index=False)
    )
    click.echo(f"   ({time.perf_counter() - t0:.1f} s)\n")
    _collect_brief(job.produced, "Heze", b)


def _cao(job: _Job, layers, *, with_simulated: bool) -> None:
    """4. Cao County from the REAL layers; the SIMULATED villages only when asked."""
    t0 = time.perf_counter()
    click.echo("== Cao County (曹县) briefing: real layers (town-seat / county precision) ...")
    b = job.briefing(
        layers["taobao_villages"],
        layers["china_counties"],
        out_dir=job.out / "caoxian",
        county="371721",
        title="Cao County (曹县)",
    )
    click.echo(shown_text(b.summary()))
    click.echo(f"   ({time.perf_counter() - t0:.1f} s)\n")
    _collect_brief(job.produced, "Cao County", b)
    if with_simulated:
        job.analysis(
            "Cao County, SIMULATED villages (tutorial data)",
            points=layers["caoxian_villages_simulated"],
            boundary=layers["caoxian_boundary"],
            out_dir=job.out / "caoxian_simulated",
            title="Cao County: SIMULATED village positions",
        )


def _subset(villages, codes):
    sub = villages[villages["county_code"].astype(str).isin(codes)]
    sub.attrs = dict(villages.attrs)
    return sub


def _collect(produced, label, res):
    for p in res.files.get("maps", []):
        produced.append(("map", f"{label}: {Path(p).stem}", Path(p)))
    produced.append(("tables", label, res.out_dir / "tables"))
    produced.append(("layers", label, res.out_dir / "layers" / "analysis.gpkg"))
    produced.append(("log", label, res.out_dir / "log.txt"))


def _collect_brief(produced, label, b):
    if b.analysis is not None:
        _collect(produced, label, b.analysis)
    produced.append(
        ("table", f"{label}: county comparison", b.html.parent / "comparison" / "comparison.csv")
    )
    produced.append(("briefing", label, b.html))
    if b.pdf:
        produced.append(("pdf", label, b.pdf))


def _overview_map(layers, path: Path) -> Path:
    """One map of the shipped layers (issue 2's overview), offline HTML."""
    from .. import maps

    v = layers["taobao_villages"]
    v16 = v[v["year"] == v["year"].max()] if "year" in v.columns else v
    m = maps.explore_villages(v16, title="Shipped layers: Taobao villages", name="Taobao villages")
    if "taobao_towns_2016" in layers:
        maps.explore_villages(
            layers["taobao_towns_2016"],
            m=m,
            name="Taobao towns 2016",
            color="#2C7FB8",
            color_by=None,
            tooltip=None,
        )
    if "caoxian_boundary" in layers:
        maps.explore_boundaries(layers["caoxian_boundary"], m=m, name="Cao County boundary")
    if "caoxian_towns" in layers:
        towns = layers["caoxian_towns"]
        towns = towns[~towns.geometry.isna() & ~towns.geometry.is_empty]
        if len(towns) and (towns.geom_type == "Point").all():
            maps.explore_villages(
                towns,
                m=m,
                name="Cao County town seats",
                color="#1B9E77",
                color_by=None,
                tooltip=None,
            )
    return maps.save_map(m, path)
