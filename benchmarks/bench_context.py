"""Benchmark of context features on a province-sized synthetic case.

    python benchmarks/bench_context.py                       # the province case (slow)
    python benchmarks/bench_context.py --assets 30000 --firms 300000 --subset 500   # quick

The case (all synthetic): a 300 km x 400 km box in EPSG:4549 metres (120,000 km²); 200
industrial clusters of 5 km radius; 80% of the firms and 80% of the assets inside the clusters,
the rest spread uniformly; 20 industries, each cluster with its own industry mix; parcels are
rotated, slightly irregular quadrilaterals of 40–250 m a side, with 5% L-shaped parcels and 5%
point-only assets; 3 radii (1, 3, 5 km); the default conflict rules; 4 reference layers.

Measured in one run:

1. ``context_features`` on the whole case (firm index built from the GeoDataFrame included),
   wall time and peak resident memory (``ru_maxrss``);
2. on a random subset of assets against the full firm table, the obvious geopandas way
   (buffer each parcel by r, ``gpd.sjoin`` with the firms, group and count) and the exact
   geopandas way (``sjoin(predicate="dwithin")``); the counts of ``context_features`` must
   equal the exact way's before any ratio is printed, and the buffer way's differences are
   counted (buffers are polygons, so firms within centimetres–metres of a rounded corner can
   differ);
3. ``refresh_context`` after moving one asset, median of repeated runs, with a prepared
   :class:`~assetmatch.context.FirmIndex` as the inventory keeps it.

The machine's load average is recorded at the start and the end of the run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import statistics
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import assetmatch
from assetmatch.context import FirmIndex, context_features, refresh_context

CRS = "EPSG:4549"
BOX = (350_000.0, 2_600_000.0, 650_000.0, 3_000_000.0)  # 300 km x 400 km
INDUSTRIES = [
    "C13",
    "C14",
    "C17",
    "C18",
    "C19",
    "C22",
    "C26",
    "C28",
    "C29",
    "C30",
    "C33",
    "C34",
    "C35",
    "C36",
    "C38",
    "C39",
    "C40",
    "G54",
    "G59",
    "M73",
]
RADII = (1000, 3000, 5000)


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def clustered_points(
    rng: np.random.Generator,
    n: int,
    centres: np.ndarray,
    share: float,
    radius: float,
    box: tuple[float, float, float, float] = BOX,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y and cluster id (-1 outside) of n points, ``share`` of them in the clusters."""
    n_in = int(n * share)
    which = rng.integers(len(centres), size=n_in)
    r = radius * np.sqrt(rng.uniform(size=n_in))
    t = rng.uniform(0, 2 * np.pi, n_in)
    x = np.concatenate([centres[which, 0] + r * np.cos(t), rng.uniform(box[0], box[2], n - n_in)])
    y = np.concatenate([centres[which, 1] + r * np.sin(t), rng.uniform(box[1], box[3], n - n_in)])
    cluster = np.concatenate([which, np.full(n - n_in, -1)])
    return x, y, cluster


