"""Criterion kernels of the scorer: vectorised passes over one block of rows, in place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np

from .features import FeatureTable

if TYPE_CHECKING:
    from .scorer import _Plan

_F32: Final = np.float32

_F32_BIG: Final = np.float32(-3.0e38)
#: Kernels that can fold the criterion's weight into their last step (ranking pass only).
_WEIGHTED_KERNELS: Final = frozenset(
    {"size", "building", "specs", "cost", "readiness", "conflicts", "access", "near", "freshness"}
)


def _accumulate(
    total: np.ndarray, s: np.ndarray, w: np.float32, weighted: bool, tmp: np.ndarray
) -> None:
    """``total += w · s`` (``total += s`` when the kernel already applied the weight)."""
    if weighted:
        total += s
    else:
        np.multiply(s, w, out=tmp)
        total += tmp


def _floor0(a: np.ndarray) -> np.ndarray:
    """``max(a, 0)`` in place, NaN kept (``clip`` is 2× faster than ``maximum`` here)."""
    return np.clip(a, _F32(0), _F32(np.inf), out=a)


def _neg_inf_where(a: np.ndarray, mask: np.ndarray) -> None:
    """Set ``a`` to -inf where ``mask``, for finite float32 ``a``, without a masked copy.

    Adding -3e38 twice overflows to exactly -inf and leaves the other values unchanged
    (adding 0). A masked ``copyto`` is several times slower on an irregular mask.
    """
    penalty = np.multiply(mask, _F32_BIG, dtype=_F32)
    with np.errstate(over="ignore"):
        a += penalty
        a += penalty


def _fill_nan(a: np.ndarray, value: np.float32) -> np.ndarray:
    """Replace NaN in place (cheaper than ``np.nan_to_num``, which also scans for infinities)."""
    np.copyto(a, value, where=np.isnan(a))
    return a


def _range_fit(
    v: np.ndarray,
    lo: float | None,
    hi: float | None,
    tol: float,
    unk: np.float32,
    nan: bool,
    s: np.ndarray,
    hard: bool,
    fails: dict[str, np.ndarray],
    shorts: dict[str, np.ndarray],
    name: str,
    detail: bool,
    wt: np.float32,
) -> None:
    """``wt`` × (1 inside [lo, hi], linear to 0 at tol × bound outside); unknown → ``wt·unk``.

    With ``d = clip(v, lo, hi) - v`` (positive below the range, negative above), the score is
    ``1 - max(d / (tol·lo), -d / (tol·hi))``, floored at 0.
    """
    lo = lo if lo is not None and lo > 0 else None
    k_lo = _F32(wt / max(tol * lo, 1e-9)) if lo is not None else _F32(0)
    k_hi = _F32(wt / max(tol * hi, 1e-9)) if hi is not None else _F32(0)
    d = np.clip(v, _F32(lo) if lo is not None else None, _F32(hi) if hi is not None else None)
    if lo is None and hi is None:
        s[:] = wt
        np.copyto(s, _F32(unk * wt), where=np.isnan(v))
        if hard:
            fails[name] = np.zeros(len(v), dtype=bool)
        return
    d -= v
    if lo is not None and hi is not None:
        np.maximum(d * k_lo, d * -k_hi, out=s)
    elif lo is not None:
        np.multiply(d, k_lo, out=s)
    else:
        np.multiply(d, -k_hi, out=s)
    np.subtract(wt, s, out=s)
    _floor0(s)
    if nan:
        _fill_nan(s, _F32(unk * wt))
    if hard:
        fails[name] = np.abs(d) > 0
    if detail:
        rel = np.where(d > 0, d / _F32(lo or 1), -d / _F32(hi or 1))
        shorts[name] = _fill_nan(rel.astype(_F32), _F32(0))


def _bounds(
    X: FeatureTable,
    sl: slice,
    limits: tuple[tuple[str, float | None], ...],
    minimum: bool,
    tol: float,
    unk: np.float32,
    s: np.ndarray,
    hard: bool,
    fails: dict[str, np.ndarray],
    shorts: dict[str, np.ndarray],
    name: str,
    detail: bool,
    wt: np.float32,
) -> None:
    """One-sided limits (minima or maxima): ``wt`` × the weakest known one; unknown → ``unk``."""
    first = True
    fail = None
    short = None
    for col, limit in limits:
        if limit is None or (minimum and limit <= 0):
            continue
        v = X[col][sl]
        gap = (_F32(limit) - v) if minimum else (v - _F32(limit))
        _floor0(gap)  # NaN stays NaN
        k = _F32(-wt / max(tol * limit, 1e-9))
        if first:
            np.multiply(gap, k, out=s)
            s += wt
            first = False
        else:
            sub = gap * k
            sub += wt
            np.fmin(s, sub, out=s)
        if hard:
            f = gap > 0
            fail = f if fail is None else fail | f
        if detail:
            with np.errstate(divide="ignore", invalid="ignore"):  # a bound of 0: no share of it
                r = gap / _F32(limit)
            if limit == 0:
                r = np.where(gap > 0, np.inf, 0.0).astype(gap.dtype)
            short = r if short is None else np.fmax(short, r)
    if first:
        s[:] = unk * wt
    else:
        _floor0(s)
        if any(X.has_nan(col) for col, limit in limits if limit is not None):
            _fill_nan(s, _F32(unk * wt))
    if hard:
        fails[name] = fail if fail is not None else np.zeros(sl.stop - sl.start, dtype=bool)
    if detail and short is not None:
        shorts[name] = _fill_nan(short, _F32(0))


def _conflicts(
    X: FeatureTable,
    sl: slice,
    plan: _Plan,
    s: np.ndarray,
    hard: bool,
    fails: dict[str, np.ndarray],
    shorts: dict[str, np.ndarray],
    detail: bool,
    wt: np.float32,
    tmp: np.ndarray,
) -> None:
    """``wt`` × the worst ratio distance / protection distance, capped at 1.

    The distances are the nearest firm of each rule's industry (``plan.conflict_rules`` on
    ``nearest``) and the nearest feature of each siting rule's layer (``plan.siting_rules``
    on ``access``). No firm of the industry (an infinite or unknown distance) is no conflict.
    """
    fail = np.zeros(sl.stop - sl.start, dtype=bool) if hard else None
    pairs = [("nearest", j, dist) for j, dist, _ in plan.conflict_rules]
    pairs += [("access", j, dist) for j, dist, _ in plan.siting_rules]
    if not pairs:
        s[:] = wt
    for k, (key, j, dist) in enumerate(pairs):
        d = X[key][sl, j]
        if k == 0:
            np.multiply(d, _F32(wt / max(dist, 1e-9)), out=s)
        else:
            np.multiply(d, _F32(wt / max(dist, 1e-9)), out=tmp)
            np.fmin(s, tmp, out=s)
        if fail is not None:
            fail |= d < _F32(dist)
    np.fmin(s, wt, out=s)  # cap, and NaN → wt
    if hard:
        fails["conflicts"] = fail  # type: ignore[assignment]
    if detail:
        shorts["conflicts"] = _F32(1) - s


def _near(
    X: FeatureTable,
    sl: slice,
    plan: _Plan,
    tol: float,
    s: np.ndarray,
    hard: bool,
    fails: dict[str, np.ndarray],
    shorts: dict[str, np.ndarray],
    det: dict[str, np.ndarray],
    detail: bool,
    wt: np.float32,
) -> None:
    """``wt`` at the place, linear to 0 at ``within_m × (1 + tol)``; NaN position → 0."""
    px, py, pr = plan.near_xy  # type: ignore[misc]
    within = plan.req.near.within_m  # type: ignore[union-attr]
    d = np.hypot(X["x"][sl] - _F32(px), X["y"][sl] - _F32(py))
    d -= X["radius"][sl]
    d -= _F32(pr)
    _floor0(d)
    np.multiply(d, _F32(-wt / (within * (1.0 + tol))), out=s)
    s += wt
    _floor0(s)
    if X.has_nan("x") or X.has_nan("y"):
        _fill_nan(s, _F32(0))
    if hard:
        fails["near"] = d > _F32(within)
    if detail:
        det["near_m"][sl] = d
        shorts["near"] = np.maximum(d - _F32(within), 0) / _F32(within)
