"""Fail when a function in the package is longer than the limit (default 80 lines).

ruff has no rule for a function's length (PLR0915 counts statements, not lines), so this small
checker enforces the developers' guide: "small functions (none over 80 lines)". A function's
length is its physical lines from the ``def`` line to its last line, comments and blank lines
included, decorators and the docstring excluded: numpydoc docstrings are long by design, and the
rule is about the size of the logic. ``--with-docstrings`` counts them too. Nested functions
count inside their parent and are also checked on their own.

Usage::

    python tools/function_length.py [--max-lines 80] [--with-docstrings] [PATH ...]
    # default PATH: taobao_geo

Exit status 1 lists every offender as ``path:line: name is N lines (max M)``.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

MAX_LINES = 80


def _docstring_lines(func: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    first = func.body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return (first.end_lineno or first.lineno) - first.lineno + 1
    return 0


def long_functions(
    source: str, *, max_lines: int = MAX_LINES, with_docstrings: bool = False
) -> Iterator[tuple[int, str, int]]:
    """Yield ``(line, qualified name, length)`` for each function longer than `max_lines`."""
    tree = ast.parse(source)

    def visit(node: ast.AST, prefix: str) -> Iterator[tuple[int, str, int]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                length = (child.end_lineno or child.lineno) - child.lineno + 1
                if not with_docstrings:
                    length -= _docstring_lines(child)
                if length > max_lines:
                    yield child.lineno, name, length
                yield from visit(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                yield from visit(child, f"{prefix}{child.name}.")
            else:
                yield from visit(child, prefix)

    yield from visit(tree, "")


def _files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.py") if ".venv" not in p.parts)
        else:
            yield path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("taobao_geo")])
    parser.add_argument("--max-lines", type=int, default=MAX_LINES)
    parser.add_argument(
        "--with-docstrings", action="store_true", help="count docstring lines as well"
    )
    args = parser.parse_args(argv)
    found = 0
    for path in _files(args.paths):
        source = path.read_text(encoding="utf-8")
        for line, name, length in long_functions(
            source, max_lines=args.max_lines, with_docstrings=args.with_docstrings
        ):
            print(f"{path}:{line}: {name} is {length} lines (max {args.max_lines})")
            found += 1
    if found:
        print(f"{found} function(s) over {args.max_lines} lines", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
