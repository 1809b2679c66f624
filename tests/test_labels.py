"""The words a person reads: labels, column headers, the one-line message and the display."""

from __future__ import annotations

import pytest

import assetmatch as am
from assetmatch.demo import PUBLIC_BRIEFS
from assetmatch.explain import (
    check_lang,
    column_header,
    column_headers,
    criterion_name,
    obstacle_name,
    path_name,
    status_name,
    tenure_name,
    tenure_names,
)


@pytest.fixture(scope="module")
def demo():
    return am.Inventory.demo()


@pytest.fixture(scope="module")
def hengzhong(demo):
    return am.match(PUBLIC_BRIEFS["hengzhong"], inventory=demo, top=3)


def test_codes_read_as_words_in_both_languages():
    assert status_name("negotiating", "zh") == "洽谈中"
    assert status_name("negotiating", "en") == "under negotiation"
    assert tenure_name("lease_then_transfer", "zh") == "先租后让"
    assert tenure_names(["lease", "auction"], "en") == "lease, auction"
    assert tenure_names(None, "zh") == "未知"
    assert obstacle_name("planning_adjustment", "zh") == "规划调整"
    assert criterion_name("size", "en") == "land size"
    assert path_name("change_of_use", "zh") == "需办理用途变更"
    assert path_name("unknown", "en") == "current use unknown"


def test_missing_and_unlisted_codes_never_read_as_machine_words():
    assert status_name(None, "en") == "unknown"
    assert status_name(float("nan"), "zh") == "未知"
    assert obstacle_name("noise_barrier", "en") == "noise barrier"
    assert path_name(None, "zh") == "现状用途未知"


def test_column_headers_in_the_chosen_language():
    zh = column_headers(["rank", "name", "district", "land_area_mu", "reasons", "s_size"], "zh")
    assert zh == {
        "rank": "排名",
        "name": "名称",
        "district": "片区",
        "land_area_mu": "用地面积（亩）",
        "reasons": "推荐理由",
        "s_size": "用地规模得分",
    }
    assert column_header("c_cost", "en") == "Cost contribution"
    assert column_header("building_area_m2", "en") == "Buildings (m²)"


def test_a_wrong_language_is_a_validation_error_naming_it():
    with pytest.raises(am.ValidationError, match=r"must be 'zh' or 'en'\. Got 'fr'"):
        check_lang("fr")
    with pytest.raises(am.ValidationError, match="Got 'de'"):
        column_header("rank", "de")


def test_result_headers_name_every_column_of_the_table(hengzhong):
    h = hengzhong.headers("zh")
    assert list(h) == [c for c in hengzhong.table.columns if c != "geometry"]
    assert h["rank"] == "排名" and h["land_area_mu"] == "用地面积（亩）"
    assert hengzhong.headers("en")["score"] == "Score"


def test_readable_shortlist_uses_headers_words_and_rounded_figures(hengzhong):
    zh = hengzhong.readable("zh")
    assert list(zh.columns[:4]) == ["排名", "编号", "名称", "片区"]
    top = zh.iloc[0]
    assert top["编号"] == "TS-0001"
    assert top["状态"] == "闲置"  # not "idle"
    assert top["得分"] == f"{hengzhong.table['score'].iloc[0]:.3f}"
    assert top["用地面积（亩）"] == "168"  # as the reason says it: "168 亩，在 150–200 亩要求内"
    assert top["推荐理由"].startswith("168 亩")
    en = hengzhong.readable("en")
    assert en.iloc[0]["Status"] == "idle"
    assert en.iloc[0]["Reasons"].startswith("168 mu, within the required 150–200 mu")


def test_message_and_display_of_a_shortlist(hengzhong):
    msg = hengzhong.message
    assert msg.startswith("为福建衡中教育科技集团（衡中教育）推荐 3 处（符合要求 3 处")
    # the demo has no railway or road layers: GB 50099-2011 §4.1.6 is said to be unchecked
    assert "截至 2024-06-30；未评估：校址与铁路间距（GB 50099-2011 第4.1.6条）" in msg
    text = hengzhong.display("en")
    lines = text.splitlines()
    assert lines[0].startswith("top 3 of 3 sites fitting the brief of 福建衡中教育科技集团")
    assert lines[1].startswith("1. TS-0001 泰丰闲置厂区 (杏东), score 0.9")
    assert "move-in in about 50 days (2024-08-19)" in lines[2]
    assert str(hengzhong) == hengzhong.display("zh")


def test_message_when_nothing_fits(demo):
    brief = {**PUBLIC_BRIEFS["hengzhong"], "land_area_mu": [5000, 6000]}
    res = am.match(brief, inventory=demo, top=3)
    assert res.table.empty
    assert res.message.startswith("207 处可招商资产均不满足要求")
    en = res.display("en")
    assert en.splitlines() == [en.splitlines()[0]]
    assert en.startswith("none of the 207 assets on offer fits the brief")
