"""Many briefs against one inventory: every asset scored for every brief, here or on dask.

:func:`rank_many` re-scores a whole inventory for many briefs at once — each brief's ranking,
exactly as :func:`assetmatch.match` ranks it — and :func:`assetmatch.match_many` uses the same
scoring before its assignment. Both run on one machine by default, or on a dask.distributed
cluster when given ``client=`` or ``scheduler="tcp://…"``: the prepared feature table (and the
scorer's parameters, the zone policy included) go to every worker once, and each task carries
only a chunk of briefs. The table stays on the cluster after the call, under its content
token: the next call on the same client with the same table (the same inventory, unchanged)
reuses it — nothing is sent again and each worker keeps what it memoised on the table — and a
changed inventory (another token) replaces it. A task returns what the caller needs and no
more — the eligible scores of each brief (``match_many``), or each brief's top rows
(``rank_many``) — so the results are those of the one-machine path exactly: the same scorer,
on the same arrays, with the same floating-point operations.
"""

from __future__ import annotations

import copy
import logging
import math
import pickle
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

import numpy as np
import pandas as pd

from ._cluster import Kept, connect, run_chunks, threads
from ._errors import Problem, ValidationError, wrong_type
from .match import _features, _near_place, _scorer, _use_zone_policy
from .requirements import Requirements
from .scoring.ranking import top_k
from .scoring.scorer import FeatureTable, SiteScorer

logger = logging.getLogger(__name__)

__all__ = ["RANKING_COLUMNS", "rank_many"]

#: Columns of the table :func:`rank_many` returns (one row per brief and ranked site).
RANKING_COLUMNS: Final = ("request", "investor", "rank", "asset_id", "name", "score")

#: Tasks per worker thread on a cluster (enough to even out briefs of unequal cost).
_TASKS_PER_THREAD: Final = 4

ProgressCallback = Callable[[int, int], None]


