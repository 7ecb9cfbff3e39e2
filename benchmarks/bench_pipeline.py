"""End-to-end time of ``taobao_geo.pipeline.analyze``.

Two cases:

1. the shipped national layer, 2016 cross-section with trends 2014-2016 (1,311 villages in 2016,
   2,891 counties as units);
2. 100,000 simulated points (clustered around the real 2016 villages, Gaussian displacement of
   20 km, kept inside China's county polygons), counties as units.

Each prints the time of every step and the total. For the national case the autocorrelation
steps are also timed against the usual PySAL route (libpysal ``Queen`` + esda ``Moran``,
``Moran_Local``, ``G_Local``) in the same run, printed as a ratio. The other statistics are
compared with their usual tools (spatstat, pointpats, scipy) by the other ``bench_*.py``
scripts; here the question is how long the whole job takes and which step dominates.
``--quick``: 10,000 simulated points and 99 permutations.

Run: ``python benchmarks/bench_pipeline.py [--quick]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings

import geopandas as gpd
import numpy as np
import shapely

from taobao_geo import datasets
from taobao_geo.pipeline import analyze


def simulated_points(villages, counties, n: int, *, sigma_m: float = 20_000.0, seed: int = 1):
    """n points: a random 2016 village plus N(0, sigma) metres, kept inside the counties."""
    from taobao_geo.projection import CHINA_ALBERS

    rng = np.random.default_rng(seed)
    v = villages[villages["year"] == 2016].to_crs(CHINA_ALBERS)
    xy = shapely.get_coordinates(v.geometry.values)
    union = shapely.union_all(counties.to_crs(CHINA_ALBERS).geometry.values)
    shapely.prepare(union)
    out = np.empty((0, 2))
    while len(out) < n:
        k = int((n - len(out)) * 1.3) + 100
        base = xy[rng.integers(0, len(xy), k)]
        cand = base + rng.normal(0.0, sigma_m, size=(k, 2))
        inside = shapely.contains_xy(union, cand[:, 0], cand[:, 1])
        out = np.vstack([out, cand[inside]])
    out = out[:n]
    g = gpd.GeoDataFrame({"simulated": np.ones(n, bool)},
                         geometry=gpd.points_from_xy(out[:, 0], out[:, 1]), crs=CHINA_ALBERS)
    g.attrs["dataset"] = {"name": f"benchmark_simulated_{n}", "simulated": True}
    return g.to_crs(4326)


_STEP_TIMES: dict[str, float] = {}


def run(label, points, counties, *, permutations, maps):
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = analyze(points, boundary=counties, out_dir=tmp, permutations=permutations,
                      envelope_simulations=min(99, permutations), rng=12345, maps=maps,
                      progress=False, on_error="record")
        total = time.perf_counter() - t0
    print(f"\n{label}: n = {res.n:,}, {permutations} permutations, total {total:.1f} s")
    _STEP_TIMES.clear()
    _STEP_TIMES.update({s.name: s.seconds for s in res.steps})
    for s in res.steps:
        share = s.seconds / total * 100 if total else 0.0
        extra = f"  ({s.reason[:80]})" if s.status != "ok" else ""
        print(f"  {s.name:<13} {s.status:<8} {s.seconds:7.2f} s  {share:5.1f} %{extra}")
    return total


def esda_baseline(villages, counties, *, permutations):
    """The usual PySAL route for the autocorrelation steps on the same 2,891 counties:
    libpysal Queen weights + esda Moran, Moran_Local and G_Local(star=True), 999 permutations.
    Includes numba's compilation, which every new process pays (as a CLI call would)."""
    import esda
    from libpysal.weights import Queen

    from taobao_geo.projection import CHINA_ALBERS

    v = villages[villages["year"] == 2016]
    cty = counties.to_crs(CHINA_ALBERS).reset_index(drop=True)
    y = cty["adcode"].map(v["county_code"].value_counts()).fillna(0).to_numpy(float)
    t0 = time.perf_counter()
    w = Queen.from_dataframe(cty, use_index=False, silence_warnings=True)
    w.transform = "r"
    esda.Moran(y, w, permutations=permutations)
    esda.Moran_Local(y, w, permutations=permutations, seed=12345)
    esda.G_Local(y, w, star=True, transform="B", permutations=permutations, seed=12345)
    return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10,000 simulated points, 99 permutations")
    ap.add_argument("--no-maps", action="store_true", help="skip the HTML maps")
    ap.add_argument("--no-baseline", action="store_true", help="skip the esda comparison")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", category=UserWarning)
    perms = 99 if args.quick else 999
    n_sim = 10_000 if args.quick else 100_000
    villages = datasets.load("taobao_villages")
    counties = datasets.load("china_counties")
    t_nat = run("National layer (2016, trends 2014-2016)", villages, counties,
                permutations=perms, maps=not args.no_maps)
    if not args.no_baseline:
        cold = esda_baseline(villages, counties, permutations=perms)  # pays numba compilation
        warm = esda_baseline(villages, counties, permutations=perms)  # esda at its best
        ours = sum(_STEP_TIMES.get(k, 0.0) for k in ("weights", "moran", "lisa", "gistar"))
        print(f"\nAutocorrelation steps on 2,891 counties (weights + Moran + LISA + Gi*, "
              f"{perms} permutations): taobao_geo {ours:.2f} s; libpysal/esda {cold:.2f} s in a "
              f"fresh process (numba compiles) -> {cold / max(ours, 1e-9):.1f}x, {warm:.2f} s "
              f"when warm -> {warm / max(ours, 1e-9):.1f}x")
    t0 = time.perf_counter()
    sim = simulated_points(villages, counties, n_sim)
    print(f"\n(simulating {n_sim:,} points took {time.perf_counter() - t0:.1f} s, not counted)")
    t_sim = run(f"{n_sim:,} simulated points", sim, counties, permutations=perms,
                maps=not args.no_maps)
    print(f"\nSummary: national {t_nat:.1f} s; {n_sim:,} simulated points {t_sim:.1f} s "
          f"(ratio {t_sim / t_nat:.1f}x for {n_sim / 1311:.0f}x the points).")


if __name__ == "__main__":
    main()
