"""Diffs of chat prompts: message by message (added, removed, changed, role changes, the
words changed inside a message), and model settings as `key: old → new` — in History's
compare and in the Promote preview (both databases)."""

from types import SimpleNamespace

import pytest
from sqlmodel import Session

from promptrepo.services import drafts, model_config, releases, versions
from tests.factories import make_user
from tests.prompt_factories import make_prompt

V1 = [
    {"role": "system", "content": "You are a helpful agent.\nBe brief."},
    {"type": "placeholder", "name": "history"},
    {"role": "user", "content": "{{ question }}"},
]
V2 = [
    {"role": "system", "content": "You are a patient agent.\nBe brief."},
    {"type": "placeholder", "name": "history"},
    {"role": "developer", "content": "{{ question }}"},
    {"role": "assistant", "content": "Sure."},
]


def _chat(messages, config=None):
    return SimpleNamespace(type="chat", content="", messages=messages, config=config or {})


def _headings(rows):
    return [(r.old, r.new, r.change) for r in rows if r.kind == "message"]


def test_chat_diff_lists_each_message_with_what_happened_to_it() -> None:
    rows = releases.version_side_by_side(_chat(V1), _chat(V2))
    assert _headings(rows) == [
        ("#1 system", "#1 system", "changed"),
        ("#2 placeholder {{ history }}", "#2 placeholder {{ history }}", "unchanged"),
        ("#3 user", "#3 developer", "role user → developer"),
        ("", "#4 assistant", "added"),
    ]


def test_a_changed_message_shows_its_lines_and_the_changed_words() -> None:
    rows = releases.message_side_by_side(V1, V2)
    first = rows.index(next(r for r in rows if r.kind == "message"))
    body = rows[first + 1 : first + 3]
    assert [(r.kind, r.old, r.new) for r in body] == [
        ("changed", "You are a helpful agent.", "You are a patient agent."),
        ("same", "Be brief.", "Be brief."),
    ]
    assert [w for w, changed in body[0].old_words if changed] == ["helpful"]
    assert [w for w, changed in body[0].new_words if changed] == ["patient"]


def test_removed_and_added_messages_carry_their_text_on_one_side_only() -> None:
    rows = releases.message_side_by_side(V2, V1)
    removed = next(i for i, r in enumerate(rows) if r.change == "removed")
    assert rows[removed].old == "#4 assistant" and rows[removed].new == ""
    assert (rows[removed + 1].kind, rows[removed + 1].old, rows[removed + 1].new) == (
        "removed",
        "Sure.",
        "",
    )
    added = releases.message_side_by_side([], V1[:1])
    assert [(r.kind, r.change) for r in added] == [
        ("message", "added"),
        ("added", ""),
        ("added", ""),
    ]


def test_a_moved_message_is_said_to_have_moved() -> None:
    a = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]
    b = [{"role": "assistant", "content": "A"}, *a]
    assert _headings(releases.message_side_by_side(a, b)) == [
        ("", "#1 assistant", "added"),
        ("#1 system", "#2 system", "moved from #1"),
        ("#2 user", "#3 user", "moved from #2"),
    ]


def test_identical_messages_are_unchanged_and_have_no_changed_lines() -> None:
    rows = releases.message_side_by_side(V1, V1)
    assert {r.change for r in rows if r.kind == "message"} == {"unchanged"}
    assert {r.kind for r in rows if r.kind != "message"} == {"same"}


def test_text_prompts_and_a_change_of_type_keep_the_line_diff() -> None:
    text = SimpleNamespace(type="text", content="Hello {{ name }}", messages=[], config={})
    rows = releases.version_side_by_side(text, _chat(V1))
    assert "message" not in {r.kind for r in rows}
    assert releases.setting_changes(text, _chat(V1)) == ["type: text → chat"]
    plain = releases.version_side_by_side(text, text)
    assert [(r.kind, r.old) for r in plain] == [("same", "Hello {{ name }}")]


def test_settings_changes_read_key_old_to_new() -> None:
    old = {"temperature": 0.2, "stop": ["###"], "model": "gpt-a"}
    new = {"temperature": 0.7, "seed": 7, "model": "gpt-a"}
    assert model_config.describe_config_changes(old, new) == [
        "seed: — → 7",
        'stop: ["###"] → —',
        "temperature: 0.2 → 0.7",
    ]
    schema = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(30)}}
    line = model_config.describe_config_changes({}, {"response_format": schema})[0]
    assert line.startswith("response_format: — → {") and line.endswith("…")


@pytest.fixture
def chat_prompt(session: Session):
    owner = make_user(session, name="Chloe Chat")
    _, prompt = make_prompt(session, owner)
    for messages, config in ((V1, {"temperature": 0.2}), (V2, {"temperature": 0.7, "seed": 3})):
        prompt = drafts.save_draft(
            session,
            owner,
            prompt.id,
            base_revision=prompt.revision,
            type="chat",
            messages=messages,
            config=config,
        )
        versions.create_version(session, owner, prompt.id, commit_message="v")
    session.commit()
    return owner, prompt


def test_promote_preview_of_a_chat_prompt_is_message_by_message(
    session: Session, chat_prompt
) -> None:
    owner, prompt = chat_prompt
    versions.set_label(session, owner, prompt.id, "staging", 1)
    preview = releases.promotion_preview(session, owner, prompt.id, "staging", 2)
    assert _headings(preview.rows)[2] == ("#3 user", "#3 developer", "role user → developer")
    assert preview.setting_changes == ["seed: — → 3", "temperature: 0.2 → 0.7"]


def test_first_publish_of_a_chat_prompt_shows_every_message_added(
    session: Session, chat_prompt
) -> None:
    owner, prompt = chat_prompt
    preview = releases.promotion_preview(session, owner, prompt.id, "staging", 1)
    assert [c for _, _, c in _headings(preview.rows)] == ["added"] * 3
    assert preview.setting_changes == []


def test_history_diff_of_two_stored_chat_versions(session: Session, chat_prompt) -> None:
    owner, prompt = chat_prompt
    old = versions.get_version(session, owner, prompt.id, 1)
    new = versions.get_version(session, owner, prompt.id, 2)
    assert [c for _, _, c in _headings(releases.version_side_by_side(old, new))] == [
        "changed",
        "unchanged",
        "role user → developer",
        "added",
    ]
    assert releases.setting_changes(old, new) == ["seed: — → 3", "temperature: 0.2 → 0.7"]