def make_case(
    seed: int,
    n_assets: int,
    n_firms: int,
    box: tuple[float, float, float, float] = BOX,
    n_clusters: int = 200,
) -> tuple[gpd.GeoDataFrame, ...]:
    """The synthetic case; ``box`` and ``n_clusters`` scale it (the province: the defaults)."""
    rng = np.random.default_rng(seed)
    centres = np.column_stack(
        [
            rng.uniform(box[0] + 5000, box[2] - 5000, n_clusters),
            rng.uniform(box[1] + 5000, box[3] - 5000, n_clusters),
        ]
    )
    # firms: each cluster draws its industries from its own mix
    fx, fy, cl = clustered_points(rng, n_firms, centres, 0.8, 5000.0, box)
    mixes = rng.dirichlet(np.full(len(INDUSTRIES), 0.5), size=len(centres) + 1)
    cum = np.cumsum(mixes, axis=1)
    u = rng.uniform(size=n_firms)
    ind = (u[:, None] > cum[cl]).sum(axis=1).clip(0, len(INDUSTRIES) - 1)
    firms = gpd.GeoDataFrame(
        {"firm_id": np.arange(n_firms), "industry": np.array(INDUSTRIES, dtype=object)[ind]},
        geometry=shapely.points(fx, fy),
        crs=CRS,
    )
    # assets: rotated irregular quadrilaterals, 5% L-shapes, 5% points
    ax, ay, _ = clustered_points(rng, n_assets, centres, 0.8, 5000.0, box)
    w = rng.uniform(40, 250, n_assets)
    h = rng.uniform(40, 250, n_assets)
    theta = rng.uniform(0, np.pi, n_assets)
    kind = rng.uniform(size=n_assets)
    quad = (
        np.stack(
            [
                np.column_stack([-w, -h]),
                np.column_stack([w, -h]),
                np.column_stack([w, h]),
                np.column_stack([-w, h]),
            ],
            axis=1,
        )
        / 2
    )
    quad = quad + rng.normal(0, 3, quad.shape)
    ell = (
        np.stack(
            [[-w, -h], [w, -h], [w, -h / 3], [-w / 3, -h / 3], [-w / 3, h], [-w, h]], axis=0
        ).transpose(2, 0, 1)
        / 2
    )
    c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]

    def place(shape: np.ndarray, idx: np.ndarray) -> np.ndarray:
        px = shape[idx, :, 0] * c[idx] - shape[idx, :, 1] * s[idx] + ax[idx, None]
        py = shape[idx, :, 0] * s[idx] + shape[idx, :, 1] * c[idx] + ay[idx, None]
        ring = np.stack([px, py], axis=2)
        return shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))

    geoms = np.empty(n_assets, dtype=object)
    is_point = kind < 0.05
    is_l = (kind >= 0.05) & (kind < 0.10)
    is_quad = kind >= 0.10
    geoms[is_point] = shapely.points(ax[is_point], ay[is_point])
    geoms[is_l] = place(ell, np.flatnonzero(is_l))
    geoms[is_quad] = place(quad, np.flatnonzero(is_quad))
    assets = gpd.GeoDataFrame(
        {"asset_id": [f"P{i:06d}" for i in range(n_assets)]}, geometry=geoms, crs=CRS
    )
    layers = {}
    for name, count in [
        ("highway_exit", 300),
        ("port", 12),
        ("rail_station", 80),
        ("town_centre", 400),
    ]:
        lx, ly, _ = clustered_points(rng, count, centres, 0.5, 8000.0, box)
        layers[name] = gpd.GeoDataFrame(geometry=shapely.points(lx, ly), crs=CRS)
    return assets, firms, layers


def geopandas_counts(
    assets: gpd.GeoDataFrame, firms: gpd.GeoDataFrame, *, exact: bool
) -> pd.DataFrame:
    """Firms per (asset, industry, radius) the obvious geopandas way."""
    out = {}
    base = assets[["asset_id", "geometry"]]
    for r in RADII:
        if exact:
            joined = gpd.sjoin(
                base, firms[["industry", "geometry"]], predicate="dwithin", distance=r
            )
        else:
            buffered = base.set_geometry(base.buffer(r))
            joined = gpd.sjoin(buffered, firms[["industry", "geometry"]], predicate="intersects")
        counts = joined.groupby(["asset_id", "industry"]).size().unstack(fill_value=0)
        for ind in counts.columns:
            out[f"n_{ind}_{r}m"] = counts[ind]
        del joined
    table = pd.DataFrame(out).reindex(assets["asset_id"]).fillna(0).astype(np.int64)
    table.index.name = "asset_id"
    return table


