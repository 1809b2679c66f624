"""Weights from pairwise comparisons: the Analytic Hierarchy Process (AHP).

Staff compare criteria two at a time on Saaty's 1–9 scale ("size is moderately more important
than cost" = 3, its reciprocal 1/3 the other way round). The weights are the principal
eigenvector of the comparison matrix; its consistency ratio ``CR = CI / RI`` with
``CI = (λ_max − n) / (n − 1)`` says how far the judgments contradict each other, against the
random index ``RI`` of random matrices of the same size. Saaty's rule of thumb accepts
``CR ≤ 0.10``; above it :func:`ahp_weights` refuses, naming the ratio and the pair of
criteria whose judgment departs most from the weights, unless the caller accepts it.

Several experts' matrices combine by the element-wise geometric mean, the aggregation that
keeps the reciprocal property (Aczél and Saaty, "Procedures for synthesizing ratio
judgements", Journal of Mathematical Psychology 27, 1983).

Why not a library (checked 2026-12-04 on the released wheels, pymcdm 1.4.0 and
scikit-criteria 0.10): scikit-criteria has no AHP at all (its ``agg`` package ranks
alternatives: TOPSIS, weighted sum/product, ELECTRE…), and pulls in networkx, seaborn, pulp and
pandas ≥ 3. pymcdm's ``weights.subjective.AHP`` takes a matrix and returns the eigenvector, but
its ``get_cr`` uses another random-index table (Tummala and Ling 1998: 0.5799, 0.8921, … instead
of Saaty's 0.58, 0.90, …), never refuses, names no pair, combines no experts, and raises bare
``ValueError`` (it needs matplotlib and tabulate besides). What staff need here — the refusal
naming the ratio and the worst pair, experts by geometric mean, errors that name the cell, the
result as :class:`~assetmatch.scoring.Weights` — is the part these libraries lack, around an
eigen-decomposition that is one line of numpy; so no dependency. The house example of Saaty
(1990, Table 2) is reproduced exactly (tests/test_ahp.py).

A brief carries its comparisons as :class:`assetmatch.requirements.Pairwise`
(``Requirements(pairwise={"criteria": [...], "matrix": [[...]]})``); the brief is refused at
validation under the same rule, and ``Requirements.ahp`` holds the result.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from .._errors import Problem, ValidationError, wrong_type
from ..requirements import CRITERIA
from .weights import Weights

__all__ = ["RANDOM_INDEX", "AHPResult", "ahp_weights"]

#: Saaty's random consistency index RI by matrix size n (T. L. Saaty, *The Analytic Hierarchy
#: Process*, McGraw-Hill 1980; the same table is reproduced e.g. in IWA Publishing's
#: Water Supply articles' "Table 2: Size of matrix / Random consistency", checked 2026-12-04).
RANDOM_INDEX: Final[dict[int, float]] = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
}

#: Saaty's rule: judgments with a consistency ratio above this are to be revised.
MAX_CONSISTENCY_RATIO: Final[float] = 0.10


@dataclass(frozen=True)
class AHPResult:
    """Weights from pairwise comparisons and how consistent the comparisons were.

    Attributes
    ----------
    weights
        The weights (summing to 1), usable wherever :class:`Weights` is taken (``match``).
    consistency_ratio
        ``CI / RI``; 0 for perfectly consistent judgments (and for two criteria).
    lambda_max
        The principal eigenvalue of the (combined) matrix.
    worst_pair
        The two criteria whose comparison departs most from the ratio of their weights
        (``None`` when the judgments are consistent).
    n_experts
        How many matrices were combined.
    """

    weights: Weights
    consistency_ratio: float
    lambda_max: float
    worst_pair: tuple[str, str] | None
    n_experts: int = 1

    @property
    def consistent(self) -> bool:
        """Whether the ratio is within Saaty's 0.10."""
        return self.consistency_ratio <= MAX_CONSISTENCY_RATIO


def _as_matrices(matrix: Any, n: int) -> list[np.ndarray]:
    arr = np.asarray(matrix, dtype=object)
    stack = [matrix] if arr.ndim == 2 else list(matrix) if arr.ndim == 3 else None
    if stack is None or not stack:
        raise ValidationError(
            "The comparison matrix is invalid:",
            [Problem(None, "matrix", "expected an n×n matrix, or a list of them (one per expert)")],
        )
    out = []
    for e, m in enumerate(stack):
        try:
            a = np.asarray(m, dtype=float)
        except (TypeError, ValueError):
            raise ValidationError(
                "The comparison matrix is invalid:",
                [Problem(e, "matrix", "every entry must be a number (use 1/3, not '1:3')")],
            ) from None
        if a.shape != (n, n):
            raise ValidationError(
                "The comparison matrix is invalid:",
                [Problem(e, "matrix", f"expected {n}×{n} for {n} criteria, got shape {a.shape}")],
            )
        out.append(a)
    return out


