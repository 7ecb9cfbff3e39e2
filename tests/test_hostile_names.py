"""Hostile name tables for the geocoder's reader (geocode.read_name_table): encodings.

read_name_table decodes CSV text with the loader's one decoding function, so a name list gets
the same treatment as a points file (GBK behind a UTF-8 mark, a wrong or unknown encoding).
"""

from __future__ import annotations

import pytest

from taobao_geo._errors import InputDataError
from taobao_geo.geocode import read_name_table

TEXT = "省,市,区县,乡镇,村名\n山东省,菏泽市,曹县,大集镇,丁楼村\n"
BOM = b"\xef\xbb\xbf"

READABLE = {
    "utf8": TEXT.encode("utf-8"),
    "utf8-bom": BOM + TEXT.encode("utf-8"),
    "gbk": TEXT.encode("gbk"),
    "gbk-behind-utf8-bom": BOM + TEXT.encode("gbk"),  # editors and export scripts do this
    "utf16": TEXT.encode("utf-16"),
}


@pytest.mark.parametrize("data", READABLE.values(), ids=READABLE.keys())
def test_name_table_is_decoded_whatever_the_encoding(tmp_path, data):
    p = tmp_path / "list.csv"
    p.write_bytes(data)
    df = read_name_table(p)
    assert list(df.columns) == ["省", "市", "区县", "乡镇", "村名"]  # no mark, no garbling
    assert df.iloc[0].tolist() == ["山东省", "菏泽市", "曹县", "大集镇", "丁楼村"]


ERRORS = {
    "wrong-encoding-given": ("utf-8", TEXT.encode("gbk"),
                             (r"read_name_table: list.csv: cannot decode the file as 'utf-8' .*"
                              r"It looks like 'gb18030': pass encoding='gb18030'")),
    "unknown-encoding": ("no-such-codec", TEXT.encode("utf-8"),
                         (r"read_name_table: list.csv: cannot decode the file as "
                          r"'no-such-codec' \(unknown encoding: no-such-codec\). "
                          r"It looks like 'utf-8'")),
    "undecodable": (None, bytes([0x81, 0x30, 0xFF, 0x39]) * 8,  # neither UTF-8 nor GB18030
                    r"Could not detect the text encoding"),
}


@pytest.mark.parametrize("encoding,data,message", ERRORS.values(), ids=ERRORS.keys())
def test_name_table_encoding_errors_are_one_input_error(tmp_path, encoding, data, message):
    p = tmp_path / "list.csv"
    p.write_bytes(data)
    with pytest.raises(InputDataError, match=message):
        read_name_table(p, encoding=encoding)


def test_given_gbk_behind_utf8_bom(tmp_path):
    p = tmp_path / "list.csv"
    p.write_bytes(BOM + TEXT.encode("gbk"))
    assert read_name_table(p, encoding="gbk").columns[0] == "省"
