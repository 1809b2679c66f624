"""What a report says: the brief's document, built from a match result as plain JSON data.

Every string and number the report prints is put here into a JSON-able dict (strings already
formatted for the reader); the layout reads that dict as data and never as markup, so a site
named ``#import`` or ``<b>`` prints as it is written.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from .._errors import AssetmatchError
from ..domain import landuse
from ..domain.landuse_paths import use_name
from ..explain.facts import _missing
from ..explain.labels import (
    criterion_name,
    label,
    layer_name,
    obstacle_name,
    path_name,
    status_name,
    tenure_names,
)
from ..explain.reasons import _reason, move_in_parts, shortfalls
from ..explain.words import _LAYER_NAMES
from ..schema import INDUSTRIES
from . import charts, maps
from .words import labels

logger = logging.getLogger(__name__)

__all__ = ["Progress", "build_document"]

#: Progress callback: (done, total, what).
Progress = Callable[[int, int, str], None]

_KIND_NAMES = {
    "land": ("土地", "land"),
    "factory": ("厂房", "factory"),
    "campus": ("厂区（土地及厂房）", "campus (land and buildings)"),
}
_METHOD = {
    "zh": [
        "先按硬性条件筛选：状态可招商、取得方式与用地性质路径为投资方所接受；"
        "面积、建筑、成本、入驻时间等所述界限超出容差的地块不参与排名，列入备选并说明差距。",
        "其余地块按各项指标打分（0–1），乘以权重相加得到总分（0–1），按总分排名。"
        "各项得分的计算方法见项目文档 docs/match-rules.md。",
        "入驻时间为估算：业主申报的交付日期、待解决事项的预计时长、用地手续时间等相加或取其长，"
        "以报告日期为起点。",
        "地图取自库内自有图层（地块边界、企业点位、交通等参照点），投影坐标，比例尺为实距；"
        "指北针指向真北（已按子午线收敛角旋转）。",
    ],
    "en": [
        "Hard conditions first: the site must be on offer, with a tenure mode and a land-use path "
        "the investor accepts; a site beyond the tolerance of a stated limit (size, buildings, "
        "cost, move-in time…) is not ranked but listed among the near misses with its gap.",
        "The other sites score 0–1 on each criterion; the weighted sum is the total score "
        "(0–1) they are ranked by. How each criterion is scored: docs/match-rules.md.",
        "The move-in time is an estimate from the report date: the owner's declared hand-over "
        "date, the expected time of open obstacles and of land-use formalities.",
        "The maps are drawn from the inventory's own layers (parcel boundaries, firm points, "
        "reference points) in a projected CRS, so the scale bar is true; the north arrow points "
        "to true north (turned by the meridian convergence).",
    ],
}
_WEIGHT_SOURCES = {
    "priorities": (
        "由投资需求中各项的优先级（1–5）换算，未提及的指标取默认值 3",
        "from the priorities (1–5) stated in the requirements; criteria not mentioned take 3",
    ),
    "direct": ("由调用方直接给定", "given directly by the caller"),
    "ahp": ("由层次分析法（AHP）两两比较得出", "from pairwise comparisons (AHP)"),
}
_PARTS_WORDS = {
    "zh": {"m": "m", "km": "km", "north": "北"},
    "en": {"m": "m", "km": "km", "north": "N"},
}


# ---------------------------------------------------------------------- formatting


def _num(v: float | None, digits: int = 0) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    return f"{v:,.{digits}f}"


def _mu(v: float) -> str:
    return _num(v, 0 if abs(v) >= 100 else 1)


def _date(d: Any, lang: str) -> str:
    if _missing(d):
        return "—"
    if isinstance(d, datetime) or not isinstance(d, date):
        d = pd.Timestamp(d).date()
    return f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else d.isoformat()


def _land(m2: float | None, lang: str) -> str:
    if m2 is None or not math.isfinite(m2):
        return "—"
    mu = m2 * 3 / 2000
    return f"{_mu(mu)} 亩（{_num(m2)} ㎡）" if lang == "zh" else f"{_mu(mu)} mu ({_num(m2)} m²)"


def _land_use(code: Any, scheme: Any, lang: str) -> str:
    """A land-use code with its name in its classification (``1001 工业用地`` /
    ``1001 industrial land``); the code alone when the tables do not name it."""
    if code is None or _missing(code) or not str(code).strip():
        return "—"
    try:
        lu = landuse.resolve(str(code), scheme if isinstance(scheme, str) else None)
    except AssetmatchError:
        return str(code)
    name = lu.name_zh if lang == "zh" else lu.name_en
    return f"{lu.code} {name}" if name else lu.code


def _m2(v: float | None, lang: str) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    return f"{_num(v)} ㎡" if lang == "zh" else f"{_num(v)} m²"


def _money(f: Mapping[str, Any], lang: str) -> str:
    parts = []
    rent, price = f.get("rent_yuan_m2_month"), f.get("land_price_yuan_mu")
    if rent is not None:
        parts.append(f"{rent:.1f} 元/㎡·月" if lang == "zh" else f"{rent:.1f} yuan/m²/mo")
    if price is not None:
        parts.append(f"{price / 10_000:,.1f} 万元/亩" if lang == "zh" else f"{price:,.0f} yuan/mu")
    return "；".join(parts) if lang == "zh" else "; ".join(parts) if parts else "—"


def _days(v: float | None, lang: str) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    return f"{v:.0f} 天" if lang == "zh" else f"{v:.0f} days"


def _industry(code: str, lang: str) -> str:
    name = INDUSTRIES.get(code[:3])
    return f"{code} {label(name, lang)}" if name else code


# ---------------------------------------------------------------------- the brief


def _requirements(req: Any, lang: str) -> list[list[str]]:
    zh = lang == "zh"
    rows: list[list[str]] = []

    def add(zh_label: str, en_label: str, text: str) -> None:
        rows.append([zh_label if zh else en_label, text])

    if req.industry:
        add("行业", "Industry", _industry(req.industry, lang))
    if req.land_use:
        target = req.target_land_class
        name = use_name(target, lang) if target else ""
        add("用途", "Intended use", f"{req.land_use} {name}（{req.land_use_scheme}）".strip())
    if req.land_area_mu is not None:
        lo, hi = req.land_area_mu
        add("用地面积", "Land area", _range(lo, hi, _mu, "亩" if zh else "mu", zh))
    if req.land_area_m2 is not None:
        lo, hi = req.land_area_m2
        add("用地面积", "Land area", _range(lo, hi, _num, "㎡" if zh else "m²", zh))
    if req.building_area_m2 is not None:
        lo, hi = req.building_area_m2
        add("现有建筑", "Buildings", _range(lo, hi, _num, "㎡" if zh else "m²", zh))
    if req.max_rent_yuan_m2_month is not None:
        v = req.max_rent_yuan_m2_month
        add("租金上限", "Highest rent", f"{v:g} 元/㎡·月" if zh else f"{v:g} yuan/m²/month")
    if req.max_rent_yuan_m2_day is not None:
        v = req.max_rent_yuan_m2_day
        add("租金上限", "Highest rent", f"{v:g} 元/㎡·天" if zh else f"{v:g} yuan/m²/day")
    if req.max_land_price_yuan_mu is not None:
        v = req.max_land_price_yuan_mu
        add("地价上限", "Highest land price", f"{v:,.0f} 元/亩" if zh else f"{v:,.0f} yuan/mu")
    if req.tenure:
        add("取得方式", "Tenure", tenure_names(req.tenure, lang))
    if req.ready_within_days is not None:
        d = req.ready_within_days
        add("入驻时间", "Move in", f"{d:g} 天内" if zh else f"within {d:g} days")
    for field, zl, el, unit in (
        ("min_power_kva", "供电容量", "Power", "kVA"),
        ("min_floor_load_kn_m2", "楼面荷载", "Floor load", "kN/㎡" if zh else "kN/m²"),
        ("min_floor_height_m", "层高", "Floor height", "m"),
    ):
        v = getattr(req, field)
        if v is not None:
            add(zl, el, f"≥ {v:g} {unit}")
    if req.districts:
        add("片区", "Districts", ("、" if zh else ", ").join(req.districts))
    if req.near_industries:
        add(
            "靠近产业",
            "Near industries",
            ("、" if zh else ", ").join(_industry(c, lang) for c in req.near_industries),
        )
    if req.avoid_industries:
        add(
            "远离产业",
            "Keep away from",
            ("、" if zh else ", ").join(
                f"{_industry(c, lang)}（{_num(d)} m 以上）"
                if zh
                else f"{_industry(c, lang)} (at least {_num(d)} m)"
                for c, d in req.avoid_industries.items()
            ),
        )
    if req.near is not None:
        n = req.near
        place = n.asset_id or n.firm_id or f"{n.lon:.5f}, {n.lat:.5f}"
        add(
            "靠近位置",
            "Near",
            f"{place}（{_num(n.within_m)} m 内）"
            if zh
            else f"{place} (within {_num(n.within_m)} m)",
        )
    if req.priorities:
        add(
            "优先级",
            "Priorities",
            ("、" if zh else ", ").join(
                f"{criterion_name(c, lang)} {p}" for c, p in req.priorities.items()
            ),
        )
    return rows


def _range(lo: Any, hi: Any, fmt: Callable[[float], str], unit: str, zh: bool) -> str:
    if lo is not None and hi is not None:
        return f"{fmt(lo)}–{fmt(hi)} {unit}"
    if lo is not None:
        return f"≥ {fmt(lo)} {unit}"
    if hi is not None:
        return f"≤ {fmt(hi)} {unit}"
    return "—"


# ---------------------------------------------------------------------- inventory data


def _map_layers(result: Any, inventory: Any) -> maps.MapLayers:
    frame = result.features.frame
    parcels: dict[str, Any] = {}
    crs = getattr(frame, "crs", None)
    if frame is not None and "geometry" in frame.columns:
        ids = result.features.ids.astype(str)
        parcels = dict(zip(ids, frame.geometry.tolist(), strict=True))
    firm_xy = np.empty((0, 2))
    firm_div = np.empty(0, dtype=object)
    refs: dict[str, np.ndarray] = {}
    if inventory is not None:
        try:
            firms = inventory.firms()
            if len(firms):
                if crs is not None and firms.crs is not None and firms.crs != crs:
                    firms = firms.to_crs(crs)
                firm_xy = _xy(firms.geometry)
                firm_div = firms["industry"].astype(str).str.slice(0, 3).to_numpy(dtype=object)
            for name in inventory.layers():
                layer = inventory.layer(name)
                if crs is not None and layer.crs is not None and layer.crs != crs:
                    layer = layer.to_crs(crs)
                refs[name] = _xy(layer.geometry)
        except AssetmatchError as exc:
            logger.warning("report maps without firms and reference layers: %s", exc)
    return maps.MapLayers(parcels, firm_xy, firm_div, refs, crs)


def _xy(geoms: Any) -> np.ndarray:
    """(n, 2) positions: points as they are, other shapes by their centroid."""
    import shapely

    arr = np.asarray(geoms.values if hasattr(geoms, "values") else geoms, dtype=object)
    pts = np.where(shapely.get_type_id(arr) == 0, arr, shapely.centroid(arr))
    return (
        np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])
        if len(arr)
        else (np.empty((0, 2)))
    )


def _history(inventory: Any, asset_id: str) -> pd.DataFrame | None:
    if inventory is None:
        return None
    try:
        return inventory.history(asset_id)
    except AssetmatchError as exc:
        logger.warning("no history for %s in the report: %s", asset_id, exc)
        return None


def _recorded(hist: pd.DataFrame | None, as_of: date) -> dict[str, date]:
    """Field -> the date its current value was recorded (valid from), up to ``as_of``."""
    out: dict[str, date] = {}
    if hist is None or not len(hist):
        return out
    for ev in hist.itertuples(index=False):
        valid = pd.Timestamp(ev.valid_at).date()
        if valid > as_of:
            continue
        if ev.kind == "create" and isinstance(ev.value, Mapping):
            out[""] = valid  # the record's creation: the date of every field it set
            for k in ev.value:
                out[str(k)] = valid
        elif isinstance(ev.field, str):
            out[ev.field] = valid
    return out


def _rent_points(hist: pd.DataFrame | None, as_of: date) -> list[tuple[date, float]]:
    pts: list[tuple[date, float]] = []
    if hist is None or not len(hist):
        return pts
    for ev in hist.itertuples(index=False):
        valid = pd.Timestamp(ev.valid_at).date()
        if valid > as_of:
            continue
        v: Any = None
        if ev.kind == "create" and isinstance(ev.value, Mapping):
            v = ev.value.get("rent_yuan_m2_month")
        elif ev.field == "rent_yuan_m2_month":
            v = ev.value
        try:
            x = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(x):
            pts.append((valid, x))
    pts.sort(key=lambda p: p[0])
    return pts


# ---------------------------------------------------------------------- a site


def _facts_rows(
    f: Mapping[str, Any],
    row: Mapping[str, Any],
    lang: str,
    L: Mapping[str, str],
    rec: Mapping[str, date],
    as_of: date,
) -> list[list[str]]:
    zh = lang == "zh"

    def when(*fields: str) -> str:
        ds = [rec[x] for x in fields if x in rec] or ([rec[""]] if "" in rec else [])
        return _date(max(ds), lang) if ds else "—"

    status = f.get("status")
    idle_since = row.get("idle_since")
    idle_days = "—"
    if not _missing(idle_since):
        d0 = pd.Timestamp(idle_since).date()
        idle_days = _days(float((as_of - d0).days), lang)
    obstacles = f.get("obstacles") or []
    ob_text = (
        ("；" if zh else "; ").join(
            obstacle_name(o.get("kind"), lang)
            + (f"：{o['description']}" if zh and o.get("description") else "")
            + (f": {o['description']}" if not zh and o.get("description") else "")
            + (
                f"（约 {float(o['delay_days']):.0f} 天）"
                if zh and o.get("delay_days") is not None
                else f" (about {float(o['delay_days']):.0f} days)"
                if o.get("delay_days") is not None
                else ""
            )
            for o in obstacles
        )
        if obstacles
        else L["none"]
    )
    floors = row.get("floors")
    net = f.get("net_land")
    kind = f.get("kind")
    rows = [
        [L["kind"], label(_KIND_NAMES.get(kind, (kind or "—",) * 2), lang), when("kind")],
        [L["district"], f.get("district") or "—", when("district")],
        [L["land_area"], _land(f.get("land_area_m2"), lang), when("geometry", "land_area_m2")],
        [L["building_area"], _m2(f.get("building_area_m2"), lang), when("building_area_m2")],
        [
            L["floors"],
            "—" if _missing(floors) else f"{int(floors)}",
            when("floors"),
        ],
        [
            L["floor_height"],
            "—" if f.get("floor_height_m") is None else f"{f['floor_height_m']:g} m",
            when("floor_height_m"),
        ],
        [
            L["floor_load"],
            "—"
            if f.get("floor_load_kn_m2") is None
            else f"{f['floor_load_kn_m2']:g} kN/㎡"
            if zh
            else f"{f['floor_load_kn_m2']:g} kN/m²",
            when("floor_load_kn_m2"),
        ],
        [
            L["power"],
            "—" if f.get("power_kva") is None else f"{_num(f['power_kva'])} kVA",
            when("power_kva"),
        ],
        [
            L["land_use"],
            _land_use(f.get("land_use"), row.get("land_use_scheme"), lang),
            when("land_use"),
        ],
        [
            L["net_land"],
            L["unknown"] if net is None else L["yes"] if net else L["no"],
            when("net_land"),
        ],
        [
            L["status"],
            status_name(status, lang),
            when("status"),
        ],
        [
            L["idle_since"],
            _date(idle_since, lang),
            when("idle_since"),
        ],
        [L["days_idle"], idle_days, when("idle_since")],
        [L["tenure"], tenure_names(f.get("tenure"), lang), when("tenure")],
        [L["rent_price"], _money(f, lang), when("rent_yuan_m2_month", "land_price_yuan_mu")],
        [L["obstacles"], ob_text, when("obstacles")],
        [L["owner"], f.get("owner") or "—", when("owner")],
        [L["contact"], f.get("contact") or "—", when("contact")],
    ]
    return rows


def _site(
    result: Any,
    e: Any,
    rank: int,
    asset_id: str,
    layers: maps.MapLayers,
    inventory: Any,
    lang: str,
    L: Mapping[str, str],
    map_words: Mapping[str, str],
) -> dict[str, Any]:
    zh = lang == "zh"
    f = e.facts
    frame = result.features.frame
    row: dict[str, Any] = {}
    if frame is not None:
        pos = result.features.position(asset_id)
        row = {k: v for k, v in frame.iloc[pos].items() if k != "geometry"}
    hist = _history(inventory, asset_id)
    rec = _recorded(hist, result.as_of)
    # score by criterion, in the model's order
    con = e.contributions
    crits = [c for c in result.model.criteria_ if c in con.index]
    weights = [float(result.model.weight_.get(c, 0.0)) for c in crits]
    scores = [float(con.at[c, "score"]) for c in crits]
    short = set(
        shortfalls(
            crits, dict(zip(crits, weights, strict=True)), lambda c: float(con.at[c, "score"])
        )
    )
    bars = charts.score_bars(
        [criterion_name(c, lang) for c in crits],
        weights,
        scores,
        [c in short for c in crits],
    )
    reasons = []
    for c, r in con.iterrows():
        if not r["reason"]:
            continue
        bad = (c in short) or not bool(r["passed"])
        reasons.append(
            {
                "text": str(r["reason"]),
                "short": bad,
                "criterion": str(r["name"]),
                "unevaluated": False,
            }
        )
    # the same for every site: the cover's cards leave them out (the summary names them once)
    for u in result._unevaluated(lang).itertuples(index=False):
        reasons.append(
            {
                "text": f"未评估：{u.reason}" if zh else f"not evaluated: {u.reason}",
                "short": True,
                "criterion": str(u.name),
                "unevaluated": True,
            }
        )
    reasons.sort(key=lambda x: not x["short"])  # stable: the explanation's order within each
    # land-use path
    route = f.get("land_use_route")
    land_use = None
    if route is not None:
        land_use = {
            "path": path_name(route.path, lang),
            "text": route.describe(lang),
            "basis": route.basis or "",
        }
    # move-in
    parts = [[name, _days(v, lang)] for name, v in move_in_parts(f, lang)]
    move_in = {
        "total": _days(f.get("move_in_days"), lang),
        "date": _date(f.get("move_in_date"), lang),
        "parts": parts,
    }
    # rent
    pts = _rent_points(hist, result.as_of)
    rent = None
    if pts:
        rent = charts.rent_series(
            pts, result.as_of, ceiling=result.requirements.max_rent_yuan_m2_month
        )
    avoid = dict(result.requirements.avoid_industries or {})
    avoid = {k[:3]: float(v) for k, v in avoid.items()}
    conflict = f.get("conflict")
    if conflict is not None and conflict[1] < conflict[2]:  # the neighbour that conflicts
        avoid = {**avoid, str(conflict[0])[:3]: float(conflict[2])}
    rings = sorted({1000.0, *[v for v in avoid.values() if 100 <= v <= 5000]})
    site_map = maps.site_map(
        layers,
        asset_id,
        rings_m=rings,
        avoid=avoid,
        industry_names={k: label(v, lang) for k, v in INDUSTRIES.items()},
        words=map_words,
    )
    # the explanation's own sentence: an indicative distance with its basis (or a school's
    # GB 50099-2011 distance), never a bare figure
    conflict_text = (
        "" if f.get("conflict") is None else _reason("conflicts", f, result.requirements, lang)
    )
    age = f.get("age_days")
    fresh = (
        (
            f"最近一次更新在 {age:.0f} 天前"
            if zh
            else f"last updated {age:.0f} days before the report date"
        )
        if age is not None
        else (L["unknown"])
    )
    return {
        "rank": rank,
        "asset_id": asset_id,
        "name": f.get("name") or asset_id,
        "district": f.get("district") or "",
        "score": f"{e.score:.3f}",
        "map": site_map.to_dict(),
        "conflict": conflict_text,
        "facts": _facts_rows(f, row, lang, L, rec, result.as_of),
        "score_bars": bars,
        "reasons": reasons,
        "land_use": land_use,
        "move_in": move_in,
        "rent": rent,
        "freshness": fresh,
    }


# ---------------------------------------------------------------------- the document


def build_document(
    result: Any,
    lang: str,
    *,
    inventory: Any = None,
    zone: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The report's content as JSON-able data (see the module docstring).

    Parameters
    ----------
    result
        The :class:`~assetmatch.MatchResult`.
    lang
        ``"zh"`` or ``"en"``.
    inventory
        The inventory the match ran on: firms, reference layers and history for the maps,
        rent charts and freshness. Without it the maps show the parcels only.
    zone
        The zone's name for the cover; default the districts of the inventory.
    progress
        Called with (done, total, what) after each part.
    """
    L = labels(lang)
    zh = lang == "zh"
    req = result.requirements
    table = result.table
    n = len(table)
    total = n + 2
    step = 0

    def tick(what: str) -> None:
        nonlocal step
        step += 1
        if progress is not None:
            progress(step, total, what)
        logger.info("report %d/%d: %s", step, total, what)

    layers = _map_layers(result, inventory)
    map_words = dict(_PARTS_WORDS[lang])
    map_words.update(
        {
            k: L[k]
            for k in (
                "legend_site",
                "legend_other",
                "legend_conflict",
                "legend_ranked",
                "other_firms",
                "no_firms",
            )
        }
    )
    map_words.update({f"layer_{k}": layer_name(k, lang) for k in _LAYER_NAMES})
    ranked = [str(a) for a in table["asset_id"]]
    overview = maps.overview_map(layers, ranked, words=map_words).to_dict() if ranked else None
    tick("overview map")

    frame = result.features.frame
    districts: list[str] = []
    if frame is not None and "district" in frame.columns:
        districts = sorted({str(d) for d in frame["district"].dropna()})
    synthetic = bool(inventory is not None and getattr(inventory, "as_of", None) is not None)
    if zone is None:
        sep = "、" if zh else ", "
        zone = (
            (L["district"] + "：" if zh else "Districts: ") + sep.join(districts)
            if districts
            else "—"
        )

    explained = {}
    rows = []
    for i, rec in enumerate(table.to_dict("records")):
        aid = str(rec["asset_id"])
        e = result.explain(aid, lang=lang)
        explained[aid] = e
        f = e.facts
        short_names = [
            criterion_name(c, lang)
            for c in shortfalls(
                list(result.model.criteria_),
                result.model.weight_,
                lambda c, _r=rec: float(_r.get(f"s_{c}", 1.0)),
            )
        ]
        rows.append(
            [
                str(i + 1),
                str(f.get("name") or aid),
                str(f.get("district") or "—"),
                _land(f.get("land_area_m2"), lang),
                _m2(f.get("building_area_m2"), lang),
                _money(f, lang),
                tenure_names(f.get("tenure"), lang),
                _days(f.get("move_in_days"), lang),
                f"{float(rec['score']):.3f}",
                ("、" if zh else ", ").join(short_names) or L["none"],
            ]
        )

    sites = []
    for i, aid in enumerate(ranked):
        sites.append(
            _site(result, explained[aid], i + 1, aid, layers, inventory, lang, L, map_words)
        )
        tick(f"site {i + 1} of {n}: {aid}")

    nm = result.near_misses
    near_rows = [
        [
            str(r.get("name") or r["asset_id"]),
            criterion_name(str(r["failed"]), lang) if r["failed"] else "—",
            str(r.get("detail") or ""),
            f"{float(r['score']):.3f}"
            if pd.notna(r["score"]) and math.isfinite(r["score"])
            else "—",
        ]
        for r in nm.to_dict("records")
    ]
    whatif, robust_rows = _decision_support(result, lang, L)
    w = result.weights
    share = result.model.weight_
    weight_rows = [
        [
            criterion_name(c, lang),
            f"{float(w.values.get(c, 0.0)):g}",
            f"{share[c] * 100:.1f}%",
        ]
        for c in result.model.criteria_
    ]
    musts = sorted(result.model.hard_)
    doc = {
        "lang": lang,
        "labels": L,
        "title": L["title"],
        "investor": req.investor or L["investor_unnamed"],
        "date": {"year": result.as_of.year, "month": result.as_of.month, "day": result.as_of.day},
        "report_date": _date(result.as_of, lang),
        "data_as_of": _date(_data_date(result, inventory), lang),
        "zone": zone,
        "kicker": L["kicker"],
        "synthetic": L["synthetic"] if synthetic else "",
        "version": result.version,
        "generated_by": L["generated_by"].format(result.version),
        "requirements": _requirements(req, lang),
        "summary_line": L["eligible"].format(**result.counts)
        + ("；" if zh else "; ")
        + L["ranked_n"].format(n)
        + ("。" if zh else "."),
        "unevaluated_line": _unevaluated_line(result, lang, L),
        "overview": overview,
        "table_header": [
            L["rank"],
            L["name"],
            L["district"],
            L["land_area"],
            L["building_area"],
            L["rent_price"],
            L["tenure"],
            L["move_in"],
            L["score"],
            L["falls_short"],
        ],
        "table": rows,
        "sites": sites,
        "near_header": [L["name"], L["failed"], L["detail"], L["would_score"]],
        "near": near_rows,
        "whatif": whatif,
        "robust_header": [
            L["name"],
            L["rank"],
            L["stays_in_top"],
            L["verdict"],
            L["rank_topsis"],
            L["rank_weighted_product"],
        ],
        "robust": robust_rows,
        "unevaluated": [
            [str(u.name), str(u.reason)] for u in result._unevaluated(lang).itertuples()
        ],
        "method": _METHOD[lang],
        "weights_header": [L["criterion"], L["weight"], L["weight_share"]],
        "weights": weight_rows,
        "weights_source": label(_WEIGHT_SOURCES.get(w.source, (w.source, w.source)), lang),
        "musts": ("、" if zh else ", ").join(criterion_name(c, lang) for c in musts),
    }
    tick("appendix")
    return doc


