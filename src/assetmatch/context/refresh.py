"""Keep a context table current after assets or firms changed, recomputing few rows."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .._cow import copy_on_write
from .._errors import CRSError, Problem, UnknownAssetError, ValidationError
from ._crs import _same_crs
from .firms import FirmIndex, _firms_to_crs
from .kernel import ProgressCallback, _block_features, _fallback_nearest
from .parcels import _EPS_M, _geometry_problems, _prepare_assets
from .spec import (
    ConflictsLike,
    _assemble,
    _attach_params,
    _check_run,
    _column_names,
    _n_jobs,
    _Setup,
    _setup,
)

logger = logging.getLogger(__name__)


def _changed_points(
    points: Any, crs: CRS, firms_coords: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Coordinates in the assets' CRS and, when given, industry codes of changed firm points."""
    codes = None
    if isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries):
        if isinstance(points, gpd.GeoDataFrame) and "industry" in points.columns:
            codes = points["industry"].astype(str).str.strip().str.upper().to_numpy(dtype=object)
        geoms = np.asarray(points.geometry.array, dtype=object)
        keep = ~(pd.isna(geoms) | shapely.is_empty(geoms)) if len(geoms) else np.ones(0, bool)
        geoms = geoms[keep]
        codes = codes[keep] if codes is not None else None
        x, y = shapely.get_x(geoms), shapely.get_y(geoms)
        if points.crs is None:
            raise CRSError("changed_firm_points have no CRS; set the CRS of the firm points")
        pcrs = CRS.from_user_input(points.crs)
        if not _same_crs(pcrs, crs):  # lon/lat: converted like the firms
            x, y = _firms_to_crs(x, y, pcrs, crs, firms_coords)
        return np.asarray(x, float), np.asarray(y, float), codes
    arr = np.asarray(points, dtype=float).reshape(-1, 2)
    return arr[:, 0], arr[:, 1], None


def _box_distance(bounds: np.ndarray, px: float, py: float) -> np.ndarray:
    gx = np.maximum(np.maximum(bounds[:, 0] - px, px - bounds[:, 2]), 0.0)
    gy = np.maximum(np.maximum(bounds[:, 1] - py, py - bounds[:, 3]), 0.0)
    return np.hypot(gx, gy)


