"""Test cases: named inputs for a prompt (variable values, placeholder messages) with
expectations on the model's output, and "Run all" against a version or the draft.

Expectations: `contains`, `not_contains`, `regex`, `equals` (text in `value`), `valid_json`,
`json_schema` (the schema in `value`), `max_length` (characters, in `value`). A run stores a
results grid (per case and per check: pass/fail and why, output, latency, tokens) with the
version it ran on. When a project sets `require_passing_tests`, `production` moves only to a
version whose latest run covers every current case and passed them all
(`ensure_cases_pass_for_publish`, called from `versions.set_label`).

Like the playground, a run goes in three steps so no session is held while models answer:
`prepare_test_run` → `execute_test_run` (async, concurrent) → `store_test_run`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from promptrepo.models import Project, TestCase, TestRun, Version
from promptrepo.services import access, audit, changes, llm, model_config, providers
from promptrepo.services.errors import Conflict, NotFound, ValidationFailed
from promptrepo.services.principal import Principal

EXPECTATION_TYPES = (
    "contains",
    "not_contains",
    "regex",
    "equals",
    "valid_json",
    "json_schema",
    "max_length",
)
MAX_CASES = 500
DEFAULT_CONCURRENCY = 8


class Expectation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal[EXPECTATION_TYPES]  # type: ignore[valid-type]
    value: Any = None
    ignore_case: bool = False

    @model_validator(mode="after")
    def _value_fits(self) -> Expectation:
        kind, value = self.type, self.value
        if kind in ("contains", "not_contains", "regex", "equals"):
            if not isinstance(value, str) or (kind != "equals" and not value):
                raise ValueError(f"{kind} needs a text value")
            if kind == "regex":
                try:
                    re.compile(value)
                except re.error as exc:
                    raise ValueError(f"invalid regular expression: {exc}") from None
        elif kind == "max_length":
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError("max_length needs a whole number of characters")
        elif kind == "json_schema":
            if not isinstance(value, dict):
                raise ValueError("json_schema needs a JSON Schema object as value")
            try:
                Draft202012Validator.check_schema(value)
            except SchemaError as exc:
                raise ValueError(f"not a valid JSON Schema: {exc.message}") from None
        elif value is not None:
            raise ValueError("valid_json takes no value")
        return self


class CaseInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    variables: dict[str, Any] = Field(default_factory=dict)
    placeholders: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    expectations: list[Expectation] = Field(default_factory=list, max_length=50)


def _problems(exc: ValidationError, prefix: list[Any]) -> ValidationFailed:
    errors = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        msg = error["msg"].removeprefix("Value error, ")
        errors.append({"loc": [*prefix, *error["loc"]], "msg": f"{where}: {msg}" if where else msg})
    return ValidationFailed(
        "Invalid test case: " + "; ".join(e["msg"] for e in errors), errors=errors
    )


def validate_case(raw: dict[str, Any]) -> dict[str, Any]:
    """A case as stored: {name, variables, placeholders, expectations}; errors name the field."""
    try:
        case = CaseInput.model_validate(raw)
    except ValidationError as exc:
        raise _problems(exc, ["case"]) from None
    data = case.model_dump()
    data["expectations"] = [
        {k: v for k, v in e.items() if not (k == "ignore_case" and v is False)}
        for e in data["expectations"]
    ]
    return data


# --------------------------------------------------------------------------- checks
@dataclass
class CheckResult:
    type: str
    passed: bool
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "passed": self.passed, "message": self.message}


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_output(output: str, expectations: list[dict[str, Any]]) -> list[CheckResult]:
    """Each expectation on a model's output, with the reason when it fails."""
    results = []
    for exp in expectations:
        kind, value, fold = exp["type"], exp.get("value"), bool(exp.get("ignore_case"))
        text, needle = (
            (output.lower(), str(value).lower())
            if fold and isinstance(value, str)
            else (output, value)
        )
        if kind == "contains":
            ok = needle in text
            msg = f"contains {value!r}" if ok else f"does not contain {value!r}"
        elif kind == "not_contains":
            ok = needle not in text
            msg = f"does not contain {value!r}" if ok else f"contains {value!r}, which it must not"
        elif kind == "regex":
            ok = re.search(value, output, re.IGNORECASE if fold else 0) is not None
            msg = f"matches /{_short(value)}/" if ok else f"does not match /{_short(value)}/"
        elif kind == "equals":
            ok = text.strip() == needle.strip()
            msg = "equals the expected text" if ok else f"is not {_short(value)!r}"
        elif kind == "max_length":
            ok = len(output) <= value
            msg = f"{len(output)} characters (at most {value})" + ("" if ok else ": too long")
        else:  # valid_json, json_schema
            try:
                parsed = json.loads(output)
            except ValueError as exc:
                results.append(CheckResult(kind, False, f"is not valid JSON: {exc}"))
                continue
            if kind == "valid_json":
                ok, msg = True, "is valid JSON"
            else:
                error = next(iter(Draft202012Validator(value).iter_errors(parsed)), None)
                ok = error is None
                where = "/".join(str(p) for p in error.absolute_path) if error else ""
                msg = (
                    "matches the JSON Schema"
                    if ok
                    else f"does not match the JSON Schema at '{where or '(root)'}': {error.message}"
                )
        results.append(CheckResult(kind, ok, msg))
    return results


