"""Explanations: the facts, reasons and words of a shortlist, in Chinese and English."""

from .explanation import Explanation

__all__ = ["Explanation"]
