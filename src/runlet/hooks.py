"""Hooks, and four ready-made ones: tool approval, redaction, a response cache, a cost guard.

This is the home of everything about hooks: `Decision`, `Hook`, `Hooks`,
`AnyHook` and `StateOperation` (defined in `runlet.core.hooks`), `BaseHook`,
and the ready-made hooks. Those are classes: pass an instance to
`Agent(hooks=...)` or `Runtime(hooks=...)`.

```python
from runlet.hooks import BudgetGuard, RedactEmails, ResponseCache, ToolApproval

runtime = Runtime(hooks=(BudgetGuard(max_cost=0.50, input_per_million=2.5, output_per_million=10.0),))
agent = Agent(..., hooks=(ToolApproval(ask_human, tools={"refund"}), RedactEmails(), ResponseCache()))
```

Each one subclasses `BaseHook`, which lets every point be; that base class is a
convenience, not a requirement: any object with the eight methods of `Hook` fits.
None of them reads `ctx.deps`, so each fits every agent and the runtime.
See docs/hooks.md.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import re
from collections.abc import Awaitable, Callable, Collection, Mapping, MutableMapping
from typing import Generic, Union, cast

from typing_extensions import TypeAlias, assert_never

from runlet.core.token_estimates import estimate_tokens, media_tokens
from runlet.core.context import RunContext
from runlet.core.hooks import (
    AnyHook,
    Ctx,
    Decision,
    DepsT_contra,
    Hook,
    HookResult,
    Hooks,
    Interrupt,
    Replace,
    StateOperation,
    Veto,
)
from runlet.core.messages import (
    AudioPart,
    DocumentPart,
    HostedToolPart,
    ImagePart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from runlet.core.models import ModelRequest, ModelResponse, Usage

__all__ = [
    "EMAIL_PATTERN",
    "AnyHook",
    "Approval",
    "BaseHook",
    "BudgetGuard",
    "Decision",
    "Hook",
    "Hooks",
    "Interrupt",
    "Redact",
    "RedactEmails",
    "Replace",
    "RequireApproval",
    "ResponseCache",
    "StateOperation",
    "ToolApproval",
    "Veto",
]


class BaseHook(Generic[DepsT_contra]):
    """A hook that lets everything be. Subclass it and override the points you need.

    Optional: `Agent(hooks=...)` and `Runtime(hooks=...)` take any object with
    the eight methods of `Hook`. Overrides may narrow the return type (say,
    `-> Decision[ToolResultPart] | None`) and may be `async def`. Events and
    errors name a hook by its class.

    Say which deps the hook reads: `class Audit(BaseHook[Deps])`, whose
    overrides take `ctx: RunContext[Deps]`, fits agents with those deps;
    `BaseHook[object]` reads none and fits every agent and the runtime, as the
    ready-made hooks do. A bare `BaseHook` leaves the deps unchecked (`Any`).
    """

    def before_model_call(
        self, ctx: RunContext[DepsT_contra], request: ModelRequest
    ) -> HookResult[ModelRequest | ModelResponse]:
        """Replace the request, answer it (a `ModelResponse` skips the call), or veto (the run stops)."""
        return None

    def after_model_call(
        self, ctx: RunContext[DepsT_contra], request: ModelRequest, response: ModelResponse
    ) -> HookResult[ModelResponse]:
        """Replace the response."""
        return None

    def before_tool_call(
        self, ctx: RunContext[DepsT_contra], call: ToolCallPart
    ) -> HookResult[ToolCallPart | ToolResultPart]:
        """Replace the call (new arguments), answer it (a `ToolResultPart` skips the tool), or veto (the model is told)."""
        return None

    def after_tool_call(
        self, ctx: RunContext[DepsT_contra], call: ToolCallPart, result: ToolResultPart
    ) -> HookResult[ToolResultPart]:
        """Replace the result the model (and the events) will see."""
        return None

    def before_compression(self, ctx: RunContext[DepsT_contra], request: ModelRequest) -> HookResult[ModelRequest]:
        """Replace the request to compress, or veto compression (the run stops: the request does not fit)."""
        return None

    def after_compression(
        self, ctx: RunContext[DepsT_contra], before: ModelRequest, after: ModelRequest
    ) -> HookResult[ModelRequest]:
        """Replace the compressed request."""
        return None

    def before_state(self, ctx: RunContext[DepsT_contra], operation: StateOperation) -> HookResult[StateOperation]:
        """Replace what is about to be loaded or appended, or veto the operation."""
        return None

    def after_state(self, ctx: RunContext[DepsT_contra], operation: StateOperation) -> HookResult[StateOperation]:
        """Replace what was loaded (for `load`)."""
        return None


# Human in the loop

Approval: TypeAlias = Union[bool, str]
"""A human's answer: `True` runs the tool; `False`, or a string (the reason), denies it."""


