"""Industry codes, industry-chain affinity and conflict (protection-distance) tables.

Industries are GB/T 4754-2017 codes: a section letter ``A``–``T`` followed by two digits
(the division, e.g. ``C19`` leather and footwear), optionally refined to a group (three digits)
or a class (four digits, e.g. ``C1921``). The tables are documented defaults meant to be
replaced by a zone's own; every row names its source and the date it was checked
(``docs/domain-tables.md``):

* :func:`default_affinity` — how much an investor of industry *i* gains from neighbours of
  industry *j* (a :data:`ChainAffinity` matrix), used by :func:`synergy_scores`; mostly at
  division level;
* :func:`default_conflicts` — sub-industries that keep an *indicative* protection distance from
  a sensitive use (schools, housing, food plants), used by
  :func:`assetmatch.context.context_features` and the ``conflicts`` criterion.

Both are read lazily from CSV files shipped in ``assetmatch/domain/tables`` the first time they
are asked for; nothing is read at import.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from os import PathLike
from typing import TypeAlias

import numpy as np
import pandas as pd

from .._errors import Problem, ValidationError
from ..schema import INDUSTRIES

__all__ = [
    "RELATIONS",
    "ChainAffinity",
    "ConflictRule",
    "default_affinity",
    "default_conflicts",
    "industry_division",
    "industry_name",
    "load_affinity",
    "load_conflicts",
    "synergy_scores",
]

#: A GB/T 4754 code: section letter A–T, then 2 (division), 3 (group) or 4 (class) digits.
_CODE_RE = re.compile(r"^[A-T][0-9]{2,4}$")
#: Names usable as the sensitive side of a conflict rule besides an industry code.
_USE_RE = re.compile(r"^[a-z][a-z0-9_]*$")

#: How a neighbour industry relates to an investor in the affinity table.
RELATIONS = ("same", "upstream", "downstream", "service")

#: Industry-chain affinity: a DataFrame with investor industries as the index (name
#: ``"investor"``), neighbour industries as the columns (name ``"neighbour"``) and weights in
#: [0, 1]; 0 where the table says nothing.
ChainAffinity: TypeAlias = pd.DataFrame

_AFFINITY_FILE = "industry_affinity.csv"
_CONFLICTS_FILE = "industry_conflicts.csv"
_CONFLICT_COLUMNS = ("source", "sensitive", "min_distance_m", "basis", "basis_zh", "checked")

#: Names of the GB/T 4754-2017 groups and classes the default tables name below division level
#: (checked 2026-12-04 against the code list; see docs/domain-tables.md). Divisions are in
#: :data:`assetmatch.schema.INDUSTRIES`.
CODE_NAMES: dict[str, tuple[str, str]] = {
    "C221": ("纸浆制造", "pulp"),
    "C222": ("造纸", "paper making"),
    "C223": ("纸制品制造", "paper products"),
    "C2231": ("纸和纸板容器制造", "cartons and paperboard containers"),
    "C261": ("基础化学原料制造", "basic chemicals"),
    "C262": ("肥料制造", "fertilisers"),
    "C263": ("农药制造", "pesticides"),
    "C264": ("涂料、油墨、颜料及类似产品制造", "paints, inks and pigments"),
    "C265": ("合成材料制造", "synthetic materials"),
    "C266": ("专用化学产品制造", "specialty chemicals"),
    "C267": ("炸药、火工及焰火产品制造", "explosives and fireworks"),
    "C268": ("日用化学产品制造", "household chemicals and cosmetics"),
    "C2682": ("化妆品制造", "cosmetics"),
    "C291": ("橡胶制品业", "rubber products"),
    "C292": ("塑料制品业", "plastics products"),
    "C2925": ("塑料人造革、合成革制造", "synthetic leather"),
    "C3523": ("塑料加工专用设备制造", "plastics machinery"),
    "C3525": ("模具制造", "moulds"),
    "C3541": ("制浆和造纸专用设备制造", "pulp and paper machinery"),
    "C3551": ("纺织专用设备制造", "textile machinery"),
    "C3552": ("皮革、毛皮及其制品加工专用设备制造", "leather and shoe machinery"),
    "F5191": ("再生物资回收与批发", "recycling collection and wholesale"),
    "M745": ("质检技术服务", "testing and inspection"),
    "M749": ("工业与专业设计及其他专业技术服务", "industrial and specialised design"),
}


@dataclass(frozen=True)
class ConflictRule:
    """One protection-distance rule (indicative: the EIA or safety assessment decides).

    A site whose boundary lies closer than ``min_distance_m`` metres to a firm of industry
    ``source`` should not host the ``sensitive`` use, and a firm of ``source`` should not be
    placed that close to an existing ``sensitive`` use.

    Attributes
    ----------
    source
        GB/T 4754 code of the nuisance or hazard (e.g. ``"C26"`` chemicals); finer codes match
        by prefix.
    sensitive
        GB/T 4754 code of the sensitive industry (e.g. ``"P83"`` education, ``"C14"`` food), or
        the name of a sensitive use given as a reference layer (e.g. ``"residential"``).
    min_distance_m
        Protection distance in metres, measured from the site boundary.
    basis
        Where the distance comes from (a standard, a plan, an assessment), in English.
    basis_zh
        The same, as short Chinese citations printed beside the distance.
    checked
        Date (ISO) the basis was checked.
    """

    source: str
    sensitive: str
    min_distance_m: float
    basis: str = ""
    basis_zh: str = ""
    checked: str = ""


def _code_problems(codes: pd.Series, field: str) -> list[Problem]:
    """Problems for every value of ``codes`` that is not a GB/T 4754 code."""
    values = codes.astype("string")
    uniques = pd.unique(values.dropna())
    bad_values = {u for u in uniques if not _CODE_RE.match(str(u))}
    problems = [
        Problem(row, field, "missing industry code; expected a GB/T 4754 code such as 'C19'")
        for row in values.index[values.isna()]
    ]
    if bad_values:
        for row, value in values[values.isin(bad_values)].items():
            problems.append(
                Problem(
                    row,
                    field,
                    f"{value!r} is not a GB/T 4754 code; expected a section letter A–T "
                    "followed by 2–4 digits, such as 'C19' or 'C1921'",
                )
            )
    return problems


def industry_division(codes: Iterable[str] | pd.Series | np.ndarray | str) -> np.ndarray:
    """Return the GB/T 4754 division (section letter and two digits) of each code.

    Parameters
    ----------
    codes
        GB/T 4754 codes at division, group or class level (``"C19"``, ``"C192"``,
        ``"C1921"``); surrounding blanks are ignored and lower-case letters are accepted.

    Returns
    -------
    numpy.ndarray
        Object array of divisions, e.g. ``"C1921"`` → ``"C19"``, aligned with ``codes``.

    Raises
    ------
    ValidationError
        If any code is missing or is not a GB/T 4754 code; every bad value is listed with its
        position.
    """
    if isinstance(codes, str):
        codes = [codes]
    series = codes if isinstance(codes, pd.Series) else pd.Series(list(codes), dtype=object)
    clean = series.astype("string").str.strip().str.upper()
    problems = _code_problems(clean, "industry")
    if problems:
        raise ValidationError(f"{len(problems)} invalid industry code(s)", problems)
    return clean.str.slice(0, 3).to_numpy(dtype=object)


def industry_name(code: str, lang: str = "zh") -> str:
    """The name of a GB/T 4754-2017 code in Chinese or English, as staff read it.

    Parameters
    ----------
    code
        A code at division level or finer (``"C22"``, ``"C221"``, ``"C2231"``).
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
        The name of the code, else of its closest known parent (``"C2221"`` → 造纸), else the
        code itself.
    """
    code = str(code).strip().upper()
    names = {**INDUSTRIES, **CODE_NAMES}
    for n in range(len(code), 2, -1):
        pair = names.get(code[:n])
        if pair is not None:
            return pair[0] if lang == "zh" else pair[1]
    return code


def codes_overlap(a: str, b: str) -> bool:
    """Whether two GB/T 4754 codes can name the same firm (one is a prefix of the other).

    ``C22`` and ``C221`` overlap (a firm recorded only as C22 may pulp); ``C221`` and ``C223``
    do not.
    """
    return a.startswith(b) or b.startswith(a)


def _normalise_codes(series: pd.Series, field: str, problems: list[Problem]) -> pd.Series:
    clean = series.astype("string").str.strip().str.upper()
    problems.extend(_code_problems(clean, field))
    return clean


def _read_table(source: str | PathLike[str] | pd.DataFrame, what: str) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.copy()
    try:
        return pd.read_csv(
            source, dtype={"investor": str, "neighbour": str, "source": str, "sensitive": str}
        )
    except FileNotFoundError as exc:
        raise ValidationError(f"{what} table {str(source)!r} does not exist") from exc


@functools.cache
def _packaged(name: str) -> pd.DataFrame:
    with resources.files("assetmatch.domain").joinpath("tables", name).open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def load_affinity(source: str | PathLike[str] | pd.DataFrame) -> ChainAffinity:
    """Load an industry-chain affinity table.

    Parameters
    ----------
    source
        A CSV path or a DataFrame, in long form with columns ``investor``, ``neighbour``,
        ``weight`` and optionally ``relation`` (one of :data:`RELATIONS`) and ``note`` — one
        row per (investor, neighbour) pair — or already a wide matrix (index = investor codes,
        columns = neighbour codes). Codes are GB/T 4754 codes; weights are in [0, 1].

    Returns
    -------
    ChainAffinity
        Matrix: one row per investor industry, one column per neighbour industry
        (the union of both sides, sorted), 0 where the table gives no weight. The long-form
        rows (with relation and note when given) are kept in ``.attrs["relations"]`` as a list
        of dicts.

    Raises
    ------
    ValidationError
        Listing every bad code, weight, relation and duplicated pair at once.
    """
    table = _read_table(source, "affinity")
    problems: list[Problem] = []
    if not {"investor", "neighbour", "weight"} <= set(table.columns):
        if not pd.api.types.is_numeric_dtype(table.index) and len(table.columns):
            table = (
                table.rename_axis(index="investor", columns="neighbour")
                .stack()
                .rename("weight")
                .reset_index()
            )
        else:
            raise ValidationError(
                "affinity table needs columns 'investor', 'neighbour' and 'weight' "
                f"(long form) or investor codes as index; got columns {list(table.columns)}"
            )
    table = table.reset_index(drop=True)
    table["investor"] = _normalise_codes(table["investor"], "investor", problems)
    table["neighbour"] = _normalise_codes(table["neighbour"], "neighbour", problems)
    weight = pd.to_numeric(table["weight"], errors="coerce")
    for row in table.index[weight.isna() | (weight < 0) | (weight > 1)]:
        problems.append(
            Problem(row, "weight", f"expected a number in [0, 1]; got {table.at[row, 'weight']}")
        )
    table["weight"] = weight
    if "relation" in table.columns:
        relation = table["relation"].fillna("").astype(str).str.strip()
        for row in table.index[(relation != "") & ~relation.isin(RELATIONS)]:
            problems.append(
                Problem(row, "relation", f"expected one of {RELATIONS}; got {relation[row]!r}")
            )
    dup = table.duplicated(["investor", "neighbour"], keep="first")
    for row in table.index[dup]:
        problems.append(
            Problem(
                row,
                "neighbour",
                f"pair ({table.at[row, 'investor']}, "
                f"{table.at[row, 'neighbour']}) is given more than once",
            )
        )
    if problems:
        raise ValidationError(f"affinity table: {len(problems)} problem(s)", problems)
    matrix = table.pivot(index="investor", columns="neighbour", values="weight")
    codes = sorted(set(matrix.index) | set(matrix.columns))
    matrix = matrix.reindex(columns=codes).fillna(0.0).astype(float)
    matrix = matrix.sort_index()
    matrix.index = pd.Index(matrix.index.astype(object), name="investor")
    matrix.columns = pd.Index(matrix.columns.astype(object), name="neighbour")
    keep = [
        c
        for c in ("investor", "neighbour", "weight", "relation", "note", "source", "checked")
        if c in table
    ]
    matrix.attrs["relations"] = table[keep].to_dict(orient="records")
    return matrix


def default_affinity() -> ChainAffinity:
    """Return the default industry-chain affinity over the demo zone's divisions.

    The table (``assetmatch/domain/tables/industry_affinity.csv``) is a documented judgement,
    not a measured input–output matrix; its codes are checked against GB/T 4754-2017. Each
    investor division gets weight 1.0 for its own division (agglomeration: shared labour,
    suppliers and buyers), 0.6–0.8 for its main input suppliers (e.g. shoes C19 ← rubber and
    plastic soles and synthetic leather C29, upper fabrics C17; chemical fibres C28 ← chemicals
    C26), 0.3–0.7 for its customers, and 0.2–0.6 for service neighbours (logistics G59, road
    transport G54, research M73, testing and design M74). Machinery and moulds made for an
    industry are C35 专用设备制造业 (shoe 3552, textile 3551, plastics 3523, moulds 3525, paper
    3541), not C34. Every row carries its relation, a note saying why, its ``source`` and the
    date it was ``checked``. Replace it with :func:`load_affinity` when the zone has its own
    (e.g. derived from a provincial input–output table). A neighbour given below division level
    (``F5191`` waste-paper collection) counts only where the context has that code.

    Returns
    -------
    ChainAffinity
        A fresh copy; changing it does not change later calls.
    """
    return load_affinity(_packaged(_AFFINITY_FILE))


def load_conflicts(
    source: str | PathLike[str] | pd.DataFrame | Iterable[ConflictRule],
) -> pd.DataFrame:
    """Load a conflict (protection-distance) table.

    Parameters
    ----------
    source
        A CSV path, a DataFrame, or an iterable of :class:`ConflictRule`, with columns
        ``source`` (GB/T 4754 code), ``sensitive`` (GB/T 4754 code, or a lower-case use name
        such as ``residential`` that matches a reference layer of that name),
        ``min_distance_m`` (metres, > 0) and optionally ``basis``, ``basis_zh`` (short Chinese
        citation printed beside the distance) and ``checked`` (date the basis was checked).

    Returns
    -------
    pandas.DataFrame
        Columns ``source``, ``sensitive``, ``min_distance_m`` (float), ``basis``, ``basis_zh``
        and ``checked``, one row per rule.

    Raises
    ------
    ValidationError
        Listing every bad code, distance and duplicated rule at once.
    """
    if isinstance(source, pd.DataFrame | str | PathLike):
        table = _read_table(source, "conflicts")
    else:
        table = pd.DataFrame(
            [
                (r.source, r.sensitive, r.min_distance_m, r.basis, r.basis_zh, r.checked)
                for r in source
            ],
            columns=list(_CONFLICT_COLUMNS),
        )
    missing = [c for c in _CONFLICT_COLUMNS[:3] if c not in table.columns]
    if missing:
        raise ValidationError(
            f"conflicts table needs columns {list(_CONFLICT_COLUMNS[:3])}; missing {missing}"
        )
    table = table.reset_index(drop=True)
    problems: list[Problem] = []
    table["source"] = _normalise_codes(table["source"], "source", problems)
    sensitive = table["sensitive"].astype("string").str.strip()
    for row, value in sensitive.items():
        if pd.isna(value):
            problems.append(Problem(row, "sensitive", "missing sensitive industry or use"))
        elif _CODE_RE.match(value.upper()):
            sensitive[row] = value.upper()
        elif not _USE_RE.match(value):
            problems.append(
                Problem(
                    row,
                    "sensitive",
                    f"{value!r} is neither a GB/T 4754 code nor a "
                    "lower-case use name such as 'residential'",
                )
            )
    table["sensitive"] = sensitive
    distance = pd.to_numeric(table["min_distance_m"], errors="coerce")
    for row in table.index[~(distance > 0) | ~np.isfinite(distance)]:
        problems.append(
            Problem(
                row,
                "min_distance_m",
                f"expected a positive distance in metres; got {table.at[row, 'min_distance_m']}",
            )
        )
    table["min_distance_m"] = distance.astype(float)
    for col in _CONFLICT_COLUMNS[3:]:
        if col not in table.columns:
            table[col] = ""
        table[col] = table[col].fillna("").astype(str)
    for row in table.index[table.duplicated(["source", "sensitive"])]:
        problems.append(
            Problem(
                row,
                "sensitive",
                f"rule ({table.at[row, 'source']}, "
                f"{table.at[row, 'sensitive']}) is given more than once",
            )
        )
    if problems:
        raise ValidationError(f"conflicts table: {len(problems)} problem(s)", problems)
    out = table[list(_CONFLICT_COLUMNS)].copy()
    out["source"] = out["source"].astype(object)
    out["sensitive"] = out["sensitive"].astype(object)
    return out


def default_conflicts() -> pd.DataFrame:
    """Return the default conflict (protection-distance) rules.

    The rules (``assetmatch/domain/tables/industry_conflicts.csv``) are **indicative
    protection distances; the environmental/safety assessment decides** (参考防护距离，以环评/
    安评为准), narrowed to the sub-industries that warrant them:

    * hazardous chemicals, C26 groups 261–267 (not 268 日用化学产品, i.e. cosmetics and
      detergents): 1,000 m from schools (P83) and housing, 500 m from food plants (C13, C14);
      basis 危险化学品安全管理条例第十九条, GB 36894-2018 (risk criteria) and GB/T 37243-2019
      (external safety distance method);
    * pulp (C221) and paper making (C222), not paper products such as cartons (C223): 500 m
      from schools, housing and food plants; basis the per-industry health-protection-distance
      series (GB 11654-89 for kraft pulp mills) and the GB/T 39499-2020 method;
    * chemical fibres (C28) 500 m and stone and building materials (C30) 300 m from schools
      and housing (judgement; GB 18068-2000 for cement plants);
    * rubber products (C291), not plastics (C292): 100 m from schools (judgement).

    Firms recorded only at a coarser level (``C22``, ``C26``, ``C29``) count for the finer
    rules, as they may belong to them. Every row has its ``basis``, ``basis_zh`` and the date
    it was ``checked``; replace the table with the distances of the zone's plan and the firms'
    assessments via :func:`load_conflicts`.

    Returns
    -------
    pandas.DataFrame
        Columns ``source``, ``sensitive``, ``min_distance_m``, ``basis``, ``basis_zh``,
        ``checked``; a fresh copy.
    """
    return load_conflicts(_packaged(_CONFLICTS_FILE))


def synergy_scores(
    context: pd.DataFrame,
    investor_industry: str,
    affinity: ChainAffinity | None = None,
    *,
    half_saturation: float = 10.0,
) -> np.ndarray:
    """Industry-chain synergy of each asset for an investor, in [0, 1).

    The raw synergy of asset *a* is the affinity row of the investor's industry times the
    asset's presence vector, ``raw_a = Σ_j affinity[i, j] · presence_j(a)`` over the
    ``presence_{j}`` columns of ``context`` (see :func:`assetmatch.context.context_features`:
    a presence is a distance-weighted number of firms, so ``raw`` reads as "effective number of
    useful neighbours"). It is normalised with the saturating curve
    ``raw / (raw + half_saturation)``: 0 with no useful neighbour, 0.5 when the weighted count
    equals ``half_saturation``, approaching 1 in a dense, well-matched cluster. The curve is
    absolute, so a score does not depend on which other assets are being compared.

    Parameters
    ----------
    context
        Context features, one row per asset, with ``presence_{division}`` columns.
    investor_industry
        GB/T 4754 code of the investor; a finer code uses its own row when the table has one,
        else its division's row.
    affinity
        The affinity matrix; :func:`default_affinity` when ``None``.
    half_saturation
        Weighted neighbour count that gives a synergy of 0.5 (> 0).

    Returns
    -------
    numpy.ndarray
        float64 array aligned with ``context``'s rows.

    Warns
    -----
    UserWarning
        When the affinity has no row for the investor's industry (only its own division then
        counts, with weight 1), or when neighbours with a positive weight have no presence
        column in ``context`` (they are ignored).
    """
    if not (isinstance(half_saturation, int | float) and half_saturation > 0):
        raise ValidationError(
            f"The 'half_saturation' parameter of synergy_scores must be > 0. "
            f"Got {half_saturation!r} instead."
        )
    code = str(industry_division([investor_industry])[0])
    full = str(investor_industry).strip().upper()
    if affinity is None:
        affinity = default_affinity()
    if full in affinity.index:
        row = affinity.loc[full]
    elif code in affinity.index:
        row = affinity.loc[code]
    else:
        warnings.warn(
            f"the affinity table has no row for industry {full!r}; using same-industry "
            f"neighbours ({code}) only. Add a row with load_affinity() to count its chain.",
            UserWarning,
            stacklevel=2,
        )
        row = pd.Series({code: 1.0})
    row = row[row > 0]
    present = [j for j in row.index if f"presence_{j}" in context.columns]
    missing = [j for j in row.index if f"presence_{j}" not in context.columns]
    if missing:
        warnings.warn(
            f"context has no presence column for {missing}; those neighbours are ignored. "
            "Compute context_features with industries including them.",
            UserWarning,
            stacklevel=2,
        )
    if not present:
        return np.zeros(len(context), dtype=float)
    presence = context[[f"presence_{j}" for j in present]].to_numpy(dtype=float)
    raw = presence @ row[present].to_numpy(dtype=float)
    return raw / (raw + half_saturation)
