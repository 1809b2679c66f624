"""The outcome of a match: :class:`MatchResult`, its explanations and its JSON record.

A :class:`MatchResult` serialises to JSON with the brief, the weights, the model's parameters,
the match date, the inventory's state time and the package version, so a shortlist can be
reproduced (see :mod:`assetmatch.match`).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ._errors import wrong_type
from .domain.landuse_paths import LandUsePathTable
from .explain.explanation import Explanation
from .explain.facts import _facts_rows
from .explain.labels import (
    check_lang,
    column_headers,
    path_name,
    status_name,
    unknown,
)
from .explain.reasons import _mu, _reason, _short_reasons, shortfalls
from .explain.words import (
    CHECK_NAMES,
    CRITERION_NAMES,
    MISSING_DATA,
    MISSING_DATA_DEFAULT,
    _t,
)
from .requirements import Requirements
from .scoring.scorer import FeatureTable, SiteScorer, Weights

__all__ = ["MatchResult", "package_version"]


@lru_cache(maxsize=1)
def package_version() -> str:
    """The installed assetmatch version (``"0.0.0+unknown"`` when not installed)."""
    try:
        return version("assetmatch")
    except PackageNotFoundError:  # pragma: no cover - source tree without metadata
        return "0.0.0+unknown"


# ====================================================================== result


class _Pending(Protocol):
    """A result frame not built yet: :func:`assetmatch.match` defers its shortlist's tables."""

    def build(self, name: str) -> pd.DataFrame:
        """The frame ``name`` (``"table"`` or ``"near_misses"``)."""
        ...

    def columns(self, name: str, geometry: bool = True) -> dict[str, Any]:
        """The columns of the frame ``name``, each an array as the frame would hold it
        (without ``geometry`` when ``geometry`` is false)."""
        ...


