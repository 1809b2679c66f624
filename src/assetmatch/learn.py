"""Criterion weights learned from past deals: :class:`MatchModel`, a conditional logit.

Each past deal is a choice: on the day before signing, the investor could have taken any asset
then on offer, and took one. :func:`choice_sets` turns the inventory's deals into those
choices — one row per alternative, the criterion scores of the deal's brief as features
(:meth:`assetmatch.scoring.SiteScorer.evaluate`, hard limits ignored: the alternatives are
every asset whose status allowed an offer that day). :class:`MatchModel` then fits a
conditional logit — McFadden's choice model, as Stata's ``cmclogit`` and SAS's ``PROC MDC``
``type=clogit`` document it (manuals checked 2026-12-04): the chosen asset's probability is
``exp(u_i) / Σ_j exp(u_j)`` over its choice set with ``u = X @ coef_``, maximised with an L2
penalty ``||coef||² / (2 C)`` and, by default, non-negative coefficients (a criterion can count
for nothing, never against). The normalised coefficients are criterion weights
(:attr:`MatchModel.weights_`), which :func:`assetmatch.match` takes as ``weights=`` or as
``model=``.

The model follows the scikit-learn estimator contract (``fit`` returns ``self``, learned state
ends in ``_``, :func:`sklearn.base.clone` and ``get_params`` / ``set_params`` work).
``fit(X, y, groups=...)`` takes the alternatives' rows, ``y`` 1 for the chosen one and the
choice set of every row; without ``groups`` each row is a choice between the row and nothing
(a binary logistic regression without intercept), which is what generic scikit-learn tools
call.

:func:`evaluate_deals` scores the learned weights against each brief's own weights (what
:func:`assetmatch.match` uses by default) under grouped cross-validation (``GroupKFold`` by
investor): hit@1, hit@5 and the mean reciprocal rank of the asset actually taken.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from ._errors import Problem, ValidationError, wrong_type
from .requirements import CRITERIA, Requirements
from .scoring.weights import DEFAULT_PRIORITIES, Weights

logger = logging.getLogger(__name__)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "ChoiceSets",
    "MatchModel",
    "choice_sets",
    "evaluate_deals",
    "rank_metrics",
]

#: ``format`` and ``version`` of :meth:`MatchModel.to_json` documents.
FORMAT: Final = "assetmatch.MatchModel"
FORMAT_VERSION: Final = 1


def _invalid(
    field_: str, reason: str, header: str = "MatchModel input is invalid"
) -> ValidationError:
    return ValidationError(f"{header}:", [Problem(None, field_, reason)])


# ====================================================================== choice sets


@dataclass
class ChoiceSets:
    """Past deals as choices: one row per alternative asset, criterion scores as features.

    Attributes
    ----------
    X
        Criterion scores, shape ``(n_rows, len(criteria))``; a criterion the brief does not
        speak to (or the inventory cannot score) is 0 for every alternative of that set.
    chosen
        Whether the row is the asset the investor took.
    group
        Choice set (deal) index of each row, ``0 … n_sets - 1``.
    asset_id
        Asset of each row.
    deal_id, investor
        Per choice set.
    default_weights
        Per choice set, the weights :func:`assetmatch.match` would use for that brief (its
        priorities over the defaults), normalised over the criteria that take part; shape
        ``(n_sets, len(criteria))``.
    criteria
        Column names of ``X``.
    skipped
        ``(deal_id, reason)`` of deals that could not become a choice.
    """

    X: np.ndarray
    chosen: np.ndarray
    group: np.ndarray
    asset_id: np.ndarray
    deal_id: np.ndarray
    investor: np.ndarray
    default_weights: np.ndarray
    criteria: tuple[str, ...] = CRITERIA
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.deal_id)

    @property
    def n_alternatives(self) -> np.ndarray:
        """Number of alternatives of each choice set."""
        return np.bincount(self.group, minlength=len(self))

    def subset(self, sets: Sequence[int] | np.ndarray) -> ChoiceSets:
        """The choice sets ``sets`` (positions), renumbered ``0 …``."""
        sets = np.asarray(sets, dtype=np.intp)
        remap = np.full(len(self), -1, dtype=np.intp)
        remap[sets] = np.arange(len(sets))
        rows = remap[self.group] >= 0
        order = np.argsort(remap[self.group[rows]], kind="stable")
        take = np.flatnonzero(rows)[order]
        return ChoiceSets(
            X=self.X[take],
            chosen=self.chosen[take],
            group=remap[self.group[take]],
            asset_id=self.asset_id[take],
            deal_id=self.deal_id[sets],
            investor=self.investor[sets],
            default_weights=self.default_weights[sets],
            criteria=self.criteria,
        )


def choice_sets(
    inventory: Any,
    deals: pd.DataFrame | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ChoiceSets:
    """Turn past deals into choice sets: what each investor could take and what it took.

    For each deal the assets are read as they stood the day before ``signed_at``; the
    alternatives are the assets whose status then allowed an offer, plus the asset taken;
    the features are the criterion scores of the deal's brief (``requirements``) on them.

    Parameters
    ----------
    inventory
        An :class:`assetmatch.Inventory` (its assets as of a date, context and deals).
    deals
        Deals with ``deal_id``, ``investor``, ``signed_at``, ``asset_id`` and
        ``requirements`` (a dict or JSON); default the inventory's.
    progress
        Called as ``progress(done, total)`` after each deal (progress is also logged).

    Returns
    -------
    ChoiceSets
        Deals without requirements, date or a known asset are left out and listed in
        ``skipped`` with the reason.
    """
    from .match import _near_place
    from .scoring import SiteScorer, prepare

    deals = inventory.deals() if deals is None else deals
    need = {"deal_id", "investor", "signed_at", "asset_id", "requirements"}
    missing = sorted(need - set(deals.columns))
    if missing:
        raise _invalid("deals", f"missing columns {missing}; expected {sorted(need)}")
    context = inventory.context()
    n_crit = len(CRITERIA)
    blocks: list[np.ndarray] = []
    chosen: list[np.ndarray] = []
    ids: list[np.ndarray] = []
    meta: list[tuple[str, str, np.ndarray]] = []
    skipped: list[tuple[str, str]] = []
    total = len(deals)
    for k, d in enumerate(deals.itertuples(index=False)):
        deal_id = str(d.deal_id)
        try:
            req = _brief(d.requirements)
            signed = pd.Timestamp(d.signed_at).date()
        except (ValidationError, ValueError, TypeError) as exc:
            skipped.append((deal_id, f"no usable brief or date: {exc}"))
            continue
        as_of = signed - timedelta(days=1)
        X = prepare(
            inventory.assets(as_of=as_of), context, as_of=as_of, crs=getattr(inventory, "crs", None)
        )
        if str(d.asset_id) not in set(X.ids.astype(str)):
            skipped.append((deal_id, f"asset {d.asset_id!r} not in the inventory on {as_of}"))
            continue
        scorer = SiteScorer(req, as_of=as_of).fit(X)
        near_place, exclude = _near_place(req, X, inventory, None)
        ev = scorer.evaluate(X, near_place=near_place, exclude=exclude)
        pos = X.position(str(d.asset_id))
        alt = ev.offerable.copy()
        alt[pos] = True
        rows = np.flatnonzero(alt)
        F = np.zeros((len(rows), n_crit))
        for c in ev.criteria:
            F[:, CRITERIA.index(c)] = ev.scores[c][rows]
        w = np.array([scorer.weight_.get(c, 0.0) for c in CRITERIA])
        blocks.append(F)
        chosen.append(rows == pos)
        ids.append(X.ids[rows].astype(str))
        meta.append((deal_id, str(d.investor), w))
        logger.info(
            "choice set %d/%d (%s): %d alternatives on %s", k + 1, total, deal_id, len(rows), as_of
        )
        if progress is not None:
            progress(k + 1, total)
    for deal_id, why in skipped:
        logger.warning("deal %s left out: %s", deal_id, why)
    if not blocks:
        raise _invalid("deals", "no deal could be turned into a choice set", "No choice sets")
    return ChoiceSets(
        X=np.vstack(blocks),
        chosen=np.concatenate(chosen),
        group=np.repeat(np.arange(len(blocks)), [len(b) for b in blocks]),
        asset_id=np.concatenate(ids),
        deal_id=np.array([m[0] for m in meta]),
        investor=np.array([m[1] for m in meta]),
        default_weights=np.vstack([m[2] for m in meta]),
        skipped=skipped,
    )


def _brief(raw: Any) -> Requirements:
    if isinstance(raw, str):
        raw = json.loads(raw)
    if not isinstance(raw, dict):
        raise TypeError(f"requirements must be a dict or JSON; got {type(raw).__name__}")
    return Requirements(**{k: v for k, v in raw.items() if v is not None})


# ====================================================================== the model


class MatchModel(ClassifierMixin, BaseEstimator):
    """Criterion weights learned from past deals (a conditional logit; scikit-learn estimator).

    Parameters
    ----------
    C
        Inverse strength of the L2 penalty ``||coef||² / (2 C)`` (larger: weaker).
    positive
        Keep the coefficients non-negative (a criterion can count for nothing, never
        against); they are weights only then.
    criteria
        Names of the columns of ``X``; default the 13 criteria
        (:data:`assetmatch.requirements.CRITERIA`) when ``X`` has 13 columns. Weights
        (:attr:`weights_`) need criteria names.
    max_iter, tol
        Iterations and tolerance of the L-BFGS-B optimiser.

    Attributes
    ----------
    coef_
        One coefficient per column (utility ``X @ coef_``).
    classes_
        The two labels; the second is "chosen".
    n_features_in_, n_iter_
        Columns seen in ``fit``; optimiser iterations.
    n_sets_
        Choice sets fitted (rows, without ``groups``).
    criteria_
        Column names, or ``None`` when ``X`` is not a criteria table.
    seen_
        Whether each column varied within some choice set (the data said something about it).
    weights_
        :class:`~assetmatch.scoring.Weights` (``source="learned"``), or ``None`` without
        criteria names. Criteria the deals said nothing about keep their default priority,
        scaled to the learned weights' mean.

    Examples
    --------
    >>> import numpy as np
    >>> from assetmatch.learn import MatchModel
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((600, 2))                       # 200 choices among 3 sites
    >>> groups = np.repeat(np.arange(200), 3)
    >>> u = X @ [6.0, 2.0] + rng.gumbel(size=600)
    >>> y = np.zeros(600, int)
    >>> y[np.arange(200) * 3 + u.reshape(200, 3).argmax(1)] = 1
    >>> m = MatchModel(C=100, criteria=["size", "cost"]).fit(X, y, groups=groups)
    >>> w = m.weights_.values
    >>> w["size"] > w["cost"]
    True

    With an inventory that has deals (``inv = am.Inventory.demo()``)::

        m = am.MatchModel().fit_deals(inv)        # one choice per past deal
        m.weights_.values                         # criterion -> weight, summing to 1
        am.match(brief, inventory=inv, model=m)   # or weights=m.weights_
        text = m.to_json()                        # and am.MatchModel.from_json(text)

        from assetmatch.learn import choice_sets, evaluate_deals
        evaluate_deals(choice_sets(inv))          # hit@1, hit@5, MRR vs the briefs' weights
    """

    def __init__(
        self,
        C: float = 1.0,
        *,
        positive: bool = True,
        criteria: Sequence[str] | None = None,
        max_iter: int = 500,
        tol: float = 1e-8,
    ) -> None:
        self.C = C
        self.positive = positive
        self.criteria = criteria
        self.max_iter = max_iter
        self.tol = tol

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    # ------------------------------------------------------------------ fit

    def fit(self, X: Any, y: Any, groups: Any = None) -> MatchModel:
        """Fit the coefficients.

        Parameters
        ----------
        X
            Rows of alternatives (features: criterion scores), shape ``(n, n_features)``.
        y
            Two labels; the larger (1, ``True``) marks the chosen row of each choice set.
        groups
            Choice set of each row; each set must hold exactly one chosen row. Without it
            each row is a choice between the row and nothing.

        Returns
        -------
        self
        """
        from sklearn.utils.multiclass import check_classification_targets

        self._check_params()
        if y is None:
            raise ValidationError(
                "MatchModel requires y to be passed, but the target y is None "
                "(give 1 for the chosen row of each choice set, 0 for the others)."
            )
        X, y = _validated(self, X, y)
        _sk(check_classification_targets, y)
        classes = np.unique(y)
        if len(classes) != 2:
            raise ValidationError(
                "The 'y' parameter of MatchModel.fit must hold exactly two classes (chosen "
                "and not chosen): Only binary classification is supported. "
                f"Got {len(classes)} class(es) instead: {classes[:5].tolist()}."
            )
        self.classes_ = classes
        pos = y == classes[1]
        names = self._names(X.shape[1])
        if groups is None:
            loss = _binary_loss(X, pos.astype(np.float64))
            seen = np.ptp(X, axis=0) > 0
            self.n_sets_ = len(X)
        else:
            g = _check_groups(groups, len(X), pos)
            loss = _choice_loss(X, pos, g)
            seen = _varies_within(X, g)
            self.n_sets_ = int(g.max()) + 1
        lam = 1.0 / float(self.C)

        def objective(beta: np.ndarray) -> tuple[float, np.ndarray]:
            f, grad = loss(beta)
            return f + 0.5 * lam * beta @ beta, grad + lam * beta

        bounds = [(0.0, None)] * X.shape[1] if self.positive else None
        res = minimize(
            objective,
            np.zeros(X.shape[1]),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": int(self.max_iter), "gtol": float(self.tol)},
        )
        if not res.success:
            logger.warning("MatchModel: the optimiser stopped early: %s", res.message)
        self.coef_ = np.asarray(res.x, dtype=np.float64)
        self.n_iter_ = int(res.nit)
        self.seen_ = seen
        self.criteria_ = names
        self.weights_ = self._weights(names) if names is not None else None
        logger.info(
            "MatchModel fitted on %d choice sets, %d rows in %d iterations",
            self.n_sets_,
            len(X),
            self.n_iter_,
        )
        return self

    def fit_deals(self, deals: Any) -> MatchModel:
        """Fit on past deals: an :class:`assetmatch.Inventory` (its deals) or :class:`ChoiceSets`.

        Returns
        -------
        self
        """
        if not (isinstance(deals, ChoiceSets) or callable(getattr(deals, "deals", None))):
            raise wrong_type("deals", "an Inventory or ChoiceSets", deals, of="fit_deals")
        sets = deals if isinstance(deals, ChoiceSets) else choice_sets(deals)
        if self.criteria is not None and tuple(self.criteria) != sets.criteria:
            raise _invalid("criteria", f"choice sets have the columns {list(sets.criteria)}")
        return self.fit(sets.X, sets.chosen, groups=sets.group)

    def _check_params(self) -> None:
        problems = []
        if not (isinstance(self.C, int | float) and math.isfinite(self.C) and self.C > 0):
            problems.append(Problem(None, "C", f"must be a finite number > 0; got {self.C!r}"))
        if not (isinstance(self.max_iter, int) and self.max_iter >= 1):
            problems.append(
                Problem(None, "max_iter", f"must be an int >= 1; got {self.max_iter!r}")
            )
        if not (isinstance(self.tol, int | float) and self.tol > 0):
            problems.append(Problem(None, "tol", f"must be a number > 0; got {self.tol!r}"))
        if problems:
            raise ValidationError("The parameters of MatchModel are invalid:", problems)

    def _names(self, n: int) -> tuple[str, ...] | None:
        if self.criteria is None:
            return CRITERIA if n == len(CRITERIA) else None
        names = tuple(str(c) for c in self.criteria)
        if len(names) != n:
            raise _invalid(
                "criteria", f"names {len(names)} columns but X has {n}", "MatchModel.fit"
            )
        unknown = [c for c in names if c not in CRITERIA]
        if unknown:
            raise _invalid(
                "criteria", f"unknown criteria {unknown}; expected some of {list(CRITERIA)}"
            )
        return names

    def _weights(self, names: tuple[str, ...]) -> Weights:
        coef = np.maximum(self.coef_, 0.0)
        seen = self.seen_
        values = dict(zip(names, coef.tolist(), strict=True))
        learned = [c for c, s in zip(names, seen, strict=True) if s]
        mean = float(coef[seen].mean()) if seen.any() and coef[seen].sum() > 0 else 1.0
        unseen = [c for c in CRITERIA if c not in learned]
        if learned:
            base = np.mean([DEFAULT_PRIORITIES[c] for c in learned])
            for c in unseen:
                values[c] = DEFAULT_PRIORITIES[c] / base * mean
        total = sum(values.values())
        if total <= 0:
            values = {c: float(DEFAULT_PRIORITIES[c]) for c in CRITERIA}
            total = sum(values.values())
        return Weights(
            {c: v / total for c, v in values.items()},
            source="learned",
            detail={
                "model": FORMAT,
                "C": float(self.C),
                "n_sets": int(self.n_sets_),
                "learned": learned,
                "defaulted": unseen,
            },
        )

    # ------------------------------------------------------------------ predict

    def _check_fitted(self) -> None:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "coef_")

    def decision_function(self, X: Any) -> np.ndarray:
        """Utility of each row, ``X @ coef_`` (higher: more likely chosen)."""
        self._check_fitted()
        X = _validated(self, X)
        return X @ self.coef_

    def score_samples(self, X: Any) -> np.ndarray:
        """Same as :meth:`decision_function`: one utility per row."""
        return self.decision_function(X)

    def predict_proba(self, X: Any, groups: Any = None) -> np.ndarray:
        """Probability of each row being chosen: within its choice set, or against nothing.

        Returns ``(n, 2)``: not chosen, chosen.
        """
        u = self.decision_function(X)
        if groups is None:
            p = expit(u)
        else:
            g = np.asarray(groups)
            _, inv = np.unique(g, return_inverse=True)
            lse = np.full(inv.max() + 1, -np.inf)
            np.logaddexp.at(lse, inv, u)
            p = np.exp(u - lse[inv])
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """The label of each row without choice sets: chosen when its utility is above 0."""
        chosen = self.decision_function(X) > 0
        return self.classes_[chosen.astype(int)]

    # ------------------------------------------------------------------ JSON

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: format, version, parameters and learned state."""
        self._check_fitted()
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "params": {
                "C": float(self.C),
                "positive": bool(self.positive),
                "criteria": None if self.criteria is None else list(self.criteria),
                "max_iter": int(self.max_iter),
                "tol": float(self.tol),
            },
            "coef": self.coef_.tolist(),
            "classes": self.classes_.tolist(),
            "seen": self.seen_.tolist(),
            "n_sets": int(self.n_sets_),
            "n_iter": int(self.n_iter_),
            "criteria": None if self.criteria_ is None else list(self.criteria_),
            "package_version": _package_version(),
        }

    def to_json(self, indent: int | None = None) -> str:
        """A JSON document read back by :meth:`from_json`."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> MatchModel:
        """Load a fitted model saved by :meth:`to_json`.

        Raises
        ------
        assetmatch.ValidationError
            If the text is not such a document, or of a newer version.
        """
        header = "Not a saved MatchModel"
        if not isinstance(text, str | bytes | bytearray):
            raise wrong_type("text", "a JSON document (str or bytes)", text, of="from_json")
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _invalid("<json>", str(exc), header) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise _invalid("format", f"expected {FORMAT!r}", header)
        if data.get("version") != FORMAT_VERSION:
            raise _invalid(
                "version", f"expected {FORMAT_VERSION}; got {data.get('version')!r}", header
            )
        try:
            model = cls(**data["params"])
            model._check_params()
            coef = np.asarray(data["coef"], dtype=np.float64)
            seen = np.asarray(data["seen"], dtype=bool)
            classes = np.asarray(data["classes"])
            if coef.ndim != 1 or seen.shape != coef.shape or len(classes) != 2:
                raise ValueError("coef, seen and classes do not fit together")
            if not np.isfinite(coef).all():
                raise ValueError("coef holds a non-finite number")
            model.coef_ = coef
            model.seen_ = seen
            model.classes_ = classes
            model.n_features_in_ = len(coef)
            model.n_sets_ = int(data["n_sets"])
            model.n_iter_ = int(data["n_iter"])
            model.criteria_ = model._names(len(coef))
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ValidationError):
                raise
            raise _invalid("<document>", f"incomplete or malformed: {exc}", header) from None
        model.weights_ = model._weights(model.criteria_) if model.criteria_ is not None else None
        return model


def _sk(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a scikit-learn validation; its ValueError becomes a ValidationError (same text)."""
    try:
        return func(*args, **kwargs)
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            raise
        raise ValidationError(str(exc)) from None


