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
from .options import DUPLICATES, renamed_choice
from .readers import FORMATS
from .report import _PROBLEM_COLUMNS, LoadReport, Problem


def _problems_frame(problems: list[Problem], labels) -> pd.DataFrame:
    """The report's problems table: errors first, then by row, in the order found."""
    order = {"error": 0, "warning": 1}
    recs = [
        {
            "_pos": -1 if p.row is None else int(p.row),
            "row": None if p.row is None else labels[p.row],
            "column": p.column,
            "severity": p.severity,
            "check": p.check,
            "value": None if p.value is None else str(p.value),
            "message": p.message,
        }
        for p in problems
    ]
    if not recs:
        return pd.DataFrame(columns=_PROBLEM_COLUMNS)
    df = pd.DataFrame(recs)
    df["_sev"] = df["severity"].map(order)
    df = df.sort_values(["_sev", "_pos", "check"], kind="stable")
    return df[_PROBLEM_COLUMNS].reset_index(drop=True).astype({"row": object})


def _check_options(
    *, x, y, crs, datum, duplicates, on_invalid, func
) -> tuple[CRS | None, str, str]:
    """Refuse bad options before reading anything; returns ``(crs, datum, duplicates)``
    normalised.
    """
    check_choice(on_invalid, ("raise", "drop"), name="on_invalid", func=func)
    # stacklevel: the caller of read_villages / validate_villages (via _build)
    duplicates = renamed_choice(duplicates, DUPLICATES, name="duplicates", func=func, stacklevel=4)
    datum = coords.normalize_datum(datum)
    if (x is None) != (y is None):
        raise TaobaoGeoError(f"`{func}`: give both x= and y= (or neither, to detect them).")
    if crs is not None:
        try:
            crs = CRS.from_user_input(crs)
        except Exception as exc:  # noqa: BLE001 - pyproj's CRSError
            raise CRSError(
                f"`{func}`: invalid crs {crs!r} ({exc}). Give an EPSG code such as "
                "'EPSG:4326' (WGS 84 degrees) or 'EPSG:32650' (UTM 50N)."
            ) from exc
    return crs, datum, duplicates


def _build(
    source,
    *,
    x,
    y,
    crs,
    datum,
    encoding,
    layer,
    sheet,
    boundary,
    check_china,
    duplicates,
    on_invalid,
    func,
    catch=False,
):
    """Read, check and report: ``(table, (lon, lat, keep) or None, LoadReport)``.

    With ``catch`` (``validate_villages``), a file that cannot be used at all gives a report
    with one file-level error instead of raising.
    """
    crs, datum, duplicates = _check_options(
        x=x, y=y, crs=crs, datum=datum, duplicates=duplicates, on_invalid=on_invalid, func=func
    )
    ctx: dict = {}
    try:
        t, f = _check(
            source,
            x=x,
            y=y,
            crs=crs,
            datum=datum,
            encoding=encoding,
            layer=layer,
            sheet=sheet,
            boundary=boundary,
            check_china=check_china,
            duplicates=duplicates,
            on_invalid=on_invalid,
            func=func,
            ctx=ctx,
        )
    except TaobaoGeoError as exc:
        if not catch:
            raise
        return None, None, _file_error_report(source, exc, ctx, datum=datum, on_invalid=on_invalid)
    if "empty" in f:
        return t, None, _empty_report(t, f, datum=datum, on_invalid=on_invalid)
    keep, dropped = _kept_rows(t, f["problems"], on_invalid=on_invalid)
    report = LoadReport(
        source=f["source"],
        format=f["format"],
        encoding=f["encoding"],
        encoding_detected=f["encoding_detected"],
        row_label=f["row_label"],
        x_col=f["x_col"],
        y_col=f["y_col"],
        crs_in=f["crs_in"],
        datum=f["datum"],
        conversions=tuple(f["conversions"]),
        column_map=dict(f["column_map"]),
        notes=tuple(f["notes"]),
        n_read=len(t.df),
        n_kept=int(keep.sum()),
        on_invalid=on_invalid,
        problems=_problems_frame(f["problems"], t.labels),
        dropped=dropped,
    )
    return t, (f["lon"], f["lat"], keep), report


def _file_error_report(source, exc: Exception, ctx: dict, *, datum, on_invalid) -> LoadReport:
    """``validate_villages`` never raises on data problems: a file it cannot use is one
    file-level error in the report (with what was detected before the error, from ``ctx``).
    """
    src = ctx.get("source") or (
        Path(source).name if isinstance(source, (str, Path)) else f"<{type(source).__name__}>"
    )
    return LoadReport(
        source=src,
        format=ctx.get("format", FORMATS.get(Path(str(src)).suffix.lower(), "unknown")),
        encoding=ctx.get("encoding"),
        encoding_detected=ctx.get("encoding_detected", False),
        row_label=ctx.get("row_label", "row"),
        x_col=None,
        y_col=None,
        crs_in=None,
        datum=datum,
        column_map=ctx.get("column_map", {}),
        notes=tuple(ctx.get("notes", ())),
        n_read=ctx.get("n_read", 0),
        n_kept=0,
        on_invalid=on_invalid,
        problems=_problems_frame([Problem("file", None, None, str(exc))], []),
    )


def _empty_report(t, f: dict, *, datum, on_invalid) -> LoadReport:
    """The report of a file without data rows: one file-level ``empty`` error."""
    labels = t.labels if t is not None else np.array([])
    problems = _problems_frame(
        [*f.get("problems", []), Problem("empty", None, None, f["empty"])], labels
    )
    return LoadReport(
        source=f["source"],
        format=f.get("format", t.fmt if t else "unknown"),
        encoding=f.get("encoding"),
        encoding_detected=f.get("encoding_detected", False),
        row_label=f.get("row_label", "row"),
        x_col=f.get("x_col"),
        y_col=f.get("y_col"),
        crs_in=None,
        datum=coords.normalize_datum(datum),
        column_map=f.get("column_map", {}),
        notes=tuple(f.get("notes", ())),
        n_read=0,
        n_kept=0,
        on_invalid=on_invalid,
        problems=problems,
    )


def _kept_rows(t, problems: list[Problem], *, on_invalid) -> tuple[np.ndarray, pd.DataFrame]:
    """Rows without an error-level problem, and (``on_invalid="drop"``) the dropped rows with
    their reasons.
    """
    errors = [p for p in problems if p.severity == "error" and p.row is not None]
    err_pos = sorted({p.row for p in errors})
    keep = np.ones(len(t.df), bool)
    keep[err_pos] = False
    dropped = pd.DataFrame(columns=["row", "reasons"])
    if on_invalid == "drop" and err_pos:
        reasons: dict = {}
        for p in errors:
            reasons.setdefault(p.row, []).append(p.check)
        dropped = pd.DataFrame(
            {
                "row": [t.labels[p] for p in err_pos],
                "reasons": [", ".join(dict.fromkeys(reasons[p])) for p in err_pos],
            }
        )
    return keep, dropped
