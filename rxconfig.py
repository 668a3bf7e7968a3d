"""Reflex configuration. Every URL and secret comes from the environment via settings."""

import reflex as rx

from promptrepo.settings import settings

config = rx.Config(
    app_name="promptrepo",
    db_url=settings.database_url,
    redis_url=settings.redis_url or None,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    disable_plugins=["reflex.plugins.sitemap.SitemapPlugin"],
)
