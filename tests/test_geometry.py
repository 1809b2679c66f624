"""Tests of assetmatch.geometry: checks and repairs with exact expected areas."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import (
    GeometryCollection,
    LineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
    box,
)

from assetmatch.geo.geometry import GeometryCheck, check_geometries

BOW_TIE = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])


def _one(geom, **kwargs) -> GeometryCheck:
    return check_geometries(pd.Series([geom], index=["TS-1"], dtype=object), **kwargs)


def _polygon(coords) -> Polygon:
    with warnings.catch_warnings():  # shapely warns when a ring holds NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return Polygon(coords)


def test_valid_polygons_pass_unchanged():
    parcels = gpd.GeoSeries(
        [box(0, 0, 100, 50), MultiPolygon([box(0, 0, 1, 1), box(5, 5, 7, 7)])], index=["a", "b"]
    )
    check = check_geometries(parcels)
    assert check.ok.tolist() == [True, True]
    assert check.repaired.tolist() == [False, False]
    assert check.area_before.tolist() == [5000.0, 5.0]
    assert check.area_after.tolist() == [5000.0, 5.0]
    assert check.problems == [] and check.repairs == []
    assert check.geometry[0].equals(parcels.iloc[0])


def test_bow_tie_becomes_its_two_triangles():
    check = _one(BOW_TIE)
    assert check.ok.tolist() == [True] and check.repaired.tolist() == [True]
    fixed = check.geometry[0]
    assert fixed.geom_type == "MultiPolygon" and len(fixed.geoms) == 2
    assert sorted(g.area for g in fixed.geoms) == [1.0, 1.0]
    assert check.area_before[0] == 0.0  # the shoelace areas of the two lobes cancel
    assert check.area_after[0] == 2.0
    (repair,) = check.repairs
    assert repair["row"] == "TS-1"
    assert repair["area_change"] == 2.0
    assert "Self-intersection[1 1]" in repair["reason"]
    assert "area 0 → 2" in repair["reason"]


def test_overlapping_multipolygon_parts_are_unioned_not_dropped():
    overlapping = MultiPolygon([box(0, 0, 2, 2), box(1, 1, 3, 3)])
    check = _one(overlapping)
    assert check.ok[0] and check.repaired[0]
    assert check.area_before[0] == 8.0
    assert check.area_after[0] == 7.0  # 4 + 4 − 1 overlap; an XOR would give 6
    assert check.geometry[0].equals(shapely.union(box(0, 0, 2, 2), box(1, 1, 3, 3)))
    assert check.repairs[0]["area_change"] == -1.0
    assert "(-12.5%)" in check.repairs[0]["reason"]


def test_self_touching_ring_with_a_spike_keeps_the_area():
    spike = Polygon([(0, 0), (4, 0), (4, 4), (2, 4), (2, 6), (2, 4), (0, 4), (0, 0)])
    check = _one(spike)
    assert check.ok[0] and check.repaired[0]
    assert check.area_after[0] == 16.0
    assert check.geometry[0].geom_type == "Polygon"


def test_geometry_collection_keeps_its_polygons():
    collection = GeometryCollection(
        [box(0, 0, 1, 1), box(0.5, 0, 1.5, 1), LineString([(0, 0), (5, 5)]), Point(9, 9)]
    )
    check = _one(collection)
    assert check.ok[0] and check.repaired[0]
    assert check.geometry[0].geom_type == "Polygon"
    assert check.area_after[0] == 1.5
    assert "dropped 2 other part(s)" in check.repairs[0]["reason"]


@pytest.mark.parametrize(
    ("geom", "reason"),
    [
        (None, "missing geometry"),
        (np.nan, "missing geometry"),
        (Polygon(), "empty geometry"),
        (_polygon([(0, 0), (1, np.nan), (1, 1), (0, 0)]), "non-finite coordinates"),
        (Polygon([(0, 0), (np.inf, 0), (1, 1), (0, 0)]), "non-finite coordinates"),
        (Polygon([(0, 0, 1), (1, 0, np.inf), (1, 1, 1), (0, 0, 1)]), "non-finite coordinates"),
        (LineString([(0, 0), (10, 10)]), "a LineString has no area"),
        (MultiPoint([(0, 0), (1, 1)]), "a MultiPoint is not one location"),
        (Polygon([(0, 0), (1, 1), (2, 2), (0, 0)]), "collapses to zero area"),
        (GeometryCollection([Point(0, 0), LineString([(0, 0), (1, 0)])]), "without any polygon"),
    ],
)
def test_rejections_name_row_field_and_reason(geom, reason):
    check = _one(geom)
    assert check.ok.tolist() == [False]
    assert check.geometry[0] is None
    assert np.isnan(check.area_after[0])
    (problem,) = check.problems
    assert (problem.row, problem.field) == ("TS-1", "geometry")
    assert reason in problem.reason


def test_points_are_accepted_only_when_allowed():
    check = _one(Point(118.8, 24.9))
    assert check.ok[0] and not check.repaired[0]
    assert check.geometry[0].equals(Point(118.8, 24.9))
    assert check.area_before[0] == 0.0
    check = _one(Point(118.8, 24.9), allow_points=False)
    assert not check.ok[0]
    assert "points are not accepted" in check.problems[0].reason


def test_plain_sequences_name_rows_by_position():
    check = check_geometries([box(0, 0, 1, 1), None, BOW_TIE])
    assert check.ok.tolist() == [True, False, True]
    assert [p.row for p in check.problems] == [1]
    assert [r["row"] for r in check.repairs] == [2]


def test_many_rows_mixed():
    n = 5_000
    geoms = np.empty(n, dtype=object)
    geoms[:] = [box(i, 0, i + 1, 2) for i in range(n)]
    geoms[::100] = BOW_TIE
    geoms[7::100] = None
    series = gpd.GeoSeries(geoms, index=[f"A{i}" for i in range(n)])
    check = check_geometries(series)
    assert int(check.repaired.sum()) == 50
    assert int((~check.ok).sum()) == 50
    assert {p.row for p in check.problems} == {f"A{i}" for i in range(7, n, 100)}
    np.testing.assert_array_equal(check.area_after[1:7], 2.0)


def _nan_polygon() -> shapely.Polygon:
    with np.errstate(invalid="ignore"):  # GEOS is told of the NaN as it is built
        return shapely.Polygon([(0, 0), (np.nan, 0), (1, 1), (0, 0)])


_ONE_GEOMETRY_CASES = [
    shapely.box(0, 0, 10, 10),  # accepted as it is
    shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(5, 5, 6, 6)]),
    shapely.Polygon([(0, 0, 1), (4, 0, 2), (4, 4, 3), (0, 0, 1)]),  # with z
    shapely.Point(3, 4),
    shapely.Polygon([(0, 0), (4, 4), (4, 0), (0, 4), (0, 0)]),  # bow-tie: repaired
    shapely.Polygon(),  # empty
    shapely.Polygon([(0, 0), (1, 0), (2, 0), (0, 0)]),  # zero area
    shapely.box(0, 0, 2e9, 1),  # beyond any map
    _nan_polygon(),
    shapely.LineString([(0, 0), (1, 1)]),
    shapely.MultiPoint([(0, 0), (1, 1)]),
    shapely.GeometryCollection([shapely.box(0, 0, 1, 1), shapely.Point(5, 5)]),
    None,
]


@pytest.mark.parametrize("allow_points", [True, False])
@pytest.mark.parametrize("k", range(len(_ONE_GEOMETRY_CASES)))
def test_one_geometry_is_checked_as_in_a_batch(k, allow_points):
    """A single geometry (an edit's boundary) takes a scalar path for the common case; its
    outcome equals that of the same geometry checked among others (the vectorised path)."""
    g = _ONE_GEOMETRY_CASES[k]
    one = check_geometries(np.array([g], dtype=object), allow_points=allow_points)
    two = check_geometries(
        np.array([g, shapely.box(0, 0, 1, 1)], dtype=object), allow_points=allow_points
    )
    assert one.ok[0] == two.ok[0] and one.repaired[0] == two.repaired[0]
    for a, b in ((one.area_before, two.area_before), (one.area_after, two.area_after)):
        assert np.array_equal(a[:1], b[:1], equal_nan=True)
    if two.ok[0]:
        assert shapely.equals_exact(one.geometry[0], two.geometry[0], tolerance=0)
    else:
        assert one.geometry[0] is None
    assert [p.reason for p in one.problems] == [p.reason for p in two.problems]
    assert [r["reason"] for r in one.repairs] == [r["reason"] for r in two.repairs]
