"""The dask engine of :func:`assetmatch.context.context_features`: spatial partitions.

The assets are sorted along a Hilbert curve (dask-geopandas's ``hilbert_distance`` of their
rectangle centres) and cut into contiguous runs, so each partition covers a compact area. Each
partition travels with **its own firms only**: those of the prepared
:class:`~assetmatch.context.firms.FirmIndex` within the partition's box plus a halo (the largest
radius and the parcels' reach, which holds every tile's window, plus :data:`_FAR_HALO_M`), cut
from the index on the same grid and in the same order (:meth:`FirmIndex.subset`), so a worker
never needs the whole firm table and reads exactly the firms the one-machine path reads.

The nearest firm of an industry that is not within the largest radius is searched among the
partition's firms, and kept only where every firm outside the halo is surely farther (the
halo's distance from the parcel's rectangle centre, less the parcel's reach); the rest are left
to the caller, which searches them in the whole index (``kernel._fallback_nearest``) — so
every number equals the one-machine path's exactly. Firm ids travel as ordinals and are
looked up on the caller's side.

Where the partitions go: scattered from the client to one worker each (in memory), or, for large
inputs or when ``intermediate_dir`` is given, written as GeoParquet files (the parcels, and the
partition's firms as points) into a directory the workers read, each task writing its results as
a Parquet file beside them — so only file names go through the scheduler and the client never
holds every worker's copy at once. The reference layers, the industry groups and the parameters
are sent to every worker once.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from .._cluster import connect, run_chunks, threads
from .._errors import ClusterError
from .firms import FirmIndex, _Labels
from .kernel import _EPS_M, ProgressCallback, _block_features, _fallback_nearest, _Out
from .parcels import _Assets, _prepare_assets
from .spec import _Setup, _Spec

logger = logging.getLogger(__name__)

#: Default partition size in assets (at least two partitions per worker thread).
_PARTITION_ASSETS: Final = 20_000
#: Halo in metres beyond what the counts need, within which nearest firms are found on the
#: worker; a nearest firm farther than that from a partition's edge is searched by the caller.
_FAR_HALO_M: Final = 5_000.0
#: Without ``intermediate_dir``, inputs of at least this many assets go through GeoParquet files
#: in a temporary directory — when every worker can read the client's temporary directory.
_PARQUET_ASSETS: Final = 500_000


def _dask_features(
    setup: _Setup,
    layers: Mapping[str, gpd.GeoDataFrame] | None,
    *,
    client: Any,
    scheduler: str | None,
    npartitions: int | None,
    progress: ProgressCallback | None,
    intermediate_dir: str | os.PathLike[str] | None = None,
) -> tuple[_Assets, _Out]:
    """Features of every asset on dask; nearest firms beyond every halo are left as NaN."""
    with connect(client, scheduler, current=True) as cluster:
        n = len(setup.ids)
        A = _prepare_assets(setup.ids, setup.geoms)
        parts = _hilbert_partitions(setup, A, npartitions, threads(cluster) if cluster else 2)
        out = _Out.empty(n, setup.labels.n, len(setup.spec.radii))
        for name in setup.spec.layer_names:
            out.access[name] = np.full(n, np.inf)
        collect = _Collector(out, n, progress, setup.index)
        folder = _intermediate_folder(cluster, intermediate_dir, n)
        logger.info(
            "context features (dask): %d Hilbert partitions of %d-%d assets on %s, %s",
            len(parts),
            min(map(len, parts)),
            max(map(len, parts)),
            "dask's local scheduler" if cluster is None else f"{threads(cluster)} worker thread(s)",
            "in memory" if folder is None else f"through GeoParquet files in {folder}",
        )
        sizes: list[int] = []
        made = [0.0]

        def partitions() -> Iterator[_Part | _PartFiles]:
            """Each partition with its firms, made while the previous ones are on their way."""
            for k, pos in enumerate(parts):
                started = time.perf_counter()
                part = _partition(setup, A, pos, k, folder)
                made[0] += time.perf_counter() - started
                sizes.append(part.n_firms)
                yield part

        try:
            shared = {"labels": setup.labels, "spec": setup.spec, "layers": dict(layers or {})}
            if cluster is None:
                import dask

                tasks = [dask.delayed(_partition_chunk)(c, **shared) for c in partitions()]
                for k, result in enumerate(dask.compute(*tasks)):
                    collect(parts[k], result)
            else:
                run_chunks(
                    cluster,
                    _partition_chunk,
                    partitions(),
                    shared,
                    lambda k, result: collect(parts[k], result),
                    scatter_chunks=folder is None,
                    what="context features (dask)",
                )
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        logger.info(
            "context features (dask): %d-%d firms per partition (box plus halo), %.0f %% of the "
            "%d firms in all; cutting them out (and writing files) took %.2f s here",
            min(sizes),
            max(sizes),
            100.0 * sum(sizes) / max(len(setup.index), 1),
            len(setup.index),
            made[0],
        )
        left = int(np.isnan(out.nearest).sum())
        if left:
            logger.info(
                "context features (dask): %d nearest firms beyond the partitions' halos are "
                "searched in the whole firm index",
                left,
            )
        return A, out


def _hilbert_partitions(
    setup: _Setup, A: _Assets, npartitions: int | None, threads: int
) -> list[np.ndarray]:
    """Asset positions of each partition: contiguous runs along a Hilbert curve."""
    try:
        import dask_geopandas
    except ImportError as exc:  # pragma: no cover - the dask extra is in the test extra
        raise ClusterError(
            'engine="dask" needs dask-geopandas: pip install "assetmatch[dask]"'
        ) from exc

    n = len(setup.ids)
    nparts = npartitions or max(2 * threads, math.ceil(n / _PARTITION_ASSETS))
    nparts = max(1, min(nparts, n))
    centres = gpd.GeoSeries(gpd.points_from_xy(A.ox, A.oy), crs=setup.crs)
    distance = (
        dask_geopandas.from_geopandas(centres, npartitions=1)
        .hilbert_distance(total_bounds=centres.total_bounds)
        .compute(scheduler="sync")
        .to_numpy()
    )
    order = np.argsort(distance, kind="stable")
    return [np.sort(p) for p in np.array_split(order, nparts) if len(p)]


# --------------------------------------------------------------------------------------------
# Partitions and what travels with them


@dataclass(frozen=True)
class _Part:
    """A partition in memory: its parcels and the firms of its box plus halo."""

    geoms: np.ndarray
    firms: FirmIndex
    box: tuple[float, float, float, float]

    @property
    def n_firms(self) -> int:
        return len(self.firms)

    def load(self) -> tuple[np.ndarray, FirmIndex]:
        return self.geoms, self.firms

    def store(self, result: tuple[Any, ...]) -> tuple[Any, ...]:
        return result


@dataclass(frozen=True)
class _PartFiles:
    """A partition as GeoParquet files in a directory the workers read, and its result file."""

    assets: str
    firms: str
    result: str
    box: tuple[float, float, float, float]
    crs: Any
    grid: tuple[float, float, float, int, int]
    categories: np.ndarray
    n_firms: int

    def load(self) -> tuple[np.ndarray, FirmIndex]:
        geoms = np.asarray(gpd.read_parquet(self.assets).geometry.array, dtype=object)
        points = gpd.read_parquet(self.firms)
        ordinal = points["ordinal"].to_numpy(dtype=np.int64)
        firms = FirmIndex(
            crs=self.crs,
            x=points.geometry.x.to_numpy(),
            y=points.geometry.y.to_numpy(),
            ordinal=ordinal,
            firm_id=ordinal,  # ids are looked up by ordinal on the caller's side
            category=points["category"].to_numpy(dtype=np.int32),
            categories=self.categories,
            grid=self.grid,
        )
        return geoms, firms

    def store(self, result: tuple[Any, ...]) -> str:
        _write_result(self.result, result)
        return self.result


def _partition(
    setup: _Setup, A: _Assets, pos: np.ndarray, k: int, folder: Path | None
) -> _Part | _PartFiles:
    """Partition ``k`` (asset positions ``pos``) with the firms it needs, ready to send."""
    F = setup.index
    # every tile's window is its assets' rectangle centres plus rmax + reach + _EPS_M (see
    # kernel._run_tile): the partition's box with the largest reach holds them all
    margin = setup.spec.rmax + float(A.reach[pos].max()) + _EPS_M + 1.0 + _FAR_HALO_M
    box = (
        float(A.ox[pos].min()) - margin,
        float(A.oy[pos].min()) - margin,
        float(A.ox[pos].max()) + margin,
        float(A.oy[pos].max()) + margin,
    )
    firms = F.subset(F.window(*box))
    firms.firm_id = firms.ordinal  # ids are looked up by ordinal on the caller's side
    if folder is None:
        return _Part(setup.geoms[pos], firms, box)
    files = _PartFiles(
        assets=str(folder / f"assets-{k:05d}.parquet"),
        firms=str(folder / f"firms-{k:05d}.parquet"),
        result=str(folder / f"result-{k:05d}.parquet"),
        box=box,
        crs=F.crs,
        grid=F._grid,
        categories=F.categories,
        n_firms=len(firms),
    )
    gpd.GeoDataFrame(geometry=setup.geoms[pos], crs=F.crs).to_parquet(files.assets)
    gpd.GeoDataFrame(
        {"ordinal": firms.ordinal, "category": firms.category},
        geometry=gpd.points_from_xy(firms.x, firms.y),
        crs=F.crs,
    ).to_parquet(  # native points, no WKB to encode (geopandas cannot write none that way)
        files.firms, geometry_encoding="geoarrow" if len(firms) else "WKB"
    )
    return files


def _intermediate_folder(
    cluster: Any, intermediate_dir: str | os.PathLike[str] | None, n: int
) -> Path | None:
    """A new directory for the GeoParquet files, or ``None`` to keep partitions in memory."""
    if intermediate_dir is None and n < _PARQUET_ASSETS:
        return None
    parent = None if intermediate_dir is None else Path(intermediate_dir)
    if parent is not None and not parent.is_dir():
        raise ClusterError(f"intermediate_dir {str(parent)!r} is not a directory")
    folder = Path(tempfile.mkdtemp(prefix="assetmatch-dask-", dir=parent))
    if cluster is None:
        return folder
    token = uuid.uuid4().hex
    marker = folder / "marker"
    marker.write_text(token)
    seen = cluster.run(_reads_marker, str(marker), token)
    if all(seen.values()):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    blind = sorted(w for w, ok in seen.items() if not ok)
    if parent is not None:
        raise ClusterError(
            f"intermediate_dir {str(parent)!r} is not readable by every dask worker "
            f"({', '.join(blind)} cannot see it); give a directory they share"
        )
    logger.info(
        "context features (dask): the workers %s cannot read the client's temporary "
        "directory; partitions are sent in memory",
        ", ".join(blind),
    )
    return None


def _reads_marker(path: str, token: str) -> bool:
    try:
        return Path(path).read_text() == token
    except OSError:
        return False


# --------------------------------------------------------------------------------------------
# Tasks and results


def _partition_chunk(
    part: _Part | _PartFiles,
    labels: _Labels,
    spec: _Spec,
    layers: Mapping[str, gpd.GeoDataFrame],
) -> tuple[Any, dict[str, float]]:
    """One partition's features (or the file holding them) and the seconds of each step.

    Steps: ``load`` (reading the files; nothing in memory), ``prepare`` (parcels as numbers),
    ``kernel`` (counts, presence, nearest firms within the largest radius, access),
    ``nearest`` (nearest firms beyond it among the partition's firms), ``store``; and ``cpu``,
    the CPU seconds of the task's thread (on a busy machine, wall time minus waiting).
    """
    clock = _Clock()
    geoms, F = part.load()
    clock("load")
    A = _prepare_assets(pd.RangeIndex(len(geoms)), geoms)
    clock("prepare")
    out = _block_features(
        A, F, labels, spec, layers or None, chunk_size=len(geoms) + 1, progress=None, n_jobs=1
    )
    clock("kernel")
    _fallback_within(A, F, labels, out, part.box)
    clock("nearest")
    stored = part.store((out.counts, out.presence, out.nearest, out.nearest_ord, out.access))
    clock("store")
    return stored, clock.done()


class _Clock:
    """Seconds between successive calls, by step name."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.cpu = time.thread_time()
        self.steps: dict[str, float] = {}

    def __call__(self, step: str) -> None:
        now = time.perf_counter()
        self.steps[step] = now - self.last
        self.last = now

    def done(self) -> dict[str, float]:
        """The steps, and ``cpu``: this thread's CPU seconds over all of them."""
        return {**self.steps, "cpu": time.thread_time() - self.cpu}


def _fallback_within(
    A: _Assets, F: FirmIndex, labels: _Labels, out: _Out, box: tuple[float, float, float, float]
) -> None:
    """Nearest firms beyond the largest radius that the partition's own firms surely give.

    ``F`` holds every firm inside ``box``. A firm outside it is at least ``e`` from an asset's
    rectangle centre (``e`` its distance to the box's edge), so at least ``e - reach`` from the
    parcel: a nearest firm found closer than that (with a metre to spare) is the nearest of all
    firms, ties included. The others are left as NaN for the caller's whole index.
    """
    todo = np.isnan(out.nearest)
    if not todo.any():
        return
    _fallback_nearest(A, F, labels, out)
    edge = np.minimum.reduce([A.ox - box[0], A.oy - box[1], box[2] - A.ox, box[3] - A.oy])
    sure = out.nearest < (edge - A.reach - 1.0)[:, None]
    undo = todo & ~sure
    out.nearest[undo] = np.nan
    out.nearest_ord[undo] = -1
    out.nearest_id[undo] = None


def _write_result(path: str, result: tuple[Any, ...]) -> None:
    """A partition's raw results as one Parquet table (one column per array column)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    counts, presence, nearest, nearest_ord, access = result
    _, n_labels, n_radii = counts.shape
    columns: dict[str, Any] = {}
    for j in range(n_labels):
        for r in range(n_radii):
            columns[f"count_{j}_{r}"] = counts[:, j, r]
        columns[f"presence_{j}"] = presence[:, j]
        columns[f"nearest_{j}"] = nearest[:, j]
        columns[f"ordinal_{j}"] = nearest_ord[:, j]
    for name, values in access.items():
        columns[f"access_{name}"] = values
    pq.write_table(pa.table(columns), path)


def _read_result(path: str, n_labels: int, n_radii: int) -> tuple[Any, ...]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    n = table.num_rows

    def col(name: str) -> np.ndarray:
        return table.column(name).to_numpy()

    counts = np.empty((n, n_labels, n_radii), dtype=np.int32)
    presence = np.empty((n, n_labels))
    nearest = np.empty((n, n_labels))
    nearest_ord = np.empty((n, n_labels), dtype=np.int64)
    for j in range(n_labels):
        for r in range(n_radii):
            counts[:, j, r] = col(f"count_{j}_{r}")
        presence[:, j] = col(f"presence_{j}")
        nearest[:, j] = col(f"nearest_{j}")
        nearest_ord[:, j] = col(f"ordinal_{j}")
    access = {
        name[len("access_") :]: col(name)
        for name in table.column_names
        if name.startswith("access_")
    }
    return counts, presence, nearest, nearest_ord, access


class _Collector:
    """Writes each partition's rows into the whole result and reports progress."""

    def __init__(
        self, out: _Out, n: int, progress: ProgressCallback | None, index: FirmIndex
    ) -> None:
        self.out, self.n, self.progress, self.done = out, n, progress, 0
        self.started = time.perf_counter()
        # firm id by ordinal: tasks return ordinals, not the ids themselves
        self.ids = np.empty(int(index.ordinal.max()) + 1 if len(index) else 0, dtype=object)
        self.ids[index.ordinal] = index.firm_id

    def __call__(self, pos: np.ndarray, result: tuple[Any, dict[str, float]]) -> None:
        raw, steps = result
        out = self.out
        if isinstance(raw, str):
            started = time.perf_counter()
            raw = _read_result(raw, out.presence.shape[1], out.counts.shape[2])
            steps = {**steps, "read": time.perf_counter() - started}
        counts, presence, nearest, nearest_ord, access = raw
        out.counts[pos] = counts
        out.presence[pos] = presence
        out.nearest[pos] = nearest
        out.nearest_ord[pos] = nearest_ord
        found = nearest_ord >= 0
        ids = np.full(nearest_ord.shape, None, dtype=object)
        ids[found] = self.ids[nearest_ord[found]]
        out.nearest_id[pos] = ids
        for name, values in access.items():
            out.access[name][pos] = values
        self.done += len(pos)
        logger.info(
            "context features (dask): %d/%d assets (%.1f %%), partition of %d in %.2f s (%s), "
            "%.1f s elapsed",
            self.done,
            self.n,
            100.0 * self.done / max(self.n, 1),
            len(pos),
            sum(v for k, v in steps.items() if k != "cpu"),
            ", ".join(f"{k} {v:.2f}" for k, v in steps.items()),
            time.perf_counter() - self.started,
        )
        if self.progress is not None:
            self.progress(self.done, self.n)
