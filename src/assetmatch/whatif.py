"""What would change the shortlist: relaxed bounds and the weight at which the top two swap.

:meth:`assetmatch.MatchResult.what_if` answers the questions asked in a meeting — "what if we
accept 128 mu instead of 150?", "what if cost mattered more?" — from the result alone, under the
rules of docs/match-rules.md (it relaxes a stated bound; it never ignores one).

Relaxed bounds
    Every near miss failed exactly one stated bound beyond its tolerance. For each, the bound is
    moved to the near miss's own value (rounded outward to the precision a person reads: 0.1 mu,
    1 m², 0.1 yuan, 1 day, 10 m), so that the site meets the new bound outright; the brief is
    re-scored with that one bound changed and the same weights, and the row says how many sites
    the ranking gains and at which rank the near miss now stands. Rows are ordered from the
    smallest relaxation (relative to the stated bound) to the largest.
The weight at which the first two swap
    With normalised weights ``w`` and criterion scores ``a`` (rank 1) and ``b`` (rank 2), the
    totals differ by ``D = Σ w_c (a_c − b_c)``. Multiplying the weight of one criterion ``c`` by
    ``f`` (the others unchanged, then renormalised) gives a difference proportional to
    ``D + w_c (f − 1)(a_c − b_c)``: zero at ``f = 1 − D / (w_c (a_c − b_c))``. For criteria where
    rank 2 is better, ``f > 1`` (raise it); where rank 1 is better, ``f < 1`` when ``f > 0`` is
    reachable (lower it). One row per criterion with a reachable swap, smallest change first.

The table's columns are plain values (see :data:`WHAT_IF_COLUMNS`), and ``text`` is the row in
words, in Chinese or English.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from .explain.labels import check_lang
from .explain.words import CRITERION_NAMES, _t
from .units import MU_M2

if TYPE_CHECKING:
    from .requirements import Requirements
    from .result import MatchResult

__all__ = ["WHAT_IF_COLUMNS", "what_if"]

#: Columns of :func:`what_if`.
WHAT_IF_COLUMNS: Final = (
    "kind",
    "criterion",
    "field",
    "current",
    "proposed",
    "unit",
    "change",
    "n_new",
    "entering",
    "asset_id",
    "new_rank",
    "text",
)


@dataclass(frozen=True)
class _Bound:
    """One relaxable bound of a brief: where it is, how a value compares, how it reads."""

    criterion: str
    field: str  # the brief's field (for a range: "land_area_mu.0" is the minimum)
    column: str  # feature column of the asset's value
    minimum: bool  # a minimum (relax down) or a maximum (relax up)
    to_brief: float  # brief unit per feature unit
    step: float  # display precision, in brief units
    unit: tuple[str, str]
    label: tuple[str, str]


def _bounds(req: Requirements) -> list[tuple[_Bound, float]]:
    """The brief's stated bounds that a near miss can fail, with their values (brief units)."""
    out: list[tuple[_Bound, float]] = []

    def rng(field: str, value: Any, col: str, crit: str, k: float, step: float, unit, name) -> None:
        if value is None:
            return
        lo, hi = value
        if lo is not None:
            lab = (f"{name[0]}下限", f"minimum {name[1]}")
            out.append((_Bound(crit, f"{field}.0", col, True, k, step, unit, lab), float(lo)))
        if hi is not None:
            lab = (f"{name[0]}上限", f"maximum {name[1]}")
            out.append((_Bound(crit, f"{field}.1", col, False, k, step, unit, lab), float(hi)))

    mu = ("亩", "mu")
    m2 = ("平方米", "m²")
    rng(
        "land_area_mu",
        req.land_area_mu,
        "land_area_m2",
        "size",
        1 / MU_M2,
        0.1,
        mu,
        ("用地面积", "land area"),
    )
    rng(
        "land_area_m2",
        req.land_area_m2,
        "land_area_m2",
        "size",
        1.0,
        1.0,
        m2,
        ("用地面积", "land area"),
    )
    rng(
        "building_area_m2",
        req.building_area_m2,
        "building_area_m2",
        "building",
        1.0,
        1.0,
        m2,
        ("建筑面积", "floor area"),
    )

    def one(
        field: str,
        value: Any,
        col: str,
        crit: str,
        minimum: bool,
        k: float,
        step: float,
        unit,
        label,
    ) -> None:
        if value is not None:
            out.append((_Bound(crit, field, col, minimum, k, step, unit, label), float(value)))

    one(
        "min_power_kva",
        req.min_power_kva,
        "power_kva",
        "specs",
        True,
        1.0,
        1.0,
        ("kVA", "kVA"),
        ("供电容量下限", "minimum power"),
    )
    one(
        "min_floor_load_kn_m2",
        req.min_floor_load_kn_m2,
        "floor_load_kn_m2",
        "specs",
        True,
        1.0,
        0.1,
        ("kN/㎡", "kN/m²"),
        ("楼面荷载下限", "minimum floor load"),
    )
    one(
        "min_floor_height_m",
        req.min_floor_height_m,
        "floor_height_m",
        "specs",
        True,
        1.0,
        0.1,
        ("米", "m"),
        ("层高下限", "minimum floor height"),
    )
    if req.max_rent_yuan_m2_month is not None:
        one(
            "max_rent_yuan_m2_month",
            req.max_rent_yuan_m2_month,
            "rent_yuan_m2_month",
            "cost",
            False,
            1.0,
            0.1,
            ("元/㎡·月", "yuan/m²/month"),
            ("租金上限", "rent ceiling"),
        )
    elif req.max_rent_yuan_m2_day is not None:
        one(
            "max_rent_yuan_m2_day",
            req.max_rent_yuan_m2_day,
            "rent_yuan_m2_month",
            "cost",
            False,
            12 / 365,
            0.01,
            ("元/㎡·天", "yuan/m²/day"),
            ("租金上限", "rent ceiling"),
        )
    one(
        "max_land_price_yuan_mu",
        req.max_land_price_yuan_mu,
        "land_price_yuan_mu",
        "cost",
        False,
        1.0,
        100.0,
        ("元/亩", "yuan/mu"),
        ("地价上限", "land price ceiling"),
    )
    one(
        "ready_within_days",
        req.ready_within_days,
        "move_in_days",
        "readiness",
        False,
        1.0,
        1.0,
        ("天", "days"),
        ("入驻期限", "move-in deadline"),
    )
    if req.near is not None:
        one(
            "near.within_m",
            req.near.within_m,
            "near_m",
            "near",
            False,
            1.0,
            10.0,
            ("米", "m"),
            ("距离范围", "radius"),
        )
    return out


