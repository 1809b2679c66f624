"""``match(requirements)``: a ranked, explained shortlist of sites for an investor.

The pipeline is short: the brief is validated (:class:`~assetmatch.requirements.Requirements`),
the inventory becomes a columnar :class:`~assetmatch.scoring.FeatureTable` (once; pass a
prepared table to re-rank many briefs), the :class:`~assetmatch.scoring.SiteScorer` scores
every asset in vectorised passes, the top assets are picked without a full sort, and only
those rows (and the near misses) get facts and plain-language reasons, in Chinese or English.

A :class:`MatchResult` serialises to JSON with the brief, the weights, the model's parameters,
the match date, the inventory's state time and the package version, so a shortlist can be
reproduced: run :func:`match` again with the same brief, weights, ``as_of`` and model on the
same inventory state.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final, NamedTuple

import numpy as np
import pandas as pd

from ._errors import UnknownAssetError
from .domain.landuse_paths import PATH_KINDS, UNKNOWN_PATH, LandUsePathTable
from .requirements import Requirements
from .schema import INDUSTRIES
from .scoring.scorer import (
    _DETAIL_DAYS,
    Evaluation,
    FeatureTable,
    SiteScorer,
    Weights,
    prepare,
    top_k,
)
from .units import m2_to_mu

logger = logging.getLogger(__name__)

__all__ = ["Explanation", "MatchResult", "match", "package_version", "prepare_inventory"]

_PATH_CODES: Final = (*PATH_KINDS, UNKNOWN_PATH)

#: Criterion names for tables and explanations: (zh, en).
CRITERION_NAMES: Final[dict[str, tuple[str, str]]] = {
    "size": ("用地规模", "land size"),
    "building": ("现有建筑", "buildings"),
    "specs": ("建筑指标", "building specs"),
    "cost": ("成本", "cost"),
    "tenure": ("供地方式", "tenure"),
    "readiness": ("入驻时间", "move-in time"),
    "land_use": ("用地性质", "land use"),
    "synergy": ("产业协同", "industry synergy"),
    "conflicts": ("邻避冲突", "conflicts"),
    "access": ("交通区位", "accessibility"),
    "near": ("指定位置", "proximity"),
    "district": ("片区偏好", "district"),
    "freshness": ("信息时效", "data freshness"),
}
_TENURE_NAMES: Final[dict[str, tuple[str, str]]] = {
    "lease": ("租赁", "lease"),
    "transfer": ("出让/转让", "transfer"),
    "lease_then_transfer": ("先租后让", "lease then transfer"),
    "auction": ("法拍", "auction"),
}
_STATUS_NAMES: Final[dict[str, tuple[str, str]]] = {
    "idle": ("闲置", "idle"),
    "low_efficiency": ("低效", "low-efficiency"),
    "available": ("可供", "available"),
    "negotiating": ("洽谈中", "under negotiation"),
    "reserved": ("已预留", "reserved"),
    "leased": ("已出租", "leased"),
    "transferred": ("已转让", "transferred"),
    "in_use": ("在用", "in use"),
    "withdrawn": ("已撤回", "withdrawn"),
}
_OBSTACLE_NAMES: Final[dict[str, tuple[str, str]]] = {
    "planning_adjustment": ("规划调整", "planning adjustment"),
    "land_consolidation": ("用地整合", "land consolidation"),
    "relocation": ("搬迁", "relocation"),
    "title_dispute": ("权属纠纷", "title dispute"),
    "demolition": ("拆除", "demolition"),
    "environmental_remediation": ("污染治理", "environmental remediation"),
    "utility_upgrade": ("配套改造", "utility upgrade"),
    "other": ("其他", "other"),
}
_LANGS: Final = ("zh", "en")


@lru_cache(maxsize=1)
def package_version() -> str:
    """The installed assetmatch version (``"0.0.0+unknown"`` when not installed)."""
    try:
        return version("assetmatch")
    except PackageNotFoundError:  # pragma: no cover - source tree without metadata
        return "0.0.0+unknown"


def _t(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def _check_lang(lang: str) -> str:
    if lang not in _LANGS:
        raise ValueError(f"The 'lang' parameter must be 'zh' or 'en'. Got {lang!r} instead.")
    return lang


# ====================================================================== explanation


@dataclass
class Explanation:
    """Why an asset ranks where it does.

    Attributes
    ----------
    asset_id
        The asset.
    rank
        Its rank in the shortlist (1 = best), or ``None`` when it is not ranked (excluded,
        or outside the shortlist).
    score
        Total score in [0, 1], or ``-inf`` when excluded.
    lang
        Language of the texts (``"zh"`` or ``"en"``).
    contributions
        One row per criterion (index ``criterion``): ``name``, ``weight``, ``score``,
        ``contribution`` (weight × score), ``must`` and ``passed`` (for musts), ``reason``;
        ordered by contribution, failed musts first.
    facts
        The numbers behind the scores: areas (m² and mu), rent, tenure, status, move-in
        estimate and its parts, land-use path, obstacles, distances.
    reasons
        Plain-language reasons, most important first.
    """

    asset_id: str
    rank: int | None
    score: float
    lang: str
    contributions: pd.DataFrame
    facts: dict[str, Any]
    reasons: list[str]

    def __str__(self) -> str:
        name = self.facts.get("name") or ""
        zh = self.lang == "zh"
        if not math.isfinite(self.score):
            head = (
                "未入选（" + "；".join(self.facts.get("excluded_by", [])) + "）"
                if zh
                else ("not ranked (" + "; ".join(self.facts.get("excluded_by", [])) + ")")
            )
        elif self.rank is not None:
            head = (
                f"第 {self.rank} 名，得分 {self.score:.3f}"
                if zh
                else (f"rank {self.rank}, score {self.score:.3f}")
            )
        else:
            head = f"得分 {self.score:.3f}" if zh else f"score {self.score:.3f}"
        lines = [f"{self.asset_id} {name} — {head}".replace("  ", " ")]
        lines.append("理由：" if zh else "Reasons:")
        lines += [f"  - {r}" for r in self.reasons]
        table = self.contributions[["name", "weight", "score", "contribution"]].copy()
        table.columns = (
            ["指标", "权重", "得分", "贡献"]
            if zh
            else ["criterion", "weight", "score", "contribution"]
        )
        lines.append("各项得分：" if zh else "Scores:")
        lines.append(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        return "\n".join(lines)


# ====================================================================== result


@dataclass
class MatchResult:
    """The outcome of :func:`match`.

    Attributes
    ----------
    table
        Ranked shortlist (a GeoDataFrame when the assets have geometries): ``rank``,
        ``asset_id``, ``name``, ``score``, ``move_in_days``, ``ready_date``, ``reasons``,
        ``s_{criterion}`` (score in [0, 1]) and ``c_{criterion}`` (weighted contribution) for
        every criterion taking part, then a few facts (``district``, ``land_area_mu``,
        ``building_area_m2``, ``status``, ``land_use_path``) and the geometry.
    near_misses
        Offerable assets that fail exactly one must, best soft score first: ``asset_id``,
        ``name``, ``failed`` (the criterion), ``by`` (how far outside the bound, as a fraction
        of it), ``detail`` (the reason in words), ``score`` (what the total would have been).
    requirements, weights
        The brief and the weights used.
    model
        The fitted :class:`~assetmatch.scoring.SiteScorer`.
    features
        The feature table the match ran on.
    as_of
        The match date.
    lang
        Language of ``reasons`` and ``near_misses.detail``.
    counts
        ``n_assets``, ``n_offerable``, ``n_eligible`` (passing every must).
    """

    table: pd.DataFrame
    near_misses: pd.DataFrame
    requirements: Requirements
    weights: Weights
    model: SiteScorer
    features: FeatureTable
    as_of: date
    lang: str
    counts: dict[str, int]
    near_place: tuple[float, float, float] | None = None
    exclude: int = -1
    version: str = field(default_factory=package_version)

    def __repr__(self) -> str:
        return (
            f"MatchResult({len(self.table)} ranked of {self.counts['n_eligible']} eligible, "
            f"{len(self.near_misses)} near misses, as_of={self.as_of.isoformat()})"
        )

    def explain(self, asset_id: str, lang: str | None = None) -> Explanation:
        """Explain the score of ``asset_id`` (any asset of the inventory, ranked or not).

        Parameters
        ----------
        asset_id
            The asset.
        lang
            ``"zh"`` or ``"en"``; default the result's language.

        Raises
        ------
        assetmatch.UnknownAssetError
            If the asset is not in the inventory.
        """
        lang = _check_lang(lang or self.lang)
        pos = self.features.position(asset_id)
        sub = self.features.take([pos])
        ev = self.model.evaluate(
            sub, detail=True, near_place=self.near_place, exclude=0 if pos == self.exclude else -1
        )
        facts = _facts_rows(self, sub, ev)[0]
        rank = None
        hit = self.table.index[self.table["asset_id"] == asset_id]
        if len(hit):
            rank = int(self.table.loc[hit[0], "rank"])
        rows = []
        for c in ev.criteria:
            must = c in ev.failed
            passed = not bool(ev.failed[c][0]) if must else True
            rows.append(
                {
                    "criterion": c,
                    "name": _t(CRITERION_NAMES[c], lang),
                    "weight": ev.weights[c],
                    "score": float(ev.scores[c][0]),
                    "contribution": float(ev.weights[c] * ev.scores[c][0]),
                    "must": must,
                    "passed": passed,
                    "reason": _reason(c, facts, self.requirements, lang),
                }
            )
        contrib = pd.DataFrame(rows).set_index("criterion")
        contrib["_order"] = np.where(contrib["passed"], 0, 1)
        contrib = contrib.sort_values(["_order", "contribution"], ascending=[False, False]).drop(
            columns="_order"
        )
        reasons = [r for r in contrib["reason"] if r]
        excluded = []
        if not facts["offerable"]:
            st = facts.get("status")
            excluded.append(
                (
                    f"状态为{_t(_STATUS_NAMES.get(st, (st, st)), 'zh')}，不可供"
                    if lang == "zh"
                    else f"status {_t(_STATUS_NAMES.get(st, (st, st)), 'en')} cannot be offered"
                )
                if st is not None
                else ("状态未知" if lang == "zh" else "status unknown")
            )
        for _, row in contrib.iterrows():
            if row["must"] and not row["passed"]:
                excluded.append(
                    f"未满足必须条件：{row['name']}"
                    if lang == "zh"
                    else f"fails the must: {row['name']}"
                )
        facts["excluded_by"] = excluded
        if excluded:
            reasons = excluded + reasons
        return Explanation(
            asset_id=asset_id,
            rank=rank,
            score=float(ev.score[0]),
            lang=lang,
            contributions=contrib,
            facts=facts,
            reasons=reasons,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able record of the match: enough to reproduce it (see the module docstring)."""
        params = {
            k: _jsonable(v)
            for k, v in self.model.get_params().items()
            if k not in ("requirements", "weights")
        }
        params["as_of"] = self.as_of.isoformat()
        table = self.table.drop(columns=["geometry"], errors="ignore")
        return {
            "assetmatch_version": self.version,
            "requirements": self.requirements.to_dict(),
            "weights": self.weights.to_dict(),
            "weights_normalized": dict(self.model.weight_),
            "criteria": list(self.model.criteria_),
            "musts": sorted(self.model.hard_),
            "model": {"class": "assetmatch.scoring.SiteScorer", "params": params},
            "inventory": {
                "state_time": self.features.state_time,
                "as_of": None if self.features.as_of is None else self.features.as_of.isoformat(),
                "crs": None if self.features.crs is None else _crs_text(self.features.crs),
                "n_assets": len(self.features),
            },
            "as_of": self.as_of.isoformat(),
            "top": len(self.table),
            "lang": self.lang,
            "counts": dict(self.counts),
            "results": _records(table),
            "near_misses": _records(self.near_misses),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as a JSON document (Chinese kept readable)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, allow_nan=False)


