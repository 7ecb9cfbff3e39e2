"""The map pages' own JavaScript and CSS, kept as package files (``assets/``), not Python strings.

They are read with :mod:`importlib.resources`, so they are found in an installed wheel as well
as in a source checkout (pyproject's ``package-data`` ships ``assets/*``).
"""

from __future__ import annotations

import functools
from importlib import resources

__all__ = ["asset_text", "ASSETS"]

#: Every file of ``assets/`` (checked by the tests against the installed package).
ASSETS = ("helpers.js", "legend.css")


@functools.cache
def asset_text(name: str) -> str:
    """Text of one file of ``taobao_geo/_maps/assets`` (UTF-8)."""
    if name not in ASSETS:
        raise KeyError(f"no map asset {name!r}; the assets are {', '.join(ASSETS)}.")
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")
