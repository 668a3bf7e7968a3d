"""Validators: every type passing and failing, bad configurations, a catastrophic regex, CRUD."""

import time

import pytest
from sqlmodel import Session, select

from promptrepo.models import AuditLog
from promptrepo.services import validators
from promptrepo.services.errors import NotFound, PermissionDenied, ValidationFailed
from promptrepo.services.principal import Principal
from tests.factories import make_user
from tests.prompt_factories import make_prompt


def run(type_: str, config: dict, text: str, values: dict | None = None):
    [result] = validators.run_validators(text, [{"type": type_, "config": config}], values or {})
    return result


@pytest.mark.parametrize(
    ("type_", "config", "passing", "failing", "reason"),
    [
        ("regex", {"pattern": r"\bJSON\b"}, "Reply in JSON.", "Reply in YAML.", "Does not match"),
        (
            "regex",
            {"pattern": r"password", "must_match": False, "ignore_case": True},
            "no secrets",
            "Your PASSWORD is",
            "Must not match",
        ),
        ("length", {"min": 5, "max": 10}, "hello!", "hi", "Too short"),
        ("length", {"max": 3, "unit": "words"}, "one two three", "one two three four", "Too long"),
        ("contains", {"text": "JSON"}, "give JSON", "give json", "Contains none of 'JSON'"),
        (
            "contains",
            {"text": ["json", "brief"], "mode": "all", "case_insensitive": True},
            "Be BRIEF, answer in JSON",
            "Answer in JSON",
            "Missing 'brief'",
        ),
        (
            "contains",
            {"text": ["json", "brief"], "mode": "any"},
            "be brief",
            "be long",
            "Contains none of",
        ),
        (
            "contains",
            {"text": ["TODO", "FIXME"], "must_not_contain": True},
            "done",
            "TODO: fill in",
            "Must not contain 'TODO'",
        ),
        (
            "custom",
            {
                "expression": "text | length < 20 and 'JSON' in text",
                "message": "Keep it short and ask for JSON",
            },
            "Answer in JSON.",
            "Answer in plain prose, please.",
            "Keep it short and ask for JSON",
        ),
    ],
)
def test_validator_passes_and_fails(type_, config, passing, failing, reason) -> None:
    assert validators.validate_config(type_, config)
    ok = run(type_, config, passing)
    assert ok.passed, ok.message
    bad = run(type_, config, failing)
    assert not bad.passed
    assert reason in bad.message


def test_custom_expression_sees_the_variables() -> None:
    config = {"expression": "audience in text and limit > 3", "message": "needs the audience"}
    assert run("custom", config, "for kids", {"audience": "kids", "limit": 5}).passed
    result = run("custom", config, "for adults", {"audience": "kids", "limit": 5})
    assert not result.passed and result.message == "needs the audience"
    # an undefined name fails the check with the reason, it does not raise
    result = run("custom", {"expression": "nope > 1"}, "x")
    assert not result.passed and "nope" in result.message


@pytest.mark.parametrize(
    ("type_", "config", "fragment"),
    [
        ("regex", {"pattern": "(unclosed"}, "invalid regular expression"),
        ("regex", {"pattern": ""}, "pattern"),
        ("length", {"min": 10, "max": 5}, "greater than the maximum"),
        ("length", {}, "set a minimum, a maximum or both"),
        ("length", {"min": -1}, "greater than or equal to 0"),
        ("length", {"max": 5, "unit": "pages"}, "unit"),
        ("contains", {"text": []}, "at least one text"),
        ("contains", {"text": ""}, "cannot be empty"),
        ("contains", {"text": ["a", ""]}, "cannot be empty"),
        ("contains", {"text": "a", "mode": "most"}, "mode"),
        ("custom", {"expression": "text |"}, "Invalid expression"),
        ("custom", {"expression": ""}, "expression"),
        ("regex", {"pattern": "a", "surprise": 1}, "surprise"),
        ("spelling", {}, "Unknown validator type"),
    ],
)
def test_bad_configurations_are_refused_clearly(type_, config, fragment) -> None:
    with pytest.raises(ValidationFailed) as exc:
        validators.validate_config(type_, config)
    assert fragment.lower() in (exc.value.message + str(exc.value.errors)).lower()


