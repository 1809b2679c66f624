"""Maps of the inventory and of a ranked shortlist (folium, offline-capable).

Every text that comes from the data (names, reasons, districts) is HTML-escaped before it
goes into a popup or tooltip.
"""

from __future__ import annotations

import html
import logging
import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import Problem, ValidationError
from ..analytics._plot import require
from ..units import MU_M2
from .offline import offline_map

logger = logging.getLogger(__name__)

__all__ = ["STATUS_COLOURS", "explore_assets", "explore_result", "score_colour"]

#: Map colour of each status: on offer in warm colours, taken in greys.
STATUS_COLOURS = {
    "idle": "#d73027",
    "low_efficiency": "#fc8d59",
    "available": "#1a9850",
    "negotiating": "#4575b4",
    "reserved": "#984ea3",
    "leased": "#999999",
    "transferred": "#666666",
    "in_use": "#bbbbbb",
    "withdrawn": "#333333",
}
_CYCLE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")


def score_colour(score: float) -> str:
    """A red (0) → yellow (0.5) → green (1) colour for a score in [0, 1]."""
    if score is None or not math.isfinite(score):
        return "#999999"
    s = min(max(float(score), 0.0), 1.0)
    stops = [(0.0, (215, 48, 39)), (0.5, (254, 224, 139)), (1.0, (26, 152, 80))]
    (a, ca), (b, cb) = (stops[0], stops[1]) if s <= 0.5 else (stops[1], stops[2])
    t = (s - a) / (b - a)
    rgb = [round(x + (y - x) * t) for x, y in zip(ca, cb, strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _wgs84(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
        raise ValidationError(
            "a map needs a GeoDataFrame with a CRS",
            [Problem(None, "geometry", "no geometry or no CRS")],
        )
    g = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    return g.to_crs("EPSG:4326")


def _bounds(g: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    if g.empty:  # the demo zone's area, so an empty map still opens somewhere sensible
        return (118.80, 24.90, 118.95, 25.00)
    x0, y0, x1, y1 = g.total_bounds
    return (float(x0), float(y0), float(x1), float(y1))


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
        return "—"
    if isinstance(v, float):
        return f"{v:,.1f}"
    if isinstance(v, list | tuple | np.ndarray):
        return ", ".join(_text(x) for x in v) or "—"
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    return str(v)


def _rows(pairs: list[tuple[str, Any]]) -> str:
    cells = "".join(
        f"<tr><th style='text-align:left;padding-right:6px'>{html.escape(k)}</th>"
        f"<td>{html.escape(_text(v))}</td></tr>"
        for k, v in pairs
    )
    return f"<table style='font-size:12px'>{cells}</table>"


def _obstacles(v: Any) -> str:
    if not isinstance(v, list) or not v:
        return "—"
    return "; ".join(
        f"{o.get('kind')}" + (f" ({o.get('delay_days'):.0f} d)" if o.get("delay_days") else "")
        for o in v
        if isinstance(o, dict)
    )


def _legend(title: str, items: list[tuple[str, str]]) -> str:
    rows = "".join(
        f"<div><span style='display:inline-block;width:12px;height:12px;background:{c};"
        f"margin-right:4px;border:1px solid #555'></span>{html.escape(label)}</div>"
        for label, c in items
    )
    return (
        "<div style='position:fixed;top:90px;left:12px;z-index:9999;background:white;"
        "padding:6px 8px;border:1px solid #888;border-radius:4px;font:12px sans-serif'>"
        f"<b>{html.escape(title)}</b>{rows}</div>"
    )


def explore_assets(
    assets: gpd.GeoDataFrame,
    *,
    column: str = "status",
    tiles: str | None = None,
    width: str = "100%",
    height: str = "600px",
) -> Any:
    """An interactive map of assets, coloured by ``column``, a popup of facts per site.

    Parameters
    ----------
    assets
        A GeoDataFrame of assets (canonical columns, any CRS), indexed by ``asset_id``.
    column
        Colour by this column (``status`` has fixed colours; other text columns cycle a
        palette; numbers run red → green from their minimum to their maximum).
    tiles
        Optional basemap (see :func:`~assetmatch.maps.offline_map`); default none.
    width, height
        Size of the map in the page.

    Returns
    -------
    folium.Map
    """
    folium = require("folium")
    if column not in assets.columns:
        raise ValidationError(
            "bad column", [Problem(None, "column", f"not a column of the assets: {column!r}")]
        )
    g = _wgs84(assets)
    m = offline_map(_bounds(g), tiles=tiles, width=width, height=height)
    values = g[column]
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric:
        v = pd.to_numeric(values, errors="coerce")
        lo, hi = float(v.min()), float(v.max())
        span = hi - lo if hi > lo else 1.0
        colour = {i: score_colour((x - lo) / span) for i, x in v.items()}
        legend = [(f"{lo:,.1f}", score_colour(0)), (f"{hi:,.1f}", score_colour(1))]
    else:
        cats = [str(c) for c in pd.unique(values.fillna("(unknown)").astype(str))]
        palette = {
            c: STATUS_COLOURS.get(c, _CYCLE[i % len(_CYCLE)])
            if column == "status"
            else _CYCLE[i % len(_CYCLE)]
            for i, c in enumerate(sorted(cats))
        }
        colour = {i: palette[str(x) if pd.notna(x) else "(unknown)"] for i, x in values.items()}
        legend = list(palette.items())
    features: dict[str, list[dict[str, Any]]] = {}
    for aid, row in g.iterrows():
        key = _text(row[column]) if not numeric else column
        land_mu = row.get("land_area_m2", np.nan) / MU_M2
        facts = [
            ("asset", aid),
            ("name", row.get("name")),
            ("kind", row.get("kind")),
            ("status", row.get("status")),
            ("district", row.get("district")),
            ("land (mu)", land_mu),
            ("floor area (m²)", row.get("building_area_m2")),
            ("rent (yuan/m²/month)", row.get("rent_yuan_m2_month")),
            ("days idle", row.get("idle_days")),
            ("obstacles", _obstacles(row.get("obstacles"))),
        ]
        if column not in ("status", "kind", "district"):
            facts.append((column, row[column]))
        features.setdefault(key, []).append(
            {
                "type": "Feature",
                "geometry": row.geometry.__geo_interface__,
                # escaped here: folium puts these texts into the page as HTML
                "properties": {
                    "fill": colour[aid],
                    "label": html.escape(f"{aid} {_text(row.get('name'))}"),
                    "popup": _rows(facts),
                },
            }
        )
    for key in sorted(features):
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features[key]},
            name=html.escape(key),
            style_function=lambda f: {
                "color": "#333333",
                "weight": 1,
                "fillColor": f["properties"]["fill"],
                "fillOpacity": 0.65,
            },
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
            popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=340),
            # sites known only by a point: a dot in the same colours, not Leaflet's image pin
            marker=folium.CircleMarker(radius=6, weight=1, fill=True),
        ).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    m.get_root().html.add_child(folium.Element(_legend(column, legend)))
    logger.info("map of %d assets coloured by %s", len(g), column)
    return m


def explore_result(result: Any, *, tiles: str | None = None, height: str = "600px") -> Any:
    """A map of a ranked shortlist: sites numbered by rank, coloured by score, with reasons.

    Parameters
    ----------
    result
        A :class:`~assetmatch.MatchResult` whose table has geometries.
    tiles
        Optional basemap (see :func:`~assetmatch.maps.offline_map`); default none.
    height
        Height of the map in the page.

    Returns
    -------
    folium.Map
    """
    folium = require("folium")
    g = _wgs84(result.table)
    m = offline_map(_bounds(g), tiles=tiles, height=height)
    for _, row in g.iterrows():
        c = score_colour(row["score"])
        reasons = [r for r in str(row.get("reasons") or "").split("；") if r]
        items = "".join(f"<li>{html.escape(r)}</li>" for r in reasons)
        head = (
            f"<b>#{int(row['rank'])} {html.escape(_text(row.get('name')))}</b> "
            f"({html.escape(str(row['asset_id']))})<br>score {row['score']:.2f}"
        )
        facts = _rows(
            [
                ("district", row.get("district")),
                ("land (mu)", row.get("land_area_mu")),
                ("floor area (m²)", row.get("building_area_m2")),
                ("move-in (days)", row.get("move_in_days")),
                ("status", row.get("status")),
            ]
        )
        popup = folium.Popup(
            f"<div style='font-size:12px'>{head}{facts}<ul style='padding-left:16px'>"
            f"{items}</ul></div>",
            max_width=380,
        )
        folium.GeoJson(
            row.geometry.__geo_interface__,
            style_function=lambda _f, c=c: {
                "color": "#222222",
                "weight": 2,
                "fillColor": c,
                "fillOpacity": 0.7,
            },
            tooltip=folium.Tooltip(html.escape(f"#{int(row['rank'])} {_text(row.get('name'))}")),
            popup=popup,
        ).add_to(m)
        p = row.geometry.representative_point()
        badge = (
            f"<div style='background:{c};border:2px solid #222;border-radius:50%;width:24px;"
            f"height:24px;line-height:20px;text-align:center;font:bold 13px sans-serif;"
            f"color:#111'>{int(row['rank'])}</div>"
        )
        folium.Marker(
            [p.y, p.x],
            icon=folium.DivIcon(html=badge, icon_size=(24, 24), icon_anchor=(12, 12)),
            tooltip=folium.Tooltip(html.escape(f"#{int(row['rank'])} score {row['score']:.2f}")),
            popup=folium.Popup(
                f"<div style='font-size:12px'>{head}<ul style='padding-left:16px'>{items}</ul>"
                "</div>",
                max_width=380,
            ),
        ).add_to(m)
    legend = [("score 0", score_colour(0)), ("0.5", score_colour(0.5)), ("1", score_colour(1))]
    m.get_root().html.add_child(folium.Element(_legend("match score", legend)))
    logger.info("map of %d ranked sites", len(g))
    return m
