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

import base64
import functools
import io
import json
import math
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import CRSError, GeometryTypeError, InputDataError, TaobaoGeoError
from ._html import escape_text, js_json, render_page, verbatim
from .palettes import (
    CATEGORY_COLOURS,
    DENSITY_CMAP,
    GI_BIN_COLOURS,
    GI_BIN_LABELS,
    LISA_COLOURS,
    LISA_LABELS,
    LISA_ORDER,
    lisa_code,
)

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

_LEAFLET_JS = ("leaflet", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")
_LEAFLET_CSS = ("leaflet_css", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css")

#: Base map providers: key -> (display name, URL template, attribution, datum, subdomains).
TILES: dict[str, dict] = {
    "carto": {
        "name": "CartoDB Positron",
        "url": "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
        # xyzservices 2026.9: "CartoDB tiles now require an API key" (appended when given).
        "key_param": "?key={key}",
        "attr": "&copy; OpenStreetMap contributors &copy; CARTO",
        "datum": "wgs84",
        "subdomains": "abcd",
    },
    "osm": {
        "name": "OpenStreetMap",
        "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attr": "&copy; OpenStreetMap contributors",
        "datum": "wgs84",
        "subdomains": "abc",
    },
    "amap": {
        "name": "Amap (高德地图)",
        "url": ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                "&style=8&x={x}&y={y}&z={z}"),
        "attr": "&copy; AutoNavi (高德地图), GCJ-02",
        "datum": "gcj02",
        "subdomains": "1234",
    },
    "amap-satellite": {
        "name": "Amap satellite (高德影像)",
        "url": "https://webst0{s}.is.autonavi.com/appmaptile?style=6&x={x}&y={y}&z={z}",
        "attr": "&copy; AutoNavi (高德地图), GCJ-02",
        "datum": "gcj02",
        "subdomains": "1234",
    },
    "tianditu": {
        "name": "Tianditu (天地图)",
        "url": ("https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                "&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"),
        "labels": ("https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                   "&VERSION=1.0.0&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                   "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"),
        "attr": "&copy; 天地图 Tianditu (CGCS2000)",
        "datum": "wgs84",
        "subdomains": "01234567",
    },
}

_TILE_ALIASES = {
    "openstreetmap": "osm", "cartodb positron": "carto", "cartodbpositron": "carto",
    "positron": "carto", "gaode": "amap", "autonavi": "amap", "tdt": "tianditu",
}

_DATUM_TEXT = {
    "wgs84": "Overlays in WGS 84 (EPSG:4326), matching the base map.",
    "gcj02": ("Overlays shifted WGS 84 -> GCJ-02 to match the Amap base map "
              "(GCJ-02, China's obfuscated datum)."),
}

#: Popup labels for the village layer columns.
VILLAGE_LABELS: dict[str, str] = {
    "village": "Village", "town": "Town", "county": "County", "city": "City",
    "province": "Province", "year": "Year", "products": "Products",
    "loc_prec": "Location precision", "loc_src": "Location source",
}

_DEFAULT_POPUP = ("village", "town", "county", "city", "province", "year", "products", "loc_prec")


# --------------------------------------------------------------------------- folium plumbing
def _folium():
    try:
        import folium
        import folium.plugins  # noqa: F401 - registers the plugins used below
    except ImportError as err:  # pragma: no cover - folium is a declared dependency
        raise ImportError(
            "taobao_geo.maps needs 'folium' and 'branca' (pip install folium branca mapclassify)."
        ) from err
    return folium


def _js_json(obj) -> str:
    """JSON for a <script> block (see :func:`taobao_geo._html.js_json`)."""
    return js_json(obj)


# Client-side helpers, put in the page header once. Popups are DOM nodes filled with textContent,
# so user text can never become markup.
_HELPERS_JS = """
<script>
var tgMap = window.tgMap || {};
tgMap.table = function (rows, banner) {
  var d = document.createElement('div'); d.className = 'tg-popup';
  if (banner) { var b = document.createElement('div'); b.className = 'tg-sim-banner';
    b.textContent = banner; d.appendChild(b); }
  var t = document.createElement('table');
  rows.forEach(function (r) {
    if (r[1] === null || r[1] === undefined || r[1] === '') { return; }
    var tr = document.createElement('tr'), th = document.createElement('th'),
        td = document.createElement('td');
    th.textContent = r[0]; td.textContent = String(r[1]);
    tr.appendChild(th); tr.appendChild(td); t.appendChild(tr);
  });
  d.appendChild(t); return d;
};
tgMap.value = function (col, i) {
  if (col.v) { return col.v[i]; }
  var k = col.i[i]; return (k === null || k < 0) ? null : col.u[k];
};
tgMap.points = function (group, data, opts) {
  var renderer = L.canvas({padding: 0.5}), xy = data.xy, s = data.scale, n = xy.length / 2;
  var x = 0, y = 0;
  for (var i = 0; i < n; i++) {
    x += xy[2 * i]; y += xy[2 * i + 1];
    var fill = data.colour ? tgMap.value(data.colour, i) : opts.fill;
    var coarse = data.coarse && data.coarse[i];
    // Villages located only to their county (or city): hollow rings in the layer's colour.
    var mk = L.circleMarker([y / s, x / s], {
      renderer: renderer, radius: coarse ? opts.radius + 1 : opts.radius,
      color: coarse ? fill : opts.stroke, weight: coarse ? 2 : opts.weight,
      opacity: 0.9, fillOpacity: coarse ? 0.15 : opts.fillOpacity, fillColor: fill});
    mk._tgI = i; group.addLayer(mk);
  }
  group.bindPopup(function (layer) {
    var i = layer._tgI;
    return tgMap.table(data.fields.map(function (f, j) {
      return [data.labels[j], tgMap.value(data.cols[f], i)]; }), data.banner);
  }, {maxWidth: 340});
  if (opts.tooltip) {
    group.bindTooltip(function (layer) {
      var el = document.createElement('span');
      el.textContent = tgMap.value(data.cols[opts.tooltip], layer._tgI); return el; });
  }
};
tgMap.featurePopup = function (fields, labels, banner) {
  return function (feature, layer) {
    layer.bindPopup(function () {
      return tgMap.table(fields.map(function (f, j) {
        return [labels[j], feature.properties[f]]; }), banner); }, {maxWidth: 340});
  };
};
</script>
"""


def _add_helpers(element) -> None:
    from branca.element import Figure

    from ._legend import add_css

    figure = element.get_root()
    if isinstance(figure, Figure):
        figure.header.add_child(verbatim(_HELPERS_JS), name="taobao_geo_js")
    add_css(element)


@functools.cache
def _point_data_element():
    from branca.element import MacroElement
    from jinja2 import Template

    class PointData(MacroElement):
        """Adds the villages of a compact data block to its parent FeatureGroup (canvas)."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            tgMap.points({{ this._parent.get_name() }}, {{ this.data_json }},
                         {{ this.opts_json }});
            {% endmacro %}
            """
        )

        def __init__(self, data: dict, opts: dict):
            super().__init__()
            self._name = "TaobaoGeoPoints"
            self.data_json = _js_json(data)
            self.opts_json = _js_json(opts)

        def render(self, **kwargs):
            _add_helpers(self)
            super().render(**kwargs)

    return PointData


# --------------------------------------------------------------------------- base map
def _tile_keys(tiles) -> list[str]:
    if isinstance(tiles, str):
        tiles = [tiles]
    keys = []
    for t in tiles:
        k = _TILE_ALIASES.get(str(t).strip().lower(), str(t).strip().lower())
        if k not in TILES:
            raise TaobaoGeoError(
                f"unknown tiles {t!r}; choose from {', '.join(TILES)} "
                "(amap and tianditu are reachable from mainland China).")
        keys.append(k)
    if not keys:
        raise TaobaoGeoError("`tiles` must name at least one base map, e.g. tiles='carto'.")
    datums = {TILES[k]["datum"] for k in keys}
    if len(datums) > 1:
        raise TaobaoGeoError(
            f"tiles {keys} mix GCJ-02 (Amap) and WGS 84 providers; overlays can only line up "
            "with one datum. Use Amap alone, or WGS 84 providers (osm, carto, tianditu).")
    return keys


def _configure(m, *, tiles, tile_key, title, subtitle, simulated, fullscreen):
    """Add tiles, controls, the datum note and the title to an empty folium Map."""
    folium = _folium()
    from ._legend import DatumNote, MapTitle

    keys = _tile_keys(tiles)
    # Only Leaflet is needed: drop folium's default jQuery/Bootstrap/Font Awesome (~1 MB inlined).
    m.default_js = [_LEAFLET_JS]
    m.default_css = [_LEAFLET_CSS]
    for i, k in enumerate(keys):
        spec = TILES[k]
        url = spec["url"]
        if "{key}" in url:
            if not tile_key:
                raise TaobaoGeoError(
                    "Tianditu tiles need a (free) key: base_map(tiles='tianditu', "
                    "tile_key='...'), from https://console.tianditu.gov.cn/ .")
            url = url.replace("{key}", tile_key)
        elif tile_key and "key_param" in spec:
            url += spec["key_param"].replace("{key}", tile_key)
        folium.TileLayer(tiles=url, attr=spec["attr"], name=spec["name"], overlay=False,
                         control=True, show=(i == 0), subdomains=spec["subdomains"],
                         max_zoom=18).add_to(m)
        if "labels" in spec:
            folium.TileLayer(tiles=spec["labels"].replace("{key}", tile_key),
                             attr=spec["attr"], name=spec["name"] + " labels", overlay=True,
                             control=True, subdomains=spec["subdomains"], max_zoom=18).add_to(m)
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
    in many Chinese networks and offline, leaving an empty frame)."""
    m._repr_html_ = lambda **_kw: notebook_html(m)


def notebook_html(m, *, height: int = 520) -> str:
    """HTML for a notebook cell: the self-contained page in an ``<iframe srcdoc>``."""
    page = escape_text(to_html(m, offline=True))
    return (f'<iframe srcdoc="{page}" style="width:100%;height:{int(height)}px;border:none" '
            'allowfullscreen></iframe>')


def base_map(*, tiles: str | Sequence[str] = "osm", tile_key: str | None = None,
             title: str | None = None, subtitle: str | None = None, simulated: bool = False,
             location: Sequence[float] | None = None, zoom_start: int = 5,
             fullscreen: bool = True, width: str = "100%", height: str = "100%"):
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
    m = folium.Map(location=list(location) if location is not None else [35.0, 105.0],
                   zoom_start=zoom_start, tiles=None, control_scale=True, prefer_canvas=True,
                   width=width, height=height)
    return _configure(m, tiles=tiles, tile_key=tile_key, title=title,
                      subtitle=subtitle, simulated=simulated, fullscreen=fullscreen)


def dual_map(*, tiles: str | Sequence[str] = "osm", tile_key: str | None = None,
             titles: Sequence[str | None] = (None, None), layout: str = "horizontal",
             sync: bool = True, location: Sequence[float] | None = None, zoom_start: int = 5):
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

    dm = DualMap(location=list(location) if location is not None else [35.0, 105.0],
                 layout=layout, tiles=None, zoom_start=zoom_start, control_scale=True,
                 prefer_canvas=True)
    if sync:
        dm.default_js = [("Leaflet.Sync", DualMap.default_js[0][1])]
    else:
        dm.default_js = []
        dm._template = Template("")   # no .sync() calls
    titles = list(titles)
    if len(titles) != 2:
        raise TaobaoGeoError(f"`titles` needs two entries (left, right); got {len(titles)}.")
    for sub, title in zip((dm.m1, dm.m2), titles, strict=True):
        _configure(sub, tiles=tiles, tile_key=tile_key, title=title, subtitle=None,
                   simulated=False, fullscreen=False)
        sub.taobao_geo_compact = True
    _offline_repr(dm)
    return dm


def map_datum(m) -> str:
    """Datum of a map made here (``"wgs84"`` or ``"gcj02"``); plain folium maps are WGS 84."""
    return getattr(m, "taobao_geo_datum", "wgs84")


def _get_map(m, tiles, **kwargs):
    if m is None:
        return base_map(tiles=tiles, **kwargs)
    if hasattr(m, "m1") and hasattr(m, "m2"):
        raise TaobaoGeoError(
            "pass one panel of a dual map: explore_...(data, m=dm.m1) or m=dm.m2.")
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
            bounds = (min(old[0], bounds[0]), min(old[1], bounds[1]),
                      max(old[2], bounds[2]), max(old[3], bounds[3]))
        m.taobao_geo_bounds = bounds
        m._children.pop("taobao_geo_fit", None)
        m.add_child(_fit_bounds_element()([[bounds[1], bounds[0]], [bounds[3], bounds[2]]]),
                    name="taobao_geo_fit")
    m._children.pop("taobao_geo_layer_control", None)
    overlays = sum(1 for c in m._children.values()
                   if isinstance(c, folium.map.Layer) and c.overlay and c.control)
    # Open when short; collapsed (hover to open) when it would cover the legends.
    compact = getattr(m, "taobao_geo_compact", False)   # half-width panels of a dual map
    m.add_child(_layer_control_class()(collapsed=compact or overlays > 3, position="topright"),
                name="taobao_geo_layer_control")


@functools.cache
def _layer_control_class():
    folium = _folium()
    from branca.element import MacroElement

    class LayerControl(folium.LayerControl):
        """folium's layer control with the layer names escaped: Leaflet shows them as HTML, so
        a county called ``<img onerror=...>`` would otherwise run its script."""

        def render(self, **kwargs):
            self.reset()
            for item in self._parent._children.values():
                if isinstance(item, folium.map.Layer) and item.control:
                    group = self.overlays if item.overlay else self.base_layers
                    group[escape_text(item.layer_name)] = item.get_name()
            MacroElement.render(self, **kwargs)

    return LayerControl


@functools.cache
def _asset_guard_class():
    from branca.element import CssLink, Figure, JavascriptLink, MacroElement

    class AssetGuard(MacroElement):
        """Our maps load only Leaflet. If the user adds folium ``Icon`` markers (Font Awesome /
        glyphicon "awesome markers"), put folium's usual assets back, at render time."""

        def render(self, **kwargs):
            folium = _folium()
            figure = self.get_root()
            if isinstance(figure, Figure) and _has_descendant(self._parent, folium.Icon):
                for name, url in folium.Map.default_js:
                    if name != "leaflet":
                        figure.header.add_child(JavascriptLink(url), name=name)
                for name, url in folium.Map.default_css:
                    if name != "leaflet_css":
                        figure.header.add_child(CssLink(url), name=name)
            super().render(**kwargs)

    return AssetGuard


