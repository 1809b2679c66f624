"""Columns and cell values: which source column feeds which field, and the typed values."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import units
from .._errors import Problem, ValidationError
from ..domain import landuse
from ..schema import (
    ASSET_COLUMNS,
    DERIVED_ASSET_COLUMNS,
    FIRM_COLUMNS,
    KINDS,
    OBSTACLE_KINDS,
    SHARE_COLUMNS,
    STATUSES,
    TENURE_MODES,
)
from ..store import history
from . import headers, vector

logger = logging.getLogger(__name__)

_OBSTACLE_WORDS = {
    "规划调整": "planning_adjustment",
    "调规": "planning_adjustment",
    "用地整合": "land_consolidation",
    "土地整合": "land_consolidation",
    "整合": "land_consolidation",
    "搬迁": "relocation",
    "权属纠纷": "title_dispute",
    "产权纠纷": "title_dispute",
    "拆除": "demolition",
    "污染治理": "environmental_remediation",
    "土壤修复": "environmental_remediation",
    "配套改造": "utility_upgrade",
    "其他": "other",
}


# ============================================================================ columns


@dataclass
class ColumnMap:
    """Resolved column mapping: source column → (canonical field, unit)."""

    fields: dict[str, tuple[str, str | None]]
    extra: list[str]
    #: Extra columns whose header names a field another column already feeds (``面积（㎡）``
    #: beside ``面积（亩）``): column → that other column.
    shadowed: dict[str, str] = dataclasses.field(default_factory=dict)


def map_columns(df: pd.DataFrame, columns: Mapping[str, Any] | None = None) -> ColumnMap:
    """Decide which source column feeds which canonical field, with which unit.

    ``columns`` maps source names to a canonical name, or to ``(canonical, unit)`` with a
    unit key of :data:`assetmatch.units.UNITS`; other headers are recognised by
    :func:`assetmatch.ingest.headers.match_header` (Chinese and English, units in headers).
    """
    columns = dict(columns or {})
    unknown = [c for c in columns if c not in df.columns]
    if unknown:
        raise ValidationError(
            "columns= names columns the source does not have",
            [
                Problem(None, c, f"not a column; the source has {list(map(str, df.columns))}")
                for c in unknown
            ],
        )
    fields: dict[str, tuple[str, str | None]] = {}
    taken: dict[str, str] = {}
    problems: list[Problem] = []
    allowed = {*ASSET_COLUMNS, *FIRM_COLUMNS, "lon", "lat", "x", "y", "wkt", "geometry"}
    for src, target in columns.items():
        canon, unit = (target, None) if isinstance(target, str) else tuple(target)
        if canon not in allowed:
            problems.append(
                Problem(None, src, f"maps to unknown field {canon!r}; allowed: {sorted(allowed)}")
            )
            continue
        if unit is not None and unit not in units.UNITS:
            problems.append(
                Problem(None, src, f"unknown unit {unit!r}; known: {sorted(units.UNITS)}")
            )
            continue
        fields[src] = (canon, unit)
        taken[canon] = src
    if problems:
        raise ValidationError("columns= could not be used", problems)
    extra: list[str] = []
    shadowed: dict[str, str] = {}
    geom_name = df.geometry.name if isinstance(df, gpd.GeoDataFrame) else None
    # exact canonical names first, so that e.g. an `asset_id` column beats a KML `id`
    for col in df.columns:
        if col not in fields and col != geom_name and col in allowed and col not in taken:
            fields[col] = (str(col), None)
            taken[str(col)] = col
    for col in df.columns:
        if col in fields or col == geom_name:
            continue
        m = headers.match_header(str(col))
        if m is None or m.field in taken:
            extra.append(str(col))
            if m is not None:
                shadowed[str(col)] = str(taken[m.field])
            continue
        fields[col] = (m.field, m.unit)
        taken[m.field] = col
    return ColumnMap(fields=fields, extra=extra, shadowed=shadowed)


# ============================================================================ values


def _blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if isinstance(v, str) and v.strip() in vector.BLANK_TEXT:
        return True
    return v is pd.NA or v is pd.NaT


_PLAIN_WORD = re.compile(r"^[\u4e00-\u9fff]{1,8}$")

#: Longest id the store keeps (asset, firm and deal ids).
MAX_ID_LENGTH = 200


def id_problem(value: Any) -> str | None:
    """Why ``value`` cannot be an id (asset, firm, deal), or None when it can.

    An id is non-empty text of at most :data:`MAX_ID_LENGTH` characters without control
    characters (a NUL, for one, cuts the id short in GDAL and in most C programs).
    """
    if _blank(value):
        return "missing: every record needs an id"
    text = str(value)
    bad = [ch for ch in text if unicodedata.category(ch) == "Cc"]
    if bad:
        return f"{text!r} holds a control character (U+{ord(bad[0]):04X}); ids are printable text"
    if len(text) > MAX_ID_LENGTH:
        return f"{len(text)} characters; an id has at most {MAX_ID_LENGTH}"
    return None


def _short(v: Any) -> str:
    """``repr(v)``, cut to 40 characters (a 400-digit integer reads as its start)."""
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


#: A number followed by what a ledger writes after it: a unit (``35亩``, ``12,000㎡``,
#: ``12元/㎡·月``) or 万 (ten thousand: ``1.2万``).
_NUMBER_AND_UNIT: Final = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(\S.*)")
#: Money words a cell may end in, and their scale in 元.
_MONEY_SCALE: Final = {"元": 1.0, "万元": units.WAN, "万": units.WAN}
#: Words after a number of floors.
_FLOOR_WORDS: Final = frozenset({"层", "f"})


def _with_unit(number: float, text: str, fld: str, unit: str | None) -> float | None:
    """``number`` followed by ``text`` in a cell of a column in ``unit`` (``None``: the field's
    canonical unit), in the column's unit; ``None`` when ``text`` is not a unit of the column's
    kind. The money word alone (``12元`` under 租金（元/㎡·月）) and a bare 万 take the column's
    unit; a unit of the same kind is converted (``35亩`` under 面积（㎡）)."""
    word = text.strip()
    col = unit or units.CANONICAL_UNITS.get(headers._FIELD_DIMENSION.get(fld, ""), "")
    col_unit = units.UNITS.get(col)
    if col_unit is None:
        return number if fld == "floors" and word.lower() in _FLOOR_WORDS else None
    if word in _MONEY_SCALE and ("yuan" in col or word == "万"):
        column_scale = units.WAN if col.startswith("wan_") else 1.0
        return number * _MONEY_SCALE[word] / column_scale
    given = headers.parse_unit(word, fld)
    if given is None or (given in units.TOTAL_RENT_UNITS and given != col):
        return None
    cell_unit = units.UNITS[given]
    if cell_unit.dimension != col_unit.dimension:
        return None
    return number * cell_unit.factor / col_unit.factor


#: What a ledger writes before an approximate number (约35亩, ~35).
_ABOUT: Final = re.compile(r"(?:大约|约合|约为|约|~|～|≈)\s*")


#: How the note on an approximate number ends (it travels with the problems, see _parse_float).
_APPROXIMATE: Final = " (an approximate value)"


def _float_cells(
    values: pd.Series,
    fld: str,
    problems: list[Problem],
    unit: str | None = None,
    approximate: bool = False,
) -> np.ndarray:
    """The cells as numbers in the column's ``unit``; with ``approximate``, 约35 reads as 35
    and a note ending in :data:`_APPROXIMATE` goes with the problems."""
    out = np.full(len(values), np.nan)
    for k, (row, v) in enumerate(values.items()):
        if _blank(v):
            continue
        if isinstance(v, str):
            s = v.strip().replace(",", "").replace("，", "")
            about = _ABOUT.match(s) if approximate else None
            if about:  # read as the number, and said
                s = s[about.end() :]
            try:
                f = float(s)
            except ValueError:
                m = _NUMBER_AND_UNIT.fullmatch(s)
                g = _with_unit(float(m.group(1)), m.group(2), fld, unit) if m else None
                if g is None:
                    rest = m.group(2).strip() if m else ""
                    why = (
                        f"{v!r}: the unit {rest!r} does not fit this column"
                        if rest and not any(c.isdigit() for c in rest)
                        else f"{v!r} is not a number"
                    )
                    problems.append(Problem(row, fld, why))
                    continue
                f = g
            if about and math.isfinite(f) and f >= 0:
                problems.append(Problem(row, fld, f"{v!r} read as {f:g}{_APPROXIMATE}"))
        else:
            try:
                f = float(v)
            except (TypeError, ValueError):
                problems.append(Problem(row, fld, f"{v!r} is not a number"))
                continue
            except OverflowError:  # an integer beyond any float
                f = math.inf
        if not math.isfinite(f):
            problems.append(Problem(row, fld, f"{_short(v)} is not a finite number"))
            continue
        if f < 0:
            problems.append(Problem(row, fld, f"{f:g} is negative"))
            continue
        out[k] = f
    return out


def _share_cells(
    values: pd.Series, fld: str, unit: str | None, problems: list[Problem]
) -> np.ndarray:
    """A share 0–1: ``0.35``, ``35%`` (a cell), or ``35`` under a percent header (``比例（%）``)."""
    cells = [
        v.strip().replace("％", "%")[:-1]
        if isinstance(v, str) and v.strip().replace("％", "%").endswith("%")
        else v
        for v in values
    ]
    percent_cell = np.array(
        [isinstance(v, str) and v.strip().replace("％", "%").endswith("%") for v in values]
    )
    vals = _float_cells(pd.Series(cells, index=values.index, dtype=object), fld, problems)
    scale = np.where(percent_cell | (unit == "percent"), 0.01, 1.0)
    vals = vals * scale
    for row, v, raw in zip(values.index, vals, values, strict=True):
        if np.isfinite(v) and v > 1:
            problems.append(
                Problem(
                    row,
                    fld,
                    f"{raw!r} reads as {v:g}, above 1: a share is 0–1 (write 35% or 0.35; "
                    "a column headed （%）, e.g. 已开发面积比例（%）, reads 35 as 35%)",
                )
            )
    return np.where(np.isfinite(vals) & (vals > 1), np.nan, vals)


def _date_cells(
    values: pd.Series, fld: str, problems: list[Problem], dayfirst: bool | None = None
) -> list[str | None]:
    out: list[str | None] = []
    for row, v in values.items():
        if _blank(v):
            out.append(None)
            continue
        if isinstance(v, int | float) and not isinstance(v, bool) and 20000 < float(v) < 80000:
            v = pd.Timestamp("1899-12-30") + pd.Timedelta(days=float(v))  # an Excel serial date
        try:
            ts = history.check_date(v, dayfirst=dayfirst)
        except ValueError as exc:
            problems.append(Problem(row, fld, str(exc)))
            out.append(None)
            continue
        out.append(ts.date().isoformat())
    return out


@functools.lru_cache(maxsize=4096)
def _obstacle_words(part: str) -> tuple[str, str, float | None]:
    """(kind, description, delay in days) of one obstacle written in words (搬迁（约3个月）)."""
    m = re.match(r"^(.*?)[（(]\s*(?:约)?\s*(\d+(?:\.\d+)?)\s*(天|日|个月|月)\s*[)）]?$", part)
    text, delay = (m.group(1).strip(), float(m.group(2))) if m else (part, None)
    if m and m.group(3) in ("个月", "月"):
        delay = delay * 30.0 if delay is not None else None
    kind = next((k for w, k in _OBSTACLE_WORDS.items() if w in text), None)
    if kind is None and text in OBSTACLE_KINDS:
        kind = text
    return kind or "other", text, delay


def _obstacle_cells(values: pd.Series, problems: list[Problem]) -> list[list[dict] | None]:
    out: list[list[dict] | None] = []
    for row, v in values.items():
        if isinstance(v, list | tuple | np.ndarray):
            items = list(v)
        elif _blank(v):
            out.append(None)
            continue
        elif isinstance(v, str) and v.strip().startswith("["):
            try:
                items = json.loads(v)
            except json.JSONDecodeError as exc:
                problems.append(Problem(row, "obstacles", f"invalid JSON: {exc}"))
                out.append(None)
                continue
        elif isinstance(v, str):
            if v.strip() in ("无", "none", "None", "没有"):
                out.append([])
                continue
            items = []
            for part in re.split(r"[;；、,，\n]+", v.strip()):
                part = part.strip()
                if not part:
                    continue
                kind, text, delay = _obstacle_words(part)
                items.append({"kind": kind, "description": text, "delay_days": delay})
        else:
            problems.append(Problem(row, "obstacles", f"{v!r} is not a list of obstacles"))
            out.append(None)
            continue
        clean: list[dict] = []
        ok = True
        for it in items:
            if not isinstance(it, Mapping):
                problems.append(Problem(row, "obstacles", f"{it!r} is not an obstacle record"))
                ok = False
                break
            kind = it.get("kind") or "other"
            if kind not in OBSTACLE_KINDS:
                problems.append(
                    Problem(
                        row,
                        "obstacles",
                        f"unknown obstacle kind {kind!r}; allowed: {list(OBSTACLE_KINDS)}",
                    )
                )
                ok = False
                break
            delay = it.get("delay_days")
            if delay is not None and not _blank(delay):
                try:
                    delay = float(delay)
                except (TypeError, ValueError):
                    problems.append(Problem(row, "obstacles", f"delay {delay!r} is not a number"))
                    ok = False
                    break
                except OverflowError:
                    delay = math.inf  # refused below
                if not math.isfinite(delay) or delay < 0:
                    problems.append(Problem(row, "obstacles", f"delay {delay!r} must be ≥ 0"))
                    ok = False
                    break
            else:
                delay = None
            clean.append({"kind": kind, "description": it.get("description"), "delay_days": delay})
        out.append(clean if ok else None)
    return out


def _enum_cells(
    values: pd.Series, fld: str, allowed: tuple[str, ...], problems: list[Problem]
) -> list[Any]:
    """English canonical values pass; others go through the Chinese vocabulary."""
    out: list[Any] = [None] * len(values)
    pending_idx: list[int] = []
    for k, v in enumerate(values):
        if _blank(v):
            continue
        if fld == "tenure":
            if isinstance(v, str) and v.strip().startswith("["):
                # a list as a GeoPackage text column holds it: ["lease","transfer"]
                with contextlib.suppress(json.JSONDecodeError):
                    v = json.loads(v)
            if isinstance(v, list | tuple | np.ndarray):
                items = [str(i).strip() for i in v]
            else:
                items = [i.strip() for i in re.split(r"[、,，;；/|]+", str(v)) if i.strip()]
            if all(i in allowed for i in items):
                out[k] = items
                continue
        elif str(v).strip() in allowed:
            out[k] = str(v).strip()
            continue
        pending_idx.append(k)
    for k, val in _map_pending(values, pending_idx, fld, problems):
        out[k] = list(val) if fld == "tenure" and val is not None else val
    return out


def _map_pending(
    values: pd.Series, pending: list[int], fld: str, problems: list[Problem]
) -> list[tuple[int, Any]]:
    """Map the cells at ``pending`` through the vocabulary of ``fld``; the rows it could not map
    are reported in ``problems`` and left out of the returned (position, value) pairs."""
    if not pending:
        return []
    sub = values.iloc[pending]
    mapped, probs = headers.map_values(fld, sub)
    problems.extend(probs)
    bad = {p.row for p in probs}
    return [(k, v) for k, row, v in zip(pending, sub.index, mapped, strict=True) if row not in bad]


def _bool_cells(values: pd.Series, fld: str, problems: list[Problem]) -> list[bool | None]:
    out: list[bool | None] = [None] * len(values)
    pending: list[int] = []
    for k, v in enumerate(values):
        if _blank(v):
            continue
        if isinstance(v, bool | np.bool_):
            out[k] = bool(v)
        else:
            pending.append(k)
    for k, val in _map_pending(values, pending, fld, problems):
        if val is not None and not _blank(val):
            out[k] = bool(val)
    return out


def _text_cells(values: pd.Series, problems: list[Problem]) -> list[str | None]:
    return [None if _blank(v) else str(v).strip() for v in values]


# The column parsers: the fast column path of :mod:`.vector`, these per-cell parsers for the
# cells it leaves (see :func:`assetmatch.ingest.vector.by_column`).


def _parse_float(
    values: pd.Series,
    fld: str,
    problems: list[Problem],
    unit: str | None = None,
    notes: list[Problem] | None = None,
) -> np.ndarray:
    found: list[Problem] = []  # problems, and (with ``notes``) the approximate numbers' notes
    out = vector.by_column(
        values,
        vector.fast_float,
        lambda v, p: _float_cells(v, fld, p, unit, approximate=notes is not None),
        found,
    ).astype(float)
    for p in found:
        (notes if notes is not None and p.reason.endswith(_APPROXIMATE) else problems).append(p)
    return out


def _parse_share(
    values: pd.Series, fld: str, unit: str | None, problems: list[Problem]
) -> np.ndarray:
    return vector.by_column(  # two passes over the rows: not by text
        values,
        lambda v: vector.fast_share(v, unit),
        lambda v, p: _share_cells(v, fld, unit, p),
        problems,
        by_text=False,
    ).astype(float)


def _parse_date(
    values: pd.Series, fld: str, problems: list[Problem], dayfirst: bool | None = None
) -> list[str | None]:
    return list(
        vector.by_column(
            values, vector.fast_date, lambda v, p: _date_cells(v, fld, p, dayfirst), problems
        )
    )


def _parse_obstacles(values: pd.Series, problems: list[Problem]) -> list[list[dict] | None]:
    return list(vector.by_column(values, vector.fast_obstacles, _obstacle_cells, problems))


def _parse_enum(
    values: pd.Series, fld: str, allowed: tuple[str, ...], problems: list[Problem]
) -> Any:
    if fld != "tenure" and vector.unchanged_text(values, allowed):
        return values.array  # every cell a canonical code already
    fast = vector.fast_code_lists if fld == "tenure" else vector.fast_code
    return list(
        vector.by_column(
            values,
            lambda v: fast(v, allowed),
            lambda v, p: _enum_cells(v, fld, allowed, p),
            problems,
        )
    )


def _parse_bool(values: pd.Series, fld: str, problems: list[Problem]) -> list[bool | None]:
    return list(
        vector.by_column(values, vector.fast_bool, lambda v, p: _bool_cells(v, fld, p), problems)
    )


def _parse_text(values: pd.Series) -> Any:
    if vector.unchanged_text(values):
        return values.array  # what the frame would make of the stripped texts
    return list(vector.by_column(values, vector.fast_text, _text_cells, []))


def _converted(
    vals: np.ndarray,
    unit: str,
    fld: str,
    index: pd.Index,
    problems: list[Problem],
    **kw: Any,
) -> np.ndarray:
    """``units.convert`` with every result checked finite (1e308 亩 overflows to infinity)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = np.asarray(units.convert(vals, unit, **kw), dtype=float)
    broken = np.isfinite(vals) & ~np.isfinite(out)
    for row, v in zip(index[broken], vals[broken], strict=True):
        problems.append(
            Problem(row, fld, f"{v:g} {unit} is too large a number once converted to {fld}")
        )
    return np.where(broken, np.nan, out)


