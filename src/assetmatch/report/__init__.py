"""Ranked-parcel PDF briefs: :func:`render_report` (also ``MatchResult.to_pdf``).

A brief has a cover (investor, date, the requirements in plain words, the zone, the data's
as-of date and the top sites), an overview map of the shortlist with rank numbers and the
shortlist table, a page per shortlisted site (a map of the parcel with the firms around it by
industry, radius rings, conflicting neighbours, scale bar and north arrow; the facts and when
each was recorded; the score by criterion; the reasons, shortfalls first; the land-use path;
the move-in estimate with its parts; the rent history), the near misses, and an appendix with
the method and the weights.

The pieces: :mod:`.content` (what the brief says, as JSON data), :mod:`.maps` and
:mod:`.charts` (matplotlib, vector SVG), :mod:`.layout` (Typst; why Typst is said there),
:mod:`.fonts` (the one CJK font) and :mod:`.words` (the brief's own words). Needs the
``report`` extra: ``pip install "assetmatch[report]"``.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any

from .._errors import ReportError

logger = logging.getLogger(__name__)

__all__ = ["render_report", "report_bytes"]


def report_bytes(
    result: Any,
    lang: str = "zh",
    *,
    inventory: Any = None,
    zone: str | None = None,
    progress: Any = None,
) -> bytes:
    """The PDF brief of a match result, as bytes (see :func:`render_report`)."""
    from .._errors import ValidationError
    from .content import build_document
    from .layout import check_engine, compile_pdf

    if lang not in ("zh", "en"):
        raise ValidationError(f"The 'lang' parameter must be 'zh' or 'en'. Got {lang!r} instead.")
    check_engine()  # fail before the slow part when the engine or the font is missing
    if inventory is None:
        inventory = getattr(result, "inventory", None)
    t0 = time.perf_counter()
    doc = build_document(result, lang, inventory=inventory, zone=zone, progress=progress)
    t1 = time.perf_counter()
    pdf = compile_pdf(doc, result.as_of)
    logger.info(
        "report: %d sites, content and figures %.2f s, layout %.2f s, %d bytes",
        len(result.table),
        t1 - t0,
        time.perf_counter() - t1,
        len(pdf),
    )
    return pdf


def render_report(
    result: Any,
    path: str | os.PathLike[str],
    lang: str = "zh",
    *,
    inventory: Any = None,
    zone: str | None = None,
    progress: Any = None,
) -> Path:
    """Write the PDF brief of a match result.

    Parameters
    ----------
    result
        A :class:`~assetmatch.MatchResult`.
    path
        Where to write the PDF (replaced atomically when it exists).
    lang
        ``"zh"`` or ``"en"``.
    inventory
        The inventory the match ran on, for the firms, reference layers and history on the
        maps and charts; default the one the result was matched on (when it was).
    zone
        The zone's name for the cover; default its districts.
    progress
        Called as ``progress(done, total, what)`` after the overview and each site.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    assetmatch.ReportError
        If the font or the layout engine is missing (the message says how to install them),
        or the file cannot be written.
    assetmatch.ValidationError
        If ``lang`` is not ``"zh"`` or ``"en"``.
    """
    pdf = report_bytes(result, lang, inventory=inventory, zone=zone, progress=progress)
    dest = Path(path)
    try:
        tmp = str(dest.parent / f".report-{uuid.uuid4().hex}.pdf")
        # os.open with 0o666 honours the umask (mkstemp would make the file private)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pdf)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ReportError(f"Cannot write the report to {dest}: {exc.strerror or exc}") from exc
    logger.info("report written: %s (%d bytes)", dest, len(pdf))
    return dest
