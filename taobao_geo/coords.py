"""Chinese web-map datums: GCJ-02 and BD-09 to and from WGS 84, vectorised.

Most coordinates a Chinese researcher copies from a web map are not WGS 84:

* **GCJ-02** ("Mars coordinates", 国测局坐标): Amap/AutoNavi (高德), Tencent (腾讯), Google Maps
  inside China. An obfuscation of WGS 84 mandated by the Chinese survey bureau; in Cao County
  (Shandong) a GCJ-02 point lies about 510 m east and 110 m south of its true WGS 84 position.
* **BD-09** (百度坐标): Baidu Maps, a further shift of GCJ-02 (about another 0.6-0.7 km).
* **WGS 84** (EPSG:4326): GPS, OpenStreetMap, the shipped layers; CGCS2000 (EPSG:4490) equals
  WGS 84 to well under a metre at the scales that matter here.

The forward formulas are the standard ones (published in many open implementations, e.g.
wandergis/coordtransform, whose README results are reproduced to the last digit by the tests).
GCJ-02 is applied only inside mainland China's outline (``out_of_china``: the standard
rectangle 73.66-135.05° E, 3.86-53.55° N as a pre-filter, then a shipped ~5 km-buffered outline
of the mainland counties; Hong Kong, Macau and Taiwan are outside): elsewhere GCJ-02 equals
WGS 84. The standard algorithm tests only the rectangle, which shifts Seoul, Hanoi,
Ulaanbaatar and Kathmandu; points in the mainland agree with it to the last digit.

The inverses (GCJ-02 -> WGS 84, BD-09 -> GCJ-02) have no closed form. The usual one-step
approximation (``2 g - f(g)``) is off by up to a few metres; here both are solved by fixed-point
iteration until the correction is below 1e-10° (about 0.01 mm), so a round trip is exact to far
below the 0.5 m the project requires. Within about 1 km of the outline's edges the forward
map is discontinuous (points are shifted on one side, not on the other), so a GCJ-02 point there
can have two WGS 84 pre-images; the inverse returns the one consistent with ``out_of_china``
applied to the GCJ-02 input, like every standard implementation. The edges touch China only at
its extreme west (the Pamirs, west of 73.66° E) and its northern tip (Mohe, north of 53.55° N),
far from any Taobao village; there, as in every implementation of the standard rectangle,
points are treated as outside China (no shift).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import shapely

from ._errors import TaobaoGeoError

__all__ = [
    "DATUMS",
    "out_of_china",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "gcj02_to_bd09",
    "bd09_to_gcj02",
    "wgs84_to_bd09",
    "bd09_to_wgs84",
    "to_wgs84",
    "from_wgs84",
    "convert",
    "convert_geometry",
]

DATUMS = ("wgs84", "gcj02", "bd09")
# Aliases users type; CGCS2000 is WGS 84 for our purposes (difference well under 1 m).
_ALIASES = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "wgs 84": "wgs84",
    "epsg:4326": "wgs84",
    "4326": "wgs84",
    "cgcs2000": "wgs84",
    "epsg:4490": "wgs84",
    "gps": "wgs84",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj": "gcj02",
    "mars": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "tencent": "gcj02",
    "火星": "gcj02",
    "高德": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "baidu": "bd09",
    "bd09ll": "bd09",
    "百度": "bd09",
}

# Constants of the standard algorithm (Krasovsky 1940 ellipsoid, as GCJ-02 uses).
_A = 6378245.0
_EE = 0.00669342162296594323
_PI = np.pi
_X_PI = np.pi * 3000.0 / 180.0
# The standard "inside China" rectangle (lon 73.66-135.05, lat 3.86-53.55, open interval).
CHINA_RECT = (73.66, 3.86, 135.05, 53.55)

_TOL_DEG = 1e-10  # iteration stop: ~0.01 mm
_MAX_ITER = 50


def normalize_datum(datum: str) -> str:
    """Canonical datum name (``"wgs84"``, ``"gcj02"`` or ``"bd09"``) or a clear error."""
    key = str(datum).strip().lower()
    if key not in _ALIASES:
        raise TaobaoGeoError(
            f"Unknown datum {datum!r}. Use 'wgs84' (GPS, OpenStreetMap, CGCS2000), 'gcj02' "
            "(Amap/Gaode, Tencent, Google China) or 'bd09' (Baidu)."
        )
    return _ALIASES[key]


def _arrays(lon, lat):
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lon.shape != lat.shape:
        lon, lat = np.broadcast_arrays(lon, lat)
    return lon, lat


def _out(x, y, scalar: bool):
    if scalar:
        return float(x), float(y)
    return x, y


@functools.lru_cache(maxsize=1)
def _china_outline():
    """Mainland China's simplified outline (package data written by data/build.py), prepared."""
    path = Path(__file__).parent / "datasets" / "data" / "china_outline_gcj02.wkb"
    geom = shapely.from_wkb(path.read_bytes())
    shapely.prepare(geom)
    return geom


