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

__all__ = ["MapFigure", "MapLayers", "overview_map", "site_map"]

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

    def __post_init__(self) -> None:
        self._ids = list(self.parcels)
        geoms = [self.parcels[k] for k in self._ids]
        self._bounds = np.array(
            [g.bounds if g is not None and not g.is_empty else (np.nan,) * 4 for g in geoms]
        ).reshape(-1, 4)

    def near(self, cx: float, cy: float, half: float) -> list[str]:
        """Ids of the parcels whose bounding box meets the square of half-side ``half``."""
        b = self._bounds
        with np.errstate(invalid="ignore"):
            hit = (b[:, 2] >= cx - half) & (b[:, 0] <= cx + half)
            hit &= (b[:, 3] >= cy - half) & (b[:, 1] <= cy + half)
        return [self._ids[i] for i in np.flatnonzero(hit)]


class _Labels:
    """Text to set over a map by the layout, at fractions of the map's width and height.

    The maps carry no text of their own: Typst draws SVG text with the variable font's default
    instance (Thin, weight 100), which reads poorly on paper, so every label is placed by the
    layout over the picture, in the report's font at its proper weight.
    """

    def __init__(self, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
        self.xlim, self.ylim = xlim, ylim
        self.items: list[dict[str, Any]] = []

    def add(
        self,
        x: float,
        y: float,
        text: str,
        *,
        anchor: str = "center",
        size: float = 6.5,
        bold: bool = False,
        colour: str = INK,
        halo: bool = False,
    ) -> None:
        """A label at (x, y) in map units; ``anchor`` is ``center`` (text centred above the
        point's line), ``left`` or ``mid`` (centred on the point both ways)."""
        (x0, x1), (y0, y1) = self.xlim, self.ylim
        self.items.append(
            {
                "x": (x - x0) / (x1 - x0),
                "y": (y1 - y) / (y1 - y0),
                "text": text,
                "anchor": anchor,
                "size": size,
                "bold": bold,
                "colour": colour,
                "halo": halo,
            }
        )


def _nice_length(span_m: float) -> float:
    """A round scale-bar length near a fifth of the span."""
    target = span_m / 5
    exp = 10 ** math.floor(math.log10(target))
    for m in (5, 2, 1):
        if m * exp <= target:
            return m * exp
    return exp


def _scale_bar(
    ax: Any,
    labels: _Labels,
    x0: float,
    y0: float,
    span: float,
    label_m: str,
    label_km: str,
) -> None:
    length = _nice_length(span)
    h = span * 0.012
    ax.add_patch(_rect(x0, y0, length / 2, h, INK))
    ax.add_patch(_rect(x0 + length / 2, y0, length / 2, h, "white", edge=INK))
    text = f"{length / 1000:g} {label_km}" if length >= 1000 else f"{length:g} {label_m}"
    labels.add(x0, y0 + h * 1.4, "0", halo=True)
    labels.add(x0 + length, y0 + h * 1.4, text, halo=True)


def _rect(x: float, y: float, w: float, h: float, face: str, edge: str | None = None) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor=face, edgecolor=edge or face, linewidth=0.6)


def _north_arrow(
    ax: Any,
    labels: _Labels,
    x: float,
    y: float,
    size: float,
    angle_deg: float,
    label: str,
) -> None:
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
    labels.add(tip[0] + ux * size * 0.08, tip[1] + uy * size * 0.08, label, size=8, bold=True)


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


#: Legend entries are data for the layout: ``{"kind", "colour", "label"}`` where kind is
#: ``site``, ``parcel``, ``dot``, ``conflict`` or a reference layer's marker (``ref:^``).
Legend = list[dict[str, str]]
_SITE_FACE: Final = "#cfe0f3"


