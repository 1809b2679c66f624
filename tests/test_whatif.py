"""What-if: relaxed bounds and the weight at which the top two swap, on a hand-built zone.

Five sites with exact sizes (points with declared areas), all available:

    S1 100 mu, rent 15, 张坂     S2 85 mu, rent 15, 杏东     S3 60 mu, rent 15, 杏东
    S4 100 mu, rent 25, 张坂     S5 30 mu, rent 15, 张坂

Scores follow docs/match-rules.md: 1 inside a bound, falling linearly to 0 at 25 % outside it;
beyond that the site is not ranked but listed among the near misses.
"""

from __future__ import annotations

import math

import pytest

import assetmatch as am
from assetmatch.whatif import WHAT_IF_COLUMNS
from conftest import point_zone

AS_OF = "2026-02-01"


@pytest.fixture(scope="module")
def inv(tmp_path_factory):
    rows = [
        ("S1", "一号地块", 100, 15.0, "张坂"),
        ("S2", "二号地块", 85, 15.0, "杏东"),
        ("S3", "三号地块", 60, 15.0, "杏东"),
        ("S4", "四号地块", 100, 25.0, "张坂"),
        ("S5", "五号地块", 30, 15.0, "张坂"),
    ]
    zone = point_zone(
        [
            {"asset_id": a, "name": n, "land_mu": mu, "rent_yuan_m2_month": r, "district": d}
            for a, n, mu, r, d in rows
        ]
    )
    inventory = am.Inventory.open(tmp_path_factory.mktemp("whatif") / "zone.gpkg")
    inventory.add(zone, at="2026-01-01")
    yield inventory
    inventory.close()


#: 90–120 mu and at most 18 yuan, size and cost weighing the same:
#: S1 = ½·1 + ½·1 = 1.000, S2 = ½·(1 − (5/90)/0.25) + ½·1 = 0.889; S3 (33 % short), S4 (39 %
#: over the rent) and S5 (67 % short) are beyond the tolerance: near misses.
BOUNDS = {
    "investor": "T",
    "land_area_mu": (90, 120),
    "max_rent_yuan_m2_month": 18,
    "weights": {"size": 1, "cost": 1},
}


def test_each_near_miss_gives_the_smallest_relaxation_that_ranks_it(inv):
    res = am.match(BOUNDS, inventory=inv, as_of=AS_OF)
    assert list(res.table["asset_id"]) == ["S1", "S2"]
    assert set(res.near_misses["asset_id"]) == {"S3", "S4", "S5"}
    w = res.what_if(lang="en")
    assert list(w.columns) == list(WHAT_IF_COLUMNS)
    bounds = w[w["kind"] == "bound"].reset_index(drop=True)
    # smallest relative change first: −1/3 (S3), +7/18 (S4), −2/3 (S5)
    assert list(bounds["field"]) == ["land_area_mu.0", "max_rent_yuan_m2_month", "land_area_mu.0"]
    assert list(bounds["proposed"]) == [60, 25, 30]
    assert bounds["change"].tolist() == pytest.approx([-1 / 3, 7 / 18, -2 / 3])
    # with 60 mu: S3 enters; S1, S2 (now within the range) and S3 all score 1 → S3 third
    assert bounds.loc[0, "entering"] == ["S3"] and bounds.loc[0, "new_rank"] == 3
    # with 25 yuan: S4 scores 1 like S1 and ranks after it (ties by inventory order)
    assert bounds.loc[1, "entering"] == ["S4"] and bounds.loc[1, "new_rank"] == 2
    # with 30 mu: S3 and S5 enter (S4 still fails the rent)
    assert bounds.loc[2, "entering"] == ["S3", "S5"] and bounds.loc[2, "n_new"] == 2
    assert bounds.loc[2, "new_rank"] == 4
    assert bounds.loc[1, "text"] == (
        "accept 25 yuan/m²/month instead of 18 yuan/m²/month (rent ceiling): "
        "1 more site ranked; 四号地块 enters at rank 2"
    )
    zh = res.what_if(lang="zh")
    assert zh.loc[0, "text"] == "用地面积下限由90亩放宽至60亩：新增1处地块进入排名，三号地块排第3名"


def test_the_relaxation_really_ranks_the_site(inv):
    """Independent check: match again with the proposed bound."""
    res = am.match(BOUNDS, inventory=inv, as_of=AS_OF)
    row = res.what_if().iloc[1]
    again = am.match(
        {**BOUNDS, "max_rent_yuan_m2_month": row["proposed"]}, inventory=inv, as_of=AS_OF
    )
    assert list(again.table["asset_id"]) == ["S1", "S4", "S2"]


#: Size and district weighing the same, 杏东 preferred: S2 = ½·0.778 + ½·1 = 0.889 leads
#: S1 = ½·1 + ½·0 = 0.5 by D = 0.389. Raising size by f: swap at 1 − D/(½·(−2/9)) = 4.5;
#: lowering the district weight: at 1 − D/(½·1) = 2/9.
WEIGHTS = {
    "investor": "T",
    "land_area_mu": (90, 120),
    "districts": ["杏东"],
    "weights": {"size": 1, "district": 1},
}


def test_the_weight_change_at_which_the_first_two_swap(inv):
    res = am.match(WEIGHTS, inventory=inv, as_of=AS_OF)
    assert list(res.table["asset_id"][:2]) == ["S2", "S1"]
    w = res.what_if(lang="en")
    ws = w[w["kind"] == "weight"].set_index("criterion")
    assert set(ws.index) == {"size", "district"}
    assert 1 + ws.loc["size", "change"] == pytest.approx(4.5, rel=1e-5)
    assert 1 + ws.loc["district", "change"] == pytest.approx(2 / 9, rel=1e-5)
    assert ws.loc["size", "proposed"] == pytest.approx(0.5 * 4.5 / (1 + 0.5 * 3.5), rel=1e-5)
    assert (ws["asset_id"] == "S1").all() and (ws["new_rank"] == 1).all()
    assert ws.loc["size", "text"].startswith("raise the weight of land size from 0.50 to 0.82")
    assert "lower the weight of district" in ws.loc["district", "text"]


@pytest.mark.parametrize(("factor", "first"), [(4.4, "S2"), (4.6, "S1")])
def test_past_the_swap_point_the_runner_up_leads(inv, factor, first):
    """Independent check: match with the size weight just below and above the swap point."""
    res = am.match(
        {**WEIGHTS, "weights": {"size": factor, "district": 1}}, inventory=inv, as_of=AS_OF
    )
    assert res.table["asset_id"].iloc[0] == first


def test_a_single_ranked_site_has_no_swap_and_nothing_breaks(inv):
    res = am.match({**BOUNDS, "land_area_mu": (95, 120)}, inventory=inv, as_of=AS_OF)
    w = res.what_if()
    assert not (w["kind"] == "weight").any()
    assert all(isinstance(t, str) and t for t in w["text"])
    assert all(math.isfinite(c) for c in w["change"])


def test_the_readme_sentence_is_what_the_demo_zone_says():
    from assetmatch.demo import PUBLIC_BRIEFS

    res = am.match(PUBLIC_BRIEFS["hengzhong"], inventory=am.Inventory.demo())
    assert (
        "accept 100.2 mu instead of 150 mu (minimum land area): 4 more sites ranked; "
        "惠南隆瑞石材低效厂区 enters at rank 4"
    ) in list(res.what_if(lang="en")["text"])
