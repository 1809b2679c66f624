"""Per-asset context features: nearby industries, conflicts and accessibility.

Geometry becomes numbers here, once. :func:`context_features` turns assets (parcel polygons or
points) and firm points into one row of plain numbers per asset; scoring and matching then work
on those columns without shapely. :func:`refresh_context` keeps such a table current when assets
or firms change, recomputing only the rows an edit can affect.

Columns (``{ind}`` an industry code such as ``C19``, ``{r}`` a radius in whole metres, e.g.
``n_C19_1000m``):

``centroid_x``, ``centroid_y``
    The parcel's centroid in the assets' projected CRS (metres).
``equiv_radius_m``
    ``sqrt(area / pi)``, the radius of the disk with the parcel's area (0 for a point asset).
``n_{ind}_{r}m`` (int32)
    Firms of the industry whose distance to the parcel is at most ``r`` metres (``d <= r``: a
    firm exactly at ``r`` is counted). The distance is from the firm point to the parcel
    polygon — 0 inside, else to the nearest point of the boundary — as :func:`shapely.distance`
    computes it, so a firm 200 m outside a 600 m-wide parcel is 200 m away, not 500 m.
``nearest_{ind}_m`` (float64)
    Distance from the parcel to the nearest firm of the industry, exact, however far;
    ``inf`` when the firm table has no firm of that industry at all.
``presence_{ind}`` (float64)
    Distance-decayed presence, what :func:`assetmatch.domain.industry.synergy_scores` uses:
    ``sum over firms f with d_f <= max(radii_m) of exp(-(l_f / h) ** 2)``, ``h`` =
    ``kernel_bandwidth_m``. ``l_f`` is the distance from the firm to the parcel's minimum
    rotated rectangle (GEOS's, widened by the fraction of a millimetre it may miss a vertex by
    through rounding, so that it holds the parcel): equal to the boundary distance ``d_f`` for
    rectangular parcels and points (up to that), and within the rectangle's gap
    (``l_f <= d_f <= l_f + gap``) otherwise. A firm in or at the parcel weighs 1, one at ``h``
    weighs ``e**-1`` (0.37), at ``2h`` 0.018.
``access_{layer}_m`` (float64)
    Straight-line distance from the parcel to the nearest feature of each reference layer
    (``inf`` for an empty layer).
``conflict_{code}_nearest_m``, ``conflict_{code}_nearest_firm``
    For every industry code named in the conflict rules (source or sensitive side): distance
    to the nearest firm of that industry (as ``nearest_*``) and that firm's id (``None`` when
    there is none). A code only the rules name also counts firms recorded at a coarser level
    that may belong to it: for a pulp rule (``C221``) a firm coded ``C22`` counts, a carton
    maker coded ``C2231`` does not.
``breach_{use}_near_{other}`` (bool)
    One flag per ordered pair of a conflict rule ``(source, sensitive, min_distance_m)``:
    ``breach_{sensitive}_near_{source}`` is true when the parcel lies closer than
    ``min_distance_m`` (strictly less) to a firm of ``source`` — the site cannot host the
    sensitive use — and ``breach_{source}_near_{sensitive}`` when it lies that close to a firm
    (or, for a use name such as ``residential``, a feature of the reference layer of that name)
    of the sensitive use — the site cannot host the source industry. The reverse flag of a use
    name is only produced when ``layers`` has that layer. Two rules giving the same flag keep the
    larger distance.
``conflicts_breached`` (int16)
    Number of true ``breach_*`` flags of the row.

The result also carries ``attrs["context_params"]`` (the parameters) and
``attrs["computed_at"]`` (UTC ISO time).

How it is computed: firms are expanded into (point, industry) pairs and sorted into a grid
(:class:`FirmIndex`). Assets are grouped into spatial tiles, a quadtree of squares no larger
than the largest radius, split down to a quarter of it while a tile holds more than 64 assets.
For each tile, the firms within the tile's box plus the largest radius (sorted by industry) are
compared with each parcel's minimum rotated rectangle in dense, vectorised NumPy blocks, in
reused scratch arrays; this gives a lower bound ``l`` and an upper bound ``l + gap`` of the
exact distance (the gap is the largest distance from a point of the rectangle to the parcel,
bounded once per parcel). Counts and presence take the pairs surely within a radius directly.
Only pairs whose bounds straddle a radius, and the few candidates for the nearest firm, get an
exact look, a few hundred assets' worth at a time: a NumPy point-to-segment distance over the
parcel's rings with a ray-crossing inside test, trusted where it is farther than its tolerance
(a millimetre, more for huge coordinates) from the radius and from the boundary of a valid
parcel; the rest, and every nearest distance reported, are measured with
:func:`shapely.distance`. Nearest firms not found within the largest radius are searched among
the firms of that industry by brute force, or with a :class:`scipy.spatial.cKDTree` kept in
the :class:`FirmIndex` once enough searches paid for it. Memory stays bounded by the tile
blocks; no Python loop runs over assets except the tile loop. Every per-asset number depends
only on that asset and the firms, never on how assets were tiled or partitioned (per pair the
same operations; presence sums only the pairs within the largest radius, in grid order), so
the dask engine, threads and :func:`refresh_context` give bit-for-bit the same values.

The pieces live beside this module: :mod:`~assetmatch.context.firms` (the :class:`FirmIndex`
and industry groups), :mod:`~assetmatch.context.parcels` (assets as numbers, point-to-parcel
distances), :mod:`~assetmatch.context.kernel` (tiles, dense blocks, the exact look, nearest
firms beyond the radii), :mod:`~assetmatch.context.spec` (parameters and the columns they
give), :mod:`~assetmatch.context.refresh` (incremental refresh) and
:mod:`~assetmatch.context.dask_engine` (spatial partitions on dask).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
import weakref
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .._errors import ValidationError
from . import few as _few
from ._crs import _project_lonlat, _same_crs
from .dask_engine import _dask_features
from .firms import FIRMS_COORDS, FirmIndex
from .kernel import ProgressCallback, _block_features, _fallback_nearest, _layer_tree
from .parcels import _check_assets, _prepare_assets
from .refresh import refresh_context
from .spec import (
    ConflictsLike,
    _assemble,
    _attach_params,
    _breach_flags,
    _check_run,
    _columns,
    _conflict_codes,
    _n_jobs,
    _radius_name,
    _Setup,
    _setup,
)

__all__ = ["FIRMS_COORDS", "FirmIndex", "context_features", "refresh_context"]

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Public API


def context_features(
    assets: gpd.GeoDataFrame,
    firms: gpd.GeoDataFrame | FirmIndex,
    radii_m: Sequence[float] = (1000, 3000, 5000),
    *,
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    industries: Sequence[str] | None = None,
    level: Literal["division", "code"] = "division",
    kernel_bandwidth_m: float = 2000.0,
    conflicts: ConflictsLike = None,
    firms_coords: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] = "wgs84",
    engine: Literal["numpy", "dask"] = "numpy",
    chunk_size: int = 5000,
    progress: ProgressCallback | None = None,
    n_jobs: int | None = None,
    client: Any = None,
    scheduler: str | None = None,
    npartitions: int | None = None,
    intermediate_dir: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Context features of every asset: nearby industries, conflicts and accessibility.

    See the module documentation for the exact meaning of every column.

    Parameters
    ----------
    assets
        Parcels (Polygon or MultiPolygon) or located-only assets (Point), with an ``asset_id``
        column or an index named ``asset_id``, in a projected CRS in metres or in
        longitude/latitude (EPSG:4326, EPSG:4490). Lon/lat assets are projected to metres by
        the store's rule (:func:`assetmatch.geo.crs.choose_projected_crs`: the CGCS2000 3°
        Gauss–Krüger zone of their median longitude in China; the prepared firm index's CRS
        when ``firms`` is one), and firms and layers in the same lon/lat CRS with them; the
        choice is logged.
    firms
        Firm points with an ``industry`` column (GB/T 4754 codes) and optionally ``firm_id``,
        or a prepared :class:`FirmIndex`. Their CRS must be the assets' CRS, except with a
        web-map ``firms_coords`` (see below).
    radii_m
        Radii in metres for the ``n_{industry}_{r}m`` counts, measured from the parcel
        boundary; the largest also truncates the presence kernel.
    layers
        Reference layers by name (e.g. ``highway_exit``, ``port``, ``rail_station``,
        ``town_centre``), GeoDataFrames in the assets' CRS; one ``access_{name}_m`` column
        each.
    industries
        Industry codes to report (divisions such as ``C19`` or finer codes such as ``C1921``; a
        firm belongs to every listed code its own code starts with). ``None``: every industry
        present in ``firms`` at ``level``.
    level
        With ``industries=None``: ``"division"`` groups firms by division (``C1921`` → ``C19``),
        ``"code"`` by their codes as given.
    kernel_bandwidth_m
        Bandwidth ``h`` in metres of the presence kernel ``exp(-(l/h)**2)``.
    conflicts
        Conflict rules (see :func:`assetmatch.domain.industry.load_conflicts`); ``None`` uses
        :func:`assetmatch.domain.industry.default_conflicts`; an empty list gives no conflict
        columns.
    firms_coords
        Where the firm coordinates come from. ``"wgs84"`` or ``"cgcs2000"``: true positions,
        and ``firms`` must be in the assets' CRS. ``"gcj02"`` (Amap, Tencent) or ``"bd09"``
        (Baidu): ``firms`` are lon/lat in EPSG:4326 or EPSG:4490 as read from the web map;
        they are converted to WGS 84 and projected to the assets' CRS before any distance is
        measured. Every other combination is a :class:`~assetmatch.CRSError`. Ignored when
        ``firms`` is a :class:`FirmIndex`.
    engine
        ``"numpy"`` (one machine, ``n_jobs`` threads) or ``"dask"``: the same computation on
        spatial partitions of the assets (runs along a Hilbert curve, dask-geopandas); each
        partition goes to a worker with only the firms of its box plus a halo (the largest
        radius, and 5 km more for nearest firms), and the layers go to every worker once.
        Nearest firms beyond a partition's halo are searched here, in the whole index. The
        results are identical.
    chunk_size
        Assets per progress step; each step logs an INFO line with counts and percentage.
    progress
        Called as ``progress(done, total)`` (asset counts) after each step.
    n_jobs
        Threads for the numpy engine (``None``: 1; ``-1``: all cores).
    client
        A ``dask.distributed.Client`` for ``engine="dask"``; default the current client if
        there is one, else dask's local scheduler.
    scheduler
        Address of a dask scheduler for ``engine="dask"`` (e.g. ``"tcp://10.0.0.5:8786"``):
        a client is connected for this call and closed after it. Give ``client`` or
        ``scheduler``, not both.
    npartitions
        Number of spatial partitions for ``engine="dask"`` (default about one per 20,000
        assets, at least two per worker thread).
    intermediate_dir
        For ``engine="dask"``: a directory every worker can read and write (a shared disk on a
        real cluster) through which the partitions (parcels and their firms, GeoParquet) and
        their results (Parquet) travel instead of the network, in a new subdirectory removed
        after the call. Default: in memory, except for 500,000 assets or more when every
        worker can read the client's temporary directory (a LocalCluster, one machine).

    Returns
    -------
    pandas.DataFrame
        One row per asset in the input order, indexed by ``asset_id``.

    Raises
    ------
    CRSError
        Assets without a CRS or in a CRS neither projected in metres nor lon/lat; firms or
        layers in another CRS (both CRSs are named); web-map coordinates not in lon/lat.
    ClusterError
        ``engine="dask"`` without dask installed, an unreachable ``scheduler``, both
        ``client`` and ``scheduler`` given, an ``intermediate_dir`` the workers cannot read,
        or a lost worker.
    ValidationError
        Missing or duplicated asset ids, unsupported or empty geometries, firms without a
        point or with a bad industry code — every problem listed at once.
    """
    _check_run(chunk_size, progress)
    assets, firms, layers = _lonlat_inputs(assets, firms, layers, firms_coords)
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
    )
    if engine not in ("numpy", "dask"):
        raise ValidationError(
            "The 'engine' parameter of context_features must be 'numpy' or 'dask'. "
            f"Got {engine!r} instead."
        )
    started = time.perf_counter()
    logger.info(
        "context features: %d assets, %d firms, %d industries, radii %s m, engine %s",
        len(setup.ids),
        len(setup.index),
        setup.labels.n_out,
        [_radius_name(r) for r in setup.spec.radii],
        engine,
    )
    if engine == "dask":
        A, out = _dask_features(
            setup,
            layers,
            client=client,
            scheduler=scheduler,
            npartitions=npartitions,
            progress=progress,
            intermediate_dir=intermediate_dir,
        )
    else:
        A = _prepare_assets(setup.ids, setup.geoms)
        out = _block_features(
            A,
            setup.index,
            setup.labels,
            setup.spec,
            layers,
            chunk_size=chunk_size,
            progress=progress,
            n_jobs=_n_jobs(n_jobs),
        )
    _fallback_nearest(A, setup.index, setup.labels, out)
    frame = _assemble(A, out, setup.spec, setup.labels)
    logger.info(
        "context features: %d assets done in %.1f s", len(frame), time.perf_counter() - started
    )
    return _attach_params(frame, setup.params)


