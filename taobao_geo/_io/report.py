"""The load report: what the loader detected, converted, found and dropped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._results import ResultMixin, jsonable

_PROBLEM_COLUMNS = ["row", "column", "severity", "check", "value", "message"]


@dataclass(frozen=True)
class Problem:
    """One finding of a loader check about one row (``row`` None: about the file).

    ``row`` is the 0-based position in the table read (the report shows the row number the user
    sees); ``severity`` is ``"error"`` (the row cannot be used) or ``"warning"``; ``value`` is
    the offending cell or coordinates, as text.
    """

    check: str
    row: int | None
    column: str | None
    message: str
    severity: str = "error"
    value: Any = None


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadReport(ResultMixin):
    """What ``read_villages`` / ``validate_villages`` detected, converted, found and dropped.

    Attributes
    ----------
    source : str
        File name (or ``"<DataFrame>"``).
    format : str
        ``csv``, ``excel``, ``shapefile``, ``geopackage``, ``geojson``, ``parquet``, ``dataframe``.
    encoding : str or None
        Text encoding used (CSV, shapefile DBF); ``encoding_detected`` says whether it was guessed.
    row_label : str
        What the ``row`` numbers in ``problems`` mean: ``line`` (CSV line in the file, header
        included), ``row`` (Excel row), ``fid`` (feature id of a spatial file), ``index``.
    x_col, y_col : str or None
        Coordinate columns used (None when the geometry was used).
    crs_in : str
        CRS of the input coordinates.
    datum : str
        Datum of the input coordinates (``wgs84``, ``gcj02``, ``bd09``).
    conversions : tuple of str
        Every change applied to coordinates (datum shift with its mean size in metres,
        reprojection, DMS parsing).
    column_map : dict
        Columns renamed to the standard names (original -> new).
    n_read, n_kept : int
        Data rows read, and rows in the returned layer.
    problems : DataFrame
        One row per problem: ``row``, ``column``, ``severity`` (error/warning), ``check``,
        ``value``, ``message``. File-level problems have ``row`` = None.
    dropped : DataFrame
        Rows dropped with ``on_invalid="drop"``: ``row`` and ``reasons``.
    """

    source: str
    format: str
    encoding: str | None
    encoding_detected: bool
    row_label: str
    x_col: str | None
    y_col: str | None
    crs_in: str | None
    datum: str
    conversions: tuple = ()
    column_map: dict = field(default_factory=dict)
    notes: tuple = ()
    n_read: int = 0
    n_kept: int = 0
    on_invalid: str = "raise"
    problems: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=_PROBLEM_COLUMNS), repr=False
    )
    dropped: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["row", "reasons"]), repr=False
    )

    @property
    def errors(self) -> pd.DataFrame:
        return self.problems[self.problems["severity"] == "error"]

    @property
    def warnings(self) -> pd.DataFrame:
        return self.problems[self.problems["severity"] == "warning"]

    @property
    def n_errors(self) -> int:
        return int((self.problems["severity"] == "error").sum())

    @property
    def n_warnings(self) -> int:
        return int((self.problems["severity"] == "warning").sum())

    @property
    def ok(self) -> bool:
        """True when there is no error-level problem."""
        return self.n_errors == 0

    def to_frame(self) -> pd.DataFrame:
        """The problems table (one row per problem)."""
        return self.problems.copy()

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["n_errors"] = self.n_errors
        out["n_warnings"] = self.n_warnings
        out["problems"] = jsonable(
            self.problems.astype(object)
            .where(self.problems.notna(), None)
            .to_dict(orient="records")
        )
        out["dropped"] = jsonable(self.dropped.to_dict(orient="records"))
        return out

    def summary(self, *, max_warnings: int | None = 20) -> str:
        """Plain-language report: detection, conversions, then every error and the first
        ``max_warnings`` warnings (None: all; the full list is ``to_frame()``).
        """
        lines = [
            f"Source: {self.source} ({self.format}"
            + (
                f", encoding {self.encoding}"
                + (" (detected)" if self.encoding_detected else " (given)")
                if self.encoding
                else ""
            )
            + ")"
        ]
        if self.x_col is not None:
            lines.append(f"Coordinates: x = column {self.x_col!r}, y = column {self.y_col!r}")
        else:
            lines.append("Coordinates: from the geometry")
        lines.append(f"Input CRS: {self.crs_in}; datum: {self.datum}; output: WGS 84 (EPSG:4326)")
        for c in self.conversions:
            lines.append(f"Converted: {c}")
        if self.column_map:
            lines.append(
                "Columns renamed: "
                + ", ".join(f"{k!r} -> {v!r}" for k, v in self.column_map.items())
            )
        lines.extend(f"Note: {n}" for n in self.notes)
        lines.append(
            f"Rows: {self.n_read} read, {self.n_kept} kept"
            + (f", {len(self.dropped)} dropped" if len(self.dropped) else "")
        )
        lines.append(
            f"Problems: {self.n_errors} error(s), {self.n_warnings} warning(s)"
            + ("" if len(self.problems) else " -- all rows valid")
        )
        shown_w = 0
        for rec in self.problems.itertuples(index=False):
            if rec.severity == "warning":
                shown_w += 1
                if max_warnings is not None and shown_w > max_warnings:
                    lines.append(
                        f"  … and {self.n_warnings - max_warnings} more warning(s) "
                        "(all of them: report.to_frame(), or `taobao-geo validate`)"
                    )
                    break
            where = (
                f"{self.row_label} {rec.row}"
                if rec.row is not None and not (isinstance(rec.row, float) and np.isnan(rec.row))
                else "file"
            )
            col = f", column {rec.column!r}" if isinstance(rec.column, str) and rec.column else ""
            lines.append(f"  [{rec.severity}] {where}{col}: {rec.message}")
        return "\n".join(lines)
