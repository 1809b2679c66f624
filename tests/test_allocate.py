"""Several investors at once: the assignment beats greedy, offers are kept and never doubled.

A tiny hand-built zone (points with declared areas, so sizes are exact): S1 100 mu, S2 80 mu,
S3 30 mu, S4 100 mu but reserved. Briefs weigh only the size, so each score is the size score
of docs/match-rules.md: 1 inside the range, falling linearly to 0 at the tolerance.

Offers run on both stores: the GeoPackage always, PostGIS when a server is reachable
(``ASSETMATCH_TEST_PG_URL``, as ``./run.sh test`` sets it).
"""

from __future__ import annotations

import threading

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import assetmatch as am
from assetmatch.allocate import ALLOCATION_COLUMNS
from conftest import point_zone


def _zone() -> gpd.GeoDataFrame:
    return point_zone(
        [
            {"asset_id": "S1", "name": "一号地块", "land_mu": 100},
            {"asset_id": "S2", "name": "二号厂房", "land_mu": 80},
            {"asset_id": "S3", "name": "三号地块", "land_mu": 30, "status": "idle"},
            {"asset_id": "S4", "name": "四号地块", "land_mu": 100, "status": "reserved"},
        ]
    )


# A: 90–120 mu, 25 % tolerance → S1 1.0, S2 (80 mu, 11.1 % short) 1 − 0.111/0.25 = 0.556
A = {"investor": "A", "land_area_mu": (90, 120), "weights": {"size": 1.0}}
# B: 95–110 mu, 5 % tolerance → S1 1.0; S2 is 15.8 % short, beyond tolerance: not ranked
B = {
    "investor": "B",
    "land_area_mu": (95, 110),
    "tolerance": {"size": 0.05},
    "weights": {"size": 1},
}


@pytest.fixture
def inv(store):
    """The tiny zone on the parametrised store (a GeoPackage; PostGIS when configured)."""
    inventory = am.Inventory.open(store)
    inventory.add(_zone(), at="2026-01-01")
    yield inventory
    inventory.close()


def _greedy(scores: dict[str, dict[str, float]]) -> float:
    """Each investor in turn takes their best site still free (the obvious alternative)."""
    taken, total = set(), 0.0
    for sites in scores.values():
        free = {s: v for s, v in sites.items() if s not in taken}
        if free:
            best = max(free, key=free.get)
            taken.add(best)
            total += free[best]
    return total


def test_the_assignment_gives_the_contested_site_to_the_one_who_can_use_nothing_else(inv):
    out = am.match_many([A, B], inventory=inv, as_of="2026-02-01")
    assert list(out.columns) == list(ALLOCATION_COLUMNS)
    a, b = out.iloc[0], out.iloc[1]
    assert (a["investor"], a["asset_id"], a["own_rank"]) == ("A", "S2", 2)
    assert (b["investor"], b["asset_id"], b["own_rank"]) == ("B", "S1", 1)
    assert a["first_choice"] == "S1" and b["n_eligible"] == 1
    assert a["score"] == pytest.approx(1 - (10 / 90) / 0.25, abs=1e-5)
    assert out.attrs["total_score"] == pytest.approx(1 + 1 - (10 / 90) / 0.25, abs=1e-5)
    # greedy in arrival order: A takes S1, B gets nothing — worse by the whole of B's fit
    singles = {r["investor"]: am.match(r, inventory=inv, as_of="2026-02-01").table for r in (A, B)}
    scores = {k: dict(zip(t["asset_id"], t["score"], strict=True)) for k, t in singles.items()}
    assert _greedy(scores) == pytest.approx(1.0)
    assert out.attrs["total_score"] > _greedy(scores) + 0.5
    assert not out["offered"].any() and inv.offers().empty  # a dry run records nothing


