// The prompt template editor: CodeMirror 6 (@uiw/react-codemirror) with Jinja highlighting,
// line numbers, completion of the prompt's variables and Jinja's filters, and a marker on the
// line of a syntax error. Wrapped for Reflex by code_editor.py.
//
// `value` is the text the editor starts with. A later `value` replaces the document only while
// the document is still the previous `value` (e.g. the page mounted with the text of an older
// load, then the load finished); once the user typed, what they typed wins (a reconnect's
// reload never takes back keystrokes still on their way). To load another text whatever the
// user typed, remount the editor with a new React key. The view is published as
// window.__promptEditorView, and each user edit as a "prompt-editor-change" window event, for
// assets/editor.js (the local backup) and for tests.
import React, { useCallback, useEffect, useMemo, useRef, useState } from "react";
import CodeMirror, { ExternalChange } from "@uiw/react-codemirror";
import { EditorView, Decoration } from "@codemirror/view";
import { LanguageSupport, StreamLanguage } from "@codemirror/language";
import { jinja } from "@codemirror/lang-jinja";

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
}) {
  const [initialValue] = useState(value);
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
  const marker = useMemo(() => errorMarker(errorLine, errorMessage), [errorLine, errorMessage]);
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
  const extensions = useMemo(
    () => [language, marker, attributes, errorTheme, EditorView.lineWrapping],
    [language, marker, attributes],
  );
  const handleChange = useCallback(
    (text) => {
      // The keystroke goes to the server first; the local backup (a synchronous
      // localStorage write of the whole text) follows, off the keystroke's path.
      if (onChange) {
        onChange(text);
      }
      window.dispatchEvent(new CustomEvent("prompt-editor-change", { detail: text }));
    },
    [onChange],
  );
  const publish = useCallback((view) => {
    viewRef.current = view;
    window.__promptEditorView = view;
  }, []);
  return (
    <CodeMirror
      value={initialValue}
      extensions={extensions}
      readOnly={!!readOnly}
      editable={!readOnly}
      placeholder={placeholder}
      minHeight={minHeight}
      onChange={handleChange}
      onCreateEditor={publish}
      basicSetup={{
        lineNumbers: true,
        foldGutter: false,
        highlightActiveLine: !readOnly,
        autocompletion: true,
        // Typed text stays as typed: `{% if x %}` is not turned into `{% if x %%}}`.
        closeBrackets: false,
        bracketMatching: true,
        searchKeymap: true,
      }}
    />
  );
}
