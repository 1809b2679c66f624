"""Several investors at once: allocate sites to competing briefs for the best total fit.

:func:`match_many` scores every asset for every brief with the same scorer as
:func:`assetmatch.match` (the same musts, stated bounds and weights: an asset that ``match``
would not rank is never allocated), then gives each investor at most one site so that the
**sum of the scores** is as large as possible — an assignment problem, solved exactly with
:func:`scipy.optimize.linear_sum_assignment` (a shortest-augmenting-path algorithm, Crouse
2016), not greedily. Greedy allocation in arrival order can be much worse: when the first
investor's favourite is the only site the second can use, greedy gives it to the first and the
second gets nothing; the assignment gives it to the second and the first its next best.

A site already offered to someone (an open offer, see :meth:`assetmatch.Inventory.offer`) is
never allocated to another investor, and a site whose status allows no offer (reserved,
leased, …) is never allocated at all. With ``offer=True`` the allocation is recorded as offers
in one transaction, so a second run — by another person, or concurrently — cannot promise the
same sites again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from ._errors import Problem, ValidationError
from .batch import _asset_names, _briefs, _names, score_matrix
from .match import _features
from .requirements import Requirements
from .scoring.scorer import FeatureTable, SiteScorer

logger = logging.getLogger(__name__)

__all__ = ["ALLOCATION_COLUMNS", "match_many"]

#: Columns of the table :func:`match_many` returns (one row per brief, in the given order).
ALLOCATION_COLUMNS: Final = (
    "request",
    "investor",
    "asset_id",
    "name",
    "score",
    "own_rank",
    "first_choice",
    "first_choice_score",
    "n_eligible",
    "offered",
)

#: A tiny bonus per allocated pair, so that an eligible site of score 0 still beats no site.
_EPS: Final = 1e-6


def match_many(
    requirements: Sequence[Requirements | Mapping[str, Any] | str],
    inventory: Any = None,
    *,
    assets: pd.DataFrame | None = None,
    context: pd.DataFrame | None = None,
    features: FeatureTable | None = None,
    as_of: Any = None,
    model: SiteScorer | Mapping[str, Any] | None = None,
    offer: bool = False,
    at: Any = None,
    progress: Callable[[int, int], None] | None = None,
    client: Any = None,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Allocate at most one site to each investor, maximising the total fit.

    Parameters
    ----------
    requirements
        The briefs (:class:`~assetmatch.requirements.Requirements`, dicts or JSON strings),
        one per investor. Their ``investor`` names identify them in offers; a brief without
        one is called ``#position``.
    inventory, assets, context, features
        Where the assets come from, as in :func:`assetmatch.match` (exactly one of
        ``inventory``, ``assets`` or ``features``).
    as_of
        The match date, as in :func:`assetmatch.match`.
    model
        A :class:`~assetmatch.scoring.SiteScorer` or its parameters, as in ``match``.
    offer
        Record the allocation as offers (:meth:`assetmatch.Inventory.offer_many`, one
        transaction, at ``at``); needs an inventory.
    at
        Valid time of the recorded offers (default today).
    progress
        Called as ``progress(done, total)`` while the briefs are scored.
    client
        A ``dask.distributed.Client``: score the briefs on its cluster (the feature table is
        sent to every worker once, tasks carry chunks of briefs; the allocation is the same as
        on one machine, exactly). The table stays on the cluster for the next call on this
        client with the same table, until another table replaces it or the client is closed.
    scheduler
        Address of a dask scheduler (``"tcp://10.0.0.5:8786"``): a client is connected for this
        call and closed after it. Give ``client`` or ``scheduler``, not both; without either
        the briefs are scored in this process.

    Returns
    -------
    pandas.DataFrame
        One row per brief, in the given order (:data:`ALLOCATION_COLUMNS`): ``request``
        (position in ``requirements``), ``investor``, ``asset_id`` / ``name`` / ``score`` of
        the allocated site (``None`` / ``NaN`` when the investor gets none), ``own_rank``
        (that site's rank in the investor's own ranking; 1 = their favourite),
        ``first_choice`` and ``first_choice_score`` (their favourite, which another investor
        may have got), ``n_eligible`` (sites they could use) and ``offered`` (recorded as an
        offer). ``df.attrs["total_score"]`` holds the total fit.

    Raises
    ------
    assetmatch.ValidationError
        If a brief is invalid (every problem listed, the brief's position as the row), or
        ``offer=True`` without an inventory.
    assetmatch.OfferConflictError
        If, while recording, a site was offered to someone else in the meantime (nothing is
        recorded; run again).
    assetmatch.ClusterError
        If the scheduler cannot be reached, both ``client`` and ``scheduler`` are given, or a
        worker is lost.

    Examples
    --------
    >>> import assetmatch as am
    >>> inv = am.Inventory.demo()                                   # doctest: +SKIP
    >>> am.match_many([brief_a, brief_b], inventory=inv)            # doctest: +SKIP
    """
    reqs = _briefs(requirements, "match_many")
    if offer:
        problems = [
            Problem(i, "investor", "name the investor: offers are recorded under that name")
            for i, r in enumerate(reqs)
            if not (r.investor and r.investor.strip())
        ]
        if inventory is None:
            problems.insert(
                0, Problem(None, "offer", "offer=True needs inventory= (offers are kept there)")
            )
        if problems:
            raise ValidationError("match_many cannot record offers:", problems)
    X = _features(inventory, assets, context, features, as_of)
    names = _names(reqs)
    S = score_matrix(reqs, X, inventory, model, as_of, progress, client, scheduler)
    held = _held(inventory)
    if len(held):
        pos = {a: k for k, a in enumerate(X.ids.astype(str))}
        for aid, who in held.items():
            k = pos.get(aid)
            if k is not None:
                S[[n != who for n in names], k] = -np.inf
    rows, cols = _assign(S)
    table = _table(reqs, names, X, S, rows, cols)
    if offer and table["asset_id"].notna().any():
        given = table[table["asset_id"].notna()]
        inventory.offer_many(
            pd.DataFrame({"asset_id": given["asset_id"], "investor": given["investor"]}),
            at=at,
            note="match_many",
        )
        table.loc[given.index, "offered"] = True
    logger.info(
        "allocated %d of %d investors over %d assets; total score %.3f",
        int(table["asset_id"].notna().sum()),
        len(reqs),
        len(X),
        table.attrs["total_score"],
    )
    return table


