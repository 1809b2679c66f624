"""Which rules produced a result: one fingerprint of the domain tables in use.

A shortlist depends on tables as much as on the brief: the land-use path table (the bundled
defaults with the zone's policy, :meth:`assetmatch.Inventory.zone_policy`), the land-use codes,
the industry-chain affinity and the conflict rules. :func:`rules_version` hashes what a match
used, so a stored result says which rules made it and two results can be compared: the same
version means the same rules.
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import resources
from typing import Any

import pandas as pd

from .landuse_paths import LandUsePathTable

__all__ = ["rules_version"]


@functools.cache
def _bundled_digest() -> str:
    """Digest of every bundled domain table (``tables/*.csv``, ``tables/*.json``), by name."""
    h = hashlib.sha256()
    folder = resources.files("assetmatch.domain").joinpath("tables")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".csv", ".json")):
            h.update(entry.name.encode("utf-8"))
            h.update(entry.read_bytes())
    return h.hexdigest()


def _digest(obj: Any) -> str:
    """Digest of a user-given table (DataFrame, an object holding one, or plain data)."""
    frame = obj if isinstance(obj, pd.DataFrame) else getattr(obj, "frame", None)
    if isinstance(frame, pd.DataFrame):
        text = frame.to_csv(lineterminator="\n")
    else:
        try:
            text = json.dumps(obj, sort_keys=True, default=str, ensure_ascii=False)
        except (TypeError, ValueError):
            text = repr(obj)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rules_version(paths: LandUsePathTable, *, affinity: Any = None, conflicts: Any = None) -> str:
    """A 12-hex-digit fingerprint of the rules a match used.

    Parameters
    ----------
    paths
        The land-use path table in use (defaults and zone policy); its own
        :attr:`~assetmatch.domain.landuse_paths.LandUsePathTable.version` enters the digest.
    affinity, conflicts
        Industry tables given instead of the bundled ones (``None``: the bundled ones, whose
        files are in the digest anyway).

    Returns
    -------
    str
        The same for the same rules; any change of a bundled table, the zone's policy or a
        given industry table changes it.
    """
    h = hashlib.sha256()
    h.update(_bundled_digest().encode())
    h.update(paths.version.encode())
    for table in (affinity, conflicts):
        h.update(b"-" if table is None else _digest(table).encode())
    return h.hexdigest()[:12]