@dataclass
class MapFigure:
    """A map for the layout: the picture, its legend and its labels.

    Attributes
    ----------
    svg
        The picture (no text in it).
    legend
        Legend entries (see :data:`Legend`).
    labels
        Text to set over the picture: ``x`` and ``y`` as fractions of its width and height
        from the top left, ``text``, ``anchor``, ``size`` (pt), ``bold``, ``colour``, ``halo``.
    ratio
        Height / width.
    """

    svg: str
    legend: Legend
    labels: list[dict[str, Any]]
    ratio: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for the layout."""
        return {"svg": self.svg, "legend": self.legend, "labels": self.labels, "ratio": self.ratio}


_PARCEL_FACE: Final = "#eef1f4"
_PARCEL_EDGE: Final = "#a9b4bf"


def site_map(
    layers: MapLayers,
    asset_id: str,
    *,
    rings_m: Sequence[float],
    avoid: Mapping[str, float],
    industry_names: Mapping[str, str],
    words: Mapping[str, str],
) -> MapFigure:
    """One site with its surroundings: parcels, firms by industry, rings, conflicts.

    Parameters
    ----------
    layers
        The map layers.
    asset_id
        The site.
    rings_m
        Radii of the rings drawn around the site (metres from its centroid).
    avoid
        Industry division -> protection distance (m): firms of these industries within that
        distance of the parcel are drawn as conflicts.
    industry_names
        Division -> name for the legend.
    words
        Labels (``legend_site``, ``legend_other``, ``legend_conflict``, ``north``, ``m``,
        ``km``, ``no_firms``, ``layer_{name}``).

    Returns
    -------
    MapFigure
    """
    from matplotlib.patches import Circle

    geom = layers.parcels[asset_id]
    cx, cy = _centroid(geom)
    half = max(rings_m) * 1.12 if rings_m else 1500.0
    legend: Legend = [
        {"kind": "site", "colour": _SITE_FACE, "label": words["legend_site"]},
        {"kind": "parcel", "colour": _PARCEL_FACE, "label": words["legend_other"]},
    ]
    with figure_style():
        fig = new_figure(11.5, 11.5)
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
        _frame(ax, cx, cy, half)
        labels = _Labels((cx - half, cx + half), (cy - half, cy + half))
        near = [layers.parcels[k] for k in layers.near(cx, cy, half) if k != asset_id]
        _draw_parcels(ax, near, _PARCEL_FACE, _PARCEL_EDGE, 0.4, 1)
        _draw_parcels(ax, [geom], _SITE_FACE, ACCENT, 1.4, 4)
        for r in rings_m:
            ax.add_patch(
                Circle(
                    (cx, cy), r, fill=False, edgecolor=MUTED, linewidth=0.6, linestyle=(0, (3, 2))
                )
            )
            labels.add(
                cx + r * math.cos(math.radians(40)),
                cy + r * math.sin(math.radians(40)),
                f"{r / 1000:g} {words['km']}" if r >= 1000 else f"{r:g} {words['m']}",
                anchor="left",
                halo=True,
            )
        inside = _in_box(layers.firm_xy, cx, cy, half)
        xy, div = layers.firm_xy[inside], layers.firm_division[inside]
        conflict = np.zeros(len(div), dtype=bool)
        if len(div) and avoid:
            import shapely

            # a conflict: a firm of an avoided industry within its protection distance of
            # the parcel's boundary (others of the industry are drawn like any firm)
            dist = shapely.distance(geom, shapely.points(xy))
            need = np.array([avoid.get(str(d), -1.0) for d in div], dtype=float)
            conflict = dist <= need
        plain = div[~conflict]
        kinds, counts = np.unique(plain, return_counts=True) if len(plain) else ([], [])
        order = [str(k) for _, k in sorted(zip(-np.asarray(counts), kinds, strict=True))]
        coloured = order[: len(_INDUSTRY_COLOURS)]
        rest = ~np.isin(div, coloured) & ~conflict
        if rest.any():
            ax.scatter(xy[rest, 0], xy[rest, 1], s=5, c=_OTHER_FIRM, linewidths=0, zorder=2)
        for k, colour in zip(coloured, _INDUSTRY_COLOURS, strict=False):
            m = (div == k) & ~conflict
            ax.scatter(xy[m, 0], xy[m, 1], s=7, c=colour, linewidths=0, zorder=3)
            legend.append(
                {"kind": "dot", "colour": colour, "label": f"{k} {industry_names.get(k, '')}"}
            )
        if rest.any():
            legend.append({"kind": "dot", "colour": _OTHER_FIRM, "label": words["other_firms"]})
        if conflict.any():
            ax.scatter(
                xy[conflict, 0], xy[conflict, 1], s=30, marker="X", c=WARN, linewidths=0, zorder=7
            )
            names = sorted({str(d) for d in div[conflict]})
            legend.append(
                {
                    "kind": "conflict",
                    "colour": WARN,
                    "label": words["legend_conflict"]
                    + " "
                    + ", ".join(f"{d} {industry_names.get(d, '')}".strip() for d in names),
                }
            )
        if len(layers.firm_xy) == 0:
            legend.append({"kind": "none", "colour": MUTED, "label": words["no_firms"]})
        legend += _draw_refs(ax, layers, cx, cy, half, half, words)
        _scale_bar(
            ax, labels, cx - half * 0.92, cy - half * 0.92, 2 * half, words["m"], words["km"]
        )
        _north_arrow(
            ax,
            labels,
            cx + half * 0.84,
            cy + half * 0.66,
            half * 0.16,
            _convergence(layers.crs, cx, cy),
            words["north"],
        )
        return MapFigure(to_svg(fig), legend, labels.items, 1.0)


def _draw_refs(
    ax: Any,
    layers: MapLayers,
    cx: float,
    cy: float,
    half_x: float,
    half_y: float,
    words: Mapping[str, str],
) -> Legend:
    legend: Legend = []
    for name, pts in layers.refs.items():
        if not len(pts):
            continue
        m = (np.abs(pts[:, 0] - cx) <= half_x) & (np.abs(pts[:, 1] - cy) <= half_y)
        if not m.any():
            continue
        marker = _LAYER_MARKERS.get(name, "P")
        ax.scatter(
            pts[m, 0],
            pts[m, 1],
            s=34,
            marker=marker,
            c="white",
            edgecolors=INK,
            linewidths=0.9,
            zorder=8,
        )
        legend.append(
            {"kind": f"ref:{marker}", "colour": INK, "label": words.get(f"layer_{name}", name)}
        )
    return legend


def overview_map(
    layers: MapLayers,
    ranked: Sequence[str],
    *,
    words: Mapping[str, str],
) -> MapFigure:
    """Every inventory parcel in grey and the shortlisted sites numbered by rank.

    Parameters
    ----------
    layers
        The map layers.
    ranked
        Asset ids of the shortlist, best first.
    words
        Labels (``north``, ``m``, ``km``, ``layer_{name}``, ``legend_site``,
        ``legend_other``).

    Returns
    -------
    MapFigure
    """
    b = layers._bounds
    ok = ~np.isnan(b[:, 0])
    if ok.any():
        xs = np.array([b[ok, 0].min(), b[ok, 2].max()])
        ys = np.array([b[ok, 1].min(), b[ok, 3].max()])
    else:
        xs = np.array([0.0, 1000.0])
        ys = np.array([0.0, 1000.0])
    aspect = 16 / 10
    cx, cy = float(xs.mean()), float(ys.mean())
    half = max((xs[1] - xs[0]) / aspect, ys[1] - ys[0]) / 2 * 1.08 + 300
    legend: Legend = [
        {"kind": "site", "colour": _SITE_FACE, "label": words["legend_ranked"]},
        {"kind": "parcel", "colour": _PARCEL_FACE, "label": words["legend_other"]},
    ]
    with figure_style():
        fig = new_figure(16.0, 10.0)
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_xlim(cx - half * aspect, cx + half * aspect)
        ax.set_ylim(cy - half, cy + half)
        labels = _Labels((cx - half * aspect, cx + half * aspect), (cy - half, cy + half))
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for sp in ax.spines.values():
            sp.set_color(RULE)
        chosen = set(ranked)
        _draw_parcels(
            ax,
            [g for k, g in layers.parcels.items() if k not in chosen],
            _PARCEL_FACE,
            _PARCEL_EDGE,
            0.3,
            1,
        )
        _draw_parcels(ax, [layers.parcels[k] for k in ranked], _SITE_FACE, ACCENT, 1.0, 3)
        legend += _draw_refs(ax, layers, cx, cy, half * aspect, half, words)
        if ranked:
            xy = np.array([_centroid(layers.parcels[k]) for k in ranked])
            ax.scatter(
                xy[::-1, 0],
                xy[::-1, 1],
                s=110 if len(ranked) < 100 else 80,
                c=ACCENT,
                edgecolors="white",
                linewidths=0.8,
                zorder=10,
            )
            for rank, (x, y) in enumerate(xy, start=1):
                labels.add(
                    x,
                    y,
                    str(rank),
                    anchor="mid",
                    size=6.5 if rank < 10 else 5.5,
                    bold=True,
                    colour="#ffffff",
                )
        w = half * aspect
        _scale_bar(ax, labels, cx - w * 0.95, cy - half * 0.92, 2 * w, words["m"], words["km"])
        _north_arrow(
            ax,
            labels,
            cx + w * 0.92,
            cy + half * 0.62,
            half * 0.14,
            _convergence(layers.crs, cx, cy),
            words["north"],
        )
        return MapFigure(to_svg(fig), legend, labels.items, 1 / aspect)
