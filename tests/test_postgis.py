"""The PostGIS store's foundations against a real server: migrations, append-only events,
GiST indexes, retried serialisable writes, errors without passwords.

These tests need a PostgreSQL server with PostGIS; ``./run.sh`` provides one (or set
``ASSETMATCH_TEST_PG_URL=postgresql://user@host:5432/postgres``, a role that may create
databases). Each test module run gets its own throwaway database, dropped afterwards.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import uuid

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from assetmatch import StoreConflictError, StoreError
from assetmatch import _errors as am_errors
from assetmatch.store import postgis
from assetmatch.store.gpkg import _sql_columns_of
from assetmatch.store.pgurl import parse_pg_url

psycopg = pytest.importorskip("psycopg", reason="pip install 'assetmatch[postgis]'")


@pytest.fixture
def pg_admin(pg_admin_conn):
    """The admin connection of conftest (skips, saying how, without a server)."""
    return pg_admin_conn


@pytest.fixture
def pg_target(pg_admin):
    admin, conn = pg_admin
    name = f"assetmatch_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    conn.execute(f'CREATE DATABASE "{name}"')
    yield dataclasses.replace(admin, dbname=name)
    conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def migrated(pg_target):
    with psycopg.connect(pg_target.conninfo(), autocommit=True) as conn:
        postgis.migrate(conn, pg_target)
    return pg_target


def test_migrate_applies_each_version_once(pg_target):
    with psycopg.connect(pg_target.conninfo(), autocommit=True) as conn:
        assert postgis.schema_version(conn) == 0
        assert postgis.migrate(conn, pg_target) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
        assert postgis.migrate(conn, pg_target) == []
        assert postgis.schema_version(conn) == 9
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        }
        assert {
            "assets",
            "asset_events",
            "geometries",
            "firms",
            "layers",
            "deals",
            "asset_versions",
        } <= tables
        gist = {
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist%'"
            ).fetchall()
        }
        assert {"assets", "firms", "layers"} <= gist


def test_two_processes_migrating_at_once_apply_it_once(pg_target):
    results: list[list[int]] = []

    def run():
        with psycopg.connect(pg_target.conninfo(), autocommit=True) as conn:
            results.append(postgis.migrate(conn, pg_target))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [[], [1, 2, 3, 4, 5, 6, 7, 8, 9]]


def test_events_are_append_only_in_the_database(migrated):
    with psycopg.connect(migrated.conninfo(), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO asset_events (asset_id, kind, valid_at, recorded_at) "
            "VALUES ('A1', 'created', '2024-01-01', now())"
        )
        for sql, word in [
            ("UPDATE asset_events SET kind = 'x'", "overwritten"),
            ("DELETE FROM asset_events", "deleted"),
            ("TRUNCATE asset_events", "deleted"),
        ]:
            with pytest.raises(psycopg.Error, match=f"append-only: history is never {word}"):
                conn.execute(sql)
        assert conn.execute("SELECT count(*) FROM asset_events").fetchone()[0] == 1


def test_a_newer_schema_is_refused(migrated):
    with psycopg.connect(migrated.conninfo(), autocommit=True) as conn:
        conn.execute("INSERT INTO am_schema_migrations (version, name) VALUES (99, 'future')")
        with pytest.raises(StoreError, match="version 99, newer than this assetmatch knows"):
            postgis.migrate(conn, migrated)


def test_concurrent_writers_lose_nothing(migrated):
    """Read-modify-write from two threads: without the retry, serialisable would abort some."""
    pool = postgis.connect(migrated, max_size=4)
    try:
        postgis.run_transaction(pool, lambda c: c.execute("INSERT INTO am_meta VALUES ('n', '0')"))

        def bump(conn):
            n = int(conn.execute("SELECT value FROM am_meta WHERE key = 'n'").fetchone()[0])
            conn.execute("UPDATE am_meta SET value = %s WHERE key = 'n'", (str(n + 1),))

        def writer():
            for _ in range(15):
                postgis.run_transaction(pool, bump, retries=50)

        threads = [threading.Thread(target=writer) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with pool.connection() as conn:
            assert conn.execute("SELECT value FROM am_meta WHERE key = 'n'").fetchone()[0] == "45"
    finally:
        pool.close()


def test_retries_run_out_into_a_conflict_error(migrated):
    pool = postgis.connect(migrated)
    attempts = []

    def always_conflicts(conn):
        attempts.append(1)
        conn.execute(
            "DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = 'serialization_failure'; END $$"
        )

    try:
        with pytest.raises(StoreConflictError, match="3 times in a row"):
            postgis.run_transaction(pool, always_conflicts, retries=2, what="add")
    finally:
        pool.close()
    assert len(attempts) == 3


def test_other_errors_are_not_retried(migrated):
    pool = postgis.connect(migrated)
    attempts = []

    def bad(conn):
        attempts.append(1)
        conn.execute("SELECT * FROM no_such_table")

    try:
        with pytest.raises(psycopg.errors.UndefinedTable):
            postgis.run_transaction(pool, bad)
    finally:
        pool.close()
    assert len(attempts) == 1


def test_cannot_connect_names_the_target_not_the_password():
    target = parse_pg_url("postgresql://alice:hunter2@127.0.0.1:1/zone", environ={})
    with pytest.raises(StoreError, match=r"alice:\*\*\*@127.0.0.1:1/zone: cannot connect") as e:
        postgis.connect(target)
    assert "hunter2" not in str(e.value)


def test_migrations_are_numbered_without_gaps():
    found = postgis.migrations()
    assert [v for v, _, _ in found] == list(range(1, len(found) + 1))
    assert found[0][1] == "0001_schema.sql"


def _assert_same_features(a, b):
    """Two GeoDataFrames hold the same attributes and exactly the same geometries."""
    pd.testing.assert_frame_equal(
        pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry"))
    )
    assert a.crs == b.crs
    assert all(a.geometry.geom_equals_exact(b.geometry, tolerance=0))


def _events():
    from shapely.geometry import Point, box

    return pd.DataFrame(
        {
            "asset_id": ["A1", "A1", "B2"],
            "kind": ["create", "update", "create"],
            "field": [None, "status", None],
            "value": ['{"status": "idle"}', '"leased"', "{}"],
            "geom": [box(0, 0, 10, 20), None, Point(5, 5)],
            "valid_at": ["2024-01-01", "2024-03-01", "2024-02-01"],
            "recorded_at": ["2024-05-01T08:00:00.123Z"] * 3,
            "author": ["li", "li", None],
            "note": [None, "lease signed", None],
            "batch_id": ["b1", "b2", "b1"],
            "source": [None, None, "plants.xlsx"],
        }
    )


def test_events_read_back_as_the_geopackage_store_reads_them(migrated, tmp_path):
    from pyproj import CRS

    from assetmatch.store.gpkg import GpkgStore

    pg = postgis.PostGisStore(migrated)
    gp = GpkgStore(tmp_path / "s.gpkg")
    try:
        for store in (pg, gp):
            with store.transaction():
                store.set_crs(CRS.from_epsg(4549))
                store.append_events(_events())
            with store.transaction():  # the same events as a mapping of lists (the update path)
                store.append_events(_events().to_dict("list"))
        a, b = pg.read_events(), gp.read_events()
        pd.testing.assert_frame_equal(a.drop(columns="geom"), b.drop(columns="geom"))
        again = a.iloc[3:].drop(columns=["event_id", "geom"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(again, a.iloc[:3].drop(columns=["event_id", "geom"]))
        assert [g is None for g in a["geom"]] == [False, True, False] * 2
        assert a["geom"].iloc[3].equals(a["geom"].iloc[0])
        a, b = a.iloc[:3], b.iloc[:3]
        assert [g is None for g in a["geom"]] == [False, True, False]
        assert all(
            (x is None and y is None) or x.equals(y)
            for x, y in zip(a["geom"], b["geom"], strict=True)
        )
        assert pg.read_events(["B2"])["asset_id"].tolist() == ["B2", "B2"]
        assert pg.created_at(["A1", "B2", "C3"]) == gp.created_at(["A1", "B2", "C3"])
        assert pg.crs == gp.crs == CRS.from_epsg(4549)
        # geometry stored once: two geometries for each three events
        with psycopg.connect(migrated.conninfo()) as conn:
            assert conn.execute("SELECT count(*) FROM geometries").fetchone()[0] == 4
    finally:
        pg.close()
        gp.close()


def test_missing_values_of_any_kind_are_stored_as_the_geopackage_store_stores_them(
    migrated, tmp_path
):
    """append_events takes missing values as None, NaN, NaT or NA in columns of any dtype (and
    a column left out) as NULL, and numpy values as Python's, as the GeoPackage store does."""
    from pyproj import CRS

    from assetmatch.store.gpkg import GpkgStore

    ev = _events().drop(columns="source")  # a column left out: NULL
    ev["author"] = pd.array(["li", pd.NA, "wang"], dtype="string")
    ev["note"] = [float("nan"), "lease signed", None]
    ev["batch_id"] = pd.Series(["b1", None, "b1"], dtype="str")
    ev["field"] = pd.Series([None, "status", pd.NaT], dtype=object)
    # a text column's missing value is NaN: it was stored as the text 'nan' (a geometry
    # change's value when a field changed with it)
    ev["value"] = pd.Series(['{"status": "idle"}', None, "{}"], dtype="str")
    pg = postgis.PostGisStore(migrated)
    gp = GpkgStore(tmp_path / "s.gpkg")
    try:
        for store in (pg, gp):
            with store.transaction():
                store.set_crs(CRS.from_epsg(4549))
                store.append_events(ev)
        a, b = pg.read_events(), gp.read_events()
        pd.testing.assert_frame_equal(a.drop(columns="geom"), b.drop(columns="geom"))
        assert a["author"].isna().tolist() == [False, True, False] and a["source"].isna().all()
        assert a["note"].isna().tolist() == [True, False, True]
        assert a["batch_id"].isna().tolist() == [False, True, False]
        assert a["field"].isna().tolist() == [True, False, True]
        assert a["value"].isna().tolist() == [False, True, False]
    finally:
        pg.close()
        gp.close()


