"""The branca/folium elements the maps add: the village data block, the shared JS/CSS helpers,
a non-animated fit-bounds, a layer control that escapes layer names and the asset guard.

The element classes are built on first use (``functools.cache``) so that importing
:mod:`taobao_geo.maps` does not import folium.
"""

from __future__ import annotations

import functools

from .._html import escape_text, js_json, verbatim
from ._assets import asset_text


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


# Client-side helpers (assets/helpers.js), put in the page header once. Popups are DOM nodes
# filled with textContent, so user text can never become markup.
_HELPERS_JS = "\n<script>\n" + asset_text("helpers.js") + "</script>\n"


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


@functools.cache
def _layer_control_class():
    folium = _folium()
    from branca.element import MacroElement

    class LayerControl(folium.LayerControl):
        """folium's layer control with the layer names escaped: Leaflet shows them as HTML, so
        a county called ``<img onerror=...>`` would otherwise run its script.
        """

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
        glyphicon "awesome markers"), put folium's usual assets back, at render time.
        """

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
        levels, and a view set while that animation runs is overridden when it ends).
        """

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
