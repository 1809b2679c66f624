"""The zone's land-use policy table: stored in the inventory, versioned, honoured by match."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

import assetmatch as am
from assetmatch.domain.landuse_paths import example_zone_policy, load_landuse_paths
from assetmatch.domain.rules import rules_version

SCHOOL_BRIEF = {
    "industry": "P83",
    "land_use": "0804",
    "tenure": ["lease"],
    "ready_within_days": 120,
}


def _school_zone(path) -> None:
    path.write_text(
        "from_class,to_class,path,delay_days,requires_tenure,max_years,note_zh,note_en,basis,checked\n"
        "industrial,education,transition,30,lease,5,本区认定厂房办学过渡期,zone recognises it,"
        "国土资规〔2015〕5号 二、鼓励盘活利用现有用地；区管委会决定（示例）,2026-12-04\n",
        encoding="utf-8",
    )


def test_policy_from_a_csv_is_versioned_and_read_as_of_a_date(store, parcels, tmp_path):
    inv = am.Inventory.open(store)
    inv.add(parcels, at="2023-01-01")
    assert inv.zone_policy() == load_landuse_paths()  # no policy: the national defaults
    assert inv.zone_policy_history().empty
    csv = tmp_path / "policy.csv"
    _school_zone(csv)
    table = inv.set_zone_policy(csv, at="2024-01-01", note="管委会2024年第1号")
    route = table.resolve("industrial", "education", ["lease"])
    assert (route.path, route.delay_days, route.origin) == ("transition", 30, "zone")
    assert [a.path for a in route.alternatives] == ["change_of_use"]  # the default stays
    inv.set_zone_policy(None, at="2025-01-01", note="过渡期政策到期")
    hist = inv.zone_policy_history()
    assert list(hist["version"]) == [1, 2]
    assert list(hist["valid_from"]) == ["2024-01-01", "2025-01-01"]
    assert list(hist["n_rules"]) == [1, 0] and hist.loc[0, "source"] == "policy.csv"
    assert hist.loc[0, "rules_version"] == table.version
    # the policy in force on each date
    assert inv.zone_policy(as_of="2023-06-01") == load_landuse_paths()
    assert inv.zone_policy(as_of="2024-06-01") == table
    assert inv.zone_policy(as_of="2025-06-01") == load_landuse_paths()
    assert inv.zone_policy() == load_landuse_paths()
    # match honours it on its date: A-1 (an idle plant on industrial land, lease offered)
    during = am.match(SCHOOL_BRIEF, inventory=inv, as_of="2024-06-01")
    assert during.explain("A-1").facts["land_use_path"] == "transition"
    after = am.match(SCHOOL_BRIEF, inventory=inv, as_of="2025-06-01")
    assert after.explain("A-1").facts["land_use_path"] == "change_of_use"
    assert during.rules_version == rules_version(table)
    assert after.rules_version == rules_version(load_landuse_paths())


def test_policy_from_an_excel_file(store, tmp_path):
    inv = am.Inventory.open(store)
    xl = tmp_path / "policy.xlsx"
    example_zone_policy().to_excel(xl, index=False, sheet_name="用地政策")
    table = inv.set_zone_policy(xl, at="2024-01-01", sheet="用地政策")
    assert (table.frame["origin"] == "zone").sum() == len(example_zone_policy())
    assert inv.zone_policy() == table


def test_an_invalid_policy_lists_every_bad_row_and_stores_nothing(store, tmp_path):
    inv = am.Inventory.open(store)
    bad = pd.DataFrame(
        {
            "from_class": ["industrial", "industrial"],
            "to_class": ["education", "research"],
            "path": ["transitional", "transition"],
            "delay_days": [30, -1],
            "requires_tenure": ["lease", "rent"],
        }
    )
    with pytest.raises(am.ValidationError) as err:
        inv.set_zone_policy(bad)
    assert {(p.row, p.field) for p in err.value.problems} == {
        (0, "path"),
        (1, "delay_days"),
        (1, "requires_tenure"),
    }
    assert inv.zone_policy_history().empty
    with pytest.raises(am.SourceError, match="no such file"):
        inv.set_zone_policy(tmp_path / "missing.csv")
    with pytest.raises(am.ValidationError, match="at="):
        inv.set_zone_policy(example_zone_policy(), at="not a date")


def test_policy_versions_are_append_only_in_the_geopackage(tmp_path):
    path = tmp_path / "z.gpkg"
    inv = am.Inventory.open(path)
    version = inv.set_zone_policy(example_zone_policy(), at="2024-01-01").version
    inv.close()
    con = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE zone_policy SET note = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM zone_policy")
    con.close()
    ro = am.Inventory.open(path, readonly=True)
    assert ro.zone_policy().version == version
    ro.close()


def test_the_demo_zone_opts_in_and_says_so():
    inv = am.Inventory.demo()
    hist = inv.zone_policy_history()
    assert len(hist) == 1 and "演示园区政策（合成）" in hist.loc[0, "note"]
    zone_rows = inv.zone_policy().frame.query("origin == 'zone'")
    school = zone_rows.query("to_class == 'education'").iloc[0]
    assert school["path"] == "transition" and "本园区政策（演示）" in school["note_zh"]
    assert "国土资规〔2015〕5号" in school["basis"] and school["checked"] == "2026-12-04"


def test_the_policy_travels_with_an_export(store, tmp_path):
    inv = am.Inventory.open(store)
    table = inv.set_zone_policy(example_zone_policy(), at="2024-01-01", note="示例")
    copy = am.Inventory.open(inv.export(tmp_path / "copy.gpkg"))
    assert copy.zone_policy() == table
    cols = ["version", "valid_from", "n_rules", "rules_version", "note"]
    pd.testing.assert_frame_equal(copy.zone_policy_history()[cols], inv.zone_policy_history()[cols])