def _outward(value: float, step: float, minimum: bool) -> float:
    """``value`` rounded to ``step`` so that it still meets the bound (down for a minimum)."""
    q = value / step
    q = math.floor(q + 1e-9) if minimum else math.ceil(q - 1e-9)
    return round(q * step, 10)


def _with(req: Requirements, field: str, value: float) -> Requirements:
    """The brief with one bound changed (validated like any brief)."""
    from .requirements import Requirements

    data = req.to_dict()
    if field.endswith((".0", ".1")):
        name, side = field[:-2], int(field[-1])
        pair = list(data[name])
        pair[side] = value
        data[name] = pair
    elif field == "near.within_m":
        data["near"] = {**data["near"], "within_m": value}
    else:
        data[field] = value
    return Requirements.model_validate(data)


def _rescore(result: MatchResult, req: Requirements) -> np.ndarray:
    """Totals of every asset under ``req`` with the result's weights, model and date."""
    from sklearn.base import clone

    scorer = clone(result.model)
    scorer.set_params(requirements=req, weights=result.weights, as_of=result.as_of)
    scorer.fit(result.features)
    return scorer.rank_scores(
        result.features, near_place=result.near_place, exclude=result.exclude
    ).score


def _rank_of(score: np.ndarray, pos: int) -> int:
    """1-based rank of row ``pos`` among the finite scores (ties by position, as ``top_k``)."""
    s = score[pos]
    ahead = np.count_nonzero(score > s) + np.count_nonzero(score[:pos] == s)
    return int(ahead) + 1


def _fmt(v: float, step: float) -> str:
    """A bound as a person writes it: ``150``, ``71.1``, ``50,000``, ``0.55``."""
    digits = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    text = f"{v:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _names(result: MatchResult) -> dict[str, str]:
    frame = result.features.frame
    if frame is not None and "name" in getattr(frame, "columns", ()):
        ids = result.features.ids.astype(str)
        return {
            i: n
            for i, n in zip(ids, frame["name"].to_numpy(dtype=object), strict=True)
            if isinstance(n, str)
        }
    return {}


def what_if(result: MatchResult, lang: str | None = None) -> pd.DataFrame:
    """The smallest relaxations that change the ranking, and the weight changes that swap the
    top two (see the module docstring).

    Parameters
    ----------
    result
        A match result.
    lang
        Language of ``text``: ``"zh"`` or ``"en"``; default the result's.

    Returns
    -------
    pandas.DataFrame
        :data:`WHAT_IF_COLUMNS`: ``kind`` (``"bound"`` or ``"weight"``), ``criterion``,
        ``field`` (the brief's field; ``land_area_mu.0`` is the range's minimum; ``weight``
        for a weight), ``current`` and ``proposed`` (brief units; normalised weights),
        ``unit``, ``change`` (``proposed / current − 1``), ``n_new`` (sites the ranking gains),
        ``entering`` (their ids, best first), ``asset_id`` (the near miss that enters, or the
        runner-up that overtakes), ``new_rank`` (its rank after the change) and ``text``.
    """
    lang = check_lang(lang or result.lang)
    names = _names(result)
    rows = _bound_rows(result, lang, names) + _weight_rows(result, lang, names)
    return pd.DataFrame(rows, columns=list(WHAT_IF_COLUMNS))


def _asset_values(result: MatchResult, pos: int, column: str) -> float:
    X = result.features
    if column == "move_in_days":
        sub = X.take([pos])
        ev = result.model.evaluate(sub, near_place=result.near_place)
        return float(ev.move_in_days[0])
    if column == "near_m":
        sub = X.take([pos])
        ev = result.model.evaluate(sub, detail=True, near_place=result.near_place)
        return float(ev.detail["near_m"][0])
    return float(X[column][pos]) if column in X else float("nan")


