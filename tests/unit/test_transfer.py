"""Export as JSON/YAML/Markdown and import back: round trips, bad files, limits and access."""

from __future__ import annotations

import json

import pytest
import yaml
from sqlmodel import Session, func, select

from promptrepo.models import Project, Prompt, Segment, Validator
from promptrepo.services import projects, prompts, segments, transfer
from promptrepo.services.errors import NotFound, PlanLimitReached, ValidationFailed
from tests.factories import make_user


def rich_project(session: Session, owner) -> Project:
    project = projects.create_project(
        session, owner, name="Support bot", description="Answers tickets"
    )
    system = segments.create_segment(session, owner, project.id, name="System")
    task = segments.create_segment(session, owner, project.id, name="Task")
    persona = prompts.create_prompt(
        session,
        owner,
        system.id,
        name="Persona",
        content="You are {{ role }}.\nBe brief:  \n\n- one\n- two",
        variables={"role": {"type": "string", "default": "a helper", "required": True}},
        tags=["support", "tone"],
    )
    prompts.create_prompt(session, owner, system.id, name="Empty")
    prompts.create_prompt(
        session, owner, task.id, name="Ticket", content="Ticket: {{ text }} ```code```"
    )
    session.add(
        Validator(
            prompt_id=persona.id, type="length", config={"max": 400, "unit": "characters"}, order=0
        )
    )
    session.add(
        Validator(
            prompt_id=persona.id, type="regex", config={"pattern": "^You", "mode": "match"}, order=1
        )
    )
    session.commit()
    return project


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_import_then_export_gives_the_same_document(session: Session, fmt: str) -> None:
    alice, bob = make_user(session), make_user(session)
    project = rich_project(session, alice)
    exported = transfer.export_project(session, alice, project.id, fmt)
    imported = transfer.import_project(session, bob, exported)
    session.commit()
    assert imported.user_id == bob.user_id and not imported.is_public
    assert transfer.export_project(session, bob, imported.id, fmt) == exported
    doc = json.loads(exported) if fmt == "json" else yaml.safe_load(exported)
    assert doc["format_version"] == 1
    assert [s["name"] for s in doc["segments"]] == ["System", "Task"]
    persona = doc["segments"][0]["prompts"][0]
    assert persona["variables"]["role"]["default"] == "a helper"
    assert [v["type"] for v in persona["validators"]] == ["length", "regex"]
    assert persona["tags"] == ["support", "tone"]
    assert "tags" not in doc["segments"][0]["prompts"][1]  # none: not written


def test_reimport_into_same_account_gets_a_new_name(session: Session) -> None:
    owner = make_user(session)
    project = rich_project(session, owner)
    exported = transfer.export_project(session, owner, project.id, "yaml")
    copy = transfer.import_project(session, owner, exported, "yaml")
    session.commit()
    assert copy.name == "Support bot (imported)"
    again = transfer.export_project(session, owner, copy.id, "yaml")
    assert again == exported.replace("name: Support bot\n", "name: Support bot (imported)\n", 1)


def test_markdown_export_lists_segments_and_prompts_in_order(session: Session) -> None:
    owner = make_user(session)
    project = rich_project(session, owner)
    md = transfer.export_project(session, owner, project.id, "markdown")
    assert md.startswith("# Support bot\n\nAnswers tickets\n\n## System\n\n### Persona\n")
    assert md.index("## System") < md.index("### Empty") < md.index("## Task")
    assert "````text\nTicket: {{ text }} ```code```\n````" in md


