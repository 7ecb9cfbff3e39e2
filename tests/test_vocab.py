"""The LISA / Gi* vocabulary exists once (taobao_geo._vocab): the labels a result reports are
the labels the map legend shows, and every module reads the same tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("folium")

from taobao_geo import _vocab, local, maps, palettes  # noqa: E402

PKG = Path(__file__).resolve().parents[1] / "taobao_geo"


def _page(m) -> str:
    page = m.get_root().render()
    # legends are passed through tojson: decode \uXXXX so text can be searched as written
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda mm: chr(int(mm.group(1), 16)), page)


@pytest.fixture(scope="module")
def cao():
    from taobao_geo import datasets, projection, units, weights

    pts = projection.to_projected(datasets.load("caoxian_villages_simulated"))
    boundary = datasets.load("caoxian_boundary").to_crs(pts.crs)
    cells = units.aggregate(pts, "fishnet", size_m=5000, boundary=boundary)
    w = weights.build_graph(cells, kind="queen", islands="drop")
    lisa = local.local_moran(cells, column="count", weights=w, permutations=99, rng=1)
    gi = local.getis_ord(cells, column="count", weights=w)
    return lisa, gi


def test_lisa_result_labels_are_the_legend_labels(cao):
    lisa, _ = cao
    page = _page(maps.explore_lisa(lisa))
    counts = lisa.gdf["cluster"].value_counts()
    assert len(counts) >= 2, counts   # the check below must compare more than one class
    for value, n in counts.items():
        code = palettes.lisa_code(value)
        assert _vocab.LISA_VALUES[code] == value
        assert f"{_vocab.LISA_LABELS[code]} (n={n})" in page, (value, n)


def test_gi_result_labels_are_the_legend_labels(cao):
    _, gi = cao
    page = _page(maps.explore_hotspots(gi))
    g = gi.gdf[gi.gdf["gi_label"] != _vocab.ISLAND]
    assert g["gi_bin"].nunique() >= 2
    for b, rows in g.groupby("gi_bin"):
        labels = set(rows["gi_label"])
        assert labels == {_vocab.GI_BIN_LABELS[int(b)]}, (b, labels)
        n = int((gi.gdf["gi_bin"] == b).sum())   # islands (gi_bin 0) count as not significant
        assert f"{labels.pop()} (n={n})" in page, (b, n)


def test_every_module_reads_the_one_vocabulary():
    assert palettes.LISA_COLOURS is _vocab.LISA_COLOURS
    assert palettes.LISA_LABELS is _vocab.LISA_LABELS
    assert palettes.GI_BIN_LABELS is _vocab.GI_BIN_LABELS is local.GI_BIN_LABELS
    assert palettes.GI_BIN_COLOURS is _vocab.GI_BIN_COLOURS is local.GI_BIN_COLORS
    assert local.LISA_COLORS is _vocab.LISA_VALUE_COLOURS
    assert (local.NOT_SIG, local.ISLAND) == (_vocab.NOT_SIGNIFICANT, _vocab.ISLAND)
    assert set(local.QUADRANTS) == set(_vocab.LISA_COLOURS) - {"ns", "island"}


@pytest.mark.parametrize("lang", sorted(_vocab.LISA_LABELS_BY_LANG))
def test_each_language_names_every_class(lang):
    assert set(_vocab.LISA_LABELS_BY_LANG[lang]) == set(_vocab.LISA_COLOURS)
    assert set(_vocab.GI_BIN_LABELS_BY_LANG[lang]) == set(_vocab.GI_BIN_COLOURS) == set(_vocab.GI_BINS)


@pytest.mark.parametrize("value", list(_vocab.LISA_VALUES.values())
                         + list(_vocab.LISA_LABELS.values()))
def test_result_values_and_legend_labels_normalise_to_their_code(value):
    code = palettes.lisa_code(value)
    assert value in (_vocab.LISA_VALUES[code], _vocab.LISA_LABELS[code])


@pytest.mark.parametrize("module", ["local.py", "maps.py", "palettes.py", "report.py"])
def test_no_second_copy_of_the_labels(module):
    source = (PKG / module).read_text(encoding="utf-8")
    for text in ('"Hot spot - ', '"hot spot (', '"High-High"', '"Not significant"', '"#D62F27"',
                 '"#FF0000"'):
        assert text not in source, f"{module} defines {text}; read it from taobao_geo._vocab"


def test_vocabulary_imports_nothing():
    source = (PKG / "_vocab.py").read_text(encoding="utf-8")
    imports = [ln for ln in source.splitlines() if ln.startswith(("import ", "from "))]
    assert imports == ["from __future__ import annotations"]
