"""Overhead of emitting events: microseconds per event, by sink.

    python benchmarks/events.py [N]

Times constructing N events (a realistic mix: tool calls, model completions,
stream deltas) and emitting them the way the runtime does (`runlet.loop.emitter.Emitter.emit`: each
sink in order, awaiting the async ones), with:

- no sink (the event is still built: the runtime yields it from `stream()`),
- `MemorySink`,
- `JsonlSink` writing to a temporary file,
- `LoggingSink` to a logger with a `NullHandler` (enabled at DEBUG, so every
  record is created and handled; the message is never formatted),
- `LoggingSink` to a logger at WARNING (most events skipped before any work),
- `BackgroundSink(JsonlSink(...))` (the event loop only pays for the queue).

Each case runs 5 times; the best run is reported.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence

from runlet.core.events import Event, EventSink, ModelCompleted, ModelStreamDelta, ToolCompleted, ToolStarted
from runlet.core.models import Usage
from runlet.sinks import BackgroundSink, JsonlSink, LoggingSink, MemorySink

USAGE = Usage(input_tokens=1200, output_tokens=80, requests=1)


def make_event(i: int) -> Event:
    """One of four event kinds, with the common fields the runtime fills in."""
    meta = {
        "run_id": "0123456789abcdef0123456789abcdef",
        "agent": "support",
        "step": i // 4 + 1,
        "seq": i,
        "timestamp": time.time(),
        "span_id": str(i % 7 + 2),
        "parent_span_id": "1",
    }
    kind = i % 4
    if kind == 0:
        return ToolStarted(**meta, tool="lookup", call_id=f"call_{i}", arguments='{"order_id": "123"}')  # type: ignore[arg-type]
    if kind == 1:
        return ToolCompleted(  # type: ignore[arg-type]
            **meta, tool="lookup", call_id=f"call_{i}", result="order 123: shipped, arriving Tuesday", duration_ms=1.25
        )
    if kind == 2:
        return ModelStreamDelta(**meta, delta="Order 123 has ")  # type: ignore[arg-type]
    return ModelCompleted(  # type: ignore[arg-type]
        **meta, model="gpt-5.5", finish_reason="stop", usage=USAGE, text="Order 123 has shipped.", tool_calls=()
    )


async def emit_all(n: int, sinks: Sequence[EventSink]) -> float:
    """Seconds to build and emit n events, as `runlet.loop.emitter.Emitter.emit` does."""
    started = time.perf_counter()
    for i in range(n):
        event = make_event(i)
        for sink in sinks:
            pending = sink.emit(event)
            if pending is not None:
                await pending
    return time.perf_counter() - started


def best(n: int, make_sinks: Callable[[], Sequence[EventSink]], after: Callable[[], None] = lambda: None) -> float:
    times: list[float] = []
    for _ in range(5):
        sinks = make_sinks()
        times.append(asyncio.run(emit_all(n, sinks)))
        after()
    return min(times) / n * 1e6


def main(n: int) -> None:
    directory = tempfile.mkdtemp(prefix="runlet-bench-")
    path = os.path.join(directory, "events.jsonl")
    opened: list[JsonlSink | BackgroundSink] = []

    def jsonl() -> Sequence[EventSink]:
        sink = JsonlSink(path)
        opened.append(sink)
        return [sink]

    def background() -> Sequence[EventSink]:
        sink = BackgroundSink(JsonlSink(path), max_queue=n + 1)
        opened.append(sink)
        return [sink]

    def close() -> None:
        for sink in opened:
            sink.close()
        opened.clear()
        os.remove(path)

    null_logger = logging.getLogger("bench.null")
    null_logger.addHandler(logging.NullHandler())
    null_logger.propagate = False
    null_logger.setLevel(logging.DEBUG)
    quiet_logger = logging.getLogger("bench.quiet")
    quiet_logger.addHandler(logging.NullHandler())
    quiet_logger.propagate = False
    quiet_logger.setLevel(logging.WARNING)

    baseline = best(n, lambda: [])
    cases: list[tuple[str, float]] = [
        ("no sink (construct only)", baseline),
        ("MemorySink", best(n, lambda: [MemorySink()])),
        ("JsonlSink (temp file)", best(n, jsonl, close)),
        ("LoggingSink (NullHandler, DEBUG)", best(n, lambda: [LoggingSink(null_logger)])),
        ("LoggingSink (logger at WARNING)", best(n, lambda: [LoggingSink(quiet_logger)])),
        ("BackgroundSink(JsonlSink) (loop side)", best(n, background, close)),
    ]
    os.rmdir(directory)
    print(f"Python {sys.version.split()[0]}, {n} events per run, best of 5")
    print(f"{'case':40} {'us/event':>9} {'over no sink':>13}")
    for name, micros in cases:
        print(f"{name:40} {micros:9.2f} {micros - baseline:13.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
