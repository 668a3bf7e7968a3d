"""Pieces of the marketing pages: call-to-action links, sections, monospace product visuals."""

from __future__ import annotations

from typing import Any

import reflex as rx


def cta(label: str, href: str, *, id: str, variant: str = "solid", size: str = "3", **props: Any):
    """A link that looks like a button (one <a>, not a button inside a link)."""
    return rx.button(
        rx.el.a(label, href=href, id=id),
        as_child=True,
        white_space="nowrap",
        variant=variant,
        size=size,
        **props,
    )


def section(*children: rx.Component, id: str, **props: Any) -> rx.Component:
    return rx.el.section(
        rx.vstack(*children, spacing="5", width="100%"),
        id=id,
        width="100%",
        padding_y=["2.5rem", "2.5rem", "3.5rem"],
        **props,
    )


def section_heading(title: str, lead: str, *, id: str) -> rx.Component:
    return rx.vstack(
        rx.heading(title, as_="h2", size=rx.breakpoints(initial="6", md="7"), id=id),
        rx.text(lead, size="4", color=rx.color("gray", 11), max_width="44rem"),
        spacing="2",
    )


def code(*lines: rx.Component | str, label: str) -> rx.Component:
    """A monospace block of real text; `label` names it for screen readers."""
    return rx.el.pre(*lines, class_name="pr-code", aria_label=label)


def var(name: str) -> rx.Component:
    """A template variable as the editor highlights it."""
    return rx.el.span("{{ " + name + " }}", class_name="pr-var")


def span(text: str, class_name: str) -> rx.Component:
    return rx.el.span(text, class_name=class_name)


def panel(*children: rx.Component, **props: Any) -> rx.Component:
    """The frame around a product visual (plain HTML: it is static)."""
    return rx.el.div(*children, class_name="pr-panel", **props)
