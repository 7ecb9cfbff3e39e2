"""Interactive maps of Taobao villages and of the analyses (the only module that imports folium).

Every ``explore_*`` function takes data or a result object, draws it as one or more layers and
returns a :class:`folium.Map`; pass ``m=`` to stack layers on one map (geopandas ``explore``
style). Maps compute no statistics: run :mod:`taobao_geo.density`, :mod:`taobao_geo.local`,
:mod:`taobao_geo.centrography` first and pass their results.

China-specific behaviour
------------------------
* Base maps (``tiles=``): ``"osm"`` (OpenStreetMap, default, no key), ``"carto"`` (CartoDB
  Positron; CARTO now asks for a key, ``tile_key=``),
  ``"amap"`` / ``"amap-satellite"`` (AutoNavi/Gaode, reachable in mainland China, **GCJ-02**) and
  ``"tianditu"`` (天地图, reachable in mainland China, CGCS2000 ~ WGS 84, needs a free key).
  When a GCJ-02 provider is chosen, *every* overlay is shifted WGS 84 -> GCJ-02 with
  :func:`taobao_geo.coords.convert_geometry` so it lines up with the tiles (otherwise villages
  sit 100-700 m off their roads, Leaflet#3542). The datum in use is written on the map.
* :func:`save_map` writes a self-contained HTML file by default: Leaflet, plugins and CSS are
  inlined (no jsDelivr/unpkg, which are often unreachable from China), so the overlays show even
  when only the tiles fail to load.
* All user text (village names, column values, legend titles, layer names) is data, never
  template source or markup: pages are rendered with :func:`taobao_geo._html.render_page` (folium
  would otherwise compile every element's output again as a Jinja2 template, so a village called
  ``{{ ... }}`` would be evaluated), popups are built in the browser with ``textContent``, JSON is
  embedded with ``<``, ``>``, ``&`` escaped, and other text goes through one HTML-escape helper
  (layer names too: Leaflet's layer control shows them as HTML). A village called ``<script>``
  or ``{{7*7}}`` is shown as written.

Large layers
------------
Villages are drawn as canvas circle markers from one compact, column-oriented data block
(coordinates as integer 1e-5 degree deltas, repeated strings dictionary-encoded) with popups
built on click, instead of one ``folium.CircleMarker`` per village (folium#416, #1814): 10,000
villages with popups stay well under 1 MB. ``folium.plugins.HeatMap`` is not used for density
(its radius is in screen pixels, folium#2128); the KDE surface is drawn as an image overlay.

Examples
--------
Villages of 2016 with the kernel density underneath, on Amap tiles (GCJ-02), saved as one
self-contained file::

    from taobao_geo import datasets, density, maps, projection

    pts = datasets.load("taobao_villages", year=2016)
    kde = density.kde(projection.to_projected(pts))
    m = maps.explore_density(kde, tiles="amap", cores=kde.cores(),
                             title="Taobao villages 2016")
    maps.explore_villages(pts, m=m)
    maps.save_map(m, "out/villages_2016.html")        # offline=True by default

Two years side by side, panning together::

    dm = maps.dual_map(titles=("2014", "2016"))
    v = datasets.load("taobao_villages")
    maps.explore_villages(v[v.year == 2014], m=dm.m1)
    maps.explore_villages(v[v.year == 2016], m=dm.m2)
    maps.save_map(dm, "out/compare.html")

The same from the shell: ``taobao-geo map taobao_villages --year 2016 --layers villages,kde
--tiles amap`` and ``taobao-geo map taobao_villages --compare-years 2014 2016``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import CRSError, GeometryTypeError, InputDataError, TaobaoGeoError
from ._html import escape_text, render_page
from ._maps._elements import (
    _asset_guard_class,
    _fit_bounds_element,
    _folium,
    _layer_control_class,
    _point_data_element,
)
from ._maps._layers import (
    _bounds,
    _cmap_colours,
    _encode_column,
    _first_col,
    _geojson_layer,
    _is_geom_col,
    _is_simulated,
    _num,
    _polygon_or_points,
    _result_gdf,
    _to_map_coords,
    map_datum,
)
from ._maps._raster import _colour_image, _merc_to_ll, _warp_to_gcj02, _warp_to_mercator
from ._maps._tiles import _DATUM_TEXT, _LEAFLET_CSS, _LEAFLET_JS, TILES, _add_tiles, _tile_keys
from ._vocab import (
    GI_BIN_COLOURS,
    GI_BIN_LABELS,
    GI_BINS,
    LISA_COLOURS,
    LISA_LABELS,
    LISA_ORDER,
    lisa_code,
)
from .palettes import CATEGORY_COLOURS, DENSITY_CMAP

__all__ = [
    "TILES",
    "base_map",
    "dual_map",
    "explore_villages",
    "explore_density",
    "explore_lisa",
    "explore_hotspots",
    "explore_centres",
    "explore_boundaries",
    "explore_choropleth",
    "save_map",
    "to_html",
    "notebook_html",
    "map_datum",
]


#: Popup labels for the village layer columns.
VILLAGE_LABELS: dict[str, str] = {
    "village": "Village",
    "town": "Town",
    "county": "County",
    "city": "City",
    "province": "Province",
    "year": "Year",
    "products": "Products",
    "loc_prec": "Location precision",
    "loc_src": "Location source",
}

_DEFAULT_POPUP = ("village", "town", "county", "city", "province", "year", "products", "loc_prec")


# --------------------------------------------------------------------------- base map


def _configure(m, *, tiles, tile_key, title, subtitle, simulated, fullscreen):
    """Add tiles, controls, the datum note and the title to an empty folium Map."""
    folium = _folium()
    from ._maps._legend import DatumNote, MapTitle

    keys = _tile_keys(tiles)
    # Only Leaflet is needed: drop folium's default jQuery/Bootstrap/Font Awesome (~1 MB inlined).
    m.default_js = [_LEAFLET_JS]
    m.default_css = [_LEAFLET_CSS]
    _add_tiles(m, keys, tile_key=tile_key)
    m.add_child(_asset_guard_class()(), name="taobao_geo_asset_guard")
    datum = TILES[keys[0]]["datum"]
    m.taobao_geo_datum = datum
    m.taobao_geo_bounds = None
    m.taobao_geo_tiles = keys
    DatumNote(_DATUM_TEXT[datum]).add_to(m)
    if fullscreen:
        folium.plugins.Fullscreen(position="topleft").add_to(m)
    if title or simulated:
        MapTitle(title or "", subtitle=subtitle, simulated=simulated).add_to(m)
        root = m.get_root()
        if getattr(root, "title", None) is None and title:
            # branca writes <title>{{ title }}</title> without autoescaping.
            root.title = escape_text(title + (" (SIMULATED DATA)" if simulated else ""))
    m.taobao_geo_simulated_marked = bool(simulated)
    _offline_repr(m)
    return m


def _offline_repr(m) -> None:
    """Make the notebook display self-contained too (folium's links the CDN, which is blocked
    in many Chinese networks and offline, leaving an empty frame).
    """
    m._repr_html_ = lambda **_kw: notebook_html(m)


def notebook_html(m, *, height: int = 520) -> str:
    """HTML for a notebook cell: the self-contained page in an ``<iframe srcdoc>``."""
    page = escape_text(to_html(m, offline=True))
    return (
        f'<iframe srcdoc="{page}" style="width:100%;height:{int(height)}px;border:none" '
        "allowfullscreen></iframe>"
    )


def base_map(
    *,
    tiles: str | Sequence[str] = "osm",
    tile_key: str | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    simulated: bool = False,
    location: Sequence[float] | None = None,
    zoom_start: int = 5,
    fullscreen: bool = True,
    width: str = "100%",
    height: str = "100%",
):
    """An empty map with base layers, scale bar, full-screen button and the datum note.

    Parameters
    ----------
    tiles
        One provider or several with the same datum (the first is shown; the others are
        in the layer control): ``"osm"``, ``"carto"``, ``"tianditu"`` (WGS 84 / CGCS2000) or
        ``"amap"``, ``"amap-satellite"`` (GCJ-02). See :data:`TILES`.
    tile_key
        API key of the tile provider: required for ``"tianditu"`` ("tk"), appended for
        ``"carto"`` (CARTO now asks for one; xyzservices 2026.9). Never stored elsewhere.
    title, subtitle
        Text of the title box at the top of the map (escaped).
    simulated
        Add a red "SIMULATED DATA" badge to the title.
    location
        ``(lat, lon)`` of the initial centre (Leaflet order). Default: China; layers added
        with ``explore_*`` fit the view to themselves.
    zoom_start
        Initial zoom level.

    Returns
    -------
    folium.Map
        With ``m.taobao_geo_datum`` set to ``"wgs84"`` or ``"gcj02"``.
    """
    folium = _folium()
    m = folium.Map(
        location=list(location) if location is not None else [35.0, 105.0],
        zoom_start=zoom_start,
        tiles=None,
        control_scale=True,
        prefer_canvas=True,
        width=width,
        height=height,
    )
    return _configure(
        m,
        tiles=tiles,
        tile_key=tile_key,
        title=title,
        subtitle=subtitle,
        simulated=simulated,
        fullscreen=fullscreen,
    )


def dual_map(
    *,
    tiles: str | Sequence[str] = "osm",
    tile_key: str | None = None,
    titles: Sequence[str | None] = (None, None),
    layout: str = "horizontal",
    sync: bool = True,
    location: Sequence[float] | None = None,
    zoom_start: int = 5,
):
    """Two maps side by side (folium ``DualMap``) for comparisons.

    Draw on each panel with ``explore_*(..., m=dm.m1)`` and ``m=dm.m2``, then
    :func:`save_map` the ``DualMap``.

    Parameters
    ----------
    sync
        ``True`` (two years of one area): panning or zooming one panel moves the other
        (Leaflet.Sync). ``False`` (two different counties): each panel keeps its own view.
    layout
        ``"horizontal"`` (left/right) or ``"vertical"`` (top/bottom).
    """
    _folium()
    from folium.plugins import DualMap
    from jinja2 import Template

    dm = DualMap(
        location=list(location) if location is not None else [35.0, 105.0],
        layout=layout,
        tiles=None,
        zoom_start=zoom_start,
        control_scale=True,
        prefer_canvas=True,
    )
    if sync:
        dm.default_js = [("Leaflet.Sync", DualMap.default_js[0][1])]
    else:
        dm.default_js = []
        dm._template = Template("")  # no .sync() calls
    titles = list(titles)
    if len(titles) != 2:
        raise TaobaoGeoError(f"`titles` needs two entries (left, right); got {len(titles)}.")
    for sub, title in zip((dm.m1, dm.m2), titles, strict=True):
        _configure(
            sub,
            tiles=tiles,
            tile_key=tile_key,
            title=title,
            subtitle=None,
            simulated=False,
            fullscreen=False,
        )
        sub.taobao_geo_compact = True
    _offline_repr(dm)
    return dm


def _get_map(m, tiles, **kwargs):
    if m is None:
        return base_map(tiles=tiles, **kwargs)
    if hasattr(m, "m1") and hasattr(m, "m2"):
        raise TaobaoGeoError("pass one panel of a dual map: explore_...(data, m=dm.m1) or m=dm.m2.")
    if not hasattr(m, "taobao_geo_datum"):
        # A plain folium.Map from the user: WGS 84 tiles assumed, controls added on first use.
        m.taobao_geo_datum = "wgs84"
        m.taobao_geo_bounds = None
    return m


def _finish(m, bounds) -> None:
    """Grow the fitted view to include ``bounds`` and keep the layer control last.

    folium's LayerControl lists the layers that exist when its script runs, so it has to be
    rendered after every layer: we remove and re-add it at the end each time a layer is added.
    """
    folium = _folium()
    if bounds is not None and all(np.isfinite(bounds)):
        old = m.taobao_geo_bounds
        if old is not None:
            bounds = (
                min(old[0], bounds[0]),
                min(old[1], bounds[1]),
                max(old[2], bounds[2]),
                max(old[3], bounds[3]),
            )
        m.taobao_geo_bounds = bounds
        m._children.pop("taobao_geo_fit", None)
        m.add_child(
            _fit_bounds_element()([[bounds[1], bounds[0]], [bounds[3], bounds[2]]]),
            name="taobao_geo_fit",
        )
    m._children.pop("taobao_geo_layer_control", None)
    overlays = sum(
        1
        for c in m._children.values()
        if isinstance(c, folium.map.Layer) and c.overlay and c.control
    )
    # Open when short; collapsed (hover to open) when it would cover the legends.
    compact = getattr(m, "taobao_geo_compact", False)  # half-width panels of a dual map
    m.add_child(
        _layer_control_class()(collapsed=compact or overlays > 3, position="topright"),
        name="taobao_geo_layer_control",
    )


# --------------------------------------------------------------------------- villages
def explore_villages(
    points,
    *,
    m=None,
    tiles: str | Sequence[str] = "osm",
    name: str = "Taobao villages",
    color_by: str | None = "auto",
    color: str = "#1F4E9C",
    radius: float = 4.0,
    popup_fields: Sequence[str] | None = None,
    labels: dict[str, str] | None = None,
    tooltip: str | None = "village",
    simulated: bool | None = None,
    title: str | None = None,
    decimals: int = 5,
    **map_kwargs,
):
    """Village points as fast canvas circle markers with a popup per village.

    Parameters
    ----------
    points
        Point GeoDataFrame with a CRS (any; drawn in WGS 84, or GCJ-02 on Amap tiles). Columns
        such as ``village, town, county, year, products, loc_prec`` appear in the popup.
    m
        Map to draw on; ``None`` makes a :func:`base_map` with ``tiles`` and ``map_kwargs``.
    color_by
        Column whose categories colour the points (legend added). ``"auto"``: ``year`` when the
        layer has several years, else one colour. ``None``: one colour.
    color
        Fill colour when not colouring by a column (default dark blue, visible on the base
        maps and on the yellow-red density surface).
    radius
        Marker radius in screen pixels.
    popup_fields
        Columns shown in the popup, in order (default: the village columns that exist).
    labels
        Popup labels for columns (default :data:`VILLAGE_LABELS`, else the column name).
    tooltip
        Column shown on hover (``None`` for none).
    simulated
        Mark the layer as simulated (title badge, legend, popup banner). Default: from the
        ``simulated`` column or ``points.attrs["dataset"]["simulated"]``.
    decimals
        Coordinate decimals kept (5 = about 1 m).

    Returns
    -------
    folium.Map

    Notes
    -----
    Rows whose ``loc_prec`` is ``county``/``city``/``province`` (placed at a representative
    point of that area, not at the village) are drawn as hollow rings and counted in the
    legend, so coarse locations are not mistaken for precise ones.
    """
    folium = _folium()
    from ._maps._legend import CategoricalLegend

    if simulated is None:
        simulated = _is_simulated(points)
    m = _villages_map(m, tiles, name=name, title=title, simulated=simulated, map_kwargs=map_kwargs)
    gdf = _village_points(points, m)
    table, data = _village_block(gdf, decimals=decimals)
    tooltip = _village_popups(
        table, data, popup_fields=popup_fields, labels=labels, tooltip=tooltip, simulated=simulated
    )
    if color_by == "auto":
        color_by = "year" if "year" in table.columns and table["year"].nunique() > 1 else None
    legend_items = _village_colours(table, data, color_by=color_by, name=name, color=color)
    legend_items += _coarse_locations(table, data)

    layer_name = name + (" (SIMULATED)" if simulated else "")
    fg = folium.FeatureGroup(name=layer_name, show=True)
    fg.add_child(
        _point_data_element()(
            data,
            {
                "radius": radius,
                "stroke": "#333333",
                "weight": 0.6,
                "fillOpacity": 0.85,
                "fill": color,
                "tooltip": tooltip,
            },
        )
    )
    fg.add_to(m)
    legend_title = (f"{name} by {color_by}" if color_by else name) + (
        " - SIMULATED" if simulated else ""
    )
    CategoricalLegend(
        legend_title,
        legend_items,
        shape="circle",
        layer=fg,
        note=("Simulated locations, for demonstration only" if simulated else None),
    ).add_to(m)
    _finish(m, _bounds(gdf))
    return m


def _villages_map(m, tiles, *, name, title, simulated, map_kwargs):
    """The map to draw villages on, with the title and at most one SIMULATED badge."""
    from ._maps._legend import MapTitle

    if m is None:
        map_kwargs.setdefault("title", title or name)
        map_kwargs.setdefault("simulated", simulated)
        return _get_map(None, tiles, **map_kwargs)
    m = _get_map(m, tiles)
    # One SIMULATED badge per map, even when several simulated layers are stacked.
    marked = getattr(m, "taobao_geo_simulated_marked", False)
    if title or (simulated and not marked):
        MapTitle(title or name, simulated=simulated and not marked).add_to(m)
        m.taobao_geo_simulated_marked = marked or simulated
    return m


def _village_points(points, m):
    """The villages in map coordinates; refuses non-point geometries and an empty layer."""
    gdf = _to_map_coords(points, m, what="points")
    geom_types = set(gdf.geometry.geom_type.unique())
    if geom_types - {"Point"}:
        raise GeometryTypeError(
            f"explore_villages needs Point geometries; got {sorted(geom_types)}. For "
            "MultiPoint use gdf.explode(index_parts=False)."
        )
    if len(gdf) == 0:
        raise InputDataError("points is empty: nothing to draw.")
    return gdf


def _village_block(gdf, *, decimals):
    """(rows in drawing order, data block with the integer coordinate deltas)."""
    n = len(gdf)
    scale = 10**decimals
    x = np.round(gdf.geometry.x.to_numpy() * scale).astype(np.int64)
    y = np.round(gdf.geometry.y.to_numpy() * scale).astype(np.int64)
    # Sort along longitude inside 0.5-degree latitude bands (snake order): consecutive points
    # are close, so the coordinate deltas written to the page are short numbers.
    band = (y // (scale // 2)).astype(np.int64)
    order = np.lexsort((np.where(band % 2 == 0, x, -x), band))
    x, y = x[order], y[order]
    table = gdf.iloc[order]
    xy = np.empty(2 * n, dtype=np.int64)
    xy[0::2] = np.diff(x, prepend=0)
    xy[1::2] = np.diff(y, prepend=0)
    return table, {"scale": scale, "xy": xy.tolist()}


def _village_popups(table, data, *, popup_fields, labels, tooltip, simulated):
    """Add the popup columns (dictionary-encoded) to ``data``; returns the tooltip column."""
    lab = {**VILLAGE_LABELS, **(labels or {})}
    if popup_fields is None:
        popup_fields = [c for c in _DEFAULT_POPUP if c in table.columns]
    missing = [c for c in popup_fields if c not in table.columns]
    if missing:
        raise InputDataError(
            f"popup_fields {missing} are not columns of points (columns: {list(table.columns)})."
        )
    if tooltip is not None and tooltip not in table.columns:
        tooltip = None
    cols = {
        c: _encode_column(table[c])
        for c in dict.fromkeys([*popup_fields] + ([tooltip] if tooltip else []))
    }
    data.update(
        {
            "fields": list(popup_fields),
            "labels": [lab.get(c, c) for c in popup_fields],
            "cols": cols,
            "banner": "SIMULATED DATA - not real village locations" if simulated else None,
        }
    )
    return tooltip


def _village_colours(table, data, *, color_by, name, color):
    """Colour the points by a category column (or one colour); returns the legend items."""
    n = len(table)
    if color_by is None:
        return [(f"{name} (n={n:,})", color)]
    if color_by not in table.columns:
        raise InputDataError(f"color_by={color_by!r} is not a column of points.")
    cats = sorted(table[color_by].dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
    if len(cats) > len(CATEGORY_COLOURS):
        raise InputDataError(
            f"color_by={color_by!r} has {len(cats)} categories; at most "
            f"{len(CATEGORY_COLOURS)} can be told apart. Use color_by=None."
        )
    colours = {c: CATEGORY_COLOURS[i] for i, c in enumerate(cats)}
    data["colour"] = _encode_column(table[color_by].map(colours))
    counts = table[color_by].value_counts()
    return [(f"{c} (n={int(counts[c]):,})", colours[c]) for c in cats]


def _coarse_locations(table, data) -> list:
    """Mark villages located only to their county/city/province (drawn as hollow rings)."""
    if "loc_prec" not in table.columns:
        return []
    coarse = table["loc_prec"].astype(str).str.lower().isin(["county", "city", "province"])
    if not coarse.any():
        return []
    data["coarse"] = coarse.astype(int).tolist()
    return [(f"hollow ring: located to county/city only (n={int(coarse.sum()):,})", "#ffffff")]


# --------------------------------------------------------------------------- polygons / lines


def explore_boundaries(
    polygons,
    *,
    m=None,
    tiles: str | Sequence[str] = "osm",
    name: str = "Boundaries",
    label_col: str | None = "auto",
    popup_fields: Sequence[str] | None = None,
    color: str = "#555555",
    weight: float = 1.0,
    dash: str | None = None,
    simplify: float | str | None = "auto",
    **map_kwargs,
):
    """County / province / study-area outlines (no fill) with a popup of their names.

    Parameters
    ----------
    polygons
        Polygon GeoDataFrame with a CRS.
    label_col
        Column named in the popup; ``"auto"`` picks ``county``, ``province``, ``name``...
    simplify
        Display simplification tolerance in degrees (e.g. ``0.002`` ~ 200 m) to keep national
        layers small. ``"auto"`` (default): 1/4000 of the layer's extent when it has more than
        20,000 vertices (all of China: ~1.5 km; neighbouring outlines may then show slivers at
        high zoom). ``None`` keeps every vertex (rounded to 1e-5 degrees). Display only: no
        statistic is affected.
    """
    m = _get_map(m, tiles, **map_kwargs)
    gdf = _to_map_coords(polygons, m, what="polygons")
    if popup_fields is None:
        if label_col == "auto":
            popup_fields = [
                c
                for c in ("province", "city", "county", "town", "name", "adcode")
                if c in gdf.columns
            ]
        else:
            popup_fields = [label_col] if label_col else []
    from ._maps._legend import CategoricalLegend

    layer = _geojson_layer(
        m,
        gdf,
        name=name,
        fill=None,
        popup_fields=popup_fields,
        line_color=color,
        weight=weight,
        dash=dash,
        simplify=simplify,
    )
    n = len(gdf)
    CategoricalLegend(
        name,
        [(f"{name} ({n:,} polygon{'s' if n != 1 else ''})", color)],
        shape="outline",
        layer=layer,
    ).add_to(m)
    _finish(m, _bounds(gdf))
    return m


def explore_choropleth(
    polygons,
    column: str,
    *,
    m=None,
    tiles: str | Sequence[str] = "osm",
    scheme: str = "quantiles",
    k: int = 5,
    cmap: str = "YlOrRd",
    name: str | None = None,
    legend_title: str | None = None,
    popup_fields: Sequence[str] | None = None,
    fill_opacity: float = 0.7,
    simplify: float | str | None = "auto",
    **map_kwargs,
):
    """Polygons (e.g. counties) coloured by a numeric column, classified with mapclassify.

    Parameters
    ----------
    column
        Numeric column to map; missing values are drawn grey and counted in the legend.
    scheme
        Any :func:`mapclassify.classify` scheme (``"quantiles"``, ``"naturalbreaks"``,
        ``"equalinterval"``, ``"fisherjenks"``, ``"headtailbreaks"``, ...).
    k
        Number of classes.
    """
    import mapclassify

    from ._maps._legend import CategoricalLegend

    m = _get_map(m, tiles, **map_kwargs)
    if column not in polygons.columns:
        raise InputDataError(
            f"column {column!r} is not in the layer (columns: "
            f"{[c for c in polygons.columns if c != 'geometry']})."
        )
    values = pd.to_numeric(polygons[column], errors="coerce")
    bad = values.isna() & polygons[column].notna()
    if bad.any():
        raise InputDataError(
            f"column {column!r} has non-numeric values in rows {list(polygons.index[bad][:10])}."
        )
    gdf = _to_map_coords(polygons, m, what="polygons")
    ok = values.notna()
    if ok.sum() == 0:
        raise InputDataError(f"column {column!r} has no values to map.")
    with warnings.catch_warnings():
        # mapclassify warns and lowers k when there are too few distinct values; we say so in
        # the legend instead.
        warnings.simplefilter("ignore", UserWarning)
        classifier = mapclassify.classify(values[ok].to_numpy(dtype=float), scheme=scheme, k=k)
    nk = len(classifier.bins)
    colours = _cmap_colours(cmap, nk)
    fill = pd.Series("#cccccc", index=gdf.index)
    fill[ok] = [colours[int(b)] for b in classifier.yb]
    lows = [float(values[ok].min())] + [float(b) for b in classifier.bins[:-1]]
    counts = np.bincount(classifier.yb, minlength=nk)
    items = [
        (f"{_num(lo)} - {_num(hi)} (n={int(c)})", col)
        for lo, hi, c, col in zip(lows, classifier.bins, counts, colours, strict=True)
    ]
    if (~ok).any():
        items.append((f"no data (n={int((~ok).sum())})", "#cccccc"))
    if popup_fields is None:
        popup_fields = [
            c for c in ("province", "city", "county", "name", "adcode") if c in gdf.columns
        ] + [column]
    layer = _geojson_layer(
        m,
        gdf,
        name=name or column,
        fill=fill,
        popup_fields=popup_fields,
        fill_opacity=fill_opacity,
        weight=0.5,
        simplify=simplify,
    )
    CategoricalLegend(
        legend_title or column,
        items,
        layer=layer,
        note=f"Classes: {classifier.name} (mapclassify), k={nk}"
        + (f" (asked {k}; too few distinct values)" if nk < k else ""),
    ).add_to(m)
    _finish(m, _bounds(gdf))
    return m


# --------------------------------------------------------------------------- density
_UNITS_TEXT = {
    "per_km2": "Villages per km²",
    "counts": "Villages per cell",
    "per_m2": "Villages per m²",
}


def explore_density(
    kde,
    *,
    m=None,
    tiles: str | Sequence[str] = "osm",
    cores=None,
    contours=None,
    cmap: str = DENSITY_CMAP,
    opacity: float = 0.65,
    name: str = "Kernel density",
    transparent_below: float = 0.02,
    max_pixels: int = 2_000_000,
    **map_kwargs,
):
    """The KDE surface as a coloured image overlay, with core zones and contour polygons.

    Parameters
    ----------
    kde
        A :class:`taobao_geo.density.KDEResult` (``density`` array, ``transform``, ``crs``,
        ``units``, ``bandwidth_m``...). The grid is warped to Web Mercator (bilinear) so it
        lines up with the tiles; on GCJ-02 tiles it is resampled pixel by pixel onto the
        GCJ-02 grid (the offset is not constant: it varies by up to ~4 m per km).
    cores
        Optional core-zone polygons (``kde.cores()``), drawn as red outlines with a popup of
        their area, villages and places.
    contours
        Optional contour polygons or lines (``kde.contours(levels)``), drawn as thin lines.
    cmap
        Matplotlib colormap (default YlOrRd, as ArcGIS).
    transparent_below
        Cells below this fraction of the maximum are transparent, so the base map shows.
    max_pixels
        The overlay is downsampled above this many pixels to keep the page small.
    """
    folium = _folium()
    import matplotlib

    from ._maps._legend import ContinuousLegend

    m = _get_map(m, tiles, **map_kwargs)
    dens = np.asarray(kde.density, dtype="float64")
    if dens.ndim != 2 or dens.size == 0:
        raise InputDataError(f"kde.density must be a non-empty 2-D grid; got shape {dens.shape}.")
    if kde.crs is None:
        raise CRSError("kde has no CRS; cannot place the density surface on a map.")
    warped, (x0, y0, x1, y1) = _warp_to_mercator(
        dens, kde.transform, kde.crs, max_pixels=max_pixels
    )
    vmax = float(np.nanmax(dens)) if np.isfinite(dens).any() else 0.0
    if vmax <= 0:
        raise InputDataError("the density surface is zero everywhere; nothing to draw.")

    # Web Mercator extent -> lon/lat corners.
    (w_lon, e_lon), (s_lat, n_lat) = _merc_to_ll([x0, x1], [y0, y1])
    if map_datum(m) == "gcj02":
        warped, (w_lon, s_lat, e_lon, n_lat) = _warp_to_gcj02(
            warped, (x0, y0, x1, y1), (w_lon, s_lat, e_lon, n_lat)
        )
    cm = matplotlib.colormaps[cmap]
    url = _colour_image(warped, cm, vmax=vmax, transparent_below=transparent_below)
    units = getattr(kde, "units", None)
    units_text = _UNITS_TEXT.get(str(units), str(units) if units else "density")
    overlay = folium.raster_layers.ImageOverlay(
        image=url,
        bounds=[[s_lat, w_lon], [n_lat, e_lon]],
        opacity=opacity,
        name=name,
        interactive=False,
        zindex=2,
    )
    overlay.add_to(m)
    stops = [matplotlib.colors.to_hex(cm(v)) for v in np.linspace(0, 1, 9)]
    note = _density_note(
        kde, transparent_below=transparent_below, cores=cores is not None and len(cores)
    )
    ContinuousLegend(f"{name}: {units_text}", stops, 0.0, vmax, layer=overlay, note=note).add_to(m)
    _density_outlines(m, name=name, contours=contours, cores=cores)
    _finish(m, (w_lon, s_lat, e_lon, n_lat))
    return m


def _density_note(kde, *, transparent_below, cores) -> str | None:
    """Legend small print: kernel, bandwidth (and its rule), cell size, transparency, cores."""
    bw = getattr(kde, "bandwidth_m", None)
    rule = getattr(kde, "bandwidth_rule", None)
    kernel = getattr(kde, "kernel", None)
    bits = []
    if kernel:
        bits.append(f"{kernel} kernel")
    if bw is not None:
        bits.append(f"bandwidth {float(bw) / 1000:,.1f} km" + (f" ({rule})" if rule else ""))
    if getattr(kde, "cell_size_m", None):
        # (dx, dy) from kde(); the cells tile the extent, so they may be slightly non-square
        dx, dy = np.broadcast_to(np.asarray(kde.cell_size_m, dtype=float), (2,))
        bits.append(
            f"cell {dx / 1000:,.2f} km"
            if math.isclose(dx, dy, rel_tol=5e-3)
            else f"cell {dx / 1000:,.2f} x {dy / 1000:,.2f} km"
        )
    if transparent_below > 0:
        bits.append(f"transparent below {transparent_below:.0%} of the maximum")
    if cores:
        bits.append("dashed red outlines: core zones")
    return ", ".join(bits) or None


def _density_outlines(m, *, name, contours, cores) -> None:
    """Contour lines (thin) and core zones (dashed red) over the density surface."""
    if contours is not None and len(contours):
        cg = _to_map_coords(contours, m, what="contours")
        fields = [c for c in cg.columns if c != cg.geometry.name][:6]
        _geojson_layer(
            m,
            cg,
            name=f"{name} contours",
            fill=None,
            popup_fields=fields,
            line_color="#7F2704",
            weight=1.0,
        )
    if cores is not None and len(cores):
        cc = _to_map_coords(cores, m, what="cores")
        fields = [c for c in cc.columns if c != cc.geometry.name][:10]
        _geojson_layer(
            m,
            cc,
            name="Core zones",
            fill=None,
            popup_fields=fields,
            line_color="#B10026",
            weight=2.5,
            dash="6 4",
        )


# --------------------------------------------------------------------------- LISA / Gi*
_CORRECTION_TEXT = {
    None: "none",
    "": "none",
    "none": "none",
    "fdr": "FDR (Benjamini-Hochberg)",
    "bh": "FDR (Benjamini-Hochberg)",
    "bonferroni": "Bonferroni",
}


def _settings_note(result, *, default_alpha=None) -> str:
    """Legend small print: significance level, correction, inference, tails."""
    alpha = getattr(result, "alpha", default_alpha)
    correction = getattr(result, "correction", None)
    perms = getattr(result, "permutations", None)
    inference = getattr(result, "inference", None)
    alt = getattr(result, "alternative", None)
    parts = []
    if alpha is not None:
        parts.append(f"significance level {alpha:g}")
    parts.append(f"correction: {_CORRECTION_TEXT.get(correction, str(correction))}")
    if inference == "analytic":
        parts.append("analytic z-scores")
    elif perms:
        parts.append(f"{int(perms):,} permutations")
    if alt:
        parts.append(f"{alt} p-values")
    return "; ".join(parts)


def explore_lisa(
    result,
    *,
    m=None,
    tiles: str | Sequence[str] = "osm",
    name: str = "LISA clusters",
    cluster_col: str | None = None,
    popup_fields: Sequence[str] | None = None,
    fill_opacity: float = 0.75,
    simplify: float | str | None = "auto",
    **map_kwargs,
):
    """Local Moran (LISA) cluster map in GeoDa colours (HH red, LL blue, LH, HL, ns grey).

    Parameters
    ----------
    result
        A local Moran result from :mod:`taobao_geo.local` (``.gdf`` with a cluster label column
        and the settings ``alpha``, ``correction``, ``permutations``), or such a GeoDataFrame.
        Polygon units are filled; point units are drawn as circles.
    cluster_col
        Column with HH/LL/LH/HL/ns labels (default: the first of ``cluster``, ``label``,
        ``lisa_cluster``).
    """
    from ._maps._legend import CategoricalLegend

    m = _get_map(m, tiles, **map_kwargs)
    gdf = _result_gdf(result, what="explore_lisa's result")
    col = cluster_col or _first_col(
        gdf, ("cluster", "label", "lisa_cluster", "quadrant_sig"), what="the LISA result"
    )
    codes = gdf[col].map(lambda v: lisa_code("ns" if pd.isna(v) else v))
    g = _to_map_coords(gdf.assign(cluster=codes), m, what="LISA units")
    g["cluster_label"] = codes.map(LISA_LABELS)
    fill = codes.map(LISA_COLOURS)
    if popup_fields is None:
        popup_fields = [
            c
            for c in dict.fromkeys(
                (
                    "province",
                    "county",
                    "name",
                    "adcode",
                    "unit_id",
                    getattr(result, "column", None),
                    "count",
                    "density_km2",
                    "lisa_I",
                    "p_sim",
                    "p",
                    "p_adj",
                    "cluster_label",
                )
            )
            if c is not None and c in g.columns
        ]
    layer = _polygon_or_points(
        m,
        g,
        name=name,
        fill=fill,
        popup_fields=popup_fields,
        fill_opacity=fill_opacity,
        simplify=simplify,
    )
    counts = codes.value_counts()
    items = [
        (f"{LISA_LABELS[c]} (n={int(counts.get(c, 0))})", LISA_COLOURS[c])
        for c in LISA_ORDER
        if c != "island" or counts.get(c, 0)
    ]
    CategoricalLegend(
        name, items, note=_settings_note(result, default_alpha=0.05), layer=layer
    ).add_to(m)
    _finish(m, _bounds(g))
    return m


def explore_hotspots(
    result,
    *,
    m=None,
    tiles: str | Sequence[str] = "osm",
    name: str = "Hot spots (Gi*)",
    bin_col: str | None = None,
    popup_fields: Sequence[str] | None = None,
    fill_opacity: float = 0.8,
    simplify: float | str | None = "auto",
    **map_kwargs,
):
    """Getis-Ord Gi* hot and cold spots in ArcGIS's 7 confidence classes (``gi_bin`` -3...3).

    Parameters
    ----------
    result
        A Gi* result from :mod:`taobao_geo.local` (``.gdf`` with ``gi_bin``, ``gi_z``,
        ``gi_p``), or such a GeoDataFrame.
    """
    from ._maps._legend import CategoricalLegend

    m = _get_map(m, tiles, **map_kwargs)
    gdf = _result_gdf(result, what="explore_hotspots's result")
    col = bin_col or _first_col(gdf, ("gi_bin", "Gi_Bin", "bin"), what="the Gi* result")
    bins = pd.to_numeric(gdf[col], errors="coerce").fillna(0).astype(int)
    if not bins.between(-3, 3).all():
        raise InputDataError(
            f"{col} must hold integers -3..3 (ArcGIS Gi_Bin); got {sorted(bins.unique().tolist())}."
        )
    g = _to_map_coords(gdf, m, what="Gi* units")
    g["confidence"] = bins.map(GI_BIN_LABELS)
    fill = bins.map(GI_BIN_COLOURS)
    if popup_fields is None:
        popup_fields = [
            c
            for c in dict.fromkeys(
                (
                    "province",
                    "county",
                    "name",
                    "adcode",
                    "unit_id",
                    getattr(result, "column", None),
                    "count",
                    "density_km2",
                    "gi_z",
                    "gi_p",
                    "p_adj",
                    "confidence",
                )
            )
            if c is not None and c in g.columns
        ]
    layer = _polygon_or_points(
        m,
        g,
        name=name,
        fill=fill,
        popup_fields=popup_fields,
        fill_opacity=fill_opacity,
        simplify=simplify,
    )
    counts = bins.value_counts()
    items = [
        (f"{GI_BIN_LABELS[b]} (n={int(counts.get(b, 0))})", GI_BIN_COLOURS[b]) for b in GI_BINS
    ]
    CategoricalLegend(name, items, note=_settings_note(result), layer=layer).add_to(m)
    _finish(m, _bounds(g))
    return m


# --------------------------------------------------------------------------- centrography
def explore_centres(
    trends,
    *,
    m=None,
    tiles: str | Sequence[str] = "osm",
    name: str = "Mean centres",
    by: str = "year",
    centre_col: str | None = None,
    ellipse_col: str | None = None,
    popup_fields: Sequence[str] | None = None,
    **map_kwargs,
):
    """Mean centres per period joined by their trajectory, with standard deviational ellipses.

    Parameters
    ----------
    trends
        A :class:`taobao_geo.centrography.CentreTrendsResult` (``centre_trends(points,
        by="year")``: its ``centres_gdf()``, ``ellipses`` and ``by`` are used), or a
        GeoDataFrame with one row per period whose geometry is the mean centre, optionally
        with an ellipse column of shapely polygons in the same CRS.
    by
        Period column (rows are drawn in this order for the trajectory); taken from the result
        when it has ``by``.
    centre_col, ellipse_col
        For a GeoDataFrame: geometry columns (default: the active geometry, or ``mean_centre``
        / ``centre``; and the first of ``ellipse``, ``sde``, ``sde_geometry``).
    popup_fields
        Columns in the centre popup (default: period, n, shift and ellipse columns present).
    """
    import geopandas as gpd
    from shapely.geometry import LineString

    from ._maps._legend import CategoricalLegend

    m = _get_map(m, tiles, **map_kwargs)
    centres, ellipses, by = _centres_and_ellipses(
        trends, by=by, centre_col=centre_col, ellipse_col=ellipse_col
    )
    if by in centres.columns:
        order = np.argsort(centres[by].to_numpy(), kind="stable")
        centres = centres.iloc[order]
    cg = _to_map_coords(centres, m, what="centres")
    periods = cg[by].tolist() if by in cg.columns else list(range(len(cg)))
    colours = {p: CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)] for i, p in enumerate(periods)}
    fill = pd.Series([colours[p] for p in periods], index=cg.index)
    items = [(str(p), colours[p]) for p in periods]
    if ellipses is not None and len(ellipses):
        eg = _to_map_coords(ellipses, m, what="ellipses")
        efill = eg[by].map(colours) if by in eg.columns else pd.Series("#555555", index=eg.index)
        efields = [
            c
            for c in (by, "n", "major_m", "minor_m", "rotation_deg", "ellipse_area_km2")
            if c in eg.columns
        ]
        _geojson_layer(
            m,
            eg,
            name="Standard deviational ellipses",
            fill=efill,
            popup_fields=efields,
            fill_opacity=0.08,
            weight=2.0,
            line_color="#555555",
        )
    if len(cg) > 1:
        path = LineString(np.column_stack([cg.geometry.x, cg.geometry.y]))
        line = gpd.GeoDataFrame(
            {"path": [f"{periods[0]} -> {periods[-1]}"]}, geometry=[path], crs=4326
        )
        _geojson_layer(
            m,
            line,
            name="Centre trajectory",
            fill=None,
            popup_fields=["path"],
            line_color="#222222",
            weight=2.5,
            dash="4 4",
        )
    if popup_fields is None:
        popup_fields = [
            c
            for c in (
                by,
                "n",
                "shift_m",
                "shift_bearing_deg",
                "cumulative_shift_m",
                "std_distance_m",
                "major_m",
                "minor_m",
                "rotation_deg",
                "ellipse_area_km2",
                "nni_R",
                "nni_p",
                "nni_pattern",
            )
            if c in cg.columns
        ]
        if not popup_fields:
            popup_fields = [c for c in cg.columns if c != cg.geometry.name][:12]
    layer = _geojson_layer(
        m,
        cg,
        name=name,
        fill=fill,
        popup_fields=popup_fields,
        fill_opacity=1.0,
        weight=1.5,
        line_color="#000000",
        marker_radius=7,
    )
    note = "Line: trajectory of the mean centre"
    if ellipses is not None and len(ellipses):
        note += "; outlines: standard deviational ellipses"
    CategoricalLegend(f"{name} by {by}", items, shape="circle", layer=layer, note=note).add_to(m)
    _finish(m, _bounds(cg))
    return m


def _centres_and_ellipses(trends, *, by, centre_col, ellipse_col):
    """(centres GeoDataFrame, ellipses GeoDataFrame or None, period column) from the input."""
    import geopandas as gpd

    if hasattr(trends, "centres_gdf"):  # centrography.CentreTrendsResult
        by = getattr(trends, "by", by)
        centres = trends.centres_gdf()
        ellipses = getattr(trends, "ellipses", None)
        return centres, ellipses, by
    if not isinstance(trends, gpd.GeoDataFrame):
        raise InputDataError(
            "explore_centres needs centrography.centre_trends(...) or a GeoDataFrame of "
            f"centres; got {type(trends).__name__}."
        )
    df = trends
    if df.crs is None:
        raise CRSError("the centre table has no CRS; cannot place the centres on a map.")
    if centre_col is None:
        centre_col = next(
            (
                c
                for c in ("mean_centre", "mean_center", "centre", "center")
                if c in df.columns and _is_geom_col(df[c])
            ),
            df.geometry.name,
        )
    if ellipse_col is None:
        ellipse_col = next(
            (
                c
                for c in ("ellipse", "sde", "sde_geometry", "sde_polygon")
                if c in df.columns and _is_geom_col(df[c])
            ),
            None,
        )
    scalars = [
        c
        for c in df.columns
        if c not in (centre_col, ellipse_col, df.geometry.name) and not _is_geom_col(df[c])
    ]
    centres = gpd.GeoDataFrame(
        df[scalars].copy(),
        geometry=gpd.GeoSeries(np.asarray(df[centre_col]), crs=df.crs, index=df.index),
        crs=df.crs,
    )
    bad = set(centres.geometry.geom_type.unique()) - {"Point"}
    if bad:
        raise GeometryTypeError(f"centres must be points; got {sorted(bad)}.")
    ellipses = None
    if ellipse_col is not None:
        ellipses = gpd.GeoDataFrame(
            df[scalars].copy(),
            geometry=gpd.GeoSeries(np.asarray(df[ellipse_col]), crs=df.crs, index=df.index),
            crs=df.crs,
        )
        ellipses = ellipses[~(ellipses.geometry.isna() | ellipses.geometry.is_empty)]
    return centres, ellipses, by


# --------------------------------------------------------------------------- output
def to_html(m, *, offline: bool = True) -> str:
    """The complete HTML page of a map (or dual map); ``offline`` inlines all JS and CSS."""
    from ._maps._offline import inline_assets

    # Never root.render(): branca would compile every element's output again as a Jinja2
    # template, so user text such as "{{ ... }}" would run (see taobao_geo._html).
    page = render_page(m)
    return inline_assets(page) if offline else page


def save_map(m, path, *, offline: bool = True) -> Path:
    """Write the map to an HTML file, self-contained by default.

    Parameters
    ----------
    m
        A ``folium.Map`` or ``DualMap``.
    path
        Output ``.html`` path (parent folders are created).
    offline
        ``True``: Leaflet, plugins and CSS are inlined, so the page opens with no internet and
        where jsDelivr/unpkg/cdnjs are blocked (only tiles need the network). ``False``: CDN
        links, as plain folium (smaller file).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_html(m, offline=offline), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# County comparison: the comparison (taobao_geo.compare) computes, the map is drawn here
