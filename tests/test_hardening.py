"""Issue 8: inputs that used to break the store or leak raw exceptions, one test per defect."""

from __future__ import annotations

import sqlite3
import warnings
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


# ------------------------------------------------------------------ 2. firms and layers


def _firms(points: list[tuple[float, float]], ids: list[str] | None = None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"firm_id": ids or [f"F{k}" for k in range(len(points))], "industry": "C39"},
        geometry=gpd.points_from_xy(*zip(*points, strict=True)),
        crs="EPSG:4490",
    )


def test_a_firm_at_nan_coordinates_is_refused_and_the_store_keeps_working(inv):
    inv.add_firms(_firms([(LON0 + 0.001, LAT0)]))
    with pytest.raises(am.ValidationError, match=r"row 1, field 'geometry': missing coord"):
        inv.add_firms(_firms([(LON0, LAT0), (np.nan, np.nan)], ["F1", "F2"]))
    assert inv._store.read_firms()["firm_id"].tolist() == ["F0"]
    inv.context()
    inv.remove_firms(["F0"])
    inv.add_firms(_firms([(LON0 + 0.002, LAT0)]))
    assert len(inv.context()) == 1


def test_firms_far_outside_the_store_area_are_refused(inv):
    # metres given as degrees: (118 860, 2 495 000) in lon/lat is no place on Earth
    bad = gpd.GeoDataFrame(
        {"firm_id": ["F9"], "industry": ["C39"]},
        geometry=gpd.points_from_xy([LON0], [LAT0]),
        crs="EPSG:4490",
    ).set_crs("EPSG:3857", allow_override=True)
    with pytest.raises(am.ValidationError, match="outside the area of use"):
        inv.add_firms(bad)


def test_unknown_firms_are_a_not_found_error(inv):
    with pytest.raises(am.NotFoundError, match="F404"):
        inv.remove_firms(["F404"])
    with pytest.raises(KeyError):  # still a KeyError for callers that catch that
        inv.remove_firms(["F404"])


def _exits(n: int = 1, **cols: object) -> gpd.GeoDataFrame:
    data = {"name": [f"e{k}" for k in range(n)], **{k: [v] * n for k, v in cols.items()}}
    return gpd.GeoDataFrame(
        data, geometry=gpd.points_from_xy([LON0 + 0.01] * n, [LAT0] * n), crs="EPSG:4490"
    )


def test_layer_names_are_case_insensitive(inv, store_path):
    inv.add_layer("Exits", _exits(2))
    inv.add_layer("exits", _exits(3))
    assert inv.layers() == ["exits"]
    assert len(inv.layer("EXITS")) == 3
    con = sqlite3.connect(store_path)
    rows = con.execute(
        "SELECT table_name FROM gpkg_contents WHERE lower(table_name) LIKE 'ref_exits'"
    ).fetchall()
    con.close()
    assert rows == [("ref_exits",)]  # no dangling row of the first spelling
    ctx = inv.context()
    assert len(ctx) == 1


@pytest.mark.parametrize("name", ["assets", "Asset_Events", "am_meta", "gpkg_contents", "rtree_x"])
def test_core_table_names_are_refused_as_layer_names(inv, name):
    with pytest.raises(am.ValidationError, match="store's own tables"):
        inv.add_layer(name, _exits())
    assert inv.layers() == []


@pytest.mark.parametrize("name", ["", "a b", "名字", "x;drop", None])
def test_bad_layer_names_are_validation_errors(inv, name):
    with pytest.raises(am.ValidationError, match="name"):
        inv.add_layer(name, _exits())


@pytest.mark.parametrize("column", ['x" TEXT, "evil', "tab\there", "fid", "GEOM", "nul\x00"])
def test_bad_layer_column_names_are_refused(inv, store_path, column):
    layer = _exits()
    layer[column] = 1
    with pytest.raises(am.ValidationError):
        inv.add_layer("exits", layer)
    con = sqlite3.connect(store_path)
    cols = [r[1] for r in con.execute("PRAGMA table_info(assets)")]
    con.close()
    assert "evil" not in cols and inv.layers() == []


