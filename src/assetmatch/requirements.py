"""An investor's requirements: what they need, what they prefer, and how much each matters.

:class:`Requirements` is a frozen pydantic model and a JSON document with a published schema
(``docs/requirements.schema.json``), so a service in any language can send one. Every field has
its unit in its name or its description. Areas may be given in mu or in square metres, rents per
month or per day; the ``*_m2`` / ``*_month`` properties give the normalised values.

Criteria
--------
A brief is scored on the criteria in :data:`CRITERIA`; a criterion takes part when the brief
speaks to it (``size`` when a land area is given, ``synergy`` when an industry or
``near_industries`` is given, …; ``readiness``, ``access`` and ``freshness`` always do when the
inventory has the data). Each criterion is either

* a **must** (hard constraint): an asset known to violate it is not ranked and, if it is the only
  constraint it violates, is listed among the near misses with the amount it misses by. Unknown
  values never violate a must; they score :data:`~assetmatch.scoring.UNKNOWN_SCORE` instead.
* a **preference**: scored in [0, 1], 1 inside the wanted range and falling linearly to 0 at a
  distance of ``tolerance`` × the violated bound outside it (0.25 = 25 % outside).

``must`` lists the hard criteria; when it is omitted the default :data:`DEFAULT_MUST` applies:
tenure modes and the land-use path (a use that is not allowed, or a path not in
``land_use_paths``) are hard, and so is ``near`` when a place is given. Size, buildings, cost and
readiness are preferences with the tolerances of :data:`DEFAULT_TOLERANCE` unless listed in
``must``. ``priorities`` (1–5), ``weights`` (direct, non-negative) or ``pairwise`` (AHP
comparisons on Saaty's 1–9 scale, :class:`Pairwise`; refused above a consistency ratio of 0.10
unless accepted) say how much each criterion counts; see :class:`assetmatch.scoring.Weights`.

Invalid input is refused with one :class:`assetmatch.ValidationError` (also a ``ValueError``)
listing every problem: unknown fields with the allowed names, NaN or infinite numbers, a minimum
above its maximum, unknown industry or land-use codes, priorities out of 1–5, and so on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Final, Literal, get_args

import pydantic
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ._errors import LandUseError, Problem, ValidationError, wrong_type
from .domain import landuse as _landuse
from .domain.landuse_paths import PATH_KINDS
from .units import mu_to_m2, rent_day_to_month

__all__ = [
    "CRITERIA",
    "DEFAULT_MUST",
    "DEFAULT_TOLERANCE",
    "HARD_CAPABLE",
    "TOLERANT",
    "Criterion",
    "Near",
    "Pairwise",
    "Range",
    "Requirements",
    "is_industry_code",
]

Criterion = Literal[
    "size",
    "building",
    "specs",
    "cost",
    "tenure",
    "readiness",
    "land_use",
    "synergy",
    "conflicts",
    "access",
    "near",
    "district",
    "freshness",
]
#: Every criterion, in the order of the result columns.
CRITERIA: Final[tuple[str, ...]] = get_args(Criterion)
#: Criteria that can be a must (the others have no threshold to fail).
HARD_CAPABLE: Final = (
    "size",
    "building",
    "specs",
    "cost",
    "tenure",
    "readiness",
    "land_use",
    "conflicts",
    "near",
    "district",
)
#: Hard criteria when ``must`` is not given.
DEFAULT_MUST: Final = ("tenure", "land_use", "near")
#: Relative tolerance of the preferences (0.25: the score reaches 0 at 25 % outside the range;
#: for readiness 1.0: at twice the deadline; for near 1.0: at twice ``within_m``).
DEFAULT_TOLERANCE: Final[dict[str, float]] = {
    "size": 0.25,
    "building": 0.25,
    "specs": 0.25,
    "cost": 0.25,
    "readiness": 1.0,
    "near": 1.0,
}
#: Criteria that take a tolerance.
TOLERANT: Final = tuple(DEFAULT_TOLERANCE)

TenureMode = Literal["lease", "transfer", "lease_then_transfer", "auction"]
PathKind = Literal["allowed", "transition", "change_of_use", "not_allowed"]
assert get_args(PathKind) == PATH_KINDS

#: GB/T 4754-2017 sections and their division numbers (两位数大类).
_SECTIONS: Final[dict[str, range]] = {
    "A": range(1, 6),
    "B": range(6, 13),
    "C": range(13, 44),
    "D": range(44, 47),
    "E": range(47, 51),
    "F": range(51, 53),
    "G": range(53, 61),
    "H": range(61, 63),
    "I": range(63, 66),
    "J": range(66, 70),
    "K": range(70, 71),
    "L": range(71, 73),
    "M": range(73, 76),
    "N": range(76, 80),
    "O": range(80, 83),
    "P": range(83, 84),
    "Q": range(84, 86),
    "R": range(86, 91),
    "S": range(91, 97),
    "T": range(97, 98),
}
_INDUSTRY_RE: Final = re.compile(r"^([A-T])(\d{2})(\d{0,2})$")


def is_industry_code(code: str) -> bool:
    """Whether ``code`` is a GB/T 4754-2017 code at division level or finer (``C39``, ``C3911``)."""
    m = _INDUSTRY_RE.match(code)
    return bool(m) and int(m.group(2)) in _SECTIONS[m.group(1)]


def _check_industry(code: str) -> str:
    code = code.strip().upper()
    if not is_industry_code(code):
        raise PydanticCustomError(
            "industry_code",
            "unknown GB/T 4754-2017 industry code '{code}'; expected a section letter and a "
            "division of that section, e.g. 'C39' (electronics) or 'P83' (education)",
            {"code": code},
        )
    return code


IndustryCode = Annotated[str, AfterValidator(_check_industry)]

#: Largest figure a brief may hold (see Requirements._figures_bounded).
MAX_FIGURE = 1e12


def _numbers(value: Any) -> list[float]:
    """The floats in a field value (a number, a range, a mapping of numbers)."""
    if isinstance(value, float):
        return [value]
    if isinstance(value, tuple | list):
        return [v for v in value if isinstance(v, float)]
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, float)]
    return []


def _check_range(value: tuple[float | None, float | None]) -> tuple[float | None, float | None]:
    lo, hi = value
    if lo is None and hi is None:
        raise PydanticCustomError(
            "range_empty", "give a minimum, a maximum or both; got (None, None)"
        )
    for v in (lo, hi):
        if v is not None and v < 0:
            raise PydanticCustomError("range_negative", "bounds must be >= 0; got {v}", {"v": v})
    if lo is not None and hi is not None and lo > hi:
        raise PydanticCustomError(
            "range_order", "minimum {lo} is above maximum {hi}", {"lo": lo, "hi": hi}
        )
    return value


#: A (minimum, maximum) range; either bound may be ``null`` (open).
Range = Annotated[tuple[float | None, float | None], AfterValidator(_check_range)]
Priority = Annotated[int, Field(ge=1, le=5)]


class Near(BaseModel):
    """A place the site must be near: a point, an inventory asset or a firm.

    Give ``lon`` and ``lat`` (degrees, WGS84/CGCS2000; the two datums agree to centimetres), or
    ``asset_id``, or ``firm_id``, and ``within_m``, the distance in metres from the site's
    boundary. For an asset the reference asset itself is not ranked.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    lon: float | None = Field(None, ge=-180, le=180, description="Longitude in degrees (CGCS2000).")
    lat: float | None = Field(None, ge=-90, le=90, description="Latitude in degrees (CGCS2000).")
    asset_id: str | None = Field(
        None, description="An inventory asset (e.g. the investor's plant)."
    )
    firm_id: str | None = Field(None, description="A firm of the inventory (e.g. the investor).")
    within_m: float = Field(1000.0, gt=0, description="Distance in metres from the site boundary.")

    @model_validator(mode="after")
    def _one_place(self) -> Near:
        has_point = self.lon is not None or self.lat is not None
        if has_point and (self.lon is None or self.lat is None):
            raise ValueError("give both lon and lat")
        kinds = [has_point, self.asset_id is not None, self.firm_id is not None]
        if sum(kinds) != 1:
            raise ValueError(
                f"give exactly one place: lon/lat, asset_id or firm_id; got {sum(kinds)}"
            )
        return self

    @property
    def kind(self) -> str:
        """``"point"``, ``"asset"`` or ``"firm"``."""
        if self.asset_id is not None:
            return "asset"
        if self.firm_id is not None:
            return "firm"
        return "point"


