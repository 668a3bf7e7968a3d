"""What the editor and the Team dialog show fits the window they are shown in: on a 375 px
phone the Publish dialog, the "Use in code" popover and the Team dialog's invitation row; on a
1280 px desktop every column of the Variables table and the editor's tabs on one row. Content
too wide for its box may wrap or scroll inside a box of its own, never run past the edge."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from promptrepo import routes
from tests.app_server import AppServer
from tests.e2e.test_every_page import open_as
from tests.factories import make_user
from tests.prompt_factories import make_prompt, make_support_bot

PHONE, DESKTOP = 375, 1280
# The audit's template: four variables, lines longer than a phone is wide.
TEMPLATE = (
    "You are a support agent for {{ company }}.\n"
    "{% if vip %}Be extra polite to {{ customer_name }}.{% endif %}\n"
    "Answer in at most {{ max_words }} words."
)
# The visible elements inside the element that end past its right edge (or the window's),
# unless a box of their own between them and it scrolls sideways; and its own right edge.
STICKS_OUT_JS = """root => {
  const box = root.getBoundingClientRect();
  const edge = Math.min(box.right, document.documentElement.clientWidth) + 1;
  const scrollsInside = el => {
    for (let a = el.parentElement; a && a !== root; a = a.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return true;
    }
    return false;
  };
  const over = [...root.querySelectorAll('*')]
    .filter(el => el.getClientRects().length > 0 && el.getBoundingClientRect().right > edge
                  && !scrollsInside(el))
    .slice(0, 5)
    .map(el => (el.id ? '#' + el.id : el.tagName + '.' + el.className).slice(0, 60) + ' '
               + Math.round(el.getBoundingClientRect().right));
  return {right: Math.round(box.right), over};
}"""


@pytest.fixture(scope="module")
def world(app_server: AppServer) -> dict[str, str]:
    """An owner with the Support bot (v1 live in production, v2 not yet) and a prompt with the
    audit's four-variable template."""
    with app_server.session() as s:
        owner = make_user(s, name="Fitting Owner", plan="enterprise")
        project, prompt = make_support_bot(s, owner)
        typed_project, typed = make_prompt(
            s, owner, content=TEMPLATE, name="support-reply", project_name="Support Bot"
        )
        return {
            "owner": str(owner.user_id),
            "project_id": str(project.id),
            "prompt_id": str(prompt.id),
            "typed_project_id": str(typed_project.id),
            "typed_prompt_id": str(typed.id),
        }


def assert_fits(element: Locator, width: int) -> None:
    """`element` ends inside the window, and so does everything in it that does not scroll in
    a box of its own."""
    fit = element.evaluate(STICKS_OUT_JS)
    assert fit["right"] <= width and fit["over"] == [], fit


def open_typed_prompt(browser: Browser, app_server: AppServer, world: dict[str, str], width: int):
    return open_as(
        browser,
        app_server,
        {**world, "project_id": world["typed_project_id"], "prompt_id": world["typed_prompt_id"]},
        "owner",
        routes.PROMPT_EDITOR,
        width=width,
    )


def test_the_publish_dialog_fits_a_phone(
    browser: Browser, app_server: AppServer, world: dict[str, str]
) -> None:
    context, page = open_as(browser, app_server, world, "owner", routes.PROMPT_EDITOR, PHONE)
    page.locator("#tab-history").click()
    page.locator("#publish-2").click()
    dialog = page.locator("#promote-dialog")
    expect(dialog.locator("#promote-history")).to_contain_text("launch")
    assert_fits(dialog, PHONE)
    dialog_right = dialog.evaluate("d => d.getBoundingClientRect().right")
    for name in ("Move", "Why"):  # the label's history shows whole, not scrolled off
        header = dialog.get_by_role("columnheader", name=name).bounding_box()
        assert header["x"] + header["width"] <= dialog_right, (name, header, dialog_right)
    button = page.locator("#promote-confirm").bounding_box()
    assert button["x"] + button["width"] <= PHONE, button
    context.close()


def test_use_in_code_fits_a_phone(
    browser: Browser, app_server: AppServer, world: dict[str, str]
) -> None:
    context, page = open_as(browser, app_server, world, "owner", routes.PROMPT_EDITOR, PHONE)
    page.locator("#use-in-code").click()
    popover = page.locator(".rt-PopoverContent").filter(has=page.locator("#api-snippet"))
    expect(popover.get_by_role("link", name="Create an API key")).to_be_visible()
    assert_fits(popover, PHONE)
    context.close()


