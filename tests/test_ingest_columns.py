"""The column paths of the import give what the per-cell parsers give, cell for cell.

``prepare_assets`` reads typical cells a column at a time (:mod:`assetmatch.ingest.vector`)
and hands the rest to the per-cell parsers; inside ``vector.per_cell()`` every cell goes
through the per-cell parsers. On messy inputs (mixed units, blanks, bad and ambiguous dates
with every ``dayfirst``, 亩 and ㎡, thousands separators, full-width digits, Chinese words,
GCJ-02 coordinates, invalid geometries …) both give the same frame, the same problems (row,
field, reason, in the same order), notes and repairs.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon

from assetmatch.ingest import pipeline, vector
from conftest import LAT0, LON0, square_lonlat

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    derandomize=True,  # the same examples every run; explore with --hypothesis-seed=<n>
)

# ---------------------------------------------------------------------------- messy cells

NUMBERS = [
    12.5,
    0,
    7,
    -3.0,
    float("nan"),
    float("inf"),
    1e308,
    10**400,
    True,
    np.float32("nan"),
    np.float64(2.5),
    None,
    pd.NA,
    "12",
    "12.50",
    " 12 ",
    "1,234.5",
    "1，234",
    "１２３",
    "12.5.1",
    "-5",
    "1e3",
    "1_000",
    "inf",
    "nan",
    "",
    "-",
    "—",
    "无数据",
    "12亩",
    "abc",
    "12\x00",
    "\u300045",
    ".5",
    "5.",
    "0x10",
]
DATES = [
    "2025-03-04",
    "2025-02-30",
    "2025-3-4",
    "2025年3月4日",
    "2025年3月4",
    "2025年03月",
    "2025年3月",
    "2025年13月4日",
    "２０２５-03-04",
    " 2025-03-04 ",
    "03/04/2025",
    "04/04/2025",
    "13/04/2025",
    "2025/3/4",
    "1899-12-31",
    "2201-01-01",
    "1900-01-01",
    "2200-12-31",
    "yesterday",
    "",
    "-",
    None,
    pd.NaT,
    float("nan"),
    45000,
    45000.5,
    12,
    dt.date(2024, 5, 6),
    dt.date(1800, 1, 1),
    dt.datetime(2024, 5, 6, 23, 30),
    dt.datetime(2024, 5, 6, 23, 30, tzinfo=dt.UTC),
    pd.Timestamp("2023-01-02 03:04"),
    pd.Timestamp("2023-01-02 20:00", tz="UTC"),
    np.datetime64("2024-01-01"),
]
STATUSES = ["idle", " idle", "闲置", "IDLE", "low efficiency", "bogus", "", "-", None, 3, "可招商"]
KINDS = ["land", "厂房", "土地+厂房", "factory ", "x", None, float("nan")]
TENURES = [
    ["lease"],
    ["lease", "transfer"],
    [" lease"],
    ["lease", "bogus"],
    [],
    [1],
    [["x"]],
    "先租后让、出让",
    "lease,transfer",
    "transfer",
    '["lease","transfer"]',
    "[bad json",
    "租售均可",
    "出租或拍卖",
    None,
    "",
    np.array(["lease"]),
    ("auction",),
]
BOOLS = [True, False, np.bool_(True), "是", "否", "Y", "no", 1, 0, 2, 0.0, "maybe", None, "", "无"]
OBSTACLES = [
    [],
    [{"kind": "other", "description": "x", "delay_days": 3}],
    [{"kind": "relocation", "description": "搬迁", "delay_days": None}],
    [{"kind": "bad"}],
    [{"kind": "other", "delay_days": -1}],
    [{"kind": "other", "delay_days": "soon"}],
    [{"kind": "other", "delay_days": 10**400}, {"kind": "", "delay_days": float("nan")}],
    [{"kind": "demolition", "delay_days": float("inf")}],
    [{"kind": "other", "delay_days": True, "description": "x"}],
    [{"kind": ["other"]}],
    ["not a dict"],
    "规划调整（约3个月）；搬迁(20天)",
    "无",
    "[]",
    '[{"kind": "relocation"}]',
    "[bad",
    5,
    None,
]
TEXTS = ["甲厂房", "  乙地块 ", "\u3000丙", "无数据", "-", "", None, 12, 3.5, "None", "a\nb"]
SHARES = [0.35, "35%", "35％", 35, 1.5, "-0.1", "abc", None, 0, "0.2", "1,0", float("inf")]
IDS = ["A1", "A2", "A1", None, "", "a\x00b", "x" * 201, 123, " A3 ", "A\u0085", "Ａ4", "-"]
LAND_USES = ["工业", "1001", "0601", "仓储", "教育", "bogus", "工业用地", None, "", "1001 "]
SCHEMES = ["2020", "tdsurvey3", "gbt21010-2017", None, "nonsense", ""]
LONS = [LON0, str(LON0), f" {LON0} ", "１１８.８６", "-", "", None, "abc", float("inf"), 118.0]
LATS = [LAT0, str(LAT0), LAT0 + 0.01, "24,95", None, float("nan"), "-24.95", 24.95]

#: Chinese headers (with units) and the canonical field each feeds.
CHINESE = {
    "asset_id": "资产编号",
    "name": "名称",
    "kind": "类型",
    "declared_land_area_m2": "面积（亩）",
    "building_area_m2": "建筑面积（万㎡）",
    "floors": "层数",
    "rent_yuan_m2_month": "月租金（万元）",
    "land_price_yuan_mu": "地价（万元/亩）",
    "status": "状态",
    "tenure": "供地方式",
    "idle_since": "闲置时间",
    "ready_date": "交付时间",
    "net_land": "是否净地",
    "developed_share": "已开发面积比例（%）",
    "invested_share": "投资比例",
    "land_use": "用途",
    "land_use_scheme": "地类标准",
    "obstacles": "障碍",
    "district": "片区",
    "lon": "经度",
    "lat": "纬度",
}

CELLS: dict[str, list[Any]] = {
    "asset_id": IDS,
    "name": TEXTS,
    "kind": KINDS,
    "declared_land_area_m2": NUMBERS,
    "building_area_m2": NUMBERS,
    "floors": NUMBERS,
    "rent_yuan_m2_month": NUMBERS,
    "land_price_yuan_mu": NUMBERS,
    "status": STATUSES,
    "tenure": TENURES,
    "idle_since": DATES,
    "ready_date": DATES,
    "net_land": BOOLS,
    "developed_share": SHARES,
    "invested_share": SHARES,
    "land_use": LAND_USES,
    "land_use_scheme": SCHEMES,
    "obstacles": OBSTACLES,
    "district": TEXTS,
    "lon": LONS,
    "lat": LATS,
}


def _column(values: list[Any]) -> pd.Series:
    cells = np.empty(len(values), dtype=object)
    for k, v in enumerate(values):  # element by element: lists and arrays stay cells
        cells[k] = v
    return pd.Series(cells, dtype=object)


def _frame(cells: dict[str, list[Any]], *, chinese: bool) -> pd.DataFrame:
    n = max(len(v) for v in cells.values())
    data = {
        (CHINESE[f] if chinese else f): _column([vals[k % len(vals)] for k in range(n)])
        for f, vals in cells.items()
    }
    frame = pd.DataFrame(data)
    frame.index = pd.RangeIndex(2, 2 + n)  # spreadsheet rows, as read from a file
    return frame


# ---------------------------------------------------------------------------- comparison


def _canon(v: Any) -> Any:
    """A value with its type, NaN made comparable, lists and dicts compared inside."""
    if isinstance(v, float) and math.isnan(v):
        return ("nan", type(v).__name__)
    if isinstance(v, list | tuple):
        return (type(v).__name__, [_canon(i) for i in v])
    if isinstance(v, dict):
        return ("dict", sorted((k, _canon(i)) for k, i in v.items()))
    if isinstance(v, np.ndarray):
        return ("ndarray", [_canon(i) for i in v.tolist()])
    if isinstance(v, shapely.Geometry):
        return ("geom", shapely.to_wkb(v))
    if v is pd.NA or v is pd.NaT or v is None:
        return (repr(v),)
    return (type(v).__name__, v)


def _same_frame(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert a.index.equals(b.index)
    assert dict(a.dtypes.astype(str)) == dict(b.dtypes.astype(str))
    for c in a.columns:
        assert [_canon(v) for v in a[c]] == [_canon(v) for v in b[c]], c


def _prepare(source: Any, **kw: Any) -> Any:
    try:
        return pipeline.prepare_assets(source, store_crs=None, **kw)
    except Exception as exc:  # both paths must refuse alike
        return exc


def _both(source: Any, **kw: Any) -> tuple[Any, Any]:
    fast = _prepare(source, **kw)
    with vector.per_cell():
        ref = _prepare(source, **kw)
    if isinstance(ref, Exception) or isinstance(fast, Exception):
        assert type(fast) is type(ref) and str(fast) == str(ref)
        return fast, ref
    _same_frame(fast.frame, ref.frame)
    assert fast.given == ref.given
    assert str(fast.crs) == str(ref.crs)
    for part in ("rejected", "notes", "repaired"):
        _same_frame(getattr(fast.report, part), getattr(ref.report, part))
    assert fast.report.to_text("zh", limit=10_000) == ref.report.to_text("zh", limit=10_000)
    return fast, ref


# ---------------------------------------------------------------------------- tables


@pytest.mark.parametrize("chinese", [False, True])
@pytest.mark.parametrize("dayfirst", [None, True, False])
def test_every_messy_cell_reads_as_the_per_cell_parsers_read_it(chinese, dayfirst):
    fast, _ = _both(_frame(CELLS, chinese=chinese), dayfirst=dayfirst)
    rejected = fast.report.rejected
    # the table reaches the per-cell parsers' problems, not only the column paths
    assert {"asset_id", "idle_since", "status", "tenure", "obstacles", "net_land"} <= set(
        rejected["field"]
    )
    dates = rejected[rejected["field"] == "idle_since"]
    assert dates["reason"].str.contains("ambiguous").any() == (dayfirst is None)
    assert len(fast.frame) > 0  # and some rows pass


def test_typical_typed_columns_take_the_column_paths_and_agree():
    n = 40
    rng = np.random.default_rng(3)
    frame = gpd.GeoDataFrame(
        {
            "asset_id": pd.array([f"T{k}" for k in range(n)], dtype="str"),
            "name": pd.array([f"厂房{k}" for k in range(n)], dtype="str"),
            "declared_land_area_m2": rng.uniform(1e3, 1e5, n),
            "floors": pd.array([None if k % 3 else k for k in range(n)], dtype="Int64"),
            "rent_yuan_m2_month": np.where(rng.random(n) < 0.2, np.nan, 12.0),
            "net_land": rng.random(n) < 0.5,
            "idle_since": pd.to_datetime(["2021-03-04"] * (n - 1) + [None]),
            "ready_date": [dt.date(2024, 1, 1 + k % 28) for k in range(n)],
            "tenure": [["lease", "transfer"] if k % 2 else ["auction"] for k in range(n)],
            "status": pd.array(["idle", "available"] * (n // 2), dtype="str"),
            "obstacles": [[] for _ in range(n)],
        },
        geometry=[square_lonlat(LON0 + 0.01 * k, LAT0, 200) for k in range(n)],
        crs="EPSG:4490",
    )
    fast, _ = _both(frame)
    assert len(fast.frame) == n and fast.report.rejected.empty
    assert fast.frame["floors"].isna().sum() == n - len(range(0, n, 3))
    assert set(fast.frame["idle_since"].dropna()) == {"2021-03-04"}


def test_messy_geometries_and_web_map_coordinates_agree():
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    scale = 0.002

    def moved(g):
        return shapely.affinity.translate(
            shapely.affinity.scale(g, scale, scale, origin=(0, 0)), LON0, LAT0
        )

    geoms = [
        square_lonlat(LON0, LAT0, 300),
        moved(bowtie),
        None,
        Polygon(),
        Point(LON0 + 0.02, LAT0),
        LineString([(LON0, LAT0), (LON0 + 0.01, LAT0)]),
        Point(LAT0, LON0),  # swapped
        Point(float("nan"), LAT0),
        square_lonlat(LON0 + 0.03, LAT0, 0.01),  # a sliver
        Point(LON0 + 2.5, LAT0 - 3),  # far outside the zone's CRS
    ]
    frame = gpd.GeoDataFrame(
        {"asset_id": [f"G{k}" for k in range(len(geoms))], "面积（亩）": ["135", "1,000"] * 5},
        geometry=geoms,
        crs="EPSG:4326",
    )
    for coords in ("wgs84", "gcj02"):
        fast, _ = _both(frame, coords=coords)
        assert len(fast.report.repaired) == 1
        assert fast.report.rejected["row"].nunique() >= 5


# ---------------------------------------------------------------------------- properties


def _cells(field: str) -> st.SearchStrategy[Any]:
    pool = CELLS[field]
    return st.sampled_from(range(len(pool))).map(lambda k: pool[k])


@st.composite
def messy_frames(draw: st.DrawFn) -> tuple[pd.DataFrame, bool | None]:
    n = draw(st.integers(1, 8))
    fields = draw(
        st.sets(st.sampled_from(sorted(set(CELLS) - {"asset_id", "lon", "lat"})), max_size=8)
    )
    cells = {f: [draw(_cells(f)) for _ in range(n)] for f in ["asset_id", "lon", "lat", *fields]}
    chinese = draw(st.booleans())
    return _frame(cells, chinese=chinese), draw(st.sampled_from([None, True, False]))


@SETTINGS
@given(messy_frames())
def test_random_messy_frames_read_alike(case):
    frame, dayfirst = case
    _both(frame, dayfirst=dayfirst)


@SETTINGS
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.integers(-(10**20), 10**20),
            st.from_regex(r"\A\s?[-+]?[0-9０-９,，]{0,6}(\.[0-9]{0,3})?\s?\Z", fullmatch=True),
            st.text(max_size=6),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_random_numbers_read_alike(cells):
    col = _column(cells)
    for parse in (
        lambda v, p: pipeline.parse_values(
            pd.DataFrame({"building_area_m2": v}),
            pipeline.ColumnMap({"building_area_m2": ("building_area_m2", None)}, []),
        ),
        lambda v, p: pipeline._parse_signed(v, "lon", p),
    ):
        fast_p: list = []
        fast = parse(col, fast_p)
        ref_p: list = []
        with vector.per_cell():
            ref = parse(col, ref_p)
        if isinstance(fast, tuple):
            _same_frame(fast[0], ref[0])
            assert fast[1:] == ref[1:]
        else:
            assert [_canon(v) for v in fast] == [_canon(v) for v in ref]
            assert fast_p == ref_p


@SETTINGS
@given(
    st.lists(
        st.one_of(
            st.dates(dt.date(1800, 1, 1), dt.date(2300, 12, 31)),
            st.dates().map(lambda d: d.isoformat()),
            st.dates(dt.date(1890, 1, 1), dt.date(2210, 1, 1)).map(
                lambda d: f"{d.year}年{d.month}月{d.day}日"
            ),
            st.tuples(st.integers(0, 9999), st.integers(0, 19), st.integers(0, 39)).map(
                lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}"
            ),
            st.tuples(st.integers(1, 31), st.integers(1, 31), st.integers(1890, 2210)).map(
                lambda t: f"{t[0]:02d}/{t[1]:02d}/{t[2]}"
            ),
            st.datetimes(dt.datetime(1850, 1, 1), dt.datetime(2250, 1, 1)),
            st.text(max_size=11),
        ),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from([None, True, False]),
)
def test_random_dates_read_alike(cells, dayfirst):
    frame = pd.DataFrame({"idle_since": _column(cells)})
    mapping = pipeline.ColumnMap({"idle_since": ("idle_since", None)}, [])
    fast = pipeline.parse_values(frame, mapping, dayfirst=dayfirst)
    with vector.per_cell():
        ref = pipeline.parse_values(frame, mapping, dayfirst=dayfirst)
    _same_frame(fast[0], ref[0])
    assert fast[1:] == ref[1:]


# ---------------------------------------------------------------------------- helpers


def test_first_coordinates_and_finiteness_match_a_loop_over_geometries():
    geoms = np.array(
        [
            Point(1, 2),
            None,
            Polygon(),
            Polygon([(3, 4), (5, 4), (5, 6)]),
            shapely.GeometryCollection([Point(7, 8), Point(9, 9)]),
            Point(float("nan"), 1),
            LineString([(0, 0), (float("inf"), 1)]),
            shapely.MultiPolygon([Polygon([(1, 1), (2, 1), (2, 2)])]),
        ],
        dtype=object,
    )
    first = pipeline._first_xy(geoms)
    want = [[1, 2], [np.nan] * 2, [np.nan] * 2, [3, 4], [7, 8], [np.nan, 1], [0, 0], [1, 1]]
    np.testing.assert_array_equal(first, np.array(want, dtype=float))
    finite = pipeline._finite(geoms)
    assert finite.tolist() == [True, False, True, True, True, False, False, True]


def test_only_real_blanks_count_as_missing_cells():
    obj = np.array(
        [None, float("nan"), np.float64("nan"), pd.NA, pd.NaT, np.float32("nan"), 0.0, "", "x"],
        dtype=object,
    )
    blank = vector.null_blank(obj, vector.Types(obj)).tolist()
    assert blank == [True, True, True, True, True, False, False, False, False]


def test_the_white_space_a_column_check_knows_is_what_strip_removes():
    import sys

    spaces = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    assert spaces == vector.PY_WHITESPACE
    assert all(not (c + "x").strip().startswith(c) for c in vector.PY_WHITESPACE)


@pytest.mark.parametrize(
    "cells",
    [
        ["甲", "乙", None],
        [" 甲", "乙", None],
        ["甲\x1c", "乙", "丙"],
        ["甲", "-", "丙"],
        ["甲", "无数据", None],
        ["甲", "\u3000", "丙"],
        [None, None, None],
    ],
)
def test_arrow_text_columns_kept_as_they_are_only_when_nothing_changes(cells):
    frame = gpd.GeoDataFrame(
        {
            "asset_id": pd.array(["T1", "T2", "T3"], dtype="str"),
            "name": pd.array(cells, dtype="str"),
            "status": pd.array([c and "idle" for c in cells], dtype="str"),
            "kind": pd.array(["land", "land", c if (c := cells[1]) else None], dtype="str"),
        },
        geometry=[square_lonlat(LON0 + 0.01 * k, LAT0, 200) for k in range(3)],
        crs="EPSG:4490",
    )
    _both(frame)
