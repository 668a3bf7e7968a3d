"""The playground: provider connections (keys encrypted, never shown), streamed runs through the
real `openai` SDK, errors shown on the run, every run kept, re-run and compare; test cases,
"Run all" and the publish gate (both databases).

The hosted providers cannot be reached from here: calls go to tests/support/openai_fake.py, a
real HTTP server on loopback speaking the Chat Completions protocol (SSE included).
"""

from __future__ import annotations

import json

import httpx
import pytest
from sqlmodel import Session, select

from promptrepo.models import Project, ProviderConnection
from promptrepo.services import drafts, llm, playground, providers, testcases, versions
from promptrepo.services.errors import Conflict, NotFound, ValidationFailed
from tests.factories import make_user
from tests.prompt_factories import make_prompt
from tests.support.openai_fake import API_KEY, FakeOpenAI
from tests.support.run_async import run_async

MESSAGES = [
    {"role": "system", "content": "You answer about {{ topic }}."},
    {"type": "placeholder", "name": "history"},
    {"role": "user", "content": "{{ question }}"},
]


@pytest.fixture(scope="module")
def fake():
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def world(session: Session, fake: FakeOpenAI):
    owner = make_user(session, name="Owner")
    outsider = make_user(session, name="Outsider")
    project, prompt = make_prompt(session, owner, name="Chat")
    prompt = drafts.save_draft(
        session,
        owner,
        prompt.id,
        base_revision=prompt.revision,
        type="chat",
        messages=MESSAGES,
        config={"model": "gpt-loop", "temperature": 0.3},
    )
    providers.add_connection(
        session,
        owner,
        name="Loopback",
        base_url=fake.base_url,
        api_key=API_KEY,
        default_model="gpt-loop",
    )
    session.commit()
    return owner, outsider, project, prompt


def run(session, owner, prompt, provider="Loopback", **kw):
    plan = playground.prepare_run(
        session,
        owner,
        prompt.id,
        provider=provider,
        values=kw.pop("values", {"topic": "maps", "question": "Where is the atlas?"}),
        **kw,
    )
    session.commit()
    done = run_async(llm.complete(plan.target, plan.model, plan.messages, plan.params, timeout=2.0))
    view = playground.finish_run(
        session,
        owner,
        plan.run_id,
        output=done.output,
        status=done.status,
        error=done.error,
        input_tokens=done.input_tokens,
        output_tokens=done.output_tokens,
        first_token_ms=done.first_token_ms,
        total_ms=done.total_ms,
    )
    session.commit()
    return view


# --------------------------------------------------------------------------- connections
def test_api_keys_are_encrypted_at_rest_and_never_listed(session: Session, world) -> None:
    owner, *_ = world
    row = session.exec(select(ProviderConnection)).one()
    assert API_KEY not in row.api_key_encrypted
    assert providers.decrypt_key(row.api_key_encrypted) == API_KEY
    listed = providers.list_connections(session, owner)
    assert [c.name for c in listed] == ["echo", "Loopback"]
    assert API_KEY not in json.dumps([c.to_dict() for c in listed])
    assert listed[1].has_key


def test_connection_names_are_unique_and_echo_is_reserved(session: Session, world, fake) -> None:
    owner, *_ = world
    with pytest.raises(Conflict):
        providers.add_connection(
            session, owner, name="Loopback", base_url=fake.base_url, api_key="k"
        )
    with pytest.raises(ValidationFailed, match="built-in"):
        providers.add_connection(session, owner, name="echo", base_url=fake.base_url, api_key="k")
    with pytest.raises(ValidationFailed, match="http"):
        providers.add_connection(session, owner, name="Bad", base_url="ftp://x", api_key="k")