def _validated(est: MatchModel, X: Any, y: Any = None) -> Any:
    from sklearn.utils.validation import validate_data

    if y is None:
        return _sk(validate_data, est, X, reset=False, dtype=np.float64)
    return _sk(validate_data, est, X, y, dtype=np.float64)


def _package_version() -> str:
    from .result import package_version

    return package_version()


# ---------------------------------------------------------------------- losses


def _binary_loss(X: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        u = X @ beta
        f = float(np.sum(np.logaddexp(0.0, u) - y * u))
        return f, X.T @ (expit(u) - y)

    return loss


def _choice_loss(
    X: np.ndarray, chosen: np.ndarray, g: np.ndarray
) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    order = np.argsort(g, kind="stable")
    Xs, gs, cs = X[order], g[order], chosen[order]
    starts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]])
    Xc = Xs[cs]  # one chosen row per set, in set order

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        u = Xs @ beta
        m = np.maximum.reduceat(u, starts)
        e = np.exp(u - np.repeat(m, np.diff(np.r_[starts, len(u)])))
        s = np.add.reduceat(e, starts)
        lse = m + np.log(s)
        f = float(np.sum(lse) - np.sum(Xc @ beta))
        p = e / np.repeat(s, np.diff(np.r_[starts, len(u)]))
        grad = Xs.T @ p - Xc.sum(axis=0)
        return f, grad

    return loss


