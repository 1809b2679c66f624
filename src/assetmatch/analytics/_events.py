"""Field histories from the event table: the value of one field per asset over time.

Private helpers of the monitoring functions. They read the tidy frame of
:meth:`assetmatch.Inventory.events` and never touch a store.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from .._errors import Problem, ValidationError
from ..store import history


def as_timestamp(value: Any, field: str) -> pd.Timestamp:
    """A date parameter as a Timestamp, or a ValidationError naming the parameter."""
    try:
        return history.check_date(value)
    except ValueError as exc:
        raise ValidationError(f"bad {field}", [Problem(None, field, str(exc))]) from None


def field_changes(events: pd.DataFrame, field: str) -> pd.DataFrame:
    """Every value ``field`` took, per asset, in application order.

    The value given at creation counts as the first change; a ``remove`` sets the value to
    ``None`` (the asset left the inventory).

    Parameters
    ----------
    events
        The frame of :meth:`assetmatch.Inventory.events` (application order).
    field
        A canonical asset field, e.g. ``"status"`` or ``"rent_yuan_m2_month"``.

    Returns
    -------
    DataFrame ``asset_id, valid_at, event_id, kind, value, previous`` where ``previous`` is the
    value before this change (``None`` at creation).
    """
    kind = events["kind"].to_numpy()
    is_create = kind == "create"
    is_update = (kind == "update") & (events["field"].to_numpy() == field)
    is_remove = kind == "remove"
    keep = is_create | is_update | is_remove
    sub = events.loc[keep, ["asset_id", "valid_at", "event_id", "kind", "value"]].copy()
    values = [
        (v.get(field) if isinstance(v, dict) else None)
        if k == "create"
        else (None if k == "remove" else v)
        for k, v in zip(sub["kind"], sub["value"], strict=True)
    ]
    sub["value"] = pd.Series(values, index=sub.index, dtype=object)
    prev = sub.groupby("asset_id", sort=False)["value"].shift(1)
    sub["previous"] = prev.astype(object).where(sub["kind"] != "create", None)
    return sub.reset_index(drop=True)


def value_at(changes: pd.DataFrame, when: pd.Timestamp) -> pd.Series:
    """The value in force at the end of day ``when`` per asset (assets alive then only)."""
    cut = history.valid_cutoff(pd.Timestamp(when))
    sub = changes[changes["valid_at"] <= cut]
    last = sub.groupby("asset_id", sort=False).tail(1).set_index("asset_id")
    alive = last["kind"] != "remove"
    return last.loc[alive, "value"]


def period_ends(start: pd.Timestamp, end: pd.Timestamp, freq: str) -> list[pd.Timestamp]:
    """Ends of the periods (``"Q"`` quarters, ``"M"`` months, ``"Y"`` years) from start to end.

    The last period is cut at ``end`` when it has not ended yet.
    """
    code = {"Q": "QE", "M": "ME", "Y": "YE"}.get(str(freq).upper())
    if code is None:
        raise ValidationError(
            "bad freq",
            [Problem(None, "freq", f"expected 'Q', 'M' or 'Y'; got {freq!r}")],
        )
    ends = list(pd.date_range(start.normalize(), end.normalize(), freq=code))
    if not ends or ends[-1] < end.normalize():
        ends.append(end.normalize())
    return ends


def period_of(dates: pd.Series, freq: str) -> pd.Series:
    """The period each date falls in, as text (``2024Q1``, ``2024-03``, ``2024``)."""
    code = {"Q": "Q", "M": "M", "Y": "Y"}[str(freq).upper()]
    return pd.DatetimeIndex(dates).to_period(code).astype(str).to_series(index=dates.index)


def check_columns(frame: pd.DataFrame, needed: Iterable[str], what: str) -> None:
    """Refuse a frame that lacks columns, naming every missing one."""
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"{what} lacks columns", [Problem(None, c, "missing column") for c in missing]
        )


def as_float(values: Any) -> np.ndarray:
    """Values as float64 (None → NaN)."""
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(float)
