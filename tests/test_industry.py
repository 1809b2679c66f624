"""Tests of assetmatch.industry: codes, affinity and conflict tables, synergy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assetmatch import ValidationError
from assetmatch.domain.industry import (
    RELATIONS,
    ConflictRule,
    default_affinity,
    default_conflicts,
    industry_division,
    industry_name,
    load_affinity,
    load_conflicts,
    synergy_scores,
)
from assetmatch.schema import INDUSTRIES


def test_industry_division_cuts_to_letter_and_two_digits() -> None:
    got = industry_division(["C1921", "C19", "c192", " P83 ", "G5941"])
    assert list(got) == ["C19", "C19", "C19", "P83", "G59"]
    assert list(industry_division("C3911")) == ["C39"]
    assert list(industry_division(pd.Series(["C22"], index=["x"]))) == ["C22"]


def test_industry_division_lists_every_bad_code() -> None:
    with pytest.raises(ValidationError) as err:
        industry_division(["C19", "X19", "C1", None, "C12345", "19"])
    rows = [p.row for p in err.value.problems]
    assert rows == [3, 1, 2, 4, 5]
    assert "'X19' is not a GB/T 4754 code" in str(err.value)
    assert "missing industry code" in str(err.value)
    assert isinstance(err.value, ValueError)


def test_default_affinity_covers_the_demo_divisions() -> None:
    aff = default_affinity()
    assert set(INDUSTRIES) <= set(aff.index)
    assert set(INDUSTRIES) <= set(aff.columns)
    assert aff.index.name == "investor" and aff.columns.name == "neighbour"
    values = aff.to_numpy()
    assert ((values >= 0) & (values <= 1)).all()
    for code in INDUSTRIES:
        assert aff.at[code, code] == 1.0
    # the cases the product is built around
    assert aff.at["C19", "C29"] >= 0.6  # shoes <- rubber and plastic soles
    assert aff.at["C19", "C17"] >= 0.5  # shoes <- upper fabrics
    assert aff.at["C22", "G59"] > 0 and aff.at["C22", "C26"] > 0  # paper <- logistics, pulping
    assert aff.at["P83", "M73"] > 0  # education <- research
    assert aff.at["C28", "C26"] > 0 and aff.at["C28", "C17"] > 0 and aff.at["C28", "C29"] > 0
    relations = pd.DataFrame(aff.attrs["relations"])
    assert set(relations["relation"]) <= set(RELATIONS)
    assert relations["note"].str.len().min() > 10


def test_default_affinity_is_a_fresh_copy() -> None:
    aff = default_affinity()
    aff.loc["C19", "C29"] = 0.0
    assert default_affinity().at["C19", "C29"] > 0


def test_load_affinity_long_and_wide_forms() -> None:
    long = pd.DataFrame(
        {"investor": ["c19", "C19"], "neighbour": ["C29", "C19"], "weight": [0.5, 1.0]}
    )
    aff = load_affinity(long)
    assert aff.at["C19", "C29"] == 0.5 and aff.at["C19", "C19"] == 1.0
    assert list(aff.columns) == ["C19", "C29"]
    wide = pd.DataFrame({"C19": [1.0], "C29": [0.5]}, index=["C19"])
    assert load_affinity(wide).equals(aff)


def test_load_affinity_reports_every_problem(tmp_path) -> None:
    path = tmp_path / "aff.csv"
    path.write_text(
        "investor,neighbour,weight,relation\n"
        "C19,C29,1.5,upstream\n"
        "C19,Z99,0.5,upstream\n"
        "C19,C17,0.5,cousin\n"
        "C19,C17,0.4,upstream\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as err:
        load_affinity(path)
    fields = sorted((p.row, p.field) for p in err.value.problems)
    assert fields == [(0, "weight"), (1, "neighbour"), (2, "relation"), (3, "neighbour")]
    assert "expected a number in [0, 1]; got 1.5" in str(err.value)


def test_default_conflicts_are_indicative_valid_and_sourced() -> None:
    rules = default_conflicts()
    assert list(rules.columns) == [
        "source", "sensitive", "min_distance_m", "basis", "basis_zh", "checked"
    ]  # fmt: skip
    chem_school = rules[(rules.source == "C261") & (rules.sensitive == "P83")]
    assert chem_school["min_distance_m"].iloc[0] == 1000.0
    assert {"C13", "C14", "residential"} <= set(rules.loc[rules.source == "C264", "sensitive"])
    assert rules["basis"].str.startswith("indicative protection distance").all()
    assert (rules["basis_zh"].str.len() > 5).all()
    assert pd.to_datetime(rules["checked"]).notna().all()
    assert (rules["min_distance_m"] > 0).all()
    chem = rules.loc[rules.basis_zh.str.contains("GB/T 37243-2019"), "basis_zh"]
    assert chem.str.contains("GB 36894-2018").all() and len(chem) == 7 * 4


def test_default_conflicts_name_only_the_sub_industries_that_warrant_them() -> None:
    sources = set(default_conflicts()["source"])
    # pulp and paper making, not paper products (cartons); rubber, not plastics; chemicals
    # other than household chemicals (cosmetics)
    assert {"C221", "C222", "C291"} <= sources
    assert {"C261", "C262", "C263", "C264", "C265", "C266", "C267"} <= sources
    for broad in ("C22", "C223", "C29", "C292", "C26", "C268"):
        assert broad not in sources


def test_affinity_uses_the_gbt4754_codes_of_machinery_testing_and_recycling() -> None:
    aff = default_affinity()
    rel = pd.DataFrame(aff.attrs["relations"])
    # machinery and moulds made for an industry are C35, not C34
    for investor in ("C19", "C17", "C22", "C29", "C30"):
        assert aff.at[investor, "C35"] > 0 and aff.at[investor, "C34"] == 0, investor
    # testing (745) and design (749) are M74, not M73; waste paper is collected by F5191
    assert aff.at["C19", "M74"] > 0 and aff.at["C19", "M73"] == 0
    assert aff.at["C22", "F5191"] > 0
    # synthetic leather (2925) is in C29, named there
    note = rel.loc[(rel.investor == "C19") & (rel.neighbour == "C29"), "note"].iloc[0]
    assert "2925" in note
    assert rel["source"].str.contains("GB/T 4754-2017").all()
    assert pd.to_datetime(rel["checked"]).notna().all()


def test_industry_name_uses_the_closest_known_code() -> None:
    assert industry_name("C2221") == "造纸"
    assert industry_name("C2231") == "纸和纸板容器制造"
    assert industry_name("C22") == "造纸和纸制品业"
    assert industry_name("F5191", "en") == "recycling collection and wholesale"
    assert industry_name("X99") == "X99"


def test_load_conflicts_from_rules_and_errors() -> None:
    rules = load_conflicts(
        [ConflictRule("c26", "P83", 800, "zone plan"), ConflictRule("C22", "housing", 300)]
    )
    assert rules.to_dict("records")[0] == {
        "source": "C26",
        "sensitive": "P83",
        "min_distance_m": 800.0,
        "basis": "zone plan",
        "basis_zh": "",
        "checked": "",
    }
    assert rules["sensitive"].iloc[1] == "housing"
    bad = pd.DataFrame(
        {"source": ["C26", "K9"], "sensitive": ["Schools!", "P83"], "min_distance_m": [-5, 100]}
    )
    with pytest.raises(ValidationError) as err:
        load_conflicts(bad)
    assert sorted((p.row, p.field) for p in err.value.problems) == [
        (0, "min_distance_m"),
        (0, "sensitive"),
        (1, "source"),
    ]


def test_synergy_scores_is_affinity_times_presence_saturated() -> None:
    aff = load_affinity(
        pd.DataFrame(
            {"investor": ["C19", "C19"], "neighbour": ["C19", "C29"], "weight": [1.0, 0.5]}
        )
    )
    ctx = pd.DataFrame(
        {
            "presence_C19": [0.0, 4.0, 10.0],
            "presence_C29": [0.0, 12.0, 0.0],
            "presence_P83": [9.0, 9.0, 9.0],
        }
    )
    got = synergy_scores(ctx, "C1921", aff, half_saturation=10.0)
    raw = np.array([0.0, 4.0 + 6.0, 10.0])
    np.testing.assert_allclose(got, raw / (raw + 10.0))
    assert got[1] == pytest.approx(0.5)


def test_synergy_scores_warns_for_unknown_industry_and_missing_columns() -> None:
    ctx = pd.DataFrame({"presence_C36": [10.0]})
    with pytest.warns(UserWarning, match="no row for industry 'C36'"):
        got = synergy_scores(ctx, "C36", default_affinity())
    assert got[0] == pytest.approx(0.5)
    with pytest.warns(UserWarning, match="no presence column"):
        synergy_scores(pd.DataFrame({"presence_C19": [1.0]}), "C19")
    with pytest.raises(ValueError, match="half_saturation"):
        synergy_scores(ctx, "C36", default_affinity(), half_saturation=0)


def test_the_basis_a_shortlist_quotes_is_the_first_rule_of_its_pair() -> None:
    from assetmatch.scoring.tables import _conflict_bases

    rules = pd.DataFrame(
        {
            "source": ["C26", "C26", "C22", "C30"],
            "sensitive": ["P83", "P83", "housing", "P83"],
            "min_distance_m": [800.0, 1000.0, 300.0, 300.0],
            "basis": ["zone plan", "other", "GB 11654-89", ""],
            "basis_zh": ["  园区规划  ", "别的", "", ""],
        }
    )
    assert _conflict_bases(rules) == {
        ("C26", "P83"): "园区规划",
        ("C22", "housing"): "GB 11654-89",
        ("C30", "P83"): "",
    }
    assert _conflict_bases(rules.drop(columns="sensitive")) == {}
    bundled = _conflict_bases(default_conflicts())
    first = default_conflicts().iloc[0]
    assert bundled[(first["source"], first["sensitive"])] == first["basis_zh"].strip()
