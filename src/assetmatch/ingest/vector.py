"""Reading a column at a time: the cells a vector operation reads exactly, the rest cell by cell.

Every value parser of :mod:`assetmatch.ingest.values` has a per-cell form (the reference: it
reads any cell and words every problem) and a *fast* form here that reads a whole column with
NumPy/pandas operations. A fast form only takes the cells it reads exactly as the per-cell form
would, and never a cell the per-cell form would find a problem in; it hands the others back
(``todo``). :func:`by_column` then runs the per-cell form on those cells alone — once per
distinct text when the parser reads a text the same wherever it stands — so the values and the
problems (row, field, reason, and their order) are the per-cell form's exactly.

Typical cells take the fast path: numbers in a numeric column or written plainly as text,
ISO and ``2025年3月4日`` dates, canonical codes (``idle``, ``lease``), missing values.
Chinese words (``闲置``, ``先租后让``), numbers with units or separators, ambiguous or bad
dates go through the per-cell form.

:func:`per_cell` switches the fast forms off (every cell through the per-cell form): the tests
compare the two paths on messy inputs, and the benchmarks time them against each other.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd

from .._errors import Problem
from ..schema import OBSTACLE_KINDS

logger = logging.getLogger(__name__)

#: Texts read as a blank cell (after stripping white space).
BLANK_TEXT = frozenset(("", "-", "—", "/", "无数据", "nan", "NaN", "None"))

#: Earliest and latest dates the inventory keeps, as ISO text (see ``store.history``).
DATE_RANGE = ("1900-01-01", "2200-12-31")

_PER_CELL: ContextVar[bool] = ContextVar("assetmatch_ingest_per_cell", default=False)

#: Types whose missing values (None, NaN, pd.NA, pd.NaT) count as a blank cell.
_NULL_TYPES = (type(None), float, np.float64, type(pd.NA), type(pd.NaT))

Cells = Callable[[pd.Series, list[Problem]], Sequence[Any]]
Fast = Callable[[pd.Series], tuple[np.ndarray, np.ndarray]]


@contextlib.contextmanager
def per_cell() -> Iterator[None]:
    """Within this block, parse every cell with the per-cell parsers (the reference path)."""
    token = _PER_CELL.set(True)
    try:
        yield
    finally:
        _PER_CELL.reset(token)


def fast_enabled() -> bool:
    """Whether the column paths are in use (False inside :func:`per_cell`)."""
    return not _PER_CELL.get()


# ============================================================================ running


def by_column(
    values: pd.Series,
    fast: Fast,
    cells: Cells,
    problems: list[Problem],
    *,
    by_text: bool = True,
) -> np.ndarray:
    """Parse a column: ``fast`` where it can, ``cells`` (the per-cell parser) for the rest.

    Parameters
    ----------
    values
        The column (its index labels name the rows in problems).
    fast
        Returns ``(out, todo)``: an object or float array of parsed values, and the cells it
        left to ``cells``.
    cells
        The per-cell parser: ``cells(series, problems) -> one value per cell``.
    problems
        Where the problems go, in the order ``cells`` would give them for the whole column.
    by_text
        Parse each distinct text once (the parser reads a text the same in any row, and finds
        at most its problems in one pass over the rows). Lists in the results are copied per
        row.
    """
    if _PER_CELL.get():
        res = cells(values, problems)
        return res if isinstance(res, np.ndarray) else _array(res, object)
    out, todo = fast(values)
    if not todo.any():
        return out
    pos = np.flatnonzero(todo)
    found: list[tuple[int, Problem]] = []
    rest = pos
    if by_text:
        obj = values.iloc[pos].to_numpy(dtype=object)
        is_str = of_type(_types(obj), str)
        if is_str.any():
            texts = pos[is_str]
            codes, uniques = pd.factorize(obj[is_str])
            probs: list[Problem] = []
            parsed = cells(pd.Series(np.asarray(uniques, dtype=object), dtype=object), probs)
            reasons: dict[int, list[Problem]] = {}
            for p in probs:
                reasons.setdefault(int(p.row), []).append(p)  # type: ignore[call-overload]
            res = _array(parsed, out.dtype)
            if out.dtype.kind == "O":
                _put(out, texts, res[codes])
            else:
                out[texts] = res[codes]
            if reasons:
                hit = np.isin(codes, np.fromiter(reasons, dtype=np.int64, count=len(reasons)))
                for k in np.flatnonzero(hit):
                    found.extend((int(texts[k]), p) for p in reasons[int(codes[k])])
            rest = pos[~is_str]
    if len(rest):
        sub = values.iloc[rest].copy()
        sub.index = pd.RangeIndex(len(rest))
        probs = []
        res = _array(cells(sub, probs), out.dtype)
        if out.dtype.kind == "O":
            _put(out, rest, res)
        else:
            out[rest] = res
        found.extend((int(rest[int(p.row)]), p) for p in probs)  # type: ignore[call-overload]
    if found:
        if by_text:  # one pass over the rows: in row order; a row's problems keep their order
            found.sort(key=lambda t: t[0])
        labels = values.index[[k for k, _ in found]].tolist()  # as iterating the index gives
        problems.extend(
            Problem(r, p.field, p.reason) for r, (_, p) in zip(labels, found, strict=True)
        )
    return out


def _array(res: Sequence[Any], dtype: Any) -> np.ndarray:
    floats = np.dtype(dtype).kind == "f"
    if isinstance(res, np.ndarray) and res.dtype.kind == "f" and floats:
        return res
    out = np.empty(len(res), dtype=object)
    for k, v in enumerate(res):  # not out[:] = res: a list of lists would broadcast
        out[k] = v
    return out.astype(float) if floats else out


def _put(out: np.ndarray, where: np.ndarray, vals: np.ndarray) -> None:
    """``out[where] = vals`` with every list (and the dicts in it) copied for its row."""
    lists = of_type(_types(vals), list)
    out[where[~lists]] = vals[~lists]
    if lists.any():
        out[where[lists]] = np.fromiter(
            map(_copied, vals[lists]), dtype=object, count=int(lists.sum())
        )


def _copied(items: list[Any]) -> list[Any]:
    """A list of a parser's (codes, or records: a parser's list holds one kind) for one row."""
    return [dict(i) for i in items] if items and type(items[0]) is dict else items.copy()


class Types:
    """The exact type of every cell of an object array, as codes (one hash per cell)."""

    def __init__(self, obj: np.ndarray) -> None:
        kinds = np.fromiter(map(type, obj), dtype=object, count=len(obj))
        self.codes, self.kinds = pd.factorize(kinds)

    def of(self, *kinds: type) -> np.ndarray:
        """Cells whose type is exactly one of ``kinds`` (no subclasses: ``bool`` is no ``int``)."""
        hit = [k for k, t in enumerate(self.kinds) if any(t is want for want in kinds)]
        if not hit:
            return np.zeros(len(self.codes), dtype=bool)
        return np.isin(self.codes, hit)


def _types(obj: np.ndarray) -> Types:
    return Types(obj)


def of_type(types: Types, *kinds: type) -> np.ndarray:
    """Cells whose type is exactly one of ``kinds``."""
    return types.of(*kinds)


def null_blank(obj: np.ndarray, types: Types) -> np.ndarray:
    """Cells that are None, NaN, pd.NA or pd.NaT (the missing values ``_blank`` knows)."""
    known = of_type(types, *_NULL_TYPES)
    if not known.any():
        return known
    return known & np.asarray(pd.isna(obj), dtype=bool)


def _objects(values: pd.Series) -> tuple[np.ndarray, Types]:
    obj = values.to_numpy(dtype=object)
    return obj, _types(obj)


def _numeric_dtype(values: pd.Series) -> bool:
    dtype = values.dtype
    return (
        pd.api.types.is_numeric_dtype(dtype)
        and not pd.api.types.is_bool_dtype(dtype)
        and not pd.api.types.is_complex_dtype(dtype)
        and not pd.api.types.is_object_dtype(dtype)
    )


# ============================================================================ numbers


def _float_texts(texts: np.ndarray, *, commas: bool) -> tuple[np.ndarray, np.ndarray]:
    """``float()`` of each text (commas removed first when ``commas``); NaN and False where
    ``float`` would refuse it."""
    n = len(texts)
    try:  # float() reads no comma: where it reads every text, removing commas changes nothing
        return texts.astype(float), np.ones(n, dtype=bool)
    except (ValueError, TypeError, OverflowError):
        pass
    if commas:
        texts = np.array(
            [t.replace(",", "").replace("，", "") for t in texts], dtype=object
        ).reshape(n)
        try:
            return texts.astype(float), np.ones(n, dtype=bool)
        except (ValueError, TypeError, OverflowError):
            pass
    # find the cells float() reads (pandas' parser only locates them; float() reads them)
    with contextlib.suppress(ValueError, TypeError):
        located = ~np.isnan(np.asarray(pd.to_numeric(texts, errors="coerce"), dtype=float))
        out = np.full(n, np.nan)
        try:
            out[located] = texts[located].astype(float)
            return out, located
        except (ValueError, TypeError, OverflowError):
            pass
    return np.full(n, np.nan), np.zeros(n, dtype=bool)


def fast_float(values: pd.Series, *, signed: bool = False, commas: bool = True) -> Any:
    """Numbers of a column; ``signed`` keeps negatives and infinities (coordinates)."""
    n = len(values)
    out = np.full(n, np.nan)
    if _numeric_dtype(values):
        arr = values.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(arr)
        good = ~missing if signed else ~missing & np.isfinite(arr) & (arr >= 0)
        out[good] = arr[good]
        return out, ~missing & ~good
    obj, types = _objects(values)
    todo = ~null_blank(obj, types)
    for kinds, text in (((float, int, np.float64), False), ((str,), True)):
        take = of_type(types, *kinds)
        if not take.any():
            continue
        if text:
            vals, read = _float_texts(obj[take], commas=commas)
        else:
            try:
                vals, read = obj[take].astype(float), np.ones(int(take.sum()), dtype=bool)
            except OverflowError:  # an int beyond float: the per-cell parser says so
                continue
        good = read & ~np.isnan(vals)
        if not signed:
            good &= np.isfinite(vals) & (vals >= 0)
        where = np.flatnonzero(take)[good]
        out[where] = vals[good]
        todo[where] = False
    return out, todo


def fast_share(values: pd.Series, unit: str | None) -> Any:
    """Shares 0–1 of a column without percent signs (a percent column scaled by 0.01)."""
    out, todo = fast_float(values)
    if not _numeric_dtype(values):
        obj, types = _objects(values)
        is_str = of_type(types, str)
        if is_str.any():
            pct = np.array(["%" in t or "％" in t for t in obj[is_str]], dtype=bool)
            todo[np.flatnonzero(is_str)[pct]] = True
    scaled = out * (0.01 if unit == "percent" else 1.0)
    above = np.isfinite(scaled) & (scaled > 1)
    todo |= above
    scaled[todo] = np.nan
    return scaled, todo


# ============================================================================ dates


def _digits(cp: np.ndarray, cols: Sequence[int]) -> np.ndarray:
    sub = cp[:, list(cols)]
    return ((sub >= 48) & (sub <= 57)).all(axis=1)


def _number(cp: np.ndarray, cols: Sequence[int]) -> np.ndarray:
    out = np.zeros(len(cp), dtype=np.int64)
    for c in cols:
        out = out * 10 + (cp[:, c].astype(np.int64) - 48)
    return out


#: Layouts of the dates read by columns: (length, year, month, day, {position: character});
#: ISO ``2025-03-04`` and ``2025年3月4日`` / ``2025年03月`` (the 1st of the month).
def _date_layouts() -> list[tuple[int, list[int], list[int], list[int], dict[int, str]]]:
    layouts = [(10, [0, 1, 2, 3], [5, 6], [8, 9], {4: "-", 7: "-"})]
    for m in (1, 2):
        month = list(range(5, 5 + m))
        mark = 5 + m
        layouts.append((mark + 1, [0, 1, 2, 3], month, [], {4: "年", mark: "月"}))
        for d in (1, 2):
            day = list(range(mark + 1, mark + 1 + d))
            for ri in (False, True):
                fixed = {4: "年", mark: "月"}
                if ri:
                    fixed[mark + 1 + d] = "日"
                layouts.append((mark + 1 + d + ri, [0, 1, 2, 3], month, day, fixed))
    return layouts


_DATE_LAYOUTS = _date_layouts()


def _iso_from_text(texts: np.ndarray) -> np.ndarray:
    """ISO text of each date written in a layout of :data:`_DATE_LAYOUTS` ("" elsewhere)."""
    n = len(texts)
    out = np.full(n, "", dtype=object)
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    idx = np.flatnonzero((lens >= 7) & (lens <= 11))
    if not len(idx):
        return out
    cp = texts[idx].astype("U11").view(np.uint32).reshape(len(idx), 11)
    year = np.zeros(len(idx), dtype=np.int64)
    month = np.zeros(len(idx), dtype=np.int64)
    day = np.zeros(len(idx), dtype=np.int64)
    hit = np.zeros(len(idx), dtype=bool)
    for length, y, m, d, fixed in _DATE_LAYOUTS:
        ok = ~hit & (lens[idx] == length) & _digits(cp, y + m + d)
        for col, ch in fixed.items():
            ok &= cp[:, col] == ord(ch)
        if not ok.any():
            continue
        year[ok], month[ok] = _number(cp[ok], y), _number(cp[ok], m)
        day[ok] = _number(cp[ok], d) if d else 1
        hit |= ok
    out[idx] = _iso_days(year, month, day, hit)
    return out


def _iso_days(year: np.ndarray, month: np.ndarray, day: np.ndarray, use: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` of each real calendar date among ``use`` ("" for the others)."""
    out = np.full(len(year), "", dtype=object)
    ok = use & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    if not ok.any():
        return out
    first = ((year[ok] - 1970) * 12 + month[ok] - 1).astype("datetime64[M]")
    days = first.astype("datetime64[D]") + (day[ok] - 1).astype("timedelta64[D]")
    real = days.astype("datetime64[M]") == first  # 2025-02-30 runs into March
    where = np.flatnonzero(ok)[real]
    out[where] = np.asarray(np.datetime_as_string(days[real], unit="D"), dtype=object)
    return out


