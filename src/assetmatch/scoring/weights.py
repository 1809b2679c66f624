"""Weights of the criteria: the one object the scorer takes.

:class:`Weights` comes from 1–5 priorities (:meth:`Weights.from_priorities`, weight ∝ priority)
or is given directly (:meth:`Weights.from_dict`). Weights are renormalised over the criteria that
take part, so the total score is in [0, 1] and each weighted contribution
``c_{criterion} = weight × score``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from .._errors import Problem, ValidationError, wrong_type
from ..requirements import CRITERIA, Requirements

__all__ = ["DEFAULT_PRIORITIES", "Weights"]

#: Default priorities (1–5) of the criteria, used for those a brief does not prioritise.
DEFAULT_PRIORITIES: Final[dict[str, int]] = {
    "size": 4,
    "building": 3,
    "specs": 3,
    "cost": 3,
    "tenure": 3,
    "readiness": 3,
    "land_use": 3,
    "synergy": 2,
    "conflicts": 3,
    "access": 1,
    "near": 4,
    "district": 2,
    "freshness": 1,
}


#: Largest weight accepted: weights are relative, and a ratio of a million to one already
#: silences a criterion; larger values only risk overflow when they are summed.
MAX_WEIGHT = 1e6


@dataclass(frozen=True)
class Weights:
    """Relative weights of the criteria; the one object the scorer takes.

    Parameters
    ----------
    values
        Criterion → non-negative weight. Criteria left out weigh 0. Weights are relative:
        the scorer renormalises them over the criteria that take part in a match.
    source
        Where they come from: ``"priorities"``, ``"direct"``; other sources use their own
        name (see Notes).
    detail
        What they were derived from (e.g. the priorities), kept for reproducibility.

    Notes
    -----
    Further sources plug in as class methods returning a ``Weights`` with their own
    ``source`` and ``detail``: pairwise comparisons (AHP, ``Weights.from_ahp``, weights from
    the principal eigenvector with the consistency ratio in ``detail``) and weights learned
    from past deals (a fitted model's coefficients). The scorer reads ``values`` only, so it
    needs no change when they arrive.

    Examples
    --------
    >>> w = Weights.from_priorities({"size": 5, "readiness": 5})
    >>> round(w.normalized(["size", "readiness", "cost"])["size"], 3)
    0.385
    """

    values: Mapping[str, float]
    source: str = "direct"
    detail: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = []
        for k, v in self.values.items():
            if k not in CRITERIA:
                problems.append(
                    Problem(
                        None,
                        f"weights.{k}",
                        f"unknown criterion; expected one of {', '.join(CRITERIA)}",
                    )
                )
            elif not (isinstance(v, int | float) and math.isfinite(v) and 0 <= v <= MAX_WEIGHT):
                problems.append(
                    Problem(
                        None,
                        f"weights.{k}",
                        f"expected a number from 0 to {MAX_WEIGHT:g} (weights are relative); "
                        f"got {v!r}",
                    )
                )
        if problems:
            raise ValidationError("Weights are invalid:", problems)
        object.__setattr__(self, "values", {k: float(v) for k, v in self.values.items()})

    @classmethod
    def from_priorities(
        cls,
        priorities: Mapping[str, int] | None = None,
        *,
        defaults: Mapping[str, int] = DEFAULT_PRIORITIES,
    ) -> Weights:
        """Weights proportional to 1–5 priorities; criteria not given take ``defaults``."""
        if priorities is not None and not isinstance(priorities, Mapping):
            raise wrong_type("priorities", "a mapping of criterion to 1–5", priorities)
        priorities = dict(priorities or {})
        bad = [
            Problem(None, f"priorities.{k}", f"expected an integer from 1 to 5; got {v!r}")
            for k, v in priorities.items()
            if not (isinstance(v, int | np.integer) and 1 <= v <= 5)
        ]
        if bad:
            raise ValidationError("Priorities are invalid:", bad)
        merged = {**defaults, **priorities}
        return cls(
            {k: float(v) for k, v in merged.items()},
            source="priorities",
            detail={"priorities": {k: int(v) for k, v in priorities.items()}},
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Weights:
        """Weights given directly (criterion → weight), or a dict from :meth:`to_dict`."""
        if not isinstance(data, Mapping):
            raise wrong_type("weights", "a mapping of criterion to weight", data)
        if "values" in data and isinstance(data["values"], Mapping):
            return cls(
                dict(data["values"]),
                str(data.get("source", "direct")),
                dict(data.get("detail", {})),
            )
        return cls(dict(data), source="direct")

    @classmethod
    def from_requirements(cls, requirements: Requirements) -> Weights:
        """The brief's pairwise comparisons (AHP), its direct ``weights``, else its
        ``priorities`` over the defaults."""
        if requirements.ahp is not None:
            return requirements.ahp.weights
        if requirements.weights is not None:
            return cls.from_dict(requirements.weights)
        return cls.from_priorities(requirements.priorities)

    def normalized(self, criteria: Iterable[str]) -> dict[str, float]:
        """Weights of ``criteria`` scaled to sum to 1 (criteria without a weight get 0).

        Raises
        ------
        assetmatch.ValidationError
            If every one of ``criteria`` weighs 0.
        """
        crit = list(criteria)
        raw = {c: self.values.get(c, 0.0) for c in crit}
        total = sum(raw.values())
        if total <= 0:
            raise ValidationError(
                "Weights are invalid:",
                [
                    Problem(
                        None,
                        "weights",
                        f"every criterion of this match weighs 0 ({', '.join(crit)})",
                    )
                ],
            )
        return {c: w / total for c, w in raw.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: ``{"source", "values", "detail"}`` (read back by :meth:`from_dict`)."""
        return {"source": self.source, "values": dict(self.values), "detail": dict(self.detail)}
