"""Typed template variables, stored in `Prompt.variables` / `Version.variables` as JSON:

    {name: {type: string|number|boolean|enum|json, required, default, description, example,
            options}}

`default` and `example` are stored as values of the variable's type (a number as a number,
json as parsed JSON). Rendering takes a value from the caller, else the default; a required
variable with neither fails, naming the variable. The preview and the publish check render
with each variable's example, else its default (`sample_values`).

Syncing with the content (`sync_with_content`): a variable that appears in the content gets a
required-string spec, or what the template's use of it implies (`templates.variable_hints`:
`{% if vip %}` alone makes a boolean, `{% for item in items %}` json, `{{ x | default('y') }}`
not required), and follows that use while nobody has touched its spec; one that disappears is
dropped if nobody touched its spec (so the half-typed names `{{ na }}`, `{{ nam }}` seen while
typing leave no trace) and kept, reported as unused, if the user had described it in any way
(type, default, example...), so nothing typed is lost silently. The editor shows kept ones as
"unused" with a remove button; versions snapshot only the variables their content uses.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from promptrepo.services.errors import ValidationFailed
from promptrepo.services.templates import UnsetText

VariableType = Literal["string", "number", "boolean", "enum", "json"]
VARIABLE_TYPES: tuple[str, ...] = ("string", "number", "boolean", "enum", "json")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


class VariableSpec(BaseModel):
    """One variable's spec. `default`/`example` are checked against (and coerced to) the type."""

    model_config = ConfigDict(extra="ignore")

    type: VariableType = "string"
    required: bool = True
    default: Any = None
    description: str = Field(default="", max_length=1000)
    example: Any = None
    options: list[str] = Field(default_factory=list, max_length=100)

    @field_validator("options")
    @classmethod
    def _clean_options(cls, options: list[str]) -> list[str]:
        cleaned: list[str] = []
        for option in options:
            option = str(option).strip()
            if option and option not in cleaned:
                cleaned.append(option)
        return cleaned

    @model_validator(mode="after")
    def _check_values(self) -> VariableSpec:
        if self.type == "enum" and not self.options:
            raise ValueError("an enum variable needs at least one option")
        spec = self.model_dump()
        for field in ("default", "example"):
            value = getattr(self, field)
            if value is not None:
                try:
                    setattr(self, field, coerce_value(spec, value))
                except TypeError as exc:
                    raise ValueError(f"{field}: {exc}") from None
        return self