def test_the_crs_is_read_once_committed_and_not_kept_from_a_rolled_back_transaction(migrated):
    from pyproj import CRS

    pg = postgis.PostGisStore(migrated)
    other = postgis.PostGisStore(migrated)
    try:
        with pytest.raises(RuntimeError), pg.transaction():
            pg.set_crs(CRS.from_epsg(4549))
            assert pg.crs == CRS.from_epsg(4549)  # this transaction sees what it set
            raise RuntimeError("stop")
        assert pg.crs is None and other.crs is None
        with pg.transaction():
            pg.set_crs(CRS.from_epsg(4547))
            assert pg.crs == CRS.from_epsg(4547)
        assert pg.crs == other.crs == CRS.from_epsg(4547)
        # once committed it is not read again (a store keeps its CRS)
        pg._execute("SELECT 1")  # the pool's connection is warm
        with pg.transaction():
            pg.set_meta("crs_epsg", "4549")
        assert pg.crs == CRS.from_epsg(4547)
    finally:
        pg.close()
        other.close()


def test_a_failed_transaction_leaves_nothing(migrated):
    pg = postgis.PostGisStore(migrated)
    try:
        with pytest.raises(RuntimeError), pg.transaction():
            pg.set_meta("k", "v")
            pg.append_events(_events())
            raise RuntimeError("stop")
        assert pg.meta("k") is None and len(pg.read_events()) == 0
        with pg.transaction():
            pg.set_meta("k", "v")
        with pg.snapshot():
            assert pg.meta("k") == "v"
    finally:
        pg.close()


