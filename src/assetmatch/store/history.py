"""The event history of assets: values as JSON, replay to any date, and idle spells.

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
import logging
import math
import re
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from ..schema import ASSET_COLUMNS, DERIVED_ASSET_COLUMNS

logger = logging.getLogger(__name__)

#: Fields that events may carry (canonical columns less the derived ones), plus geometry.
EVENT_FIELDS: tuple[str, ...] = (
    *tuple(c for c in ASSET_COLUMNS if c not in DERIVED_ASSET_COLUMNS and c != "asset_id"),
    "extra",
)

#: What the events of one write share, in this order (the columns after ``geom``).
SHARED_EVENT_FIELDS: tuple[str, ...] = (
    "valid_at",
    "recorded_at",
    "author",
    "note",
    "batch_id",
    "source",
)

#: Statuses in which the inventory counts a site as standing idle (its own bookkeeping; the
#: statutory idle-land clocks run from the contract instead: :mod:`assetmatch.domain.idle`).
IDLE_STATUSES = ("idle", "low_efficiency")

#: Every date the inventory accepts (valid times, ``as_of``, date fields) lies in this range:
#: wide enough for any land record, narrow enough for pandas' nanosecond timestamps.
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2200, 12, 31)

#: Time zone of the zones the inventory serves: a time-zone-aware date-time is read as the local
#: date-time there. China keeps one standard time, UTC+08:00 (Beijing Time / China Standard
#: Time), without summer time since 1991; the IANA tz database's zone for it is Asia/Shanghai
#: (tz database "asia" file, China section, and the tz list's "Simplify China's time zones from
#: five to two", 2014-06-30; checked 2026-12-04).
LOCAL_TZ = "Asia/Shanghai"

_SLASHED = re.compile(r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{4})\s*$")
_CN_DAY = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?")
_CN_MONTH = re.compile(r"(\d{4})年(\d{1,2})月$")


def check_date(value: Any, *, dayfirst: bool | None = None) -> pd.Timestamp:
    """Read one date or date-time, refusing anything the inventory cannot keep.

    Accepts ``date``/``datetime``/``Timestamp``/``numpy.datetime64`` and text: ISO
    (``2025-03-04``, ``2025-03-04T10:00``), ``2025年3月4日``, ``2025年3月`` (the 1st) and slashed
    day/month forms. A slashed date whose first two numbers could both be a month
    (``03/04/2025``) is refused unless ``dayfirst`` says how to read it. A time-zone-aware
    value is converted to the local time of :data:`LOCAL_TZ`.

    Parameters
    ----------
    value
        The value to read.
    dayfirst
        For slashed dates: ``True`` reads ``03/04/2025`` as 3 April, ``False`` as 4 March.

    Returns
    -------
    A time-zone-naive Timestamp between :data:`DATE_MIN` and :data:`DATE_MAX` (inclusive).

    Raises
    ------
    ValueError
        Saying what was expected and what was given (missing, unreadable, ambiguous or out of
        range).
    """
    if value is None or value is pd.NaT or value is pd.NA:
        raise ValueError("missing: a date is needed (YYYY-MM-DD)")
    if isinstance(value, bool | int | float | np.bool_ | np.integer | np.floating):
        if isinstance(value, float | np.floating) and math.isnan(value):
            raise ValueError("missing: a date is needed (YYYY-MM-DD)")
        raise ValueError(f"{value!r} is a number, not a date (use YYYY-MM-DD)")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("missing: the text is empty (use YYYY-MM-DD)")
        m = _SLASHED.match(text)
        if m:
            a, b, year = int(m.group(1)), int(m.group(2)), m.group(3)
            if dayfirst is None:
                if a <= 12 and b <= 12 and a != b:
                    raise ValueError(
                        f"{value!r} is ambiguous: day/month or month/day? write "
                        f"YYYY-MM-DD, or pass dayfirst=True ({b}月{a}日) or dayfirst=False "
                        f"({a}月{b}日)"
                    )
                dayfirst = a > 12
            day, month = (a, b) if dayfirst else (b, a)
            text = f"{year}-{month:02d}-{day:02d}"
        else:
            text = _CN_MONTH.sub(r"\1-\2-01", _CN_DAY.sub(r"\1-\2-\3", text))
        value = text
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD)") from exc
    if pd.isna(ts):
        raise ValueError("missing: a date is needed (YYYY-MM-DD)")
    if ts.tzinfo is not None:
        ts = ts.tz_convert(LOCAL_TZ).tz_localize(None)
    if not (DATE_MIN <= ts.date() <= DATE_MAX):
        raise ValueError(
            f"{ts.date().isoformat()} is out of range: dates must lie between "
            f"{DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}"
        )
    return ts.as_unit("ns")


def parse_stored_dates(values: Any) -> pd.Series:
    """Stored ISO date texts as ``datetime64[ns]``, robust to what an older version wrote.

    Texts before :data:`DATE_MIN` or after :data:`DATE_MAX` (older versions did not bound dates)
    are read as the nearest bound, with a warning in the log; unreadable ones as NaT.
    """
    s = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values
    text = s.astype(object).where(s.notna(), None)
    iso = text.map(lambda v: v if isinstance(v, str) else None)
    low = iso.notna() & (iso.fillna("") < DATE_MIN.isoformat())
    high = iso.notna() & (iso.fillna("") > DATE_MAX.isoformat() + "T99")
    if low.any() or high.any():
        logger.warning(
            "%d stored dates lie outside %s..%s (written by an older version); read as the "
            "nearest bound",
            int(low.sum() + high.sum()),
            DATE_MIN,
            DATE_MAX,
        )
        text = text.where(~low, DATE_MIN.isoformat()).where(~high, DATE_MAX.isoformat())
    other = ~iso.notna() & text.notna()
    if other.any():  # dates and Timestamps as they come from replay
        text = text.copy()
        text[other] = [_clip_date(v) for v in text[other]]
    return pd.to_datetime(text, errors="coerce", format="mixed").astype("datetime64[ns]")


def _clip_date(v: Any) -> Any:
    try:
        d = pd.Timestamp(v)
    except (ValueError, TypeError, OverflowError):
        return None
    if pd.isna(d):
        return None
    return min(max(d.date(), DATE_MIN), DATE_MAX).isoformat()


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


_ISO_DAY = "%Y-%m-%d"


def normalize_column(field: str, values: Any) -> list[Any]:
    """:func:`normalize_value` of every value of a column, at numpy speed where it can.

    Equal, value for value, to ``[normalize_value(field, v) for v in values]`` (a test checks
    it on varied columns): numeric, boolean, text and ISO-date columns are converted as whole
    arrays; anything else (lists, odd objects) goes value by value through
    :func:`normalize_value`.

    Parameters
    ----------
    field
        A canonical field (its kind in :data:`~assetmatch.schema.ASSET_COLUMNS`).
    values
        A Series, array or list of the field's values.
    """
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if len(s) == 0:
        return []
    kind = ASSET_COLUMNS.get(field, "json")
    fast = None
    if kind in ("float", "int", "bool"):
        fast = _numbers(kind, s)
    elif kind == "str" and isinstance(s.dtype, pd.StringDtype):  # text or missing, nothing else
        fast = s.to_numpy(dtype=object, na_value=None).tolist()
    elif kind == "str":
        obj = s.to_numpy(dtype=object)
        missing = pd.isna(s).to_numpy()
        if all(type(v) is str for v in obj[~missing]):
            out = obj.tolist()
            for k in np.flatnonzero(missing):
                out[k] = None
            fast = out
    elif kind == "date":
        fast = _iso_days(s)
    elif kind in ("list[str]", "list[obstacle]"):
        fast = _plain_lists(field, kind, s.to_numpy(dtype=object))
    if fast is not None:
        return fast
    return [normalize_value(field, v) for v in s.to_numpy(dtype=object)]


def _numbers(kind: str, s: pd.Series) -> list[Any] | None:
    """Float, int or bool values of a numeric or boolean column (None for missing); None when
    the column holds anything else (text, objects), left to :func:`normalize_value`."""
    if s.dtype == object:
        if not all(
            v is None or type(v) in (float, int, bool) or isinstance(v, np.number | np.bool_)
            for v in s.to_numpy(dtype=object)
        ):
            return None
    elif not (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
        return None
    try:
        arr = s.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        return None
    missing = np.isnan(arr)
    if kind == "float":
        out = arr.tolist()
    elif kind == "int":
        if np.any(np.abs(arr[~missing]) >= 2**53):  # beyond exact floats: value by value
            return None
        out = np.where(missing, 0, arr).astype(np.int64).tolist()  # truncates, as int() does
    else:
        out = (arr != 0).tolist()
    for k in np.flatnonzero(missing):
        out[k] = None
    return out


def _plain_lists(field: str, kind: str, obj: np.ndarray) -> list[Any]:
    """Copies of lists that are already plain (lists of text; empty obstacle lists), None for
    missing; any other value through :func:`normalize_value`."""
    out: list[Any] = []
    for v in obj:
        if v is None:
            out.append(None)
        elif type(v) is list and (all(type(x) is str for x in v) if kind == "list[str]" else not v):
            out.append(list(v))
        else:
            out.append(normalize_value(field, v))
    return out


def _iso_days(s: pd.Series) -> list[Any] | None:
    """ISO day texts of a column of ``YYYY-MM-DD`` texts or datetimes (None for missing);
    None when some value is anything else, left to :func:`normalize_value`."""
    if pd.api.types.is_datetime64_dtype(s.dtype):
        text = s.dt.strftime(_ISO_DAY)
        return [None if isinstance(v, float) or v is None else v for v in text.tolist()]
    obj = s.to_numpy(dtype=object)
    missing = pd.isna(s).to_numpy()
    present = pd.Series(obj[~missing], dtype=object)
    if not set(map(type, present)) <= {str}:
        return None
    text = present.astype("str")
    # YYYY-MM-DD of a real day is already its own ISO text
    if not text.str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").all():
        return None
    if pd.to_datetime(text, format=_ISO_DAY, errors="coerce").isna().any():
        return None
    out = obj.tolist()
    for k in np.flatnonzero(missing):
        out[k] = None
    return out


def json_texts(field: str, values: Any) -> list[str | None]:
    """The stored JSON text of each value of a list or JSON field (None for missing).

    Equal, value for value, to ``None`` where :func:`normalize_value` gives None and else to
    ``json.dumps(normalize_value(field, v), ensure_ascii=False, sort_keys=True)`` (a test
    checks it): the values may be as a prepared frame holds them or already normalized
    (:func:`normalize_value` gives the same for both). A list of texts, and an obstacle list of
    plain records, is encoded once per distinct value (such columns repeat a handful of them);
    anything else value by value.
    """
    kind = ASSET_COLUMNS.get(field, "json")
    seen: dict[Any, str] = {}
    out: list[str | None] = []
    for v in values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values:
        key = _list_key(kind, v) if type(v) is list else None
        if key is not None:
            text = seen.get(key)
            if text is None:
                text = seen[key] = _dumps(normalize_value(field, v))
            out.append(text)
            continue
        norm = normalize_value(field, v)
        out.append(None if norm is None else _dumps(norm))
    return out


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _list_key(kind: str, v: list[Any]) -> tuple[Any, ...] | None:
    """A key that equals another list's exactly when :func:`normalize_value` gives both the same
    record (None when the list is not plain enough to tell cheaply)."""
    if kind == "list[str]":
        return tuple(v) if all(type(x) is str for x in v) else None
    if kind != "list[obstacle]":
        return None
    key: list[Any] = []
    for o in v:
        if type(o) is not dict:
            return None
        k, d, days = o.get("kind"), o.get("description"), o.get("delay_days")
        if type(k) is not str or not (d is None or type(d) is str):
            return None
        if days is None:
            day_key = None
        elif type(days) in (int, float):
            if days != days:  # NaN: missing, as None
                day_key = None
            else:
                try:
                    day_key = float(days).hex()  # tells -0.0 from 0.0, as the text does
                except OverflowError:
                    return None
        else:
            return None
        key.append((k, d, day_key))
    return tuple(key)


def create_record(value: Any) -> dict[str, Any]:
    """The record of a ``create`` event as stores return it: a dict (a create that refers to
    its asset row, read back from the row) or JSON text (the full record, as older versions
    wrote every create)."""
    return value if isinstance(value, dict) else json.loads(value)


def encode_record(value: Any) -> Any:
    """An event value as stored: a create's dict record becomes its JSON text; text and None
    stay as they are."""
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def records_from_rows(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The records of by-reference ``create`` events, from their asset rows as stored.

    ``columns`` maps each field of :data:`EVENT_FIELDS` to its stored values, one per event, as
    the store's asset table holds them (numbers, 0/1 for booleans, ISO texts for dates, JSON
    text for lists and ``extra``); missing fields count as None. A stored JSON text was written
    from normalized values, so it is read back as it is.
    """
    n = len(next(iter(columns.values()))) if columns else 0
    out: dict[str, list[Any]] = {}
    for f in EVENT_FIELDS:
        col = columns.get(f)
        if col is None:
            out[f] = [None] * n
        elif f in _JSON_FIELDS:
            out[f] = [
                None if v is None else json.loads(v) if isinstance(v, str) else v for v in col
            ]
        else:
            out[f] = normalize_column(f, col)
    return [dict(zip(EVENT_FIELDS, vals, strict=True)) for vals in zip(*out.values(), strict=True)]


#: Fields kept as JSON text in a store's asset table.
_JSON_FIELDS = ("tenure", "obstacles", "extra")


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
            out[col] = parse_stored_dates(out[col]).to_numpy()
    return out


def valid_cutoff(as_of: date | datetime | str) -> pd.Timestamp:
    """The last instant an ``as_of`` covers: a date means the whole day, a date-time itself."""
    ts = check_date(as_of) if not isinstance(as_of, pd.Timestamp) else as_of
    if ts == ts.normalize():
        return ts + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return ts


def order_events(events: pd.DataFrame) -> pd.DataFrame:
    """Sort events in application order: valid time, then recording order."""
    ev = events.copy()
    ev["_valid"] = parse_stored_dates(ev["valid_at"]).to_numpy()
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
    records = [create_record(v) for v in alive["value"]]
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
    status[is_create] = [create_record(v).get("status") for v in ev["value"].to_numpy()[is_create]]
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
