"""Land-use codes, always read together with their classification scheme.

The same code means different things in different Chinese classifications: ``1001`` is
industrial land in the 2020 land and sea use classification but railway land in
GB/T 21010-2017; ``0804`` is education in 2020 but research in GB/T 21010-2017; ``1101`` is
logistics and storage in 2020 but a river surface in GB/T 21010-2017. A code is therefore only
resolved with its scheme, or without one when every scheme that knows the code agrees on
what it means.

Schemes (keys, with the aliases accepted case-insensitively):

``"2020"``
    国土空间调查、规划、用途管制用地用海分类指南 (trial edition 2020, official edition 2023).
    Where the two editions numbered a class differently (e.g. 1311/1312, 2302/2303) both
    meanings belong to the same broad land class, and the table names both.
``"gbt21010-2017"``
    GB/T 21010-2017 土地利用现状分类.
``"tdsurvey3"``
    第三次全国国土调查工作分类 (三调), GB/T 21010-2017 with merged classes such as 05H1, 08H1
    and 08H2.

Every code maps to a broad *land class* (:data:`LAND_CLASSES`), the vocabulary the rest of the
library compares. Some survey classes merge several land classes (三调 08H2 科教文卫用地 covers
education, research, culture, health, sports and welfare); they get a composite class whose
members are listed in :data:`COMPOSITE_CLASSES`. First-level groups that mix classes (e.g. 2020
``10`` 工矿用地) are in the table with no class: they are recognised, but too coarse to resolve.

The tables are in ``tables/landuse_codes.csv`` and are read on first use, not at import.
"""

from __future__ import annotations

import functools
import logging
import math
import numbers
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Final

import numpy as np
import pandas as pd

from assetmatch._errors import LandUseError, Problem, ValidationError

logger = logging.getLogger(__name__)

#: Scheme keys, in the order used when several schemes could apply.
SCHEMES: Final[tuple[str, ...]] = ("2020", "gbt21010-2017", "tdsurvey3")

#: Human-readable names of the schemes (used in messages).
SCHEME_NAMES: Final[dict[str, str]] = {
    "2020": "the 2020 classification (国土空间调查、规划、用途管制用地用海分类指南)",
    "gbt21010-2017": "GB/T 21010-2017 (土地利用现状分类)",
    "tdsurvey3": "the third national land survey classification (三调)",
}
_SHORT_SCHEME_NAMES: Final[dict[str, str]] = {
    "2020": "the 2020 classification",
    "gbt21010-2017": "GB/T 21010-2017",
    "tdsurvey3": "the third national land survey classification (三调)",
}

_SCHEME_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "2020": (
        "2020",
        "2023",
        "nlsuc2020",
        "nlsuc",
        "用地用海分类",
        "用地用海",
        "国土空间用地用海分类",
        "国土空间调查、规划、用途管制用地用海分类指南",
        "国土空间调查规划用途管制用地用海分类指南",
    ),
    "gbt21010-2017": (
        "gbt21010-2017",
        "gb/t21010-2017",
        "gb/t 21010-2017",
        "gb21010-2017",
        "gbt21010",
        "gb/t21010",
        "21010",
        "21010-2017",
        "土地利用现状分类",
    ),
    "tdsurvey3": (
        "tdsurvey3",
        "三调",
        "sandiao",
        "第三次全国国土调查",
        "第三次全国国土调查工作分类",
        "三调工作分类",
    ),
}