def test_assets_round_trip_as_in_the_geopackage_store(migrated, tmp_path):
    import assetmatch as am
    from assetmatch.demo.zone import generate_zone

    inv = am.Inventory.open(tmp_path / "z.gpkg")
    inv.add(generate_zone(seed=3, n_assets=200, n_firms=20).assets)
    gp = inv._store
    stored = gp.read_assets()
    pg = postgis.PostGisStore(migrated)
    try:
        with pg.transaction():
            pg.set_crs(gp.crs)
            pg.upsert_assets(stored)
        got = pg.read_assets()
        _assert_same_features(got, stored)
        # replace one row, delete another, on both stores: they still agree
        first, second = stored["asset_id"].iloc[0], stored["asset_id"].iloc[1]
        changed = stored.iloc[[0]].copy()
        changed["status"] = "leased"
        # a row of numpy values and columns left out (NULL), as a frame of parts may give it
        partial = stored.iloc[[2]].drop(columns=["owner", "floors", "net_land"])
        partial["power_kva"] = pd.array([np.float32(630)], dtype=object)
        partial["building_area_m2"] = pd.array([np.int64(1200)], dtype=object)
        for store in (gp, pg):
            with store.transaction():
                store.upsert_assets(changed)
                store.upsert_assets(partial)
                store.delete_assets([second])
        a, b = pg.read_assets(), gp.read_assets()
        _assert_same_features(a, b)
        assert pg.asset_ids() == gp.asset_ids() and second not in pg.asset_ids()
        assert pg.read_assets([first])["status"].tolist() == ["leased"]
        third = pg.read_assets([stored["asset_id"].iloc[2]])
        assert third[["owner", "floors", "net_land"]].isna().all(axis=None)
        assert third[["power_kva", "building_area_m2"]].to_numpy().tolist() == [[630.0, 1200.0]]
        # rows read and written as plain columns (the update path) agree with the frames
        some = stored["asset_id"].iloc[3:7].tolist()
        for store in (gp, pg):
            cols, frame = store.read_asset_columns(some), store.read_assets(some)
            assert list(cols) == [*frame.columns.drop("geometry"), "geometry"]
            for c in frame.columns.drop("geometry"):
                assert cols[c] == [None if pd.isna(v) else v for v in frame[c]], c
            assert all(a.equals(b) for a, b in zip(cols["geometry"], frame.geometry, strict=True))
        rows = stored.iloc[[3, 4]].copy()
        rows["status"] = ["leased", "negotiating"]
        rows["floors"] = [7, None]
        rows["net_land"] = [True, None]
        names = [c for c in rows.columns if c != "geometry"]
        plain = dict(zip(names, _sql_columns_of(rows, names), strict=True))
        del plain["owner"]  # a column left out is NULL
        geoms = rows.geometry.to_numpy()
        with gp.transaction():
            gp.upsert_assets(rows.drop(columns="owner"))
        with pg.transaction():
            pg.upsert_asset_columns(plain, geoms)
        _assert_same_features(pg.read_assets(), gp.read_assets())
        with gp.transaction():
            gp.upsert_asset_columns(plain | {"status": ["reserved", None]}, geoms)
        with pg.transaction():
            pg.upsert_assets(rows.drop(columns="owner").assign(status=["reserved", None]))
        _assert_same_features(pg.read_assets(), gp.read_assets())
        assert pg.read_assets(some[:2])["status"].tolist()[0] == "reserved"
        with pytest.raises(StoreError, match="needs a write transaction"), pg.snapshot():
            pg.upsert_assets(changed)
    finally:
        pg.close()
        inv.close()


