"""Opening a store: threads, read-only files, foreign and damaged files, bad paths (issue 8).

The thread tests take the ``store`` fixture: they run on a GeoPackage and on PostGIS."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import assetmatch as am
from assetmatch.store import gpkg as gpkg_store
from conftest import LAT0, LON0, square_lonlat


def _one(aid: str = "A", rent: float = 10.0) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"asset_id": [aid], "kind": ["land"], "status": ["idle"], "rent_yuan_m2_month": [rent]},
        geometry=[square_lonlat(LON0, LAT0, 300)],
        crs="EPSG:4490",
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ threads


def test_one_inventory_serves_many_threads(store, store_kind):
    inv = am.Inventory.open(store)
    inv.add(_one(), at="2025-01-01", on_error="raise")
    writes = list(range(1, 41, 2))

    def work(k: int) -> object:
        if k % 2:
            inv.update("A", rent_yuan_m2_month=float(k), at="2025-02-01", note=f"w{k}")
            return threading.get_ident()
        return len(inv.assets())

    with ThreadPoolExecutor(8) as pool:
        out = list(pool.map(work, range(40)))
    assert all(n == 1 for k, n in enumerate(out) if k % 2 == 0)
    hist = inv.assets(as_of="2025-03-01")
    assert hist.at["A", "rent_yuan_m2_month"] in writes
    # every write landed as its own event: the create plus one update per write
    assert len(inv.history("A")) == 1 + len(writes)
    assert set(inv.history("A")["note"].iloc[1:]) == {f"w{k}" for k in writes}
    if store_kind == "gpkg":
        assert len(inv._store._conns) > 1  # the threads used connections of their own
    inv.close()


def test_a_thread_sees_only_whole_transactions(store):
    inv = am.Inventory.open(store)
    inv.add(_one("A"), at="2025-01-01")
    inv.add(_one("B"), at="2025-01-01")
    stop = threading.Event()
    seen: list[tuple[float, float]] = []

    def reader() -> None:
        while not stop.is_set():
            a = inv.assets(derived=False)
            seen.append((a.at["A", "rent_yuan_m2_month"], a.at["B", "rent_yuan_m2_month"]))

    t = threading.Thread(target=reader)
    t.start()
    for k in range(1, 15):
        # one transaction changes both: a reader must never see one without the other
        inv.update_many(
            pd.DataFrame({"asset_id": ["A", "B"], "rent_yuan_m2_month": [float(k), float(k)]})
        )
    stop.set()
    t.join()
    assert seen and all(a == b for a, b in seen)


def test_closed_inventory_refuses_clearly(store):
    inv = am.Inventory.open(store)
    inv.add(_one())
    inv.close()
    out: list[BaseException] = []

    def use() -> None:
        try:
            inv.assets()
        except BaseException as exc:
            out.append(exc)

    t = threading.Thread(target=use)
    t.start()
    t.join()
    assert isinstance(out[0], am.StoreError) and "closed" in str(out[0])


# ------------------------------------------------------------------ read-only


def _fingerprint(location, store_kind: str) -> object:
    """What must not change: the file's bytes, or every table of the PostGIS database."""
    if store_kind == "gpkg":
        return _digest(Path(location))
    import psycopg

    with psycopg.connect(location) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            ).fetchall()
        ]
        return {
            t: hashlib.sha256(
                repr(conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall()).encode()
            ).hexdigest()
            for t in tables
        }


def test_readonly_open_reads_and_leaves_the_store_as_it_was(store, store_kind):
    with am.Inventory.open(store) as inv:
        inv.add(_one(rent=12.5))
        inv.context()
    before = _fingerprint(store, store_kind)
    ro = am.Inventory.open(store, readonly=True)
    assert ro.assets().at["A", "rent_yuan_m2_month"] == 12.5
    assert list(ro.context().index) == ["A"]
    with pytest.raises(am.StoreError, match="read-only"):
        ro.update("A", rent_yuan_m2_month=1.0)
    with pytest.raises(am.StoreError, match="read-only"):
        ro.add(_one("B"))
    with pytest.raises(am.StoreError, match="read-only"):
        ro.add_layer("port", _one("P")[["geometry"]])
    ro.close()
    assert _fingerprint(store, store_kind) == before


def test_a_readonly_postgis_connection_refuses_writes_itself(new_store, store_kind):
    if store_kind != "postgis":
        pytest.skip("the server's own refusal")
    where = new_store()
    am.Inventory.open(where).close()  # creates the schema
    ro = am.Inventory.open(where, readonly=True)
    try:
        with ro._store._pool.connection() as conn, pytest.raises(Exception, match="read-only"):
            conn.execute("INSERT INTO am_meta (key, value) VALUES ('x', 'y')")
    finally:
        ro.close()


def test_readonly_postgis_needs_an_existing_inventory(new_store, store_kind):
    if store_kind != "postgis":
        pytest.skip("a GeoPackage has its own test below")
    with pytest.raises(am.StoreError, match="no inventory"):
        am.Inventory.open(new_store(), readonly=True)


def test_unwritable_file_opens_read_only(store_path, monkeypatch):
    with am.Inventory.open(store_path) as inv:
        inv.add(_one())
    # the tests may run as root, for whom chmod does not stop a write: stand in for the check
    monkeypatch.setattr(gpkg_store, "_writable", lambda path: False)
    inv = am.Inventory.open(store_path)
    assert inv._store.readonly
    assert list(inv.assets().index) == ["A"]
    with pytest.raises(am.StoreError, match="read-only"):
        inv.remove("A")