def test_layer_columns_differing_only_in_case_are_refused(inv):
    layer = _exits()
    layer["Kind"] = 1
    layer["kind"] = 2
    with pytest.raises(am.ValidationError, match="case aside"):
        inv.add_layer("exits", layer)


def test_a_layer_with_missing_coordinates_is_refused(inv):
    layer = gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=gpd.points_from_xy([LON0, np.nan], [LAT0, np.nan]),
        crs="EPSG:4490",
    )
    with pytest.raises(am.ValidationError, match="missing coordinates"):
        inv.add_layer("exits", layer)


def test_a_missing_layer_is_a_not_found_error(inv):
    with pytest.raises(am.NotFoundError, match="no reference layer 'ports'"):
        inv.layer("ports")


# ------------------------------------------------------------------ 3. export


def test_export_never_deletes_a_file_it_did_not_create(inv, tmp_path):
    dest = tmp_path / "out" / "zone.gpkg"
    dest.parent.mkdir()
    unrelated = dest.with_name("zone.gpkg.part")
    unrelated.write_text("someone's notes")
    inv.export(dest)
    assert unrelated.read_text() == "someone's notes"
    assert sorted(p.name for p in dest.parent.iterdir()) == ["zone.gpkg", "zone.gpkg.part"]
    assert am.Inventory.open(dest, readonly=True).assets().index.tolist() == ["A"]


def test_a_store_named_part_survives_its_own_export(tmp_path):
    # a new store must end in .gpkg, but a file renamed afterwards still opens
    with am.Inventory.open(tmp_path / "made.gpkg") as made:
        made.add(_one("A"))
    live = (tmp_path / "made.gpkg").rename(tmp_path / "zone.gpkg.part")
    inv = am.Inventory.open(live)
    inv.export(tmp_path / "zone.gpkg")
    assert inv.assets().index.tolist() == ["A"]
    assert live.exists()


def test_export_into_a_missing_directory_is_a_store_error(inv, tmp_path):
    with pytest.raises(am.StoreError, match="does not exist"):
        inv.export(tmp_path / "nowhere" / "zone.gpkg")


# ------------------------------------------------------------------ 5. history in plain SQL


def test_history_cannot_be_replaced_with_plain_sql(inv, store_path):
    con = sqlite3.connect(store_path)
    eid, value = con.execute("SELECT event_id, value FROM asset_events").fetchone()
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute(
            "INSERT OR REPLACE INTO asset_events (event_id, asset_id, kind, value, valid_at, "
            "recorded_at) VALUES (?, 'A', 'create', '{}', '2020-01-01', '2020-01-01')",
            (eid,),
        )
    assert con.execute("SELECT value FROM asset_events WHERE event_id=?", (eid,)).fetchone()[0] == (
        value
    )
    con.close()


