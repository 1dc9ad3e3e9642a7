"""`OpenTelemetrySink`: runs as OpenTelemetry spans, after the GenAI semantic conventions.

    from runlet.sinks import OpenTelemetrySink           # needs runlet[otel]

    runtime = Runtime(sinks=[OpenTelemetrySink()])       # the global tracer provider

The tree of spans is built from the events' span ids: one `invoke_agent`
span per run, a `step N` span per step under it, and under each step a `chat`
span per model call and an `execute_tool` span per tool call. The run span's
parent is whatever span is current when the run starts, so a run nests in the
caller's trace; the run of an agent called as a tool (`Agent.as_tool`) nests
under that tool call's span, in the parent's trace. Spans start and end at the
events' timestamps.

Attributes follow the OpenTelemetry GenAI semantic conventions
(`gen_ai.operation.name`, `gen_ai.agent.name`, `gen_ai.response.model`,
`gen_ai.usage.input_tokens`, `gen_ai.tool.name`, `gen_ai.tool.call.id`,
`gen_ai.response.finish_reasons`, `error.type`, ...). Those conventions are
still in development; the names are this module's own constants, so a change
upstream is a change here, not a new dependency.

Errors: a failed tool call, a timed-out or denied one, and a failed, cancelled
run end their spans with status ERROR, an `error.type` and an `exception`
event; a run that fails or is cancelled ends every span it still has open.
A model call that failed and was retried keeps an `exception` event per failure.

Message content (the run's input and output, model text, tool arguments and
results) is recorded only with `capture_content=True`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer, TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue
from typing_extensions import assert_never

from runlet.core.events import (
    ContextBudgetChecked,
    ContextCompressed,
    Event,
    Handoff,
    HookDecided,
    HumanRequested,
    HumanResponded,
    RunSuspended,
    RunResumed,
    ModelCompleted,
    ModelFailed,
    ModelRequested,
    ModelRetried,
    ModelStreamCompleted,
    ModelStreamDelta,
    ModelStreamPartialOutput,
    ModelStreamDiscarded,
    ModelStreamReasoningDelta,
    ModelStreamStarted,
    ModelStreamToolCallDelta,
    OutputValidationFailed,
    PolicyStopped,
    RunCancelled,
    RunCompleted,
    RunFailed,
    RunStarted,
    StateLoaded,
    StateSaved,
    StepCompleted,
    StepStarted,
    ToolCompleted,
    ToolDenied,
    ToolFailed,
    ToolStarted,
    ToolTimedOut,
)
from runlet.core.json import JsonValue
from runlet.core.models import Usage

__all__ = ["OpenTelemetrySink"]

# Attribute names (OpenTelemetry semantic conventions; GenAI ones are in development).
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_AGENT_NAME = "gen_ai.agent.name"
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens"
GEN_AI_TOOL_NAME = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id"
GEN_AI_TOOL_TYPE = "gen_ai.tool.type"
GEN_AI_TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments"
GEN_AI_TOOL_CALL_RESULT = "gen_ai.tool.call.result"
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
ERROR_TYPE = "error.type"
EXCEPTION_TYPE = "exception.type"
EXCEPTION_MESSAGE = "exception.message"

# Operation names.
INVOKE_AGENT = "invoke_agent"
CHAT = "chat"
EXECUTE_TOOL = "execute_tool"

# Runlet's own attributes.
RUNLET_RUN_ID = "runlet.run_id"
RUNLET_STEP = "runlet.step"
RUNLET_PROVIDER = "runlet.provider"
RUNLET_STREAMING = "runlet.streaming"
RUNLET_STEPS = "runlet.steps"
RUNLET_HOSTED_TOOL_CALLS = "runlet.hosted_tool_calls"
"""The hosted tools (web search, ...) the provider ran during a model call, one name per call."""
RUNLET_TOOL_CALL_MEDIA = "runlet.tool.call.media"
"""The media a tool returned, as a JSON array of summaries (never the bytes); only with `capture_content`."""

_CONTENT_KEYS: dict[str, tuple[str, ...]] = {"output.validation_failed": ("error",)}
"""Payload keys of span events that may quote message content: left out unless content is captured."""


@dataclass(slots=True)
class _Open:
    span: Span
    error_type: str | None = None
    """The last failure seen on this span (a model call's failed attempt)."""


@dataclass(slots=True)
class _RunSpans:
    spans: dict[str, _Open] = field(default_factory=dict[str, _Open])
    """Open spans by the events' span ids, in the order they opened."""


def _ns(timestamp: float) -> int:
    return int(timestamp * 1_000_000_000)


def _flatten(prefix: str, value: JsonValue, into: dict[str, AttributeValue]) -> None:
    """JSON as span attributes: objects flattened with dots, lists of scalars kept, None skipped."""
    if value is None:
        return
    if isinstance(value, (str, bool, int, float)):
        into[prefix] = value
    elif isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}.{key}", item, into)
    elif all(isinstance(item, str) for item in value):
        into[prefix] = [str(item) for item in value]
    else:
        into[prefix] = json.dumps(value, default=str)


