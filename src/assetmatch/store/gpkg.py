"""The GeoPackage store backend: one file holds assets, events, firms, layers and context.

Tables (all registered in ``gpkg_contents``, so GDAL and QGIS list them):

``assets``
    features, the current state of every asset (a cache of the event replay), geometry column
    ``geom`` of type GEOMETRY (polygons, or points for assets known only by location).
``asset_events``
    attributes, the append-only history; triggers refuse UPDATE and DELETE.
``firms``
    features, industry points.
``ref_<name>``
    features, one per named reference layer (highway exits, ports, stations…).
``asset_context``
    attributes, the cached context features, one row per asset.
``deals``
    attributes, past deals (requirements and the asset taken).
``am_meta``
    attributes, key/value settings: schema version, store CRS, state time.

The backend stores and fetches; the domain logic (validation, diffing, replay) lives in
:mod:`assetmatch.inventory`. Every method that writes must be called inside
:meth:`GpkgStore.transaction`, which makes the whole write one SQLite transaction.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geopandas.array import from_shapely
from pyproj import CRS

from .._errors import NotFoundError, StoreError
from ..schema import ASSET_COLUMNS
from . import _gpkg, history

logger = logging.getLogger(__name__)

#: 2: ``create`` events of imports refer to their asset row (``asset_versions`` keeps it).
SCHEMA_VERSION = "2"

_SQL_TYPE = {
    "str": "TEXT",
    "float": "DOUBLE",
    "int": "INTEGER",
    "bool": "BOOLEAN",
    "date": "DATE",
    "list[str]": "TEXT",
    "list[obstacle]": "TEXT",
}

ASSET_TABLE_COLUMNS: list[tuple[str, str]] = [
    ("asset_id", "TEXT NOT NULL UNIQUE"),
    *[(c, _SQL_TYPE[t]) for c, t in ASSET_COLUMNS.items() if c != "asset_id"],
    ("land_class", "TEXT"),
    ("extra", "TEXT"),
    ("valid_from", "TEXT"),
    ("recorded_at", "DATETIME"),
]

#: Column of the ``assets`` table holding the id of the ``create`` event whose record the row
#: still is (the row as that event first wrote it); NULL once the row changed.
CREATE_MARK = "am_create_event"

#: Columns of ``asset_versions``: an asset row as a ``create`` event first wrote it, kept by a
#: trigger before the row's first change or removal (the create event refers to it).
VERSION_COLUMNS: list[tuple[str, str]] = [
    ("asset_id", "TEXT NOT NULL"),
    ("geom", "BLOB"),
    *[(n, t) for n, t in ASSET_TABLE_COLUMNS if n in history.EVENT_FIELDS],
]

EVENT_COLUMNS: list[tuple[str, str]] = [
    ("asset_id", "TEXT NOT NULL"),
    ("kind", "TEXT NOT NULL"),
    ("field", "TEXT"),
    ("value", "TEXT"),
    ("geom", "BLOB"),
    ("valid_at", "TEXT NOT NULL"),
    ("recorded_at", "DATETIME NOT NULL"),
    ("author", "TEXT"),
    ("note", "TEXT"),
    ("batch_id", "TEXT"),
    ("source", "TEXT"),
]

FIRM_TABLE_COLUMNS: list[tuple[str, str]] = [
    ("firm_id", "TEXT NOT NULL UNIQUE"),
    ("name", "TEXT"),
    ("industry", "TEXT"),
    ("employees", "INTEGER"),
    ("extra", "TEXT"),
]

DEAL_COLUMNS: list[tuple[str, str]] = [
    ("deal_id", "TEXT NOT NULL UNIQUE"),
    ("investor", "TEXT"),
    ("industry", "TEXT"),
    ("signed_at", "DATE"),
    ("asset_id", "TEXT"),
    ("requirements", "TEXT"),
    ("outcome", "TEXT"),
]

ZONE_POLICY_COLUMNS: list[tuple[str, str]] = [
    ("version", "INTEGER NOT NULL UNIQUE"),
    ("valid_from", "TEXT NOT NULL"),
    ("recorded_at", "DATETIME NOT NULL"),
    ("rules", "TEXT NOT NULL"),
    ("rules_version", "TEXT"),
    ("author", "TEXT"),
    ("note", "TEXT"),
    ("source", "TEXT"),
]

_ZONE_POLICY_APPEND_ONLY = """
CREATE TRIGGER IF NOT EXISTS "zone_policy_no_update" BEFORE UPDATE ON "zone_policy"
BEGIN SELECT RAISE(ABORT, 'zone_policy is append-only: a policy version is never overwritten'); END;
CREATE TRIGGER IF NOT EXISTS "zone_policy_no_delete" BEFORE DELETE ON "zone_policy"
BEGIN SELECT RAISE(ABORT, 'zone_policy is append-only: a policy version is never deleted'); END;
"""

_APPEND_ONLY = """
CREATE TRIGGER IF NOT EXISTS "asset_events_no_update" BEFORE UPDATE ON "asset_events"
BEGIN SELECT RAISE(ABORT, 'asset_events is append-only: history is never overwritten'); END;
CREATE TRIGGER IF NOT EXISTS "asset_events_no_delete" BEFORE DELETE ON "asset_events"
BEGIN SELECT RAISE(ABORT, 'asset_events is append-only: history is never deleted'); END;
CREATE TRIGGER IF NOT EXISTS "asset_events_no_replace" BEFORE INSERT ON "asset_events"
WHEN EXISTS (SELECT 1 FROM "asset_events" WHERE event_id = NEW.event_id)
BEGIN SELECT RAISE(ABORT, 'asset_events is append-only: an event is never replaced'); END;
"""


def _archive_sql() -> str:
    """Triggers that keep an asset row as its ``create`` event wrote it, in ``asset_versions``,
    before the row's first change or removal, and that keep ``asset_versions`` append-only."""
    cols = ", ".join(f'"{n}"' for n, _ in VERSION_COLUMNS)
    olds = ", ".join(f'OLD."{n}"' for n, _ in VERSION_COLUMNS)
    keep = (
        f'INSERT INTO "asset_versions" ("event_id", {cols}) SELECT OLD."{CREATE_MARK}", {olds} '
        f'WHERE NOT EXISTS (SELECT 1 FROM "asset_versions" WHERE "event_id" = OLD."{CREATE_MARK}");'
    )
    return f"""
CREATE TRIGGER "assets_keep_version_update" AFTER UPDATE ON "assets"
WHEN OLD."{CREATE_MARK}" IS NOT NULL
BEGIN {keep}
  UPDATE "assets" SET "{CREATE_MARK}" = NULL WHERE "fid" = NEW."fid" AND "{CREATE_MARK}" NOTNULL;
END;
CREATE TRIGGER "assets_keep_version_delete" BEFORE DELETE ON "assets"
WHEN OLD."{CREATE_MARK}" IS NOT NULL
BEGIN {keep} END;
CREATE TRIGGER "asset_versions_no_update" BEFORE UPDATE ON "asset_versions"
BEGIN SELECT RAISE(ABORT, 'asset_versions is append-only: history is never overwritten'); END;
CREATE TRIGGER "asset_versions_no_delete" BEFORE DELETE ON "asset_versions"
BEGIN SELECT RAISE(ABORT, 'asset_versions is append-only: history is never deleted'); END;
CREATE TRIGGER "asset_versions_no_replace" BEFORE INSERT ON "asset_versions"
WHEN EXISTS (SELECT 1 FROM "asset_versions" WHERE event_id = NEW.event_id)
BEGIN SELECT RAISE(ABORT, 'asset_versions is append-only: a version is never replaced'); END;
"""


