"""ASGI middleware, last in the app's `api_transformer` chain: security headers on every response.

Pages, static files, the API, Reflex's own endpoints and error answers all pass through it:

- `Content-Security-Policy`. HTML pages (and answers without a Content-Type, such as a 304
  that revalidates a cached page) get the policy the app runs under (below); every other
  response gets `default-src 'none'; frame-ancestors 'none'` (an API answer or a script file
  opened as a document runs nothing). The API docs page (Swagger UI from this server,
  api/docs.py) gets a policy of its own with the hashes of its inline script.
- Cross-origin isolation for pages (`Cross-Origin-Opener-Policy: same-origin`,
  `Cross-Origin-Embedder-Policy: require-corp`): the policy already loads nothing from other
  origins, and isolation lets the editor's live channel share memory with its worker (a blob:
  `worker-src 'self' blob:`), so a keystroke's answer shows in that keystroke's frame
  (components/live_preview.jsx).
- `X-Frame-Options: DENY` (with `frame-ancestors 'none'`), `X-Content-Type-Options: nosniff`,
  `Referrer-Policy: strict-origin-when-cross-origin`, a `Permissions-Policy` that turns off
  the device APIs we never use, and `Strict-Transport-Security` when PUBLIC_URL is https.

The page policy, and the Reflex internals it depends on (reflex 0.10.1):
- `script-src 'self'` plus the SHA-256 of every inline `<script>` in the prerendered pages.
  React Router's prerender (`reflex export`/`reflex run --env prod`, output in
  `.web/build/client/**.html`) inlines the color-mode script, the scroll restorer, the
  route-module import and `__reactRouterContext` stream chunks; and React 19 runs the
  `<script>` elements it renders (`rx.script`, e.g. the editor's unload guard), whose text is
  a string literal in a vite bundle (`assets/*.js`). All are hashed once, on the first page
  served, from the built files themselves, so a new build needs no list kept by hand.
- `'unsafe-eval'`: Reflex's frontend (`.web/utils/state.js`, `applyEvent`) runs the
  `_call_script`/`_call_function` events that the server sends (every `rx.toast`, `rx.call_script`,
  and the callbacks of `rx.call_function`) with `eval()`. Without it no toast would show.
  `'unsafe-inline'` is *not* allowed: injected markup cannot run script.
- `style-src 'self' 'unsafe-inline'`: Radix Themes and Emotion write `<style>` elements and
  style attributes at run time.
- `connect-src 'self'` and the websocket at PUBLIC_URL's host (`ws:`/`wss:`), which
  `getBackendURL` in state.js derives from the page's own host in production.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from promptrepo.api.static_headers import _static_dir
from promptrepo.settings import settings

DOCS_PATH = "/api/docs"
NON_DOCUMENT_POLICY = "default-src 'none'; frame-ancestors 'none'"
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
    "magnetometer=(), gyroscope=(), accelerometer=(), browsing-topics=()"
)
HSTS = "max-age=31536000; includeSubDomains"
# An inline script: a <script> element without a src attribute, and its exact text.
INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)


def script_hashes(html: str) -> list[str]:
    """CSP source expressions ('sha256-…') for the inline scripts of an HTML document."""
    out = []
    for body in INLINE_SCRIPT.findall(html):
        if body.strip():
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            out.append(f"'sha256-{digest}'")
    return out


# An `rx.script("…")` as vite's minifier leaves it in a bundle: jsx(`script`, {…}, `code`).
BUNDLED_SCRIPT = re.compile(
    r"""\((["`])script\1,\{[^{}]*\},(["`])((?:[^\\]|\\.)*?)\2\)""", re.DOTALL
)
JS_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.DOTALL)
JS_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _js_unescape(literal: str) -> str:
    def one(match: re.Match) -> str:
        code = match.group(1)
        if code.startswith("u{"):
            return chr(int(code[2:-1], 16))
        if code[0] in "ux" and len(code) > 1:
            return chr(int(code[1:], 16))
        if code == "\n":  # a line continuation
            return ""
        return JS_SIMPLE_ESCAPES.get(code, code)

    return JS_ESCAPE.sub(one, literal)


def bundled_script_hashes(js: str) -> list[str]:
    """Hashes of the inline scripts that React renders from a bundle (`rx.script` children):
    React 19 runs a <script> element it creates, so CSP checks its text like any other."""
    out = []
    for _quote, _q2, literal in BUNDLED_SCRIPT.findall(js):
        if "${" in literal.replace("\\${", ""):
            continue  # built at run time: it cannot have a fixed hash
        body = _js_unescape(literal)
        if body.strip():
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            out.append(f"'sha256-{digest}'")
    return out


def prerendered_script_hashes(static_dir: Path) -> list[str]:
    """The hashes of every inline script of the built app, each once, in a stable order: those
    in the prerendered pages, and those React renders from the JS bundles (dynamic routes,
    such as the editor, are not prerendered)."""
    hashes: dict[str, None] = {}
    for page in sorted(static_dir.rglob("*.html")):
        for source in script_hashes(page.read_text(errors="replace")):
            hashes[source] = None
    for bundle in sorted(static_dir.glob("assets/*.js")):
        text = bundle.read_text(errors="replace")
        if "script" in text:
            for source in bundled_script_hashes(text):
                hashes[source] = None
    return list(hashes)


def websocket_origin() -> str:
    """PUBLIC_URL's origin as the websocket's scheme (ws: or wss:)."""
    origin = settings.public_origin
    return origin.replace("https://", "wss://", 1).replace("http://", "ws://", 1)


def page_policy(hashes: Iterable[str]) -> str:
    """The Content-Security-Policy of the app's pages."""
    directives = [
        "default-src 'self'",
        " ".join(["script-src 'self' 'unsafe-eval'", *hashes]),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        f"connect-src 'self' {websocket_origin()}",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    if settings.uses_https:
        directives.append("upgrade-insecure-requests")
    return "; ".join(directives)


def docs_policy(hashes: Iterable[str]) -> str:
    """The API docs page: Swagger UI's script and styles from this server (api/docs.py), its
    inline start-up."""
    return "; ".join(
        [
            "default-src 'self'",
            " ".join(["script-src 'self'", *hashes]),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def common_headers() -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"permissions-policy", PERMISSIONS_POLICY.encode()),
    ]
    if settings.uses_https:
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


OWN_HEADERS = {
    b"content-security-policy",
    b"x-content-type-options",
    b"x-frame-options",
    b"referrer-policy",
    b"permissions-policy",
    b"strict-transport-security",
    b"cross-origin-opener-policy",
    b"cross-origin-embedder-policy",
}
# Cross-origin isolation for the app's pages: every resource a page loads is its own
# origin's (the policy above), and isolation gives the editor's live channel memory shared
# with its worker (components/live_preview.jsx: answers shown in the keystroke's own frame).
ISOLATION_HEADERS = [
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-embedder-policy", b"require-corp"),
]


class SecurityHeadersMiddleware:
    def __init__(self, app, static_dir: Callable[[], Path] = _static_dir) -> None:
        self.app = app
        self._static_dir = static_dir
        self._common = common_headers()
        self._page_policy: bytes | None = None

    def page_policy(self) -> bytes:
        if self._page_policy is None:
            directory = self._static_dir()
            hashes = prerendered_script_hashes(directory) if directory.is_dir() else []
            self._page_policy = page_policy(hashes).encode()
        return self._page_policy

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].rstrip("/") == DOCS_PATH:
            await self._docs(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": self._headers(message, None)}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(self, message, policy: bytes | None) -> list[tuple[bytes, bytes]]:
        headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in OWN_HEADERS]
        if policy is None:
            content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
            # A 304 has no Content-Type, and the browser puts its headers on the cached page
            # it revalidated: answers without one get the page policy too.
            document = not content_type or content_type.lower().startswith(b"text/html")
            policy = self.page_policy() if document else NON_DOCUMENT_POLICY.encode()
            if document:
                headers.extend(ISOLATION_HEADERS)
        headers.append((b"content-security-policy", policy))
        headers.extend(self._common)
        return headers

    async def _docs(self, scope, receive, send) -> None:
        """Hold the (small) docs page back until its inline scripts are hashed."""
        start: dict | None = None
        chunks: list[bytes] = []

        async def buffer(message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            policy = docs_policy(script_hashes(body.decode(errors="replace"))).encode()
            await send({**start, "headers": self._headers(start, policy)})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffer)


def security_headers(app) -> SecurityHeadersMiddleware:
    """The `api_transformer` entry: wrap the whole ASGI app (outermost of ours)."""
    return SecurityHeadersMiddleware(app)
