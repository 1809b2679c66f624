"""Benchmark of context features on dask against the one-machine numpy path.

    python benchmarks/bench_dask_context.py scaling --runs 5     # 20k parcels x 200k firms
    python benchmarks/bench_dask_context.py sweep                # time per partition vs size
    python benchmarks/bench_dask_context.py slice --fraction 50  # 1/50 of the country case
    python benchmarks/bench_dask_context.py scaling --assets 5000 --firms 50000 --runs 2  # quick

The cases are ``bench_context.py``'s synthetic generator (all synthetic: 200 industrial
clusters of 5 km radius in a 300 km x 400 km box of EPSG:4549 for the province, 80 % of the firms
and assets in the clusters, 20 industries, radii 1, 3 and 5 km, the default conflict rules, 4
reference layers). The firm table is prepared once as a
:class:`~assetmatch.context.FirmIndex` and given to every call, so every run measures the
context computation, not the index build.

``scaling`` — the province case of issue 12 (20,000 parcels, 200,000 firms). Four variants,
**interleaved** (each round runs each once, in a rotating order, so all see the same load):
numpy 1 thread, numpy 2 threads, dask on a ``LocalCluster`` of 1 and of 2 worker processes of
1 thread each (both clusters up for the whole run, reached by address). One untimed warm-up call
per cluster first. Per round: times, ratio of each to numpy 1 thread in *that* round, the
1-minute load average before the round. Per dask run: every partition's time on its worker,
split into steps (prepare, kernel, nearest, ...).

``sweep`` — one worker process, the same case cut into 1, 2, 4, 8 and 16 partitions (``--counts``),
interleaved over ``--runs`` rounds: time per partition against its size, and the least-squares
line ``seconds = fixed + per_asset * assets`` (the fixed cost of a partition).

``slice`` — a real slice of the country case (5 million assets, 50 million firms) at the
province's density (2.5 assets and 25 firms per km², clusters per km² as there): 1/``fraction``
of it, in a square box of 1/``fraction`` of the country's 2,000,000 km². Runs dask on 2 worker
processes (GeoParquet intermediates in a temporary directory when the slice has 500,000 assets
or more), then numpy 2 threads on every asset or (``--check N``) on N random assets, checks
the rows are equal, and records time per partition, firms per partition, the client's search of
nearest firms beyond every halo, peak memory of the client and of each worker.

Every dask result is compared with the numpy result (``assert_frame_equal``, exact) before any
time is printed.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import resource
import statistics
import time
from typing import Any

import numpy as np
import pandas as pd
from bench_context import RADII, machine, make_case

from assetmatch.context import FirmIndex, context_features

#: The province generator's box: 300 km x 400 km, 200 clusters.
PROVINCE_KM2 = 120_000.0
PROVINCE_CLUSTERS = 200
PROVINCE_ASSETS = 300_000
PROVINCE_FIRMS = 3_000_000
COUNTRY_ASSETS = 5_000_000
COUNTRY_FIRMS = 50_000_000
COUNTRY_KM2 = PROVINCE_KM2 * COUNTRY_ASSETS / PROVINCE_ASSETS  # the province's density


class EngineLog(logging.Handler):
    """Collects the dask engine's partition lines and its count of nearest firms left over."""

    PART = re.compile(r"partition of (\d+) in ([\d.]+) s(?: \(([^)]*)\))?")

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.parts: list[dict[str, float]] = []
        self.left: list[int] = []
        self.firms: list[str] = []
        self.client_nearest_s: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        m = self.PART.search(msg)
        if m:
            steps = dict(s.split() for s in m.group(3).split(", ")) if m.group(3) else {}
            self.parts.append(
                {"assets": int(m.group(1)), "s": float(m.group(2))}
                | {k: float(v) for k, v in steps.items()}
            )
        elif "beyond the largest radius found in" in msg:  # the caller's search
            self.client_nearest_s.append(float(msg.split(" found in ")[1].split()[0]))
        elif "beyond the partitions' halos" in msg:
            self.left.append(int(msg.split(" nearest firms")[0].split()[-1]))
        elif "firms per partition" in msg:
            self.firms.append(msg.split("(dask): ")[1])


def spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "n": len(values),
    }