def test_only_the_owner_can_remove_a_connection(session: Session, world) -> None:
    owner, outsider, *_ = world
    (_, loopback) = providers.list_connections(session, owner)
    with pytest.raises(NotFound):
        providers.remove_connection(session, outsider, loopback.id)
    providers.remove_connection(session, owner, loopback.id)
    session.commit()
    assert [c.name for c in providers.list_connections(session, owner)] == ["echo"]


# --------------------------------------------------------------------------- runs
def test_a_run_streams_through_the_sdk_and_is_kept_with_usage_latency_and_cost(
    session: Session, world, fake
) -> None:
    owner, _, _, prompt = world
    providers.set_price(session, owner, "gpt-loop", 2.0, 8.0)
    view = run(
        session,
        owner,
        prompt,
        placeholders={"history": [{"role": "user", "content": "Hi"}]},
    )
    assert view.status == "done" and view.output == "Where is the atlas?"
    sent = fake.requests[-1]
    assert sent["temperature"] == 0.3 and sent["stream"] is True
    assert [m["role"] for m in sent["messages"]] == ["system", "user", "user"]
    assert view.output_tokens == 4 and view.input_tokens > 0
    assert view.cost == pytest.approx((view.input_tokens * 2.0 + 4 * 8.0) / 1_000_000)
    assert view.first_token_ms is not None and view.total_ms >= view.first_token_ms
    assert view.source == f"draft r{prompt.revision}"
    runs, total = playground.list_runs(session, owner, prompt.id)
    assert total == 1 and runs[0].id == view.id


def test_deltas_arrive_one_by_one(world, fake) -> None:
    target = providers.Target("Loopback", fake.base_url, API_KEY, "gpt-loop")

    async def collect():
        return [
            e.text
            async for e in llm.stream_chat(
                target, "gpt-loop", [{"role": "user", "content": "one two three"}], {}
            )
            if isinstance(e, llm.Delta)
        ]

    assert run_async(collect()) == ["one", " two", " three"]


@pytest.mark.parametrize(
    ("model", "fragment"),
    [
        ("fail-401", "refused the API key (401"),
        ("fail-429", "rate limiting you (429 Too Many Requests); retry after 7 s"),
        ("fail-500", "failed (500 server error)"),
        ("broken-stream", "stream broke off"),
        ("slow", "did not answer in time"),
    ],
)
def test_provider_errors_are_shown_on_the_run_and_keep_what_arrived(
    session: Session, world, fake, model, fragment
) -> None:
    owner, _, _, prompt = world
    fake.slow_seconds = 3.0
    view = run(session, owner, prompt, config_overrides={"model": model})
    assert view.status == "error"
    assert fragment in view.error
    if model == "broken-stream":
        assert view.output == "Where is"  # the two chunks that arrived are kept


def test_a_wrong_key_is_a_401_on_the_run(session: Session, world, fake) -> None:
    owner, _, _, prompt = world
    providers.add_connection(
        session, owner, name="Wrong", base_url=fake.base_url, api_key="sk-nope"
    )
    view = run(session, owner, prompt, provider="Wrong")
    assert view.status == "error" and "401" in view.error


def test_echo_is_deterministic_and_counts_tokens(session: Session, world) -> None:
    owner, _, _, prompt = world
    first = run(session, owner, prompt, provider="echo", config_overrides={"model": None})
    second = run(session, owner, prompt, provider="echo", config_overrides={"model": None})
    assert first.output == second.output
    assert first.output == "system: You answer about maps.\n\nuser: Where is the atlas?"
    assert first.model == "echo"  # no model set: echo names itself
    assert first.output_tokens == len(first.output) // 4 + (len(first.output) % 4 > 0)


