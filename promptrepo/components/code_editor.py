"""The template editor: CodeMirror 6 through a Reflex custom component.

`code_editor.jsx` (next to this file) wraps `@uiw/react-codemirror` with
`@codemirror/lang-jinja`: Jinja highlighting, line numbers, completion of the prompt's
variables and of Jinja's filters and tags, and a marker on the line of a syntax error. It is
not rendered on the server (NoSSR): the editor needs the browser. Each edit also goes to the
live preview channel (`live_preview.jsx`); the editor state gets the text about once a burst
(see the top of the .jsx).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.components.component import NoSSRComponent
from reflex_base.event import passthrough_event_spec

# code_editor.jsx imports live_preview.jsx, which importing this module puts in the build.
from promptrepo.components import live_preview  # noqa: E402, F401

_SOURCE = rx.asset("code_editor.jsx", shared=True)


class PromptCodeEditor(NoSSRComponent):
    library = _SOURCE.importable_path
    tag = "PromptCodeEditor"
    lib_dependencies: list[str] = [
        "@uiw/react-codemirror@4.25.12",
        "@codemirror/lang-jinja@6.0.1",
        "@codemirror/language@6.13.1",
        "@codemirror/view@6.43.15",
        "@codemirror/state@6.7.6",
        "@codemirror/theme-one-dark@6.1.3",  # imported by the wrapper (its "dark" theme)
        "@lezer/highlight@1.2.5",
        "codemirror@6.0.2",
        "@babel/runtime@7.29.15",
    ]

    # The text to (re)load; the document is replaced only when this changes.
    value: rx.Var[str]
    # Variable names offered by completion.
    variables: rx.Var[list[str]]
    # 1-based line of the syntax error to mark (0: none) and its message.
    error_line: rx.Var[int]
    error_message: rx.Var[str]
    read_only: rx.Var[bool]
    # id, aria-labelledby and aria-describedby of the editable element.
    content_id: rx.Var[str]
    labelled_by: rx.Var[str]
    described_by: rx.Var[str]
    placeholder: rx.Var[str]
    # For the live preview (live_preview.jsx): the mount key (the React key, as a prop), the
    # page's edit number of the state's preview, what the channel renders with, and whether
    # the state's preview is still rendering.
    editor_key: rx.Var[str]
    live_seq: rx.Var[int]
    live_context: rx.Var[dict[str, Any]]
    pending: rx.Var[bool]
    # The draft's revision the text starts from (the editor remounts with a new one).
    revision: rx.Var[int]
    # Reflex's is_hydrated: false while the page (re)connects and loads, true after.
    hydrated: rx.Var[bool]

    # (text, the page's edit number of that text, whether typing has paused: save it now,
    # the revision the editor was mounted with)
    on_change: rx.EventHandler[passthrough_event_spec(str, int, bool, int)]


code_editor = PromptCodeEditor.create
