"""The memoised shortcuts of a warm match give what the plain computation gives (issue 12)."""

from __future__ import annotations

import pytest
from sklearn.base import BaseEstimator, clone

from assetmatch.requirements import CRITERIA, Requirements
from assetmatch.scoring import SiteScorer
from assetmatch.scoring.tables import _adds_of, _conflict_adds, _default_conflicts, _rows_of


def introspected(cls: type) -> list[str]:
    """scikit-learn's own reading of the constructor (what the memo replaces)."""
    return BaseEstimator._get_param_names.__func__(cls)  # type: ignore[attr-defined]


def test_the_scorers_parameter_names_are_scikit_learns():
    assert SiteScorer._get_param_names() == introspected(SiteScorer)
    assert "requirements" in SiteScorer().get_params()

    class Wider(SiteScorer):
        def __init__(self, requirements=None, extra: int = 3, **kw):
            super().__init__(requirements, **kw)
            self.extra = extra

    assert Wider._get_param_names() == introspected(Wider) == ["extra", "requirements"]
    assert SiteScorer._get_param_names() == introspected(SiteScorer)  # not the subclass's
    sc = SiteScorer(as_of="2024-06-30", block_rows=2048)
    assert clone(sc).get_params() == sc.get_params()
    with pytest.raises(ValueError, match="Invalid parameter"):
        sc.set_params(no_such_parameter=1)


@pytest.mark.parametrize(
    ("industry", "target"),
    [("P83", "education"), ("C26", "industrial"), ("C2614", None), ("A01", "residential")],
)
def test_the_bundled_conflict_rules_memoised_equal_the_table_read_again(industry, target):
    table = _default_conflicts()
    fresh = table.copy()  # another object: not the memoised path
    got = _conflict_adds(table, industry, target)
    assert (
        got
        == _conflict_adds(fresh, industry, target)
        == _adds_of(_rows_of(fresh), industry, target)
    )
    assert _conflict_adds(table, industry, target) is got  # memoised


def test_conflict_rules_of_a_hand_built_table():
    rows = [("C26", "education", 500.0), ("P83", "C26", 800.0), ("C22", "residential", 100.0)]
    # an education investor (P83) keeps away from C26 (as a use, rule 1; as an industry, rule 2)
    assert _adds_of(rows, "P83", "education") == (
        ("C26", 500.0, "rule:C26:education"),
        ("C26", 800.0, "rule:P83:C26"),
    )
    # a chemical firm (C2614 overlaps C26) keeps away from nothing it is the source of here,
    # but rule 2's sensitive side is its industry: it keeps away from P83
    assert _adds_of(rows, "C2614", "industrial") == (("P83", 800.0, "rule:P83:C26"),)
    assert _adds_of(rows, "A01", None) == ()


def test_specifies_answers_per_criterion():
    bare = Requirements.model_validate({})
    full = Requirements.model_validate(
        {
            "industry": "P83",
            "land_use": "0804",
            "land_area_mu": [150, 200],
            "building_area_m2": [1000, None],
            "max_rent_yuan_m2_day": 0.5,
            "tenure": ["lease"],
            "min_power_kva": 500,
            "districts": ["杏东"],
            "near": {"lon": 118.0, "lat": 24.5, "within_m": 500},
        }
    )
    always = {"readiness", "access", "freshness"}
    assert {c for c in CRITERIA if bare.specifies(c)} == always
    assert {c for c in CRITERIA if full.specifies(c)} == set(CRITERIA)
    only_avoid = Requirements.model_validate({"avoid_industries": {"C26": 1000}})
    assert {c for c in CRITERIA if only_avoid.specifies(c)} == always | {"conflicts"}
    with pytest.raises(KeyError):
        bare.specifies("no such criterion")
    assert full.target_land_class == "education" and bare.target_land_class is None


def test_a_shortlist_geoframe_equals_the_public_constructors():
    import importlib

    import geopandas as gpd
    import numpy as np
    import pandas as pd
    from shapely.geometry import Point

    am_match = importlib.import_module("assetmatch.match")
    frame = pd.DataFrame(
        {
            "rank": np.arange(1, 4),
            "asset_id": ["A", "B", "C"],
            "score": np.array([0.9, 0.5, np.nan]),
            "move_in_date": [None, pd.Timestamp("2024-01-02").date(), None],
            "geometry": gpd.array.from_shapely(
                np.array([Point(0, 0), Point(1, 1), None]), crs="EPSG:4549"
            ),
        }
    )
    got = am_match._geo_frame(frame.copy())
    want = gpd.GeoDataFrame(frame.copy(), geometry="geometry")
    assert type(got) is gpd.GeoDataFrame
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.geometry.name == "geometry" and got.crs == want.crs
    pd.testing.assert_frame_equal(got.to_crs(4326), want.to_crs(4326))
    assert type(got[["rank", "geometry"]]) is gpd.GeoDataFrame
    assert got.geometry.iloc[1].equals(Point(1, 1))


