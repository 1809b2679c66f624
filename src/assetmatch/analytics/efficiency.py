"""Low-efficiency land from per-mu indicators, and the A–D grades of per-mu evaluation.

Per-mu evaluation schemes (亩均效益评价, "亩均论英雄") judge each firm's land by what it yields per
mu: tax per mu, output (sales) per mu, plus how densely the land is built (plot ratio 容积率,
building coverage 建筑系数). This module:

* compares each site with a standard by industry (:func:`load_thresholds`; the bundled
  default, ``analytics/tables/efficiency_thresholds.csv``, is **indicative** — see the README
  beside it for its sources; load the zone's own standard instead);
* grades the sites A–D the way such schemes do: a composite score per site, then A for the top
  25 %, B to 70 %, C to 95 %, D for the last 5 % (the split of a published city scheme; the
  score of each indicator is ``20 + 80 × (x − min) / (max − min)``, weighted tax 45 : output 20,
  as in public schemes of Anhui counties — indicative, checked 2026-12-04);
* lists the *candidates*: occupied sites that fall below the standard. They become matchable
  supply only through :func:`mark_low_efficiency`, which changes their status to
  ``low_efficiency`` with an event in the history — never silently.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from .._errors import Problem, SourceError, ValidationError
from . import _events, _plot

logger = logging.getLogger(__name__)

__all__ = [
    "GRADE_SHARES",
    "INDICATOR_WEIGHTS",
    "efficiency",
    "load_thresholds",
    "low_efficiency_candidates",
    "mark_low_efficiency",
    "plot_efficiency",
]

#: Cumulative shares of the ranked sites that get grades A, B, C (the rest D).
GRADE_SHARES: dict[str, float] = {"A": 0.25, "B": 0.70, "C": 0.95}
#: Relative weights of the indicators in the composite score.
INDICATOR_WEIGHTS: dict[str, float] = {"tax_yuan_per_mu": 45.0, "output_yuan_per_mu": 20.0}
#: Statuses of sites occupied by a user: the ones that can turn into low-efficiency supply.
OCCUPIED_STATUSES = ("in_use", "leased", "transferred")

_THRESHOLD_COLUMNS = (
    "min_plot_ratio",
    "min_building_coverage",
    "min_tax_yuan_per_mu",
    "min_output_yuan_per_mu",
)
_CHECKS = (
    ("tax_yuan_per_mu", "min_tax_yuan_per_mu", "tax per mu {v:,.0f} < {t:,.0f} yuan"),
    ("output_yuan_per_mu", "min_output_yuan_per_mu", "output per mu {v:,.0f} < {t:,.0f} yuan"),
    ("plot_ratio", "min_plot_ratio", "plot ratio {v:.2f} < {t:.2f}"),
    ("building_coverage", "min_building_coverage", "building coverage {v:.0%} < {t:.0%}"),
)


def load_thresholds(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The per-mu standard by industry: the bundled indicative default, or the user's file.

    Parameters
    ----------
    path
        A CSV with ``industry`` (a GB/T 4754 code such as ``C39``, or ``*`` for any other
        industry) and any of ``min_plot_ratio``, ``min_building_coverage`` (0–1),
        ``min_tax_yuan_per_mu``, ``min_output_yuan_per_mu``; an empty cell is not judged.
        Default: ``analytics/tables/efficiency_thresholds.csv`` (indicative; sources in its
        README).

    Returns
    -------
    DataFrame indexed by ``industry`` with the four ``min_*`` columns (float, NaN = not judged).

    Raises
    ------
    SourceError
        The file cannot be read.
    ValidationError
        Listing every bad row (no industry, a duplicate, a negative or non-numeric value).
    """
    try:
        if path is None:
            ref = resources.files("assetmatch.analytics") / "tables" / "efficiency_thresholds.csv"
            with resources.as_file(ref) as p:
                raw = pd.read_csv(p, dtype=str, keep_default_na=False)
        else:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise SourceError(f"cannot read the per-mu standard {path}: {exc}") from None
    problems: list[Problem] = []
    if "industry" not in raw.columns:
        raise ValidationError(
            "the per-mu standard lacks columns", [Problem(None, "industry", "missing column")]
        )
    out = pd.DataFrame(index=pd.Index(raw["industry"].str.strip().str.upper(), name="industry"))
    for row, code in enumerate(out.index):
        if not code:
            problems.append(Problem(row, "industry", "empty: a GB/T 4754 code or '*'"))
    for row in np.flatnonzero(out.index.duplicated()):
        problems.append(Problem(int(row), "industry", f"{out.index[row]!r} appears twice"))
    for col in _THRESHOLD_COLUMNS:
        text = raw[col].str.strip() if col in raw.columns else pd.Series("", index=raw.index)
        num = pd.to_numeric(text.mask(text == ""), errors="coerce")  # no downcasting replace
        for row in np.flatnonzero((num.isna() & (text != "")).to_numpy()):
            problems.append(Problem(int(row), col, f"{text.iloc[row]!r} is not a number"))
        for row in np.flatnonzero((num < 0).to_numpy()):
            problems.append(Problem(int(row), col, f"{num.iloc[row]} is negative"))
        if col == "min_building_coverage":
            for row in np.flatnonzero((num > 1).to_numpy()):
                problems.append(Problem(int(row), col, f"{num.iloc[row]} is not a share in 0–1"))
        out[col] = num.to_numpy(float)
    if problems:
        raise ValidationError("the per-mu standard is not usable", problems)
    return out


