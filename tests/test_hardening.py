"""Issue 8: inputs that used to break the store or leak raw exceptions, one test per defect."""

from __future__ import annotations

from datetime import UTC, date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import assetmatch as am
from assetmatch.store import _gpkg, history
from conftest import LAT0, LON0, square_lonlat


def _one(aid: str = "A", **cols: object) -> gpd.GeoDataFrame:
    base = {"asset_id": [aid], "kind": ["land"], "status": ["idle"]}
    base.update({k: [v] for k, v in cols.items()})
    return gpd.GeoDataFrame(base, geometry=[square_lonlat(LON0, LAT0, 300)], crs="EPSG:4490")


@pytest.fixture
def inv(store_path) -> am.Inventory:
    inv = am.Inventory.open(store_path)
    inv.add(_one("A"), at="2025-01-01", on_error="raise")
    return inv


# ------------------------------------------------------------------ 1. dates


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-03-04", "2025-03-04"),
        (date(2025, 3, 4), "2025-03-04"),
        ("2025年3月4日", "2025-03-04"),
        ("2025年3月", "2025-03-01"),
        ("31/12/2025", "2025-12-31"),
        ("12/31/2025", "2025-12-31"),
        ("04/04/2025", "2025-04-04"),  # both readings agree
        ("1900-01-01", "1900-01-01"),
        ("2200-12-31", "2200-12-31"),
        # 2025-03-04 20:00 UTC is 2025-03-05 04:00 in Beijing
        (datetime(2025, 3, 4, 20, tzinfo=UTC), "2025-03-05"),
    ],
)
def test_check_date_reads(value, expected):
    assert history.check_date(value).date().isoformat() == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("9999-12-31", "out of range"),
        ("1500-01-01", "out of range"),
        (date(1899, 12, 31), "out of range"),
        ("2201-01-01", "out of range"),
        ("yesterday", "not a date"),
        ("", "missing"),
        ("   ", "missing"),
        (np.nan, "missing"),
        (pd.NaT, "missing"),
        (None, "missing"),
        (20250304, "number"),
        ("03/04/2025", "ambiguous"),
        ("2025-13-01", "not a date"),
    ],
)
def test_check_date_refuses(value, reason):
    with pytest.raises(ValueError, match=reason):
        history.check_date(value)


def test_ambiguous_slashed_dates_read_with_dayfirst():
    assert history.check_date("03/04/2025", dayfirst=True).date() == date(2025, 4, 3)
    assert history.check_date("03/04/2025", dayfirst=False).date() == date(2025, 3, 4)


@pytest.mark.parametrize("at", ["9999-12-31", "1500-01-01", "yesterday", "", np.nan, pd.NaT])
def test_bad_valid_times_are_refused_and_leave_the_store_readable(inv, at):
    with pytest.raises(am.ValidationError, match="at"):
        inv.add(_one("B"), at=at)
    with pytest.raises(am.ValidationError, match="at"):
        inv.update("A", status="available", at=at)
    with pytest.raises(am.ValidationError, match="at"):
        inv.remove("A", at=at)
    assert list(inv.assets().index) == ["A"]
    assert list(inv.assets(as_of="2025-06-01").index) == ["A"]


@pytest.mark.parametrize("as_of", ["9999-12-31", "yesterday", "", np.nan, pd.NaT, "1500-01-01"])
def test_bad_as_of_is_a_validation_error(inv, as_of):
    with pytest.raises(am.ValidationError, match="as_of"):
        inv.assets(as_of=as_of)


def test_tz_aware_as_of_is_the_local_date(inv):
    inv.update("A", status="available", at="2025-03-05")
    # 2025-03-04 20:00 UTC is already 5 March in the zone
    a = inv.assets(as_of=pd.Timestamp("2025-03-04 20:00", tz="UTC"))
    assert a.at["A", "status"] == "available"
    b = inv.assets(as_of=pd.Timestamp("2025-03-04 15:00", tz="UTC"))  # 23:00 on the 4th
    assert b.at["A", "status"] == "idle"


def test_out_of_range_date_fields_are_refused_on_import(inv):
    rep = inv.add(_one("B", idle_since="9999-12-31"))
    assert rep.created == []
    assert "out of range" in rep.rejected.iloc[0]["reason"]
    with pytest.raises(am.ValidationError, match="out of range"):
        inv.update("A", idle_since="1500-01-01")
    assert inv.assets().index.tolist() == ["A"]


def test_ambiguous_slashed_dates_in_a_sheet(inv):
    rep = inv.add(_one("B", idle_since="03/04/2025"))
    assert rep.created == [] and "ambiguous" in rep.rejected.iloc[0]["reason"]
    rep = inv.add(_one("B", idle_since="03/04/2025"), dayfirst=True)
    assert rep.created == ["B"]
    assert inv.assets().at["B", "idle_since"] == pd.Timestamp("2025-04-03")
    rep = inv.add(_one("C", idle_since="31/12/2024"))
    assert inv.assets().at["C", "idle_since"] == pd.Timestamp("2024-12-31")


def test_reads_survive_dates_an_older_version_wrote(inv, store_path):
    # an older version accepted any date: write such events behind the library's back
    con = _gpkg.connect(store_path)  # with the ST_* functions the R-tree triggers call
    con.execute(
        "INSERT INTO asset_events (asset_id, kind, field, value, valid_at, recorded_at) "
        "VALUES ('A', 'update', 'idle_since', '\"9999-12-31\"', '1500-01-01', "
        "'2025-01-02T00:00:00.000Z')"
    )
    con.execute(
        "INSERT INTO asset_events (asset_id, kind, field, value, valid_at, recorded_at) "
        "VALUES ('A', 'update', 'rent_yuan_m2_month', '9.5', '9999-12-31', "
        "'2025-01-02T00:00:00.000Z')"
    )
    con.execute("UPDATE assets SET idle_since = '9999-12-31'")
    con.close()
    a = inv.assets()
    assert a.at["A", "idle_since"] == pd.Timestamp("2200-12-31")  # read as the nearest bound
    past = inv.assets(as_of="2025-06-01")
    assert list(past.index) == ["A"]
    assert np.isnan(past.at["A", "rent_yuan_m2_month"])  # valid only from the far future
    inv.update("A", status="available", at="2025-07-01")  # and the store still takes writes
    assert inv.assets().at["A", "status"] == "available"
