"""The envelope of every SDK call the shipped providers make.

`Envelope.send()` makes the call with the request options and the timeout, and
turns the SDK's exceptions into Runlet's typed `ProviderError`s (retryable or
not); `Envelope.stream()` does the same for a stream and then relays its
events. The mapping of the exception classes both SDKs share (timeouts,
connection failures, unreadable responses) lives here; `Sdk.classify` maps
what is particular to one SDK (its status errors and error codes), with the
help of `status_error()`.

Importing this module imports no SDK.
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import math
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from typing import Generic, Protocol, TypeVar, cast

from typing_extensions import TypedDict

from runlet.core._frozen import frozen
from runlet.core.errors import (
    AuthenticationFailed,
    BadRequest,
    ContextLengthExceeded,
    MalformedResponse,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    StreamInterrupted,
)
from runlet.core.models import ModelStreamEvent, ResponseCompleted
from runlet.providers._connection import Redactor
from runlet.providers._options import CallOptions

T = TypeVar("T")
E = TypeVar("E")
E_co = TypeVar("E_co", covariant=True)
TimeoutT = TypeVar("TimeoutT")
TimeoutT_co = TypeVar("TimeoutT_co", covariant=True)


class SdkClient(Protocol[TimeoutT_co]):
    """What the envelope reads of an SDK client (`AsyncOpenAI` and `AsyncAnthropic` fit)."""

    @property
    def api_key(self) -> str | None: ...

    @property
    def base_url(self) -> object: ...

    @property
    def timeout(self) -> TimeoutT_co: ...


class SdkOptions(TypedDict, Generic[TimeoutT]):
    """The per-request keyword arguments every SDK create method takes."""

    extra_headers: Mapping[str, str] | None
    extra_query: Mapping[str, object] | None
    extra_body: Mapping[str, object] | None
    timeout: float | TimeoutT | None


class ClosableStream(Protocol[E_co]):
    """An SDK stream: async-iterable, and closable (which closes the HTTP response)."""

    def __aiter__(self) -> AsyncIterator[E_co]: ...

    async def close(self) -> None: ...


class _Failure(Protocol):
    @property
    def message(self) -> str: ...


class _StatusFailure(_Failure, Protocol):
    @property
    def status_code(self) -> int: ...


class SdkExceptions(Protocol):
    """The exception classes every Stainless-built SDK defines (the `openai` and `anthropic` modules fit)."""

    @property
    def APITimeoutError(self) -> type[Exception]: ...

    @property
    def APIConnectionError(self) -> type[_Failure]: ...

    @property
    def APIResponseValidationError(self) -> type[_StatusFailure]: ...


@frozen
class Sdk:
    """An SDK as the envelope sees it: its name, its exceptions, and its own mapping."""

    name: str
    """How messages name it: `"OpenAI"`, `"Anthropic"`."""
    provider: str
    """The `provider` of the errors."""
    exceptions: SdkExceptions
    """The SDK's module."""
    error: type[Exception]
    """The base class of its exceptions."""
    classify: Callable[[BaseException, Redactor], ProviderError | None]
    """The Runlet error for what the classes above do not cover (status errors), or `None`."""


