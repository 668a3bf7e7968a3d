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
