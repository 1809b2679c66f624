"""The event history of assets: values as JSON, replay to any date, and idle-land clocks.

The store never overwrites: every change is an event with a *valid time* (``at``, when the
change happened in the world) and a *recorded time* (when it was entered). The current table is
a cache of the replay of all events; :func:`replay` rebuilds the inventory as it stood on any
date from the events alone.

Event kinds: ``create`` (the full record of an asset when first entered, value = JSON object
of its fields, geometry in the ``geom`` column), ``update`` (one field, value = JSON), and
``remove`` (the asset leaves the inventory; a later ``create`` brings it back).

Ordering: events apply in valid-time order, ties broken by recording order (``event_id``).
A correction entered late with an earlier ``at`` therefore changes the past without
overriding a later-valid value.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from ..schema import ASSET_COLUMNS, DERIVED_ASSET_COLUMNS

#: Fields that events may carry (canonical columns less the derived ones), plus geometry.
EVENT_FIELDS: tuple[str, ...] = (
    *tuple(c for c in ASSET_COLUMNS if c not in DERIVED_ASSET_COLUMNS and c != "asset_id"),
    "extra",
)

#: Statutory idle-land clocks, from 《闲置土地处置办法》(国土资源部令第53号, 2012), art. 14:
#: land left unstarted for one year after the agreed start date owes an idle-land fee of 20% of
#: the land price; after two years the right can be reclaimed without compensation.
IDLE_FEE_YEARS = 1
IDLE_RECLAIM_YEARS = 2

IDLE_STATUSES = ("idle", "low_efficiency")


def _to_date(value: Any) -> date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).date()
    return pd.Timestamp(str(value)).date()


def normalize_value(field: str, value: Any) -> Any:
    """Turn a canonical value into its plain JSON-able form (None for missing)."""
    kind = ASSET_COLUMNS.get(field, "json")
    if value is None:
        return None
    if kind in ("list[str]", "list[obstacle]", "json"):
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, float) and math.isnan(value):
            return None
        if kind == "list[str]":
            return [str(v) for v in value]
        if kind == "list[obstacle]":
            return [
                {
                    "kind": str(o.get("kind")),
                    "description": None if o.get("description") is None else str(o["description"]),
                    "delay_days": None
                    if o.get("delay_days") is None or pd.isna(o.get("delay_days"))
                    else float(o["delay_days"]),
                }
                for o in value
            ]
        return value
    if pd.isna(value):
        return None
    if kind == "float":
        return float(value)
    if kind == "int":
        return int(value)
    if kind == "bool":
        return bool(value)
    if kind == "date":
        d = _to_date(value)
        return None if d is None else d.isoformat()
    return str(value)


def encode_value(field: str, value: Any) -> str:
    """JSON text of a canonical value; equal values give equal text (used to detect changes)."""
    return json.dumps(normalize_value(field, value), ensure_ascii=False, sort_keys=True)


def decode_value(field: str, text: str | None) -> Any:
    """Python value of an event's JSON text (dates as ``datetime.date``)."""
    if text is None:
        return None
    value = json.loads(text)
    if value is not None and ASSET_COLUMNS.get(field) == "date":
        return date.fromisoformat(value)
    return value


def to_frame_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    """Give a frame of canonical fields their in-memory dtypes.

    Floats as ``float64`` (NaN for missing), ``floors`` as nullable ``Int64``, booleans as
    nullable ``boolean``, dates as ``datetime64[ns]`` (NaT), strings and lists as objects.
    """
    out = df.copy()
    for col in out.columns:
        kind = ASSET_COLUMNS.get(col)
        if kind == "float":
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
        elif kind == "int":
            out[col] = pd.to_numeric(out[col], errors="coerce").round().astype("Int64")
        elif kind == "bool":
            out[col] = out[col].astype("boolean")
        elif kind == "date":
            out[col] = pd.to_datetime(out[col], errors="coerce").astype("datetime64[ns]")
    return out


def valid_cutoff(as_of: date | datetime | str) -> pd.Timestamp:
    """The last instant an ``as_of`` covers: a date means the whole day, a date-time itself."""
    ts = pd.Timestamp(as_of)
    if ts == ts.normalize():
        return ts + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return ts


def order_events(events: pd.DataFrame) -> pd.DataFrame:
    """Sort events in application order: valid time, then recording order."""
    ev = events.copy()
    ev["_valid"] = pd.to_datetime(ev["valid_at"])
    return ev.sort_values(["_valid", "event_id"], kind="mergesort")


