"""Test cases and "Run all" over HTTP (e.g. from CI): /api/v1/prompts/{id}/test-cases,
/api/v1/test-cases/{id}, /api/v1/prompts/{id}/test-runs. Thin: calls services/testcases.py."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from promptrepo.api.deps import CurrentPrincipal, SessionDep, WritePrincipal
from promptrepo.api.schemas import MAX_VERSION, StrictInput
from promptrepo.db import session_scope
from promptrepo.services import testcases

router = APIRouter(prefix="/api/v1", tags=["test cases"])


class TestCaseIn(StrictInput):
    __test__ = False
    name: str = Field(min_length=1, max_length=100)
    variables: dict[str, Any] = Field(default_factory=dict)
    placeholders: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    expectations: list[dict[str, Any]] = Field(
        default_factory=list,
        description="`{type, value?, ignore_case?}`; type is contains, not_contains, regex, "
        "equals, valid_json, json_schema (value: the schema) or max_length (value: characters).",
    )


class TestCaseOut(BaseModel):
    __test__ = False
    id: uuid.UUID
    name: str
    variables: dict[str, Any]
    placeholders: dict[str, Any]
    expectations: list[dict[str, Any]]
    order: int


class TestRunIn(StrictInput):
    __test__ = False
    provider: str = Field("echo", max_length=60, description="A connection's name, or `echo`.")
    version: int | None = Field(None, ge=1, le=MAX_VERSION, description="Default: the draft.")


class TestRunOut(BaseModel):
    __test__ = False
    id: uuid.UUID
    source: str
    version: int | None
    revision: int | None
    provider: str
    model: str
    total: int
    passed: int
    results: list[dict[str, Any]]
    created_at: str


@router.get("/prompts/{prompt_id}/test-cases", response_model=list[TestCaseOut])
def list_test_cases(prompt_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal):
    """The prompt's test cases in order."""
    return [c.to_dict() for c in testcases.list_cases(session, principal, prompt_id)]


@router.post(
    "/prompts/{prompt_id}/test-cases",
    response_model=TestCaseOut,
    status_code=status.HTTP_201_CREATED,
)
def add_test_case(
    prompt_id: uuid.UUID, body: TestCaseIn, session: SessionDep, principal: WritePrincipal
):
    """Add a named case; a bad expectation is 422 naming it, a duplicate name 409."""
    return testcases.add_case(session, principal, prompt_id, body.model_dump()).to_dict()


@router.put("/test-cases/{case_id}", response_model=TestCaseOut)
def update_test_case(
    case_id: uuid.UUID, body: TestCaseIn, session: SessionDep, principal: WritePrincipal
):
    return testcases.update_case(session, principal, case_id, body.model_dump()).to_dict()


@router.delete("/test-cases/{case_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_test_case(case_id: uuid.UUID, session: SessionDep, principal: WritePrincipal):
    testcases.delete_case(session, principal, case_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/prompts/{prompt_id}/test-runs", response_model=list[TestRunOut])
def list_test_runs(prompt_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal):
    """The latest runs, newest first, with their results grids."""
    return [r.to_dict() for r in testcases.list_test_runs(session, principal, prompt_id)]


@router.post(
    "/prompts/{prompt_id}/test-runs",
    response_model=TestRunOut,
    status_code=status.HTTP_201_CREATED,
)
async def run_test_cases(prompt_id: uuid.UUID, body: TestRunIn, principal: WritePrincipal):
    """Run every case against a version (or the draft) with a provider and store the grid
    with the version. No database session is held while the model answers."""

    def prepare():
        with session_scope(acting_as=principal.user_id) as session:
            return testcases.prepare_test_run(
                session, principal, prompt_id, provider=body.provider, version=body.version
            )

    plan = await run_in_threadpool(prepare)
    results = await testcases.execute_test_run(plan)

    def store():
        with session_scope(acting_as=principal.user_id) as session:
            return testcases.store_test_run(session, principal, plan, results)

    return (await run_in_threadpool(store)).to_dict()