def _has_descendant(element, cls) -> bool:
    stack = list(element._children.values())
    while stack:
        child = stack.pop()
        if isinstance(child, cls):
            return True
        stack.extend(child._children.values())
    return False


@functools.cache
def _fit_bounds_element():
    from branca.element import MacroElement
    from jinja2 import Template

    class FitBounds(MacroElement):
        """``map.fitBounds`` without animation (folium's animates when the zoom changes by <= 4
        levels, and a view set while that animation runs is overridden when it ends)."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.fitBounds({{ this.bounds|tojson }},
                {padding: [10, 10], animate: false});
            {% endmacro %}
            """
        )

        def __init__(self, bounds):
            super().__init__()
            self._name = "FitBounds"
            self.bounds = bounds

    return FitBounds


# --------------------------------------------------------------------------- data preparation
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
            "gdf.set_crs('EPSG:4326') for longitude/latitude in WGS 84.")
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        rows = list(gdf.index[empty][:10])
        raise InputDataError(
            f"{what} has {int(empty.sum())} rows with empty or missing geometry (first: {rows}); "
            "drop or fix them first.")
    out = gdf.to_crs("EPSG:4326") if not gdf.crs.equals("EPSG:4326") else gdf.copy()
    if map_datum(m) == "gcj02":
        from .coords import convert_geometry

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


