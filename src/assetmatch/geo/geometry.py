"""Geometry checks and repairs for asset boundaries.

:func:`check_geometries` decides, for every row, whether its geometry can be stored:

* rejected, with the reason: missing (None/NaN), empty, non-finite coordinates (NaN or
  infinity in x or y, or an infinite z; a NaN z is read as "no z"), lines, multi-points,
  polygons of zero area, collections without any polygon, and points when points are not
  allowed;
* accepted as they are: valid polygons and multipolygons, and points (an asset whose location
  is known but not its boundary) when ``allow_points``;
* repaired and reported: invalid polygons go through
  ``shapely.make_valid(geom, method="structure", keep_collapsed=False)`` and keep only their
  polygonal parts — a bow-tie becomes its two triangles, overlapping parts of a multipolygon
  are unioned, not dropped — and geometry collections keep their (unioned) polygons.

Areas are planar, in the units of the caller's CRS; the checks never reproject.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from assetmatch._errors import Problem

logger = logging.getLogger(__name__)

_POINT, _LINESTRING, _LINEARRING, _POLYGON = 0, 1, 2, 3
_MULTIPOINT, _MULTILINESTRING, _MULTIPOLYGON, _COLLECTION = 4, 5, 6, 7
_TYPE_NAMES = {
    _POINT: "Point",
    _LINESTRING: "LineString",
    _LINEARRING: "LinearRing",
    _POLYGON: "Polygon",
    _MULTIPOINT: "MultiPoint",
    _MULTILINESTRING: "MultiLineString",
    _MULTIPOLYGON: "MultiPolygon",
    _COLLECTION: "GeometryCollection",
}


@dataclass
class GeometryCheck:
    """Outcome of :func:`check_geometries`, one entry per input row.

    Attributes
    ----------
    geometry
        Object array of cleaned geometries: Polygon/MultiPolygon (or Point); None where
        rejected.
    ok
        True where the geometry can be stored.
    repaired
        True where the geometry was changed to become valid.
    area_before, area_after
        Planar areas before and after cleaning, in the caller's CRS units (NaN where there is
        no geometry; ``area_after`` is NaN where rejected).
    problems
        One :class:`~assetmatch.Problem` per rejected row (``field="geometry"``).
    repairs
        One dict per repaired row: ``row``, ``reason`` and ``area_change`` (after − before).
    """

    geometry: NDArray[np.object_]
    ok: NDArray[np.bool_]
    repaired: NDArray[np.bool_]
    area_before: NDArray[np.float64]
    area_after: NDArray[np.float64]
    problems: list[Problem] = field(default_factory=list)
    repairs: list[dict[str, Any]] = field(default_factory=list)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    """Union of the polygonal parts of ``geom`` (Polygon or MultiPolygon); None if none."""
    parts = [geom]
    polygons: list[shapely.Geometry] = []
    while parts:
        g = parts.pop()
        type_id = shapely.get_type_id(g)
        if type_id == _POLYGON and not g.is_empty:
            polygons.append(g)
        elif type_id in (_MULTIPOLYGON, _COLLECTION):
            parts.extend(shapely.get_parts(g))
    if not polygons:
        return None
    merged = shapely.union_all(polygons)
    if shapely.get_type_id(merged) == _COLLECTION:
        return _polygonal(merged) if not merged.is_empty else None
    return merged


def drop_stray_holes(geom: Any) -> tuple[Any, int]:
    """``geom`` without the holes that lie outside their polygon's shell, and how many.

    A hole outside its shell is a drawing error, not land: a repair that kept it would turn
    it into a second polygon. Geometries other than polygons come back unchanged.
    """
    type_id = shapely.get_type_id(geom) if isinstance(geom, shapely.Geometry) else -1
    if type_id == _POLYGON:
        shell = shapely.Polygon(geom.exterior)
        holes = list(geom.interiors)
        keep = [h for h in holes if shapely.Polygon(h).intersects(shell)]
        if len(keep) == len(holes):
            return geom, 0
        return shapely.Polygon(geom.exterior, keep), len(holes) - len(keep)
    if type_id == _MULTIPOLYGON:
        parts, dropped = [], 0
        for part in shapely.get_parts(geom):
            p, n = drop_stray_holes(part)
            parts.append(p)
            dropped += n
        return (shapely.MultiPolygon(parts), dropped) if dropped else (geom, 0)
    return geom, 0


def _area_text(before: float, after: float) -> str:
    if before > 0:
        return f"area {before:,.6g} → {after:,.6g} ({(after - before) / before:+.1%})"
    return f"area {before:,.6g} → {after:,.6g}"


#: Largest coordinate magnitude accepted in any CRS (metres or degrees): far beyond any map, far
#: below the point where areas and repairs overflow.
MAX_COORDINATE = 1e9


def check_geometries(geoms: Any, *, allow_points: bool = True) -> GeometryCheck:
    """Check, and where possible repair, one geometry per row.

    Parameters
    ----------
    geoms
        GeoSeries (its index labels name the rows in problems and repairs) or a sequence /
        array of shapely geometries (rows named by position). Missing values may be None or
        NaN.
    allow_points
        Accept Points as assets whose boundary is unknown. If False, points are rejected.

    Returns
    -------
    GeometryCheck
        Cleaned geometries, flags, areas, problems and repairs; see the module docstring for
        the rules. The work is vectorised; only invalid polygons and collections are handled
        one by one.
    """
    with np.errstate(all="ignore"):  # rejected rows' areas may overflow; none of it is kept
        return _check_geometries(geoms, allow_points=allow_points)


def _accepted_one(raw: NDArray[np.object_], allow_points: bool) -> GeometryCheck | None:
    """The check of one geometry in the common case (an edit's boundary), with scalar calls:
    a non-empty, valid polygon or multipolygon of positive area (or a point, where allowed)
    with finite coordinates on the map is accepted as it is. ``None`` for anything else: the
    general path then names the problem or repairs it."""
    g = raw[0]
    if not isinstance(g, shapely.Geometry):
        return None
    tid = int(shapely.get_type_id(g))
    point = tid == _POINT
    if not (tid in (_POLYGON, _MULTIPOLYGON) or (point and allow_points)) or g.is_empty:
        return None
    xyz = shapely.get_coordinates(g, include_z=True)
    xy = xyz[:, :2]
    if not np.isfinite(xy).all() or np.isinf(xyz[:, 2]).any():
        return None
    if np.abs(xy).max() > MAX_COORDINATE:
        return None
    area = float(shapely.area(g))
    if not point and not (shapely.is_valid(g) and area > 0):
        return None
    logger.info("checked 1 geometries: 1 accepted, 0 repaired, 0 rejected")
    return GeometryCheck(
        geometry=raw.copy(),
        ok=np.ones(1, dtype=bool),
        repaired=np.zeros(1, dtype=bool),
        area_before=np.array([area]),
        area_after=np.array([area]),
    )


def _check_geometries(geoms: Any, *, allow_points: bool) -> GeometryCheck:
    index = list(geoms.index) if isinstance(geoms, pd.Series) else None
    raw = np.asarray(getattr(geoms, "values", geoms), dtype=object).ravel()
    n = len(raw)
    if n == 1:
        one = _accepted_one(raw, allow_points)
        if one is not None:
            return one
    labels: list[Any] = index if index is not None else list(range(n))

    arr = raw.copy()
    is_geom = np.asarray(shapely.is_geometry(arr), dtype=bool)
    arr[~is_geom] = None
    reason: list[str | None] = [None] * n

    def reject(mask: NDArray[np.bool_], text: str) -> None:
        for i in np.flatnonzero(mask):
            if reason[i] is None:
                reason[i] = text

    reject(~is_geom, "missing geometry")
    empty = is_geom & np.asarray(shapely.is_empty(arr), dtype=bool)
    reject(empty, "empty geometry")

    coords, owner = shapely.get_coordinates(arr, include_z=True, return_index=True)
    if len(coords):
        bad_xy = ~np.isfinite(coords[:, :2]).all(axis=1)
        bad_z = np.isinf(coords[:, 2])
        bad = np.bincount(owner[bad_xy | bad_z], minlength=n) > 0
        reject(bad, "non-finite coordinates (NaN or infinity)")
        with np.errstate(invalid="ignore"):
            huge = np.abs(coords[:, :2]).max(axis=1) > MAX_COORDINATE
        reject(
            np.bincount(owner[huge], minlength=n) > 0,
            f"coordinates beyond any map (|x| or |y| above {MAX_COORDINATE:g})",
        )

    type_id = np.asarray(shapely.get_type_id(arr))
    for tid in (_LINESTRING, _LINEARRING, _MULTILINESTRING):
        reject(
            type_id == tid,
            f"a {_TYPE_NAMES[tid]} has no area; give the parcel boundary as a polygon, "
            "or its location as a point",
        )
    reject(
        type_id == _MULTIPOINT,
        "a MultiPoint is not one location; give one point or the boundary polygon",
    )
    if not allow_points:
        reject(type_id == _POINT, "a Point has no boundary and points are not accepted here")

    area_before = np.asarray(shapely.area(arr), dtype=float)
    area_before[~is_geom] = np.nan
    cleaned = arr.copy()
    repaired = np.zeros(n, dtype=bool)
    repairs: list[dict[str, Any]] = []

    candidates = np.array([r is None for r in reason], dtype=bool)
    polygonal = candidates & ((type_id == _POLYGON) | (type_id == _MULTIPOLYGON))  # not isin
    valid = np.zeros(n, dtype=bool)
    valid[polygonal] = shapely.is_valid(arr[polygonal])
    to_fix = (polygonal & ~valid) | (candidates & (type_id == _COLLECTION))

    for i in np.flatnonzero(to_fix):
        geom = arr[i]
        if type_id[i] == _COLLECTION:
            parts = shapely.get_parts(geom)
            others = int(
                np.isin(shapely.get_type_id(parts), (_POLYGON, _MULTIPOLYGON), invert=True).sum()
            )
            why = f"a GeometryCollection: kept its polygons, dropped {others} other part(s)"
            fixed_input = (
                geom
                if shapely.is_valid(geom)
                else shapely.make_valid(geom, method="structure", keep_collapsed=False)
            )
        else:
            why = (
                f"invalid {_TYPE_NAMES[int(type_id[i])]} ({shapely.is_valid_reason(geom)}) "
                "repaired with make_valid(method='structure')"
            )
            geom, stray = drop_stray_holes(geom)
            if stray:
                why = (
                    f"dropped {stray} hole(s) lying outside the boundary (a drawing error, "
                    "not land)"
                )
                area_before[i] = float(shapely.area(geom))  # the land as drawn: the shell
                if not shapely.is_valid(geom):
                    why += "; then repaired with make_valid(method='structure')"
            fixed_input = (
                geom
                if stray and shapely.is_valid(geom)
                else shapely.make_valid(geom, method="structure", keep_collapsed=False)
            )
        fixed = _polygonal(fixed_input)
        if fixed is None or fixed.is_empty or fixed.area <= 0:
            reason[i] = (
                "a GeometryCollection without any polygon"
                if type_id[i] == _COLLECTION
                else f"polygon collapses to zero area ({shapely.is_valid_reason(geom)})"
            )
            continue
        cleaned[i] = fixed
        repaired[i] = True
        before, after = float(area_before[i]), float(fixed.area)
        repairs.append(
            {
                "row": labels[i],
                "reason": f"{why}; {_area_text(before, after)}",
                "area_change": after - before,
            }
        )

    zero = polygonal & valid & (area_before <= 0)
    reject(zero, "polygon of zero area")

    ok = np.array([r is None for r in reason], dtype=bool)
    cleaned[~ok] = None
    repaired &= ok
    area_after = np.asarray(shapely.area(cleaned), dtype=float)
    area_after[~ok] = np.nan
    problems = [
        Problem(row=labels[i], field="geometry", reason=str(reason[i])) for i in np.flatnonzero(~ok)
    ]
    logger.info(
        "checked %d geometries: %d accepted, %d repaired, %d rejected",
        n,
        int(ok.sum()),
        int(repaired.sum()),
        len(problems),
    )
    return GeometryCheck(
        geometry=cleaned,
        ok=ok,
        repaired=repaired,
        area_before=area_before,
        area_after=area_after,
        problems=problems,
        repairs=repairs,
    )
