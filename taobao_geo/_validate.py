"""Input validation shared by every public function.

Public functions call these first (as scipy's ``_bootstrap_iv``), so that bad input fails early
with a message that names the argument, the offending rows and a fix. Nothing here changes its
input.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ._errors import (
    AlignmentError,
    CRSError,
    GeometryTypeError,
    InputDataError,
    OptionError,
    TooFewPointsError,
)

__all__ = [
    "ALTERNATIVES",
    "check_alternative",
    "check_choice",
    "check_positive",
    "ensure_aligned",
    "ensure_min_n",
    "ensure_numeric",
    "ensure_points",
    "ensure_polygons",
    "ensure_projected",
    "ensure_rng",
    "point_coords",
    "row_list",
    "seed_label",
]

ALTERNATIVES = ("two-sided", "greater", "less")
_FIX_CRS = (
    "Try: taobao_geo.projection.to_projected(gdf), which picks a UTM zone for a county-sized "
    "extent or a China Albers equal-area CRS for a national one, or gdf.to_crs(<EPSG code>)."
)


def row_list(labels: Iterable[Any], limit: int = 10) -> str:
    """Format row labels for a message: the first ``limit`` and how many more."""
    labels = list(labels)
    shown = ", ".join(repr(x) if isinstance(x, str) else str(x) for x in labels[:limit])
    more = len(labels) - limit
    return shown + (f" … and {more} more" if more > 0 else "")


def ensure_projected(obj: gpd.GeoDataFrame | gpd.GeoSeries | CRS | Any, *, func: str) -> CRS:
    """Raise :class:`CRSError` unless ``obj`` (or its ``.crs``) is a projected CRS in metres.

    Returns the CRS. Used by every distance, area and density computation: a distance in
    degrees is never a silent result.
    """
    crs = obj.crs if hasattr(obj, "crs") else obj
    if crs is None:
        raise CRSError(
            f"`{func}` needs a projected CRS in metres, but the data have no CRS. Set it first "
            f"(gdf.set_crs('EPSG:4326') for longitude/latitude), then project. {_FIX_CRS}"
        )
    crs = CRS.from_user_input(crs)
    if crs.is_geographic or not crs.is_projected:
        raise CRSError(
            f"`{func}` needs a projected CRS in metres; got geographic {crs.to_string()} "
            f"({crs.name}), whose units are degrees, so distances and areas would be wrong. "
            f"{_FIX_CRS}"
        )
    unit = crs.axis_info[0].unit_name if crs.axis_info else "metre"
    if unit not in ("metre", "meter"):
        raise CRSError(
            f"`{func}` needs a CRS in metres; {crs.to_string()} uses {unit!r}. {_FIX_CRS}"
        )
    return crs


def ensure_points(
    points: gpd.GeoDataFrame | gpd.GeoSeries, *, func: str, min_n: int = 1
) -> gpd.GeoSeries:
    """Check that ``points`` holds only non-empty Point geometries; return the GeoSeries."""
    if isinstance(points, gpd.GeoDataFrame):
        geoms = points.geometry
    elif isinstance(points, gpd.GeoSeries):
        geoms = points
    else:
        raise GeometryTypeError(
            f"`{func}` takes a GeoDataFrame or GeoSeries of points; got {type(points).__name__}. "
            "Try: taobao_geo.io.read_villages(path) or geopandas.points_from_xy(x, y)."
        )
    missing = geoms.index[geoms.isna() | geoms.is_empty].tolist()
    if missing:
        raise GeometryTypeError(
            f"`{func}`: {len(missing)} row(s) have a missing or empty geometry: "
            f"{row_list(missing)}. Drop or fix them explicitly first."
        )
    # shapely's integer type ids are ~10x cheaper than geom_type strings at 10^6 points;
    # the strings are built only for the rows that fail.
    not_point = shapely.get_type_id(geoms.array) != 0
    if not_point.any():
        bad = geoms.geom_type[not_point]
        hint = (
            " Try: gdf.explode(ignore_index=True) to split MultiPoints."
            if (bad == "MultiPoint").any()
            else " Try: gdf.representative_point() for polygons."
        )
        raise GeometryTypeError(
            f"`{func}` needs Point geometries; {len(bad)} row(s) are "
            f"{sorted(set(bad))}: {row_list(bad.index)}.{hint}"
        )
    ensure_min_n(len(geoms), min_n, what="points", func=func)
    return geoms


def ensure_polygons(geoms: gpd.GeoDataFrame | gpd.GeoSeries, *, func: str) -> gpd.GeoSeries:
    """Check that ``geoms`` holds non-empty Polygon/MultiPolygon geometries."""
    gs = geoms.geometry if isinstance(geoms, gpd.GeoDataFrame) else geoms
    if not isinstance(gs, gpd.GeoSeries):
        raise GeometryTypeError(
            f"`{func}` takes a GeoDataFrame or GeoSeries of polygons; got {type(geoms).__name__}."
        )
    if len(gs) == 0:
        raise GeometryTypeError(f"`{func}`: the polygon layer is empty.")
    bad = gs.index[gs.isna() | gs.is_empty | ~gs.geom_type.isin(["Polygon", "MultiPolygon"])]
    if len(bad):
        raise GeometryTypeError(
            f"`{func}` needs non-empty Polygon or MultiPolygon geometries; {len(bad)} row(s) are "
            f"not: {row_list(bad)}."
        )
    return gs


def ensure_min_n(n: int, minimum: int, *, what: str, func: str) -> None:
    """Raise :class:`TooFewPointsError` if ``n < minimum``."""
    if n < minimum:
        raise TooFewPointsError(f"`{func}` needs at least {minimum} {what}; got {n}.")


def ensure_numeric(
    data: pd.DataFrame | pd.Series, column: str | None = None, *, func: str
) -> np.ndarray:
    """Return a float array of ``data[column]`` (or the Series), refusing non-numeric or NaN values."""
    if column is not None:
        if column not in data.columns:
            raise InputDataError(
                f"`{func}`: column {column!r} not found; available columns: "
                f"{row_list([c for c in data.columns if c != 'geometry'], 30)}."
            )
        s = data[column]
        name = column
    else:
        s = pd.Series(data)
        name = s.name or "values"
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        raise InputDataError(
            f"`{func}`: column {name!r} must be numeric; it has dtype {s.dtype}. "
            f"Try: pd.to_numeric(df[{name!r}], errors='coerce') and deal with the NaNs it reports."
        )
    values = s.to_numpy(dtype=float)
    nan = s.index[~np.isfinite(values)].tolist()
    if nan:
        raise InputDataError(
            f"`{func}`: column {name!r} has {len(nan)} missing or infinite value(s) in rows "
            f"{row_list(nan)}. Fill or drop them explicitly.",
            rows=nan,
        )
    return values


def ensure_aligned(
    left: pd.Index, right: pd.Index, *, left_name: str, right_name: str, func: str
) -> None:
    """Raise :class:`AlignmentError` unless the two indexes hold the same labels in the same order."""
    if left.equals(right):
        return
    only_l = left.difference(right)
    only_r = right.difference(left)
    if len(only_l) or len(only_r):
        raise AlignmentError(
            f"`{func}`: {left_name} and {right_name} do not share an index "
            f"({len(left)} vs {len(right)} rows; only in {left_name}: {row_list(only_l)}; "
            f"only in {right_name}: {row_list(only_r)})."
        )
    raise AlignmentError(
        f"`{func}`: {left_name} and {right_name} hold the same labels in a different order. "
        f"Try: {right_name}.reindex({left_name}.index)."
    )


class _RngTypeError(OptionError, TypeError):
    """A wrong type of ``rng``: an option error that is still a TypeError for old callers."""


def ensure_rng(rng: int | np.random.Generator | None) -> np.random.Generator:
    """SPEC 7: a non-negative int seed, a Generator, or None (fresh entropy).

    Raises :class:`OptionError` (never numpy's own message) for a negative seed or another type.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (bool, np.bool_)):
        raise _RngTypeError(
            f"`rng` must be an int seed >= 0, a numpy.random.Generator or None; got {rng!r}."
        )
    if rng is None or isinstance(rng, (int, np.integer)):
        if rng is not None and rng < 0:
            raise OptionError(f"`rng` (--rng) must be a seed >= 0; got {rng}. Try: --rng 12345.")
        return np.random.default_rng(rng)
    raise _RngTypeError(
        f"`rng` must be an int, a numpy.random.Generator or None; got {type(rng).__name__}."
    )


def seed_label(rng: int | np.random.Generator | None) -> int | str:
    """How a result was seeded, for its summary and JSON: the int seed, or what was given instead.

    A Generator is reproducible when the caller seeded it (the pipeline derives one per step
    from its own seed), so it is not reported as "no seed".
    """
    if isinstance(rng, (int, np.integer)):
        return int(rng)
    if isinstance(rng, np.random.Generator):
        return "given as a Generator"
    return "none, not reproducible"


def check_choice(value: Any, choices: Iterable[Any], *, name: str, func: str) -> Any:
    """Raise :class:`OptionError` naming the valid choices if ``value`` is not one of them."""
    choices = tuple(choices)
    if value not in choices:
        raise OptionError(f"`{func}`: `{name}` must be one of {choices}; got {value!r}.")
    return value


def check_positive(
    value: Any,
    *,
    name: str,
    func: str,
    hint: str = "",
    allow_none: bool = False,
    integer: bool = False,
) -> Any:
    """Raise :class:`OptionError` unless ``value`` is a finite number > 0 (an int if asked).

    ``hint`` ends the message with the fix (e.g. "Try: --bandwidth 5000 (metres)."). Returns the
    value unchanged.
    """
    if value is None and allow_none:
        return value
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )
    if ok and integer and not float(value).is_integer():
        ok = False
    if not ok or not (np.isfinite(value) and value > 0):
        kind = "a whole number" if integer else "a number"
        raise OptionError(
            f"`{func}`: `{name}` must be {kind} > 0; got {value!r}." + (f" {hint}" if hint else "")
        )
    return value


def check_alternative(alternative: str, *, func: str) -> str:
    """Validate a hypothesis-test ``alternative`` (``two-sided``, ``greater``, ``less``)."""
    return check_choice(alternative, ALTERNATIVES, name="alternative", func=func)


def point_coords(geoms: gpd.GeoSeries) -> np.ndarray:
    """(n, 2) float array of point coordinates."""
    return np.column_stack([geoms.x.to_numpy(dtype=float), geoms.y.to_numpy(dtype=float)])
