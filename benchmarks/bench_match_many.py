"""Benchmark ``match_many``: 1,000 investors over 10,000 synthetic assets, against a loop of
``match`` calls.

The assets are :func:`bench_match.synthetic` (synthetic: canonical columns, 17 industries of
context, 4 access layers); the feature table is prepared once and shared by both sides. The
briefs are synthetic too: every one draws an industry, a land-use code, a land-size range, a
building minimum (half of them), a rent cap, tenure modes, a move-in deadline and priorities.

* ``match_many`` scores every asset for every brief and solves the assignment
  (``scipy.optimize.linear_sum_assignment``), one site per investor, maximising the total score.
* The obvious alternative: ``match(brief, features=X, top=10)`` for each brief in a loop —
  which only ranks, and leaves the allocation (and the conflicts between investors) undone.
  The total score a greedy allocation reaches over the loop's shortlists (each investor in turn
  takes their best free site) is reported beside the assignment's.

Usage::

    python benchmarks/bench_match_many.py                  # 1,000 × 10,000, 5 runs
    python benchmarks/bench_match_many.py --investors 200 --assets 5000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from typing import Any

import numpy as np
from bench_match import AS_OF, machine, synthetic

from assetmatch.allocate import match_many
from assetmatch.match import match
from assetmatch.scoring.scorer import prepare

INDUSTRIES = ("C39", "C38", "C34", "C29", "C22", "C18", "P83", "G59")
LAND_USES = ("1001", "1001", "1001", "1101", "0804")


def briefs(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` synthetic briefs (the shape of the demo zone's public cases)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        lo = float(rng.uniform(10, 150))
        brief: dict[str, Any] = {
            "investor": f"Investor {i:04d}",
            "industry": str(rng.choice(INDUSTRIES)),
            "land_use": str(rng.choice(LAND_USES)),
            "land_area_mu": [round(lo, 1), round(lo * float(rng.uniform(1.2, 2.0)), 1)],
            "tenure": [str(t) for t in rng.choice(["lease", "transfer", "auction"], 2, False)],
            "max_rent_yuan_m2_month": round(float(rng.uniform(10, 25)), 1),
            "ready_within_days": int(rng.choice([90, 180, 365])),
            "priorities": {
                "size": int(rng.integers(3, 6)),
                "readiness": int(rng.integers(1, 6)),
                "cost": int(rng.integers(1, 6)),
            },
        }
        if rng.random() < 0.5:
            brief["building_area_m2"] = [round(float(rng.uniform(5e3, 4e4)), -2), None]
        out.append(brief)
    return out


def greedy_total(shortlists: list[Any]) -> tuple[float, int]:
    """Each investor in turn takes the best site of their shortlist still free."""
    taken: set[str] = set()
    total, served = 0.0, 0
    for table in shortlists:
        for aid, s in zip(table["asset_id"], table["score"], strict=True):
            if aid not in taken:
                taken.add(aid)
                total += float(s)
                served += 1
                break
    return total, served


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--investors", type=int, default=1_000)
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--loop-runs", type=int, default=2, help="runs of the match() loop")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=str, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    assets, ctx = synthetic(args.assets, args.seed)
    X = prepare(assets, ctx, as_of=AS_OF)
    reqs = briefs(args.investors, args.seed + 1)

    many_s, loop_s = [], []
    out = None
    for _ in range(args.runs):
        t0 = time.perf_counter()
        out = match_many(reqs, features=X, as_of=AS_OF)
        many_s.append(time.perf_counter() - t0)
    shortlists: list[Any] = []
    for _ in range(args.loop_runs):
        t0 = time.perf_counter()
        shortlists = [match(r, features=X, as_of=AS_OF, top=10).table for r in reqs]
        loop_s.append(time.perf_counter() - t0)
    assert out is not None
    g_total, g_served = greedy_total(shortlists)
    res = {
        "investors": args.investors,
        "assets": args.assets,
        "match_many_s": many_s,
        "match_loop_s": loop_s,
        "match_many_median_s": statistics.median(many_s),
        "match_loop_median_s": statistics.median(loop_s),
        "ratio_loop_over_many": statistics.median(loop_s) / statistics.median(many_s),
        "assignment_total": out.attrs["total_score"],
        "assignment_served": int(out["asset_id"].notna().sum()),
        "greedy_total": g_total,
        "greedy_served": g_served,
        "machine": machine(),
    }
    print(json.dumps(res, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(res, fh, indent=2)
    return res


if __name__ == "__main__":
    main()
