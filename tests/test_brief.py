"""Chinese briefs: Requirements.from_text / parse_brief on briefs written the way staff write them.

The expected fields are written by hand from the text (they are the spec). The conventions the
parser states in its vocabulary table: about (约/左右) is ±10 %, a month is 30 days, a bare
land area reads as about, a bare floor area as a minimum, a bare rent as a maximum.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import assetmatch as am
from assetmatch.brief import parse_brief, vocabulary
from assetmatch.demo.zone import PUBLIC_BRIEFS

AS_OF = date(2026, 3, 1)
DEMO_DEALS = Path(__file__).resolve().parents[1] / "data" / "demo_zone" / "deals.csv"
T_PER_M2 = 9.80665  # kN/m² per t/m² (standard gravity)

# (brief, expected fields) — every brief must be read completely
BRIEFS: list[tuple[str, dict]] = [
    (
        "教育项目，约170亩，现成厂房6万平方米以上，租金每平方米每月18元以内，半年内入驻，先租后让",
        {
            "industry": "P83",
            "land_area_mu": (153.0, 187.0),
            "building_area_m2": (60000.0, None),
            "max_rent_yuan_m2_month": 18.0,
            "ready_within_days": 180.0,
            "tenure": ["lease_then_transfer"],
        },
    ),
    (
        "电子项目，用地30-50亩，层高8米以上，先租后让",
        {
            "industry": "C39",
            "land_area_mu": (30.0, 50.0),
            "min_floor_height_m": 8.0,
            "tenure": ["lease_then_transfer"],
        },
    ),
    (
        "鞋业，用地50亩以上，购地",
        {"industry": "C19", "land_area_mu": (50.0, None), "tenure": ["transfer"]},
    ),
    ("纺织项目，用地不超过20亩", {"industry": "C17", "land_area_mu": (None, 20.0)}),
    (
        "食品厂，用地15至20亩，工业用地",
        {"industry": "C14", "land_area_mu": (15.0, 20.0), "land_use": "1001"},
    ),
    ("用地一百五十亩左右", {"land_area_mu": (135.0, 165.0)}),
    ("用地１２０亩以上，出让", {"land_area_mu": (120.0, None), "tenure": ["transfer"]}),
    ("占地2公顷左右", {"land_area_mu": (27.0, 33.0)}),
    ("用地3万平方米以上", {"land_area_m2": (30000.0, None)}),
    ("厂房１万㎡左右", {"building_area_m2": (9000.0, 11000.0)}),
    ("标准厂房5000平米以上，只租", {"building_area_m2": (5000.0, None), "tenure": ["lease"]}),
    ("厂房两万平方米至三万平方米", {"building_area_m2": (20000.0, 30000.0)}),
    ("现成厂房不少于2.5万平方米", {"building_area_m2": (25000.0, None)}),
    ("车间8000m2", {"building_area_m2": (8000.0, None)}),
    ("厂房6万平", {"building_area_m2": (60000.0, None)}),
    ("租金18元/㎡/月以内", {"max_rent_yuan_m2_month": 18.0}),
    ("租金不超过15元每平方米每月", {"max_rent_yuan_m2_month": 15.0}),
    ("月租12元/平米以内", {"max_rent_yuan_m2_month": 12.0}),
    ("租金0.6元/平方米/天以内", {"max_rent_yuan_m2_day": 0.6}),
    ("租金十五元以内", {"max_rent_yuan_m2_month": 15.0}),
    ("租金每平方米每月15-18元", {"max_rent_yuan_m2_month": 18.0}),
    ("地价不超过30万元/亩", {"max_land_price_yuan_mu": 300000.0}),
    ("土地价格每亩25万元以内", {"max_land_price_yuan_mu": 250000.0}),
    ("层高不低于9米", {"min_floor_height_m": 9.0}),
    ("净高10m以上", {"min_floor_height_m": 10.0}),
    ("承重1.5吨/平方米", {"min_floor_load_kn_m2": round(1.5 * T_PER_M2, 6)}),
    ("地面承重3吨", {"min_floor_load_kn_m2": round(3 * T_PER_M2, 6)}),
    ("楼面荷载5kN/㎡以上", {"min_floor_load_kn_m2": 5.0}),
    ("供电容量2000kVA以上", {"min_power_kva": 2000.0}),
    ("变压器不小于1250KVA", {"min_power_kva": 1250.0}),
    ("用电容量两千千伏安", {"min_power_kva": 2000.0}),
    ("三个月内交付", {"ready_within_days": 90.0}),
    ("半年内入驻", {"ready_within_days": 180.0}),
    ("一年半内投产", {"ready_within_days": 540.0}),
    ("45天内进场", {"ready_within_days": 45.0}),
    ("年底前投产", {"ready_within_days": float((date(2026, 12, 31) - AS_OF).days)}),
    ("6月底前入驻", {"ready_within_days": float((date(2026, 6, 30) - AS_OF).days)}),
    ("2026年5月1日前交地", {"ready_within_days": 61.0}),
    ("明年底前投产", {"ready_within_days": float((date(2027, 12, 31) - AS_OF).days)}),
    ("租赁、出让均可", {"tenure": ["lease", "transfer"]}),
    ("租售均可", {"tenure": ["lease", "transfer"]}),
    ("法拍的也可以", {"tenure": ["auction"]}),
    ("可接受司法拍卖，先租后让", {"tenure": ["auction", "lease_then_transfer"]}),
    ("优先杏东片区", {"districts": ["杏东"]}),
    ("张坂或惠南园区", {"districts": ["张坂", "惠南"]}),
    ("远离化工企业2公里", {"avoid_industries": {"C26": 2000.0}}),
    ("远离化工", {"avoid_industries": {"C26": 1000.0}}),
    ("靠近电子企业", {"near_industries": {"C39": 1.0}}),
    ("服装项目，靠近同行", {"industry": "C18", "near_industries": {"C18": 1.0}}),
    (
        "物流仓储用地，物流企业，用地20亩",
        {"land_use": "1101", "industry": "G59", "land_area_mu": (18.0, 22.0)},
    ),
    ("教育用地，学校", {"land_use": "0804", "industry": "P83"}),
    (
        "投资方：福建衡中教育科技集团",
        {"investor": "福建衡中教育科技集团", "industry": "P83"},
    ),
    (
        "福建利澳纸业有限公司，扩建用地四十至八十亩，只接受出让",
        {
            "investor": "福建利澳纸业有限公司",
            "industry": "C22",
            "land_area_mu": (40.0, 80.0),
            "tenure": ["transfer"],
        },
    ),
    ("重点考虑面积和进度", {"priorities": {"size": 5, "readiness": 5}}),
    ("优先级：面积5、进度4、成本3", {"priorities": {"size": 5, "readiness": 4, "cost": 3}}),
    (
        "塑胶项目；用地必须30亩以上；厂房1万平方米",
        {
            "industry": "C29",
            "land_area_mu": (30.0, None),
            "building_area_m2": (10000.0, None),
            "must": ["tenure", "land_use", "near", "size"],
        },
    ),
    (
        "新材料 用地150亩左右 厂房不少于5万平米 租赁、出让、先租后让均可 三个月内交付",
        {
            "industry": "C28",
            "land_area_mu": (135.0, 165.0),
            "building_area_m2": (50000.0, None),
            "tenure": ["lease", "transfer", "lease_then_transfer"],
            "ready_within_days": 90.0,
        },
    ),
    (
        "机械加工，厂房3000-5000平方米，层高8米，承重2吨，租金每月每平米15元左右，三个月内入驻",
        {
            "industry": "C34",
            "building_area_m2": (3000.0, 5000.0),
            "min_floor_height_m": 8.0,
            "min_floor_load_kn_m2": round(2 * T_PER_M2, 6),
            "max_rent_yuan_m2_month": 15.0,
            "ready_within_days": 90.0,
        },
    ),
]


# Briefs written after the parser, then run once before any fix (quoted in the closing note):
# 76 of 79 fields right (96.2 %) and 7 of 20 briefs read completely; the misses were words the
# vocabulary lacked (日租, 公斤/平方米, 2026年底, 元器件, 零部件, 印染 …), added since.
# 冷库 and a bare 厂房 (no figure) have no field and stay reported.
HELD_OUT: list[tuple[str, dict]] = [
    (
        "某鞋服企业拟扩产，需标准厂房2万平方米左右，层高不低于6米，租金不超过16元/平方米/月，两个月内可入驻",
        {
            "industry": "C19",
            "building_area_m2": (18000.0, 22000.0),
            "min_floor_height_m": 6.0,
            "max_rent_yuan_m2_month": 16.0,
            "ready_within_days": 60.0,
        },
    ),
    (
        "食品加工项目，需净地30亩，工业用地，出让方式，年内开工",
        {
            "industry": "C14",
            "land_area_mu": (27.0, 33.0),
            "land_use": "1001",
            "tenure": ["transfer"],
            "ready_within_days": 305.0,
        },
    ),
    (
        "电子元器件生产，厂房8000平方米以上，承重500公斤/平方米，供电1000kVA，先租后让",
        {
            "industry": "C39",
            "building_area_m2": (8000.0, None),
            "min_floor_load_kn_m2": round(0.5 * T_PER_M2, 6),
            "min_power_kva": 1000.0,
            "tenure": ["lease_then_transfer"],
        },
    ),
    (
        "物流企业，仓库1.5万平方米，层高9米以上，租金12元以内",
        {
            "industry": "G59",
            "building_area_m2": (15000.0, None),
            "min_floor_height_m": 9.0,
            "max_rent_yuan_m2_month": 12.0,
        },
    ),
    (
        "新材料项目用地约80亩，惠南园区优先，购地",
        {
            "industry": "C28",
            "land_area_mu": (72.0, 88.0),
            "districts": ["惠南"],
            "tenure": ["transfer"],
        },
    ),
    (
        "纸制品企业，需用地40亩至60亩，地价每亩不超过20万元",
        {"industry": "C22", "land_area_mu": (40.0, 60.0), "max_land_price_yuan_mu": 200000.0},
    ),
    (
        "职业学校项目，教育用地，用地100亩以上，远离化工企业1公里以上",
        {
            "industry": "P83",
            "land_use": "0804",
            "land_area_mu": (100.0, None),
            "avoid_industries": {"C26": 1000.0},
        },
    ),
    (
        "纺织印染，用地五十亩，三个月内交地，只考虑张坂",
        {
            "industry": "C17",
            "land_area_mu": (45.0, 55.0),
            "ready_within_days": 90.0,
            "districts": ["张坂"],
        },
    ),
    (
        "塑料制品，厂房3000至5000平米，租赁",
        {"industry": "C29", "building_area_m2": (3000.0, 5000.0), "tenure": ["lease"]},
    ),
    (
        "机械设备制造，厂房不小于1万平方米，地面承重10吨",
        {
            "industry": "C34",
            "building_area_m2": (10000.0, None),
            "min_floor_load_kn_m2": round(10 * T_PER_M2, 6),
        },
    ),
    (
        "石材加工项目，用地20-30亩，靠近同行业企业",
        {"industry": "C30", "land_area_mu": (20.0, 30.0), "near_industries": {"C30": 1.0}},
    ),
    (
        "服装企业，厂房5000平方米，租金每平米每月不超过15元，一个月内入驻",
        {
            "industry": "C18",
            "building_area_m2": (5000.0, None),
            "max_rent_yuan_m2_month": 15.0,
            "ready_within_days": 30.0,
        },
    ),
    (
        "研发中心，科研用地10亩左右",
        {"industry": "M73", "land_use": "0802", "land_area_mu": (9.0, 11.0)},
    ),
    (
        "电器生产项目：用地约60亩，厂房4万平方米以上，供电容量3000千伏安，6个月内投产",
        {
            "industry": "C38",
            "land_area_mu": (54.0, 66.0),
            "building_area_m2": (40000.0, None),
            "min_power_kva": 3000.0,
            "ready_within_days": 180.0,
        },
    ),
    (
        "农产品加工，用地15亩，冷库，远离化工",
        {"industry": "C13", "land_area_mu": (13.5, 16.5), "avoid_industries": {"C26": 1000.0}},
    ),
    (
        "汽车零部件项目，厂房2万平方米以上，层高10米，先租后让，杏东或张坂",
        {
            "industry": "C36",
            "building_area_m2": (20000.0, None),
            "min_floor_height_m": 10.0,
            "tenure": ["lease_then_transfer"],
            "districts": ["杏东", "张坂"],
        },
    ),
    (
        "医药企业用地约40亩，出让，2026年底前开工",
        {
            "industry": "C27",
            "land_area_mu": (36.0, 44.0),
            "tenure": ["transfer"],
            "ready_within_days": 305.0,
        },
    ),
    (
        "家具厂，厂房1万平米左右，租金日租0.5元/平方米以内",
        {"industry": "C21", "building_area_m2": (9000.0, 11000.0), "max_rent_yuan_m2_day": 0.5},
    ),
    (
        "五金制品，用地10至15亩，租售均可，半年内交付",
        {
            "industry": "C33",
            "land_area_mu": (10.0, 15.0),
            "tenure": ["lease", "transfer"],
            "ready_within_days": 180.0,
        },
    ),
    (
        "化纤企业，法拍厂房，用地150亩左右，厂房6万平方米以上",
        {
            "industry": "C28",
            "tenure": ["auction"],
            "land_area_mu": (135.0, 165.0),
            "building_area_m2": (60000.0, None),
        },
    ),
]
HELD_OUT_UNREAD = {
    "农产品加工，用地15亩，冷库，远离化工": [("冷库", "冷库")],
    "化纤企业，法拍厂房，用地150亩左右，厂房6万平方米以上": [("法拍厂房", "厂房")],
}


@pytest.mark.parametrize(("text", "expected"), HELD_OUT, ids=[b[0][:16] for b in HELD_OUT])
def test_held_out_briefs(text: str, expected: dict) -> None:
    parsed = parse_brief(text, as_of=AS_OF)
    assert parsed.fields == expected
    assert parsed.unparsed == HELD_OUT_UNREAD.get(text, [])


@pytest.mark.parametrize(("text", "expected"), BRIEFS, ids=[b[0][:16] for b in BRIEFS])
def test_brief_is_read_completely(text: str, expected: dict) -> None:
    parsed = parse_brief(text, as_of=AS_OF)
    assert parsed.unparsed == []
    assert parsed.problems == []
    assert parsed.fields == expected
    req = am.Requirements.from_text(text, as_of=AS_OF)
    assert req == am.Requirements(**expected)


def test_at_least_forty_briefs() -> None:
    assert len(BRIEFS) >= 40


def test_accuracy_over_the_briefs() -> None:
    """Field-level accuracy over all briefs (quoted in the closing note): every field right."""
    right = total = 0
    for text, expected in BRIEFS:
        got = parse_brief(text, as_of=AS_OF).fields
        for k, v in expected.items():
            total += 1
            right += got.get(k) == v
        total += len(set(got) - set(expected))  # a field read that is not there is wrong
    assert right == total


# ---------------------------------------------------------------------- what it cannot read


@pytest.mark.parametrize(
    ("text", "leftover"),
    [
        ("电子项目，要有员工宿舍", [("要有员工宿舍", "要有员工宿舍")]),
        ("用地50亩，双回路供电", [("双回路供电", "双回路供电")]),
        ("租期5年", [("租期5年", "租期: no field for the lease term")]),
        ("行车承重10吨", [("行车承重10吨", "行车: no field for a crane's lifting capacity")]),
        ("距高速出口5公里以内", [("距高速出口5公里以内", "距高速出口5公里以内")]),
        ("用电1000千瓦", [("用电1000千瓦", "用电1000千瓦")]),
        ("需要2万平方米", [("需要2万平方米", "需要20000平方米")]),
    ],
)
def test_what_it_cannot_read_is_reported(text: str, leftover: list) -> None:
    parsed = parse_brief(text, as_of=AS_OF)
    assert parsed.unparsed == leftover
    with pytest.raises(am.ValidationError) as err:
        am.Requirements.from_text(text, as_of=AS_OF)
    assert leftover[0][1] in str(err.value)


def test_minimum_rent_is_not_a_field() -> None:
    parsed = parse_brief("租金18元/㎡/月以上", as_of=AS_OF)
    assert parsed.unparsed == [("租金18元/m2/月以上", "a minimum rent?")]
    assert "max_rent_yuan_m2_month" not in parsed.fields


def test_given_twice_is_reported() -> None:
    parsed = parse_brief("用地50亩以上，用地80亩以上", as_of=AS_OF)
    assert parsed.fields["land_area_mu"] == (50.0, None)
    assert parsed.unparsed[0][0] == "用地80亩以上"
    assert "given twice" in parsed.unparsed[0][1]


def test_invalid_fields_become_problems() -> None:
    parsed = parse_brief("用地80至50亩以上，出让", as_of=AS_OF)  # a range is ordered, still valid
    assert parsed.requirements is not None and parsed.requirements.land_area_mu == (50.0, 80.0)
    parsed = parse_brief("远离化工0米", as_of=AS_OF)
    assert parsed.requirements is None
    assert parsed.problems and parsed.problems[0].field.startswith("avoid_industries")


def test_not_a_text() -> None:
    for bad in ("", "   ", None, 12):
        with pytest.raises(am.ValidationError, match="non-empty text"):
            parse_brief(bad)  # type: ignore[arg-type]
    with pytest.raises(am.ValidationError, match="as_of"):
        parse_brief("用地50亩", as_of="next week")


@pytest.mark.parametrize(
    ("spaced", "tight"),
    [
        ("需要 100 到 200 亩 工业用地", "需要100到200亩，工业用地"),
        ("租金 18 元/㎡/月 以内, 面积 150 亩 左右", "租金18元/㎡/月以内，面积150亩左右"),
        ("交地 90 天 内", "交地90天内"),
    ],
)
def test_spaces_typed_inside_a_quantity_read_as_without_them(spaced: str, tight: str) -> None:
    """Staff type "100 到 200 亩" with spaces; a space inside a quantity is not a clause break."""
    a, b = parse_brief(spaced, as_of="2026-12-04"), parse_brief(tight, as_of="2026-12-04")
    assert a.fields == b.fields and a.fields
    assert a.unparsed == []


def test_two_numbers_apart_stay_apart() -> None:
    """Spaces between two bare numbers are still a break: nothing is glued into 100200."""
    p = parse_brief("100 200", as_of="2026-12-04")
    assert p.fields == {}
    assert [u for u, _ in p.unparsed] == ["100", "200"]


def test_deadline_counts_from_today_by_default() -> None:
    days = parse_brief("年底前投产").fields["ready_within_days"]
    today = date.today()
    assert days == float((date(today.year, 12, 31) - today).days)


# ---------------------------------------------------------------------- vocabulary table


def test_lease_then_transfer_is_one_arrangement_not_lease_or_transfer(tmp_path) -> None:
    """先租后让: a lease that becomes a transfer once the agreed conditions are met (the source is
    in the table). A site offered for lease or for transfer does not meet it by itself: it is a
    near miss, not a match; 可租可让 is not read (no source found for it, 2026-12-04)."""
    row = next(r for r in vocabulary() if r["term"] == "先租后让")
    assert row["value"] == "lease_then_transfer" and "checked 2026-12-04" in row["source"]
    parsed = parse_brief("教育项目，约170亩，可租可让")  # refused, saying which word: not guessed
    assert [p.reason for p in parsed.all_problems()] == ["could not read '可让' in '可租可让'"]
    gp = pytest.importorskip("geopandas")
    from conftest import LAT0, LON0, square_lonlat

    sites = gp.GeoDataFrame(
        {
            "asset_id": ["EITHER", "LTT"],
            "kind": ["campus", "campus"],
            "status": ["idle", "idle"],
            "tenure": [["lease", "transfer"], ["lease_then_transfer"]],
        },
        geometry=[square_lonlat(LON0, LAT0, 300), square_lonlat(LON0 + 0.01, LAT0, 300)],
        crs="EPSG:4490",
    )
    with am.Inventory.open(tmp_path / "tenure.gpkg") as inv:
        inv.add(sites, on_error="raise")
        res = am.match(
            {"tenure": ["lease_then_transfer"], "must": ["tenure"]}, inventory=inv, top=5
        )
        assert res.table["asset_id"].tolist() == ["LTT"]
        assert res.near_misses["asset_id"].tolist() == ["EITHER"]


def test_vocabulary_rows_say_where_they_come_from() -> None:
    rows = vocabulary()
    assert len(rows) > 200
    for r in rows:
        assert set(r) == {"kind", "term", "value", "note", "source"}
        assert r["source"], r
    industries = {r["term"]: r["value"] for r in rows if r["kind"] == "industry"}
    assert industries["造纸"] == "C22" and industries["电子"] == "C39"
    assert all(am.requirements.is_industry_code(c) for c in industries.values())
    land_uses = [r["value"] for r in rows if r["kind"] == "land_use"]
    from assetmatch.domain import landuse

    for code in land_uses:
        assert landuse.resolve(code, "2020").land_class  # every code is in the 2020 table


# ---------------------------------------------------------------------- round trips


PUBLIC_TEXTS = {
    "hengzhong": (
        "投资方：Hengzhong Education；教育项目，教育用地，用地150-200亩，厂房5万平方米以上，"
        "租赁、出让均可，租金每平方米每月18元以内，三个月内入驻，靠近同行，远离化工企业2公里，"
        "优先级：面积5、进度5、成本3、协同2"
    ),
    "xingxun": (
        "投资方：Xingxun New Materials；化纤项目，工业用地，用地140至170亩，厂房5万平方米以上，"
        "先租后让、出让、租赁均可，重点考虑面积和厂房"
    ),
}


@pytest.mark.parametrize("key", sorted(PUBLIC_TEXTS))
def test_public_briefs_round_trip(key: str) -> None:
    got = am.Requirements.from_text(PUBLIC_TEXTS[key], as_of=AS_OF)
    want = am.Requirements(**PUBLIC_BRIEFS[key])
    assert got.model_dump(exclude={"investor"}) == want.model_dump(exclude={"investor"})


def test_liao_brief_near_its_own_plant_is_reported() -> None:
    """'Next to its own plant' names no place the parser can resolve: reported, not dropped."""
    text = "福建利澳纸业有限公司，工业用地40-80亩，只接受出让，紧邻自有厂房"
    parsed = parse_brief(text, as_of=AS_OF)
    assert parsed.unparsed == [("紧邻自有厂房", "紧邻自有厂房")]
    want = PUBLIC_BRIEFS["liao"]
    for k in ("industry", "land_use", "tenure"):
        assert parsed.fields[k] == want[k]
    assert parsed.fields["land_area_mu"] == tuple(float(x) for x in want["land_area_mu"])


_TENURE_WORD = {
    "lease": "租赁",
    "transfer": "出让",
    "lease_then_transfer": "先租后让",
    "auction": "法拍",
}
_LAND_USE_WORD = {
    "1001": "工业用地",
    "1101": "物流仓储用地",
    "0804": "教育用地",
    "0802": "科研用地",
}
_CRITERION_WORD = {"size": "面积", "readiness": "进度", "cost": "成本", "synergy": "协同"}


def _render(req: dict) -> str:
    """A deal's brief written out the way staff write it (the test's own renderer)."""
    words = {r["value"]: r["term"] for r in reversed(vocabulary()) if r["kind"] == "industry"}
    parts = [f"投资方：{req['investor']}", f"{words[req['industry']]}项目"]
    parts.append(_LAND_USE_WORD[req["land_use"]])
    lo, hi = req["land_area_mu"]
    parts.append(f"用地{lo}-{hi}亩")
    if req.get("building_area_m2"):
        parts.append(f"厂房{req['building_area_m2'][0]:g}平方米以上")
    parts.append("、".join(_TENURE_WORD[t] for t in req["tenure"]) + "均可")
    if req.get("max_rent_yuan_m2_month"):
        parts.append(f"租金每平方米每月{req['max_rent_yuan_m2_month']:g}元以内")
    parts.append(f"{req['ready_within_days']}天内入驻")
    if req.get("avoid_industries"):
        parts.append(f"远离化工企业{req['avoid_industries']['C26']}米")
    parts.append("靠近同行")
    pri = "、".join(f"{_CRITERION_WORD[k]}{v}" for k, v in req["priorities"].items())
    parts.append(f"优先级：{pri}")
    return "，".join(parts)


def test_demo_deals_round_trip() -> None:
    """Every past deal's brief of the demo zone, written out in Chinese, reads back the same."""
    import json

    import pandas as pd

    deals = pd.read_csv(DEMO_DEALS, dtype=str)
    assert len(deals) >= 30
    for raw in deals["requirements"]:
        req = json.loads(raw)
        got = am.Requirements.from_text(_render(req), as_of=AS_OF)
        want = am.Requirements(**{k: v for k, v in req.items() if v is not None})
        # near_industries strengths below 1 (C19's 0.5 for C29) are not written out
        assert set(got.near_industries) == {req["industry"]}
        assert got.model_dump(exclude={"near_industries"}) == want.model_dump(
            exclude={"near_industries"}
        )
