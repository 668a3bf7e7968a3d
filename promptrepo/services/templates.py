"""Prompt templates: Jinja2 in its sandbox, strict about undefined variables, never `eval`.

Templates are compiled once per distinct content (an LRU cache), so rendering a published
prompt again and again costs only the render itself. Analysis (syntax check + the variables a
template uses, in order of appearance) shares the same cache, so the editor's per-keystroke
preview parses each text once.
"""

from __future__ import annotations

import contextvars
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.environment import Template
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from promptrepo.services.errors import ValidationFailed

# Bounds that keep one render from eating the server: a template is user-written code.
MAX_RANGE_ITEMS = 100_000  # all `range()` items in one render, loops nested or not
MAX_SEQUENCE_LENGTH = 1_000_000  # longest string/list a `*` may build
MAX_OUTPUT_CHARS = 2_000_000
TEMPLATE_CACHE_SIZE = 512

_range_budget: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "promptrepo_range_budget", default=None
)


def _bounded_range(*args: int) -> range:
    rng = range(*args)
    budget = _range_budget.get()
    if budget is not None:
        budget[0] -= len(rng)
        if budget[0] < 0:
            raise SecurityError(f"the template loops more than {MAX_RANGE_ITEMS:,} times")
    elif len(rng) > MAX_RANGE_ITEMS:
        raise SecurityError(f"range() is limited to {MAX_RANGE_ITEMS:,} items")
    return rng


def _finalize(value: Any) -> Any:
    # An optional variable left empty prints as nothing, not "None".
    return "" if value is None else value


class PromptEnvironment(SandboxedEnvironment):
    """The sandbox, plus limits on `*` and `**` so one expression cannot build huge values."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, int | float) and abs(right) > 1000:
                raise SecurityError("exponent too large")
            return left**right
        if isinstance(left, str | list | tuple) and isinstance(right, int):
            size = len(left) * right
        elif isinstance(right, str | list | tuple) and isinstance(left, int):
            size = len(right) * left
        else:
            size = 0
        if size > MAX_SEQUENCE_LENGTH:
            raise SecurityError(f"a value longer than {MAX_SEQUENCE_LENGTH:,} would be built")
        return left * right


def _make_environment() -> PromptEnvironment:
    env = PromptEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        finalize=_finalize,
        auto_reload=False,
        cache_size=0,  # we cache compiled templates ourselves, keyed by content
    )
    env.globals["range"] = _bounded_range
    return env


env = _make_environment()


@dataclass(frozen=True)
class SyntaxIssue:
    """A template syntax error: the message, its 1-based line, and that line's text."""

    message: str
    line: int
    line_text: str = ""

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}"


@dataclass(frozen=True)
class Analysis:
    """A template compiled once: its variables in order of appearance, or its syntax error."""

    template: Template | None
    variables: tuple[str, ...]
    error: SyntaxIssue | None


def _syntax_issue(exc: TemplateSyntaxError, content: str) -> SyntaxIssue:
    line = exc.lineno or 1
    lines = content.splitlines()
    line_text = lines[line - 1] if 0 < line <= len(lines) else ""
    return SyntaxIssue(message=exc.message or str(exc), line=line, line_text=line_text)


def _ordered_variables(ast: nodes.Template) -> tuple[str, ...]:
    undeclared = meta.find_undeclared_variables(ast)
    ordered: list[str] = []
    for node in ast.find_all(nodes.Name):
        if node.name in undeclared and node.name not in ordered:
            ordered.append(node.name)
    # find_all walks the tree in document order; anything it missed goes last, sorted.
    ordered.extend(sorted(undeclared.difference(ordered)))
    return tuple(ordered)


@lru_cache(maxsize=TEMPLATE_CACHE_SIZE)
def analyze(content: str) -> Analysis:
    """Parse and compile `content` once (cached by content)."""
    try:
        ast = env.parse(content)
        variables = _ordered_variables(ast)
        code = env.compile(ast, filename="<prompt>")
        template = env.template_class.from_code(env, code, env.make_globals(None))
    except TemplateSyntaxError as exc:
        return Analysis(template=None, variables=(), error=_syntax_issue(exc, content))
    return Analysis(template=template, variables=variables, error=None)


def detect_variables(content: str) -> list[str]:
    """The variables a template reads, in order of first appearance ([] on a syntax error)."""
    return list(analyze(content).variables)


def check_syntax(content: str) -> SyntaxIssue | None:
    """None when `content` is a valid template, else the error with its line number."""
    return analyze(content).error


def compile_template(content: str) -> Template:
    """The compiled template, or ValidationFailed naming the line of the syntax error."""
    analysis = analyze(content)
    if analysis.error is not None:
        raise ValidationFailed(
            f"Template syntax error on line {analysis.error.line}: {analysis.error.message}",
            errors=[
                {
                    "loc": ["content", "line", analysis.error.line],
                    "msg": analysis.error.message,
                }
            ],
        )
    assert analysis.template is not None
    return analysis.template


