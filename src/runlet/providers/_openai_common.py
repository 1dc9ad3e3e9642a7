"""Private helpers shared by the shipped HTTP providers.

The two OpenAI providers (Responses, Chat Completions) share all of it: building
the `AsyncOpenAI` client, the `options["openai"]` pass-through rules, the
mapping of SDK exceptions to Runlet's `ProviderError`s, and the stream relay.
`AnthropicProvider` reuses the provider-neutral parts (option pass-through,
redaction, HTTP status mapping, the stream relay) so all three behave alike.

Importing this module imports no SDK.
"""

from __future__ import annotations

import asyncio

import inspect
import os
import re
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

from runlet.core._frozen import frozen
from runlet.core.errors import (
    AuthenticationFailed,
    BadRequest,
    ContentFiltered,
    ContextLengthExceeded,
    MalformedResponse,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    UserError,
)
from runlet.core.models import ModelStreamEvent, ResponseCompleted

if TYPE_CHECKING:
    from openai import AsyncOpenAI, NotGiven

OPENAI = "openai"
"""The key of the OpenAI providers' options in `ModelRequest.options`."""

PLACEHOLDER_API_KEY = "runlet-no-api-key"
"""Sent as the key when none is configured and a base URL is given (local servers)."""

SDK_REQUEST_OPTIONS = frozenset({"extra_headers", "extra_query", "extra_body", "timeout"})
"""Per-request options both SDKs take besides the API parameters."""

_SECRET_PATTERN = re.compile(r"\b((?:sk-ant-|sk-)[A-Za-z0-9_\-]{2})[A-Za-z0-9_\-]{6,}")
SCHEMA_NAME = re.compile(r"[^A-Za-z0-9_-]")
"""Characters not allowed in a schema or tool name sent to the APIs."""

E = TypeVar("E")
E_co = TypeVar("E_co", covariant=True)


def schema_name(name: str) -> str:
    """`name` made safe for the APIs' `name` fields (letters, digits, `_`, `-`; 64 at most)."""
    return SCHEMA_NAME.sub("_", name)[:64] or "output"


# -- secrets ---------------------------------------------------------------------------


class Redactor:
    """Removes API keys from text that may end up in an exception or an event."""

    def __init__(self, *keys: str | None) -> None:
        self.secrets = tuple(
            key for key in keys if key and key != PLACEHOLDER_API_KEY and len(key) >= 8
        )

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return _SECRET_PATTERN.sub(r"\1***", text)


# -- request options -------------------------------------------------------------------


@frozen
class CallOptions:
    """The SDK's per-request options taken from `options[<provider>]`."""

    extra_headers: Mapping[str, str] | None = None
    extra_query: Mapping[str, object] | None = None
    extra_body: Mapping[str, object] | None = None
    timeout: float | None = None
    has_timeout: bool = False


def api_parameters(method: Callable[..., object]) -> frozenset[str]:
    """The API parameters an SDK method takes (its keyword arguments but the request options)."""
    return frozenset(inspect.signature(method).parameters) - SDK_REQUEST_OPTIONS - {"stream", "self"}


def apply_options(
    raw: Mapping[str, object] | None,
    body: dict[str, object],
    *,
    key: str,
    parameters: frozenset[str],
    method: str,
    merge: frozenset[str] = frozenset(),
    replaces: Mapping[str, str] | None = None,
) -> CallOptions:
    """Apply `options[key]` to the request `body` and return the SDK's request options.

    `extra_headers`, `extra_query`, `extra_body` and `timeout` become the SDK's
    request options; every other key must be an API parameter of `method`
    (listed in `parameters`) and wins over what the provider derived. A key in
    `merge` given as a mapping is merged over the derived mapping; a key of
    `replaces` drops the derived parameter it names (`max_completion_tokens`
    replaces `max_tokens`). `stream` is refused.
    """
    if raw is None:
        return CallOptions()
    extra_headers: Mapping[str, str] | None = None
    extra_query: Mapping[str, object] | None = None
    extra_body: Mapping[str, object] | None = None
    timeout: float | None = None
    has_timeout = False
    for name, value in raw.items():
        if name == "extra_headers":
            extra_headers = _string_mapping(value, key, name)
        elif name == "extra_query":
            extra_query = _object_mapping(value, key, name)
        elif name == "extra_body":
            extra_body = _object_mapping(value, key, name)
        elif name == "timeout":
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise UserError(f'options["{key}"]["timeout"] must be a number of seconds or None')
            timeout, has_timeout = value, True
        elif name == "stream":
            raise UserError(f'options["{key}"]["stream"] is not allowed: call provider.stream() to stream')
        elif name in parameters:
            previous = body.get(name)
            if name in merge and isinstance(previous, dict) and isinstance(value, Mapping):
                body[name] = {**cast("dict[str, object]", previous), **cast("Mapping[str, object]", value)}
            else:
                body[name] = value
            if replaces is not None and name in replaces:
                body.pop(replaces[name], None)
        else:
            raise UserError(
                f'options["{key}"] has unknown key {name!r}: {method} does not take it; '
                'put API fields the SDK does not know under "extra_body"'
            )
    return CallOptions(extra_headers, extra_query, extra_body, timeout, has_timeout)


