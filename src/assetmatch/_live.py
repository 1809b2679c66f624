"""The context and feature tables of one open inventory, kept in memory and patched on edits.

An edit changes a handful of rows; re-reading the whole context table from the store and
rebuilding the whole feature table for the next match costs hundreds of milliseconds on a
zone. :class:`LiveTables` keeps both in memory per open :class:`~assetmatch.Inventory` and
remembers which asset rows this process changed since they were built, so the next match
re-prepares only those rows (:func:`assetmatch.scoring.features.patch`).

The rule that keeps it correct: the tables are patched only while every write since they were
built came through this object's inventory. Each write reports the store's ``state_time`` it
replaced; if that is not the one this object last saw, another process (or another inventory
on the same store) wrote in between, and the next read rebuilds from the store. Anything the
patch cannot express (an asset added or removed, a new district, other context columns)
rebuilds too. Rebuilding is always correct; patching is the fast path.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["LiveTables"]


@dataclass
class LiveTables:
    """In-memory context and feature tables of one open inventory (see the module notes)."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    #: ``(context_computed_at, params JSON)`` of :attr:`context`.
    context_key: tuple[str | None, str | None] | None = None
    context: pd.DataFrame | None = None
    #: ``(state_time, context_computed_at)`` the feature table stands at.
    features_key: tuple[str | None, str | None] | None = None
    features: Any = None
    #: The ``(state_time, context_computed_at)`` this process expects the store to be at if
    #: every write since :attr:`features` was built went through it; ``None``: rebuild.
    expected: tuple[str | None, str | None] | None = None
    #: Asset rows changed since :attr:`features` was built (assets or their context).
    changed: set[str] = field(default_factory=set)
    #: Of those, the rows whose status history may have changed (their idle spell is read
    #: from their events again); the others keep the spell the table has.
    spells_changed: set[str] = field(default_factory=set)
    #: The day every derived idle clock of :attr:`features`' frame was read at (``None``: not
    #: one day); rows whose clock inputs did not change keep theirs only on that day.
    clock_day: Any = None
    #: ``(state_time, columns)``: the asset rows the last update through this inventory
    #: stored, as the store's ``read_asset_columns`` gives them back (geometry included).
    rows: tuple[str, dict[str, list[Any]]] | None = None
    #: ``(layers_version, {name: layer})``: the reference layers.
    layers: tuple[str | None, dict[str, Any]] | None = None

    # ---------------------------------------------------------------- context
    def context_for(self, key: tuple[str | None, str | None]) -> pd.DataFrame | None:
        """The kept context if it is the one stored under ``key``, else ``None``."""
        with self.lock:
            if self.context is not None and self.context_key == key:
                return self.context
            return None

    def keep_context(self, key: tuple[str | None, str | None], ctx: pd.DataFrame) -> None:
        """Keep ``ctx``, the context now stored under ``key``."""
        with self.lock:
            self.context_key, self.context = key, ctx

    # ---------------------------------------------------------------- writes
    def wrote_assets(
        self,
        before: str | None,
        after: str,
        ids: list[str] | None,
        same_spells: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        """This process moved ``state_time`` from ``before`` to ``after``, changing ``ids``.

        ``ids=None`` means rows not known to this object may have changed (rebuild).
        ``same_spells`` are ids among them whose status history this write left as it was.
        """
        with self.lock:
            if self.expected is None or self.expected[0] != before or ids is None:
                self.expected = None
                return
            self.expected = (after, self.expected[1])
            self.changed.update(ids)
            self.spells_changed.update(i for i in ids if i not in same_spells)

    def refreshed_context(self, before: str | None, after: str, ids: list[str] | None) -> None:
        """This process moved ``context_computed_at`` from ``before`` to ``after``.

        ``ids`` are the asset rows whose context changed; ``None`` when all may have.
        """
        with self.lock:
            if self.expected is None or self.expected[1] != before or ids is None:
                self.expected = None
                return
            self.expected = (self.expected[0], after)
            self.changed.update(ids)

    def wrote_rows(self, state_time: str | None, columns: dict[str, list[Any]] | None) -> None:
        """The rows a write stored and the ``state_time`` it left (``None``: forget them)."""
        with self.lock:
            self.rows = None if state_time is None or columns is None else (state_time, columns)

    def rows_at(self, state_time: str | None, ids: list[str]) -> dict[str, list[Any]] | None:
        """The rows of exactly ``ids`` as the store holds them at ``state_time``, when the
        last write through this inventory stored them and left that state; else ``None``."""
        with self.lock:
            if self.rows is None or state_time is None or self.rows[0] != state_time:
                return None
            columns = self.rows[1]
        if sorted(map(str, columns.get("asset_id", ()))) != sorted(ids):
            return None
        return columns

    # ---------------------------------------------------------------- features
    def features_for(self, key: tuple[str | None, str | None]) -> Any:
        """The kept feature table if it stands at ``key``, else ``None``."""
        with self.lock:
            if self.features is not None and self.features_key == key:
                return self.features
            return None

    def stale(self) -> bool:
        """True when no kept table can be current: none is kept, or this process wrote since
        it was built (what the store is at then needs no reading to know)."""
        with self.lock:
            return self.features is None or self.expected != self.features_key

    def patchable(
        self, key: tuple[str | None, str | None]
    ) -> tuple[Any, list[str], set[str]] | None:
        """The kept table, the rows to re-prepare and those of them whose idle spell the
        table still has, when patching it reaches ``key``."""
        with self.lock:
            if self.features is None or self.expected != key:
                return None
            return self.features, sorted(self.changed), self.changed - self.spells_changed

    def keep_features(
        self, key: tuple[str | None, str | None], table: Any, *, clock_day: Any = None
    ) -> None:
        """Keep ``table``, the feature table of the store at ``key`` (its frame's clocks read
        at ``clock_day``, ``None`` if not known to be one day)."""
        with self.lock:
            self.features_key, self.features = key, table
            self.clock_day = clock_day
            self.expected = key
            self.changed = set()
            self.spells_changed = set()

    def clear(self) -> None:
        """Forget everything (the store was closed)."""
        with self.lock:
            self.context_key = self.context = self.features_key = self.features = None
            self.expected = self.clock_day = None
            self.changed = set()
            self.spells_changed = set()
            self.layers = None
            self.rows = None
