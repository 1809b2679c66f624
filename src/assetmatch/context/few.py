"""Context features of a few assets (the ones an edit moved), with little per-call overhead.

The whole-table kernel (:mod:`~assetmatch.context.kernel`) is built for thousands of assets:
tiles, scratch buffers, firm windows and batched exact looks. For one moved asset its fixed
cost per NumPy, GEOS and pandas call is most of the time. This module computes the same
numbers for a handful of assets with as few calls as it can:

* what depends only on the firms, the industry groups and the parameters is prepared once per
  kept setup (:class:`_FewPlan`): every (firm, industry group) pair sorted by group and, within
  a group, in grid order — the order the kernel's firm windows give — and the column names;
* every asset is compared with every pair at once (or, for a firm table too large for that,
  with the firms of its own window, as the kernel does), and the pairs the bounds leave open
  (ambiguous counts, candidates for the nearest firm) are measured with shapely in one call,
  which decides them as the kernel's estimates and exact looks do (see :func:`_settle`).

Every number is computed with the same floating-point operations, in the same order, as the
kernel computes it (distances pair by pair, presence sums over the same pairs in the same
order), so the rows are bit-for-bit those of :func:`~assetmatch.context.engine.context_features`.
The nearest firm of a group is the one with the smallest exact distance (ties to the lowest
ordinal) whichever candidates are measured, as long as they hold every firm that can be
nearest; comparing every pair finds it directly where the kernel, after its window, searches
beyond the largest radius.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
import shapely

from .firms import FirmIndex, _Labels
from .kernel import _access, _fallback_nearest, _Out, _pick_nearest, _presence, _thresholds
from .parcels import (
    _EPS_M,
    _GAP_SAMPLES,
    _REL_TOL,
    _assembled,
    _Assets,
    _distance_estimate,
    _measure,
    _segment_d2,
)
from .spec import _column_names, _Spec

if TYPE_CHECKING:  # for type hints only: the engine imports this module
    from .engine import _Kept

#: Largest number of assets computed by this module rather than the whole-table kernel; as
#: many as an update computes in its own transaction (``Inventory``'s ``_MOVED_ROWS``). Measured
#: (benchmarks/README, session 8): this module is 3.2-3.9x faster for one asset, 1.9-2.1x for 8
#: and 1.1-1.3x for 32, on the demo zone and on 10,000 assets.
FEW_ASSETS: Final = 32
#: Firm tables with at most this many (firm, industry group) pairs are compared whole with
#: each asset; larger ones through each asset's window of the grid.
_ALL_PAIRS: Final = 32_768
#: Reference layers with at most this many features in all are measured feature by feature
#: (the least distance per layer is the one their trees' nearest-feature query gives).
_LAYER_FEATURES: Final = 256
#: Open pairs of a block measured with shapely at once rather than estimated first.
_SHAPELY_PAIRS: Final = 256


@dataclass(frozen=True)
class _Pairs:
    """(firm, group) pairs sorted by group, in grid order within a group."""

    x: np.ndarray
    y: np.ndarray
    xy: np.ndarray  # (2, n): x and y stacked
    pos: np.ndarray  # firm positions in the FirmIndex
    label: np.ndarray  # group of each pair
    starts: np.ndarray  # first pair of each present group
    lengths: np.ndarray  # pairs of each present group
    present: np.ndarray  # the groups with at least one pair

    @classmethod
    def of(cls, pos: np.ndarray, x: np.ndarray, y: np.ndarray, sizes: np.ndarray) -> _Pairs:
        """The pairs of ``pos`` (sorted by group), ``sizes[j]`` of group ``j``."""
        present = np.flatnonzero(sizes)
        lengths = sizes[present]
        return cls(
            x=x,
            y=y,
            xy=np.stack([x, y]),
            pos=pos,
            label=np.repeat(present, lengths),
            starts=np.cumsum(lengths) - lengths,
            lengths=lengths,
            present=present,
        )


@dataclass(frozen=True)
class _FewPlan:
    """What a kept setup's few-asset computations share: the pairs and the column layout."""

    pairs: _Pairs | None  # every pair of the firm table, or None: per-asset windows
    points: np.ndarray | None  # with ``pairs``: every firm as a shapely Point, by position
    beyond: list[float]  # (radius + eps)**2 per radius, as the kernel's _thresholds gives it
    names: list[str]  # every column, in the table's order
    conflict: np.ndarray  # group of each conflict code's columns
    flag_kind: np.ndarray  # per breach flag: True when the other side is a reference layer
    flag_source: np.ndarray  # its group (firm) or layer position (layer)
    flag_dist: np.ndarray  # its distance
    n_flags: int
    breached: bool  # the table has a conflicts_breached column
    # the reference layers' features (those of their trees) in one array when they are few,
    # else None (the trees are queried); the first feature of each layer that has any
    layer_feats: np.ndarray | None
    layer_starts: np.ndarray
    layer_full: np.ndarray  # the layers that have features


