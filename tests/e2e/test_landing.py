"""The landing and pricing pages in Chromium at phone (390 px) and desktop (1440 px) widths:
the hero, plans and calls to action are visible and lead where they say, the prices are those
of services/plans.py, and a signed-in user sees their current plan and upgrade buttons."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from promptrepo.models import Project
from promptrepo.services.plans import PLANS
from tests.app_server import AppServer, sign_in
from tests.factories import make_user

WIDTHS = {"phone": 390, "desktop": 1440}


@pytest.fixture(params=list(WIDTHS))
def sized_page(request, browser: Browser, app_server: AppServer) -> Page:
    context = browser.new_context(
        base_url=app_server.url, viewport={"width": WIDTHS[request.param], "height": 900}
    )
    page = context.new_page()
    page.width_name = request.param  # type: ignore[attr-defined]
    yield page
    context.close()


def expected_price(plan_id: str) -> str:
    price = PLANS[plan_id].price_usd_per_month
    return "Contact us" if price is None else f"${price}"


def test_hero_and_calls_to_action_are_visible(sized_page: Page) -> None:
    page = sized_page
    page.goto("/")
    expect(page.locator("#hero-title")).to_have_text(
        "Version, test and serve the prompts your LLM apps run on"
    )
    expect(page.locator("#hero-visual")).to_be_visible()
    for cta, href in [
        ("#hero-signup", "/signup"),
        ("#hero-explore", "/explore"),
        ("#closing-pricing", "/pricing"),
        ("#closing-signup", "/signup"),
    ]:
        link = page.locator(cta)
        link.scroll_into_view_if_needed()
        expect(link).to_be_visible()
        expect(link).to_have_attribute("href", href)
    # Every feature has its visual, in the viewport's width (no horizontal scrolling).
    for key in ("versioning", "variables", "validators", "composition", "api"):
        expect(page.locator(f"#feature-{key}")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[page.width_name]


@pytest.mark.parametrize(
    ("cta", "path"),
    [("#hero-signup", "/signup"), ("#hero-explore", "/explore"), ("#closing-pricing", "/pricing")],
)
def test_calls_to_action_lead_where_they_say(page: Page, base_url: str, cta, path) -> None:
    page.goto(base_url + "/")
    page.locator(cta).click()
    expect(page).to_have_url(base_url + path)
    expect(page.locator("#not-found")).to_have_count(0)


def test_in_page_links_glide_unless_the_reader_asks_for_less_motion(
    page: Page, base_url: str
) -> None:
    behavior = "getComputedStyle(document.documentElement).scrollBehavior"
    page.goto(base_url + "/")
    expect(page.locator("#hero-title")).to_be_visible()
    assert page.evaluate(behavior) == "smooth"
    page.emulate_media(reduced_motion="reduce")
    assert page.evaluate(behavior) == "auto"


def test_navigation_fits_the_screen(sized_page: Page) -> None:
    page = sized_page
    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    if page.width_name == "phone":
        expect(nav).to_be_hidden()
        page.locator("#mobile-menu-button").click()
        menu = page.locator("#mobile-menu")
        expect(menu.get_by_role("menuitem", name="Pricing")).to_be_visible()
        page.keyboard.press("Escape")
        expect(menu).to_be_hidden()
    else:
        expect(nav).to_be_visible()
        expect(page.locator("#mobile-menu-button")).to_be_hidden()
        nav.get_by_role("link", name="Pricing").click()
        expect(page.locator("#pricing-title")).to_be_visible()


def test_teaser_shows_most_forked_public_projects_and_not_private_ones(
    page: Page, app_server: AppServer
) -> None:
    tag = uuid.uuid4().hex[:6]
    with app_server.session() as s:
        owner = make_user(s, name=f"Teaser Owner {tag}")
        popular = Project(
            user_id=owner.user_id, name=f"Popular {tag}", is_public=True, fork_count=10_000
        )
        hidden = Project(user_id=owner.user_id, name=f"Hidden {tag}", fork_count=99_999)
        s.add_all([popular, hidden])
        s.commit()
        popular_id = popular.id

    page.goto(app_server.url + "/")
    card = page.locator(".teaser-card").first
    expect(card).to_contain_text(f"Popular {tag}")
    expect(card).to_contain_text(f"Teaser Owner {tag}")
    expect(card).to_contain_text("10000 forks")
    expect(page.locator("#teaser-projects")).not_to_contain_text(f"Hidden {tag}")
    card.get_by_role("link", name=f"Popular {tag}").click()
    expect(page).to_have_url(f"{app_server.url}/projects/{popular_id}")


def test_pricing_shows_the_plans_of_services_plans(sized_page: Page) -> None:
    page = sized_page
    page.goto("/pricing")
    for plan_id, plan in PLANS.items():
        card = page.locator(f"#plan-{plan_id}")
        card.scroll_into_view_if_needed()
        expect(card).to_be_visible()
        expect(page.locator(f"#plan-name-{plan_id}")).to_have_text(plan.name)
        expect(page.locator(f"#plan-price-{plan_id}")).to_have_text(expected_price(plan_id))
        for feature in plan.features:
            expect(card).to_contain_text(feature)
        signup = page.locator(f"#plan-signup-{plan_id}")
        expect(signup).to_be_visible()
        expect(signup).to_have_attribute("href", f"/signup?plan={plan_id}")
    expect(page.locator("[id^=plan-current-]")).to_have_count(0)


def test_pricing_sign_up_button_leads_to_sign_up(page: Page, base_url: str) -> None:
    page.goto(base_url + "/pricing")
    page.locator("#plan-signup-pro").click()
    expect(page).to_have_url(base_url + "/signup?plan=pro")


@pytest.mark.parametrize("plan_id", ["free", "pro"])
def test_signed_in_user_sees_current_plan_and_upgrade_buttons(
    browser: Browser, app_server: AppServer, plan_id: str
) -> None:
    with app_server.session() as s:
        user = make_user(s, plan=plan_id)
        s.commit()
    context = browser.new_context(base_url=app_server.url, viewport={"width": 1440, "height": 900})
    sign_in(context, app_server, user.user_id)
    page = context.new_page()
    page.goto("/pricing")

    current = page.locator(f"#plan-current-{plan_id}")
    expect(current).to_have_text("Current plan")
    expect(current).to_be_disabled()
    expect(page.locator(f"#plan-yours-{plan_id}")).to_be_visible()
    expect(page.locator("[id^=plan-signup-]")).to_have_count(0)
    for other in (p for p in PLANS if p != plan_id):
        upgrade = page.locator(f"#plan-upgrade-{other}")
        expect(upgrade).to_be_visible()
        expect(upgrade).to_have_attribute("href", f"/billing?plan={other}")
    page.locator("#plan-upgrade-enterprise").click()
    expect(page).to_have_url(app_server.url + "/billing?plan=enterprise")
    context.close()


# Installed by `make test` (npm axe-core, the engine Lighthouse's accessibility audit uses).
AXE = Path(__file__).resolve().parents[2] / ".tools/axe/node_modules/axe-core/axe.min.js"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["/", "/pricing"])
def test_pages_have_no_wcag_aa_violations_in_light_and_dark(
    sized_page: Page, path: str, scheme: str
) -> None:
    """axe-core finds no WCAG 2 A/AA violation, contrast included, in either colour scheme."""
    if not AXE.exists():
        message = "axe-core not installed: `make test` installs it into .tools/axe"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    page = sized_page
    page.emulate_media(color_scheme=scheme)
    page.goto(path)
    if path == "/":
        page.wait_for_selector(".teaser-card, #teaser-empty")
    # Evaluated by the test driver: an injected <script> would be refused by the page's CSP.
    page.evaluate(AXE.read_text())
    violations = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
        ".then(r => r.violations.map(v => [v.id, v.nodes.map(n => n.html.slice(0, 120))]))"
    )
    assert violations == []


@pytest.mark.parametrize("path", ["/", "/pricing"])
def test_marketing_pages_paint_before_their_scripts_load_and_then_hydrate(
    page: Page, base_url: str, path: str
) -> None:
    """promptrepo/prerender.py: the page's HTML asks for no script, its first paint comes
    before any of its modules is requested, and the page still hydrates without an error."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    html = page.request.get(base_url + path).text()
    assert 'rel="modulepreload"' not in html
    assert "data-promptrepo-deferred" in html

    page.goto(base_url + path)
    page.wait_for_function("() => !!window.__reactRouterRouteModules")
    # Hydrated: the router handles a link click without loading a new document.
    page.evaluate("window.__sameDocument = true")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Explore").click()
    expect(page).to_have_url(base_url + "/explore")
    assert page.evaluate("window.__sameDocument === true")

    # A first paint needs the HTML and the stylesheet (render-blocking), and nothing else:
    # no module is requested before the stylesheet has arrived and a frame has run.
    timings = page.evaluate(
        """() => {
          const all = performance.getEntriesByType('resource');
          return {
            css: all.filter(e => e.name.endsWith('.css')).map(e => e.responseEnd),
            js: all.filter(e => e.name.includes('/assets/') && e.name.endsWith('.js'))
                   .map(e => e.startTime),
          };
        }"""
    )
    assert timings["css"] and timings["js"]
    assert min(timings["js"]) > max(timings["css"]), timings
    assert errors == []


def test_a_click_before_the_page_has_hydrated_is_played_again_after(
    browser: Browser, base_url: str
) -> None:
    """On a slow link the landing page is usable before its scripts arrive: a click on the
    theme toggle then is held and played again once React drives the toggle."""
    context = browser.new_context(base_url=base_url, color_scheme="light")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 700, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    page.goto("/", wait_until="domcontentloaded")
    toggle = page.locator("#theme-toggle")
    expect(toggle).to_be_visible()
    hydrated = "el => Object.keys(el).some(k => k.startsWith('__reactProps'))"
    assert toggle.evaluate(hydrated) is False  # painted, not hydrated yet
    toggle.click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"), timeout=15_000)
    assert toggle.evaluate(hydrated) is True
    context.close()
