"""The report's small charts: a site's score by criterion, and its rent history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ._mpl import ACCENT, INK, MUTED, RULE, WARN, figure_style, new_figure, to_svg

__all__ = ["rent_chart", "score_chart"]


def score_chart(
    names: Sequence[str],
    weights: Sequence[float],
    scores: Sequence[float],
    shortfall: Sequence[bool],
) -> str:
    """Horizontal bars: each criterion's weight (the frame) and what the site earned of it.

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
    str
        SVG text.
    """
    n = len(names)
    with figure_style():
        fig = new_figure(8.2, 0.55 * n + 1.0)
        ax = fig.add_axes((0.30, 0.14, 0.60, 0.84))
        ys = list(range(n))[::-1]
        top = max(weights) if n else 1.0
        ax.barh(ys, weights, height=0.62, color="white", edgecolor=RULE, linewidth=0.8)
        earned = [w * s for w, s in zip(weights, scores, strict=True)]
        colours = [WARN if bad else ACCENT for bad in shortfall]
        ax.barh(ys, earned, height=0.62, color=colours, linewidth=0)
        for y, w, e, s in zip(ys, weights, earned, scores, strict=True):
            ax.text(
                w + top * 0.03,
                y,
                f"{e * 100:.1f} / {w * 100:.1f}",
                va="center",
                ha="left",
                fontsize=6.5,
                color=MUTED,
            )
            del s
        ax.set_yticks(ys, list(names), fontsize=7.5, color=INK)
        ax.set_xlim(0, top * 1.45)
        ax.set_ylim(-0.6, n - 0.4)
        ax.tick_params(axis="y", length=0)
        ax.tick_params(axis="x", labelsize=6.5)
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v * 100:.0f}")
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        return to_svg(fig)


def rent_chart(
    points: Sequence[tuple[date, float]],
    as_of: date,
    *,
    ceiling: float | None = None,
    unit: str = "",
    ceiling_label: str = "",
) -> str:
    """A step line of the asking rent over time, up to ``as_of``.

    Parameters
    ----------
    points
        (date it took effect, rent) pairs, oldest first.
    as_of
        The report's date: the last step runs to it.
    ceiling
        The investor's rent ceiling, drawn dashed when given.
    unit
        Unit label of the y axis.
    ceiling_label
        Label of the ceiling line.

    Returns
    -------
    str
        SVG text.
    """
    import matplotlib.dates as mdates

    with figure_style():
        fig = new_figure(8.2, 3.6)
        ax = fig.add_axes((0.13, 0.2, 0.84, 0.72))
        xs = [p[0] for p in points] + [max(as_of, points[-1][0])]
        ys = [p[1] for p in points] + [points[-1][1]]
        ax.step(xs, ys, where="post", color=ACCENT, linewidth=1.4)
        ax.plot(xs[:-1], ys[:-1], "o", color=ACCENT, markersize=3)
        lo, hi = min(ys), max(ys)
        if ceiling is not None:
            ax.axhline(ceiling, color=WARN, linewidth=0.8, linestyle=(0, (4, 2)))
            ax.text(
                xs[0],
                ceiling,
                f" {ceiling_label}",
                va="bottom",
                ha="left",
                fontsize=6.5,
                color=WARN,
            )
            lo, hi = min(lo, ceiling), max(hi, ceiling)
        pad = max((hi - lo) * 0.25, 1.0)
        ax.set_ylim(max(0.0, lo - pad), hi + pad)
        ax.set_ylabel(unit, fontsize=6.5, color=MUTED)
        loc = mdates.AutoDateLocator(minticks=3, maxticks=6)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
        ax.tick_params(labelsize=6.5)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.grid(axis="y", color=RULE, linewidth=0.4)
        return to_svg(fig)
