"""The report's maps, drawn from the store's own layers (no web tiles: a report builds offline).

Everything is drawn in the inventory's projected CRS (metres), so the scale bar is true. The
north arrow points to true north: it is turned by the meridian convergence at the map's centre
(pyproj), which in a 3° Gauss–Krüger zone is under a degree and a half.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from ._mpl import ACCENT, INK, MUTED, RULE, WARN, figure_style, new_figure, to_svg

__all__ = ["MapLayers", "overview_map", "site_map"]

#: Colours of the industries shown on a site map (the most frequent in view get them in order).
_INDUSTRY_COLOURS: Final = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#b07aa1",
    "#76b7b2",
    "#edc948",
    "#9c755f",
    "#ff9da7",
)
_OTHER_FIRM: Final = "#b8c0c8"
_LAYER_MARKERS: Final = {"highway_exit": "^", "port": "s", "rail_station": "D", "town_centre": "*"}


@dataclass
class MapLayers:
    """What the maps draw, as plain arrays in one projected CRS (metres).

    Attributes
    ----------
    parcels
        Shapely geometries of every asset of the inventory, by asset id.
    firm_xy
        (n, 2) firm positions.
    firm_division
        GB/T 4754 division of each firm (``"C26"``).
    refs
        Reference layer name -> (k, 2) positions.
    crs
        The CRS (for the north arrow), or ``None``.
    """

    parcels: Mapping[str, Any]
    firm_xy: np.ndarray
    firm_division: np.ndarray
    refs: Mapping[str, np.ndarray]
    crs: Any = None


def _nice_length(span_m: float) -> float:
    """A round scale-bar length near a fifth of the span."""
    target = span_m / 5
    exp = 10 ** math.floor(math.log10(target))
    for m in (5, 2, 1):
        if m * exp <= target:
            return m * exp
    return exp


def _scale_bar(ax: Any, x0: float, y0: float, span: float, label_m: str, label_km: str) -> None:
    length = _nice_length(span)
    h = span * 0.012
    ax.add_patch(_rect(x0, y0, length / 2, h, INK))
    ax.add_patch(_rect(x0 + length / 2, y0, length / 2, h, "white", edge=INK))
    text = f"{length / 1000:g} {label_km}" if length >= 1000 else f"{length:g} {label_m}"
    ax.text(x0, y0 + h * 1.8, "0", fontsize=6, ha="center", va="bottom", color=INK)
    ax.text(x0 + length, y0 + h * 1.8, text, fontsize=6, ha="center", va="bottom", color=INK)


def _rect(x: float, y: float, w: float, h: float, face: str, edge: str | None = None) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor=face, edgecolor=edge or face, linewidth=0.6)


def _north_arrow(ax: Any, x: float, y: float, size: float, angle_deg: float, label: str) -> None:
    """An arrow at (x, y) (data units) pointing to true north, ``angle_deg`` east of grid up."""
    from matplotlib.patches import Polygon

    a = math.radians(angle_deg)
    ux, uy = math.sin(a), math.cos(a)  # direction of true north on the grid
    px, py = -uy, ux
    tip = (x + ux * size, y + uy * size)
    left = (x + px * size * 0.28, y + py * size * 0.28)
    right = (x - px * size * 0.28, y - py * size * 0.28)
    ax.add_patch(Polygon([tip, left, (x, y)], closed=True, facecolor=INK, edgecolor=INK, lw=0.5))
    ax.add_patch(
        Polygon([tip, (x, y), right], closed=True, facecolor="white", edgecolor=INK, lw=0.5)
    )
    ax.text(
        tip[0] + ux * size * 0.15,
        tip[1] + uy * size * 0.15,
        label,
        fontsize=7,
        ha="center",
        va="bottom",
        color=INK,
        fontweight="bold",
    )


def _convergence(crs: Any, x: float, y: float) -> float:
    """Angle (degrees, east positive) from grid up to true north at (x, y); 0 if unknown."""
    if crs is None:
        return 0.0
    try:
        from pyproj import CRS, Proj, Transformer

        c = CRS.from_user_input(crs)
        if not c.is_projected:
            return 0.0
        lon, lat = Transformer.from_crs(c, c.geodetic_crs, always_xy=True).transform(x, y)
        conv = Proj(c).get_factors(lon, lat).meridian_convergence
        return -float(conv) if math.isfinite(conv) else 0.0
    except Exception:
        return 0.0


def _paths(geoms: Sequence[Any]) -> list[Any]:
    """Matplotlib paths of polygon geometries (holes kept)."""
    from matplotlib.path import Path

    out = []
    for g in geoms:
        if g is None or g.is_empty:
            continue
        polys = getattr(g, "geoms", [g])
        for p in polys:
            if p.geom_type != "Polygon":
                continue
            verts: list[np.ndarray] = []
            codes: list[np.ndarray] = []
            for ring in (p.exterior, *p.interiors):
                xy = np.asarray(ring.coords)[:, :2]
                c = np.full(len(xy), Path.LINETO, dtype=np.uint8)
                c[0] = Path.MOVETO
                c[-1] = Path.CLOSEPOLY
                verts.append(xy)
                codes.append(c)
            out.append(Path(np.concatenate(verts), np.concatenate(codes)))
    return out


def _draw_parcels(ax: Any, geoms: Sequence[Any], face: str, edge: str, lw: float, z: int) -> None:
    from matplotlib.collections import PathCollection

    paths = _paths(geoms)
    if paths:
        ax.add_collection(
            PathCollection(paths, facecolors=face, edgecolors=edge, linewidths=lw, zorder=z)
        )
    pts = [g for g in geoms if g is not None and g.geom_type == "Point"]
    if pts:
        ax.plot([p.x for p in pts], [p.y for p in pts], "s", ms=3, color=edge, zorder=z, mfc=face)


def _frame(ax: Any, cx: float, cy: float, half: float) -> None:
    ax.set_xlim(cx - half, cx + half)
    ax.set_ylim(cy - half, cy + half)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_color(RULE)


def _in_box(xy: np.ndarray, cx: float, cy: float, half: float) -> np.ndarray:
    if len(xy) == 0:
        return np.zeros(0, dtype=bool)
    return (np.abs(xy[:, 0] - cx) <= half) & (np.abs(xy[:, 1] - cy) <= half)


def _centroid(g: Any) -> tuple[float, float]:
    c = g.centroid
    return float(c.x), float(c.y)


def site_map(
    layers: MapLayers,
    asset_id: str,
    *,
    rings_m: Sequence[float],
    avoid: Mapping[str, float],
    industry_names: Mapping[str, str],
    words: Mapping[str, str],
) -> str:
    """One site with its surroundings: parcels, firms by industry, rings, conflicts.

    Parameters
    ----------
    layers
        The map layers.
    asset_id
        The site.
    rings_m
        Radii of the rings drawn around the site (metres from its boundary's centroid).
    avoid
        Industry division -> protection distance (m): firms of these industries within the map
        are drawn as conflicts.
    industry_names
        Division -> name for the legend.
    words
        Labels (``legend_site``, ``legend_other``, ``legend_conflict``, ``north``, ``m``,
        ``km``, ``no_firms``).

    Returns
    -------
    str
        SVG text.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle, Patch

    geom = layers.parcels[asset_id]
    cx, cy = _centroid(geom)
    half = max(rings_m) * 1.12 if rings_m else 1500.0
    with figure_style():
        fig = new_figure(11.5, 11.5)
        ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
        _frame(ax, cx, cy, half)
        others = [g for k, g in layers.parcels.items() if k != asset_id]
        near = [g for g in others if g is not None and _near(g, cx, cy, half)]
        _draw_parcels(ax, near, "#eef1f4", "#a9b4bf", 0.4, 1)
        _draw_parcels(ax, [geom], "#cfe0f3", ACCENT, 1.4, 4)
        for r in rings_m:
            ax.add_patch(
                Circle(
                    (cx, cy), r, fill=False, edgecolor=MUTED, linewidth=0.6, linestyle=(0, (3, 2))
                )
            )
            ax.text(
                cx + r * math.cos(math.radians(35)),
                cy + r * math.sin(math.radians(35)),
                f"{r / 1000:g} {words['km']}" if r >= 1000 else f"{r:g} {words['m']}",
                fontsize=6,
                color=MUTED,
                ha="left",
                va="bottom",
                zorder=6,
            )
        handles: list[Any] = [
            Patch(facecolor="#cfe0f3", edgecolor=ACCENT, label=words["legend_site"]),
            Patch(facecolor="#eef1f4", edgecolor="#a9b4bf", label=words["legend_other"]),
        ]
        inside = _in_box(layers.firm_xy, cx, cy, half)
        xy, div = layers.firm_xy[inside], layers.firm_division[inside]
        conflict = np.isin(div, list(avoid)) if len(div) else np.zeros(0, dtype=bool)
        plain_div = div[~conflict]
        kinds, counts = np.unique(plain_div, return_counts=True) if len(plain_div) else ([], [])
        order = [k for _, k in sorted(zip(-np.asarray(counts), kinds, strict=True))]
        coloured = order[: len(_INDUSTRY_COLOURS)]
        rest = ~np.isin(div, coloured) & ~conflict
        if rest.any():
            ax.scatter(xy[rest, 0], xy[rest, 1], s=5, c=_OTHER_FIRM, linewidths=0, zorder=2)
        for k, colour in zip(coloured, _INDUSTRY_COLOURS, strict=False):
            m = (div == k) & ~conflict
            ax.scatter(xy[m, 0], xy[m, 1], s=7, c=colour, linewidths=0, zorder=3)
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    color=colour,
                    markersize=4,
                    label=f"{k} {industry_names.get(k, '')}".strip(),
                )
            )
        if conflict.any():
            ax.scatter(
                xy[conflict, 0], xy[conflict, 1], s=28, marker="X", c=WARN, linewidths=0, zorder=7
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="X",
                    linestyle="",
                    color=WARN,
                    markersize=5,
                    label=words["legend_conflict"],
                )
            )
        if len(layers.firm_xy) == 0:
            ax.text(cx, cy - half * 0.9, words["no_firms"], ha="center", fontsize=7, color=MUTED)
        for name, pts in layers.refs.items():
            m = _in_box(pts, cx, cy, half)
            if m.any():
                ax.scatter(
                    pts[m, 0],
                    pts[m, 1],
                    s=30,
                    marker=_LAYER_MARKERS.get(name, "P"),
                    c="white",
                    edgecolors=INK,
                    linewidths=0.8,
                    zorder=8,
                )
                handles.append(
                    Line2D(
                        [],
                        [],
                        marker=_LAYER_MARKERS.get(name, "P"),
                        linestyle="",
                        markerfacecolor="white",
                        markeredgecolor=INK,
                        markersize=5,
                        label=words.get(f"layer_{name}", name),
                    )
                )
        leg = ax.legend(
            handles=handles,
            loc="lower right",
            fontsize=6,
            frameon=True,
            framealpha=0.92,
            edgecolor=RULE,
            borderpad=0.5,
            handletextpad=0.4,
        )
        leg.set_zorder(20)
        _scale_bar(ax, cx - half * 0.92, cy - half * 0.92, 2 * half, words["m"], words["km"])
        _north_arrow(
            ax,
            cx - half * 0.86,
            cy + half * 0.62,
            half * 0.16,
            _convergence(layers.crs, cx, cy),
            words["north"],
        )
        return to_svg(fig)