def context_columns(
    assets: gpd.GeoDataFrame,
    firms: FirmIndex,
    radii_m: Sequence[float] = (1000, 3000, 5000),
    *,
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    industries: Sequence[str] | None = None,
    level: Literal["division", "code"] = "division",
    kernel_bandwidth_m: float = 2000.0,
    conflicts: ConflictsLike = None,
    firms_coords: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] = "wgs84",
) -> tuple[pd.Index, dict[str, Any], dict[str, Any]]:
    """The columns :func:`context_features` would return for a few assets, without the frame.

    For patching a kept context table with the rows of a few edited assets (one asset's
    1-row frame of ~200 columns costs more to build than its features): ``(ids, columns by
    name in the table's order as NumPy arrays, the parameters the table's attrs record)``.
    Same arguments as :func:`context_features` (numpy engine). The checked parameters, industry
    groups and conflict flags are kept with a prepared ``firms`` index for the next call with
    the same parameters and layer objects (an edit after an edit).
    """
    assets, firms, layers = _lonlat_inputs(assets, firms, layers, firms_coords)
    args = (radii_m, layers, industries, level, kernel_bandwidth_m, conflicts, firms_coords)
    kept = _kept_setup(assets, firms, args)
    if kept is None:
        kept = _keep_setup(_setup(assets, firms, *args), firms, args)
    return _measure(kept, layers)