def _zone_with_firms(tmp_path, *, seed: int, n_firms: int):
    """A GeoPackage inventory of 200 synthetic assets and their firms."""
    import assetmatch as am
    from assetmatch.demo.zone import generate_zone

    zone = generate_zone(seed=seed, n_assets=200, n_firms=n_firms)
    inv = am.Inventory.open(tmp_path / "z.gpkg")
    inv.add(zone.assets)
    inv.add_firms(zone.firms)
    return inv


def test_firms_and_deals_read_back_as_in_the_geopackage_store(migrated, tmp_path):
    inv = _zone_with_firms(tmp_path, seed=4, n_firms=30)
    gp = inv._store
    firms = gp.read_firms()
    deals = pd.DataFrame(
        {
            "deal_id": ["D1", "D2"],
            "investor": ["Hengzhong", None],
            "industry": ["C39", "C27"],
            "signed_at": ["2024-06-30", None],
            "asset_id": [firms["firm_id"].iloc[0], None],
            "requirements": [{"min_area_mu": 20}, None],
            "outcome": ["signed", "lost"],
        }
    )
    pg = postgis.PostGisStore(migrated)
    try:
        with pg.transaction():
            pg.set_crs(gp.crs)
            pg.upsert_firms(firms)
            pg.write_deals(deals)
        with gp.transaction():
            gp.write_deals(deals)
        for store in (gp, pg):
            with store.transaction():
                store.delete_firms([firms["firm_id"].iloc[1]])
        a, b = pg.read_firms(), gp.read_firms()
        assert len(a) == len(firms) - 1
        _assert_same_features(a, b)
        pd.testing.assert_frame_equal(pg.read_deals(), gp.read_deals())
        assert pg.read_deals()["requirements"].iloc[0] == {"min_area_mu": 20}
    finally:
        pg.close()
        inv.close()


def test_layers_read_back_as_in_the_geopackage_store(migrated, tmp_path):
    from pyproj import CRS
    from shapely.geometry import LineString, box

    from assetmatch.store.gpkg import GpkgStore

    layer = gpd.GeoDataFrame(
        {"name": ["G15", "S201", None], "lanes": [6, 4, 2], "width_m": [35.5, float("nan"), 12.0]},
        geometry=[LineString([(0, 0), (100, 0)]), LineString([(0, 0), (0, 50)]), box(0, 0, 1, 1)],
        crs="EPSG:4549",
    )
    pg = postgis.PostGisStore(migrated)
    gp = GpkgStore(tmp_path / "s.gpkg")
    try:
        for store in (pg, gp):
            with store.transaction():
                store.set_crs(CRS.from_epsg(4549))
                store.write_layer("roads", layer.iloc[:1])
                store.write_layer("Roads", layer)  # replaces, whatever the spelling
        assert pg.layer_names() == gp.layer_names() == ["Roads"]
        a, b = pg.read_layer("ROADS"), gp.read_layer("ROADS")
        _assert_same_features(a, b)
        with pytest.raises(am_errors.NotFoundError, match="no reference layer 'rivers'"):
            pg.read_layer("rivers")
    finally:
        pg.close()
        gp.close()


