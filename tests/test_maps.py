"""Map construction tests on the rendered HTML (geopandas test_explore style: render + inspect).

What a browser does with the page is tested in test_maps_browser.py; here we check the content:
layers, legends, escaping, the GCJ-02 shift applied numerically on Amap tiles, offline inlining.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import Point, box

pytest.importorskip("folium")

from taobao_geo import maps  # noqa: E402
from taobao_geo._errors import CRSError, GeometryTypeError, InputDataError, TaobaoGeoError  # noqa: E402
from taobao_geo.coords import wgs84_to_gcj02  # noqa: E402
from taobao_geo.palettes import GI_BIN_COLOURS, LISA_COLOURS  # noqa: E402

XSS = '</script><img src=x onerror="window.__xss=1">'


def villages(n=50, seed=0, names=None):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "village": names if names is not None else [f"村{i}" for i in range(n)],
        "town": [f"镇{i % 7}" for i in range(n)],
        "county": [f"县{i % 3}" for i in range(n)],
        "year": rng.choice([2014, 2015, 2016], n),
        "products": "服装",
        "loc_prec": "town",
    })
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(rng.uniform(115.0, 116.0, n),
                                                            rng.uniform(34.5, 35.5, n)),
                            crs="EPSG:4326")


def grid_units(nx=6, ny=5):
    cells = [box(115 + 0.2 * i, 34.5 + 0.2 * j, 115.2 + 0.2 * i, 34.7 + 0.2 * j)
             for j in range(ny) for i in range(nx)]
    gdf = gpd.GeoDataFrame({"county": [f"县{k}" for k in range(len(cells))],
                            "count": np.arange(len(cells), dtype=float)},
                           geometry=cells, crs="EPSG:4326")
    return gdf


def point_block(page: str) -> dict:
    """The village data block written by explore_villages, decoded from the page."""
    start = page.index("tgMap.points(") + len("tgMap.points(")
    start = page.index(",", start) + 1
    data, _ = json.JSONDecoder().raw_decode(page[start:].lstrip())
    return data


def decode_xy(data) -> np.ndarray:
    xy = np.asarray(data["xy"], dtype=np.int64).reshape(-1, 2)
    return np.cumsum(xy, axis=0) / data["scale"]


def render(m) -> str:
    """Rendered page with JSON \\uXXXX escapes decoded, so text can be searched as written."""
    page = m.get_root().render()
    return re.sub(r"\\u([0-9a-fA-F]{4})",
                  lambda mm: chr(int(mm.group(1), 16)) if int(mm.group(1), 16) > 0x7f
                  else mm.group(0), page)


# ----------------------------------------------------------------------------- villages
def test_village_layer_has_layers_legend_controls():
    page = render(maps.explore_villages(villages()))
    assert "tgMap.points(" in page and "L.canvas(" in page   # one canvas layer, not N markers
    assert "L.circleMarker" in page and page.count("L.circleMarker(") == 1
    for control in ("L.control.layers", "L.control.scale", "L.control.fullscreen"):
        assert control in page
    assert '"Taobao villages"' in page                         # overlay name in layer control
    assert "Overlays in WGS 84" in page                        # datum stated on the map
    assert "Taobao villages by year" in page                   # legend (3 years -> by year)
    assert "2014 (n=" in page


def test_village_coordinates_round_trip_and_popups():
    g = villages(200)
    data = point_block(render(maps.explore_villages(g)))
    got = decode_xy(data)
    # rows are reordered for compact deltas; compare as sets of rounded pairs
    want = np.round(np.column_stack([g.geometry.x, g.geometry.y]), 5)
    assert sorted(map(tuple, np.round(got, 5))) == sorted(map(tuple, want))
    assert data["fields"] == ["village", "town", "county", "year", "products", "loc_prec"]
    assert data["labels"][-1] == "Location precision"
    # dictionary encoding of repeated values
    assert set(data["cols"]["town"]["u"]) == {f"镇{i}" for i in range(7)}


def test_title_is_escaped_in_document_title():
    page = maps.base_map(title="</title><script>x</script>").get_root().render()
    assert "<title>&lt;/title&gt;&lt;script&gt;x&lt;/script&gt;</title>" in page
    assert "<script>x</script>" not in page


def test_coarse_locations_are_flagged():
    g = villages(10)
    g.loc[[1, 4], "loc_prec"] = "county"
    page = render(maps.explore_villages(g))
    data = point_block(page)
    assert sum(data["coarse"]) == 2
    assert "hollow ring: located to county/city only (n=2)" in page
    assert "coarse" not in point_block(render(maps.explore_villages(villages(10))))


def test_village_names_are_escaped_in_page():
    g = villages(5, names=[XSS, "a&b", "<b>x</b>", "正常", "'q'"])
    page = render(maps.explore_villages(g))
    assert XSS not in page
    assert "<img src=x" not in page
    assert "\\u003c/script\\u003e\\u003cimg" in page
    data = point_block(page)
    assert XSS in data["cols"]["village"]["v"]     # the text itself is kept, only encoded


def test_ten_thousand_points_under_one_megabyte_offline():
    g = villages(10_000, seed=1)
    size = len(maps.to_html(maps.explore_villages(g), offline=True).encode("utf-8"))
    assert size < 1_000_000, size


def test_simulated_layer_is_marked_everywhere():
    g = villages(20)
    g["simulated"] = True
    page = render(maps.explore_villages(g))
    assert "SIMULATED DATA" in page                            # title badge
    assert "Taobao villages (SIMULATED)" in page              # layer name
    assert "Simulated locations, for demonstration only" in page  # legend note
    assert point_block(page)["banner"].startswith("SIMULATED")    # popup banner
    h = villages(20)
    h.attrs["dataset"] = {"simulated": True}
    assert point_block(render(maps.explore_villages(h)))["banner"]


def test_gcj02_shift_applied_on_amap_tiles():
    g = villages(100)
    m = maps.explore_villages(g, tiles="amap")
    page = render(m)
    assert maps.map_datum(m) == "gcj02"
    assert "GCJ-02" in page and "autonavi" in page
    got = decode_xy(point_block(page))
    lon, lat = wgs84_to_gcj02(g.geometry.x.to_numpy(), g.geometry.y.to_numpy())
    want = np.round(np.column_stack([lon, lat]), 5)
    assert sorted(map(tuple, np.round(got, 5))) == sorted(map(tuple, want))
    # and the shift is real (hundreds of metres), not a no-op
    wgs = np.round(np.column_stack([g.geometry.x, g.geometry.y]), 5)
    assert np.abs(np.sort(got[:, 0]) - np.sort(wgs[:, 0])).min() > 1e-3


def test_gcj02_shift_applied_to_polygons():
    units = grid_units()
    page = render(maps.explore_boundaries(units, tiles="amap"))
    coords = json.loads(re.search(r'"coordinates": (\[\[\[.*?\]\]\])', page).group(1))[0]
    ring = np.asarray(units.geometry.iloc[0].exterior.coords)
    gx, gy = wgs84_to_gcj02(ring[:, 0], ring[:, 1])
    np.testing.assert_allclose(np.asarray(coords), np.column_stack([gx, gy]), atol=6e-6)
    assert np.abs(np.asarray(coords) - ring).max() > 1e-3   # really shifted
    wgs = render(maps.explore_boundaries(units))
    coords = json.loads(re.search(r'"coordinates": (\[\[\[.*?\]\]\])', wgs).group(1))[0]
    np.testing.assert_allclose(np.asarray(coords), ring, atol=6e-6)


def test_projected_input_is_reprojected():
    g = villages(10).to_crs("EPSG:32650")
    data = point_block(render(maps.explore_villages(g)))
    assert 114.9 < decode_xy(data)[:, 0].min() < 116.1


# ----------------------------------------------------------------------------- errors
def test_errors():
    g = villages(5)
    with pytest.raises(CRSError, match="no CRS"):
        maps.explore_villages(g.set_crs(None, allow_override=True))
    with pytest.raises(GeometryTypeError, match="Point"):
        maps.explore_villages(grid_units())
    bad = g.copy()
    bad.loc[2, "geometry"] = None
    with pytest.raises(InputDataError, match="empty or missing geometry"):
        maps.explore_villages(bad)
    with pytest.raises(InputDataError, match="popup_fields"):
        maps.explore_villages(g, popup_fields=["nope"])
    with pytest.raises(TaobaoGeoError, match="mix GCJ-02"):
        maps.base_map(tiles=["amap", "osm"])
    with pytest.raises(TaobaoGeoError, match="unknown tiles"):
        maps.base_map(tiles="google")
    with pytest.raises(TaobaoGeoError, match="key"):
        maps.base_map(tiles="tianditu")
    with pytest.raises(InputDataError, match="not in the layer"):
        maps.explore_choropleth(grid_units(), "nope")


def test_tianditu_key_is_used():
    page = render(maps.base_map(tiles="tianditu", tile_key="ABC123"))
    assert "tk=ABC123" in page and "cva_w" in page


# ----------------------------------------------------------------------------- offline
def test_offline_inlines_every_asset_including_plugins():
    m = maps.explore_villages(villages())
    page = maps.to_html(m, offline=True)
    assert not re.search(r'<script[^>]+src="https?:', page)
    assert not re.search(r'<link[^>]+href="https?:', page)
    assert "inlined from https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in page
    assert "Control.FullScreen" in page
    cdn = maps.to_html(m, offline=False)
    assert '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js">' in cdn
    # lean page: no jQuery / Bootstrap / Font Awesome
    assert "jquery" not in cdn.lower() and "bootstrap" not in cdn.lower()


def test_offline_refuses_unknown_assets():
    from branca.element import JavascriptLink

    m = maps.base_map()
    m.get_root().header.add_child(JavascriptLink("https://example.org/unknown.js"))
    with pytest.raises(TaobaoGeoError, match="unknown.js"):
        maps.to_html(m, offline=True)


def test_save_map_and_dual_map(tmp_path):
    dm = maps.dual_map(titles=("2014", "2016"))
    g = villages(30)
    maps.explore_villages(g[g.year == 2014], m=dm.m1)
    maps.explore_villages(g[g.year != 2014], m=dm.m2)
    path = maps.save_map(dm, tmp_path / "sub" / "dual.html")
    page = path.read_text(encoding="utf-8")
    assert "L.Map.Sync" in page or ".sync(" in page
    assert page.count("tgMap.points(") == 2
    assert not re.search(r'<script[^>]+src="https?:', page)
    with pytest.raises(TaobaoGeoError, match="one panel"):
        maps.explore_villages(g, m=dm)


# ----------------------------------------------------------------------------- analysis layers
def fake_kde():
    rows, cols, cell = 40, 60, 2000.0
    yy, xx = np.mgrid[0:rows, 0:cols]
    dens = np.exp(-((xx - 30) ** 2 + (yy - 20) ** 2) / 50.0)
    return SimpleNamespace(density=dens, transform=Affine(cell, 0, 400_000, 0, -cell, 3_900_000),
                           crs="EPSG:32650", units="per_km2", bandwidth_m=12_000.0,
                           bandwidth_rule="arcgis", kernel="quartic", cell_size_m=cell)


def test_density_overlay_and_legend():
    kde = fake_kde()
    cores = gpd.GeoDataFrame({"area_km2": [12.5], "n_villages": [40], "counties": ["曹县"]},
                             geometry=[box(440_000, 3_840_000, 470_000, 3_870_000)],
                             crs="EPSG:32650")
    m = maps.explore_density(kde, cores=cores)
    page = render(m)
    assert "L.imageOverlay" in page and "data:image/png;base64," in page
    assert "Kernel density: Villages per km²" in page
    assert "quartic kernel" in page and "bandwidth 12.0 km (arcgis)" in page
    assert "Core zones" in page
    assert "HeatMap" not in page and "heatLayer" not in page


def test_density_bounds_shift_on_amap():
    kde = fake_kde()
    wgs = render(maps.explore_density(kde))
    gcj = render(maps.explore_density(kde, tiles="amap"))
    bw = json.loads(re.search(r"\[\[[-\d.]+, [-\d.]+\], \[[-\d.]+, [-\d.]+\]\]",
                              wgs.split("L.imageOverlay")[1]).group(0))
    bg = json.loads(re.search(r"\[\[[-\d.]+, [-\d.]+\], \[[-\d.]+, [-\d.]+\]\]",
                              gcj.split("L.imageOverlay")[1]).group(0))
    lon, lat = wgs84_to_gcj02(np.array([bw[0][1]]), np.array([bw[0][0]]))
    assert bg[0][1] == pytest.approx(float(lon[0]), abs=1e-9)
    assert bg[0][0] == pytest.approx(float(lat[0]), abs=1e-9)


def test_lisa_and_hotspot_legends():
    units = grid_units()
    labels = ["HH", "LL", "HL", "LH", "ns"] * 6
    lisa = SimpleNamespace(gdf=units.assign(cluster=labels, p_sim=0.01), alpha=0.05,
                           correction="fdr", permutations=999)
    page = render(maps.explore_lisa(lisa))
    for code, colour in LISA_COLOURS.items():
        assert (colour in page) == (code != "island"), code   # island class only when present
    assert "High-High (n=6)" in page and "Not significant (n=6)" in page
    assert "significance level 0.05" in page and "correction: FDR (Benjamini-Hochberg)" in page
    gi = SimpleNamespace(gdf=units.assign(gi_bin=[-3, -2, -1, 0, 1, 2, 3, 0, 0, 0] * 3,
                                          gi_z=0.0, gi_p=0.5),
                         alpha=0.1, correction=None, permutations=None)
    page = render(maps.explore_hotspots(gi))
    for b, colour in GI_BIN_COLOURS.items():
        assert colour in page, b
    assert "Hot spot - 99% confidence (n=3)" in page and "correction: none" in page
    with pytest.raises(InputDataError, match="-3..3"):
        maps.explore_hotspots(SimpleNamespace(gdf=units.assign(gi_bin=5)))


def test_choropleth_classes():
    units = grid_units()
    page = render(maps.explore_choropleth(units, "count", scheme="quantiles", k=4))
    assert "Classes: Quantiles (mapclassify), k=4" in page
    assert page.count("(n=") >= 4


def test_centres_and_trajectory():
    pts = [Point(450_000, 3_850_000), Point(452_000, 3_851_000), Point(455_000, 3_853_000)]
    ell = [p.buffer(5000) for p in pts]
    trends = gpd.GeoDataFrame({"year": [2014, 2015, 2016], "n": [10, 20, 40], "ellipse": ell},
                              geometry=pts, crs="EPSG:32650")
    page = render(maps.explore_centres(trends))
    assert "Centre trajectory" in page and "Standard deviational ellipses" in page
    assert "Mean centres by year" in page


def test_layers_stack_on_one_map():
    m = maps.explore_villages(villages())
    maps.explore_boundaries(grid_units(), m=m, name="Counties")
    maps.explore_choropleth(grid_units(), "count", m=m)
    page = render(m)
    # one layer control, rendered after every layer
    assert page.count("L.control.layers") == 1
    assert page.index("L.control.layers") > page.rindex("tgMap.featurePopup")


# ----------------------------------------------------------------------------- real results
@pytest.fixture(scope="module")
def cao_results():
    """Real result objects from the statistics modules on the shipped simulated Cao County layer."""
    from taobao_geo import datasets, density, local, projection, units, weights

    pts = datasets.load("caoxian_villages_simulated")
    boundary = datasets.load("caoxian_boundary")
    proj = projection.to_projected(pts)
    bproj = boundary.to_crs(proj.crs)
    kde = density.kde(proj, boundary=bproj)
    cells = units.aggregate(proj, "fishnet", size_m=5000, boundary=bproj)
    w = weights.build_graph(cells, kind="queen", islands="drop")
    lisa = local.local_moran(cells, column="count", weights=w, permutations=99, rng=1)
    gi = local.getis_ord(cells, column="count", weights=w)
    return SimpleNamespace(pts=pts, boundary=boundary, kde=kde, cells=cells, lisa=lisa, gi=gi)


def test_real_results_render(cao_results):
    r = cao_results
    m = maps.explore_villages(r.pts)
    maps.explore_boundaries(r.boundary, m=m, name="Cao County")
    maps.explore_density(r.kde, m=m, cores=r.kde.cores(), contours=None)
    maps.explore_lisa(r.lisa, m=m)
    maps.explore_hotspots(r.gi, m=m)
    page = render(m)
    assert "SIMULATED DATA" in page
    assert "Villages per km²" in page and f"({r.kde.bandwidth_rule})" in page
    assert f"significance level {r.lisa.alpha:g}" in page
    assert "analytic z-scores" in page                   # Gi* default inference stated
    n_hh = int((r.lisa.gdf["cluster"] == "HH").sum())
    assert f"High-High (n={n_hh})" in page
    n_hot99 = int((r.gi.gdf["gi_bin"] == 3).sum())
    assert f"Hot spot - 99% confidence (n={n_hot99})" in page
    assert len(maps.to_html(m).encode()) < 2_000_000


def test_carto_key_appended_and_default_needs_no_key():
    page = render(maps.base_map(tiles="carto", tile_key="K9"))
    assert "light_all/{z}/{x}/{y}{r}.png?key=K9" in page
    assert "tile.openstreetmap.org" in render(maps.base_map())


def test_density_resampled_exactly_onto_gcj02_grid():
    """A linear ramp (value = WGS 84 Web Mercator x) survives the GCJ-02 resampling exactly:
    each output pixel must hold the x of the WGS 84 point that GCJ-02 maps onto it."""
    from pyproj import Transformer

    from taobao_geo.coords import gcj02_to_wgs84

    to_m = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    to_ll = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    (x0, x1), (y0, y1) = to_m.transform([115.0, 116.0], [34.5, 35.5])
    h, w = 120, 100
    px = (x1 - x0) / w
    img = np.tile(x0 + (np.arange(w) + 0.5) * px, (h, 1))
    (lw, le), (ls, ln) = to_ll.transform([x0, x1], [y0, y1])
    out, (gw, gs, ge, gn) = maps._warp_to_gcj02(img, (x0, y0, x1, y1), (lw, ls, le, ln))
    (gx0, gx1), (gy0, gy1) = to_m.transform([gw, ge], [gs, gn])
    i, j = 60, 50                                    # an interior pixel, far from the corners
    cx = gx0 + (j + 0.5) * (gx1 - gx0) / w
    cy = gy1 - (i + 0.5) * (gy1 - gy0) / h
    lon_g, lat_g = to_ll.transform(cx, cy)
    lon_w, lat_w = gcj02_to_wgs84(np.array([lon_g]), np.array([lat_g]))
    want_x, _ = to_m.transform(lon_w[0], lat_w[0])
    assert out[i, j] == pytest.approx(want_x, abs=1e-3)   # metres
    # a constant shift taken at the corner would be off by tens of metres here
    corner_shift = gx0 - x0
    assert abs((cx - corner_shift) - want_x) > 5


def test_real_centre_trends_render():
    from taobao_geo import centrography, datasets, projection

    pts = datasets.load("taobao_villages")
    trends = centrography.centre_trends(projection.to_projected(pts), by="year", nni=False,
                                        duplicates="merge")
    m = maps.explore_centres(trends, tiles="amap")
    page = render(m)
    assert "Mean centres by year" in page and "Centre trajectory" in page
    assert "Standard deviational ellipses" in page and '"major_m"' in page
    # the centre drawn for 2016 is the GCJ-02 shift of the computed WGS 84 centre
    c = trends.centres_gdf().to_crs(4326)
    c16 = c[c["year"] == 2016].geometry.iloc[0]
    gx, gy = wgs84_to_gcj02(np.array([c16.x]), np.array([c16.y]))
    assert f"[{round(float(gx[0]), 5)}, {round(float(gy[0]), 5)}]" in page


def test_notebook_display_is_self_contained():
    m = maps.explore_villages(villages(5))
    out = m._repr_html_()
    assert out.startswith("<iframe srcdoc=") and "inlined from https://cdn.jsdelivr.net" in out
    assert "&lt;script src=&quot;https:" not in out
    assert maps.dual_map()._repr_html_().startswith("<iframe srcdoc=")


def test_user_icon_markers_bring_their_assets_back():
    import folium

    lean = maps.to_html(maps.base_map(), offline=False)
    assert "awesome-markers" not in lean
    m = maps.base_map()
    folium.Marker([35, 115], icon=folium.Icon(color="red", icon="info-sign")).add_to(m)
    page = maps.to_html(m, offline=False)
    assert "leaflet.awesome-markers.js" in page and "bootstrap" in page
    assert "inlined from https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers" in (
        maps.to_html(m, offline=True))


def test_inputs_are_not_modified_and_odd_frames_work():
    g = villages(30).rename_geometry("pt")
    g.index = [f"id{i}" for i in range(30)][::-1]          # str, reversed index
    before = g.copy()
    units = grid_units()
    u_before = units.copy()
    lisa = SimpleNamespace(gdf=units.assign(cluster="ns"), alpha=0.05, correction=None)
    m = maps.explore_villages(g, tiles="amap")
    maps.explore_lisa(lisa, m=m)
    maps.explore_choropleth(units, "count", m=m)
    pd.testing.assert_frame_equal(g, before)
    pd.testing.assert_frame_equal(units, u_before)
    assert decode_xy(point_block(render(m))).shape == (30, 2)
