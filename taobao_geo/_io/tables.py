"""Records to a typed table: header detection (title rows, two-row headers), ragged rows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import InputDataError
from .._validate import row_list
from .columns import detect_coordinate_columns
from .report import Problem

# --------------------------------------------------------------------------------------------
# Reading tables
# --------------------------------------------------------------------------------------------

_CODE_COL = re.compile(r"(code|adcode|代码|编码|编号|区划码|id)$", re.IGNORECASE)


@dataclass
class _Table:
    df: pd.DataFrame
    fmt: str
    labels: np.ndarray
    row_label: str
    encoding: str | None = None
    encoding_detected: bool = False
    notes: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # Problem records found while reading
    geometry: gpd.GeoSeries | None = None


def _infer_column(values: list, name: str) -> pd.Series:
    """Typed column from strings: numeric when every non-empty value is a number (codes stay text)."""
    s = pd.Series(values, dtype=object)
    is_text = s.map(lambda v: isinstance(v, str)).astype(bool)
    stripped = s.where(is_text, None)
    if is_text.any():
        stripped[is_text] = s[is_text].astype(object).map(str.strip)
    stripped = stripped.astype(object)  # None for non-text cells (Excel numbers)
    text = stripped.notna()
    s = s.mask(s.isna() | (stripped == ""), None)
    if _CODE_COL.search(str(name)):
        return s.map(
            lambda v: (
                v
                if v is None or isinstance(v, str)
                else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
            )
        )
    nonnull = s.dropna()
    if len(nonnull) == 0:
        return s.astype(float) if len(s) else s
    try:
        num = pd.to_numeric(nonnull.where(~text[nonnull.index], stripped[nonnull.index]))
    except (ValueError, TypeError):
        return s
    out = pd.Series(np.nan, index=s.index, dtype=float)
    out[nonnull.index] = num.astype(float)
    if s.notna().all() and np.all(np.mod(out.to_numpy(), 1) == 0):
        return out.astype("int64")
    return out


def _unique_names(header: list) -> tuple[list, list]:
    seen: dict = {}
    out, notes = [], []
    for i, h in enumerate(header):
        h = "" if h is None else str(h).strip().lstrip("\ufeff")
        if h == "":
            h = f"unnamed_{i + 1}"
        if h in seen:
            seen[h] += 1
            new = f"{h}.{seen[h]}"
            notes.append(f"duplicate column name {h!r}: the later one is called {new!r}")
            h = new
        else:
            seen[h] = 0
        out.append(h)
    return out, notes


def _find_header(records: list[list], x: str | None, y: str | None) -> int:
    """Index of the header record: the first of the first 10 non-empty records that names both
    coordinates (or the explicit x/y); 0 when none does (a title row above the header is common
    in Chinese spreadsheets).
    """
    for i, rec in enumerate(records[:10]):
        names = [str(v).strip() for v in rec if v is not None]
        if x is not None or y is not None:
            if x in names and y in names:
                return i
            continue
        try:
            cx, cy = detect_coordinate_columns(names)
        except InputDataError:
            return i
        if cx is not None and cy is not None:
            return i
    return 0


def _blank(v) -> bool:
    return v is None or str(v).strip() == ""


def _header_block(records, h: int, merged_down: dict, row_label: str) -> tuple[int, list, list]:
    """The header names and the index of the last header record, for headers over two rows.

    Chinese spreadsheets often have a two-row header: 村名 and 年份 merged down over two rows,
    坐标 merged across 经度/纬度 below it. The coordinate names are on the lower row, so the
    names that only the upper row (or a merge reaching down into the lower row) holds would be
    lost. Blank names are filled from the row above when that row is a header too (two or
    more names, unlike a title); a merge that starts on the header row extends the header
    down to its last row.
    """
    names = list(records[h][1])
    notes = []
    last = merged_down.get(records[h][0], records[h][0])
    end = h
    while end + 1 < len(records) and records[end + 1][0] <= last:
        end += 1
        for j, v in enumerate(records[end][1]):
            if not _blank(v):
                names += [None] * (j + 1 - len(names))
                names[j] = v
    if end > h:
        notes.append(
            f"the header spans {row_label}s {records[h][0]}-{records[end][0]} (merged "
            "cells); the lowest name of each column is used"
        )
    if h > 0:
        above = records[h - 1][1]
        if sum(not _blank(v) for v in above) >= 2:
            filled = [
                j
                for j, v in enumerate(names)
                if _blank(v) and j < len(above) and not _blank(above[j])
            ]
            for j in filled:
                names[j] = above[j]
            if filled:
                notes.append(
                    f"the header spans {row_label}s {records[h - 1][0]}-"
                    f"{records[h][0]}: {row_list([str(above[j]) for j in filled])} "
                    f"taken from {row_label} {records[h - 1][0]}"
                )
    return end, names, notes


def _records_to_table(
    records: list[tuple[int, list]],
    *,
    fmt,
    row_label,
    x,
    y,
    source,
    merged_down: dict | None = None,
) -> _Table:
    """(row number, values) records -> typed DataFrame with header detection and ragged rows.

    ``merged_down`` maps a row number to the last row of a vertical merge starting on it
    (Excel), so that a header over two rows keeps all its names.
    """
    if not records:
        raise _EmptyFile(f"{source} is empty: no header and no data rows.")
    h = _find_header([r for _, r in records], x, y)
    h_end, names, notes = _header_block(records, h, merged_down or {}, row_label)
    header, dup_notes = _unique_names(names)
    notes += dup_notes
    if h > 0:
        notes.append(
            f"the header is on {row_label} {records[h][0]}; the {h} record(s) above it "
            f"(a title, or the upper row of a two-row header) were skipped: "
            + "; ".join(
                " ".join(str(v) for v in r if v not in (None, ""))[:60] for _, r in records[:h]
            )
        )
    h = h_end
    body = records[h + 1 :]
    ncol = len(header)
    rows, labels, problems = [], [], []
    for pos, (num, rec) in enumerate(body):
        rec = list(rec)
        if len(rec) > ncol:
            extra = [v for v in rec[ncol:] if v not in (None, "")]
            if extra:
                problems.append(
                    Problem(
                        "extra_fields",
                        pos,
                        None,
                        f"{len(rec)} fields but the header has {ncol}: a "
                        "delimiter inside an unquoted value? Quote the value or fix the line.",
                        value=str(extra)[:80],
                    )
                )
            rec = rec[:ncol]
        elif len(rec) < ncol:
            problems.append(
                Problem(
                    "short_line",
                    pos,
                    None,
                    f"{len(rec)} fields but the header has {ncol}; the "
                    "missing ones are read as empty.",
                    severity="warning",
                    value=len(rec),
                )
            )
            rec = rec + [None] * (ncol - len(rec))
        rows.append(rec)
        labels.append(num)
    cols = list(zip(*rows)) if rows else [[] for _ in header]
    df = pd.DataFrame({name: _infer_column(list(col), name) for name, col in zip(header, cols)})
    t = _Table(df, fmt, np.array(labels, dtype=int), row_label, notes=notes, problems=problems)
    return t


class _EmptyFile(Exception):
    pass