def _bound_rows(result: MatchResult, lang: str, names: dict[str, str]) -> list[dict[str, Any]]:
    req = result.requirements
    bounds = _bounds(req)
    X = result.features
    base = result.model.rank_scores(X, near_place=result.near_place, exclude=result.exclude).score
    eligible = np.isfinite(base)
    proposals: dict[tuple[str, float], tuple[_Bound, float, str]] = {}
    for nm in result.near_misses.itertuples(index=False):
        pos = X.position(nm.asset_id)
        for b, cur in bounds:
            if b.criterion != nm.failed:
                continue
            v = _asset_values(result, pos, b.column)
            if not math.isfinite(v):
                continue
            v *= b.to_brief
            if (b.minimum and v >= cur) or (not b.minimum and v <= cur):
                continue  # this bound is met; another of the criterion failed
            new = _outward(v, b.step, b.minimum)
            proposals.setdefault((b.field, new), (b, cur, nm.asset_id))
    out = []
    for (field, new), (b, cur, aid) in proposals.items():
        try:
            score = _rescore(result, _with(req, field, new))
        except ValueError:  # e.g. a minimum relaxed below 0 cannot be; skip the proposal
            continue
        gained = np.flatnonzero(np.isfinite(score) & ~eligible)
        order = gained[np.lexsort((gained, -score[gained].astype(np.float64)))]
        entering = [str(X.ids[i]) for i in order]
        pos = X.position(aid)
        rank = _rank_of(score, pos) if np.isfinite(score[pos]) else None
        row = {
            "kind": "bound",
            "criterion": b.criterion,
            "field": field,
            "current": cur,
            "proposed": new,
            "unit": _t(b.unit, lang),
            "change": new / cur - 1 if cur else math.inf,
            "n_new": len(entering),
            "entering": entering,
            "asset_id": aid,
            "new_rank": rank,
        }
        row["text"] = _bound_text(row, b, lang, names.get(aid, aid))
        out.append(row)
    out.sort(key=lambda r: (abs(r["change"]), r["field"]))
    return out


def _bound_text(row: dict[str, Any], b: _Bound, lang: str, name: str) -> str:
    cur, new = _fmt(row["current"], b.step), _fmt(row["proposed"], b.step)
    unit, n, r = row["unit"], row["n_new"], row["new_rank"]
    if lang == "zh":
        verb = "放宽至"
        head = f"{_t(b.label, 'zh')}由{cur}{unit}{verb}{new}{unit}"
        tail = f"新增{n}处地块进入排名" if n else "排名地块数不变"
        where = f"，{name}排第{r}名" if r is not None else ""
        return f"{head}：{tail}{where}"
    sites = f"{n} more site{'s' if n != 1 else ''} ranked" if n else "no more sites ranked"
    where = f"; {name} enters at rank {r}" if r is not None else ""
    return f"accept {new} {unit} instead of {cur} {unit} ({_t(b.label, 'en')}): {sites}{where}"


def _weight_rows(result: MatchResult, lang: str, names: dict[str, str]) -> list[dict[str, Any]]:
    t = result.table
    if len(t) < 2:
        return []
    w = dict(result.model.weight_)
    first, second = t.iloc[0], t.iloc[1]
    crit = [c for c in w if f"s_{c}" in t.columns]
    d = {c: float(first[f"s_{c}"]) - float(second[f"s_{c}"]) for c in crit}
    gap = sum(w[c] * d[c] for c in crit)
    out = []
    for c in crit:
        if w[c] <= 0 or abs(d[c]) < 1e-9:
            continue
        factor = 1 - gap / (w[c] * d[c])
        if not (factor > 0 and math.isfinite(factor)) or abs(factor - 1) < 1e-12:
            continue
        new_w = w[c] * factor / (1 + w[c] * (factor - 1))
        row = {
            "kind": "weight",
            "criterion": c,
            "field": "weight",
            "current": w[c],
            "proposed": new_w,
            "unit": "",
            "change": factor - 1,
            "n_new": 0,
            "entering": [],
            "asset_id": str(second["asset_id"]),
            "new_rank": 1,
        }
        a = names.get(str(first["asset_id"]), str(first["asset_id"]))
        b = names.get(str(second["asset_id"]), str(second["asset_id"]))
        cn = _t(CRITERION_NAMES[c], lang)
        if lang == "zh":
            verb = "提高" if factor > 1 else "降低"
            row["text"] = (
                f"将{cn}的权重由{w[c]:.2f}{verb}到{new_w:.2f}（×{factor:.2f}），"
                f"{b}与{a}并列第1，再多一点即超过"
            )
        else:
            verb = "raise" if factor > 1 else "lower"
            row["text"] = (
                f"{verb} the weight of {cn} from {w[c]:.2f} to {new_w:.2f} (×{factor:.2f}): "
                f"{b} draws level with {a} for rank 1, and overtakes it beyond"
            )
        out.append(row)
    out.sort(key=lambda r: abs(math.log(1 + r["change"])))
    return out
