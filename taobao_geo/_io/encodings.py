"""Text encodings: detection, a UTF-8 mark before GBK text, shapefile DBF code pages."""

from __future__ import annotations

import codecs
from pathlib import Path

from .._errors import InputDataError

# --------------------------------------------------------------------------------------------
# Encodings
# --------------------------------------------------------------------------------------------


def detect_encoding(data: bytes) -> str:
    """Guess the text encoding of ``data``: ``utf-8-sig``, ``utf-16``, ``utf-8`` or ``gb18030``.

    GB18030 is the superset of GBK and GB2312 that Chinese Windows (Excel "CSV") writes, so it
    decodes all of them. Raises :class:`InputDataError` when none fits.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    for enc in ("utf-8", "gb18030"):
        try:
            data.decode(enc)
        except UnicodeDecodeError:
            continue
        return enc
    raise InputDataError(
        "Could not detect the text encoding (tried UTF-8, UTF-8 with BOM, UTF-16, GBK/GB18030). "
        "Pass encoding=..., e.g. encoding='big5', or save the file as UTF-8."
    )


_UTF8_BOM = b"\xef\xbb\xbf"


def _drop_foreign_bom(data: bytes, encoding: str | None) -> tuple[bytes, str | None, str | None]:
    """Remove a UTF-8 byte-order mark that sits before text in another encoding.

    Editors and some export scripts put the UTF-8 mark in front of GBK text; decoding the
    whole file as GBK then garbles the first column name, and as UTF-8 it fails. Returns
    ``(data, encoding, note)``: the encoding is the detected one when none was given.
    """
    if not data.startswith(_UTF8_BOM):
        return data, encoding, None
    body = data[len(_UTF8_BOM) :]
    if encoding is None:
        try:
            body.decode("utf-8")
            return data, "utf-8-sig", None
        except UnicodeDecodeError:
            encoding = detect_encoding(body)
    elif codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        return data, encoding, None
    return (
        body,
        encoding,
        (
            f"the file starts with a UTF-8 byte-order mark but its text is "
            f"{encoding}: the mark was ignored"
        ),
    )


def _decode(data: bytes, encoding: str | None, source: str) -> tuple[str, str, bool, str | None]:
    """Text of ``data`` -> ``(text, encoding, detected, note)``; note says when a BOM was dropped."""
    detected = encoding is None
    try:
        data, enc, note = _drop_foreign_bom(data, encoding)
    except LookupError as exc:
        raise InputDataError(
            f"{source}: unknown encoding {encoding!r} ({exc}). Use e.g. 'gbk', "
            "'gb18030', 'utf-8' or 'big5'."
        ) from exc
    if enc is None:
        enc = detect_encoding(data)
    try:
        text = data.decode(enc)
    except (UnicodeDecodeError, LookupError) as exc:
        guess = None
        try:
            guess = detect_encoding(data)
        except InputDataError:
            pass
        raise InputDataError(
            f"{source}: cannot decode the file as {enc!r} ({exc})."
            + (
                f" It looks like {guess!r}: pass encoding={guess!r} (CLI: --encoding {guess}) "
                "or leave encoding=None to detect."
                if guess
                else ""
            )
        ) from exc
    return text.lstrip("\ufeff"), enc, detected, note


_DBF_LDID = {0x4D: "cp936", 0x7A: "cp936", 0x4E: "cp949", 0x4F: "cp950", 0x57: None}


def _dbf_encoding(shp: Path) -> tuple[str | None, str]:
    """Encoding of a shapefile's DBF when no .cpg says it: LDID byte, else decode the records."""
    dbf = next((p for p in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if p.exists()), None)
    if dbf is None:
        return None, "no .dbf"
    raw = dbf.read_bytes()
    if len(raw) < 32:
        return None, "DBF too short"
    ldid = raw[29]
    if _DBF_LDID.get(ldid):
        return _DBF_LDID[ldid], f"DBF language driver id 0x{ldid:02X}"
    header_len = int.from_bytes(raw[8:10], "little")
    body = raw[header_len:]
    if all(b < 0x80 for b in body):
        return "utf-8", "DBF text is plain ASCII"
    return detect_encoding(body), "DBF text decoded without a .cpg"
