"""The dask engine of :func:`assetmatch.context.context_features`: spatial partitions.

The assets are sorted along a Hilbert curve (dask-geopandas's ``hilbert_distance`` of their
bounds' centres) and cut into contiguous runs, so each partition covers a compact area. The
prepared :class:`~assetmatch.context.firms.FirmIndex` and the reference layers are sent to every
worker once (``client.scatter(..., broadcast=True)``), each partition once to one worker; tasks
only carry references to them, so the graph stays small whatever the number of firms. A task
reads from the index only the firms within its tiles' boxes plus a halo of the largest radius
(the grid window of :class:`FirmIndex`), then looks for the nearest firms not found within that
halo in the whole scattered index — so every number equals the one-machine path's exactly.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import ClusterError
from .firms import FirmIndex, _Labels
from .kernel import ProgressCallback, _block_features, _fallback_nearest, _Out
from .parcels import _Assets, _prepare_assets
from .spec import _Setup, _Spec

logger = logging.getLogger(__name__)

#: Default partition size in assets (at least two partitions per worker thread).
_PARTITION_ASSETS = 20_000


def _dask_features(
    setup: _Setup,
    layers: Mapping[str, gpd.GeoDataFrame] | None,
    *,
    client: Any,
    scheduler: str | None,
    npartitions: int | None,
    progress: ProgressCallback | None,
) -> tuple[_Assets, _Out]:
    try:
        import dask
        import distributed
    except ImportError as exc:  # pragma: no cover - the dask extra is in the test extra
        raise ClusterError(
            'engine="dask" needs dask.distributed and dask-geopandas: '
            'pip install "assetmatch[dask]"'
        ) from exc
    if client is not None and scheduler is not None:
        raise ClusterError("give either client= or scheduler=, not both")
    own = None
    if scheduler is not None:
        try:
            own = client = distributed.Client(scheduler)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"cannot reach the dask scheduler at {scheduler!r}: {exc}") from exc
    if client is None:
        try:
            client = distributed.get_client()
        except ValueError:
            client = None
    try:
        n = len(setup.ids)
        A = _prepare_assets(setup.ids, setup.geoms)
        threads = sum(client.nthreads().values()) if client is not None else 2
        parts = _hilbert_partitions(setup, A, npartitions, threads)
        out = _Out.empty(n, setup.labels.n, len(setup.spec.radii))
        for name in setup.spec.layer_names:
            out.access[name] = np.full(n, np.inf)
        collect = _Collector(out, n, progress)
        logger.info(
            "context features (dask): %d Hilbert partitions of %d-%d assets on %s",
            len(parts),
            min(map(len, parts)),
            max(map(len, parts)),
            "dask's local scheduler" if client is None else f"{threads} worker thread(s)",
        )
        if client is None:
            index = dask.delayed(setup.index, pure=True)
            tasks = [
                dask.delayed(_partition_task)(
                    setup.ids[pos], setup.geoms[pos], index, setup.labels, setup.spec, layers
                )
                for pos in parts
            ]
            for pos, result in zip(parts, dask.compute(*tasks), strict=True):
                collect(pos, result)
            return A, out
        index = client.scatter(setup.index, broadcast=True, hash=False)
        shared_layers = client.scatter(dict(layers or {}), broadcast=True, hash=False)
        chunks = client.scatter([(setup.ids[pos], setup.geoms[pos]) for pos in parts], hash=False)
        futures = {
            client.submit(
                _partition_chunk, chunk, index, setup.labels, setup.spec, shared_layers, pure=False
            ): pos
            for chunk, pos in zip(chunks, parts, strict=True)
        }
        for future in distributed.as_completed(futures):
            collect(futures[future], future.result())
            future.release()
        return A, out
    finally:
        if own is not None:
            own.close()


def _hilbert_partitions(
    setup: _Setup, A: _Assets, npartitions: int | None, threads: int
) -> list[np.ndarray]:
    """Asset positions of each partition: contiguous runs along a Hilbert curve."""
    import dask_geopandas

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


class _Collector:
    """Writes each partition's rows into the whole result and reports progress."""

    def __init__(self, out: _Out, n: int, progress: ProgressCallback | None) -> None:
        self.out, self.n, self.progress, self.done = out, n, progress, 0
        self.started = time.perf_counter()

    def __call__(self, pos: np.ndarray, result: tuple[_Out, float]) -> None:
        part, seconds = result
        out = self.out
        out.counts[pos] = part.counts
        out.presence[pos] = part.presence
        out.nearest[pos] = part.nearest
        out.nearest_ord[pos] = part.nearest_ord
        out.nearest_id[pos] = part.nearest_id
        for name, values in part.access.items():
            out.access[name][pos] = values
        self.done += len(pos)
        logger.info(
            "context features (dask): %d/%d assets (%.1f %%), partition of %d in %.2f s, "
            "%.1f s elapsed",
            self.done,
            self.n,
            100.0 * self.done / max(self.n, 1),
            len(pos),
            seconds,
            time.perf_counter() - self.started,
        )
        if self.progress is not None:
            self.progress(self.done, self.n)


def _partition_chunk(
    chunk: tuple[pd.Index, np.ndarray],
    index: FirmIndex,
    labels: _Labels,
    spec: _Spec,
    layers: Mapping[str, gpd.GeoDataFrame],
) -> tuple[_Out, float]:
    return _partition_task(chunk[0], chunk[1], index, labels, spec, layers or None)


def _partition_task(
    ids: pd.Index,
    geoms: np.ndarray,
    index: FirmIndex,
    labels: _Labels,
    spec: _Spec,
    layers: Mapping[str, gpd.GeoDataFrame] | None,
) -> tuple[_Out, float]:
    """One partition's features and the seconds it took (on the worker)."""
    started = time.perf_counter()
    A = _prepare_assets(ids, geoms)
    out = _block_features(
        A, index, labels, spec, layers, chunk_size=len(ids) + 1, progress=None, n_jobs=1
    )
    _fallback_nearest(A, index, labels, out)
    return out, time.perf_counter() - started