def test_a_reserved_site_or_one_beyond_every_bound_is_never_allocated(inv):
    c = {"investor": "C", "land_area_mu": (200, 300), "weights": {"size": 1}}
    out = am.match_many([A, B, c], inventory=inv, as_of="2026-02-01")
    assert "S4" not in set(out["asset_id"].dropna())  # reserved, though 100 mu fits A and B
    row = out.set_index("investor").loc["C"]
    assert pd.isna(row["asset_id"]) and row["n_eligible"] == 0 and np.isnan(row["score"])


def test_offers_are_recorded_in_the_history_and_never_doubled(inv):
    out = am.match_many([A, B], inventory=inv, as_of="2026-02-01", offer=True, at="2026-02-02")
    assert out["offered"].all()
    held = inv.offers()
    assert dict(zip(held["asset_id"], held["investor"], strict=True)) == {"S1": "B", "S2": "A"}
    assert set(held["offered_at"]) == {"2026-02-02"}
    h = inv.history("S1")
    last = h.iloc[-1]
    assert (last["kind"], last["field"], last["value"]) == ("offer", "offered_to", "B")
    # the asset itself is unchanged by an offer
    assert inv.assets().loc["S1", "status"] == "available"
    # a second run cannot promise S1 or S2 to anyone else: A and B keep theirs, D gets nothing
    d = {"investor": "D", "land_area_mu": (90, 120), "weights": {"size": 1}}
    again = am.match_many([d, A, B], inventory=inv, as_of="2026-02-01")
    assert [None if pd.isna(a) else a for a in again["asset_id"]] == [None, "S2", "S1"]
    with pytest.raises(am.OfferConflictError, match="S1 is already offered to B"):
        inv.offer("S1", "D")
    with pytest.raises(am.OfferConflictError, match="S4 is reserved"):
        inv.offer("S4", "D")
    inv.offer("S1", "B", at="2026-02-20", note="renewed")  # the same investor again: fine
    inv.withdraw_offer("S1", at="2026-03-01", note="B declined")
    assert list(inv.offers()["asset_id"]) == ["S2"]
    assert list(inv.offers(as_of="2026-02-15")["asset_id"]) == ["S1", "S2"]
    inv.offer("S1", "D", at="2026-03-02")
    assert inv.offers().set_index("asset_id").loc["S1", "investor"] == "D"


def test_concurrent_offers_of_one_site_promise_it_once(inv, store):
    results: list[str] = []

    def claim(who: str) -> None:
        other = am.Inventory.open(store)
        try:
            other.offer("S1", who)
            results.append(who)
        except am.OfferConflictError:
            results.append("refused")
        finally:
            other.close()

    threads = [threading.Thread(target=claim, args=(w,)) for w in ("X", "Y", "Z")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results).count("refused") == 2, results
    winner = next(r for r in results if r != "refused")
    assert inv.offers().set_index("asset_id").loc["S1", "investor"] == winner


def test_bad_briefs_are_refused_with_their_position():
    with pytest.raises(am.ValidationError) as e:
        am.match_many([A, {"land_area_mu": (5, 1)}], assets=_zone())
    assert e.value.problems[0].row == 1
    with pytest.raises(am.ValidationError, match="offer=True needs inventory") as e:
        am.match_many([A, {"land_area_mu": (90, 120)}], assets=_zone(), offer=True)
    assert [(p.row, p.field) for p in e.value.problems] == [(None, "offer"), (1, "investor")]


def test_offer_many_refuses_a_batch_with_a_bad_row_and_writes_nothing(inv):
    bad = pd.DataFrame({"asset_id": ["S1", "S1", "S2"], "investor": ["A", "B", " "]})
    with pytest.raises(am.ValidationError) as e:
        inv.offer_many(bad)
    assert {(p.row, p.field) for p in e.value.problems} == {
        (0, "asset_id"),
        (1, "asset_id"),
        (2, "investor"),
    }
    with pytest.raises(am.UnknownAssetError):
        inv.offer("NOPE", "A")
    assert inv.offers().empty
