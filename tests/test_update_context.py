"""An update that moves a few assets writes their context rows in its own transaction when the
inventory keeps the stored context in memory; otherwise it marks them for the next context()."""

from __future__ import annotations

import json
import threading

import geopandas as gpd
import pandas as pd
from shapely.affinity import translate

import assetmatch as am
from assetmatch import inventory as inventory_module

PENDING = ["context_dirty_assets", "context_removed", "context_dirty_firm_xy"]


def full_context(inv: am.Inventory) -> pd.DataFrame:
    layers = {n: inv.layer(n) for n in inv.layers()}
    return am.context_features(inv.assets(), inv.firms(), radii_m=(1000, 3000, 5000), layers=layers)


def assert_current(inv: am.Inventory) -> None:
    """The inventory's context equals a from-scratch computation, exactly."""
    want = full_context(inv)
    pd.testing.assert_frame_equal(inv.context().loc[want.index], want, check_exact=True)


def stored_context(where) -> pd.DataFrame:
    """The context table as the store holds it, read by another inventory without refreshing."""
    other = am.Inventory.open(where)
    try:
        return other.context(refresh=False)
    finally:
        other.close()


def moved(inv: am.Inventory, aid: str, dx: float, dy: float = 0.0) -> gpd.GeoSeries:
    a = inv.assets()
    return gpd.GeoSeries([translate(a.geometry.loc[aid], dx, dy)], crs=a.crs)


def test_an_update_writes_the_moved_assets_context_rows_with_them(new_store):
    where = new_store()
    inv = am.Inventory.demo(where)
    try:
        inv.context()
        kept_before = inv._live.context
        written = []
        write = inv._store.write_context_rows

        def spy(ids, columns):
            written.append((list(ids), list(columns)))
            return write(ids, columns)

        inv._store.write_context_rows = spy
        inv.update("TS-0001", geometry=moved(inv, "TS-0001", 40.0, -25.0))
        # only the values that changed are written over the stored row
        ((ids, cols),) = written
        assert ids == ["TS-0001"]
        changed = [c for c in kept_before.columns if c in cols]
        assert 0 < len(cols) < len(kept_before.columns) and cols == changed
        assert {"centroid_x", "centroid_y"} <= set(cols)
        metas = inv._store.metas([*PENDING, "context_computed_at", "state_time"])
        assert all(metas[k] is None for k in PENDING)  # nothing left for context()
        assert metas["context_computed_at"] == metas["state_time"]  # written by the update
        want = full_context(inv)
        # the store holds the moved row before anyone called context() again
        got = stored_context(where)
        pd.testing.assert_frame_equal(got.loc[want.index], want, check_exact=True)
        assert not want.loc["TS-0001"].equals(kept_before.loc["TS-0001"])
        # and the inventory's kept table is that table, handed out without a refresh
        kept = inv._live.context
        pd.testing.assert_frame_equal(kept.loc[want.index], want, check_exact=True)
        pd.testing.assert_frame_equal(inv.context(), kept)
        assert inv._live.context is kept
        # several moves in one update_many, and a field edit that leaves the context alone
        g = pd.concat([moved(inv, "TS-0002", -300.0), moved(inv, "TS-0003", 0.0, 800.0)])
        inv.update_many(gpd.GeoDataFrame({"asset_id": ["TS-0002", "TS-0003"]}, geometry=g.values))
        at = inv._store.meta("context_computed_at")
        inv.update("TS-0002", rent_yuan_m2_month=11.5)
        assert inv._store.meta("context_computed_at") == at
        want = full_context(inv)
        pd.testing.assert_frame_equal(stored_context(where).loc[want.index], want, check_exact=True)
        pd.testing.assert_frame_equal(inv.context().loc[want.index], want, check_exact=True)
    finally:
        inv.close()


def test_without_the_context_in_memory_an_update_marks_the_moved_assets(new_store, monkeypatch):
    where = new_store()
    inv = am.Inventory.demo(where)
    other = am.Inventory.open(where)  # never read the context: nothing kept
    try:
        inv.context()
        at = inv._store.meta("context_computed_at")
        other.update("TS-0001", geometry=moved(other, "TS-0001", 15.0))
        assert inv._store.meta("context_dirty_assets") == '["TS-0001"]'
        assert inv._store.meta("context_computed_at") == at
        # pending rows: the next update by the inventory that keeps the context marks too
        inv.update("TS-0004", geometry=moved(inv, "TS-0004", -15.0))
        assert inv._store.meta("context_dirty_assets") == '["TS-0001", "TS-0004"]'
        assert_current(inv)
        assert inv._store.meta("context_dirty_assets") is None
        # more moved assets than an update recomputes: marked for context()
        monkeypatch.setattr(inventory_module, "_MOVED_ROWS", 1)
        g = pd.concat([moved(inv, "TS-0002", 5.0), moved(inv, "TS-0003", 5.0)])
        inv.update_many(gpd.GeoDataFrame({"asset_id": ["TS-0002", "TS-0003"]}, geometry=g.values))
        assert inv._store.meta("context_dirty_assets") == '["TS-0002", "TS-0003"]'
        assert_current(inv)
    finally:
        other.close()
        inv.close()


