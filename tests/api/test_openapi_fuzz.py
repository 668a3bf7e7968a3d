"""Schemathesis fuzzes every /api/v1 operation of /api/openapi.json against the real served
app (production mode, PostgreSQL + Redis, two workers): no input may cause a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.conftest import make_caller


@pytest.fixture(scope="module")
def api_schema(app_server):
    schema = schemathesis.openapi.from_url(app_server.url + "/api/openapi.json")
    # Logging out would revoke the fuzzer's own token and leave it testing 401s only.
    return schema.include(path_regex=r"^/api/v1/").exclude(path="/api/v1/auth/logout")


@pytest.fixture(scope="module")
def fuzz_token(app_server) -> str:
    with app_server.session() as session:
        return make_caller(session, plan="enterprise", name="Fuzzer").token


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_causes_a_server_error(case, fuzz_token: str) -> None:
    response = case.call(headers={"Authorization": f"Bearer {fuzz_token}"}, timeout=30)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )
