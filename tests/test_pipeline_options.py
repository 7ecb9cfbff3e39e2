"""The analyze pipeline's options object, its table of steps and compute() (issue 11)."""

from __future__ import annotations

import dataclasses
import inspect

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from taobao_geo import pipeline
from taobao_geo.pipeline import AnalysisOptions, analyze, compute

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def boundary():
    return gpd.GeoDataFrame({"name": ["square"]}, geometry=[box(115.4, 34.6, 115.8, 35.0)],
                            crs=4326)


@pytest.fixture(scope="module")
def villages():
    rng = np.random.default_rng(11)
    pts = [Point(115.45 + 0.3 * rng.random(), 34.65 + 0.3 * rng.random()) for _ in range(60)]
    return gpd.GeoDataFrame({"year": [2015] * 20 + [2016] * 40}, geometry=pts, crs=4326)


def test_options_are_the_keywords_of_analyze():
    params = inspect.signature(analyze).parameters
    options = [n for n, p in params.items()
               if p.kind is p.KEYWORD_ONLY and n not in ("out_dir", "boundary", "overwrite")]
    fields = [f.name for f in dataclasses.fields(AnalysisOptions)]
    assert options == fields
    for f in dataclasses.fields(AnalysisOptions):  # same defaults in both places
        assert params[f.name].default == f.default or params[f.name].default is f.default


def test_options_are_frozen():
    opts = AnalysisOptions()
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.permutations = 9  # type: ignore[misc]


def test_nsim_defaults_to_permutations():
    assert AnalysisOptions(permutations=49).mc_simulations == 49
    assert AnalysisOptions(permutations=49, nsim=0).mc_simulations == 0


def test_nsim_sets_the_nni_simulations_only(villages, boundary, tmp_path):
    res = analyze(villages, boundary=boundary, out_dir=tmp_path / "a", permutations=19, nsim=0,
                  envelope_simulations=0, maps=False, progress=False)
    assert res.choices["nsim"] == 0 and res.choices["nni"]["nsim"] == 0
    assert res.choices["permutations"] == 19
    assert res.choices["autocorrelation"]["permutations"] == 19
    assert res.results["nni"].to_dict()["test"] == "z"  # 0 simulations: the analytic test
    default = compute(villages, boundary=boundary, permutations=19, steps=("nni",))
    assert default.choices["nsim"] == 19 and default.choices["nni"]["nsim"] == 19


def test_compute_writes_nothing_and_matches_analyze(villages, boundary, tmp_path):
    full = analyze(villages, boundary=boundary, out_dir=tmp_path / "a", permutations=19,
                   envelope_simulations=0, maps=False, progress=False, units="fishnet",
                   rng=5)
    part = compute(villages, boundary=boundary, permutations=19, envelope_simulations=0,
                   units="fishnet", rng=5, steps=("lisa",))
    assert part.out_dir is None and part.files == {}
    assert "output folder" not in part.summary()
    status = {s.name: s.status for s in part.steps}
    assert status["lisa"] == "ok" and status["units"] == "ok" and status["weights"] == "ok"
    assert {s.reason for s in part.steps if s.name in ("nni", "kde", "gistar", "maps")} == {
        "not requested"}
    a, b = full.results["lisa"].to_frame(), part.results["lisa"].to_frame()
    assert list(a["cluster"].astype(str)) == list(b["cluster"].astype(str))
    assert a["p_sim"].to_numpy() == pytest.approx(b["p_sim"].to_numpy())


def test_the_steps_run_in_the_documented_order():
    assert pipeline._STEP_ORDER == ("prepare", "nni", "ripley", "kde", "units", "weights",
                                    "moran", "lisa", "gistar", "centrography", "trends", "maps")
    assert all(callable(func) for _, func in pipeline._STEPS)


def test_cli_analyze_nsim(tmp_path):
    import json

    from click.testing import CliRunner

    from taobao_geo.cli import main as climain

    res = CliRunner().invoke(climain.cli, [
        "analyze", "caoxian_villages_simulated", "--boundary", "caoxian_boundary",
        "--permutations", "19", "--nsim", "0", "--envelopes", "0", "--no-maps",
        "--out", str(tmp_path / "a")], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    choices = json.loads((tmp_path / "a" / "choices.json").read_text(encoding="utf-8"))
    assert choices["nsim"] == 0 and choices["permutations"] == 19
    assert choices["nsim_reason"] == "given by the caller"
    bad = CliRunner().invoke(climain.cli, ["analyze", "caoxian_villages_simulated", "--nsim",
                                           "-1", "--out", str(tmp_path / "b")])
    assert bad.exit_code != 0 and "--nsim" in bad.output