def _in_range(iso: np.ndarray) -> np.ndarray:
    """ISO texts between the first and last date kept (never the "" of a cell not read)."""
    return np.asarray((iso >= DATE_RANGE[0]) & (iso <= DATE_RANGE[1]), dtype=bool)


def fast_date(values: pd.Series) -> Any:
    """ISO dates of a column: dates, naive date-times, ISO and 年月日 text; others to do.

    Each distinct cell is read once (a date column repeats its dates).
    """
    n = len(values)
    out = np.full(n, None, dtype=object)
    dtype = values.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype) and getattr(dtype, "tz", None) is None:
        days = np.asarray(values.to_numpy()).astype("datetime64[D]")  # floors, as .date()
        present = ~np.isnat(days)
        codes, uniques = pd.factorize(days[present].view(np.int64))
        iso = np.asarray(
            np.datetime_as_string(np.asarray(uniques).astype("datetime64[D]"), unit="D"),
            dtype=object,
        )
        good = np.zeros(n, dtype=bool)
        good[present] = _in_range(iso)[codes]
        out[present] = iso[codes]
        out[~good] = None
        return out, present & ~good
    obj = values.to_numpy(dtype=object)
    try:
        codes, uniques = pd.factorize(obj)
    except TypeError:  # an unhashable cell: read each cell
        codes, uniques = np.arange(n), obj
    iso = _iso_of(np.asarray(uniques, dtype=object))
    read = _in_range(iso)
    have = codes >= 0
    good = np.zeros(n, dtype=bool)
    good[have] = read[codes[have]]
    out[good] = iso[codes[good]]
    todo = ~good
    gaps = np.flatnonzero(~have)  # None, NaN, NaT… (and NaNs that are no blank)
    if len(gaps):
        sub = obj[gaps]
        todo[gaps[null_blank(sub, Types(sub))]] = False
    return out, todo


