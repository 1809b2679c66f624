"""Low-level GeoPackage writing and reading on Python's own SQLite.

Every write to a store goes through one SQLite library, the one inside Python's ``sqlite3``
module: mixing two SQLite copies in one process (say Python's and the one inside GDAL) on the
same file breaks POSIX locking and can corrupt it. GDAL, QGIS and ``validate_gpkg.py`` read the
file we write; they never write it while we do.

What this module knows:

- the GeoPackage 1.2 core tables (``gpkg_spatial_ref_sys``, ``gpkg_contents``,
  ``gpkg_geometry_columns``, ``gpkg_extensions``) and the file header (``application_id`` "GPKG",
  ``user_version`` 10200);
- the R-tree spatial index extension with its six standard triggers, whose ``ST_MinX`` … functions
  we register on every connection we open (GDAL registers its own);
- GDAL's ``gpkg_ogr_contents`` feature-count cache, kept exact by triggers, so GDAL's cached
  counts always agree with the rows;
- the GeoPackage geometry blob ("GP" header, SRS id, XY envelope, then ISO WKB).

Transactions are explicit: :func:`transaction` takes SQLite's write lock up front
(``BEGIN IMMEDIATE``) and commits or rolls back as a whole, so a process killed at any moment
leaves the file as it was before or after the write.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import struct
import urllib.parse
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS

logger = logging.getLogger(__name__)

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10200  # GeoPackage 1.2
BUSY_TIMEOUT_MS = 60_000

_ENVELOPE_LEN = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}

# A short alias for geometry arrays (numpy object arrays of shapely geometries or None).
GeomArray = np.ndarray


def gpkg_timestamp(when: datetime | None = None) -> str:
    """Return a GeoPackage DATETIME string, ``YYYY-MM-DDTHH:MM:SS.fffZ``, in UTC."""
    when = when or datetime.now(UTC)
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


# --------------------------------------------------------------------------------------------
# geometry blobs


def encode(geoms: Sequence[object] | np.ndarray, srs_id: int) -> list[bytes | None]:
    """Encode shapely geometries as GeoPackage geometry blobs with an XY envelope.

    The WKB, envelopes and headers are built for the whole array at once (a structured numpy
    array of headers), then joined to each WKB.

    Parameters
    ----------
    geoms
        Shapely geometries (``None`` stays ``None``), in the CRS of ``srs_id``.
    srs_id
        The ``gpkg_spatial_ref_sys.srs_id`` written in each header.
    """
    arr = np.asarray(geoms, dtype=object)
    out: list[bytes | None] = [None] * len(arr)
    present = ~shapely.is_missing(arr)
    if not present.any():
        return out
    idx = np.flatnonzero(present)
    sub = arr[idx]
    wkbs = shapely.to_wkb(sub, byte_order=1, flavor="iso", output_dimension=2).tolist()
    bounds = shapely.bounds(sub)
    empty = shapely.is_empty(sub)
    head = np.zeros(len(sub), dtype=_HEADER)
    head["magic"] = b"GP"
    head["flags"] = np.where(empty, 0b00010001, 0b00000011)  # empty: no envelope (2.1.3)
    head["srs_id"] = srs_id
    head["env"] = bounds[:, [0, 2, 1, 3]]  # minx, maxx, miny, maxy
    raw = head.tobytes()
    size = _HEADER.itemsize
    for k, i in enumerate(idx.tolist()):
        start = k * size
        cut = start + (8 if empty[k] else size)
        out[i] = raw[start:cut] + wkbs[k]
    return out


#: The GeoPackage geometry header with an XY envelope (GeoPackage 1.2, clause 2.1.3).
_HEADER = np.dtype(
    [("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs_id", "<i4"), ("env", "<f8", 4)]
)


def _wkb_of(blob: bytes) -> bytes:
    if len(blob) < 8 or blob[0:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob (no 'GP' magic)")
    flags = blob[3]
    env = (flags >> 1) & 0b111
    if env not in _ENVELOPE_LEN:
        raise ValueError(f"GeoPackage blob has an invalid envelope indicator {env}")
    return blob[8 + _ENVELOPE_LEN[env] :]


def decode(blobs: Sequence[bytes | None]) -> GeomArray:
    """Decode GeoPackage geometry blobs into a numpy array of shapely geometries (None kept)."""
    wkbs = [None if b is None else _wkb_of(bytes(b)) for b in blobs]
    return shapely.from_wkb(np.asarray(wkbs, dtype=object))


def _envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) of a blob, from its header when present, else from its WKB."""
    if blob is None:
        return None
    blob = bytes(blob)
    flags = blob[3]
    if (flags >> 4) & 1:
        return None
    env = (flags >> 1) & 0b111
    if env:
        little = flags & 1
        minx, maxx, miny, maxy = struct.unpack("<4d" if little else ">4d", blob[8:40])
        return minx, maxx, miny, maxy
    geom = shapely.from_wkb(_wkb_of(blob))
    if geom is None or geom.is_empty:
        return None
    minx, miny, maxx, maxy = geom.bounds
    return minx, maxx, miny, maxy


