"""The few asset rows an edit changed, decoded straight into a kept frame's dtypes.

After an edit the in-memory feature table needs the changed rows as :meth:`Inventory.assets`
gives them. Decoding them with the whole-table machinery (``_decode_rows``: a frame copy, a
pandas conversion per column, three date parses; then the idle-spell and idle-land clocks)
costs tens of milliseconds of fixed pandas work for one row. Here each stored value is decoded
on its own, as plain Python, to the cell the kept frame's column holds; the derived columns
(idle spell, idle days, idle-land clocks) are the kept row's when none of their inputs changed.

Anything this does not know for certain returns ``None``, and the caller takes the general path
(``Inventory._current_assets``): a value of a type the stores do not write, a date outside the
plain ISO form, a column the kept frame lacks, or a change to an input of the derived columns.
``tests/test_onerow.py`` checks the decoding against ``_decode_rows`` row by row.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from .schema import ASSET_COLUMNS
from .store import history

__all__ = ["CLOCK_INPUTS", "DERIVED", "changed_cells", "rows_like"]

#: The columns ``Inventory._with_clocks`` derives after decoding (the kept row's are reused).
DERIVED: Final = (
    "idle_since_derived",
    "idle_days",
    "idle_land_state",
    "idle_land_from",
    "reclaim_proposal_from",
)
#: The stored columns those depend on (besides the status history and the day they are read).
CLOCK_INPUTS: Final = frozenset(
    {
        "status",
        "idle_since",
        "agreed_start_date",
        "developed_share",
        "invested_share",
        "government_delay",
    }
)
_JSON: Final = frozenset({"tenure", "obstacles", "extra"})
# an ISO date or naive date-time, as the stores write them (anything else: the general path)
_ISO: Final = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?")
_LOW: Final = pd.Timestamp(history.DATE_MIN)
_HIGH: Final = pd.Timestamp(history.DATE_MAX) + pd.Timedelta(1, "D")


class _SlowError(Exception):
    """A value this module does not decode for certain (the caller takes the general path)."""


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _date(v: Any) -> Any:
    """``parse_stored_dates`` of one stored value, for the forms the stores write."""
    if _missing(v):
        return pd.NaT
    if isinstance(v, datetime | date):  # a typed column (PostGIS)
        v = v.isoformat()
    if not isinstance(v, str) or not _ISO.fullmatch(v):
        raise _SlowError
    t = pd.Timestamp(v)
    if not _LOW <= t < _HIGH:  # read as the nearest bound, with a warning: the general path
        raise _SlowError
    return t.as_unit("ns")


def _decode(col: str, v: Any) -> Any:
    """The cell ``_decode_rows`` gives stored value ``v`` of column ``col``."""
    if col in _JSON:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        return json.loads(v) if isinstance(v, str) else v
    kind = ASSET_COLUMNS.get(col)
    if col == "has_boundary":
        if v is None or (isinstance(v, bool | int) and v in (0, 1)):
            return bool(v)
        raise _SlowError
    if kind == "float":
        if v is None:
            return math.nan
        if isinstance(v, float | int) and not isinstance(v, bool):
            return float(v)
        raise _SlowError
    if kind == "int":
        if v is None:
            return pd.NA
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        raise _SlowError
    if kind == "bool":
        if v is None:
            return pd.NA
        if isinstance(v, bool | int) and v in (0, 1):
            return bool(v)
        raise _SlowError
    if kind == "date":
        return _date(v)
    if v is None or isinstance(v, str):
        return v
    raise _SlowError


def _same(a: Any, b: Any) -> bool:
    """Whether a kept cell and a decoded one hold the same value (missing equal to missing)."""
    ma, mb = _missing(a), _missing(b)
    if ma or mb:
        return ma and mb
    numbers = isinstance(a, int | float | np.number) and isinstance(b, int | float)
    if type(a) is not type(b) and not (isinstance(a, str) and isinstance(b, str)) and not numbers:
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _column(values: list[Any], dtype: Any) -> Any:
    """``values`` as an array of ``dtype``."""
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    return pd.array(values, dtype=dtype)


def rows_like(
    frame: gpd.GeoDataFrame, pos: Sequence[int], raw: gpd.GeoDataFrame
) -> gpd.GeoDataFrame | None:
    """The stored rows ``raw`` (as ``read_assets`` gives them) as rows of ``frame``.

    ``pos`` are the rows of ``frame`` (the kept assets, with derived columns) holding the same
    assets, in ``raw``'s order. The result has ``frame``'s columns and dtypes: the kept rows
    with every decoded value that differs written over them. ``None`` when a value is not one
    this module decodes for certain, ``raw`` has a column ``frame`` lacks, or an input of the
    derived columns changed (the caller then decodes and derives the general way).
    """
    geom = frame.geometry.name
    raw_geom = raw.geometry.name
    raw_cols = [str(c) for c in raw.columns]
    stored = [c for c in raw_cols if c not in ("asset_id", raw_geom)]
    at = {c: j for j, c in enumerate(frame.columns)}
    if any(c not in at for c in stored):
        return None
    kept = frame.iloc[list(pos)]
    was = kept.to_numpy(dtype=object)  # one pass per block, not a pandas call per column
    values = raw.to_numpy(dtype=object)
    changed: dict[str, list[Any]] = {}
    try:
        for k, c in enumerate(raw_cols):
            if c not in stored:
                continue
            now = [_decode(c, v) for v in values[:, k]]
            if not all(_same(a, b) for a, b in zip(was[:, at[c]], now, strict=True)):
                changed[c] = now
    except _SlowError:
        return None
    if CLOCK_INPUTS & changed.keys():
        return None
    out = kept.copy(deep=False)
    for c, now in changed.items():
        out[c] = _column(now, kept.dtypes[c])
    new_geoms = values[:, raw_cols.index(raw_geom)]
    old_geoms = was[:, at[geom]]
    if not all(
        a is b or (a is not None and b is not None and a.equals_exact(b, 0.0))
        for a, b in zip(old_geoms, new_geoms, strict=True)
    ):
        out[geom] = gpd.GeoSeries(list(new_geoms), index=out.index, crs=frame.crs)
    return out


def _kept(v: Any) -> Any:
    """A kept frame cell as plain Python (a NumPy scalar as its Python value)."""
    return v.item() if isinstance(v, np.generic) and not isinstance(v, np.datetime64) else v


def changed_cells(
    table: Any,
    pos: Sequence[int],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    geoms: Sequence[Any],
) -> list[dict[str, Any]] | None:
    """The cells of the kept feature ``table``'s frame that the stored rows change.

    ``rows`` are stored rows (values of the columns ``names``, as the store reads them; the
    ``asset_id`` column may be among them) and ``geoms`` their geometries; ``pos`` the rows of
    ``table`` holding the same assets. Each row's cells are read from the table without
    building its frame (:meth:`~assetmatch.scoring.features.FeatureTable.frame_cell`). Returns,
    for each row, its changed columns and their decoded cells (the geometry column included);
    ``None`` when a value is not one this module decodes for certain, a column is one the
    frame lacks, or an input of the derived columns changed.
    """
    have = set(table.frame_columns)
    geom = table.frame_geometry_name
    if geom is None or not all(c in have for c in DERIVED):
        return None
    stored = [(j, c) for j, c in enumerate(names) if c != "asset_id"]
    if any(c not in have for _, c in stored):
        return None
    out: list[dict[str, Any]] = []
    try:
        for p, row, g in zip(pos, rows, geoms, strict=True):
            cells: dict[str, Any] = {}
            for j, c in stored:
                now = _decode(c, row[j])
                if not _same(_kept(table.frame_cell(p, c)), now):
                    cells[c] = now
            if CLOCK_INPUTS & cells.keys():
                return None
            old = table.frame_cell(p, geom)
            if not (old is g or (old is not None and g is not None and old.equals_exact(g, 0.0))):
                cells[geom] = g
            out.append(cells)
    except _SlowError:
        return None
    return out
