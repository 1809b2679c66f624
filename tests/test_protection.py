"""Protection distances are indicative, narrowed to the sub-industries that warrant them, and a
school brief is checked against GB 50099-2011 §4.1.6 on the store's reference layers.

Hand-built stores in EPSG:4549 (metres): square sites 500 m wide, 5 km apart, each with the
firm or the railway it is tested against at a known distance from its boundary.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

import assetmatch as am
from assetmatch.explain.words import INDICATIVE

CRS = "EPSG:4549"
X0, Y0 = 500_000.0, 2_760_000.0
SCHOOL = {"investor": "某教育集团", "industry": "P83"}

#: site → (industry of the one firm beside it, metres from the site's east edge)
NEIGHBOURS = {
    "CARTON": ("C2231", 50.0),  # 纸和纸板容器制造: no rule
    "PLASTICS": ("C2921", 50.0),  # 塑料薄膜制造: no rule (rubber C291 only)
    "COSMETICS": ("C2682", 50.0),  # 化妆品制造 (C268): no rule
    "PULP": ("C2211", 200.0),  # 木竹浆制造 (C221): 500 m
    "RUBBER": ("C2913", 50.0),  # 橡胶零件制造 (C291): 100 m
    "PAPER_DIV": ("C22", 200.0),  # recorded only as C22: may pulp, counts
}


def _site(i: int) -> shapely.Polygon:
    x = X0 + 5_000.0 * i
    return shapely.box(x, Y0, x + 500.0, Y0 + 500.0)


def _sites(ids: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "asset_id": ids,
            "name": [f"{k}厂区" for k in ids],
            "kind": ["factory"] * len(ids),
            "status": ["idle"] * len(ids),
            "building_area_m2": [60_000.0] * len(ids),
        },
        geometry=[_site(i) for i in range(len(ids))],
        crs=CRS,
    )


@pytest.fixture(scope="module")
def neighbours(tmp_path_factory):
    inv = am.Inventory.open(tmp_path_factory.mktemp("prot") / "neighbours.gpkg")
    ids = list(NEIGHBOURS)
    inv.add(_sites(ids), on_error="raise")
    xs = [X0 + 5_000.0 * i + 500.0 + NEIGHBOURS[k][1] for i, k in enumerate(ids)]
    firms = gpd.GeoDataFrame(
        {"firm_id": [f"F-{k}" for k in ids], "industry": [NEIGHBOURS[k][0] for k in ids]},
        geometry=shapely.points(xs, [Y0 + 250.0] * len(ids)),
        crs=CRS,
    )
    inv.add_firms(firms)
    yield inv
    inv.close()


def _score(res: am.MatchResult, asset_id: str) -> float:
    return float(res.table.set_index("asset_id").at[asset_id, "s_conflicts"])


def test_cartons_plastics_and_cosmetics_raise_no_conflict_near_a_school(neighbours) -> None:
    res = am.match(SCHOOL, inventory=neighbours, top=10)
    for site in ("CARTON", "PLASTICS", "COSMETICS"):
        assert _score(res, site) == 1.0, site
        text = str(res.explain(site))
        assert "小于" not in text, text


def test_a_pulp_mill_and_a_rubber_plant_near_a_school_do(neighbours) -> None:
    res = am.match(SCHOOL, inventory=neighbours, top=10)
    assert _score(res, "PULP") == pytest.approx(200 / 500)  # C221, 500 m
    assert _score(res, "RUBBER") == pytest.approx(50 / 100)  # C291, 100 m
    assert _score(res, "PAPER_DIV") == pytest.approx(200 / 500)  # C22 only: may pulp
    zh = str(res.explain("PULP"))
    assert "纸浆制造企业距此约 200 m，小于 500 m" in zh
    assert INDICATIVE[0] in zh and "GB 11654-89" in zh
    en = str(res.explain("RUBBER", lang="en"))
    assert "rubber products firm about 50 m away, within 100 m" in en
    assert INDICATIVE[1] in en


def test_every_printed_protection_distance_says_it_is_indicative(neighbours) -> None:
    for lang in ("zh", "en"):
        res = am.match(SCHOOL, inventory=neighbours, top=10, lang=lang)
        for site in NEIGHBOURS:
            reason = res.explain(site).contributions.at["conflicts", "reason"]
            assert " m" in reason and INDICATIVE[lang == "en"] in reason, reason


def test_a_carton_maker_keeps_no_distance_that_a_paper_mill_keeps(neighbours) -> None:
    # the rule's other side: a paper mill (C22) keeps 500 m from schools and food plants, a
    # carton maker (C2231) does not
    mill = am.match({"industry": "C22"}, inventory=neighbours, top=10).model
    carton = am.match({"industry": "C2231"}, inventory=neighbours, top=10).model
    assert mill.conflicts_ is not None and carton.conflicts_ is not None
    features = am.match({"industry": "C22"}, inventory=neighbours, top=10).features
    labels = features.labels["nearest"]
    kept_by_mill = {labels[j] for j, _, _ in mill._plan(features, None).conflict_rules}
    kept_by_carton = {labels[j] for j, _, _ in carton._plan(features, None).conflict_rules}
    assert {"P83", "C13", "C14"} <= kept_by_mill
    assert not kept_by_carton & {"P83", "C13", "C14"}


# ------------------------------------------------------------------------ school siting


def _rail_store(path, *, with_rail: bool) -> am.Inventory:
    """Two sites 200 m and 400 m east of a north–south railway; a shoe firm far away."""
    inv = am.Inventory.open(path)
    sites = gpd.GeoDataFrame(
        {
            "asset_id": ["R200", "R400"],
            "name": ["近铁路厂区", "远铁路厂区"],
            "kind": ["factory", "factory"],
            "status": ["idle", "idle"],
            "building_area_m2": [60_000.0, 60_000.0],
        },
        geometry=[
            shapely.box(X0 + 200.0, Y0, X0 + 700.0, Y0 + 500.0),
            shapely.box(X0 + 400.0, Y0 + 3_000.0, X0 + 900.0, Y0 + 3_500.0),
        ],
        crs=CRS,
    )
    inv.add(sites, on_error="raise")
    shoe = gpd.GeoDataFrame(
        {"firm_id": ["F-SHOE"], "industry": ["C1952"]},
        geometry=[shapely.Point(X0 + 8_000.0, Y0)],
        crs=CRS,
    )
    inv.add_firms(shoe)
    if with_rail:
        line = shapely.LineString([(X0, Y0 - 2_000.0), (X0, Y0 + 6_000.0)])
        inv.add_layer("railway", gpd.GeoDataFrame({"name": ["铁路"]}, geometry=[line], crs=CRS))
    else:
        exit_ = shapely.Point(X0 - 3_000.0, Y0)
        inv.add_layer("highway_exit", gpd.GeoDataFrame(geometry=[exit_], crs=CRS))
    return inv


@pytest.fixture(scope="module")
def railway(tmp_path_factory):
    inv = _rail_store(tmp_path_factory.mktemp("rail") / "rail.gpkg", with_rail=True)
    yield inv
    inv.close()


def test_a_school_200_m_from_a_railway_is_flagged_400_m_is_not(railway) -> None:
    res = am.match(SCHOOL, inventory=railway, top=5)
    assert _score(res, "R200") == pytest.approx(200 / 300)
    assert _score(res, "R400") == 1.0
    zh = str(res.explain("R200"))
    assert "距铁路约 200 m，不足 300 m" in zh and "GB 50099-2011 第4.1.6条" in zh
    assert "距铁路约 400 m，满足 ≥ 300 m" in str(res.explain("R400"))
    en = str(res.explain("R200", lang="en"))
    assert "about 200 m from a railway, short of 300 m" in en and "§4.1.6" in en
    # the road half of the clause has no layer here: listed, under the conflicts criterion
    un = res.unevaluated[res.unevaluated["criterion"] == "conflicts"]  # (and synergy: no firms)
    assert len(un) == 1
    assert "GB 50099-2011" in un["name"].iloc[0] and "高速路" in un["name"].iloc[0]
    with_must = am.match({**SCHOOL, "must": ["conflicts"]}, inventory=railway, top=5)
    assert list(with_must.table["asset_id"]) == ["R400"]


def test_the_siting_check_is_for_schools_only(railway) -> None:
    res = am.match({"industry": "C1952"}, inventory=railway, top=5)
    assert _score(res, "R200") == 1.0
    assert "conflicts" not in set(res.unevaluated["criterion"])
    kindergarten = am.match({"industry": "P831"}, inventory=railway, top=5)
    assert _score(kindergarten, "R200") == 1.0


def test_without_a_railway_layer_the_check_is_unevaluated(tmp_path) -> None:
    inv = _rail_store(tmp_path / "norail.gpkg", with_rail=False)
    try:
        res = am.match(SCHOOL, inventory=inv, top=5)
        assert _score(res, "R200") == 1.0  # nothing to measure: not a pass, see unevaluated
        un = res.unevaluated[res.unevaluated["criterion"] == "conflicts"]
        names = list(un["name"])
        assert len(names) == 2 and all("GB 50099-2011" in n for n in names)
        text = str(res.explain("R200"))
        assert "未评估校址与铁路间距（GB 50099-2011 第4.1.6条）：参照图层中缺少铁路图层" in text
        records = res.to_dict()["unevaluated"]
        assert [r["name"] for r in records if r["criterion"] == "conflicts"] == names
    finally:
        inv.close()


# ------------------------------------------------------------- a firm inside the site


def test_a_firm_inside_the_site_reads_inside_not_about_0_m(tmp_path) -> None:
    """Distances are measured from the site's boundary, so a firm inside the site is 0 m away:
    the reason says it is inside the site (a firm 50 m out still reads "about 50 m")."""
    inv = am.Inventory.open(tmp_path / "inside.gpkg")
    try:
        inv.add(_sites(["IN", "OUT"]), on_error="raise")
        firms = gpd.GeoDataFrame(
            {"firm_id": ["F-IN", "F-OUT"], "industry": ["C2913", "C2913"]},
            geometry=[  # the middle of IN; 50 m east of OUT
                shapely.Point(X0 + 250.0, Y0 + 250.0),
                shapely.Point(X0 + 5_000.0 + 550.0, Y0 + 250.0),
            ],
            crs=CRS,
        )
        inv.add_firms(firms)
        brief = {**SCHOOL, "near": {"firm_id": "F-IN", "within_m": 1000}}
        zh, en = (am.match(brief, inventory=inv, top=5, lang=lang) for lang in ("zh", "en"))
        zh_in, en_in = str(zh.explain("IN")), str(en.explain("IN"))
        assert "约 0 m" not in zh_in and "about 0 m" not in en_in
        assert "橡胶制品业企业位于地块内，小于 100 m" in zh_in
        assert "rubber products firm inside the site, within 100 m" in en_in
        # "near" is measured from the site's equal-area circle, so 0 m says inside or next to it
        assert "F-IN 位于地块内或紧邻地块（要求 1,000 m 内）" in zh_in
        assert "F-IN is inside or right next to the site (wanted within 1,000 m)" in en_in
        assert "橡胶制品业企业距此约 50 m，小于 100 m" in str(zh.explain("OUT"))
        # 5,000 m between the centres less the equal-area radius of a 500 m square (282 m)
        assert "about 4,718 m from F-IN (wanted within 1,000 m): too far" in str(en.explain("OUT"))
    finally:
        inv.close()
