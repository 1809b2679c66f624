"""Offers: which investor a site has been promised to, read from the event history.

An offer is an event of kind ``offer`` (field ``offered_to``, value the investor's name as
JSON) in the same append-only history as every other change, so it is kept on both stores,
listed by ``Inventory.history`` and never overwritten. A later ``offer`` event of the same
asset replaces it; one whose value is ``null`` withdraws it. An asset's *open offer* is its
last offer event (valid time, then recording order) when that names an investor.

Offers do not change the asset's fields: the replay that rebuilds assets ignores them.
"""

from __future__ import annotations

import json
from typing import Any, Final

import pandas as pd

from . import history

#: Event kind and field of an offer.
OFFER_KIND: Final = "offer"
OFFER_FIELD: Final = "offered_to"
#: Columns of :func:`open_offers`.
OFFER_COLUMNS: Final = ("asset_id", "investor", "offered_at", "recorded_at", "author", "note")


def encode_investor(investor: str | None) -> str | None:
    """The stored value of an offer event (``None`` withdraws)."""
    return None if investor is None else json.dumps(investor, ensure_ascii=False)


def decode_investor(value: Any) -> str | None:
    """The investor named by a stored offer value."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    out = json.loads(value)
    return None if out is None else str(out)


def open_offers(events: pd.DataFrame, as_of: Any = None) -> pd.DataFrame:
    """The open offer of every asset, from its events (see the module docstring).

    Parameters
    ----------
    events
        Stored events (any kinds; only ``offer`` events are read).
    as_of
        Only events valid by that date count (default: all).

    Returns
    -------
    pandas.DataFrame
        :data:`OFFER_COLUMNS`, one row per asset with an open offer, ordered by asset id.
    """
    ev = events[events["kind"] == OFFER_KIND] if len(events) else events
    if not len(ev):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in OFFER_COLUMNS})
    ev = history.order_events(ev)
    if as_of is not None:
        ev = ev[(ev["_valid"] <= history.valid_cutoff(as_of)).to_numpy()]
    last = ev.groupby("asset_id", sort=True).tail(1)
    out = pd.DataFrame(
        {
            "asset_id": last["asset_id"].astype(str).to_numpy(),
            "investor": [decode_investor(v) for v in last["value"]],
            "offered_at": last["valid_at"].to_numpy(),
            "recorded_at": last["recorded_at"].to_numpy(),
            "author": last["author"].to_numpy(),
            "note": last["note"].to_numpy(),
        }
    )
    out = out[out["investor"].notna()].sort_values("asset_id")
    return out.reset_index(drop=True)[list(OFFER_COLUMNS)]