class _Frame:
    """A frame field of :class:`MatchResult` that may be given as a :class:`_Pending` builder.

    A plain frame is stored as it is; a builder is called on the first read and its frame
    kept, so a match whose tables are never read does not pay for them. Reading the class
    attribute raises :class:`AttributeError`, so the dataclass field keeps no default.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.slot = f"_{name}"

    def __get__(self, obj: Any, owner: type | None = None) -> pd.DataFrame:
        if obj is None:
            raise AttributeError(self.name)
        value = obj.__dict__[self.slot]
        if not isinstance(value, pd.DataFrame) and hasattr(value, "build"):
            value = value.build(self.name)
            obj.__dict__[self.slot] = value
        return value

    def __set__(self, obj: Any, value: pd.DataFrame | _Pending) -> None:
        obj.__dict__[self.slot] = value


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
    inventory
        The inventory the match ran on (``None`` when it ran on plain frames): the report
        reads its firms, reference layers and history.
    unevaluated
        Criteria the brief asks for that this inventory has no data to evaluate (no firms,
        no reference layers…): ``criterion``, ``name`` and ``reason`` in the result's
        language. They take no part in the scores; :meth:`explain` and :meth:`to_dict` say so.
    """

    table: pd.DataFrame = _Frame()  # type: ignore[assignment]
    near_misses: pd.DataFrame = _Frame()  # type: ignore[assignment]
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
    inventory: Any = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        """The state to pickle: everything but the open inventory (a store connection cannot
        travel); an unpickled result has ``inventory=None``, so its report takes
        ``to_pdf(inventory=...)`` for maps and rent history."""
        state = dict(self.__dict__)
        state["inventory"] = None
        return state

    def __repr__(self) -> str:
        return (
            f"MatchResult({len(self.table)} ranked of {self.counts['n_eligible']} eligible, "
            f"{len(self.near_misses)} near misses, as_of={self.as_of.isoformat()})"
        )

    @property
    def rules_version(self) -> str:
        """Fingerprint of the rules the match used: the bundled domain tables, the zone's
        policy and any industry tables given (:func:`assetmatch.domain.rules.rules_version`)."""
        return str(getattr(self.model, "rules_version_", ""))

    @property
    def unevaluated(self) -> pd.DataFrame:
        """Criteria asked for but not evaluated for want of data (see the class docstring)."""
        return self._unevaluated(self.lang)

    def _unevaluated(self, lang: str) -> pd.DataFrame:
        return pd.DataFrame(self._unevaluated_rows(lang), columns=["criterion", "name", "reason"])

    def _unevaluated_rows(self, lang: str) -> list[dict[str, str]]:
        """The rows of :attr:`unevaluated` in ``lang``, as dicts."""
        rows = []
        for c in getattr(self.model, "unevaluated_", ()):
            # a whole criterion, or one check inside a criterion (school siting, …)
            criterion, name = CHECK_NAMES.get(c, (c, CRITERION_NAMES.get(c, (c, c))))
            rows.append(
                {
                    "criterion": criterion,
                    "name": _t(name, lang),
                    "reason": _t(MISSING_DATA.get(c, MISSING_DATA_DEFAULT), lang),
                }
            )
        return rows

    @property
    def message(self) -> str:
        """One line saying what the shortlist holds, in the result's language.

        It names the inventory's size, how many assets are on offer and fit the brief, and
        says plainly when the inventory is empty, nothing is on offer or nothing fits (the
        near misses are then the place to look), and which criteria were not evaluated.
        """
        return self._message(self.lang)

    def _message(self, lang: str) -> str:
        zh = lang == "zh"
        n, offer, fit = (self.counts[k] for k in ("n_assets", "n_offerable", "n_eligible"))
        k, nm = len(self.table), len(self.near_misses)
        who = self.requirements.investor
        if n == 0:
            text = (
                "库中没有资产，无可推荐" if zh else "the inventory has no assets: nothing to rank"
            )
        elif offer == 0:
            text = (
                f"库中 {n} 处资产均不可招商，无可推荐"
                if zh
                else f"none of the {n} assets in the inventory is on offer: nothing to rank"
            )
        elif fit == 0:
            text = (
                f"{offer} 处可招商资产均不满足要求"
                + (f"，{nm} 处接近要求（见未入选清单）" if nm else "")
                if zh
                else f"none of the {offer} assets on offer fits the brief"
                + (f"; {nm} near misses listed" if nm else "")
            )
        elif zh:
            text = (
                f"为{who}" if who else ""
            ) + f"推荐 {k} 处（符合要求 {fit} 处，可招商 {offer} 处，库中共 {n} 处）"
        else:
            text = (
                f"top {k} of {fit} sites fitting the brief"
                + (f" of {who}" if who else "")
                + f" ({offer} on offer, {n} in the inventory)"
            )
        text += f"，截至 {self.as_of.isoformat()}" if zh else f", as of {self.as_of.isoformat()}"
        missing = [r["name"] for r in self._unevaluated_rows(lang)]
        if missing:
            text += (
                ("；未评估：" + "、".join(missing))
                if zh
                else ("; not evaluated: " + ", ".join(missing))
            )
        return text

    def headers(self, lang: str | None = None) -> dict[str, str]:
        """Column headers of :attr:`table` in a person's words (column → header).

        ``{"rank": "排名", "name": "名称", "land_area_mu": "用地面积（亩）", …}``; the same
        headers as :func:`assetmatch.explain.column_header`.

        Parameters
        ----------
        lang
            ``"zh"`` or ``"en"``; default the result's language.
        """
        lang = check_lang(lang or self.lang)
        return column_headers([c for c in self.table.columns if c != "geometry"], lang)

    def readable(self, lang: str | None = None, *, headers: bool = True) -> pd.DataFrame:
        """The shortlist as a person reads it: headers, codes and figures in words.

        Rank, name, district, land (mu, one decimal), buildings (m², whole), status, land-use
        path, move-in days and date, score (three decimals) and the reasons, under headers in
        ``lang``; a missing value reads "未知" / "unknown". :attr:`table` keeps the codes and
        full numbers for programs.

        Parameters
        ----------
        lang
            ``"zh"`` or ``"en"``; default the result's language.
        headers
            Name the columns in ``lang`` (default); ``False`` keeps the table's column names.
        """
        lang = check_lang(lang or self.lang)
        t = self.table
        na = unknown(lang)

        def fig(col: str, digits: int) -> list[str]:
            return [
                na if v is None or not math.isfinite(float(v)) else f"{float(v):,.{digits}f}"
                for v in t[col].tolist()
            ]

        def text(col: str) -> list[str]:
            return [na if v is None or v != v else str(v) for v in t[col].tolist()]

        reasons = t["reasons"].tolist() if lang == self.lang else self._reasons(lang)
        data = {
            "rank": t["rank"].astype(int).tolist(),
            "asset_id": text("asset_id"),
            "name": text("name"),
            "district": text("district"),
            "land_area_mu": [
                na if v is None or not math.isfinite(float(v)) else _mu(float(v))
                for v in t["land_area_mu"].tolist()
            ],
            "building_area_m2": fig("building_area_m2", 0),
            "status": [status_name(v, lang) for v in t["status"].tolist()],
            "land_use_path": [
                path_name(v, lang) if v is not None else "—" for v in t["land_use_path"].tolist()
            ],
            "move_in_days": fig("move_in_days", 0),
            "move_in_date": [
                na if v is None or v != v else str(v) for v in t["move_in_date"].tolist()
            ],
            "score": fig("score", 3),
            "reasons": reasons,
        }
        frame = pd.DataFrame(data, columns=list(data))
        if not headers:
            return frame
        return frame.rename(columns=column_headers(frame.columns, lang))

    def _reasons(self, lang: str) -> list[str]:
        """The table's reasons in another language (the table is built in the result's)."""
        if not len(self.table):
            return []
        rows = np.array([self.features.position(a) for a in self.table["asset_id"]])
        sub = self.features.take(rows)
        ev = self.model.evaluate(sub, detail=True, near_place=self.near_place)
        facts = _facts_rows(self, sub, ev)
        return [_short_reasons(ev, i, f, self.requirements, lang) for i, f in enumerate(facts)]

    def display(self, lang: str | None = None) -> str:
        """The shortlist as text: :attr:`message`, then one block per ranked site.

        Parameters
        ----------
        lang
            ``"zh"`` or ``"en"``; default the result's language.
        """
        lang = check_lang(lang or self.lang)
        zh = lang == "zh"
        lines = [self._message(lang)]
        for r in self.readable(lang, headers=False).to_dict("records"):
            lines.append(
                f"{r['rank']}. {r['asset_id']} {r['name']}（{r['district']}）得分 {r['score']}"
                if zh
                else f"{r['rank']}. {r['asset_id']} {r['name']} ({r['district']}), "
                f"score {r['score']}"
            )
            lines.append(
                f"   用地 {r['land_area_mu']} 亩，建筑 {r['building_area_m2']} ㎡，"
                f"{r['status']}，约 {r['move_in_days']} 天可入驻（{r['move_in_date']}）"
                if zh
                else f"   {r['land_area_mu']} mu of land, {r['building_area_m2']} m² of "
                f"buildings, {r['status']}, move-in in about {r['move_in_days']} days "
                f"({r['move_in_date']})"
            )
            if r["reasons"]:
                lines.append(f"   {r['reasons']}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.display()

    def _repr_html_(self) -> str:
        from ._html import result_html

        return result_html(self)

    def explore(self, *, tiles: str | None = None) -> Any:
        """An interactive map of the shortlist (folium): sites numbered by rank, coloured by
        score, a popup with the reasons.

        Built without a network (Leaflet is inlined); ``tiles="OpenStreetMap"`` adds a
        basemap fetched by the browser when viewed. Needs the ``plot`` extra. See
        :func:`assetmatch.maps.explore_result`.
        """
        from .maps import explore_result

        return explore_result(self, tiles=tiles)

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
        lang = check_lang(lang or self.lang)
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
            must = c in self.model.hard_
            passed = not bool(ev.failed[c][0]) if c in ev.failed else True
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
        # what excludes first, then the shortfalls (largest loss first), then the strengths
        short = shortfalls(contrib.index, contrib["weight"], lambda c: contrib.at[c, "score"])
        contrib["_order"] = np.where(contrib["passed"], 2, 0)
        contrib.loc[[c for c in short if contrib.at[c, "passed"]], "_order"] = 1
        contrib["_loss"] = contrib["weight"] * (1 - contrib["score"])
        contrib["_key"] = np.where(
            contrib["_order"] == 1, contrib["_loss"], contrib["contribution"]
        )
        contrib = contrib.sort_values(["_order", "_key"], ascending=[True, False]).drop(
            columns=["_order", "_loss", "_key"]
        )
        reasons = [r for r in contrib["reason"] if r]
        excluded = []
        if not facts["offerable"]:
            st = facts.get("status")
            excluded.append(
                (
                    f"状态为{status_name(st, 'zh')}，不可招商"
                    if lang == "zh"
                    else f"status {status_name(st, 'en')} cannot be offered"
                )
                if st is not None
                else ("状态未知" if lang == "zh" else "status unknown")
            )
        for _, row in contrib.iterrows():
            if row["passed"]:
                continue
            if row["must"]:
                excluded.append(
                    f"未满足硬性条件：{row['name']}"
                    if lang == "zh"
                    else f"fails the must: {row['name']}"
                )
            else:
                excluded.append(
                    f"{row['name']}超出要求的容差范围，不参与排名"
                    if lang == "zh"
                    else f"{row['name']} beyond the tolerance of the stated limit: not ranked"
                )
        facts["excluded_by"] = excluded
        if excluded:
            reasons = excluded + reasons
        for _, u in self._unevaluated(lang).iterrows():
            reasons.append(
                f"未评估{u['name']}：{u['reason']}"
                if lang == "zh"
                else f"{u['name']} not evaluated: {u['reason']}"
            )
        return Explanation(
            asset_id=asset_id,
            rank=rank,
            score=float(ev.score[0]),
            lang=lang,
            contributions=contrib,
            facts=facts,
            reasons=reasons,
        )

    def what_if(self, lang: str | None = None) -> pd.DataFrame:
        """What would change the shortlist: each near miss's bound relaxed to its value, and
        the weight change at which the first two swap (:func:`assetmatch.whatif.what_if`).

        Returns a plain DataFrame (:data:`assetmatch.whatif.WHAT_IF_COLUMNS`) whose ``text``
        column reads the row in ``lang`` (default the result's): "用地面积下限由150亩放宽至
        128亩：新增2处地块进入排名，…排第2名" / "accept 128 mu instead of 150 mu …".
        """
        from .whatif import what_if

        return what_if(self, lang)

    def robustness(
        self, *, n: int = 500, spread: float = 0.2, seed: int = 0, k: int | None = None
    ) -> pd.DataFrame:
        """Per shortlisted site, the share of ``n`` seeded ±``spread`` weight perturbations in
        which it stays in the top ``k`` (default the shortlist's length), labelled robust
        (≥ 80 %) or fragile, with its rank under TOPSIS and a weighted product
        (:func:`assetmatch.robustness.robustness`; columns
        :data:`assetmatch.robustness.ROBUSTNESS_COLUMNS`)."""
        from .robustness import robustness

        return robustness(self, n=n, spread=spread, seed=seed, k=k)

    def rank_agreement(self) -> pd.DataFrame:
        """Spearman and Kendall rank correlation of the shortlist with the same sites ranked by
        TOPSIS and by a weighted product (:func:`assetmatch.robustness.rank_agreement`)."""
        from .robustness import rank_agreement

        return rank_agreement(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able record of the match: enough to reproduce it (see the module docstring).

        In ``results`` and ``near_misses``, scores, contributions and shares are rounded to 4
        decimals (:data:`SCORE_DECIMALS`), other figures to 6 significant digits
        (:data:`FIGURE_DIGITS`); missing values are ``null``. The brief, the weights and the
        model's parameters are kept exactly, to reproduce the match. ``status`` and
        ``land_use_path`` stay codes (see :mod:`assetmatch.explain.labels` for their words);
        ``reasons``, ``detail`` and ``unevaluated`` are texts for people.
        """
        params = {
            k: _jsonable(v)
            for k, v in self.model.get_params().items()
            if k not in ("requirements", "weights")
        }
        params["as_of"] = self.as_of.isoformat()
        results = self._frame_records("table", skip=("geometry",))
        return {
            "assetmatch_version": self.version,
            "rules_version": self.rules_version,
            "requirements": self.requirements.to_dict(),
            "weights": self.weights.to_dict(),
            "weights_normalized": dict(self.model.weight_),  # exact: they reproduce the model
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
            "top": len(results),
            "lang": self.lang,
            "counts": dict(self.counts),
            "results": results,
            "near_misses": self._frame_records("near_misses"),
            "unevaluated": self._unevaluated_rows(self.lang),
        }

    def _frame_records(self, name: str, skip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """The records of the frame ``name`` (see :func:`_records`), read from the columns
        the frame is made of when it has not been built (a JSON record needs no frame)."""
        value = self.__dict__[f"_{name}"]
        if isinstance(value, pd.DataFrame) or not hasattr(value, "columns"):
            return _records(getattr(self, name), skip)
        columns = value.columns(name, geometry="geometry" not in skip)
        return _column_records(columns.items(), skip)

    def to_pdf(
        self,
        path: str | os.PathLike[str],
        lang: str | None = None,
        *,
        inventory: Any = None,
        zone: str | None = None,
        progress: Any = None,
    ) -> Path:
        """Write the ranked-parcel PDF brief (see :func:`assetmatch.report.render_report`).

        Parameters
        ----------
        path
            Where to write the PDF.
        lang
            ``"zh"`` or ``"en"``; default the result's language.
        inventory
            The inventory for the maps' firms and layers and the rent history; default the
            one this result was matched on.
        zone
            The zone's name for the cover; default its districts.
        progress
            Called as ``progress(done, total, what)`` while the sites are drawn.

        Raises
        ------
        assetmatch.ReportError
            If the report's font or layout engine is missing (``pip install
            "assetmatch[report]"``), or the file cannot be written.
        """
        from .report import render_report

        return render_report(
            self,
            path,
            lang or self.lang,
            inventory=inventory,
            zone=zone,
            progress=progress,
        )

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as a JSON document (Chinese kept readable)."""
        if indent is not None and not isinstance(indent, int):
            raise wrong_type("indent", "an integer or None", indent, of="to_json")
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, allow_nan=False)


