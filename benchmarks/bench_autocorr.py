"""Speed and memory of taobao_geo's weights, Local Moran and Gi* against libpysal/esda.

Run:  python benchmarks/bench_autocorr.py            (500 × 500 grid = 250,000 units)
      python benchmarks/bench_autocorr.py --quick    (100 × 100 grid, a few seconds)

Every measurement runs in a fresh subprocess, so that peak memory (ru_maxrss) belongs to one
method only; the import-only peak of the same interpreter is printed as the baseline. Timings
are reported as ratios against the usual tool measured in the same run:

* weights: libpysal ``lat2W`` and ``Graph.build_contiguity`` vs our lattice shortcut
  (``build_graph`` on a fishnet from ``taobao_geo.units``);
* Local Moran, 999 permutations: esda ``Moran_Local(keep_simulations=False)`` (its best
  configuration) vs ``taobao_geo.local.local_moran``;
* Gi*, 999 permutations: esda ``G_Local(star=True, transform="B", keep_simulations=False)`` vs
  ``taobao_geo.local.getis_ord(inference="permutation")``;
* cold start: ``taobao-geo lisa`` on about 2,500 grid units in a fresh process, end to end
  (read, project, aggregate, weights, 999 permutations, GeoPackage + CSV).

esda uses numba when it is installed (it is not a taobao_geo dependency); whether it was
available is printed, because without numba esda's permutation loop runs in Python.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

PY = sys.executable

SETUP = """
import json, resource, time, numpy as np, pandas as pd
import libpysal.graph  # imported before timing in every case (its import takes ~0.7 s)
N = {n}
rng = np.random.default_rng(0)
r, c = np.divmod(np.arange(N * N), N)
# a smooth trend plus noise: realistic mix of clusters and non-significant units
y = rng.poisson(2 + 2 * np.sin(r / 15) * np.cos(c / 20) + 2).astype(float)
"""

CASES = {
    "baseline_imports": """
import esda, libpysal, geopandas
from libpysal.graph import Graph
import taobao_geo.local, taobao_geo.units, taobao_geo.weights
t = time.perf_counter()
""",
    "weights_ours_lattice": """
from taobao_geo.units import fishnet
from taobao_geo.weights import build_graph
grid = fishnet((0, 0, N * 100 - 1, N * 100 - 1), 100.0, crs="EPSG:32650")
t = time.perf_counter()
sw = build_graph(grid, kind="queen")
g = sw.graph  # include the libpysal Graph construction
""",
    "weights_libpysal_lat2W": """
from libpysal.weights import lat2W
t = time.perf_counter()
w = lat2W(N, N, rook=False)
""",
    "weights_libpysal_build_contiguity": """
from libpysal.graph import Graph
from taobao_geo.units import fishnet
grid = fishnet((0, 0, N * 100 - 1, N * 100 - 1), 100.0, crs="EPSG:32650")
t = time.perf_counter()
g = Graph.build_contiguity(grid.geometry, rook=False)
""",
    "lisa_ours": """
from taobao_geo.weights import lattice_graph
from taobao_geo.local import local_moran
g = lattice_graph(r, c, kind="queen")
t = time.perf_counter()
res = local_moran(pd.Series(y), weights=g, permutations=999, rng=1, progress=False)
""",
    "lisa_esda": """
import esda
from taobao_geo.weights import lattice_graph
g = lattice_graph(r, c, kind="queen").transform("r")
t = time.perf_counter()
res = esda.Moran_Local(y, g, permutations=999, keep_simulations=False, seed=1, n_jobs=1)
""",
    "gistar_ours": """
from taobao_geo.weights import lattice_graph
from taobao_geo.local import getis_ord
g = lattice_graph(r, c, kind="queen")
t = time.perf_counter()
res = getis_ord(pd.Series(y), weights=g, permutations=999, inference="permutation", rng=1,
                progress=False)
""",
    "gistar_esda": """
import esda
from taobao_geo.weights import lattice_graph
g = lattice_graph(r, c, kind="queen")
t = time.perf_counter()
res = esda.G_Local(y, g, transform="B", star=True, permutations=999, keep_simulations=False,
                   seed=1, n_jobs=1)
