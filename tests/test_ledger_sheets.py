"""Spreadsheets as zones keep them (台账): a title, the reporting unit and units above the
header, a totals line at the bottom. The header is found, rows keep their sheet numbers, the
totals line is left out and said."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

import assetmatch as am
from assetmatch.ingest.readers import header_position, two_line_names

LON0, LAT0 = 118.86, 24.95


def _ledger_rows() -> list[list[object]]:
    return [
        ["泉州某园区闲置低效用地台账（2025年6月）", None, None, None, None, None],
        ["填报单位：园区管委会", None, None, None, "单位：亩", None],
        [None, None, None, None, None, None],  # a blank line before the header
        ["序号", "编号", "名称", "经度", "纬度", "用地面积（亩）"],
        [1, "L-1", "一号厂房", LON0, LAT0, 35],
        [2, "L-2", "二号厂房", LON0 + 0.01, LAT0, "abc"],  # sheet row 6: refused, named so
        [3, "L-3", "三号地块", LON0 + 0.02, LAT0, 20],
        ["合 计", None, None, None, None, 55],  # sheet row 8
    ]


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _csv(path: Path, rows: list[list[object]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["" if c is None else c for c in r] for r in rows])
    return path


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_ledger_is_read_from_its_header_and_its_totals_line_is_left_out(tmp_path, kind):
    make = _xlsx if kind == "xlsx" else _csv
    src = make(tmp_path / f"ledger.{kind}", _ledger_rows())
    inv = am.Inventory.open(tmp_path / "zone.gpkg")
    rep = inv.import_file(src)
    assert rep.header_row == 4
    assert rep.created == ["L-1", "L-3"]
    assert rep.rejected[["row", "asset_id", "field"]].values.tolist() == [
        [6, "L-2", "declared_land_area_m2"]
    ]
    assert rep.notes[["row", "message"]].values.tolist() == [
        [8, "a totals line (合 计), not an asset: skipped"]
    ]
    assert inv.assets().at["L-1", "declared_land_area_m2"] == pytest.approx(35 * 2000 / 3)
    text, zh = rep.to_text(), rep.to_text(lang="zh")
    assert "header read on row 4 (the 3 row(s) above it" in text
    assert "表头在第 4 行（其上 3 行为标题或说明" in zh
    assert "note row 8: a totals line (合 计)" in text and "(None)" not in text
    assert "提示 第 8 行: 合计行（合 计），不是资产，已跳过" in zh


def test_a_sheet_with_its_header_first_reads_as_before(tmp_path):
    rows = _ledger_rows()[3:7]  # header on line 1
    rep = am.Inventory.open(tmp_path / "zone.gpkg").import_file(_xlsx(tmp_path / "s.xlsx", rows))
    assert rep.header_row == 1 and rep.created == ["L-1", "L-3"]
    assert rep.rejected["row"].tolist() == [3]
    assert "header read on row" not in rep.to_text()


def test_the_header_is_the_line_naming_the_most_fields():
    title = ["某园区用地台账", None, None]
    header = ["编号", "经度", "纬度"]
    data = ["A", 118.8, 24.9]
    assert header_position([header, data]) == (0, 1)
    assert header_position([title, [None] * 3, header, data]) == (2, 1)
    # one recognised word above is not a header: a line must name at least two fields
    assert header_position([["名称", None, None], ["x", 1, 2]]) == (0, 1)
    # a header beyond the lines searched is not found (the first line stays the header)
    assert header_position([title] * 12 + [header]) == (0, 1)
    # groups over their parts, on two lines
    upper = ["编号", "位置", None, "面积", None]
    lower = [None, "经度", "纬度", "土地（亩）", "建筑（㎡）"]
    assert header_position([title, upper, lower, ["A", 118.8, 24.9, 3, 0]]) == (1, 2)
    assert two_line_names(upper, lower) == [
        "编号",
        "经度",
        "纬度",
        "土地（亩）面积",
        "建筑（㎡）面积",
    ]


def test_a_formula_without_a_value_is_named_at_its_sheet_row_under_a_title(tmp_path):
    rows = [*_ledger_rows()[:5], [2, "L-2", "二号厂房", LON0 + 0.01, LAT0, "=F5*2"]]
    src = _xlsx(tmp_path / "f.xlsx", rows)  # openpyxl stores the formula, no computed value
    rep = am.Inventory.open(tmp_path / "zone.gpkg").import_file(src)
    assert rep.created == ["L-1", "L-2"]
    formula = rep.notes[rep.notes["message"].str.contains("formula")]
    assert formula[["row", "asset_id"]].values.tolist() == [[6, "L-2"]]


def test_a_frame_given_directly_is_not_searched_for_a_header(tmp_path):
    frame = pd.DataFrame({"编号": ["A"], "经度": [LON0], "纬度": [LAT0], "名称": ["合计"]})
    rep = am.Inventory.open(tmp_path / "zone.gpkg").add(frame)
    assert rep.created == ["A"] and rep.header_row == 1


def test_cells_written_with_their_unit_read_in_the_columns_unit(tmp_path):
    rows = [
        [
            "编号",
            "经度",
            "纬度",
            "用地面积（亩）",
            "建筑面积（㎡）",
            "租金（元/㎡·月）",
            "土地价格（万元/亩）",
            "层数",
        ],
        ["U-1", LON0, LAT0, "35亩", "1.2万", "12元", "380000元", "4层"],
        ["U-2", LON0 + 0.01, LAT0, "35.5 亩", "12,000㎡", "12元/㎡·年", "38万元", "3F"],
        ["U-3", LON0 + 0.02, LAT0, "40", "1.2万㎡", "0.5元/㎡·天", "38万", "2"],
        ["U-4", LON0 + 0.03, LAT0, "35 acres", "1000", "12", "38", "2"],  # refused: acres
        ["U-5", LON0 + 0.04, LAT0, "35-40", "1000", "12万元/月", "38", "2"],  # refused twice
    ]
    rep = am.Inventory.open(tmp_path / "zone.gpkg").import_file(_csv(tmp_path / "u.csv", rows))
    assert rep.created == ["U-1", "U-2", "U-3"]
    a = am.Inventory.open(tmp_path / "zone.gpkg").assets()
    mu = 2000 / 3
    assert a.loc[["U-1", "U-2", "U-3"], "declared_land_area_m2"].tolist() == pytest.approx(
        [35 * mu, 35.5 * mu, 40 * mu]
    )
    assert a.loc[["U-1", "U-2", "U-3"], "building_area_m2"].tolist() == [12_000.0] * 3
    from assetmatch import units

    days = units.DAYS_PER_MONTH
    assert a.loc[["U-1", "U-2", "U-3"], "rent_yuan_m2_month"].tolist() == pytest.approx(
        [12.0, 1.0, 0.5 * days]
    )
    assert a.loc[["U-1", "U-2", "U-3"], "land_price_yuan_mu"].tolist() == [380_000.0] * 3
    assert a.loc[["U-1", "U-2", "U-3"], "floors"].tolist() == [4, 3, 2]
    why = rep.rejected[["row", "field", "reason"]].values.tolist()
    assert why == [
        [5, "declared_land_area_m2", "'35 acres': the unit 'acres' does not fit this column"],
        [6, "declared_land_area_m2", "'35-40' is not a number"],
        [6, "rent_yuan_m2_month", "'12万元/月': the unit '万元/月' does not fit this column"],
    ]
    assert "'35 acres'：单位 'acres' 与该列不符" in rep.to_text(lang="zh")


def test_a_cell_in_another_unit_of_the_same_kind_is_converted(tmp_path):
    rows = [["编号", "经度", "纬度", "用地面积（㎡）"], ["V-1", LON0, LAT0, "3亩"]]
    inv = am.Inventory.open(tmp_path / "zone.gpkg")
    inv.import_file(_csv(tmp_path / "v.csv", rows))
    assert inv.assets().at["V-1", "declared_land_area_m2"] == pytest.approx(2000.0)


def test_an_approximate_number_is_read_and_noted(tmp_path):
    rows = [
        ["编号", "经度", "纬度", "用地面积（亩）", "租金（元/㎡·月）"],
        ["W-1", LON0, LAT0, "约35", "~12元"],
        ["W-2", LON0 + 0.01, LAT0, "大约 20亩", "12"],
    ]
    inv = am.Inventory.open(tmp_path / "zone.gpkg")
    rep = inv.import_file(_csv(tmp_path / "w.csv", rows))
    assert rep.created == ["W-1", "W-2"]
    a = inv.assets()
    assert a.loc[["W-1", "W-2"], "declared_land_area_m2"].tolist() == pytest.approx(
        [35 * 2000 / 3, 20 * 2000 / 3]
    )
    assert a.at["W-1", "rent_yuan_m2_month"] == 12.0
    assert sorted(rep.notes[["row", "field", "message"]].values.tolist()) == [
        [2, "declared_land_area_m2", "'约35' read as 35 (an approximate value)"],
        [2, "rent_yuan_m2_month", "'~12元' read as 12 (an approximate value)"],
        [3, "declared_land_area_m2", "'大约 20亩' read as 20 (an approximate value)"],
    ]
    assert "'约35' 按 35 读取（约数）" in rep.to_text(lang="zh")


def test_a_second_column_for_a_field_is_named_as_such_not_as_unmatched(tmp_path):
    rows = [
        ["编号", "经度", "纬度", "土地面积（亩）", "土地面积（㎡）", "备注"],
        ["S-1", LON0, LAT0, "35", "23333", "<临街>"],
    ]
    inv = am.Inventory.open(tmp_path / "zone.gpkg")
    rep = inv.import_file(_csv(tmp_path / "s.csv", rows))
    assert rep.extra_columns == ["土地面积（㎡）", "备注"]  # both kept, as before
    assert rep.shadowed_columns == {"土地面积（㎡）": "土地面积（亩）"}
    text, zh = rep.to_text().splitlines(), rep.to_text(lang="zh").splitlines()
    assert "  1 column(s) matched no field and were kept as extra attributes: 备注" in text
    assert (
        "  column 土地面积（㎡） names the same field as 土地面积（亩）, which was read; kept as "
        "an extra attribute"
    ) in text
    assert (
        "  列 土地面积（㎡） 与已读取的列 土地面积（亩） 对应同一字段，原样存入其他属性（extra）"
        in zh
    )
    html = rep._repr_html_()
    assert "names the same field as 土地面积（亩）" in html and "matched no field" in html
    assert inv.assets().at["S-1", "declared_land_area_m2"] == pytest.approx(35 * 2000 / 3)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_header_on_two_lines_with_groups_over_their_parts(tmp_path, kind):
    rows = [
        ["某园区存量厂房台账", None, None, None, None, None],
        ["编号", "名称", "位置", None, "面积", None],  # 位置 and 面积 merged over two columns
        [None, None, "经度", "纬度", "土地（亩）", "建筑（㎡）"],
        ["T-1", "一号厂房", LON0, LAT0, 35, 12000],
        ["T-2", "二号厂房", LON0 + 0.01, LAT0, "abc", 8000],  # sheet row 5
        ["合计", None, None, None, 35, 20000],
    ]
    make = _xlsx if kind == "xlsx" else _csv
    inv = am.Inventory.open(tmp_path / "zone.gpkg")
    rep = inv.import_file(make(tmp_path / f"two.{kind}", rows))
    assert (rep.header_row, rep.header_lines) == (3, 2)
    assert rep.created == ["T-1"]
    assert rep.rejected[["row", "field"]].values.tolist() == [[5, "declared_land_area_m2"]]
    assert rep.notes["row"].tolist() == [6]
    a = inv.assets()
    assert a.at["T-1", "declared_land_area_m2"] == pytest.approx(35 * 2000 / 3)
    assert a.at["T-1", "building_area_m2"] == 12000
    assert "header read on rows 2–3 (the 1 row(s) above it" in rep.to_text()
    assert "表头在第 2–3 行（其上 1 行为标题或说明，未作为数据读取）" in rep.to_text(lang="zh")
    assert rep.columns["building_area_m2"] == "建筑（㎡）面积"  # the report names it so