def _iso_of(cells: np.ndarray) -> np.ndarray:
    """ISO text of each date, naive date-time or date text among ``cells`` ("" elsewhere)."""
    iso = np.full(len(cells), "", dtype=object)
    types = Types(cells)
    at = np.flatnonzero(of_type(types, dt.date))
    iso[at] = [d.isoformat() for d in cells[at]]
    at = np.flatnonzero(of_type(types, dt.datetime, pd.Timestamp))
    at = at[[cells[k].tzinfo is None for k in at]]
    iso[at] = [d.date().isoformat() for d in cells[at]]
    at = np.flatnonzero(of_type(types, str))
    if len(at):
        iso[at] = _iso_from_text(cells[at])
    return iso


# ============================================================================ words


def fast_text(values: pd.Series) -> Any:
    """Stripped text of a column (None for a blank); cells that are not text to do."""
    n = len(values)
    obj, types = _objects(values)
    out = np.full(n, None, dtype=object)
    is_str = of_type(types, str)
    todo = ~null_blank(obj, types) & ~is_str
    if is_str.any():
        stripped = np.array([t.strip() for t in obj[is_str]], dtype=object)
        blank = np.asarray(pd.Series(stripped, dtype=object).isin(BLANK_TEXT), dtype=bool)
        stripped[blank] = None
        out[is_str] = stripped
    return out, todo


