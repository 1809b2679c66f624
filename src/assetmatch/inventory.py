"""The inventory: one store of assets, their history, firms, reference layers and context.

:class:`Inventory` is the front door. It validates at the boundary (through
:mod:`assetmatch.ingest`), turns every change into events, and keeps the current table equal to
the replay of those events, all inside one store transaction per write.
"""

from __future__ import annotations

import atexit
import copy
import functools
import json
import logging
import math
import os
import re
import shutil
import sqlite3
import tempfile
import uuid
import warnings
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geopandas.array import from_shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as PyprojCRSError

from ._cow import copy_on_write
from ._errors import (
    AssetmatchError,
    CRSError,
    LandUseError,
    NotFoundError,
    OfferConflictError,
    Problem,
    StoreError,
    UnknownAssetError,
    ValidationError,
    wrong_type,
)
from ._live import LiveTables
from .domain import landuse
from .domain.idle import IDLE_LAND_STATES, idle_land_clocks
from .domain.landuse_paths import (
    PATH_COLUMNS,
    LandUsePathTable,
    example_zone_policy,
    load_landuse_paths,
    read_rules_file,
    with_zone_rules,
)
from .geo import crs as crs_rules
from .geo.geometry import MAX_COORDINATE
from .ingest import pipeline as ingest
from .schema import ASSET_COLUMNS, DERIVED_ASSET_COLUMNS, OFFERABLE_STATUSES
from .store import _gpkg, history, offers
from .store.gpkg import GpkgStore, _sql_value
from .store.pgurl import is_pg_url, parse_pg_url

logger = logging.getLogger(__name__)

T = TypeVar("T")

_JSON_COLUMNS = ("tenure", "obstacles", "extra")
_UPDATABLE = tuple(c for c in ASSET_COLUMNS if c not in ("asset_id", *DERIVED_ASSET_COLUMNS))

#: Value types a one-row frame's records give back as they were given (numpy scalars, dates,
#: lists and mappings are left to the frame: :meth:`Inventory.update` builds one for them).
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})
#: The settings an update reads before it writes (:meth:`Inventory._apply_updates`): the
#: state time it replaces, the context bookkeeping of :meth:`Inventory._mark_assets_dirty`,
#: and what says whether the context kept in memory is current (:meth:`Inventory._moved_rows`).
_UPDATE_METAS = (
    "state_time",
    "context_params",
    "context_computed_at",
    "context_dirty_assets",
    "context_removed",
    "context_dirty_firm_xy",
    "context_layers_dirty",
    "firms_version",
    "layers_version",
)
#: Up to this many moved assets, an update recomputes their context rows in its own
#: transaction when the context it replaces is kept in memory (:meth:`Inventory._moved_rows`).
_MOVED_ROWS = 32
#: Up to this many changed rows, the kept feature table is patched row by row
#: (:meth:`Inventory._patched_rows`); more take the frame paths.
_PATCHED_ROWS = 32


