"""Import ratio: ``Inventory.add`` into a new store vs a plain pyogrio write, several runs.

Usage: ``.venv/bin/python benchmarks/bench_import_ratio.py [N] [RUNS]`` (default 10,000 × 3).
With ``ASSETMATCH_BENCH_PG_URL=postgresql://user@host/postgres`` (a role that may create
databases) each run also imports into a fresh PostGIS database, dropped afterwards.

Each run writes the same N synthetic assets (``generate_zone(seed=1)``) both ways in the same
process, alternating which goes first; prints the ratio of each run (wall clock, and process
CPU time, which a busy machine inflates less), its median and spread, and both file sizes. The
plain write holds the same rows: tenure and obstacles as JSON text (GeoPackage has no list
type), encoded before its timer starts. The targets of issue 12: a ratio of 3 or less, a store
file within 1.5x of the plain file.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import assetmatch as am
from assetmatch.demo.zone import generate_zone

logger = logging.getLogger("bench_import_ratio")


def _plain_frame(assets, crs):
    plain = assets.drop(columns=["tenure", "obstacles"]).to_crs(crs)
    for c in plain.columns:
        if plain[c].dtype == object and c != "geometry":
            plain[c] = plain[c].astype(str)
    return plain


def _plain_frame_with_lists(assets, crs):
    """The plain frame plus tenure and obstacles as JSON text, as the store keeps them: the
    same rows as the import (a GeoPackage has no list type), the timed plain write since
    2026-12-04 16:40 UTC; the JSON is encoded before the timer starts. Before, the timed write
    dropped those two columns (``_plain_frame``; its file size is still printed)."""
    plain = _plain_frame(assets, crs)
    for c in ("tenure", "obstacles"):
        plain[c] = [json.dumps(v, ensure_ascii=False, sort_keys=True) for v in assets[c]]
    return plain


def _server_cpu(conn, name: str) -> float | None:
    """CPU seconds the server's backends of database ``name`` have run, when the server runs
    on this machine and lets its processes be read (``/proc/PID/schedstat``); else None."""
    pids = [
        r[0]
        for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,)
        ).fetchall()
    ]
    total = 0.0
    try:
        for pid in pids:
            with open(f"/proc/{pid}/schedstat") as f:
                total += int(f.read().split()[0]) / 1e9
    except OSError:
        return None
    return total


def _pg_add(admin_url: str, assets, r: int) -> tuple[float, float, float | None]:
    """Wall time of ``Inventory.add`` into a fresh PostGIS database, the process's CPU time
    during it, and the server backends' CPU time (None when not readable)."""
    import psycopg

    from assetmatch.store.pgurl import parse_pg_url

    admin = parse_pg_url(admin_url)
    name = f"assetmatch_bench_{os.getpid()}_{r}"
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        base = admin_url.rsplit("/", 1)[0]
        inv = am.Inventory.open(f"{base}/{name}")
        with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
            s0 = _server_cpu(conn, name)
            c0, t0 = time.process_time(), time.perf_counter()
            inv.add(assets)
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
            s1 = _server_cpu(conn, name)
        inv.close()
        return dt, cpu, None if s0 is None or s1 is None else s1 - s0
    finally:
        with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def main(n: int = 10_000, runs: int = 3) -> None:
    assets = generate_zone(seed=1, n_assets=n, n_firms=100).assets
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-ratio-"))
    ratios, adds, plains, pgs, cpu_ratios = [], [], [], [], []
    for r in range(runs):
        cpu = [0.0, 0.0]  # process CPU seconds of the add and of the plain write

        def add(r=r, cpu=cpu):
            inv = am.Inventory.open(tmp / f"store{r}.gpkg")
            t0, c0 = time.perf_counter(), time.process_time()
            inv.add(assets)
            dt, cpu[0] = time.perf_counter() - t0, time.process_time() - c0
            crs = inv.crs
            inv.close()
            return dt, crs

        def plain(crs, r=r, cpu=cpu):
            frame = _plain_frame_with_lists(assets, crs)
            t0, c0 = time.perf_counter(), time.process_time()
            frame.to_file(tmp / f"plain{r}.gpkg", engine="pyogrio")
            cpu[1] = time.process_time() - c0
            return time.perf_counter() - t0

        if r % 2 == 0:
            t_add, crs = add()
            t_plain = plain(crs)
        else:
            crs = am.Inventory.open(tmp / "store0.gpkg").crs
            t_plain = plain(crs)
            t_add, _ = add()
        pg_url = os.environ.get("ASSETMATCH_BENCH_PG_URL")
        if pg_url:
            t_pg, cpu_pg, srv_pg = _pg_add(pg_url, assets, r)
            pgs.append(t_pg)
            logger.warning(
                "run %d: PostGIS add %.2f s (CPU: this process %.2f s, server %s), ratio %.1f",
                r,
                t_pg,
                cpu_pg,
                "not readable" if srv_pg is None else f"{srv_pg:.2f} s",
                t_pg / t_plain,
            )
        adds.append(t_add)
        plains.append(t_plain)
        ratios.append(t_add / t_plain)
        cpu_ratios.append(cpu[0] / cpu[1])
        logger.warning(
            "run %d: add %.2f s (CPU %.2f s), plain %.3f s (CPU %.3f s), ratio %.1f, CPU ratio "
            "%.1f (load average %.2f)",
            r,
            t_add,
            cpu[0],
            t_plain,
            cpu[1],
            ratios[-1],
            cpu_ratios[-1],
            os.getloadavg()[0],
        )
    if pgs:
        logger.warning(
            "PostGIS add median %.2f s, ratio to plain median %.1f",
            statistics.median(pgs),
            statistics.median(p / q for p, q in zip(pgs, plains, strict=True)),
        )
    size_store = (tmp / "store0.gpkg").stat().st_size / 1e6
    size_plain = (tmp / "plain0.gpkg").stat().st_size / 1e6
    with am.Inventory.open(tmp / "store0.gpkg", readonly=True) as ro:
        crs = ro.crs
    _plain_frame(assets, crs).to_file(tmp / "nolists.gpkg", engine="pyogrio")
    size_nolists = (tmp / "nolists.gpkg").stat().st_size / 1e6
    logger.warning(
        "plain write without tenure and obstacles (the timed write before 2026-12-04): "
        "%.1f MB (store %.2fx of it)",
        size_nolists,
        size_store / size_nolists,
    )
    logger.warning(
        "N=%d runs=%d: add median %.2f s, plain median %.3f s, ratio median %.1f "
        "(min %.1f, max %.1f), CPU ratio median %.1f (min %.1f, max %.1f); files %.1f MB vs "
        "%.1f MB (%.1fx)",
        n,
        runs,
        statistics.median(adds),
        statistics.median(plains),
        statistics.median(ratios),
        min(ratios),
        max(ratios),
        statistics.median(cpu_ratios),
        min(cpu_ratios),
        max(cpu_ratios),
        size_store,
        size_plain,
        size_store / size_plain,
    )


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
