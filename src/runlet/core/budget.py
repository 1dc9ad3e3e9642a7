"""Context budgeting: count a request's tokens and make it fit the model's window.

The runtime asks the `Budgeter` before every model call; see docs/budgeting.md.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, Protocol

from typing_extensions import TypeAlias, assert_never

from runlet.core.messages import Message, Part, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from runlet.core.models import ModelRequest, ToolDefinition, Usage

CountSource: TypeAlias = Literal["estimate", "calibrated", "exact"]


@dataclass(frozen=True, slots=True)
class TokenCount:
    """How many tokens a request takes, and how that was found out."""

    tokens: int
    source: CountSource


@dataclass(frozen=True, slots=True)
class Compression:
    """A compressed request, which strategies changed it, and how many messages went."""

    request: ModelRequest
    strategies: tuple[str, ...]
    removed_messages: int


class Budgeter(Protocol):
    """Counts requests and compresses those that do not fit.

    The runtime does the checking: it calls `count` before every model call,
    `compress` when the count is over the limit (then counts again, and stops
    the run if it is still over), and `observe` with the usage the provider
    reported, so counts can be calibrated.
    """

    def count(self, request: ModelRequest) -> TokenCount:
        """Tokens the request will take as input, tools and instructions included."""
        ...

    def compress(self, request: ModelRequest, limit: int) -> Awaitable[Compression]:
        """Make the request fit in `limit` tokens if possible."""
        ...

    def observe(self, request: ModelRequest, usage: Usage) -> None:
        """Learn from the input tokens the provider reported for `request`."""
        ...


TokenCounter: TypeAlias = Callable[[str], int]
"""Counts the tokens of a text."""

MESSAGE_OVERHEAD = 4
"""Tokens a message costs beyond its content (role and separators)."""


def estimate_tokens(text: str) -> int:
    """A fast estimate that errs high: about 3.3 ASCII characters a token, one token per other character.

    Splitting on whitespace is not enough: Chinese or Japanese text and JSON
    have few spaces and many tokens.
    """
    if not text:
        return 0
    ascii_chars = len(text.encode("ascii", "ignore"))
    return math.ceil(ascii_chars * 0.3) + (len(text) - ascii_chars)


class CompressionStrategy(Protocol):
    """One way to make a request smaller."""

    @property
    def name(self) -> str:
        """How events name the strategy."""
        ...

    def apply(
        self, request: ModelRequest, limit: int, count: Callable[[ModelRequest], int]
    ) -> Awaitable[ModelRequest]:
        """Return a smaller request (or the same one when there is nothing to do)."""
        ...


@dataclass(frozen=True, slots=True)
class TrimToolResults:
    """Cut tool results longer than `max_chars` to their head and tail, saying what was cut."""

    max_chars: int = 8_000
    name: str = "trim_tool_results"

    async def apply(
        self, request: ModelRequest, limit: int, count: Callable[[ModelRequest], int]
    ) -> ModelRequest:
        """Trim every oversized tool result."""
        messages = tuple(self._trim_message(message) for message in request.messages)
        if all(new is old for new, old in zip(messages, request.messages)):
            return request
        return replace(request, messages=messages)

    def _trim_message(self, message: Message) -> Message:
        if message.role != "tool" or all(len(p.content) <= self.max_chars for p in message.tool_results):
            return message
        return replace(message, parts=tuple(self._trim_part(part) for part in message.parts))

    def _trim_part(self, part: Part) -> Part:
        if not isinstance(part, ToolResultPart) or len(part.content) <= self.max_chars:
            return part
        keep = self.max_chars // 2
        cut = len(part.content) - 2 * keep
        marker = f"\n[... {cut} characters cut to fit the context window ...]\n"
        return replace(part, content=part.content[:keep] + marker + part.content[-keep:])


@dataclass(frozen=True, slots=True)
class DropOldestTurns:
    """Drop the oldest messages, a whole unit at a time, until the request fits.

    A unit is one message with the tool results that answer it, so a tool call
    never loses its result. System messages, the current (last) user message,
    and the last `keep_last` units are never dropped; with `keep_first_user`,
    neither is the first user message.
    """

    keep_last: int = 2
    keep_first_user: bool = False
    name: str = "drop_oldest_turns"

    async def apply(
        self, request: ModelRequest, limit: int, count: Callable[[ModelRequest], int]
    ) -> ModelRequest:
        """Drop units from the oldest until `count(request) <= limit` or nothing more may go."""
        units = _units(request.messages)
        droppable = self._droppable(units)
        current = request
        dropped: set[int] = set()
        for index in droppable:
            if count(current) <= limit:
                break
            dropped.add(index)
            current = replace(
                request,
                messages=tuple(m for i, unit in enumerate(units) if i not in dropped for m in unit),
            )
        return current

    def _droppable(self, units: Sequence[tuple[Message, ...]]) -> list[int]:
        user_units = [i for i, unit in enumerate(units) if unit[0].role == "user"]
        protected = {i for i, unit in enumerate(units) if unit[0].role == "system"}
        if user_units:
            protected.add(user_units[-1])
            if self.keep_first_user:
                protected.add(user_units[0])
        protected.update(range(max(0, len(units) - self.keep_last), len(units)))
        return [i for i in range(len(units)) if i not in protected]


def _units(messages: Sequence[Message]) -> list[tuple[Message, ...]]:
    units: list[list[Message]] = []
    for message in messages:
        if message.role == "tool" and units:
            units[-1].append(message)
        else:
            units.append([message])
    return [tuple(unit) for unit in units]


@dataclass(frozen=True, slots=True)
class _Calibration:
    message: Message
    index: int
    tools: Sequence[ToolDefinition]
    input_tokens: int


class TokenBudgeter:
    """The default `Budgeter`: estimated counts, calibrated by reported usage, and compression strategies.

    Counts of messages are cached, so the cost of a step does not grow with the
    history. After a call, the count of a request that extends the previous one
    is the provider's reported input tokens plus an estimate of what was added.
    """

    def __init__(
        self,
        *,
        counter: TokenCounter = estimate_tokens,
        strategies: Sequence[CompressionStrategy] = (TrimToolResults(), DropOldestTurns()),
        cache_size: int = 8_192,
    ) -> None:
        self._counter = counter
        self._source: CountSource = "estimate" if counter is estimate_tokens else "exact"
        self.strategies = tuple(strategies)
        self._cache_size = cache_size
        self._tokens: OrderedDict[int, tuple[Message | ToolDefinition, int]] = OrderedDict()
        self._calibrations: OrderedDict[int, _Calibration] = OrderedDict()

    def count(self, request: ModelRequest) -> TokenCount:
        """Tokens of the request: from a calibration point when there is one, else counted."""
        messages = request.messages
        for index in range(len(messages) - 1, max(-1, len(messages) - 64), -1):
            point = self._calibrations.get(id(messages[index]))
            if point is not None and point.message is messages[index] and point.index == index:
                if point.tools is request.tools:
                    added = sum(self._message(m) for m in messages[index + 1 :])
                    return TokenCount(point.input_tokens + added, "calibrated")
                break
        return TokenCount(self.count_uncalibrated(request), self._source)

    def count_uncalibrated(self, request: ModelRequest) -> int:
        """Tokens of the request by counting alone."""
        tools = sum(self._tool(tool) for tool in request.tools)
        output = self._counter(json.dumps(request.output.schema)) if request.output else 0
        return sum(self._message(m) for m in request.messages) + tools + output

    def observe(self, request: ModelRequest, usage: Usage) -> None:
        """Remember the provider's count for this request, to count the next one from it."""
        if usage.input_tokens <= 0 or not request.messages:
            return
        last = request.messages[-1]
        self._calibrations[id(last)] = _Calibration(last, len(request.messages) - 1, request.tools, usage.input_tokens)
        self._calibrations.move_to_end(id(last))
        while len(self._calibrations) > 256:
            self._calibrations.popitem(last=False)

    async def compress(self, request: ModelRequest, limit: int) -> Compression:
        """Apply the strategies in order until the request fits."""
        used: list[str] = []
        current = request
        for strategy in self.strategies:
            if self.count_uncalibrated(current) <= limit:
                break
            smaller = await strategy.apply(current, limit, self.count_uncalibrated)
            if smaller is not current:
                used.append(strategy.name)
                current = smaller
        removed = len(request.messages) - len(current.messages)
        return Compression(current, tuple(used), removed)

    def _message(self, message: Message) -> int:
        cached = self._tokens.get(id(message))
        if cached is not None and cached[0] is message:
            return cached[1]
        return self._remember(message, MESSAGE_OVERHEAD + sum(self._part(part) for part in message.parts))

    def _tool(self, tool: ToolDefinition) -> int:
        cached = self._tokens.get(id(tool))
        if cached is not None and cached[0] is tool:
            return cached[1]
        text = tool.name + tool.description + json.dumps(tool.parameters)
        return self._remember(tool, MESSAGE_OVERHEAD + self._counter(text))

    def _remember(self, item: Message | ToolDefinition, tokens: int) -> int:
        self._tokens[id(item)] = (item, tokens)
        if len(self._tokens) > self._cache_size:
            self._tokens.popitem(last=False)
        return tokens

    def _part(self, part: Part) -> int:
        match part:
            case TextPart():
                return self._counter(part.text)
            case ToolCallPart():
                return MESSAGE_OVERHEAD + self._counter(part.name) + self._counter(part.arguments)
            case ToolResultPart():
                return MESSAGE_OVERHEAD + self._counter(part.content)
            case ReasoningPart():
                return self._counter(json.dumps(part.data))
            case _:
                assert_never(part)
