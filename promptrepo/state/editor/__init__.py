"""The prompt editor's state, one substate per pane. The rules live in services/; these only
wire the UI.

    EditorState (base.py)        which prompt, who may write, the handler preamble
    ├── TagsState (tags.py)      the prompt's tags in the header
    ├── PresenceState            who else has the prompt open (header avatars)
    └── DraftState (draft.py)    working copy, preview and badges, autosave, conflicts
        ├── DraftSyncState       its frequent events (text, autosave, watcher): a leaf, so
        │                        that they load 5 states, not the 13 of DraftState's subtree
        ├── VariablesState       typed variable specs
        ├── ValidatorsState      the validator form; add, edit, delete
        ├── ModelSettingsState   the model settings form (config)
        └── HistoryState         versions, labels, diffs
            ├── CommentsState    comment threads of a version and of the diff's lines
            └── PromoteState     the Promote dialog: every label move goes through it
                ├── SplitState   the Split traffic dialog and the served counts
                └── ReviewState  release proposals and the Review dialog (issue 16)
"""

from promptrepo.state.editor.base import EditorState, guarded
from promptrepo.state.editor.comments import CommentsState
from promptrepo.state.editor.draft import AUTOSAVE_DELAY_SECONDS, DraftState, DraftSyncState
from promptrepo.state.editor.history import VERSIONS_PAGE_SIZE, HistoryState
from promptrepo.state.editor.model_settings import ModelSettingsState
from promptrepo.state.editor.presence import PresenceState
from promptrepo.state.editor.promote import PromoteState
from promptrepo.state.editor.review import ReviewState
from promptrepo.state.editor.rows import (
    DiffRow,
    LabelEventRow,
    LabelRow,
    ValidatorRow,
    VariableRow,
    VersionRow,
)
from promptrepo.state.editor.split import SplitState
from promptrepo.state.editor.tags import TagsState
from promptrepo.state.editor.validators import ValidatorsState
from promptrepo.state.editor.variables import VariablesState

__all__ = [
    "CommentsState",
    "AUTOSAVE_DELAY_SECONDS",
    "VERSIONS_PAGE_SIZE",
    "DiffRow",
    "DraftState",
    "DraftSyncState",
    "EditorState",
    "HistoryState",
    "LabelEventRow",
    "LabelRow",
    "ModelSettingsState",
    "PresenceState",
    "PromoteState",
    "ReviewState",
    "SplitState",
    "TagsState",
    "ValidatorRow",
    "ValidatorsState",
    "VariableRow",
    "VariablesState",
    "VersionRow",
    "guarded",
]
