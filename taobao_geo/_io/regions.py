"""Polygons that points are tested against: China (shipped counties) and a boundary."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np

from .._errors import CRSError, TaobaoGeoError

# --------------------------------------------------------------------------------------------
# China and boundary tests
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _shipped_china():
    """County polygons of China (shipped), or None when the layer is not available."""
    try:
        from .. import datasets

        if "china_counties" not in datasets.names():
            return None
        gdf = datasets.load("china_counties")
        return gdf.to_crs(4326) if gdf.crs is not None else gdf
    except Exception:  # noqa: BLE001 - data layer missing or broken: fall back to the rectangle
        return None


# county polygons are generalised (about 0.3 km) and town seats can sit on the coast: tolerance
_CHINA_TOLERANCE_DEG = 0.02


def _outside_polygons(lon, lat, polys: gpd.GeoSeries, tol: float) -> np.ndarray:
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326)
    if tol > 0:
        idx = polys.sindex.query(pts.values, predicate="dwithin", distance=tol)
    else:
        idx = polys.sindex.query(pts.values, predicate="covered_by")
    inside = np.zeros(len(pts), bool)
    inside[np.unique(idx[0])] = True
    return ~inside


def _as_polygons(obj, what: str) -> gpd.GeoSeries:
    from shapely.geometry.base import BaseGeometry

    if isinstance(obj, BaseGeometry):
        return gpd.GeoSeries([obj], crs=4326)
    if isinstance(obj, (str, Path)):
        from .. import datasets

        try:
            shipped = str(obj) in datasets.names()
        except Exception:  # noqa: BLE001
            shipped = False
        obj = datasets.load(str(obj)) if shipped else gpd.read_file(obj)
    if isinstance(obj, gpd.GeoDataFrame):
        obj = obj.geometry
    if not isinstance(obj, gpd.GeoSeries):
        raise TaobaoGeoError(
            f"{what} must be polygons (GeoDataFrame, GeoSeries, shapely geometry "
            f"or a file); got {type(obj).__name__}."
        )
    if obj.crs is None:
        raise CRSError(f"The {what} has no CRS; set it (e.g. .set_crs('EPSG:4326')).")
    gs = obj.to_crs(4326)
    gs = gs[gs.notna() & ~gs.is_empty]
    if not gs.geom_type.isin(["Polygon", "MultiPolygon"]).all() or len(gs) == 0:
        raise TaobaoGeoError(f"The {what} must contain polygons; got {sorted(set(gs.geom_type))}.")
    return gs.reset_index(drop=True)
