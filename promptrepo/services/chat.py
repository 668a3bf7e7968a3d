"""Chat prompts: an ordered list of messages, each a Jinja2 template with a role, plus
message placeholders (named slots where the caller inserts a list of messages, e.g. the
conversation history).

Stored form (the same as Langfuse's, so their SDK reads it):

    [{"role": "system", "content": "You are {{ persona }}."},
     {"type": "placeholder", "name": "history"},
     {"role": "user", "content": "{{ question }}"}]

Variables are detected across every message; a render fills each message from one context,
and each placeholder from the caller's lists (an unfilled placeholder is empty). Validators run
on every rendered message and on the whole conversation (`as_text`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from promptrepo.services import templates
from promptrepo.services import validator_rules as validator_checks
from promptrepo.services.errors import ValidationFailed

ROLES = ("system", "developer", "user", "assistant")
PROMPT_TYPES = ("text", "chat")
MAX_MESSAGES = 100
MAX_MESSAGE_CHARS = 100_000
MAX_PLACEHOLDER_MESSAGES = 1_000
NAME_RE = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal[ROLES]  # type: ignore[valid-type]
    content: str = Field(default="", max_length=MAX_MESSAGE_CHARS)


class Placeholder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["placeholder"]
    name: Annotated[str, StringConstraints(pattern=NAME_RE)]


_MESSAGE = TypeAdapter(ChatMessage)
_PLACEHOLDER = TypeAdapter(Placeholder)
_SUPPLIED = TypeAdapter(list[ChatMessage])


def _fail(message: str, loc: list[Any]) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"loc": loc, "msg": message}])


def check_type(value: Any) -> str:
    if value not in PROMPT_TYPES:
        raise _fail(f"A prompt's type is 'text' or 'chat', not {value!r}.", ["type"])
    return value


def validate_messages(raw: Any) -> list[dict[str, Any]]:
    """The messages of a chat template, normalised; ValidationFailed names the entry and field.
    Placeholder names are unique; a `{"type": "chatmessage"}` marker (Langfuse's) is dropped."""
    if not isinstance(raw, list):
        raise _fail("Messages must be a list.", ["messages"])
    if len(raw) > MAX_MESSAGES:
        raise _fail(f"A chat prompt has at most {MAX_MESSAGES} messages.", ["messages"])
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise _fail(f"Message {index + 1} must be an object.", ["messages", index])
        try:
            if item.get("type") == "placeholder":
                placeholder = _PLACEHOLDER.validate_python(item)
                if placeholder.name in seen:
                    raise _fail(
                        f"Placeholder '{placeholder.name}' appears twice.",
                        ["messages", index, "name"],
                    )
                seen.add(placeholder.name)
                result.append({"type": "placeholder", "name": placeholder.name})
            else:
                fields = {
                    k: v
                    for k, v in item.items()
                    if not (k == "type" and v in (None, "chatmessage"))
                }
                message = _MESSAGE.validate_python(fields)
                result.append({"role": message.role, "content": message.content})
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "message"
            if first["type"] == "literal_error" and "role" in first["loc"]:
                text = f"Message {index + 1}: the role is one of {', '.join(ROLES)}."
            elif first["type"] == "string_pattern_mismatch":
                text = (
                    f"Message {index + 1}: a placeholder name is letters, digits and '_' "
                    "and does not start with a digit."
                )
            else:
                text = f"Message {index + 1}, {field}: {first['msg']}"
            raise ValidationFailed(
                text, errors=[{"loc": ["messages", index, *first["loc"]], "msg": text}]
            ) from None
    return result


def is_placeholder(message: dict[str, Any]) -> bool:
    return message.get("type") == "placeholder"


def placeholder_names(messages: list[dict[str, Any]]) -> list[str]:
    return [m["name"] for m in messages if is_placeholder(m)]


def detect_variables(messages: list[dict[str, Any]]) -> list[str]:
    """Variables read by any message, in order of first appearance."""
    ordered: list[str] = []
    for message in messages:
        if is_placeholder(message):
            continue
        for name in templates.detect_variables(message.get("content", "")):
            if name not in ordered:
                ordered.append(name)
    return ordered


def variable_hints(messages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What the messages' use of each variable implies for its spec (`templates.variable_hints`):
    a hint only where every message that reads the variable implies the same."""
    hints: dict[str, dict[str, Any] | None] = {}
    for message in messages:
        if is_placeholder(message):
            continue
        content = message.get("content", "")
        found = templates.variable_hints(content)
        for name in templates.detect_variables(content):
            hint = found.get(name)
            hints[name] = hint if hints.get(name, hint) == hint else None
    return {name: hint for name, hint in hints.items() if hint}


@dataclass(frozen=True)
class MessageSyntaxIssue:
    index: int
    issue: templates.SyntaxIssue

    def __str__(self) -> str:
        return f"Message {self.index + 1}, line {self.issue.line}: {self.issue.message}"


def check_syntax(messages: list[dict[str, Any]]) -> MessageSyntaxIssue | None:
    for index, message in enumerate(messages):
        if is_placeholder(message):
            continue
        issue = templates.check_syntax(message.get("content", ""))
        if issue is not None:
            return MessageSyntaxIssue(index, issue)
    return None


def compile_messages(messages: list[dict[str, Any]]) -> None:
    """ValidationFailed naming the message and line of the first syntax error."""
    problem = check_syntax(messages)
    if problem is not None:
        raise ValidationFailed(
            f"Template syntax error in {problem}",
            errors=[
                {
                    "loc": ["messages", problem.index, "content", "line", problem.issue.line],
                    "msg": problem.issue.message,
                }
            ],
        )


def check_placeholder_values(
    messages: list[dict[str, Any]], supplied: dict[str, Any] | None
) -> dict[str, list[dict[str, str]]]:
    """The caller's lists for the template's placeholders, checked: each is a list of
    {role, content}; a name the template does not have is an error naming it."""
    supplied = supplied or {}
    if not isinstance(supplied, dict):
        raise _fail("Placeholders must be an object of name → list of messages.", ["placeholders"])
    names = placeholder_names(messages)
    result: dict[str, list[dict[str, str]]] = {}
    for name, value in supplied.items():
        if name not in names:
            known = ", ".join(names) or "none"
            raise _fail(
                f"This prompt has no placeholder '{name}' (its placeholders: {known}).",
                ["placeholders", name],
            )
        if value is None:
            continue
        if not isinstance(value, list) or len(value) > MAX_PLACEHOLDER_MESSAGES:
            raise _fail(
                f"Placeholder '{name}' takes a list of at most {MAX_PLACEHOLDER_MESSAGES} "
                "messages.",
                ["placeholders", name],
            )
        try:
            result[name] = [m.model_dump() for m in _SUPPLIED.validate_python(value)]
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            text = f"Placeholder '{name}', message {where}: {first['msg']}"
            raise ValidationFailed(
                text, errors=[{"loc": ["placeholders", name, *first["loc"]], "msg": text}]
            ) from None
    return result


def render_messages(
    messages: list[dict[str, Any]],
    context: dict[str, Any],
    placeholders: dict[str, list[dict[str, str]]],
) -> tuple[list[dict[str, str]], list[int]]:
    """The messages to send: each template rendered with `context` (already coerced), each
    placeholder replaced by its list. Also returns which output indexes came from templates."""
    rendered: list[dict[str, str]] = []
    from_template: list[int] = []
    for index, message in enumerate(messages):
        if is_placeholder(message):
            rendered.extend(dict(m) for m in placeholders.get(message["name"], []))
            continue
        try:
            text = templates.render_template(message.get("content", ""), context)
        except ValidationFailed as exc:
            raise ValidationFailed(
                f"Message {index + 1} ({message['role']}): {exc.message}",
                errors=[{**e, "message": index} for e in exc.errors],
            ) from None
        from_template.append(len(rendered))
        rendered.append({"role": message["role"], "content": text})
    return rendered, from_template


def as_text(messages: list[dict[str, Any]]) -> str:
    """A conversation as one text (`role: content` blocks), for whole-prompt validators, diffs
    and the echo provider."""
    blocks = []
    for message in messages:
        if is_placeholder(message):
            blocks.append(f"[{message['name']}]")
        else:
            blocks.append(f"{message['role']}: {message.get('content', '')}")
    return "\n\n".join(blocks)


def run_validators(
    rendered: list[dict[str, str]],
    from_template: list[int],
    validator_list: list[Any],
    context: dict[str, Any],
) -> list[validator_checks.ValidatorResult]:
    """Each validator on every rendered template message and on the whole conversation: it
    passes only where it passes everywhere; the message names the first place it failed."""
    results: list[validator_checks.ValidatorResult] = []
    whole = as_text(rendered)
    for validator in validator_list:
        first_failure: str | None = None
        last = None
        places = [
            (f"message {i + 1} ({rendered[i]['role']})", rendered[i]["content"])
            for i in from_template
        ]
        places.append(("the whole conversation", whole))
        for where, text in places:
            (last,) = validator_checks.run_validators(text, [validator], context)
            if not last.passed:
                first_failure = f"In {where}: {last.message}"
                break
        assert last is not None
        if first_failure is not None:
            results.append(
                validator_checks.ValidatorResult(last.type, False, first_failure, last.validator_id)
            )
        else:
            results.append(
                validator_checks.ValidatorResult(
                    last.type,
                    True,
                    f"Passed on {len(places) - 1} message(s) and the whole.",
                    last.validator_id,
                )
            )
    return results


def message_diff(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Message-level changes between two chat templates: each entry is
    {index_before, index_after, change: same|added|removed|changed, before, after}, where
    `changed` means the same slot (role or placeholder) with a different body."""
    import difflib

    def key(m: dict[str, Any]) -> str:
        return f"placeholder:{m['name']}" if is_placeholder(m) else f"{m['role']}:{m['content']}"

    matcher = difflib.SequenceMatcher(
        None, [key(m) for m in old], [key(m) for m in new], autojunk=False
    )
    result: list[dict[str, Any]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                result.append(
                    {
                        "change": "same",
                        "index_before": i1 + k,
                        "index_after": j1 + k,
                        "before": old[i1 + k],
                        "after": new[j1 + k],
                    }
                )
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):
            result.append(
                {
                    "change": "changed",
                    "index_before": i1 + k,
                    "index_after": j1 + k,
                    "before": old[i1 + k],
                    "after": new[j1 + k],
                }
            )
        for k in range(i1 + paired, i2):
            result.append(
                {
                    "change": "removed",
                    "index_before": k,
                    "index_after": None,
                    "before": old[k],
                    "after": None,
                }
            )
        for k in range(j1 + paired, j2):
            result.append(
                {
                    "change": "added",
                    "index_before": None,
                    "index_after": k,
                    "before": None,
                    "after": new[k],
                }
            )
    return result


def approximate_tokens(text: str) -> int:
    """About four characters a token (tiktoken needs an internet download here)."""
    return templates.text_stats(text)["tokens"]
