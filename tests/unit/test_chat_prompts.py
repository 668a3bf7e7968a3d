"""Chat prompts and model settings: messages with roles and placeholders, variables across
messages, validators per message and on the whole, versions, diffs, resolve/render, export
and import (both databases). Text prompts keep working as before."""

import pytest
from sqlmodel import Session

from promptrepo.services import drafts, transfer, validators, versions
from promptrepo.services.errors import ValidationFailed
from tests.factories import make_user
from tests.prompt_factories import make_prompt

MESSAGES = [
    {"role": "system", "content": "You are {{ persona }}. Answer in {{ language }}."},
    {"type": "placeholder", "name": "history"},
    {"role": "user", "content": "{{ question }}"},
]
CONFIG = {
    "model": "gpt-test",
    "temperature": 0.2,
    "max_tokens": 200,
    "stop": "###",
    "seed": 7,
    "response_format": {
        "type": "json_schema",
        "json_schema": {
            "name": "answer",
            "schema": {"type": "object", "required": ["answer"]},
        },
    },
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "lookup",
                "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
            },
        }
    ],
    "reasoning_effort": "low",
}
SPEC = {
    "persona": {"type": "string", "example": "a librarian"},
    "language": {"type": "enum", "options": ["English", "French"], "default": "English"},
    "question": {"type": "string", "example": "Where are the maps?"},
}


@pytest.fixture
def world(session: Session):
    owner = make_user(session, name="Owner")
    _, prompt = make_prompt(session, owner, name="Support")
    prompt = drafts.save_draft(
        session,
        owner,
        prompt.id,
        base_revision=prompt.revision,
        type="chat",
        messages=MESSAGES,
        config=CONFIG,
    )
    prompt = drafts.save_draft(
        session, owner, prompt.id, base_revision=prompt.revision, variables=SPEC
    )
    session.commit()
    return owner, prompt


def test_chat_draft_detects_variables_across_messages_and_keeps_settings(world) -> None:
    _, prompt = world
    assert prompt.type == "chat"
    assert list(prompt.variables) == ["persona", "language", "question"]
    assert prompt.messages[1] == {"type": "placeholder", "name": "history"}
    assert prompt.config["stop"] == ["###"]  # one stop string becomes a list
    assert prompt.config["reasoning_effort"] == "low"  # extra keys are kept


@pytest.mark.parametrize(
    ("messages", "fragment"),
    [
        ([{"role": "robot", "content": "x"}], "role is one of system, developer"),
        ([{"type": "placeholder", "name": "1bad"}], "placeholder name"),
        (
            [{"type": "placeholder", "name": "h"}, {"type": "placeholder", "name": "h"}],
            "appears twice",
        ),
        ("not a list", "must be a list"),
    ],
)
def test_bad_messages_are_refused_with_the_place_named(
    session: Session, world, messages, fragment
) -> None:
    owner, prompt = world
    with pytest.raises(ValidationFailed, match=fragment):
        drafts.save_draft(
            session, owner, prompt.id, base_revision=prompt.revision, messages=messages
        )


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"temperature": 3}, "temperature"),
        ({"top_p": -1}, "top_p"),
        ({"response_format": {"type": "json_schema"}}, "needs a json_schema"),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "a", "schema": {"type": "nope"}},
                }
            },
            "not a valid JSON Schema",
        ),
        ({"tools": [{"type": "function", "function": {"name": "has space"}}]}, "tools"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
    ],
)
def test_bad_model_settings_are_refused_naming_the_field(
    session: Session, world, config, fragment
) -> None:
    owner, prompt = world
    with pytest.raises(ValidationFailed, match=fragment) as info:
        drafts.save_draft(session, owner, prompt.id, base_revision=prompt.revision, config=config)
    assert info.value.errors[0]["loc"][0] == "config"


