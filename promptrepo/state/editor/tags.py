"""TagsState: the prompt's tags in the editor header (services/tags.py). Tags belong to the
prompt, not to the draft: adding or removing one saves at once and never touches the text."""

from __future__ import annotations

import reflex as rx

from promptrepo.services import tags
from promptrepo.services.errors import NotAuthenticated, ServiceError
from promptrepo.state.editor.base import EditorState


class TagsState(EditorState):
    prompt_tags: list[str] = []
    tag_draft: str = ""
    tag_error: str = ""

    def show_tags(self, values: list[str]) -> None:
        """Called by the draft's load and refresh with the stored tags."""
        self.prompt_tags = list(values or [])
        self.tag_error = ""

    @rx.event
    def set_tag_draft(self, value: str):
        self.tag_draft = value
        self.tag_error = ""

    def _change(self, change) -> object:
        try:
            with self.acting() as (session, principal):
                prompt = change(session, principal)
                self.prompt_tags = list(prompt.tags or [])
        except NotAuthenticated:
            return self.to_login()
        except ServiceError as exc:
            self.tag_error = exc.message
            return None
        self.tag_error = ""
        return True

    @rx.event
    def add_tag(self, form_data: dict | None = None):
        """Enter in the tag field (or its Add button): add what was typed; a comma-separated
        list adds several. What was typed stays in the field when it is refused."""
        typed = [t for t in self.tag_draft.split(",") if t.strip()]
        if not typed or not self.can_write:
            return None
        prompt_id = self.editor_prompt_id
        result = self._change(
            lambda session, principal: tags.set_tags(
                session,
                principal,
                prompt_id,
                [*self.prompt_tags, *typed],
            )
        )
        if result is True:
            self.tag_draft = ""
            return None
        return result

    @rx.event
    def remove_tag(self, tag: str):
        if not self.can_write:
            return None
        prompt_id = self.editor_prompt_id
        result = self._change(
            lambda session, principal: tags.remove_tag(session, principal, prompt_id, tag)
        )
        return None if result is True else result
