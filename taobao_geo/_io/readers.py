"""One reader per file format (CSV/TXT, Excel, vector files, Parquet, DataFrames)."""

from __future__ import annotations

import csv
import io as _stdio
import sys
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import InputDataError, TaobaoGeoError
from .._validate import row_list
from .encodings import _dbf_encoding, _decode
from .tables import _EmptyFile, _find_header, _records_to_table, _Table

FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".shp": "shapefile",
    ".gpkg": "geopackage",
    ".geojson": "geojson",
    ".json": "geojson",
    ".parquet": "parquet",
    ".geoparquet": "parquet",
    ".zip": "zipped shapefile",
}


@contextmanager
def _large_csv_fields():
    """Let the csv module read cells of any size (its default limit is 128 kB).

    A long legitimate cell (a pasted product list, an address block) must load; a cell that is
    long because a quote was never closed is caught by :func:`_check_runaway_quotes`.
    """
    old = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _parse_csv(text: str, delim: str, name: str) -> list[tuple[int, int, list]]:
    """``(first line, last line, fields)`` of every non-blank record of ``text``."""
    reader = csv.reader(_stdio.StringIO(text, newline=""), delimiter=delim)
    records, prev = [], 0
    with _large_csv_fields():
        try:
            for rec in reader:
                start, prev = prev + 1, reader.line_num
                if not rec or all(v.strip() == "" for v in rec) and len(rec) <= 1:
                    continue  # blank line
                records.append((start, prev, rec))
        except csv.Error as exc:
            raise InputDataError(
                f"{name}: line {reader.line_num + 1}: the CSV cannot be parsed ({exc}). Check the "
                "quotes and delimiters on that line, or save the file again as CSV."
            ) from exc
    return records


def _check_runaway_quotes(records, delim: str, name: str, x, y) -> None:
    """Raise when a quoted cell swallowed what look like whole lines of the file.

    A quote opened by mistake is closed only by the next quote in the file, or never, so
    the csv module reads the following lines as one cell and the rows in it vanish. A quoted
    line break is legitimate (an address block); inner lines with as many delimiters as a
    row has are not. One such line is enough when the cell runs to the end of the file.
    """
    if not records:
        return
    h = _find_header([r for _, _, r in records], x, y)
    header = records[h][2]
    width = max(len(header), 2)
    for k, (start, end, rec) in enumerate(records):
        if end == start:
            continue
        line = start
        for j, value in enumerate(rec):
            inner = value.split("\n")
            rowlike = sum(part.count(delim) >= width - 1 for part in inner[1:])
            if rowlike >= 2 or (rowlike and k == len(records) - 1):
                col = str(header[j]).strip() if j < len(header) else f"field {j + 1}"
                closed = "never closed" if k == len(records) - 1 else f"closed only on line {end}"
                raise InputDataError(
                    f"{name}: line {line}: the quote that opens the value of column {col!r} is "
                    f"{closed}, so lines {line}-{end} ({end - line + 1} lines, {rowlike} of them "
                    f"look like rows) were read as one cell. Close or remove that quote on line "
                    f"{line}."
                )
            line += value.count("\n")


def _read_csv(path: Path, *, encoding, x, y) -> _Table:
    data = path.read_bytes()
    if not data.strip():
        raise _EmptyFile(f"{path.name} is empty (0 bytes of text).")
    text, enc, detected, bom_note = _decode(data, encoding, path.name)
    # the delimiter most frequent in the first lines (comma on ties); csv.Sniffer is fooled by
    # a ';' that recurs inside values such as "服装;鞋"
    head = [ln for ln in text.splitlines() if ln.strip()][:5]
    counts = {d: sum(ln.count(d) for ln in head) for d in (",", "\t", ";", "|")}
    delim = max(counts, key=lambda d: (counts[d], d == ","))
    if counts[delim] == 0:
        delim = "\t" if path.suffix.lower() == ".tsv" else ","
    spans = _parse_csv(text, delim, path.name)
    _check_runaway_quotes(spans, delim, path.name, x, y)
    records = [(start, rec) for start, _, rec in spans]
    t = _records_to_table(records, fmt="csv", row_label="line", x=x, y=y, source=path.name)
    t.encoding, t.encoding_detected = enc, detected
    if bom_note:
        t.notes.append(bom_note)
    multi = [(a, b) for a, b, _ in spans if b > a]
    if multi:
        # every physical line is accounted for: say which records span several lines
        t.notes.append(
            f"{len(multi)} record(s) hold quoted line breaks and span several lines "
            f"(lines {', '.join(f'{a}-{b}' for a, b in multi[:5])}"
            f"{' …' if len(multi) > 5 else ''})"
        )
    if delim != ",":
        t.notes.append(f"delimiter {delim!r}")
    return t


_HEADER_ROWS = 15  # merged cells below this are data (a merged value cell is not unmerged)


