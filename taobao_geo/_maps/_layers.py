"""Vector layers and the data preparation they share: map coordinates (WGS 84 or GCJ-02),
JSON-safe values, dictionary-encoded columns and GeoJSON overlays with client-side popups.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from .._errors import CRSError, InputDataError
from ._elements import _folium, _helpers_element, _js_json


def map_datum(m) -> str:
    """Datum of a map made here (``"wgs84"`` or ``"gcj02"``); plain folium maps are WGS 84."""
    return getattr(m, "taobao_geo_datum", "wgs84")


def _to_map_coords(gdf, m, *, what: str):
    """Copy in EPSG:4326, shifted to GCJ-02 when the map's tiles are in GCJ-02."""
    import geopandas as gpd

    if isinstance(gdf, gpd.GeoSeries):
        gdf = gdf.to_frame(name="geometry")
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputDataError(f"{what} must be a GeoDataFrame; got {type(gdf).__name__}.")
    if gdf.crs is None:
        raise CRSError(
            f"{what} has no CRS, so it cannot be placed on a map. Set it, e.g. "
            "gdf.set_crs('EPSG:4326') for longitude/latitude in WGS 84."
        )
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        rows = list(gdf.index[empty][:10])
        raise InputDataError(
            f"{what} has {int(empty.sum())} rows with empty or missing geometry (first: {rows}); "
            "drop or fix them first."
        )
    out = gdf.to_crs("EPSG:4326") if not gdf.crs.equals("EPSG:4326") else gdf.copy()
    if map_datum(m) == "gcj02":
        from ..coords import convert_geometry

        out = convert_geometry(out, src="wgs84", dst="gcj02")
    return out


def _json_value(v):
    if v is None:
        return None
    if isinstance(v, (np.integer, int)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        if not math.isfinite(f):
            return None
        return round(f, 6) if abs(f) < 1e6 else round(f)
    if isinstance(v, (np.bool_, bool)):
        return "yes" if v else "no"
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def _encode_column(values: pd.Series) -> dict:
    """Dictionary-encode repeated values (town, county, year...) to keep the page small."""
    vals = [_json_value(v) for v in values]
    uniq = list(dict.fromkeys(v for v in vals if v is not None))
    if len(uniq) * 2 <= len(vals):
        lookup = {u: i for i, u in enumerate(uniq)}
        return {"u": uniq, "i": [lookup[v] if v is not None else -1 for v in vals]}
    return {"v": vals}


def _is_simulated(gdf) -> bool:
    meta = gdf.attrs.get("dataset") if hasattr(gdf, "attrs") else None
    if isinstance(meta, dict) and meta.get("simulated"):
        return True
    if "simulated" in getattr(gdf, "columns", []):
        col = gdf["simulated"]
        return bool(col.fillna(False).astype(bool).any())
    return False


def _bounds(gdf) -> tuple[float, float, float, float]:
    return tuple(float(v) for v in gdf.total_bounds)


def _round_coords(geoms, decimals: int = 5):
    import shapely

    return shapely.transform(np.asarray(geoms), lambda c: np.round(c, decimals))


def _geojson_layer(
    m,
    gdf,
    *,
    name: str,
    fill: pd.Series | str | None,
    popup_fields,
    labels=None,
    line_color="#333333",
    weight=1.0,
    fill_opacity=0.7,
    dash=None,
    show=True,
    banner=None,
    simplify=None,
    marker_radius=None,
):
    """A GeoJson overlay with safe client-side popups; ``gdf`` already in map coordinates."""
    folium = _folium()
    from folium.utilities import JsCode

    popup_fields = [c for c in (popup_fields or []) if c in gdf.columns]
    geoms = gdf.geometry
    if simplify == "auto":
        simplify = _auto_tolerance(gdf)
    if simplify:
        geoms = geoms.simplify(simplify, preserve_topology=True)
    props = pd.DataFrame(index=gdf.index)
    for c in popup_fields:
        props[c] = [_json_value(v) for v in gdf[c]]
    if isinstance(fill, pd.Series):
        props["_fill"] = fill.reindex(gdf.index).fillna("#cccccc").astype(str).to_numpy()
    features = []
    rounded = _round_coords(geoms.values)
    import shapely

    for geom, (_, row) in zip(rounded, props.iterrows(), strict=True):
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(geom)),
                "properties": {k: row[k] for k in props.columns},
            }
        )
    data = {"type": "FeatureCollection", "features": features}
    const_fill = fill if isinstance(fill, str) else None

    def style(feature):
        f = feature["properties"].get("_fill", const_fill)
        return {
            "color": line_color,
            "weight": weight,
            "fillColor": f or "#000000",
            "fillOpacity": fill_opacity if f else 0.0,
            "dashArray": dash,
        }

    lab = labels or {}
    on_each = JsCode(
        "tgMap.featurePopup("
        + _js_json(popup_fields)
        + ","
        + _js_json([lab.get(c, c) for c in popup_fields])
        + ","
        + _js_json(banner)
        + ")"
    )
    # Points (centres, point units) as circle markers, styled like the polygons.
    marker = folium.CircleMarker(radius=marker_radius, fill=True) if marker_radius else None
    layer = folium.GeoJson(
        data,
        name=name,
        style_function=style,
        show=show,
        on_each_feature=on_each if popup_fields else None,
        highlight_function=lambda _f: {"weight": weight + 2},
        marker=marker,
    )
    layer.add_child(_helpers_element())
    layer.add_to(m)
    return layer


