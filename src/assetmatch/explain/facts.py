"""The facts behind a shortlist's reasons: the numbers of a few rows, in plain Python."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, NamedTuple

import pandas as pd

from ..domain.siting import siting_rule
from ..requirements import Requirements
from ..scoring.features import FeatureTable
from ..scoring.scorer import _DETAIL_DAYS, Evaluation, SiteScorer
from ..scoring.tables import _conflict_bases
from ..units import m2_to_mu
from .words import _PATH_CODES, AVOID_BASIS, NO_BASIS


class _Ctx(NamedTuple):
    """What the facts and reasons of a match read (a MatchResult has the same attributes)."""

    features: FeatureTable
    model: SiteScorer
    requirements: Requirements
    as_of: date
    near_place: tuple[float, float, float] | None


#: The columns of the asset table that the facts read as they are.
_ROW_COLUMNS = ("name", "kind", "district", "owner", "contact", "obstacles", "land_use")


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def _cat(X: FeatureTable, name: str, i: int) -> str | None:
    code = int(X[name][i])
    cats = X.categories[name]
    return cats[code] if code < len(cats) else None


def _facts_rows(result: _Ctx, sub: FeatureTable, ev: Evaluation) -> list[dict[str, Any]]:
    """The facts of every row of ``sub`` (a few rows: the shortlist, the near misses)."""
    columns = {c: v for c in _ROW_COLUMNS if (v := sub.frame_values(c)) is not None}
    records = [{c: v[i] for c, v in columns.items()} for i in range(len(sub))]
    plan = result.model._plan(sub, result.near_place)
    cols = _Lists(sub)
    return [_facts(result, sub, ev, i, records[i], plan, cols) for i in range(len(sub))]


class _Lists(dict):  # type: ignore[type-arg]
    """Columns of a few rows of a feature table as Python lists, each converted once.

    The facts read some thirty cells of each row; reading them from lists is several times
    cheaper than indexing NumPy arrays cell by cell, and gives the same numbers.
    """

    def __init__(self, table: FeatureTable) -> None:
        super().__init__()
        self.table = table

    def __missing__(self, name: str) -> list[Any]:
        values = self.table[name].tolist()
        self[name] = values
        return values


def _facts(
    result: _Ctx,
    sub: FeatureTable,
    ev: Evaluation,
    i: int,
    row: Mapping[str, Any],
    plan: Any,
    cols: Mapping[str, list[Any]] | None = None,
) -> dict[str, Any]:
    """The numbers of row ``i`` of ``sub`` that the reasons quote (``cols``: its columns as
    lists, see :class:`_Lists`)."""
    req = result.requirements
    if cols is None:
        cols = _Lists(sub)
    f: dict[str, Any] = {"asset_id": str(sub.ids[i])}
    for col in ("name", "kind", "district", "owner", "contact"):
        v = row.get(col)
        f[col] = None if _missing(v) else v
    f["status"] = _cat(sub, "status", i)
    f["offerable"] = bool(ev.offerable[i])
    for col in (
        "land_area_m2",
        "building_area_m2",
        "rent_yuan_m2_month",
        "land_price_yuan_mu",
        "power_kva",
        "floor_load_kn_m2",
        "floor_height_m",
    ):
        v = float(cols[col][i])
        f[col] = None if math.isnan(v) else v
    f["land_area_mu"] = None if f["land_area_m2"] is None else float(m2_to_mu(f["land_area_m2"]))
    mask = int(cols["tenure"][i])
    f["tenure"] = (
        None
        if mask & 16
        else [
            m
            for b, m in enumerate(("lease", "transfer", "lease_then_transfer", "auction"))
            if mask & (1 << b)
        ]
    )
    obstacles = row.get("obstacles")
    f["obstacles"] = (
        [] if obstacles is None or isinstance(obstacles, float) else [dict(o) for o in obstacles]
    )
    land_class = _cat(sub, "land_class", i)
    f["land_class"] = land_class
    f["land_use"] = None if _missing(row.get("land_use")) else str(row["land_use"])
    code = (
        int(ev.detail["land_use_path"][i]) if "land_use_path" in ev.detail else len(_PATH_CODES) - 1
    )
    f["land_use_path"] = _PATH_CODES[code] if req.land_use is not None else None
    if req.land_use is not None:
        target = req.target_land_class
        accepted = req.tenure if req.tenure is not None else None
        modes = f["tenure"]
        avail = None if modes is None else [m for m in modes if accepted is None or m in accepted]
        f["land_use_target"] = target
        f["land_use_route"] = result.model.path_table_.resolve(  # type: ignore[arg-type]
            land_class, target, avail, req.industry
        )
    move_in = float(ev.move_in_days[i])
    f["move_in_days"] = move_in if math.isfinite(move_in) else None
    f["move_in_date"] = (
        None if not math.isfinite(move_in) else result.as_of + timedelta(days=round(move_in))
    )
    for k in _DETAIL_DAYS:
        if k in ev.detail:
            v = float(ev.detail[k][i])
            f[k] = v if math.isfinite(v) else (None if math.isnan(v) else v)
    net = float(cols["net_land"][i])
    f["net_land"] = None if math.isnan(net) else bool(net)
    if "updated_day" in sub:
        u = float(cols["updated_day"][i])
        f["age_days"] = None if math.isnan(u) else float(_days_between(u, result.as_of))
    if "access" in sub:
        f["access_m"] = {
            lab: (None if math.isnan(v) else float(v))
            for lab, v in zip(sub.labels["access"], cols["access"][i], strict=True)
        }
    if "synergy" in ev.criteria and "presence" in sub:
        labels = sub.labels["presence"]
        parts = sorted(
            ((labels[j], w, float(cols["presence"][i][j])) for j, w in plan.synergy_terms),
            key=lambda t: -t[1] * t[2],
        )
        f["synergy_neighbours"] = [(lab, w, p) for lab, w, p in parts if w * p > 0][:3]
    if "conflicts" in ev.criteria and "nearest" in sub:
        worst = None
        for key, rules in (("nearest", plan.conflict_rules), ("access", plan.siting_rules)):
            if not rules:
                continue
            labels = sub.labels[key]
            for j, dist, why in rules:
                d = float(cols[key][i][j])
                if math.isnan(d):
                    continue
                ratio = d / dist
                if worst is None or ratio < worst[3]:
                    worst = (labels[j], d, dist, ratio, why)
        f["conflict"] = worst
        f["conflict_basis"] = None if worst is None else _conflict_basis(result, worst[4])
    for c in ev.criteria:
        f[f"s_{c}"] = float(ev.scores[c][i])
    return f


def _conflict_basis(result: _Ctx, why: str) -> tuple[str, str]:
    """The (zh, en) basis of the protection-distance rule ``why`` names (see the scorer)."""
    kind, _, rest = why.partition(":")
    if kind == "siting":
        rule = siting_rule(rest.partition(":")[0])
        return rule.basis_zh, rule.basis_en
    if kind == "avoid":
        return AVOID_BASIS
    source, _, sensitive = rest.partition(":")
    zh = _conflict_bases(result.model.conflicts_).get((source, sensitive))
    return (zh, _cite_en(zh)) if zh else NO_BASIS


_GB_RE = re.compile(r"GB(?:/T)? \d+(?:\.\d+)?-\d{2,4}")


def _cite_en(zh: str) -> str:
    """A short English citation of a Chinese basis: its standard numbers, the regulation."""
    parts = []
    if "危险化学品安全管理条例" in zh:
        parts.append("Regulations on the Safe Management of Hazardous Chemicals, art. 19")
    parts += _GB_RE.findall(zh)
    if "经验值" in zh:
        parts.append("judgement")
    return "; ".join(dict.fromkeys(parts)) or zh


def _days_between(day: float, as_of: date) -> float:
    """Days from ``day`` (days since 1970-01-01) to ``as_of``."""
    return float((as_of - date(1970, 1, 1)).days - day)
