"""Hostile options and degenerate data: a caller's mistake is an error, never "skipped".

Issue 10 ("Trust"), point 6 and the NNI/KDE part of point 5. Two kinds of error:
:class:`OptionError` (the caller's mistake: always stops, one line) and
:class:`NotApplicableError` (the data cannot support a step: the only kind the pipeline records
as skipped, with the reason). Each case asserts its specific message.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest

from taobao_geo import NotApplicableError, OptionError, TaobaoGeoError
from taobao_geo._errors import (
    AlignmentError,
    CRSError,
    DegenerateDataError,
    GeometryTypeError,
    GridTooLargeError,
    InputDataError,
    IslandError,
    TooFewPointsError,
    ZeroAreaError,
)
from taobao_geo._kde_kernels import get_kernel
from taobao_geo._validate import check_choice, check_positive, ensure_rng
from taobao_geo.cli import main as climain
from taobao_geo.density import kde
from taobao_geo.nni import nearest_neighbour_index
from taobao_geo.pipeline import StepRecord, _Runner, analyze
from taobao_geo.projection import to_projected

LAYER = "caoxian_villages_simulated"


def _projected(xy, crs="EPSG:32650"):
    xy = np.asarray(xy, dtype=float)
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)


@pytest.fixture(scope="module")
def scatter():
    rng = np.random.default_rng(7)
    return _projected(rng.uniform(0, 10_000, (60, 2)))


@pytest.fixture(scope="module")
def collinear():
    # six villages along one parallel: in UTM the "line" bows by ~27 m over 45 km, so its hull
    # has a positive area and used to give R = 40-57, "dispersed, p = 0"
    lon = np.linspace(115.0, 115.5, 6)
    g = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, np.full(6, 34.8)), crs=4326)
    return to_projected(g)


# ------------------------------------------------------------------------------------------
# The classes: which error is whose
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls, kind", [
    pytest.param(CRSError, OptionError, id="crs-is-option"),
    pytest.param(GridTooLargeError, OptionError, id="grid-too-large-is-option"),
    pytest.param(TooFewPointsError, NotApplicableError, id="too-few-points-not-applicable"),
    pytest.param(ZeroAreaError, NotApplicableError, id="zero-area-not-applicable"),
    pytest.param(DegenerateDataError, NotApplicableError, id="degenerate-not-applicable"),
    pytest.param(IslandError, NotApplicableError, id="islands-not-applicable"),
])
def test_error_classes_are_classified(cls, kind):
    assert issubclass(cls, kind) and issubclass(cls, TaobaoGeoError)
    assert issubclass(cls, ValueError)  # callers catching ValueError keep working
    other = NotApplicableError if kind is OptionError else OptionError
    assert not issubclass(cls, other)


def test_not_applicable_subclasses_keep_their_old_bases():
    # tests and callers that caught GeometryTypeError / InputDataError still do
    assert issubclass(ZeroAreaError, GeometryTypeError)
    assert issubclass(DegenerateDataError, InputDataError)
    assert not issubclass(AlignmentError, NotApplicableError)


# ------------------------------------------------------------------------------------------
# Through the CLI: exit code non-zero, one line, the message names the option and the fix
# ------------------------------------------------------------------------------------------
CLI_CASES = [
    pytest.param(["analyze", LAYER, "--bandwidth", "-5", "--no-maps"], 1,
                 "`bandwidth` must be a number > 0; got -5.0", id="analyze-bandwidth-negative"),
    pytest.param(["analyze", LAYER, "--nni-area", "-5", "--no-maps"], 1,
                 "`nni_area` must be a number > 0; got -5.0", id="analyze-nni-area-negative"),
    pytest.param(["analyze", LAYER, "--unit-size", "-5", "--no-maps"], 1,
                 "`unit_size_m` must be a number > 0", id="analyze-unit-size-negative"),
    pytest.param(["analyze", LAYER, "--cell-size", "0", "--no-maps"], 1,
                 "`cell_size` must be a number > 0", id="analyze-cell-size-zero"),
    pytest.param(["nni", LAYER, "--test", "mc", "--permutations", "0", "--duplicates", "merge"],
                 1, "`nsim` must be a whole number > 0; got 0", id="nni-mc-zero-permutations"),
    pytest.param(["nni", LAYER, "--area-km2", "0.000001", "--duplicates", "merge"], 1,
                 r"explicit study area 1e-06 km² is smaller than the convex hull of the points "
                 r"\(574.8\d* km²\)", id="nni-area-below-hull"),
    pytest.param(["nni", LAYER, "--area-km2", "-5", "--duplicates", "merge"], 1,
                 "`area` must be a positive number of m²", id="nni-area-negative"),
    pytest.param(["kde", LAYER, "--kernel", "gaussian", "--bandwidth", "1"], 1,
                 r"gaussian kernel with bandwidth 1 m .* narrower than the .* m cells.*"
                 r"Use bandwidth >= ", id="kde-gaussian-bandwidth-below-cell"),
    pytest.param(["kde", LAYER, "--bandwidth", "0.001"], 1,
                 r"quartic kernel with bandwidth 0.001 m .* Use bandwidth >= [\d.]+ m",
                 id="kde-bandwidth-tiny"),
    pytest.param(["kde", LAYER, "--bandwidth", "-5"], 1,
                 "bandwidth must be a positive number of metres", id="kde-bandwidth-negative"),
    pytest.param(["nni", LAYER, "--to-crs", "EPSG:99999", "--duplicates", "merge"], 1,
                 r"`to_crs` \(--to-crs\) 'EPSG:99999' is not a CRS .* EPSG:32650",
                 id="nni-to-crs-unknown"),
    pytest.param(["nni", LAYER, "--to-crs", "EPSG:4326", "--duplicates", "merge"], 1,
                 "needs a projected CRS in metres; got geographic", id="nni-to-crs-geographic"),
]


@pytest.mark.parametrize("argv, code, message", CLI_CASES)
def test_cli_option_error_is_one_line(argv, code, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as ei:
        climain.main([*argv, "--out", str(tmp_path / "out")])
    assert ei.value.code == code
    err = capsys.readouterr().err.strip()
    assert "\n" not in err, err  # one line, no traceback
    assert err.startswith("Error: ")
    assert "Traceback" not in err and "numpy" not in err
    import re

    assert re.search(message, err), err
    # stopped before writing results: nothing "skipped" was recorded
    assert not (tmp_path / "out" / "summary.json").exists()


@pytest.mark.parametrize("argv, message", [
    pytest.param(["nni", LAYER, "--rng", "-1"], "Invalid value for '--rng': -1 is not in the range",
                 id="rng-negative"),
    pytest.param(["compare", "--county", "曹县", "--years", "abc"],
                 "Invalid value for --years: 'abc' is not a comma-separated list of years",
                 id="compare-years-abc"),
    pytest.param(["analyze", LAYER, "--permutations", "-3"], "Invalid value for '--permutations'",
                 id="analyze-permutations-negative"),
])
def test_cli_usage_errors_name_the_option(argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as ei:
        climain.main([*argv, "--out", str(tmp_path / "out")])
    assert ei.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err and "SeedSequence" not in err and "int()" not in err


# ------------------------------------------------------------------------------------------
# Through the API
# ------------------------------------------------------------------------------------------
def test_nni_mc_needs_simulations(scatter):
    with pytest.raises(OptionError, match=r"`nsim` must be a whole number > 0; got 0"):
        nearest_neighbour_index(scatter, test="mc", nsim=0, rng=1)


@pytest.mark.parametrize("area, message", [
    pytest.param(-5.0, "`area` must be a positive number of m²; got -5.0", id="negative"),
    pytest.param(0.0, "`area` must be a positive number of m²; got 0.0", id="zero"),
    pytest.param(math.nan, "`area` must be a positive number of m²; got nan", id="nan"),
    pytest.param(1.0, r"explicit study area 1e-06 km² is smaller than the convex hull of the "
                      r"points \(\d", id="below-hull"),
    pytest.param("circle", r"`area` must be one of", id="unknown-method"),
])
def test_nni_bad_area_is_option_error(scatter, area, message):
    with pytest.raises(OptionError, match=message):
        nearest_neighbour_index(scatter, area=area)


def test_nni_area_at_least_the_hull_is_accepted(scatter):
    from taobao_geo.windows import _convex_hull

    from taobao_geo._validate import point_coords

    hull = _convex_hull(point_coords(scatter.geometry)).area
    res = nearest_neighbour_index(scatter, area=hull * 1.5)
    # closed form: R = mean NN distance / (0.5 / sqrt(n / A))
    from taobao_geo.nni import nn_distances

    d = nn_distances(point_coords(scatter.geometry)).mean()
    assert res.R == pytest.approx(d / (0.5 / math.sqrt(60 / (hull * 1.5))), rel=1e-12)


@pytest.mark.parametrize("area", [None, "mbr", "bbox", "hull"])
def test_nni_collinear_points_are_not_applicable(collinear, area):
    with pytest.raises(NotApplicableError, match="the points are collinear; the extent .* has "
                       "zero area .* Pass --area-km2 or a boundary") as ei:
        nearest_neighbour_index(collinear, area=area)
    assert isinstance(ei.value, ZeroAreaError)


def test_nni_exactly_collinear_and_coincident_points():
    line = _projected([[0, 0], [100, 0], [300, 0], [700, 0], [900, 0], [1500, 0]])
    with pytest.raises(ZeroAreaError, match="points are collinear"):
        nearest_neighbour_index(line)
    same = _projected([[5, 5]] * 4)
    with pytest.raises(DegenerateDataError, match="all 4 points are at the same location"):
        nearest_neighbour_index(same, duplicates="keep")


def test_nni_collinear_with_explicit_area_still_works(collinear):
    res = nearest_neighbour_index(collinear, area=1e9)
    assert res.area_method == "explicit" and 0 < res.R < 5


@pytest.mark.parametrize("kernel", ["gaussian", "quartic", "epanechnikov", "triangular",
                                    "uniform"])
@pytest.mark.parametrize("ratio", [1.0, 1.5, 3.0], ids=["sd-1-cell", "sd-1.5-cells",
                                                         "sd-3-cells"])
def test_kde_mass_on_grid_equals_n_whenever_a_surface_is_returned(scatter, kernel, ratio):
    # closed form: every kernel integrates to 1, so sum(density per km²) x cell area = n (the
    # cells tile the extent, so their area is dx * dy, not the requested size squared). The
    # uniform kernel (a disc with a jump at its rim) is averaged over the cells it cuts. The
    # kinked Epanechnikov and triangular kernels sampled at cell centres at sigma_K = 1 cell
    # keep one point's mass only within 2.5-3.5 % (depending on where it falls in its cell);
    # over 60 points that averages to a few 1e-3, hence 5e-3 there.
    cs = 100.0
    h = ratio * cs / get_kernel(kernel).sd
    res = kde(scatter, kernel=kernel, bandwidth=h, cell_size=cs, method="exact")
    total = np.nansum(res.density) / 1e6 * res.cell_area_m2
    tol = 5e-3 if kernel in ("epanechnikov", "triangular") and ratio == 1.0 else 1e-3
    assert total == pytest.approx(60, rel=tol)
    assert res.mass_on_grid == pytest.approx(1.0, abs=tol)


@pytest.mark.parametrize("kernel, h, cell", [
    pytest.param("gaussian", 1.0, None, id="gaussian-1m-auto-cells"),
    pytest.param("quartic", 0.001, None, id="quartic-1mm-auto-cells"),
    pytest.param("gaussian", 90.0, 100.0, id="gaussian-just-below-cell"),
    pytest.param("quartic", 250.0, 100.0, id="quartic-sd-below-cell"),
])
def test_kde_bandwidth_below_the_cell_is_option_error(scatter, kernel, h, cell):
    sd = get_kernel(kernel).sd
    with pytest.raises(OptionError, match=r"narrower than the [\d.,]+ m cells, so the grid "
                       r"cannot hold its mass\. Use bandwidth >= [\d.,]+ m, or cell_size <= ") as ei:
        kde(scatter, kernel=kernel, bandwidth=h, cell_size=cell)
    if cell is not None:
        assert f"bandwidth >= {cell / sd:,.4g} m" in str(ei.value)


@pytest.mark.parametrize("kw, message", [
    pytest.param({"bandwidth": -5.0}, "bandwidth must be a positive number of metres",
                 id="bandwidth-negative"),
    pytest.param({"bandwidth": "wide"}, "`bandwidth` must be one of", id="bandwidth-unknown-rule"),
    pytest.param({"bandwidth": 500.0, "cell_size": -1.0}, "cell_size must be a positive number",
                 id="cell-size-negative"),
    pytest.param({"kernel": "box"}, "`kernel` must be one of", id="kernel-unknown"),
    pytest.param({"extent": (10, 0, 0, 10)}, "extent must be", id="extent-inverted"),
])
def test_kde_bad_arguments_are_option_errors(scatter, kw, message):
    with pytest.raises(OptionError, match=message):
        kde(scatter, **kw)


@pytest.mark.parametrize("rng, message", [
    pytest.param(-1, r"`rng` \(--rng\) must be a seed >= 0; got -1", id="negative"),
    pytest.param("abc", "`rng` must be an int, a numpy.random.Generator or None", id="string"),
    pytest.param(True, "`rng` must be an int seed >= 0", id="bool"),
])
def test_bad_rng_is_option_error(rng, message):
    with pytest.raises(OptionError, match=message):
        ensure_rng(rng)


def test_bad_to_crs_is_option_error(scatter):
    with pytest.raises(OptionError, match=r"'not-a-crs' is not a CRS pyproj knows") as ei:
        to_projected(scatter.to_crs(4326), to_crs="not-a-crs")
    assert isinstance(ei.value, CRSError)


def test_check_helpers_raise_option_errors():
    with pytest.raises(OptionError, match="`f`: `x` must be one of"):
        check_choice("c", ("a", "b"), name="x", func="f")
    with pytest.raises(OptionError, match=r"`f`: `n` must be a whole number > 0; got 2.5\. fix"):
        check_positive(2.5, name="n", func="f", integer=True, hint="fix")
    assert check_positive(None, name="n", func="f", allow_none=True) is None


@pytest.mark.parametrize("kw, message", [
    pytest.param({"bandwidth": -5.0}, "`bandwidth` must be a number > 0", id="bandwidth"),
    pytest.param({"nni_area": -5.0}, "`nni_area` must be a number > 0", id="nni-area"),
    pytest.param({"unit_size_m": 0.0}, "`unit_size_m` must be a number > 0", id="unit-size"),
    pytest.param({"cell_size": -1.0}, "`cell_size` must be a number > 0", id="cell-size"),
    pytest.param({"permutations": -1}, "`permutations` must be a whole number > 0",
                 id="permutations"),
    pytest.param({"rng": -1}, r"`rng` \(--rng\) must be a seed >= 0", id="rng"),
    pytest.param({"units": "triangles"}, "`units` must be one of", id="units-kind"),
])
def test_analyze_option_errors_stop_the_run(scatter, tmp_path, kw, message):
    with pytest.raises(OptionError, match=message):
        analyze(scatter, out_dir=tmp_path, permutations=kw.pop("permutations", 9),
                envelope_simulations=9, progress=False, maps=False, on_error="record", **kw)
    assert not (tmp_path / "summary.json").exists()


# ------------------------------------------------------------------------------------------
# The runner's rule
# ------------------------------------------------------------------------------------------
def _raise(exc):
    def f():
        raise exc
    return f


def test_runner_skips_only_not_applicable():
    r = _Runner(on_error="record")
    assert r.run("nni", _raise(TooFewPointsError("needs at least 3 points; got 2."))) is None
    assert r.run("kde", _raise(ZeroAreaError("the extent has zero area"))) is None
    assert [(s.name, s.status) for s in r.records] == [("nni", "skipped"), ("kde", "skipped")]
    assert r.records[0].reason == "TooFewPointsError: needs at least 3 points; got 2."
    assert "ZeroAreaError: the extent has zero area" == r.records[1].reason


@pytest.mark.parametrize("exc", [
    pytest.param(OptionError("`kde`: bandwidth must be a positive number"), id="option"),
    pytest.param(CRSError("needs a projected CRS"), id="crs"),
    pytest.param(InputDataError("bad rows 3, 4"), id="input-data"),
    pytest.param(TaobaoGeoError("plain"), id="base-class"),
])
@pytest.mark.parametrize("on_error", ["raise", "record"])
def test_runner_stops_on_other_package_errors(exc, on_error):
    r = _Runner(on_error=on_error)
    with pytest.raises(type(exc), match=str(exc)) as ei:
        r.run("kde", _raise(exc))
    assert "analyze step 'kde'" in " ".join(ei.value.__notes__)
    assert not any(s.status == "skipped" for s in r.records)


def test_analyze_option_error_inside_a_step_stops(scatter, tmp_path, monkeypatch):
    import taobao_geo.pipeline as pl

    monkeypatch.setattr(pl, "_kde", lambda *a, **k: (_ for _ in ()).throw(
        OptionError("`kde`: a gaussian kernel with bandwidth 1 m is narrower than the cells")))
    with pytest.raises(OptionError, match="narrower than the cells"):
        analyze(scatter, out_dir=tmp_path, permutations=9, envelope_simulations=9, rng=1,
                progress=False, maps=False, on_error="record")


def test_analyze_collinear_points_skip_nni_with_reason(collinear, tmp_path):
    res = analyze(collinear.to_crs(4326), out_dir=tmp_path, permutations=9,
                  envelope_simulations=9, rng=1, progress=False, maps=False)
    nni = res.step("nni")
    assert isinstance(nni, StepRecord) and nni.status == "skipped"
    assert nni.reason.startswith("ZeroAreaError: ") and "points are collinear" in nni.reason
    assert "nni" not in res.results


# ------------------------------------------------------------------------------------------
# Argument checks of ripley, local, autocorrelation, centrography: the package's own classes
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lattice():
    import shapely

    rng = np.random.default_rng(3)

    cells = [shapely.box(i, j, i + 1, j + 1) for j in range(5) for i in range(5)]
    gdf = gpd.GeoDataFrame({"count": rng.poisson(4, 25).astype(float)}, geometry=cells,
                           crs="EPSG:32650")
    from taobao_geo.weights import build_graph

    return gdf, build_graph(gdf, kind="queen")


@pytest.mark.parametrize("call, message", [
    pytest.param(lambda g, w: __import__("taobao_geo.local", fromlist=["x"]).local_moran(
        g, column="count", weights=w, alpha=1.5), r"`alpha` must be in \(0, 1\); got 1.5",
        id="lisa-alpha"),
    pytest.param(lambda g, w: __import__("taobao_geo.local", fromlist=["x"]).local_moran(
        g, column="count", weights=w, permutations=-1), "`permutations` must be >= 0; got -1",
        id="lisa-permutations"),
    pytest.param(lambda g, w: __import__("taobao_geo.autocorrelation", fromlist=["x"]).moran(
        g, column="count", weights=w, permutations=-5), "`permutations` must be >= 0; got -5",
        id="moran-permutations"),
    pytest.param(lambda g, w: __import__("taobao_geo.autocorrelation", fromlist=["x"]).moran(
        g, column="count", weights=w, alternative="up"), "`alternative` must be one of",
        id="moran-alternative"),
])
def test_autocorrelation_bad_arguments_are_option_errors(lattice, call, message):
    g, w = lattice
    with pytest.raises(OptionError, match=message):
        call(g, w)


def test_zero_variance_is_not_applicable(lattice):
    from taobao_geo.autocorrelation import moran

    g, w = lattice
    flat = g.assign(count=2.0)
    with pytest.raises(NotApplicableError, match="has the same value .2. in all 25 units") as ei:
        moran(flat, column="count", weights=w, permutations=0)
    assert isinstance(ei.value, InputDataError)


@pytest.mark.parametrize("kw, message", [
    pytest.param({"nsim": -1}, r"`nsim` must be a whole number >= 0", id="nsim-negative"),
    pytest.param({"nsim": 9, "nrank": 0}, r"`nrank` >= 1", id="nrank-zero"),
    pytest.param({"rmax": -10.0}, "`rmax` must be a positive distance", id="rmax-negative"),
    pytest.param({"nsim": 9, "nrank": 8}, "nrank = 8 is too large for nsim = 9",
                 id="nrank-too-large"),
])
def test_ripley_bad_arguments_are_option_errors(scatter, kw, message):
    from taobao_geo.ripley import l_function

    with pytest.raises(OptionError, match=message):
        l_function(scatter, rng=1, **kw)


def test_centrography_coincident_points_not_applicable():
    from taobao_geo.centrography import centrography

    with pytest.raises(DegenerateDataError, match="all 5 .weighted. points are at the same"):
        centrography(_projected([[3, 3]] * 5))
    with pytest.raises(OptionError, match="`n_std` must be positive; got 0"):
        centrography(_projected([[0, 0], [1, 0], [0, 1]]), n_std=0)


def test_analyze_tiny_unit_size_stops_not_skipped(scatter, tmp_path):
    # --unit-size 5 used to be a "skipped" units step with exit 0: the grid is the caller's
    # choice, so its error (GridTooLargeError, an OptionError) stops the run
    with pytest.raises(OptionError, match="size"):
        analyze(scatter, out_dir=tmp_path, unit_size_m=1.0, permutations=9,
                envelope_simulations=9, rng=1, progress=False, maps=False, on_error="record")