def _auto_tolerance(gdf) -> float | None:
    """Display simplification: 1/4000 of the layer's larger side (China: ~0.015 deg ~ 1.5 km,
    one county: ~0.0001 deg ~ 10 m), only for polygons/lines with many vertices.
    """
    import shapely

    if set(gdf.geometry.geom_type.unique()) <= {"Point", "MultiPoint"}:
        return None
    if int(shapely.get_num_coordinates(gdf.geometry.values).sum()) < 20_000:
        return None
    x0, y0, x1, y1 = gdf.total_bounds
    return max(x1 - x0, y1 - y0) / 4000.0


def _polygon_or_points(m, g, *, name, fill, popup_fields, fill_opacity, simplify):
    types = set(g.geometry.geom_type.unique())
    if types <= {"Point"}:
        return _geojson_layer(
            m,
            g,
            name=name,
            fill=fill,
            popup_fields=popup_fields,
            fill_opacity=0.9,
            weight=0.6,
            marker_radius=5,
        )
    return _geojson_layer(
        m,
        g,
        name=name,
        fill=fill,
        popup_fields=popup_fields,
        fill_opacity=fill_opacity,
        weight=0.4,
        simplify=simplify,
    )


def _result_gdf(result, *, what: str):
    import geopandas as gpd

    gdf = getattr(result, "gdf", None)
    if gdf is None and isinstance(result, gpd.GeoDataFrame):
        gdf = result
    if gdf is None:
        raise InputDataError(
            f"{what} must be a result with a `.gdf` GeoDataFrame; got {type(result).__name__}."
        )
    return gdf


def _first_col(gdf, names, *, what):
    for c in names:
        if c in gdf.columns:
            return c
    raise InputDataError(f"{what} has none of the columns {list(names)}.")


def _is_geom_col(s: pd.Series) -> bool:
    from shapely.geometry.base import BaseGeometry

    if str(s.dtype) == "geometry":
        return True
    first = s.dropna()
    return len(first) > 0 and isinstance(first.iloc[0], BaseGeometry)


def _cmap_colours(cmap: str, k: int) -> list[str]:
    import matplotlib
    from matplotlib.colors import to_hex

    cm = matplotlib.colormaps[cmap]
    return [to_hex(cm(v)) for v in (np.linspace(0.1, 1.0, k) if k > 1 else [0.7])]


def _num(v: float) -> str:
    if float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