_FRACTION: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*$")


def _judgment(value: Any) -> Any:
    """A Saaty judgment: a number, or a fraction written as text (``"1/3"``)."""
    if isinstance(value, str):
        m = _FRACTION.match(value)
        if m and float(m.group(2)) > 0:
            return float(m.group(1)) / float(m.group(2))
        try:
            return float(value)
        except ValueError:
            raise PydanticCustomError(
                "judgment",
                "a judgment is a number from 1/9 to 9, or a fraction such as '1/3'",
                {"v": value},
            ) from None
    return value


#: One pairwise judgment: a number from 1/9 to 9, or a fraction as text ("1/3").
Judgment = Annotated[float, BeforeValidator(_judgment)]


class Pairwise(BaseModel):
    """Weights from pairwise comparisons (AHP, Saaty's 1–9 scale) instead of priorities.

    ``matrix[i][j]`` says how much more important ``criteria[i]`` is than ``criteria[j]``
    (1 equal, 3 moderately, 5 strongly, 7 very strongly, 9 extremely more; reciprocals the
    other way round; a fraction may be written as text, ``"1/3"``). Give one ``matrix``, or
    ``experts``: one matrix per expert, combined by the element-wise geometric mean. The
    weights are the principal eigenvector (:func:`assetmatch.ahp_weights`); criteria left
    out of the comparison weigh 0. A consistency ratio above 0.10 is refused, naming the
    ratio and the most inconsistent pair, unless ``accept_inconsistent`` is true.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    criteria: list[Criterion] = Field(
        ..., min_length=2, max_length=10, description="The criteria compared, in matrix order."
    )
    matrix: list[list[Judgment]] | None = Field(
        None, description="One n×n reciprocal matrix of Saaty 1–9 judgments."
    )
    experts: list[list[list[Judgment]]] | None = Field(
        None, min_length=1, description="Several experts' n×n matrices (geometric mean)."
    )
    accept_inconsistent: bool = Field(
        False, description="Use the weights even when the consistency ratio exceeds 0.10."
    )

    @model_validator(mode="after")
    def _one_source(self) -> Pairwise:
        if (self.matrix is None) == (self.experts is None):
            raise ValueError("give exactly one of matrix (one judge) or experts (several)")
        return self


class Requirements(BaseModel):
    """An investor's requirements.

    Areas in square metres (``_m2``) or mu (``_mu``, 2000/3 m²), rents in yuan per m² of
    building per month or per day, land prices in yuan per mu, distances in metres, power in kVA,
    floor loads in kN/m², heights in metres, delays in days. Ranges are ``(min, max)`` with
    either bound ``None``.

    Examples
    --------
    >>> req = Requirements(
    ...     investor="Hengzhong Education", industry="P83", land_use="0804",
    ...     land_area_mu=(150, 200), building_area_m2=(50_000, None),
    ...     tenure=["lease", "transfer"], ready_within_days=90,
    ...     priorities={"size": 5, "readiness": 5},
    ... )
    >>> req.land_area_range_m2
    (100000.0, 133333.33333333334)
    >>> sorted(req.hard_criteria)
    ['land_use', 'tenure']
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
        title="Requirements",
        json_schema_extra={
            "description": (
                "An investor's requirements for assetmatch.match: hard constraints, preferences "
                "and priorities. Units are in the field names."
            )
        },
    )

    investor: str | None = Field(None, description="Investor's name.")
    industry: IndustryCode | None = Field(
        None, description="Investor's industry, GB/T 4754-2017 code (e.g. 'P83', 'C28')."
    )
    land_use: str | None = Field(
        None, description="Intended land use, a code of land_use_scheme (e.g. '0804' education)."
    )
    land_use_scheme: str = Field(
        "2020",
        description="Scheme of land_use: '2020' (国土空间调查、规划、用途管制用地用海分类), "
        "'gbt21010-2017' or 'tdsurvey3'.",
    )
    land_use_paths: list[PathKind] = Field(
        ["allowed", "transition", "change_of_use"],
        min_length=1,
        description="Land-use paths the investor accepts (when land_use is a must).",
    )
    land_area_mu: Range | None = Field(None, description="Land area range in mu (亩).")
    land_area_m2: Range | None = Field(None, description="Land area range in m² (not with mu).")
    building_area_m2: Range | None = Field(None, description="Existing floor area range in m².")
    max_rent_yuan_m2_month: float | None = Field(
        None, gt=0, description="Highest building rent, yuan per m² per month."
    )
    max_rent_yuan_m2_day: float | None = Field(
        None, gt=0, description="Highest building rent, yuan per m² per day (not with _month)."
    )
    max_land_price_yuan_mu: float | None = Field(
        None, gt=0, description="Highest land price, yuan per mu."
    )
    tenure: list[TenureMode] | None = Field(
        None, min_length=1, description="Acceptable tenure modes (any of them will do)."
    )
    ready_within_days: float | None = Field(
        None, ge=0, description="Move-in deadline in days from the match date."
    )
    min_power_kva: float | None = Field(None, ge=0, description="Minimum power supply in kVA.")
    min_floor_load_kn_m2: float | None = Field(None, ge=0, description="Minimum floor load, kN/m².")
    min_floor_height_m: float | None = Field(None, ge=0, description="Minimum floor height, m.")
    districts: list[str] | None = Field(
        None, min_length=1, description="Preferred districts (industrial areas)."
    )
    near_industries: dict[IndustryCode, Annotated[float, Field(gt=0, le=1)]] | None = Field(
        None, description="Industries to be near, with a strength in (0, 1]."
    )
    avoid_industries: dict[IndustryCode, Annotated[float, Field(gt=0)]] | None = Field(
        None, description="Industries to keep away from, with the distance in metres."
    )
    near: Near | None = Field(None, description="A place the site must be near.")
    must: list[Criterion] | None = Field(
        None,
        description="Hard criteria; when omitted: tenure, land_use and near (when given).",
    )
    tolerance: dict[Criterion, Annotated[float, Field(ge=0, le=10)]] = Field(
        {},
        description="Relative tolerance of preferences outside their range (default 0.25; "
        "readiness and near 1.0).",
    )
    priorities: dict[Criterion, Priority] = Field(
        {}, description="How much each criterion matters, 1 (little) to 5 (most)."
    )
    weights: dict[Criterion, Annotated[float, Field(ge=0)]] | None = Field(
        None, description="Direct weights (non-negative; normalised); instead of priorities."
    )
    pairwise: Pairwise | None = Field(
        None,
        description="Pairwise comparisons of criteria (AHP, Saaty 1–9); instead of priorities "
        "or weights.",
    )

    _problem_header: ClassVar[str] = "Requirements are invalid"
    _ahp: Any = PrivateAttr(None)

    # ------------------------------------------------------------------ validation

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except pydantic.ValidationError as exc:
            raise _wrap(exc, data) from None

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Requirements:  # type: ignore[override]
        """Validate a mapping; errors are raised as one :class:`assetmatch.ValidationError`."""
        if isinstance(obj, cls):
            return obj
        try:
            return super().model_validate(obj, **kwargs)
        except pydantic.ValidationError as exc:
            raise _wrap(exc, obj) from None

    @classmethod
    def model_validate_json(cls, json_data: str | bytes, **kwargs: Any) -> Requirements:  # type: ignore[override]
        """Validate a JSON document; see :meth:`from_json`."""
        return cls.from_json(json_data)

    @field_validator("must")
    @classmethod
    def _must_hard_capable(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        bad = [c for c in value if c not in HARD_CAPABLE]
        if bad:
            raise PydanticCustomError(
                "not_hard",
                "{bad} cannot be a must (no threshold to fail); criteria that can: {ok}",
                {"bad": ", ".join(bad), "ok": ", ".join(HARD_CAPABLE)},
            )
        return list(dict.fromkeys(value))

    @field_validator("tolerance")
    @classmethod
    def _tolerance_keys(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [c for c in value if c not in TOLERANT]
        if bad:
            raise PydanticCustomError(
                "no_tolerance",
                "{bad} takes no tolerance; criteria that do: {ok}",
                {"bad": ", ".join(bad), "ok": ", ".join(TOLERANT)},
            )
        return value

    @field_validator("weights")
    @classmethod
    def _weights_positive(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None and not any(w > 0 for w in value.values()):
            raise PydanticCustomError("weights_zero", "at least one weight must be above 0")
        return value

    @model_validator(mode="after")
    def _figures_bounded(self) -> Requirements:
        # no real brief needs a figure beyond 1e12 (m², yuan, days…); larger ones only
        # overflow the scorer's float32 columns
        for name, value in self.__dict__.items():
            for v in _numbers(value):
                if not abs(v) <= MAX_FIGURE:
                    raise PydanticCustomError(
                        "figure_too_large",
                        "{name}: {v} is beyond any real figure (at most {m})",
                        {"name": name, "v": v, "m": f"{MAX_FIGURE:g}"},
                    )
        return self

    @model_validator(mode="after")
    def _pairwise_weights(self) -> Requirements:
        if self.pairwise is None:
            return self
        from .scoring.ahp import ahp_weights  # the scoring package imports this module

        pw = self.pairwise
        unscored = [c for c in pw.criteria if not self.specifies(c)]
        if unscored:
            raise ValidationError(
                "Requirements are invalid:",
                [
                    Problem(
                        None,
                        "pairwise.criteria",
                        f"{', '.join(unscored)} compared, but the brief gives nothing to score "
                        "it on (a range, a list, a place…); its weight would be lost",
                    )
                ],
            )
        try:
            self._ahp = ahp_weights(
                pw.matrix if pw.matrix is not None else pw.experts,
                pw.criteria,
                accept_inconsistent=pw.accept_inconsistent,
            )
        except ValidationError as exc:
            raise ValidationError(
                str(exc).splitlines()[0],
                [
                    Problem(
                        p.row,
                        f"pairwise.{p.field}"
                        if pw.matrix is not None or p.field != "matrix"
                        else "pairwise.experts",
                        p.reason,
                    )
                    for p in exc.problems
                ],
            ) from None
        return self

    @model_validator(mode="after")
    def _cross_fields(self) -> Requirements:
        problems = _cross_problems(self.__dict__)
        if problems:
            raise PydanticCustomError("cross_field", "; ".join(str(p) for p in problems))
        return self

    # ------------------------------------------------------------------ normalised views

    @property
    def land_area_range_m2(self) -> tuple[float | None, float | None] | None:
        """Land area range in m² (converted from mu when given in mu), or ``None``."""
        if self.land_area_m2 is not None:
            return self.land_area_m2
        if self.land_area_mu is not None:
            lo, hi = self.land_area_mu
            return (
                None if lo is None else float(mu_to_m2(lo)),
                None if hi is None else float(mu_to_m2(hi)),
            )
        return None

    @property
    def max_rent_m2_month(self) -> float | None:
        """Highest rent in yuan per m² per month (converted from per day × 365/12), or ``None``."""
        if self.max_rent_yuan_m2_month is not None:
            return self.max_rent_yuan_m2_month
        if self.max_rent_yuan_m2_day is not None:
            return float(rent_day_to_month(self.max_rent_yuan_m2_day))
        return None

    @property
    def target_land_class(self) -> str | None:
        """Land class of the intended use (e.g. ``"education"``), or ``None``."""
        if self.land_use is None:
            return None
        return _land_class_of(self.land_use, self.land_use_scheme)

    @property
    def hard_criteria(self) -> frozenset[str]:
        """The criteria that are musts *and* that the brief gives a bound for.

        Readiness is scored without a deadline, but only a deadline can make it a must.
        """
        must = DEFAULT_MUST if self.must is None else self.must
        bounded = {c for c in must if self.specifies(c)}
        if self.ready_within_days is None:
            bounded.discard("readiness")
        return frozenset(bounded)

    @property
    def ahp(self) -> Any:
        """The :class:`~assetmatch.scoring.AHPResult` of ``pairwise`` (``None`` without it)."""
        return self._ahp

    def specifies(self, criterion: str) -> bool:
        """Whether the brief gives what ``criterion`` needs (a range, a list, a place …)."""
        # one test per criterion (a match asks for every criterion several times)
        if criterion in ("readiness", "access", "freshness"):
            return True
        if criterion == "size":
            return self.land_area_mu is not None or self.land_area_m2 is not None
        if criterion == "building":
            return self.building_area_m2 is not None
        if criterion == "specs":
            return any(
                v is not None
                for v in (self.min_power_kva, self.min_floor_load_kn_m2, self.min_floor_height_m)
            )
        if criterion == "cost":
            return self.max_rent_m2_month is not None or self.max_land_price_yuan_mu is not None
        if criterion == "tenure":
            return self.tenure is not None
        if criterion == "land_use":
            return self.land_use is not None
        if criterion == "synergy":
            return self.industry is not None or bool(self.near_industries)
        if criterion == "conflicts":
            return self.industry is not None or bool(self.avoid_industries)
        if criterion == "near":
            return self.near is not None
        if criterion == "district":
            return self.districts is not None
        raise KeyError(criterion)

    def tolerance_for(self, criterion: str) -> float:
        """Relative tolerance of ``criterion`` (the brief's, else :data:`DEFAULT_TOLERANCE`)."""
        return float(self.tolerance.get(criterion, DEFAULT_TOLERANCE.get(criterion, 0.0)))

    # ------------------------------------------------------------------ (de)serialisation

    def to_dict(self) -> dict[str, Any]:
        """Return the requirements as a JSON-able dict (unset optional fields left out)."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_json(self, indent: int | None = None) -> str:
        """Return the requirements as a JSON document (UTF-8 text, Chinese kept readable)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> Requirements:
        """Parse a JSON document; bad JSON or content raises :class:`assetmatch.ValidationError`."""
        if not isinstance(text, str | bytes | bytearray):
            raise wrong_type("text", "a JSON document (str or bytes)", text, of="from_json")
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValidationError(
                f"{cls._problem_header} (1 problem):", [Problem(None, "<json>", str(exc))]
            ) from None
        except RecursionError:
            raise ValidationError(
                f"{cls._problem_header} (1 problem):",
                [Problem(None, "<json>", "nested too deeply to be a requirements document")],
            ) from None
        return cls.model_validate(data)

    @classmethod
    def from_text(cls, text: str, *, as_of: Any = None) -> Requirements:
        """Read a brief written in Chinese the way staff write it.

        Numbers, units and words (亩/平方米/㎡/万平方米/公顷, 万元, 元/㎡/月,
        以上/以内/不超过/约/至, 层高, 承重, kVA, 半年/三个月/年底前,
        先租后让/租赁/出让, industry names, districts) are read by the rules and
        vocabulary of :mod:`assetmatch.brief`. Use
        :func:`assetmatch.brief.parse_brief` to get what was understood and what was not
        without an exception.

        Parameters
        ----------
        text
            The brief.
        as_of
            The date deadlines such as 年底前 count from (default today).

        Raises
        ------
        assetmatch.ValidationError
            Listing every fragment that could not be read (nothing is dropped silently) and
            every problem of the fields read.

        Examples
        --------
        >>> req = Requirements.from_text(
        ...     "教育项目，约170亩，现成厂房6万平方米以上，"
        ...     "租金每平方米每月18元以内，半年内入驻，先租后让"
        ... )
        >>> req.industry, req.land_area_mu, req.building_area_m2
        ('P83', (153.0, 187.0), (60000.0, None))
        >>> req.max_rent_yuan_m2_month, req.ready_within_days, req.tenure
        (18.0, 180.0, ['lease_then_transfer'])
        """
        from .brief import parse_brief

        parsed = parse_brief(text, as_of=as_of)
        problems = parsed.all_problems()
        if problems or parsed.requirements is None:
            n = len(problems)
            raise ValidationError(
                f"The brief could not be read completely ({n} problem{'s' if n != 1 else ''}):",
                problems,
            )
        return parsed.requirements

    @classmethod
    def coerce(cls, obj: Requirements | Mapping[str, Any] | str | bytes) -> Requirements:
        """Return ``obj`` as Requirements: a Requirements, a mapping or a JSON document.

        Raises
        ------
        assetmatch.ValidationError
            If ``obj`` is none of these (or its content is invalid).
        """
        if isinstance(obj, cls):
            return obj
        if isinstance(obj, str | bytes):
            return cls.from_json(obj)
        if isinstance(obj, Mapping):
            return cls.model_validate(dict(obj))
        raise wrong_type("requirements", "Requirements, a dict or a JSON string", obj)

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """Return the published JSON Schema (draft 2020-12) of a requirements document."""
        schema = cls.model_json_schema(mode="validation")
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


# ---------------------------------------------------------------------- error collection


def _cross_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Problems that involve several fields, checked on raw or validated values alike."""
    problems: list[Problem] = []
    if data.get("land_area_mu") is not None and data.get("land_area_m2") is not None:
        problems.append(
            Problem(None, "land_area_mu", "give the land area in mu or in m², not both")
        )
    if (
        data.get("max_rent_yuan_m2_month") is not None
        and data.get("max_rent_yuan_m2_day") is not None
    ):
        problems.append(
            Problem(None, "max_rent_yuan_m2_day", "give the rent per month or per day, not both")
        )
    if data.get("priorities") and data.get("weights") is not None:
        problems.append(Problem(None, "weights", "give priorities or weights, not both"))
    if data.get("pairwise") is not None and (data.get("priorities") or data.get("weights")):
        problems.append(
            Problem(
                None,
                "pairwise",
                "give pairwise comparisons instead of priorities or weights, not with them",
            )
        )
    code, scheme = data.get("land_use"), data.get("land_use_scheme", "2020")
    if isinstance(code, str) and isinstance(scheme, str):
        try:
            _landuse.resolve(code, scheme)
        except LandUseError as exc:
            problems.append(Problem(None, "land_use", str(exc)))
    return problems


def _allowed_fields(model: type[BaseModel]) -> str:
    return ", ".join(model.model_fields)


def _wrap(exc: pydantic.ValidationError, raw: Any) -> ValidationError:
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(str(x) for x in err["loc"] if x != "[key]")
        if err["type"] == "cross_field":
            continue
        inner = err.get("ctx", {}).get("error")
        if isinstance(inner, ValidationError):  # raised by our own __init__ inside pydantic
            problems.extend(inner.problems)
            continue
        field = ".".join(loc) if loc else "<input>"
        if err["type"] == "extra_forbidden":
            owner = Near if len(loc) > 1 and loc[0] == "near" else Requirements
            reason = f"unknown field; allowed fields are: {_allowed_fields(owner)}"
        elif err["type"] == "finite_number":
            reason = f"expected a finite number; got {err.get('input')!r}"
        else:
            reason = err["msg"]
            if (
                err["type"] not in ("missing",)
                and "input" in err
                and not isinstance(err["input"], dict | list)
            ):
                reason = f"{reason}; got {err['input']!r}"
        problems.append(Problem(None, field, reason))
    if isinstance(raw, Mapping):
        problems.extend(_cross_problems(raw))
    problems = list(dict.fromkeys(problems))
    n = len(problems)
    return ValidationError(
        f"{Requirements._problem_header} ({n} problem{'s' if n != 1 else ''}):", problems
    )


@lru_cache(maxsize=1024)
def _land_class_of(code: str, scheme: str | None) -> str:
    """Land class of a validated brief's ``land_use`` (the bundled code table never changes)."""
    return _landuse.resolve(code, scheme).land_class
