"""The stock of idle and low-efficiency land and floor area, at any date.

Every figure comes from the inventory as it stood on the date asked for: the store's
as-of replay of the event history (:meth:`assetmatch.Inventory.assets` with ``as_of``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from .._errors import Problem, ValidationError
from ..store.history import IDLE_STATUSES
from ..units import MU_M2
from . import _events, _plot

logger = logging.getLogger(__name__)

__all__ = ["plot_stock", "stock", "stock_over_time"]

_GROUPABLE = ("district", "kind", "status", "land_use", "land_class")


def _check_by(by: Sequence[str]) -> list[str]:
    by = [by] if isinstance(by, str) else list(by)
    bad = [b for b in by if b not in _GROUPABLE]
    if bad:
        raise ValidationError(
            "bad by",
            [Problem(None, "by", f"expected some of {_GROUPABLE}; got {b!r}") for b in bad],
        )
    return by


def _summarise(assets: pd.DataFrame, by: list[str], statuses: Iterable[str] | None) -> pd.DataFrame:
    a = assets
    if statuses is not None:
        a = a[a["status"].isin(list(statuses))]
    frame = pd.DataFrame(
        {
            **{b: a[b].fillna("(unknown)").astype(str) for b in by},
            "land_area_mu": pd.to_numeric(a["land_area_m2"], errors="coerce") / MU_M2,
            "building_area_m2": pd.to_numeric(a["building_area_m2"], errors="coerce"),
        },
        index=a.index,
    )
    if not by:
        frame["_all"] = "all"
    keys = by or ["_all"]
    out = (
        frame.groupby(keys, sort=True)
        .agg(
            n_assets=("land_area_mu", "size"),
            land_area_mu=("land_area_mu", "sum"),
            building_area_m2=("building_area_m2", "sum"),
        )
        .reset_index()
    )
    return out.drop(columns="_all") if not by else out


def stock(
    inventory: Any,
    as_of: Any = None,
    *,
    by: Sequence[str] = ("district", "kind", "status"),
    statuses: Iterable[str] | None = IDLE_STATUSES,
) -> pd.DataFrame:
    """Land and floor area of the stock, grouped, as the inventory stood on a date.

    Parameters
    ----------
    inventory
        An :class:`assetmatch.Inventory`.
    as_of
        The date (default: the current state); replayed from the event history.
    by
        Columns to group by, some of ``district, kind, status, land_use, land_class``.
    statuses
        Statuses counted (default ``idle`` and ``low_efficiency``); ``None`` for all.

    Returns
    -------
    DataFrame: the ``by`` columns, ``n_assets``, ``land_area_mu`` (mu, 2000/3 m²) and
    ``building_area_m2`` (floor area, m²); a missing group value reads ``(unknown)``.
    """
    by = _check_by(by)
    if as_of is not None:
        as_of = _events.as_timestamp(as_of, "as_of")
    a = inventory.assets(as_of, derived=False)
    return _summarise(a, by, statuses)


def stock_over_time(
    inventory: Any,
    dates: Iterable[Any] | None = None,
    *,
    freq: str = "Q",
    by: Sequence[str] = ("district",),
    statuses: Iterable[str] | None = IDLE_STATUSES,
) -> pd.DataFrame:
    """:func:`stock` at several dates, in one long table with a ``date`` column.

    Parameters
    ----------
    dates
        The dates; default the period ends (``freq``) from the first event to the
        inventory's state date.
    freq
        ``"Q"`` quarters, ``"M"`` months or ``"Y"`` years when ``dates`` is not given.
    by, statuses
        As for :func:`stock`.
    """
    by = _check_by(by)
    if dates is None:
        ev = inventory.events()
        if ev.empty:
            return pd.DataFrame(
                columns=["date", *by, "n_assets", "land_area_mu", "building_area_m2"]
            )
        end = pd.Timestamp(inventory.as_of or pd.Timestamp.today())
        when = _events.period_ends(ev["valid_at"].min(), end, freq)
    else:
        when = [_events.as_timestamp(d, "dates") for d in dates]
    frames = []
    for i, d in enumerate(when, 1):
        logger.info("stock at %s (%d of %d dates)", d.date(), i, len(when))
        f = _summarise(inventory.assets(d, derived=False), by, statuses)
        f.insert(0, "date", d)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def plot_stock(frame: pd.DataFrame, *, value: str = "land_area_mu", by: str | None = None) -> Any:
    """Stacked bars of a :func:`stock_over_time` (or :func:`stock`) table.

    Parameters
    ----------
    frame
        The table.
    value
        ``land_area_mu``, ``building_area_m2`` or ``n_assets``.
    by
        The column the bars are stacked by (default: the first grouping column).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _events.check_columns(frame, [value], "the stock table")
    groups = [c for c in frame.columns if c in _GROUPABLE]
    by = by or (groups[0] if groups else None)
    x = "date" if "date" in frame.columns else (groups[1] if len(groups) > 1 else by)
    fig, ax = _plot.figure()
    if by is None or x is None:
        ax.bar(["all"], [frame[value].sum()])
    else:
        table = frame.pivot_table(index=x, columns=by, values=value, aggfunc="sum", fill_value=0)
        labels = [d.strftime("%Y-%m-%d") for d in table.index] if x == "date" else list(table.index)
        bottom = None
        for col in table.columns:
            ax.bar(labels, table[col].to_numpy(), bottom=bottom, label=str(col))
            bottom = table[col].to_numpy() if bottom is None else bottom + table[col].to_numpy()
        ax.legend(title=by, fontsize=8)
        if x == "date":
            ax.tick_params(axis="x", labelrotation=45)
    units = {"land_area_mu": "land area (mu)", "building_area_m2": "floor area (m²)"}
    ax.set_ylabel(units.get(value, value))
    ax.set_title("Idle and low-efficiency stock" if by else "Stock")
    return fig