#: Land classes: key → (Chinese name, English name).
LAND_CLASSES: Final[dict[str, tuple[str, str]]] = {
    "industrial": ("工业用地", "industrial"),
    "mining": ("采矿用地", "mining"),
    "logistics_storage": ("物流仓储用地", "logistics and storage"),
    "education": ("教育用地", "education"),
    "research": ("科研用地", "research"),
    "commercial": ("商业用地", "commercial"),
    "business_finance": ("商务金融用地", "business and finance"),
    "residential": ("居住用地", "residential"),
    "public_admin": ("机关团体用地", "public administration"),
    "culture": ("文化用地", "culture"),
    "medical": ("医疗卫生用地", "medical and health"),
    "sports": ("体育用地", "sports"),
    "social_welfare": ("社会福利用地", "social welfare"),
    "railway": ("铁路用地", "railway"),
    "road": ("道路用地", "road"),
    "transport": ("其他交通运输用地", "other transport (airports, ports, stations, pipelines)"),
    "public_utility": ("公用设施用地", "public utility"),
    "green_space": ("绿地与开敞空间用地", "green and open space"),
    "agricultural": ("农用地", "agricultural (farmland, orchards, forest, grassland)"),
    "other": ("其他", "other (water, wetland, special, unused)"),
    # composite classes of merged survey categories
    "education_research_culture_medical": (
        "科教文卫用地",
        "education, research, culture and health (merged)",
    ),
    "commercial_services": ("商业服务业用地", "commercial and business services (merged)"),
}

#: Composite classes and the land classes they cover.
COMPOSITE_CLASSES: Final[dict[str, frozenset[str]]] = {
    "education_research_culture_medical": frozenset(
        {"education", "research", "culture", "medical", "sports", "social_welfare"}
    ),
    "commercial_services": frozenset({"commercial", "business_finance"}),
}


def class_members(land_class: str) -> frozenset[str]:
    """Return the simple land classes a class covers (itself, or a composite's members)."""
    return COMPOSITE_CLASSES.get(land_class, frozenset({land_class}))


@dataclass(frozen=True)
class LandUse:
    """A resolved land-use code.

    Attributes
    ----------
    code
        The code as normalised (upper case, no spaces), e.g. ``"1001"`` or ``"05H1"``.
    scheme
        Scheme key, one of :data:`SCHEMES`.
    land_class
        Broad land class, a key of :data:`LAND_CLASSES` (possibly a composite).
    name_zh, name_en
        Names of the code in its scheme.
    """

    code: str
    scheme: str
    land_class: str
    name_zh: str
    name_en: str

    @property
    def land_classes(self) -> frozenset[str]:
        """Simple land classes this code covers (several for a merged survey class)."""
        return class_members(self.land_class)


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class _Tables:
    frame: pd.DataFrame
    by_key: dict[
        tuple[str, str], tuple[str, str, str, str]
    ]  # (scheme, code) → class, zh, en, parent
    by_code: dict[str, list[str]]  # code → schemes that list it
    by_name: dict[str, list[tuple[str, str]]]  # name_zh → [(scheme, code)]


