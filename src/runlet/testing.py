"""Providers for testing agents offline: scripted turns, or a function of the request.

Both stream: text comes as several deltas and tool calls as started / argument
delta / done, like a real provider, so `Runtime.stream()` can be tested too.
"""

from __future__ import annotations

import inspect
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Union

from typing_extensions import TypeAlias, assert_never

from runlet.core.budget import TokenBudgeter, estimate_tokens
from runlet.core.errors import ProviderError
from runlet.core.messages import (
    AudioPart,
    DocumentPart,
    HostedToolPart,
    ImagePart,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from runlet.core.models import (
    Capabilities,
    ModelRequest,
    ModelResponse,
    ModelStreamEvent,
    ResponseCompleted,
    TextDelta,
    ToolCallDelta,
    ToolCallDone,
    ToolCallStarted,
    Usage,
)

__all__ = ["FunctionProvider", "ScriptExhausted", "ScriptedProvider", "Turn", "call"]

Turn: TypeAlias = Union[str, Mapping[str, object], ToolCallPart, Sequence[ToolCallPart], ModelResponse]
"""One scripted model turn: text, a JSON object (structured output), tool calls, or a whole response."""

DEFAULT_CAPABILITIES = Capabilities(
    context_window=128_000, max_output_tokens=4_096, media=frozenset({"image", "audio", "document"})
)
"""A large window, and every kind of media accepted."""

_call_ids = itertools.count(1)


def call(tool: str, /, **arguments: object) -> ToolCallPart:
    """A tool call for a script: `call("lookup", order_id="123")`."""
    return ToolCallPart(f"call_{next(_call_ids)}", tool, json.dumps(arguments))


class ScriptExhausted(ProviderError):
    """A scripted provider was asked for more turns than its script has."""


class _TestProvider:
    def __init__(self, capabilities: Capabilities, chunk_size: int) -> None:
        self.requests: list[ModelRequest] = []
        """Every request received, in order."""
        self._capabilities = capabilities
        self._chunk_size = chunk_size

    def capabilities(self) -> Capabilities:
        """The capabilities given at construction (128k window by default)."""
        return self._capabilities

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Record the request and answer it."""
        self.requests.append(request)
        return await self._respond(request)

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        """Record the request and stream the answer: text in chunks, then tool calls."""
        self.requests.append(request)
        response = await self._respond(request)
        size = self._chunk_size
        for part in response.parts:
            if isinstance(part, TextPart):
                for start in range(0, len(part.text), size):
                    yield TextDelta(part.text[start : start + size])
            elif isinstance(part, ToolCallPart):
                yield ToolCallStarted(part.call_id, part.name)
                yield ToolCallDelta(part.call_id, part.arguments)
                yield ToolCallDone(part)
        yield ResponseCompleted(response)

    async def _respond(self, request: ModelRequest) -> ModelResponse:
        raise NotImplementedError


class ScriptedProvider(_TestProvider):
    """Answers each request with the next turn of a script.

    `ScriptedProvider(["call a tool", call("lookup", order_id="1"), "done"])`:
    strings are text answers, mappings are JSON answers (structured output),
    `call(...)` parts (one or a list) are tool calls. Usage is estimated from
    the text, so budgeting sees realistic numbers.
    """

    def __init__(
        self,
        turns: Iterable[Turn],
        *,
        capabilities: Capabilities = DEFAULT_CAPABILITIES,
        chunk_size: int = 8,
        model: str = "scripted",
    ) -> None:
        super().__init__(capabilities, chunk_size)
        self._turns = list(turns)
        self._model = model

    @property
    def remaining(self) -> int:
        """Turns not used yet."""
        return len(self._turns) - len(self.requests)

    async def _respond(self, request: ModelRequest) -> ModelResponse:
        index = len(self.requests) - 1
        if index >= len(self._turns):
            raise ScriptExhausted(
                f"the script has {len(self._turns)} turns and request {index + 1} asked for another",
                provider="scripted",
            )
        return _response(self._turns[index], request, self._model)


class FunctionProvider(_TestProvider):
    """Answers each request by calling a function of it (sync or async) that returns a turn."""

    def __init__(
        self,
        function: Callable[[ModelRequest], Turn | Awaitable[Turn]],
        *,
        capabilities: Capabilities = DEFAULT_CAPABILITIES,
        chunk_size: int = 8,
        model: str = "function",
    ) -> None:
        super().__init__(capabilities, chunk_size)
        self._function = function
        self._model = model

    async def _respond(self, request: ModelRequest) -> ModelResponse:
        turn = self._function(request)
        if inspect.isawaitable(turn):
            turn = await turn
        return _response(turn, request, self._model)


def _response(turn: Turn, request: ModelRequest, model: str) -> ModelResponse:
    if isinstance(turn, ModelResponse):
        return turn
    parts: tuple[Part, ...]
    if isinstance(turn, str):
        parts = (TextPart(turn),)
    elif isinstance(turn, ToolCallPart):
        parts = (turn,)
    elif isinstance(turn, Mapping):
        parts = (TextPart(json.dumps(turn)),)
    else:
        parts = tuple(turn)
    calls = any(isinstance(part, ToolCallPart) for part in parts)
    output = estimate_tokens("".join(_visible_text(part) for part in parts))
    usage = Usage(input_tokens=_input_tokens(request), output_tokens=output, requests=1)
    return ModelResponse(parts, usage, "tool_calls" if calls else "stop", model)


_counter = TokenBudgeter()


def _input_tokens(request: ModelRequest) -> int:
    return _counter.count_uncalibrated(request)


def _visible_text(part: Part) -> str:
    match part:
        case TextPart():
            return part.text
        case ToolCallPart():
            return part.name + part.arguments
        case ToolResultPart() | ReasoningPart() | HostedToolPart() | ImagePart() | AudioPart() | DocumentPart():
            return ""
        case _:
            assert_never(part)