def validate_spec(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Check a whole `{name: spec}` mapping; returns it normalised, or ValidationFailed."""
    if not isinstance(spec, dict):
        raise ValidationFailed(
            "Variables must be an object of name → spec.",
            errors=[{"loc": ["variables"], "msg": "must be an object"}],
        )
    errors: list[dict[str, Any]] = []
    normalised: dict[str, dict[str, Any]] = {}
    for name, item in spec.items():
        if not NAME_RE.match(str(name)):
            errors.append(
                {
                    "loc": ["variables", str(name)],
                    "msg": f"'{name}' is not a valid variable name (letters, digits, _).",
                }
            )
            continue
        try:
            normalised[name] = VariableSpec.model_validate(item or {}).model_dump()
        except ValidationError as exc:
            for err in exc.errors():
                msg = str(err.get("msg", "")).removeprefix("Value error, ")
                loc = [str(p) for p in err.get("loc", ())]
                errors.append({"loc": ["variables", name, *loc], "msg": f"'{name}': {msg}"})
    if errors:
        raise ValidationFailed(
            "Invalid variables: " + "; ".join(e["msg"] for e in errors), errors=errors
        )
    return normalised


def coerce_value(spec: dict[str, Any], value: Any, *, from_text: bool = False) -> Any:
    """`value` as the spec's type, or TypeError saying what was expected.

    Numbers and booleans are also accepted as text ("3", "true"): the editor's inputs and
    query strings carry text. With `from_text`, a json variable's text is parsed as JSON.
    """
    kind = spec.get("type", "string")
    if kind == "string":
        if isinstance(value, str):
            return value
        raise TypeError(f"expected a string, got {_type_name(value)}")
    if kind == "number":
        if isinstance(value, bool):
            raise TypeError("expected a number, got a boolean")
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            if math.isfinite(value):
                return value
            raise TypeError("expected a finite number")
        if isinstance(value, str):
            text = value.strip()
            try:
                return int(text)
            except ValueError:
                pass
            try:
                number = float(text)
            except ValueError:
                raise TypeError(f"expected a number, got {value!r}") from None
            if math.isfinite(number):
                return number
            raise TypeError("expected a finite number")
        raise TypeError(f"expected a number, got {_type_name(value)}")
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            text = value.strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise TypeError(f"expected true or false, got {value!r}")
        raise TypeError(f"expected a boolean, got {_type_name(value)}")
    if kind == "enum":
        options = spec.get("options") or []
        text = value if isinstance(value, str) else None
        if text is None and isinstance(value, int | float) and not isinstance(value, bool):
            text = str(value)
        if text is not None and text in options:
            return text
        raise TypeError(f"expected one of {', '.join(map(repr, options))}, got {value!r}")
    if kind == "json":
        if from_text and isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise TypeError(f"expected valid JSON ({exc.msg} at character {exc.pos})") from None
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise TypeError("expected a JSON value") from None
        return value
    raise TypeError(f"unknown type {kind!r}")


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def coerce_values(
    spec: dict[str, Any],
    values: dict[str, Any],
    *,
    names: Iterable[str] | None = None,
    from_text: bool = False,
) -> dict[str, Any]:
    """The values to render with: each variable in `names` (default: every variable in the
    spec) coerced to its type, or its default; ValidationFailed lists every variable that is
    missing or mistyped, by name. Values for variables outside the spec pass through as given.
    """
    if not isinstance(values, dict):
        raise ValidationFailed(
            "Variables must be an object of name → value.",
            errors=[{"loc": ["variables"], "msg": "must be an object"}],
        )
    wanted = list(spec) if names is None else list(names)
    context: dict[str, Any] = dict(values)
    errors: list[dict[str, Any]] = []
    for name in wanted:
        item = spec.get(name)
        value = values.get(name)
        if item is None:
            if value is None:
                errors.append(
                    {"loc": ["variables", name], "msg": f"Missing value for variable '{name}'."}
                )
            continue
        if value is not None:
            try:
                context[name] = coerce_value(item, value, from_text=from_text)
            except TypeError as exc:
                errors.append(
                    {
                        "loc": ["variables", name],
                        "msg": f"Variable '{name}' ({item.get('type', 'string')}): {exc}.",
                    }
                )
        elif item.get("default") is not None:
            context[name] = item["default"]
        elif item.get("required", True):
            errors.append(
                {
                    "loc": ["variables", name],
                    "msg": f"Missing value for required variable '{name}'.",
                }
            )
        else:
            context[name] = None
    if errors:
        message = errors[0]["msg"] if len(errors) == 1 else " ".join(e["msg"] for e in errors)
        raise ValidationFailed(message, errors=errors)
    return context


def build_context(
    spec: dict[str, Any], values: dict[str, Any], used_names: Iterable[str]
) -> dict[str, Any]:
    """What `templates.render` passes to the template: `coerce_values` over the used names."""
    return coerce_values(spec or {}, values or {}, names=used_names)


def sample_values(spec: dict[str, Any]) -> dict[str, Any]:
    """Each variable's example, else its default (what the preview and publishing render with)."""
    values: dict[str, Any] = {}
    for name, item in (spec or {}).items():
        if item.get("example") is not None:
            values[name] = item["example"]
        elif item.get("default") is not None:
            values[name] = item["default"]
    return values


def default_spec(hint: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The spec a newly found variable gets: a required string, changed by `hint` (what the
    template's use of it implies, `templates.variable_hints`)."""
    return VariableSpec.model_validate(dict(hint or {})).model_dump()


# The specs `sync_with_content` gives by itself: a variable holding one of these is untouched.
_DETECTED_SPECS = [
    default_spec(hint) for hint in ({}, {"required": False}, {"type": "boolean"}, {"type": "json"})
]


def is_customised(item: dict[str, Any]) -> bool:
    """Whether the user changed anything in a spec since it was detected."""
    try:
        normalised = VariableSpec.model_validate(item or {}).model_dump()
    except ValueError:
        return True
    return normalised not in _DETECTED_SPECS


def sync_with_content(
    spec: dict[str, Any] | None,
    detected_names: Iterable[str],
    hints: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """The spec for content whose variables are `detected_names` (see the module docstring):
    detected names first in order of appearance (a new or untouched one gets the spec its use
    implies, `hints`), then removed-but-customised ones (kept as unused)."""
    spec = spec or {}
    hints = hints or {}
    synced: dict[str, dict[str, Any]] = {}
    for name in detected_names:
        item = spec.get(name)
        if item and is_customised(item):
            synced[name] = dict(item)
        else:
            synced[name] = default_spec(hints.get(name))
    for name, item in spec.items():
        if name not in synced and is_customised(item):
            synced[name] = item
    return synced


def unused_names(spec: dict[str, Any], detected_names: Iterable[str]) -> list[str]:
    """Variables kept in the spec that the content no longer uses."""
    detected = set(detected_names)
    return [name for name in spec if name not in detected]


def value_to_text(spec: dict[str, Any], value: Any) -> str:
    """How the editor shows a stored default/example in a text input."""
    if value is None:
        return ""
    if spec.get("type") == "json":
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def value_from_text(spec: dict[str, Any], text: str) -> Any:
    """Parse what the user typed in a default/example input (empty means none)."""
    if text == "":
        return None
    return coerce_value(spec, text, from_text=True)


def placeholder_value(name: str, item: dict[str, Any]) -> Any:
    """A typed stand-in for a variable with no example or default, for release checks:
    `⟨name⟩` for a string, 0, false, the first option of an enum, {} for JSON."""
    kind = item.get("type", "string")
    if kind == "number":
        return 0
    if kind == "boolean":
        return False
    if kind == "enum":
        options = item.get("options") or []
        return options[0] if options else f"⟨{name}⟩"
    if kind == "json":
        return {}
    return f"⟨{name}⟩"


def check_values(
    spec: dict[str, Any], used_names: Iterable[str]
) -> tuple[dict[str, Any], list[str]]:
    """What release checks render with: each variable's example, else its default, else —
    for a required variable the template uses — a typed placeholder. Returns the values and
    the names filled with placeholders (so the checks can say so)."""
    values = sample_values(spec)
    filled: list[str] = []
    for name in used_names:
        item = (spec or {}).get(name)
        if name in values:
            continue
        if item is None:
            values[name] = placeholder_value(name, {})
            filled.append(name)
        elif item.get("required", True):
            values[name] = placeholder_value(name, item)
            filled.append(name)
    return values, filled


def preview_note(unset: Iterable[str]) -> str:
    """What the editor's preview says of the variables `preview_values` left unset."""
    names = list(unset)
    if not names:
        return ""
    return (
        "No example or default yet for "
        + ", ".join(names)
        + ": shown unset (text as “(unset)”, false, 0, the first option or {})."
    )


def invalid_values_message(invalid: Iterable[tuple[str, str]]) -> str:
    """Why the editor shows no preview: the (name, error) of each invalid example it uses."""
    return "Invalid value — " + "; ".join(f"{name}: {error}" for name, error in invalid)


def preview_values(
    spec: dict[str, Any], used_names: Iterable[str]
) -> tuple[dict[str, Any], list[str]]:
    """What the editor's preview renders with: each variable's example, else its default,
    else — for a required variable the template uses — its type's empty value (`(unset)` for
    text, 0, false, the first option of an enum, {} for JSON). Returns the values and the
    names shown unset."""
    values = sample_values(spec)
    unset: list[str] = []
    for name in used_names:
        item = (spec or {}).get(name) or {}
        if name in values or not item.get("required", True):
            continue
        kind = item.get("type", "string")
        values[name] = UnsetText() if kind == "string" else placeholder_value(name, item)
        unset.append(name)
    return values, unset