def _st(index: int):
    def fn(blob: bytes | None) -> float | None:
        try:
            env = _envelope(blob)
        except (ValueError, struct.error):
            return None
        return None if env is None else env[index]

    return fn


def _st_isempty(blob: bytes | None) -> int | None:
    if blob is None:
        return None
    try:
        return 1 if _envelope(blob) is None else 0
    except (ValueError, struct.error):
        return 1


# --------------------------------------------------------------------------------------------
# connections and transactions


def connect(
    path: str | Path, *, readonly: bool = False, wal: bool = True, immutable: bool = False
) -> sqlite3.Connection:
    """Open a GeoPackage with the settings every store connection uses.

    WAL journal (readers never block the writer and never see half a transaction),
    ``synchronous=FULL``, a long busy timeout so concurrent writers queue rather than fail,
    and the ``ST_*`` functions the R-tree triggers call.

    The connection may be closed from another thread (``check_same_thread=False``), but the
    store uses each connection from the one thread that opened it.

    Parameters
    ----------
    readonly
        Open with ``mode=ro``: nothing is written, the journal mode is left as it is.
    wal
        Switch a writable connection to the WAL journal.
    immutable
        With ``readonly``: read the file as it is, without the WAL or its shared-memory index
        (for a store on a medium where even ``-shm`` cannot be created).
    """
    path = Path(path)
    timeout = BUSY_TIMEOUT_MS / 1000
    if readonly:
        query = "mode=ro&immutable=1" if immutable else "mode=ro"
        uri = f"file:{urllib.parse.quote(path.absolute().as_posix())}?{query}"
        conn = sqlite3.connect(
            uri, uri=True, isolation_level=None, timeout=timeout, check_same_thread=False
        )
    else:
        conn = sqlite3.connect(path, isolation_level=None, timeout=timeout, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    for name, fn in (
        ("ST_MinX", _st(0)),
        ("ST_MaxX", _st(1)),
        ("ST_MinY", _st(2)),
        ("ST_MaxY", _st(3)),
    ):
        conn.create_function(name, 1, fn, deterministic=True)
    conn.create_function("ST_IsEmpty", 1, _st_isempty, deterministic=True)
    if not readonly:
        if wal:
            use_wal(conn)
        conn.execute("PRAGMA synchronous = FULL")
    return conn


def use_wal(conn: sqlite3.Connection) -> None:
    """Switch to the WAL journal (persistent in the file header)."""
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode.lower() != "wal":  # pragma: no cover - e.g. a network filesystem
        logger.warning("could not switch to WAL journal mode (got %s)", mode)


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run a block as one write transaction, taking the write lock up front."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


# --------------------------------------------------------------------------------------------
# schema


_CORE_SQL = [
    """CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
        srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
        organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
        definition TEXT NOT NULL, description TEXT)""",
    """CREATE TABLE IF NOT EXISTS gpkg_contents (
        table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
        identifier TEXT UNIQUE, description TEXT DEFAULT '',
        last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
        CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""",
    """CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
        table_name TEXT NOT NULL, column_name TEXT NOT NULL,
        geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL,
        z TINYINT NOT NULL, m TINYINT NOT NULL,
        CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
        CONSTRAINT uk_gc_table_name UNIQUE (table_name),
        CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
        CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))""",
    """CREATE TABLE IF NOT EXISTS gpkg_extensions (
        table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
        definition TEXT NOT NULL, scope TEXT NOT NULL,
        CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))""",
    """CREATE TABLE IF NOT EXISTS gpkg_ogr_contents (
        table_name TEXT NOT NULL PRIMARY KEY, feature_count INTEGER DEFAULT NULL)""",
]

_DEFAULT_SRS = [
    (
        "Undefined cartesian SRS",
        -1,
        "NONE",
        -1,
        "undefined",
        "undefined cartesian coordinate reference system",
    ),
    (
        "Undefined geographic SRS",
        0,
        "NONE",
        0,
        "undefined",
        "undefined geographic coordinate reference system",
    ),
    (
        "WGS 84 geodetic",
        4326,
        "EPSG",
        4326,
        CRS.from_epsg(4326).to_wkt("WKT1_GDAL"),
        "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid",
    ),
]

_RTREE_TRIGGERS = """
CREATE TRIGGER "rtree_{t}_{c}_insert" AFTER INSERT ON "{t}"
WHEN (new."{c}" NOT NULL AND NOT ST_IsEmpty(NEW."{c}"))
BEGIN
  INSERT OR REPLACE INTO "rtree_{t}_{c}" VALUES (
    NEW."{i}", ST_MinX(NEW."{c}"), ST_MaxX(NEW."{c}"), ST_MinY(NEW."{c}"), ST_MaxY(NEW."{c}"));
END;
CREATE TRIGGER "rtree_{t}_{c}_update1" AFTER UPDATE OF "{c}" ON "{t}"
WHEN OLD."{i}" = NEW."{i}" AND (NEW."{c}" NOTNULL AND NOT ST_IsEmpty(NEW."{c}"))
BEGIN
  INSERT OR REPLACE INTO "rtree_{t}_{c}" VALUES (
    NEW."{i}", ST_MinX(NEW."{c}"), ST_MaxX(NEW."{c}"), ST_MinY(NEW."{c}"), ST_MaxY(NEW."{c}"));
END;
CREATE TRIGGER "rtree_{t}_{c}_update2" AFTER UPDATE OF "{c}" ON "{t}"
WHEN OLD."{i}" = NEW."{i}" AND (NEW."{c}" ISNULL OR ST_IsEmpty(NEW."{c}"))
BEGIN
  DELETE FROM "rtree_{t}_{c}" WHERE id = OLD."{i}";
END;
CREATE TRIGGER "rtree_{t}_{c}_update3" AFTER UPDATE ON "{t}"
WHEN OLD."{i}" != NEW."{i}" AND (NEW."{c}" NOTNULL AND NOT ST_IsEmpty(NEW."{c}"))
BEGIN
  DELETE FROM "rtree_{t}_{c}" WHERE id = OLD."{i}";
  INSERT OR REPLACE INTO "rtree_{t}_{c}" VALUES (
    NEW."{i}", ST_MinX(NEW."{c}"), ST_MaxX(NEW."{c}"), ST_MinY(NEW."{c}"), ST_MaxY(NEW."{c}"));
END;
CREATE TRIGGER "rtree_{t}_{c}_update4" AFTER UPDATE ON "{t}"
WHEN OLD."{i}" != NEW."{i}" AND (NEW."{c}" ISNULL OR ST_IsEmpty(NEW."{c}"))
BEGIN
  DELETE FROM "rtree_{t}_{c}" WHERE id IN (OLD."{i}", NEW."{i}");
END;
CREATE TRIGGER "rtree_{t}_{c}_delete" AFTER DELETE ON "{t}"
WHEN old."{c}" NOT NULL
BEGIN
  DELETE FROM "rtree_{t}_{c}" WHERE id = OLD."{i}";
END;
"""

_COUNT_TRIGGERS = """
CREATE TRIGGER "trigger_insert_feature_count_{t}" AFTER INSERT ON "{t}"
BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count + 1
  WHERE lower(table_name) = lower('{t}'); END;
CREATE TRIGGER "trigger_delete_feature_count_{t}" AFTER DELETE ON "{t}"
BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count - 1
  WHERE lower(table_name) = lower('{t}'); END;
"""


def next_id(conn: sqlite3.Connection, table: str, key: str) -> int:
    """The next id an AUTOINCREMENT ``key`` of ``table`` would get (inside a write transaction,
    so that the ids from here on are this writer's)."""
    row = conn.execute(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), "
        f'coalesce((SELECT max("{key}") FROM "{table}"), 0)) + 1',
        (table,),
    ).fetchone()
    return int(row[0])


