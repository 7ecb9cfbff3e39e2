"""CLI parity of the loading options: every command that reads points accepts the same ones,
and no message suggests an option that the command printing it does not have."""

from __future__ import annotations

import ast
import inspect
import re
import warnings
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import taobao_geo
from taobao_geo.cli.main import COMMANDS, cli, show_warning
from taobao_geo.cli.options import LOADING_OPTIONS

PKG = Path(taobao_geo.__file__).parent
# geocode reads a table of place names (it makes points), not points; demo and datasets read
# only shipped data
NOT_POINT_READERS = {"geocode", "demo", "datasets"}
POINT_READERS = sorted(set(COMMANDS) - NOT_POINT_READERS)
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def _command(name) -> click.Command:
    return cli.get_command(click.Context(cli), name)


def _options(cmd: click.Command) -> set:
    return {o for p in cmd.params if isinstance(p, click.Option) for o in p.opts + p.secondary_opts}


def _strings(path: Path) -> list[str]:
    """Every string constant of a module (f-string parts too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _named_options(path: Path) -> set:
    return {m for s in _strings(path) for m in OPTION.findall(s)}


def test_every_point_reading_command_is_known():
    # a new command must be classified: it either reads points (and gets the options) or not
    assert set(POINT_READERS) >= {"validate", "nni", "ripley", "centrography", "kde", "moran",
                                  "lisa", "hotspots", "map", "analyze", "compare", "brief"}
    for name in POINT_READERS:
        cmd = _command(name)
        assert any(p.name == "source" for p in cmd.params), name


@pytest.mark.parametrize("name", POINT_READERS)
def test_point_reading_command_has_every_loading_option(name):
    missing = set(LOADING_OPTIONS) - _options(_command(name))
    assert not missing, f"{name} lacks {sorted(missing)}"


# option checks in _validate.py that name their own option; only commands that have that option
# call them (ensure_rng: the commands with --rng)
OWN_OPTION_CHECKS = {"ensure_rng": {"--rng"}}


def _named_options_outside(path: Path, skip: set) -> set:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(c) for f in ast.walk(tree)
               if isinstance(f, ast.FunctionDef) and f.name in skip for c in ast.walk(f)}
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Module)) and n.body
                  and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return {m for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in skipped and id(n) not in docstrings
            for m in OPTION.findall(n.value)}


def test_loader_messages_name_only_loading_options():
    # the loader's messages (io.py and its private _io/ package) and _validate.py's reach the
    # user through any point-reading command
    loader = [PKG / "io.py", *sorted((PKG / "_io").glob("*.py"))]
    named = (set().union(*(_named_options_outside(p, set()) for p in loader))
             | _named_options_outside(PKG / "_validate.py", set(OWN_OPTION_CHECKS)))
    assert named, "the loader's hints name CLI options (e.g. --on-invalid): the scan found none"
    assert named <= set(LOADING_OPTIONS), sorted(named - set(LOADING_OPTIONS))


def test_own_option_checks_are_called_only_by_commands_with_that_option():
    named = _named_options(PKG / "_validate.py") - set(LOADING_OPTIONS)
    assert named >= set().union(*OWN_OPTION_CHECKS.values())
    for name in POINT_READERS:
        cmd = _command(name)
        text = Path(inspect.getsourcefile(cmd.callback)).read_text(encoding="utf-8")
        for func, opts in OWN_OPTION_CHECKS.items():
            if f"{func}(" in text:
                assert opts <= _options(cmd), f"{name} calls {func} but lacks {sorted(opts)}"


def test_load_points_input_messages_name_options_of_its_callers():
    tree = ast.parse((PKG / "cli" / "options.py").read_text(encoding="utf-8"))
    func = next(n for n in ast.walk(tree)
                if isinstance(n, ast.FunctionDef) and n.name == "load_points_input")
    named = {m for n in ast.walk(func) if isinstance(n, ast.Constant) and isinstance(n.value, str)
             for m in OPTION.findall(n.value)}
    assert "--year" in named
    # --year is named only in messages reached when --year was given
    assert named - {"--year"} <= set(LOADING_OPTIONS), sorted(named)


# shared CLI modules: their messages are checked against every command that imports them
SHARED = {"_autocorr": ("moran", "lisa", "hotspots"),
          "_pointpattern": ("nni", "ripley", "centrography")}


# options of other commands that a help text names on purpose
ELSEWHERE = {"datasets": {"--boundary", "--year"}}  # "usable wherever a command takes --boundary"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_messages_name_only_its_own_options(name):
    module = COMMANDS[name][0]
    named = _named_options(PKG / "cli" / f"{module}.py")
    for shared, users in SHARED.items():
        if name in users:
            named |= _named_options(PKG / "cli" / f"{shared}.py")
    have = _options(_command(name)) | {"--debug", "--help", "--version"} | ELSEWHERE.get(name, set())
    assert named <= have, f"{name} names {sorted(named - have)} which it does not have"


def test_shared_modules_are_used_by_the_listed_commands():
    for shared, users in SHARED.items():
        for name in users:
            text = (PKG / "cli" / f"{COMMANDS[name][0]}.py").read_text(encoding="utf-8")
            assert shared in text, (shared, name)


def test_warning_prints_one_line_without_source(capsys):
    show_warning(warnings.WarningMessage("a.csv: 2 warning(s)\n  (duplicate_point: 2)",
                                         UserWarning, "/x/io.py", 12).message,
                 UserWarning, "/x/io.py", 12)
    err = capsys.readouterr().err
    assert err == "warning: a.csv: 2 warning(s) (duplicate_point: 2)\n"


def test_cli_warning_is_one_line(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text("村名,经度,纬度\nA,115.6,34.7\nB,115.6,34.7\nC,115.7,34.8\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["nni", str(p), "--duplicates", "keep", "--out",
                                   str(tmp_path / "o")])
    lines = [ln for ln in res.output.splitlines() if "warning" in ln.lower() and "dup.csv" in ln]
    assert lines, res.output
    assert lines[0].startswith("warning: dup.csv: 2 warning(s) (duplicate_point: 2)")
    assert "warnings.warn" not in res.output and "UserWarning" not in res.output
    assert "InputDataWarning" not in res.output


@pytest.mark.parametrize("name", ["brief", "compare", "kde", "validate"])
def test_encoding_option_reaches_the_loader(name, tmp_path):
    # a GBK file with a UTF-8 BOM: --encoding gbk must be honoured by every command, so a
    # wrong --encoding shows up in the loader's message whatever the command
    p = tmp_path / "v.csv"
    p.write_bytes("村名,经度,纬度\n丁楼村,115.6,34.7\n".encode("gbk"))
    args = [name, str(p), "--encoding", "utf-16"]
    if name in ("brief",):
        args += ["--county", "曹县", "--no-pdf", "--out", str(tmp_path / "o")]
    if name in ("compare", "kde"):
        args += ["--out", str(tmp_path / "o")]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code != 0
    text = res.output + (str(res.exception) if res.exception else "")
    assert "utf-16" in text and "v.csv" in text, text
