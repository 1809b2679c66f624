"""An edit reaches the next match through the in-memory tables, and equals a rebuild (issue 12).

The inventory keeps its context and feature table in memory and, after a write through it,
prepares only the changed rows again. Every test compares the patched table with one built
from scratch by a fresh inventory on the same store: the patch is a shortcut, never a
different answer.
"""

from __future__ import annotations

import importlib

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

import assetmatch as am
from assetmatch.demo import PUBLIC_BRIEFS
from assetmatch.domain.landuse_paths import N_TENURE_MASKS

am_match = importlib.import_module("assetmatch.match")  # the module, not the function

CATEGORICAL = ("status", "kind", "land_class", "district")


def decoded(table, name: str) -> np.ndarray:
    """Category names of a coded column (codes differ between tables; names must not)."""
    cats = np.array([*table.categories[name], "<unknown>"], dtype=object)
    return cats[table[name].astype(np.int64)]


def assert_same_table(got, want) -> None:
    assert list(got.ids) == list(want.ids)
    assert set(got.keys()) == set(want.keys())
    assert got.labels == want.labels
    for k in want.keys():  # noqa: SIM118 (a FeatureTable is not iterable)
        if k == "lu_key":
            continue  # codes of land_class: checked through its parts below
        if k in CATEGORICAL:
            assert list(decoded(got, k)) == list(decoded(want, k)), k
        elif k in ("x", "y"):  # float32 offsets from each table's own origin
            o = 0 if k == "x" else 1
            g = got[k].astype(np.float64) + got.origin[o]
            w = want[k].astype(np.float64) + want.origin[o]
            np.testing.assert_allclose(g, w, atol=0.01, err_msg=k)
        else:
            np.testing.assert_array_equal(got[k], want[k], err_msg=k)
    lc = got["lu_key"].astype(np.int64) // N_TENURE_MASKS
    assert np.array_equal(lc, got["land_class"].astype(np.int64))
    assert np.array_equal(got["lu_key"] % N_TENURE_MASKS, got["tenure"].astype(np.int64))
    cols = [c for c in want.frame.columns if c != "geometry"]
    pd.testing.assert_frame_equal(got.frame[cols], want.frame[cols], check_like=False)
    assert got.frame.geometry.geom_equals_exact(want.frame.geometry, 1e-6).all()


def rebuilt(location) -> object:
    fresh = am.Inventory.open(location)
    try:
        return am_match.prepare_inventory(fresh)
    finally:
        fresh.close()


@pytest.fixture
def demo(demo_on_store):
    """The demo zone on each kind of store (conftest's ``demo_on_store``)."""
    return demo_on_store


@pytest.fixture
def count_rebuilds(monkeypatch):
    calls = {"n": 0}
    real = am_match.prepare_inventory

    def counting(*a, **k):
        calls["n"] += 1
        return real(*a, **k)

    monkeypatch.setattr(am_match, "prepare_inventory", counting)
    return calls


def test_attribute_and_boundary_edits_patch_the_table_and_equal_a_rebuild(demo, count_rebuilds):
    inv, path = demo
    req = am.Requirements.model_validate(PUBLIC_BRIEFS["hengzhong"])
    inv.features()
    assert count_rebuilds["n"] == 1
    a = inv.assets()
    moved = shapely.affinity.translate(a.geometry.loc["TS-0005"], xoff=40.0, yoff=-25.0)
    edits = [
        lambda: inv.update("TS-0001", rent_yuan_m2_month=11.5, at="2024-06-01"),
        lambda: inv.update("TS-0002", status="negotiating", at="2024-06-02"),
        lambda: inv.update("TS-0005", geometry=gpd.GeoSeries([moved], crs=a.crs)),
        lambda: inv.update_many(
            pd.DataFrame({"asset_id": ["TS-0003", "TS-0004"], "building_area_m2": [12_345.0, 0.0]})
        ),
    ]
    for edit in edits:
        edit()
        table = inv.features()
        assert_same_table(table, rebuilt(path))
    assert count_rebuilds["n"] == 1 + len(edits)  # the rebuilds above, none by the inventory
    mine = am.match(req, inventory=inv)
    fresh = am.Inventory.open(path)
    theirs = am.match(req, inventory=fresh)
    fresh.close()
    pd.testing.assert_frame_equal(mine.table, theirs.table)


