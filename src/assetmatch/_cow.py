"""Copy-on-write: tables handed out while the inventory keeps the same data in memory.

An open inventory keeps its context and feature tables in memory and patches them on edits
(:mod:`assetmatch._live`); the tables it hands out, and the frames a patched table shares with
the one before, are shallow copies. pandas 3 (and pandas 2 with ``mode.copy_on_write``
turned on) copies a shared block before writing into it, so a caller writing into a handed-out
table, or a patch writing into its own copy, never reaches the other. pandas 2 without it
writes through: there those copies are deep (slower, never wrong).
"""

from __future__ import annotations

import pandas as pd

__all__ = ["copy_on_write", "detached"]

_PANDAS_MAJOR = int(pd.__version__.split(".", 1)[0])


def copy_on_write() -> bool:
    """Whether pandas copies shared blocks before a write (always from pandas 3 on)."""
    if _PANDAS_MAJOR >= 3:
        return True
    return pd.get_option("mode.copy_on_write") is True


def detached(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` that a write into never reaches ``frame`` (nor ``frame`` it):
    shallow where pandas copies on write, deep otherwise."""
    return frame.copy(deep=not copy_on_write())