def _fill_merged_header(ws, rows: list[list]) -> tuple[dict, str | None]:
    """Give every cell of a merged header range the range's value (openpyxl keeps it in the
    top-left cell only, so 村名 merged over two rows left a blank name below it).

    Returns ``{first row: last row}`` of the vertical merges and a note naming the ranges.
    """
    down: dict = {}
    filled = []
    for rng in ws.merged_cells.ranges:
        if rng.min_row > _HEADER_ROWS:
            continue
        value = rows[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= len(rows) else None
        if value is None:
            continue
        for r in range(rng.min_row, min(rng.max_row, len(rows)) + 1):
            row = rows[r - 1]
            row += [None] * (rng.max_col - len(row))
            for c in range(rng.min_col, rng.max_col + 1):
                row[c - 1] = value
        if rng.max_row > rng.min_row:
            down[rng.min_row] = max(down.get(rng.min_row, 0), rng.max_row)
        filled.append(f"{rng.coord} ({value})")
    note = (
        (
            f"merged cells {', '.join(filled[:8])}{' …' if len(filled) > 8 else ''}: the value "
            "fills every cell of the merge"
        )
        if filled
        else None
    )
    return down, note


def _read_excel(path: Path, *, sheet, x, y) -> _Table:
    if path.suffix.lower() == ".xls":
        try:
            raw = pd.read_excel(
                path, sheet_name=sheet or 0, header=None, dtype=object, engine="xlrd"
            )
        except ImportError as exc:
            raise InputDataError(
                f"{path.name}: old-style .xls needs the 'xlrd' package. Save the sheet as .xlsx "
                "(Excel: File > Save As > Excel Workbook) or as CSV."
            ) from exc
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook
            raise InputDataError(
                f"{path.name}: not a readable .xls workbook ({exc}). Save the "
                "sheet as .xlsx or CSV."
            ) from exc
        records = [
            (i + 1, [None if (isinstance(v, float) and np.isnan(v)) else v for v in r])
            for i, r in enumerate(raw.itertuples(index=False, name=None))
        ]
        records = [(n, r) for n, r in records if any(v not in (None, "") for v in r)]
        return _records_to_table(records, fmt="excel", row_label="row", x=x, y=y, source=path.name)
    import openpyxl

    try:
        # not read_only: merged cells are only known to a fully loaded sheet
        wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook
        raise InputDataError(f"{path.name}: not a readable .xlsx workbook ({exc}).") from exc
    try:
        names = wb.sheetnames
        if sheet is None:
            ws = wb[names[0]]
            note = (
                f"sheet {names[0]!r} read (the workbook also has {row_list(names[1:])}; "
                "choose with sheet=..., CLI: --sheet)"
                if len(names) > 1
                else None
            )
        else:
            key = names[sheet] if isinstance(sheet, int) and sheet < len(names) else sheet
            if key not in names:
                raise InputDataError(f"{path.name}: no sheet {sheet!r}; sheets: {row_list(names)}.")
            ws, note = wb[key], None
        rows = [list(r) for r in ws.iter_rows(min_row=1, values_only=True)]
        merged_down, merge_note = _fill_merged_header(ws, rows)
        records = [
            (num, vals)
            for num, vals in enumerate(rows, start=1)
            if any(v is not None and str(v).strip() != "" for v in vals)
        ]
    finally:
        wb.close()
    # trailing empty cells are not fields
    width = max(
        (
            max((i + 1 for i, v in enumerate(r) if v not in (None, "")), default=0)
            for _, r in records
        ),
        default=0,
    )
    records = [(n, r[:width]) for n, r in records]
    t = _records_to_table(
        records, fmt="excel", row_label="row", x=x, y=y, source=path.name, merged_down=merged_down
    )
    t.notes.extend(n for n in (merge_note, note) if n)
    return t


def _shapefile_encoding(path: Path, encoding, notes: list) -> tuple[str | None, bool, dict]:
    """DBF encoding of a shapefile: given, from its .cpg, or detected from the DBF.

    Returns ``(encoding, detected, reader options)``.
    """
    cpg = next(
        (p for p in (path.with_suffix(".cpg"), path.with_suffix(".CPG")) if p.exists()), None
    )
    cpg_enc = None
    detected = False
    if encoding is not None:
        enc = encoding
    elif cpg is not None:
        # GDAL reads the .cpg itself (it knows ArcGIS code-page numbers such as "936");
        # we only report it
        enc = cpg.read_text(errors="replace").strip() or None
        notes.append(f"encoding from {cpg.name}")
        cpg_enc = enc
    else:
        enc, why = _dbf_encoding(path)
        detected = True
        notes.append(f"no .cpg file; encoding {enc} ({why})")
    return enc, detected, ({"encoding": enc} if enc and enc != cpg_enc else {})


def _vector_encoding(path: Path, *, fmt, encoding, notes: list):
    """``(source to read, encoding, detected, reader options)`` of a vector file."""
    if fmt == "shapefile":
        enc, detected, kwargs = _shapefile_encoding(path, encoding, notes)
        return path, enc, detected, kwargs
    if fmt == "geojson":
        # RFC 7946 says UTF-8, but GeoJSON saved by Chinese desktop tools is often GBK
        text, enc, detected, bom_note = _decode(path.read_bytes(), encoding, path.name)
        if bom_note:
            notes.append(bom_note)
        if enc in ("utf-8", "utf-8-sig"):
            return path, enc, detected, {}
        notes.append(f"GeoJSON text in {enc} (GeoJSON should be UTF-8); decoded before reading")
        return _stdio.BytesIO(text.encode("utf-8")), enc, detected, {}
    if fmt == "zipped shapefile" and encoding is None:
        notes.append(
            "zipped shapefile: the DBF encoding comes from its .cpg inside the zip "
            "(pass encoding= if names look garbled)"
        )
    return path, encoding, False, ({"encoding": encoding} if encoding is not None else {})


def _choose_layer(path: Path, *, fmt, layer, notes: list):
    """The layer to read: the given one, or the only point layer of a multi-layer file."""
    if fmt not in ("geopackage", "zipped shapefile"):
        return layer
    import pyogrio

    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:  # noqa: BLE001
        raise InputDataError(f"{path.name}: cannot read it as a {fmt} ({exc}).") from exc
    if layer is None and len(layers) > 1:
        pts = [n for n, g in layers if g and "Point" in str(g)]
        if len(pts) != 1:
            raise InputDataError(
                f"{path.name} has {len(layers)} layers: "
                f"{row_list([f'{n} ({g})' for n, g in layers])}. Choose one with layer=... "
                "(CLI: --layer NAME)."
            )
        layer = pts[0]
        notes.append(f"layer {layer!r} (the only point layer of {len(layers)})")
    return layer


def _read_vector(path: Path, *, fmt, encoding, layer) -> _Table:
    import pyogrio

    notes: list = []
    src, enc, detected, kwargs = _vector_encoding(path, fmt=fmt, encoding=encoding, notes=notes)
    layer = _choose_layer(path, fmt=fmt, layer=layer, notes=notes)
    if layer is not None:
        kwargs["layer"] = layer
    try:
        gdf = pyogrio.read_dataframe(src, fid_as_index=True, **kwargs)
    except Exception as exc:  # noqa: BLE001 - GDAL errors have many types
        raise InputDataError(f"{path.name}: cannot read it as a {fmt} file ({exc}).") from exc
    labels = np.asarray(gdf.index, dtype=int) if len(gdf) else np.array([], dtype=int)
    return _geo_table(
        gdf, fmt=fmt, labels=labels, row_label="fid", encoding=enc, detected=detected, notes=notes
    )


def _geo_table(gdf, *, fmt, labels, row_label, encoding=None, detected=False, notes=()) -> _Table:
    if isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.name in gdf.columns:
        geom = gdf.geometry
        df = pd.DataFrame(gdf.drop(columns=[geom.name]))
    else:
        geom, df = None, pd.DataFrame(gdf)
    df = df.reset_index(drop=True)
    t = _Table(df, fmt, np.asarray(labels), row_label, encoding, detected, list(notes))
    if geom is not None:
        t.geometry = geom.reset_index(drop=True)
    return t


def _read_parquet(path: Path) -> _Table:
    try:
        gdf = gpd.read_parquet(path)
    except (ValueError, KeyError):  # plain Parquet without geo metadata
        gdf = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001
        raise InputDataError(f"{path.name}: cannot read it as Parquet ({exc}).") from exc
    return _geo_table(gdf, fmt="parquet", labels=np.arange(len(gdf)), row_label="index")


def _read_source(source, *, x, y, encoding, layer, sheet) -> tuple[_Table, str]:
    if isinstance(source, (pd.DataFrame, gpd.GeoSeries)):
        obj = source.to_frame() if isinstance(source, gpd.GeoSeries) else source
        fmt = "geodataframe" if isinstance(obj, gpd.GeoDataFrame) else "dataframe"
        t = _geo_table(
            obj.copy(),
            fmt=fmt,
            labels=np.asarray(obj.index, dtype=object),
            row_label=str(obj.index.name or "index"),
        )
        return t, f"<{type(source).__name__}>"
    if not isinstance(source, (str, Path)):
        raise TaobaoGeoError(
            f"read_villages takes a file path or a (Geo)DataFrame; got {type(source).__name__}."
        )
    path = Path(source)
    if not path.exists():
        raise InputDataError(f"File not found: {str(source)!r}.")
    if path.is_dir():
        raise InputDataError(f"{str(source)!r} is a folder; give the .shp/.csv/... file inside it.")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputDataError(
            f"{path.name}: unknown file type {path.suffix!r}. Supported: "
            f"{', '.join(sorted(FORMATS))}."
        )
    if path.stat().st_size == 0:
        raise _EmptyFile(f"{path.name} is empty (0 bytes).")
    if fmt == "csv":
        return _read_csv(path, encoding=encoding, x=x, y=y), path.name
    if fmt == "excel":
        return _read_excel(path, sheet=sheet, x=x, y=y), path.name
    if fmt == "parquet":
        return _read_parquet(path), path.name
    return _read_vector(path, fmt=fmt, encoding=encoding, layer=layer), path.name
