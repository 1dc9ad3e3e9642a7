"""Context budgeting: count a request's tokens and make it fit the model's window.

The runtime asks the `Budgeter` before every model call; see docs/budgeting.md.

- `estimate_tokens` and `media_tokens` (in `runlet.core.token_estimates`): the
  default counters of texts and of images, recordings and documents.
- `TokenBudgeter`: the default `Budgeter`. It caches the count of every
  message and of every request prefix it has seen, so counting a request that
  extends the previous one costs only the new messages; after a call it counts
  from the provider's reported input tokens (calibration).
- Compression strategies, applied in the order given until the request fits:
  `TrimToolResults`, `SummarizeOlderTurns`, `DropOldestTurns`. None of them
  separates a tool call from its result, leaves a reasoning item without what
  follows it, or removes the system messages or the current user message.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Literal, Protocol

from typing_extensions import TypeAlias, assert_never

from runlet.core._frozen import frozen
from runlet.core.messages import (
    AudioPart,
    DocumentPart,
    HostedToolPart,
    ImagePart,
    MediaPart,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from runlet.core.models import ModelRequest, OutputSchema, Provider, ToolDefinition, Usage
from runlet.core.token_estimates import MESSAGE_OVERHEAD, MediaCounter, TokenCounter, estimate_tokens, media_tokens

CountSource: TypeAlias = Literal["estimate", "calibrated", "exact"]


@frozen
class TokenCount:
    """How many tokens a request takes, and how that was found out."""

    tokens: int
    source: CountSource


@frozen
class Compression:
    """A compressed request, which strategies changed it, how many messages went, and what it cost.

    `usage` sums the model calls strategies made (a summary, say); the runtime
    adds it to the run's usage.
    """

    request: ModelRequest
    strategies: tuple[str, ...]
    removed_messages: int
    usage: Usage = Usage()


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


_strategy_usage: ContextVar[list[Usage] | None] = ContextVar("runlet_strategy_usage", default=None)


def report_usage(usage: Usage) -> None:
    """Count a model call a compression strategy made; `TokenBudgeter.compress` adds it to its `Compression`.

    Call it from a strategy that calls a model, with the response's usage; it
    does nothing outside a compression.
    """
    spent = _strategy_usage.get()
    if spent is not None:
        spent.append(usage)


class CompressionStrategy(Protocol):
    """One way to make a request smaller.

    `count` gives the tokens of any request (the budgeter's own counting). A
    strategy may take it as roughly additive over messages to plan, but
    checks its result with it. A strategy must keep every tool call with its
    result, every reasoning item with what follows it, the system messages
    and the last user message: removing whole `units` ensures the first two.
    """

    @property
    def name(self) -> str:
        """How events name the strategy."""
        ...

    def apply(
        self, request: ModelRequest, limit: int, count: Callable[[ModelRequest], int]
    ) -> Awaitable[ModelRequest]:
        """Return a smaller request (or the same one when there is nothing to do)."""
        ...


# Units: the indivisible groups of messages.


def units(messages: Sequence[Message]) -> list[tuple[Message, ...]]:
    """Group messages into the units that compression keeps or removes whole.

    A unit is a message with what must stay with it: the tool results that
    answer its tool calls (and any message between a call and its result),
    and, when it ends with a reasoning item, the message that follows.
    """
    groups: list[list[Message]] = []
    calls: list[list[str]] = []  # the call ids asked for in each group
    where: dict[str, int] = {}  # call id -> its group
    glue_next = False
    for message in messages:
        target = len(groups) - 1 if glue_next and groups else len(groups)
        for part in message.parts:
            if isinstance(part, ToolResultPart) and part.call_id in where:
                target = min(target, where[part.call_id])
        if target < len(groups):
            for group, ids in zip(groups[target + 1 :], calls[target + 1 :]):
                groups[target].extend(group)
                calls[target].extend(ids)
                for call_id in ids:
                    where[call_id] = target
            del groups[target + 1 :], calls[target + 1 :]
            groups[target].append(message)
        else:
            groups.append([message])
            calls.append([])
        for part in message.parts:
            if isinstance(part, ToolCallPart):
                where[part.call_id] = len(groups) - 1
                calls[-1].append(part.call_id)
        glue_next = bool(message.parts) and isinstance(message.parts[-1], ReasoningPart)
    return [tuple(group) for group in groups]


def _protected(groups: Sequence[tuple[Message, ...]], keep_last: int, keep_first_user: bool) -> set[int]:
    """Units no strategy removes: system messages, the last user message, the latest units."""
    protected = {i for i, unit in enumerate(groups) if any(m.role == "system" for m in unit)}
    user_units = [i for i, unit in enumerate(groups) if any(m.role == "user" for m in unit)]
    if user_units:
        protected.add(user_units[-1])
        if keep_first_user:
            protected.add(user_units[0])
    protected.update(range(max(0, len(groups) - keep_last), len(groups)))
    return protected


@frozen
class TrimToolResults:
    """Cut tool results longer than `max_chars` to their head and tail, with a marker saying what was cut."""

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
        if all(len(p.content) <= self.max_chars for p in message.tool_results):
            return message
        return replace(message, parts=tuple(self._trim_part(part) for part in message.parts))

    def _trim_part(self, part: Part) -> Part:
        if not isinstance(part, ToolResultPart) or len(part.content) <= self.max_chars:
            return part
        keep = max(0, self.max_chars // 2)
        cut = len(part.content) - 2 * keep
        marker = f"\n[... {cut} of {len(part.content)} characters cut here to fit the context window ...]\n"
        tail = part.content[-keep:] if keep else ""
        return replace(part, content=part.content[:keep] + marker + tail)


@frozen
class DropOldestTurns:
    """Drop the oldest units (see `units`) until the request fits.

    System messages (the instructions), the current (last) user message and
    the last `keep_last` units are never dropped; with `keep_first_user`,
    neither is the first user message.
    """

    keep_last: int = 2
    keep_first_user: bool = False
    name: str = "drop_oldest_turns"

    async def apply(
        self, request: ModelRequest, limit: int, count: Callable[[ModelRequest], int]
    ) -> ModelRequest:
        """Drop units from the oldest until `count(request) <= limit` or nothing more may go."""
        groups = units(request.messages)
        protected = _protected(groups, self.keep_last, self.keep_first_user)
        droppable = [i for i in range(len(groups)) if i not in protected]
        total = count(request)
        if not droppable or total <= limit:
            return request
        # Plan with per-unit costs (taken as additive), then check the result and go on if needed.
        empty = count(replace(request, messages=()))
        dropped: set[int] = set()
        current = request
        position = 0
        while position < len(droppable) and total > limit:
            while position < len(droppable) and total > limit:
                index = droppable[position]
                total -= count(replace(request, messages=groups[index])) - empty
                dropped.add(index)
                position += 1
            current = replace(
                request, messages=tuple(m for i, unit in enumerate(groups) if i not in dropped for m in unit)
            )
            total = count(current)
        return current


SUMMARY_PREFIX = "Summary of the earlier conversation:"
"""How a summary message begins; `SummarizeOlderTurns` recognises its own summaries by it."""

SUMMARY_INSTRUCTIONS = (
    "You compress conversations. Summarise the conversation below for the assistant that will "
    "continue it: the user's goals and requests, decisions made, facts learned from tools "
    "(names, ids, numbers, results), and what is still open. Be concise and factual; write no "
    "preamble."
)
"""What `SummarizeOlderTurns` tells the summarising model by default."""


@frozen
class SummarizeOlderTurns:
    """Replace the older units with one summary message written by a model.

    `provider` writes the summary: any `Provider`, such as the agent's own
    (pass the same object you give `Agent(model=...)`) or a cheaper one. The
    summary is a system message starting with `SUMMARY_PREFIX`, placed where
    the first summarised unit was; earlier summaries are summarised again with
    the rest. What is kept is what `DropOldestTurns` keeps: system messages,
    the current user message, the last `keep_last` units and, with
    `keep_first_user`, the first user message. In the text sent to the
    summariser each message is cut to `max_message_chars`, and the oldest
    messages are left out when the text would not fit the summariser's window.
    A provider error propagates, and the run fails with it.
    """

    provider: Provider
    keep_last: int = 4
    keep_first_user: bool = False
    max_summary_tokens: int = 1_024
    max_message_chars: int = 4_000
    instructions: str = SUMMARY_INSTRUCTIONS
    name: str = "summarize_older_turns"

    async def apply(
        self, request: ModelRequest, limit: int, count: Callable[[ModelRequest], int]
    ) -> ModelRequest:
        """Summarise every unit that may go, in one model call."""
        groups = units(request.messages)
        protected = _protected(groups, self.keep_last, self.keep_first_user)
        for i, unit in enumerate(groups):
            if len(unit) == 1 and unit[0].role == "system" and unit[0].text.startswith(SUMMARY_PREFIX):
                protected.discard(i)
        older = [i for i in range(len(groups)) if i not in protected]
        if not older:
            return request
        transcript = self._transcript([m for i in older for m in groups[i]])
        summary = await self.provider.complete(
            ModelRequest(
                messages=(Message.system(self.instructions), Message.user(transcript)),
                max_output_tokens=self.max_summary_tokens,
            )
        )
        report_usage(summary.usage)
        text = summary.text.strip()
        if not text:
            return request
        message = Message.system(f"{SUMMARY_PREFIX}\n{text}")
        messages: list[Message] = []
        for i, unit in enumerate(groups):
            if i == older[0]:
                messages.append(message)
            if i not in older:
                messages.extend(unit)
        smaller = replace(request, messages=tuple(messages))
        return smaller if count(smaller) < count(request) else request

    def _transcript(self, messages: Sequence[Message]) -> str:
        lines = [_render(message, self.max_message_chars) for message in messages]
        window = self.provider.capabilities().context_window
        room = window - self.max_summary_tokens - estimate_tokens(self.instructions) - 64
        total = sum(estimate_tokens(line) + 1 for line in lines)
        start = 0
        while total > room and start < len(lines) - 1:
            total -= estimate_tokens(lines[start]) + 1
            start += 1
        omitted = f"[{start} older messages left out]\n" if start else ""
        return omitted + "\n".join(lines[start:])


def _render(message: Message, max_chars: int) -> str:
    pieces: list[str] = []
    for part in message.parts:
        match part:
            case TextPart():
                pieces.append(part.text)
            case ToolCallPart():
                pieces.append(f"[calls {part.name}({part.arguments})]")
            case ToolResultPart():
                error = " (error)" if part.is_error else ""
                media = "".join(f" [{_describe(m)}]" for m in part.media)
                pieces.append(f"[result of {part.name or part.call_id}{error}: {part.content}{media}]")
            case ReasoningPart():
                if part.summary:
                    pieces.append(f"[thinking: {part.summary}]")
            case HostedToolPart():
                if not part.result:
                    pieces.append(f"[ran {part.name}{f': {part.detail}' if part.detail else ''}]")
            case ImagePart() | AudioPart() | DocumentPart():
                pieces.append(f"[{_describe(part)}]")
            case _:
                assert_never(part)
    text = " ".join(pieces)
    if len(text) > max_chars:
        keep = max_chars // 2
        text = f"{text[:keep]} [...] {text[-keep:]}" if keep else "[...]"
    return f"{message.role}: {text}"


def _describe(part: MediaPart) -> str:
    """A media part in a summariser's transcript: its kind and media type (a model cannot read the bytes there)."""
    return f"{part.kind} {part.media_type or part.url or ''}".rstrip()


# The default budgeter.


@dataclass(slots=True, eq=False)  # a mutable record: equal only to itself
class _Prefix:
    """What is known of a request's messages: their counted tokens and, once reported, the provider's count."""

    messages: tuple[Message, ...]
    counted: int
    tools: tuple[ToolDefinition, ...] = ()
    output: OutputSchema | None = None
    reported: int = 0


_SEARCH = 64
"""How far back from the end of a request to look for a known prefix."""

_NAMES = 1_024
"""At most this many tool names' counts are kept (a model that makes names up cannot grow the memo)."""

_recent: ContextVar[tuple[TokenBudgeter, _Prefix] | None] = ContextVar("runlet_budget_recent", default=None)
"""The prefix a budgeter counted last in this context (asyncio task): each run at once has its own, which no other run evicts."""


class TokenBudgeter:
    """The default `Budgeter`: counts (estimated or exact), calibration from reported usage, compression.

    `counter` counts a text: `estimate_tokens` by default, or an exact
    tokenizer such as `runlet.tokenizers.OpenAITokenCounter()`; `media_counter`
    counts images, audio and documents: `media_tokens` by default (the larger
    of the OpenAI and Anthropic rules), or one provider's rule. The total of
    each request's messages is remembered, so a request that extends one
    counted before costs only its new messages: each context (an asyncio
    task, so each run at once) remembers its last, which no other run evicts,
    and a shared memo keeps the latest `prefixes` conversations. The count of
    each message of a conversation counted afresh (a history, a compression's
    candidates) is cached too, up to `cache_size` messages; a run's own new
    messages need no cache, being counted once as they join its prefix.
    Once the provider has reported the input tokens of a request, a request
    that extends it counts as that report plus its new messages (source
    "calibrated"). `Usage.input_tokens` must be the whole input, cached
    tokens included, as OpenAI reports it.

    `strategies` run in order, each only while the request is still over the
    limit; the default trims oversized tool results, then drops the oldest
    turns. Put `SummarizeOlderTurns(provider)` before `DropOldestTurns` to
    summarise rather than drop.
    """

    def __init__(
        self,
        *,
        counter: TokenCounter = estimate_tokens,
        media_counter: MediaCounter = media_tokens,
        strategies: Sequence[CompressionStrategy] = (TrimToolResults(), DropOldestTurns()),
        cache_size: int = 8_192,
        prefixes: int = 256,
    ) -> None:
        self._counter = counter
        self._media_counter = media_counter
        self._source: CountSource = "estimate" if counter is estimate_tokens else "exact"
        self.strategies: tuple[CompressionStrategy, ...] = tuple(strategies)
        """The compression strategies, in the order they run."""
        self._cache_size = cache_size
        self._max_prefixes = prefixes
        self._tokens: OrderedDict[int, tuple[Message | ToolDefinition | OutputSchema, int]] = OrderedDict()
        self._prefixes: OrderedDict[int, _Prefix] = OrderedDict()
        self._names: dict[str, int] = {}
        """Tokens of each tool name seen in a tool call: the same few names come back in every turn."""

    # Counting

    def count(self, request: ModelRequest) -> TokenCount:
        """Tokens of the request: from the provider's last report when it extends a reported request, else counted."""
        prefix = self._prefix(tuple(request.messages), remember=True)
        if prefix.reported and prefix.tools == request.tools and prefix.output == request.output:
            return TokenCount(prefix.reported, "calibrated")
        return TokenCount(prefix.counted + self._extras(request), self._source)

    def count_uncalibrated(self, request: ModelRequest) -> int:
        """Tokens of the request by counting alone (remembers message counts, not the request)."""
        return self._prefix(tuple(request.messages), remember=False).counted + self._extras(request)

    def observe(self, request: ModelRequest, usage: Usage) -> None:
        """Remember the provider's count for this request, to count the next one from it."""
        if usage.input_tokens > 0 and request.messages:
            self._calibrate(request, usage.input_tokens)

    def _calibrate(self, request: ModelRequest, tokens: int) -> None:
        prefix = self._prefix(tuple(request.messages), remember=True)
        prefix.tools = tuple(request.tools)
        prefix.output = request.output
        prefix.reported = tokens

    def _prefix(self, messages: tuple[Message, ...], *, remember: bool) -> _Prefix:
        """What is known of `messages`: from the longest remembered prefix plus the messages after it.

        The prefix this context (a run's task) counted last comes first: a
        run's next request extends its last one, however many other runs the
        shared memo has seen since. Then the shared memo, the latest first.
        """
        known: _Prefix | None = None
        recent = _recent.get()
        if recent is not None and recent[0] is self:
            candidate = recent[1]
            size = len(candidate.messages)
            if candidate.messages is messages:
                return candidate
            if 0 < size <= len(messages) and candidate.messages[-1] is messages[size - 1] and candidate.messages == messages[:size]:
                known = candidate
        if known is None:
            known = self._shared_prefix(messages)
        start = 0 if known is None else len(known.messages)
        if known is not None and start == len(messages):
            prefix = known
        else:
            added = 0
            keep = known is None  # a conversation's own new messages are counted once, in its prefix: no need to keep them
            for message in messages[start:]:
                added += self._message(message, keep)
            if known is None:
                prefix = _Prefix(messages, added)
            elif known.reported:
                prefix = _Prefix(messages, known.counted + added, known.tools, known.output, known.reported + added)
            else:
                prefix = _Prefix(messages, known.counted + added)
        if remember and messages:
            _recent.set((self, prefix))
            if recent is None or known is not recent[1]:  # a conversation new to this context: others may extend it too
                key = id(messages[-1])
                prefixes = self._prefixes
                prefixes[key] = prefix
                prefixes.move_to_end(key)
                while len(prefixes) > self._max_prefixes:
                    prefixes.popitem(last=False)
        return prefix

    def _shared_prefix(self, messages: tuple[Message, ...]) -> _Prefix | None:
        """The longest prefix of `messages` in the shared memo, looking back at most `_SEARCH` messages."""
        prefixes = self._prefixes
        for index in range(len(messages) - 1, max(-1, len(messages) - 1 - _SEARCH), -1):
            candidate = prefixes.get(id(messages[index]))
            if candidate is None:
                continue
            size = len(candidate.messages)
            if size == index + 1 and candidate.messages[-1] is messages[index] and candidate.messages == messages[:size]:
                return candidate
        return None

    def _extras(self, request: ModelRequest) -> int:
        tools = sum([self._tool(tool) for tool in request.tools])
        if request.hosted_tools:
            tools += sum([MESSAGE_OVERHEAD + self._counter(tool.name) for tool in request.hosted_tools])
        return tools + (self._output(request.output) if request.output is not None else 0)

    def _message(self, message: Message, keep: bool = True) -> int:
        cached = self._tokens.get(id(message))
        if cached is not None and cached[0] is message:
            return cached[1]
        tokens = MESSAGE_OVERHEAD
        for part in message.parts:
            tokens += self._part(part)
        return self._remember(message, tokens) if keep else tokens

    def _tool(self, tool: ToolDefinition) -> int:
        cached = self._tokens.get(id(tool))
        if cached is not None and cached[0] is tool:
            return cached[1]
        text = tool.name + tool.description + json.dumps(tool.parameters)
        return self._remember(tool, MESSAGE_OVERHEAD + self._counter(text))

    def _output(self, output: OutputSchema) -> int:
        cached = self._tokens.get(id(output))
        if cached is not None and cached[0] is output:
            return cached[1]
        return self._remember(output, MESSAGE_OVERHEAD + self._counter(output.name + json.dumps(output.schema)))

    def _remember(self, item: Message | ToolDefinition | OutputSchema, tokens: int) -> int:
        self._tokens[id(item)] = (item, tokens)
        if len(self._tokens) > self._cache_size:
            self._tokens.popitem(last=False)
        return tokens

    def _part(self, part: Part) -> int:
        match part:
            case TextPart():
                return self._counter(part.text)
            case ToolCallPart():
                name = self._names.get(part.name)
                if name is None:
                    if len(self._names) >= _NAMES:
                        self._names.clear()
                    name = self._names[part.name] = self._counter(part.name)
                return MESSAGE_OVERHEAD + name + self._counter(part.arguments)
            case ToolResultPart():
                media = sum(self._media_counter(m) for m in part.media) if part.media else 0
                return MESSAGE_OVERHEAD + self._counter(part.content) + media
            case ReasoningPart() | HostedToolPart():
                return self._counter(json.dumps(part.data))
            case ImagePart() | AudioPart() | DocumentPart():
                return self._media_counter(part)
            case _:
                assert_never(part)

    # Compression

    async def compress(self, request: ModelRequest, limit: int) -> Compression:
        """Apply the strategies in order, each while the request is still over `limit`.

        Strategies count with this budgeter's counter. When the provider's
        report shows the counter undercounting this conversation, their
        counts are scaled up by that ratio (never down: the margin of an
        estimate that errs high is kept).
        """
        before = self.count(request)
        if before.tokens <= limit:
            return Compression(request, (), 0)
        scale = 1.0
        if before.source == "calibrated":
            scale = max(1.0, before.tokens / max(1, self.count_uncalibrated(request)))

        def count(candidate: ModelRequest) -> int:
            if candidate is request:
                return before.tokens
            tokens = self.count_uncalibrated(candidate)
            return math.ceil(tokens * scale) if scale > 1.0 else tokens

        used: list[str] = []
        current = request
        spent: list[Usage] = []
        collecting = _strategy_usage.set(spent)
        try:
            for strategy in self.strategies:
                if count(current) <= limit:
                    break
                smaller = await strategy.apply(current, limit, count)
                if smaller is not current:
                    used.append(strategy.name)
                    current = smaller
        finally:
            _strategy_usage.reset(collecting)
        if scale > 1.0 and current is not request and current.messages:
            # Counting this request again (the runtime does) must give the scaled count too.
            self._calibrate(current, count(current))
        removed = len(request.messages) - len(current.messages)
        return Compression(current, tuple(used), removed, sum(spent, Usage()))
