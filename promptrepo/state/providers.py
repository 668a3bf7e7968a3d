"""/settings → Model providers: connections (the key is write-only) and the price table.

Thin: every handler re-checks the signed-in user and calls services/providers.py.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx

from promptrepo.db import session_scope
from promptrepo.services import providers
from promptrepo.services.errors import ServiceError
from promptrepo.state.base import AppState


@dataclasses.dataclass
class ConnectionRow:
    id: str = ""
    name: str = ""
    base_url: str = ""
    default_model: str = ""
    key: str = ""  # "saved" / "none": the key itself never reaches the page
    builtin: bool = False


@dataclasses.dataclass
class PriceRow:
    model: str = ""
    input_per_million: str = ""
    output_per_million: str = ""


class ProvidersState(AppState):
    connections: list[ConnectionRow] = []
    prices: list[PriceRow] = []
    connection_error: str = ""
    price_error: str = ""
    # The add form is uncontrolled except for its reset key (a new key empties it).
    form_key: int = 0

    @rx.event
    def load_providers(self):
        """on_load of /settings (after check_login)."""
        self.connection_error = ""
        self.price_error = ""
        try:
            self._reload()
        except ServiceError:
            return

    def _reload(self) -> None:
        principal = self.require_principal()
        with session_scope(acting_as=principal.user_id) as session:
            self.connections = [
                ConnectionRow(
                    id=c.id,
                    name=c.name,
                    base_url=c.base_url,
                    default_model=c.default_model,
                    key="built in" if c.builtin else ("saved" if c.has_key else "none"),
                    builtin=c.builtin,
                )
                for c in providers.list_connections(session, principal)
            ]
            self.prices = [
                PriceRow(p.model, f"{p.input_per_million:g}", f"{p.output_per_million:g}")
                for p in providers.list_prices(session, principal)
            ]

    @rx.event
    def add_connection(self, form_data: dict[str, Any]):
        self.connection_error = ""
        try:
            principal = self.require_principal()
            with session_scope(acting_as=principal.user_id) as session:
                providers.add_connection(
                    session,
                    principal,
                    name=form_data.get("name", ""),
                    base_url=form_data.get("base_url", ""),
                    api_key=form_data.get("api_key", ""),
                    default_model=form_data.get("default_model", ""),
                )
            self._reload()
        except ServiceError as exc:
            self.connection_error = exc.message  # the form keeps what was typed
            return None
        self.form_key += 1
        return rx.toast.success("Connection saved. Its key is stored encrypted.")

    @rx.event
    def remove_connection(self, connection_id: str):
        try:
            principal = self.require_principal()
            with session_scope(acting_as=principal.user_id) as session:
                providers.remove_connection(session, principal, connection_id)
            self._reload()
        except ServiceError as exc:
            self.connection_error = exc.message

    @rx.event
    def set_price(self, form_data: dict[str, Any]):
        self.price_error = ""
        try:
            principal = self.require_principal()
            with session_scope(acting_as=principal.user_id) as session:
                providers.set_price(
                    session,
                    principal,
                    form_data.get("model", ""),
                    form_data.get("input_per_million", ""),
                    form_data.get("output_per_million", ""),
                )
            self._reload()
        except ServiceError as exc:
            self.price_error = exc.message
            return None
        self.form_key += 1
        return None

    @rx.event
    def remove_price(self, model: str):
        try:
            principal = self.require_principal()
            with session_scope(acting_as=principal.user_id) as session:
                providers.remove_price(session, principal, model)
            self._reload()
        except ServiceError as exc:
            self.price_error = exc.message