def out_of_china(lon, lat, *, outline: bool = True) -> np.ndarray:
    """True where a point lies outside mainland China (no GCJ-02 shift applies there).

    The standard rectangle (``CHINA_RECT``) is a quick pre-filter; inside it, the point must
    also lie in mainland China's outline: the shipped counties without Hong Kong, Macau and
    Taiwan (whose maps publish WGS 84), dissolved, buffered by about 5 km and simplified
    (data/build.py). The rectangle alone shifted Seoul, Hanoi, Ulaanbaatar and Kathmandu by
    0.3-0.6 km. ``outline=False`` tests the rectangle only (the loader's plausibility check).
    NaN coordinates count as outside (they are passed through unchanged).
    """
    lon, lat = _arrays(lon, lat)
    minx, miny, maxx, maxy = CHINA_RECT
    with np.errstate(invalid="ignore"):
        inside = (lon > minx) & (lon < maxx) & (lat > miny) & (lat < maxy)
    if outline and inside.any():
        sel = np.flatnonzero(inside.ravel())
        ok = shapely.contains_xy(_china_outline(), lon.ravel()[sel], lat.ravel()[sel])
        flat = inside.ravel().copy()
        flat[sel] = ok
        inside = flat.reshape(inside.shape)
    return ~inside


def _transform_lat(x, y):
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * _PI) + 20.0 * np.sin(2.0 * x * _PI)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * _PI) + 40.0 * np.sin(y / 3.0 * _PI)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * _PI) + 320 * np.sin(y * _PI / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x, y):
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * _PI) + 20.0 * np.sin(2.0 * x * _PI)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * _PI) + 40.0 * np.sin(x / 3.0 * _PI)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * _PI) + 300.0 * np.sin(x / 30.0 * _PI)) * 2.0 / 3.0
    return ret


def _gcj_delta(lon, lat):
    """The GCJ-02 shift (dlon, dlat) in degrees at WGS 84 (lon, lat), ignoring the rectangle."""
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * _PI
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * _PI)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * _PI)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat):
    """WGS 84 -> GCJ-02 (Amap/Tencent). Scalars in, floats out; arrays in, arrays out.

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees (scalars or array-likes of equal shape).

    Returns
    -------
    (lon, lat)
        GCJ-02 degrees. Points outside China's rectangle (see :func:`out_of_china`) and NaNs are
        returned unchanged.
    """
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    lon, lat = _arrays(lon, lat)
    dlon, dlat = _gcj_delta(lon, lat)
    outside = out_of_china(lon, lat)
    glon = np.where(outside, lon, lon + dlon)
    glat = np.where(outside, lat, lat + dlat)
    return _out(glon, glat, scalar)


def gcj02_to_wgs84(lon, lat):
    """GCJ-02 -> WGS 84, exact inverse of :func:`wgs84_to_gcj02` (iterated to < 1e-10°).

    Points outside China's rectangle are returned unchanged.
    """
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    glon, glat = _arrays(lon, lat)
    inside = ~out_of_china(glon, glat)
    wlon, wlat = glon.copy(), glat.copy()
    gx, gy = glon[inside], glat[inside]
    # Fixed point w = g - delta(w): the shift changes by < 1e-4 of itself per degree, so the
    # iteration contracts fast (typically 3-4 steps to 1e-10 degrees).
    x, y = gx.copy(), gy.copy()
    for _ in range(_MAX_ITER):
        dlon, dlat = _gcj_delta(x, y)
        nx, ny = gx - dlon, gy - dlat
        step = max(np.max(np.abs(nx - x), initial=0.0), np.max(np.abs(ny - y), initial=0.0))
        x, y = nx, ny
        if step < _TOL_DEG:
            break
    wlon[inside] = x
    wlat[inside] = y
    return _out(wlon, wlat, scalar)


def gcj02_to_bd09(lon, lat):
    """GCJ-02 -> BD-09 (Baidu). Applied everywhere (Baidu shifts worldwide)."""
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    lon, lat = _arrays(lon, lat)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return _out(z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006, scalar)


def _bd09_to_gcj02_approx(blon, blat):
    """The standard one-step inverse (error up to about 1 m); the starting value of the iteration."""
    x = blon - 0.0065
    y = blat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_gcj02(lon, lat):
    """BD-09 -> GCJ-02, exact inverse of :func:`gcj02_to_bd09` (iterated to < 1e-10°)."""
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    blon, blat = _arrays(lon, lat)
    glon, glat = _bd09_to_gcj02_approx(blon, blat)
    ok = np.isfinite(blon) & np.isfinite(blat)
    for _ in range(_MAX_ITER):
        flon, flat = gcj02_to_bd09(glon, glat)
        rlon, rlat = blon - flon, blat - flat
        glon, glat = glon + rlon, glat + rlat
        step = max(np.max(np.abs(rlon[ok]), initial=0.0), np.max(np.abs(rlat[ok]), initial=0.0))
        if step < _TOL_DEG:
            break
    return _out(glon, glat, scalar)