def invite_row(page: Page) -> dict[str, dict]:
    return {
        name: page.locator(selector).bounding_box()
        for name, selector in [
            ("email", "#invite-email"),
            ("role", "#invite-role"),
            ("send", "#invite-submit"),
        ]
    }


def test_the_team_dialogs_invitation_row_stacks_on_a_phone(
    browser: Browser, app_server: AppServer, world: dict[str, str]
) -> None:
    context, page = open_as(browser, app_server, world, "owner", routes.PROJECT, PHONE)
    page.locator("#team-button").click()
    dialog = page.locator(".rt-DialogContent").filter(has=page.locator("#invite-email"))
    expect(dialog).to_be_visible()
    assert_fits(dialog, PHONE)
    row = invite_row(page)
    inner = dialog.evaluate("d => d.clientWidth - 2 * parseFloat(getComputedStyle(d).paddingLeft)")
    assert row["email"]["width"] >= inner - 12, (row, inner)  # the whole width, not "name@"
    email_bottom = row["email"]["y"] + row["email"]["height"]
    assert row["role"]["y"] >= email_bottom and row["send"]["y"] >= email_bottom, row
    context.close()
    # On a desktop the row stays one row.
    context, page = open_as(browser, app_server, world, "owner", routes.PROJECT, DESKTOP)
    page.locator("#team-button").click()
    expect(page.locator("#invite-email")).to_be_visible()
    row = invite_row(page)
    middles = [box["y"] + box["height"] / 2 for box in row.values()]
    assert max(middles) - min(middles) < 12, row
    context.close()


def test_every_column_of_the_variables_table_shows_on_a_desktop(
    browser: Browser, app_server: AppServer, world: dict[str, str]
) -> None:
    context, page = open_typed_prompt(browser, app_server, world, DESKTOP)
    page.locator("#tab-variables").click()
    panel = page.locator("#variables-panel")
    expect(panel.locator("#var-description-max_words")).to_be_visible()
    right = panel.evaluate("p => p.getBoundingClientRect().right") + 1
    headers = panel.get_by_role("columnheader")
    expect(headers).to_have_count(6)
    cells = [*headers.all(), *panel.locator("[id^=var-description-]").all()]
    ends = [c.evaluate("c => c.getBoundingClientRect().right") for c in cells]
    assert max(ends) <= right, (ends, right)
    context.close()


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_the_editors_tabs_stay_on_one_row(
    browser: Browser, app_server: AppServer, world: dict[str, str], width: int
) -> None:
    context, page = open_typed_prompt(browser, app_server, world, width)
    tabs = page.get_by_role("tab")
    expect(tabs).to_have_count(5)
    tops = [box["y"] for box in (t.bounding_box() for t in tabs.all())]
    assert max(tops) - min(tops) < 1, tops
    tab_list = page.get_by_role("tablist")
    if width == DESKTOP:  # all five in sight
        assert_fits(tab_list, width)
        right = tab_list.evaluate("l => l.getBoundingClientRect().right") + 1
        assert tabs.last.evaluate("t => t.getBoundingClientRect().right") <= right
    else:  # the list scrolls sideways in its own box, the page does not
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        tabs.last.click()
        expect(page.locator("#tab-history")).to_have_attribute("data-state", "active")
    context.close()


def test_a_long_project_name_does_not_push_the_editor_off_a_phone(
    browser: Browser, app_server: AppServer, world: dict[str, str]
) -> None:
    with app_server.session() as s:
        owner = make_user(s, name="Long Namer")
        project, prompt = make_prompt(
            s,
            owner,
            content="Hi {{ name }}",
            name="greeting",
            project_name="Project of someone@a-rather-long-domain.example.com for support",
        )
        s.commit()
        owner_id = str(owner.user_id)
    context, page = open_as(
        browser,
        app_server,
        {"owner": owner_id, "project_id": str(project.id), "prompt_id": str(prompt.id)},
        "owner",
        routes.PROMPT_EDITOR,
        width=PHONE,
    )
    back = page.locator("#back-to-project")
    expect(back).to_be_visible()
    assert_fits(page.locator("main"), PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    context.close()
