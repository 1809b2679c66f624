"""The scoring model: hard constraints, soft criteria in [0, 1], weights, and a score.

The model reads a :class:`FeatureTable` — per-asset numbers in columnar NumPy arrays, built
once from the assets and their context by :func:`prepare` — and never touches a geometry or
loops over assets in Python. A match is then a few dozen vectorised passes over those arrays,
run block by block (cache-sized row blocks, optionally on several threads) so that re-ranking a
million assets takes milliseconds.

Criteria
--------
Each criterion gives a score in [0, 1] per asset (see :mod:`assetmatch.requirements` for the
brief's side). A value the inventory does not know scores :data:`UNKNOWN_SCORE` and never
fails a must.

``size``, ``building``
    Land area / existing floor area against the brief's range (m²): 1 inside, falling
    linearly to 0 at ``tolerance`` × the violated bound outside it. A bare plot offers 0 m² of
    buildings.
``specs``
    Power (kVA), floor load (kN/m²) and floor height (m) against the brief's minima, each like
    a one-sided range; the weakest of them counts.
``cost``
    Rent (yuan/m²/month) and land price (yuan/mu) against the brief's maxima; the weakest
    counts.
``tenure``
    1 when the asset offers a tenure mode the investor accepts, else 0.
``readiness``
    From the move-in estimate in days (below): 1 up to the deadline, 0 at
    ``deadline + tolerance × max(deadline, 30 days)``; without a deadline ``1 - days / 730``.
``land_use``
    From the land-use path (:mod:`assetmatch.domain.landuse_paths`): :data:`PATH_SCORES`.
``synergy``
    The investor's row of the industry-chain affinity matrix, plus the ``near_industries``
    strengths, times the asset's distance-decayed presence vector, saturated as
    ``raw / (raw + 10)`` — the same as :func:`assetmatch.domain.industry.synergy_scores` for an
    industry alone.
``conflicts``
    For every protection distance that applies — industries the brief avoids, and the
    default conflict rules in both directions (sources the investor's use must keep away
    from, and sensitive neighbours the investor's industry must keep away from; codes match
    when one is a prefix of the other, so a ``C22`` investor may pulp but a ``C2231`` carton
    maker does not) — the nearest such firm's distance divided by the protection distance,
    capped at 1; the worst counts. For a school brief the siting distances of GB 50099-2011
    §4.1.6 from railways and major roads count the same way, on the reference layers that hold
    them (:mod:`assetmatch.domain.siting`); a rule without its layers is listed in
    ``unevaluated_``. The distances are indicative: the assessments decide.
``access``
    Mean over the reference layers of ``max(0, 1 - distance / access_scale_m)``.
``near``
    Distance from the brief's place (a point, an asset or a firm) to the asset's boundary,
    estimated as centroid distance minus the equivalent radii: 1 at 0 m, falling linearly to 0
    at ``within_m × (1 + tolerance)``.
``district``
    1 in a preferred district, else 0.
``freshness``
    How recently the asset's record changed: ``max(0, 1 - age_days / 730)``.

Readiness — days until the investor can move in
-----------------------------------------------
::

    hand-over    = max(days_to_ready_date, obstacle_days)          when the record has a ready date
                 = status_days + net_land_days + obstacle_days    otherwise
    move_in_days = hand-over + land_use_days + construction_days

* ``days_to_ready_date``: the declared hand-over date (``ready_date``) minus ``as_of``, at
  least 0. A declared date is specific knowledge and replaces the generic status and net-land
  estimates, but it cannot beat an obstacle still on record.
* ``status_days``: :data:`STATUS_DELAY_DAYS` (hand-over formalities of an idle site, recovering
  a low-efficiency one from its user, …).
* ``net_land_days``: :data:`NET_LAND_DELAY_DAYS` when an asset without buildings is known not to
  be net land (净地: cleared and compensated); a plant is reused as it stands.
* ``obstacle_days``: the obstacles' delays run in parallel by default (the longest counts:
  planning, consolidation and relocation are handled by different offices at the same time);
  ``obstacle_mode="serial"`` adds them up for a cautious estimate.
* ``land_use_days``: the delay of the land-use path (a transition-period filing, a change of
  use); it follows the hand-over and is ``inf`` when the use is not allowed.
* ``construction_days``: :data:`CONSTRUCTION_DAYS` when the brief needs buildings and the asset
  is bare land.

Weights are :class:`~assetmatch.scoring.weights.Weights`; the feature table is
:class:`~assetmatch.scoring.features.FeatureTable`.
"""

from __future__ import annotations

import logging
import math
import os
import weakref
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Final, NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from .._errors import Problem, ValidationError
from ..domain.landuse_paths import (
    N_TENURE_MASKS,
    PATH_KINDS,
    TENURE_UNKNOWN_BIT,
    UNKNOWN_PATH,
    load_landuse_paths,
    tenure_mask,
)
from ..domain.rules import rules_version
from ..domain.siting import SCHOOL_SITING, school_siting_applies
from ..requirements import CRITERIA, Requirements
from ..schema import OFFERABLE_STATUSES, TENURE_MODES
from .features import UPDATED_COLUMNS, FeatureTable, _to_date, date_to_day, prepare
from .kernels import (
    _WEIGHTED_KERNELS,
    _accumulate,
    _bounds,
    _conflicts,
    _floor0,
    _near,
    _neg_inf_where,
    _range_fit,
)
from .ranking import top_k
from .tables import (
    _affinity_row,
    _affinity_rows,
    _column_for,
    _conflict_adds,
    _default_affinity,
    _default_affinity_rows,
    _default_conflicts,
)
from .weights import DEFAULT_PRIORITIES, Weights

logger = logging.getLogger(__name__)

