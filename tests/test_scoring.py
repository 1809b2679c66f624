"""The scoring model on hand-built tables with exact expected values; land-use paths; top-k."""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from assetmatch import ValidationError
from assetmatch.domain.industry import synergy_scores
from assetmatch.domain.landuse_paths import (
    PATH_KINDS,
    example_zone_policy,
    landuse_path,
    load_landuse_paths,
    tenure_mask,
    with_zone_rules,
)
from assetmatch.requirements import Requirements
from assetmatch.scoring.scorer import (
    CONSTRUCTION_DAYS,
    DEFAULT_PRIORITIES,
    NET_LAND_DELAY_DAYS,
    FeatureTable,
    SiteScorer,
    Weights,
    prepare,
    top_k,
)

AS_OF = date(2024, 6, 30)
REL = 1e-6
#: A zone whose policy recognises the transition period for a school in an existing plant (the
#: demo zone's table); the defaults make it a change of use (tested below).
ZONE = with_zone_rules(example_zone_policy())


# ---------------------------------------------------------------------- hand-built inventory


@pytest.fixture
def assets() -> pd.DataFrame:
    """Five assets; D is leased (not offerable). Projected metres, no geometry needed."""
    return pd.DataFrame(
        {
            "asset_id": ["A", "B", "C", "D", "E"],
            "name": ["甲厂房", "乙地块", "丙校区", "丁厂房", "戊厂房"],
            "kind": ["factory", "land", "campus", "factory", "factory"],
            "land_area_m2": [100_000.0, 90_000.0, 140_000.0, 120_000.0, 110_000.0],
            "building_area_m2": [60_000.0, np.nan, 40_000.0, 55_000.0, 52_000.0],
            "rent_yuan_m2_month": [12.0, np.nan, 20.0, 15.0, 16.0],
            "land_price_yuan_mu": [300_000.0, 250_000.0, np.nan, np.nan, np.nan],
            "power_kva": [4000.0, np.nan, 1000.0, 2000.0, 2000.0],
            "land_use": ["1001", "1001", "0804", "1001", "0901"],
            "land_use_scheme": ["2020"] * 5,
            "status": ["idle", "available", "low_efficiency", "leased", "idle"],
            "tenure": [["lease", "transfer"], ["transfer"], None, ["lease"], ["lease"]],
            "net_land": [True, False, None, True, True],
            "ready_date": [None, None, date(2024, 8, 29), None, None],
            "obstacles": [
                [],
                [
                    {"kind": "planning_adjustment", "description": "控规调整", "delay_days": 180},
                    {"kind": "land_consolidation", "description": "用地整合", "delay_days": 120},
                ],
                None,
                [],
                [],
            ],
            "district": ["杏东", "张坂", "惠南", "杏东", "杏东"],
            "updated_at": ["2024-06-30", "2023-06-30", None, "2024-01-01", "2024-06-30"],
        }
    ).set_index("asset_id")


@pytest.fixture
def context() -> pd.DataFrame:
    ids = pd.Index(["A", "B", "C", "D", "E"], name="asset_id")
    return pd.DataFrame(
        {
            "centroid_x": [500_000.0, 501_000.0, 505_000.0, 500_000.0, 500_500.0],
            "centroid_y": [2_760_000.0] * 5,
            "equiv_radius_m": [100.0, 100.0, 200.0, 100.0, 100.0],
            "presence_C26": [0.0, 12.0, 0.0, 0.0, 0.0],
            "presence_P83": [10.0, 0.0, 30.0, 5.0, 2.0],
            "nearest_C26_m": [5_000.0, 500.0, np.inf, 5_000.0, 5_000.0],
            "nearest_P83_m": [800.0, 6_000.0, 0.0, 900.0, 1_000.0],
            "access_highway_exit_m": [2_000.0, 10_000.0, 30_000.0, 2_000.0, 2_000.0],
        },
        index=ids,
    )


@pytest.fixture
def table(assets: pd.DataFrame, context: pd.DataFrame) -> FeatureTable:
    return prepare(assets, context, as_of=AS_OF, state_time="2024-06-30T00:00:00Z")


BRIEF = {
    "investor": "Hengzhong Education",
    "industry": "P83",
    "land_use": "0804",
    "land_area_mu": [150, 200],
    "building_area_m2": [50_000, None],
    "tenure": ["lease", "transfer"],
    "max_rent_yuan_m2_month": 18,
    "ready_within_days": 90,
    "avoid_industries": {"C26": 2000},
    "districts": ["杏东"],
}


def fitted(table: FeatureTable, brief: dict | None = None, **params: object) -> SiteScorer:
    params.setdefault("landuse_paths", ZONE)
    return SiteScorer(Requirements(**(brief or BRIEF)), **params).fit(table)


