"""Output folders that can be trusted: every file the package writes goes through here.

Guarantees (see the README's "Output folders"):

* A run writes into a temporary sibling ``.<name>.partial-<pid>`` of ``--out`` and moves it into
  place only when it has finished, so an interrupted or failed run leaves the earlier run (if
  any) untouched and nothing at ``--out`` that looks finished.
* ``--out`` is locked (``fcntl.flock`` on ``.<name>.lock`` beside it) for the whole run: a second
  run on the same folder stops at once with one line naming the folder and the other run.
* A folder holding an earlier taobao_geo run is refused unless ``overwrite=True``, which replaces
  the whole folder (no stale files from steps that are now skipped). A non-empty folder that is
  not a taobao_geo run is never deleted.
* Every finished folder holds ``.taobao_geo-run.json``: the package version, the SHA-256 of the
  inputs and the list of files written.
* Names that become file names go through :func:`safe_name`; :func:`resolve_inside` refuses a
  path that leaves the folder.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import glob
import hashlib
import json
import os
import re
import shutil
import unicodedata
from pathlib import Path

from ._errors import OptionError

__all__ = [
    "MANIFEST",
    "OutputFolder",
    "safe_name",
    "resolve_inside",
    "output_folder",
    "file_sha256",
    "frame_sha256",
]

MANIFEST = ".taobao_geo-run.json"
# summary.json marks runs written before the manifest existed (analyze, kde, nni, ripley, ...)
_LEGACY_MARKERS = ("summary.json",)
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
_MAX_NAME = 120


def safe_name(text, *, default: str = "output") -> str:
    """A file name made from user text: one path component, never empty, CJK kept.

    Separators (``/``, ``\\``), ``..``, drive letters, control characters and characters that
    Windows forbids become ``_``; leading dots and spaces are dropped (no hidden files, no
    ``..``). ``"../../x"`` -> ``"x"``, ``"/tmp/abs"`` -> ``"tmp_abs"``, ``"a/b"`` -> ``"a_b"``.

    Parameters
    ----------
    text
        The user's name (a map name, a county, a title).
    default
        Returned when nothing usable is left.
    """
    s = unicodedata.normalize("NFC", str(text))
    s = "".join("_" if unicodedata.category(c).startswith("C") else c for c in s)
    s = re.sub(r'[/\\:*?"<>|]+', "_", s)
    s = re.sub(r"\.{2,}", "_", s)  # no ".." anywhere, so no component can climb
    s = re.sub(r"_+", "_", s).strip(" ._")
    s = s[:_MAX_NAME].rstrip(" .")
    if s.split(".")[0].upper() in _RESERVED:
        s = "_" + s
    return s or default


def resolve_inside(out, relpath) -> Path:
    """``out / relpath``, refusing any path that would end outside ``out``.

    Raises
    ------
    OptionError
        If ``relpath`` is absolute or climbs out of ``out`` (``..``, symlinks included).
    """
    base = Path(out).resolve()
    target = (base / Path(relpath)).resolve()
    if Path(relpath).is_absolute() or not target.is_relative_to(base):
        raise OptionError(
            f"refusing to write {str(relpath)!r}: it is outside the output folder "
            f"{base}; give a plain file name."
        )
    return target


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def frame_sha256(gdf) -> str:
    """SHA-256 of a (Geo)DataFrame's content: attribute values and geometries (WKB)."""
    import pandas as pd

    h = hashlib.sha256()
    geom = gdf.geometry if hasattr(gdf, "geometry") else None
    cols = [c for c in gdf.columns if geom is None or c != geom.name]
    # a plain copy without .attrs: pandas compares attrs (which may hold frames) when combining
    plain = pd.DataFrame(
        {str(c): gdf[c].astype(str).to_numpy() for c in cols}, index=gdf.index.to_numpy()
    )
    h.update(pd.util.hash_pandas_object(plain, index=True).to_numpy().tobytes())
    if geom is not None:
        for w in geom.to_wkb():
            h.update(w or b"")
        h.update(str(gdf.crs).encode())
    return h.hexdigest()


class OutputFolder:
    """The run's working folder (``path``) and where it will be (``final``)."""

    def __init__(self, final: Path, path: Path, inputs: dict):
        self.final, self.path, self.inputs = final, path, dict(inputs)

    def shown(self, p) -> Path:
        """Where ``p`` (a path in the working folder) will be once the run has finished."""
        p = Path(p)
        return self.final / p.relative_to(self.path) if p.is_relative_to(self.path) else p

    def inside(self, relpath) -> Path:
        return resolve_inside(self.path, relpath)


