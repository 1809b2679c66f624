"""A folium map whose Leaflet script and style are inlined from the package, not a CDN."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from ..analytics._plot import require

__all__ = ["offline_map"]


#: folium writes a popup's HTML as ``$(`<div>…</div>`)[0]`` (jQuery). Instead of loading
#: jQuery from a CDN, this stand-in parses the HTML into elements, which is all it needs.
_DOLLAR = (
    "window.$ = window.$ || function (h) { var t = document.createElement('template'); "
    "t.innerHTML = String(h).trim(); return Array.prototype.slice.call(t.content.childNodes); };"
)


@lru_cache(maxsize=1)
def _leaflet() -> tuple[str, str]:
    static = resources.files("assetmatch.maps") / "static"
    js = (static / "leaflet.js").read_text(encoding="utf-8")
    css = (static / "leaflet.css").read_text(encoding="utf-8")
    return js, css


def offline_map(
    bounds: tuple[float, float, float, float], *, tiles: str | None = None, **kwargs: Any
) -> Any:
    """An empty folium Map fitted to ``bounds`` (lon/lat: min lon, min lat, max lon, max lat).

    Parameters
    ----------
    bounds
        WGS 84 / CGCS2000 longitude and latitude bounds.
    tiles
        ``None`` (default): no basemap, nothing fetched at all. A folium tile name such as
        ``"OpenStreetMap"`` or a URL template: tiles load in the browser when the page is
        viewed (network needed then, not to build the page).
    **kwargs
        Passed to :class:`folium.Map`.

    Returns
    -------
    folium.Map
        Only Leaflet (inlined); none of folium's other default scripts and style sheets
        (jQuery, Bootstrap, Font Awesome), which the maps here do not use.

    Raises
    ------
    PlotDependencyError
        folium is not installed.
    """
    folium = require("folium")
    x0, y0, x1, y1 = bounds
    m = folium.Map(
        location=[(y0 + y1) / 2, (x0 + x1) / 2],
        tiles=None,
        control_scale=True,
        **kwargs,
    )
    m.default_js = []
    m.default_css = []
    js, css = _leaflet()
    inline = folium.Element(
        f"<style>{css}</style>\n<script>{js}</script>\n<script>{_DOLLAR}</script>"
    )
    m.get_root().header.add_child(inline, name="leaflet_inline")
    if tiles is not None:
        folium.TileLayer(tiles).add_to(m)
    m.fit_bounds([[y0, x0], [y1, x1]])
    return m
