"""Testing without a model or a guess: scripted providers, and the conformance suite for state stores.

Both stream: text comes as several deltas and tool calls as started / argument
delta / done, like a real provider, so `Runtime.stream()` can be tested too.
A turn may also be a fault, to test what a run does about it: a
`ProviderError` to raise (a `RateLimited` with its `retry_after`, say), or a
`BrokenStream` that shows some text and then breaks.

`store_checks()` and `check_store()` check that a `StateStore` keeps the
contract every Runlet store keeps (atomic appends, conflicts, exact round
trips, ...): the same suite Runlet runs on its own stores.
"""

from __future__ import annotations

import inspect
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Union

from typing_extensions import TypeAlias, assert_never

from runlet.core.budget import TokenBudgeter
from runlet.core.token_estimates import estimate_tokens
from runlet.core._frozen import frozen
from runlet.core.errors import ProviderError, StreamInterrupted
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
from runlet.stores.conformance import StoreCheck, check_store, store_checks

__all__ = [
    "BrokenStream",
    "FunctionProvider",
    "ScriptExhausted",
    "ScriptedProvider",
    "StoreCheck",
    "Turn",
    "call",
    "check_store",
    "store_checks",
]


@frozen
class BrokenStream:
    """A turn whose stream shows `shown` and then breaks (`StreamInterrupted`); `complete()` raises it at once."""

    shown: str = ""
    """The text streamed before the break."""


Turn: TypeAlias = Union[
    str, Mapping[str, object], ToolCallPart, Sequence[ToolCallPart], ModelResponse, ProviderError, BrokenStream
]
"""One scripted model turn: text, a JSON object (structured output), tool calls, a whole response, or a fault."""

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
    def __init__(self, capabilities: Capabilities, chunk_size: int, model: str) -> None:
        self.requests: list[ModelRequest] = []
        """Every request received, in order."""
        self._capabilities = capabilities
        self._chunk_size = chunk_size
        self._model = model

    def capabilities(self) -> Capabilities:
        """The capabilities given at construction (128k window by default)."""
        return self._capabilities

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Record the request and answer it (or raise the fault the turn is)."""
        self.requests.append(request)
        return _response(await self._turn(request), request, self._model)

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelStreamEvent]:
        """Record the request and stream the answer: text in chunks, then tool calls (or the fault the turn is)."""
        self.requests.append(request)
        turn = await self._turn(request)
        if isinstance(turn, BrokenStream):
            for delta in self._chunks(turn.shown):
                yield TextDelta(delta)
            raise _broken(turn)
        response = _response(turn, request, self._model)
        for part in response.parts:
            if isinstance(part, TextPart):
                for delta in self._chunks(part.text):
                    yield TextDelta(delta)
            elif isinstance(part, ToolCallPart):
                yield ToolCallStarted(part.call_id, part.name)
                yield ToolCallDelta(part.call_id, part.arguments)
                yield ToolCallDone(part)
        yield ResponseCompleted(response)

    def _chunks(self, text: str) -> list[str]:
        size = self._chunk_size
        return [text[start : start + size] for start in range(0, len(text), size)]

    async def _turn(self, request: ModelRequest) -> Turn:
        raise NotImplementedError


class ScriptedProvider(_TestProvider):
    """Answers each request with the next turn of a script.

    `ScriptedProvider(["call a tool", call("lookup", order_id="1"), "done"])`:
    strings are text answers, mappings are JSON answers (structured output),
    `call(...)` parts (one or a list) are tool calls; a `ProviderError` is
    raised and a `BrokenStream` breaks, each using up its turn, as a failed
    call does (`ScriptedProvider([RateLimited("slow down"), "done"])`). Usage is
    estimated from the text, so budgeting sees realistic numbers.
    """

    def __init__(
        self,
        turns: Iterable[Turn],
        *,
        capabilities: Capabilities = DEFAULT_CAPABILITIES,
        chunk_size: int = 8,
        model: str = "scripted",
    ) -> None:
        super().__init__(capabilities, chunk_size, model)
        self._turns = list(turns)

    @property
    def remaining(self) -> int:
        """Turns not used yet."""
        return len(self._turns) - len(self.requests)

    async def _turn(self, request: ModelRequest) -> Turn:
        index = len(self.requests) - 1
        if index >= len(self._turns):
            raise ScriptExhausted(
                f"the script has {len(self._turns)} turns and request {index + 1} asked for another",
                provider="scripted",
            )
        return self._turns[index]


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
        super().__init__(capabilities, chunk_size, model)
        self._function = function

    async def _turn(self, request: ModelRequest) -> Turn:
        turn = self._function(request)
        if inspect.isawaitable(turn):
            turn = await turn
        return turn


def _broken(turn: BrokenStream) -> StreamInterrupted:
    return StreamInterrupted(f"the scripted stream broke after {len(turn.shown)} characters", provider="scripted")


def _response(turn: Turn, request: ModelRequest, model: str) -> ModelResponse:
    if isinstance(turn, ModelResponse):
        return turn
    if isinstance(turn, ProviderError):
        raise turn
    if isinstance(turn, BrokenStream):
        raise _broken(turn)
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
