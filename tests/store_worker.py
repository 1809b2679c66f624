"""Subprocess workers for the durability tests (run as ``python store_worker.py MODE ...``)."""

from __future__ import annotations

import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

import assetmatch as am


def grid(prefix: str, n: int, lon0: float = 118.80, lat0: float = 24.90) -> gpd.GeoDataFrame:
    """n square parcels of ~100 m in EPSG:4490 with ids prefix-0000…"""
    k = np.arange(n)
    x = lon0 + (k % 100) * 0.0015
    y = lat0 + (k // 100) * 0.0015
    geoms = [box(a, b, a + 0.001, b + 0.001) for a, b in zip(x, y, strict=True)]
    return gpd.GeoDataFrame(
        {
            "asset_id": [f"{prefix}-{i:05d}" for i in k],
            "status": "idle",
            "kind": "land",
            "building_area_m2": 0.0,
            "rent_yuan_m2_month": 10.0,
        },
        geometry=geoms,
        crs="EPSG:4490",
    )


def kill_after(args: list[str], seconds: float, env: dict[str, str]) -> None:
    """Start ``python store_worker.py *args``, let it write for ``seconds``, then kill -9 it."""
    import signal
    import subprocess

    p = subprocess.Popen(
        [sys.executable, __file__, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    time.sleep(seconds)
    p.send_signal(signal.SIGKILL)
    p.wait()


def crash_writer(path: str, tag: str, batch: int) -> None:
    """Import batches of new assets and batched updates until killed."""
    inv = am.Inventory.open(path)
    b = 0
    while True:
        inv.add(grid(f"{tag}b{b}", batch, lon0=118.80 + (b % 7) * 0.001))
        ids = [f"{tag}b{b}-{i:05d}" for i in range(0, batch, 10)]
        inv.update_many(
            pd.DataFrame({"asset_id": ids, "status": "negotiating", "note": f"batch {tag}b{b}"})
        )
        print(f"done {tag}b{b}", flush=True)
        b += 1


def updater(path: str, worker: str, n: int) -> None:
    """n single-field updates of the same asset, each its own transaction."""
    inv = am.Inventory.open(path, author=f"w{worker}")
    for i in range(n):
        inv.update(
            "SHARED-00000", rent_yuan_m2_month=float(int(worker) * 1000 + i), note=f"w{worker}-{i}"
        )
    print("ok", flush=True)


def flipper(path: str, n: int) -> None:
    """n batches, each setting the status of five assets to one value."""
    inv = am.Inventory.open(path)
    ids = [f"FLIP-{i:05d}" for i in range(5)]
    for i in range(n):
        status = "negotiating" if i % 2 else "available"
        inv.update_many(pd.DataFrame({"asset_id": ids, "status": status}))
        time.sleep(0.005)
    print("ok", flush=True)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "crash":
        crash_writer(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif mode == "update":
        updater(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif mode == "flip":
        flipper(sys.argv[2], int(sys.argv[3]))
