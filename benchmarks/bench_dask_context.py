"""Benchmark of context features on dask against the one-machine numpy path.

    python benchmarks/bench_dask_context.py                          # 20k parcels x 200k firms
    python benchmarks/bench_dask_context.py --assets 5000 --firms 50000 --runs 3   # quick

The case is ``bench_context.py``'s synthetic province (all synthetic: 300 km x 400 km in
EPSG:4549, 200 industrial clusters, 20 industries, 3 radii of 1, 3 and 5 km, the default conflict
rules, 4 reference layers), at 20,000 parcels and 200,000 firms by default. The firm table is
prepared once as a :class:`~assetmatch.context.FirmIndex` (as an inventory keeps it) and given
to every call, so every run measures the context computation, not the index build.

Measured, ``--runs`` times each (median, min, max):

* the numpy path, 1 thread and 2 threads (``n_jobs``);
* ``engine="dask"`` on a ``LocalCluster`` of 1 and of 2 worker processes of 1 thread each,
  reached by its address (``scheduler="tcp://..."``); one untimed warm-up call per cluster
  first (each worker process imports the library on its first task), reported apart;
* the time of every partition on its worker (from the engine's progress log);
* whether dask warned of a large graph.

Every dask result is compared with the numpy result (``assert_frame_equal``, exact) before any
time is printed. The load average is recorded at the start and the end: on a shared machine,
read the numbers with it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import time
import warnings

import pandas as pd
from bench_context import RADII, machine, make_case

from assetmatch.context import FirmIndex, context_features


class PartitionTimes(logging.Handler):
    """Collects (assets, seconds) of each partition from the dask engine's progress lines."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.times: list[tuple[int, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "partition of" in record.msg and record.args:
            self.times.append((int(record.args[3]), float(record.args[4])))


class GraphWarnings(logging.Handler):
    """Counts distributed's 'large graph' warnings (logged or warned)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "large graph" in record.getMessage():
            self.count += 1


def summary(times: list[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
        "runs": len(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=20_000)
    parser.add_argument("--firms", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--npartitions", type=int, default=None)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    from distributed import LocalCluster

    results: dict[str, object] = {
        "machine": machine(),
        "args": vars(args),
        "load_avg_1_5_15_start": os.getloadavg(),
    }
    assets, firms, layers = make_case(args.seed, args.assets, args.firms)
    index = FirmIndex.build(firms, assets.crs)
    print(f"case: {len(assets)} assets, {len(firms)} firms (synthetic)", flush=True)

    def run(**kw: object) -> tuple[pd.DataFrame, float]:
        t = time.perf_counter()
        out = context_features(assets, index, RADII, layers=layers, **kw)
        return out, time.perf_counter() - t

    expected, _ = run()
    for n_jobs in (1, 2):
        times = [run(n_jobs=n_jobs)[1] for _ in range(args.runs)]
        results[f"numpy_{n_jobs}_thread"] = summary(times)
        print(f"numpy, {n_jobs} thread(s): {results[f'numpy_{n_jobs}_thread']}", flush=True)

    parts = PartitionTimes()
    graphs = GraphWarnings()
    logging.getLogger("assetmatch.context.dask_engine").addHandler(parts)
    logging.getLogger("assetmatch.context.dask_engine").setLevel(logging.INFO)
    logging.getLogger("distributed").addHandler(graphs)
    for workers in args.workers:
        with (
            warnings.catch_warnings(record=True) as caught,
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
            ) as cluster,
        ):
            warnings.simplefilter("always")
            kw = {
                "engine": "dask",
                "scheduler": cluster.scheduler_address,
                "npartitions": args.npartitions,
            }
            got, warm = run(**kw)
            pd.testing.assert_frame_equal(got, expected, check_exact=True)
            parts.times.clear()
            times = []
            for _ in range(args.runs):
                got, seconds = run(**kw)
                pd.testing.assert_frame_equal(got, expected, check_exact=True)
                times.append(seconds)
            per_part = [s for _, s in parts.times]
            sizes = [n for n, _ in parts.times]
            large = graphs.count + sum("large graph" in str(w.message) for w in caught)
        key = f"dask_{workers}_worker"
        results[key] = {
            **summary(times),
            "warm_up_s": round(warm, 3),
            "partitions_per_run": len(per_part) // args.runs,
            "partition_assets": [min(sizes), max(sizes)],
            "partition_s_median": round(statistics.median(per_part), 3),
            "partition_s_min_max": [round(min(per_part), 3), round(max(per_part), 3)],
            "large_graph_warnings": large,
            "equal_to_numpy": True,
        }
        print(f"dask, {workers} worker(s): {results[key]}", flush=True)
    base = results["numpy_1_thread"]["median_s"]  # type: ignore[index]
    results["ratio_to_numpy_1_thread"] = {
        k: round(v["median_s"] / base, 2)  # type: ignore[index]
        for k, v in results.items()
        if k.startswith(("numpy_", "dask_"))
    }
    results["load_avg_1_5_15_end"] = os.getloadavg()
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
