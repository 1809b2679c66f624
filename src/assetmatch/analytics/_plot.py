"""Lazy imports of the plotting packages and the CJK font of the figures.

Plots need the ``plot`` extra (``pip install "assetmatch[plot]"``): matplotlib, folium and the
Noto Sans CJK font of the ``manimgx-fonts-cjk`` package (the same font as the PDF report), so
district and site names (杏东, 泰丰闲置厂区) show as characters, not boxes. Nothing is imported
until a plotting function runs; the first figure adds the CJK font to matplotlib's font
fallback list (``rcParams["font.family"]``), keeping the user's own fonts first.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import sys
from functools import lru_cache
from importlib import resources
from typing import Any

from .._errors import PlotDependencyError

logger = logging.getLogger(__name__)

_HINT = 'install the plot extra: pip install "assetmatch[plot]"'
FONT_FAMILY = "Noto Sans CJK SC"


def require(module: str) -> Any:
    """Import ``module``, or raise :class:`~assetmatch.PlotDependencyError` naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise PlotDependencyError(f"{module} is needed for this plot or map: {_HINT}") from exc


@lru_cache(maxsize=1)
def _register_font() -> str | None:
    fm = require("matplotlib.font_manager")
    try:
        path = resources.files("manimgx_fonts_cjk") / "NotoSansCJK-VF.otf.ttc"
    except ModuleNotFoundError:
        path = None
    if path is None or not path.is_file():
        logger.warning(
            "CJK font package manimgx-fonts-cjk missing: Chinese labels may show as boxes"
        )
        return None
    fm.fontManager.addfont(str(path))
    # the variable font's default instance reads as weight 100: list it as regular (400) so
    # matplotlib does not warn on every label that it found no "normal" weight
    ttf = fm.fontManager.ttflist
    for i, f in enumerate(ttf):
        if f.fname == str(path):
            ttf[i] = dataclasses.replace(f, weight=400)
    fm.fontManager._findfont_cached.cache_clear()
    names = {f.name for f in ttf if f.fname == str(path)}
    return sorted(names)[0] if names else None


def _show_in_ipython(figure_type: type) -> None:
    """In IPython/Jupyter, let a returned Figure display as a PNG (once: pyplot never sees it).

    The inline backend registers this display only once pyplot has drawn something; a
    notebook whose first figure comes from here would otherwise print ``<Figure …>``.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    png = shell.display_formatter.formatters["image/png"]
    if figure_type not in png.type_printers:
        from IPython.core.pylabtools import print_figure

        png.for_type(figure_type, lambda fig: print_figure(fig, "png", bbox_inches="tight"))


def figure(width: float = 8.0, height: float = 4.5, ncols: int = 1) -> tuple[Any, Any]:
    """A new matplotlib Figure (not registered with pyplot) and its axes.

    The CJK font is added to matplotlib's font fallback (``rcParams["font.family"]``) the
    first time a figure is made, so Chinese labels render; the user's other settings stay.
    """
    matplotlib = require("matplotlib")
    from matplotlib.figure import Figure

    _show_in_ipython(Figure)

    family = _register_font()
    fam = matplotlib.rcParams["font.family"]
    fam = [fam] if isinstance(fam, str) else list(fam)
    if family and family not in fam:
        matplotlib.rcParams["font.family"] = [*fam, family]
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=True)
    return fig, axes
