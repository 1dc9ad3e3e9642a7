"""Event sinks: where a run's events go.

- `MemorySink`: keeps events in a list (tests, inspection).
- `JsonlSink`: one JSON object per line, to a file or a text stream.
- `LoggingSink`: stdlib `logging` records, levels by kind of event (`level_of`).
- `ConsoleSink`: a compact human-readable trace.
- `RedactingSink`: scrubs events before an inner sink sees them (`redact_strings` helps).
- `BackgroundSink`: runs a slow sink on a worker thread.
- `OpenTelemetrySink`: spans after the GenAI semantic conventions; needs the
  `otel` extra (`pip install "runlet[otel]"`) and is imported on first use.

A sink of your own fits `runlet.events.EventSink` by shape.
"""

from typing import TYPE_CHECKING

from runlet.sinks.background import BackgroundSink
from runlet.sinks.console import ConsoleSink
from runlet.sinks.jsonl import JsonlSink
from runlet.sinks.logs import LoggingSink, level_of
from runlet.sinks.memory import MemorySink
from runlet.sinks.redact import RedactingSink, redact_strings

if TYPE_CHECKING:
    from runlet.sinks.otel import OpenTelemetrySink
else:
    from runlet.core._deferred import deferred_exports

    __getattr__, __dir__ = deferred_exports(globals(), {"OpenTelemetrySink": "runlet.sinks.otel"})

__all__ = [
    "BackgroundSink",
    "ConsoleSink",
    "JsonlSink",
    "LoggingSink",
    "MemorySink",
    "OpenTelemetrySink",
    "RedactingSink",
    "level_of",
    "redact_strings",
]
