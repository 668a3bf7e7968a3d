"""Pieces the editor's panes share."""

from __future__ import annotations

import reflex as rx

MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"


def counted(count: rx.Var, one: str, many: str) -> rx.Var:
    """`1 line`, `2 lines`: the count and the noun in the right number."""
    return count.to_string() + rx.cond(count == 1, f" {one}", f" {many}")