@functools.cache
def _tables() -> _Tables:
    path = resources.files("assetmatch.domain").joinpath("tables/landuse_codes.csv")
    with path.open("r", encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
    by_key: dict[tuple[str, str], tuple[str, str, str, str]] = {}
    by_code: dict[str, list[str]] = {}
    by_name: dict[str, list[tuple[str, str]]] = {}
    for scheme, code, land_class, name_zh, name_en, parent in frame.itertuples(index=False):
        by_key[(scheme, code)] = (land_class, name_zh, name_en, parent)
        by_code.setdefault(code, []).append(scheme)
        by_name.setdefault(_name_key(name_zh), []).append((scheme, code))
    logger.debug("loaded %d land-use codes in %d schemes", len(frame), len(SCHEMES))
    return _Tables(frame=frame, by_key=by_key, by_code=by_code, by_name=by_name)


def codes_table() -> pd.DataFrame:
    """Return a copy of the code table (columns scheme, code, land_class, name_zh, name_en, parent).

    ``land_class`` is empty for first-level groups that mix several classes.
    """
    return _tables().frame.copy()


# --------------------------------------------------------------------------- normalising


def _name_key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


@functools.cache
def _scheme_lookup() -> dict[str, str]:
    out: dict[str, str] = {}
    for key, aliases in _SCHEME_ALIASES.items():
        for alias in aliases:
            out[_name_key(alias)] = key
            out[_name_key(alias).replace("/", "")] = key
    return out


def scheme_key(scheme: str) -> str:
    """Return the key of a scheme name or alias (``"GB/T 21010-2017"`` → ``"gbt21010-2017"``).

    Raises
    ------
    LandUseError
        If the name is not a known scheme or alias.
    """
    key = _scheme_lookup().get(_name_key(str(scheme)))
    if key is None:
        raise LandUseError(
            f"Unknown land-use scheme {scheme!r}; expected one of {', '.join(SCHEMES)} "
            "(aliases such as 'GB/T 21010-2017', '三调' and '用地用海分类' are accepted)."
        )
    return key


def normalize_code(code: object) -> str:
    """Normalise a land-use code as typed or read from a spreadsheet.

    Strips spaces, upper-cases letters (``05h1`` → ``05H1``) and restores the leading zero a
    spreadsheet drops from a numeric code (``601`` or ``601.0`` → ``0601``, ``80401`` →
    ``080401``): codes have an even number of digits.
    """
    if isinstance(code, numbers.Integral):
        text = str(int(code))
    elif isinstance(code, numbers.Real):
        value = float(code)
        if not math.isfinite(value) or value != int(value):
            return str(code)
        text = str(int(value))
    else:
        text = "".join(unicodedata.normalize("NFKC", str(code)).split()).upper()
        if text.endswith(".0") and text[:-2].isdigit():
            text = text[:-2]
    if text.isdigit() and len(text) % 2 == 1:
        text = "0" + text
    return text


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


# --------------------------------------------------------------------------- resolving


def _class_phrase(land_class: str) -> str:
    return land_class if land_class else "a first-level group (too coarse)"


def _examples(scheme: str) -> str:
    frame = _tables().frame
    picks = []
    for wanted in ("industrial", "logistics_storage", "education", "research", "commercial"):
        rows = frame[
            (frame["scheme"] == scheme)
            & (frame["land_class"] == wanted)
            & (frame["code"].str.len() == 4)
        ]
        if len(rows):
            picks.append(f"{rows['code'].iloc[0]} {rows['name_zh'].iloc[0]}")
    return ", ".join(picks)


def _from_table(code: str, scheme: str, given: str) -> LandUse:
    land_class, name_zh, name_en, _parent = _tables().by_key[(scheme, code)]
    if not land_class:
        children = [c for (s, c), row in _tables().by_key.items() if s == scheme and row[3] == code]
        raise LandUseError(
            f"Land-use code {given!r} is the first-level group {name_zh} ({name_en}) in "
            f"{_SHORT_SCHEME_NAMES[scheme]}, too coarse to say what the land is for; give a "
            f"second-level code such as {', '.join(children[:6])}."
        )
    return LandUse(
        code=code, scheme=scheme, land_class=land_class, name_zh=name_zh, name_en=name_en
    )


def _resolve_in_scheme(code: str, scheme: str, given: str) -> LandUse:
    by_key = _tables().by_key
    if (scheme, code) in by_key:
        return _from_table(code, scheme, given)
    # a finer local subdivision (e.g. an 8-digit provincial code) of a known code
    for cut in (6, 4):
        if len(code) > cut and code[:cut].isdigit() and (scheme, code[:cut]) in by_key:
            parent = _from_table(code[:cut], scheme, given)
            logger.debug("land-use code %s resolved through its parent %s", code, code[:cut])
            return LandUse(code, scheme, parent.land_class, parent.name_zh, parent.name_en)
    by_name = _tables().by_name.get(_name_key(given), [])
    for name_scheme, name_code in by_name:
        if name_scheme == scheme:
            return _from_table(name_code, scheme, given)
    raise LandUseError(
        f"Unknown land-use code {given!r} in {_SHORT_SCHEME_NAMES[scheme]}; valid codes include "
        f"{_examples(scheme)}."
    )


def _resolve_by_name(given: str) -> LandUse | None:
    hits = _tables().by_name.get(_name_key(given), [])
    if not hits:
        return None
    in_2020 = [code for scheme, code in hits if scheme == "2020"]
    if in_2020:
        return _from_table(in_2020[0], "2020", given)
    by_key = _tables().by_key
    classes = {by_key[hit][0] for hit in hits}
    if len(classes) > 1:
        listing = ", ".join(f"{c} {_SHORT_SCHEME_NAMES[s]}" for s, c in hits)
        raise LandUseError(
            f"Land-use name {given!r} means different classes in different schemes "
            f"({listing}); give land_use_scheme."
        )
    scheme, code = hits[0]
    return _from_table(code, scheme, given)


def resolve(code: object, scheme: str | None = None) -> LandUse:
    """Resolve a land-use code (or a Chinese class name) to its land class.

    Parameters
    ----------
    code
        A code such as ``"1001"``, ``"080401"`` or ``"05H1"`` (a number such as ``601`` read
        from a spreadsheet is zero-padded), or a Chinese class name such as ``"工业用地"``.
    scheme
        Scheme key or alias. Without it the code is accepted only when every scheme that
        knows it agrees on its land class; a class name is then looked up in the 2020
        classification first.

    Returns
    -------
    LandUse
        The code, its scheme and land class. A finer code (e.g. six digits ``100101``, or a
        local eight-digit subdivision) resolves to its parent's class.

    Raises
    ------
    LandUseError
        If the code is unknown in the scheme, too coarse (a first-level group that mixes
        classes), or ambiguous without a scheme; the message says why and what to give.
    """
    if _is_missing(code):
        raise LandUseError("Land-use code is missing.")
    given = str(code).strip()
    text = normalize_code(code)
    if scheme is not None:
        return _resolve_in_scheme(text, scheme_key(scheme), given)

    schemes = _tables().by_code.get(text, [])
    if not schemes:
        named = _resolve_by_name(given)
        if named is not None:
            return named
        raise LandUseError(
            f"Unknown land-use code {given!r}: it is in none of the schemes "
            f"{', '.join(SCHEMES)}. Valid codes include {_examples('2020')} (2020 "
            f"classification) and {_examples('gbt21010-2017')} (GB/T 21010-2017)."
        )
    meanings: dict[str, list[str]] = {}
    for s in SCHEMES:
        if s in schemes:
            land_class = _tables().by_key[(s, text)][0]
            meanings.setdefault(land_class, []).append(s)
    if len(meanings) == 1 and "" not in meanings:
        return _from_table(text, schemes[0] if "2020" not in schemes else "2020", given)
    if len(meanings) == 1:
        return _from_table(text, schemes[0], given)  # raises: too coarse
    parts = [
        f"{_class_phrase(cls)} in {' and '.join(_SHORT_SCHEME_NAMES[s] for s in ss)}"
        for cls, ss in meanings.items()
    ]
    listing = ", ".join(parts[:-1]) + " and " + parts[-1]
    raise LandUseError(
        f"land-use code {given!r} is ambiguous without its scheme: it means {listing}; "
        "give land_use_scheme."
    )


def resolve_many(
    codes: Sequence[object] | np.ndarray | pd.Series,
    schemes: Sequence[object] | np.ndarray | pd.Series | str | None = None,
    default_scheme: str | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Resolve many land-use codes at once, collecting every problem.

    Work is done once per distinct (code, scheme) pair, so an import of 100,000 rows with a
    few dozen distinct codes costs a few dozen look-ups.

    Parameters
    ----------
    codes
        Codes or Chinese class names; missing values stay missing without a problem.
    schemes
        One scheme per row (missing values fall back to ``default_scheme``), or one scheme
        for all rows.
    default_scheme
        Scheme for rows without one. If None, such rows resolve only when unambiguous.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (normalised), ``scheme`` (key) and ``land_class``, indexed like
        ``codes`` (a Series keeps its index). Rows with a problem have no ``land_class``.
    list of Problem
        One per failing row, with ``field="land_use"`` (or ``"land_use_scheme"`` for an
        unknown scheme name) and the reason.
    """
    index = codes.index if isinstance(codes, pd.Series) else pd.RangeIndex(len(codes))
    code_arr = np.asarray(codes, dtype=object).ravel()
    n = len(code_arr)
    if schemes is None or isinstance(schemes, str):
        scheme_arr = np.full(n, schemes, dtype=object)
    else:
        scheme_arr = np.asarray(schemes, dtype=object).ravel()
        if len(scheme_arr) != n:
            raise ValidationError(
                f"The 'schemes' parameter of resolve_many must have one value per code "
                f"({n}). Got {len(scheme_arr)} instead."
            )
    if default_scheme is not None:
        default_scheme = scheme_key(default_scheme)

    code_ids, code_uni = pd.factorize(pd.Series(code_arr, dtype=object), use_na_sentinel=True)
    scheme_ids, scheme_uni = pd.factorize(pd.Series(scheme_arr, dtype=object), use_na_sentinel=True)
    pair = code_ids.astype(np.int64) * (len(scheme_uni) + 1) + (scheme_ids + 1)
    uniq, first, inverse = np.unique(pair, return_index=True, return_inverse=True)

    out_code = np.empty(len(uniq), dtype=object)
    out_scheme = np.empty(len(uniq), dtype=object)
    out_class = np.empty(len(uniq), dtype=object)
    out_error: list[tuple[str, str] | None] = [None] * len(uniq)
    for k, row in enumerate(first):
        cid, sid = code_ids[row], scheme_ids[row]
        raw_scheme = scheme_uni[sid] if sid >= 0 else None
        if raw_scheme is not None and _is_missing(raw_scheme):
            raw_scheme = None
        if cid < 0 or _is_missing(code_uni[cid]):
            out_code[k] = out_scheme[k] = out_class[k] = None
            continue
        raw_code = code_uni[cid]
        out_code[k] = normalize_code(raw_code)
        try:
            key = scheme_key(raw_scheme) if raw_scheme is not None else default_scheme
        except LandUseError as exc:
            out_scheme[k] = out_class[k] = None
            out_error[k] = ("land_use_scheme", str(exc))
            continue
        try:
            found = resolve(raw_code, key)
        except LandUseError as exc:
            out_scheme[k], out_class[k] = key, None
            out_error[k] = ("land_use", str(exc))
            continue
        out_code[k], out_scheme[k], out_class[k] = found.code, found.scheme, found.land_class

    frame = pd.DataFrame(
        {
            "code": pd.Series(out_code[inverse], index=index, dtype=object),
            "scheme": pd.Series(out_scheme[inverse], index=index, dtype=object),
            "land_class": pd.Series(out_class[inverse], index=index, dtype=object),
        },
        index=index,
    )
    problems: list[Problem] = []
    failing = [k for k, err in enumerate(out_error) if err is not None]
    if failing:
        for pos in np.flatnonzero(np.isin(inverse, failing)):
            field, reason = out_error[inverse[pos]]  # type: ignore[misc]
            problems.append(Problem(row=index[pos], field=field, reason=reason))
    logger.info(
        "resolved %d land-use codes (%d distinct code/scheme pairs), %d problems",
        n,
        len(uniq),
        len(problems),
    )
    return frame, problems


def crosswalk(code: object, from_scheme: str, to_scheme: str) -> list[str]:
    """List the codes of another scheme that cover the same land class.

    Parameters
    ----------
    code
        Code in ``from_scheme``.
    from_scheme, to_scheme
        Scheme keys or aliases.

    Returns
    -------
    list of str
        Codes of ``to_scheme`` whose land class overlaps the code's class (a composite class
        such as 三调 08H2 overlaps each of its members), sorted. Codes whose parent is
        also listed, and first-level groups, are left out. May hold several codes or none.

    Examples
    --------
    >>> crosswalk("1001", "2020", "gbt21010-2017")
    ['0601']
    """
    source = resolve(code, from_scheme)
    target = scheme_key(to_scheme)
    wanted = source.land_classes
    frame = _tables().frame
    sub = frame[(frame["scheme"] == target) & (frame["land_class"] != "")]
    hits = [
        (row.code, row.parent)
        for row in sub.itertuples()
        if len(row.code) > 2 and class_members(row.land_class) & wanted
    ]
    listed = {c for c, _ in hits}
    return sorted(c for c, parent in hits if parent not in listed)
