"""Template dialects (issue 15, item 3): new prompts trim the lines of block tags; versions
keep the dialect they were made with, so existing ones render exactly as before (both DBs).
Also the preview's values for variables nobody set."""

import pytest
from jinja2 import Environment
from sqlmodel import Session

from promptrepo.models import Version
from promptrepo.services import drafts, forks, render_worker, templates, variables, versions
from promptrepo.services.errors import ValidationFailed
from promptrepo.services.variables import UnsetText
from tests.factories import make_user
from tests.prompt_factories import make_prompt

BLOCKS = "Hello {{ name }}\n  {% if vip %}\n  VIP\n  {% endif %}\nBye\n"

TEMPLATES = [
    BLOCKS,
    "{# note #}\n{% for i in items -%}\n {{ i }}{% endfor %}\n{% raw %}  {% if %}\n{% endraw %}\nend",
    "a {{ 'with %} inside' }} b\n\t{%- if vip %}\n{% else %}\n z\n{% endif +%}\nq",
    "  {% set v = {'a': 1} %}\n{{ v.a }}\r\n  {%+ if vip %}p{% endif %}\r\nx",
    "{% macro m(x) %}\n  <{{ x }}>\n{% endmacro %}\n{{ m(1) }}\n",
]


@pytest.mark.parametrize("content", TEMPLATES)
def test_the_trim_dialect_renders_like_jinjas_trim_and_lstrip_blocks(content: str) -> None:
    reference = Environment(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    context = {"name": "Ann", "vip": True, "items": [1, 2]}
    expected = reference.from_string(content).render(context)
    source = templates.dialect_source(content, templates.TRIM_DIALECT)
    assert templates.render_template(source, context) == expected
    # the plain dialect is the text as written
    assert templates.dialect_source(content, templates.PLAIN_DIALECT) == content


INLINE_END = "You help {{ who }}.\n{% if vip %}Be extra polite.{% endif %}\nAnswer briefly.\n"


@pytest.mark.parametrize(
    "content",
    [
        BLOCKS,
        TEMPLATES[4],
        "{# note #}\n{% for i in items %}\n  - {{ i }}\n{% endfor %}\n{% raw %}\n{{ x }}\n{% endraw %}\n",
    ],
)
def test_the_lines_dialect_drops_lines_of_only_block_tags_like_trim(content: str) -> None:
    """Where every block tag stands on a line of its own, "jinja2-lines" renders as Jinja's
    trim_blocks + lstrip_blocks does."""
    context = {"name": "Ann", "vip": True, "items": [1, 2]}
    trimmed = templates.dialect_source(content, templates.TRIM_DIALECT)
    lines = templates.dialect_source(content, templates.LINES_DIALECT)
    assert templates.render_template(lines, context) == templates.render_template(trimmed, context)


@pytest.mark.parametrize(
    ("vip", "expected"),
    [
        (True, "You help Ann.\nBe extra polite.\nAnswer briefly.\n"),
        (False, "You help Ann.\n\nAnswer briefly.\n"),
    ],
)
def test_the_lines_dialect_keeps_the_line_break_after_text_ending_in_a_tag(
    vip: bool, expected: str
) -> None:
    source = templates.dialect_source(INLINE_END, templates.LINES_DIALECT)
    assert templates.render_template(source, {"who": "Ann", "vip": vip}) == expected
    # Jinja's trim_blocks joins the next line to it (what "jinja2-trim" prompts keep)
    trimmed = templates.dialect_source(INLINE_END, templates.TRIM_DIALECT)
    assert "polite.Answer" in templates.render_template(trimmed, {"who": "Ann", "vip": True})
    # a tag after text on its line keeps that line's break, a line of only tags goes
    mixed = "a {% if vip %}\nb\n{% endif %}\nc"
    source = templates.dialect_source(mixed, templates.LINES_DIALECT)
    assert templates.render_template(source, {"vip": True}) == "a \nb\nc"


def test_new_prompts_drop_tag_lines_and_old_versions_render_as_before(session: Session) -> None:
    owner = make_user(session)
    _, prompt = make_prompt(session, owner)
    assert prompt.template_dialect == templates.LINES_DIALECT
    prompt = drafts.save_draft(
        session,
        owner,
        prompt.id,
        base_revision=prompt.revision,
        content=BLOCKS,
        variables={"name": {"example": "Ann"}, "vip": {"type": "boolean", "example": True}},
    )
    versions.create_version(session, owner, prompt.id, commit_message="trimmed")
    # A version made before dialects existed (what migration 0006 leaves them as).
    session.add(Version(prompt_id=prompt.id, version=2, content=BLOCKS, variables=prompt.variables))
    # One made with Jinja's trim_blocks, before "jinja2-lines" (migration 0022).
    inline = INLINE_END.replace("{{ who }}", "{{ name }}")
    session.add(
        Version(
            prompt_id=prompt.id,
            version=3,
            content=inline,
            variables=prompt.variables,
            template_dialect=templates.TRIM_DIALECT,
        )
    )
    session.commit()
    values = {"name": "Ann", "vip": True}
    new = versions.render_prompt(session, owner, prompt.id, values=values, version=1)
    old = versions.render_prompt(session, owner, prompt.id, values=values, version=2)
    trim = versions.render_prompt(session, owner, prompt.id, values=values, version=3)
    assert new.text == "Hello Ann\n  VIP\nBye\n"
    assert old.text == "Hello Ann\n  \n  VIP\n  \nBye\n"
    assert trim.text == "You help Ann.\nBe extra polite.Answer briefly.\n"
    assert versions.resolve(session, owner, prompt.id, version=2).template_dialect == "jinja2"

    # Restoring the old version brings its dialect back into the draft; forks keep both.
    prompt = versions.restore_version(session, owner, prompt.id, 2, base_revision=prompt.revision)
    assert prompt.template_dialect == templates.PLAIN_DIALECT
    versions.set_label(session, owner, prompt.id, "production", 2)
    session.commit()


def test_forks_keep_each_prompts_and_versions_dialect(session: Session) -> None:
    owner = make_user(session)
    other = make_user(session)
    project, prompt = make_prompt(session, owner, content=BLOCKS)
    project.is_public = True
    prompt.template_dialect = templates.PLAIN_DIALECT
    session.add_all([project, prompt])
    session.flush()
    spec = {"name": {"example": "Ann"}, "vip": {"type": "boolean", "example": False}}
    prompt = drafts.save_draft(
        session, owner, prompt.id, base_revision=prompt.revision, variables=spec
    )
    versions.create_version(session, owner, prompt.id, commit_message="v1")
    versions.set_label(session, owner, prompt.id, "production", 1)
    session.commit()
    fork = forks.fork_project(session, other, project.id)
    session.commit()
    from promptrepo.services import projects

    copied = projects.get_project_detail(session, other, fork.id).segments[0].prompts[0]
    resolved = versions.resolve(session, other, copied.id)
    assert resolved.template_dialect == templates.PLAIN_DIALECT
    draft = versions.resolve(session, other, copied.id, draft=True)
    assert draft.template_dialect == templates.PLAIN_DIALECT


def test_preview_values_never_make_an_unset_variable_true() -> None:
    spec = {
        "name": {"type": "string"},
        "vip": {"type": "string"},
        "flag": {"type": "boolean"},
        "count": {"type": "number"},
        "tier": {"type": "enum", "options": ["gold", "silver"]},
        "extra": {"type": "string", "required": False},
        "greeting": {"type": "string", "default": "Hi"},
    }
    names = list(spec)
    values, unset = variables.preview_values(spec, names)
    assert unset == ["name", "vip", "flag", "count", "tier"]
    assert isinstance(values["name"], UnsetText) and not values["name"]
    assert (values["flag"], values["count"], values["tier"]) == (False, 0, "gold")
    assert "extra" not in values and values["greeting"] == "Hi"
    # as the editor's preview renders (in process: UnsetText stays falsy)
    text, _ = render_worker.render_and_validate_here(
        "{{ greeting }} {{ name }}{% if vip %} (VIP){% endif %}{% if flag %}!{% endif %}",
        spec,
        [],
        values,
    )
    assert text == "Hi (unset)"


@pytest.mark.parametrize("dialect", templates.TEMPLATE_DIALECTS)
def test_a_render_compiles_once_and_errors_name_the_line_as_written(dialect: str) -> None:
    # The render worker compiles only the source it renders; the variables and parse errors
    # of a trimmed template come from the parser, and every error names the line as written.
    content = f"a\n{{% if vip %}}\nb\n{{% endif %}}\n{{{{ x }}}}{dialect}"
    text, _ = render_worker.render_and_validate_here(content, {}, [], {"vip": 1, "x": 2}, dialect)
    assert text.endswith("2" + dialect)
    assert templates.outline(content).variables == ("vip", "x")
    assert templates.outline(content).template is None
    for broken, line in (
        ("a\n{% if vip %}\nb\n{% endif %}\n{{ x|no_such_filter }}", 5),
        ("a\n{% if vip %}\nb\n{% endif %}\n{{ x }\n", 5),
    ):
        with pytest.raises(ValidationFailed) as failed:
            render_worker.render_and_validate_here(broken, {}, [], {"vip": 1, "x": 2}, dialect)
        assert f"line {line}" in failed.value.message, failed.value.message
    assert templates.outline("{{ x|no_such_filter }}").error is not None