def test_a_back_dated_move_is_left_to_context(new_store):
    where = new_store()
    inv = am.Inventory.demo(where)
    try:
        inv.context()
        inv.update("TS-0001", at="2025-06-01", rent_yuan_m2_month=9.0)
        inv.update("TS-0001", at="2025-01-01", geometry=moved(inv, "TS-0001", 25.0))
        assert inv._store.meta("context_dirty_assets") == '["TS-0001"]'
        assert_current(inv)
    finally:
        inv.close()


def test_a_match_after_a_move_equals_one_on_a_fresh_inventory(new_store):
    """The shortlist after a move (the first-ranked asset, 1 km away) equals that of an
    inventory opened afresh on the store, which builds everything from the stored rows."""
    from assetmatch.demo import PUBLIC_BRIEFS

    where = new_store()
    inv = am.Inventory.demo(where)
    try:
        req = am.Requirements.model_validate(PUBLIC_BRIEFS["hengzhong"])
        first = am.match(req, inventory=inv)
        aid = str(first.table["asset_id"].iloc[0])
        before = inv.context().loc[aid]
        inv.update(aid, geometry=moved(inv, aid, 900.0, 400.0))
        got = am.match(req, inventory=inv)
        assert not inv.context().loc[aid].equals(before)
        fresh = am.Inventory.open(where)
        try:
            want = am.match(req, inventory=fresh)
        finally:
            fresh.close()
        assert got.to_dict() == want.to_dict()
    finally:
        inv.close()


def test_writers_in_two_processes_keep_both_moved_assets_marked(new_store):
    """Two inventories (as two processes would) move two assets at the same time: the first
    is held between reading the store's settings and writing; the second's update either
    waits for it (the PostGIS store's writer lock, SQLite's) or would have written its marker
    first, which the first then overwrote. Both assets stay marked, and context() gives the
    full recompute."""
    where = new_store()
    first = am.Inventory.demo(where)
    second = am.Inventory.open(where)
    try:
        first.context()
        first._live.clear()  # nothing kept: both updates mark their asset
        held, go = threading.Event(), threading.Event()
        write = first._store.write_update

        def write_later(*args, **kw):
            held.set()
            go.wait(10)
            return write(*args, **kw)

        first._store.write_update = write_later
        g1, g2 = moved(first, "TS-0001", 20.0), moved(first, "TS-0002", -20.0)
        errors: list[BaseException] = []

        def run(inv, aid, g):
            try:
                inv.update(aid, geometry=g)
            except BaseException as exc:  # reported below
                errors.append(exc)

        a = threading.Thread(target=run, args=(first, "TS-0001", g1))
        a.start()
        assert held.wait(10)
        b = threading.Thread(target=run, args=(second, "TS-0002", g2))
        b.start()
        b.join(1.0)  # done by now unless it waits for the first writer
        go.set()
        a.join(10)
        b.join(10)
        assert not errors
        assert json.loads(first._store.meta("context_dirty_assets")) == ["TS-0001", "TS-0002"]
        assert_current(first)
    finally:
        second.close()
        first.close()


def test_a_store_without_layers_gets_the_moved_rows_from_the_update(new_store):
    from assetmatch.demo.zone import generate_zone

    zone = generate_zone(seed=3, n_assets=40, n_firms=200)
    where = new_store()
    inv = am.Inventory.open(where)
    try:
        inv.add(zone.assets, at="2024-01-01", on_error="raise")
        inv.add_firms(zone.firms)
        assert inv.layers() == []
        inv.context()
        aid = str(inv.assets().index[7])
        inv.update(aid, geometry=moved(inv, aid, 120.0, 35.0))
        assert inv._store.meta("context_dirty_assets") is None
        want = full_context(inv)
        pd.testing.assert_frame_equal(stored_context(where).loc[want.index], want, check_exact=True)
        pd.testing.assert_frame_equal(inv.context().loc[want.index], want, check_exact=True)
    finally:
        inv.close()


def test_sql_values_of_few_rows_equal_those_column_by_column():
    """The grouped conversion of an edit's rows gives what the column-by-column one gives."""
    import numpy as np

    from assetmatch.store.gpkg import _sql_array, _sql_arrays

    arrays = [
        np.array([1.5, np.nan]),
        np.array([3, -4], dtype=np.int32),
        np.array([True, False]),
        np.array([0.25, 7.0]),
        np.array(["a", None], dtype=object),
        np.array([9, 1], dtype=np.int16),
        np.array([False, True]),
        np.array([2, 5], dtype=np.int32),
    ]
    got = _sql_arrays(arrays)
    assert got == [_sql_array(a) for a in arrays]
    assert [list(map(type, c)) for c in got] == [list(map(type, _sql_array(a))) for a in arrays]
    assert got[0] == [1.5, None] and got[2] == [1, 0]
