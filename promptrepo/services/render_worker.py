"""One render worker process: renders templates and runs validators for `render_pool`.

Run as `python -m promptrepo.services.render_worker MEMORY_MB NICE`. It imports only
`templates`, `variables` and `validator_rules` (no database, no settings), caps its own address
space and lowers its CPU priority, says it is ready, then answers requests one at a time:
frames of a 4-byte big-endian length and JSON, read on stdin and written on the original
stdout (fd 1 then points at stderr, so a stray print can never corrupt the channel). The
parent kills it when a render runs past its budget; it exits by itself when stdin closes.

`render_and_validate_here` is the one implementation of "render, then validate"; only this
process calls it outside tests.
"""

from __future__ import annotations

import json
import os
import resource
import struct
import sys
from typing import Any, BinaryIO

from promptrepo.services import templates, validator_rules
from promptrepo.services import variables as variable_specs
from promptrepo.services.errors import ValidationFailed

READY = b"ready"
_HEADER = struct.Struct(">I")


def render_and_validate_here(
    content: str, spec: dict[str, Any], validator_list: list[Any], values: dict[str, Any]
) -> tuple[str, list[validator_rules.ValidatorResult]]:
    """Render `content` with `values` checked against `spec`, then run the validators on it
    (in this process, with the sandbox's limits but no wall-clock budget)."""
    analysis = templates.analyze(content)
    if analysis.error is not None:
        templates.compile_template(content)  # raises, naming the line
    context = variable_specs.build_context(spec, values, analysis.variables)
    text = templates.render_template(content, context)
    return text, validator_rules.run_validators(text, validator_list, context)


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """One request → its answer; a template's failure is an answer, never a crash."""
    try:
        text, results = render_and_validate_here(
            request["content"], request["spec"], request["validators"], request["values"]
        )
    except ValidationFailed as exc:
        return {"ok": False, "message": exc.message, "errors": exc.errors}
    except Exception as exc:  # the template is user code: report, and keep serving
        message = templates.render_error_message(exc) or f"The template failed to render: {exc}"
        return {"ok": False, "message": message, "errors": [{"loc": ["content"], "msg": message}]}
    return {"ok": True, "text": text, "results": [r.to_dict() for r in results]}


def write_frame(out: BinaryIO, data: bytes) -> None:
    out.write(_HEADER.pack(len(data)) + data)
    out.flush()


def _read_exact(inp: BinaryIO, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = inp.read(size - len(data))
        if not chunk:
            return b""
        data += chunk
    return data


def main(argv: list[str]) -> None:
    memory_mb = int(argv[0]) if argv else 0
    nice = int(argv[1]) if len(argv) > 1 else 0
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    inp = sys.stdin.buffer
    if nice:
        os.nice(nice)
    # Warm the sandbox and the validators before saying ready, so no render pays for it.
    render_and_validate_here("{{ x }}", {}, [{"type": "length", "config": {"max": 9}}], {"x": 1})
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    write_frame(out, READY)
    while True:
        header = _read_exact(inp, _HEADER.size)
        if not header:
            return
        body = _read_exact(inp, _HEADER.unpack(header)[0])
        if not body:
            return
        try:
            reply = handle(json.loads(body))
            data = json.dumps(reply, default=str).encode()
        except MemoryError:
            message = "The template was refused: it needs more memory than a render may use."
            data = json.dumps({"ok": False, "message": message, "errors": []}).encode()
        write_frame(out, data)


if __name__ == "__main__":
    main(sys.argv[1:])
