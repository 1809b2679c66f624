"""Tests of assetmatch.headers: header recognition with units, and Chinese enumerations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assetmatch import units
from assetmatch.ingest.headers import HeaderMatch, map_values, match_header, parse_unit
from assetmatch.schema import ASSET_COLUMNS

_DIMENSION = {
    "declared_land_area_m2": "area",
    "building_area_m2": "area",
    "rent_yuan_m2_month": "rent",
    "land_price_yuan_mu": "land_price",
    "tax_yuan_per_mu": "land_price",
    "output_yuan_per_mu": "land_price",
    "floor_height_m": "length",
    "floor_load_kn_m2": "floor_load",
    "power_kva": "power",
}


@pytest.mark.parametrize(
    ("header", "field", "unit"),
    [
        # areas, every common way of writing the unit
        ("面积（亩）", "declared_land_area_m2", "mu"),
        ("面积(亩)", "declared_land_area_m2", "mu"),
        ("用地面积/亩", "declared_land_area_m2", "mu"),
        ("占地面积（㎡）", "declared_land_area_m2", "m2"),
        ("面积(平方米)", "declared_land_area_m2", "m2"),
        ("面积 m2", "declared_land_area_m2", "m2"),
        ("面积亩", "declared_land_area_m2", "mu"),
        ("土地面积【公顷】", "declared_land_area_m2", "ha"),
        ("建筑面积（万㎡）", "building_area_m2", "wan_m2"),
        ("厂房面积(m²)", "building_area_m2", "m2"),
        ("建筑面积m2", "building_area_m2", "m2"),
        ("land area (mu)", "declared_land_area_m2", "mu"),
        ("land_area_mu", "declared_land_area_m2", "mu"),
        # rents
        ("租金（元/㎡/月）", "rent_yuan_m2_month", "yuan_m2_month"),
        ("租金(元/平方米·天)", "rent_yuan_m2_month", "yuan_m2_day"),
        ("租金(元/(㎡·月))", "rent_yuan_m2_month", "yuan_m2_month"),
        ("租金（元/㎡·年）", "rent_yuan_m2_month", "yuan_m2_year"),
        ("月租金（万元）", "rent_yuan_m2_month", "wan_yuan_month_total"),
        ("月租金(元)", "rent_yuan_m2_month", "yuan_month_total"),
        ("日租金(元/㎡)", "rent_yuan_m2_month", "yuan_m2_day"),
        ("rent_yuan_m2_day", "rent_yuan_m2_month", "yuan_m2_day"),
        ("Rent (yuan/m2/month)", "rent_yuan_m2_month", "yuan_m2_month"),
        # land prices and per-mu figures
        ("土地价格（万元/亩）", "land_price_yuan_mu", "wan_yuan_mu"),
        ("出让价格(元/亩)", "land_price_yuan_mu", "yuan_mu"),
        ("地价(元/㎡)", "land_price_yuan_mu", "yuan_m2_land"),
        ("land_price_wan_yuan_mu", "land_price_yuan_mu", "wan_yuan_mu"),
        ("亩均税收（万元/亩）", "tax_yuan_per_mu", "wan_yuan_mu"),
        ("亩均产值(万元)", "output_yuan_per_mu", "wan_yuan_mu"),
        # building and utility facts
        ("层高(m)", "floor_height_m", "m"),
        ("层高（米）", "floor_height_m", "m"),
        ("承重（kN/㎡）", "floor_load_kn_m2", "kn_m2"),
        ("楼面荷载(t/m2)", "floor_load_kn_m2", "t_m2"),
        ("楼面荷载（吨/平方米）", "floor_load_kn_m2", "t_m2"),
        ("变压器容量（kVA）", "power_kva", "kva"),
        ("用电容量(千瓦)", "power_kva", "kw"),
        ("电力(MVA)", "power_kva", "mva"),
        # canonical English names carry their unit
        ("rent_yuan_m2_month", "rent_yuan_m2_month", "yuan_m2_month"),
        ("building_area_m2", "building_area_m2", "m2"),
        ("land_area_m2", "declared_land_area_m2", "m2"),
        ("POWER_KVA", "power_kva", "kva"),
    ],
)
def test_headers_with_units(header, field, unit):
    match = match_header(header)
    assert match is not None, header
    assert (match.field, match.unit) == (field, unit)
    assert units.UNITS[match.unit].dimension == _DIMENSION[field]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("地块编号", "asset_id"), ("资产编号", "asset_id"), ("编号", "asset_id"),
        ("ID", "asset_id"),
        ("名称", "name"), ("项目名称", "name"), ("厂区名称", "name"),
        ("类型", "kind"), ("资产类型", "kind"),
        ("层数", "floors"), ("用途", "land_use"), ("土地用途", "land_use"),
        ("用地性质", "land_use"), ("地类", "land_use"), ("地类标准", "land_use_scheme"),
        ("分类标准", "land_use_scheme"), ("状态", "status"), ("现状", "status"),
        ("供地方式", "tenure"), ("流转方式", "tenure"), ("处置方式", "tenure"),
        ("闲置时间", "idle_since"), ("闲置起始", "idle_since"), ("可交付时间", "ready_date"),
        ("交地时间", "ready_date"), ("净地", "net_land"), ("是否净地", "net_land"),
        ("障碍", "obstacles"), ("制约因素", "obstacles"), ("存在问题", "obstacles"),
        ("片区", "district"), ("园区", "district"), ("区域", "district"),
        ("业主", "owner"), ("权利人", "owner"), ("产权人", "owner"),
        ("联系人", "contact"), ("联系方式", "contact"), ("电话", "contact"),
        ("联系人/电话", "contact"),
        ("经度", "lon"), ("lon", "lon"), ("lng", "lon"), ("Longitude", "lon"),
        ("纬度", "lat"), ("lat", "lat"), ("LATITUDE", "lat"),
        ("X", "x"), ("Y", "y"), ("X坐标", "x"), ("东坐标", "x"), ("北坐标", "y"),
        ("WKT", "wkt"), ("geometry", "wkt"), ("几何", "wkt"),
        ("Asset_ID", "asset_id"), ("Status", "status"), ("land_use_scheme", "land_use_scheme"),
        ("* 地块编号", "asset_id"), ("经度（GCJ-02）", "lon"),
    ],
)  # fmt: skip
def test_headers_without_units(header, field):
    match = match_header(header)
    assert match == HeaderMatch(field)


def test_every_canonical_column_is_recognised():
    for column in ASSET_COLUMNS:
        match = match_header(column)
        assert match is not None, column
        expected = "declared_land_area_m2" if column == "land_area_m2" else column
        assert match.field == expected


def test_bare_area_leaves_the_unit_to_the_caller():
    assert match_header("面积") == HeaderMatch("declared_land_area_m2", None, None)
    assert match_header("建筑面积") == HeaderMatch("building_area_m2", None, None)


def test_a_rent_without_its_period_is_ambiguous():
    match = match_header("租金(元/㎡)")
    assert match == HeaderMatch("rent_yuan_m2_month", None, "元/m2")


def test_an_unknown_unit_is_kept_as_text():
    match = match_header("面积（平方英尺）")
    assert match == HeaderMatch("declared_land_area_m2", None, "平方英尺")
    # a total land price is not a price per mu: no unit
    assert match_header("出让价格（万元）") == HeaderMatch("land_price_yuan_mu", None, "万元")


def test_a_unit_of_the_wrong_dimension_is_not_used():
    match = match_header("面积(元/亩)")
    assert match is not None and match.field == "declared_land_area_m2"
    assert match.unit is None and match.unit_text == "元/亩"


@pytest.mark.parametrize("header", ["备注", "序号", "", "   ", "用地面积/建筑面积", "remark"])
def test_unknown_or_mixed_headers(header):
    assert match_header(header) is None


def test_parse_unit_depends_on_the_field():
    assert parse_unit("元/㎡", "land_price_yuan_mu") == "yuan_m2_land"
    assert parse_unit("元/㎡", "rent_yuan_m2_month") is None
    assert parse_unit("万元", "rent_yuan_m2_month", "月租金") == "wan_yuan_month_total"
    assert parse_unit("万元/年", "tax_yuan_per_mu") == "wan_yuan_mu"
    assert parse_unit("kPa") == "kn_m2"
    assert parse_unit("furlongs") is None


# --------------------------------------------------------------------------- values


def test_status_values_in_chinese_and_english():
    values = pd.Series(
        ["闲置", "低效", "可招商", "待招商", "洽谈中", "预留", "意向", "已出租", "已出让", "已转让",
         "在用", "使用中", "撤回", "退出", " idle ", "Low efficiency", "in-use", None, np.nan, ""],
        index=[f"r{i}" for i in range(20)],
    )  # fmt: skip
    out, problems = map_values("status", values)
    assert problems == []
    assert list(out) == [
        "idle", "low_efficiency", "available", "available", "negotiating", "reserved",
        "reserved", "leased", "transferred", "transferred", "in_use", "in_use", "withdrawn",
        "withdrawn", "idle", "low_efficiency", "in_use", None, None, None,
    ]  # fmt: skip


def test_unknown_status_names_row_field_and_allowed_values():
    out, problems = map_values("status", pd.Series(["闲置", "已拆除"], index=["TS-1", "TS-2"]))
    assert list(out) == ["idle", None]
    assert len(problems) == 1
    p = problems[0]
    assert (p.row, p.field) == ("TS-2", "status")
    assert "'已拆除'" in p.reason and "idle (闲置" in p.reason and "withdrawn" in p.reason


def test_kind_values():
    out, problems = map_values("kind", ["土地", "空地", "地块", "厂房", "厂区", "园区", "campus"])
    assert problems == []
    assert list(out) == ["land", "land", "land", "factory", "campus", "campus", "campus"]
    _, problems = map_values("kind", ["写字楼"])
    assert problems[0].row == 0 and "land" in problems[0].reason


def test_tenure_lists():
    out, problems = map_values(
        "tenure",
        ["租赁、出让", "先租后让", "法拍", "司法拍卖", "出租,转让;先租后让", "租赁/出让",
         "lease", ["lease", "transfer"], "出让；出让", None],
    )  # fmt: skip
    assert problems == []
    assert list(out) == [
        ["lease", "transfer"],
        ["lease_then_transfer"],
        ["auction"],
        ["auction"],
        ["lease", "transfer", "lease_then_transfer"],
        ["lease", "transfer"],
        ["lease"],
        ["lease", "transfer"],
        ["transfer"],
        None,
    ]


def test_unknown_tenure_mode_is_a_problem():
    out, problems = map_values("tenure", pd.Series(["租赁、包租"], index=[7]))
    assert out[0] is None
    assert problems[0].row == 7 and problems[0].field == "tenure"
    assert "'包租'" in problems[0].reason and "lease_then_transfer" in problems[0].reason


def test_booleans():
    values = ["是", "否", "有", "无", "Y", "N", "true", "FALSE", "1", "0", 1, 0, 1.0, True, None]
    out, problems = map_values("net_land", values)
    assert problems == []
    assert list(out) == [True, False] * 6 + [True, True, None]
    _, problems = map_values("net_land", ["也许"])
    assert "是/否" in problems[0].reason


def test_map_values_rejects_other_fields():
    with pytest.raises(ValueError, match=r"'field' parameter of map_values.*'rent_yuan_m2_month'"):
        map_values("rent_yuan_m2_month", [1.0])


def test_map_values_handles_many_rows_by_distinct_value():
    values = pd.Series(["闲置", "低效", "在用"] * 30_000)
    out, problems = map_values("status", values)
    assert problems == [] and len(out) == 90_000
    assert out[-1] == "in_use"
