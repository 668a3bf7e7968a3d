"""The app shell in a real browser: the home page loads and the theme toggle works."""

from playwright.sync_api import Page, expect


def test_home_page_loads_with_navbar_and_footer(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    expect(page.locator("#hero-title")).to_be_visible()
    expect(page.get_by_role("link", name="PromptRepo home")).to_be_visible()
    expect(page.locator("footer")).to_contain_text("PromptRepo")


def test_theme_toggle_switches_between_light_and_dark(page: Page, base_url: str) -> None:
    page.emulate_media(color_scheme="light")
    page.goto(base_url + "/")
    html = page.locator("html")
    expect(html).not_to_have_class("dark")
    page.locator("#theme-toggle").click()
    expect(html).to_have_class("dark")
    page.locator("#theme-toggle").click()
    expect(html).not_to_have_class("dark")


def test_unknown_page_shows_not_found(page: Page, base_url: str) -> None:
    page.goto(base_url + "/no/such/page")
    expect(page.locator("#not-found")).to_be_visible()


def test_footer_offers_account_links_that_fit_who_is_signed_in(page: Page, app_server) -> None:
    from tests.app_server import sign_in
    from tests.factories import make_user

    page.goto(app_server.url + "/")
    footer = page.locator("footer")
    expect(footer.get_by_role("link", name="Sign in")).to_be_visible()
    with app_server.session() as s:
        user = make_user(s)
        s.commit()
    sign_in(page.context, app_server, user.user_id)
    page.goto(app_server.url + "/")
    expect(footer.get_by_role("link", name="Settings")).to_be_visible()
    expect(footer.get_by_role("link", name="Sign in")).to_have_count(0)


def test_the_api_docs_render_with_no_internet(page: Page, base_url: str) -> None:
    """Swagger UI comes from this server (api/docs.py): with every other host unreachable the
    page still shows the API, under its own content security policy."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    host = base_url.split("//", 1)[1].split("/", 1)[0]
    page.route(
        "**/*",
        lambda route: route.continue_() if f"//{host}/" in route.request.url else route.abort(),
    )
    page.goto(base_url + "/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("PromptRepo API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert errors == [], errors
