"""The per-asset feature table: columnar NumPy arrays built once from assets and context.

:func:`prepare` turns assets (canonical columns) and their context features into a
:class:`FeatureTable`; the scorer then reads only these arrays, never a geometry.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Final

import numpy as np
import pandas as pd

from .._cow import detached
from .._errors import UnknownAssetError
from ..domain import landuse as _landuse
from ..domain.landuse_paths import N_TENURE_MASKS, TENURE_UNKNOWN_BIT, tenure_mask
from ..schema import KINDS, STATUSES

logger = logging.getLogger(__name__)

__all__ = ["UPDATED_COLUMNS", "FeatureTable", "date_to_day", "patch", "prepare"]

_EPOCH: Final = np.datetime64("1970-01-01", "D")
_F32: Final = np.float32


class FeatureTable:
    """Per-asset features as columnar NumPy arrays, built once by :func:`prepare`.

    A read-only, mapping-like table of column name → array (all of length ``len(table)``,
    not writeable); categorical
    columns hold integer codes into :attr:`categories` (the last code means unknown), and
    ``presence``, ``nearest`` and ``access`` are 2-D column-major arrays whose column labels
    are in :attr:`labels`. Requirement-independent derived arrays (the access score, the
    readiness base) are memoised per parameters.

    Attributes
    ----------
    ids
        Asset ids, in row order.
    frame
        The assets (GeoDataFrame) the table was built from, for result rows; may be ``None``.
    crs
        Projected CRS of the coordinates (metres).
    origin
        ``(x0, y0)``: the coordinates ``x``/``y`` are float32 offsets from this point, in metres.
    as_of
        The date the table stands at (the inventory's date), or ``None``.
    state_time
        Recorded time of the inventory state the table was built from, or ``None``.
    landuse_paths
        The land-use path table of the inventory's zone policy on the table's date
        (:meth:`assetmatch.Inventory.zone_policy`), or ``None`` for the bundled defaults.
    """

    def __init__(
        self,
        ids: np.ndarray,
        arrays: Mapping[str, np.ndarray],
        *,
        categories: Mapping[str, tuple[str, ...]],
        labels: Mapping[str, tuple[str, ...]],
        frame: pd.DataFrame | None = None,
        crs: Any = None,
        origin: tuple[float, float] = (0.0, 0.0),
        as_of: date | None = None,
        state_time: str | None = None,
        landuse_paths: Any = None,
    ) -> None:
        self.ids = np.asarray(ids, dtype=object)
        self._arrays = dict(arrays)
        # shared, not copied, by take(): a scorer's lookup tables are keyed on their identity
        self.categories = categories if isinstance(categories, dict) else dict(categories)
        self.labels = labels if isinstance(labels, dict) else dict(labels)
        self._frame = frame
        #: ``(table, rows)`` when this table is ``table.take(rows)``: its frame is cut lazily
        self._taken_from: tuple[FeatureTable, np.ndarray] | None = None
        #: The frame of a patched table, built only when read (:func:`patch_rows`)
        self._pending: _PendingFrame | None = None
        self._frame_columns: _FrameColumns | None = None  # :attr:`frame`'s columns, read once
        self.crs = crs
        self.origin = origin
        self.as_of = as_of
        self.state_time = state_time
        self.landuse_paths = landuse_paths
        self._cache: dict[tuple[Any, ...], np.ndarray] = {}
        #: The arrays each memoised value of :meth:`cached` / :meth:`flag` was computed from,
        #: when declared: a patched table keeps the values whose arrays it shares
        self._inputs: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self._index: pd.Index | None = None
        for k, a in self._arrays.items():
            if len(a) != len(self.ids):
                raise ValueError(
                    f"FeatureTable column {k!r} has {len(a)} rows, expected {len(self.ids)}"
                )
            a.setflags(write=False)  # memoised derived arrays rely on the columns not changing

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def frame(self) -> pd.DataFrame | None:
        """The assets (GeoDataFrame) of the table's rows, or ``None``."""
        if self._frame is None and self._pending is not None:
            self._frame = self._pending.build()
            self._pending = None
        if self._frame is None and self._taken_from is not None:
            parent, rows = self._taken_from
            whole = parent.frame
            self._frame = None if whole is None else whole.iloc[rows]
            self._taken_from = None
        return self._frame

    @frame.setter
    def frame(self, value: pd.DataFrame | None) -> None:
        self._frame, self._taken_from, self._pending = value, None, None

    def _unbuilt_frame(self) -> pd.DataFrame | None:
        """A frame with :attr:`frame`'s columns and CRS, found without building or cutting it."""
        table: FeatureTable = self
        while table._taken_from is not None and table._frame is None:
            table = table._taken_from[0]
        if table._frame is None and table._pending is not None:
            return table._pending.base
        return table._frame

    @property
    def has_frame(self) -> bool:
        """Whether the table has an assets frame (found without building it)."""
        return self._unbuilt_frame() is not None

    @property
    def frame_columns(self) -> tuple[str, ...]:
        """The columns of :attr:`frame` (none without one), read without cutting it."""
        table: FeatureTable = self
        while table._taken_from is not None and table._frame is None:
            table = table._taken_from[0]
        if table._frame is None and table._pending is not None:
            return table._pending.columns.names
        return () if table._frame is None else table._columns().names

    @property
    def frame_crs(self) -> Any:
        """The CRS of :attr:`frame` (``None`` without one), read without cutting it."""
        return getattr(self._unbuilt_frame(), "crs", None)

    def frame_cell(self, row: int, col: str) -> Any:
        """The cell of :attr:`frame` at row position ``row``, column ``col``, read without
        building the frame (as its column's array gives it: a NumPy scalar, ``pd.NA``...).

        Raises ``KeyError`` for a column the frame lacks, ``ValueError`` without a frame.
        """
        if self._frame is None and self._pending is not None:
            return self._pending.cell(row, col)
        if self._frame is None and self._taken_from is not None:
            parent, rows = self._taken_from
            return parent.frame_cell(int(rows[row]), col)
        if self._frame is None:
            raise ValueError("the feature table has no assets frame")
        return self._columns().get(col)[row]

    @property
    def frame_geometry_name(self) -> str | None:
        """The name of :attr:`frame`'s geometry column (``None`` without one), read without
        building or cutting the frame."""
        f = self._unbuilt_frame()
        name = getattr(f, "_geometry_column_name", None)
        return name if isinstance(name, str) and f is not None and name in f.columns else None

    def _columns(self) -> _FrameColumns:
        """The columns of the built :attr:`frame`, each read once."""
        memo = self._frame_columns
        if memo is None or memo.frame is not self._frame:
            memo = self._frame_columns = _FrameColumns(self._frame)
        return memo

    def frame_values(self, col: str) -> np.ndarray | None:
        """Column ``col`` of :attr:`frame` as an object array (``None`` if it has none).

        Memoised on the whole table and cut from it for a :meth:`take`, so that the few rows
        of a shortlist read their names and obstacles without copying the assets frame.
        """
        if self._taken_from is not None:
            parent, rows = self._taken_from
            whole = parent.frame_values(col)
            return None if whole is None else whole[rows]
        key = ("frame", col)
        out = self._cache.get(key)
        if out is None:
            if self._frame is None and self._pending is not None:
                out = self._pending.values(col)
                if out is None:
                    return None
            else:
                if self._frame is None:
                    return None
                out = self._columns().values(col)
                if out is None:
                    return None
            self._cache[key] = out
        return out

    def __getitem__(self, name: str) -> np.ndarray:
        return self._arrays[name]

    def __contains__(self, name: object) -> bool:
        return name in self._arrays

    def keys(self) -> list[str]:
        """Column names."""
        return list(self._arrays)

    def __repr__(self) -> str:
        return f"FeatureTable({len(self)} assets, {len(self._arrays)} columns)"

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays, in bytes."""
        return sum(a.nbytes for a in self._arrays.values())

    def position(self, asset_id: str) -> int:
        """Row of ``asset_id``; raises :class:`assetmatch.UnknownAssetError` if absent."""
        if self._index is None:
            self._index = pd.Index(self.ids)
        try:
            pos = self._index.get_loc(asset_id)
        except (KeyError, TypeError, pd.errors.InvalidIndexError):  # the last two: unhashable
            raise UnknownAssetError(f"Asset {asset_id!r} is not in the inventory.") from None
        if not isinstance(pos, int | np.integer):
            raise UnknownAssetError(f"Asset id {asset_id!r} is not unique in the inventory.")
        return int(pos)

    def _like(self, ids: np.ndarray, arrays: dict[str, np.ndarray], **changes: Any) -> FeatureTable:
        """A table of other rows or arrays with this one's categories, labels, CRS, origin,
        dates and land-use paths (``changes`` overrides any of them, or gives a ``frame``).
        The one place that lists what a table carries besides its arrays."""
        meta: dict[str, Any] = {
            "categories": self.categories,
            "labels": self.labels,
            "crs": self.crs,
            "origin": self.origin,
            "as_of": self.as_of,
            "state_time": self.state_time,
            "landuse_paths": self.landuse_paths,
        }
        meta.update(changes)
        return FeatureTable(ids, arrays, **meta)

    def take(self, rows: Sequence[int] | np.ndarray) -> FeatureTable:
        """A table of the given rows (same categories and labels)."""
        rows = np.asarray(rows, dtype=np.intp)
        sub = self._like(
            self.ids[rows],
            {
                k: (a[rows] if a.ndim == 1 else np.asfortranarray(a[rows]))
                for k, a in self._arrays.items()
            },
        )
        if self._frame is not None or self._taken_from is not None or self._pending is not None:
            sub._taken_from = (self, rows)
        return sub

    def has_nan(self, name: str) -> bool:
        """Whether column ``name`` has a NaN (memoised: kernels skip NaN handling when not)."""
        return self._nan_flag(name, np.any)

    def all_nan(self, name: str) -> bool:
        """Whether column ``name`` is NaN everywhere (e.g. no ready dates at all)."""
        return self._nan_flag(name, np.all)

    def _nan_flag(self, name: str, reduce: Callable[[np.ndarray], Any]) -> bool:
        a = self._arrays[name]
        return self.flag(
            (reduce.__name__ + "_nan", name),
            lambda: a.dtype.kind == "f" and bool(reduce(np.isnan(a))),
            inputs=(name,),
        )

    def flag(
        self,
        key: tuple[Any, ...],
        compute: Callable[[], Any],
        *,
        inputs: Sequence[str] | None = None,
    ) -> bool:
        """Return the memoised truth of ``compute()`` for ``key`` (a fact about the columns);
        ``inputs``: the arrays it reads (see :meth:`cached`)."""
        flag = self._cache.get(key)
        if flag is None:
            flag = np.array(bool(compute()))
            self._keep(key, flag, inputs)
        return bool(flag)

    def cached(
        self,
        key: tuple[Any, ...],
        compute: Callable[[], np.ndarray],
        *,
        inputs: Sequence[str] | None = None,
    ) -> np.ndarray:
        """Return the memoised array for ``key``, computing it once.

        ``inputs`` names every array ``compute`` reads (besides the categories): a table
        patched from this one (:func:`patch`, :func:`patch_rows`) that shares all of them keeps
        the value instead of computing it again. Leave it out when unsure.
        """
        out = self._cache.get(key)
        if out is None:
            out = compute()
            out.setflags(write=False)
            self._keep(key, out, inputs)
        return out

    def _keep(self, key: tuple[Any, ...], value: np.ndarray, inputs: Sequence[str] | None) -> None:
        self._cache[key] = value
        if inputs is not None:
            self._inputs[key] = tuple(inputs)

    def _keep_unchanged(self, old: FeatureTable) -> None:
        """Take ``old``'s memoised values whose declared input arrays this table shares (the
        same objects: a patch shares the arrays it did not write) with its categories."""
        if self.categories is not old.categories:
            return
        mine, theirs = self._arrays, old._arrays
        for key, inputs in old._inputs.items():
            if key not in self._cache and all(
                n in mine and mine[n] is theirs.get(n) for n in inputs
            ):
                self._cache[key] = old._cache[key]
                self._inputs[key] = inputs


_PRESENCE_RE: Final = re.compile(r"^presence_(.+)$")
_NEAREST_RE: Final = re.compile(r"^nearest_(.+)_m$")
_ACCESS_RE: Final = re.compile(r"^access_(.+)_m$")
_CONFLICT_NEAREST_RE: Final = re.compile(r"^conflict_(.+)_nearest_m$")

_FLOAT_COLUMNS: Final = (
    "land_area_m2",
    "building_area_m2",
    "floor_height_m",
    "floor_load_kn_m2",
    "power_kva",
    "rent_yuan_m2_month",
    "land_price_yuan_mu",
)
#: Columns that may carry the time of an asset's last recorded change, in order of preference.
UPDATED_COLUMNS: Final = ("updated_at", "valid_from", "last_event_at", "last_update")


def prepare(
    assets: pd.DataFrame,
    context: pd.DataFrame | None = None,
    *,
    as_of: Any = None,
    state_time: str | None = None,
    updated_at: pd.Series | None = None,
    crs: Any = None,
) -> FeatureTable:
    """Build the columnar feature table of a match from assets and their context.

    Parameters
    ----------
    assets
        Assets with the canonical columns (:data:`assetmatch.schema.ASSET_COLUMNS`), indexed
        by ``asset_id`` or with an ``asset_id`` column, in a projected CRS in metres;
        ``land_area_m2`` in m² is expected (the inventory derives it; ``declared_land_area_m2``
        is used where it is missing). A column ``updated_at`` (time of the last change) feeds
        the freshness criterion.
    context
        Context features indexed by ``asset_id`` (:func:`assetmatch.context.context_features`):
        ``presence_{industry}``, ``nearest_{industry}_m``, ``access_{layer}_m``,
        ``centroid_x``, ``centroid_y`` and ``equiv_radius_m`` (metres, projected CRS).
        Criteria that need a missing column do not take part.
    as_of
        The date the inventory stands at (default: none; the match date is then today).
    state_time
        Recorded time of the inventory state, kept for reproducibility.
    updated_at
        Time of each asset's last change (indexed by ``asset_id``), instead of a column.
    crs
        CRS of the coordinates; default the assets' ``crs`` attribute when there is one.

    Returns
    -------
    FeatureTable
    """
    frame = assets
    if "asset_id" in frame.columns:
        frame = frame.set_index("asset_id", drop=False)
        frame.index.name = "asset_id"
    ids = frame.index.astype(str).to_numpy(dtype=object)
    n = len(ids)
    arrays: dict[str, np.ndarray] = {}
    categories: dict[str, tuple[str, ...]] = {}
    labels: dict[str, tuple[str, ...]] = {}

    def num(col: str) -> np.ndarray:
        if col not in frame:
            return np.full(n, np.nan, dtype=_F32)
        return pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64).astype(_F32)

    for col in _FLOAT_COLUMNS:
        arrays[col] = num(col)
    if "declared_land_area_m2" in frame:
        declared = num("declared_land_area_m2")
        arrays["land_area_m2"] = np.where(
            np.isnan(arrays["land_area_m2"]), declared, arrays["land_area_m2"]
        ).astype(_F32)

    arrays["status"], categories["status"] = _codes(frame, "status", STATUSES)
    arrays["kind"], categories["kind"] = _codes(frame, "kind", KINDS)
    bare = arrays["kind"] == KINDS.index("land")
    b = arrays["building_area_m2"]
    b[bare & np.isnan(b)] = 0.0

    arrays["tenure"] = _tenure_masks(frame.get("tenure"), n)
    arrays["net_land"] = _bool_float(frame.get("net_land"), n)
    ob_sum, ob_max, ob_n = _obstacle_days(frame.get("obstacles"), n)
    arrays["obstacle_days_sum"], arrays["obstacle_days_max"], arrays["n_obstacles"] = (
        ob_sum,
        ob_max,
        ob_n,
    )
    arrays["ready_day"] = _days(frame.get("ready_date"), n)
    if updated_at is not None:
        upd = updated_at.reindex(frame.index)
    else:
        col = next((c for c in UPDATED_COLUMNS if c in frame), None)
        upd = frame[col] if col is not None else None
    if upd is not None:
        arrays["updated_day"] = _days(upd, n)

    # land class of the current use
    if "land_use" in frame:
        schemes = frame.get("land_use_scheme")
        resolved, problems = _landuse.resolve_many(
            frame["land_use"], schemes, default_scheme="2020"
        )
        if problems:
            logger.warning(
                "%d assets have a land-use code that does not resolve; their land-use path is "
                "unknown (first: %s)",
                len(problems),
                problems[0],
            )
        land_class = resolved["land_class"]
    else:
        land_class = pd.Series([None] * n, index=frame.index, dtype=object)
    arrays["land_class"], categories["land_class"] = _factorize(land_class)
    arrays["lu_key"] = arrays["land_class"].astype(np.int32) * N_TENURE_MASKS + arrays[
        "tenure"
    ].astype(np.int32)
    arrays["district"], categories["district"] = _factorize(
        frame["district"] if "district" in frame else pd.Series([None] * n, dtype=object)
    )

    origin = (0.0, 0.0)
    if context is not None:
        ctx = context.reindex(frame.index)
        ctx.attrs = {}  # pandas deep-copies attrs on every column access; none is read here
        missing = int(ctx.isna().all(axis=1).sum()) if len(ctx.columns) else n
        if missing:
            logger.warning("%d of %d assets have no context features", missing, n)
        for key, (labs, names) in _context_layout(tuple(ctx.columns)).items():
            labels[key] = labs
            mat = np.empty((n, len(names)), dtype=_F32, order="F")
            block = ctx[list(names)]
            if all(isinstance(d, np.dtype) and d.kind in "fiub" for d in block.dtypes):
                mat[:] = block.to_numpy(dtype=np.float64)  # one conversion, not one per column
            else:
                for j, c in enumerate(names):
                    mat[:, j] = pd.to_numeric(ctx[c], errors="coerce").to_numpy(np.float64)
            arrays[key] = mat
        if {"centroid_x", "centroid_y"} <= set(ctx.columns):
            cx = ctx["centroid_x"].to_numpy(dtype=np.float64)
            cy = ctx["centroid_y"].to_numpy(dtype=np.float64)
            finite = np.isfinite(cx) & np.isfinite(cy)
            if finite.any():
                origin = (float(np.median(cx[finite])), float(np.median(cy[finite])))
            arrays["x"] = (cx - origin[0]).astype(_F32)
            arrays["y"] = (cy - origin[1]).astype(_F32)
            if "equiv_radius_m" in ctx:
                arrays["radius"] = ctx["equiv_radius_m"].to_numpy(dtype=np.float64).astype(_F32)
            else:
                arrays["radius"] = np.sqrt(arrays["land_area_m2"] / np.pi).astype(_F32)
            np.nan_to_num(arrays["radius"], copy=False, nan=0.0)

    table_as_of = None if as_of is None else _to_date(as_of)
    table = FeatureTable(
        ids,
        arrays,
        categories=categories,
        labels=labels,
        frame=assets if "asset_id" not in assets.columns else frame,
        crs=crs if crs is not None else getattr(assets, "crs", None),
        origin=origin,
        as_of=table_as_of,
        state_time=state_time,
    )
    logger.info(
        "prepared features of %d assets: %d columns, %.1f MB",
        n,
        len(arrays),
        table.nbytes / 1e6,
    )
    return table


@functools.lru_cache(maxsize=16)
def _context_layout(
    columns: tuple[Any, ...],
) -> dict[str, tuple[tuple[str, ...], tuple[Any, ...]]]:
    """The 2-D context arrays :func:`prepare` builds from context ``columns``: for each of
    ``presence``, ``nearest`` and ``access`` that has columns, its labels and the columns."""
    out: dict[str, tuple[tuple[str, ...], tuple[Any, ...]]] = {}
    for key, rx in (
        ("presence", _PRESENCE_RE),
        ("nearest", _NEAREST_RE),
        ("access", _ACCESS_RE),
    ):
        cols = [(m.group(1), c) for c in columns if (m := rx.match(str(c)))]
        if key == "nearest":  # industries only named by conflict rules
            have = {lab for lab, _ in cols}
            cols += [
                (m.group(1), c)
                for c in columns
                if (m := _CONFLICT_NEAREST_RE.match(str(c))) and m.group(1) not in have
            ]
        if cols:
            out[key] = (tuple(lab for lab, _ in cols), tuple(c for _, c in cols))
    return out


def patch(
    table: FeatureTable,
    assets: pd.DataFrame,
    context: pd.DataFrame | None,
    *,
    state_time: str | None = None,
) -> FeatureTable | None:
    """A copy of ``table`` with the rows of ``assets`` re-prepared, or ``None`` if it cannot be.

    ``assets`` (indexed by ``asset_id``) and ``context`` hold the new state of some rows that
    ``table`` already has; the result equals :func:`prepare` of the whole new state. ``None``
    when a patch could not express the change and the caller must rebuild: an id not in the
    table, a new category (a district or land class the table has not seen), other context
    columns, or a table without its assets frame. ``table`` itself is not modified (results
    that hold it keep their rows).
    """
    if table.frame is None or not len(assets):
        return None if table.frame is None else table
    frame = table.frame
    if "asset_id" in assets.columns or list(assets.columns) != list(frame.columns):
        return None
    lookup = table.position
    try:
        pos = np.array([lookup(str(i)) for i in assets.index], dtype=np.intp)
    except UnknownAssetError:
        return None
    # which frame columns the new rows change: only the arrays read from them are prepared
    was = frame.iloc[pos].to_numpy(dtype=object)  # one pass per block, not per column
    now = assets.to_numpy(dtype=object)
    differ = np.zeros(len(frame.columns), dtype=bool)
    for x, y in zip(was, now, strict=True):
        differ |= [not _same_cell(a, b) for a, b in zip(x, y, strict=True)]
    changed = {str(c) for c, d in zip(frame.columns, differ, strict=True) if d}
    redo = _arrays_to_prepare(table.keys(), changed, context is not None)
    if redo is None:  # an array this does not know the inputs of: prepare all of them
        redo = set(table.keys()) - {"lu_key"}
        inputs = list(assets.columns)
    else:
        want = set().union(*(_inputs(k) for k in redo)) if redo else set()
        inputs = [c for c in assets.columns if c in want]
    arrays = dict(table._arrays)  # unchanged arrays are shared (read-only) with ``table``
    if redo:
        use_context = context is not None and bool(redo & _CONTEXT_ARRAYS)
        sub = prepare(
            assets[inputs],
            context if use_context else None,
            as_of=table.as_of,
            state_time=state_time,
            crs=table.crs,
        )
        if not redo <= set(sub.keys()) or (
            use_context and any(sub.labels.get(k) != table.labels.get(k) for k in _MATRICES)
        ):
            return None
        for k in redo:
            a = table[k].copy(order="K")
            new = sub[k]
            if k in ("land_class", "district"):
                new = _recode(new, sub.categories[k], table.categories[k])
                if new is None:
                    return None
            elif k in ("x", "y"):
                col = "centroid_x" if k == "x" else "centroid_y"
                off = table.origin[0] if k == "x" else table.origin[1]
                if context is None:
                    return None
                c = context.reindex(assets.index)[col]
                new = (c.to_numpy(dtype=np.float64) - off).astype(_F32)
            a[pos] = new
            arrays[k] = a
        if "lu_key" in arrays and redo & {"land_class", "tenure"}:
            arrays["lu_key"] = arrays["land_class"].astype(np.int32) * N_TENURE_MASKS + arrays[
                "tenure"
            ].astype(np.int32)
    out_frame = _patch_frame(frame, assets, pos, differ)
    if out_frame is None:
        return None
    out = table._like(table.ids, arrays, frame=out_frame, state_time=state_time)
    for key, values in table._cache.items():  # the frame's object columns, patched too
        if key[0] == "frame" and key[1] in out_frame.columns:
            if key[1] in changed:
                values = values.copy()
                for k, v in zip(pos, out_frame[key[1]].iloc[pos].tolist(), strict=True):
                    values[k] = v
                values.setflags(write=False)
            out._cache[key] = values
    out._keep_unchanged(table)
    return out


#: The arrays :func:`prepare` reads from the context (their rows are prepared again whenever
#: a patch has a context), and the 2-D ones among them.
_CONTEXT_ARRAYS: Final = frozenset({"presence", "nearest", "access", "x", "y", "radius"})
_MATRICES: Final = ("presence", "nearest", "access")
_OBSTACLE_ARRAYS: Final = ("obstacle_days_sum", "obstacle_days_max", "n_obstacles")
#: The asset columns each array of :func:`prepare` is computed from (``lu_key`` is computed
#: from ``land_class`` and ``tenure``; the context arrays from the context, and ``radius``
#: from the land area when the context has no ``equiv_radius_m``).
_ARRAY_INPUTS: Final[dict[str, frozenset[str]]] = {
    **{c: frozenset({c}) for c in _FLOAT_COLUMNS},
    "land_area_m2": frozenset({"land_area_m2", "declared_land_area_m2"}),
    "building_area_m2": frozenset({"building_area_m2", "kind"}),
    "status": frozenset({"status"}),
    "kind": frozenset({"kind"}),
    "tenure": frozenset({"tenure"}),
    "net_land": frozenset({"net_land"}),
    **{k: frozenset({"obstacles"}) for k in _OBSTACLE_ARRAYS},
    "ready_day": frozenset({"ready_date"}),
    "updated_day": frozenset(UPDATED_COLUMNS),
    "land_class": frozenset({"land_use", "land_use_scheme"}),
    "district": frozenset({"district"}),
    **{k: frozenset() for k in ("presence", "nearest", "access", "x", "y")},
    "radius": frozenset({"land_area_m2", "declared_land_area_m2"}),
}


def _inputs(name: str) -> frozenset[str]:
    return _ARRAY_INPUTS[name]


def _arrays_to_prepare(keys: list[str], changed: set[str], context: bool) -> set[str] | None:
    """The arrays of a table with ``keys`` that rows whose ``changed`` columns changed need
    prepared again (all context arrays when a context is given); ``None`` if one of ``keys``
    is not an array whose inputs are known here."""
    redo: set[str] = set()
    for k in keys:
        if k == "lu_key":
            continue
        inputs = _ARRAY_INPUTS.get(k)
        if inputs is None:
            return None
        if inputs & changed or (context and k in _CONTEXT_ARRAYS):
            redo.add(k)
    return redo


# ------------------------------------------------------------------ row patches


class _FrameColumns:
    """The columns of one assets frame, each taken out once: its array (to read cells without
    pandas) and its values as a read-only object array (:meth:`FeatureTable.frame_values`).
    Shared by every patched table whose frame is this one with some cells written over it."""

    __slots__ = ("_arrays", "_values", "frame", "names")

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        #: The column names (read once: iterating an arrow-backed Index is slow)
        self.names: tuple[str, ...] = tuple(frame.columns.tolist())
        self._arrays: dict[str, Any] = {}
        self._values: dict[str, np.ndarray] = {}

    def get(self, col: str) -> Any:
        """Column ``col`` as its array (NumPy, or the pandas extension array); ``KeyError`` if
        the frame has no such column."""
        a = self._arrays.get(col)
        if a is None:
            if col not in self.names:
                raise KeyError(col)
            a = self.frame[col].array
            if isinstance(a, pd.arrays.NumpyExtensionArray):
                a = a.to_numpy()
            self._arrays[col] = a
        return a

    def values(self, col: str) -> np.ndarray | None:
        """Column ``col`` as ``frame[col].tolist()`` gives it, in a read-only object array."""
        out = self._values.get(col)
        if out is None:
            if col not in self.names:
                return None
            out = np.empty(len(self.frame), dtype=object)
            out[:] = self.frame[col].tolist()
            out.setflags(write=False)
            self._values[col] = out
        return out


class _PendingFrame:
    """The frame of a patched table before anything reads it whole: the frame ``columns`` were
    read from, with ``cells`` (column → row → ``(cell, value as tolist() gives it)``) written
    over it. :meth:`build` makes the frame :func:`prepare` of the same rows would keep."""

    __slots__ = ("cells", "columns")

    def __init__(
        self, columns: _FrameColumns, cells: dict[str, dict[int, tuple[Any, Any]]]
    ) -> None:
        self.columns = columns
        self.cells = cells

    @property
    def base(self) -> pd.DataFrame:
        return self.columns.frame

    def n_rows(self) -> int:
        """How many rows have a cell written over them."""
        return len({r for c in self.cells.values() for r in c})

    def cell(self, row: int, col: str) -> Any:
        c = self.cells.get(col)
        if c is not None and row in c:
            return c[row][0]
        return self.columns.get(col)[row]

    def values(self, col: str) -> np.ndarray | None:
        base = self.columns.values(col)
        c = self.cells.get(col)
        if base is None or not c:
            return base
        out = base.copy()
        for r, (_, v) in c.items():
            out[r] = v
        out.setflags(write=False)
        return out

    def build(self) -> pd.DataFrame:
        base = self.base
        out = base.copy(deep=False)  # copy-on-write: unchanged columns are shared
        for col, c in self.cells.items():
            arr = self.columns.get(col).copy()
            for r, (v, _) in c.items():
                arr[r] = v
            out.isetitem(base.columns.get_loc(col), arr)
        return out


class _SlowRowError(Exception):
    """A row value :func:`patch_rows` does not prepare for certain (the caller rebuilds)."""


#: The arrays :func:`patch_rows` knows how to prepare for one row from its cells.
_ROW_ARRAYS: Final = frozenset(_ARRAY_INPUTS) | {"lu_key"}


def patch_rows(
    table: FeatureTable,
    pos: Sequence[int],
    cells: Sequence[Mapping[str, Any]],
    context: pd.DataFrame | None,
    *,
    state_time: str | None = None,
) -> FeatureTable | None:
    """A copy of ``table`` with some rows' frame cells and context replaced, or ``None``.

    The one-row counterpart of :func:`patch`, for the few rows an edit changed: each array's
    value of a row is prepared from the row's cells as :func:`prepare` prepares a column, in
    plain Python, and written into a copy of only the arrays whose values change (the others
    are shared, read-only, with ``table``). The frame is not built: the new table keeps
    ``table``'s frame and the changed cells, and builds its frame when something reads it
    whole (:attr:`FeatureTable.frame`); cells and object columns are read without it.

    Parameters
    ----------
    table
        The table to patch (not modified: results that hold it keep their rows).
    pos
        Row positions in ``table`` of the rows to patch.
    cells
        For each row of ``pos``, the frame cells that changed (column → new cell, as the
        general decoding gives it; the geometry column included).
    context
        The whole current context table (indexed by ``asset_id``), or ``None`` when the table
        has no context arrays.
    state_time
        Recorded time of the new state.

    Returns
    -------
    FeatureTable or None
        ``None`` when this cannot express the change and the caller must take the general
        way: a cell the column's type does not hold, a new district or land class, other
        context columns, a row missing from the context, or a table without its frame.
    """
    if table._frame is not None:
        base, old_cells = table._columns(), {}
    elif table._pending is not None:
        base, old_cells = table._pending.columns, table._pending.cells
    else:
        return None
    if not set(table.keys()) <= _ROW_ARRAYS:
        return None
    pos = [int(p) for p in pos]
    columns = set(base.names)
    try:
        new_cells = [_checked_cells(base, c, columns) for c in cells]
        writes = _row_writes(table, pos, new_cells, base, old_cells, columns)
        if context is not None:
            _context_writes(table, pos, context, writes, new_cells, base, old_cells)
        elif _CONTEXT_ARRAYS & set(table.keys()):
            return None
    except _SlowRowError:
        return None
    arrays = dict(table._arrays)  # unchanged arrays are shared (read-only) with ``table``
    for k, items in writes.items():
        a = table[k].copy(order="K")
        for p, v in items:
            a[p] = v
        arrays[k] = a
    merged = {c: dict(rows) for c, rows in old_cells.items()}
    for p, row in zip(pos, new_cells, strict=True):
        for c, v in row.items():
            merged.setdefault(c, {})[p] = v
    out = table._like(table.ids, arrays, state_time=state_time)
    out._index = table._index  # the same ids: their look-up is shared
    pending = _PendingFrame(base, merged)
    if pending.n_rows() > _PENDING_ROWS:
        out._frame = pending.build()
    else:
        out._pending = pending
    changed = {c for row in new_cells for c in row}
    for key, values in table._cache.items():  # the frame's object columns, patched too
        if key[0] == "frame":
            c = key[1]
            if c in changed:
                values = values.copy()
                for p, row in zip(pos, new_cells, strict=True):
                    if c in row:
                        values[p] = row[c][1]
                values.setflags(write=False)
            out._cache[key] = values
    out._keep_unchanged(table)
    return out


#: Rows a patched table may hold over its kept frame before its frame is built (then the
#: next patch starts again from the built one).
_PENDING_ROWS: Final = 256


def _checked_cells(
    base: _FrameColumns, row: Mapping[str, Any], columns: set[str]
) -> dict[str, tuple[Any, Any]]:
    """Each new cell of ``row`` as its column's array holds it and as ``tolist()`` gives it
    (the column's own conversion, so that the built frame keeps its dtypes)."""
    out: dict[str, tuple[Any, Any]] = {}
    for c, v in row.items():
        if c not in columns:
            raise _SlowRowError
        array = base.get(c)
        if isinstance(array.dtype, pd.StringDtype):  # a string, or missing (the dtype's NA)
            if isinstance(v, str):
                out[c] = (v, v)
                continue
            if _missing_scalar(v):
                na = array.dtype.na_value
                out[c] = (na, na)
                continue
            raise _SlowRowError
        probe = array[:1].copy()
        if len(probe) != 1:
            raise _SlowRowError
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                probe[0] = v
        except (TypeError, ValueError, OverflowError, Warning):
            raise _SlowRowError from None
        out[c] = (probe[0], probe.tolist()[0])
    return out


def _row_writes(
    table: FeatureTable,
    pos: list[int],
    new_cells: list[dict[str, tuple[Any, Any]]],
    base: _FrameColumns,
    old_cells: Mapping[str, Mapping[int, tuple[Any, Any]]],
    columns: set[str],
) -> dict[str, list[tuple[int, Any]]]:
    """The values to write into each array (``array → [(row, value)]``) for the rows' new
    cells: only the arrays whose inputs changed, and only values that differ."""
    writes: dict[str, list[tuple[int, Any]]] = {}
    keys = set(table.keys())
    for p, row in zip(pos, new_cells, strict=True):
        redo = _arrays_to_prepare(list(keys), set(row), False)
        if redo is None:
            raise _SlowRowError
        if not redo:
            continue

        def get(c: str, p: int = p, row: dict[str, tuple[Any, Any]] = row) -> Any:
            if c in row:
                return row[c][0]
            kept = old_cells.get(c)
            if kept is not None and p in kept:
                return kept[p][0]
            return base.get(c)[p]

        values = _row_values(table, redo, get, columns)
        if redo & {"land_class", "tenure"} and "lu_key" in keys:
            lc = values.get("land_class", table["land_class"][p])
            tn = values.get("tenure", table["tenure"][p])
            values["lu_key"] = np.int32(lc) * N_TENURE_MASKS + np.int32(tn)
        for k, v in values.items():
            if not _same_value(table[k][p], v):
                writes.setdefault(k, []).append((p, v))
    return writes


def _row_values(
    table: FeatureTable,
    redo: set[str],
    get: Callable[[str], Any],
    columns: set[str],
) -> dict[str, Any]:
    """The values :func:`prepare` gives one row in the arrays ``redo`` (context arrays
    aside), from the row's cells (``get``)."""

    def cell(c: str) -> Any:
        return get(c) if c in columns else None

    out: dict[str, Any] = {}
    for k in redo - _CONTEXT_ARRAYS:
        if k in _FLOAT_COLUMNS and k not in ("land_area_m2", "building_area_m2"):
            out[k] = _f32(cell(k))
        elif k == "land_area_m2":
            a = _f32(cell(k))
            if "declared_land_area_m2" in columns and np.isnan(a):
                a = _f32(cell("declared_land_area_m2"))
            out[k] = a
        elif k == "building_area_m2":
            b = _f32(cell(k))
            land = _code(cell("kind"), table.categories["kind"]) == KINDS.index("land")
            out[k] = _F32(0.0) if land and np.isnan(b) else b
        elif k in ("status", "kind"):
            out[k] = np.int16(_code(cell(k), table.categories[k]))
        elif k == "tenure":
            values = _one(cell("tenure")) if "tenure" in columns else None
            out[k] = _tenure_masks(values, 1)[0]
        elif k == "net_land":
            out[k] = _net_land(cell("net_land")) if "net_land" in columns else _F32(np.nan)
        elif k in _OBSTACLE_ARRAYS:
            values = _one(cell("obstacles")) if "obstacles" in columns else None
            total, longest, count = _obstacle_days(values, 1)
            out.update(obstacle_days_sum=total[0], obstacle_days_max=longest[0])
            out["n_obstacles"] = count[0]
        elif k == "ready_day":
            out[k] = _day(cell("ready_date")) if "ready_date" in columns else _F32(np.nan)
        elif k == "updated_day":
            col = next((c for c in UPDATED_COLUMNS if c in columns), None)
            if col is None:
                raise _SlowRowError
            out[k] = _day(get(col))
        elif k == "land_class":
            out[k] = _land_class_code(table, cell("land_use"), cell("land_use_scheme"), columns)
        elif k == "district":
            out[k] = _category_code(table, "district", cell("district"))
        else:  # an array this does not prepare
            raise _SlowRowError
    return {k: v for k, v in out.items() if k in redo}


def _context_writes(
    table: FeatureTable,
    pos: list[int],
    context: pd.DataFrame,
    writes: dict[str, list[tuple[int, Any]]],
    new_cells: list[dict[str, tuple[Any, Any]]],
    base: _FrameColumns,
    old_cells: Mapping[str, Mapping[int, tuple[Any, Any]]],
) -> None:
    """Add to ``writes`` the context arrays' values of the rows ``pos`` that differ from the
    table's (``context`` read as :func:`prepare` reads it)."""
    layout, at, centroids, radius = _context_plan(context.columns)
    want = set(layout) | ({"x", "y", "radius"} if centroids else set())
    if want != _CONTEXT_ARRAYS & set(table.keys()):
        raise _SlowRowError
    if any(table.labels.get(k) != labs for k, (labs, _) in layout.items()):
        raise _SlowRowError
    index = context.index
    rows = []
    for i in table.ids[pos]:
        try:
            r = index.get_loc(i)
        except (KeyError, TypeError):
            raise _SlowRowError from None
        if not isinstance(r, int | np.integer):  # not unique
            raise _SlowRowError
        rows.append(int(r))
    values = _context_values(context, np.array(rows, dtype=np.intp), at)
    start = 0
    for k, (labs, _) in layout.items():
        block = values[:, start : start + len(labs)].astype(_F32)
        start += len(labs)
        mat = table[k]
        for i, p in enumerate(pos):
            if mat[p].tobytes() != block[i].tobytes():
                writes.setdefault(k, []).append((p, block[i]))
    if not centroids:
        return
    land = dict(writes.get("land_area_m2", ()))
    for i, p in enumerate(pos):
        new = {
            "x": _F32(values[i, start] - table.origin[0]),
            "y": _F32(values[i, start + 1] - table.origin[1]),
        }
        if radius:
            r = _F32(values[i, start + 2])
        else:
            a = land.get(p, table["land_area_m2"][p])
            r = np.sqrt(np.array([a], dtype=_F32) / np.pi).astype(_F32)[0]
        new["radius"] = _F32(0.0) if np.isnan(r) else r
        for k, v in new.items():
            if not _same_value(table[k][p], v):
                writes.setdefault(k, []).append((p, v))


#: The last context columns :func:`_context_plan` planned for, and the plan.
_PLANNED: list[tuple[pd.Index, Any]] = []


def _context_plan(
    columns: pd.Index,
) -> tuple[dict[str, tuple[tuple[str, ...], tuple[Any, ...]]], np.ndarray, bool, bool]:
    """What :func:`prepare` reads from context ``columns``: the 2-D arrays' layout
    (:func:`_context_layout`), the positions of their columns then of ``centroid_x``,
    ``centroid_y`` and ``equiv_radius_m`` (those present), and whether there are centroids
    and a radius. Kept for the last columns (a refreshed context keeps its columns)."""
    for kept, plan in _PLANNED:
        if kept is columns or kept.equals(columns):
            return plan  # type: ignore[no-any-return]
    names = columns.tolist()
    layout = _context_layout(tuple(names))
    have = set(names)
    centroids = {"centroid_x", "centroid_y"} <= have
    radius = centroids and "equiv_radius_m" in have
    want = [c for _, ns in layout.values() for c in ns]
    want += ["centroid_x", "centroid_y"] if centroids else []
    want += ["equiv_radius_m"] if radius else []
    at = columns.get_indexer(want)
    if not columns.is_unique or (at < 0).any():
        raise _SlowRowError
    plan = (layout, at, centroids, radius)
    _PLANNED[:] = [(columns, plan)]
    return plan


def _context_values(context: pd.DataFrame, rows: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``context.iloc[rows, at]`` as float64 (columns of numeric NumPy blocks only), read
    from the frame's blocks without building a frame (a context read from a store has a
    block per column: the cells are read one by one, not block by block)."""
    mgr = context._mgr
    blocks = mgr.blocks
    columns = []
    checked: set[int] = set()
    for b, loc in zip(mgr.blknos[at].tolist(), mgr.blklocs[at].tolist(), strict=True):
        values = blocks[b].values
        if b not in checked:
            if (
                not isinstance(values, np.ndarray)
                or values.ndim != 2
                or values.dtype.kind not in "fiub"
            ):
                raise _SlowRowError
            checked.add(b)
        columns.append(values[loc])
    out = np.empty((len(rows), len(at)), dtype=np.float64)
    for i, r in enumerate(rows.tolist()):
        out[i] = [c[r] for c in columns]
    return out


def _one(value: Any) -> np.ndarray:
    """A one-element object array holding ``value`` (a list stays one element)."""
    out = np.empty(1, dtype=object)
    out[0] = value
    return out


def _missing_scalar(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _f32(v: Any) -> np.float32:
    """:func:`prepare`'s float column value of one cell (``pd.to_numeric``, then float32)."""
    if _missing_scalar(v):
        return _F32(np.nan)
    if isinstance(v, float | int | np.floating | np.integer) and not isinstance(v, bool | np.bool_):
        return _F32(np.float64(v))
    s = pd.to_numeric(pd.Series([v], dtype=object), errors="coerce")
    return _F32(s.to_numpy(dtype=np.float64)[0])


def _code(v: Any, vocabulary: tuple[str, ...]) -> int:
    """:func:`_codes` of one value (unknown and missing: the last code)."""
    if isinstance(v, str):
        try:
            return vocabulary.index(v)
        except ValueError:
            return len(vocabulary)
    if _missing_scalar(v):
        return len(vocabulary)
    raise _SlowRowError


def _net_land(v: Any) -> np.float32:
    """:func:`_bool_float` of one value."""
    if isinstance(v, bool | np.bool_):
        return _F32(1.0 if v else 0.0)
    if _missing_scalar(v):
        return _F32(np.nan)
    return _bool_float(pd.Series([v], dtype=object), 1)[0]


#: An ISO date or naive date-time with no zone: its day is its first ten characters.
_NAIVE_ISO: Final = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?")


def _day(v: Any) -> np.float32:
    """:func:`_days` of one value."""
    if _missing_scalar(v):
        return _F32(np.nan)
    d: Any = None
    if isinstance(v, pd.Timestamp) and v.tz is None:
        d = np.datetime64(v.as_unit("ns").value, "ns").astype("datetime64[D]")
    elif isinstance(v, str) and _NAIVE_ISO.fullmatch(v) and "1678" < v[:4] < "2262":
        try:
            d = np.datetime64(v[:10], "D")
        except ValueError:
            d = None
    if d is None:
        return _days(pd.Series([v], dtype=object), 1)[0]
    return _F32((d - _EPOCH).astype(np.float64))


def _land_class_code(table: FeatureTable, code: Any, scheme: Any, columns: set[str]) -> Any:
    """The ``land_class`` code of a row with land-use ``code`` (in ``scheme``)."""
    if "land_use" not in columns:
        return _category_code(table, "land_class", None)
    schemes = _one(scheme) if "land_use_scheme" in columns else None
    resolved, _ = _landuse.resolve_many(_one(code), schemes, default_scheme="2020")
    return _category_code(table, "land_class", resolved["land_class"].iloc[0])


def _category_code(table: FeatureTable, name: str, v: Any) -> Any:
    """The code of ``v`` in the table's categories of ``name`` (missing: the last code)."""
    cats = table.categories[name]
    dtype = table[name].dtype
    if _missing_scalar(v):
        return dtype.type(len(cats))
    if not isinstance(v, str):
        raise _SlowRowError
    try:
        return dtype.type(cats.index(v))
    except ValueError:  # a category the table has not seen: rebuild
        raise _SlowRowError from None


def _same_value(a: Any, b: Any) -> bool:
    """Whether two array values are the same bits (NaN equal to NaN)."""
    return bool(np.asarray(a).tobytes() == np.asarray(b, dtype=np.asarray(a).dtype).tobytes())


def _patch_frame(
    frame: pd.DataFrame, rows: pd.DataFrame, pos: np.ndarray, changed: np.ndarray
) -> pd.DataFrame | None:
    """``frame`` with the ``changed`` columns of ``rows`` written at ``pos``; ``None`` if a
    column would change type."""
    if list(rows.columns) != list(frame.columns):
        return None
    out = detached(frame)  # copy-on-write shares the unchanged columns
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for j in np.flatnonzero(changed):
                out.iloc[pos, j] = rows.iloc[:, j].to_numpy()
    except (TypeError, ValueError, Warning):
        return None
    if not out.dtypes.equals(frame.dtypes):
        return None
    return out


def _same_cell(a: Any, b: Any) -> bool:
    """Whether two cells hold the same value and type (missing equal to missing)."""
    if type(a) is not type(b):
        return False
    try:
        if a is b or bool(a == b):
            return True
    except (TypeError, ValueError):  # arrays, NA: compare as missing below
        pass
    return bool(pd.isna(a) is True and pd.isna(b) is True)


def _recode(codes: np.ndarray, have: tuple[str, ...], want: tuple[str, ...]) -> np.ndarray | None:
    """Codes into ``have`` (last = unknown) as codes into ``want``; ``None`` if one is missing."""
    lookup = {c: i for i, c in enumerate(want)}
    mapping = np.empty(len(have) + 1, dtype=np.int64)
    for i, c in enumerate(have):
        j = lookup.get(c)
        if j is None:
            return None
        mapping[i] = j
    mapping[len(have)] = len(want)
    return mapping[codes.astype(np.int64)].astype(codes.dtype)


def _codes(
    frame: pd.DataFrame, col: str, vocabulary: tuple[str, ...]
) -> tuple[np.ndarray, tuple[str, ...]]:
    n = len(frame)
    if col not in frame:
        return np.full(n, len(vocabulary), dtype=np.int16), vocabulary
    codes = pd.Index(list(vocabulary)).get_indexer(frame[col].astype(object)).astype(np.int16)
    codes[codes < 0] = len(vocabulary)  # unknown or missing values
    bad = frame[col][(codes == len(vocabulary)) & frame[col].notna().to_numpy()]
    if len(bad):
        logger.warning(
            "%d assets have a %s outside %s (e.g. %r); treated as unknown",
            len(bad),
            col,
            ", ".join(vocabulary),
            bad.iloc[0],
        )
    return codes, vocabulary


def _factorize(values: pd.Series) -> tuple[np.ndarray, tuple[str, ...]]:
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    cats = tuple(str(u) for u in uniques)
    out = codes.astype(np.int16 if len(cats) < 32_000 else np.int32)
    out[codes < 0] = len(cats)
    return out, cats


def _objects(values: pd.Series | np.ndarray) -> np.ndarray:
    """The values of a Series (or an object array, as it is) as an object array."""
    return values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values


def _tenure_masks(values: pd.Series | np.ndarray | None, n: int) -> np.ndarray:
    out = np.full(n, TENURE_UNKNOWN_BIT, dtype=np.uint8)
    if values is None:
        return out
    memo: dict[Any, int] = {}
    split = re.compile(r"[,;|/\s]+")
    for i, v in enumerate(_objects(values)):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        if isinstance(v, str):
            v = [s for s in split.split(v) if s]
        key = tuple(v) if not isinstance(v, np.ndarray) else tuple(v.tolist())
        m = memo.get(key)
        if m is None:
            m = tenure_mask(key) if key else TENURE_UNKNOWN_BIT
            memo[key] = m
        out[i] = m
    return out


def _bool_float(values: pd.Series | None, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan, dtype=_F32)
    s = values.map({True: 1.0, False: 0.0, "true": 1.0, "false": 0.0})  # 1/0 equal True/False
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64).astype(_F32)


