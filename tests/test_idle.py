"""Statutory idle-land clocks (闲置土地处置办法 第二、八、十四条) on hand-built dates."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

import assetmatch as am
from assetmatch.domain.idle import IDLE_LAND_STATES, idle_land_clocks


def _one(as_of: str, lang: str = "zh", **cols: object) -> pd.Series:
    frame = pd.DataFrame({k: [v] for k, v in cols.items()}, index=["X"])
    return idle_land_clocks(frame, as_of, lang=lang).loc["X"]


def test_unstarted_land_clock_starts_at_the_agreed_date_not_the_idle_marking():
    # marked idle long ago; the contract's agreed start is what counts
    kw = {"agreed_start_date": "2022-03-01", "developed_share": 0.0, "idle_since": "2019-01-01"}
    before = _one("2023-02-28", **kw)
    assert before["idle_land_state"] == "running"
    assert before["idle_land_from"] == pd.Timestamp("2023-03-01")
    assert "2023-03-01 起满一年可启动闲置土地调查认定" in before["reason"]
    at = _one("2023-03-01", **kw)
    assert at["idle_land_state"] == "may_investigate"
    assert at["idle_land_test"] == "unstarted"
    assert at["clock_start"] == pd.Timestamp("2022-03-01")
    assert at["reclaim_proposal_from"] == pd.Timestamp("2024-03-01")
    assert "可启动闲置土地调查认定" in at["reason"] and "2024-03-01 起满两年" in at["reason"]
    two = _one("2024-03-01", lang="en", **kw)
    assert "may be proposed for reclaiming" in two["reason"]
    for text in (at["reason"], two["reason"]):
        assert "fee due" not in text and "应缴" not in text


def test_started_land_under_a_third_of_the_area_or_a_quarter_of_the_investment():
    base = {"agreed_start_date": "2021-01-01", "idle_since": "2023-06-15"}
    # a fifth of the area built, half the money spent: under the area threshold
    c = _one("2024-06-15", developed_share=0.2, invested_share=0.5, **base)
    assert (c["idle_land_state"], c["idle_land_test"]) == ("may_investigate", "started_halted")
    assert c["clock_start"] == pd.Timestamp("2023-06-15")  # the halt, not the agreed start
    assert pd.isna(c["reclaim_proposal_from"])  # the two-year reclaim is for unstarted land
    assert _one("2024-06-14", developed_share=0.2, invested_share=0.5, **base)[
        "idle_land_state"
    ] == ("running")
    # half the area but a fifth of the money: under the investment threshold
    c = _one("2024-06-15", developed_share=0.5, invested_share=0.2, **base)
    assert c["idle_land_state"] == "may_investigate"
    # a third of the area and a quarter of the money: developed as agreed enough
    c = _one("2030-01-01", developed_share=1 / 3, invested_share=0.25, **base)
    assert c["idle_land_state"] == "not_applicable"
    assert "不属于闲置土地" in c["reason"]
    # started, under the thresholds, no halt date: cannot be counted
    c = _one("2030-01-01", agreed_start_date="2021-01-01", developed_share=0.1)
    assert c["idle_land_state"] == "unknown"


def test_government_or_force_majeure_delay_is_excluded():
    c = _one(
        "2026-01-01", agreed_start_date="2020-01-01", developed_share=0.0, government_delay=True
    )
    assert c["idle_land_state"] == "excluded"
    assert pd.isna(c["reclaim_proposal_from"])
    assert "第八条" in c["reason"]


def test_finished_plant_and_low_efficiency_land_have_no_clock():
    frame = pd.DataFrame(
        {
            "status": ["idle", "low_efficiency", "idle"],
            "kind": ["factory", "campus", "land"],
            "building_area_m2": [20_000.0, 60_000.0, 0.0],
            "idle_since": ["2015-01-01", "2015-01-01", "2015-01-01"],
        },
        index=["plant", "low", "land"],
    )
    c = idle_land_clocks(frame, "2026-01-01")
    assert (c["idle_land_state"] == "not_applicable").all()
    assert "已建成厂房闲置不属于闲置土地" in c.at["plant", "reason"]
    assert "低效用地为地方评价概念" in c.at["low", "reason"]
    assert "未记录约定动工开发日期" in c.at["land", "reason"]


def test_unknown_progress_after_the_year_is_unknown_not_idle():
    c = _one("2024-01-01", agreed_start_date="2022-01-01")
    assert c["idle_land_state"] == "unknown"
    c = _one("2022-06-01", agreed_start_date="2022-01-01")
    assert c["idle_land_state"] == "running" and "2023-01-01 前不构成闲置土地" in c["reason"]


def test_bad_arguments_raise_library_errors():
    with pytest.raises(am.ValidationError, match="as_of"):
        idle_land_clocks(pd.DataFrame({"agreed_start_date": []}), "not a date")
    with pytest.raises(am.ValidationError, match="lang"):
        idle_land_clocks(pd.DataFrame(), "2024-01-01", lang="fr")


def test_inventory_idle_clocks_from_a_spreadsheet(tmp_path):
    csv = tmp_path / "land.csv"
    csv.write_text(
        "地块编号,经度,纬度,类型,状态,约定动工日期,已开发面积比例（%）,已投资比例,闲置时间,政府原因\n"
        "L-1,118.861,24.951,土地,闲置,2022-03-01,0,0,2020-01-01,否\n"
        "L-2,118.862,24.952,土地,闲置,2021-05-01,20,30%,2023-02-01,否\n"
        "L-3,118.863,24.953,土地,闲置,2021-05-01,0,0,,是\n"
        "P-1,118.864,24.954,厂房,闲置,,,,2019-01-01,\n"
        "B-1,118.865,24.955,土地,闲置,2021-05-01,150,,,\n",
        encoding="utf-8",
    )
    inv = am.Inventory.open(tmp_path / "z.gpkg")
    rep = inv.import_file(csv, at="2022-01-01")
    assert rep.created == ["L-1", "L-2", "L-3", "P-1"], str(rep)
    reason = rep.rejected.set_index("field").at["developed_share", "reason"]
    assert "above 1" in reason and "35%" in reason
    a = inv.assets()
    assert a.at["L-1", "agreed_start_date"] == pd.Timestamp("2022-03-01")
    assert a.at["L-2", "developed_share"] == pytest.approx(0.2)
    assert a.at["L-2", "invested_share"] == pytest.approx(0.3)
    assert bool(a.at["L-3", "government_delay"]) is True
    clocks = inv.idle_clocks(as_of="2024-06-01")
    # due first (the earlier year first), then excluded
    assert list(clocks.index) == ["L-1", "L-2", "L-3"]
    assert clocks.at["L-1", "idle_land_state"] == "may_investigate"
    assert clocks.at["L-2", "idle_land_from"] == pd.Timestamp("2024-02-01")
    assert clocks.at["L-3", "idle_land_state"] == "excluded"
    assert "P-1" not in clocks.index  # a plant standing empty is not idle land
    # the inventory's own idle count is kept beside the statutory clock
    idle_days = (pd.Timestamp("2024-06-01") - pd.Timestamp("2020-01-01")).days
    assert clocks.at["L-1", "idle_days"] == idle_days
    # as the inventory stood before the year was up
    earlier = inv.assets(as_of="2023-01-01")
    assert earlier.at["L-1", "idle_land_state"] == "running"
    assert set(IDLE_LAND_STATES) >= set(a["idle_land_state"])


def test_an_older_geopackage_gets_the_new_columns(tmp_path, parcels):
    path = tmp_path / "old.gpkg"
    inv = am.Inventory.open(path)
    inv.add(parcels, at="2023-01-01")
    inv.close()
    con = sqlite3.connect(path)  # make it look like a store written before these columns
    for trigger in ("assets_keep_version_update", "assets_keep_version_delete"):  # (schema 2)
        con.execute(f'DROP TRIGGER "{trigger}"')
    for col in ("agreed_start_date", "developed_share", "invested_share", "government_delay"):
        con.execute(f'ALTER TABLE assets DROP COLUMN "{col}"')
    con.commit()
    con.close()
    ro = am.Inventory.open(path, readonly=True)
    assert ro.assets()["agreed_start_date"].isna().all()  # read-only: read as missing
    ro.close()
    inv = am.Inventory.open(path)
    have = {r[1] for r in inv._store.conn.execute('PRAGMA table_info("assets")')}
    assert {"agreed_start_date", "developed_share", "invested_share", "government_delay"} <= have
    inv.update("A-2", agreed_start_date="2022-01-01", developed_share=0.0, at="2023-02-01")
    assert inv.idle_clocks(as_of="2023-06-01").at["A-2", "idle_land_state"] == "may_investigate"
