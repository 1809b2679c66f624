"""Plain-language reasons, one per criterion, in Chinese or English."""

from __future__ import annotations

import math
from typing import Any, Final

from ..domain.industry import industry_name
from ..requirements import Requirements
from ..schema import OBSTACLE_KINDS
from ..scoring.scorer import Evaluation
from .facts import _missing
from .labels import layer_name, obstacle_name, status_name, tenure_names
from .words import INDICATIVE, NO_BASIS, _t


def _num(v: float, digits: int = 0) -> str:
    return f"{v:,.{digits}f}"


def _apart(v: float, bound: float, digits: int, most: int) -> int | None:
    """Fewest digits (``digits`` to ``most``) at which ``v`` reads apart from ``bound``.

    At those digits the figure, the bound and the gap between them read consistently: the
    figure differs from the bound and the gap reads above 0 and adds up ("18.04 元，超出 18 元",
    never "18.0 元，超出 18 元"). ``None`` when even ``most`` digits cannot tell them apart: the
    difference is below the precision the figure is known to, and it reads as the bound.
    """
    for d in range(digits, most + 1):
        a, b, gap = round(v, d), round(bound, d), round(abs(v - bound), d)
        if a != b and gap > 0 and abs(abs(a - b) - gap) < 0.5 * 10.0**-d:
            return d
    return None


def _figure(v: float, bound: float, digits: int, most: int) -> tuple[float, int]:
    """``v`` and its digits for a sentence comparing it with ``bound`` (see :func:`_apart`)."""
    d = _apart(v, bound, digits, most)
    return (bound, digits) if d is None else (v, d)


def _mu(v: float) -> str:
    """Mu with one decimal below 100 mu, none above or for whole numbers (168, 62, 39.3)."""
    whole = abs(v - round(v)) < 0.05
    return _num(v, 0 if abs(v) >= 100 or whole else 1)


def _range_text(lo: float | None, hi: float | None, fmt: Any, unit: str, lang: str) -> str:
    if lo is not None and hi is not None:
        return f"{fmt(lo)}–{fmt(hi)} {unit}"
    if lo is not None:
        return f"≥ {fmt(lo)} {unit}"
    return f"≤ {fmt(hi)} {unit}"


def _reason(c: str, f: dict[str, Any], req: Requirements, lang: str) -> str:
    zh = lang == "zh"
    fn = _REASONS.get(c)
    if fn is None:
        return ""
    return fn(f, req, zh)


def _r_size(f: dict[str, Any], req: Requirements, zh: bool) -> str:
    if f["land_area_m2"] is None:
        return "用地面积未知" if zh else "land area unknown"
    in_mu = req.land_area_mu is not None or req.land_area_m2 is None
    if in_mu:
        v = f["land_area_mu"]
        lo, hi = req.land_area_mu or (None, None)
        if req.land_area_mu is None:
            lo, hi = None, None
        fmt, unit = _mu, ("亩" if zh else "mu")
    else:
        v = f["land_area_m2"]
        lo, hi = req.land_area_m2  # type: ignore[misc]
        fmt, unit = _num, ("㎡" if zh else "m²")
    have = f"{fmt(v)} {unit}"
    if lo is None and hi is None:
        return have
    want = _range_text(lo, hi, fmt, unit, "zh" if zh else "en")
    outside = (lo is not None and v < lo) or (hi is not None and v > hi)
    if outside:
        # the figure and the gap with the same digits, enough that they add up and the gap
        # never reads 0 ("127.9 亩，少 22.1 亩", not "128 亩，少 22.1 亩")
        gap0 = (lo - v) if lo is not None and v < lo else (v - hi)  # type: ignore[operator]
        digits = 1 if in_mu else 0
        while digits < 2 and round(gap0, digits) == 0:
            digits += 1
        if round(gap0, digits) == 0:  # a gap below survey precision reads as within
            v = lo if lo is not None and v < lo else hi  # type: ignore[assignment]
            digits = 1 if in_mu else 0

        def fmt(x: float, _d: int = digits) -> str:
            return _num(x, _d)

        have = f"{fmt(v)} {unit}"
    if lo is not None and v < lo:
        gap = lo - v
        return (
            f"{have}，低于要求 {want}（少 {fmt(gap)} {unit}）"
            if zh
            else f"{have}, {fmt(gap)} {unit} below the required {want}"
        )
    if hi is not None and v > hi:
        gap = v - hi
        return (
            f"{have}，超出要求 {want}（多 {fmt(gap)} {unit}）"
            if zh
            else f"{have}, {fmt(gap)} {unit} above the required {want}"
        )
    return f"{have}，在 {want}要求内" if zh else f"{have}, within the required {want}"