#: ``id(crs) -> (crs, text)`` of the CRS a record named lately (pyproj's ``to_epsg`` is
#: ~0.2 ms a call; a CRS object does not change, and the entry keeps it alive and its id its own).
_CRS_TEXTS: dict[int, tuple[Any, str]] = {}


def _crs_text(crs: Any) -> str:
    hit = _CRS_TEXTS.get(id(crs))
    if hit is not None and hit[0] is crs:
        return hit[1]
    try:
        epsg = crs.to_epsg()
    except AttributeError:
        return str(crs)
    text = f"EPSG:{epsg}" if epsg else crs.to_wkt()
    if len(_CRS_TEXTS) >= 16:
        _CRS_TEXTS.clear()
    _CRS_TEXTS[id(crs)] = (crs, text)
    return text


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, LandUsePathTable):
        return _path_records(v)
    if isinstance(v, pd.DataFrame):
        if v.index.name is not None or not isinstance(v.index, pd.RangeIndex):
            v = v.reset_index()
        return _records(v)
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return str(v)


def _path_records(table: LandUsePathTable) -> list[dict[str, Any]]:
    """The rows of a land-use path table as JSON-able dicts, made once per table and frame.

    Every ``to_dict`` of a match records the zone's path table (a few dozen rows); the rows are
    kept on the table while it holds the same frame, and each call gets its own copy.
    """
    hit = getattr(table, "_json_records", None)
    if hit is None or hit[0] is not table.frame:
        hit = (table.frame, _records(table.frame))
        table._json_records = hit
    return [_fresh(r) for r in hit[1]]