class Envelope(Generic[TimeoutT]):
    """Calls one SDK client for a provider: request options in, Runlet's errors out."""

    def __init__(self, client: SdkClient[TimeoutT], sdk: Sdk) -> None:
        self._client = client
        self._sdk = sdk
        self.redact = Redactor(client.api_key)

    async def send(self, create: Callable[[SdkOptions[TimeoutT]], Awaitable[T]], options: CallOptions) -> T:
        """Await `create(request options)`, raising the SDK's exceptions as `ProviderError`s.

        The timeout is the one of `options` when it has one, else the client's
        own, sent explicitly (the Anthropic SDK refuses a large `max_tokens`
        without a stream unless a timeout is given; the bound of the whole call
        is the runtime's `model_timeout`).
        """
        sdk_options: SdkOptions[TimeoutT] = {
            "extra_headers": options.extra_headers,
            "extra_query": options.extra_query,
            "extra_body": options.extra_body,
            "timeout": options.timeout if options.has_timeout else self._client.timeout,
        }
        try:
            return await create(sdk_options)
        except Exception as exc:
            error = self.error(exc)
            if error is None:
                raise
            raise error from exc

    async def stream(
        self,
        create: Callable[[SdkOptions[TimeoutT]], Awaitable[ClosableStream[E]]],
        options: CallOptions,
        step: Callable[[E], list[ModelStreamEvent]],
        *,
        marker: str,
        end: Callable[[], list[ModelStreamEvent]] | None = None,
    ) -> AsyncGenerator[ModelStreamEvent, None]:
        """Open the stream with `send()`, then yield what `step` makes of each SDK event.

        When the SDK stream ends, `end` makes the last events; without `end`, a
        stream that ends before its completion event (`marker`, as messages
        name it) raises `StreamInterrupted`. After a `ResponseCompleted` the
        rest of the HTTP body (normally nothing but its end, within a second
        at most) is read before yielding it, so the connection goes back to
        the pool instead of being dropped; then the relay stops (the consumer
        may stop iterating right after it). A broken stream raises
        `StreamInterrupted`, which the runtime retries like a 5xx (telling a
        stream's consumer to discard what it showed): a transport failure
        once the stream is open, an end before the completion event, and an
        event Runlet cannot read (not JSON, or not the shape of the API's
        events). The SDK stream is closed in the end.
        """
        sdk_stream = await self.send(create, options)
        provider = self._sdk.provider
        try:
            try:
                async for event in sdk_stream:
                    for out in step(event):
                        if isinstance(out, ResponseCompleted):
                            await _read_to_end(sdk_stream)
                            yield out
                            return
                        yield out
                if end is None:
                    raise StreamInterrupted(f"the {provider} stream ended before {marker}", provider=provider)
                for out in end():
                    yield out
            except ProviderError:
                raise
            except (ValueError, AttributeError, TypeError, KeyError, IndexError) as exc:  # not JSON, or not the API's shape
                raise StreamInterrupted(
                    f"the {provider} stream sent an event Runlet cannot read: {self.redact(repr(exc))}",
                    provider=provider,
                ) from exc
            except Exception as exc:
                error = self.error(exc)
                if error is None:
                    raise
                if type(error) is ProviderUnavailable and error.status_code is None:  # the connection, not an error event
                    raise StreamInterrupted(f"the {provider} stream broke before {marker}: {error}", provider=provider) from exc
                raise error from exc
        finally:
            await sdk_stream.close()

    def error(self, exc: BaseException) -> ProviderError | None:
        """The Runlet error for an exception of the SDK, or `None` when `exc` is not the SDK's.

        The error's `retry_after` is what the HTTP response asked for
        (`retry_after()`), when it asked.
        """
        error = self._classified(exc)
        if error is not None and error.retry_after is None:
            error.retry_after = retry_after(exc)
        return error

    def _classified(self, exc: BaseException) -> ProviderError | None:
        sdk = self._sdk
        if isinstance(exc, ProviderError):
            return exc
        if isinstance(exc, sdk.exceptions.APITimeoutError):
            return ProviderUnavailable(f"{sdk.name} request timed out", provider=sdk.provider)
        if isinstance(exc, sdk.exceptions.APIConnectionError):
            cause = exc.__cause__
            detail = f" ({type(cause).__name__}: {cause})" if cause is not None else ""
            return ProviderUnavailable(
                self.redact(f"could not reach the {sdk.name} API at {self._client.base_url}: {exc.message}{detail}"),
                provider=sdk.provider,
            )
        if isinstance(exc, sdk.exceptions.APIResponseValidationError):
            return MalformedResponse(
                self.redact(f"{sdk.name} sent a response Runlet cannot read: {exc.message}"),
                provider=sdk.provider,
                status_code=exc.status_code,
            )
        error = sdk.classify(exc, self.redact)
        if error is not None or not isinstance(exc, sdk.error):
            return error
        return ProviderError(self.redact(f"{sdk.name} SDK error: {exc}"), provider=sdk.provider)

    def unreadable(self, what: str, exc: Exception) -> MalformedResponse:
        """The error for a response (`what`) the provider could not map; `exc` says why."""
        return MalformedResponse(f"{what} Runlet cannot read: {self.redact(repr(exc))}", provider=self._sdk.provider)


async def _read_to_end(sdk_stream: ClosableStream[object], timeout: float = 1.0) -> None:
    """Read and drop the rest of a finished stream, so its connection can be reused."""

    async def drain() -> None:
        async for _ in sdk_stream:
            pass

    try:
        await asyncio.wait_for(drain(), timeout)
    except Exception:  # whatever is left is not ours to report; the stream is closed next
        pass


# -- HTTP status errors -----------------------------------------------------------------


class _Headers(Protocol):
    def get(self, key: str) -> str | None: ...


def retry_after(exc: BaseException) -> float | None:
    """The seconds the HTTP response of `exc` asks to wait before trying again, or `None`.

    `retry-after-ms` (milliseconds, sent by OpenAI and Anthropic) wins over
    `Retry-After`, which holds seconds or an HTTP date. A value that is not a
    finite, non-negative number or a date is ignored.
    """
    headers: object = getattr(getattr(exc, "response", None), "headers", None)
    if headers is None or not callable(getattr(headers, "get", None)):
        return None
    get = cast(_Headers, headers).get
    milliseconds = _seconds(get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000
    value = get("retry-after")
    if value is None:
        return None
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, when.timestamp() - time.time())


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


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
