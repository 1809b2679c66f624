"""Rent trends from the event history: median and spread per period, against the surroundings.

The rent of a site at a date is its asking rent (``rent_yuan_m2_month``, yuan per m² of floor
area per month) in force at the end of that day, replayed from the events; sites removed by
then, or without a rent, do not count.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .._errors import Problem, ValidationError
from . import _events, _plot

logger = logging.getLogger(__name__)

__all__ = ["plot_rent_trends", "rent_trends", "rent_vs_surroundings", "rents_at"]

_RENT = "rent_yuan_m2_month"


def rents_at(inventory: Any, dates: Sequence[Any]) -> pd.DataFrame:
    """The rent, district and kind of every site with a rent, at each date.

    Returns
    -------
    Long DataFrame ``date, asset_id, district, kind, rent_yuan_m2_month``.
    """
    ev = inventory.events()
    when = [_events.as_timestamp(d, "dates") for d in dates]
    changes = {f: _events.field_changes(ev, f) for f in (_RENT, "district", "kind")}
    frames = []
    for d in when:
        rent = pd.to_numeric(_events.value_at(changes[_RENT], d), errors="coerce").dropna()
        f = pd.DataFrame({"asset_id": rent.index, _RENT: rent.to_numpy(float)})
        for col in ("district", "kind"):
            f[col] = _events.value_at(changes[col], d).reindex(rent.index).to_numpy()
        f.insert(0, "date", d)
        frames.append(f)
    cols = ["date", "asset_id", "district", "kind", _RENT]
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)[cols]


def rent_trends(
    inventory: Any,
    *,
    freq: str = "Q",
    by: Sequence[str] = ("district", "kind"),
    start: Any = None,
    end: Any = None,
) -> pd.DataFrame:
    """Median and spread of asking rents per period and group, against the surroundings.

    Parameters
    ----------
    inventory
        An :class:`assetmatch.Inventory`.
    freq
        ``"Q"`` quarters (default), ``"M"`` months or ``"Y"`` years; rents are read at each
        period's end (the last period at ``end``).
    by
        Grouping columns, some of ``district`` and ``kind``.
    start, end
        The time span (default: the first event to the inventory's state date).

    Returns
    -------
    DataFrame ``period`` (e.g. ``2024Q1``), ``date`` (the period end), the ``by`` columns,
    ``n`` (sites with a rent), ``median``, ``q25``, ``q75``, ``iqr`` (q75 − q25: the
    spread), ``surroundings_median`` (the median of the sites of the same kind in the *other*
    groups — for ``by=("district", "kind")`` the rest of the zone) and ``vs_surroundings``
    (median / surroundings_median − 1). Rents in yuan/m²/month.
    """
    by = [by] if isinstance(by, str) else list(by)
    bad = [b for b in by if b not in ("district", "kind")]
    if bad:
        raise ValidationError(
            "bad by",
            [Problem(None, "by", f"expected district and/or kind; got {b!r}") for b in bad],
        )
    ev = inventory.events()
    if ev.empty:
        return pd.DataFrame(columns=["period", "date", *by, "n", "median", "q25", "q75", "iqr"])
    lo = _events.as_timestamp(start, "start") if start is not None else ev["valid_at"].min()
    hi = (
        _events.as_timestamp(end, "end")
        if end is not None
        else pd.Timestamp(inventory.as_of or pd.Timestamp.today())
    )
    ends = _events.period_ends(lo, hi, freq)
    long = rents_at(inventory, ends)
    long["period"] = _events.period_of(long["date"], freq).to_numpy()
    for b in by:
        long[b] = long[b].fillna("(unknown)").astype(str)
    keys = ["period", "date", *by]
    g = long.groupby(keys, sort=True)[_RENT]
    out = g.agg(n="size", median="median").reset_index()
    out["q25"] = g.quantile(0.25).to_numpy()
    out["q75"] = g.quantile(0.75).to_numpy()
    out["iqr"] = out["q75"] - out["q25"]
    # the surroundings: same period and kind, outside the group
    same = ["period", "kind"] if "kind" in by and len(by) > 1 else ["period"]
    sur = []
    for row in out.itertuples(index=False):
        mask = long["period"] == row.period
        if "kind" in same:
            mask &= long["kind"] == row.kind
        inside = np.ones(len(long), dtype=bool)
        for b in by:
            if b not in same:
                inside &= (long[b] == getattr(row, b)).to_numpy()
        rest = long.loc[mask.to_numpy() & ~inside, _RENT]
        sur.append(float(rest.median()) if len(rest) else np.nan)
    out["surroundings_median"] = sur
    out["vs_surroundings"] = out["median"] / out["surroundings_median"] - 1
    return out


def rent_vs_surroundings(
    inventory: Any, as_of: Any = None, *, radius_m: float = 2000.0, same_kind: bool = True
) -> pd.DataFrame:
    """Each site's asking rent against the median rent of the sites around it.

    Parameters
    ----------
    inventory
        An :class:`assetmatch.Inventory` (store CRS in metres).
    as_of
        The date (default: the current state).
    radius_m
        The surroundings: other sites with a rent whose boundary lies within this distance
        (metres, in the store's projected CRS).
    same_kind
        Compare only with sites of the same kind (factory with factory).

    Returns
    -------
    DataFrame indexed by ``asset_id``: ``name, district, kind, rent_yuan_m2_month``,
    ``n_surroundings``, ``surroundings_median``, ``vs_surroundings`` (rent /
    surroundings_median − 1), cheapest relative to the surroundings first.
    """
    if not (isinstance(radius_m, int | float) and np.isfinite(radius_m) and radius_m > 0):
        raise ValidationError(
            "bad radius_m", [Problem(None, "radius_m", f"expected metres > 0; got {radius_m!r}")]
        )
    if as_of is not None:
        as_of = _events.as_timestamp(as_of, "as_of")
    a = inventory.assets(as_of, derived=False)
    a = a[a[_RENT].notna() & a.geometry.notna()]
    out = a[["name", "district", "kind", _RENT]].copy()
    geoms = a.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=radius_m)
    pairs = left != right
    if same_kind:
        kind = a["kind"].to_numpy()
        pairs &= kind[left] == kind[right]
    rent = a[_RENT].to_numpy(float)
    nb = pd.DataFrame({"i": left[pairs], "rent": rent[right[pairs]]})
    g = nb.groupby("i")["rent"]
    n = g.size().reindex(range(len(a)), fill_value=0).to_numpy()
    med = g.median().reindex(range(len(a))).to_numpy(float)
    out["n_surroundings"] = n
    out["surroundings_median"] = med
    out["vs_surroundings"] = out[_RENT] / out["surroundings_median"] - 1
    return out.sort_values("vs_surroundings", na_position="last")


def plot_rent_trends(trends: pd.DataFrame, *, kind: str | None = "factory") -> Any:
    """Median asking rent per period and district, with the interquartile band.

    Parameters
    ----------
    trends
        A :func:`rent_trends` table grouped by district (and kind).
    kind
        The kind of site drawn when the table is grouped by kind.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _events.check_columns(trends, ["period", "median", "q25", "q75"], "the rent-trend table")
    t = trends
    if "kind" in t.columns and kind is not None:
        t = t[t["kind"] == kind]
    fig, ax = _plot.figure()
    group = "district" if "district" in t.columns else None
    periods = sorted(t["period"].unique())
    x = {p: i for i, p in enumerate(periods)}
    for name, s in t.groupby(group) if group else [("all", t)]:
        xs = [x[p] for p in s["period"]]
        (line,) = ax.plot(xs, s["median"], marker="o", ms=3, label=str(name))
        ax.fill_between(xs, s["q25"], s["q75"], color=line.get_color(), alpha=0.15)
    ax.set_xticks(range(len(periods)), periods, rotation=45)
    ax.set_ylabel("asking rent (yuan/m²/month)")
    what = f" ({kind})" if kind and "kind" in trends.columns else ""
    ax.set_title(f"Median asking rent per quarter and district{what}; band = quartiles")
    ax.legend(title=group or "", fontsize=8)
    return fig
