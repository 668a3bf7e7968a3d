"""Schemathesis fuzzes every /api/v1 operation of /api/openapi.json against the real served
app (production mode, PostgreSQL + Redis, two workers): no input may cause a 5xx.

Hypothesis drives schemathesis' strategies directly (its pytest plugin does not load under
pytest 9); each operation gets FUZZ_EXAMPLES generated requests (default 40).
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.api.conftest import make_caller

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))


def test_no_input_causes_a_server_error(app_server) -> None:
    with app_server.session() as session:
        token = make_caller(session, plan="enterprise", name="Fuzzer").token
    schema = (
        schemathesis.openapi.from_url(app_server.url + "/api/openapi.json")
        .include(path_regex=r"^/api/v1/")
        # Logging out would revoke the fuzzer's own token and leave it testing 401s only.
        .exclude(path="/api/v1/auth/logout")
    )
    failures: list[str] = []
    statuses: dict[int, int] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def fuzz(case) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"}, timeout=30)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} {case.query or ''} "
                    f"{str(case.body)[:200]} -> {response.status_code}: {response.text[:300]}"
                )

        fuzz()
    assert operations >= 30
    print("fuzzed", operations, "operations; statuses:", dict(sorted(statuses.items())))
    assert sum(statuses.values()) >= operations * 2
    assert not failures, "\n".join(failures[:20])