def _near(g: Any, cx: float, cy: float, half: float) -> bool:
    x0, y0, x1, y1 = g.bounds
    return x1 >= cx - half and x0 <= cx + half and y1 >= cy - half and y0 <= cy + half


def overview_map(
    layers: MapLayers,
    ranked: Sequence[str],
    *,
    words: Mapping[str, str],
) -> str:
    """Every inventory parcel in grey and the shortlisted sites numbered by rank.

    Parameters
    ----------
    layers
        The map layers.
    ranked
        Asset ids of the shortlist, best first.
    words
        Labels (``north``, ``m``, ``km``, ``layer_*``).

    Returns
    -------
    str
        SVG text.
    """
    from matplotlib.lines import Line2D

    geoms = [g for g in layers.parcels.values() if g is not None and not g.is_empty]
    if not geoms:
        xs = np.array([0.0, 1000.0])
        ys = np.array([0.0, 1000.0])
    else:
        b = np.array([g.bounds for g in geoms])
        xs = np.array([b[:, 0].min(), b[:, 2].max()])
        ys = np.array([b[:, 1].min(), b[:, 3].max()])
    cx, cy = xs.mean(), ys.mean()
    half = max(xs[1] - xs[0], ys[1] - ys[0]) / 2 * 1.08 + 300
    with figure_style():
        fig = new_figure(16.0, 11.0)
        ax = fig.add_axes((0.005, 0.005, 0.99, 0.99))
        ax.set_xlim(cx - half * 16 / 11, cx + half * 16 / 11)
        ax.set_ylim(cy - half, cy + half)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for s in ax.spines.values():
            s.set_color(RULE)
        chosen = set(ranked)
        _draw_parcels(
            ax,
            [g for k, g in layers.parcels.items() if k not in chosen],
            "#e3e8ed",
            "#a9b4bf",
            0.3,
            1,
        )
        _draw_parcels(ax, [layers.parcels[k] for k in ranked], "#cfe0f3", ACCENT, 1.0, 3)
        handles: list[Any] = []
        for name, pts in layers.refs.items():
            if len(pts):
                marker = _LAYER_MARKERS.get(name, "P")
                ax.scatter(
                    pts[:, 0],
                    pts[:, 1],
                    s=26,
                    marker=marker,
                    c="white",
                    edgecolors=INK,
                    linewidths=0.8,
                    zorder=4,
                )
                handles.append(
                    Line2D(
                        [],
                        [],
                        marker=marker,
                        linestyle="",
                        markerfacecolor="white",
                        markeredgecolor=INK,
                        markersize=5,
                        label=words.get(f"layer_{name}", name),
                    )
                )
        for rank, k in enumerate(ranked, start=1):
            x, y = _centroid(layers.parcels[k])
            ax.annotate(
                str(rank),
                (x, y),
                xytext=(0, 0),
                textcoords="offset points",
                ha="center",
                va="center",
                fontsize=7 if rank < 100 else 6,
                color="white",
                fontweight="bold",
                bbox={"boxstyle": "circle,pad=0.25", "fc": ACCENT, "ec": "white", "lw": 0.6},
                zorder=10,
            )
        if handles:
            ax.legend(
                handles=handles,
                loc="lower right",
                fontsize=6,
                frameon=True,
                framealpha=0.92,
                edgecolor=RULE,
            )
        w = half * 16 / 11
        _scale_bar(ax, cx - w * 0.94, cy - half * 0.92, 2 * w, words["m"], words["km"])
        _north_arrow(
            ax,
            cx - w * 0.9,
            cy + half * 0.62,
            half * 0.14,
            _convergence(layers.crs, cx, cy),
            words["north"],
        )
        return to_svg(fig)