def _r_building(f: dict[str, Any], req: Requirements, zh: bool) -> str:
    b = f["building_area_m2"]
    lo, hi = req.building_area_m2 or (None, None)
    unit = "㎡" if zh else "m²"
    want = _range_text(lo, hi, _num, unit, "zh" if zh else "en")
    if b is None:
        return "现有建筑面积未知" if zh else "existing floor area unknown"
    if b <= 0:
        days = f.get("construction_days") or 0
        return (
            f"空地，无现成建筑，需新建（约 {days:.0f} 天）"
            if zh
            else f"bare land, no buildings: construction needed (about {days:.0f} days)"
        )
    if lo is not None and b < lo:  # a gap below half a square metre reads as the bound
        b, _ = _figure(b, lo, 0, 0)
    elif hi is not None and b > hi:
        b, _ = _figure(b, hi, 0, 0)
    have = f"{_num(b)} {unit}"
    if lo is not None and b < lo:
        return (
            f"现有建筑 {have}，低于要求 {want}（少 {_num(lo - b)} {unit}）"
            if zh
            else f"{have} of existing buildings, {_num(lo - b)} {unit} short of the required {want}"
        )
    if hi is not None and b > hi:
        return (
            f"现有建筑 {have}，超出要求 {want}"
            if zh
            else f"{have} of existing buildings, more than the required {want}"
        )
    return (
        f"现有建筑 {have}，满足 {want}要求，厂房现成可用"
        if zh
        else f"{have} of existing buildings, meeting the {want} requirement: ready to use"
    )


def _r_specs(f: dict[str, Any], req: Requirements, zh: bool) -> str:
    parts = []
    for col, need, zname, ename, unit in (
        ("power_kva", req.min_power_kva, "供电容量", "power capacity", "kVA"),
        (
            "floor_load_kn_m2",
            req.min_floor_load_kn_m2,
            "楼面荷载",
            "floor load",
            "kN/㎡" if zh else "kN/m²",
        ),
        ("floor_height_m", req.min_floor_height_m, "层高", "floor height", "m"),
    ):
        if need is None:
            continue
        v = f[col]
        name = zname if zh else ename
        if v is None:
            parts.append(f"{name}未知" if zh else f"{name} unknown")
        else:
            base = 1 if v < 100 else 0
            v, d = _figure(v, need, base, base + 1)
            have, want = _num(v, d), _num(need, max(d, 1 if need < 100 else 0))
            if v >= need:
                parts.append(
                    f"{name} {have} {unit}（要求 ≥ {want}）"
                    if zh
                    else f"{name} {have} {unit} (need ≥ {want})"
                )
            else:
                parts.append(
                    f"{name} {have} {unit}，低于要求 {want}"
                    if zh
                    else f"{name} {have} {unit}, below the required {want}"
                )
    return ("；" if zh else "; ").join(parts)


def _r_cost(f: dict[str, Any], req: Requirements, zh: bool) -> str:
    parts = []
    cap = req.max_rent_m2_month
    if cap is not None:
        v = f["rent_yuan_m2_month"]
        if v is None:
            parts.append("租金未知" if zh else "rent unknown")
        else:
            v, d = _figure(v, cap, 1, 2)
            have = f"{v:.{d}f}"
            if v <= cap:
                parts.append(
                    f"租金 {have} 元/㎡/月，不超过 {cap:g} 元/㎡/月的预算上限"
                    if zh
                    else f"rent {have} yuan/m²/month, within the budget cap of {cap:g} "
                    "yuan/m²/month"
                )
            else:
                parts.append(
                    f"租金 {have} 元/㎡/月，超出 {cap:g} 元/㎡/月的预算上限"
                    if zh
                    else f"rent {have} yuan/m²/month, above the budget cap of {cap:g} yuan/m²/month"
                )
    cap = req.max_land_price_yuan_mu
    if cap is not None:
        v = f["land_price_yuan_mu"]
        if v is None:
            parts.append("地价未知" if zh else "land price unknown")
        else:
            wan, d = _figure(v / 1e4, cap / 1e4, 1, 4)
            v = wan * 1e4
            have, limit = f"{wan:,.{d}f}", f"{cap / 1e4:,.{d}f}"
            if zh:
                where = (
                    f"不超过 {limit} 万元/亩的预算上限"
                    if v <= cap
                    else f"超出 {limit} 万元/亩的预算上限"
                )
                parts.append(f"地价 {have} 万元/亩，{where}")
            else:
                where = "within" if v <= cap else "above"
                parts.append(
                    f"land price {have} wan yuan/mu, {where} the budget cap of {limit} wan yuan/mu"
                )
    return ("；" if zh else "; ").join(parts)


