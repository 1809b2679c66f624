"""Import pipeline: read a source, map its headers and values, check geometry, report."""

from .pipeline import ImportReport, read_source

__all__ = ["ImportReport", "read_source"]
