"""Templates and typed variables: sandboxed Jinja2, strict about undefined, typed coercion."""

import pytest

from promptrepo.services import templates, variables
from promptrepo.services.errors import ValidationFailed


def spec(**items):
    return variables.validate_spec(items)


def test_variables_are_detected_in_order_of_appearance_without_loop_or_set_names() -> None:
    content = (
        "{{ b }} {% for x in items %}{{ x }}{{ a }}{% endfor %}"
        "{% set c = 1 %}{{ c }} {{ user.name }} {{ range(2) | list }} {{ b }}"
    )
    assert templates.detect_variables(content) == ["b", "items", "a", "user"]


def test_syntax_error_reports_its_line() -> None:
    issue = templates.check_syntax("line one\nline two {{ name | }}\nline three")
    assert issue is not None
    assert issue.line == 2
    assert "line two" in issue.line_text
    assert templates.check_syntax("Hello {{ name }}") is None
    assert templates.detect_variables("{% if %}") == []


def test_render_syntax_error_is_validation_failed_naming_the_line() -> None:
    with pytest.raises(ValidationFailed, match="line 3"):
        templates.render("a\nb\n{% if x %}", {}, {"x": True})


def test_strict_undefined_names_the_missing_variable() -> None:
    with pytest.raises(ValidationFailed) as exc:
        templates.render("Hi {{ who }}", {}, {})
    assert "'who'" in exc.value.message
    assert exc.value.errors[0]["loc"] == ["variables", "who"]
    # attribute access on a provided value is strict too
    with pytest.raises(ValidationFailed, match="has no attribute .name."):
        templates.render("{{ user.name }}", spec(user={"type": "json"}), {"user": {}})


def test_missing_required_variable_is_named_and_default_fills_in() -> None:
    s = spec(name={"type": "string"}, tone={"type": "string", "default": "calm"})
    with pytest.raises(ValidationFailed, match="required variable 'name'"):
        templates.render("{{ name }} {{ tone }}", s, {})
    assert templates.render("{{ name }} {{ tone }}", s, {"name": "Ann"}) == "Ann calm"


def test_optional_variable_renders_empty_and_is_falsy() -> None:
    s = spec(extra={"type": "string", "required": False})
    content = "A{% if extra %} with {{ extra }}{% endif %}.{{ extra }}"
    assert templates.render(content, s, {}) == "A."
    assert templates.render(content, s, {"extra": "more"}) == "A with more.more"


@pytest.mark.parametrize(
    ("item", "value", "expected"),
    [
        ({"type": "number"}, 3, 4),
        ({"type": "number"}, "2.5", 3.5),
        ({"type": "boolean"}, "true", "yes"),
        ({"type": "boolean"}, False, "no"),
        ({"type": "enum", "options": ["a", "b"]}, "b", "b!"),
        ({"type": "json"}, {"k": [1, 2]}, "2"),
    ],
)
def test_values_are_coerced_to_their_type(item, value, expected) -> None:
    content = {
        "number": "{{ v + 1 }}",
        "boolean": "{{ 'yes' if v else 'no' }}",
        "enum": "{{ v }}!",
        "json": "{{ v.k | length }}",
    }[item["type"]]
    assert templates.render(content, spec(v=item), {"v": value}) == str(expected)


@pytest.mark.parametrize(
    ("item", "value", "fragment"),
    [
        ({"type": "number"}, "ten", "expected a number"),
        ({"type": "number"}, True, "expected a number"),
        ({"type": "boolean"}, "maybe", "expected true or false"),
        ({"type": "enum", "options": ["a", "b"]}, "c", "expected one of 'a', 'b'"),
        ({"type": "string"}, 5, "expected a string"),
    ],
)
def test_wrong_type_fails_naming_the_variable(item, value, fragment) -> None:
    with pytest.raises(ValidationFailed) as exc:
        templates.render("{{ topic }}", spec(topic=item), {"topic": value})
    assert "'topic'" in exc.value.message
    assert fragment in exc.value.message
    assert exc.value.errors == [{"loc": ["variables", "topic"], "msg": exc.value.message}]


def test_json_typed_in_the_editor_is_parsed_and_bad_json_is_named() -> None:
    s = spec(payload={"type": "json"})
    assert variables.coerce_values(s, {"payload": '{"a": 1}'}, from_text=True) == {
        "payload": {"a": 1}
    }
    with pytest.raises(ValidationFailed, match="'payload'.*valid JSON"):
        variables.coerce_values(s, {"payload": "{oops"}, from_text=True)


def test_bad_specs_are_refused_with_the_variable_named() -> None:
    with pytest.raises(ValidationFailed, match="'mood'.*option"):
        variables.validate_spec({"mood": {"type": "enum", "options": []}})
    with pytest.raises(ValidationFailed, match="'count'.*default"):
        variables.validate_spec({"count": {"type": "number", "default": "lots"}})
    with pytest.raises(ValidationFailed, match="not a valid variable name"):
        variables.validate_spec({"bad name": {}})
    with pytest.raises(ValidationFailed, match="'x'"):
        variables.validate_spec({"x": {"type": "colour"}})


def test_sync_keeps_described_variables_and_drops_untouched_ones() -> None:
    s = spec(
        name={"type": "string", "description": "Who we greet"},
        nam={"type": "string"},  # a half-typed name seen while typing
    )
    synced = variables.sync_with_content(s, ["greeting", "name"])
    assert list(synced) == ["greeting", "name"]
    assert synced["greeting"] == variables.default_spec()
    assert synced["name"]["description"] == "Who we greet"
    # `name` disappears from the content: its description is kept (unused), `nam` is gone
    synced = variables.sync_with_content(s, ["greeting"])
    assert list(synced) == ["greeting", "name"]
    assert variables.unused_names(synced, ["greeting"]) == ["name"]