def _tenure_list(modes: list[str] | None, zh: bool) -> str:
    return tenure_names(modes, "zh" if zh else "en")


def _r_tenure(f: dict[str, Any], req: Requirements, zh: bool) -> str:
    modes = f["tenure"]
    ok = [m for m in (modes or []) if req.tenure is None or m in req.tenure]
    if modes is None:
        return "取得方式未知" if zh else "tenure modes unknown"
    if ok:
        return f"可{_tenure_list(ok, zh)}" if zh else f"offered by {_tenure_list(ok, zh)}"
    offered, accepted = _tenure_list(modes, zh), _tenure_list(req.tenure, zh)
    if zh:
        return f"仅可{offered}，不符合要求（{accepted}）"
    return f"only {offered}, not an accepted mode ({accepted})"


def move_in_parts(f: dict[str, Any], lang: str) -> list[tuple[str, float]]:
    """The parts of a move-in estimate that take time, in words: ``[(name, days), ...]``.

    ``f`` is a row of facts (see :mod:`assetmatch.explain.facts`); parts of 0 days are left out.
    """
    status = status_name(f["status"], lang) if f["status"] else ""
    parts: list[tuple[str, str, float]] = []
    ready, obst = f.get("ready_date_days"), f.get("obstacle_days") or 0.0
    if ready is not None:
        if obst > ready:
            parts.append(("障碍处置", "obstacles", obst))
        else:
            parts.append(("业主申报交付", "declared hand-over", ready))
    else:
        parts.append(
            (
                f"交接（现状：{status}）" if status else "交接",
                f"hand-over (now {status})" if status else "hand-over",
                f.get("status_days") or 0.0,
            )
        )
        parts.append(
            ("土地整理（非净地）", "land clearing (not net land)", f.get("net_land_days") or 0.0)
        )
        parts.append(("障碍处置", "obstacles", obst))
    parts.append(("用地手续", "land-use formalities", f.get("land_use_days") or 0.0))
    parts.append(("新建", "construction", f.get("construction_days") or 0.0))
    return [(z if lang == "zh" else e, v) for z, e, v in parts if v > 0 and math.isfinite(v)]


def _r_readiness(f: dict[str, Any], req: Requirements, zh: bool) -> str:
    days = f.get("move_in_days")
    if days is None:
        return "用途不允许，无法入驻" if zh else "the use is not allowed: no move-in possible"
    lang = "zh" if zh else "en"
    shown = [
        f"{name} {v:.0f} 天" if zh else f"{name} {v:.0f} d" for name, v in move_in_parts(f, lang)
    ]
    detail = ""
    if shown:
        detail = "（" + " + ".join(shown) + "）" if zh else " (" + " + ".join(shown) + ")"
    deadline = req.ready_within_days
    d = 0
    if deadline is not None:
        days, d = _figure(days, deadline, 0, 1)
    if zh:
        text = f"预计约 {days:.{d}f} 天可入驻{detail}"
        if deadline is not None:
            ok = days <= deadline
            text += f"，{'在' if ok else '超出'} {deadline:g} 天要求{'内' if ok else ''}"
    else:
        text = f"move-in in about {days:.{d}f} days{detail}"
        if deadline is not None:
            ok = days <= deadline
            text += f", {'within' if ok else 'beyond'} the {deadline:g}-day deadline"
    obstacles = f.get("obstacles") or []
    if obstacles:
        items = []
        for o in obstacles:
            name = _obstacle_text(o, lang)
            d = o.get("delay_days")
            if d is not None and not _missing(d):
                name += f" {float(d):.0f} 天" if zh else f" {float(d):.0f} d"
            items.append(name)
        text += ("；待解决：" + "、".join(items)) if zh else ("; to solve: " + ", ".join(items))
    return text


