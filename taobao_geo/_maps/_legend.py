"""On-map annotations for :mod:`taobao_geo.maps`: legends, the title box and the datum note.

folium has no legend (folium#528, #454, #1564): users paste HTML macros. These are small branca
``MacroElement`` s that add a Leaflet control to the map, so they stay inside the map when it
goes full screen and they work in a :class:`folium.plugins.DualMap` panel.

Every piece of text is escaped with :func:`taobao_geo._html.escape_text` in Python before it
becomes HTML, and the HTML is handed to JavaScript through Jinja's ``tojson`` (which escapes ``<``, ``>``, ``&``), so a
column or category called ``<script>`` is shown as text.
"""

from __future__ import annotations

import numpy as np
from branca.element import Figure, MacroElement
from jinja2 import Template

from .._html import escape_text, verbatim
from ._assets import asset_text

__all__ = ["CategoricalLegend", "ContinuousLegend", "MapTitle", "DatumNote", "add_css"]

# The shared stylesheet (assets/legend.css), in the page header once.
_CSS = "\n<style>\n" + asset_text("legend.css") + "</style>\n"

# Leaflet has no top-centre control corner; this adds one (once per map).
_CONTROL_SCRIPT = Template(
    """
    {% macro script(this, kwargs) %}
    (function() {
        var map = {{ this._parent.get_name() }};
        if (!map._controlCorners['topcenter']) {
            map._controlCorners['topcenter'] = L.DomUtil.create(
                'div', 'leaflet-top leaflet-center', map._controlContainer);
        }
        var ctl = L.control({position: {{ this.position|tojson }}});
        ctl.onAdd = function() {
            var div = L.DomUtil.create('div', {{ this.css_class|tojson }});
            div.innerHTML = {{ this.html|tojson }};
            div.setAttribute('data-tg', {{ this.kind|tojson }});
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        ctl.addTo(map);
        {%- if this.layer is not none %}
        // Show the legend only while its layer is switched on in the layer control.
        var layer = {{ this.layer.get_name() }};
        map.on('overlayadd', function(e) { if (e.layer === layer) { ctl.addTo(map); } });
        map.on('overlayremove', function(e) { if (e.layer === layer) { ctl.remove(); } });
        {%- endif %}
    })();
    {% endmacro %}
    """
)


def add_css(element: MacroElement) -> None:
    """Put the shared CSS in the page header once (idempotent: same name replaces)."""
    figure = element.get_root()
    if isinstance(figure, Figure):
        figure.header.add_child(verbatim(_CSS), name="taobao_geo_css")


class _Control(MacroElement):
    """A Leaflet control holding fixed, pre-escaped HTML."""

    _template = _CONTROL_SCRIPT
    kind = "control"
    css_class = "tg-box"

    def __init__(self, inner_html: str, *, position: str, layer=None):
        super().__init__()
        self._name = "TaobaoGeoControl"
        self.html = inner_html
        self.position = position
        self.layer = layer

    def render(self, **kwargs):
        add_css(self)
        super().render(**kwargs)


_esc = escape_text


class CategoricalLegend(_Control):
    """Legend with one coloured swatch per category.

    Parameters
    ----------
    title
        Legend heading (escaped).
    items
        ``[(label, colour), ...]`` in display order (labels escaped).
    note
        Small print under the swatches, e.g. significance level and correction.
    shape
        ``"square"`` (filled polygons), ``"circle"`` (points) or ``"outline"`` (boundaries).
    layer
        The folium layer the legend describes: the legend hides while that layer is switched
        off in the layer control.
    """

    kind = "legend"
    css_class = "tg-box tg-legend"

    def __init__(
        self,
        title: str,
        items,
        *,
        note: str | None = None,
        shape: str = "square",
        position: str = "bottomright",
        layer=None,
    ):
        def swatch(colour):
            if shape == "outline":  # boundaries: the line colour, no fill
                return f"background:transparent;border:2px solid {_esc(colour)}"
            return f"background:{_esc(colour)}"

        rows = "".join(
            f'<div class="tg-row"><span class="tg-sw{" tg-circle" if shape == "circle" else ""}"'
            f' style="{swatch(colour)}"></span><span>{_esc(label)}</span></div>'
            for label, colour in items
        )
        note_html = f'<div class="tg-ln">{_esc(note)}</div>' if note else ""
        super().__init__(
            f'<div class="tg-lt">{_esc(title)}</div>{rows}{note_html}',
            position=position,
            layer=layer,
        )
        self.title = title
        self.items = list(items)


class ContinuousLegend(_Control):
    """Colour bar legend for a continuous surface.

    Parameters
    ----------
    title
        Heading, including units (e.g. ``"Villages per km²"``).
    colours
        Colours from the low to the high end (hex strings), drawn as a CSS gradient.
    vmin, vmax
        Values at the two ends of the bar.
    ticks
        Number of tick labels (evenly spaced).
    """

    kind = "legend"
    css_class = "tg-box tg-legend"

    def __init__(
        self,
        title: str,
        colours,
        vmin: float,
        vmax: float,
        *,
        ticks: int = 5,
        note: str | None = None,
        position: str = "bottomright",
        layer=None,
    ):
        stops = ",".join(_esc(c) for c in colours)
        values = np.linspace(vmin, vmax, ticks)
        tick_html = "".join(f"<span>{_esc(_fmt(v))}</span>" for v in values)
        note_html = f'<div class="tg-ln">{_esc(note)}</div>' if note else ""
        super().__init__(
            f'<div class="tg-lt">{_esc(title)}</div>'
            f'<div class="tg-bar" style="background:linear-gradient(to right,{stops})"></div>'
            f'<div class="tg-ticks">{tick_html}</div>{note_html}',
            position=position,
            layer=layer,
        )
        self.title = title
        self.vmin, self.vmax = float(vmin), float(vmax)


class MapTitle(_Control):
    """Title box at the top centre; ``simulated=True`` adds a red SIMULATED DATA badge."""

    kind = "title"
    css_class = "tg-box tg-title"

    def __init__(self, title: str, *, subtitle: str | None = None, simulated: bool = False):
        sub = f'<div class="tg-sub">{_esc(subtitle)}</div>' if subtitle else ""
        sim = (
            '<div class="tg-sim">SIMULATED DATA - not real village locations</div>'
            if simulated
            else ""
        )
        super().__init__(f"<div>{_esc(title)}</div>{sub}{sim}", position="topcenter")
        self.title = title


class DatumNote(_Control):
    """States which datum the overlays are drawn in (WGS 84 or GCJ-02) and why."""

    kind = "datum"
    css_class = "tg-box tg-datum"

    def __init__(self, text: str):
        super().__init__(_esc(text), position="bottomleft")
        self.text = text


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 1:
        return f"{v:.3g}"
    return f"{v:.2g}"
