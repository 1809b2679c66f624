"""The exact kernel: tiles of assets against windows of firms in dense NumPy blocks, the exact
look at the pairs the bounds leave open, and nearest firms beyond the largest radius.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from .firms import FirmIndex, _Labels
from .parcels import (
    _EPS_M,
    _Assets,
    _distance_estimate,
    _measure,
    _rectangle_distance,
)

if TYPE_CHECKING:  # for type hints only: spec imports this module
    from .spec import _Spec

logger = logging.getLogger(__name__)

#: Dense (asset, firm) pairs handled in one NumPy block.
_PAIR_BUDGET: Final = 262_144
#: Largest number of assets in one spatial tile.
_TILE_ASSETS: Final = 64
#: Assets in one task of the thread pool (its tiles, then their exact look).
_TASK_ASSETS: Final = 256
#: Pairs left for an exact look that :func:`_refine` settles at once.
_REFINE_PAIRS: Final = 131_072
#: Assets searched by brute force for their nearest firm of one industry beyond the largest
#: radius before a k-d tree over that industry's firms is built (and kept in the FirmIndex).
_FAR_TREE_ROWS: Final = 64

ProgressCallback = Callable[[int, int], None]


def _pick_nearest(
    A: _Assets,
    F: FirmIndex,
    a: np.ndarray,
    firm: np.ndarray,
    key: np.ndarray,
    est: np.ndarray,
    tol: np.ndarray,
    exact: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest firm of every group of candidate pairs, by shapely's distance.

    Pairs (asset ``a``, firm position ``firm``) come grouped by ``key`` (the pairs of a key
    consecutive); the candidates that can still be nearest given the estimates (lower bound
    at most the group's best upper bound) are measured with shapely, ties go to the lowest firm
    ordinal. Returns the keys, distances and firm positions, one per group.
    """
    if not len(key):
        return key, est, firm
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    slack = np.where(exact, 0.0, tol)
    best = np.minimum.reduceat(est + slack, starts)
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(key)]))
    fin = np.flatnonzero(est - slack <= best[group])
    a, firm, key, est, exact = a[fin], firm[fin], key[fin], est[fin], exact[fin]
    _measure(A, a, F.x[firm], F.y[firm], est, exact, np.ones(len(fin), dtype=bool))
    order = np.lexsort((F.ordinal[firm], est, key))
    key, est, firm = key[order], est[order], firm[order]
    first = np.r_[True, key[1:] != key[:-1]]
    return key[first], est[first], firm[first]


# --------------------------------------------------------------------------------------------
# The core


@dataclass
class _Out:
    """Raw per-asset results before they become columns."""

    counts: np.ndarray  # (n, n_labels, n_radii) int32
    presence: np.ndarray  # (n, n_labels) float64
    nearest: np.ndarray  # (n, n_labels) float64; NaN = not found within the largest radius
    nearest_ord: np.ndarray  # (n, n_labels) int64 firm ordinal, -1 none
    nearest_id: np.ndarray  # (n, n_labels) object firm id
    access: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def empty(cls, n: int, n_labels: int, n_radii: int) -> _Out:
        return cls(
            counts=np.zeros((n, n_labels, n_radii), dtype=np.int32),
            presence=np.zeros((n, n_labels)),
            nearest=np.full((n, n_labels), np.nan),
            nearest_ord=np.full((n, n_labels), -1, dtype=np.int64),
            nearest_id=np.full((n, n_labels), None, dtype=object),
        )


