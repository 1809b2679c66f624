"""Land-use paths: what it takes to use land of one class for another.

An investor's intended use (say, an education campus) is often not the recorded use of the
site (say, an idle industrial plant). Whether that is a problem depends on the *path* from the
current land class to the intended one:

``allowed``
    The same class, or a compatible one (a manufacturer's own storage, 工业仓储, on industrial
    land). Nothing to do.
``transition``
    Allowed for a transition period without changing the recorded use, under a lease — only
    where the **zone's policy** recognises it. The transition policy for new industries and
    business forms (国土资规〔2015〕5号《关于支持新产业新业态发展促进大众创业万众创新用地的意见》,
    part 二 "鼓励盘活利用现有用地"; restated in 《产业用地政策实施工作指引（2019年版）》) lets
    existing plants be used for research, cultural and creative industries and other new forms
    for five years keeping the original use; it needs local recognition, does not list
    education, and the 2015 document ran for eight years. The bundled table therefore grants
    no transition; a zone records the rows it recognises with
    :meth:`assetmatch.Inventory.set_zone_policy` (:func:`with_zone_rules`;
    :func:`example_zone_policy` is the demo zone's).
``change_of_use``
    Needs a change of the planning conditions (城乡规划法第四十三条) and of the land contract
    with the land-price difference (城市房地产管理法第十八条); a public-service use (education,
    research, culture, health…) needs a soil contamination survey first (土壤污染防治法第五十九条),
    and a school meets the siting distances of GB 50099-2011 §4.1.6. Logistics on industrial
    land is a change of use: Fujian's 产业项目用地管理分类目录 classes transport and commercial
    storage logistics as commercial land.
``not_allowed``
    The current user cannot change to this use: industrial land turned to commercial use or
    housing must be taken back by the government and offered again by public tender, auction
    or listing (招拍挂; 国土资源部令第39号, art. 4).

The default table, ``tables/landuse_paths.csv``, has one row per option with the columns of
:data:`PATH_COLUMNS`; ``basis`` names the source and ``checked`` the date it was checked (or
``judgement``). ``*`` matches any class. A pair may have several rows (e.g. a transition under
a lease *and* a change of use); the best feasible one is used (allowed, then transition, then
change of use, then not allowed; ties by the shorter delay). A row with ``requires_tenure`` is
feasible only when that tenure mode is both offered by the site and accepted by the investor;
a row with ``investor_industry`` applies only to investors of that GB/T 4754 code prefix. Rules
are looked up from the most to the least specific: ``(from, to)``, ``(from, *)``, ``(*, to)``,
``(*, *)``; a less specific rule adds the path kinds the more specific ones do not give (so a
transition row for a pair still leaves the general change of use open), and a ``not_allowed``
row stops the search. A class always reaches itself with ``allowed``, and so does a merged
survey class (e.g. 三调 08H2 科教文卫用地) and its members. The delays are planning estimates in
calendar days, not statutory limits. The legal references are given for orientation; the local
rules in force decide. Sources and check dates: ``docs/domain-tables.md``.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from .._errors import Problem, SourceError, ValidationError
from ..schema import TENURE_MODES
from .landuse import LAND_CLASSES, class_members

logger = logging.getLogger(__name__)

__all__ = [
    "CLASS_NAMES",
    "N_TENURE_MASKS",
    "PATH_COLUMNS",
    "PATH_KINDS",
    "TENURE_UNKNOWN_BIT",
    "UNKNOWN_PATH",
    "USE_NAMES",
    "LandUsePath",
    "LandUsePathTable",
    "class_name",
    "example_zone_policy",
    "landuse_path",
    "load_landuse_paths",
    "path_label",
    "read_rules_file",
    "tenure_mask",
    "use_name",
    "with_zone_rules",
]

#: Path kinds, best first.
PATH_KINDS: Final = ("allowed", "transition", "change_of_use", "not_allowed")
#: Path of a site whose land class is unknown (no code, or a code that does not resolve).
UNKNOWN_PATH: Final = "unknown"

#: Columns of a path table.
PATH_COLUMNS: Final = (
    "from_class",
    "to_class",
    "path",
    "delay_days",
    "requires_tenure",
    "max_years",
    "investor_industry",
    "note_zh",
    "note_en",
    "basis",
    "checked",
    "origin",
)

#: Names of the common land classes, used in explanations (class → (zh, en)).
CLASS_NAMES: Final[dict[str, tuple[str, str]]] = {
    "industrial": ("工业用地", "industrial land"),
    "logistics_storage": ("物流仓储用地", "logistics and storage land"),
    "education": ("教育用地", "education land"),
    "research": ("科研用地", "research land"),
    "culture": ("文化用地", "cultural land"),
    "commercial": ("商业用地", "commercial land"),
    "business_finance": ("商务金融用地", "business and finance land"),
    "residential": ("居住用地", "residential land"),
    "public_services": ("公共管理与公共服务用地", "public service land"),
    "mining": ("采矿用地", "mining land"),
    "agricultural": ("农用地", "agricultural land"),
}

#: Names of the intended uses (class → (zh, en)), as in "industrial land used for education".
USE_NAMES: Final[dict[str, tuple[str, str]]] = {
    "industrial": ("工业", "industry"),
    "logistics_storage": ("物流仓储", "logistics and storage"),
    "education": ("教育", "education"),
    "research": ("科研", "research"),
    "culture": ("文化", "culture"),
    "commercial": ("商业", "commerce"),
    "business_finance": ("商务金融", "business and finance"),
    "residential": ("居住", "housing"),
    "public_services": ("公共服务", "public services"),
}

_TENURE_BIT: Final[dict[str, int]] = {mode: 1 << i for i, mode in enumerate(TENURE_MODES)}
#: Bit set in a tenure mask when the site's tenure modes are unknown.
TENURE_UNKNOWN_BIT: Final = 1 << len(TENURE_MODES)
#: Number of distinct tenure masks (the known modes plus the "unknown" bit).
N_TENURE_MASKS: Final = 1 << (len(TENURE_MODES) + 1)


def class_name(land_class: str | None, lang: str = "zh") -> str:
    """Return the readable name of a land class (e.g. ``"工业用地"`` / ``"industrial land"``)."""
    if land_class is None:
        return "未知用途" if lang == "zh" else "unknown use"
    zh, en = CLASS_NAMES.get(land_class) or LAND_CLASSES.get(
        land_class, (land_class, land_class.replace("_", " "))
    )
    return zh if lang == "zh" else en


def use_name(land_class: str, lang: str = "zh") -> str:
    """Return the name of an intended use (e.g. ``"教育"`` / ``"education"``)."""
    zh, en = USE_NAMES.get(land_class, (class_name(land_class, "zh"), land_class.replace("_", " ")))
    return zh if lang == "zh" else en


def tenure_mask(modes: Iterable[str] | None) -> int:
    """Return the bit mask of tenure modes (bit *i* for ``schema.TENURE_MODES[i]``).

    ``None`` (unknown) gives :data:`TENURE_UNKNOWN_BIT`; unknown mode names are ignored.
    """
    if modes is None:
        return TENURE_UNKNOWN_BIT
    mask = 0
    for mode in modes:
        mask |= _TENURE_BIT.get(str(mode), 0)
    return mask


@dataclass(frozen=True)
class LandUsePath:
    """One option to use land of ``from_class`` for ``to_class``.

    Attributes
    ----------
    from_class, to_class
        Land classes (e.g. ``"industrial"``, ``"education"``).
    path
        One of :data:`PATH_KINDS`, or ``"unknown"`` when the current class is unknown.
    delay_days
        Expected delay in calendar days before the intended use may start (0 when allowed;
        NaN when not allowed).
    requires_tenure
        Tenure mode the option needs (``"lease"`` for the transition period), or ``None``.
    max_years
        How long the option lasts, in years (5 for the transition period), or ``None``.
    note_zh, note_en
        What it takes, in Chinese and English.
    basis
        The rule or policy the option rests on.
    investor_industry
        The option applies only to an investor whose GB/T 4754 industry code starts with this
        (``"C"``: manufacturing, e.g. a plant's own storage), or to any investor when ``None``.
    checked
        When the basis was checked against its source (ISO date), or ``""``.
    origin
        ``"default"`` (the bundled table) or ``"zone"`` (the zone's policy table).
    alternatives
        The other options for the same pair, best first (e.g. a change of use beside a
        transition under a lease), including infeasible ones.
    """

    from_class: str | None
    to_class: str
    path: str
    delay_days: float = 0.0
    requires_tenure: str | None = None
    max_years: float | None = None
    note_zh: str = ""
    note_en: str = ""
    basis: str = ""
    investor_industry: str | None = None
    checked: str = ""
    origin: str = ""
    alternatives: tuple[LandUsePath, ...] = field(default=(), compare=False)

    @property
    def possible(self) -> bool:
        """Whether the intended use can be reached at all (not ``not_allowed``)."""
        return self.path != "not_allowed"

    def note(self, lang: str = "zh") -> str:
        """Return the note in ``lang`` (``"zh"`` or ``"en"``)."""
        return self.note_zh if lang == "zh" else self.note_en

    def describe(self, lang: str = "zh") -> str:
        """Return one sentence saying what this path and its alternatives take.

        Example (zh): ``工业用地用于教育：可在过渡期内（最长5年）以租赁方式使用现有厂房办学、不改变
        原用途，是否适用以当地政策为准，约 30 天；或办理用途变更：调整规划为教育用地并补缴地价差额，
        约 365 天``.
        """
        head = f"{class_name(self.from_class, lang)}"
        if lang == "zh":
            head = f"{head}用于{use_name(self.to_class, 'zh')}："
        else:
            head = f"{head} used for {use_name(self.to_class, 'en')}: "
        if self.path == UNKNOWN_PATH:
            return head + (
                "现状用途未知，需核实" if lang == "zh" else "current use unknown, to be checked"
            )
        parts = [self._clause(lang)]
        for alt in self.alternatives:
            if alt.path in ("transition", "change_of_use") and _option_order(alt) > _option_order(
                self
            ):
                parts.append(alt._clause(lang))
        sep = "；或" if lang == "zh" else "; or "
        return head + sep.join(parts)

    def _clause(self, lang: str) -> str:
        note = self.note(lang) or _PATH_LABELS[self.path][0 if lang == "zh" else 1]
        if self.path in ("transition", "change_of_use") and math.isfinite(self.delay_days):
            days = round(self.delay_days)
            note += f"，约 {days} 天" if lang == "zh" else f", about {days} days"
        return note


_PATH_LABELS: Final[dict[str, tuple[str, str]]] = {
    "allowed": ("用途相符，可直接使用", "the use is allowed as it stands"),
    "transition": ("可在过渡期内以租赁方式使用", "allowed for a transition period under a lease"),
    "change_of_use": ("需办理用途变更", "needs a change of use"),
    "not_allowed": ("不能变更为该用途", "this use is not allowed"),
    UNKNOWN_PATH: ("现状用途未知", "current use unknown"),
}


def path_label(path: str, lang: str = "zh") -> str:
    """Return the short label of a path kind."""
    zh, en = _PATH_LABELS.get(path, (path, path))
    return zh if lang == "zh" else en


class LandUsePathTable:
    """A validated land-use path table.

    Build it with :func:`load_landuse_paths`. Lookups are pure Python over a few dozen rows,
    so resolving every (class, tenure mask) pair of a match costs well under a millisecond.

    Parameters
    ----------
    frame
        Rows with the columns of :data:`PATH_COLUMNS` (``requires_tenure``, ``max_years``,
        ``basis`` and the notes may be missing).
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        records = _validate_table(frame)
        self.frame = pd.DataFrame(records, columns=list(PATH_COLUMNS))
        self._rules: dict[tuple[str, str], tuple[LandUsePath, ...]] = {}
        self._lookups: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = {}
        self._resolved: dict[tuple[Any, ...], LandUsePath] = {}
        # (frame, its rows as a match's JSON record holds them): see assetmatch.result
        self._json_records: tuple[pd.DataFrame, list[Any]] | None = None
        self._version: tuple[pd.DataFrame, str] | None = None
        for rec in records:
            opt = LandUsePath(
                from_class=rec["from_class"],
                to_class=rec["to_class"],
                path=rec["path"],
                delay_days=float("nan") if rec["path"] == "not_allowed" else rec["delay_days"],
                requires_tenure=rec["requires_tenure"],
                max_years=rec["max_years"],
                note_zh=rec["note_zh"],
                note_en=rec["note_en"],
                basis=rec["basis"],
                investor_industry=rec["investor_industry"],
                checked=rec["checked"],
                origin=rec["origin"],
            )
            key = (rec["from_class"], rec["to_class"])
            self._rules[key] = (*self._rules.get(key, ()), opt)

    def __repr__(self) -> str:
        return f"LandUsePathTable({len(self.frame)} rows)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LandUsePathTable) and self.frame.equals(other.frame)

    __hash__ = None  # type: ignore[assignment]

    @property
    def version(self) -> str:
        """A short fingerprint of the rules (12 hex digits of a SHA-256 of the table).

        Two tables with the same rows have the same version; any change of a rule, a note or a
        source changes it. A match result records it, so a shortlist says which rules made it.
        """
        kept = self._version
        if kept is not None and kept[0] is self.frame:  # the table's rules never change
            return kept[1]
        text = self.frame.to_csv(index=False, lineterminator="\n")
        version = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        self._version = (self.frame, version)
        return version

    def options(
        self, from_class: str | None, to_class: str, industry: str | None = None
    ) -> list[LandUsePath]:
        """Return every option for the pair, best first, with the concrete class names.

        Parameters
        ----------
        from_class
            Current land class of the site; ``None`` when unknown.
        to_class
            Intended land class.
        industry
            The investor's GB/T 4754 industry code; rows limited to an ``investor_industry``
            apply only when it starts with theirs (never when ``None``).
        """
        if from_class is None:
            return [LandUsePath(None, to_class, UNKNOWN_PATH, 0.0)]
        if (from_class, to_class) not in self._rules and (
            from_class == to_class
            or to_class in class_members(from_class)
            or from_class in class_members(to_class)
        ):
            return [LandUsePath(from_class, to_class, "allowed", 0.0)]
        rows: list[LandUsePath] = []
        for key in ((from_class, to_class), (from_class, "*"), ("*", to_class), ("*", "*")):
            kinds = {r.path for r in rows}
            if "not_allowed" in kinds:
                break
            rows += [
                replace(r, from_class=from_class, to_class=to_class)
                for r in self._rules.get(key, ())
                if r.path not in kinds and _applies(r, industry)
            ]
        if rows:
            return sorted(rows, key=_option_order)
        return [
            LandUsePath(
                from_class,
                to_class,
                "not_allowed",
                float("nan"),
                note_zh="路径表中没有适用的规则",
                note_en="no rule in the path table",
            )
        ]

    def __getstate__(self) -> dict[str, Any]:
        # the memos of resolve and of a match's JSON record are not the table's content: a
        # pickled table (the batch path's token of a feature table) stays the same bytes
        state = self.__dict__.copy()
        state.pop("_resolved", None)
        state.pop("_json_records", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._resolved = {}
        self._json_records = None

    def resolve(
        self,
        from_class: str | None,
        to_class: str,
        tenure: Iterable[str] | int | None = None,
        industry: str | None = None,
    ) -> LandUsePath:
        """Return the best feasible option, with the others as ``alternatives``.

        Parameters
        ----------
        from_class
            Current land class (``None`` when unknown).
        to_class
            Intended land class.
        tenure
            Tenure modes available for this site and investor (modes the site offers and the
            investor accepts), as names or a mask from :func:`tenure_mask`; ``None`` means
            unknown, which makes every option feasible.
        industry
            The investor's GB/T 4754 industry code (see :meth:`options`).
        """
        mask = tenure if isinstance(tenure, int) else tenure_mask(tenure)
        key = (from_class, to_class, int(mask), industry)
        hit = self.__dict__.setdefault("_resolved", {}).get(key)
        if hit is not None:  # every shortlisted row of a match asks; the paths are frozen
            return hit
        opts = self.options(from_class, to_class, industry)
        feasible = [o for o in opts if _feasible(o, mask)]
        best = feasible[0] if feasible else _infeasible(opts)
        others = tuple(o for o in opts if o is not best)
        route = replace(best, alternatives=others)
        if len(self._resolved) < 1024:
            self._resolved[key] = route
        return route

    def lookup_arrays(
        self,
        from_classes: Iterable[str | None],
        to_class: str,
        accepted_mask: int,
        industry: str | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Tabulate path codes and delays for every (class, site tenure mask) pair.

        Parameters
        ----------
        from_classes
            The land classes of a feature table, in code order; the unknown class is appended.
        to_class
            Intended land class.
        accepted_mask
            Tenure modes the investor accepts, as a mask (all modes when they gave none).
        industry
            The investor's GB/T 4754 industry code (see :meth:`options`).

        Returns
        -------
        path_code, delay_days
            Arrays of length ``(len(from_classes) + 1) * N_TENURE_MASKS``, indexed by
            ``class_code * N_TENURE_MASKS + site_mask``: the index into :data:`PATH_KINDS`
            (4 for unknown) and the delay in days (``inf`` when not allowed).
        """
        classes = [*from_classes, None]
        key = (tuple(classes), to_class, int(accepted_mask), industry)
        hit = self._lookups.get(key)
        if hit is not None:  # many briefs of one match_many share target, tenure and industry
            return hit[0].copy(), hit[1].copy()
        codes = np.empty(len(classes) * N_TENURE_MASKS, dtype=np.int8)
        delays = np.empty(len(classes) * N_TENURE_MASKS, dtype=np.float32)
        kinds = (*PATH_KINDS, UNKNOWN_PATH)
        for ci, cls in enumerate(classes):
            opts = self.options(cls, to_class, industry)
            for site_mask in range(N_TENURE_MASKS):
                if site_mask & TENURE_UNKNOWN_BIT:
                    mask = TENURE_UNKNOWN_BIT
                else:
                    mask = site_mask & accepted_mask
                feasible = [o for o in opts if _feasible(o, mask)]
                best = feasible[0] if feasible else _infeasible(opts)
                codes[ci * N_TENURE_MASKS + site_mask] = kinds.index(best.path)
                delays[ci * N_TENURE_MASKS + site_mask] = (
                    np.inf if best.path == "not_allowed" else best.delay_days
                )
        if len(self._lookups) < 256:
            self._lookups[key] = (codes.copy(), delays.copy())
        return codes, delays


def _applies(o: LandUsePath, industry: str | None) -> bool:
    if o.investor_industry is None:
        return True
    return industry is not None and industry.strip().upper().startswith(o.investor_industry)


def _option_order(o: LandUsePath) -> tuple[int, float]:
    order = PATH_KINDS.index(o.path) if o.path in PATH_KINDS else len(PATH_KINDS)
    return order, o.delay_days if math.isfinite(o.delay_days) else math.inf


def _feasible(o: LandUsePath, mask: int) -> bool:
    if o.requires_tenure is None or mask & TENURE_UNKNOWN_BIT:
        return True
    return bool(mask & _TENURE_BIT.get(o.requires_tenure, 0))


def _infeasible(opts: list[LandUsePath]) -> LandUsePath:
    """The outcome when no option is feasible: not allowed, with the options as notes."""
    base = opts[0]
    return replace(
        base,
        path="not_allowed",
        delay_days=float("nan"),
        note_zh=f"仅在{_TENURE_ZH.get(base.requires_tenure or '', base.requires_tenure)}方式下可行",
        note_en=f"possible only under {(base.requires_tenure or '').replace('_', ' ')}",
    )


_TENURE_ZH: Final[dict[str, str]] = {
    "lease": "租赁",
    "transfer": "出让/转让",
    "lease_then_transfer": "先租后让",
    "auction": "法拍",
}


def _validate_table(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Check a path table; return its rows as clean records (raises listing every bad row)."""
    missing = [c for c in ("from_class", "to_class", "path", "delay_days") if c not in frame]
    if missing:
        raise ValidationError(
            "Land-use path table is missing columns.",
            [Problem(None, c, "required column is missing") for c in missing],
        )
    problems: list[Problem] = []
    records: list[dict[str, object]] = []
    for i, raw in enumerate(frame.to_dict("records")):
        rec: dict[str, object] = {}
        for col in ("from_class", "to_class", "path", "requires_tenure"):
            v = raw.get(col)
            rec[col] = None if _blank(v) else str(v).strip()
        for col in ("note_zh", "note_en", "basis", "checked", "origin"):
            v = raw.get(col)
            rec[col] = "" if _blank(v) else str(v).strip()
        v = raw.get("investor_industry")
        rec["investor_industry"] = None if _blank(v) else str(v).strip().upper()
        try:
            rec["max_years"] = (
                None if _blank(raw.get("max_years")) else float(raw["max_years"])  # type: ignore[arg-type]
            )
        except (TypeError, ValueError):
            rec["max_years"] = None
            problems.append(Problem(i, "max_years", f"expected a number; got {raw['max_years']!r}"))
        delay = raw.get("delay_days")
        try:
            rec["delay_days"] = float("nan") if _blank(delay) else float(delay)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            rec["delay_days"] = float("nan")
        if not rec["from_class"] or not rec["to_class"]:
            problems.append(Problem(i, "from_class/to_class", "both classes are required"))
        if rec["path"] not in PATH_KINDS:
            problems.append(
                Problem(i, "path", f"expected one of {', '.join(PATH_KINDS)}; got {rec['path']!r}")
            )
        elif rec["path"] != "not_allowed":
            d = rec["delay_days"]
            if not (math.isfinite(d) and d >= 0):  # type: ignore[arg-type]
                problems.append(
                    Problem(
                        i, "delay_days", f"expected a finite number of days >= 0; got {delay!r}"
                    )
                )
        if rec["requires_tenure"] is not None and rec["requires_tenure"] not in TENURE_MODES:
            problems.append(
                Problem(
                    i,
                    "requires_tenure",
                    f"expected one of {', '.join(TENURE_MODES)}; got {rec['requires_tenure']!r}",
                )
            )
        records.append(rec)
    if problems:
        raise ValidationError("Land-use path table is invalid.", problems)
    return records


def _blank(v: object) -> bool:
    return (
        v is None
        or (isinstance(v, float) and math.isnan(v))
        or (isinstance(v, str) and not v.strip())
    )


def _bundled(name: str) -> pd.DataFrame:
    with (
        resources.files("assetmatch.domain")
        .joinpath(f"tables/{name}")
        .open("r", encoding="utf-8") as fh
    ):
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def _default_table() -> LandUsePathTable:
    frame = _bundled("landuse_paths.csv")
    frame["origin"] = "default"
    return LandUsePathTable(frame)


def example_zone_policy() -> pd.DataFrame:
    """The demo zone's policy rows (``tables/zone_policy_demo.csv``), an example for a zone.

    The transition period (过渡期) of 国土资规〔2015〕5号, part 二 (鼓励盘活利用现有用地), as a
    zone that recognises it would write it: research and cultural uses of an existing plant or
    warehouse under a lease, for up to five years, keeping the recorded use — plus a school in
    an existing plant, which the national list does not name and which the demo zone
    recognises (synthetic, after the Taifeng case that landed on signing). Each row gives its
    basis and the date it was checked.
    """
    return _bundled("zone_policy_demo.csv")


def read_rules_file(path: str | PathLike[str], *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a rules table from a CSV (UTF-8, or GB18030 as Chinese Excel saves it) or Excel file.

    Every cell is read as text; blank cells are empty strings.

    Raises
    ------
    assetmatch.SourceError
        If the file is missing, a directory, empty, or not a readable CSV/Excel file.
    """
    p = Path(path)
    if not p.is_file():
        raise SourceError(f"{p}: no such file (a rules table is a .csv or .xlsx file)")
    try:
        if p.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            frame = pd.read_excel(p, sheet_name=sheet if sheet is not None else 0, dtype=str)
            frame = frame.fillna("")
        else:
            try:
                frame = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            except UnicodeDecodeError:
                frame = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="gb18030")
    except SourceError:
        raise
    except Exception as exc:  # pandas, openpyxl and csv errors alike
        raise SourceError(f"{p}: cannot read it as a rules table ({exc})") from exc
    if frame.empty and not len(frame.columns):
        raise SourceError(f"{p}: the file is empty")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def load_landuse_paths(
    source: str
    | PathLike[str]
    | pd.DataFrame
    | Mapping[str, object]
    | Sequence[Mapping[str, object]]
    | LandUsePathTable
    | None = None,
) -> LandUsePathTable:
    """Load a land-use path table.

    Parameters
    ----------
    source
        ``None`` for the bundled default (``tables/landuse_paths.csv``); a CSV or Excel path; a
        DataFrame, a mapping of columns (e.g. a table serialised with ``to_dict("list")``) or a
        list of row records (as a match result's ``to_dict()`` keeps it) with the columns of
        :data:`PATH_COLUMNS`; or a table, returned as it is.

    Raises
    ------
    assetmatch.ValidationError
        If a row has an unknown path kind, a negative or missing delay, or an unknown tenure
        mode; every bad row is listed.
    assetmatch.SourceError
        If a file cannot be read.
    """
    if source is None:
        return _default_table()
    if isinstance(source, LandUsePathTable):
        return source
    if isinstance(source, pd.DataFrame):
        return LandUsePathTable(source)
    if isinstance(source, Mapping):
        return LandUsePathTable(pd.DataFrame(dict(source)))
    if isinstance(source, list | tuple):  # records, as MatchResult.to_dict() stores them
        return LandUsePathTable(pd.DataFrame(list(source)))
    frame = read_rules_file(source)
    logger.info("loaded %d land-use path rules from %s", len(frame), source)
    return LandUsePathTable(frame)


def with_zone_rules(
    zone: pd.DataFrame | LandUsePathTable | None, base: LandUsePathTable | None = None
) -> LandUsePathTable:
    """Overlay a zone's policy rows on a path table (the bundled default when ``base`` is None).

    A zone row replaces the base rows of the same pair (``from_class``, ``to_class``), path
    kind and ``investor_industry``; a zone ``not_allowed`` row replaces every base row of its
    pair (the zone forbids what the defaults would allow). Other base rows stay. The result's
    ``origin`` column says which rows came from the zone.

    Parameters
    ----------
    zone
        The zone's rows (columns of :data:`PATH_COLUMNS`), or ``None`` for none.
    base
        The table to overlay; the bundled default when ``None``.

    Raises
    ------
    assetmatch.ValidationError
        If a zone row is invalid (every bad row listed).
    """
    base = base or load_landuse_paths()
    if zone is None:
        return base
    zone_frame = zone.frame if isinstance(zone, LandUsePathTable) else zone
    checked = LandUsePathTable(zone_frame).frame.assign(origin="zone")
    if checked.empty:
        return base

    def keys(frame: pd.DataFrame) -> pd.Series:
        return (
            frame["from_class"].astype(str)
            + "|"
            + frame["to_class"].astype(str)
            + "|"
            + frame["path"].astype(str)
            + "|"
            + frame["investor_industry"].fillna("").astype(str)
        )

    pair = base.frame["from_class"] + "|" + base.frame["to_class"]
    forbidden = set(
        checked.loc[checked["path"] == "not_allowed", "from_class"]
        + "|"
        + checked.loc[checked["path"] == "not_allowed", "to_class"]
    )
    keep = ~keys(base.frame).isin(set(keys(checked))) & ~pair.isin(forbidden)
    # as objects on both sides: the result is objects anyway, and pandas 2 warns when a column
    # that is empty on one side would change the result's dtype
    merged = pd.concat([base.frame[keep].astype(object), checked.astype(object)], ignore_index=True)
    return LandUsePathTable(merged.where(merged.notna(), None))


def landuse_path(
    from_class: str | None,
    to_class: str,
    *,
    tenure: Iterable[str] | None = None,
    industry: str | None = None,
    table: LandUsePathTable | None = None,
) -> LandUsePath:
    """Return the best feasible path from ``from_class`` to ``to_class``.

    Parameters
    ----------
    from_class
        Current land class of the site (``None`` when unknown).
    to_class
        Intended land class.
    tenure
        Tenure modes available to this investor on this site; ``None`` for unknown.
    industry
        The investor's GB/T 4754 industry code (a plant's own storage is industrial use).
    table
        Path table; the bundled default when ``None`` (a zone's policy is in
        :meth:`assetmatch.Inventory.zone_policy`).

    Examples
    --------
    >>> landuse_path("industrial", "education", tenure=["lease"]).path
    'change_of_use'
    >>> landuse_path("industrial", "logistics_storage", industry="G59").path
    'change_of_use'
    >>> landuse_path("industrial", "logistics_storage", industry="C19").path
    'allowed'
    """
    return (table or load_landuse_paths()).resolve(from_class, to_class, tenure, industry)
