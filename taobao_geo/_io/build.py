"""Reading, checking and reporting put together for ``read_villages``/``validate_villages``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import CRS

from .. import coords
from .._errors import CRSError, TaobaoGeoError
from .._validate import check_choice
from .checks import _check
from .readers import FORMATS
from .report import _PROBLEM_COLUMNS, LoadReport


def _problems_frame(problems, labels) -> pd.DataFrame:
    order = {"error": 0, "warning": 1}
    recs = []
    for pos, col, sev, check, value, msg in problems:
        recs.append({"_pos": -1 if pos is None else int(pos),
                     "row": None if pos is None else labels[pos],
                     "column": col, "severity": sev, "check": check,
                     "value": None if value is None else str(value), "message": msg})
    if not recs:
        return pd.DataFrame(columns=_PROBLEM_COLUMNS)
    df = pd.DataFrame(recs)
    df["_sev"] = df["severity"].map(order)
    df = df.sort_values(["_sev", "_pos", "check"], kind="stable")
    return df[_PROBLEM_COLUMNS].reset_index(drop=True).astype({"row": object})


def _build(source, *, x, y, crs, datum, encoding, layer, sheet, boundary, check_china,
           duplicates, on_invalid, func, catch=False):
    check_choice(on_invalid, ("raise", "drop"), name="on_invalid", func=func)
    check_choice(duplicates, ("warn", "error"), name="duplicates", func=func)
    datum = coords.normalize_datum(datum)
    if (x is None) != (y is None):
        raise TaobaoGeoError(f"`{func}`: give both x= and y= (or neither, to detect them).")
    if crs is not None:
        try:
            crs = CRS.from_user_input(crs)
        except Exception as exc:  # noqa: BLE001 - pyproj's CRSError
            raise CRSError(f"`{func}`: invalid crs {crs!r} ({exc}). Give an EPSG code such as "
                           "'EPSG:4326' (WGS 84 degrees) or 'EPSG:32650' (UTM 50N).") from exc
    ctx: dict = {}
    try:
        t, f = _check(source, x=x, y=y, crs=crs, datum=datum, encoding=encoding, layer=layer,
                      sheet=sheet, boundary=boundary, check_china=check_china,
                      duplicates=duplicates, on_invalid=on_invalid, func=func, ctx=ctx)
    except TaobaoGeoError as exc:
        if not catch:
            raise
        # validate_villages never raises on data problems: a file it cannot use is one
        # file-level error in the report
        src = ctx.get("source") or (Path(source).name if isinstance(source, (str, Path))
                                    else f"<{type(source).__name__}>")
        report = LoadReport(
            source=src, format=ctx.get("format", FORMATS.get(Path(str(src)).suffix.lower(),
                                                                "unknown")),
            encoding=ctx.get("encoding"), encoding_detected=ctx.get("encoding_detected", False),
            row_label=ctx.get("row_label", "row"), x_col=None, y_col=None, crs_in=None,
            datum=datum, column_map=ctx.get("column_map", {}), notes=tuple(ctx.get("notes", ())),
            n_read=ctx.get("n_read", 0), n_kept=0, on_invalid=on_invalid,
            problems=_problems_frame([(None, None, "error", "file", None, str(exc))], []))
        return None, None, report
    if "empty" in f:
        probs = f.get("problems", [])
        labels = t.labels if t is not None else np.array([])
        problems = _problems_frame([*probs, (None, None, "error", "empty", None, f["empty"])],
                                   labels)
        report = LoadReport(
            source=f["source"], format=f.get("format", t.fmt if t else "unknown"),
            encoding=f.get("encoding"), encoding_detected=f.get("encoding_detected", False),
            row_label=f.get("row_label", "row"), x_col=f.get("x_col"), y_col=f.get("y_col"),
            crs_in=None, datum=coords.normalize_datum(datum), column_map=f.get("column_map", {}),
            notes=tuple(f.get("notes", ())), n_read=0, n_kept=0, on_invalid=on_invalid,
            problems=problems)
        return t, None, report
    problems = _problems_frame(f["problems"], t.labels)
    err_pos = sorted({p[0] for p in f["problems"] if p[2] == "error" and p[0] is not None})
    keep = np.ones(len(t.df), bool)
    keep[err_pos] = False
    dropped = pd.DataFrame(columns=["row", "reasons"])
    if on_invalid == "drop" and err_pos:
        reasons: dict = {}
        for pos, col, sev, check, value, msg in f["problems"]:
            if sev == "error" and pos is not None:
                reasons.setdefault(pos, []).append(check)
        dropped = pd.DataFrame({"row": [t.labels[p] for p in err_pos],
                                "reasons": [", ".join(dict.fromkeys(reasons[p])) for p in err_pos]})
    report = LoadReport(
        source=f["source"], format=f["format"], encoding=f["encoding"],
        encoding_detected=f["encoding_detected"], row_label=f["row_label"], x_col=f["x_col"],
        y_col=f["y_col"], crs_in=f["crs_in"], datum=f["datum"],
        conversions=tuple(f["conversions"]), column_map=dict(f["column_map"]),
        notes=tuple(f["notes"]), n_read=len(t.df), n_kept=int(keep.sum()), on_invalid=on_invalid,
        problems=problems, dropped=dropped)
    return t, (f["lon"], f["lat"], keep), report
