"""Import checks: ``prepare_assets`` (read, map, parse and check every cell and geometry).

Usage::

    .venv/bin/python benchmarks/bench_import_checks.py [N] [RUNS] [--baseline SRC]

Two inputs of N rows each: the synthetic zone (``generate_zone(seed=1)``, a GeoDataFrame of
canonical columns) and the same assets as a Chinese spreadsheet written to CSV (中文表头 with
units: 面积（亩）, 租金（元/㎡/月）; 状态 闲置, 供地方式 先租后让、出让, 闲置时间 2021年3月 or
2021-03-04, 是否净地 是/否, 用途 工业 or a code, numbers with thousands separators, lon/lat
text columns, a free-text 备注 column). ``prepare_assets`` reads the CSV from the file
(``csv``), and again from the frame as read from the file (``sheet``: the checks alone).

Each run starts one fresh process per variant, in an order that rotates from run to run; the
process times ``prepare_assets`` REPS times after one warm-up call and reports the median:

* ``columns`` — this tree's code (the column paths of ``assetmatch.ingest.vector``);
* ``per-cell`` — this tree's code inside ``vector.per_cell()`` (every cell through the
  per-cell parsers, the reference the tests compare with);
* ``baseline`` — with ``--baseline SRC``, the ``src`` directory of an older checkout (for
  instance ``git archive <commit> src | tar -x -C /tmp/base``) imported instead of this one.

Prints one line per run and variant, then whether every variant gave the same outcome (the
prepared frame, problems, notes and repairs of every input, values with their types), then the
medians, their spread and the ratios.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

logger = logging.getLogger("bench_import_checks")

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
REPS = 3

_STATUS_ZH = {
    "idle": "闲置",
    "low_efficiency": "低效",
    "available": "可招商",
    "negotiating": "洽谈中",
    "reserved": "预留",
    "leased": "已出租",
    "transferred": "已出让",
    "in_use": "在用",
    "withdrawn": "已下架",
}
_KIND_ZH = {"land": "土地", "factory": "厂房", "campus": "厂区"}
_TENURE_ZH = {
    "lease": "租赁",
    "transfer": "出让",
    "lease_then_transfer": "先租后让",
    "auction": "拍卖",
}


def chinese_table(assets):
    """The zone's assets as a Chinese spreadsheet would hold them (every cell text)."""
    import numpy as np
    import pandas as pd
    import shapely

    rng = np.random.default_rng(7)
    n = len(assets)
    pts = shapely.point_on_surface(assets.geometry.to_numpy())
    mu = assets["declared_land_area_m2"].to_numpy() / (2000 / 3)
    commas = rng.random(n) < 0.3

    def text(v, fmt):
        return "" if v is None or (isinstance(v, float) and np.isnan(v)) else fmt.format(v)

    idle = []
    for k, d in enumerate(assets["idle_since"]):
        if d is None:
            idle.append("")
        elif k % 3 == 0:
            idle.append(f"{d.year}年{d.month}月")
        elif k % 3 == 1:
            idle.append(f"{d.year}年{d.month}月{d.day}日")
        else:
            idle.append(d.isoformat())
    land_use = [
        "工业" if (c == "1001" and s == "2020") else c
        for c, s in zip(assets["land_use"], assets["land_use_scheme"], strict=True)
    ]
    obstacles = [
        "；".join(f"{o['description']}（约{int(o['delay_days'] or 0)}天）" for o in obs) or "无"
        for obs in assets["obstacles"]
    ]
    return pd.DataFrame(
        {
            "资产编号": assets["asset_id"],
            "名称": assets["name"],
            "类型": assets["kind"].map(_KIND_ZH),
            "经度": [f"{x:.6f}" for x in shapely.get_x(pts)],
            "纬度": [f"{y:.6f}" for y in shapely.get_y(pts)],
            "面积（亩）": [
                text(m, "{:,.2f}" if c else "{:.2f}") for m, c in zip(mu, commas, strict=True)
            ],
            "建筑面积（㎡）": [text(v, "{:.0f}") for v in assets["building_area_m2"]],
            "层数": [text(v, "{}") if v is not pd.NA else "" for v in assets["floors"]],
            "状态": assets["status"].map(_STATUS_ZH),
            "供地方式": ["、".join(_TENURE_ZH[t] for t in ts) for ts in assets["tenure"]],
            "租金（元/㎡/月）": [text(v, "{:g}") for v in assets["rent_yuan_m2_month"]],
            "闲置时间": idle,
            "交付时间": [d.isoformat() if d is not None else "" for d in assets["ready_date"]],
            "是否净地": np.where(assets["net_land"], "是", "否"),
            "用途": land_use,
            "地类标准": assets["land_use_scheme"],
            "片区": assets["district"],
            "业主": assets["owner"],
            "联系电话": assets["contact"],
            "障碍": obstacles,
            "备注": np.where(rng.random(n) < 0.2, "已完成测绘", ""),
        }
    )


