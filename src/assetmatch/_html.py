"""Tidy HTML tables for notebooks (``_repr_html_`` of the inventory, results and reports).

Every value from the data is escaped (pandas ``to_html(escape=True)``; captions through
:func:`html.escape`), so a site named ``<script>`` shows as text.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from ._errors import AssetmatchError

_STYLE = "font-size:12px;border-collapse:collapse"


def _plain(v: Any) -> Any:
    if isinstance(v, list | tuple | dict):
        return ", ".join(map(str, v)) if not isinstance(v, dict) else str(v)
    return v


def frame_html(frame: pd.DataFrame, *, max_rows: int = 20, index: bool = False) -> str:
    """A DataFrame as an escaped HTML table (geometry dropped, lists joined, long cut)."""
    f = frame.drop(columns=[c for c in frame.columns if c == "geometry"], errors="ignore")
    f = pd.DataFrame(f).copy()
    for c in f.columns:
        if f[c].dtype == object:
            f[c] = f[c].map(_plain)
    more = len(f) - max_rows
    table = f.head(max_rows).to_html(
        escape=True, index=index, border=0, na_rep="—", float_format=lambda x: f"{x:,.2f}"
    )
    tail = f"<p style='font-size:11px'>… {more} more rows</p>" if more > 0 else ""
    return f"<div style='{_STYLE}'>{table}{tail}</div>"


def section(title: str, body: str) -> str:
    """A small heading (escaped) above an HTML body."""
    return f"<p style='margin:6px 0 2px'><b>{html.escape(title)}</b></p>{body}"


def paragraph(text: str) -> str:
    """An escaped paragraph."""
    return f"<p>{html.escape(text)}</p>"


def inventory_html(inv: Any) -> str:
    """The inventory in a notebook: where it is, its size, and its assets by status and district."""
    head = paragraph(repr(inv))
    try:
        a = inv.assets(derived=False)
    except AssetmatchError as exc:  # a closed or broken store still shows what it is
        return head + paragraph(f"(assets unreadable: {type(exc).__name__})")
    if a.empty:
        return head + paragraph("no assets yet")
    counts = pd.crosstab(a["status"].fillna("(unknown)"), a["district"].fillna("(unknown)"))
    counts["total"] = counts.sum(axis=1)
    return head + section("assets by status and district", frame_html(counts, index=True))


def result_html(res: Any) -> str:
    """A match result: its message, the readable shortlist, near misses, what was not evaluated."""
    parts = [paragraph(res.message), frame_html(res.readable(), max_rows=50)]
    if len(res.near_misses):
        nm = res.near_misses[["asset_id", "name", "failed", "detail"]]
        parts.append(section("near misses", frame_html(nm, max_rows=10)))
    if len(res.unevaluated):
        parts.append(section("not evaluated", frame_html(res.unevaluated)))
    return "".join(parts)


def report_html(rep: Any) -> str:
    """An import report: a summary line, then the rejected, repaired and noted rows."""
    summary = (
        f"{rep.source}: {rep.rows} rows read; {len(rep.created)} created, "
        f"{len(rep.updated)} updated, {len(rep.unchanged)} unchanged, "
        f"{rep.n_rejected_rows} rows rejected; "
        + ("written" if rep.committed else "nothing written")
    )
    parts = [paragraph(summary), *(paragraph(line) for line in rep._source_lines("en"))]
    for title, frame in (
        ("rejected", rep.rejected),
        ("repaired", rep.repaired),
        ("notes", rep.notes),
    ):
        if len(frame):
            parts.append(section(title, frame_html(frame)))
    return "".join(parts)