def _id_problems(ids: pd.Series) -> list[Problem]:
    """Missing, unusable (:func:`id_problem`) and duplicate asset ids, in that order."""
    rows = ids.index
    problems: list[Problem] = []
    missing = ids.isna().to_numpy()
    problems.extend(
        Problem(r, "asset_id", "missing: every asset needs an id") for r in rows[missing]
    )
    present = np.flatnonzero(~missing)
    vals = ids.to_numpy(dtype=object)
    suspect = (
        present[vector.control_or_long(vals[present], MAX_ID_LENGTH)]
        if vector.fast_enabled()
        else present
    )
    dup = np.zeros(len(ids), dtype=bool)
    dup[present] = pd.Series(vals[present], dtype=object).duplicated(keep="first").to_numpy()
    if not len(suspect) and not dup.any():
        return problems
    labels = rows.tolist()  # the labels as iterating the index gives them
    for k in suspect:
        why = id_problem(vals[k])
        if why:
            problems.append(Problem(labels[k], "asset_id", why))
    if dup.any():
        first = np.empty(len(ids), dtype=np.int64)
        first[present] = present[vector.first_rows(vals[present])]
        problems.extend(
            Problem(
                labels[k],
                "asset_id",
                f"duplicate id {vals[k]!r} (first at row {labels[first[k]]})",
            )
            for k in np.flatnonzero(dup)
        )
    return problems