class ToolApproval(BaseHook[object]):
    """Asks before sensitive tools run; a denial becomes the tool's result, and the run goes on.

    `ask` (sync or async) receives the call the model made (name and JSON
    arguments) and returns `True` to let it run, or `False` or a reason to deny
    it. The model receives `Denied: <reason>` as the tool result, and a
    `tool.denied` event records the reason and this hook. Tools not named in
    `tools` run without asking.

    ```python
    async def ask_human(call: ToolCallPart) -> Approval:
        answer = await ui.confirm(f"Run {call.name} with {call.arguments}?")
        return True if answer else "the operator said no"

    Agent(..., hooks=(ToolApproval(ask_human, tools={"refund", "delete_account"}),))
    ```
    """

    def __init__(
        self,
        ask: Callable[[ToolCallPart], Approval | Awaitable[Approval]],
        *,
        tools: Collection[str],
        denied: str = "a human did not approve this call",
    ) -> None:
        """`denied` is the reason given when `ask` returns `False`."""
        self.ask: Callable[[ToolCallPart], Approval | Awaitable[Approval]] = ask
        self.tools: frozenset[str] = frozenset(tools)
        self.denied: str = denied

    async def before_tool_call(self, ctx: Ctx, call: ToolCallPart) -> Decision[ToolCallPart] | None:
        """Ask about calls to the sensitive tools; veto the call unless the answer is `True`."""
        if call.name not in self.tools:
            return None
        answer = self.ask(call)
        if inspect.isawaitable(answer):
            answer = await answer
        if answer is True:
            return None
        reason = answer if isinstance(answer, str) and answer.strip() else self.denied
        return Decision.veto(reason)


class RequireApproval(BaseHook[object]):
    """Stops the run before sensitive tool calls until a human approves, rejects or edits them.

    Unlike `ToolApproval`, which asks a callback while the run waits, this
    interrupts the run: `Runtime.run` raises `RunInterrupted` with an
    `ApprovalRequest` per call and a checkpoint, and `Runtime.resume` goes on,
    later and possibly in another process. `tools` limits it to some tools
    (default: all); `when` (given the call) decides per call, say for refunds
    over a limit. `reason` is what the person deciding reads (a string, or a
    function of the call). The turn's other calls run meanwhile.

    ```python
    def large(call: ToolCallPart) -> bool:
        return json.loads(call.arguments)["amount"] > 100

    Agent(..., hooks=(RequireApproval(tools={"refund"}, when=large, reason="refunds over 100 need a manager"),))
    ```
    """

    def __init__(
        self,
        *,
        tools: Collection[str] | None = None,
        when: Callable[[ToolCallPart], bool] | None = None,
        reason: str | Callable[[ToolCallPart], str] = "this call needs a human's approval",
    ) -> None:
        self.tools: frozenset[str] | None = None if tools is None else frozenset(tools)
        self.when: Callable[[ToolCallPart], bool] | None = when
        self.reason: str | Callable[[ToolCallPart], str] = reason

    def before_tool_call(self, ctx: Ctx, call: ToolCallPart) -> Decision[ToolCallPart] | None:
        """Interrupt the run for the calls that need approval; on resume, the interrupt counts as approved."""
        if self.tools is not None and call.name not in self.tools:
            return None
        if self.when is not None and not self.when(call):
            return None
        reason = self.reason if isinstance(self.reason, str) else self.reason(call)
        return Decision.interrupt(reason)


