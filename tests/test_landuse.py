"""Tests of assetmatch.landuse: codes always read with their scheme."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from assetmatch import LandUseError
from assetmatch.domain import landuse as lu


@pytest.mark.parametrize(
    ("code", "scheme", "land_class", "name_zh"),
    [
        ("1001", "2020", "industrial", "工业用地"),
        ("100101", "2020", "industrial", "一类工业用地"),
        ("100103", "2020", "industrial", "三类工业用地"),
        ("1002", "2020", "mining", "采矿用地"),
        ("1101", "2020", "logistics_storage", "物流仓储用地"),
        ("110102", "2020", "logistics_storage", "二类物流仓储用地"),
        ("1102", "2020", "logistics_storage", "储备库用地"),
        ("0802", "2020", "research", "科研用地"),
        ("0803", "2020", "culture", "文化用地"),
        ("0804", "2020", "education", "教育用地"),
        ("080401", "2020", "education", "高等教育用地"),
        ("0806", "2020", "medical", "医疗卫生用地"),
        ("0901", "2020", "commercial", "商业用地"),
        ("0902", "2020", "business_finance", "商务金融用地"),
        ("0701", "2020", "residential", "城镇住宅用地"),
        ("1201", "2020", "railway", "铁路用地"),
        ("1202", "2020", "road", "公路用地"),
        ("1301", "2020", "public_utility", "供水用地"),
        ("0601", "2020", "road", "乡村道路用地（2023版：农村道路）"),
        ("0602", "2020", "agricultural", "种植设施建设用地（2023版：设施农用地）"),
        ("0601", "gbt21010-2017", "industrial", "工业用地"),
        ("0602", "gbt21010-2017", "mining", "采矿用地"),
        ("0604", "gbt21010-2017", "logistics_storage", "仓储用地"),
        ("0501", "gbt21010-2017", "commercial", "零售商业用地"),
        ("0505", "gbt21010-2017", "business_finance", "商务金融用地"),
        ("0701", "gbt21010-2017", "residential", "城镇住宅用地"),
        ("0801", "gbt21010-2017", "public_admin", "机关团体用地"),
        ("0803", "gbt21010-2017", "education", "教育用地"),
        ("0804", "gbt21010-2017", "research", "科研用地"),
        ("0805", "gbt21010-2017", "medical", "医疗卫生用地"),
        ("0807", "gbt21010-2017", "culture", "文化设施用地"),
        ("0809", "gbt21010-2017", "public_utility", "公用设施用地"),
        ("1001", "gbt21010-2017", "railway", "铁路用地"),
        ("1003", "gbt21010-2017", "road", "公路用地"),
        ("1101", "gbt21010-2017", "other", "河流水面"),
        ("0601", "tdsurvey3", "industrial", "工业用地"),
        ("0602", "tdsurvey3", "mining", "采矿用地"),
        ("0508", "tdsurvey3", "logistics_storage", "物流仓储用地"),
        ("05H1", "tdsurvey3", "commercial_services", "商业服务业设施用地"),
        ("08H1", "tdsurvey3", "public_admin", "机关团体新闻出版用地"),
        ("08H2", "tdsurvey3", "education_research_culture_medical", "科教文卫用地"),
        ("0701", "tdsurvey3", "residential", "城镇住宅用地"),
        ("0809", "tdsurvey3", "public_utility", "公用设施用地"),
        ("1001", "tdsurvey3", "railway", "铁路用地"),
        ("1003", "tdsurvey3", "road", "公路用地"),
    ],
)
def test_resolve_with_scheme(code, scheme, land_class, name_zh):
    found = lu.resolve(code, scheme)
    assert found == lu.LandUse(code, scheme, land_class, name_zh, found.name_en)
    assert found.name_en


@pytest.mark.parametrize(
    ("alias", "key"),
    [
        ("nlsuc2020", "2020"), ("用地用海分类", "2020"), ("NLSUC2020", "2020"),
        ("GB/T 21010-2017", "gbt21010-2017"), ("21010", "gbt21010-2017"),
        ("gb/t21010-2017", "gbt21010-2017"), ("三调", "tdsurvey3"), ("SanDiao", "tdsurvey3"),
    ],
)  # fmt: skip
def test_scheme_aliases(alias, key):
    assert lu.scheme_key(alias) == key
    assert lu.resolve("0601", alias).scheme == key


def test_unknown_scheme():
    with pytest.raises(LandUseError, match="Unknown land-use scheme 'GB 50137'"):
        lu.resolve("M1", "GB 50137")


def test_the_same_code_means_different_things():
    assert lu.resolve("1001", "2020").land_class == "industrial"
    assert lu.resolve("1001", "GB/T 21010-2017").land_class == "railway"
    assert lu.resolve("0804", "2020").land_class == "education"
    assert lu.resolve("0804", "21010").land_class == "research"


def test_ambiguous_code_without_scheme_says_why():
    with pytest.raises(LandUseError) as info:
        lu.resolve("1001")
    message = str(info.value)
    assert "land-use code '1001' is ambiguous without its scheme" in message
    assert "industrial in the 2020 classification" in message
    assert "railway in GB/T 21010-2017" in message
    assert message.endswith("give land_use_scheme.")
    with pytest.raises(LandUseError, match=r"'0804' is ambiguous.*education.*research"):
        lu.resolve("0804")
    with pytest.raises(LandUseError, match=r"'0601' is ambiguous.*road.*industrial"):
        lu.resolve("0601")
    with pytest.raises(LandUseError, match=r"'1101' is ambiguous.*logistics_storage.*other"):
        lu.resolve("1101")


def test_unambiguous_codes_resolve_without_scheme():
    assert lu.resolve("100101").land_class == "industrial"  # only the 2020 classification
    assert lu.resolve("05H1").scheme == "tdsurvey3"
    assert lu.resolve("0508").land_class == "logistics_storage"  # 三调 only
    found = lu.resolve("0701")  # residential in all three schemes
    assert (found.scheme, found.land_class) == ("2020", "residential")


def test_spreadsheet_numbers_get_their_leading_zero_back():
    assert lu.resolve(601, "gbt21010-2017").code == "0601"
    assert lu.resolve(601.0, "gbt21010-2017").land_class == "industrial"
    assert lu.resolve("80401", "2020").code == "080401"
    assert lu.resolve(" 05h1 ", "三调").code == "05H1"
    assert lu.normalize_code(1001) == "1001"


def test_chinese_class_names():
    found = lu.resolve("工业用地")
    assert (found.code, found.scheme, found.land_class) == ("1001", "2020", "industrial")
    assert lu.resolve("教育用地").code == "0804"
    assert lu.resolve("物流仓储用地").land_class == "logistics_storage"
    assert lu.resolve("科教文卫用地").scheme == "tdsurvey3"
    assert lu.resolve("工业用地", "gbt21010-2017").code == "0601"


def test_finer_local_codes_resolve_to_their_parent():
    found = lu.resolve("10010201", "2020")
    assert (found.code, found.land_class, found.name_zh) == (
        "10010201",
        "industrial",
        "二类工业用地",
    )
    found = lu.resolve("10019901", "2020")
    assert (found.land_class, found.name_zh) == ("industrial", "工业用地")


def test_unknown_code_names_scheme_and_valid_codes():
    with pytest.raises(
        LandUseError, match=r"Unknown land-use code '9999' in GB/T 21010-2017.*0601"
    ):
        lu.resolve("9999", "gbt21010-2017")
    with pytest.raises(LandUseError, match=r"Unknown land-use code 'M1'.*1001"):
        lu.resolve("M1")
    with pytest.raises(LandUseError, match="missing"):
        lu.resolve(None)


def test_first_level_groups_that_mix_classes_are_too_coarse():
    with pytest.raises(LandUseError, match=r"'10' is the first-level group 工矿用地.*1001, 1002"):
        lu.resolve("10", "2020")
    assert lu.resolve("11", "2020").land_class == "logistics_storage"


def test_composite_class_lists_its_members():
    found = lu.resolve("08H2", "三调")
    assert {"education", "research", "culture", "medical"} <= found.land_classes
    assert lu.resolve("1001", "2020").land_classes == frozenset({"industrial"})
    assert lu.resolve("05H1", "三调").land_classes == frozenset({"commercial", "business_finance"})


@pytest.mark.parametrize(
    ("code", "source", "target", "expected"),
    [
        ("1001", "2020", "gbt21010-2017", ["0601"]),
        ("100102", "2020", "tdsurvey3", ["0601"]),
        ("0601", "gbt21010-2017", "2020", ["1001"]),
        ("0604", "gbt21010-2017", "2020", ["1101", "1102"]),
        ("1101", "2020", "gbt21010-2017", ["0604"]),
        ("1101", "2020", "tdsurvey3", ["0508"]),
        ("0804", "2020", "gbt21010-2017", ["0803"]),
        ("0804", "2020", "tdsurvey3", ["08H2"]),
        ("0803", "gbt21010-2017", "2020", ["0804"]),
        ("0802", "2020", "gbt21010-2017", ["0804"]),
        ("0804", "gbt21010-2017", "2020", ["0802"]),
        ("0901", "2020", "gbt21010-2017", ["0501", "0502", "0503", "0504", "0506", "0507"]),
        ("0901", "2020", "tdsurvey3", ["05H1"]),
        ("05H1", "tdsurvey3", "2020", ["0901", "0902", "0903", "0904"]),
        ("1002", "2020", "tdsurvey3", ["0602", "0603"]),  # 三调 lists 盐田 under wetlands
        ("0801", "2020", "2020", ["0801"]),
        ("1201", "2020", "tdsurvey3", ["1001"]),
    ],
)
def test_crosswalk(code, source, target, expected):
    assert lu.crosswalk(code, source, target) == expected


def test_crosswalk_composite_lists_every_member():
    assert lu.crosswalk("08H2", "三调", "2020") == [
        "0802", "0803", "0804", "0805", "0806", "0807",
    ]  # fmt: skip


def test_resolve_many_collects_every_problem():
    codes = pd.Series(
        ["1001", "1001", 601, None, "9999", "1001", "0804"],
        index=["a", "b", "c", "d", "e", "f", "g"],
    )
    schemes = ["2020", "gbt21010-2017", "GB/T 21010-2017", None, "2020", None, "bogus"]
    frame, problems = lu.resolve_many(codes, schemes)
    assert list(frame.index) == list(codes.index)
    assert list(frame.columns) == ["code", "scheme", "land_class"]
    assert frame.loc["a"].tolist() == ["1001", "2020", "industrial"]
    assert frame.loc["b"].tolist() == ["1001", "gbt21010-2017", "railway"]
    assert frame.loc["c"].tolist() == ["0601", "gbt21010-2017", "industrial"]
    assert frame.loc["d"].isna().all()
    assert frame.loc["e", "land_class"] is None
    by_row = {p.row: p for p in problems}
    assert set(by_row) == {"e", "f", "g"}
    assert by_row["e"].field == "land_use" and "'9999'" in by_row["e"].reason
    assert "ambiguous" in by_row["f"].reason
    assert by_row["g"].field == "land_use_scheme" and "'bogus'" in by_row["g"].reason


def test_resolve_many_default_scheme_and_single_scheme():
    frame, problems = lu.resolve_many(["1001", "0804"], default_scheme="2020")
    assert problems == []
    assert frame["land_class"].tolist() == ["industrial", "education"]
    frame, _ = lu.resolve_many(["1001", "0804"], "gbt21010-2017")
    assert frame["land_class"].tolist() == ["railway", "research"]
    with pytest.raises(ValueError, match="one value per code"):
        lu.resolve_many(["1001"], ["2020", "2020"])


def test_resolve_many_scales_to_an_import_of_100000_rows():
    rng = np.random.default_rng(1)
    pool = np.array(["1001", "100101", "1101", "0804", "0802", "0901", "0701", "1202"], object)
    codes = pool[rng.integers(0, len(pool), 100_000)]
    start = time.perf_counter()
    frame, problems = lu.resolve_many(codes, default_scheme="2020")
    elapsed = time.perf_counter() - start
    assert problems == []
    assert (frame["land_class"].to_numpy()[codes == "1101"] == "logistics_storage").all()
    assert elapsed < 5.0, f"resolve_many took {elapsed:.2f} s for 100,000 rows"


def test_code_table_is_well_formed():
    table = lu.codes_table()
    assert list(table.columns) == ["scheme", "code", "land_class", "name_zh", "name_en", "parent"]
    assert set(table["scheme"]) == set(lu.SCHEMES)
    assert not table.duplicated(["scheme", "code"]).any()
    keys = set(zip(table["scheme"], table["code"], strict=True))
    for row in table.itertuples():
        if row.parent:
            assert (row.scheme, row.parent) in keys, row
            assert row.code.startswith(row.parent) or row.scheme == "tdsurvey3", row
        assert row.land_class == "" or row.land_class in lu.LAND_CLASSES, row
        assert row.name_zh and row.name_en, row
    for members in lu.COMPOSITE_CLASSES.values():
        assert members <= set(lu.LAND_CLASSES)


def test_tables_are_read_on_first_use_not_at_import():
    code = (
        "import assetmatch.domain.landuse as lu; "
        "assert lu._tables.cache_info().currsize == 0; "
        "lu.resolve('1001', '2020'); "
        "assert lu._tables.cache_info().currsize == 1"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
