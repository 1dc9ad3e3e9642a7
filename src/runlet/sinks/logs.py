"""`LoggingSink`: every event as a stdlib `logging` record, with the event's fields in `extra`.

    logging.basicConfig(level=logging.INFO)
    runtime = Runtime(sinks=[LoggingSink()])

Levels by kind of event (see `level_of`): failures are ERROR; retries,
denials, validation failures, limits and cancellations are WARNING; stream
events are DEBUG; everything else is INFO. The message reads
`"<type> <payload as JSON>"` and is only formatted if a handler wants it.
Each record carries, as attributes: `event` (the event itself), `event_type`,
`run_id`, `agent`, `step`, `seq`, `span_id`, `parent_span_id` and `payload`
(a dict), so structured (JSON) log handlers can pick them up. A `tool.failed`
for a tool that raised carries the traceback as the record's exception text
(`exc_text`), which formatters print after the message, as for
`logger.exception`; the message's JSON leaves it out.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

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


def level_of(event: Event) -> int:
    """The logging level `LoggingSink` uses for an event, by its kind."""
    match event:
        case RunFailed() | ModelFailed() | ToolFailed() | ToolTimedOut():
            return logging.ERROR
        case (
            ModelRetried()
            | ModelStreamDiscarded()
            | ToolDenied()
            | OutputValidationFailed()
            | PolicyStopped()
            | RunCancelled()
        ):
            return logging.WARNING
        case (
            ModelStreamStarted()
            | ModelStreamDelta()
            | ModelStreamPartialOutput()
            | ModelStreamReasoningDelta()
            | ModelStreamToolCallDelta()
            | ModelStreamCompleted()
        ):
            return logging.DEBUG
        case (
            RunStarted()
            | RunCompleted()
            | StepStarted()
            | StepCompleted()
            | ModelRequested()
            | ModelCompleted()
            | ToolStarted()
            | ToolCompleted()
            | ContextBudgetChecked()
            | ContextCompressed()
            | StateLoaded()
            | StateSaved()
            | HookDecided()
        ):
            return logging.INFO
        case RunSuspended() | RunResumed() | HumanRequested() | HumanResponded() | Handoff():
            return logging.INFO
        case _:
            assert_never(event)


class _JsonText:
    """Renders a payload as JSON only when a handler formats the message."""

    __slots__ = ("value",)

    def __init__(self, value: Mapping[str, JsonValue]) -> None:
        self.value = value

    def __str__(self) -> str:
        return json.dumps(self.value, ensure_ascii=False, default=str)


class LoggingSink:
    """Logs every event to a `logging.Logger` (by default `"runlet.events"`) at a level set by its kind."""

    def __init__(
        self,
        logger: logging.Logger | str = "runlet.events",
        *,
        levels: Mapping[str, int] | None = None,
    ) -> None:
        """`levels`: overrides by event type, e.g. `{"context.budget_checked": logging.DEBUG}`."""
        self.logger: logging.Logger = logger if isinstance(logger, logging.Logger) else logging.getLogger(logger)
        self.levels: Mapping[str, int] = dict(levels or {})

    def emit(self, event: Event) -> None:
        """Log the event, if the logger is enabled for its level."""
        level = self.levels.get(event.type) if self.levels else None
        if level is None:
            level = level_of(event)
        if not self.logger.isEnabledFor(level):
            return
        payload = dict(event.payload)
        extra = {
            "event": event,
            "event_type": event.type,
            "run_id": event.run_id,
            "agent": event.agent,
            "step": event.step,
            "seq": event.seq,
            "span_id": event.span_id,
            "parent_span_id": event.parent_span_id,
            "payload": payload,
        }
        if isinstance(event, ToolFailed) and event.traceback:
            shown = {key: value for key, value in payload.items() if key != "traceback"}
            record = self.logger.makeRecord(
                self.logger.name, level, __file__, 0, "%s %s", (event.type, _JsonText(shown)), None, extra=extra
            )
            record.exc_text = event.traceback.rstrip("\n")  # formatters print it as a logged exception's
            self.logger.handle(record)
            return
        self.logger.log(level, "%s %s", event.type, _JsonText(payload), extra=extra)

    def __repr__(self) -> str:
        return f"LoggingSink({self.logger.name!r})"