#: What a missing value is bound as in bulk writes. SQLite stores a NaN bound as a double as NULL
#: (``sqlite3VdbeMemSetDouble``; ``tests/test_import_fast.py`` checks it on the SQLite in use),
#: and Python's ``sqlite3`` binds a float directly, while ``None`` (like ``bytes``) first goes
#: through its adapter lookup: about 1.2 µs a value against 0.15 µs, measured on 100,000 rows
#: of 43 parameters (5.5 s against 0.66 s of CPU).
NULL = float("nan")


def bind_values(values: Sequence[object]) -> list[object]:
    """``values`` ready for a bulk ``executemany``: ``None`` as :data:`NULL` (stored as NULL),
    other values as they are."""
    return [NULL if v is None else v for v in values]


def bind_blobs(blobs: Sequence[bytes | None]) -> list[object]:
    """Blobs ready for a bulk ``executemany``: as ``bytearray`` (stored as the same BLOB; Python's
    ``sqlite3`` binds a ``bytearray`` directly and a ``bytes`` through its adapter lookup, 0.5
    against 2 µs a value), ``None`` as :data:`NULL`."""
    return [NULL if b is None else bytearray(b) for b in blobs]


@contextlib.contextmanager
def triggers_set_aside(conn: sqlite3.Connection, names: Sequence[str]) -> Iterator[set[str]]:
    """Drop the triggers ``names`` (those that exist) for a block and create them again right
    after, inside the caller's transaction, so no reader ever sees the tables without them.
    Yields the names of those it dropped.

    For bulk writes whose statement does itself what the triggers would do per row.
    """
    kept: list[str] = []
    dropped: set[str] = set()
    for name in names:
        row = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)
        ).fetchone()
        if row is not None:
            kept.append(row[0])
            dropped.add(name)
            conn.execute(f'DROP TRIGGER "{name}"')
    try:
        yield dropped
    finally:
        for sql in kept:
            conn.execute(sql)


