"""Self-contained HTML for :func:`taobao_geo.maps.save_map`: every CDN script and style inlined.

folium pages load Leaflet and its plugins from jsDelivr/cdnjs/unpkg. Those hosts are often
unreachable from mainland China (folium#1593) and never reachable on an offline machine, where
the page then never initialises (``typeof L`` stays undefined). folium leaves offline use out of
scope (folium#351, #1368, #1985).

We do not copy third-party JavaScript into this repository. The assets come from the declared
dependency ``folium-offline`` (MIT, Sandia National Laboratories), whose ``offlinefolium.elements``
module holds the exact files folium 0.20 links to, keyed by their CDN URL (with fonts and icons
already turned into ``data:`` URIs). At save time each ``<script src=URL>`` / ``<link href=URL>``
tag in the rendered page is replaced by the file's contents.
"""

from __future__ import annotations

import re

from .._errors import TaobaoGeoError

__all__ = ["inline_assets", "cdn_urls"]

_SCRIPT = re.compile(r'<script\s+src="(?P<url>(?:https?:)?//[^"]+)"\s*>\s*</script>')
_LINK = re.compile(r'<link\s+rel="stylesheet"\s+href="(?P<url>(?:https?:)?//[^"]+)"\s*/?>')


def _assets() -> dict[str, str]:
    try:
        from offlinefolium.elements import _res
    except ImportError as err:  # pragma: no cover - folium-offline is a declared dependency
        raise ImportError(
            "offline maps need the 'folium-offline' package (it ships folium's JavaScript and "
            "CSS); install it with `pip install folium-offline` or save with offline=False."
        ) from err
    return _res


def cdn_urls(page: str) -> list[str]:
    """Every external script / stylesheet URL referenced by a rendered page."""
    return [m.group("url") for m in _SCRIPT.finditer(page)] + [
        m.group("url") for m in _LINK.finditer(page)
    ]


def _lookup(assets: dict[str, str], url: str) -> str | None:
    if url.startswith("//"):
        url = "https:" + url
    if url in assets:
        return assets[url]
    # jQuery is linked from two hosts with identical content.
    alt = url.replace("http://", "https://")
    return assets.get(alt)


def inline_assets(page: str) -> str:
    """Replace every CDN ``<script src>`` and stylesheet ``<link>`` by the inlined file.

    Raises
    ------
    TaobaoGeoError
        If the page links to a file that is not available offline (so ``offline=True`` is a
        guarantee, not a best effort); the message lists the URLs.
    """
    assets = _assets()
    missing = [u for u in cdn_urls(page) if _lookup(assets, u) is None]
    if missing:
        raise TaobaoGeoError(
            "cannot make the map self-contained: no offline copy of "
            + ", ".join(sorted(set(missing)))
            + ". Remove the plugin that needs it, or save with offline=False (CDN links)."
        )

    def _js(m: re.Match) -> str:
        code = _lookup(assets, m.group("url"))
        # A literal "</script" inside the code would end the inline block early.
        code = code.replace("</script", "<\\/script")
        return f"<script>/* inlined from {m.group('url')} */\n{code}\n</script>"

    def _css(m: re.Match) -> str:
        css = _lookup(assets, m.group("url")).replace("</style", "<\\/style")
        return f"<style>/* inlined from {m.group('url')} */\n{css}\n</style>"

    # Use functions as replacements so backslashes in the assets are not treated as escapes.
    page = _SCRIPT.sub(_js, page)
    return _LINK.sub(_css, page)