def _tiles(x: np.ndarray, y: np.ndarray, finest_m: float, coarsest_m: float) -> list[np.ndarray]:
    """Group points into quadtree tiles of at most ``_TILE_ASSETS`` points.

    Tiles are squares from ``coarsest_m`` down to ``finest_m`` a side; a tile is split while it
    holds more than ``_TILE_ASSETS`` points. Keeping tiles no larger than the search radius
    keeps each tile's firm window (tile plus radius on every side) close to the disks its
    assets need.
    """
    n = len(x)
    if n == 0:
        return []
    levels = max(0, math.ceil(math.log2(max(coarsest_m / finest_m, 1.0))))
    x0, y0 = float(x.min()), float(y.min())
    remaining = np.arange(n)
    keys_out: list[np.ndarray] = []
    rows_out: list[np.ndarray] = []
    for level in range(levels, -1, -1):
        size = finest_m * 2**level
        ix = ((x[remaining] - x0) // size).astype(np.int64)
        iy = ((y[remaining] - y0) // size).astype(np.int64)
        key = (iy << 24) + ix
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        final = (counts[inverse] <= _TILE_ASSETS) | (level == 0)
        keys_out.append((np.int64(level) << 56) + key[final])
        rows_out.append(remaining[final])
        remaining = remaining[~final]
        if not len(remaining):
            break
    keys = np.concatenate(keys_out)
    rows = np.concatenate(rows_out)
    order = np.lexsort((rows, keys))
    keys, rows = keys[order], rows[order]
    cuts = np.flatnonzero(np.diff(keys)) + 1
    return np.split(rows, cuts)


class _Workspace(threading.local):
    """Scratch arrays of one thread, reused by every dense block of a computation."""

    def __init__(self) -> None:
        self.buffers: dict[str, np.ndarray] = {}

    def get(self, name: str, m: int, n: int, dtype: type) -> np.ndarray:
        buf = self.buffers.get(name)
        if buf is None or buf.size < m * n:
            buf = np.empty(max(m * n, _PAIR_BUDGET), dtype=dtype)
            self.buffers[name] = buf
        return buf[: m * n].reshape(m, n)

    def zeros(self, n: int) -> np.ndarray:
        """A row of n zeros (``np.maximum`` with it is much faster than with a scalar 0)."""
        buf = self.buffers.get("zeros")
        if buf is None or buf.size < n:
            buf = self.buffers["zeros"] = np.zeros(max(n, 4096))
        return buf[None, :n]


@dataclass(frozen=True)
class _Window:
    """The (firm, label) pairs of a tile's window, sorted by label then grid order."""

    p: np.ndarray  # firm positions in the FirmIndex
    x: np.ndarray
    y: np.ndarray
    starts: np.ndarray  # first pair of each label segment
    lengths: np.ndarray  # pairs per segment
    labels: np.ndarray  # label of each segment
    seg: np.ndarray  # segment of each pair
    seg_label: np.ndarray  # label of each pair

    @classmethod
    def of(cls, p: np.ndarray, x: np.ndarray, y: np.ndarray, sizes: np.ndarray) -> _Window:
        """The window of pairs sorted by label, ``sizes[j]`` of label ``j``."""
        present = np.flatnonzero(sizes)
        lengths = sizes[present]
        seg = np.repeat(np.arange(len(present)), lengths)
        return cls(
            p=p,
            x=x,
            y=y,
            starts=np.cumsum(lengths) - lengths,
            lengths=lengths,
            labels=present,
            seg=seg,
            seg_label=present[seg],
        )


def _group_by_size(tiles: list[np.ndarray], limit: int) -> list[list[np.ndarray]]:
    """Consecutive tiles grouped until each group holds at least ``limit`` assets."""
    groups: list[list[np.ndarray]] = [[]]
    size = 0
    for t in tiles:
        if size >= limit:
            groups.append([])
            size = 0
        groups[-1].append(t)
        size += len(t)
    return groups


def _run_tile(
    A: _Assets,
    rows: np.ndarray,
    F: FirmIndex,
    labels: _Labels,
    spec: _Spec,
    out: _Out,
    ws: _Workspace,
) -> list[tuple[np.ndarray, ...]]:
    ox, oy = A.ox[rows], A.oy[rows]
    margin = spec.rmax + float(A.reach[rows].max()) + _EPS_M
    p, x, y, sizes = F._label_window(
        ox.min() - margin, oy.min() - margin, ox.max() + margin, oy.max() + margin, labels
    )
    if not len(p):
        return []
    W = _Window.of(p, x, y, sizes)
    block = max(1, _PAIR_BUDGET // len(p))
    if len(rows) <= block:
        return [_dense_block(A, rows, W, spec, out, ws)]
    # several blocks: nearby assets together (Z order), each block with the firms of its own
    # box plus margin only
    rows = rows[np.argsort(_z_order(ox, oy), kind="stable")]
    parts = []
    for b0 in range(0, len(rows), block):
        r = rows[b0 : b0 + block]
        bx, by = A.ox[r], A.oy[r]
        margin = spec.rmax + float(A.reach[r].max()) + _EPS_M
        keep = np.flatnonzero(
            (W.x >= bx.min() - margin)
            & (W.x <= bx.max() + margin)
            & (W.y >= by.min() - margin)
            & (W.y <= by.max() + margin)
        )
        if len(keep):
            sub = _Window.of(
                W.p[keep],
                W.x[keep],
                W.y[keep],
                np.bincount(W.seg_label[keep], minlength=len(sizes)),
            )
            parts.append(_dense_block(A, r, sub, spec, out, ws))
    return parts


def _z_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Z-order (Morton) keys of points on a 1024 x 1024 grid over their bounding box."""
    keys = []
    for v in (x, y):
        span = float(v.max() - v.min())
        q = ((v - v.min()) * (1023 / span) if span > 0 else np.zeros(len(v))).astype(np.uint32)
        for shift, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
            q = (q | (q << shift)) & mask
        keys.append(q)
    return keys[0] | (keys[1] << 1)


def _presence(l2: np.ndarray, sure: np.ndarray, starts: np.ndarray, bandwidth: float) -> np.ndarray:
    """Per asset (row of ``l2``, squared distances to ``n`` firm columns grouped by label from
    ``starts``) and label: the Gaussian ``exp(-l²/bandwidth²)`` summed over the pairs in
    ``sure``, in column order, so that every caller gets the same rounding."""
    m, n = l2.shape
    idx = np.flatnonzero(sure)
    w = l2.reshape(-1).take(idx)
    w *= -1.0 / bandwidth**2
    np.exp(w, out=w)
    lo = np.searchsorted(idx, (np.arange(m)[:, None] * n + starts[None, :]).reshape(-1))
    full = np.flatnonzero(np.r_[lo[1:], len(idx)] > lo)
    presence = np.zeros(m * len(starts))
    if len(full):
        presence[full] = np.add.reduceat(w, lo[full])
    return presence.reshape(m, len(starts))


def _dense_block(
    A: _Assets,
    r: np.ndarray,
    W: _Window,
    spec: _Spec,
    out: _Out,
    ws: _Workspace,
) -> tuple[np.ndarray, ...]:
    """Bounds for every (asset, firm) pair of a block; what they settle goes to ``out``.

    Counts and presence get the pairs surely within each radius; returned are the other
    pairs that need an exact look (see :func:`_refine`): ambiguous ones, whose bounds straddle
    a radius, and candidates for the nearest firm, as (asset, label, firm, l**2, candidate).
    """
    radii = spec.radii
    nr, m, n, ns = len(radii), len(r), len(W.p), len(W.starts)
    # distance l from each firm to each parcel's rectangle (lower bound of the exact distance);
    # per pair, the same operations whatever the block, so results never depend on tiling
    l2, t1, t2, t3 = (ws.get(name, m, n, np.float64) for name in ("l2", "t1", "t2", "t3"))
    np.subtract(W.x[None, :], A.ox[r, None], out=t1)  # dx
    np.subtract(W.y[None, :], A.oy[r, None], out=t2)  # dy
    c, s = A.cos[r, None], A.sin[r, None]
    np.multiply(t1, c, out=l2)
    np.multiply(t2, s, out=t3)
    l2 += t3  # u
    np.multiply(t2, c, out=t2)
    np.multiply(t1, s, out=t1)
    t2 -= t1  # v
    zero = ws.zeros(n)
    for w, half in ((l2, A.hu[r, None]), (t2, A.hv[r, None])):
        np.abs(w, out=w)
        w -= half
        np.maximum(w, zero, out=w)
        np.square(w, out=w)
    l2 += t2
    # per radius: pairs surely within (l <= r - gap - eps) are counted here, pairs surely
    # beyond (l > r + eps) are not, the ones between are ambiguous
    beyond, within = _thresholds(radii, A.gap[r])
    sure, maybe, flag = (ws.get(name, m, n, np.bool_) for name in ("sure", "maybe", "flag"))
    counts = np.empty((m, ns, nr), dtype=np.int32)
    for k in range(nr):
        np.less_equal(l2, within[:, k, None], out=sure)
        counts[:, :, k] = np.add.reduceat(sure, W.starts, axis=1, dtype=np.int32)
        np.less_equal(l2, beyond[k], out=maybe)
        if k == 0:
            np.greater(maybe, sure, out=flag)
        else:
            np.greater(maybe, sure, out=maybe)
            flag |= maybe
    rl = r[:, None], W.labels[None, :]
    out.counts[rl] = counts
    # presence: Gaussian of l summed over the firms surely within the largest radius (``sure``
    # now), in grid order; only those pairs enter the sums, so they do not depend on what else
    # the window holds
    out.presence[rl] = _presence(l2, sure, W.starts, spec.bandwidth)
    # nearest: candidates whose lower bound is below the best upper bound of their label
    bound = np.sqrt(np.minimum.reduceat(l2, W.starts, axis=1)) + A.gap[r, None] + 2 * _EPS_M
    bound *= bound
    np.less_equal(l2, np.repeat(bound, W.lengths, axis=1), out=maybe)
    flag |= maybe
    q = np.flatnonzero(flag)
    qi, qj = np.divmod(q, n)
    return (r[qi], W.seg_label[qj], W.p[qj], l2.reshape(-1)[q], maybe.reshape(-1)[q])


def _thresholds(radii: np.ndarray, gap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Squared bounds of l: beyond radius k if ``l2 > beyond[k]``, within if ``<= within[:, k]``."""
    t = radii[None, :] - gap[:, None] - _EPS_M
    return (radii + _EPS_M) ** 2, np.where(t >= 0, t * t, -1.0)


def _refine(
    A: _Assets,
    F: FirmIndex,
    spec: _Spec,
    out: _Out,
    parts: list[tuple[np.ndarray, ...]],
    n_labels: int,
) -> None:
    """Settle the pairs :func:`_dense_block` left: ambiguous counts and nearest firms.

    The pairs of many blocks at once, so that per-call costs are shared. Ambiguous pairs are
    settled with NumPy distances where those are surely on one side of a radius, and measured
    with shapely where they are within the tolerance of one; refined pairs within the largest
    radius add to presence in grid order after the sure ones, so that sums never depend on
    tiling either.
    """
    parts = [t for t in parts if len(t[0])]
    if not parts:
        return
    a, lab, firm, l2, cand = (np.concatenate(c) for c in zip(*parts, strict=True))
    px, py = F.x[firm], F.y[firm]
    est, tol, exact = _distance_estimate(A, a, px, py, l2)
    radii = spec.radii
    beyond, within = _thresholds(radii, A.gap[a])
    amb = (l2[:, None] > within) & (l2[:, None] <= beyond[None, :])
    _measure(
        A,
        a,
        px,
        py,
        est,
        exact,
        (amb & (np.abs(est[:, None] - radii[None, :]) <= tol[:, None])).any(axis=1),
    )
    hit = amb & (est[:, None] <= radii[None, :])
    for k in range(len(radii)):
        h = np.flatnonzero(hit[:, k])
        np.add.at(out.counts, (a[h], lab[h], k), 1)
    # within the largest radius after all: presence counts them too (added in grid order)
    h = np.flatnonzero(hit[:, -1])
    np.add.at(out.presence, (a[h], lab[h]), np.exp(l2[h] * (-1.0 / spec.bandwidth**2)))
    # nearest firm per (asset, label) among the candidates, kept if within the largest radius
    c = np.flatnonzero(cand)
    key, d, firm = _pick_nearest(
        A, F, a[c], firm[c], a[c] * n_labels + lab[c], est[c], tol[c], exact[c]
    )
    found = d <= spec.rmax
    rk, lk = np.divmod(key[found], n_labels)
    out.nearest[rk, lk] = d[found]
    out.nearest_ord[rk, lk] = F.ordinal[firm[found]]
    out.nearest_id[rk, lk] = F.firm_id[firm[found]]


def _block_features(
    A: _Assets,
    F: FirmIndex,
    labels: _Labels,
    spec: _Spec,
    layers: Mapping[str, gpd.GeoDataFrame] | None,
    *,
    chunk_size: int,
    progress: ProgressCallback | None,
    n_jobs: int,
    what: str = "context features",
    trees: Mapping[str, shapely.STRtree | None] | None = None,
) -> _Out:
    """Counts, presence, window-nearest and access for a set of assets (``trees``: the
    layers' :func:`_layer_tree` when the caller kept them)."""
    out = _Out.empty(len(A), labels.n, len(spec.radii))
    finest = min(max(spec.rmax / 4, 100.0), 2000.0)
    tiles = _tiles(A.ox, A.oy, finest, max(spec.rmax, finest))
    total = len(A)
    done = 0
    started = time.perf_counter()
    chunks = _group_by_size(tiles, chunk_size)
    pool = ThreadPoolExecutor(n_jobs) if n_jobs > 1 else None
    ws = _Workspace()
    if labels.single:
        F._labels_of(labels)  # cached before threads look it up

    def task(group: list[np.ndarray]) -> None:
        """Tiles, then the exact look at what they left, a few hundred assets at a time."""
        pending: list[tuple[np.ndarray, ...]] = []
        size = 0
        for rows in group:  # tile after tile: never splits an asset's pairs
            part = _run_tile(A, rows, F, labels, spec, out, ws)
            pending += part
            size += sum(len(t[0]) for t in part)
            if size >= _REFINE_PAIRS:
                _refine(A, F, spec, out, pending, labels.n)
                pending, size = [], 0
        _refine(A, F, spec, out, pending, labels.n)

    try:
        for chunk in chunks:
            groups = _group_by_size(chunk, _TASK_ASSETS)
            if pool is not None:
                list(pool.map(task, groups))
            else:
                for group in groups:
                    task(group)
            done += sum(len(t) for t in chunk)
            if total >= chunk_size or progress is not None:
                logger.info(
                    "%s: %d/%d assets (%.1f %%), %d tiles, %.1f s",
                    what,
                    done,
                    total,
                    100.0 * done / max(total, 1),
                    len(chunk),
                    time.perf_counter() - started,
                )
            if progress is not None:
                progress(done, total)
    finally:
        if pool is not None:
            pool.shutdown()
    for name in spec.layer_names:
        assert layers is not None
        kept = False if trees is None else trees[name]
        out.access[name] = _access(A.geoms, layers[name], kept)
    return out


def _layer_tree(layer: gpd.GeoDataFrame) -> shapely.STRtree | None:
    """The tree of a layer's features (``None`` for a layer without any)."""
    feats = np.asarray(layer.geometry.array, dtype=object)
    feats = feats[~(pd.isna(feats) | shapely.is_empty(feats))] if len(feats) else feats
    return shapely.STRtree(feats) if len(feats) else None


def _access(
    geoms: np.ndarray, layer: gpd.GeoDataFrame, tree: shapely.STRtree | bool | None = False
) -> np.ndarray:
    """Distance to the nearest feature of ``layer`` (``inf`` for an empty layer); ``tree``:
    :func:`_layer_tree` of it when the caller kept it."""
    if tree is False:
        tree = _layer_tree(layer)
    result = np.full(len(geoms), np.inf)
    if tree is None or not len(geoms):
        return result
    (qi, _), d = tree.query_nearest(geoms, return_distance=True, all_matches=False)
    result[qi] = d
    return result


def _fallback_nearest(A: _Assets, F: FirmIndex, labels: _Labels, out: _Out) -> None:
    """Exact nearest firm for the (asset, label) pairs not found within the largest radius.

    The candidates of several labels are settled together (up to :data:`_REFINE_PAIRS` pairs
    at once): every step is per pair or per (asset, label) group, so a batch gives the values
    one label at a time gives, in fewer NumPy calls (one asset's refresh has ~20 labels).
    """
    todo = np.isnan(out.nearest)
    if not todo.any():
        return
    n_pairs = int(todo.sum())
    started = time.perf_counter()
    parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
    size = 0
    for j in np.flatnonzero(todo.any(axis=0)):
        rows = np.flatnonzero(todo[:, j])
        key, pos = F._member_positions(labels.member[:, j])
        if not len(pos):
            out.nearest[rows, j] = np.inf
            continue
        ri, firm = _far_candidates(A, F, key, pos, rows)
        parts.append((int(j), rows, ri, firm))
        size += len(ri)
        if size >= _REFINE_PAIRS:
            _settle_nearest(A, F, out, parts)
            parts, size = [], 0
    _settle_nearest(A, F, out, parts)
    logger.info(
        "context features: %d nearest firms beyond the largest radius found in %.2f s",
        n_pairs,
        time.perf_counter() - started,
    )


def _settle_nearest(
    A: _Assets,
    F: FirmIndex,
    out: _Out,
    parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]],
) -> None:
    """Nearest firms of :func:`_far_candidates`' pairs ``(label, rows, ri, firm)`` of labels."""
    if not parts:
        return
    # one group per (label, asset): ``ri`` offset by the rows of the labels before
    offsets = np.cumsum([0] + [len(rows) for _, rows, _, _ in parts[:-1]])
    grp = np.concatenate([ri + o for (_, _, ri, _), o in zip(parts, offsets, strict=True)])
    a = np.concatenate([rows[ri] for _, rows, ri, _ in parts])
    firm = np.concatenate([f for _, _, _, f in parts])
    col = np.concatenate([np.full(len(rows), j) for j, rows, _, _ in parts])
    row = np.concatenate([rows for _, rows, _, _ in parts])
    # keep the candidates whose rectangle distance is below their asset's best upper bound
    low = _rectangle_distance(A, a, F.x[firm], F.y[firm])
    starts = np.flatnonzero(np.r_[True, grp[1:] != grp[:-1]])
    best = np.minimum.reduceat(low + A.gap[a], starts)
    keep = low <= np.repeat(best, np.diff(np.r_[starts, len(grp)])) + 2 * _EPS_M
    a, firm, grp = a[keep], firm[keep], grp[keep]
    est, tol, exact = _distance_estimate(A, a, F.x[firm], F.y[firm])
    g, d, firm = _pick_nearest(A, F, a, firm, grp, est, tol, exact)
    r, j = row[g], col[g]
    out.nearest[r, j] = d
    out.nearest_ord[r, j] = F.ordinal[firm]
    out.nearest_id[r, j] = F.firm_id[firm]


def _far_candidates(
    A: _Assets, F: FirmIndex, key: bytes, pos: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (index into ``rows``, firm position), sorted by row, holding every nearest firm.

    Around each rectangle centre, the firm nearest to it is at most ``gap`` farther from the
    parcel than from the centre, and no firm is more than ``reach`` nearer to the parcel than to
    the centre; so the nearest firms to the parcel are within ``nearest + gap + reach`` of the
    centre. Those firms are found by brute force over the industry's firms, or with a k-d tree
    once enough assets were searched to pay for one.
    """
    cx, cy = A.ox[rows], A.oy[rows]
    slack = A.gap[rows] + A.reach[rows] + 2 * _EPS_M
    tree = F._kdtrees.get(key)
    done = F._far_rows.get(key, 0)
    if tree is None and done + len(rows) > _FAR_TREE_ROWS:
        tree = cKDTree(
            np.column_stack([F.x[pos], F.y[pos]]), balanced_tree=False, compact_nodes=False
        )
        F._kdtrees[key] = tree
    ri, fi = [], []
    if tree is not None:
        for b0 in range(0, len(rows), _REFINE_PAIRS):
            centres = np.column_stack([cx[b0 : b0 + _REFINE_PAIRS], cy[b0 : b0 + _REFINE_PAIRS]])
            first, _ = tree.query(centres, k=1)
            found = tree.query_ball_point(
                centres, first + slack[b0 : b0 + _REFINE_PAIRS], return_sorted=False
            )
            sizes = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
            fi.append(
                np.fromiter(chain.from_iterable(found), dtype=np.int64, count=int(sizes.sum()))
            )
            ri.append(np.repeat(np.arange(b0, b0 + len(found)), sizes))
        return np.concatenate(ri), pos[np.concatenate(fi)]
    F._far_rows[key] = done + len(rows)
    fx, fy = F.x[pos], F.y[pos]
    block = max(1, _PAIR_BUDGET // len(pos))
    for b0 in range(0, len(rows), block):
        dx = fx[None, :] - cx[b0 : b0 + block, None]
        dy = fy[None, :] - cy[b0 : b0 + block, None]
        dx *= dx
        dy *= dy
        dx += dy
        limit = np.sqrt(dx.min(axis=1)) + slack[b0 : b0 + block]
        i, f = np.divmod(np.flatnonzero(dx <= (limit * limit)[:, None]), len(pos))
        ri.append(i + b0)
        fi.append(f)
    return np.concatenate(ri), pos[np.concatenate(fi)]
