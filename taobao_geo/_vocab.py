"""The LISA and Gi* vocabulary, defined once: codes, the values results report, legend labels
(per language) and colours.

The statistics (:mod:`taobao_geo.local`), the interactive maps (:mod:`taobao_geo.maps`), the
briefing (:mod:`taobao_geo.report`) and :mod:`taobao_geo.palettes` all read these constants, so
the label a result reports is the label the map legend shows. Plain data: no third-party imports.

* LISA classes follow GeoDa: codes ``HH``, ``LL``, ``LH``, ``HL``, ``ns`` (not significant) and
  ``island`` (no neighbours), coloured as GeoDa's LISA cluster map (esda's ``colors5`` too).
* Gi* bins follow ArcGIS Pro's *Hot Spot Analysis* ``Gi_Bin``: -3 ... +3 = cold ... hot spot at
  99/95/90 % confidence, with ArcGIS's renderer colours and legend wording.
"""

from __future__ import annotations

__all__ = [
    "QUADRANTS",
    "NOT_SIGNIFICANT",
    "ISLAND",
    "LISA_VALUES",
    "LISA_COLOURS",
    "LISA_VALUE_COLOURS",
    "LISA_ORDER",
    "LISA_LABELS",
    "LISA_LABELS_BY_LANG",
    "GI_BINS",
    "GI_BIN_COLOURS",
    "GI_BIN_LABELS",
    "GI_BIN_LABELS_BY_LANG",
    "lisa_code",
]

#: Quadrant codes, in esda's ``q`` order (1 = HH, 2 = LH, 3 = LL, 4 = HL).
QUADRANTS: tuple[str, ...] = ("HH", "LH", "LL", "HL")

#: Value of a result's label column for a unit that is not significant.
NOT_SIGNIFICANT = "not significant"
#: Value of a result's label column for a unit without neighbours (dropped as an island).
ISLAND = "island (no neighbours)"

#: LISA code -> the value :func:`taobao_geo.local.local_moran` writes in its ``cluster`` column.
LISA_VALUES: dict[str, str] = {
    "HH": "HH",
    "LL": "LL",
    "LH": "LH",
    "HL": "HL",
    "ns": NOT_SIGNIFICANT,
    "island": ISLAND,
}

#: GeoDa LISA cluster colours, keyed by the LISA code.
LISA_COLOURS: dict[str, str] = {
    "HH": "#FF0000",  # High-High (hot spot)
    "LL": "#0000FF",  # Low-Low (cold spot)
    "LH": "#A7ADF9",  # Low-High (low outlier among high)
    "HL": "#F4ADA8",  # High-Low (high outlier among low)
    "ns": "#EEEEEE",  # not significant
    "island": "#999999",  # no neighbours (GeoDa "Isolated")
}

#: The same colours keyed by the values a LISA result reports (``HH`` ... ``not significant``).
LISA_VALUE_COLOURS: dict[str, str] = {LISA_VALUES[c]: LISA_COLOURS[c] for c in LISA_COLOURS}

#: Order used in legends (GeoDa order); islands are listed only when present.
LISA_ORDER: tuple[str, ...] = ("ns", "HH", "LL", "LH", "HL", "island")

#: Legend text for each LISA code, per language (English in GeoDa's wording).
LISA_LABELS_BY_LANG: dict[str, dict[str, str]] = {
    "en": {
        "HH": "High-High",
        "LL": "Low-Low",
        "LH": "Low-High",
        "HL": "High-Low",
        "ns": "Not significant",
        "island": "Island (no neighbours)",
    },
    "zh": {
        "HH": "高-高",
        "LL": "低-低",
        "LH": "低-高",
        "HL": "高-低",
        "ns": "不显著",
        "island": "孤立单元（无邻居）",
    },
}
#: English legend text for each LISA code (what the maps and the report show).
LISA_LABELS: dict[str, str] = LISA_LABELS_BY_LANG["en"]

#: Gi* bins in legend order (hot to cold).
GI_BINS: tuple[int, ...] = (3, 2, 1, 0, -1, -2, -3)

#: ArcGIS Pro Gi* hot/cold spot colours keyed by ``gi_bin`` (-3 ... 3).
GI_BIN_COLOURS: dict[int, str] = {
    -3: "#4575B5",  # cold spot, 99 % confidence
    -2: "#849EBA",  # cold spot, 95 %
    -1: "#C0CCBE",  # cold spot, 90 %
    0: "#FFFFBF",  # not significant
    1: "#FAB984",  # hot spot, 90 %
    2: "#ED7551",  # hot spot, 95 %
    3: "#D62F27",  # hot spot, 99 %
}

#: Text for each ``gi_bin``, per language (English in ArcGIS's legend wording). It is both the
#: ``gi_label`` a Gi* result reports and the map legend's text.
GI_BIN_LABELS_BY_LANG: dict[str, dict[int, str]] = {
    "en": {
        -3: "Cold spot - 99% confidence",
        -2: "Cold spot - 95% confidence",
        -1: "Cold spot - 90% confidence",
        0: "Not significant",
        1: "Hot spot - 90% confidence",
        2: "Hot spot - 95% confidence",
        3: "Hot spot - 99% confidence",
    },
    "zh": {
        -3: "冷点 - 99% 置信度",
        -2: "冷点 - 95% 置信度",
        -1: "冷点 - 90% 置信度",
        0: "不显著",
        1: "热点 - 90% 置信度",
        2: "热点 - 95% 置信度",
        3: "热点 - 99% 置信度",
    },
}
#: English text for each ``gi_bin``.
GI_BIN_LABELS: dict[int, str] = GI_BIN_LABELS_BY_LANG["en"]

_LISA_ALIASES = {
    "hh": "HH",
    "high-high": "HH",
    "high high": "HH",
    "hot spot": "HH",
    "1": "HH",
    "ll": "LL",
    "low-low": "LL",
    "low low": "LL",
    "cold spot": "LL",
    "3": "LL",
    "lh": "LH",
    "low-high": "LH",
    "low high": "LH",
    "2": "LH",
    "hl": "HL",
    "high-low": "HL",
    "high low": "HL",
    "4": "HL",
    "ns": "ns",
    "not significant": "ns",
    "n.s.": "ns",
    "": "ns",
    "0": "ns",
    "none": "ns",
    "nan": "ns",
    "island": "island",
    "island (no neighbours)": "island",
    "isolated": "island",
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
