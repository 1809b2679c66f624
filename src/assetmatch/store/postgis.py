"""The PostGIS store: connecting, versioned migrations, retried transactions, the store.

:class:`PostGisStore` has the methods of :class:`~assetmatch.store.gpkg.GpkgStore` listed in
:mod:`assetmatch.store.base`; it stands on:

- :func:`connect` opens a pool on a :class:`~assetmatch.store.pgurl.PgTarget`; a failure is a
  :class:`~assetmatch.StoreError` that names the target without its password.
- :func:`migrate` brings a database to the newest schema: the numbered files in
  ``store/migrations/`` (``0001_schema.sql`` ...) run in order, each in its own transaction,
  under an advisory lock so two processes opening a new database at once do not both run them.
  ``am_schema_migrations`` records what ran and when.
- Every write transaction of :class:`PostGisStore` takes the advisory lock
  :data:`WRITER_LOCK` first, so writer processes queue (as on SQLite) and none overwrites the
  settings another just wrote; readers never wait for it.
- :func:`run_transaction` runs a unit of work serialisable and runs it again when the database
  reports a serialisation failure or a deadlock; when the retries run out the caller gets
  :class:`~assetmatch.StoreConflictError`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import math
import os
import random
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .._errors import NotFoundError, StoreConflictError, StoreError
from . import history
from .gpkg import (
    ASSET_TABLE_COLUMNS,
    DEAL_COLUMNS,
    EVENT_COLUMNS,
    FIRM_TABLE_COLUMNS,
    ZONE_POLICY_COLUMNS,
    _geo_frame,
    _sql_arrays,
    _sql_column,
    _sql_rows,
    _sql_value,
    context_columns,
    context_dtype_names,
    deal_frame,
    restore_context,
)
from .pgurl import PgTarget, scrub

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Advisory lock key taken while migrating ("assetmat" as eight bytes).
MIGRATION_LOCK = 0x61737365746D6174 - (1 << 63)
#: The advisory lock every write transaction of a store takes first, held until it ends: the
#: writers of one database queue as a GeoPackage's do, so a writer's read-modify-write of the
#: store's settings (the context's pending rows, the state time) never loses another's.
WRITER_LOCK = MIGRATION_LOCK + 1
_MIGRATION_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
#: SQLSTATEs worth running a transaction again for: serialization_failure, deadlock_detected.
RETRY_SQLSTATES = frozenset({"40001", "40P01"})
#: From this many ids on, a lookup by id first asks whether the table holds any row (one
#: round trip, against sending and unpacking the ids for nothing into an empty store).
_MANY_IDS = 1_000

#: Rows converted and formatted at a time by :meth:`PostGisStore.add_assets` (the server stores
#: one chunk while the next is prepared).
_COPY_CHUNK = 10_000


def _geometries(wkb: Sequence[Any]) -> np.ndarray:
    """Shapely geometries (an object array) of WKB values as the driver returns them
    (``memoryview`` or bytes; ``None`` for NULL)."""
    if not len(wkb):
        return np.array([], dtype=object)
    return shapely.from_wkb(np.array([None if v is None else bytes(v) for v in wkb], dtype=object))


def _driver() -> Any:
    try:
        import psycopg
    except ImportError:
        raise StoreError(
            "the PostGIS store needs psycopg 3: pip install 'assetmatch[postgis]'"
        ) from None
    return psycopg


def migrations() -> list[tuple[int, str, str]]:
    """The schema migrations shipped with the package, as ``(version, name, sql)`` in order."""
    found = []
    for entry in resources.files("assetmatch.store.migrations").iterdir():
        m = _MIGRATION_FILE.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise StoreError(f"store migrations are not numbered 1..n without gaps: {versions}")
    return found


def connect(
    target: PgTarget, *, min_size: int = 1, max_size: int = 4, readonly: bool = False
) -> ConnectionPool:
    """Open a connection pool on ``target`` and check that one connection works.

    ``readonly`` opens every connection with ``default_transaction_read_only``: the server
    itself refuses any write made through the pool.

    Raises
    ------
    StoreError
        psycopg is missing, or the server cannot be reached or refuses the login; the message
        names the target without its password.
    """
    reason = _try_once(target)
    if reason:
        raise StoreError(f"{target}: cannot connect ({reason})")
    from psycopg_pool import ConnectionPool, PoolTimeout

    pool = ConnectionPool(
        target.conninfo(),
        kwargs={"options": "-c default_transaction_read_only=on"} if readonly else None,
        min_size=min_size,
        max_size=max_size,
        open=False,
        name=f"assetmatch {target.host}:{target.port}/{target.dbname}",
    )
    try:
        pool.open(wait=True, timeout=15)
    except PoolTimeout:
        pool.close()
        raise StoreError(f"{target}: cannot connect (the connection pool timed out)") from None
    logger.info("connected to %s", target)
    return pool


def _try_once(target: PgTarget) -> str:
    """Connect once; the driver's reason without secrets, or ``""`` when it worked."""
    psycopg = _driver()
    try:
        psycopg.connect(target.conninfo(), connect_timeout=5).close()
    except psycopg.Error as exc:
        return scrub(str(exc).strip(), target) or type(exc).__name__
    return ""


def _check_schema_for_reading(conn: psycopg.Connection, target: PgTarget) -> None:
    """A read-only open needs an inventory whose schema this version knows, as it is."""
    have, newest = schema_version(conn), max(v for v, _, _ in migrations())
    if have == 0:
        raise StoreError(
            f"{target}: no inventory in this database to open read-only; open it once with "
            "readonly=False to create one"
        )
    if have != newest:
        raise StoreError(
            f"{target}: the inventory's schema is version {have}, this assetmatch reads version "
            f"{newest}; open it once with readonly=False to upgrade it (or upgrade assetmatch)"
        )


def schema_version(conn: psycopg.Connection) -> int:
    """The newest migration applied to the database on ``conn`` (0 for an empty database)."""
    row = conn.execute("SELECT to_regclass('am_schema_migrations') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM am_schema_migrations").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: psycopg.Connection, target: PgTarget | None = None) -> list[int]:
    """Apply the migrations the database on ``conn`` has not had yet.

    Parameters
    ----------
    conn
        A psycopg connection in autocommit mode (each migration gets its own transaction).
    target
        Named in error messages (without its password).

    Returns
    -------
    list of int
        The versions applied now (empty when the schema was current).

    Raises
    ------
    StoreError
        The database is newer than this version of assetmatch, or a migration failed (that
        migration is rolled back as a whole; earlier ones stay).
    """
    psycopg = _driver()
    where = str(target) if target is not None else "the database"
    known = migrations()
    applied: list[int] = []
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS am_schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        current = schema_version(conn)
        if current > len(known):
            raise StoreError(
                f"{where}: the store's schema is version {current}, newer than this assetmatch "
                f"knows ({len(known)}); upgrade assetmatch"
            )
        for version, name, sql in known[current:]:
            logger.info("%s: applying migration %s", where, name)
            try:
                with conn.transaction():
                    conn.execute(sql)
                    conn.execute(
                        "INSERT INTO am_schema_migrations (version, name) VALUES (%s, %s)",
                        (version, name),
                    )
            except psycopg.Error as exc:
                raise StoreError(
                    f"{where}: migration {name} failed and was rolled back "
                    f"({scrub(str(exc).strip(), target) if target else str(exc).strip()})"
                ) from None
            applied.append(version)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    return applied


