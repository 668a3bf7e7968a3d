"""Builds the Reflex app: the REST API is mounted, the pages register themselves on import."""

import reflex as rx

import admin.pages  # noqa: F401
import promptrepo.pages.activity  # noqa: F401
import promptrepo.pages.auth  # noqa: F401
import promptrepo.pages.billing  # noqa: F401
import promptrepo.pages.dashboard  # noqa: F401
import promptrepo.pages.editor  # noqa: F401
import promptrepo.pages.explore  # noqa: F401
import promptrepo.pages.home  # noqa: F401
import promptrepo.pages.invite  # noqa: F401
import promptrepo.pages.playground  # noqa: F401
import promptrepo.pages.pricing  # noqa: F401
import promptrepo.pages.project  # noqa: F401
import promptrepo.pages.settings  # noqa: F401
import promptrepo.pages.webhooks  # noqa: F401
from promptrepo.api import create_api
from promptrepo.api.security_headers import security_headers
from promptrepo.api.static_headers import static_headers
from promptrepo.components.layout import SIGNED_IN_HINT_JS
from promptrepo.pages.not_found import not_found
from promptrepo.services.served_counts import run_flusher as run_served_counts_flusher
from promptrepo.services.webhooks import run_worker as run_webhook_worker
from promptrepo.state.base import AppState
from promptrepo.state.live import register_app

app = rx.App(
    # The API first (its routes win over the frontend), then the static files' headers, then
    # the security headers around everything (pages, assets, API, errors).
    api_transformer=[create_api(), static_headers, security_headers],
    stylesheets=["/styles.css"],
    head_components=[
        rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
        # Ctrl/Cmd+K for the command palette (components/palette.py); deferred, ~0.5 KB, so
        # the shortcut works as soon as the page has loaded, before the websocket answers.
        rx.el.script(src="/palette.js", defer=True),
        rx.el.script(SIGNED_IN_HINT_JS),  # no "Sign up" flash for the signed in
    ],
)
# load_user: a signed-in person who mistyped an address keeps their navbar.
app.add_page(
    not_found, route="404", title="Page not found · PromptRepo", on_load=AppState.load_user
)
register_app(app)
# Each server process delivers due webhooks (services/webhooks.py; workers never send one twice).
app.register_lifespan_task(run_webhook_worker)
# Each server process adds its served-version counts to Redis every few seconds.
app.register_lifespan_task(run_served_counts_flusher)
