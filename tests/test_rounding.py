"""Rounding never contradicts itself: a figure, its bound and its gap read consistently.

"150 亩，低于要求 150–200 亩（少 0.1 亩）" must never be printed: a figure said to be below a
bound reads below it, its gap reads above 0 and figure + gap reads as the bound; a difference
below the precision the figure is known to reads as the bound itself (within).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import assetmatch as am
from assetmatch.explain.reasons import _reason
from assetmatch.units import m2_to_mu, mu_to_m2

NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _numbers(text: str) -> list[Decimal]:
    return [Decimal(n.replace(",", "")) for n in NUMBER.findall(text)]


def _size_text(mu: float, lang: str) -> str:
    area = float(mu_to_m2(mu))
    req = am.Requirements(land_area_mu=(150, 200))
    facts = {"land_area_m2": area, "land_area_mu": float(m2_to_mu(area))}
    return _reason("size", facts, req, lang)


@pytest.mark.parametrize(
    ("mu", "zh"),
    [
        (149.95, "149.9 亩，低于要求 150–200 亩（少 0.1 亩）"),  # not "150 亩 … 少 0.1 亩"
        (149.96, "149.96 亩，低于要求 150–200 亩（少 0.04 亩）"),
        (149.994, "149.99 亩，低于要求 150–200 亩（少 0.01 亩）"),
        (149.996, "150.0 亩，在 150–200 亩要求内"),  # a gap below 0.01 mu reads as within
        (150.04, "150 亩，在 150–200 亩要求内"),
        (150.0, "150 亩，在 150–200 亩要求内"),
        (200.04, "200.04 亩，超出要求 150–200 亩（多 0.04 亩）"),
        (127.9, "127.9 亩，低于要求 150–200 亩（少 22.1 亩）"),
    ],
)
def test_land_size_on_the_edges(mu, zh):
    assert _size_text(mu, "zh") == zh


@settings(max_examples=300, deadline=None)
@given(mu=st.floats(140, 210), lang=st.sampled_from(["zh", "en"]))
@example(mu=149.95, lang="zh")
@example(mu=149.96, lang="en")
@example(mu=150.04, lang="zh")
@example(mu=149.9499999, lang="zh")
@example(mu=200.05, lang="en")
def test_land_size_figure_and_gap_add_up(mu, lang):
    text = _size_text(mu, lang)
    below = "低于" in text or "below" in text
    above = "超出" in text or "above" in text
    nums = _numbers(text)
    have = nums[0]
    if below or above:
        gap = nums[3] if lang == "zh" else nums[1]  # zh: have, 150, 200, gap; en: have, gap, …
        assert gap > 0, text
        if below:
            assert have < 150 and have + gap == 150, text
        else:
            assert have > 200 and have - gap == 200, text
    else:
        assert Decimal(150) <= have <= Decimal(200), text
        assert abs(float(mu) - 150) < 0.01 or 150 <= mu <= 200.01, text


def _facts_for(criterion: str, v: float) -> tuple[dict, am.Requirements, str, str]:
    """Facts with value ``v``, a brief whose bound is near it, and the violation words."""
    if criterion == "building":
        req = am.Requirements(building_area_m2=(50_000, None))
        return {"building_area_m2": v}, req, "低于", "short of"
    if criterion == "specs":
        req = am.Requirements(min_floor_height_m=5.0)
        f = {"floor_height_m": v, "power_kva": None, "floor_load_kn_m2": None}
        return f, req, "低于", "below"
    if criterion == "rent":
        req = am.Requirements(max_rent_yuan_m2_month=18)
        return {"rent_yuan_m2_month": v}, req, "超出", "above"
    if criterion == "land_price":
        req = am.Requirements(max_land_price_yuan_mu=380_000)
        return {"land_price_yuan_mu": v * 1e4}, req, "超出", "above"
    if criterion == "readiness":
        req = am.Requirements(ready_within_days=90)
        f = {"move_in_days": v, "status": "idle", "ready_date_days": v, "obstacles": []}
        return f, req, "超出", "beyond"
    if criterion == "near":
        req = am.Requirements(near={"lon": 118.86, "lat": 24.95, "within_m": 1000})
        return {"near_m": v}, req, "超出", "too far"
    assert criterion == "conflicts"
    req = am.Requirements()
    return {"conflict": ("C26", v, 300.0, v / 300.0, "")}, req, "小于", "within"


_BOUNDS = {
    "building": (50_000, False),  # (bound, True when exceeding it is the violation)
    "specs": (5.0, False),
    "rent": (18.0, True),
    "land_price": (38.0, True),  # in 万元
    "readiness": (90.0, True),
    "near": (1000.0, True),
    "conflicts": (300.0, False),
}


@settings(max_examples=300, deadline=None)
@given(
    criterion=st.sampled_from(sorted(_BOUNDS)),
    offset=st.one_of(st.floats(-1, 1), st.sampled_from([-0.06, -0.04, -0.004, 0.004, 0.04])),
    lang=st.sampled_from(["zh", "en"]),
)
@example(criterion="rent", offset=0.04, lang="zh")  # was "租金 18.0 元/㎡/月，超出 18 元上限"
@example(criterion="readiness", offset=0.4, lang="zh")  # was "约 90 天可入驻，超出 90 天要求"
@example(criterion="specs", offset=-0.04, lang="en")  # was "floor height 5.0 m, below 5.0"
@example(criterion="conflicts", offset=-0.3, lang="zh")  # was "约 300 m，小于 300 m 防护距离"
@example(criterion="building", offset=-0.3, lang="zh")  # was "50,000 ㎡，低于要求（少 0 ㎡）"
def test_a_figure_said_to_miss_its_bound_reads_apart_from_it(criterion, offset, lang):
    bound, over_is_bad = _BOUNDS[criterion]
    v = bound + offset
    facts, req, zh_word, en_word = _facts_for(criterion, v)
    key = "cost" if criterion in ("rent", "land_price") else criterion
    text = _reason(key, facts, req, lang)
    if criterion in ("near", "conflicts"):  # the distance follows "约" / "about"
        text_after = text.split("约" if lang == "zh" else "about")[-1]
        have = _numbers(text_after)[0]
    else:
        have = _numbers(text)[0]
    missed = (zh_word if lang == "zh" else en_word) in text
    b = Decimal(str(bound))
    if missed:
        assert (have > b) if over_is_bad else (have < b), text
    else:
        assert (have <= b) if over_is_bad else (have >= b), text
    assert " 0 ㎡" not in text and " 0 m²" not in text, text
