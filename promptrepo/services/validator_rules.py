"""What validators check, and running them on a rendered text: no database, no settings.

Kept apart from `services/validators.py` (which stores validators) so the render worker
processes (`services/render_pool.py`) import only this, `templates` and `variables`. The
types and their configs are described in `services/validators.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Literal

import regex
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from promptrepo.services import templates
from promptrepo.services.errors import ValidationFailed

# Equal to models.projects.VALIDATOR_TYPES (its CHECK constraint); a unit test compares them.
VALIDATOR_TYPES = ("regex", "length", "contains", "custom")
REGEX_TIMEOUT_SECONDS = 0.1


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegexConfig(_Config):
    pattern: str = Field(min_length=1, max_length=2000)
    must_match: bool = True
    ignore_case: bool = False

    @model_validator(mode="after")
    def _compiles(self) -> RegexConfig:
        try:
            _compile_regex(self.pattern, self.ignore_case)
        except regex.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return self


class LengthConfig(_Config):
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    unit: Literal["chars", "words"] = "chars"

    @model_validator(mode="after")
    def _bounds(self) -> LengthConfig:
        if self.min is None and self.max is None:
            raise ValueError("set a minimum, a maximum or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"the minimum ({self.min}) is greater than the maximum ({self.max})")
        return self


class ContainsConfig(_Config):
    text: str | list[str]
    mode: Literal["any", "all"] = "any"
    case_insensitive: bool = False
    must_not_contain: bool = False

    @field_validator("text")
    @classmethod
    def _not_empty(cls, value: str | list[str]) -> str | list[str]:
        items = [value] if isinstance(value, str) else value
        if not items:
            raise ValueError("give at least one text")
        if len(items) > 100:
            raise ValueError("at most 100 texts")
        for item in items:
            if not item:
                raise ValueError("texts cannot be empty")
            if len(item) > 1000:
                raise ValueError("each text is at most 1,000 characters")
        return value

    @property
    def texts(self) -> list[str]:
        return [self.text] if isinstance(self.text, str) else list(self.text)


class CustomConfig(_Config):
    expression: str = Field(min_length=1, max_length=2000)
    message: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _compiles(self) -> CustomConfig:
        try:
            templates.compile_expression(self.expression)
        except ValidationFailed as exc:
            raise ValueError(exc.message) from None
        return self


CONFIG_MODELS: dict[str, type[_Config]] = {
    "regex": RegexConfig,
    "length": LengthConfig,
    "contains": ContainsConfig,
    "custom": CustomConfig,
}


# What a validator says when the preview could not run it.
NOT_RUN_NO_TEXT = "Not run: the template does not render"
NOT_RUN_INVALID_VALUE = "Not run: a variable's value is invalid"


@dataclass(frozen=True)
class ValidatorResult:
    type: str
    passed: bool
    message: str
    validator_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def validate_config(type: str, config: dict[str, Any]) -> dict[str, Any]:
    """The config checked and normalised for its type, or ValidationFailed saying what's wrong."""
    model = CONFIG_MODELS.get(type)
    if model is None:
        raise ValidationFailed(
            f"Unknown validator type {type!r}; use one of {', '.join(VALIDATOR_TYPES)}.",
            errors=[{"loc": ["type"], "msg": "unknown validator type"}],
        )
    if not isinstance(config, dict):
        raise ValidationFailed(
            "A validator's config must be an object.",
            errors=[{"loc": ["config"], "msg": "must be an object"}],
        )
    try:
        parsed = model.model_validate(config)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            msg = str(err.get("msg", "")).removeprefix("Value error, ")
            loc = [str(p) for p in err.get("loc", ())]
            errors.append({"loc": ["config", *loc], "msg": msg})
        where = lambda e: f"{e['loc'][-1]}: " if len(e["loc"]) > 1 else ""  # noqa: E731
        message = f"Invalid {type} validator: " + "; ".join(f"{where(e)}{e['msg']}" for e in errors)
        raise ValidationFailed(message, errors=errors) from None
    return parsed.model_dump(exclude_none=type == "length")


# --------------------------------------------------------------------------- running
@lru_cache(maxsize=1024)
def _compile_regex(pattern: str, ignore_case: bool):
    return regex.compile(pattern, regex.IGNORECASE if ignore_case else 0)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


Checker = Callable[[str, dict[str, Any]], tuple[bool, str]]


def _regex_checker(cfg: RegexConfig) -> Checker:
    compiled = _compile_regex(cfg.pattern, cfg.ignore_case)
    shown = f"/{_short(cfg.pattern, 40)}/"

    def check(text: str, values: dict[str, Any]) -> tuple[bool, str]:
        try:
            match = compiled.search(text, timeout=REGEX_TIMEOUT_SECONDS)
        except TimeoutError:
            return False, (
                f"Pattern {shown} timed out after {REGEX_TIMEOUT_SECONDS:g} s on this text; "
                "simplify it (nested repetition such as (a|a)+ backtracks exponentially)."
            )
        if cfg.must_match:
            return (True, f"Matches {shown}") if match else (False, f"Does not match {shown}")
        if match:
            return False, f"Must not match {shown}, but found {_short(match.group(0))!r}"
        return True, f"Does not match {shown}"

    return check