def test_an_older_store_gets_the_replace_guard_when_opened(inv, store_path):
    inv.close()
    con = sqlite3.connect(store_path)
    con.execute("DROP TRIGGER asset_events_no_replace")
    con.close()
    am.Inventory.open(store_path).close()
    con = sqlite3.connect(store_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute(
            "INSERT OR REPLACE INTO asset_events (event_id, asset_id, kind, value, valid_at, "
            "recorded_at) VALUES (1, 'A', 'create', '{}', '2020-01-01', '2020-01-01')"
        )
    con.close()


# ------------------------------------------------------------------ 10. update(geometry=…)


def test_update_geometry_reprojects_a_geoseries_and_a_crs_argument(inv):
    new = square_lonlat(LON0, LAT0, 200)
    expected = inv.assets().at["A", "land_area_m2"] * (200 / 300) ** 2
    inv.update("A", geometry=gpd.GeoSeries([new], crs="EPSG:4490"), at="2025-02-01")
    assert inv.assets().at["A", "land_area_m2"] == pytest.approx(expected, rel=0.01)
    inv.update("A", geometry=square_lonlat(LON0, LAT0, 100), crs="EPSG:4490", at="2025-03-01")
    assert inv.assets().at["A", "land_area_m2"] == pytest.approx(expected / 4, rel=0.01)


def test_update_geometry_in_degrees_for_a_metric_store_is_refused(inv):
    with pytest.raises(am.ValidationError, match="outside the area of use"):
        inv.update("A", geometry=square_lonlat(LON0, LAT0, 200), at="2025-02-01")
    assert inv.assets().at["A", "land_area_m2"] > 80_000


def test_the_demo_boundary_corrections_are_in_metres():
    demo = am.Inventory.demo()
    a = demo.assets()
    for aid in ("TS-0218", "TS-0315"):
        if aid in a.index:
            assert a.at[aid, "land_area_m2"] > 100
            assert a.geometry[aid].bounds[0] > 100_000  # eastings, not longitudes
    assert a.geometry.bounds["minx"].min() > 100_000


# ------------------------------------------------------------------ 11/12. raw exceptions, ids


def test_update_many_without_author_or_asset_id(inv):
    long = pd.DataFrame(
        {"asset_id": ["A"], "at": ["2025-02-01"], "field": ["status"], "value": ["available"]}
    )
    assert inv.update_many(long) == 1  # used to raise KeyError 'author'
    with pytest.raises(am.ValidationError, match="asset_id"):
        inv.update_many(pd.DataFrame({"status": ["idle"]}))


def test_an_author_or_note_that_is_not_text_is_refused_not_replaced(inv):
    before = len(inv.history("A"))
    with pytest.raises(am.ValidationError) as one:
        inv.update("A", author=123, status="negotiating")
    assert [(p.row, p.field) for p in one.value.problems] == [(0, "author")]
    wide = pd.DataFrame(
        {"asset_id": ["A", "A"], "note": ["ok", ["a", "list"]], "rent_yuan_m2_month": [11.0, 12.0]}
    )
    with pytest.raises(am.ValidationError) as many:
        inv.update_many(wide)
    assert [(p.row, p.field) for p in many.value.problems] == [(1, "note")]
    assert "got list" in str(many.value)
    assert len(inv.history("A")) == before  # nothing was written
    inv.update_many(wide.assign(note=["ok", None]))  # text or left out: accepted
    after = inv.history("A")
    assert len(after) == before + 2 and "ok" in after["note"].tolist()


def test_update_with_a_set_in_extra_is_refused(inv):
    with pytest.raises(am.ValidationError, match="set is not a JSON value"):
        inv.update("A", extra={"tags": {"a", "b"}})
    with pytest.raises(am.ValidationError, match="mapping"):
        inv.update("A", extra={"a", "b"})


def test_nan_in_extra_is_stored_as_null(inv, store_path):
    inv.update("A", extra={"score": np.nan, "n": 3, "inf": float("inf")}, at="2025-02-01")
    assert inv.assets().at["A", "extra"] == {"score": None, "n": 3, "inf": None}
    con = sqlite3.connect(store_path)
    texts = [r[0] for r in con.execute("SELECT value FROM asset_events WHERE field='extra'")]
    con.close()
    assert texts == ['{"inf": null, "n": 3, "score": null}']


@pytest.mark.parametrize("bad", ["A\x00B", "A\nB", "\x07"])
def test_control_characters_in_ids_are_refused(inv, bad):
    rep = inv.add(_one(bad))
    assert rep.created == [] and "control character" in rep.rejected.iloc[0]["reason"]
    with pytest.raises(am.ValidationError, match="control character"):
        inv.add_firms(_firms([(LON0, LAT0)], [bad]))


def test_add_deals_with_a_bad_date_is_refused(inv):
    deals = pd.DataFrame(
        {"deal_id": ["D1", "D2"], "investor": ["x", "y"], "signed_at": ["2024-05-01", "someday"]}
    )
    with pytest.raises(am.ValidationError, match="row 1, field 'signed_at'"):
        inv.add_deals(deals)
    assert inv.deals().empty
    inv.add_deals(deals.iloc[:1])
    assert inv.deals()["signed_at"].tolist() == ["2024-05-01"]


def test_degenerate_polygons_are_refused(inv):
    from shapely.geometry import Polygon

    sliver = Polygon([(LON0, LAT0), (LON0 + 0.001, LAT0), (LON0 + 0.002, LAT0 + 1e-11)])
    rep = inv.add(
        gpd.GeoDataFrame({"asset_id": ["S"], "kind": ["land"]}, geometry=[sliver], crs=4490)
    )
    assert rep.created == []
    assert "degenerate polygon" in rep.rejected.iloc[0]["reason"]


# ------------------------------------------------------------------ 8. numeric overflow


def test_an_area_that_overflows_in_conversion_is_refused(inv):
    df = pd.DataFrame(
        {
            "asset_id": ["X", "Y"],
            "经度": [LON0, LON0],
            "纬度": [LAT0, LAT0],
            "面积（亩）": [1e308, 3],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning may escape
        rep = inv.add(df)
    assert rep.created == ["Y"]
    assert "too large" in rep.rejected.iloc[0]["reason"]
    assert inv.assets().at["Y", "land_area_m2"] == pytest.approx(2000.0)  # 3 mu


def test_weights_are_bounded():
    with pytest.raises(am.ValidationError, match="from 0 to 1e\\+06"):
        am.Weights({"size": 1e308})
    assert am.Weights({"size": 1e6}).values["size"] == 1e6


@pytest.mark.parametrize(
    "brief",
    [
        {"industry": "C39", "land_area_m2": [1e308, None]},
        {"industry": "C39", "max_rent_yuan_m2_month": 1e308},
        {"industry": "C39", "weights": {"size": 1e308}},
        {"industry": "C39", "min_power_kva": 1e308},
    ],
)
def test_huge_figures_in_a_brief_are_refused(brief):
    with pytest.raises(am.ValidationError, match="beyond any real figure"):
        am.Requirements.model_validate(brief)


@pytest.mark.parametrize(
    "doc", [b"[" * 100_000, b'{"a":' * 5000, b'{"industry": "\xff\xfe"}', b"\xff\xfe\x00"]
)
def test_requirements_from_bad_json_bytes(doc):
    with pytest.raises(am.ValidationError, match="<json>"):
        am.Requirements.from_json(doc)


# ------------------------------------------------------------------ 9. holes outside the shell


def test_a_hole_outside_its_shell_is_dropped_and_reported(inv):
    from shapely.geometry import Polygon

    shell = square_lonlat(LON0, LAT0, 300)
    stray = square_lonlat(LON0 + 0.01, LAT0, 100)
    geom = Polygon(shell.exterior.coords, [stray.exterior.coords])
    rep = inv.add(
        gpd.GeoDataFrame({"asset_id": ["H"], "kind": ["land"]}, geometry=[geom], crs=4490)
    )
    assert rep.created == ["H"]
    r = rep.repaired.iloc[0]
    assert "dropped 1 hole(s) lying outside" in r["reason"]
    assert "+0.0%" in r["reason"]
    # the land is the shell alone, not shell + hole
    area = inv.assets().at["H", "land_area_m2"]
    assert area == pytest.approx(inv.assets().at["A", "land_area_m2"], rel=1e-3)
    assert r["area_before_m2"] == pytest.approx(area, rel=1e-6)


# ------------------------------------------------------------------ 11. files


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("empty.csv", b"", "empty"),
        ("blank.csv", b"\n\n", "no header row"),
        ("a.dat", b"x,y\n1,2\n", "cannot be read"),
        ("fake.xlsx", b"not a zip", "Excel workbook"),
        ("fake.gpkg", b"SQLite format 3\x00" + b"\x00" * 200, "cannot be read"),
    ],
)
def test_unreadable_files_are_source_errors(inv, tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(am.SourceError, match=match):
        inv.import_file(path)


def test_missing_files_and_directories_are_source_errors(inv, tmp_path):
    with pytest.raises(am.SourceError, match="no such file"):
        inv.import_file(tmp_path / "missing.csv")
    with pytest.raises(am.SourceError, match=r"directory .* does not exist"):
        inv.import_file(tmp_path / "nowhere" / "x.csv")
    with pytest.raises(am.SourceError, match="is a directory"):
        inv.import_file(tmp_path)


def test_a_header_only_csv_imports_nothing(inv, tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("asset_id,经度,纬度\n", encoding="utf-8")
    rep = inv.import_file(path)
    assert rep.rows == 0 and not rep.committed


# ------------------------------------------------------------------ the words staff write


def test_staff_vocabulary_is_understood(inv):
    df = pd.DataFrame(
        {
            "资产编号": ["P1", "P2", "P3", "P4"],
            "经度": [LON0 + 0.01, LON0 + 0.02, LON0 + 0.03, None],
            "纬度": [LAT0, LAT0, LAT0, LAT0],
            "面积（亩）": [10, 20, 30, 5],
            "用地性质": ["工业", "仓储", "教育", "工业"],
            "状态": ["可出让", "可租赁", "闲置", "闲置"],
            "供地方式": ['["lease","transfer"]', "出让", "租赁", "租赁"],
        }
    )
    rep = inv.add(df, coords="gcj02")
    a = inv.assets()
    assert a.loc[["P1", "P2", "P3"], "land_class"].tolist() == [
        "industrial",
        "logistics_storage",
        "education",
    ]
    assert (a.loc[["P1", "P2", "P3"], "land_use_scheme"] == "2020").all()
    assert a.loc[["P1", "P2"], "status"].tolist() == ["available", "available"]
    assert a.at["P1", "tenure"] == ["lease", "transfer"]
    text = rep.to_text(lang="zh")
    scheme = "《国土空间调查、规划、用途管制用地用海分类指南》（2020）"
    assert f"'工业' 按{scheme}读作 1001 工业用地" in text  # the scheme is stated
    assert "GCJ-02" in text and "已转换" in text
    assert "第 3 行 (P4): 经度/纬度: 缺少几何图形" in text
    assert "不是有限数" not in text  # a blank cell is missing, not non-finite
    english = rep.to_text()
    assert "'工业' read as 1001 工业用地" in english and "2020" in english  # the scheme is stated
    assert "row 3 (P4): 经度/纬度: missing" in english and "non-finite" not in english
    assert "GCJ-02" in english and "converted" in english


def test_formula_cells_without_cached_values_are_noted(inv, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["资产编号", "经度", "纬度", "面积（亩）", "建筑面积（㎡）"])
    ws.append(["F1", LON0 + 0.01, LAT0, 10, "=D2*100"])  # openpyxl stores no computed value
    ws.append(["F2", LON0 + 0.02, LAT0, 12, 5000])
    wb.save(tmp_path / "f.xlsx")
    rep = inv.import_file(tmp_path / "f.xlsx")
    assert rep.created == ["F1", "F2"]
    assert rep.notes[["row", "asset_id"]].values.tolist() == [[2, "F1"]]
    assert "formula the file holds no value for" in rep.notes.iloc[0]["message"]
    assert "'建筑面积（㎡）'" in rep.to_text()
    assert np.isnan(inv.assets().at["F1", "building_area_m2"])


def test_update_with_a_tz_aware_datetime(inv):
    # found by the property test: a tz-aware `at` column refused the ISO text written into it
    inv.update("A", status="available", at=datetime(2025, 5, 11, 20, 0, tzinfo=UTC))
    assert inv.history("A")["valid_at"].iloc[-1] == "2025-05-12T04:00:00"


def test_bad_options_are_validation_errors(inv):
    with pytest.raises(am.ValidationError, match="on_error"):
        inv.add(_one("B"), on_error="ignore")
    with pytest.raises(am.ValidationError, match="coords"):
        inv.add(_one("B"), coords="amap")


def test_a_longitude_beyond_180_is_refused_as_such_and_does_not_steer_the_crs(tmp_path):
    import warnings

    inv = am.Inventory.open(tmp_path / "zone.gpkg")
    df = pd.DataFrame(
        {
            "资产编号": ["R1", "R2", "R3"],
            "经度": [LON0, LON0 + 100.0, LON0 + 0.01],  # R2: a typo, 218°E
            "纬度": [LAT0, LAT0, 95.0],  # R3: beyond the pole
            "面积（亩）": [10, 20, 30],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "the data span 100° of longitude" warning
        rep = inv.add(df)
    assert rep.created == ["R1"]
    assert inv.crs.to_epsg() == 4549  # from R1 alone
    why = dict(zip(rep.rejected["asset_id"], rep.rejected["reason"], strict=True))
    assert why["R2"].startswith(f"longitude/latitude out of range (x {LON0 + 100.0:g}, y ")
    assert why["R3"].startswith("longitude/latitude out of range (x ")
    assert "y 95)" in why["R3"]
    assert "经纬度超出范围" in rep.to_text(lang="zh")


def test_report_lines_follow_the_source_order_and_only_the_shown_are_worded():
    from assetmatch.ingest.report import ImportReport

    rep = ImportReport(
        source="s",
        rows=4,
        row_order=["r9", "r2", "r5", "r7"],  # labels that do not sort as the source runs
        rejected=pd.DataFrame(
            {"row": ["r5", "r9"], "asset_id": ["C", "A"], "field": ["x", "y"], "reason": ["c", "a"]}
        ),
        notes=pd.DataFrame(
            {
                "row": ["r7", "r2", "r9"],
                "asset_id": ["D", "B", "A"],
                "field": ["z"] * 3,
                "message": ["d", "b", "a2"],
            }
        ),
    )
    lines = rep.to_text(limit=3).splitlines()[1:]
    assert lines == [
        "  rejected row r9 (A): y: a",
        "  note row r9 (A): z: a2",
        "  note row r2 (B): z: b",
        "  … 2 more in .rejected / .repaired / .notes",
    ]
    assert rep._in_source_order(rep.notes)["asset_id"].tolist() == ["A", "B", "D"]


def test_coordinates_0_0_are_refused_as_blank_cells_read_as_zero(tmp_path):
    inv = am.Inventory.open(tmp_path / "zone.gpkg")
    df = pd.DataFrame(
        {"资产编号": ["Z1", "Z2"], "经度": [LON0, 0.0], "纬度": [LAT0, 0.0], "面积（亩）": [10, 20]}
    )
    rep = inv.add(df)
    assert rep.created == ["Z1"]
    assert rep.rejected["reason"].tolist() == [
        "coordinates 0, 0 (blank cells read as zero?): give the site's longitude and latitude"
    ]
    assert "坐标为 0, 0（空单元格被读成了零？）" in rep.to_text(lang="zh")


def test_the_spread_warning_counts_only_rows_the_store_crs_can_hold(tmp_path):
    import warnings

    far = pd.DataFrame(  # one row at 80°E: refused (outside EPSG:4549's area), no warning
        {
            "资产编号": ["F1", "F2", "F3"],
            "经度": [LON0, LON0 + 0.01, 80.0],
            "纬度": [LAT0, LAT0, 40.0],
            "面积（亩）": [10, 20, 30],
        }
    )
    inv = am.Inventory.open(tmp_path / "far.gpkg")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rep = inv.add(far)
    assert rep.created == ["F1", "F2"] and rep.rejected["asset_id"].tolist() == ["F3"]
    wide = pd.DataFrame(  # 117.1°E and 121.9°E: both stored in EPSG:4549, 4.8° apart
        {
            "资产编号": ["W1", "W2", "W3"],
            "经度": [117.1, 118.8, 121.9],
            "纬度": [LAT0] * 3,
            "面积（亩）": [10, 20, 30],
        }
    )
    inv = am.Inventory.open(tmp_path / "wide.gpkg")
    with pytest.warns(UserWarning, match=r"span 4\.8° of longitude"):
        rep = inv.add(wide)
    assert rep.created == ["W1", "W2", "W3"]