def _held(inventory: Any) -> dict[str, str]:
    """Asset → investor of the open offers (none without an inventory that keeps offers)."""
    reader = getattr(inventory, "offers", None)
    if not callable(reader):
        return {}
    open_ = reader()
    return dict(zip(open_["asset_id"].astype(str), open_["investor"].astype(str), strict=True))


def _assign(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns (into ``S``) of the allocated eligible pairs, maximising the total."""
    ok = np.isfinite(S)
    usable = np.flatnonzero(ok.any(axis=0))  # only sites someone can use take part
    if not len(usable):
        return np.empty(0, np.intp), np.empty(0, np.intp)
    sub_ok = ok[:, usable]
    profit = np.where(sub_ok, S[:, usable].astype(np.float64) + _EPS, 0.0)
    r, c = linear_sum_assignment(profit, maximize=True)
    keep = sub_ok[r, c]  # a pair of profit 0 is "no site"
    return r[keep], usable[c[keep]]


def _table(
    reqs: list[Requirements],
    names: list[str],
    X: FeatureTable,
    S: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
) -> pd.DataFrame:
    n = len(reqs)
    asset_names = _asset_names(X)
    ids = X.ids.astype(str)
    got = dict(zip(rows.tolist(), cols.tolist(), strict=True))
    recs = []
    for i in range(n):
        s = S[i]
        finite = np.isfinite(s)
        n_ok = int(finite.sum())
        best = int(np.argmax(np.where(finite, s, -np.inf))) if n_ok else None
        k = got.get(i)
        recs.append(
            {
                "request": i,
                "investor": names[i],
                "asset_id": None if k is None else ids[k],
                "name": None if k is None else asset_names[k],
                "score": np.nan if k is None else float(s[k]),
                "own_rank": None if k is None else int(np.count_nonzero(s > s[k])) + 1,
                "first_choice": None if best is None else ids[best],
                "first_choice_score": np.nan if best is None else float(s[best]),
                "n_eligible": n_ok,
                "offered": False,
            }
        )
    table = pd.DataFrame(recs, columns=list(ALLOCATION_COLUMNS))
    table["own_rank"] = table["own_rank"].astype("Int64")
    table.attrs["total_score"] = float(np.nansum(table["score"].to_numpy(dtype=float)))
    return table
