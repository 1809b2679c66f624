"""Matplotlib set-up shared by the maps and charts: the report's font and byte-stable SVG.

Figures are made with the object-oriented API (no pyplot, no global figure state) and saved as
SVG with their text kept as text (``svg.fonttype = "none"``): the layout engine sets it in the
report's own font, so chart labels are real, searchable text in the PDF. Matplotlib still
measures the text with the same font file (given explicitly), so labels are placed for the
glyphs that will be drawn. IDs are salted with a fixed string and the date is left out, so the
same figure gives the same bytes.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Final

from .fonts import FONT_FAMILY, cjk_font

#: Index of the Simplified Chinese face in ``NotoSansCJK-VF.otf.ttc`` (JP, KR, SC, TC, HK).
_SC_INDEX: Final = 2
_SALT: Final = "assetmatch-report"

#: The report's palette: ink, muted text, rules, the highlighted site, conflicts.
INK: Final = "#1f2a36"
MUTED: Final = "#6b7785"
RULE: Final = "#c9d1da"
ACCENT: Final = "#1d5fa8"
WARN: Final = "#c0392b"
GOOD: Final = "#2e8b57"


@lru_cache(maxsize=1)
def _register_font() -> None:
    from matplotlib import font_manager

    path = str(cjk_font())
    known = {(e.fname, e.weight) for e in font_manager.fontManager.ttflist}
    for weight in (400, 700):
        if (path, weight) not in known:
            font_manager.fontManager.ttflist.append(
                font_manager.FontEntry(
                    fname=path,
                    index=_SC_INDEX,
                    name=FONT_FAMILY,
                    weight=weight,
                    size="scalable",
                )
            )
    font_manager.fontManager._findfont_cached.cache_clear()


#: rc_context changes matplotlib's global settings: one figure at a time (the service draws
#: reports from a thread pool).
_LOCK = threading.RLock()


@contextmanager
def figure_style() -> Iterator[None]:
    """Matplotlib settings of every report figure (font, SVG output, sizes), one at a time."""
    import matplotlib

    _register_font()
    with (
        _LOCK,
        matplotlib.rc_context(
            {
                "font.family": [FONT_FAMILY],
                "font.size": 8,
                "svg.fonttype": "none",
                "svg.hashsalt": _SALT,
                "path.simplify": True,
                "axes.edgecolor": RULE,
                "axes.labelcolor": INK,
                "text.color": INK,
                "xtick.color": MUTED,
                "ytick.color": MUTED,
                "axes.unicode_minus": False,
            }
        ),
    ):
        yield


def new_figure(width_cm: float, height_cm: float) -> Any:
    """A matplotlib Figure of the given size, detached from pyplot."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_cm / 2.54, height_cm / 2.54))
    FigureCanvasSVG(fig)
    return fig


def to_svg(fig: Any) -> str:
    """The figure as SVG text, the same bytes for the same figure."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, transparent=True)
    return buf.getvalue()
