"""robots.txt and sitemap.xml: what search engines may crawl, and the pages worth crawling."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import escape

from sqlmodel import Session, select

from promptrepo import routes
from promptrepo.models import Project

# The static, public pages of the site, in the order they appear in the sitemap.
STATIC_PAGES: tuple[str, ...] = (
    routes.HOME,
    routes.PRICING,
    routes.EXPLORE,
    routes.SIGNUP,
    routes.LOGIN,
)
# Pages that only make sense for a signed-in user, and the API (documented at /api/docs).
DISALLOWED_PREFIXES: tuple[str, ...] = (
    routes.DASHBOARD,
    routes.SETTINGS,
    routes.BILLING,
    routes.ADMIN,
    routes.LOGOUT,
    routes.RESET_PASSWORD,
    "/projects/*/prompts/",
    "/api/",
)
# The sitemap protocol allows 50,000 URLs per file.
MAX_SITEMAP_URLS = 50_000


def robots_txt(base_url: str) -> str:
    """The robots.txt body: everything public is crawlable; private areas are not."""
    base = base_url.rstrip("/")
    lines = ["User-agent: *", "Allow: /"]
    lines += [f"Disallow: {prefix}" for prefix in DISALLOWED_PREFIXES]
    lines += ["Allow: /api/docs", "", f"Sitemap: {base}/sitemap.xml", ""]
    return "\n".join(lines)


def public_project_entries(session: Session, limit: int) -> list[tuple[str, datetime]]:
    """(path, updated_at) of every public project (as the gallery lists them), newest first."""
    rows = session.exec(
        select(Project.id, Project.updated_at)
        .where(Project.is_public)
        .order_by(Project.updated_at.desc(), Project.id)
        .limit(limit)
    ).all()
    return [(routes.project_url(str(project_id)), updated_at) for project_id, updated_at in rows]


def sitemap_xml(session: Session, base_url: str) -> str:
    """The sitemap.xml body: the static pages, then every public project with its lastmod."""
    base = base_url.rstrip("/")
    urls = [f"  <url><loc>{escape(base + path)}</loc></url>" for path in STATIC_PAGES]
    for path, updated_at in public_project_entries(session, MAX_SITEMAP_URLS - len(urls)):
        lastmod = updated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        urls.append(f"  <url><loc>{escape(base + path)}</loc><lastmod>{lastmod}</lastmod></url>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(urls)
        + "\n</urlset>\n"
    )
