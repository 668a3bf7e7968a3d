"""robots.txt and sitemap.xml bodies (services/seo.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from promptrepo.models import Project
from promptrepo.services import seo
from tests.factories import make_user

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_sitemap_is_valid_xml_with_static_pages_and_only_public_projects(session) -> None:
    owner = make_user(session)
    public = Project(user_id=owner.user_id, name="Shared <& quoted>", is_public=True)
    private = Project(user_id=owner.user_id, name="Secret")
    session.add_all([public, private])
    session.commit()

    body = seo.sitemap_xml(session, "https://prompts.example.com/")
    root = ET.fromstring(body.encode())
    locs = [u.find("s:loc", NS).text for u in root.findall("s:url", NS)]
    assert locs[:3] == [
        "https://prompts.example.com/",
        "https://prompts.example.com/pricing",
        "https://prompts.example.com/explore",
    ]
    assert f"https://prompts.example.com/projects/{public.id}" in locs
    assert f"https://prompts.example.com/projects/{private.id}" not in locs
    project_url = next(u for u in root.findall("s:url", NS) if str(public.id) in u[0].text)
    assert project_url.find("s:lastmod", NS).text.endswith("+00:00")


def test_robots_names_the_sitemap_and_keeps_private_areas_out() -> None:
    body = seo.robots_txt("https://prompts.example.com")
    assert "Sitemap: https://prompts.example.com/sitemap.xml" in body
    for prefix in ("/dashboard", "/settings", "/billing", "/admin", "/api/"):
        assert f"Disallow: {prefix}\n" in body
