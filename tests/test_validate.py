"""Tests of the shared input checks (taobao_geo._validate) and the result mixin."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import MultiPoint, Point, Polygon

from taobao_geo import _validate as v
from taobao_geo._errors import (
    AlignmentError,
    CRSError,
    GeometryTypeError,
    InputDataError,
    TaobaoGeoError,
    TooFewPointsError,
)
from taobao_geo._results import ResultMixin, jsonable


def _pts(crs="EPSG:32650", n=3):
    return gpd.GeoDataFrame({"v": range(n)}, geometry=[Point(i, i) for i in range(n)], crs=crs)


def test_errors_are_value_errors():
    for cls in (CRSError, GeometryTypeError, AlignmentError, InputDataError, TooFewPointsError):
        assert issubclass(cls, TaobaoGeoError)
        assert issubclass(cls, ValueError)


def test_ensure_projected_accepts_metres():
    crs = v.ensure_projected(_pts(), func="f")
    assert crs.to_epsg() == 32650


def test_ensure_projected_refuses_degrees_with_fix():
    with pytest.raises(CRSError, match=r"`f` needs a projected CRS in metres; got geographic EPSG:4326.*to_projected"):
        v.ensure_projected(_pts("EPSG:4326"), func="f")


def test_ensure_projected_refuses_missing_crs():
    with pytest.raises(CRSError, match="have no CRS.*set_crs"):
        v.ensure_projected(_pts(None), func="f")


def test_ensure_projected_refuses_feet():
    with pytest.raises(CRSError, match="uses 'US survey foot'"):
        v.ensure_projected(_pts("EPSG:2263"), func="f")


def test_ensure_points_names_bad_rows():
    gdf = _pts()
    gdf.loc[1, "geometry"] = MultiPoint([(0, 0), (1, 1)])
    with pytest.raises(GeometryTypeError, match=r"1 row\(s\) are \['MultiPoint'\]: 1.*explode"):
        v.ensure_points(gdf, func="f")
    gdf.loc[1, "geometry"] = None
    with pytest.raises(GeometryTypeError, match=r"missing or empty geometry: 1"):
        v.ensure_points(gdf, func="f")
    with pytest.raises(GeometryTypeError, match="GeoDataFrame or GeoSeries of points; got list"):
        v.ensure_points([Point(0, 0)], func="f")


def test_ensure_points_min_n():
    with pytest.raises(TooFewPointsError, match="at least 3 points; got 2"):
        v.ensure_points(_pts(n=2), func="f", min_n=3)


def test_ensure_polygons():
    polys = gpd.GeoSeries([Polygon([(0, 0), (1, 0), (1, 1)]), Point(0, 0)])
    with pytest.raises(GeometryTypeError, match=r"1 row\(s\) are not: 1"):
        v.ensure_polygons(polys, func="f")
    with pytest.raises(GeometryTypeError, match="empty"):
        v.ensure_polygons(gpd.GeoSeries([]), func="f")


def test_ensure_numeric_messages():
    df = pd.DataFrame({"a": [1.0, np.nan, 3.0], "s": ["x", "y", "z"]}, index=["r1", "r2", "r3"])
    with pytest.raises(InputDataError, match=r"column 'a' has 1 missing or infinite value\(s\) in rows 'r2'") as ei:
        v.ensure_numeric(df, "a", func="f")
    assert ei.value.rows == ["r2"]
    with pytest.raises(InputDataError, match=r"column .s. must be numeric; it has dtype (object|str)"):
        v.ensure_numeric(df, "s", func="f")
    with pytest.raises(InputDataError, match="column 'zz' not found; available columns: 'a', 's'"):
        v.ensure_numeric(df, "zz", func="f")
    np.testing.assert_array_equal(v.ensure_numeric(df.fillna(2), "a", func="f"), [1.0, 2.0, 3.0])


def test_ensure_aligned():
    a = pd.Index([1, 2, 3])
    v.ensure_aligned(a, pd.Index([1, 2, 3]), left_name="x", right_name="w", func="f")
    with pytest.raises(AlignmentError, match="only in x: 3; only in w: 4"):
        v.ensure_aligned(a, pd.Index([1, 2, 4]), left_name="x", right_name="w", func="f")
    with pytest.raises(AlignmentError, match="different order"):
        v.ensure_aligned(a, pd.Index([3, 2, 1]), left_name="x", right_name="w", func="f")


def test_ensure_rng_is_reproducible_and_typed():
    assert v.ensure_rng(7).random() == v.ensure_rng(7).random()
    g = np.random.default_rng(1)
    assert v.ensure_rng(g) is g
    with pytest.raises(TypeError, match="`rng` must be"):
        v.ensure_rng("seed")


def test_check_alternative():
    assert v.check_alternative("less", func="f") == "less"
    with pytest.raises(ValueError, match=r"`alternative` must be one of \('two-sided', 'greater', 'less'\); got 'both'"):
        v.check_alternative("both", func="f")


def test_row_list_truncates():
    assert v.row_list(range(12), limit=3) == "0, 1, 2 … and 9 more"


@dataclasses.dataclass(frozen=True)
class _Toy(ResultMixin):
    value: float
    arr: np.ndarray = dataclasses.field(repr=False)

    def to_frame(self):
        return pd.DataFrame({"value": [self.value]})

    def summary(self):
        return f"value = {self.value:.2f} <b>"


def test_result_mixin():
    r = _Toy(np.float64(1.5), np.arange(3))
    assert r.to_dict() == {"value": 1.5}
    assert str(r) == "value = 1.50 <b>"
    assert "&lt;b&gt;" in r._repr_html_()
    assert jsonable({"x": np.nan, "y": np.int64(2), "z": (np.float32(1.0),)}) == {"x": None, "y": 2, "z": [1.0]}


def test_seed_label():
    assert v.seed_label(12345) == 12345
    assert v.seed_label(np.int64(3)) == 3
    assert v.seed_label(np.random.default_rng(1)) == "given as a Generator"
    assert v.seed_label(None) == "none, not reproducible"