def context_rows(
    ids: Sequence[str],
    geoms: Any,
    crs: CRS,
    firms: FirmIndex,
    radii_m: Sequence[float] = (1000, 3000, 5000),
    *,
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    industries: Sequence[str] | None = None,
    level: Literal["division", "code"] = "division",
    kernel_bandwidth_m: float = 2000.0,
    conflicts: ConflictsLike = None,
    firms_coords: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] = "wgs84",
) -> tuple[pd.Index, dict[str, Any], dict[str, Any]]:
    """:func:`context_columns` of assets given as ids and geometries in ``crs`` (a store's
    rows without their frame): with the setup kept from an earlier call, the geometries are
    checked and measured without building a GeoDataFrame; otherwise through
    :func:`context_columns`. Same result, same errors.
    """
    args = (radii_m, layers, industries, level, kernel_bandwidth_m, conflicts, firms_coords)
    kept = _kept(firms, args)
    if kept is None or not _same_crs(CRS.from_user_input(crs), kept.setup.crs):
        frame = gpd.GeoDataFrame(
            {"asset_id": list(ids)}, geometry=gpd.GeoSeries(list(geoms), crs=crs)
        )
        return context_columns(
            frame,
            firms,
            radii_m,
            layers=layers,
            industries=industries,
            level=level,
            kernel_bandwidth_m=kernel_bandwidth_m,
            conflicts=conflicts,
            firms_coords=firms_coords,
        )
    ids = list(ids)
    index = pd.Index(ids, name="asset_id", dtype=object)
    geoms = np.asarray(geoms, dtype=object)
    type_id = shapely.get_type_id(geoms)
    # what _geometry_problems refuses: another type than Point, Polygon, MultiPolygon, or empty
    bad = not all(t in (0, 3, 6) for t in type_id.tolist()) or bool(shapely.is_empty(geoms).any())
    # distinct strings (the usual ids) are neither missing nor duplicated: no pandas check
    plain = all(type(i) is str for i in ids) and len(set(ids)) == len(ids)
    if bad or (not plain and (index.hasnans or not index.is_unique)):
        frame = gpd.GeoDataFrame({"asset_id": list(ids)}, geometry=list(geoms), crs=crs)
        _check_assets(frame)  # raises, naming every problem as context_features does
    setup = dataclasses.replace(kept.setup, ids=index, geoms=geoms)
    return _measure(dataclasses.replace(kept, setup=setup), layers, type_id=type_id)


