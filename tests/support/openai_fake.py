"""A Chat Completions server on loopback, for tests and benchmarks.

The hosted providers (OpenAI and the others) cannot be reached from here, so the playground
is tested against this real HTTP server speaking the same protocol: `POST
/v1/chat/completions` with a Bearer key, JSON answers or Server-Sent Events (`data: {chunk}`
… `data: [DONE]`, usage in the last chunk when `stream_options.include_usage`), and the
provider's error bodies (`{"error": {"message", "type", "code"}}`). The real `openai` SDK is
the client.

Behaviour by model name: `fail-401` (or a wrong key) → 401, `fail-429` → 429 with Retry-After,
`fail-500` → 500, `slow` → waits `slow_seconds` before answering, `broken-stream` → sends two
chunks, then drops the connection mid-body. Any other model answers `reply(request)`
(default: the last user message), one word per chunk, `token_delay` seconds apart.
Every request body is kept in `requests`; every streamed chunk's send time (time.time()) is
kept in `sent_at`, for latency measurements.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "sk-test-loopback"
WORD = re.compile(r"\s*\S+")


def last_user_message(request: dict[str, Any]) -> str:
    for message in reversed(request.get("messages", [])):
        if message.get("role") == "user":
            return str(message.get("content", ""))
    return ""


class FakeOpenAI:
    def __init__(self, *, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.reply: Callable[[dict[str, Any]], str] = last_user_message
        self.token_delay = 0.0
        self.slow_seconds = 5.0
        self.requests: list[dict[str, Any]] = []
        self.sent_at: list[tuple[str, float]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # ------------------------------------------------------------------ protocol
    def _error(
        self, h: BaseHTTPRequestHandler, status: int, message: str, kind: str, extra=()
    ) -> None:
        body = json.dumps({"error": {"message": message, "type": kind, "code": kind}}).encode()
        h.send_response(status)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(body)))
        for name, value in extra:
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(body)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("content-length") or 0)
        raw = h.rfile.read(length)
        if h.path.rstrip("/") != "/v1/chat/completions":
            self._error(h, 404, f"Unknown path {h.path}", "not_found")
            return
        try:
            request = json.loads(raw)
        except ValueError:
            self._error(h, 400, "Body is not JSON", "invalid_request_error")
            return
        self.requests.append(request)
        model = request.get("model", "")
        if h.headers.get("authorization") != f"Bearer {self.api_key}" or model == "fail-401":
            self._error(h, 401, "Incorrect API key provided.", "invalid_api_key")
            return
        if model == "fail-429":
            self._error(
                h,
                429,
                "Rate limit reached for requests.",
                "rate_limit_exceeded",
                [("retry-after", "7")],
            )
            return
        if model == "fail-500":
            self._error(
                h, 500, "The server had an error while processing your request.", "server_error"
            )
            return
        if model == "slow":
            time.sleep(self.slow_seconds)
        answer = self.reply(request)
        tokens = WORD.findall(answer) or [""]
        prompt_tokens = (
            sum(len(str(m.get("content", ""))) for m in request.get("messages", [])) // 4 + 1
        )
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(tokens),
            "total_tokens": prompt_tokens + len(tokens),
        }
        ident = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        created = int(time.time())
        if not request.get("stream"):
            body = json.dumps(
                {
                    "id": ident,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": answer},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                }
            ).encode()
            h.send_response(200)
            h.send_header("content-type", "application/json")
            h.send_header("content-length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            return
        h.send_response(200)
        h.send_header("content-type", "text/event-stream")
        h.send_header("cache-control", "no-cache")
        h.send_header("transfer-encoding", "chunked")
        h.end_headers()

        def chunk(payload: dict[str, Any] | str) -> None:
            data = payload if isinstance(payload, str) else json.dumps(payload)
            event = f"data: {data}\n\n".encode()
            h.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
            h.wfile.flush()

        def delta(index: int, content: str, finish: str | None = None) -> dict[str, Any]:
            return {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "delta": ({"role": "assistant"} if index == 0 else {})
                        | ({"content": content} if content else {}),
                        "finish_reason": finish,
                    }
                ],
            }

        try:
            for index, token in enumerate(tokens):
                if model == "broken-stream" and index == 2:
                    h.wfile.flush()
                    h.close_connection = True
                    h.connection.shutdown(2)  # drop it mid-body, no terminating chunk
                    return
                if self.token_delay and index:
                    time.sleep(self.token_delay)
                self.sent_at.append((token, time.time()))
                chunk(delta(index, token))
            chunk(delta(len(tokens), "", "stop"))
            if (request.get("stream_options") or {}).get("include_usage"):
                chunk(
                    {
                        "id": ident,
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": model,
                        "choices": [],
                        "usage": usage,
                    }
                )
            chunk("[DONE]")
            h.wfile.write(b"0\r\n\r\n")
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the client stopped the run
            h.close_connection = True