def _obstacle_text(o: dict[str, Any], lang: str) -> str:
    """An obstacle's name; an unlisted kind reads as its description, or "其他" / "other"."""
    kind = o.get("kind")
    name = obstacle_name(kind, lang)
    if kind is None or _missing(kind) or str(kind) not in OBSTACLE_KINDS:
        desc = o.get("description")
        name = str(desc) if desc and not _missing(desc) else obstacle_name("other", lang)
    return name


def _r_land_use(f: dict[str, Any], req: Requirements, zh: bool) -> str:
    route = f.get("land_use_route")
    if route is None:
        return ""
    return route.describe("zh" if zh else "en")


def _r_synergy(f: dict[str, Any], req: Requirements, zh: bool) -> str:
    nb = f.get("synergy_neighbours") or []
    if not nb:
        return "周边缺少上下游相关产业" if zh else "few related industries nearby"
    names = []
    for lab, _w, p in nb:
        names.append(
            f"{industry_name(lab, 'zh')}约 {p:.0f} 家（按距离加权）"
            if zh
            else f"{industry_name(lab, 'en')}: about {p:.0f} firms (distance-weighted)"
        )
    if zh:
        return "周边相关产业：" + "、".join(names)
    return "related industries nearby: " + ", ".join(names)


def _r_conflicts(f: dict[str, Any], req: Requirements, zh: bool) -> str:
    c = f.get("conflict")
    if c is None:
        return "附近无需避让的产业" if zh else "no conflicting industry nearby"
    lab, d, dist, ratio, why = c
    lang = "zh" if zh else "en"
    basis = _t(f.get("conflict_basis") or NO_BASIS, lang)
    digits = _apart(d, dist, 0, 1) if math.isfinite(d) else 0
    if digits is None:  # within a decimetre of the distance: neither inside nor beyond
        d, digits = dist, 0
    near, limit = _num(d, digits) if math.isfinite(d) else "", _num(dist, digits)
    if why.startswith("siting:"):  # a school's distance from a railway or a major road
        name = layer_name(lab, lang)
        if not math.isfinite(d):
            return f"参照图层中无{name}（{basis}）" if zh else f"no {name} on the layers ({basis})"
        if d == 0:  # distances are from the boundary: the layer reaches the site itself
            return (
                f"{name}穿过或紧贴地块，不足 {limit} m（{basis}）"
                if zh
                else f"a {name} crosses or touches the site, short of {limit} m ({basis})"
            )
        if ratio < 1:
            return (
                f"距{name}约 {near} m，不足 {limit} m（{basis}）"
                if zh
                else f"about {near} m from a {name}, short of {limit} m ({basis})"
            )
        return (
            f"距{name}约 {near} m，满足 ≥ {limit} m（{basis}）"
            if zh
            else f"about {near} m from a {name}, at least {limit} m ({basis})"
        )
    name = industry_name(lab, lang)
    if why.startswith("avoid:"):  # the investor's own distance: not a standard's
        kept = "投资方要求的避让距离" if zh else "the distance the investor asks to keep"
    else:
        kept = _t(INDICATIVE, lang) + ("；依据：" if zh else "; basis: ") + basis
    if not math.isfinite(d):
        if zh:
            return f"周边企业数据中未见{name}企业（{limit} m，{kept}）"
        return f"no {name} firm in the firms data ({limit} m, {kept})"
    if d == dist:
        if zh:
            return f"{name}企业距此约 {near} m，恰在 {limit} m 上（{kept}）"
        return f"a {name} firm about {near} m away, right at {limit} m ({kept})"
    if d == 0:  # a firm's point inside the site (or on its boundary) is 0 m from it
        if zh:
            return f"{name}企业位于地块内，小于 {limit} m（{kept}）"
        return f"a {name} firm inside the site, within {limit} m ({kept})"
    if ratio < 1:
        if zh:
            return f"{name}企业距此约 {near} m，小于 {limit} m（{kept}）"
        return f"a {name} firm about {near} m away, within {limit} m ({kept})"
    if zh:
        return f"最近的{name}企业约 {near} m，超过 {limit} m（{kept}）"
    return f"nearest {name} firm about {near} m away, beyond {limit} m ({kept})"


