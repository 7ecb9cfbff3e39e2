"""Coordinates written as text: degree-minute-second notation and "lng,lat" pairs."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------------------------
# Coordinates in text
# --------------------------------------------------------------------------------------------

_DMS = re.compile(
    r"""^\s*(?P<h1>[NSEW东西南北])?\s*(?P<d>\d+(?:\.\d+)?)\s*(?:°|度|º|d)\s*
        (?:(?P<m>\d+(?:\.\d+)?)\s*(?:'|′|’|分|m)\s*)?
        (?:(?P<s>\d+(?:\.\d+)?)\s*(?:"|″|”|''|秒|s)\s*)?
        (?P<h2>[NSEW东西南北])?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)


def _parse_dms(value: str) -> float | None:
    m = _DMS.match(value)
    if not m:
        return None
    deg = float(m["d"]) + float(m["m"] or 0) / 60 + float(m["s"] or 0) / 3600
    hemi = (m["h1"] or m["h2"] or "").upper()
    return -deg if hemi in ("S", "W", "西", "南") else deg


def _parse_coordinate(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Numbers from a column: (values, is_missing, is_non_numeric, was_dms)."""
    n = len(values)
    out = np.full(n, np.nan)
    missing = np.zeros(n, bool)
    bad = np.zeros(n, bool)
    dms = np.zeros(n, bool)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        out = values.to_numpy(dtype=float, na_value=np.nan)
        missing = ~np.isfinite(out)
        return out, missing, bad, dms
    for i, v in enumerate(values.tolist()):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            missing[i] = True
            continue
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            out[i] = float(v)
            missing[i] = not np.isfinite(out[i])
            continue
        s = str(v).strip()
        if s == "" or s.lower() in ("na", "nan", "null", "none", "-", "—", "/", "无", "空"):
            missing[i] = True
            continue
        try:
            out[i] = float(s)
            if not np.isfinite(out[i]):
                missing[i] = True
            continue
        except ValueError:
            pass
        d = _parse_dms(s)
        if d is not None:
            out[i] = d
            dms[i] = True
        else:
            bad[i] = True
    return out, missing, bad, dms


_PAIR = re.compile(r"^\s*\(?\s*(-?\d+(?:\.\d+)?)\s*[,，;；\s]\s*(-?\d+(?:\.\d+)?)\s*\)?\s*$")


def _split_pairs(values: pd.Series, order) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = len(values)
    a = np.full(n, np.nan)
    b = np.full(n, np.nan)
    miss = np.zeros(n, bool)
    bad = np.zeros(n, bool)
    for i, v in enumerate(values.tolist()):
        if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "":
            miss[i] = True
            continue
        m = _PAIR.match(str(v))
        if m is None:
            bad[i] = True
            continue
        a[i], b[i] = float(m.group(1)), float(m.group(2))
    return (a, b, miss, bad) if order[0] == "lng" else (b, a, miss, bad)