def _plan(kept: _Kept) -> _FewPlan:
    """The kept setup's :class:`_FewPlan`, made on first need and kept with it."""
    plan = kept.few.get("plan")
    if plan is None:
        plan = kept.few["plan"] = _make_plan(kept)
    return plan


def _make_plan(kept: _Kept) -> _FewPlan:
    """Every (firm, label) pair of a firm table small enough to compare whole, as
    :meth:`FirmIndex._member_positions` lists each label's firms (grid order), and the column
    layout of :func:`~assetmatch.context.spec._columns`."""
    setup = kept.setup
    F, labels, spec = setup.index, setup.labels, setup.spec
    pairs = points = None
    per_category = np.bincount(F.category, minlength=len(labels.member))
    n_pairs = int(per_category @ labels.member.sum(axis=1))
    if n_pairs <= _ALL_PAIRS:
        pos = [F._member_positions(labels.member[:, j])[1] for j in range(labels.n)]
        sizes = np.array([len(p) for p in pos], dtype=np.int64)
        allpos = np.concatenate(pos) if pos else np.empty(0, np.int64)
        allpos = allpos.astype(np.int64, copy=False)
        pairs = _Pairs.of(allpos, F.x[allpos], F.y[allpos], sizes)
        points = shapely.points(F.x, F.y)
    layer_at = {name: i for i, name in enumerate(spec.layer_names)}
    feats = [
        np.empty(0, dtype=object) if kept.trees[name] is None else kept.trees[name].geometries
        for name in spec.layer_names
    ]
    sizes = np.array([len(f) for f in feats], dtype=np.int64)
    layer_full = np.flatnonzero(sizes)
    layer_feats = np.concatenate(feats) if feats else np.empty(0, dtype=object)
    layer_starts = (np.cumsum(sizes) - sizes)[layer_full]
    flags = list(kept.flags.values())
    return _FewPlan(
        pairs=pairs,
        points=points,
        beyond=_thresholds(spec.radii, np.zeros(1))[0].tolist(),
        names=_column_names(spec, labels),
        conflict=np.array([labels.index(c) for c in kept.codes], dtype=np.int64),
        flag_kind=np.array([kind != "firm" for kind, _, _ in flags], dtype=bool),
        flag_source=np.array(
            [labels.index(o) if k == "firm" else layer_at[o] for k, o, _ in flags], dtype=np.int64
        ),
        flag_dist=np.array([d for _, _, d in flags], dtype=float),
        n_flags=len(flags),
        breached=bool(flags) or len(spec.rules) > 0,
        layer_feats=layer_feats if len(layer_feats) <= _LAYER_FEATURES else None,
        layer_starts=layer_starts,
        layer_full=layer_full,
    )


# --------------------------------------------------------------------------------------------
# Assets


@functools.cache
def _gap_grid() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """The sample points of :func:`~assetmatch.context.parcels._rectangle_gap` (corners of a
    convex parcel's rectangle, a grid for the others) and the grid step."""
    t = np.linspace(-1.0, 1.0, _GAP_SAMPLES)
    grid_u, grid_v = (a.ravel() for a in np.meshgrid(t, t))
    corners_u = np.array([-1.0, 1.0, 1.0, -1.0])
    corners_v = np.array([-1.0, -1.0, 1.0, 1.0])
    return corners_u, corners_v, grid_u, grid_v, 2.0 / (_GAP_SAMPLES - 1)