def _r_access(f: dict[str, Any], req: Requirements, zh: bool) -> str:
    acc = f.get("access_m") or {}
    parts = []
    for lab, d in acc.items():
        if d is None:
            continue
        name = layer_name(lab, "zh" if zh else "en")
        parts.append(f"距{name} {d / 1000:.1f} km" if zh else f"{d / 1000:.1f} km to the {name}")
    return "、".join(parts) if zh else ", ".join(parts)


def _r_near(f: dict[str, Any], req: Requirements, zh: bool) -> str:
    near = req.near
    d = f.get("near_m")
    if near is None or d is None:
        return ""
    place = near.asset_id or near.firm_id or (f"({near.lon:.4f}, {near.lat:.4f})")
    if d == 0:  # measured from the site's equal-area circle: the place is at the site itself
        within = _num(near.within_m)
        if near.asset_id is not None:
            if zh:
                return f"紧邻 {place}（要求 {within} m 内）"
            return f"right next to {place} (wanted within {within} m)"
        if zh:
            return f"{place} 位于地块内或紧邻地块（要求 {within} m 内）"
        return f"{place} is inside or right next to the site (wanted within {within} m)"
    d, digits = _figure(d, near.within_m, 0, 1)
    ok = d <= near.within_m
    if zh:
        return f"距 {place} 约 {_num(d, digits)} m（要求 {_num(near.within_m, digits)} m 内）" + (
            "" if ok else "，超出"
        )
    within = _num(near.within_m, digits)
    return f"about {_num(d, digits)} m from {place} (wanted within {within} m)" + (
        "" if ok else ": too far"
    )


def _r_district(f: dict[str, Any], req: Requirements, zh: bool) -> str:
    d = f.get("district")
    if d is None:
        return "片区未知" if zh else "district unknown"
    ok = req.districts is not None and d in req.districts
    if zh:
        return f"位于{d}片区" + ("（偏好片区）" if ok else "（非偏好片区）")
    return f"in {d}" + (" (a preferred district)" if ok else " (not a preferred district)")


def _r_freshness(f: dict[str, Any], req: Requirements, zh: bool) -> str:
    age = f.get("age_days")
    if age is None:
        return ""
    if age < 0:  # a record changed after the match date (a replay, or a date in the past)
        return "信息更新于匹配日期之后" if zh else "record updated after the match date"
    return f"信息 {age:.0f} 天前更新" if zh else f"record updated {age:.0f} days ago"


_REASONS: Final = {
    "size": _r_size,
    "building": _r_building,
    "specs": _r_specs,
    "cost": _r_cost,
    "tenure": _r_tenure,
    "readiness": _r_readiness,
    "land_use": _r_land_use,
    "synergy": _r_synergy,
    "conflicts": _r_conflicts,
    "access": _r_access,
    "near": _r_near,
    "district": _r_district,
    "freshness": _r_freshness,
}


#: Criteria whose score below 1 means a stated bound is missed by an amount the reason states.
SHORTFALL_CRITERIA = ("size", "building", "specs", "cost", "readiness", "conflicts", "near")


def shortfalls(criteria: Any, weights: Any, score: Any) -> list[str]:
    """Criteria falling short of their bound (score below 1), the largest weighted loss first."""
    out = [c for c in criteria if c in SHORTFALL_CRITERIA and score(c) < 1 - 1e-6]
    return sorted(out, key=lambda c: -weights[c] * (1 - score(c)))


def _short_reasons(
    ev: Evaluation, i: int, facts: dict[str, Any], req: Requirements, lang: str
) -> str:
    """The table's reasons: every shortfall first (largest loss first), then the three strongest."""
    short = shortfalls(ev.criteria, ev.weights, lambda c: float(ev.scores[c][i]))
    order = sorted(ev.criteria, key=lambda c: -ev.weights[c] * float(ev.scores[c][i]))
    picked = short + [c for c in order if c not in short and c not in ("freshness", "access")][:3]
    if (
        "land_use" in ev.criteria
        and "land_use" not in picked
        and facts.get("land_use_path")
        not in (
            "allowed",
            None,
        )
    ):
        picked.append("land_use")
    texts = [_reason(c, facts, req, lang) for c in picked]
    texts = [t for t in texts if t]
    return ("；" if lang == "zh" else "; ").join(texts)