def _measure(
    kept: _Kept, layers: Any, *, type_id: np.ndarray | None = None, few: bool = True
) -> tuple[pd.Index, dict[str, Any], dict[str, Any]]:
    """The columns of the assets of ``kept``'s setup (numpy engine, one thread), as NumPy
    arrays: up to :data:`~assetmatch.context.few.FEW_ASSETS` assets (unless ``few`` is
    false) by :func:`~assetmatch.context.few.few_features`, which gives the same values with
    less per-call overhead, more by the whole-table kernel. ``type_id``: the geometries'
    :func:`shapely.get_type_id` when the caller has it."""
    setup = kept.setup
    if few and 0 < len(setup.ids) <= _few.FEW_ASSETS:
        if type_id is None:
            type_id = shapely.get_type_id(setup.geoms)
        return _few.few_features(kept, layers, type_id)
    A = _prepare_assets(setup.ids, setup.geoms)
    out = _block_features(
        A,
        setup.index,
        setup.labels,
        setup.spec,
        layers,
        chunk_size=5000,
        progress=None,
        n_jobs=1,
        trees=kept.trees,
    )
    _fallback_nearest(A, setup.index, setup.labels, out)
    index = A.ids.rename("asset_id")
    columns = _columns(A, out, setup.spec, setup.labels, None, kept.flags, kept.codes)
    return index, columns, setup.params