def run_transaction(
    pool: ConnectionPool,
    work: Callable[[psycopg.Connection], T],
    *,
    retries: int = 8,
    what: str = "write",
) -> T:
    """Run ``work(conn)`` in one serialisable transaction, again if the database asks.

    Parameters
    ----------
    pool
        Where connections come from.
    work
        The unit of work; it may run more than once, so it must not have effects outside the
        database.
    retries
        How many times to run it again after a serialisation failure or deadlock, with a
        short random back-off.
    what
        Named in the error when the retries run out.

    Raises
    ------
    StoreConflictError
        Every attempt met a concurrent writer; nothing of ``work`` was kept.
    """
    psycopg = _driver()
    from psycopg import IsolationLevel

    for attempt in range(retries + 1):
        with pool.connection() as conn:
            conn.isolation_level = IsolationLevel.SERIALIZABLE
            try:
                with conn.transaction():
                    return work(conn)
            except psycopg.Error as exc:
                if exc.sqlstate not in RETRY_SQLSTATES:
                    raise
                logger.debug(
                    "%s: attempt %d met a concurrent writer (%s)", what, attempt + 1, exc.sqlstate
                )
            finally:
                conn.isolation_level = None
        time.sleep(random.uniform(0, 0.01 * 2**attempt))
    raise StoreConflictError(
        f"{what}: other writers changed the same rows {retries + 1} times in a row; "
        "nothing was written, run it again"
    )


