"""CLI `taobao-geo moran`, `lisa` and `hotspots` on shipped layers (outputs and JSON)."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from taobao_geo.cli.main import cli

SRC = "caoxian_villages_simulated"


def _run(args):
    res = CliRunner().invoke(cli, args, catch_exceptions=True)
    return res


def test_lisa_fishnet_json_and_files(tmp_path):
    res = _run(["lisa", SRC, "--units", "fishnet", "--size", "3000", "--permutations", "199",
                "--out", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert payload["permutations"] == 199 and payload["seed"] == 12345
    assert payload["weights"]["method"].startswith("lattice shortcut")
    assert "UTM" in payload["crs_choice"]
    gdf = gpd.read_file(payload["outputs"]["gpkg"])
    csv = pd.read_csv(payload["outputs"]["csv"])
    assert len(gdf) == len(csv) == payload["n"]
    assert {"lisa_I", "p_sim", "quadrant", "cluster", "count"} <= set(csv.columns)
    assert csv["count"].sum() == payload["aggregation"]["n_points_counted"]


def test_hotspots_hex_fdr(tmp_path):
    res = _run(["hotspots", SRC, "--units", "hex", "--size", "3000", "--correction", "fdr",
                "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "Gi*" in res.output and "FDR" in res.output
    csv = pd.read_csv(tmp_path / "hotspots_units.csv")
    assert csv["gi_bin"].between(-3, 3).all()


def test_moran_incremental(tmp_path):
    res = _run(["moran", SRC, "--units", "fishnet", "--size", "3000", "--permutations", "99",
                "--incremental", "--out", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert payload["statistic"] == "Moran's I" and "geary" in payload and "general_g" in payload
    assert len(payload["incremental"]["table"]) == 10
    assert (tmp_path / "moran_global.csv").exists() and (tmp_path / "moran_incremental.csv").exists()


def test_bad_column_is_a_clear_error(tmp_path):
    res = _run(["lisa", SRC, "--units", "fishnet", "--size", "3000", "--column", "nope",
                "--out", str(tmp_path)])
    assert res.exit_code != 0
    assert "column 'nope' not found" in str(res.exception) + res.output


@pytest.mark.slow
def test_counties_year(tmp_path):
    res = _run(["moran", "taobao_villages", "--year", "2014", "--units", "counties",
                "--permutations", "0", "--out", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert payload["n"] > 2800 and payload["I"] > 0
