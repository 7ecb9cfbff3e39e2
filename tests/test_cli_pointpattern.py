"""`taobao-geo nni`, `ripley` and `centrography` on a file, end to end (CliRunner)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from taobao_geo.cli.main import cli

from _pp_reference import REF, pattern

UTM = "EPSG:32650"


@pytest.fixture(scope="module")
def redwood_files(tmp_path_factory):
    """redwood scaled to 10 km and placed in Cao County (UTM 50N), as a lon/lat CSV plus its
    window as GeoJSON. R is scale-free, so spatstat's value must come out of the CLI."""
    d = tmp_path_factory.mktemp("redwood")
    pts, win = pattern("redwood")
    off = np.array([350_000.0, 3_860_000.0])
    xy = np.column_stack([pts.geometry.x, pts.geometry.y]) * 10_000 + off
    lonlat = gpd.GeoSeries.from_xy(xy[:, 0], xy[:, 1], crs=UTM).to_crs(4326)
    years = np.where(np.arange(len(xy)) % 2 == 0, 2015, 2016)
    pd.DataFrame({"lon": lonlat.x, "lat": lonlat.y, "year": years}).to_csv(d / "pts.csv",
                                                                           index=False)
    w = shapely.affinity.affine_transform(win.iloc[0], [10_000, 0, 0, 10_000, *off])
    gpd.GeoDataFrame(geometry=[w], crs=UTM).to_file(d / "window.geojson", driver="GeoJSON")
    return d


def _run(args):
    res = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res


def test_nni_cli_reproduces_spatstat(redwood_files, tmp_path):
    d = redwood_files
    out = tmp_path / "nni"
    res = _run(["nni", str(d / "pts.csv"), "--x", "lon", "--y", "lat", "--year", "2015",
                "--boundary", str(d / "window.geojson"), "--to-crs", UTM, "--out", str(out),
                "--json"])
    payload = json.loads(res.output)
    assert payload["area_method"] == "boundary"
    # all 62 points: use the full file
    res = _run(["nni", str(d / "pts.csv"), "--x", "lon", "--y", "lat", "--boundary",
                str(d / "window.geojson"), "--to-crs", UTM, "--out", str(out), "--overwrite",
                "--json"])
    payload = json.loads(res.output)
    ref = pd.read_csv(REF / "pp_nni.csv").set_index("dataset").loc["redwood"]
    assert payload["R"] == pytest.approx(ref["R_naive"], rel=1e-6)
    assert payload["z"] == pytest.approx(ref["Z"], rel=1e-6)
    for f in ("nni.csv", "nni.png", "summary.json"):
        assert (out / f).stat().st_size > 0
    row = pd.read_csv(out / "nni.csv")
    assert row.loc[0, "area_method"] == "boundary" and row.loc[0, "n"] == 62


def test_nni_cli_errors_are_one_line(redwood_files, tmp_path):
    d = redwood_files
    res = CliRunner().invoke(cli, ["nni", str(d / "pts.csv"), "--x", "lon", "--y", "lat",
                                   "--to-crs", UTM, "--area-km2", "100", "--test", "mc",
                                   "--out", str(tmp_path)])
    assert res.exit_code != 0
    assert "explicit number" in str(res.exception) + res.output


def test_ripley_cli(redwood_files, tmp_path):
    d = redwood_files
    out = tmp_path / "rip"
    res = _run(["ripley", str(d / "pts.csv"), "--x", "lon", "--y", "lat", "--boundary",
                str(d / "window.geojson"), "--to-crs", UTM, "--permutations", "19",
                "--correction", "border", "--out", str(out), "--json"])
    payload = json.loads(res.output)
    assert payload["function"] == "L" and payload["nsim"] == 19
    tidy = pd.read_csv(out / "ripley.csv")
    assert {"r_m", "correction", "estimate", "theoretical", "lo", "hi"} <= set(tidy.columns)
    # spatstat's Kest border values, scaled: L is in metres, K in m^2
    K = pd.read_csv(REF / "pp_kest_redwood.csv")
    np.testing.assert_allclose(tidy["r_m"], K["r"] * 10_000, rtol=1e-6)
    np.testing.assert_allclose(tidy["estimate"], np.sqrt(K["border"] / np.pi) * 10_000,
                               rtol=1e-5, atol=1e-6)
    md = pd.read_csv(out / "multi_distance.csv")
    assert len(md) == 10 and "observed_L" in md
    assert (out / "ripley.png").stat().st_size > 1000


def test_centrography_cli_trends_and_single(redwood_files, tmp_path):
    d = redwood_files
    out = tmp_path / "cen"
    _run(["centrography", str(d / "pts.csv"), "--x", "lon", "--y", "lat", "--to-crs", UTM,
          "--boundary", str(d / "window.geojson"), "--out", str(out)])
    t = pd.read_csv(out / "trends.csv")
    assert list(t["year"]) == [2015, 2016] and "nni_R" in t and "shift_bearing_deg" in t
    layers = gpd.list_layers(out / "centrography.gpkg")["name"].tolist()
    assert {"centres", "ellipses", "trajectory"} <= set(layers)
    out1 = tmp_path / "cen1"
    res = _run(["centrography", str(d / "pts.csv"), "--x", "lon", "--y", "lat", "--to-crs",
                UTM, "--year", "2016", "--sde", "crimestat", "--out", str(out1), "--json"])
    payload = json.loads(res.output)
    assert payload["sde"] == "crimestat" and payload["n"] == 31
    assert (out1 / "centrography.png").stat().st_size > 1000


def test_nni_on_shared_town_seats_says_which_flag_to_use():
    # the shipped 2016 layer has 823 villages sharing 215 town-seat points
    res = CliRunner().invoke(cli, ["nni", "taobao_villages", "--year", "2016"])
    assert res.exit_code != 0  # main() turns the exception into one line; the group raises it
    assert "823 row(s) share a location" in str(res.exception)
    assert "--duplicates merge" in str(res.exception)
