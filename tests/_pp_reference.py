"""Loader for the spatstat reference patterns in tests/reference (made by pointpattern.R)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

REF = Path(__file__).parent / "reference"
# spatstat's data are in arbitrary units; we label them with a metric CRS so the projection
# guard is satisfied (the numbers are unit-free, so this changes nothing).
CRS = "EPSG:32650"
DATASETS = ["redwood", "cells", "japanesepines", "demopat", "twopiece"]


def window(name: str):
    w = pd.read_csv(REF / f"pp_{name}_window.csv")
    outer, holes = [], []
    for _, g in w.groupby("ring"):
        (holes if g["hole"].iloc[0] else outer).append(g[["x", "y"]].to_numpy())
    polys = []
    for o in outer:
        shell = shapely.Polygon(o)
        polys.append(shapely.Polygon(o, [h for h in holes if shell.contains(shapely.Point(h[0]))]))
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def pattern(name: str) -> tuple[gpd.GeoDataFrame, gpd.GeoSeries]:
    """(points GeoDataFrame, window GeoSeries) of a reference pattern."""
    pts = pd.read_csv(REF / f"pp_{name}_points.csv")
    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(pts["x"], pts["y"]), crs=CRS)
    return gdf, gpd.GeoSeries([window(name)], crs=CRS)


def table(kind: str, name: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"pp_{kind}_{name}.csv")