HOSTILE = [
    '<img src=x onerror="alert(1)">',
    "[click me](javascript:alert(1))",
    "![pixel](https://evil.example/p.png)",
    "**bold** _it_ `code` ~~gone~~",
    "# not a heading\n- not a list\n1. nor this\n> nor a quote\n---",
    "| a | b |\n|---|---|\n| c | d |",
    "<script>alert(1)</script> &amp; &lt;b&gt;",
    "<https://auto.link> www.example.com\\",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_markdown_export_escapes_every_user_written_field(session: Session, hostile: str) -> None:
    """Rendered by a CommonMark renderer (raw HTML allowed), names and the description come
    out as the literal text the user typed: no tags, links, images or structure of theirs."""
    from markdown_it import MarkdownIt

    owner = make_user(session)
    one_line = " ".join(hostile.split())
    project = projects.create_project(session, owner, name=one_line[:100], description=hostile)
    seg = segments.create_segment(session, owner, project.id, name=one_line[:100])
    prompts.create_prompt(session, owner, seg.id, name=one_line[:100], content=hostile)
    md = transfer.export_project(session, owner, project.id, "markdown")
    tokens = MarkdownIt("commonmark").parse(md)
    blocks = [t.type for t in tokens if t.level == 0 and t.nesting >= 0]
    assert blocks == ["heading_open", "paragraph_open", "heading_open", "heading_open", "fence"], (
        blocks
    )
    inline = [t for t in tokens if t.type == "inline"]
    for token in inline:  # nothing but text inside: no emphasis, link, image, code or HTML
        assert {c.type for c in token.children} <= {"text", "softbreak"}, token.children
    texts = ["".join(c.content if c.type == "text" else "\n" for c in t.children) for t in inline]
    assert texts == [one_line[:100], hostile, one_line[:100], one_line[:100]]
    assert [t.content for t in tokens if t.type == "fence"] == [hostile + "\n"]
    html = MarkdownIt("commonmark").render(md)
    assert "<img" not in html and "<script" not in html and "<a " not in html


BAD_FILES = [
    ("", [[]], "empty"),
    ("{not json", [[]], "Not valid JSON"),
    ("name: [unclosed", [[]], "Not valid YAML"),
    ("- a list", [[]], "Expected a PromptRepo project export"),
    ('{"format_version": 2, "name": "x"}', [["format_version"]], "format_version"),
    (
        json.dumps(
            {
                "format_version": 1,
                "name": "",
                "colour": "red",
                "segments": [
                    {"name": "ok", "prompts": [{"content": "no name"}]},
                    {"name": "x" * 101},
                    {"name": "v", "prompts": [{"name": "p", "validators": [{"type": "magic"}]}]},
                ],
            }
        ),
        [
            ["name"],
            ["colour"],
            ["segments", 0, "prompts", 0, "name"],
            ["segments", 1, "name"],
            ["segments", 2, "prompts", 0, "validators", 0, "type"],
        ],
        "segments[0].prompts[0].name: This field is required.",
    ),
    (
        json.dumps(
            {
                "format_version": 1,
                "name": "x",
                "segments": [
                    {"name": "s", "prompts": [{"name": "p", "tags": ["ok", "two words"]}]}
                ],
            }
        ),  # fmt: skip
        [["segments", 0, "prompts", 0, "tags"]],
        "'two words' is not a tag",
    ),
]


@pytest.mark.parametrize(("text", "locs", "message"), BAD_FILES)
def test_bad_file_lists_its_problems_and_imports_nothing(
    session: Session, text: str, locs: list, message: str
) -> None:
    owner = make_user(session)
    with pytest.raises(ValidationFailed) as exc:
        transfer.import_project(session, owner, text)
    assert sorted(map(str, (e["loc"] for e in exc.value.errors))) == sorted(map(str, locs))
    assert message in exc.value.message
    session.rollback()
    for model in (Project, Segment, Prompt, Validator):
        assert session.exec(select(func.count()).select_from(model)).one() == 0


def test_import_respects_the_prompt_limit_and_creates_nothing(session: Session) -> None:
    owner = make_user(session)
    doc = {
        "format_version": 1,
        "name": "Too big",
        "segments": [{"name": "s", "prompts": [{"name": f"p{i}"} for i in range(101)]}],
    }
    with pytest.raises(PlanLimitReached):
        transfer.import_project(session, owner, json.dumps(doc))
    session.rollback()
    assert session.exec(select(func.count()).select_from(Project)).one() == 0


def test_outsider_cannot_export_private_project(session: Session) -> None:
    owner, outsider = make_user(session), make_user(session)
    project = rich_project(session, owner)
    for who in (outsider, None):
        with pytest.raises(NotFound):
            transfer.export_project(session, who, project.id, "json")
    projects.update_project(session, owner, project.id, is_public=True)
    session.commit()
    assert "Support bot" in transfer.export_project(session, None, project.id, "markdown")
