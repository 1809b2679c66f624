"""Assets as numbers (centroid, area, minimum rotated rectangle, boundary segments) and
point-to-parcel distances in NumPy, settled with shapely where they are not sure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .._errors import Problem, ValidationError, wrong_type
from ._crs import _projected_crs

#: Safety margin (metres) added to every bound so float rounding never decides a count.
_EPS_M: Final = 1e-3
#: Grid samples per side used to bound the gap of a non-convex parcel.
_GAP_SAMPLES: Final = 17
#: Segment evaluations in one piece of :func:`_boundary_distance`.
_SEGMENT_BUDGET: Final = 32_768
#: Relative precision granted to a NumPy point-to-parcel distance against GEOS's (times the
#: coordinates' magnitude; actual rounding errors are below 1e-14 of it).
_REL_TOL: Final = 1e-9


# --------------------------------------------------------------------------------------------
# Assets


@dataclass
class _Assets:
    """Assets as numbers: ids, geometries, centroid, area and minimum rotated rectangle."""

    ids: pd.Index
    geoms: np.ndarray
    cx: np.ndarray
    cy: np.ndarray
    area: np.ndarray
    ox: np.ndarray  # rectangle centre
    oy: np.ndarray
    cos: np.ndarray  # rectangle axis direction
    sin: np.ndarray
    hu: np.ndarray  # half sides along and across the axis
    hv: np.ndarray
    gap: np.ndarray  # sup over the rectangle of the distance to the parcel
    reach: np.ndarray  # largest distance from the rectangle centre to the rectangle
    sx0: np.ndarray  # boundary segments (x0, y0) -> (x0 + bx, y0 + by) = (x1, y1) of every
    sy0: np.ndarray  # ring, asset by asset; a point asset has one segment of length 0
    sy1: np.ndarray
    sbx: np.ndarray
    sby: np.ndarray
    sil: np.ndarray  # 1 / (bx**2 + by**2), 0 for a segment of length 0
    seg_off: np.ndarray  # (n + 1,) the segments of asset i are seg_off[i]:seg_off[i + 1]
    trusted: np.ndarray  # NumPy distances may stand in for GEOS's (point or valid polygon)

    def __len__(self) -> int:
        return len(self.ids)


def _asset_ids(assets: gpd.GeoDataFrame) -> pd.Index:
    if assets.index.name == "asset_id":
        ids = pd.Index(assets.index, name="asset_id")
    elif "asset_id" in assets.columns:
        ids = pd.Index(assets["asset_id"], name="asset_id")
    else:
        raise ValidationError(
            "assets need an 'asset_id' column or an index named 'asset_id'; got columns "
            f"{list(assets.columns)[:20]} and index {assets.index.name!r}"
        )
    return ids


def _check_assets(
    assets: gpd.GeoDataFrame, known: pd.Index | None = None
) -> tuple[pd.Index, np.ndarray, CRS, bool]:
    """Ids, geometries and CRS of the assets, validated.

    When ``known`` (a context's index) holds exactly the same ids in the same order, the ids
    are trusted and geometries are left to be checked for the rows that get recomputed; the
    last value returned says so.
    """
    if not isinstance(assets, gpd.GeoDataFrame):
        raise wrong_type("assets", "a GeoDataFrame", assets)
    crs = _projected_crs(assets.crs, "assets")
    ids = _asset_ids(assets)
    geoms = np.asarray(assets.geometry.array, dtype=object)
    same = known is not None and len(known) == len(ids) and known.equals(ids)
    if same:
        return ids, geoms, crs, True
    problems: list[Problem] = []
    missing = np.asarray(ids.isna())
    for i in np.flatnonzero(missing):
        problems.append(Problem(assets.index[i], "asset_id", "missing asset id"))
    dup = ids[~missing].duplicated(keep="first")
    for v in pd.unique(ids[~missing][dup]):
        problems.append(Problem(v, "asset_id", "asset id appears more than once"))
    problems += _geometry_problems(ids, geoms, np.arange(len(ids)))
    if problems:
        raise ValidationError(f"assets: {len(problems)} problem(s)", problems)
    return ids, geoms, crs, False


def _geometry_problems(ids: pd.Index, geoms: np.ndarray, rows: np.ndarray) -> list[Problem]:
    sub = geoms[rows]
    type_id = shapely.get_type_id(sub)
    bad = np.flatnonzero(~np.isin(type_id, (0, 3, 6)) | shapely.is_empty(sub))
    problems = []
    for i in bad:
        g = sub[i]
        got = "nothing" if g is None or shapely.is_empty(g) else g.geom_type
        problems.append(
            Problem(
                ids[rows[i]], "geometry", f"expected a Polygon, MultiPolygon or Point; got {got}"
            )
        )
    return problems


def _prepare_assets(ids: pd.Index, geoms: np.ndarray) -> _Assets:
    n = len(geoms)
    centroid = shapely.centroid(geoms)
    cx, cy = shapely.get_x(centroid), shapely.get_y(centroid)
    area = shapely.area(geoms)
    is_point = shapely.get_type_id(geoms) == 0
    ox, oy = cx.copy(), cy.copy()
    cos, sin = np.ones(n), np.zeros(n)
    hu, hv = np.zeros(n), np.zeros(n)
    poly = np.flatnonzero(~is_point)
    if len(poly):
        rect = shapely.oriented_envelope(geoms[poly])
        ok = (shapely.get_type_id(rect) == 3) & (shapely.get_num_coordinates(rect) == 5)
        if ok.any():
            c = shapely.get_coordinates(rect[ok]).reshape(-1, 5, 2)
            e1 = c[:, 1] - c[:, 0]
            e2 = c[:, 2] - c[:, 1]
            len1 = np.hypot(e1[:, 0], e1[:, 1])
            len2 = np.hypot(e2[:, 0], e2[:, 1])
            idx = poly[ok]
            ox[idx] = (c[:, 0, 0] + c[:, 2, 0]) / 2
            oy[idx] = (c[:, 0, 1] + c[:, 2, 1]) / 2
            good = len1 > 0
            cos[idx] = np.where(good, e1[:, 0] / np.where(good, len1, 1), 1.0)
            sin[idx] = np.where(good, e1[:, 1] / np.where(good, len1, 1), 0.0)
            hu[idx] = len1 / 2
            hv[idx] = len2 / 2
        if (~ok).any():  # degenerate parcels: the axis-aligned box
            idx = poly[~ok]
            b = shapely.bounds(geoms[idx])
            ox[idx] = (b[:, 0] + b[:, 2]) / 2
            oy[idx] = (b[:, 1] + b[:, 3]) / 2
            hu[idx] = (b[:, 2] - b[:, 0]) / 2
            hv[idx] = (b[:, 3] - b[:, 1]) / 2
    segments, seg_off, trusted = _segments(geoms, is_point, cx, cy)
    A = _assembled(
        ids, geoms, (cx, cy, area), (ox, oy, cos, sin, hu, hv), segments, seg_off, trusted
    )
    sx0, sy0 = A.sx0, A.sy0
    if len(poly):
        # GEOS's rectangle can miss a vertex by a fraction of a millimetre (rounding): widen it
        # to hold every vertex as the dense blocks compute it, so that it bounds the parcel
        cnt = np.diff(seg_off)
        owner = np.repeat(np.arange(n), cnt)
        dx, dy = sx0 - ox[owner], sy0 - oy[owner]
        u = np.abs(dx * cos[owner] + dy * sin[owner])
        v = np.abs(dy * cos[owner] - dx * sin[owner])
        np.maximum(hu, np.maximum.reduceat(u, seg_off[:-1]), out=hu)
        np.maximum(hv, np.maximum.reduceat(v, seg_off[:-1]), out=hv)
        A.reach = np.hypot(hu, hv)
        A.gap[poly] = _rectangle_gap(A, poly)
    return A


def _assembled(
    ids: pd.Index,
    geoms: np.ndarray,
    centre_area: tuple[np.ndarray, np.ndarray, np.ndarray],
    rect: tuple[np.ndarray, ...],
    segments: tuple[np.ndarray, ...],
    seg_off: np.ndarray,
    trusted: np.ndarray,
) -> _Assets:
    """:class:`_Assets` of parcels given their centroid and area, their rectangle
    ``(ox, oy, cos, sin, hu, hv)`` and their boundary segments ``(x0, y0, x1, y1)``: the
    segments' vectors, inverse squared lengths and the rectangle's reach derived here, the gap
    left at 0 for the caller."""
    cx, cy, area = centre_area
    ox, oy, cos, sin, hu, hv = rect
    sx0, sy0, sx1, sy1 = segments
    sbx, sby = sx1 - sx0, sy1 - sy0
    len2 = sbx * sbx + sby * sby
    sil = np.divide(1.0, len2, out=np.zeros_like(len2), where=len2 > 0)
    return _Assets(
        ids=ids,
        geoms=geoms,
        cx=cx,
        cy=cy,
        area=area,
        ox=ox,
        oy=oy,
        cos=cos,
        sin=sin,
        hu=hu,
        hv=hv,
        gap=np.zeros(len(geoms)),
        reach=np.hypot(hu, hv),
        sx0=sx0,
        sy0=sy0,
        sy1=sy1,
        sbx=sbx,
        sby=sby,
        sil=sil,
        seg_off=seg_off,
        trusted=trusted,
    )


def _segment_d2(
    ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray, sil: np.ndarray
) -> np.ndarray:
    """Squared distance from points to segments, given ``a`` (point minus the segment's
    start), ``b`` (the segment's vector) and ``sil`` (``1 / |b|**2``, 0 for a point): to the
    nearest point ``start + t * b``, ``t = clip(a . b / |b|**2, 0, 1)``. The operations in
    this order: the whole-table kernel and the few-asset path give the same floats."""
    t = ax * bx
    t += ay * by
    t *= sil
    np.clip(t, 0.0, 1.0, out=t)
    dx = ax - t * bx
    dy = ay - t * by
    dx *= dx
    dy *= dy
    dx += dy
    return dx


def _segments(
    geoms: np.ndarray, is_point: np.ndarray, px: np.ndarray, py: np.ndarray
) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """Boundary segments of every asset (see :class:`_Assets`) and which assets are trusted."""
    n = len(geoms)
    trusted = np.ones(n, dtype=bool)
    poly = np.flatnonzero(~is_point)
    pts = np.flatnonzero(is_point)
    owner = [pts]
    x0, y0, x1, y1 = [px[pts]], [py[pts]], [px[pts]], [py[pts]]
    if len(poly):
        trusted[poly] = shapely.is_valid(geoms[poly])
        parts, pidx = shapely.get_parts(geoms[poly], return_index=True)
        rings, ridx = shapely.get_rings(parts, return_index=True)
        xy, cidx = shapely.get_coordinates(rings, return_index=True)
        same = cidx[1:] == cidx[:-1]  # consecutive vertices of one ring
        owner.append(poly[pidx[ridx[cidx[:-1][same]]]])
        x0.append(xy[:-1, 0][same])
        y0.append(xy[:-1, 1][same])
        x1.append(xy[1:, 0][same])
        y1.append(xy[1:, 1][same])
    own = np.concatenate(owner)
    order = np.argsort(own, kind="stable")
    segs = tuple(np.ascontiguousarray(np.concatenate(c)[order]) for c in (x0, y0, x1, y1))
    seg_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(own, minlength=n), out=seg_off[1:])
    return segs, seg_off, trusted


def _rectangle_gap(A: _Assets, idx: np.ndarray) -> np.ndarray:
    """Upper bound of ``max over x in rectangle of distance(x, parcel)`` for the parcels ``idx``.

    For a convex parcel the distance to it is a convex function, so its maximum over the
    rectangle is at a corner. Otherwise the rectangle is sampled on a grid and the half cell
    diagonal is added (the distance is 1-Lipschitz), which bounds it from above. Distances are
    upper bounds from :func:`_distance_upper` (at most a few millimetres above the exact ones).
    """
    geoms = A.geoms[idx]
    hull = shapely.area(shapely.convex_hull(geoms))
    convex = (hull - shapely.area(geoms)) <= 1e-9 * np.maximum(hull, 1.0)
    ox, oy, cos, sin = A.ox[idx], A.oy[idx], A.cos[idx], A.sin[idx]
    hu, hv = A.hu[idx], A.hv[idx]
    gap = np.zeros(len(idx))
    for mask, su, sv, extra in _gap_samplers(convex, hu, hv):
        sel = np.flatnonzero(mask)
        if not len(sel):
            continue
        k = su.size
        px = (
            ox[sel, None]
            + su[None, :] * hu[sel, None] * cos[sel, None]
            - sv[None, :] * hv[sel, None] * sin[sel, None]
        )
        py = (
            oy[sel, None]
            + su[None, :] * hu[sel, None] * sin[sel, None]
            + sv[None, :] * hv[sel, None] * cos[sel, None]
        )
        d = _distance_upper(A, np.repeat(idx[sel], k), px.ravel(), py.ravel())
        gap[sel] = d.reshape(-1, k).max(axis=1) + extra(sel)
    return gap


def _gap_samplers(
    convex: np.ndarray, hu: np.ndarray, hv: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, Callable[[np.ndarray], np.ndarray]]]:
    corners_u = np.array([-1.0, 1.0, 1.0, -1.0])
    corners_v = np.array([-1.0, -1.0, 1.0, 1.0])
    t = np.linspace(-1.0, 1.0, _GAP_SAMPLES)
    grid_u, grid_v = (a.ravel() for a in np.meshgrid(t, t))
    step = 2.0 / (_GAP_SAMPLES - 1)

    def no_extra(idx: np.ndarray) -> np.ndarray:
        return np.zeros(len(idx))

    def half_diagonal(idx: np.ndarray) -> np.ndarray:
        return 0.5 * np.hypot(step * hu[idx], step * hv[idx])

    return [
        (convex, corners_u, corners_v, no_extra),
        (~convex, grid_u, grid_v, half_diagonal),
    ]


# --------------------------------------------------------------------------------------------
# Point-to-parcel distances


def _boundary_distance(
    A: _Assets, a: np.ndarray, px: np.ndarray, py: np.ndarray, test_inside: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NumPy distance from each point ``(px, py)`` to the boundary of its parcel ``a``.

    Returns ``(boundary, inside, tol)``: the smallest distance to the segments of the
    parcel's rings, within ``tol`` of what GEOS computes for those segments; whether an odd
    number of rings cross the ray from the point towards +x, which is GEOS's "inside" for a
    valid parcel when the point is farther than ``tol`` from the boundary (all false without
    ``test_inside``); and ``tol``, a millimetre plus 1e-9 of the coordinates' magnitude
    (rounding errors are below 1e-13 of it).
    """
    cnt = A.seg_off[a + 1] - A.seg_off[a]  # >= 1 for every asset
    ends = np.cumsum(cnt)
    if len(a) > 1 and ends[-1] > _SEGMENT_BUDGET:  # in pieces of bounded memory
        cut = np.searchsorted(ends, np.arange(_SEGMENT_BUDGET, ends[-1], _SEGMENT_BUDGET))
        cut = np.unique(np.clip(cut, 1, len(a) - 1))
        pieces = [
            _boundary_distance(A, a[i:j], px[i:j], py[i:j], test_inside)
            for i, j in zip(np.r_[0, cut], np.r_[cut, len(a)], strict=True)
        ]
        return tuple(np.concatenate(c) for c in zip(*pieces, strict=True))  # type: ignore
    tol = _EPS_M + _REL_TOL * (
        np.abs(px) + np.abs(py) + np.abs(A.ox[a]) + np.abs(A.oy[a]) + A.reach[a]
    )
    if not len(a):
        return np.empty(0), np.zeros(0, dtype=bool), tol
    first = ends - cnt
    seg = np.arange(int(ends[-1]), dtype=np.int64) + np.repeat(A.seg_off[a] - first, cnt)
    qx, qy = np.repeat(px, cnt), np.repeat(py, cnt)
    x0, y0, bx, by = A.sx0[seg], A.sy0[seg], A.sbx[seg], A.sby[seg]
    ax, ay = qx - x0, qy - y0
    boundary = np.sqrt(np.minimum.reduceat(_segment_d2(ax, ay, bx, by, A.sil[seg]), first))
    if not test_inside:
        return boundary, np.zeros(len(a), dtype=bool), tol
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = ((y0 > qy) != (A.sy1[seg] > qy)) & (qx < x0 + ay * bx / by)
    inside = (np.add.reduceat(cross, first, dtype=np.int64) & 1).astype(bool)
    return boundary, inside, tol


def _distance_upper(A: _Assets, a: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """An upper bound of ``shapely.distance`` from each point to its parcel, without shapely.

    GEOS gives 0 inside and the smallest segment distance elsewhere, never more than that.
    """
    boundary, inside, tol = _boundary_distance(A, a, px, py)
    sure_in = inside & (boundary > tol) & A.trusted[a]
    return np.where(sure_in, 0.0, boundary) + tol


def _distance_estimate(
    A: _Assets, a: np.ndarray, px: np.ndarray, py: np.ndarray, l2: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distances from the points ``(px, py)`` to the parcels ``a``, as shapely measures them.

    Returns ``(d, tol, exact)``: ``d`` is within ``tol`` of :func:`shapely.distance` and equal
    to it where ``exact``. ``d`` comes from :func:`_boundary_distance`: 0 for a point inside
    the parcel, else the distance to its boundary. Those are trusted only for a point farther
    than ``tol`` from the boundary of a valid parcel; every other pair (on or next to the
    boundary, or an invalid parcel) is measured with shapely. Exact are those and the points
    inside, whose distance is 0 for GEOS too. ``l2``, the squared distance to the parcel's
    rectangle when known, spares the inside test of the points outside the rectangle (a
    parcel point farther than ``tol`` from the boundary is well inside the rectangle).
    """
    if l2 is None:
        boundary, inside, tol = _boundary_distance(A, a, px, py)
    else:
        boundary, inside, tol = _boundary_distance(A, a, px, py, test_inside=False)
        test = np.flatnonzero(l2 <= 0.0)
        if len(test):
            inside[test] = _boundary_distance(A, a[test], px[test], py[test])[1]
    est = np.where(inside, 0.0, boundary)
    unsure = (boundary <= tol) | ~A.trusted[a]
    exact = inside & ~unsure
    _measure(A, a, px, py, est, exact, unsure)
    return est, tol, exact


def _measure(
    A: _Assets,
    a: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    est: np.ndarray,
    exact: np.ndarray,
    mask: np.ndarray,
) -> None:
    """Replace the estimates of the pairs in ``mask`` that are not exact by shapely's values."""
    todo = np.flatnonzero(mask & ~exact)
    if len(todo):
        est[todo] = shapely.distance(shapely.points(px[todo], py[todo]), A.geoms[a[todo]])
        exact[todo] = True


def _rectangle_distance(A: _Assets, a: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Distance from each point to its asset's minimum rotated rectangle."""
    dx, dy = px - A.ox[a], py - A.oy[a]
    u = np.maximum(np.abs(dx * A.cos[a] + dy * A.sin[a]) - A.hu[a], 0.0)
    v = np.maximum(np.abs(dy * A.cos[a] - dx * A.sin[a]) - A.hv[a], 0.0)
    return np.sqrt(u * u + v * v)