def _industries(assets: pd.DataFrame, industry: Any) -> pd.Series:
    if industry is None:
        if "industry" in assets.columns:
            return assets["industry"].astype(object)
        extra = (
            assets["extra"] if "extra" in assets.columns else pd.Series(None, index=assets.index)
        )
        return extra.map(lambda e: e.get("industry") if isinstance(e, dict) else None)
    if isinstance(industry, str):
        if industry in assets.columns:
            return assets[industry].astype(object)
        return pd.Series(industry, index=assets.index, dtype=object)
    if isinstance(industry, Mapping | pd.Series):
        return pd.Series(industry, dtype=object).reindex(assets.index)
    raise ValidationError(
        "bad industry",
        [
            Problem(
                None,
                "industry",
                "expected a code, a column name, a mapping or a Series; "
                f"got {type(industry).__name__}",
            )
        ],
    )


def _standard_rows(codes: pd.Series, table: pd.DataFrame) -> pd.DataFrame:
    keys = []
    for code in codes:
        c = str(code).strip().upper() if isinstance(code, str) and code.strip() else "*"
        if c in table.index:
            keys.append(c)
        elif c[:3] in table.index:  # C3911 → the division C39
            keys.append(c[:3])
        else:
            keys.append("*")
    if "*" not in table.index and "*" in keys:
        base = pd.DataFrame(np.nan, index=["*"], columns=table.columns)
        table = pd.concat([table, base])
    rows = table.loc[keys].reset_index(drop=True)
    rows.index = codes.index
    rows.insert(0, "standard", keys)
    return rows


