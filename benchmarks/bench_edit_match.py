"""Benchmark: an edit reaching the next match (issue 12), against the rebuild it replaces.

On the synthetic demo zone (320 assets) and on a generated zone of ``--n`` assets, each round:

* ``warm``: a match on an unchanged inventory (the feature table is in memory);
* ``patched``: move one asset's boundary by a few metres, then match — the inventory patches
  its in-memory context and feature table (``assetmatch._live``);
* ``rebuild``: the same edit, then the in-memory tables are dropped before the match, so the
  context is read back from the store and the feature table rebuilt — what every edit cost
  before the tables were kept in memory.

The three are interleaved round by round so that all see the same machine load; the ratios
``patched / warm`` and ``rebuild / patched`` are what to read.

Usage::

    python benchmarks/bench_edit_match.py                 # demo zone and 10,000 assets
    python benchmarks/bench_edit_match.py --n 2000 --rounds 7
    python benchmarks/bench_edit_match.py --pg postgresql://postgres@localhost:5432/bench_db
    python benchmarks/bench_edit_match.py --steps   # and the patched edit step by step
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import shapely

import assetmatch as am
from assetmatch.demo import PUBLIC_BRIEFS
from assetmatch.demo.zone import generate_zone


def zone_inventory(n: int, where: Path | str) -> am.Inventory:
    """A store of ``n`` synthetic assets with firms and layers (the demo generator's), in a
    GeoPackage in the folder ``where`` or, for a ``postgresql://`` URL, in that database."""
    url = isinstance(where, str) and where.startswith("postgresql://")
    if n == 0:
        return am.Inventory.demo(where if url else Path(where) / "demo.gpkg")
    zone = generate_zone(seed=7, n_assets=n, n_firms=max(200, n // 2))
    inv = am.Inventory.open(where if url else Path(where) / f"zone{n}.gpkg")
    inv.add(zone.assets, at="2024-01-01", on_error="raise")
    inv.add_firms(zone.firms)
    for name, layer in zone.layers.items():
        inv.add_layer(name, layer)
    return inv


def forget_tables(inv: am.Inventory) -> None:
    """Drop the context and feature tables kept in memory, as if no edit had been patched
    since they were built: the next match reads the context back from the store and builds
    the feature table. The reference layers read earlier stay: they are not among the tables
    an edit patches (dropping them too would leave their next read, ~10 ms on the demo, to
    whichever round comes next, the patched one)."""
    layers = inv._live.layers
    inv._live.clear()
    inv._live.layers = layers


def run(inv: am.Inventory, rounds: int) -> dict[str, list[float]]:
    req = am.Requirements.model_validate(PUBLIC_BRIEFS["hengzhong"])
    am.match(req, inventory=inv)
    a = inv.assets()
    aid = a.index[len(a) // 2]
    geom = a.geometry.loc[aid]
    out: dict[str, list[float]] = {"warm": [], "patched": [], "rebuild": []}
    step = 0

    def edit() -> None:
        nonlocal step
        step += 1
        moved = shapely.affinity.translate(geom, xoff=2.0 * (step % 5))
        inv.update(aid, geometry=gpd.GeoSeries([moved], crs=a.crs))

    for _ in range(rounds):
        t0 = time.perf_counter()
        am.match(req, inventory=inv)
        out["warm"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        edit()
        am.match(req, inventory=inv)
        out["patched"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        edit()
        forget_tables(inv)  # the state before the tables were kept: read and built again
        am.match(req, inventory=inv)
        out["rebuild"].append(time.perf_counter() - t0)
    return out


def steps(inv: am.Inventory, rounds: int) -> dict[str, list[float]]:
    """The patched edit step by step: ``update`` (a boundary moved a few metres; since the
    update writes the moved asset's context row itself when the inventory keeps the context,
    this includes that row), then ``inv.context()`` (a refresh, when the update left one to
    do), the feature patch (``inv.features()``) and the match that the patched path runs
    inside ``match``; and a rent change alone with its match."""
    req = am.Requirements.model_validate(PUBLIC_BRIEFS["hengzhong"])
    am.match(req, inventory=inv)
    a = inv.assets()
    aid = a.index[len(a) // 2]
    geom = a.geometry.loc[aid]
    out: dict[str, list[float]] = {
        k: [] for k in ("update", "context", "features", "match", "rent + match")
    }
    for r in range(rounds):
        moved = shapely.affinity.translate(geom, xoff=2.0 * (r % 5 + 1))
        t0 = time.perf_counter()
        inv.update(aid, geometry=gpd.GeoSeries([moved], crs=a.crs))
        t1 = time.perf_counter()
        inv.context()
        t2 = time.perf_counter()
        inv.features()
        t3 = time.perf_counter()
        am.match(req, inventory=inv)
        t4 = time.perf_counter()
        inv.update(aid, rent_yuan_m2_month=10.0 + r % 3)
        am.match(req, inventory=inv)
        t5 = time.perf_counter()
        for k, dt in zip(out, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
            out[k].append(dt)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="assets of the generated zone")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument(
        "--pg",
        metavar="URL",
        help="also measure the demo zone in this PostGIS database (an empty, throwaway one: "
        "e.g. postgresql://postgres@localhost:5432/assetmatch_bench)",
    )
    ap.add_argument(
        "--steps",
        action="store_true",
        help="also time the patched edit step by step (update, context, features, match)",
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(f"# {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"# load average before: {os.getloadavg()}")
    print(
        "| zone | warm match ms | edit + match ms (patched) | edit + match ms (rebuild) "
        "| patched / warm | rebuild / patched |"
    )
    print("|---|---|---|---|---|---|")
    by_step: list[tuple[int, Path | str, dict[str, list[float]]]] = []
    with tempfile.TemporaryDirectory() as d:
        cases: list[tuple[int, Path | str]] = [(0, Path(d)), (args.n, Path(d))]
        if args.pg:
            cases.append((0, args.pg))
        for n, where in cases:
            inv = zone_inventory(n, where)
            t = run(inv, args.rounds)
            if args.steps:
                by_step.append((n, where, steps(inv, args.rounds)))
            inv.close()
            med = {k: statistics.median(v) * 1000 for k, v in t.items()}
            lo = {k: min(v) * 1000 for k, v in t.items()}
            hi = {k: max(v) * 1000 for k, v in t.items()}
            ratios_w = sorted(p / w for p, w in zip(t["patched"], t["warm"], strict=True))
            ratios_r = sorted(r / p for r, p in zip(t["rebuild"], t["patched"], strict=True))
            name = "demo (320)" if n == 0 else f"{n:,} assets"
            name += ", PostGIS" if isinstance(where, str) else ""
            print(
                f"| {name} | {med['warm']:.1f} ({lo['warm']:.1f}–{hi['warm']:.1f}) "
                f"| {med['patched']:.0f} ({lo['patched']:.0f}–{hi['patched']:.0f}) "
                f"| {med['rebuild']:.0f} ({lo['rebuild']:.0f}–{hi['rebuild']:.0f}) "
                f"| {statistics.median(ratios_w):.1f}× ({ratios_w[0]:.1f}–{ratios_w[-1]:.1f}) "
                f"| {statistics.median(ratios_r):.1f}× ({ratios_r[0]:.1f}–{ratios_r[-1]:.1f}) |"
            )
    if by_step:
        print()
        print("| zone | update ms | context ms | features ms | match ms | rent change + match ms |")
        print("|---|---|---|---|---|---|")
        for n, where, t in by_step:
            name = ("demo (320)" if n == 0 else f"{n:,} assets") + (
                ", PostGIS" if isinstance(where, str) else ""
            )
            cells = [
                f"{statistics.median(v) * 1000:.1f} ({min(v) * 1000:.1f}–{max(v) * 1000:.1f})"
                for v in t.values()
            ]
            print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"# load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
