// The editor's live preview: one websocket to /api/editor/live (api/editor_live.py) per page,
// and the parts of the page it updates on every keystroke without a trip through Reflex's
// state: the preview text, its stats, errors and note (LivePreview) and the validator badges
// (LiveBadges). Wrapped for Reflex by live_preview.py; code_editor.jsx sends the texts.
//
// Both the editor state (DraftState) and this channel render the text. Each rendered text
// carries the page's edit number (`seq`, increasing for the life of the page) and the code
// editor's mount key; a part shows the channel's answer only while it is for the mounted
// editor and for newer text than the state's (`liveSeq`), so a state update for the same
// text — new example values, a validator added — shows at once, and nothing older ever
// replaces something newer. Without the channel (it cannot connect), the state's preview,
// which follows a few times a burst, is what shows.
import React, { memo, useSyncExternalStore } from "react";
import { Callout } from "@radix-ui/themes";
import { Check, CircleAlert, X } from "lucide-react";
import { getBackendURL } from "$/utils/state";
import env from "$/env.json";

const PATH = "/api/editor/live";
const RETRY_MS = [250, 1000, 3000, 10000];

let socket = null;
let wanted = false; // an editor that can type is mounted: keep the channel open
let isOpen = false;
let failures = 0;
let contextFrame = null; // the context as sent (JSON), re-sent after a reconnect
let contextSent = false;
let waiting = null; // the newest text not yet sent: {key, seq, text}
let inFlight = false;
// "Rendering…" shows only for a render still unanswered after PENDING_AFTER_MS: announcing
// every keystroke's render would make each keystroke re-render the preview twice.
const PENDING_AFTER_MS = 100;
let pendingTimer = null;
let lastSeq = Date.now(); // edit numbers stay increasing across reloads of the page
let snapshot = { result: null, text: null, pending: false };
const listeners = new Set();
// How answers reached the page (read by the browser tests and bench_editor_keystroke.py):
// in the keystroke's frame, or by message (see "Answers in the keystroke's own frame").
const answered = { inFrame: 0, byMessage: 0 };
if (typeof window !== "undefined") {
  window.__liveAnswers = answered;
}

function publish(changes) {
  snapshot = { ...snapshot, ...changes };
  listeners.forEach((listener) => listener());
}

function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function channelUrl() {
  const url = getBackendURL(env.EVENT);
  url.pathname = PATH;
  url.search = "";
  return url.toString();
}

export function connectLive() {
  wanted = true;
  if (socket || typeof window === "undefined") {
    return;
  }
  const ws = openChannel(channelUrl());
  socket = ws;
  ws.onopen = () => {
    isOpen = true;
    failures = 0;
    contextSent = false;
    inFlight = false;
    pump();
  };
  ws.onmessage = (event) => {
    answered.byMessage += 1;
    handleAnswer(event.data);
  };
  ws.onclose = () => {
    socket = null;
    isOpen = false;
    inFlight = false;
    if (!wanted) {
      return;
    }
    const wait = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)];
    failures += 1;
    setTimeout(() => wanted && connectLive(), wait);
  };
}

function handleAnswer(data) {
  let answer;
  try {
    answer = JSON.parse(data);
  } catch {
    return;
  }
  inFlight = false;
  clearTimeout(pendingTimer);
  pendingTimer = null;
  if (answer.seq !== undefined) {
    const current = snapshot.result;
    if (!current || current.key !== answer.key || answer.seq >= current.seq) {
      const keep = current && current.key === answer.key ? snapshot.text : null;
      publish({
        result: answer,
        text: answer.ok ? answer.text : keep,
        pending: waiting !== null,
      });
    }
  }
  pump();
}

// Answers in the keystroke's own frame. Chromium holds a network message that arrives while
// a keystroke is handled until that keystroke's frame has been drawn (its scheduler's
// DeferRendererTasksAfterInput), so an answer back in 3-5 ms still showed a frame later.
// When the page is cross-origin isolated (the server sends COOP and COEP with every page),
// the channel's websocket lives in a worker, which copies each answer into memory shared
// with the page before posting it: the page reads it in the keystroke's animation frame,
// before the paint, and skips the posted copy. An answer the frame does not find comes
// with the posted message, as without the worker.
const SHARED_BYTES = 1 << 20; // answers larger than this come by message only
const WORKER_SOURCE = `
let ws = null;
let header = null;
let bytes = null;
let gen = 0;
const encoder = new TextEncoder();
onmessage = (event) => {
  const m = event.data;
  if (m.op === "open") {
    header = new Int32Array(m.shared, 0, 2);
    bytes = new Uint8Array(m.shared, 8);
    ws = new WebSocket(m.url);
    ws.onopen = () => postMessage({ op: "open" });
    ws.onclose = () => postMessage({ op: "close" });
    ws.onmessage = (answer) => {
      gen += 2;
      const encoded = encoder.encode(answer.data);
      if (encoded.length <= bytes.length) {
        Atomics.store(header, 0, gen - 1); // odd: being written
        bytes.set(encoded);
        Atomics.store(header, 1, encoded.length);
        Atomics.store(header, 0, gen);
      }
      postMessage({ op: "message", data: answer.data, gen });
    };
  } else if (m.op === "send" && ws && ws.readyState === 1) {
    ws.send(m.frame);
  }
};
`;
let workerUrl = null;
let workerFailed = false; // a worker that could not start (a stricter policy): sockets only
const decoder = typeof TextDecoder === "undefined" ? null : new TextDecoder();

