"""Structured events: one union of frozen dataclasses, and the `EventSink` protocol.

Every event carries the run id, the agent's name, the step, a sequence number
that orders all events of a run, a wall-clock timestamp, and a span id with its
parent's (run > step > model call or tool call), so a sink can rebuild the tree.
`type` is a stable dotted name; `payload` is the event's own fields as JSON.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Awaitable, Mapping
from typing import ClassVar, Literal, Protocol, Union

from typing_extensions import TypeAlias

from runlet.core._frozen import frozen
from runlet.core.json import JsonValue
from runlet.core.models import FinishReason, Usage

_BASE_FIELDS = frozenset(
    ("run_id", "agent", "step", "seq", "timestamp", "span_id", "parent_span_id")
)
_payload_fields: dict[type[object], tuple[str, ...]] = {}


@frozen(kw_only=True)
class EventBase:
    """Fields every event has."""

    type: ClassVar[str]
    run_id: str
    agent: str
    step: int
    """The step the event belongs to; 0 before the first step."""
    seq: int
    """Orders all events of one run, from 0."""
    timestamp: float
    """Seconds since the epoch (`time.time()`)."""
    span_id: str
    parent_span_id: str | None

    @property
    def payload(self) -> Mapping[str, JsonValue]:
        """The event's own fields (everything but the common ones), JSON-serialisable."""
        names = _payload_fields.get(type(self))
        if names is None:
            names = payload_fields(type(self))
        return {name: _to_json(getattr(self, name)) for name in names}

    def to_json(self) -> dict[str, JsonValue]:
        """The whole event as one JSON object: `type`, the common fields and `payload`."""
        return {
            "type": self.type,
            "run_id": self.run_id,
            "agent": self.agent,
            "step": self.step,
            "seq": self.seq,
            "timestamp": self.timestamp,
            "span_id": self.span_id,
            "parent_span_id": self.parent_span_id,
            "payload": dict(self.payload),
        }


def payload_fields(cls: type[EventBase]) -> tuple[str, ...]:
    """The names of an event class's own fields: the keys of its `payload`, in order."""
    names = _payload_fields.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls) if f.name not in _BASE_FIELDS)
        _payload_fields[cls] = names
    return names


def _to_json(value: object) -> JsonValue:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Usage):
        return {
            "input_tokens": value.input_tokens,
            "output_tokens": value.output_tokens,
            "cached_input_tokens": value.cached_input_tokens,
            "reasoning_tokens": value.reasoning_tokens,
            "requests": value.requests,
        }
    if isinstance(value, Mapping):
        return {str(k): _to_json(v) for k, v in typing.cast("Mapping[object, object]", value).items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in typing.cast("list[object]", value)]
    return repr(value)


# Runs


@frozen(kw_only=True)
class RunStarted(EventBase):
    """A run began with this input."""

    type: ClassVar[Literal["run.started"]] = "run.started"
    input: str
    """The text of the last input message."""
    media: tuple[Mapping[str, JsonValue], ...] = ()
    """The images, audio and documents of the last input message, summarised (`kind`, `media_type`, `size`, `sha256`, or `url`); never their bytes."""
    parent_run_id: str | None = None
    """For an agent run as a tool (`Agent.as_tool`), the run whose tool call it is; its `parent_span_id` is that call's span. `None` otherwise."""


@frozen(kw_only=True)
class RunCompleted(EventBase):
    """A run ended with a validated output."""

    type: ClassVar[Literal["run.completed"]] = "run.completed"
    output: JsonValue
    """The validated output as JSON (a string for `str` agents)."""
    usage: Usage
    """Summed over every model call of the run."""
    steps: int
    """Steps (model calls) the run took."""


@frozen(kw_only=True)
class RunFailed(EventBase):
    """A run stopped with an error, which is then raised."""

    type: ClassVar[Literal["run.failed"]] = "run.failed"
    error_type: str
    """The exception's class name, such as `MaxStepsExceeded`."""
    message: str
    """The exception's message."""


@frozen(kw_only=True)
class RunCancelled(EventBase):
    """A run was cancelled (task cancelled, stream closed, or deadline)."""

    type: ClassVar[Literal["run.cancelled"]] = "run.cancelled"
    reason: str
    """Why the run stopped, such as `"cancelled"`."""