__all__ = [
    "ACCESS_SCALE_M",
    "CONSTRUCTION_DAYS",
    "DEFAULT_PRIORITIES",
    "FRESHNESS_HORIZON_DAYS",
    "NET_LAND_DELAY_DAYS",
    "PATH_SCORES",
    "STATUS_DELAY_DAYS",
    "UNKNOWN_SCORE",
    "UPDATED_COLUMNS",
    "Evaluation",
    "FeatureTable",
    "SiteScorer",
    "Totals",
    "Weights",
    "date_to_day",
    "prepare",
    "top_k",
]

#: Score of a criterion whose input the inventory does not know.
UNKNOWN_SCORE: Final = 0.5
#: Days of hand-over formalities by status, before the investor can move in. Non-offerable
#: statuses are not ranked by default; their delays apply when ``offerable_only=False``.
STATUS_DELAY_DAYS: Final[dict[str, float]] = {
    "available": 0.0,
    "idle": 30.0,
    "negotiating": 60.0,
    "low_efficiency": 90.0,
    "reserved": 180.0,
    "leased": 365.0,
    "transferred": 365.0,
    "in_use": 365.0,
    "withdrawn": 730.0,
}
#: Days to clear and compensate land that is not yet net land (净地).
NET_LAND_DELAY_DAYS: Final = 180.0
#: Days to build on bare land when the brief needs buildings.
CONSTRUCTION_DAYS: Final = 540.0
#: Land-use fit by path kind.
PATH_SCORES: Final[dict[str, float]] = {
    "allowed": 1.0,
    "transition": 0.8,
    "change_of_use": 0.5,
    "not_allowed": 0.0,
    UNKNOWN_PATH: UNKNOWN_SCORE,
}
#: Distance in metres at which a reference layer stops adding to accessibility.
ACCESS_SCALE_M: Final = 20_000.0
#: Age in days at which a record's freshness reaches 0.
FRESHNESS_HORIZON_DAYS: Final = 730.0
#: Horizon in days of the readiness score when the brief gives no deadline.
NO_DEADLINE_HORIZON_DAYS: Final = 730.0
#: Floor of the deadline used to scale the readiness tolerance (days).
MIN_DEADLINE_SCALE_DAYS: Final = 30.0

_F32: Final = np.float32
_PATH_CODES: Final = (*PATH_KINDS, UNKNOWN_PATH)


_DETAIL_DAYS: Final = (
    "status_days",
    "net_land_days",
    "obstacle_days",
    "land_use_days",
    "ready_date_days",
    "construction_days",
    "near_m",
)
_SHORTFALL_CRITERIA: Final = ("size", "building", "specs", "cost", "readiness", "conflicts", "near")

_NEEDS: Final[dict[str, str]] = {
    "conflicts": "nearest_{industry}_m context columns",
    "near": "centroid_x/centroid_y context columns",
    "synergy": "presence_{industry} context columns",
    "access": "access_{layer}_m context columns",
    "freshness": "an updated_at column",
    "size": "land areas",
    "building": "building areas",
    "specs": "power, floor load, floor height",
    "cost": "rents and land prices",
    "tenure": "tenure modes",
    "readiness": "statuses",
    "land_use": "land-use codes",
    "district": "districts",
}


# ====================================================================== evaluation


@dataclass
class Evaluation:
    """Per-asset outcome of a scorer on a feature table (arrays aligned with its rows).

    Attributes
    ----------
    criteria
        Criteria taking part, in column order.
    weights
        Their normalised weights.
    scores
        Criterion → score in [0, 1] (float32).
    score
        Total score in [0, 1]; ``-inf`` where the asset is excluded (status, or a failed must).
    soft_score
        Total score ignoring hard constraints and status.
    offerable
        Whether the asset's status allows an offer (all true with ``offerable_only=False``).
    failed
        Hard criterion → where the asset fails it.
    n_failed
        Number of musts failed per asset.
    move_in_days
        Estimated days until move-in (``inf`` when the land use is not allowed).
    detail
        Only for :meth:`SiteScorer.evaluate` with ``detail=True``: the readiness parts
        (``status_days``, ``net_land_days``, ``obstacle_days``, ``land_use_days``,
        ``ready_date_days``, ``construction_days``), ``land_use_path`` codes into
        ``PATH_KINDS + ("unknown",)``, ``near_m`` and the relative ``shortfall_{criterion}``
        (how far outside its bound, as a fraction of the bound; 0 inside).
    """

    criteria: tuple[str, ...]
    weights: dict[str, float]
    scores: dict[str, np.ndarray]
    score: np.ndarray
    soft_score: np.ndarray
    offerable: np.ndarray
    failed: dict[str, np.ndarray]
    n_failed: np.ndarray
    move_in_days: np.ndarray
    detail: dict[str, np.ndarray] = field(default_factory=dict)


class Totals(NamedTuple):
    """Per-asset totals of :meth:`SiteScorer.rank_scores`.

    ``score`` as in :class:`Evaluation`; ``near_miss`` is the total the asset would have had,
    for offerable assets failing exactly one must, ``-inf`` elsewhere.
    """

    score: np.ndarray
    offerable: np.ndarray
    n_failed: np.ndarray
    near_miss: np.ndarray


#: Criteria with a stated bound (a range, a minimum, a cap, a deadline, a radius): beyond the
#: bound's tolerance an asset is not ranked but listed among the near misses.
BOUNDED_CRITERIA: Final = frozenset({"size", "building", "specs", "cost", "readiness", "near"})


def _gate(plan: _Plan) -> frozenset[str]:
    """The criteria that can exclude an asset: the musts, and every stated bound."""
    bounded = BOUNDED_CRITERIA & set(plan.criteria)
    if plan.req.ready_within_days is None:
        bounded -= {"readiness"}
    return frozenset(plan.hard) | bounded


