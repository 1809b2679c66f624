"""Idle clocks: how long sites have stood idle, and which reach a statutory point soon.

Two different clocks, kept apart:

* **days idle** — since when the inventory has listed a site ``idle`` or
  ``low_efficiency`` (from the status history, or the declared ``idle_since`` when earlier).
  A monitoring figure, with no legal weight.
* **the statutory idle-land clocks** of 《闲置土地处置办法》 (国土资源部令第53号), read by
  :func:`assetmatch.domain.idle.idle_land_clocks`: they run from a supplied parcel's agreed
  start-of-development date, and reaching one means an investigation *may* be started, not
  that a fee is due. A finished plant standing empty and low-efficiency land have none.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._errors import Problem, ValidationError
from ..domain.idle import idle_land_clocks
from . import _events, _plot

__all__ = ["idle_clocks", "plot_idle_days"]

_POINTS = {"idle_land_from": "idle_land", "reclaim_proposal_from": "reclaim_proposal"}


def idle_clocks(
    inventory: Any,
    as_of: Any = None,
    *,
    within_days: int | None = None,
    lang: str = "zh",
) -> pd.DataFrame:
    """Days idle and the statutory idle-land clocks of every site that has one running.

    Parameters
    ----------
    inventory
        An :class:`assetmatch.Inventory`.
    as_of
        The date the clocks are read (default: the inventory's state date).
    within_days
        Keep only the sites whose next statutory point (idle land from, reclaim proposal
        from) falls within this many days after ``as_of`` (inclusive).
    lang
        Language of the ``reason`` column.

    Returns
    -------
    DataFrame indexed by ``asset_id``: ``name, district, kind, status``, ``idle_since``
    (start of the current idle spell), ``idle_days`` (days idle at ``as_of``), then the
    statutory clocks: ``idle_land_state``, ``clock_start``, ``idle_land_from``,
    ``reclaim_proposal_from``, ``next_point`` (``idle_land`` / ``reclaim_proposal``: the next
    one still ahead), ``next_date``, ``days_to_next`` and ``reason``. Rows: sites idle at
    ``as_of`` or whose statutory clock runs (``may_investigate``/``running``), the soonest
    next point first.
    """
    if within_days is not None and (not isinstance(within_days, int) or within_days < 0):
        raise ValidationError(
            "bad within_days",
            [Problem(None, "within_days", f"expected an int >= 0; got {within_days!r}")],
        )
    when = (
        _events.as_timestamp(as_of, "as_of")
        if as_of is not None
        else pd.Timestamp(inventory.as_of or pd.Timestamp.today()).normalize()
    )
    a = inventory.assets(when)
    cols = ["name", "district", "kind", "status"]
    out = a[cols].copy()
    # the spell start the inventory counts from (declared idle_since when earlier)
    out["idle_since"] = when - pd.to_timedelta(a["idle_days"], unit="D")
    out["idle_days"] = a["idle_days"]
    stat = idle_land_clocks(a, when, lang=lang)
    keep = out["idle_days"].notna().to_numpy().copy()
    for c in ("idle_land_state", "clock_start", "idle_land_from", "reclaim_proposal_from"):
        out[c] = stat[c]
    nxt = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    point = pd.Series(None, index=out.index, dtype=object)
    for col in ("reclaim_proposal_from", "idle_land_from"):  # the earlier one wins
        d = pd.to_datetime(out[col]).astype("datetime64[ns]")
        upcoming = d.notna() & (d >= when) & (nxt.isna() | (d <= nxt))
        nxt = nxt.where(~upcoming, d)
        point = point.where(~upcoming, _POINTS[col])
    out["next_point"] = point
    out["next_date"] = nxt
    out["days_to_next"] = (nxt - when).dt.days.astype("float64")
    out["reason"] = stat["reason"]
    running = stat["idle_land_state"].isin(["may_investigate", "running"]).to_numpy()
    keep |= running
    if within_days is not None:
        keep &= (out["days_to_next"] <= within_days).fillna(False).to_numpy()
    return out[keep].sort_values(
        ["days_to_next", "idle_days"], ascending=[True, False], na_position="last"
    )


def plot_idle_days(clocks: pd.DataFrame, *, by: str = "district") -> Any:
    """Histogram of days idle (a :func:`idle_clocks` table), stacked by ``by``.

    Dashed lines mark one and two years idle — for orientation only: the statutory clocks
    run from the agreed start date, not from the day a site was listed idle.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _events.check_columns(clocks, ["idle_days", by], "the idle-clock table")
    fig, ax = _plot.figure()
    days = clocks["idle_days"].dropna()
    if days.empty:
        ax.text(0.5, 0.5, "no idle sites", ha="center", va="center", transform=ax.transAxes)
        return fig
    bins = np.arange(0, days.max() + 91, 90)
    groups = clocks.loc[days.index, by].fillna("(unknown)").astype(str)
    names = sorted(groups.unique())
    ax.hist([days[groups == g] for g in names], bins=bins, stacked=True, label=names)
    for d, text in ((365, "1 year"), (730, "2 years")):
        ax.axvline(d, color="0.3", linestyle="--", linewidth=1)
        ax.text(d, ax.get_ylim()[1] * 0.95, f" {text}", va="top", fontsize=8)
    ax.set_xlabel("days idle (inventory status; not the statutory clock)")
    ax.set_ylabel("sites")
    ax.legend(title=by, fontsize=8)
    ax.set_title("How long the idle and low-efficiency sites have stood idle")
    return fig