def _check_groups(groups: Any, n: int, pos: np.ndarray) -> np.ndarray:
    g = np.asarray(groups)
    if g.shape != (n,):
        raise _invalid("groups", f"expected one choice set per row ({n}); got shape {g.shape}")
    _, g = np.unique(g, return_inverse=True)
    per_set = np.bincount(g, weights=pos.astype(float))
    bad = np.flatnonzero(per_set != 1)
    if len(bad):
        raise _invalid(
            "y",
            f"each choice set needs exactly one chosen row; {len(bad)} set(s) have "
            f"{sorted(set(per_set[bad].astype(int).tolist()))}",
        )
    return g


def _varies_within(X: np.ndarray, g: np.ndarray) -> np.ndarray:
    n = int(g.max()) + 1
    hi = np.full((n, X.shape[1]), -np.inf)
    lo = np.full((n, X.shape[1]), np.inf)
    np.maximum.at(hi, g, X)
    np.minimum.at(lo, g, X)
    return ((hi - lo) > 0).any(axis=0)


# ====================================================================== evaluation


def rank_metrics(
    utility: np.ndarray, chosen: np.ndarray, group: np.ndarray, ks: Sequence[int] = (1, 5)
) -> dict[str, float]:
    """Hit@k and mean reciprocal rank of the chosen row of each choice set.

    Ties are broken at random in expectation: the chosen row's rank is
    ``1 + (alternatives scoring higher) + (alternatives scoring the same) / 2``.
    """
    u = np.asarray(utility, dtype=np.float64)
    chosen = np.asarray(chosen, dtype=bool)
    group = np.asarray(group)
    _, g = np.unique(group, return_inverse=True)
    n = int(g.max()) + 1
    uc = np.full(n, np.nan)
    uc[g[chosen]] = u[chosen]
    higher = np.bincount(g, weights=(u > uc[g]).astype(float), minlength=n)
    ties = np.bincount(g, weights=((u == uc[g]) & ~chosen).astype(float), minlength=n)
    rank = 1.0 + higher + ties / 2.0
    out = {f"hit@{k}": float(np.mean(rank <= k)) for k in ks}
    out["mrr"] = float(np.mean(1.0 / rank))
    out["n_sets"] = float(n)
    return out


