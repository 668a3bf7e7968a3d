"""Every page's on_load brings the signed-in user's stored theme to the browser.

components/theme.py applies `AppState.theme_key`, which only `AppState.page_principal()`
sets. A page whose on_load resolves the user with plain `principal()` would leave a browser
that signs in and lands there in the wrong theme (the dashboard did, until this test).
"""

from __future__ import annotations

import inspect

import pytest
from reflex_base.registry import RegistrationContext

import promptrepo.promptrepo  # noqa: F401  (registers every page)


def _handlers(on_load) -> list:
    if on_load is None:
        return []
    return list(on_load) if isinstance(on_load, list | tuple) else [on_load]


PAGES = [kwargs for _, kwargs in RegistrationContext.ensure_context().decorated_pages]


def test_the_pages_are_found() -> None:
    routes = {kwargs.get("route") for kwargs in PAGES}
    assert {"/dashboard", "/settings", "/login", "/"} <= routes


@pytest.mark.parametrize("kwargs", PAGES, ids=lambda kwargs: kwargs.get("route", "?"))
def test_on_load_resolves_the_user_with_the_stored_theme(kwargs: dict) -> None:
    handlers = _handlers(kwargs.get("on_load"))
    assert handlers, f"{kwargs.get('route')} has no on_load"
    sources = [inspect.getsource(getattr(h, "fn", h)) for h in handlers]
    assert any("self.page_principal()" in source for source in sources), (
        f"{kwargs.get('route')}: no on_load handler calls page_principal()"
    )
