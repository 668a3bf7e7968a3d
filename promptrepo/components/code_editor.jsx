// The prompt template editor: CodeMirror 6 (@uiw/react-codemirror) with Jinja highlighting,
// line numbers, completion of the prompt's variables and Jinja's filters, and a marker on the
// line of a syntax error. Wrapped for Reflex by code_editor.py.
//
// `value` is the text the editor starts with. A later `value` replaces the document only while
// the document is still the previous `value` (e.g. the page mounted with the text of an older
// load, then the load finished); once the user typed, what they typed wins (a reconnect's
// reload never takes back keystrokes still on their way). To load another text whatever the
// user typed, remount the editor with a new React key (and `editorKey`). The view is
// published as window.__promptEditorView, and each user edit as a "prompt-editor-change"
// window event, for assets/editor.js (the local backup) and for tests.
//
// Each edit goes at once to the live preview channel (live_preview.jsx), which answers with
// the preview, the badges and any syntax error. The editor state gets the text
// (`onChange(text, seq, settled, base)`) about once a burst, not per keystroke: `settled`,
// once typing has paused for SYNC_PAUSE_MS, which saves the draft at once
// (state/editor/draft.py). While typing goes on without a pause the state gets the text
// every SYNC_MAX_WAIT_MS, not settled. It gets it at once, not settled, when the channel finds
// a new variable or a syntax error appearing or going (the variables table and the error
// callout are the state's); settled before Ctrl/Cmd+S saves (window.__promptEditorFlush),
// when the editor loses focus (before a click elsewhere reaches the page) or goes away, and
// again after the page reconnects (`hydrated` back to true).
// `base` is the `revision` the editor was mounted with: a text typed on a draft the state has
// since replaced (saved elsewhere while these keys were on their way) becomes a conflict,
// never a silent overwrite. While the state does not have the newest text yet, the page's
// <html> carries `data-unsent-edits` (the save badge says "Unsaved changes…", leaving the
// page asks first: assets/styles.css, assets/editor.js), until the state has taken the
// settled text (its `liveSeq` reaches the text's number).
//
// A remount while the user types (a draft saved elsewhere arrived; the keys typed meanwhile
// come back as a conflict) keeps the focus in the editor and the cursor where it was: the
// editor that goes away with the focus leaves a `focusHandoff` that the next one on the same
// page takes within HANDOFF_MS, unless the focus went somewhere else meanwhile.
import React, {
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import CodeMirror, { ExternalChange } from "@uiw/react-codemirror";
import { EditorState } from "@codemirror/state";
import { EditorView, Decoration, drawSelection } from "@codemirror/view";
import {
  HighlightStyle,
  LanguageSupport,
  StreamLanguage,
  syntaxHighlighting,
} from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { jinja } from "@codemirror/lang-jinja";
import {
  connectLive,
  disconnectLive,
  nextSeq,
  renderLive,
  setLiveContext,
  useLiveMarks,
} from "$/public/external/promptrepo/components/live_preview/live_preview.jsx";

// Fixed objects: a new one per render would make the wrapper reconfigure the editor.
const EDITING_SETUP = {
  lineNumbers: true,
  foldGutter: false,
  highlightActiveLine: true,
  autocompletion: true,
  // Typed text stays as typed: `{% if x %}` is not turned into `{% if x %%}}`.
  closeBrackets: false,
  bracketMatching: true,
  searchKeymap: true,
};
const READ_ONLY_SETUP = { ...EDITING_SETUP, highlightActiveLine: false };

// A steady cursor: a blinking one is a CSS animation that never ends, so the browser keeps
// making frames at the display's rate and each keystroke's frame waits for the next tick —
// and with it the live preview's answer, which Chromium holds until the frame after a key
// press (measured: keydown → next frame 15 ms → 7 ms, keystroke → preview 17 → 15 ms).
// CodeMirror still restarts the (now 0 ms) blink at each cursor move by switching the
// layer's animation name, which dispatches an animation start and end every keystroke:
// the layer gets no animation at all.
const steadyCursor = [
  drawSelection({ cursorBlinkRate: 0 }),
  EditorView.baseTheme({ ".cm-cursorLayer": { animation: "none !important" } }),
];

const SYNC_PAUSE_MS = 400;
const SYNC_MAX_WAIT_MS = 2000;
const HANDOFF_MS = 1000;

// {anchor, head, path, at}: the cursor of an editor that went away with the focus (see the top).
let focusHandoff = null;

// Focus `view` with the cursor of a fresh handoff, if any; returns {handoff, anchor, head}
// (the handoff and the cursor it set, clamped to this document) or null.
function takeFocusHandoff(view) {
  const handoff = focusHandoff;
  focusHandoff = null;
  const active = document.activeElement;
  if (
    handoff === null ||
    handoff.path !== window.location.pathname ||
    Date.now() - handoff.at > HANDOFF_MS ||
    (active !== null && active !== document.body)
  ) {
    return null;
  }
  const length = view.state.doc.length;
  const anchor = Math.min(handoff.anchor, length);
  const head = Math.min(handoff.head, length);
  view.dispatch({ selection: { anchor, head }, scrollIntoView: true });
  view.focus();
  return { handoff, anchor, head };
}

// Prompts are text, not HTML (lang-jinja's default base): no HTML tag closing or indenting
// in the text between Jinja tags.
const plainText = new LanguageSupport(
  StreamLanguage.define({
    name: "text",
    token(stream) {
      stream.skipToEnd();
      return null;
    },
  }),
);

// One look for the light and the dark page: Radix Themes' colour variables, which the page's
// colour mode switches (the wrapper's default "light" theme painted a white editor under the
// dark page's light text). Step 11 of each scale is its readable text colour in both modes.
const radixTheme = [
  EditorView.theme({
    "&": { backgroundColor: "var(--color-panel-solid)", color: "var(--gray-12)" },
    ".cm-content": { caretColor: "var(--gray-12)" },
    ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--gray-12)" },
    "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection":
      { backgroundColor: "var(--accent-a5)" },
    ".cm-activeLine": { backgroundColor: "var(--gray-a2)" },
    ".cm-activeLineGutter": { backgroundColor: "var(--gray-a3)", color: "var(--gray-12)" },
    "&.cm-focused .cm-matchingBracket": { backgroundColor: "var(--accent-a4)" },
    "&.cm-focused .cm-nonmatchingBracket": { backgroundColor: "var(--red-a4)" },
    ".cm-placeholder": { color: "var(--gray-10)" },
    ".cm-tooltip": {
      backgroundColor: "var(--color-panel-solid)",
      color: "var(--gray-12)",
      border: "1px solid var(--gray-a6)",
    },
    ".cm-tooltip-autocomplete ul li[aria-selected]": {
      backgroundColor: "var(--accent-9)",
      color: "var(--accent-contrast)",
    },
  }),
  syntaxHighlighting(
    HighlightStyle.define([
      { tag: [tags.keyword, tags.controlKeyword, tags.definitionKeyword], color: "var(--purple-11)" },
      { tag: [tags.modifier, tags.operatorKeyword, tags.logicOperator], color: "var(--purple-11)" },
      { tag: tags.variableName, color: "var(--blue-11)" },
      { tag: tags.special(tags.variableName), color: "var(--cyan-11)" },
      { tag: tags.propertyName, color: "var(--blue-11)" },
      { tag: [tags.string, tags.number, tags.bool], color: "var(--green-11)" },
      { tag: tags.blockComment, color: "var(--gray-10)", fontStyle: "italic" },
      { tag: tags.brace, color: "var(--gray-10)" },
      {
        tag: [tags.operator, tags.compareOperator, tags.arithmeticOperator, tags.punctuation],
        color: "var(--gray-11)",
      },
    ]),
  ),
];

