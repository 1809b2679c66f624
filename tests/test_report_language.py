"""A Chinese import report words every finding in Chinese.

A messy import (every kind of bad cell the importer knows, Chinese headers with units, invalid
and misplaced geometries, web-map coordinates) goes through ``Inventory.add``; every line of
``report.to_text("zh")`` must read without English words. What may stay in Latin letters: the
values the source gave (shown as given), codes a person types (``dayfirst=True``,
``swap_xy=True``, ``YYYY-MM-DD``, ``EPSG:4549``, ``GB/T 21010-2017``), acronyms and units.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import LineString, MultiPoint, Point, Polygon

import assetmatch as am
from assetmatch.ingest import wording
from conftest import LAT0, LON0, square_lonlat
from test_ingest_columns import CELLS, CHINESE, _frame

ROOT = Path(__file__).resolve().parents[1]

#: Latin-letter words a Chinese reason may hold: acronyms, units, product and scheme names.
ALLOWED = {
    "NaN",
    "JSON",
    "WKT",
    "EPSG",
    "GEOS",
    "YYYY",
    "MM",
    "DD",
    "Y",
    "N",
    "U",
    "GB",
    "T",
    "Excel",
    "WPS",
    "GeoSeries",
    "kN",
    "kVA",
    "MVA",
    "kW",
    "MW",
    "mu",
}
#: Code a person types, quoted in a reason as it must be typed.
CODE = re.compile(
    r"make_valid\(method='structure'\)|dayfirst=(True|False)|swap_xy=True|crs=\.\.\.|columns=|"
    r"land_use_scheme|EPSG:\d+|gbt21010-2017|tdsurvey3|YYYY-MM-DD|U\+[0-9A-F]{4}"
)


def _messy_geometries(n: int) -> list:
    bowtie = shapely.affinity.translate(
        shapely.affinity.scale(
            Polygon([(0, 0), (1, 1), (1, 0), (0, 1)]), 0.003, 0.003, origin=(0, 0)
        ),
        LON0 + 0.05,
        LAT0,
    )
    outer = square_lonlat(LON0 + 0.08, LAT0, 300)
    stray_hole = Polygon(outer.exterior, [square_lonlat(LON0 + 0.2, LAT0, 50).exterior])
    pool = [
        square_lonlat(LON0, LAT0, 300),
        bowtie,
        stray_hole,
        None,
        Polygon(),
        LineString([(LON0, LAT0), (LON0 + 0.01, LAT0)]),
        MultiPoint([(LON0, LAT0), (LON0 + 0.01, LAT0)]),
        Point(LAT0, LON0),  # swapped
        Point(float("nan"), LAT0),
        square_lonlat(LON0 + 0.03, LAT0, 0.01),  # a sliver
        Point(LON0 + 2.6, LAT0 - 5),  # outside the store CRS's area of use
        shapely.GeometryCollection([square_lonlat(LON0 + 0.1, LAT0, 200), Point(LON0, LAT0)]),
        shapely.GeometryCollection([Point(LON0, LAT0)]),
        Point(1e12, 1e12),
        Point(LON0 + 0.02, LAT0 + 0.01),
    ]
    return [pool[k % len(pool)] for k in range(n)]


def _values_shown(cells: dict) -> list[str]:
    """How a reason shows the source's cells that are not text (text is shown quoted)."""
    shown = set()
    for vals in cells.values():
        for v in vals:
            if isinstance(v, str):
                continue
            text = repr(v)
            shown.update({text, text[:37] + "..."})
    return sorted(shown, key=len, reverse=True)


def _english_words(reason: str, shown: list[str]) -> list[str]:
    """Latin-letter words of a reason that are neither allowed, code, nor the source's."""
    text = CODE.sub(" ", reason)
    text = re.sub(r"'[^']*'|\"[^\"]*\"", " ", text)  # quoted values and codes
    for s in shown:
        text = text.replace(s, " ")
    text = re.sub(r"\d[\d,.]*(e[-+]?\d+)?", " ", text)
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in ALLOWED]


def _check_chinese(report: am.ImportReport, shown: list[str]) -> None:
    """Every finding of ``report`` is worded in Chinese, and its text shows those words."""
    lines = report.to_text("zh", limit=100_000).splitlines()[1:]
    findings = [
        *zip(report.rejected["field"], report.rejected["reason"], strict=True),
        *((None, r) for r in report.repaired["reason"]),
        *zip(report.notes["field"], report.notes["message"], strict=True),
    ]
    assert len(lines) == len(findings) + (report.coords == "gcj02")
    english = {}
    for field, reason in findings:
        zh = wording.reason_zh(reason)
        label = report._column_name(field, "zh") if field else ""
        assert any(zh in line and label in line for line in lines), zh
        if words := _english_words(f"{label} {zh}", shown):
            english[reason] = words
    assert not english, "\n".join(f"{w}: {r}" for r, w in list(english.items())[:20])


MESSY_CELLS = {f: v for f, v in CELLS.items() if f not in ("lon", "lat")}