def test_readonly_needs_an_existing_inventory(tmp_path):
    with pytest.raises(am.StoreError, match="no inventory"):
        am.Inventory.open(tmp_path / "none.gpkg", readonly=True)
    assert not (tmp_path / "none.gpkg").exists()


# ------------------------------------------------------------------ foreign, damaged, bad paths


def test_a_foreign_sqlite_database_is_refused_untouched(tmp_path):
    path = tmp_path / "accounts.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE ledger (id INTEGER, amount REAL)")
    con.execute("INSERT INTO ledger VALUES (1, 2.5)")
    con.commit()
    con.close()
    before = _digest(path)
    with pytest.raises(am.StoreError, match=r"not a GeoPackage.*untouched"):
        am.Inventory.open(path)
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.sqlite"]


def test_another_geopackage_is_refused_untouched(tmp_path):
    path = tmp_path / "roads.gpkg"
    gpd.GeoDataFrame({"n": [1]}, geometry=[square_lonlat(LON0, LAT0, 10)], crs=4490).to_file(
        path, driver="GPKG", engine="pyogrio"
    )
    before = _digest(path)
    with pytest.raises(am.StoreError, match="not an assetmatch inventory"):
        am.Inventory.open(path)
    assert _digest(path) == before


def test_an_empty_sqlite_file_becomes_a_store(tmp_path):
    path = tmp_path / "new.gpkg"
    sqlite3.connect(path).execute("PRAGMA user_version = 0").connection.close()
    inv = am.Inventory.open(path)
    inv.add(_one())
    assert list(inv.assets().index) == ["A"]


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_a_truncated_store_gives_a_store_error(store_path, tmp_path, cut):
    with am.Inventory.open(store_path) as inv:
        for k in range(30):
            inv.add(_one(f"A{k}"))
    data = store_path.read_bytes()
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(am.StoreError):
        am.Inventory.open(bad).assets()


def test_not_sqlite_and_garbage_files_give_store_errors(tmp_path):
    junk = tmp_path / "zone.gpkg"
    junk.write_bytes(b"PK\x03\x04 not a database")
    with pytest.raises(am.StoreError, match="not an SQLite file"):
        am.Inventory.open(junk)
    half = tmp_path / "half.gpkg"
    half.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    with pytest.raises(am.StoreError):
        am.Inventory.open(half)


def test_bad_paths_give_store_errors(tmp_path):
    with pytest.raises(am.StoreError, match="does not exist"):
        am.Inventory.open(tmp_path / "missing" / "zone.gpkg")
    with pytest.raises(am.StoreError, match="is a directory"):
        am.Inventory.open(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_new_store_must_be_named_gpkg_and_a_data_file_is_pointed_to_import(tmp_path):
    # a store created under a data file's name would hide the mistake; GeoPackages end in .gpkg
    for name in ("zone.csv", "zone.sqlite", "zone"):
        with pytest.raises(am.StoreError, match=r"ends in \.gpkg \(OGC GeoPackage"):
            am.Inventory.open(tmp_path / name)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(am.StoreError, match="import_file"):  # a new path named like data
        am.Inventory.open(tmp_path / "sites.xlsx")
    data = tmp_path / "sites.csv"
    data.write_text("编号,经度,纬度\nA,118.8,24.9\n", encoding="utf-8")
    with pytest.raises(am.StoreError, match=r"not an SQLite file.*import_file"):
        am.Inventory.open(data)
    assert data.read_text(encoding="utf-8").startswith("编号")  # left as it was
    with am.Inventory.open(tmp_path / "zone.gpkg") as inv:
        inv.add(_one("A"))
        with pytest.raises(am.StoreError, match=r"cannot export to .*ends in \.gpkg"):
            inv.export(tmp_path / "copy.csv")
        assert not (tmp_path / "copy.csv").exists()
        inv.export(tmp_path / "copy.gpkg")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "copy.gpkg",
        "sites.csv",
        "zone.gpkg",
    ]


@pytest.mark.parametrize("crs", ["garbage", "EPSG:99999999", 3.5])
def test_open_with_a_garbage_crs_is_a_crs_error(store_path, crs):
    with pytest.raises(am.CRSError, match="not a coordinate reference system"):
        am.Inventory.open(store_path, crs=crs)
    assert not store_path.exists()


def test_damage_found_while_reading_is_a_store_error(store_path, tmp_path):
    with am.Inventory.open(store_path) as inv:
        for k in range(40):
            inv.add(_one(f"A{k}"))
    data = bytearray(store_path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    n_pages = len(data) // page
    # scribble over every page but the first (the schema stays readable, the tables do not)
    for p in range(1, n_pages):
        data[p * page : p * page + 64] = b"\xa5" * 64
    bad = tmp_path / "scribbled.gpkg"
    bad.write_bytes(bytes(data))
    with pytest.raises(am.StoreError, match=r"could not be read|damaged"):
        am.Inventory.open(bad).assets()


def test_a_refused_crs_leaves_no_connection_open(store_path):
    with am.Inventory.open(store_path) as inv:
        inv.add(_one())
    with pytest.raises(am.CRSError, match="a store keeps one CRS"):
        am.Inventory.open(store_path, crs=32650)
    # the refused open closed its connection: the WAL was checkpointed and removed
    assert sorted(p.name for p in store_path.parent.iterdir()) == ["zone.gpkg"]
