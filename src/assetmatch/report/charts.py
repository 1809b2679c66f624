"""The report's small charts as data for the layout: a site's score by criterion, its rent history.

The charts are drawn by the layout itself (Typst boxes and lines) from the numbers computed
here, not by matplotlib: their labels are then real text in the report's font and weight, and
they cost nothing to draw — as matplotlib SVG they took 0.4–0.6 s each on this project's
2-core machine, which alone would have put a 100-site report over its 30-second goal. The maps,
which need geometry, stay in matplotlib (:mod:`assetmatch.report.maps`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

__all__ = ["rent_series", "score_bars"]


def score_bars(
    names: Sequence[str],
    weights: Sequence[float],
    scores: Sequence[float],
    shortfall: Sequence[bool],
) -> list[dict[str, Any]]:
    """One bar per criterion: its weight (the frame) and what the site earned of it.

    Parameters
    ----------
    names
        Criterion names, top to bottom.
    weights
        Normalised weights (they sum to 1).
    scores
        The site's score in [0, 1] per criterion.
    shortfall
        Whether the criterion falls short of the stated bound (drawn in the warning colour).

    Returns
    -------
    list of dict
        ``name``, ``weight`` and ``earned`` as fractions of the largest weight (bar lengths in
        [0, 1]), ``short`` and ``label`` (earned / weight in points of 100).
    """
    top = max(weights, default=0.0) or 1.0
    bars = []
    for name, w, s, bad in zip(names, weights, scores, shortfall, strict=True):
        earned = w * s
        bars.append(
            {
                "name": name,
                "weight": w / top,
                "earned": earned / top,
                "short": bool(bad),
                "label": f"{earned * 100:.1f} / {w * 100:.1f}",
            }
        )
    return bars


def _nice_step(span: float, n: int = 4) -> float:
    raw = span / max(n, 1)
    exp = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for m in (1, 2, 2.5, 5, 10):
        if m * exp >= raw:
            return m * exp
    return 10 * exp


def rent_series(
    points: Sequence[tuple[date, float]],
    as_of: date,
    *,
    ceiling: float | None = None,
) -> dict[str, Any]:
    """A step line of the asking rent up to ``as_of``, in chart coordinates.

    Parameters
    ----------
    points
        (date it took effect, rent) pairs, oldest first (at least one).
    as_of
        The report's date: the last step runs to it.
    ceiling
        The investor's rent ceiling, drawn dashed when given.

    Returns
    -------
    dict
        ``line``: the step line's vertices as ``[x, y]`` in [0, 1] (y up); ``dots``: the
        changes; ``xticks`` and ``yticks``: ``[position, label]``; ``ceiling``: its position
        or ``None``; ``last``: the current rent as text.
    """
    t0 = points[0][0]
    t1 = max(as_of, points[-1][0])
    span_days = max((t1 - t0).days, 30)
    values = [p[1] for p in points]
    lo, hi = min(values), max(values)
    if ceiling is not None:
        lo, hi = min(lo, ceiling), max(hi, ceiling)
    step = _nice_step(max(hi - lo, 1.0), 3)
    y0 = max(0.0, math.floor((lo - step * 0.5) / step) * step)
    y1 = math.ceil((hi + step * 0.5) / step) * step

    def x(d: date) -> float:
        return (d - t0).days / span_days

    def y(v: float) -> float:
        return (v - y0) / (y1 - y0)

    line: list[list[float]] = []
    for i, (d, v) in enumerate(points):
        if i:
            line.append([x(d), y(points[i - 1][1])])
        line.append([x(d), y(v)])
    line.append([x(t1), y(points[-1][1])])
    yticks = []
    k = 0
    while y0 + k * step <= y1 + 1e-9:
        v = y0 + k * step
        yticks.append([y(v), f"{v:g}"])
        k += 1
    years = span_days / 365.25
    months = 12 if years > 3 else 6 if years > 1.2 else 3
    xticks = []
    m = ((t0.month - 1) // months + 1) * months  # the first tick month after t0 (0-based)
    yr = t0.year + m // 12
    mo = m % 12 + 1
    while date(yr, mo, 1) <= t1:
        d = date(yr, mo, 1)
        xticks.append([x(d), f"{yr}" if months == 12 else f"{yr}-{mo:02d}"])
        mo += months
        while mo > 12:
            mo -= 12
            yr += 1
    return {
        "line": line,
        "dots": [[x(d), y(v)] for d, v in points],
        "xticks": xticks,
        "yticks": yticks,
        "ceiling": None if ceiling is None else y(ceiling),
        "last": f"{points[-1][1]:g}",
    }