def _obstacle_days(
    values: pd.Series | np.ndarray | None, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    total = np.zeros(n, dtype=_F32)
    longest = np.zeros(n, dtype=_F32)
    count = np.zeros(n, dtype=np.int16)
    if values is None:
        return total, longest, count
    for i, obs in enumerate(_objects(values)):
        if obs is None or isinstance(obs, float) or len(obs) == 0:
            continue
        days = [_obstacle_delay(o) for o in obs]
        total[i], longest[i], count[i] = sum(days), max(days), len(days)
    return total, longest, count


def _obstacle_delay(o: Any) -> float:
    d = o.get("delay_days") if isinstance(o, Mapping) else None
    try:
        d = float(d)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return d if math.isfinite(d) and d > 0 else 0.0


def _days(values: pd.Series | None, n: int) -> np.ndarray:
    """Dates as float32 days since 1970-01-01 (NaN when missing)."""
    if values is None:
        return np.full(n, np.nan, dtype=_F32)
    ts = pd.to_datetime(pd.Series(values).reset_index(drop=True), errors="coerce", utc=True)
    ts = ts.dt.tz_localize(None)
    d = ts.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    out = (d - _EPOCH).astype(np.float64)
    out[np.isnat(d)] = np.nan
    return out.astype(_F32)


def _to_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def date_to_day(value: Any) -> float:
    """Days since 1970-01-01 of a date-like value."""
    return float((np.datetime64(_to_date(value), "D") - _EPOCH).astype(np.int64))
