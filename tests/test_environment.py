"""environment.yml (conda) lists the same dependencies, with the same bounds, as pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI names
CONDA_NAME = {"matplotlib": "matplotlib-base"}
PIP_ONLY = {"folium-offline"}  # not on conda-forge: installed by the pip section


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    return m.group(1).lower(), m.group(2).replace(" ", "")


def _env_entries():
    conda, pip = {}, {}
    in_pip = in_deps = False
    for line in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        if not in_deps:
            continue
        if re.match(r"^\s+- pip:\s*$", line):
            in_pip = True
            continue
        m = re.match(r"^(\s+)- (.+?)\s*(#.*)?$", line)
        if not m:
            continue
        name, spec = _split(m.group(2))
        if in_pip and len(m.group(1)) > 4:
            pip[name] = spec
        else:
            conda[name] = spec
    return conda, pip


def test_environment_matches_pyproject():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(meta["dependencies"]) + list(meta["optional-dependencies"]["test"])
    conda, pip = _env_entries()
    assert conda.get("python") == "=3.11"
    for req in reqs:
        name, spec = _split(req)
        if name in PIP_ONLY:
            assert pip.get(name) == spec, f"{name}: pip section has {pip.get(name)!r}, want {spec!r}"
            continue
        cname = CONDA_NAME.get(name, name)
        assert cname in conda, f"{name} ({req}) missing from environment.yml"
        # conda pins with a single '=', pip with '=='
        assert conda[cname] == spec.replace("==", "="), f"{name}: {conda[cname]!r} vs {spec!r}"
    known = {CONDA_NAME.get(_split(r)[0], _split(r)[0]) for r in reqs} | {"python", "pip"}
    extra = set(conda) - known
    assert not extra, f"environment.yml lists packages pyproject.toml does not: {sorted(extra)}"
