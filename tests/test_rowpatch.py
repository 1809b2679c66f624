"""An edited row reaches the kept feature table without frames (issue 12).

After an edit the inventory decodes the few stored rows it changed
(``assetmatch._onerow.changed_cells``), prepares their array values in plain Python and writes
them into copies of only the arrays that change (``assetmatch.scoring.features.patch_rows``);
the new table keeps the old frame with the changed cells and builds its frame only when read.
All of it is a shortcut: every test compares the table, its frame, its object columns and the
matches on it with a table built from scratch on the same store.
"""

from __future__ import annotations

import importlib
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import assetmatch as am
from assetmatch.demo import PUBLIC_BRIEFS
from assetmatch.demo.zone import generate_zone
from test_live_tables import assert_same_table, rebuilt

features_mod = importlib.import_module("assetmatch.scoring.features")


@pytest.fixture
def demo(demo_on_store):
    """The demo zone on each kind of store (conftest's ``demo_on_store``)."""
    return demo_on_store


@pytest.fixture
def row_patches(monkeypatch):
    """Counts the tables the row patch made (``patch_rows`` returning a table)."""
    calls = {"made": 0, "refused": 0}
    real = features_mod.patch_rows

    def counting(*a, **k):
        out = real(*a, **k)
        calls["made" if out is not None else "refused"] += 1
        return out

    monkeypatch.setattr(features_mod, "patch_rows", counting)
    return calls


def _same_cell(a, b) -> bool:
    missing = [
        x is None or (not isinstance(x, list | dict) and not hasattr(x, "geom_type") and pd.isna(x))
        for x in (a, b)
    ]
    if any(missing):
        return all(missing)
    if hasattr(a, "geom_type"):
        return bool(a.equals_exact(b, 0.0))
    return bool(a == b) and type(a) is type(b)


def assert_same_unbuilt(got, want) -> None:
    """``got``'s frame as read without building it (cells, object columns, columns, CRS)
    equals ``want``'s built frame."""
    frame = want.frame
    assert got.frame_columns == tuple(frame.columns)
    assert got.frame_crs == frame.crs
    assert got.frame_geometry_name == frame.geometry.name
    for col in frame.columns:
        values = got.frame_values(col)
        expected = frame[col].tolist()
        assert len(values) == len(expected)
        for i, (a, b) in enumerate(zip(values, expected, strict=True)):
            assert _same_cell(a, b), (col, got.ids[i], a, b)


def _edits(inv: am.Inventory) -> list[tuple[str, object]]:
    """(description, edit) pairs touching every kind of column the row patch prepares."""
    a = inv.assets()
    ids = list(a.index)
    g = a.geometry

    def move(aid, dx, dy=0.0):
        moved = shapely.affinity.translate(g.loc[aid], xoff=dx, yoff=dy)
        return lambda: inv.update(aid, geometry=gpd.GeoSeries([moved], crs=a.crs))

    other_district = next(d for d in a["district"].dropna().unique() if d != a["district"].iloc[2])
    other_use = next(u for u in a["land_use"].dropna().unique() if u != a["land_use"].iloc[3])
    land = a.index[a["kind"] == "land"]
    return [
        ("move", move(ids[0], 40.0, -25.0)),
        ("move again", move(ids[0], 41.5, -25.0)),
        ("move far", move(ids[1], 1500.0)),
        ("rent", lambda: inv.update(ids[2], rent_yuan_m2_month=11.5, at="2024-06-01")),
        ("rent missing", lambda: inv.update(ids[2], rent_yuan_m2_month=None)),
        ("district", lambda: inv.update(ids[2], district=other_district)),
        ("land use", lambda: inv.update(ids[3], land_use=other_use)),
        ("building area", lambda: inv.update(ids[4], building_area_m2=12_345.0)),
        ("declared area", lambda: inv.update(ids[4], declared_land_area_m2=20_001.0)),
        ("tenure", lambda: inv.update(ids[5], tenure=["lease"])),
        (
            "obstacles",
            lambda: inv.update(ids[5], obstacles=[{"kind": "relocation", "delay_days": 45}]),
        ),
        ("net land", lambda: inv.update(ids[6], net_land=False, ready_date="2025-03-01")),
        ("name, owner", lambda: inv.update(ids[6], name="改名的厂房", owner=None)),
        ("kind", lambda: inv.update(str(land[0]) if len(land) else ids[7], kind="factory")),
        ("power, floors", lambda: inv.update(ids[7], power_kva=800.0, floors=3)),
        (
            "two rows",
            lambda: inv.update_many(
                pd.DataFrame(
                    {
                        "asset_id": [ids[8], ids[9]],
                        "rent_yuan_m2_month": [9.0, 21.0],
                        "geometry": [
                            shapely.affinity.translate(g.loc[ids[8]], xoff=3.0),
                            g.loc[ids[9]],
                        ],
                    }
                ),
                crs=a.crs,
            ),
        ),
        ("status (a clock input)", lambda: inv.update(ids[10], status="negotiating")),
        ("back", move(ids[0], 0.0)),
    ]