def _unevaluated_line(result: Any, lang: str, L: Mapping[str, str]) -> str:
    """One sentence naming the criteria no site could be scored on for want of data (they
    are the same for every site), or ``""``."""
    names = list(dict.fromkeys(str(n) for n in result._unevaluated(lang)["name"]))
    if not names:
        return ""
    return L["unevaluated_line"].format(("、" if lang == "zh" else ", ").join(names))


def _decision_support(
    result: Any, lang: str, L: dict[str, str], n_what_if: int = 8
) -> tuple[list[str], list[list[str]]]:
    """The what-if sentences (smallest change first) and the robustness rows of the shortlist."""
    if not len(result.table):
        return [], []
    whatif = [str(t) for t in result.what_if(lang)["text"].head(n_what_if)]
    rob = result.robustness()
    rows = [
        [
            str(r["name"] or r["asset_id"]),
            str(int(r["rank"])),
            f"{float(r['top_k_share']) * 100:.0f}%",
            L["robust"] if r["label"] == "robust" else L["fragile"],
            str(int(r["rank_topsis"])),
            str(int(r["rank_weighted_product"])),
        ]
        for r in rob.to_dict("records")
    ]
    return whatif, rows


def _data_date(result: Any, inventory: Any) -> date:
    """The inventory's as-of date: its state time's day, else the match date."""
    st = result.features.state_time
    if st:
        try:
            d = pd.Timestamp(st).date()
            return (
                min(d, result.as_of)
                if inventory is not None and getattr(inventory, "as_of", None) is not None
                else d
            )
        except (TypeError, ValueError):
            pass
    return result.as_of
