"""Top-k selection of the ranking: exact, without sorting the whole score array."""

from __future__ import annotations

import numpy as np

__all__ = ["top_k"]


def top_k(score: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest finite scores, best first, ties broken by position.

    Instead of partitioning the whole array, a threshold is taken from a strided sample of the
    finite scores (about 16,000 values) so that a few hundred candidates pass one comparison
    pass; only those are sorted. When the sample cannot give a safe threshold (few finite
    scores, heavy ties) the candidates are all finite scores, partitioned. The result is exact
    in every case: every score above the k-th best is a candidate.
    """
    n = len(score)
    if k <= 0 or n == 0:
        return np.empty(0, dtype=np.intp)
    cand: np.ndarray | None = None
    if n > 65_536:
        sample = score[:: max(1, n // 16_384)]
        sample = sample[sample > -np.inf]
        q = 4 * k + 16  # sample rank of the threshold
        if len(sample) > 4 * q:
            thr = np.partition(sample, len(sample) - q)[len(sample) - q]
            c = np.flatnonzero(score >= thr)
            if k <= len(c) <= max(50_000, n // 20):
                cand = c
    if cand is None:
        cand = np.flatnonzero(score > -np.inf)
        if len(cand) > 4 * k:
            sub = score[cand]
            kth = np.partition(sub, len(sub) - k)[len(sub) - k]
            cand = cand[sub >= kth]
    cand = cand[np.isfinite(score[cand])]
    order = np.lexsort((cand, -score[cand].astype(np.float64)))
    return cand[order[:k]]