def scores_of(table: FeatureTable, brief: dict | None = None, **params: object) -> pd.DataFrame:
    ev = fitted(table, brief, **params).evaluate(table, detail=True)
    frame = pd.DataFrame({c: ev.scores[c] for c in ev.criteria}, index=table.ids)
    frame["move_in_days"] = ev.move_in_days
    frame["score"] = ev.score
    return frame


# ---------------------------------------------------------------------- the feature table


def test_prepare_builds_columns_once(table: FeatureTable) -> None:
    assert len(table) == 5 and list(table.ids) == ["A", "B", "C", "D", "E"]
    assert table["building_area_m2"][1] == 0.0  # bare land without a figure offers 0 m²
    assert table.labels["presence"] == ("C26", "P83")
    assert table.labels["access"] == ("highway_exit",)
    assert table["presence"].flags.f_contiguous  # one contiguous column per industry
    assert table.categories["land_class"][table["land_class"][2]] == "education"
    assert table["obstacle_days_max"][1] == 180 and table["obstacle_days_sum"][1] == 300
    assert table["ready_day"][2] - table["ready_day"][2] == 0 and np.isnan(table["ready_day"][0])
    assert table.position("C") == 2
    sub = table.take([2, 0])
    assert list(sub.ids) == ["C", "A"] and sub.categories is table.categories
    assert table.as_of == AS_OF and table.state_time == "2024-06-30T00:00:00Z"


# ---------------------------------------------------------------------- criteria, exactly


def test_size_fit(table: FeatureTable) -> None:
    s = scores_of(table)["size"]
    assert s["A"] == pytest.approx(1.0)  # 150 mu, on the lower bound
    assert s["B"] == pytest.approx(1 - 10_000 / (0.25 * 100_000), rel=REL)  # 0.6
    hi = 200 * 2000 / 3
    assert s["C"] == pytest.approx(1 - (140_000 - hi) / (0.25 * hi), rel=REL)  # 0.8


def test_building_fit_and_bare_land(table: FeatureTable) -> None:
    s = scores_of(table)["building"]
    assert s["A"] == 1.0
    assert s["B"] == 0.0  # bare land
    assert s["C"] == pytest.approx(1 - 10_000 / 12_500, rel=REL)  # 0.2


def test_cost_fit_with_unknown_rent(table: FeatureTable) -> None:
    s = scores_of(table)["cost"]
    assert s["A"] == 1.0
    assert s["B"] == 0.5  # rent unknown
    assert s["C"] == pytest.approx(1 - 2 / (0.25 * 18), rel=REL)


def test_tenure_and_land_use_paths(table: FeatureTable) -> None:
    s = scores_of(table)
    assert list(s["tenure"]) == [1.0, 1.0, 0.5, 1.0, 1.0]  # C's modes are unknown
    # A: industrial → education under a lease: transition; B: transfer only: change of use;
    # C: already education; E: commercial → education: the general change of use
    assert list(s["land_use"]) == pytest.approx([0.8, 0.5, 1.0, 0.8, 0.5])


def test_readiness_parts(table: FeatureTable) -> None:
    sc = fitted(table)
    ev = sc.evaluate(table, detail=True)
    d = {k: dict(zip(table.ids, v.tolist(), strict=True)) for k, v in ev.detail.items()}
    # A: idle 30 + land-use transition filing 30
    assert d["status_days"]["A"] == 30 and d["land_use_days"]["A"] == 30
    # B: available 0 + not net land, no buildings 180 + obstacles in parallel max(180, 120)
    #    + change of use 365 + construction 540
    assert d["net_land_days"]["B"] == NET_LAND_DELAY_DAYS
    assert d["obstacle_days"]["B"] == 180 and d["land_use_days"]["B"] == 365
    assert d["construction_days"]["B"] == CONSTRUCTION_DAYS
    # C: a declared ready date 60 days ahead replaces the status estimate
    assert d["ready_date_days"]["C"] == 60 and d["status_days"]["C"] == 0
    move_in = dict(zip(table.ids, ev.move_in_days.tolist(), strict=True))
    assert move_in["A"] == 60
    assert move_in["B"] == 0 + 180 + 180 + 365 + 540
    assert move_in["C"] == 60
    r = dict(zip(table.ids, ev.scores["readiness"].tolist(), strict=True))
    assert r["A"] == 1.0 and r["C"] == 1.0 and r["B"] == 0.0
    serial = fitted(table, obstacle_mode="serial").evaluate(table)
    assert serial.move_in_days[1] == 0 + 180 + 300 + 365 + 540


