"""A version's model settings (`config`): what an application passes to the model beside the
messages. Validated here; unknown keys are kept as free-form extras (e.g. `reasoning_effort`).

    {"model": "gpt-4o-mini", "temperature": 0.2, "top_p": 1, "max_tokens": 500,
     "stop": ["###"], "seed": 7,
     "response_format": {"type": "json_schema",
                         "json_schema": {"name": "answer", "schema": {...}, "strict": true}},
     "tools": [{"type": "function",
                "function": {"name": "lookup", "description": "...", "parameters": {...}}}]}
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from promptrepo.services.errors import ValidationFailed

MAX_CONFIG_BYTES = 200_000
FUNCTION_NAME = r"^[A-Za-z0-9_-]{1,64}$"


def _check_schema(schema: dict[str, Any], where: str) -> dict[str, Any]:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ValueError(f"not a valid JSON Schema ({where}): {exc.message}") from None
    return schema


class JsonSchemaFormat(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(pattern=FUNCTION_NAME)]
    description: str | None = None
    schema_: dict[str, Any] = Field(alias="schema")
    strict: bool | None = None

    @field_validator("schema_")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _check_schema(value, "response_format.json_schema.schema")


class ResponseFormat(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None

    @model_validator(mode="after")
    def _schema_when_needed(self) -> ResponseFormat:
        if self.type == "json_schema" and self.json_schema is None:
            raise ValueError("type json_schema needs a json_schema {name, schema}")
        if self.type != "json_schema" and self.json_schema is not None:
            raise ValueError("json_schema is only for type json_schema")
        return self


class FunctionDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(pattern=FUNCTION_NAME)]
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    strict: bool | None = None

    @field_validator("parameters")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _check_schema(value, "the function's parameters")


class Tool(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["function"] = "function"
    function: FunctionDef


class ModelConfig(BaseModel):
    """The known settings, typed; anything else passes through as an extra key."""

    model_config = ConfigDict(extra="allow")
    model: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    max_tokens: int | None = Field(None, ge=1, le=1_000_000)
    stop: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] | None = Field(
        None, max_length=4
    )
    response_format: ResponseFormat | None = None
    tools: list[Tool] | None = Field(None, max_length=128)
    seed: int | None = None

    @field_validator("stop", mode="before")
    @classmethod
    def _one_stop(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _unique_tools(self) -> ModelConfig:
        names = [t.function.name for t in self.tools or []]
        if len(names) != len(set(names)):
            raise ValueError("two tools have the same function name")
        return self


def validate_config(raw: Any) -> dict[str, Any]:
    """The config as stored: validated, unset keys dropped, extras kept. ValidationFailed
    names the field (`loc` = ["config", ...])."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValidationFailed(
            "The model settings must be an object.",
            errors=[{"loc": ["config"], "msg": "must be an object"}],
        )
    if len(json.dumps(raw, default=str)) > MAX_CONFIG_BYTES:
        raise ValidationFailed(
            f"The model settings are larger than {MAX_CONFIG_BYTES:,} bytes.",
            errors=[{"loc": ["config"], "msg": "too large"}],
        )
    try:
        config = ModelConfig.model_validate(raw)
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            msg = error["msg"].removeprefix("Value error, ")
            errors.append(
                {"loc": ["config", *error["loc"]], "msg": f"{where}: {msg}" if where else msg}
            )
        raise ValidationFailed(
            "Invalid model settings: " + "; ".join(e["msg"] for e in errors), errors=errors
        ) from None
    data = config.model_dump(exclude_none=True, by_alias=True)
    if data.get("model") == "":
        data.pop("model")
    return data


def request_parameters(config: dict[str, Any]) -> dict[str, Any]:
    """The Chat Completions parameters for a stored config (minus `model`)."""
    return {k: v for k, v in config.items() if k != "model"}