def _prepare_few(ids: pd.Index, geoms: np.ndarray, type_id: np.ndarray) -> _Assets:
    """:func:`~assetmatch.context.parcels._prepare_assets` of a few assets, field for field.

    The same values from the same operations, asset by asset where that spares NumPy calls
    (``type_id``: :func:`shapely.get_type_id` of ``geoms``, already known to the caller).
    """
    n = len(geoms)
    cxy = shapely.get_coordinates(shapely.centroid(geoms))
    cx, cy = cxy[:, 0].copy(), cxy[:, 1].copy()
    area = shapely.area(geoms)
    is_point = type_id == 0
    ox, oy = cx.copy(), cy.copy()
    cos, sin = np.ones(n), np.zeros(n)
    hu, hv = np.zeros(n), np.zeros(n)
    trusted = np.ones(n, dtype=bool)
    poly = np.flatnonzero(~is_point).tolist()
    x0: list[np.ndarray] = []
    y0: list[np.ndarray] = []
    x1: list[np.ndarray] = []
    y1: list[np.ndarray] = []
    if poly:
        pg = geoms[poly]
        trusted[poly] = shapely.is_valid(pg)
        rects = shapely.oriented_envelope(pg)
        rect_type = shapely.get_type_id(rects).tolist()
        holes = (shapely.get_num_interior_rings(pg) > 0).tolist()
    for i in range(n):
        if is_point[i]:
            for c, v in ((x0, cx), (y0, cy), (x1, cx), (y1, cy)):
                c.append(v[i : i + 1])
            continue
        k = poly.index(i)
        c = shapely.get_coordinates(rects[k]).tolist() if rect_type[k] == 3 else None
        if c is not None and len(c) == 5:
            (c0x, c0y), (c1x, c1y), (c2x, c2y) = c[0], c[1], c[2]
            e1x, e1y, e2x, e2y = c1x - c0x, c1y - c0y, c2x - c1x, c2y - c1y
            len1, len2 = np.hypot([e1x, e2x], [e1y, e2y]).tolist()
            ox[i] = (c0x + c2x) / 2
            oy[i] = (c0y + c2y) / 2
            if len1 > 0:
                cos[i] = e1x / len1
                sin[i] = e1y / len1
            hu[i] = len1 / 2
            hv[i] = len2 / 2
        else:  # degenerate parcels: the axis-aligned box
            b = shapely.bounds(geoms[i])
            ox[i] = (b[0] + b[2]) / 2
            oy[i] = (b[1] + b[3]) / 2
            hu[i] = (b[2] - b[0]) / 2
            hv[i] = (b[3] - b[1]) / 2
        if type_id[i] == 3 and not holes[k]:  # one ring: every consecutive pair of vertices
            xy = shapely.get_coordinates(geoms[i])
            sx0, sy0 = xy[:-1, 0], xy[:-1, 1]
            x1.append(xy[1:, 0])
            y1.append(xy[1:, 1])
        else:
            rings = shapely.get_rings(shapely.get_parts(geoms[i]))
            xy, cidx = shapely.get_coordinates(rings, return_index=True)
            same = cidx[1:] == cidx[:-1]  # consecutive vertices of one ring
            sx0, sy0 = xy[:-1, 0][same], xy[:-1, 1][same]
            x1.append(xy[1:, 0][same])
            y1.append(xy[1:, 1][same])
        x0.append(sx0)
        y0.append(sy0)
        # GEOS's rectangle can miss a vertex by a fraction of a millimetre: widen it to hold
        # every vertex (as _prepare_assets does)
        dx, dy = sx0 - ox[i], sy0 - oy[i]
        ci, si = cos[i], sin[i]
        hu[i] = max(hu[i], np.abs(dx * ci + dy * si).max())
        hv[i] = max(hv[i], np.abs(dy * ci - dx * si).max())
    counts = [len(s) for s in x0]
    seg_off = np.zeros(n + 1, dtype=np.int64)
    seg_off[1:] = np.cumsum(counts)
    if n == 1:
        segments = (x0[0], y0[0], x1[0], y1[0])
    else:
        segments = tuple(np.concatenate(c) for c in (x0, y0, x1, y1))
    A = _assembled(
        ids, geoms, (cx, cy, area), (ox, oy, cos, sin, hu, hv), segments, seg_off, trusted
    )
    if poly:
        A.gap[poly] = _gap_few(A, poly, area[poly])
    return A