# Steps


@frozen(kw_only=True)
class StepStarted(EventBase):
    """A step (one model call and the tool calls it asks for) began."""

    type: ClassVar[Literal["step.started"]] = "step.started"


@frozen(kw_only=True)
class StepCompleted(EventBase):
    """A step ended."""

    type: ClassVar[Literal["step.completed"]] = "step.completed"
    tool_calls: int
    """Tool calls the step made (0 for a final answer)."""


# Model calls


@frozen(kw_only=True)
class ModelRequested(EventBase):
    """A request is about to go to the model."""

    type: ClassVar[Literal["model.requested"]] = "model.requested"
    provider: str
    """The provider's class name."""
    messages: int
    """Messages in the request, after budgeting."""
    tools: int
    """Tools offered to the model."""
    streaming: bool
    """Whether the call is streamed."""


@frozen(kw_only=True)
class ModelCompleted(EventBase):
    """The model answered."""

    type: ClassVar[Literal["model.completed"]] = "model.completed"
    provider: str
    """The provider that answered: `ModelResponse.provider` when it says (a `FallbackProvider` does), else its class name."""
    model: str
    """The model that answered, as the provider reports it."""
    finish_reason: FinishReason
    usage: Usage
    """This call's usage."""
    text: str
    """The answer's text (empty when it only calls tools)."""
    tool_calls: tuple[str, ...]
    """The names of the tools the model asks for."""
    hosted_tool_calls: tuple[str, ...] = ()
    """The names of the hosted tools the provider ran during the call (`web_search`, ...), one per call."""


@frozen(kw_only=True)
class ModelFailed(EventBase):
    """A model call failed (it may be retried: see `model.retried`)."""

    type: ClassVar[Literal["model.failed"]] = "model.failed"
    error_type: str
    """The error's class name, such as `RateLimited`."""
    message: str
    retryable: bool
    """Whether the error is of a kind that may be retried."""
    attempt: int
    """The attempt that failed, from 1."""


@frozen(kw_only=True)
class ModelRetried(EventBase):
    """A failed model call will be tried again after a delay."""

    type: ClassVar[Literal["model.retried"]] = "model.retried"
    attempt: int
    """The attempt about to be made, from 2."""
    delay_seconds: float
    """Seconds waited before it."""
    delay_source: Literal["backoff", "retry-after"]
    """Where the delay came from: the `RetryPolicy`'s backoff, or the provider's `Retry-After` / `retry-after-ms` (when longer)."""
    error_type: str


@frozen(kw_only=True)
class ModelStreamStarted(EventBase):
    """A streamed model call began."""

    type: ClassVar[Literal["model.stream.started"]] = "model.stream.started"


@frozen(kw_only=True)
class ModelStreamDelta(EventBase):
    """A piece of answer text."""

    type: ClassVar[Literal["model.stream.delta"]] = "model.stream.delta"
    delta: str


@frozen(kw_only=True)
class ModelStreamPartialOutput(EventBase):
    """The structured answer so far, after a text delta that completed a value of it."""

    type: ClassVar[Literal["model.stream.partial_output"]] = "model.stream.partial_output"
    output: JsonValue
    """The JSON known so far: complete values only, containers as soon as they open (`RunStream.partial_outputs`)."""


@frozen(kw_only=True)
class ModelStreamReasoningDelta(EventBase):
    """A piece of reasoning summary text."""

    type: ClassVar[Literal["model.stream.reasoning_delta"]] = "model.stream.reasoning_delta"
    delta: str


@frozen(kw_only=True)
class ModelStreamToolCallDelta(EventBase):
    """A piece of a tool call's arguments."""

    type: ClassVar[Literal["model.stream.tool_call_delta"]] = "model.stream.tool_call_delta"
    call_id: str
    tool: str
    """The tool's name."""
    delta: str


@frozen(kw_only=True)
class ModelStreamDiscarded(EventBase):
    """The streamed call broke after part of its answer was shown: discard that part; the call is tried again."""

    type: ClassVar[Literal["model.stream.discarded"]] = "model.stream.discarded"
    attempt: int
    """The attempt whose output is void, from 1; the next attempt streams the answer from its start."""
    error_type: str
    """Why it broke, such as `StreamInterrupted`."""