def test_rerun_and_compare_a_version_with_the_draft(session: Session, world) -> None:
    owner, _, _, prompt = world
    versions.create_version(session, owner, prompt.id, commit_message="v1")
    session.commit()
    on_v1 = run(session, owner, prompt, provider="echo", version=1)
    prompt = drafts.save_draft(
        session,
        owner,
        prompt.id,
        base_revision=prompt.revision,
        messages=[MESSAGES[0], {"role": "user", "content": "Briefly: {{ question }}"}],
    )
    session.commit()
    on_draft = run(session, owner, prompt, provider="echo")
    compared = playground.compare_runs(session, owner, on_v1.id, on_draft.id)
    assert compared["left"]["source"] == "v1" and compared["right"]["source"].startswith("draft")
    assert compared["output_diff"]["added"] == 1 and compared["output_diff"]["removed"] == 1
    plan = playground.rerun(session, owner, on_v1.id)
    assert plan.messages == on_v1.messages


def test_outsiders_cannot_run_or_read_runs(session: Session, world) -> None:
    owner, outsider, _, prompt = world
    view = run(session, owner, prompt, provider="echo")
    with pytest.raises(NotFound):
        playground.prepare_run(session, outsider, prompt.id, provider="echo")
    with pytest.raises(NotFound):
        playground.get_run(session, outsider, view.id)


def test_a_run_without_a_model_asks_for_one(session: Session, world, fake) -> None:
    owner, _, _, prompt = world
    providers.add_connection(session, owner, name="NoModel", base_url=fake.base_url, api_key="k")
    with pytest.raises(ValidationFailed, match="Choose a model"):
        playground.prepare_run(
            session,
            owner,
            prompt.id,
            provider="NoModel",
            values={"topic": "a", "question": "b"},
            config_overrides={"model": None},
        )


# --------------------------------------------------------------------------- test cases
@pytest.mark.parametrize(
    ("expectation", "output", "passed", "fragment"),
    [
        ({"type": "contains", "value": "atlas"}, "the atlas", True, "contains"),
        ({"type": "contains", "value": "ATLAS", "ignore_case": True}, "the atlas", True, ""),
        ({"type": "not_contains", "value": "sorry"}, "Sorry, no", True, ""),
        (
            {"type": "not_contains", "value": "sorry", "ignore_case": True},
            "Sorry",
            False,
            "must not",
        ),
        ({"type": "regex", "value": r"^\d+$"}, "42", True, ""),
        ({"type": "equals", "value": "yes"}, " yes\n", True, ""),
        ({"type": "valid_json"}, "{oops", False, "is not valid JSON"),
        (
            {"type": "json_schema", "value": {"type": "object", "required": ["answer"]}},
            '{"other": 1}',
            False,
            "'answer' is a required property",
        ),
        ({"type": "max_length", "value": 3}, "four", False, "too long"),
    ],
)
def test_expectations(expectation, output, passed, fragment) -> None:
    expectations = testcases.validate_case({"name": "c", "expectations": [expectation]})[
        "expectations"
    ]
    (result,) = testcases.check_output(output, expectations)
    assert result.passed is passed
    assert fragment in result.message


@pytest.mark.parametrize(
    ("expectation", "fragment"),
    [
        ({"type": "regex", "value": "("}, "invalid regular expression"),
        ({"type": "max_length", "value": "ten"}, "whole number"),
        ({"type": "json_schema", "value": {"type": 5}}, "not a valid JSON Schema"),
        ({"type": "sounds_nice"}, "type"),
    ],
)
def test_bad_expectations_are_refused(expectation, fragment) -> None:
    with pytest.raises(ValidationFailed, match=fragment):
        testcases.validate_case({"name": "c", "expectations": [expectation]})


def add_three_cases(session: Session, owner, prompt) -> None:
    for name, question, expectation in [
        ("atlas", "Where is the atlas?", {"type": "contains", "value": "atlas"}),
        ("short", "Hi", {"type": "max_length", "value": 100}),
        ("json", "Say hi", {"type": "valid_json"}),
    ]:
        testcases.add_case(
            session,
            owner,
            prompt.id,
            {
                "name": name,
                "variables": {"topic": "maps", "question": question},
                "expectations": [expectation],
            },
        )
    session.commit()