def test_catastrophic_regex_is_stopped_by_the_time_limit() -> None:
    # (a|a)+$ backtracks exponentially on "aaaa…b" even in the `regex` package.
    text = "a" * 30 + "b"
    start = time.perf_counter()
    result = run("regex", {"pattern": "(a|a)+$"}, text)
    elapsed = time.perf_counter() - start
    assert not result.passed
    assert "timed out" in result.message
    assert elapsed < 1.0
    # the classic (a+)+$ is handled without blowup by `regex`; still bounded either way
    start = time.perf_counter()
    run("regex", {"pattern": "(a+)+$"}, text)
    assert time.perf_counter() - start < 1.0


def test_a_stored_config_that_went_bad_fails_instead_of_raising() -> None:
    [result] = validators.run_validators("x", [{"type": "length", "config": {}}], {})
    assert not result.passed and "Invalid configuration" in result.message


# --------------------------------------------------------------------------- CRUD (both DBs)
@pytest.fixture
def world(session: Session):
    owner = make_user(session, name="Owner")
    outsider = make_user(session, name="Outsider")
    project, prompt = make_prompt(session, owner, content="Answer in JSON")
    return owner, outsider, project, prompt


def test_owner_adds_updates_lists_and_deletes_validators(session: Session, world) -> None:
    owner, _, _, prompt = world
    first = validators.add_validator(
        session, owner, prompt.id, type="contains", config={"text": "JSON"}
    )
    second = validators.add_validator(session, owner, prompt.id, type="length", config={"max": 9})
    session.commit()
    assert [v.id for v in validators.list_validators(session, owner, prompt.id)] == [
        first.id,
        second.id,
    ]
    validators.update_validator(session, owner, second.id, config={"max": 100})
    session.commit()
    results = validators.run_validators(
        "Answer in JSON", validators.list_validators(session, owner, prompt.id), {}
    )
    assert [r.passed for r in results] == [True, True]
    assert results[0].validator_id == str(first.id)
    validators.delete_validator(session, owner, first.id)
    session.commit()
    assert [v.id for v in validators.list_validators(session, owner, prompt.id)] == [second.id]
    actions = session.exec(select(AuditLog.action).order_by(AuditLog.created_at)).all()
    assert actions == [
        "validator.added",
        "validator.added",
        "validator.updated",
        "validator.deleted",
    ]


def test_bad_config_is_not_saved(session: Session, world) -> None:
    owner, _, _, prompt = world
    with pytest.raises(ValidationFailed, match="invalid regular expression"):
        validators.add_validator(session, owner, prompt.id, type="regex", config={"pattern": "["})
    session.rollback()
    assert validators.list_validators(session, owner, prompt.id) == []


def test_outsider_and_read_only_key_cannot_touch_validators(session: Session, world) -> None:
    owner, outsider, project, prompt = world
    with pytest.raises(NotFound):
        validators.add_validator(session, outsider, prompt.id, type="length", config={"max": 1})
    with pytest.raises(NotFound):
        validators.list_validators(session, outsider, prompt.id)
    v = validators.add_validator(session, owner, prompt.id, type="length", config={"max": 1})
    session.commit()
    with pytest.raises(NotFound):
        validators.delete_validator(session, outsider, v.id)
    read_only = Principal(owner.user_id, owner.email, owner.name, api_key_scope="read")
    assert validators.list_validators(session, read_only, prompt.id)
    with pytest.raises(PermissionDenied):
        validators.update_validator(session, read_only, v.id, config={"max": 2})


@pytest.mark.parametrize(
    ("type_", "config", "summary"),
    [
        (
            "regex",
            {"pattern": "^Hi", "must_match": False, "ignore_case": True},
            "must not match /^Hi/i",
        ),
        ("length", {"min": 1, "max": 4000}, "at least 1 and at most 4,000 characters"),
        ("length", {"max": 50, "unit": "words"}, "at most 50 words"),
        ("contains", {"text": ["a", "b"], "mode": "all"}, "must contain all of 'a', 'b'"),
        ("contains", {"text": "x", "must_not_contain": True}, "must not contain 'x'"),
        ("custom", {"expression": "text | length < 10"}, "text | length < 10"),
    ],
)
def test_validators_describe_themselves_in_one_line(type_, config, summary) -> None:
    assert validators.describe(type_, validators.validate_config(type_, config)) == summary
