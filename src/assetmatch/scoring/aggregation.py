"""Other ways to aggregate the same criterion scores: TOPSIS and the weighted product.

``match`` ranks by the weighted sum of the criterion scores. How much a shortlist depends on
that choice is a fair question in a meeting; :meth:`assetmatch.MatchResult.robustness`
answers it by ranking the same scores, with the same weights, two other standard ways:

TOPSIS (Hwang and Yoon 1981; Yoon and Hwang, *Multiple Attribute Decision Making: An
Introduction*, Sage 1995)
    Each column is divided by its Euclidean norm and multiplied by its weight; the ideal point
    takes each column's best value, the anti-ideal its worst; an asset's closeness is
    ``d⁻ / (d⁺ + d⁻)`` with ``d⁺``, ``d⁻`` its Euclidean distances to them (1 at the ideal,
    0 at the anti-ideal). Every criterion score here is a benefit (higher is better).
Weighted product (Bridgman 1922; Miller and Starr 1969)
    ``∏ s_c ** w_c``: a poor score on one criterion cannot be bought back by the others as
    in a sum. Scores are floored at :data:`WPM_FLOOR` so that a single 0 does not tie every
    such asset at 0.

Both are short enough in numpy that a dependency (pymcdm, scikit-criteria) would add more than
it saves; TOPSIS is checked against a published worked example in the tests.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from .._errors import ValidationError

__all__ = ["WPM_FLOOR", "topsis", "weighted_product", "weighted_sum"]

#: Lowest score the weighted product uses (a 0 would zero the whole product).
WPM_FLOOR: Final = 1e-3


def _check(scores: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if s.ndim != 2 or w.shape != (s.shape[1],):
        raise ValidationError(
            f"scores must be (assets × criteria) and weights one per criterion; got "
            f"{s.shape} and {w.shape}"
        )
    total = w.sum()
    return s, (w / total if total > 0 else w)


def weighted_sum(scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``Σ w_c s_c`` per asset (weights normalised to sum to 1): the ranking of ``match``."""
    s, w = _check(scores, weights)
    return s @ w


def topsis(scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """TOPSIS closeness to the ideal per asset, in [0, 1] (all criteria are benefits).

    Parameters
    ----------
    scores
        Assets × criteria.
    weights
        One weight per criterion (normalised here).

    Returns
    -------
    numpy.ndarray
        Closeness ``d⁻ / (d⁺ + d⁻)``; 1 for an asset that is best on every criterion. When
        every asset is identical (``d⁺ = d⁻ = 0``) every closeness is 1.
    """
    s, w = _check(scores, weights)
    norm = np.sqrt((s**2).sum(axis=0))
    v = np.divide(s, norm, out=np.zeros_like(s), where=norm > 0) * w
    best, worst = v.max(axis=0), v.min(axis=0)
    d_plus = np.sqrt(((v - best) ** 2).sum(axis=1))
    d_minus = np.sqrt(((v - worst) ** 2).sum(axis=1))
    den = d_plus + d_minus
    return np.divide(d_minus, den, out=np.ones_like(den), where=den > 0)


def weighted_product(scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``∏ max(s_c, WPM_FLOOR) ** w_c`` per asset (weights normalised to sum to 1)."""
    s, w = _check(scores, weights)
    return np.exp(np.log(np.maximum(s, WPM_FLOOR)) @ w)
