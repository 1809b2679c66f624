"""Unknown is not good: criteria without data are reported, not scored as perfect."""

from __future__ import annotations

import re

import pytest

import assetmatch as am
from assetmatch.demo import PUBLIC_BRIEFS
from assetmatch.explain.reasons import _r_conflicts

MACHINE_WORDS = re.compile(r"\b(inf|Inf|nan|NaN|None|NaT)\b")


@pytest.fixture(scope="module")
def demo():
    return am.Inventory.demo()


@pytest.fixture(scope="module")
def bare(tmp_path_factory, demo):
    """Eight demo assets in a store without firms or reference layers (with the demo's policy)."""
    inv = am.Inventory.open(tmp_path_factory.mktemp("bare") / "bare.gpkg")
    inv.add(demo.assets().iloc[:8].reset_index())
    inv.set_zone_policy(demo.zone_policy().frame.query("origin == 'zone'"), at="2020-01-01")
    yield inv
    inv.close()


def test_no_firms_and_no_layers_are_reported_not_scored(bare):
    req = am.Requirements.model_validate(
        {**PUBLIC_BRIEFS["hengzhong"], "priorities": {"access": 4}}
    )
    res = am.match(req, inventory=bare, top=5)
    assert set(res.unevaluated["criterion"]) == {"conflicts", "synergy", "access"}
    assert not {"conflicts", "synergy", "access"} & set(res.model.criteria_)
    top = res.table["asset_id"].iloc[0]
    zh = str(res.explain(top, lang="zh"))
    en = str(res.explain(top, lang="en"))
    assert "周边企业数据缺失，未核查防护距离" in zh
    assert "protection distances not checked" in en
    # no claim a protection distance was checked
    assert "参考防护距离" not in zh and not re.search(r"超过 [\d,]+ m", zh)
    for text in (zh, en, res.to_json()):
        assert not MACHINE_WORDS.search(text), MACHINE_WORDS.search(text)
    d = res.to_dict()
    assert [u["criterion"] for u in d["unevaluated"]] == list(res.unevaluated["criterion"])


def test_a_full_store_leaves_nothing_unevaluated(demo):
    res = am.match(am.Requirements.model_validate(PUBLIC_BRIEFS["xingxun"]), inventory=demo)
    assert res.unevaluated.empty
    assert "conflicts" in res.model.criteria_
    assert res.to_dict()["unevaluated"] == []


def test_the_demo_has_no_railway_or_road_layers_for_a_school_brief(demo):
    # the demo's layers are exits, ports, stations and town centres: GB 50099-2011 §4.1.6
    # (railways, expressways, arterial roads) cannot be checked there, and says so
    res = am.match(am.Requirements.model_validate(PUBLIC_BRIEFS["hengzhong"]), inventory=demo)
    assert "conflicts" in res.model.criteria_
    assert list(res.unevaluated["criterion"]) == ["conflicts", "conflicts"]
    assert all("GB 50099-2011" in n for n in res.unevaluated["name"])


@pytest.mark.parametrize("zh", [True, False])
def test_no_firm_of_the_industry_nearby_reads_without_infinity(zh):
    text = _r_conflicts({"conflict": ("C26", float("inf"), 2000.0, float("inf"), "")}, None, zh)
    assert not MACHINE_WORDS.search(text)
    assert "2,000" in text or "2000" in text
