"""Requirements: validation (one error listing every problem), normalisation, JSON and schema."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pydantic
import pytest

from assetmatch import ValidationError
from assetmatch.demo.zone import PUBLIC_BRIEFS
from assetmatch.requirements import (
    CRITERIA,
    DEFAULT_MUST,
    Near,
    Requirements,
    is_industry_code,
)
from assetmatch.units import MU_M2

ROOT = Path(__file__).resolve().parents[1]

HENGZHONG = PUBLIC_BRIEFS["hengzhong"]


def problems_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return {p.field: p.reason for p in exc.value.problems}


# ---------------------------------------------------------------------- valid briefs


def test_hengzhong_brief_is_valid_and_normalised() -> None:
    req = Requirements(**HENGZHONG)
    assert req.land_area_mu == (150.0, 200.0)
    assert req.land_area_range_m2 == (100_000.0, pytest.approx(200 * MU_M2))
    assert req.building_area_m2 == (50_000.0, None)
    assert req.max_rent_m2_month == 18.0
    assert req.target_land_class == "education"
    assert req.land_use_scheme == "2020"
    # defaults: tenure and the land-use path are musts; size is a preference
    assert req.hard_criteria == frozenset({"tenure", "land_use"})
    assert req.tolerance_for("size") == 0.25
    assert req.tolerance_for("readiness") == 1.0


def test_mu_and_day_rents_are_normalised() -> None:
    req = Requirements(land_area_mu=(15, None), max_rent_yuan_m2_day=0.6)
    assert req.land_area_range_m2 == (10_000.0, None)  # 15 mu is exactly one hectare
    assert req.max_rent_m2_month == pytest.approx(0.6 * 365 / 12)
    assert Requirements(land_area_m2=(None, 5_000)).land_area_range_m2 == (None, 5_000.0)


def test_industry_codes_are_checked_by_section_and_division() -> None:
    assert is_industry_code("C39") and is_industry_code("C3911") and is_industry_code("P83")
    assert not is_industry_code("P84")  # 84 belongs to section Q
    assert (
        not is_industry_code("C99") and not is_industry_code("39") and not is_industry_code("CC3")
    )
    assert Requirements(industry=" c28 ").industry == "C28"


def test_must_replaces_the_defaults_and_only_counts_what_the_brief_gives() -> None:
    req = Requirements(land_area_mu=(150, 200), tenure=["lease"], must=["size", "tenure"])
    assert req.hard_criteria == frozenset({"size", "tenure"})
    assert Requirements(must=["size"]).hard_criteria == frozenset()  # no size given
    assert set(DEFAULT_MUST) == {"tenure", "land_use", "near"}
    near = Requirements(near={"firm_id": "F-LIAO", "within_m": 1000})
    assert near.hard_criteria == frozenset({"near"})
    assert near.near is not None and near.near.kind == "firm"


def test_round_trip_through_json_and_dict() -> None:
    req = Requirements(
        **HENGZHONG,
        near={"lon": 118.86, "lat": 24.95, "within_m": 3000},
        tolerance={"size": 0.1},
        must=["tenure", "land_use", "size"],
    )
    text = req.to_json()
    assert json.loads(text)["land_area_mu"] == [150.0, 200.0]
    assert Requirements.from_json(text) == req
    assert Requirements.model_validate(req.to_dict()) == req
    assert Requirements.coerce(text) == req
    assert Requirements.coerce(req.to_dict()) == req
    assert Requirements.coerce(req) is req
    assert "investor" not in Requirements(industry="C28").to_dict()  # unset fields left out


def test_frozen() -> None:
    req = Requirements(**HENGZHONG)
    with pytest.raises(pydantic.ValidationError):
        req.industry = "C39"  # type: ignore[misc]


def test_coerce_rejects_other_types() -> None:
    # a wrong type is bad input like any other: the library's ValidationError, not a TypeError
    with pytest.raises(ValidationError, match="must be Requirements, a dict or a JSON string") as e:
        Requirements.coerce(42)  # type: ignore[arg-type]
    assert not isinstance(e.value, TypeError)
    assert [(p.field, p.reason) for p in e.value.problems] == [
        ("requirements", "expected Requirements, a dict or a JSON string, got int")
    ]


# ---------------------------------------------------------------------- one error, every problem


def test_one_error_lists_every_problem() -> None:
    with pytest.raises(ValidationError) as exc:
        Requirements(
            industry="X99",
            land_use="9999",
            land_area_mu=(200, 150),
            building_area_m2=(float("nan"), None),
            max_rent_yuan_m2_month=float("inf"),
            priorities={"size": 7, "bogus": 3},
            colour="red",
        )
    problems = problems_of(exc)
    assert set(problems) == {
        "industry",
        "land_use",
        "land_area_mu",
        "building_area_m2.0",
        "max_rent_yuan_m2_month",
        "priorities.size",
        "priorities.bogus",
        "colour",
    }
    assert "unknown GB/T 4754-2017 industry code 'X99'" in problems["industry"]
    assert "Unknown land-use code '9999'" in problems["land_use"]
    assert problems["land_area_mu"] == "minimum 200.0 is above maximum 150.0; got (200, 150)"
    assert problems["building_area_m2.0"] == "expected a finite number; got nan"
    assert problems["max_rent_yuan_m2_month"] == "expected a finite number; got inf"
    assert "less than or equal to 5" in problems["priorities.size"]
    assert "'size'" in problems["priorities.bogus"]  # lists the criteria
    assert problems["colour"].startswith("unknown field; allowed fields are: investor, industry,")
    message = str(exc.value)
    assert message.startswith("Requirements are invalid (8 problems):")
    for field in problems:
        assert repr(field) in message
    assert isinstance(exc.value, ValueError)  # `except ValueError` keeps working


def test_the_same_error_from_json_and_dict() -> None:
    bad = {"industry": "P83", "land_area_mu": [150, 200], "land_area_m2": [1, 2], "oops": 1}
    for attempt in (
        lambda: Requirements.model_validate(bad),
        lambda: Requirements.from_json(json.dumps(bad)),
        lambda: Requirements.coerce(bad),
        lambda: Requirements(**bad),
    ):
        with pytest.raises(ValidationError) as exc:
            attempt()
        assert set(problems_of(exc)) == {"land_area_mu", "oops"}
        assert problems_of(exc)["land_area_mu"] == "give the land area in mu or in m², not both"


def test_cross_field_problems_are_reported_with_field_problems() -> None:
    with pytest.raises(ValidationError) as exc:
        Requirements(
            max_rent_yuan_m2_month=18,
            max_rent_yuan_m2_day=0.6,
            priorities={"size": 5},
            weights={"size": 1.0},
            tenure=["rent"],
        )
    problems = problems_of(exc)
    assert problems["max_rent_yuan_m2_day"] == "give the rent per month or per day, not both"
    assert problems["weights"] == "give priorities or weights, not both"
    assert "tenure.0" in problems


def test_cross_field_problems_alone() -> None:
    with pytest.raises(ValidationError) as exc:
        Requirements(land_area_mu=(150, 200), land_area_m2=(100_000, 130_000))
    assert list(problems_of(exc)) == ["land_area_mu"]


def test_invalid_json_text() -> None:
    with pytest.raises(ValidationError) as exc:
        Requirements.from_json("{not json")
    assert exc.value.problems[0].field == "<json>"


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"must": ["synergy"]}, "must", "synergy cannot be a must"),
        ({"tolerance": {"tenure": 0.5}}, "tolerance", "tenure takes no tolerance"),
        ({"weights": {"size": 0.0}}, "weights", "at least one weight must be above 0"),
        ({"weights": {"size": -1.0}}, "weights.size", "greater than or equal to 0"),
        ({"land_area_mu": (None, None)}, "land_area_mu", "give a minimum, a maximum or both"),
        ({"land_area_mu": (-5, 10)}, "land_area_mu", "bounds must be >= 0"),
        ({"near_industries": {"C39": 1.5}}, "near_industries.C39", "less than or equal to 1"),
        ({"avoid_industries": {"C2": 500}}, "avoid_industries.C2", "unknown GB/T 4754-2017"),
        ({"land_use": "0804", "land_use_scheme": "gbt99"}, "land_use", "Unknown land-use scheme"),
        ({"land_use_paths": []}, "land_use_paths", "at least 1 item"),
        ({"ready_within_days": -1}, "ready_within_days", "greater than or equal to 0"),
    ],
)
def test_single_problems(kwargs: dict, field: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as exc:
        Requirements(**kwargs)
    problems = problems_of(exc)
    assert field in problems, problems
    assert fragment in problems[field]


@pytest.mark.parametrize(
    ("near", "fragment"),
    [
        ({"within_m": 500}, "give exactly one place"),
        ({"lon": 118.8, "within_m": 500}, "give both lon and lat"),
        ({"asset_id": "TS-1", "firm_id": "F-1"}, "give exactly one place"),
        ({"lon": 218.8, "lat": 24.9}, "less than or equal to 180"),
        ({"asset_id": "TS-1", "within_m": 0}, "greater than 0"),
        ({"asset_id": "TS-1", "radius": 5}, "unknown field; allowed fields are: lon, lat"),
    ],
)
def test_near_problems(near: dict, fragment: str) -> None:
    with pytest.raises(ValidationError) as exc:
        Requirements(near=near)
    assert any(p.field.startswith("near") and fragment in p.reason for p in exc.value.problems)


def test_the_2020_code_0804_is_education_but_research_in_gbt21010() -> None:
    assert Requirements(land_use="0804").target_land_class == "education"
    research = Requirements(land_use="0804", land_use_scheme="gbt21010-2017")
    assert research.target_land_class == "research"


# ---------------------------------------------------------------------- JSON Schema


def test_json_schema_lists_every_field_with_units() -> None:
    schema = Requirements.json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["additionalProperties"] is False
    props = schema["properties"]
    assert set(props) == set(Requirements.model_fields)
    for name in ("land_area_mu", "building_area_m2", "max_rent_yuan_m2_month", "ready_within_days"):
        assert props[name]["description"]
    assert set(props["priorities"]["propertyNames"]["enum"]) == set(CRITERIA)


def test_committed_schema_equals_the_generated_one() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import export_schema
    finally:
        sys.path.pop(0)
    committed = (ROOT / "docs" / "requirements.schema.json").read_text(encoding="utf-8")
    assert committed == export_schema.schema_text(), (
        "docs/requirements.schema.json is stale; run `python scripts/export_schema.py`"
    )


def test_export_script_writes_the_schema(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "export_schema.py"), str(out)],
        check=True,
        capture_output=True,
    )
    assert json.loads(out.read_text(encoding="utf-8")) == Requirements.json_schema()


def test_near_model_rejects_nan() -> None:
    with pytest.raises(pydantic.ValidationError):
        Near(lon=math.nan, lat=24.9)