def count_trigger(table: str) -> str:
    """Name of the trigger that counts the rows inserted into ``table`` (GDAL's name)."""
    return f"trigger_insert_feature_count_{table}"


def add_to_count(conn: sqlite3.Connection, table: str, n: int) -> None:
    """Add ``n`` to GDAL's cached feature count of ``table`` (what :func:`count_trigger` would
    have done for ``n`` inserted rows)."""
    conn.execute(
        "UPDATE gpkg_ogr_contents SET feature_count = feature_count + ? "
        "WHERE lower(table_name) = lower(?)",
        (n, table),
    )


def insert_features(
    conn: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    params: Iterator[Sequence[object]] | Sequence[Sequence[object]],
    *,
    fids: np.ndarray,
    bounds: np.ndarray,
    geom_column: str = "geom",
) -> None:
    """Insert rows into a feature table, then fill its R-tree index in one more statement.

    The R-tree's per-row insert trigger (which calls back into Python five times a row) and
    the feature-count trigger are set aside for the insert and put back right after, inside
    the caller's transaction, so no reader ever sees the table without them; the index gets
    the same boxes the trigger would give (none for missing and empty geometries), the count
    grows by the number of rows.

    Parameters
    ----------
    columns
        Column names of each row in ``params``, ``fid`` and the geometry column among them.
    params
        The rows, one value per column (see :func:`bind_values`).
    fids
        The rows' ``fid`` values, in order.
    bounds
        ``shapely.bounds`` of the rows' geometries (minx, miny, maxx, maxy), in order.
    """
    rtree = f"rtree_{table}_{geom_column}_insert"
    with triggers_set_aside(conn, [rtree, count_trigger(table)]) as dropped:
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" * len(columns))
        conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', params)
        if count_trigger(table) in dropped:
            add_to_count(conn, table, len(fids))
        fill_rtree(conn, f"rtree_{table}_{geom_column}", fids, bounds)


