"""Structural promises of the package, checked on its source.

* Statistics modules never import folium, branca, click or the CLI (STYLE.md B1): users of the
  library should not pay for (or need) the map and CLI stacks.
* Nothing that ships reads the raw sources in ``../shared`` (only ``data/build.py`` may).
* No module seeds or reconfigures numpy's global state.
* Private code is grouped by the layer it serves, so that a file's layer shows in its path:
  ``_io/`` is the loader's (imported only by the public ``io`` and ``geocode`` modules), and
  ``io.py`` itself holds only the public API.
* Layout: public modules are flat (``taobao_geo.maps``...); the map layer's private code lives in
  ``taobao_geo/_maps/``, its JavaScript and CSS as package files in ``_maps/assets/`` (shipped
  as package data and read with importlib.resources), not as Python strings.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "taobao_geo"
PRESENTATION = {"maps", "_html", "report", "pipeline", "compare"}
#: Folders whose modules are presentation code (the CLI, the map internals).
PRESENTATION_DIRS = {"cli", "_maps"}
FORBIDDEN_IN_STATS = ("folium", "branca", "offlinefolium", "click", "taobao_geo.cli", "taobao_geo.maps",
                      "taobao_geo._maps")


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
    if rel.parts[0] in PRESENTATION_DIRS or rel.stem in PRESENTATION:
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


# private packages -> the public modules of their layer (the only ones that may import them)
LAYER_PACKAGES = {"_io": {"io", "geocode"}}


@pytest.mark.parametrize("rel,source", list(_modules()), ids=lambda x: str(x) if isinstance(x, Path) else "")
def test_private_layer_packages_are_imported_only_by_their_layer(rel, source):
    for package, users in LAYER_PACKAGES.items():
        if rel.parts[0] == package:
            continue
        bad = [m for m in _imports(source)
               if m == f"taobao_geo.{package}" or m.startswith(f"taobao_geo.{package}.")]
        assert not bad or rel.stem in users, (
            f"{rel} imports {bad}; use the public {'/'.join(sorted(users))} module instead")


def test_io_module_is_the_loaders_public_api():
    from taobao_geo import io

    tree = ast.parse((PKG / "io.py").read_text(encoding="utf-8"))
    defined = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    assert defined, "io.py defines read_villages and validate_villages"
    private = [name for name in defined if name.startswith("_")]
    assert not private, f"io.py defines private {private}; they belong in taobao_geo/_io/"
    assert (PKG / "_io" / "__init__.py").exists()
    assert all(hasattr(io, name) for name in io.__all__)


# ----------------------------------------------------------------------------- map layer layout
MAP_INTERNALS = ("_legend", "_offline", "_elements", "_layers", "_raster", "_tiles", "_assets")


@pytest.mark.parametrize("name", MAP_INTERNALS)
def test_map_internals_live_in_the_maps_package(name):
    assert (PKG / "_maps" / f"{name}.py").is_file(), f"taobao_geo/_maps/{name}.py is missing"
    assert not (PKG / f"{name}.py").exists(), f"taobao_geo/{name}.py should live in taobao_geo/_maps/"


def test_public_maps_module_keeps_its_import_path():
    from taobao_geo import maps

    assert maps.__name__ == "taobao_geo.maps"
    for name in maps.__all__:
        assert hasattr(maps, name), name


def test_map_assets_are_found_by_importlib_resources():
    from importlib import resources

    from taobao_geo._maps._assets import ASSETS, asset_text

    folder = resources.files("taobao_geo._maps").joinpath("assets")
    shipped = sorted(p.name for p in folder.iterdir() if p.is_file())
    assert shipped == sorted(ASSETS)
    assert "tgMap.points = function" in asset_text("helpers.js")
    assert ".tg-legend" in asset_text("legend.css")


def test_package_data_ships_the_map_assets():
    import fnmatch
    import tomllib

    conf = tomllib.loads((PKG.parent / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = conf["tool"]["setuptools"]["package-data"]["taobao_geo._maps"]
    for path in (PKG / "_maps" / "assets").iterdir():
        rel = path.relative_to(PKG / "_maps").as_posix()
        assert any(fnmatch.fnmatch(rel, pat) for pat in patterns), f"{rel} is not package data"


@pytest.mark.parametrize("rel,source", [(r, s) for r, s in _modules() if r.parts[0] == "_maps"
                                        or r.stem == "maps"], ids=lambda x: str(x) if isinstance(x, Path) else "")
def test_no_javascript_or_css_in_python_strings(rel, source):
    # Small Jinja macros that call the helpers are fine; the helpers and the stylesheet are files.
    for marker in ("tgMap.table = function", "tgMap.points = function", ".tg-box{", ".tg-legend "):
        assert marker not in source, f"{rel} holds {marker!r}; it belongs in taobao_geo/_maps/assets/"


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