def test_sandbox_blocks_unsafe_attribute_access_and_huge_values() -> None:
    with pytest.raises(ValidationFailed, match="not allowed|unsafe"):
        templates.render("{{ ''.__class__.__mro__ }}", {}, {})
    with pytest.raises(ValidationFailed, match="output limit"):
        templates.render("{{ 'a' * 10000000 }}", {}, {})
    with pytest.raises(ValidationFailed, match="loop limit"):
        templates.render(
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            {},
            {},
        )


def test_compiled_templates_are_cached_by_content() -> None:
    content = "cached {{ x }} " + "z" * 100
    first = templates.analyze(content)
    assert templates.analyze(content) is first
    assert templates.render(content, {}, {"x": 1}).startswith("cached 1")


def test_text_stats_counts_chars_words_lines_and_approximate_tokens() -> None:
    assert templates.text_stats("one two\nthree") == {
        "chars": 13,
        "words": 3,
        "lines": 2,
        "tokens": 4,
    }
    assert templates.text_stats("")["lines"] == 0


def test_editor_text_round_trips_through_typed_values() -> None:
    number = {"type": "number"}
    payload = {"type": "json"}
    flag = {"type": "boolean"}
    assert variables.value_from_text(number, "2.5") == 2.5
    assert variables.value_to_text(number, 2.5) == "2.5"
    assert variables.value_from_text(payload, '{"a": [1]}') == {"a": [1]}
    assert variables.value_to_text(payload, {"a": [1]}) == '{"a": [1]}'
    assert variables.value_from_text(flag, "no") is False
    assert variables.value_to_text(flag, False) == "false"
    assert variables.value_from_text(number, "") is None
    with pytest.raises(TypeError, match="expected a number"):
        variables.value_from_text(number, "two")


def test_sample_values_prefer_the_example_over_the_default() -> None:
    s = spec(
        a={"type": "string", "example": "ex", "default": "def"},
        b={"type": "number", "default": 3},
        c={"type": "string"},
    )
    assert variables.sample_values(s) == {"a": "ex", "b": 3}


SKELETON_CASES = [
    "Hello {{ name }}!\n",
    "a\n{% if vip %}\n  VIP {{ name|upper }}\n{% else %}\nno\n{% endif %}\nend",
    "{% for i in items %}{{ loop.index }}: {{ i }}{% if not loop.last %}, {% endif %}{% endfor %}",
    "{% macro m(x, y='d') %}<{{ x }}|{{ y }}>{% endmacro %}{{ m(1) }} {{ m(2, 'e') }} tail",
    "{% set t %}inside {{ name }}{% endset %}[{{ t }}] {% set u = 'lit' %}{{ u }}",
    "{% raw %}{{ not a var }}{% endraw %} and {{ name }}",
    "{# comment #}text {{- ' trimmed ' -}} more {%- if vip %} x {% endif -%} end",
    "{{ 'const' }} folded {{ 1 + 2 }} with data {{ name ~ '!' }}",
    "{% filter upper %}shout {{ name }}{% endfilter %} calm",
    "{% call m2() %}called{% endcall %}{% macro m2() %}[{{ caller() }}]{% endmacro %}",
    "quotes ' \" \\ \\n %s %(x)s {0} \ue000 end {{ name }}",
    "",
    "only text, no tags\nsecond line",
    "{{ name }",
    "{% if %}",
    "{% for x in %}{% endfor %}",
    "{{ x|no_such_filter }}",
    "line 1\nline 2 {% endif %}",
    "{% autoescape true %}<b>{{ '<i>' }}</b>{% endautoescape %}",
]


@pytest.mark.parametrize("content", SKELETON_CASES)
def test_the_skeleton_cache_compiles_each_text_exactly_as_its_source(content: str) -> None:
    # Texts that differ only in their literal text share one compile (templates._compiled):
    # each must still render, analyse and fail exactly as compiled from its own source.
    context = {"name": "Ann", "vip": True, "items": [1, 2, 3]}
    for variant in (content, content.replace("a", "ab"), "x" + content + "y", content + "a"):
        cached, direct = templates.analyze(variant), templates.analyze_source(variant)
        assert cached.variables == direct.variables
        assert cached.error == direct.error
        assert templates.outline(variant).variables == direct.variables
        assert templates.outline(variant).error == direct.error
        if direct.template is not None:
            assert cached.template is not None
            assert _outcome(cached.template, context) == _outcome(direct.template, context)


def _outcome(template, context: dict) -> tuple:
    try:
        return ("rendered", template.render(context))
    except Exception as exc:  # the same failure, with the same message, both ways
        return ("failed", type(exc).__name__, str(exc))


def test_texts_with_the_same_tags_share_one_compile() -> None:
    first = templates.analyze("Dear {{ name }},\nthanks.\n{% if vip %}VIP{% endif %} [1]")
    second = templates.analyze("Dear {{ name }},\nthank you!\n{% if vip %}V.I.P.{% endif %} [2]")
    assert first.template.render(name="A", vip=True) == "Dear A,\nthanks.\nVIP [1]"
    assert second.template.render(name="B", vip=True) == "Dear B,\nthank you!\nV.I.P. [2]"
    key_one = templates._skeleton("Dear {{ name }},\nthanks.\n{% if vip %}VIP{% endif %} [1]")[0]
    key_two = templates._skeleton(
        "Dear {{ name }},\nthank you!\n{% if vip %}V.I.P.{% endif %} [2]"
    )[0]
    assert key_one == key_two
    # another line for a tag is another skeleton (line numbers are compiled in)
    assert (
        templates._skeleton("Dear {{ name }},\n\n{{ x }}")[0]
        != templates._skeleton("Dear {{ name }},\n{{ x }}")[0]
    )