// The channel's transport: a WebSocket, or its stand-in in a worker (same interface).
function openChannel(url) {
  if (!window.crossOriginIsolated || typeof Worker === "undefined" || workerFailed) {
    return new WebSocket(url);
  }
  try {
    return new WorkerChannel(url);
  } catch {
    return new WebSocket(url);
  }
}

class WorkerChannel {
  constructor(url) {
    workerUrl =
      workerUrl ||
      URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
    this.shared = new SharedArrayBuffer(8 + SHARED_BYTES);
    this.header = new Int32Array(this.shared, 0, 2);
    this.seen = 0; // the newest answer handled
    this.onopen = this.onmessage = this.onclose = null;
    this.worker = new Worker(workerUrl);
    this.worker.onmessage = (event) => {
      const m = event.data;
      if (m.op === "message") {
        if (m.gen > this.seen) {
          this.seen = m.gen;
          this.onmessage && this.onmessage({ data: m.data });
        }
      } else if (m.op === "open") {
        this.onopen && this.onopen();
      } else if (m.op === "close") {
        this.worker.terminate();
        this.onclose && this.onclose();
      }
    };
    this.worker.onerror = () => {
      workerFailed = true;
      this.worker.terminate();
      this.onclose && this.onclose();
    };
    this.worker.postMessage({ op: "open", url, shared: this.shared });
  }

  send(frame) {
    this.worker.postMessage({ op: "send", frame });
  }

  close() {
    this.worker.terminate();
  }

  // The next answer, if it has arrived and the page has not handled it; else null.
  takeArrived() {
    const gen = Atomics.load(this.header, 0);
    if (gen !== this.seen + 2) {
      return null; // none new, one being written, or more than one (the messages keep order)
    }
    const length = Atomics.load(this.header, 1);
    const copy = new Uint8Array(length); // TextDecoder refuses shared memory
    copy.set(new Uint8Array(this.shared, 8, length));
    if (Atomics.load(this.header, 0) !== gen) {
      return null; // overwritten meanwhile
    }
    this.seen = gen;
    return decoder.decode(copy);
  }
}

let frameCheck = null;

// In the next animation frame (the keystroke's), handle an answer that has arrived.
function checkInFrame() {
  if (frameCheck !== null || !socket || !socket.takeArrived) {
    return;
  }
  frameCheck = requestAnimationFrame(() => {
    frameCheck = null;
    const data = socket && socket.takeArrived ? socket.takeArrived() : null;
    if (data !== null) {
      answered.inFrame += 1;
      handleAnswer(data);
    }
  });
}

// The editor went away (another page): close the channel.
export function disconnectLive() {
  wanted = false;
  waiting = null;
  if (socket) {
    const old = socket;
    old.onopen = old.onmessage = old.onclose = null;
    old.close();
    socket = null;
    isOpen = false;
    inFlight = false;
  }
}

function pump() {
  if (!isOpen || inFlight || waiting === null) {
    return;
  }
  if (contextFrame !== null && !contextSent) {
    socket.send(contextFrame);
    contextSent = true;
  }
  socket.send(JSON.stringify({ type: "render", ...waiting }));
  waiting = null;
  inFlight = true;
  if (!snapshot.pending && pendingTimer === null) {
    pendingTimer = setTimeout(() => {
      pendingTimer = null;
      if (inFlight) {
        publish({ pending: true });
      }
    }, PENDING_AFTER_MS);
  }
}

// What the channel renders with: the editor state's `live_context`.
export function setLiveContext(context) {
  const frame = JSON.stringify({ type: "context", ...(context || {}) });
  if (frame === contextFrame) {
    return;
  }
  contextFrame = frame;
  contextSent = false;
  if (isOpen) {
    socket.send(frame);
    contextSent = true;
  }
}

// The next edit number.
export function nextSeq() {
  lastSeq = Math.max(lastSeq + 1, Date.now());
  return lastSeq;
}

// Render `text` (edit `seq` in the editor mounted with `key`); only the newest waits.
export function renderLive(key, seq, text) {
  waiting = { key: String(key), seq, text };
  connectLive();
  pump();
  checkInFrame();
}

// The channel's answer, when the page should show it rather than the state's (see the top).
export function useLive(editorKey, liveSeq, statePending) {
  const live = useSyncExternalStore(subscribe, () => snapshot, () => snapshot);
  const result = live.result;
  if (!result || result.key !== String(editorKey)) {
    return null;
  }
  const seq = Number(liveSeq) || 0;
  if (result.seq > seq || (result.seq === seq && statePending)) {
    return { ...result, text: live.text, pending: live.pending };
  }
  return null;
}