def _land_use_word_notes(
    rows: pd.Index, at: np.ndarray, words: np.ndarray, resolved: pd.DataFrame
) -> list[Problem]:
    """A note for each row whose land use was given as a word (工业), saying how it was read."""
    if not len(at):
        return []
    parts = [
        words[at],
        resolved["code"].to_numpy(dtype=object)[at],
        resolved["scheme"].to_numpy(dtype=object)[at],
        resolved["land_class"].to_numpy(dtype=object)[at],
    ]
    key = np.zeros(len(at), dtype=np.int64)
    for part in parts:
        codes, uniques = pd.factorize(part, use_na_sentinel=False)
        key = key * len(uniques) + codes
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    texts = [
        f"{w!r} read as {code} {w}用地 ({landuse.LAND_CLASSES.get(cls, ('', cls))[1]}) in "
        f"{landuse.SCHEME_NAMES.get(scheme, scheme)}; give the code to be exact"
        for w, code, scheme, cls in zip(*(part[first] for part in parts), strict=True)
    ]
    labels = rows[at].tolist()
    return [Problem(r, "land_use", texts[c]) for r, c in zip(labels, inverse.tolist(), strict=True)]


#: What :func:`parse_scalar` returns for a value it leaves to :func:`parse_values`.
NOT_PLAIN: Any = object()