# Redaction

EMAIL_PATTERN: re.Pattern[str] = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
"""What `RedactEmails` scrubs: `name@example.com` and the like."""


class Redact(BaseHook[object]):
    """Scrubs a pattern from tool results before the model or the events see them.

    Every match of `pattern` (a regular expression) in a tool result, error
    results included, becomes `replacement`; `tool.completed` and
    `tool.failed` events show the scrubbed text. Results with nothing to scrub
    pass unchanged and emit no event. `tools` limits it to some tools; the
    default is all of them.
    """

    def __init__(
        self,
        pattern: str | re.Pattern[str],
        replacement: str = "[redacted]",
        *,
        tools: Collection[str] | None = None,
        what: str = "",
    ) -> None:
        """`what` names a match in the events' reason (default: the pattern)."""
        self.pattern: re.Pattern[str] = re.compile(pattern) if isinstance(pattern, str) else pattern
        self.replacement: str = replacement
        self.tools: frozenset[str] | None = None if tools is None else frozenset(tools)
        self.what: str = what or f"match(es) of {self.pattern.pattern!r}"

    def after_tool_call(self, ctx: Ctx, call: ToolCallPart, result: ToolResultPart) -> Decision[ToolResultPart] | None:
        """Replace the result with its scrubbed text, if anything matched."""
        if self.tools is not None and call.name not in self.tools:
            return None
        scrubbed, count = self.pattern.subn(self.replacement, result.content)
        if not count:
            return None
        return Decision.replace(dataclasses.replace(result, content=scrubbed), reason=f"redacted {count} {self.what}")


class RedactEmails(Redact):
    """Scrubs email addresses from tool results: `Redact(EMAIL_PATTERN, "[email]")`."""

    def __init__(self, replacement: str = "[email]", *, tools: Collection[str] | None = None) -> None:
        super().__init__(EMAIL_PATTERN, replacement, tools=tools, what="email address(es)")


# Caching


