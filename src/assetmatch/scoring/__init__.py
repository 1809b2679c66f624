"""Scoring: the per-asset feature table, weights, and the vectorised site scorer."""

from .ahp import AHPResult, ahp_weights
from .features import FeatureTable, prepare
from .scorer import SiteScorer
from .weights import Weights

__all__ = ["AHPResult", "FeatureTable", "SiteScorer", "Weights", "ahp_weights", "prepare"]
