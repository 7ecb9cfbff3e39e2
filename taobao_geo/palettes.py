"""Colour palettes shared by the interactive maps and the briefing report.

One constant per convention, so that a LISA map in the browser, a PNG in the briefing and a
legend all use the same colours as the tools our users know:

* :data:`LISA_COLOURS` -- GeoDa's LISA cluster map (High-High red, Low-Low blue, Low-High light
  blue, High-Low light red, not significant light grey; esda's ``colors5`` are the same hues).
* :data:`GI_BIN_COLOURS` -- ArcGIS Pro's *Hot Spot Analysis (Getis-Ord Gi*)* renderer for the
  ``Gi_Bin`` field (-3 = cold spot 99 % confidence ... +3 = hot spot 99 % confidence).

The LISA and Gi* names and colours are defined once, in :mod:`taobao_geo._vocab`, and
re-exported here. No third-party imports: the report can use these without folium.
"""

from __future__ import annotations

from ._vocab import (
    GI_BIN_COLOURS,
    GI_BIN_LABELS,
    LISA_COLOURS,
    LISA_LABELS,
    LISA_ORDER,
    lisa_code,
)

__all__ = [
    "LISA_COLOURS",
    "LISA_LABELS",
    "LISA_ORDER",
    "GI_BIN_COLOURS",
    "GI_BIN_LABELS",
    "DENSITY_CMAP",
    "CATEGORY_COLOURS",
    "lisa_code",
]

#: Matplotlib colormap name for density surfaces (light yellow -> dark red, as ArcGIS KDE).
DENSITY_CMAP = "YlOrRd"

#: Qualitative colours for categories such as years (ColorBrewer Set1 / Dark2 mix).
CATEGORY_COLOURS: tuple[str, ...] = (
    "#1B9E77",
    "#D95F02",
    "#7570B3",
    "#E7298A",
    "#66A61E",
    "#E6AB02",
    "#A6761D",
    "#377EB8",
    "#E41A1C",
    "#984EA3",
    "#FF7F00",
    "#4DAF4A",
)
