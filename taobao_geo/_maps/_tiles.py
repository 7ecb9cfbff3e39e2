"""Base-map providers (tiles), their datums (WGS 84, or GCJ-02 for Amap) and the tile layers."""

from __future__ import annotations

from .._errors import TaobaoGeoError

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
        "url": (
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
            "&style=8&x={x}&y={y}&z={z}"
        ),
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
        "url": (
            "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            "&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
        ),
        "labels": (
            "https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            "&VERSION=1.0.0&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
        ),
        "attr": "&copy; 天地图 Tianditu (CGCS2000)",
        "datum": "wgs84",
        "subdomains": "01234567",
    },
}


_TILE_ALIASES = {
    "openstreetmap": "osm",
    "cartodb positron": "carto",
    "cartodbpositron": "carto",
    "positron": "carto",
    "gaode": "amap",
    "autonavi": "amap",
    "tdt": "tianditu",
}


_DATUM_TEXT = {
    "wgs84": "Overlays in WGS 84 (EPSG:4326), matching the base map.",
    "gcj02": (
        "Overlays shifted WGS 84 -> GCJ-02 to match the Amap base map "
        "(GCJ-02, China's obfuscated datum)."
    ),
}


def _tile_keys(tiles) -> list[str]:
    if isinstance(tiles, str):
        tiles = [tiles]
    keys = []
    for t in tiles:
        k = _TILE_ALIASES.get(str(t).strip().lower(), str(t).strip().lower())
        if k not in TILES:
            raise TaobaoGeoError(
                f"unknown tiles {t!r}; choose from {', '.join(TILES)} "
                "(amap and tianditu are reachable from mainland China)."
            )
        keys.append(k)
    if not keys:
        raise TaobaoGeoError("`tiles` must name at least one base map, e.g. tiles='carto'.")
    datums = {TILES[k]["datum"] for k in keys}
    if len(datums) > 1:
        raise TaobaoGeoError(
            f"tiles {keys} mix GCJ-02 (Amap) and WGS 84 providers; overlays can only line up "
            "with one datum. Use Amap alone, or WGS 84 providers (osm, carto, tianditu)."
        )
    return keys


def _add_tiles(m, keys: list[str], *, tile_key: str | None) -> None:
    """Add the base layers of ``keys`` (the first shown), with the provider's key in the URL."""
    from ._elements import _folium

    folium = _folium()
    for i, k in enumerate(keys):
        spec = TILES[k]
        url = spec["url"]
        if "{key}" in url:
            if not tile_key:
                raise TaobaoGeoError(
                    "Tianditu tiles need a (free) key: base_map(tiles='tianditu', "
                    "tile_key='...'), from https://console.tianditu.gov.cn/ ."
                )
            url = url.replace("{key}", tile_key)
        elif tile_key and "key_param" in spec:
            url += spec["key_param"].replace("{key}", tile_key)
        folium.TileLayer(
            tiles=url,
            attr=spec["attr"],
            name=spec["name"],
            overlay=False,
            control=True,
            show=(i == 0),
            subdomains=spec["subdomains"],
            max_zoom=18,
        ).add_to(m)
        if "labels" in spec:
            folium.TileLayer(
                tiles=spec["labels"].replace("{key}", tile_key),
                attr=spec["attr"],
                name=spec["name"] + " labels",
                overlay=True,
                control=True,
                subdomains=spec["subdomains"],
                max_zoom=18,
            ).add_to(m)
