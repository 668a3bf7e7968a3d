"""A table that scrolls sideways inside its own box when it is wider than the page (a phone),
instead of making the whole page scroll."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx


def scrolling_table(
    headers: tuple[str | rx.Component, ...],
    rows: rx.Var,
    render_row: Callable,
    **table_props,
) -> rx.Component:
    """One header cell per item of `headers`, one row per item of `rows` (`render_row`)."""
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*(rx.table.column_header_cell(h) for h in headers))),
            rx.table.body(rx.foreach(rows, render_row)),
            width="100%",
            **table_props,
        ),
        overflow_x="auto",
        width="100%",
    )
