"""The HTTP side of serving (services/serving.py is the path itself).

`admit_and_serve` is what every route that serves a prompt does: one `gate.admit` (auth, rate
limit and the cached entry in one Redis round trip), then `serving.serve`.

`ServingFastPath` answers the two hottest GETs before FastAPI's routing: REST
`GET /api/v1/prompts/{id}/resolve` and Langfuse's `GET /api/public/v2/prompts/{name}`. A hit
needs no routing through every API route, no dependency solving and no Response object:
parse the path, one `gate.admit`, send the cached bytes. Anything else (an error, an odd
query, missing credentials) goes on to the FastAPI route, which reuses the admission already
made (so the request is counted once) and words the answer.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from urllib.parse import parse_qsl, unquote

from promptrepo.api import gate
from promptrepo.services import serving, splits
from promptrepo.services.errors import NotAuthenticated, ServiceError, ValidationFailed
from promptrepo.services.serving import MAX_VERSION, Served, Wanted

ADMISSION_STATE = "gate_admission"
RESOLVE_PREFIX = "/api/v1/prompts/"
RESOLVE_SUFFIX = "/resolve"
LANGFUSE_PREFIX = "/api/public/v2/prompts/"
# Which version answered (a split label serves several): on every served answer.
VERSION_HEADER = b"x-prompt-version"


async def admit_and_serve(
    request, token: str, wanted: Wanted, *, public_key: str | None = None, key: str | None = None
):
    """Authenticate `token`, count the request, and serve `wanted` (NotFound & co. raise);
    `key` picks the version of a split label (services/splits.py).

    With `public_key` (HTTP Basic's user name), the key must be that key's secret.
    Returns (principal, served)."""
    # The fast path may have admitted this request already.
    admission = request.scope.get("state", {}).pop(ADMISSION_STATE, None)
    try:
        if isinstance(admission, Exception):
            raise admission
        if admission is None:
            admission = await gate.admit(token, wanted.key)
    except gate.ApiRateLimited as exc:
        request.state.ratelimit = exc.status
        raise
    request.state.ratelimit = admission.limit
    if public_key is not None and admission.principal.api_key_public_key != public_key:
        raise NotAuthenticated("The public key does not belong to this secret key.")
    served = await serving.serve(
        admission.principal, wanted, admission.entry, admission.generation, key
    )
    return admission.principal, served


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """(public key, secret) of an `Authorization: Basic …` header, or None."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded or len(encoded) > 4096:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    public_key, colon, secret = decoded.partition(":")
    if not colon or not public_key or not secret:
        return None
    return public_key, secret


# --------------------------------------------------------------------------- the fast path
class _ResolveRoute:
    """What MetricsMiddleware reads from scope["route"] for requests served here."""

    path = "/api/v1/prompts/{prompt_id}/resolve"


class _LangfuseRoute:
    path = "/api/public/v2/prompts/{name}"


def _query(scope) -> dict[str, str] | None:
    """label/version/key of the query string, or None when it is odd (the route words it)."""
    if not scope["query_string"]:
        return {}
    try:
        params = parse_qsl(
            scope["query_string"].decode(), keep_blank_values=True, strict_parsing=True
        )
    except (UnicodeDecodeError, ValueError):
        return None
    if any(not value for _, value in params):  # `?key=`: the route says what is wrong
        return None
    names = [name for name, _ in params]
    if len(set(names)) != len(names) or not set(names) <= {"label", "version", "key"}:
        return None
    query = dict(params)
    if "version" in query and (
        not query["version"].isdigit() or not 1 <= int(query["version"]) <= MAX_VERSION
    ):
        return None
    if len(query.get("label", "")) > 36:
        return None
    if "key" in query and not 1 <= len(query["key"]) <= splits.MAX_KEY_LENGTH:
        return None
    return query


class ServingFastPath:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path = scope["path"]
            if path.startswith(RESOLVE_PREFIX) and path.endswith(RESOLVE_SUFFIX):
                answered = await self._resolve(scope, send)
            elif path.startswith(LANGFUSE_PREFIX):
                answered = await self._langfuse(scope, send)
            else:
                answered = False
            if answered:
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _headers(scope) -> tuple[str | None, str | None]:
        authorization = if_none_match = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
        return authorization, if_none_match

    @staticmethod
    async def _admit(
        scope, token: str, wanted: Wanted, public_key: str | None, key: str | None
    ) -> Served | None:
        state = scope.setdefault("state", {})
        try:
            admission = await gate.admit(token, wanted.key)
        except Exception as exc:  # let the route answer it (401, 429...) without counting twice
            state[ADMISSION_STATE] = exc
            return None
        state[ADMISSION_STATE] = admission
        state["ratelimit"] = admission.limit
        if public_key is not None and admission.principal.api_key_public_key != public_key:
            return None
        try:
            served = await serving.serve(
                admission.principal, wanted, admission.entry, admission.generation, key
            )
        except ServiceError:  # not found, not yours...: the route words the answer
            return None
        # the route must not serve the entry to this request again: it is answered here
        state.pop(ADMISSION_STATE, None)
        return served

    async def _resolve(self, scope, send) -> bool:
        raw_id = scope["path"][len(RESOLVE_PREFIX) : -len(RESOLVE_SUFFIX)]
        if len(raw_id) != 36:
            return False
        try:
            prompt_id = uuid.UUID(raw_id)
        except ValueError:
            return False
        query = _query(scope)
        if query is None:
            return False
        authorization, if_none_match = self._headers(scope)
        token = gate.bearer_token(authorization)
        if token is None:
            return False
        version = int(query["version"]) if "version" in query else None
        try:
            wanted = serving.by_id(prompt_id, query.get("label"), version)
        except ValidationFailed:
            return False
        served = await self._admit(scope, token, wanted, None, query.get("key"))
        if served is None:
            return False
        scope["route"] = _ResolveRoute
        headers = [
            (b"etag", served.etag_bytes),
            (b"cache-control", b"private, no-cache"),
            (VERSION_HEADER, served.version_bytes),
        ]
        if if_none_match and serving.etag_matches(if_none_match, served.etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return True
        await _send_json(send, served.body_bytes, headers)
        return True

    async def _langfuse(self, scope, send) -> bool:
        raw_name = scope.get("raw_path") or scope["path"].encode()
        raw_name = raw_name.split(b"?", 1)[0][len(LANGFUSE_PREFIX) :]
        if not raw_name or b"/" in raw_name:  # folder names arrive URL-encoded
            return False
        name = unquote(raw_name.decode("latin-1"))
        query = _query(scope)
        if query is None:
            return False
        authorization, _ = self._headers(scope)
        credentials = basic_credentials(authorization)
        if credentials is None:
            return False
        public_key, secret = credentials
        version = int(query["version"]) if "version" in query else None
        try:
            wanted = serving.by_name(public_key, name, query.get("label"), version)
        except ServiceError:
            return False
        served = await self._admit(scope, secret, wanted, public_key, query.get("key"))
        if served is None:
            return False
        scope["route"] = _LangfuseRoute
        await _send_json(send, served.langfuse_bytes, [(VERSION_HEADER, served.version_bytes)])
        return True


async def _send_json(send, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers.append((b"content-type", b"application/json"))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