#: The characters ``str.strip()`` removes (``str.isspace``), checked by the tests.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def unchanged_text(values: pd.Series, allowed: Sequence[str] | None = None) -> bool:
    """Whether a text column reads as itself: Arrow-backed text of the dtype a frame gives a
    list of texts, no cell with white space to strip, none blank in words (``-``, ``无数据``),
    and with ``allowed`` every cell one of those. Such a column is kept as it is (no cell
    becomes a Python object)."""
    if not fast_enabled() or values.dtype != pd.Series(["a", None]).dtype:
        return False
    arrow = getattr(values.array, "_pa_array", None)
    if arrow is None:
        return False
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow
    texts = texts.drop_null()
    if not len(texts):  # a frame makes a list of None an object column
        return False
    space = pa.array(list(PY_WHITESPACE))
    edges = (pc.utf8_slice_codeunits(texts, 0, 1), pc.utf8_slice_codeunits(texts, -1, None))
    if any(pc.any(pc.is_in(e, value_set=space)).as_py() for e in edges):
        return False
    if pc.any(pc.is_in(texts, value_set=pa.array(sorted(BLANK_TEXT)))).as_py():
        return False
    return allowed is None or bool(pc.all(pc.is_in(texts, value_set=pa.array(allowed))).as_py())


