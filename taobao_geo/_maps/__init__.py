"""Internals of :mod:`taobao_geo.maps` (the public module): the map layer's private parts.

* :mod:`._assets` -- the JavaScript and CSS shipped as package files in ``assets/``.
* :mod:`._legend` -- legends, the title box and the datum note (Leaflet controls).
* :mod:`._offline` -- inlining of every CDN script and stylesheet for offline pages.
* :mod:`._tiles` -- base-map providers, their datums and the tile layers of a new map.
* :mod:`._elements` -- the branca/folium elements we add (village data block, helpers,
  fit-bounds, escaped layer control, asset guard).
* :mod:`._layers` -- GeoJSON layers with client-side popups and the data preparation they share.
* :mod:`._raster` -- the density image: Web Mercator warp, GCJ-02 resampling, PNG data URL.

Only :mod:`taobao_geo.maps` should import from here; the import paths may change.
"""
