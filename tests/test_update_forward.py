"""An update dated at or after an asset's latest change writes the row without a replay.

The row is the current row with the change written over it (``inventory._rows_after``); each
test checks it against the replay of the asset's whole history (``Inventory._materialize``,
the path every import takes) on both stores, and that back-dated changes take the replay.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import assetmatch as am

IDS = ["TS-0001", "TS-0002", "TS-0100"]  # two parcels with boundaries, one point (TS-0100)


@pytest.fixture
def demo(new_store, monkeypatch):
    """The demo zone on each store, and a count of the replays an update takes."""
    inv = am.Inventory.demo(new_store())
    replays = []
    real = am.Inventory._materialize

    def counting(self, ids):
        replays.append(list(ids))
        return real(self, ids)

    monkeypatch.setattr(am.Inventory, "_materialize", counting)
    yield inv, replays
    inv.close()


def stored(inv) -> pd.DataFrame:
    raw = inv._store.read_assets(IDS).sort_values("asset_id").reset_index(drop=True)
    return pd.DataFrame(raw.drop(columns="geometry")).assign(wkb=shapely.to_wkb(raw.geometry))


def assert_equals_replay(inv) -> None:
    """The stored rows equal what the replay of every event writes (and the assets read)."""
    fast, assets = stored(inv), inv.assets()
    with inv._store.transaction():
        inv._materialize(IDS)
    pd.testing.assert_frame_equal(fast, stored(inv))
    pd.testing.assert_frame_equal(assets, inv.assets())


def test_changes_after_the_latest_are_written_without_a_replay(demo):
    inv, replays = demo
    a = inv.assets()
    moved = shapely.affinity.translate(a.geometry.loc["TS-0001"], xoff=30.0, yoff=-12.5)
    inv.update("TS-0001", rent_yuan_m2_month=11.5, status="negotiating", at="2024-07-01")
    inv.update("TS-0001", geometry=gpd.GeoSeries([moved], crs=a.crs), at="2024-07-01")
    inv.update("TS-0002", tenure=["lease"], floors=5, net_land=False, at="2024-07-02")
    inv.update(
        "TS-0002",
        obstacles=[{"kind": "relocation", "description": "搬迁", "delay_days": 90}],
        extra={"来源": "巡查", "n": 2},
        ready_date="2025-01-31",
    )
    inv.update("TS-0100", declared_land_area_m2=12_000.0, land_use="0804", at="2024-08-01")
    assert replays == []
    after = inv.assets()
    assert after.loc["TS-0001", "land_area_m2"] != a.loc["TS-0001", "land_area_m2"]
    assert after.loc["TS-0100", "land_area_m2"] == 12_000.0
    assert after.loc["TS-0100", "land_class"] != a.loc["TS-0100", "land_class"]
    assert after.loc["TS-0002", "tenure"] == ["lease"]
    assert_equals_replay(inv)


def test_a_batch_applies_in_valid_time_order_whatever_its_row_order(demo):
    inv, replays = demo
    inv.update_many(
        pd.DataFrame(
            {
                "asset_id": ["TS-0001", "TS-0001", "TS-0002", "TS-0100"],
                "at": ["2024-09-01", "2024-08-01", "2024-08-15", "2024-08-15"],
                "field": ["rent_yuan_m2_month", "rent_yuan_m2_month", "status", "floors"],
                "value": [13.0, 21.0, "reserved", 7],
            }
        )
    )
    assert replays == []
    got = inv.assets()
    assert got.loc["TS-0001", "rent_yuan_m2_month"] == 13.0  # 2024-09-01 comes last
    assert str(got.loc["TS-0001", "valid_from"]).startswith("2024-09-01")
    assert_equals_replay(inv)


def test_a_change_at_the_same_valid_time_as_the_latest_comes_after_it(demo):
    inv, replays = demo
    inv.update("TS-0002", rent_yuan_m2_month=9.0, at="2024-07-05")
    inv.update("TS-0002", rent_yuan_m2_month=10.0, at="2024-07-05")
    assert replays == []
    assert inv.assets().loc["TS-0002", "rent_yuan_m2_month"] == 10.0
    assert_equals_replay(inv)


def test_a_back_dated_change_takes_the_replay(demo):
    inv, replays = demo
    inv.update("TS-0001", rent_yuan_m2_month=14.0, at="2024-07-01")
    inv.update("TS-0001", rent_yuan_m2_month=8.0, at="2024-03-01")  # before 2024-07-01
    assert replays == [["TS-0001"]]
    got = inv.assets()
    assert got.loc["TS-0001", "rent_yuan_m2_month"] == 14.0  # the later change still wins
    assert str(got.loc["TS-0001", "valid_from"]).startswith("2024-07-01")
    inv.update_many(  # one back-dated row sends the whole batch through the replay
        pd.DataFrame(
            {
                "asset_id": ["TS-0002", "TS-0001"],
                "at": ["2024-12-01", "2024-05-01"],
                "floors": [6, 2],
            }
        )
    )
    assert replays[-1] == ["TS-0001", "TS-0002"]
    assert_equals_replay(inv)
