"""Speed of taobao_geo.io.read_villages and taobao_geo.coords, as ratios to the usual tools.

* read_villages (detection + every check + report) vs pandas.read_csv + geopandas.points_from_xy
  (no checks at all) on the same GBK CSV;
* coords.gcj02_to_wgs84 (vectorised, iterated exact inverse) vs a per-point loop of the standard
  scalar algorithm (as in coordTransform_py, one-step inverse), the way it is usually applied.

Usage: python benchmarks/bench_io.py [n_rows]
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from taobao_geo import coords
from taobao_geo.io import read_villages

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000


def timeit(fn, repeat=3):
    best = math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def scalar_gcj02_to_wgs84(lng, lat):
    """The usual per-point implementation (standard formulas, one-step inverse)."""
    a, ee, pi = 6378245.0, 0.00669342162296594323, math.pi
    x, y = lng - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
            + (20.0 * math.sin(y * pi) + 40.0 * math.sin(y / 3.0 * pi)) * 2.0 / 3.0
            + (160.0 * math.sin(y / 12.0 * pi) + 320 * math.sin(y * pi / 30.0)) * 2.0 / 3.0)
    dlng = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
            + (20.0 * math.sin(x * pi) + 40.0 * math.sin(x / 3.0 * pi)) * 2.0 / 3.0
            + (150.0 * math.sin(x / 12.0 * pi) + 300.0 * math.sin(x / 30.0 * pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * pi
    magic = 1 - ee * math.sin(radlat) ** 2
    sq = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((a * (1 - ee)) / (magic * sq) * pi)
    dlng = (dlng * 180.0) / (a / sq * math.cos(radlat) * pi)
    return lng * 2 - (lng + dlng), lat * 2 - (lat + dlat)


def main():
    rng = np.random.default_rng(0)
    lon = rng.uniform(100, 120, N)
    lat = rng.uniform(25, 40, N)
    df = pd.DataFrame({"省份": "山东", "县": "曹县", "乡镇": [f"镇{i % 50}" for i in range(N)],
                       "村名": [f"村{i}" for i in range(N)], "经度": lon.round(6),
                       "纬度": lat.round(6)})
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "v.csv"
        df.to_csv(path, index=False, encoding="gbk")

        def ours():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                read_villages(path, check_china=False)

        def usual():
            t = pd.read_csv(path, encoding="gbk")
            gpd.GeoDataFrame(t, geometry=gpd.points_from_xy(t["经度"], t["纬度"]), crs=4326)

        t_ours, t_usual = timeit(ours), timeit(usual)
        print(f"read {N} rows: read_villages {t_ours:.3f} s, pandas+points_from_xy {t_usual:.3f} s "
              f"(ratio {t_ours / t_usual:.1f}x; ours detects, checks and reports every row)")
        t_china = timeit(lambda: read_villages(path, check_china=True, on_invalid="drop"), repeat=1)
        print(f"  with the China polygon check: {t_china:.3f} s")

    t_vec = timeit(lambda: coords.gcj02_to_wgs84(lon, lat))
    t_loop = timeit(lambda: [scalar_gcj02_to_wgs84(a, b) for a, b in zip(lon, lat)])
    print(f"GCJ-02 -> WGS 84, {N} points: vectorised exact {t_vec:.4f} s, per-point loop "
          f"(one-step) {t_loop:.4f} s (speed-up {t_loop / t_vec:.1f}x)")


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        main()