def test_context_reads_back_as_in_the_geopackage_store(migrated, tmp_path):
    from pyproj import CRS

    from assetmatch.store.gpkg import GpkgStore

    ctx = pd.DataFrame(
        {
            "firms_2km": [3, 0, 12],
            "dist_road_m": [120.5, float("nan"), 8.25],
            "near_port": [True, False, True],
            "zone": ["east", None, "west"],
        },
        index=pd.Index(["A1", "A2", "A3"], name="asset_id"),
    )
    ctx.attrs = {"radius_m": 2000}
    patch = pd.DataFrame(
        {"firms_2km": [5], "score": [0.5]}, index=pd.Index(["A2"], name="asset_id")
    )
    pg = postgis.PostGisStore(migrated)
    gp = GpkgStore(tmp_path / "s.gpkg")
    try:
        assert pg.read_context() is None
        for store in (pg, gp):
            with store.transaction():
                store.set_crs(CRS.from_epsg(4549))
                store.write_context(ctx, replace=True)
        pd.testing.assert_frame_equal(pg.read_context(), gp.read_context())
        assert pg.read_context().attrs == gp.read_context().attrs == {"radius_m": 2000}
        for store in (pg, gp):
            with store.transaction():
                store.write_context(patch, replace=False)
        a, b = pg.read_context(), gp.read_context()
        pd.testing.assert_frame_equal(a, b)
        assert a.loc["A2", "firms_2km"] == 5 and a.loc["A1", "zone"] == "east"
        assert a.attrs == b.attrs
    finally:
        pg.close()
        gp.close()


def _value(v):
    """An event value with a create's record decoded (a dict, or JSON text as exported)."""
    return json.loads(v) if isinstance(v, str) and v.startswith("{") else v


def test_export_writes_a_geopackage_the_geopackage_store_reads_alike(migrated, tmp_path):
    inv = _zone_with_firms(tmp_path, seed=5, n_firms=20)
    gp = inv._store
    pg = postgis.PostGisStore(migrated)
    try:
        with pg.transaction():
            pg.set_crs(gp.crs)
            pg.upsert_assets(gp.read_assets())
            pg.upsert_firms(gp.read_firms())
            pg.append_events(gp.read_events().drop(columns="event_id"))
        dest = pg.export(tmp_path / "copy.gpkg")
        with pytest.raises(StoreError, match="will not overwrite"):
            pg.export(dest)
        back = type(inv).open(dest, readonly=True)
        try:
            _assert_same_features(back._store.read_assets(), gp.read_assets())
            _assert_same_features(back._store.read_firms(), gp.read_firms())
            # the copy's creates carry their records; the original's refer to their rows
            a, b = back._store.read_events(), gp.read_events()
            pd.testing.assert_frame_equal(
                a.drop(columns=["geom", "value"]), b.drop(columns=["geom", "value"])
            )
            assert [_value(v) for v in a["value"]] == [_value(v) for v in b["value"]]
            assert all(
                x.equals(y) for x, y in zip(a["geom"], b["geom"], strict=True) if x is not None
            )
            assert len(back.assets()) == 200
        finally:
            back.close()
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".copy")]
    finally:
        pg.close()
        inv.close()


def test_an_inventory_on_postgis_behaves_as_one_on_a_geopackage(migrated, tmp_path):
    """The same calls through Inventory on both stores give the same answers."""
    import assetmatch as am
    from assetmatch.demo.zone import generate_zone

    zone = generate_zone(seed=6, n_assets=300, n_firms=30)
    url = f"postgresql://{migrated.user}@{migrated.host}:{migrated.port}/{migrated.dbname}"
    invs = [am.Inventory.open(tmp_path / "a.gpkg"), am.Inventory.open(url)]
    try:
        for inv in invs:
            inv.add(zone.assets, at="2024-01-01")
            inv.add_firms(zone.firms)
        first = invs[0].assets().index[0]
        for inv in invs:
            inv.update(first, at="2024-06-01", status="leased", note="lease signed")
        now = [inv.assets().drop(columns="recorded_at") for inv in invs]
        _assert_same_features(*now)
        assert now[1].loc[first, "status"] == "leased"
        before = [inv.assets(as_of="2024-03-01").drop(columns="recorded_at") for inv in invs]
        _assert_same_features(*before)
        assert before[1].loc[first, "status"] != "leased"
        hist = [inv.history(first)[["valid_at", "kind", "field", "note"]] for inv in invs]
        pd.testing.assert_frame_equal(*hist)
        ctx = [inv.context() for inv in invs]
        pd.testing.assert_frame_equal(*ctx)
        assert invs[1].crs == invs[0].crs
        with pytest.raises(StoreError, match="is a PostGIS database, not a file"):
            _ = invs[1].path
    finally:
        for inv in invs:
            inv.close()


