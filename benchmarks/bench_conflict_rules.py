"""Cost of the narrowed default conflict rules in ``context_features`` (issue 7).

The default rules went from 13 rules on 7 division codes to 41 rules on 15 codes (C26 groups
261–267, C221, C222, C291 …), and a firm recorded only at division level now counts for the
finer codes. This times ``context_features`` on the synthetic case of ``bench_context.py``
(division-coded firms, the worst case for that) with the previous rules and with the current
defaults, alternating, several runs each.

Run: ``python benchmarks/bench_conflict_rules.py --assets 30000 --firms 300000 --runs 3
--old-rules path/to/previous/industry_conflicts.csv``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import pandas as pd
from bench_context import RADII, machine, make_case

from assetmatch.context import FirmIndex, context_features


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=30_000)
    parser.add_argument("--firms", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--old-rules", required=True, help="CSV of the previous default rules")
    args = parser.parse_args()
    print("machine:", machine(), "load:", os.getloadavg())
    assets, firms, layers = make_case(args.seed, args.assets, args.firms)
    old = pd.read_csv(args.old_rules, dtype={"source": str, "sensitive": str})
    index = FirmIndex.build(firms, assets.crs)
    times: dict[str, list[float]] = {"previous": [], "current": []}
    cols: dict[str, int] = {}
    for _ in range(args.runs):
        for name, rules in (("previous", old), ("current", None)):
            t = time.perf_counter()
            ctx = context_features(assets, index, RADII, layers=layers, conflicts=rules, n_jobs=1)
            times[name].append(time.perf_counter() - t)
            cols[name] = ctx.shape[1]
    for name, ts in times.items():
        print(
            f"{name}: median {statistics.median(ts):.2f} s, runs {[round(x, 2) for x in ts]}, "
            f"{cols[name]} columns"
        )
    ratio = statistics.median(times["current"]) / statistics.median(times["previous"])
    print(f"current / previous: {ratio:.2f}x; load at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
