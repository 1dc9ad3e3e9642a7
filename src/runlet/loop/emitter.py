"""Emitting a run's events: span ids, sequence numbers, the sinks, and the outbox of a stream's consumer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypedDict

from runlet.core.hooks import HookDecision, Replace
from runlet.loop.clock import Clock

if TYPE_CHECKING:
    from runlet.core import events
    from runlet.core.events import Event, EventSink
else:
    from runlet.core._deferred import DeferredModule

    events = DeferredModule("runlet.core.events")

logger: logging.Logger = logging.getLogger("runlet")


class Meta(TypedDict):
    """The fields every event has."""

    run_id: str
    agent: str
    step: int
    seq: int
    timestamp: float
    span_id: str
    parent_span_id: str | None


class Emitter:
    """Makes a run's events, sends them to the sinks, and keeps them for the consumer of a stream.

    An event is made only when someone listens (a `stream()` consumer or a
    sink), so a `run()` with no sinks pays nothing for events. A sink that
    raises, or an async sink that takes longer than `sink_timeout`, is reported
    once and gets no more events of the run.
    """

    __slots__ = ("run_id", "agent", "streaming", "sinks", "sink_timeout", "listening", "outbox", "clock", "seq", "spans", "step", "run_span", "step_span", "parent_run", "parent_span")

    def __init__(
        self,
        run_id: str,
        agent: str,
        sinks: Sequence[EventSink],
        *,
        streaming: bool,
        sink_timeout: float,
        clock: Clock,
        seq: int = 0,
        spans: int = 0,
        step: int = 0,
    ) -> None:
        self.run_id: str = run_id
        self.agent: str = agent
        self.streaming: bool = streaming
        """Whether a `stream()` consumer takes the events."""
        self.sinks: list[EventSink] = list(sinks)
        self.sink_timeout: float = sink_timeout
        self.listening: bool = streaming or bool(self.sinks)
        """Whether anyone sees the events."""
        self.outbox: list[Event] = []
        self.clock: Clock = clock
        """Where event timestamps come from."""
        self.seq: int = seq
        """The sequence number of the next event."""
        self.spans: int = max(spans, 1)
        """Span ids handed out so far; the first is the run's, also when the run is resumed."""
        self.step: int = step
        self.run_span: str = "1"
        self.step_span: str = self.run_span
        self.parent_run: str | None = None
        """For an agent run as a tool: the id of the run whose tool call this run is."""
        self.parent_span: str | None = None
        """For an agent run as a tool: the span of that tool call, the parent of this run's span."""

    def span(self) -> str:
        """A new span id."""
        self.spans += 1
        return str(self.spans)

    def begin_step(self, step: int) -> None:
        """Events from now on belong to `step`, under a new step span."""
        self.step = step
        self.step_span = self.span()

    def meta(self, span: str, parent: str | None) -> Meta:
        """The common fields of the next event, in span `span` under `parent`."""
        self.seq += 1
        return {
            "run_id": self.run_id,
            "agent": self.agent,
            "step": self.step,
            "seq": self.seq - 1,
            "timestamp": self.clock.time(),
            "span_id": span,
            "parent_span_id": parent,
        }

    def of_run(self) -> Meta:
        """The common fields of an event of the run as a whole (started, completed, failed, ...)."""
        return self.meta(self.run_span, self.parent_span)

    def of_step(self) -> Meta:
        """The common fields of an event of the current step."""
        return self.meta(self.step_span, self.run_span)

    def under_step(self, span: str) -> Meta:
        """The common fields of an event of one model call or tool call (`span`) of the current step."""
        return self.meta(span, self.step_span)

    async def emit(self, make: Callable[[], events.Event]) -> None:
        """Make the event (only if someone listens), send it to the sinks, and keep it for `drain()`."""
        if not self.listening:
            return
        event = make()
        self.outbox.append(event)
        for sink in tuple(self.sinks):
            try:
                pending = sink.emit(event)
                if pending is not None:
                    await asyncio.wait_for(pending, self.sink_timeout)
            except asyncio.TimeoutError:
                logger.error(
                    "event sink %r took over %g s on %s; it gets no more events of run %s",
                    sink, self.sink_timeout, event.type, self.run_id,
                )
                self._drop(sink)
            except Exception:
                logger.exception(
                    "event sink %r raised on %s; it gets no more events of run %s", sink, event.type, self.run_id
                )
                self._drop(sink)

    async def report_hooks(self, decisions: Sequence[HookDecision]) -> None:
        """A `hook.decided` event for each decision a hook made (an interrupt is reported as `human.requested`)."""
        for decided in decisions:
            await self.emit(
                lambda: events.HookDecided(
                    **self.of_step(),
                    hook=decided.hook,
                    point=decided.point,
                    action="replace" if isinstance(decided.decision, Replace) else "veto",
                    reason=decided.decision.reason,
                )
            )

    def drain(self) -> list[Event]:
        """The events emitted since the last drain, in order."""
        drained, self.outbox = self.outbox, []
        return drained

    def _drop(self, sink: EventSink) -> None:
        self.sinks.remove(sink)
        self.listening = self.streaming or bool(self.sinks)