def fast_code(values: pd.Series, allowed: Sequence[str]) -> Any:
    """Canonical codes written as such (``idle``); words, blanks in text and others to do."""
    n = len(values)
    obj, types = _objects(values)
    out = np.full(n, None, dtype=object)
    is_str = of_type(types, str)
    known = is_str.copy()
    if is_str.any():
        known[is_str] = np.asarray(pd.Series(obj[is_str], dtype=object).isin(allowed))
    out[known] = obj[known]
    return out, ~null_blank(obj, types) & ~known


def fast_code_lists(values: pd.Series, allowed: Sequence[str]) -> Any:
    """Lists of canonical codes (``["lease", "transfer"]``); text and others to do."""
    n = len(values)
    obj, types = _objects(values)
    out = np.full(n, None, dtype=object)
    todo = ~null_blank(obj, types)
    ok_set = frozenset(allowed)
    seen: dict[tuple[Any, ...], tuple[str, ...] | None] = {}
    at = np.flatnonzero(of_type(types, list))
    read: list[int] = []
    lists: list[list[str]] = []
    for k, items in zip(at.tolist(), obj[at].tolist(), strict=True):
        try:
            key = tuple(items)
            canon = seen[key] if key in seen else seen.setdefault(key, _codes(key, ok_set))
        except TypeError:  # an unhashable item: the per-cell parser says what it is
            continue
        if canon is not None:
            read.append(k)
            lists.append(list(canon))
    if read:
        out[read] = np.fromiter(lists, dtype=object, count=len(lists))
        todo[read] = False
    return out, todo


