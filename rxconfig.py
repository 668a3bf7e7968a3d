"""Reflex configuration. Every URL and secret comes from the environment via settings.

The database is ours (promptrepo/db.py + alembic/), not Reflex's, so no `db_url` here.
"""

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from promptrepo.settings import settings
from promptrepo.theme import RadixThemesSubsetPlugin

config = rx.Config(
    app_name="promptrepo",
    redis_url=settings.redis_url or None,
    telemetry_enabled=False,
    # Reflex applies this list to its CORS middleware (which otherwise reflects any origin
    # with credentials) and to socket.io, which then refuses a websocket whose Origin is
    # another site or `null`: PUBLIC_URL's origin plus CORS_ORIGINS.
    cors_allowed_origins=settings.allowed_origins,
    show_built_with_reflex=False,
    # Brotli first (about 25% smaller than gzip for the Radix CSS and the JS bundles), gzip
    # for clients without it. Both are made once at build time.
    frontend_compression_formats=["brotli", "gzip"],
    # Import Radix Themes' full namespace (for dynamic components, which we do not use) only
    # when one is evaluated, not in every page's root bundle: ~20 fewer JS requests per page.
    frontend_lazy_bundled_libraries=True,
    plugins=[
        RadixThemesSubsetPlugin(
            theme=rx.theme(accent_color="violet", gray_color="slate", radius="medium")
        ),
    ],
    # /sitemap.xml is served by the API (it lists public projects too).
    disable_plugins=[SitemapPlugin],
)