def test_an_import_stores_each_geometry_once(migrated):
    """An import's create events refer to their rows' geometries (none goes into geometries);
    a row's first change keeps its geometry in asset_versions, and its create event still
    reads the geometry it was created with."""
    import assetmatch as am
    from assetmatch.demo.zone import generate_zone

    zone = generate_zone(seed=3, n_assets=40, n_firms=20)
    url = f"postgresql://{migrated.user}@{migrated.host}:{migrated.port}/{migrated.dbname}"
    with am.Inventory.open(url) as inv, psycopg.connect(migrated.conninfo()) as conn:

        def q(sql):
            return conn.execute(sql).fetchone()[0]

        inv.add(zone.assets, at="2024-01-01")
        first = inv.assets(derived=False)
        aid = first.index[0]
        assert q("SELECT count(*) FROM geometries") == 0
        assert q("SELECT count(*) FROM asset_events WHERE geom_id IS NOT NULL") == 0
        assert (
            q("SELECT count(*) FROM assets WHERE geom IS NOT NULL") == first.geometry.notna().sum()
        )
        moved = first.geometry[aid].buffer(5)
        inv.update(aid, at="2024-06-01", geometry=moved, crs=inv.crs)
        conn.commit()
        # the update's geometry is the one stored in geometries; the first one went to the version
        assert q("SELECT count(*) FROM geometries") == 1
        assert q("SELECT count(*) FROM asset_versions WHERE geom IS NOT NULL") == 1
        created = inv._store.read_events([aid])
        assert created["kind"].tolist() == ["create", "update"]
        assert created["geom"][0].equals_exact(first.geometry[aid], tolerance=0)
        assert (
            inv.assets(as_of="2024-03-01", derived=False)
            .geometry[aid]
            .equals_exact(first.geometry[aid], tolerance=0)
        )
        assert inv.assets(derived=False).geometry[aid].equals_exact(moved, tolerance=1e-6)


def test_a_store_of_schema_7_upgrades_and_reads_the_same(pg_target):
    """Rows kept as a jsonb document (schema 7) move into the typed columns unchanged: the
    assets read back as before, and create events by reference (a current row, a kept version)
    give the records version 7 read from the documents."""
    from pyproj import CRS

    from assetmatch.store import history

    square = "ST_GeomFromText('POLYGON((0 0, 0 100, 100 100, 100 0, 0 0))')"
    doc_a = {
        "asset_id": "A1",
        "name": "厂房",
        "floors": 3,
        "land_area_m2": 10000.0,
        "has_boundary": 1,
        "net_land": 0,
        "rent_yuan_m2_month": 12.5,
        "tenure": '["lease"]',
        "idle_since": "2021-03-04",
        "status": "idle",
        "valid_from": "2025-01-01T00:00:00",
        "recorded_at": "2025-01-02T03:04:05.678Z",
    }
    doc_b = {**doc_a, "asset_id": "B2", "name": "仓库", "floors": 1, "status": "idle"}
    with psycopg.connect(pg_target.conninfo(), autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE am_schema_migrations (version integer PRIMARY KEY, "
            "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for version, name, sql in postgis.migrations()[:7]:
            conn.execute(sql)
            conn.execute(
                "INSERT INTO am_schema_migrations (version, name) VALUES (%s, %s)", (version, name)
            )
        conn.execute("INSERT INTO am_meta VALUES ('crs_epsg', '4549')")
        # as version 7's add_assets wrote an import: geometry in geometries and in the row,
        # the row as a document, its create event by reference
        for k, doc in enumerate([doc_a, doc_b], start=1):
            conn.execute(f"INSERT INTO geometries (geom) VALUES ({square})")
            conn.execute(
                f"INSERT INTO assets (asset_id, attrs, geom_id, geom, create_event) "
                f"VALUES (%s, %s, %s, {square}, %s)",
                (doc["asset_id"], json.dumps(doc, ensure_ascii=False), k, k),
            )
            conn.execute(
                "INSERT INTO asset_events (asset_id, kind, geom_id, valid_at, recorded_at) "
                "VALUES (%s, 'create', %s, '2025-01-01', '2025-01-02T03:04:05.678Z')",
                (doc["asset_id"], k),
            )
        # B2 changed under version 7: its first row went to asset_versions
        conn.execute(
            "UPDATE assets SET attrs = attrs || '{\"status\": \"leased\"}' WHERE asset_id = 'B2'"
        )
        assert postgis.migrate(conn, pg_target) == [8, 9]
    store = postgis.PostGisStore(pg_target)
    try:
        assert store.crs == CRS.from_epsg(4549)
        rows = store.read_assets().set_index("asset_id")
        assert rows.loc["A1", "name"] == "厂房" and rows.loc["B2", "status"] == "leased"
        for col in ("floors", "land_area_m2", "has_boundary", "net_land", "rent_yuan_m2_month"):
            assert rows.loc["A1", col] == doc_a[col] and type(rows.loc["A1", col]) is not str
        assert rows.loc["A1", "tenure"] == '["lease"]'
        assert rows.loc["A1", "idle_since"] == "2021-03-04"
        assert rows.loc["A1", "recorded_at"] == "2025-01-02T03:04:05.678Z"
        assert rows.loc["A1", "extra"] is None
        events = store.read_events()
        expected = history.records_from_rows(
            {f: [d.get(f) for d in (doc_a, doc_b)] for f in history.EVENT_FIELDS}
        )
        assert events["value"].tolist() == expected
        assert expected[1]["status"] == "idle" and expected[0]["floors"] == 3
        assert all(g.area == 10000.0 for g in events["geom"])
        # a row upgraded from a document changes again: its create event still reads the same
        with store.transaction():
            store.upsert_assets(store.read_assets(["A1"]).assign(status="leased"))
        assert store.read_events()["value"].tolist() == expected
        assert store.read_events()["geom"][0].area == 10000.0
    finally:
        store.close()


def _asset_indexes(conn) -> dict[str, tuple[int, str, bool]]:
    """The indexes of ``assets``: name → (oid, definition, valid)."""
    rows = conn.execute(
        "SELECT c.relname, c.oid, pg_get_indexdef(i.indexrelid), i.indisvalid FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'assets'::regclass"
    ).fetchall()
    return {r[0]: (int(r[1]), r[2], r[3]) for r in rows}


def _box_ids(conn, box, *, index: bool) -> list[str]:
    """Ids of the assets whose envelope meets ``box``, through the GiST index or a scan."""
    with conn.transaction():
        conn.execute(f"SET LOCAL enable_seqscan = {'off' if index else 'on'}")
        conn.execute(f"SET LOCAL enable_indexscan = {'on' if index else 'off'}")
        conn.execute(f"SET LOCAL enable_bitmapscan = {'on' if index else 'off'}")
        sql = "SELECT asset_id FROM assets WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s)"
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql, box).fetchall())
        assert ("assets_geom_gist" in plan) == index, plan
        return sorted(r[0] for r in conn.execute(sql, box).fetchall())