def test_a_new_firm_changes_the_context_rows_it_reaches(demo, count_rebuilds):
    inv, path = demo
    inv.features()
    a = inv.assets()
    c = a.geometry.loc["TS-0001"].centroid
    firm = gpd.GeoDataFrame(
        {"firm_id": ["NEW-1"], "industry": ["C26"]}, geometry=[Point(c.x + 120, c.y)], crs=a.crs
    )
    inv.add_firms(firm)
    table = inv.features()
    want = rebuilt(path)
    assert_same_table(table, want)
    j = table.labels["nearest"].index("C26")
    assert table["nearest"][table.position("TS-0001"), j] < 200
    assert count_rebuilds["n"] == 2  # the patch served the inventory; one rebuild to compare


def test_added_or_removed_assets_and_new_districts_rebuild(demo, count_rebuilds):
    inv, path = demo
    inv.features()
    inv.update("TS-0006", district="新片区（测试）")  # a category the table has not seen
    assert_same_table(inv.features(), rebuilt(path))
    inv.remove("TS-0007")
    table = inv.features()
    assert "TS-0007" not in set(table.ids)
    assert_same_table(table, rebuilt(path))
    assert count_rebuilds["n"] == 1 + 2 + 2  # first build, two rebuilds, two comparisons


def test_a_write_by_another_inventory_is_seen(demo):
    inv, path = demo
    inv.features()
    other = am.Inventory.open(path)
    other.update("TS-0001", rent_yuan_m2_month=7.25)
    other.close()
    table = inv.features()
    assert table["rent_yuan_m2_month"][table.position("TS-0001")] == pytest.approx(7.25)
    assert_same_table(table, rebuilt(path))
    inv.update("TS-0002", rent_yuan_m2_month=8.5)  # and patching resumes after the rebuild
    assert_same_table(inv.features(), rebuilt(path))


def test_the_context_a_caller_edits_is_not_the_one_kept(demo):
    inv, _ = demo
    ctx = inv.context()
    col = next(c for c in ctx.columns if c.startswith("nearest_"))
    ctx.loc[ctx.index[0], col] = -1.0
    assert inv.context().loc[ctx.index[0], col] != -1.0


@pytest.mark.parametrize("cow", [True, False])
def test_tables_handed_out_share_memory_only_where_pandas_copies_on_write(demo, monkeypatch, cow):
    """pandas 2 without copy-on-write writes through a shallow copy into the kept table:
    there the context handed out and a patched feature frame are deep copies."""
    import numpy as np

    from assetmatch import _cow, inventory

    monkeypatch.setattr(_cow, "copy_on_write", lambda: cow)
    monkeypatch.setattr(inventory, "copy_on_write", lambda: cow)
    inv, _ = demo
    kept = inv._context()
    given = inv.context()
    col = next(c for c in given.columns if c.startswith("nearest_"))
    assert np.shares_memory(given[col].to_numpy(), kept[col].to_numpy()) is cow
    frame = inv.features().frame
    copy = _cow.detached(frame)
    num = next(c for c in frame.columns if frame[c].dtype.kind == "f")
    assert np.shares_memory(copy[num].to_numpy(), frame[num].to_numpy()) is cow


def test_results_keep_the_table_they_were_ranked_on(demo):
    inv, _ = demo
    req = am.Requirements.model_validate(PUBLIC_BRIEFS["hengzhong"])
    before = am.match(req, inventory=inv)
    rent = before.features["rent_yuan_m2_month"][before.features.position("TS-0001")]
    inv.update("TS-0001", rent_yuan_m2_month=float(rent) + 5)
    am.match(req, inventory=inv)
    assert before.features["rent_yuan_m2_month"][before.features.position("TS-0001")] == rent


def _same_result(got, want) -> None:
    pd.testing.assert_frame_equal(got.table, want.table)
    pd.testing.assert_frame_equal(got.near_misses, want.near_misses)
    assert got.to_dict() == want.to_dict()
    for aid in want.table["asset_id"]:
        assert got.explain(aid).reasons == want.explain(aid).reasons


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_warm_match_equals_one_on_a_table_built_from_scratch(demo, lang):
    inv, path = demo
    for name, brief in PUBLIC_BRIEFS.items():
        am.match(brief, inventory=inv, lang=lang)  # builds and keeps the table
        warm = [am.match(brief, inventory=inv, lang=lang, top=k) for k in (10, 3)]
        for k, got in zip((10, 3), warm, strict=True):
            want = am.match(brief, features=rebuilt(path), firms=inv.firms(), lang=lang, top=k)
            assert len(got.table) == min(k, want.counts["n_eligible"]), name
            _same_result(got, want)