#: Text fields :func:`parse_scalar` reads (the others have vocabularies, lists or schemes).
_PLAIN_TEXT_FIELDS = frozenset(
    f
    for f, kind in ASSET_COLUMNS.items()
    if kind == "str" and f not in ("asset_id", "kind", "status", "land_use", "land_use_scheme")
)


def parse_scalar(fld: str, value: Any) -> Any:
    """What :func:`parse_values` makes of one plain, acceptable value of the asset field
    ``fld`` (given under its canonical name, no unit), without a frame; :data:`NOT_PLAIN`
    when the value needs the column parsers (text to read, a blank, a problem to report,
    dates, lists, land use).

    Only values ``parse_values`` takes without a problem or a note are read here:
    a finite non-negative Python ``int``/``float`` of a number field (within 0-1 for a share),
    a canonical ``status``/``kind`` code, and text with nothing to strip that is not blank in
    words. ``tests/test_update_fast.py`` checks the two agree.
    """
    t = type(value)
    if t is float or t is int:  # not bool: the column parsers read it
        kind = ASSET_COLUMNS.get(fld)
        if kind not in ("float", "int") or fld in DERIVED_ASSET_COLUMNS:
            return NOT_PLAIN
        try:
            f = float(value)
        except OverflowError:
            return NOT_PLAIN
        if not (math.isfinite(f) and f >= 0):
            return NOT_PLAIN
        if fld in SHARE_COLUMNS and f > 1:
            return NOT_PLAIN
        return f
    if t is str:
        if fld == "status":
            return value if value in STATUSES else NOT_PLAIN
        if fld == "kind":
            return value if value in KINDS else NOT_PLAIN
        if fld in _PLAIN_TEXT_FIELDS and value == value.strip() and value not in vector.BLANK_TEXT:
            return value
    return NOT_PLAIN


