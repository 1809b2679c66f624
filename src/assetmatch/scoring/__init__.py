"""Scoring: the per-asset feature table, weights, and the vectorised site scorer."""

from .features import FeatureTable, prepare
from .scorer import SiteScorer
from .weights import Weights

__all__ = ["FeatureTable", "SiteScorer", "Weights", "prepare"]