def load1() -> float:
    return round(os.getloadavg()[0], 2)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def process_peak_rss_mb() -> float:
    """This process's own peak resident memory (``VmHWM``; ``ru_maxrss`` of a worker process
    started by a nanny reported the parent's value), or ``ru_maxrss`` where there is no /proc."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return peak_rss_mb()


def attach() -> EngineLog:
    log = EngineLog()
    for name in ("assetmatch.context.dask_engine", "assetmatch.context.kernel"):
        logger = logging.getLogger(name)
        logger.addHandler(log)
        logger.setLevel(logging.INFO)
    return log


def cluster(workers: int) -> Any:
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    )


def scaling(args: argparse.Namespace, results: dict) -> None:
    assets, firms, layers = make_case(args.seed, args.assets, args.firms)
    index = FirmIndex.build(firms, assets.crs)
    del firms
    log = attach()
    with cluster(1) as one, cluster(2) as two:
        variants = {
            "numpy_1_thread": {"n_jobs": 1},
            "numpy_2_threads": {"n_jobs": 2},
            "dask_1_worker": {"engine": "dask", "scheduler": one.scheduler_address},
            "dask_2_workers": {"engine": "dask", "scheduler": two.scheduler_address},
        }

        def run(name: str) -> tuple[pd.DataFrame, float]:
            t = time.perf_counter()
            out = context_features(assets, index, RADII, layers=layers, **variants[name])
            return out, time.perf_counter() - t

        expected, _ = run("numpy_1_thread")
        for name in ("dask_1_worker", "dask_2_workers"):
            got, warm = run(name)
            pd.testing.assert_frame_equal(got, expected, check_exact=True)
            results[f"{name}_warm_up_s"] = round(warm, 2)
        log.parts.clear()
        times: dict[str, list[float]] = {k: [] for k in variants}
        parts: dict[str, list[dict[str, float]]] = {k: [] for k in variants}
        client_nearest: dict[str, list[float]] = {k: [] for k in variants}
        rounds = []
        names = list(variants)
        for r in range(args.runs):
            order = names[r % len(names) :] + names[: r % len(names)]
            row: dict[str, object] = {"load1_before": load1()}
            for name in order:
                log.parts.clear()
                log.client_nearest_s.clear()
                got, seconds = run(name)
                pd.testing.assert_frame_equal(got, expected, check_exact=True)
                times[name].append(seconds)
                parts[name] += log.parts
                client_nearest[name] += log.client_nearest_s or [0.0]
                row[name] = round(seconds, 2)
            row["ratios_to_numpy_1"] = {
                k: round(row[k] / row["numpy_1_thread"], 2)  # type: ignore[operator]
                for k in names
            }
            rounds.append(row)
            print(json.dumps(row), flush=True)
    results["rounds"] = rounds
    results["times_s"] = {k: spread(v) for k, v in times.items()}
    results["ratio_to_numpy_1_thread"] = {
        k: spread([r["ratios_to_numpy_1"][k] for r in rounds]) for k in names
    }
    for name in ("dask_1_worker", "dask_2_workers"):
        p = parts[name]
        steps = sorted({k for d in p for k in d} - {"assets"})
        results[f"{name}_partitions"] = {
            "per_run": len(p) // args.runs,
            "assets": sorted({d["assets"] for d in p}),
            **{step: spread([d.get(step, 0.0) for d in p]) for step in steps},
        }
    results["firms_per_partition"] = log.firms[-1:] if log.firms else []
    results["nearest_left_to_client"] = log.left[-1:] if log.left else []
    results["nearest_beyond_radii_on_the_client_s"] = {
        k: spread(v) for k, v in client_nearest.items()
    }


def sweep(args: argparse.Namespace, results: dict) -> None:
    assets, firms, layers = make_case(args.seed, args.assets, args.firms)
    index = FirmIndex.build(firms, assets.crs)
    del firms
    log = attach()
    counts = args.counts
    per: dict[int, list[dict[str, float]]] = {k: [] for k in counts}
    totals: dict[int, list[float]] = {k: [] for k in counts}
    with cluster(1) as one:
        kw = {"engine": "dask", "scheduler": one.scheduler_address}
        context_features(assets, index, RADII, layers=layers, npartitions=2, **kw)  # warm up
        for r in range(args.runs):
            for k in counts[r % 2 :] + counts[: r % 2]:
                log.parts.clear()
                t = time.perf_counter()
                context_features(assets, index, RADII, layers=layers, npartitions=k, **kw)
                totals[k].append(time.perf_counter() - t)
                per[k] += log.parts
            print(f"round {r + 1}: load {load1()}", flush=True)
    xs = np.array([d["assets"] for k in counts for d in per[k]], dtype=float)
    ys = np.array([d["s"] for k in counts for d in per[k]])
    slope, fixed = np.polyfit(xs, ys, 1)
    results["sweep"] = {
        k: {
            "partition_assets": int(statistics.median(d["assets"] for d in per[k])),
            "total_s": spread(totals[k]),
            "partition_s": spread([d["s"] for d in per[k]]),
            **{
                step: spread([d.get(step, 0.0) for d in per[k]])
                for step in ("prepare", "kernel", "nearest", "store", "cpu")
            },
        }
        for k in counts
    }
    results["fit_seconds_per_partition"] = {
        "fixed_s": round(float(fixed), 3),
        "per_1000_assets_s": round(float(slope) * 1000, 3),
    }


def country_slice(args: argparse.Namespace, results: dict) -> None:
    frac = args.fraction
    n_assets, n_firms = COUNTRY_ASSETS // frac, COUNTRY_FIRMS // frac
    side = math.sqrt(COUNTRY_KM2 / frac) * 1000.0
    x0, y0 = 350_000.0, 2_600_000.0
    box = (x0, y0, x0 + side, y0 + side)
    clusters = max(1, round(PROVINCE_CLUSTERS * (COUNTRY_KM2 / frac) / PROVINCE_KM2))
    t = time.perf_counter()
    assets, firms, layers = make_case(args.seed, n_assets, n_firms, box, clusters)
    results["slice"] = {
        "fraction": f"1/{frac}",
        "assets": n_assets,
        "firms": n_firms,
        "box_km": round(side / 1000, 1),
        "clusters": clusters,
        "generate_s": round(time.perf_counter() - t, 1),
    }
    t = time.perf_counter()
    index = FirmIndex.build(firms, assets.crs)
    results["slice"]["index_build_s"] = round(time.perf_counter() - t, 1)
    del firms
    results["client_rss_after_build_mb"] = peak_rss_mb()
    log = attach()
    from distributed import Client

    with cluster(2) as two, Client(two) as client:
        results["load1_before_dask"] = load1()
        t = time.perf_counter()
        got = context_features(assets, index, RADII, layers=layers, engine="dask", client=client)
        results["dask_2_workers_s"] = round(time.perf_counter() - t, 1)
        results["worker_peak_rss_mb"] = client.run(process_peak_rss_mb)
    results["load1_after_dask"] = load1()
    results["client_rss_after_dask_mb"] = peak_rss_mb()
    _partitions(log, results)
    print(json.dumps(results, default=str), flush=True)  # kept if the check below fails
    # the numpy path on every asset (--check 0) or on a random sample of them: each asset's
    # features depend on the firms and layers only, so a sample's rows must equal the dask rows
    rows = (
        assets
        if args.check == 0
        else assets.iloc[
            np.sort(np.random.default_rng(args.seed).choice(len(assets), args.check, False))
        ]
    )
    t = time.perf_counter()
    expected = context_features(rows, index, RADII, layers=layers, n_jobs=2)
    results["numpy_2_threads_s"] = round(time.perf_counter() - t, 1)
    results["numpy_checked_assets"] = len(rows)
    results["load1_after_numpy"] = load1()
    pd.testing.assert_frame_equal(got.loc[expected.index], expected, check_exact=True)
    results["equal_to_numpy"] = True
    results["client_rss_peak_mb"] = peak_rss_mb()


def _partitions(log: EngineLog, results: dict) -> None:
    """The dask run's partitions as the engine logged them (times by step, firms)."""
    p = log.parts
    results["partitions"] = {
        "count": len(p),
        "assets": spread([d["assets"] for d in p]),
        **{
            step: spread([d.get(step, 0.0) for d in p])
            for step in sorted({k for d in p for k in d} - {"assets"})
        },
    }
    results["firms_per_partition"] = log.firms
    results["nearest_left_to_client"] = log.left
    results["client_nearest_s"] = log.client_nearest_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["scaling", "sweep", "slice"])
    parser.add_argument("--assets", type=int, default=20_000)
    parser.add_argument("--firms", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fraction", type=int, default=50)
    parser.add_argument(
        "--check",
        type=int,
        default=0,
        help="slice: compare with the numpy path on this many random assets (0: on all)",
    )
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    results: dict[str, object] = {
        "machine": machine(),
        "args": vars(args),
        "load_avg_1_5_15_start": os.getloadavg(),
    }
    {"scaling": scaling, "sweep": sweep, "slice": country_slice}[args.mode](args, results)
    results["load_avg_1_5_15_end"] = os.getloadavg()
    print(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
