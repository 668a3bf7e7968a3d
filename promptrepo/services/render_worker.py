"""Render worker processes: they render templates and run validators for `render_pool`.

`python -m promptrepo.services.render_worker CONTROL_FD MEMORY_MB NICE` starts a *zygote*: it
imports only `templates`, `variables` and `validator_rules` (no database, no settings),
lowers its CPU priority, warms the sandbox, says it is ready, then forks one worker per
request on the control socket and hands the parent the worker's pid and socket (SCM_RIGHTS).
A worker caps its address space and answers requests one at a time: frames of a 4-byte
big-endian length and JSON. The parent kills a worker running past its budget; a worker
exits when its socket closes, the zygote when its control socket does.

`render_and_validate_here` is the one implementation of "render, then validate"; only this
process calls it outside tests.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import signal
import socket
import struct
import sys
from typing import Any

from promptrepo.services import chat, templates, validator_rules
from promptrepo.services import variables as variable_specs
from promptrepo.services.errors import ValidationFailed

READY = b"ready"
PR_SET_PDEATHSIG = 1
_HEADER = struct.Struct(">I")


def render_and_validate_here(
    content: str,
    spec: dict[str, Any],
    validator_list: list[Any],
    values: dict[str, Any],
    dialect: str = templates.PLAIN_DIALECT,
) -> tuple[str, list[validator_rules.ValidatorResult]]:
    """Render `content` with `values` checked against `spec`, then run the validators on it
    (in this process, with the sandbox's limits but no wall-clock budget)."""
    # Only the source rendered is compiled. A trimmed source differs from `content` in its
    # whitespace alone: the same variables; an error is reported from `content`, with its
    # line as written.
    source = templates.dialect_source(content, dialect)
    analysis = templates.analyze(source)
    if analysis.error is not None:
        templates.compile_template(content)  # raises, naming the line
        templates.compile_template(source)
    context = variable_specs.build_context(spec, values, analysis.variables)
    text = templates.render_template(source, context)
    return text, validator_rules.run_validators(text, validator_list, context)


def render_chat_here(
    messages: list[dict[str, Any]],
    spec: dict[str, Any],
    validator_list: list[Any],
    values: dict[str, Any],
    placeholders: dict[str, Any] | None,
    dialect: str = templates.PLAIN_DIALECT,
) -> tuple[str, list[dict[str, str]], list[validator_rules.ValidatorResult]]:
    """A chat prompt: each message rendered (placeholders filled from `placeholders`), the
    validators run on every rendered message and on the whole conversation."""
    chat.compile_messages(messages)
    filled = chat.check_placeholder_values(messages, placeholders)
    context = variable_specs.build_context(spec, values, chat.detect_variables(messages))
    source = [
        m
        if chat.is_placeholder(m)
        else {**m, "content": templates.dialect_source(m.get("content", ""), dialect)}
        for m in messages
    ]
    rendered, from_template = chat.render_messages(source, context, filled)
    results = chat.run_validators(rendered, from_template, validator_list, context)
    return chat.as_text(rendered), rendered, results


def preview_here(
    content: str,
    spec: dict[str, Any],
    validator_list: list[dict[str, Any]],
    dialect: str,
    invalid: dict[str, str],
) -> dict[str, Any]:
    """The editor's preview of `content` as the editor state computes it (state/editor/draft.py):
    its variables, then the text rendered with the examples (an unset required variable as
    its type's empty value) and the validators' results, or why there is no text: a syntax
    error (with its line), an invalid example of a variable the text uses, a render error."""
    analysis = templates.outline(content)
    if analysis.error is not None:
        error = analysis.error
        return preview_refused(
            f"Line {error.line}: {error.message}",
            validator_list,
            validator_rules.NOT_RUN_NO_TEXT,
            line=error.line,
        )
    detected = list(analysis.variables)
    bad = [name for name in detected if name in invalid]
    if bad:
        return preview_refused(
            variable_specs.invalid_values_message((name, invalid[name]) for name in bad),
            validator_list,
            validator_rules.NOT_RUN_INVALID_VALUE,
            variables=detected,
        )
    spec = variable_specs.sync_with_content(spec, detected, analysis.hints)
    values, unset = variable_specs.preview_values(spec, detected)
    try:
        text, results = render_and_validate_here(content, spec, validator_list, values, dialect)
    except Exception as exc:
        message = (
            exc.message
            if isinstance(exc, ValidationFailed)
            else templates.render_error_message(exc) or f"The template failed to render: {exc}"
        )
        return preview_refused(
            message, validator_list, validator_rules.NOT_RUN_NO_TEXT, variables=detected
        )
    return {
        "ok": True,
        "text": text,
        "stats": templates.text_stats(text),
        "results": [{**r.to_dict(), "skipped": False} for r in results],
        "unset": unset,
        "note": variable_specs.preview_note(unset),
        "variables": detected,
        "line": 0,
    }


def preview_refused(
    message: str,
    validator_list: list[dict[str, Any]],
    not_run: str,
    *,
    line: int = 0,
    variables: list[str] | None = None,
) -> dict[str, Any]:
    """A preview with no text: why (`message`), and each validator marked not run."""
    return {
        "ok": False,
        "message": message,
        "results": [
            {
                "type": v["type"],
                "passed": False,
                "message": not_run,
                "validator_id": v.get("id"),
                "skipped": True,
            }
            for v in validator_list
        ],
        "variables": variables,
        "line": line,
    }


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """One request → its answer; a template's failure is an answer, never a crash."""
    if request.get("type") == "preview":
        try:
            return preview_here(
                request["content"],
                request["spec"],
                request["validators"],
                request.get("dialect", templates.PLAIN_DIALECT),
                request.get("invalid") or {},
            )
        except Exception as exc:  # user code: report, and keep serving
            message = templates.render_error_message(exc) or f"The template failed: {exc}"
            return preview_refused(message, request["validators"], validator_rules.NOT_RUN_NO_TEXT)
    messages = None
    for name in request.get("unset_text") or ():
        request["values"][name] = variable_specs.UnsetText()
    try:
        if request.get("type") == "chat":
            text, messages, results = render_chat_here(
                request["messages"],
                request["spec"],
                request["validators"],
                request["values"],
                request.get("placeholders"),
                request.get("dialect", templates.PLAIN_DIALECT),
            )
        else:
            text, results = render_and_validate_here(
                request["content"],
                request["spec"],
                request["validators"],
                request["values"],
                request.get("dialect", templates.PLAIN_DIALECT),
            )
    except ValidationFailed as exc:
        return {"ok": False, "message": exc.message, "errors": exc.errors}
    except Exception as exc:  # the template is user code: report, and keep serving
        message = templates.render_error_message(exc) or f"The template failed to render: {exc}"
        return {"ok": False, "message": message, "errors": [{"loc": ["content"], "msg": message}]}
    return {
        "ok": True,
        "text": text,
        "messages": messages,
        "results": [r.to_dict() for r in results],
    }


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    parts: list[bytes] = []
    while size:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            return b""
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)