def test_render_fills_placeholders_and_variables(session: Session, world) -> None:
    owner, prompt = world
    history = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    result = versions.render_prompt(
        session,
        owner,
        prompt.id,
        draft=True,
        values={"persona": "a guide", "question": "Maps?"},
        placeholders={"history": history},
    )
    assert result.type == "chat"
    assert result.messages == [
        {"role": "system", "content": "You are a guide. Answer in English."},
        *history,
        {"role": "user", "content": "Maps?"},
    ]
    assert result.config["model"] == "gpt-test"
    assert result.to_dict()["messages"] == result.messages
    # an unfilled placeholder is empty
    empty = versions.render_prompt(
        session, owner, prompt.id, draft=True, values={"persona": "a", "question": "b"}
    )
    assert [m["role"] for m in empty.messages] == ["system", "user"]


def test_render_refuses_unknown_placeholders_and_bad_messages(session: Session, world) -> None:
    owner, prompt = world
    values = {"persona": "a", "question": "b"}
    with pytest.raises(ValidationFailed, match="no placeholder 'chat'"):
        versions.render_prompt(
            session, owner, prompt.id, draft=True, values=values, placeholders={"chat": []}
        )
    with pytest.raises(ValidationFailed, match="Placeholder 'history'"):
        versions.render_prompt(
            session,
            owner,
            prompt.id,
            draft=True,
            values=values,
            placeholders={"history": [{"role": "wizard", "content": "x"}]},
        )
    with pytest.raises(ValidationFailed, match="question"):
        versions.render_prompt(session, owner, prompt.id, draft=True, values={"persona": "a"})


def test_validators_run_on_each_message_and_on_the_whole(session: Session, world) -> None:
    owner, prompt = world
    validators.add_validator(session, owner, prompt.id, type="length", config={"max": 60})
    session.commit()
    values = {
        "persona": "a guide",
        "question": "A question that is much too long to pass here, far longer than sixty characters",
    }
    result = versions.render_prompt(session, owner, prompt.id, draft=True, values=values)
    (check,) = result.validators
    assert not check.passed
    assert "message 2 (user)" in check.message
    short = versions.render_prompt(
        session, owner, prompt.id, draft=True, values={"persona": "x", "question": "y"}
    )
    assert short.validators[0].passed


def test_versions_snapshot_messages_and_settings_and_diff_per_message(
    session: Session, world
) -> None:
    owner, prompt = world
    first = versions.create_version(session, owner, prompt.id, commit_message="one")
    session.commit()
    changed = [
        MESSAGES[0],
        MESSAGES[1],
        {"role": "user", "content": "Please: {{ question }}"},
        {"role": "assistant", "content": "Sure."},
    ]
    prompt = drafts.save_draft(
        session,
        owner,
        prompt.id,
        base_revision=prompt.revision,
        messages=changed,
        config={**CONFIG, "temperature": 0.9},
    )
    versions.create_version(session, owner, prompt.id, commit_message="two")
    session.commit()
    detail = versions.get_version(session, owner, prompt.id, first.version)
    assert detail.type == "chat" and detail.messages == MESSAGES
    assert detail.config["temperature"] == 0.2
    diff = versions.diff_versions(session, owner, prompt.id, 1, 2).to_dict()
    kinds = [(m["change"], m["index_before"], m["index_after"]) for m in diff["messages"]]
    assert kinds == [("same", 0, 0), ("same", 1, 1), ("changed", 2, 2), ("added", None, 3)]
    assert diff["config"] == [
        {"key": "temperature", "change": "changed", "before": 0.2, "after": 0.9}
    ]


def test_resolve_serves_type_messages_and_config_and_text_keeps_its_fields(
    session: Session, world
) -> None:
    owner, prompt = world
    versions.create_version(session, owner, prompt.id, commit_message="one")
    versions.set_label(session, owner, prompt.id, "production", 1)
    session.commit()
    body = versions.resolve(session, owner, prompt.id).to_dict()
    assert body["type"] == "chat"
    assert body["messages"] == MESSAGES
    assert body["config"]["model"] == "gpt-test"
    _, text_prompt = make_prompt(session, owner, content="Hi {{ name }}", project_name="Text")
    versions.create_version(session, owner, text_prompt.id, commit_message="t")
    session.commit()
    text_body = versions.resolve(session, owner, text_prompt.id, version=1).to_dict()
    assert text_body["content"] == "Hi {{ name }}"
    assert text_body["type"] == "text" and text_body["config"] == {}
    assert "messages" not in text_body