@dataclass
class _Plan:
    """Everything a block evaluation needs, resolved once per call (no per-asset work)."""

    criteria: tuple[str, ...]
    hard: frozenset[str]
    weights: dict[str, float]
    wvec: np.ndarray
    req: Requirements
    as_of_day: float
    tol: dict[str, float]
    tenure_score: np.ndarray
    keyed: frozenset[str]
    key_value: np.ndarray
    key_fails: np.ndarray | None
    lu_score: np.ndarray | None
    lu_delay: np.ndarray
    lu_code: np.ndarray
    district_score: np.ndarray | None
    synergy_terms: list[tuple[int, float]]
    conflict_rules: list[tuple[int, float, str]]
    siting_rules: list[tuple[int, float, str]]
    needs_building: bool
    handover: np.ndarray
    obstacles: np.ndarray
    offerable: np.ndarray
    access: np.ndarray | None
    freshness: np.ndarray | None
    near_xy: tuple[float, float, float] | None = None


_PARAM_NAMES: dict[type, tuple[str, ...]] = {}


#: The arrays the hand-over days without a ready date are computed from (both obstacle
#: aggregates: which one is read depends on the scorer's ``obstacle_mode``).
_BASE_DAYS_INPUTS: Final = (
    "status",
    "building_area_m2",
    "net_land",
    "obstacle_days_max",
    "obstacle_days_sum",
)


