"""Monitoring the inventory: the stock, idle clocks, low-efficiency land, rents, pipeline, alerts.

Each function takes an :class:`assetmatch.Inventory` and returns a DataFrame; each ``plot_*``
function takes such a table and returns a matplotlib Figure (needs the ``plot`` extra).

>>> from assetmatch import analytics                  # doctest: +SKIP
>>> analytics.stock(inv, as_of="2024-03-31")          # doctest: +SKIP
"""

from __future__ import annotations

from .alerts import ALERT_KINDS, alerts
from .efficiency import (
    efficiency,
    load_thresholds,
    low_efficiency_candidates,
    mark_low_efficiency,
    plot_efficiency,
)
from .idle import idle_clocks, plot_idle_days
from .pipeline import pipeline, plot_pipeline, status_moves, time_to_take
from .rents import plot_rent_trends, rent_trends, rent_vs_surroundings, rents_at
from .stock import plot_stock, stock, stock_over_time

__all__ = [
    "ALERT_KINDS",
    "alerts",
    "efficiency",
    "idle_clocks",
    "load_thresholds",
    "low_efficiency_candidates",
    "mark_low_efficiency",
    "pipeline",
    "plot_efficiency",
    "plot_idle_days",
    "plot_pipeline",
    "plot_rent_trends",
    "plot_stock",
    "rent_trends",
    "rent_vs_surroundings",
    "rents_at",
    "status_moves",
    "stock",
    "stock_over_time",
    "time_to_take",
]
