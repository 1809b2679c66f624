"""An edited row reaches the kept feature table decoded straight into its frame (issue 12).

``assetmatch._onerow.rows_like`` decodes the stored values of a changed row one by one into the
kept frame's cells, without the whole-table pandas path; the patch then prepares only the
arrays whose input columns changed. Both are shortcuts: every test compares with the general
way (``_decode_rows`` and the derived clocks) or with a table built from scratch.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import assetmatch as am
from assetmatch._onerow import rows_like
from assetmatch.demo import PUBLIC_BRIEFS
from test_live_tables import assert_same_table, rebuilt


@pytest.fixture
def demo(demo_on_store):
    """The demo zone on each kind of store (conftest's ``demo_on_store``)."""
    return demo_on_store


@pytest.fixture
def general_way(monkeypatch):
    """Counts the rows decoded the general way (``Inventory._current_assets``)."""
    calls = {"n": 0}
    real = am.Inventory._current_assets

    def counting(self, *a, **k):
        calls["n"] += 1
        return real(self, *a, **k)

    monkeypatch.setattr(am.Inventory, "_current_assets", counting)
    return calls


def test_every_stored_row_decodes_to_the_row_the_frame_holds(demo):
    inv, _ = demo
    table = inv.features()
    frame = table.frame
    for aid in table.ids[::7]:
        pos = [table.position(aid)]
        got = rows_like(frame, pos, inv._store.read_assets([aid]))
        assert got is not None, aid
        pd.testing.assert_frame_equal(got, frame.iloc[pos])  # nothing changed: the kept row
        general = inv._current_assets([aid], table, {aid})
        for col in general.columns:  # and the general decoding agrees cell by cell
            a, b = general[col].iloc[0], got[col].iloc[0]
            missing = [
                x is not None and not isinstance(x, list | dict) and pd.isna(x) for x in (a, b)
            ]
            if any(missing) or a is None or b is None:
                assert (a is None or missing[0]) and (b is None or missing[1]), (aid, col, a, b)
            else:
                assert a == b, (aid, col, a, b)


def test_field_edits_take_the_short_way_and_equal_a_rebuild(demo, general_way):
    inv, path = demo
    inv.features()
    a = inv.assets()
    moved = shapely.affinity.translate(a.geometry.loc["TS-0007"], xoff=15.0)
    edits = [
        {"rent_yuan_m2_month": 13.25},
        {"name": "改名的厂房"},
        {"tenure": ["lease"]},
        {"floors": 4},
        {"net_land": False},
        {"ready_date": "2025-03-01"},
        {"obstacles": [{"kind": "relocation", "delay_days": 90}]},
        {"declared_land_area_m2": 20_001.0},
        {"building_area_m2": 0.0},
        {"geometry": gpd.GeoSeries([moved], crs=a.crs)},
    ]
    for k, fields in enumerate(edits):
        inv.update("TS-0007", at=f"2024-07-{k + 1:02d}", **fields)
        table = inv.features()
        assert_same_table(table, rebuilt(path))
        assert general_way["n"] == 0, fields
    req = am.Requirements.model_validate(PUBLIC_BRIEFS["hengzhong"])
    mine = am.match(req, inventory=inv)
    fresh = am.Inventory.open(path)
    theirs = am.match(req, inventory=fresh)
    fresh.close()
    pd.testing.assert_frame_equal(mine.table, theirs.table)


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "negotiating"},
        {"idle_since": "2023-05-01"},
        {"agreed_start_date": "2021-01-01", "developed_share": 0.0},
        {"government_delay": True},
    ],
)
def test_edits_of_the_clock_inputs_take_the_general_way_and_equal_a_rebuild(
    demo, general_way, fields
):
    inv, path = demo
    inv.features()
    inv.update("TS-0009", at="2024-08-01", **fields)
    table = inv.features()
    assert general_way["n"] == 1
    assert_same_table(table, rebuilt(path))


def test_a_table_whose_clocks_were_read_on_another_day_takes_the_general_way(demo, general_way):
    inv, path = demo
    inv.features()
    inv._live.clock_day = pd.Timestamp("1999-01-01")  # as if the table were built that day
    inv.update("TS-0011", at="2024-08-01", rent_yuan_m2_month=9.5)
    table = inv.features()
    assert general_way["n"] == 1
    assert_same_table(table, rebuilt(path))