@frozen(kw_only=True)
class ModelStreamCompleted(EventBase):
    """A streamed model call finished."""

    type: ClassVar[Literal["model.stream.completed"]] = "model.stream.completed"


# Tool calls


@frozen(kw_only=True)
class ToolStarted(EventBase):
    """A tool call began."""

    type: ClassVar[Literal["tool.started"]] = "tool.started"
    tool: str
    call_id: str
    """The model's id for the call; the result refers to it."""
    arguments: str
    """The arguments as the model sent them (a JSON text)."""


@frozen(kw_only=True)
class ToolCompleted(EventBase):
    """A tool call returned; `result` is what the model sees."""

    type: ClassVar[Literal["tool.completed"]] = "tool.completed"
    tool: str
    call_id: str
    result: str
    duration_ms: float
    """Wall-clock time of the call."""
    media: tuple[Mapping[str, JsonValue], ...] = ()
    """The images, audio and documents the tool returned, summarised as in `run.started`; never their bytes."""


@frozen(kw_only=True)
class ToolFailed(EventBase):
    """A tool call failed (unknown tool, not offered, bad arguments, or it raised); the model is told, or the run fails."""

    type: ClassVar[Literal["tool.failed"]] = "tool.failed"
    tool: str
    call_id: str
    error: str
    """What went wrong."""
    error_type: str
    """The exception's class name (`ValidationError`, `ToolError`, `ValueError`, ...), or `UnknownTool` / `ToolNotOffered`."""
    traceback: str
    """The traceback of what the tool raised, as Python prints it; empty when it raised nothing."""
    duration_ms: float


@frozen(kw_only=True)
class ToolTimedOut(EventBase):
    """A tool call took longer than its timeout; the model is told."""

    type: ClassVar[Literal["tool.timed_out"]] = "tool.timed_out"
    tool: str
    call_id: str
    timeout_seconds: float


@frozen(kw_only=True)
class ToolDenied(EventBase):
    """A hook vetoed a tool call; the model receives the reason."""

    type: ClassVar[Literal["tool.denied"]] = "tool.denied"
    tool: str
    call_id: str
    reason: str
    """The reason the hook gave."""
    hook: str
    """The name of the hook that vetoed the call."""


# Context


@frozen(kw_only=True)
class ContextBudgetChecked(EventBase):
    """A request was measured against the model's context window."""

    type: ClassVar[Literal["context.budget_checked"]] = "context.budget_checked"
    tokens: int
    limit: int
    """Tokens the request may use: the window less the reserved output."""
    window: int
    source: str
    """How `tokens` was counted: "estimate", "calibrated" or "exact"."""


@frozen(kw_only=True)
class ContextCompressed(EventBase):
    """Compression made a request smaller."""

    type: ClassVar[Literal["context.compressed"]] = "context.compressed"
    tokens_before: int
    tokens_after: int
    strategies: tuple[str, ...]
    """The compression strategies that ran, in order."""
    removed_messages: int
    """Messages removed from the request."""
    usage: Usage
    """Model calls the strategies made (a summary, say); counted in the run's usage."""


# State


@frozen(kw_only=True)
class StateLoaded(EventBase):
    """A session's history was loaded."""

    type: ClassVar[Literal["state.loaded"]] = "state.loaded"
    session: str
    """The session's id."""
    messages: int
    """Messages loaded."""


@frozen(kw_only=True)
class StateSaved(EventBase):
    """A run's new messages were appended to its session."""

    type: ClassVar[Literal["state.saved"]] = "state.saved"
    session: str
    """The session's id."""
    messages: int
    """Messages appended."""


# Hooks, output, policies


@frozen(kw_only=True)
class HookDecided(EventBase):
    """A hook replaced or vetoed something."""

    type: ClassVar[Literal["hook.decided"]] = "hook.decided"
    hook: str
    """The hook's name."""
    point: str
    """Where it ran, such as `before_tool_call`."""
    action: Literal["replace", "veto"]
    reason: str