def test_a_first_import_builds_the_gist_index_after_its_rows(migrated, monkeypatch):
    """An import into an empty store drops the GiST index and builds it once after the COPY
    (its rows built 9 at a time, sent 7 at a time): the same indexes as the schema made, valid,
    finding what a scan finds. A later import fills the index it finds (same index, not rebuilt) and
    still meets its stored ids as updates."""
    import assetmatch as am
    from assetmatch.demo.zone import generate_zone

    monkeypatch.setattr(postgis, "_COPY_CHUNK", 7)
    monkeypatch.setattr(postgis.PostGisStore, "add_chunk_rows", 9)
    zone = generate_zone(seed=3, n_assets=60, n_firms=20)
    first, later = zone.assets.iloc[:40], zone.assets.iloc[30:]
    url = f"postgresql://{migrated.user}@{migrated.host}:{migrated.port}/{migrated.dbname}"
    with psycopg.connect(migrated.conninfo(), autocommit=True) as conn:
        made = _asset_indexes(conn)
        assert "assets_geom_gist" in made
        with am.Inventory.open(url) as inv:
            report = inv.add(first, at="2024-01-01")
            assert len(report.created) == 40
            built = _asset_indexes(conn)
            assert {k: v[1:] for k, v in built.items()} == {k: v[1:] for k, v in made.items()}
            assert built["assets_geom_gist"][0] != made["assets_geom_gist"][0]  # built anew
            assert all(valid for _, _, valid in built.values())
            minx, miny, maxx, maxy = inv.assets(derived=False).total_bounds
            box = (minx, miny, (minx + maxx) / 2, (miny + maxy) / 2)
            found = _box_ids(conn, box, index=True)
            assert found and found == _box_ids(conn, box, index=False)

            report = inv.add(later, at="2024-02-01")
            assert len(report.created) == 20 and len(report.created) + len(report.updated) + len(
                report.unchanged
            ) == len(later)
            assert _asset_indexes(conn) == built  # kept, not dropped and built again
            stored = inv.assets(derived=False)
            assert len(stored) == 60 and stored.index.is_unique
            box = tuple(stored.total_bounds)
            assert _box_ids(conn, box, index=True) == _box_ids(conn, box, index=False)
            assert len(_box_ids(conn, box, index=True)) == stored.geometry.notna().sum()
            counts = conn.execute(
                "SELECT count(*), count(DISTINCT asset_id) FROM asset_events WHERE kind = 'create'"
            ).fetchone()
            assert counts == (60, 60)


def test_a_first_import_beside_a_reader_keeps_the_index_and_waits_for_no_one(migrated):
    """Another session holding the table (an open read): the import does not wait for it, and
    fills the index it finds instead of building it anew."""
    import assetmatch as am
    from assetmatch.demo.zone import generate_zone

    zone = generate_zone(seed=4, n_assets=30, n_firms=20)
    url = f"postgresql://{migrated.user}@{migrated.host}:{migrated.port}/{migrated.dbname}"
    with psycopg.connect(migrated.conninfo()) as reader, am.Inventory.open(url) as inv:
        made = _asset_indexes(reader)
        reader.execute("SELECT count(*) FROM assets").fetchone()  # its transaction stays open
        inv.add(zone.assets, at="2024-01-01")
        reader.rollback()
        assert _asset_indexes(reader) == made
        assert reader.execute("SELECT count(*) FROM assets").fetchone()[0] == 30