# --------------------------------------------------------------------------- villages
def explore_villages(points, *, m=None, tiles: str | Sequence[str] = "osm",
                     name: str = "Taobao villages", color_by: str | None = "auto",
                     color: str = "#1F4E9C", radius: float = 4.0,
                     popup_fields: Sequence[str] | None = None,
                     labels: dict[str, str] | None = None, tooltip: str | None = "village",
                     simulated: bool | None = None, title: str | None = None,
                     decimals: int = 5, **map_kwargs):
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
    from ._legend import CategoricalLegend, MapTitle

    if simulated is None:
        simulated = _is_simulated(points)
    if m is None:
        map_kwargs.setdefault("title", title or name)
        map_kwargs.setdefault("simulated", simulated)
        m = _get_map(None, tiles, **map_kwargs)
    else:
        m = _get_map(m, tiles)
        # One SIMULATED badge per map, even when several simulated layers are stacked.
        marked = getattr(m, "taobao_geo_simulated_marked", False)
        if title or (simulated and not marked):
            MapTitle(title or name, simulated=simulated and not marked).add_to(m)
            m.taobao_geo_simulated_marked = marked or simulated
    gdf = _to_map_coords(points, m, what="points")
    geom_types = set(gdf.geometry.geom_type.unique())
    if geom_types - {"Point"}:
        raise GeometryTypeError(
            f"explore_villages needs Point geometries; got {sorted(geom_types)}. For "
            "MultiPoint use gdf.explode(index_parts=False).")
    n = len(gdf)
    if n == 0:
        raise InputDataError("points is empty: nothing to draw.")

    scale = 10 ** decimals
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

    lab = {**VILLAGE_LABELS, **(labels or {})}
    if popup_fields is None:
        popup_fields = [c for c in _DEFAULT_POPUP if c in table.columns]
    missing = [c for c in popup_fields if c not in table.columns]
    if missing:
        raise InputDataError(f"popup_fields {missing} are not columns of points "
                             f"(columns: {list(table.columns)}).")
    if tooltip is not None and tooltip not in table.columns:
        tooltip = None
    cols = {c: _encode_column(table[c]) for c in dict.fromkeys([*popup_fields]
                                                               + ([tooltip] if tooltip else []))}
    data = {"scale": scale, "xy": xy.tolist(), "fields": list(popup_fields),
            "labels": [lab.get(c, c) for c in popup_fields], "cols": cols,
            "banner": "SIMULATED DATA - not real village locations" if simulated else None}

    if color_by == "auto":
        color_by = "year" if "year" in table.columns and table["year"].nunique() > 1 else None
    legend_items = []
    if color_by is not None:
        if color_by not in table.columns:
            raise InputDataError(f"color_by={color_by!r} is not a column of points.")
        cats = sorted(table[color_by].dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
        if len(cats) > len(CATEGORY_COLOURS):
            raise InputDataError(
                f"color_by={color_by!r} has {len(cats)} categories; at most "
                f"{len(CATEGORY_COLOURS)} can be told apart. Use color_by=None.")
        colours = {c: CATEGORY_COLOURS[i] for i, c in enumerate(cats)}
        data["colour"] = _encode_column(table[color_by].map(colours))
        counts = table[color_by].value_counts()
        legend_items = [(f"{c} (n={int(counts[c]):,})", colours[c]) for c in cats]
    else:
        legend_items = [(f"{name} (n={n:,})", color)]

    if "loc_prec" in table.columns:
        coarse = table["loc_prec"].astype(str).str.lower().isin(["county", "city", "province"])
        if coarse.any():
            data["coarse"] = coarse.astype(int).tolist()
            legend_items.append((f"hollow ring: located to county/city only "
                                 f"(n={int(coarse.sum()):,})", "#ffffff"))

    layer_name = name + (" (SIMULATED)" if simulated else "")
    fg = folium.FeatureGroup(name=layer_name, show=True)
    fg.add_child(_point_data_element()(
        data, {"radius": radius, "stroke": "#333333", "weight": 0.6, "fillOpacity": 0.85,
               "fill": color, "tooltip": tooltip}))
    fg.add_to(m)
    legend_title = (f"{name} by {color_by}" if color_by else name) + (
        " - SIMULATED" if simulated else "")
    CategoricalLegend(legend_title, legend_items, shape="circle", layer=fg,
                      note=("Simulated locations, for demonstration only" if simulated
                            else None)).add_to(m)
    _finish(m, _bounds(gdf))
    return m


# --------------------------------------------------------------------------- polygons / lines
def _geojson_layer(m, gdf, *, name: str, fill: pd.Series | str | None, popup_fields,
                   labels=None, line_color="#333333", weight=1.0, fill_opacity=0.7,
                   dash=None, show=True, banner=None, simplify=None, marker_radius=None):
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
        features.append({"type": "Feature", "geometry": json.loads(shapely.to_geojson(geom)),
                         "properties": {k: row[k] for k in props.columns}})
    data = {"type": "FeatureCollection", "features": features}
    const_fill = fill if isinstance(fill, str) else None

    def style(feature):
        f = feature["properties"].get("_fill", const_fill)
        return {"color": line_color, "weight": weight, "fillColor": f or "#000000",
                "fillOpacity": fill_opacity if f else 0.0, "dashArray": dash}

    lab = labels or {}
    on_each = JsCode(
        "tgMap.featurePopup(" + _js_json(popup_fields) + ","
        + _js_json([lab.get(c, c) for c in popup_fields]) + "," + _js_json(banner) + ")")
    # Points (centres, point units) as circle markers, styled like the polygons.
    marker = folium.CircleMarker(radius=marker_radius, fill=True) if marker_radius else None
    layer = folium.GeoJson(data, name=name, style_function=style, show=show,
                           on_each_feature=on_each if popup_fields else None,
                           highlight_function=lambda _f: {"weight": weight + 2}, marker=marker)
    layer.add_child(_helpers_element())
    layer.add_to(m)
    return layer


def _auto_tolerance(gdf) -> float | None:
    """Display simplification: 1/4000 of the layer's larger side (China: ~0.015 deg ~ 1.5 km,
    one county: ~0.0001 deg ~ 10 m), only for polygons/lines with many vertices."""
    import shapely

    if set(gdf.geometry.geom_type.unique()) <= {"Point", "MultiPoint"}:
        return None
    if int(shapely.get_num_coordinates(gdf.geometry.values).sum()) < 20_000:
        return None
    x0, y0, x1, y1 = gdf.total_bounds
    return max(x1 - x0, y1 - y0) / 4000.0


def _helpers_element():
    return _helpers_class()()


@functools.cache
def _helpers_class():
    from branca.element import MacroElement

    class Helpers(MacroElement):
        """Puts the shared JS/CSS helpers in the page header when rendered."""

        def render(self, **kwargs):
            _add_helpers(self)
            super().render(**kwargs)

    return Helpers


def explore_boundaries(polygons, *, m=None, tiles: str | Sequence[str] = "osm",
                       name: str = "Boundaries", label_col: str | None = "auto",
                       popup_fields: Sequence[str] | None = None, color: str = "#555555",
                       weight: float = 1.0, dash: str | None = None,
                       simplify: float | str | None = "auto", **map_kwargs):
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
            popup_fields = [c for c in ("province", "city", "county", "town", "name", "adcode")
                            if c in gdf.columns]
        else:
            popup_fields = [label_col] if label_col else []
    from ._legend import CategoricalLegend

    layer = _geojson_layer(m, gdf, name=name, fill=None, popup_fields=popup_fields,
                           line_color=color, weight=weight, dash=dash, simplify=simplify)
    n = len(gdf)
    CategoricalLegend(name, [(f"{name} ({n:,} polygon{'s' if n != 1 else ''})", color)],
                      shape="outline",
                      layer=layer).add_to(m)
    _finish(m, _bounds(gdf))
    return m


def _cmap_colours(cmap: str, k: int) -> list[str]:
    import matplotlib
    from matplotlib.colors import to_hex

    cm = matplotlib.colormaps[cmap]
    return [to_hex(cm(v)) for v in (np.linspace(0.1, 1.0, k) if k > 1 else [0.7])]


def explore_choropleth(polygons, column: str, *, m=None, tiles: str | Sequence[str] = "osm",
                       scheme: str = "quantiles", k: int = 5, cmap: str = "YlOrRd",
                       name: str | None = None, legend_title: str | None = None,
                       popup_fields: Sequence[str] | None = None, fill_opacity: float = 0.7,
                       simplify: float | str | None = "auto", **map_kwargs):
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

    from ._legend import CategoricalLegend

    m = _get_map(m, tiles, **map_kwargs)
    if column not in polygons.columns:
        raise InputDataError(f"column {column!r} is not in the layer (columns: "
                             f"{[c for c in polygons.columns if c != 'geometry']}).")
    values = pd.to_numeric(polygons[column], errors="coerce")
    bad = values.isna() & polygons[column].notna()
    if bad.any():
        raise InputDataError(
            f"column {column!r} has non-numeric values in rows {list(polygons.index[bad][:10])}.")
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
    items = [(f"{_num(lo)} - {_num(hi)} (n={int(c)})", col)
             for lo, hi, c, col in zip(lows, classifier.bins, counts, colours, strict=True)]
    if (~ok).any():
        items.append((f"no data (n={int((~ok).sum())})", "#cccccc"))
    if popup_fields is None:
        popup_fields = [c for c in ("province", "city", "county", "name", "adcode")
                        if c in gdf.columns] + [column]
    layer = _geojson_layer(m, gdf, name=name or column, fill=fill, popup_fields=popup_fields,
                           fill_opacity=fill_opacity, weight=0.5, simplify=simplify)
    CategoricalLegend(legend_title or column, items, layer=layer,
                      note=f"Classes: {classifier.name} (mapclassify), k={nk}"
                      + (f" (asked {k}; too few distinct values)" if nk < k else "")).add_to(m)
    _finish(m, _bounds(gdf))
    return m


def _num(v: float) -> str:
    if float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"


# --------------------------------------------------------------------------- density
_UNITS_TEXT = {
    "per_km2": "Villages per km²",
    "counts": "Villages per cell",
    "per_m2": "Villages per m²",
}


def explore_density(kde, *, m=None, tiles: str | Sequence[str] = "osm",
                    cores=None, contours=None, cmap: str = DENSITY_CMAP,
                    opacity: float = 0.65, name: str = "Kernel density",
                    transparent_below: float = 0.02, max_pixels: int = 2_000_000,
                    **map_kwargs):
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
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    from ._legend import ContinuousLegend

    m = _get_map(m, tiles, **map_kwargs)
    dens = np.asarray(kde.density, dtype="float64")
    if dens.ndim != 2 or dens.size == 0:
        raise InputDataError(f"kde.density must be a non-empty 2-D grid; got shape {dens.shape}.")
    rows, cols = dens.shape
    src_crs = kde.crs
    if src_crs is None:
        raise CRSError("kde has no CRS; cannot place the density surface on a map.")
    transform = kde.transform
    left, top = transform @ (0, 0)
    right, bottom = transform @ (cols, rows)
    dst_crs = "EPSG:3857"
    scale = max(1.0, math.sqrt(rows * cols / max_pixels))
    dst_transform, w, h = calculate_default_transform(
        src_crs, dst_crs, cols, rows, left=min(left, right), bottom=min(top, bottom),
        right=max(left, right), top=max(top, bottom))
    if scale > 1:
        w, h = max(1, int(w / scale)), max(1, int(h / scale))
        dst_transform, w, h = calculate_default_transform(
            src_crs, dst_crs, cols, rows, left=min(left, right), bottom=min(top, bottom),
            right=max(left, right), top=max(top, bottom), dst_width=w, dst_height=h)
    warped = np.full((h, w), np.nan)
    src = np.where(np.isfinite(dens), dens, np.nan)
    reproject(src, warped, src_transform=transform, src_crs=src_crs, src_nodata=np.nan,
              dst_transform=dst_transform, dst_crs=dst_crs, dst_nodata=np.nan,
              resampling=Resampling.bilinear)
    vmax = float(np.nanmax(dens)) if np.isfinite(dens).any() else 0.0
    if vmax <= 0:
        raise InputDataError("the density surface is zero everywhere; nothing to draw.")

    # Web Mercator extent -> lon/lat corners.
    x0, y1 = dst_transform @ (0, 0)
    x1, y0 = dst_transform @ (w, h)
    (w_lon, e_lon), (s_lat, n_lat) = _merc_to_ll([x0, x1], [y0, y1])
    if map_datum(m) == "gcj02":
        warped, (w_lon, s_lat, e_lon, n_lat) = _warp_to_gcj02(
            warped, (x0, y0, x1, y1), (w_lon, s_lat, e_lon, n_lat))
    cm = matplotlib.colormaps[cmap]
    norm = np.clip(np.nan_to_num(warped, nan=0.0) / vmax, 0, 1)
    rgba = (cm(norm) * 255).astype(np.uint8)
    rgba[..., 3] = np.where((norm >= transparent_below) & np.isfinite(warped), 255, 0)
    url = _png_data_url(rgba)
    units = getattr(kde, "units", None)
    units_text = _UNITS_TEXT.get(str(units), str(units) if units else "density")
    bw = getattr(kde, "bandwidth_m", None)
    rule = getattr(kde, "bandwidth_rule", None)
    kernel = getattr(kde, "kernel", None)
    overlay = folium.raster_layers.ImageOverlay(
        image=url, bounds=[[s_lat, w_lon], [n_lat, e_lon]], opacity=opacity, name=name,
        interactive=False, zindex=2)
    overlay.add_to(m)
    bits = []
    if kernel:
        bits.append(f"{kernel} kernel")
    if bw is not None:
        bits.append(f"bandwidth {float(bw) / 1000:,.1f} km" + (f" ({rule})" if rule else ""))
    if getattr(kde, "cell_size_m", None):
        # (dx, dy) from kde(); the cells tile the extent, so they may be slightly non-square
        dx, dy = np.broadcast_to(np.asarray(kde.cell_size_m, dtype=float), (2,))
        bits.append(f"cell {dx / 1000:,.2f} km" if math.isclose(dx, dy, rel_tol=5e-3) else
                    f"cell {dx / 1000:,.2f} x {dy / 1000:,.2f} km")
    if transparent_below > 0:
        bits.append(f"transparent below {transparent_below:.0%} of the maximum")
    if cores is not None and len(cores):
        bits.append("dashed red outlines: core zones")
    stops = [matplotlib.colors.to_hex(cm(v)) for v in np.linspace(0, 1, 9)]
    ContinuousLegend(f"{name}: {units_text}", stops, 0.0, vmax, layer=overlay,
                     note=", ".join(bits) or None).add_to(m)
    if contours is not None and len(contours):
        cg = _to_map_coords(contours, m, what="contours")
        fields = [c for c in cg.columns if c != cg.geometry.name][:6]
        _geojson_layer(m, cg, name=f"{name} contours", fill=None, popup_fields=fields,
                       line_color="#7F2704", weight=1.0)
    if cores is not None and len(cores):
        cc = _to_map_coords(cores, m, what="cores")
        fields = [c for c in cc.columns if c != cc.geometry.name][:10]
        _geojson_layer(m, cc, name="Core zones", fill=None, popup_fields=fields,
                       line_color="#B10026", weight=2.5, dash="6 4")
    _finish(m, (w_lon, s_lat, e_lon, n_lat))
    return m


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

    from .coords import gcj02_to_wgs84, wgs84_to_gcj02

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


# --------------------------------------------------------------------------- LISA / Gi*
_CORRECTION_TEXT = {None: "none", "": "none", "none": "none",
                    "fdr": "FDR (Benjamini-Hochberg)", "bh": "FDR (Benjamini-Hochberg)",
                    "bonferroni": "Bonferroni"}


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


def _result_gdf(result, *, what: str):
    import geopandas as gpd

    gdf = getattr(result, "gdf", None)
    if gdf is None and isinstance(result, gpd.GeoDataFrame):
        gdf = result
    if gdf is None:
        raise InputDataError(f"{what} must be a result with a `.gdf` GeoDataFrame; "
                             f"got {type(result).__name__}.")
    return gdf


def _first_col(gdf, names, *, what):
    for c in names:
        if c in gdf.columns:
            return c
    raise InputDataError(f"{what} has none of the columns {list(names)}.")


def explore_lisa(result, *, m=None, tiles: str | Sequence[str] = "osm",
                 name: str = "LISA clusters", cluster_col: str | None = None,
                 popup_fields: Sequence[str] | None = None, fill_opacity: float = 0.75,
                 simplify: float | str | None = "auto", **map_kwargs):
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
    from ._legend import CategoricalLegend

    m = _get_map(m, tiles, **map_kwargs)
    gdf = _result_gdf(result, what="explore_lisa's result")
    col = cluster_col or _first_col(gdf, ("cluster", "label", "lisa_cluster", "quadrant_sig"),
                                    what="the LISA result")
    codes = gdf[col].map(lambda v: lisa_code("ns" if pd.isna(v) else v))
    g = _to_map_coords(gdf.assign(cluster=codes), m, what="LISA units")
    g["cluster_label"] = codes.map(LISA_LABELS)
    fill = codes.map(LISA_COLOURS)
    if popup_fields is None:
        popup_fields = [c for c in dict.fromkeys(
            ("province", "county", "name", "adcode", "unit_id", getattr(result, "column", None),
             "count", "density_km2", "lisa_I", "p_sim", "p", "p_adj", "cluster_label"))
            if c is not None and c in g.columns]
    layer = _polygon_or_points(m, g, name=name, fill=fill, popup_fields=popup_fields,
                               fill_opacity=fill_opacity, simplify=simplify)
    counts = codes.value_counts()
    items = [(f"{LISA_LABELS[c]} (n={int(counts.get(c, 0))})", LISA_COLOURS[c])
             for c in LISA_ORDER if c != "island" or counts.get(c, 0)]
    CategoricalLegend(name, items, note=_settings_note(result, default_alpha=0.05),
                      layer=layer).add_to(m)
    _finish(m, _bounds(g))
    return m


def explore_hotspots(result, *, m=None, tiles: str | Sequence[str] = "osm",
                     name: str = "Hot spots (Gi*)", bin_col: str | None = None,
                     popup_fields: Sequence[str] | None = None, fill_opacity: float = 0.8,
                     simplify: float | str | None = "auto", **map_kwargs):
    """Getis-Ord Gi* hot and cold spots in ArcGIS's 7 confidence classes (``gi_bin`` -3...3).

    Parameters
    ----------
    result
        A Gi* result from :mod:`taobao_geo.local` (``.gdf`` with ``gi_bin``, ``gi_z``,
        ``gi_p``), or such a GeoDataFrame.
    """
    from ._legend import CategoricalLegend

    m = _get_map(m, tiles, **map_kwargs)
    gdf = _result_gdf(result, what="explore_hotspots's result")
    col = bin_col or _first_col(gdf, ("gi_bin", "Gi_Bin", "bin"), what="the Gi* result")
    bins = pd.to_numeric(gdf[col], errors="coerce").fillna(0).astype(int)
    if not bins.between(-3, 3).all():
        raise InputDataError(f"{col} must hold integers -3..3 (ArcGIS Gi_Bin); got "
                             f"{sorted(bins.unique().tolist())}.")
    g = _to_map_coords(gdf, m, what="Gi* units")
    g["confidence"] = bins.map(GI_BIN_LABELS)
    fill = bins.map(GI_BIN_COLOURS)
    if popup_fields is None:
        popup_fields = [c for c in dict.fromkeys(
            ("province", "county", "name", "adcode", "unit_id", getattr(result, "column", None),
             "count", "density_km2", "gi_z", "gi_p", "p_adj", "confidence"))
            if c is not None and c in g.columns]
    layer = _polygon_or_points(m, g, name=name, fill=fill, popup_fields=popup_fields,
                               fill_opacity=fill_opacity, simplify=simplify)
    counts = bins.value_counts()
    items = [(f"{GI_BIN_LABELS[b]} (n={int(counts.get(b, 0))})", GI_BIN_COLOURS[b])
             for b in (3, 2, 1, 0, -1, -2, -3)]
    CategoricalLegend(name, items, note=_settings_note(result), layer=layer).add_to(m)
    _finish(m, _bounds(g))
    return m


def _polygon_or_points(m, g, *, name, fill, popup_fields, fill_opacity, simplify):
    types = set(g.geometry.geom_type.unique())
    if types <= {"Point"}:
        return _geojson_layer(m, g, name=name, fill=fill, popup_fields=popup_fields,
                              fill_opacity=0.9, weight=0.6, marker_radius=5)
    return _geojson_layer(m, g, name=name, fill=fill, popup_fields=popup_fields,
                          fill_opacity=fill_opacity, weight=0.4, simplify=simplify)


# --------------------------------------------------------------------------- centrography
def explore_centres(trends, *, m=None, tiles: str | Sequence[str] = "osm",
                    name: str = "Mean centres", by: str = "year",
                    centre_col: str | None = None, ellipse_col: str | None = None,
                    popup_fields: Sequence[str] | None = None, **map_kwargs):
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

    from ._legend import CategoricalLegend

    m = _get_map(m, tiles, **map_kwargs)
    centres, ellipses, by = _centres_and_ellipses(trends, by=by, centre_col=centre_col,
                                                  ellipse_col=ellipse_col)
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
        efill = (eg[by].map(colours) if by in eg.columns
                 else pd.Series("#555555", index=eg.index))
        efields = [c for c in (by, "n", "major_m", "minor_m", "rotation_deg",
                               "ellipse_area_km2") if c in eg.columns]
        _geojson_layer(m, eg, name="Standard deviational ellipses", fill=efill,
                       popup_fields=efields, fill_opacity=0.08, weight=2.0,
                       line_color="#555555")
    if len(cg) > 1:
        path = LineString(np.column_stack([cg.geometry.x, cg.geometry.y]))
        line = gpd.GeoDataFrame({"path": [f"{periods[0]} -> {periods[-1]}"]},
                                geometry=[path], crs=4326)
        _geojson_layer(m, line, name="Centre trajectory", fill=None, popup_fields=["path"],
                       line_color="#222222", weight=2.5, dash="4 4")
    if popup_fields is None:
        popup_fields = [c for c in (by, "n", "shift_m", "shift_bearing_deg",
                                    "cumulative_shift_m", "std_distance_m", "major_m", "minor_m",
                                    "rotation_deg", "ellipse_area_km2", "nni_R", "nni_p",
                                    "nni_pattern") if c in cg.columns]
        if not popup_fields:
            popup_fields = [c for c in cg.columns if c != cg.geometry.name][:12]
    layer = _geojson_layer(m, cg, name=name, fill=fill, popup_fields=popup_fields,
                           fill_opacity=1.0, weight=1.5, line_color="#000000", marker_radius=7)
    note = "Line: trajectory of the mean centre"
    if ellipses is not None and len(ellipses):
        note += "; outlines: standard deviational ellipses"
    CategoricalLegend(f"{name} by {by}", items, shape="circle", layer=layer,
                      note=note).add_to(m)
    _finish(m, _bounds(cg))
    return m


def _centres_and_ellipses(trends, *, by, centre_col, ellipse_col):
    """(centres GeoDataFrame, ellipses GeoDataFrame or None, period column) from the input."""
    import geopandas as gpd

    if hasattr(trends, "centres_gdf"):          # centrography.CentreTrendsResult
        by = getattr(trends, "by", by)
        centres = trends.centres_gdf()
        ellipses = getattr(trends, "ellipses", None)
        return centres, ellipses, by
    if not isinstance(trends, gpd.GeoDataFrame):
        raise InputDataError(
            "explore_centres needs centrography.centre_trends(...) or a GeoDataFrame of "
            f"centres; got {type(trends).__name__}.")
    df = trends
    if df.crs is None:
        raise CRSError("the centre table has no CRS; cannot place the centres on a map.")
    if centre_col is None:
        centre_col = next((c for c in ("mean_centre", "mean_center", "centre", "center")
                           if c in df.columns and _is_geom_col(df[c])), df.geometry.name)
    if ellipse_col is None:
        ellipse_col = next((c for c in ("ellipse", "sde", "sde_geometry", "sde_polygon")
                            if c in df.columns and _is_geom_col(df[c])), None)
    scalars = [c for c in df.columns
               if c not in (centre_col, ellipse_col, df.geometry.name) and not _is_geom_col(df[c])]
    centres = gpd.GeoDataFrame(df[scalars].copy(), geometry=gpd.GeoSeries(
        np.asarray(df[centre_col]), crs=df.crs, index=df.index), crs=df.crs)
    bad = set(centres.geometry.geom_type.unique()) - {"Point"}
    if bad:
        raise GeometryTypeError(f"centres must be points; got {sorted(bad)}.")
    ellipses = None
    if ellipse_col is not None:
        ellipses = gpd.GeoDataFrame(df[scalars].copy(), geometry=gpd.GeoSeries(
            np.asarray(df[ellipse_col]), crs=df.crs, index=df.index), crs=df.crs)
        ellipses = ellipses[~(ellipses.geometry.isna() | ellipses.geometry.is_empty)]
    return centres, ellipses, by


def _is_geom_col(s: pd.Series) -> bool:
    from shapely.geometry.base import BaseGeometry

    if str(s.dtype) == "geometry":
        return True
    first = s.dropna()
    return len(first) > 0 and isinstance(first.iloc[0], BaseGeometry)


# --------------------------------------------------------------------------- output
def to_html(m, *, offline: bool = True) -> str:
    """The complete HTML page of a map (or dual map); ``offline`` inlines all JS and CSS."""
    from ._offline import inline_assets

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
