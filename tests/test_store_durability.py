"""Crash safety and concurrency of the stores, with real processes and kill -9.

The concurrent-writers test takes the ``store`` fixture: it runs on a GeoPackage and on PostGIS."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import assetmatch as am
from conftest import VALIDATOR, ogr_layers, requires_ogr, run_validator
from store_worker import grid, kill_after

WORKER = str(Path(__file__).with_name("store_worker.py"))
ROUNDS = int(os.environ.get("ASSETMATCH_CRASH_ROUNDS", "12"))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent), env.get("PYTHONPATH", "")])
    return env


def _check_consistent(path: Path, batch: int) -> tuple[int, int]:
    """Assert the file is whole; return (assets, events)."""
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n = con.execute("SELECT count(*) FROM assets").fetchone()[0]
        assert con.execute("SELECT count(*) FROM rtree_assets_geom").fetchone()[0] == n
        assert (
            con.execute(
                "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'assets'"
            ).fetchone()[0]
            == n
        )
        ne = con.execute("SELECT count(*) FROM asset_events").fetchone()[0]
        assert (
            con.execute(
                "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'asset_events'"
            ).fetchone()[0]
            == ne
        )
        # every import batch is all or nothing, and so is every update batch
        per_batch = con.execute(
            "SELECT substr(asset_id, 1, instr(asset_id, '-') - 1) AS b, count(*) FROM assets "
            "GROUP BY b"
        ).fetchall()
        for b, count in per_batch:
            assert count == batch, f"batch {b} half-written: {count} of {batch} assets"
        upd = con.execute(
            "SELECT note, count(*) FROM asset_events WHERE kind = 'update' GROUP BY note"
        ).fetchall()
        for note, count in upd:
            assert count == batch // 10, f"update {note} half-written: {count}"
        # the current table equals the replay of the history
        neg = con.execute("SELECT count(*) FROM assets WHERE status = 'negotiating'").fetchone()[0]
        assert neg == len(upd) * (batch // 10)
        return n, ne
    finally:
        con.close()


@pytest.mark.slow
def test_kill_9_at_random_moments_leaves_whole_writes(tmp_path):
    path = tmp_path / "crash.gpkg"
    batch = 400
    inv = am.Inventory.open(path)
    inv.add(grid("base", batch))
    inv.close()
    rng = random.Random(7)
    survived = 0
    last = _check_consistent(path, batch)
    for r in range(ROUNDS):
        kill_after(["crash", str(path), f"r{r}", str(batch)], rng.uniform(2.0, 6.0), _env())
        now = _check_consistent(path, batch)
        assert now[0] >= last[0] and now[1] >= last[1]
        last = now
        survived += 1
    assert survived == ROUNDS
    # the file is still a GeoPackage GDAL reads, with its cached counts right
    inv = am.Inventory.open(path)
    assert len(inv.assets()) == last[0]
    inv.close()
    if VALIDATOR.exists():
        code, out = run_validator(path)
        assert code == 0, out


@requires_ogr
def test_gdal_counts_after_kill(tmp_path):
    path = tmp_path / "k.gpkg"
    inv = am.Inventory.open(path)
    inv.add(grid("base", 200))
    inv.close()
    p = subprocess.Popen(
        [sys.executable, WORKER, "crash", str(path), "k", "200"],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(4.0)
    p.kill()
    p.wait()
    n, _ = _check_consistent(path, 200)
    assert ogr_layers(path)["assets"]["count"] == str(n)


@pytest.mark.slow
def test_concurrent_writers_lose_nothing(store):
    """Four processes update one asset through Inventory at once: every update is kept.

    Runs on a GeoPackage (SQLite's write lock) and on PostGIS (serialisable transactions,
    retried where the server asks)."""
    path = store
    inv = am.Inventory.open(path)
    inv.add(grid("SHARED", 1))
    inv.close()
    n_workers, n_updates = 4, 40
    procs = [
        subprocess.Popen(
            [sys.executable, WORKER, "update", str(path), str(w), str(n_updates)],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(1, n_workers + 1)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert out.strip() == "ok"
    inv = am.Inventory.open(path)
    h = inv.history("SHARED-00000")
    upd = h[h["kind"] == "update"]
    assert len(upd) == n_workers * n_updates
    for w in range(1, n_workers + 1):
        mine = upd[upd["author"] == f"w{w}"]
        assert sorted(mine["value"]) == [float(w * 1000 + i) for i in range(n_updates)]
    # the current row is the replay of the history: no writer's row overwrote a later change
    # (each update reads its row locked until it commits)
    row = inv.assets().drop(columns="recorded_at")
    with inv._store.transaction():
        inv._materialize(["SHARED-00000"])
    pd.testing.assert_frame_equal(row, inv.assets().drop(columns="recorded_at"))
    assert row.loc["SHARED-00000", "rent_yuan_m2_month"] == upd["value"].iloc[-1]
    inv.close()


@pytest.mark.slow
def test_readers_never_see_half_a_batch(tmp_path):
    path = tmp_path / "flip.gpkg"
    inv = am.Inventory.open(path)
    inv.add(grid("FLIP", 5))
    p = subprocess.Popen(
        [sys.executable, WORKER, "flip", str(path), "60"],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = set()
    reads = 0
    con = sqlite3.connect(path)
    while p.poll() is None:
        statuses = {r[0] for r in con.execute("SELECT status FROM assets")}
        assert len(statuses) == 1, f"a reader saw a half-applied batch: {statuses}"
        seen |= statuses
        reads += 1
        # the library's own reader too
        a = inv.assets(derived=False)
        assert a["status"].nunique() == 1
    con.close()
    _out, err = p.communicate()
    assert p.returncode == 0, err
    assert reads > 10 and {"available", "negotiating"} <= seen <= {
        "idle",
        "available",
        "negotiating",
    }