// For the code editor: only what it shows of the channel's answer (the syntax error's line
// and message, the variables found), as one string, so that it renders again only when
// those change — not twice a keystroke. "" while the state's values are the ones to show.
export function useLiveMarks(editorKey, liveSeq, statePending) {
  return useSyncExternalStore(
    subscribe,
    () => {
      const result = snapshot.result;
      if (!result || result.key !== String(editorKey)) {
        return "";
      }
      const seq = Number(liveSeq) || 0;
      if (!(result.seq > seq || (result.seq === seq && statePending))) {
        return "";
      }
      return JSON.stringify([result.line || 0, result.ok ? "" : result.message, result.variables]);
    },
    () => "",
  );
}

// The parts that change at every keystroke are plain elements with the classes Radix Themes'
// Flex, Text and Badge give theirs (the same markup and look): React renders them again for
// each answer, and Radix's components cost ~1 ms more per answer on a slow machine.
const TEXT = "rt-Text rt-r-size-1";
const SEP = "·\u00a0"; // a separator and a no-break space: it stays with what follows
const CHECK = <Check size={12} />;
const CROSS = <X size={12} />;

const count = (n, one, many) => `${n} ${n === 1 ? one : many}`;

export function LivePreview({
  editorKey,
  liveSeq,
  text,
  error,
  note,
  pending,
  chars,
  words,
  lines,
  tokens,
  maxHeight,
}) {
  const live = useLive(editorKey, liveSeq, pending);
  let shown = { text, error, note, pending, chars, words, lines, tokens };
  if (live) {
    const stats = live.ok ? live.stats : { chars, words, lines, tokens };
    shown = {
      text: live.text === null ? text : live.text,
      error: live.ok ? "" : live.message,
      note: live.ok ? live.note : note,
      pending: live.pending,
      ...stats,
    };
  }
  return (
    <div className="rt-Flex rt-r-fd-column rt-r-gap-2 rt-r-w" style={{ "--width": "100%" }}>
      {shown.error ? (
        <Callout.Root color="red" id="preview-error" role="alert" style={{ width: "100%" }}>
          <Callout.Icon>
            <CircleAlert size={16} />
          </Callout.Icon>
          <Callout.Text>{shown.error}</Callout.Text>
        </Callout.Root>
      ) : null}
      {shown.note ? (
        <span id="preview-note" className={TEXT} style={{ color: "var(--amber-11)" }}>
          {shown.note}
        </span>
      ) : null}
      {shown.pending ? (
        <span className={`${TEXT} appear-late`} role="status" style={{ color: "var(--gray-11)" }}>
          Rendering…
        </span>
      ) : null}
      <pre
        id="preview-text"
        aria-busy={shown.pending ? "true" : "false"}
        className="live-preview-text"
        style={{ maxHeight: maxHeight || "55vh", opacity: shown.error ? 0.5 : 1 }}
      >
        {shown.text}
      </pre>
      <div
        id="preview-stats"
        className="rt-Flex rt-r-fw-wrap rt-r-gap-2"
        style={{ color: "var(--gray-11)" }}
      >
        {/* each separator goes with the figure after it: a wrap never leaves one behind */}
        <span className={TEXT}>{count(shown.chars, "character", "characters")}</span>
        <span className={TEXT}>{SEP}{count(shown.words, "word", "words")}</span>
        <span className={TEXT}>{SEP}{count(shown.lines, "line", "lines")}</span>
        <span className={TEXT}>
          {SEP}≈ {count(shown.tokens, "token", "tokens")} (approximate: characters ÷ 4)
        </span>
      </div>
    </div>
  );
}

// Memoized: at a keystroke only the badges whose result changed render again.
const ValidatorBadge = memo(function ValidatorBadge({ type, passed, message, skipped }) {
  return (
    <span
      data-accent-color={skipped ? "gray" : passed ? "green" : "red"}
      title={message}
      aria-label={`${type}: ${message}`}
      data-passed={skipped ? "skipped" : passed ? "true" : "false"}
      className="rt-reset rt-Badge rt-r-size-1 rt-variant-soft validator-badge"
    >
      {passed ? CHECK : CROSS}
      {type}
    </span>
  );
});

export function LiveBadges({ editorKey, liveSeq, pending, rows }) {
  const live = useLive(editorKey, liveSeq, pending);
  const shown = live
    ? live.results.map((r) => ({ ...r, id: r.validator_id }))
    : rows || [];
  if (shown.length === 0) {
    return (
      <span className={TEXT} style={{ color: "var(--gray-11)" }}>
        none yet
      </span>
    );
  }
  return (
    <>
      {shown.map((row, index) => (
        <ValidatorBadge key={row.id || index} {...row} />
      ))}
    </>
  );
}