def fill_rtree(conn: sqlite3.Connection, rtree: str, fids: np.ndarray, bounds: np.ndarray) -> None:
    """Add the boxes of ``fids`` to the R-tree ``rtree`` (inside the caller's transaction).

    An empty R-tree is built whole (:func:`_bulk_load_rtree`, as GDAL fills a new table's);
    one that holds boxes gets them one ``INSERT`` each through SQLite's R*Tree module.
    Missing and empty geometries (non-finite bounds) get no box, as with the triggers.
    """
    b = np.asarray(bounds, dtype=float).reshape(-1, 4)
    ok = np.isfinite(b).all(axis=1)
    ids = np.asarray(fids, dtype=np.int64)[ok]
    b = b[ok]
    if not len(ids):
        return
    if _rtree_is_empty(conn, rtree):
        conn.execute("SAVEPOINT am_rtree_bulk")
        try:
            _bulk_load_rtree(conn, rtree, ids, b)
        except sqlite3.OperationalError as exc:  # e.g. shadow tables read-only (defensive mode)
            conn.execute("ROLLBACK TO am_rtree_bulk")
            logger.info("R-tree %s filled row by row (%s)", rtree, exc)
        else:
            conn.execute("RELEASE am_rtree_bulk")
            return
        conn.execute("RELEASE am_rtree_bulk")
    conn.executemany(
        f'INSERT OR REPLACE INTO "{rtree}" VALUES (?, ?, ?, ?, ?)',
        zip(
            ids.tolist(),
            b[:, 0].tolist(),
            b[:, 2].tolist(),
            b[:, 1].tolist(),
            b[:, 3].tolist(),
            strict=True,
        ),
    )


def _rtree_is_empty(conn: sqlite3.Connection, rtree: str) -> bool:
    """Whether ``rtree`` holds no box: no row, and a root node without cells."""
    if conn.execute(f'SELECT 1 FROM "{rtree}_rowid" LIMIT 1').fetchone() is not None:
        return False
    root = conn.execute(f'SELECT data FROM "{rtree}_node" WHERE nodeno = 1').fetchone()
    return root is not None and len(root[0]) >= 4 and bytes(root[0][2:4]) == b"\0\0"


#: SQLite's R*Tree stores a box as 32-bit floats rounded outwards (``rtreeValueDown`` and
#: ``rtreeValueUp`` in its ``rtree.c``): a float above the double is stepped down by this
#: factor (towards zero, or away from it for a negative), one below is stepped up.
_RND_TOWARDS = 1.0 - 1.0 / 8388608.0
_RND_AWAY = 1.0 + 1.0 / 8388608.0

#: One cell of a 2-D R*Tree node: the rowid (or child node number), then minx, maxx, miny,
#: maxy, all big-endian (``rtree.c``: ``writeInt64``, ``writeCoord``).
_RTREE_CELL = np.dtype([("id", ">i8"), ("box", ">f4", 4)])


