"""Import speed of the GeoPackage store, against a plain GeoPackage write in the same run.

Usage: ``.venv/bin/python benchmarks/bench_import.py [N]`` (default N = 100,000 assets).

Measures, on N synthetic assets from ``assetmatch.demo.generate_zone`` (polygons and ~5% points,
EPSG:4490 lon/lat, every canonical column):

1. ``Inventory.add`` into a new store: validation, CRS choice, projection, geometry checks, area
   by geodesic-corrected projection, one create event per asset, the current table with its
   R-tree, all in one transaction;
2. the obvious alternative, ``GeoDataFrame.to_crs(...).to_file(..., engine="pyogrio")``: a plain
   GeoPackage write through GDAL with no validation and no history;
3. a re-import of the same N rows (every row compared, nothing written);
4. ``update_many`` of 1,000 status changes in one transaction, and single ``update`` latency.
"""

from __future__ import annotations

import logging
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import assetmatch as am
from assetmatch.demo.zone import generate_zone

logging.basicConfig(level=logging.WARNING)


def main(n: int = 100_000) -> None:
    zone = generate_zone(seed=1, n_assets=n, n_firms=1000)
    assets = zone.assets
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))

    t0 = time.perf_counter()
    inv = am.Inventory.open(tmp / "store.gpkg")
    rep = inv.add(assets)
    t_add = time.perf_counter() - t0
    assert len(rep.created) == n, str(rep)

    plain = assets.drop(columns=["tenure", "obstacles"]).to_crs(inv.crs)
    for c in plain.columns:
        if plain[c].dtype == object and c != "geometry":
            plain[c] = plain[c].astype(str)
    t0 = time.perf_counter()
    plain.to_file(tmp / "plain.gpkg", engine="pyogrio")
    t_plain = time.perf_counter() - t0

    t0 = time.perf_counter()
    rep2 = inv.add(assets)
    t_re = time.perf_counter() - t0
    assert len(rep2.unchanged) == n

    ids = assets["asset_id"].iloc[:1000]
    t0 = time.perf_counter()
    inv.update_many(pd.DataFrame({"asset_id": ids, "status": "negotiating"}))
    t_many = time.perf_counter() - t0

    lat = []
    for i in range(30):
        t0 = time.perf_counter()
        inv.update(assets["asset_id"].iloc[i], rent_yuan_m2_month=10.0 + i)
        lat.append(time.perf_counter() - t0)

    rows = [
        ("Inventory.add, new store", t_add, n / t_add),
        ("pyogrio to_file (plain GeoPackage, no checks/history)", t_plain, n / t_plain),
        ("re-import unchanged (diff only)", t_re, n / t_re),
        ("update_many, 1,000 status changes", t_many, 1000 / t_many),
    ]
    print(f"# import benchmark, N = {n:,} assets")
    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    print("| operation | seconds | rows/s |")
    print("| --- | ---: | ---: |")
    for name, t, rate in rows:
        print(f"| {name} | {t:.2f} | {rate:,.0f} |")
    print(f"| single update (median of 30) | {statistics.median(lat) * 1000:.1f} ms | |")
    print(f"ratio Inventory.add / plain write: {t_add / t_plain:.1f}x")
    print(f"file size: {(tmp / 'store.gpkg').stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