class ResponseCache(BaseHook[object]):
    """Answers a request it has seen before with the stored response, and skips the model call.

    The key is a SHA-256 of a stable JSON of the request (messages, tools,
    output schema, options; keys sorted), so only an identical request hits.
    A hit is answered from `before_model_call`: no `model.requested` event, no
    stream deltas, and the response's usage counts as zero (nothing was spent).
    A hit emits a `hook.decided` event (`replace`, reason `cache hit`).
    Media bytes enter the key by their SHA-256.

    Keep one cache per model: the request does not name the model. `store`
    may be any mutable mapping (a dict by default; bring a bounded one or
    your own persistent store); `hits` and `misses` count lookups.
    """

    def __init__(self, store: MutableMapping[str, ModelResponse] | None = None) -> None:
        self.store: MutableMapping[str, ModelResponse] = {} if store is None else store
        self.hits: int = 0
        """Requests answered from the store."""
        self.misses: int = 0
        """Requests sent to the model (and stored)."""
        self._pending: dict[tuple[str, int], str] = {}

    @staticmethod
    def key(request: ModelRequest) -> str:
        """The cache key of a request: a SHA-256 of its stable JSON."""
        text = json.dumps(_jsonable(request), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def before_model_call(self, ctx: Ctx, request: ModelRequest) -> Decision[ModelResponse] | None:
        """Answer from the store on a hit; on a miss, remember the key to store the response under."""
        key = self.key(request)
        cached = self.store.get(key)
        if cached is not None:
            self.hits += 1
            return Decision.replace(dataclasses.replace(cached, usage=Usage()), reason="cache hit")
        self.misses += 1
        # The request may still be rewritten by hooks inside this one: store under the key seen here.
        self._pending[(ctx.run_id, ctx.step)] = key
        return None

    def after_model_call(self, ctx: Ctx, request: ModelRequest, response: ModelResponse) -> None:
        """Store the response of a miss."""
        key = self._pending.pop((ctx.run_id, ctx.step), None)
        if key is not None:
            self.store[key] = response


def _jsonable(value: object) -> object:
    """A JSON-ready form of frozen data: dataclasses as objects, mappings with sorted string keys."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, bytes):  # media: its hash stands for it
        return {"sha256": hashlib.sha256(value).hexdigest()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "kind"
        } | {"type": type(value).__name__}
    if isinstance(value, Mapping):
        items = cast("Mapping[object, object]", value)
        return {str(k): _jsonable(v) for k, v in items.items()}
    if isinstance(value, (list, tuple, frozenset, set)):
        converted = [_jsonable(v) for v in cast("Collection[object]", value)]
        if isinstance(value, (frozenset, set)):
            converted.sort(key=lambda v: json.dumps(v, sort_keys=True, default=repr))
        return converted
    return repr(value)


# Cost


class BudgetGuard(BaseHook[object]):
    """Vetoes a model call once the run's estimated cost would pass `max_cost`; the run stops with `ModelCallVetoed`.

    Prices are per million tokens, in whatever currency `max_cost` is in.
    The cost so far comes from `ctx.usage` (the run's usage up to this call);
    the estimate adds the input of the request about to be sent (counted with
    `estimate_tokens`, which errs high). Cached input tokens are taken to be
    part of `input_tokens` (as OpenAI reports them) and cost
    `cached_input_per_million` when given.
    """

    def __init__(
        self,
        *,
        max_cost: float,
        input_per_million: float,
        output_per_million: float,
        cached_input_per_million: float | None = None,
    ) -> None:
        if max_cost < 0 or input_per_million < 0 or output_per_million < 0:
            raise ValueError("BudgetGuard: the limit and the prices must not be negative")
        self.max_cost: float = max_cost
        self.input_per_million: float = input_per_million
        self.output_per_million: float = output_per_million
        self.cached_input_per_million: float = (
            input_per_million if cached_input_per_million is None else cached_input_per_million
        )

    def cost(self, usage: Usage) -> float:
        """What `usage` cost at these prices."""
        cached = min(usage.cached_input_tokens, usage.input_tokens)
        return (
            (usage.input_tokens - cached) * self.input_per_million
            + cached * self.cached_input_per_million
            + usage.output_tokens * self.output_per_million
        ) / 1_000_000

    def estimate(self, ctx: RunContext[object], request: ModelRequest) -> float:
        """The cost so far plus the input of `request`."""
        return self.cost(ctx.usage) + _request_tokens(request) * self.input_per_million / 1_000_000

    def before_model_call(self, ctx: Ctx, request: ModelRequest) -> Decision[ModelRequest] | None:
        """Veto the call when the estimate passes the limit."""
        estimate = self.estimate(ctx, request)
        if estimate <= self.max_cost:
            return None
        return Decision.veto(
            f"the estimated cost {estimate:.6g} (spent {self.cost(ctx.usage):.6g}) "
            f"would pass the limit of {self.max_cost:g}"
        )


def _request_tokens(request: ModelRequest) -> int:
    text = "".join(_message_text(m) for m in request.messages)
    tools = "".join(t.name + t.description + json.dumps(t.parameters) for t in request.tools)
    media = sum(media_tokens(part) for m in request.messages for part in m.media)
    return estimate_tokens(text + tools) + media


def _message_text(message: Message) -> str:
    texts: list[str] = []
    for part in message.parts:
        match part:
            case TextPart():
                texts.append(part.text)
            case ToolCallPart():
                texts.append(part.name + part.arguments)
            case ToolResultPart():
                texts.append(part.content)
            case ReasoningPart():
                texts.append(part.summary + json.dumps(part.data))
            case HostedToolPart():
                texts.append(json.dumps(part.data))
            case ImagePart() | AudioPart() | DocumentPart():
                pass  # counted by media_tokens
            case _:
                assert_never(part)
    return "".join(texts)