const errorTheme = EditorView.baseTheme({
  ".cm-error-line": {
    backgroundColor: "var(--red-a3)",
    textDecoration: "underline wavy var(--red-9)",
    textUnderlineOffset: "4px",
  },
  "&": { fontSize: "0.85rem" },
  ".cm-content": {
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
  },
  ".cm-gutters": { backgroundColor: "var(--gray-2)", color: "var(--gray-10)", border: "none" },
});

function errorMarker(line, message) {
  if (!line || line < 1) {
    return [];
  }
  return EditorView.decorations.of((view) => {
    const doc = view.state.doc;
    const target = doc.line(Math.min(line, doc.lines));
    const mark = Decoration.line({
      class: "cm-error-line",
      attributes: { title: message || "Syntax error", "data-error-line": String(line) },
    });
    return Decoration.set([mark.range(target.from)]);
  });
}

// The page has edits the editor state does not (see the top).
function markUnsent(unsent) {
  if (unsent) {
    document.documentElement.dataset.unsentEdits = "";
  } else {
    delete document.documentElement.dataset.unsentEdits;
  }
}

export function PromptCodeEditor({
  value,
  variables,
  errorLine,
  errorMessage,
  readOnly,
  contentId,
  labelledBy,
  describedBy,
  placeholder,
  minHeight,
  onChange,
  editorKey,
  revision,
  liveSeq,
  liveContext,
  pending,
  hydrated,
}) {
  const [initialValue] = useState(value);
  const [base] = useState(revision);
  const marks = useLiveMarks(editorKey, liveSeq, pending);
  const live = useMemo(() => {
    if (!marks) {
      return null;
    }
    const [line, message, found] = JSON.parse(marks);
    return { line, message, variables: found };
  }, [marks]);
  // The state's text sync (see the top): the newest edit [text, seq], whether the state has
  // it (`sent`) and has it settled (`settled`), the pause timer, the time of the first edit
  // the state does not have (`since`). `onChange` is read through a ref: Reflex passes a new
  // function on every render, and `flush` (and the channel's connection, which depends on
  // it) must stay the same.
  const sync = useRef({ timer: null, edit: null, sent: true, settled: true, since: 0 });
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  // The page's edits are unsent until the state has the settled text: it takes the text's
  // number as its `liveSeq`, in the same update as its save status, so the badge never says
  // "saved" for a text still on its way (nor mid-burst, when a settled one is still to come).
  const liveSeqRef = useRef(liveSeq);
  liveSeqRef.current = liveSeq;
  const acknowledge = useCallback(() => {
    const state = sync.current;
    if (state.sent && state.settled && state.edit !== null && liveSeqRef.current >= state.edit[1]) {
      markUnsent(false);
    }
  }, []);
  useEffect(acknowledge, [liveSeq, acknowledge]);
  const flush = useCallback((settled = false) => {
    const state = sync.current;
    const settling = settled === true;
    if (settling) {
      clearTimeout(state.timer); // otherwise the pause still settles it
      state.timer = null;
    }
    if (state.edit === null || !onChangeRef.current) {
      return;
    }
    if (state.sent && (state.settled || !settling)) {
      return; // the state has this text already (settled, if asked)
    }
    const [text, seq] = state.edit;
    state.sent = true;
    state.settled = settling;
    onChangeRef.current(text, seq, settling, base);
    acknowledge();
  }, [base, acknowledge]);
  const settle = useCallback(() => flush(true), [flush]);
  useEffect(() => {
    if (readOnly) {
      return undefined;
    }
    connectLive();
    window.__promptEditorFlush = flush;
    return () => {
      flush(true); // unmounting (another prompt, another page): the text goes first
      markUnsent(false); // this editor can no longer see the state take it
      if (window.__promptEditorFlush === flush) {
        window.__promptEditorFlush = undefined;
        disconnectLive();
      }
    };
  }, [readOnly, flush]);
  useEffect(() => {
    setLiveContext(liveContext);
  }, [liveContext]);
  // The page reconnected (e.g. its server was restarted) and loaded again: the state may have
  // missed the last text sent before the connection dropped (an event sent into a closing
  // socket is lost, yet the editor took it as sent), so it gets the text again, settled.
  const wasHydrated = useRef(hydrated);
  useEffect(() => {
    const before = wasHydrated.current;
    wasHydrated.current = hydrated;
    if (hydrated && before === false && !readOnly && sync.current.edit !== null) {
      sync.current.sent = false;
      flush(true);
    }
  }, [hydrated, readOnly, flush]);
  // The channel found what only the state shows (a new variable, a syntax error appearing or
  // going): send the text now.
  const known = variables || [];
  const liveVariables = live && live.variables ? live.variables : null;
  const newVariable = liveVariables !== null && liveVariables.some((n) => !known.includes(n));
  const errorChanged = live !== null && live.line > 0 !== (errorLine || 0) > 0;
  useEffect(() => {
    if (newVariable || errorChanged) {
      flush();
    }
  }, [newVariable, errorChanged, flush]);
  const viewRef = useRef(null);
  const lastValue = useRef(value);
  useEffect(() => {
    const previous = lastValue.current;
    lastValue.current = value;
    const view = viewRef.current;
    // Only while the document is still the previous `value`: the user has not typed since.
    if (view && value !== previous && view.state.doc.toString() === previous) {
      // Marked external, as the library marks its own loads: not a user edit (no onChange).
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: value || "" },
        annotations: [ExternalChange.of(true)],
      });
    }
  }, [value]);
  const names = variables || [];
  const namesKey = names.join("\u0000");
  const language = useMemo(
    () =>
      jinja({
        base: plainText,
        variables: names.map((name) => ({ label: name, type: "variable", detail: "variable" })),
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [namesKey],
  );
  const markLine = live ? live.line : errorLine;
  const markMessage = live ? live.message : errorMessage;
  const marker = useMemo(() => errorMarker(markLine, markMessage), [markLine, markMessage]);
  const attributes = useMemo(
    () =>
      EditorView.contentAttributes.of({
        id: contentId || "",
        "aria-labelledby": labelledBy || "",
        "aria-describedby": describedBy || "",
        "aria-multiline": "true",
        spellcheck: "false",
      }),
    [contentId, labelledBy, describedBy],
  );
  // A user's edit goes to the live channel as soon as its transaction exists, before the
  // editor updates its DOM (a few ms on a slow machine): the render overlaps that work.
  const early = useRef(null); // [text, seq] of the last text sent early
  const sendEarly = useMemo(
    () =>
      EditorState.transactionExtender.of((tr) => {
        if (!readOnly && tr.docChanged && !tr.annotation(ExternalChange)) {
          const text = tr.newDoc.toString();
          const seq = nextSeq();
          renderLive(editorKey, seq, text);
          early.current = [text, seq];
        }
        return null;
      }),
    [editorKey, readOnly],
  );
  const extensions = useMemo(
    () => [
      language,
      marker,
      attributes,
      errorTheme,
      EditorView.lineWrapping,
      sendEarly,
      steadyCursor,
    ],
    [language, marker, attributes, sendEarly],
  );
  const handleChange = useCallback(
    (text) => {
      // The keystroke went to the server already (sendEarly); the local backup (a
      // synchronous localStorage write of the whole text) follows, off the keystroke's path.
      let seq;
      if (early.current !== null && early.current[0] === text) {
        seq = early.current[1];
      } else {
        seq = nextSeq();
        renderLive(editorKey, seq, text);
      }
      early.current = null;
      const state = sync.current;
      const now = Date.now();
      if (state.sent) {
        state.since = now;
        markUnsent(true);
      }
      state.edit = [text, seq];
      state.sent = false;
      state.settled = false;
      if (now - state.since >= SYNC_MAX_WAIT_MS) {
        flush(false); // a long burst still going on
      }
      clearTimeout(state.timer);
      state.timer = setTimeout(settle, SYNC_PAUSE_MS);
      window.dispatchEvent(new CustomEvent("prompt-editor-change", { detail: text }));
    },
    [editorKey, flush, settle],
  );
  // Layout cleanup: it runs before React removes the editor's DOM, which still has the focus.
  // A cursor this editor has not moved since it took it (e.g. another text shown for a moment,
  // between two remounts) goes on as it came, not as clamped to that text.
  const editable = useRef(!readOnly);
  editable.current = !readOnly;
  const taken = useRef(null);
  useLayoutEffect(
    () => () => {
      const view = viewRef.current;
      if (view && editable.current && view.hasFocus) {
        const { anchor, head } = view.state.selection.main;
        const t = taken.current;
        const from = t && t.anchor === anchor && t.head === head ? t.handoff : { anchor, head };
        focusHandoff = {
          anchor: from.anchor,
          head: from.head,
          path: window.location.pathname,
          at: Date.now(),
        };
      }
    },
    [],
  );
  const publish = useCallback(
    (view) => {
      viewRef.current = view;
      window.__promptEditorView = view;
      if (!readOnly) {
        taken.current = takeFocusHandoff(view);
      }
    },
    [readOnly],
  );
  return (
    <CodeMirror
      value={initialValue}
      extensions={extensions}
      readOnly={!!readOnly}
      editable={!readOnly}
      placeholder={placeholder}
      minHeight={minHeight}
      onChange={handleChange}
      onBlur={settle}
      onCreateEditor={publish}
      basicSetup={readOnly ? READ_ONLY_SETUP : EDITING_SETUP}
      theme={radixTheme}
    />
  );
}