def response_schema(config: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON Schema the answer must match, when the config asks for one."""
    fmt = config.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return (fmt.get("json_schema") or {}).get("schema")
    return None


def config_changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Which settings differ: [{key, change: added|removed|changed, before, after}]."""
    result = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        change = "added" if key not in old else "removed" if key not in new else "changed"
        result.append({"key": key, "change": change, "before": before, "after": after})
    return result


def _shown(value: Any, limit: int = 120) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_config_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The changed settings as lines a person reads: "temperature: 0.2 → 0.7" ("—" for
    unset; long values such as schemas shortened)."""
    return [
        f"{c['key']}: {_shown(c['before'])} → {_shown(c['after'])}"
        for c in config_changes(old, new)
    ]


# --------------------------------------------------------------------------- the form
FORM_FIELDS = (
    "model",
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "seed",
    "format",
    "schema_name",
    "schema",
    "tools",
    "extra",
)


def form_from_config(config: dict[str, Any]) -> dict[str, str]:
    """The settings form's text fields for a stored config."""
    known = {
        "model",
        "temperature",
        "top_p",
        "max_tokens",
        "stop",
        "seed",
        "response_format",
        "tools",
    }
    fmt = config.get("response_format") or {}
    schema = (fmt.get("json_schema") or {}) if fmt.get("type") == "json_schema" else {}
    extra = {k: v for k, v in config.items() if k not in known}
    return {
        "model": str(config.get("model") or ""),
        "temperature": "" if config.get("temperature") is None else f"{config['temperature']:g}",
        "top_p": "" if config.get("top_p") is None else f"{config['top_p']:g}",
        "max_tokens": "" if config.get("max_tokens") is None else str(config["max_tokens"]),
        "stop": ", ".join(config.get("stop") or []),
        "seed": "" if config.get("seed") is None else str(config["seed"]),
        "format": fmt.get("type", "text") if fmt else "text",
        "schema_name": schema.get("name", ""),
        "schema": json.dumps(schema.get("schema"), indent=2) if schema.get("schema") else "",
        "tools": json.dumps(config["tools"], indent=2) if config.get("tools") else "",
        "extra": json.dumps(extra, indent=2) if extra else "",
    }


def _form_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"loc": ["config", field], "msg": message}])


def _number(fields: dict[str, str], name: str, kind: type) -> Any:
    text = (fields.get(name) or "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise _form_error(name, f"{name} must be {what} (got {text!r}).") from None


def _json_field(fields: dict[str, str], name: str, label: str) -> Any:
    text = (fields.get(name) or "").strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise _form_error(name, f"{label} is not valid JSON: {exc}.") from None


def config_from_form(fields: dict[str, str]) -> dict[str, Any]:
    """A validated config from the settings form (numbers and JSON parsed; an error names
    the field; empty fields are unset)."""
    config: dict[str, Any] = {}
    extra = _json_field(fields, "extra", "Extra settings")
    if extra is not None:
        if not isinstance(extra, dict):
            raise _form_error("extra", "Extra settings must be a JSON object.")
        config.update(extra)
    if (fields.get("model") or "").strip():
        config["model"] = fields["model"].strip()
    for name, kind in (
        ("temperature", float),
        ("top_p", float),
        ("max_tokens", int),
        ("seed", int),
    ):
        value = _number(fields, name, kind)
        if value is not None:
            config[name] = value
    stops = [s.strip() for s in (fields.get("stop") or "").split(",") if s.strip()]
    if stops:
        config["stop"] = stops
    fmt = (fields.get("format") or "text").strip()
    if fmt == "json_schema":
        schema = _json_field(fields, "schema", "The response JSON Schema")
        if schema is None:
            raise _form_error("schema", "Write the JSON Schema the answer must match.")
        config["response_format"] = {
            "type": "json_schema",
            "json_schema": {
                "name": (fields.get("schema_name") or "").strip() or "response",
                "schema": schema,
            },
        }
    elif fmt == "json_object":
        config["response_format"] = {"type": "json_object"}
    tools = _json_field(fields, "tools", "Tools")
    if tools is not None:
        config["tools"] = tools
    return validate_config(config)
