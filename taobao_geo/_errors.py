"""Exception hierarchy.

Every error the package raises on purpose is a :class:`TaobaoGeoError` and also a
``ValueError`` (as osmnx's ``ValidationError``), so callers can catch either. One class per
kind of problem; the message says what is wrong, where, and what to do.
"""

from __future__ import annotations

__all__ = [
    "TaobaoGeoError",
    "OptionError",
    "NotApplicableError",
    "CRSError",
    "GeometryTypeError",
    "AlignmentError",
    "InputDataError",
    "TooFewPointsError",
    "ZeroAreaError",
    "DegenerateDataError",
    "IslandError",
    "GridTooLargeError",
]


class TaobaoGeoError(ValueError):
    """Base class of all errors raised on purpose by taobao_geo."""


class OptionError(TaobaoGeoError):
    """A caller's mistake in an option or argument (a negative bandwidth, an unknown CRS, ...).

    Always stops the run: a pipeline never records it as a skipped step.
    """


class NotApplicableError(TaobaoGeoError):
    """The data cannot support this step (too few points, a zero-area extent, too few units).

    The only kind of error a pipeline may record as "skipped", with the message as the reason.
    """


class CRSError(OptionError):
    """A missing, geographic or otherwise unsuitable coordinate reference system.

    An option error: the caller chose (or forgot) the CRS, e.g. a bad ``--to-crs``.
    """


class GeometryTypeError(TaobaoGeoError):
    """Geometries of the wrong type (e.g. polygons where points are needed), empty or missing."""


class AlignmentError(TaobaoGeoError):
    """Two inputs that must share an index (values and weights, points and marks) do not."""


class InputDataError(TaobaoGeoError):
    """Bad rows or columns in user data; the message lists them."""

    def __init__(self, message: str, *, rows: list | None = None, report=None):
        super().__init__(message)
        self.rows = list(rows) if rows is not None else []
        self.report = report


class TooFewPointsError(NotApplicableError):
    """Fewer observations than a statistic needs."""


class ZeroAreaError(NotApplicableError, GeometryTypeError):
    """The points' extent has zero area (collinear or coincident points): no intensity exists."""


class DegenerateDataError(NotApplicableError, InputDataError):
    """Data that cannot support a statistic: all points at one location, a zero-variance column."""


class IslandError(NotApplicableError):
    """Spatial units without neighbours under the chosen weights (too few connected units)."""


class GridTooLargeError(OptionError):
    """A requested raster grid would not fit in memory (a caller's too small cell size)."""
