"""assetmatch: match idle and low-efficiency land and factories to investors.

>>> import assetmatch as am
>>> inv = am.Inventory.demo()                          # doctest: +SKIP
>>> res = am.match(am.Requirements(...), inventory=inv)  # doctest: +SKIP

Importing the package opens no file, reads no environment and connects nowhere. It imports
only the exceptions: every other public name is imported on first use (PEP 562), so
``assetmatch --version`` and ``--help`` start without loading pandas, geopandas or scikit-learn.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
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

# Public name → the submodule that defines it, imported when the name is first used (no
# annotation: a module-level one would add __annotations__ to help(assetmatch)).
_LAZY = {
    "match_many": ".allocate",
    "rank_many": ".batch",
    "parse_brief": ".brief",
    "context_features": ".context",
    "ImportReport": ".ingest",
    "Inventory": ".inventory",
    "MatchModel": ".learn",
    "match": ".match",
    "Requirements": ".requirements",
    "MatchResult": ".result",
    "SiteScorer": ".scoring",
    "Weights": ".scoring",
    "ahp_weights": ".scoring",
    "MU_M2": ".units",
    "m2_to_mu": ".units",
    "mu_to_m2": ".units",
}

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


def __getattr__(name: str) -> Any:
    """Import a public name on first use (and ``__version__`` from the installed metadata)."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value: Any = version("assetmatch")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            value = "0.0.0+unknown"
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The package module, so that importing the submodule ``assetmatch.match`` (which the
    import system binds as the package attribute ``match``) never hides the function
    :func:`assetmatch.match`, whichever of the two is imported first."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == f".{name}":
            return  # the public name wins; the submodule stays in sys.modules
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