def _float_down(d: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        f = d.astype(np.float32)
        over = f.astype(np.float64) > d
        if over.any():
            x = d[over]
            f[over] = (x * np.where(x < 0, _RND_AWAY, _RND_TOWARDS)).astype(np.float32)
    return f


def _float_up(d: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        f = d.astype(np.float32)
        under = f.astype(np.float64) < d
        if under.any():
            x = d[under]
            f[under] = (x * np.where(x < 0, _RND_TOWARDS, _RND_AWAY)).astype(np.float32)
    return f


def _str_groups(box: np.ndarray, capacity: int) -> list[np.ndarray]:
    """Sort-Tile-Recursive packing: the entries (rows of minx, maxx, miny, maxy) in groups of
    at most ``capacity``: vertical slices by centre x, each cut into runs by centre y."""
    n = len(box)
    nodes = -(-n // capacity)
    slices = int(np.ceil(np.sqrt(nodes)))
    cx = box[:, 0].astype(np.float64) + box[:, 1]
    cy = box[:, 2].astype(np.float64) + box[:, 3]
    groups: list[np.ndarray] = []
    for part in np.array_split(np.argsort(cx, kind="stable"), slices):
        if not len(part):
            continue
        part = part[np.argsort(cy[part], kind="stable")]
        groups += np.array_split(part, -(-len(part) // capacity))
    return groups


def _bulk_load_rtree(
    conn: sqlite3.Connection, rtree: str, ids: np.ndarray, bounds: np.ndarray
) -> None:
    """Build an empty R-tree from all its boxes at once, writing its three shadow tables.

    The layout is SQLite's own (``rtree.c``): node blobs of the root's size, a 4-byte header
    (tree depth in the root, 0 elsewhere; cell count) and 24-byte cells; ``_rowid`` maps each
    box to its leaf, ``_parent`` each node but the root to its parent; the root is node 1.
    The nodes are packed full by Sort-Tile-Recursive, the boxes rounded outwards to 32-bit
    floats exactly as SQLite rounds them. ``rtreecheck()`` accepts the result (tested), and
    later inserts and deletes go through the R*Tree module as usual.
    """
    size = conn.execute(f'SELECT length(data) FROM "{rtree}_node" WHERE nodeno = 1').fetchone()[0]
    capacity = (size - 4) // _RTREE_CELL.itemsize
    box = np.empty((len(ids), 4), dtype=np.float32)
    box[:, 0] = _float_down(bounds[:, 0])  # minx
    box[:, 1] = _float_up(bounds[:, 2])  # maxx
    box[:, 2] = _float_down(bounds[:, 1])  # miny
    box[:, 3] = _float_up(bounds[:, 3])  # maxy
    level_ids = ids
    nodes: list[tuple[int, bytes]] = []
    leaf_of: list[tuple[np.ndarray, np.ndarray]] = []
    parents: list[tuple[int, int]] = []
    depth = 0
    next_node = 2
    while True:
        groups = _str_groups(box, capacity)
        root = len(groups) == 1
        numbers = [1] if root else list(range(next_node, next_node + len(groups)))
        next_node += 0 if root else len(groups)
        for number, g in zip(numbers, groups, strict=True):
            cells = np.empty(len(g), dtype=_RTREE_CELL)
            cells["id"] = level_ids[g]
            cells["box"] = box[g]
            head = np.array([depth if root else 0, len(g)], dtype=">u2").tobytes()
            blob = head + cells.tobytes()
            nodes.append((number, blob + bytes(size - len(blob))))
            if depth == 0:
                leaf_of.append((level_ids[g], np.full(len(g), number, dtype=np.int64)))
            else:
                parents += [(int(c), number) for c in level_ids[g]]
        up = np.array(
            [[box[g, 0].min(), box[g, 1].max(), box[g, 2].min(), box[g, 3].max()] for g in groups],
            dtype=np.float32,
        )
        if root:
            break
        level_ids = np.asarray(numbers, dtype=np.int64)
        box = up
        depth += 1
    conn.executemany(f'INSERT OR REPLACE INTO "{rtree}_node" (nodeno, data) VALUES (?, ?)', nodes)
    rowids = np.concatenate([a for a, _ in leaf_of]).tolist()
    leaves = np.concatenate([b for _, b in leaf_of]).tolist()
    conn.executemany(
        f'INSERT INTO "{rtree}_rowid" (rowid, nodeno) VALUES (?, ?)',
        zip(rowids, leaves, strict=True),
    )
    conn.executemany(f'INSERT INTO "{rtree}_parent" (nodeno, parentnode) VALUES (?, ?)', parents)


def is_geopackage(conn: sqlite3.Connection) -> bool:
    """Whether the database already carries the GeoPackage core tables."""
    row = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='gpkg_contents'"
    ).fetchone()
    return bool(row[0])


def init(conn: sqlite3.Connection) -> None:
    """Create the GeoPackage core (inside the caller's transaction); idempotent."""
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {USER_VERSION}")
    for sql in _CORE_SQL:
        conn.execute(sql)
    conn.executemany(
        "INSERT OR IGNORE INTO gpkg_spatial_ref_sys "
        "(srs_name, srs_id, organization, organization_coordsys_id, definition, description) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        _DEFAULT_SRS,
    )


def ensure_srs(conn: sqlite3.Connection, crs: CRS) -> int:
    """Register ``crs`` in ``gpkg_spatial_ref_sys`` if needed and return its srs_id.

    A CRS with an EPSG code is stored under that code. A CRS without one (a custom WKT) is
    stored as it is, under organization ``NONE`` and a free srs_id of 100000 and above; it is
    never relabelled with a guessed code.
    """
    epsg = crs.to_epsg(min_confidence=100)
    wkt1 = crs.to_wkt("WKT1_GDAL")
    if epsg is not None:
        conn.execute(
            "INSERT OR IGNORE INTO gpkg_spatial_ref_sys "
            "(srs_name, srs_id, organization, organization_coordsys_id, definition, description) "
            "VALUES (?, ?, 'EPSG', ?, ?, ?)",
            (crs.name, epsg, epsg, wkt1, crs.name),
        )
        return epsg
    for srs_id, definition in conn.execute(
        "SELECT srs_id, definition FROM gpkg_spatial_ref_sys WHERE organization = 'NONE' "
        "AND srs_id >= 100000"
    ):
        if CRS.from_wkt(definition) == crs:
            return int(srs_id)
    row = conn.execute("SELECT max(srs_id) FROM gpkg_spatial_ref_sys").fetchone()
    srs_id = max(100_000, int(row[0] or 0) + 1)
    conn.execute(
        "INSERT INTO gpkg_spatial_ref_sys "
        "(srs_name, srs_id, organization, organization_coordsys_id, definition, description) "
        "VALUES (?, ?, 'NONE', ?, ?, ?)",
        (crs.name or "custom", srs_id, srs_id, wkt1, "user-defined CRS, kept as given"),
    )
    return srs_id


def crs_of(conn: sqlite3.Connection, srs_id: int) -> CRS:
    """The pyproj CRS stored under ``srs_id``."""
    row = conn.execute(
        "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys "
        "WHERE srs_id = ?",
        (srs_id,),
    ).fetchone()
    if row is None:
        raise KeyError(f"srs_id {srs_id} is not in gpkg_spatial_ref_sys")
    org, code, definition = row
    if str(org).upper() == "EPSG":
        return CRS.from_epsg(int(code))
    return CRS.from_wkt(definition)


def table_exists(conn: sqlite3.Connection, table: str) -> bool:
    """Whether a table of that name exists."""
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)
    ).fetchone()
    return row is not None


def create_feature_table(
    conn: sqlite3.Connection,
    table: str,
    columns: Sequence[tuple[str, str]],
    *,
    geometry_type: str,
    srs_id: int,
    identifier: str | None = None,
    description: str = "",
    geom_column: str = "geom",
) -> None:
    """Create a feature table with its R-tree index, triggers and feature-count cache.

    ``columns`` are ``(name, sql_type)`` pairs besides ``fid`` and the geometry column. Runs
    inside the caller's transaction.
    """
    cols = "".join(f', "{n}" {t}' for n, t in columns)  # a layer may have no attributes
    conn.execute(
        f'CREATE TABLE "{table}" (fid INTEGER PRIMARY KEY AUTOINCREMENT, '
        f'"{geom_column}" {geometry_type}{cols})'
    )
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
        "last_change, srs_id) VALUES (?, 'features', ?, ?, ?, ?)",
        (table, identifier or table, description, gpkg_timestamp(), srs_id),
    )
    conn.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)",
        (table, geom_column, geometry_type, srs_id),
    )
    conn.execute(
        f'CREATE VIRTUAL TABLE "rtree_{table}_{geom_column}" '
        "USING rtree(id, minx, maxx, miny, maxy)"
    )
    for stmt in _split_sql(_RTREE_TRIGGERS.format(t=table, c=geom_column, i="fid")):
        conn.execute(stmt)
    conn.execute(
        "INSERT INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index', "
        "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
        (table, geom_column),
    )
    _register_count(conn, table)


