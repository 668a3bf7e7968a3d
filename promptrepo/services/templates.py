"""Prompt templates: Jinja2 in its sandbox, strict about undefined variables, never `eval`.

Templates are compiled once per distinct content (an LRU cache), so rendering a published
prompt again and again costs only the render itself. Analysis (syntax check + the variables a
template uses, in order of appearance) shares the same cache, so the editor's per-keystroke
preview parses each text once.
"""

from __future__ import annotations

import contextvars
import functools
import math
import re
import secrets
import threading
import types
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, UndefinedError, meta, nodes
from jinja2.environment import Template
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.filters import do_default
from jinja2.lexer import Token, TokenStream
from jinja2.parser import Parser
from jinja2.runtime import Context, LoopContext, Macro
from jinja2.sandbox import SandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter
from jinja2.utils import _PassArg, generate_lorem_ipsum, pass_context
from markupsafe import Markup

from promptrepo.services.errors import ValidationFailed

# Limits that keep one render from eating the server: a template is user-written code. Each
# is checked *before* the value is built (a 1 GB string is refused, never allocated); the
# wall-clock budget around all of this lives in services/render_pool.py.
MAX_OUTPUT_CHARS = 2_000_000  # the rendered text, and any one string or list built on the way
MAX_LOOP_ITERATIONS = 100_000  # every `{% for %}` step in one render, over any iterable
MAX_RANGE_ITEMS = MAX_LOOP_ITERATIONS  # a longer range() is refused when made
MAX_INTEGER_BITS = 10_000  # about 3,000 decimal digits
MAX_CALL_DEPTH = 40  # macros calling macros (and recursive loops) this deep
MAX_BUILT_CHARS = 20 * MAX_OUTPUT_CHARS  # all strings/lists the checked operations build
MAX_SEQUENCE_LENGTH = MAX_OUTPUT_CHARS  # kept for callers of the old name
TEMPLATE_CACHE_SIZE = 512


class RenderLimitExceeded(SecurityError):
    """A template went past one of the limits above; the message names the limit."""


@dataclass
class _Budget:
    """What one render may still spend."""

    loops: int = MAX_LOOP_ITERATIONS
    built: int = MAX_BUILT_CHARS
    depth: int = 0


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "promptrepo_render_budget", default=None
)


def _current_budget() -> _Budget:
    budget = _budget.get()
    if budget is None:  # outside render_template (compile-time folding): a fresh allowance
        budget = _Budget()
    return budget


def _refuse_size(size: int, what: str) -> None:
    """Refuse (before building it) a value of `size` items; count it toward the work limit."""
    if size > MAX_OUTPUT_CHARS:
        raise RenderLimitExceeded(
            f"{what} would be {size:,} characters or items long; "
            f"the output limit is {MAX_OUTPUT_CHARS:,}"
        )
    budget = _budget.get()
    if budget is not None:
        budget.built -= size
        if budget.built < 0:
            raise RenderLimitExceeded(
                f"the template builds more than {MAX_BUILT_CHARS:,} characters in all "
                "(the work limit)"
            )


def _refuse_bits(bits: int) -> None:
    if bits > MAX_INTEGER_BITS:
        raise RenderLimitExceeded(
            f"a number of about {bits:,} bits would be built; "
            f"the integer limit is {MAX_INTEGER_BITS:,} bits"
        )


def _count_loop(iterable: Any) -> Iterator[Any]:
    """Every `{% for %}` iterates through this: each step, over anything, is counted."""
    budget = _current_budget()
    for item in iterable:
        budget.loops -= 1
        if budget.loops < 0:
            raise RenderLimitExceeded(
                f"the template loops more than {MAX_LOOP_ITERATIONS:,} times (the loop limit)"
            )
        yield item


def _bounded_range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_RANGE_ITEMS:
        raise RenderLimitExceeded(
            f"range() is limited to {MAX_RANGE_ITEMS:,} items (the loop limit)"
        )
    return rng


