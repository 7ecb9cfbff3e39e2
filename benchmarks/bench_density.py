"""Speed, memory and accuracy of taobao_geo.density, as ratios measured in the same run.

    python benchmarks/bench_density.py            # the issue's sizes
    python benchmarks/bench_density.py --quick    # small sizes for a shared machine
    python benchmarks/bench_density.py --full-scipy   # time gaussian_kde on every grid cell

1. Large grid: 1,000,000 points on a 2,000 x 2,000 grid (quartic, h = 20 cells), timed for
   the engine alone (coordinates -> grid: linear binning + FFT) and for the whole ``kde()``
   call from a GeoDataFrame (validation, CRS check, result object). Peak memory by
   tracemalloc (numpy buffers are traced) and the process's max RSS.
2. Against ``scipy.stats.gaussian_kde`` at n = 10,000 on the same 500 x 500 grid (and R
   spatstat ``density.ppp`` on the same grid when ``Rscript`` is installed). By default
   scipy is evaluated on a random sample of cells and its time scaled linearly to all 250,000
   cells (its cost is exactly linear in the number of evaluation points); ``--full-scipy``
   evaluates every cell.
3. Accuracy of the fast method: max |fft - exact| / max(exact) on the same grids, for the
   quartic and Gaussian kernels at the default cell size.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc

import geopandas as gpd
import numpy as np


def best_of(fn, repeat):
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def clustered_points(n, rng, size=100_000.0):
    centres = rng.uniform(0.1 * size, 0.9 * size, (20, 2))
    which = rng.integers(0, 20, n)
    xy = centres[which] + rng.normal(0, size / 40, (n, 2))
    return np.clip(xy, 0, size)


def _spatstat_ratio(xy, sigma, size, side, t_fft, t_exact, exact):
    """Time spatstat density.ppp (binned FFT, no edge correction) on the same job, if R exists."""
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    if shutil.which("Rscript") is None:
        print("   spatstat density.ppp:    skipped (Rscript not found)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "pts.csv"
        out = Path(tmp) / "dens.csv"
        np.savetxt(csv, xy, delimiter=",", header="x,y", comments="")
        script = (
            "suppressMessages(library(spatstat)); "
            f"d <- read.csv('{csv}'); W <- owin(c(0, {size}), c(0, {size})); "
            "X <- ppp(d$x, d$y, window = W); "
            f"invisible(density(X, sigma = {sigma}, dimyx = c({side}, {side}), edge = FALSE)); "
            f"t <- system.time(for (i in 1:3) D <- density(X, sigma = {sigma}, "
            f"dimyx = c({side}, {side}), edge = FALSE))[['elapsed']] / 3; "
            f"write.csv(as.vector(t(as.matrix(D))), '{out}', row.names = FALSE); cat(t)"
        )
        try:
            res = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True,
                                 timeout=300, check=True)
        except (subprocess.SubprocessError, OSError) as exc:
            print(f"   spatstat density.ppp:    skipped ({exc})")
            return
        t_r = float(res.stdout.strip().split()[-1])
        dens_r = np.loadtxt(out, delimiter=",", skiprows=1)
    ours = exact.density[::-1].ravel() / 1e6
    err = np.max(np.abs(dens_r - ours)) / np.max(ours)
    print(f"   spatstat density.ppp:    {t_r:8.4f} s   -> fft is {t_r / t_fft:,.1f}x faster; "
          f"spatstat's binned image differs from the exact sum by {err:.1e} of the maximum")


def main(argv=None):
    from taobao_geo import _kde_grid as kg
    from taobao_geo._kde_kernels import get_kernel
    from taobao_geo.density import kde

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (shared machine)")
    ap.add_argument("--full-scipy", action="store_true",
                    help="evaluate gaussian_kde on every grid cell (about 40 s)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(20240601)

    n_big, side = (200_000, 1000) if args.quick else (1_000_000, 2000)
    n_cmp, cmp_side = (2_000, 200) if args.quick else (10_000, 500)
    size = 100_000.0
    print(f"taobao_geo.density benchmark ({'quick' if args.quick else 'full'}); "
          f"python {sys.version.split()[0]}, numpy {np.__version__}")

    # 1. large grid ----------------------------------------------------------------------
    xy = rng.uniform(0, size, (n_big, 2))
    w = np.ones(n_big)
    cs = size / side
    grid = kg.Grid(0.0, 0.0, size, size, side, side)
    quartic = get_kernel("quartic")
    h = 20 * cs
    kg.fft_density(xy[:1000], w[:1000], quartic, h, grid)  # warm-up (FFT plans, imports)
    t_engine, dens = best_of(lambda: kg.fft_density(xy, w, quartic, h, grid), args.repeat)
    tracemalloc.start()
    kg.fft_density(xy, w, quartic, h, grid)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    mass = dens.sum() * cs * cs / n_big
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32650")
    t_full, res = best_of(lambda: kde(pts, bandwidth=h, cell_size=cs, extent=(0, 0, size, size),
                                      method="fft"), max(1, args.repeat - 1))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    print(f"\n1. {n_big:,} points, {side:,} x {side:,} grid, quartic h = {h:,.0f} m")
    print(f"   engine (binning + FFT):  {t_engine:.3f} s   target < 0.5 s")
    print(f"   whole kde() call:        {t_full:.3f} s   (GeoDataFrame validation included)")
    print(f"   peak traced memory:      {peak / 2**20:,.0f} MiB  (max RSS of the process "
          f"{rss:,.0f} MiB)   target < 1 GB")
    print(f"   kernel mass on grid / n: {mass:.6f}")

    # 2. against scipy.stats.gaussian_kde ------------------------------------------------
    from scipy.stats import gaussian_kde

    xy2 = clustered_points(n_cmp, rng, size)
    pts2 = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy2[:, 0], xy2[:, 1]), crs="EPSG:32650")
    cs2 = size / cmp_side
    sk = gaussian_kde(xy2.T)  # Scott's factor on the data covariance
    sigma = float(np.sqrt(np.mean(np.diag(sk.covariance))))  # isotropic equivalent
    centres = (np.arange(cmp_side) + 0.5) * cs2
    gx, gy = np.meshgrid(centres, size - centres)
    cells = np.column_stack([gx.ravel(), gy.ravel()])
    m = len(cells) if args.full_scipy else min(len(cells), 2_500 if not args.quick else 1_000)
    sample = cells if args.full_scipy else cells[rng.choice(len(cells), m, replace=False)]
    t0 = time.perf_counter()
    sk(sample.T)
    t_scipy = (time.perf_counter() - t0) * len(cells) / m
    common = dict(kernel="gaussian", bandwidth=sigma, cell_size=cs2, extent=(0, 0, size, size))
    t_fft, r_fft = best_of(lambda: kde(pts2, method="fft", **common), args.repeat)
    t_exact, r_exact = best_of(lambda: kde(pts2, method="exact", **common), 1)
    print(f"\n2. n = {n_cmp:,} points on a {cmp_side} x {cmp_side} grid, Gaussian sigma "
          f"{sigma:,.0f} m (= scipy's Scott bandwidth, isotropic)")
    how = "all cells" if args.full_scipy else f"{m:,} sampled cells, scaled linearly"
    print(f"   scipy gaussian_kde:      {t_scipy:8.3f} s   ({how})")
    print(f"   taobao_geo kde fft:      {t_fft:8.4f} s   -> {t_scipy / t_fft:,.0f}x faster "
          f"(target >= 1,000x)")
    print(f"   taobao_geo kde exact:    {t_exact:8.4f} s   -> {t_scipy / t_exact:,.0f}x faster")
    err = np.max(np.abs(r_fft.density - r_exact.density)) / np.max(r_exact.density)
    print(f"   fft vs exact on this grid (cell = sigma/{sigma / cs2:.1f}): max error "
          f"{err:.2e} of the maximum")

    _spatstat_ratio(xy2, sigma, size, cmp_side, t_fft, t_exact, r_exact)

    # 3. accuracy at the default cell size ------------------------------------------------
    print("\n3. fast vs exact at the default cell size (sigma_K/10; /16 for kinked kernels), n = "
          f"{min(n_cmp, 5000):,} clustered points")
    sub = pts2.iloc[: min(n_cmp, 5000)]
    for kernel, bw in (("quartic", 3 * size / 40), ("gaussian", size / 40),
                       ("epanechnikov", 3 * size / 40)):
        a = kde(sub, kernel=kernel, bandwidth=bw, method="fft")
        b = kde(sub, kernel=kernel, bandwidth=bw, method="exact")
        e = np.max(np.abs(a.density - b.density)) / np.max(b.density)
        print(f"   {kernel:<13} h = {bw:,.0f} m, {a.nrows} x {a.ncols} cells of "
              f"{max(a.cell_size_m):,.0f} m: max error {e:.2e} of the maximum (target < 1e-3)")


if __name__ == "__main__":
    main()
