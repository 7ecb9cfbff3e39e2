"""The analyze pipeline: one folder of outputs, every choice logged, same seed -> same numbers.

Small synthetic inputs (a clustered pattern in a county-sized square near Heze, three years) keep
this fast; the statistics themselves are tested against references in their own modules.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from taobao_geo import CRSError, GeometryTypeError
from taobao_geo.pipeline import AnalysisResult, analyze

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def boundary():
    return gpd.GeoDataFrame({"name": ["square"]}, geometry=[box(115.4, 34.6, 115.8, 35.0)],
                            crs=4326)


@pytest.fixture(scope="module")
def villages():
    rng = np.random.default_rng(7)
    rows = []
    centres = [(115.5, 34.7), (115.7, 34.9)]
    for year, n in ((2014, 10), (2015, 25), (2016, 40)):
        for i in range(n):
            cx, cy = centres[i % 2]
            rows.append({"year": year, "village": f"v{year}_{i}",
                         "geometry": Point(cx + rng.normal(0, 0.02), cy + rng.normal(0, 0.02))})
    return gpd.GeoDataFrame(rows, crs=4326)


def _numbers(path):
    data = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    for s in data["steps"].values():
        s.pop("seconds", None)
    return data


@pytest.fixture(scope="module")
def run(villages, boundary, tmp_path_factory):
    out = tmp_path_factory.mktemp("analyze")
    res = analyze(villages, boundary=boundary, out_dir=out, permutations=19,
                  envelope_simulations=9, rng=3, progress=False, maps=False, on_error="record")
    return res, out


def test_writes_one_folder_with_log_of_choices(run):
    res, out = run
    assert isinstance(res, AnalysisResult)
    for f in ("summary.json", "choices.json", "log.txt", "tables/steps.csv"):
        assert (out / f).exists(), f
    choices = json.loads((out / "choices.json").read_text(encoding="utf-8"))
    assert choices["seed"] == 3
    assert choices["permutations"] == 19
    assert choices["crs"]["name"] == "EPSG:32650"  # UTM 50N for a county-sized square at 115.6° E
    assert "boundary" in choices["crs"]["reason"]
    assert choices["year"]["cross_section"] == 2016
    assert choices["year"]["years_present"] == [2014, 2015, 2016]
    assert choices["nni"]["area"] == "boundary"
    log = (out / "log.txt").read_text(encoding="utf-8")
    assert "EPSG:32650" in log and "permutations: 19" in log
    assert res.n == 40 and res.year == 2016
    names = [s.name for s in res.steps]
    assert names == ["prepare", "nni", "ripley", "kde", "units", "weights", "moran", "lisa",
                     "gistar", "centrography", "trends", "maps"]
    for s in res.steps:
        assert s.status in ("ok", "skipped", "failed")
        if s.status != "ok":
            assert s.reason, f"step {s.name} skipped without a reason"
    assert "Analysis of 40 points (2016)" in res.summary()
    assert len(res.to_frame()) == len(res.steps)


def test_same_seed_same_numbers(villages, boundary, tmp_path, run):
    _, out1 = run
    analyze(villages, boundary=boundary, out_dir=tmp_path, permutations=19,
            envelope_simulations=9, rng=3, progress=False, maps=False, on_error="record")
    a, b = _numbers(out1), _numbers(tmp_path)
    assert a == b
    for csv in sorted((out1 / "tables").glob("*.csv")):
        if csv.name == "steps.csv":
            continue
        assert csv.read_text(encoding="utf-8") == (tmp_path / "tables" / csv.name).read_text(
            encoding="utf-8"), csv.name


def test_single_year_records_why_no_trends(villages, tmp_path):
    one = villages[villages.year == 2016]
    res = analyze(one, out_dir=tmp_path, permutations=9, envelope_simulations=9, rng=1,
                  progress=False, maps=False, on_error="record")
    trends = res.step("trends")
    assert trends.status == "skipped"
    assert "only one year (2016)" in trends.reason
    assert res.choices["nni"]["area"] == "mbr"  # ArcGIS's default without a boundary


def test_no_year_column(villages, tmp_path):
    res = analyze(villages.drop(columns="year"), out_dir=tmp_path, permutations=9,
                  envelope_simulations=9, rng=1, progress=False, maps=False, on_error="record")
    assert res.year is None and res.n == 75
    assert "no year column" in res.step("trends").reason


def test_bad_inputs(villages, boundary, tmp_path):
    with pytest.raises(GeometryTypeError, match="Point"):
        analyze(boundary, out_dir=tmp_path)
    with pytest.raises(GeometryTypeError, match="Polygon"):
        analyze(villages, boundary=villages, out_dir=tmp_path)
    with pytest.raises(CRSError, match="no CRS"):
        analyze(villages.set_crs(None, allow_override=True), out_dir=tmp_path, maps=False)
    with pytest.raises(ValueError, match="year=2010"):
        analyze(villages, year=2010, out_dir=tmp_path, maps=False)
    with pytest.raises(ValueError, match="unit_id='code' is not a column"):
        analyze(villages, boundary=boundary, unit_id="code", out_dir=tmp_path)
    far = villages.copy()
    far.loc[far.index[:2], "geometry"] = [Point(117, 36), Point(118, 36)]
    with pytest.raises(ValueError, match=r"2 of 75 point\(s\) fall outside the boundary: rows"):
        analyze(far, boundary=boundary, out_dir=tmp_path, maps=False)
    with pytest.raises(ValueError, match="on_error"):
        analyze(villages, out_dir=tmp_path, on_error="ignore")


def test_two_points_degrade_with_reasons(villages, boundary, tmp_path):
    two = villages[villages.year == 2016].iloc[:2]
    res = analyze(two, boundary=boundary, out_dir=tmp_path, permutations=9,
                  envelope_simulations=9, rng=1, progress=False, maps=False)
    nni = res.step("nni")
    assert nni.status == "skipped"
    assert "TooFewPointsError" in nni.reason and "3" in nni.reason
    assert res.step("prepare").status == "ok"
    summary = (tmp_path / "summary.json").read_text(encoding="utf-8")
    assert "TooFewPointsError" in summary


def test_real_errors_are_raised_not_hidden(villages, boundary, tmp_path, monkeypatch):
    import taobao_geo.pipeline as pl

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pl, "_kde", boom)
    with pytest.raises(RuntimeError, match="disk on fire") as info:
        analyze(villages, boundary=boundary, out_dir=tmp_path, permutations=9,
                envelope_simulations=9, rng=1, progress=False, maps=False)
    assert "analyze step 'kde'" in " ".join(info.value.__notes__)
    res = analyze(villages, boundary=boundary, out_dir=tmp_path, permutations=9,
                  envelope_simulations=9, rng=1, progress=False, maps=False, on_error="record")
    assert res.step("kde").status == "failed" and "disk on fire" in res.step("kde").reason


def test_steps_that_ran_report_their_module_results(run):
    res, out = run
    # every step whose module is installed ran on this clustered pattern
    for name in ("nni", "ripley", "kde", "units", "weights", "moran", "lisa", "gistar",
                 "centrography", "trends"):
        assert res.step(name).status == "ok", (name, res.step(name).reason)
    assert res.results["nni"].R < 1  # two tight clusters
    assert res.choices["kde"]["bandwidth_rule"] == "arcgis"
    assert res.choices["kde"]["bandwidth_m"] > 0
    assert res.choices["units"]["kind"] == "hex"  # one boundary polygon -> hex grid
    import geopandas as gpd
    import pyogrio

    layers = {name for name, _ in pyogrio.list_layers(out / "layers" / "analysis.gpkg")}
    assert {"points", "boundary", "units_lisa", "units_gistar", "centres_by_year"} <= layers
    assert list(res.results["trends"].to_frame()["year"]) == [2014, 2015, 2016]
    pts = gpd.read_file(out / "layers" / "analysis.gpkg", layer="points")
    assert len(pts) == 40 and pts.crs.to_epsg() == 4326


def test_unit_and_weight_options_are_recorded(villages, boundary, tmp_path):
    res = analyze(villages, boundary=boundary, out_dir=tmp_path, units="fishnet",
                  unit_size_m=5000, weights="knn", k=4, value="density_km2", permutations=9,
                  envelope_simulations=0, rng=1, progress=False, maps=False)
    u = res.choices["units"]
    assert u["kind"] == "fishnet" and u["size_m"] == 5000
    assert res.choices["weights"]["kind"] == "knn" and res.choices["weights"]["k"] == 4
    assert res.choices["autocorrelation"]["variable"] == "density_km2"
    assert res.results["moran"].column == "density_km2"
    # a 40 km x 44 km square in 5 km cells: 9 x 9 = 81 cells (clipped); those with less than
    # half of their area inside are left out and counted
    assert u["n_units"] == len(res.results["lisa"].gdf)
    assert u["n_units"] + u["n_units_dropped_outside"] >= 72
    assert (res.results["lisa"].gdf["area_km2"] >= 0.5 * 25 - 1e-6).all()


def test_polygon_units_keep_adcode_ids(villages, tmp_path):
    from shapely.geometry import box

    # 6 x 6 boxes: at least 30 units, the minimum for Moran / LISA / Gi*
    step = 0.4 / 6
    codes = [f"3717{i:02d}" for i in range(36)]
    cells = gpd.GeoDataFrame(
        {"adcode": codes},
        geometry=[box(115.4 + (i % 6) * step, 34.6 + (i // 6) * step,
                      115.4 + (i % 6 + 1) * step, 34.6 + (i // 6 + 1) * step) for i in range(36)],
        crs=4326)
    res = analyze(villages, boundary=cells, out_dir=tmp_path, permutations=9,
                  envelope_simulations=0, rng=1, progress=False, maps=False, on_error="record")
    assert res.choices["units"]["kind"] == "polygons"
    assert res.choices["units"]["id"] == "adcode"
    assert list(res.results["lisa"].gdf.index) == codes


def test_nni_step_matches_clark_evans_by_hand(run, villages, boundary):
    from scipy.spatial import cKDTree

    res, _ = run
    pts = villages[villages.year == 2016].to_crs(32650)
    xy = np.column_stack([pts.geometry.x, pts.geometry.y])
    d, _ = cKDTree(xy).query(xy, k=2)
    area = boundary.to_crs(32650).geometry.area.iloc[0]
    nni = res.results["nni"]
    assert nni.area_m2 == pytest.approx(area, rel=1e-9)
    assert nni.R == pytest.approx(d[:, 1].mean() / (0.5 / np.sqrt(len(xy) / area)), rel=1e-9)
    # Monte Carlo with 19 simulations: the smallest two-sided p is 2/20
    assert nni.test == "mc" and nni.nsim == 19 and nni.p == pytest.approx(0.1)
