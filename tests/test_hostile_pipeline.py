"""Hostile options for the pipeline: each is refused up front with its own message (issue 11)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

from taobao_geo import OptionError
from taobao_geo.cli import main as climain
from taobao_geo.pipeline import AnalysisOptions, compute


@pytest.fixture(scope="module")
def villages():
    pts = [Point(115.4 + 0.01 * i, 34.7 + 0.007 * (i % 5)) for i in range(40)]
    return gpd.GeoDataFrame({"year": [2016] * 40}, geometry=pts, crs=4326)


@pytest.mark.parametrize("kwargs,message", [
    ({"bandwidth": -5.0}, "`bandwidth` must be"),
    ({"nni_area": 0.0}, "`nni_area` must be"),
    ({"cell_size": -1.0}, "`cell_size` must be"),
    ({"unit_size_m": 0.0}, "`unit_size_m` must be"),
    ({"permutations": -1}, "`permutations` must be"),
    ({"nsim": -3}, "`nsim` must be"),
    ({"nsim": 2.5}, "`nsim` must be"),
    ({"envelope_simulations": -2}, "`envelope_simulations` must be"),
    ({"on_error": "ignore"}, "on_error"),
    ({"value": "villages"}, "value"),
], ids=lambda v: next(iter(v)) if isinstance(v, dict) else "")
def test_options_check_themselves(kwargs, message):
    with pytest.raises(OptionError, match=message):
        AnalysisOptions(**kwargs)


def test_compute_refuses_an_unknown_step(villages):
    with pytest.raises(OptionError, match=r"unknown step\(s\) \['hotspot'\]"):
        compute(villages, steps=("hotspot",))


def test_map_units_boundary_without_a_boundary(tmp_path):
    res = CliRunner().invoke(climain.cli, ["map", "caoxian_villages_simulated", "--layers", "hotspots",
                                           "--units", "boundary", "--out", str(tmp_path)])
    assert res.exit_code != 0 and "--units boundary needs --boundary" in res.output