def _run_corpus(inv, path, row_patches) -> None:
    req = am.Requirements.model_validate(PUBLIC_BRIEFS["hengzhong"])
    am.match(req, inventory=inv)
    for what, edit in _edits(inv):
        made = row_patches["made"]
        edit()
        table = inv.features()
        want = rebuilt(path)
        if what != "status (a clock input)":
            assert row_patches["made"] == made + 1, what
            assert table._frame is None, what  # not built by the patch
        assert_same_unbuilt(table, want)
        assert_same_table(table, want)  # builds the frame
        mine = am.match(req, inventory=inv)
        theirs = am.match(req, features=want)
        pd.testing.assert_frame_equal(mine.table, theirs.table)


def test_edits_patch_rows_without_frames_and_equal_a_rebuild(demo, row_patches):
    inv, path = demo
    _run_corpus(inv, path, row_patches)


def test_edits_on_a_generated_zone_equal_a_rebuild(new_store, row_patches):
    zone = generate_zone(seed=7, n_assets=300, n_firms=200)
    path = new_store()
    inv = am.Inventory.open(path)
    try:
        inv.add(zone.assets, at="2024-01-01", on_error="raise")
        inv.add_firms(zone.firms)
        for name, layer in zone.layers.items():
            inv.add_layer(name, layer)
        _run_corpus(inv, path, row_patches)
    finally:
        inv.close()


def test_patched_rows_accumulate_over_unbuilt_frames(demo, row_patches, monkeypatch):
    inv, path = demo
    monkeypatch.setattr(features_mod, "_PENDING_ROWS", 3)  # the fourth row builds the frame
    inv.features()
    built = []
    for k, aid in enumerate(["TS-0001", "TS-0002", "TS-0001", "TS-0003", "TS-0004", "TS-0005"]):
        inv.update(aid, rent_yuan_m2_month=10.0 + k, name=f"名{k}")
        table = inv.features()
        built.append(table._frame is not None)
        assert_same_unbuilt(table, rebuilt(path))
    assert built == [False, False, False, False, True, False]
    assert row_patches["made"] == 6
    assert_same_table(inv.features(), rebuilt(path))


def test_a_patch_leaves_the_table_a_caller_holds_as_it_was(demo):
    inv, _ = demo
    old = inv.features()
    arrays = {k: old[k].copy() for k in old.keys()}  # noqa: SIM118 (not iterable)
    frame = old.frame.copy()
    names = old.frame_values("name")
    inv.update("TS-0001", rent_yuan_m2_month=77.0, name="另一个名字")
    a = inv.assets()
    moved = shapely.affinity.translate(a.geometry.loc["TS-0002"], xoff=30.0)
    inv.update("TS-0002", geometry=gpd.GeoSeries([moved], crs=a.crs))
    new = inv.features()
    assert new is not old
    p = new.position("TS-0001")
    assert new["rent_yuan_m2_month"][p] == np.float32(77.0)
    assert new.frame_values("name")[p] == "另一个名字"
    assert new.frame_cell(p, "name") == "另一个名字"
    for k, v in arrays.items():
        np.testing.assert_array_equal(old[k], v, err_msg=k)
        assert not old[k].flags.writeable
    assert old.frame_values("name") is names and names[p] != "另一个名字"
    pd.testing.assert_frame_equal(old.frame, frame)
    new_frame = new.frame
    assert new_frame.loc["TS-0001", "name"] == "另一个名字"
    assert old.frame.loc["TS-0001", "name"] == frame.loc["TS-0001", "name"]
    assert new_frame.geometry.loc["TS-0002"].equals_exact(moved, 0.0)
    assert new_frame.crs == frame.crs and new_frame.geometry.name == frame.geometry.name