def _long_changes(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The long form of wide change records (``asset_id``, optional ``at``/``author``/``note``
    and one entry per field): one row per field, in the records' order."""
    meta = {"asset_id", "at", "author", "note"}
    recs = [
        {
            "asset_id": rec["asset_id"],
            "at": rec.get("at"),
            "author": rec.get("author"),
            "note": rec.get("note"),
            "field": f,
            "value": v,
        }
        for rec in records
        for f, v in rec.items()
        if f not in meta
    ]
    out = pd.DataFrame(recs, columns=["asset_id", "at", "author", "note", "field", "value"])
    # each value as given: one column holds every field's values, and pandas' inference over
    # them (a text column's None as NaN, ints among floats as floats) would let one field's
    # values change another's
    out["value"] = pd.Series([r["value"] for r in recs], index=out.index, dtype=object)
    return out


def _long_columns(rec: Mapping[str, Any]) -> dict[str, Any]:
    """The columns of ``_long_changes([rec])`` as :meth:`Inventory._apply_updates` takes them
    from it, for a record of plain values (text ``asset_id``): lists, and ``value`` the values
    as given, as objects."""
    meta = {"asset_id", "at", "author", "note"}
    items = [(f, v) for f, v in rec.items() if f not in meta]
    n = len(items)
    value = np.empty(n, dtype=object)
    for k, (_, v) in enumerate(items):
        value[k] = v
    return {
        "asset_id": [rec["asset_id"]] * n,
        "at": [rec.get("at")] * n,
        "author": [rec.get("author")] * n,
        "note": [rec.get("note")] * n,
        "field": [f for f, _ in items],
        "value": value,
    }


#: The columns of :meth:`Inventory.events` (:meth:`Inventory.history` leaves out ``asset_id``).
_EVENT_COLUMNS = (
    "event_id",
    "asset_id",
    "valid_at",
    "recorded_at",
    "kind",
    "field",
    "value",
    "author",
    "note",
    "batch_id",
    "source",
)


def _valid_time(at: Any, field: str = "at") -> str:
    """ISO text of a valid time: a date ("2026-03-01") or a date-time (default today).

    Raises
    ------
    ValidationError
        When ``at`` is not a date in the inventory's range (see
        :func:`assetmatch.store.history.check_date`).
    """
    if at is None:
        return date.today().isoformat()
    ts = _checked_date(at, field)
    return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat()


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
#: A naive ISO date or date-time to the second (what the stores keep as valid times).
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(T([01]\d|2[0-3]):[0-5]\d:[0-5]\d)?\Z")
#: The first and last day the inventory keeps, as ISO text (see ``history.check_date``).
_DAY_RANGE = (history.DATE_MIN.isoformat(), history.DATE_MAX.isoformat())


def _before(a: str, b: str) -> bool:
    """Whether the valid time ``a`` (ISO text) is before ``b``: ``pd.Timestamp(a) <
    pd.Timestamp(b)``, two plain ISO dates compared as their text (the same order)."""
    if _ISO_DAY.match(a) and _ISO_DAY.match(b):
        return a < b
    return bool(pd.Timestamp(a) < pd.Timestamp(b))


def _checked_date(value: Any, field: str, *, dayfirst: bool | None = None) -> pd.Timestamp:
    """:func:`history.check_date` with its refusal as a :class:`ValidationError`."""
    try:
        return history.check_date(value, dayfirst=dayfirst)
    except ValueError as exc:
        raise ValidationError(
            f"{field}={value!r} is not usable", [Problem(None, field, str(exc))]
        ) from None


def _text_or_none(value: Any, field: str) -> str | None:
    """``value`` when it is text or ``None``; anything else is a :class:`ValidationError`."""
    if value is None or isinstance(value, str):
        return value
    raise wrong_type(field, "text or None", value)


def _texts(values: Any, field: str) -> list[str] | None:
    """Iterable ``values`` as a list of text (``None`` stays ``None``), else a ValidationError."""
    if values is None:
        return None
    if not isinstance(values, Iterable):
        raise wrong_type(field, "a list of text", values)
    return [str(v) for v in values]


def _fspath(path: Any, of: str) -> str:
    """``os.fspath(path)``, with a wrong type refused as a :class:`ValidationError`."""
    try:
        return os.fspath(path)
    except TypeError:
        raise wrong_type("path", "a path (str or os.PathLike)", path, of=of) from None


def _decoded_values(ev: pd.DataFrame) -> list[Any]:
    """The Python value of each stored event: a create's record, a geometry, a field's value,
    an offer's investor, else None (as :meth:`Inventory.history` and ``events`` show them)."""
    values: list[Any] = []
    for kind, fld, value, geom in zip(
        ev["kind"], ev["field"], ev["value"], ev["geom"], strict=True
    ):
        if kind == "create":
            values.append(history.create_record(value))
        elif fld == "geometry":
            values.append(geom)
        elif kind == "update":
            values.append(history.decode_value(fld, value))
        elif kind == offers.OFFER_KIND:
            values.append(offers.decode_investor(value))
        else:
            values.append(None)
    return values


def _checked_bounds(bounds: Any) -> tuple[float, float, float, float]:
    """``(minx, miny, maxx, maxy)`` as four finite floats with min ≤ max, or a ValidationError."""
    try:
        box = tuple(float(v) for v in bounds)
    except (TypeError, ValueError):
        box = ()
    if len(box) != 4 or not all(np.isfinite(box)) or box[0] > box[2] or box[1] > box[3]:
        raise ValidationError(
            f"bounds={bounds!r} is not a rectangle",
            [Problem(None, "bounds", "expected (minx, miny, maxx, maxy): finite, min <= max")],
        )
    return box  # type: ignore[return-value]


def _as_crs(crs: Any) -> CRS:
    try:
        return CRS.from_user_input(crs)
    except PyprojCRSError as exc:
        raise CRSError(f"crs={crs!r} is not a coordinate reference system: {exc}") from None


def _same_crs_as(a: Any, b: CRS) -> bool:
    return a is not None and CRS.from_user_input(a).equals(b)


def _quiet_numpy(fn: Callable[..., T]) -> Callable[..., T]:
    """Run a write with numpy's floating-point warnings off.

    Bad input (coordinates of 1e308, NaN) is refused with a reason row by row; the overflow
    numpy meets while looking at it is no news to the caller and must not escape as a warning.
    """

    @functools.wraps(fn)
    def quiet(*args: Any, **kw: Any) -> T:
        with np.errstate(all="ignore"):
            return fn(*args, **kw)

    return quiet


def _store_errors(fn: Callable[..., T]) -> Callable[..., T]:
    """Turn SQLite's errors (a damaged file, a full disk, a lock held too long) into StoreError."""

    @functools.wraps(fn)
    def guarded(self: Inventory, *args: Any, **kw: Any) -> T:
        try:
            return fn(self, *args, **kw)
        except sqlite3.Error as exc:
            raise StoreError(
                f"{self.path}: the store could not be read or written ({exc}); if the file is "
                "damaged, restore it from a copy made with Inventory.export"
            ) from exc

    return guarded


class Inventory:
    """A dynamic inventory of idle and low-efficiency land and plants.

    Open one with :meth:`open` (a GeoPackage path) or :meth:`demo`. All areas are in m² and
    all distances in metres, measured in the store's projected CRS (:attr:`crs`), which is chosen
    from the first data written (the CGCS2000 3° Gauss–Krüger zone for data in China) or set
    by the user when the store is created.
    """

    def __init__(self, store: GpkgStore, *, author: str | None = None) -> None:
        self._store = store
        self.author = author or os.environ.get("USER") or "assetmatch"
        self._live = LiveTables()
        self._rows_written: list[str] | None = []  # by the write in progress (see _stamp)

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        crs: Any = None,
        create: bool = True,
        author: str | None = None,
        readonly: bool = False,
    ) -> Inventory:
        """Open an inventory, creating the GeoPackage if missing.

        Parameters
        ----------
        path
            A ``.gpkg`` file, or a ``postgresql://user@host:port/dbname`` URL for the PostGIS
            store (missing parts from ``PGHOST``, ``PGPORT``, ``PGDATABASE``, ``PGUSER``,
            ``PGPASSWORD``; the database needs the PostGIS extension).
        crs
            The store's projected CRS in metres, for a new store (EPSG code, WKT, or pyproj CRS;
            a custom WKT is kept as given). Default: chosen from the first data written.
        create
            Whether a missing file may be created.
        author
            Name recorded on the events this session writes (default: ``$USER``).
        readonly
            Open for reading only (nothing in the file or database changes; writes raise
            :class:`StoreError`). A file this process may not write is opened read-only
            automatically; on PostGIS the server refuses writes on every connection too.

        Notes
        -----
        One Inventory may be shared by several threads: each thread reads through its own
        connection and writes are serialised by the store's write lock.
        """
        text = _fspath(path, "Inventory.open")
        pg_target = parse_pg_url(text) if is_pg_url(text) else None
        want = None
        if crs is not None:
            try:
                want = CRS.from_user_input(crs)
            except (PyprojCRSError, TypeError, ValueError) as exc:
                raise CRSError(
                    f"crs={crs!r} is not a coordinate reference system ({exc}); give an EPSG "
                    "code such as 4549, a WKT string or a pyproj CRS"
                ) from exc
        store: Any
        if pg_target is not None:
            from .store.postgis import PostGisStore

            store = PostGisStore(pg_target, readonly=readonly)
        else:
            store = GpkgStore(text, create=create, readonly=readonly)
        inv = cls(store, author=author)
        try:
            inv._check_crs(want, str(pg_target) if pg_target is not None else text)
        except BaseException:
            store.close()  # refused: no connection is left open on the file
            raise
        return inv

    def _check_crs(self, want: CRS | None, text: str) -> None:
        """Fix the CRS of a new store, or check the CRS asked of an existing one."""
        store = self._store
        if want is not None:
            if not want.is_projected:
                raise CRSError(
                    f"the store CRS must be projected in metres; got {want.to_string()} "
                    "(e.g. use EPSG:4549 for CGCS2000 3° Gauss–Krüger zone 120°E)"
                )
            have = store.crs
            if have is None:
                with store.transaction():
                    store.set_crs(want)
            elif have != want:
                raise CRSError(
                    f"{text} is stored in {have.to_string()}, not {want.to_string()}; "
                    "a store keeps one CRS (omit crs= to use the stored one)"
                )

    @classmethod
    def demo(cls, path: str | os.PathLike[str] | None = None, *, seed: int = 20240630) -> Inventory:
        """The bundled synthetic demo zone, written to ``path`` or a temporary file.

        Without ``path`` the file lives in one temporary folder per Python process, removed
        with its files when the process exits (and each file when its inventory is
        garbage-collected).

        The zone is synthetic (see ``data/README.md``): generated by
        :func:`assetmatch.demo.generate_zone` with ``seed``, standing on its ``as_of`` date with
        two years of events, firms, reference layers and past deals, and the three public cases
        placed with their published figures. The demo zone records a policy table
        (:meth:`set_zone_policy`) that recognises the transition period for research, culture
        and a school in an existing plant
        (:func:`~assetmatch.domain.landuse_paths.example_zone_policy`); a real zone records
        its own.
        """
        from .demo.zone import generate_zone

        temporary = path is None
        if path is None:
            path = _demo_dir() / f"demo_zone_{uuid.uuid4().hex[:8]}.gpkg"
        zone = generate_zone(seed)
        inv = cls.open(path, author="assetmatch.demo")
        if temporary:  # the file goes when the inventory does; the folder when Python exits
            weakref.finalize(inv, _remove_store, inv._store, Path(path))
        start = pd.Timestamp(zone.as_of) - pd.DateOffset(years=2)
        first = min([pd.Timestamp(d) for d in zone.events["at"]] + [start])
        inv.add(
            zone.initial,
            at=first.date(),
            note="演示数据初始状态（合成）",
            on_error="raise",
            source="assetmatch.demo",
        )
        inv.update_many(zone.events, crs=DEMO_CRS)
        inv.add_firms(zone.firms)
        for name, layer in zone.layers.items():
            inv.add_layer(name, layer)
        inv.add_deals(zone.deals)
        inv.set_zone_policy(
            example_zone_policy(),
            at=first.date(),
            note="演示园区政策（合成）：园区认定利用现有厂房办学、研发、文化创意适用过渡期",
        )
        with inv._store.transaction():
            inv._store.set_meta("demo_as_of", zone.as_of.isoformat())
            inv._store.set_meta("demo_source", zone.source_note)
        return inv

    def close(self) -> None:
        """Close the store."""
        self._live.clear()
        self._store.close()

    def __enter__(self) -> Inventory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Inventory({self._where()!r}, crs={self.crs.to_string() if self.crs else None}, "
            f"assets={len(self._store.asset_ids())})"
        )

    def _where(self) -> str:
        """The store's file, or its database with the password left out (for messages)."""
        target = getattr(self._store, "target", None)
        return str(target) if target is not None else str(self._store.path)

    # ------------------------------------------------------------------ properties
    @property
    def path(self) -> Path:
        """The store's file."""
        return self._store.path

    @property
    def crs(self) -> CRS | None:
        """The store's projected CRS (None until data arrives)."""
        return self._store.crs

    @property
    def state_time(self) -> str | None:
        """Recorded time (UTC) of the last write: pins the state a result was computed on."""
        return self._store.meta("state_time")

    @property
    def as_of(self) -> date | None:
        """The "today" of a demo zone (None for a real inventory)."""
        v = self._store.meta("demo_as_of")
        return None if v is None else date.fromisoformat(v)

    # ------------------------------------------------------------------ writing assets
    def add(
        self,
        data: gpd.GeoDataFrame | pd.DataFrame,
        *,
        columns: Mapping[str, Any] | None = None,
        at: Any = None,
        author: str | None = None,
        note: str | None = None,
        on_error: str = "skip",
        crs: Any = None,
        coords: str = "wgs84",
        swap_xy: bool = False,
        land_use_scheme: str | None = None,
        source: str | None = None,
        dayfirst: bool | None = None,
    ) -> ingest.ImportReport:
        """Add or update assets from a (Geo)DataFrame; returns an import report.

        Parameters
        ----------
        data
            Canonical columns (see docs/design.md) or columns that ``columns`` / the header
            rules map.
            A GeoDataFrame needs a CRS (any CRS); a plain DataFrame needs lon/lat, x/y or WKT.
        at
            Valid time of these facts (default today).
        on_error
            ``"skip"``: write the good rows, report the bad ones. ``"raise"``: refuse the whole
            import with one :class:`ValidationError` listing every problem. Either way nothing
            already stored is lost.
        coords
            ``"gcj02"`` or ``"bd09"`` for lon/lat taken from Chinese web maps (Amap, Baidu):
            converted to CGCS2000/WGS84 before anything is measured.
        land_use_scheme
            Scheme of the land-use codes when the data has no ``land_use_scheme`` column.
        dayfirst
            How to read slashed dates such as ``03/04/2025``: ``True`` day first (3 April),
            ``False`` month first (4 March). Without it such a date is refused as ambiguous
            (``31/12/2025`` is read either way).
        """
        return self._import(
            data,
            columns=columns,
            at=at,
            author=author,
            note=note,
            on_error=on_error,
            crs=crs,
            coords=coords,
            swap_xy=swap_xy,
            land_use_scheme=land_use_scheme,
            source=source,
            dayfirst=dayfirst,
        )

    def import_file(
        self,
        path: str | os.PathLike[str],
        *,
        columns: Mapping[str, Any] | None = None,
        layer: str | int | None = None,
        sheet: str | int | None = None,
        crs: Any = None,
        at: Any = None,
        author: str | None = None,
        note: str | None = None,
        on_error: str = "skip",
        coords: str = "wgs84",
        swap_xy: bool = False,
        land_use_scheme: str | None = None,
        dayfirst: bool | None = None,
        source: str | None = None,
    ) -> ingest.ImportReport:
        """Import assets from any vector file GDAL reads, or a CSV/Excel sheet.

        Spreadsheets locate assets by lon/lat (经度/纬度, CGCS2000 unless ``crs`` says
        otherwise), x/y (with ``crs``) or a WKT column; a row with a point and a declared area
        becomes an asset without a boundary. Headers are matched in Chinese or English, with
        units read from the header (``面积（亩）``, ``租金（元/㎡/天）``…); a ledger's title
        lines, two-line headers, totals line and units written in cells are understood. See
        :meth:`add` for the other parameters; ``source`` is the name the report and the
        history give the file (default: ``path`` as given; a service passes the name of the
        uploaded file, not where it saved it).
        """
        return self._import(
            path,
            columns=columns,
            layer=layer,
            sheet=sheet,
            crs=crs,
            at=at,
            author=author,
            note=note,
            on_error=on_error,
            coords=coords,
            swap_xy=swap_xy,
            land_use_scheme=land_use_scheme,
            source=(
                _fspath(path, "import_file") if source is None else _text_or_none(source, "source")
            ),
            dayfirst=dayfirst,
        )

    @_store_errors
    @_quiet_numpy
    def _import(
        self,
        data: Any,
        *,
        on_error: str,
        at: Any,
        author: str | None,
        note: str | None,
        source: str | None,
        **kw: Any,
    ) -> ingest.ImportReport:
        if on_error not in ("skip", "raise"):
            raise ValidationError(
                "import refused",
                [Problem(None, "on_error", f"'skip' or 'raise'; got {on_error!r}")],
            )
        author, note = _text_or_none(author, "author"), _text_or_none(note, "note")
        valid_at = _valid_time(at)
        prepared = ingest.prepare_assets(data, store_crs=self.crs, source_name=source, **kw)
        report = prepared.report
        if len(report.rejected) and on_error == "raise":
            raise ValidationError(
                f"import refused: {report.n_rejected_rows} of {report.rows} rows have problems "
                "(nothing was written)",
                [Problem(r.row, r.field, r.reason) for r in report.rejected.itertuples()],
            )
        frame = prepared.frame
        if frame.empty:
            logger.warning("nothing to import from %s", report.source)
            return report
        with self._store.transaction():
            if self._store.crs is None:
                self._store.set_crs(prepared.crs)
            elif self._store.crs != prepared.crs:  # pragma: no cover - prepare used store CRS
                raise CRSError("store CRS changed during import")
            new = frame.set_index("asset_id")
            events, created, updated, unchanged = self._diff(new, prepared.given)
            event = {
                "valid_at": valid_at,
                "recorded_at": _gpkg.gpkg_timestamp(),
                "author": author or self.author,
                "note": note,
                "batch_id": uuid.uuid4().hex[:12],
                "source": source or report.source,
            }
            for k, v in event.items():
                events[k] = v
            written = len(created) + len(events)
            if created:
                self._add_new_assets(new, created, prepared.given, event)
            if len(events):
                self._store.append_events(events)
                self._materialize(sorted(updated))
            if written:
                moved = events.loc[events["field"] == "geometry", "asset_id"]
                self._mark_assets_dirty(sorted({*created, *moved}))
                self._stamp()
        report.created, report.updated, report.unchanged = created, updated, unchanged
        report.committed = bool(written)
        report.events_written = written
        logger.info("%s", str(report).splitlines()[0])
        return report

    def _add_new_assets(
        self, new: gpd.GeoDataFrame, created: list[str], given: list[str], event: dict[str, Any]
    ) -> None:
        """Write assets new to the store: their rows, built column by column, and one
        ``create`` event each that refers to its row as first written (no replay)."""
        fields = [f for f in given if f in history.EVENT_FIELDS]
        # an id removed earlier has history: its row is the replay of all of it
        returning = sorted(self._store.created_at(created))
        sub = new[new.index.astype(str).isin(created)] if len(created) < len(new) else new

        def rows_of(part: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
            return self._new_asset_rows(
                part, fields, valid_at=event["valid_at"], recorded_at=event["recorded_at"]
            )

        # a store that writes in chunks (PostGIS: the server stores one while the next is built)
        # gets the rows built a chunk at a time, as it asks for them
        chunk = getattr(self._store, "add_chunk_rows", None)
        if chunk and len(sub) > chunk:
            parts = (rows_of(sub.iloc[k : k + chunk]) for k in range(0, len(sub), chunk))
            self._store.add_assets(parts, event, ids=sub.index.astype(str).tolist())
        else:
            self._store.add_assets(rows_of(sub), event)
        if self._rows_written is not None:
            self._rows_written.extend(created)
        if returning:
            self._materialize(returning)

    def _diff(
        self, new: gpd.GeoDataFrame, given: list[str]
    ) -> tuple[pd.DataFrame, list[str], list[str], list[str]]:
        """What ``new`` changes: update events (one per changed field of a stored asset, without
        their valid/recorded time and provenance), and the ids created, updated, unchanged."""
        ids = new.index.astype(str).tolist()
        current = self._store.read_assets(ids).set_index("asset_id") if ids else None
        rows: list[dict[str, Any]] = []
        updated: list[str] = []
        unchanged: list[str] = []
        fields = [f for f in given if f in history.EVENT_FIELDS]
        existing = set(current.index) if current is not None else set()
        is_old = np.array([aid in existing for aid in ids], dtype=bool)
        created = [ids[k] for k in np.flatnonzero(~is_old)]
        pos = np.flatnonzero(is_old)
        if len(pos):  # only stored assets are compared: their values alone are converted
            new_geoms = new.geometry.to_numpy()
            cur = current.reindex([ids[k] for k in pos])
            changed = np.zeros(len(pos), dtype=bool)
            for f in fields:  # one vectorised comparison per field, not per asset
                new_vals = new[f].to_numpy(dtype=object)[pos]
                diff = _differs(f, cur[f].to_numpy(dtype=object), new_vals)
                changed |= diff
                for j in np.flatnonzero(diff):
                    rows.append(
                        {
                            "asset_id": ids[pos[j]],
                            "kind": "update",
                            "field": f,
                            "value": history.encode_value(f, new_vals[j]),
                            "geom": None,
                        }
                    )
            same_geom = shapely.equals_exact(
                cur.geometry.to_numpy(), new_geoms[pos], tolerance=1e-3
            )
            for j in np.flatnonzero(~np.asarray(same_geom, dtype=bool)):
                rows.append(
                    {
                        "asset_id": ids[pos[j]],
                        "kind": "update",
                        "field": "geometry",
                        "value": None,
                        "geom": new_geoms[pos[j]],
                    }
                )
            changed |= ~np.asarray(same_geom, dtype=bool)
            updated = [ids[k] for k in pos[changed]]
            unchanged = [ids[k] for k in pos[~changed]]
        ev = pd.DataFrame(rows, columns=["asset_id", "kind", "field", "value", "geom"])
        return ev, created, updated, unchanged

    def update(
        self,
        asset_id: str,
        *,
        at: Any = None,
        author: str | None = None,
        note: str | None = None,
        geometry: Any = None,
        crs: Any = None,
        **fields: Any,
    ) -> None:
        """Change fields of one asset, recording one event per changed field.

        Parameters
        ----------
        asset_id
            The asset.
        at
            When the change happened (valid time; default today). It may lie in the past.
        geometry
            A new boundary: a one-row GeoSeries/GeoDataFrame in any CRS (reprojected), or a
            shapely geometry in ``crs`` (default: the store CRS). Coordinates outside the store
            CRS's area of use are refused (lon/lat given for metres).
        crs
            The CRS of a shapely ``geometry`` (e.g. ``"EPSG:4490"`` for CGCS2000 lon/lat).
        **fields
            Canonical fields, e.g. ``status="negotiating", rent_yuan_m2_month=14.5``.

        Raises
        ------
        UnknownAssetError
            If the asset is not in the inventory.
        ValidationError
            Listing every bad field.
        """
        rec = {"asset_id": asset_id, "at": at, "author": author, "note": note, **fields}
        if (
            type(asset_id) is str
            and "land_use" not in fields  # its check reads the long frame
            and all(type(v) in _PLAIN_TYPES for v in rec.values())
        ):
            # what a one-row frame's records give back for these values: no frame needed
            if geometry is not None:
                rec["geometry"] = geometry
            self._apply_updates(_long_columns(rec), crs)
            return
        df = pd.DataFrame([rec])
        if geometry is not None:
            df["geometry"] = [geometry]
        self.update_many(df, crs=crs)

    @_store_errors
    @_quiet_numpy
    def update_many(self, changes: pd.DataFrame, *, crs: Any = None) -> int:
        """Apply many changes in one transaction; returns the number of events written.

        ``changes`` is either *wide* (``asset_id``, optional ``at``/``author``/``note``, and one
        column per field) or *long* (``asset_id, at, field, value`` and optional
        ``author``/``note``), the form of an exported history. Every row is validated first;
        any problem refuses the whole batch with one error listing them all. ``crs`` is the
        CRS of shapely geometries among the values (default: the store CRS).
        """
        if not isinstance(changes, pd.DataFrame):
            raise ValidationError(
                "update_many needs a DataFrame",
                [Problem(None, "changes", f"got {type(changes).__name__}")],
            )
        if "asset_id" not in changes.columns:
            raise ValidationError(
                "update_many needs an asset_id column (nothing was written)",
                [Problem(None, "asset_id", f"columns found: {list(map(str, changes.columns))}")],
            )
        if "field" in changes.columns and "value" in changes.columns:
            long = changes.copy()
            for col in ("at", "author", "note"):
                if col not in long.columns:
                    long[col] = None
        else:
            long = _long_changes(changes.to_dict("records"))
        return self._apply_updates(long, crs)

    @_store_errors
    @_quiet_numpy
    def _apply_updates(self, long: pd.DataFrame | dict[str, Any], crs: Any = None) -> int:
        """Validate and write the changes of ``long`` (the long form of :meth:`update_many`, or
        its columns as :func:`_long_columns` gives them): the values are taken from the frame's
        columns once, as Python lists, and checked and written row by row (no per-row pandas
        indexing)."""
        if isinstance(long, pd.DataFrame):
            if long.empty:
                return 0
            long = long.reset_index(drop=True)
            cols = {c: long[c].tolist() for c in ("asset_id", "at", "author", "note", "field")}
            given = long["value"].to_numpy(dtype=object)
            id_text = long["asset_id"].astype(str).tolist()
        else:
            cols, given = long, long["value"]
            id_text = [str(a) for a in cols["asset_id"]]  # text already (see _long_columns)
        n = len(given)
        if not n:
            return 0
        fields = cols["field"]
        aids = cols["asset_id"]
        problems: list[Problem] = []
        allowed = (*_UPDATABLE, "geometry", "extra")
        for i, f in enumerate(fields):
            if f not in allowed:
                hint = (
                    " (derived from the boundary; update geometry or declared_land_area_m2)"
                    if f in DERIVED_ASSET_COLUMNS
                    else ""
                )
                problems.append(
                    Problem(
                        i, str(f), f"not an updatable field{hint}; allowed: {', '.join(allowed)}"
                    )
                )
        texts: list[str | None] = [None] * n
        geoms: list[Any] = [None] * n
        rows_of: dict[Any, list[int]] = {}  # each field's rows, fields in order of appearance
        for i, f in enumerate(fields):
            rows_of.setdefault(f, []).append(i)
        plain = [f for f in rows_of if f in allowed and f not in ("geometry", "extra", "land_use")]
        read: set[Any] = set()  # fields whose one change is a plain acceptable value
        for f in plain:
            if len(rows_of[f]) == 1:  # a number, a code, clean text: no frame to parse it
                value = ingest.parse_scalar(f, given[rows_of[f][0]])
                if value is not ingest.NOT_PLAIN:
                    texts[rows_of[f][0]] = history.encode_value(f, value)
                    read.add(f)
        plain = [f for f in plain if f not in read]
        parsed_once = self._parse_single_rows(plain, rows_of, given) if len(plain) > 1 else None
        for f, rows in rows_of.items():
            if f not in allowed or f == "land_use" or f in read:  # land use: below
                continue
            if parsed_once is not None and f in parsed_once:
                value, probs = parsed_once[f]
                problems.extend(probs)
                texts[rows[0]] = history.encode_value(f, value)
                continue
            if f == "geometry":
                for i in rows:
                    gg, why = self._geometry_in_store_crs(given[i], crs)
                    if why:
                        problems.append(Problem(i, "geometry", why))
                    geoms[i] = gg
                continue
            if f == "extra":
                for i in rows:
                    clean, why = _clean_extra(given[i])
                    if why:
                        problems.append(Problem(i, "extra", why))
                        continue
                    texts[i] = json.dumps(clean, ensure_ascii=False, sort_keys=True)
                continue
            one = pd.DataFrame({f: given[rows]}, index=pd.Index(rows))
            parsed, probs, _ = ingest.parse_values(one, ingest.ColumnMap({f: (f, None)}, []))
            problems.extend(probs)
            out = parsed[f].tolist()
            for i, v in zip(rows, out, strict=True):
                texts[i] = history.encode_value(f, v)
        if "land_use" in rows_of:
            assert isinstance(long, pd.DataFrame)  # update() leaves land use to the frame
            problems += self._check_land_use_changes(long, texts)
        bad_at: set[int] = set()
        valid_at: list[Any] = list(cols["at"])
        for i, at in enumerate(valid_at):
            try:
                valid_at[i] = _valid_time(at)
            except ValidationError as exc:
                problems += [Problem(i, "at", p.reason) for p in exc.problems]
                bad_at.add(i)
        for i, aid in enumerate(aids):
            why = ingest.id_problem(aid)
            if why:
                problems.append(Problem(i, "asset_id", why))
        for field_name in ("author", "note"):  # text, or left out (the inventory's author)
            for i, v in enumerate(cols[field_name]):
                if not (v is None or isinstance(v, str) or (isinstance(v, float) and v != v)):
                    problems.append(
                        Problem(i, field_name, f"must be text or left out, got {type(v).__name__}")
                    )
        ids = sorted(set(id_text))
        with self._store.transaction():
            # the stored rows as plain columns (no frame for a few rows), when each asset
            # entered, and the settings this write reads: one read where the store allows
            current, entered, meta = self._store.read_for_update(ids, _UPDATE_METAS)
            known = set(current["asset_id"]) if current is not None else set()
            missing = [i for i in ids if i not in known]
            if missing:
                raise UnknownAssetError(
                    f"not in the inventory: {', '.join(missing[:10])}"
                    + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
                )
            for i in range(n):
                if i in bad_at:
                    continue
                first = entered.get(str(aids[i]))
                if first is not None and _before(valid_at[i], first):
                    problems.append(
                        Problem(
                            i,
                            "at",
                            f"{valid_at[i]} is before {aids[i]} entered the "
                            f"inventory ({first}); a change cannot predate its asset",
                        )
                    )
            if problems:
                raise ValidationError("update refused (nothing was written)", problems)
            authors, notes = cols["author"], cols["note"]
            ev = {
                "asset_id": id_text,
                "kind": ["update"] * n,
                "field": fields,
                "value": texts,
                "geom": geoms,
                "valid_at": valid_at,
                "recorded_at": [_gpkg.gpkg_timestamp()] * n,
                "author": [a if isinstance(a, str) else self.author for a in authors],
                "note": [x if isinstance(x, str) else None for x in notes],
                "batch_id": [uuid.uuid4().hex[:12]] * n,
                "source": ["update"] * n,
            }
            status = {a for a, f in zip(id_text, fields, strict=True) if f == "status"}
            moved = sorted({a for a, f in zip(id_text, fields, strict=True) if f == "geometry"})
            after = _rows_after(current, ev) if current is not None else None
            if after is None:  # a change dated before the asset's latest: replay its history
                self._store.append_events(ev)  # its columns as they are: no frame
                self._materialize(ids)
                self._mark_assets_dirty(moved)
                self._stamp({i for i in ids if i not in status})
                return n
            row_ids, values, new_geoms, valid_from, recorded = after
            row = self._asset_values(
                row_ids, values, new_geoms, valid_from=valid_from, recorded_at=recorded
            )
            # the events, the rows (what the stores make of the rows' frame, _asset_rows,
            # value by value) and the bookkeeping of _mark_assets_dirty and _stamp, written
            # together: one statement in the PostGIS store
            now = _gpkg.gpkg_timestamp()
            metas: dict[str, str | None] = {"state_time": now}
            fresh = None
            if moved and meta["context_params"] is not None:
                fresh = self._moved_rows(meta, moved, row_ids, new_geoms)
                if fresh is None:  # the next context() recomputes them
                    dirty = json.loads(meta["context_dirty_assets"] or "[]")
                    metas["context_dirty_assets"] = json.dumps(sorted({*dirty, *moved}))
                else:
                    new_ctx, changed, ctx_rows, attrs = fresh
                    metas["context_computed_at"] = now
                    if attrs is not None:
                        metas["context_attrs"] = json.dumps(attrs, default=str)
            stored = {c: [_sql_value(v) for v in col] for c, col in row.items()}
            self._store.write_update(ev, stored, new_geoms, metas)
            if fresh is not None:  # the moved assets' context rows, in the same transaction
                self._store.write_context_rows(changed, ctx_rows)
                self._live.refreshed_context(
                    meta["context_computed_at"], now, [str(i) for i in changed]
                )
                self._live.keep_context((now, meta["context_params"]), new_ctx)
            if self._rows_written is not None:
                self._rows_written.extend(ids)
            self._stamped(meta["state_time"], now, {i for i in ids if i not in status})
            # the rows as the store now holds them (read_asset_columns would give them back)
            self._live.wrote_rows(now, {**stored, "geometry": list(new_geoms)})
        return n

    def _moved_rows(
        self,
        meta: Mapping[str, str | None],
        moved: list[str],
        ids: list[str],
        geoms: np.ndarray,
    ) -> tuple[pd.DataFrame, pd.Index, dict[str, np.ndarray], dict[str, Any] | None] | None:
        """The context after a few assets moved, computed inside the update that moves them.

        When this inventory keeps in memory the context the store holds (``meta``: the
        settings the update read in its transaction) with nothing pending, the firms and the
        layers it was computed from, and at most :data:`_MOVED_ROWS` assets moved, their rows
        are computed now from their new geometries (``geoms``, those of ``ids`` as the store
        will hold them), so the update writes them with the assets and the next match finds
        the context current, instead of a second transaction in :meth:`context`. Returns the
        new context, the labels of the rows that changed, those rows (one array per column)
        and the table's ``attrs`` when they changed; ``None`` to leave the rows to
        :meth:`context` (marked dirty), as when a geometry is one the context cannot measure
        (the next :meth:`context` names the problem).
        """
        if len(moved) > _MOVED_ROWS or any(meta[k] for k in _CONTEXT_PENDING):
            return None
        ctx = self._live.context_for((meta["context_computed_at"], meta["context_params"]))
        if ctx is None:
            return None
        firms = self._firm_index(meta["firms_version"], build=False)
        # without a version (no layer ever added) they are read, as context() reads them
        layers = self._reference_layers(meta["layers_version"], read=meta["layers_version"] is None)
        if firms is None or layers is None:
            return None
        at = {a: k for k, a in enumerate(ids)}
        raw = (list(moved), np.array([geoms[at[a]] for a in moved], dtype=object))
        kw = {**json.loads(meta["context_params"] or "{}"), "layers": layers}
        try:
            few = _refresh_rows(ctx, raw, len(moved), firms, kw)
        except AssetmatchError:
            return None
        if few is None:
            return None
        new, changed, rows = few
        return new, changed, rows, None if new.attrs == ctx.attrs else new.attrs

    @staticmethod
    def _parse_single_rows(
        fields: list[Any], rows_of: Mapping[Any, list[int]], given: np.ndarray
    ) -> dict[Any, tuple[Any, list[Problem]]] | None:
        """Each of ``fields`` (one change each) parsed in one :func:`ingest.parse_values` call,
        its problems named by the change's row as a call per field names them; None (parse
        field by field) when a field has several changes or a problem names another field."""
        if any(len(rows_of[f]) != 1 for f in fields):
            return None
        one = pd.DataFrame({f: given[rows_of[f]] for f in fields}, index=pd.Index([0]))
        parsed, probs, _ = ingest.parse_values(
            one, ingest.ColumnMap({f: (f, None) for f in fields}, [])
        )
        if any(p.field not in rows_of for p in probs):
            return None
        out: dict[Any, tuple[Any, list[Problem]]] = {}
        for f in fields:
            row = rows_of[f][0]
            mine = [Problem(row, p.field, p.reason) for p in probs if p.field == f]
            out[f] = (parsed[f].tolist()[0], mine)
        return out

    def _check_land_use_changes(self, long: pd.DataFrame, texts: list[str | None]) -> list[Problem]:
        problems: list[Problem] = []
        ids = list(long["asset_id"].astype(str).unique())
        cur = _decode_rows(self._store.read_assets(ids), self.crs).reindex(ids)
        scheme_given = {
            (r.asset_id, r.at): r.value
            for r in long[long["field"] == "land_use_scheme"].itertuples()
        }
        for i, r in long[long["field"] == "land_use"].iterrows():
            scheme = scheme_given.get((r["asset_id"], r["at"]))
            if scheme is None and r["asset_id"] in cur.index:
                scheme = cur.at[r["asset_id"], "land_use_scheme"]
            try:
                lu = landuse.resolve(str(r["value"]), scheme if isinstance(scheme, str) else None)
            except LandUseError as exc:
                problems.append(Problem(i, "land_use", str(exc)))
                continue
            texts[i] = history.encode_value("land_use", lu.code)
        return problems

    def _geometry_in_store_crs(self, g: Any, crs: Any = None) -> tuple[Any, str | None]:
        """A new boundary in the store CRS, or the reason it cannot be one."""
        store_crs = self.crs
        if store_crs is None:
            return None, "the inventory has no CRS yet (add assets first)"
        if isinstance(g, gpd.GeoSeries | gpd.GeoDataFrame):
            if len(g) != 1:
                return None, f"give one geometry, got {len(g)} rows"
            if g.crs is None:
                return None, "the GeoSeries has no CRS; set one with .set_crs(...)"
            if g.crs.srs != store_crs.srs:  # made from the same text: the same CRS, no work
                g = g.to_crs(store_crs)
            g = g.geometry.iloc[0] if isinstance(g, gpd.GeoDataFrame) else g.iloc[0]
        elif isinstance(g, shapely.Geometry) and crs is not None:
            try:
                g = gpd.GeoSeries([g], crs=crs).to_crs(store_crs).iloc[0]
            except (PyprojCRSError, TypeError, ValueError) as exc:
                return None, f"crs={crs!r} is not usable: {exc}"
        if not isinstance(g, shapely.Geometry):
            return None, f"{type(g).__name__} is not a geometry"
        from .geo.geometry import check_geometries

        one = np.empty(1, dtype=object)  # as a one-row GeoSeries, without building one
        one[0] = g
        chk = check_geometries(one, allow_points=True)
        if not chk.ok[0]:
            return None, "; ".join(p.reason for p in chk.problems)
        bad, probs = ingest.check_placement(chk.geometry, store_crs, [0])
        if bad[0]:
            return None, probs[0].reason
        return chk.geometry[0], None

    @_store_errors
    def remove(
        self, asset_id: str, *, at: Any = None, author: str | None = None, note: str | None = None
    ) -> None:
        """Take an asset out of the current inventory (its history stays and can be replayed)."""
        author, note = _text_or_none(author, "author"), _text_or_none(note, "note")
        with self._store.transaction():
            if self._store.read_assets([asset_id]).empty:
                raise UnknownAssetError(f"not in the inventory: {asset_id}")
            ev = pd.DataFrame(
                [
                    {
                        "asset_id": asset_id,
                        "kind": "remove",
                        "field": None,
                        "value": None,
                        "geom": None,
                        "valid_at": _valid_time(at),
                        "recorded_at": _gpkg.gpkg_timestamp(),
                        "author": author or self.author,
                        "note": note,
                        "batch_id": uuid.uuid4().hex[:12],
                        "source": "remove",
                    }
                ]
            )
            self._store.append_events(ev)
            self._materialize([asset_id])
            self._mark_assets_dirty([asset_id], removed=True)
            self._stamp()

    # ------------------------------------------------------------------ offers
    def offer(
        self,
        asset_id: str,
        investor: str,
        *,
        at: Any = None,
        author: str | None = None,
        note: str | None = None,
    ) -> None:
        """Record that ``asset_id`` has been offered to ``investor`` (an event in its history).

        Until the offer is withdrawn (:meth:`withdraw_offer`) the asset is not offered to
        anyone else: :func:`assetmatch.match_many` leaves it out for other investors, and a
        second offer to another investor is refused. Offering it again to the same investor
        is allowed (the new event replaces the old). The asset's fields do not change.

        Parameters
        ----------
        asset_id
            The asset.
        investor
            Who it is offered to (the brief's ``investor``).
        at
            When the offer was made (valid time; default today).
        author, note
            Recorded with the event.

        Raises
        ------
        UnknownAssetError
            If the asset is not in the inventory.
        OfferConflictError
            If it is already offered to another investor, or its status allows no offer
            (``reserved``, ``leased``, …; see :data:`assetmatch.schema.OFFERABLE_STATUSES`).
        """
        self.offer_many(
            pd.DataFrame({"asset_id": [asset_id], "investor": [investor]}),
            at=at,
            author=author,
            note=note,
        )

    @_store_errors
    def offer_many(
        self,
        offers_: pd.DataFrame,
        *,
        at: Any = None,
        author: str | None = None,
        note: str | None = None,
    ) -> int:
        """Record several offers (``asset_id``, ``investor`` columns) in one transaction.

        Every offer is checked as in :meth:`offer` with the rows locked, so two writers can
        never promise the same site to two investors; one refused offer refuses them all.
        Returns the number of offers recorded.
        """
        problems: list[Problem] = []
        for col in ("asset_id", "investor"):
            if col not in getattr(offers_, "columns", ()):
                problems.append(Problem(None, col, "offers need asset_id and investor columns"))
        if problems:
            raise ValidationError("offer refused (nothing was written)", problems)
        if offers_.empty:
            return 0
        rows = offers_.reset_index(drop=True)
        for i, r in rows.iterrows():
            if not (isinstance(r["investor"], str) and r["investor"].strip()):
                problems.append(Problem(i, "investor", f"name the investor; got {r['investor']!r}"))
        dup = rows["asset_id"].astype(str).duplicated(keep=False)
        for i in rows.index[dup]:
            problems.append(Problem(i, "asset_id", "the same asset is offered twice in one batch"))
        valid_at = _valid_time(at)
        if problems:
            raise ValidationError("offer refused (nothing was written)", problems)
        ids = sorted(set(rows["asset_id"].astype(str)))
        with self._store.transaction():
            self._store.lock_assets(ids)
            current = self._store.read_assets(ids) if self.crs else pd.DataFrame()
            status = dict(zip(current.get("asset_id", []), current.get("status", []), strict=True))
            missing = [i for i in ids if i not in status]
            if missing:
                raise UnknownAssetError(f"not in the inventory: {', '.join(missing[:10])}")
            held = offers.open_offers(self._store.read_events(ids)).set_index("asset_id")
            conflicts = []
            for i, r in rows.iterrows():
                aid, who = str(r["asset_id"]), r["investor"].strip()
                if aid in held.index and held.at[aid, "investor"] != who:
                    conflicts.append(
                        Problem(
                            i,
                            "asset_id",
                            f"{aid} is already offered to {held.at[aid, 'investor']} "
                            f"(since {held.at[aid, 'offered_at']}); withdraw that offer first",
                        )
                    )
                elif status[aid] not in OFFERABLE_STATUSES:
                    conflicts.append(
                        Problem(i, "asset_id", f"{aid} is {status[aid]}: it cannot be offered")
                    )
            if conflicts:
                raise OfferConflictError(
                    "offer refused (nothing was written):\n"
                    + "\n".join(f"  - {p}" for p in conflicts)
                )
            self._append_offer_events(
                rows["asset_id"].astype(str).tolist(),
                [offers.encode_investor(v.strip()) for v in rows["investor"]],
                valid_at,
                author,
                note,
            )
        logger.info("recorded %d offers", len(rows))
        return len(rows)

    @_store_errors
    def withdraw_offer(
        self,
        asset_id: str,
        *,
        at: Any = None,
        author: str | None = None,
        note: str | None = None,
    ) -> None:
        """Withdraw the open offer of ``asset_id`` (an event; the offer stays in its history).

        Raises
        ------
        UnknownAssetError
            If the asset is not in the inventory.
        """
        valid_at = _valid_time(at)
        with self._store.transaction():
            if self._store.read_assets([asset_id]).empty:
                raise UnknownAssetError(f"not in the inventory: {asset_id}")
            self._append_offer_events([asset_id], [None], valid_at, author, note)

    def _append_offer_events(
        self,
        ids: list[str],
        values: list[str | None],
        valid_at: str,
        author: str | None,
        note: str | None,
    ) -> None:
        author, note = _text_or_none(author, "author"), _text_or_none(note, "note")
        ev = pd.DataFrame(
            {
                "asset_id": ids,
                "kind": offers.OFFER_KIND,
                "field": offers.OFFER_FIELD,
                "value": values,
                "geom": None,
                "valid_at": valid_at,
                "recorded_at": _gpkg.gpkg_timestamp(),
                "author": author or self.author,
                "note": note,
                "batch_id": uuid.uuid4().hex[:12],
                "source": "offer",
            }
        )
        self._store.append_events(ev)
        self._stamp()

    @_store_errors
    def offers(self, as_of: Any = None) -> pd.DataFrame:
        """The open offers: ``asset_id, investor, offered_at, recorded_at, author, note``.

        Parameters
        ----------
        as_of
            The offers open on that date (default: now).
        """
        if as_of is not None:
            as_of = _checked_date(as_of, "as_of")
        with self._store.snapshot():
            events = self._store.read_events()
        return offers.open_offers(events, as_of)

    def _materialize(self, ids: list[str]) -> None:
        """Make the current rows of ``ids`` equal the replay of their events."""
        if not ids:
            return
        if self._rows_written is not None:
            self._rows_written.extend(ids)
        events = self._store.read_events(ids)
        state, geoms = history.replay(events)
        gone = [i for i in ids if i not in state.index]
        if gone:
            self._store.delete_assets(gone)
        if state.empty:
            return
        rows = self._rows_from_state(state, geoms, events)
        self._store.upsert_assets(rows)

    def _rows_from_state(
        self, state: pd.DataFrame, geoms: dict[str, Any], events: pd.DataFrame
    ) -> gpd.GeoDataFrame:
        ids = state.index.tolist()
        # an offer is not a change of the record: it does not make the record fresher
        recorded = events[events["kind"] != offers.OFFER_KIND] if len(events) else events
        rec = recorded.groupby("asset_id")["recorded_at"].max()
        return self._asset_rows(
            ids,
            {c: state[c].to_numpy(dtype=object) for c in history.EVENT_FIELDS},
            np.array([geoms.get(i) for i in ids], dtype=object),
            valid_from=[pd.Timestamp(v).isoformat() for v in state["valid_from"]],
            recorded_at=rec.reindex(ids).to_numpy(),
        )

    def _asset_rows(
        self,
        ids: list[str],
        values: Mapping[str, Any],
        g: np.ndarray,
        *,
        valid_from: Any,
        recorded_at: Any,
        infer: bool = True,
        measured: np.ndarray | None = None,
    ) -> gpd.GeoDataFrame:
        """Current rows as stored, from each field's plain values (as :func:`history.replay`
        gives them, or :func:`history.normalize_column` of a new asset's values; list and JSON
        fields may also be as a prepared frame holds them: :func:`history.json_texts` gives
        the same text for both).

        The one definition of every derived column: ground area (boundary, else the declared
        area), ``has_boundary``, ``land_class``, JSON text of list and ``extra`` columns.
        ``infer=False`` keeps the value columns as Python objects (rows only to be written:
        pandas' text dtype would convert them there and back). ``measured``: see
        :meth:`_asset_values`.
        """
        crs = self._store.crs
        cols = self._asset_values(
            ids, values, g, valid_from=valid_from, recorded_at=recorded_at, measured=measured
        )
        index = pd.Index(ids, name="asset_id")
        for c in history.EVENT_FIELDS:  # one constructor call, not a column insert per field
            if infer:
                cols[c] = np.asarray(cols[c], dtype=object)
            else:
                cols[c] = pd.Series(cols[c], index=index, dtype=object)
        out = pd.DataFrame(cols, index=index)
        # the geometry array carries the CRS, and the new frame is not copied again
        return gpd.GeoDataFrame(out, geometry=from_shapely(g, crs=crs), copy=False)

    def _asset_values(
        self,
        ids: list[str],
        values: Mapping[str, Any],
        g: np.ndarray,
        *,
        valid_from: Any,
        recorded_at: Any,
        measured: np.ndarray | None = None,
    ) -> dict[str, Any]:
        """The stored columns of :meth:`_asset_rows` (without its geometry), each as a list or
        array: the value fields as given (list and JSON fields as their text), and the derived
        columns, defined here once.

        ``measured``: the ground areas of these geometries where already measured by
        :func:`~assetmatch.geo.crs.ground_area_m2` in the store CRS (an import's prepared
        ``land_area_m2``; NaN where not), taken instead of measuring them again."""
        crs = self._store.crs
        kinds = shapely.get_type_id(g)
        is_poly = (kinds == shapely.GeometryType.POLYGON) | (
            kinds == shapely.GeometryType.MULTIPOLYGON
        )
        area = np.full(len(ids), np.nan)
        if measured is not None:
            area[is_poly] = np.asarray(measured, dtype=float)[is_poly]
        todo = is_poly & np.isnan(area)
        if todo.any():
            area[todo] = crs_rules.ground_area_m2(g[todo], crs)
        declared = _numbers(values["declared_land_area_m2"])
        area[~is_poly] = declared[~is_poly]
        n = len(ids)
        cols: dict[str, Any] = {"asset_id": np.asarray(ids, dtype=object)}
        for c in history.EVENT_FIELDS:
            cols[c] = history.json_texts(c, values[c]) if c in _JSON_COLUMNS else values[c]
        cols["land_area_m2"] = area
        cols["has_boundary"] = is_poly
        cols["land_class"] = np.asarray(
            _land_classes(values["land_use"], values["land_use_scheme"]), dtype=object
        )
        for c, v in (("valid_from", valid_from), ("recorded_at", recorded_at)):
            cols[c] = np.asarray([v] * n if isinstance(v, str) else list(v), dtype=object)
        return cols

    def _new_asset_rows(
        self, new: gpd.GeoDataFrame, fields: list[str], *, valid_at: str, recorded_at: str
    ) -> gpd.GeoDataFrame:
        """Rows of assets entering the store, column by column: equal to the replay of their
        create events (``tests/test_import_fast.py`` checks it), without the replay."""
        n = len(new)
        values: dict[str, Any] = {f: [None] * n for f in history.EVENT_FIELDS}
        for f in fields:  # list and JSON fields: their text straight from the values as given
            values[f] = new[f] if f in _JSON_COLUMNS else history.normalize_column(f, new[f])
        valid = history.parse_stored_dates(pd.Series([valid_at], dtype=object)).iloc[0]
        return self._asset_rows(
            new.index.astype(str).tolist(),
            values,
            np.asarray(new.geometry.to_numpy(), dtype=object),
            valid_from=[pd.Timestamp(valid).isoformat()] * n,
            recorded_at=[recorded_at] * n,
            infer=False,
            # the prepared frame's boundary areas: ground_area_m2 of these geometries already
            measured=new["land_area_m2"].to_numpy(dtype=float) if "land_area_m2" in new else None,
        )

    def _stamp(self, spells_kept: set[str] | frozenset[str] = frozenset()) -> None:
        """Record the time of this write and tell the in-memory tables which rows it changed
        (``spells_kept``: those of them whose status history it did not change)."""
        before = self._store.meta("state_time")
        now = _gpkg.gpkg_timestamp()
        self._store.set_meta("state_time", now)
        self._stamped(before, now, spells_kept)

    def _stamped(
        self, before: str | None, now: str, spells_kept: set[str] | frozenset[str]
    ) -> None:
        """:meth:`_stamp` once ``state_time`` is ``now`` (it was ``before``): tell the
        in-memory tables which rows this write changed."""
        rows, self._rows_written = self._rows_written, []
        self._live.wrote_assets(before, now, rows, spells_kept)
        self._live.wrote_rows(None, None)  # rows this write stored: see _apply_updates

    # ------------------------------------------------------------------ reading assets
    @_store_errors
    def assets(self, as_of: Any = None, *, derived: bool = True) -> gpd.GeoDataFrame:
        """The inventory as a GeoDataFrame indexed by ``asset_id``, in the store CRS.

        Parameters
        ----------
        as_of
            A date: rebuild the inventory as it stood that day, from the event history alone.
            ``None``: the current state (every recorded event applied).
        derived
            Add ``idle_since_derived`` (start of the current idle spell from the status
            history) and ``idle_days`` (days the inventory has counted the site idle or
            low-efficiency), and the statutory idle-land clocks ``idle_land_state``,
            ``idle_land_from`` and ``reclaim_proposal_from``, which run from the contract's
            agreed start-of-development date (:func:`assetmatch.domain.idle.idle_land_clocks`),
            all read at ``as_of`` or today.
        """
        if as_of is not None:
            as_of = _checked_date(as_of, "as_of")
        with self._store.snapshot():
            if as_of is None:
                raw = self._store.read_assets()
                events = self._store.read_events() if derived else None
            else:
                events = self._store.read_events()
                valid = history.parse_stored_dates(events["valid_at"])
                events = events[(valid <= history.valid_cutoff(as_of)).to_numpy()]
                state, geoms = history.replay(events, as_of)
                raw = (
                    self._rows_from_state(state, geoms, events)
                    if len(state)
                    else self._store.read_assets([])
                )
                raw = raw.reset_index(drop=True)
        gdf = _decode_rows(raw, self.crs)
        if derived:
            gdf = self._with_clocks(gdf, events, as_of)
        return gdf

    def _with_clocks(
        self,
        gdf: gpd.GeoDataFrame,
        events: pd.DataFrame | None,
        as_of: Any,
        kept_spells: pd.Series | None = None,
    ) -> gpd.GeoDataFrame:
        when = (
            pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(self.as_of or date.today())
        )
        spells = (
            history.idle_spells(events, as_of)
            if events is not None and len(events)
            else pd.Series(dtype="datetime64[ns]")
        )
        if kept_spells is not None and len(kept_spells):  # known without their events
            spells = kept_spells if not len(spells) else pd.concat([spells, kept_spells])
        derived_since = spells.reindex(gdf.index).astype("datetime64[ns]")
        idle_now = gdf["status"].isin(history.IDLE_STATUSES).to_numpy()
        declared = gdf["idle_since"].astype("datetime64[ns]")
        since = declared.where(
            declared.notna() & (declared <= derived_since.fillna(declared)), derived_since
        )
        since = since.where(idle_now)
        gdf = gdf.copy()
        gdf["idle_since_derived"] = derived_since
        gdf["idle_days"] = (when.normalize() - since).dt.days.astype("float64")
        clocks = idle_land_clocks(gdf, when)
        for c in ("idle_land_state", "idle_land_from", "reclaim_proposal_from"):
            gdf[c] = clocks[c]
        return gdf

    @_store_errors
    def history(self, asset_id: str) -> pd.DataFrame:
        """Every event of an asset, oldest first (valid time, then recording order).

        Columns: ``event_id, valid_at, recorded_at, kind, field, value, author, note, batch_id,
        source``; ``value`` is the decoded Python value (dates as ``datetime.date``; the full
        record for a ``create``; the new geometry for a geometry change).
        """
        ev = self._store.read_events([asset_id])
        if ev.empty:
            raise UnknownAssetError(f"not in the inventory: {asset_id}")
        ev = history.order_events(ev).drop(columns=["_valid"])
        ev["value"] = _decoded_values(ev)
        return ev[[c for c in _EVENT_COLUMNS if c != "asset_id"]].reset_index(drop=True)

    @_store_errors
    def events(
        self,
        since: Any = None,
        until: Any = None,
        *,
        asset_ids: Iterable[str] | None = None,
        fields: Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """The event history of the inventory as one tidy table, in application order.

        Parameters
        ----------
        since, until
            Keep events whose valid time lies in ``[since, until]`` (dates include the whole
            day); ``None`` leaves that end open.
        asset_ids
            Only these assets (default: every asset, removed ones included).
        fields
            Only updates of these fields (``create`` and ``remove`` events are kept).

        Returns
        -------
        DataFrame with one row per event: ``event_id, asset_id, valid_at`` (datetime64),
        ``recorded_at, kind`` (create/update/remove), ``field``, ``value`` (decoded as in
        :meth:`history`: the full record of a ``create``, dates as ``datetime.date``, the new
        geometry for a geometry change), ``author, note, batch_id, source``.
        """
        lo = None if since is None else _checked_date(since, "since")
        hi = None if until is None else history.valid_cutoff(_checked_date(until, "until"))
        ids = _texts(asset_ids, "asset_ids")
        wanted = _texts(fields, "fields")
        ev = self._store.read_events(ids)
        cols = list(_EVENT_COLUMNS)
        if ev.empty:
            out = pd.DataFrame(columns=cols)
            out["valid_at"] = out["valid_at"].astype("datetime64[ns]")
            return out
        ev = history.order_events(ev)
        keep = np.ones(len(ev), dtype=bool)
        if lo is not None:
            keep &= (ev["_valid"] >= lo).to_numpy()
        if hi is not None:
            keep &= (ev["_valid"] <= hi).to_numpy()
        if wanted is not None:
            keep &= ((ev["kind"] != "update") | ev["field"].isin(wanted)).to_numpy()
        ev = ev[keep]
        ev = ev.assign(value=_decoded_values(ev), valid_at=ev["_valid"].to_numpy())
        return ev[cols].reset_index(drop=True)

    def explore(
        self, as_of: Any = None, *, column: str = "status", tiles: str | None = None
    ) -> Any:
        """An interactive map of the assets (folium), coloured by ``column``.

        Built without a network (Leaflet is inlined); ``tiles="OpenStreetMap"`` adds a
        basemap that the browser fetches when the page is viewed. Needs the ``plot`` extra.
        See :func:`assetmatch.maps.explore_assets`.
        """
        from .maps import explore_assets

        return explore_assets(self.assets(as_of), column=column, tiles=tiles)

    def _repr_html_(self) -> str:
        from ._html import inventory_html

        return inventory_html(self)

    @_store_errors
    def within(
        self, bounds: tuple[float, float, float, float], *, crs: Any = None
    ) -> gpd.GeoDataFrame:
        """The current assets that meet a rectangle, found through the store's spatial index.

        Parameters
        ----------
        bounds
            ``(minx, miny, maxx, maxy)`` of the rectangle.
        crs
            The CRS of ``bounds`` (e.g. ``"EPSG:4490"`` for CGCS2000 longitude/latitude);
            default the store CRS. The rectangle's edges are followed when converted, so a
            longitude/latitude box selects what lies inside it, not inside its envelope.

        Returns
        -------
        geopandas.GeoDataFrame
            The assets as :meth:`assets` gives them (store CRS, derived columns), in the
            inventory's order; empty when nothing meets the rectangle.

        Raises
        ------
        assetmatch.ValidationError
            ``bounds`` is not four finite numbers with min ≤ max.
        assetmatch.CRSError
            ``crs`` is not a CRS.

        Examples
        --------
        >>> inv = Inventory.demo()                                   # doctest: +SKIP
        >>> inv.within((118.85, 24.94, 118.88, 24.97), crs="EPSG:4490")  # doctest: +SKIP
        """
        box = _checked_bounds(bounds)
        if self.crs is None:
            return self.assets().iloc[:0]
        area = gpd.GeoSeries([shapely.box(*box)], crs=self.crs if crs is None else _as_crs(crs))
        if not _same_crs_as(area.crs, self.crs):
            step = max(box[2] - box[0], box[3] - box[1]) / 32 or 1.0
            with np.errstate(all="ignore"):
                area = area.segmentize(step).to_crs(self.crs)
        shape = area.iloc[0]
        if shape is None or shape.is_empty or not np.isfinite(shape.bounds).all():
            return self.assets().iloc[:0]
        ids = self._store.asset_ids_in_box(tuple(shape.bounds))
        rows = self._current_assets(ids)
        return rows[rows.intersects(shape).to_numpy()]

    def idle_clocks(self, as_of: Any = None, *, lang: str = "zh") -> pd.DataFrame:
        """The statutory idle-land clocks of the sites they apply to, most urgent first.

        The clocks of 《闲置土地处置办法》 (国土资源部令第53号) run from the contract's agreed
        start-of-development date (``agreed_start_date``) and the development shares, not
        from the day the inventory marked a site idle; they do not apply to a finished plant
        standing empty or to low-efficiency land. A site whose conditions are met *may* be
        investigated (可启动闲置土地调查认定); a fee or reclaiming needs a finding and a
        decision. See :func:`assetmatch.domain.idle.idle_land_clocks`.

        Parameters
        ----------
        as_of
            The date the clocks are read, on the inventory as it stood then; default today
            (a demo zone's "today").
        lang
            Language of ``reason``.

        Returns
        -------
        DataFrame
            Indexed by asset_id, one row per site with a statutory state other than
            ``not_applicable``: ``name``, ``status``, ``agreed_start_date``,
            ``developed_share``, ``invested_share``, ``government_delay``, ``idle_land_state``,
            ``idle_land_test``, ``clock_start``, ``idle_land_from``,
            ``reclaim_proposal_from``, ``reason``, and ``idle_days`` (the inventory's own
            count of days idle). Sorted by state (``may_investigate`` first), then by
            ``idle_land_from``.
        """
        a = self.assets(as_of)
        when = (
            pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(self.as_of or date.today())
        )
        clocks = idle_land_clocks(a, when, lang=lang)
        keep = clocks["idle_land_state"] != "not_applicable"
        cols = [
            "name",
            "status",
            "agreed_start_date",
            "developed_share",
            "invested_share",
            "government_delay",
        ]
        out = a.loc[keep, cols].join(clocks.loc[keep]).assign(idle_days=a.loc[keep, "idle_days"])
        order = out["idle_land_state"].map({s: k for k, s in enumerate(IDLE_LAND_STATES)})
        out = out.assign(_order=order).sort_values(["_order", "idle_land_from"], kind="stable")
        return pd.DataFrame(out.drop(columns="_order"))

    # ------------------------------------------------------------------ firms and layers
    @_store_errors
    def firms(self) -> gpd.GeoDataFrame:
        """The firms (industry points), indexed by ``firm_id``, in the store CRS."""
        f = self._store.read_firms()
        f["extra"] = [None if v is None else json.loads(v) for v in f["extra"]]
        f["employees"] = pd.to_numeric(f["employees"]).astype("Int64")
        return f.set_index("firm_id")

    @_store_errors
    @_quiet_numpy
    def add_firms(self, firms: gpd.GeoDataFrame, *, coords: str = "wgs84") -> int:
        """Add or replace firms by ``firm_id``; returns how many were written.

        ``firms`` needs ``firm_id``, ``industry`` (GB/T 4754 code such as ``C39`` or ``C3911``)
        and point geometry in any CRS; ``coords="gcj02"``/``"bd09"`` converts web-map lon/lat.
        """
        from .domain.industry import industry_division

        crs_rules.require_crs(firms, "the firms")
        f = firms.reset_index() if firms.index.name == "firm_id" else firms.copy()
        problems: list[Problem] = []
        for col in ("firm_id", "industry"):
            if col not in f.columns:
                problems.append(Problem(None, col, "missing column"))
        if problems:
            raise ValidationError("firms refused", problems)
        for row, fid in f["firm_id"].items():
            why = ingest.id_problem(fid)
            if why:
                problems.append(Problem(row, "firm_id", why))
        f["firm_id"] = f["firm_id"].astype(str)
        for row in f.index[f["firm_id"].duplicated()]:
            problems.append(Problem(row, "firm_id", f"duplicate id {f.at[row, 'firm_id']!r}"))
        unplaced = _unplaced(f.geometry)
        for row, why in unplaced.items():
            problems.append(Problem(row, "geometry", why))
        gt = f.geometry.geom_type.to_numpy()
        for row in f.index[(gt != "Point") & ~f.index.isin(list(unplaced))]:
            problems.append(
                Problem(row, "geometry", f"a firm is a point, got {gt[f.index.get_loc(row)]}")
            )
        codes = f["industry"].astype(str).to_numpy()
        try:
            industry_division(codes)
        except ValueError as exc:
            problems.append(Problem(None, "industry", str(exc)))
        if problems:
            raise ValidationError("firms refused (nothing was written)", problems)
        geoms = f.geometry
        if coords in ("gcj02", "bd09"):
            from .geo import webmap

            geo = geoms.to_crs("EPSG:4326")
            lon, lat = webmap.to_wgs84(geo.x.to_numpy(), geo.y.to_numpy(), coords)
            geoms = gpd.GeoSeries(gpd.points_from_xy(lon, lat), index=f.index, crs="EPSG:4326")
        with self._store.transaction():
            if self._store.crs is None:
                lon, lat = crs_rules.to_lonlat(geoms)
                self._store.set_crs(
                    crs_rules.choose_projected_crs(np.asarray(lon), np.asarray(lat))
                )
            proj = geoms.to_crs(self._store.crs)
            bad, probs = ingest.check_placement(
                proj.to_numpy(), self._store.crs, list(f.index), polygons=False
            )
            if bad.any():
                raise ValidationError("firms refused (nothing was written)", probs)
            old = self._store.read_firms().set_index("firm_id")
            rows = gpd.GeoDataFrame(
                {
                    "firm_id": f["firm_id"].to_numpy(),
                    "name": f["name"].to_numpy() if "name" in f else None,
                    "industry": codes,
                    "employees": pd.to_numeric(f["employees"], errors="coerce").to_numpy()
                    if "employees" in f
                    else None,
                    "extra": None,
                },
                geometry=proj.to_numpy(),
                crs=self._store.crs,
            )
            self._store.upsert_firms(rows)
            moved_old = old.geometry.reindex(rows["firm_id"]).dropna()
            self._mark_firms_dirty(list(moved_old.to_numpy()) + list(rows.geometry.to_numpy()))
            self._stamp()
        logger.info("wrote %d firms", len(rows))
        return len(rows)

    @_store_errors
    def remove_firms(self, firm_ids: Iterable[str]) -> None:
        """Remove firms by id."""
        ids = _texts(firm_ids, "firm_ids") or []
        with self._store.transaction():
            old = self._store.read_firms().set_index("firm_id")
            missing = [i for i in ids if i not in old.index]
            if missing:
                raise NotFoundError(
                    f"not in the inventory's firms: {', '.join(missing[:10])}"
                    + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
                )
            self._store.delete_firms(ids)
            self._mark_firms_dirty(list(old.geometry.loc[ids].to_numpy()))
            self._stamp()

    @_store_errors
    @_quiet_numpy
    def add_layer(self, name: str, layer: gpd.GeoDataFrame) -> None:
        """Store (or replace) a named reference layer, e.g. ``"highway_exit"``.

        Names are ASCII letters, digits and ``_`` and are compared without regard to case
        (``Exits`` replaces ``exits``); the names of the store's own tables are refused. Column
        names must be non-empty text without control characters or double quotes, distinct
        without regard to case, and not ``fid`` or ``geom``. Every feature needs finite
        coordinates within the store CRS's area of use.
        """
        problems = _layer_name_problems(name) + _layer_column_problems(layer)
        if problems:
            raise ValidationError(f"layer {name!r} refused (nothing was written)", problems)
        crs_rules.require_crs(layer, f"layer {name!r}")
        problems = [Problem(r, "geometry", why) for r, why in _unplaced(layer.geometry).items()]
        if problems:
            raise ValidationError(f"layer {name!r} refused (nothing was written)", problems)
        with self._store.transaction():
            if self._store.crs is None:
                lon, lat = crs_rules.to_lonlat(layer.geometry)
                self._store.set_crs(
                    crs_rules.choose_projected_crs(np.asarray(lon), np.asarray(lat))
                )
            proj = layer.to_crs(self._store.crs)
            bad, probs = ingest.check_placement(
                proj.geometry.to_numpy(), self._store.crs, list(layer.index), polygons=False
            )
            if bad.any():
                raise ValidationError(f"layer {name!r} refused (nothing was written)", probs)
            self._store.write_layer(name, proj)
            self._store.set_meta("context_layers_dirty", "1")
            self._store.set_meta("layers_version", uuid.uuid4().hex)
            self._stamp()

    @_store_errors
    def layer(self, name: str) -> gpd.GeoDataFrame:
        """A reference layer by name."""
        return self._store.read_layer(name)

    @_store_errors
    def layers(self) -> list[str]:
        """Names of the reference layers."""
        return self._store.layer_names()

    # ------------------------------------------------------------------ deals
    @_store_errors
    def add_deals(self, deals: pd.DataFrame) -> None:
        """Record past deals: ``deal_id, investor, industry, signed_at, asset_id, requirements``.

        Every deal needs a ``deal_id`` (text without control characters); ``signed_at`` is a
        date in the inventory's range (see :func:`assetmatch.store.history.check_date`).
        """
        problems: list[Problem] = []
        if not isinstance(deals, pd.DataFrame) or "deal_id" not in deals.columns:
            raise ValidationError(
                "deals need a DataFrame with a deal_id column",
                [Problem(None, "deal_id", "missing column")],
            )
        deals = deals.copy()
        for row, did in deals["deal_id"].items():
            why = ingest.id_problem(did)
            if why:
                problems.append(Problem(row, "deal_id", why))
        if "signed_at" in deals.columns:
            dates: list[str | None] = []
            for row, v in deals["signed_at"].items():
                if v is None or (not isinstance(v, str) and pd.isna(v)):
                    dates.append(None)
                    continue
                try:
                    dates.append(history.check_date(v).date().isoformat())
                except ValueError as exc:
                    problems.append(Problem(row, "signed_at", str(exc)))
                    dates.append(None)
            deals["signed_at"] = dates
        if problems:
            raise ValidationError("deals refused (nothing was written)", problems)
        with self._store.transaction():
            self._store.write_deals(deals)
            self._stamp()

    @_store_errors
    def deals(self) -> pd.DataFrame:
        """Past deals, requirements as dicts."""
        return self._store.read_deals()

    # ------------------------------------------------------------------ zone policy
    @_store_errors
    def set_zone_policy(
        self,
        rules: str | os.PathLike[str] | pd.DataFrame | LandUsePathTable | None,
        *,
        at: Any = None,
        author: str | None = None,
        note: str | None = None,
        sheet: str | int | None = None,
    ) -> LandUsePathTable:
        """Record the zone's land-use policy table: the local rules that decide land-use paths.

        The bundled path table holds the national defaults (industrial land for a school is a
        change of use, with its soil survey; logistics on industrial land is a change of use).
        A zone adds what its own policy recognises — e.g. the transition period (过渡期) of
        国土资规〔2015〕5号 for research, culture or a school in an existing plant — as rows of
        the same table, each with its basis and the date it was checked. A zone row replaces
        the default rows of the same pair, path kind and investor industry; a zone
        ``not_allowed`` row replaces every default row of its pair
        (:func:`assetmatch.domain.landuse_paths.with_zone_rules`). Matches on this inventory
        use the policy in force on their date.

        Each call stores a new version (the history is kept); ``None`` or an empty table
        returns the zone to the defaults from ``at`` on.

        Parameters
        ----------
        rules
            A CSV or Excel file, a DataFrame, or a :class:`LandUsePathTable`, with the columns
            of :data:`assetmatch.domain.landuse_paths.PATH_COLUMNS` (at least ``from_class,
            to_class, path, delay_days``; ``basis`` and ``checked`` say where each rule comes
            from).
        at
            The date the policy takes effect; default today.
        author, note
            Who recorded it and why.
        sheet
            Sheet of an Excel file (default the first).

        Returns
        -------
        LandUsePathTable
            The table matches will use: the defaults with the zone's rows (column ``origin``).

        Raises
        ------
        assetmatch.ValidationError
            If a rule is invalid (every bad row listed); nothing is stored.
        assetmatch.SourceError
            If the file cannot be read.
        """
        source = "table"
        if rules is None:
            frame = pd.DataFrame(columns=list(PATH_COLUMNS))
        elif isinstance(rules, LandUsePathTable):
            frame = rules.frame
        elif isinstance(rules, pd.DataFrame):
            frame = rules
        else:
            source = Path(rules).name
            frame = read_rules_file(rules, sheet=sheet)
        zone = LandUsePathTable(frame).frame.drop(columns="origin")
        effective = with_zone_rules(zone)
        valid_from = _checked_date(at if at is not None else date.today(), "at")
        records = json.dumps(
            [
                {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
                for r in zone.to_dict("records")
            ],
            ensure_ascii=False,
        )
        with self._store.transaction():
            old = self._store.read_zone_policies()
            version = 1 + (int(old["version"].max()) if len(old) else 0)
            self._store.append_zone_policy(
                {
                    "version": version,
                    "valid_from": valid_from.date().isoformat(),
                    "recorded_at": _gpkg.gpkg_timestamp(),
                    "rules": records,
                    "rules_version": effective.version,
                    "author": author or self.author,
                    "note": note,
                    "source": source,
                }
            )
            self._stamp()
        logger.info(
            "zone policy version %d: %d zone rules from %s, in force from %s (rules %s)",
            version,
            len(zone),
            source,
            valid_from.date(),
            effective.version,
        )
        return effective

    @_store_errors
    def zone_policy(self, as_of: Any = None) -> LandUsePathTable:
        """The land-use path table in force at a date: the defaults with the zone's rows.

        Parameters
        ----------
        as_of
            The date; default the latest version. A version counts from its ``at`` date; of
            two versions in force the later recorded wins. Before any version, the defaults.
        """
        versions = self._store.read_zone_policies()
        if as_of is not None and len(versions):
            when = _checked_date(as_of, "as_of").date().isoformat()
            versions = versions[versions["valid_from"].astype(str) <= when]
        if not len(versions):
            return load_landuse_paths()
        latest = versions.sort_values(["valid_from", "version"]).iloc[-1]
        rows = pd.DataFrame(json.loads(latest["rules"]), columns=list(PATH_COLUMNS[:-1]))
        return with_zone_rules(rows)

    @_store_errors
    def zone_policy_history(self) -> pd.DataFrame:
        """Every version of the zone's policy table, oldest first.

        Columns ``version``, ``valid_from``, ``recorded_at``, ``n_rules`` (the zone's own rows),
        ``rules_version`` (fingerprint of the table matches use), ``author``, ``note``,
        ``source``.
        """
        v = self._store.read_zone_policies()
        v["n_rules"] = [len(json.loads(r)) for r in v["rules"]]
        cols = ["version", "valid_from", "recorded_at", "n_rules", "rules_version"]
        return v[[*cols, "author", "note", "source"]].reset_index(drop=True)

    # ------------------------------------------------------------------ context
    def _mark_assets_dirty(self, ids: list[str], removed: bool = False) -> None:
        if not ids:
            return
        if self._store.meta("context_params") is None:
            # no context was ever stored: the first context() computes every asset, so a list
            # of changed ids (all of them after a first import, 12 bytes an asset) says nothing
            return
        key = "context_removed" if removed else "context_dirty_assets"
        cur = json.loads(self._store.meta(key) or "[]")
        self._store.set_meta(key, json.dumps(sorted({*cur, *ids})))

    def _mark_firms_dirty(self, points: list[Any]) -> None:
        if not points:
            return
        cur = json.loads(self._store.meta("context_dirty_firm_xy") or "[]")
        cur += [[p.x, p.y] for p in points if p is not None]
        self._store.set_meta("context_dirty_firm_xy", json.dumps(cur))
        self._store.set_meta("firms_version", uuid.uuid4().hex)

    @_store_errors
    def context(self, *, refresh: bool = True, **params: Any) -> pd.DataFrame:
        """Context features per asset, indexed by ``asset_id`` (see :mod:`assetmatch.context`).

        The store keeps them beside the assets with the time they were computed; changes since
        then are applied incrementally (only the assets a change can affect are recomputed).
        ``params`` (radii_m, …) different from the stored ones force a full recompute.
        """
        return _shallow(self._context(refresh=refresh, **params))  # the kept table not the caller's

    def _context(
        self, *, refresh: bool = True, seen: dict[str, Any] | None = None, **params: Any
    ) -> pd.DataFrame:
        """:meth:`context` as kept in memory, not copied: callers must not write into it.

        ``seen``, when given, receives the store's settings read with the context (and the
        ``context_computed_at`` it left): what :meth:`_features_state` would read next.
        """
        from .context.engine import context_features, refresh_context

        if self.crs is None:  # nothing was ever added: no assets, no CRS to measure in
            return pd.DataFrame(index=pd.Index([], name="asset_id", dtype=object))
        with self._store.snapshot():  # a fresh cache is read without taking the write lock
            m = self._store.metas(_CONTEXT_META)  # one query: a round trip each on PostGIS
            stored = json.loads(m["context_params"] or "null")
            wanted = _context_params(params, stored)
            pending = any(m[k] for k in _CONTEXT_PENDING)
            if wanted == stored and (not pending or not refresh):
                ctx = self._kept_context(m)
                if ctx is not None:
                    _saw(seen, m)
                    return ctx
        with self._store.transaction():  # re-read under the lock: another process may have won
            m = self._store.metas(_CONTEXT_META)
            stored = json.loads(m["context_params"] or "null")
            ctx = self._kept_context(m)
            dirty = json.loads(m["context_dirty_assets"] or "[]")
            removed = json.loads(m["context_removed"] or "[]")
            firm_xy = json.loads(m["context_dirty_firm_xy"] or "[]")
            layers_dirty = m["context_layers_dirty"] == "1"
            nothing = not (dirty or removed or firm_xy or layers_dirty)
            if ctx is not None and wanted == stored and (nothing or not refresh):
                _saw(seen, m)
                return ctx
            firms = self._firm_index(m["firms_version"])  # read in this transaction
            layers = self._reference_layers(m["layers_version"])
            kw = {**wanted, "layers": layers}
            few = (
                _refresh_rows(
                    ctx, self._store.read_asset_geometries(dirty), len(set(dirty)), firms, kw
                )
                if ctx is not None
                and wanted == stored
                and dirty
                and not (removed or firm_xy or layers_dirty)
                else None
            )
            if few is not None:  # only moved assets: their rows, from their geometries alone
                new, changed, rows = few
                self._store.write_context_rows(changed, rows)
                now = self._note_context(
                    before=m["context_computed_at"],  # read in this transaction
                    new=new,
                    changed=[str(i) for i in changed],
                    wanted=wanted,
                    attrs=None if new.attrs == ctx.attrs else new.attrs,  # a new computed_at
                )
                _saw(seen, m, now)
                return new
            assets = self._store.read_assets().set_index("asset_id")
            if ctx is None or wanted != stored or layers_dirty:
                logger.info("computing context for %d assets and %d firms", len(assets), len(firms))
                new = context_features(assets, firms, **kw)
                replace = True
            else:
                pts = (
                    gpd.GeoSeries(gpd.points_from_xy(*np.array(firm_xy).T), crs=self.crs)
                    if firm_xy
                    else None
                )
                new = refresh_context(
                    _shallow(ctx),
                    assets,
                    firms,
                    changed_asset_ids=[d for d in dirty if d in assets.index],
                    removed_asset_ids=removed,
                    changed_firm_points=pts,
                    **kw,
                )
                replace = list(new.columns) != list(ctx.columns)
            if replace:
                self._store.write_context(new, replace=True)
                changed = None
            else:  # write only the rows the refresh changed
                changed = _changed_rows(ctx, new)
                self._store.write_context(new.loc[changed], replace=False)
                changed = [str(i) for i in changed]
            now = self._note_context(
                before=m["context_computed_at"], new=new, changed=changed, wanted=wanted
            )
            _saw(seen, m, now)
        return new

    def _note_context(
        self,
        *,
        before: str | None,
        new: pd.DataFrame,
        changed: list[str] | None,
        wanted: dict[str, Any],
        attrs: dict[str, Any] | None = None,
    ) -> str:
        """Record a context just written (inside the write transaction): its time, its
        parameters, nothing pending, its table's ``attrs`` when given (rows written without
        their frame); and keep it in memory with the rows it changed. Returns its time."""
        now = _gpkg.gpkg_timestamp()
        extra = {} if attrs is None else {"context_attrs": json.dumps(attrs, default=str)}
        self._store.set_metas(
            {
                "context_params": json.dumps(wanted),
                "context_computed_at": now,
                **dict.fromkeys(_CONTEXT_PENDING),
                **extra,
            }
        )
        self._live.refreshed_context(before, now, changed)
        self._live.keep_context((now, json.dumps(wanted)), new)
        return now

    def features(self, as_of: Any = None) -> Any:
        """The columnar feature table that :func:`assetmatch.match` scans.

        Built from :meth:`assets` and :meth:`context` once and kept in memory. After a write
        through this inventory only the changed rows are prepared again (an edit reaches the
        next match in milliseconds, see :mod:`assetmatch._live`); after a write by another
        process or inventory the table is rebuilt. ``as_of`` builds an uncached table of that
        date.
        """
        from .match import prepare_inventory
        from .scoring.features import patch

        if as_of is not None:
            return prepare_inventory(self, as_of=as_of)
        if not self._live.stale():  # current unless another process wrote: ask the store
            key, _ = self._features_state()
            table = self._live.features_for(key)
            if table is not None:
                return table
        with self._live.lock:
            seen: dict[str, Any] = {}
            ctx = self._context(seen=seen)  # applies pending changes, noting the rows they touched
            # the state the context was read or written at (else read it)
            key, day = _state_of(seen) if seen else self._features_state()
            table = self._live.features_for(key)
            if table is not None:
                return table
            base = self._live.patchable(key)
            if base is not None:
                old, rows, same_spells = base
                table = self._patched_rows(old, rows, same_spells, day, ctx, key[0])
                if table is not None:
                    logger.debug("feature table patched row by row: %d rows", len(rows))
                    self._live.keep_features(key, table, clock_day=self._live.clock_day)
                    return table
                new_rows = self._rows_as_kept(rows, old, same_spells, day)
                if new_rows is None:  # the general way: decoded, clocks derived at ``day``
                    new_rows = self._current_assets(rows, old, same_spells)
                    if day != self._live.clock_day:
                        self._live.clock_day = None  # the table's rows were read on two days
                if len(new_rows) == len(rows):
                    table = patch(old, new_rows, ctx.reindex(new_rows.index), state_time=key[0])
                if table is not None:
                    logger.debug("feature table patched: %d rows", len(rows))
                    self._live.keep_features(key, table, clock_day=self._live.clock_day)
                    return table
            table = prepare_inventory(self)
            same_day = self._clock_day() == day  # else the rows were read on two days
            self._live.keep_features(key, table, clock_day=day if same_day else None)
            return table

    def _features_state(self) -> tuple[tuple[str | None, str | None], pd.Timestamp]:
        """``(state_time, context_computed_at)`` and :meth:`_clock_day`, read together (one
        round trip to a database store instead of three)."""
        return _state_of(self._store.metas(["state_time", "context_computed_at", "demo_as_of"]))

    def _clock_day(self) -> pd.Timestamp:
        """The day :meth:`assets` reads the derived idle clocks at now."""
        return pd.Timestamp(self.as_of or date.today())

    def _patched_rows(
        self,
        table: Any,
        ids: list[str],
        same_spells: set[str],
        day: pd.Timestamp,
        ctx: pd.DataFrame | None,
        state_time: str | None,
    ) -> Any:
        """The kept feature ``table`` with the rows of ``ids`` patched from their stored values
        and ``ctx`` without frames (:func:`assetmatch._onerow.changed_cells`,
        :func:`assetmatch.scoring.features.patch_rows`), or ``None`` when only the frame
        paths know them: more than a few rows, a row whose status history or clock inputs
        changed, a table whose clocks were read on another day, a value not decoded for
        certain, anything the row patch does not express.
        """
        from ._onerow import changed_cells
        from .scoring.features import patch_rows

        reader = getattr(self._store, "read_asset_columns", None)
        if (
            reader is None
            or not hasattr(table, "frame_cell")
            or len(ids) > _PATCHED_ROWS
            or self._live.clock_day is None
            or day != self._live.clock_day
            or not all(i in same_spells for i in ids)
        ):
            return None
        try:
            pos = [table.position(i) for i in ids]
        except UnknownAssetError:
            return None
        cols = self._live.rows_at(state_time, ids)  # the last update's, as it stored them
        if cols is None:
            cols = reader(ids)
        if cols is None or "geometry" not in cols:
            return None
        found = [str(i) for i in cols.get("asset_id", ())]
        at = {a: k for k, a in enumerate(found)}
        if len(at) != len(found) or sorted(found) != sorted(ids):
            return None
        names = [c for c in cols if c != "geometry"]
        order = [at[i] for i in ids]
        values = [[cols[c][k] for c in names] for k in order]
        cells = changed_cells(table, pos, names, values, [cols["geometry"][k] for k in order])
        if cells is None:
            return None
        return patch_rows(table, pos, cells, ctx, state_time=state_time)

    def _rows_as_kept(
        self, ids: list[str], table: Any, same_spells: set[str], day: pd.Timestamp
    ) -> gpd.GeoDataFrame | None:
        """The current rows of ``ids`` as :meth:`_current_assets` gives them, decoded straight
        into the kept table's frame (:func:`assetmatch._onerow.rows_like`), or ``None`` when
        only the general way knows them: a row whose status history or clock inputs changed,
        a table whose clocks were read on another day, a value not decoded for certain.
        """
        from ._onerow import DERIVED, rows_like

        frame = getattr(table, "frame", None)
        if (
            frame is None
            or self._live.clock_day is None
            or day != self._live.clock_day
            or not all(c in frame.columns for c in DERIVED)
            or not all(i in same_spells for i in ids)
        ):
            return None
        raw = self._store.read_assets(ids)
        found = [str(i) for i in raw["asset_id"]]
        if sorted(found) != sorted(ids):
            return None
        try:
            pos = [table.position(i) for i in found]
        except UnknownAssetError:
            return None
        return rows_like(frame, pos, raw)

    def _reference_layers(
        self, version: str | None, *, read: bool = True
    ) -> dict[str, gpd.GeoDataFrame] | None:
        """Every reference layer by name, kept in memory while no layer changes.

        The key is ``version``, the store's ``layers_version`` that :meth:`add_layer` (the one
        way layers are written) renews, read by the caller with its other settings; a store
        written before that version existed is read every time (no key to trust). With
        ``read=False``, ``None`` unless they are kept.
        """
        with self._live.lock:
            kept = self._live.layers
            if version is not None and kept is not None and kept[0] == version:
                return dict(kept[1])
        if not read:
            return None
        layers = {n: self._store.read_layer(n) for n in self._store.layer_names()}
        with self._live.lock:
            self._live.layers = (version, layers)
        return dict(layers)

    def _kept_context(self, meta: Mapping[str, str | None]) -> pd.DataFrame | None:
        """The stored context, from memory when this inventory holds the stored version
        (``meta``: the store's ``context_computed_at`` and ``context_params``, just read by the
        caller): the kept table itself, not to be written into."""
        key = (meta["context_computed_at"], meta["context_params"])
        ctx = self._live.context_for(key)
        if ctx is None:
            ctx = self._store.read_context()
            if ctx is not None:
                self._live.keep_context(key, ctx)
        return ctx

    def _current_assets(
        self, ids: list[str], table: Any = None, same_spells: set[str] | None = None
    ) -> gpd.GeoDataFrame:
        """The current rows of ``ids`` as :meth:`assets` gives them (derived clocks included).

        The idle spells of ``same_spells`` (ids whose status history did not change since
        ``table``, a feature table of this inventory, was built) are the table's; only the
        other rows' events are read to derive theirs.
        """
        frame = getattr(table, "frame", None)
        known = frame is not None and "idle_since_derived" in frame.columns
        same = [i for i in ids if i in (same_spells or ())] if known else []
        need = [i for i in ids if i not in set(same)]
        with self._store.snapshot():
            raw = self._store.read_assets(ids)
            events = self._store.read_events(need) if need else None
        kept = None
        if same:
            kept = frame["idle_since_derived"].iloc[[table.position(i) for i in same]]
        return self._with_clocks(_decode_rows(raw, self.crs), events, None, kept_spells=kept)

    def _firm_index(self, version: str | None, *, build: bool = True) -> Any:
        """The firms prepared for context queries, kept in memory while the firms don't change
        (``version``: the store's ``firms_version``, read by the caller with its other settings).
        With ``build=False``, ``None`` unless they are kept."""
        from .context.engine import FirmIndex

        key = (version, self.crs.to_wkt() if self.crs else None)
        cached = getattr(self, "_firm_index_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        if not build:
            return None
        firms = self._store.read_firms().set_index("firm_id")
        index = FirmIndex.build(firms, self.crs)
        self._firm_index_cache = (key, index)
        return index

    @property
    def context_computed_at(self) -> str | None:
        """When the cached context was last computed or refreshed (UTC)."""
        return self._store.meta("context_computed_at")

    # ------------------------------------------------------------------ export
    @_store_errors
    def export(self, path: str | os.PathLike[str]) -> Path:
        """Write a self-contained copy of the store to ``path`` (one file, no -wal/-shm)."""
        return self._store.export(_fspath(path, "export"))


# ---------------------------------------------------------------------- helpers


def _rows_after(
    current: Mapping[str, Sequence[Any]], ev: Mapping[str, Sequence[Any]]
) -> tuple[list[str], dict[str, list[Any]], np.ndarray, list[str], list[Any]] | None:
    """The state of the assets ``current`` (stored rows: :meth:`read_asset_columns`, or a frame
    of :meth:`read_assets`) with the update events ``ev`` applied.

    When every event is valid no earlier than its asset's latest applied change (the row's
    ``valid_from``), it comes last in the replay order (valid time, then recording order), so
    the replay of the whole history equals the current row with these changes written over
    it. Returns what :meth:`Inventory._asset_rows` builds the rows from, as the replay would
    give it: ids, each field's values (decoded as the replay decodes them), geometries,
    ``valid_from`` and ``recorded_at`` (the later of the old and the new). ``None`` when an
    event is back-dated (or a row lacks its ``valid_from``): then only the replay knows which
    changes come after it. ``ev`` maps each event column to its values in order (a list or
    a frame's column with a range index).
    """
    ids = [str(a) for a in current["asset_id"]]
    if len(set(ids)) != len(ids) or not set(ev["asset_id"]) <= set(ids):
        return None
    before, when = _iso_times(current["valid_from"]), _iso_times(ev["valid_at"])
    if before is None or when is None:
        return None
    pos = {aid: k for k, aid in enumerate(ids)}
    at = np.array([pos[a] for a in ev["asset_id"]], dtype=np.intp)
    if (when < before[at]).any():
        return None
    values = {f: [_state_value(f, v) for v in current[f]] for f in history.EVENT_FIELDS}
    geoms = np.array(list(current["geometry"]), dtype=object)
    recorded = [_state_value("recorded_at", v) for v in current["recorded_at"]]
    latest = list(before)
    for k in np.lexsort((np.arange(len(when)), when)):  # replay order: valid, then recording
        r, field = at[k], ev["field"][k]
        if field == "geometry":  # as the replay reads it back: 2-D, through WKB
            wkb = shapely.to_wkb(ev["geom"][k], flavor="iso", output_dimension=2)
            geoms[r] = shapely.from_wkb(wkb)
        else:
            values[field][r] = json.loads(ev["value"][k])
        latest[r] = max(latest[r], when[k])
        stamps = [t for t in (recorded[r], ev["recorded_at"][k]) if t is not None]
        recorded[r] = max(stamps)
    valid_from = [pd.Timestamp(t).isoformat() for t in latest]
    return ids, values, geoms, valid_from, recorded


def _numbers(values: Any) -> np.ndarray:
    """``pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")`` as floats; Python
    numbers and None (a few rows' values) converted one by one, anything else by pandas."""
    if len(values) <= 32:
        out = np.full(len(values), np.nan)
        for k, v in enumerate(values):
            t = type(v)
            if t is float or t is int:
                out[k] = v
            elif v is not None:
                break
        else:
            return out
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(float)


def _iso_times(values: Any) -> np.ndarray | None:
    """ISO date(-time) texts as ``datetime64[ns]`` (what :func:`history.parse_stored_dates`
    gives them), or ``None`` if one is missing, not text or outside the dates it allows."""
    out = np.empty(len(values), dtype="datetime64[ns]")
    low = pd.Timestamp(history.DATE_MIN)
    high = pd.Timestamp(history.DATE_MAX) + pd.Timedelta(1, "D")
    for k, v in enumerate(values):
        if not isinstance(v, str):
            return None
        if _ISO_TIME.match(v) and _DAY_RANGE[0] <= v[:10] <= _DAY_RANGE[1]:
            try:  # a plain ISO date(-time) in range: numpy reads it as pandas does
                out[k] = np.datetime64(v, "ns")
                continue
            except ValueError:  # no such day (2024-02-30)
                return None
        try:
            t = pd.Timestamp(v)
        except (ValueError, TypeError, OverflowError):
            return None
        if t.tzinfo is not None or not low <= t < high:
            return None
        out[k] = t.as_unit("ns").to_datetime64()
    return out


def _state_value(col: str, v: Any) -> Any:
    """A stored value as the replay's state holds it (what :func:`_rows_after` writes back)."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    if col in _JSON_COLUMNS:
        return json.loads(v) if isinstance(v, str) else v
    kind = ASSET_COLUMNS.get(col)
    if kind == "float":
        return float(v)
    if kind == "int":
        return int(v)
    if kind == "bool":
        return bool(v)
    return str(v) if isinstance(v, str) else v


def _refresh_rows(
    ctx: pd.DataFrame,
    raw: tuple[list[str], np.ndarray],
    n_dirty: int,
    firms: Any,
    kw: Mapping[str, Any],
) -> tuple[pd.DataFrame, pd.Index, dict[str, np.ndarray]] | None:
    """``ctx`` with the rows of the assets ``raw`` (their ids and stored geometries)
    recomputed, the labels that changed and their values in the columns where one changed
    (one array per column, in order: what the store's ``write_context_rows`` writes over
    the rows it holds).

    An asset's context depends on its own geometry, the firms and the layers only, so the
    rows of a few moved assets are computed from them alone (the columns ``context_features``
    would give those assets, as ``refresh_context`` recomputes rows) and written into a copy
    of the blocks of ``ctx`` holding a changed value; the other blocks stay shared
    (copy-on-write). ``None`` when this cannot stand for a refresh of the whole table: a dirty
    asset no longer stored (``raw`` has fewer than ``n_dirty`` rows), one not in ``ctx``, or
    other columns.
    """
    from .context.engine import context_rows
    from .context.spec import _params_attrs

    if len(raw[0]) != n_dirty:
        return None
    ids, columns, params = context_rows(*raw, firms.crs, firms, **kw)  # the store's CRS
    if list(columns) != ctx.columns.tolist() or len(ids) != n_dirty or not ids.is_unique:
        return None
    pos = _positions(ctx.index, ids)
    if pos is None or not len(pos):
        return None
    values = [np.asarray(v) for v in columns.values()]
    patched = _patch_blocks(ctx, pos, values)
    if patched is None:  # the rows as the kept dtypes hold them
        new, hit, cols = _patch_columns(ctx, pos, values)
        values = [new.iloc[pos, j].to_numpy() for j in range(len(values))]
    else:
        new, hit, cols = patched
    new.attrs = _params_attrs(params)
    if not hit.all():
        values = [v[hit] for v in values]
    return new, ids[hit], {c: v for c, v, a in zip(columns, values, cols, strict=True) if a}


def _patch_blocks(
    ctx: pd.DataFrame, pos: np.ndarray, values: list[np.ndarray]
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray] | None:
    """``ctx`` with rows ``pos`` set to ``values`` (one array per column, in column order),
    which of those rows changed and which columns: a copy of each dtype block holding a
    changed value, the other blocks shared as a shallow copy shares them (their references
    tracked, so a write into either frame copies first). ``None`` where a column's dtype is
    not its block's or a block is not a 2-D NumPy array (:func:`_patch_columns` then).
    """
    try:
        from pandas.core.internals import BlockManager
        from pandas.core.internals.blocks import new_block
    except ImportError:  # pragma: no cover - a pandas without these internals
        return None
    mgr = ctx._mgr.copy(deep=False)  # every block a view with its references tracked
    plans = []
    hit = np.zeros(len(pos), dtype=bool)
    cols = np.zeros(len(values), dtype=bool)
    for blk in mgr.blocks:
        vals = blk.values
        if not isinstance(vals, np.ndarray) or vals.ndim != 2:
            return None
        given = [values[j] for j in blk.mgr_locs.as_array]
        dtype = vals.dtype
        if any(c.dtype != dtype for c in given):
            return None
        now = np.concatenate(given).reshape(len(given), len(pos))  # one row per column
        was = vals[:, pos]
        if vals.dtype.kind == "f":
            differ = ~((was == now) | (np.isnan(was) & np.isnan(now)))
        elif vals.dtype.kind in "biu":
            differ = was != now
        else:
            differ = np.array(
                [
                    [not _same_value(a, b) for a, b in zip(x, y, strict=True)]
                    for x, y in zip(was, now, strict=True)
                ],
                dtype=bool,
            ).reshape(was.shape)
        hit |= differ.any(axis=0)
        cols[blk.mgr_locs.as_array] = differ.any(axis=1)
        plans.append((blk, now, was, differ))
    blocks = []
    for blk, now, was, differ in plans:
        if differ.any():
            vals = blk.values.copy(order="K")
            vals[:, pos] = np.where(differ, now, was)
            blk = new_block(vals, blk.mgr_locs, ndim=2)
        blocks.append(blk)
    out = BlockManager(tuple(blocks), mgr.axes)
    return pd.DataFrame._from_mgr(out, axes=out.axes), hit, cols


def _patch_columns(
    ctx: pd.DataFrame, pos: np.ndarray, values: list[np.ndarray]
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """:func:`_patch_blocks` column by column (values cast to the kept dtypes), through pandas."""
    now = np.empty((len(pos), len(values)), dtype=object)
    for j, v in enumerate(values):
        now[:, j] = np.asarray(v, dtype=object)
    new = ctx.copy(deep=False)
    new.attrs = {}  # without attrs: pandas deep-copies them on every operation that makes a frame
    was = new.iloc[pos].to_numpy(dtype=object)  # row by row: a few rows, many columns
    differ = np.array(
        [
            [not _same_value(a, b) for a, b in zip(x, y, strict=True)]
            for x, y in zip(was, now, strict=True)
        ],
        dtype=bool,
    ).reshape(len(was), len(ctx.columns))
    hit = differ.any(axis=1)
    rows = pos[hit]
    # column by column (pandas' own multi-column setitem is slower here), only the columns
    # where a value changed; the other columns stay shared
    for j in np.flatnonzero(differ.any(axis=0)):
        column = new.iloc[:, j]
        values = column.to_numpy(copy=True)
        values[rows] = now[hit, j].astype(values.dtype) if values.dtype != object else now[hit, j]
        new.isetitem(j, pd.Series(values, index=ctx.index, dtype=column.dtype, copy=False))
    return new, hit, differ.any(axis=0)


def _positions(index: pd.Index, labels: Sequence[Any]) -> np.ndarray | None:
    """Positions of a few ``labels`` in a unique ``index`` (``None`` if one is not there):
    through the index's kept hash table, label by label (``get_indexer`` converts an
    arrow-backed index of 10,000 ids to objects first, ~1 ms)."""
    out = np.empty(len(labels), dtype=np.intp)
    for k, label in enumerate(labels):
        try:
            at = index.get_loc(label)
        except KeyError:
            return None
        if not isinstance(at, int | np.integer):  # a duplicated label: a slice or a mask
            return None
        out[k] = at
    return out


def _shallow(ctx: pd.DataFrame, attrs: dict[str, Any] | None = None) -> pd.DataFrame:
    """``ctx.copy(deep=False)`` (the blocks shared, their references tracked; a deep copy
    where pandas does not copy on write, see :mod:`assetmatch._cow`) with ``attrs``,
    by default a copy of ``ctx``'s through JSON when they are JSON (a context's parameters:
    pandas' own deep copy of them costs a millisecond)."""
    # shallow, references tracked, without attrs; deep where pandas writes through
    out = pd.DataFrame(ctx) if copy_on_write() else pd.DataFrame(ctx, copy=True)
    if attrs is None:
        try:
            attrs = json.loads(json.dumps(ctx.attrs))
        except (TypeError, ValueError):
            attrs = copy.deepcopy(ctx.attrs)
    out.attrs = attrs
    return out


def _changed_rows(old: pd.DataFrame, new: pd.DataFrame) -> pd.Index:
    """Index labels of ``new`` whose row is absent from ``old`` or differs (NaN equals NaN)."""
    old, new = old.copy(deep=False), new.copy(deep=False)
    old.attrs, new.attrs = {}, {}  # pandas deep-copies attrs on every column access
    common = new.index.intersection(old.index)
    ia, ib = old.index.get_indexer(common), new.index.get_indexer(common)
    same = np.ones(len(common), dtype=bool)
    if len(common) <= _FEW_ROWS and list(old.columns) == list(new.columns):
        # a few rows (an edit): value by value in Python, not a pandas call per column
        rows_old = old.iloc[ia].to_numpy(dtype=object)  # one pass per block, not per column
        rows_new = new.iloc[ib].to_numpy(dtype=object)
        for k, (x, y) in enumerate(zip(rows_old, rows_new, strict=True)):
            same[k] = all(_same_value(a, b) for a, b in zip(x, y, strict=True))
        return new.index.difference(common).append(common[~same])
    for col in new.columns:  # numpy, not pandas ops: the frames carry large attrs
        x = old[col].to_numpy()[ia]
        y = new[col].to_numpy()[ib]
        if x.dtype.kind == "f" and y.dtype.kind == "f":
            same &= (x == y) | (np.isnan(x) & np.isnan(y))
        else:
            same &= _equal_objects(x, y)
    return new.index.difference(common).append(common[~same])


#: Cell types compared with ``==`` alone (NaN aside) by :func:`_same_value`.
_PLAIN = frozenset(
    {float, int, bool, str, np.float64, np.float32, np.int64, np.int32, np.int16, np.bool_}
)

#: Up to this many rows, tables are compared value by value (see :func:`_changed_rows`).
_FEW_ROWS = 16


def _same_value(a: Any, b: Any) -> bool:
    """``a == b`` for two cells, missing equal to missing (as :func:`_equal_objects`)."""
    if type(a) in _PLAIN and type(b) in _PLAIN:  # the common cells, without pandas
        return bool(a == b) or bool(a != a and b != b)  # NaN equals NaN
    missing_a, missing_b = pd.isna(a), pd.isna(b)
    scalars = isinstance(missing_a, bool | np.bool_) and isinstance(missing_b, bool | np.bool_)
    if scalars and (missing_a or missing_b):
        return bool(missing_a and missing_b)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            eq = a == b
        return bool(eq) if not isinstance(eq, np.ndarray) else bool(eq.all() and eq.shape)
    except (ValueError, TypeError, Warning):
        return False


def _equal_objects(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Element-wise equality of two object arrays, missing equal to missing."""
    both_missing = pd.isna(x) & pd.isna(y)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            eq = np.asarray(x == y, dtype=bool)  # one C loop of Python __eq__ calls
        if eq.shape == x.shape:
            return eq | both_missing
    except (ValueError, TypeError, Warning):
        pass
    return np.array([bool(a == b) for a, b in zip(x, y, strict=True)], dtype=bool) | both_missing


DEMO_CRS = "EPSG:4490"  # the CRS of every geometry the demo generator returns

_DEMO_DIR: Path | None = None


def _demo_dir() -> Path:
    """The one temporary folder of this process's demo stores (removed at exit)."""
    global _DEMO_DIR
    if _DEMO_DIR is None or not _DEMO_DIR.is_dir():
        _DEMO_DIR = Path(tempfile.mkdtemp(prefix="assetmatch-demo-"))
        atexit.register(shutil.rmtree, _DEMO_DIR, ignore_errors=True)
    return _DEMO_DIR


def _remove_store(store: GpkgStore, path: Path) -> None:
    store.close()
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)


def _clean_extra(value: Any) -> tuple[dict[str, Any] | None, str | None]:
    """``extra`` as JSON-able mapping (NaN and infinity become null), or why it cannot be."""
    if value is None:
        return None, None
    if not isinstance(value, Mapping):
        return None, f"extra must be a mapping of names to values, got {type(value).__name__}"

    def clean(v: Any, depth: int = 0) -> Any:
        if depth > 20:
            raise ValueError("nested more than 20 levels deep")
        if v is None or isinstance(v, str | bool):
            return v
        if isinstance(v, int | np.integer) and not isinstance(v, bool):
            return int(v)
        if isinstance(v, float | np.floating):
            return float(v) if np.isfinite(v) else None
        if isinstance(v, Mapping):
            return {str(k): clean(x, depth + 1) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x, depth + 1) for x in v]
        raise ValueError(f"{type(v).__name__} is not a JSON value (text, number, list, mapping)")

    try:
        return clean(dict(value)), None
    except ValueError as exc:
        return None, str(exc)


def _unplaced(geoms: gpd.GeoSeries) -> dict[Any, str]:
    """Rows whose geometry is missing, empty or has non-finite coordinates, with the reason."""
    out: dict[Any, str] = {}
    arr = np.asarray(geoms, dtype=object)
    for row, g in zip(geoms.index, arr, strict=True):
        if g is None or not isinstance(g, shapely.Geometry):
            out[row] = "missing: no geometry"
        elif g.is_empty:
            out[row] = "missing: empty geometry"
        elif not np.isfinite(xy := shapely.get_coordinates(g)).all():
            out[row] = "missing coordinates (NaN or infinite x/y)"
        elif (np.abs(xy) > MAX_COORDINATE).any():
            out[row] = f"coordinates beyond any map (|x| or |y| above {MAX_COORDINATE:g})"
    return out


#: Names a reference layer may not take (the store's own tables), compared in lower case.
_RESERVED_LAYER_NAMES = frozenset(
    {"assets", "asset_events", "firms", "deals", "am_meta", "asset_context"}
)
_RESERVED_PREFIXES = ("gpkg_", "rtree_", "sqlite_", "ref_")


def _layer_name_problems(name: Any) -> list[Problem]:
    if not isinstance(name, str) or not name:
        return [Problem(None, "name", f"a layer name is non-empty text, got {name!r}")]
    if not name.isascii() or not name.replace("_", "").isalnum():
        return [Problem(None, "name", f"use ASCII letters, digits and _ only; got {name!r}")]
    low = name.lower()
    if low in _RESERVED_LAYER_NAMES or low.startswith(_RESERVED_PREFIXES):
        return [
            Problem(
                None,
                "name",
                f"{name!r} is the name of one of the store's own tables; choose another",
            )
        ]
    if len(name) > 60:
        return [Problem(None, "name", f"at most 60 characters, got {len(name)}")]
    return []


def _layer_column_problems(layer: Any) -> list[Problem]:
    if not isinstance(layer, gpd.GeoDataFrame):
        return [Problem(None, "layer", f"a GeoDataFrame is needed, got {type(layer).__name__}")]
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for col in layer.columns:
        if col == layer.geometry.name:
            continue
        if not isinstance(col, str) or not col.strip():
            problems.append(Problem(None, str(col), "a column name is non-empty text"))
            continue
        if '"' in col or any(ord(ch) < 32 or ord(ch) == 127 for ch in col):
            problems.append(
                Problem(None, col, "a column name may not hold double quotes or control characters")
            )
            continue
        low = col.lower()
        if low in ("fid", "geom"):
            problems.append(Problem(None, col, "reserved for the store's id and geometry columns"))
        elif low in seen:
            problems.append(Problem(None, col, f"same name as column {seen[low]!r} (case aside)"))
        seen[low] = col
    return problems


def _as_float(values: np.ndarray) -> np.ndarray:
    out = np.full(len(values), np.nan)
    for k, v in enumerate(values):
        if v is not None and v is not pd.NA and not (isinstance(v, float) and np.isnan(v)):
            out[k] = float(v)
    return out


def _differs(field: str, stored: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Which stored values (as in the current table) differ from new canonical values."""
    kind = ASSET_COLUMNS.get(field, "json")
    if kind in ("float", "int", "bool"):
        a, b = _as_float(stored), _as_float(new)
        return ~((a == b) | (np.isnan(a) & np.isnan(b)))
    if kind in ("str", "date"):
        norm = [history.normalize_value(field, v) for v in new]
        old = [
            None if o is None or (isinstance(o, float) and np.isnan(o)) else str(o) for o in stored
        ]
        return np.array([o != n for o, n in zip(old, norm, strict=True)], dtype=bool)
    return np.array(
        [
            _stored_text(field, o) != history.encode_value(field, n)
            for o, n in zip(stored, new, strict=True)
        ],
        dtype=bool,
    )


def _stored_text(field: str, stored: Any) -> str:
    """encode_value of a value as stored in the current table (JSON columns are text)."""
    if field in _JSON_COLUMNS:
        return history.encode_value(field, None if stored is None else json.loads(stored))
    return history.encode_value(field, stored)


def _land_classes(codes: pd.Series, schemes: pd.Series) -> list[str | None]:
    out: list[str | None] = []
    for c, s in zip(codes, schemes, strict=True):
        out.append(None if c is None or s is None else _land_class(str(c), str(s)))
    return out


@functools.lru_cache(maxsize=4096)
def _land_class(code: str, scheme: str) -> str | None:
    """The land class of a code in a scheme (the land-use tables are fixed), None if none."""
    try:
        return landuse.resolve(code, scheme).land_class
    except LandUseError:
        return None


def _decode_rows(raw: gpd.GeoDataFrame, crs: CRS | None) -> gpd.GeoDataFrame:
    """Stored rows → the canonical in-memory frame, indexed by asset_id."""
    df = raw.copy()
    for c in _JSON_COLUMNS:
        if c in df:
            df[c] = [
                None
                if v is None or (isinstance(v, float) and np.isnan(v))
                else json.loads(v)
                if isinstance(v, str)
                else v
                for v in df[c]
            ]
    df = history.to_frame_dtypes(df)
    if "has_boundary" in df:
        df["has_boundary"] = df["has_boundary"].astype(bool)
    df = df.set_index("asset_id")
    order = [c for c in ASSET_COLUMNS if c != "asset_id"] + [
        "land_class",
        "extra",
        "valid_from",
        "recorded_at",
    ]
    df = df[[c for c in order if c in df.columns] + [df.geometry.name]]
    return gpd.GeoDataFrame(df, geometry=df.geometry.name, crs=crs)


#: The settings that say whether the kept context is current (read at once by ``context``).
_CONTEXT_PENDING = (
    "context_dirty_assets",
    "context_removed",
    "context_dirty_firm_xy",
    "context_layers_dirty",
)
_CONTEXT_META = (
    "context_params",
    "context_computed_at",
    *_CONTEXT_PENDING,
    "firms_version",
    "layers_version",
    "state_time",  # for the feature table's key (Inventory._features_state), read at once
    "demo_as_of",
)


def _saw(
    seen: dict[str, Any] | None, meta: Mapping[str, str | None], computed_at: str | None = None
) -> None:
    """Fill ``seen`` (see :meth:`Inventory._context`) from the settings ``meta`` read with the
    context, with ``computed_at`` when the context was just written."""
    if seen is not None:
        seen.update(meta)
        if computed_at is not None:
            seen["context_computed_at"] = computed_at


def _state_of(
    meta: Mapping[str, str | None],
) -> tuple[tuple[str | None, str | None], pd.Timestamp]:
    """``((state_time, context_computed_at), day the idle clocks are read at)`` of settings
    read from the store (see :meth:`Inventory._features_state`)."""
    as_of = meta["demo_as_of"]
    day = pd.Timestamp(date.fromisoformat(as_of) if as_of is not None else date.today())
    return (meta["state_time"], meta["context_computed_at"]), day


def _context_params(params: Mapping[str, Any], stored: Mapping[str, Any] | None) -> dict[str, Any]:
    base = dict(stored or {"radii_m": [1000, 3000, 5000]})
    for k, v in params.items():
        base[k] = list(v) if isinstance(v, tuple) else v
    return base


__all__ = ["Inventory"]
