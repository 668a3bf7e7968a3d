"""SEO through the real served app: prerendered content and meta tags in the first HTML
response (no JavaScript run), robots.txt, sitemap.xml, and the static files' cache headers."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from promptrepo.models import Project
from promptrepo.services.plans import PLANS
from tests.app_server import AppServer
from tests.factories import make_user


def meta(html: str, key: str) -> str | None:
    """The content of <meta name|property=key> in the page's <head>."""
    head = html.split("</head>", 1)[0]
    for tag in re.findall(r"<meta [^>]*>", head):
        if f'name="{key}"' in tag or f'property="{key}"' in tag:
            found = re.search(r'content="([^"]*)"', tag)
            return found.group(1) if found else None
    return None


def visible_text(html: str) -> str:
    body = html.split("<body", 1)[1]
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("&amp;", "&")


@pytest.mark.parametrize("path", ["/", "/pricing"])
def test_page_has_title_description_and_open_graph_tags(app_server: AppServer, path) -> None:
    response = httpx.get(app_server.url + path)
    assert response.status_code == 200
    html = response.text
    title = re.search(r"<title>([^<]+)</title>", html).group(1)
    assert "PromptRepo" in title
    description = meta(html, "description")
    assert description and len(description) > 50
    assert meta(html, "og:title") == title
    assert meta(html, "og:description") == description
    assert meta(html, "og:url") == app_server.url + path
    assert meta(html, "og:image") == app_server.url + "/og-image.png"
    assert meta(html, "twitter:card") == "summary_large_image"
    assert httpx.get(app_server.url + "/og-image.png").headers["content-type"] == "image/png"


def test_home_page_content_is_in_the_first_html_response(app_server: AppServer) -> None:
    text = visible_text(httpx.get(app_server.url + "/").text)
    assert "Version, test and serve the prompts your LLM apps run on" in text
    for feature in (
        "Versions, diffs and one-click rollback",
        "Typed variables",
        "Validators that gate publishing",
        "Compose prompts from segments",
        "A fast API with caching",
        "Frequently asked questions",
    ):
        assert feature in text
    assert "Sign up free" in text and "Explore public prompts" in text


def test_pricing_page_plans_and_prices_are_in_the_first_html_response(
    app_server: AppServer,
) -> None:
    html = httpx.get(app_server.url + "/pricing").text
    text = visible_text(html)
    for plan in PLANS.values():
        assert plan.name in text
        assert plan.tagline in text
        assert f"${plan.price_usd_per_month}" in text
        for feature in plan.features:
            assert feature in text
    description = meta(html, "description")
    assert all(f"${p.price_usd_per_month}" in description for p in PLANS.values())


def test_robots_txt_allows_public_pages_and_points_to_the_sitemap(app_server: AppServer) -> None:
    response = httpx.get(app_server.url + "/robots.txt")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /dashboard" in lines
    assert "Disallow: /admin" in lines
    assert f"Sitemap: {app_server.url}/sitemap.xml" in lines
    assert "Disallow: /" not in lines  # the public site stays crawlable


def test_sitemap_lists_static_pages_and_public_projects_but_not_private_ones(
    app_server: AppServer,
) -> None:
    with app_server.session() as s:
        owner = make_user(s, name="Sitemap Owner")
        public = Project(
            user_id=owner.user_id, name=f"public-{uuid.uuid4().hex[:6]}", is_public=True
        )
        private = Project(user_id=owner.user_id, name=f"private-{uuid.uuid4().hex[:6]}")
        s.add_all([public, private])
        s.commit()
        public_id, private_id = public.id, private.id
        updated = public.updated_at

    response = httpx.get(app_server.url + "/sitemap.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    body = response.text
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    locs = re.findall(r"<loc>([^<]+)</loc>", body)
    for path in ("/", "/pricing", "/explore"):
        assert app_server.url + path in locs
    assert f"{app_server.url}/projects/{public_id}" in locs
    assert f"{app_server.url}/projects/{private_id}" not in body
    entry = re.search(rf"<loc>[^<]*/projects/{public_id}</loc><lastmod>([^<]+)</lastmod>", body)
    assert entry and entry.group(1).startswith(updated.date().isoformat())


def test_hashed_assets_are_cached_for_a_year_and_pages_are_revalidated(
    app_server: AppServer,
) -> None:
    html = httpx.get(app_server.url + "/").text
    asset = re.search(r'href="(/assets/[^"]+\.css)"', html).group(1)
    response = httpx.get(app_server.url + asset)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert httpx.get(app_server.url + "/").headers["cache-control"] == "no-cache"


def test_pricing_without_trailing_slash_is_served_without_a_redirect(
    app_server: AppServer,
) -> None:
    response = httpx.get(app_server.url + "/pricing", follow_redirects=False)
    assert response.status_code == 200
    assert "Simple pricing that grows with you" in response.text
