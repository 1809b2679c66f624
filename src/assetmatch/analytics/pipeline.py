"""The deal pipeline from the status history: offers, negotiations, deals, time to take.

A site enters a *stage* when its status changes into it (or is created in it):

* **offer** — into an offerable status from a non-offerable one (``idle``, ``low_efficiency``,
  ``available``; ``negotiating`` counts as still on offer);
* **negotiation** — into ``negotiating``;
* **deal** — into ``leased`` or ``transferred``.

A site's creation starts no stage: it is the stock the history starts from (a site entered on
offer still starts its offer spell that day, for the time to take).

The *time to take* of a deal is the number of days from the start of the offer spell it ended
(the last time the site became offerable) to the deal.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..schema import OFFERABLE_STATUSES
from . import _events, _plot

__all__ = ["DEAL_STATUSES", "pipeline", "plot_pipeline", "status_moves", "time_to_take"]

#: Statuses that close a deal.
DEAL_STATUSES = ("leased", "transferred")
_OFFER_OPEN = tuple(s for s in OFFERABLE_STATUSES if s != "negotiating")


def status_moves(inventory: Any) -> pd.DataFrame:
    """Every status change with the stage it starts.

    Returns
    -------
    DataFrame ``asset_id, valid_at, previous, status, stage`` (``offer``, ``negotiation``,
    ``deal`` or ``None``), in application order.
    """
    ch = _events.field_changes(inventory.events(), "status")
    ch = ch[ch["kind"] != "remove"].rename(columns={"value": "status"})
    prev_offerable = ch["previous"].isin(OFFERABLE_STATUSES)
    now = ch["status"]
    stage = np.select(
        [
            now.isin(DEAL_STATUSES) & ~ch["previous"].isin(DEAL_STATUSES),
            (now == "negotiating") & (ch["previous"] != "negotiating"),
            now.isin(_OFFER_OPEN) & ~prev_offerable,
        ],
        ["deal", "negotiation", "offer"],
        default="",
    )
    stage[(ch["kind"] == "create").to_numpy()] = ""  # the stock the history starts from
    ch["stage"] = pd.Series(stage, index=ch.index).replace("", None)
    return ch[["asset_id", "valid_at", "previous", "status", "stage"]].reset_index(drop=True)


def pipeline(
    inventory: Any, *, freq: str = "Q", start: Any = None, end: Any = None
) -> pd.DataFrame:
    """Offers, negotiations and deals started per period.

    Parameters
    ----------
    inventory
        An :class:`assetmatch.Inventory`.
    freq
        ``"Q"`` quarters, ``"M"`` months or ``"Y"`` years.
    start, end
        Count only stage changes valid in ``[start, end]`` (default: all).

    Returns
    -------
    DataFrame indexed by ``period`` (e.g. ``2024Q1``, every period of the span, zeros
    included) with the columns ``offers``, ``negotiations``, ``deals``.
    """
    _events.period_ends(pd.Timestamp("2000-01-01"), pd.Timestamp("2000-01-02"), freq)  # check
    moves = status_moves(inventory)
    moves = moves[moves["stage"].notna()]
    if start is not None:
        moves = moves[moves["valid_at"] >= _events.as_timestamp(start, "start")]
    if end is not None:
        moves = moves[moves["valid_at"] <= _events.as_timestamp(end, "end")]
    cols = {"offer": "offers", "negotiation": "negotiations", "deal": "deals"}
    if moves.empty:
        return pd.DataFrame(columns=list(cols.values()), index=pd.Index([], name="period"))
    code = str(freq).upper()
    periods = pd.DatetimeIndex(moves["valid_at"]).to_period(code)
    counts = pd.crosstab(periods, moves["stage"]).reindex(columns=list(cols), fill_value=0)
    full = pd.period_range(periods.min(), periods.max(), freq=code)
    counts = counts.reindex(full, fill_value=0).rename(columns=cols)
    counts.index = counts.index.astype(str).rename("period")
    counts.columns.name = None
    return counts.astype(int)


def time_to_take(inventory: Any) -> pd.DataFrame:
    """How long each deal's site was on offer before it was taken.

    Returns
    -------
    DataFrame ``asset_id, name, district, kind, offered_at, negotiation_at`` (first
    negotiation within the spell, NaT without), ``deal_at, status`` (leased/transferred) and
    ``days_to_take`` (offered_at → deal_at); deals of sites never on offer in the history
    (already let when first recorded) are left out.
    """
    moves = status_moves(inventory)
    rows = []
    for aid, m in moves.groupby("asset_id", sort=False):
        offered = negotiating = None
        for r in m.itertuples(index=False):
            if r.status in OFFERABLE_STATUSES and (
                r.previous is None or r.previous not in OFFERABLE_STATUSES
            ):
                offered, negotiating = r.valid_at, None
            if r.stage == "negotiation" and negotiating is None and offered is not None:
                negotiating = r.valid_at
            if r.stage == "deal" and offered is not None:
                rows.append((aid, offered, negotiating, r.valid_at, r.status))
                offered = negotiating = None
    out = pd.DataFrame(
        rows, columns=["asset_id", "offered_at", "negotiation_at", "deal_at", "status"]
    )
    for c in ("offered_at", "negotiation_at", "deal_at"):
        out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    out["days_to_take"] = (out["deal_at"] - out["offered_at"]).dt.days
    a = inventory.assets(derived=False)
    facts = a[["name", "district", "kind"]].reindex(out["asset_id"]).reset_index(drop=True)
    out = pd.concat([out[["asset_id"]], facts, out.drop(columns="asset_id")], axis=1)
    return out.sort_values("deal_at").reset_index(drop=True)


def plot_pipeline(counts: pd.DataFrame, takes: pd.DataFrame | None = None) -> Any:
    """Offers, negotiations and deals per period; beside it, days to take per deal.

    Parameters
    ----------
    counts
        A :func:`pipeline` table.
    takes
        A :func:`time_to_take` table (optional second panel: a histogram of days to take).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _events.check_columns(counts, ["offers", "negotiations", "deals"], "the pipeline table")
    fig, axes = _plot.figure(11 if takes is not None else 8, 4.5, 2 if takes is not None else 1)
    ax = axes[0] if takes is not None else axes
    x = np.arange(len(counts))
    for i, col in enumerate(("offers", "negotiations", "deals")):
        ax.bar(x + (i - 1) * 0.27, counts[col].to_numpy(), width=0.27, label=col)
    ax.set_xticks(x, list(counts.index), rotation=45)
    ax.set_ylabel("sites entering the stage")
    ax.set_title("Pipeline per period")
    ax.legend(fontsize=8)
    if takes is not None:
        ax2 = axes[1]
        days = takes["days_to_take"].dropna()
        ax2.hist(days, bins=min(20, max(5, len(days) // 3)) if len(days) else 5, color="#4575b4")
        if len(days):
            ax2.axvline(days.median(), color="k", ls="--", lw=1)
            ax2.text(
                days.median(),
                ax2.get_ylim()[1] * 0.95,
                f" median {days.median():.0f} d",
                va="top",
                fontsize=8,
            )
        ax2.set_xlabel("days from offer to deal")
        ax2.set_ylabel("deals")
        ax2.set_title("Time to take")
    return fig
