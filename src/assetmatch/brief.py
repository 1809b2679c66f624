"""Briefs in Chinese: the way staff write them, read into :class:`~assetmatch.Requirements`.

``"教育项目，约170亩，现成厂房6万平方米以上，租金每平方米每月18元以内，半年内入驻，先租后让"``
becomes ``industry="P83"``, ``land_area_mu=(153, 187)``, ``building_area_m2=(60000, None)``,
``max_rent_yuan_m2_month=18``, ``ready_within_days=180``, ``tenure=["lease_then_transfer"]``.

Rules and one vocabulary table, no network and no language model. Every word the parser
knows is a row of ``domain/tables/brief_vocabulary.csv`` (kind, term, value, note, source):
units (亩, 公顷, 平方米/㎡, 万, 元, kVA, 吨/平方米, 米, 公里), bounds (以上, 以内,
不超过, 不少于, 约, 左右, 至), field words (用地, 厂房, 租金, 地价, 层高, 承重,
供电容量), periods (半年, 三个月, 年底前, 6月底前), tenure words (先租后让, 租赁,
出让, 法拍), land uses, industries (common names to GB/T 4754-2017 divisions),
districts, and the words to ignore (项目, 需要, 的 …). The conventions the table
states are the parser's, not a standard: about (约/左右) is ±10 %; a month is 30 days; a bare
land area reads as about, a bare floor area as a minimum, a bare rent or price as a maximum.

Nothing is dropped silently. The text is NFKC-normalised (full-width digits and punctuation, ㎡
→ m2), Chinese numerals become digits (一百七十 → 170, 两千 → 2000), and the text is cut into
fragments at commas, full stops, semicolons and spaces. Each fragment is read by the rules; any
character no rule used (apart from the ignorable words and punctuation) makes the fragment
*unparsed*. :func:`parse_brief` returns what it understood, the fragments it could not read and
the Requirements (when they validate); :meth:`assetmatch.Requirements.from_text` raises one
:class:`assetmatch.ValidationError` listing every unparsed fragment instead.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Any, Final

from ._errors import Problem, ValidationError
from .requirements import DEFAULT_MUST, Requirements

__all__ = ["ParsedBrief", "Understood", "parse_brief", "vocabulary"]

#: About (约, 左右): the value ± this share (the vocabulary table's convention).
APPROX_SHARE: Final = 0.10

_SPLIT_RE: Final = re.compile(r"[,;。!?\n\r\t]+| +(?![A-Za-z])|(?<!\d)\.|\.(?!\d)")
_NUM: Final = r"\d+(?:\.\d+)?"
_CN_DIGITS: Final = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS: Final = {"十": 10, "百": 100, "千": 1000}
_CN_BIG: Final = {"万": 10_000, "亿": 100_000_000}
_CN_RUN: Final = re.compile(r"[零〇一二两三四五六七八九十百千万亿点]+")
#: Characters that never make a fragment unparsed.
_IGNORABLE: Final = re.compile(r"[\s、:()\[\]\"'“”‘’/·,，;]")
_CRITERION_OF_FIELD: Final = {
    "land": "size",
    "building": "building",
    "rent": "cost",
    "price": "cost",
    "height": "specs",
    "load": "specs",
    "power": "specs",
    "deadline": "readiness",
    "tenure": "tenure",
    "district": "district",
    "land_use": "land_use",
    "avoid": "conflicts",
}


# ---------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class _Vocab:
    by_kind: dict[str, dict[str, str]]

    def terms(self, kind: str) -> list[str]:
        """Terms of a kind, longest first (so 先租后让 wins over 租)."""
        return sorted(self.by_kind.get(kind, {}), key=len, reverse=True)

    def alt(self, *kinds: str) -> str:
        terms = sorted({t for k in kinds for t in self.by_kind.get(k, {})}, key=len, reverse=True)
        return "|".join(re.escape(t) for t in terms if t)

    def value(self, kind: str, term: str) -> str:
        return self.by_kind[kind][term]


@functools.cache
def _vocab() -> _Vocab:
    by_kind: dict[str, dict[str, str]] = {}
    for row in vocabulary():
        by_kind.setdefault(row["kind"], {})[row["term"]] = row["value"]
    # every class name of the 2020 land-use table (科研用地, 二类工业用地 …) besides the rows above
    from .domain.landuse import codes_table

    codes = codes_table()
    codes = codes[(codes["scheme"] == "2020") & (codes["code"].str.len() >= 4)]
    names = by_kind.setdefault("land_use", {})
    for name, code in zip(codes["name_zh"], codes["code"], strict=True):
        if str(name).endswith("用地"):
            names.setdefault(str(name), str(code))
    return _Vocab(by_kind)


@functools.cache
def _vocabulary_rows() -> tuple[dict[str, str], ...]:
    path = resources.files("assetmatch.domain").joinpath("tables", "brief_vocabulary.csv")
    with path.open(encoding="utf-8") as fh:
        return tuple(dict(r) for r in csv.DictReader(fh))


def vocabulary() -> list[dict[str, str]]:
    """The parser's vocabulary: rows of ``kind, term, value, note, source``.

    Read from ``assetmatch/domain/tables/brief_vocabulary.csv`` the first time it is asked for.
    """
    return [dict(r) for r in _vocabulary_rows()]


# ---------------------------------------------------------------------- result


@dataclass(frozen=True)
class Understood:
    """One thing the parser read: the fragment, the field it set and the value."""

    fragment: str
    field: str
    value: Any


@dataclass
class ParsedBrief:
    """What :func:`parse_brief` made of a text.

    Attributes
    ----------
    text
        The text as given.
    fields
        The Requirements fields read (a dict for :class:`~assetmatch.Requirements`).
    understood
        What was read, fragment by fragment.
    unparsed
        ``(fragment, leftover)`` for every fragment with words no rule used.
    problems
        Problems of the fields read (e.g. a minimum above its maximum), from validation.
    requirements
        The Requirements, or ``None`` when the fields do not validate.
    """

    text: str
    fields: dict[str, Any] = field(default_factory=dict)
    understood: list[Understood] = field(default_factory=list)
    unparsed: list[tuple[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    requirements: Requirements | None = None

    @property
    def complete(self) -> bool:
        """Whether every fragment was read and the fields validate."""
        return not self.unparsed and not self.problems and self.requirements is not None

    def all_problems(self) -> list[Problem]:
        """The unparsed fragments and the validation problems, as one list."""
        out = [
            Problem(None, "text", f"could not read {leftover!r} in {frag!r}")
            for frag, leftover in self.unparsed
        ]
        return out + list(self.problems)


# ---------------------------------------------------------------------- numbers


def _cn_value(s: str) -> float | None:
    """Value of a Chinese numeral (一百七十, 两千, 六万, 一点五, 十八), or None when malformed."""
    if not s or s == "点":
        return None
    if "点" in s:
        whole, _, frac = s.partition("点")
        if not frac or any(c not in _CN_DIGITS for c in frac):
            return None
        w = _cn_value(whole) if whole else 0.0
        if w is None:
            return None
        return float(f"{int(w)}.{''.join(str(_CN_DIGITS[c]) for c in frac)}")
    total, section, digit = 0, 0, None
    last_unit = 10**9
    last_big = 10**12
    for ch in s:
        if ch in _CN_DIGITS:
            if digit is not None and _CN_DIGITS[ch] != 0 and digit != 0:
                return None  # two digits in a row (一二) is not a number here
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            u = _CN_UNITS[ch]
            if u >= last_unit:
                return None
            section += (1 if digit is None else digit) * u
            digit, last_unit = None, u
        else:  # 万 / 亿
            b = _CN_BIG[ch]
            if b >= last_big:
                return None
            total += (section + (digit or 0)) * b
            section, digit, last_unit, last_big = 0, None, 10**9, b
    return float(total + section + (digit or 0))


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _convert_numerals(s: str, followers: re.Pattern[str]) -> str:
    """Replace Chinese numerals followed by a unit, bound or separator with digits."""
    out, pos = [], 0
    for m in _CN_RUN.finditer(s):
        run, start = m.group(), m.start()
        done = False
        for end in range(len(run), 0, -1):
            part = run[:end]
            v = _cn_value(part)
            rest = s[start + end :]
            if v is None or not (rest == "" or followers.match(rest)):
                continue
            if part in ("百", "千", "万", "亿"):
                continue  # a bare 万 / 千 is a multiplier or a unit prefix, not a number
            out.append(s[pos:start])
            out.append(_fmt(v))
            pos = start + end
            done = True
            break
        if not done:
            continue
    out.append(s[pos:])
    return "".join(out)


def _apply_multipliers(s: str) -> str:
    def mult(m: re.Match[str]) -> str:
        return _fmt(float(m.group(1)) * (10_000 if m.group(2) == "万" else 100_000_000))

    return re.sub(rf"({_NUM})\s*(万|亿)(?!伏)", mult, s)


# ---------------------------------------------------------------------- the parser


@dataclass
class _Frag:
    """One fragment being read: its text and which characters a rule used."""

    original: str
    text: str
    used: list[bool]

    @classmethod
    def of(cls, original: str, text: str) -> _Frag:
        return cls(original, text, [False] * len(text))

    def free(self, start: int, end: int) -> bool:
        return not any(self.used[start:end])

    def take(self, start: int, end: int) -> None:
        for i in range(start, end):
            self.used[i] = True

    def find_terms(self, terms: Iterable[str]) -> list[tuple[int, int, str]]:
        """Unused occurrences of terms (longest first, non-overlapping), in text order."""
        hits: list[tuple[int, int, str]] = []
        for t in terms:
            if not t:
                continue
            for m in re.finditer(re.escape(t), self.text):
                a, b = m.start(), m.end()
                if self.free(a, b) and all(b <= x or a >= y for x, y, _ in hits):
                    hits.append((a, b, t))
        return sorted(hits)

    def leftover(self, fillers: Iterable[str]) -> str:
        """The unused text ('' when only ignorable words and punctuation are left)."""
        chars = [c if not u else " " for c, u in zip(self.text, self.used, strict=True)]
        rest = "".join(chars)
        meaningful = rest
        for f in fillers:
            meaningful = meaningful.replace(f, " ")
        if not _IGNORABLE.sub(" ", meaningful).strip():
            return ""
        return " ".join(_IGNORABLE.sub(" ", rest).split())


class _Reader:
    def __init__(self, text: str, as_of: date) -> None:
        self.v = _vocab()
        self.as_of = as_of
        self.out = ParsedBrief(text=text)
        self.fields: dict[str, Any] = {}
        self.must: list[str] = []
        self.near_same = False
        self.industry_from_name: str | None = None
        v = self.v
        units = v.alt(
            "area_unit",
            "money_unit",
            "power_unit",
            "load_unit",
            "height_unit",
            "distance_unit",
            "time_unit",
            "multiplier",
            "bound",
            "range_sep",
        )
        self.followers = re.compile(rf"(?:\s*(?:{units}|个|[%~\-—–]|$))")
        self.unit_re = {
            k: re.compile(rf"\s*({v.alt(k)})")
            for k in (
                "area_unit",
                "money_unit",
                "power_unit",
                "load_unit",
                "height_unit",
                "distance_unit",
                "time_unit",
            )
        }
        self.sep_re = re.compile(rf"\s*({v.alt('range_sep')})\s*({_NUM})")
        self.post_re = re.compile(rf"\s*({v.alt('bound')})")
        self.pre_re = re.compile(rf"({v.alt('bound')})\s*$")
        self.per_area_re = re.compile(rf"({v.alt('per_area')})")
        self.period_re = re.compile(rf"({v.alt('rent_period')})")
        # A space typed inside a quantity is not a clause break ("租金 18 元 以内", "100 到 200
        # 亩"): after a number before a unit or word, between a word and a number, and before
        # a bound word (以内, 以上, 左右…) that follows a number or unit.
        self.spaced_re = re.compile(
            r"(?<=\d) +(?=[^\sA-Za-z\d,;。!?.])|(?<=[\u3400-\u9fff~\-—–]) +(?=\d)"
            rf"|(?<=[\d\u3400-\u9fff/²㎡]) +(?=(?:{v.alt('bound')})(?:[\s,;。!?.]|$))"
        )

    # -------------------------------------------------------------- helpers

    def note(self, frag: _Frag, name: str, value: Any) -> None:
        self.out.understood.append(Understood(frag.original, name, value))

    def set_field(self, frag: _Frag, name: str, value: Any) -> bool:
        if name in self.fields and self.fields[name] != value:
            self.out.unparsed.append(
                (frag.original, f"{name} given twice ({self.fields[name]!r} and {value!r})")
            )
            return False
        self.fields[name] = value
        self.note(frag, name, value)
        return True

    def industry_code(self, term: str) -> str:
        return self.v.value("industry", term)

    # -------------------------------------------------------------- main

    def read(self) -> ParsedBrief:
        text = self.out.text
        norm = self.spaced_re.sub("", unicodedata.normalize("NFKC", text))
        for original in [p for p in _SPLIT_RE.split(norm) if p and p.strip()]:
            rest = self._investor(original)
            frag = _Frag.of(original, self._prepare(rest.lower()))
            self._fragment(frag)
        self._finish()
        return self.out

    def _prepare(self, s: str) -> str:
        v = self.v
        # period words that hold numerals: 一年半, 半年, 半个月 -> N天
        for term in sorted(
            (t for t, val in v.by_kind.get("time_word", {}).items() if _is_number(val)),
            key=len,
            reverse=True,
        ):
            s = s.replace(term, f"{_fmt(float(v.value('time_word', term)))}天")
        s = _convert_numerals(s, self.followers)
        return _apply_multipliers(s)

    def _fragment(self, frag: _Frag) -> None:
        unsupported = frag.find_terms(self.v.terms("unsupported"))
        if unsupported:  # 行车 (crane), 租期 (lease term): no field; the fragment is not read
            what = "; ".join(f"{t}: {self.v.value('unsupported', t)}" for _, _, t in unsupported)
            self.out.unparsed.append((frag.original, what))
            return
        has_must = bool(frag.find_terms(self.v.terms("must")))
        for a, b, _ in frag.find_terms(self.v.terms("must")):
            frag.take(a, b)
        before = len(self.out.understood)
        self._priorities(frag)
        self._avoid_near(frag)
        self._dates(frag)
        self._land_use(frag)
        self._quantities(frag)
        self._words(frag)
        leftover = frag.leftover(self.v.terms("filler"))
        reported = any(f == frag.original for f, _ in self.out.unparsed)
        if leftover and not reported:
            self.out.unparsed.append((frag.original, leftover))
        if has_must:
            crits = [
                _CRITERION_OF_FIELD[u.field if u.field in _CRITERION_OF_FIELD else _kind(u.field)]
                for u in self.out.understood[before:]
                if (u.field in _CRITERION_OF_FIELD or _kind(u.field) in _CRITERION_OF_FIELD)
            ]
            if not crits:
                self.out.unparsed.append((frag.original, "必须: which requirement is a must?"))
            self.must.extend(crits)

    # -------------------------------------------------------------- rules

    def _investor(self, original: str) -> str:
        """Read the investor's name (a label, or a name ending 公司/集团 at the start).

        Returns the rest of the fragment; the name keeps its case and spaces.
        """
        v = self.v
        m = re.match(rf"\s*({v.alt('investor_label')})\s*:?\s*(.+)$", original)
        if m:
            name = m.group(2).strip()
        else:
            m = re.match(rf"\s*([\w()（）]{{2,40}}?(?:{v.alt('investor_suffix')}))", original)
            if m is None or re.search(r"\d", m.group(1)):
                return original
            name = m.group(1)
        self.set_field(_Frag.of(original, original), "investor", name)
        self._industry_in_name(name)
        return original[: m.start()] + original[m.end() :]

    def _industry_in_name(self, name: str) -> None:
        for t in self.v.terms("industry"):
            if t in name:
                self.industry_from_name = self.industry_code(t)
                return

    def _priorities(self, frag: _Frag) -> None:
        v = self.v
        crit_alt = v.alt("criterion")
        lists = frag.find_terms(v.terms("priority_list"))
        if lists:
            a, b, _ = lists[0]
            frag.take(a, b)
            pri = dict(self.fields.get("priorities", {}))
            for m in re.finditer(rf"({crit_alt})\s*:?\s*([1-5])(?!\d)", frag.text):
                if frag.free(m.start(), m.end()):
                    pri[v.value("criterion", m.group(1))] = int(m.group(2))
                    frag.take(m.start(), m.end())
            if pri:
                self.fields["priorities"] = pri
                self.note(frag, "priorities", pri)
            return
        highs = frag.find_terms(v.terms("priority_high"))
        if highs:
            a, b, _ = highs[0]
            frag.take(a, b)
            pri = dict(self.fields.get("priorities", {}))
            for a2, b2, t in frag.find_terms(v.terms("criterion")):
                if a2 >= b:
                    pri[v.value("criterion", t)] = 5
                    frag.take(a2, b2)
            self.fields["priorities"] = pri
            self.note(frag, "priorities", pri)

    def _avoid_near(self, frag: _Frag) -> None:
        v = self.v
        for kind in ("avoid", "near"):
            hits = frag.find_terms(v.terms(kind))
            if not hits:
                continue
            a, b, _ = hits[0]
            frag.take(a, b)
            codes: list[str] = []
            for a2, b2, t in frag.find_terms(v.terms("industry")):
                if a2 >= b:
                    codes.append(self.industry_code(t))
                    frag.take(a2, b2)
            if kind == "near":
                for a2, b2, _ in frag.find_terms(v.terms("near_same")):
                    frag.take(a2, b2)
                    self.near_same = True
                if codes:
                    near = dict(self.fields.get("near_industries", {}))
                    near.update({c: 1.0 for c in codes})
                    self.fields["near_industries"] = near
                    self.note(frag, "near_industries", {c: 1.0 for c in codes})
                continue
            dist = float(v.value("avoid_default_m", ""))
            m = re.search(rf"({_NUM})\s*({v.alt('distance_unit')})", frag.text)
            if m and frag.free(m.start(), m.end()):
                dist = float(m.group(1)) * float(v.value("distance_unit", m.group(2)))
                frag.take(m.start(), m.end())
                post = self.post_re.match(frag.text, m.end())
                if post:
                    frag.take(post.start(1), post.end(1))
            if codes:
                avoid = dict(self.fields.get("avoid_industries", {}))
                avoid.update({c: dist for c in codes})
                self.fields["avoid_industries"] = avoid
                self.note(frag, "avoid_industries", {c: dist for c in codes})

    def _dates(self, frag: _Frag) -> None:
        """Deadlines given as dates: 2026年6月30日前, 6月底前, 年底前, 明年底."""
        s = frag.text
        y0 = self.as_of.year
        found: list[tuple[int, int, date]] = []
        for m in re.finditer(r"(\d{4})年(\d{1,2})月(\d{1,2})日", s):
            d = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if d is not None:
                found.append((m.start(), m.end(), d))
        for m in re.finditer(r"(?<![\d年])(\d{1,2})月(?:底|末)", s):
            month = int(m.group(1))
            if 1 <= month <= 12 and frag.free(m.start(), m.end()):
                d = _month_end(y0, month)
                if d < self.as_of:
                    d = _month_end(y0 + 1, month)
                found.append((m.start(), m.end(), d))
        for m in re.finditer(r"(\d{4})年(?:年)?底", s):
            if frag.free(m.start(), m.end()):
                found.append((m.start(), m.end(), date(int(m.group(1)), 12, 31)))
        for a, b, t in frag.find_terms(self.v.terms("time_word")):
            if any(x <= a < y for x, y, _ in found):
                continue
            val = self.v.value("time_word", t)
            if val in ("year_end", "next_year_end"):
                found.append((a, b, date(y0 + (val == "next_year_end"), 12, 31)))
        for a, b, d in found:
            if not frag.free(a, b):
                continue
            frag.take(a, b)
            post = self.post_re.match(s, b)
            if post and self.v.value("bound", post.group(1)) == "max":
                frag.take(post.start(1), post.end(1))
            self.set_field(frag, "ready_within_days", float(max(0, (d - self.as_of).days)))
            self._take_words(frag, "deadline_verb")

    def _quantities(self, frag: _Frag) -> None:
        s = frag.text
        for m in re.finditer(_NUM, s):
            a, b = m.start(), m.end()
            if not frag.free(a, b):
                continue
            if a > 0 and (
                s[a - 1].isdigit() or s[a - 1] == "." or (s[a - 1].isascii() and s[a - 1].isalpha())
            ):
                continue  # part of a number already read, or of a unit (m2, t/m2)
            self._quantity(frag, a, b, float(m.group()))

    def _quantity(self, frag: _Frag, a: int, b: int, x: float) -> None:
        s = frag.text
        v = self.v
        hi = None
        end = b
        unit_kind = unit = None
        sep = self.sep_re.match(s, end)
        unit_m = self._unit_at(s, end)
        if sep is None and unit_m is not None:
            sep2 = self.sep_re.match(s, unit_m[2])
            if sep2 is not None:
                sep, end = sep2, unit_m[2]
        if sep is not None:
            hi = float(sep.group(2))
            end = sep.end()
            unit_m = self._unit_at(s, end)
        if unit_m is not None:
            unit_kind, unit, end = unit_m
        # money: the per-area and per-period parts (18元/m2/月, 30万元/亩, 每平方米每月18元)
        per_area = period = None
        if unit_kind in ("money_unit", None):
            for _ in range(2):
                pa = self.per_area_re.match(s, end)
                if pa:
                    per_area, end = v.value("per_area", pa.group(1)), pa.end()
                pe = self.period_re.match(s, end)
                if pe:
                    period, end = v.value("rent_period", pe.group(1)), pe.end()
        bound = "range" if hi is not None else None
        post = self.post_re.match(s, end)
        pre = self.pre_re.search(s[:a])
        if bound is None and post is not None:
            bound = v.value("bound", post.group(1))
        elif bound is None and pre is not None:
            bound = v.value("bound", pre.group(1))
        field_ = self._field_for(frag, a, unit_kind, unit, per_area)
        if field_ is None:
            return  # left unused: the fragment is reported
        if field_ in ("rent", "price"):  # 每平方米每月18元, 日租0.5元/平方米
            for m in self.per_area_re.finditer(s) if per_area is None else ():
                if frag.free(m.start(), m.end()):
                    per_area = v.value("per_area", m.group(1))
                    frag.take(m.start(), m.end())
            for m in self.period_re.finditer(s) if period is None else ():
                if frag.free(m.start(), m.end()):
                    period = v.value("rent_period", m.group(1))
                    frag.take(m.start(), m.end())
        ok = self._assign(frag, field_, x, hi, bound, unit_kind, unit, per_area, period)
        if not ok:
            return
        frag.take(a, end)
        if post is not None:
            frag.take(post.start(1), post.end(1))
        if pre is not None:
            frag.take(pre.start(1), pre.end(1))
        self._take_words(frag, "field", only=_FIELD_WORDS.get(field_))
        if field_ == "deadline":
            self._take_words(frag, "deadline_verb")

    def _unit_at(self, s: str, pos: int) -> tuple[str, str, int] | None:
        best: tuple[str, str, int] | None = None
        for kind, rx in self.unit_re.items():
            m = rx.match(s, pos)
            if m and (best is None or m.end() > best[2]):
                best = (kind, m.group(1), m.end())
        return best

    def _field_for(
        self,
        frag: _Frag,
        a: int,
        unit_kind: str | None,
        unit: str | None,
        per_area: str | None,
    ) -> str | None:
        kw = self._keyword_near(frag, a)
        s = frag.text
        if unit_kind == "area_unit":
            if kw in ("land", "building"):
                return kw
            return "land" if unit in ("亩", "公顷") else None
        if unit_kind == "money_unit" or (unit_kind is None and kw in ("rent", "price")):
            if per_area == "mu" or kw == "price":
                return "price"
            if kw == "rent" or per_area == "m2" or self.per_area_re.search(s):
                return "rent"
            return None
        if unit_kind == "power_unit":
            return "power"
        if unit_kind == "load_unit":
            return "load" if (unit != "吨" or kw == "load") else None
        if unit_kind in ("height_unit", "distance_unit") and kw == "height":
            return "height"
        if unit_kind == "time_unit":
            verbs = frag.find_terms(self.v.terms("deadline_verb"))
            return "deadline" if verbs or kw is None else None
        return None

    def _keyword_near(self, frag: _Frag, a: int) -> str | None:
        """The field word nearest before position ``a`` (else the first after it)."""
        hits = [(x, y, t) for x, y, t in frag.find_terms(self.v.terms("field"))]
        # used words count too: a fragment may hold two quantities of one field
        hits += [
            (m.start(), m.end(), t)
            for t in self.v.terms("field")
            for m in re.finditer(re.escape(t), frag.text)
            if not frag.free(m.start(), m.end())
        ]
        before = [h for h in hits if h[1] <= a]
        if before:
            return self.v.value("field", max(before)[2])
        after = [h for h in hits if h[0] >= a]
        return self.v.value("field", min(after)[2]) if after else None

    def _assign(
        self,
        frag: _Frag,
        field_: str,
        x: float,
        hi: float | None,
        bound: str | None,
        unit_kind: str | None,
        unit: str | None,
        per_area: str | None,
        period: str | None,
    ) -> bool:
        v = self.v
        factor = 1.0
        if unit_kind is not None and unit is not None:
            raw = v.value(unit_kind, unit)
            factor = float(raw.split(":")[-1]) if ":" in raw else float(raw)
        if bound is None:
            bound = v.value("default_bound", "specs" if field_ in _SPECS else field_)
        rng = _range(x, hi, bound)
        if rng is None:
            return False
        lo_v, hi_v = rng
        if field_ in ("land", "building"):
            in_mu = (
                unit_kind == "area_unit"
                and unit is not None
                and v.value("area_unit", unit).startswith("mu")
            )
            scaled = (_scale(lo_v, factor), _scale(hi_v, factor))
            if field_ == "land":
                name = "land_area_mu" if in_mu else "land_area_m2"
                return self.set_field(frag, name, scaled)
            if in_mu:
                scaled = (_scale(scaled[0], 2000 / 3), _scale(scaled[1], 2000 / 3))
            return self.set_field(frag, "building_area_m2", scaled)
        if field_ in ("rent", "price", "deadline"):
            if hi_v is None or (lo_v is not None and bound not in ("max", "approx", "range")):
                self.out.unparsed.append((frag.original, f"a minimum {_FIELD_WORD_EN[field_]}?"))
                return False
            top = hi_v if bound in ("max",) else (hi_v if bound == "range" else x)
            value = top * factor
            if field_ == "deadline":
                return self.set_field(frag, "ready_within_days", value)
            if field_ == "price":
                if per_area == "m2":
                    value *= 2000 / 3
                return self.set_field(frag, "max_land_price_yuan_mu", value)
            name = "max_rent_yuan_m2_day" if period == "day" else "max_rent_yuan_m2_month"
            return self.set_field(frag, name, value)
        if field_ in _SPECS:
            if lo_v is None or bound == "max":
                self.out.unparsed.append((frag.original, f"a maximum {_FIELD_WORD_EN[field_]}?"))
                return False
            name = {
                "height": "min_floor_height_m",
                "load": "min_floor_load_kn_m2",
                "power": "min_power_kva",
            }[field_]
            return self.set_field(frag, name, round(x * factor, 6))
        return False

    def _take_words(self, frag: _Frag, kind: str, only: set[str] | None = None) -> None:
        for a, b, t in frag.find_terms(self.v.terms(kind)):
            if only is None or self.v.value(kind, t) in only:
                frag.take(a, b)

    def _land_use(self, frag: _Frag) -> None:
        for a, b, t in frag.find_terms(self.v.terms("land_use")):
            frag.take(a, b)
            self.set_field(frag, "land_use", self.v.value("land_use", t))

    def _words(self, frag: _Frag) -> None:
        v = self.v
        for a, b, t in frag.find_terms(v.terms("tenure")):
            frag.take(a, b)
            modes = list(self.fields.get("tenure", []))
            for mode in v.value("tenure", t).split("|"):
                if mode not in modes:
                    modes.append(mode)
            self.fields["tenure"] = modes
            self.note(frag, "tenure", v.value("tenure", t).split("|"))
        for a, b, t in frag.find_terms(v.terms("district")):
            frag.take(a, b)
            m = re.match(rf"({v.alt('district_suffix')})", frag.text[b:])
            if m:
                frag.take(b, b + m.end())
            districts = list(self.fields.get("districts", []))
            if v.value("district", t) not in districts:
                districts.append(v.value("district", t))
            self.fields["districts"] = districts
            self.note(frag, "districts", v.value("district", t))
        for a, b, t in frag.find_terms(v.terms("industry")):
            code = self.industry_code(t)
            if self.fields.get("industry", code) != code:
                continue  # a second industry is left unused and reported
            frag.take(a, b)
            if "industry" not in self.fields:
                self.set_field(frag, "industry", code)

    def _finish(self) -> None:
        f = self.fields
        if "industry" not in f and self.industry_from_name is not None:
            f["industry"] = self.industry_from_name
            self.out.understood.append(Understood("", "industry", self.industry_from_name))
        if self.near_same:
            if "industry" in f:
                near = {f["industry"]: 1.0, **f.get("near_industries", {})}
                f["near_industries"] = near
                self.out.understood.append(Understood("", "near_industries", near))
            else:
                self.out.unparsed.append(("同行/产业链", "near whose industry? give the industry"))
        if self.must:
            f["must"] = list(dict.fromkeys([*DEFAULT_MUST, *self.must]))
        self.out.fields = dict(f)
        try:
            self.out.requirements = Requirements(**f)
        except ValidationError as exc:
            self.out.problems = list(exc.problems)


_SPECS: Final = frozenset({"height", "load", "power"})
_FIELD_WORDS: Final[dict[str, set[str]]] = {
    "land": {"land"},
    "building": {"building"},
    "rent": {"rent"},
    "price": {"price"},
    "height": {"height"},
    "load": {"load"},
    "power": {"power"},
    "deadline": set(),
}
_FIELD_WORD_EN: Final = {
    "rent": "rent",
    "price": "land price",
    "deadline": "deadline",
    "height": "floor height",
    "load": "floor load",
    "power": "power",
}


def _kind(field_name: str) -> str:
    return {
        "land_area_mu": "land",
        "land_area_m2": "land",
        "building_area_m2": "building",
        "max_rent_yuan_m2_month": "rent",
        "max_rent_yuan_m2_day": "rent",
        "max_land_price_yuan_mu": "price",
        "min_floor_height_m": "height",
        "min_floor_load_kn_m2": "load",
        "min_power_kva": "power",
        "ready_within_days": "deadline",
        "districts": "district",
        "avoid_industries": "avoid",
    }.get(field_name, field_name)


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _scale(v: float | None, factor: float) -> float | None:
    return None if v is None else round(v * factor, 6)


def _range(x: float, hi: float | None, bound: str) -> tuple[float | None, float | None] | None:
    if bound == "range" and hi is not None:
        return (min(x, hi), max(x, hi))
    if bound == "min":
        return (x, None)
    if bound == "max":
        return (None, x)
    if bound == "approx":
        return (round(x * (1 - APPROX_SHARE), 6), round(x * (1 + APPROX_SHARE), 6))
    return None


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def parse_brief(text: str, *, as_of: date | str | None = None) -> ParsedBrief:
    """Read a brief written in Chinese into Requirements fields, reporting what it could not read.

    Parameters
    ----------
    text
        The brief, e.g. ``"教育项目，约170亩，现成厂房6万平方米以上，半年内入驻，先租后让"``.
    as_of
        The date deadlines such as 年底前 count from (default today).

    Returns
    -------
    ParsedBrief
        ``requirements`` (or ``None`` when the fields read do not validate), ``understood``,
        ``unparsed`` fragments and validation ``problems``; nothing is dropped silently.

    Raises
    ------
    assetmatch.ValidationError
        If ``text`` is not a non-empty string or ``as_of`` is not a date.

    Examples
    --------
    >>> p = parse_brief("电子项目，用地30-50亩，层高8米以上，先租后让")
    >>> p.requirements.industry, p.requirements.land_area_mu, p.requirements.tenure
    ('C39', (30.0, 50.0), ['lease_then_transfer'])
    >>> parse_brief("电子项目，要有员工宿舍").unparsed
    [('要有员工宿舍', '要有员工宿舍')]
    """
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(
            "The brief cannot be read (1 problem):",
            [Problem(None, "text", f"expected a non-empty text; got {text!r}")],
        )
    if as_of is None:
        day = date.today()
    elif isinstance(as_of, date):
        day = as_of
    else:
        try:
            day = date.fromisoformat(str(as_of))
        except ValueError:
            raise ValidationError(
                "The brief cannot be read (1 problem):",
                [Problem(None, "as_of", f"expected a date (YYYY-MM-DD); got {as_of!r}")],
            ) from None
    return _Reader(text, day).read()
