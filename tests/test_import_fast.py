"""Imports write new assets column by column, and each create event refers to its asset row.

The rows an import writes must equal the replay of full create events (what earlier versions
wrote, rebuilt here by hand from :func:`history.normalize_value`), on both stores; the records
of create events must survive later changes and removal; each geometry is stored once in the
GeoPackage; a store written by the previous format still reads and upgrades.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, Point

import assetmatch as am
from assetmatch.demo.zone import generate_zone
from assetmatch.geo import crs as crs_rules
from assetmatch.ingest import pipeline as ingest
from assetmatch.inventory import _decode_rows
from assetmatch.store import _gpkg, history
from conftest import LAT0, LON0, requires_validator, run_validator, square_lonlat

V1_STORE = Path(__file__).parent / "data" / "store_v1.gpkg"


# ------------------------------------------------------------------ normalize_column


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("rent_yuan_m2_month", pd.Series([1.5, np.nan, 0.0, -2.25, 1e300], dtype="float64")),
        ("rent_yuan_m2_month", [1.0, None, np.float32(2.5), 3, np.nan, True]),
        ("rent_yuan_m2_month", ["1.5", None]),  # text: value by value
        ("floors", pd.Series([3, None, 7], dtype="Int64")),
        ("floors", pd.Series([4.0, 4.7, -4.7, np.nan], dtype="float64")),
        ("floors", [2**60, 1]),  # beyond exact floats
        ("net_land", pd.Series([True, False, True], dtype=bool)),
        ("net_land", pd.Series([True, None, False], dtype="boolean")),
        ("net_land", [1, 0, None, np.True_]),
        ("name", pd.Series(["甲", None, "", "b"], dtype="str")),
        ("name", pd.Series(["甲", None, "", "b"], dtype="string")),
        ("name", pd.Series(["甲", None], dtype="string[pyarrow]")),
        ("name", ["a", 3, None, np.nan]),
        ("idle_since", ["2021-11-03", None, "2020-02-29", np.nan]),
        ("idle_since", ["2021-11-03T10:00", "2021-1-3", date(2020, 1, 2)]),
        ("idle_since", [datetime(2021, 5, 6, 7, 8), pd.Timestamp("2022-01-01"), pd.NaT]),
        ("idle_since", pd.Series(pd.to_datetime(["2021-01-02", None]))),
        ("tenure", [["lease"], None, np.array(["a", "b"], dtype=object), []]),
        (
            "obstacles",
            [[{"kind": "x", "description": None, "delay_days": 3}], [], None],
        ),
        ("extra", [{"a": 1}, None, {"b": [1, 2]}]),
    ],
)
def test_normalize_column_equals_normalize_value_of_each_value(field, values):
    expected = [
        history.normalize_value(field, v)
        for v in (values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values)
    ]
    got = history.normalize_column(field, values)
    assert got == expected
    assert [type(v) for v in got] == [type(v) for v in expected]


def _obstacle(kind, description, days, **more):
    return {"kind": kind, "description": description, "delay_days": days, **more}


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("tenure", [["lease"], None, np.array(["a", "b"], dtype=object), [], ["lease"], np.nan]),
        ("tenure", [["租赁", "出让"], ["租赁", "出让"], [1, "a"], ["1"], ("x",)]),
        (
            "obstacles",
            [
                [_obstacle("x", None, 3)],
                [_obstacle("x", None, 3.0)],  # the same record as the one above
                [_obstacle("x", None, True)],
                [_obstacle("x", None, 0.0)],
                [_obstacle("x", None, -0.0)],  # not the text of 0.0
                [_obstacle("x", None, np.nan)],
                [_obstacle("x", None, None, extra="dropped")],
                [_obstacle("x", "调规", 90), _obstacle("y", None, 10**20)],
                [_obstacle(1, None, 3)],
                [_obstacle(1.0, None, 3)],  # equal to 1 in Python, another text
                [_obstacle("x", ["odd"], np.float64(2.5))],
                [{"kind": "x"}],
                [],
                None,
                np.nan,
            ],
        ),
        ("extra", [{"b": 1, "a": [1, 2]}, None, {"b": 1, "a": [1, 2]}, np.nan, {}]),
    ],
)
def test_json_texts_equal_the_text_of_each_normalized_value(field, values):
    def reference(v):
        norm = history.normalize_value(field, v)
        return None if norm is None else json.dumps(norm, ensure_ascii=False, sort_keys=True)

    expected = [reference(v) for v in values]
    assert history.json_texts(field, values) == expected
    assert history.json_texts(field, pd.Series(values, dtype=object)) == expected
    # normalized values give the same text (replay hands them over normalized)
    norm = [history.normalize_value(field, v) for v in values]
    assert history.json_texts(field, norm) == expected


# ------------------------------------------------------------------ fast rows == replay


def _varied_batch() -> gpd.GeoDataFrame:
    """Demo assets made awkward: points with declared areas, a multipolygon, blanks, an unknown
    land-use code, no floors, dates as dates."""
    zone = generate_zone(seed=11, n_assets=50, n_firms=20).assets.to_crs("EPSG:4490")
    batch = zone.copy()
    batch.loc[batch.index[0:5], "geometry"] = [
        Point(LON0 + 0.001 * k, LAT0 + 0.002) for k in range(5)
    ]
    batch.loc[batch.index[0:5], "declared_land_area_m2"] = [1000.0, np.nan, 2500.5, 3e4, 7.25]
    batch.loc[batch.index[5], "geometry"] = MultiPolygon(
        [square_lonlat(LON0, LAT0 - 0.02, 100), square_lonlat(LON0 + 0.01, LAT0 - 0.02, 80)]
    )
    batch.loc[batch.index[6:9], "rent_yuan_m2_month"] = np.nan
    batch["floors"] = batch["floors"].astype("Int64")
    batch.loc[batch.index[9:12], "floors"] = pd.NA
    batch.at[batch.index[12], "tenure"] = []  # .at: a list into one cell on pandas 2 and 3
    batch.at[batch.index[13], "obstacles"] = [
        {"kind": "planning_adjustment", "description": "调规", "delay_days": 90}
    ]
    batch.loc[batch.index[14], "name"] = None
    batch.loc[batch.index[15], "idle_since"] = date(2020, 2, 29)
    batch.loc[batch.index[16], "net_land"] = False
    return batch


def _full_create_events(inv: am.Inventory, batch: gpd.GeoDataFrame) -> pd.DataFrame:
    """Create events as earlier versions wrote them: the full record (normalize_value, value by
    value) and the geometry, with the times and provenance the store recorded."""
    prepared = ingest.prepare_assets(batch, store_crs=inv.crs)
    new = prepared.frame.set_index("asset_id")
    fields = [f for f in prepared.given if f in history.EVENT_FIELDS]
    stored = inv.events()
    rows = []
    for k, aid in enumerate(new.index):
        record = {f: history.normalize_value(f, new[f].iloc[k]) for f in fields}
        rows.append(
            {
                "event_id": k + 1,
                "asset_id": aid,
                "kind": "create",
                "field": None,
                "value": json.dumps(record, ensure_ascii=False, sort_keys=True),
                "geom": new.geometry.iloc[k],
                "valid_at": "2025-01-01",
                "recorded_at": stored["recorded_at"].iloc[0],
            }
        )
    return pd.DataFrame(rows)


def test_rows_of_an_import_equal_the_replay_of_full_create_events(store):
    batch = _varied_batch()
    inv = am.Inventory.open(store)
    try:
        rep = inv.add(batch, at="2025-01-01")
        assert len(rep.created) == len(batch) and rep.events_written == len(batch)
        events = _full_create_events(inv, batch)
        state, geoms = history.replay(events)
        expected = _decode_rows(
            inv._rows_from_state(state, geoms, events).reset_index(drop=True), inv.crs
        )
        got = inv.assets(derived=False)
        assert got.index.tolist() == expected.index.tolist()
        pd.testing.assert_frame_equal(
            pd.DataFrame(got.drop(columns="geometry")),
            pd.DataFrame(expected.drop(columns="geometry")),
        )
        assert got.geometry.geom_equals_exact(expected.geometry, tolerance=0).all()
        polygons = batch.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
        assert got["has_boundary"].to_numpy().tolist() == polygons.tolist()
        assert not polygons[:5].any() and polygons[5]
        # the boundary areas an import keeps from its checks are exactly those measured anew
        measured = crs_rules.ground_area_m2(got.geometry.to_numpy()[polygons], inv.crs)
        assert got["land_area_m2"].to_numpy(dtype=float)[polygons].tolist() == measured.tolist()
        # each create's record is the full record: the given fields, None for the rest
        for aid, ev in zip(events["asset_id"], events["value"], strict=True):
            rec = inv.history(aid)["value"][0]
            assert {k: v for k, v in rec.items() if k in json.loads(ev)} == json.loads(ev)
            assert all(rec[k] is None for k in rec if k not in json.loads(ev))
        # and the replay of what the store itself holds gives the same rows
        assert_frame_equal_geo(inv.assets(as_of="2200-12-31", derived=False), got)
    finally:
        inv.close()


def assert_frame_equal_geo(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> None:
    pd.testing.assert_frame_equal(
        pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry"))
    )
    assert a.geometry.geom_equals_exact(b.geometry, tolerance=0).all()


# ------------------------------------------------------------------ history kept by reference


def test_create_records_survive_updates_removal_and_return(store, parcels):
    inv = am.Inventory.open(store, author="li")
    try:
        inv.add(parcels, at="2025-01-01", note="first")
        first = inv.assets(derived=False)
        records = {a: inv.history(a)["value"][0] for a in first.index}
        assert records["A-1"]["status"] == "idle" and records["A-1"]["tenure"] == ["lease"]
        inv.update("A-1", status="negotiating", at="2025-03-01")
        inv.update("A-2", geometry=square_lonlat(LON0 + 0.01, LAT0, 300), crs="EPSG:4490")
        inv.remove("A-3", at="2025-05-01")
        for aid, rec in records.items():
            h = inv.history(aid)
            assert h["kind"][0] == "create" and h["value"][0] == rec
            assert h["note"][0] == "first" and h["author"][0] == "li"
        ev = inv.events(asset_ids=["A-2"])
        assert ev["value"][0] == records["A-2"]
        assert_frame_equal_geo(inv.assets(as_of="2025-02-01", derived=False), first)
        assert inv.assets().index.tolist() == ["A-1", "A-2"]
        assert inv.assets(as_of="2025-04-01").at["A-1", "status"] == "negotiating"
        # back in the inventory: a new create, the old one unchanged
        back = parcels[parcels["asset_id"] == "A-3"].assign(status="available")
        rep = inv.add(back, at="2025-07-01")
        assert rep.created == ["A-3"]
        h = inv.history("A-3")
        assert list(h["kind"]) == ["create", "remove", "create"]
        assert h["value"][0] == records["A-3"] and h["value"][2]["status"] == "available"
        assert "A-3" not in inv.assets(as_of="2025-06-01").index
        assert inv.assets().at["A-3", "status"] == "available"
    finally:
        inv.close()


def test_a_back_dated_return_stays_out_when_its_removal_is_later(store, parcels):
    """The current table is the replay: an asset re-added with a valid time before its removal
    is not current (the removal is the later fact)."""
    inv = am.Inventory.open(store)
    try:
        inv.add(parcels, at="2025-01-01")
        inv.remove("A-3", at="2025-05-01")
        rep = inv.add(parcels[parcels["asset_id"] == "A-3"], at="2025-03-01")
        assert rep.created == ["A-3"]
        assert "A-3" not in inv.assets().index
        assert "A-3" in inv.assets(as_of="2025-04-01").index
        assert_frame_equal_geo(
            inv.assets(derived=False), inv.assets(as_of="2200-12-31", derived=False)
        )
    finally:
        inv.close()


def test_each_geometry_and_record_is_stored_once_in_the_geopackage(store_path):
    batch = generate_zone(seed=2, n_assets=50, n_firms=20).assets
    inv = am.Inventory.open(store_path)
    inv.add(batch, at="2025-01-01")
    con = sqlite3.connect(store_path)
    try:
        q = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        assert q("SELECT count(*) FROM assets WHERE geom IS NOT NULL") == 50
        assert q("SELECT count(*) FROM asset_events WHERE kind = 'create'") == 50
        assert q("SELECT count(*) FROM asset_events WHERE geom IS NOT NULL") == 0
        assert q("SELECT count(*) FROM asset_events WHERE value IS NOT NULL") == 0
        assert q("SELECT count(*) FROM asset_versions") == 0
        inv.update(batch["asset_id"].iloc[0], status="leased", at="2025-02-01")
        assert q("SELECT count(*) FROM asset_versions") == 1
        assert q("SELECT count(*) FROM assets WHERE am_create_event IS NOT NULL") == 49
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute("DELETE FROM asset_versions")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute("UPDATE asset_versions SET status = 'x'")
    finally:
        con.close()
        inv.close()


def test_a_row_changed_outside_the_library_keeps_its_first_version(store_path, parcels):
    """The trigger keeps the row as first written whatever writes it (here plain SQL, on a
    connection with the GeoPackage functions the R-tree triggers call, as GDAL's has)."""
    inv = am.Inventory.open(store_path)
    inv.add(parcels, at="2025-01-01")
    record = inv.history("A-1")["value"][0]
    inv.close()
    con = _gpkg.connect(store_path)
    con.execute("UPDATE assets SET name = 'renamed' WHERE asset_id = 'A-1'")
    con.execute("DELETE FROM assets WHERE asset_id = 'A-2'")
    con.close()
    inv = am.Inventory.open(store_path)
    try:
        assert inv.history("A-1")["value"][0] == record
        assert inv.history("A-2")["value"][0]["name"] == "乙地块"
    finally:
        inv.close()


def test_a_bulk_add_stores_missing_values_as_null_and_puts_its_triggers_back(store_path):
    """The bulk insert binds missing values as NaN and blobs as bytearrays, and sets the per-row
    triggers aside: the file must hold NULLs, the same blobs, exact counts and every trigger."""
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (a DOUBLE, b TEXT, c BLOB)")
    con.execute("INSERT INTO t VALUES (?, ?, ?)", (_gpkg.NULL, _gpkg.NULL, bytearray(b"GP")))
    assert con.execute("SELECT typeof(a), typeof(b), typeof(c), c FROM t").fetchone() == (
        "null",
        "null",
        "blob",
        b"GP",
    )
    con.close()
    batch = _varied_batch()
    inv = am.Inventory.open(store_path)
    triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    inv.add(batch.iloc[:2], at="2025-01-01")  # the first add creates the tables
    before = [r[0] for r in inv._store.conn.execute(triggers)]
    assert "asset_events_no_replace" in before and "rtree_assets_geom_insert" in before
    inv.add(batch.iloc[2:], at="2025-01-01")
    inv.close()
    con = sqlite3.connect(store_path)
    try:
        q = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        assert [r[0] for r in con.execute(triggers)] == before
        n = len(batch)
        assert q("SELECT feature_count FROM gpkg_ogr_contents WHERE table_name='assets'") == n
        assert q("SELECT feature_count FROM gpkg_ogr_contents WHERE table_name='asset_events'") == n
        assert q("SELECT count(*) FROM rtree_assets_geom") == n
        missing = int(batch["rent_yuan_m2_month"].isna().sum())
        assert missing >= 3
        assert q("SELECT count(*) FROM assets WHERE rent_yuan_m2_month IS NULL") == missing
        assert q("SELECT count(*) FROM assets WHERE typeof(rent_yuan_m2_month) = 'real'") == (
            n - missing
        )
        assert q("SELECT count(*) FROM assets WHERE name IS NULL") == 1
        assert q("SELECT count(*) FROM assets WHERE typeof(geom) = 'blob'") == n
    finally:
        con.close()
    # the guards are back: an event cannot be replaced, a later import still counts
    con = _gpkg.connect(store_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute(
                "INSERT OR REPLACE INTO asset_events (event_id, asset_id, kind, valid_at, "
                "recorded_at) VALUES (1, 'x', 'create', '2025-01-01', '2025-01-01')"
            )
    finally:
        con.close()


@requires_validator
def test_the_store_stays_a_valid_geopackage(store_path, parcels):
    inv = am.Inventory.open(store_path)
    inv.add(parcels, at="2025-01-01")
    inv.update("A-1", status="leased", at="2025-02-01")
    inv.close()
    code, out = run_validator(store_path)
    assert code == 0, out


def test_a_store_without_a_context_lists_no_changed_assets(store_path, parcels):
    """Until a context is stored the first context() computes every asset: an import leaves no
    list of changed ids (after a first import it would hold every id); once a context is
    stored, a moved asset is listed and refreshed."""
    inv = am.Inventory.open(store_path)
    try:
        inv.add(parcels, at="2025-01-01")
        assert inv._store.meta("context_dirty_assets") is None
        moved = parcels[parcels["asset_id"] == "A-2"].copy()
        moved["geometry"] = [square_lonlat(LON0 + 0.01, LAT0, 300)]
        inv.add(moved, at="2025-02-01")
        assert inv._store.meta("context_dirty_assets") is None
        ctx = inv.context()
        assert sorted(ctx.index) == sorted(inv.assets().index)
        moved["geometry"] = [square_lonlat(LON0 + 0.02, LAT0, 300)]
        inv.add(moved, at="2025-03-01")
        assert json.loads(inv._store.meta("context_dirty_assets")) == ["A-2"]
        inv.context()
        assert inv._store.meta("context_dirty_assets") is None
    finally:
        inv.close()


# ------------------------------------------------------------------ the previous format


def test_a_store_of_the_previous_format_reads_then_upgrades(tmp_path):
    """``store_v1.gpkg`` was written by assetmatch at commit b5f9765 (``data/make_store_v1.py``):
    create events with the full record and geometry; V-1 updated, V-2 moved, V-3 removed."""
    path = tmp_path / "v1.gpkg"
    shutil.copy(V1_STORE, path)
    with am.Inventory.open(path, readonly=True) as inv:
        assert inv.assets().index.tolist() == ["V-1", "V-2"]
        old = inv.assets(as_of="2025-02-01")
        assert old.index.tolist() == ["V-1", "V-2", "V-3"]
        assert old.at["V-1", "status"] == "idle" and old.at["V-1", "rent_yuan_m2_month"] == 12.0
        before = inv.history("V-3")
    con = sqlite3.connect(path)
    assert con.execute("SELECT value FROM am_meta WHERE key='schema_version'").fetchone() == ("1",)
    con.close()
    inv = am.Inventory.open(path)
    try:
        pd.testing.assert_frame_equal(inv.history("V-3"), before)
        assert before["value"][0]["obstacles"][0]["delay_days"] == 180
        assert inv._store.meta("schema_version") == "2"
        cur = inv.assets()
        assert cur.at["V-1", "status"] == "negotiating" and cur.at["V-1", "floors"] == 3
        inv.update("V-1", status="leased", at="2025-06-01")
        inv.add(
            gpd.GeoDataFrame(
                {"asset_id": ["N-1"], "name": ["新地块"], "status": ["idle"]},
                geometry=[square_lonlat(LON0 + 0.03, LAT0, 200)],
                crs="EPSG:4490",
            ),
            at="2025-06-01",
        )
        assert inv.assets().index.tolist() == ["V-1", "V-2", "N-1"]
        assert inv.history("N-1")["value"][0]["name"] == "新地块"
        assert inv.history("V-1")["value"][0]["status"] == "idle"
        assert inv.assets(as_of="2025-02-01").at["V-1", "status"] == "idle"
    finally:
        inv.close()


@pytest.mark.parametrize("store_kind", ["postgis"])
def test_adding_an_asset_another_writer_added_meanwhile_is_a_conflict(store, parcels):
    """Two importers of the same new id on PostGIS: the later one's rows meet the first one's
    and it is told to run again (nothing of it is kept); a GeoPackage writer holds the file."""
    inv = am.Inventory.open(store)
    try:
        inv.add(parcels, at="2025-01-01")
        before = inv.events()
        prepared = ingest.prepare_assets(parcels.iloc[:1], store_crs=inv.crs)
        rows = inv._new_asset_rows(
            prepared.frame.set_index("asset_id"),
            prepared.given,
            valid_at="2025-02-01",
            recorded_at="2025-02-01T00:00:00.000Z",
        )
        conflict = pytest.raises(am.StoreConflictError, match="run the import again")
        with conflict, inv._store.transaction():
            inv._store.add_assets(
                rows, {"valid_at": "2025-02-01", "recorded_at": "2025-02-01T00:00:00.000Z"}
            )
        pd.testing.assert_frame_equal(inv.events(), before)
    finally:
        inv.close()
