"""Robustness: seeded weight perturbations on hand-built score tables, TOPSIS on a textbook
example, and the two on a match."""

from __future__ import annotations

import numpy as np
import pytest

import assetmatch as am
from assetmatch.robustness import AGREEMENT_COLUMNS, ROBUSTNESS_COLUMNS, top_k_shares
from assetmatch.scoring.aggregation import topsis, weighted_product, weighted_sum
from conftest import point_zone


def test_a_dominant_site_stays_first_in_every_draw():
    scores = np.array([[1.0, 1.0, 1.0], [0.5, 0.4, 0.3], [0.2, 0.3, 0.4]])
    share, mean_rank = top_k_shares(scores, np.ones(3), np.array([0, 1, 2]), k=1)
    assert share.tolist() == [1.0, 0.0, 0.0]
    assert mean_rank[0] == 1.0


def test_two_near_equal_sites_are_fragile_and_the_seed_reproduces_it():
    # equal weights tie them; each leads exactly when its own criterion's factor is larger
    scores = np.array([[0.8, 0.6], [0.6, 0.8], [0.1, 0.1]])
    share, _ = top_k_shares(scores, np.ones(2), np.array([0, 1]), k=1, n=500, seed=7)
    assert 0.4 < share[0] < 0.6 and share[0] + share[1] == pytest.approx(1.0)
    again, _ = top_k_shares(scores, np.ones(2), np.array([0, 1]), k=1, n=500, seed=7)
    assert again.tolist() == share.tolist()
    # within the top 2 both are safe whatever the weights
    top2, _ = top_k_shares(scores, np.ones(2), np.array([0, 1]), k=2)
    assert top2.tolist() == [1.0, 1.0]


def test_a_narrow_lead_survives_small_perturbations_only():
    # lead of 0.02 on equal weights: a ±5 % factor can never swap them, ±40 % often does
    scores = np.array([[0.71, 0.69], [0.50, 0.86]])
    narrow, _ = top_k_shares(scores, np.ones(2), np.array([0]), k=1, spread=0.05)
    wide, _ = top_k_shares(scores, np.ones(2), np.array([0]), k=1, spread=0.4)
    assert narrow[0] == 1.0 and wide[0] < 0.8


def test_topsis_reproduces_a_published_worked_example():
    """B. Sennaroğlu, "TOPSIS Example", Decision Analysis lecture notes, Fall 2009 (after
    Yoon & Hwang, *Multiple Attribute Decision Making: An Introduction*, Sage 1995; checked
    2026-12-04): three alternatives, two benefit criteria (17, 12), (10, 9), (8, 6), weights
    0.714 and 0.286. Published weighted normalised matrix V = [[0.5703, 0.2124],
    [0.3355, 0.1593], [0.2684, 0.1062]]; from it, S⁺ of the second alternative is
    √(0.2348² + 0.0531²) = 0.2407, S⁻ = √(0.0671² + 0.0531²) = 0.0856, C = 0.262; the first
    is the ideal (C = 1), the third the anti-ideal (C = 0)."""
    x = np.array([[17, 12], [10, 9], [8, 6]], dtype=float)
    w = np.array([0.714, 0.286])
    v = x / np.sqrt((x**2).sum(axis=0)) * w
    assert v == pytest.approx(
        np.array([[0.5703, 0.2124], [0.3355, 0.1593], [0.2684, 0.1062]]), abs=1e-4
    )
    c = topsis(x, w)
    assert c == pytest.approx([1.0, 0.262, 0.0], abs=1e-3)


def test_weighted_product_and_sum_on_hand_numbers():
    s = np.array([[1.0, 0.25], [0.5, 0.5], [0.0, 1.0]])
    w = np.array([1.0, 1.0])
    assert weighted_sum(s, w).tolist() == [0.625, 0.5, 0.5]
    wp = weighted_product(s, w)
    assert wp[:2] == pytest.approx([0.5, 0.5])  # √(1·¼) = √(½·½)
    assert wp[2] == pytest.approx(np.sqrt(1e-3))  # a 0 is floored, not fatal to the others


@pytest.fixture(scope="module")
def res(tmp_path_factory):
    zone = point_zone(
        [
            {"asset_id": "S1", "name": "一号地块", "land_mu": 100, "rent_yuan_m2_month": 12.0},
            {"asset_id": "S2", "name": "二号地块", "land_mu": 85, "rent_yuan_m2_month": 12.0},
            {"asset_id": "S3", "name": "三号地块", "land_mu": 84, "rent_yuan_m2_month": 12.0},
        ]
    )
    inv = am.Inventory.open(tmp_path_factory.mktemp("robust") / "zone.gpkg")
    inv.add(zone, at="2026-01-01")
    brief = {
        "land_area_mu": (90, 120),
        "max_rent_yuan_m2_month": 18,
        "weights": {"size": 1, "cost": 1},
    }
    yield am.match(brief, inventory=inv, as_of="2026-02-01")
    inv.close()


def test_robustness_of_a_match(res):
    # S1 is best on size and equal on cost: first in every draw; S2 (85 mu) and S3 (84 mu)
    # differ by 1 mu on size only, so S2 stays ahead of S3 whatever the weights
    r = res.robustness(k=1)
    assert list(r.columns) == list(ROBUSTNESS_COLUMNS)
    assert list(r["asset_id"]) == ["S1", "S2", "S3"]
    assert r["top_k_share"].tolist() == [1.0, 0.0, 0.0]
    assert list(r["label"]) == ["robust", "fragile", "fragile"]
    assert r["mean_rank"].tolist() == [1.0, 2.0, 3.0]
    assert list(r["rank_topsis"]) == [1, 2, 3] and list(r["rank_weighted_product"]) == [1, 2, 3]
    assert r.attrs == {"n": 500, "spread": 0.2, "seed": 0, "k": 1, "robust_share": 0.8}
    assert res.robustness()["label"].tolist() == ["robust"] * 3  # k = the shortlist's 3
    with pytest.raises(am.ValidationError, match="spread") as e:
        res.robustness(spread=1.5, k=0)
    assert {p.field for p in e.value.problems} == {"spread", "k"}


def test_rank_agreement_of_a_match(res):
    a = res.rank_agreement()
    assert list(a.columns) == list(AGREEMENT_COLUMNS)
    assert list(a["method"]) == ["topsis", "weighted_product"]
    assert a["spearman"].tolist() == pytest.approx([1.0, 1.0])
    assert a["kendall"].tolist() == pytest.approx([1.0, 1.0])
    assert (a["n"] == 3).all()