class SiteScorer(BaseEstimator):
    """Score assets against an investor's requirements (a scikit-learn estimator).

    ``__init__`` only stores the parameters; :meth:`fit` validates them and resolves the
    criteria and weights for a feature table; :meth:`score_samples` gives one score per asset
    and :meth:`evaluate` the per-criterion detail. Works with :func:`sklearn.base.clone`.

    Parameters
    ----------
    requirements
        The brief: :class:`~assetmatch.requirements.Requirements`, a dict or a JSON string.
    weights
        :class:`Weights` or a criterion → weight mapping; default: from the brief (its
        ``weights``, else its ``priorities`` over :data:`DEFAULT_PRIORITIES`).
    offerable_only
        Rank only assets whose status allows an offer
        (:data:`assetmatch.schema.OFFERABLE_STATUSES`).
    as_of
        The match date (readiness and freshness count from it); default the table's date,
        else today.
    status_delay_days
        Status → days of hand-over formalities; default :data:`STATUS_DELAY_DAYS`.
    net_land_delay_days, construction_days
        See the module's readiness section (days).
    obstacle_mode
        ``"parallel"`` (the longest obstacle counts) or ``"serial"`` (delays add up).
    landuse_paths
        A land-use path table or its source (see
        :func:`assetmatch.domain.landuse_paths.load_landuse_paths`);
        default the bundled table.
    path_scores
        Land-use fit per path kind; default :data:`PATH_SCORES`.
    affinity
        Industry-chain affinity (see :func:`assetmatch.domain.industry.default_affinity`);
        default the bundled one.
    conflicts
        Conflict rules (see :func:`assetmatch.domain.industry.default_conflicts`); default the
        bundled ones.
    synergy_half_saturation
        Weighted neighbour count giving a synergy of 0.5 (see
        :func:`assetmatch.domain.industry.synergy_scores`).
    access_scale_m
        Distance in metres at which a reference layer stops counting for accessibility.
    freshness_horizon_days
        Record age in days at which freshness reaches 0.
    unknown_score
        Score of a criterion whose input is unknown.
    n_jobs
        Threads for tables of at least four blocks: ``None`` (default) or 1 runs in the calling
        thread, ``-1`` uses every available core.
    block_rows
        Rows per block of the vectorised passes (cache-sized).
    """

    def __init__(
        self,
        requirements: Requirements | Mapping[str, Any] | str | None = None,
        weights: Weights | Mapping[str, float] | None = None,
        *,
        offerable_only: bool = True,
        as_of: Any = None,
        status_delay_days: Mapping[str, float] | None = None,
        net_land_delay_days: float = NET_LAND_DELAY_DAYS,
        construction_days: float = CONSTRUCTION_DAYS,
        obstacle_mode: str = "parallel",
        landuse_paths: Any = None,
        path_scores: Mapping[str, float] | None = None,
        affinity: pd.DataFrame | None = None,
        conflicts: pd.DataFrame | None = None,
        synergy_half_saturation: float = 10.0,
        access_scale_m: float = ACCESS_SCALE_M,
        freshness_horizon_days: float = FRESHNESS_HORIZON_DAYS,
        unknown_score: float = UNKNOWN_SCORE,
        n_jobs: int | None = None,
        block_rows: int = 65_536,
    ) -> None:
        self.requirements = requirements
        self.weights = weights
        self.offerable_only = offerable_only
        self.as_of = as_of
        self.status_delay_days = status_delay_days
        self.net_land_delay_days = net_land_delay_days
        self.construction_days = construction_days
        self.obstacle_mode = obstacle_mode
        self.landuse_paths = landuse_paths
        self.path_scores = path_scores
        self.affinity = affinity
        self.conflicts = conflicts
        self.synergy_half_saturation = synergy_half_saturation
        self.access_scale_m = access_scale_m
        self.freshness_horizon_days = freshness_horizon_days
        self.unknown_score = unknown_score
        self.n_jobs = n_jobs
        self.block_rows = block_rows

    @classmethod
    def _get_param_names(cls) -> list[str]:
        # scikit-learn reads the constructor's signature on every get_params / set_params /
        # clone (~0.1 ms each, several per match); a class's parameters do not change
        names = _PARAM_NAMES.get(cls)
        if names is None:
            names = _PARAM_NAMES[cls] = tuple(super()._get_param_names())
        return list(names)

    # ------------------------------------------------------------------ fit

    def __getstate__(self) -> dict[str, Any]:
        """The state to pickle, without the memo of the last table's plan: it holds the table by
        weak reference (which cannot be pickled) and is rebuilt on the next scoring."""
        state = dict(super().__getstate__())
        state["_plan_memo"] = None
        return state

    def fit(self, X: FeatureTable, y: None = None) -> SiteScorer:
        """Validate the parameters and resolve the criteria and weights for ``X``.

        Parameters
        ----------
        X
            The feature table the scorer will score (its columns decide which criteria can
            take part: e.g. no context, no synergy).
        y
            Unused; weights learned from past deals will take them.

        Returns
        -------
        self
        """
        self._validate_params()
        self._plan_memo = None
        req = Requirements.coerce(self.requirements if self.requirements is not None else {})
        self.requirements_ = req
        if self.weights is None:
            w = Weights.from_requirements(req)
        elif isinstance(self.weights, Weights):
            w = self.weights
        else:
            w = Weights.from_dict(self.weights)
        available = self._available(X, req)
        criteria = tuple(c for c in CRITERIA if req.specifies(c) and available[c])
        skipped = [c for c in CRITERIA if req.specifies(c) and not available[c]]
        if skipped:
            logger.info("criteria without data in this inventory, left out: %s", ", ".join(skipped))
        for c in req.hard_criteria:
            if not available[c]:
                raise ValidationError(
                    "Requirements cannot be checked on this inventory:",
                    [
                        Problem(
                            None,
                            c,
                            f"is a must, but the inventory has no data for it ({_NEEDS[c]})",
                        )
                    ],
                )
        if "conflicts" in criteria and school_siting_applies(req.industry, req.target_land_class):
            layers = X.labels.get("access", ())
            skipped += [f"school_siting_{r.key}" for r in SCHOOL_SITING if not r.layer_in(layers)]
        self.weights_ = w
        self.unevaluated_ = tuple(skipped)
        self.criteria_ = criteria
        self.hard_ = frozenset(c for c in req.hard_criteria if c in criteria)
        self.weight_ = w.normalized(criteria)
        as_of = self.as_of if self.as_of is not None else (X.as_of or date.today())
        try:
            self.as_of_ = _to_date(as_of)
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValidationError(
                f"The 'as_of' parameter of SiteScorer must be a date. Got {as_of!r} instead.",
                [Problem(None, "as_of", str(exc))],
            ) from None
        self.path_table_ = load_landuse_paths(self.landuse_paths)
        self.rules_version_ = rules_version(
            self.path_table_, affinity=self.affinity, conflicts=self.conflicts
        )
        self.path_scores_ = {**PATH_SCORES, **(self.path_scores or {})}
        self.status_delay_ = {**STATUS_DELAY_DAYS, **(self.status_delay_days or {})}
        self.affinity_ = None
        self.conflicts_ = None
        if "synergy" in criteria:
            self.affinity_ = self.affinity if self.affinity is not None else _default_affinity()
            self._affinity_rows = (
                _default_affinity_rows() if self.affinity is None else _affinity_rows(self.affinity)
            )
        if "conflicts" in criteria:
            self.conflicts_ = self.conflicts if self.conflicts is not None else _default_conflicts()
        return self

    def _validate_params(self) -> None:
        problems = []
        if self.obstacle_mode not in ("parallel", "serial"):
            problems.append(
                Problem(
                    None,
                    "obstacle_mode",
                    f"must be 'parallel' or 'serial'; got {self.obstacle_mode!r}",
                )
            )
        for name in (
            "net_land_delay_days",
            "construction_days",
            "access_scale_m",
            "freshness_horizon_days",
            "synergy_half_saturation",
        ):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
                problems.append(Problem(None, name, f"must be a finite number >= 0; got {v!r}"))
        if not 0 <= self.unknown_score <= 1:
            problems.append(
                Problem(None, "unknown_score", f"must be in [0, 1]; got {self.unknown_score!r}")
            )
        if int(self.block_rows) < 1024:
            problems.append(
                Problem(None, "block_rows", f"must be >= 1024; got {self.block_rows!r}")
            )
        if problems:
            raise ValidationError("The parameters of SiteScorer are invalid:", problems)

    @staticmethod
    def _available(X: FeatureTable, req: Requirements) -> dict[str, bool]:
        return {
            "size": True,
            "building": True,
            "specs": True,
            "cost": True,
            "tenure": True,
            "readiness": True,
            "land_use": True,
            # firms data: without any firm near any asset, synergy and conflicts are unknown,
            # not "no related industry" and "no conflict"
            "synergy": "presence" in X
            and X.flag(
                ("any_positive", "presence"),
                lambda: np.any(X["presence"] > 0),
                inputs=("presence",),
            ),
            "conflicts": "nearest" in X
            and X.flag(
                ("any_finite", "nearest"),
                lambda: np.isfinite(X["nearest"]).any(),
                inputs=("nearest",),
            ),
            "access": "access" in X,
            "near": "x" in X,
            "district": True,
            "freshness": "updated_day" in X,
        }

    def _check_fitted(self) -> None:
        if not hasattr(self, "criteria_"):
            raise ValidationError("This SiteScorer is not fitted yet; call fit(features) first.")

    # ------------------------------------------------------------------ scoring

    def score_samples(self, X: FeatureTable) -> np.ndarray:
        """Total score per asset in [0, 1]; ``-inf`` for assets excluded by status or a must.

        A brief with ``near`` needs the place: use :meth:`evaluate` or :func:`assetmatch.match`.
        """
        return self.rank_scores(X).score

    def evaluate(
        self,
        X: FeatureTable,
        *,
        detail: bool = False,
        near_place: tuple[float, float, float] | None = None,
        exclude: int = -1,
    ) -> Evaluation:
        """Score every asset of ``X`` on every criterion.

        Parameters
        ----------
        X
            The feature table.
        detail
            Also return the readiness parts, land-use paths, distances and shortfalls (meant
            for a few rows, e.g. ``X.take(rows)``).
        near_place
            ``(x, y, radius)`` of the brief's place in the table's coordinates (offsets from
            ``X.origin``, metres); required when the brief has ``near``.
        exclude
            Row never ranked (the reference asset of ``near``), or -1.
        """
        self._check_fitted()
        plan = self._plan(X, near_place)
        n = len(X)
        S = np.empty((len(plan.criteria), n), dtype=_F32)
        out = {
            "score": np.empty(n, dtype=_F32),
            "soft": np.empty(n, dtype=_F32),
            "n_failed": np.zeros(n, dtype=np.uint8),
            "move_in": np.empty(n, dtype=_F32),
        }
        failed = {c: np.empty(n, dtype=bool) for c in _gate(plan)}
        det: dict[str, np.ndarray] = {}
        if detail:
            for k in _DETAIL_DAYS:
                det[k] = np.full(n, np.nan, dtype=_F32)
            det["land_use_path"] = np.full(n, _PATH_CODES.index(UNKNOWN_PATH), dtype=np.int8)
            for c in _SHORTFALL_CRITERIA:
                det[f"shortfall_{c}"] = np.zeros(n, dtype=_F32)
        self._run_blocks(X, plan, S, failed, out, det)
        offerable = plan.offerable
        if 0 <= exclude < n:
            offerable = offerable.copy()
            offerable[exclude] = False
            out["score"][exclude] = -np.inf
            out["soft"][exclude] = -np.inf
        return Evaluation(
            criteria=plan.criteria,
            weights=plan.weights,
            scores={c: S[i] for i, c in enumerate(plan.criteria)},
            score=out["score"],
            soft_score=out["soft"],
            offerable=offerable,
            failed=failed,
            n_failed=out["n_failed"],
            move_in_days=out["move_in"],
            detail=det,
        )

    def rank_scores(
        self,
        X: FeatureTable,
        *,
        near_place: tuple[float, float, float] | None = None,
        exclude: int = -1,
    ) -> Totals:
        """Total scores only, for ranking a large table (no per-criterion arrays are kept).

        Each block's criterion scores live in a block-sized buffer, so the pass stays in cache
        and allocates four arrays of ``len(X)`` instead of one per criterion. Parameters as in
        :meth:`evaluate`.
        """
        self._check_fitted()
        plan = self._plan(X, near_place)
        n = len(X)
        out = {
            "score": np.empty(n, dtype=_F32),
            "n_failed": np.zeros(n, dtype=np.uint8),
        }
        if _gate(plan):
            out["near_miss"] = np.empty(n, dtype=_F32)
        self._run_blocks(X, plan, None, {}, out, {})
        offerable = plan.offerable
        near_miss = out.get("near_miss")
        if near_miss is None:
            near_miss = np.full(n, -np.inf, dtype=_F32)
        if 0 <= exclude < n:
            offerable = offerable.copy()
            offerable[exclude] = False
            out["score"][exclude] = -np.inf
            near_miss[exclude] = -np.inf
        return Totals(out["score"], offerable, out["n_failed"], near_miss)

    def _run_blocks(
        self,
        X: FeatureTable,
        plan: _Plan,
        S: np.ndarray | None,
        failed: dict[str, np.ndarray],
        out: dict[str, np.ndarray],
        det: dict[str, np.ndarray],
    ) -> None:
        step = int(self.block_rows)
        blocks = [slice(i, min(i + step, len(X))) for i in range(0, len(X), step)]

        def run(sl: slice) -> None:
            self._block(X, sl, plan, S, failed, out, det)

        jobs = self._n_threads(len(blocks))
        if jobs > 1:
            with ThreadPoolExecutor(jobs) as ex:
                list(ex.map(run, blocks))
        else:
            for sl in blocks:
                run(sl)

    def _n_threads(self, n_blocks: int) -> int:
        if n_blocks < 4 or self.n_jobs is None:
            return 1
        cores = int(self.n_jobs)
        if cores < 0:
            try:
                cores = len(os.sched_getaffinity(0))
            except AttributeError:  # pragma: no cover - not on Linux
                cores = os.cpu_count() or 1
        return max(1, min(cores, n_blocks))

    # ------------------------------------------------------------------ cached, brief-independent

    def _base_days(self, X: FeatureTable) -> np.ndarray:
        """Hand-over days without a declared ready date (brief-independent).

        ``status_days + net_land_days + obstacle_days``; net-land days count only for an asset
        without buildings (a plant is reused as it stands).
        """
        key = ("base_days", *self._base_key())

        def compute() -> np.ndarray:
            days = self._status_lut(X)[X["status"]] + self._net_land_days(X, slice(None))
            return (days + self._obstacles(X)).astype(_F32)

        return X.cached(key, compute, inputs=_BASE_DAYS_INPUTS)

    def _handover(self, X: FeatureTable, as_of_day: float) -> np.ndarray:
        """Days until hand-over at ``as_of_day`` (brief-independent; see the module docstring)."""
        key = ("handover", as_of_day, *self._base_key())

        def compute() -> np.ndarray:
            ready = X["ready_day"] - _F32(as_of_day)
            days = np.fmax(ready, self._obstacles(X))
            np.copyto(days, self._base_days(X), where=np.isnan(ready))
            return _floor0(days).astype(_F32)

        return X.cached(key, compute, inputs=("ready_day", *_BASE_DAYS_INPUTS))

    def _construction(self, X: FeatureTable) -> np.ndarray:
        """Construction days of bare land (0 where there are buildings)."""
        days = float(self.construction_days)
        return X.cached(
            ("construction", days),
            lambda: ((X["building_area_m2"] <= 0) * _F32(days)).astype(_F32),
            inputs=("building_area_m2",),
        )

    def _base_key(self) -> tuple[Any, ...]:
        return (
            tuple(sorted(self.status_delay_.items())),
            float(self.net_land_delay_days),
            self.obstacle_mode,
        )

    def _obstacles(self, X: FeatureTable) -> np.ndarray:
        return X["obstacle_days_max" if self.obstacle_mode == "parallel" else "obstacle_days_sum"]

    def _net_land_days(self, X: FeatureTable, sl: slice) -> np.ndarray:
        no_building = ~(X["building_area_m2"][sl] > 0)
        return np.where(
            (X["net_land"][sl] == 0) & no_building, _F32(self.net_land_delay_days), _F32(0)
        )

    def _status_lut(self, X: FeatureTable) -> np.ndarray:
        cats = X.categories["status"]
        return np.array([self.status_delay_.get(s, 0.0) for s in cats] + [0.0], dtype=_F32)

    def _offerable(self, X: FeatureTable) -> np.ndarray:
        def compute() -> np.ndarray:
            if not self.offerable_only:
                return np.ones(len(X), dtype=bool)
            cats = X.categories["status"]
            lut = np.array([s in OFFERABLE_STATUSES for s in cats] + [False])
            return lut[X["status"]]

        return X.cached(("offerable", bool(self.offerable_only)), compute, inputs=("status",))

    def _access(self, X: FeatureTable) -> np.ndarray:
        scale = float(self.access_scale_m)

        def compute() -> np.ndarray:
            a = X["access"]
            s = np.clip(1.0 - a / _F32(max(scale, 1e-9)), 0.0, 1.0)
            known = np.isfinite(a) | np.isinf(a)
            cnt = known.sum(axis=1)
            tot = np.where(known, s, 0.0).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                out = np.where(cnt > 0, tot / np.maximum(cnt, 1), self.unknown_score)
            return out.astype(_F32)

        return X.cached(("access", scale, float(self.unknown_score)), compute, inputs=("access",))

    def _freshness(self, X: FeatureTable, as_of_day: float) -> np.ndarray:
        horizon = float(self.freshness_horizon_days)

        def compute() -> np.ndarray:
            age = _F32(as_of_day) - X["updated_day"]
            s = np.clip(_F32(1) - age * _F32(1.0 / max(horizon, 1e-9)), 0.0, 1.0)
            return np.nan_to_num(s, nan=self.unknown_score).astype(_F32)

        key = ("freshness", as_of_day, horizon, float(self.unknown_score))
        return X.cached(key, compute, inputs=("updated_day",))

    # ------------------------------------------------------------------ per-call plan

    def _plan(self, X: FeatureTable, near_place: tuple[float, float, float] | None) -> _Plan:
        """The brief's lookup tables for ``X``'s categories (memoised per category set)."""
        # The plan's lookups are encoded for the table's categories: reuse it for tables that
        # share them (``take`` does), recomputing only the per-row arrays. References (not
        # ids) are kept, so a new table can never be mistaken for a collected one.
        memo = getattr(self, "_plan_memo", None)
        if (
            memo is not None
            and memo[0] is X.categories
            and memo[1] is X.labels
            and memo[2] is self.requirements_
        ):
            plan = memo[3]
            if memo[4]() is not X:  # another table with the same categories (a subset)
                plan = replace(
                    plan,
                    handover=self._handover(X, plan.as_of_day),
                    obstacles=self._obstacles(X),
                    offerable=self._offerable(X),
                    access=self._access(X) if plan.access is not None else None,
                    freshness=(
                        self._freshness(X, plan.as_of_day) if plan.freshness is not None else None
                    ),
                )
        else:
            plan = self._build_plan(X)
            self._plan_memo = (X.categories, X.labels, self.requirements_, plan, weakref.ref(X))
        if "near" in plan.criteria:
            if near_place is None:
                raise ValidationError(
                    "The brief has 'near'; pass near_place=(x, y, radius) in the table's "
                    "coordinates (match() does this for you)."
                )
            plan = replace(plan, near_xy=near_place)
        return plan

    def _build_plan(self, X: FeatureTable) -> _Plan:
        req = self.requirements_
        unk = self.unknown_score
        criteria = self.criteria_
        accepted = (
            tenure_mask(req.tenure) if req.tenure is not None else (1 << len(TENURE_MODES)) - 1
        )
        masks = np.arange(N_TENURE_MASKS)
        target = req.target_land_class
        n_keys = (len(X.categories["land_class"]) + 1) * N_TENURE_MASKS
        lu_score = None
        if target is not None:
            codes, delays = self.path_table_.lookup_arrays(
                X.categories["land_class"], target, accepted, req.industry
            )
            ok_paths = set(req.land_use_paths) | {UNKNOWN_PATH}
            lu_score = np.array([self.path_scores_[_PATH_CODES[c]] for c in codes], dtype=_F32)
            if "land_use" in self.hard_:
                bad = np.array([_PATH_CODES[c] not in ok_paths for c in codes])
                lu_score[bad] = -1.0  # sentinel: fails the must; clipped to 0 as a score
        else:
            delays = np.zeros(n_keys, dtype=_F32)
            codes = np.full(n_keys, _PATH_CODES.index(UNKNOWN_PATH), dtype=np.int8)
        district_score = None
        if req.districts is not None:
            wanted = set(req.districts)
            district_score = np.array(
                [1.0 if d in wanted else 0.0 for d in X.categories["district"]] + [unk],
                dtype=_F32,
            )
        terms = self._synergy_terms(X, req) if "synergy" in criteria else []
        tenure_score = np.where(
            masks & TENURE_UNKNOWN_BIT, unk, np.where(masks & accepted, 1.0, 0.0)
        ).astype(_F32)
        # criteria that depend only on lu_key = class × N_TENURE_MASKS + tenure mask
        key_value = np.zeros(n_keys, dtype=np.float64)
        key_fails = np.zeros(n_keys, dtype=np.uint8)
        keyed = set()
        if "tenure" in criteria:
            t_score = np.tile(tenure_score, n_keys // N_TENURE_MASKS)
            key_value += self.weight_["tenure"] * t_score
            if "tenure" in self.hard_:
                key_fails += t_score == 0
            keyed.add("tenure")
        if "land_use" in criteria and lu_score is not None:
            key_value += self.weight_["land_use"] * np.maximum(lu_score, 0)
            if "land_use" in self.hard_:
                key_fails += lu_score < 0
            keyed.add("land_use")
        lo = (req.building_area_m2 or (None, None))[0]
        as_of_day = date_to_day(self.as_of_)
        return _Plan(
            criteria=criteria,
            hard=self.hard_,
            weights=self.weight_,
            wvec=np.array([self.weight_[c] for c in criteria], dtype=_F32),
            req=req,
            as_of_day=as_of_day,
            tol={c: req.tolerance_for(c) for c in CRITERIA},
            tenure_score=tenure_score,
            keyed=frozenset(keyed),
            key_value=key_value.astype(_F32),
            key_fails=key_fails if key_fails.any() or keyed & self.hard_ else None,
            lu_score=lu_score,
            lu_delay=delays,
            lu_code=codes,
            district_score=district_score,
            synergy_terms=terms,
            conflict_rules=self._conflict_rules(X, req) if "conflicts" in criteria else [],
            siting_rules=self._siting_rules(X, req) if "conflicts" in criteria else [],
            needs_building=lo is not None and lo > 0,
            handover=self._handover(X, as_of_day),
            obstacles=self._obstacles(X),
            offerable=self._offerable(X),
            access=self._access(X) if "access" in criteria else None,
            freshness=self._freshness(X, as_of_day) if "freshness" in criteria else None,
        )

    def _synergy_terms(self, X: FeatureTable, req: Requirements) -> list[tuple[int, float]]:
        """(presence column, weight) pairs: the affinity row plus the near_industries strengths.

        ``synergy = raw / (raw + synergy_half_saturation)`` with ``raw = Σ_j weight_j ·
        presence_j``, which is :func:`assetmatch.domain.industry.synergy_scores` when the brief
        gives only an industry.
        """
        labels = X.labels.get("presence", ())
        col = {lab: j for j, lab in enumerate(labels)}
        terms: dict[int, float] = {}
        if req.industry is not None:
            missing = []
            for ind, w in _affinity_row(self._affinity_rows, req.industry).items():
                j = col.get(ind)
                if j is None:
                    missing.append(ind)
                elif w > 0:
                    terms[j] = terms.get(j, 0.0) + w
            if missing:
                logger.debug("no presence column for affinity neighbours %s", ", ".join(missing))
        for ind, strength in (req.near_industries or {}).items():
            j = _column_for(col, ind)
            if j is None:
                logger.warning("no presence column for near_industries %s; it is ignored", ind)
                continue
            terms[j] = terms.get(j, 0.0) + strength
        return sorted(terms.items())

    def _conflict_rules(self, X: FeatureTable, req: Requirements) -> list[tuple[int, float, str]]:
        """(nearest column, protection distance m, rule) of every rule that applies."""
        col = {lab: j for j, lab in enumerate(X.labels.get("nearest", ()))}
        rules: dict[int, tuple[float, str]] = {}

        def add(ind: str, dist: float, why: str) -> None:
            j = _column_for(col, ind)
            if j is None:  # no firm of that industry: nothing to keep away from
                logger.debug("no nearest_%s_m column; rule %s is moot", ind, why)
                return
            if j not in rules or rules[j][0] < dist:
                rules[j] = (float(dist), why)

        for ind, dist in (req.avoid_industries or {}).items():
            add(ind, dist, f"avoid:{ind}")
        if req.industry is not None:
            for ind, dist, rule in _conflict_adds(
                self.conflicts_, req.industry, req.target_land_class
            ):
                add(ind, dist, rule)
        return [(j, d, why) for j, (d, why) in sorted(rules.items())]

    def _siting_rules(self, X: FeatureTable, req: Requirements) -> list[tuple[int, float, str]]:
        """(access column, distance m, ``siting:{rule}:{layer}``) of the school siting rules."""
        if not school_siting_applies(req.industry, req.target_land_class):
            return []
        labels = X.labels.get("access", ())
        return [
            (labels.index(layer), rule.min_distance_m, f"siting:{rule.key}:{layer}")
            for rule in SCHOOL_SITING
            for layer in rule.layer_in(labels)
        ]

    # ------------------------------------------------------------------ one block

    def _block(
        self,
        X: FeatureTable,
        sl: slice,
        plan: _Plan,
        S: np.ndarray | None,
        failed: dict[str, np.ndarray],
        out: dict[str, np.ndarray],
        det: dict[str, np.ndarray],
    ) -> None:
        """Score the rows ``sl`` on every criterion; writes into ``S``, ``out`` and ``det``."""
        req, tol, unk = plan.req, plan.tol, _F32(self.unknown_score)
        hard = plan.hard
        gate = _gate(plan)
        detail = bool(det)
        fails: dict[str, np.ndarray] = {}
        shorts: dict[str, np.ndarray] = {}
        lu_key = X["lu_key"][sl]

        # ---- move-in estimate (days): hand-over (brief-independent, memoised) + land-use path
        lu_delay = plan.lu_delay.take(lu_key)
        move_in = plan.handover[sl] + lu_delay
        construction = None
        if plan.needs_building:
            construction = self._construction(X)[sl]
            move_in += construction
        if "move_in" in out:
            out["move_in"][sl] = move_in
        if detail:
            ready = X["ready_day"][sl] - _F32(plan.as_of_day)
            obst = plan.obstacles[sl]
            no_date = np.isnan(ready)
            det["status_days"][sl] = np.where(no_date, self._status_lut(X)[X["status"][sl]], 0)
            det["net_land_days"][sl] = np.where(no_date, self._net_land_days(X, sl), 0)
            det["obstacle_days"][sl] = obst
            det["land_use_days"][sl] = lu_delay
            det["ready_date_days"][sl] = np.maximum(ready, 0)
            det["construction_days"][sl] = 0 if construction is None else construction
            det["land_use_path"][sl] = plan.lu_code.take(lu_key)

        m = sl.stop - sl.start
        rows = S[:, sl] if S is not None else np.empty((len(plan.criteria), m), _F32)
        # Ranking only (no per-criterion arrays kept): the criteria that are functions of the
        # (land class, tenure) key enter the total through one weighted lookup.
        # The other criteria's kernels then fold their weight into their last step
        # (``weighted``), so that their result adds to the total as it is.
        lean = S is None
        keyed = plan.keyed if lean else frozenset()
        total = out["score"][sl]
        if keyed:
            np.take(plan.key_value, lu_key, out=total)
        else:
            total[:] = 0
        tmp = np.empty(m, dtype=_F32)
        prev, prev_weighted = -1, False
        for i, c in enumerate(plan.criteria):
            if c in keyed:
                continue
            if prev >= 0:  # accumulate the previous criterion while its scores are in cache
                _accumulate(total, rows[prev], plan.wvec[prev], prev_weighted, tmp)
            weighted = lean and c in _WEIGHTED_KERNELS
            wt = plan.wvec[i] if weighted else _F32(1)
            prev, prev_weighted = i, weighted
            s = rows[i]
            h = c in gate
            if c == "size":
                lo, hi = req.land_area_range_m2  # type: ignore[misc]
                v = X["land_area_m2"][sl]
                nan = X.has_nan("land_area_m2")
                _range_fit(v, lo, hi, tol[c], unk, nan, s, h, fails, shorts, c, detail, wt)
            elif c == "building":
                lo, hi = req.building_area_m2  # type: ignore[misc]
                v = X["building_area_m2"][sl]
                nan = X.has_nan("building_area_m2")
                _range_fit(v, lo, hi, tol[c], unk, nan, s, h, fails, shorts, c, detail, wt)
            elif c == "specs":
                needs = (
                    ("power_kva", req.min_power_kva),
                    ("floor_load_kn_m2", req.min_floor_load_kn_m2),
                    ("floor_height_m", req.min_floor_height_m),
                )
                _bounds(X, sl, needs, True, tol[c], unk, s, h, fails, shorts, c, detail, wt)
            elif c == "cost":
                caps = (
                    ("rent_yuan_m2_month", req.max_rent_m2_month),
                    ("land_price_yuan_mu", req.max_land_price_yuan_mu),
                )
                _bounds(X, sl, caps, False, tol[c], unk, s, h, fails, shorts, c, detail, wt)
            elif c == "tenure":
                np.take(plan.tenure_score, X["tenure"][sl], out=s)
                if h:
                    fails[c] = s == 0
            elif c == "readiness":
                d = req.ready_within_days
                if d is None:
                    np.multiply(move_in, _F32(-wt / NO_DEADLINE_HORIZON_DAYS), out=s)
                else:
                    scale = wt / max(tol[c] * max(d, MIN_DEADLINE_SCALE_DAYS), 1e-9)
                    over = move_in - _F32(d)
                    _floor0(over)
                    np.multiply(over, _F32(-scale), out=s)
                    if h:
                        fails[c] = over > 0
                    if detail:
                        shorts[c] = over / _F32(max(d, 1.0))
                s += wt
                _floor0(s)
            elif c == "land_use":
                np.take(plan.lu_score, lu_key, out=s)  # type: ignore[arg-type]
                if h:
                    fails[c] = s < 0
                _floor0(s)
            elif c == "synergy":
                P = X["presence"]
                if not plan.synergy_terms:
                    s[:] = 0
                for k, (j, w) in enumerate(plan.synergy_terms):  # axpy, no BLAS
                    if k == 0:
                        np.multiply(P[sl, j], _F32(w), out=s)
                    else:
                        np.multiply(P[sl, j], _F32(w), out=tmp)
                        s += tmp
                _floor0(s)
                s /= s + _F32(self.synergy_half_saturation)
            elif c == "conflicts":
                _conflicts(X, sl, plan, s, h, fails, shorts, detail, wt, tmp)
            elif c == "access":
                np.multiply(plan.access[sl], wt, out=s)  # type: ignore[index]
            elif c == "near":
                _near(X, sl, plan, tol[c], s, h, fails, shorts, det, detail, wt)
            elif c == "district":
                np.take(plan.district_score, X["district"][sl], out=s)  # type: ignore[arg-type]
                if h:
                    fails[c] = s == 0
            elif c == "freshness":
                np.multiply(plan.freshness[sl], wt, out=s)  # type: ignore[index]

        # ---- a stated bound that is a preference fails only beyond its tolerance, where its
        # score has reached 0 (a must fails anywhere outside); unknown values never fail
        for i, c in enumerate(plan.criteria):
            if c in gate and c not in hard and c in fails and plan.wvec[i] > 0:
                fails[c] = fails[c] & (rows[i] <= 0)

        # ---- total, musts and status (no BLAS: its thread pool costs more than it saves here)
        if prev >= 0:
            _accumulate(total, rows[prev], plan.wvec[prev], prev_weighted, tmp)
        if "soft" in out:
            out["soft"][sl] = total
        nf = out["n_failed"][sl]
        if keyed and plan.key_fails is not None:
            nf += plan.key_fails.take(lu_key)
        for c in gate:
            if c in keyed:
                continue
            f = fails[c]
            if failed:
                failed[c][sl] = f
            nf += f
        offerable = plan.offerable[sl]
        if "near_miss" in out:  # offerable and failing exactly one must: the soft total
            near = out["near_miss"][sl]
            near[:] = total
            _neg_inf_where(near, (nf != 1) | ~offerable)
        excluded = ~offerable
        if gate:
            excluded |= nf > 0
        _neg_inf_where(total, excluded)  # total is out["score"][sl]
        if detail:
            for c, v in shorts.items():
                det[f"shortfall_{c}"][sl] = v
