"""An empty R-tree is built whole (``_gpkg.fill_rtree``): the result must be the index SQLite's
own R*Tree module would hold (the same boxes, rounded outwards to 32-bit floats the same way,
the same answers to window queries), pass SQLite's ``rtreecheck``, and take later inserts and
deletes through the module."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
import shapely

import assetmatch as am
from assetmatch.demo.zone import generate_zone
from assetmatch.store import _gpkg


def _rtree(con: sqlite3.Connection) -> None:
    con.execute("CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx, miny, maxy)")


def _by_module(ids: np.ndarray, b: np.ndarray) -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    _rtree(con)
    con.executemany(
        "INSERT INTO r VALUES (?, ?, ?, ?, ?)",
        zip(
            ids.tolist(),
            b[:, 0].tolist(),
            b[:, 2].tolist(),
            b[:, 1].tolist(),
            b[:, 3].tolist(),
            strict=True,
        ),
    )
    return con


def _boxes(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2e6, 2e6, n)
    y = rng.uniform(-1e5, 5e6, n)
    b = np.c_[x, y, x + rng.exponential(300, n), y + rng.exponential(300, n)]
    # values a 32-bit float holds exactly, tiny, negative, and one point (min == max)
    edge = [
        [0.5, -0.25, 0.5, 1e-40],
        [-1e-30, -3.0000001, 1e-30, -3.0000001],
        [16777217.0, 33554433.0, 16777219.0, 33554435.0],
        [-7.1, -7.1, -7.1, -7.1],
    ]
    b[: min(n, 4)] = edge[: min(n, 4)]
    return b


@pytest.mark.parametrize("n", [1, 4, 51, 52, 2601, 2652, 9000])
def test_a_bulk_built_rtree_is_the_one_sqlite_would_hold(n):
    b = _boxes(n, seed=n)
    ids = np.arange(1, n + 1, dtype=np.int64) * 7
    con = sqlite3.connect(":memory:")
    _rtree(con)
    _gpkg.fill_rtree(con, "r", ids, b)
    ref = _by_module(ids, b)
    assert con.execute("SELECT rtreecheck('r')").fetchone()[0] == "ok"
    everything = "SELECT * FROM r ORDER BY id"
    assert con.execute(everything).fetchall() == ref.execute(everything).fetchall()
    window = (
        "SELECT id FROM r WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ? ORDER BY id"
    )
    rng = np.random.default_rng(0)
    for x, y in rng.uniform([-2e6, -1e5], [2e6, 5e6], (20, 2)):
        q = (x, x + 2e5, y, y + 3e5)
        assert con.execute(window, q).fetchall() == ref.execute(window, q).fetchall()
    q = (-8.0, 1.0, -8.0, 1.0)
    assert con.execute(window, q).fetchall() == ref.execute(window, q).fetchall()
    # later writes go through the module and keep the tree whole
    gone = ids[::3].tolist()
    con.executemany("DELETE FROM r WHERE id = ?", [(i,) for i in gone])
    more = [(10**9 + k, k, k + 1, -k, 1 - k) for k in range(80)]
    con.executemany("INSERT INTO r VALUES (?, ?, ?, ?, ?)", more)
    assert con.execute("SELECT rtreecheck('r')").fetchone()[0] == "ok"
    assert con.execute("SELECT count(*) FROM r").fetchone()[0] == n - len(gone) + 80


def test_a_non_empty_rtree_takes_new_boxes_one_by_one():
    b = _boxes(300, seed=3)
    ids = np.arange(1, 301, dtype=np.int64)
    con = sqlite3.connect(":memory:")
    _rtree(con)
    _gpkg.fill_rtree(con, "r", ids[:100], b[:100])
    _gpkg.fill_rtree(con, "r", ids[100:], b[100:])
    assert con.execute("SELECT rtreecheck('r')").fetchone()[0] == "ok"
    everything = "SELECT * FROM r ORDER BY id"
    assert con.execute(everything).fetchall() == _by_module(ids, b).execute(everything).fetchall()


def test_missing_and_empty_geometries_get_no_box():
    b = _boxes(5, seed=1)
    b[1] = np.nan
    con = sqlite3.connect(":memory:")
    _rtree(con)
    _gpkg.fill_rtree(con, "r", np.arange(1, 6), b)
    assert [r[0] for r in con.execute("SELECT id FROM r ORDER BY id")] == [1, 3, 4, 5]
    assert con.execute("SELECT rtreecheck('r')").fetchone()[0] == "ok"


def test_an_import_into_a_new_store_leaves_an_rtree_sqlite_accepts(store_path):
    batch = generate_zone(seed=1, n_assets=3000, n_firms=20).assets
    inv = am.Inventory.open(store_path)
    try:
        inv.add(batch, at="2025-01-01")
        con = inv._store.conn
        assert con.execute("SELECT rtreecheck('rtree_assets_geom')").fetchone()[0] == "ok"
        rows = con.execute("SELECT fid, geom FROM assets ORDER BY fid").fetchall()
        fids = np.array([r[0] for r in rows])
        ref = _by_module(fids, shapely.bounds(_gpkg.decode([r[1] for r in rows])))
        everything = "SELECT * FROM r ORDER BY id"
        got = con.execute("SELECT * FROM rtree_assets_geom ORDER BY id").fetchall()
        assert got == ref.execute(everything).fetchall()
        # the box search of a match finds what a scan of the geometries finds
        a = inv.assets()
        x0, y0, x1, y1 = a.total_bounds
        box = (x0, y0, (x0 + x1) / 2, (y0 + y1) / 2)
        hit = set(inv._store.asset_ids_in_box(box))
        b = a.geometry.bounds
        want = a.index[
            (b.maxx >= box[0]) & (b.minx <= box[2]) & (b.maxy >= box[1]) & (b.miny <= box[3])
        ]
        assert set(want) <= hit and len(hit) < len(a)
        inv.update(a.index[0], status="leased", at="2025-02-01")
        inv.remove(a.index[1], at="2025-02-01")
        assert con.execute("SELECT rtreecheck('rtree_assets_geom')").fetchone()[0] == "ok"
    finally:
        inv.close()
