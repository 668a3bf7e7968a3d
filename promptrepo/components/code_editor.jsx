// The prompt template editor: CodeMirror 6 (@uiw/react-codemirror) with Jinja highlighting,
// line numbers, completion of the prompt's variables and Jinja's filters, and a marker on the
// line of a syntax error. Wrapped for Reflex by code_editor.py.
//
// `value` is the text to (re)load: the document is replaced only when it changes (a reload,
// a restore), never while the user types. The view is published as
// window.__promptEditorView, and each user edit as a "prompt-editor-change" window event, for
// assets/editor.js (the local backup) and for tests.
import React, { useCallback, useMemo } from "react";
import CodeMirror from "@uiw/react-codemirror";
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
      window.dispatchEvent(new CustomEvent("prompt-editor-change", { detail: text }));
      if (onChange) {
        onChange(text);
      }
    },
    [onChange],
  );
  const publish = useCallback((view) => {
    window.__promptEditorView = view;
  }, []);
  return (
    <CodeMirror
      value={value}
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
