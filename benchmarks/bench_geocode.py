"""Speed and match rate of taobao_geo.geocode.locate_names against the usual approach.

    python benchmarks/bench_geocode.py            # all 2,303 village rows of 2014-2016
    python benchmarks/bench_geocode.py --quick    # the 212 rows of 2014

The usual approach in a spreadsheet or pandas is an exact join of the list's
(province, city, county, town) names on a gazetteer of town seats, falling back to an exact
join on the county name. We time that join (pandas ``merge`` on the same shipped gazetteer,
the fastest possible code) and ``locate_names`` in the same run, and report how many rows each
places at a town seat, at a county point, or not at all. The price of stem matching, aliases,
renamed counties, development zones and the inside-county test is the time ratio; the gain is
the match rate.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from taobao_geo import datasets
from taobao_geo.geocode import load_gazetteer, locate_names


def naive_join(names: pd.DataFrame, gaz) -> pd.Series:
    """Exact-name joins: town seat, else county polygon point, else nothing."""
    towns = gaz.towns.merge(
        gaz.counties.drop_duplicates("adcode")[["adcode", "province", "city", "county"]],
        left_on="county_code", right_on="adcode")
    towns = towns[np.isfinite(towns["lon"])].drop_duplicates(["province", "county", "town_name"])
    m = names.merge(towns[["province", "county", "town_name", "lon"]],
                    left_on=["province", "county", "town"],
                    right_on=["province", "county", "town_name"], how="left")
    cty = gaz.counties.drop_duplicates(["province", "county"])[["province", "county", "lon"]]
    m = m.merge(cty.rename(columns={"lon": "lon_c"}), on=["province", "county"], how="left")
    return pd.Series(np.where(m["lon"].notna(), "town", np.where(m["lon_c"].notna(), "county", "none")))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    v = datasets.load("taobao_villages", year=2014 if args.quick else None)
    names = pd.DataFrame(v[["province", "city", "county", "town", "village"]]).reset_index(drop=True)
    gaz = load_gazetteer()

    def best(fn):
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t0)
        return min(times), out

    t_naive, prec_naive = best(lambda: naive_join(names, gaz))
    t_ours, g = best(lambda: locate_names(names, gazetteer=gaz, on_unmatched="ignore"))
    prec_ours = g["loc_prec"]
    print(f"rows: {len(names)}  (best of {args.repeat})")
    print(f"{'method':<28}{'time s':>9}{'town':>7}{'county':>8}{'city':>6}{'none':>6}")
    for label, t, p in (("exact pandas merge", t_naive, prec_naive),
                        ("taobao_geo.locate_names", t_ours, prec_ours)):
        c = p.value_counts()
        print(f"{label:<28}{t:>9.3f}{c.get('town', 0):>7}{c.get('county', 0):>8}"
              f"{c.get('city', 0):>6}{c.get('none', 0):>6}")
    print(f"time ratio locate_names / exact merge: {t_ours / t_naive:.0f}x "
          f"({t_ours / len(names) * 1e3:.2f} ms per row)")
    gained = int((prec_ours == "town").sum() - (prec_naive == "town").sum())
    print(f"extra rows at town precision: {gained}; rows the exact merge cannot place: "
          f"{int((prec_naive == 'none').sum())} (locate_names: {int((prec_ours == 'none').sum())})")


if __name__ == "__main__":
    main()
