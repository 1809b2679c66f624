"""What changed since a date: new idle sites, price drops, obstacles solved, new fits.

Read from the event history (valid time), so a correction entered late with an earlier date
shows up where it belongs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..store.history import IDLE_STATUSES
from . import _events

__all__ = ["ALERT_KINDS", "alerts"]

#: The kinds of alert, in the order they are listed.
ALERT_KINDS = ("new_idle", "price_drop", "obstacle_solved", "fits_brief")
_PRICES = {"rent_yuan_m2_month": "rent", "land_price_yuan_mu": "land price"}
_COLUMNS = ["at", "asset_id", "name", "alert", "detail", "old", "new"]


def _obstacle_kinds(v: Any) -> set[str]:
    if not isinstance(v, list):
        return set()
    return {str(o.get("kind")) for o in v if isinstance(o, dict)}


def _briefs(briefs: Any) -> list[tuple[str, Any]]:
    if briefs is None:
        return []
    if isinstance(briefs, Mapping):
        return [(str(k), v) for k, v in briefs.items()]
    if isinstance(briefs, Sequence) and not isinstance(briefs, str):
        return [(getattr(b, "investor", None) or f"brief {i + 1}", b) for i, b in enumerate(briefs)]
    return [(getattr(briefs, "investor", None) or "brief", briefs)]


def alerts(
    inventory: Any,
    since: Any,
    *,
    until: Any = None,
    briefs: Any = None,
    top: int = 10,
) -> pd.DataFrame:
    """What needs attention: changes valid after ``since`` (up to ``until``).

    Parameters
    ----------
    inventory
        An :class:`assetmatch.Inventory`.
    since
        Changes valid strictly after this date count.
    until
        The last date counted (default: every later event).
    briefs
        Open briefs (a :class:`~assetmatch.Requirements`, a list, or a mapping name →
        brief): a site ranked in the top ``top`` for a brief now (at ``until``, or the
        current state) but not at ``since`` gets a ``fits_brief`` alert.
    top
        Shortlist length for ``briefs``.

    Returns
    -------
    DataFrame ``at`` (valid date), ``asset_id``, ``name``, ``alert`` (one of
    :data:`ALERT_KINDS`), ``detail`` (text), ``old``, ``new``: newest first within each kind,
    kinds in the order of :data:`ALERT_KINDS`.

    ``new_idle``: a site whose status became ``idle`` or ``low_efficiency`` (or that was
    entered so) from another status; ``price_drop``: an asking rent or land price lowered;
    ``obstacle_solved``: an obstacle kind no longer listed.
    """
    lo = _events.as_timestamp(since, "since")
    after = lo + pd.Timedelta(days=1)
    ev = inventory.events(until=until)
    rows: list[dict[str, Any]] = []

    def window(ch: pd.DataFrame) -> pd.DataFrame:
        return ch[(ch["valid_at"] >= after) & (ch["kind"] != "remove")]

    st = window(_events.field_changes(ev, "status"))
    idle_now = st["value"].isin(IDLE_STATUSES)
    idle_before = st["previous"].isin(IDLE_STATUSES)
    for r in st[idle_now & ~idle_before].itertuples(index=False):
        rows.append(
            {
                "at": r.valid_at,
                "asset_id": r.asset_id,
                "alert": "new_idle",
                "detail": f"status {r.previous or '(new)'} → {r.value}",
                "old": r.previous,
                "new": r.value,
            }
        )
    for field, label in _PRICES.items():
        ch = window(_events.field_changes(ev, field))
        new = _events.as_float(ch["value"])
        old = _events.as_float(ch["previous"])
        drop = np.isfinite(new) & np.isfinite(old) & (new < old)
        for r, o, n in zip(ch[drop].itertuples(index=False), old[drop], new[drop], strict=True):
            rows.append(
                {
                    "at": r.valid_at,
                    "asset_id": r.asset_id,
                    "alert": "price_drop",
                    "detail": f"{label} {o:g} → {n:g} ({n / o - 1:+.0%})",
                    "old": o,
                    "new": n,
                }
            )
    ob = window(_events.field_changes(ev, "obstacles"))
    ob = ob[ob["kind"] == "update"]
    for r in ob.itertuples(index=False):
        gone = sorted(_obstacle_kinds(r.previous) - _obstacle_kinds(r.value))
        if gone:
            rows.append(
                {
                    "at": r.valid_at,
                    "asset_id": r.asset_id,
                    "alert": "obstacle_solved",
                    "detail": "solved: " + ", ".join(gone),
                    "old": r.previous,
                    "new": r.value,
                }
            )
    if briefs is not None:
        from ..match import match

        now = until if until is not None else None
        for name, req in _briefs(briefs):
            res_now = match(req, inventory=inventory, top=top, as_of=now, near_misses=0)
            res_then = match(req, inventory=inventory, top=top, as_of=lo, near_misses=0)
            before = set(res_then.table["asset_id"])
            for r in res_now.table.itertuples(index=False):
                if r.asset_id not in before:
                    rows.append(
                        {
                            "at": pd.Timestamp(res_now.as_of),
                            "asset_id": r.asset_id,
                            "alert": "fits_brief",
                            "detail": f"{name}: rank {r.rank}, score {r.score:.2f} "
                            f"(not in the top {top} on {lo.date()})",
                            "old": None,
                            "new": r.rank,
                        }
                    )
    out = pd.DataFrame(rows, columns=[c for c in _COLUMNS if c != "name"])
    if out.empty:
        return pd.DataFrame(columns=_COLUMNS)
    names = inventory.assets(derived=False)["name"]
    out.insert(2, "name", names.reindex(out["asset_id"]).to_numpy())
    out["_k"] = out["alert"].map({k: i for i, k in enumerate(ALERT_KINDS)})
    out = out.sort_values(["_k", "at"], ascending=[True, False], kind="mergesort")
    return out.drop(columns="_k").reset_index(drop=True)
