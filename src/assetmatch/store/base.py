"""The store contract: what :class:`~assetmatch.Inventory` asks of a store.

:class:`~assetmatch.store.gpkg.GpkgStore` satisfies it today; the PostGIS store is built to the
same contract, so the inventory above does not know which one it talks to. The tests check that
every store method the inventory calls is listed here and that each store has it with the same
parameters (``tests/test_store_contract.py``).

Conventions every store keeps:

- writes happen inside :meth:`Store.transaction`, which commits or rolls back as a whole;
- reads inside :meth:`Store.snapshot` all see the same committed state;
- ``asset_events`` is append-only and the store itself refuses updates and deletes of it;
- frames go in and come out in the store's CRS (:attr:`Store.crs`), geometry column ``geometry``;
- failures reach the caller as :class:`~assetmatch.StoreError` (or a subclass) whose text names
  the store but never a password.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

__all__ = ["GPKG_ONLY", "Store"]


@runtime_checkable
class Store(Protocol):
    """The operations an inventory store offers (see the module notes for the conventions)."""

    #: Short name of the backend (``"gpkg"``, ``"postgis"``).
    engine: str

    def transaction(self) -> AbstractContextManager[None]:
        """One atomic write: everything inside commits together or not at all."""
        ...

    def snapshot(self) -> AbstractContextManager[None]:
        """Consistent reads: everything read inside sees the same committed state."""
        ...

    def close(self) -> None:
        """Release connections; the store object is unusable afterwards."""
        ...

    def meta(self, key: str) -> str | None:
        """A setting, or ``None``."""
        ...

    def metas(self, keys: Sequence[str]) -> dict[str, str | None]:
        """Several settings at once, by key (``None`` for a key not set)."""
        ...

    def set_metas(self, values: Mapping[str, str | None]) -> None:
        """Set several settings at once (inside a transaction)."""
        ...

    def set_meta(self, key: str, value: str | None) -> None:
        """Set a setting (inside a transaction)."""
        ...

    @property
    def crs(self) -> CRS | None:
        """The store's projected CRS, ``None`` until set."""
        ...

    def set_crs(self, crs: CRS) -> None:
        """Fix the store's CRS (once, inside a transaction)."""
        ...

    def read_assets(self, ids: Sequence[str] | None = None) -> gpd.GeoDataFrame:
        """Current assets (all, or those of ``ids``)."""
        ...

    def read_asset_geometries(self, ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """The ids and geometries (store CRS) of the stored assets among ``ids``, in the
        order :meth:`read_assets` gives them: its two columns without the frame."""
        ...

    def read_asset_columns(self, ids: Sequence[str]) -> dict[str, list[Any]] | None:
        """The current rows of ``ids`` as :meth:`read_assets` reads them, as Python lists per
        column (stored values, None for NULL) and ``geometry``; None before a CRS is set."""
        ...

    def read_for_update(
        self, ids: Sequence[str], keys: Sequence[str]
    ) -> tuple[dict[str, list[Any]] | None, dict[str, str], dict[str, str | None]]:
        """What an update of ``ids`` reads first (inside a transaction), in as few statements
        as the store allows: :meth:`read_asset_columns` of ``ids``, :meth:`created_at` of
        those found and :meth:`metas` of ``keys``. The PostGIS store reads them in one
        statement and locks the rows found until the transaction ends."""
        ...

    def write_update(
        self,
        events: Mapping[str, Sequence[Any]],
        columns: Mapping[str, Sequence[Any]],
        geoms: Any,
        metas: Mapping[str, str | None],
    ) -> None:
        """What an update writes (inside a transaction): :meth:`append_events` of ``events``
        (a mapping of event columns to lists), :meth:`upsert_asset_columns` of ``columns``
        and ``geoms``, and :meth:`set_metas` of ``metas``, with the same result as those
        three calls; the PostGIS store sends them as one statement."""
        ...

    def lock_assets(self, ids: Sequence[str]) -> None:
        """Hold the rows of ``ids`` until the transaction ends (inside a transaction), so that
        a decision read from them (an offer) cannot be taken twice by concurrent writers."""
        ...

    def asset_ids(self) -> list[str]:
        """Ids of the current assets."""
        ...

    def asset_ids_in_box(self, box: tuple[float, float, float, float]) -> list[str]:
        """Ids of the current assets whose envelope meets ``box`` (minx, miny, maxx, maxy).

        ``box`` is in the store CRS; the answer comes from the store's spatial index (SQLite
        R-tree, PostGIS GiST) and may hold assets that only the envelope meets: callers refine.
        """
        ...

    def upsert_assets(self, rows: gpd.GeoDataFrame) -> None:
        """Insert or replace current asset rows by ``asset_id``."""
        ...

    def upsert_asset_columns(self, columns: Mapping[str, Sequence[Any]], geoms: Any) -> None:
        """:meth:`upsert_assets` of rows given as SQLite values column by column (a column left
        out is NULL) and their geometries."""
        ...

    def add_assets(
        self,
        rows: gpd.GeoDataFrame | Iterable[gpd.GeoDataFrame],
        event: Mapping[str, Any],
        *,
        ids: Sequence[str] | None = None,
    ) -> None:
        """Insert rows of assets new to the store, each with a ``create`` event (sharing
        ``event``'s ``valid_at, recorded_at, author, note, batch_id, source``) whose record and
        geometry are the row as written here; :meth:`read_events` gives them back as a dict
        and a geometry, also after the row has changed or gone.

        ``rows`` may also come as frames of consecutive rows, built as the store takes them (a
        store with ``add_chunk_rows`` writes one while the next is built), with ``ids``: the
        rows' ``asset_id`` in order."""
        ...

    def delete_assets(self, ids: Sequence[str]) -> None:
        """Remove current asset rows (their history stays)."""
        ...

    def append_events(self, events: pd.DataFrame | Mapping[str, Sequence[Any]]) -> None:
        """Append history events (a frame, or a mapping of its columns to lists); never
        overwrites one."""
        ...

    def read_events(self, ids: Sequence[str] | None = None) -> pd.DataFrame:
        """History events (all, or of ``ids``), in the order they were recorded."""
        ...

    def created_at(self, ids: Sequence[str]) -> dict[str, str]:
        """Valid time of each asset's first event."""
        ...

    def read_firms(self) -> gpd.GeoDataFrame:
        """The firms."""
        ...

    def upsert_firms(self, rows: gpd.GeoDataFrame) -> None:
        """Insert or replace firms by ``firm_id``."""
        ...

    def delete_firms(self, ids: Sequence[str]) -> None:
        """Remove firms."""
        ...

    def layer_names(self) -> list[str]:
        """Names of the reference layers."""
        ...

    def write_layer(self, name: str, gdf: gpd.GeoDataFrame) -> None:
        """Create or replace a reference layer."""
        ...

    def read_layer(self, name: str) -> gpd.GeoDataFrame:
        """A reference layer."""
        ...

    def write_context(self, ctx: pd.DataFrame, *, replace: bool) -> None:
        """Store context features (all rows when ``replace``, else the rows given)."""
        ...

    def write_context_rows(self, ids: Sequence[str], columns: Mapping[str, np.ndarray]) -> None:
        """Store rows of context features given as columns, in the stored order and of the
        recorded dtypes: all of them (a whole table's rows), or those where an edit changed a
        value (rows the table holds keep their other values)."""
        ...

    def read_context(self) -> pd.DataFrame | None:
        """Stored context features, ``None`` when never computed."""
        ...

    def write_deals(self, deals: pd.DataFrame) -> None:
        """Insert or replace past deals by ``deal_id``."""
        ...

    def read_deals(self) -> pd.DataFrame:
        """Past deals."""
        ...

    def append_zone_policy(self, record: dict[str, Any]) -> None:
        """Append one version of the zone's policy table (never overwrites one)."""
        ...

    def read_zone_policies(self) -> pd.DataFrame:
        """Every version of the zone's policy table, oldest first."""
        ...

    def export(self, dest: str | os.PathLike[str]) -> Path:
        """Write the whole inventory to one self-contained GeoPackage at ``dest``."""
        ...


#: Members an inventory may use that only the GeoPackage store has (a file on disk).
GPKG_ONLY = frozenset({"path"})
