"""Shortfalls first, with amounts whose rounding never contradicts the figure."""

from __future__ import annotations

import pytest

import assetmatch as am
from assetmatch.demo import PUBLIC_BRIEFS
from assetmatch.explain.reasons import _r_size


@pytest.fixture(scope="module")
def hengzhong():
    inv = am.Inventory.demo()
    return am.match(am.Requirements.model_validate(PUBLIC_BRIEFS["hengzhong"]), inventory=inv)


def test_table_reasons_lead_with_what_falls_short(hengzhong):
    t = hengzhong.table.set_index("asset_id")
    for aid, row in t.iterrows():
        if row["s_size"] < 1:  # below 150 mu within the tolerance
            assert row["reasons"].split("；")[0].endswith("亩）") and "低于要求" in row["reasons"]
        else:
            assert "低于要求" not in row["reasons"].split("；")[0], aid
    short = [a for a, r in t.iterrows() if r["s_size"] < 1]
    assert short, "the demo should have a site below 150 mu within the tolerance"


def test_explain_orders_shortfalls_before_strengths(hengzhong):
    aid = hengzhong.table.loc[hengzhong.table["s_size"] < 1, "asset_id"].iloc[0]
    ex = hengzhong.explain(aid, lang="en")
    assert "below the required 150–200 mu" in ex.reasons[0]
    c = ex.contributions
    assert c.index[0] == "size" and c["score"].iloc[0] < 1
    rest = c.iloc[1:]
    full = rest[rest["score"] >= 1]
    assert list(full["contribution"]) == sorted(full["contribution"], reverse=True)


@pytest.mark.parametrize(
    ("mu", "text"),
    [
        (127.94, "127.9 亩，低于要求 150–200 亩（少 22.1 亩）"),
        (149.96, "149.96 亩，低于要求 150–200 亩（少 0.04 亩）"),
        (205.3, "205.3 亩，超出要求 150–200 亩（多 5.3 亩）"),
    ],
)
def test_figure_and_gap_add_up(mu, text):
    req = am.Requirements(land_area_mu=(150, 200))
    got = _r_size({"land_area_m2": mu * 666.6667, "land_area_mu": mu}, req, True)
    assert got == text


def test_a_gap_below_survey_precision_reads_as_within():
    req = am.Requirements(land_area_mu=(150, 200))
    got = _r_size({"land_area_m2": 149.9999 * 666.6667, "land_area_mu": 149.9999}, req, True)
    assert "要求内" in got and "少" not in got