_ARCHIVE_TRIGGERS = (
    "assets_keep_version_update",
    "assets_keep_version_delete",
    "asset_versions_no_update",
    "asset_versions_no_delete",
    "asset_versions_no_replace",
)

#: Python types SQLite stores as they are (floats too, once NaN is NULL).
_NATIVE = frozenset({str, int, float, bytes, type(None)})


def _sql_column(s: pd.Series) -> list[Any]:
    """One column as SQLite values (NaN/NaT/NA → NULL, booleans → 0/1, numpy → Python),
    whole-array where the dtype or the value types allow, value by value otherwise."""
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "fiub":  # numbers, booleans
        return _sql_array(s.to_numpy())
    if pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
        return s.astype(int).tolist()
    if pd.api.types.is_float_dtype(s.dtype):
        return _sql_array(s.to_numpy(dtype=float))
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        vals = s.to_numpy(dtype=object, na_value=None).tolist()
    else:
        vals = s.tolist()
    types = set(map(type, vals))
    if types <= _NATIVE:
        if float in types:
            for k in np.flatnonzero(pd.isna(np.asarray(vals, dtype=object))):
                vals[k] = None
        return vals
    if types <= {bool, type(None)}:
        return [None if v is None else int(v) for v in vals]
    return [_sql_value(v) for v in vals]


def _sql_columns(df: pd.DataFrame) -> list[list[Any]]:
    """The columns of ``df`` as lists of SQLite values (see :func:`_sql_column`)."""
    return [_sql_column(s) for _, s in df.items()]  # items(): no indexer per column


def _sql_columns_of(
    df: pd.DataFrame | Mapping[str, Sequence[Any]], names: Sequence[str]
) -> list[list[Any]]:
    """The columns ``names`` of ``df`` as lists of SQLite values (see :func:`_sql_column`), a
    column ``df`` lacks as NULLs: ``_sql_columns(df.reindex(columns=names))`` without the
    reindexed copy of the frame. ``df`` may also be a mapping of names to equal-length lists
    of plain values (text, numbers, None), taken value by value (:func:`_sql_value`)."""
    if isinstance(df, pd.DataFrame):
        have = set(df.columns)
        return [_sql_column(df[n]) if n in have else [None] * len(df) for n in names]
    n_rows = len(next(iter(df.values()), []))
    return [[_sql_value(v) for v in df[n]] if n in df else [None] * n_rows for n in names]


def _bind_columns(df: pd.DataFrame) -> list[list[Any]]:
    """The columns of ``df`` as values for a bulk ``executemany``: as :func:`_sql_columns`, with
    missing values as :data:`_gpkg.NULL` (stored as NULL, bound far faster than ``None``)."""
    out: list[list[Any]] = []
    for k in range(df.shape[1]):
        s = df.iloc[:, k]
        if pd.api.types.is_float_dtype(s.dtype):  # NaN is already NULL
            out.append(s.to_numpy(dtype=float).tolist())
            continue
        if s.dtype == object:
            vals = s.tolist()
            if set(map(type, vals)) <= _NATIVE - {bytes}:
                out.append(_gpkg.bind_values(vals))
                continue
        out.append(_gpkg.bind_values(_sql_column(s)))
    return out


def _sql_array(values: np.ndarray) -> list[Any]:
    """A NumPy column as SQL values, as :func:`_sql_value` gives them value by value (NaN →
    NULL, numbers and booleans as Python's), without a call per number."""
    if values.dtype.kind == "f":
        return [None if v != v else v for v in values.tolist()]
    if values.dtype.kind == "b":
        return values.astype(np.int64).tolist()
    if values.dtype.kind in "iu":
        return values.tolist()
    return [_sql_value(v) for v in values]


def _sql_arrays(arrays: Sequence[np.ndarray]) -> list[list[Any]]:
    """:func:`_sql_array` of each of ``arrays`` (equal lengths). For a few rows the numeric
    arrays of one dtype are converted together (an edit's rows: ~200 one-value columns, where
    a conversion per column costs more than its values)."""
    n = len(arrays[0]) if len(arrays) else 0
    if n > 16:
        return [_sql_array(a) for a in arrays]
    out: list[list[Any]] = [[] for _ in arrays]
    by_dtype: dict[np.dtype, list[int]] = {}
    for j, a in enumerate(arrays):
        if a.dtype.kind in "fiub":
            by_dtype.setdefault(a.dtype, []).append(j)
        else:
            out[j] = _sql_array(a)
    for js in by_dtype.values():
        values = _sql_array(np.concatenate([arrays[j] for j in js]))
        for k, j in enumerate(js):
            out[j] = values[k * n : (k + 1) * n]
    return out


@functools.lru_cache(maxsize=8)
def _context_upsert_sql(names: tuple[str, ...]) -> str:
    """The statement writing context rows of these columns (``asset_id`` first) by asset id."""
    q = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" * len(names))
    updates = ", ".join(f'"{n}" = excluded."{n}"' for n in names[1:])
    return (
        f'INSERT INTO "asset_context" ({q}) VALUES ({marks}) '
        f"ON CONFLICT(asset_id) DO UPDATE SET {updates}"
    )


def _sql_rows(df: pd.DataFrame) -> list[list[Any]]:
    """Rows of SQLite values, converted column by column (NaN/NaT/NA → NULL, numpy → Python)."""
    cols = _sql_columns(df)
    return [list(r) for r in zip(*cols, strict=True)] if cols else [[] for _ in range(len(df))]


def deal_frame(deals: pd.DataFrame) -> pd.DataFrame:
    """Deals as stored: the DEAL_COLUMNS, requirements as JSON text, signed_at as ISO date."""
    df = deals.reindex(columns=[n for n, _ in DEAL_COLUMNS]).astype(object)
    df["requirements"] = [
        v if isinstance(v, str) or v is None else json.dumps(v, ensure_ascii=False)
        for v in df["requirements"]
    ]
    df["signed_at"] = [None if pd.isna(v) else str(pd.Timestamp(v).date()) for v in df["signed_at"]]
    return df


def restore_context(df: pd.DataFrame, meta: Any) -> pd.DataFrame:
    """Give stored context columns back the dtypes and ``attrs`` recorded in the settings.

    ``meta`` is the store's :meth:`meta` (``context_dtypes``, ``context_attrs``). The table is
    built anew from its columns, so that pandas holds it as one block per dtype, as a computed
    context (its ~200 columns set one by one would make ~200 blocks: every row patch of an
    edit then copies and compares block by block).
    """
    cols: dict[Any, pd.Series] = {c: df[c] for c in df.columns}
    for col, dtype in json.loads(meta("context_dtypes") or "{}").items():
        if col in cols:
            s = cols[col]
            if dtype == "bool":
                s = s.fillna(0).astype(bool)
            elif dtype in ("str", "string", "object"):
                s = s.astype(object).where(s.notna(), None)
                if dtype != "object":
                    s = s.astype(dtype)
            else:
                s = s.astype(dtype)
            cols[col] = s
    out = pd.DataFrame(cols, index=df.index, columns=df.columns)
    out.attrs = json.loads(meta("context_attrs") or "{}")
    return out


