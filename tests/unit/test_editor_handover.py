"""A keystroke's render that takes longer than PREVIEW_INLINE_SECONDS is handed, still
running, to the background `render_preview` (state/editor/draft.py): only by the tab that
started it, only for the text it was started for, once, and forgotten when nobody takes it."""

from __future__ import annotations

import asyncio

import pytest

from promptrepo.state.editor import draft
from tests.support.run_async import run_async


def test_a_handed_render_is_taken_once_by_its_tab_for_its_own_text() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        render = loop.create_future()
        draft._hand_over("tab-a", 3, render, ["x"])
        assert draft._take_over("tab-b", 3) is None  # another tab
        assert draft._take_over("tab-a", 2) is None  # another text (an older keystroke)
        assert draft._take_over("tab-a", 3) == (render, ["x"])
        assert draft._take_over("tab-a", 3) is None  # taken once
        older, newer = loop.create_future(), loop.create_future()
        draft._hand_over("tab-a", 4, older, [])
        draft._hand_over("tab-a", 5, newer, [])
        assert draft._take_over("tab-a", 4) is None  # the newest replaced it
        assert draft._take_over("tab-a", 5) == (newer, [])
        for future in (render, older, newer):
            future.set_result(("", [], ""))

    run_async(scenario())


def test_a_render_nobody_takes_is_forgotten_after_it_is_done(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(draft, "HANDED_OVER_TTL_SECONDS", 0.05)

    async def scenario() -> tuple[bool, bool]:
        render = asyncio.get_running_loop().create_future()
        draft._hand_over("tab-gone", 7, render, [])
        render.set_result(("text", [], ""))
        await asyncio.sleep(0)
        kept_a_moment = "tab-gone" in draft._handed_over
        await asyncio.sleep(0.2)
        return kept_a_moment, "tab-gone" in draft._handed_over

    assert run_async(scenario()) == (True, False)
