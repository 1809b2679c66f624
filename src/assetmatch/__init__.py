"""assetmatch: match idle and low-efficiency land and factories to investors.

>>> import assetmatch as am
>>> inv = am.Inventory.demo()                          # doctest: +SKIP
>>> res = am.match(am.Requirements(...), inventory=inv)  # doctest: +SKIP

Importing the package opens no file, reads no environment and connects nowhere.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ._errors import (
    AssetmatchError,
    ClusterError,
    CRSError,
    LandUseError,
    NotFoundError,
    OfferConflictError,
    PlotDependencyError,
    Problem,
    ReportError,
    SourceError,
    StoreConflictError,
    StoreError,
    UnknownAssetError,
    ValidationError,
)
from .allocate import match_many
from .batch import rank_many
from .brief import parse_brief
from .context import context_features
from .ingest import ImportReport
from .inventory import Inventory
from .learn import MatchModel
from .match import match
from .requirements import Requirements
from .result import MatchResult
from .scoring import SiteScorer, Weights, ahp_weights
from .units import MU_M2, m2_to_mu, mu_to_m2

try:
    __version__ = version("assetmatch")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "MU_M2",
    "AssetmatchError",
    "CRSError",
    "ClusterError",
    "ImportReport",
    "Inventory",
    "LandUseError",
    "MatchModel",
    "MatchResult",
    "NotFoundError",
    "OfferConflictError",
    "PlotDependencyError",
    "Problem",
    "ReportError",
    "Requirements",
    "SiteScorer",
    "SourceError",
    "StoreConflictError",
    "StoreError",
    "UnknownAssetError",
    "ValidationError",
    "Weights",
    "__version__",
    "ahp_weights",
    "context_features",
    "m2_to_mu",
    "match",
    "match_many",
    "mu_to_m2",
    "parse_brief",
    "rank_many",
]
