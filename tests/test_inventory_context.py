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
