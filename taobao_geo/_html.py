"""The one way user text reaches the HTML pages the package writes (maps, briefings, comparisons).

User text (village, town and county names, titles, file names, attribute values) is *data*. It
reaches a page only in two forms:

* as HTML text through :func:`escape_text` (element content and quoted attribute values), or
* as a JavaScript value through :func:`js_json` (JSON that cannot close its ``<script>``).

It is never template source. branca/folium compile the output of every element's macros a second
time as a Jinja2 template (``MacroElement.render`` wraps it in ``Element(text)``, and
``Element(template)`` compiles its argument), so a village called ``{{7*7}}`` would show as 49 and
``{{ cycler.__init__.__globals__.os... }}`` would run a command. :func:`render_page` renders a
folium/branca figure with that second compilation switched off: macro output is kept verbatim
(:func:`verbatim`). Fixed markup that the package puts into a page is a :func:`verbatim` element
too, never ``Element(markup)``.
"""

from __future__ import annotations

import functools
import html
import json
import threading
from typing import Any

# branca is imported inside the functions: escape_text/js_json are usable without it.

__all__ = ["escape_text", "js_json", "verbatim", "render_page"]


def escape_text(value: Any) -> str:
    """HTML-escape ``value`` (``None`` -> ``""``) for element text or a quoted attribute value."""
    return html.escape("" if value is None else str(value), quote=True)


def js_json(obj: Any) -> str:
    """JSON for a ``<script>`` block: compact, UTF-8, and unable to close the script element.

    ``<``, ``>`` and ``&`` are written as ``\\u003c``... (no ``</script>``, no ``<!--``), and
    U+2028/U+2029 as escapes (line terminators in older JavaScript engines).
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


@functools.cache
def _verbatim_class():
    from branca.element import Element

    class Verbatim(Element):
        """A branca element whose content is emitted as is: never compiled as a template."""

        def __init__(self, text: str):
            super().__init__()
            self._name = "Verbatim"
            self.text = str(text)

        def render(self, **kwargs) -> str:
            return self.text

    return Verbatim


def verbatim(text: str):
    """A branca element holding fixed markup ``text``, emitted as is (``Element(text)`` would
    compile it as a Jinja2 template).
    """
    return _verbatim_class()(text)


def _add_macros(element, figure, kwargs: dict) -> None:
    # As branca's MacroElement.render, with the macro output kept verbatim instead of being
    # passed to Element(), which would compile it as a template a second time.
    module = element._template.module.__dict__
    for part in ("header", "html", "script"):
        macro = module.get(part)
        if macro is not None:
            getattr(figure, part).add_child(
                verbatim(macro(element, kwargs)), name=element.get_name()
            )


def _macro_render(self, **kwargs):
    from branca.element import Figure

    figure = self.get_root()
    assert isinstance(figure, Figure), "You cannot render this Element if it is not in a Figure."
    _add_macros(self, figure, kwargs)
    for child in self._children.values():
        child.render(**kwargs)


def _div_render(self, **kwargs):
    from branca.element import Figure

    figure = self._parent
    assert isinstance(figure, Figure), "You cannot render this Element if it is not in a Figure."
    for child in self._children.values():
        child.render(**kwargs)
    for name, child in self.header._children.items():
        figure.header.add_child(child, name=name)
    for name, child in self.script._children.items():
        figure.script.add_child(child, name=name)
    _add_macros(self, figure, kwargs)


_LOCK = threading.RLock()


def render_page(element) -> str:
    """The HTML page of a folium map (or any branca element), user text never compiled.

    branca's two render methods that re-compile macro output are replaced for the duration of
    this call only (so other folium code in the process keeps its behaviour); a lock keeps
    concurrent renders from seeing each other's replacement.
    """
    from branca.element import Div, MacroElement

    root = element.get_root()
    with _LOCK:
        saved = MacroElement.render, Div.render
        MacroElement.render, Div.render = _macro_render, _div_render
        try:
            return root.render()
        finally:
            MacroElement.render, Div.render = saved