def machine() -> dict[str, object]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as fh:
        mem_kb = int(fh.readline().split()[1])
    import dask
    import scipy

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024**2, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "geopandas": gpd.__version__,
        "shapely": shapely.__version__,
        "scipy": scipy.__version__,
        "dask": dask.__version__,
        "assetmatch": assetmatch.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=300_000)
    parser.add_argument("--firms", type=int, default=3_000_000)
    parser.add_argument("--subset", type=int, default=2000)
    parser.add_argument("--refresh-repeats", type=int, default=21)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-full", action="store_true", help="only subset and refresh")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    results: dict[str, object] = {
        "machine": machine(),
        "args": vars(args),
        "load_avg_1_5_15_start": os.getloadavg(),
    }

    t = time.perf_counter()
    assets, firms, layers = make_case(args.seed, args.assets, args.firms)
    results["generate_s"] = round(time.perf_counter() - t, 1)
    results["rss_after_generate_mb"] = round(rss_mb())
    print(f"generated {len(assets)} assets, {len(firms)} firms in {results['generate_s']} s")

    # 1. the whole case
    if not args.skip_full:
        t = time.perf_counter()
        ctx = context_features(assets, firms, RADII, layers=layers, n_jobs=args.n_jobs)
        results["full_s"] = round(time.perf_counter() - t, 1)
        results["full_peak_rss_mb"] = round(rss_mb())
        results["full_columns"] = ctx.shape[1]
        print(f"full case: {results['full_s']} s, peak RSS {results['full_peak_rss_mb']} MB")

    # 2. subset against geopandas
    rng = np.random.default_rng(args.seed + 1)
    sub = assets.iloc[np.sort(rng.choice(len(assets), args.subset, replace=False))]
    t = time.perf_counter()
    index = FirmIndex.build(firms, assets.crs)
    index_s = time.perf_counter() - t
    t = time.perf_counter()
    ours = context_features(sub, index, RADII, industries=INDUSTRIES, conflicts=[], n_jobs=1)
    ours_s = time.perf_counter() - t
    fresh = gpd.GeoDataFrame(
        firms[["industry"]],
        geometry=shapely.points(shapely.get_coordinates(np.asarray(firms.geometry.array))),
        crs=CRS,
    )
    t = time.perf_counter()
    fresh.sindex.query(shapely.box(0, 0, 1, 1))  # build the STRtree
    sindex_s = time.perf_counter() - t
    t = time.perf_counter()
    gp_buffer = geopandas_counts(sub, fresh, exact=False)
    gp_buffer_s = time.perf_counter() - t
    t = time.perf_counter()
    gp_exact = geopandas_counts(sub, fresh, exact=True)
    gp_exact_s = time.perf_counter() - t
    cols = [f"n_{i}_{r}m" for i in INDUSTRIES for r in RADII]
    mine = ours[cols].astype(np.int64)
    exact = gp_exact.reindex(columns=cols, fill_value=0)
    pd.testing.assert_frame_equal(mine, exact, check_names=False, check_index_type=False)
    buffer = gp_buffer.reindex(columns=cols, fill_value=0)
    buffer_diff = int((buffer.to_numpy() != mine.to_numpy()).sum())
    buffer_firms = int(np.abs(buffer.to_numpy() - mine.to_numpy()).sum())
    results["subset"] = {
        "assets": len(sub),
        "firm_pairs_within_5km": int(mine[[f"n_{i}_5000m" for i in INDUSTRIES]].sum().sum()),
        "ours_index_build_s": round(index_s, 2),
        "ours_compute_s": round(ours_s, 2),
        "geopandas_sindex_build_s": round(sindex_s, 2),
        "geopandas_buffer_sjoin_s": round(gp_buffer_s, 2),
        "geopandas_dwithin_sjoin_s": round(gp_exact_s, 2),
        "counts_identical_to_dwithin": True,
        "buffer_cells_differing": buffer_diff,
        "buffer_firms_differing": buffer_firms,
        "ratio_buffer_vs_ours_indexed": round(gp_buffer_s / ours_s, 1),
        "ratio_dwithin_vs_ours_indexed": round(gp_exact_s / ours_s, 1),
        "ratio_buffer_vs_ours_with_index_builds": round(
            (gp_buffer_s + sindex_s) / (ours_s + index_s), 1
        ),
    }
    print(json.dumps(results["subset"], indent=1))
    del gp_buffer, gp_exact, fresh

    # 3. refresh one moved asset
    if not args.skip_full:
        times = []
        moved = assets.copy()
        geom_col = moved.geometry.name
        for k in range(args.refresh_repeats):
            i = int(rng.integers(len(moved)))
            moved.iloc[i, moved.columns.get_loc(geom_col)] = shapely.affinity.translate(
                moved.geometry.iloc[i], 25.0, -10.0
            )
            t = time.perf_counter()
            ctx = refresh_context(
                ctx, moved, index, changed_asset_ids=[moved["asset_id"].iloc[i]], layers=layers
            )
            times.append(time.perf_counter() - t)
            if k == 0:  # check once against a fresh computation of that row
                one = context_features(moved.iloc[[i]], index, RADII, layers=layers)
                pd.testing.assert_frame_equal(ctx.iloc[[i]], one, check_exact=True)
        results["refresh_one_asset_median_ms"] = round(1000 * statistics.median(times), 1)
        results["refresh_one_asset_min_ms"] = round(1000 * min(times), 1)
        print(f"refresh one asset: median {results['refresh_one_asset_median_ms']} ms")
    results["peak_rss_mb"] = round(rss_mb())
    results["load_avg_1_5_15_end"] = os.getloadavg()  # includes this script's own threads
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
