"""Load test of the HTTP service on loopback: matches while a 10,000-asset import runs.

A real uvicorn server (one process, FastAPI's thread pool) serves a copy of the demo zone.
Phase A: N matches from 16 client threads with nothing else running (the baseline).
Phase B: the same N matches while one client uploads a GeoPackage of 10,000 synthetic assets
(POST /v1/imports) and another posts 100 events. Reported: p50/p95 latency of the matches in
both phases and their ratio, the count of 5xx answers (must be 0), and whether every event and
every imported asset was stored. Synthetic data (``generate_zone``).

    .venv/bin/python benchmarks/bench_service.py [N_MATCHES] [N_IMPORT] [RUNS]
"""

from __future__ import annotations

import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import uvicorn

import assetmatch as am
from assetmatch.demo import PUBLIC_BRIEFS
from assetmatch.demo.zone import generate_zone
from assetmatch.service import KeyFile, add_key, create_app


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_once(d: Path, n_match: int, n_import: int) -> dict[str, float]:
    inv = am.Inventory.demo(d / "zone.gpkg")
    key = add_key(d / "keys.jsonl", "write")
    zone = generate_zone(seed=7, n_assets=n_import, n_firms=20, include_public_cases=False)
    upload = d / "big.gpkg"
    assets = zone.assets.copy()
    assets["asset_id"] = "BIG-" + assets["asset_id"].astype(str)
    for col in ("tenure", "obstacles"):  # lists travel as JSON text in a GeoPackage column
        assets[col] = assets[col].map(lambda v: json.dumps(list(v), ensure_ascii=False))
    assets.to_file(upload, engine="pyogrio")
    app = create_app(inv, keys=KeyFile(d / "keys.jsonl"), max_body_bytes=512 * 1024 * 1024)
    port = _port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    h = {"X-API-Key": key}
    brief = PUBLIC_BRIEFS["hengzhong"]

    def one_match(_: int) -> tuple[float, int]:
        t0 = time.perf_counter()
        r = httpx.post(f"{base}/v1/match?top=10", json=brief, headers=h, timeout=300)
        return time.perf_counter() - t0, r.status_code

    try:
        with ThreadPoolExecutor(16) as pool:
            a = list(pool.map(one_match, range(n_match)))
        ids = list(inv.assets().index[:100])
        codes: list[int] = []

        def do_import() -> None:
            with open(upload, "rb") as f:
                r = httpx.post(
                    f"{base}/v1/imports", files={"file": ("big.gpkg", f)}, headers=h, timeout=600
                )
            codes.append(r.status_code)

        def do_events() -> None:
            for aid in ids:
                r = httpx.post(
                    f"{base}/v1/assets/{aid}/events",
                    json={"note": "bench", "rent_yuan_m2_month": 13.25},
                    headers=h,
                    timeout=300,
                )
                codes.append(r.status_code)

        t_imp = threading.Thread(target=do_import)
        t_ev = threading.Thread(target=do_events)
        t_imp.start()
        t_ev.start()
        with ThreadPoolExecutor(16) as pool:
            b = list(pool.map(one_match, range(n_match)))
        t_imp.join()
        t_ev.join()
        stored = inv.assets()
        n_big = int(stored.index.str.startswith("BIG-").sum())
        rents_ok = bool((stored.loc[ids, "rent_yuan_m2_month"] == 13.25).all())
    finally:
        server.should_exit = True
        th.join(10)
        inv.close()
    la = np.array([x[0] for x in a])
    lb = np.array([x[0] for x in b])
    all_codes = [x[1] for x in a] + [x[1] for x in b] + codes
    return {
        "p50_idle_ms": 1000 * float(np.percentile(la, 50)),
        "p95_idle_ms": 1000 * float(np.percentile(la, 95)),
        "p50_busy_ms": 1000 * float(np.percentile(lb, 50)),
        "p95_busy_ms": 1000 * float(np.percentile(lb, 95)),
        "n_5xx": sum(c >= 500 for c in all_codes),
        "imported": n_big,
        "events_ok": rents_ok,
    }


def main() -> None:
    n_match = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    n_import = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    rows = []
    for i in range(runs):
        with tempfile.TemporaryDirectory() as d:
            r = run_once(Path(d), n_match, n_import)
        rows.append(r)
        print(
            f"run {i + 1}: "
            + ", ".join(
                f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()
            )
        )
    for k in ("p50_idle_ms", "p95_idle_ms", "p50_busy_ms", "p95_busy_ms"):
        v = [r[k] for r in rows]
        print(f"{k}: median {statistics.median(v):.1f} (min {min(v):.1f}, max {max(v):.1f})")
    ratio = [r["p50_busy_ms"] / r["p50_idle_ms"] for r in rows]
    print(
        f"p50 busy/idle: median {statistics.median(ratio):.2f} ({min(ratio):.2f}-{max(ratio):.2f})"
    )


if __name__ == "__main__":
    main()
