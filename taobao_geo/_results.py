"""Shared behaviour of the small frozen result objects.

Each result is a ``@dataclass(frozen=True)`` that inherits :class:`ResultMixin` and implements
``to_frame()`` (a tidy table) and ``summary()`` (plain-language lines). The mixin adds a
readable ``__repr__``-like text, an HTML representation for notebooks and ``to_dict()`` for
``--json`` output.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ResultMixin", "jsonable"]


def jsonable(value: Any) -> Any:
    """Convert numpy / pandas / shapely scalars and containers to JSON-serialisable values."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return None  # tables go to files, not into the JSON summary
    if hasattr(value, "wkt"):
        return value.wkt
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    return str(value)


class ResultMixin:
    """Mixin for frozen dataclass results: ``to_dict``, ``__str__`` and ``_repr_html_``."""

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - every result overrides it
        raise NotImplementedError

    def summary(self) -> str:  # pragma: no cover - every result overrides it
        raise NotImplementedError

    def to_dict(self) -> dict:
        """Scalar fields as a JSON-ready dict (arrays, frames and geometries left out or as WKT)."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, (np.ndarray, pd.DataFrame, pd.Series)) or hasattr(v, "geometry"):
                continue
            out[f.name] = jsonable(v)
        return out

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        from ._html import escape_text

        lines = "".join(f"<li>{escape_text(line)}</li>" for line in self.summary().splitlines())
        table = self.to_frame().head(20).to_html(escape=True)
        return f"<b>{escape_text(type(self).__name__)}</b><ul>{lines}</ul>{table}"