def _string_mapping(value: object, key: str, name: str) -> Mapping[str, str] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        mapping = cast("Mapping[object, object]", value)
        if all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
            return cast("Mapping[str, str]", mapping)
    raise UserError(f'options["{key}"][{name!r}] must be a mapping of strings to strings')


def _object_mapping(value: object, key: str, name: str) -> Mapping[str, object] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        mapping = cast("Mapping[object, object]", value)
        if all(isinstance(k, str) for k in mapping):
            return cast("Mapping[str, object]", mapping)
    raise UserError(f'options["{key}"][{name!r}] must be a mapping with string keys')


# -- errors ------------------------------------------------------------------------------


def status_error(
    status: int, text: str, *, provider: str, context_exceeded: bool, out_of_credit: bool = False
) -> ProviderError:
    """The Runlet error for an HTTP error status; `text` is already redacted."""
    if status == 429:
        error: ProviderError = RateLimited(text, provider=provider, status_code=status)
        if out_of_credit:
            error.retryable = False  # waiting does not help
        return error
    if status >= 500 or status == 408:
        return ProviderUnavailable(text, provider=provider, status_code=status)
    if status in (401, 403):
        return AuthenticationFailed(text, provider=provider, status_code=status)
    if status in (400, 413) and context_exceeded:
        return ContextLengthExceeded(text, provider=provider, status_code=status)
    if status in (400, 404, 413, 422):
        return BadRequest(text, provider=provider, status_code=status)
    return ProviderError(text, provider=provider, status_code=status)


def body_message(body: object, fallback: str) -> str:
    """The `message` of an API error body (`{"message": ...}` or `{"error": {"message": ...}}`)."""
    if isinstance(body, Mapping):
        mapping = cast("Mapping[str, object]", body)
        message = mapping.get("message")
        if isinstance(message, str) and message:
            return message
        inner = mapping.get("error")
        if isinstance(inner, Mapping):
            message = cast("Mapping[str, object]", inner).get("message")
            if isinstance(message, str) and message:
                return message
    return fallback


def int_attr(obj: object, name: str) -> int:
    """An int field, or 0 when a compatible server left it out."""
    value: object = getattr(obj, name, None)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


_CONTENT_POLICY_CODES = frozenset(
    {
        "bio_policy",
        "misalignment_policy_violation",
        "image_content_policy_violation",
        "content_filter",
        "content_policy_violation",
    }
)


def openai_error_kind(code: str | None, message: str) -> type[ProviderError]:
    """The Runlet error class for an OpenAI API error code (a failed response, an error event)."""
    lowered = message.lower()
    if code == "context_length_exceeded" or "maximum context length" in lowered:
        return ContextLengthExceeded
    if code is None:
        return ProviderError
    if code in ("rate_limit_exceeded", "rate_limit_error"):
        return RateLimited
    if code in ("server_error", "vector_store_timeout", "timeout", "service_unavailable"):
        return ProviderUnavailable
    if code in _CONTENT_POLICY_CODES:
        return ContentFiltered
    if code.startswith(("invalid_", "image_", "unsupported_")) or code in (
        "data_residency_mismatch",
        "empty_image_file",
        "failed_to_download_image",
    ):
        return BadRequest
    return ProviderError