def test_result_records_equal_pandas_records_made_plain():
    import numpy as np
    import pandas as pd

    from assetmatch.result import _is_score, _plain, _records

    frame = pd.DataFrame(
        {
            "rank": np.array([1, 2, 3]),
            "asset_id": pd.Series(["A", None, "C"]).array,  # the default text column
            "score": np.array([0.123456789, np.nan, np.inf]),
            "s_size": np.array([1.0, 0.25, 0.0], dtype=np.float32),
            "ok": np.array([True, False, True]),
            "when": pd.to_datetime(["2024-01-02", None, "2024-03-04"]),
            "move_in_date": [pd.Timestamp("2024-01-02").date(), None, np.nan],
            "tenure": [["lease"], [], None],
            "raw": [np.datetime64("2024-05-06"), np.float64(2.5), pd.NA],
            "land_area_mu": np.array([167.94321, 1e7 / 3, -0.0]),
            "count": pd.array([1, None, 3], dtype="Int64"),
        }
    )
    want = [
        {str(k): _plain(v, _is_score(str(k))) for k, v in rec.items()}
        for rec in frame.to_dict("records")
    ]
    assert _records(frame) == want
    assert _records(frame, skip=("raw",)) == [
        {k: v for k, v in rec.items() if k != "raw"} for rec in want
    ]
    assert want[0]["raw"] == "2024-05-06" and want[1]["asset_id"] is None  # a real check
    assert _records(frame.iloc[:0]) == [] and _records(frame[[]]) == [{}, {}, {}]


def test_a_resolved_land_use_route_is_memoised_and_equals_a_fresh_tables():
    from assetmatch.domain.landuse_paths import (
        N_TENURE_MASKS,
        LandUsePathTable,
        load_landuse_paths,
    )

    table = load_landuse_paths()
    classes = sorted({*table.frame["from_class"], None}, key=str)
    for from_class in classes:
        for mask in range(N_TENURE_MASKS):
            for industry in (None, "P83", "C26"):
                first = table.resolve(from_class, "education", mask, industry)
                assert table.resolve(from_class, "education", mask, industry) is first
                fresh = LandUsePathTable(table.frame)  # no memo yet
                assert fresh.resolve(from_class, "education", mask, industry) == first
    names = table.resolve("industrial", "education", ["lease", "transfer"], "P83")
    assert names is table.resolve("industrial", "education", ["lease", "transfer"], "P83")


def test_a_path_tables_records_are_made_once_and_each_call_gets_its_own():
    from assetmatch.domain.landuse_paths import LandUsePathTable, load_landuse_paths
    from assetmatch.result import _jsonable, _records

    table = LandUsePathTable(load_landuse_paths().frame)  # not the shared default
    first = _jsonable(table)
    assert first == _records(table.frame)
    first[0]["path"] = "changed by a caller"
    first[0]["requires_tenure"] = ["changed"]
    assert _jsonable(table) == _records(table.frame)  # the kept rows are not the caller's
    table.frame = table.frame.iloc[:3]  # another frame: made again
    assert _jsonable(table) == _records(table.frame) and len(_jsonable(table)) == 3


def test_the_memos_of_a_path_table_stay_out_of_its_pickle():
    import pickle

    from assetmatch.domain.landuse_paths import LandUsePathTable, load_landuse_paths
    from assetmatch.result import _jsonable

    table = LandUsePathTable(load_landuse_paths().frame)
    before = pickle.dumps(table, protocol=5)
    table.resolve("industrial", "education", 3, "P83")
    records = _jsonable(table)
    assert pickle.dumps(table, protocol=5) == before  # the batch path's token is unchanged
    copy = pickle.loads(before)
    assert copy.resolve("industrial", "education", 3, "P83") == table.resolve(
        "industrial", "education", 3, "P83"
    )
    assert _jsonable(copy) == records


def test_shortlist_columns_equal_the_columns_pandas_infers():
    import importlib
    from datetime import date

    import geopandas as gpd
    import numpy as np
    import pandas as pd
    from shapely.geometry import Point

    am_match = importlib.import_module("assetmatch.match")
    cases = {
        "text": ["a", "中文", ""],
        "text_missing": ["a", None, "c"],
        "all_missing": [None, None, None],
        "np_text": np.array(["A-1", "B-2", "C-3"]),
        "np_str_items": [np.str_("a"), "b", "c"],
        "nan_in_text": ["a", float("nan"), "c"],
        "numbers": [1.5, 2.0, float("nan")],
        "mixed": ["a", 1, None],
        "dates": [date(2024, 1, 2), None, date(2025, 3, 4)],
        "floats": np.array([0.5, np.nan, 2.0]),
        "ints": np.arange(1, 4),
        "flags": np.array([True, False, True]),
        "geometry": gpd.array.from_shapely(np.array([Point(0, 0), None, Point(1, 1)])),
    }
    want = pd.DataFrame(cases)
    got = am_match._frame({k: am_match._column(v) for k, v in cases.items()})
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert [repr(t) for t in got.dtypes] == [repr(t) for t in want.dtypes]
    assert got._mgr.nblocks == want._mgr.nblocks
    assert repr(got.index) == repr(want.index) and repr(got.columns) == repr(want.columns)
    assert got["text_missing"].tolist() == want["text_missing"].tolist()
    empty = {
        "np_text": np.array([], dtype=str),
        "text": [],
        "floats": np.array([], dtype=float),
        "ints": np.arange(1, 1),
    }
    want = pd.DataFrame(empty)
    got = am_match._frame({k: am_match._column(v) for k, v in empty.items()})
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert [repr(t) for t in got.dtypes] == [repr(t) for t in want.dtypes]
    assert repr(got.index) == repr(want.index) and repr(got.columns) == repr(want.columns)
