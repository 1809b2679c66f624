"""The industry tables as the scorer reads them: affinity rows and conflict rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import pandas as pd

from .._errors import wrong_type
from ..domain import industry as _industry


@lru_cache(maxsize=1)
def _default_affinity() -> pd.DataFrame:
    """The bundled affinity, read once per process (never modified here)."""
    return _industry.default_affinity()


@lru_cache(maxsize=1)
def _default_conflicts() -> pd.DataFrame:
    """The bundled conflict rules, read once per process (never modified here)."""
    return _industry.default_conflicts()


def _column_for(col: Mapping[str, int], industry: str) -> int | None:
    """Column of ``industry`` among the labels, else of its division (``C3911`` → ``C39``)."""
    if industry in col:
        return col[industry]
    return col.get(industry[:3])


_INDUSTRY_RE = re.compile(r"^[A-T]\d{2}")


def _is_industry(code: str) -> bool:
    return _INDUSTRY_RE.match(code) is not None


def _affinity_rows(affinity: Any) -> dict[str, dict[str, float]]:
    """Investor industry → {neighbour industry: weight > 0} of an affinity table.

    Accepts the wide matrix of :func:`assetmatch.domain.industry.default_affinity` (investors as the
    index, neighbours as the columns), a long table with ``investor``, ``neighbour`` and
    ``weight`` columns, or a nested mapping.
    """
    if isinstance(affinity, pd.DataFrame) and {"investor", "neighbour", "weight"} <= set(
        affinity.columns
    ):
        out: dict[str, dict[str, float]] = {}
        for a, b, w in zip(
            affinity["investor"], affinity["neighbour"], affinity["weight"], strict=True
        ):
            if pd.notna(w) and float(w) > 0:
                out.setdefault(str(a), {})[str(b)] = float(w)
        return out
    if isinstance(affinity, pd.DataFrame):
        values = affinity.to_numpy(dtype=float)
        cols = [str(c) for c in affinity.columns]
        return {
            str(ix): {c: float(v) for c, v in zip(cols, row, strict=True) if v > 0}
            for ix, row in zip(affinity.index, values, strict=True)
        }
    if isinstance(affinity, Mapping):
        return {str(k): {str(a): float(b) for a, b in v.items()} for k, v in affinity.items()}
    raise wrong_type("affinity", "a DataFrame or a mapping", affinity)


@lru_cache(maxsize=1)
def _default_affinity_rows() -> dict[str, dict[str, float]]:
    return _affinity_rows(_default_affinity())


def _affinity_row(rows: Mapping[str, Mapping[str, float]], industry: str) -> Mapping[str, float]:
    """The affinity row of ``industry``, else of its division, else only itself (weight 1)."""
    for key in (industry, industry[:3]):
        if key in rows:
            return rows[key]
    return {industry[:3]: 1.0}


@lru_cache(maxsize=1)
def _default_conflict_rows() -> tuple[tuple[str, str, float], ...]:
    """The bundled conflict rules as rows, built once per process (many briefs reuse them)."""
    return tuple(_rows_of(_default_conflicts()))


def _conflict_adds(
    conflicts: Any, industry: str, target: str | None
) -> tuple[tuple[str, float, str], ...]:
    """The conflict rules that apply to an investor of ``industry`` on land class ``target``.

    ``(industry to keep away from, distance m, rule)`` in the table's order, each
    rule once or twice: the investor's use keeps away from the rule's source when the use is
    the rule's sensitive side, and its industry keeps away from a sensitive industry when it
    is the rule's source. Memoised for the bundled table (every match of a brief reads it).
    """
    if conflicts is _default_conflicts():
        return _default_conflict_adds(industry, target)
    return _adds_of(_rows_of(conflicts), industry, target)


@lru_cache(maxsize=256)
def _default_conflict_adds(industry: str, target: str | None) -> tuple[tuple[str, float, str], ...]:
    return _adds_of(_default_conflict_rows(), industry, target)


def _adds_of(rows: Any, industry: str, target: str | None) -> tuple[tuple[str, float, str], ...]:
    out = []
    for source, sensitive, dist in rows:
        rule = f"rule:{source}:{sensitive}"
        if sensitive == target or (
            _is_industry(sensitive) and _industry.codes_overlap(industry, sensitive)
        ):
            out.append((source, dist, rule))  # the investor's use keeps away from it
        if _industry.codes_overlap(industry, source) and _is_industry(sensitive):
            out.append((sensitive, dist, rule))  # the investor's industry keeps away
    return tuple(out)


def _rows_of(conflicts: Any) -> list[tuple[str, str, float]]:
    if isinstance(conflicts, pd.DataFrame):
        cols = conflicts.columns
        src = "source" if "source" in cols else cols[0]
        sen = "sensitive" if "sensitive" in cols else cols[1]
        dist = next((c for c in ("min_distance_m", "distance_m") if c in cols), cols[2])
        return [
            (str(a), str(b), float(d))
            for a, b, d in zip(conflicts[src], conflicts[sen], conflicts[dist], strict=True)
        ]
    return [(str(a), str(b), float(d)) for a, b, d in conflicts]


def _conflict_bases(conflicts: Any) -> Mapping[tuple[str, str], str]:
    """``(source, sensitive)`` → the Chinese basis of its first rule (``""`` when it has none).

    Built once per process for the bundled table (a match quotes it for every shortlisted row).
    """
    if conflicts is _default_conflicts():
        return _default_conflict_bases()
    return _bases_of(conflicts)


@lru_cache(maxsize=1)
def _default_conflict_bases() -> Mapping[tuple[str, str], str]:
    return _bases_of(_default_conflicts())


def _bases_of(conflicts: Any) -> dict[tuple[str, str], str]:
    if not isinstance(conflicts, pd.DataFrame):
        return {}
    if not {"source", "sensitive"} <= set(conflicts.columns):
        return {}
    out: dict[tuple[str, str], str] = {}
    for row in conflicts.to_dict("records"):
        key = (row["source"], row["sensitive"])
        if key in out:  # the first rule of a pair quotes its basis
            continue
        zh = str(row.get("basis_zh", "") or "").strip()
        out[key] = zh or str(row.get("basis", "") or "").strip()
    return out
