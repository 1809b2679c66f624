"""Scoring: the per-asset feature table, weights, and the vectorised site scorer."""

from .scorer import FeatureTable, SiteScorer, Weights, prepare

__all__ = ["FeatureTable", "SiteScorer", "Weights", "prepare"]
