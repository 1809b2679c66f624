"""A match at a date uses the inventory as it stood that date, and measures freshness from it."""

from __future__ import annotations

import assetmatch as am
from assetmatch.demo import PUBLIC_BRIEFS


def test_a_later_update_does_not_reach_an_earlier_match(new_store):
    inv = am.Inventory.demo(new_store())
    req = am.Requirements.model_validate(PUBLIC_BRIEFS["hengzhong"])
    before = am.match(req, inventory=inv, as_of="2024-06-30", lang="en")
    row0 = before.table.set_index("asset_id").loc["TS-0001"]
    inv.update("TS-0001", status="negotiating", rent_yuan_m2_month=30, at="2026-03-01")
    after = am.match(req, inventory=inv, as_of="2024-06-30", lang="en")
    row1 = after.table.set_index("asset_id").loc["TS-0001"]
    assert row1["status"] == row0["status"] != "negotiating"
    assert row1["score"] == row0["score"] and row1["rank"] == row0["rank"]
    reasons = after.explain("TS-0001").reasons
    assert any("rent 12.0" in r for r in reasons)
    assert not any("-" in r.split("updated")[-1] for r in reasons if "updated" in r)
    today = am.match(req, inventory=inv, as_of="2026-03-02", lang="en")
    assert today.explain("TS-0001").facts["status"] == "negotiating"
