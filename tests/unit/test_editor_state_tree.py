"""What Reflex loads for the editor's frequent events.

With Redis as its state manager, Reflex loads, for every event, the state the handler belongs
to with all of its substates, its parents, and every substate whose computed vars depend on
any of those. The editor's panes are substates of DraftState, so an event of DraftState
loads (unpickles, and saves if touched) thirteen states. The events that come every burst of
typing or every few seconds — the text, the autosave, a handed-over render, the change
watcher, presence — belong to leaves whose chain from the root is all they load; these tests
keep it so (one computed var reading the router, or another state's var, pulls a subtree
back in).
"""

from __future__ import annotations

from reflex.istate.manager.redis import StateManagerRedis
from reflex.state import State

import promptrepo.promptrepo  # noqa: F401  (registers every state)
from promptrepo.state.auth import AuthFormState
from promptrepo.state.base import AppState
from promptrepo.state.editor import DraftState, DraftSyncState, EditorState, PresenceState


def _loaded_for_an_event_of(state_cls: type) -> set[str]:
    # The manager's own rule (it reads nothing of the manager but the classes).
    manager = StateManagerRedis.__new__(StateManagerRedis)
    required = manager._get_required_state_classes(state_cls, subclasses=True)
    return {cls.__name__ for cls in required}


# The root's chain: AuthFormState comes with every event of the app (its links read the
# router's query), a small state with a few strings.
ROOT_CHAIN = {State.__name__, AppState.__name__, AuthFormState.__name__}


def test_the_text_autosave_and_watcher_events_load_only_their_chain() -> None:
    assert _loaded_for_an_event_of(DraftSyncState) == ROOT_CHAIN | {
        EditorState.__name__,
        DraftState.__name__,
        DraftSyncState.__name__,
    }
    for name in ("edit_content", "autosave", "render_preview", "watch"):
        assert name in DraftSyncState.event_handlers, name


def test_presence_loads_only_its_chain() -> None:
    assert _loaded_for_an_event_of(PresenceState) == ROOT_CHAIN | {
        EditorState.__name__,
        PresenceState.__name__,
    }


def test_an_event_of_the_draft_itself_still_loads_its_panes() -> None:
    """What the leaf avoids: DraftState's own events (rare: the name, conflicts) load every
    pane."""
    loaded = _loaded_for_an_event_of(DraftState)
    assert {"HistoryState", "CommentsState", "ReviewState", "VariablesState"} <= loaded
    assert len(loaded) >= 12