@pytest.fixture(scope="module", params=["wgs84", "gcj02"])
def messy_reports(request, tmp_path_factory) -> list[am.ImportReport]:
    """Reports of two messy imports: bad cells of every kind; good cells, messy shapes."""
    messy = _frame(MESSY_CELLS, chinese=True)
    messy = gpd.GeoDataFrame(messy, geometry=_messy_geometries(len(messy)), crs="EPSG:4490")
    n = 30  # good cells, messy geometries: repairs and notes on accepted rows
    shapes = gpd.GeoDataFrame(
        {
            "资产编号": [f"G{k}" for k in range(n)],
            "用途": ["工业", "仓储"] * (n // 2),
            "面积": [50_000.0] * n,  # no unit, and far from most boundaries
        },
        geometry=_messy_geometries(n),
        crs="EPSG:4490",
    )
    inv = am.Inventory.open(tmp_path_factory.mktemp("zh") / "zone.gpkg")
    inv.add(gpd.GeoDataFrame({"asset_id": ["Z0"]}, geometry=[Point(LON0, LAT0)], crs=4490))
    return [inv.add(f, coords=request.param, dayfirst=None) for f in (messy, shapes)]


def test_a_chinese_report_of_a_messy_import_has_no_english_reasons(messy_reports):
    messy, shapes = messy_reports
    assert len(messy.rejected) > 100
    assert len(shapes.repaired) and len(shapes.notes) and len(shapes.rejected)
    shown = _values_shown(MESSY_CELLS)
    for report in messy_reports:
        _check_chinese(report, shown)
    text = "\n".join(r.to_text("zh", limit=100_000) for r in messy_reports)
    assert "不是数字" in text and "缺少几何图形" in text and "已用 make_valid" in text
    # the English report keeps the English wording
    assert "is not a number" in messy.to_text(limit=100_000)


def test_every_reason_of_the_chinese_csv_path_is_worded_in_chinese(tmp_path):
    table = _frame(CELLS, chinese=True)
    path = tmp_path / "资产.csv"
    table.astype(str).replace({"None": "", "nan": ""}).to_csv(path, index=False)
    inv = am.Inventory.open(tmp_path / "zone.gpkg")
    report = inv.import_file(path)
    assert len(report.rejected) > 50
    _check_chinese(report, [])  # every cell of a CSV is text


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("'abc' is not a number", "'abc' 不是数字"),
        (
            "'03/04/2025' is ambiguous: day/month or month/day? write YYYY-MM-DD, or pass "
            "dayfirst=True (4月3日) or dayfirst=False (3月4日)",
            "'03/04/2025' 有歧义：是日/月还是月/日？请写作 YYYY-MM-DD，"
            "或传入 dayfirst=True（4月3日）或 dayfirst=False（3月4日）",
        ),
        (
            "'工业' read as 1001 工业用地 (industrial) in the 2020 classification "
            "(国土空间调查、规划、用途管制用地用海分类指南); give the code to be exact",
            "'工业' 按《国土空间调查、规划、用途管制用地用海分类指南》（2020）读作 1001 工业用地；"
            "如需准确，请填写地类代码",
        ),
        (
            "invalid Polygon (Self-intersection[118.86 24.95]) repaired with "
            "make_valid(method='structure'); area 1,234 → 1,200 (-2.8%)",
            "无效的多边形（自相交[118.86 24.95]），已用 make_valid(method='structure') 修复；"
            "面积 1,234 → 1,200（-2.8%）",
        ),
        ("missing geometry", "缺少几何图形（边界或位置）"),
        ("a reason no rule knows", "a reason no rule knows"),
    ],
)
def test_reasons_read_in_chinese(english, chinese):
    assert wording.reason_zh(english) == chinese


def test_unmapped_fields_are_named_in_chinese():
    report = am.ImportReport(source="x")
    assert report._column_name("geometry", "zh") == "几何图形"
    assert report._column_name("geometry", "en") == "geometry"
    report.columns = {"geometry": "经度/纬度"}
    assert report._column_name("geometry", "zh") == "经度/纬度"
    assert set(CHINESE) - {"lon", "lat"} <= set(wording.FIELD_ZH)


