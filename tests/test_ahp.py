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