def test_readiness_tolerance_and_without_deadline(table: FeatureTable) -> None:
    brief = {**BRIEF, "ready_within_days": 40, "tolerance": {"readiness": 0.5}}
    s = scores_of(table, brief)["readiness"]
    assert s["A"] == pytest.approx(1 - (60 - 40) / (0.5 * 40), rel=REL)  # 0.0
    brief = {**BRIEF, "ready_within_days": 50}
    assert scores_of(table, brief)["readiness"]["A"] == pytest.approx(1 - 10 / 50, rel=REL)
    no_deadline = {k: v for k, v in BRIEF.items() if k != "ready_within_days"}
    assert scores_of(table, no_deadline)["readiness"]["A"] == pytest.approx(1 - 60 / 730)


def test_synergy_equals_industry_synergy_scores(table: FeatureTable, context: pd.DataFrame) -> None:
    s = scores_of(table)["synergy"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # neighbours without presence columns
        expected = synergy_scores(context, "P83")
    assert s.to_numpy() == pytest.approx(expected, rel=1e-6)
    assert s["C"] == pytest.approx(30 / 40)  # 30 weighted schools nearby, half-saturation 10


def test_near_industries_add_to_synergy(table: FeatureTable) -> None:
    brief = {"near_industries": {"C26": 0.5}}
    s = scores_of(table, brief)["synergy"]
    assert s["B"] == pytest.approx(6 / 16, rel=REL)  # 0.5 × 12 = 6 → 6 / (6 + 10)
    assert s["A"] == 0.0


def test_conflicts(table: FeatureTable) -> None:
    s = scores_of(table)["conflicts"]
    assert s["A"] == 1.0  # 5 km from chemicals
    assert s["B"] == pytest.approx(500 / 2000)  # inside the 2 km the investor avoids
    assert s["C"] == 1.0  # no chemical works at all
    hard = scores_of(table, {**BRIEF, "must": ["conflicts"]})
    assert np.isneginf(hard.loc["B", "score"]) and np.isfinite(hard.loc["A", "score"])


def test_conflicts_protect_sensitive_neighbours_from_the_investor(table: FeatureTable) -> None:
    # a chemical works (C26) must keep 1 km from schools (P83): the default rule, reversed
    s = scores_of(table, {"industry": "C26"})["conflicts"]
    assert s["A"] == pytest.approx(800 / 1000)
    assert s["C"] == 0.0  # a school on the site


def test_access_district_freshness(table: FeatureTable) -> None:
    s = scores_of(table)
    assert list(s["access"]) == pytest.approx([0.9, 0.5, 0.0, 0.9, 0.9])
    assert list(s["district"]) == [1.0, 0.0, 0.0, 1.0, 1.0]
    fresh = s["freshness"]
    assert fresh["A"] == 1.0 and fresh["C"] == 0.5  # C has no update time
    assert fresh["B"] == pytest.approx(1 - 366 / 730, rel=REL)


def test_near_a_point(table: FeatureTable) -> None:
    brief = {"near": {"lon": 118.86, "lat": 24.95, "within_m": 1000}}
    sc = fitted(table, brief)
    # place 400 m east of A's centroid, in table coordinates
    x0, y0 = table.origin
    ev = sc.evaluate(table, near_place=(500_400.0 - x0, 2_760_000.0 - y0, 0.0), detail=True)
    near = dict(zip(table.ids, ev.detail["near_m"].tolist(), strict=True))
    assert near["A"] == pytest.approx(300, abs=0.05)  # 400 m minus A's 100 m radius
    assert near["B"] == pytest.approx(500, abs=0.05)
    assert ev.scores["near"][0] == pytest.approx(1 - 300 / 2000, rel=1e-5)
    assert set(np.asarray(table.ids)[np.isfinite(ev.score)]) == {"A", "B", "E"}  # C too far
    with pytest.raises(ValueError, match="pass near_place"):
        sc.evaluate(table)


# ---------------------------------------------------------------------- musts and totals


def test_total_is_the_weighted_sum_and_musts_exclude(table: FeatureTable) -> None:
    sc = fitted(table)
    ev = sc.evaluate(table)
    w = sc.weight_
    assert sum(w.values()) == pytest.approx(1.0)
    for i in range(len(table)):
        soft = sum(w[c] * float(ev.scores[c][i]) for c in ev.criteria)
        assert ev.soft_score[i] == pytest.approx(soft, rel=1e-5)
    assert sc.hard_ == frozenset({"tenure", "land_use"})
    assert not ev.offerable[3] and np.isneginf(ev.score[3])  # D is leased
    assert np.isfinite(ev.score[[0, 2]]).all()
    # beyond the tolerance of a stated bound is not ranked: B has no buildings (100 % short of
    # 50,000 m², tolerance 25 %) and 1,265 days to move in; E's change of use from commercial
    # land takes 395 days, beyond 90 days + 25 %
    assert np.isneginf(ev.score[[1, 4]]).all()
    assert list(np.asarray(table.ids)[ev.failed["readiness"]]) == ["B", "D", "E"]
    assert list(np.asarray(table.ids)[ev.failed["building"]]) == ["B"]


def test_musts_and_near_misses(table: FeatureTable) -> None:
    brief = {**BRIEF, "must": ["size", "building", "tenure", "land_use"]}
    sc = fitted(table, brief)
    ev = sc.evaluate(table, detail=True)
    failed = {c: list(np.asarray(table.ids)[f]) for c, f in ev.failed.items()}
    assert failed["size"] == ["B", "C"]
    assert failed["building"] == ["B", "C"]
    # musts fail anywhere outside (B, C on size and building); readiness, a preference,
    # fails only beyond its tolerance (B, D, E)
    assert list(ev.n_failed) == [0, 3, 2, 1, 1]
    short = dict(zip(table.ids, ev.detail["shortfall_size"].tolist(), strict=True))
    assert short["B"] == pytest.approx(0.1) and short["C"] == pytest.approx(0.05, rel=1e-5)
    totals = sc.rank_scores(table)  # the lean ranking pass: same numbers, summed in another order
    np.testing.assert_allclose(totals.score, ev.score, rtol=1e-6)
    np.testing.assert_array_equal(totals.n_failed, ev.n_failed)
    # near misses: offerable and failing exactly one (E: readiness); D is leased
    assert np.isfinite(totals.near_miss).tolist() == [False, False, False, False, True]


def test_land_use_not_allowed_is_a_must_by_default(table: FeatureTable) -> None:
    brief = {"land_use": "0901"}  # commercial: industrial land cannot be switched by its user
    ev = fitted(table, brief).evaluate(table, detail=True)
    paths = [(*PATH_KINDS, "unknown")[c] for c in ev.detail["land_use_path"]]
    assert paths == ["not_allowed", "not_allowed", "change_of_use", "not_allowed", "allowed"]
    assert list(np.isfinite(ev.score)) == [False, False, True, False, True]
    assert np.isinf(ev.move_in_days[0])
    soft = fitted(table, {**brief, "must": []}).evaluate(table)
    assert soft.scores["land_use"][0] == 0.0 and np.isfinite(soft.score[0])


def test_offerable_only_can_be_switched_off(table: FeatureTable) -> None:
    ev = fitted(table, offerable_only=False).evaluate(table)
    assert ev.offerable.all()
    # D (leased) is no longer excluded for its status, only for its 395-day move-in
    base = fitted(table).evaluate(table)
    assert list(base.n_failed) == list(ev.n_failed) == [0, 2, 0, 1, 1]
    ev2 = fitted(table, {**BRIEF, "ready_within_days": None}, offerable_only=False).evaluate(table)
    assert np.isfinite(ev2.score[3])


def test_unknown_values_never_fail_a_must(table: FeatureTable) -> None:
    brief = {**BRIEF, "must": ["cost", "tenure"], "min_power_kva": 3000}
    ev = fitted(table, {**brief, "must": ["cost", "tenure", "specs"]}).evaluate(table)
    assert not ev.failed["cost"][1]  # B's rent is unknown
    assert not ev.failed["tenure"][2]  # C's tenure is unknown
    assert list(ev.failed["specs"]) == [False, False, True, True, True]
    assert ev.scores["specs"][1] == 0.5
    assert ev.scores["specs"][2] == 0.0  # 1000 kVA is 67 % short; tolerance 25 %


def test_blocks_and_threads_give_the_same_result(
    assets: pd.DataFrame, context: pd.DataFrame
) -> None:
    big_a = pd.concat([assets] * 600)
    big_a.index = pd.Index([f"X{i}" for i in range(len(big_a))], name="asset_id")
    big_c = pd.concat([context] * 600)
    big_c.index = big_a.index
    X = prepare(big_a, big_c, as_of=AS_OF)
    one = fitted(X).evaluate(X)
    many = fitted(X, block_rows=1024, n_jobs=2).evaluate(X)
    np.testing.assert_array_equal(one.score, many.score)
    np.testing.assert_array_equal(one.move_in_days, many.move_in_days)
    for c in one.criteria:
        np.testing.assert_array_equal(one.scores[c], many.scores[c])


# ---------------------------------------------------------------------- weights


def test_weights_from_priorities() -> None:
    w = Weights.from_priorities({"size": 5, "readiness": 5})
    assert w.source == "priorities" and w.values["cost"] == DEFAULT_PRIORITIES["cost"]
    norm = w.normalized(["size", "readiness", "cost"])
    assert norm == pytest.approx({"size": 5 / 13, "readiness": 5 / 13, "cost": 3 / 13})
    assert Weights.from_dict(w.to_dict()) == w


def test_weights_direct_and_invalid() -> None:
    w = Weights.from_dict({"size": 2.0, "cost": 1.0})
    assert w.source == "direct"
    assert w.normalized(["size", "cost", "readiness"]) == pytest.approx(
        {"size": 2 / 3, "cost": 1 / 3, "readiness": 0.0}
    )
    with pytest.raises(ValidationError, match="every criterion of this match weighs 0"):
        w.normalized(["readiness"])
    with pytest.raises(ValidationError) as exc:
        Weights({"size": -1.0, "colour": 1.0})
    assert {p.field for p in exc.value.problems} == {"weights.size", "weights.colour"}
    with pytest.raises(ValidationError):
        Weights.from_priorities({"size": 6})


def test_scorer_takes_the_weights_object(table: FeatureTable) -> None:
    w = Weights.from_dict({"size": 1.0})
    sc = SiteScorer(Requirements(**BRIEF), w).fit(table)
    ev = sc.evaluate(table)
    assert sc.weights_ is w and sc.weight_["size"] == 1.0
    np.testing.assert_allclose(ev.soft_score, ev.scores["size"], rtol=1e-6)  # only size counts
    direct = SiteScorer({**BRIEF, "weights": {"size": 1.0}}).fit(table)
    assert direct.weights_.source == "direct" and direct.weight_["size"] == 1.0


# ---------------------------------------------------------------------- estimator contract


def test_scikit_learn_contract(table: FeatureTable) -> None:
    sc = SiteScorer(BRIEF, n_jobs=1)
    assert sc.get_params()["requirements"] is BRIEF  # __init__ only stores
    with pytest.raises(ValueError, match="not fitted"):
        sc.evaluate(table)
    assert sc.fit(table) is sc
    learned = [k for k in vars(sc) if k.endswith("_") and not k.startswith("_")]
    assert {"requirements_", "weights_", "criteria_", "hard_", "weight_", "as_of_"} <= set(learned)
    twin = clone(sc)
    assert not hasattr(twin, "criteria_") and twin.get_params()["n_jobs"] == 1
    np.testing.assert_array_equal(twin.fit(table).score_samples(table), sc.score_samples(table))
    assert sc.as_of_ == AS_OF  # the table's date


def test_invalid_parameters_are_listed(table: FeatureTable) -> None:
    with pytest.raises(ValidationError) as exc:
        SiteScorer(BRIEF, obstacle_mode="sideways", access_scale_m=-1).fit(table)
    assert {p.field for p in exc.value.problems} == {"obstacle_mode", "access_scale_m"}


def test_a_must_without_data_is_refused(assets: pd.DataFrame) -> None:
    X = prepare(assets, None, as_of=AS_OF)  # no context: no distances
    with pytest.raises(ValidationError, match="inventory has no data"):
        SiteScorer({**BRIEF, "must": ["conflicts"]}).fit(X)
    sc = SiteScorer(BRIEF).fit(X)
    assert "synergy" not in sc.criteria_ and "conflicts" not in sc.criteria_


# ---------------------------------------------------------------------- top-k


@pytest.mark.parametrize("n", [10, 1_000, 200_000])
def test_top_k_is_exact_with_ties_and_exclusions(n: int) -> None:
    rng = np.random.default_rng(n)
    score = np.round(rng.random(n), 2).astype(np.float32)  # many ties
    score[rng.random(n) < 0.7] = -np.inf
    got = top_k(score, 10)
    finite = np.flatnonzero(np.isfinite(score))
    expected = finite[np.lexsort((finite, -score[finite]))][:10]
    np.testing.assert_array_equal(got, expected)


def test_top_k_edge_cases() -> None:
    assert len(top_k(np.full(100_000, -np.inf, dtype=np.float32), 5)) == 0
    assert list(top_k(np.array([0.1, 0.9, 0.5], dtype=np.float32), 10)) == [1, 2, 0]
    one = np.full(300_000, -np.inf, dtype=np.float32)
    one[123_456] = 0.5
    assert list(top_k(one, 10)) == [123_456]


# ---------------------------------------------------------------------- land-use paths


def test_education_in_an_industrial_plant_is_a_change_of_use_by_default() -> None:
    # 国土资规〔2015〕5号's transition list has no education, needs local recognition and ran
    # for eight years: by default a school on industrial land is a change of use, with the
    # soil survey before public-service use and the school siting distances
    p = landuse_path("industrial", "education", tenure=["lease", "transfer"])
    assert p.path == "change_of_use" and p.delay_days == 365 and p.alternatives == ()
    assert "土壤污染防治法第五十九条" in p.basis and "GB 50099-2011" in p.basis
    assert p.checked == "2026-12-04" and p.origin == "default"
    zh = p.describe("zh")
    assert zh.startswith("工业用地用于教育：用途变更：先做土壤污染状况调查")
    assert "距铁路≥300 m" in zh and "80 m" in zh and "约 365 天" in zh
    assert "soil contamination survey" in p.describe("en")
    # any public-service use needs the survey, from any class
    assert "土壤污染状况调查" in landuse_path("logistics_storage", "research").note_zh


def test_education_in_an_industrial_plant_under_a_zone_that_opts_in() -> None:
    lease = landuse_path("industrial", "education", tenure=["lease", "transfer"], table=ZONE)
    assert lease.path == "transition" and lease.delay_days == 30 and lease.max_years == 5
    assert lease.requires_tenure == "lease" and "国土资规〔2015〕5号" in lease.basis
    assert "二、鼓励盘活利用现有用地" in lease.basis and "第五条" not in lease.basis
    assert lease.origin == "zone" and "演示园区政策表（合成）" in lease.basis
    assert [a.path for a in lease.alternatives] == ["change_of_use"]
    zh = lease.describe("zh")
    assert zh.startswith("工业用地用于教育：本园区政策（演示）：经园区认定")
    assert "未列教育" in zh and "约 30 天" in zh and "约 365 天" in zh
    en = lease.describe("en")
    assert en.startswith("industrial land used for education: zone policy (demo)")
    assert "transition period of up to 5 years" in en and "change of use" in en
    transfer = landuse_path("industrial", "education", tenure=["transfer"], table=ZONE)
    assert transfer.path == "change_of_use" and transfer.delay_days == 365


def test_industry_on_storage_land_is_a_change_of_the_contracted_use() -> None:
    # the 2020 classification separates 10 工矿用地 and 11 仓储用地: a plant on land granted
    # for storage changes the contracted use (城市房地产管理法第十八条), whatever the investor
    for industry in (None, "C22", "G59"):
        p = landuse_path("logistics_storage", "industrial", industry=industry)
        assert p.path == "change_of_use" and p.delay_days == 180, industry
        assert "城市房地产管理法第十八条" in p.basis and p.checked == "2026-12-04"
    assert "仓储用地 11" in p.note_zh and "contract" in p.note_en


def test_logistics_on_industrial_land_is_a_change_of_use_own_storage_is_not() -> None:
    # Fujian's 产业项目用地管理分类目录: transport and commercial storage logistics are commercial
    # land; a plant's own storage (工业仓储) stays industrial
    logistics = landuse_path("industrial", "logistics_storage", industry="G59")
    assert logistics.path == "change_of_use" and "商服用地" in logistics.note_zh
    assert landuse_path("industrial", "logistics_storage").path == "change_of_use"
    own = landuse_path("industrial", "logistics_storage", industry="C1952")
    assert own.path == "allowed" and "工业仓储" in own.note_zh
    # a zone may forbid it outright
    strict = with_zone_rules(
        pd.DataFrame(
            {
                "from_class": ["industrial"],
                "to_class": ["logistics_storage"],
                "path": ["not_allowed"],
                "delay_days": [""],
                "note_zh": ["本区工业用地不得用于物流"],
            }
        )
    )
    assert landuse_path("industrial", "logistics_storage", industry="C19", table=strict).path == (
        "not_allowed"
    )


def test_path_lookups_of_one_table_follow_each_investors_industry() -> None:
    """The bundled table is shared by the whole process and memoises its lookups: a second
    investor with the same target and tenure but another industry gets their own path (a
    manufacturer's own storage is allowed on industrial land, a logistics firm's is not)."""
    table = load_landuse_paths(None)
    mask = tenure_mask(["lease"])
    for _ in range(2):  # the second round answers from the memo
        own, _ = table.lookup_arrays(["industrial"], "logistics_storage", mask, "C1952")
        other, _ = table.lookup_arrays(["industrial"], "logistics_storage", mask, "G59")
        assert PATH_KINDS[own[mask]] == "allowed"
        assert PATH_KINDS[other[mask]] == "change_of_use"


def test_paths_for_other_pairs() -> None:
    assert landuse_path("industrial", "industrial").path == "allowed"
    assert landuse_path("education_research_culture_medical", "education").path == "allowed"
    housing = landuse_path("industrial", "residential")
    assert housing.path == "not_allowed" and not housing.possible
    assert "招拍挂" not in housing.note_zh and "公开出让" in housing.note_zh
    assert "国土资源部令第39号" in housing.basis
    assert landuse_path("residential", "industrial").path == "change_of_use"  # (*, *)
    # a specific transition row keeps the general change of use open as an alternative
    assert (
        landuse_path("logistics_storage", "education", tenure=["transfer"], table=ZONE).path
        == "change_of_use"
    )
    assert landuse_path(None, "education").path == "unknown"


def test_every_default_rule_has_a_basis_and_a_check() -> None:
    frame = load_landuse_paths().frame
    assert (frame["basis"] != "").all() and (frame["checked"] != "").all()
    assert set(frame["checked"]) <= {"2026-12-04", "judgement"}
    assert not frame["basis"].str.contains("第五条").any()  # 2015 doc has parts, no articles
    assert "transition" not in set(frame["path"])  # only a zone's policy grants it
    assert load_landuse_paths().version == load_landuse_paths().version
    assert ZONE.version != load_landuse_paths().version


def test_path_table_is_overridable(tmp_path: Path) -> None:
    own = tmp_path / "paths.csv"
    own.write_text(
        "from_class,to_class,path,delay_days,requires_tenure,max_years,note_zh,note_en,basis\n"
        "*,*,not_allowed,,,,本区不办理用途变更,no change of use in this zone,区政策\n"
        "industrial,education,change_of_use,200,,,本区特批,special approval,区政策\n",
        encoding="utf-8",
    )
    table = load_landuse_paths(own)
    p = landuse_path("industrial", "education", table=table)
    assert p.path == "change_of_use" and p.delay_days == 200
    assert landuse_path("industrial", "research", table=table).path == "not_allowed"
    assert load_landuse_paths(table.frame) == table
    assert load_landuse_paths() is load_landuse_paths()  # the bundled one, read once


def test_bad_path_tables_list_every_bad_row() -> None:
    bad = pd.DataFrame(
        {
            "from_class": ["industrial", "industrial", ""],
            "to_class": ["education", "research", "x"],
            "path": ["maybe", "transition", "allowed"],
            "delay_days": [10, -5, 0],
            "requires_tenure": [None, "rent", None],
        }
    )
    with pytest.raises(ValidationError) as exc:
        load_landuse_paths(bad)
    got = {(p.row, p.field) for p in exc.value.problems}
    assert got == {
        (0, "path"),
        (1, "delay_days"),
        (1, "requires_tenure"),
        (2, "from_class/to_class"),
    }
    with pytest.raises(ValidationError, match="missing columns"):
        load_landuse_paths(pd.DataFrame({"from_class": ["a"]}))


def test_scorer_uses_a_custom_path_table(table: FeatureTable) -> None:
    custom = ZONE.frame.copy()
    custom.loc[
        (custom.from_class == "industrial") & (custom.path == "transition"), "delay_days"
    ] = 90
    sc = fitted(table, landuse_paths=custom)
    ev = sc.evaluate(table, detail=True)
    assert ev.detail["land_use_days"][0] == 90 and ev.move_in_days[0] == 120


# ---------------------------------------------------------------------- random tables


def random_inventory(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random assets with unknowns everywhere, and their context."""
    rng = np.random.default_rng(seed)
    ids = pd.Index([f"R{i}" for i in range(n)], name="asset_id")

    def holes(a: np.ndarray, share: float = 0.1) -> np.ndarray:
        a = a.astype(float)
        a[rng.random(n) < share] = np.nan
        return a

    tenures = [["lease"], ["transfer"], ["lease", "transfer"], ["lease_then_transfer"], None]
    assets = pd.DataFrame(
        {
            "kind": rng.choice(["land", "factory", "campus"], n),
            "land_area_m2": holes(rng.uniform(20_000, 200_000, n), 0.02),
            "building_area_m2": holes(rng.uniform(0, 90_000, n)),
            "rent_yuan_m2_month": holes(rng.uniform(5, 30, n)),
            "land_price_yuan_mu": holes(rng.uniform(1e5, 9e5, n)),
            "power_kva": holes(rng.uniform(100, 5000, n)),
            "land_use": rng.choice(["1001", "1101", "0804", "0901", "0701"], n),
            "status": rng.choice(["idle", "available", "low_efficiency", "leased", "bogus"], n),
            "tenure": [tenures[i] for i in rng.integers(0, len(tenures), n)],
            "net_land": rng.choice([True, False, None], n),
            "ready_date": [
                None if rng.random() < 0.5 else date(2024, 1, 1) + pd.Timedelta(days=int(d))
                for d in rng.integers(0, 400, n)
            ],
            "district": rng.choice(["杏东", "张坂", "惠南", None], n),
            "updated_at": [None if rng.random() < 0.2 else "2024-03-01" for _ in range(n)],
        },
        index=ids,
    )
    context = pd.DataFrame(
        {
            "centroid_x": rng.uniform(0, 20_000, n),
            "centroid_y": rng.uniform(0, 20_000, n),
            "equiv_radius_m": rng.uniform(50, 300, n),
            "presence_P83": rng.gamma(0.5, 10, n),
            "presence_C26": rng.gamma(0.5, 10, n),
            "nearest_C26_m": np.where(rng.random(n) < 0.1, np.inf, rng.uniform(0, 6000, n)),
            "nearest_P83_m": rng.uniform(0, 6000, n),
            "access_port_m": holes(rng.uniform(0, 40_000, n)),
        },
        index=ids,
    )
    return assets, context


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_ranking_pass_agrees_with_the_detailed_one(seed: int) -> None:
    assets, context = random_inventory(20_000, seed)
    X = prepare(assets, context, as_of=AS_OF)
    brief = {
        **BRIEF,
        "min_power_kva": 1000,
        "max_land_price_yuan_mu": 6e5,
        "must": ["tenure", "land_use", "size", "cost"],
    }
    sc = fitted(X, brief, block_rows=4096)
    ev = sc.evaluate(X, detail=True)
    totals = sc.rank_scores(X)
    np.testing.assert_allclose(totals.score, ev.score, rtol=1e-5)
    np.testing.assert_array_equal(totals.n_failed, ev.n_failed)
    assert ((ev.n_failed == 1) & ev.offerable == np.isfinite(totals.near_miss)).all()
    for c in ev.criteria:
        assert np.isfinite(ev.scores[c]).all() and (ev.scores[c] >= 0).all()
        assert (ev.scores[c] <= 1).all()
    # the detailed pass on a subset gives the same rows as on the whole table
    rows = top_k(totals.score, 25)
    sub = sc.evaluate(X.take(rows), detail=True)
    np.testing.assert_allclose(sub.score, ev.score[rows], rtol=1e-5)
    for c in ev.criteria:
        np.testing.assert_array_equal(sub.scores[c], ev.scores[c][rows])
    # the failed musts are exactly what the values say
    lo, hi = sc.requirements_.land_area_range_m2
    area = X["land_area_m2"]
    outside = (area < np.float32(lo)) | (area > np.float32(hi))
    np.testing.assert_array_equal(ev.failed["size"], outside)
    rent = X["rent_yuan_m2_month"]
    price = X["land_price_yuan_mu"]
    np.testing.assert_array_equal(ev.failed["cost"], (rent > 18) | (price > np.float32(6e5)))


def test_match_on_assets_and_context(assets: pd.DataFrame, context: pd.DataFrame) -> None:
    from assetmatch.match import match

    zone = {"landuse_paths": ZONE}
    res = match(BRIEF, assets=assets, context=context, as_of=AS_OF, top=3, model=zone)
    assert res.table.loc[0, "asset_id"] == "A" and set(res.table["asset_id"]) == {"A", "C"}
    # without the zone's opt-in, A's school is a change of use (a year): beyond the deadline
    default = match(BRIEF, assets=assets, context=context, as_of=AS_OF, top=3)
    assert "A" not in set(default.table["asset_id"])
    miss = default.near_misses.set_index("asset_id")
    assert miss.at["A", "failed"] == "readiness"
    assert default.rules_version != res.rules_version
    assert res.table.loc[0, "reasons"].startswith("150 亩，在 150–200 亩要求内")
    updated = pd.Series({"A": "2022-06-30"})
    X = prepare(assets, context, as_of=AS_OF, updated_at=updated)
    assert X["updated_day"][0] == pytest.approx((date(2022, 6, 30) - date(1970, 1, 1)).days)
    assert np.isnan(X["updated_day"][1])


def test_one_scorer_on_several_tables(assets: pd.DataFrame, context: pd.DataFrame) -> None:
    X = prepare(assets, context, as_of=AS_OF)
    reordered = prepare(assets.iloc[::-1], context, as_of=AS_OF)  # other category codes
    assert X.categories["land_class"] != reordered.categories["land_class"]
    sc = fitted(X)
    sub_first = sc.evaluate(X.take([4, 2]))  # a subset before the whole table
    whole = sc.evaluate(X)
    other = sc.evaluate(reordered)
    np.testing.assert_array_equal(sub_first.score, whole.score[[4, 2]])
    np.testing.assert_array_equal(other.score, whole.score[::-1])
    np.testing.assert_array_equal(other.move_in_days, whole.move_in_days[::-1])


def test_a_scorer_that_has_scored_pickles_and_scores_the_same(table: FeatureTable) -> None:
    """A used scorer keeps a memo of the table by weak reference; its pickle leaves it out."""
    import pickle

    sc = fitted(table)
    before = sc.evaluate(table, detail=True)
    assert sc._plan_memo is not None  # the memo a weak reference cannot pickle is there
    copy = pickle.loads(pickle.dumps(sc))
    assert copy._plan_memo is None and sc._plan_memo is not None  # the original keeps its memo
    after = copy.evaluate(table, detail=True)
    np.testing.assert_array_equal(after.score, before.score)
    for c in before.criteria:
        np.testing.assert_array_equal(after.scores[c], before.scores[c])