def _fresh(v: Any) -> Any:
    """A copy of a JSON-able value (lists and dicts copied, scalars shared)."""
    if isinstance(v, dict):
        return {k: _fresh(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_fresh(x) for x in v]
    return v


#: Decimals of a score, a contribution, a weight or a share in a JSON record (scores are
#: computed in float32: more digits would only show its noise, 0.9548265933990479).
SCORE_DECIMALS = 4
#: Significant digits of any other figure in a JSON record (areas, rents, days).
FIGURE_DIGITS = 6


def _is_score(column: str) -> bool:
    return column in ("score", "by", "weight", "contribution") or column[:2] in ("s_", "c_")


def _round(v: float, score: bool) -> float:
    """A finite float rounded for a record: a score to 4 decimals, a figure to 6 digits."""
    if score:
        return round(v, SCORE_DECIMALS) + 0.0
    return float(f"{v:.{FIGURE_DIGITS}g}") + 0.0


def _records(frame: pd.DataFrame, skip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-able dicts (columns named in ``skip`` left out).

    Reads the values ``frame.to_dict("records")`` reads (each column's own iteration, numpy
    scalars of object and extension columns boxed as pandas boxes them), column by column:
    pandas 3 builds records through ``itertuples``, one ``iloc`` per column (~1 ms a frame).
    """
    # the columns' arrays as their blocks hold them (no Series per column); each iterates to
    # the values its Series would, up to NumPy scalars, which _plain makes Python ones
    arrays = zip(frame.columns, frame._iter_column_arrays(), strict=True)
    return _column_records(arrays, skip, len(frame))


def _column_records(
    items: Iterable[tuple[Any, Any]], skip: tuple[str, ...] = (), n: int | None = None
) -> list[dict[str, Any]]:
    """The records of columns given as (name, Series or array) pairs (see :func:`_records`):
    a column is iterated as a Series of it would be, and its values made plain."""
    names: list[str] = []
    columns: list[list[Any]] = []
    for k, col in items:
        name = str(k)
        if name in skip:
            continue
        score = _is_score(name)
        if col.dtype == object or isinstance(col.dtype, pd.api.extensions.ExtensionDtype):
            columns.append([_plain(_boxed(v), score) for v in col])
        else:
            columns.append([_plain(v, score) for v in col])
        names.append(name)
    if not names:
        return [{} for _ in range(n or 0)]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _boxed(v: Any) -> Any:
    """A numpy date or duration of an object column as pandas' ``to_dict`` boxes it."""
    if isinstance(v, np.datetime64):
        return pd.Timestamp(v)
    if isinstance(v, np.timedelta64):
        return pd.Timedelta(v)
    return v


def _plain(v: Any, score: bool = False) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        return _round(v, score) if math.isfinite(v) else None
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, list | tuple | np.ndarray):
        return [_plain(x, score) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _plain(x, score) for k, x in v.items()}
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    return v