def parse_values(
    df: pd.DataFrame,
    mapping: ColumnMap,
    *,
    land_use_scheme: str | None = None,
    dayfirst: bool | None = None,
) -> tuple[pd.DataFrame, list[Problem], list[Problem]]:
    """Canonical, typed values from the mapped source columns.

    Returns the canonical frame (same index as ``df``; only the fields the source gives, plus
    ``extra``), the problems (row, field, reason) and notes (accepted but worth a look).
    """
    problems: list[Problem] = []
    notes: list[Problem] = []
    cols: dict[str, Any] = {}  # one frame at the end: no frame insert per column
    by_field = {canon: (src, unit) for src, (canon, unit) in mapping.fields.items()}

    for fld, (src, unit) in by_field.items():
        if fld in DERIVED_ASSET_COLUMNS:
            if fld == "land_area_m2":  # a given land area is a declared one
                fld = "declared_land_area_m2"
            else:
                continue
        if fld in ("lon", "lat", "x", "y", "wkt", "geometry"):
            continue
        kind = ASSET_COLUMNS.get(fld) or FIRM_COLUMNS.get(fld)
        col = df[src]
        if fld == "rent_yuan_m2_month" and unit in units.TOTAL_RENT_UNITS:
            continue  # needs building areas: handled below
        if fld in SHARE_COLUMNS:
            cols[fld] = _parse_share(col, fld, unit, problems)
        elif kind in ("float", "int"):
            vals = _parse_float(col, fld, problems, unit, notes)
            if unit is None and fld == "declared_land_area_m2" and src not in ASSET_COLUMNS:
                notes.extend(
                    Problem(
                        row,
                        fld,
                        "area header gives no unit; read as m² "
                        "(write 面积（亩） or pass columns={...: (field, 'mu')})",
                    )
                    for row in df.index[np.isfinite(vals)][:1]
                )
            if unit is not None:
                vals = _converted(vals, unit, fld, df.index, problems)
            cols[fld] = vals
        elif kind == "date":
            cols[fld] = _parse_date(col, fld, problems, dayfirst)
        elif kind == "bool":
            cols[fld] = _parse_bool(col, fld, problems)
        elif fld == "status":
            cols[fld] = _parse_enum(col, fld, STATUSES, problems)
        elif fld == "kind":
            cols[fld] = _parse_enum(col, fld, KINDS, problems)
        elif fld == "tenure":
            cols[fld] = _parse_enum(col, fld, TENURE_MODES, problems)
        elif fld == "obstacles":
            cols[fld] = _parse_obstacles(col, problems)
        else:
            cols[fld] = _parse_text(col)
    out = pd.DataFrame(cols, index=df.index)

    # a total rent needs the building area of the same row
    if "rent_yuan_m2_month" in by_field:
        src, unit = by_field["rent_yuan_m2_month"]
        if unit in units.TOTAL_RENT_UNITS:
            total = _parse_float(df[src], "rent_yuan_m2_month", problems, unit, notes)
            area = out.get("building_area_m2", pd.Series(np.nan, index=df.index)).to_numpy(float)
            missing = np.isfinite(total) & ~(np.isfinite(area) & (area > 0))
            for row in df.index[missing]:
                problems.append(
                    Problem(
                        row,
                        "rent_yuan_m2_month",
                        "a total monthly rent needs the building area of the "
                        "same row to give 元/㎡/月",
                    )
                )
            out["rent_yuan_m2_month"] = _converted(
                total, unit, "rent_yuan_m2_month", df.index, problems, building_area_m2=area
            )

    if "asset_id" in out:
        problems.extend(_id_problems(out["asset_id"]))

    if "land_use" in out:
        # staff write the class in a word (工业, 仓储, 教育): read it as that class's land
        # (工业用地…) in the scheme, and say so in the report
        given = out["land_use"].to_numpy(dtype=object)
        codes, uniques = pd.factorize(given)
        is_word = np.array(
            [
                isinstance(v, str) and bool(_PLAIN_WORD.match(v)) and not v.endswith("用地")
                for v in uniques
            ],
            dtype=bool,
        )
        word_rows = np.flatnonzero((codes >= 0) & is_word[np.maximum(codes, 0)])
        read = given.copy()
        read[word_rows] = [uniques[c] + "用地" for c in codes[word_rows]]
        schemes = out.get("land_use_scheme", None)
        resolved, probs = landuse.resolve_many(
            pd.Series(read, index=out.index, dtype=object), schemes, default_scheme=land_use_scheme
        )
        problems.extend(probs)
        resolved.index = out.index
        bad = df.index.isin(list({p.row for p in probs}))
        noted = word_rows[~bad[word_rows]]
        notes.extend(_land_use_word_notes(df.index, noted, given, resolved))
        out["land_use"] = resolved["code"].where(resolved["code"].notna(), None)
        out["land_use_scheme"] = resolved["scheme"].where(resolved["scheme"].notna(), None)

    if mapping.extra:
        records = df[mapping.extra].astype(object).where(df[mapping.extra].notna(), None)
        kept: dict[type, bool] = {}
        cols = []
        for c in mapping.extra:
            vals = records[c].to_numpy(dtype=object)
            plain = np.array(
                [
                    kept.setdefault(t, t is type(None) or issubclass(t, str | int | float | bool))
                    for t in map(type, vals)
                ],
                dtype=bool,
            )
            if not plain.all():
                vals = vals.copy()
                for k in np.flatnonzero(~plain):
                    vals[k] = str(vals[k])
            cols.append(vals)
        extra = np.full(len(df), None, dtype=object)
        filled = np.flatnonzero(df[mapping.extra].notna().to_numpy().any(axis=1))
        for k in filled:
            extra[k] = {
                c: vals[k]
                for c, vals in zip(mapping.extra, cols, strict=True)
                if vals[k] is not None
            } or None
        out["extra"] = list(extra)
    return out, problems, notes
