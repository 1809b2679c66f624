"""Benchmark PDF briefs: a 10-site and a 100-site report on the synthetic demo zone.

Each run matches a broad brief on the demo zone (320 assets, 3,200 firms) with ``top=N`` and
times ``MatchResult.to_pdf`` end to end (content and explanations, matplotlib maps, Typst
layout, writing the file). The baseline, timed in the same run right before, is the text brief
of the same sites: ``str(result.explain(asset_id))`` for each ranked site, which is what a PDF
adds maps, charts and layout to. Goals (issue 9): 10 sites under 5 s, 100 sites under 30 s on
2 cores.

Usage::

    python benchmarks/bench_report.py                 # 10 and 100 sites, 3 runs each
    python benchmarks/bench_report.py --sites 10 --runs 5 --json out.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import assetmatch as am

#: A broad brief, so that the demo zone has well over 100 eligible sites.
BRIEF: dict[str, Any] = {
    "investor": "Benchmark Investor (synthetic)",
    "industry": "C39",
    "land_use": "1001",
    "tenure": ["lease", "transfer", "lease_then_transfer", "auction"],
    "max_rent_yuan_m2_month": 18,
    "avoid_industries": {"C26": 1000},
    "priorities": {"size": 3, "readiness": 4},
}


def _run(inv: am.Inventory, n: int, lang: str, out: Path) -> dict[str, float]:
    res = am.match(BRIEF, inventory=inv, top=n, lang=lang)
    if len(res.table) < n:
        raise SystemExit(f"only {len(res.table)} eligible sites for a {n}-site report")
    t0 = time.perf_counter()
    for aid in res.table["asset_id"]:
        str(res.explain(aid, lang=lang))
    t1 = time.perf_counter()
    c1 = time.process_time()
    path = res.to_pdf(out / f"bench_{n}_{lang}.pdf", lang=lang)
    t2 = time.perf_counter()
    c2 = time.process_time()
    return {"text": t1 - t0, "pdf": t2 - t1, "cpu": c2 - c1, "bytes": path.stat().st_size}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sites", type=int, nargs="+", default=[10, 100])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--lang", default="zh")
    p.add_argument("--json", default=None)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    inv = am.Inventory.demo()
    results: dict[str, Any] = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "runs": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        am.match(BRIEF, inventory=inv, top=1).to_pdf(Path(tmp) / "warm.pdf")  # imports, fonts
        for n in args.sites:
            rows = []
            for _ in range(args.runs):
                load = os.getloadavg()[0]
                r = _run(inv, n, args.lang, Path(tmp))
                r["load"] = load
                rows.append(r)
                print(
                    f"{n:4d} sites: pdf {r['pdf']:6.2f} s (CPU {r['cpu']:6.2f} s), "
                    f"text brief {r['text']:5.2f} s, "
                    f"ratio {r['pdf'] / r['text']:5.1f}x, {r['bytes'] / 1e6:.2f} MB, "
                    f"load {load:.1f}"
                )
            pdf = [r["pdf"] for r in rows]
            print(
                f"{n:4d} sites: median {statistics.median(pdf):.2f} s "
                f"(min {min(pdf):.2f}, max {max(pdf):.2f}) over {len(rows)} runs"
            )
            results["runs"][str(n)] = rows
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
