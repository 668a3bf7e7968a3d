"""The editor's live preview in a real browser: per keystroke the preview comes over the live
channel (api/editor_live.py) while the editor state gets the text a few times a burst, and
without the channel the state's preview still follows the text."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, WebSocketRoute, expect

from tests.app_server import AppServer
from tests.e2e.test_editor import _open, _wait_saved, _wait_stored

TAP_JS = """
(() => {
  const sent = (window.__sent = {live: 0, edits: 0, settled: 0});
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (typeof data === "string" && data.startsWith('{"type":"render"')) sent.live += 1;
    if (typeof data === "string" && data.startsWith("42") && data.includes("edit_content")) {
      sent.edits += 1;
      if (data.includes('"settled":true')) sent.settled += 1;
    }
    return send.call(this, data);
  };
  // In a cross-origin isolated page the channel's socket is in a worker (live_preview.jsx).
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (message, ...rest) {
    if (message && message.op === "send" && message.frame.startsWith('{"type":"render"')) {
      sent.live += 1;
    }
    return post.call(this, message, ...rest);
  };
})();
"""


def test_each_keystroke_is_previewed_live_and_the_state_gets_the_text_once_a_burst(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    context.add_init_script(TAP_JS)
    prompt_id = _open(page, context, app_server, content="Hello {{ name }}.")
    expect(page.locator("#preview-text")).to_have_text("Hello (unset).")
    editor = page.locator("#prompt-content")
    editor.click()
    page.keyboard.press("Control+End")
    typed = " Thanks for writing to us today"
    page.evaluate("window.__sent.live = 0; window.__sent.edits = 0; window.__sent.settled = 0")
    editor.press_sequentially(typed, delay=40)
    # Until the pause the keys are the page's alone, and the badge says so.
    expect(page.locator("#save-status")).to_contain_text("Unsaved changes")
    expect(page.locator("#preview-text")).to_have_text("Hello (unset)." + typed)
    expect(page.locator("#preview-stats")).to_contain_text(
        f"{len('Hello (unset).' + typed)} characters"
    )
    sent = page.evaluate("window.__sent")
    assert sent["live"] >= 10, sent  # one render per keystroke, fewer when one is in flight
    # The state: once, settled at the pause (the burst is shorter than code_editor.jsx's
    # SYNC_MAX_WAIT_MS).
    _wait_saved(page)
    expect(page.locator("#save-status")).to_contain_text("All changes saved")
    sent = page.evaluate("window.__sent")
    assert sent["edits"] == 1, sent
    assert sent["settled"] == 1, sent

    # A new variable shows in the variables table without waiting for a pause.
    editor.press_sequentially(" {{ city }}", delay=20)
    page.locator("#tab-variables").click()
    expect(page.locator("#variables-panel")).to_contain_text("city", timeout=5_000)

    # A syntax error is marked on its line by the live answer and explained.
    page.locator("#tab-preview").click()
    page.locator("#prompt-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    editor.press_sequentially("{% if name %}", delay=20)
    expect(page.locator("#preview-error")).to_contain_text("Line 2")
    expect(page.locator(".cm-error-line")).to_have_attribute("data-error-line", "2")
    for _ in range(len("{% if name %}") + 1):
        page.keyboard.press("Backspace")
    expect(page.locator("#preview-error")).to_have_count(0)

    final = "Hello {{ name }}." + typed + " {{ city }}"
    _wait_saved(page)
    _wait_stored(app_server, prompt_id, final)
    page.reload()
    expect(page.locator("#preview-text")).to_have_text(
        "Hello (unset)." + typed + " (unset)", timeout=30_000
    )


def test_the_cursor_is_steady_so_nothing_animates_between_keystrokes(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    # A blinking cursor is a CSS animation that never ends: the browser then makes frames at
    # the display's rate, a keystroke's frame waits for the next tick, and the preview's
    # answer (which Chromium holds until the frame after a key press) with it.
    _open(page, context, app_server, content="Hello")
    editor = page.locator("#prompt-content")
    editor.click()
    page.keyboard.press("End")
    cursor = page.locator(".cm-cursorLayer .cm-cursor")
    expect(cursor).to_have_count(1)
    # Nor does one start at each keystroke (CodeMirror restarts its blink when the cursor
    # moves, even at a 0 ms rate: an animation start and end to dispatch every key).
    page.evaluate(
        "window.__started = [];"
        "document.addEventListener('animationstart', e => {"
        " if (e.target.closest('.cm-editor')) window.__started.push(e.animationName); }, true)"
    )
    editor.press_sequentially(" there", delay=40)
    expect(page.locator("#preview-text")).to_have_text("Hello there")
    assert page.evaluate("window.__started") == []
    assert (
        page.evaluate("document.getAnimations().filter(a => a.playState === 'running').length") == 0
    )
    opacity = page.evaluate("getComputedStyle(document.querySelector('.cm-cursorLayer')).opacity")
    assert float(opacity) == 1.0, opacity
    box = cursor.bounding_box()
    assert box is not None and box["height"] > 5, box
    # Following the cursor scrolls at once, not in an animation of its own.
    behavior = page.evaluate("getComputedStyle(document.documentElement).scrollBehavior")
    assert behavior == "auto", behavior


# Holds the main thread 80 ms in the frame after each key press, before the page's own
# animation-frame callbacks (registered later, while the key is handled): the answer is then
# surely back when the page looks for it in that frame.
SLOW_FRAME_JS = """() => {
  document.addEventListener('keydown', () => requestAnimationFrame(() => {
    const end = performance.now() + 80;
    while (performance.now() < end) {}
  }), true);
}"""


NOT_ISOLATED_JS = "Object.defineProperty(window, 'crossOriginIsolated', {get: () => false})"


def _ready_to_count(page: Page, context: BrowserContext, app_server: AppServer) -> None:
    """The editor open on "Hi {{ who }}", the cursor at the end, each key's frame held 80 ms
    and the count of how answers arrived at zero."""
    _open(page, context, app_server, content="Hi {{ who }}")
    page.locator("#prompt-content").click()
    page.keyboard.press("Control+End")
    expect(page.locator("#preview-text")).to_have_text("Hi (unset)")
    page.evaluate(SLOW_FRAME_JS)
    page.evaluate("window.__liveAnswers.inFrame = 0; window.__liveAnswers.byMessage = 0")


def test_the_answer_shows_in_the_keystrokes_own_frame(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    # Chromium holds a message that arrives during a key press until the key's frame is drawn;
    # the page is cross-origin isolated, so the channel's worker shares each answer in memory
    # and the page shows it in that frame instead.
    _ready_to_count(page, context, app_server)
    assert page.evaluate("window.crossOriginIsolated") is True
    assert [w.url.split(":")[0] for w in page.workers] == ["blob"]
    for key in "there":
        page.keyboard.press(key)
        page.wait_for_timeout(150)  # one answer at a time: each key's text is sent at once
    expect(page.locator("#preview-text")).to_have_text("Hi (unset)there")
    assert page.evaluate("window.__liveAnswers") == {"inFrame": 5, "byMessage": 0}


def test_a_page_that_is_not_isolated_gets_the_answers_by_message(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    # Without cross-origin isolation (say, behind a proxy that drops the headers) there is no
    # shared memory: the socket is the page's own and every answer comes as a message. The
    # page reads `crossOriginIsolated` to choose; here it reads false.
    context.add_init_script(NOT_ISOLATED_JS)
    _ready_to_count(page, context, app_server)
    assert page.evaluate("window.crossOriginIsolated") is False
    assert page.workers == []
    page.locator("#prompt-content").press_sequentially(" there", delay=150)
    expect(page.locator("#preview-text")).to_have_text("Hi (unset) there")
    answers = page.evaluate("window.__liveAnswers")
    assert answers["inFrame"] == 0 and answers["byMessage"] >= 6, answers


def test_a_worker_that_cannot_start_leaves_the_channel_to_the_page(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    # A stricter policy in front of the app (no blob: workers) fails the worker after it is
    # made; the page then opens the socket itself, rather than retrying the worker for ever.
    context.add_init_script(
        """
        window.Worker = class {
          constructor() { setTimeout(() => this.onerror && this.onerror(new Event('error')), 0); }
          postMessage() {}
          terminate() {}
        };
        """
    )
    _ready_to_count(page, context, app_server)
    assert page.evaluate("window.crossOriginIsolated") is True
    page.locator("#prompt-content").press_sequentially(" there", delay=150)
    expect(page.locator("#preview-text")).to_have_text("Hi (unset) there")
    answers = page.evaluate("window.__liveAnswers")
    assert answers["byMessage"] >= 1 and answers["inFrame"] == 0, answers


def test_without_the_live_channel_the_preview_still_follows_the_text(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    refused: list[str] = []

    def refuse(ws: WebSocketRoute) -> None:
        refused.append(ws.url)
        ws.close()

    # Playwright reaches the page's own websockets, not a worker's: the page's socket, then.
    context.add_init_script(NOT_ISOLATED_JS)
    page.route_web_socket("**/api/editor/live", refuse)
    prompt_id = _open(page, context, app_server, content="Dear {{ who }},")
    editor = page.locator("#prompt-content")
    editor.click()
    page.keyboard.press("Control+End")
    editor.press_sequentially(" see you", delay=30)
    expect(page.locator("#preview-text")).to_have_text("Dear (unset), see you")
    assert refused, "the page did not try the live channel"
    _wait_saved(page)
    _wait_stored(app_server, prompt_id, "Dear {{ who }}, see you")


def test_text_typed_while_the_name_autosaves_is_saved_at_the_pause_without_a_conflict(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    """A name edit is saved by the background autosave; text typed meanwhile is saved by its
    settled sync (state/editor/draft.py). Both land, in either order, with no conflict."""
    from promptrepo.models import Prompt

    prompt_id = _open(page, context, app_server, content="Hello.")
    page.locator("#prompt-name").fill("Renamed while typing")
    editor = page.locator("#prompt-content")
    editor.click()
    page.keyboard.press("Control+End")
    editor.press_sequentially(" More text", delay=60)
    _wait_saved(page)
    _wait_stored(app_server, prompt_id, "Hello. More text")
    with app_server.session() as s:
        assert s.get(Prompt, prompt_id).name == "Renamed while typing"
    _wait_saved(page)
    # And typing again after the save is saved again, settled at the next pause.
    editor.press_sequentially("!", delay=60)
    _wait_stored(app_server, prompt_id, "Hello. More text!")
    _wait_saved(page)


def test_typing_then_saving_a_version_at_once_saves_both_without_a_conflict(
    page: Page, context: BrowserContext, app_server: AppServer
) -> None:
    """Leaving the editor settles its text (a save at once) and the click that left it
    saves a version, which saves the draft first: the two saves never race into a conflict,
    and neither the draft nor the version loses a keystroke."""
    from sqlmodel import select

    from promptrepo.models import Version
    from tests.e2e.test_editor import _save_version

    prompt_id = _open(page, context, app_server, content="Hello.")
    editor = page.locator("#prompt-content")
    for round_ in range(1, 4):
        editor.click()
        page.keyboard.press("Control+End")
        editor.press_sequentially(f" Round {round_}.", delay=15)
        _save_version(page, f"round {round_}", round_)  # blur + click right after the keys
        _wait_saved(page)
        page.locator("#tab-preview").click()
    text = "Hello. Round 1. Round 2. Round 3."
    _wait_stored(app_server, prompt_id, text)
    with app_server.session() as s:
        versions = s.exec(select(Version).where(Version.prompt_id == prompt_id)).all()
        assert {v.version: v.content for v in versions} == {
            1: "Hello. Round 1.",
            2: "Hello. Round 1. Round 2.",
            3: text,
        }