def test_publish_runs_validators_on_chat_messages(session: Session, world) -> None:
    owner, prompt = world
    validators.add_validator(session, owner, prompt.id, type="contains", config={"text": "Answer"})
    versions.create_version(session, owner, prompt.id, commit_message="one")
    session.commit()
    with pytest.raises(ValidationFailed, match="message 2"):
        versions.set_label(session, owner, prompt.id, "production", 1)


def test_export_and_import_carry_messages_settings_and_cases(session: Session, world) -> None:
    from promptrepo.services import testcases

    owner, prompt = world
    testcases.add_case(
        session,
        owner,
        prompt.id,
        {
            "name": "maps",
            "variables": {"persona": "a", "question": "b"},
            "placeholders": {"history": [{"role": "user", "content": "hi"}]},
            "expectations": [{"type": "contains", "value": "maps"}],
        },
    )
    session.commit()
    doc = transfer.project_document(session, owner, prompt_project(session, prompt))
    (entry,) = doc["segments"][0]["prompts"]
    assert entry["type"] == "chat" and entry["messages"][1]["type"] == "placeholder"
    assert entry["config"]["temperature"] == 0.2
    assert entry["test_cases"][0]["name"] == "maps"
    text = transfer.render_document(doc, "json")
    imported = transfer.import_project(session, owner, text)
    session.commit()
    again = transfer.project_document(session, owner, imported.id)
    assert again["segments"] == doc["segments"]


def test_import_reports_bad_messages_and_settings_with_their_place() -> None:
    doc = """{"format_version": 1, "name": "X", "segments": [{"name": "S", "prompts": [
        {"name": "P", "type": "chat", "messages": [{"role": "robot", "content": ""}],
         "config": {"temperature": 9}}]}]}"""
    with pytest.raises(ValidationFailed) as info:
        transfer.parse_document(doc, "json")
    places = {transfer.format_location(p["loc"]) for p in info.value.errors}
    assert places == {"segments[0].prompts[0].messages", "segments[0].prompts[0].config"}


def prompt_project(session: Session, prompt):
    from promptrepo.models import Segment

    return session.get(Segment, prompt.segment_id).project_id


def test_a_fork_keeps_messages_and_settings(session: Session, world) -> None:
    from sqlmodel import select

    from promptrepo.models import Project, Prompt, Segment, Version
    from promptrepo.services import forks

    owner, prompt = world
    versions.create_version(session, owner, prompt.id, commit_message="one")
    versions.set_label(session, owner, prompt.id, "production", 1)
    project = session.get(Project, prompt_project(session, prompt))
    project.is_public = True
    session.add(project)
    session.commit()
    forker = make_user(session, name="Forker")
    fork = forks.fork_project(session, forker, project.id)
    session.commit()
    copy = session.exec(
        select(Prompt)
        .join(Segment, Segment.id == Prompt.segment_id)
        .where(Segment.project_id == fork.id)
    ).one()
    assert (copy.type, copy.messages, copy.config) == ("chat", prompt.messages, prompt.config)
    version = session.exec(select(Version).where(Version.prompt_id == copy.id)).one()
    assert version.type == "chat" and version.messages == prompt.messages


def test_switching_type_keeps_the_text_but_serves_only_what_the_type_uses(
    session: Session,
) -> None:
    owner = make_user(session)
    _, prompt = make_prompt(session, owner, content="Hi {{ name }}")
    prompt = drafts.save_draft(
        session, owner, prompt.id, base_revision=prompt.revision, type="chat", messages=MESSAGES
    )
    assert list(prompt.variables) == ["persona", "language", "question"]
    version = versions.create_version(session, owner, prompt.id, commit_message="chat")
    assert version.content == "" and version.type == "chat"
    assert versions.resolve(session, owner, prompt.id, draft=True).to_dict()["content"] == ""
    prompt = drafts.save_draft(
        session, owner, prompt.id, base_revision=prompt.revision, type="text"
    )
    assert prompt.content == "Hi {{ name }}" and list(prompt.variables) == ["name"]
