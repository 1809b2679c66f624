"""Statutory idle-land clocks (闲置土地处置办法, 国土资源部令第53号).

The Measures on the Disposal of Idle Land (《闲置土地处置办法》, Ministry of Land and Resources
Order No. 53, revised 2012-05-22, in force 2012-07-01) define *idle land* (闲置土地) and the
clocks that run on it. They apply to **supplied construction land not developed as the
contract agreed**, and they run from the contract's agreed start-of-development date
(约定动工开发日期), not from the day an inventory marked a site idle:

第二条 (art. 2)
    Land is idle when the user has not started development one full year after the
    start date agreed in the land-use contract or allocation decision; or when development
    started but the developed area is under one third of the area to be developed, or the
    investment under 25 % of the total, and development has been halted for one full year.
第八条 (art. 8)
    Delays caused by the government or its departments (and, by the article's closing
    paragraph, natural disasters and other force majeure) are handled separately: the land
    user explains the cause and the land is disposed of under arts. 12 and 13 — no idle-land
    fee, no reclaiming without compensation.
第十四条 (art. 14)
    Otherwise: land unstarted for one full year may be charged an idle-land fee of 20 % of the
    land price, by a decision (《征缴土地闲置费决定书》) approved by the government; land
    unstarted for two full years may be taken back without compensation, by a decision
    (《收回国有建设用地使用权决定书》).

Both the fee and the reclaiming follow an investigation (调查, art. 5), a finding (认定) and a
decision: a tool can say when the conditions are met and that an investigation *may* be
started (可启动闲置土地调查认定 / "may be proposed for disposal"), never that a fee is due.

The clocks do **not** apply to a finished plant standing empty (its land was developed), nor
to low-efficiency land (低效用地): that is a local evaluation concept (亩均效益评价) with no
statutory fee or reclaim clock.

Sources checked 2026-12-04 with the project's search tool: the text of art. 2 and the order's
promulgation (2012-06-01, in force 2012-07-01); the opening of art. 8 (政府、政府有关部门的行为
造成动工开发延迟); art. 14 item 1 (未动工开发满一年 … 百分之二十征缴土地闲置费) and the
two-year reclaim in the Ministry's release as reported on 2012-06-07. The force-majeure
paragraph of art. 8 is an expert reading (``/work/shared/DOMAIN.md``), not seen verbatim.

Inputs are the canonical asset columns ``agreed_start_date``, ``developed_share`` (developed
area / area to be developed, 0–1), ``invested_share`` (investment made / total, 0–1, both
without the land price, art. 32), ``government_delay`` (the delay is the government's or force
majeure, art. 8) and, for land whose development started and then halted, ``idle_since`` read
as the day work stopped.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import numpy as np
import pandas as pd

from .._errors import ValidationError

logger = logging.getLogger(__name__)

__all__ = [
    "DEVELOPED_SHARE_MIN",
    "IDLE_LAND_BASIS",
    "IDLE_LAND_STATES",
    "IDLE_LAND_YEARS",
    "INVESTED_SHARE_MIN",
    "RECLAIM_YEARS",
    "idle_land_clocks",
]

#: Years past the agreed start (or the halt) after which land is idle land (art. 2).
IDLE_LAND_YEARS: Final = 1
#: Years unstarted after which reclaiming without compensation may be proposed (art. 14).
RECLAIM_YEARS: Final = 2
#: Started land with less developed area than this share of the total may be idle (art. 2).
DEVELOPED_SHARE_MIN: Final = 1 / 3
#: Started land with less investment than this share of the total may be idle (art. 2).
INVESTED_SHARE_MIN: Final = 0.25

#: The legal basis, as printed beside a clock.
IDLE_LAND_BASIS: Final = "《闲置土地处置办法》（国土资源部令第53号，2012）第二条、第八条、第十四条"

#: States of a site's idle-land clock, in the order a monitor would sort them.
#:
#: ``may_investigate``: the conditions of art. 2 are met — an idle-land investigation may be
#: started; ``running``: a clock runs but has not reached its year; ``unknown``: a clock may
#: run but the facts it needs are missing; ``excluded``: the delay is the government's or force
#: majeure (art. 8); ``not_applicable``: not supplied land under a development obligation (no
#: agreed start date, a built plant, low-efficiency land) or developed beyond the thresholds.
IDLE_LAND_STATES: Final = ("may_investigate", "running", "unknown", "excluded", "not_applicable")

_INPUTS: Final = (
    "agreed_start_date",
    "developed_share",
    "invested_share",
    "government_delay",
    "idle_since",
    "status",
    "kind",
    "building_area_m2",
)


def _date_column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    return pd.to_datetime(frame[name], errors="coerce").astype("datetime64[ns]")


def _float_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _bool_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.zeros(len(frame), dtype=bool)
    return np.array(
        [
            not pd.isna(v) and isinstance(v, bool | np.bool_ | int | np.integer) and bool(v)
            for v in frame[name]
        ],
        dtype=bool,
    )


def _text_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.full(len(frame), "", dtype=object)
    return np.array(["" if not isinstance(v, str) else v for v in frame[name]], dtype=object)


def _check_as_of(as_of: Any) -> pd.Timestamp:
    try:
        when = pd.Timestamp(as_of)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"The 'as_of' parameter of idle_land_clocks must be a date. Got {as_of!r} instead."
        ) from exc
    if when is pd.NaT:
        raise ValidationError("The 'as_of' parameter of idle_land_clocks must be a date, not NaT.")
    return when.tz_localize(None).normalize() if when.tzinfo else when.normalize()


def _plus_years(dates: pd.Series, years: int) -> pd.Series:
    return (dates + pd.DateOffset(years=years)).astype("datetime64[ns]")


def idle_land_clocks(assets: pd.DataFrame, as_of: Any, *, lang: str = "zh") -> pd.DataFrame:
    """Read the statutory idle-land clocks of every asset at a date.

    Parameters
    ----------
    assets
        Assets with (any of) the canonical columns ``agreed_start_date``, ``developed_share``,
        ``invested_share``, ``government_delay``, ``idle_since`` (for started land: the day
        development halted), ``status``, ``kind`` and ``building_area_m2``; a missing column
        reads as unknown. The index is kept.
    as_of
        The date the clocks are read (a date, ``"2025-06-01"``, a Timestamp).
    lang
        Language of ``reason``: ``"zh"`` or ``"en"``.

    Returns
    -------
    DataFrame
        Indexed like ``assets``, with

        ``idle_land_state``
            One of :data:`IDLE_LAND_STATES`.
        ``idle_land_test``
            ``"unstarted"`` (art. 2 para. 1), ``"started_halted"`` (para. 2) or ``None``.
        ``clock_start``
            The agreed start-of-development date (unstarted) or the halt date (started).
        ``idle_land_from``
            One full year after ``clock_start``: from this day the land meets art. 2 and an
            idle-land investigation may be started.
        ``reclaim_proposal_from``
            Unstarted land only: two full years after the agreed start — from this day,
            after the investigation and finding, reclaiming without compensation may be
            proposed (art. 14). ``NaT`` otherwise.
        ``reason``
            One sentence saying why, with the dates and the articles.

    Raises
    ------
    assetmatch.ValidationError
        If ``as_of`` is not a date or ``lang`` is not ``"zh"``/``"en"``.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"agreed_start_date": ["2022-03-01"], "developed_share": [0.0]})
    >>> c = idle_land_clocks(a, "2023-06-01")
    >>> c.loc[0, "idle_land_state"], str(c.loc[0, "idle_land_from"].date())
    ('may_investigate', '2023-03-01')
    """
    if lang not in ("zh", "en"):
        raise ValidationError(
            f"The 'lang' parameter of idle_land_clocks must be 'zh' or 'en'. Got {lang!r} instead."
        )
    now = _check_as_of(as_of)
    agreed = _date_column(assets, "agreed_start_date")
    halted = _date_column(assets, "idle_since")
    dev = _float_column(assets, "developed_share")
    inv = _float_column(assets, "invested_share")
    gov = _bool_column(assets, "government_delay")
    status = _text_column(assets, "status")

    has_agreed = agreed.notna().to_numpy()
    dev_known = np.isfinite(dev)
    unstarted = dev_known & (dev <= 0)
    started = dev_known & (dev > 0)
    short_dev = started & (dev < DEVELOPED_SHARE_MIN)
    short_inv = started & np.isfinite(inv) & (inv < INVESTED_SHARE_MIN)
    beyond = started & (dev >= DEVELOPED_SHARE_MIN) & np.isfinite(inv) & ~short_inv
    below = started & (short_dev | short_inv)

    clock_start = agreed.where(~pd.Series(below, index=assets.index), halted)
    clock_start = clock_start.where(pd.Series(has_agreed & (unstarted | below), index=assets.index))
    idle_from = _plus_years(clock_start, IDLE_LAND_YEARS)
    reclaim_from = _plus_years(agreed, RECLAIM_YEARS).where(
        pd.Series(has_agreed & unstarted & ~gov, index=assets.index)
    )
    due = (idle_from <= now).to_numpy()
    agreed_year_passed = (_plus_years(agreed, IDLE_LAND_YEARS) <= now).to_numpy()

    state = np.select(
        [
            ~has_agreed,
            beyond,
            gov,
            unstarted & due,
            unstarted,
            below & clock_start.isna().to_numpy(),
            below & due,
            below,
            # development unknown, or one share above and the other unknown
            agreed_year_passed,
        ],
        [
            "not_applicable",
            "not_applicable",
            "excluded",
            "may_investigate",
            "running",
            "unknown",
            "may_investigate",
            "running",
            "unknown",
        ],
        default="running",
    )
    test = np.where(
        has_agreed & unstarted, "unstarted", np.where(has_agreed & below, "started_halted", None)
    )
    out = pd.DataFrame(
        {
            "idle_land_state": state.astype(object),
            "idle_land_test": test.astype(object),
            "clock_start": clock_start,
            "idle_land_from": idle_from,
            "reclaim_proposal_from": reclaim_from,
        },
        index=assets.index,
    )
    kinds = _text_column(assets, "kind")
    built = _float_column(assets, "building_area_m2")
    out["reason"] = [
        _reason(
            st,
            tst,
            a,
            cs,
            fr,
            rc,
            now,
            low=(s == "low_efficiency"),
            plant=(k in ("factory", "campus") or (np.isfinite(b) and b > 0)),
            beyond=bool(bd),
            lang=lang,
        )
        for st, tst, a, cs, fr, rc, s, k, b, bd in zip(
            out["idle_land_state"],
            out["idle_land_test"],
            agreed,
            out["clock_start"],
            out["idle_land_from"],
            out["reclaim_proposal_from"],
            status,
            kinds,
            built,
            beyond,
            strict=True,
        )
    ]
    logger.debug(
        "idle-land clocks at %s: %d assets, %d may be investigated, %d running",
        now.date(),
        len(out),
        int(np.count_nonzero(state == "may_investigate")),
        int(np.count_nonzero(state == "running")),
    )
    return out


def _d(ts: Any) -> str:
    return pd.Timestamp(ts).date().isoformat()


def _reason(
    state: str,
    test: str | None,
    agreed: Any,
    start: Any,
    idle_from: Any,
    reclaim_from: Any,
    now: pd.Timestamp,
    *,
    low: bool,
    plant: bool,
    beyond: bool,
    lang: str,
) -> str:
    zh = lang == "zh"
    if state == "not_applicable":
        if beyond:
            return (
                "开发面积已达三分之一且投资已达四分之一，不属于闲置土地（第二条）"
                if zh
                else "a third of the area developed and a quarter of the investment made: "
                "not idle land (art. 2)"
            )
        if low:
            return (
                "低效用地为地方评价概念，无法定闲置费或收回时限"
                if zh
                else "low-efficiency land is a local evaluation concept with no statutory "
                "idle-land fee or reclaim clock"
            )
        if plant:
            return (
                "已建成厂房闲置不属于闲置土地，不适用闲置费和收回时限"
                if zh
                else "a finished plant standing empty is not idle land; no fee or reclaim clock"
            )
        return (
            "未记录约定动工开发日期，不适用闲置土地时限"
            if zh
            else "no agreed start-of-development date recorded: the idle-land clocks do not apply"
        )
    if state == "excluded":
        return (
            "动工延迟系政府原因或不可抗力所致，依第八条另行处置，不计闲置费和收回时限"
            if zh
            else "the delay is the government's or force majeure: disposed of under art. 8, "
            "no idle-land fee or reclaim clock"
        )
    if state == "unknown":
        if test == "started_halted":
            return (
                f"已动工但开发不足（约定动工日期 {_d(agreed)}），中止开发日期未记录，需核实"
                if zh
                else f"started but under the thresholds (agreed start {_d(agreed)}); the date "
                "development halted is not recorded, to be checked"
            )
        return (
            f"约定动工日期 {_d(agreed)} 已满一年，开发进度（面积、投资比例）未完整记录，需核实"
            if zh
            else f"one year past the agreed start {_d(agreed)}; development progress (area "
            "and investment shares) not fully recorded, to be checked"
        )
    if test is None:  # a clock may run, progress not recorded, the year not reached
        year = pd.Timestamp(agreed) + pd.DateOffset(years=IDLE_LAND_YEARS)
        return (
            f"约定动工日期 {_d(agreed)}，开发进度未完整记录；{_d(year)} 前不构成闲置土地"
            if zh
            else f"agreed start {_d(agreed)}, progress not fully recorded; not idle land "
            f"before {_d(year)}"
        )
    if test == "unstarted":
        if state == "running":
            return (
                f"约定动工日期 {_d(agreed)}，未动工；{_d(idle_from)} 起满一年可启动闲置土地调查认定"
                if zh
                else f"agreed start {_d(agreed)}, not started; from {_d(idle_from)} (one year) "
                "an idle-land investigation may be started"
            )
        text = (
            f"约定动工日期 {_d(agreed)} 已满一年未动工，可启动闲置土地调查认定（第二条、第十四条）"
            if zh
            else f"not started one year after the agreed start {_d(agreed)}: an idle-land "
            "investigation may be started (arts. 2, 14)"
        )
        if pd.notna(reclaim_from) and reclaim_from <= now:
            text += (
                "；已满两年未动工，经调查认定后可提出无偿收回"
                if zh
                else "; unstarted two years, so after the finding it may be proposed for "
                "reclaiming without compensation"
            )
        elif pd.notna(reclaim_from):
            text += (
                f"；{_d(reclaim_from)} 起满两年"
                if zh
                else f"; two years unstarted from {_d(reclaim_from)}"
            )
        return text
    # started, under the thresholds, halted
    if state == "running":
        return (
            f"已动工但开发面积不足三分之一或投资不足四分之一，{_d(start)} 起中止开发；"
            f"{_d(idle_from)} 起满一年可启动闲置土地调查认定"
            if zh
            else f"started but under a third of the area or a quarter of the investment, "
            f"halted since {_d(start)}; from {_d(idle_from)} an idle-land investigation may "
            "be started"
        )
    return (
        f"已动工但开发面积不足三分之一或投资不足四分之一，{_d(start)} 起中止开发满一年，"
        "可启动闲置土地调查认定（第二条）"
        if zh
        else f"started but under a third of the area or a quarter of the investment, halted "
        f"a year since {_d(start)}: an idle-land investigation may be started (art. 2)"
    )