def _bounded_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    if n > 100 or max > 1000:
        raise RenderLimitExceeded("lipsum() is limited to 100 paragraphs of 1,000 words")
    return generate_lorem_ipsum(n=n, html=html, min=min, max=max)


def _finalize(value: Any) -> Any:
    # An optional variable left empty prints as nothing, not "None".
    return "" if value is None else value


# --------------------------------------------------------------------------- size estimates
_SEQUENCES = (str, list, tuple)
_PERCENT_SPEC = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[#0\- +]*(?P<width>\*|\d+)?(?:\.(?P<prec>\*|\d*))?[hlL]?"
    r"(?P<conv>[diouxXeEfFgGcrsa%])"
)
_DIGITS = re.compile(r"\d+")


def _shown_length(value: Any) -> int:
    """An upper bound of len(str(value)) for the values a template holds, without building it."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, bool) or value is None:
        return 5
    if isinstance(value, int):
        return value.bit_length() * 31 // 100 + 2
    if isinstance(value, float):
        return 330
    if isinstance(value, list | tuple | dict | set):
        return (
            sum(_shown_length(v) + 4 for v in islice(value, MAX_OUTPUT_CHARS))
            + 2
            + (sum(_shown_length(k) + 2 for k in value) if isinstance(value, dict) else 0)
        )
    return len(str(value))


def _as_int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _percent_size(fmt: str, args: Any) -> int:
    """An upper bound of the length of `fmt % args` (widths and precisions included)."""
    positional = list(args) if isinstance(args, tuple) else [args]
    mapping = args if isinstance(args, Mapping) else None
    size, index = len(fmt), 0

    def take() -> Any:
        nonlocal index
        value = positional[index] if index < len(positional) else ""
        index += 1
        return value

    for spec in _PERCENT_SPEC.finditer(fmt):
        if spec["conv"] == "%":
            continue
        width = _as_int(take()) if spec["width"] == "*" else int(spec["width"] or 0)
        prec = _as_int(take()) if spec["prec"] == "*" else int(spec["prec"] or 0)
        if spec["key"] is not None and mapping is not None:
            value = mapping.get(spec["key"], "")
        else:
            value = take()
        size += max(abs(width), _shown_length(value) + abs(prec))
    return size


def _check_format_spec(format_spec: str) -> None:
    for number in _DIGITS.findall(format_spec):
        if len(number) > 7 or int(number) > MAX_OUTPUT_CHARS:
            _refuse_size(int(number[:12]), "a formatted field")


class _BoundedFormatterMixin:
    """str.format with every field's width and the total length checked before building."""

    _built = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        _check_format_spec(format_spec)
        result = super().format_field(value, format_spec)  # type: ignore[misc]
        self._built += len(result)
        _refuse_size(self._built, "the formatted text")
        return result


class _BoundedFormatter(_BoundedFormatterMixin, SandboxedFormatter):
    pass


class _BoundedEscapeFormatter(_BoundedFormatterMixin, SandboxedEscapeFormatter):
    pass


def _materialize(iterable: Any, what: str) -> list[Any]:
    items = list(islice(iterable, MAX_OUTPUT_CHARS + 1))
    if len(items) > MAX_OUTPUT_CHARS:
        _refuse_size(len(items), what)
    return items


def _joined_size(separator: str, items: list[Any]) -> int:
    return sum(_shown_length(item) for item in items) + len(separator) * max(len(items) - 1, 0)


def _replaced_size(text: str, old: str, new: str, count: int | None) -> int:
    hits = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * (len(new) - len(old))


# Calls of str/list methods that can build more than they are given: (args, kwargs) → the
# size of the result, checked before the call. `join`/`extend` get their iterable as a list.
def _str_method_check(text: str, name: str, args: tuple, kwargs: dict) -> tuple:
    if name in ("ljust", "rjust", "center", "zfill"):
        width = args[0] if args else kwargs.get("width", 0)
        _refuse_size(max(len(text), _as_int(width)), f"str.{name}()")
    elif name == "expandtabs":
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        _refuse_size(len(text) + text.count("\t") * max(_as_int(tabsize), 0), "str.expandtabs()")
    elif name == "join" and args:
        items = _materialize(args[0], "str.join()")
        _refuse_size(_joined_size(text, items), "str.join()")
        args = (items, *args[1:])
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str):
        count = args[2] if len(args) > 2 else kwargs.get("count")
        _refuse_size(
            _replaced_size(
                text, args[0], str(args[1]), _as_int(count) if count is not None else None
            ),
            "str.replace()",
        )
    elif name == "translate" and args and isinstance(args[0], Mapping):
        longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
        _refuse_size(len(text) * max(longest, 1), "str.translate()")
    return args