#: Per prepared firm index: the parameters of its last :func:`context_columns` calls, checked
#: (:class:`_Kept`), under their key (see :func:`_setup_key`).
_SETUPS: weakref.WeakKeyDictionary[FirmIndex, dict[Any, Any]] = weakref.WeakKeyDictionary()


def _setup_key(firms: Any, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """What a kept setup stands for: the parameters (a tuple of them when they are plain
    numbers and strings, else as JSON) and the layer objects by name (compared by identity);
    ``None`` for parameters not worth keeping (a rules frame…)."""
    radii_m, layers, industries, level, bandwidth, conflicts, firms_coords = args
    plain = conflicts is None or (
        isinstance(conflicts, list) and all(type(r) is dict for r in conflicts)
    )
    if not isinstance(firms, FirmIndex) or not plain:
        return None
    simple = (int, float)
    if (
        conflicts is None
        and industries is None
        and type(radii_m) in (list, tuple)
        and all(type(r) in simple for r in radii_m)
        and type(bandwidth) in simple
        and type(level) is str
        and type(firms_coords) is str
    ):  # the usual call (an edit's): a tuple of plain values, no JSON text
        text: Any = ("plain", tuple(radii_m), level, bandwidth, firms_coords)
    else:
        try:
            text = json.dumps(
                [list(radii_m), industries, level, bandwidth, conflicts, firms_coords],
                sort_keys=True,
            )
        except (TypeError, ValueError):
            return None
    if layers is None:
        return (text, None)
    return (text, tuple((str(k), id(v)) for k, v in layers.items()))


@dataclasses.dataclass(frozen=True)
class _Kept:
    """A checked setup without assets, its conflict flags, the layer objects it was checked
    with and their features' trees (by layer name; ``None`` for an empty layer)."""

    setup: _Setup
    flags: dict[str, tuple[str, str, float]]
    layers: tuple[Any, ...]
    trees: dict[str, Any]
    codes: list[str]  # the industry codes the conflict rules name
    # what the few-asset path prepared for this setup (see few._plan), shared by its copies
    few: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False)


