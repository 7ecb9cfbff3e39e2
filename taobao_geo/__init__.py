"""taobao_geo: spatial analysis of China's Taobao Villages.

Modules (imported lazily so that ``import taobao_geo`` stays fast for the CLI):

* ``io``, ``coords``, ``projection``, ``datasets``, ``geocode`` -- loading, datum and CRS;
* ``nni``, ``ripley``, ``centrography`` -- point-pattern statistics;
* ``density`` -- kernel density and high-density cores;
* ``units``, ``weights``, ``autocorrelation``, ``local`` -- aggregation, weights, Moran/Geary/G, LISA and Gi*;
* ``maps`` -- interactive folium maps (the only module that imports folium);
* ``compare``, ``report``, ``pipeline`` -- county comparison, briefings, the main job.
"""

from __future__ import annotations

import importlib

# The only place that holds the version number (pyproject.toml reads it from here).
__version__ = "0.1.0"

from ._errors import (  # noqa: E402
    AlignmentError,
    CRSError,
    GeometryTypeError,
    InputDataError,
    NotApplicableError,
    OptionError,
    TaobaoGeoError,
    TooFewPointsError,
)

_SUBMODULES = {
    "io",
    "coords",
    "projection",
    "datasets",
    "geocode",
    "nni",
    "ripley",
    "centrography",
    "windows",
    "density",
    "units",
    "weights",
    "autocorrelation",
    "local",
    "maps",
    "compare",
    "report",
    "pipeline",
}

__all__ = [
    "AlignmentError",
    "CRSError",
    "GeometryTypeError",
    "InputDataError",
    "TaobaoGeoError",
    "NotApplicableError",
    "OptionError",
    "TooFewPointsError",
    "__version__",
    *sorted(_SUBMODULES),
]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'taobao_geo' has no attribute {name!r}")