""",
}

FOOTER = """
el = time.perf_counter() - t
print(json.dumps({"seconds": el, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_case(name: str, n: int, timeout: float) -> dict:
    code = SETUP.format(n=n) + textwrap.dedent(CASES[name]) + FOOTER
    try:
        out = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=timeout,
                             check=True)
    except subprocess.TimeoutExpired:
        return {"seconds": float("nan"), "peak_mb": float("nan"), "note": f"timeout {timeout:.0f}s"}
    except subprocess.CalledProcessError as exc:
        return {"seconds": float("nan"), "peak_mb": float("nan"),
                "note": exc.stderr.strip().splitlines()[-1][:120]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def cold_start(tmp: Path, side: int = 50) -> dict:
    """`taobao-geo lisa` on side × side = 2,500 fishnet cells, timed from process start."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    # points around Cao County (115.5° E, 34.8° N) over about 50 km × 50 km
    n = 5000
    lon = 115.25 + rng.beta(2, 2, n) * 0.55
    lat = 34.6 + rng.beta(2, 3, n) * 0.45
    csv = tmp / "points.csv"
    pd.DataFrame({"lon": lon, "lat": lat}).to_csv(csv, index=False)
    exe = str(Path(PY).with_name("taobao-geo"))
    cmd = [exe, "lisa", str(csv), "--units", "fishnet", "--size", "1000", "--weights", "queen",
           "--out", str(tmp / "lisa"), "--json"]
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    el = time.perf_counter() - t
    n_units = json.loads(out.stdout)["n"]
    code = SETUP.format(n=side) + textwrap.dedent("""
        import esda
        from taobao_geo.weights import lattice_graph
        g = lattice_graph(r, c, kind="queen").transform("r")
        res = esda.Moran_Local(y, g, permutations=999, keep_simulations=False, seed=1, n_jobs=1)
    """)
    t = time.perf_counter()
    subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True)
    el_esda = time.perf_counter() - t
    return {"ours_cli_seconds": el, "n_units": n_units, "esda_script_seconds": el_esda}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100 × 100 grid instead of 500 × 500.")
    ap.add_argument("--side", type=int, default=None, help="Grid side (units = side²).")
    ap.add_argument("--timeout", type=float, default=600.0, help="Seconds per measurement.")
    args = ap.parse_args(argv)
    side = args.side or (100 if args.quick else 500)
    try:
        import numba  # noqa: F401

        has_numba = True
    except ImportError:
        has_numba = False
    print(f"Grid {side} × {side} = {side * side:,} units; esda with numba: {has_numba}")
    res = {name: run_case(name, side, args.timeout) for name in CASES}
    base = res["baseline_imports"]["peak_mb"]
    print(f"\nBaseline peak memory after imports: {base:,.0f} MB\n")
    print(f"{'measurement':38s} {'seconds':>9s} {'peak MB':>9s}  note")
    for name, r in res.items():
        if name == "baseline_imports":
            continue
        print(f"{name:38s} {r['seconds']:9.2f} {r['peak_mb']:9.0f}  {r.get('note', '')}")

    def ratio(a, b):
        return res[a]["seconds"] / res[b]["seconds"]

    print("\nRatios (usual tool time / our time; > 1 means we are faster):")
    print(f"  weights: lat2W / ours                  {ratio('weights_libpysal_lat2W', 'weights_ours_lattice'):6.1f}×")
    print(f"  weights: Graph.build_contiguity / ours {ratio('weights_libpysal_build_contiguity', 'weights_ours_lattice'):6.1f}×")
    print(f"  Local Moran 999: esda / ours           {ratio('lisa_esda', 'lisa_ours'):6.1f}×")
    print(f"  Gi* 999: esda / ours                   {ratio('gistar_esda', 'gistar_ours'):6.1f}×")
    print("  peak memory (MB above import baseline): "
          f"LISA ours {res['lisa_ours']['peak_mb'] - base:,.0f} vs esda "
          f"{res['lisa_esda']['peak_mb'] - base:,.0f}; Gi* ours "
          f"{res['gistar_ours']['peak_mb'] - base:,.0f} vs esda {res['gistar_esda']['peak_mb'] - base:,.0f}")
    with tempfile.TemporaryDirectory() as tmp:
        cs = cold_start(Path(tmp))
    print(f"\nCold start: `taobao-geo lisa` on {cs['n_units']:,} grid units, fresh process, end to "
          f"end: {cs['ours_cli_seconds']:.2f} s; an esda Moran_Local script on 2,500 units in a "
          f"fresh process: {cs['esda_script_seconds']:.2f} s "
          f"(ratio {cs['esda_script_seconds'] / cs['ours_cli_seconds']:.1f}×).")


if __name__ == "__main__":
    main()
