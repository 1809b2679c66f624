"""Benchmark of batch work on dask.distributed against the one-machine path.

    python benchmarks/bench_batch_dask.py                      # 1,000 briefs x 10,000 assets
    python benchmarks/bench_batch_dask.py --investors 200 --assets 5000 --runs 2   # quick

Synthetic assets and briefs of ``bench_match.py`` / ``bench_match_many.py`` (the feature table
prepared once). Measured, **interleaved** (each round runs every variant once, in a rotating
order, so all see the same load):

* ``match_many(briefs, features=X)`` — score every asset for every brief, then the assignment;
* ``rank_many(briefs, features=X, top=10)`` — each brief's ranking (the whole inventory
  re-scored);

each in this process (one thread) and on a ``LocalCluster`` of 1 and of 2 worker processes of
1 thread (``client=``; both clusters up for the whole run, one untimed warm-up call each, which
also sends the feature table). Every cluster result is compared with the local one
(``assert_frame_equal``, exact) before a time is kept. The 1-minute load average is recorded
before every round.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from typing import Any

import pandas as pd
from bench_dask_context import spread
from bench_match import AS_OF, machine, synthetic
from bench_match_many import briefs

from assetmatch.allocate import match_many
from assetmatch.batch import rank_many
from assetmatch.scoring.scorer import prepare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--investors", type=int, default=1_000)
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from distributed import Client, LocalCluster

    results: dict[str, Any] = {
        "machine": machine(),
        "args": vars(args),
        "load_avg_1_5_15_start": os.getloadavg(),
    }
    assets, ctx = synthetic(args.assets, args.seed)
    X = prepare(assets, ctx, as_of=AS_OF)
    reqs = briefs(args.investors, args.seed + 1)
    calls = {
        "match_many": lambda **kw: match_many(reqs, features=X, as_of=AS_OF, **kw),
        "rank_many": lambda **kw: rank_many(reqs, features=X, as_of=AS_OF, top=10, **kw),
    }
    expected = {name: call() for name, call in calls.items()}

    def local(n: int) -> Any:
        return LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0"
        )

    with local(1) as c1, local(2) as c2, Client(c1) as one, Client(c2) as two:
        where = {"local": {}, "dask_1_worker": {"client": one}, "dask_2_workers": {"client": two}}
        for name, call in calls.items():
            for w in ("dask_1_worker", "dask_2_workers"):
                t = time.perf_counter()
                pd.testing.assert_frame_equal(call(**where[w]), expected[name], check_exact=True)
                results[f"{name}_{w}_warm_up_s"] = round(time.perf_counter() - t, 2)
        keys = [(n, w) for n in calls for w in where]
        times: dict[str, list[float]] = {f"{n}_{w}": [] for n, w in keys}
        rounds = []
        for r in range(args.runs):
            row: dict[str, Any] = {"load1_before": round(os.getloadavg()[0], 2)}
            for n, w in keys[r % len(keys) :] + keys[: r % len(keys)]:
                t = time.perf_counter()
                got = calls[n](**where[w])
                seconds = time.perf_counter() - t
                pd.testing.assert_frame_equal(got, expected[n], check_exact=True)
                times[f"{n}_{w}"].append(seconds)
                row[f"{n}_{w}"] = round(seconds, 2)
            for n in calls:
                for w in ("dask_1_worker", "dask_2_workers"):
                    row[f"{n}_{w}_over_local"] = round(row[f"{n}_{w}"] / row[f"{n}_local"], 2)
            rounds.append(row)
            print(json.dumps(row), flush=True)
    results["rounds"] = rounds
    results["times_s"] = {k: spread(v) for k, v in times.items()}
    results["ratio_to_local"] = {
        f"{n}_{w}": spread([r[f"{n}_{w}_over_local"] for r in rounds])
        for n in calls
        for w in ("dask_1_worker", "dask_2_workers")
    }
    results["equal_to_local"] = True
    results["load_avg_1_5_15_end"] = os.getloadavg()
    print(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