def _gap_few(A: _Assets, poly: list[int], area: np.ndarray) -> np.ndarray:
    """:func:`~assetmatch.context.parcels._rectangle_gap` of the parcels ``poly``: the same
    sample points, distances and bound, parcel by parcel."""
    hull = shapely.area(shapely.convex_hull(A.geoms[poly]))
    convex = ((hull - area) <= 1e-9 * np.maximum(hull, 1.0)).tolist()
    corners_u, corners_v, grid_u, grid_v, step = _gap_grid()
    gap = np.empty(len(poly))
    for k, i in enumerate(poly):
        su, sv = (corners_u, corners_v) if convex[k] else (grid_u, grid_v)
        ox, oy, hu, hv = A.ox[i : i + 1], A.oy[i : i + 1], A.hu[i : i + 1], A.hv[i : i + 1]
        cos, sin = A.cos[i : i + 1], A.sin[i : i + 1]
        px = ox + su * hu * cos - sv * hv * sin
        py = oy + su * hu * sin + sv * hv * cos
        g = _distance_upper_one(A, i, px, py).max()
        if not convex[k]:
            g = g + 0.5 * np.hypot(step * hu, step * hv)[0]
        gap[k] = g
    return gap


def _distance_upper_one(A: _Assets, i: int, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """:func:`~assetmatch.context.parcels._distance_upper` of points to the one parcel ``i``:
    the same segment distances, inside test and tolerance, on a (point, segment) grid."""
    s0, s1 = int(A.seg_off[i]), int(A.seg_off[i + 1])
    x0, y0, bx, by = A.sx0[s0:s1], A.sy0[s0:s1], A.sbx[s0:s1], A.sby[s0:s1]
    tol = _EPS_M + _REL_TOL * (
        np.abs(px) + np.abs(py) + np.abs(A.ox[i]) + np.abs(A.oy[i]) + A.reach[i]
    )
    qx, qy = px[:, None], py[:, None]
    ax, ay = qx - x0, qy - y0
    boundary = np.sqrt(_segment_d2(ax, ay, bx, by, A.sil[s0:s1]).min(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = ((y0 > qy) != (A.sy1[s0:s1] > qy)) & (qx < x0 + ay * bx / by)
    inside = (cross.sum(axis=1) & 1).astype(bool)
    sure_in = inside & (boundary > tol) & A.trusted[i]
    return np.where(sure_in, 0.0, boundary) + tol


# --------------------------------------------------------------------------------------------
# Firms


def _block(A: _Assets, r: np.ndarray, P: _Pairs, spec: _Spec, out: _Out) -> tuple[np.ndarray, ...]:
    """:func:`~assetmatch.context.kernel._dense_block` of the assets ``r`` against the pairs
    ``P``: the same bounds, counts and presence sums (written to ``out``), and the pairs left
    for an exact look, as (asset, label, firm, l**2, candidate)."""
    radii = spec.radii
    nr, m, n = len(radii), len(r), len(P.x)
    dx = P.x[None, :] - A.ox[r, None]
    dy = P.y[None, :] - A.oy[r, None]
    c, s = A.cos[r, None], A.sin[r, None]
    u = dx * c
    u += dy * s
    v = dy * c
    v -= dx * s
    for w, half in ((u, A.hu[r, None]), (v, A.hv[r, None])):
        np.abs(w, out=w)
        w -= half
        np.maximum(w, 0.0, out=w)
        np.square(w, out=w)
    l2 = u
    l2 += v
    beyond, within = _thresholds(radii, A.gap[r])
    counts = np.empty((m, len(P.starts), nr), dtype=np.int32)
    flag = np.zeros((m, n), dtype=bool)
    for k in range(nr):
        sure = l2 <= within[:, k, None]
        counts[:, :, k] = np.add.reduceat(sure, P.starts, axis=1, dtype=np.int32)
        flag |= (l2 <= beyond[k]) > sure
    rl = r[:, None], P.present[None, :]
    out.counts[rl] = counts
    # presence: the Gaussian of l summed over the pairs surely within the largest radius, in
    # the pairs' order, with the kernel's reduction (so the same rounding)
    out.presence[rl] = _presence(l2, sure, P.starts, spec.bandwidth)
    # nearest: candidates whose lower bound is below the best upper bound of their label
    bound = np.sqrt(np.minimum.reduceat(l2, P.starts, axis=1)) + A.gap[r, None] + 2 * _EPS_M
    bound *= bound
    cand = l2 <= np.repeat(bound, P.lengths, axis=1)
    flag |= cand
    q = np.flatnonzero(flag)
    qi, qj = np.divmod(q, n)
    return r[qi], P.label[qj], P.pos[qj], l2.reshape(-1)[q], cand.reshape(-1)[q]


def _settle(
    A: _Assets,
    F: FirmIndex,
    spec: _Spec,
    out: _Out,
    part: tuple[np.ndarray, ...],
    n_labels: int,
) -> None:
    """:func:`~assetmatch.context.kernel._refine` of one window's open pairs: ambiguous counts
    and presence terms, and the nearest firm of every (asset, label) among the candidates,
    kept within the largest radius (the rest is searched by
    :func:`~assetmatch.context.kernel._fallback_nearest`).

    The kernel decides an ambiguous pair with its NumPy estimate where that is farther than
    its tolerance from the radius, with :func:`shapely.distance` elsewhere, and reports
    shapely's distance of the nearest firm (0 for a firm inside a valid parcel, as shapely
    says too): the same decisions and values as measuring every open pair with shapely, which
    is what is done here while they are few (one GEOS call instead of the estimates' many
    NumPy calls); many are estimated first, as the kernel does.
    """
    a, lab, firm, l2, cand = part
    if not len(a):
        return
    px, py = F.x[firm], F.y[firm]
    radii = spec.radii
    beyond, within = _thresholds(radii, A.gap[a])
    amb = (l2[:, None] > within) & (l2[:, None] <= beyond[None, :])
    if len(a) <= _SHAPELY_PAIRS:
        d = shapely.distance(shapely.points(px, py), A.geoms[a])
    else:
        d, tol, exact = _distance_estimate(A, a, px, py, l2)
        _measure(
            A,
            a,
            px,
            py,
            d,
            exact,
            (amb & (np.abs(d[:, None] - radii[None, :]) <= tol[:, None])).any(axis=1),
        )
    if amb.any():
        hit = amb & (d[:, None] <= radii[None, :])
        for k in range(len(radii)):
            h = np.flatnonzero(hit[:, k])
            if len(h):
                np.add.at(out.counts, (a[h], lab[h], k), 1)
        h = np.flatnonzero(hit[:, -1])
        if len(h):
            np.add.at(out.presence, (a[h], lab[h]), np.exp(l2[h] * (-1.0 / spec.bandwidth**2)))
    c = np.flatnonzero(cand)
    if len(a) <= _SHAPELY_PAIRS:  # every candidate measured: the least (distance, ordinal)
        key, d, firm = a[c] * n_labels + lab[c], d[c], firm[c]
        order = np.lexsort((F.ordinal[firm], d, key))
        key, d, firm = key[order], d[order], firm[order]
        first = np.ones(len(key), dtype=bool)
        np.not_equal(key[1:], key[:-1], out=first[1:])
        key, d, firm = key[first], d[first], firm[first]
    else:
        key, d, firm = _pick_nearest(
            A, F, a[c], firm[c], a[c] * n_labels + lab[c], d[c], tol[c], exact[c]
        )
    found = d <= spec.rmax
    key, d, firm = key[found], d[found], firm[found]
    rk, lk = np.divmod(key, n_labels)
    out.nearest[rk, lk] = d
    out.nearest_id[rk, lk] = F.firm_id[firm]


def _one(
    A: _Assets, i: int, plan: _FewPlan, spec: _Spec, F: FirmIndex, out: _Out, n_labels: int
) -> None:
    """Counts, presence and nearest firms of asset ``i`` against every pair ``P`` of the firm
    table, into row ``i`` of ``out``: :func:`_block` and :func:`_settle` for one asset, on
    the pairs within reach of the largest radius where the others cannot matter.

    Per pair the same bound ``l**2`` as the kernel's; counts take the pairs surely within a
    radius and the ambiguous ones shapely puts within it; presence sums the Gaussian of the
    sure pairs of a label with the kernel's reduction, in the same order, then adds the
    ambiguous ones within the largest radius one by one in pair order, as the kernel does.
    Ambiguous pairs and candidates for the nearest firm are measured with shapely (see
    :func:`_settle`).
    """
    P, radii = plan.pairs, spec.radii
    assert P is not None and plan.points is not None
    nr = len(radii)
    # u = dx*c + dy*s and v = dy*c - dx*s, as rows of one array: dy*c + (-(dx*s)) is
    # dy*c - dx*s exactly (rounding is symmetric in sign)
    c, s = A.cos[i].item(), A.sin[i].item()
    d = P.xy - np.array([[A.ox[i]], [A.oy[i]]])
    uv = d * c
    uv += d[::-1] * np.array([[s], [-s]])
    np.abs(uv, out=uv)
    uv -= np.array([[A.hu[i]], [A.hv[i]]])
    np.maximum(uv, 0.0, out=uv)
    np.square(uv, out=uv)
    l2 = uv[0] + uv[1]
    # _thresholds of this asset in Python floats (the same IEEE operations)
    b, gap = plan.beyond, A.gap[i].item()
    w = [t * t if t >= 0 else -1.0 for t in ((r - gap) - _EPS_M for r in radii.tolist())]
    near = np.flatnonzero(l2 <= b[-1])  # the pairs a count or the presence may take
    ls = l2[near]
    labs = P.label[near]
    row = out.counts[i]
    amb = np.zeros(len(near), dtype=bool)
    for k in range(nr):
        sure = ls <= w[k]
        row[:, k] = np.bincount(labs[sure], minlength=n_labels)
        amb |= (ls <= b[k]) > sure
    # presence: the sure pairs of the largest radius (``sure`` now), per label in pair order
    ws = ls[sure]
    if len(ws):
        ls_lab = labs[sure]
        starts = np.ones(len(ls_lab), dtype=bool)
        np.not_equal(ls_lab[1:], ls_lab[:-1], out=starts[1:])
        first = np.flatnonzero(starts)
        ws *= -1.0 / spec.bandwidth**2
        np.exp(ws, out=ws)
        out.presence[i, ls_lab[first]] = np.add.reduceat(ws, first)
    # nearest: candidates whose lower bound is below the best upper bound of their label
    bound = np.sqrt(np.minimum.reduceat(l2, P.starts)) + A.gap[i] + 2 * _EPS_M
    bound *= bound
    cand = np.flatnonzero(l2 <= np.repeat(bound, P.lengths))
    open_ = np.concatenate([near[amb], cand])
    n_amb = len(open_) - len(cand)
    pos = P.pos[open_]
    d = shapely.distance(plan.points[pos], A.geoms[i])
    if n_amb:
        da, la, lab = d[:n_amb], ls[amb], labs[amb]
        for k in range(nr):
            h = np.flatnonzero((la > w[k]) & (la <= b[k]) & (da <= radii[k]))
            if len(h):
                np.add.at(row, (lab[h], k), 1)
        h = np.flatnonzero((la > w[-1]) & (la <= b[-1]) & (da <= radii[-1]))
        if len(h):
            np.add.at(out.presence[i], lab[h], np.exp(la[h] * (-1.0 / spec.bandwidth**2)))
    # every candidate measured: the least (distance, ordinal) of each label
    dc, pc, lc = d[n_amb:], pos[n_amb:], P.label[cand]
    order = np.lexsort((F.ordinal[pc], dc, lc))
    lc, dc, pc = lc[order], dc[order], pc[order]
    first = np.ones(len(lc), dtype=bool)
    np.not_equal(lc[1:], lc[:-1], out=first[1:])
    out.nearest[i, lc[first]] = dc[first]
    out.nearest_id[i, lc[first]] = F.firm_id[pc[first]]


def few_features(
    kept: _Kept, layers: Any, type_id: np.ndarray
) -> tuple[pd.Index, dict[str, Any], dict[str, Any]]:
    """The columns of the few assets of ``kept``'s setup (ids, columns by name as NumPy
    arrays in the table's order, parameters), equal to the whole-table kernel's."""
    setup = kept.setup
    F, labels, spec = setup.index, setup.labels, setup.spec
    plan = _plan(kept)
    A = _prepare_few(setup.ids, setup.geoms, type_id)
    m = len(A)
    out = _Out.empty(m, labels.n, len(spec.radii))
    if plan.pairs is not None:
        P = plan.pairs
        if len(P.x):
            for i in range(m):
                _one(A, i, plan, spec, F, out, labels.n)
        out.nearest[np.isnan(out.nearest)] = np.inf  # groups without any firm
    else:
        for i in range(m):
            r = np.array([i])
            margin = spec.rmax + float(A.reach[i]) + _EPS_M
            ox, oy = float(A.ox[i]), float(A.oy[i])
            p, x, y, sizes = F._label_window(
                ox - margin, oy - margin, ox + margin, oy + margin, labels
            )
            if len(p):
                part = _block(A, r, _Pairs.of(p, x, y, sizes), spec, out)
                _settle(A, F, spec, out, part, labels.n)
        _fallback_nearest(A, F, labels, out)
    if plan.layer_feats is not None:  # few features: every distance, least per layer
        access = np.full((m, len(spec.layer_names)), np.inf)
        if len(plan.layer_feats):
            d = shapely.distance(A.geoms[:, None], plan.layer_feats[None, :])
            access[:, plan.layer_full] = np.minimum.reduceat(d, plan.layer_starts, axis=1)
        for j, name in enumerate(spec.layer_names):
            out.access[name] = access[:, j]
    else:
        for name in spec.layer_names:
            out.access[name] = _access(A.geoms, layers[name], kept.trees[name])
    ids = A.ids if A.ids.name == "asset_id" else A.ids.rename("asset_id")
    return ids, _few_columns(A, out, spec, labels, plan), setup.params


def _few_columns(
    A: _Assets, out: _Out, spec: _Spec, labels: _Labels, plan: _FewPlan
) -> dict[str, Any]:
    """:func:`~assetmatch.context.spec._columns` of the few assets (views of a few arrays)."""
    m, n_out = len(A), labels.n_out
    values: list[Any] = [A.cx, A.cy, np.sqrt(A.area / np.pi)]
    values += list(out.counts[:, :n_out, :].reshape(m, -1).T)
    values += list(out.nearest[:, :n_out].T)
    values += list(out.presence[:, :n_out].T)
    access = [out.access[name] for name in spec.layer_names]
    values += access
    if len(plan.conflict):  # (distance, firm id) of each conflict code, firm ids copied
        near_m = list(out.nearest[:, plan.conflict].T)
        near_firm = list(out.nearest_id[:, plan.conflict].T)
        values += [v for pair in zip(near_m, near_firm, strict=True) for v in pair]
    if plan.n_flags:
        near = out.nearest[:, plan.flag_source]
        if plan.flag_kind.any():
            stacked = np.stack(access, axis=1)
            kinds = np.flatnonzero(plan.flag_kind)
            near[:, kinds] = stacked[:, plan.flag_source[kinds]]
        flags = near < plan.flag_dist
        values += list(flags.T)
        breached = flags.sum(axis=1, dtype=np.int16)
    else:
        breached = np.zeros(m, dtype=np.int16)
    if plan.breached:
        values.append(breached)
    return dict(zip(plan.names, values, strict=True))
