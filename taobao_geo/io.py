"""Loading village points from whatever file a researcher has, with a report of every problem.

``read_villages`` reads CSV/TXT, Excel (.xlsx), Shapefile (also zipped), GeoPackage, GeoJSON,
GeoParquet (or plain Parquet with coordinate columns) or an existing (Geo)DataFrame and returns a GeoDataFrame
of points in WGS 84 (EPSG:4326). ``validate_villages`` runs the same checks and returns the
:class:`LoadReport` without raising on data problems.

What is detected, and reported in ``gdf.attrs["load_report"]``:

* the **format** (from the extension) and the **text encoding** of CSV files and of shapefile
  DBFs without a ``.cpg`` (UTF-8, UTF-8 with BOM, GBK/GB18030 -- Chinese Excel exports CSV in GBK);
* the **coordinate columns**, English or Chinese (lon/lng/longitude/x/经度/东经, lat/latitude/y/
  纬度/北纬, with datum prefixes such as ``gcj02_lng`` or ``经度(高德)``), or the geometry of a
  spatial file; ``x=``/``y=`` override the detection;
* a **header row** below a title row (common in Chinese spreadsheets: "2016年淘宝村名单" on row 1);
* Chinese **attribute names** mapped to the standard ones where unambiguous (村名 -> village,
  乡镇 -> town, 区县 -> county, 年份 -> year, ...);
* coordinates in degree-minute-second notation (``115°32'24"``), a single ``"lng,lat"`` text
  column (Amap's ``location`` field, ``经纬度``) or a WKT column (QGIS CSV export), converted
  and reported;
* the **datum**: ``datum="gcj02"`` (Amap, Tencent) or ``"bd09"`` (Baidu) is converted to WGS 84
  with :mod:`taobao_geo.coords` and the mean shift is reported; file or column names that
  suggest another datum than the one given produce a warning.

Checks, by row (row numbers are those the user sees: CSV/TXT ``line`` in the file, Excel
``row`` in the sheet, ``fid`` of a spatial file (as QGIS/ArcGIS show it), or the DataFrame
``index``):

=================  ========  ===============================================================
check              severity  meaning
=================  ========  ===============================================================
missing            error     empty/NA coordinate or geometry
non_numeric        error     a coordinate that is not a number
out_of_range       error     |lon| > 180 or |lat| > 90 (degrees)
swapped            error     lon/lat outside China but lat/lon inside: columns or values swapped
outside_china      error     WGS 84 point outside China (``check_china=True``)
outside_boundary   error     point outside ``boundary``
geometry_type      error     a non-point geometry in a spatial file, or invalid WKT text
duplicate_row      error     every column equal to an earlier row: the village would count twice
extra_fields       error     a CSV line with more fields than the header
year               error     a ``year`` that is not a whole number, or outside 2009 (the first
                             Taobao villages) .. the current year: a typo such as 2106 would
                             otherwise become "the latest year"; ``2016年`` is read as 2016
missing_year       warning   an empty ``year`` cell (the row is in no year's counts)
duplicate_point    warning   same location as another row (legitimate for villages placed at
                             their town seat, so not an error unless ``duplicates="raise"``)
duplicate_name     warning   same village name in the same county/town (and year)
datum_hint         warning   the file or column name suggests another datum than ``datum``
short_line         warning   a CSV line with fewer fields than the header (padded with blanks)
empty              error     (file level) no data rows
file               error     (file level, ``validate_villages`` only) the file cannot be used:
                             no coordinate columns, unreadable, projected numbers without a CRS
=================  ========  ===============================================================

Errors stop ``read_villages`` with an :class:`~taobao_geo.InputDataError` listing each offending
row and column, unless ``on_invalid="drop"``, which drops exactly those rows and reports them
(``report.dropped``). Warnings never drop a row; they are listed in the report and summarised
in one :class:`InputDataWarning`. Rows are never changed silently, and the input file is only read.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import pandas as pd

from ._errors import InputDataError

# the implementation is private, in taobao_geo/_io/; this module is the loader's public face
from ._io.build import _build
from ._io.checks import ERROR_CHECKS, FIRST_YEAR, WARNING_CHECKS
from ._io.columns import STANDARD_COLUMNS, detect_coordinate_columns
from ._io.encodings import detect_encoding
from ._io.readers import FORMATS
from ._io.report import LoadReport

__all__ = [
    "FORMATS",
    "InputDataWarning",
    "LoadReport",
    "detect_coordinate_columns",
    "detect_encoding",
    "read_villages",
    "validate_villages",
]
# importable from here as before the split, though not in __all__
_ALSO_PUBLIC = (ERROR_CHECKS, WARNING_CHECKS, FIRST_YEAR, STANDARD_COLUMNS)


class InputDataWarning(UserWarning):
    """Data-quality findings that do not stop loading (duplicates, datum hints)."""


_ARGS_DOC = """
    source
        Path to a .csv/.txt/.tsv, .xlsx, .shp (or a .zip holding one), .gpkg, .geojson/.json or
        .parquet file, or a pandas DataFrame / GeoDataFrame (not modified).
    x, y
        Coordinate column names. Default: detected (lon/lng/longitude/x/经度/东经 and
        lat/latitude/y/纬度/北纬, also with datum words such as ``gcj02_lng`` or ``经度(高德)``);
        for spatial files the geometry is used unless x/y are given.
    crs
        CRS of the coordinates (e.g. ``"EPSG:32650"``, ``"EPSG:4490"`` for CGCS2000). Default:
        the file's CRS, else longitude/latitude (EPSG:4326); projected-looking numbers without a
        CRS are an error, never a guess.
    datum
        ``"wgs84"`` (GPS, OpenStreetMap, CGCS2000; default), ``"gcj02"`` (Amap/高德, Tencent) or
        ``"bd09"`` (Baidu/百度). Non-WGS 84 points are converted (reported with the mean shift).
    encoding
        Text encoding of a CSV or of a shapefile DBF. Default: detected (UTF-8, UTF-8 BOM,
        GBK/GB18030), or the shapefile's .cpg.
    layer, sheet
        GeoPackage layer; Excel sheet name or 0-based number (default: the first sheet).
    boundary
        Optional study-area polygons (GeoDataFrame, GeoSeries, shapely geometry, file path or
        shipped layer name): points outside are ``outside_boundary`` errors.
    check_china
        True (default): points must lie in China (the standard rectangle, then the shipped
        county polygons with a 0.02° tolerance when available); False: no check; or a polygon
        layer to test against instead.
    duplicates
        ``"keep"`` (default: duplicated points and duplicated village names are warnings, the
        rows are kept) or ``"raise"`` (they are errors). Duplicated points are legitimate when
        villages are placed at their town seat (the shipped data do that); statistics that
        cannot take them (e.g. nearest-neighbour distances) have their own ``duplicates=``
        option, with the same ``"keep"``/``"raise"`` and also ``"merge"``. Fully duplicated rows
        are always errors: the village would be counted twice. The first release's spellings
        ``"warn"`` (= ``"keep"``) and ``"error"`` (= ``"raise"``) still work, with a
        :class:`DeprecationWarning`, until the next release.
