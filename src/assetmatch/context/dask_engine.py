"""The dask engine of :func:`assetmatch.context.context_features`: spatial partitions."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .firms import FirmIndex, _Labels
from .kernel import ProgressCallback, _block_features, _Out
from .parcels import _EPS_M, _Assets, _prepare_assets
from .spec import _Setup, _Spec

logger = logging.getLogger(__name__)


def _dask_features(
    setup: _Setup,
    layers: Mapping[str, gpd.GeoDataFrame] | None,
    *,
    client: Any,
    npartitions: int | None,
    progress: ProgressCallback | None,
) -> tuple[_Assets, _Out]:
    import dask
    import dask_geopandas

    n = len(setup.ids)
    A = _prepare_assets(setup.ids, setup.geoms)
    frame = gpd.GeoDataFrame({"_pos": np.arange(n)}, geometry=setup.geoms, crs=setup.crs)
    nparts = npartitions or max(2, n // 20_000)
    nparts = max(1, min(nparts, n))
    dframe = dask_geopandas.from_geopandas(frame, npartitions=nparts)
    dframe = dframe.spatial_shuffle(by="hilbert", npartitions=nparts)
    parts = dframe.to_delayed()
    if client is None:
        try:
            from distributed import get_client

            client = get_client()
        except (ImportError, ValueError):
            client = None
    margin = setup.spec.rmax + float(A.reach.max(initial=0.0)) + _EPS_M
    positions = [
        np.sort(p["_pos"].to_numpy())
        for p in dask.compute(*[dask.delayed(lambda df: df[["_pos"]])(part) for part in parts])
    ]
    tasks = []
    for pos in positions:
        if not len(pos):
            continue
        box = (
            A.ox[pos].min() - margin,
            A.oy[pos].min() - margin,
            A.ox[pos].max() + margin,
            A.oy[pos].max() + margin,
        )
        sub = setup.index.subset(setup.index.window(*box))
        tasks.append(
            dask.delayed(_partition_task)(
                setup.ids[pos], setup.geoms[pos], pos, sub, setup.labels, setup.spec, layers
            )
        )
    out = _Out.empty(n, setup.labels.n, len(setup.spec.radii))
    for name in setup.spec.layer_names:
        out.access[name] = np.full(n, np.inf)
    done = 0

    def collect(result: tuple[np.ndarray, _Out]) -> None:
        nonlocal done
        pos, part = result
        out.counts[pos] = part.counts
        out.presence[pos] = part.presence
        out.nearest[pos] = part.nearest
        out.nearest_ord[pos] = part.nearest_ord
        out.nearest_id[pos] = part.nearest_id
        for name, values in part.access.items():
            out.access[name][pos] = values
        done += len(pos)
        logger.info(
            "context features (dask): %d/%d assets (%.1f %%)", done, n, 100.0 * done / max(n, 1)
        )
        if progress is not None:
            progress(done, n)

    logger.info("context features (dask): %d spatial partitions", len(tasks))
    if client is not None:
        from distributed import as_completed

        futures = client.compute(tasks)
        for future in as_completed(futures):
            collect(future.result())
    else:
        for result in dask.compute(*tasks):
            collect(result)
    return A, out


def _partition_task(
    ids: pd.Index,
    geoms: np.ndarray,
    pos: np.ndarray,
    index: FirmIndex,
    labels: _Labels,
    spec: _Spec,
    layers: Mapping[str, gpd.GeoDataFrame] | None,
) -> tuple[np.ndarray, _Out]:
    A = _prepare_assets(ids, geoms)
    out = _block_features(
        A, index, labels, spec, layers, chunk_size=len(ids) + 1, progress=None, n_jobs=1
    )
    return pos, out