def refresh_context(
    context: pd.DataFrame,
    assets: gpd.GeoDataFrame,
    firms: gpd.GeoDataFrame | FirmIndex,
    *,
    changed_asset_ids: Iterable[Any] = (),
    removed_asset_ids: Iterable[Any] = (),
    changed_firm_points: Any = None,
    radii_m: Sequence[float] = (1000, 3000, 5000),
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    industries: Sequence[str] | None = None,
    level: Literal["division", "code"] = "division",
    kernel_bandwidth_m: float = 2000.0,
    conflicts: ConflictsLike = None,
    firms_coords: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] = "wgs84",
    chunk_size: int = 5000,
    progress: ProgressCallback | None = None,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Bring a context table up to date after assets or firms changed, recomputing few rows.

    The result equals ``context_features(assets, firms, ...)`` with the same parameters, which
    must be the ones ``context`` was computed with. Recomputed are: the rows of changed (added,
    moved, reshaped) assets and of assets missing from ``context``; for changed firm points,
    every asset within the largest radius of one of them (counts and presence), and every asset
    whose nearest firm of some industry may have changed — a firm added closer than its current
    nearest, or a removed firm at exactly its nearest distance (``nearest_*`` can change far
    away, so this check runs over all assets with a cheap bounding-box lower bound). Rows of
    removed assets, and of ``context`` rows whose asset is no longer in ``assets``, are dropped.
    If the parameters give other columns than ``context`` has (e.g. a new industry appeared
    with ``industries=None``), everything is recomputed. When ``assets`` has exactly the ids of
    ``context`` in the same order, only the geometries of the recomputed rows are validated,
    and columns whose values did not change are shared (copy-on-write) with ``context``.

    Parameters
    ----------
    context
        The table to update, as returned by :func:`context_features`; not modified.
    assets
        All assets now (after the edits).
    firms
        All firms now, or a :class:`FirmIndex` built from them.
    changed_asset_ids
        Ids of assets added or whose geometry changed.
    removed_asset_ids
        Ids of assets removed; they must no longer be in ``assets``.
    changed_firm_points
        Old and new locations of every firm added, moved or removed: a GeoSeries or
        GeoDataFrame of points (converted like ``firms`` when its CRS is lon/lat with a
        web-map ``firms_coords``), or an ``(n, 2)`` array in the assets' CRS. An
        ``industry`` column, when present, narrows the nearest-firm check to those industries.
    radii_m, layers, industries, level, kernel_bandwidth_m, conflicts, firms_coords
        As for :func:`context_features`.
    chunk_size, progress, n_jobs
        As for :func:`context_features`.

    Returns
    -------
    pandas.DataFrame
        The refreshed context, rows in the order of ``assets``.

    Raises
    ------
    UnknownAssetError
        A changed id is not in ``assets``.
    ValidationError
        A removed id is still in ``assets``, or any problem :func:`context_features` reports.
    """
    _check_run(chunk_size, progress)
    started = time.perf_counter()
    setup = _setup(
        assets,
        firms,
        radii_m,
        layers,
        industries,
        level,
        kernel_bandwidth_m,
        conflicts,
        firms_coords,
        known=context.index,
    )
    expected = _column_names(setup.spec, setup.labels)
    if list(context.columns) != expected:
        logger.info(
            "refresh context: the parameters give other columns than the context has; "
            "recomputing all %d assets",
            len(setup.ids),
        )
        from .engine import context_features  # the front door imports this module

        return context_features(
            assets,
            setup.index,
            radii_m,
            layers=layers,
            industries=industries,
            level=level,
            kernel_bandwidth_m=kernel_bandwidth_m,
            conflicts=conflicts,
            chunk_size=chunk_size,
            progress=progress,
            n_jobs=n_jobs,
        )
    ids = setup.ids
    same_order = setup.same_ids
    current = context.index if same_order else ids
    removed = list(removed_asset_ids)
    if removed:
        still = current.get_indexer(pd.Index(removed)) >= 0
        if np.any(still):
            raise ValidationError(
                "removed_asset_ids lists assets that are still in assets",
                [
                    Problem(a, "asset_id", "listed as removed but still in assets")
                    for a, s in zip(removed, still, strict=True)
                    if s
                ],
            )
    changed = list(dict.fromkeys(changed_asset_ids))
    pos_changed = current.get_indexer(pd.Index(changed)) if changed else np.empty(0, np.int64)
    if (pos_changed < 0).any():
        unknown = [a for a, p in zip(changed, pos_changed, strict=True) if p < 0]
        raise UnknownAssetError(f"changed_asset_ids not in assets: {unknown[:20]}")
    if same_order:
        kept_pos = np.arange(len(ids))
        ctx_rows = np.arange(len(ids))
    else:
        ctx_rows = context.index.get_indexer(current)
        kept_pos = np.flatnonzero(ctx_rows >= 0)
        ctx_rows = ctx_rows[kept_pos]
    recompute = np.zeros(len(ids), dtype=bool)
    recompute[pos_changed] = True
    missing = np.ones(len(ids), dtype=bool)
    missing[kept_pos] = False
    recompute |= missing
    if changed_firm_points is not None:
        recompute |= _affected_by_firms(
            context, setup, changed_firm_points, kept_pos, ctx_rows, firms_coords
        )
    rows = np.flatnonzero(recompute)
    if same_order:  # ids were trusted; check the geometries about to be used
        problems = _geometry_problems(ids, setup.geoms, rows)
        if problems:
            raise ValidationError(f"assets: {len(problems)} problem(s)", problems)
    logger.info("refresh context: recomputing %d of %d assets", len(rows), len(ids))
    if len(rows):
        A = _prepare_assets(ids[rows], setup.geoms[rows])
        out = _block_features(
            A,
            setup.index,
            setup.labels,
            setup.spec,
            layers,
            chunk_size=chunk_size,
            progress=progress,
            n_jobs=_n_jobs(n_jobs),
            what="refresh context",
        )
        _fallback_nearest(A, setup.index, setup.labels, out)
        fresh = _assemble(A, out, setup.spec, setup.labels)
    else:
        fresh = context.iloc[:0]
    if same_order:
        source = context.copy(deep=False)
        source.attrs = {}  # pandas deep-copies attrs on every column access
        data: dict[str, Any] = {}
        for col in source.columns:
            old = source[col]
            if len(rows):
                new = fresh[col].to_numpy(dtype=old.dtype)
                if not np.array_equal(old.to_numpy()[rows], new):
                    values = old.to_numpy(copy=True)
                    values[rows] = new
                    data[col] = pd.Series(values, index=context.index, dtype=old.dtype, copy=False)
                    continue
            # unchanged: shared copy-on-write with ``context`` (copied where pandas would write
            # through a shared column, see assetmatch._cow)
            data[col] = old if copy_on_write() else old.copy()
        result = pd.DataFrame(data, index=context.index, copy=False)
    else:
        keep_rows = ~recompute[kept_pos]
        parts = [context.iloc[ctx_rows[keep_rows]], fresh]
        result = pd.concat(parts) if len(fresh) else parts[0]
        result = result.reindex(ids.rename("asset_id"))
        for col in context.columns:
            if result[col].dtype != context[col].dtype:
                result[col] = result[col].astype(context[col].dtype)
    result.index.name = "asset_id"
    logger.info("refresh context: done in %.3f s", time.perf_counter() - started)
    return _attach_params(result, setup.params)


def _affected_by_firms(
    context: pd.DataFrame,
    setup: _Setup,
    points: Any,
    kept_pos: np.ndarray,
    ctx_rows: np.ndarray,
    firms_coords: str,
) -> np.ndarray:
    """Assets (positions in ``assets``) a change of firms at ``points`` can affect."""
    px, py, codes = _changed_points(points, setup.crs, firms_coords)
    n = len(setup.ids)
    affected = np.zeros(n, dtype=bool)
    if not len(px):
        return affected
    bounds = shapely.bounds(setup.geoms)
    labels = setup.labels
    # current nearest distance per label of the kept assets, inf where unknown
    near = np.full((n, labels.n), np.inf)
    for j, code in enumerate(labels.codes):
        col = f"nearest_{code}_m" if j < labels.n_out else f"conflict_{code}_nearest_m"
        if col in context.columns:
            near[kept_pos, j] = context[col].to_numpy(dtype=float)[ctx_rows]
    all_max = near.max(axis=1)
    reach = setup.spec.rmax + _EPS_M
    for i in range(len(px)):
        lower = _box_distance(bounds, px[i], py[i])  # <= exact distance to the parcel
        affected |= lower <= reach
        if codes is None:
            limit = all_max
        else:
            js = [j for j, c in enumerate(labels.codes) if str(codes[i]).startswith(c)]
            if not js:
                continue
            limit = near[:, js].max(axis=1)
        affected |= lower <= limit + _EPS_M
    return affected