"""


def read_villages(
    source,
    *,
    x: str | None = None,
    y: str | None = None,
    crs=None,
    datum: str = "wgs84",
    encoding: str | None = None,
    layer: str | None = None,
    sheet: str | int | None = None,
    on_invalid: str = "raise",
    boundary=None,
    check_china=True,
    duplicates: str = "keep",
) -> gpd.GeoDataFrame:
    func = "read_villages"
    t, arrays, report = _build(
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
    )
    if arrays is None:
        raise InputDataError(f"`{func}`: {report.problems['message'].iloc[-1]}", report=report)
    lon, lat, keep = arrays
    if report.n_errors and on_invalid == "raise":
        errs = report.errors
        lines = []
        for rec in errs.head(20).itertuples(index=False):
            where = f"{report.row_label} {rec.row}" if rec.row is not None else "file"
            col = f", column {rec.column!r}" if isinstance(rec.column, str) else ""
            lines.append(f"  {where}{col}: {rec.message}")
        more = len(errs) - 20
        rows = [r for r in dict.fromkeys(errs["row"].tolist()) if r is not None]
        msg = (
            f"`{func}`: {len(rows)} invalid row(s) in {report.source} "
            f"({report.n_errors} problem(s); rows numbered by {report.row_label}):\n"
            + "\n".join(lines)
            + (f"\n  … and {more} more" if more > 0 else "")
            + "\nFix them in the file, or pass on_invalid='drop' (CLI: --on-invalid drop) to "
            "drop exactly these rows; each dropped row is reported in "
            "gdf.attrs['load_report']."
        )
        if report.notes:
            msg += "\n" + "\n".join(f"Note: {n}" for n in report.notes if "swapped" in n)
        raise InputDataError(msg, rows=rows, report=report)
    if not keep.any():
        counts = report.errors["check"].value_counts()
        raise InputDataError(
            f"`{func}`: every one of the {report.n_read} row(s) of {report.source} is invalid ("
            + ", ".join(f"{k}: {v}" for k, v in counts.items())
            + "), so nothing is left after on_invalid='drop'. The coordinate columns, CRS or "
            "datum are probably wrong; see report.summary():\n" + report.summary(max_warnings=0),
            rows=list(report.dropped["row"]),
            report=report,
        )
    df = t.df.loc[keep].copy()
    index = pd.Index(
        t.labels[keep],
        name=t.row_label
        if t.fmt not in ("dataframe", "geodataframe")
        else (source.index.name if hasattr(source, "index") else None),
    )
    df.index = index
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(lon[keep], lat[keep]), crs=4326)
    gdf.attrs["load_report"] = report
    gdf.attrs["datum"] = "wgs84"
    if report.n_warnings:
        counts = report.warnings["check"].value_counts()
        warnings.warn(
            f"{report.source}: {report.n_warnings} warning(s) ("
            + ", ".join(f"{k}: {v}" for k, v in counts.items())
            + "); rows kept. See gdf.attrs['load_report'].",
            InputDataWarning,
            stacklevel=2,
        )
    return gdf


def validate_villages(
    source,
    *,
    x: str | None = None,
    y: str | None = None,
    crs=None,
    datum: str = "wgs84",
    encoding: str | None = None,
    layer: str | None = None,
    sheet: str | int | None = None,
    boundary=None,
    check_china=True,
    duplicates: str = "keep",
) -> LoadReport:
    _, _, report = _build(
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
        on_invalid="raise",
        func="validate_villages",
        catch=True,
    )
    return report


read_villages.__doc__ = f"""Read village points from a file or DataFrame into a WGS 84 GeoDataFrame.

    Parameters
    ----------
    {_ARGS_DOC.strip()}
    on_invalid
        ``"raise"`` (default): any error-level problem raises :class:`~taobao_geo.InputDataError`
        listing every offending row (as numbered in the file) and column. ``"drop"``: drop exactly
        those rows and list them in ``report.dropped``.

    Returns
    -------
    GeoDataFrame
        Points in EPSG:4326 (WGS 84 longitude/latitude), all input columns (Chinese attribute names
        mapped to ``village``/``town``/``county``/... where unambiguous), indexed by the row
        number in the file (``line`` for CSV, ``row`` for Excel, ``fid`` for spatial files) or by
        the input DataFrame's index. ``gdf.attrs["load_report"]`` is the :class:`LoadReport`.

    Raises
    ------
    InputDataError
        Bad rows (listed), missing/ambiguous coordinate columns, empty or unreadable file.
    CRSError
        Projected-looking coordinates without ``crs``.

    Warns
    -----
    InputDataWarning
        Once, summarising warning-level findings (duplicates, datum hints); rows are kept.

    Examples
    --------
    >>> gdf = read_villages("villages.csv", datum="gcj02")        # doctest: +SKIP
    >>> print(gdf.attrs["load_report"].summary())                 # doctest: +SKIP
    """

validate_villages.__doc__ = f"""Check a file or DataFrame like :func:`read_villages`, without raising on data problems.

    Parameters
    ----------
    {_ARGS_DOC.strip()}

    Returns
    -------
    LoadReport
        What was detected and converted, and every problem by row (``report.problems``,
        ``report.ok``). An empty file gives a report with one file-level ``empty`` error.

    Raises
    ------
    InputDataError
        Only when the file cannot be read at all or the coordinate columns cannot be found.
    """
