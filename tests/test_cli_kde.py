"""`taobao-geo kde`: GeoTIFF, core zones (GeoPackage + CSV), PNG, JSON summary, errors."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from taobao_geo.cli.main import cli


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_kde_on_shipped_layer_writes_all_outputs(tmp_path):
    rasterio = pytest.importorskip("rasterio")
    out = tmp_path / "kde"
    res = run("kde", "caoxian_villages_simulated", "--boundary", "caoxian_boundary",
              "--bandwidth", "2000", "--regions", "caoxian_towns", "--shares", "0.5,0.25",
              "--json", "--out", out)
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert payload["bandwidth_m"] == 2000.0 and payload["bandwidth_rule"] == "fixed"
    assert payload["kernel"] == "quartic" and payload["units"] == "per_km2"
    assert "UTM zone 50N" in payload["projection"]
    for name in ("kde.tif", "cores.gpkg", "cores.csv", "kde.png", "summary.json"):
        assert (out / name).stat().st_size > 0, name
    with rasterio.open(out / "kde.tif") as src:
        assert src.crs.to_epsg() == 32650
        assert (src.height, src.width) == (payload["nrows"], payload["ncols"])
    cores = gpd.read_file(out / "cores.gpkg")
    table = pd.read_csv(out / "cores.csv")
    assert len(cores) == len(table) == payload["n_cores"] > 0
    assert cores.crs.to_epsg() == 4326
    assert {"zone", "area_km2", "n_villages", "mass_share", "label"} <= set(table.columns)
    assert set(table["share"]) == {0.5, 0.25}


def test_kde_rule_and_human_output(tmp_path):
    res = run("kde", "caoxian_villages_simulated", "--bandwidth", "silverman", "--kernel",
              "gaussian", "--regions", "none", "--boundary", "caoxian_boundary",
              "--edge-correction", "diggle", "--out", tmp_path / "k")
    assert res.exit_code == 0, res.output
    assert "gaussian kernel" in res.output and "(silverman)" in res.output
    assert "Jones-Diggle" in res.output
    assert "projection: extent" in res.output


@pytest.mark.parametrize("args, message", [
    (["--bandwidth", "wide"], "neither a number of metres nor one of"),
    (["--shares", "0.5,2"], "each share must be between 0 and 1"),
])
def test_kde_bad_options(tmp_path, args, message):
    res = run("kde", "caoxian_villages_simulated", *args, "--out", tmp_path / "k")
    assert res.exit_code != 0
    assert message in res.output


def test_kde_negative_bandwidth_is_a_clear_error(tmp_path):
    res = run("kde", "caoxian_villages_simulated", "--bandwidth", "-100", "--regions", "none",
              "--out", tmp_path / "k")
    assert res.exit_code != 0
    assert "bandwidth must be a positive number of metres" in str(res.exception or res.output)
