"""Interactive maps (folium/Leaflet) that build and open without a network.

:func:`plot_assets` draws the same colours on a static (matplotlib) map.
``inv.explore()`` and ``MatchResult.explore()`` call :func:`explore_assets` and
:func:`explore_result`. Leaflet's script and style sheet are vendored in ``maps/static`` and
inlined into the page, so building the HTML needs no network and the page opens offline. A
basemap is optional (``tiles="OpenStreetMap"``): its tiles are fetched by the browser when
the page is viewed, so they need a network then.
"""

from __future__ import annotations

from .explore import explore_assets, explore_result
from .offline import offline_map
from .static import plot_assets

__all__ = ["explore_assets", "explore_result", "offline_map", "plot_assets"]
