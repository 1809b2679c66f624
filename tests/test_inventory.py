"""The inventory: store, history, CRS and areas, imports, GDAL conformance.

Tests taking the `store` or `new_store` fixture are the store conformance suite: each runs on a
GeoPackage and on PostGIS (skipped, saying how to run it, when no server is configured).
The rest check what only a GeoPackage file has (its bytes, SQLite triggers, GDAL's reading)."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import Point, Polygon

import assetmatch as am
from assetmatch.units import MU_M2
from conftest import (
    LAT0,
    LON0,
    geodesic_area_m2,
    ogr_layers,
    requires_ogr,
    requires_validator,
    run_validator,
    square_lonlat,
)

# ------------------------------------------------------------------ store basics


def test_open_creates_a_geopackage_with_the_gk_zone(store_path, parcels):
    inv = am.Inventory.open(store_path)
    assert inv.crs is None
    report = inv.add(parcels, at="2025-01-01")
    assert report.created == ["A-1", "A-2", "A-3"]
    assert inv.crs == CRS.from_epsg(4549)  # 118.86°E → zone with central meridian 120°E
    with open(store_path, "rb") as fh:
        head = fh.read(100)
    assert head[:16] == b"SQLite format 3\x00"
    assert head[68:72] == b"GPKG"  # application_id
    assert int.from_bytes(head[60:64], "big") == 10200  # user_version


def test_areas_agree_with_geodesic_area(store, parcels):
    inv = am.Inventory.open(store)
    inv.add(parcels)
    a = inv.assets()
    for aid, geom in zip(parcels["asset_id"], parcels.geometry, strict=True):
        ref = geodesic_area_m2(geom)
        assert a.at[aid, "land_area_m2"] == pytest.approx(ref, rel=2e-3)
        assert a.at[aid, "land_area_m2"] == pytest.approx(ref, rel=1e-4)  # in fact far better


@pytest.mark.parametrize(
    "input_crs",
    [
        "EPSG:3857",  # Web Mercator: planar areas ~ 1/cos²(lat) = 1.22× too large
        "EPSG:4326",
        "EPSG:4549",
        "EPSG:4528",  # GK zone 40 with the zone number in the easting
        "EPSG:32650",  # UTM 50N
    ],
)
def test_areas_right_whatever_the_input_crs(new_store, parcels, input_crs):
    inv = am.Inventory.open(new_store())
    inv.add(parcels.to_crs(input_crs))
    a = inv.assets()
    for aid, geom in zip(parcels["asset_id"], parcels.geometry, strict=True):
        assert a.at[aid, "land_area_m2"] == pytest.approx(geodesic_area_m2(geom), rel=2e-3)


def test_custom_wkt_crs_is_accepted_and_kept(tmp_path, parcels):
    # a local transverse Mercator with no EPSG code (as some zone surveys use)
    custom = CRS.from_proj4(
        "+proj=tmerc +lat_0=0 +lon_0=118.75 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m"
    )
    assert custom.to_epsg(min_confidence=100) is None
    inv = am.Inventory.open(tmp_path / "c.gpkg", crs=custom)
    inv.add(parcels.to_crs(custom))
    assert inv.crs.to_epsg(min_confidence=100) is None
    assert inv.crs.equals(custom)
    con = sqlite3.connect(inv.path)
    org = con.execute(
        "SELECT organization FROM gpkg_spatial_ref_sys s JOIN gpkg_geometry_columns g "
        "ON s.srs_id = g.srs_id WHERE g.table_name = 'assets'"
    ).fetchone()[0]
    con.close()
    assert org == "NONE"  # not relabelled with a guessed code
    a = inv.assets()
    for aid, geom in zip(parcels["asset_id"], parcels.geometry, strict=True):
        assert a.at[aid, "land_area_m2"] == pytest.approx(geodesic_area_m2(geom), rel=2e-3)


def test_custom_wkt_input_into_gk_store(new_store, parcels):
    custom = CRS.from_proj4(
        "+proj=tmerc +lat_0=0 +lon_0=119 +k=0.9999 +x_0=400000 +y_0=0 +ellps=GRS80 +units=m"
    )
    inv = am.Inventory.open(new_store())
    inv.add(parcels.to_crs(custom))
    assert inv.crs == CRS.from_epsg(4549)
    a = inv.assets()
    assert a.at["A-3", "land_area_m2"] == pytest.approx(
        geodesic_area_m2(parcels.geometry[2]), rel=2e-3
    )


def test_store_crs_must_be_projected(new_store):
    with pytest.raises(am.CRSError, match="projected"):
        am.Inventory.open(new_store(), crs="EPSG:4490")


def test_input_without_crs_is_refused(store, parcels):
    inv = am.Inventory.open(store)
    with pytest.raises(am.CRSError, match="no CRS"):
        inv.add(parcels.set_crs(None, allow_override=True))


def test_western_data_gets_the_117_zone(new_store, parcels):
    west = parcels.copy()
    west["geometry"] = west.geometry.translate(xoff=-0.6)  # ~118.26°E, west of 118.5°E
    inv = am.Inventory.open(new_store())
    inv.add(west)
    assert inv.crs == CRS.from_epsg(4548)


def test_not_a_geopackage_is_refused(tmp_path):
    p = tmp_path / "notes.gpkg"
    p.write_text("hello")
    with pytest.raises(am.StoreError, match="not a GeoPackage"):
        am.Inventory.open(p)


# ------------------------------------------------------------------ history


def test_update_records_events_and_history(store, parcels):
    inv = am.Inventory.open(store, author="tester")
    inv.add(parcels, at="2025-01-01")
    inv.update("A-1", status="negotiating", rent_yuan_m2_month=14.5, at="2025-03-01", note="洽谈中")
    inv.update("A-1", rent_yuan_m2_month=13.0, at="2025-06-01")
    h = inv.history("A-1")
    assert list(h["kind"]) == ["create", "update", "update", "update"]
    assert list(h["field"][1:]) == ["status", "rent_yuan_m2_month", "rent_yuan_m2_month"]
    assert list(h["value"][1:]) == ["negotiating", 14.5, 13.0]
    assert h["author"].eq("tester").all()
    assert h.loc[1, "note"] == "洽谈中"
    assert h["recorded_at"].str.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z").all()
    a = inv.assets()
    assert a.at["A-1", "status"] == "negotiating"
    assert a.at["A-1", "rent_yuan_m2_month"] == 13.0


def test_as_of_rebuilds_past_states(store, parcels):
    inv = am.Inventory.open(store)
    inv.add(parcels, at="2025-01-01")
    inv.update("A-1", status="negotiating", rent_yuan_m2_month=14.5, at="2025-03-01")
    inv.update("A-1", status="leased", at="2025-06-01")
    inv.remove("A-2", at="2025-04-01", note="收回")
    assert len(inv.assets(as_of="2024-12-31")) == 0
    jan = inv.assets(as_of="2025-01-31")
    assert jan.at["A-1", "status"] == "idle" and jan.at["A-1", "rent_yuan_m2_month"] == 12.0
    mar = inv.assets(as_of="2025-03-01")  # inclusive of the whole day
    assert mar.at["A-1", "status"] == "negotiating"
    assert "A-2" in mar.index
    jul = inv.assets(as_of=date(2025, 7, 1))
    assert jul.at["A-1", "status"] == "leased"
    assert "A-2" not in jul.index
    # the replay of everything equals the current table
    cur = inv.assets()
    far = inv.assets(as_of="2100-01-01")
    cols = ["status", "rent_yuan_m2_month", "land_area_m2", "tenure", "obstacles", "land_use"]
    pd.testing.assert_frame_equal(cur[cols].sort_index(), far[cols].sort_index())


def test_late_correction_with_earlier_valid_time_does_not_override(store, parcels):
    inv = am.Inventory.open(store)
    inv.add(parcels, at="2025-01-01")
    inv.update("A-1", rent_yuan_m2_month=15.0, at="2025-06-01")
    inv.update("A-1", rent_yuan_m2_month=11.0, at="2025-02-01", note="补录")  # entered later
    assert inv.assets().at["A-1", "rent_yuan_m2_month"] == 15.0
    assert inv.assets(as_of="2025-03-01").at["A-1", "rent_yuan_m2_month"] == 11.0


def test_history_is_append_only_in_the_file(store_path, parcels):
    inv = am.Inventory.open(store_path)
    inv.add(parcels)
    con = sqlite3.connect(store_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE asset_events SET note = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM asset_events")
    con.close()


def test_idle_days_and_statutory_clocks(store, parcels):
    inv = am.Inventory.open(store)
    p = parcels.copy()
    p["status"] = ["available", "available", "in_use"]
    inv.add(p, at="2023-01-01")
    inv.update("A-1", status="idle", at="2023-05-10")
    inv.update("A-2", status="low_efficiency", at="2024-02-01")
    inv.update("A-2", status="negotiating", at="2024-03-01")
    a = inv.assets(as_of="2025-06-01")
    assert a.at["A-1", "idle_since_derived"] == pd.Timestamp("2023-05-10")
    assert a.at["A-1", "idle_days"] == (date(2025, 6, 1) - date(2023, 5, 10)).days
    # A-1 is a plant standing empty: the inventory counts its idle days, but the statutory
    # idle-land clocks (闲置土地处置办法) do not run on it
    assert a.at["A-1", "idle_land_state"] == "not_applicable"
    assert inv.idle_clocks(as_of="2025-06-01").empty
    # as it stood in mid-2024
    a = inv.assets(as_of="2024-06-01")
    assert a.at["A-1", "idle_days"] == (date(2024, 6, 1) - date(2023, 5, 10)).days
    assert np.isnan(a.at["A-2", "idle_days"])
    # the bare land A-2 gets a contract start date: its clock runs from that date
    inv.update("A-2", agreed_start_date="2024-01-15", developed_share=0.0, at="2024-03-02")
    clocks = inv.idle_clocks(as_of="2025-06-01")
    assert list(clocks.index) == ["A-2"]
    assert clocks.at["A-2", "idle_land_from"] == pd.Timestamp("2025-01-15")
    assert clocks.at["A-2", "idle_land_state"] == "may_investigate"


def test_update_errors_list_every_problem_and_write_nothing(store, parcels):
    inv = am.Inventory.open(store)
    inv.add(parcels)
    n = len(inv.history("A-1"))
    with pytest.raises(am.ValidationError) as err:
        inv.update("A-1", status="sleeping", rent_yuan_m2_month=-3, colour="red")
    msg = str(err.value)
    assert "'status'" in msg and "sleeping" in msg
    assert "rent_yuan_m2_month" in msg and "negative" in msg
    assert "colour" in msg and "not an updatable field" in msg
    assert len(err.value.problems) == 3
    assert len(inv.history("A-1")) == n
    with pytest.raises(am.UnknownAssetError, match="NOPE"):
        inv.update("NOPE", status="idle")
    with pytest.raises(KeyError):  # still a KeyError for callers
        inv.update("NOPE", status="idle")


def test_geometry_change_is_an_event_and_updates_area(store, parcels):
    inv = am.Inventory.open(store)
    inv.add(parcels, at="2025-01-01")
    bigger = gpd.GeoSeries([square_lonlat(LON0, LAT0, 500)], crs="EPSG:4490")
    inv.update("A-1", geometry=bigger, at="2025-02-01", note="测绘更正")
    h = inv.history("A-1")
    assert h.iloc[-1]["field"] == "geometry"
    assert inv.assets().at["A-1", "land_area_m2"] == pytest.approx(
        geodesic_area_m2(bigger.iloc[0]), rel=2e-3
    )
    assert inv.assets(as_of="2025-01-15").at["A-1", "land_area_m2"] == pytest.approx(
        geodesic_area_m2(parcels.geometry[0]), rel=2e-3
    )


# ------------------------------------------------------------------ import


def test_reimport_updates_changed_fields_only(store, parcels):
    inv = am.Inventory.open(store)
    inv.add(parcels, at="2025-01-01")
    again = parcels.copy()
    again.loc[0, "rent_yuan_m2_month"] = 13.5
    again.loc[2, "status"] = "negotiating"
    rep = inv.add(again, at="2025-02-01")
    assert rep.created == [] and sorted(rep.updated) == ["A-1", "A-3"]
    assert rep.unchanged == ["A-2"]
    assert rep.events_written == 2
    h = inv.history("A-1")
    assert list(h["field"].iloc[1:]) == ["rent_yuan_m2_month"]
    rep2 = inv.add(again, at="2025-03-01")
    assert rep2.events_written == 0 and not rep2.committed


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # the NaN polygon
def test_bad_rows_are_rejected_with_row_field_reason(store, parcels):
    inv = am.Inventory.open(store)
    inv.add(parcels)
    bad = gpd.GeoDataFrame(
        {
            "asset_id": ["B-1", "B-2", "B-3", "B-4", "B-5", "B-6", None],
            "status": ["idle", "idle", "idle", "idle", "zombie", "idle", "idle"],
        },
        geometry=[
            square_lonlat(LON0 + 0.05, LAT0, 100),
            Polygon(),  # empty
            Polygon([(LON0, LAT0), (LON0 + 0.001, LAT0), (LON0 + 0.002, LAT0)]),  # zero area
            shapely.LineString([(LON0, LAT0), (LON0 + 0.001, LAT0 + 0.001)]),
            square_lonlat(LON0 + 0.06, LAT0, 100),
            Polygon([(LON0, LAT0), (np.nan, LAT0), (LON0, LAT0 + 0.001)]),
            square_lonlat(LON0 + 0.07, LAT0, 100),
        ],
        crs="EPSG:4490",
    )
    rep = inv.add(bad)
    assert rep.created == ["B-1"]
    rej = rep.rejected.set_index("row")
    assert set(rej.index) == {1, 2, 3, 4, 5, 6}
    assert rej.loc[4, "field"] == "status" and "zombie" in rej.loc[4, "reason"]
    assert rej.loc[6, "field"] == "asset_id"
    assert all(rej.loc[r, "field"] == "geometry" for r in (1, 2, 3, 5))
    assert len(inv.assets()) == 4  # nothing already stored was lost
    with pytest.raises(am.ValidationError, match="import refused") as err:
        inv.add(bad.assign(asset_id=[f"C-{i}" for i in range(7)]), on_error="raise")
    assert len(err.value.problems) >= 5
    assert len(inv.assets()) == 4


def test_invalid_polygon_is_repaired_and_reported(store):
    inv = am.Inventory.open(store)
    d = 0.004
    bowtie = Polygon([(LON0, LAT0), (LON0 + d, LAT0 + d), (LON0 + d, LAT0), (LON0, LAT0 + d)])
    gdf = gpd.GeoDataFrame({"asset_id": ["BT"]}, geometry=[bowtie], crs="EPSG:4490")
    rep = inv.add(gdf)
    assert rep.created == ["BT"]
    assert len(rep.repaired) == 1
    r = rep.repaired.iloc[0]
    assert "Self-intersection" in r["reason"]
    stored = inv.assets().loc["BT"]
    # the two triangles are kept (method="structure"): half of the d×d square
    full = geodesic_area_m2(shapely.box(LON0, LAT0, LON0 + d, LAT0 + d))
    assert stored["land_area_m2"] == pytest.approx(full / 2, rel=3e-3)
    assert r["area_after_m2"] == pytest.approx(stored["land_area_m2"])


def test_swapped_lat_lon_is_detected(store, parcels):
    inv = am.Inventory.open(store)
    swapped = parcels.copy()
    swapped["geometry"] = swapped.geometry.map(lambda g: shapely.transform(g, lambda c: c[:, ::-1]))
    rep = inv.add(swapped)
    assert rep.created == []
    assert rep.rejected["reason"].str.contains("swapped").all()
    rep = inv.add(swapped, swap_xy=True)
    assert rep.created == ["A-1", "A-2", "A-3"]
    assert inv.crs == CRS.from_epsg(4549)


def test_gcj02_points_are_converted(store):
    from assetmatch.geo import webmap

    lon, lat = 118.8700, 24.9500  # true position
    glon, glat = webmap.wgs84_to_gcj02(np.array([lon]), np.array([lat]))
    df = pd.DataFrame({"编号": ["P-1"], "经度": glon, "纬度": glat, "面积（亩）": [30]})
    inv = am.Inventory.open(store)
    rep = inv.add(df, coords="gcj02")
    assert rep.created == ["P-1"]
    a = inv.assets().to_crs("EPSG:4490")
    p = a.geometry.loc["P-1"]
    from pyproj import Geod

    _, _, dist = Geod(ellps="GRS80").inv(lon, lat, p.x, p.y)
    assert dist < 0.01  # centimetres
    # without the declaration, the point would be hundreds of metres off
    _, _, off = Geod(ellps="GRS80").inv(lon, lat, glon[0], glat[0])
    assert off > 100


def test_csv_with_chinese_headers_and_units(tmp_path, new_store):
    csv = tmp_path / "plants.csv"
    csv.write_text(
        "地块编号,名称,经度,纬度,面积（亩）,建筑面积（㎡）,租金（元/㎡/天）,用途,地类标准,状态,片区,供地方式\n"
        "Q-1,某鞋业闲置厂房,118.861,24.951,30,12000,0.5,1001,2020,闲置,张坂,租赁、出让\n"
        "Q-2,某石材厂,118.871,24.955,45.5,0,,0601,GB/T 21010-2017,低效,惠南,出让\n"
        "Q-3,坏行,118.881,24.957,abc,0,,1001,,闲置,杏东,租赁\n",
        encoding="utf-8",
    )
    inv = am.Inventory.open(new_store())
    rep = inv.import_file(csv)
    assert rep.created == ["Q-1", "Q-2"]
    rej = rep.rejected
    assert set(rej["row"]) == {4}  # spreadsheet row 4 (header is row 1)
    assert {"declared_land_area_m2", "land_use"} <= set(rej["field"])
    assert rej.loc[rej["field"] == "land_use", "reason"].str.contains("ambiguous").all()
    a = inv.assets()
    assert a.at["Q-1", "declared_land_area_m2"] == pytest.approx(30 * MU_M2)
    assert a.at["Q-1", "land_area_m2"] == pytest.approx(30 * MU_M2)  # no boundary: declared
    assert not a.at["Q-1", "has_boundary"]
    assert a.at["Q-1", "rent_yuan_m2_month"] == pytest.approx(0.5 * 365 / 12)
    assert a.at["Q-1", "status"] == "idle" and a.at["Q-2", "status"] == "low_efficiency"
    assert a.at["Q-1", "tenure"] == ["lease", "transfer"]
    assert a.at["Q-2", "land_use_scheme"] == "gbt21010-2017"
    assert a.at["Q-2", "land_class"] == "industrial"


def test_excel_sheet_with_wkt_and_total_rent(tmp_path, new_store):
    poly = square_lonlat(LON0, LAT0, 300)
    df = pd.DataFrame(
        {
            "ID": ["X-1"],
            "WKT": [poly.wkt],
            "建筑面积（万㎡）": [1.2],
            "月租金（万元）": [18],
            "状态": ["可招商"],
        }
    )
    xl = tmp_path / "sheet.xlsx"
    df.to_excel(xl, index=False)
    inv = am.Inventory.open(new_store())
    rep = inv.import_file(xl, crs="EPSG:4490")
    assert rep.created == ["X-1"], str(rep)
    a = inv.assets()
    assert a.at["X-1", "building_area_m2"] == pytest.approx(12_000)
    assert a.at["X-1", "rent_yuan_m2_month"] == pytest.approx(180_000 / 12_000)
    assert a.at["X-1", "land_area_m2"] == pytest.approx(geodesic_area_m2(poly), rel=2e-3)


@pytest.mark.parametrize(
    "driver,suffix",
    [
        ("GPKG", ".gpkg"),
        ("ESRI Shapefile", ".shp"),
        ("GeoJSON", ".geojson"),
        ("FlatGeobuf", ".fgb"),
        ("KML", ".kml"),
    ],
)
def test_vector_files_any_gdal_format(tmp_path, new_store, parcels, driver, suffix):
    src = tmp_path / f"in{suffix}"
    out = parcels[["asset_id", "name", "status", "geometry"]]
    if driver == "KML":
        out = out.to_crs("EPSG:4326")
    out.to_file(src, driver=driver)
    inv = am.Inventory.open(new_store())
    rep = inv.import_file(src)
    assert sorted(rep.created) == ["A-1", "A-2", "A-3"], str(rep)
    a = inv.assets()
    assert a.at["A-3", "land_area_m2"] == pytest.approx(
        geodesic_area_m2(parcels.geometry[2]), rel=2e-3
    )


def test_declared_area_disagreement_is_noted(store, parcels):
    p = parcels.copy()
    p["declared_land_area_m2"] = [160_000.0, np.nan, np.nan]  # A-1 is ~400x400 = 160,000 m²
    p.loc[1, "declared_land_area_m2"] = 100_000.0  # A-2 is ~62,500 m²
    inv = am.Inventory.open(store)
    rep = inv.add(p)
    assert list(rep.notes["asset_id"]) == ["A-2"]
    assert "the boundary's area is used" in rep.notes.iloc[0]["message"]
    a = inv.assets()
    assert a.at["A-2", "declared_land_area_m2"] == 100_000.0


def test_ambiguous_land_use_code_is_refused(store, parcels):
    p = parcels.drop(columns=["land_use_scheme"])
    inv = am.Inventory.open(store)
    rep = inv.add(p)
    assert rep.created == []  # 1101 is logistics in 2020 but a river (河流水面) in 21010
    bad = rep.rejected[rep.rejected["field"] == "land_use"].set_index("asset_id")
    assert set(bad.index) == {"A-1", "A-2", "A-3"}
    assert "railway" in bad.loc["A-1", "reason"] and "ambiguous" in bad.loc["A-1", "reason"]
    rep = inv.add(p, land_use_scheme="2020")
    assert sorted(rep.created) == ["A-1", "A-2", "A-3"]
    assert inv.assets().at["A-2", "land_class"] == "logistics_storage"


# ------------------------------------------------------------------ firms, layers, deals


def test_firms_layers_and_deals_round_trip(store, parcels):
    inv = am.Inventory.open(store)
    inv.add(parcels)
    firms = gpd.GeoDataFrame(
        {
            "firm_id": ["F1", "F2"],
            "name": ["鞋厂", "纸厂"],
            "industry": ["C19", "C2211"],
            "employees": [120, 80],
        },
        geometry=[Point(LON0 + 0.003, LAT0), Point(LON0 + 0.03, LAT0)],
        crs="EPSG:4490",
    )
    assert inv.add_firms(firms) == 2
    f = inv.firms()
    assert list(f.index) == ["F1", "F2"] and f.crs == inv.crs
    assert f.at["F2", "industry"] == "C2211"
    exits = gpd.GeoDataFrame(
        {"name": ["东园出口"]}, geometry=[Point(LON0, LAT0 + 0.02)], crs="EPSG:4490"
    )
    inv.add_layer("highway_exit", exits)
    assert inv.layers() == ["highway_exit"]
    assert inv.layer("highway_exit").crs == inv.crs
    deals = pd.DataFrame(
        [
            {
                "deal_id": "D1",
                "investor": "X",
                "industry": "C19",
                "signed_at": "2024-01-05",
                "asset_id": "A-1",
                "requirements": {"land_area_mu": [20, 40]},
                "outcome": "signed",
            }
        ]
    )
    inv.add_deals(deals)
    assert inv.deals().at[0, "requirements"] == {"land_area_mu": [20, 40]}
    with pytest.raises(am.ValidationError, match="firm"):
        inv.add_firms(firms.assign(industry=["C19", "shoes"]))


# ------------------------------------------------------------------ GDAL conformance


@requires_ogr
def test_gdal_reads_every_layer_with_counts_and_crs(store_path, parcels):
    inv = am.Inventory.open(store_path)
    inv.add(parcels)
    inv.update("A-1", status="leased")
    inv.add_firms(
        gpd.GeoDataFrame(
            {"firm_id": ["F1"], "industry": ["C19"]}, geometry=[Point(LON0, LAT0)], crs="EPSG:4490"
        )
    )
    inv.add_layer(
        "port", gpd.GeoDataFrame({"name": ["秀涂"]}, geometry=[Point(LON0, LAT0)], crs="EPSG:4490")
    )
    layers = ogr_layers(store_path)
    assert layers["assets"]["count"] == "3"
    assert layers["asset_events"]["count"] == "4"
    assert layers["firms"]["count"] == "1"
    assert layers["ref_port"]["count"] == "1"
    for name in ("assets", "firms", "ref_port"):
        assert layers[name]["crs_id"].startswith('ID["EPSG",4549]')


@requires_validator
def test_gdal_validator_passes(store_path, parcels):
    inv = am.Inventory.open(store_path)
    inv.add(parcels)
    inv.update("A-2", status="negotiating", rent_yuan_m2_month=10)
    inv.add_firms(
        gpd.GeoDataFrame(
            {"firm_id": ["F1"], "industry": ["C19"]}, geometry=[Point(LON0, LAT0)], crs="EPSG:4490"
        )
    )
    inv.add_layer(
        "port", gpd.GeoDataFrame({"name": ["秀涂"]}, geometry=[Point(LON0, LAT0)], crs="EPSG:4490")
    )
    inv.remove("A-3")
    code, out = run_validator(store_path)
    assert code == 0, out
    assert "ERROR" not in out.upper(), out


@requires_validator
def test_export_is_self_contained_and_valid(tmp_path, parcels):
    inv = am.Inventory.open(tmp_path / "live.gpkg")
    inv.add(parcels)
    inv.update("A-1", status="negotiating")
    dest = tmp_path / "mail" / "zone.gpkg"
    dest.parent.mkdir()
    inv.export(dest)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["zone.gpkg"]
    con = sqlite3.connect(dest)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert con.execute("SELECT count(*) FROM asset_events").fetchone()[0] == 4
    con.close()
    assert sorted(p.name for p in dest.parent.iterdir()) == ["zone.gpkg"]
    code, out = run_validator(dest)
    assert code == 0, out
    other = am.Inventory.open(dest)
    assert other.assets().at["A-1", "status"] == "negotiating"
    with pytest.raises(am.StoreError, match="exists"):
        inv.export(dest)


def test_rtree_and_feature_counts_match_rows(store_path, parcels):
    inv = am.Inventory.open(store_path)
    inv.add(parcels)
    inv.remove("A-2")
    moved = gpd.GeoSeries([square_lonlat(LON0, LAT0, 450)], crs="EPSG:4490")
    inv.update("A-1", geometry=moved)
    con = sqlite3.connect(store_path)
    n = con.execute("SELECT count(*) FROM assets").fetchone()[0]
    assert n == 2
    assert con.execute("SELECT count(*) FROM rtree_assets_geom").fetchone()[0] == n
    assert (
        con.execute(
            "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name='assets'"
        ).fetchone()[0]
        == n
    )
    # the index boxes are the geometries' envelopes
    rows = con.execute(
        "SELECT r.minx, r.maxx, r.miny, r.maxy, a.asset_id FROM rtree_assets_geom r "
        "JOIN assets a ON a.fid = r.id"
    ).fetchall()
    con.close()
    a = inv.assets()
    for minx, maxx, miny, maxy, aid in rows:
        b = a.geometry.loc[aid].bounds
        # SQLite's R-tree keeps 32-bit floats, rounded outwards: the box contains the envelope
        assert minx <= b[0] < minx + 0.5 and miny <= b[1] < miny + 0.5
        assert maxx - 0.5 < b[2] <= maxx and maxy - 0.5 < b[3] <= maxy


def test_import_does_not_touch_json_payload(store_path, parcels):
    inv = am.Inventory.open(store_path)
    inv.add(parcels)
    con = sqlite3.connect(store_path)
    value = con.execute("SELECT obstacles FROM assets WHERE asset_id='A-3'").fetchone()[0]
    con.close()
    stored = json.loads(value)  # the create event refers to this row (schema 2)
    rec = inv.history("A-3")["value"][0]
    for obstacles in (stored, rec["obstacles"]):
        assert obstacles[0]["kind"] == "planning_adjustment"
        assert obstacles[0]["delay_days"] == 180


def test_reimport_of_a_whole_zone_is_a_no_op(new_store):
    from assetmatch.demo.zone import generate_zone

    zone = generate_zone(seed=3, n_assets=400, n_firms=100)
    inv = am.Inventory.open(new_store())
    first = inv.add(zone.assets)
    assert len(first.created) == len(zone.assets)
    again = inv.add(zone.assets)
    assert len(again.unchanged) == len(zone.assets), again.updated[:5]
    assert again.events_written == 0
    changed = zone.assets.copy()
    changed.loc[changed.index[:7], "rent_yuan_m2_month"] = 99.0
    changed.loc[changed.index[3], "idle_since"] = date(2020, 1, 1)
    rep = inv.add(changed)
    assert len(rep.updated) == 7
    assert rep.events_written == 7 + (zone.assets["idle_since"].iloc[3] != date(2020, 1, 1))


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_web_map_firms_and_assets_are_converted(new_store, system):
    from pyproj import Geod

    from assetmatch.geo import webmap

    lon, lat = np.array([118.80, 118.81]), np.array([24.97, 24.98])
    to = webmap.wgs84_to_gcj02 if system == "gcj02" else webmap.wgs84_to_bd09
    wlon, wlat = to(lon, lat)
    inv = am.Inventory.open(new_store())
    df = pd.DataFrame(
        {
            "asset_id": ["W-1", "W-2"],
            "lon": wlon,
            "lat": wlat,
            "declared_land_area_m2": [10_000.0, 20_000.0],
        }
    )
    assert len(inv.add(df, coords=system).created) == 2
    firms = gpd.GeoDataFrame(
        {"firm_id": ["F1", "F2"], "industry": ["C39", "C22"]},
        geometry=gpd.points_from_xy(wlon, wlat),
        crs="EPSG:4326",
    )
    inv.add_firms(firms, coords=system)
    geod = Geod(ellps="GRS80")
    for got in (
        inv.assets().to_crs("EPSG:4490").geometry,
        inv.firms().to_crs("EPSG:4490").geometry,
    ):
        _, _, d = geod.inv(lon, lat, got.x.to_numpy(), got.y.to_numpy())
        assert np.all(d < 0.01)


def test_idle_spell_of_the_next_day_is_not_counted(store, parcels):
    from assetmatch.store import history

    inv = am.Inventory.open(store)
    p = parcels.assign(status="available")
    inv.add(p, at="2024-01-01")
    inv.update("A-1", status="idle", at="2024-06-02")
    ev = inv._store.read_events(["A-1"])
    assert pd.isna(history.idle_spells(ev, "2024-06-01").get("A-1"))
    assert history.idle_spells(ev, "2024-06-02")["A-1"] == pd.Timestamp("2024-06-02")


def test_land_use_update_takes_the_assets_scheme(store, parcels):
    inv = am.Inventory.open(store)
    inv.add(parcels)
    inv.update("A-1", land_use="0804")  # the asset's scheme is 2020
    a = inv.assets()
    assert a.at["A-1", "land_use"] == "0804" and a.at["A-1", "land_class"] == "education"
    with pytest.raises(am.ValidationError, match="land_use"):
        inv.update("A-1", land_use="9999")


def test_attribute_only_reimport_leaves_context_fresh(tmp_path):
    inv = am.Inventory.demo(tmp_path / "d.gpkg")
    inv.context()
    a = inv.assets(derived=False).reset_index()
    a.loc[a["asset_id"] == "TS-0005", "rent_yuan_m2_month"] = 9.9
    inv.add(a[["asset_id", "rent_yuan_m2_month", "geometry"]])
    assert inv._store.meta("context_dirty_assets") is None


def test_a_change_cannot_predate_its_asset(store, parcels):
    inv = am.Inventory.open(store)
    inv.add(parcels, at="2025-01-01")
    with pytest.raises(am.ValidationError, match="before A-1 entered the inventory"):
        inv.update("A-1", status="leased", at="2024-12-31")
    assert inv.assets().at["A-1", "status"] == "idle"


def test_repr_names_the_store_on_both_kinds(store, parcels):
    """repr() of an open inventory works on either store: the file, or the database named
    without a password (a PostGIS store has no path, which must not break a notebook's repr)."""
    with am.Inventory.open(store) as inv:
        inv.add(parcels.iloc[:3])
        text = repr(inv)
    assert text.startswith("Inventory(") and text.endswith("assets=3)")
    where = str(store)
    if where.startswith("postgresql://"):
        assert where.rsplit("/", 1)[1] in text  # the database's name
    else:
        assert where in text