def wgs84_to_bd09(lon, lat):
    """WGS 84 -> BD-09 (via GCJ-02)."""
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    x, y = gcj02_to_bd09(*wgs84_to_gcj02(*_arrays(lon, lat)))
    return _out(x, y, scalar)


def bd09_to_wgs84(lon, lat):
    """BD-09 -> WGS 84 (via GCJ-02), both steps exact inverses."""
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    x, y = gcj02_to_wgs84(*bd09_to_gcj02(*_arrays(lon, lat)))
    return _out(x, y, scalar)


_TO_WGS = {"wgs84": None, "gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS = {"wgs84": None, "gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def to_wgs84(lon, lat, *, datum: str):
    """Convert coordinates in ``datum`` ("wgs84", "gcj02", "bd09") to WGS 84 degrees."""
    fn = _TO_WGS[normalize_datum(datum)]
    if fn is None:
        scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
        x, y = _arrays(lon, lat)
        return _out(x.copy(), y.copy(), scalar)
    return fn(lon, lat)


def from_wgs84(lon, lat, *, datum: str):
    """Convert WGS 84 degrees to ``datum`` ("wgs84", "gcj02", "bd09")."""
    fn = _FROM_WGS[normalize_datum(datum)]
    if fn is None:
        scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
        x, y = _arrays(lon, lat)
        return _out(x.copy(), y.copy(), scalar)
    return fn(lon, lat)


def convert(lon, lat, *, src: str, dst: str):
    """Convert coordinates between any two of the datums ``wgs84``, ``gcj02``, ``bd09``."""
    src, dst = normalize_datum(src), normalize_datum(dst)
    if src == dst:
        return to_wgs84(lon, lat, datum="wgs84")
    x, y = to_wgs84(lon, lat, datum=src)
    return from_wgs84(x, y, datum=dst)


def convert_geometry(geoms, *, src: str, dst: str):
    """Shift every vertex of any geometry type between datums; returns a copy.

    Parameters
    ----------
    geoms
        A GeoSeries or GeoDataFrame in longitude/latitude degrees (EPSG:4326, or no CRS), or a
        shapely geometry / array of geometries. The CRS label is kept as EPSG:4326: GCJ-02 and
        BD-09 have no EPSG code, they are WGS 84 coordinates with a shift applied.
    src, dst
        Datums: ``"wgs84"``, ``"gcj02"`` or ``"bd09"`` (e.g. ``src="wgs84", dst="gcj02"`` to
        overlay WGS 84 data on Amap tiles).

    Returns
    -------
    Same type as ``geoms``, a new object; the input is not modified.
    """
    import shapely

    src, dst = normalize_datum(src), normalize_datum(dst)

    def _xy(coords: np.ndarray) -> np.ndarray:
        if len(coords) == 0:
            return coords.copy()
        x, y = convert(coords[:, 0], coords[:, 1], src=src, dst=dst)
        return np.column_stack([x, y, coords[:, 2:]])  # heights (Z) pass through

    def _transform(arr):
        try:  # shapely >= 2.1 keeps each geometry's dimensionality (Z survives)
            return shapely.transform(arr, _xy, include_z=None)
        except (TypeError, ValueError):  # shapely 2.0: 2-D only
            return shapely.transform(arr, _xy)

    try:
        import geopandas as gpd
    except ImportError:  # pragma: no cover - geopandas is a hard dependency
        gpd = None

    if gpd is not None and isinstance(geoms, (gpd.GeoDataFrame, gpd.GeoSeries)):
        from pyproj import CRS

        if geoms.crs is not None and not CRS.from_user_input(geoms.crs).is_geographic:
            from ._errors import CRSError

            raise CRSError(
                f"convert_geometry needs longitude/latitude degrees, but the data are in "
                f"{geoms.crs.name}. Reproject first: gdf.to_crs('EPSG:4326')."
            )
        out = geoms.copy()
        if isinstance(out, gpd.GeoDataFrame):
            col = out.geometry.name
            out[col] = gpd.GeoSeries(
                _transform(np.asarray(out.geometry.values)), index=out.index, crs=out.crs
            )
        else:
            out = gpd.GeoSeries(
                _transform(np.asarray(out.values)), index=out.index, crs=out.crs, name=out.name
            )
        out.attrs = dict(geoms.attrs)
        out.attrs["datum"] = dst
        return out
    return _transform(geoms)
