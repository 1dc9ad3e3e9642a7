"""`FallbackProvider`: several providers as one, each used when the ones before it fail for now.

It fits the `Provider` protocol, so an agent takes it as its `model` and the
runtime's budgeting, retries, timeouts and events work as for any provider.
Importing this module imports no SDK.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import replace

from runlet.core.errors import ProviderError, StreamInterrupted
from runlet.core.models import Capabilities, ModelRequest, ModelResponse, ModelStreamEvent, Provider, ResponseCompleted, Usage

__all__ = ["FallbackProvider"]


class FallbackProvider:
    """The first of its providers that answers: `FallbackProvider(primary, *others)`.

    ```python
    model = FallbackProvider(OpenAIResponsesProvider(model="gpt-5.5"), AnthropicProvider(model="claude-sonnet-4-6"))
    ```

    - A provider that fails with a retryable error (rate limited, unavailable,
      timed out, a broken stream) passes the request to the next one. An error
      that is not retryable (a bad request, bad credentials, a content filter)
      is raised at once: falling back would hide it. When every provider fails
      for now, the last error is raised; it is retryable, so the runtime's
      `RetryPolicy` tries the chain again from the first.
    - A stream falls back only while it has shown nothing. Once output was
      shown, its failure is raised, and the runtime retries the whole call
      after telling the consumer to discard what it showed
      (`model.stream.discarded`).
    - `capabilities()` are the most restrictive of the set (the smallest
      context window and output, a feature only when every provider has it),
      so every request fits whichever provider answers.
    - The response names the provider that answered (`ModelResponse.provider`,
      reported by the `model.completed` event); its usage is that provider's,
      plus one request for each provider that failed before it.

    Each provider reads its own key of `request.options`, so one agent can
    carry options for all of them. Give each provider its own `timeout=` when
    a hanging one should be left for the next: `Runtime(model_timeout=...)`
    bounds the whole chain.
    """

    def __init__(self, primary: Provider, *others: Provider) -> None:
        self.providers: tuple[Provider, ...] = (primary, *others)
        """The providers, in the order they are tried."""

    def __repr__(self) -> str:
        return f"FallbackProvider({', '.join(map(_name, self.providers))})"

    def capabilities(self) -> Capabilities:
        """The most restrictive capabilities of the providers."""
        each = [provider.capabilities() for provider in self.providers]
        return Capabilities(
            context_window=min(c.context_window for c in each),
            max_output_tokens=min(c.max_output_tokens for c in each),
            streaming=all(c.streaming for c in each),
            tools=all(c.tools for c in each),
            structured_output=all(c.structured_output for c in each),
            parallel_tool_calls=all(c.parallel_tool_calls for c in each),
            media=each[0].media.intersection(*(c.media for c in each[1:])),
        )

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """The response of the first provider that answers; raises as the class says."""
        failed: list[ProviderError] = []
        for provider in self.providers:
            try:
                response = await provider.complete(request)
            except ProviderError as error:
                _fall_back(error, failed, shown=False)
                continue
            return _answered(response, provider, len(failed))
        raise failed[-1]

    async def stream(self, request: ModelRequest) -> AsyncGenerator[ModelStreamEvent, None]:
        """The stream of the first provider that streams its answer; falls back only before anything was shown."""
        failed: list[ProviderError] = []
        for provider in self.providers:
            shown = False
            events = provider.stream(request)
            try:
                async for event in events:
                    if isinstance(event, ResponseCompleted):
                        yield ResponseCompleted(_answered(event.response, provider, len(failed)))
                        return
                    shown = True
                    yield event
                raise StreamInterrupted(f"the stream of {_name(provider)} ended without a completed response")
            except ProviderError as error:
                _fall_back(error, failed, shown=shown)
            finally:
                close: Callable[[], Awaitable[object]] | None = getattr(events, "aclose", None)
                if close is not None:
                    await close()
        raise failed[-1]


def _fall_back(error: ProviderError, failed: list[ProviderError], *, shown: bool) -> None:
    """Note a provider's failure, or raise it when the next provider must not be tried."""
    if shown or not error.retryable:
        raise error
    failed.append(error)


def _answered(response: ModelResponse, provider: Provider, failures: int) -> ModelResponse:
    """The response, naming the provider that answered, with a request counted for each that failed."""
    usage = response.usage + Usage(requests=failures) if failures else response.usage
    # a nested FallbackProvider has named the innermost provider already
    return replace(response, usage=usage, provider=response.provider or _name(provider))


def _name(provider: Provider) -> str:
    """How events name a provider: its `repr` when its class writes one (the shipped ones do), else its class name."""
    if type(provider).__repr__ is object.__repr__:
        return type(provider).__name__
    return repr(provider)