def _worker(variant: str, n: int, reps: int) -> None:
    import assetmatch
    from assetmatch.demo.zone import generate_zone
    from assetmatch.ingest import pipeline

    assets = generate_zone(seed=1, n_assets=n, n_firms=100).assets
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-checks-"))
    csv = tmp / "资产.csv"
    chinese_table(assets).to_csv(csv, index=False)
    from assetmatch.ingest.readers import read_source

    sheet = read_source(csv)  # the frame prepare_assets reads from the file (spreadsheet rows)
    inputs = {"zone": (assets, {}), "csv": (csv, {}), "sheet": (sheet, {})}
    store_crs = pipeline.prepare_assets(assets.iloc[:20], store_crs=None).crs

    def run(source, kw):
        if variant == "per-cell":
            from assetmatch.ingest import vector

            with vector.per_cell():
                return pipeline.prepare_assets(source, store_crs=store_crs, **kw)
        return pipeline.prepare_assets(source, store_crs=store_crs, **kw)

    out = {"src": str(Path(assetmatch.__file__).parent)}
    dump = {}
    for name, (source, kw) in inputs.items():
        prepared = run(source, kw)  # warm-up
        rep = prepared.report
        dump[name] = _outcome(prepared.frame, rep.rejected, rep.notes, rep.repaired, prepared.given)
        times = []
        for _ in range(reps):
            if name == "sheet":
                source = sheet.copy()
            t0 = time.perf_counter()
            run(source, kw)
            times.append(time.perf_counter() - t0)
        out[name] = statistics.median(times)
        out[name + "_rows"] = [len(prepared.frame), len(prepared.report.rejected)]
    out["outcome"] = hashlib.sha256(pickle.dumps(dump)).hexdigest()
    print(json.dumps(out))


def _outcome(*parts) -> list:
    """What an import gave, as plain values with their types (equal when the import is)."""
    import pandas as pd
    import shapely

    def plain(v):
        if isinstance(v, float) and v != v:
            return ("nan", type(v).__name__)
        if isinstance(v, list):
            return [plain(i) for i in v]
        if isinstance(v, dict):
            return sorted((k, plain(i)) for k, i in v.items())
        if isinstance(v, shapely.Geometry):
            return shapely.to_wkb(v)
        return (type(v).__name__, repr(v))

    out = []
    for part in parts:
        if isinstance(part, pd.DataFrame):
            out.append([list(part.columns), list(map(str, part.dtypes)), part.index.tolist()])
            out.extend([plain(v) for v in part[c]] for c in part.columns)
        else:
            out.append(plain(part))
    return out


def main(n: int, runs: int, baseline: str | None) -> None:
    variants = {"columns": str(SRC), "per-cell": str(SRC)}
    if baseline:
        variants["baseline"] = baseline
    names = list(variants)
    results: dict[str, list[dict]] = {v: [] for v in names}
    load = []
    for r in range(runs):
        order = names[r % len(names) :] + names[: r % len(names)]
        load.append(os.getloadavg()[0])
        for v in order:
            env = dict(os.environ, PYTHONPATH=variants[v])
            done = subprocess.run(
                [sys.executable, __file__, "--worker", v, str(n), str(REPS)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            res = json.loads(done.stdout.strip().splitlines()[-1])
            results[v].append(res)
            logger.warning(
                "run %d %-9s zone %.4f s  csv file %.4f s  csv frame %.4f s  (rows kept, "
                "problems: zone %s, csv %s)",
                r,
                v,
                res["zone"],
                res["csv"],
                res["sheet"],
                res["zone_rows"],
                res["csv_rows"],
            )
    logger.warning("N=%d, %d runs x %d reps, 1-min load average %s", n, runs, REPS, load)
    outcomes = {v: {x["outcome"] for x in results[v]} for v in names}
    logger.warning(
        "outcomes (frame, problems, notes, repairs of every input): %s",
        "all identical" if len(set().union(*outcomes.values())) == 1 else f"DIFFER {outcomes}",
    )
    for what in ("zone", "csv", "sheet"):
        med = {v: statistics.median(x[what] for x in results[v]) for v in names}
        for v in names:
            xs = [x[what] for x in results[v]]
            logger.warning(
                "%-4s %-9s median %.4f s (min %.4f, max %.4f)%s",
                what,
                v,
                med[v],
                min(xs),
                max(xs),
                "" if v == "columns" else f", {med[v] / med['columns']:.1f}x columns",
            )


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        logging.getLogger().setLevel(logging.ERROR)
        _worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        args = sys.argv[1:]
        base = None
        if "--baseline" in args:
            i = args.index("--baseline")
            base = args[i + 1]
            del args[i : i + 2]
        main(int(args[0]) if args else 10_000, int(args[1]) if len(args) > 1 else 3, base)
