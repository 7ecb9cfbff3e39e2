"""Structural promises of the package, checked on its source.

* Statistics modules never import folium, branca, click or the CLI (STYLE.md B1): users of the
  library should not pay for (or need) the map and CLI stacks.
* Nothing that ships reads the raw sources in ``../shared`` (only ``data/build.py`` may).
* No module seeds or reconfigures numpy's global state.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "taobao_geo"
PRESENTATION = {"maps", "_offline", "_legend", "_html", "report", "pipeline", "compare"}
FORBIDDEN_IN_STATS = ("folium", "branca", "offlinefolium", "click", "taobao_geo.cli", "taobao_geo.maps")


def _modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        yield rel, path.read_text(encoding="utf-8")


def _imports(source: str):
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:  # relative import: resolve to a taobao_geo name for the check
                mod = "taobao_geo." + mod if mod else "taobao_geo"
                for alias in node.names:
                    yield f"{mod}.{alias.name}" if mod == "taobao_geo" else mod
            else:
                yield mod


def test_package_has_modules():
    assert len(list(_modules())) >= 5


@pytest.mark.parametrize("rel,source", list(_modules()), ids=lambda x: str(x) if isinstance(x, Path) else "")
def test_statistics_modules_do_not_import_presentation(rel, source):
    if rel.parts[0] == "cli" or rel.stem in PRESENTATION:
        return
    bad = [m for m in _imports(source) if any(m == f or m.startswith(f + ".") for f in FORBIDDEN_IN_STATS)]
    assert not bad, f"{rel} imports {bad}; statistics modules must not import maps or CLI code"


@pytest.mark.parametrize("rel,source", list(_modules()), ids=lambda x: str(x) if isinstance(x, Path) else "")
def test_nothing_shipped_reads_shared_raw_data(rel, source):
    assert "shared/data" not in source, f"{rel} refers to ../shared/data; only data/build.py may"


@pytest.mark.parametrize("rel,source", list(_modules()), ids=lambda x: str(x) if isinstance(x, Path) else "")
def test_no_global_numpy_state(rel, source):
    for pattern in ("np.random.seed(", "numpy.random.seed(", "np.seterr(", "np.random.permutation(", "np.random.rand("):
        assert pattern not in source, f"{rel} uses {pattern!r}; use a local Generator (ensure_rng)"


# Only the package's lazy top level and the CLI's lazy subcommand loader may import modules by
# name; everywhere else imports are plain, so readers, linters and these checks can see them.
LAZY_LOADERS = {Path("__init__.py"), Path("cli/main.py")}


@pytest.mark.parametrize("rel,source", list(_modules()), ids=lambda x: str(x) if isinstance(x, Path) else "")
def test_no_imports_by_string(rel, source):
    if rel in LAZY_LOADERS:
        return
    tree = ast.parse(source)
    calls = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"]
    assert not calls, f"{rel} imports by string (importlib.import_module) on lines {calls}"


def test_pipeline_imports_its_steps_plainly():
    imported = set(_imports((PKG / "pipeline.py").read_text(encoding="utf-8")))
    for mod in ("nni", "ripley", "density", "units", "weights", "autocorrelation", "local",
                "centrography", "maps"):
        assert f"taobao_geo.{mod}" in imported, mod
