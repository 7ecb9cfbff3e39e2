"""Hostile cases for output folders (issue 10, points 2b and 3): path escapes through names,
concurrent runs on one --out, interrupted runs, reruns, and folders that are not ours."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from taobao_geo import __version__
from taobao_geo._errors import OptionError
from taobao_geo._outdir import MANIFEST, output_folder, resolve_inside, safe_name
from taobao_geo.cli import main as climain


def _cli(*args):
    return CliRunner().invoke(climain.cli, [*map(str, args)], catch_exceptions=False)


def _main(capsys, *args) -> tuple[int, str]:
    """Run the real entry point (errors become one line and exit 1); return code and stderr."""
    capsys.readouterr()
    try:
        code = climain.main([*map(str, args)])
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


def _leftovers(parent: Path) -> list[str]:
    """Temporary, old or lock entries beside an output folder (there must be none)."""
    return sorted(p.name for p in parent.iterdir()
                  if ".partial-" in p.name or ".old-" in p.name or p.name.endswith(".lock"))


def _earlier_run(out: Path) -> None:
    with output_folder(out) as run:
        (run.path / "old.txt").write_text("earlier run", encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# 2b. names that become file names
# ---------------------------------------------------------------------------------------------
HOSTILE_NAMES = [
    pytest.param("../../escaped_map", "escaped_map", id="dotdot-climb"),
    pytest.param("/tmp/abs", "tmp_abs", id="absolute-posix"),
    pytest.param("a/b", "a_b", id="slash-separator"),
    pytest.param("a\\b", "a_b", id="backslash-separator"),
    pytest.param("..", "output", id="dotdot-alone"),
    pytest.param(".", "output", id="dot-alone"),
    pytest.param("", "output", id="empty"),
    pytest.param("C:\\Windows\\x", "C_Windows_x", id="windows-drive"),
    pytest.param("map\x00\n\r\x1b[31m", "map_[31m", id="control-chars"),
    pytest.param(".hidden", "hidden", id="leading-dot"),
    pytest.param("CON", "_CON", id="windows-reserved"),
    pytest.param("曹县 淘宝村/地图", "曹县 淘宝村_地图", id="cjk-kept"),
    pytest.param("a..b", "a_b", id="inner-dotdot"),
]


@pytest.mark.parametrize("text, expected", HOSTILE_NAMES)
def test_safe_name_is_one_plain_component(text, expected):
    name = safe_name(text)
    assert name == expected
    assert name and name not in (".", "..") and Path(name).name == name
    assert "/" not in name and "\\" not in name and ".." not in name


@pytest.mark.parametrize("rel", ["../x.html", "/tmp/abs.html", "a/../../x.html", ".."],
                         ids=["dotdot", "absolute", "climb-through-subfolder", "parent-itself"])
def test_resolve_inside_refuses_escapes(tmp_path, rel):
    with pytest.raises(OptionError, match="outside the output folder .*give a plain file name"):
        resolve_inside(tmp_path / "out", rel)


def test_resolve_inside_refuses_a_symlink_out(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "link").symlink_to(tmp_path)
    with pytest.raises(OptionError, match="outside the output folder"):
        resolve_inside(tmp_path / "out", "link/x.html")
    assert resolve_inside(tmp_path / "out", "sub/x.html") == (tmp_path / "out/sub/x.html").resolve()


@pytest.mark.parametrize("name, file_name", [
    ("../../escaped_map", "escaped_map.html"), ("/tmp/abs", "tmp_abs.html"),
    ("a/b", "a_b.html"), ("a\\b", "a_b.html"), ("..", "map.html")],
    ids=["dotdot-climb", "absolute", "slash", "backslash", "dotdot-alone"])
def test_map_name_stays_inside_out(tmp_path, name, file_name):
    out = tmp_path / "deep" / "er" / "out"
    res = _cli("map", "caoxian_villages_simulated", "--layers", "villages", "--name", name,
               "--out", out)
    assert res.exit_code == 0, res.output
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                     if p.is_file())
    assert written == sorted([f"deep/er/out/{MANIFEST}", f"deep/er/out/{file_name}"])
    assert res.output.strip() == str(out.absolute() / file_name)


# ---------------------------------------------------------------------------------------------
# 3. output folders: lock, temporary folder, rerun, overwrite, interrupt
# ---------------------------------------------------------------------------------------------
def test_second_run_on_a_locked_folder_gets_one_line(tmp_path, capsys):
    out = tmp_path / "out"
    started, release = threading.Event(), threading.Event()

    def first():
        with output_folder(out) as run:
            (run.path / "a.txt").write_text("first", encoding="utf-8")
            started.set()
            release.wait(30)

    t = threading.Thread(target=first)
    t.start()
    try:
        assert started.wait(30)
        with pytest.raises(OptionError, match=r"output folder .*out is in use by another "
                                              r"taobao_geo run \(pid \d+\); wait for it"):
            with output_folder(out):
                pytest.fail("a second run got the lock")
        # the same through the CLI: exit 1, one line, nothing written
        code, err = _main(capsys, "map", "caoxian_villages_simulated", "--layers", "villages",
                          "--out", out)
        assert code == 1
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "is in use by another taobao_geo run (pid" in lines[0]
    finally:
        release.set()
        t.join()
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "a.txt"]
    assert _leftovers(tmp_path) == []


def test_lock_held_by_another_process(tmp_path):
    out = tmp_path / "out"
    code = textwrap.dedent(f"""
        import sys, time
        from taobao_geo._outdir import output_folder
        with output_folder({str(out)!r}) as run:
            print("ready", flush=True)
            sys.stdin.readline()
    """)
    p = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        with pytest.raises(OptionError, match=rf"in use by another taobao_geo run \(pid {p.pid}\)"):
            with output_folder(out):
                pass
    finally:
        p.communicate("go\n", timeout=60)
    assert p.returncode == 0 and (out / MANIFEST).is_file()


def test_exception_leaves_the_earlier_run_untouched(tmp_path):
    out = tmp_path / "out"
    _earlier_run(out)
    before = (out / MANIFEST).read_text(encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        with output_folder(out, overwrite=True) as run:
            (run.path / "half.txt").write_text("half written", encoding="utf-8")
            raise KeyboardInterrupt
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "old.txt"]
    assert (out / MANIFEST).read_text(encoding="utf-8") == before
    assert _leftovers(tmp_path) == []


def test_interrupted_first_run_leaves_nothing_that_looks_finished(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="boom"):
        with output_folder(out) as run:
            (run.path / "summary.json").write_text("{}", encoding="utf-8")
            raise RuntimeError("boom")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_sigint_to_a_running_process_keeps_the_earlier_run(tmp_path):
    out = tmp_path / "out"
    _earlier_run(out)
    code = textwrap.dedent(f"""
        import time
        from taobao_geo._outdir import output_folder
        with output_folder({str(out)!r}, overwrite=True) as run:
            (run.path / "summary.json").write_text("{{}}", encoding="utf-8")
            print("ready", flush=True)
            time.sleep(60)
    """)
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    assert any(".partial-" in q.name for q in tmp_path.iterdir())  # it was writing
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode != 0 and "KeyboardInterrupt" in err
    assert sorted(q.name for q in out.iterdir()) == [MANIFEST, "old.txt"]
    assert _leftovers(tmp_path) == []


def test_rerun_without_overwrite_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    _earlier_run(out)
    with pytest.raises(OptionError, match=r"output folder .*out holds an earlier run; pass "
                                          r"--overwrite to replace it, or choose another --out"):
        with output_folder(out):
            pytest.fail("an earlier run was not noticed")
    code, err = _main(capsys, "kde", "caoxian_villages_simulated", "--regions", "none",
                      "--out", out)
    assert code == 1 and "holds an earlier run; pass --overwrite" in err
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "old.txt"]


def test_legacy_run_with_summary_json_counts_as_a_run(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("{}", encoding="utf-8")
    with pytest.raises(OptionError, match="holds an earlier run"):
        with output_folder(out):
            pass
    with output_folder(out, overwrite=True) as run:
        (run.path / "new.txt").write_text("new", encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "new.txt"]


@pytest.mark.parametrize("overwrite", [False, True], ids=["plain", "with-overwrite"])
def test_a_foreign_folder_is_never_deleted(tmp_path, overwrite):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.docx").write_text("years of work", encoding="utf-8")
    with pytest.raises(OptionError, match=r"thesis is not empty and holds no taobao_geo run "
                                          r"\(no \.taobao_geo-run\.json\); it is left alone"):
        with output_folder(out, overwrite=overwrite):
            pass
    assert [p.name for p in out.iterdir()] == ["chapter1.docx"]
    assert _leftovers(tmp_path) == []


def test_out_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / "out"
    f.write_text("x", encoding="utf-8")
    with pytest.raises(OptionError, match="output folder .*out is a file; choose a folder"):
        with output_folder(f, overwrite=True):
            pass
    assert f.read_text(encoding="utf-8") == "x"


def test_empty_existing_folder_is_used(tmp_path):
    (tmp_path / "out").mkdir()
    with output_folder(tmp_path / "out") as run:
        (run.path / "a.txt").write_text("a", encoding="utf-8")
    assert (tmp_path / "out" / "a.txt").read_text(encoding="utf-8") == "a"


@pytest.fixture(scope="module")
def small():
    from taobao_geo import datasets

    return datasets.load("caoxian_villages_simulated"), datasets.load("caoxian_boundary")


def _analyze(small, out, **kw):
    from taobao_geo.pipeline import analyze

    pts, bnd = small
    return analyze(pts, boundary=bnd, out_dir=out, permutations=9, envelope_simulations=9,
                   progress=False, **kw)


def test_analyze_rerun_refused_then_overwrite_leaves_no_stale_files(small, tmp_path):
    out = tmp_path / "an"
    first = _analyze(small, out, maps=True)
    assert (out / "maps").is_dir() and first.files["maps"]
    assert all(Path(p).is_file() and Path(p).is_relative_to(out) for v in first.files.values()
               for p in v)
    with pytest.raises(OptionError, match="holds an earlier run; pass --overwrite"):
        _analyze(small, out, maps=False)
    second = _analyze(small, out, maps=False, overwrite=True)
    assert second.out_dir == out.absolute()
    assert not (out / "maps").exists()  # the maps step is now skipped: no stale map files
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                     if p.is_file() and p.name != MANIFEST)
    assert manifest["files"] == on_disk
    assert _leftovers(tmp_path) == []


def test_summary_records_version_and_input_checksums(small, tmp_path):
    import hashlib

    from taobao_geo import datasets

    res = _analyze(small, tmp_path / "an", maps=False)
    summary = json.loads((res.out_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["package_version"] == __version__
    want = hashlib.sha256(datasets.get_path("caoxian_villages_simulated").read_bytes()).hexdigest()
    assert summary["inputs"]["points"]["sha256"] == want
    assert summary["inputs"]["points"]["rows"] == len(small[0])
    assert len(summary["inputs"]["boundary"]["content_sha256"]) == 64
    manifest = json.loads((res.out_dir / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["version"] == __version__ and manifest["inputs"] == summary["inputs"]


def test_analyze_on_a_locked_folder_writes_nothing(small, tmp_path):
    out = tmp_path / "an"
    with output_folder(out):
        with pytest.raises(OptionError, match="is in use by another taobao_geo run"):
            _analyze(small, out, maps=False)
    assert list(out.iterdir()) == [out / MANIFEST]


def test_cli_file_input_checksum_in_manifest(tmp_path):
    import hashlib

    csv = tmp_path / "v.csv"
    csv.write_text("village,lon,lat\na,115.5,34.8\nb,115.6,34.9\nc,115.4,34.7\n",
                   encoding="utf-8")
    res = _cli("map", csv, "--layers", "villages", "--out", tmp_path / "m")
    assert res.exit_code == 0, res.output
    manifest = json.loads((tmp_path / "m" / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["inputs"]["source"] == {"path": str(csv),
                                            "sha256": hashlib.sha256(csv.read_bytes()).hexdigest()}


@pytest.mark.parametrize("command", ["analyze", "brief", "compare", "map", "kde", "demo", "nni",
                                     "ripley", "centrography", "moran", "lisa", "hotspots"])
def test_every_writing_command_has_overwrite(command):
    res = _cli(command, "--help")
    assert res.exit_code == 0 and "--overwrite" in res.output


def test_cli_overwrite_replaces_the_run(tmp_path):
    out = tmp_path / "m"
    args = ("map", "caoxian_villages_simulated", "--layers", "villages", "--out", out)
    assert _cli(*args, "--name", "first").exit_code == 0
    res = _cli(*args, "--name", "second", "--overwrite")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "second.html"]
    assert res.output.strip() == str(out.absolute() / "second.html")


def test_ctrl_c_during_cli_analyze_over_an_earlier_run(tmp_path):
    import time

    out = tmp_path / "an"
    _earlier_run(out)
    exe = Path(sys.executable).with_name("taobao-geo")
    p = subprocess.Popen([str(exe), "analyze", "caoxian_villages_simulated", "--boundary",
                          "caoxian_boundary", "--permutations", "999", "--out", str(out),
                          "--overwrite"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        for _ in range(1200):  # wait until it is writing its temporary folder
            if any(".partial-" in q.name for q in tmp_path.iterdir()) or p.poll() is not None:
                break
            time.sleep(0.1)
        assert p.poll() is None, "the run ended before it could be interrupted"
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 1 and "Aborted." in err
    assert sorted(q.name for q in out.iterdir()) == [MANIFEST, "old.txt"]
    assert _leftovers(tmp_path) == []


def test_a_killed_runs_leftovers_are_cleaned_and_a_moved_run_restored(tmp_path):
    out = tmp_path / "out"
    _earlier_run(out)
    # as a run killed (SIGKILL) after moving the earlier run aside, before moving its own in
    os.rename(out, tmp_path / ".out.old-99999")
    (tmp_path / ".out.partial-99999").mkdir()
    (tmp_path / ".out.partial-99999" / "summary.json").write_text("{}", encoding="utf-8")
    with pytest.raises(OptionError, match="holds an earlier run"):
        with output_folder(out):
            pass
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "old.txt"]
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("rel", [".", "..", "/"], ids=["cwd", "parent", "root"])
def test_out_that_is_or_contains_the_current_folder_is_refused(tmp_path, monkeypatch, rel):
    work = tmp_path / "project"
    work.mkdir()
    monkeypatch.chdir(work)
    with pytest.raises(OptionError, match=r"is the current folder or contains it; give a "
                                          r"subfolder"):
        with output_folder(rel, overwrite=True):
            pytest.fail("the current folder was taken as --out")
    assert list(work.iterdir()) == []
