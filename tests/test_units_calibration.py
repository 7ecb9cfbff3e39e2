"""The pipeline's default aggregation finds no clusters in random data (issue "Trust" 5).

Over independent CSR patterns, with and without a boundary, the default units (hexagons clipped
to the window, cells mostly outside it left out, density where clipped areas differ) with the
default queen weights must reject "no autocorrelation" at alpha = 0.05 in about 5 % of runs, and
LISA / Gi* must flag about alpha of the units. Before the fix the default found Moran's I = 0.40
(z = 10) in CSR: hexagons half outside the data had low counts only because they were half empty.
"""

from __future__ import annotations

import inspect

import geopandas as gpd
import numpy as np
import pytest
import shapely

from taobao_geo import pipeline

pytestmark = pytest.mark.slow  # 2 x 24 patterns: about 30 s

ALPHA = 0.05
N_PATTERNS = 24
DEFAULTS = {k: v.default for k, v in inspect.signature(pipeline.analyze).parameters.items()}


def _csr(seed: int, *, boundary: bool):
    """n in [500, 2000] uniform points: in a disc (with boundary) or in a rectangle (without)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(500, 2001))
    if boundary:
        disc = shapely.Point(0, 0).buffer(25_000, quad_segs=32)
        xy = np.empty((0, 2))
        while len(xy) < n:
            c = rng.uniform(-25_000, 25_000, (2 * n, 2))
            xy = np.vstack([xy, c[shapely.contains_xy(disc, c[:, 0], c[:, 1])]])
        xy = xy[:n]
        bnd = gpd.GeoDataFrame(geometry=[disc], crs="EPSG:32650")
    else:
        xy = rng.uniform((0, 0), (60_000, 35_000), (n, 2))
        bnd = None
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32650")
    return pts, bnd


def _default_run(seed: int, *, boundary: bool):
    """The analyze steps 5-9 with analyze's own defaults (permutations lowered to 99)."""
    pts, bnd = _csr(seed, boundary=boundary)
    choices: dict = {}
    units = pipeline._units(pts, bnd, units=DEFAULTS["units"], unit_size_m=DEFAULTS["unit_size_m"],
                            unit_id=DEFAULTS["unit_id"], choices=choices)
    sw = pipeline._weights(units, kind=DEFAULTS["weights"], k=DEFAULTS["k"],
                           islands=DEFAULTS["islands"], choices=choices)
    value, _ = pipeline._unit_value(DEFAULTS["value"], choices["units"])
    rng = np.random.default_rng(seed)
    m = pipeline._moran(units, sw, value=value, permutations=99, rng=rng)
    lisa = pipeline._lisa(units, sw, value=value, permutations=99, alpha=ALPHA,
                          correction=DEFAULTS["correction"], rng=rng)
    gi = pipeline._gistar(units, sw, value=value, permutations=0, alpha=ALPHA,
                          correction=DEFAULTS["correction"], rng=rng)
    return m, lisa, gi, choices


@pytest.fixture(scope="module", params=[False, True], ids=["no-boundary", "disc-boundary"])
def runs(request):
    return [_default_run(1000 + s, boundary=request.param) for s in range(N_PATTERNS)]


def test_default_moran_rejects_csr_at_about_alpha(runs):
    # the analytic randomisation p (spdep's moran.test default) of the default two-sided test
    p = np.array([m.p_rand for m, *_ in runs])
    assert len(p) >= 20
    assert (p <= ALPHA).mean() <= 0.15, f"rejections {np.sort(p)[:6]}"
    # and no systematic positive autocorrelation: the mean z is near 0 (its sd is 1/sqrt(24))
    z = np.array([m.z_rand for m, *_ in runs])
    assert abs(z.mean()) < 0.8, f"mean z {z.mean():.2f}"


def test_default_local_statistics_flag_about_alpha_of_units(runs):
    lisa_share = np.mean([lisa.gdf["significant"].mean() for _, lisa, _, _ in runs])
    gi_share = np.mean([gi.gdf["significant"].mean() for *_, gi, _ in runs])
    assert lisa_share <= 2.5 * ALPHA, f"LISA flags {lisa_share:.3f} of units"
    assert gi_share <= 2.5 * ALPHA, f"Gi* flags {gi_share:.3f} of units"


def test_default_units_are_clipped_and_area_aware(runs):
    _, _, _, choices = runs[0]
    u = choices["units"]
    assert u["kind"] == "hex" and u["clipped_to_window"] and u["min_inside_share"] == 0.5
    assert 30 <= u["n_units"] <= 200
    assert u["areas_differ"]  # clipped edge cells are smaller: density is the value
    assert pipeline._unit_value("count", u)[0] == "density_km2"