def _usage(usage: Usage) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {
        GEN_AI_USAGE_INPUT_TOKENS: usage.input_tokens,
        GEN_AI_USAGE_OUTPUT_TOKENS: usage.output_tokens,
    }
    if usage.cached_input_tokens:
        attributes[GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = usage.cached_input_tokens
    if usage.reasoning_tokens:
        attributes[GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoning_tokens
    return attributes


def _messages(role: str, text: str, media: Sequence[Mapping[str, JsonValue]] = ()) -> str:
    """One message in the GenAI conventions' JSON shape for input and output messages.

    Media appear as their summaries: `{"type": "uri", "modality", "mime_type", "uri"}` for a URL, and
    `{"type": "image" | "audio" | "document", "mime_type", "size", "sha256"}` for bytes, never the bytes.
    """
    parts: list[dict[str, JsonValue]] = [{"type": "text", "content": text}]
    for summary in media:
        kind, mime_type = summary.get("kind"), summary.get("media_type")
        if "url" in summary:
            parts.append({"type": "uri", "modality": kind, "mime_type": mime_type, "uri": summary["url"]})
        else:
            parts.append({"type": kind, "mime_type": mime_type, "size": summary.get("size"), "sha256": summary.get("sha256")})
    return json.dumps([{"role": role, "parts": parts}], ensure_ascii=False)


class OpenTelemetrySink:
    """Turns events into OpenTelemetry spans: run > step > model call / tool call."""

    def __init__(
        self,
        tracer_provider: TracerProvider | None = None,
        *,
        capture_content: bool = False,
        tracer: Tracer | None = None,
    ) -> None:
        """`tracer_provider`: where spans go (default: the global one); or give a `tracer` directly.
        `capture_content`: also record the input, output, model text, tool arguments and results."""
        if tracer is None:
            from runlet import __version__

            tracer = trace.get_tracer("runlet", __version__, tracer_provider=tracer_provider)
        self.tracer = tracer
        self.capture_content = capture_content
        self._runs: dict[str, _RunSpans] = {}
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        """Start, annotate or end the span the event belongs to."""
        with self._lock:
            self._handle(event)

    def trace_headers(self, run_id: str, span_id: str) -> dict[str, str]:
        """The W3C trace context (`traceparent`) of the OpenTelemetry span of a run's event span, while it is open; else `{}`.

        A durable run sends it with each model call and tool call, and the
        activity or step makes it the current context, so that spans opened
        there (a tool's own, a provider's HTTP client's) nest under the call's span.
        """
        with self._lock:
            run = self._runs.get(run_id)
            opened = None if run is None else run.spans.get(span_id)
        if opened is None:
            return {}
        headers: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(headers, context=trace.set_span_in_context(opened.span))
        return headers

    # Span bookkeeping

    def _start(
        self,
        event: Event,
        name: str,
        kind: SpanKind,
        attributes: dict[str, AttributeValue],
    ) -> Span:
        run = self._runs.setdefault(event.run_id, _RunSpans())
        parent: Context | None = None
        if event.parent_span_id is not None:
            # an agent run as a tool: its run span's parent is the tool call's span, in the parent's run
            owner = self._runs.get(event.parent_run_id) if isinstance(event, RunStarted) and event.parent_run_id else run
            opened = None if owner is None else owner.spans.get(event.parent_span_id)
            if opened is not None:
                parent = trace.set_span_in_context(opened.span)
        attributes[RUNLET_RUN_ID] = event.run_id
        span = self.tracer.start_span(
            name, context=parent, kind=kind, attributes=attributes, start_time=_ns(event.timestamp)
        )
        run.spans[event.span_id] = _Open(span)
        return span

    def _open(self, event: Event) -> _Open | None:
        run = self._runs.get(event.run_id)
        return None if run is None else run.spans.get(event.span_id)

    def _end(self, event: Event, error: tuple[str, str] | None = None) -> None:
        """End the event's span, as failed with (error type, description) if given."""
        run = self._runs.get(event.run_id)
        opened = None if run is None else run.spans.pop(event.span_id, None)
        if opened is not None:
            if error is not None:
                _fail(opened.span, error[0], error[1], event.timestamp)
            opened.span.end(end_time=_ns(event.timestamp))

    def _end_run(self, event: Event, error: tuple[str, str] | None) -> None:
        """End every span the run has open, innermost first; the run's own span last."""
        run = self._runs.pop(event.run_id, None)
        if run is None:
            return
        end = _ns(event.timestamp)
        for span_id, opened in reversed(run.spans.items()):
            if error is not None:
                kind = error[0] if span_id == event.span_id else opened.error_type or error[0]
                _fail(opened.span, kind, error[1], event.timestamp, exception=span_id == event.span_id)
            opened.span.end(end_time=end)

    def _point(self, event: Event) -> None:
        """An event with no span of its own: a span event on its span, or else on its parent."""
        run = self._runs.get(event.run_id)
        if run is None:
            return
        opened = run.spans.get(event.span_id)
        if opened is None and event.parent_span_id is not None:
            opened = run.spans.get(event.parent_span_id)
        if opened is None:
            return
        attributes: dict[str, AttributeValue] = {}
        hidden = () if self.capture_content else _CONTENT_KEYS.get(event.type, ())
        for key, value in event.payload.items():
            if key not in hidden:
                _flatten(key, value, attributes)
        opened.span.add_event(event.type, attributes, timestamp=_ns(event.timestamp))

    # Events

    def _handle(self, event: Event) -> None:
        content = self.capture_content
        match event:
            case RunStarted(agent=agent, input=text, media=media):
                attributes: dict[str, AttributeValue] = {
                    GEN_AI_OPERATION_NAME: INVOKE_AGENT,
                    GEN_AI_AGENT_NAME: agent,
                }
                if content:
                    attributes[GEN_AI_INPUT_MESSAGES] = _messages("user", text, media)
                self._start(event, f"{INVOKE_AGENT} {agent}", SpanKind.INTERNAL, attributes)
            case RunCompleted(output=output, usage=usage, steps=steps):
                opened = self._open(event)
                if opened is not None:
                    opened.span.set_attributes(_usage(usage))
                    opened.span.set_attribute(RUNLET_STEPS, steps)
                    if content:
                        text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
                        opened.span.set_attribute(GEN_AI_OUTPUT_MESSAGES, _messages("assistant", text))
                self._end_run(event, None)
            case RunFailed(error_type=kind, message=message):
                self._end_run(event, (kind, message))
            case RunCancelled(reason=reason):
                self._end_run(event, ("cancelled", reason))
            case RunResumed(agent=agent):
                self._start(
                    event,
                    f"{INVOKE_AGENT} {agent}",
                    SpanKind.INTERNAL,
                    {GEN_AI_OPERATION_NAME: INVOKE_AGENT, GEN_AI_AGENT_NAME: agent},
                )
                self._point(event)
            case RunSuspended(usage=usage, steps=steps):
                self._point(event)
                opened = self._open(event)
                if opened is not None:
                    opened.span.set_attributes(_usage(usage))
                    opened.span.set_attribute(RUNLET_STEPS, steps)
                self._end_run(event, None)
            case HumanRequested() | HumanResponded():
                self._point(event)
            case StepStarted(step=step):
                self._start(event, f"step {step}", SpanKind.INTERNAL, {RUNLET_STEP: step, GEN_AI_AGENT_NAME: event.agent})
            case StepCompleted():
                self._end(event)
            case ModelRequested(provider=provider, streaming=streaming):
                self._start(
                    event,
                    CHAT,
                    SpanKind.CLIENT,
                    {
                        GEN_AI_OPERATION_NAME: CHAT,
                        GEN_AI_AGENT_NAME: event.agent,
                        RUNLET_PROVIDER: provider,
                        RUNLET_STREAMING: streaming,
                        RUNLET_STEP: event.step,
                    },
                )
            case ModelCompleted(model=model, finish_reason=reason, usage=usage, text=text, hosted_tool_calls=hosted):
                opened = self._open(event)
                if opened is None:  # answered by a hook: no request was sent
                    self._start(event, CHAT, SpanKind.CLIENT, {GEN_AI_OPERATION_NAME: CHAT, RUNLET_STEP: event.step})
                    opened = self._open(event)
                    assert opened is not None
                span = opened.span
                span.set_attributes(_usage(usage))
                span.set_attribute(GEN_AI_RESPONSE_MODEL, model)
                span.set_attribute(GEN_AI_RESPONSE_FINISH_REASONS, [reason])
                if hosted:
                    span.set_attribute(RUNLET_HOSTED_TOOL_CALLS, list(hosted))
                if content:
                    span.set_attribute(GEN_AI_OUTPUT_MESSAGES, _messages("assistant", text))
                self._end(event)
            case ModelFailed(error_type=kind, message=message, retryable=retryable, attempt=attempt):
                opened = self._open(event)
                if opened is not None:
                    opened.error_type = kind
                    opened.span.add_event(
                        "exception",
                        {
                            EXCEPTION_TYPE: kind,
                            EXCEPTION_MESSAGE: message,
                            "runlet.retryable": retryable,
                            "runlet.attempt": attempt,
                        },
                        timestamp=_ns(event.timestamp),
                    )
            case ToolStarted(tool=tool, call_id=call_id, arguments=arguments):
                attributes = {
                    GEN_AI_OPERATION_NAME: EXECUTE_TOOL,
                    GEN_AI_AGENT_NAME: event.agent,
                    GEN_AI_TOOL_NAME: tool,
                    GEN_AI_TOOL_CALL_ID: call_id,
                    GEN_AI_TOOL_TYPE: "function",
                    RUNLET_STEP: event.step,
                }
                if content:
                    attributes[GEN_AI_TOOL_CALL_ARGUMENTS] = arguments
                self._start(event, f"{EXECUTE_TOOL} {tool}", SpanKind.INTERNAL, attributes)
            case ToolCompleted(result=result, media=media):
                opened = self._open(event)
                if opened is not None and content:
                    opened.span.set_attribute(GEN_AI_TOOL_CALL_RESULT, result)
                    if media:
                        opened.span.set_attribute(RUNLET_TOOL_CALL_MEDIA, json.dumps(media))
                self._end(event)
            case ToolFailed(error=error, error_type=error_type):
                self._end(event, (error_type, error))
            case ToolTimedOut(timeout_seconds=timeout):
                self._end(event, (event.type, f"timed out after {timeout:g}s"))
            case ToolDenied(reason=reason, hook=hook):
                self._end(event, (event.type, f"denied by {hook}: {reason}"))
            case (
                ModelRetried()
                | ModelStreamDiscarded()
                | ContextBudgetChecked()
                | ContextCompressed()
                | StateLoaded()
                | StateSaved()
                | HookDecided()
                | OutputValidationFailed()
                | PolicyStopped()
                | Handoff()
            ):
                self._point(event)
            case (
                ModelStreamStarted()
                | ModelStreamDelta()
                | ModelStreamReasoningDelta()
                | ModelStreamToolCallDelta()
                | ModelStreamPartialOutput()
                | ModelStreamCompleted()
            ):
                pass
            case _:
                assert_never(event)

    def __repr__(self) -> str:
        return f"OpenTelemetrySink(capture_content={self.capture_content})"


def _fail(span: Span, error_type: str, description: str, timestamp: float, *, exception: bool = True) -> None:
    span.set_attribute(ERROR_TYPE, error_type)
    span.set_status(Status(StatusCode.ERROR, description))
    if exception:
        span.add_event(
            "exception",
            {EXCEPTION_TYPE: error_type, EXCEPTION_MESSAGE: description},
            timestamp=_ns(timestamp),
        )
