"""The store's cached context: kept current incrementally, equal to a full recompute."""

from __future__ import annotations

import random

import geopandas as gpd
import pandas as pd
import pytest
from shapely.affinity import translate
from shapely.geometry import Point

import assetmatch as am
from assetmatch.context import engine as context_module


def full_context(inv: am.Inventory) -> pd.DataFrame:
    layers = {n: inv.layer(n) for n in inv.layers()}
    return am.context_features(inv.assets(), inv.firms(), radii_m=(1000, 3000, 5000), layers=layers)


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.sort_index(), b.sort_index(), check_like=True)


def test_random_edits_refresh_incrementally_and_equal_full_recompute(new_store, monkeypatch):
    inv = am.Inventory.demo(new_store())
    first = inv.context()
    assert_same(first, full_context(inv))
    computed_at = inv.context_computed_at

    # from now on a full recompute inside inv.context() would be a failure of incrementality
    calls = {"full": 0, "refresh": 0}
    real_full, real_refresh = context_module.context_features, context_module.refresh_context

    def counting_full(*a, **k):
        calls["full"] += 1
        return real_full(*a, **k)

    def counting_refresh(*a, **k):
        calls["refresh"] += 1
        return real_refresh(*a, **k)

    monkeypatch.setattr(context_module, "context_features", counting_full)
    monkeypatch.setattr(context_module, "refresh_context", counting_refresh)

    rng = random.Random(11)
    ids = list(inv.assets().index)
    firm_ids = list(inv.firms().index)
    for step in range(8):
        kind = rng.choice(
            [
                "move_asset",
                "remove_asset",
                "add_asset",
                "move_firm",
                "remove_firm",
                "add_firm",
                "status_only",
            ]
        )
        a = inv.assets()
        if kind == "move_asset":
            aid = rng.choice(ids)
            g = translate(a.geometry.loc[aid], rng.uniform(-800, 800), rng.uniform(-800, 800))
            inv.update(aid, geometry=g, note=f"step {step}")
        elif kind == "remove_asset":
            aid = ids.pop(rng.randrange(len(ids)))
            inv.remove(aid)
        elif kind == "add_asset":
            src = a.iloc[[rng.randrange(len(a))]].copy()
            src.index = [f"NEW-{step}"]
            src.index.name = "asset_id"
            src["geometry"] = src.geometry.translate(300, 300)
            cols = ["name", "kind", "status", "building_area_m2", "geometry"]
            inv.add(gpd.GeoDataFrame(src[cols].reset_index(), crs=a.crs))
            ids.append(f"NEW-{step}")
        elif kind == "move_firm":
            f = inv.firms()
            fid = rng.choice(firm_ids)
            moved = f.loc[[fid]].copy()
            moved["geometry"] = moved.geometry.translate(rng.uniform(-2000, 2000), 500)
            inv.add_firms(moved.reset_index())
        elif kind == "remove_firm":
            inv.remove_firms([firm_ids.pop(rng.randrange(len(firm_ids)))])
        elif kind == "add_firm":
            c = a.geometry.iloc[rng.randrange(len(a))].centroid
            new = gpd.GeoDataFrame(
                {"firm_id": [f"FN-{step}"], "industry": ["C26"]},
                geometry=[Point(c.x + 150, c.y)],
                crs=a.crs,
            )
            inv.add_firms(new)
            firm_ids.append(f"FN-{step}")
        else:
            inv.update(rng.choice(ids), status="negotiating")
        got = inv.context()
        assert_same(
            got,
            real_full(
                inv.assets(),
                inv.firms(),
                radii_m=(1000, 3000, 5000),
                layers={n: inv.layer(n) for n in inv.layers()},
            ),
        )
    assert calls["full"] == 0
    assert calls["refresh"] >= 5
    assert inv.context_computed_at > computed_at


def test_context_is_cached_with_its_time_and_survives_reopen(new_store):
    where = new_store()
    inv = am.Inventory.demo(where)
    ctx = inv.context()
    stamp = inv.context_computed_at
    assert stamp is not None
    again = am.Inventory.open(where).context()
    assert_same(ctx, again)
    assert am.Inventory.open(where).context_computed_at == stamp
    assert ctx.index.name == "asset_id"
    assert {"n_C19_1000m", "nearest_C26_m", "presence_P83", "access_highway_exit_m"} <= set(
        ctx.columns
    )