def render_template(content: str, context: dict[str, Any]) -> str:
    """Render `content` with already-coerced values; errors become ValidationFailed."""
    template = compile_template(content)
    token = _range_budget.set([MAX_RANGE_ITEMS])
    try:
        text = template.render(context)
    except UndefinedError as exc:
        name = _undefined_name(exc)
        message = (
            f"Missing value for variable '{name}'." if name else f"Undefined value: {exc.message}"
        )
        raise ValidationFailed(
            message, errors=[{"loc": ["variables", name or ""], "msg": message}]
        ) from None
    except SecurityError as exc:
        message = f"The template did something not allowed: {exc}"
        raise ValidationFailed(message, errors=[{"loc": ["content"], "msg": message}]) from None
    except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
        message = f"The template failed to render: {exc}"
        raise ValidationFailed(message, errors=[{"loc": ["content"], "msg": message}]) from None
    finally:
        _range_budget.reset(token)
    if len(text) > MAX_OUTPUT_CHARS:
        message = f"The rendered text is longer than {MAX_OUTPUT_CHARS:,} characters."
        raise ValidationFailed(message, errors=[{"loc": ["content"], "msg": message}])
    return text


def _undefined_name(exc: UndefinedError) -> str | None:
    # StrictUndefined messages look like "'name' is undefined".
    msg = exc.message or ""
    if msg.startswith("'") and msg.endswith("' is undefined"):
        return msg[1 : -len("' is undefined")]
    return None


def render(content: str, variables_spec: dict[str, Any], values: dict[str, Any]) -> str:
    """Render `content` with `values` checked and coerced against `variables_spec`.

    Raises ValidationFailed naming the variable when a required value is missing or a value
    has the wrong type, or naming the line when the template has a syntax error.
    """
    from promptrepo.services.variables import build_context

    analysis = analyze(content)
    if analysis.error is not None:
        compile_template(content)  # raises with the line
    context = build_context(variables_spec, values, analysis.variables)
    return render_template(content, context)


def compile_expression(expression: str):
    """A sandboxed Jinja2 expression (for custom validators), or ValidationFailed."""
    return _compile_expression(expression)


@lru_cache(maxsize=TEMPLATE_CACHE_SIZE)
def _compile_expression(expression: str):
    try:
        return env.compile_expression(expression, undefined_to_none=False)
    except TemplateSyntaxError as exc:
        message = f"Invalid expression: {exc.message}"
        raise ValidationFailed(message, errors=[{"loc": ["expression"], "msg": message}]) from None


def evaluate_expression(expression: str, context: dict[str, Any]) -> Any:
    """Evaluate a compiled sandboxed expression with the same limits as a render."""
    compiled = _compile_expression(expression)
    token = _range_budget.set([MAX_RANGE_ITEMS])
    try:
        return compiled(**context)
    finally:
        _range_budget.reset(token)


def text_stats(text: str) -> dict[str, int]:
    """Characters, words, lines and an approximate token count (about 4 characters a token)."""
    return {
        "chars": len(text),
        "words": len(text.split()),
        "lines": text.count("\n") + 1 if text else 0,
        "tokens": math.ceil(len(text) / 4),
    }


# --------------------------------------------------------------------------- dialects
# How whitespace around block tags renders. Stored with each prompt and version, so a
# version renders the same forever:
# - "jinja2": as written (every version saved before dialects existed);
# - "jinja2-trim" (new prompts): Jinja's trim_blocks + lstrip_blocks, so lines holding only
#   `{% if %}`/`{% endif %}` leave no blank lines behind.
# A trimmed template is rendered by the environment above from an equivalent source: the
# tokens of a trim_blocks/lstrip_blocks lexer (which drops the indentation before a block
# tag) with the newline each block tag swallowed removed. So the sandbox, the limits and the
# compile cache above apply unchanged to both dialects.
PLAIN_DIALECT = "jinja2"
TRIM_DIALECT = "jinja2-trim"
TEMPLATE_DIALECTS = (PLAIN_DIALECT, TRIM_DIALECT)

_trimming_lexer_env = _make_environment()
_trimming_lexer_env.trim_blocks = True
_trimming_lexer_env.lstrip_blocks = True
_TAG_ENDS = {"block_end", "comment_end", "raw_end"}


@lru_cache(maxsize=TEMPLATE_CACHE_SIZE)
def dialect_source(content: str, dialect: str = PLAIN_DIALECT) -> str:
    """The source the plain environment renders for `content` written in `dialect`."""
    if dialect != TRIM_DIALECT:
        return content
    parts: list[str] = []
    try:
        for _, kind, value in _trimming_lexer_env.lexer.tokeniter(content, None):
            if kind in _TAG_ENDS and value.endswith("\n"):
                value = value[:-2] if value.endswith("\r\n") else value[:-1]
            parts.append(value)
    except TemplateSyntaxError:
        return content  # rendering reports the error, with its line, from the original
    return "".join(parts)
