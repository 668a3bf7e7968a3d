"""No page carries a spacing step where CSS wants a length.

Radix's layout components take their gap as `spacing="3"` (a step of the theme's scale,
rendered as a class). Written as `gap="3"`, the prop is plain CSS, `gap: 3`, which the
browser drops: the landing page's two buttons touched, and so did the fields of several
forms, until this test.
"""

from __future__ import annotations

import re

import pytest
from reflex.components.component import Component
from reflex_base.registry import RegistrationContext

import promptrepo.promptrepo  # noqa: F401  (registers every page)

PAGES = RegistrationContext.ensure_context().decorated_pages
# CSS properties that take lengths, never a bare step number
LENGTHS = ("gap", "row_gap", "column_gap", "rowGap", "columnGap", "padding", "margin")
STEP = re.compile(r"[1-9]")  # 0 needs no unit


def _components(component: Component, seen: set[int]):
    """`component` and every component under it, the branches of conditions included."""
    if id(component) in seen:
        return
    seen.add(id(component))
    yield component
    for value in [*component.children, *vars(component).values()]:
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, Component):
                yield from _components(item, seen)


def _bare_steps(component: Component) -> list[str]:
    found = []
    for prop in LENGTHS:
        value = component.style.get(prop)
        values = value if isinstance(value, list | tuple) else [value]
        if any(STEP.fullmatch(str(v).strip('"`')) for v in values if v is not None):
            found.append(f"{type(component).__name__} {prop}={value!r}")
    return found


def test_the_walk_finds_components_in_conditions() -> None:
    import reflex as rx

    inner = rx.flex(rx.text("x"), gap="3")
    tree = rx.box(rx.cond(rx.Var.create(True), inner, rx.text("no")))
    assert any(_bare_steps(c) for c in _components(tree, set()))


@pytest.mark.parametrize(
    ("render", "kwargs"), PAGES, ids=[kwargs.get("route", "?") for _, kwargs in PAGES]
)
def test_no_page_gives_css_a_bare_spacing_step(render, kwargs: dict) -> None:
    found = [f for c in _components(render(), set()) for f in _bare_steps(c)]
    assert not found, f"{kwargs.get('route')}: use spacing= for a step: {found}"
