"""A tab reconnecting to another server while its last autosave was under way on the one
that stopped (state/editor/draft.py): that save may still commit, before or after the new
server's reload saves the tab's newer text. Either way it is the tab's own save, never a
conflict with itself; a real save from elsewhere still is one."""

from __future__ import annotations

from types import SimpleNamespace

from promptrepo.services.drafts import DraftConflict
from promptrepo.state.editor import draft
from promptrepo.state.editor.draft import DraftState


def _conflict(revision: int, content: str = "theirs") -> DraftConflict:
    prompt = SimpleNamespace(
        revision=revision,
        name="P",
        content=content,
        variables={},
        type="text",
        messages=[],
        config={},
        updated_at=None,
    )
    return DraftConflict("changed elsewhere", prompt=prompt)


def test_an_autosave_outcome_behind_the_tabs_revision_is_stale() -> None:
    # The tab is at revision 5: the reload took this save (4) over and saved 5 itself.
    assert draft._stale_outcome("ok", SimpleNamespace(revision=4), 5)
    assert draft._stale_outcome("conflict", _conflict(5), 5)  # ran into the tab's own save
    # The usual outcomes: the next revision saved, a save that changed nothing, a save
    # from elsewhere, an error.
    assert not draft._stale_outcome("ok", SimpleNamespace(revision=6), 5)
    assert not draft._stale_outcome("ok", SimpleNamespace(revision=5), 5)
    assert not draft._stale_outcome("conflict", _conflict(6), 5)
    assert not draft._stale_outcome("error", "database down", 5)


def test_the_next_revision_with_the_text_being_saved_is_the_tabs_own_late_save() -> None:
    tab = SimpleNamespace(_saving_content="Hello wor", _revision=3)
    own = DraftState._own_late_save
    assert own(tab, 4, "Hello wor")
    assert not own(tab, 4, "Hello from someone else")
    assert not own(tab, 5, "Hello wor")  # another save came between
    assert not own(SimpleNamespace(_saving_content="", _revision=3), 4, "")
