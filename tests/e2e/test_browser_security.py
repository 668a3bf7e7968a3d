"""The session cookie out of reach of scripts, and the Content-Security-Policy enforced.

Sign-in, sign-out and session expiry through the real built app in Chromium; the token must
appear in none of the three places a script could read: `document.cookie`, web storage, and
the state Reflex sends the page over the websocket.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from playwright.sync_api import BrowserContext, Page, expect
from sqlmodel import select

from promptrepo.models import AuthSession, utcnow
from promptrepo.services.accounts import set_password
from promptrepo.services.sessions import SESSION_COOKIE, hash_token
from tests.app_server import sign_in
from tests.e2e import conftest as csp_watch
from tests.factories import make_user

PASSWORD = "correct horse battery"


def _user(app_server, name: str = "Hedy") -> tuple[uuid.UUID, str]:
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
    with app_server.session() as session:
        user = make_user(session, email=email, name=name)
        set_password(session, user.user_id, PASSWORD)
        session.commit()
    return user.user_id, email


def _session_cookie(context: BrowserContext) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == SESSION_COOKIE), None)


def _record_socket_frames(page: Page) -> list[str]:
    frames: list[str] = []

    def on_socket(socket) -> None:
        socket.on("framereceived", lambda payload: frames.append(str(payload)))
        socket.on("framesent", lambda payload: frames.append(str(payload)))

    page.on("websocket", on_socket)
    return frames


def _readable_by_scripts(page: Page) -> str:
    return page.evaluate(
        """() => JSON.stringify({
            cookie: document.cookie,
            local: {...localStorage},
            session: {...sessionStorage},
        })"""
    )


def test_sign_in_keeps_the_token_from_scripts_then_sign_out_clears_it(
    page: Page, base_url: str, app_server
) -> None:
    _, email = _user(app_server)
    frames = _record_socket_frames(page)
    page.goto(base_url + "/login?next=/settings")
    expect(page.locator("#login-submit")).to_be_enabled()
    page.locator("#login-email").fill(email)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-password").press("Enter")
    expect(page).to_have_url(re.compile(r"/settings/?$"))
    expect(page.locator("#settings-name")).to_have_value("Hedy")

    cookie = _session_cookie(page.context)
    assert cookie is not None and cookie["value"].startswith("prs_")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    assert cookie["secure"] is False  # PUBLIC_URL is plain http here
    token = cookie["value"]

    # Move around (client-side navigation and a reload) so more state goes over the socket.
    page.goto(base_url + "/dashboard")
    expect(page.locator("#user-menu")).to_contain_text("Hedy")
    page.reload()
    expect(page.locator("#user-menu")).to_contain_text("Hedy")
    readable = _readable_by_scripts(page)
    assert token not in readable and token[4:] not in readable
    assert frames, "the websocket was not observed"
    assert not [f for f in frames if token[4:] in f]

    # Sign out: the server revokes the session and clears the cookie.
    page.goto(base_url + "/logout")
    expect(page.get_by_text("You are logged out.")).to_have_count(1)
    expect(page).to_have_url(base_url + "/")
    expect(page.locator("#nav-login")).to_be_visible()
    assert _session_cookie(page.context) is None
    with app_server.session() as session:
        row = session.exec(
            select(AuthSession).where(AuthSession.token_hash == hash_token(token))
        ).one()
        assert row.revoked_at is not None
    page.goto(base_url + "/settings")
    expect(page).to_have_url(re.compile(r"/login/?\?next=/settings"))


def test_a_wrong_password_shows_inline_and_keeps_the_email(page: Page, base_url: str, app_server):
    _, email = _user(app_server, name="Ida")
    page.goto(base_url + "/login")
    expect(page.locator("#login-submit")).to_be_enabled()
    page.locator("#login-email").fill(email)
    page.locator("#login-password").fill("not the password")
    page.locator("#login-submit").click()
    expect(page.locator("#login-error")).to_contain_text("Incorrect e-mail address or password")
    expect(page.locator("#login-email")).to_have_value(email)
    expect(page.locator("#login-password")).to_have_value("")
    assert _session_cookie(page.context) is None


def test_an_expired_session_sends_the_user_to_log_in_again(
    page: Page, base_url: str, app_server
) -> None:
    user_id, _ = _user(app_server, name="Joan")
    sign_in(page.context, app_server, user_id)
    page.goto(base_url + "/dashboard")
    expect(page.locator("#user-menu")).to_contain_text("Joan")
    with app_server.session() as session:
        for row in session.exec(select(AuthSession).where(AuthSession.user_id == user_id)):
            row.expires_at = utcnow() - timedelta(seconds=1)
            session.add(row)
        session.commit()
    page.goto(base_url + "/settings")
    expect(page).to_have_url(re.compile(r"/login/?\?next=/settings"))


def test_injected_markup_cannot_run_script(page: Page, base_url: str) -> None:
    response = page.goto(base_url + "/")
    policy = response.headers["content-security-policy"]
    assert (
        "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    )
    expect(page.locator("#nav-login")).to_be_visible()
    # What an XSS bug would let through: an event-handler attribute and an inline script.
    page.evaluate(
        """() => {
            document.body.insertAdjacentHTML("beforeend", '<img src="/favicon.svg?x" onload="window.__pwned = 1">');
            const script = document.createElement("script");
            script.textContent = "window.__pwned = 2";
            document.body.appendChild(script);
        }"""
    )
    # Both were refused, and the suite's watcher saw it (then forget these expected ones, once
    # every report has arrived).
    for _ in range(50):
        if len([v for v in csp_watch._violations if "script-src" in v]) >= 4:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("() => window.__pwned") is None
    refused = [v for v in csp_watch._violations if "script-src" in v]
    assert len(refused) >= 2, csp_watch._violations
    page.wait_for_timeout(500)
    csp_watch._violations.clear()