def run_all(session: Session, owner, prompt, *, version=None, provider="echo"):
    plan = testcases.prepare_test_run(session, owner, prompt.id, provider=provider, version=version)
    results = run_async(testcases.execute_test_run(plan, timeout=5.0))
    view = testcases.store_test_run(session, owner, plan, results)
    session.commit()
    return view


def test_run_all_fills_the_grid_and_names_the_failure(session: Session, world) -> None:
    owner, _, _, prompt = world
    add_three_cases(session, owner, prompt)
    view = run_all(session, owner, prompt, provider="Loopback")
    assert (view.total, view.passed) == (3, 2)
    failed = [r for r in view.results if not r["passed"]]
    assert [r["name"] for r in failed] == ["json"]
    assert "is not valid JSON" in failed[0]["checks"][0]["message"]
    assert all(r["total_ms"] is not None for r in view.results)
    assert testcases.list_test_runs(session, owner, prompt.id)[0].id == view.id


def test_a_case_that_does_not_render_fails_with_the_reason(session: Session, world) -> None:
    owner, _, _, prompt = world
    testcases.add_case(session, owner, prompt.id, {"name": "missing", "variables": {"topic": "x"}})
    session.commit()
    view = run_all(session, owner, prompt)
    assert not view.results[0]["passed"]
    assert "question" in view.results[0]["error"]


def test_the_publish_gate_needs_every_case_to_pass_when_the_project_asks(
    session: Session, world
) -> None:
    owner, _, project, prompt = world
    add_three_cases(session, owner, prompt)
    examples = {"topic": {"example": "maps"}, "question": {"example": "Where?"}}
    drafts.save_draft(session, owner, prompt.id, base_revision=prompt.revision, variables=examples)
    versions.create_version(session, owner, prompt.id, commit_message="v1")
    session.commit()
    # without the setting, cases do not gate
    versions.set_label(session, owner, prompt.id, "production", 1)
    testcases.set_require_passing_tests(session, owner, project.id, True)
    session.commit()
    with pytest.raises(ValidationFailed, match="has not been tested"):
        versions.set_label(session, owner, prompt.id, "production", 1)
    run_all(session, owner, prompt, version=1)
    with pytest.raises(ValidationFailed, match="Test case 'json' failed: is not valid JSON"):
        versions.set_label(session, owner, prompt.id, "production", 1)
    # fix the failing case: the gate then asks for a new run, and opens after it
    (json_case,) = [c for c in testcases.list_cases(session, owner, prompt.id) if c.name == "json"]
    testcases.update_case(
        session,
        owner,
        json_case.id,
        {"name": "json", "variables": json_case.variables, "expectations": []},
    )
    session.commit()
    with pytest.raises(ValidationFailed, match="changed since the last run"):
        versions.set_label(session, owner, prompt.id, "production", 1)
    run_all(session, owner, prompt, version=1)
    versions.set_label(session, owner, prompt.id, "production", 1)
    session.commit()
    assert session.get(Project, project.id).require_passing_tests


def test_case_names_are_unique_and_outsiders_cannot_add(session: Session, world) -> None:
    owner, outsider, _, prompt = world
    testcases.add_case(session, owner, prompt.id, {"name": "a"})
    with pytest.raises(Conflict):
        testcases.add_case(session, owner, prompt.id, {"name": "a"})
    with pytest.raises(NotFound):
        testcases.add_case(session, outsider, prompt.id, {"name": "b"})


def test_timeouts_are_short_enough_to_test(fake) -> None:
    # the SDK honours our timeout (no hidden retries): a slow provider fails fast
    target = providers.Target("Loopback", fake.base_url, API_KEY, "slow")
    fake.slow_seconds = 2.0
    done = run_async(
        llm.complete(
            target, "slow", [{"role": "user", "content": "x"}], {}, timeout=httpx.Timeout(0.5)
        )
    )
    assert done.status == "error" and "in time" in done.error and done.total_ms < 1500
