"""The function-length checker (tools/function_length.py) that `make lint` runs on the package.

ruff has no rule for a function's length, so the guide's "no function over 80 lines" is enforced
by this small ast checker. These cases pin what it counts; the package-wide check itself is part
of `make lint` (switched on in CI once the package is lint-clean).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "tools" / "function_length.py"
_spec = importlib.util.spec_from_file_location("function_length", _PATH)
assert _spec is not None and _spec.loader is not None
function_length = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(function_length)


def _func(name: str, body_lines: int, *, docstring_lines: int = 0, indent: str = "") -> str:
    lines = [f"{indent}def {name}():"]
    if docstring_lines:
        lines.append(f'{indent}    """Summary.')
        lines += [f"{indent}    more" for _ in range(docstring_lines - 2)]
        lines.append(f'{indent}    """')
    lines += [f"{indent}    x = {i}" for i in range(body_lines)]
    return "\n".join(lines) + "\n"


def _long(source: str, **kw) -> list[tuple[int, str, int]]:
    return list(function_length.long_functions(source, max_lines=10, **kw))


@pytest.mark.parametrize(
    "body,expected",
    [(9, []), (10, [(1, "f", 11)])],
    ids=["def-plus-9-lines-is-10-passes", "def-plus-10-lines-is-11-fails"],
)
def test_limit_is_inclusive(body, expected):
    assert _long(_func("f", body)) == expected


def test_docstring_is_not_counted_by_default():
    source = _func("f", 5, docstring_lines=30)
    assert _long(source) == []
    assert _long(source, with_docstrings=True) == [(1, "f", 36)]


def test_methods_and_nested_functions_are_named_and_checked():
    source = "class A:\n" + _func("m", 12, indent="    ")
    source += "def outer():\n" + _func("inner", 12, indent="    ") + "    return inner\n"
    found = _long(source)
    assert [(name, n) for _, name, n in found] == [("A.m", 13), ("outer", 15), ("outer.inner", 13)]


def test_async_functions_are_checked():
    source = _func("f", 12).replace("def f", "async def f")
    assert _long(source) == [(1, "f", 13)]


def test_command_line_lists_offenders_and_fails(tmp_path, capsys):
    bad = tmp_path / "bad.py"
    bad.write_text(_func("too_long", 12), encoding="utf-8")
    good = tmp_path / "good.py"
    good.write_text(_func("short", 3), encoding="utf-8")
    assert function_length.main(["--max-lines", "10", str(tmp_path)]) == 1
    out = capsys.readouterr()
    assert out.out == f"{bad}:1: too_long is 13 lines (max 10)\n"
    assert "1 function(s) over 10 lines" in out.err
    assert function_length.main(["--max-lines", "10", str(good)]) == 0
