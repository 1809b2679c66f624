"""AHP weights: hand-built consistent matrices, an independent eigen computation, refusals."""

from __future__ import annotations

import numpy as np
import pytest

import assetmatch as am
from assetmatch.scoring.ahp import RANDOM_INDEX


def _power_iteration(a: np.ndarray, steps: int = 500) -> tuple[np.ndarray, float]:
    """Principal eigenvector and eigenvalue by power iteration (independent of numpy.linalg)."""
    w = np.ones(len(a)) / len(a)
    for _ in range(steps):
        w = a @ w
        w = w / w.sum()
    lam = float(np.mean((a @ w) / w))
    return w, lam


def test_a_consistent_matrix_gives_back_its_weights():
    true = {"size": 0.5, "cost": 0.3, "readiness": 0.2}
    names = list(true)
    a = [[true[i] / true[j] for j in names] for i in names]
    r = am.ahp_weights(a, names)
    for c in names:
        assert r.weights.values[c] == pytest.approx(true[c], abs=1e-12)
    assert r.consistency_ratio == pytest.approx(0.0, abs=1e-9)
    assert r.worst_pair is None and r.consistent
    assert r.weights.source == "ahp"


def test_a_slightly_inconsistent_matrix_matches_power_iteration():
    # size vs readiness 3, size vs cost 5, readiness vs cost 3 (5 ≠ 3 × 3: mildly inconsistent)
    a = np.array([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    names = ["size", "readiness", "cost"]
    r = am.ahp_weights(a, names)
    w, lam = _power_iteration(a)
    assert [r.weights.values[c] for c in names] == pytest.approx(list(w), abs=1e-9)
    assert r.lambda_max == pytest.approx(lam, abs=1e-9)
    assert r.consistency_ratio == pytest.approx((lam - 3) / 2 / RANDOM_INDEX[3], abs=1e-9)
    assert 0 < r.consistency_ratio < 0.1
    assert r.worst_pair is not None


def test_contradicting_judgments_are_refused_naming_the_ratio_and_pair():
    # a cycle: size ≫ cost, cost ≫ near, near ≫ size
    a = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    names = ["size", "cost", "near"]
    with pytest.raises(am.ValidationError, match=r"consistency ratio \d+\.\d+ is above 0\.1") as e:
        am.ahp_weights(a, names)
    assert e.value.problems[0].field.startswith("matrix[")
    r = am.ahp_weights(a, names, accept_inconsistent=True)
    assert r.consistency_ratio > 0.1 and not r.consistent
    assert sum(r.weights.values.values()) == pytest.approx(1.0)


def test_experts_combine_by_geometric_mean():
    one = [[1, 4], [1 / 4, 1]]
    two = [[1, 1], [1, 1]]
    r = am.ahp_weights([one, two], ["size", "cost"])  # geometric mean of 4 and 1 is 2
    assert r.weights.values["size"] == pytest.approx(2 / 3)
    assert r.n_experts == 2


@pytest.mark.parametrize(
    ("matrix", "field", "why"),
    [
        ([[1, 3], [3, 1]], "matrix[size][cost]", "reciprocal"),
        ([[1, 12], [1 / 12, 1]], "matrix[size][cost]", "1/9 to 9"),
        ([[2, 3], [1 / 3, 1]], "matrix[size][size]", "itself is 1"),
        ([[1, float("nan")], [1, 1]], "matrix[size][cost]", "positive number"),
        ([[1, 3, 1], [1 / 3, 1, 1]], "matrix", "shape"),
    ],
)
def test_malformed_matrices_name_the_cell(matrix, field, why):
    with pytest.raises(am.ValidationError, match=why) as e:
        am.ahp_weights(matrix, ["size", "cost"])
    assert e.value.problems[0].field == field


def test_unknown_or_repeated_criteria_are_refused():
    with pytest.raises(am.ValidationError, match="unknown criterion 'beauty'"):
        am.ahp_weights([[1, 2], [0.5, 1]], ["size", "beauty"])
    with pytest.raises(am.ValidationError, match="named twice"):
        am.ahp_weights([[1, 1], [1, 1]], ["size", "size"])


def test_ahp_weights_drive_a_match():
    inv = am.Inventory.demo()
    from assetmatch.demo import PUBLIC_BRIEFS

    req = am.Requirements.model_validate(PUBLIC_BRIEFS["hengzhong"])
    names = ["size", "building", "cost"]
    a = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]
    r = am.ahp_weights(a, names)
    res = am.match(req, inventory=inv, weights=r.weights, top=5)
    wn = res.to_dict()["weights_normalized"]
    assert set(k for k, v in wn.items() if v > 0) <= set(names)
    assert wn["size"] / wn["cost"] == pytest.approx(
        r.weights.values["size"] / r.weights.values["cost"]
    )


# ---------------------------------------------------------------------- a published example

#: Saaty's house-buying example: T. L. Saaty, "How to make a decision: The Analytic Hierarchy
#: Process", European Journal of Operational Research 48 (1990) 9–26, Table 2 — the family's
#: 8×8 comparison of the criteria (size of house, transportation, neighbourhood, age, yard,
#: modern facilities, general condition, financing). Matrix as reproduced in LINDO Systems'
#: model AnaHierProc02 ("Example from Saaty … EJOR 48:9-26", www.lindo.com, checked
#: 2026-12-04). Published results: priority vector 0.173, 0.054, 0.188, 0.018, 0.031, 0.036,
#: 0.167, 0.333; λmax = 9.669, CI = 0.238, CR = 0.169 (quoted with the table in other AHP
#: test suites, e.g. "Saaty 1990 Table 2 … lambda_max = 9.669, CI = 0.238, CR = 0.169").
SAATY_HOUSE = [
    [1, 5, 3, 7, 6, 6, "1/3", "1/4"],
    ["1/5", 1, "1/3", 5, 3, 3, "1/5", "1/7"],
    ["1/3", 3, 1, 6, 3, 4, 6, "1/5"],
    ["1/7", "1/5", "1/6", 1, "1/3", "1/4", "1/7", "1/8"],
    ["1/6", "1/3", "1/3", 3, 1, "1/2", "1/5", "1/6"],
    ["1/6", "1/3", "1/4", 4, 2, 1, "1/5", "1/6"],
    [3, 5, "1/6", 7, 5, 5, 1, "1/2"],
    [4, 7, 5, 8, 6, 6, 2, 1],
]
SAATY_HOUSE_WEIGHTS = [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333]
# the eight house criteria stand in for eight of ours, in the same order
HOUSE_AS = ["size", "access", "district", "freshness", "building", "specs", "readiness", "cost"]


def _frac(v):
    return eval(v) if isinstance(v, str) else float(v)  # "1/3" -> 0.333…


def test_saaty_1990_house_example_gives_the_published_numbers():
    a = [[_frac(v) for v in row] for row in SAATY_HOUSE]
    r = am.ahp_weights(a, HOUSE_AS, accept_inconsistent=True)
    got = [round(r.weights.values[c], 3) for c in HOUSE_AS]
    assert got == SAATY_HOUSE_WEIGHTS
    assert round(r.lambda_max, 3) == 9.669
    assert round((r.lambda_max - 8) / 7, 3) == 0.238
    assert round(r.consistency_ratio, 3) == 0.169
    # the judgment furthest from the weights: neighbourhood 6× condition, while their
    # weights' ratio is 0.188 / 0.167 ≈ 1.13
    assert r.worst_pair == ("district", "readiness")


def _house_brief(**pairwise):
    return dict(
        land_area_mu=(150, 200),
        building_area_m2=(50_000, None),
        min_power_kva=800,
        max_rent_yuan_m2_month=18,
        districts=["杏东"],
        pairwise={"criteria": HOUSE_AS, "matrix": SAATY_HOUSE, **pairwise},
    )


def test_requirements_refuse_saatys_inconsistent_matrix_naming_ratio_and_pair():
    with pytest.raises(am.ValidationError, match=r"consistency ratio 0\.169 is above 0\.1") as e:
        am.Requirements(**_house_brief())
    (p,) = e.value.problems
    assert p.field == "pairwise.matrix[district][readiness]"
    assert "accept_inconsistent" in p.reason


def test_requirements_accept_it_when_asked_and_match_uses_the_ahp_weights():
    req = am.Requirements(**_house_brief(accept_inconsistent=True))
    assert round(req.ahp.consistency_ratio, 3) == 0.169
    w = am.Weights.from_requirements(req)
    assert w.source == "ahp"
    assert [round(w.values[c], 3) for c in HOUSE_AS] == SAATY_HOUSE_WEIGHTS
    # the brief survives JSON (fractions become floats) with the same weights
    back = am.Requirements.from_json(req.to_json())
    assert back.ahp.weights.values == pytest.approx(dict(w.values))
    # criteria left out of the comparison weigh 0 in a match
    res = am.match(req, inventory=am.Inventory.demo(), top=3)
    assert res.weights.source == "ahp"
    assert res.model.weight_.get("tenure", 0.0) == 0.0
    assert res.model.weight_["cost"] > res.model.weight_["size"] > res.model.weight_["access"]


def test_requirements_take_several_experts_by_geometric_mean():
    req = am.Requirements(
        land_area_mu=(150, 200),
        max_rent_yuan_m2_month=18,
        pairwise={
            "criteria": ["size", "cost"],
            "experts": [[[1, 4], ["1/4", 1]], [[1, 1], [1, 1]]],
        },
    )
    assert req.ahp.n_experts == 2
    assert req.ahp.weights.values["size"] == pytest.approx(2 / 3)  # √(4·1) = 2 → 2/3


@pytest.mark.parametrize(
    ("extra", "field", "why"),
    [
        ({"priorities": {"size": 5}}, "pairwise", "instead of priorities or weights"),
        ({"weights": {"size": 1.0}}, "pairwise", "instead of priorities or weights"),
        ({"pairwise": {"criteria": ["size", "cost"]}}, "pairwise", "exactly one of matrix"),
        (
            {"pairwise": {"criteria": ["size", "near"], "matrix": [[1, 3], ["1/3", 1]]}},
            "pairwise.criteria",
            "near compared, but the brief gives nothing",
        ),
        (
            {"pairwise": {"criteria": ["size", "cost"], "matrix": [[1, "a lot"], [1, 1]]}},
            "pairwise.matrix.0.1",
            "fraction such as",
        ),
        (
            {"pairwise": {"criteria": ["size", "cost"], "matrix": [[1, 3], [3, 1]]}},
            "pairwise.matrix[size][cost]",
            "reciprocal",
        ),
    ],
)
def test_bad_pairwise_briefs_name_the_field(extra, field, why):
    base = {
        "land_area_mu": (150, 200),
        "max_rent_yuan_m2_month": 18,
        "pairwise": {"criteria": ["size", "cost"], "matrix": [[1, 3], ["1/3", 1]]},
    }
    with pytest.raises(am.ValidationError) as e:
        am.Requirements(**{**base, **extra})
    hits = [p for p in e.value.problems if p.field == field]
    assert hits and why in hits[0].reason, e.value.problems
