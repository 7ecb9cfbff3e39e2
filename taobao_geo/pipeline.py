"""The main job: one call from a village layer to a folder of maps, tables, layers and a log.

:func:`analyze` chains the package's statistics in the order a Taobao-village study uses them
(projection -> nearest-neighbour index -> Ripley's L -> kernel density and core zones ->
aggregation to units -> spatial weights -> global Moran's I -> LISA -> Gi* -> centrography ->
multi-year trends -> maps) and writes everything to ONE output folder::

    out_dir/
      summary.json     machine-readable: every step's status, summary lines and scalar results
      choices.json     every choice made (CRS, study area, bandwidth rule and value, units,
                       weights, permutations, seed, ...), with the reason
      log.txt          the same, readable, plus the step timings
      tables/*.csv     each result's tidy ``to_frame()``
      layers/analysis.gpkg   points, units with LISA / Gi* columns, KDE cores, centres, ellipses
      maps/*.html      interactive maps (via :mod:`taobao_geo.maps`)

It computes no statistic itself: every number comes from the statistics modules
(:mod:`~taobao_geo.nni`, :mod:`~taobao_geo.ripley`, :mod:`~taobao_geo.density`,
:mod:`~taobao_geo.units`, :mod:`~taobao_geo.weights`, :mod:`~taobao_geo.autocorrelation`,
:mod:`~taobao_geo.local`, :mod:`~taobao_geo.centrography`).

Graceful degradation: a step that does not apply to the data (fewer than 3 points for the
NNI, a single year for trends, zero variance for Moran's I, ...) raises a
:class:`~taobao_geo.NotApplicableError` inside its module; the pipeline records the step as
``skipped`` with that message as the reason and carries on. A caller's mistake
(:class:`~taobao_geo.OptionError`, e.g. a negative bandwidth) or any other
:class:`~taobao_geo.TaobaoGeoError` stops the run. Any other exception is a real bug or an
environment problem and is re-raised (``on_error="raise"``, the default).

Reproducibility: one seed (``rng``) is split with :class:`numpy.random.SeedSequence` into one
independent stream per random step, keyed by the step's name, so the same seed gives identical
numbers and skipping one step does not change the others.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import functools
import inspect
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import (
    __version__,
    _outdir,
    autocorrelation,
    centrography,
    datasets,
    density,
    local,
    nni,
    projection,
    ripley,
    weights,
)
from . import maps as _maps_mod
from . import units as _units_mod
from ._errors import (
    CRSError,
    GeometryTypeError,
    InputDataError,
    NotApplicableError,
    OptionError,
    TaobaoGeoError,
)
from ._results import ResultMixin, jsonable
from ._validate import (
    check_choice,
    check_positive,
    ensure_points,
    ensure_polygons,
    ensure_rng,
    row_list,
    seed_label,
)
from .geocode import location_quality

__all__ = [
    "RANDOM_STEPS",
    "AnalysisOptions",
    "AnalysisResult",
    "RegionBriefing",
    "StepRecord",
    "analyze",
    "brief_region",
    "compute",
    "write_comparison",
]

# Steps that draw random numbers, in a FIXED order: each gets its own SeedSequence child.
RANDOM_STEPS = ("nni", "ripley", "moran", "lisa", "gistar", "trends")
# Above this many window vertices Ripley's isotropic correction (edge arcs per pair) is too
# costly in memory; the border correction needs only distances to the boundary.
_MAX_ISO_VERTICES = 5_000


@dataclass(frozen=True)
class StepRecord:
    """What happened in one pipeline step."""

    name: str
    status: str  # "ok" | "skipped" | "failed"
    reason: str = ""
    seconds: float = 0.0
    outputs: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        """The record as plain JSON-able values."""
        return {
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
            "outputs": list(self.outputs),
        }


@dataclass(frozen=True)
class AnalysisResult(ResultMixin):
    """Everything :func:`analyze` produced.

    Attributes
    ----------
    out_dir
        The output folder.
    n
        Number of points analysed (the cross-section year when a year column exists).
    crs
        The metric CRS used (a description).
    year
        The cross-section year analysed (``None`` without a year column).
    years
        All years present (for the trends step).
    steps
        One :class:`StepRecord` per step, in order.
    choices
        Every choice made, as written to ``choices.json``.
    results
        Step name -> the statistics module's result object (``NNIResult``, ``KDEResult``, ...).
    layers
        Name -> GeoDataFrame in EPSG:4326 (points, units, cores, ...), as written to the GeoPackage.
    files
        Kind ("summary", "choices", "log", "tables", "layers", "maps") -> paths written.
    """

    out_dir: Path | None
    n: int
    crs: str
    year: int | None
    years: tuple
    steps: tuple[StepRecord, ...]
    choices: dict = field(repr=False)
    results: dict = field(repr=False)
    layers: dict = field(repr=False)
    files: dict = field(repr=False)
    title: str = ""

    def step(self, name: str) -> StepRecord:
        """The step record of ``name`` (KeyError if there is none)."""
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)

    def ok(self, name: str) -> bool:
        """True if step ``name`` ran and produced a result."""
        return name in self.results and any(s.name == name and s.status == "ok" for s in self.steps)

    def to_frame(self) -> pd.DataFrame:
        """One row per step: status, reason, seconds and its summary (first line)."""
        rows = []
        for s in self.steps:
            lines = _summary_lines(self.results.get(s.name))
            first = lines[0] if lines else ""
            rows.append({**s.as_dict(), "outputs": "; ".join(s.outputs), "summary": first})
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """One line per step: its status and the first lines of its result's summary."""
        head = (
            f"Analysis of {self.n} points{f' ({self.year})' if self.year is not None else ''}"
            f" in {self.crs}"
            + (f"; output folder {self.out_dir}" if self.out_dir is not None else "")
        )
        lines = [head]
        lq = self.choices.get("location_quality") or {}
        if lq and not lq.get("reliable", True):
            lines.append("WARNING: " + lq["reason"])
        for s in self.steps:
            if s.status == "ok":
                res = self.results.get(s.name)
                body = _summary_lines(res)
                if not body and s.name == "prepare" and "crs" in self.choices:
                    body = [f"CRS {self.choices['crs']['name']}: {self.choices['crs']['reason']}"]
                if not body and s.name == "units" and "units" in self.choices:
                    u = self.choices["units"]
                    body = [f"{u['n_units']} units ({u['kind']}): {u['reason']}"]
                lines.append(f"[{s.name}] " + (body[0] if body else "done"))
                lines.extend("    " + b for b in body[1:4])
            else:
                lines.append(f"[{s.name}] {s.status}: {s.reason}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Scalars for ``--json``: steps, each result's own ``to_dict()``, choices and files."""
        results = {
            k: jsonable(r.to_dict()) for k, r in self.results.items() if hasattr(r, "to_dict")
        }
        return {
            "out_dir": str(self.out_dir),
            "n": self.n,
            "crs": self.crs,
            "year": self.year,
            "years": list(self.years),
            "steps": [s.as_dict() for s in self.steps],
            "results": results,
            "choices": jsonable(self.choices),
            "files": jsonable({k: [str(p) for p in v] for k, v in self.files.items()}),
        }


def _summary_lines(res) -> list[str]:
    if res is None:
        return []
    if hasattr(res, "summary"):
        try:
            text = res.summary()
        except Exception:  # noqa: BLE001 - a summary is display only
            return [type(res).__name__]
        return [ln for ln in str(text).splitlines() if ln.strip()]
    return [str(res)]


# --------------------------------------------------------------------------------------------
# Seeding
# --------------------------------------------------------------------------------------------
def _step_seeds(rng) -> dict[str, np.random.Generator]:
    """One independent Generator per random step, derived from ``rng`` (SPEC 7 input)."""
    if isinstance(rng, np.random.Generator):
        children = rng.spawn(len(RANDOM_STEPS))
        return dict(zip(RANDOM_STEPS, children, strict=True))
    ensure_rng(rng)  # an OptionError for a negative seed or another type, before any work
    ss = np.random.SeedSequence(None if rng is None else int(rng))
    return {
        name: np.random.default_rng(child)
        for name, child in zip(RANDOM_STEPS, ss.spawn(len(RANDOM_STEPS)), strict=True)
    }


# --------------------------------------------------------------------------------------------
# The step runner
# --------------------------------------------------------------------------------------------
class _Runner:
    def __init__(self, *, on_error: str):
        self.records: list[StepRecord] = []
        self.results: dict[str, Any] = {}
        self.on_error = on_error

    def run(self, name: str, func, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            out = func(*args, **kwargs)
        except NotApplicableError as exc:
            # The only kind of error recorded as skipped: the data cannot support this step
            # (too few points, a zero-area extent, zero variance, islands, ...).
            self.records.append(
                StepRecord(
                    name, "skipped", f"{type(exc).__name__}: {exc}", time.perf_counter() - t0
                )
            )
            return None
        except TaobaoGeoError as exc:
            # a caller's mistake (an OptionError such as a negative bandwidth) or bad input:
            # it stops the run whatever on_error says, so it is never a "skipped" step
            exc.add_note(f"(raised in analyze step {name!r})")
            raise
        except Exception as exc:
            if self.on_error == "raise":
                exc.add_note(
                    f"(raised in analyze step {name!r}; on_error='record' records it "
                    "and carries on)"
                )
                raise
            self.records.append(
                StepRecord(name, "failed", f"{type(exc).__name__}: {exc}", time.perf_counter() - t0)
            )
            return None
        self.records.append(StepRecord(name, "ok", "", time.perf_counter() - t0))
        if out is not None:
            self.results[name] = out
        return out


@dataclass(frozen=True, eq=False)
class AnalysisOptions:
    """Every option of :func:`analyze` (see there for each), checked once when it is built.

    ``analyze(points, **options)`` builds one; a caller's bad option raises
    :class:`~taobao_geo.OptionError` here, before any step runs (never "skipped" later).
    """

    year_col: str | None = "year"
    year: int | None = None
    permutations: int = 999
    nsim: int | None = None
    envelope_simulations: int = 99
    ripley_max_n: int | None = 20_000
    rng: int | np.random.Generator | None = 12345
    crs: Any = None
    nni_area: str | float | None = None
    duplicates: str = "merge"
    bandwidth: str | float = "arcgis"
    kernel: str = "quartic"
    cell_size: float | None = None
    core_shares: tuple = (0.5, 0.25)
    units: str | gpd.GeoDataFrame = "auto"
    unit_size_m: float | None = None
    unit_id: str | None = None
    value: str = "count"
    weights: str = "queen"
    k: int = 6
    islands: str = "nearest"
    alpha: float = 0.05
    correction: str | None = None
    maps: bool = True
    title: str | None = None
    progress: bool | None = None
    on_error: str = "raise"

    def __post_init__(self):
        check_choice(self.on_error, ("raise", "record"), name="on_error", func="analyze")
        _check_options(self)
        check_choice(self.value, ("count", "density_km2"), name="value", func="analyze")

    @property
    def mc_simulations(self) -> int:
        """Monte Carlo simulations of the NNI test: ``nsim``, else ``permutations``."""
        return int(self.permutations if self.nsim is None else self.nsim)


def _check_options(o: AnalysisOptions) -> None:
    """Refuse a caller's bad option (OptionError) before any step runs, never "skipped" later."""
    func = "analyze"
    ensure_rng(o.rng)
    if not isinstance(o.bandwidth, str):
        check_positive(
            o.bandwidth,
            name="bandwidth",
            func=func,
            hint="Give metres (e.g. --bandwidth 5000) or a rule such as 'arcgis'.",
        )
    if o.nni_area is not None and not isinstance(o.nni_area, str):
        check_positive(
            o.nni_area,
            name="nni_area",
            func=func,
            hint="Give the study area in m² (e.g. --nni-area 1.2e9), or "
            "boundary / mbr / hull / bbox.",
        )
    check_positive(
        o.cell_size,
        name="cell_size",
        func=func,
        allow_none=True,
        hint="Give the KDE cell size in metres, e.g. --cell-size 500.",
    )
    check_positive(
        o.unit_size_m,
        name="unit_size_m",
        func=func,
        allow_none=True,
        hint="Give the grid cell size in metres, e.g. --unit-size 5000.",
    )
    counts = [("permutations", o.permutations), ("envelope_simulations", o.envelope_simulations)]
    if o.nsim is not None:
        counts.append(("nsim", o.nsim))
    for name, v in counts:
        if v != 0:  # 0 is documented: analytic tests / no envelope
            check_positive(
                v,
                name=name,
                func=func,
                integer=True,
                hint="Give 0 (analytic test) or a count such as 999.",
            )


# --------------------------------------------------------------------------------------------
# Output folder: every run is written into a locked temporary folder and moved into place
# --------------------------------------------------------------------------------------------
def _input_record(gdf) -> dict | None:
    """SHA-256 of an input layer: its file (shipped layer or file read) and its content."""
    if gdf is None or not hasattr(gdf, "geometry"):
        return None
    rec: dict[str, Any] = {"rows": int(len(gdf)), "content_sha256": _outdir.frame_sha256(gdf)}
    src = gdf.attrs.get("source_path")
    name = (gdf.attrs.get("dataset") or {}).get("name")
    if src is None and name:
        with contextlib.suppress(Exception):  # an unknown layer name: the content hash stays
            src = datasets.get_path(name)
    if src is not None and Path(src).is_file():
        rec.update(path=Path(src).name, sha256=_outdir.file_sha256(src))
    return rec


def _relocate(res, run):
    """The result with its paths where they are once the folder has been moved into place."""
    if isinstance(res, AnalysisResult):
        files = {k: [run.shown(p) for p in v] for k, v in res.files.items()}
        return dataclasses.replace(res, out_dir=run.shown(res.out_dir), files=files)
    if isinstance(res, RegionBriefing):
        return dataclasses.replace(
            res,
            analysis=None if res.analysis is None else _relocate(res.analysis, run),
            html=None if res.html is None else run.shown(res.html),
            pdf=None if res.pdf is None else run.shown(res.pdf),
        )
    return res


def _writes_folder(roles):
    """Decorator: run ``func`` into :func:`taobao_geo._outdir.output_folder` (``out_dir``).

    Adds the keyword ``overwrite`` (replace an earlier run). ``roles`` names the arguments that
    are input layers (positional order first), recorded with their checksums.
    """

    def deco(func):
        sig = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args, out_dir, overwrite: bool = False, **kwargs):
            bound = sig.bind_partial(*args, **kwargs).arguments
            inputs = {r: _input_record(bound.get(r)) for r in roles}
            inputs = {k: v for k, v in inputs.items() if v is not None}
            with _outdir.output_folder(out_dir, overwrite=overwrite, inputs=inputs) as run:
                res = func(*args, out_dir=run.path, **kwargs)
                summary = run.path / "summary.json"
                if summary.is_file():
                    _patch_summary(summary, package_version=__version__, inputs=run.inputs)
            return _relocate(res, run)

        extra = inspect.Parameter("overwrite", inspect.Parameter.KEYWORD_ONLY, default=False)
        wrapper.__signature__ = sig.replace(parameters=[*sig.parameters.values(), extra])
        return wrapper

    return deco


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------
@_writes_folder(("points", "boundary"))
def analyze(
    points: gpd.GeoDataFrame,
    *,
    out_dir,
    boundary: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    year_col: str | None = "year",
    year: int | None = None,
    permutations: int = 999,
    nsim: int | None = None,
    envelope_simulations: int = 99,
    ripley_max_n: int | None = 20_000,
    rng: int | np.random.Generator | None = 12345,
    crs=None,
    nni_area: str | float | None = None,
    duplicates: str = "merge",
    bandwidth: str | float = "arcgis",
    kernel: str = "quartic",
    cell_size: float | None = None,
    core_shares: tuple = (0.5, 0.25),
    units: str | gpd.GeoDataFrame = "auto",
    unit_size_m: float | None = None,
    unit_id: str | None = None,
    value: str = "count",
    weights: str = "queen",
    k: int = 6,
    islands: str = "nearest",
    alpha: float = 0.05,
    correction: str | None = None,
    maps: bool = True,
    title: str | None = None,
    progress: bool | None = None,
    on_error: str = "raise",
) -> AnalysisResult:
    """Run the full Taobao-village analysis and write one output folder.

    Parameters
    ----------
    points
        Village points (GeoDataFrame with a CRS; EPSG:4326 as loaded by
        :func:`taobao_geo.io.read_villages` or :func:`taobao_geo.datasets.load`).
    out_dir
        Output folder. The run is written into a temporary folder beside it and moved into place
        when it has finished; the folder is locked meanwhile. A folder holding an earlier run is
        refused unless ``overwrite=True`` (keyword), which replaces it whole.
    boundary
        Study-area polygons (any CRS). One polygon (a county) is the NNI/Ripley/KDE window; several
        polygons (the counties of a city or of China) are also the default aggregation units.
        ``None``: the window is chosen by the NNI module (``nni_area``) and units are a hex grid.
    year_col, year
        With a year column holding several years, the cross-sectional steps use ``year``
        (default: the latest) and the ``trends`` step uses all years. ``year_col=None`` disables it.
    permutations
        Permutations for Moran / LISA / Gi* (999, as GeoDa, esda and spdep examples; ArcGIS's
        Cluster and Outlier uses 499).
    nsim
        Monte Carlo simulations of the NNI test (CSR in the study area); ``None`` (default): the
        same as ``permutations``. 0: the analytic z-test. Recorded in ``choices["nsim"]``.
    envelope_simulations
        CSR simulations for Ripley's L envelopes (99, spatstat ``envelope``'s default; a global
        envelope from 19 on).
    ripley_max_n
        Skip Ripley's L (recorded, with the reason) above this many points; ``None`` never skips.
    rng
        Seed (int), numpy Generator or None. Split into one stream per random step.
    crs
        Metric CRS; ``None`` chooses one (:func:`taobao_geo.projection.choose_crs`: UTM for a
        county-sized extent, China Albers equal-area for national data).
    nni_area
        Study area of the NNI: ``"boundary"`` (default when a boundary is given), ``"mbr"``
        (ArcGIS's default, minimum enclosing rectangle; our default without a boundary), ``"hull"``,
        ``"bbox"`` (QGIS), or an area in m².
    duplicates
        Coincident points (several villages at one town seat) in the NNI and Ripley: ``"merge"``
        (default; one location per seat), ``"keep"`` or ``"raise"``.
    bandwidth, kernel, cell_size, core_shares
        Kernel density options (:func:`taobao_geo.density.kde`); ``"arcgis"`` is ArcGIS's default
        search radius with the quartic kernel; ``core_shares`` the density-mass shares of the
        core zones.
    units, unit_size_m, unit_id
        Aggregation units: ``"auto"`` (the boundary's polygons when there are at least 3, else a hex
        grid), ``"hex"``, ``"fishnet"`` or a polygon GeoDataFrame; ``unit_size_m`` the grid size in
        metres (``None``: chosen to give about 150 cells, never more cells than points); ``unit_id``
        the id column of the units. Grid cells are clipped to the window (the boundary, else the
        points' minimum enclosing rectangle as in NNI); cells with less than half of their area
        inside are left out and counted in ``choices["units"]``. Fewer than 30 units: the units
        step is "not applicable".
    value
        Unit column analysed by Moran, LISA and Gi*: ``"count"`` (villages per unit, as the
        literature's county-level maps) or ``"density_km2"``. For grid cells of unequal clipped
        area ``"count"`` becomes ``"density_km2"`` (recorded in ``choices["autocorrelation"]``).
    weights, k, islands
        Spatial weights (:func:`taobao_geo.weights.build_graph`): ``"queen"`` contiguity (default,
        GeoDa's), ``"rook"``, ``"knn"`` (``k``), ``"distance"``; islands policy ``"nearest"``
        (connect to the nearest unit, reported), ``"drop"`` or ``"raise"``.
    alpha, correction
        Significance level and multiple-testing correction (``None``, ``"fdr"``, ``"bonferroni"``)
        of the LISA and Gi* labels.
    maps
        Write the interactive HTML maps.
    title
        Title used in logs, maps and briefings.
    progress
        tqdm progress bar over the steps (``None``: only on a terminal).
    on_error
        ``"raise"`` (default) re-raises unexpected errors; ``"record"`` records them as ``failed``
        and continues. Steps that do not apply to the data are always recorded as ``skipped``.

    Returns
    -------
    AnalysisResult
        The step records, choices, result objects and the paths written.

    Raises
    ------
    GeometryTypeError
        If ``points`` are not points or ``boundary`` is not polygons.
    CRSError
        If ``points`` have no CRS.
    OptionError
        A caller's bad option (a bandwidth, area, cell or unit size <= 0, a negative seed or
        count), before any step runs, or one found by a step (e.g. a KDE bandwidth narrower
        than the cells): the run stops; it is never recorded as skipped.
    """
    args = locals()
    opts = AnalysisOptions(**{f.name: args[f.name] for f in dataclasses.fields(AnalysisOptions)})
    return _analyze(points, boundary, opts, out=Path(out_dir))


def compute(
    points: gpd.GeoDataFrame,
    *,
    boundary: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    steps: tuple[str, ...] | None = None,
    **options,
) -> AnalysisResult:
    """The statistics of :func:`analyze` without writing anything (no folder, no maps).

    Same points, boundary and options (keywords of :func:`analyze`), so the same numbers; the
    ``map`` command draws these. ``steps`` restricts the run to these step names (and the steps
    they need, e.g. ``"lisa"`` needs ``"units"`` and ``"weights"``); the others are recorded as
    skipped ("not requested").

    Returns
    -------
    AnalysisResult
        With ``out_dir=None`` and no files.
    """
    unknown = sorted(set(steps or ()) - set(_STEP_ORDER))
    if unknown:
        raise OptionError(f"`compute`: unknown step(s) {unknown}; choose from {list(_STEP_ORDER)}.")
    opts = AnalysisOptions(**{**options, "maps": False})
    run = _run_steps(points, boundary, opts, out=None, wanted=_with_needs(steps))
    return _result_of(run, files={})


def _analyze(points, boundary, opts: AnalysisOptions, *, out: Path) -> AnalysisResult:
    run = _run_steps(points, boundary, opts, out=out, wanted=None)
    files = _write_outputs(out, run.runner, run.choices, run.layers, title=run.title, prep=run.prep)
    maps_rec = [r for r in run.runner.records if r.name == "maps" and r.status == "ok"]
    map_files = run.runner.results.pop("maps", {}) if maps_rec else {}
    files["maps"] = list(map_files.values()) if isinstance(map_files, dict) else []
    # the summary.json written above does not know the map paths yet: add them
    _patch_summary(out / "summary.json", maps=files["maps"])
    return _result_of(run, files=files)


def _result_of(run: _Run, *, files: dict) -> AnalysisResult:
    p = run.prep
    return AnalysisResult(
        out_dir=run.out,
        n=len(p.points),
        crs=p.crs_name,
        year=p.year,
        years=tuple(p.years),
        steps=tuple(run.runner.records),
        choices=run.choices,
        results=dict(run.runner.results),
        layers=run.layers,
        files=files,
        title=run.title,
    )


# --------------------------------------------------------------------------------------------
# The run: checked inputs, prepared data, and the table of steps
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Prepared:
    """The data every step works on: the cross-section in the metric CRS, window, years."""

    points: gpd.GeoDataFrame  # cross-section year, metric CRS
    points_wgs84: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame | None  # metric CRS
    window: gpd.GeoDataFrame | None  # the dissolved boundary
    window_vertices: int
    crs: Any
    crs_name: str
    year_col: str | None
    year: int | None
    years: tuple
    all_points: gpd.GeoDataFrame | None  # every year (metric CRS) when there are >= 2 years
    trend_reason: str


@dataclass
class _Run:
    """One run of the step table: what the steps read (options, prepared data, seeds) and the
    few intermediate products later steps use (units, graph, unit value, core zones).
    """

    opts: AnalysisOptions
    points: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame | None
    out: Path | None
    seeds: dict
    runner: _Runner
    choices: dict
    title: str
    wanted: frozenset | None = None
    prep: _Prepared | None = None
    layers: dict = field(default_factory=dict)
    units: gpd.GeoDataFrame | None = None
    graph: Any = None
    value: str | None = None
    cores: gpd.GeoDataFrame | None = None
    cores_reason: str = ""

    def step(self, name, func, *args, **kwargs):
        return self.runner.run(name, func, *args, **kwargs)

    def skip(self, name: str, reason: str) -> None:
        self.runner.records.append(StepRecord(name, "skipped", reason))


def _check_inputs(points, boundary, opts: AnalysisOptions):
    """Input checks that need the data (the options checked themselves); the boundary as a frame."""
    ensure_points(points, func="analyze", min_n=1)
    if boundary is not None:
        ensure_polygons(boundary, func="analyze")
        if isinstance(boundary, gpd.GeoSeries):
            boundary = gpd.GeoDataFrame(geometry=boundary)
    if opts.unit_id is not None:
        given = isinstance(opts.units, gpd.GeoDataFrame)
        src = opts.units if given else boundary
        if src is None or opts.unit_id not in src.columns:
            raise InputDataError(
                f"`analyze`: unit_id={opts.unit_id!r} is not a column of the "
                f"{'units' if given else 'boundary'} "
                f"({[] if src is None else list(src.columns)})."
            )
    return boundary


def _initial_choices(points, opts: AnalysisOptions) -> dict:
    choices: dict[str, Any] = {
        "package": f"taobao_geo {__version__}",
        "run_at_utc": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "seed": seed_label(opts.rng),
        "seeding": "numpy SeedSequence(seed).spawn(): one independent stream per random step "
        f"({', '.join(RANDOM_STEPS)})",
        "permutations": int(opts.permutations),
        "nsim": opts.mc_simulations,
        "nsim_reason": "given by the caller"
        if opts.nsim is not None
        else "= permutations (nsim not given)",
        "envelope_simulations": int(opts.envelope_simulations),
        "alpha": opts.alpha,
        "multiple_testing_correction": opts.correction or "none",
    }
    meta = dict(points.attrs.get("dataset", {}) or {})
    if meta:
        choices["dataset"] = jsonable(meta)
    return choices


def _run_steps(points, boundary, opts: AnalysisOptions, *, out, wanted) -> _Run:
    from tqdm.auto import tqdm

    boundary = _check_inputs(points, boundary, opts)
    meta = dict(points.attrs.get("dataset", {}) or {})
    run = _Run(
        opts=opts,
        points=points,
        boundary=boundary,
        out=out,
        seeds=_step_seeds(opts.rng),
        runner=_Runner(on_error=opts.on_error),
        choices=_initial_choices(points, opts),
        wanted=wanted,
        title=opts.title or meta.get("title") or meta.get("name") or "Taobao villages",
    )
    bar = tqdm(
        total=len(_STEP_ORDER),
        desc="analyze",
        unit="step",
        disable=(None if opts.progress is None else not opts.progress),
        leave=False,
    )
    try:
        for name, func in _STEPS:
            bar.set_postfix_str(name)
            if name == "maps":  # layers from results (EPSG:4326 for the GeoPackage and maps)
                run.layers.update(_result_layers(run))
            if wanted is None or name in wanted:
                func(run)
            else:
                run.skip(name, "not requested")
            bar.update(1)
    finally:
        bar.close()
    return run


# --------------------------------------------------------------------------------------------
# The steps, in order: each reads the run, records itself, and calls one statistics module
# --------------------------------------------------------------------------------------------
def _step_prepare(run: _Run) -> None:
    # input problems here are the caller's to fix: raised, never recorded as "skipped"
    t0 = time.perf_counter()
    run.prep = _prepare(
        run.points,
        boundary=run.boundary,
        year_col=run.opts.year_col,
        year=run.opts.year,
        crs=run.opts.crs,
        choices=run.choices,
    )
    run.runner.records.append(StepRecord("prepare", "ok", "", time.perf_counter() - t0))
    run.layers["points"] = run.prep.points_wgs84
    if run.boundary is not None:
        run.layers["boundary"] = run.boundary.to_crs(4326)


def _nni_area(run: _Run):
    o = run.opts
    return (
        o.nni_area
        if o.nni_area is not None
        else ("boundary" if run.prep.boundary is not None else "mbr")
    )


def _step_nni(run: _Run) -> None:
    o, p = run.opts, run.prep
    area = _nni_area(run)
    run.choices["nni"] = {
        "area": area,
        "test": "mc (CSR simulated in the study area)",
        "nsim": o.mc_simulations,
        "alternative": "two-sided",
        "duplicates": o.duplicates,
        "correction": "none (ArcGIS / Clark-Evans)",
    }
    if o.nni_area is None:
        run.choices["nni"]["area_reason"] = (
            "the boundary polygon (the real study area, as spatstat's window)"
            if p.boundary is not None
            else "minimum enclosing rectangle, ArcGIS's default (no boundary given)"
        )
    run.step(
        "nni",
        _nni,
        p.points,
        p.window,
        area=area,
        nsim=o.mc_simulations,
        duplicates=o.duplicates,
        rng=run.seeds["nni"],
        progress=o.progress,
    )


def _ripley_correction(n_vertices: int, n: int) -> tuple[str | None, str]:
    """Ripley's edge correction for this window and n, with the reason for choices.json."""
    if n_vertices > _MAX_ISO_VERTICES or n > 3000:
        return "none", (
            f"none (ArcGIS Multi-Distance's default): the window has {n_vertices:,} "
            f"vertices and n = {n:,}, too costly for edge corrections; the envelope "
            "is simulated with the same estimator, so the test stays valid"
        )
    return None, (
        "the ripley module's default (isotropic + border, as spatstat); the "
        "first correction gets the envelope"
    )


def _step_ripley(run: _Run) -> None:
    o, p = run.opts, run.prep
    n = len(p.points)
    ripley_corr, corr_text = _ripley_correction(p.window_vertices, n)
    run.choices["ripley"] = {
        "function": "L",
        "envelope_simulations": int(o.envelope_simulations),
        "correction": corr_text,
        "max_n": o.ripley_max_n,
        "envelope": "global (simultaneous)" if o.envelope_simulations >= 19 else "pointwise",
        "window": "boundary" if p.boundary is not None else "the ripley module's default window",
        "duplicates": o.duplicates,
    }
    if o.ripley_max_n is not None and n > o.ripley_max_n:
        run.skip(
            "ripley",
            f"n = {n:,} points > ripley_max_n = {o.ripley_max_n:,}: the "
            "envelope's pair counts would dominate the run; pass ripley_max_n=None to "
            "force it, or run taobao_geo.ripley on a region",
        )
        return
    run.step(
        "ripley",
        _ripley,
        p.points,
        p.window,
        nsim=o.envelope_simulations,
        duplicates=o.duplicates,
        correction=ripley_corr,
        rng=run.seeds["ripley"],
        progress=o.progress,
    )


def _step_kde(run: _Run) -> None:
    o, p = run.opts, run.prep
    run.step(
        "kde",
        _kde,
        p.points,
        p.window,
        bandwidth=o.bandwidth,
        kernel=o.kernel,
        cell_size=o.cell_size,
        core_shares=o.core_shares,
        choices=run.choices,
    )


def _step_units(run: _Run) -> None:
    o, p = run.opts, run.prep
    unit_gdf = run.step(
        "units",
        _units,
        p.points,
        p.boundary,
        units=o.units,
        unit_size_m=o.unit_size_m,
        unit_id=o.unit_id,
        choices=run.choices,
    )
    if unit_gdf is not None:
        run.runner.results.pop("units", None)
        run.units = unit_gdf


def _step_weights(run: _Run) -> None:
    if run.units is None:
        run.skip("weights", "no aggregation units")
        return
    o = run.opts
    run.graph = run.step(
        "weights",
        _weights,
        run.units,
        kind=o.weights,
        k=o.k,
        islands=o.islands,
        choices=run.choices,
    )


_NO_GRAPH = "no spatial weights (see the units / weights steps)"


def _unit_column(run: _Run) -> str:
    """The unit variable of Moran, LISA and Gi* (recorded once in choices.json)."""
    if run.value is None:
        o = run.opts
        run.value, note = _unit_value(o.value, run.choices.get("units", {}))
        run.choices["autocorrelation"] = {
            "variable": run.value,
            "variable_reason": note,
            "permutations": int(o.permutations),
            "alpha": o.alpha,
            "correction": o.correction or "none",
        }
    return run.value


def _step_moran(run: _Run) -> None:
    if run.graph is None:
        run.skip("moran", _NO_GRAPH)
        return
    run.step(
        "moran",
        _moran,
        run.units,
        run.graph,
        value=_unit_column(run),
        permutations=run.opts.permutations,
        rng=run.seeds["moran"],
    )


def _step_lisa(run: _Run) -> None:
    if run.graph is None:
        run.skip("lisa", _NO_GRAPH)
        return
    o = run.opts
    run.step(
        "lisa",
        _lisa,
        run.units,
        run.graph,
        value=_unit_column(run),
        permutations=o.permutations,
        alpha=o.alpha,
        correction=o.correction,
        rng=run.seeds["lisa"],
        progress=o.progress,
    )


def _step_gistar(run: _Run) -> None:
    if run.graph is None:
        run.skip("gistar", _NO_GRAPH)
        return
    o = run.opts
    run.step(
        "gistar",
        _gistar,
        run.units,
        run.graph,
        value=_unit_column(run),
        permutations=o.permutations,
        alpha=o.alpha,
        correction=o.correction,
        rng=run.seeds["gistar"],
    )


def _step_centrography(run: _Run) -> None:
    run.step("centrography", _centrography, run.prep.points)
    run.choices["centrography"] = {
        "ellipse": "standard deviational ellipse, ArcGIS convention "
        "(sqrt(2) factor, rotation clockwise from north, degrees)"
    }


def _step_trends(run: _Run) -> None:
    o, p = run.opts, run.prep
    if p.all_points is None:
        run.skip("trends", p.trend_reason)
        return
    run.step(
        "trends",
        _trends,
        p.all_points,
        by=p.year_col,
        bnd=p.window,
        area=_nni_area(run),
        duplicates=o.duplicates,
        choices=run.choices,
    )


def _step_maps(run: _Run) -> None:
    if not run.opts.maps or run.out is None:
        run.skip("maps", "maps=False")
        return
    run.step(
        "maps",
        _maps,
        run.runner.results,
        run.layers,
        run.out / "maps",
        title=run.title,
        year=run.prep.year,
    )


# name -> step, in the order they run (a step reads what earlier steps left in the run)
_STEPS = (
    ("prepare", _step_prepare),
    ("nni", _step_nni),
    ("ripley", _step_ripley),
    ("kde", _step_kde),
    ("units", _step_units),
    ("weights", _step_weights),
    ("moran", _step_moran),
    ("lisa", _step_lisa),
    ("gistar", _step_gistar),
    ("centrography", _step_centrography),
    ("trends", _step_trends),
    ("maps", _step_maps),
)
_STEP_ORDER = tuple(name for name, _ in _STEPS)
# what a step needs from earlier steps (for compute(steps=...))
_NEEDS = {
    "weights": ("units",),
    "moran": ("weights",),
    "lisa": ("weights",),
    "gistar": ("weights",),
}


def _with_needs(steps) -> frozenset | None:
    if steps is None:
        return None
    todo, done = list(steps) + ["prepare"], set()
    while todo:
        name = todo.pop()
        if name not in done:
            done.add(name)
            todo.extend(_NEEDS.get(name, ()))
    return frozenset(done)


# --------------------------------------------------------------------------------------------
# Preparation: cross-section year, metric CRS, study window
# --------------------------------------------------------------------------------------------
def _prepare(points, *, boundary, year_col, year, crs, choices) -> _Prepared:
    if points.crs is None:
        raise CRSError(
            "`analyze`: the points have no CRS. Load them with "
            "taobao_geo.io.read_villages(...) or set it with gdf.set_crs('EPSG:4326')."
        )
    pts_all = points
    points, years, sel, trend_reason = _cross_section(
        points, year_col=year_col, year=year, choices=choices
    )
    target, name = _metric_crs(points, boundary, crs=crs, choices=choices)
    pts = projection.to_projected(points, to_crs=target)
    # County-point / shared-seat geocoding can make village-scale statistics meaningless: record
    # the judgement so the summary and the briefing say it next to the numbers.
    choices["location_quality"] = location_quality(points).to_dict()
    bnd = None if boundary is None else boundary.to_crs(target)
    window, n_vertices = None, 0
    if bnd is not None:
        window, n_vertices = _study_window(bnd, pts_all.to_crs(target))
    all_points = None
    if len(years) >= 2:
        all_points = projection.to_projected(pts_all, to_crs=target)
    choices["points"] = {
        "n_cross_section": int(len(points)),
        "n_all_years": int(len(pts_all)),
        "source_crs": str(pts_all.crs),
    }
    if boundary is not None:
        choices["boundary"] = {
            "polygons": int(len(boundary)),
            "area_km2": float(bnd.geometry.area.sum() / 1e6),
        }
    return _Prepared(
        points=pts,
        points_wgs84=points.to_crs(4326),
        boundary=bnd,
        window=window,
        window_vertices=n_vertices,
        crs=target,
        crs_name=name,
        year_col=year_col,
        year=sel,
        years=tuple(years),
        all_points=all_points,
        trend_reason=trend_reason,
    )


def _cross_section(points, *, year_col, year, choices):
    """The points of the analysed year, the years present, that year and why no trends."""
    if not (year_col and year_col in points.columns):
        if year is not None:
            raise TaobaoGeoError(
                f"`analyze`: year={year} given but there is no column {year_col!r}."
            )
        reason = f"no year column ({year_col!r})" if year_col else "year_col=None"
        choices["year"] = {"column": None, "reason": reason}
        return points, [], None, reason
    yrs = pd.to_numeric(points[year_col], errors="coerce")
    bad = points.index[yrs.isna()].tolist()
    if bad:
        raise InputDataError(
            f"`analyze`: column {year_col!r} has missing or non-numeric "
            f"values in rows {row_list(bad)}.",
            rows=bad,
        )
    years = sorted(int(y) for y in yrs.unique())
    sel = years[-1] if year is None else int(year)
    if sel not in years:
        raise TaobaoGeoError(
            f"`analyze`: year={sel} is not in column {year_col!r} (years present: {years})."
        )
    choices["year"] = {
        "column": year_col,
        "years_present": years,
        "cross_section": sel,
        "reason": "the latest year" if year is None else "given by the caller",
    }
    reason = "" if len(years) >= 2 else f"only one year ({years[0]}) in column {year_col!r}"
    return points[yrs == sel], years, sel, reason


def _metric_crs(points, boundary, *, crs, choices):
    """The metric CRS: chosen from the study-area extent (boundary when given, else the points)."""
    if crs is None:
        choice = projection.choose_crs(boundary if boundary is not None else points)
        target, name = choice.crs, choice.name
        reason = (
            f"{choice.reason}; chosen from the "
            f"{'boundary' if boundary is not None else 'points'} extent"
        )
    else:
        from pyproj import CRS

        target = CRS.from_user_input(crs)
        name, reason = target.to_string(), "given by the caller"
    choices["crs"] = {
        "name": name,
        "reason": reason,
        "wkt": target.to_wkt() if hasattr(target, "to_wkt") else str(target),
    }
    return target, name


def _study_window(bnd, every) -> tuple[gpd.GeoDataFrame, int]:
    """The DISSOLVED boundary (the window of NNI, Ripley and KDE) and its vertex count.

    Internal edges between units are not edges of the window (and would cost memory in edge
    corrections). Points outside it (``every``: all years) are an input problem: say which.
    """
    union = shapely.union_all(bnd.geometry.values)
    window = gpd.GeoDataFrame(geometry=[union], crs=bnd.crs)
    shapely.prepare(union)
    outside = every.index[~shapely.intersects(union, every.geometry.values)].tolist()
    if outside:
        raise InputDataError(
            f"`analyze`: {len(outside)} of {len(every)} point(s) fall outside the boundary: rows "
            f"{row_list(outside)}. Select the points inside it first (e.g. "
            "points[points.within(boundary.union_all())]), pass the right boundary, or check "
            "the datum (GCJ-02 coordinates read as WGS 84 sit ~0.5 km off).",
            rows=outside,
        )
    return window, int(shapely.get_num_coordinates(union))


# --------------------------------------------------------------------------------------------
# Steps' statistics (each calls one statistics module)
# --------------------------------------------------------------------------------------------
def _nni(pts, bnd, *, area, nsim, duplicates, rng, progress=None):
    kw = {
        "area": area,
        "test": "mc",
        "nsim": int(nsim),
        "alternative": "two-sided",
        "duplicates": duplicates,
        "rng": rng,
        "progress": progress,
    }
    if bnd is not None:
        kw["boundary"] = bnd
    if nsim <= 0 or not isinstance(area, str):
        # an explicit area (m²) has no window to simulate in: the z-test is the only test
        kw["test"] = "z"
    return nni.nearest_neighbour_index(pts, **kw)


def _ripley(pts, bnd, *, nsim, duplicates, correction, rng, progress=None):
    kw = (
        {"progress": progress}
        if correction is None
        else {"correction": correction, "progress": progress}
    )
    return ripley.l_function(
        pts,
        boundary=bnd,
        nsim=int(nsim),
        envelope="global" if nsim >= 19 else "pointwise",
        duplicates=duplicates,
        rng=rng,
        **kw,
    )


def _kde(pts, bnd, *, bandwidth, kernel, cell_size, core_shares, choices):
    res = density.kde(pts, kernel=kernel, bandwidth=bandwidth, cell_size=cell_size, boundary=bnd)
    choices["kde"] = {
        "kernel": getattr(res, "kernel", kernel),
        "bandwidth_rule": getattr(res, "bandwidth_rule", str(bandwidth)),
        "bandwidth_m": getattr(res, "bandwidth_m", None),
        "cell_size_m": getattr(res, "cell_size_m", None),
        "units": getattr(res, "units", None),
        "core_shares": list(core_shares),
        "mask": "boundary" if bnd is not None else "none",
    }
    return res


def _units(pts, bnd, *, units, unit_size_m, unit_id, choices):
    if isinstance(units, gpd.GeoDataFrame):
        polys = units.to_crs(pts.crs)
        kind, reason = "polygons", "given by the caller"
    elif units == "auto":
        if bnd is not None and len(bnd) >= 3:
            polys, kind, reason = bnd, "polygons", f"the boundary's {len(bnd)} polygons"
        else:
            polys, kind = "hex", "hex"
            reason = (
                "a hexagon grid over the boundary (it has fewer than 3 polygons)"
                if bnd is not None
                else "a hexagon grid over the points (no boundary)"
            )
    else:
        check_choice(units, ("auto", "hex", "fishnet"), name="units", func="analyze")
        polys, kind, reason = units, units, "given by the caller"
    kw = {}
    size = unit_size_m
    if kind in ("hex", "fishnet"):
        win = _grid_window(pts, bnd)
        if size is None:
            size, note = _default_unit_size(win.area, len(pts))
            reason += note
        kw.update(size_m=size, boundary=win, min_inside_share=UNIT_MIN_INSIDE_SHARE)
    else:
        # unit ids: the given column, else a unique 'adcode' (counties), else the row index
        idc = unit_id or ("adcode" if "adcode" in polys.columns else None)
        if idc is not None:
            if idc not in polys.columns:
                from ._errors import InputDataError

                raise InputDataError(
                    f"`analyze`: unit_id={idc!r} is not a column of the units "
                    f"({list(polys.columns)})."
                )
            if polys[idc].is_unique:
                polys = polys.set_index(idc, drop=False).rename_axis(None)
                unit_id = idc
    agg = _units_mod.aggregate(pts, units=polys, **kw)
    rep = agg.attrs["aggregation"]
    if len(agg) < MIN_UNITS:
        raise NotApplicableError(
            f"`analyze`: only {len(agg)} aggregation unit(s) ({kind}); Moran's I, LISA and Gi* "
            f"need at least {MIN_UNITS}. Pass more polygons, a smaller unit_size_m or more points."
        )
    choices["units"] = {
        "kind": kind,
        "n_units": int(len(agg)),
        "size_m": size,
        "reason": reason,
        "zero_units_kept": True,
        "id": unit_id,
    }
    if kind in ("hex", "fishnet"):
        choices["units"].update(_grid_choices(agg, rep, bnd))
    return agg


def _unit_value(value: str, units_choice: dict) -> tuple[str, str]:
    """Counts of clipped grid cells of unequal area are not comparable: use the density."""
    if (
        value == "count"
        and units_choice.get("areas_differ")
        and units_choice.get("kind") in ("hex", "fishnet")
    ):
        return "density_km2", (
            "density (count / clipped cell area): the grid cells clipped to "
            "the window differ in area, so raw counts are not comparable"
        )
    return value, "given by the caller" if value != "count" else "count (cells of equal area)"


# Grid units: a cell with less than half of its area inside the study window is left out (its
# count would be low only because most of it lies outside, which makes CSR data look clustered).
UNIT_MIN_INSIDE_SHARE = 0.5
# Fewer units than this cannot support Moran / LISA / Gi* (and a default grid is never finer
# than one unit per point on average, so a handful of points cannot make 455,064 cells).
MIN_UNITS = 30
_TARGET_UNITS = 150


def _grid_window(pts, bnd):
    """The window grid cells are clipped to: the boundary, else the data's window (NNI's)."""
    if bnd is not None:
        return shapely.union_all(bnd.geometry.values)
    from .windows import study_area

    try:
        return study_area(pts, area="mbr", func="analyze").geometry
    except GeometryTypeError:
        raise NotApplicableError(
            f"`analyze`: no grid units: the {len(pts)} point(s) span a window of zero area (all "
            "identical or on one line). Pass `boundary=` polygons (the study area)."
        ) from None


def _default_unit_size(area_m2: float, n: int) -> tuple[float, str]:
    """About 150 cells over the window, never more cells than points; a rounded size."""
    target = min(_TARGET_UNITS, n)
    if target < MIN_UNITS:
        raise NotApplicableError(
            f"`analyze`: {n} point(s) are too few for grid units: at least {MIN_UNITS} units "
            f"with one point each on average are needed (Moran's I, LISA, Gi*)."
        )
    size = math.sqrt(area_m2 / target)
    e = 10 ** math.floor(math.log10(size))
    size = float(e * round(size / e, 1))
    return size, (
        f"; cell size {size:,.0f} m gives about {target} cells over "
        f"{area_m2 / 1e6:,.0f} km² (at most one cell per point)"
    )


def _grid_choices(agg, rep, bnd) -> dict:
    """What the clipping did, for choices.json; density is the value where cell areas differ."""
    area = agg["area_km2"].to_numpy()
    differ = bool(len(area) and area.max() > area.min() * (1 + 1e-9))
    return {
        "window": "the boundary"
        if bnd is not None
        else "the points' minimum enclosing rectangle (the NNI window)",
        "clipped_to_window": True,
        "min_inside_share": UNIT_MIN_INSIDE_SHARE,
        "n_units_dropped_outside": rep.get("n_units_dropped_outside", 0),
        "n_points_in_dropped_units": rep.get("n_points_in_dropped_units", 0),
        "areas_differ": differ,
    }


def _weights(unit_gdf, *, kind, k, islands, choices):
    kw = {"kind": kind, "islands": islands}
    if kind == "knn":
        kw["k"] = k
    sw = weights.build_graph(unit_gdf, **kw)
    choices["weights"] = {
        "kind": kind,
        "k": k if kind == "knn" else None,
        "islands": islands,
        "method": getattr(sw, "method", None),
        "islands_found": list(getattr(sw, "islands", ()) or ()),
        "transform": "row-standardised for Moran / LISA; binary for Gi*",
    }
    return sw


def _moran(unit_gdf, sw, *, value, permutations, rng):
    return autocorrelation.moran(
        unit_gdf,
        column=value,
        graph=sw,
        permutations=int(permutations),
        alternative="two-sided",
        rng=rng,
    )


def _lisa(unit_gdf, sw, *, value, permutations, alpha, correction, rng, progress=None):
    return local.local_moran(
        unit_gdf,
        column=value,
        graph=sw,
        permutations=int(permutations),
        alpha=alpha,
        adjust=correction,
        rng=rng,
        progress=progress,
    )


def _gistar(unit_gdf, sw, *, value, permutations, alpha, correction, rng):
    # Gi* z-scores are analytic (Getis & Ord; ArcGIS's GiZScore and spdep localG): the bins are
    # ArcGIS's. Permutation p-values are added when permutations > 0.
    return local.getis_ord(
        unit_gdf,
        column=value,
        graph=sw,
        star=True,
        permutations=int(permutations),
        inference="analytic",
        alpha=alpha,
        adjust=correction,
        rng=rng,
    )


def _centrography(pts):
    return centrography.centrography(pts)


def _trends(all_pts, *, by, bnd, area, duplicates, choices):
    # NNI per year with the same study area and duplicate rule as the cross-section NNI (z-test,
    # so the years are comparable without simulation noise).
    from ._errors import TooFewPointsError

    try:
        return centrography.centre_trends(
            all_pts, by=by, nni=True, area=area, boundary=bnd, duplicates=duplicates
        )
    except TooFewPointsError as exc:
        # one year with too few distinct locations for an NNI: keep the centres, drop the NNI
        res = centrography.centre_trends(all_pts, by=by, nni=False)
        choices["trends"] = {"nni_per_year": f"left out: {exc}"}
        return res


def _maps(results, layers, folder: Path, *, title, year, tiles=("carto", "osm")):
    """One offline HTML map per analysis (villages, density, LISA, Gi*, centres)."""
    # two WGS 84 base maps in the layer control: if one provider is unreachable or wants a key,
    # the user switches to the other
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    notes: dict[str, str] = {}
    pts = layers.get("points")
    bnd = layers.get("boundary")
    sub = f"{year}" if year is not None else None

    def _one(key, build):
        try:
            m = build()
        except TaobaoGeoError as exc:  # e.g. an empty layer: that map is left out, with why
            notes[key] = str(exc)
            return
        written[key] = _maps_mod.save_map(m, folder / f"{key}.html", offline=True)

    def villages_map():
        m = _maps_mod.explore_villages(pts, tiles=tiles, title=title, subtitle=sub)
        if bnd is not None:
            _maps_mod.explore_boundaries(bnd, m=m, name="Study area")
        return m

    _one("villages", villages_map)
    if "kde" in results:

        def density_map():
            m = _maps_mod.explore_density(
                results["kde"],
                tiles=tiles,
                cores=layers.get("kde_cores"),
                title=f"{title}: kernel density",
                subtitle=sub,
            )
            return _maps_mod.explore_villages(pts, m=m, radius=2.5)

        _one("density", density_map)
    if "lisa" in results:
        _one(
            "lisa",
            lambda: _maps_mod.explore_lisa(
                results["lisa"], tiles=tiles, title=f"{title}: LISA clusters", subtitle=sub
            ),
        )
    if "gistar" in results:
        _one(
            "hotspots",
            lambda: _maps_mod.explore_hotspots(
                results["gistar"], tiles=tiles, title=f"{title}: Gi* hot spots", subtitle=sub
            ),
        )
    if "trends" in results:
        _one(
            "centres",
            lambda: _maps_mod.explore_centres(
                results["trends"], tiles=tiles, title=f"{title}: mean centres by year"
            ),
        )
    return _MapFiles(written, notes)


class _MapFiles(dict):
    """Map name -> path, plus ``notes`` for maps left out (with the reason)."""

    def __init__(self, written, notes):
        super().__init__(written)
        self.notes = notes

    def summary(self) -> str:
        lines = [f"{len(self)} interactive map(s): {', '.join(self)}"]
        lines += [f"{k} map left out: {v}" for k, v in self.notes.items()]
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------
def _result_layers(run: _Run) -> dict:
    results, layers = run.runner.results, {}
    if "kde" in results:
        try:
            regions = run.prep.boundary
            if regions is not None and not {"province", "city", "county", "town", "name"} & set(
                regions.columns
            ):
                regions = None
            cores = results["kde"].cores(shares=tuple(run.opts.core_shares), regions=regions)
        except TaobaoGeoError as exc:  # e.g. a flat surface: no core to draw
            run.cores_reason = str(exc)
        else:
            run.cores = cores
            layers["kde_cores"] = cores.to_crs(4326)
    for name in ("lisa", "gistar"):
        if name in results and hasattr(results[name], "gdf"):
            layers[f"units_{name}"] = results[name].gdf.to_crs(4326)
    if "trends" in results:
        tr = results["trends"]
        layers["centres_by_year"] = tr.centres_gdf().to_crs(4326)
        if getattr(tr, "ellipses", None) is not None and len(tr.ellipses):
            layers["ellipses_by_year"] = tr.ellipses.to_crs(4326)
    elif "centrography" in results and hasattr(results["centrography"], "to_gdf"):
        layers["centrography"] = results["centrography"].to_gdf().to_crs(4326)
    if run.units is not None and "units_lisa" not in layers:
        layers["units"] = run.units.to_crs(4326)
    return layers


def _frame_of(res) -> pd.DataFrame | None:
    if res is None or not hasattr(res, "to_frame"):
        return None
    df = res.to_frame()
    if isinstance(df, gpd.GeoDataFrame):
        df = pd.DataFrame(df.drop(columns=df.geometry.name))
    return df


def _write_outputs(
    out: Path, runner: _Runner, choices: dict, layers: dict, *, title, prep: _Prepared
) -> dict:
    tables = out / "tables"
    tables.mkdir(exist_ok=True)
    files: dict[str, list[Path]] = {"tables": [], "layers": []}
    steps_payload = {}
    for rec in runner.records:
        res = runner.results.get(rec.name)
        entry = rec.as_dict()
        if res is not None:
            entry["summary"] = _summary_lines(res)
            if hasattr(res, "to_dict"):
                entry["result"] = jsonable(res.to_dict())
            df = _frame_of(res) if rec.name != "maps" else None
            if df is not None:
                p = tables / f"{rec.name}.csv"
                df.to_csv(p, index=True, encoding="utf-8")
                files["tables"].append(p)
                entry["outputs"] = entry["outputs"] + [str(p.relative_to(out))]
        steps_payload[rec.name] = entry
    # the core zones are a table readers want without GIS software
    if layers.get("kde_cores") is not None and len(layers["kde_cores"]):
        cores = layers["kde_cores"]
        p = tables / "kde_cores.csv"
        pd.DataFrame(cores.drop(columns=cores.geometry.name)).to_csv(
            p, index=False, encoding="utf-8"
        )
        files["tables"].append(p)
    # GeoPackage with every layer
    if layers:
        gpkg = out / "layers" / "analysis.gpkg"
        gpkg.parent.mkdir(exist_ok=True)
        if gpkg.exists():
            gpkg.unlink()
        for name, g in layers.items():
            if g is None or len(g) == 0:
                continue
            _to_gpkg(g, gpkg, name)
        files["layers"].append(gpkg)
    # steps table
    steps_df = pd.DataFrame([r.as_dict() for r in runner.records])
    steps_df.to_csv(tables / "steps.csv", index=False)
    files["tables"].append(tables / "steps.csv")
    summary = {
        "title": title,
        "n": int(len(prep.points)),
        "year": prep.year,
        "years": list(prep.years),
        "crs": prep.crs_name,
        "steps": steps_payload,
        "layers": {k: int(len(v)) for k, v in layers.items()},
    }
    (out / "summary.json").write_text(
        json.dumps(jsonable(summary), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    (out / "choices.json").write_text(
        json.dumps(jsonable(choices), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    (out / "log.txt").write_text(_log_text(title, choices, runner.records), encoding="utf-8")
    files["summary"] = [out / "summary.json"]
    files["choices"] = [out / "choices.json"]
    files["log"] = [out / "log.txt"]
    return files


def _to_gpkg(g: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    g = g.copy()
    for col in g.columns:
        if col == g.geometry.name:
            continue
        s = g[col]
        # GeoPackage columns must be scalars: lists / dicts / categories become text
        if s.dtype == object and s.map(lambda v: isinstance(v, (list, tuple, dict, set))).any():
            g[col] = s.map(
                lambda v: (
                    json.dumps(jsonable(v), ensure_ascii=False)
                    if isinstance(v, (list, tuple, dict, set))
                    else v
                )
            )
        elif isinstance(s.dtype, pd.CategoricalDtype):
            g[col] = s.astype(str)
    g.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")


def _patch_summary(path: Path, *, maps=None, **fields) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    if maps is not None:
        data["maps"] = [
            str(Path(p).relative_to(path.parent)) if Path(p).is_relative_to(path.parent) else str(p)
            for p in maps
        ]
    data.update(jsonable(fields))
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def _log_text(title, choices: dict, records) -> str:
    lines = [f"taobao_geo analysis log: {title}", "=" * 60, "", "Choices", "-------"]

    def walk(d, indent=0):
        for k, v in d.items():
            if k == "wkt":
                continue
            if isinstance(v, dict):
                lines.append("  " * indent + f"{k}:")
                walk(v, indent + 1)
            else:
                lines.append("  " * indent + f"{k}: {v}")

    walk(choices)
    lines += ["", "Steps", "-----"]
    for r in records:
        extra = f" -- {r.reason}" if r.reason else ""
        lines.append(f"{r.name:<13} {r.status:<8} {r.seconds:8.2f} s{extra}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# County comparison: its files (the comparison itself only computes)
# --------------------------------------------------------------------------------------------
def write_comparison(
    result, folder, *, maps: bool = True, lang: str = "en", highlight: str | None = None
) -> dict:
    """Write a county comparison: table and long counts (CSV), figures (PNG), map (HTML).

    Parameters
    ----------
    result : taobao_geo.compare.ComparisonResult
    folder
        Folder written into (created when missing).
    maps
        Also write the interactive map (:func:`taobao_geo.maps.comparison_map`).
    lang, highlight
        Labels of the figures; the county (adcode or name) highlighted in the small multiples.

    Returns
    -------
    dict
        Kind (``table``, ``counts``, ``small_multiples``, ``map_png``, ``map_html``) -> path.
    """
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "table": folder / "comparison.csv",
        "counts": folder / "counts_by_year.csv",
        "small_multiples": folder / "small_multiples.png",
        "map_png": folder / "comparison_map.png",
    }
    result.table.to_csv(paths["table"], index=False, encoding="utf-8")
    result.counts.to_csv(paths["counts"], index=False, encoding="utf-8")
    for key, fig in (
        ("small_multiples", result.plot(lang=lang, highlight=highlight)),
        ("map_png", result.plot_map(lang=lang)),
    ):
        fig.savefig(paths[key], dpi=120)
        plt.close(fig)
    if maps:
        paths["map_html"] = _maps_mod.save_map(
            _maps_mod.comparison_map(result), folder / "comparison_map.html"
        )
    return paths


# --------------------------------------------------------------------------------------------
# Region briefing: analysis + comparison + report for a county, city or province
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegionBriefing(ResultMixin):
    """What :func:`brief_region` produced: the analysis, the comparison and the files."""

    region: str
    level: str
    analysis: AnalysisResult | None = field(repr=False)
    comparison: Any = field(repr=False)
    html: Path | None = None
    pdf: Path | None = None
    pdf_message: str = ""

    def to_frame(self) -> pd.DataFrame:
        """The comparison's table (empty without a comparison)."""
        return self.comparison.to_frame() if self.comparison is not None else pd.DataFrame()

    def summary(self) -> str:
        """The briefing's files and the first line of the analysis and comparison."""
        lines = [f"Briefing for {self.region} ({self.level}): {self.html}"]
        if self.pdf:
            lines.append(f"PDF: {self.pdf}")
        elif self.pdf_message:
            lines.append(f"PDF: {self.pdf_message}")
        if self.analysis is not None:
            lines.append(self.analysis.summary().splitlines()[0])
        if self.comparison is not None:
            lines.append(self.comparison.summary().splitlines()[0])
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Scalars for ``--json``: region, level, files and the analysis."""
        return {
            "region": self.region,
            "level": self.level,
            "html": str(self.html),
            "pdf": str(self.pdf) if self.pdf else None,
            "pdf_message": self.pdf_message,
            "analysis": self.analysis.to_dict() if self.analysis is not None else None,
        }


@_writes_folder(("villages", "counties"))
def brief_region(
    villages: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame | None = None,
    *,
    out_dir,
    county: str | None = None,
    city: str | None = None,
    province: str | None = None,
    top: int = 10,
    lang: str = "en",
    pdf: bool = True,
    permutations: int = 999,
    rng: int | np.random.Generator | None = 12345,
    year_col: str = "year",
    maps: bool = True,
    title: str | None = None,
    progress: bool | None = None,
    analysis_kwargs: dict | None = None,
) -> RegionBriefing:
    """Analyse a county, city or province, compare it, and write the briefing (HTML, PDF).

    The region's county polygons are the study area (``boundary``) of :func:`analyze`; the
    comparison (:func:`taobao_geo.compare.compare_counties`) puts the region's counties next to
    the other counties of the same city (for a county) or province (for a city) and the national
    top ``top`` counties; :func:`taobao_geo.report.briefing` formats both.

    Parameters
    ----------
    villages
        Village points with a year column and, ideally, ``county_code``.
    counties
        County polygons (``adcode, province, city, county``); ``None``: shipped ``china_counties``.
    county, city, province
        The region: exactly one of them (a name or adcode).
    top
        Number of national top counties added to the comparison (0 for none).
    lang
        ``"en"`` or ``"zh"``.
    pdf
        Also print a PDF with headless Chromium when available (else ``pdf_message`` says why).
    permutations, rng
        Passed to :func:`analyze` and the comparison.
    out_dir, overwrite
        Output folder, written as by :func:`analyze` (temporary folder moved into place, locked;
        an earlier run is replaced only with ``overwrite=True``).

    Returns
    -------
    RegionBriefing
    """
    from . import compare as _compare
    from . import report

    level, name = _one_region(county=county, city=city, province=province)
    if counties is None:
        counties = datasets.load("china_counties")
    cty = counties.to_crs(4326)
    region, peers, label = _region(cty, level, name)
    codes = set(region["adcode"].astype(str))
    vil_region = _villages_in(villages, region, codes)
    out = Path(out_dir)  # the temporary folder given by _writes_folder
    analysis = None
    if len(vil_region):
        analysis = analyze(
            vil_region,
            boundary=region,
            out_dir=out / "analysis",
            year_col=year_col,
            permutations=permutations,
            rng=rng,
            maps=maps,
            title=title or label,
            progress=progress,
            **(analysis_kwargs or {}),
        )
    comp = _compare.compare_counties(
        villages,
        cty,
        names=sorted(codes) if level == "county" else None,
        top=top or None,
        year_col=year_col,
        permutations=permutations,
        rng=rng,
        progress=progress,
        **peers,
    )
    highlight = sorted(codes)[0] if level == "county" else None
    comp_paths = write_comparison(
        comp, out / "comparison", maps=maps, lang=lang, highlight=highlight
    )
    html_path = report.briefing(
        analysis,
        comp,
        out_path=out / f"briefing_{lang}.html",
        title=title or (f"{label}: " + report.LABELS[lang]["briefing"]),
        region=label,
        lang=lang,
        provenance=[dict(counties.attrs.get("dataset", {}) or {})],
        highlight=highlight,
        comparison_map=comp_paths.get("map_html"),
    )
    pdf_path, msg = _print_pdf(html_path) if pdf else (None, "")
    return RegionBriefing(
        region=label,
        level=level,
        analysis=analysis,
        comparison=comp,
        html=html_path,
        pdf=pdf_path,
        pdf_message=msg,
    )


def _one_region(**given):
    """The one region given (level, name): exactly one of county=, city=, province=."""
    given = [(k, v) for k, v in given.items() if v is not None]
    if len(given) != 1:
        raise TaobaoGeoError(
            "`brief_region`: give exactly one of county=, city=, province=; got "
            f"{[k for k, _ in given] or 'none'}."
        )
    return given[0]


def _region(cty, level: str, name: str):
    """The region's counties, its peers for the comparison (city / province) and its label."""
    from . import compare as _compare

    if level == "county":
        region = _compare.select_counties(cty, names=[name])
        peers = {"city": str(region["city"].iloc[0])} if "city" in region.columns else {}
    elif level == "city":
        region = _compare.select_counties(cty, city=name)
        peers = {"city": name}
    else:
        region = _compare.select_counties(cty, province=name)
        peers = {"province": str(region["province"].iloc[0])}
    label = name if level != "county" else str(region["county"].iloc[0])
    return region, peers, label


def _villages_in(villages, region, codes):
    """The villages of the region: by their county code, else by point in polygon."""
    vil = villages.to_crs(4326)
    if "county_code" in vil.columns:
        in_region = vil["county_code"].astype(str).isin(codes)
    else:
        in_region = vil.geometry.within(region.geometry.union_all())
    vil_region = vil[in_region]
    if hasattr(villages, "attrs"):
        vil_region.attrs = dict(villages.attrs)
    return vil_region


def _print_pdf(html_path):
    """The PDF of the briefing, or None and why not (no headless Chromium, ...)."""
    from . import report

    try:
        return report.print_pdf(html_path), ""
    except TaobaoGeoError as exc:
        return None, str(exc)