def test_a_taken_patched_table_reads_its_frame_through_the_patch(demo):
    inv, _ = demo
    inv.features()
    inv.update("TS-0003", name="取出的行", rent_yuan_m2_month=5.5)
    table = inv.features()
    rows = np.array([table.position("TS-0003"), 0, 7])
    sub = table.take(rows)
    assert sub.frame_values("name")[0] == "取出的行"
    assert sub.frame_cell(0, "rent_yuan_m2_month") == 5.5
    assert sub.frame_columns == table.frame_columns
    assert table._frame is None  # nothing above built it
    pd.testing.assert_frame_equal(sub.frame, table.frame.iloc[rows])


def test_one_row_values_equal_the_column_functions():
    """The one-value helpers give what :func:`prepare`'s column functions give that value."""
    f = features_mod
    stamps = [pd.Timestamp("1969-12-31 23:00"), pd.Timestamp("2024-02-29 12:34:56"), pd.NaT]
    texts = ["2024-05-16T00:00:00", "2024-05-16", "1900-01-01 10:00", "2024-05-16T00:00:00+08:00"]
    for v in [*stamps, *texts, None, "not a date", "2024-02-30"]:
        want = f._days(pd.Series([v], dtype=object), 1)[0]
        got = f._day(v)
        assert (math.isnan(want) and math.isnan(got)) or want == got, v
    for v in [True, False, pd.NA, None, np.True_, 1, 0.0, "true", "x"]:
        want = f._bool_float(pd.Series([v], dtype=object), 1)[0]
        got = f._net_land(v)
        assert (math.isnan(want) and math.isnan(got)) or want == got, v
    for v in [1.5, 3, np.float64(2.25), None, math.nan, "4.5", "x", 1e300]:
        want = pd.to_numeric(pd.Series([v], dtype=object), errors="coerce")
        with np.errstate(over="ignore"):  # both overflow to inf alike
            w = want.to_numpy(dtype=np.float64).astype(np.float32)[0]
            got = f._f32(v)
        assert (math.isnan(w) and math.isnan(got)) or (w == got and type(got) is np.float32), v


def test_a_patched_table_keeps_the_scores_whose_arrays_it_shares(demo):
    """Values a match memoised on the table (hand-over days, offerable, access…) are kept by
    a patched table only while it shares every array they were computed from; an edit of one
    of those arrays computes them again, equal to a table built from scratch."""
    inv, path = demo
    req = am.Requirements.model_validate(PUBLIC_BRIEFS["hengzhong"])
    am.match(req, inventory=inv)

    def memo(table, name):
        return next(v for k, v in table._cache.items() if k[0] == name)

    ids = list(inv.assets().index)
    before = inv.features()
    handover, access = memo(before, "handover"), memo(before, "access")
    inv.update(ids[2], rent_yuan_m2_month=17.5)  # neither hand-over nor access reads rent
    after = inv.features()
    assert after is not before
    assert memo(after, "handover") is handover and memo(after, "access") is access
    am.match(req, inventory=inv)
    inv.update(ids[4], building_area_m2=0.0)  # hand-over reads it (net land on bare land)
    patched = inv.features()
    assert not any(k[0] == "handover" for k in patched._cache)  # not carried
    mine = am.match(req, inventory=inv)
    assert memo(patched, "handover") is not handover
    want = rebuilt(path)
    theirs = am.match(req, features=want)
    np.testing.assert_array_equal(memo(patched, "handover"), memo(want, "handover"))
    pd.testing.assert_frame_equal(mine.table, theirs.table)