def _length_checker(cfg: LengthConfig) -> Checker:
    unit = "characters" if cfg.unit == "chars" else "words"

    def check(text: str, values: dict[str, Any]) -> tuple[bool, str]:
        size = len(text) if cfg.unit == "chars" else len(text.split())
        if cfg.min is not None and size < cfg.min:
            return False, f"Too short: {size:,} {unit}, at least {cfg.min:,} needed"
        if cfg.max is not None and size > cfg.max:
            return False, f"Too long: {size:,} {unit}, at most {cfg.max:,} allowed"
        bounds = " – ".join(
            part
            for part in (
                f"min {cfg.min:,}" if cfg.min is not None else "",
                f"max {cfg.max:,}" if cfg.max is not None else "",
            )
            if part
        )
        return True, f"{size:,} {unit} ({bounds})"

    return check


def _contains_checker(cfg: ContainsConfig) -> Checker:
    texts = cfg.texts
    needles = [t.casefold() for t in texts] if cfg.case_insensitive else texts

    def check(text: str, values: dict[str, Any]) -> tuple[bool, str]:
        haystack = text.casefold() if cfg.case_insensitive else text
        found = [orig for orig, needle in zip(texts, needles, strict=True) if needle in haystack]
        if cfg.must_not_contain:
            if found:
                return False, "Must not contain " + ", ".join(repr(_short(t)) for t in found)
            return True, "Contains none of " + ", ".join(repr(_short(t)) for t in texts)
        missing = [t for t in texts if t not in found]
        if cfg.mode == "all":
            if missing:
                return False, "Missing " + ", ".join(repr(_short(t)) for t in missing)
            return True, "Contains " + ", ".join(repr(_short(t)) for t in texts)
        if found:
            return True, f"Contains {_short(found[0])!r}"
        return False, "Contains none of " + ", ".join(repr(_short(t)) for t in texts)

    return check


def _custom_checker(cfg: CustomConfig) -> Checker:
    message = cfg.message or f"Expression is false: {_short(cfg.expression, 80)}"

    def check(text: str, values: dict[str, Any]) -> tuple[bool, str]:
        try:
            result = templates.evaluate_expression(cfg.expression, {**values, "text": text})
        except Exception as exc:  # the expression is user code: any failure fails the check
            detail = getattr(exc, "message", None) or str(exc)
            return False, f"Expression failed: {detail}"
        if result:
            return True, "Expression is true"
        return False, message

    return check


_BUILDERS: dict[str, Callable[[Any], Checker]] = {
    "regex": _regex_checker,
    "length": _length_checker,
    "contains": _contains_checker,
    "custom": _custom_checker,
}


@lru_cache(maxsize=2048)
def _checker(type: str, config_json: str) -> Checker:
    config = validate_config(type, json.loads(config_json))
    return _BUILDERS[type](CONFIG_MODELS[type].model_validate(config))


def _as_pair(validator: Any) -> tuple[str, dict[str, Any], str | None]:
    if not isinstance(validator, Mapping):  # a Validator row
        return validator.type, validator.config, str(validator.id)
    vid = validator.get("id")
    return validator["type"], validator.get("config") or {}, str(vid) if vid else None


def run_validators(
    text: str, validators: Iterable[Any], values: dict[str, Any]
) -> list[ValidatorResult]:
    """Run each validator on `text` (with the variables' `values` for custom expressions)."""
    results: list[ValidatorResult] = []
    for validator in validators:
        type, config, vid = _as_pair(validator)
        try:
            check = _checker(type, json.dumps(config, sort_keys=True))
        except ValidationFailed as exc:
            results.append(ValidatorResult(type, False, f"Invalid configuration: {exc}", vid))
            continue
        passed, message = check(text, values)
        results.append(ValidatorResult(type, passed, message, vid))
    return results


def describe(type: str, config: dict[str, Any]) -> str:
    """A one-line summary of a validator for lists and badges."""
    if type == "regex":
        verb = "must match" if config.get("must_match", True) else "must not match"
        flags = "i" if config.get("ignore_case") else ""
        return f"{verb} /{_short(config.get('pattern', ''), 40)}/{flags}"
    if type == "length":
        unit = "characters" if config.get("unit", "chars") == "chars" else "words"
        parts = []
        if config.get("min") is not None:
            parts.append(f"at least {config['min']:,}")
        if config.get("max") is not None:
            parts.append(f"at most {config['max']:,}")
        return " and ".join(parts) + f" {unit}"
    if type == "contains":
        raw = config.get("text", "")
        texts = [raw] if isinstance(raw, str) else list(raw)
        shown = ", ".join(repr(_short(t, 30)) for t in texts)
        ci = " (any case)" if config.get("case_insensitive") else ""
        if config.get("must_not_contain"):
            return f"must not contain {shown}{ci}"
        mode = "all of" if config.get("mode") == "all" and len(texts) > 1 else ""
        return f"must contain {mode + ' ' if mode else ''}{shown}{ci}"
    if type == "custom":
        return f"{_short(config.get('expression', ''), 60)}"
    return type
