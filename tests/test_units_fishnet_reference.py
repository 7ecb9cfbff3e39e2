"""Fishnet clipped to a rectangular boundary against R spdep (tests/reference/fishnet_moran.R).

A 50 x 30 km rectangle with 2.5 km cells has 20 x 12 = 240 cells. Cells of the next row and
column only touch the boundary (a LineString / Point after clipping) and used to be kept as
zero-count units (273 units, Moran's I 0.349 against spdep's 0.391 in the issue's data).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from taobao_geo.autocorrelation import moran
from taobao_geo.units import aggregate
from taobao_geo.weights import build_graph

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def cells():
    xy = pd.read_csv(REF / "fishnet_moran_points.csv")
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy["x"], xy["y"]), crs="EPSG:32650")
    bnd = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 50_000, 30_000)], crs="EPSG:32650")
    return aggregate(pts, "fishnet", size_m=2500, boundary=bnd)


def test_fishnet_has_the_240_cells_of_the_rectangle(cells):
    ref = pd.read_csv(REF / "fishnet_moran_cells.csv")
    assert len(cells) == len(ref) == 240
    got = cells.set_index(["grid_row", "grid_col"])["count"].sort_index()
    want = ref.set_index(["row", "col"])["count"].sort_index()
    np.testing.assert_array_equal(got.index.to_numpy(), want.index.to_numpy())
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    np.testing.assert_allclose(cells["area_km2"], 6.25)


@pytest.mark.parametrize("kind", ["queen", "rook"])
def test_fishnet_moran_matches_spdep(cells, kind):
    ref = pd.read_csv(REF / "fishnet_moran.csv").set_index(["weights", "assumption"])
    m = moran(cells, column="count", weights=build_graph(cells, kind=kind), permutations=0)
    rz, nz = ref.loc[(kind, "randomisation")], ref.loc[(kind, "normality")]
    assert m.n == rz["n_cells"] == 240
    np.testing.assert_allclose(m.value, rz["I"], rtol=1e-10)
    np.testing.assert_allclose(m.expected, rz["expectation"], rtol=1e-12)
    np.testing.assert_allclose(m.variance_rand, rz["variance"], rtol=1e-9)
    np.testing.assert_allclose(m.variance_norm, nz["variance"], rtol=1e-9)
    np.testing.assert_allclose(m.z_rand, rz["z"], rtol=1e-9)
