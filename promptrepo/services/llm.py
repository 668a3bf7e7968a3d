"""Calling a model: one streamed Chat Completions request through the official `openai` SDK
(`AsyncOpenAI` pointed at the connection's base URL), or the built-in offline `echo` provider.

`stream_chat` yields `Delta(text)` as tokens arrive and a final `Usage`; any provider failure
(401, 429, 5xx, a timeout, a connection refused, a stream cut off mid-answer) is raised as
`ProviderError` with a message meant for the run's page. `complete` collects a whole answer
with its timings (first token, total) and never raises for provider errors.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import certifi
import httpx

from promptrepo.services import chat
from promptrepo.services.providers import Target

if TYPE_CHECKING:  # imported when first used: `openai` takes seconds to import
    import openai

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
ECHO_TOKEN = re.compile(r"\s*\S+")


class ProviderError(Exception):
    """A provider call failed; `message` says what happened in words a user can act on."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Delta:
    text: str


@dataclass
class Usage:
    input_tokens: int | None
    output_tokens: int | None


@dataclass
class Completion:
    output: str = ""
    input_tokens: int | None = None
    output_tokens: int | None = None
    first_token_ms: float | None = None
    total_ms: float | None = None
    error: str = ""
    status: str = "done"  # done | error | stopped
    extra: dict[str, Any] = field(default_factory=dict)


def _status_message(exc: openai.APIStatusError) -> str:
    code = exc.status_code
    detail = ""
    body = exc.body
    if isinstance(body, dict):
        err = body.get("error", body)
        detail = err.get("message", "") if isinstance(err, dict) else str(err)
    detail = (detail or exc.message or "").strip()
    if code == 401:
        head = "The provider refused the API key (401 Unauthorized). Check the key in Settings."
    elif code == 403:
        head = "The provider refused this request (403 Forbidden)."
    elif code == 404:
        head = "The provider does not know this model or address (404 Not Found)."
    elif code == 429:
        retry = exc.response.headers.get("retry-after") if exc.response is not None else None
        head = "The provider is rate limiting you (429 Too Many Requests)" + (
            f"; retry after {retry} s." if retry else "; wait and re-run."
        )
    elif code >= 500:
        head = f"The provider failed ({code} server error); re-run later."
    else:
        head = f"The provider rejected the request ({code})."
    return f"{head} {detail}".strip() if detail and detail not in head else head


def _provider_error(exc: BaseException) -> ProviderError:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return ProviderError("The provider did not answer in time (timeout).")
    if isinstance(exc, openai.APIStatusError):
        return ProviderError(_status_message(exc), status=exc.status_code)
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        if isinstance(cause, httpx.RemoteProtocolError | httpx.ReadError):
            return ProviderError(
                f"The provider's stream broke off before the answer ended ({cause})."
            )
        return ProviderError(f"Could not reach the provider: {cause or exc}.")
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError("The provider stopped sending in the middle of the answer (timeout).")
    if isinstance(exc, httpx.HTTPError):
        return ProviderError(f"The provider's stream broke off before the answer ended ({exc}).")
    if isinstance(exc, openai.APIError):
        return ProviderError(f"The provider reported an error: {exc.message}")
    return ProviderError(f"The provider call failed: {exc}")


def echo_answer(messages: list[dict[str, Any]]) -> str:
    """What `echo` answers: the rendered messages, as `role: content` blocks."""
    return chat.as_text(messages)


async def _echo_stream(messages: list[dict[str, Any]]) -> AsyncIterator[Delta | Usage]:
    answer = echo_answer(messages)
    for token in ECHO_TOKEN.findall(answer):
        yield Delta(token)
        await asyncio.sleep(0)
    yield Usage(chat.approximate_tokens(answer), chat.approximate_tokens(answer))


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~0.2 s; a new client per run would pay it every time.
    return ssl.create_default_context(cafile=certifi.where())


def client_for(target: Target, timeout: httpx.Timeout | float | None = None) -> openai.AsyncOpenAI:
    import openai

    timeout = timeout or DEFAULT_TIMEOUT
    return openai.AsyncOpenAI(
        api_key=target.api_key or "none",
        base_url=target.base_url,
        timeout=timeout,
        max_retries=0,  # a 429 or 5xx is shown on the run, not hidden behind retries
        http_client=openai.DefaultAsyncHttpxClient(verify=_tls_context(), timeout=timeout),
    )


async def stream_chat(
    target: Target,
    model: str,
    messages: list[dict[str, Any]],
    params: dict[str, Any],
    *,
    timeout: httpx.Timeout | float | None = None,
) -> AsyncIterator[Delta | Usage]:
    """Stream one answer. Raises ProviderError (never an SDK or httpx exception)."""
    import openai

    if target.is_echo:
        async for event in _echo_stream(messages):
            yield event
        return
    client = client_for(target, timeout)
    stream = None
    streaming = False
    try:
        stream = await client.chat.completions.create(
            model=model,
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
            **params,
        )
        streaming = True
        async for chunk in stream:
            if chunk.choices:
                delta = chunk.choices[0].delta
                text = delta.content if delta is not None else None
                if not text and delta is not None and delta.tool_calls:
                    text = "".join(
                        (c.function.name or "") + (c.function.arguments or "")
                        for c in delta.tool_calls
                        if c.function is not None
                    )
                if text:
                    yield Delta(text)
            if chunk.usage is not None:
                yield Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
    except (openai.OpenAIError, httpx.HTTPError) as exc:
        cut_off = isinstance(exc, openai.APIConnectionError | httpx.HTTPError) and not isinstance(
            exc, openai.APITimeoutError | httpx.TimeoutException
        )
        if streaming and cut_off:
            cause = exc.__cause__ or exc
            raise ProviderError(
                f"The provider's stream broke off before the answer ended ({cause})."
            ) from None
        raise _provider_error(exc) from None
    finally:
        if stream is not None:
            await stream.close()
        await client.close()


async def complete(
    target: Target,
    model: str,
    messages: list[dict[str, Any]],
    params: dict[str, Any],
    *,
    timeout: httpx.Timeout | float | None = None,
) -> Completion:
    """A whole answer with timings; a provider failure is in `error` (status `error`) with
    whatever arrived before it kept in `output`."""
    result = Completion()
    parts: list[str] = []
    started = time.perf_counter()
    try:
        async for event in stream_chat(target, model, messages, params, timeout=timeout):
            if isinstance(event, Delta):
                if result.first_token_ms is None:
                    result.first_token_ms = (time.perf_counter() - started) * 1000
                parts.append(event.text)
            else:
                result.input_tokens, result.output_tokens = event.input_tokens, event.output_tokens
    except ProviderError as exc:
        result.error, result.status = exc.message, "error"
    result.output = "".join(parts)
    result.total_ms = (time.perf_counter() - started) * 1000
    return result
