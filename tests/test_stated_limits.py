"""A stated limit is never silently ignored (issue 7): the rent case of the issue, by hand.

Three plants asking 15, 20 and 30 元/㎡/月 against an 18 元 cap (default tolerance 25 %):
15 is inside (cost scores 1), 20 is 11 % over (ranked, partial score, the rent leads the
reasons), 30 is 67 % over (not ranked; a near miss with the criterion and the amount).
"""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

import assetmatch as am

AS_OF = "2024-06-30"


@pytest.fixture(scope="module")
def plants() -> gpd.GeoDataFrame:
    x0, y0 = 372_000.0, 2_759_000.0  # in the demo zone, EPSG:4549
    return gpd.GeoDataFrame(
        {
            "asset_id": ["R15", "R20", "R30"],
            "name": ["甲厂房", "乙厂房", "丙厂房"],
            "kind": ["factory"] * 3,
            "land_area_m2": [20_000.0] * 3,
            "building_area_m2": [12_000.0] * 3,
            "status": ["available"] * 3,
            "tenure": [["lease"]] * 3,
            "rent_yuan_m2_month": [15.0, 20.0, 30.0],
            "land_use": ["1001"] * 3,
            "ready_date": ["2024-07-01"] * 3,
        },
        geometry=[box(x0 + i * 500, y0, x0 + i * 500 + 140, y0 + 140) for i in range(3)],
        crs="EPSG:4549",
    )


def _match(plants, **brief):
    return am.match(
        {"max_rent_yuan_m2_month": 18, "tenure": ["lease"], **brief},
        assets=plants,
        as_of=AS_OF,
    )


def test_a_rent_beyond_the_tolerance_is_not_ranked_but_a_near_miss(plants):
    res = _match(plants)
    assert list(res.table["asset_id"]) == ["R15", "R20"]
    nm = res.near_misses.set_index("asset_id")
    assert nm.loc["R30", "failed"] == "cost"
    assert nm.loc["R30", "by"] == pytest.approx(12 / 18, abs=1e-4)  # 67 % over the cap
    assert nm.loc["R30", "detail"] == "租金 30.0 元/㎡/月，超出 18 元/㎡/月的预算上限"
    assert str(res.explain("R30")).splitlines()[0].startswith("R30 丙厂房 — 未入选（成本超出")


def test_a_rent_within_the_tolerance_ranks_lower_and_says_why_first(plants):
    res = _match(plants)
    t = res.table.set_index("asset_id")
    assert t.loc["R15", "s_cost"] == 1.0
    assert 0 < t.loc["R20", "s_cost"] < 1
    assert t.loc["R20", "score"] < t.loc["R15", "score"]
    assert t.loc["R20", "reasons"].startswith("租金 20.0 元/㎡/月，超出 18 元/㎡/月的预算上限")


def test_a_must_keeps_no_tolerance(plants):
    res = _match(plants, must=["cost", "tenure"])
    assert list(res.table["asset_id"]) == ["R15"]
    assert set(res.near_misses["asset_id"]) == {"R20", "R30"}


def test_an_unknown_rent_is_ranked_not_excluded(plants):
    unknown = plants.copy()
    unknown.loc[2, "rent_yuan_m2_month"] = float("nan")
    res = _match(unknown, must=["cost", "tenure"])
    assert "R30" in set(res.table["asset_id"])
    assert res.table.set_index("asset_id").loc["R30", "s_cost"] == pytest.approx(0.5)