@frozen(kw_only=True)
class OutputValidationFailed(EventBase):
    """The final answer did not validate against the output type, or an output validator refused it; the model is asked again."""

    type: ClassVar[Literal["output.validation_failed"]] = "output.validation_failed"
    error: str
    """Why the answer did not validate, or the reason the validator gave (`OutputRetry`)."""
    attempt: int
    """Failed answers so far, from 1."""


@frozen(kw_only=True)
class PolicyStopped(EventBase):
    """A limit stopped the run."""

    type: ClassVar[Literal["policy.stopped"]] = "policy.stopped"
    limit: str
    """The limit's name, such as `max_tool_calls`."""
    value: float
    """The value that reached the limit."""
    maximum: float
    """The limit."""


# Human in the loop


@frozen(kw_only=True)
class HumanRequested(EventBase):
    """A tool call waits for a human decision (an approval or an answer); the run will stop."""

    type: ClassVar[Literal["human.requested"]] = "human.requested"
    request_id: str
    """The request's id; the response names it."""
    kind: str
    """`"approval"` (approve, reject or edit the call) or `"input"` (answer a question)."""
    tool: str
    call_id: str
    prompt: str
    """The reason for an approval, or the question."""
    requested_by: str
    """The hook that asked, or `"tool"`."""


@frozen(kw_only=True)
class HumanResponded(EventBase):
    """A resumed run received a human's response to a pending request."""

    type: ClassVar[Literal["human.responded"]] = "human.responded"
    request_id: str
    tool: str
    call_id: str
    response: str
    """`"approve"`, `"reject"`, `"edit"` or `"answer"`."""
    detail: str
    """A rejection's reason, the edited arguments or the answer (JSON text); empty for an approval."""


@frozen(kw_only=True)
class RunSuspended(EventBase):
    """A run stopped to wait for humans (`run()` raises `RunInterrupted`); it can be resumed from the checkpoint."""

    type: ClassVar[Literal["run.suspended"]] = "run.suspended"
    checkpoint_id: str
    requests: tuple[str, ...]
    """The ids of the pending requests."""
    usage: Usage
    """Summed over every model call of the run so far."""
    steps: int
    """Steps (model calls) so far."""


@frozen(kw_only=True)
class RunResumed(EventBase):
    """A suspended run continues from a checkpoint (same run id; sequence numbers go on)."""

    type: ClassVar[Literal["run.resumed"]] = "run.resumed"
    checkpoint_id: str
    responses: int
    """Responses given to the pending requests."""


# Agents


@frozen(kw_only=True)
class Handoff(EventBase):
    """The run was handed to another agent (its transfer tool was called); its events from now on name that agent."""

    type: ClassVar[Literal["agent.handoff"]] = "agent.handoff"
    from_agent: str
    """The agent that handed the run over."""
    to_agent: str
    """The agent the run continues with."""
    call_id: str
    """The transfer tool call that made the handoff."""


Event: TypeAlias = Union[
    RunStarted,
    RunCompleted,
    RunFailed,
    RunCancelled,
    StepStarted,
    StepCompleted,
    ModelRequested,
    ModelCompleted,
    ModelFailed,
    ModelRetried,
    ModelStreamStarted,
    ModelStreamDelta,
    ModelStreamPartialOutput,
    ModelStreamReasoningDelta,
    ModelStreamToolCallDelta,
    ModelStreamDiscarded,
    ModelStreamCompleted,
    ToolStarted,
    ToolCompleted,
    ToolFailed,
    ToolTimedOut,
    ToolDenied,
    ContextBudgetChecked,
    ContextCompressed,
    StateLoaded,
    StateSaved,
    HookDecided,
    OutputValidationFailed,
    PolicyStopped,
    HumanRequested,
    HumanResponded,
    RunSuspended,
    RunResumed,
    Handoff,
]
"""Every event Runlet emits. Handle it with `match` and `assert_never`."""

EVENT_TYPES: tuple[type[EventBase], ...] = typing.get_args(Event)
"""The event classes, in the order of `Event`."""


class EventSink(Protocol):
    """Receives every event of the runs it is attached to.

    `emit` may be sync or async; async sinks are awaited in order. A sink that
    raises is reported once and skipped for the rest of the run.
    """

    def emit(self, event: Event) -> Awaitable[None] | None:
        """Handle one event."""
        ...