def test_other_radii_recompute_everything(new_store):
    inv = am.Inventory.demo(new_store())
    inv.context()
    ctx = inv.context(radii_m=(500, 2000))
    assert "n_C19_500m" in ctx.columns and "n_C19_1000m" not in ctx.columns
    assert inv.context()["n_C19_2000m"].equals(ctx["n_C19_2000m"])  # the new radii are kept


def test_layer_change_recomputes_access(new_store):
    inv = am.Inventory.demo(new_store())
    before = inv.context()
    a = inv.assets()
    c = a.geometry.loc["TS-0001"].centroid
    inv.add_layer("port", gpd.GeoDataFrame({"name": ["新码头"]}, geometry=[c], crs=a.crs))
    after = inv.context()
    assert after.at["TS-0001", "access_port_m"] == pytest.approx(0.0)
    assert before.at["TS-0001", "access_port_m"] > 1000


def test_moved_assets_refresh_their_rows_exactly_as_a_full_recompute(new_store, monkeypatch):
    """The few-row refresh after moves (near, far, onto a firm, onto a layer feature, into
    another district, to a point, several in one update_many, back) equals a from-scratch
    ``context_features`` of the store's assets exactly, and the store holds the same table."""
    where = new_store()
    inv = am.Inventory.demo(where)
    inv.context()
    calls = {"full": 0, "refresh": 0}
    real_full, real_refresh = context_module.context_features, context_module.refresh_context

    def counting(name, real):
        def call(*a, **k):
            calls[name] += 1
            return real(*a, **k)

        return call

    monkeypatch.setattr(context_module, "context_features", counting("full", real_full))
    monkeypatch.setattr(context_module, "refresh_context", counting("refresh", real_refresh))
    a = inv.assets()
    ids = list(a.index)
    aid, other = ids[len(ids) // 2], ids[-1]
    geom = a.geometry.loc[aid]
    firm = inv.firms().geometry.iloc[3]
    feature = inv.layer(inv.layers()[0]).geometry.iloc[0].centroid
    c = geom.centroid

    def to(p):
        return translate(geom, p.x - c.x, p.y - c.y)

    far_c = a.geometry.loc[other].centroid
    moves = [
        {aid: translate(geom, 2.0)},
        {aid: translate(geom, 1500.0, -700.0)},
        {aid: to(firm)},  # a firm inside the parcel: distance 0, breaches
        {aid: to(feature)},
        {aid: to(translate(far_c, 50.0, 50.0))},  # beside an asset of another district
        {aid: Point(c.x + 30.0, c.y)},  # located only
        {
            aid: translate(geom, 0.5),
            ids[0]: translate(a.geometry.loc[ids[0]], yoff=-900.0),
            ids[1]: a.geometry.loc[ids[1]],  # stays put
        },
        {aid: geom, ids[0]: a.geometry.loc[ids[0]]},  # back where they were
    ]
    before = inv.context()
    for step, move in enumerate(moves):
        if len(move) == 1:
            ((k, g),) = move.items()
            inv.update(k, geometry=gpd.GeoSeries([g], crs=a.crs))
        else:
            inv.update_many(
                gpd.GeoDataFrame({"asset_id": list(move)}, geometry=list(move.values()), crs=a.crs)
            )
        got = inv.context()
        layers = {n: inv.layer(n) for n in inv.layers()}
        want = real_full(inv.assets(), inv.firms(), radii_m=(1000, 3000, 5000), layers=layers)
        pd.testing.assert_frame_equal(got.loc[want.index], want, check_exact=True, obj=f"{step}")
        assert len(got) == len(want)
        stored = am.Inventory.open(where)
        try:
            again = stored.context()
        finally:
            stored.close()
        pd.testing.assert_frame_equal(again.loc[want.index], want, check_exact=True)
        assert again.attrs == got.attrs  # the parameters and time recorded with the rows
        assert got.attrs["context_params"] == want.attrs["context_params"]
        assert not got.loc[aid].equals(before.loc[aid]) or step == len(moves) - 1
        before = got
    assert calls == {"full": 0, "refresh": 0}  # the few-row path every time
    # another inventory on the store: its kept table is the one it read; it edits in turn
    other = am.Inventory.open(where)
    try:
        other.context()
        other.update(aid, geometry=gpd.GeoSeries([translate(geom, -3.0, 7.0)], crs=a.crs))
        got = other.context()
        layers = {n: other.layer(n) for n in other.layers()}
        want = real_full(other.assets(), other.firms(), radii_m=(1000, 3000, 5000), layers=layers)
        pd.testing.assert_frame_equal(got.loc[want.index], want, check_exact=True)
        pd.testing.assert_frame_equal(inv.context().loc[want.index], want, check_exact=True)
    finally:
        other.close()
    assert calls == {"full": 0, "refresh": 0}


def test_a_refreshed_context_is_not_written_through_a_frame_handed_out(new_store):
    """The kept table shares its unchanged blocks with the one before: a caller writing into a
    frame it was given (before or after the edit) changes neither the kept table nor the next."""
    inv = am.Inventory.demo(new_store())
    old = inv.context()
    aid = old.index[7]
    want_old = old.copy(deep=True)
    g = inv.assets().geometry.loc[aid]
    inv.update(aid, geometry=gpd.GeoSeries([translate(g, 40.0)], crs=inv.crs))
    new = inv.context()
    want_new = new.copy(deep=True)
    for frame in (old, new):
        for col in frame.columns:
            if frame[col].dtype.kind == "f":
                frame.loc[frame.index[0], col] = -1.0
            elif frame[col].dtype.kind == "b":
                frame.loc[frame.index[0], col] = not frame[col].iloc[0]
    pd.testing.assert_frame_equal(inv.context(), want_new, check_exact=True)
    assert not old.equals(want_old)  # the writes went into the caller's frames
    inv.update(aid, geometry=gpd.GeoSeries([g], crs=inv.crs))
    back = inv.context()
    pd.testing.assert_frame_equal(back, want_old, check_exact=True)


def test_stored_geometries_are_read_assets_columns_without_the_frame(new_store):
    inv = am.Inventory.demo(new_store())
    store = inv._store
    ids = list(inv.assets().index)
    asked = [ids[9], "NO-SUCH-ASSET", ids[2], ids[40]]
    got_ids, geoms = store.read_asset_geometries(asked)
    want = store.read_assets(asked)
    assert got_ids == list(want["asset_id"])  # the stored ones, in read_assets' order
    assert sorted(got_ids) == sorted([ids[9], ids[2], ids[40]])
    assert all(g.equals_exact(w, 0.0) for g, w in zip(geoms, want.geometry, strict=True))
    assert store.read_asset_geometries(["NO-SUCH-ASSET"])[0] == []


def test_settings_read_and_written_at_once_are_those_read_one_by_one(new_store):
    inv = am.Inventory.demo(new_store())
    store = inv._store
    keys = ["context_params", "no_such_setting", "firms_version", "crs_epsg"]
    assert store.metas(keys) == {k: store.meta(k) for k in keys}
    with store.transaction():
        store.set_metas({"am_test_a": "1", "am_test_b": None, "context_removed": '["X"]'})
    assert store.metas(["am_test_a", "am_test_b", "context_removed"]) == {
        "am_test_a": "1",
        "am_test_b": None,
        "context_removed": '["X"]',
    }
    assert store.meta("am_test_a") == "1"


def test_a_context_read_back_from_the_store_is_held_as_a_computed_one(new_store):
    """A context read from the store (a new process) equals the computed one and is held as
    pandas holds a computed table, one block per dtype: set column by column it had ~200
    blocks, and every edit's row patch then copied and compared block by block (twice as slow)."""
    where = new_store()
    inv = am.Inventory.demo(where)
    computed = inv.context()
    inv.close()
    inv = am.Inventory.open(where)
    try:
        kept = inv._context()
        pd.testing.assert_frame_equal(kept, computed, check_exact=True)
        assert kept.attrs == computed.attrs
        assert len(kept._mgr.blocks) == len({str(t) for t in kept.dtypes}) <= 6
    finally:
        inv.close()