def rank_many(
    requirements: Sequence[Requirements | Mapping[str, Any] | str],
    inventory: Any = None,
    *,
    assets: pd.DataFrame | None = None,
    context: pd.DataFrame | None = None,
    features: FeatureTable | None = None,
    top: int | None = 10,
    as_of: Any = None,
    model: SiteScorer | Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    client: Any = None,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Rank the inventory for many briefs at once (each as :func:`assetmatch.match` ranks it).

    Every asset is scored for every brief with the scorer of ``match`` (the same musts, stated
    bounds and weights); each brief keeps its ``top`` best sites. Unlike
    :func:`assetmatch.match_many`, sites are not shared out: two briefs may rank the same site.

    Parameters
    ----------
    requirements
        The briefs (:class:`~assetmatch.requirements.Requirements`, dicts or JSON strings).
    inventory, assets, context, features
        Where the assets come from, as in :func:`assetmatch.match` (exactly one of
        ``inventory``, ``assets`` or ``features``).
    top
        Sites kept per brief; ``None`` keeps every site the brief can use (the whole
        inventory re-scored).
    as_of
        The match date, as in :func:`assetmatch.match`.
    model
        A :class:`~assetmatch.scoring.SiteScorer` or its parameters, as in ``match``.
    progress
        Called as ``progress(done, total)`` (briefs) as they are scored.
    client
        A ``dask.distributed.Client``: score the briefs on its cluster. The feature table is
        sent to every worker once and stays there for the next call on this client with the
        same table (an unchanged inventory), until another table replaces it or the client is
        closed.
    scheduler
        Address of a dask scheduler (``"tcp://10.0.0.5:8786"``): a client is connected for this
        call and closed after it. Give ``client`` or ``scheduler``, not both; without either
        the briefs are scored in this process.

    Returns
    -------
    pandas.DataFrame
        :data:`RANKING_COLUMNS`, one row per brief and ranked site, briefs in the given order
        and each brief's sites best first: ``request`` (position in ``requirements``),
        ``investor`` (``#position`` when the brief names none), ``rank`` (1 = best),
        ``asset_id``, ``name``, ``score`` — the ``rank``, ``asset_id`` and ``score`` of
        ``match(brief, ..., top=top).table``. A brief no site fits has no row.

    Raises
    ------
    assetmatch.ValidationError
        If a brief is invalid (every problem listed, the brief's position as the row) or
        ``top`` is not a positive integer.
    assetmatch.ClusterError
        If the scheduler cannot be reached, both ``client`` and ``scheduler`` are given, or a
        worker is lost.

    Examples
    --------
    >>> import assetmatch as am
    >>> inv = am.Inventory.demo()                                      # doctest: +SKIP
    >>> am.rank_many([brief_a, brief_b], inventory=inv, top=5)         # doctest: +SKIP
    """
    if top is not None and not (isinstance(top, int | np.integer) and top >= 1):
        raise ValidationError(
            f"The 'top' parameter of rank_many must be an integer >= 1 or None. Got {top!r}."
        )
    reqs = _briefs(requirements, "rank_many")
    X = _features(inventory, assets, context, features, as_of)
    k = len(X) if top is None else int(top)
    ranked: list[tuple[np.ndarray, np.ndarray]] = [None] * len(reqs)  # type: ignore[list-item]

    def put(i0: int, rows: list[tuple[np.ndarray, np.ndarray]]) -> None:
        ranked[i0 : i0 + len(rows)] = rows

    score_briefs(
        reqs,
        X,
        inventory,
        model,
        as_of,
        partial(_top_rows, top=k),
        put,
        progress,
        client,
        scheduler,
        what="rank_many",
    )
    names = _names(reqs)
    ids = X.ids.astype(str)
    asset_names = _asset_names(X)
    sizes = np.array([len(r) for r, _ in ranked], dtype=np.int64)
    rows = np.concatenate([r for r, _ in ranked]) if len(ranked) else np.empty(0, np.intp)
    table = pd.DataFrame(
        {
            "request": np.repeat(np.arange(len(reqs)), sizes),
            "investor": np.repeat(np.array(names, dtype=object), sizes),
            "rank": np.concatenate([np.arange(1, s + 1) for s in sizes]),
            "asset_id": ids[rows],
            "name": asset_names[rows],
            "score": np.concatenate([s for _, s in ranked]).astype(float),
        },
        columns=list(RANKING_COLUMNS),
    )
    logger.info(
        "rank_many: %d briefs over %d assets, %d ranked rows", len(reqs), len(X), len(table)
    )
    return table


def score_matrix(
    reqs: list[Requirements],
    X: FeatureTable,
    inventory: Any,
    model: Any,
    as_of: Any,
    progress: ProgressCallback | None,
    client: Any = None,
    scheduler: str | None = None,
) -> np.ndarray:
    """Brief × asset totals (float32; ``-inf`` where ``match`` would not rank the asset)."""
    S = np.empty((len(reqs), len(X)), dtype=np.float32)

    def put(i0: int, rows: list[tuple[np.ndarray, np.ndarray]]) -> None:
        for i, (pos, values) in enumerate(rows, start=i0):
            S[i].fill(-np.inf)
            S[i, pos] = values

    score_briefs(
        reqs,
        X,
        inventory,
        model,
        as_of,
        _eligible,
        put,
        progress,
        client,
        scheduler,
        what="match_many",
    )
    return S


@dataclass(frozen=True)
class _Brief:
    """What scoring one brief needs besides the table: the brief and its ``near`` place."""

    req: Requirements
    near_place: tuple[float, float, float] | None
    exclude: int


def score_briefs(
    reqs: list[Requirements],
    X: FeatureTable,
    inventory: Any,
    model: Any,
    as_of: Any,
    reduce: Callable[[np.ndarray], Any],
    put: Callable[[int, list[Any]], None],
    progress: ProgressCallback | None,
    client: Any,
    scheduler: str | None,
    *,
    what: str,
) -> None:
    """Score every brief over ``X`` and hand ``reduce(scores)`` of briefs ``i0…`` to ``put``.

    The scorer is set up here, once (the model's parameters and the zone policy in force, as
    :func:`assetmatch.match` does), and so are the briefs' ``near`` places (they may read the
    inventory's firms). On a cluster the table without its asset frame and the scorer are
    scattered to every worker; tasks carry chunks of briefs and return the reduced scores.
    """
    scorer = _scorer(model, reqs[0], None, as_of)
    _use_zone_policy(scorer, X, inventory, as_of)  # the zone's land-use rules, as in match
    briefs = [_Brief(r, *_near_place(r, X, inventory, None)) for r in reqs]
    tracker = _Progress(len(briefs), len(X), progress, what)
    with connect(client, scheduler, current=False) as cluster:
        if cluster is None:
            for i0 in range(0, len(briefs), tracker.step):
                chunk = briefs[i0 : i0 + tracker.step]
                put(i0, [reduce(s) for s in _scores(chunk, X, scorer)])
                tracker(len(chunk))
            return
        n_chunks = min(len(briefs), _TASKS_PER_THREAD * threads(cluster))
        size = math.ceil(len(briefs) / n_chunks)
        starts = list(range(0, len(briefs), size))

        def collect(k: int, result: tuple[list[Any], float, float]) -> None:
            rows, seconds, cpu = result
            put(starts[k], rows)
            logger.debug(
                "%s: chunk %d of %d briefs in %.3f s on its worker (CPU %.3f s)",
                what,
                k,
                len(rows),
                seconds,
                cpu,
            )
            tracker(len(rows))

        table = Kept("assetmatch.batch: feature table", _token(X), _without_frame(X))
        run_chunks(
            cluster,
            partial(_score_chunk, reduce=reduce),
            [briefs[i0 : i0 + size] for i0 in starts],
            {"X": table, "scorer": scorer},
            collect,
            what=what,
        )


def _score_chunk(
    briefs: list[_Brief], X: FeatureTable, scorer: SiteScorer, reduce: Callable[..., Any]
) -> tuple[list[Any], float, float]:
    """A task: one chunk of briefs scored on a worker, each reduced to what the caller keeps;
    with the task's wall and CPU seconds (its thread's)."""
    started, cpu = time.perf_counter(), time.thread_time()
    rows = [reduce(s) for s in _scores(briefs, X, scorer)]
    return rows, time.perf_counter() - started, time.thread_time() - cpu


def _scores(briefs: list[_Brief], X: FeatureTable, template: SiteScorer) -> Iterator[np.ndarray]:
    """Each brief's totals over ``X``; one scorer for the chunk (only the brief changes)."""
    scorer = copy.copy(template)  # a worker's threads share the scattered template
    for b in briefs:
        # set directly, as set_params would, without its per-call signature inspection
        scorer.requirements = b.req
        scorer.fit(X)
        yield scorer.rank_scores(X, near_place=b.near_place, exclude=b.exclude).score


def _eligible(score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions and scores of a brief's rankable assets (everything but ``-inf``)."""
    pos = np.flatnonzero(score != -np.inf)
    return pos, score[pos]


def _top_rows(score: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray]:
    """The positions and scores of a brief's ``top`` best assets, best first."""
    rows = top_k(score, top)
    return rows, score[rows]


#: Content token of each table's ids and arrays (a table's columns never change: they are
#: read-only, and its memoised derived arrays already rely on that).
_ARRAY_TOKENS: weakref.WeakKeyDictionary[FeatureTable, str] = weakref.WeakKeyDictionary()


def _token(X: FeatureTable) -> str:
    """A token of everything a worker scores with: equal tokens, equal tables.

    The ids and arrays are hashed once per table object; the rest (categories, labels, CRS,
    origin, dates, land-use paths: small, and attributes a caller may set) on every call.
    """
    from dask.base import tokenize

    arrays = _ARRAY_TOKENS.get(X)
    if arrays is None:
        arrays = tokenize(X.ids, {k: X[k] for k in X.keys()})  # noqa: SIM118 - not iterable
        _ARRAY_TOKENS[X] = arrays
    meta = (X.categories, X.labels, X.crs, X.origin, X.as_of, X.state_time, X.landuse_paths)
    try:
        return tokenize(arrays, pickle.dumps(meta, protocol=5))
    except (pickle.PicklingError, TypeError, AttributeError):  # then never reused
        return uuid.uuid4().hex


def _without_frame(X: FeatureTable) -> FeatureTable:
    """The table's arrays without its asset frame (geometries): what a worker scores with."""
    return X._like(X.ids, {k: X[k] for k in X.keys()})  # noqa: SIM118 - not iterable


class _Progress:
    """Counts scored briefs; logs and calls the callback about every tenth of them."""

    def __init__(self, total: int, n_assets: int, progress: ProgressCallback | None, what: str):
        self.total, self.n_assets, self.progress, self.what = total, n_assets, progress, what
        self.step = max(1, total // 10)
        self.done = self.reported = 0
        self.started = time.perf_counter()

    def __call__(self, n: int) -> None:
        self.done += n
        if self.done - self.reported < self.step and self.done < self.total:
            return
        self.reported = self.done
        logger.info(
            "%s: scored %d of %d briefs over %d assets, %.1f s",
            self.what,
            self.done,
            self.total,
            self.n_assets,
            time.perf_counter() - self.started,
        )
        if self.progress is not None:
            self.progress(self.done, self.total)


def _briefs(requirements: Any, what: str) -> list[Requirements]:
    """The briefs as :class:`Requirements`, every problem of every brief listed at once."""
    if isinstance(requirements, Requirements | Mapping | str | bytes) or not isinstance(
        requirements, Iterable
    ):
        raise wrong_type("requirements", "a list of briefs", requirements, of=what)
    out, problems = [], []
    for i, r in enumerate(list(requirements)):
        try:
            out.append(Requirements.coerce(r))
        except ValidationError as exc:
            problems += [Problem(i, p.field, p.reason) for p in exc.problems]
    if problems:
        raise ValidationError("Some briefs are invalid (row = position in the list):", problems)
    if not out:
        raise ValidationError(
            f"{what} needs briefs:", [Problem(None, "requirements", "the list is empty")]
        )
    return out


def _asset_names(X: FeatureTable) -> np.ndarray:
    """Each asset's name (``None`` where it has none, or the table has no asset frame)."""
    frame = X.frame
    if frame is None or "name" not in getattr(frame, "columns", ()):
        return np.full(len(X), None, dtype=object)
    return np.array([v if isinstance(v, str) else None for v in frame["name"]], dtype=object)


def _names(reqs: list[Requirements]) -> list[str]:
    """Each brief's investor, ``#position`` when it names none."""
    return [r.investor.strip() if r.investor else f"#{i}" for i, r in enumerate(reqs)]