def _geo_frame(df: pd.DataFrame, geoms: np.ndarray, crs: CRS) -> gpd.GeoDataFrame:
    """``df`` with ``geoms`` as its geometry column in ``crs``: the frame
    ``GeoDataFrame(df, geometry=GeoSeries(geoms), crs=crs)`` gives, built in a third of its
    time (the geometry array carries the CRS, so the frame has none to check and set)."""
    return gpd.GeoDataFrame(df, geometry=from_shapely(geoms, crs=crs))


def context_columns(ctx: pd.DataFrame) -> dict[str, np.ndarray]:
    """A context table's columns by name as arrays, what ``write_context_rows`` takes."""
    bare = pd.DataFrame(ctx)  # without attrs: pandas deep-copies them per operation
    return {str(c): bare.iloc[:, j].to_numpy() for j, c in enumerate(bare.columns)}


def context_dtype_names(ctx: pd.DataFrame) -> dict[str, str]:
    """The ``context_dtypes`` record of a context table's columns (name → dtype name)."""
    return {str(c): _dtype_name(t) for c, t in zip(ctx.columns.tolist(), ctx.dtypes, strict=True)}


@functools.lru_cache(maxsize=64)
def _dtype_name(dtype: Any) -> str:
    return str(dtype)  # not cheap for a NumPy dtype; a table has ~200 columns of ~5 dtypes


def _sql_value(v: Any) -> Any:
    """Python value → SQLite value (NaN/NaT → NULL, numpy scalars → Python)."""
    if v is None:
        return None
    if isinstance(v, float | np.floating):
        return None if np.isnan(v) else float(v)
    if isinstance(v, bool | np.bool_):
        return int(v)
    if isinstance(v, np.integer):
        return int(v)
    if v is pd.NA or v is pd.NaT:
        return None
    return v


#: The assets whose R-tree box meets a rectangle (parameters: minx, maxx, miny, maxy).
ASSETS_IN_BOX_SQL = (
    'SELECT a.asset_id FROM "assets" a JOIN "rtree_assets_geom" r ON a.fid = r.id '
    "WHERE r.maxx >= ? AND r.minx <= ? AND r.maxy >= ? AND r.miny <= ? ORDER BY a.fid"
)


