"""The report's one font: Noto Sans CJK SC, from the ``manimgx-fonts-cjk`` package.

The report sets every word (Chinese, English, figures, chart labels) in Noto Sans CJK SC, so a
page never mixes a CJK face with a fallback. The font comes with the ``report`` extra
(``pip install "assetmatch[report]"``), which installs the PyPI package ``manimgx-fonts-cjk``
(it ships ``NotoSansCJK-VF.otf.ttc``: the variable collection, JP/KR/SC/TC/HK faces, SIL Open
Font License). When it is missing, :func:`cjk_font` raises :class:`~assetmatch.ReportError`
saying how to install it — never a silent fallback to a font that may lack the glyphs.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Final

from .._errors import ReportError

__all__ = ["FONT_FAMILY", "FONT_FILE", "FONT_PACKAGE", "cjk_font"]

#: Family name the layout and the charts ask for.
FONT_FAMILY: Final = "Noto Sans CJK SC"
#: The PyPI distribution and import name that ship the font, and the file inside it.
FONT_PACKAGE: Final = ("manimgx-fonts-cjk", "manimgx_fonts_cjk")
FONT_FILE: Final = "NotoSansCJK-VF.otf.ttc"
_HOW: Final = (
    'install the report extra: pip install "assetmatch[report]" (or: pip install manimgx-fonts-cjk)'
)


@lru_cache(maxsize=1)
def cjk_font() -> Path:
    """The path of the CJK font file the report is set in.

    Returns
    -------
    pathlib.Path
        ``NotoSansCJK-VF.otf.ttc`` inside the installed ``manimgx_fonts_cjk`` package.

    Raises
    ------
    assetmatch.ReportError
        If the package or the file is missing (the message says how to install it).
    """
    spec = importlib.util.find_spec(FONT_PACKAGE[1])
    if spec is None or not spec.submodule_search_locations:
        raise ReportError(
            f"The report's font {FONT_FAMILY} is not installed (package {FONT_PACKAGE[0]} "
            f"not found): {_HOW}."
        )
    for folder in spec.submodule_search_locations:
        path = Path(folder) / FONT_FILE
        if path.is_file():
            return path
    raise ReportError(
        f"The report's font file {FONT_FILE} is missing from the {FONT_PACKAGE[0]} package; "
        f"reinstall it: pip install --force-reinstall {FONT_PACKAGE[0]}."
    )
