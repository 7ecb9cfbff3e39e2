"""Colour palettes shared by the interactive maps and the briefing report.

One constant per convention, so that a LISA map in the browser, a PNG in the briefing and a
legend all use the same colours as the tools our users know:

* :data:`LISA_COLOURS` -- GeoDa's LISA cluster map (High-High red, Low-Low blue, Low-High light
  blue, High-Low light red, not significant light grey; esda's ``colors5`` are the same hues).
* :data:`GI_BIN_COLOURS` -- ArcGIS Pro's *Hot Spot Analysis (Getis-Ord Gi*)* renderer for the
  ``Gi_Bin`` field (-3 = cold spot 99 % confidence ... +3 = hot spot 99 % confidence).

No third-party imports: the report can use these without folium.
"""

from __future__ import annotations

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

#: GeoDa LISA cluster colours, keyed by the short cluster code.
LISA_COLOURS: dict[str, str] = {
    "HH": "#FF0000",   # High-High (hot spot)
    "LL": "#0000FF",   # Low-Low (cold spot)
    "LH": "#A7ADF9",   # Low-High (low outlier among high)
    "HL": "#F4ADA8",   # High-Low (high outlier among low)
    "ns": "#EEEEEE",   # not significant
    "island": "#999999",  # no neighbours (GeoDa "Isolated")
}

#: Legend text for each LISA code, in GeoDa's wording.
LISA_LABELS: dict[str, str] = {
    "HH": "High-High",
    "LL": "Low-Low",
    "LH": "Low-High",
    "HL": "High-Low",
    "ns": "Not significant",
    "island": "Island (no neighbours)",
}

#: Order used in legends (GeoDa order); islands are listed only when present.
LISA_ORDER: tuple[str, ...] = ("ns", "HH", "LL", "LH", "HL", "island")

#: ArcGIS Pro Gi* hot/cold spot colours keyed by ``gi_bin`` (-3 ... 3).
GI_BIN_COLOURS: dict[int, str] = {
    -3: "#4575B5",  # cold spot, 99 % confidence
    -2: "#849EBA",  # cold spot, 95 %
    -1: "#C0CCBE",  # cold spot, 90 %
    0: "#FFFFBF",   # not significant
    1: "#FAB984",   # hot spot, 90 %
    2: "#ED7551",   # hot spot, 95 %
    3: "#D62F27",   # hot spot, 99 %
}

#: ArcGIS legend text for each ``gi_bin``.
GI_BIN_LABELS: dict[int, str] = {
    -3: "Cold spot - 99% confidence",
    -2: "Cold spot - 95% confidence",
    -1: "Cold spot - 90% confidence",
    0: "Not significant",
    1: "Hot spot - 90% confidence",
    2: "Hot spot - 95% confidence",
    3: "Hot spot - 99% confidence",
}

#: Matplotlib colormap name for density surfaces (light yellow -> dark red, as ArcGIS KDE).
DENSITY_CMAP = "YlOrRd"

#: Qualitative colours for categories such as years (ColorBrewer Set1 / Dark2 mix).
CATEGORY_COLOURS: tuple[str, ...] = (
    "#1B9E77", "#D95F02", "#7570B3", "#E7298A", "#66A61E", "#E6AB02", "#A6761D",
    "#377EB8", "#E41A1C", "#984EA3", "#FF7F00", "#4DAF4A",
)

_LISA_ALIASES = {
    "hh": "HH", "high-high": "HH", "high high": "HH", "hot spot": "HH", "1": "HH",
    "ll": "LL", "low-low": "LL", "low low": "LL", "cold spot": "LL", "3": "LL",
    "lh": "LH", "low-high": "LH", "low high": "LH", "2": "LH",
    "hl": "HL", "high-low": "HL", "high low": "HL", "4": "HL",
    "ns": "ns", "not significant": "ns", "n.s.": "ns", "": "ns", "0": "ns", "none": "ns",
    "nan": "ns",
    "island": "island", "island (no neighbours)": "island", "isolated": "island",
    "neighborless": "island",
}


def lisa_code(label) -> str:
    """Normalise a LISA cluster label (``"HH"``, ``"High-High"``, esda quadrant 1-4, ...) to a code.

    esda's ``q`` quadrants are 1 = HH, 2 = LH, 3 = LL, 4 = HL; significance is applied
    separately (0 or a missing value means not significant).

    Raises
    ------
    ValueError
        If the label is not a known LISA category.
    """
    key = str(label).strip().lower()
    if key.endswith(".0"):
        key = key[:-2]
    if key in _LISA_ALIASES:
        return _LISA_ALIASES[key]
    raise ValueError(
        f"unknown LISA cluster label {label!r}; expected one of HH, LL, LH, HL, ns "
        "(or High-High, Low-Low, Low-High, High-Low, Not significant)."
    )
