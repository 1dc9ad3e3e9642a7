"""Trace context across a durable engine's boundary: a call's OpenTelemetry span as W3C headers, and back.

The workflow side asks the run's `OpenTelemetrySink` for the `traceparent`
of the model call's or tool call's span and sends it with the call; the side
that runs the call makes it the current OpenTelemetry context, so that the
spans a tool or a provider's HTTP client opens there nest under the run's
span, in the run's trace. OpenTelemetry stays optional: nothing here imports
it unless a sink of the run traces (the workflow side) or a call arrives
with headers (the other side).
"""

from __future__ import annotations

import sys
from collections.abc import Generator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, cast

from runlet.core.events import EventSink

if TYPE_CHECKING:
    from runlet.sinks.otel import OpenTelemetrySink


def trace_headers(sinks: Sequence[EventSink], run_id: str, span_id: str) -> dict[str, str] | None:
    """The W3C trace context of a run's event span from the first `OpenTelemetrySink` in `sinks` that has it open."""
    module = sys.modules.get("runlet.sinks.otel")
    if module is None:  # no OpenTelemetrySink was made in this process: nothing traces the run
        return None
    sink_type = cast("type[OpenTelemetrySink]", getattr(module, "OpenTelemetrySink"))
    for sink in sinks:
        if isinstance(sink, sink_type):
            headers = sink.trace_headers(run_id, span_id)
            if headers:
                return headers
    return None


@contextmanager
def traced(headers: Mapping[str, str] | None) -> Generator[None, None, None]:
    """Within the block, the trace context of `headers` is OpenTelemetry's current context (if OpenTelemetry is installed)."""
    if not headers:
        yield
        return
    try:
        from opentelemetry import context
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
    except ImportError:  # nothing here can open a span, so there is nothing to nest
        yield
        return
    token = context.attach(TraceContextTextMapPropagator().extract(dict(headers)))
    try:
        yield
    finally:
        context.detach(token)