def _producer_reasons() -> list[str]:
    """Reasons as the importer's checks word them, straight from the checks."""
    from assetmatch.domain import landuse
    from assetmatch.geo import geometry
    from assetmatch.ingest import headers, pipeline, values
    from assetmatch.store import history

    out = []
    for code, scheme in [("10", "2020"), ("9999", "2020"), ("9999", None), (None, None)]:
        with pytest.raises(am.LandUseError) as err:
            landuse.resolve(code, scheme)
        out.append(str(err.value))
    for v in [None, "", 12, "03/04/2025", "yesterday", "1800-01-01"]:
        with pytest.raises(ValueError) as err:
            history.check_date(v)
        out.append(str(err.value))
    for field, v in [("status", "bogus"), ("kind", "x"), ("tenure", "租或卖"), ("net_land", "?")]:
        out += [p.reason for p in headers.map_values(field, [v])[1]]
    out += [values.id_problem(v) for v in (None, "a\x00", "x" * 201)]
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    shell = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)])
    stray = Polygon(shell.exterior, [Polygon([(9, 9), (9, 10), (10, 10), (10, 9)]).exterior])
    check = geometry.check_geometries(
        [
            LineString([(0, 0), (1, 1)]),
            MultiPoint([(0, 0), (1, 1)]),
            Point(0, 0),
            shapely.GeometryCollection([Point(0, 0)]),
            shapely.GeometryCollection([shell, Point(0, 0)]),
            bowtie,
            stray,
            Polygon(stray.exterior, [*stray.interiors, Polygon(bowtie).exterior]),
            Polygon([(0, 0), (1, 0), (2, 0), (0, 0)]),
            Polygon([(0, 0), (1, 1), (1, 1), (0, 0)]),
        ],
        allow_points=False,
    )
    out += [p.reason for p in check.problems] + [r["reason"] for r in check.repairs]
    frame = pipeline.pd.DataFrame({"wkt": ["POLYGON ((0 0, 1"]})
    _, probs = pipeline.table_geometry(
        frame, pipeline.ColumnMap({"wkt": ("wkt", None)}, []), crs="EPSG:4490"
    )
    out += [p.reason for p in probs]
    typos = gpd.GeoSeries([Point(218.6, 24.9), Point(0, 0)], crs="EPSG:4490")
    prepared = pipeline.prepare_geometry(typos, store_crs=CRS.from_epsg(4549))
    out += [p.reason for p in prepared.problems]
    # a ledger's totals line, as the spreadsheet reader leaves it out; a unit the column
    # cannot take; an approximate number
    ledger = pipeline.pd.DataFrame(
        {
            "编号": ["A", "B"],
            "经度": [118.86, 118.87],
            "纬度": [24.95, 24.95],
            "用地面积（亩）": ["35 acres", "35"],
            "租金（元/㎡·月）": ["12", "约12"],
        },
        index=pipeline.pd.Index([5, 7], name="row"),
    )
    ledger.attrs["totals_rows"] = [(8, "合计")]
    report = pipeline.prepare_assets(ledger, store_crs=CRS.from_epsg(4549)).report
    return out + list(report.notes["message"]) + list(report.rejected["reason"])


def test_each_check_of_the_import_is_worded_in_chinese(messy_reports):
    reasons = [r for r in _producer_reasons() if r]
    assert len(reasons) >= 25
    untranslated = {}
    for reason in reasons:
        zh = wording.reason_zh(reason)
        if zh == reason or _english_words(zh, []):
            untranslated[reason] = zh
    assert not untranslated, untranslated
    # every rule is used by these checks or by the messy imports above (wgs84 and gcj02)
    hit = set()
    seen = [
        *(r for rep in messy_reports for r in rep.rejected["reason"]),
        *(r for rep in messy_reports for r in rep.repaired["reason"]),
        *(r for rep in messy_reports for r in rep.notes["message"]),
    ]
    for reason in [*reasons, *seen]:
        for part in (reason, *reason.split("; ")):
            hit |= {k for k, (rule, _) in enumerate(wording._COMPILED) if rule.fullmatch(part)}
    unused = [wording._RULES[k][0][:60] for k in range(len(wording._RULES)) if k not in hit]
    # not reached here: a formula cell without a value (an .xlsx written by a script), a name
    # meaning different classes in different schemes, a polygon of zero area that is valid, a
    # point the store CRS cannot project
    assert len(unused) <= 4, unused


def test_columns_that_match_no_field_are_named_in_the_report(parcels, tmp_path):
    # A misspelt or unknown header is kept (in each asset's extra attributes) and said in the
    # report, in both languages, so nobody wonders why a column they filled did nothing.
    frame = parcels.copy()
    frame["业主微信"] = ["wx1", "wx2", "wx3"]
    frame["rnet_yuan"] = [10.0, None, 12.0]
    with am.Inventory.open(tmp_path / "x.gpkg", create=True) as inv:
        report = inv.add(frame, at="2025-01-01")
        assert report.extra_columns == ["业主微信", "rnet_yuan"]
        en, zh = report.to_text("en").splitlines(), report.to_text("zh").splitlines()
        assert en[1] == (
            "  2 column(s) matched no field and were kept as extra attributes: 业主微信, rnet_yuan"
        )
        assert zh[1] == "  未识别的列 2 个，原样存入其他属性（extra）：业主微信、rnet_yuan"
        assert "kept as extra attributes: 业主微信, rnet_yuan" in report._repr_html_()
        assert inv.assets().loc["A-2", "extra"] == {"业主微信": "wx2"}
        plain = inv.add(parcels, at="2025-02-01")
        assert plain.extra_columns == []
        assert len(plain.to_text("en").splitlines()) == 1


def test_the_sample_spreadsheet_fills_every_column(tmp_path):
    # data/plants.xlsx heads its district column 所在片区; it once matched no field, so every
    # imported asset lost its district into extra (the report line above made it visible).
    with am.Inventory.open(tmp_path / "x.gpkg") as inv:
        report = inv.import_file(ROOT / "data" / "plants.xlsx", at="2025-01-01")
        assert report.extra_columns == []
        assert report.columns["district"] == "所在片区"
        assert inv.assets().loc["PL-001", "district"] == "杏东"
