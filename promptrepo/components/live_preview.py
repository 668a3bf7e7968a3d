"""The editor's live preview parts: `live_preview.jsx` (next to this file) wrapped for Reflex.

They show the preview and the validator badges that the page's live channel
(api/editor_live.py) renders per keystroke, or the editor state's when that is newer (see the
top of the .jsx). Their props are the state's values.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

_SOURCE = rx.asset("live_preview.jsx", shared=True)


class _Live(rx.Component):
    library = _SOURCE.importable_path
    # The mount key of the code editor (DraftState.editor_key) and the page's edit number of
    # the text the state's values are for (DraftState.live_seq).
    editor_key: rx.Var[str]
    live_seq: rx.Var[int]
    pending: rx.Var[bool]


class LivePreview(_Live):
    tag = "LivePreview"
    text: rx.Var[str]
    error: rx.Var[str]
    note: rx.Var[str]
    chars: rx.Var[int]
    words: rx.Var[int]
    lines: rx.Var[int]
    tokens: rx.Var[int]


class LiveBadges(_Live):
    tag = "LiveBadges"
    # The state's validator rows: id, type, passed, message, skipped.
    rows: rx.Var[list[Any]]


live_preview = LivePreview.create
live_badges = LiveBadges.create