def _codes(items: tuple[Any, ...], allowed: frozenset[str]) -> tuple[str, ...] | None:
    if all(type(i) is str and i in allowed for i in items):
        return tuple(str(i) for i in items)
    return None


def fast_bool(values: pd.Series) -> Any:
    """Booleans of a column (True/False cells); words and numbers to do."""
    n = len(values)
    if pd.api.types.is_bool_dtype(values.dtype) and values.dtype == bool:
        return np.asarray(values.to_numpy(dtype=bool), dtype=object), np.zeros(n, dtype=bool)
    obj, types = _objects(values)
    out = np.full(n, None, dtype=object)
    is_bool = of_type(types, bool, np.bool_)
    out[is_bool] = [bool(v) for v in obj[is_bool]]
    return out, ~null_blank(obj, types) & ~is_bool


def fast_obstacles(values: pd.Series) -> Any:
    """Lists of obstacle records of the plain shape (a known kind, a delay of ≥ 0 days or
    none); text, other records and others to do."""
    n = len(values)
    obj, types = _objects(values)
    out = np.full(n, None, dtype=object)
    read = np.zeros(n, dtype=bool)
    at = np.flatnonzero(of_type(types, list))
    for k, items in zip(at, obj[at].tolist(), strict=True):
        clean = _plain_obstacles(items) if items else []
        if clean is not None:
            out[k] = clean
            read[k] = True
    return out, ~null_blank(obj, types) & ~read


_OBSTACLE_KINDS = frozenset(OBSTACLE_KINDS)


def _plain_obstacles(items: list[Any]) -> list[dict[str, Any]] | None:
    clean = []
    for it in items:
        if type(it) is not dict:
            return None
        kind = it.get("kind") or "other"
        if type(kind) is not str or kind not in _OBSTACLE_KINDS:
            return None
        delay = it.get("delay_days")
        if delay is not None:
            if type(delay) not in (int, float):
                return None
            if delay != delay:  # NaN: no delay given
                delay = None
            elif not (0 <= delay < 1e300):
                return None
            else:
                delay = float(delay)
        clean.append({"kind": kind, "description": it.get("description"), "delay_days": delay})
    return clean


# ============================================================================ ids


def control_or_long(ids: np.ndarray, max_length: int) -> np.ndarray:
    """Texts holding a control character (Unicode category Cc) or longer than ``max_length``."""
    n = len(ids)
    lens = np.fromiter(map(len, ids), dtype=np.int64, count=n)
    bad = lens > max_length
    short = np.flatnonzero(~bad & (lens > 0))
    if len(short):
        width = int(lens[short].max())
        cp = ids[short].astype(f"U{width}").view(np.uint32).reshape(len(short), width)
        inside = np.arange(width)[None, :] < lens[short, None]
        cc = (cp < 32) | ((cp >= 127) & (cp <= 159))
        bad[short] = (cc & inside).any(axis=1)
    return bad


def first_rows(ids: np.ndarray) -> np.ndarray:
    """Position of the first row holding the same id as each row."""
    codes, _ = pd.factorize(ids)
    first = np.full(codes.max() + 1 if len(codes) else 0, -1, dtype=np.int64)
    order = np.arange(len(codes))[::-1]
    first[codes[order]] = order  # the last write wins: the first occurrence
    return first[codes]