def _check(a: np.ndarray, criteria: Sequence[str], expert: int) -> list[Problem]:
    problems = []
    n = len(criteria)
    for i in range(n):
        for j in range(n):
            v = a[i, j]
            where = f"matrix[{criteria[i]}][{criteria[j]}]"
            if not (math.isfinite(v) and v > 0):
                problems.append(Problem(expert, where, f"must be a positive number, got {v!r}"))
            elif i == j and not math.isclose(v, 1.0):
                problems.append(
                    Problem(expert, where, f"a criterion compared with itself is 1, got {v:g}")
                )
            elif not (1 / 9 - 1e-9 <= v <= 9 + 1e-9):
                problems.append(
                    Problem(expert, where, f"Saaty's scale runs from 1/9 to 9, got {v:g}")
                )
            elif (
                i < j
                and math.isfinite(a[j, i])
                and not math.isclose(v * a[j, i], 1.0, rel_tol=1e-3)
            ):
                problems.append(
                    Problem(
                        expert,
                        where,
                        f"must be the reciprocal of matrix[{criteria[j]}][{criteria[i]}] "
                        f"({a[j, i]:g}), i.e. {1 / a[j, i]:.4g}; got {v:g}",
                    )
                )
    return problems


def ahp_weights(
    matrix: Any,
    criteria: Sequence[str],
    *,
    accept_inconsistent: bool = False,
) -> AHPResult:
    """Weights of ``criteria`` from Saaty 1–9 pairwise comparisons.

    Parameters
    ----------
    matrix
        An n×n reciprocal matrix (``matrix[i][j]`` = how much more important criterion i is
        than j, from 1/9 to 9; diagonal 1), or a list of such matrices, one per expert,
        combined by the element-wise geometric mean.
    criteria
        The n criteria the rows and columns stand for (names of :data:`CRITERIA`), 2 to 10.
    accept_inconsistent
        Return weights even when the consistency ratio exceeds 0.10.

    Returns
    -------
    AHPResult

    Raises
    ------
    assetmatch.ValidationError
        For a malformed matrix (naming the expert as the row and the cell as the field), or a
        consistency ratio above 0.10 (naming the ratio and the most inconsistent pair).

    Examples
    --------
    >>> r = ahp_weights([[1, 3], [1 / 3, 1]], ["size", "cost"])
    >>> round(r.weights.values["size"], 2), r.consistency_ratio
    (0.75, 0.0)
    """
    if isinstance(criteria, str) or not isinstance(criteria, Iterable):
        raise wrong_type("criteria", "a list of criterion names", criteria, of="ahp_weights")
    crit = list(criteria)
    problems = [
        Problem(None, "criteria", f"unknown criterion {c!r}; expected one of {', '.join(CRITERIA)}")
        for c in crit
        if c not in CRITERIA
    ]
    if len(set(crit)) != len(crit):
        problems.append(Problem(None, "criteria", "a criterion is named twice"))
    if not 2 <= len(crit) <= max(RANDOM_INDEX):
        problems.append(
            Problem(None, "criteria", f"compare 2 to {max(RANDOM_INDEX)} criteria, got {len(crit)}")
        )
    if problems:
        raise ValidationError("Cannot derive AHP weights:", problems)
    n = len(crit)
    mats = _as_matrices(matrix, n)
    for e, a in enumerate(mats):
        problems += _check(a, crit, e if len(mats) > 1 else None)
    if problems:
        raise ValidationError("The comparison matrix is invalid:", problems)
    a = np.exp(np.mean([np.log(m) for m in mats], axis=0))
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    lam = float(vals[k].real)
    w = np.abs(vecs[:, k].real)
    w = w / w.sum()
    ci = max(lam - n, 0.0) / (n - 1)
    cr = ci / RANDOM_INDEX[n] if RANDOM_INDEX[n] > 0 else 0.0
    dev = np.abs(np.log(a * w[None, :] / w[:, None]))
    np.fill_diagonal(dev, 0.0)
    i, j = np.unravel_index(int(np.argmax(dev)), dev.shape)
    worst = (crit[min(i, j)], crit[max(i, j)]) if dev[i, j] > 1e-9 else None
    if cr > MAX_CONSISTENCY_RATIO and not accept_inconsistent:
        ii, jj = crit.index(worst[0]), crit.index(worst[1])  # type: ignore[index]
        raise ValidationError(
            "The comparisons contradict each other too much:",
            [
                Problem(
                    None,
                    f"matrix[{worst[0]}][{worst[1]}]",  # type: ignore[index]
                    f"consistency ratio {cr:.3f} is above {MAX_CONSISTENCY_RATIO}; this judgment "
                    f"({a[ii, jj]:.3g}) departs most from the weights' ratio "
                    f"({w[ii] / w[jj]:.3g}). Revise it, or pass accept_inconsistent=True",
                )
            ],
        )
    weights = Weights(
        {c: float(x) for c, x in zip(crit, w, strict=True)},
        source="ahp",
        detail={
            "criteria": crit,
            "consistency_ratio": round(cr, 6),
            "lambda_max": round(lam, 6),
            "n_experts": len(mats),
        },
    )
    return AHPResult(weights, float(cr), lam, worst, len(mats))