def test_a_failed_first_import_leaves_the_index_as_it_was(migrated):
    """The index dropped for a first import comes back with the rollback of a failed one."""
    import assetmatch as am
    from assetmatch.ingest import pipeline as ingest
    from conftest import LAT0, LON0, square_lonlat

    url = f"postgresql://{migrated.user}@{migrated.host}:{migrated.port}/{migrated.dbname}"
    parcels = gpd.GeoDataFrame(
        {"asset_id": ["A-1", "A-2"], "kind": ["land", "land"]},
        geometry=[square_lonlat(LON0, LAT0, 300), square_lonlat(LON0 + 0.01, LAT0, 300)],
        crs="EPSG:4490",
    )
    with (
        psycopg.connect(migrated.conninfo(), autocommit=True) as conn,
        am.Inventory.open(url) as inv,
    ):
        made = _asset_indexes(conn)
        prepared = ingest.prepare_assets(parcels, store_crs=None)
        with inv._store.transaction():
            inv._store.set_crs(prepared.crs)
        rows = inv._new_asset_rows(
            prepared.frame.set_index("asset_id"),
            prepared.given,
            valid_at="2025-02-01",
            recorded_at="2025-02-01T00:00:00.000Z",
        )
        twice = pd.concat([rows, rows.iloc[:1]])  # the same id twice: the COPY fails
        with pytest.raises(StoreConflictError), inv._store.transaction():
            inv._store.add_assets(
                twice, {"valid_at": "2025-02-01", "recorded_at": "2025-02-01T00:00:00.000Z"}
            )
        assert _asset_indexes(conn) == made
        assert conn.execute("SELECT count(*) FROM assets").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM asset_events").fetchone()[0] == 0


def test_a_create_event_the_database_refuses_leaves_nothing(migrated):
    """The events' COPY runs in a thread of its own: its error reaches the caller, nothing of
    the import stays (rows, events, the index set aside), and the store writes on after it."""
    import assetmatch as am
    from assetmatch.demo.zone import generate_zone

    zone = generate_zone(seed=5, n_assets=25, n_firms=20)
    url = f"postgresql://{migrated.user}@{migrated.host}:{migrated.port}/{migrated.dbname}"
    with (
        psycopg.connect(migrated.conninfo(), autocommit=True) as conn,
        am.Inventory.open(url) as inv,
    ):
        made = _asset_indexes(conn)
        inv.add(zone.assets.iloc[:5], at="2024-01-01")
        rows = inv._store.read_assets()
        fresh = rows.assign(asset_id=[f"X-{k}" for k in range(len(rows))])
        # no recorded_at: the events' COPY meets the NOT NULL constraint
        with pytest.raises(StoreError, match="recorded_at"), inv._store.transaction():
            inv._store.add_assets(
                (fresh.iloc[k : k + 2] for k in range(0, len(fresh), 2)),
                {"valid_at": "2025-02-01"},
                ids=fresh["asset_id"].tolist(),
            )
        assert conn.execute("SELECT count(*) FROM assets").fetchone()[0] == 5
        assert conn.execute("SELECT count(*) FROM asset_events").fetchone()[0] == 5
        assert _asset_indexes(conn).keys() == made.keys()
        inv.add(zone.assets.iloc[5:], at="2024-02-01")
        assert len(inv.assets(derived=False)) == 25


def test_a_role_that_does_not_own_the_table_imports_with_the_index_kept(migrated, pg_admin):
    """A writer role that may not drop the index (not the owner) imports into an empty store
    as before: the index is filled row by row, not dropped."""
    import assetmatch as am
    from assetmatch.demo.zone import generate_zone

    _, admin = pg_admin
    role = f"am_writer_{uuid.uuid4().hex[:8]}"
    try:
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
    except psycopg.errors.InsufficientPrivilege:
        pytest.skip("the test server's role may not create roles (CREATEROLE)")
    try:
        with psycopg.connect(migrated.conninfo(), autocommit=True) as conn:
            for sql in (
                f'GRANT USAGE, CREATE ON SCHEMA public TO "{role}"',
                f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
                f'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
            ):
                conn.execute(sql)
            made = _asset_indexes(conn)
            zone = generate_zone(seed=4, n_assets=30, n_firms=20)
            url = f"postgresql://{role}@{migrated.host}:{migrated.port}/{migrated.dbname}"
            with am.Inventory.open(url) as inv:
                report = inv.add(zone.assets, at="2024-01-01")
            assert len(report.created) == 30
            assert _asset_indexes(conn) == made
            assert conn.execute("SELECT count(*) FROM asset_events").fetchone()[0] == 30
    finally:
        with psycopg.connect(migrated.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')