def _kept(firms: Any, args: tuple[Any, ...]) -> _Kept | None:
    """What :func:`_keep_setup` kept for ``args``, if anything."""
    key = _setup_key(firms, args)
    kept = _SETUPS.get(firms, {}).get(key) if key is not None else None
    if kept is None:
        return None
    if not all(a is b for a, b in zip(kept.layers, (args[1] or {}).values(), strict=True)):
        return None  # another layer object under a reused id
    return kept


def _kept_setup(assets: Any, firms: Any, args: tuple[Any, ...]) -> _Kept | None:
    """The kept setup of ``args`` with these assets' ids and geometries (checked), if any."""
    kept = _kept(firms, args)
    if kept is None:
        return None
    ids, geoms, crs, _ = _check_assets(assets)
    if not _same_crs(crs, kept.setup.crs):
        return None
    setup = dataclasses.replace(kept.setup, ids=ids, geoms=geoms, same_ids=False)
    return dataclasses.replace(kept, setup=setup)


def _keep_setup(setup: _Setup, firms: Any, args: tuple[Any, ...]) -> _Kept:
    """``setup`` with its flags and layer trees, kept for the next call with ``args``."""
    layers = args[1] or {}
    kept = _Kept(
        setup=dataclasses.replace(setup, ids=setup.ids[:0], geoms=setup.geoms[:0]),
        flags=_breach_flags(setup.spec, setup.labels),
        layers=tuple(layers.values()),
        trees={name: _layer_tree(layers[name]) for name in setup.spec.layer_names},
        codes=_conflict_codes(setup.spec.rules),
    )
    key = _setup_key(firms, args)
    if key is not None:
        _SETUPS[firms] = {key: kept}  # the last one
    return dataclasses.replace(kept, setup=setup)


def _lonlat_inputs(
    assets: Any,
    firms: Any,
    layers: Mapping[str, gpd.GeoDataFrame] | None,
    firms_coords: str,
) -> tuple[Any, Any, Mapping[str, gpd.GeoDataFrame] | None]:
    """Assets in longitude/latitude (EPSG:4326, 4490…) projected to metres, with what goes along.

    The CRS is the prepared firm index's when one is given, else the store's rule (see
    :func:`assetmatch.context._crs._project_lonlat`). Firms (true positions) and layers in the
    assets' own lon/lat CRS are projected with them; web-map firms are converted later as usual.
    """
    if not isinstance(assets, gpd.GeoDataFrame):
        return assets, firms, layers
    target = firms.crs if isinstance(firms, FirmIndex) else None
    assets, lonlat, crs = _project_lonlat(assets, "assets", target)
    if lonlat is None:
        return assets, firms, layers

    def along(frame: Any) -> Any:
        fcrs = getattr(frame, "crs", None)
        if fcrs is not None and _same_crs(CRS.from_user_input(fcrs), lonlat):
            return frame.to_crs(crs)
        return frame

    if isinstance(firms, gpd.GeoDataFrame) and firms_coords in ("wgs84", "cgcs2000"):
        firms = along(firms)
    if layers is not None:
        layers = {name: along(layer) for name, layer in layers.items()}
    return assets, firms, layers