class GpkgStore:
    """A GeoPackage file holding one inventory.

    One store object may be used from several threads (a service answers requests in a thread
    pool): each thread reads through its own SQLite connection, opened on first use, so reads
    run side by side and each sees whole transactions only (WAL); writes take the store's write
    lock, so a thread's transaction never interleaves with another thread's.

    Parameters
    ----------
    path
        The ``.gpkg`` file; created when missing (unless ``create=False``).
    create
        Whether a missing file may be created.
    readonly
        Open for reading only: nothing is written to the file, not even the journal mode, and
        every write raises :class:`~assetmatch.StoreError`. A file the process may not write is
        opened read-only automatically.
    """

    engine = "gpkg"

    def __init__(
        self, path: str | os.PathLike[str], *, create: bool = True, readonly: bool = False
    ) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._closed = False
        self._srs_crs: dict[int, CRS] = {}  # the CRS of each srs_id read committed (see crs)
        self._srs_id: int | None = None  # the srs_id once read committed (see srs_id)
        self._immutable = False
        exists = _check_path(self.path, create=create, readonly=readonly)
        if exists and not readonly and not _writable(self.path):
            logger.info("%s is not writable: opened read-only", self.path)
            readonly = True
        self.readonly = readonly
        kind = _inspect(self.path) if exists else "empty"
        if readonly:
            if kind != "assetmatch":
                raise StoreError(_not_ours(self.path, kind))
            self._open_readonly()
            return
        if kind not in ("empty", "assetmatch"):
            raise StoreError(_not_ours(self.path, kind))
        # A new file is created in rollback-journal mode, so that its header (application_id
        # "GPKG", user_version) is in the file itself, where GDAL and validators read it, and not
        # only in a WAL; it switches to WAL right after.
        try:
            conn = _gpkg.connect(self.path, wal=kind == "assetmatch")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {self.path} for writing: {exc}") from exc
        self._adopt(conn)
        if kind == "empty":
            with self.transaction():
                self._create_schema()
            _gpkg.use_wal(conn)
            logger.info("created inventory %s", self.path)
        else:
            self._upgrade()

    def _upgrade(self) -> None:
        """Bring a store written by an older version up to this one (idempotent).

        Adds the append-only guards of the history, the asset columns added since (e.g.
        ``agreed_start_date`` and the development shares of the idle-land clocks) as NULL, and
        what ``create`` events that refer to their asset row need (schema 2): the row's mark,
        ``asset_versions`` and its triggers. Events written before keep their full records;
        both kinds are read alike.
        """
        missing = self._missing_asset_columns()
        versions = self._needs_versions()
        if self._has_triggers() and not missing and not versions:
            return
        with self.transaction():
            if not self._has_triggers():
                for stmt in _gpkg._split_sql(_APPEND_ONLY):
                    self.conn.execute(stmt)
            for name, sql_type in missing:
                self.conn.execute(f'ALTER TABLE "assets" ADD COLUMN "{name}" {sql_type}')
            if versions:
                self._create_versions()
            self.set_meta("schema_version", SCHEMA_VERSION)
        if missing:
            logger.info(
                "%s: added asset columns %s (a store from an older version)",
                self.path,
                ", ".join(n for n, _ in missing),
            )

    def _missing_asset_columns(self) -> list[tuple[str, str]]:
        """Asset columns this version has and the file's ``assets`` table lacks."""
        if not _gpkg.table_exists(self.conn, "assets"):
            return []
        have = {r[1] for r in self.conn.execute('PRAGMA table_info("assets")')}
        return [(n, t) for n, t in ASSET_TABLE_COLUMNS if n not in have]

    def _needs_versions(self) -> bool:
        """Whether ``assets`` lacks the mark, ``asset_versions`` or their triggers (or the
        versions table lacks a column the asset table has gained)."""
        if not _gpkg.table_exists(self.conn, "assets"):
            return False
        have = {r[1] for r in self.conn.execute('PRAGMA table_info("assets")')}
        if CREATE_MARK not in have or not _gpkg.table_exists(self.conn, "asset_versions"):
            return True
        kept = {r[1] for r in self.conn.execute('PRAGMA table_info("asset_versions")')}
        triggers = {
            r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
        }
        return not ({n for n, _ in VERSION_COLUMNS} <= kept and set(_ARCHIVE_TRIGGERS) <= triggers)

    def _create_versions(self) -> None:
        """Add the mark column, ``asset_versions`` and the triggers that fill it (inside a
        transaction; idempotent, and brings an older layout up to date)."""
        c = self.conn
        have = {r[1] for r in c.execute('PRAGMA table_info("assets")')}
        if CREATE_MARK not in have:
            c.execute(f'ALTER TABLE "assets" ADD COLUMN "{CREATE_MARK}" INTEGER')
        if not _gpkg.table_exists(c, "asset_versions"):
            _gpkg.create_attribute_table(
                c,
                "asset_versions",
                VERSION_COLUMNS,
                description=(
                    "asset rows as their create event wrote them, kept before their first "
                    "change or removal (append-only; asset_events.event_id)"
                ),
                primary_key="event_id",
            )
        kept = {r[1] for r in c.execute('PRAGMA table_info("asset_versions")')}
        for name, sql_type in VERSION_COLUMNS:
            if name not in kept:
                c.execute(f'ALTER TABLE "asset_versions" ADD COLUMN "{name}" {sql_type}')
        for name in _ARCHIVE_TRIGGERS:
            c.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        for stmt in _gpkg._split_sql(_archive_sql()):
            c.execute(stmt)

    def _has_triggers(self) -> bool:
        names = {
            r[0]
            for r in self.conn.execute(
                "SELECT name FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name = 'asset_events'"
            )
        }
        return {"asset_events_no_update", "asset_events_no_delete", "asset_events_no_replace"} <= (
            names
        )

    def _open_readonly(self) -> None:
        try:
            conn = _gpkg.connect(self.path, readonly=True)
            conn.execute("SELECT count(*) FROM am_meta").fetchone()
        except sqlite3.OperationalError:
            # a WAL store in a directory we may not write: no -shm can be made; read the file
            self._immutable = True
            conn = _gpkg.connect(self.path, readonly=True, immutable=True)
        self._adopt(conn)

    def _adopt(self, conn: sqlite3.Connection) -> None:
        self._local.conn = conn
        with self._conns_lock:
            self._conns.append(conn)

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection to the file (opened on the thread's first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise StoreError(f"the inventory {self.path} is closed")
            conn = _gpkg.connect(self.path, readonly=self.readonly, immutable=self._immutable)
            self._adopt(conn)
        return conn

    # ---------------------------------------------------------------- plumbing
    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``); nested calls join it.

        The store's write lock is held for the whole transaction, so writers in other threads
        of this process wait their turn (writers in other processes wait on SQLite's lock).
        """
        if self.readonly:
            raise StoreError(
                f"{self.path} is open read-only; open it with readonly=False (and write "
                "permission on the file and its directory) to change it"
            )
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        with self._write_lock, _gpkg.transaction(conn):
            yield

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """A consistent read: every read inside sees the same committed state."""
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN")
        try:
            yield
        finally:
            conn.execute("COMMIT")

    def close(self) -> None:
        """Close every thread's connection (checkpointing the WAL into the file)."""
        self._closed = True
        with self._conns_lock:
            conns, self._conns = self._conns, []
        for k, conn in enumerate(conns):
            if k == len(conns) - 1 and not self.readonly:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._local = threading.local()

    def _select(
        self, select: str, key: str, ids: Sequence[str] | None, order: str | None = None
    ) -> list[tuple[Any, ...]]:
        """Rows of ``select`` whose ``key`` is in ``ids`` (all rows when None).

        The ids go in chunks of 900 bound parameters (SQLite's limit is 999 on old builds);
        rows are in ``order`` within each chunk (callers sort when the order matters).
        """
        tail = f' ORDER BY "{order}"' if order else ""
        if ids is None:
            return self.conn.execute(select + tail).fetchall()
        ids = list(ids)
        rows: list[tuple[Any, ...]] = []
        for k in range(0, len(ids), 900):
            chunk = ids[k : k + 900]
            marks = ",".join("?" * len(chunk))
            rows += self.conn.execute(
                f'{select} WHERE "{key}" IN ({marks}){tail}', chunk
            ).fetchall()
        return rows

    def _create_schema(self) -> None:
        c = self.conn
        _gpkg.init(c)
        _gpkg.create_attribute_table(
            c,
            "am_meta",
            [("key", "TEXT NOT NULL UNIQUE"), ("value", "TEXT")],
            description="assetmatch settings",
            count=False,
        )
        self.set_meta("schema_version", SCHEMA_VERSION)
        self.set_meta("created_at", _gpkg.gpkg_timestamp())
        _gpkg.create_attribute_table(
            c,
            "asset_events",
            EVENT_COLUMNS,
            description="append-only history of every change to every asset",
            primary_key="event_id",
        )
        c.execute('CREATE INDEX "asset_events_asset" ON "asset_events" (asset_id, event_id)')
        for stmt in _gpkg._split_sql(_APPEND_ONLY):
            c.execute(stmt)
        _gpkg.create_attribute_table(
            c, "deals", DEAL_COLUMNS, description="past deals: requirements and the asset taken"
        )

    # ---------------------------------------------------------------- meta
    def meta(self, key: str) -> str | None:
        """A setting, or None."""
        row = self.conn.execute("SELECT value FROM am_meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def metas(self, keys: Sequence[str]) -> dict[str, str | None]:
        """Several settings at once, by key (``None`` for a key not set)."""
        keys = list(keys)
        marks = ",".join("?" * len(keys))
        got = dict(
            self.conn.execute(
                f"SELECT key, value FROM am_meta WHERE key IN ({marks})", keys
            ).fetchall()
        )
        return {k: got.get(k) for k in keys}

    def set_metas(self, values: Mapping[str, str | None]) -> None:
        """Set several settings at once (inside a transaction)."""
        self.conn.executemany(
            "INSERT INTO am_meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )

    def set_meta(self, key: str, value: str | None) -> None:
        """Set a setting (inside a transaction)."""
        self.conn.execute(
            "INSERT INTO am_meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def srs_id(self) -> int | None:
        """srs_id of the store CRS, None until set.

        Once set and committed it never changes (the CRS is fixed once), so one read outside
        a transaction is kept; one read inside may yet be rolled back and is read again."""
        if self._srs_id is not None:
            return self._srs_id
        v = self.meta("srs_id")
        if v is None:
            return None
        if not self.conn.in_transaction:
            self._srs_id = int(v)
        return int(v)

    @property
    def crs(self) -> CRS | None:
        """The store's projected CRS, None until the first geometry arrives.

        The CRS of an ``srs_id`` read outside a transaction is kept (a committed row of
        ``gpkg_spatial_ref_sys`` never changes); one read inside a transaction may yet be
        rolled back, so it is read again next time."""
        srs = self.srs_id
        if srs is None:
            return None
        known = self._srs_crs.get(srs)
        if known is not None:
            return known
        conn = self.conn
        crs = _gpkg.crs_of(conn, srs)
        if not conn.in_transaction:
            self._srs_crs[srs] = crs
        return crs

    def set_crs(self, crs: CRS) -> None:
        """Fix the store CRS and create the spatial tables (inside a transaction)."""
        srs_id = _gpkg.ensure_srs(self.conn, crs)
        self.set_meta("srs_id", str(srs_id))
        _gpkg.create_feature_table(
            self.conn,
            "assets",
            ASSET_TABLE_COLUMNS,
            geometry_type="GEOMETRY",
            srs_id=srs_id,
            description="idle and low-efficiency land and plants: current state",
        )
        self._create_versions()
        _gpkg.create_feature_table(
            self.conn,
            "firms",
            FIRM_TABLE_COLUMNS,
            geometry_type="POINT",
            srs_id=srs_id,
            description="firms by GB/T 4754 industry",
        )

    # ---------------------------------------------------------------- assets
    def lock_assets(self, ids: Sequence[str]) -> None:
        """Nothing to do: a write transaction holds the whole file (``BEGIN IMMEDIATE``)."""

    def read_assets(self, ids: Sequence[str] | None = None) -> gpd.GeoDataFrame:
        """The current asset rows (raw stored values; JSON columns still text)."""
        crs = self.crs
        names = [n for n, _ in ASSET_TABLE_COLUMNS]
        if crs is None:
            return gpd.GeoDataFrame(
                pd.DataFrame(columns=names), geometry=gpd.GeoSeries([]), crs=None
            )
        rows = self._select_assets(names, ids)
        df = pd.DataFrame([r[1:] for r in rows], columns=names)
        geoms = _gpkg.decode([r[0] for r in rows]) if rows else np.array([], dtype=object)
        return _geo_frame(df, geoms, crs)

    def read_asset_geometries(self, ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """The ids and geometries of the stored assets among ``ids`` (``read_assets(ids)``'s
        ``asset_id`` and geometry columns, without building its frame)."""
        rows = self._select('SELECT asset_id, geom FROM "assets"', "asset_id", ids, "fid")
        geoms = _gpkg.decode([r[1] for r in rows]) if rows else np.array([], dtype=object)
        return [r[0] for r in rows], np.asarray(geoms, dtype=object)

    def _select_assets(self, names: list[str], ids: Sequence[str] | None) -> list[tuple[Any, ...]]:
        return self._select(
            f'SELECT geom, {self._asset_cols(names)} FROM "assets"', "asset_id", ids, "fid"
        )

    def _asset_cols(self, names: list[str]) -> str:
        """The select list of ``names`` from ``assets``: a column an older file opened read-only
        lacks reads as NULL (a writable file has every column: it was upgraded on opening)."""
        absent = {n for n, _ in self._missing_asset_columns()} if self.readonly else set()
        return ", ".join(f'NULL AS "{n}"' if n in absent else f'"{n}"' for n in names)

    def read_for_update(
        self, ids: Sequence[str], keys: Sequence[str]
    ) -> tuple[dict[str, list[Any]] | None, dict[str, str], dict[str, str | None]]:
        """:meth:`read_asset_columns` of ``ids``, :meth:`created_at` of those found and
        :meth:`metas` of ``keys``, in two statements (inside a transaction: the file is the
        writer's already)."""
        ids = list(ids)
        got = self.metas(list(dict.fromkeys([*keys, "srs_id"])))
        metas = {k: got[k] for k in keys}
        if got["srs_id"] is None:
            return None, self.created_at(ids), metas
        names = [n for n, _ in ASSET_TABLE_COLUMNS]
        entered = (
            '(SELECT max(valid_at) FROM "asset_events" e '
            "WHERE e.asset_id = a.asset_id AND e.kind = 'create')"
        )
        select = f'SELECT geom, {self._asset_cols(names)}, {entered} FROM "assets" a'
        rows = self._select(select, "asset_id", ids, "fid")
        out = {n: [r[k] for r in rows] for k, n in enumerate(names, start=1)}
        out["geometry"] = list(_gpkg.decode([r[0] for r in rows])) if rows else []
        created = {r[1]: r[-1] for r in rows if r[-1] is not None}
        return out, created, metas

    def write_update(
        self,
        events: Mapping[str, Sequence[Any]],
        columns: Mapping[str, Sequence[Any]],
        geoms: Any,
        metas: Mapping[str, str | None],
    ) -> None:
        """:meth:`append_events`, :meth:`upsert_asset_columns` and :meth:`set_metas` (inside a
        transaction: in SQLite each statement is a call, not a round trip)."""
        self.append_events(events)
        self.upsert_asset_columns(columns, geoms)
        if metas:
            self.set_metas(metas)

    def read_asset_columns(self, ids: Sequence[str]) -> dict[str, list[Any]] | None:
        """The current rows of ``ids`` as :meth:`read_assets` reads them, column by column as
        Python lists of the stored values (None for NULL, no dtype inference), ``geometry``
        decoded; None before the store has a CRS. For a few rows, without a frame."""
        if self.srs_id is None:
            return None
        names = [n for n, _ in ASSET_TABLE_COLUMNS]
        rows = self._select_assets(names, ids)
        out = {n: [r[k] for r in rows] for k, n in enumerate(names, start=1)}
        out["geometry"] = list(_gpkg.decode([r[0] for r in rows])) if rows else []
        return out

    def asset_ids(self) -> list[str]:
        """Ids of the current assets."""
        if self.crs is None:
            return []
        return [r[0] for r in self.conn.execute('SELECT asset_id FROM "assets" ORDER BY fid')]

    def asset_ids_in_box(self, box: tuple[float, float, float, float]) -> list[str]:
        """Ids of the assets whose envelope meets ``box``, through the R-tree index."""
        if self.crs is None:
            return []
        minx, miny, maxx, maxy = (float(v) for v in box)
        rows = self.conn.execute(ASSETS_IN_BOX_SQL, (minx, maxx, miny, maxy)).fetchall()
        return [r[0] for r in rows]

    def upsert_assets(self, rows: gpd.GeoDataFrame) -> None:
        """Insert or replace current rows by asset_id (inside a transaction)."""
        self._upsert_features("assets", "asset_id", ASSET_TABLE_COLUMNS, rows)

    def upsert_asset_columns(self, columns: Mapping[str, Sequence[Any]], geoms: Any) -> None:
        """:meth:`upsert_assets` of rows given column by column as SQLite values (what
        :func:`_sql_column` makes of a frame's column; a column left out is NULL) and their
        geometries: for a few rows, without a frame."""
        names = [n for n, _ in ASSET_TABLE_COLUMNS]
        n = len(geoms)
        self._write_features(
            "assets",
            "asset_id",
            names,
            [list(columns[c]) if c in columns else [None] * n for c in names],
            np.asarray(geoms, dtype=object),
        )

    def _upsert_features(
        self, table: str, key: str, columns: list[tuple[str, str]], rows: gpd.GeoDataFrame
    ) -> None:
        # UPDATE then INSERT rather than SQLite's UPSERT: an UPSERT's conflict handling would
        # override the R-tree triggers' own INSERT OR REPLACE.
        names = [n for n, _ in columns]
        self._write_features(
            table, key, names, _sql_columns_of(rows, names), rows.geometry.to_numpy()
        )

    def _write_features(
        self, table: str, key: str, names: list[str], data: list[list[Any]], geoms: np.ndarray
    ) -> None:
        """Insert or replace rows given as SQLite values column by column (``data``, one list
        per name of ``names``, the key first) and their geometries."""
        srs_id = self.srs_id
        assert srs_id is not None
        blobs = _gpkg.encode(geoms, srs_id)
        params = [list(r) for r in zip(blobs, *data, strict=True)]
        keys = [str(k) for k in data[0]]
        # the stored geometry of each existing row: a row whose geometry is written as it is
        # stored keeps it (no R-tree update: the same row, box and extent either way)
        existing = dict(self._select(f'SELECT "{key}", geom FROM "{table}"', key, keys))
        sets = ", ".join(f'"{n}" = ?' for n in ["geom", *names[1:]])
        upd: list[list[Any]] = []
        kept: list[list[Any]] = []
        for p, k in zip(params, keys, strict=True):
            if k not in existing:
                continue
            if existing[k] == p[0]:
                kept.append([*p[2:], p[1]])
            else:
                upd.append([*p[:1], *p[2:], p[1]])
        ins = [p for p, k in zip(params, keys, strict=True) if k not in existing]
        if upd:
            self.conn.executemany(f'UPDATE "{table}" SET {sets} WHERE "{key}" = ?', upd)
        if kept:
            rest = ", ".join(f'"{n}" = ?' for n in names[1:])
            self.conn.executemany(f'UPDATE "{table}" SET {rest} WHERE "{key}" = ?', kept)
        if ins:
            cols = ", ".join(f'"{n}"' for n in names)
            marks = ", ".join("?" * (len(names) + 1))
            self.conn.executemany(f'INSERT INTO "{table}" (geom, {cols}) VALUES ({marks})', ins)
        _gpkg.touch(self.conn, table, bounds=shapely.bounds(geoms))

    def add_assets(
        self,
        rows: gpd.GeoDataFrame | Iterable[gpd.GeoDataFrame],
        event: Mapping[str, Any],
        *,
        ids: Sequence[str] | None = None,
    ) -> None:
        """Insert the rows of assets new to the store, each with its ``create`` event (inside a
        transaction).

        Each event refers to its row as written here instead of copying it: the row's
        geometry and record are stored once, in ``assets``, until the row first changes or
        goes, when a trigger keeps this version in ``asset_versions``. One ``executemany`` per
        table, parameters built column by column.

        Parameters
        ----------
        rows
            Current rows as :meth:`upsert_assets` takes them, of ids not in the store.
        event
            What the create events share: ``valid_at, recorded_at, author, note, batch_id,
            source``.
        ids
            The rows' ``asset_id`` in order, when they come as frames of consecutive rows
            (written here as one).
        """
        if not isinstance(rows, pd.DataFrame):
            parts = list(rows)
            rows = pd.concat(parts) if parts else gpd.GeoDataFrame()
        n = len(rows)
        if not n:
            return
        srs_id = self.srs_id
        assert srs_id is not None
        conn = self.conn
        first_event = _gpkg.next_id(conn, "asset_events", "event_id")
        first_fid = _gpkg.next_id(conn, "assets", "fid")
        names = [n for n, _ in ASSET_TABLE_COLUMNS]
        geoms = rows.geometry.to_numpy()
        bounds = shapely.bounds(geoms)
        fids = np.arange(first_fid, first_fid + n)
        _gpkg.insert_features(
            conn,
            "assets",
            ["fid", "geom", *names, CREATE_MARK],
            zip(
                fids.tolist(),
                _gpkg.bind_blobs(_gpkg.encode(geoms, srs_id)),
                *_bind_columns(rows.reindex(columns=names)),
                range(first_event, first_event + n),
                strict=True,
            ),
            fids=fids,
            bounds=bounds,
        )
        # the events in one statement, in the rows' order, from the rows just written; the
        # per-row triggers it would fire are set aside (the count grows once; the guard against
        # replacing an event has nothing to guard: a plain INSERT of ids past every existing one)
        shared = [event.get(k) for k in history.SHARED_EVENT_FIELDS]
        count = _gpkg.count_trigger("asset_events")
        with _gpkg.triggers_set_aside(conn, [count, "asset_events_no_replace"]) as dropped:
            conn.execute(
                'INSERT INTO "asset_events" (event_id, asset_id, kind, valid_at, recorded_at, '
                f"author, note, batch_id, source) SELECT \"{CREATE_MARK}\", asset_id, 'create', "
                '?, ?, ?, ?, ?, ? FROM "assets" WHERE fid >= ? ORDER BY fid',
                (*shared, first_fid),
            )
            if count in dropped:
                _gpkg.add_to_count(conn, "asset_events", n)
        _gpkg.touch(conn, "assets", bounds=bounds)
        _gpkg.touch(conn, "asset_events", None)

    def delete_assets(self, ids: Sequence[str]) -> None:
        """Remove current rows (their history stays)."""
        self.conn.executemany('DELETE FROM "assets" WHERE asset_id = ?', [(i,) for i in ids])
        if _gpkg.table_exists(self.conn, "asset_context"):
            self.conn.executemany(
                'DELETE FROM "asset_context" WHERE asset_id = ?', [(i,) for i in ids]
            )
        _gpkg.touch(self.conn, "assets", bounds=np.empty((0, 4)))

    # ---------------------------------------------------------------- events
    def append_events(self, events: pd.DataFrame | Mapping[str, Sequence[Any]]) -> None:
        """Append events (inside a transaction). Geometry is stored as ISO WKB.

        ``events`` is a frame, or (a few events) a mapping of its columns to lists."""
        names = [n for n, _ in EVENT_COLUMNS]
        n = len(events) if isinstance(events, pd.DataFrame) else len(events["asset_id"])
        geoms = np.asarray(events["geom"], dtype=object) if "geom" in events else np.full(n, None)
        wkb = [
            None if g is None else shapely.to_wkb(g, byte_order=1, flavor="iso", output_dimension=2)
            for g in geoms
        ]
        columns = {n: wkb if n == "geom" else None for n in names}
        rest = [n for n in names if n != "geom"]
        columns.update(zip(rest, _sql_columns_of(events, rest), strict=True))
        columns["value"] = [history.encode_record(v) for v in columns["value"]]
        params = list(zip(*columns.values(), strict=True))
        marks = ", ".join("?" * len(names))
        cols = ", ".join(f'"{n}"' for n in names)
        self.conn.executemany(f'INSERT INTO "asset_events" ({cols}) VALUES ({marks})', params)
        _gpkg.touch(self.conn, "asset_events", None)

    def read_events(self, ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Events, in recording order, with geometry decoded to shapely.

        A ``create`` event that refers to its asset row (``value`` NULL in the file) comes back
        with that row's record as a dict in ``value`` and its geometry in ``geom``, read from
        ``asset_versions`` or, while the row is as the event wrote it, from ``assets``.
        """
        names = ["event_id", *(n for n, _ in EVENT_COLUMNS)]
        cols = ", ".join(f'"{n}"' for n in names)
        rows = self._select(f'SELECT {cols} FROM "asset_events"', "asset_id", ids, "event_id")
        df = pd.DataFrame(rows, columns=names)
        if len(df):
            df["geom"] = shapely.from_wkb(df["geom"].to_numpy())
            by_ref = ((df["kind"] == "create") & df["value"].isna()).to_numpy()
            if by_ref.any():
                records, geoms = self._created_rows(df["event_id"].to_numpy()[by_ref].tolist())
                df["value"] = df["value"].astype(object)
                df.loc[by_ref, "value"] = pd.Series(records, index=df.index[by_ref], dtype=object)
                df.loc[by_ref, "geom"] = pd.Series(geoms, index=df.index[by_ref], dtype=object)
        return df

    def _created_rows(self, event_ids: list[int]) -> tuple[list[dict[str, Any]], list[Any]]:
        """Records and geometries of the rows by-reference ``create`` events wrote, in the
        order of ``event_ids``."""
        fields = [n for n, _ in VERSION_COLUMNS if n not in ("asset_id", "geom")]
        found: dict[int, tuple[Any, ...]] = {}
        for table, key in (("asset_versions", "event_id"), ("assets", CREATE_MARK)):
            have = {r[1] for r in self.conn.execute(f'PRAGMA table_info("{table}")')}
            # a column added since is missing from a file opened read-only: read as NULL
            cols = ", ".join(f'"{n}"' if n in have else f'NULL AS "{n}"' for n in fields)
            select = f'SELECT "{key}", geom, {cols} FROM "{table}"'
            ids = None if len(event_ids) > 5000 else event_ids
            for r in self._select(select, key, ids):
                if r[0] is not None:
                    found.setdefault(int(r[0]), r)
        lost = [e for e in event_ids if e not in found]
        if lost:
            raise StoreError(
                f"{self.path}: the asset rows of create events {lost[:5]} are missing (the "
                "file was changed outside assetmatch); restore it from a copy"
            )
        picked = [found[e] for e in event_ids]
        columns = {f: [r[2 + k] for r in picked] for k, f in enumerate(fields)}
        geoms = _gpkg.decode([r[1] for r in picked])
        return history.records_from_rows(columns), list(geoms)

    def created_at(self, ids: Sequence[str]) -> dict[str, str]:
        """Valid time of each asset's latest ``create`` event (when it entered the inventory)."""
        out: dict[str, str] = {}
        for aid, kind, valid in self._select(
            'SELECT asset_id, kind, valid_at FROM "asset_events"', "asset_id", ids
        ):
            if kind == "create" and (aid not in out or valid > out[aid]):
                out[aid] = valid
        return out

    # ---------------------------------------------------------------- firms
    def read_firms(self) -> gpd.GeoDataFrame:
        """All firms."""
        names = [n for n, _ in FIRM_TABLE_COLUMNS]
        crs = self.crs
        if crs is None:
            return gpd.GeoDataFrame(
                pd.DataFrame(columns=names), geometry=gpd.GeoSeries([]), crs=None
            )
        cols = ", ".join(f'"{n}"' for n in names)
        rows = self.conn.execute(f'SELECT geom, {cols} FROM "firms" ORDER BY fid').fetchall()
        df = pd.DataFrame([r[1:] for r in rows], columns=names)
        geoms = _gpkg.decode([r[0] for r in rows]) if rows else np.array([], dtype=object)
        return _geo_frame(df, geoms, crs)

    def upsert_firms(self, rows: gpd.GeoDataFrame) -> None:
        """Insert or replace firms by firm_id (inside a transaction)."""
        self._upsert_features("firms", "firm_id", FIRM_TABLE_COLUMNS, rows)

    def delete_firms(self, ids: Sequence[str]) -> None:
        """Remove firms by id (inside a transaction)."""
        self.conn.executemany('DELETE FROM "firms" WHERE firm_id = ?', [(i,) for i in ids])
        _gpkg.touch(self.conn, "firms", bounds=np.empty((0, 4)))

    # ---------------------------------------------------------------- layers
    def layer_names(self) -> list[str]:
        """Names of the reference layers."""
        rows = self.conn.execute(
            "SELECT identifier FROM gpkg_contents WHERE table_name LIKE 'ref\\_%' ESCAPE '\\' "
            "ORDER BY identifier"
        ).fetchall()
        return [r[0] for r in rows]

    def _layer_tables(self, name: str) -> list[str]:
        """Tables of the layer ``name`` (compared without regard to case)."""
        rows = self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND lower(name) = lower(?)",
            (f"ref_{name}",),
        ).fetchall()
        return [r[0] for r in rows]

    def write_layer(self, name: str, gdf: gpd.GeoDataFrame) -> None:
        """Replace a reference layer (inside a transaction); ``gdf`` is in the store CRS."""
        table = f"ref_{name}"
        srs_id = self.srs_id
        assert srs_id is not None
        # names are case-insensitive (so are SQLite's table names): replace any spelling
        for old in self._layer_tables(name):
            _gpkg.drop_table(self.conn, old)
        attrs = [c for c in gdf.columns if c != gdf.geometry.name]
        _gpkg.create_feature_table(
            self.conn,
            table,
            [(c, _infer_sql_type(gdf[c])) for c in attrs],
            geometry_type="GEOMETRY",
            srs_id=srs_id,
            identifier=name,
            description=f"reference layer {name}",
        )
        blobs = _gpkg.encode(gdf.geometry.to_numpy(), srs_id)
        data = gdf[attrs].astype(object).to_numpy() if attrs else np.empty((len(gdf), 0))
        cols = "".join(f', "{c}"' for c in attrs)
        marks = ", ".join("?" * (len(attrs) + 1))
        self.conn.executemany(
            f'INSERT INTO "{table}" (geom{cols}) VALUES ({marks})',
            [[b, *(_sql_value(v) for v in row)] for b, row in zip(blobs, data, strict=True)],
        )
        _gpkg.touch(self.conn, table)

    def read_layer(self, name: str) -> gpd.GeoDataFrame:
        """A reference layer by name."""
        tables = self._layer_tables(name)
        if not tables:
            raise NotFoundError(f"no reference layer {name!r}; layers: {self.layer_names()}")
        table = tables[0]
        cur = self.conn.execute(f'SELECT * FROM "{table}" ORDER BY fid')
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
        df = pd.DataFrame(rows, columns=names)
        geoms = _gpkg.decode(df.pop("geom").tolist()) if len(df) else np.array([], dtype=object)
        df = df.drop(columns=["fid"])
        return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, index=df.index), crs=self.crs)

    # ---------------------------------------------------------------- context
    def write_context(self, ctx: pd.DataFrame, *, replace: bool) -> None:
        """Write context rows (indexed by asset_id). ``replace`` rebuilds the table."""
        table = "asset_context"
        cols = ctx.columns.tolist()
        before = json.loads(self.meta("context_dtypes") or "{}") if not replace else {}
        dtypes = {**before, **context_dtype_names(ctx)}
        if replace or not _gpkg.table_exists(self.conn, table):
            _gpkg.drop_table(self.conn, table)
            _gpkg.create_attribute_table(
                self.conn,
                table,
                [("asset_id", "TEXT NOT NULL UNIQUE")]
                + [(c, _infer_sql_type(ctx[c])) for c in cols],
                description="context features per asset (cache; see am_meta context_*)",
            )
        elif list(before) != [str(c) for c in cols]:  # else the table has them (written with)
            existing = {r[1] for r in self.conn.execute(f'PRAGMA table_info("{table}")').fetchall()}
            for c in cols:
                if c not in existing:
                    self.conn.execute(
                        f'ALTER TABLE "{table}" ADD COLUMN "{c}" {_infer_sql_type(ctx[c])}'
                    )
        if dtypes != before or replace:
            self.set_meta("context_dtypes", json.dumps(dtypes))
        self.set_meta("context_attrs", json.dumps(ctx.attrs, default=str))
        self.write_context_rows(ctx.index, context_columns(ctx))

    def write_context_rows(self, ids: Sequence[str], columns: Mapping[str, np.ndarray]) -> None:
        """Write rows of the stored context table, one value per id in each of ``columns``
        (in the table's order and of the dtypes recorded): all of its columns, or some, over
        rows it holds (an edit's changed values, which come without a frame; inside a
        transaction). Nothing for no columns."""
        if not columns:
            return
        names = ["asset_id", *columns]
        params = list(zip(list(map(str, ids)), *_sql_arrays(list(columns.values())), strict=True))
        self.conn.executemany(_context_upsert_sql(tuple(names)), params)
        _gpkg.touch(self.conn, "asset_context", None)

    def read_context(self) -> pd.DataFrame | None:
        """The cached context, indexed by asset_id, or None if never computed."""
        table = "asset_context"
        if not _gpkg.table_exists(self.conn, table):
            return None
        cur = self.conn.execute(f'SELECT * FROM "{table}" ORDER BY fid')
        names = [d[0] for d in cur.description]
        df = pd.DataFrame(cur.fetchall(), columns=names).drop(columns=["fid"])
        return restore_context(df.set_index("asset_id"), self.meta)

    # ---------------------------------------------------------------- deals
    def write_deals(self, deals: pd.DataFrame) -> None:
        """Insert or replace deals by deal_id (inside a transaction)."""
        names = [n for n, _ in DEAL_COLUMNS]
        df = deal_frame(deals)
        marks = ", ".join("?" * len(names))
        cols = ", ".join(f'"{n}"' for n in names)
        updates = ", ".join(f'"{n}" = excluded."{n}"' for n in names[1:])
        self.conn.executemany(
            f'INSERT INTO "deals" ({cols}) VALUES ({marks}) '
            f"ON CONFLICT(deal_id) DO UPDATE SET {updates}",
            [[_sql_value(v) for v in row] for row in df.to_numpy()],
        )
        _gpkg.touch(self.conn, "deals", None)

    def read_deals(self) -> pd.DataFrame:
        """All deals; requirements decoded from JSON."""
        names = [n for n, _ in DEAL_COLUMNS]
        cols = ", ".join(f'"{n}"' for n in names)
        df = pd.DataFrame(
            self.conn.execute(f'SELECT {cols} FROM "deals" ORDER BY fid').fetchall(), columns=names
        )
        df["requirements"] = [
            json.loads(v) if isinstance(v, str) else None for v in df["requirements"]
        ]
        return df

    # ---------------------------------------------------------------- zone policy
    def append_zone_policy(self, record: dict[str, Any]) -> None:
        """Append one version of the zone's policy table (inside a transaction).

        ``record`` has the keys of :data:`ZONE_POLICY_COLUMNS` (``rules`` as JSON text). The
        table is created on first use, so a store from an older version gains it then.
        """
        if not _gpkg.table_exists(self.conn, "zone_policy"):
            _gpkg.create_attribute_table(
                self.conn,
                "zone_policy",
                ZONE_POLICY_COLUMNS,
                description="versions of the zone's land-use policy table (append-only)",
            )
            for stmt in _gpkg._split_sql(_ZONE_POLICY_APPEND_ONLY):
                self.conn.execute(stmt)
        names = [n for n, _ in ZONE_POLICY_COLUMNS]
        cols = ", ".join(f'"{n}"' for n in names)
        marks = ", ".join("?" * len(names))
        self.conn.execute(
            f'INSERT INTO "zone_policy" ({cols}) VALUES ({marks})',
            [_sql_value(record.get(n)) for n in names],
        )
        _gpkg.touch(self.conn, "zone_policy", None)

    def read_zone_policies(self) -> pd.DataFrame:
        """Every version of the zone's policy table, oldest first (``rules`` as JSON text)."""
        names = [n for n, _ in ZONE_POLICY_COLUMNS]
        if not _gpkg.table_exists(self.conn, "zone_policy"):
            return pd.DataFrame(columns=names)
        cols = ", ".join(f'"{n}"' for n in names)
        rows = self.conn.execute(f'SELECT {cols} FROM "zone_policy" ORDER BY version').fetchall()
        return pd.DataFrame(rows, columns=names)

    # ---------------------------------------------------------------- export
    def export(self, dest: str | os.PathLike[str]) -> Path:
        """Write a self-contained copy (rollback journal, no -wal/-shm needed) to ``dest``."""
        dest = Path(dest)
        if dest.exists():
            raise StoreError(f"{dest} exists; export will not overwrite a file")
        check_new_gpkg(dest, "export to")
        if not dest.parent.is_dir():
            raise StoreError(f"cannot export to {dest}: the directory {dest.parent} does not exist")
        # a temporary file of our own beside the destination (same filesystem, so the final
        # link is atomic); nothing else is ever deleted
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        os.close(fd)
        tmp = Path(name)
        try:
            self.conn.execute("VACUUM INTO ?", (str(tmp),))
            c = sqlite3.connect(tmp, isolation_level=None)
            try:
                c.execute("PRAGMA journal_mode = DELETE")
                c.execute(f"PRAGMA application_id = {_gpkg.APPLICATION_ID}")
                c.execute(f"PRAGMA user_version = {_gpkg.USER_VERSION}")
            finally:
                c.close()
            try:
                os.link(tmp, dest)  # fails, rather than overwrite, if dest appeared meanwhile
            except FileExistsError:
                raise StoreError(f"{dest} exists; export will not overwrite a file") from None
            except OSError:  # a filesystem without hard links
                if dest.exists():
                    raise StoreError(f"{dest} exists; export will not overwrite a file") from None
                os.replace(tmp, dest)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot export to {dest}: {exc}") from exc
        finally:
            tmp.unlink(missing_ok=True)
        return dest


def _import_hint(path: Path) -> str:
    """How to import ``path`` when its name says it is a file the import reads (a data file
    given where an inventory is asked for); ``""`` otherwise. Only on the error path: the
    import's modules are loaded then."""
    from ..ingest.readers import TABLE_SUFFIXES, VECTOR_SUFFIXES

    if path.suffix.lower() not in {*TABLE_SUFFIXES, *VECTOR_SUFFIXES} - {".gpkg"}:
        return ""
    return (
        f"; to read the rows of a {path.suffix} file into an inventory, open the inventory "
        "(a .gpkg file) and call its import_file (command line: assetmatch import STORE FILE)"
    )


def check_new_gpkg(path: Path, what: str = "create") -> None:
    """Refuse to write a new GeoPackage whose name does not end in ``.gpkg``: the OGC
    GeoPackage standard requires that extension (requirement 3), GIS software relies on it,
    and a store created under a data file's name (``zone.csv``) hides the mistake."""
    if path.suffix.lower() != ".gpkg":
        raise StoreError(
            f"cannot {what} {path}: an inventory is a GeoPackage, whose file name ends in "
            ".gpkg (OGC GeoPackage, requirement 3); give a path ending in .gpkg"
            + (_import_hint(path) if what == "create" else "")
        )


def _check_path(path: Path, *, create: bool, readonly: bool) -> bool:
    """Whether a non-empty store file exists at ``path``; a StoreError for an unusable path."""
    if path.is_dir():
        raise StoreError(f"{path} is a directory; give the path of a .gpkg file")
    exists = path.exists() and path.stat().st_size > 0
    if exists:
        with open(path, "rb") as fh:
            head = fh.read(16)
        if head != b"SQLite format 3\x00":
            raise StoreError(
                f"{path} is not a GeoPackage (not an SQLite file)" + _import_hint(path)
            )
        return True
    if readonly or not create:
        why = "readonly=True" if readonly else "create=False"
        raise StoreError(f"no inventory at {path} ({why})")
    check_new_gpkg(path)
    if not path.parent.is_dir():
        raise StoreError(
            f"cannot create {path}: the directory {path.parent} does not exist; create it first"
        )
    return False


def _writable(path: Path) -> bool:
    """Whether this process may write the file and create its -wal/-shm beside it."""
    try:
        with open(path, "r+b"):
            pass
    except OSError:
        return False
    return os.access(path.parent, os.W_OK)


def _inspect(path: Path) -> str:
    """What an existing SQLite file holds, read without changing it.

    ``"empty"`` (no tables), ``"assetmatch"`` (an inventory), ``"geopackage"`` (another
    GeoPackage) or ``"foreign"`` (some other SQLite database).
    """
    try:
        conn = _gpkg.connect(path, readonly=True)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read {path}: {exc}") from exc
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            return "empty"
        if not {"gpkg_contents", "am_meta", "asset_events"} <= tables:
            return "geopackage" if "gpkg_contents" in tables else "foreign"
        conn.execute("SELECT key, value FROM am_meta").fetchall()
        return "assetmatch"
    except sqlite3.Error as exc:
        raise StoreError(
            f"{path} is damaged or truncated ({exc}); restore it from a copy made with "
            "Inventory.export"
        ) from exc
    finally:
        conn.close()


def _not_ours(path: Path, kind: str) -> str:
    if kind == "geopackage":
        return (
            f"{path} is a GeoPackage but not an assetmatch inventory (no am_meta table); it "
            "was left untouched; import its layers with Inventory.import_file instead"
        )
    if kind == "foreign":
        return (
            f"{path} is an SQLite database but not a GeoPackage; it was left untouched; "
            "give a new path or an assetmatch inventory"
        )
    return f"{path} is empty: there is no inventory to open read-only"


def _infer_sql_type(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(s):
        return "INTEGER"
    if pd.api.types.is_float_dtype(s):
        return "DOUBLE"
    return "TEXT"
