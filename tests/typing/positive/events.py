"""Events and sinks as users write them: a sink by shape, exhaustive matches, typed filters."""

from __future__ import annotations

import dataclasses
import io
import logging
from collections.abc import Mapping
from typing import Literal

from typing_extensions import assert_never, assert_type

from runlet import JsonValue, Runtime
from runlet.events import (
    Handoff,
    EVENT_TYPES,
    ContextBudgetChecked,
    ContextCompressed,
    Event,
    EventBase,
    EventSink,
    HookDecided,
    HumanRequested,
    HumanResponded,
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
    RunResumed,
    RunStarted,
    RunSuspended,
    StateLoaded,
    StateSaved,
    StepCompleted,
    StepStarted,
    ToolCompleted,
    ToolDenied,
    ToolFailed,
    ToolStarted,
    ToolTimedOut,
    payload_fields,
)
from runlet.sinks import (
    BackgroundSink,
    ConsoleSink,
    JsonlSink,
    LoggingSink,
    MemorySink,
    OpenTelemetrySink,
    RedactingSink,
    level_of,
    redact_strings,
)


class CountingSink:
    """A user's sink: no base class, fits `EventSink` by shape."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def emit(self, event: Event) -> None:
        self.counts[event.type] = self.counts.get(event.type, 0) + 1


class AsyncSink:
    async def emit(self, event: Event) -> None:
        return None


def category(event: Event) -> str:
    """Every member handled: adding one to the union makes this a type error."""
    match event:
        case RunStarted() | RunCompleted() | RunFailed() | RunCancelled():
            return "run"
        case StepStarted() | StepCompleted():
            return "step"
        case ModelRequested() | ModelCompleted() | ModelFailed() | ModelRetried():
            return "model"
        case (
            ModelStreamStarted()
            | ModelStreamDelta()
            | ModelStreamReasoningDelta()
            | ModelStreamToolCallDelta()
            | ModelStreamPartialOutput()
            | ModelStreamDiscarded()
            | ModelStreamCompleted()
        ):
            return "stream"
        case ToolStarted() | ToolCompleted() | ToolFailed() | ToolTimedOut() | ToolDenied():
            return "tool"
        case ContextBudgetChecked() | ContextCompressed():
            return "context"
        case StateLoaded() | StateSaved():
            return "state"
        case HookDecided() | OutputValidationFailed() | PolicyStopped():
            return "policy"
        case RunSuspended() | RunResumed() | HumanRequested() | HumanResponded():
            return "human"
        case Handoff(from_agent=from_agent, to_agent=to_agent):
            assert_type(from_agent, str)
            assert_type(to_agent, str)
            return "agents"
        case _:
            assert_never(event)


def narrowing(event: Event) -> None:
    match event:
        case ModelRetried(delay_seconds=delay, delay_source=source):
            assert_type(delay, float)
            assert_type(source, Literal["backoff", "retry-after"])
        case ModelStreamDiscarded(attempt=attempt, error_type=kind):
            assert_type(attempt, int)
            assert_type(kind, str)
        case ToolCompleted(tool=name, result=result, duration_ms=ms):
            assert_type(name, str)
            assert_type(result, str)
            assert_type(ms, float)
        case ModelCompleted(usage=usage, tool_calls=calls):
            assert_type(usage.input_tokens, int)
            assert_type(calls, tuple[str, ...])
        case _:
            pass
    assert_type(event.payload, Mapping[str, JsonValue])
    assert_type(event.to_json(), dict[str, JsonValue])
    assert_type(event.parent_span_id, str | None)


def scrub(event: Event) -> Event | None:
    if isinstance(event, ToolCompleted):
        return dataclasses.replace(event, result="[redacted]")
    return event


memory = MemorySink()
assert_type(memory.of_type(ToolCompleted), list[ToolCompleted])
assert_type(memory.last(RunCompleted), RunCompleted | None)
assert_type(memory.events, list[Event])
assert_type(memory.for_run("id"), list[Event])
assert_type(memory.where(lambda e: e.step > 1), list[Event])
assert_type(level_of(memory.events[0]), int)
assert_type(payload_fields(ToolCompleted), tuple[str, ...])
assert_type(EVENT_TYPES, tuple[type[EventBase], ...])

sinks: list[EventSink] = [
    CountingSink(),
    AsyncSink(),
    memory,
    JsonlSink(io.StringIO()),
    LoggingSink(logging.getLogger("app")),
    ConsoleSink(io.StringIO(), max_chars=80),
    RedactingSink(memory, scrub),
    RedactingSink(JsonlSink("events.jsonl"), redact_strings(lambda text: text.replace("secret", "***"))),
    BackgroundSink(CountingSink()),
    OpenTelemetrySink(capture_content=True),
]
runtime = Runtime(sinks=sinks)
runtime_inline = Runtime(sinks=(CountingSink(), AsyncSink(), ConsoleSink()))
