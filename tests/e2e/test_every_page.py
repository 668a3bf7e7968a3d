"""Checks run on every page of the app: every form control has an accessible name (our own
check and axe-core's naming rules), and no page scrolls sideways on a 375 px phone (wide
tables scroll in their own box)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from promptrepo import routes
from promptrepo.services import projects, prompts, segments, versions
from promptrepo.services.sessions import SIGNED_IN_HINT_COOKIE
from tests.app_server import AppServer, sign_in
from tests.e2e.a11y import UNNAMED_CONTROLS_JS
from tests.factories import make_user

AXE = Path(__file__).resolve().parents[2] / ".tools/axe/node_modules/axe-core/axe.min.js"
NAMING_RULES = ["label", "select-name", "aria-input-field-name", "button-name", "input-button-name",
                "aria-toggle-field-name", "link-name"]  # fmt: skip

VISITOR_PAGES = [
    routes.HOME,
    routes.PRICING,
    routes.EXPLORE,
    routes.LOGIN,
    routes.SIGNUP,
    routes.FORGOT_PASSWORD,
    routes.RESET_PASSWORD,
]
OWNER_PAGES = [
    routes.DASHBOARD,
    routes.SETTINGS,
    routes.BILLING,
    routes.PROJECT,
    routes.PROMPT_EDITOR,
    routes.PROMPT_PLAYGROUND,
    routes.PROJECT_WEBHOOKS,
    routes.PROJECT_ACTIVITY,
    routes.INVITE,
]
ADMIN_PAGES = [routes.ADMIN, routes.ADMIN_USERS, routes.ADMIN_ANALYTICS]
EVERY_PAGE = (
    [("visitor", r) for r in VISITOR_PAGES]
    + [("owner", r) for r in OWNER_PAGES]
    + [("admin", r) for r in ADMIN_PAGES]
)
# How wide the page is against the window, and the first elements that stick out on the right.
SIDEWAYS_JS = """() => {
          const root = document.documentElement;
          const over = [...document.querySelectorAll('main *')]
            .filter(el => el.getBoundingClientRect().right > root.clientWidth + 1
                          && el.getClientRects().length > 0
                          && !el.closest('[data-scrolls-sideways]'))
            .slice(0, 5).map(el => (el.id ? '#' + el.id : el.tagName) + ' '
                             + Math.round(el.getBoundingClientRect().right));
          return {scroll: root.scrollWidth, client: root.clientWidth, over};
        }"""
NOT_PAGES = {routes.API_DOCS, routes.LOGOUT}  # Swagger UI, and a redirect


def test_the_lists_name_every_page_route() -> None:
    """A new page in routes.py must be added to a list above (and so get checked)."""
    declared = {
        value
        for name, value in vars(routes).items()
        if name.isupper() and isinstance(value, str) and value.startswith("/")
    }
    checked = {*VISITOR_PAGES, *OWNER_PAGES, *ADMIN_PAGES, *NOT_PAGES}
    assert declared - checked == set(), "add these pages to a list in this test"


@pytest.fixture(scope="module")
def world(app_server: AppServer) -> dict[str, str]:
    with app_server.session() as s:
        owner = make_user(s, name="Checker", plan="enterprise")
        admin = make_user(s, name="Admin", role="admin")
        project = projects.create_project(s, owner, name="A project with a long name to wrap")
        main = segments.create_segment(s, owner, project.id, name="Main")
        prompt = prompts.create_prompt(
            s, owner, main.id, name="Greeting", content="Hi {{ name }}", tags=["demo"]
        )
        s.commit()
        versions.create_version(s, owner, prompt.id, commit_message="first")
        s.commit()
        return {
            "owner": str(owner.user_id),
            "admin": str(admin.user_id),
            "project_id": str(project.id),
            "prompt_id": str(prompt.id),
        }


def url_of(route: str, world: dict[str, str]) -> str:
    url = (
        route.replace("[project_id]", world["project_id"])
        .replace("[prompt_id]", world["prompt_id"])
        .replace("[token]", "not-a-real-invitation")
    )
    return url + "?token=not-a-real-token" if route == routes.RESET_PASSWORD else url


def open_page(page: Page, url: str, *, signed_in: bool) -> None:
    page.goto(url)
    if signed_in:  # the navbar has the user (until then it shows a visitor's buttons)
        expect(page.locator("#palette-open")).to_be_visible()
    expect(
        page.locator("main :is(h1, h2, input, textarea)").locator("visible=true").first
    ).to_be_visible()
    # on_load has run when no spinner is left in the main area
    page.wait_for_function("() => !document.querySelector('main .rt-Spinner')")
    page.wait_for_timeout(300)
    assert page.get_by_role("heading", name="Page not found").count() == 0, url


def open_as(
    browser: Browser,
    app_server: AppServer,
    world: dict[str, str],
    who: str,
    route: str,
    width: int = 1280,
) -> tuple[BrowserContext, Page]:
    """`route` opened by `who` (signed in unless a visitor) in a window `width` px wide."""
    context = browser.new_context(base_url=app_server.url, viewport={"width": width, "height": 812})
    if who != "visitor":
        sign_in(context, app_server, world[who])
    page = context.new_page()
    open_page(page, url_of(route, world), signed_in=who != "visitor")
    return context, page


def unnamed(page: Page) -> list:
    found = page.locator("body").evaluate(UNNAMED_CONTROLS_JS)
    if AXE.exists():
        page.evaluate(AXE.read_text())
        found += page.evaluate(
            "rules => axe.run(document, {runOnly: {type: 'rule', values: rules}})"
            ".then(r => r.violations.map(v => [v.id, v.nodes.map(n => n.html.slice(0, 120))]))",
            NAMING_RULES,
        )
    elif os.environ.get("CI", "").lower() == "true":
        pytest.fail("axe-core not installed: `make test` installs it into .tools/axe")
    return found


@pytest.mark.parametrize(("who", "route"), EVERY_PAGE)
def test_every_control_on_every_page_has_an_accessible_name(
    browser: Browser, app_server: AppServer, world: dict[str, str], who: str, route: str
) -> None:
    context, page = open_as(browser, app_server, world, who, route)
    assert unnamed(page) == [], route
    # and no text shows Markdown's backticks (code goes in a <code> element)
    assert "`" not in page.locator("main").inner_text(), route
    if route == routes.PROJECT_WEBHOOKS:  # an empty list says so, rather than showing a bare header
        expect(page.locator("#no-deliveries")).to_be_visible()
    if who == "owner" and route == routes.DASHBOARD:
        page.keyboard.press("Control+k")  # the command palette, on every signed-in page
        expect(page.locator("#command-palette")).to_be_visible()
        assert unnamed(page) == [], "command palette"
    context.close()


@pytest.mark.parametrize(("who", "route"), EVERY_PAGE)
def test_phone_layouts_do_not_scroll_sideways(
    browser: Browser, app_server: AppServer, world: dict[str, str], who: str, route: str
) -> None:
    context, page = open_as(browser, app_server, world, who, route, width=375)
    wide = page.evaluate(SIDEWAYS_JS)
    assert wide["scroll"] <= wide["client"], wide
    if who != "visitor":  # the navbar's icons sit on one line (the bell once sat higher)
        icons = [
            page.locator(i).bounding_box() for i in ("#palette-open", "#bell", "#theme-toggle")
        ]
        middles = [box["y"] + box["height"] / 2 for box in icons]
        assert max(middles) - min(middles) < 1, icons
    if route == routes.DASHBOARD:  # the measure itself notices a page that is too wide
        page.evaluate(
            "document.querySelector('main').append(Object.assign(document.createElement('div'),"
            " {style: 'width: 600px; height: 1px'}))"
        )
        assert page.evaluate(SIDEWAYS_JS)["scroll"] > 375
    context.close()


def test_an_unknown_address_says_so_and_keeps_the_signed_in_navbar(
    browser: Browser, app_server: AppServer, world: dict[str, str]
) -> None:
    context = browser.new_context(base_url=app_server.url)
    sign_in(context, app_server, world["owner"])
    page = context.new_page()
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.locator("#palette-open")).to_be_visible()  # signed in, not "Sign up"
    expect(page.locator("#nav-signup")).to_have_count(0)
    context.close()


# Records, on every animation frame from the page's first, whether the visitor's "Sign up" is
# on screen, until the signed-in navbar (its search button) is.
SIGN_UP_FRAMES_JS = """
window.__signUpFrames = {shown: 0, frames: 0};
const sample = () => {
  const signUp = document.getElementById("nav-signup");
  window.__signUpFrames.frames += 1;
  if (signUp && signUp.checkVisibility({visibilityProperty: true, opacityProperty: true}))
    window.__signUpFrames.shown += 1;
  if (!document.getElementById("palette-open")) requestAnimationFrame(sample);
};
requestAnimationFrame(sample);
"""


@pytest.mark.parametrize("route", [routes.HOME, routes.DASHBOARD])
def test_a_signed_in_browser_is_never_offered_sign_up_while_the_page_loads(
    browser: Browser, app_server: AppServer, world: dict[str, str], route: str
) -> None:
    """Before the state says who is signed in, the navbar is a visitor's; the signed-in hint
    cookie (set with the session) keeps its "Log in" and "Sign up" hidden meanwhile."""
    context = browser.new_context(base_url=app_server.url)
    sign_in(context, app_server, world["owner"])
    page = context.new_page()
    page.add_init_script(SIGN_UP_FRAMES_JS)
    page.goto(route)
    expect(page.locator("#palette-open")).to_be_visible()
    frames = page.evaluate("window.__signUpFrames")
    assert frames["frames"] > 0 and frames["shown"] == 0, frames
    context.close()


def test_a_stale_signed_in_hint_still_shows_a_visitor_sign_up(
    browser: Browser, app_server: AppServer
) -> None:
    """The hint outlived its session (revoked, expired): once the state has said nobody is
    signed in, "Sign up" shows."""
    context = browser.new_context(base_url=app_server.url)
    context.add_cookies(
        [{"name": SIGNED_IN_HINT_COOKIE, "value": "1", "url": app_server.url, "sameSite": "Lax"}]
    )
    page = context.new_page()
    page.goto(routes.PRICING)
    expect(page.locator("#nav-signup")).to_be_visible()
    expect(page.locator("#palette-open")).to_have_count(0)
    context.close()
