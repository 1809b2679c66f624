"""Benchmark ``match`` over a million synthetic assets, against a one-pass NumPy lower bound.

The feature table is built once (``assetmatch.scoring.prepare``, timed separately); each timed
``match`` call then validates the brief, fits a fresh scorer, scores every asset, picks the
top 10 and the near misses, and writes the explained shortlist. The lower bound, measured in
the same run and interleaved with the ``match`` calls so that both see the same machine load,
is one whole-array NumPy expression of comparable arithmetic over the same columns (the same
criteria, weights and musts, no blocks, no explanations) followed by ``argpartition`` of the
eligible scores for the top 10.

Usage::

    python benchmarks/bench_match.py                 # 1,000,000 assets, 25 runs
    python benchmarks/bench_match.py --n 200000 --runs 21 --json out.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import time
from functools import reduce
from typing import Any

import numpy as np
import pandas as pd

from assetmatch.demo.zone import PUBLIC_BRIEFS
from assetmatch.match import match
from assetmatch.requirements import Requirements
from assetmatch.schema import INDUSTRIES, STATUSES
from assetmatch.scoring.scorer import FeatureTable, SiteScorer, prepare

AS_OF = "2024-06-30"
#: A typical brief: Hengzhong Education's, as in DESIGN.md.
BRIEF: dict[str, Any] = PUBLIC_BRIEFS["hengzhong"]
LAYERS = ("highway_exit", "port", "rail_station", "town_centre")


def synthetic(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` assets with the canonical columns and their context (17 industries, 4 layers)."""
    rng = np.random.default_rng(seed)
    day0 = pd.Timestamp(AS_OF)
    tenure_options = [
        ["lease"],
        ["transfer"],
        ["lease", "transfer"],
        ["lease_then_transfer"],
        ["auction"],
        None,
    ]
    land = rng.lognormal(np.log(40_000), 0.9, n)
    assets = pd.DataFrame(
        {
            "kind": rng.choice(["land", "factory", "campus"], n, p=[0.3, 0.5, 0.2]),
            "land_area_m2": land,
            "building_area_m2": rng.lognormal(np.log(20_000), 1.0, n),
            "floor_height_m": rng.uniform(3, 12, n),
            "floor_load_kn_m2": rng.uniform(3, 15, n),
            "power_kva": rng.uniform(200, 6_000, n),
            "rent_yuan_m2_month": rng.uniform(6, 30, n),
            "land_price_yuan_mu": rng.uniform(2e5, 8e5, n),
            "land_use": rng.choice(
                ["1001", "1101", "0804", "0802", "0901"], n, p=[0.7, 0.1, 0.05, 0.05, 0.1]
            ),
            "land_use_scheme": "2020",
            "status": rng.choice(list(STATUSES), n),
            "tenure": [tenure_options[i] for i in rng.integers(0, len(tenure_options), n)],
            "net_land": rng.random(n) < 0.6,
            "ready_date": day0 + pd.to_timedelta(rng.integers(-200, 400, n), unit="D"),
            "obstacles": [
                [{"kind": "relocation", "delay_days": float(d)}] if d > 0 else []
                for d in np.where(rng.random(n) < 0.1, rng.integers(30, 400, n), 0)
            ],
            "district": rng.choice([f"D{i:02d}" for i in range(50)], n),
            "updated_at": day0 - pd.to_timedelta(rng.integers(0, 900, n), unit="D"),
        },
        index=pd.Index([f"A{i:07d}" for i in range(n)], name="asset_id"),
    )
    ctx: dict[str, np.ndarray] = {
        "centroid_x": rng.uniform(3e5, 7e5, n),
        "centroid_y": rng.uniform(2.5e6, 3.0e6, n),
        "equiv_radius_m": np.sqrt(land / np.pi),
    }
    for ind in INDUSTRIES:
        ctx[f"presence_{ind}"] = rng.gamma(0.5, 10, n).astype(np.float32)
    for ind in INDUSTRIES:
        ctx[f"nearest_{ind}_m"] = rng.exponential(3_000, n).astype(np.float32)
    for layer in LAYERS:
        ctx[f"access_{layer}_m"] = rng.exponential(8_000, n).astype(np.float32)
    return assets, pd.DataFrame(ctx, index=assets.index)