class PostGisStore:
    """An inventory held in a PostGIS database.

    It offers the contract of :class:`~assetmatch.store.base.Store`:
    :meth:`transaction`, :meth:`snapshot`, :meth:`close`, :meth:`meta`, :meth:`set_meta`,
    :attr:`crs`, :meth:`set_crs`, :meth:`read_assets`, :meth:`asset_ids`, :meth:`upsert_assets`,
    :meth:`delete_assets`, :meth:`read_firms`, :meth:`upsert_firms`, :meth:`delete_firms`,
    :meth:`write_deals`, :meth:`read_deals`, :meth:`layer_names`, :meth:`write_layer`,
    :meth:`read_layer`, :meth:`write_context`, :meth:`read_context`, :meth:`append_events`,
    :meth:`read_events`, :meth:`created_at`, :meth:`export`.
    :meth:`~assetmatch.Inventory.open` hands it out for a ``postgresql://`` URL; with
    ``readonly=True`` no migration runs and every pooled connection is read-only on the server.

    Each thread works through its own pooled connection while it is inside
    :meth:`transaction` or :meth:`snapshot`; single reads outside borrow one for the statement.
    Asset rows keep their attributes in typed columns (schema version 8). A geometry is stored
    once: an import's create event refers to its row's, other events to one in ``geometries``
    by ``geom_id``.

    Parameters
    ----------
    target
        Where the database is (see :func:`~assetmatch.store.pgurl.parse_pg_url`).
    """

    engine = "postgis"
    #: An import hands :meth:`add_assets` its rows built this many at a time.
    add_chunk_rows = _COPY_CHUNK

    def __init__(self, target: PgTarget, *, max_size: int = 4, readonly: bool = False) -> None:
        self.target = target
        self.readonly = readonly
        self._pool = connect(target, max_size=max_size, readonly=readonly)
        self._local = threading.local()
        # the CRS once read as committed: a store keeps the CRS it was given first (see crs)
        self._crs: CRS | None = None
        try:
            with self._pool.connection() as conn:
                conn.autocommit = True
                if readonly:
                    _check_schema_for_reading(conn, target)
                else:
                    migrate(conn, target)
                conn.autocommit = False
        except BaseException:
            self._pool.close()
            raise

    @property
    def path(self) -> Path:
        """A PostGIS store is no file: a :class:`~assetmatch.StoreError` says so."""
        raise StoreError(
            f"{self.target} is a PostGIS database, not a file; inv.export(path) writes a "
            "GeoPackage copy"
        )

    # ---------------------------------------------------------------- plumbing
    def _current(self) -> psycopg.Connection | None:
        return getattr(self._local, "conn", None)

    def _execute(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        conn = self._current()
        if conn is not None:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []
        with self._pool.connection() as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def _scoped(self, *, readonly: bool) -> Any:
        from psycopg import IsolationLevel

        @contextlib.contextmanager
        def scope() -> Any:
            if self._current() is not None:
                yield
                return
            psycopg = _driver()
            try:
                with self._pool.connection() as conn:
                    if readonly:
                        conn.isolation_level = IsolationLevel.REPEATABLE_READ
                        conn.read_only = True
                    self._local.conn = conn
                    try:
                        with conn.transaction():
                            if not readonly:  # one writer at a time, as in a GeoPackage
                                conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
                            yield
                    finally:
                        self._local.conn = None
                        self._local.crs_set = False
                        self._local.crs_value = None
                        conn.isolation_level = None
                        conn.read_only = None
            except psycopg.Error as exc:
                if exc.sqlstate in RETRY_SQLSTATES:
                    raise StoreConflictError(
                        f"{self.target}: another writer changed the same rows; nothing was "
                        "written, run it again"
                    ) from None
                raise StoreError(f"{self.target}: {scrub(str(exc).strip(), self.target)}") from None

        return scope()

    def transaction(self) -> Any:
        """One write transaction; nested calls join it. Commits or rolls back as a whole."""
        if self.readonly:
            raise StoreError(
                f"{self.target} is open read-only; open it with readonly=False (and a role "
                "that may write) to change it"
            )
        return self._scoped(readonly=False)

    def snapshot(self) -> Any:
        """A consistent read (REPEATABLE READ, read-only): every read sees the same state."""
        return self._scoped(readonly=True)

    def close(self) -> None:
        """Close the pool's connections."""
        self._pool.close()

    # ---------------------------------------------------------------- meta
    def meta(self, key: str) -> str | None:
        """A setting, or None."""
        rows = self._execute("SELECT value FROM am_meta WHERE key = %s", (key,))
        return rows[0][0] if rows else None

    def metas(self, keys: Sequence[str]) -> dict[str, str | None]:
        """Several settings at once, by key (``None`` for a key not set): one round trip."""
        keys = list(keys)
        got = dict(self._execute("SELECT key, value FROM am_meta WHERE key = ANY(%s)", (keys,)))
        return {k: got.get(k) for k in keys}

    def set_metas(self, values: Mapping[str, str | None]) -> None:
        """Set several settings at once (inside a transaction): one round trip."""
        self._execute(
            "INSERT INTO am_meta (key, value) SELECT * FROM unnest(%s::text[], %s::text[]) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (list(values), list(values.values())),
        )

    def set_meta(self, key: str, value: str | None) -> None:
        """Set a setting (inside a transaction)."""
        self._execute(
            "INSERT INTO am_meta (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def crs(self) -> CRS | None:
        """The store's projected CRS, None until set.

        Once set and committed it never changes (every writer checks a stored CRS before it
        sets one), so it is read from the database once: a CRS this thread's transaction has
        just set is read again until that transaction has ended (it may yet roll back).
        """
        if self._crs is not None:
            return self._crs
        if getattr(self._local, "crs_set", False):  # as this transaction set it
            return self._local.crs_value
        epsg = self.meta("crs_epsg")
        if epsg:
            crs = CRS.from_epsg(int(epsg))
        else:
            wkt = self.meta("crs_wkt")
            crs = None if wkt is None else CRS.from_wkt(wkt)
        if crs is not None and not getattr(self._local, "crs_set", False):
            self._crs = crs
        return crs

    def set_crs(self, crs: CRS) -> None:
        """Fix the store CRS (inside a transaction); a CRS without EPSG code is kept as WKT."""
        epsg = crs.to_epsg(min_confidence=100)
        self.set_meta("crs_epsg", None if epsg is None else str(epsg))
        self.set_meta("crs_wkt", crs.to_wkt())
        if self._current() is not None:  # not kept for good until this transaction has ended
            self._local.crs_set = True
            # what reading it back gives
            self._local.crs_value = (
                CRS.from_wkt(crs.to_wkt()) if epsg is None else CRS.from_epsg(epsg)
            )

    # ---------------------------------------------------------------- assets
    def _read_features(
        self, table: str, key: str, columns: list[tuple[str, str]], ids: Sequence[str] | None
    ) -> gpd.GeoDataFrame:
        crs = self.crs
        names = [n for n, _ in columns]
        if crs is None:
            return gpd.GeoDataFrame(
                pd.DataFrame(columns=names), geometry=gpd.GeoSeries([]), crs=None
            )
        sql = f"SELECT ST_AsBinary(geom), attrs FROM {table}"
        if ids is None:
            rows = self._execute(sql + " ORDER BY fid")
        else:
            rows = self._execute(sql + f" WHERE {key} = ANY(%s) ORDER BY fid", (list(ids),))
        df = pd.DataFrame([[r[1].get(n) for n in names] for r in rows], columns=names)
        geoms = _geometries([r[0] for r in rows])
        return _geo_frame(df, geoms, crs)

    def _upsert_features(
        self, table: str, key: str, columns: list[tuple[str, str]], rows: gpd.GeoDataFrame
    ) -> None:
        from psycopg.types.json import Jsonb

        conn = self._transaction_conn(f"writing {table}")
        names = [n for n, _ in columns]
        data = _sql_rows(rows.reindex(columns=names))
        wkb = shapely.to_wkb(rows.geometry.to_numpy(), flavor="iso", output_dimension=2)
        params = [
            (str(row[0]), Jsonb(dict(zip(names, row, strict=True))), w)
            for row, w in zip(data, wkb, strict=True)
        ]
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {table} ({key}, attrs, geom) VALUES (%s, %s, ST_GeomFromWKB(%s)) "
                f"ON CONFLICT ({key}) DO UPDATE SET attrs = excluded.attrs, geom = excluded.geom",
                params,
            )

    def lock_assets(self, ids: Sequence[str]) -> None:
        """Lock the asset rows (``SELECT … FOR UPDATE``, in id order so two writers cannot
        deadlock) until the transaction ends; a concurrent writer waits, then reads what this
        one wrote."""
        self._transaction_conn("locking assets")
        self._execute(
            "SELECT asset_id FROM assets WHERE asset_id = ANY(%s) ORDER BY asset_id FOR UPDATE",
            (sorted(set(map(str, ids))),),
        )

    def read_assets(self, ids: Sequence[str] | None = None) -> gpd.GeoDataFrame:
        """The current asset rows (raw stored values, as the GeoPackage store gives them:
        booleans as 0/1)."""
        crs = self.crs
        names = [n for n, _ in ASSET_PG_COLUMNS]
        if crs is None:
            return gpd.GeoDataFrame(
                pd.DataFrame(columns=names), geometry=gpd.GeoSeries([]), crs=None
            )
        rows = self._select_assets(ids)
        df = pd.DataFrame([r[1:] for r in rows], columns=names)
        geoms = _geometries([r[0] for r in rows])
        return _geo_frame(df, geoms, crs)

    def read_asset_geometries(self, ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """The ids and geometries of the stored assets among ``ids`` (``read_assets(ids)``'s
        ``asset_id`` and geometry columns, without building its frame)."""
        rows = self._execute(
            "SELECT asset_id, ST_AsBinary(geom) FROM assets WHERE asset_id = ANY(%s) ORDER BY fid",
            (list(ids),),
        )
        geoms = _geometries([r[1] for r in rows])
        return [r[0] for r in rows], geoms

    def _select_assets(self, ids: Sequence[str] | None) -> list[tuple[Any, ...]]:
        cols = ", ".join(f"{n}::int" if t == "bool" else n for n, t in ASSET_PG_COLUMNS)
        sql = f"SELECT ST_AsBinary(geom), {cols} FROM assets"
        if ids is None:
            return self._execute(sql + " ORDER BY fid")
        if len(ids) > _MANY_IDS and not self._any("assets"):
            return []  # (an import into an empty store: the ids need not travel)
        return self._execute(sql + " WHERE asset_id = ANY(%s) ORDER BY fid", (list(ids),))

    def _any(self, table: str) -> bool:
        """Whether ``table`` (one of the store's) holds any row."""
        return bool(self._execute(f"SELECT EXISTS (SELECT 1 FROM {table})")[0][0])

    def read_asset_columns(self, ids: Sequence[str]) -> dict[str, list[Any]] | None:
        """The current rows of ``ids`` as :meth:`read_assets` reads them, column by column as
        Python lists of the stored values (None for NULL, no dtype inference), ``geometry``
        decoded; None before the store has a CRS. For a few rows, without a frame."""
        if self.crs is None:
            return None
        names = [n for n, _ in ASSET_PG_COLUMNS]
        rows = self._select_assets(ids)
        out = {n: [r[k] for r in rows] for k, n in enumerate(names, start=1)}
        out["geometry"] = list(_geometries([r[0] for r in rows]))
        return out

    def read_for_update(
        self, ids: Sequence[str], keys: Sequence[str]
    ) -> tuple[dict[str, list[Any]] | None, dict[str, str], dict[str, str | None]]:
        """:meth:`read_asset_columns` of ``ids``, :meth:`created_at` of those found and
        :meth:`metas` of ``keys`` in one statement (inside a transaction), which also locks
        the rows found (``FOR UPDATE``, in id order so that two writers cannot deadlock)
        until the transaction ends: a concurrent update of the same asset waits, then reads
        the row this one writes, and neither change is lost from the current row."""
        ids, keys = [str(i) for i in ids], list(keys)
        if self.crs is None:
            return None, self.created_at(ids), self.metas(keys)
        self._transaction_conn("reading assets for an update")
        rows = self._execute(_READ_FOR_UPDATE_SQL, (keys, ids))
        rows.sort(key=lambda r: r[1])  # in the order of read_asset_columns (fid)
        names = [n for n, _ in ASSET_PG_COLUMNS]
        out = {n: [r[k] for r in rows] for k, n in enumerate(names, start=3)}
        out["geometry"] = list(_geometries([r[0] for r in rows]))
        created = {r[3]: r[2] for r in rows if r[2] is not None}
        got = (rows[0][-1] if rows else None) or {}
        return out, created, {k: got.get(k) for k in keys}

    def write_update(
        self,
        events: Mapping[str, Sequence[Any]],
        columns: Mapping[str, Sequence[Any]],
        geoms: Any,
        metas: Mapping[str, str | None],
    ) -> None:
        """:meth:`append_events`, :meth:`upsert_asset_columns` and :meth:`set_metas` as one
        statement (inside a transaction): the events' geometries, the events in their order,
        the asset rows and the settings, each in a data-modifying ``WITH`` clause: one round
        trip instead of four or more."""
        conn = self._transaction_conn("writing an update")
        n = len(events["asset_id"])
        ev_cols = [_event_values(events, name, n) for name in _UPDATE_EVENT_COLUMNS]
        # the events' text columns as one JSON document (a parameter per column would pass
        # psycopg's limit of parameters of a statement it parses once, and cost a dumper each)
        ev_json = json.dumps(
            [dict(zip(_UPDATE_EVENT_COLUMNS, r, strict=True)) for r in zip(*ev_cols, strict=True)],
            default=str,
        )
        egeoms = np.empty(n, dtype=object)
        egeoms[:] = list(events["geom"]) if "geom" in events else [None] * n
        present = ~shapely.is_missing(egeoms)
        ev_wkb: list[bytes | None] = [None] * n
        for k in np.flatnonzero(present):
            ev_wkb[k] = shapely.to_wkb(egeoms[k], flavor="iso", output_dimension=2)
        m = len(geoms)
        row_cols = _typed_columns(
            [list(columns[c]) if c in columns else [None] * m for c, _ in ASSET_PG_COLUMNS]
        )
        row_wkb = shapely.to_wkb(np.asarray(geoms, dtype=object), flavor="iso", output_dimension=2)
        params = (
            ev_wkb,
            ev_json,
            *row_cols,
            [None if w is None else bytes(w) for w in row_wkb],
            json.dumps(dict(metas)),
        )
        conn.execute(_WRITE_UPDATE_SQL, params)

    def asset_ids(self) -> list[str]:
        """Ids of the current assets, in the order they arrived."""
        return [r[0] for r in self._execute("SELECT asset_id FROM assets ORDER BY fid")]

    def asset_ids_in_box(self, box: tuple[float, float, float, float]) -> list[str]:
        """Ids of the assets whose envelope meets ``box``, through the GiST index (``&&``)."""
        minx, miny, maxx, maxy = (float(v) for v in box)
        rows = self._execute(
            "SELECT asset_id FROM assets WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s)",
            (minx, miny, maxx, maxy),
        )
        return [r[0] for r in rows]

    def upsert_assets(self, rows: gpd.GeoDataFrame) -> None:
        """Insert or replace current rows by asset_id (inside a transaction, one statement)."""
        self._write_assets(_asset_columns(rows), rows.geometry.to_numpy())

    def upsert_asset_columns(self, columns: Mapping[str, Sequence[Any]], geoms: Any) -> None:
        """:meth:`upsert_assets` of rows given column by column as SQLite values (what the
        GeoPackage store's ``_sql_column`` makes of a frame's column; a column left out is
        NULL) and their geometries: for a few rows, without a frame."""
        n = len(geoms)
        self._write_assets(
            _typed_columns(
                [list(columns[c]) if c in columns else [None] * n for c, _ in ASSET_PG_COLUMNS]
            ),
            np.asarray(geoms, dtype=object),
        )

    def _write_assets(self, columns: list[list[Any]], geoms: np.ndarray) -> None:
        conn = self._transaction_conn("writing assets")
        names = [n for n, _ in ASSET_PG_COLUMNS]
        marks = ", ".join(f"%s::{t}" for _, t in ASSET_PG_COLUMNS)
        updates = ", ".join(f"{n} = excluded.{n}" for n in [*names[1:], "geom"])
        wkb = shapely.to_wkb(geoms, flavor="iso", output_dimension=2)
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO assets ({', '.join(names)}, geom) "
                f"VALUES ({marks}, ST_GeomFromWKB(%s)) "
                f"ON CONFLICT (asset_id) DO UPDATE SET {updates}",
                list(zip(*columns, wkb, strict=True)),
            )

    def add_assets(
        self,
        rows: gpd.GeoDataFrame | Iterable[gpd.GeoDataFrame],
        event: Mapping[str, Any],
        *,
        ids: Sequence[str] | None = None,
    ) -> None:
        """Insert the rows of assets new to the store, each with its ``create`` event (inside a
        transaction).

        The events go in by a text ``COPY``, sent from a thread while this one builds the
        first rows; then the rows by a binary ``COPY`` into their typed columns (geometry as
        WKB). Each event refers to its row as written here (``create_event``) for its record
        and its geometry, which a trigger keeps in ``asset_versions`` before the row first
        changes or goes.

        Into an empty ``assets`` table (a first import) the GiST index of the geometries is
        dropped before the ``COPY`` and built again after it, in the same transaction: one
        sorted build instead of an insertion per row (a third of the server's work for
        100,000 rows). That needs the table to itself until the commit; when another session
        holds any lock on it, the index is kept and filled row by row as for any import.

        Parameters
        ----------
        rows
            Current rows as :meth:`upsert_assets` takes them, of ids not in the store; or
            frames of consecutive rows, each built while the one before is on its way (see
            :attr:`add_chunk_rows`).
        event
            What the create events share: ``valid_at, recorded_at, author, note, batch_id,
            source``.
        ids
            The rows' ``asset_id`` in order, when they come as frames.
        """
        if isinstance(rows, pd.DataFrame):
            whole = rows
            ids = [str(v) for v in whole["asset_id"].tolist()]
            rows = (whole.iloc[k : k + _COPY_CHUNK] for k in range(0, len(whole), _COPY_CHUNK))
        elif ids is None:
            raise StoreError("add_assets: rows given as frames need their ids")
        if not len(ids):
            return
        conn = self._transaction_conn("add_assets")
        # the sequence looked up once (a materialised CTE, so the planner cannot pull the
        # lookup back into the select list, where it ran per row)
        event_ids = [
            r[0]
            for r in conn.execute(
                "WITH s AS MATERIALIZED (SELECT "
                "pg_get_serial_sequence('asset_events', 'event_id')::regclass AS e) "
                "SELECT nextval(s.e) FROM s, generate_series(1, %s)",
                (len(ids),),
            ).fetchall()
        ]
        psycopg = _driver()
        try:
            with conn.cursor() as cur:
                gist = _gist_set_aside(cur)
                parts = self._copy_create_events(conn, iter(rows), event_ids, list(ids), event)
                self._copy_new_assets(cur, parts, event_ids, list(ids))
                for definition in gist:
                    cur.execute(definition)
        except psycopg.errors.UniqueViolation:
            raise StoreConflictError(
                f"{self.target}: another writer added some of these assets meanwhile; "
                "nothing was written, run the import again"
            ) from None

    def _copy_create_events(
        self,
        conn: psycopg.Connection,
        parts: Iterator[gpd.GeoDataFrame],
        event_ids: list[int],
        ids: list[str],
        event: Mapping[str, Any],
    ) -> Iterator[gpd.GeoDataFrame]:
        """``COPY`` the create events of :meth:`add_assets` from a thread; meanwhile build the
        first frames of ``parts`` (work without the connection). Returns the frames still to
        write: those built, then the rest.

        The events by ``COPY`` (an ``INSERT … SELECT`` from the rows just written, looking each
        up by create_event, cost the server 1.5-2x as much), before the rows: the server
        stores them while the rows are built."""
        shared = tuple(event.get(k) for k in history.SHARED_EVENT_FIELDS)
        failed: list[BaseException] = []

        def send() -> None:
            try:
                with (
                    conn.cursor() as cur,
                    cur.copy(
                        "COPY asset_events (event_id, asset_id, kind, "
                        f"{', '.join(history.SHARED_EVENT_FIELDS)}) FROM STDIN"
                    ) as copy,
                ):
                    for event_id, asset_id in zip(event_ids, ids, strict=True):
                        copy.write_row((event_id, asset_id, "create", *shared))
            except BaseException as exc:  # handed to the caller's thread
                failed.append(exc)

        sender = threading.Thread(target=send, name="assetmatch-events-copy", daemon=True)
        sender.start()
        built: list[gpd.GeoDataFrame] = []
        try:
            while sender.is_alive():
                part = next(parts, None)
                if part is None:
                    break
                built.append(part)
        finally:
            sender.join()  # the connection is this thread's again
        if failed:
            raise failed[0]
        return itertools.chain(built, parts)

    def _copy_new_assets(
        self,
        cur: psycopg.Cursor[Any],
        parts: Iterable[gpd.GeoDataFrame],
        event_ids: list[int],
        ids: list[str],
    ) -> None:
        """The rows' ``COPY`` of :meth:`add_assets`.

        The rows are converted and formatted a frame at a time while a thread of the driver
        sends what is formatted (``QueuedLibpqWriter``): the server stores one part while the
        next is built and prepared, instead of the two taking turns."""
        from psycopg.copy import QueuedLibpqWriter

        geometry = _geometry_oid(cur)
        cur.adapters.register_dumper(None, _wkb_dumper(geometry))
        names = [n for n, _ in ASSET_PG_COLUMNS]
        done = 0
        with cur.copy(
            f"COPY assets ({', '.join(names)}, geom, create_event) FROM STDIN (FORMAT BINARY)",
            writer=QueuedLibpqWriter(cur),
        ) as copy:
            copy.set_types([*(t for _, t in ASSET_PG_COLUMNS), geometry, "int8"])
            for part in parts:
                columns = _asset_columns(part)
                if columns[0] != ids[done : done + len(part)]:
                    raise StoreError("add_assets: the rows are not those of the ids given")
                wkb = shapely.to_wkb(part.geometry.to_numpy(), flavor="iso", output_dimension=2)
                marks = event_ids[done : done + len(part)]
                for row in zip(*columns, wkb.tolist(), marks, strict=True):
                    copy.write_row(row)
                done += len(part)
            if done != len(ids):
                raise StoreError(f"add_assets: {done} rows came for {len(ids)} ids")

    def delete_assets(self, ids: Sequence[str]) -> None:
        """Remove current rows and their context (their history stays)."""
        conn = self._transaction_conn("delete_assets")
        conn.execute("DELETE FROM assets WHERE asset_id = ANY(%s)", (list(ids),))
        conn.execute("DELETE FROM context WHERE asset_id = ANY(%s)", (list(ids),))

    def _transaction_conn(self, what: str) -> psycopg.Connection:
        conn = self._current()
        if conn is None or conn.read_only:
            raise StoreError(f"{self.target}: {what} needs a write transaction")
        return conn

    # ---------------------------------------------------------------- firms, deals
    def read_firms(self) -> gpd.GeoDataFrame:
        """All firms, in the order they arrived."""
        return self._read_features("firms", "firm_id", FIRM_TABLE_COLUMNS, None)

    def upsert_firms(self, rows: gpd.GeoDataFrame) -> None:
        """Insert or replace firms by firm_id (inside a transaction)."""
        self._upsert_features("firms", "firm_id", FIRM_TABLE_COLUMNS, rows)

    def delete_firms(self, ids: Sequence[str]) -> None:
        """Remove firms by id (inside a transaction)."""
        conn = self._transaction_conn("delete_firms")
        conn.execute("DELETE FROM firms WHERE firm_id = ANY(%s)", (list(ids),))

    def write_deals(self, deals: pd.DataFrame) -> None:
        """Insert or replace deals by deal_id (inside a transaction)."""
        conn = self._transaction_conn("write_deals")
        names = [n for n, _ in DEAL_COLUMNS]
        df = deal_frame(deals)
        cols = ", ".join(names)
        updates = ", ".join(f"{n} = excluded.{n}" for n in names[1:])
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO deals ({cols}) VALUES ({', '.join(['%s'] * len(names))}) "
                f"ON CONFLICT (deal_id) DO UPDATE SET {updates}",
                [[_sql_value(v) for v in row] for row in df.to_numpy()],
            )

    def read_deals(self) -> pd.DataFrame:
        """All deals, in the order they arrived; requirements decoded from JSON."""
        names = [n for n, _ in DEAL_COLUMNS]
        cols = ", ".join(
            "to_char(signed_at, 'YYYY-MM-DD')" if n == "signed_at" else n for n in names
        )
        df = pd.DataFrame(self._execute(f"SELECT {cols} FROM deals ORDER BY fid"), columns=names)
        df["requirements"] = [
            json.loads(v) if isinstance(v, str) else None for v in df["requirements"]
        ]
        return df

    # ---------------------------------------------------------------- layers
    def layer_names(self) -> list[str]:
        """Names of the reference layers (as given when written)."""
        return [r[0] for r in self._execute("SELECT name FROM layer_catalogue ORDER BY name")]

    def write_layer(self, name: str, gdf: gpd.GeoDataFrame) -> None:
        """Replace a reference layer (inside a transaction); ``gdf`` is in the store CRS."""
        from psycopg.types.json import Jsonb

        conn = self._transaction_conn("write_layer")
        key = name.lower()
        attrs = [c for c in gdf.columns if c != gdf.geometry.name]
        conn.execute("DELETE FROM layers WHERE lower(name) = %s", (key,))
        conn.execute(
            "INSERT INTO layer_catalogue (name_key, name, columns) VALUES (%s, %s, %s) "
            "ON CONFLICT (name_key) DO UPDATE SET name = excluded.name, columns = excluded.columns",
            (key, name, Jsonb(attrs)),
        )
        data = _sql_rows(gdf[attrs]) if attrs else [[] for _ in range(len(gdf))]
        wkb = shapely.to_wkb(gdf.geometry.to_numpy(), flavor="iso", output_dimension=2)
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO layers (name, feature_id, attrs, geom) "
                "VALUES (%s, %s, %s, ST_GeomFromWKB(%s))",
                [
                    (key, k + 1, Jsonb(dict(zip(attrs, row, strict=True))), w)
                    for k, (row, w) in enumerate(zip(data, wkb, strict=True))
                ],
            )

    def read_layer(self, name: str) -> gpd.GeoDataFrame:
        """A reference layer by name (compared without regard to case)."""
        key = name.lower()
        cat = self._execute("SELECT columns FROM layer_catalogue WHERE name_key = %s", (key,))
        if not cat:
            raise NotFoundError(f"no reference layer {name!r}; layers: {self.layer_names()}")
        attrs = cat[0][0]
        rows = self._execute(
            "SELECT ST_AsBinary(geom), attrs FROM layers WHERE name = %s ORDER BY feature_id",
            (key,),
        )
        df = pd.DataFrame([[r[1].get(c) for c in attrs] for r in rows], columns=attrs)
        geoms = _geometries([r[0] for r in rows])
        return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, index=df.index), crs=self.crs)

    # ---------------------------------------------------------------- context
    def write_context(self, ctx: pd.DataFrame, *, replace: bool) -> None:
        """Write context rows (indexed by asset_id); ``replace`` drops every other row first.

        Columns and their dtypes are recorded in ``context_dtypes`` (in column order), as the
        GeoPackage store records them.
        """
        conn = self._transaction_conn("write_context")
        if replace:
            conn.execute("DELETE FROM context")
        before = json.loads(self.meta("context_dtypes") or "{}") if not replace else {}
        dtypes = {**before, **context_dtype_names(ctx)}
        if dtypes != before or replace:
            self.set_meta("context_dtypes", json.dumps(dtypes))
        self.set_meta("context_attrs", json.dumps(ctx.attrs, default=str))
        self.set_meta("context_written", "1")
        self.write_context_rows(ctx.index, context_columns(ctx))

    def write_context_rows(self, ids: Sequence[str], columns: Mapping[str, np.ndarray]) -> None:
        """Write rows of the stored context table, one value per id in each of ``columns``
        (in the table's order and of the dtypes recorded): all of its columns, or some, over
        rows it holds, merged into each row's features (inside a transaction). Nothing for
        no columns."""
        if not columns:
            return
        from psycopg.types.json import Jsonb

        cols = list(columns)
        data = zip(*_sql_arrays(list(columns.values())), strict=True)
        ids = [str(i) for i in ids]
        conn = self._transaction_conn("write_context")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO context (asset_id, features) VALUES (%s, %s) ON CONFLICT (asset_id) "
                "DO UPDATE SET features = context.features || excluded.features",
                [
                    (i, Jsonb({c: _json_number(v) for c, v in zip(cols, row, strict=True)}))
                    for i, row in zip(ids, data, strict=True)
                ],
            )

    def read_context(self) -> pd.DataFrame | None:
        """The cached context, indexed by asset_id, or None if never written."""
        if self.meta("context_written") is None:
            return None
        cols = list(json.loads(self.meta("context_dtypes") or "{}"))
        rows = self._execute("SELECT asset_id, features FROM context ORDER BY fid")
        df = pd.DataFrame(
            [[r[0], *(r[1].get(c) for c in cols)] for r in rows], columns=["asset_id", *cols]
        )
        return restore_context(df.set_index("asset_id"), self.meta)

    # ---------------------------------------------------------------- export
    def export(self, dest: str | os.PathLike[str]) -> Path:
        """Write the whole inventory to one self-contained GeoPackage at ``dest``.

        The copy is built beside ``dest`` and linked into place by the GeoPackage store's own
        export, so ``dest`` is never overwritten and never seen half written. Events keep their
        order (their ids are renumbered from 1).
        """
        from .gpkg import GpkgStore, check_new_gpkg

        dest = Path(dest)
        if dest.exists():
            raise StoreError(f"{dest} exists; export will not overwrite a file")
        check_new_gpkg(dest, "export to")
        if not dest.parent.is_dir():
            raise StoreError(f"cannot export to {dest}: the directory {dest.parent} does not exist")
        work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
        try:
            out = GpkgStore(work / "export.gpkg")
            try:
                with self.snapshot(), out.transaction():
                    keys = self._execute("SELECT key, value FROM am_meta ORDER BY key")
                    crs = self.crs
                    if crs is not None:
                        out.set_crs(crs)
                        out.upsert_assets(self.read_assets())
                        out.upsert_firms(self.read_firms())
                        for name in self.layer_names():
                            out.write_layer(name, self.read_layer(name))
                    out.append_events(self.read_events().drop(columns="event_id"))
                    ctx = self.read_context()
                    if ctx is not None:
                        out.write_context(ctx, replace=True)
                    out.write_deals(self.read_deals())
                    for rec in self.read_zone_policies().to_dict("records"):
                        out.append_zone_policy(rec)
                    for key, value in keys:
                        if key not in _NOT_EXPORTED:
                            out.set_meta(key, value)
                return out.export(dest)
            finally:
                out.close()
        finally:
            shutil.rmtree(work, ignore_errors=True)

    # ---------------------------------------------------------------- zone policy
    def append_zone_policy(self, record: dict[str, Any]) -> None:
        """Append one version of the zone's policy table (inside a transaction)."""
        conn = self._transaction_conn("append_zone_policy")
        names = [n for n, _ in ZONE_POLICY_COLUMNS]
        cols = ", ".join(names)
        marks = ", ".join(["%s"] * len(names))
        values = [_sql_value(record.get(n)) for n in names]
        values[names.index("recorded_at")] = str(record.get("recorded_at"))
        conn.execute(f"INSERT INTO zone_policy ({cols}) VALUES ({marks})", values)

    def read_zone_policies(self) -> pd.DataFrame:
        """Every version of the zone's policy table, oldest first (``rules`` as JSON text)."""
        names = [n for n, _ in ZONE_POLICY_COLUMNS]
        rows = self._execute(
            f"SELECT version, valid_from, to_char(recorded_at AT TIME ZONE 'UTC', {_TS_FORMAT}), "
            f"{', '.join(names[3:])} FROM zone_policy ORDER BY version"
        )
        return pd.DataFrame([list(r) for r in rows], columns=names)

    # ---------------------------------------------------------------- history
    def append_events(self, events: pd.DataFrame | Mapping[str, Sequence[Any]]) -> None:
        """Append events (inside a transaction); each geometry goes once into ``geometries``.

        ``events`` is a frame, or (a few events) a mapping of its columns to lists."""
        names = [n for n, _ in EVENT_COLUMNS if n != "geom"]
        n = len(events) if isinstance(events, pd.DataFrame) else len(events["asset_id"])
        geoms = np.asarray(events["geom"], dtype=object) if "geom" in events else np.full(n, None)
        present = np.flatnonzero(~shapely.is_missing(np.asarray(geoms, dtype=object)))
        geom_ids: list[Any] = [None] * n
        conn = self._transaction_conn("append_events")
        if len(present):
            wkb = shapely.to_wkb(
                np.asarray(geoms, dtype=object)[present], flavor="iso", output_dimension=2
            )
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO geometries (geom) VALUES (ST_GeomFromWKB(%s)) RETURNING geom_id",
                    [(bytes(w),) for w in wkb],
                    returning=True,
                )
                ids = []
                while True:
                    ids.append(cur.fetchone()[0])
                    if not cur.nextset():
                        break
            for k, gid in zip(present, ids, strict=True):
                geom_ids[k] = gid
        # column by column as Python objects, missing values (NaN, NaT, NA) as None
        have = set(events.columns) if isinstance(events, pd.DataFrame) else set(events)
        columns = []
        for name in names:
            if name not in have:
                columns.append([None] * n)
                continue
            col = events[name]
            if isinstance(col, pd.Series):
                arr = col.to_numpy(dtype=object)
            else:
                arr = np.empty(n, dtype=object)
                for k, v in enumerate(col):
                    arr[k] = v
            vals = arr.tolist()
            for k in np.flatnonzero(pd.isna(arr)):
                vals[k] = None
            if name == "value":
                vals = [history.encode_record(v) for v in vals]
            columns.append(vals)
        with (
            conn.cursor() as cur,
            cur.copy("COPY asset_events ({}, geom_id) FROM STDIN".format(", ".join(names))) as copy,
        ):
            for row in zip(*columns, geom_ids, strict=True):
                copy.write_row(row)

    def read_events(self, ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Events, in recording order, with geometry decoded to shapely."""
        names = ["event_id", *(n for n, _ in EVENT_COLUMNS)]
        cols = ", ".join(
            # a create that refers to its row: the row's geometry, kept or current
            "ST_AsBinary(coalesce(g.geom, v.geom, a.geom)) AS geom"
            if n == "geom"
            else f"to_char(e.recorded_at AT TIME ZONE 'UTC', {_TS_FORMAT})"
            if n == "recorded_at"
            else f"e.{n}"
            for n in names
        )
        # a create that refers to its row: the row's attributes, kept or current
        fields = list(history.EVENT_FIELDS)
        sql = (
            f"SELECT {cols}, v.attrs, a.asset_id IS NOT NULL, "
            f"{', '.join(f'a.{f}' for f in fields)} "
            "FROM asset_events e LEFT JOIN geometries g USING (geom_id) "
            "LEFT JOIN asset_versions v "
            "ON e.kind = 'create' AND e.value IS NULL AND v.event_id = e.event_id "
            "LEFT JOIN assets a ON e.kind = 'create' AND e.value IS NULL "
            "AND a.asset_id = e.asset_id AND a.create_event = e.event_id"
        )
        if ids is None:
            rows = self._execute(sql + " ORDER BY e.event_id")
        else:
            rows = self._execute(
                sql + " WHERE e.asset_id = ANY(%s) ORDER BY e.event_id", (list(ids),)
            )
        k = len(names)
        df = pd.DataFrame([r[:k] for r in rows], columns=names)
        if len(df):
            df["geom"] = _geometries(df["geom"].tolist())
            by_ref = ((df["kind"] == "create") & df["value"].isna()).to_numpy()
            if by_ref.any():
                # the row as kept (a document) or as it still is (its typed columns)
                kept = [
                    r[k] if r[k] is not None else dict(zip(fields, r[k + 2 :], strict=True))
                    for r, b in zip(rows, by_ref, strict=True)
                    if b and (r[k] is not None or r[k + 1])
                ]
                if len(kept) != by_ref.sum():
                    raise StoreError(
                        f"{self.target}: the asset rows of some create events are missing "
                        "(the database was changed outside assetmatch)"
                    )
                records = history.records_from_rows({f: [a.get(f) for a in kept] for f in fields})
                df["value"] = df["value"].astype(object)
                df.loc[by_ref, "value"] = pd.Series(records, index=df.index[by_ref], dtype=object)
        return df

    def created_at(self, ids: Sequence[str]) -> dict[str, str]:
        """Valid time of each asset's latest ``create`` event (when it entered the inventory)."""
        if len(ids) > _MANY_IDS and not self._any("asset_events"):
            return {}
        rows = self._execute(
            "SELECT asset_id, max(valid_at) FROM asset_events "
            "WHERE kind = 'create' AND asset_id = ANY(%s) GROUP BY asset_id",
            (list(ids),),
        )
        return dict(rows)


#: PostgreSQL types of the asset table's columns (schema version 8: the GeoPackage store's
#: columns, dates and times as the ISO text both stores keep, lists and ``extra`` as JSON text).
_PG_TYPES = {
    "TEXT": "text",
    "DOUBLE": "float8",
    "INTEGER": "int8",
    "BOOLEAN": "bool",
    "DATE": "text",
    "DATETIME": "text",
}
ASSET_PG_COLUMNS: list[tuple[str, str]] = [
    (n, _PG_TYPES[t.split()[0]]) for n, t in ASSET_TABLE_COLUMNS
]


#: What :meth:`PostGisStore.read_for_update` reads: the geometry, fid, entry time, the typed
#: columns, and the settings asked for (on every row: the rows are those of one update).
_READ_FOR_UPDATE_SQL = (
    "SELECT ST_AsBinary(a.geom), a.fid, "
    "(SELECT max(e.valid_at) FROM asset_events e "
    "WHERE e.kind = 'create' AND e.asset_id = a.asset_id), "
    + ", ".join(f"a.{n}::int" if t == "bool" else f"a.{n}" for n, t in ASSET_PG_COLUMNS)
    + ", (SELECT json_object_agg(m.key, m.value) FROM am_meta m WHERE m.key = ANY(%s)) "
    "FROM assets a WHERE a.asset_id = ANY(%s) ORDER BY a.asset_id FOR UPDATE OF a"
)

#: The event columns :meth:`PostGisStore.write_update` sends (all text; the geometry apart).
_UPDATE_EVENT_COLUMNS = [n for n, _ in EVENT_COLUMNS if n != "geom"]


def _write_update_sql() -> str:
    """The one statement of :meth:`PostGisStore.write_update`: the events' geometries get
    their ids first (``nextval`` of the identity, in the events' order), then the events go
    in in their order (so their ids grow as with ``COPY``), the asset rows are upserted and
    the settings set.

    Parameters: the events' text columns as a JSON array of objects, their WKB geometries
    (``bytea[]``), one typed array per asset column, the rows' WKB (cast to geometry as
    ``ST_GeomFromWKB`` reads it: SRID 0), the settings as a JSON object. It stays under
    psycopg's limits (4,096 characters, 50 parameters) for a statement whose parsing it keeps.
    """
    ev = _UPDATE_EVENT_COLUMNS
    ev_cols = ", ".join(
        f"(j.e->>'{n}')::timestamptz" if n == "recorded_at" else f"j.e->>'{n}'" for n in ev
    )
    names = ", ".join(n for n, _ in ASSET_PG_COLUMNS)
    arrays = ", ".join(f"%s::{t}[]" for _, t in ASSET_PG_COLUMNS)
    updates = ", ".join(f"{n}=excluded.{n}" for n, _ in [*ASSET_PG_COLUMNS[1:], ("geom", "")])
    return (
        "WITH j AS (SELECT e, ord, (%s::bytea[])[ord::int] AS wkb "
        "FROM json_array_elements(%s::json) WITH ORDINALITY AS t(e, ord)), "
        "gid AS (SELECT s.ord, s.wkb, nextval(pg_get_serial_sequence('geometries', 'geom_id')) "
        "AS geom_id FROM (SELECT ord, wkb FROM j WHERE wkb IS NOT NULL ORDER BY ord) s), "
        "g AS (INSERT INTO geometries (geom_id, geom) OVERRIDING SYSTEM VALUE "
        "SELECT geom_id, ST_GeomFromWKB(wkb) FROM gid), "
        f"e AS (INSERT INTO asset_events ({', '.join(ev)}, geom_id) "
        f"SELECT {ev_cols}, gid.geom_id FROM j LEFT JOIN gid USING (ord) ORDER BY j.ord), "
        f"a AS (INSERT INTO assets ({names}, geom) "
        f"SELECT * FROM unnest({arrays}, %s::bytea[]::geometry[]) "
        f"ON CONFLICT (asset_id) DO UPDATE SET {updates}) "
        "INSERT INTO am_meta (key, value) SELECT * FROM json_each_text(%s::json) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )


_WRITE_UPDATE_SQL = _write_update_sql()


def _event_values(events: Mapping[str, Sequence[Any]], name: str, n: int) -> list[Any]:
    """One event column as :meth:`PostGisStore.append_events` writes it: Python objects,
    missing values (NaN, NaT, NA) as None, ``value`` as its stored text."""
    if name not in events:
        return [None] * n
    vals = list(events[name])
    if name != "value" and all(v is None or type(v) is str for v in vals):
        return vals  # text and None: nothing to convert
    arr = np.empty(n, dtype=object)
    arr[:] = vals
    vals = arr.tolist()
    for k in np.flatnonzero(pd.isna(arr)):
        vals[k] = None
    if name == "value":
        vals = [history.encode_record(v) for v in vals]
    return vals


def _asset_columns(rows: gpd.GeoDataFrame) -> list[list[Any]]:
    """The columns of :data:`ASSET_PG_COLUMNS` of ``rows`` as lists of Python values of each
    column's type (None for missing), as a binary ``COPY`` takes them.

    A text column's numbers become their text and an integral float in an integer column its
    int, as SQLite's column affinities turn them in the GeoPackage store.
    """
    n = len(rows)
    have = set(rows.columns)
    # column by column, without a reindexed copy of the frame (a column it lacks is NULL)
    return _typed_columns(
        [_sql_column(rows[name]) if name in have else [None] * n for name, _ in ASSET_PG_COLUMNS]
    )


def _typed_columns(columns: list[list[Any]]) -> list[list[Any]]:
    """The SQLite values of each column of :data:`ASSET_PG_COLUMNS` (see
    :func:`_asset_columns`) as values of the column's type."""
    out = []
    for (name, kind), vals in zip(ASSET_PG_COLUMNS, columns, strict=True):
        types = set(map(type, vals)) - {type(None)}
        want = {"text": str, "float8": float, "int8": int, "bool": int}[kind]
        if kind == "bool":
            vals = [None if v is None else bool(v) for v in vals]
        elif types - {want}:
            vals = [None if v is None else _as_kind(name, kind, v) for v in vals]
        out.append(vals)
    return out


def _as_kind(name: str, kind: str, v: Any) -> Any:
    if kind == "text":
        return v if isinstance(v, str) else str(v)
    if kind == "float8" and isinstance(v, int | float):
        return float(v)
    if kind == "int8" and isinstance(v, int | float) and float(v).is_integer():
        return int(v)
    raise StoreError(f"assets column {name} holds {kind} values; got {v!r}")


def _gist_set_aside(cur: psycopg.Cursor[Any]) -> list[str]:
    """Drop the GiST indexes of an empty ``assets`` table, to be built again after a bulk load
    in the same transaction; returns their definitions.

    None are dropped when the table holds rows, when another session holds a lock on it (the
    table is not waited for, so two imports at once cannot deadlock on it), or when this role
    may not drop them (it does not own the table): the import then fills the index row by
    row, as any import does."""
    psycopg = _driver()
    if cur.execute("SELECT EXISTS (SELECT 1 FROM assets)").fetchone()[0]:
        return []
    try:
        with cur.connection.transaction():  # a savepoint: a refusal leaves the import as it was
            cur.execute("LOCK TABLE assets IN ACCESS EXCLUSIVE MODE NOWAIT")
            # with the table to itself, no other writer has rows in it this one cannot see
            if cur.execute("SELECT EXISTS (SELECT 1 FROM assets)").fetchone()[0]:
                return []
            rows = cur.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
                "WHERE i.indrelid = 'assets'::regclass AND a.amname = 'gist' "
                "AND NOT i.indisunique AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
            ).fetchall()
            for name, _ in rows:
                cur.execute(f'DROP INDEX "{name}"')
    except (psycopg.errors.LockNotAvailable, psycopg.errors.InsufficientPrivilege) as exc:
        logger.debug("the GiST index of assets is filled row by row (%s)", exc.sqlstate)
        return []
    return [definition for _, definition in rows]


def _geometry_oid(cur: psycopg.Cursor[Any]) -> int:
    """The oid of PostGIS's geometry type in the database of ``cur``."""
    row = cur.execute("SELECT 'geometry'::regtype::oid").fetchone()
    return int(row[0])


def _wkb_dumper(oid: int) -> type:
    """A binary dumper that passes WKB bytes as they are for the geometry type ``oid`` (PostGIS
    reads WKB as its binary input), used by a ``COPY`` whose types are set."""
    from psycopg.adapt import Dumper
    from psycopg.pq import Format

    class WkbDumper(Dumper):
        format = Format.BINARY

        def dump(self, obj: Any) -> bytes:
            return obj

    WkbDumper.oid = oid
    return WkbDumper


def _json_number(v: Any) -> Any:
    """JSON has no infinity: ±inf travel as the text ``"Infinity"``/``"-Infinity"``, which the
    float dtype restored on reading turns back into ±inf."""
    if isinstance(v, float) and math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


#: Settings that belong to one store kind (the GeoPackage store keeps its own).
_NOT_EXPORTED = frozenset(
    {"crs_epsg", "crs_wkt", "context_written", "schema_version", "created_at", "srs_id"}
)

#: GeoPackage's timestamp text, so both stores report ``recorded_at`` alike.
_TS_FORMAT = '\'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\''