# --------------------------------------------------------------------------- cases
@dataclass
class CaseView:
    id: str
    name: str
    variables: dict[str, Any]
    placeholders: dict[str, Any]
    expectations: list[dict[str, Any]]
    order: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def fingerprint(case: TestCase | dict[str, Any]) -> str:
    """Changes when anything that decides a case's result changes."""
    data = (
        case
        if isinstance(case, dict)
        else {
            "name": case.name,
            "variables": case.variables,
            "placeholders": case.placeholders,
            "expectations": case.expectations,
        }
    )
    body = json.dumps(
        [data["name"], data["variables"], data["placeholders"], data["expectations"]],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _view(case: TestCase) -> CaseView:
    return CaseView(
        id=str(case.id),
        name=case.name,
        variables=case.variables or {},
        placeholders=case.placeholders or {},
        expectations=case.expectations or [],
        order=case.order,
    )


def _cases_of(session: Session, prompt_id: uuid.UUID) -> list[TestCase]:
    return list(
        session.exec(
            select(TestCase)
            .where(TestCase.prompt_id == prompt_id)
            .order_by(TestCase.order, TestCase.created_at, TestCase.id)
        ).all()
    )


def list_cases(
    session: Session, principal: Principal | None, prompt_id: uuid.UUID | str
) -> list[CaseView]:
    prompt, _ = access.get_prompt(session, principal, prompt_id)
    return [_view(c) for c in _cases_of(session, prompt.id)]


def add_case(
    session: Session, principal: Principal | None, prompt_id: uuid.UUID | str, case: dict[str, Any]
) -> CaseView:
    """Add a named case at the end; names are unique per prompt."""
    prompt, project = access.get_prompt(session, principal, prompt_id, write=True)
    assert principal is not None
    data = validate_case(case)
    existing = _cases_of(session, prompt.id)
    if len(existing) >= MAX_CASES:
        raise ValidationFailed(f"A prompt has at most {MAX_CASES} test cases.")
    row = TestCase(prompt_id=prompt.id, order=len(existing), **data)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(f"This prompt already has a test case named {data['name']!r}.") from None
    audit.record(session, principal.user_id, "testcase.added", "prompt", prompt.id, name=row.name)
    changes.project_changed(session, project)
    return _view(row)


def _own_case(
    session: Session, principal: Principal | None, case_id: uuid.UUID | str
) -> tuple[TestCase, Project]:
    try:
        cid = uuid.UUID(str(case_id))
    except ValueError:
        raise NotFound("Test case not found.") from None
    row = session.get(TestCase, cid)
    if row is None:
        raise NotFound("Test case not found.")
    _, project = access.get_prompt(session, principal, row.prompt_id, write=True)
    return row, project


def update_case(
    session: Session, principal: Principal | None, case_id: uuid.UUID | str, case: dict[str, Any]
) -> CaseView:
    row, project = _own_case(session, principal, case_id)
    data = validate_case(case)
    for key, value in data.items():
        setattr(row, key, value)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(f"This prompt already has a test case named {data['name']!r}.") from None
    changes.project_changed(session, project)
    return _view(row)


def delete_case(session: Session, principal: Principal | None, case_id: uuid.UUID | str) -> None:
    row, project = _own_case(session, principal, case_id)
    assert principal is not None
    audit.record(
        session, principal.user_id, "testcase.deleted", "prompt", row.prompt_id, name=row.name
    )
    session.delete(row)
    session.flush()
    changes.project_changed(session, project)


def replace_cases(session: Session, prompt_id: uuid.UUID, cases: list[dict[str, Any]]) -> None:
    """Set a prompt's cases (import); each is validated first."""
    for row in _cases_of(session, prompt_id):
        session.delete(row)
    session.flush()
    for index, case in enumerate(cases):
        session.add(TestCase(prompt_id=prompt_id, order=index, **validate_case(case)))
    session.flush()


def export_cases(
    session: Session, prompt_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """Each prompt's cases in the export format (no ids)."""
    if not prompt_ids:
        return {}
    rows = session.exec(
        select(TestCase)
        .where(TestCase.prompt_id.in_(prompt_ids))  # type: ignore[attr-defined]
        .order_by(TestCase.order, TestCase.created_at, TestCase.id)
    ).all()
    result: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in rows:
        case: dict[str, Any] = {"name": row.name}
        if row.variables:
            case["variables"] = row.variables
        if row.placeholders:
            case["placeholders"] = row.placeholders
        case["expectations"] = row.expectations or []
        result.setdefault(row.prompt_id, []).append(case)
    return result


# --------------------------------------------------------------------------- runs
@dataclass
class PlannedCase:
    case_id: str
    name: str
    fingerprint: str
    expectations: list[dict[str, Any]]
    messages: list[dict[str, str]] | None
    render_error: str = ""


@dataclass
class TestRunPlan:
    __test__ = False
    prompt_id: str
    version_id: str | None
    version: int | None
    revision: int | None
    target: providers.Target
    model: str
    params: dict[str, Any]
    cases: list[PlannedCase] = field(default_factory=list)


def prepare_test_run(
    session: Session,
    principal: Principal | None,
    prompt_id: uuid.UUID | str,
    *,
    provider: str,
    version: int | None = None,
    config_overrides: dict[str, Any] | None = None,
) -> TestRunPlan:
    """Render every case for a version (or the draft when `version` is None). A case that
    does not render is planned as failed with the reason, not sent to the model."""
    from promptrepo.services import playground, versions

    prompt, _ = access.get_prompt(session, principal, prompt_id, write=True)
    target = providers.target(session, principal, provider)
    resolved = versions.resolve(
        session, principal, prompt.id, version=version, draft=version is None
    )
    config = playground.effective_config(resolved.config, config_overrides)
    model = config.get("model") or target.default_model
    if not model:
        raise ValidationFailed(
            f"Choose a model: set `model` in the settings or a default model on '{target.name}'.",
            errors=[{"loc": ["config", "model"], "msg": "required"}],
        )
    version_id = None
    if resolved.version is not None:
        version_id = str(
            session.exec(
                select(Version.id).where(
                    Version.prompt_id == prompt.id, Version.version == resolved.version
                )
            ).one()
        )
    plan = TestRunPlan(
        prompt_id=str(prompt.id),
        version_id=version_id,
        version=resolved.version,
        revision=prompt.revision if resolved.version is None else None,
        target=target,
        model=model,
        params=model_config.request_parameters(config),
    )
    for case in _cases_of(session, prompt.id):
        planned = PlannedCase(
            case_id=str(case.id),
            name=case.name,
            fingerprint=fingerprint(case),
            expectations=case.expectations or [],
            messages=None,
        )
        try:
            body = versions.render_body(
                resolved.type,
                resolved.content,
                resolved.messages,
                resolved.variables,
                [],
                case.variables or {},
                case.placeholders or None,
                resolved.template_dialect,
            )
            planned.messages = (
                body.messages
                if body.messages is not None
                else [{"role": "user", "content": body.text}]
            )
        except ValidationFailed as exc:
            planned.render_error = f"Does not render: {exc.message}"
        plan.cases.append(planned)
    if not plan.cases:
        raise ValidationFailed("This prompt has no test cases yet: add one first.")
    return plan


async def execute_test_run(
    plan: TestRunPlan, *, concurrency: int = DEFAULT_CONCURRENCY, timeout: float | None = None
) -> list[dict[str, Any]]:
    """Send every rendered case to the model (at most `concurrency` at a time) and check the
    outputs; returns the results grid rows in case order."""
    slots = asyncio.Semaphore(max(1, concurrency))

    async def one(case: PlannedCase) -> dict[str, Any]:
        row: dict[str, Any] = {
            "case_id": case.case_id,
            "name": case.name,
            "fingerprint": case.fingerprint,
        }
        if case.messages is None:
            return {**row, "passed": False, "error": case.render_error, "output": "", "checks": []}
        async with slots:
            done = await llm.complete(
                plan.target, plan.model, case.messages, plan.params, timeout=timeout
            )
        checks = (
            [c.to_dict() for c in check_output(done.output, case.expectations)]
            if not done.error
            else []
        )
        return {
            **row,
            "passed": not done.error and all(c["passed"] for c in checks),
            "error": done.error,
            "output": done.output,
            "checks": checks,
            "first_token_ms": done.first_token_ms,
            "total_ms": done.total_ms,
            "input_tokens": done.input_tokens,
            "output_tokens": done.output_tokens,
        }

    return list(await asyncio.gather(*(one(c) for c in plan.cases)))


@dataclass
class TestRunView:
    __test__ = False
    id: str
    source: str
    version: int | None
    revision: int | None
    provider: str
    model: str
    total: int
    passed: int
    results: list[dict[str, Any]]
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _run_view(run: TestRun, version: int | None) -> TestRunView:
    return TestRunView(
        id=str(run.id),
        source=f"v{version}" if version is not None else f"draft r{run.revision}",
        version=version,
        revision=run.revision,
        provider=run.provider,
        model=run.model,
        total=run.total,
        passed=run.passed,
        results=run.results or [],
        created_at=run.created_at.isoformat(),
    )


def store_test_run(
    session: Session, principal: Principal | None, plan: TestRunPlan, results: list[dict[str, Any]]
) -> TestRunView:
    """Keep a run's grid with the version it ran on (or the draft's revision)."""
    prompt, _ = access.get_prompt(session, principal, plan.prompt_id, write=True)
    assert principal is not None
    run = TestRun(
        prompt_id=prompt.id,
        version_id=uuid.UUID(plan.version_id) if plan.version_id else None,
        revision=plan.revision,
        user_id=principal.user_id,
        provider=plan.target.name,
        model=plan.model,
        total=len(results),
        passed=sum(1 for r in results if r["passed"]),
        results=results,
    )
    session.add(run)
    session.flush()
    audit.record(
        session,
        principal.user_id,
        "testrun.finished",
        "prompt",
        prompt.id,
        version=plan.version,
        passed=run.passed,
        total=run.total,
    )
    return _run_view(run, plan.version)


def list_test_runs(
    session: Session, principal: Principal | None, prompt_id: uuid.UUID | str, *, limit: int = 20
) -> list[TestRunView]:
    prompt, _ = access.get_prompt(session, principal, prompt_id)
    rows = session.exec(
        select(TestRun, Version.version)
        .join(Version, Version.id == TestRun.version_id, isouter=True)
        .where(TestRun.prompt_id == prompt.id)
        .order_by(TestRun.created_at.desc(), TestRun.id)
        .limit(max(1, min(100, limit)))
    ).all()
    return [_run_view(run, number) for run, number in rows]


# --------------------------------------------------------------------------- publish gate
def set_require_passing_tests(
    session: Session, principal: Principal | None, project_id: uuid.UUID | str, required: bool
) -> Project:
    """The project setting: `production` moves only to versions whose cases all pass."""
    project = access.get_project(session, principal, project_id, need="manage")
    assert principal is not None
    project.require_passing_tests = bool(required)
    session.add(project)
    session.flush()
    audit.record(
        session,
        principal.user_id,
        "project.test_gate",
        "project",
        project.id,
        required=bool(required),
    )
    changes.project_changed(session, project)
    return project


def publish_test_failures(
    session: Session, project: Project, prompt_id: uuid.UUID, version: Version
) -> list[dict[str, Any]]:
    """Why the test-case gate refuses `version` for production (empty: it may go). Only
    projects with `require_passing_tests` have the gate; a prompt without cases passes."""
    if not project.require_passing_tests:
        return []
    cases = _cases_of(session, prompt_id)
    if not cases:
        return []
    run = session.exec(
        select(TestRun)
        .where(TestRun.version_id == version.id)
        .order_by(TestRun.created_at.desc(), TestRun.id)
        .limit(1)
    ).first()
    if run is None:
        return [
            {
                "loc": ["test_cases"],
                "type": "test_cases",
                "msg": f"Version {version.version} has not been tested: run all test cases on it first.",
            }
        ]
    covered = {r.get("fingerprint") for r in run.results or []}
    stale = [c.name for c in cases if fingerprint(c) not in covered]
    if stale:
        return [
            {
                "loc": ["test_cases"],
                "type": "test_cases",
                "msg": "Test cases changed since the last run on version "
                f"{version.version} ({', '.join(stale)}): run all again.",
            }
        ]
    failed = [r for r in run.results or [] if not r.get("passed")]
    return [
        {
            "loc": ["test_cases", r.get("name")],
            "type": "test_cases",
            "msg": f"Test case '{r.get('name')}' failed: "
            + (
                r.get("error")
                or "; ".join(c["message"] for c in r.get("checks", []) if not c["passed"])
            ),
        }
        for r in failed
    ]


def ensure_cases_pass_for_publish(
    session: Session, project: Project, prompt_id: uuid.UUID, version: Version
) -> None:
    """The test-case part of the publish gate (see `publish_test_failures`)."""
    failures = publish_test_failures(session, project, prompt_id, version)
    if failures:
        raise ValidationFailed(
            f"Version {version.version} cannot be published: this project requires every test "
            "case to pass. " + " ".join(f["msg"] for f in failures),
            errors=failures,
        )


# --------------------------------------------------------------------------- text form
def expectation_lines(expectations: list[dict[str, Any]]) -> str:
    """Expectations as the playground's one-per-line text (`contains: refund`)."""
    lines = []
    for exp in expectations:
        kind, value = exp["type"], exp.get("value")
        suffix = " (any case)" if exp.get("ignore_case") else ""
        if value is None:
            lines.append(kind)
        elif isinstance(value, dict):
            lines.append(f"{kind}: {json.dumps(value, separators=(',', ':'))}")
        else:
            lines.append(f"{kind}{suffix}: {value}")
    return "\n".join(lines)


def parse_expectation_lines(text: str) -> list[dict[str, Any]]:
    """The reverse of `expectation_lines`: one `type: value` per line (`valid_json` alone;
    `json_schema: {...}`; `max_length: 200`; `(any case)` after the type folds case).
    ValidationFailed names the line."""
    result: list[dict[str, Any]] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        kind, _, value = line.partition(":")
        kind, value = kind.strip(), value.strip()
        exp: dict[str, Any] = {}
        if kind.endswith("(any case)"):
            kind, exp["ignore_case"] = kind.removesuffix("(any case)").strip(), True
        exp["type"] = kind
        if kind == "max_length":
            exp["value"] = int(value) if value.isdigit() else value
        elif kind == "json_schema":
            try:
                exp["value"] = json.loads(value)
            except ValueError as exc:
                raise ValidationFailed(
                    f"Expectation line {number}: the JSON Schema is not valid JSON ({exc}).",
                    errors=[{"loc": ["expectations", number], "msg": "invalid JSON"}],
                ) from None
        elif value or kind in ("contains", "not_contains", "regex", "equals"):
            exp["value"] = value
        try:
            Expectation.model_validate(exp)
        except ValidationError as exc:
            msg = exc.errors()[0]["msg"].removeprefix("Value error, ")
            if exc.errors()[0]["type"] == "literal_error":
                msg = f"the type is one of {', '.join(EXPECTATION_TYPES)}"
            raise ValidationFailed(
                f"Expectation line {number} ({line!r}): {msg}.",
                errors=[{"loc": ["expectations", number], "msg": msg}],
            ) from None
        result.append(exp)
    return result