def serve(sock: socket.socket) -> None:
    """Answer framed requests on `sock` until it closes (one render worker's life)."""
    while True:
        header = _recv_exact(sock, _HEADER.size)
        if not header:
            return
        body = _recv_exact(sock, _HEADER.unpack(header)[0])
        if not body:
            return
        try:
            reply = handle(json.loads(body))
            data = json.dumps(reply, default=str).encode()
        except MemoryError:
            message = "The template was refused: it needs more memory than a render may use."
            data = json.dumps({"ok": False, "message": message, "errors": []}).encode()
        sock.sendall(_HEADER.pack(len(data)) + data)


def zygote(control: socket.socket, memory_mb: int) -> None:
    """Fork a ready worker for each byte received on `control`; send back its pid and its
    end of a fresh socket pair. Exits when `control` closes."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # exited workers are reaped at once
    control.sendall(READY)
    while _recv_command(control):
        parent_end, worker_end = socket.socketpair()
        pid = os.fork()
        if pid == 0:  # the worker
            try:
                control.close()
                parent_end.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                _die_with_parent()
                if memory_mb:
                    limit = memory_mb * 1024 * 1024
                    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
                serve(worker_end)
            finally:
                os._exit(0)
        worker_end.close()
        socket.send_fds(control, [pid.to_bytes(8, "big")], [parent_end.fileno()])
        parent_end.close()


def _recv_command(control: socket.socket) -> bytes:
    try:
        return control.recv(1)
    except OSError:
        return b""


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker when the zygote exits (it does when the serving process
    is gone), so a worker busy in a long render does not outlive its server."""
    # Elsewhere the worker exits when its socket closes, after the current render.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def main(argv: list[str]) -> None:
    control_fd, memory_mb = (int(a) for a in argv[:2])
    control = socket.socket(fileno=control_fd)
    os.dup2(2, 1)  # a stray print goes to the log, never anywhere else
    # Workers start at normal priority; the pool lowers one (RENDER_WORKER_NICE) when its
    # render runs past RENDER_FULL_PRIORITY_MS (render_pool). (A session of its own with a
    # lowered autogroup would rank lower still, but then a loaded machine starves legitimate
    # renders past their wall-clock budget; measured, not adopted.)
    # Import and warm the sandbox and the validators once: every worker forked from here
    # starts ready in milliseconds, even when replacing one killed past its budget.
    render_and_validate_here("{{ x }}", {}, [{"type": "length", "config": {"max": 9}}], {"x": 1})
    zygote(control, memory_mb)


if __name__ == "__main__":
    main(sys.argv[1:])