def _grades(values: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    score = pd.Series(0.0, index=values.index)
    weight = pd.Series(0.0, index=values.index)
    for col, w in INDICATOR_WEIGHTS.items():
        x = values[col]
        lo, hi = x.min(), x.max()
        part = 20 + 80 * (x - lo) / (hi - lo) if hi > lo else pd.Series(100.0, index=x.index)
        known = x.notna()
        score = score.add((part * w).where(known, 0.0))
        weight = weight.add(pd.Series(w, index=x.index).where(known, 0.0))
    score = (score / weight).where(weight > 0)
    graded = score.dropna()
    grade = pd.Series(None, index=values.index, dtype=object)
    if len(graded):
        pos = graded.rank(ascending=False, method="min") / len(graded)
        g = np.select(
            [pos <= GRADE_SHARES["A"], pos <= GRADE_SHARES["B"], pos <= GRADE_SHARES["C"]],
            ["A", "B", "C"],
            "D",
        )
        grade.loc[graded.index] = g
    return score, grade


def efficiency(
    inventory: Any,
    as_of: Any = None,
    *,
    industry: Any = None,
    thresholds: pd.DataFrame | str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Per-mu indicators of every site against the standard of its industry, and A–D grades.

    Parameters
    ----------
    inventory
        An :class:`assetmatch.Inventory`.
    as_of
        The date (default: the current state).
    industry
        The industry of the firm on each site (GB/T 4754): a code for all, a column name,
        a mapping or Series ``asset_id → code``. Default: an ``industry`` column, else
        ``extra["industry"]``; a site without one is judged by the ``*`` row.
    thresholds
        The standard (:func:`load_thresholds` frame or a CSV path); default the bundled
        indicative table.

    Returns
    -------
    DataFrame indexed by ``asset_id``: ``name, district, kind, status, industry, standard``
    (the row of the standard used), ``tax_yuan_per_mu, output_yuan_per_mu``, ``plot_ratio``
    (floor area / land area), ``building_coverage`` (footprint / land area, the footprint
    taken as floor area / floors — an estimate; NaN without floors), the ``min_*`` values
    used, ``below_tax, below_output, below_plot_ratio, below_coverage`` (booleans),
    ``evaluated`` (a firm's figures or a building to judge), ``low_efficiency`` (evaluated and
    below any standard), ``reasons`` (text), ``score`` (composite 20–100) and ``grade``
    (A–D among sites with tax or output figures).
    """
    table = thresholds if isinstance(thresholds, pd.DataFrame) else load_thresholds(thresholds)
    if as_of is not None:
        as_of = _events.as_timestamp(as_of, "as_of")
    a = inventory.assets(as_of, derived=False)
    out = a[["name", "district", "kind", "status"]].copy()
    out["industry"] = _industries(a, industry)
    land = pd.to_numeric(a["land_area_m2"], errors="coerce")
    floor = pd.to_numeric(a["building_area_m2"], errors="coerce")
    floors = pd.to_numeric(a["floors"], errors="coerce").astype("float64")
    out["tax_yuan_per_mu"] = pd.to_numeric(a["tax_yuan_per_mu"], errors="coerce")
    out["output_yuan_per_mu"] = pd.to_numeric(a["output_yuan_per_mu"], errors="coerce")
    out["plot_ratio"] = (floor / land).where(land > 0)
    footprint = (floor / floors).where(floors > 0)
    footprint = footprint.where(floor > 0, 0.0).where(floor.notna())
    out["building_coverage"] = (footprint / land).where(land > 0)
    std = _standard_rows(out["industry"], table)
    out["standard"] = std["standard"]
    reasons: list[list[str]] = [[] for _ in range(len(out))]
    below_any = np.zeros(len(out), dtype=bool)
    names = {
        "tax_yuan_per_mu": "below_tax",
        "output_yuan_per_mu": "below_output",
        "plot_ratio": "below_plot_ratio",
        "building_coverage": "below_coverage",
    }
    for value_col, min_col, text in _CHECKS:
        out[min_col] = std[min_col]
        below = (out[value_col] < out[min_col]).fillna(False).to_numpy(bool)
        out[names[value_col]] = below
        below_any |= below
        for i in np.flatnonzero(below):
            reasons[i].append(text.format(v=out[value_col].iloc[i], t=out[min_col].iloc[i]))
    out["evaluated"] = (
        out["tax_yuan_per_mu"].notna() | out["output_yuan_per_mu"].notna() | (floor > 0)
    ).to_numpy(bool)
    out["low_efficiency"] = out["evaluated"].to_numpy() & below_any
    out["reasons"] = [
        "; ".join(r) if ok else "" for r, ok in zip(reasons, out["evaluated"], strict=True)
    ]
    out["score"], out["grade"] = _grades(out[list(INDICATOR_WEIGHTS)])
    logger.info(
        "per-mu evaluation: %d sites evaluated, %d below the standard",
        int(out["evaluated"].sum()),
        int(out["low_efficiency"].sum()),
    )
    return out


def low_efficiency_candidates(inventory: Any, as_of: Any = None, **kwargs: Any) -> pd.DataFrame:
    """Occupied sites (``in_use``, ``leased``, ``transferred``) below the per-mu standard.

    The rows of :func:`efficiency` (same keyword arguments) that could become low-efficiency
    supply, lowest score first. Nothing changes in the inventory: pass the chosen ids to
    :func:`mark_low_efficiency`.
    """
    e = efficiency(inventory, as_of, **kwargs)
    cand = e[e["low_efficiency"] & e["status"].isin(OCCUPIED_STATUSES)]
    return cand.sort_values("score", na_position="first")


def mark_low_efficiency(
    inventory: Any,
    asset_ids: Iterable[str],
    *,
    at: Any = None,
    note: str | None = None,
    author: str | None = None,
) -> int:
    """Turn sites into low-efficiency supply: status ``low_efficiency``, one event each.

    Parameters
    ----------
    inventory
        An :class:`assetmatch.Inventory`.
    asset_ids
        The sites (e.g. chosen from :func:`low_efficiency_candidates`).
    at
        When the decision took effect (default today).
    note
        Recorded with each event (default names the per-mu evaluation).
    author
        Who decided.

    Returns
    -------
    The number of status events written (sites already low-efficiency write none).

    Raises
    ------
    UnknownAssetError, ValidationError
        As :meth:`assetmatch.Inventory.update_many`; nothing is written then.
    """
    ids = [str(i) for i in asset_ids]
    if not ids:
        return 0
    changes = pd.DataFrame(
        {
            "asset_id": ids,
            "status": "low_efficiency",
            "at": at,
            "note": note or "亩均效益评价：低于标准，转为低效用地供给",
            "author": author,
        }
    )
    return int(inventory.update_many(changes))


def plot_efficiency(table: pd.DataFrame) -> Any:
    """Tax per mu against plot ratio, one dot per evaluated site coloured by grade.

    Sites below the standard are ringed in red; the dashed lines are the ``*`` row's
    tax-per-mu and plot-ratio minimums (those of each industry may differ).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _events.check_columns(
        table, ["tax_yuan_per_mu", "plot_ratio", "grade", "low_efficiency"], "the per-mu table"
    )
    fig, ax = _plot.figure()
    t = table[table["tax_yuan_per_mu"].notna() & table["plot_ratio"].notna()]
    colours = {"A": "#1a9850", "B": "#91cf60", "C": "#fc8d59", "D": "#d73027"}
    for g, col in colours.items():
        s = t[t["grade"] == g]
        ax.scatter(s["plot_ratio"], s["tax_yuan_per_mu"] / 1e4, s=18, color=col, label=f"grade {g}")
    low = t[t["low_efficiency"]]
    ax.scatter(
        low["plot_ratio"],
        low["tax_yuan_per_mu"] / 1e4,
        s=60,
        facecolors="none",
        edgecolors="red",
        linewidths=0.8,
        label="below standard",
    )
    if "min_tax_yuan_per_mu" in t.columns and len(t):
        star = t[t["standard"] == "*"] if "standard" in t.columns else t
        ref = star if len(star) else t
        ax.axhline(ref["min_tax_yuan_per_mu"].iloc[0] / 1e4, color="0.4", ls="--", lw=1)
        ax.axvline(ref["min_plot_ratio"].iloc[0], color="0.4", ls="--", lw=1)
    ax.set_xlabel("plot ratio (floor area / land area)")
    ax.set_ylabel("tax per mu (10,000 yuan)")
    ax.set_yscale("symlog", linthresh=1)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    ax.set_title("Per-mu evaluation: tax per mu and plot ratio, graded A–D")
    return fig
