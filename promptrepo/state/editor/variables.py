"""VariablesState: the typed variable specs the user edits (type, required, default, example,
options, description). The rows themselves belong to the draft, which rebuilds them as
variables appear in or leave the template."""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx

from promptrepo.state.editor.base import chain
from promptrepo.state.editor.draft import DraftState
from promptrepo.state.editor.rows import spec_from_row

EDITABLE_FIELDS = ("type", "default", "example", "description", "options")


class VariablesState(DraftState):
    def _update_row(self, name: str, **changes: Any):
        rows = list(self.variable_rows)
        for index, row in enumerate(rows):
            if row.name != name:
                continue
            row = dataclasses.replace(row, **changes)
            row.option_list = [o.strip() for o in row.options.split(",") if o.strip()]
            try:
                item = spec_from_row(row)
            except (ValueError, TypeError) as exc:
                message = str(exc)
                if hasattr(exc, "errors"):
                    message = "; ".join(
                        str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors()
                    )
                row.error = message
            else:
                row.error = ""
                self._spec = {**self._spec, name: item}
            rows[index] = row
            self.variable_rows = rows
            render = self._render_preview()
            if not row.error:
                return chain(render, self._note_edit())
            return render
        return None

    @rx.event
    def set_var_field(self, name: str, field: str, value: str):
        if not self.can_write or field not in EDITABLE_FIELDS:
            return None
        return self._update_row(name, **{field: value})

    @rx.event
    def set_var_flag(self, name: str, field: str, checked: bool):
        """A boolean variable's default or example, from its switch."""
        if not self.can_write or field not in ("default", "example"):
            return None
        return self._update_row(name, **{field: "true" if checked else "false"})

    @rx.event
    def set_var_required(self, name: str, value: bool):
        if not self.can_write:
            return None
        return self._update_row(name, required=bool(value))

    @rx.event
    def remove_variable(self, name: str):
        """Forget an unused variable's spec."""
        if not self.can_write or name in self._detected:
            return None
        self._spec = {k: v for k, v in self._spec.items() if k != name}
        self.variable_rows = [r for r in self.variable_rows if r.name != name]
        return self._note_edit()
