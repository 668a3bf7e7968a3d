"""What a template's use of a variable says of its spec (templates.variable_hints), how a new or
untouched variable follows it (variables.sync_with_content), and how the preview and renders
treat a value nobody gave (Jinja's `default` and `is defined`)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from promptrepo.services import chat, drafts, render_worker, templates, variables, versions
from promptrepo.services.errors import ValidationFailed
from tests.factories import make_user
from tests.prompt_factories import make_prompt


@pytest.mark.parametrize(
    ("content", "hints"),
    [
        ("Hello {{ name }}", {}),
        ("{% if vip %}VIP {% endif %}{{ name }}", {"vip": {"type": "boolean"}}),
        (
            "{% if a and not b %}{{ c if d else e }}{% endif %}",
            {n: {"type": "boolean"} for n in "abd"},
        ),
        ("{{ name | default('friend') }}", {"name": {"required": False}}),
        ("{{ name | d('friend') }} and {{ name }}", {"name": {"required": False}}),
        ("{% if name is defined %}{{ name }}{% endif %}", {"name": {"required": False}}),
        ("{% for item in items %}- {{ item.title }}\n{% endfor %}", {"items": {"type": "json"}}),
        (
            "{% if items %}{% for i in items %}{{ i }}{% endfor %}{% endif %}",
            {"items": {"type": "json"}},
        ),
        # used as text too: nothing to infer
        ("{% if vip %}!{% endif %}{{ vip }}", {}),
        ("{% for c in name %}{{ c }}{% endfor %}{{ name | upper }}", {}),
        ("{% if %}", {}),  # a syntax error: nothing
    ],
)
def test_hints_from_how_the_template_reads_each_variable(content: str, hints: dict) -> None:
    assert templates.variable_hints(content) == hints
    # the skeleton cache (what the editor's keystrokes go through) says the same
    assert dict(templates.outline(content).hints) == hints
    assert dict(templates.analyze_source(content).hints) == hints


def test_a_new_variable_gets_the_spec_its_use_implies_and_follows_it_until_touched() -> None:
    content = "{% if vip %}Dear VIP{% endif %} {{ title | default('friend') }}"
    spec = variables.sync_with_content(
        {}, templates.detect_variables(content), templates.variable_hints(content)
    )
    assert spec["vip"]["type"] == "boolean" and spec["vip"]["required"] is True
    assert spec["title"]["type"] == "string" and spec["title"]["required"] is False
    # `vip` is now printed too: untouched, its spec follows (a string again)
    content2 = content + " {{ vip }}"
    spec2 = variables.sync_with_content(
        spec, templates.detect_variables(content2), templates.variable_hints(content2)
    )
    assert spec2["vip"] == variables.default_spec()
    # a described variable keeps what the user gave it, whatever the use
    spec["vip"] = {**spec["vip"], "description": "a paying customer"}
    spec3 = variables.sync_with_content(
        spec, templates.detect_variables(content2), templates.variable_hints(content2)
    )
    assert spec3["vip"]["type"] == "boolean" and spec3["vip"]["description"]
    # an inferred, untouched spec leaves no trace when its variable goes
    spec4 = variables.sync_with_content(spec2, ["vip"], {})
    assert list(spec4) == ["vip"]


def test_chat_messages_agree_or_give_no_hint() -> None:
    messages = [
        {"role": "system", "content": "{% if vip %}Be extra kind.{% endif %}"},
        {"role": "user", "content": "{{ question | default('Hi') }} {% if vip %}!{% endif %}"},
    ]
    assert chat.variable_hints(messages) == {
        "vip": {"type": "boolean"},
        "question": {"required": False},
    }
    messages.append({"role": "user", "content": "Is {{ vip }} set?"})
    assert chat.variable_hints(messages) == {"question": {"required": False}}


def test_a_value_nobody_gave_takes_the_templates_own_default() -> None:
    content = "Dear {{ title | d('Sir') }} {{ name | default('friend') }}, {{ name }}"
    # Described required variables with no example: the preview's unset text is missing to
    # `default` (it showed "(unset)" before) and still prints as "(unset)" on its own.
    spec = {
        "name": {"type": "string", "description": "who"},
        "title": {"type": "string", "description": "how"},
    }
    values, unset = variables.preview_values(spec, ["title", "name"])
    assert unset == ["title", "name"]
    text, _ = render_worker.render_and_validate_here(content, spec, [], values)
    assert text == "Dear Sir friend, (unset)"
    answer = render_worker.preview_here(content, spec, [], "jinja2-lines", {})
    assert answer["text"] == "Dear Sir friend, (unset)", answer
    # Optional and not given (None): missing too, to `default` and to `is defined`.
    optional = {"name": {"type": "string", "required": False}}
    rendered, _ = render_worker.render_and_validate_here(
        "{{ name | default('friend') }}{% if name is defined %}!{% endif %}", optional, [], {}
    )
    assert rendered == "friend"
    # A value given wins, and `default(x, true)` still replaces an empty one.
    text, _ = render_worker.render_and_validate_here(
        "{{ name | default('friend') }}{{ title | default('Sir', true) }}",
        spec,
        [],
        {"name": "Ann", "title": ""},
    )
    assert text == "AnnSir"


def test_a_saved_draft_and_its_version_carry_the_inferred_specs(session: Session) -> None:
    owner = make_user(session)
    _, prompt = make_prompt(session, owner)
    content = "Hi {{ name }}{% if vip %}, valued customer{% endif %}. {{ sign | default('Bye') }}"
    prompt = drafts.save_draft(
        session, owner, prompt.id, base_revision=prompt.revision, content=content
    )
    assert prompt.variables["vip"]["type"] == "boolean"
    assert prompt.variables["sign"]["required"] is False
    assert prompt.variables["name"] == variables.default_spec()
    # publishing checks it with typed placeholders (vip false); `sign` falls to its default
    version = versions.create_version(session, owner, prompt.id, commit_message="first")
    assert version.variables["vip"]["type"] == "boolean"
    rendered = versions.render_prompt(
        session, owner, prompt.id, version=version.version, values={"name": "Ann", "vip": False}
    )
    assert rendered.text == "Hi Ann. Bye"
    # without `vip` the API says it is missing, as for any required variable
    with pytest.raises(ValidationFailed, match="vip"):
        versions.render_prompt(
            session, owner, prompt.id, version=version.version, values={"name": "Ann"}
        )
