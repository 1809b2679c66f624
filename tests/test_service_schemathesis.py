"""schemathesis over every operation of the service's OpenAPI document: never a 5xx."""

from __future__ import annotations

from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import content_type_conformance  # noqa: E402

import assetmatch as am  # noqa: E402
from assetmatch.service import KeyFile, add_key, create_app  # noqa: E402

_KEY: dict[str, str] = {}


@pytest.fixture(scope="module")
def service_schema(tmp_path_factory: pytest.TempPathFactory):
    d: Path = tmp_path_factory.mktemp("schemathesis")
    inv = am.Inventory.demo(d / "zone.gpkg")
    _KEY["write"] = add_key(d / "keys.jsonl", "write")
    app = create_app(inv, keys=KeyFile(d / "keys.jsonl"), max_body_bytes=256 * 1024)
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    inv.close()


def test_no_operation_answers_5xx(service_schema):
    """Every operation, 25 generated requests each (bounded, derandomized): no 5xx, right type."""
    n_ops = 0
    for result in service_schema.get_all_operations():
        op = result.ok()
        n_ops += 1

        @given(case=op.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case) -> None:
            case.call_and_validate(
                headers={"X-API-Key": _KEY["write"]},
                checks=[not_a_server_error, content_type_conformance],
            )

        run()
    assert n_ops == 9  # match, match report, match-many, 3 asset reads, events, imports, healthz
