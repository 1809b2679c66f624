"""How much a shortlist depends on its weights and on how the scores are added up.

:meth:`assetmatch.MatchResult.robustness` perturbs the weights at random and re-ranks the
sites that pass every must and stated bound (the gates do not depend on the weights, so the
same sites compete); :meth:`assetmatch.MatchResult.rank_agreement` ranks the same criterion
scores by TOPSIS and by a weighted product (:mod:`assetmatch.scoring.aggregation`) and
compares them with the shortlist.

Perturbations
    Each of ``n`` draws multiplies every weight by its own factor drawn uniformly from
    ``[1 − spread, 1 + spread]`` (default ±20 %), then renormalises. The draws come from
    ``numpy.random.default_rng(seed)``: the same seed gives the same shares.
Robust or fragile
    A shortlisted site is **robust** when it stays in the top ``k`` (default: the shortlist's
    length) in at least :data:`ROBUST_SHARE` (80 %) of the draws, else **fragile**. A site is
    in the top ``k`` when fewer than ``k`` sites score strictly higher (a tie is no one ahead).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd
from scipy import stats

from ._errors import Problem, ValidationError
from .scoring.aggregation import topsis, weighted_product

if TYPE_CHECKING:
    from .result import MatchResult

__all__ = [
    "AGREEMENT_COLUMNS",
    "ROBUSTNESS_COLUMNS",
    "ROBUST_SHARE",
    "rank_agreement",
    "robustness",
    "top_k_shares",
]

#: Share of perturbations a site must stay in the top k in to be called robust.
ROBUST_SHARE: Final = 0.8
#: Columns of :func:`robustness`.
ROBUSTNESS_COLUMNS: Final = (
    "asset_id",
    "name",
    "rank",
    "score",
    "top_k_share",
    "mean_rank",
    "label",
    "rank_topsis",
    "rank_weighted_product",
)
#: Columns of :func:`rank_agreement`.
AGREEMENT_COLUMNS: Final = ("method", "spearman", "kendall", "n")


def top_k_shares(
    scores: np.ndarray,
    weights: np.ndarray,
    rows: np.ndarray,
    k: int,
    *,
    n: int = 500,
    spread: float = 0.2,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Share of weight perturbations in which each of ``rows`` is in the top ``k``.

    Parameters
    ----------
    scores
        Criterion scores, sites × criteria (the sites that compete).
    weights
        One weight per criterion.
    rows
        The sites to follow (row positions in ``scores``).
    k
        Size of the top.
    n, spread, seed
        Number of draws, half-width of the uniform factor, seed (see the module docstring).

    Returns
    -------
    share, mean_rank
        Per followed site: the share of draws in the top ``k``, and its mean rank.
    """
    S = np.asarray(scores, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    rows = np.asarray(rows, dtype=np.intp)
    rng = np.random.default_rng(seed)
    factors = rng.uniform(1 - spread, 1 + spread, size=(n, len(w)))
    W = w * factors
    W /= W.sum(axis=1, keepdims=True)
    inside = np.zeros(len(rows))
    rank_sum = np.zeros(len(rows))
    for start in range(0, n, 64):  # sites × 64 draws at a time
        T = S @ W[start : start + 64].T
        mine = T[rows]  # followed × draws
        ahead = (T[None, :, :] > mine[:, None, :]).sum(axis=1)
        inside += (ahead < k).sum(axis=1)
        rank_sum += (ahead + 1).sum(axis=1)
    return inside / n, rank_sum / n


def _competitors(result: MatchResult) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Criterion scores of every ranked-eligible site, the weights, criteria and positions."""
    X = result.features
    total = result.model.rank_scores(X, near_place=result.near_place, exclude=result.exclude)
    pos = np.flatnonzero(np.isfinite(total.score))
    ev = result.model.evaluate(X.take(pos), near_place=result.near_place)
    crit = list(ev.criteria)
    S = np.column_stack([ev.scores[c].astype(np.float64) for c in crit]) if crit else None
    w = np.array([ev.weights[c] for c in crit], dtype=np.float64)
    return (S if S is not None else np.zeros((len(pos), 0))), w, crit, pos


def _ranks(values: np.ndarray, rows: np.ndarray) -> list[int]:
    return [int(np.count_nonzero(values > values[r])) + 1 for r in rows]


def robustness(
    result: MatchResult,
    *,
    n: int = 500,
    spread: float = 0.2,
    seed: int = 0,
    k: int | None = None,
) -> pd.DataFrame:
    """Per shortlisted site: how often it stays in the top ``k`` when the weights move.

    Returns
    -------
    pandas.DataFrame
        :data:`ROBUSTNESS_COLUMNS`: ``asset_id``, ``name``, ``rank`` and ``score`` (as in the
        shortlist), ``top_k_share`` (share of the ``n`` draws in the top ``k``), ``mean_rank``
        (over the draws), ``label`` (``"robust"`` or ``"fragile"``, see
        :data:`ROBUST_SHARE`), ``rank_topsis`` and ``rank_weighted_product`` (its rank among
        the same sites under those methods). ``attrs`` keeps ``n``, ``spread``, ``seed``,
        ``k`` and ``robust_share``.
    """
    t = result.table
    k = max(1, len(t)) if k is None else k
    problems = [
        Problem(None, name, f"must be {want}; got {value!r}")
        for name, value, ok, want in (
            ("n", n, isinstance(n, int) and n >= 1, "an integer >= 1"),
            ("spread", spread, isinstance(spread, int | float) and 0 <= spread < 1, "in [0, 1)"),
            ("k", k, isinstance(k, int) and k >= 1, "an integer >= 1"),
            ("seed", seed, isinstance(seed, int | np.integer) and seed >= 0, "an integer >= 0"),
        )
        if not ok
    ]
    if problems:
        raise ValidationError("robustness cannot run:", problems)
    S, w, _, pos = _competitors(result)
    at = {int(p): i for i, p in enumerate(pos)}
    rows = np.array([at[result.features.position(a)] for a in t["asset_id"]], dtype=np.intp)
    if len(rows) and S.shape[1]:
        share, mean_rank = top_k_shares(S, w, rows, k, n=n, spread=spread, seed=seed)
        r_top = _ranks(topsis(S, w), rows)
        r_wpm = _ranks(weighted_product(S, w), rows)
    else:
        share = np.ones(len(rows))
        mean_rank = np.asarray(t["rank"], dtype=float)
        r_top = r_wpm = list(t["rank"])
    out = pd.DataFrame(
        {
            "asset_id": t["asset_id"].astype(str).to_numpy(),
            "name": t["name"].to_numpy(dtype=object) if "name" in t else None,
            "rank": t["rank"].to_numpy(),
            "score": t["score"].to_numpy(dtype=float),
            "top_k_share": share,
            "mean_rank": mean_rank,
            "label": np.where(share >= ROBUST_SHARE, "robust", "fragile"),
            "rank_topsis": r_top,
            "rank_weighted_product": r_wpm,
        },
        columns=list(ROBUSTNESS_COLUMNS),
    )
    out.attrs.update({"n": n, "spread": spread, "seed": seed, "k": k, "robust_share": ROBUST_SHARE})
    return out


def rank_agreement(result: MatchResult) -> pd.DataFrame:
    """Spearman's ρ and Kendall's τ between the shortlist's scores and the same sites' TOPSIS
    closeness and weighted product (``NaN`` with fewer than two sites).

    Returns
    -------
    pandas.DataFrame
        :data:`AGREEMENT_COLUMNS`, one row per method (``"topsis"``, ``"weighted_product"``).
    """
    t = result.table
    S, w, _, pos = _competitors(result)
    at = {int(p): i for i, p in enumerate(pos)}
    rows = np.array([at[result.features.position(a)] for a in t["asset_id"]], dtype=np.intp)
    mine = t["score"].to_numpy(dtype=float)
    out = []
    for name, fn in (("topsis", topsis), ("weighted_product", weighted_product)):
        if len(rows) >= 2 and S.shape[1]:
            other = fn(S, w)[rows]
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")  # constant input: NaN, said in the docstring
                rho = float(stats.spearmanr(mine, other).statistic)
                tau = float(stats.kendalltau(mine, other).statistic)
        else:
            rho = tau = float("nan")
        out.append({"method": name, "spearman": rho, "kendall": tau, "n": len(rows)})
    return pd.DataFrame(out, columns=list(AGREEMENT_COLUMNS))
