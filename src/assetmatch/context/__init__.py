"""Context features: firms by industry around each asset, nearest distances, access, conflicts."""

from .engine import FirmIndex, context_features, refresh_context

__all__ = ["FirmIndex", "context_features", "refresh_context"]
