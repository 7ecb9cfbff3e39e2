"""Raster overlays: Web Mercator <-> lon/lat, the GCJ-02 resampling and the PNG data URL."""

from __future__ import annotations

import base64
import io
import math
import warnings

import numpy as np


def _merc_to_ll(x, y):
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    return t.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))


def _warp_to_gcj02(img: np.ndarray, merc_bounds, ll_bounds):
    """Resample a Web Mercator WGS 84 image onto the GCJ-02 grid Amap tiles are drawn in.

    The GCJ-02 offset is not a constant shift: it changes by up to ~4 m per km, so shifting
    only the corners would misplace the middle of a county-wide grid by tens of metres. Each
    output pixel centre (in GCJ-02 Web Mercator) is mapped back to WGS 84 with the exact
    inverse and the source image sampled there (bilinear).
    """
    from pyproj import Transformer
    from scipy.ndimage import map_coordinates

    from ..coords import gcj02_to_wgs84, wgs84_to_gcj02

    h, w = img.shape
    x0, y0, x1, y1 = merc_bounds
    w_lon, s_lat, e_lon, n_lat = ll_bounds
    glon, glat = wgs84_to_gcj02(np.array([w_lon, e_lon]), np.array([s_lat, n_lat]))
    to_m = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    gx, gy = to_m.transform(glon, glat)
    cols = gx[0] + (np.arange(w) + 0.5) * (gx[1] - gx[0]) / w
    rows = gy[1] - (np.arange(h) + 0.5) * (gy[1] - gy[0]) / h
    X, Y = np.meshgrid(cols, rows)
    lon_g, lat_g = _merc_to_ll(X.ravel(), Y.ravel())
    lon_w, lat_w = gcj02_to_wgs84(lon_g, lat_g)
    xw, yw = to_m.transform(lon_w, lat_w)
    src_col = (xw - x0) / ((x1 - x0) / w) - 0.5
    src_row = (y1 - yw) / ((y1 - y0) / h) - 0.5
    out = map_coordinates(img, [src_row, src_col], order=1, mode="constant", cval=np.nan)
    return out.reshape(h, w), (float(glon[0]), float(glat[0]), float(glon[1]), float(glat[1]))


def _png_data_url(rgba: np.ndarray) -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _warp_to_mercator(dens: np.ndarray, transform, src_crs, *, max_pixels: int):
    """Bilinear warp of a density grid to Web Mercator, downsampled above ``max_pixels``.

    Returns the warped image (NaN outside the grid) and its extent ``(x0, y0, x1, y1)`` in
    EPSG:3857 metres.
    """
    # rasterio's own from_bounds multiplies Affines with `*`, which affine 3 marks as pending
    # deprecation: a warning about rasterio's internals that the user cannot act on
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Use `@` matmul", category=PendingDeprecationWarning
        )
        return _warp(dens, transform, src_crs, max_pixels=max_pixels)


def _warp(dens: np.ndarray, transform, src_crs, *, max_pixels: int):
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    rows, cols = dens.shape
    left, top = transform @ (0, 0)
    right, bottom = transform @ (cols, rows)
    dst_crs = "EPSG:3857"
    scale = max(1.0, math.sqrt(rows * cols / max_pixels))
    dst_transform, w, h = calculate_default_transform(
        src_crs,
        dst_crs,
        cols,
        rows,
        left=min(left, right),
        bottom=min(top, bottom),
        right=max(left, right),
        top=max(top, bottom),
    )
    if scale > 1:
        w, h = max(1, int(w / scale)), max(1, int(h / scale))
        dst_transform, w, h = calculate_default_transform(
            src_crs,
            dst_crs,
            cols,
            rows,
            left=min(left, right),
            bottom=min(top, bottom),
            right=max(left, right),
            top=max(top, bottom),
            dst_width=w,
            dst_height=h,
        )
    warped = np.full((h, w), np.nan)
    src = np.where(np.isfinite(dens), dens, np.nan)
    reproject(
        src,
        warped,
        src_transform=transform,
        src_crs=src_crs,
        src_nodata=np.nan,
        dst_transform=dst_transform,
        dst_crs=dst_crs,
        dst_nodata=np.nan,
        resampling=Resampling.bilinear,
    )
    x0, y1 = dst_transform @ (0, 0)
    x1, y0 = dst_transform @ (w, h)
    return warped, (x0, y0, x1, y1)


def _colour_image(warped: np.ndarray, cm, *, vmax: float, transparent_below: float) -> str:
    """PNG data URL of the surface in colormap ``cm``; cells below the threshold transparent."""
    norm = np.clip(np.nan_to_num(warped, nan=0.0) / vmax, 0, 1)
    rgba = (cm(norm) * 255).astype(np.uint8)
    rgba[..., 3] = np.where((norm >= transparent_below) & np.isfinite(warped), 255, 0)
    return _png_data_url(rgba)
