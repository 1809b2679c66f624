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


def _one_row_frame(rec: dict) -> pd.DataFrame:
    """The frame ``Inventory.update`` built for every call before it took plain values as they
    are: the general path its records must equal."""
    rec = dict(rec)
    geometry = rec.pop("geometry", None)
    df = pd.DataFrame([rec])
    if geometry is not None:
        df["geometry"] = [geometry]
    return df


def _written(inv) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every stored asset row (geometry as WKB) and every event but its recording stamps."""
    raw = inv._store.read_assets().sort_values("asset_id").reset_index(drop=True)
    rows = pd.DataFrame(raw.drop(columns=["geometry", "recorded_at"])).assign(
        wkb=shapely.to_wkb(raw.geometry)
    )
    ev = inv._store.read_events().drop(columns=["recorded_at", "batch_id"])
    return rows, ev.assign(geom=[None if g is None else g.wkb for g in ev["geom"]])


def test_update_of_plain_values_writes_what_the_frame_path_writes(new_store):
    """update() takes plain values (text, numbers, booleans, None) without building a frame;
    what it writes, and what it refuses, equals the general path (update_many of the one-row
    frame it built before), on both stores."""
    fast, general = am.Inventory.demo(new_store()), am.Inventory.demo(new_store())
    try:
        a = fast.assets()
        moved = shapely.affinity.translate(a.geometry.loc["TS-0001"], xoff=30.0, yoff=-12.5)
        lonlat = gpd.GeoSeries([a.geometry.loc["TS-0002"]], crs=a.crs).to_crs("EPSG:4490")
        edits = [
            {
                "asset_id": "TS-0001",
                "rent_yuan_m2_month": 11.5,
                "status": "洽谈中",
                "at": "2024-07-01",
            },
            {"asset_id": "TS-0001", "geometry": gpd.GeoSeries([moved], crs=a.crs), "note": "复测"},
            {"asset_id": "TS-0100", "declared_land_area_m2": 12_000, "land_use": "0804"},
            {"asset_id": "TS-0002", "floors": 5, "net_land": False, "owner": None, "author": "li"},
            {"asset_id": "TS-0002", "geometry": lonlat.iloc[0], "crs": "EPSG:4490"},
            {"asset_id": "TS-0002", "power_kva": float("nan"), "at": "2022-07-01"},  # replay
            # one field's value never changes another's type (None stays None beside text)
            {"asset_id": "TS-0003", "extra": {"wharf": True}},
            {"asset_id": "TS-0003", "extra": None, "status": "洽谈中", "owner": None},
            {"asset_id": "TS-0003", "floors": 2, "rent_yuan_m2_month": 9.5, "name": None},
        ]
        refused = [
            {"asset_id": "TS-0001", "status": "vacant", "floors": "many"},
            {
                "asset_id": "TS-0001",
                "floors": "many",
                "geometry": shapely.Point(0, 0),
                "status": "?",
            },
            {"asset_id": "TS-0001", "land_area_m2": 5.0},
            {"asset_id": "TS-0001", "at": "1999-01-01", "rent_yuan_m2_month": 3.0},
            {"asset_id": "TS-0001", "geometry": shapely.box(118.5, 24.8, 118.6, 24.9)},
            {"asset_id": "NO-SUCH", "status": "idle"},
        ]
        calls = []
        real = am.Inventory.update_many

        def counting(self, changes, *, crs=None):
            calls.append(self)
            return real(self, changes, crs=crs)

        am.Inventory.update_many = counting
        try:
            for e in edits:
                crs = e.get("crs")
                rec = {k: v for k, v in e.items() if k != "crs"}
                fast.update(**rec, crs=crs)
                general.update_many(_one_row_frame(rec), crs=crs)
            for e in refused:
                errors = []
                for apply in (
                    lambda e=e: fast.update(**e),
                    lambda e=e: general.update_many(_one_row_frame(e)),
                ):
                    with pytest.raises(am.AssetmatchError) as caught:
                        apply()
                    errors.append((type(caught.value), str(caught.value)))
                assert errors[0] == errors[1]
        finally:
            am.Inventory.update_many = real
        # only a land-use change (its check reads the long frame) and a mapping take the frame
        # path
        framed = [e for e in edits + refused if "land_use" in e or isinstance(e.get("extra"), dict)]
        assert calls.count(fast) == len(framed) == 2
        assert calls.count(general) == len(edits) + len(refused)
        (rows_a, ev_a), (rows_b, ev_b) = _written(fast), _written(general)
        pd.testing.assert_frame_equal(rows_a, rows_b)
        pd.testing.assert_frame_equal(ev_a, ev_b)
        assert (ev_a["source"] == "update").sum() >= len(edits) + 1
    finally:
        fast.close()
        general.close()