def evaluate_deals(
    sets: ChoiceSets,
    model: MatchModel | None = None,
    *,
    n_splits: int = 5,
) -> pd.DataFrame:
    """Learned weights against each brief's own weights, under grouped cross-validation.

    The choice sets are split with :class:`sklearn.model_selection.GroupKFold` by investor (no
    investor is in a fold's training and test sets); the model is fitted on the training
    folds and ranks the test folds' alternatives. ``default`` ranks them with the weights
    :func:`assetmatch.match` uses for each brief (its priorities over the defaults).

    Returns
    -------
    pandas.DataFrame
        Index ``learned`` and ``default``; columns ``hit@1``, ``hit@5``, ``mrr``, ``n_sets``
        (pooled over the test folds).
    """
    from sklearn.model_selection import GroupKFold

    model = MatchModel() if model is None else model
    n_inv = len(np.unique(sets.investor))
    if n_inv < 2:
        raise _invalid("sets", f"grouped cross-validation needs 2+ investors; got {n_inv}")
    folds = GroupKFold(n_splits=min(n_splits, n_inv))
    learned = np.empty(len(sets.X))
    for k, (train, test) in enumerate(folds.split(np.zeros(len(sets)), groups=sets.investor)):
        tr = sets.subset(train)
        m = clone(model).fit(tr.X, tr.chosen, groups=tr.group)
        rows = np.isin(sets.group, test)
        learned[rows] = sets.X[rows] @ m.coef_
        logger.info("fold %d: fitted on %d deals, tested on %d", k + 1, len(train), len(test))
    default = np.einsum("ij,ij->i", sets.X, sets.default_weights[sets.group])
    rows = {
        "learned": rank_metrics(learned, sets.chosen, sets.group),
        "default": rank_metrics(default, sets.chosen, sets.group),
    }
    return pd.DataFrame.from_dict(rows, orient="index")
