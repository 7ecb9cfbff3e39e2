"""Spatial weights: neighbour sets against spdep (poly2nb, knearneigh, dnearneigh), the lattice
shortcut against libpysal's geometric contiguity, islands and CRS errors."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from libpysal.graph import Graph

from _autocorr_ref import REF, neighbour_sets, units
from taobao_geo import CRSError, GeometryTypeError
from taobao_geo._errors import IslandError
from taobao_geo.units import aggregate, fishnet, hex_grid
from taobao_geo.weights import SpatialWeights, auto_threshold, build_graph, lattice_graph


def _sets(sw: SpatialWeights) -> dict:
    adj = sw.graph.adjacency
    adj = adj[adj != 0]
    return {int(k): set(v.index.get_level_values(1).tolist()) for k, v in adj.groupby(level=0)}


@pytest.fixture(scope="module")
def columbus_polys():
    g = gpd.read_file(REF / "columbus.geojson")
    g.index = np.arange(1, len(g) + 1)
    return g


def _points(dataset, crs):
    u = units(dataset)
    return gpd.GeoDataFrame(u, geometry=gpd.points_from_xy(u["x"], u["y"]), crs=crs)


@pytest.mark.parametrize("kind", ["queen", "rook"])
def test_contiguity_matches_spdep_poly2nb(columbus_polys, kind):
    sw = build_graph(columbus_polys, kind=kind)
    assert sw.method == "libpysal Graph.build_contiguity"
    assert _sets(sw) == neighbour_sets("columbus", kind)


@pytest.mark.parametrize(("dataset", "crs", "k", "ref"), [
    ("columbus", "EPSG:3857", 4, "knn4"),
    ("nc", "EPSG:32119", 6, "knn6"),
])
def test_knn_matches_spdep_knearneigh(dataset, crs, k, ref):
    sw = build_graph(_points(dataset, crs), kind="knn", k=k)
    assert _sets(sw) == neighbour_sets(dataset, ref)
    assert sw.min_neighbours == sw.max_neighbours == k


@pytest.mark.parametrize(("dataset", "crs"), [("columbus", "EPSG:3857"), ("nc", "EPSG:32119")])
def test_auto_distance_band_matches_spdep_dnearneigh(dataset, crs):
    pts = _points(dataset, crs)
    sw = build_graph(pts, kind="distance")
    assert _sets(sw) == neighbour_sets(dataset, "dband")
    assert sw.min_neighbours >= 1 and not sw.islands
    assert "smallest band" in sw.threshold_rule
    # the automatic threshold is the largest nearest-neighbour distance
    xy = np.column_stack([pts.geometry.x, pts.geometry.y])
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    assert sw.threshold_m == pytest.approx(d.min(axis=1).max(), rel=1e-8)
    assert auto_threshold(xy) == pytest.approx(sw.threshold_m)


def test_idw_and_kernel_weights_values():
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 100, 300, 700], [0, 0, 0, 0]),
                           crs="EPSG:32650")
    sw = build_graph(pts, kind="idw", threshold=350, power=2, islands="nearest")
    adj = sw.graph.adjacency
    assert adj.loc[(0, 1)] == pytest.approx(100.0**-2)
    assert adj.loc[(1, 2)] == pytest.approx(200.0**-2)
    assert sw.threshold_rule == "given by the caller"
    # point 3 is 400 m from its nearest neighbour: an island at 350 m, linked with 400^-2
    assert sw.islands == (3,)
    assert adj.loc[(3, 2)] == pytest.approx(400.0**-2)
    kw = build_graph(pts, kind="kernel", kernel="triangular", threshold=500, islands="nearest")
    assert kw.graph.adjacency.loc[(0, 1)] == pytest.approx(1 - 100 / 500)
    assert kw.graph.adjacency.loc[(1, 2)] == pytest.approx(1 - 200 / 500)


def test_islands_raise_drop_nearest():
    xs = [0, 100, 200, 0, 100, 5000]
    ys = [0, 0, 0, 100, 100, 5000]
    pts = gpd.GeoDataFrame({"v": range(6)}, geometry=gpd.points_from_xy(xs, ys), crs="EPSG:32650",
                           index=list("abcdef"))
    with pytest.raises(IslandError, match=r"1 unit\(s\) have no neighbours.*'f'"):
        build_graph(pts, kind="distance", threshold=150)
    dropped = build_graph(pts, kind="distance", threshold=150, islands="drop")
    assert dropped.islands == ("f",) and dropped.dropped == ("f",)
    assert list(dropped.ids) == list("abcde")
    assert "dropped" in dropped.summary()
    near = build_graph(pts, kind="distance", threshold=150, islands="nearest")
    assert near.connected[0][0] == "f" and near.connected[0][1] == "e"
    assert near.connected[0][2] == pytest.approx(np.hypot(4900, 4900))
    adj = near.graph.adjacency
    assert adj.loc[("f", "e")] == 1 and adj.loc[("e", "f")] == 1  # symmetric link
    assert near.min_neighbours == 1


def test_geographic_crs_refused_for_distance_weights():
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([115, 115.1, 115.2], [35, 35.1, 35]),
                           crs="EPSG:4326")
    for kind in ("distance", "knn", "idw", "kernel"):
        with pytest.raises(CRSError, match="projected CRS"):
            build_graph(pts, kind=kind, k=1)


def test_bad_inputs():
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 1, 2], [0, 1, 0]), crs="EPSG:32650",
                           index=[1, 1, 2])
    with pytest.raises(GeometryTypeError, match="duplicated ids"):
        build_graph(pts, kind="knn", k=1)
    ok = pts.reset_index(drop=True)
    with pytest.raises(GeometryTypeError, match="Polygon"):
        build_graph(ok, kind="queen")
    with pytest.raises(ValueError, match="`k` must be between"):
        build_graph(ok, kind="knn", k=5)
    with pytest.raises(ValueError, match="kind"):
        build_graph(ok, kind="delaunay")


@pytest.mark.parametrize("shape", ["square", "hex"])
@pytest.mark.parametrize("kind", ["queen", "rook"])
def test_lattice_shortcut_equals_geometric_contiguity(shape, kind):
    extent = (0.0, 0.0, 10_000.0, 7_000.0)
    grid = fishnet(extent, 1000.0, crs="EPSG:32650") if shape == "square" else hex_grid(
        extent, 1000.0, crs="EPSG:32650")
    # remove some cells (as clipping to a boundary does) to test missing neighbours
    grid = grid[(grid.index % 7) != 3]
    fast = build_graph(grid, kind=kind)
    assert fast.method.startswith("lattice shortcut")
    slow = Graph.build_contiguity(grid.geometry, rook=(kind == "rook"))
    assert fast.graph.equals(slow)


def test_lattice_graph_counts_on_full_grid():
    r, c = np.divmod(np.arange(50 * 40), 40)
    g = lattice_graph(r, c, kind="queen")
    card = g.cardinalities
    assert card.min() == 3 and card.max() == 8
    assert g.n_edges == 2 * (4 * 50 * 40 - 3 * 50 - 3 * 40 + 2)  # 8-neighbour lattice edges
    g4 = lattice_graph(r, c, kind="rook")
    assert g4.n_edges == 2 * (2 * 50 * 40 - 50 - 40)


def test_grid_from_aggregate_uses_lattice_and_reports():
    rng = np.random.default_rng(3)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(rng.uniform(0, 5000, 200),
                                                       rng.uniform(0, 5000, 200)), crs=32650)
    boundary = gpd.GeoSeries([shapely.Point(2500, 2500).buffer(2400)], crs=32650)
    cells = aggregate(pts, "hex", size_m=500, boundary=boundary)
    sw = build_graph(cells, kind="queen")
    assert sw.method.startswith("lattice shortcut (hex")
    assert "No islands" in sw.summary()
    assert sw.to_frame()["n_neighbours"].max() == 6
