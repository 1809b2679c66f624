"""Benchmark: the floor under an edit + match (issue 12's "within 4× a warm match").

An edit that moves one asset's boundary, followed by a match, must at least

* write the same rows in one durable transaction (the event, the asset row with its R-tree
  entry, the settings, the moved asset's context row) — measured here as the statements the
  library sends, recorded from its connection during real edits and replayed with nothing
  around them on a copy of the store;
* measure the moved asset's context (its distances and counts to firms and layers) — the
  few-asset kernel's call inside the real edits (``context.engine.context_rows``);
* put the moved asset's new values into the table the match reads — the feature patch's call
  inside the real edits (``scoring.features.patch_rows``);
* match — a warm match on the unchanged inventory.

All four are measured in one run, interleaved round by round with the warm match and the
whole edit + match, on the demo zone (GeoPackage). The sum of the four is what an edit + match
would cost if everything else (parsing and checking the change, building the event and the
row, Python's calls between them) took no time; it is compared with 4× a warm match.

Usage::

    python benchmarks/bench_edit_floor.py --rounds 300
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import platform
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

import assetmatch as am
from assetmatch.context import engine
from assetmatch.demo import PUBLIC_BRIEFS
from assetmatch.scoring import features
from assetmatch.store import _gpkg


class _Recorder:
    """A sqlite3 connection that records every statement and its parameters (as the store
    sends them) while ``on`` is set, and passes everything through."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.on = False
        self.sent: list[tuple[str, str, Any]] = []

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        if self.on:
            self.sent.append(("execute", sql, params))
        return self._conn.execute(sql, params)

    def executemany(self, sql: str, params: Any) -> sqlite3.Cursor:
        params = list(params)
        if self.on:
            self.sent.append(("executemany", sql, params))
        return self._conn.executemany(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def _timed(owner: Any, name: str, into: list[float], on: list[bool]) -> Callable[[], None]:
    """Wrap ``owner.name`` to add its wall time to ``into`` while ``on[0]``; returns the undo."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not on[0]:
            return original(*args, **kwargs)
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            into.append(time.perf_counter() - t0)

    setattr(owner, name, wrapper)
    return lambda: setattr(owner, name, original)


def _replay(path: Path, sent: list[tuple[str, str, Any]]) -> Iterator[None]:
    """Run one edit's recorded statements on ``path`` per ``next()``, through a connection
    opened as the store opens its own (WAL, ``synchronous=FULL``, the R-tree functions)."""
    conn = _gpkg.connect(path)
    try:
        while True:
            for how, sql, params in sent:
                getattr(conn, how)(sql, params)
            yield
    finally:
        conn.close()


def run(rounds: int, where: Path) -> dict[str, list[float]]:
    """Interleaved rounds of: a warm match; an edit (one boundary moved) + match, with the
    context row's and the feature patch's calls timed inside it; the edit's SQL replayed."""
    inv = am.Inventory.demo(where / "demo.gpkg")
    req = am.Requirements.model_validate(PUBLIC_BRIEFS["hengzhong"])
    am.match(req, inventory=inv)
    a = inv.assets()
    aid = a.index[len(a) // 2]
    geom = a.geometry.loc[aid]

    def edit(k: int) -> None:
        moved = shapely.affinity.translate(geom, xoff=1.0 + k % 5)
        inv.update(aid, geometry=gpd.GeoSeries([moved], crs=a.crs))
        am.match(req, inventory=inv)

    for k in range(10):  # the kept tables, the layers and the kernel's setup in memory
        edit(k)
    out: dict[str, list[float]] = {
        k: [] for k in ("warm match", "edit + match", "context row", "feature patch", "edit SQL")
    }
    on = [False]
    undo = [
        _timed(engine, "context_rows", out["context row"], on),
        _timed(features, "patch_rows", out["feature patch"], on),
    ]
    rec = _Recorder(inv._store.conn)
    inv._store._local.conn = rec
    rec.on = True
    edit(10)
    rec.on = False
    inv._store._local.conn = rec._conn
    copy = where / "replay.gpkg"
    inv._store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(where / "demo.gpkg", copy)
    replay = _replay(copy, rec.sent)
    try:
        for k in range(rounds):
            t0 = time.perf_counter()
            am.match(req, inventory=inv)
            out["warm match"].append(time.perf_counter() - t0)
            on[0] = True
            t0 = time.perf_counter()
            edit(k)
            out["edit + match"].append(time.perf_counter() - t0)
            on[0] = False
            t0 = time.perf_counter()
            next(replay)
            out["edit SQL"].append(time.perf_counter() - t0)
    finally:
        replay.close()
        for u in undo:
            u()
        inv.close()
    n_stmt = sum(len(p) if how == "executemany" else 1 for how, _, p in rec.sent)
    print(f"# one edit sends {n_stmt} statements (BEGIN and COMMIT included)")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=300)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(f"# {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"# load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as d:
        t = run(args.rounds, Path(d))
    med = {k: statistics.median(v) * 1000 for k, v in t.items()}
    q = {k: statistics.quantiles(v, n=10) for k, v in t.items()}
    print("| part | median ms | 10th–90th percentile ms |")
    print("|---|---|---|")
    for k, v in med.items():
        print(f"| {k} | {v:.2f} | {q[k][0] * 1000:.2f}–{q[k][-1] * 1000:.2f} |")
    floor = med["warm match"] + med["context row"] + med["feature patch"] + med["edit SQL"]
    print(
        f"| floor (warm match + context row + feature patch + edit SQL) | {floor:.2f} | "
        f"{floor / med['warm match']:.1f}× a warm match |"
    )
    print(f"| 4× a warm match | {4 * med['warm match']:.2f} | |")
    print(
        f"| edit + match | {med['edit + match']:.2f} | "
        f"{med['edit + match'] / med['warm match']:.1f}× a warm match |"
    )
    print(f"# load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
