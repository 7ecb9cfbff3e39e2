"""Real layers shipped with taobao_geo (WGS 84), loadable from an installed package.

>>> from taobao_geo import datasets
>>> datasets.names()                                   # doctest: +NORMALIZE_WHITESPACE
['china_counties', 'taobao_villages', 'taobao_towns_2016', 'caoxian_boundary', 'caoxian_towns',
 'caoxian_villages_simulated']
>>> v = datasets.load("taobao_villages", year=2016)
>>> len(v), v.crs.to_epsg()
(1311, 4326)

The layers are built by ``data/build.py`` (``make data``) from public sources; ``data/README.md``
documents source, licence, datum, precision and known gaps of each. The package copies are
GeoParquet files in ``taobao_geo/datasets/data/`` (full column names); the same layers are
written as shapefiles (UTF-8 ``.cpg``) to ``data/shapefiles/`` for desktop GIS.

Village points are at the **town seat** or the **county representative point** (column
``loc_prec``): no open data has village coordinates. ``caoxian_villages_simulated`` has
**simulated** positions (real names, real count) for tutorials and tests only.
Boundaries are for analysis, not for publication (maps of China published in China need an
approval number, 审图号).
"""

from __future__ import annotations

import difflib
import json
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .._errors import TaobaoGeoError

__all__ = ["names", "load", "info", "get_path", "DATA_DIR"]

#: Folder holding the package copies of the shipped layers.
DATA_DIR = Path(__file__).resolve().parent / "data"
_MANIFEST = "manifest.json"


def _data_path(filename: str) -> Path:
    path = DATA_DIR / filename
    if not path.exists():
        raise TaobaoGeoError(
            f"shipped data file {filename!r} is missing from {DATA_DIR}. The package was installed "
            "without its data; reinstall it, or rebuild the layers with `make data` in a checkout."
        )
    return path


@lru_cache(maxsize=1)
def _manifest() -> dict:
    with open(_data_path(_MANIFEST), encoding="utf-8") as fh:
        return json.load(fh)


def _layer(name: str) -> dict:
    layers = _manifest()["layers"]
    if not isinstance(name, str) or name not in layers:
        close = difflib.get_close_matches(str(name), list(layers), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise TaobaoGeoError(
            f"unknown shipped layer {name!r}.{hint} Shipped layers: {', '.join(layers)} "
            "(see taobao_geo.datasets.info() or `taobao-geo datasets`)."
        )
    return layers[name]


def names() -> list[str]:
    """Names of the shipped layers, in display order."""
    return list(_manifest()["layers"])


def get_path(name: str) -> Path:
    """Path of the package copy (GeoParquet) of a shipped layer."""
    return _data_path(_layer(name)["file"])


def load(name: str, *, year: int | None = None) -> gpd.GeoDataFrame:
    """Load a shipped layer as a GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    name
        One of :func:`names`.
    year
        For layers with a ``year`` column (``taobao_villages``): keep only that year
        (2014, 2015 or 2016).

    Returns
    -------
    geopandas.GeoDataFrame
        With ``gdf.attrs["dataset"]``: a dict with ``name, title, source, licence, datum,
        precision, simulated`` (bool), ``rows``, ``notes``.

    Raises
    ------
    TaobaoGeoError
        Unknown layer name (the message lists the shipped ones), or a ``year`` the layer does
        not have.
    """
    meta = _layer(name)
    gdf = gpd.read_parquet(_data_path(meta["file"]))
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:  # pragma: no cover - guarded by build.py
        gdf = gdf.set_crs(4326, allow_override=True)
    if year is not None:
        if "year" not in gdf.columns:
            raise TaobaoGeoError(
                f"layer {name!r} has no 'year' column; call load({name!r}) without year=."
            )
        years = sorted(int(y) for y in gdf["year"].unique())
        if int(year) not in years:
            raise TaobaoGeoError(f"layer {name!r} has no rows for year={year!r}; years: {years}.")
        gdf = gdf[gdf["year"] == int(year)].copy()
    md = {k: v for k, v in meta.items() if k != "file"}
    md["name"] = name
    if year is not None:
        md["year"] = int(year)
        md["rows"] = len(gdf)
    gdf.attrs["dataset"] = md
    return gdf


def info() -> pd.DataFrame:
    """One row per shipped layer: name, rows, geometry, datum, precision, source, simulated."""
    rows = []
    for name, meta in _manifest()["layers"].items():
        rows.append(
            {
                "name": name,
                "rows": meta["rows"],
                "geometry": meta["geometry"],
                "datum": meta["datum"],
                "precision": meta["precision"],
                "source": meta["source"],
                "licence": meta["licence"],
                "simulated": bool(meta["simulated"]),
            }
        )
    return pd.DataFrame(rows)