def test_a_warm_match_after_edits_equals_one_on_a_table_built_from_scratch(demo):
    inv, path = demo
    req = am.Requirements.model_validate(PUBLIC_BRIEFS["hengzhong"])
    first = am.match(req, inventory=inv)
    top = first.table["asset_id"].iloc[0]
    inv.update(top, status="leased", at="2024-06-03")  # the first choice is taken
    second = first.table["asset_id"].iloc[1]
    inv.update(second, rent_yuan_m2_month=99.0, name="新名字（测试）", at="2024-06-03")
    got = am.match(req, inventory=inv)
    assert top not in set(got.table["asset_id"])
    X = inv.features()  # the patched table's memoised names follow the edit
    assert X.frame_values("name")[X.position(second)] == "新名字（测试）"
    _same_result(got, am.match(req, features=rebuilt(path)))


def test_a_taken_table_cuts_its_frame_only_when_read(demo):
    inv, _ = demo
    X = inv.features()
    rows = np.array([5, 0, 17, 3])
    sub = X.take(rows)
    for col in ("name", "obstacles", "geometry", "idle_since"):
        want = X.frame[col].iloc[rows].tolist()
        assert list(sub.frame_values(col)) == want, col
    assert sub.frame_values("no such column") is None
    assert sub.frame_columns == tuple(X.frame.columns)
    assert sub.frame_crs == X.frame.crs
    subsub = sub.take(np.array([2, 0]))
    assert list(subsub.ids) == [X.ids[17], X.ids[5]]
    pd.testing.assert_frame_equal(subsub.frame, X.frame.iloc[[17, 5]])
    pd.testing.assert_frame_equal(sub.frame, X.frame.iloc[rows])


def test_moved_assets_refresh_only_their_context_rows_and_equal_a_full_recompute(demo, monkeypatch):
    from assetmatch.context import engine

    inv, _ = demo
    before = inv.context()
    sizes = []
    real, real_rows = engine.context_features, engine.context_rows

    def sized(ids, *a, **k):
        sizes.append(len(ids))
        return real_rows(ids, *a, **k)

    monkeypatch.setattr(engine, "context_features", lambda *a, **k: pytest.fail("full run"))
    monkeypatch.setattr(engine, "context_rows", sized)
    a = inv.assets()
    far = shapely.affinity.translate(a.geometry.loc["TS-0003"], xoff=1500.0)
    near = shapely.affinity.translate(a.geometry.loc["TS-0004"], yoff=0.5)
    inv.update_many(
        pd.DataFrame(
            {
                "asset_id": ["TS-0003", "TS-0004", "TS-0006"],
                "geometry": [far, near, a.geometry.loc["TS-0006"]],  # the last one stays put
            }
        )
    )
    got = inv.context()
    assert sizes == [3]  # the three rows alone, not the zone
    layers = {n: inv.layer(n) for n in inv.layers()}
    full = real(inv.assets(), inv.firms(), radii_m=(1000, 3000, 5000), layers=layers)
    pd.testing.assert_frame_equal(got.sort_index(), full.sort_index(), check_like=True)
    unchanged = [c for c in got.columns if got[c].equals(before[c])]
    assert got.loc["TS-0006"].equals(before.loc["TS-0006"])
    assert not got.loc["TS-0003"].equals(before.loc["TS-0003"])
    assert len(unchanged) > 0  # columns no moved row changed are kept as they were


def test_idle_spells_stay_when_the_status_history_does_and_follow_it_when_it_changes(demo):
    inv, path = demo
    a = inv.features().frame
    idle = a.index[a["status"] == "idle"]
    other = a.index[a["status"] == "available"]
    kept, turned = str(idle[0]), str(other[0])
    inv.update(kept, rent_yuan_m2_month=9.75, at="2024-06-20")  # its spell is the table's
    inv.update(turned, status="idle", at="2024-05-01")  # a new spell, back-dated
    table = inv.features()
    assert_same_table(table, rebuilt(path))
    spells = table.frame["idle_since_derived"]
    assert spells.loc[kept] == a.loc[kept, "idle_since_derived"]
    assert pd.notna(spells.loc[turned]) and pd.isna(a.loc[turned, "idle_since_derived"])
