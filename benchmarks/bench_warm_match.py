"""Benchmark: a warm ``match`` on a zone-sized inventory (issue 12: well under 5 ms).

An inventory of ``--n`` synthetic assets (the demo generator's zone, with firms and reference
layers) is matched once to build its in-memory feature table; every timed call after that is
a *warm* match — validate the brief, fit a scorer, scan every asset, pick the shortlist and
the near misses, explain those rows and build the result tables. Interleaved with it, in the
same run:

* ``scan``: the scan alone (``SiteScorer.rank_scores`` of a fitted scorer) — the part that
  grows with the zone; ``match - scan`` is the fixed cost of a call;
* ``features``: ``match(features=X)`` on the same table, without the inventory's look-up;
* ``read``: a warm match whose ``table`` and ``near_misses`` are then read (the shortlist's
  facts, reasons and frames are built on that first read), and ``dict``: a warm match then
  ``to_dict()`` (the service's JSON) — what a caller of the result pays.

Usage::

    python benchmarks/bench_warm_match.py                 # 10,000 assets, 5 runs of 41 calls
    python benchmarks/bench_warm_match.py --n 320 --runs 3
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

from bench_edit_match import zone_inventory

import assetmatch as am
from assetmatch.demo import PUBLIC_BRIEFS
from assetmatch.scoring import SiteScorer


def one_run(inv: am.Inventory, calls: int) -> dict[str, float]:
    """Median milliseconds of each variant over ``calls`` interleaved calls."""
    req = am.Requirements.model_validate(PUBLIC_BRIEFS["hengzhong"])
    am.match(req, inventory=inv)
    X = inv.features()
    sc = SiteScorer(req).fit(X)
    t: dict[str, list[float]] = {"match": [], "features": [], "scan": [], "read": [], "dict": []}
    for _ in range(calls):
        t0 = time.perf_counter()
        am.match(req, inventory=inv)
        t["match"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        am.match(req, features=X)
        t["features"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        sc.rank_scores(X)
        t["scan"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        res = am.match(req, inventory=inv)
        res.table, res.near_misses  # noqa: B018
        t["read"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        am.match(req, inventory=inv).to_dict()
        t["dict"].append(time.perf_counter() - t0)
    return {k: statistics.median(v) * 1000 for k, v in t.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="assets of the generated zone")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--calls", type=int, default=41, help="timed calls per run")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(f"# {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"# load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as d:
        inv = zone_inventory(args.n, Path(d))
        runs = [one_run(inv, args.calls) for _ in range(args.runs)]
        inv.close()
    print(f"# load average after: {os.getloadavg()}")
    print(
        "| run | warm match ms | match(features=X) ms | scan ms | fixed cost ms "
        "| match + table read ms | match + to_dict ms |"
    )
    print("|---|---|---|---|---|---|---|")
    for i, r in enumerate(runs, 1):
        print(
            f"| {i} | {r['match']:.2f} | {r['features']:.2f} | {r['scan']:.2f} "
            f"| {r['match'] - r['scan']:.2f} | {r['read']:.2f} | {r['dict']:.2f} |"
        )
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    lo = {k: min(r[k] for r in runs) for k in runs[0]}
    hi = {k: max(r[k] for r in runs) for k in runs[0]}
    print(
        f"| median (min–max) of {len(runs)} | {med['match']:.2f} ({lo['match']:.2f}–"
        f"{hi['match']:.2f}) | {med['features']:.2f} | {med['scan']:.2f} "
        f"| {med['match'] - med['scan']:.2f} | {med['read']:.2f} | {med['dict']:.2f} |"
    )


if __name__ == "__main__":
    main()
