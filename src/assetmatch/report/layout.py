"""Typesetting: the report's JSON document through the Typst template into PDF bytes.

Why Typst (measured on this project's 2-core machine): the PyPI binding ``typst`` compiles a
CJK page set in Noto Sans CJK SC in about 0.06 s, embeds and subsets the font, and breaks CJK
lines and spaces CJK next to Latin text by itself. It reads the variable font collection
``NotoSansCJK-VF.otf.ttc`` that ``manimgx-fonts-cjk`` ships and instances its weights (regular,
bold and light render differently; each is embedded as its own subset). reportlab, the usual
alternative, cannot embed CFF-outline (OTF) CJK fonts, and its built-in STSong-Light is not
embedded (blank on many readers); it would need a TrueType CJK font such as WenQuanYi Micro
Hei, with CJK line breaking done by hand.

How the data stays data: the document goes in as one JSON string (``sys.inputs.doc``) that the
template parses with ``json()`` and places as text, so nothing from an inventory or a brief is
ever read as markup (a site named ``#import "/etc/passwd"`` prints as written). The compiler's
root is an empty temporary folder and only the report's font folder is given: the template
reads no file, and no system font can slip in.

Same inputs, same bytes: the document's date and the PDF's creation time are the match date
(midnight UTC), the charts' SVG is salted with a fixed string and carries no date.
"""

from __future__ import annotations

import json
import logging
import tempfile
from datetime import UTC, date, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from .._errors import ReportError
from .fonts import FONT_FAMILY, cjk_font

logger = logging.getLogger(__name__)

__all__ = ["check_engine", "compile_pdf"]


def _typst() -> Any:
    try:
        import typst
    except ImportError as exc:
        raise ReportError(
            "PDF reports need the Typst layout engine: "
            'pip install "assetmatch[report]" (or: pip install typst).'
        ) from exc
    return typst


@lru_cache(maxsize=1)
def _fonts() -> Any:
    typst = _typst()
    folder = str(cjk_font().parent)
    fonts = typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=False, font_paths=[folder]
    )
    if FONT_FAMILY not in fonts.families():
        raise ReportError(
            f"The layout engine does not find {FONT_FAMILY} in {folder}; "
            "reinstall the font: pip install --force-reinstall manimgx-fonts-cjk."
        )
    return fonts


def check_engine() -> None:
    """Raise :class:`~assetmatch.ReportError` if Typst or the font is missing (says how)."""
    _fonts()


def _template() -> bytes:
    return resources.files(__package__).joinpath("brief.typ").read_bytes()


def compile_pdf(doc: dict[str, Any], when: date) -> bytes:
    """Typeset the report document into PDF bytes.

    Parameters
    ----------
    doc
        The document from :func:`assetmatch.report.content.build_document`.
    when
        The report's date: the PDF's creation date (midnight UTC).

    Raises
    ------
    assetmatch.ReportError
        If Typst or the font is missing, or the layout fails.
    """
    typst = _typst()
    fonts = _fonts()
    data = json.dumps(doc, ensure_ascii=False, allow_nan=False, sort_keys=True)
    stamp = datetime(when.year, when.month, when.day, tzinfo=UTC)
    with tempfile.TemporaryDirectory(prefix="assetmatch-report-") as root:
        try:
            pdf, warnings = typst.compile_with_warnings(
                _template(),
                root=root,
                font_paths=fonts,
                ignore_system_fonts=True,
                sys_inputs={"doc": data},
                timestamp=stamp,
            )
        except typst.TypstError as exc:  # a template bug, never the data's fault
            raise ReportError(f"The report layout failed: {exc.message}") from exc
    for w in warnings:
        logger.warning("report layout: %s", getattr(w, "message", w))
    return bytes(pdf)