def create_attribute_table(
    conn: sqlite3.Connection,
    table: str,
    columns: Sequence[tuple[str, str]],
    *,
    identifier: str | None = None,
    description: str = "",
    primary_key: str = "fid",
    count: bool = True,
) -> None:
    """Create a non-spatial (``attributes``) table registered in ``gpkg_contents``."""
    cols = ", ".join(f'"{n}" {t}' for n, t in columns)
    conn.execute(
        f'CREATE TABLE "{table}" ("{primary_key}" INTEGER PRIMARY KEY AUTOINCREMENT, {cols})'
    )
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
        "VALUES (?, 'attributes', ?, ?, ?)",
        (table, identifier or table, description, gpkg_timestamp()),
    )
    if count:
        _register_count(conn, table)


def drop_table(conn: sqlite3.Connection, table: str, geom_column: str = "geom") -> None:
    """Drop a user table and everything registered for it (inside the caller's transaction)."""
    conn.execute(f'DROP TABLE IF EXISTS "{table}"')
    conn.execute(f'DROP TABLE IF EXISTS "rtree_{table}_{geom_column}"')
    for meta in ("gpkg_extensions", "gpkg_geometry_columns", "gpkg_ogr_contents"):
        conn.execute(f"DELETE FROM {meta} WHERE lower(table_name) = lower(?)", (table,))
    conn.execute("DELETE FROM gpkg_contents WHERE lower(table_name) = lower(?)", (table,))