def replay(
    events: pd.DataFrame,
    as_of: date | datetime | str | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Rebuild the state of assets from their events.

    Parameters
    ----------
    events
        Columns ``event_id, asset_id, kind, field, value`` (JSON text), ``geom`` (shapely or
        None), ``valid_at``.
    as_of
        Only events valid at or before this date (inclusive, the whole day) count. ``None``
        applies every event.

    Returns
    -------
    state
        One row per asset alive at ``as_of``, indexed by ``asset_id``, with the fields of
        :data:`EVENT_FIELDS` (JSON-decoded, not yet typed) and ``valid_from`` (valid time of
        its latest applied event).
    geoms
        Mapping asset_id → geometry.
    """
    cols = list(EVENT_FIELDS)
    if events.empty:
        return pd.DataFrame(columns=[*cols, "valid_from"], index=pd.Index([], name="asset_id")), {}
    ev = order_events(events)
    if as_of is not None:
        ev = ev[ev["_valid"] <= valid_cutoff(as_of)]
    ev = ev.reset_index(drop=True)
    ev["_seq"] = np.arange(len(ev))
    life = ev[ev["kind"].isin(["create", "remove"])]
    last_life = life.groupby("asset_id", sort=False).tail(1)
    alive = last_life[last_life["kind"] == "create"]
    if alive.empty:
        return pd.DataFrame(columns=[*cols, "valid_from"], index=pd.Index([], name="asset_id")), {}
    created_seq = pd.Series(alive["_seq"].to_numpy(), index=alive["asset_id"].to_numpy())
    records = [json.loads(v) for v in alive["value"]]
    state = pd.DataFrame.from_records(records, index=pd.Index(alive["asset_id"], name="asset_id"))
    for col in cols:
        if col not in state.columns:
            state[col] = None
    state = state[cols].astype(object)
    geoms: dict[str, Any] = dict(zip(alive["asset_id"], alive["geom"], strict=True))
    valid_from = pd.Series(alive["_valid"].to_numpy(), index=state.index)

    upd = ev[(ev["kind"] == "update") & ev["asset_id"].isin(created_seq.index)]
    if not upd.empty:
        upd = upd[upd["_seq"].to_numpy() > created_seq.reindex(upd["asset_id"]).to_numpy()]
        last = upd.groupby(["asset_id", "field"], sort=False).tail(1)
        for field, grp in last.groupby("field", sort=False):
            ids = grp["asset_id"].to_numpy()
            if field == "geometry":
                geoms.update(zip(ids, grp["geom"], strict=True))
            elif field in state.columns:
                values = [json.loads(v) for v in grp["value"]]
                state.loc[ids, field] = pd.Series(values, index=ids, dtype=object)
        latest = upd.groupby("asset_id")["_valid"].max()
        valid_from.loc[latest.index] = np.maximum(
            valid_from.loc[latest.index].to_numpy(), latest.to_numpy()
        )
    state["valid_from"] = valid_from
    return state, geoms


def idle_spells(events: pd.DataFrame, as_of: date | datetime | str | None = None) -> pd.Series:
    """Date each asset's current idle spell began, derived from its status history.

    An idle spell is an unbroken run of the statuses ``idle`` or ``low_efficiency``. Returns a
    Series of Timestamps indexed by asset_id (NaT for assets not idle at ``as_of``).
    """
    if events.empty:
        return pd.Series(dtype="datetime64[ns]")
    ev = order_events(events)
    if as_of is not None:
        ev = ev[ev["_valid"] <= valid_cutoff(as_of)]
    kind = ev["kind"].to_numpy()
    status = np.full(len(ev), None, dtype=object)
    is_create = kind == "create"
    status[is_create] = [json.loads(v).get("status") for v in ev["value"].to_numpy()[is_create]]
    is_status = (kind == "update") & (ev["field"].to_numpy() == "status")
    status[is_status] = [json.loads(v) for v in ev["value"].to_numpy()[is_status]]
    keep = is_create | is_status | (kind == "remove")
    status_rows = list(
        zip(
            ev["asset_id"].to_numpy()[keep],
            ev["_valid"].to_numpy()[keep],
            status[keep],
            strict=True,
        )
    )
    st = pd.DataFrame(status_rows, columns=["asset_id", "valid", "status"])
    if st.empty:
        return pd.Series(dtype="datetime64[ns]")
    st["is_idle"] = st["status"].isin(IDLE_STATUSES)
    # a spell starts where is_idle turns on
    prev = st.groupby("asset_id")["is_idle"].shift(fill_value=False)
    st["start"] = st["valid"].where(st["is_idle"] & ~prev)
    st["start"] = st.groupby("asset_id")["start"].ffill()
    last = st.groupby("asset_id").tail(1).set_index("asset_id")
    return last["start"].where(last["is_idle"]).astype("datetime64[ns]")


def idle_clocks(
    idle_since: pd.Series,
    as_of: date | datetime | str,
) -> pd.DataFrame:
    """Days idle and the statutory idle-land clocks.

    Parameters
    ----------
    idle_since
        Start of the current idle spell per asset (Timestamp or NaT), indexed by asset_id.
    as_of
        The date the clocks are read.

    Returns
    -------
    DataFrame indexed by asset_id with ``idle_since``, ``idle_days`` (whole days, float with
    NaN when not idle), ``idle_fee_date`` (one year after idle_since: the idle-land fee is due),
    ``reclaim_date`` (two years after: the land can be reclaimed), and booleans
    ``idle_fee_due`` and ``reclaim_due`` at ``as_of``.
    """
    since = pd.to_datetime(idle_since).astype("datetime64[ns]")
    now = pd.Timestamp(as_of).normalize()
    days = (now - since).dt.days.astype("float64")
    fee = since + pd.DateOffset(years=IDLE_FEE_YEARS)
    reclaim = since + pd.DateOffset(years=IDLE_RECLAIM_YEARS)
    return pd.DataFrame(
        {
            "idle_since": since,
            "idle_days": days,
            "idle_fee_date": fee,
            "reclaim_date": reclaim,
            "idle_fee_due": (fee <= now).fillna(False).astype(bool),
            "reclaim_due": (reclaim <= now).fillna(False).astype(bool),
        },
        index=idle_since.index,
    )