def lower_bound(X: FeatureTable, sc: SiteScorer, k: int = 10) -> np.ndarray:
    """One whole-array NumPy pass with the same criteria, weights and musts, then argpartition.

    The land-use and tenure lookups, the brief-independent hand-over days, accessibility and
    freshness are read from the same precomputed arrays ``match`` uses; everything that
    depends on the brief is computed here in one expression per criterion. (The synthetic
    columns used here have no missing values, so no NaN handling is needed.)
    """
    req = sc.requirements_
    plan = sc._plan(X, None)
    w = sc.weight_
    f32 = np.float32
    lo, hi = req.land_area_range_m2  # type: ignore[misc]
    a, b, r = X["land_area_m2"], X["building_area_m2"], X["rent_yuan_m2_month"]
    blo = req.building_area_m2[0]  # type: ignore[index]
    cap = req.max_rent_m2_month
    d = req.ready_within_days
    lu_key, t = X["lu_key"], X["tenure"]
    P, D = X["presence"], X["nearest"]
    move_in = plan.handover + plan.lu_delay[lu_key] + (b <= 0) * f32(sc.construction_days)
    raw = sum(P[:, j] * f32(wj) for j, wj in plan.synergy_terms)
    tenure = plan.tenure_score[t]
    lu = plan.lu_score[lu_key]  # type: ignore[index]
    score = (
        f32(w["size"])
        * np.clip(
            1
            - np.maximum(f32(lo) - a, 0) / f32(0.25 * lo)
            - np.maximum(a - f32(hi), 0) / f32(0.25 * hi),
            0,
            1,
        )
        + f32(w["building"]) * np.clip(1 - np.maximum(f32(blo) - b, 0) / f32(0.25 * blo), 0, 1)
        + f32(w["cost"]) * np.clip(1 - np.maximum(r - f32(cap), 0) / f32(0.25 * cap), 0, 1)
        + f32(w["tenure"]) * tenure
        + f32(w["readiness"]) * np.clip(1 - np.maximum(move_in - f32(d), 0) / f32(d), 0, 1)
        + f32(w["land_use"]) * np.maximum(lu, 0)
        + f32(w["synergy"]) * raw / (raw + f32(10))
        + f32(w["conflicts"])
        * np.minimum(
            reduce(np.fmin, [D[:, j] / f32(dist) for j, dist, _ in plan.conflict_rules]), 1
        )
        + f32(w["access"]) * plan.access
        + f32(w["freshness"]) * plan.freshness
    )
    # partition the eligible scores only: np.argpartition degenerates (≈ 25× slower) on an
    # array where most values are the same -inf
    cand = np.flatnonzero((tenure > 0) & (lu >= 0) & plan.offerable)
    top = cand[np.argpartition(score[cand], -k)[-k:]]
    return top[np.argsort(-score[top])]


def read_floor(X: FeatureTable, sc: SiteScorer) -> float:
    """Touch every column the brief reads once (a sum each): the memory-traffic floor."""
    plan = sc._plan(X, None)
    total = 0.0
    for name in ("land_area_m2", "building_area_m2", "rent_yuan_m2_month", "lu_key", "tenure"):
        total += float(X[name].sum())
    for j, _ in plan.synergy_terms:
        total += float(X["presence"][:, j].sum())
    for j, _, _ in plan.conflict_rules:
        total += float(X["nearest"][:, j].sum())
    for a in (plan.handover, plan.access, plan.freshness, plan.offerable):
        total += float(a.sum())  # type: ignore[union-attr]
    return total


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next(
                line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return {
        "cpu": cpu,
        "cores": cores,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "load_avg_1min": os.getloadavg()[0],
    }


def timed(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1e3


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=str, default=None, help="write the results here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    info = machine()
    t0 = time.perf_counter()
    assets, context = synthetic(args.n, args.seed)
    t_synth = time.perf_counter() - t0
    t0 = time.perf_counter()
    X = prepare(assets, context, as_of=AS_OF)
    t_prepare = time.perf_counter() - t0
    del assets, context
    req = Requirements(**BRIEF)

    # warm-up: the brief-independent arrays are memoised on the table on first use
    res = match(req, features=X)
    sc = SiteScorer(req).fit(X)
    lb_top = lower_bound(X, sc)
    same_top = set(lb_top.tolist()) == {X.position(a) for a in res.table["asset_id"]}

    results: dict[str, list[float]] = {
        "match": [],
        "match_2_threads": [],
        "scan_only": [],
        "lower_bound": [],
        "read_floor": [],
    }
    scorer_2 = {"n_jobs": 2}
    for _ in range(args.runs):  # interleaved so that every variant sees the same load
        results["match"].append(timed(lambda: match(BRIEF, features=X)))
        results["lower_bound"].append(timed(lambda: lower_bound(X, sc)))
        results["match_2_threads"].append(timed(lambda: match(BRIEF, features=X, model=scorer_2)))
        results["scan_only"].append(timed(lambda: sc.rank_scores(X)))
        results["read_floor"].append(timed(lambda: read_floor(X, sc)))
    med = {k: statistics.median(v) for k, v in results.items()}
    out = {
        "machine": {**info, "load_avg_1min_after": os.getloadavg()[0]},
        "n_assets": args.n,
        "runs": args.runs,
        "feature_table_mb": round(X.nbytes / 1e6, 1),
        "synthetic_s": round(t_synth, 2),
        "prepare_s": round(t_prepare, 2),
        "median_ms": {k: round(v, 2) for k, v in med.items()},
        "min_ms": {k: round(min(v), 2) for k, v in results.items()},
        "ratio_match_to_lower_bound": round(med["match"] / med["lower_bound"], 2),
        "same_top10_as_lower_bound": same_top,
        "criteria": list(sc.criteria_),
    }
    print(json.dumps(out, indent=2, ensure_ascii=False))
    print()
    print("| variant | median ms | min ms |")
    print("| --- | ---: | ---: |")
    for k in results:
        print(f"| {k} | {med[k]:.1f} | {min(results[k]):.1f} |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=2, ensure_ascii=False)
    return out


if __name__ == "__main__":
    main()
