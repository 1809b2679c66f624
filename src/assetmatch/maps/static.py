"""A static map of assets (matplotlib), in the same colours as the interactive one."""

from __future__ import annotations

from typing import Any

import geopandas as gpd

from .._errors import Problem, ValidationError
from ..analytics import _plot
from .explore import _CYCLE, STATUS_COLOURS

__all__ = ["plot_assets"]


def plot_assets(
    assets: gpd.GeoDataFrame, *, column: str = "status", title: str | None = None
) -> Any:
    """The assets on a map, coloured by a text column, with a 1 km scale bar.

    Parameters
    ----------
    assets
        A GeoDataFrame in a projected CRS in metres (the store's, e.g. EPSG:4549).
    column
        The column that colours the sites (``status`` uses the colours of
        :func:`~assetmatch.maps.explore_assets`).
    title
        The title (default: the column and the CRS).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if column not in assets.columns:
        raise ValidationError(
            "bad column", [Problem(None, "column", f"not a column of the assets: {column!r}")]
        )
    if assets.crs is None or not assets.crs.is_projected:
        raise ValidationError(
            "a static map needs a projected CRS in metres",
            [Problem(None, "crs", f"got {assets.crs}; use inv.assets() or .to_crs(...)")],
        )
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig, ax = _plot.figure(7, 7)
    values = assets[column].fillna("(unknown)").astype(str)
    cats = sorted(values.unique())
    colours = {
        c: STATUS_COLOURS.get(c, _CYCLE[i % len(_CYCLE)])
        if column == "status"
        else _CYCLE[i % len(_CYCLE)]
        for i, c in enumerate(cats)
    }
    geom = assets.geometry
    points = geom.geom_type.isin(["Point", "MultiPoint"]).to_numpy()
    for c in cats:
        mask = (values == c).to_numpy()
        poly = assets[mask & ~points]
        if len(poly):
            poly.plot(ax=ax, color=colours[c], edgecolor="0.25", linewidth=0.3)
        pts = assets[mask & points]
        if len(pts):
            pts.plot(ax=ax, color=colours[c], edgecolor="0.25", linewidth=0.4, markersize=22)
    handles: list[Any] = [Patch(facecolor=colours[c], edgecolor="0.25", label=c) for c in cats]
    if points.any():
        handles.append(
            Line2D([], [], marker="o", ls="", color="0.5", label="site known only by a point")
        )
    ax.legend(handles=handles, fontsize=8, loc="upper left", title=column)
    x0, y0, x1, y1 = geom.total_bounds
    bar_x, bar_y = x1 - 1000 - 0.03 * (x1 - x0), y0 + 0.02 * (y1 - y0)
    ax.plot([bar_x, bar_x + 1000], [bar_y, bar_y], color="k", lw=2)
    ax.text(bar_x + 500, bar_y + 0.01 * (y1 - y0), "1 km", ha="center", va="bottom", fontsize=8)
    ax.set_aspect("equal")
    ax.set_axis_off()
    crs = assets.crs.to_string()
    ax.set_title(title or f"Assets by {column} ({crs})")
    return fig