# --------------------------------------------------------------------------------------------
_COMPARISON_POPUP = (
    "county",
    "adcode",
    "density_per_1000km2",
    "share_of_province_pct",
    "nni_R",
    "lisa_class",
    "gi_bin",
    "rank_count",
)


def comparison_map(result, *, column: str = "density_per_1000km2", m=None, **kwargs):
    """Interactive comparison map: a choropleth of ``column`` over the compared counties.

    Parameters
    ----------
    result : taobao_geo.compare.ComparisonResult
        The result of :func:`taobao_geo.compare.compare_counties` (its ``counties`` layer).
    column
        Table column to colour by (default: villages per 1,000 km² in the last year).
    m
        A map to draw on (default: a new one).
    **kwargs
        Passed to :func:`explore_choropleth` (``title``, ``tiles``, ...).

    Returns
    -------
    folium.Map
    """
    g = result.counties
    if g is None or g.empty:
        raise TaobaoGeoError("`comparison_map`: this comparison holds no county polygons.")
    y0, y1 = result.years[0], result.years[-1]
    wanted = (*_COMPARISON_POPUP[:2], f"n_{y0}", f"n_{y1}", *_COMPARISON_POPUP[2:])
    popup = [c for c in wanted if c in g.columns]
    kwargs.setdefault("title", f"County comparison: {column}")
    k = min(5, max(2, len(g) - 1))
    return explore_choropleth(g, column, m=m, popup_fields=popup, k=k, **kwargs)