def _register_count(conn: sqlite3.Connection, table: str) -> None:
    n = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    conn.execute("INSERT OR REPLACE INTO gpkg_ogr_contents VALUES (?, ?)", (table, n))
    for stmt in _split_sql(_COUNT_TRIGGERS.format(t=table)):
        conn.execute(stmt)


def _split_sql(script: str) -> list[str]:
    """Split a script of CREATE TRIGGER statements (each ending with ``END;``)."""
    parts = [p.strip() for p in script.split("END;")]
    return [p + " END" for p in parts if p]


def touch(
    conn: sqlite3.Connection,
    table: str,
    geom_column: str | None = "geom",
    *,
    bounds: np.ndarray | None = None,
) -> None:
    """Refresh ``last_change`` and the extent of a table in ``gpkg_contents``.

    With ``bounds`` (rows of minx, miny, maxx, maxy of the geometries just written) the stored
    extent grows to include them, at no cost per existing row; without, it is recomputed from
    the R-tree (a full scan). Deletions never shrink the extent: it stays a bounding box of the
    content, possibly not the tightest one, which the GeoPackage standard allows for an
    informative extent.
    """
    now = gpkg_timestamp()
    if geom_column is None:
        conn.execute("UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (now, table))
        return
    if bounds is None:
        row = conn.execute(
            f'SELECT min(minx), min(miny), max(maxx), max(maxy) FROM "rtree_{table}_{geom_column}"'
        ).fetchone()
        conn.execute(
            "UPDATE gpkg_contents SET last_change = ?, min_x = ?, min_y = ?, max_x = ?, max_y = ? "
            "WHERE table_name = ?",
            (now, *row, table),
        )
        return
    b = np.asarray(bounds, dtype=float).reshape(-1, 4)
    b = b[np.isfinite(b).all(axis=1)]
    if not len(b):
        conn.execute("UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (now, table))
        return
    new = (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())
    conn.execute(
        "UPDATE gpkg_contents SET last_change = ?, "
        "min_x = min(coalesce(min_x, ?), ?), min_y = min(coalesce(min_y, ?), ?), "
        "max_x = max(coalesce(max_x, ?), ?), max_y = max(coalesce(max_y, ?), ?) "
        "WHERE table_name = ?",
        (now, new[0], new[0], new[1], new[1], new[2], new[2], new[3], new[3], table),
    )