def _crs_text(crs: Any) -> str:
    try:
        epsg = crs.to_epsg()
    except AttributeError:
        return str(crs)
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, LandUsePathTable):
        return _records(v.frame)
    if isinstance(v, pd.DataFrame):
        if v.index.name is not None or not isinstance(v.index, pd.RangeIndex):
            v = v.reset_index()
        return _records(v)
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return str(v)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in frame.to_dict("records"):
        out.append({str(k): _plain(v) for k, v in rec.items()})
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, list | tuple | np.ndarray):
        return [_plain(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    return v


# ====================================================================== match


def prepare_inventory(inventory: Any, as_of: Any = None) -> FeatureTable:
    """Build the feature table of an :class:`assetmatch.Inventory` (assets and context).

    Parameters
    ----------
    inventory
        The inventory.
    as_of
        Rebuild the assets as they stood on this date (the context is the current one).
    """
    assets = inventory.assets(as_of=as_of)
    context = inventory.context()
    table_as_of = as_of if as_of is not None else getattr(inventory, "as_of", None)
    return prepare(
        assets,
        context,
        as_of=table_as_of,
        state_time=getattr(inventory, "state_time", None),
        crs=getattr(inventory, "crs", None),
    )


def match(
    requirements: Requirements | Mapping[str, Any] | str,
    inventory: Any = None,
    *,
    assets: pd.DataFrame | None = None,
    context: pd.DataFrame | None = None,
    features: FeatureTable | None = None,
    firms: pd.DataFrame | None = None,
    top: int = 10,
    as_of: Any = None,
    weights: Weights | Mapping[str, float] | None = None,
    model: SiteScorer | Mapping[str, Any] | None = None,
    near_misses: int | None = None,
    lang: str = "zh",
) -> MatchResult:
    """Rank the inventory's assets for an investor's requirements.

    Parameters
    ----------
    requirements
        The brief: :class:`~assetmatch.requirements.Requirements`, a dict or a JSON string.
    inventory
        An :class:`assetmatch.Inventory`; its assets and context are read (or its prepared
        feature table, when it offers ``features()``).
    assets, context
        Instead of an inventory: assets (GeoDataFrame in a projected CRS, indexed by
        ``asset_id``) and their context features.
    features
        Instead of either: a table prepared by :func:`assetmatch.scoring.prepare` or
        :func:`prepare_inventory` — the fast path for many briefs on one inventory.
    firms
        Firms (with ``firm_id`` and point geometry) for a brief ``near`` a firm; default the
        inventory's.
    top
        Length of the shortlist.
    as_of
        The match date (readiness and freshness count from it); with an inventory, the
        assets are also read as they stood that day. Default the inventory's date (a demo
        zone's "today"), else today.
    weights
        :class:`~assetmatch.scoring.Weights` or a criterion → weight mapping; default from
        the brief.
    model
        A :class:`~assetmatch.scoring.SiteScorer` (its parameters are used; the brief and
        weights of this call replace its own) or a dict of its parameters.
    near_misses
        How many near misses to report; default ``top``.
    lang
        Language of the reasons: ``"zh"`` or ``"en"``.

    Returns
    -------
    MatchResult

    Raises
    ------
    assetmatch.ValidationError
        If the brief is invalid (every problem listed), or a must cannot be checked on this
        inventory.
    assetmatch.UnknownAssetError
        If ``near`` names an asset or firm that does not exist.

    Examples
    --------
    >>> import assetmatch as am
    >>> from assetmatch.match import match
    >>> brief = {"industry": "P83", "land_use": "0804", "land_area_mu": [150, 200],
    ...          "building_area_m2": [50_000, None], "ready_within_days": 90}
    >>> res = match(brief, inventory=am.Inventory.demo())
    >>> res.table.loc[0, "asset_id"]
    'TS-0001'
    >>> res.explain("TS-0001", lang="en").reasons[0]
    '168 mu, within the required 150–200 mu'
    """
    lang = _check_lang(lang)
    if not (isinstance(top, int | np.integer) and top >= 1):
        raise ValueError(
            f"The 'top' parameter of match must be an integer >= 1. Got {top!r} instead."
        )
    req = Requirements.coerce(requirements)
    X = _features(inventory, assets, context, features, as_of)
    scorer = _scorer(model, req, weights, as_of)
    scorer.fit(X)
    near_place, exclude = _near_place(req, X, inventory, firms)
    ev = scorer.rank_scores(X, near_place=near_place, exclude=exclude)

    rows = top_k(ev.score, int(top))
    n_nm = int(top if near_misses is None else near_misses)
    if scorer.hard_ and n_nm > 0:
        nm_rows = top_k(ev.near_miss, n_nm)
    else:
        nm_rows = np.empty(0, dtype=np.intp)
    counts = {
        "n_assets": len(X),
        "n_offerable": int(np.count_nonzero(ev.offerable)),
        "n_eligible": int(np.count_nonzero(np.isfinite(ev.score))),
    }
    logger.info(
        "matched %s: %d assets, %d offerable, %d pass every must; top %d",
        req.investor or "brief",
        counts["n_assets"],
        counts["n_offerable"],
        counts["n_eligible"],
        len(rows),
    )
    ctx = _Ctx(X, scorer, req, scorer.as_of_, near_place)
    detail = _detail(ctx, np.concatenate([rows, nm_rows]))
    top_part, near_part = slice(0, len(rows)), slice(len(rows), None)
    result = MatchResult(
        table=_ranked_table(ctx, detail, top_part, ev.score[rows], lang),
        near_misses=_near_miss_table(ctx, detail, near_part, ev.near_miss[nm_rows], lang),
        requirements=req,
        weights=scorer.weights_,
        model=scorer,
        features=X,
        as_of=scorer.as_of_,
        lang=lang,
        counts=counts,
        near_place=near_place,
        exclude=exclude,
    )
    return result


def _features(
    inventory: Any,
    assets: pd.DataFrame | None,
    context: pd.DataFrame | None,
    features: FeatureTable | None,
    as_of: Any,
) -> FeatureTable:
    given = [x is not None for x in (inventory, assets, features)]
    if sum(given) != 1:
        raise ValueError(
            "match needs exactly one of inventory=, assets= (with context=) or features=. "
            f"Got {sum(given)} of them."
        )
    if features is not None:
        return features
    if assets is not None:
        return prepare(assets, context, as_of=as_of)
    provider = getattr(inventory, "features", None)
    if callable(provider):
        return provider(as_of=as_of)
    return prepare_inventory(inventory, as_of=as_of)


def _scorer(
    model: SiteScorer | Mapping[str, Any] | None,
    req: Requirements,
    weights: Weights | Mapping[str, float] | None,
    as_of: Any,
) -> SiteScorer:
    if model is None:
        scorer = SiteScorer()
    elif isinstance(model, SiteScorer):
        from sklearn.base import clone

        scorer = clone(model)
    elif isinstance(model, Mapping):
        params = dict(model.get("params", model))
        params.pop("requirements", None)
        params.pop("weights", None)
        scorer = SiteScorer(**params)
    else:
        raise TypeError(
            "The 'model' parameter of match must be a SiteScorer or a dict of its parameters. "
            f"Got {type(model).__name__} instead."
        )
    if isinstance(weights, Mapping) and not isinstance(weights, Weights):
        weights = Weights.from_dict(weights)
    scorer.set_params(requirements=req, weights=weights if weights is not None else scorer.weights)
    if as_of is not None:
        scorer.set_params(as_of=as_of)
    return scorer


def _near_place(
    req: Requirements, X: FeatureTable, inventory: Any, firms: pd.DataFrame | None
) -> tuple[tuple[float, float, float] | None, int]:
    near = req.near
    if near is None or "x" not in X:
        return None, -1
    x0, y0 = X.origin
    if near.kind == "asset":
        pos = X.position(near.asset_id)  # type: ignore[arg-type]
        return (float(X["x"][pos]), float(X["y"][pos]), float(X["radius"][pos])), pos
    if near.kind == "firm":
        if firms is None and inventory is not None and callable(getattr(inventory, "firms", None)):
            firms = inventory.firms()
        if firms is None:
            raise ValueError("The brief is near a firm; pass firms= (or an inventory with firms).")
        frame = firms.set_index("firm_id") if "firm_id" in firms.columns else firms
        if near.firm_id not in frame.index:
            raise UnknownAssetError(f"Firm {near.firm_id!r} is not among the firms.")
        geom = frame.loc[[near.firm_id]]
        if X.crs is not None and getattr(geom, "crs", None) is not None and geom.crs != X.crs:
            geom = geom.to_crs(X.crs)
        pt = geom.geometry.iloc[0]
        c = pt.centroid if pt.geom_type != "Point" else pt
        return (c.x - x0, c.y - y0, 0.0), -1
    from pyproj import Transformer

    if X.crs is None:
        raise ValueError("The feature table has no CRS; a lon/lat place cannot be placed in it.")
    tr = Transformer.from_crs("EPSG:4490", X.crs, always_xy=True)
    px, py = tr.transform(near.lon, near.lat)
    return (px - x0, py - y0, 0.0), -1


# ---------------------------------------------------------------------- result tables


class _Ctx(NamedTuple):
    """What the facts and reasons of a match read (a MatchResult has the same attributes)."""

    features: FeatureTable
    model: SiteScorer
    requirements: Requirements
    as_of: date
    near_place: tuple[float, float, float] | None


@dataclass
class _Detail:
    """The shortlist and the near misses, evaluated in detail together (a few rows)."""

    sub: FeatureTable
    ev: Evaluation
    facts: list[dict[str, Any]]


def _detail(result: _Ctx, rows: np.ndarray) -> _Detail:
    sub = result.features.take(rows)
    ev = result.model.evaluate(sub, detail=True, near_place=result.near_place)
    return _Detail(sub, ev, _facts_rows(result, sub, ev))


def _ranked_table(
    result: _Ctx, d: _Detail, part: slice, scores: np.ndarray, lang: str
) -> pd.DataFrame:
    sub, ev = d.sub, d.ev
    idx = np.arange(len(sub))[part]
    facts = d.facts[part]
    n = len(idx)
    data: dict[str, Any] = {
        "rank": np.arange(1, n + 1),
        "asset_id": sub.ids[idx].astype(str),
        "name": [f["name"] for f in facts],
        "score": scores.astype(float),  # the ranking's own totals
        "move_in_days": np.round(ev.move_in_days[idx].astype(float), 0),
        "move_in_date": [f["move_in_date"] for f in facts],
        "reasons": [
            _short_reasons(ev, int(i), f, result.requirements, lang)
            for i, f in zip(idx, facts, strict=True)
        ],
    }
    for c in ev.criteria:
        data[f"s_{c}"] = ev.scores[c][idx].astype(float)
    for c in ev.criteria:
        data[f"c_{c}"] = ev.scores[c][idx].astype(float) * ev.weights[c]
    data["district"] = [f["district"] for f in facts]
    data["land_area_mu"] = np.round(m2_to_mu(sub["land_area_m2"][idx].astype(float)), 1)
    data["building_area_m2"] = sub["building_area_m2"][idx].astype(float)
    data["status"] = [f["status"] for f in facts]
    data["land_use_path"] = [f["land_use_path"] for f in facts]
    table = pd.DataFrame(data)
    frame = sub.frame
    if frame is not None and "geometry" in getattr(frame, "columns", ()):
        import geopandas as gpd

        return gpd.GeoDataFrame(
            table, geometry=list(frame.geometry.iloc[idx]), crs=getattr(frame, "crs", None)
        )
    return table


_NEAR_MISS_COLUMNS: Final = ("asset_id", "name", "failed", "by", "detail", "score", "move_in_days")


def _near_miss_table(
    result: _Ctx, d: _Detail, part: slice, scores: np.ndarray, lang: str
) -> pd.DataFrame:
    cols = list(_NEAR_MISS_COLUMNS)
    idx = np.arange(len(d.sub))[part]
    if len(idx) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    ev = d.ev
    out = []
    for k, i in enumerate(idx):
        failed = [c for c in ev.failed if ev.failed[c][i]]
        c = failed[0] if failed else ""
        facts = d.facts[i]
        shortfall = ev.detail.get(f"shortfall_{c}")
        by = float(shortfall[i]) if shortfall is not None else (1.0 if c else float("nan"))
        out.append(
            {
                "asset_id": str(d.sub.ids[i]),
                "name": facts.get("name"),
                "failed": c,
                "by": by,
                "detail": _reason(c, facts, result.requirements, lang) if c else "",
                "score": float(scores[k]),
                "move_in_days": float(np.round(ev.move_in_days[i])),
            }
        )
    return pd.DataFrame(out, columns=cols)


def _frame_col(sub: FeatureTable, col: str) -> list[Any]:
    f = sub.frame
    if f is None or col not in f.columns:
        return [None] * len(sub)
    return [None if _missing(v) else v for v in f[col].tolist()]


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def _cat(X: FeatureTable, name: str, i: int) -> str | None:
    code = int(X[name][i])
    cats = X.categories[name]
    return cats[code] if code < len(cats) else None


# ---------------------------------------------------------------------- facts


def _facts_rows(
    result: _Ctx | MatchResult, sub: FeatureTable, ev: Evaluation
) -> list[dict[str, Any]]:
    """The facts of every row of ``sub`` (a few rows: the shortlist, the near misses)."""
    if sub.frame is not None:
        cols = [c for c in sub.frame.columns if c != "geometry"]
        records = sub.frame[cols].to_dict("records")
    else:
        records = [{} for _ in range(len(sub))]
    plan = result.model._plan(sub, result.near_place)
    return [_facts(result, sub, ev, i, records[i], plan) for i in range(len(sub))]


def _facts(
    result: _Ctx | MatchResult,
    sub: FeatureTable,
    ev: Evaluation,
    i: int,
    row: Mapping[str, Any],
    plan: Any,
) -> dict[str, Any]:
    """The numbers of row ``i`` of ``sub`` that the reasons quote."""
    req = result.requirements
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
        v = float(sub[col][i])
        f[col] = None if math.isnan(v) else v
    f["land_area_mu"] = None if f["land_area_m2"] is None else float(m2_to_mu(f["land_area_m2"]))
    mask = int(sub["tenure"][i])
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
        f["land_use_route"] = result.model.path_table_.resolve(land_class, target, avail)  # type: ignore[arg-type]
    move_in = float(ev.move_in_days[i])
    f["move_in_days"] = move_in if math.isfinite(move_in) else None
    f["move_in_date"] = (
        None if not math.isfinite(move_in) else result.as_of + timedelta(days=round(move_in))
    )
    for k in _DETAIL_DAYS:
        if k in ev.detail:
            v = float(ev.detail[k][i])
            f[k] = v if math.isfinite(v) else (None if math.isnan(v) else v)
    net = float(sub["net_land"][i])
    f["net_land"] = None if math.isnan(net) else bool(net)
    if "updated_day" in sub:
        u = float(sub["updated_day"][i])
        f["age_days"] = None if math.isnan(u) else float(_days_between(u, result.as_of))
    if "access" in sub:
        f["access_m"] = {
            lab: (None if math.isnan(v) else float(v))
            for lab, v in zip(sub.labels["access"], sub["access"][i], strict=True)
        }
    if "synergy" in ev.criteria and "presence" in sub:
        labels = sub.labels["presence"]
        parts = sorted(
            ((labels[j], w, float(sub["presence"][i, j])) for j, w in plan.synergy_terms),
            key=lambda t: -t[1] * t[2],
        )
        f["synergy_neighbours"] = [(lab, w, p) for lab, w, p in parts if w * p > 0][:3]
    if "conflicts" in ev.criteria and "nearest" in sub:
        labels = sub.labels["nearest"]
        worst = None
        for j, dist, why in plan.conflict_rules:
            d = float(sub["nearest"][i, j])
            if math.isnan(d):
                continue
            ratio = d / dist
            if worst is None or ratio < worst[3]:
                worst = (labels[j], d, dist, ratio, why)
        f["conflict"] = worst
    for c in ev.criteria:
        f[f"s_{c}"] = float(ev.scores[c][i])
    return f


def _days_between(day: float, as_of: date) -> float:
    """Days from ``day`` (days since 1970-01-01) to ``as_of``."""
    return float((as_of - date(1970, 1, 1)).days - day)


# ---------------------------------------------------------------------- reasons


def _num(v: float, digits: int = 0) -> str:
    return f"{v:,.{digits}f}"


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
        ("power_kva", req.min_power_kva, "供电", "power", "kVA"),
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
            have, want = _num(v, 1 if v < 100 else 0), _num(need, 1 if need < 100 else 0)
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
        elif v <= cap:
            parts.append(
                f"租金 {v:.1f} 元/㎡/月，在 {cap:g} 元上限内"
                if zh
                else f"rent {v:.1f} yuan/m²/month, within the {cap:g} cap"
            )
        else:
            parts.append(
                f"租金 {v:.1f} 元/㎡/月，超出 {cap:g} 元上限"
                if zh
                else f"rent {v:.1f} yuan/m²/month, above the {cap:g} cap"
            )
    cap = req.max_land_price_yuan_mu
    if cap is not None:
        v = f["land_price_yuan_mu"]
        if v is None:
            parts.append("地价未知" if zh else "land price unknown")
        else:
            have, limit = f"{v / 1e4:,.1f}", f"{cap / 1e4:,.1f}"
            if zh:
                where = f"在 {limit} 万元上限内" if v <= cap else f"超出 {limit} 万元上限"
                parts.append(f"地价 {have} 万元/亩，{where}")
            else:
                where = "within" if v <= cap else "above"
                parts.append(f"land price {have} wan yuan/mu, {where} the {limit} cap")
    return ("；" if zh else "; ").join(parts)


def _tenure_list(modes: list[str] | None, zh: bool) -> str:
    if not modes:
        return "未知" if zh else "unknown"
    sep = "、" if zh else ", "
    return sep.join(_t(_TENURE_NAMES.get(m, (m, m)), "zh" if zh else "en") for m in modes)


def _r_tenure(f: dict[str, Any], req: Requirements, zh: bool) -> str:
    modes = f["tenure"]
    ok = [m for m in (modes or []) if req.tenure is None or m in req.tenure]
    if modes is None:
        return "供地方式未知" if zh else "tenure modes unknown"
    if ok:
        return f"可{_tenure_list(ok, zh)}" if zh else f"offered by {_tenure_list(ok, zh)}"
    offered, accepted = _tenure_list(modes, zh), _tenure_list(req.tenure, zh)
    if zh:
        return f"仅可{offered}，不符合要求（{accepted}）"
    return f"only {offered}, not an accepted mode ({accepted})"


def _r_readiness(f: dict[str, Any], req: Requirements, zh: bool) -> str:
    days = f.get("move_in_days")
    if days is None:
        return "用途不允许，无法入驻" if zh else "the use is not allowed: no move-in possible"
    lang = "zh" if zh else "en"
    status = _t(_STATUS_NAMES.get(f["status"] or "", ("", "")), lang)
    parts: list[tuple[str, str, float]] = []
    ready, obst = f.get("ready_date_days"), f.get("obstacle_days") or 0.0
    if ready is not None:
        if obst > ready:
            parts.append(("障碍处置", "obstacles", obst))
        else:
            parts.append(("业主申报交付", "declared hand-over", ready))
    else:
        parts.append((f"{status}交接", f"{status} hand-over", f.get("status_days") or 0.0))
        parts.append(
            ("土地整理（非净地）", "land clearing (not net land)", f.get("net_land_days") or 0.0)
        )
        parts.append(("障碍处置", "obstacles", obst))
    parts.append(("用地手续", "land-use formalities", f.get("land_use_days") or 0.0))
    parts.append(("新建", "construction", f.get("construction_days") or 0.0))
    shown = [
        f"{z} {v:.0f} 天" if zh else f"{e} {v:.0f} d"
        for z, e, v in parts
        if v > 0 and math.isfinite(v)
    ]
    detail = ""
    if shown:
        detail = "（" + " + ".join(shown) + "）" if zh else " (" + " + ".join(shown) + ")"
    deadline = req.ready_within_days
    if zh:
        text = f"预计约 {days:.0f} 天可入驻{detail}"
        if deadline is not None:
            ok = days <= deadline
            text += f"，{'在' if ok else '超出'} {deadline:g} 天要求{'内' if ok else ''}"
    else:
        text = f"move-in in about {days:.0f} days{detail}"
        if deadline is not None:
            ok = days <= deadline
            text += f", {'within' if ok else 'beyond'} the {deadline:g}-day deadline"
    obstacles = f.get("obstacles") or []
    if obstacles:
        items = []
        for o in obstacles:
            kind = str(o.get("kind"))
            name = _t(_OBSTACLE_NAMES.get(kind, (kind, kind)), lang)
            d = o.get("delay_days")
            if d is not None and not _missing(d):
                name += f" {float(d):.0f} 天" if zh else f" {float(d):.0f} d"
            items.append(name)
        text += ("；待解决：" + "、".join(items)) if zh else ("; to solve: " + ", ".join(items))
    return text


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
        zh_name, en_name = INDUSTRIES.get(lab[:3], (lab, lab))
        names.append(
            f"{zh_name}（加权约 {p:.0f} 家）" if zh else f"{en_name} (≈{p:.0f} weighted firms)"
        )
    if zh:
        return "周边相关产业：" + "、".join(names)
    return "related industries nearby: " + ", ".join(names)


def _r_conflicts(f: dict[str, Any], req: Requirements, zh: bool) -> str:
    c = f.get("conflict")
    if c is None:
        return "附近无需避让的产业" if zh else "no conflicting industry nearby"
    lab, d, dist, ratio, _why = c
    zh_name, en_name = INDUSTRIES.get(lab[:3], (lab, lab))
    near, limit = _num(d), _num(dist)
    if ratio < 1:
        if zh:
            return f"{zh_name}企业距此约 {near} m，小于 {limit} m 防护距离"
        return f"a {en_name} firm about {near} m away, inside the {limit} m protection distance"
    if zh:
        return f"最近的{zh_name}企业约 {near} m，超过 {limit} m 防护距离"
    return f"nearest {en_name} firm about {near} m away, beyond the {limit} m protection distance"


_LAYER_NAMES: Final[dict[str, tuple[str, str]]] = {
    "highway_exit": ("高速出口", "highway exit"),
    "port": ("港口", "port"),
    "rail_station": ("火车站", "rail station"),
    "town_centre": ("镇中心", "town centre"),
}


def _r_access(f: dict[str, Any], req: Requirements, zh: bool) -> str:
    acc = f.get("access_m") or {}
    parts = []
    for lab, d in acc.items():
        if d is None:
            continue
        name = _t(_LAYER_NAMES.get(lab, (lab, lab.replace("_", " "))), "zh" if zh else "en")
        parts.append(f"距{name} {d / 1000:.1f} km" if zh else f"{d / 1000:.1f} km to the {name}")
    return "、".join(parts) if zh else ", ".join(parts)


def _r_near(f: dict[str, Any], req: Requirements, zh: bool) -> str:
    near = req.near
    d = f.get("near_m")
    if near is None or d is None:
        return ""
    place = near.asset_id or near.firm_id or (f"({near.lon:.4f}, {near.lat:.4f})")
    ok = d <= near.within_m
    if zh:
        return f"距 {place} 约 {_num(d)} m（要求 {_num(near.within_m)} m 内）" + (
            "" if ok else "，超出"
        )
    return f"about {_num(d)} m from {place} (wanted within {_num(near.within_m)} m)" + (
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


def _short_reasons(
    ev: Evaluation, i: int, facts: dict[str, Any], req: Requirements, lang: str
) -> str:
    """The three largest contributions' reasons, for the table."""
    order = sorted(ev.criteria, key=lambda c: -ev.weights[c] * float(ev.scores[c][i]))
    picked = [c for c in order if c not in ("freshness", "access")][:3]
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