class OpenAIConnection:
    """An `AsyncOpenAI` client with the key redaction and error mapping both OpenAI providers use."""

    def __init__(
        self,
        owner: str,
        *,
        base_url: str | None,
        api_key: str | None,
        client: AsyncOpenAI | None,
        timeout: float | None,
        max_retries: int,
        organization: str | None,
        project: str | None,
        default_headers: Mapping[str, str] | None,
    ) -> None:
        try:
            import openai
        except ImportError as exc:
            raise UserError(f'{owner} needs the openai package: pip install "runlet[openai]"') from exc

        self.owner = owner
        self.not_given: NotGiven = openai.NOT_GIVEN
        if client is not None:
            given = [
                name
                for name, value in (
                    ("base_url", base_url),
                    ("api_key", api_key),
                    ("timeout", timeout),
                    ("organization", organization),
                    ("project", project),
                    ("default_headers", default_headers),
                )
                if value is not None
            ]
            if max_retries != 0:
                given.append("max_retries")
            if given:
                raise UserError(
                    f"{owner}: pass either client= or connection settings, not both "
                    f"(got client= and {', '.join(given)}=); configure your client instead"
                )
            self.client = client
            self.redact = Redactor(client.api_key)
            return
        key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        if not key:
            if not (base_url or os.environ.get("OPENAI_BASE_URL")):
                raise UserError(
                    f"{owner}: no API key; pass api_key= or set OPENAI_API_KEY "
                    "(a key is optional only with base_url=, for local servers)"
                )
            key = PLACEHOLDER_API_KEY
        self.redact = Redactor(key)
        try:
            self.client = openai.AsyncOpenAI(
                api_key=key,
                base_url=base_url,
                timeout=openai.NOT_GIVEN if timeout is None else timeout,
                max_retries=max_retries,
                organization=organization,
                project=project,
                default_headers=default_headers,
            )
        except openai.OpenAIError as exc:
            raise UserError(f"{owner}: {self.redact(str(exc))}") from exc

    def error_for_code(self, code: str | None, message: str, status_code: int | None = None) -> ProviderError:
        """The error for an API error code sent inside a 200 response or a stream."""
        text = self.redact(f"OpenAI error{f' [{code}]' if code else ''}: {message}")
        return openai_error_kind(code, message)(text, provider=OPENAI, status_code=status_code)

    def provider_error(self, exc: BaseException) -> ProviderError | None:
        """The Runlet error for an SDK exception, or `None` when `exc` is not the SDK's."""
        import openai

        if isinstance(exc, ProviderError):
            return exc
        if isinstance(exc, openai.APITimeoutError):
            return ProviderUnavailable("OpenAI request timed out", provider=OPENAI)
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__
            detail = f" ({type(cause).__name__}: {cause})" if cause is not None else ""
            return ProviderUnavailable(
                self.redact(f"could not reach the OpenAI API at {self.client.base_url}: {exc.message}{detail}"),
                provider=OPENAI,
            )
        if isinstance(exc, openai.APIResponseValidationError):
            return MalformedResponse(
                self.redact(f"OpenAI sent a response Runlet cannot read: {exc.message}"),
                provider=OPENAI,
                status_code=exc.status_code,
            )
        if isinstance(exc, openai.APIStatusError):
            code, status = exc.code, exc.status_code
            message = body_message(exc.body, exc.message)
            text = self.redact(f"OpenAI API error {status}{f' [{code}]' if code else ''}: {message}")
            return status_error(
                status,
                text,
                provider=OPENAI,
                context_exceeded=openai_error_kind(code, message) is ContextLengthExceeded,
                out_of_credit=code == "insufficient_quota",
            )
        if isinstance(exc, openai.APIError):
            return self.error_for_code(exc.code, body_message(exc.body, exc.message))
        if isinstance(exc, openai.OpenAIError):
            return ProviderError(self.redact(f"OpenAI SDK error: {exc}"), provider=OPENAI)
        return None


# -- streams -----------------------------------------------------------------------------


class ClosableStream(Protocol[E_co]):
    """An SDK stream: async-iterable, and closable (which closes the HTTP response)."""

    def __aiter__(self) -> AsyncIterator[E_co]: ...

    async def close(self) -> None: ...


async def relay(
    sdk_stream: ClosableStream[E],
    step: Callable[[E], list[ModelStreamEvent]],
    end: Callable[[], list[ModelStreamEvent]],
    *,
    to_error: Callable[[BaseException], ProviderError | None],
    redact: Callable[[str], str],
    provider: str,
    marker: str,
) -> AsyncGenerator[ModelStreamEvent, None]:
    """Yield what `step` makes of each SDK event, then what `end` makes when the stream ends.

    After a `ResponseCompleted` the relay reads what is left of the HTTP body
    (normally nothing but its end, within a second at most) before yielding it,
    so the connection goes back to the pool instead of being dropped; then it
    stops (the consumer may stop iterating right after it). A transport failure
    raises `ProviderUnavailable` (which the runtime may retry) only while nothing
    has been yielded, and `MalformedResponse` after that, so a retry never
    replays output the consumer has already seen; a data line that is not JSON
    raises `MalformedResponse`. `marker` names the completion event in messages.
    """
    yielded = False
    try:
        try:
            async for event in sdk_stream:
                for out in step(event):
                    if isinstance(out, ResponseCompleted):
                        await _read_to_end(sdk_stream)
                        yield out
                        return
                    yield out
                    yielded = True
            for out in end():
                yield out
        except ProviderError:
            raise
        except ValueError as exc:  # a data line that is not JSON
            raise MalformedResponse(
                f"the {provider} stream sent an event Runlet cannot read: {redact(str(exc))}",
                provider=provider,
            ) from exc
        except Exception as exc:
            error = to_error(exc)
            if error is None:
                raise
            if yielded and isinstance(error, ProviderUnavailable):
                raise MalformedResponse(f"stream ended before {marker}: {error}", provider=provider) from exc
            raise error from exc
    finally:
        await sdk_stream.close()


async def _read_to_end(sdk_stream: ClosableStream[object], timeout: float = 1.0) -> None:
    """Read and drop the rest of a finished stream, so its connection can be reused."""

    async def drain() -> None:
        async for _ in sdk_stream:
            pass

    try:
        await asyncio.wait_for(drain(), timeout)
    except Exception:  # whatever is left is not ours to report; the stream is closed next
        pass
