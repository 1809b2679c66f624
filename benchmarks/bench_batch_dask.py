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
1 thread (``client=``; both clusters up for the whole run, one untimed warm-up call each), in
two ways:

* ``kept`` — as the library does now: the feature table stays on the cluster between calls
  (sent once per client, under its content token), so a timed call sends only the briefs;
* ``resent`` — the behaviour before (the table sent with every call, each worker memoising its
  derived arrays afresh): the kept table is forgotten (``_cluster.forget_kept``) before the call.

Every cluster result is compared with the local one (``assert_frame_equal``, exact) before a
time is kept. Recorded: the 1-minute load average before every round, each call's time and its
ratio to the local call *of the same round*, the CPU seconds of this process during each call
(``time.process_time``: on the local path the whole cost, on the cluster path the client's
share), and every chunk's wall and CPU seconds on its worker (the time per task of briefs).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import time
from typing import Any

import pandas as pd
from bench_dask_context import spread
from bench_match import AS_OF, machine, synthetic
from bench_match_many import briefs

from assetmatch._cluster import forget_kept
from assetmatch.allocate import match_many
from assetmatch.batch import rank_many
from assetmatch.scoring.scorer import prepare

CLUSTERS = ("dask_1_worker", "dask_2_workers")


class ChunkLog(logging.Handler):
    """The batch module's per-chunk lines: briefs, wall and CPU seconds on the worker."""

    LINE = re.compile(r"chunk \d+ of (\d+) briefs in ([\d.]+) s on its worker \(CPU ([\d.]+) s\)")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.chunks: list[tuple[int, float, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        m = self.LINE.search(record.getMessage())
        if m:
            self.chunks.append((int(m.group(1)), float(m.group(2)), float(m.group(3))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--investors", type=int, default=1_000)
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    chunk_log = ChunkLog()
    batch_logger = logging.getLogger("assetmatch.batch")
    batch_logger.addHandler(chunk_log)
    batch_logger.setLevel(logging.DEBUG)
    from distributed import Client, LocalCluster

    results: dict[str, Any] = {
        "machine": machine(),
        "args": vars(args),
        "load_avg_1_5_15_start": os.getloadavg(),
    }
    assets, ctx = synthetic(args.assets, args.seed)
    X = prepare(assets, ctx, as_of=AS_OF)
    results["feature_table_mb"] = round(X.nbytes / 1e6, 2)
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
        clients = {"dask_1_worker": one, "dask_2_workers": two}
        for name, call in calls.items():
            for w in CLUSTERS:
                t = time.perf_counter()
                got = call(client=clients[w])
                pd.testing.assert_frame_equal(got, expected[name], check_exact=True)
                results[f"{name}_{w}_warm_up_s"] = round(time.perf_counter() - t, 2)
        where = ["local"] + [f"{w}_{how}" for w in CLUSTERS for how in ("kept", "resent")]
        keys = [(n, w) for n in calls for w in where]
        times: dict[str, list[float]] = {f"{n}_{w}": [] for n, w in keys}
        chunks: dict[str, list[tuple[int, float, float]]] = {f"{n}_{w}": [] for n, w in keys}
        rounds = []
        for r in range(args.runs):
            row: dict[str, Any] = {"load1_before": round(os.getloadavg()[0], 2)}
            for n, w in keys[r % len(keys) :] + keys[: r % len(keys)]:
                kw: dict[str, Any] = {}
                if w != "local":
                    cluster_name, how = w.rsplit("_", 1)
                    kw["client"] = clients[cluster_name]
                    if how == "resent":
                        forget_kept(kw["client"])
                chunk_log.chunks.clear()
                t, cpu = time.perf_counter(), time.process_time()
                got = calls[n](**kw)
                seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
                pd.testing.assert_frame_equal(got, expected[n], check_exact=True)
                times[f"{n}_{w}"].append(seconds)
                chunks[f"{n}_{w}"] += chunk_log.chunks
                row[f"{n}_{w}"] = round(seconds, 2)
                row[f"{n}_{w}_client_cpu"] = round(cpu, 2)
            for n in calls:
                for w in where[1:]:
                    row[f"{n}_{w}_over_local"] = round(row[f"{n}_{w}"] / row[f"{n}_local"], 2)
                for c in CLUSTERS:
                    row[f"{n}_{c}_kept_over_resent"] = round(
                        row[f"{n}_{c}_kept"] / row[f"{n}_{c}_resent"], 2
                    )
            rounds.append(row)
            print(json.dumps(row), flush=True)
    results["rounds"] = rounds
    results["times_s"] = {k: spread(v) for k, v in times.items()}
    ratios = [k for k in rounds[0] if k.endswith("_over_local") or k.endswith("_over_resent")]
    results["ratios"] = {k: spread([r[k] for r in rounds]) for k in ratios}
    results["chunks_on_workers"] = {
        k: {
            "per_call": len(v) // args.runs,
            "briefs": spread([b for b, _, _ in v]),
            "wall_s": spread([s for _, s, _ in v]),
            "cpu_s": spread([c for _, _, c in v]),
            "cpu_ms_per_brief": spread([1000 * c / b for b, _, c in v]),
        }
        for k, v in chunks.items()
        if v
    }
    results["equal_to_local"] = True
    results["load_avg_1_5_15_end"] = os.getloadavg()
    print(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