def _is_run(folder: Path) -> bool:
    return any((folder / m).is_file() for m in (MANIFEST, *_LEGACY_MARKERS))


def _check_target(final: Path, overwrite: bool) -> None:
    if not final.exists():
        return
    if not final.is_dir():
        raise OptionError(f"output folder {final} is a file; choose a folder with --out.")
    if not any(final.iterdir()):
        return
    if not _is_run(final):
        raise OptionError(
            f"output folder {final} is not empty and holds no taobao_geo run "
            f"(no {MANIFEST}); it is left alone, even with --overwrite: choose "
            "an empty or new --out."
        )
    if not overwrite:
        raise OptionError(
            f"output folder {final} holds an earlier run; pass --overwrite to "
            "replace it, or choose another --out."
        )


@contextlib.contextmanager
def _lock(final: Path):
    import fcntl

    lock = final.parent / f".{final.name}.lock"
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.read(fd, 200).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise OptionError(
                f"output folder {final} is in use by another taobao_geo run "
                f"({other}); wait for it to finish or choose another --out."
            ) from None
        # the holder before us may have removed the lock file: then lock the new one
        try:
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"pid {os.getpid()}".encode())
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)


def _write_manifest(run: OutputFolder) -> None:
    from . import __version__

    files = sorted(
        str(p.relative_to(run.path))
        for p in run.path.rglob("*")
        if p.is_file() and p.name != MANIFEST
    )
    data = {
        "package": "taobao_geo",
        "version": __version__,
        "finished_utc": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "inputs": run.inputs,
        "files": files,
    }
    (run.path / MANIFEST).write_text(
        json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8"
    )


def _move_into_place(work: Path, final: Path) -> None:
    old = None
    if final.exists():
        old = final.parent / f".{final.name}.old-{os.getpid()}"
        os.rename(final, old)  # same file system: atomic
    try:
        os.rename(work, final)
    except BaseException:
        if old is not None:
            os.rename(old, final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _clean_killed_runs(final: Path) -> None:
    """Remove what a killed run (SIGKILL, power cut) left beside ``final``; we hold the lock.

    Its temporary folder goes; an earlier run it had moved aside but not yet replaced is put
    back, so that a kill between the two renames loses nothing.
    """
    for p in final.parent.glob(f".{glob.escape(final.name)}.partial-*"):
        shutil.rmtree(p, ignore_errors=True)
    for p in sorted(final.parent.glob(f".{glob.escape(final.name)}.old-*")):
        if not final.exists():
            os.rename(p, final)
        else:
            shutil.rmtree(p, ignore_errors=True)


def input_checksums(inputs: dict | None) -> dict:
    """Role -> {"path", "sha256"} for files; strings already hashed are kept."""
    out = {}
    for role, value in (inputs or {}).items():
        if value is None:
            continue
        if isinstance(value, dict):
            out[role] = value
        elif Path(value).is_file():
            out[role] = {"path": str(value), "sha256": file_sha256(value)}
    return out


@contextlib.contextmanager
def output_folder(out, *, overwrite: bool = False, inputs: dict | None = None):
    """Lock ``out``, yield an :class:`OutputFolder` to write into, move it into place at the end.

    Parameters
    ----------
    out
        The output folder the user asked for.
    overwrite
        Replace an earlier taobao_geo run in ``out`` (only when the run has finished).
    inputs
        Role -> input file path (hashed) or a ready ``{"sha256": ...}`` dict, for the manifest.

    Raises
    ------
    OptionError
        ``out`` is locked by another run, holds an earlier run without ``overwrite``, or holds
        files that are not a taobao_geo run.
    """
    final = Path(out).absolute()
    if Path.cwd().resolve().is_relative_to(final.resolve()):
        # the folder is replaced whole at the end: never the one we are in, nor one above it
        raise OptionError(
            f"--out {out} is the current folder or contains it; give a subfolder "
            "such as --out out/run1."
        )
    final.parent.mkdir(parents=True, exist_ok=True)
    with _lock(final):
        _clean_killed_runs(final)
        _check_target(final, overwrite)
        work = final.parent / f".{final.name}.partial-{os.getpid()}"
        if work.exists():
            shutil.rmtree(work)
        work.mkdir()
        run = OutputFolder(final, work, input_checksums(inputs))
        try:
            yield run
            _write_manifest(run)
            _move_into_place(work, final)
        finally:
            if work.exists():  # failed or interrupted: nothing half-written stays behind
                shutil.rmtree(work, ignore_errors=True)
