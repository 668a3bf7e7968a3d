"""Bounded rendering: the hostile templates of issue 11 are refused with a message naming the
limit they hit, quickly, through the real render worker processes; normal templates render
exactly as plain Jinja2 renders them; a worker past its budget is killed and replaced."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Iterator

import pytest
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from promptrepo.models.projects import VALIDATOR_TYPES
from promptrepo.services import render_pool, templates, validator_rules, versions
from promptrepo.services.errors import ValidationFailed
from tests.support.run_async import run_async

# Seconds within which every refusal must arrive: the 1 s render budget plus room for a busy
# machine. Not a benchmark (benchmarks/bench_hostile.py measures); it proves work was stopped.
STOPPED_WITHIN = 6.0

# A loop of legal steps that would run for about a minute: only the wall-clock budget stops it.
SLOW_LOOP = "{% for i in range(99000) %}{% if (7**3000)|string %}{% endif %}{% endfor %}"


@pytest.fixture(scope="module")
def pool() -> Iterator[render_pool.RenderPool]:
    fresh = render_pool.configure(render_pool.PoolConfig(size=2, timeout=1.0))
    yield fresh
    render_pool.configure(None)


def refused(content: str, validators: list | None = None, values: dict | None = None) -> str:
    """Render through the pool; the ValidationFailed message (fails if it rendered)."""
    versions.render_and_validate("warm", {}, [], {})  # a worker is up (one may just be killed)
    start = time.monotonic()
    with pytest.raises(ValidationFailed) as exc:
        versions.render_and_validate(content, {}, validators or [], values or {})
    assert time.monotonic() - start < STOPPED_WITHIN
    return exc.value.message


@pytest.mark.parametrize(
    ("content", "limit"),
    [
        ("{{ (((9**999)**999)**20) > 1 }}", "integer limit"),
        ("{{ 7 * (9**999) * (9**999) * (9**999) * (9**999) }}", "integer limit"),
        ("{{ 'x'.ljust(1000000000)|length }}", "output limit"),
        ("{{ 'x'.rjust(1000000000) }}", "output limit"),
        ("{{ 'x'.center(1000000000) }}", "output limit"),
        ("{{ 'x'.zfill(1000000000) }}", "output limit"),
        ("{{ ('\t' * 100).expandtabs(100000000) }}", "output limit"),
        ("{{ '%1000000000s' % 'x' }}", "output limit"),
        ("{{ '%*s' % (1000000000, 'x') }}", "output limit"),
        ("{{ '%.1000000000f' % 1.5 }}", "output limit"),
        ("{{ '{:1000000000}'.format('x')|length }}", "output limit"),
        ("{{ '{:{w}}'.format('x', w=1000000000)|length }}", "output limit"),
        ("{{ '{0:>999999}{0:>999999}{0:>999999}'.format('x') }}", "output limit"),
        ("{{ 'x' * 1000000000 }}", "output limit"),
        ("{{ [0] * 1000000000 }}", "output limit"),
        ("{{ '-'.join(['x' * 100000] * 100) }}", "output limit"),
        ("{{ ('ab' * 1000)|replace('', 'x' * 1000) }}", "output limit"),
        ("{{ ('ab' * 1000).replace('b', 'x' * 10000) }}", "output limit"),
        ("{{ 'x'|center(1000000000) }}", "output limit"),
        ("{{ ('a\n' * 1000)|indent(1000000) }}", "output limit"),
        ("{{ ('a ' * 1000)|wordwrap(1, wrapstring='y' * 10000) }}", "output limit"),
        ("{{ '%1000000000s'|format('x') }}", "output limit"),
        ("{{ (['x'] * 100000)|join('y' * 100) }}", "output limit"),
        ("{{ [1]|batch(1000000000, 0)|list }}", "output limit"),
        ("{{ [1]|slice(1000000000)|list }}", "output limit"),
        ("{% set l = [1] %}{% for i in range(40) %}{{ l.extend(l) }}{% endfor %}", "output limit"),
        (
            "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}"
            "{% endfor %}",
            "output limit",
        ),
        ("{% for c in 'x' * 200000 %}{% endfor %}", "loop limit"),
        (
            "{% for c in 'xyz' * 400 %}{% for d in 'xyz' * 400 %}{% endfor %}{% endfor %}",
            "loop limit",
        ),
        ("{% for k in range(100000) %}{% for j in [1, 2] %}{% endfor %}{% endfor %}", "loop limit"),
        ("{{ range(1000000000)|list }}", "loop limit"),
        ("{% for i in range(100000) %}{{ 'x' * 1000000 }}{% endfor %}", "limit"),
        (
            "{% for i in range(90000) %}{{ 'abcdefghijklmnopqrstuvwxyz' }}{% endfor %}",
            "output limit",
        ),
        ("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}", "recursion limit"),
        (
            "{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}",
            "recursion limit",
        ),
        ("{% for x in [1] recursive %}{{ loop([x]) }}{% endfor %}", "recursion limit"),
        ("{{ lipsum(1000000) }}", "lipsum"),
        (SLOW_LOOP, "took longer than 1 s"),
    ],
)
def test_hostile_template_is_refused_naming_the_limit(pool, content: str, limit: str) -> None:
    message = refused(content)
    assert message.startswith("The template")
    if "took longer" in limit:
        assert limit in message
        return
    # The sandbox names the limit; through the pool, a machine too loaded to reach it within
    # the render budget (loops of 100,000 steps take ~0.2 s of CPU) gets the time limit.
    assert limit in message or "took longer than 1 s" in message
    with pytest.raises(ValidationFailed, match=limit):
        templates.render(content, {}, {})


def test_deeply_nested_brackets_are_a_syntax_error_not_a_crash(pool) -> None:
    message = refused("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}")
    assert "nests too deeply" in message


def test_constant_expressions_are_not_folded_while_compiling() -> None:
    # Jinja folds constants at compile time, outside any render budget: operators and the
    # size-checked filters must not build their value there.
    start = time.monotonic()
    for content in ("{{ '%1000000000s' % 'x' }}", "{{ 'x'|center(1000000000) }}"):
        assert templates.check_syntax(content) is None
    assert time.monotonic() - start < STOPPED_WITHIN


def test_fifty_slow_regex_validators_share_one_budget(pool) -> None:
    # Each backtracks for its full 0.1 s regex limit: 5 s in all, stopped at the render budget.
    catastrophic = {"type": "regex", "config": {"pattern": "(a|a)+$"}}
    message = refused("{{ 'a' * 28 }}b", [catastrophic] * 50)
    assert "took longer than 1 s" in message and "validators included" in message


def test_a_hostile_custom_expression_fails_its_check_not_the_server(pool) -> None:
    expression = {"type": "custom", "config": {"expression": "'x'.ljust(1000000000)|length > 1"}}
    text, results = versions.render_and_validate("hi", {}, [expression], {})
    assert text == "hi"
    assert not results[0].passed and "output limit" in results[0].message


def test_a_timed_out_worker_is_killed_and_replaced_and_the_next_render_works() -> None:
    small = render_pool.configure(render_pool.PoolConfig(size=1, timeout=1.0))
    try:
        assert versions.render_and_validate("Hi {{ n }}", {}, [], {"n": 1})[0] == "Hi 1"
        [before] = small.worker_pids()
        message = refused(SLOW_LOOP)
        assert "took longer than 1 s" in message
        with pytest.raises(ProcessLookupError):  # really stopped, not left running
            for _ in range(50):
                os.kill(before, 0)
                time.sleep(0.05)
        assert small.replaced == 1
        text, results = versions.render_and_validate(
            "Hi {{ n }}", {}, [{"type": "length", "config": {"max": 5}}], {"n": 2}
        )
        assert text == "Hi 2" and results[0].passed
        assert small.worker_pids() and small.worker_pids() != [before]
    finally:
        render_pool.configure(None)


NORMAL_TEMPLATES = [
    "Hello {{ name }}!",
    "{% for x in items %}{{ loop.index }}. {{ x }}{% if not loop.last %}, {% endif %}{% endfor %}",
    "{% for c in name %}[{{ c }}]{% else %}empty{% endfor %}",
    "{{ '%05.2f' % 3.14159 }} {{ '%s and %s' % (name, name) }} {{ '%(a)s' % {'a': 1} }}",
    "{{ '{:>8}|{:<4}|{:^6}'.format(name, 1, 'x') }} {{ '{n}!'.format(n=name) }}",
    "{{ name.ljust(8) }}|{{ name.center(9, '*') }}|{{ '7'.zfill(3) }}|{{ ', '.join(items) }}",
    "{{ 'a,b'|replace(',', ';') }} {{ items|join(', ') }} {{ items|join }} {{ 'x'|center(5) }}",
    "{{ 'one two three four'|wordwrap(7) }}|{{ 'l1\nl2'|indent(2) }}|{{ name|truncate(3, True) }}",
    "{{ 2**10 }} {{ 3 * 4 }} {{ 'ab' * 3 }} {{ [1] * 2 }} {{ 7 // 2 }} {{ 7 / 2 }} {{ 7 % 3 }}",
    "{{ 1 + 2 }} {{ 'a' ~ 'b' }} {{ 'a' + 'b' }} {{ [1] + [2] }} {{ 5 - 7 }} {{ -3 ** 2 }}",
    "{% macro greet(who) %}Hi {{ who }}{% endmacro %}{{ greet(name) }} {{ greet('you') }}",
    "{% set ns = namespace(n=0) %}{% for i in range(5) %}{% set ns.n = ns.n + i %}{% endfor %}"
    "{{ ns.n }}",
    "{% for row in [[1, 2], [3]] recursive %}{{ row if row is number else loop(row) }}{% endfor %}",
    "{% set l = [] %}{% for i in range(3) %}{{ l.append(i) or '' }}{% endfor %}{{ l }}",
    "{{ items|batch(2)|list }} {{ items|slice(2)|list }} {{ '%s-%s'|format(1, 2) }}",
    "{{ items|map('upper')|join('/') }} {{ range(3)|sum }} {{ items|length }} {{ items|first }}",
    "{{ lipsum(1, False)|length > 0 }} {{ {'b': 1, 'a': 2}|dictsort }}",
]


@pytest.mark.parametrize("content", NORMAL_TEMPLATES)
def test_normal_templates_render_exactly_as_plain_jinja(pool, content: str) -> None:
    plain = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True)
    context = {"name": "Ada", "items": ["a", "b", "c"]}
    expected = plain.from_string(content).render(context)
    if "lipsum" not in content:
        assert templates.render_template(content, context) == expected
    spec = {"name": {"type": "string"}, "items": {"type": "json"}}
    text, _ = versions.render_and_validate(content, spec, [], context)
    assert text == expected


def test_the_worker_answers_syntax_and_variable_errors_like_before(pool) -> None:
    with pytest.raises(ValidationFailed, match="line 2"):
        versions.render_and_validate("ok\n{{ x ", {}, [], {})
    with pytest.raises(ValidationFailed) as exc:
        versions.render_and_validate("{{ who }}", {"who": {"type": "string"}}, [], {})
    assert exc.value.errors[0]["loc"] == ["variables", "who"]


def test_validator_types_match_the_database_constraint() -> None:
    assert tuple(validator_rules.VALIDATOR_TYPES) == tuple(VALIDATOR_TYPES)


def test_a_shared_deadline_bounds_several_renders_together(pool) -> None:
    # Each render alone is within budget; a project's prompts share one budget.
    deadline = render_pool.shared_deadline("The project")
    slow_but_legal = "{% for i in range(6000) %}{% if (7**3000)|string %}{% endif %}{% endfor %}"
    start = time.monotonic()
    with pytest.raises(ValidationFailed) as exc:
        for _ in range(200):
            versions.render_and_validate(slow_but_legal, {}, [], {}, deadline=deadline)
    assert exc.value.message.startswith("The project took longer than 1 s")
    assert time.monotonic() - start < STOPPED_WITHIN


def test_unset_text_stays_false_through_the_pool() -> None:
    """The editor's preview shows a required variable nobody set as `(unset)` and never takes
    its `{% if %}` branch; the request to the worker is JSON, so the flag travels with it."""
    from promptrepo.services import render_pool
    from promptrepo.services.variables import UnsetText

    text, _ = render_pool.render_and_validate(
        "{{ name }}{% if name %} (set){% endif %}|{% if other %}yes{% endif %}",
        {},
        [],
        {"name": UnsetText(), "other": "x"},
        "jinja2",
    )
    assert text == "(unset)|yes"


def test_one_accounts_renders_take_turns_while_another_account_renders_at_once() -> None:
    """Five slow renders at once from one account run one after another (the others wait,
    then get 429 past the queue timeout), so they never hold every worker: another account's
    render goes through at once meanwhile."""
    import threading

    from promptrepo.services.errors import RateLimited

    pool = render_pool.configure(
        render_pool.PoolConfig(size=3, timeout=1.0, queue_timeout=1.5, per_account=1)
    )
    try:
        render_pool.render_and_validate("warm", {}, [], {})  # start the workers
        outcomes: list[str] = []

        def attack() -> None:
            with render_pool.acting_for("attacker"):
                try:
                    render_pool.render_and_validate(SLOW_LOOP, {}, [], {})
                    outcomes.append("rendered")
                except ValidationFailed:
                    outcomes.append("time limit")
                except RateLimited:
                    outcomes.append("429")

        threads = [threading.Thread(target=attack) for _ in range(5)]
        for thread in threads:
            thread.start()
        time.sleep(0.2)
        started = time.monotonic()
        with render_pool.acting_for("someone else"):
            text, _ = render_pool.render_and_validate("Hello {{ x }}", {}, [], {"x": "you"})
        elapsed = time.monotonic() - started
        for thread in threads:
            thread.join()
        assert text == "Hello you" and elapsed < 0.5, elapsed
        # one at a time within the 1.5 s queue: at most two reached a worker, the rest 429
        assert sorted(outcomes) == ["429"] * 3 + ["time limit"] * 2 or sorted(outcomes) == [
            "429"
        ] * 4 + ["time limit"], outcomes
        assert pool.replaced <= 2
    finally:
        render_pool.configure(None)


@pytest.mark.parametrize("may_raise", [True, False], ids=["restored", "replaced"])
def test_a_short_render_keeps_normal_priority_and_a_long_one_is_lowered_then_restored(
    may_raise: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The editor renders on every keystroke: a render at nice 19 waits behind every other
    # process of a loaded machine. Renders start at normal priority; one still running after
    # `full_priority` is lowered to `nice`. Once it answers, its worker is raised back where
    # the process may raise priorities (it keeps what it compiled), else replaced.
    if not may_raise:
        raise_back = os.setpriority

        def refuse_raising(which: int, who: int, prio: int) -> None:
            if prio < os.getpriority(which, who):
                raise PermissionError("not allowed to raise a priority")
            raise_back(which, who, prio)

        monkeypatch.setattr(render_pool.os, "setpriority", refuse_raising)
    elif os.geteuid() != 0:
        pytest.skip("raising a priority back needs root or RLIMIT_NICE here")
    small = render_pool.configure(
        render_pool.PoolConfig(size=1, timeout=5.0, nice=19, full_priority=0.05)
    )
    own = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        assert versions.render_and_validate("Hi {{ n }}", {}, [], {"n": 1})[0] == "Hi 1"
        [first] = small.worker_pids()
        assert os.getpriority(os.PRIO_PROCESS, first) == own
        assert versions.render_and_validate("Hi {{ n }}", {}, [], {"n": 2})[0] == "Hi 2"
        assert small.worker_pids() == [first]  # not lowered: kept

        seen: list[int] = []
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                with contextlib.suppress(ProcessLookupError):
                    seen.append(os.getpriority(os.PRIO_PROCESS, first))
                time.sleep(0.01)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            slow = "{% for i in range(3000) %}{% if (7**3000)|string %}{% endif %}{% endfor %}ok"
            text, _ = versions.render_and_validate(slow, {}, [], {})
        finally:
            done.set()
            watcher.join()
        assert text == "ok"
        assert 19 in seen, seen  # lowered while it ran
        assert small.replaced == 0  # not a failure
        for _ in range(100):  # raised back, or replaced by a fresh worker at normal priority
            pids = small.worker_pids()
            if pids and (may_raise or pids != [first]):
                break
            time.sleep(0.05)
        [second] = small.worker_pids()
        assert (second == first) == may_raise
        assert os.getpriority(os.PRIO_PROCESS, second) == own
        assert versions.render_and_validate("Hi {{ n }}", {}, [], {"n": 3})[0] == "Hi 3"
    finally:
        render_pool.configure(None)


class NoThreads:
    def submit(self, *args, **kwargs):
        raise AssertionError("waited in a thread although a worker was idle")


def test_the_async_path_renders_on_the_loop_and_keeps_the_budget_and_the_turns() -> None:
    # The editor awaits renders from the event loop: with a worker idle the request goes to
    # it without a thread; the budget, the per-account turn and the error messages hold.
    small = render_pool.configure(render_pool.PoolConfig(size=1, timeout=1.0, per_account=1))
    try:
        assert versions.render_and_validate("Hi {{ n }}", {}, [], {"n": 0})[0] == "Hi 0"
        [worker] = small.worker_pids()

        async def scenario() -> list:
            outcomes: list = []
            with render_pool.acting_for("ada"):
                threads, render_pool._executor = render_pool._executor, NoThreads()
                try:
                    text, results = await render_pool.render_and_validate_async(
                        "Hi {{ n }}", {}, [{"type": "length", "config": {"max": 5}}], {"n": 1}
                    )
                finally:
                    render_pool._executor = threads
                outcomes.append((text, results[0].passed))
                assert small._accounts == {}  # the turn was given back
                # cancelled (a superseded render): the worker finishes and stays in the pool
                task = asyncio.ensure_future(
                    render_pool.render_and_validate_async("Hi {{ n }}", {}, [], {"n": 2})
                )
                await asyncio.sleep(0)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                for _ in range(100):
                    if small.worker_pids():
                        break
                    await asyncio.sleep(0.01)
                outcomes.append((small.worker_pids(), small.replaced))
                with pytest.raises(ValidationFailed) as refused_here:
                    await render_pool.render_and_validate_async(SLOW_LOOP, {}, [], {})
                outcomes.append(refused_here.value.message)
                with pytest.raises(ValidationFailed) as syntax:
                    await render_pool.render_and_validate_async("{% if %}", {}, [], {})
                outcomes.append(syntax.value.message)
            return outcomes

        (text, passed), pids, slow, syntax = run_async(scenario())
        assert (text, passed) == ("Hi 1", True)
        assert pids == ([worker], 0)
        assert "took longer than 1 s" in slow
        assert "syntax error on line 1" in syntax
        assert small.replaced == 1  # the slow one's worker, killed and replaced
        assert versions.render_and_validate("Hi {{ n }}", {}, [], {"n": 3})[0] == "Hi 3"
    finally:
        render_pool.configure(None)