def _list_method_check(items: list, name: str, args: tuple) -> tuple:
    if name == "extend" and args:
        extra = _materialize(args[0], "list.extend()")
        _refuse_size(len(items) + len(extra), "list.extend()")
        args = (extra, *args[1:])
    elif name in ("append", "insert"):
        _refuse_size(len(items) + 1, f"list.{name}()")
    return args


# Filters that can build more than they are given: the size of their result from the
# arguments as the template passes them (`value` first), checked before the filter runs.
def _arg(args: tuple, kwargs: dict, index: int, name: str, default: Any) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _indent_size(args: tuple, kwargs: dict) -> int:
    s, width = _text(_arg(args, kwargs, 0, "s", "")), _arg(args, kwargs, 1, "width", 4)
    per_line = len(width) if isinstance(width, str) else _as_int(width)
    return len(s) + (s.count("\n") + 1) * per_line


def _wordwrap_size(args: tuple, kwargs: dict) -> int:
    s = _text(_arg(args, kwargs, 0, "s", ""))
    width = max(_as_int(_arg(args, kwargs, 1, "width", 79)), 1)
    wrap = _arg(args, kwargs, 3, "wrapstring", None) or "\n"
    lines = min(len(s) + 1, len(s.split()) + len(s) // width + s.count("\n") + 1)
    return len(s) + lines * len(_text(wrap))


def _replace_size(args: tuple, kwargs: dict) -> int:
    count = _arg(args, kwargs, 3, "count", None)
    return _replaced_size(
        _text(_arg(args, kwargs, 0, "s", "")),
        _text(_arg(args, kwargs, 1, "old", "")),
        _text(_arg(args, kwargs, 2, "new", "")),
        _as_int(count) if count is not None else None,
    )


def _format_size(args: tuple, kwargs: dict) -> int:
    return _percent_size(_text(args[0] if args else ""), kwargs or tuple(args[1:]))


_FILTER_SIZES: dict[str, Callable[[tuple, dict], int]] = {
    "center": lambda a, k: max(
        len(_text(_arg(a, k, 0, "value", ""))), _as_int(_arg(a, k, 1, "width", 80))
    ),
    "indent": _indent_size,
    "wordwrap": _wordwrap_size,
    "replace": _replace_size,
    "format": _format_size,
    "batch": lambda a, k: _as_int(_arg(a, k, 1, "linecount", 0)),
    "slice": lambda a, k: _as_int(_arg(a, k, 1, "slices", 0)),
}


def _join_arguments(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """`join`'s iterable as a counted list, its size checked when it joins plain values."""
    items = _materialize(_arg(args, kwargs, 0, "value", ()), "the join filter")
    if args:
        args = (items, *args[1:])
    else:
        kwargs = {**kwargs, "value": items}
    if _arg(args, kwargs, 2, "attribute", None) is None:
        separator = _text(_arg(args, kwargs, 1, "d", ""))
        _refuse_size(_joined_size(separator, items), "the join filter")
    return args, kwargs


def _checked_filter(name: str, func: Callable) -> Callable:
    """`func` as a filter Jinja cannot fold at compile time (it takes the context, so the
    compiler leaves it to the render and its budget), with its result's size checked first."""
    passes = _PassArg.from_obj(func)
    size_of = _FILTER_SIZES.get(name)

    def checked(context: Context, *args: Any, **kwargs: Any) -> Any:
        if size_of is not None:
            _refuse_size(size_of(args, kwargs), f"the {name} filter")
        elif name == "join":
            args, kwargs = _join_arguments(args, kwargs)
        if passes is _PassArg.context:
            result = func(context, *args, **kwargs)
        elif passes is _PassArg.eval_context:
            result = func(context.eval_ctx, *args, **kwargs)
        elif passes is _PassArg.environment:
            result = func(context.environment, *args, **kwargs)
        else:
            result = func(*args, **kwargs)
        if name == "join" and isinstance(result, str):
            _refuse_size(len(result), "the join filter")
        return result

    checked.__name__ = checked.__qualname__ = getattr(func, "__name__", name)
    checked.__doc__ = func.__doc__
    return pass_context(checked)


class PromptEnvironment(SandboxedEnvironment):
    """The sandbox, plus size limits on everything an expression can build (see above).

    Every binary operator is intercepted, which also stops Jinja from folding a constant such
    as `'%1000000000s' % 'x'` while *compiling* (that would run outside any render budget).
    """

    intercepted_binops = frozenset(["+", "-", "*", "/", "//", "%", "**"])

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        left_int = isinstance(left, int) and not isinstance(left, bool)
        right_int = isinstance(right, int) and not isinstance(right, bool)
        if operator == "**":
            if left_int and right_int and right > 0 and abs(left) > 1:
                _refuse_bits(left.bit_length() * right)
            return left**right
        if operator == "*":
            if isinstance(left, int) and isinstance(right, int):
                _refuse_bits(left.bit_length() + right.bit_length())
            elif isinstance(left, _SEQUENCES) and isinstance(right, int):
                _refuse_size(len(left) * right, "a repeated text or list")
            elif isinstance(right, _SEQUENCES) and isinstance(left, int):
                _refuse_size(len(right) * left, "a repeated text or list")
            return left * right
        if operator == "+":
            if left_int and right_int:
                _refuse_bits(max(left.bit_length(), right.bit_length()) + 1)
            elif isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
                _refuse_size(len(left) + len(right), "a joined text or list")
            return left + right
        if operator == "-":
            if left_int and right_int:
                _refuse_bits(max(left.bit_length(), right.bit_length()) + 1)
            return left - right
        if operator == "%":
            if isinstance(left, str):
                _refuse_size(_percent_size(left, right), "a %-formatted text")
            return left % right
        if operator == "/":
            return left / right
        return left // right

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # As Jinja's own, with a formatter that checks widths and the total length.
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        f_self = value.__self__
        str_type = type(f_self)
        is_format_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            formatter = (
                _BoundedEscapeFormatter(self, escape=f_self.escape)
                if isinstance(f_self, Markup)
                else _BoundedFormatter(self)
            )
            if is_format_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs, args = args[0], ()
            return str_type(formatter.vformat(f_self, args, kwargs))

        return functools.update_wrapper(wrapper, value)

    def call(__self, __context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        owner = getattr(__obj, "__self__", None)
        if owner is not None and not isinstance(__obj, type):
            name = getattr(__obj, "__name__", "")
            if isinstance(owner, str):
                args = _str_method_check(owner, name, args, kwargs)
            elif isinstance(owner, list):
                args = _list_method_check(owner, name, args)
        if isinstance(__obj, Macro | LoopContext):
            if isinstance(__obj, LoopContext) and args:  # `loop(children)` in a recursive loop
                args = (_count_loop(args[0]), *args[1:])
            budget = _budget.get()
            if budget is None:
                return super().call(__context, __obj, *args, **kwargs)
            budget.depth += 1
            try:
                if budget.depth > MAX_CALL_DEPTH:
                    raise RenderLimitExceeded(
                        f"macros (or recursive loops) call each other more than {MAX_CALL_DEPTH} "
                        "levels deep (the recursion limit)"
                    )
                result = super().call(__context, __obj, *args, **kwargs)
            finally:
                budget.depth -= 1
            if isinstance(result, str):
                _refuse_size(len(result), "a macro's output")
            return result
        return super().call(__context, __obj, *args, **kwargs)


class UnsetText(str):
    """What a preview shows for a required text variable nobody has given a value
    (`variables.preview_values`): the text `(unset)`, false in a condition, so `{% if name %}`
    never takes its branch by accident, and missing to `default`, so `{{ name | default('x') }}`
    shows `x`."""

    def __new__(cls) -> UnsetText:
        return super().__new__(cls, "(unset)")

    def __bool__(self) -> bool:
        return False


def _missing(value: Any) -> bool:
    """A value nobody gave: Jinja's undefined, an optional variable left out (None), or the
    preview's unset text."""
    return value is None or isinstance(value, Undefined | UnsetText)


def _default(value: Any, default_value: Any = "", boolean: bool = False) -> Any:
    """Jinja's `default` (alias `d`), which also takes None and the preview's unset text as
    missing: `{{ x | default('y') }}` shows `y` when x is optional and not given."""
    if _missing(value):
        return default_value
    return do_default(value, default_value, boolean)


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
    env.globals["lipsum"] = _bounded_lipsum
    env.filters["default"] = env.filters["d"] = _default
    env.tests["defined"] = lambda value: not _missing(value)
    env.tests["undefined"] = _missing
    for name, func in list(env.filters.items()):
        env.filters[name] = _checked_filter(name, func)
    env.count_loop = _count_loop  # type: ignore[attr-defined]
    return env


env = _make_environment()


def _count_every_loop(ast: nodes.Template) -> None:
    """Route every `{% for %}`'s iterable through `_count_loop` (strings and lists included)."""
    for loop in ast.find_all(nodes.For):
        counted = nodes.Call(nodes.EnvironmentAttribute("count_loop"), [loop.iter], [], None, None)
        counted.set_lineno(loop.iter.lineno or loop.lineno)
        counted.set_environment(env)
        loop.iter = counted


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
    # What the template's use of a variable says of it (`variable_hints`): {name: spec fields}
    hints: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


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


# How each variable is used, for the spec a new one gets (`variables.sync_with_content`).
_OPTIONAL_FILTERS = {"default", "d"}
_OPTIONAL_TESTS = {"defined", "undefined"}


def _uses(ast: nodes.Template, names: Iterable[str]) -> dict[str, set[str]]:
    """For each variable in `names`, how the template reads it: "optional" (`x | default(…)`,
    `x is defined`), "condition" (an `if`'s test, alone or under and/or/not), "list" (what a
    `for` iterates) or "text" (anything else)."""
    wanted = set(names)
    uses: dict[str, set[str]] = {name: set() for name in wanted}

    def visit(node: nodes.Node, role: str) -> None:
        if isinstance(node, nodes.Name):
            if node.ctx == "load" and node.name in wanted:
                uses[node.name].add(role)
            return
        if isinstance(node, nodes.Filter | nodes.Test) and isinstance(node.node, nodes.Name):
            optional = _OPTIONAL_FILTERS if isinstance(node, nodes.Filter) else _OPTIONAL_TESTS
            if node.name in optional:
                visit(node.node, "optional")
                for child in node.iter_child_nodes(exclude=("node",)):
                    visit(child, "text")
                return
        if isinstance(node, nodes.If | nodes.CondExpr):
            visit(node.test, "condition")
            for child in node.iter_child_nodes(exclude=("test",)):
                visit(child, "text")
            return
        if isinstance(node, nodes.For):
            visit(node.iter, "list")
            for child in node.iter_child_nodes(exclude=("iter",)):
                visit(child, "text")
            return
        keep = role == "condition" and isinstance(node, nodes.And | nodes.Or | nodes.Not)
        for child in node.iter_child_nodes():
            visit(child, role if keep else "text")

    visit(ast, "text")
    return uses


def _variable_hints(ast: nodes.Template, names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The spec fields a variable's uses imply: read with a fallback anywhere (`default`, `is
    defined`) → not required; only as a condition → boolean; only iterated (perhaps also
    tested) → json (a list). Anything else: no hint (a required string)."""
    hints: dict[str, dict[str, Any]] = {}
    for name, used in _uses(ast, names).items():
        if "optional" in used:
            hints[name] = {"required": False}
        elif used == {"condition"}:
            hints[name] = {"type": "boolean"}
        elif "list" in used and used <= {"list", "condition"}:
            hints[name] = {"type": "json"}
    return hints


# Typing in a template mostly changes its text, not its tags: two texts whose tokens differ
# only in their literal text (Jinja's "data" tokens, each on the same line) compile to the
# same code but for the string constants that text becomes. So a template is compiled once
# per *skeleton* — its tokens with each piece of text replaced by a marker — and each text
# gets that code with its own pieces put back into the constants (`_fill`): per keystroke in
# the editor's 10 KB benchmark prompt, a lex (~1 ms) instead of a parse and compile (~9 ms).
# Tags, expressions and line numbers are all part of the key, so everything the compiler
# decides is decided on exactly the same tokens; the markers carry a per-process random
# part, so no text can contain one (tests/unit/test_templates.py compares both ways).
_DATA_MARK = "\ue000" + secrets.token_hex(6)
_DATA_PIECE = re.compile(re.escape(_DATA_MARK) + r"(\d+)\ue001")


@dataclass(frozen=True)
class _Compiled:
    code: types.CodeType | None
    variables: tuple[str, ...]
    error: tuple[str, int] | None  # (message, line): the line's text comes from the content
    nested: bool = False  # RecursionError while parsing
    hints: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


_skeletons: OrderedDict[tuple, _Compiled] = OrderedDict()
_skeletons_lock = threading.Lock()


def _skeleton(content: str) -> tuple[tuple, list[Token], list[str]] | None:
    """(key, tokens with markers for text, the text pieces); None if the lexer fails."""
    try:
        tokens = list(env.lexer.tokenize(content))
    except (TemplateSyntaxError, RecursionError):
        return None
    pieces: list[str] = []
    marked: list[Token] = []
    key: list[tuple] = []
    for token in tokens:
        if token.type == "data":
            marked.append(Token(token.lineno, "data", f"{_DATA_MARK}{len(pieces)}\ue001"))
            key.append((token.lineno, "data"))
            pieces.append(token.value)
        else:
            marked.append(token)
            key.append((token.lineno, token.type, token.value))
    return tuple(key), marked, pieces


def _compile_tokens(tokens: list[Token], compile_code: bool) -> _Compiled:
    parser = Parser(env, "")
    parser.stream = TokenStream(iter(tokens), None, None)
    try:
        ast = parser.parse()
        variables = _ordered_variables(ast)
        hints = _variable_hints(ast, variables)
        code = None
        if compile_code:
            _count_every_loop(ast)
            code = env.compile(ast, filename="<prompt>")
    except TemplateSyntaxError as exc:
        return _Compiled(None, (), (exc.message or str(exc), exc.lineno or 1))
    except RecursionError:
        return _Compiled(None, (), (_TOO_DEEP, 1), nested=True)
    return _Compiled(code, variables, None, hints=hints)


def _compiled(content: str, compile_code: bool) -> tuple[_Compiled, list[str]] | None:
    skeleton = _skeleton(content)
    if skeleton is None:
        return None
    key, tokens, pieces = skeleton
    with _skeletons_lock:
        found = _skeletons.get(key)
        if found is not None:
            _skeletons.move_to_end(key)
    if found is None or (compile_code and found.code is None and found.error is None):
        found = _compile_tokens(tokens, compile_code)
        with _skeletons_lock:
            _skeletons[key] = found
            while len(_skeletons) > TEMPLATE_CACHE_SIZE:
                _skeletons.popitem(last=False)
    return found, pieces


def _fill(value: Any, pieces: list[str]) -> Any:
    """`value` (a code object, or one of its constants) with each text marker replaced by its
    piece of text."""
    if isinstance(value, str):
        if _DATA_MARK not in value:
            return value
        return _DATA_PIECE.sub(lambda m: pieces[int(m.group(1))], value)
    if isinstance(value, types.CodeType):
        consts = tuple(_fill(c, pieces) for c in value.co_consts)
        return value.replace(co_consts=consts) if consts != value.co_consts else value
    if isinstance(value, tuple | frozenset):
        return type(value)(_fill(v, pieces) for v in value)
    return value


def _analysis(found: _Compiled, content: str, pieces: list[str]) -> Analysis:
    if found.error is not None:
        message, line = found.error
        lines = content.splitlines()
        if found.nested:
            line_text = content.partition("\n")[0]
        else:
            line_text = lines[line - 1] if 0 < line <= len(lines) else ""
        return Analysis(None, (), SyntaxIssue(message=message, line=line, line_text=line_text))
    template = None
    if found.code is not None:
        template = env.template_class.from_code(
            env, _fill(found.code, pieces), env.make_globals(None)
        )
    return Analysis(template=template, variables=found.variables, error=None, hints=found.hints)


@lru_cache(maxsize=TEMPLATE_CACHE_SIZE)
def analyze(content: str) -> Analysis:
    """Parse and compile `content` once (cached by content, and by skeleton: see above)."""
    compiled = _compiled(content, compile_code=True)
    if compiled is None:
        return analyze_source(content)
    return _analysis(compiled[0], content, compiled[1])


def analyze_source(content: str) -> Analysis:
    """`analyze` straight from the source, without the skeleton cache (the reference the
    cache is tested against, and the path for a text the lexer refuses)."""
    try:
        ast = env.parse(content)
        variables = _ordered_variables(ast)
        hints = _variable_hints(ast, variables)
        _count_every_loop(ast)
        code = env.compile(ast, filename="<prompt>")
        template = env.template_class.from_code(env, code, env.make_globals(None))
    except TemplateSyntaxError as exc:
        return Analysis(template=None, variables=(), error=_syntax_issue(exc, content))
    except RecursionError:
        issue = SyntaxIssue(message=_TOO_DEEP, line=1, line_text=content.partition("\n")[0])
        return Analysis(template=None, variables=(), error=issue)
    return Analysis(template=template, variables=variables, error=None, hints=hints)


@lru_cache(maxsize=TEMPLATE_CACHE_SIZE)
def outline(content: str) -> Analysis:
    """`analyze` without compiling (its `template` is None): the variables and the syntax
    error (the variable analysis already reports unknown filters and tests), for callers
    that compile something else or not at all (the editor, per keystroke: the render worker
    compiles). Shares the skeleton cache: a text whose skeleton is known costs a lex."""
    compiled = _compiled(content, compile_code=False)
    if compiled is None:
        analysis = analyze_source(content)
        return Analysis(None, analysis.variables, analysis.error, analysis.hints)
    found, pieces = compiled
    outlined = _Compiled(None, found.variables, found.error, found.nested, found.hints)
    return _analysis(outlined, content, pieces)


def detect_variables(content: str) -> list[str]:
    """The variables a template reads, in order of first appearance ([] on a syntax error)."""
    return list(analyze(content).variables)


def variable_hints(content: str) -> dict[str, dict[str, Any]]:
    """What the template's use of each variable implies for its spec ({} on a syntax error):
    see `_variable_hints`."""
    return {name: dict(hint) for name, hint in analyze(content).hints.items()}


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
    """Render `content` with already-coerced values; errors become ValidationFailed.

    Every limit above applies; the output is counted as it is produced, so a template that
    prints too much is stopped at the limit rather than after building all of it.
    """
    template = compile_template(content)
    token = _budget.set(_Budget())
    try:
        parts: list[str] = []
        size = 0
        for chunk in template.root_render_func(template.new_context(context)):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise RenderLimitExceeded(
                    f"the rendered text is longer than {MAX_OUTPUT_CHARS:,} characters "
                    "(the output limit)"
                )
            parts.append(chunk)
        text = "".join(parts)
    except UndefinedError as exc:
        name = _undefined_name(exc)
        message = (
            f"Missing value for variable '{name}'." if name else f"Undefined value: {exc.message}"
        )
        raise ValidationFailed(
            message, errors=[{"loc": ["variables", name or ""], "msg": message}]
        ) from None
    except Exception as exc:
        message = render_error_message(exc)
        if message is None:
            raise
        raise ValidationFailed(message, errors=[{"loc": ["content"], "msg": message}]) from None
    finally:
        _budget.reset(token)
    return text


_TOO_DEEP = "the template nests too deeply (the recursion limit)"


def render_error_message(exc: BaseException) -> str | None:
    """The user-facing message for an exception a template raised (None: not the template's)."""
    if isinstance(exc, RenderLimitExceeded):
        return f"The template was refused: {exc}."
    if isinstance(exc, SecurityError):
        return f"The template did something not allowed: {exc}"
    if isinstance(exc, RecursionError):
        return f"The template was refused: {_TOO_DEEP}."
    if isinstance(exc, MemoryError):
        return "The template was refused: it needs more memory than a render may use."
    if isinstance(exc, TemplateError | ArithmeticError | TypeError | ValueError | LookupError):
        return f"The template failed to render: {exc}"
    return None


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
    except RecursionError:
        message = f"Invalid expression: {_TOO_DEEP}"
        raise ValidationFailed(message, errors=[{"loc": ["expression"], "msg": message}]) from None


def evaluate_expression(expression: str, context: dict[str, Any]) -> Any:
    """Evaluate a compiled sandboxed expression with the same limits as a render."""
    compiled = _compile_expression(expression)
    token = _budget.set(_Budget())
    try:
        result = compiled(**context)
        if isinstance(result, str | list | tuple):
            _refuse_size(len(result), "the expression's value")
        return result
    finally:
        _budget.reset(token)


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
# - "jinja2-trim": Jinja's trim_blocks + lstrip_blocks: every block tag swallows the newline
#   after it, even one that ends a line of text (`Be polite.{% endif %}` joins the next line
#   to it), which is what prompts made from 2026-11-30 to 2026-12-03 keep;
# - "jinja2-lines" (new prompts): a line holding nothing but block tags and comments leaves
#   nothing behind (no blank lines around `{% if %}`/`{% endif %}`), and every line holding
#   text keeps its line break.
# A trimmed template is rendered by the environment above from an equivalent source: the
# tokens of a trim_blocks/lstrip_blocks lexer (which drops the indentation before a block
# tag) with the newline each block tag swallowed removed (for "jinja2-lines", only where the
# line held no text). So the sandbox, the limits and the compile cache above apply unchanged
# to every dialect.
PLAIN_DIALECT = "jinja2"
TRIM_DIALECT = "jinja2-trim"
LINES_DIALECT = "jinja2-lines"
TEMPLATE_DIALECTS = (PLAIN_DIALECT, TRIM_DIALECT, LINES_DIALECT)

_trimming_lexer_env = _make_environment()
_trimming_lexer_env.trim_blocks = True
_trimming_lexer_env.lstrip_blocks = True
_TAG_ENDS = {"block_end", "comment_end", "raw_end"}


@lru_cache(maxsize=TEMPLATE_CACHE_SIZE)
def dialect_source(content: str, dialect: str = PLAIN_DIALECT) -> str:
    """The source the plain environment renders for `content` written in `dialect`."""
    if dialect not in (TRIM_DIALECT, LINES_DIALECT):
        return content
    every_tag = dialect == TRIM_DIALECT
    parts: list[str] = []
    line_has_text = False  # since the last line break: text or a `{{ }}` (lines dialect)
    try:
        for _, kind, value in _trimming_lexer_env.lexer.tokeniter(content, None):
            if kind == "data":
                _, newline, last = value.rpartition("\n")
                line_has_text = bool(last.strip()) or (not newline and line_has_text)
            elif kind == "variable_begin":
                line_has_text = True
            elif kind in _TAG_ENDS and value.endswith("\n"):
                if every_tag or not line_has_text:
                    value = value[:-2] if value.endswith("\r\n") else value[:-1]
                line_has_text = False
            parts.append(value)
    except TemplateSyntaxError:
        return content  # rendering reports the error, with its line, from the original
    return "".join(parts)
