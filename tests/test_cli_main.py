"""The CLI group: help, lazy commands and one-line errors (no traceback unless --debug)."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from taobao_geo.cli import main as climain


def test_help_lists_commands_with_their_help():
    res = CliRunner().invoke(climain.cli, ["--help"])
    assert res.exit_code == 0
    assert "Spatial analysis of China's Taobao Villages" in res.output
    for name in climain.cli.list_commands(None):
        assert name in res.output


def test_every_registered_module_defines_a_click_command():
    for name in climain.cli.list_commands(None):
        cmd = climain.cli.get_command(None, name)
        assert isinstance(cmd, click.Command), name
        assert cmd.help, f"`taobao-geo {name}` has no help text"


def test_unknown_command_is_a_usage_error():
    with pytest.raises(SystemExit) as ei:
        climain.main(["no-such-command"])
    assert ei.value.code == 2


def _failing(debug: bool):
    @climain.cli.command("_boom", hidden=True)
    def boom():
        from taobao_geo._errors import CRSError

        raise CRSError("needs metres")

    try:
        args = (["--debug"] if debug else []) + ["_boom"]
        return climain.main(args)
    finally:
        climain.cli.commands.pop("_boom", None)


def test_error_is_one_line_without_traceback(capsys):
    with pytest.raises(SystemExit) as ei:
        _failing(debug=False)
    assert ei.value.code == 1
    err = capsys.readouterr().err
    assert err.strip() == "Error: needs metres"


def test_debug_shows_the_exception():
    from taobao_geo._errors import CRSError

    with pytest.raises(CRSError, match="needs metres"):
        _failing(debug=True)


def test_console_script_runs_in_a_fresh_process():
    out = subprocess.run([sys.executable, "-m", "taobao_geo.cli.main", "--help"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "taobao-geo" in out.stdout or "Usage" in out.stdout
